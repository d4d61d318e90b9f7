// Command segments mines the CDNOW purchases with kehu/crm's analysis
// module: it loads them into SQLite through the SDK and prints the RFM
// segments, the k-means segments with their centroids, the top customers by
// predicted lifetime value and by churn risk, and a cohort retention table.
//
//	go run ./examples/segments                 # the 2,357-customer sample, ./segments.db
//	go run ./examples/segments -full           # all 23,570 customers (CDNOW_master.txt)
//	go run ./examples/segments -db /tmp/s.db -data /path/to/cdnow
//
// CDNOW (Fader, Hardie and Lee 2005) is the purchase history of customers who
// made their first purchase at the CD retailer in the first quarter of 1997,
// followed to the end of June 1998. The analyses use the purchases up to
// 1997-09-30, the end of the calibration period of the published models, in
// weeks.
//
// It is idempotent: every purchase carries an order id made of the customer
// and the file line ("cdnow-<customer>-<line>"), and when the workspace
// already holds the CDNOW customers the loading is skipped, so a second run
// on the same file prints the same tables. The loading runs in one
// transaction, so an interrupted run leaves nothing half loaded.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/cdnow"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/store/sqlite"
)

const (
	workspace    = "cdnow"
	currency     = cdnow.Currency
	topN         = 10
	cohortMonths = 7 // months 0..6
)

// asOf is the end of the CDNOW calibration period.
var asOf = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)

func main() {
	dbPath := flag.String("db", "segments.db", "path of the SQLite database file (created if missing)")
	dataDir := flag.String("data", cdnow.Dir(), "folder holding CDNOW_sample.txt and CDNOW_master.txt")
	full := flag.Bool("full", false, "use CDNOW_master.txt (23,570 customers) instead of the 2,357-customer sample")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("segments: ")
	if *dataDir == "" {
		log.Fatalf("the CDNOW data folder was not found (../shared/data/cdnow beside the repository); pass -data")
	}

	ctx := crm.WithActor(context.Background(), "cdnow.System:segments")
	start := time.Now()

	db, err := sqlite.Open(ctx, *dbPath)
	if err != nil {
		log.Fatalf("open database: %v", err)
	}
	defer db.Close()
	client, err := crm.New(db, nil)
	if err != nil {
		log.Fatalf("new client: %v", err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatalf("migrate %s: %v", *dbPath, err)
	}
	ws := client.Workspace(workspace)

	loadCDNOW(ctx, client, ws, *dataDir, *full)

	p := analysis.Params{Currency: currency, AsOf: asOf, Unit: analysis.UnitWeek}
	fmt.Printf("Analyses of the purchases up to %s (the calibration end), time in weeks, money in dollars.\n\n", asOf.Format(time.DateOnly))

	t0 := time.Now()
	printRFM(ctx, ws, p)
	printSegments(ctx, ws, p)
	printValue(ctx, ws, p)
	printCohorts(ctx, ws)
	fmt.Printf("Analyses took %s; the whole run %s.\n", since(t0), since(start))
}

// loadCDNOW reads the sample (or, with full, the master) file and loads it
// into ws unless ws holds it already.
func loadCDNOW(ctx context.Context, client *crm.Client, ws *crm.Workspace, dir string, full bool) {
	start := time.Now()
	file, ps, err := cdnow.ReadFile(dir, full)
	if err != nil {
		log.Fatalf("read CDNOW: %v", err)
	}
	l, err := cdnow.Load(ctx, client, string(ws.ID), file, ps)
	if err != nil {
		log.Fatal(err)
	}
	if l.Skipped {
		fmt.Printf("Workspace %q already holds the %s customers of %s; loading skipped (its %s purchases are recorded).\n\n",
			ws.ID, thousands(l.Customers), file, thousands(l.Purchases))
		return
	}
	fmt.Printf("Loaded %s into workspace %q in %s: %s customers, %s purchases.\n\n",
		file, ws.ID, since(start), thousands(l.Customers), thousands(l.Purchases))
}

// printRFM prints the size and value of the eleven RFM segments.
func printRFM(ctx context.Context, ws *crm.Workspace, p analysis.Params) {
	res, err := ws.Analysis.RFM(ctx, p)
	if err != nil {
		log.Fatalf("RFM: %v", err)
	}
	t := texttable.New("Segment", "Customers", "Share", "Monetary", "Value share", "Mean monetary").Right(1, 2, 3, 4, 5)
	var customers int
	var total float64
	for _, s := range res.Segments { // in the order of analysis.RFMSegments
		t.Row(s.Segment.String(), thousands(s.Customers), pct(s.Share), dollars(s.Monetary), pct(s.MonetaryShare), dollars(s.MeanMonetary))
		customers += s.Customers
		total += s.Monetary
	}
	t.Row("Total", thousands(customers), pct(1), dollars(total), pct(1), dollars(total/float64(max(customers, 1))))
	t.Print("1. RFM segments (quintile scores of recency, purchase days and total spend)")
}

// printSegments prints the k-means clusters and the elbow and silhouette
// curve.
func printSegments(ctx context.Context, ws *crm.Workspace, p analysis.Params) {
	seg, err := ws.Analysis.Segments(ctx, analysis.SegmentParams{Params: p, K: 0, Seed: 1})
	if err != nil {
		log.Fatalf("k-means segments: %v", err)
	}
	sel := seg.Selection
	n := len(seg.Customers)
	// Clusters by centroid monetary value, highest first.
	order := make([]int, sel.K)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Compare(sel.Centroids.At(b, 2), sel.Centroids.At(a, 2))
	})
	t := texttable.New("Cluster", "Customers", "Share", "Recency (weeks)", "Frequency (days)", "Monetary").Right(1, 2, 3, 4, 5)
	for _, c := range order {
		size := sel.Result.Sizes[c]
		t.Row(fmt.Sprint(c+1), thousands(size), pct(float64(size)/float64(n)),
			fmt.Sprintf("%.1f", sel.Centroids.At(c, 0)), fmt.Sprintf("%.2f", sel.Centroids.At(c, 1)), dollars(sel.Centroids.At(c, 2)))
	}
	t.Print(fmt.Sprintf("2. k-means segments: k = %d chosen by silhouette (log1p + z-score of %s; centroids in original units)",
		sel.K, strings.Join(seg.Features, ", ")))

	t = texttable.New("k", "Inertia", "Silhouette", "Note").Right(0, 1, 2)
	for _, c := range sel.Curve {
		mark := ""
		if c.K == sel.K {
			mark = "← chosen"
		}
		t.Row(fmt.Sprint(c.K), fmt.Sprintf("%.1f", c.Inertia), fmt.Sprintf("%.4f", c.Silhouette), mark)
	}
	t.Print("   Elbow and silhouette curve (inertia in the standardised space)")
}

// printValue fits BG/NBD and Gamma-Gamma and prints the top customers by
// predicted CLV and by churn risk.
func printValue(ctx context.Context, ws *crm.Workspace, p analysis.Params) {
	v, err := ws.Analysis.LifetimeValue(ctx, analysis.ValueParams{Params: p, Model: "bgnbd",
		CLV: analysis.CLVConfig{Periods: 12, PeriodLength: 52.0 / 12, Margin: 1, DiscountRate: 0}})
	if err != nil {
		log.Fatalf("lifetime value: %v", err)
	}
	m, ok := v.PurchaseModel.(analysis.BGNBD)
	if !ok {
		log.Fatalf("lifetime value: purchase model is %T, want BG/NBD", v.PurchaseModel)
	}
	ext := externalIDs(ctx, ws)

	t := texttable.New("#", "Customer", "x", "t_x", "T", "P(alive)", "Exp. purchases", "Exp. spend", "CLV").Right(0, 2, 3, 4, 5, 6, 7, 8)
	for i, c := range v.Customers[:min(topN, len(v.Customers))] {
		s := c.Summary
		t.Row(fmt.Sprint(i+1), ext(c.Customer), fmt.Sprint(s.X), fmt.Sprintf("%.2f", s.Tx), fmt.Sprintf("%.2f", s.T),
			fmt.Sprintf("%.3f", c.PAlive), fmt.Sprintf("%.2f", c.ExpectedPurchases), dollars(c.ExpectedSpend), dollars(c.CLV))
	}
	t.Print("3. Top 10 customers by predicted CLV (BG/NBD + Gamma-Gamma, next 12 months, margin 1, no discount)")

	var sum float64
	for _, c := range v.Customers {
		sum += c.CLV
	}
	t = texttable.New("Model", "Parameters", "Log-likelihood", "Customers").Right(2, 3)
	t.Row("BG/NBD", fmt.Sprintf("r = %.4f, alpha = %.4f, a = %.4f, b = %.4f", m.R, m.Alpha, m.A, m.B),
		fmt.Sprintf("%.2f", v.PurchaseFit.LogLikelihood), thousands(int(v.PurchaseFit.Customers)))
	t.Row("Gamma-Gamma", fmt.Sprintf("p = %.4f, q = %.4f, gamma = %.2f (cents; $%.2f)", v.Spend.P, v.Spend.Q, v.Spend.Gamma, v.Spend.Gamma/100),
		fmt.Sprintf("%.2f", v.SpendFit.LogLikelihood), thousands(int(v.SpendFit.Customers)))
	t.Print(fmt.Sprintf("   Fitted models (money in minor units, so gamma is in cents); total predicted CLV %s", dollars(sum)))

	// Churn risk among repeat buyers (x ≥ 1): ties (equal x, t_x, T) by
	// higher spend, then earlier first purchase, then customer.
	var repeat []analysis.CustomerValue
	for _, c := range v.Customers {
		if c.Summary.X > 0 {
			repeat = append(repeat, c)
		}
	}
	slices.SortFunc(repeat, func(a, b analysis.CustomerValue) int {
		return cmp.Or(cmp.Compare(b.ChurnRisk, a.ChurnRisk), cmp.Compare(spent(b.Summary), spent(a.Summary)),
			a.Summary.First.Compare(b.Summary.First), cmp.Compare(a.Customer, b.Customer))
	})
	t = texttable.New("#", "Customer", "Purchase days", "First", "Last", "Weeks since", "Spend", "P(alive)", "Churn risk", "CLV").Right(0, 2, 5, 6, 7, 8, 9)
	for i, c := range repeat[:min(topN, len(repeat))] {
		s := c.Summary
		last := s.First.AddDate(0, 0, int(s.Tx*7+0.5))
		t.Row(fmt.Sprint(i+1), ext(c.Customer), fmt.Sprint(s.X+1), s.First.Format(time.DateOnly), last.Format(time.DateOnly),
			fmt.Sprintf("%.1f", s.T-s.Tx), dollars(float64(spent(s))), fmt.Sprintf("%.4f", c.PAlive), pct(c.ChurnRisk), dollars(c.CLV))
	}
	t.Print(fmt.Sprintf("4. Top 10 by churn risk (1 − P(alive)) among the %s customers who bought on more than one day", thousands(len(repeat))))
}

// spent is a customer's total spend in the calibration period, in cents.
func spent(s analysis.CustomerSummary) int64 { return s.FirstValue + s.RepeatValue }

// externalIDs returns a function giving the CDNOW id of a customer ID,
// looked up through the SDK and cached.
func externalIDs(ctx context.Context, ws *crm.Workspace) func(string) string {
	cache := map[string]string{}
	return func(id string) string {
		if e, ok := cache[id]; ok {
			return e
		}
		cid, err := crmtype.ParseID(id)
		if err != nil {
			log.Fatalf("customer id %q: %v", id, err)
		}
		c, err := ws.Customers.Get(ctx, cid)
		if err != nil {
			log.Fatalf("get customer %s: %v", id, err)
		}
		e := c.Name
		for _, idn := range c.Identities {
			if idn.Kind == customer.ExternalID && idn.System == cdnow.System {
				e = cdnow.System + ":" + idn.Value
			}
		}
		cache[id] = e
		return e
	}
}

// printCohorts prints the retention of the first-purchase-month cohorts.
func printCohorts(ctx context.Context, ws *crm.Workspace) {
	ct, err := ws.Analysis.Cohorts(ctx, currency, time.UTC)
	if err != nil {
		log.Fatalf("cohorts: %v", err)
	}
	head := []string{"Cohort", "Customers"}
	cols := []int{1}
	for k := range cohortMonths {
		head = append(head, fmt.Sprintf("M%d", k))
		cols = append(cols, k+2)
	}
	head = append(head, "Revenue/customer M0–M6")
	cols = append(cols, len(head)-1)
	t := texttable.New(head...).Right(cols...)
	for _, c := range ct.Cohorts {
		r := []string{c.Month.Format("2006-01"), thousands(c.Size)}
		for k := range cohortMonths {
			if k < len(c.Retention) {
				r = append(r, pct(c.Retention[k]))
			} else {
				r = append(r, "")
			}
		}
		rev := ""
		if k := min(cohortMonths, len(c.CumulativeRevenuePerCustomer)) - 1; k >= 0 {
			rev = dollars(c.CumulativeRevenuePerCustomer[k])
		}
		t.Row(append(r, rev)...)
	}
	t.Print(fmt.Sprintf("5. Cohorts by first-purchase month: %% of customers buying in month k after it (all %d months of data)", ct.Periods))
}

// dollars formats cents as dollars with thousands separators: "$1,234.56".
func dollars(cents float64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	s := fmt.Sprintf("%.2f", cents/100)
	whole, frac, _ := strings.Cut(s, ".")
	return sign + "$" + group(whole) + "." + frac
}

// thousands formats n with thousands separators: "23,570".
func thousands(n int) string {
	if n < 0 {
		return "-" + group(fmt.Sprint(-n))
	}
	return group(fmt.Sprint(n))
}

func group(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
