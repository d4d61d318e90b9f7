package store

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/privacy"
)

var _ customer.HygieneStore = (*Store)(nil)

// ScanIdentities implements customer.HygieneStore.
func (s *Store) ScanIdentities(ctx context.Context, sc crmtype.Scope, after crmtype.ID, limit int) ([]customer.StoredIdentity, error) {
	var rows []identityRow
	q := s.db.NewSelect().Model(&rows).Where("i.kind IN (?)", bun.In([]string{string(customer.Email), string(customer.Phone)}))
	if !after.IsZero() {
		q = q.Where("i.id > ?", after)
	}
	if err := where(q, "i", sc).OrderExpr("i.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]customer.StoredIdentity, len(rows))
	for i, r := range rows {
		out[i] = customer.StoredIdentity{InvalidReason: r.InvalidReason, Identity: customer.Identity{ID: r.ID,
			CustomerID: r.CustomerID, Kind: customer.IdentityKind(r.Kind), System: r.System, Value: r.Value,
			Label: r.Label, Raw: r.Raw, Invalid: r.InvalidReason, CreatedAt: r.CreatedAt.UTC()}}
	}
	return out, nil
}

// FixIdentities implements customer.HygieneStore. Emails and phones may be
// shared, so a new value conflicts only with another identity of the same
// customer.
func (s *Store) FixIdentities(ctx context.Context, sc crmtype.Scope, fixes []customer.IdentityFix, now time.Time) ([]customer.IdentityIssue, error) {
	var conflicts []customer.IdentityIssue
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		conflicts = nil
		type fixed struct {
			value, invalid string
			valueChanged   bool
		}
		fixedOf := map[crmtype.ID]map[crmtype.ID]fixed{} // customer -> identity -> new state
		put := func(cid, id crmtype.ID, f fixed) {
			if fixedOf[cid] == nil {
				fixedOf[cid] = map[crmtype.ID]fixed{}
			}
			fixedOf[cid][id] = f
		}
		var evs []crmtype.Event
		for _, f := range fixes {
			id := f.Identity
			if f.Value != "" {
				next := id.Identity
				next.Value = f.Value
				n, err := where(tx.db.NewSelect().Model((*identityRow)(nil)).Where("i.customer_id = ?", id.CustomerID).
					Where("i.kind = ?", string(id.Kind)).Where("i.system = ?", id.System).Where("i.value = ?", f.Value).
					Where("i.id <> ?", id.ID), "i", sc).Count(ctx)
				if err != nil {
					return err
				}
				if n == 0 {
					err = tx.checkIdentitiesFree(ctx, sc, []customer.Identity{next})
				} else {
					err = &crmtype.ConflictError{Resource: "identity", HeldBy: id.CustomerID}
				}
				var ce *crmtype.ConflictError
				if errors.As(err, &ce) {
					conflicts = append(conflicts, customer.IdentityIssue{IdentityID: id.ID, CustomerID: id.CustomerID,
						Kind: id.Kind, Value: id.Value, NewValue: f.Value, Reason: "the canonical value is held by another identity",
						HeldBy: ce.HeldBy})
					continue
				}
				if err != nil {
					return err
				}
				q := tx.db.NewUpdate().Model((*identityRow)(nil)).Set("value = ?", f.Value).Set("invalid_reason = ''").Where("i.id = ?", id.ID)
				if _, err := where(q, "i", sc).Exec(ctx); err != nil {
					return mapError(err)
				}
				put(id.CustomerID, id.ID, fixed{value: f.Value, valueChanged: true})
				evs = append(evs, crmtype.Event{Time: now, Type: customer.EventIdentityNormalised, SubjectType: customer.SubjectIdentity,
					Subject: id.ID, Customer: id.CustomerID, Changes: []crmtype.Change{{Field: "value", Before: id.Value, After: f.Value}}})
				if id.InvalidReason == "" {
					continue
				}
			} else {
				q := tx.db.NewUpdate().Model((*identityRow)(nil)).Set("invalid_reason = ?", f.InvalidReason).Where("i.id = ?", id.ID)
				if _, err := where(q, "i", sc).Exec(ctx); err != nil {
					return err
				}
				put(id.CustomerID, id.ID, fixed{value: id.Value, invalid: f.InvalidReason})
			}
			evs = append(evs, crmtype.Event{Time: now, Type: customer.EventIdentityFlagged, SubjectType: customer.SubjectIdentity,
				Subject: id.ID, Customer: id.CustomerID, Changes: []crmtype.Change{{Field: "invalid_reason", Before: id.InvalidReason, After: f.InvalidReason}}})
		}
		// The customers' copies of their identities: a new value is a new
		// version with a new search document; a flag alone is maintenance
		// (no new version).
		for cid, fs := range fixedOf {
			c, err := tx.lockCustomer(ctx, sc, cid, customer.IncludeDeleted)
			if err != nil {
				return err
			}
			valueChanged := false
			for i := range c.Identities {
				if f, ok := fs[c.Identities[i].ID]; ok {
					c.Identities[i].Value, c.Identities[i].Invalid = f.value, f.invalid
					valueChanged = valueChanged || f.valueChanged
				}
			}
			if valueChanged {
				if err := tx.saveIdentities(ctx, sc, cid, c.Identities, now); err != nil {
					return err
				}
				continue
			}
			enc, err := encodeIdentities(c.Identities)
			if err != nil {
				return err
			}
			if _, err := where(tx.db.NewUpdate().Model((*customerRow)(nil)).Set("identities = ?", enc).Where("c.id = ?", cid), "c", sc).Exec(ctx); err != nil {
				return err
			}
		}
		return tx.appendEvents(ctx, sc, evs)
	})
	return conflicts, err
}

// StaleCustomers implements customer.HygieneStore.
func (s *Store) StaleCustomers(ctx context.Context, sc crmtype.Scope, cutoff time.Time, after crmtype.ID, limit int) ([]customer.StaleCustomer, error) {
	var rows []struct {
		ID           crmtype.ID `bun:"id"`
		Name         string     `bun:"name"`
		Stage        string     `bun:"stage"`
		Version      int64      `bun:"version"`
		UpdatedAt    time.Time  `bun:"updated_at"`
		LastPurchase string     `bun:"last_purchase"`
		LastRecorded string     `bun:"last_recorded"`
		LastEvent    string     `bun:"last_event"`
	}
	cutoff = cutoff.UTC()
	last := func(table, col string) string {
		return "coalesce((SELECT " + s.textOf("max(x."+col+")") + " FROM " + table + " AS x WHERE x.workspace_id = c.workspace_id AND x.customer_id = c.id), '')"
	}
	q := s.db.NewSelect().TableExpr("crm_customers AS c").Column("c.id", "c.name", "c.stage", "c.version", "c.updated_at").
		ColumnExpr(last("crm_purchases", "occurred_at")+" AS last_purchase").
		ColumnExpr(last("crm_purchases", "created_at")+" AS last_recorded").
		ColumnExpr(last("crm_events", "occurred_at")+" AS last_event").
		Where("c.deleted_at IS NULL").Where("c.updated_at < ?", cutoff).
		Where("NOT EXISTS (SELECT 1 FROM crm_purchases AS p WHERE p.workspace_id = c.workspace_id AND p.customer_id = c.id AND (p.occurred_at >= ? OR p.created_at >= ?))", cutoff, cutoff).
		// Hygiene's own events are maintenance, not the customer's activity.
		Where("NOT EXISTS (SELECT 1 FROM crm_events AS e WHERE e.workspace_id = c.workspace_id AND e.customer_id = c.id AND e.occurred_at >= ? AND e.type NOT IN (?))",
			cutoff, bun.In([]string{customer.EventIdentityNormalised, customer.EventIdentityFlagged}))
	if !after.IsZero() {
		q = q.Where("c.id > ?", after)
	}
	if err := where(q, "c", sc).OrderExpr("c.id").Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]customer.StaleCustomer, len(rows))
	for i, r := range rows {
		act := r.UpdatedAt.UTC()
		for _, t := range []string{r.LastPurchase, r.LastRecorded, r.LastEvent} {
			if tm, ok := parseDBTime(t); ok && tm.After(act) {
				act = tm
			}
		}
		out[i] = customer.StaleCustomer{ID: r.ID, Name: r.Name, Stage: customer.Stage(r.Stage), Version: r.Version, LastActivity: act}
	}
	return out, nil
}

// textOf renders a timestamp expression as text both databases write alike.
func (s *Store) textOf(expr string) string {
	if s.pg {
		return "to_char(" + expr + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
	}
	return "CAST(" + expr + " AS TEXT)"
}

func parseDBTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999Z", "2006-01-02 15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ApplyStale implements customer.HygieneStore.
func (s *Store) ApplyStale(ctx context.Context, sc crmtype.Scope, cs []customer.StaleCustomer, action customer.StaleAction, now time.Time) ([]crmtype.ID, error) {
	var changed []crmtype.ID
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		changed = changed[:0]
		for _, c := range cs {
			// The customer may have come back to life since it was
			// reported: act only if it is unchanged and nothing happened
			// to it since its last activity.
			cur, err := tx.lockCustomer(ctx, sc, c.ID, customer.ExcludeDeleted)
			if errors.Is(err, crmtype.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if cur.Version != c.Version {
				continue
			}
			active, err := tx.activeSince(ctx, sc, c.ID, c.LastActivity)
			if err != nil {
				return err
			}
			if active {
				continue
			}
			switch action {
			case customer.StaleInactive:
				if c.Stage == customer.StageInactive {
					continue
				}
				if _, err := tx.UpdateCustomer(ctx, sc, c.ID, c.Version, func(x *customer.Customer) error {
					x.Stage, x.UpdatedAt = customer.StageInactive, now
					return nil
				}); err != nil {
					return err
				}
			case customer.StaleAnonymise:
				if _, err := tx.EraseCustomer(ctx, sc, c.ID, privacy.EraseOptions{}, now); err != nil {
					return err
				}
			case customer.StaleDelete:
				if _, err := tx.SetCustomerDeleted(ctx, sc, c.ID, &now, now); err != nil {
					return err
				}
			default:
				return crmtype.Invalidf("action", "%q is not an action", action)
			}
			changed = append(changed, c.ID)
		}
		return nil
	})
	return changed, err
}

// activeSince reports whether customer id recorded a purchase or had an
// event (other than hygiene's own) after t.
func (s *Store) activeSince(ctx context.Context, sc crmtype.Scope, id crmtype.ID, t time.Time) (bool, error) {
	p, err := where(s.db.NewSelect().Model((*purchaseRow)(nil)).Where("p.customer_id = ?", id).Where("p.created_at > ?", t), "p", sc).Exists(ctx)
	if err != nil || p {
		return p, err
	}
	return where(s.db.NewSelect().Model((*eventRow)(nil)).Where("e.customer_id = ?", id).Where("e.occurred_at > ?", t).
		Where("e.type NOT IN (?)", bun.In([]string{customer.EventIdentityNormalised, customer.EventIdentityFlagged})), "e", sc).Exists(ctx)
}
