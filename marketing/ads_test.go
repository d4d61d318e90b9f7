package marketing

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestCheckAdMetrics(t *testing.T) {
	good := AdMetric{Day: "2026-11-25", Platform: " Google-Ads ", Impressions: 1000, Clicks: 50,
		Spend: crmtype.Money{Minor: 12_345, Currency: "EUR"}, Conversions: 2.5}
	out, err := checkAdMetrics([]AdMetric{good})
	require.NoError(t, err)
	require.Equal(t, "google-ads", out[0].Platform)
	require.Equal(t, "ads:google-ads:2026-11-25", AdCostSource(out[0].Platform, out[0].Day))

	bad := func(mut func(m *AdMetric)) AdMetric {
		m := good
		mut(&m)
		return m
	}
	for _, c := range []struct {
		field string
		ms    []AdMetric
	}{
		{"metrics", nil},
		{"metrics[1].day", []AdMetric{good, bad(func(m *AdMetric) { m.Day = "2026-11-31" })}},
		{"metrics[0].day", []AdMetric{bad(func(m *AdMetric) { m.Day = "25/11/2026" })}},
		{"metrics[0].platform", []AdMetric{bad(func(m *AdMetric) { m.Platform = "google ads" })}},
		{"metrics[0].platform", []AdMetric{bad(func(m *AdMetric) { m.Platform = "" })}},
		{"metrics[1]", []AdMetric{good, bad(func(m *AdMetric) { m.Platform = "google-ads" })}},
		{"metrics[0].impressions", []AdMetric{bad(func(m *AdMetric) { m.Impressions = -1 })}},
		{"metrics[0].clicks", []AdMetric{bad(func(m *AdMetric) { m.Clicks = -1 })}},
		{"metrics[3].clicks", []AdMetric{
			bad(func(m *AdMetric) { m.Day = "2026-11-22" }), bad(func(m *AdMetric) { m.Day = "2026-11-23" }),
			bad(func(m *AdMetric) { m.Day = "2026-11-24" }), bad(func(m *AdMetric) { m.Clicks = 1001 })}},
		{"metrics[0].spend", []AdMetric{bad(func(m *AdMetric) { m.Spend.Minor = -1 })}},
		{"metrics[0].conversions", []AdMetric{bad(func(m *AdMetric) { m.Conversions = -0.5 })}},
		{"metrics[0].conversions", []AdMetric{bad(func(m *AdMetric) { m.Conversions = math.NaN() })}},
		{"metrics[0].conversions", []AdMetric{bad(func(m *AdMetric) { m.Conversions = math.Inf(1) })}},
		{"metrics[0].conversion_value", []AdMetric{bad(func(m *AdMetric) { m.ConversionValue = crmtype.Money{Minor: -5, Currency: "EUR"} })}},
		{"metrics[0].conversion_value.currency", []AdMetric{bad(func(m *AdMetric) { m.ConversionValue = crmtype.Money{Minor: 5} })}},
	} {
		_, err := checkAdMetrics(c.ms)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", c.field, err)
		require.Equal(t, c.field, ve.Field)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	}

	// Currencies are checked against the campaign's.
	ms := []AdMetric{good, bad(func(m *AdMetric) { m.Day = "2026-11-26"; m.Spend = crmtype.Money{} })}
	require.NoError(t, checkAdCurrency(ms, "EUR"))
	require.Equal(t, "EUR", ms[1].Spend.Currency, "a zero spend takes the campaign's currency")
	err = checkAdCurrency([]AdMetric{good, bad(func(m *AdMetric) { m.Spend.Currency = "USD" })}, "EUR")
	require.Equal(t, "metrics[1].spend.currency", err.(*crmtype.ValidationError).Field)
	err = checkAdCurrency([]AdMetric{bad(func(m *AdMetric) { m.ConversionValue = crmtype.Money{Minor: 1, Currency: "USD"} })}, "EUR")
	require.Equal(t, "metrics[0].conversion_value.currency", err.(*crmtype.ValidationError).Field)
}

func TestSummarizeAds(t *testing.T) {
	id := crmtype.NewID(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	per := []AdTotals{
		{Platform: "google-ads", Days: 2, Impressions: 20_000, Clicks: 400, Spend: crmtype.Money{Minor: 60_000},
			Conversions: 16, ConversionValue: crmtype.Money{Minor: 240_000}, ValueDays: 2},
		{Platform: "meta", Days: 1, Impressions: 0, Clicks: 0, Spend: crmtype.Money{Minor: 0}, Conversions: 0},
	}
	s := SummarizeAds(id, "EUR", AdMetricsParams{From: "2026-11-01"}, per)
	require.Equal(t, "2026-11-01", s.From)
	g := s.Platforms[0]
	require.Equal(t, "EUR", g.Spend.Currency)
	require.InDelta(t, 400.0/20_000, g.CTR, 1e-12)          // 2 %
	require.InDelta(t, 60_000.0/400, g.CPC, 1e-12)          // 150 cents a click
	require.InDelta(t, 1000*60_000.0/20_000, g.CPM, 1e-12)  // 3000 cents per thousand
	require.InDelta(t, 60_000.0/16, g.CostPerConversion, 0) // 3750 cents
	require.InDelta(t, 16.0/400, g.ConversionRate, 1e-12)
	require.InDelta(t, 4.0, g.ROAS, 1e-12)
	// Zero denominators give 0.
	m := s.Platforms[1]
	require.Zero(t, m.CTR)
	require.Zero(t, m.CPC)
	require.Zero(t, m.CPM)
	require.Zero(t, m.CostPerConversion)
	require.Zero(t, m.ConversionRate)
	require.Zero(t, m.ROAS)
	require.Equal(t, AdTotals{Days: 3, Impressions: 20_000, Clicks: 400, Spend: crmtype.Money{Minor: 60_000, Currency: "EUR"},
		Conversions: 16, ConversionValue: crmtype.Money{Minor: 240_000, Currency: "EUR"}, ValueDays: 2,
		CTR: g.CTR, CPC: g.CPC, CPM: g.CPM, CostPerConversion: g.CostPerConversion, ConversionRate: g.ConversionRate, ROAS: g.ROAS}, s.Total)

	// Params: dates and platform.
	_, err := checkAdParams(AdMetricsParams{From: "2026-13-01"})
	require.Equal(t, "from", err.(*crmtype.ValidationError).Field)
	_, err = checkAdParams(AdMetricsParams{From: "2026-11-02", To: "2026-11-01"})
	require.Equal(t, "to", err.(*crmtype.ValidationError).Field)
	_, err = checkAdParams(AdMetricsParams{Platform: "a b"})
	require.Equal(t, "platform", err.(*crmtype.ValidationError).Field)
	p, err := checkAdParams(AdMetricsParams{Platform: " Meta "})
	require.NoError(t, err)
	require.Equal(t, "meta", p.Platform)
}
