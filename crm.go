package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/privacy"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// Errors, re-exported from crmtype so that callers need one import.
var (
	ErrNotFound    = crmtype.ErrNotFound
	ErrConflict    = crmtype.ErrConflict
	ErrInvalid     = crmtype.ErrInvalid
	ErrNoWorkspace = crmtype.ErrNoWorkspace
)

type (
	// ValidationError names the field of a rejected input; it matches ErrInvalid.
	ValidationError = crmtype.ValidationError
	// ConflictError names a taken value or a stale version; it matches ErrConflict.
	ConflictError = crmtype.ConflictError
	// ID identifies a record (a UUIDv7).
	ID = crmtype.ID
	// WorkspaceID names a tenant.
	WorkspaceID = crmtype.WorkspaceID
)

// WithActor returns a context recording who makes the changes done with it,
// e.g. "user:42".
func WithActor(ctx context.Context, actor string) context.Context {
	return crmtype.WithActor(ctx, actor)
}

// Config configures a Client. A nil *Config means all defaults.
type Config struct {
	// Clock gives every timestamp the SDK stores. Default: crmtype.SystemClock.
	Clock crmtype.Clock
	// OutboxLease is how long a batch from Events.Next stays with the worker
	// that took it before it is delivered again. Default: one minute.
	OutboxLease time.Duration
	// Communication configures every workspace's Communication service:
	// the Sender that delivers outbound messages, body limits, the
	// reminder lease. Its Clock is ignored: Clock above applies.
	Communication communication.Config
	// Service configures every workspace's Service (tickets: the reopen
	// window). Its Clock is ignored: Clock above applies.
	Service service.Config
}

// EventTypes lists every event type the SDK records.
func EventTypes() []string {
	return slices.Concat([]string{crmtype.EventWorkspaceSettingsUpdated}, customer.EventTypes,
		communication.InteractionEventTypes, communication.TaskEventTypes, communication.SurveyEventTypes,
		service.TicketEventTypes, service.ReplyEventTypes, service.PolicyEventTypes, service.EngagementEventTypes,
		service.MergeEventTypes, marketing.CampaignEventTypes, marketing.MemberEventTypes,
		marketing.PromotionEventTypes, marketing.SegmentEventTypes, marketing.AdEventTypes,
		marketing.ExperimentEventTypes)
}

// Client is the entry point: it holds the database and hands out
// workspace-scoped services. It is safe for concurrent use.
type Client struct {
	db    *bun.DB // nil for a client bound to a transaction
	store *store.Store
	clock crmtype.Clock
	lease time.Duration
	comm  communication.Config
	svc   service.Config
}

// New returns a Client over db, which must use bun's sqlitedialect or
// pgdialect. SQLite must have foreign keys on in every connection (as
// store/sqlite.Open configures it): the database's own checks are one of
// the layers that keep workspaces apart. A host that opens SQLite itself
// should use store/sqlite.DSN and one connection: without immediate
// transactions and a busy timeout, concurrent writers can get "database is
// locked". New does not touch the schema; call Migrate.
func New(db *bun.DB, cfg *Config) (*Client, error) {
	if db == nil {
		return nil, errors.New("crm: new: db is nil")
	}
	if cfg == nil {
		cfg = &Config{}
	}
	switch db.Dialect().Name() {
	case dialect.SQLite:
		var on int
		if err := db.QueryRow("PRAGMA foreign_keys").Scan(&on); err != nil {
			return nil, fmt.Errorf("crm: new: %w", err)
		}
		if on != 1 {
			return nil, errors.New("crm: new: SQLite foreign keys are off; open the database with store/sqlite.Open or _pragma=foreign_keys(1)")
		}
	case dialect.PG:
	default:
		return nil, fmt.Errorf("crm: new: unsupported dialect %s; use SQLite or PostgreSQL", db.Dialect().Name())
	}
	clock := crmtype.StoredClock(cfg.Clock)
	comm := cfg.Communication
	comm.Clock = clock
	svc := cfg.Service
	svc.Clock = clock
	return &Client{db: db, store: store.New(db), clock: clock, lease: cfg.OutboxLease, comm: comm, svc: svc}, nil
}

// Migrate creates or updates the crm_ tables. It is safe to run on every
// start; it runs only migrations not yet applied, each all-or-nothing. A
// client made by WithTx or inside RunInTx cannot migrate.
func (c *Client) Migrate(ctx context.Context) error {
	if c.db == nil {
		return errors.New("crm: migrate: not available on a transaction-bound client")
	}
	if err := store.Migrate(ctx, c.db); err != nil {
		return fmt.Errorf("crm: %w", err)
	}
	return nil
}

// RunInTx runs fn with a client whose every call shares one transaction:
// if fn returns an error or panics, nothing it did through tx is kept.
// Called on a client that is already in a transaction, it runs fn in a
// savepoint. Use only tx (not c) inside fn: on SQLite, with its single
// connection, a call through c would wait for the transaction to end.
func (c *Client) RunInTx(ctx context.Context, fn func(ctx context.Context, tx *Client) error) error {
	return c.store.RunInTx(ctx, func(ctx context.Context, tx *store.Store) error {
		return fn(ctx, &Client{store: tx, clock: c.clock, lease: c.lease, comm: c.comm, svc: c.svc})
	})
}

// Subscribe registers fn to be called with every event the client's writes
// record (in any workspace), after the transaction that recorded them
// commits, in order, in the goroutine that committed: keep fn quick (hand
// the event to a channel or queue). Writes under WithTx, whose commit is the
// host's, are not delivered; a host that needs every event, across
// processes and restarts, reads the outbox (Workspace.Events.Next). The
// returned function removes fn.
func (c *Client) Subscribe(fn func(crmtype.Event)) (cancel func()) {
	return c.store.Subscribe(fn)
}

// WithTx returns a client whose calls run in the host's transaction tx, so
// CRM writes commit or roll back with the host's own.
func (c *Client) WithTx(tx bun.Tx) *Client {
	return &Client{store: c.store.WithDB(tx), clock: c.clock, lease: c.lease, comm: c.comm, svc: c.svc}
}

// Workspace returns the services of workspace id. It does not touch the
// database; an invalid id (empty, over 64 bytes, control characters) makes
// every call return an error matching ErrNoWorkspace.
func (c *Client) Workspace(id string) *Workspace {
	w := crmtype.WorkspaceID(id)
	customers := customer.NewService(c.store, w, c.clock)
	comm := communication.NewService(c.store, customers, w, c.comm)
	an := analysis.NewService(c.store, w)
	svc := c.svc
	svc.Messages = comm
	if svc.Surveys == nil {
		svc.Surveys = comm
	}
	return &Workspace{
		ID:            w,
		Customers:     customers,
		Communication: comm,
		Service:       service.NewService(c.store, w, svc),
		Marketing:     marketing.NewService(c.store, comm, w, marketing.Config{Clock: c.clock, RFM: an}),
		Events:        event.NewService(c.store, w, event.Config{Types: EventTypes(), Lease: c.lease, Clock: c.clock}),
		Privacy:       privacy.NewService(c.store, w, c.clock),
		Analysis:      an,
		client:        c,
	}
}

// Workspace is one tenant's view of the CRM.
type Workspace struct {
	ID WorkspaceID
	// Customers manages people and companies, identities, custom attributes
	// and purchases.
	Customers *customer.Service
	// Communication records every exchange with customers (interactions
	// and their conversations), renders and sends templated messages, and
	// keeps tasks and reminders.
	Communication *communication.Service
	// Service keeps tickets (numbers, the status life cycle, replies and
	// notes), SLA policies and escalations, engagements, satisfaction
	// surveys and service reports.
	Service *service.Service
	// Events reads the event log: customer timelines, audit trails, and the
	// outbox for the host's consumers.
	Events *event.Service
	// Privacy answers data-subject requests: export and erasure.
	Privacy *privacy.Service
	// Analysis mines the workspace's purchases: summaries, RFM, segments,
	// lifetime value and churn, cohorts; aggregation runs in the database.
	Analysis *analysis.Service
	// Marketing plans and runs campaigns: types, status, hierarchy, UTM
	// tags and the cost ledger.
	Marketing *marketing.Service

	client *Client
}

// Settings are a workspace's preferences.
type Settings struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 country whose numbering plan
	// reads phone numbers written without a country code; "" means such
	// numbers are rejected.
	DefaultRegion string
}

// Settings returns the workspace's settings (defaults when never set).
func (w *Workspace) Settings(ctx context.Context) (Settings, error) {
	sc, err := crmtype.NewScope(ctx, w.ID)
	if err != nil {
		return Settings{}, fmt.Errorf("crm: settings: %w", err)
	}
	r, err := w.client.store.DefaultRegion(ctx, sc)
	if err != nil {
		return Settings{}, fmt.Errorf("crm: settings: %w", err)
	}
	return Settings{DefaultRegion: r}, nil
}

// UpdateSettings replaces the workspace's settings. An unknown region is
// ErrInvalid.
func (w *Workspace) UpdateSettings(ctx context.Context, s Settings) error {
	sc, err := crmtype.NewScope(ctx, w.ID)
	if err != nil {
		return fmt.Errorf("crm: update settings: %w", err)
	}
	region, err := customer.CleanRegion("default_region", s.DefaultRegion)
	if err != nil {
		return fmt.Errorf("crm: update settings: %w", err)
	}
	if err := w.client.store.SetDefaultRegion(ctx, sc, region, w.client.clock.Now()); err != nil {
		return fmt.Errorf("crm: update settings: %w", err)
	}
	return nil
}
