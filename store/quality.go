package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// QualitySettings implements customer.QualityStore.
func (s *Store) QualitySettings(ctx context.Context, sc crmtype.Scope) (customer.QualitySettings, error) {
	var q customer.QualitySettings
	var raw string
	err := s.db.NewSelect().TableExpr("crm_workspaces AS w").Column("w.quality").
		Where("w.workspace_id = ?", string(sc.Workspace)).Scan(ctx, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return q, nil
	}
	if err != nil {
		return q, err
	}
	if err := json.Unmarshal([]byte(raw), &q); err != nil {
		return q, fmt.Errorf("store: decode quality settings: %w", err)
	}
	return q, nil
}

// PutQualitySettings implements customer.QualityStore.
func (s *Store) PutQualitySettings(ctx context.Context, sc crmtype.Scope, q customer.QualitySettings, now time.Time) error {
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		old, err := tx.QualitySettings(ctx, sc)
		if err != nil {
			return err
		}
		changes := qualityChanges(old, q)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.db.NewRaw(`INSERT INTO crm_workspaces (workspace_id, quality, created_at, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (workspace_id) DO UPDATE SET quality = excluded.quality, updated_at = excluded.updated_at`,
			string(sc.Workspace), string(b), now, now).Exec(ctx); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{{Time: now, Type: crmtype.EventWorkspaceSettingsUpdated,
			SubjectType: "workspace", SubjectKey: string(sc.Workspace), Changes: changes}})
	})
}

// qualityChanges lists the settings that differ, by their JSON names.
func qualityChanges(a, b customer.QualitySettings) []crmtype.Change {
	var am, bm map[string]any
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	_ = json.Unmarshal(ab, &am)
	_ = json.Unmarshal(bb, &bm)
	var out []crmtype.Change
	for _, k := range []string{"duplicate_threshold", "duplicate_date_attribute", "duplicate_attributes", "stale_days", "stale_action"} {
		if !reflect.DeepEqual(am[k], bm[k]) {
			out = append(out, crmtype.Change{Field: "quality." + k, Before: am[k], After: bm[k]})
		}
	}
	return out
}
