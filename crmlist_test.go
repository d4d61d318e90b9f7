package crm_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/crmgen"
	"github.com/kehu/crm/internal/dbtest"
)

// messyCSV writes rows as the CSV file a user would import (crmgen's
// columns) with one more column, "ref", holding the row's index: the
// truth (each row's entity) stays in the test, and "ref" is imported as an
// attribute no comparison uses, so that each customer can be traced back
// to its row.
func messyCSV(t testing.TB, rows []crmgen.Row) []byte {
	var raw bytes.Buffer
	require.NoError(t, crmgen.WriteCSV(&raw, rows))
	recs, err := csv.NewReader(&raw).ReadAll()
	require.NoError(t, err)
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for i, r := range recs {
		ref := "ref"
		if i > 0 {
			ref = strconv.Itoa(i - 1)
		}
		require.NoError(t, w.Write(append(r, ref)))
	}
	w.Flush()
	return out.Bytes()
}

// messyColumns maps crmgen's columns; emails are matched on (the default),
// phones are stored but not matched on.
func messyColumns() *customer.CustomerColumns {
	return &customer.CustomerColumns{
		Name: "name", GivenName: "given_name", FamilyName: "family_name", Kind: "kind", Locale: "locale",
		AddressLine1: "address_line1", City: "city", Region: "region", PostalCode: "postal_code", Country: "country",
		Identities: []customer.IdentityColumn{{Column: "email", Kind: customer.Email}, {Column: "phone", Kind: customer.Phone}},
		Attributes: map[string]string{"birth_date": "birth_date", "ref": "ref"},
	}
}

// listQuality imports a generated list into ws and scans it with
// FindDuplicates at default settings. Rows the import merged count as one
// customer; pair precision and recall are over rows.
func listQuality(t testing.TB, ctx context.Context, ws *crm.Workspace, rows []crmgen.Row, scanning func(bool)) (p, r, f1 float64, importRate float64, scan time.Duration) {
	require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
	_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "birth_date", Type: customer.TypeString, Match: customer.MatchBirthDate})
	require.NoError(t, err)
	_, err = ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "ref", Type: customer.TypeString})
	require.NoError(t, err)

	start := time.Now()
	rep, err := ws.Customers.ImportCustomers(ctx, bytes.NewReader(messyCSV(t, rows)), customer.CustomerImport{Columns: messyColumns()})
	require.NoError(t, err)
	importRate = float64(len(rows)) / time.Since(start).Seconds()
	require.Equal(t, len(rows), rep.Rows)
	require.Zero(t, rep.Failed, "rows rejected: %v", rep.Errors)

	// Each row's customer: its own, or the one the import merged it into.
	custOf := make([]crmtype.ID, len(rows))
	lp := customer.ListParams{Limit: crmtype.MaxPageSize}
	for {
		page, err := ws.Customers.List(ctx, lp)
		require.NoError(t, err)
		for _, c := range page.Items {
			i, err := strconv.Atoi(c.Attributes["ref"].(string))
			require.NoError(t, err)
			custOf[i] = c.ID
		}
		if page.Next == "" {
			break
		}
		lp.After = page.Next
	}
	for _, m := range rep.Merges {
		custOf[m.Line-2] = m.CustomerID
	}

	if scanning != nil {
		scanning(true)
	}
	start = time.Now()
	dups, err := ws.Customers.FindDuplicates(ctx, customer.DuplicateParams{})
	require.NoError(t, err)
	scan = time.Since(start)
	if scanning != nil {
		scanning(false)
	}

	cluster := map[crmtype.ID]int{}
	for k, c := range dups.Clusters {
		for _, id := range c.IDs {
			cluster[id] = k + 1
		}
	}
	// Predicted groups of rows, each with the entity of each row.
	groups := map[string][]int{}
	for i, id := range custOf {
		require.False(t, id.IsZero(), "row %d has no customer", i)
		g := id.String()
		if k := cluster[id]; k > 0 {
			g = "cluster " + strconv.Itoa(k)
		}
		groups[g] = append(groups[g], rows[i].Entity)
	}
	p, r, f1 = pairQuality(slices.Collect(maps.Values(groups)), crmgen.TruePairs(rows))
	return p, r, f1, importRate, scan
}

// pairQuality scores predicted groups (the true entity of each member)
// over pairs: precision is the share of pairs inside groups that are one
// entity, recall the share of the truePairs found.
func pairQuality[E comparable](groups [][]E, truePairs int) (precision, recall, f1 float64) {
	found, right := 0, 0
	for _, g := range groups {
		found += len(g) * (len(g) - 1) / 2
		n := map[E]int{}
		for _, e := range g {
			n[e]++
		}
		for _, c := range n {
			right += c * (c - 1) / 2
		}
	}
	if found == 0 || truePairs == 0 || right == 0 {
		return 0, 0, 0
	}
	precision, recall = float64(right)/float64(found), float64(right)/float64(truePairs)
	return precision, recall, 2 * precision * recall / (precision + recall)
}

// TestMessyListDuplicates imports a generated list of 20,000 entities
// (about 28,600 rows: names in many scripts, Han names also in pinyin and
// traditional characters, whole names in one field, households and offices
// sharing phones, addresses and emails, typos, phones of many countries in
// local formats) through the public API and scans it with default
// settings.
func TestMessyListDuplicates(t *testing.T) {
	rows := crmgen.Generate(crmgen.Config{Entities: 20_000, Seed: 7})
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		p, r, f1, rate, scan := listQuality(t, ctx, client.Workspace("list"), rows, nil)
		t.Logf("%d rows: import %.0f rows/s; FindDuplicates %v: precision %.4f recall %.4f F1 %.4f", len(rows), rate, scan.Round(time.Millisecond), p, r, f1)
		require.GreaterOrEqual(t, f1, 0.95)
	})
}

// BenchmarkMessyList imports a generated list through the public API and
// scans it with FindDuplicates at default settings, on SQLite and (with
// CRM_TEST_POSTGRES_DSN) PostgreSQL. It reports the import's rows/s, the
// scan's seconds and peak memory (heap in use, and memory from the OS,
// sampled every 50 ms during the scan; the process holds nothing else
// then) and pair precision, recall and F1. The list has 700,000 entities
// (1,000,000 rows) unless CRM_BENCH_ENTITIES says otherwise:
//
//	go test -run '^$' -bench MessyList -benchtime 1x -timeout 60m .
func BenchmarkMessyList(b *testing.B) {
	n := 700_000
	if v, err := strconv.Atoi(os.Getenv("CRM_BENCH_ENTITIES")); err == nil && v > 0 {
		n = v
	}
	rows := crmgen.Generate(crmgen.Config{Entities: n, Seed: 11})
	for _, kind := range []string{dbtest.SQLite, dbtest.Postgres} {
		b.Run(kind, func(b *testing.B) {
			db := dbtest.Open(b, kind)
			client, err := crm.New(db, nil)
			require.NoError(b, err)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				var peakHeap, peakSys uint64
				done := make(chan struct{})
				var scanning atomic.Bool
				go func() {
					tick := time.NewTicker(50 * time.Millisecond)
					defer tick.Stop()
					var ms runtime.MemStats
					for {
						select {
						case <-done:
							return
						case <-tick.C:
							if scanning.Load() {
								runtime.ReadMemStats(&ms)
								peakHeap, peakSys = max(peakHeap, ms.HeapInuse), max(peakSys, ms.Sys)
							}
						}
					}
				}()
				ws := client.Workspace("bench" + strconv.Itoa(i))
				p, r, f1, rate, scan := listQuality(b, ctx, ws, rows, func(on bool) {
					if on {
						runtime.GC()
					}
					scanning.Store(on)
				})
				close(done)
				b.ReportMetric(float64(len(rows)), "rows")
				b.ReportMetric(rate, "import-rows/s")
				b.ReportMetric(scan.Seconds(), "scan-s")
				b.ReportMetric(float64(peakHeap)/(1<<20), "scan-peak-heap-MiB")
				b.ReportMetric(float64(peakSys)/(1<<20), "scan-peak-sys-MiB")
				b.ReportMetric(p, "precision")
				b.ReportMetric(r, "recall")
				b.ReportMetric(f1, "F1")
			}
		})
	}
}
