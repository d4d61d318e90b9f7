package event

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
)

// Query selects events of a timeline or an audit trail, newest first.
type Query struct {
	Types []string  // only these event types; all when empty
	From  time.Time // only events at or after From
	To    time.Time // only events before To
	// Limit is the page size: default crmtype.DefaultPageSize, at most
	// crmtype.MaxPageSize.
	Limit int
	After crmtype.Cursor // the Next of the previous page
}

// AuditQuery selects the history of one record.
type AuditQuery struct {
	Query
	Subject    crmtype.ID // the record's ID; or
	SubjectKey string     // the key of a record without an ID (e.g. an attribute), with SubjectType
	// SubjectType narrows to one kind of record, e.g. "customer"; required with SubjectKey.
	SubjectType string
	Actor       string // only changes made by this actor
}

// Batch is a batch of outbox events leased to one worker of a consumer.
type Batch struct {
	Events []crmtype.Event
	// Cursor acknowledges the batch (pass it to Ack); empty when Events is.
	Cursor crmtype.Cursor
}

// Store is what the event service needs from the database.
type Store interface {
	Timeline(ctx context.Context, s crmtype.Scope, customer crmtype.ID, q Query, limit int) (crmtype.Page[crmtype.Event], error)
	Audit(ctx context.Context, s crmtype.Scope, q AuditQuery, limit int) (crmtype.Page[crmtype.Event], error)
	NextEvents(ctx context.Context, s crmtype.Scope, consumer string, limit int, lease time.Duration, now time.Time) (Batch, error)
	AckEvents(ctx context.Context, s crmtype.Scope, consumer string, cursor crmtype.Cursor, now time.Time) error
	PruneEvents(ctx context.Context, s crmtype.Scope, before time.Time) (int64, error)
}

// Config configures a Service.
type Config struct {
	// Types lists every event type the modules record; filters naming
	// another type are rejected.
	Types []string
	// Lease is how long a batch from Next stays with its worker before it is
	// delivered again. Default one minute.
	Lease time.Duration
	// Clock gives the time. Default crmtype.SystemClock.
	Clock crmtype.Clock
}

// Service reads one workspace's event log. Safe for concurrent use.
type Service struct {
	store     Store
	workspace crmtype.WorkspaceID
	types     map[string]bool
	lease     time.Duration
	clock     crmtype.Clock
}

// NewService returns a Service for workspace ws over st.
func NewService(st Store, ws crmtype.WorkspaceID, cfg Config) *Service {
	s := &Service{store: st, workspace: ws, types: map[string]bool{}, lease: cfg.Lease, clock: cfg.Clock}
	for _, t := range cfg.Types {
		s.types[t] = true
	}
	if s.lease <= 0 {
		s.lease = time.Minute
	}
	if s.clock == nil {
		s.clock = crmtype.SystemClock{}
	}
	return s
}

func (s *Service) scope(ctx context.Context, op string) (crmtype.Scope, error) {
	sc, err := crmtype.NewScope(ctx, s.workspace)
	if err != nil {
		return sc, fmt.Errorf("event: %s: %w", op, err)
	}
	return sc, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("event: %s: %w", op, err)
}

func (s *Service) checkQuery(q Query) (int, error) {
	for i, t := range q.Types {
		if !s.types[t] {
			return 0, crmtype.Invalidf(fmt.Sprintf("types[%d]", i), "%q is not an event type", t)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return 0, crmtype.Invalid("to", "must be after from")
	}
	return crmtype.PageSize(q.Limit)
}

// Timeline returns one page of everything that happened to customer id,
// newest first. Follow Page.Next for older events; there is no cap. An
// unknown customer has an empty timeline. Errors: ErrInvalid for an unknown
// type, or a malformed cursor or one from another list.
func (s *Service) Timeline(ctx context.Context, customer crmtype.ID, q Query) (crmtype.Page[crmtype.Event], error) {
	const op = "timeline"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[crmtype.Event]{}, err
	}
	limit, err := s.checkQuery(q)
	if err != nil {
		return crmtype.Page[crmtype.Event]{}, wrap(op, err)
	}
	if customer.IsZero() {
		return crmtype.Page[crmtype.Event]{}, wrap(op, crmtype.Invalid("customer", "is required"))
	}
	page, err := s.store.Timeline(ctx, sc, customer, q, limit)
	return page, wrap(op, err)
}

// Audit returns one page of the history of one record, newest first, each
// event with its field-level changes, actor and time.
func (s *Service) Audit(ctx context.Context, q AuditQuery) (crmtype.Page[crmtype.Event], error) {
	const op = "audit"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[crmtype.Event]{}, err
	}
	limit, err := s.checkQuery(q.Query)
	if err != nil {
		return crmtype.Page[crmtype.Event]{}, wrap(op, err)
	}
	switch {
	case q.Subject.IsZero() && q.SubjectKey == "":
		return crmtype.Page[crmtype.Event]{}, wrap(op, crmtype.Invalid("subject", "is required"))
	case !q.Subject.IsZero() && q.SubjectKey != "":
		return crmtype.Page[crmtype.Event]{}, wrap(op, crmtype.Invalid("subject_key", "give a subject or a subject key, not both"))
	case q.SubjectKey != "" && q.SubjectType == "":
		return crmtype.Page[crmtype.Event]{}, wrap(op, crmtype.Invalid("subject_type", "is required with a subject key"))
	}
	page, err := s.store.Audit(ctx, sc, q, limit)
	return page, wrap(op, err)
}

func checkConsumer(name string) error {
	if name == "" || strings.TrimSpace(name) != name || len(name) > 100 || !utf8.ValidString(name) {
		return crmtype.Invalid("consumer", "must be 1–100 bytes of UTF-8 without surrounding spaces")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return crmtype.Invalid("consumer", "contains a control character")
		}
	}
	return nil
}

// Next leases the consumer's next batch of at most limit events (default
// 100, at most crmtype.MaxPageSize) to the caller, oldest first. While a
// batch is leased, every call of the same consumer (the holder's too) gets
// an empty batch; if it is not acknowledged within the lease, Next delivers
// it again. An empty batch also means nothing new, or (PostgreSQL) events
// held back while an older transaction runs: call again later.
func (s *Service) Next(ctx context.Context, consumer string, limit int) (Batch, error) {
	const op = "next"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Batch{}, err
	}
	if err := checkConsumer(consumer); err != nil {
		return Batch{}, wrap(op, err)
	}
	if limit == 0 {
		limit = 100
	}
	if limit, err = crmtype.PageSize(limit); err != nil {
		return Batch{}, wrap(op, err)
	}
	b, err := s.store.NextEvents(ctx, sc, consumer, limit, s.lease, s.clock.Now())
	return b, wrap(op, err)
}

// Ack records that the consumer delivered the batch whose cursor is given,
// so Next moves past it. A cursor that was never delivered to this
// consumer of this workspace is ErrInvalid; a batch whose lease expired and
// was delivered to another worker since is ErrConflict.
func (s *Service) Ack(ctx context.Context, consumer string, cursor crmtype.Cursor) error {
	const op = "ack"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if err := checkConsumer(consumer); err != nil {
		return wrap(op, err)
	}
	if cursor == "" {
		return wrap(op, crmtype.Invalid("cursor", "is empty: nothing was delivered"))
	}
	return wrap(op, s.store.AckEvents(ctx, sc, consumer, cursor, s.clock.Now()))
}

// Prune deletes the workspace's events that happened before t, the
// retention the host chooses, and returns how many it deleted. Timelines
// and audit trails lose that history; consumers that have not read it yet
// never will.
func (s *Service) Prune(ctx context.Context, before time.Time) (int64, error) {
	const op = "prune"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return 0, err
	}
	if before.IsZero() {
		return 0, wrap(op, crmtype.Invalid("before", "is required"))
	}
	n, err := s.store.PruneEvents(ctx, sc, before.UTC())
	return n, wrap(op, err)
}
