package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

type purchaseRow struct {
	bun.BaseModel `bun:"table:crm_purchases,alias:p"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	OccurredAt  time.Time  `bun:"occurred_at"`
	AmountMinor int64      `bun:"amount_minor"`
	Currency    string     `bun:"currency"`
	Quantity    int64      `bun:"quantity"`
	Channel     string     `bun:"channel"`
	OrderID     *string    `bun:"order_id"`
	Description string     `bun:"description"`
	CreatedAt   time.Time  `bun:"created_at"`
	RecordedBy  string     `bun:"recorded_by"`
}

func (r *purchaseRow) toPurchase() *customer.Purchase {
	p := &customer.Purchase{ID: r.ID, CustomerID: r.CustomerID, OccurredAt: r.OccurredAt.UTC(),
		Amount: crmtype.Money{Minor: r.AmountMinor, Currency: r.Currency}, Quantity: r.Quantity,
		Channel: r.Channel, Description: r.Description, CreatedAt: r.CreatedAt.UTC()}
	if r.OrderID != nil {
		p.OrderID = *r.OrderID
	}
	return p
}

// purchaseEvent is the purchase.recorded event a purchase row stands for
// on its customer's timeline and in its audit trail.
func (r *purchaseRow) purchaseEvent(ws crmtype.WorkspaceID) crmtype.Event {
	p := r.toPurchase()
	return crmtype.Event{ID: p.ID, Workspace: ws, Time: p.OccurredAt, Type: customer.EventPurchaseRecorded,
		SubjectType: customer.SubjectPurchase, Subject: p.ID, Customer: p.CustomerID, Actor: r.RecordedBy,
		Changes: customer.PurchaseChanges(p)}
}

// InsertPurchases implements customer.Store.
func (s *Store) InsertPurchases(ctx context.Context, sc crmtype.Scope, ps []*customer.Purchase) error {
	if len(ps) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		customers := map[crmtype.ID]bool{}
		orders := map[string]bool{}
		var orderIDs []string
		rows := make([]purchaseRow, len(ps))
		for i, p := range ps {
			customers[p.CustomerID] = true
			rows[i] = purchaseRow{WorkspaceID: string(sc.Workspace), ID: p.ID, CustomerID: p.CustomerID,
				OccurredAt: p.OccurredAt, AmountMinor: p.Amount.Minor, Currency: p.Amount.Currency,
				Quantity: p.Quantity, Channel: p.Channel, Description: p.Description, CreatedAt: p.CreatedAt, RecordedBy: sc.Actor}
			if p.OrderID != "" {
				if orders[p.OrderID] {
					return &crmtype.ConflictError{Resource: "purchase", Field: "order_id", Value: p.OrderID, Reason: "is given twice"}
				}
				orders[p.OrderID] = true
				orderIDs = append(orderIDs, p.OrderID)
				rows[i].OrderID = &ps[i].OrderID
			}
		}
		if err := tx.checkCustomersExist(ctx, sc, customers); err != nil {
			return err
		}
		for i := 0; i < len(orderIDs); i += batchRows {
			var taken []purchaseRow
			q := tx.db.NewSelect().Model(&taken).Column("p.id", "p.order_id").
				Where("p.order_id IN (?)", bun.In(orderIDs[i:min(i+batchRows, len(orderIDs))]))
			if err := where(q, "p", sc).Limit(1).Scan(ctx); err != nil {
				return err
			}
			if len(taken) > 0 {
				return &crmtype.ConflictError{Resource: "purchase", Field: "order_id", Value: *taken[0].OrderID, HeldBy: taken[0].ID}
			}
		}
		if err := insertChunks(ctx, tx.db, rows); err != nil {
			if constraintKind(err) == "unique" { // lost a race with a concurrent writer
				return &crmtype.ConflictError{Resource: "purchase", Field: "order_id", Reason: "is already recorded"}
			}
			return mapError(err)
		}
		// One event for the batch: the timeline and the audit trail read
		// each purchase from its row (purchaseEvent).
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: ps[0].CreatedAt, Type: customer.EventPurchasesRecorded,
			SubjectType: customer.SubjectPurchase, Changes: customer.PurchaseBatchChanges(ps)}})
	})
}

// checkCustomersExist returns ErrNotFound naming the first id that is not a
// customer (live or soft-deleted, not erased) of the workspace.
func (s *Store) checkCustomersExist(ctx context.Context, sc crmtype.Scope, ids map[crmtype.ID]bool) error {
	want := make([]crmtype.ID, 0, len(ids))
	for id := range ids {
		want = append(want, id)
	}
	sort.Slice(want, func(i, j int) bool { return string(want[i][:]) < string(want[j][:]) })
	found := make(map[crmtype.ID]bool, len(want))
	for i := 0; i < len(want); i += batchRows {
		var got []crmtype.ID
		q := s.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").Where("c.id IN (?)", bun.In(want[i:min(i+batchRows, len(want))])).
			Where("c.erased_at IS NULL") // an erased customer takes no new personal data
		if err := where(q, "c", sc).Scan(ctx, &got); err != nil {
			return err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	for _, id := range want {
		if !found[id] {
			return fmt.Errorf("customer %s: %w", id, crmtype.ErrNotFound)
		}
	}
	return nil
}

type purchaseCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListPurchases implements customer.Store: newest first.
func (s *Store) ListPurchases(ctx context.Context, sc crmtype.Scope, customerID crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*customer.Purchase], error) {
	var page crmtype.Page[*customer.Purchase]
	var rows []purchaseRow
	q := s.db.NewSelect().Model(&rows).Where("p.customer_id = ?", customerID)
	if after != "" {
		var cur purchaseCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return page, err
		}
		q = q.Where("p.occurred_at < ? OR (p.occurred_at = ? AND p.id < ?)", cur.At, cur.At, cur.ID)
	}
	if err := where(q, "p", sc).OrderExpr("p.occurred_at DESC").OrderExpr("p.id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) == 0 && after == "" {
		if err := s.checkCustomersExist(ctx, sc, map[crmtype.ID]bool{customerID: true}); err != nil {
			return page, err
		}
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(purchaseCursor{At: last.OccurredAt.UTC(), ID: last.ID})
	}
	page.Items = make([]*customer.Purchase, len(rows))
	for i := range rows {
		page.Items[i] = rows[i].toPurchase()
	}
	return page, nil
}

// PurchaseStats implements customer.Store.
func (s *Store) PurchaseStats(ctx context.Context, sc crmtype.Scope, customerID crmtype.ID) (customer.PurchaseStats, error) {
	var st customer.PurchaseStats
	var groups []struct {
		Currency string    `bun:"currency"`
		N        int       `bun:"n"`
		Total    int64     `bun:"total"`
		First    time.Time `bun:"first"`
		Last     time.Time `bun:"last"`
	}
	sum := "sum(p.amount_minor)"
	if s.pg {
		sum += "::bigint" // sum(bigint) is numeric on PostgreSQL
	}
	q := s.db.NewSelect().Model((*purchaseRow)(nil)).
		ColumnExpr("p.currency, count(*) AS n, "+sum+" AS total").
		ColumnExpr("min(p.occurred_at) AS first, max(p.occurred_at) AS last").
		Where("p.customer_id = ?", customerID).GroupExpr("p.currency").OrderExpr("p.currency")
	if err := where(q, "p", sc).Scan(ctx, &groups); err != nil {
		return st, err
	}
	if len(groups) == 0 {
		return st, s.checkCustomersExist(ctx, sc, map[crmtype.ID]bool{customerID: true})
	}
	for _, g := range groups {
		first, last := g.First.UTC(), g.Last.UTC()
		st.Count += g.N
		st.Totals = append(st.Totals, crmtype.Money{Minor: g.Total, Currency: g.Currency})
		if st.First.IsZero() || first.Before(st.First) {
			st.First = first
		}
		if last.After(st.Last) {
			st.Last = last
		}
	}
	return st, nil
}
