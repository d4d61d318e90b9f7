package customer

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kehu/crm/crmtype"
)

// QualitySettings are a workspace's data-quality policy: the defaults that
// FindDuplicates and Stale use when a call leaves them zero.
type QualitySettings struct {
	// DuplicateThreshold is the match probability (0 < t < 1) at or above
	// which FindDuplicates reports a pair. 0 means the engine's default
	// (0.5).
	DuplicateThreshold float64 `json:"duplicate_threshold,omitempty"`
	// DuplicateDateAttribute and DuplicateAttributes name custom attributes
	// compared as a date of birth and with typo tolerance (an id number).
	DuplicateDateAttribute string   `json:"duplicate_date_attribute,omitempty"`
	DuplicateAttributes    []string `json:"duplicate_attributes,omitempty"`
	// StaleDays is the days without activity after which a customer is
	// stale; 0 means no policy (Stale then needs its Days).
	StaleDays int `json:"stale_days,omitempty"`
	// StaleAction is what Stale does by default; "" means StaleReportOnly.
	StaleAction StaleAction `json:"stale_action,omitempty"`
}

// QualityStore keeps the workspace's QualitySettings.
type QualityStore interface {
	// QualitySettings returns the stored settings (zero when never set).
	QualitySettings(ctx context.Context, s crmtype.Scope) (QualitySettings, error)
	// PutQualitySettings replaces them and records a
	// workspace.settings_updated event with the fields that changed.
	PutQualitySettings(ctx context.Context, s crmtype.Scope, q QualitySettings, now time.Time) error
}

// QualitySettings returns the workspace's data-quality policy.
func (s *Service) QualitySettings(ctx context.Context) (QualitySettings, error) {
	const op = "quality settings"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return QualitySettings{}, err
	}
	q, err := s.store.QualitySettings(ctx, sc)
	return q, wrap(op, err)
}

// SetQualitySettings replaces the workspace's data-quality policy. The
// attributes it names must be defined. Errors: ErrInvalid naming the field.
func (s *Service) SetQualitySettings(ctx context.Context, q QualitySettings) error {
	const op = "set quality settings"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if q.DuplicateThreshold < 0 || q.DuplicateThreshold >= 1 || math.IsNaN(q.DuplicateThreshold) {
		return wrap(op, crmtype.Invalid("duplicate_threshold", "must be 0 (the default) or between 0 and 1"))
	}
	if q.StaleDays < 0 || q.StaleDays > 100*366 {
		return wrap(op, crmtype.Invalid("stale_days", "must be between 0 and 36600"))
	}
	switch q.StaleAction {
	case "", StaleReportOnly, StaleInactive, StaleAnonymise, StaleDelete:
	default:
		return wrap(op, crmtype.Invalidf("stale_action", "%q is not an action", q.StaleAction))
	}
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return wrap(op, err)
	}
	defined := map[string]bool{}
	for _, d := range defs {
		defined[d.Key] = true
	}
	if q.DuplicateDateAttribute != "" && !defined[q.DuplicateDateAttribute] {
		return wrap(op, crmtype.Invalidf("duplicate_date_attribute", "%q is not a defined attribute", q.DuplicateDateAttribute))
	}
	for i, a := range q.DuplicateAttributes {
		if !defined[a] {
			return wrap(op, crmtype.Invalidf(fmt.Sprintf("duplicate_attributes[%d]", i), "%q is not a defined attribute", a))
		}
	}
	return wrap(op, s.store.PutQualitySettings(ctx, sc, q, s.clock.Now()))
}
