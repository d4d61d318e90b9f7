package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

type attributeDefRow struct {
	bun.BaseModel `bun:"table:crm_attribute_defs,alias:a"`

	WorkspaceID string    `bun:"workspace_id,pk"`
	Key         string    `bun:"key,pk"`
	Label       string    `bun:"label"`
	Type        string    `bun:"type"`
	Required    bool      `bun:"required"`
	Options     string    `bun:"options"`
	MatchRole   string    `bun:"match_role"`
	CreatedAt   time.Time `bun:"created_at"`
}

// PutAttributeDef implements customer.Store.
func (s *Store) PutAttributeDef(ctx context.Context, sc crmtype.Scope, d customer.AttributeDef) error {
	opts := d.Options
	if opts == nil {
		opts = []string{}
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var cur []attributeDefRow
		if err := where(tx.db.NewSelect().Model(&cur).Where("a.key = ?", d.Key), "a", sc).Scan(ctx); err != nil {
			return err
		}
		if len(cur) > 0 && cur[0].Type != string(d.Type) {
			return &crmtype.ConflictError{Resource: "attribute", Field: "type", Value: d.Key,
				Reason: fmt.Sprintf("is %s and cannot become %s", cur[0].Type, d.Type)}
		}
		row := &attributeDefRow{WorkspaceID: string(sc.Workspace), Key: d.Key, Label: d.Label, Type: string(d.Type),
			Required: d.Required, Options: string(b), MatchRole: string(d.Match), CreatedAt: d.CreatedAt}
		var before *customer.AttributeDef
		if len(cur) == 0 {
			if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
				return mapError(err)
			}
		} else {
			prev, err := cur[0].toDef()
			if err != nil {
				return err
			}
			before = &prev
			if err := tx.checkStoredValues(ctx, sc, prev, d); err != nil {
				return err
			}
			if _, err := where(tx.db.NewUpdate().Model(row).Column("label", "required", "options", "match_role").
				Where("a.key = ?", d.Key), "a", sc).Exec(ctx); err != nil {
				return err
			}
		}
		changes := customer.AttributeChanges(before, d)
		if len(changes) == 0 {
			return nil
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: d.CreatedAt, Type: customer.EventAttributeDefined,
			SubjectType: customer.SubjectAttribute, SubjectKey: d.Key, Changes: changes}})
	})
}

// checkStoredValues refuses a redefinition that the values already stored
// would break: making an attribute required while live customers lack it,
// or dropping an enum option that customers hold.
func (s *Store) checkStoredValues(ctx context.Context, sc crmtype.Scope, prev, next customer.AttributeDef) error {
	count := func(af customer.AttributeFilter) (int, error) {
		return s.CountCustomers(ctx, sc, customer.Filter{Attributes: []customer.AttributeFilter{af}})
	}
	if next.Required && !prev.Required {
		n, err := count(customer.AttributeFilter{Key: next.Key, Op: customer.Missing, Type: next.Type})
		if err != nil {
			return err
		}
		if n > 0 {
			return &crmtype.ConflictError{Resource: "attribute", Field: "required", Value: next.Key,
				Reason: fmt.Sprintf("cannot be required: %d customers have no value", n)}
		}
	}
	kept := map[string]bool{}
	for _, o := range next.Options {
		kept[o] = true
	}
	for _, o := range prev.Options {
		if kept[o] {
			continue
		}
		n, err := count(customer.AttributeFilter{Key: next.Key, Op: customer.Eq, Value: o, Type: next.Type})
		if err != nil {
			return err
		}
		if n > 0 {
			return &crmtype.ConflictError{Resource: "attribute", Field: "options", Value: o,
				Reason: fmt.Sprintf("cannot be dropped: %d customers hold it", n)}
		}
	}
	return nil
}

// AttributeDefs implements customer.Store.
func (s *Store) AttributeDefs(ctx context.Context, sc crmtype.Scope) ([]customer.AttributeDef, error) {
	var rows []attributeDefRow
	if err := where(s.db.NewSelect().Model(&rows), "a", sc).OrderExpr("a.key").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]customer.AttributeDef, len(rows))
	for i, r := range rows {
		d, err := r.toDef()
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (r *attributeDefRow) toDef() (customer.AttributeDef, error) {
	d := customer.AttributeDef{Key: r.Key, Label: r.Label, Type: customer.AttributeType(r.Type),
		Required: r.Required, Match: customer.MatchRole(r.MatchRole), CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Options), &d.Options); err != nil {
		return d, fmt.Errorf("store: decode options of attribute %s: %w", r.Key, err)
	}
	if len(d.Options) == 0 {
		d.Options = nil
	}
	return d, nil
}

// DeleteAttributeDef implements customer.Store.
func (s *Store) DeleteAttributeDef(ctx context.Context, sc crmtype.Scope, key string, now time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		res, err := where(tx.db.NewDelete().Model((*attributeDefRow)(nil)).Where("a.key = ?", key), "a", sc).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crmtype.ErrNotFound
		}
		// Values never outlive their definition: a key defined again later
		// may have another type. Each customer that loses a value gets a new
		// version and its own event.
		has := tx.attributeCond(customer.AttributeFilter{Key: key, Op: customer.Exists})
		var holders []customerRow
		q := tx.db.NewSelect().Model(&holders).Column("c.id", "c.attributes").Where(has.sql, has.args...)
		if err := where(q, "c", sc).Scan(ctx); err != nil {
			return err
		}
		strip, path := "json_remove(attributes, ?)", any("$."+key)
		if tx.pg {
			strip, path = "attributes - ?", key
		}
		u := tx.db.NewUpdate().Model((*customerRow)(nil)).Set("attributes = "+strip, path).
			Set("version = version + 1").Set("updated_at = ?", now).Where(has.sql, has.args...)
		if _, err := where(u, "c", sc).Exec(ctx); err != nil {
			return err
		}
		evs := make([]crmtype.Event, 0, len(holders)+1)
		for _, h := range holders {
			var attrs map[string]any
			if err := json.Unmarshal([]byte(h.Attributes), &attrs); err != nil {
				return fmt.Errorf("store: decode attributes of %s: %w", h.ID, err)
			}
			evs = append(evs, customerEvent(customer.EventCustomerUpdated, &customer.Customer{ID: h.ID}, now,
				[]crmtype.Change{{Field: "attributes." + key, Before: attrs[key]}}))
		}
		if err := tx.appendEvents(ctx, sc, evs); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: customer.EventAttributeRemoved,
			SubjectType: customer.SubjectAttribute, SubjectKey: key}})
	})
}
