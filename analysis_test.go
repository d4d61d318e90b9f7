package crm_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/cdnow"
	"github.com/kehu/crm/internal/dbtest"
)

// loadCDNOW stores the CDNOW sample's customers and purchases in ws and
// returns the customer ID of each sample id.
func loadCDNOW(t testing.TB, ctx context.Context, ws *crm.Workspace) map[string]string {
	t.Helper()
	dir := cdnow.Dir()
	if dir == "" {
		t.Fatal("../shared/data/cdnow is missing")
	}
	f, err := os.Open(filepath.Join(dir, "CDNOW_sample.txt"))
	require.NoError(t, err)
	defer f.Close()
	ps, err := cdnow.ReadSample(f)
	require.NoError(t, err)
	var params []customer.CreateParams
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.Customer] {
			seen[p.Customer] = true
			params = append(params, customer.CreateParams{Name: "CDNOW " + p.Customer, Stage: customer.StageCustomer,
				Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "cdnow", Value: p.Customer}}})
		}
	}
	byID := map[string]crmtype.ID{}
	ids := map[string]string{}
	for i := 0; i < len(params); i += 500 {
		cs, err := ws.Customers.CreateMany(ctx, params[i:min(i+500, len(params))])
		require.NoError(t, err)
		for _, c := range cs {
			byID[c.Identities[0].Value] = c.ID
			ids[c.ID.String()] = c.Identities[0].Value
		}
	}
	var pp []customer.PurchaseParams
	for _, p := range ps {
		pp = append(pp, customer.PurchaseParams{CustomerID: byID[p.Customer], OccurredAt: p.Date,
			Amount: crmtype.Money{Minor: p.Cents, Currency: "USD"}, Quantity: p.CDs})
	}
	for i := 0; i < len(pp); i += 1000 {
		_, err := ws.Customers.RecordPurchases(ctx, pp[i:min(i+1000, len(pp))])
		require.NoError(t, err)
	}
	return ids
}

// The summaries computed in the database reproduce the published CDNOW
// summary file, and the models fitted on them the published parameters.
func TestAnalysisOnCDNOW(t *testing.T) {
	dir := cdnow.Dir()
	require.NotEmpty(t, dir, "../shared/data/cdnow is missing")
	f, err := os.Open(filepath.Join(dir, "cdnow_customers_summary_with_transactions.csv"))
	require.NoError(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	want := map[string][]string{}
	for _, r := range recs[1:] {
		want[r[0]] = r
	}

	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("cdnow")
		ids := loadCDNOW(t, ctx, ws)

		p := analysis.Params{Currency: "USD", AsOf: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC), Unit: analysis.UnitWeek}
		sums, err := ws.Analysis.Summaries(ctx, p, time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Len(t, sums, 2357)
		repeat, holdout, holdoutZero := 0, 0, 0
		for _, s := range sums {
			w := want[ids[s.Customer]]
			require.NotNil(t, w, s.Customer)
			require.Equal(t, w[1], strconv.Itoa(s.X), "x of %s", w[0])
			require.Equal(t, w[2], fmt.Sprintf("%.2f", s.Tx), "t_x of %s", w[0])
			require.Equal(t, w[3], fmt.Sprintf("%.2f", s.T), "T of %s", w[0])
			// zbar in dollars, rounded half-up from exact cents (README).
			require.Equal(t, w[4], fmt.Sprintf("%.2f", math.Floor(s.ZBar+0.5)/100), "zbar of %s", w[0])
			repeat += s.X
			holdout += s.HoldoutX
			if s.X == 0 {
				holdoutZero += s.HoldoutX
			}
		}
		require.Equal(t, 2457, repeat)
		require.Equal(t, 1882, holdout)
		require.Equal(t, 334, holdoutZero)

		v, err := ws.Analysis.LifetimeValue(ctx, analysis.ValueParams{Params: p})
		require.NoError(t, err)
		m := v.PurchaseModel.(analysis.BGNBD)
		require.InDelta(t, 0.243, m.R, 0.005)
		require.InDelta(t, 4.414, m.Alpha, 0.005)
		require.InDelta(t, 0.793, m.A, 0.005)
		require.InDelta(t, 2.426, m.B, 0.005)
		require.InDelta(t, -9582.4, v.PurchaseFit.LogLikelihood, 0.1)
		require.InDelta(t, 6.25, v.Spend.P, 0.01)
		require.InDelta(t, 3.74, v.Spend.Q, 0.01)
		require.InDelta(t, 15.44, v.Spend.Gamma/100, 0.01, "gamma is in cents here")
		for i := 1; i < len(v.Customers); i++ {
			require.GreaterOrEqual(t, v.Customers[i-1].CLV, v.Customers[i].CLV)
		}

		rfm, err := ws.Analysis.RFM(ctx, p)
		require.NoError(t, err)
		require.Len(t, rfm.Scores, 2357)
		total := 0
		for _, s := range rfm.Segments {
			total += s.Customers
		}
		require.Equal(t, 2357, total)

		seg, err := ws.Analysis.Segments(ctx, analysis.SegmentParams{Params: p, K: 4, Seed: 1})
		require.NoError(t, err)
		require.Equal(t, 4, seg.Selection.K)
		require.Len(t, seg.Selection.Result.Labels, 2357)

		churn, err := ws.Analysis.ChurnModel(ctx, analysis.ChurnModelParams{Params: p, Until: time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)})
		require.NoError(t, err)
		require.Equal(t, 2357, churn.Model.N)
		coef := map[string]analysis.LogisticCoefficient{}
		for _, c := range churn.Model.Coefficients {
			coef[c.Name] = c
		}
		// Customers who bought long ago churn more, frequent buyers less;
		// both effects are clear on CDNOW.
		require.Greater(t, coef["recency"].Estimate, 0.0)
		require.Less(t, coef["recency"].P, 0.001)
		require.Less(t, coef["frequency"].Estimate, 0.0)
		require.Less(t, coef["frequency"].P, 0.01)
		require.Len(t, churn.Scores, 2357)
		for i, sc := range churn.Scores {
			if i > 0 {
				require.LessOrEqual(t, sc.Probability, churn.Scores[i-1].Probability)
			}
			sum := sc.Base
			for _, c := range sc.Contributions {
				sum += c.LogOdds
			}
			require.InDelta(t, sc.LogOdds, sum, 1e-9, "the drivers explain the whole score")
		}

		coh, err := ws.Analysis.Cohorts(ctx, "USD", time.UTC)
		require.NoError(t, err)
		require.Len(t, coh.Cohorts, 3, "CDNOW customers first bought in January to March 1997")
		size := 0
		for _, c := range coh.Cohorts {
			size += c.Size
		}
		require.Equal(t, 2357, size)
	})
}

// The summaries computed in SQL equal analysis.Summarize on the same
// purchases, in a time zone with daylight saving, with purchases near
// midnight and around the switches.
func TestAnalysisSummariesMatchGoInDSTZone(t *testing.T) {
	// Sao_Paulo, Havana and Santiago change their clocks at local midnight.
	for _, zone := range []string{"America/New_York", "Europe/Berlin", "Asia/Shanghai", "Australia/Lord_Howe",
		"America/Sao_Paulo", "America/Havana", "America/Santiago", "Asia/Tehran"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		t.Run(zone, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *bun.DB) {
				ctx := context.Background()
				client, _ := newClient(t, db)
				ws := client.Workspace("tz")
				var instants []time.Time
				for _, day := range []time.Time{
					time.Date(2018, 11, 4, 0, 0, 0, 0, loc), time.Date(2019, 2, 17, 0, 0, 0, 0, loc),
					time.Date(2012, 4, 1, 0, 0, 0, 0, loc), time.Date(2022, 9, 11, 0, 0, 0, 0, loc),
					time.Date(2025, 3, 8, 0, 0, 0, 0, loc), time.Date(2025, 3, 9, 0, 0, 0, 0, loc),
					time.Date(2025, 3, 30, 0, 0, 0, 0, loc), time.Date(2025, 10, 26, 0, 0, 0, 0, loc),
					time.Date(2025, 11, 2, 0, 0, 0, 0, loc), time.Date(2025, 12, 31, 0, 0, 0, 0, loc),
				} {
					for _, d := range []time.Duration{-time.Second, 0, time.Hour, 2*time.Hour + 30*time.Minute, 23*time.Hour + 59*time.Minute} {
						instants = append(instants, day.Add(d))
					}
					// The clock changes themselves, to the second.
					begin, end := day.ZoneBounds()
					for _, at := range []time.Time{begin, begin.Add(-time.Second), end, end.Add(-time.Second)} {
						if at.Year() > 2000 && at.Before(t0) {
							instants = append(instants, at)
						}
					}
				}
				var goPurchases []analysis.Purchase
				for c := 0; c < 6; c++ {
					cu, err := ws.Customers.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("C%d", c)})
					require.NoError(t, err)
					var ps []customer.PurchaseParams
					for i, at := range instants {
						if (i+c)%(c+2) != 0 {
							continue
						}
						amt := int64(100*c + i)
						ps = append(ps, customer.PurchaseParams{CustomerID: cu.ID, OccurredAt: at, Amount: crmtype.Money{Minor: amt, Currency: "EUR"}})
						goPurchases = append(goPurchases, analysis.Purchase{Customer: cu.ID.String(), At: at, Amount: amt})
					}
					_, err = ws.Customers.RecordPurchases(ctx, ps)
					require.NoError(t, err)
				}
				for _, cfg := range []analysis.SummaryConfig{
					{CalibrationEnd: time.Date(2025, 3, 30, 0, 0, 0, 0, loc), HoldoutEnd: time.Date(2025, 12, 31, 0, 0, 0, 0, loc), Unit: analysis.UnitDay, Location: loc},
					{CalibrationEnd: time.Date(2019, 2, 17, 12, 0, 0, 0, loc), HoldoutEnd: time.Date(2025, 12, 31, 0, 0, 0, 0, loc), Unit: analysis.UnitDay, Location: loc},
					{CalibrationEnd: time.Date(2025, 11, 2, 0, 0, 0, 0, loc), Unit: analysis.UnitWeek, Location: loc},
				} {
					want, err := analysis.Summarize(goPurchases, cfg)
					require.NoError(t, err)
					got, err := ws.Analysis.Summaries(ctx, analysis.Params{Currency: "EUR", AsOf: cfg.CalibrationEnd, Unit: cfg.Unit, Location: loc}, cfg.HoldoutEnd)
					require.NoError(t, err)
					require.Equal(t, want, got)
				}
			})
		})
	}
}
