package customer

import (
	"context"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/searchtext"
)

// Store is the persistence the customer services need. The store package
// implements it on SQLite and PostgreSQL; every method is confined to the
// scope's workspace and reports another workspace's record as ErrNotFound.
// Every write appends its events (EventTypes) in the same transaction.
type Store interface {
	// DefaultRegion returns the workspace's default phone region ("" if unset).
	DefaultRegion(ctx context.Context, s crmtype.Scope) (string, error)

	InsertCustomers(ctx context.Context, s crmtype.Scope, cs []*Customer) error
	GetCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, includeDeleted bool) (*Customer, error)
	// UpdateCustomer loads the live customer id, checks its version, lets
	// change modify it and saves it with the version increased, atomically.
	UpdateCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, version int64, change func(*Customer) error) (*Customer, error)
	// SetCustomerDeleted soft-deletes (at non-nil) or restores (nil) a customer.
	SetCustomerDeleted(ctx context.Context, s crmtype.Scope, id crmtype.ID, at *time.Time, now time.Time) (*Customer, error)
	PurgeCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, now time.Time) error
	ListCustomers(ctx context.Context, s crmtype.Scope, p ListParams, limit int) (crmtype.Page[*Customer], error)
	CountCustomers(ctx context.Context, s crmtype.Scope, f Filter) (int, error)
	SearchCustomers(ctx context.Context, s crmtype.Scope, q searchtext.Query, f Filter, limit int) ([]SearchHit, error)
	FindByIdentity(ctx context.Context, s crmtype.Scope, kind IdentityKind, system, value string) (*Customer, error)
	AddIdentity(ctx context.Context, s crmtype.Scope, id *Identity) error
	RemoveIdentity(ctx context.Context, s crmtype.Scope, customerID, identityID crmtype.ID, now time.Time) error

	PutAttributeDef(ctx context.Context, s crmtype.Scope, d AttributeDef) error
	AttributeDefs(ctx context.Context, s crmtype.Scope) ([]AttributeDef, error)
	DeleteAttributeDef(ctx context.Context, s crmtype.Scope, key string, now time.Time) error

	InsertPurchases(ctx context.Context, s crmtype.Scope, ps []*Purchase) error
	ListPurchases(ctx context.Context, s crmtype.Scope, customerID crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*Purchase], error)
	PurchaseStats(ctx context.Context, s crmtype.Scope, customerID crmtype.ID) (PurchaseStats, error)
}
