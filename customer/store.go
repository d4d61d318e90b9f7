package customer

import (
	"context"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/searchtext"
)

// SearchQuery is a parsed search: every term must match an indexed token,
// exactly or as a prefix. Search builds it; stores render it for their
// full-text engine.
type SearchQuery = searchtext.Query

// Store is the persistence the customer services need. The store package
// implements it on SQLite and PostgreSQL. The contract every implementation
// keeps:
//
//   - every method is confined to the scope's workspace, and reports another
//     workspace's record exactly like a missing one: crmtype.ErrNotFound;
//   - every write is atomic and appends its events (EventTypes) in the same
//     transaction;
//   - a taken unique value is a *crmtype.ConflictError naming the holder
//     when it is known;
//   - inputs have been validated by the Service; the store checks only what
//     needs the database (existence, uniqueness, versions).
type Store interface {
	TxStore
	MergeStore
	HygieneStore
	QualityStore
	// DefaultRegion returns the workspace's default phone region ("" if unset).
	DefaultRegion(ctx context.Context, s crmtype.Scope) (string, error)

	// InsertCustomers stores cs with their identities and tags, all or
	// none. ErrNotFound when a CompanyID names no live company; ErrConflict
	// when an external id is taken (emails and phones may be shared).
	InsertCustomers(ctx context.Context, s crmtype.Scope, cs []*Customer) error
	// UpdateCustomers saves, all or none, each change's After over the
	// customer as read (Before: ErrConflict when its version changed
	// since), at version Before.Version+1, inserting the Added identities,
	// and appends customer.updated (when a field changed) and
	// identity.added events. ErrConflict when an added external id is
	// taken or the customer holds an added identity already.
	UpdateCustomers(ctx context.Context, s crmtype.Scope, cs []CustomerChange) error
	// SaveImport is InsertCustomers of creates, UpdateCustomers of changes
	// and InsertPossibleDuplicates of pairs, all or none, in one go (what
	// an import batch writes).
	SaveImport(ctx context.Context, s crmtype.Scope, creates []*Customer, changes []CustomerChange, pairs []PossibleDuplicate) error
	// GetCustomer returns customer id, or ErrNotFound (also for a deleted
	// one unless includeDeleted).
	GetCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, includeDeleted bool) (*Customer, error)
	// UpdateCustomer loads the live customer id, checks its version
	// (ErrConflict when stale), lets change modify it and saves it with the
	// version increased, atomically. When change alters nothing, nothing is
	// written and the customer is returned as it was.
	UpdateCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, version int64, change func(*Customer) error) (*Customer, error)
	// SetCustomerDeleted soft-deletes a live customer (at non-nil) or
	// restores a deleted one that was neither erased nor merged away (at
	// nil); ErrNotFound otherwise.
	SetCustomerDeleted(ctx context.Context, s crmtype.Scope, id crmtype.ID, at *time.Time, now time.Time) (*Customer, error)
	// PurgeCustomer deletes customer id and everything that cascades from
	// it. ErrConflict while people belong to it.
	PurgeCustomer(ctx context.Context, s crmtype.Scope, id crmtype.ID, now time.Time) error
	// ListCustomers returns one page of p's selection in p's order.
	ListCustomers(ctx context.Context, s crmtype.Scope, p ListParams, limit int) (crmtype.Page[*Customer], error)
	// CountCustomers counts f's selection.
	CountCustomers(ctx context.Context, s crmtype.Scope, f Filter) (int, error)
	// SearchCustomers returns at most limit customers of f's selection
	// matching q, best first.
	SearchCustomers(ctx context.Context, s crmtype.Scope, q SearchQuery, f Filter, limit int) ([]SearchHit, error)
	// AnalyzeCustomers refreshes the query planner's statistics of the
	// customer tables after a bulk load grew them (a no-op where the
	// database needs none), so that the plans of later statements, the
	// foreign-key checks among them, fit the tables' new size.
	AnalyzeCustomers(ctx context.Context, s crmtype.Scope) error
	// IdentityHolders returns, for each of keys (canonical values), the
	// live customers holding it as a valid identity (not flagged invalid),
	// oldest first. Keys nobody holds are absent. A customer holding
	// several of the keys is returned once, as the same *Customer.
	IdentityHolders(ctx context.Context, s crmtype.Scope, keys []IdentityKey) (map[IdentityKey][]*Customer, error)
	// AddIdentity gives a live customer another identity (a new version).
	AddIdentity(ctx context.Context, s crmtype.Scope, id *Identity) error
	// RemoveIdentity removes one identity of a customer, deleted or not (a
	// new version). ErrNotFound when the customer does not hold it.
	RemoveIdentity(ctx context.Context, s crmtype.Scope, customerID, identityID crmtype.ID, now time.Time) error

	// PutAttributeDef creates or changes an attribute definition.
	// ErrConflict when the type changes or stored values would break it.
	PutAttributeDef(ctx context.Context, s crmtype.Scope, d AttributeDef) error
	// AttributeDefs returns the definitions by key.
	AttributeDefs(ctx context.Context, s crmtype.Scope) ([]AttributeDef, error)
	// DeleteAttributeDef removes a definition and every customer's value
	// for it. ErrNotFound when it is not defined.
	DeleteAttributeDef(ctx context.Context, s crmtype.Scope, key string, now time.Time) error

	// InsertPurchases stores ps, all or none. ErrNotFound when a customer
	// does not exist; ErrConflict when an order id is taken.
	InsertPurchases(ctx context.Context, s crmtype.Scope, ps []*Purchase) error
	// ListPurchases returns one page of a customer's purchases, newest
	// first. ErrNotFound when the customer does not exist.
	ListPurchases(ctx context.Context, s crmtype.Scope, customerID crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*Purchase], error)
	// InsertPossibleDuplicates records pairs for review, with a
	// customer.possible_duplicate event each on the pair's customer; a
	// pair already recorded is left as it is.
	InsertPossibleDuplicates(ctx context.Context, s crmtype.Scope, ds []PossibleDuplicate) error
	// ListPossibleDuplicates returns one page of the recorded pairs, oldest
	// first (those of p.CustomerID, on either side, when it is set).
	ListPossibleDuplicates(ctx context.Context, s crmtype.Scope, p PossibleDuplicateParams, limit int) (crmtype.Page[PossibleDuplicate], error)
	// DeletePossibleDuplicate removes pair id with a
	// customer.duplicate_dismissed event. ErrNotFound when there is none.
	DeletePossibleDuplicate(ctx context.Context, s crmtype.Scope, id crmtype.ID, now time.Time) error

	// PurchaseStats aggregates a customer's purchases. ErrNotFound when the
	// customer does not exist.
	PurchaseStats(ctx context.Context, s crmtype.Scope, customerID crmtype.ID) (PurchaseStats, error)
}
