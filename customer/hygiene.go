package customer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
)

// StoredIdentity is an identity as stored, with its hygiene flag.
type StoredIdentity struct {
	Identity
	// InvalidReason says why hygiene found the value invalid; "" when valid.
	InvalidReason string
}

// IdentityFix is one change Normalise makes to a stored identity.
type IdentityFix struct {
	Identity StoredIdentity
	// Value is the new canonical value; "" leaves the value as it is.
	Value string
	// InvalidReason is the new flag ("" clears it).
	InvalidReason string
}

// IdentityIssue reports one identity Normalise could not, or would not,
// change.
type IdentityIssue struct {
	IdentityID crmtype.ID
	CustomerID crmtype.ID
	Kind       IdentityKind
	Value      string // as stored
	NewValue   string // the canonical value, for a conflict
	Reason     string
	HeldBy     crmtype.ID // the customer already holding NewValue, for a conflict
}

// NormaliseParams tunes Normalise.
type NormaliseParams struct {
	BatchSize int  // identities read and written per transaction; default 500, at most 5000
	DryRun    bool // report only, write nothing; conflicts are found only when writing, so they show as updates
}

// NormaliseReport says what Normalise found and changed.
type NormaliseReport struct {
	Checked int
	// Updated lists identities whose value changed (NewValue the new one).
	Updated []IdentityIssue
	// Conflicts lists identities whose canonical value another identity
	// of the same customer holds already: left as they are.
	Conflicts []IdentityIssue
	// Flagged lists identities newly flagged invalid (kept, not deleted).
	Flagged []IdentityIssue
	// Cleared lists identities whose invalid flag was cleared.
	Cleared []IdentityIssue
}

// StaleAction is what Stale does with the stale customers it finds.
type StaleAction string

// Stale actions.
const (
	StaleReportOnly StaleAction = "report"    // change nothing (the default)
	StaleInactive   StaleAction = "inactive"  // set the stage to StageInactive (customer.updated)
	StaleAnonymise  StaleAction = "anonymise" // erase personal data as privacy.Service.Erase does (customer.erased)
	StaleDelete     StaleAction = "delete"    // soft-delete (customer.deleted)
)

// StaleParams is a staleness policy.
type StaleParams struct {
	// Days without activity (no update, purchase or event) after which a
	// live customer is stale; at least 1. Days 0 and an empty Action take
	// the workspace's QualitySettings.
	Days      int
	Action    StaleAction
	BatchSize int // customers per transaction; default 500, at most 5000
}

// StaleCustomer is a customer without activity since LastActivity.
type StaleCustomer struct {
	ID           crmtype.ID
	Name         string
	Stage        Stage
	Version      int64
	LastActivity time.Time
}

// StaleReport says which customers were stale and what changed.
type StaleReport struct {
	Cutoff    time.Time
	Action    StaleAction
	Customers []StaleCustomer
	// Changed lists the customers the action changed (a customer already
	// inactive is not changed by StaleInactive).
	Changed []crmtype.ID
}

// HygieneStore is the persistence Normalise and Stale need.
type HygieneStore interface {
	// ScanIdentities returns up to limit email and phone identities with an
	// id above after, by id.
	ScanIdentities(ctx context.Context, s crmtype.Scope, after crmtype.ID, limit int) ([]StoredIdentity, error)
	// FixIdentities applies fixes in one transaction, updating the
	// customers' copies and appending identity.normalised and
	// identity.flagged events. A value another identity holds is not
	// written: that fix comes back as a conflict.
	FixIdentities(ctx context.Context, s crmtype.Scope, fixes []IdentityFix, now time.Time) ([]IdentityIssue, error)
	// StaleCustomers returns up to limit live customers with an id above
	// after, by id, whose last update, purchase and event are all before cutoff.
	StaleCustomers(ctx context.Context, s crmtype.Scope, cutoff time.Time, after crmtype.ID, limit int) ([]StaleCustomer, error)
	// ApplyStale applies action to cs in one transaction and returns the
	// customers it changed.
	ApplyStale(ctx context.Context, s crmtype.Scope, cs []StaleCustomer, action StaleAction, now time.Time) ([]crmtype.ID, error)
}

func batchSize(n int) (int, error) {
	switch {
	case n == 0:
		return 500, nil
	case n < 0 || n > 5000:
		return 0, crmtype.Invalid("batch_size", "must be between 1 and 5000")
	}
	return n, nil
}

// Normalise re-reads every stored email and phone with today's rules
// (CanonicalEmail, CanonicalPhone with the workspace's default region):
// values whose canonical form changed are rewritten (unless another
// identity of the same customer holds the new value, or another customer
// the external id: then it is reported as a conflict and left alone; an
// email or phone other customers hold is shared with them), values that
// are not valid any more are flagged with a reason and
// kept, and flags that no longer apply are cleared. It works in batches, one
// transaction each, and records identity.normalised and identity.flagged
// events.
func (s *Service) Normalise(ctx context.Context, p NormaliseParams) (NormaliseReport, error) {
	const op = "normalise"
	var rep NormaliseReport
	sc, err := s.scope(ctx, op)
	if err != nil {
		return rep, err
	}
	n, err := batchSize(p.BatchSize)
	if err != nil {
		return rep, wrap(op, err)
	}
	region, err := s.store.DefaultRegion(ctx, sc)
	if err != nil {
		return rep, wrap(op, err)
	}
	var after crmtype.ID
	for {
		ids, err := s.store.ScanIdentities(ctx, sc, after, n)
		if err != nil {
			return rep, wrap(op, err)
		}
		if len(ids) == 0 {
			return rep, nil
		}
		after = ids[len(ids)-1].ID
		rep.Checked += len(ids)
		var fixes []IdentityFix
		for _, id := range ids {
			v, reason := renormalise(id.Identity, region)
			fix := IdentityFix{Identity: id, InvalidReason: reason}
			if reason == "" && v != id.Value {
				fix.Value = v
			}
			if fix.Value == "" && fix.InvalidReason == id.InvalidReason {
				continue
			}
			fixes = append(fixes, fix)
		}
		conflicts := map[crmtype.ID]IdentityIssue{}
		if !p.DryRun && len(fixes) > 0 {
			cs, err := s.store.FixIdentities(ctx, sc, fixes, s.clock.Now())
			if err != nil {
				return rep, wrap(op, err)
			}
			for _, c := range cs {
				conflicts[c.IdentityID] = c
			}
		}
		for _, f := range fixes {
			is := IdentityIssue{IdentityID: f.Identity.ID, CustomerID: f.Identity.CustomerID, Kind: f.Identity.Kind,
				Value: f.Identity.Value, NewValue: f.Value, Reason: f.InvalidReason}
			switch {
			case f.Value != "":
				if c, ok := conflicts[f.Identity.ID]; ok {
					rep.Conflicts = append(rep.Conflicts, c)
				} else {
					rep.Updated = append(rep.Updated, is)
				}
			case f.InvalidReason != "":
				rep.Flagged = append(rep.Flagged, is)
			default:
				rep.Cleared = append(rep.Cleared, is)
			}
		}
		if len(ids) < n {
			return rep, nil
		}
	}
}

// renormalise returns the canonical value of id, or why it is invalid. The
// stored value is read first (a canonical value is its own canonical
// form); if it is not valid, the raw value as given, with region.
func renormalise(id Identity, region string) (string, string) {
	canon := func(v string) (string, error) {
		if id.Kind == Email {
			return CanonicalEmail(v)
		}
		return CanonicalPhone(v, region)
	}
	v, err := canon(id.Value)
	if err == nil {
		return v, ""
	}
	if id.Raw != "" && id.Raw != id.Value {
		if v, err2 := canon(id.Raw); err2 == nil {
			return v, ""
		}
	}
	var ve *crmtype.ValidationError
	if errors.As(err, &ve) {
		return "", ve.Reason
	}
	return "", err.Error()
}

// Stale finds the live customers without activity (no update, purchase or
// event) for p.Days days, and applies p.Action to them in batches, one
// transaction each, each change recording its event. The report lists every
// stale customer found and those the action changed.
func (s *Service) Stale(ctx context.Context, p StaleParams) (StaleReport, error) {
	const op = "stale"
	rep := StaleReport{Action: p.Action}
	sc, err := s.scope(ctx, op)
	if err != nil {
		return rep, err
	}
	if p.Days == 0 || p.Action == "" {
		q, err := s.store.QualitySettings(ctx, sc)
		if err != nil {
			return rep, wrap(op, err)
		}
		if p.Days == 0 {
			p.Days = q.StaleDays
		}
		if p.Action == "" {
			p.Action, rep.Action = q.StaleAction, q.StaleAction
		}
	}
	if p.Days < 1 || p.Days > 100*366 {
		return rep, wrap(op, crmtype.Invalid("days", "must be between 1 and 36600"))
	}
	if rep.Action == "" {
		rep.Action = StaleReportOnly
	}
	switch rep.Action {
	case StaleReportOnly, StaleInactive, StaleAnonymise, StaleDelete:
	default:
		return rep, wrap(op, crmtype.Invalidf("action", "%q is not an action", p.Action))
	}
	n, err := batchSize(p.BatchSize)
	if err != nil {
		return rep, wrap(op, err)
	}
	now := s.clock.Now()
	rep.Cutoff = now.Add(-time.Duration(p.Days) * 24 * time.Hour)
	var after crmtype.ID
	for {
		cs, err := s.store.StaleCustomers(ctx, sc, rep.Cutoff, after, n)
		if err != nil {
			return rep, wrap(op, err)
		}
		if len(cs) == 0 {
			return rep, nil
		}
		after = cs[len(cs)-1].ID
		rep.Customers = append(rep.Customers, cs...)
		if rep.Action != StaleReportOnly {
			changed, err := s.store.ApplyStale(ctx, sc, cs, rep.Action, now)
			if err != nil {
				return rep, wrap(op, fmt.Errorf("%s: %w", rep.Action, err))
			}
			rep.Changed = append(rep.Changed, changed...)
		}
		if len(cs) < n {
			return rep, nil
		}
	}
}
