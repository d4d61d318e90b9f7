package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

var _ customer.MergeStore = (*Store)(nil)

// mergeAction is what a merge does with an absorbed customer's rows of one
// registered reference (customerRef.Merge).
type mergeAction int

const (
	// mergeRepoint points the rows at the survivor, logging their keys.
	mergeRepoint mergeAction = iota
	// mergeUnion re-points the rows whose key the survivor does not hold
	// yet; the others (a tag both had) are deleted and logged whole, so that
	// Unmerge inserts them again.
	mergeUnion
	// mergeKeep leaves the rows with the absorbed customer: its own row,
	// rows the store rebuilds (search documents), the merge log.
	mergeKeep
)

// movedRows is what a merge did to one reference of one absorbed customer.
type movedRows struct {
	Table  string           `json:"table"`
	Column string           `json:"column"`
	Key    []string         `json:"key"`
	Keys   [][]any          `json:"keys,omitempty"`    // key values of the rows re-pointed
	Drops  []map[string]any `json:"dropped,omitempty"` // whole rows deleted
}

type mergeRow struct {
	bun.BaseModel `bun:"table:crm_customer_merges,alias:m"`

	WorkspaceID    string     `bun:"workspace_id,pk"`
	ID             crmtype.ID `bun:"id,pk,type:uuid"`
	SurvivorID     crmtype.ID `bun:"survivor_id,type:uuid"`
	SurvivorBefore string     `bun:"survivor_before"`
	SurvivorAfter  string     `bun:"survivor_after"`
	CreatedAt      time.Time  `bun:"created_at"`
}

type mergeItemRow struct {
	bun.BaseModel `bun:"table:crm_customer_merge_items,alias:mi"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	MergeID     crmtype.ID `bun:"merge_id,pk,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,pk,type:uuid"`
	SurvivorID  crmtype.ID `bun:"survivor_id,type:uuid"`
	Position    int        `bun:"position"`
	CustomerRow string     `bun:"customer_row"`
	Moved       string     `bun:"moved"`
}

func refKey(ref customerRef) []string {
	if len(ref.Key) == 0 {
		return []string{"id"}
	}
	return ref.Key
}

// lockCustomerRows reads the rows of ids for update (any state).
func (s *Store) lockCustomerRows(ctx context.Context, sc crmtype.Scope, ids []crmtype.ID) (map[crmtype.ID]*customerRow, map[crmtype.ID]crmtype.ID, error) {
	var rows []customerRow
	q := s.db.NewSelect().Model(&rows).Where("c.id IN (?)", bun.In(ids))
	if s.pg {
		q = q.For("UPDATE OF c")
	}
	if err := where(q, "c", sc).Scan(ctx); err != nil {
		return nil, nil, err
	}
	out := make(map[crmtype.ID]*customerRow, len(rows))
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	merged, err := s.mergedInto(ctx, sc, ids)
	return out, merged, err
}

// mergedInto returns, for those of ids that are merged away, their survivor.
func (s *Store) mergedInto(ctx context.Context, sc crmtype.Scope, ids []crmtype.ID) (map[crmtype.ID]crmtype.ID, error) {
	var items []mergeItemRow
	q := s.db.NewSelect().Model(&items).Column("mi.customer_id", "mi.survivor_id").Where("mi.customer_id IN (?)", bun.In(ids))
	if err := where(q, "mi", sc).Scan(ctx); err != nil {
		return nil, err
	}
	out := map[crmtype.ID]crmtype.ID{}
	for _, it := range items {
		out[it.CustomerID] = it.SurvivorID
	}
	return out, nil
}

// absorbedInto returns the customers merged into id, and into them, and so on.
func (s *Store) absorbedInto(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]crmtype.ID, error) {
	var out []crmtype.ID
	next := []crmtype.ID{id}
	for len(next) > 0 && len(out) < 100000 {
		var ids []crmtype.ID
		q := s.db.NewSelect().Model((*mergeItemRow)(nil)).Column("mi.customer_id").Where("mi.survivor_id IN (?)", bun.In(next))
		if err := where(q, "mi", sc).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out = append(out, ids...)
		next = ids
	}
	return out, nil
}

// ResolveMerged implements customer.MergeStore.
func (s *Store) ResolveMerged(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (crmtype.ID, error) {
	n, err := where(s.db.NewSelect().Model((*customerRow)(nil)).Where("c.id = ?", id), "c", sc).Count(ctx)
	if err != nil {
		return id, err
	}
	if n == 0 {
		return id, crmtype.ErrNotFound
	}
	for range 1000 {
		m, err := s.mergedInto(ctx, sc, []crmtype.ID{id})
		if err != nil {
			return id, err
		}
		into, ok := m[id]
		if !ok {
			return id, nil
		}
		id = into
	}
	return id, errors.New("store: resolve merged: merges form a cycle")
}

// MergeCustomers implements customer.MergeStore.
func (s *Store) MergeCustomers(ctx context.Context, sc crmtype.Scope, p customer.MergePlan) (customer.MergeResult, error) {
	res := customer.MergeResult{ID: p.ID, Moved: map[string]int64{}, Dropped: map[string]int64{}}
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		ids := make([]crmtype.ID, len(p.Customers))
		for i, c := range p.Customers {
			ids[i] = c.ID
		}
		rows, merged, err := tx.lockCustomerRows(ctx, sc, ids)
		if err != nil {
			return err
		}
		for _, c := range p.Customers {
			r, ok := rows[c.ID]
			if !ok || r.DeletedAt != nil || !merged[c.ID].IsZero() {
				return fmt.Errorf("customer %s: %w", c.ID, crmtype.ErrNotFound)
			}
			if r.Version != c.Version {
				return &crmtype.ConflictError{Resource: "customer", Field: "version", HeldBy: c.ID,
					Reason: fmt.Sprintf("is now %d, not %d: preview the merge again", r.Version, c.Version)}
			}
		}
		surv := p.Customers[0]
		before, err := rows[surv.ID].toCustomer()
		if err != nil {
			return err
		}
		var moves []companyMove
		items := make([]mergeItemRow, 0, len(p.Customers)-1)
		for i, c := range p.Customers[1:] {
			moved, err := tx.moveReferences(ctx, sc, c.ID, surv.ID, &res)
			if err != nil {
				return err
			}
			for _, m := range moved {
				moves = append(moves, companyMoves(m, c.ID, surv.ID)...)
			}
			rowJSON, err := json.Marshal(rows[c.ID])
			if err != nil {
				return err
			}
			movedJSON, err := json.Marshal(moved)
			if err != nil {
				return err
			}
			items = append(items, mergeItemRow{WorkspaceID: string(sc.Workspace), MergeID: p.ID, CustomerID: c.ID,
				SurvivorID: surv.ID, Position: i, CustomerRow: string(rowJSON), Moved: string(movedJSON)})
			q := tx.db.NewUpdate().Model((*customerRow)(nil)).Where("c.id = ?", c.ID).
				Set("deleted_at = ?", p.Now).Set("updated_at = ?", p.Now).
				Set("version = version + 1").Set("identities = '[]'").Set("tags = '[]'")
			if _, err := where(q, "c", sc).Exec(ctx); err != nil {
				return err
			}
			res.Absorbed = append(res.Absorbed, c.ID)
		}
		after := *p.Result
		after.Version, after.UpdatedAt = before.Version+1, p.Now
		if err := tx.saveCustomerRow(ctx, sc, &after, before.Version); err != nil {
			return err
		}
		if err := tx.reindex(ctx, sc, surv.ID); err != nil {
			return err
		}
		if err := tx.companyChanged(ctx, sc, moves, p.Now); err != nil {
			return err
		}
		bj, err := json.Marshal(before)
		if err != nil {
			return err
		}
		aj, err := json.Marshal(&after)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(&mergeRow{WorkspaceID: string(sc.Workspace), ID: p.ID, SurvivorID: surv.ID,
			SurvivorBefore: string(bj), SurvivorAfter: string(aj), CreatedAt: p.Now}).Exec(ctx); err != nil {
			return mapError(err)
		}
		if err := insertChunks(ctx, tx.db, items); err != nil {
			return mapError(err)
		}
		absorbed := make([]any, len(res.Absorbed))
		for i, id := range res.Absorbed {
			absorbed[i] = id.String()
		}
		changes := append([]crmtype.Change{{Field: "merge_id", After: p.ID.String()}, {Field: "absorbed", After: absorbed}},
			customer.Diff(before, &after)...)
		evs := []crmtype.Event{customerEvent(customer.EventCustomerMerged, &after, p.Now, changes)}
		for _, id := range res.Absorbed {
			evs = append(evs, customerEvent(customer.EventCustomerMergedInto, &customer.Customer{ID: id}, p.Now,
				[]crmtype.Change{{Field: "merge_id", After: p.ID.String()}, {Field: "survivor", After: surv.ID.String()}}))
		}
		if err := tx.appendEvents(ctx, sc, evs); err != nil {
			return err
		}
		res.Survivor = &after
		return nil
	})
	return res, err
}

// saveCustomerRow writes c's fields over the row at version was.
func (s *Store) saveCustomerRow(ctx context.Context, sc crmtype.Scope, c *customer.Customer, was int64) error {
	row, err := toCustomerRow(sc, c)
	if err != nil {
		return err
	}
	q := s.db.NewUpdate().Model(row).ExcludeColumn("workspace_id", "id", "created_at", "deleted_at", "erased_at").
		Where("c.id = ?", c.ID).Where("c.version = ?", was)
	r, err := where(q, "c", sc).Exec(ctx)
	if err != nil {
		return mapError(err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return &crmtype.ConflictError{Resource: "customer", Field: "version", HeldBy: c.ID, Reason: "changed concurrently"}
	}
	return nil
}

// moveReferences re-points every registered reference of customer from to
// customer to, as the registry says, and returns what it did.
func (s *Store) moveReferences(ctx context.Context, sc crmtype.Scope, from, to crmtype.ID, res *customer.MergeResult) ([]movedRows, error) {
	var out []movedRows
	for _, ref := range customerRefs {
		if ref.BeforeMerge != nil {
			if err := ref.BeforeMerge(ctx, s, sc, from, to); err != nil {
				return nil, fmt.Errorf("merge %s: %w", ref.Table, err)
			}
		}
		if ref.Merge == mergeKeep {
			continue
		}
		key := refKey(ref)
		m := movedRows{Table: ref.Table, Column: ref.Column, Key: key}
		if ref.Merge == mergeUnion {
			// The rows whose key the survivor holds already.
			cond := make([]string, 0, len(key))
			args := []any{bun.Ident(ref.Table), bun.Ident(ref.Column), to}
			for _, k := range key {
				cond = append(cond, "y.? = x.?")
				args = append(args, bun.Ident(k), bun.Ident(k))
			}
			held := "EXISTS (SELECT 1 FROM ? AS y WHERE y.workspace_id = x.workspace_id AND y.? = ? AND " + strings.Join(cond, " AND ") + ")"
			if ref.Pair != "" { // or it would pair the survivor with itself
				held = "(" + held + " OR x.? = ?)"
				args = append(args, bun.Ident(ref.Pair), to)
			}
			q := s.db.NewSelect().TableExpr("? AS x", bun.Ident(ref.Table)).ColumnExpr("x.*").
				Where("x.? = ?", bun.Ident(ref.Column), from).
				Where(held, args...)
			if err := where(q, "x", sc).Scan(ctx, &m.Drops); err != nil {
				return nil, fmt.Errorf("merge %s: %w", ref.Table, err)
			}
			for _, r := range m.Drops {
				normaliseRow(r, nil)
				d := s.db.NewDelete().TableExpr("? AS x", bun.Ident(ref.Table)).Where("x.? = ?", bun.Ident(ref.Column), from)
				for _, k := range key {
					d = d.Where("x.? = ?", bun.Ident(k), r[k])
				}
				if _, err := where(d, "x", sc).Exec(ctx); err != nil {
					return nil, fmt.Errorf("merge %s: %w", ref.Table, err)
				}
			}
			res.Dropped[ref.Table] += int64(len(m.Drops))
		}
		var keys []map[string]any
		cols := make([]bun.Ident, len(key))
		for i, k := range key {
			cols[i] = bun.Ident(k)
		}
		sel := s.db.NewSelect().TableExpr("? AS x", bun.Ident(ref.Table)).Where("x.? = ?", bun.Ident(ref.Column), from)
		for _, k := range key {
			sel = sel.ColumnExpr("x.?", bun.Ident(k))
		}
		if err := where(sel, "x", sc).Scan(ctx, &keys); err != nil {
			return nil, fmt.Errorf("merge %s: %w", ref.Table, err)
		}
		if len(keys) == 0 && len(m.Drops) == 0 {
			continue
		}
		for _, r := range keys {
			normaliseRow(r, nil)
			v := make([]any, len(key))
			for i, k := range key {
				v[i] = r[k]
			}
			m.Keys = append(m.Keys, v)
		}
		if len(keys) > 0 {
			u := s.db.NewUpdate().TableExpr("? AS x", bun.Ident(ref.Table)).Set("? = ?", bun.Ident(ref.Column), to).
				Where("x.? = ?", bun.Ident(ref.Column), from)
			if _, err := where(u, "x", sc).Exec(ctx); err != nil {
				return nil, fmt.Errorf("merge %s: %w", ref.Table, mapError(err))
			}
		}
		res.Moved[ref.Table] += int64(len(keys))
		out = append(out, m)
	}
	return out, nil
}

// moveBack gives the rows m logged back to customer to, where they still
// refer to from; it returns how many it moved.
func (s *Store) moveBack(ctx context.Context, sc crmtype.Scope, m movedRows, from, to crmtype.ID) (int64, error) {
	var n int64
	for i := 0; i < len(m.Keys); i += batchRows {
		chunk := m.Keys[i:min(i+batchRows, len(m.Keys))]
		u := s.db.NewUpdate().TableExpr("? AS x", bun.Ident(m.Table)).Set("? = ?", bun.Ident(m.Column), to).
			Where("x.? = ?", bun.Ident(m.Column), from)
		if len(m.Key) == 1 {
			vals := make([]any, len(chunk))
			for j, k := range chunk {
				vals[j] = k[0]
			}
			u = u.Where("x.? IN (?)", bun.Ident(m.Key[0]), bun.In(vals))
		} else {
			u = u.WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
				for _, k := range chunk {
					q = q.WhereGroup(" OR ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
						for c, col := range m.Key {
							q = q.Where("x.? = ?", bun.Ident(col), k[c])
						}
						return q
					})
				}
				return q
			})
		}
		r, err := where(u, "x", sc).Exec(ctx)
		if err != nil {
			return n, fmt.Errorf("unmerge %s: %w", m.Table, mapError(err))
		}
		k, _ := r.RowsAffected()
		n += k
	}
	for _, row := range m.Drops {
		row[m.Column] = to.String()
		if err := s.insertRowMap(ctx, sc, m.Table, row); err != nil {
			return n, fmt.Errorf("unmerge %s: %w", m.Table, err)
		}
		n++
	}
	return n, nil
}

// insertRowMap inserts row into table unless an equal key is there.
func (s *Store) insertRowMap(ctx context.Context, sc crmtype.Scope, table string, row map[string]any) error {
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	idents := make([]string, len(cols))
	args := []any{bun.Ident(table)}
	for i, c := range cols {
		idents[i] = "?"
		args = append(args, bun.Ident(c))
	}
	marks := make([]string, len(cols))
	for i, c := range cols {
		marks[i] = "?"
		v := row[c]
		if c == "workspace_id" {
			v = string(sc.Workspace)
		}
		args = append(args, v)
	}
	_, err := s.db.NewRaw("INSERT INTO ? ("+strings.Join(idents, ", ")+") VALUES ("+strings.Join(marks, ", ")+") ON CONFLICT DO NOTHING", args...).Exec(ctx)
	return mapError(err)
}

// UnmergeCustomers implements customer.MergeStore.
func (s *Store) UnmergeCustomers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time) (customer.UnmergeResult, error) {
	res := customer.UnmergeResult{MergeID: id, Moved: map[string]int64{}}
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var m mergeRow
		if err := where(tx.db.NewSelect().Model(&m).Where("m.id = ?", id), "m", sc).Scan(ctx); err != nil {
			return fmt.Errorf("merge %s: %w", id, mapError(err))
		}
		var items []mergeItemRow
		if err := where(tx.db.NewSelect().Model(&items).Where("mi.merge_id = ?", id), "mi", sc).OrderExpr("mi.position").Scan(ctx); err != nil {
			return err
		}
		ids := []crmtype.ID{m.SurvivorID}
		for _, it := range items {
			ids = append(ids, it.CustomerID)
		}
		rows, merged, err := tx.lockCustomerRows(ctx, sc, ids)
		if err != nil {
			return err
		}
		if _, ok := rows[m.SurvivorID]; !ok {
			return fmt.Errorf("survivor %s: %w", m.SurvivorID, crmtype.ErrNotFound)
		}
		if into := merged[m.SurvivorID]; !into.IsZero() {
			return &crmtype.ConflictError{Resource: "customer", HeldBy: m.SurvivorID,
				Reason: fmt.Sprintf("was merged into %s since: undo that merge first", into)}
		}
		var moves []companyMove
		for _, it := range items {
			r, ok := rows[it.CustomerID]
			if !ok || merged[it.CustomerID] != m.SurvivorID || r.ErasedAt != nil {
				return &crmtype.ConflictError{Resource: "customer", HeldBy: it.CustomerID,
					Reason: "is no longer merged into the survivor (purged, erased or restored)"}
			}
			var moved []movedRows
			if err := json.Unmarshal([]byte(it.Moved), &moved); err != nil {
				return fmt.Errorf("store: decode merge log: %w", err)
			}
			for _, mv := range moved {
				n, err := tx.moveBack(ctx, sc, mv, m.SurvivorID, it.CustomerID)
				if err != nil {
					return err
				}
				res.Moved[mv.Table] += n
				moves = append(moves, companyMoves(mv, m.SurvivorID, it.CustomerID)...)
			}
			c, err := tx.restoreAbsorbed(ctx, sc, it)
			if err != nil {
				return err
			}
			res.Restored = append(res.Restored, c)
		}
		// The survivor: the fields the merge changed and nobody changed since
		// go back; identities and tags are what it still holds.
		cur, err := rows[m.SurvivorID].toCustomer()
		if err != nil {
			return err
		}
		var before, after customer.Customer
		if err := json.Unmarshal([]byte(m.SurvivorBefore), &before); err != nil {
			return fmt.Errorf("store: decode merge log: %w", err)
		}
		if err := json.Unmarshal([]byte(m.SurvivorAfter), &after); err != nil {
			return fmt.Errorf("store: decode merge log: %w", err)
		}
		next := customer.UnmergeFields(cur, &before, &after)
		held, err := tx.identityIDs(ctx, sc, m.SurvivorID)
		if err != nil {
			return err
		}
		next.Identities = next.Identities[:0]
		for _, i := range cur.Identities {
			if held[i.ID] {
				next.Identities = append(next.Identities, i)
			}
		}
		if next.Tags, err = tx.tagsOf(ctx, sc, m.SurvivorID); err != nil {
			return err
		}
		next.Version, next.UpdatedAt = cur.Version+1, now
		if err := tx.saveCustomerRow(ctx, sc, next, cur.Version); err != nil {
			return err
		}
		reidx := append([]crmtype.ID{m.SurvivorID}, ids[1:]...)
		if err := tx.reindex(ctx, sc, reidx...); err != nil {
			return err
		}
		if err := tx.companyChanged(ctx, sc, moves, now); err != nil {
			return err
		}
		if _, err := where(tx.db.NewDelete().Model((*mergeRow)(nil)).Where("m.id = ?", id), "m", sc).Exec(ctx); err != nil {
			return err
		}
		restored := make([]any, len(items))
		for i, it := range items {
			restored[i] = it.CustomerID.String()
		}
		changes := append([]crmtype.Change{{Field: "merge_id", After: id.String()}, {Field: "restored", After: restored}},
			customer.Diff(cur, next)...)
		evs := []crmtype.Event{customerEvent(customer.EventCustomerUnmerged, next, now, changes)}
		for _, c := range res.Restored {
			evs = append(evs, customerEvent(customer.EventCustomerUnmerged, c, now,
				[]crmtype.Change{{Field: "merge_id", After: id.String()}, {Field: "survivor", Before: m.SurvivorID.String()}}))
		}
		res.Survivor = next
		return tx.appendEvents(ctx, sc, evs)
	})
	return res, err
}

// restoreAbsorbed writes an absorbed customer's row back as the merge log
// keeps it, with the identities it got back and every tag it had.
func (s *Store) restoreAbsorbed(ctx context.Context, sc crmtype.Scope, it mergeItemRow) (*customer.Customer, error) {
	var row customerRow
	if err := json.Unmarshal([]byte(it.CustomerRow), &row); err != nil {
		return nil, fmt.Errorf("store: decode merge log: %w", err)
	}
	row.WorkspaceID = string(sc.Workspace)
	c, err := row.toCustomer()
	if err != nil {
		return nil, err
	}
	held, err := s.identityIDs(ctx, sc, it.CustomerID)
	if err != nil {
		return nil, err
	}
	kept := c.Identities[:0]
	for _, i := range c.Identities {
		if held[i.ID] {
			kept = append(kept, i)
		}
	}
	if len(kept) != len(c.Identities) {
		c.Identities = kept
		if row.Identities, err = encodeIdentities(kept); err != nil {
			return nil, err
		}
	}
	for _, t := range c.Tags {
		if err := s.insertRowMap(ctx, sc, "crm_customer_tags", map[string]any{"workspace_id": row.WorkspaceID,
			"customer_id": it.CustomerID, "tag": t}); err != nil {
			return nil, err
		}
	}
	q := s.db.NewUpdate().Model(&row).ExcludeColumn("workspace_id", "id").Where("c.id = ?", it.CustomerID)
	if _, err := where(q, "c", sc).Exec(ctx); err != nil {
		return nil, mapError(err)
	}
	return c, nil
}

func (s *Store) identityIDs(ctx context.Context, sc crmtype.Scope, customerID crmtype.ID) (map[crmtype.ID]bool, error) {
	var ids []crmtype.ID
	q := s.db.NewSelect().Model((*identityRow)(nil)).Column("i.id").Where("i.customer_id = ?", customerID)
	if err := where(q, "i", sc).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := make(map[crmtype.ID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (s *Store) tagsOf(ctx context.Context, sc crmtype.Scope, customerID crmtype.ID) ([]string, error) {
	var tags []string
	q := s.db.NewSelect().Model((*tagRow)(nil)).Column("t.tag").Where("t.customer_id = ?", customerID).OrderExpr("t.tag")
	if err := where(q, "t", sc).Scan(ctx, &tags); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	sort.Strings(tags)
	return tags, nil
}

// companyMove is a person whose company a merge or unmerge changed.
type companyMove struct{ person, from, to crmtype.ID }

// companyMoves returns the people whose company m moved from one company to
// another, or none when m is not the people-to-company reference.
func companyMoves(m movedRows, from, to crmtype.ID) []companyMove {
	if m.Table != "crm_customers" || m.Column != "company_id" {
		return nil
	}
	var out []companyMove
	for _, k := range m.Keys {
		var id crmtype.ID
		if err := id.Scan(k[0]); err == nil {
			out = append(out, companyMove{person: id, from: from, to: to})
		}
	}
	return out
}

// companyChanged makes each moved person a new version, records its
// customer.updated event and rebuilds its search entry (which holds the
// company's name): a merge that moves people to another company changes
// them.
func (s *Store) companyChanged(ctx context.Context, sc crmtype.Scope, moves []companyMove, now time.Time) error {
	if len(moves) == 0 {
		return nil
	}
	ids := make([]crmtype.ID, len(moves))
	evs := make([]crmtype.Event, len(moves))
	for i, m := range moves {
		ids[i] = m.person
		evs[i] = customerEvent(customer.EventCustomerUpdated, &customer.Customer{ID: m.person}, now,
			[]crmtype.Change{{Field: "company_id", Before: m.from.String(), After: m.to.String()}})
	}
	for i := 0; i < len(ids); i += batchRows {
		q := s.db.NewUpdate().Model((*customerRow)(nil)).Set("version = version + 1").Set("updated_at = ?", now).
			Where("c.id IN (?)", bun.In(ids[i:min(i+batchRows, len(ids))]))
		if _, err := where(q, "c", sc).Exec(ctx); err != nil {
			return err
		}
	}
	if err := s.reindex(ctx, sc, ids...); err != nil {
		return err
	}
	return s.appendEvents(ctx, sc, evs)
}
