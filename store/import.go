package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// UpdateCustomers implements customer.Store: one statement per customer
// row (each checks its version), and one per chunk of rows for the tags,
// identities, search documents and events of them all.
func (s *Store) UpdateCustomers(ctx context.Context, sc crmtype.Scope, cs []customer.CustomerChange) error {
	if len(cs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var ids []crmtype.ID
		if err := tx.updateCustomers(ctx, sc, cs, &ids); err != nil {
			return err
		}
		return tx.reindexAll(ctx, sc, ids)
	})
}

// SaveImport implements customer.Store: InsertCustomers, UpdateCustomers
// and InsertPossibleDuplicates in one savepoint, the search documents
// written last. On SQLite every statement after a write to the full-text
// index flushes it to a new segment, and deleting a document from a
// secure-delete index costs a walk of every segment: writing them once, at
// the end, keeps one segment per batch.
func (s *Store) SaveImport(ctx context.Context, sc crmtype.Scope, creates []*customer.Customer, changes []customer.CustomerChange, pairs []customer.PossibleDuplicate) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var docs []searchDoc
		var ids []crmtype.ID
		if len(creates) > 0 {
			if err := tx.insertCustomers(ctx, sc, creates, &docs); err != nil {
				return err
			}
		}
		if err := tx.updateCustomers(ctx, sc, changes, &ids); err != nil {
			return err
		}
		if err := tx.insertPossibleDuplicates(ctx, sc, pairs); err != nil {
			return err
		}
		if err := tx.putSearchDocs(ctx, sc, docs); err != nil {
			return err
		}
		return tx.reindexAll(ctx, sc, ids)
	})
}

// reindexAll rebuilds the search documents of ids, a chunk at a time.
func (s *Store) reindexAll(ctx context.Context, sc crmtype.Scope, ids []crmtype.ID) error {
	for i := 0; i < len(ids); i += batchRows {
		if err := s.reindex(ctx, sc, ids[i:min(i+batchRows, len(ids))]...); err != nil {
			return err
		}
	}
	return nil
}

// updateCustomers is UpdateCustomers in the store's transaction, but for
// the search documents: it appends the customers whose document must be
// rebuilt to *reindex.
func (s *Store) updateCustomers(ctx context.Context, sc crmtype.Scope, cs []customer.CustomerChange, reindexOut *[]crmtype.ID) error {
	if len(cs) == 0 {
		return nil
	}
	tx := s
	{
		var (
			added   []customer.Identity
			retag   []crmtype.ID
			tags    []tagRow
			reindex []crmtype.ID
			evs     []crmtype.Event
		)
		for _, ch := range cs {
			before, after := ch.Before, *ch.After
			after.Version = before.Version + 1
			if after.CompanyID != before.CompanyID && !after.CompanyID.IsZero() {
				if _, err := tx.companyNames(ctx, sc, []*customer.Customer{&after}); err != nil {
					return err
				}
			}
			if err := tx.saveCustomerRow(ctx, sc, &after, before.Version); err != nil {
				return err
			}
			ch.After.Version = after.Version
			if !slices.Equal(before.Tags, after.Tags) {
				retag = append(retag, after.ID)
				for _, t := range after.Tags {
					tags = append(tags, tagRow{WorkspaceID: string(sc.Workspace), CustomerID: after.ID, Tag: t})
				}
			}
			// The search document only when its words change (rebuilding
			// one is the costliest part of an update on SQLite's FTS5).
			if before.CompanyID != after.CompanyID || !sameTokens(customer.SearchTokens(before, ""), customer.SearchTokens(&after, "")) {
				reindex = append(reindex, after.ID)
			}
			if diff := customer.Diff(before, &after); len(diff) > 0 {
				evs = append(evs, customerEvent(customer.EventCustomerUpdated, &after, after.UpdatedAt, diff))
			}
			for _, id := range ch.Added {
				evs = append(evs, identityEvent(customer.EventIdentityAdded, id, id.CreatedAt, false))
			}
			added = append(added, ch.Added...)
		}
		for i := 0; i < len(retag); i += batchRows {
			q := tx.db.NewDelete().Model((*tagRow)(nil)).Where("t.customer_id IN (?)", bun.In(retag[i:min(i+batchRows, len(retag))]))
			if _, err := where(q, "t", sc).Exec(ctx); err != nil {
				return err
			}
		}
		if err := insertChunks(ctx, tx.db, tags); err != nil {
			return mapError(err)
		}
		if err := tx.checkIdentitiesFree(ctx, sc, added); err != nil {
			return err
		}
		if err := tx.insertIdentities(ctx, sc, added); err != nil {
			return err
		}
		*reindexOut = append(*reindexOut, reindex...)
		return tx.appendEvents(ctx, sc, evs)
	}
}

// sameTokens reports whether a and b hold the same tokens, in any order.
func sameTokens(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// AnalyzeCustomers implements customer.Store: ANALYZE on PostgreSQL, whose
// plans (those of the foreign-key checks too, cached per connection) are
// made from statistics that a bulk load leaves stale until autovacuum
// runs; SQLite's planner prefers the indexes without statistics.
func (s *Store) AnalyzeCustomers(ctx context.Context, sc crmtype.Scope) error {
	if !s.pg {
		return nil
	}
	_, err := s.db.ExecContext(ctx, "ANALYZE crm_customers, crm_identities, crm_customer_tags, crm_customer_search")
	return err
}

// possibleDuplicateRow is a crm_possible_duplicates row.
type possibleDuplicateRow struct {
	bun.BaseModel `bun:"table:crm_possible_duplicates,alias:pd"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	OtherID     crmtype.ID `bun:"other_id,type:uuid"`
	Reason      string     `bun:"reason"`
	Source      string     `bun:"source"`
	CreatedAt   time.Time  `bun:"created_at"`
}

func (r *possibleDuplicateRow) toDomain() customer.PossibleDuplicate {
	return customer.PossibleDuplicate{ID: r.ID, CustomerID: r.CustomerID, OtherID: r.OtherID, Reason: r.Reason,
		Source: r.Source, CreatedAt: r.CreatedAt.UTC()}
}

// InsertPossibleDuplicates implements customer.Store.
func (s *Store) InsertPossibleDuplicates(ctx context.Context, sc crmtype.Scope, ds []customer.PossibleDuplicate) error {
	if len(ds) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error { return tx.insertPossibleDuplicates(ctx, sc, ds) })
}

// insertPossibleDuplicates is InsertPossibleDuplicates in the store's
// transaction.
func (s *Store) insertPossibleDuplicates(ctx context.Context, sc crmtype.Scope, ds []customer.PossibleDuplicate) error {
	if len(ds) == 0 {
		return nil
	}
	tx := s
	{
		rows := make([]possibleDuplicateRow, len(ds))
		evs := make([]crmtype.Event, len(ds))
		for i, d := range ds {
			if d.CustomerID == d.OtherID {
				return crmtype.Invalid("other_id", "a customer is not a duplicate of itself")
			}
			rows[i] = possibleDuplicateRow{WorkspaceID: string(sc.Workspace), ID: d.ID, CustomerID: d.CustomerID,
				OtherID: d.OtherID, Reason: d.Reason, Source: d.Source, CreatedAt: d.CreatedAt}
			evs[i] = crmtype.Event{Time: d.CreatedAt, Type: customer.EventPossibleDuplicate, SubjectType: customer.SubjectDuplicate,
				Subject: d.ID, Customer: d.CustomerID, Changes: []crmtype.Change{{Field: "other_id", After: d.OtherID.String()},
					{Field: "reason", After: d.Reason}, {Field: "source", After: d.Source}}}
		}
		for i := 0; i < len(rows); i += batchRows {
			chunk := rows[i:min(i+batchRows, len(rows))]
			if _, err := tx.db.NewInsert().Model(&chunk).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return mapError(err)
			}
		}
		return tx.appendEvents(ctx, sc, evs)
	}
}

type possibleDuplicateCursor struct {
	ID crmtype.ID `json:"i"`
}

// ListPossibleDuplicates implements customer.Store.
func (s *Store) ListPossibleDuplicates(ctx context.Context, sc crmtype.Scope, p customer.PossibleDuplicateParams, limit int) (crmtype.Page[customer.PossibleDuplicate], error) {
	var page crmtype.Page[customer.PossibleDuplicate]
	var rows []possibleDuplicateRow
	q := s.db.NewSelect().Model(&rows)
	if !p.CustomerID.IsZero() {
		q = q.Where("(pd.customer_id = ? OR pd.other_id = ?)", p.CustomerID, p.CustomerID)
	}
	if p.After != "" {
		var cur possibleDuplicateCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		q = q.Where("pd.id > ?", cur.ID)
	}
	if err := where(q, "pd", sc).OrderExpr("pd.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(possibleDuplicateCursor{ID: rows[limit-1].ID})
	}
	page.Items = make([]customer.PossibleDuplicate, len(rows))
	for i := range rows {
		page.Items[i] = rows[i].toDomain()
	}
	return page, nil
}

// DeletePossibleDuplicate implements customer.Store.
func (s *Store) DeletePossibleDuplicate(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row possibleDuplicateRow
		if err := where(tx.db.NewSelect().Model(&row).Where("pd.id = ?", id), "pd", sc).Scan(ctx); err != nil {
			return fmt.Errorf("possible duplicate %s: %w", id, mapError(err))
		}
		if _, err := where(tx.db.NewDelete().Model((*possibleDuplicateRow)(nil)).Where("pd.id = ?", id), "pd", sc).Exec(ctx); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: customer.EventDuplicateDismissed,
			SubjectType: customer.SubjectDuplicate, Subject: id, Customer: row.CustomerID,
			Changes: []crmtype.Change{{Field: "other_id", Before: row.OtherID.String()}, {Field: "reason", Before: row.Reason}}}})
	})
}
