package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var _ marketing.AdStore = (*Store)(nil)

type adMetricRow struct {
	bun.BaseModel `bun:"table:crm_campaign_ad_metrics,alias:adm"`

	WorkspaceID     string     `bun:"workspace_id,pk"`
	CampaignID      crmtype.ID `bun:"campaign_id,pk,type:uuid"`
	Platform        string     `bun:"platform,pk"`
	Day             string     `bun:"day,pk"`
	Impressions     int64      `bun:"impressions"`
	Clicks          int64      `bun:"clicks"`
	SpendMinor      int64      `bun:"spend_minor"`
	Currency        string     `bun:"currency"`
	Conversions     float64    `bun:"conversions"`
	ConversionValue *int64     `bun:"conversion_value_minor"`
	ImportedAt      time.Time  `bun:"imported_at"`
	UpdatedAt       time.Time  `bun:"updated_at"`
}

func (r *adMetricRow) toAdMetric() *marketing.AdMetric {
	m := &marketing.AdMetric{Day: r.Day, Platform: r.Platform, Impressions: r.Impressions, Clicks: r.Clicks,
		Spend: crmtype.Money{Minor: r.SpendMinor, Currency: r.Currency}, Conversions: r.Conversions,
		ImportedAt: r.ImportedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ConversionValue != nil {
		m.ConversionValue = crmtype.Money{Minor: *r.ConversionValue, Currency: r.Currency}
	}
	return m
}

// sameFigures reports whether r holds m's figures.
func (r *adMetricRow) sameFigures(m *adMetricRow) bool {
	sameValue := (r.ConversionValue == nil) == (m.ConversionValue == nil) &&
		(r.ConversionValue == nil || *r.ConversionValue == *m.ConversionValue)
	return r.Impressions == m.Impressions && r.Clicks == m.Clicks && r.SpendMinor == m.SpendMinor &&
		r.Currency == m.Currency && r.Conversions == m.Conversions && sameValue
}

// ImportAdMetrics implements marketing.AdStore.
func (s *Store) ImportAdMetrics(ctx context.Context, sc crmtype.Scope, id crmtype.ID, currency string, ms []marketing.AdMetric, now time.Time, ev func(marketing.AdImportResult) crmtype.Event) (marketing.AdImportResult, error) {
	var res marketing.AdImportResult
	now = now.UTC()
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		res = marketing.AdImportResult{Rows: len(ms)}
		// Lock the campaign: imports of one campaign take turns.
		var cmp campaignRow
		q := tx.db.NewSelect().Model(&cmp).Column("cmp.id").Where("cmp.id = ?", id)
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "cmp", sc).Scan(ctx); err != nil {
			return fmt.Errorf("campaign %s: %w", id, mapError(err))
		}
		from, to := ms[0].Day, ms[0].Day
		for _, m := range ms {
			from, to = min(from, m.Day), max(to, m.Day)
		}
		var have []adMetricRow
		if err := where(tx.db.NewSelect().Model(&have).Where("adm.campaign_id = ?", id).
			Where("adm.day >= ?", from).Where("adm.day <= ?", to), "adm", sc).Scan(ctx); err != nil {
			return err
		}
		stored := make(map[[2]string]*adMetricRow, len(have))
		for i := range have {
			stored[[2]string{have[i].Platform, have[i].Day}] = &have[i]
		}
		var fresh []adMetricRow
		for _, m := range ms {
			row := adMetricRow{WorkspaceID: string(sc.Workspace), CampaignID: id, Platform: m.Platform, Day: m.Day,
				Impressions: m.Impressions, Clicks: m.Clicks, SpendMinor: m.Spend.Minor, Currency: currency,
				Conversions: m.Conversions, ImportedAt: now, UpdatedAt: now}
			if m.HasValue() {
				v := m.ConversionValue.Minor
				row.ConversionValue = &v
			}
			old := stored[[2]string{m.Platform, m.Day}]
			switch {
			case old == nil:
				fresh = append(fresh, row)
				res.Added++
			case old.sameFigures(&row):
				res.Unchanged++
			default:
				if _, err := where(tx.db.NewUpdate().Model(&row).
					Column("impressions", "clicks", "spend_minor", "currency", "conversions", "conversion_value_minor", "updated_at").
					Where("adm.campaign_id = ?", id).Where("adm.platform = ?", m.Platform).Where("adm.day = ?", m.Day), "adm", sc).
					Exec(ctx); err != nil {
					return mapError(err)
				}
				res.Restated++
			}
		}
		if err := insertChunks(ctx, tx.db, fresh); err != nil {
			return mapError(err)
		}
		if err := tx.followAdSpend(ctx, sc, id, currency, ms, now, &res); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev(res)})
	})
	return res, err
}

// followAdSpend keeps the media cost line of each metric's platform and
// day equal to its spend.
func (s *Store) followAdSpend(ctx context.Context, sc crmtype.Scope, id crmtype.ID, currency string, ms []marketing.AdMetric, now time.Time, res *marketing.AdImportResult) error {
	lines := make(map[string]*costRow, len(ms))
	for start := 0; start < len(ms); start += batchRows {
		sources := make([]string, 0, batchRows)
		for _, m := range ms[start:min(start+batchRows, len(ms))] {
			sources = append(sources, marketing.AdCostSource(m.Platform, m.Day))
		}
		var rows []costRow
		if err := where(s.db.NewSelect().Model(&rows).Where("cst.campaign_id = ?", id).Where("cst.source IN (?)", bun.In(sources)),
			"cst", sc).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			lines[rows[i].Source] = &rows[i]
		}
	}
	var fresh []costRow
	for _, m := range ms {
		source := marketing.AdCostSource(m.Platform, m.Day)
		line := lines[source]
		switch {
		case line == nil && m.Spend.Minor == 0:
		case line == nil:
			fresh = append(fresh, costRow{WorkspaceID: string(sc.Workspace), ID: crmtype.NewID(now), CampaignID: id,
				Kind: string(marketing.CostMedia), AmountMinor: m.Spend.Minor, Currency: currency, IncurredOn: m.Day,
				Note: m.Platform + " ads", Source: source, CreatedAt: now})
			res.CostLinesAdded++
		case line.AmountMinor != m.Spend.Minor || line.Currency != currency:
			if _, err := where(s.db.NewUpdate().Model((*costRow)(nil)).Set("amount_minor = ?", m.Spend.Minor).
				Set("currency = ?", currency).Where("cst.campaign_id = ?", id).Where("cst.source = ?", source), "cst", sc).
				Exec(ctx); err != nil {
				return mapError(err)
			}
			res.CostLinesUpdated++
		}
	}
	return mapError(insertChunks(ctx, s.db, fresh))
}

type adMetricCursor struct {
	Day      string `json:"d"`
	Platform string `json:"p"`
}

func adFilter(q *bun.SelectQuery, id crmtype.ID, p marketing.AdMetricsParams) *bun.SelectQuery {
	q = q.Where("adm.campaign_id = ?", id)
	if p.From != "" {
		q = q.Where("adm.day >= ?", p.From)
	}
	if p.To != "" {
		q = q.Where("adm.day <= ?", p.To)
	}
	if p.Platform != "" {
		q = q.Where("adm.platform = ?", p.Platform)
	}
	return q
}

// ListAdMetrics implements marketing.AdStore.
func (s *Store) ListAdMetrics(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p marketing.AdMetricsParams, limit int) (crmtype.Page[*marketing.AdMetric], error) {
	var page crmtype.Page[*marketing.AdMetric]
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return page, err
	}
	var rows []adMetricRow
	q := adFilter(s.db.NewSelect().Model(&rows), id, p)
	if p.After != "" {
		var cur adMetricCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.Day == "" {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("adm.day > ? OR (adm.day = ? AND adm.platform > ?)", cur.Day, cur.Day, cur.Platform)
	}
	if err := where(q, "adm", sc).OrderExpr("adm.day, adm.platform").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(adMetricCursor{Day: last.Day, Platform: last.Platform})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toAdMetric())
	}
	return page, nil
}

// AdTotals implements marketing.AdStore.
func (s *Store) AdTotals(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p marketing.AdMetricsParams) ([]marketing.AdTotals, error) {
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return nil, err
	}
	var rows []struct {
		Platform    string  `bun:"platform"`
		Days        int     `bun:"days"`
		Impressions int64   `bun:"impressions"`
		Clicks      int64   `bun:"clicks"`
		Spend       int64   `bun:"spend"`
		Conversions float64 `bun:"conversions"`
		Value       int64   `bun:"value"`
		ValueDays   int     `bun:"value_days"`
	}
	q := adFilter(s.db.NewSelect().Model((*adMetricRow)(nil)), id, p).ColumnExpr(`adm.platform, COUNT(*) AS days,
COALESCE(SUM(adm.impressions), 0) AS impressions, COALESCE(SUM(adm.clicks), 0) AS clicks,
COALESCE(SUM(adm.spend_minor), 0) AS spend, COALESCE(SUM(adm.conversions), 0) AS conversions,
COALESCE(SUM(adm.conversion_value_minor), 0) AS value, COUNT(adm.conversion_value_minor) AS value_days`)
	if err := where(q, "adm", sc).GroupExpr("adm.platform").OrderExpr("adm.platform").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]marketing.AdTotals, len(rows))
	for i, r := range rows {
		out[i] = marketing.AdTotals{Platform: r.Platform, Days: r.Days, Impressions: r.Impressions, Clicks: r.Clicks,
			Spend: crmtype.Money{Minor: r.Spend}, Conversions: r.Conversions, ConversionValue: crmtype.Money{Minor: r.Value},
			ValueDays: r.ValueDays}
	}
	return out, nil
}
