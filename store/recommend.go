package store

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

var _ communication.ResponseStore = (*Store)(nil)

// historyPage is how many rows one statement of ScanResponseHistory reads.
const historyPage = 5000

type historyRow struct {
	ID         crmtype.ID `bun:"id"`
	CustomerID crmtype.ID `bun:"customer_id"`
	Channel    string     `bun:"channel"`
	Direction  string     `bun:"direction"`
	OccurredAt time.Time  `bun:"occurred_at"`
	Answered   int        `bun:"answered"`
}

// ScanResponseHistory implements communication.ResponseStore.
//
// Every statement reads one table through one index, so that no planner
// can turn it into a join that rescans: the interactions in pages of
// historyPage rows, the time zones of each page's customers by primary key.
//
//   - The workspace: keyset pages on (customer_id, occurred_at, id), a
//     range of the crm_interactions_customer index (workspace_id,
//     customer_id, occurred_at, id) read in order, without a sort.
//   - A segment: its ids sorted and read in windows of batchRows
//     customers, each window one statement (customer_id IN the window and
//     between its first and last id, ordered, LIMIT historyPage). When a window fills the page, the
//     customer it ended in is finished with keyset pages on (occurred_at,
//     id) of that one customer, and the next window starts after it; so
//     each row is read at most twice, and a customer with a long history
//     costs no more than in the workspace scan.
func (s *Store) ScanResponseHistory(ctx context.Context, sc crmtype.Scope, q communication.HistoryQuery, fn func([]communication.HistoryRow) error) error {
	answered := "0"
	var answeredArgs []any
	var conds []string
	if len(q.AnsweredStatuses) > 0 {
		conds = append(conds, "i.status IN (?)")
		answeredArgs = append(answeredArgs, bun.In(q.AnsweredStatuses))
	}
	if len(q.AnsweredOutcomes) > 0 {
		conds = append(conds, "i.outcome IN (?)")
		answeredArgs = append(answeredArgs, bun.In(q.AnsweredOutcomes))
	}
	if len(conds) > 0 {
		answered = "CASE WHEN i.direction = 'outbound' AND (" + strings.Join(conds, " OR ") + ") THEN 1 ELSE 0 END"
	}
	base := func() *bun.SelectQuery {
		qq := s.db.NewSelect().TableExpr("crm_interactions AS i").
			ColumnExpr("i.id, i.customer_id, i.channel, i.direction, i.occurred_at").
			ColumnExpr(answered+" AS answered", answeredArgs...)
		qq = where(qq, "i", sc)
		if !q.From.IsZero() {
			qq = qq.Where("i.occurred_at >= ?", q.From.UTC())
		}
		if !q.Until.IsZero() {
			qq = qq.Where("i.occurred_at < ?", q.Until.UTC())
		}
		if len(q.Channels) > 0 {
			qq = qq.Where("i.channel IN (?)", bun.In(q.Channels))
		}
		return qq
	}
	h := historyScan{s: s, sc: sc, fn: fn, zones: map[crmtype.ID]string{}, out: make([]communication.HistoryRow, 0, historyPage)}
	if q.CustomerIDs == nil {
		var last *historyRow
		for {
			qq := base()
			if last != nil {
				qq = qq.Where("(i.customer_id, i.occurred_at, i.id) > (?, ?, ?)", last.CustomerID, last.OccurredAt.UTC(), last.ID)
			}
			rows, err := h.page(ctx, qq.OrderExpr("i.customer_id, i.occurred_at, i.id"))
			if err != nil || len(rows) < historyPage {
				return err
			}
			last = &rows[len(rows)-1]
		}
	}
	ids := slices.Clone(q.CustomerIDs)
	slices.SortFunc(ids, func(a, b crmtype.ID) int { return bytes.Compare(a[:], b[:]) })
	ids = slices.Compact(ids)
	for k := 0; k < len(ids); {
		win := ids[k:min(k+batchRows, len(ids))]
		// The range bounds the index scan to the window's stretch of the
		// index (PostgreSQL before 17 otherwise reads the index in order
		// from the start, filtering by the list); windows are disjoint, so
		// the statements together read the index at most once.
		rows, err := h.page(ctx, base().Where("i.customer_id IN (?)", bun.In(win)).
			Where("i.customer_id >= ? AND i.customer_id <= ?", win[0], win[len(win)-1]).
			OrderExpr("i.customer_id, i.occurred_at, i.id"))
		if err != nil {
			return err
		}
		if len(rows) < historyPage {
			k += len(win)
			continue
		}
		last := rows[len(rows)-1]
		for len(rows) == historyPage { // finish the customer the page ended in
			rows, err = h.page(ctx, base().Where("i.customer_id = ?", last.CustomerID).
				Where("(i.occurred_at, i.id) > (?, ?)", last.OccurredAt.UTC(), last.ID).OrderExpr("i.occurred_at, i.id"))
			if err != nil {
				return err
			}
			if len(rows) > 0 {
				last = rows[len(rows)-1]
			}
		}
		k += sort.Search(len(ids)-k, func(j int) bool { return bytes.Compare(ids[k+j][:], last.CustomerID[:]) > 0 })
	}
	return nil
}

// historyScan reads pages of history and hands them, with their
// customers' time zones, to fn.
type historyScan struct {
	s     *Store
	sc    crmtype.Scope
	fn    func([]communication.HistoryRow) error
	zones map[crmtype.ID]string // of the previous page's customers
	out   []communication.HistoryRow
}

// page runs q with LIMIT historyPage and passes its rows to fn; it
// returns the rows read.
func (h *historyScan) page(ctx context.Context, q *bun.SelectQuery) ([]historyRow, error) {
	var rows []historyRow
	if err := q.Limit(historyPage).Scan(ctx, &rows); err != nil {
		return nil, mapError(err)
	}
	if len(rows) == 0 {
		return rows, nil
	}
	zones := make(map[crmtype.ID]string, len(h.zones))
	var need []crmtype.ID
	for _, r := range rows {
		if _, ok := zones[r.CustomerID]; ok {
			continue
		}
		if z, ok := h.zones[r.CustomerID]; ok {
			zones[r.CustomerID] = z
			continue
		}
		zones[r.CustomerID] = ""
		need = append(need, r.CustomerID)
	}
	for i := 0; i < len(need); i += batchRows {
		var got []struct {
			ID       crmtype.ID `bun:"id"`
			TimeZone string     `bun:"time_zone"`
		}
		qq := h.s.db.NewSelect().TableExpr("crm_customers AS c").ColumnExpr("c.id, c.time_zone").
			Where("c.id IN (?)", bun.In(need[i:min(i+batchRows, len(need))]))
		if err := where(qq, "c", h.sc).Scan(ctx, &got); err != nil {
			return nil, mapError(err)
		}
		for _, g := range got {
			zones[g.ID] = g.TimeZone
		}
	}
	h.zones = zones
	h.out = h.out[:0]
	for _, r := range rows {
		h.out = append(h.out, communication.HistoryRow{ID: r.ID, CustomerID: r.CustomerID, TimeZone: zones[r.CustomerID],
			Channel: communication.Channel(r.Channel), Direction: communication.Direction(r.Direction),
			OccurredAt: r.OccurredAt.UTC(), Answered: r.Answered != 0})
	}
	return rows, h.fn(h.out)
}
