package marketing

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Advertising. An advertising campaign's paid media report daily figures
// per platform (impressions, clicks, spend, the conversions the platform
// attributes to itself); ImportAdMetrics stores them, idempotent per
// campaign, platform and day, and keeps the campaign's cost ledger equal
// to the spend: one media cost line per platform and day, with Source
// AdCostSource(platform, day).

// AdMetric is one day of one ad platform's figures for a campaign.
type AdMetric struct {
	// Day is the civil date the figures are for, "2026-11-25" (the
	// platform account's day).
	Day string
	// Platform is the ad platform or channel: 1 to MaxSlugBytes lowercase
	// letters, digits, '_' and '-', e.g. "google-ads", "meta".
	Platform    string
	Impressions int64
	Clicks      int64 // at most Impressions
	// Spend is the day's cost in the campaign's currency; zero or more.
	Spend crmtype.Money
	// Conversions are the conversions the platform reports (possibly
	// fractional, as data-driven attribution gives them).
	Conversions float64
	// ConversionValue is the value the platform reports for them, in the
	// campaign's currency; the zero Money when it reports none.
	ConversionValue crmtype.Money
	// ImportedAt is when the figures were first imported, UpdatedAt when
	// they were last restated (set by the store).
	ImportedAt time.Time
	UpdatedAt  time.Time
}

// HasValue reports whether the platform reported a conversion value.
func (m AdMetric) HasValue() bool { return m.ConversionValue.Currency != "" }

// MaxAdMetrics bounds one ImportAdMetrics call.
const MaxAdMetrics = 10_000

// MaxConversions bounds AdMetric.Conversions.
const MaxConversions = 1e12

// AdCostSource returns the Source of the cost line that carries a
// platform's spend on a day: "ads:<platform>:<day>".
func AdCostSource(platform, day string) string { return "ads:" + platform + ":" + day }

// AdImportResult counts what ImportAdMetrics did.
type AdImportResult struct {
	Rows int // metrics given
	// Added counts the days new to the campaign, Restated the days whose
	// figures changed, Unchanged those imported again as they were.
	Added, Restated, Unchanged int
	// CostLinesAdded and CostLinesUpdated count the media cost lines made
	// and changed to follow the spend.
	CostLinesAdded, CostLinesUpdated int
}

// EventAdMetricsImported records one ImportAdMetrics call (not one per
// row), SubjectType SubjectCampaign. Changes: "rows", "added",
// "restated", "unchanged", "cost_lines_added", "cost_lines_updated",
// "from" and "to" (the days covered).
const EventAdMetricsImported = "campaign.ad_metrics_imported"

// AdEventTypes lists the event types of advertising.
var AdEventTypes = []string{EventAdMetricsImported}

// AdMetricsParams selects ad metrics. Zero fields do not filter.
type AdMetricsParams struct {
	// From and To bound the days, both included: "2026-11-01".
	From, To string
	Platform string
	Limit    int // AdMetrics' page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After    crmtype.Cursor
}

// AdTotals sums the ad metrics of one platform (or of all, Platform "")
// over the days selected, with the usual ratios. A ratio whose
// denominator is zero (no impressions, clicks, conversions or spend) is
// 0, not NaN or infinity.
type AdTotals struct {
	Platform    string
	Days        int // rows summed: days of this platform, or platform-days for the total
	Impressions int64
	Clicks      int64
	Spend       crmtype.Money
	Conversions float64
	// ConversionValue sums the values reported; ValueDays counts the
	// rows that reported one.
	ConversionValue crmtype.Money
	ValueDays       int
	// CTR is the click-through rate, Clicks / Impressions.
	CTR float64
	// CPC is the cost per click, CPM the cost per thousand impressions
	// and CostPerConversion the cost per conversion, each in minor units
	// of Spend.Currency.
	CPC               float64
	CPM               float64
	CostPerConversion float64
	// ConversionRate is Conversions / Clicks.
	ConversionRate float64
	// ROAS is the return on ad spend from the platforms' own figures,
	// ConversionValue / Spend (attributed revenue is the evaluation's).
	ROAS float64
}

// AdSummary is a campaign's ad metrics per platform, by platform, and
// their total.
type AdSummary struct {
	CampaignID crmtype.ID
	From, To   string // the selection's bounds; "" when open
	Platforms  []AdTotals
	Total      AdTotals
}

// AdStore stores ad metrics. Every method confines itself to the scope's
// workspace.
type AdStore interface {
	// ImportAdMetrics, in one transaction that locks campaign id
	// (ErrNotFound when it is not in the workspace): inserts each of ms
	// (distinct platform and day, validated) or replaces the figures
	// stored for its platform and day, keeping ImportedAt; keeps the
	// campaign's cost line with Source AdCostSource(platform, day) equal
	// to the spend, of kind media on the day, in currency — inserting it
	// (with an ID made at now) when missing and the spend is not zero,
	// updating its amount when it differs; and appends the event ev
	// returns for the counts. It returns the counts.
	ImportAdMetrics(ctx context.Context, sc crmtype.Scope, id crmtype.ID, currency string, ms []AdMetric, now time.Time, ev func(AdImportResult) crmtype.Event) (AdImportResult, error)
	// ListAdMetrics returns one page of campaign id's metrics that p
	// selects, by day then platform; ErrNotFound when there is no
	// campaign id.
	ListAdMetrics(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p AdMetricsParams, limit int) (crmtype.Page[*AdMetric], error)
	// AdTotals sums campaign id's metrics that p selects per platform, by
	// platform (ratios left zero); ErrNotFound when there is no campaign
	// id.
	AdTotals(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p AdMetricsParams) ([]AdTotals, error)
}

// ImportAdMetrics stores daily ad metrics of campaign id, idempotent per
// platform and day: a day imported again replaces that day's figures
// (platforms restate them). The cost ledger follows the spend: each
// platform and day has one media cost line, Source AdCostSource(platform,
// day), kept equal to the day's spend — added with the first non-zero
// spend, updated (never duplicated) when the spend is restated, set to 0
// when it is restated to 0. One EventAdMetricsImported records the call.
//
// Errors (nothing written): ErrInvalid "metrics" (none, or more than
// MaxAdMetrics), and naming the row's field: "metrics[i].day" (not a
// date), "metrics[i].platform", "metrics[i]" (the platform and day repeat
// an earlier row), "metrics[i].impressions", "metrics[i].clicks"
// (negative, or more than the impressions), "metrics[i].spend" (negative
// or beyond MaxAmountMinor), "metrics[i].spend.currency" (not the
// campaign's), "metrics[i].conversions" (negative or not finite),
// "metrics[i].conversion_value", "metrics[i].conversion_value.currency";
// ErrNotFound when the workspace has no campaign id.
func (s *Service) ImportAdMetrics(ctx context.Context, id crmtype.ID, ms []AdMetric) (*AdImportResult, error) {
	const op = "import ad metrics"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	rows, err := checkAdMetrics(ms)
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	if err := checkAdCurrency(rows, c.Currency); err != nil {
		return nil, wrap(op, err)
	}
	from, to := rows[0].Day, rows[0].Day
	for _, m := range rows {
		from, to = min(from, m.Day), max(to, m.Day)
	}
	now := s.clock.Now()
	res, err := s.store.ImportAdMetrics(ctx, sc, id, c.Currency, rows, now, func(r AdImportResult) crmtype.Event {
		return crmtype.Event{Time: now, Type: EventAdMetricsImported, SubjectType: SubjectCampaign, Subject: id, SubjectKey: c.Name,
			Changes: crmtype.DiffFields(nil, map[string]any{"rows": float64(r.Rows), "added": float64(r.Added),
				"restated": float64(r.Restated), "unchanged": float64(r.Unchanged), "cost_lines_added": float64(r.CostLinesAdded),
				"cost_lines_updated": float64(r.CostLinesUpdated), "from": from, "to": to})}
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return &res, nil
}

// checkAdMetrics validates ms and returns them normalised (platform
// lower case, the day as given, amounts as given).
func checkAdMetrics(ms []AdMetric) ([]AdMetric, error) {
	if len(ms) == 0 || len(ms) > MaxAdMetrics {
		return nil, crmtype.Invalidf("metrics", "has %d rows: give 1 to %d", len(ms), MaxAdMetrics)
	}
	out := make([]AdMetric, len(ms))
	seen := make(map[[2]string]int, len(ms))
	for i, m := range ms {
		f := func(name string) string { return fmt.Sprintf("metrics[%d].%s", i, name) }
		day := strings.TrimSpace(m.Day)
		if t, err := time.Parse(time.DateOnly, day); err != nil || t.Format(time.DateOnly) != day {
			return nil, crmtype.Invalidf(f("day"), "%q is not a date such as 2026-11-25", m.Day)
		}
		platform := strings.ToLower(strings.TrimSpace(m.Platform))
		if !check.Slug(platform, MaxSlugBytes) {
			return nil, crmtype.Invalidf(f("platform"), "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes)
		}
		if j, ok := seen[[2]string{platform, day}]; ok {
			return nil, crmtype.Invalidf(fmt.Sprintf("metrics[%d]", i), "repeats metrics[%d]: %s on %s", j, platform, day)
		}
		seen[[2]string{platform, day}] = i
		if m.Impressions < 0 {
			return nil, crmtype.Invalidf(f("impressions"), "is %d: counts are not negative", m.Impressions)
		}
		if m.Clicks < 0 {
			return nil, crmtype.Invalidf(f("clicks"), "is %d: counts are not negative", m.Clicks)
		}
		if m.Clicks > m.Impressions {
			return nil, crmtype.Invalidf(f("clicks"), "is %d, more than the %d impressions", m.Clicks, m.Impressions)
		}
		if m.Spend.Minor < 0 || m.Spend.Minor > MaxAmountMinor {
			return nil, crmtype.Invalidf(f("spend"), "is %d: give 0 to %d minor units", m.Spend.Minor, int64(MaxAmountMinor))
		}
		if math.IsNaN(m.Conversions) || m.Conversions < 0 || m.Conversions > MaxConversions {
			return nil, crmtype.Invalidf(f("conversions"), "is %g: give 0 to %g", m.Conversions, float64(MaxConversions))
		}
		if m.ConversionValue.Minor != 0 && m.ConversionValue.Currency == "" {
			return nil, crmtype.Invalid(f("conversion_value.currency"), "is required with an amount")
		}
		if m.ConversionValue.Minor < 0 || m.ConversionValue.Minor > MaxAmountMinor {
			return nil, crmtype.Invalidf(f("conversion_value"), "is %d: give 0 to %d minor units", m.ConversionValue.Minor, int64(MaxAmountMinor))
		}
		out[i] = AdMetric{Day: day, Platform: platform, Impressions: m.Impressions, Clicks: m.Clicks, Spend: m.Spend,
			Conversions: m.Conversions, ConversionValue: m.ConversionValue}
	}
	return out, nil
}

// checkAdCurrency checks that the amounts of ms are in currency; a zero
// spend without a currency takes it.
func checkAdCurrency(ms []AdMetric, currency string) error {
	for i := range ms {
		m := &ms[i]
		if m.Spend.Currency == "" && m.Spend.Minor == 0 {
			m.Spend.Currency = currency
		}
		if m.Spend.Currency != currency {
			return crmtype.Invalidf(fmt.Sprintf("metrics[%d].spend.currency", i), "is %q: the campaign's amounts are in %s", m.Spend.Currency, currency)
		}
		if m.HasValue() && m.ConversionValue.Currency != currency {
			return crmtype.Invalidf(fmt.Sprintf("metrics[%d].conversion_value.currency", i), "is %q: the campaign's amounts are in %s", m.ConversionValue.Currency, currency)
		}
	}
	return nil
}

func checkAdParams(p AdMetricsParams) (AdMetricsParams, error) {
	for _, f := range []struct {
		name string
		v    *string
	}{{"from", &p.From}, {"to", &p.To}} {
		*f.v = strings.TrimSpace(*f.v)
		if *f.v == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, *f.v); err != nil || t.Format(time.DateOnly) != *f.v {
			return p, crmtype.Invalidf(f.name, "%q is not a date such as 2026-11-25", *f.v)
		}
	}
	if p.From != "" && p.To != "" && p.To < p.From {
		return p, crmtype.Invalid("to", "is before from")
	}
	p.Platform = strings.ToLower(strings.TrimSpace(p.Platform))
	if p.Platform != "" && !check.Slug(p.Platform, MaxSlugBytes) {
		return p, crmtype.Invalidf("platform", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes)
	}
	return p, nil
}

// AdMetrics returns one page of campaign id's daily ad metrics that p
// selects, by day then platform. Errors: ErrInvalid "from", "to" (not a
// date, or before from), "platform", "limit", "cursor"; ErrNotFound when
// the workspace has no campaign id.
func (s *Service) AdMetrics(ctx context.Context, id crmtype.ID, p AdMetricsParams) (crmtype.Page[*AdMetric], error) {
	const op = "ad metrics"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*AdMetric]{}, err
	}
	p, err = checkAdParams(p)
	if err != nil {
		return crmtype.Page[*AdMetric]{}, wrap(op, err)
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*AdMetric]{}, wrap(op, err)
	}
	page, err := s.store.ListAdMetrics(ctx, sc, id, p, limit)
	return page, wrap(op, err)
}

// AdSummary sums campaign id's ad metrics that p selects (Limit and After
// are ignored) per platform and in total, with CTR, CPC, CPM, cost per
// conversion, conversion rate and ROAS (see AdTotals; a zero denominator
// gives 0). Errors: those of AdMetrics.
func (s *Service) AdSummary(ctx context.Context, id crmtype.ID, p AdMetricsParams) (*AdSummary, error) {
	const op = "ad summary"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	p, err = checkAdParams(p)
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	per, err := s.store.AdTotals(ctx, sc, id, p)
	if err != nil {
		return nil, wrap(op, err)
	}
	return SummarizeAds(id, c.Currency, p, per), nil
}

// SummarizeAds totals per-platform sums (as AdStore.AdTotals returns
// them) and fills in every ratio.
func SummarizeAds(id crmtype.ID, currency string, p AdMetricsParams, per []AdTotals) *AdSummary {
	sum := &AdSummary{CampaignID: id, From: p.From, To: p.To, Platforms: make([]AdTotals, len(per))}
	t := AdTotals{Spend: crmtype.Money{Currency: currency}, ConversionValue: crmtype.Money{Currency: currency}}
	for i, a := range per {
		a.Spend.Currency, a.ConversionValue.Currency = currency, currency
		sum.Platforms[i] = a.withRatios()
		t.Days += a.Days
		t.Impressions += a.Impressions
		t.Clicks += a.Clicks
		t.Spend.Minor += a.Spend.Minor
		t.Conversions += a.Conversions
		t.ConversionValue.Minor += a.ConversionValue.Minor
		t.ValueDays += a.ValueDays
	}
	sum.Total = t.withRatios()
	return sum
}

// withRatios returns a with its ratios computed from its sums.
func (a AdTotals) withRatios() AdTotals {
	spend := float64(a.Spend.Minor)
	a.CTR = ratio(float64(a.Clicks), float64(a.Impressions))
	a.CPC = ratio(spend, float64(a.Clicks))
	a.CPM = ratio(1000*spend, float64(a.Impressions))
	a.CostPerConversion = ratio(spend, a.Conversions)
	a.ConversionRate = ratio(a.Conversions, float64(a.Clicks))
	a.ROAS = ratio(float64(a.ConversionValue.Minor), spend)
	return a
}

// ratio is x / y, and 0 when y is 0.
func ratio(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	return x / y
}
