package store_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// BenchmarkSegment10M evaluates a segment with purchase-aggregate
// conditions in the database over the 1,000,000 customers and 10,000,000
// purchases of BenchmarkSummaries10M's set-based fill:
//
//   - segment: ws.Marketing.PreviewSegment of "spent at least 200.00 USD
//     in the last 90 days and bought at least twice ever" (count and a
//     sample of 10);
//   - raw-sql: the same count written by hand as one GROUP BY over the
//     purchases, the baseline.
//
// It loads gigabytes and takes minutes, so it runs only by name:
//
//	CRM_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./store -run '^$' -bench Segment10M -benchtime 1x -timeout 60m
func BenchmarkSegment10M(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "Segment10M") {
		b.Skip("loads 10,000,000 purchases: run it by name, -bench Segment10M")
	}
	budget := 10 * time.Minute
	if s := os.Getenv("CRM_BENCH_SETUP_MAX"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("CRM_BENCH_SETUP_MAX: %v", err)
		}
		budget = d
	}
	at := sumStart.Add(sumSpan * time.Second)
	rule := marketing.Rule{And: []marketing.Rule{
		{Purchases: &marketing.PurchaseCond{Metric: marketing.MetricSum, Currency: "USD", Within: "90d", Op: marketing.OpGte, Value: 20000}},
		{Purchases: &marketing.PurchaseCond{Metric: marketing.MetricCount, Op: marketing.OpGte, Value: 2}},
	}}
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			start := time.Now()
			fillPurchases10M(b, db, budget)
			b.Logf("%s: loaded in %v", kind, time.Since(start).Round(time.Second))
			client, err := crm.New(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			ws := client.Workspace(sumWorkspace)
			var segCount, rawCount int
			b.Run("segment", func(b *testing.B) {
				for b.Loop() {
					pv, err := ws.Marketing.PreviewSegment(ctx, marketing.PreviewParams{Rule: &rule, At: at})
					if err != nil {
						b.Fatal(err)
					}
					segCount = pv.Count
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
				b.ReportMetric(float64(segCount), "members")
			})
			b.Run("raw-sql", func(b *testing.B) {
				for b.Loop() {
					err := db.NewRaw(`SELECT COUNT(*) FROM (SELECT p.customer_id FROM crm_purchases AS p
WHERE p.workspace_id = ? AND p.occurred_at <= ?
GROUP BY p.customer_id
HAVING SUM(CASE WHEN p.currency = 'USD' AND p.occurred_at > ? THEN p.amount_minor ELSE 0 END) >= 20000 AND COUNT(*) >= 2) AS m`,
						sumWorkspace, at, at.Add(-90*24*time.Hour)).Scan(ctx, &rawCount)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
				b.ReportMetric(float64(rawCount), "members")
			})
			if segCount != rawCount {
				b.Fatalf("segment %d members, raw SQL %d", segCount, rawCount)
			}
		})
	}
}
