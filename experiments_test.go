package crm_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// TestExperiments runs an A/B test with a holdout end to end on both
// databases: assignment stable as members are added, exposures, purchases
// counted in the window only, a clear winner, the lift against the
// holdout checked by hand, a second experiment that says "not yet", bad
// input, and another workspace that sees nothing.
func TestExperiments(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		mk := ws.Marketing
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		ps := make([]customer.CreateParams, 600)
		for i := range ps {
			ps[i] = customer.CreateParams{Name: fmt.Sprintf("customer %03d", i)}
		}
		cs, err := ws.Customers.CreateMany(ctx, ps)
		require.NoError(t, err)
		ids := make([]crmtype.ID, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		camp, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "winter sale", Type: marketing.TypePromotion, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)

		// Bad input: a typed error naming the field, nothing written.
		good := marketing.ExperimentParams{CampaignID: camp.ID, Name: "subject line", Variants: []marketing.Variant{{Key: "a", Weight: 1}, {Key: "b", Weight: 1}},
			Holdout: 0.2, Metric: marketing.MetricConversion, PlannedMembers: 150, Window: 7 * 24 * time.Hour}
		for _, tc := range []struct {
			field string
			edit  func(p *marketing.ExperimentParams)
		}{
			{"holdout", func(p *marketing.ExperimentParams) { p.Holdout = 1 }},
			{"variants", func(p *marketing.ExperimentParams) {
				p.Variants = []marketing.Variant{{Key: "a", Weight: 0}, {Key: "b", Weight: 0}}
			}},
			{"variants[1].key", func(p *marketing.ExperimentParams) {
				p.Variants = []marketing.Variant{{Key: "a", Weight: 1}, {Key: "holdout", Weight: 1}}
			}},
			{"metric", func(p *marketing.ExperimentParams) { p.Metric = "opens" }},
			{"window", func(p *marketing.ExperimentParams) { p.Window = -time.Hour }},
			{"baseline", func(p *marketing.ExperimentParams) { p.PlannedMembers = 0 }},
		} {
			p := good
			tc.edit(&p)
			_, err := mk.CreateExperiment(ctx, p)
			requireField(t, err, tc.field)
		}
		p := good
		p.CampaignID = crmtype.NewID(t0)
		_, err = mk.CreateExperiment(ctx, p)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_experiments", "acme"))

		exp, err := mk.CreateExperiment(ctx, good)
		require.NoError(t, err)
		require.Equal(t, "EUR", exp.Currency)
		_, err = mk.CreateExperiment(ctx, marketing.ExperimentParams{CampaignID: camp.ID, Name: "another", Variants: good.Variants, PlannedMembers: 10})
		require.ErrorIs(t, err, crmtype.ErrConflict) // one experiment per campaign
		got, err := mk.Experiment(ctx, exp.ID)
		require.NoError(t, err)
		require.Equal(t, exp.Variants, got.Variants)
		require.Equal(t, exp.Window, got.Window)

		// Read before it has members: a typed error naming the field.
		_, err = mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{})
		requireField(t, err, "members")

		// Assignment: deterministic, idempotent, stable as members are added.
		_, err = mk.AddMembers(ctx, camp.ID, marketing.AddMembersParams{CustomerIDs: ids[:400]})
		require.NoError(t, err)
		counts, err := mk.Assign(ctx, exp.ID)
		require.NoError(t, err)
		require.Equal(t, 400, counts["a"]+counts["b"]+counts[marketing.HoldoutVariant])
		first := variants(t, ctx, mk, camp.ID)
		for c, v := range first {
			require.Equal(t, marketing.AssignVariant(exp, c), v)
		}
		counts, err = mk.Assign(ctx, exp.ID)
		require.NoError(t, err)
		require.Empty(t, counts)
		clock.Advance(time.Hour) // t0+1h
		_, err = mk.AddMembers(ctx, camp.ID, marketing.AddMembersParams{CustomerIDs: ids})
		require.NoError(t, err)
		counts, err = mk.Assign(ctx, exp.ID)
		require.NoError(t, err)
		require.Equal(t, 200, counts["a"]+counts["b"]+counts[marketing.HoldoutVariant])
		all := variants(t, ctx, mk, camp.ID)
		require.Len(t, all, 600)
		for c, v := range first {
			require.Equal(t, v, all[c])
		}
		arm := map[string][]crmtype.ID{}
		for _, c := range ids {
			arm[all[c]] = append(arm[all[c]], c)
		}
		require.Greater(t, len(arm[marketing.HoldoutVariant]), 60)

		// Exposures: treated members when sent; the holdout is refused,
		// non-members are returned; nothing is written on error.
		var xs []marketing.Exposure
		for _, c := range append(slices.Clone(arm["a"]), arm["b"]...) {
			xs = append(xs, marketing.Exposure{CustomerID: c})
		}
		before := ticketRowCount(t, ctx, db, "crm_experiment_exposures", "acme")
		_, err = mk.RecordExposures(ctx, exp.ID, append(slices.Clone(xs), marketing.Exposure{CustomerID: arm[marketing.HoldoutVariant][0]}))
		requireField(t, err, fmt.Sprintf("exposures[%d].customer_id", len(xs)))
		_, err = mk.RecordExposures(ctx, exp.ID, []marketing.Exposure{{CustomerID: ids[0], At: t0.Add(48 * time.Hour)}})
		requireField(t, err, "exposures[0].at")
		require.Equal(t, before, ticketRowCount(t, ctx, db, "crm_experiment_exposures", "acme"))
		stranger := crmtype.NewID(t0)
		missing, err := mk.RecordExposures(ctx, exp.ID, append(xs, marketing.Exposure{CustomerID: stranger}))
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{stranger}, missing)
		require.Equal(t, 600, ticketRowCount(t, ctx, db, "crm_experiment_exposures", "acme"))

		// Purchases: b converts 30% at 150 EUR, a 10% at 100 EUR, the
		// holdout 5% at 100 EUR, a day after exposure. Purchases after
		// the window or in another currency do not count.
		clock.Advance(8 * 24 * time.Hour) // t0+8d+1h: every window has closed
		var buys []customer.PurchaseParams
		want := map[string][2]int64{} // conversions, revenue
		for key, rule := range map[string]struct {
			every, of int
			amount    int64
		}{"a": {1, 10, 100_00}, "b": {3, 10, 150_00}, marketing.HoldoutVariant: {1, 20, 100_00}} {
			for i, c := range arm[key] {
				if i%rule.of < rule.every {
					buys = append(buys, customer.PurchaseParams{CustomerID: c, OccurredAt: t0.Add(26 * time.Hour),
						Amount: crmtype.Money{Minor: rule.amount, Currency: "EUR"}})
					w := want[key]
					want[key] = [2]int64{w[0] + 1, w[1] + rule.amount}
				}
				if i%7 == 0 {
					buys = append(buys, customer.PurchaseParams{CustomerID: c, OccurredAt: t0.Add(7*24*time.Hour + 3*time.Hour),
						Amount: crmtype.Money{Minor: 999_00, Currency: "EUR"}})
					buys = append(buys, customer.PurchaseParams{CustomerID: c, OccurredAt: t0.Add(30 * time.Hour),
						Amount: crmtype.Money{Minor: 999_00, Currency: "USD"}})
				}
			}
		}
		_, err = ws.Customers.RecordPurchases(ctx, buys)
		require.NoError(t, err)
		// Five b members respond within their window.
		var ups []marketing.StatusUpdate
		for _, c := range arm["b"][:5] {
			ups = append(ups, marketing.StatusUpdate{CustomerID: c, Status: marketing.MemberResponded, At: t0.Add(3 * time.Hour)})
		}
		_, err = mk.SetMemberStatuses(ctx, camp.ID, ups)
		require.NoError(t, err)

		res, err := mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{})
		require.NoError(t, err)
		require.Len(t, res.Arms, 3)
		for _, a := range res.Arms {
			n := len(arm[a.Variant])
			require.Equal(t, n, a.Assigned, a.Variant)
			require.Equal(t, n, a.Exposed, a.Variant)
			require.Equal(t, n, a.Members, a.Variant)
			require.Equal(t, int(want[a.Variant][0]), a.Converted, a.Variant)
			require.Equal(t, want[a.Variant][1], a.Revenue, a.Variant)
			require.InDelta(t, float64(want[a.Variant][0])/float64(n), a.ConversionRate, 1e-12)
			require.True(t, a.ConversionCI.Contains(a.ConversionRate))
		}
		require.Equal(t, 5, res.Arms[1].Responded)
		require.Equal(t, marketing.VerdictWinner, res.Verdict, res.Reason)
		require.Equal(t, "b", res.Winner)
		require.Equal(t, "a", res.Control)
		require.Equal(t, 1, res.Look)
		require.Equal(t, 1.0, res.Fraction)
		require.InDelta(t, 1.959964, res.Boundary, 1e-5) // the whole plan at the first look: the fixed-sample test
		require.Len(t, res.Comparisons, 1)
		require.Greater(t, res.Comparisons[0].DiffCI.Lo, 0.0)

		// The lift against the holdout, by hand.
		nt := len(arm["a"]) + len(arm["b"])
		nh := len(arm[marketing.HoldoutVariant])
		h := res.Holdout
		require.NotNil(t, h)
		require.Equal(t, nt, h.Treated)
		require.Equal(t, nh, h.Holdout)
		conv := float64(want["a"][0]+want["b"][0])/float64(nt) - float64(want[marketing.HoldoutVariant][0])/float64(nh)
		require.InDelta(t, conv, h.Conversion.Value, 1e-12)
		rpm := float64(want["a"][1]+want["b"][1])/float64(nt) - float64(want[marketing.HoldoutVariant][1])/float64(nh)
		require.InDelta(t, rpm, h.RevenuePerMember.Value, 1e-9)
		require.InDelta(t, rpm*float64(nt), h.IncrementalRevenue.Value, 1e-6)
		require.InDelta(t, h.RevenuePerMember.CI.Lo*float64(nt), h.IncrementalRevenue.CI.Lo, 1e-6)
		require.True(t, h.IncrementalRevenue.CI.Contains(h.IncrementalRevenue.Value))
		require.Greater(t, h.IncrementalRevenue.CI.Lo, 0.0)
		require.Equal(t, "EUR", h.Currency)

		// The look is recorded; its time replays it, an earlier one is
		// refused, and the winner is final.
		looks, err := mk.Looks(ctx, exp.ID)
		require.NoError(t, err)
		require.Len(t, looks, 1)
		require.Equal(t, marketing.VerdictWinner, looks[0].Verdict)
		again, err := mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{At: looks[0].At})
		require.NoError(t, err)
		require.Equal(t, 1, again.Look)
		require.Equal(t, "b", again.Winner)
		_, err = mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{At: looks[0].At.Add(-time.Hour)})
		requireField(t, err, "at")
		_, err = mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{At: clock.Now().Add(time.Hour)})
		requireField(t, err, "at")
		clock.Advance(time.Hour)
		later, err := mk.Evaluate(ctx, exp.ID, marketing.EvaluateParams{})
		require.NoError(t, err)
		require.Equal(t, marketing.VerdictWinner, later.Verdict)
		looks, err = mk.Looks(ctx, exp.ID)
		require.NoError(t, err)
		require.Len(t, looks, 1)

		// A second campaign, planned large, no difference yet: not yet,
		// with the members it still needs.
		camp2, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "newsletter", Type: marketing.TypeOutreach, Currency: "EUR", Channel: "email"})
		require.NoError(t, err)
		exp2, err := mk.CreateExperiment(ctx, marketing.ExperimentParams{CampaignID: camp2.ID, Name: "layout",
			Variants: []marketing.Variant{{Key: "x", Weight: 1}, {Key: "y", Weight: 1}}, Baseline: 0.1, MinDetectableLift: 0.02,
			Window: 24 * time.Hour})
		require.NoError(t, err)
		require.Equal(t, 3841, exp2.PlannedMembers)
		_, err = mk.AddMembers(ctx, camp2.ID, marketing.AddMembersParams{CustomerIDs: ids})
		require.NoError(t, err)
		_, err = mk.Assign(ctx, exp2.ID)
		require.NoError(t, err)
		xs = xs[:0]
		for _, c := range ids {
			xs = append(xs, marketing.Exposure{CustomerID: c})
		}
		_, err = mk.RecordExposures(ctx, exp2.ID, xs)
		require.NoError(t, err)
		ups = ups[:0]
		for i, c := range ids {
			if i%10 == 0 {
				ups = append(ups, marketing.StatusUpdate{CustomerID: c, Status: marketing.MemberResponded})
			}
		}
		_, err = mk.SetMemberStatuses(ctx, camp2.ID, ups)
		require.NoError(t, err)
		early, err := mk.Evaluate(ctx, exp2.ID, marketing.EvaluateParams{})
		require.NoError(t, err)
		require.Equal(t, marketing.VerdictNotEnoughData, early.Verdict, early.Reason) // no window has closed
		require.Equal(t, 0, early.Arms[0].Members)
		require.Equal(t, 600, early.Arms[0].Exposed+early.Arms[1].Exposed)
		clock.Advance(25 * time.Hour)
		res, err = mk.Evaluate(ctx, exp2.ID, marketing.EvaluateParams{})
		require.NoError(t, err)
		require.Equal(t, marketing.VerdictNotYet, res.Verdict, res.Reason)
		require.Equal(t, 600, res.Arms[0].Members+res.Arms[1].Members)
		require.Equal(t, 60, res.Arms[0].Responded+res.Arms[1].Responded)
		require.Greater(t, res.MoreMembers, 7000)
		require.Nil(t, res.Holdout)
		require.Greater(t, res.Boundary, 4.0) // a first look at 8% of the plan spends almost nothing

		// Another workspace sees and touches nothing.
		other := client.Workspace("beta").Marketing
		_, err = other.Experiment(ctx, exp.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Assign(ctx, exp.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.RecordExposures(ctx, exp.ID, []marketing.Exposure{{CustomerID: ids[0]}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Evaluate(ctx, exp.ID, marketing.EvaluateParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Looks(ctx, exp.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.CreateExperiment(ctx, marketing.ExperimentParams{CampaignID: camp.ID, Name: "steal", Variants: good.Variants, PlannedMembers: 10})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_experiments", "beta"))
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_experiment_looks", "beta"))
	})
}

// variants returns each member's variant in campaign id.
func variants(t *testing.T, ctx context.Context, mk *marketing.Service, id crmtype.ID) map[crmtype.ID]string {
	t.Helper()
	out := map[crmtype.ID]string{}
	var after crmtype.Cursor
	for {
		page, err := mk.Members(ctx, id, marketing.MemberListParams{Limit: crmtype.MaxPageSize, After: after})
		require.NoError(t, err)
		for _, m := range page.Items {
			out[m.CustomerID] = m.Variant
		}
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}
