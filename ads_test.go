package crm_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

func eur(minor int64) crmtype.Money { return crmtype.Money{Minor: minor, Currency: "EUR"} }

// adCosts returns campaign id's cost lines by source.
func adCosts(t *testing.T, ctx context.Context, mk *marketing.Service, id crmtype.ID) map[string]*marketing.Cost {
	t.Helper()
	page, err := mk.Costs(ctx, id, crmtype.MaxPageSize, "")
	require.NoError(t, err)
	out := map[string]*marketing.Cost{}
	for _, c := range page.Items {
		_, dup := out[c.Source]
		require.False(t, dup, "one cost line per source")
		out[c.Source] = c
	}
	return out
}

func TestAdMetrics(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		mk := client.Workspace("acme").Marketing
		other := client.Workspace("other").Marketing
		c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "winter search", Type: marketing.TypeAdvertising, Currency: "EUR", Channel: "search"})
		require.NoError(t, err)
		oc, err := other.CreateCampaign(ctx, marketing.CampaignParams{Name: "winter search", Type: marketing.TypeAdvertising, Currency: "EUR"})
		require.NoError(t, err)

		day1 := []marketing.AdMetric{
			{Day: "2026-11-24", Platform: "google-ads", Impressions: 10_000, Clicks: 250, Spend: eur(50_000), Conversions: 10, ConversionValue: eur(150_000)},
			{Day: "2026-11-24", Platform: "meta", Impressions: 40_000, Clicks: 400, Spend: eur(30_000), Conversions: 4.5},
			{Day: "2026-11-25", Platform: "google-ads", Impressions: 8_000, Clicks: 150, Spend: eur(40_000), Conversions: 6, ConversionValue: eur(90_000)},
		}

		// Bad input: a typed error naming the field, nothing written.
		bad := func(i int, mut func(m *marketing.AdMetric)) []marketing.AdMetric {
			ms := append([]marketing.AdMetric(nil), day1...)
			mut(&ms[i])
			return ms
		}
		for _, tc := range []struct {
			field string
			ms    []marketing.AdMetric
		}{
			{"metrics", nil},
			{"metrics[1].day", bad(1, func(m *marketing.AdMetric) { m.Day = "yesterday" })},
			{"metrics[2].clicks", bad(2, func(m *marketing.AdMetric) { m.Clicks = m.Impressions + 1 })},
			{"metrics[0].impressions", bad(0, func(m *marketing.AdMetric) { m.Impressions = -3 })},
			{"metrics[1].spend.currency", bad(1, func(m *marketing.AdMetric) { m.Spend.Currency = "USD" })},
			{"metrics[0].conversion_value.currency", bad(0, func(m *marketing.AdMetric) { m.ConversionValue.Currency = "GBP" })},
			{"metrics[2]", bad(2, func(m *marketing.AdMetric) { m.Day = "2026-11-24" })},
			{"metrics[1].platform", bad(1, func(m *marketing.AdMetric) { m.Platform = "meta; DROP TABLE" })},
		} {
			_, err := mk.ImportAdMetrics(ctx, c.ID, tc.ms)
			requireInvalidField(t, err, tc.field)
		}
		_, err = mk.ImportAdMetrics(ctx, crmtype.NewID(t0), day1)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.ImportAdMetrics(ctx, c.ID, day1)
		require.ErrorIs(t, err, crmtype.ErrNotFound, "another workspace's campaign")
		for _, ws := range []string{"acme", "other"} {
			require.Zero(t, countRows(t, ctx, db, "crm_campaign_ad_metrics", ws))
			require.Zero(t, countRows(t, ctx, db, "crm_campaign_costs", ws))
		}
		require.Empty(t, surveyEvents(t, ctx, db, "acme", marketing.EventAdMetricsImported))

		// The first import: three days new, one cost line each.
		res, err := mk.ImportAdMetrics(ctx, c.ID, day1)
		require.NoError(t, err)
		require.Equal(t, marketing.AdImportResult{Rows: 3, Added: 3, CostLinesAdded: 3}, *res)
		costs := adCosts(t, ctx, mk, c.ID)
		require.Len(t, costs, 3)
		g24 := costs["ads:google-ads:2026-11-24"]
		require.NotNil(t, g24)
		require.Equal(t, marketing.CostMedia, g24.Kind)
		require.Equal(t, eur(50_000), g24.Amount)
		require.Equal(t, "2026-11-24", g24.On)
		require.Equal(t, eur(30_000), costs["ads:meta:2026-11-24"].Amount)

		// The platform restates: the day is replaced, its cost line updated
		// in place; an unchanged day changes nothing; a new day is added.
		clock.Advance(24 * 60 * 60 * 1e9)
		restated := []marketing.AdMetric{
			{Day: "2026-11-24", Platform: "google-ads", Impressions: 10_500, Clicks: 260, Spend: eur(52_500), Conversions: 11, ConversionValue: eur(165_000)},
			day1[1],
			{Day: "2026-11-26", Platform: "meta", Impressions: 1_000, Clicks: 0, Spend: eur(0)},
		}
		res, err = mk.ImportAdMetrics(ctx, c.ID, restated)
		require.NoError(t, err)
		require.Equal(t, marketing.AdImportResult{Rows: 3, Added: 1, Restated: 1, Unchanged: 1, CostLinesUpdated: 1}, *res)
		costs2 := adCosts(t, ctx, mk, c.ID)
		require.Len(t, costs2, 3, "no line for a day without spend, none duplicated")
		require.Equal(t, g24.ID, costs2["ads:google-ads:2026-11-24"].ID, "the line is updated, not replaced")
		require.Equal(t, eur(52_500), costs2["ads:google-ads:2026-11-24"].Amount)
		// Again, as it is: idempotent.
		res, err = mk.ImportAdMetrics(ctx, c.ID, restated)
		require.NoError(t, err)
		require.Equal(t, marketing.AdImportResult{Rows: 3, Unchanged: 3}, *res)
		// Restated to zero: the line follows to zero.
		zero := day1[1]
		zero.Spend = eur(0)
		res, err = mk.ImportAdMetrics(ctx, c.ID, []marketing.AdMetric{zero})
		require.NoError(t, err)
		require.Equal(t, marketing.AdImportResult{Rows: 1, Restated: 1, CostLinesUpdated: 1}, *res)
		res, err = mk.ImportAdMetrics(ctx, c.ID, []marketing.AdMetric{day1[1]})
		require.NoError(t, err)
		require.Equal(t, 1, res.CostLinesUpdated)

		// Every day's cost line equals its spend; the ledger's sum is the
		// total spend.
		page, err := mk.AdMetrics(ctx, c.ID, marketing.AdMetricsParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 4)
		costs = adCosts(t, ctx, mk, c.ID)
		var spend int64
		for _, m := range page.Items {
			spend += m.Spend.Minor
			if m.Spend.Minor != 0 {
				require.Equal(t, m.Spend, costs[marketing.AdCostSource(m.Platform, m.Day)].Amount)
			}
		}
		roll, err := mk.Rollup(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]int64{"EUR": spend}, roll.Cost)
		require.Equal(t, int64(52_500+30_000+40_000), spend)

		// Read back: by day then platform, paged, filtered.
		m0 := page.Items[0]
		require.Equal(t, "2026-11-24", m0.Day)
		require.Equal(t, "google-ads", m0.Platform)
		require.Equal(t, int64(10_500), m0.Impressions)
		require.Equal(t, eur(165_000), m0.ConversionValue)
		require.Equal(t, t0, m0.ImportedAt, "the first import's time is kept")
		require.Equal(t, t0.Add(24*60*60*1e9), m0.UpdatedAt)
		require.False(t, page.Items[1].HasValue(), "meta reports no value")
		require.Equal(t, 4.5, page.Items[1].Conversions)
		var seen []string
		p := marketing.AdMetricsParams{Limit: 3}
		for {
			pg, err := mk.AdMetrics(ctx, c.ID, p)
			require.NoError(t, err)
			for _, m := range pg.Items {
				seen = append(seen, m.Day+"/"+m.Platform)
			}
			if pg.Next == "" {
				break
			}
			p.After = pg.Next
		}
		require.Equal(t, []string{"2026-11-24/google-ads", "2026-11-24/meta", "2026-11-25/google-ads", "2026-11-26/meta"}, seen)
		pg, err := mk.AdMetrics(ctx, c.ID, marketing.AdMetricsParams{From: "2026-11-25", To: "2026-11-26", Platform: "google-ads"})
		require.NoError(t, err)
		require.Len(t, pg.Items, 1)
		require.Equal(t, "2026-11-25", pg.Items[0].Day)
		_, err = mk.AdMetrics(ctx, c.ID, marketing.AdMetricsParams{From: "2026-11-26", To: "2026-11-25"})
		requireInvalidField(t, err, "to")

		// The summary, checked by hand. google-ads: 18 500 impressions, 410
		// clicks, 92 500 cents, 17 conversions worth 255 000 cents.
		sum, err := mk.AdSummary(ctx, c.ID, marketing.AdMetricsParams{})
		require.NoError(t, err)
		require.Len(t, sum.Platforms, 2)
		g := sum.Platforms[0]
		require.Equal(t, "google-ads", g.Platform)
		require.Equal(t, 2, g.Days)
		require.Equal(t, int64(18_500), g.Impressions)
		require.Equal(t, int64(410), g.Clicks)
		require.Equal(t, eur(92_500), g.Spend)
		require.Equal(t, 17.0, g.Conversions)
		require.Equal(t, eur(255_000), g.ConversionValue)
		require.Equal(t, 2, g.ValueDays)
		require.InDelta(t, 410.0/18_500, g.CTR, 1e-12)          // 2.216 %
		require.InDelta(t, 92_500.0/410, g.CPC, 1e-9)           // 225.6 cents a click
		require.InDelta(t, 5000.0, g.CPM, 1e-9)                 // 92 500 × 1000 / 18 500
		require.InDelta(t, 92_500.0/17, g.CostPerConversion, 0) // 5441.2 cents
		require.InDelta(t, 255_000.0/92_500, g.ROAS, 1e-12)     // 2.757
		m := sum.Platforms[1]
		require.Equal(t, "meta", m.Platform)
		require.Equal(t, int64(41_000), m.Impressions)
		require.Equal(t, int64(400), m.Clicks)
		require.InDelta(t, 30_000.0/400, m.CPC, 1e-12)
		require.InDelta(t, 30_000.0/4.5, m.CostPerConversion, 1e-9)
		require.Zero(t, m.ROAS, "no value reported")
		require.Equal(t, int64(59_500), sum.Total.Impressions)
		require.Equal(t, eur(122_500), sum.Total.Spend)
		require.InDelta(t, 255_000.0/122_500, sum.Total.ROAS, 1e-12)
		require.InDelta(t, 1000*122_500.0/59_500, sum.Total.CPM, 1e-9)
		one, err := mk.AdSummary(ctx, c.ID, marketing.AdMetricsParams{To: "2026-11-24", Platform: "meta"})
		require.NoError(t, err)
		require.Len(t, one.Platforms, 1)
		require.Equal(t, int64(40_000), one.Total.Impressions)
		require.InDelta(t, 0.01, one.Total.CTR, 1e-12)

		// One event per successful call, with the counts.
		evs := surveyEvents(t, ctx, db, "acme", marketing.EventAdMetricsImported)
		require.Len(t, evs, 5)
		require.Equal(t, c.ID, evs[1].Subject)
		require.Contains(t, evs[1].Changes, crmtype.Change{Field: "restated", After: float64(1)})
		require.Contains(t, evs[1].Changes, crmtype.Change{Field: "cost_lines_updated", After: float64(1)})
		require.Contains(t, evs[1].Changes, crmtype.Change{Field: "from", After: "2026-11-24"})
		require.Contains(t, evs[1].Changes, crmtype.Change{Field: "to", After: "2026-11-26"})

		// Two workspaces: neither sees the other's campaign.
		_, err = other.AdMetrics(ctx, c.ID, marketing.AdMetricsParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.AdSummary(ctx, c.ID, marketing.AdMetricsParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		res, err = other.ImportAdMetrics(ctx, oc.ID, day1[:1])
		require.NoError(t, err)
		require.Equal(t, 1, res.Added, "the same day in another workspace is its own")
		osum, err := other.AdSummary(ctx, oc.ID, marketing.AdMetricsParams{})
		require.NoError(t, err)
		require.Equal(t, int64(10_000), osum.Total.Impressions)
		require.Equal(t, 1, countRows(t, ctx, db, "crm_campaign_costs", "other"))
		_, err = mk.AdSummary(ctx, oc.ID, marketing.AdMetricsParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		sum2, err := mk.AdSummary(ctx, c.ID, marketing.AdMetricsParams{})
		require.NoError(t, err)
		require.Equal(t, sum.Total, sum2.Total)

		// Deleting the campaign removes its metrics (the foreign key
		// cascades).
		_, err = db.NewDelete().TableExpr("crm_campaigns").Where("workspace_id = ?", "other").Where("id = ?", oc.ID).Exec(ctx)
		require.NoError(t, err)
		require.Zero(t, countRows(t, ctx, db, "crm_campaign_ad_metrics", "other"))
		require.Equal(t, 4, countRows(t, ctx, db, "crm_campaign_ad_metrics", "acme"))
	})
}
