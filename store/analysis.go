package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

var _ analysis.Store = (*Store)(nil)

// epochShift moves Unix seconds from 1800 on to positive numbers, so that
// integer division floors on both databases: 62,091 days from 1800-01-01
// to 1970-01-01.
const epochShift = 62091 * 86400

// zoneOffsets returns, newest first, the UTC offsets (seconds) of loc and
// the instants from which each applies, between 1900 and until (the last
// offset applies to everything before its predecessor's instant).
func zoneOffsets(loc *time.Location, until time.Time) (offsets []int, from []time.Time) {
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for t := start; t.Before(until); {
		_, off := t.In(loc).Zone()
		begin, end := t.In(loc).ZoneBounds()
		if begin.Before(start) {
			begin = time.Time{}
		}
		offsets, from = append(offsets, off), append(from, begin)
		if end.IsZero() {
			break
		}
		t = end
	}
	for i, j := 0, len(offsets)-1; i < j; i, j = i+1, j-1 { // newest first
		offsets[i], offsets[j] = offsets[j], offsets[i]
		from[i], from[j] = from[j], from[i]
	}
	// Merge neighbours with the same offset (a change of abbreviation only).
	k := 0
	for i := range offsets {
		if k > 0 && offsets[k-1] == offsets[i] {
			from[k-1] = from[i]
			continue
		}
		offsets[k], from[k] = offsets[i], from[i]
		k++
	}
	return offsets[:k], from[:k]
}

// localSeconds returns an SQL expression of p.occurred_at as seconds since
// 1970 in loc's wall time (plus epochShift), and its arguments.
func (s *Store) localSeconds(loc *time.Location, until time.Time) (string, []any) {
	secs := "CAST(strftime('%s', p.occurred_at) AS INTEGER)"
	if s.pg {
		secs = "floor(extract(epoch FROM p.occurred_at))::bigint"
	}
	offsets, from := zoneOffsets(loc, until)
	if len(offsets) == 1 {
		return fmt.Sprintf("(%s + %d)", secs, offsets[0]+epochShift), nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("(" + secs + " + CASE")
	for i, off := range offsets {
		if from[i].IsZero() {
			fmt.Fprintf(&b, " ELSE %d", off+epochShift)
			break
		}
		fmt.Fprintf(&b, " WHEN p.occurred_at >= ? THEN %d", off+epochShift)
		args = append(args, from[i].UTC())
	}
	b.WriteString(" END)")
	return b.String(), args
}

// PurchaseSummaries implements analysis.Store: purchases are reduced to
// calendar days and then to one row per customer in the database.
func (s *Store) PurchaseSummaries(ctx context.Context, sc crmtype.Scope, currency string, cfg analysis.SummaryConfig) ([]analysis.CustomerSummary, error) {
	calEnd, lastDay, err := cfg.Days()
	if err != nil {
		return nil, err
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	last := time.Unix(lastDay*86400, 0).UTC()
	end := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc) // first instant after the last day
	secs, secArgs := s.localSeconds(loc, end)
	day := "(" + secs + " / 86400 - " + fmt.Sprint(epochShift/86400) + ")"
	big := func(e string) string {
		if s.pg {
			return e + "::bigint"
		}
		return e
	}
	query := `WITH d AS (
	SELECT p.customer_id AS customer, ` + day + ` AS day, sum(p.amount_minor) AS v
	FROM crm_purchases AS p
	WHERE p.workspace_id = ? AND p.currency = ? AND p.occurred_at < ?
	GROUP BY 1, 2
), f AS (SELECT customer, min(day) AS first FROM d GROUP BY customer)
SELECT d.customer AS customer, f.first AS first_day,
	max(CASE WHEN d.day <= ? THEN d.day END) AS last_day,
	` + big("sum(CASE WHEN d.day > f.first AND d.day <= ? THEN 1 ELSE 0 END)") + ` AS x,
	` + big("sum(CASE WHEN d.day = f.first THEN d.v ELSE 0 END)") + ` AS first_value,
	` + big("sum(CASE WHEN d.day > f.first AND d.day <= ? THEN d.v ELSE 0 END)") + ` AS repeat_value,
	` + big("sum(CASE WHEN d.day > ? THEN 1 ELSE 0 END)") + ` AS holdout_x,
	` + big("sum(CASE WHEN d.day > ? THEN d.v ELSE 0 END)") + ` AS holdout_value
FROM d JOIN f ON f.customer = d.customer
WHERE f.first <= ?
GROUP BY d.customer, f.first
ORDER BY d.customer`
	args := append(secArgs, string(sc.Workspace), currency, end.UTC(), calEnd, calEnd, calEnd, calEnd, calEnd, calEnd)
	var rows []struct {
		Customer     string `bun:"customer"`
		FirstDay     int64  `bun:"first_day"`
		LastDay      int64  `bun:"last_day"`
		X            int    `bun:"x"`
		FirstValue   int64  `bun:"first_value"`
		RepeatValue  int64  `bun:"repeat_value"`
		HoldoutX     int    `bun:"holdout_x"`
		HoldoutValue int64  `bun:"holdout_value"`
	}
	if err := s.db.NewRaw(query, args...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]analysis.CustomerSummary, len(rows))
	for i, r := range rows {
		out[i] = cfg.FromDays(analysis.DayAggregate{Customer: r.Customer, FirstDay: r.FirstDay, LastDay: r.LastDay,
			X: r.X, FirstValue: r.FirstValue, RepeatValue: r.RepeatValue, HoldoutX: r.HoldoutX, HoldoutValue: r.HoldoutValue})
	}
	return out, nil
}

// PurchaseMonths implements analysis.Store.
func (s *Store) PurchaseMonths(ctx context.Context, sc crmtype.Scope, currency string, loc *time.Location) ([]analysis.CohortPurchase[string], error) {
	secs, secArgs := s.localSeconds(loc, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	month := "strftime('%Y-%m', " + secs + " - " + fmt.Sprint(epochShift) + ", 'unixepoch')"
	sum := "sum(p.amount_minor)"
	if s.pg {
		month = "to_char(to_timestamp(" + secs + " - " + fmt.Sprint(epochShift) + ") AT TIME ZONE 'UTC', 'YYYY-MM')"
		sum += "::bigint"
	}
	query := `SELECT p.customer_id AS customer, ` + month + ` AS month, ` + sum + ` AS v
FROM crm_purchases AS p
WHERE p.workspace_id = ? AND p.currency = ?
GROUP BY 1, 2
ORDER BY 1, 2`
	var rows []struct {
		Customer string `bun:"customer"`
		Month    string `bun:"month"`
		V        int64  `bun:"v"`
	}
	if err := s.db.NewRaw(query, append(secArgs, string(sc.Workspace), currency)...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]analysis.CohortPurchase[string], len(rows))
	for i, r := range rows {
		m, err := time.Parse("2006-01", r.Month)
		if err != nil {
			return nil, fmt.Errorf("store: purchase months: %w", err)
		}
		// Noon: midnight of the 1st may not exist where clocks change then.
		out[i] = analysis.CohortPurchase[string]{Customer: r.Customer, At: time.Date(m.Year(), m.Month(), 1, 12, 0, 0, 0, loc), Amount: r.V}
	}
	return out, nil
}
