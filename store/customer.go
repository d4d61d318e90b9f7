package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/searchtext"
	"github.com/kehu/crm/privacy"
)

var _ customer.Store = (*Store)(nil)

// DefaultRegion implements customer.Store.
func (s *Store) DefaultRegion(ctx context.Context, sc crmtype.Scope) (string, error) {
	var region string
	err := s.db.NewSelect().TableExpr("crm_workspaces AS w").Column("w.default_region").
		Where("w.workspace_id = ?", string(sc.Workspace)).Scan(ctx, &region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return region, err
}

// SetDefaultRegion stores the workspace's default phone region.
func (s *Store) SetDefaultRegion(ctx context.Context, sc crmtype.Scope, region string, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		old, err := tx.DefaultRegion(ctx, sc)
		if err != nil || old == region {
			return err
		}
		if _, err := tx.db.NewRaw(`INSERT INTO crm_workspaces (workspace_id, default_region, created_at, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (workspace_id) DO UPDATE SET default_region = excluded.default_region, updated_at = excluded.updated_at`,
			string(sc.Workspace), region, now, now).Exec(ctx); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: crmtype.EventWorkspaceSettingsUpdated,
			SubjectType: "workspace", SubjectKey: string(sc.Workspace),
			Changes: []crmtype.Change{{Field: "default_region", Before: old, After: region}}}})
	})
}

// InsertCustomers implements customer.Store.
func (s *Store) InsertCustomers(ctx context.Context, sc crmtype.Scope, cs []*customer.Customer) error {
	if len(cs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error { return tx.insertCustomers(ctx, sc, cs, nil) })
}

// insertCustomers is InsertCustomers in the store's transaction. With
// docs, it leaves the search documents to its caller: it appends them to
// *docs.
func (s *Store) insertCustomers(ctx context.Context, sc crmtype.Scope, cs []*customer.Customer, docsOut *[]searchDoc) error {
	tx := s
	{
		// Companies first, so that people of a company made in the same
		// batch find it.
		rows := make([]*customerRow, 0, len(cs))
		for pass := 0; pass < 2; pass++ {
			for _, c := range cs {
				if (c.Kind == customer.Company) == (pass == 0) {
					r, err := toCustomerRow(sc, c)
					if err != nil {
						return err
					}
					rows = append(rows, r)
				}
			}
		}
		companies, err := tx.companyNames(ctx, sc, cs)
		if err != nil {
			return err
		}
		var ids []customer.Identity
		var tags []tagRow
		docs := make([]searchDoc, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.Identities...)
			for _, t := range c.Tags {
				tags = append(tags, tagRow{WorkspaceID: string(sc.Workspace), CustomerID: c.ID, Tag: t})
			}
			docs = append(docs, searchDoc{c.ID, customer.SearchTokens(c, companies[c.CompanyID])})
		}
		if err := tx.checkIdentitiesFree(ctx, sc, ids); err != nil {
			return err
		}
		if err := insertChunks(ctx, tx.db, rows); err != nil {
			return mapError(err)
		}
		if err := tx.insertIdentities(ctx, sc, ids); err != nil {
			return err
		}
		if err := insertChunks(ctx, tx.db, tags); err != nil {
			return mapError(err)
		}
		if docsOut != nil {
			*docsOut = append(*docsOut, docs...)
		} else if err := tx.putSearchDocs(ctx, sc, docs); err != nil {
			return err
		}
		evs := make([]crmtype.Event, len(cs))
		for i, c := range cs {
			evs[i] = customerEvent(customer.EventCustomerCreated, c, c.CreatedAt, customer.Diff(nil, c))
		}
		return tx.appendEvents(ctx, sc, evs)
	}
}

// companyNames checks that every CompanyID of cs names a live company (in
// the database or in cs itself) and returns the companies' names.
func (s *Store) companyNames(ctx context.Context, sc crmtype.Scope, cs []*customer.Customer) (map[crmtype.ID]string, error) {
	names := map[crmtype.ID]string{}
	inBatch := map[crmtype.ID]*customer.Customer{}
	for _, c := range cs {
		inBatch[c.ID] = c
	}
	var want []crmtype.ID
	for _, c := range cs {
		if c.CompanyID.IsZero() {
			continue
		}
		if c.CompanyID == c.ID {
			return nil, crmtype.Invalid("company_id", "a customer cannot belong to itself")
		}
		if b, ok := inBatch[c.CompanyID]; ok {
			if b.Kind != customer.Company {
				return nil, crmtype.Invalidf("company_id", "%s is a person, not a company", c.CompanyID)
			}
			names[b.ID] = b.Name
			continue
		}
		want = append(want, c.CompanyID)
	}
	if len(want) == 0 {
		return names, nil
	}
	var rows []customerRow
	q := s.db.NewSelect().Model(&rows).Column("c.id", "c.kind", "c.name").
		Where("c.id IN (?)", bun.In(want)).Where("c.deleted_at IS NULL")
	if s.pg {
		q = q.For("SHARE") // the company cannot be deleted or renamed until this commits
	}
	if err := where(q, "c", sc).Scan(ctx); err != nil {
		return nil, err
	}
	found := map[crmtype.ID]customerRow{}
	for _, r := range rows {
		found[r.ID] = r
	}
	for _, id := range want {
		r, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("company %s: %w", id, crmtype.ErrNotFound)
		}
		if r.Kind != string(customer.Company) {
			return nil, crmtype.Invalidf("company_id", "%s is a person, not a company", id)
		}
		names[id] = r.Name
	}
	return names, nil
}

// checkIdentitiesFree returns a *crmtype.ConflictError naming the holder of
// the first identity in ids that cannot be added: an external id that is
// taken (or given to two customers of ids), an identity given twice to one
// customer. Emails and phones may be shared by several customers.
func (s *Store) checkIdentitiesFree(ctx context.Context, sc crmtype.Scope, ids []customer.Identity) error {
	if len(ids) == 0 {
		return nil
	}
	type held struct {
		customer crmtype.ID
		key      customer.IdentityKey
	}
	mine := make(map[held]bool, len(ids))
	external := map[customer.IdentityKey]crmtype.ID{}
	// The external ids by system, so that each lookup is an equality on
	// the whole unique index (workspace_id, kind, system, value).
	var systems []string
	values := map[string][]string{}
	for _, id := range ids {
		h := held{id.CustomerID, id.Key()}
		if mine[h] {
			return &crmtype.ConflictError{Resource: "identity", Field: string(id.Kind), Value: id.Value, HeldBy: id.CustomerID,
				Reason: "is given twice to one customer"}
		}
		mine[h] = true
		if id.Kind != customer.ExternalID {
			continue
		}
		if holder, ok := external[id.Key()]; ok && holder != id.CustomerID {
			return &crmtype.ConflictError{Resource: "identity", Field: string(id.Kind), Value: id.Value,
				Reason: "is given to two customers of the batch"}
		}
		external[id.Key()] = id.CustomerID
		if _, ok := values[id.System]; !ok {
			systems = append(systems, id.System)
		}
		values[id.System] = append(values[id.System], id.Value)
	}
	for _, sys := range systems {
		vs := values[sys]
		for i := 0; i < len(vs); i += batchRows {
			var rows []identityRow
			q := s.db.NewSelect().Model(&rows).Column("i.customer_id", "i.kind", "i.system", "i.value").
				Where("i.kind = ?", string(customer.ExternalID)).Where("i.system = ?", sys).
				Where("i.value IN (?)", bun.In(vs[i:min(i+batchRows, len(vs))]))
			if err := where(q, "i", sc).Limit(1).Scan(ctx); err != nil {
				return err
			}
			for _, r := range rows {
				return &crmtype.ConflictError{Resource: "identity", Field: r.Kind, Value: r.Value, HeldBy: r.CustomerID}
			}
		}
	}
	return nil
}

func (s *Store) insertIdentities(ctx context.Context, sc crmtype.Scope, ids []customer.Identity) error {
	rows := make([]identityRow, len(ids))
	for i, id := range ids {
		rows[i] = identityRow{WorkspaceID: string(sc.Workspace), ID: id.ID, CustomerID: id.CustomerID,
			Kind: string(id.Kind), System: id.System, Value: id.Value, Label: id.Label, Raw: id.Raw,
			InvalidReason: id.Invalid, CreatedAt: id.CreatedAt}
	}
	if err := insertChunks(ctx, s.db, rows); err != nil {
		if constraintKind(err) == "unique" { // lost a race with a concurrent writer
			return &crmtype.ConflictError{Resource: "identity", Reason: "is already taken"}
		}
		return mapError(err)
	}
	return nil
}

type searchDoc struct {
	id     crmtype.ID
	tokens []string
}

// putSearchDocs writes (or replaces) the search documents of customers.
func (s *Store) putSearchDocs(ctx context.Context, sc crmtype.Scope, docs []searchDoc) error {
	for i := 0; i < len(docs); i += batchRows {
		chunk := docs[i:min(i+batchRows, len(docs))]
		var b strings.Builder
		args := make([]any, 0, 3*len(chunk))
		b.WriteString("INSERT INTO crm_customer_search (workspace_id, customer_id, doc) VALUES ")
		for j, d := range chunk {
			if j > 0 {
				b.WriteString(", ")
			}
			if s.pg {
				b.WriteString("(?, ?, ?::tsvector)")
				args = append(args, string(sc.Workspace), d.id, searchtext.TSVector(d.tokens))
			} else {
				b.WriteString("(?, ?, ?)")
				args = append(args, string(sc.Workspace), d.id, strings.Join(d.tokens, " "))
			}
		}
		b.WriteString(" ON CONFLICT (workspace_id, customer_id) DO UPDATE SET doc = excluded.doc")
		if _, err := s.db.NewRaw(b.String(), args...).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// reindex rebuilds the search documents of the given customers from the
// database.
func (s *Store) reindex(ctx context.Context, sc crmtype.Scope, ids ...crmtype.ID) error {
	if len(ids) == 0 {
		return nil
	}
	var rows []customerRow
	q := s.db.NewSelect().Model(&rows).Where("c.id IN (?)", bun.In(ids))
	if err := where(q, "c", sc).Scan(ctx); err != nil {
		return err
	}
	cs, err := rowsToCustomers(rows)
	if err != nil {
		return err
	}
	var companyIDs []crmtype.ID
	for _, c := range cs {
		if !c.CompanyID.IsZero() {
			companyIDs = append(companyIDs, c.CompanyID)
		}
	}
	names := map[crmtype.ID]string{}
	if len(companyIDs) > 0 {
		var comp []customerRow
		q := s.db.NewSelect().Model(&comp).Column("c.id", "c.name").Where("c.id IN (?)", bun.In(companyIDs))
		if err := where(q, "c", sc).Scan(ctx); err != nil {
			return err
		}
		for _, r := range comp {
			names[r.ID] = r.Name
		}
	}
	docs := make([]searchDoc, len(cs))
	for i, c := range cs {
		docs[i] = searchDoc{c.ID, customer.SearchTokens(c, names[c.CompanyID])}
	}
	return s.putSearchDocs(ctx, sc, docs)
}

// GetCustomer implements customer.Store.
func (s *Store) GetCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, includeDeleted bool) (*customer.Customer, error) {
	var row customerRow
	q := s.db.NewSelect().Model(&row).Where("c.id = ?", id)
	if !includeDeleted {
		q = q.Where("c.deleted_at IS NULL")
	}
	if err := where(q, "c", sc).Limit(1).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return row.toCustomer()
}

// lockCustomer reads a customer for update inside a transaction.
func (s *Store) lockCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, which customer.Deleted) (*customer.Customer, error) {
	var row customerRow
	q := s.db.NewSelect().Model(&row).Where("c.id = ?", id)
	switch which {
	case customer.ExcludeDeleted:
		q = q.Where("c.deleted_at IS NULL")
	case customer.OnlyDeleted: // to restore: an erased or merged-away customer cannot come back (Unmerge can)
		q = q.Where("c.deleted_at IS NOT NULL").Where("c.erased_at IS NULL").
			Where("NOT EXISTS (SELECT 1 FROM crm_customer_merge_items AS mi WHERE mi.workspace_id = c.workspace_id AND mi.customer_id = c.id)")
	}
	if s.pg {
		q = q.For("UPDATE OF c")
	}
	if err := where(q, "c", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return row.toCustomer()
}

// UpdateCustomer implements customer.Store.
func (s *Store) UpdateCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(*customer.Customer) error) (*customer.Customer, error) {
	var out *customer.Customer
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		c, err := tx.lockCustomer(ctx, sc, id, customer.ExcludeDeleted)
		if err != nil {
			return err
		}
		if c.Version != version {
			return &crmtype.ConflictError{Resource: "customer", Field: "version", HeldBy: c.ID,
				Reason: fmt.Sprintf("is now %d, not %d: read the customer again", c.Version, version)}
		}
		before := *c
		if err := change(c); err != nil {
			return err
		}
		diff := customer.Diff(&before, c)
		if len(diff) == 0 { // nothing changes: no write, no new version, no event
			c.UpdatedAt = before.UpdatedAt
			out = c
			return nil
		}
		if c.CompanyID != before.CompanyID && !c.CompanyID.IsZero() {
			if _, err := tx.companyNames(ctx, sc, []*customer.Customer{c}); err != nil {
				return err
			}
		}
		c.Version++
		row, err := toCustomerRow(sc, c)
		if err != nil {
			return err
		}
		res, err := where(tx.db.NewUpdate().Model(row).ExcludeColumn("workspace_id", "id", "created_at", "deleted_at", "erased_at").
			Where("c.id = ?", id).Where("c.version = ?", version), "c", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &crmtype.ConflictError{Resource: "customer", Field: "version", HeldBy: c.ID, Reason: "changed concurrently"}
		}
		if !slices.Equal(before.Tags, c.Tags) {
			if _, err := where(tx.db.NewDelete().Model((*tagRow)(nil)).Where("t.customer_id = ?", id), "t", sc).Exec(ctx); err != nil {
				return err
			}
			if len(c.Tags) > 0 {
				tags := make([]tagRow, len(c.Tags))
				for i, t := range c.Tags {
					tags[i] = tagRow{WorkspaceID: string(sc.Workspace), CustomerID: id, Tag: t}
				}
				if _, err := tx.db.NewInsert().Model(&tags).Exec(ctx); err != nil {
					return mapError(err)
				}
			}
		}
		if before.Name != c.Name || before.GivenName != c.GivenName || before.FamilyName != c.FamilyName || before.CompanyID != c.CompanyID {
			if err := tx.reindex(ctx, sc, id); err != nil {
				return err
			}
			if c.Kind == customer.Company && before.Name != c.Name {
				if err := tx.reindexMembers(ctx, sc, id); err != nil {
					return err
				}
			}
		}
		out = c
		return tx.appendEvents(ctx, sc, []crmtype.Event{customerEvent(customer.EventCustomerUpdated, c, c.UpdatedAt, diff)})
	})
	return out, err
}

// customerEvent is an event about customer c.
func customerEvent(typ string, c *customer.Customer, at time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: at, Type: typ, SubjectType: customer.SubjectCustomer, Subject: c.ID, Customer: c.ID, Changes: changes}
}

// reindexMembers rebuilds the search documents of a company's people.
func (s *Store) reindexMembers(ctx context.Context, sc crmtype.Scope, company crmtype.ID) error {
	var ids []crmtype.ID
	q := s.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").Where("c.company_id = ?", company).OrderExpr("c.id")
	if s.pg {
		// Wait for concurrent changes of the people themselves, so that
		// their search entries are rebuilt from what they committed.
		q = q.For("UPDATE OF c")
	}
	if err := where(q, "c", sc).Scan(ctx, &ids); err != nil {
		return err
	}
	for i := 0; i < len(ids); i += batchRows {
		if err := s.reindex(ctx, sc, ids[i:min(i+batchRows, len(ids))]...); err != nil {
			return err
		}
	}
	return nil
}

// SetCustomerDeleted implements customer.Store.
func (s *Store) SetCustomerDeleted(ctx context.Context, sc crmtype.Scope, id crmtype.ID, at *time.Time, now time.Time) (*customer.Customer, error) {
	var out *customer.Customer
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		which := customer.ExcludeDeleted
		if at == nil {
			which = customer.OnlyDeleted
		}
		c, err := tx.lockCustomer(ctx, sc, id, which)
		if err != nil {
			return err
		}
		q := tx.db.NewUpdate().Model((*customerRow)(nil)).
			Set("deleted_at = ?", at).Set("updated_at = ?", now).Set("version = version + 1").Where("c.id = ?", id)
		if _, err := where(q, "c", sc).Exec(ctx); err != nil {
			return err
		}
		c.DeletedAt, c.UpdatedAt = at, now
		c.Version++
		out = c
		typ := customer.EventCustomerDeleted
		if at == nil {
			typ = customer.EventCustomerRestored
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{customerEvent(typ, c, now, nil)})
	})
	return out, err
}

// PurgeCustomer implements customer.Store.
func (s *Store) PurgeCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		members, err := where(tx.db.NewSelect().Model((*customerRow)(nil)).Where("c.company_id = ?", id), "c", sc).Count(ctx)
		if err != nil {
			return err
		}
		if members > 0 {
			return &crmtype.ConflictError{Resource: "customer", Field: "company_id", HeldBy: id,
				Reason: fmt.Sprintf("%d people still belong to this company", members)}
		}
		// A purged customer's personal data must not outlive it where no
		// data-subject request could reach it any more: the events keep
		// their types and times, not their values.
		rep := privacy.EraseReport{Deleted: map[string]int64{}, Scrubbed: map[string]int64{}}
		if err := tx.eraseReferences(ctx, sc, id, privacy.EraseOptions{DeletePurchases: true}, &rep); err != nil {
			return err
		}
		for _, ref := range customerRefs {
			if ref.Unlink {
				q := tx.db.NewUpdate().TableExpr("? AS x", bun.Ident(ref.Table)).Set("? = NULL", bun.Ident(ref.Column)).
					Where("x.? = ?", bun.Ident(ref.Column), id)
				if _, err := where(q, "x", sc).Exec(ctx); err != nil {
					return fmt.Errorf("purge: unlink %s: %w", ref.Table, err)
				}
			}
		}
		res, err := where(tx.db.NewDelete().Model((*customerRow)(nil)).Where("c.id = ?", id), "c", sc).Exec(ctx)
		if err != nil {
			if constraintKind(err) == "foreign_key" {
				return &crmtype.ConflictError{Resource: "customer", HeldBy: id, Reason: "is still referenced"}
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crmtype.ErrNotFound
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{customerEvent(customer.EventCustomerPurged, &customer.Customer{ID: id}, now, nil)})
	})
}

type customerCursor struct {
	Key []byte     `json:"k,omitempty"`
	ID  crmtype.ID `json:"i"`
}

// ListCustomers implements customer.Store.
func (s *Store) ListCustomers(ctx context.Context, sc crmtype.Scope, p customer.ListParams, limit int) (crmtype.Page[*customer.Customer], error) {
	var page crmtype.Page[*customer.Customer]
	var rows []customerRow
	q := s.db.NewSelect().Model(&rows)
	for _, c := range s.customerFilter(sc, p.Filter) {
		q = q.Where(c.sql, c.args...)
	}
	cmp, dir := ">", "ASC"
	if p.Desc {
		cmp, dir = "<", "DESC"
	}
	if p.After != "" {
		var cur customerCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if p.Sort == customer.ByName {
			q = q.Where("c.name_key "+cmp+" ? OR (c.name_key = ? AND c.id "+cmp+" ?)", cur.Key, cur.Key, cur.ID)
		} else {
			q = q.Where("c.id "+cmp+" ?", cur.ID)
		}
	}
	if p.Sort == customer.ByName {
		q = q.OrderExpr("c.name_key " + dir).OrderExpr("c.id " + dir)
	} else {
		q = q.OrderExpr("c.id " + dir)
	}
	if err := q.Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	items, err := rowsToCustomers(rows)
	if err != nil {
		return page, err
	}
	page.Items = items
	if more {
		last := rows[len(rows)-1]
		cur := customerCursor{ID: last.ID}
		if p.Sort == customer.ByName {
			cur.Key = last.NameKey
		}
		page.Next = crmtype.EncodeCursor(cur)
	}
	return page, nil
}

// CountCustomers implements customer.Store.
func (s *Store) CountCustomers(ctx context.Context, sc crmtype.Scope, f customer.Filter) (int, error) {
	q := s.db.NewSelect().Model((*customerRow)(nil))
	for _, c := range s.customerFilter(sc, f) {
		q = q.Where(c.sql, c.args...)
	}
	n, err := q.Count(ctx)
	return int(n), err
}

// SearchCustomers implements customer.Store.
func (s *Store) SearchCustomers(ctx context.Context, sc crmtype.Scope, sq customer.SearchQuery, f customer.Filter, limit int) ([]customer.SearchHit, error) {
	var rows []customerRow
	q := s.db.NewSelect().Model(&rows).ColumnExpr("?TableColumns") // the model's columns, whatever else the table has
	if s.pg {
		tsq := sq.TSQuery()
		q = q.Join("JOIN crm_customer_search AS s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id").
			ColumnExpr("ts_rank(s.doc, ?::tsquery) AS score", tsq).
			Where("s.workspace_id = ?", string(sc.Workspace)).
			Where("s.doc @@ ?::tsquery", tsq)
	} else {
		q = q.Join("JOIN crm_customer_search AS s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id").
			Join("JOIN crm_customer_fts AS f ON f.rowid = s.docid").
			ColumnExpr("-bm25(crm_customer_fts) AS score").
			Where("s.workspace_id = ?", string(sc.Workspace)).
			Where("crm_customer_fts MATCH ?", sq.FTS5())
	}
	for _, c := range s.customerFilter(sc, f) {
		q = q.Where(c.sql, c.args...)
	}
	if err := q.OrderExpr("score DESC").OrderExpr("c.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	hits := make([]customer.SearchHit, len(rows))
	for i := range rows {
		c, err := rows[i].toCustomer()
		if err != nil {
			return nil, err
		}
		hits[i] = customer.SearchHit{Customer: c, Score: rows[i].Score}
	}
	return hits, nil
}

// IdentityHolders implements customer.Store. It reads the holders of the
// keys of one kind and system with one statement per chunk of values, an
// equality on the index (workspace_id, kind, system, value), then the
// customers with one more.
func (s *Store) IdentityHolders(ctx context.Context, sc crmtype.Scope, keys []customer.IdentityKey) (map[customer.IdentityKey][]*customer.Customer, error) {
	out := map[customer.IdentityKey][]*customer.Customer{}
	if len(keys) == 0 {
		return out, nil
	}
	type group struct{ kind, system string }
	var groups []group
	values := map[group][]string{}
	for _, k := range keys {
		g := group{string(k.Kind), k.System}
		if _, ok := values[g]; !ok {
			groups = append(groups, g)
		}
		values[g] = append(values[g], k.Value)
	}
	type holder struct {
		Kind       string     `bun:"kind"`
		System     string     `bun:"system"`
		Value      string     `bun:"value"`
		CustomerID crmtype.ID `bun:"customer_id"`
	}
	var held []holder
	for _, g := range groups {
		vs := values[g]
		for i := 0; i < len(vs); i += batchRows {
			var rows []holder
			q := s.db.NewSelect().TableExpr("crm_identities AS i").Column("i.kind", "i.system", "i.value", "i.customer_id").
				Join("JOIN crm_customers AS c ON c.workspace_id = i.workspace_id AND c.id = i.customer_id").
				Where("c.workspace_id = ?", string(sc.Workspace)).
				Where("i.kind = ?", g.kind).Where("i.system = ?", g.system).
				Where("i.value IN (?)", bun.In(vs[i:min(i+batchRows, len(vs))])).
				Where("i.invalid_reason = ''").Where("c.deleted_at IS NULL")
			if err := where(q, "i", sc).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			held = append(held, rows...)
		}
	}
	if len(held) == 0 {
		return out, nil
	}
	ids := make([]crmtype.ID, 0, len(held))
	seen := map[crmtype.ID]bool{}
	for _, h := range held {
		if !seen[h.CustomerID] {
			seen[h.CustomerID] = true
			ids = append(ids, h.CustomerID)
		}
	}
	cs := make(map[crmtype.ID]*customer.Customer, len(ids))
	for i := 0; i < len(ids); i += batchRows {
		var rows []customerRow
		q := s.db.NewSelect().Model(&rows).Where("c.id IN (?)", bun.In(ids[i:min(i+batchRows, len(ids))]))
		if err := where(q, "c", sc).Scan(ctx); err != nil {
			return nil, err
		}
		for j := range rows {
			c, err := rows[j].toCustomer()
			if err != nil {
				return nil, err
			}
			cs[c.ID] = c
		}
	}
	for _, h := range held {
		if c := cs[h.CustomerID]; c != nil {
			k := customer.IdentityKey{Kind: customer.IdentityKind(h.Kind), System: h.System, Value: h.Value}
			out[k] = append(out[k], c)
		}
	}
	for _, hs := range out {
		sort.Slice(hs, func(i, j int) bool {
			if !hs[i].CreatedAt.Equal(hs[j].CreatedAt) {
				return hs[i].CreatedAt.Before(hs[j].CreatedAt)
			}
			return hs[i].ID.String() < hs[j].ID.String()
		})
	}
	return out, nil
}

// AddIdentity implements customer.Store.
func (s *Store) AddIdentity(ctx context.Context, sc crmtype.Scope, id *customer.Identity) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		c, err := tx.lockCustomer(ctx, sc, id.CustomerID, customer.ExcludeDeleted)
		if err != nil {
			return err
		}
		for _, h := range c.Identities {
			if h.Key() == id.Key() {
				return &crmtype.ConflictError{Resource: "identity", Field: string(id.Kind), Value: id.Value, HeldBy: c.ID,
					Reason: "is held by this customer already"}
			}
		}
		if err := tx.checkIdentitiesFree(ctx, sc, []customer.Identity{*id}); err != nil {
			return err
		}
		if err := tx.insertIdentities(ctx, sc, []customer.Identity{*id}); err != nil {
			return err
		}
		if err := tx.saveIdentities(ctx, sc, c.ID, append(c.Identities, *id), id.CreatedAt); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{identityEvent(customer.EventIdentityAdded, *id, id.CreatedAt, false)})
	})
}

// RemoveIdentity implements customer.Store. It works on soft-deleted
// customers too, so that an identity they hold can be freed.
func (s *Store) RemoveIdentity(ctx context.Context, sc crmtype.Scope, customerID, identityID crmtype.ID, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		c, err := tx.lockCustomer(ctx, sc, customerID, customer.IncludeDeleted)
		if err != nil {
			return err
		}
		q := tx.db.NewDelete().Model((*identityRow)(nil)).Where("i.id = ?", identityID).Where("i.customer_id = ?", customerID)
		res, err := where(q, "i", sc).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crmtype.ErrNotFound
		}
		kept := make([]customer.Identity, 0, len(c.Identities))
		var gone customer.Identity
		for _, id := range c.Identities {
			if id.ID != identityID {
				kept = append(kept, id)
			} else {
				gone = id
			}
		}
		if err := tx.saveIdentities(ctx, sc, customerID, kept, now); err != nil {
			return err
		}
		gone.ID, gone.CustomerID = identityID, customerID
		return tx.appendEvents(ctx, sc, []crmtype.Event{identityEvent(customer.EventIdentityRemoved, gone, now, true)})
	})
}

// saveIdentities rewrites the identities copy on the customer row (a new
// version of the customer) and the customer's search document.
func (s *Store) saveIdentities(ctx context.Context, sc crmtype.Scope, customerID crmtype.ID, ids []customer.Identity, now time.Time) error {
	enc, err := encodeIdentities(ids)
	if err != nil {
		return err
	}
	q := s.db.NewUpdate().Model((*customerRow)(nil)).Set("identities = ?", enc).
		Set("version = version + 1").Set("updated_at = ?", now).Where("c.id = ?", customerID)
	if _, err := where(q, "c", sc).Exec(ctx); err != nil {
		return err
	}
	return s.reindex(ctx, sc, customerID)
}

// identityEvent is an event about identity id of its customer.
func identityEvent(typ string, id customer.Identity, at time.Time, removed bool) crmtype.Event {
	return crmtype.Event{Time: at, Type: typ, SubjectType: customer.SubjectIdentity, Subject: id.ID,
		Customer: id.CustomerID, Changes: customer.IdentityChanges(id, removed)}
}
