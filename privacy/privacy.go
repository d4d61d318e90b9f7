package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
)

// Bundle is everything held about one customer.
type Bundle struct {
	Customer   crmtype.ID `json:"customer"`
	Workspace  string     `json:"workspace"`
	ExportedAt time.Time  `json:"exported_at"`
	// Tables maps each table that refers to the customer to its rows, each
	// row a map of column to value.
	Tables map[string][]map[string]any `json:"tables"`
}

// JSON returns the bundle as indented JSON, the form to hand to the person.
func (b *Bundle) JSON() ([]byte, error) { return json.MarshalIndent(b, "", "  ") }

// EraseOptions tunes Erase.
type EraseOptions struct {
	// DeletePurchases deletes the customer's purchases instead of keeping
	// them, anonymous, for accounting (the default).
	DeletePurchases bool
}

// EraseReport says what Erase touched.
type EraseReport struct {
	Customer crmtype.ID
	ErasedAt time.Time
	// Deleted and Scrubbed count rows per table: deleted outright, or kept
	// with their personal fields emptied.
	Deleted  map[string]int64
	Scrubbed map[string]int64
}

// Store is what the privacy service needs from the database.
type Store interface {
	ExportCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID) (map[string][]map[string]any, error)
	EraseCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, opts EraseOptions, now time.Time) (EraseReport, error)
}

// Service answers one workspace's data-subject requests.
type Service struct {
	store     Store
	workspace crmtype.WorkspaceID
	clock     crmtype.Clock
}

// NewService returns a Service for workspace ws over st (clock nil means
// crmtype.SystemClock).
func NewService(st Store, ws crmtype.WorkspaceID, clock crmtype.Clock) *Service {
	if clock == nil {
		clock = crmtype.SystemClock{}
	}
	return &Service{store: st, workspace: ws, clock: clock}
}

// Export returns every record about customer id (live, deleted or erased)
// in every table that refers to customers, events included.
// ErrNotFound when the workspace has no such customer.
func (s *Service) Export(ctx context.Context, id crmtype.ID) (*Bundle, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return nil, fmt.Errorf("privacy: export: %w", err)
	}
	tables, err := s.store.ExportCustomer(ctx, sc, id)
	if err != nil {
		return nil, fmt.Errorf("privacy: export: %w", err)
	}
	return &Bundle{Customer: id, Workspace: string(s.workspace), ExportedAt: s.clock.Now(), Tables: tables}, nil
}

// Erase irreversibly removes customer id's personal data everywhere, in one
// transaction: identities, tags and search entries are deleted; the
// customer record is emptied and marked erased (and deleted); free text on
// kept records and the values in the customer's events and audit trail are
// scrubbed; purchases are kept without the person unless opts say
// otherwise. Erasing an erased customer again is harmless. A customer
// merged into another is the same person: erasing either id erases the
// survivor and every customer merged into it (EraseReport.Customer names the
// survivor).
// ErrNotFound when the workspace has no such customer.
func (s *Service) Erase(ctx context.Context, id crmtype.ID, opts EraseOptions) (EraseReport, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return EraseReport{}, fmt.Errorf("privacy: erase: %w", err)
	}
	r, err := s.store.EraseCustomer(ctx, sc, id, opts, s.clock.Now())
	if err != nil {
		return EraseReport{}, fmt.Errorf("privacy: erase: %w", err)
	}
	return r, nil
}
