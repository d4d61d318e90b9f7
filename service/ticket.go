package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Priority is how urgent a ticket is.
type Priority string

// Priorities, from least to most urgent. The zero value in TicketParams
// means PriorityNormal.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Status is where a ticket stands in its life cycle.
//
// Allowed transitions (SetStatus):
//
//	new     → open, pending, on_hold, solved
//	open    → pending, on_hold, solved
//	pending → open, on_hold, solved
//	on_hold → open, pending, solved
//	solved  → closed; → open (reopen) within Config.ReopenWindow of SolvedAt
//	closed  → nothing: closed is final
type Status string

// Ticket statuses.
const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusPending Status = "pending" // waiting on the customer
	StatusOnHold  Status = "on_hold" // waiting on a third party
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

// Statuses lists every status in life-cycle order.
var Statuses = []Status{StatusNew, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed}

// transitions are the allowed status changes, but for the reopen
// (solved → open), which depends on the time since the ticket was solved.
var transitions = map[Status][]Status{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
	StatusSolved:  {StatusClosed},
	StatusClosed:  nil,
}

// CanTransition reports whether a ticket may move from one status to
// another, reopening (solved → open) included; SetStatus also requires a
// reopen to fall within the reopen window.
func CanTransition(from, to Status) bool {
	if from == StatusSolved && to == StatusOpen {
		return true
	}
	return slices.Contains(transitions[from], to)
}

// Built-in ticket categories. A workspace may use its own too: any
// category of 1 to MaxCategoryBytes lowercase letters, digits, '_' and
// '-'.
const (
	CategoryAfterSales       = "after_sales"
	CategoryTechnicalSupport = "technical_support"
	CategoryTraining         = "training"
	CategoryComplaint        = "complaint"
	CategoryInquiry          = "inquiry"
)

// Categories lists the built-in categories.
var Categories = []string{CategoryAfterSales, CategoryTechnicalSupport, CategoryTraining, CategoryComplaint, CategoryInquiry}

// Event types of tickets. Every change to a ticket appends exactly one
// event in the change's transaction, with SubjectType SubjectTicket,
// Subject the ticket's ID and Customer the ticket's customer, so that it
// appears on the customer's timeline. Changes name the fields in snake
// case: "number", "customer_id", "company_id", "purchase_id", "product",
// "category", "priority", "channel", "subject", "description", "status",
// "assignee_id", "team_id", "tags" (a list) and "attributes" (an object).
const (
	EventTicketCreated       = "ticket.created"        // Changes: every field set, Before nil
	EventTicketUpdated       = "ticket.updated"        // Changes: the fields that differ
	EventTicketStatusChanged = "ticket.status_changed" // Changes: "status" before and after
)

// TicketEventTypes lists the event types of tickets.
var TicketEventTypes = []string{EventTicketCreated, EventTicketUpdated, EventTicketStatusChanged}

// SubjectTicket is the SubjectType of ticket events.
const SubjectTicket = "ticket"

// Limits of a ticket's fields.
const (
	MaxTicketSubjectBytes     = 500
	MaxTicketDescriptionBytes = 64 << 10
	MaxCategoryBytes          = 64
	MaxChannelBytes           = 64
	MaxTicketRefBytes         = 200 // AssigneeID, TeamID, Product
	MaxTicketTags             = 50
	MaxTicketTagBytes         = 100
	MaxTicketAttributes       = 50
	MaxAttributeKeyBytes      = 64
	MaxAttributeValueBytes    = 1000
)

// Ticket is a customer's request for service: a question, a fault, a
// complaint, a training need.
type Ticket struct {
	ID crmtype.ID
	// Number is the ticket's human-readable number, unique in the
	// workspace, counting from 1 in order of creation (see Key).
	Number int64
	// CustomerID is the customer the ticket is for (required).
	CustomerID crmtype.ID
	// CompanyID is the company (a customer of kind company) concerned;
	// zero when none.
	CompanyID crmtype.ID
	// PurchaseID is the purchase the ticket concerns; zero when none.
	PurchaseID crmtype.ID
	// Product names the product concerned; "" when none.
	Product     string
	Category    string
	Priority    Priority
	Channel     string // the channel the ticket came in on, e.g. "email", "phone"; "" when unknown
	Subject     string // one line
	Description string
	Status      Status
	// AssigneeID and TeamID are the host's user and team the ticket is
	// assigned to; "" when unassigned.
	AssigneeID string
	TeamID     string
	// Tags are lowercase, trimmed, distinct and sorted.
	Tags []string
	// Attributes are the workspace's custom fields; nil when none.
	Attributes map[string]string
	// Version increases by one with every change; UpdateTicket and
	// SetStatus take the version read (optimistic locking).
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// SolvedAt is when the ticket was last solved; nil when it is not
	// solved or closed.
	SolvedAt *time.Time
	// ClosedAt is when the ticket was closed; nil before.
	ClosedAt *time.Time
	// ParentID is the ticket this one is a part of (e.g. one incident of
	// a wider problem); zero when none. See Children.
	ParentID crmtype.ID
	// MergedIntoID is the ticket this one was merged into (MergeTickets);
	// zero when it was not. A merged ticket is closed.
	MergedIntoID crmtype.ID
	// PolicyID is the SLA policy that applies (see SelectPolicy); zero
	// when none matches.
	PolicyID crmtype.ID
	// Activity lists the status changes and public replies the SLA clocks
	// are measured from, oldest first.
	Activity []Activity
	// SLA holds the ticket's SLA targets under its policy as of the read
	// (see Measure), with the escalation levels claimed.
	SLA []SLATarget
}

// Key returns the ticket's human-readable key, e.g. "T-1042".
func (t *Ticket) Key() string { return "T-" + strconv.FormatInt(t.Number, 10) }

// ParseTicketKey returns the number of a key such as "T-1042" (or a bare
// "1042"); ok is false when key is not one.
func ParseTicketKey(key string) (number int64, ok bool) {
	key = strings.TrimSpace(key)
	if len(key) > 2 && (key[:2] == "T-" || key[:2] == "t-") {
		key = key[2:]
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n < 1 || strings.HasPrefix(key, "+") {
		return 0, false
	}
	return n, true
}

// TicketParams are a new ticket's fields.
type TicketParams struct {
	CustomerID  crmtype.ID // required: a customer of the workspace, not erased
	CompanyID   crmtype.ID // optional: a company of the workspace
	PurchaseID  crmtype.ID // optional: a purchase of the workspace
	Product     string
	Category    string   // required: a built-in or workspace-defined category
	Priority    Priority // default PriorityNormal
	Channel     string
	Subject     string // required
	Description string
	AssigneeID  string
	TeamID      string
	Tags        []string
	Attributes  map[string]string
	// ParentID is optional: a ticket of the workspace that is not closed.
	ParentID crmtype.ID
}

// TicketUpdate changes the fields that are non-nil. Version is the version
// read and is required. The customer is changed by merging customers, the
// status by SetStatus.
type TicketUpdate struct {
	Version     int64
	CompanyID   *crmtype.ID // a pointer to the zero ID clears it
	PurchaseID  *crmtype.ID // a pointer to the zero ID clears it
	Product     *string
	Category    *string
	Priority    *Priority
	Channel     *string
	Subject     *string
	Description *string
	AssigneeID  *string
	TeamID      *string
	Tags        *[]string          // replaces the tags
	Attributes  *map[string]string // replaces the attributes
	ParentID    *crmtype.ID        // a pointer to the zero ID clears it
}

// TicketListParams selects tickets for Tickets. Zero fields do not filter.
type TicketListParams struct {
	CustomerID crmtype.ID
	Status     Status
	AssigneeID string
	ParentID   crmtype.ID // the children of this ticket
	Limit      int        // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// TicketStore stores tickets. Every method confines itself to the scope's
// workspace: another workspace's ticket, customer, company or purchase is
// ErrNotFound.
type TicketStore interface {
	// InsertTicket gives t the workspace's next number, stores it with its
	// SLA targets (t.SLA) and the events events(t) returns, all or none. Numbers are unique in the
	// workspace also under concurrent inserts. ErrNotFound when
	// t.CustomerID is not a customer of the workspace (or was erased),
	// t.CompanyID not a company of it, t.PurchaseID not a purchase of it.
	InsertTicket(ctx context.Context, sc crmtype.Scope, t *Ticket, events func(t *Ticket) []crmtype.Event) error
	// GetTicket returns ticket id, or ErrNotFound.
	GetTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Ticket, error)
	// GetTicketByNumber returns the ticket numbered number, or
	// ErrNotFound.
	GetTicketByNumber(ctx context.Context, sc crmtype.Scope, number int64) (*Ticket, error)
	// ChangeTicket loads ticket id in a transaction, checks its version
	// (ErrConflict when it is not version), lets change modify it and,
	// when change returns events, checks the company and purchase if they
	// changed (ErrNotFound as InsertTicket), saves it with its version
	// increased by one, its SLA targets (t.SLA, which the change must
	// measure) in place of those stored, and appends the events,
	// atomically. The t given to change has its stored targets' Metric,
	// Seq and Level in t.SLA. It returns the
	// ticket as saved (as it was when change returned no events).
	// change's error is returned as it is and nothing is written.
	ChangeTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(t *Ticket) ([]crmtype.Event, error)) (*Ticket, error)
	// ListTickets returns one page of p's selection, by Number.
	ListTickets(ctx context.Context, sc crmtype.Scope, p TicketListParams, limit int) (crmtype.Page[*Ticket], error)
}

// CreateTicket creates a new ticket, gives it the workspace's next number
// and records EventTicketCreated. Errors: a *crmtype.ValidationError
// (ErrInvalid) naming the field ("customer_id", "category", "priority",
// "channel", "subject", "description", "product", "assignee_id",
// "team_id", "tags", "tags[i]", "attributes" or "attributes[key]");
// ErrNotFound when the customer, company or purchase is not in the
// workspace. Nothing is written on error.
func (s *Service) CreateTicket(ctx context.Context, p TicketParams) (*Ticket, error) {
	const op = "create ticket"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.CustomerID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	if p.Priority == "" {
		p.Priority = PriorityNormal
	}
	t := &Ticket{CustomerID: p.CustomerID}
	u := TicketUpdate{CompanyID: &p.CompanyID, PurchaseID: &p.PurchaseID, Product: &p.Product, Category: &p.Category,
		Priority: &p.Priority, Channel: &p.Channel, Subject: &p.Subject, Description: &p.Description,
		AssigneeID: &p.AssigneeID, TeamID: &p.TeamID, Tags: &p.Tags, Attributes: &p.Attributes}
	if err := applyTicketUpdate(t, u); err != nil {
		return nil, wrap(op, err)
	}
	t.ParentID = p.ParentID
	pol, err := s.loadPolicies(ctx, sc, p.CustomerID, crmtype.ID{})
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	t.ID = crmtype.NewID(now)
	t.Status, t.Version, t.CreatedAt, t.UpdatedAt = StatusNew, 1, now, now
	pol.apply(t, now)
	err = s.store.InsertTicket(ctx, sc, t, func(t *Ticket) []crmtype.Event {
		return []crmtype.Event{ticketEvent(EventTicketCreated, t, now, crmtype.DiffFields(nil, ticketFields(t)))}
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return t, nil
}

// Ticket returns ticket id; ErrNotFound when the workspace has none.
func (s *Service) Ticket(ctx context.Context, id crmtype.ID) (*Ticket, error) {
	const op = "ticket"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	t, err := s.store.GetTicket(ctx, sc, id)
	if err == nil {
		err = s.measure(ctx, sc, t)
	}
	return t, wrap(op, err)
}

// TicketByNumber returns the ticket numbered number (T-number);
// ErrNotFound when the workspace has none.
func (s *Service) TicketByNumber(ctx context.Context, number int64) (*Ticket, error) {
	const op = "ticket by number"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if number < 1 {
		return nil, wrap(op, crmtype.ErrNotFound)
	}
	t, err := s.store.GetTicketByNumber(ctx, sc, number)
	if err == nil {
		err = s.measure(ctx, sc, t)
	}
	return t, wrap(op, err)
}

// UpdateTicket applies p to ticket id if its version is still p.Version,
// records EventTicketUpdated with the fields that changed and returns the
// ticket as saved (version increased by one; unchanged, with no event,
// when p changes nothing). Errors: a *crmtype.ValidationError naming the
// field for bad input ("version" and those of CreateTicket), or "status"
// when the ticket is closed; ErrNotFound when there is no ticket id or the
// new company or purchase is not in the workspace; ErrConflict when the
// version is stale. Nothing is written on error.
func (s *Service) UpdateTicket(ctx context.Context, id crmtype.ID, p TicketUpdate) (*Ticket, error) {
	const op = "update ticket"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if err := applyTicketUpdate(&Ticket{}, p); err != nil { // check the input before touching the database
		return nil, wrap(op, err)
	}
	if p.ParentID != nil && *p.ParentID == id {
		return nil, wrap(op, crmtype.Invalid("parent_id", "is the ticket itself"))
	}
	pol, err := s.loadPolicies(ctx, sc, crmtype.ID{}, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	t, err := s.store.ChangeTicket(ctx, sc, id, p.Version, func(t *Ticket) ([]crmtype.Event, error) {
		if t.Status == StatusClosed {
			return nil, crmtype.Invalid("status", "is closed: a closed ticket is final")
		}
		before := ticketFields(t)
		if err := applyTicketUpdate(t, p); err != nil {
			return nil, err
		}
		if p.ParentID != nil {
			t.ParentID = *p.ParentID
		}
		changes := crmtype.DiffFields(before, ticketFields(t))
		if len(changes) == 0 {
			return nil, nil
		}
		t.UpdatedAt = now
		pol.refresh(t, now) // a priority or category change may change the policy: measured anew from the start
		return []crmtype.Event{ticketEvent(EventTicketUpdated, t, now, changes)}, nil
	})
	if err == nil {
		err = s.measure(ctx, sc, t)
	}
	return t, wrap(op, err)
}

// SetStatus moves ticket id to status to if its version is still version
// and the transition is allowed (see Status), and records
// EventTicketStatusChanged. Solving sets SolvedAt, closing sets ClosedAt,
// reopening (solved → open, only within Config.ReopenWindow of SolvedAt)
// clears SolvedAt. Setting the current status changes nothing and records
// nothing. Errors: ErrInvalid "version" when version is not positive,
// "status" when to is not a status or the transition is not allowed;
// ErrNotFound; ErrConflict when the version is stale.
func (s *Service) SetStatus(ctx context.Context, id crmtype.ID, version int64, to Status) (*Ticket, error) {
	const op = "set ticket status"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if !slices.Contains(Statuses, to) {
		return nil, wrap(op, crmtype.Invalidf("status", "%q is not a ticket status", to))
	}
	pol, err := s.loadPolicies(ctx, sc, crmtype.ID{}, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	t, err := s.store.ChangeTicket(ctx, sc, id, version, func(t *Ticket) ([]crmtype.Event, error) {
		return s.moveStatus(t, to, now, pol)
	})
	if err == nil {
		err = s.measure(ctx, sc, t)
	}
	return t, wrap(op, err)
}

// moveStatus moves t to status to as SetStatus does, recording the
// activity and measuring the SLA anew; no events when t already has it.
func (s *Service) moveStatus(t *Ticket, to Status, now time.Time, pol *policySet) ([]crmtype.Event, error) {
	from := t.Status
	if from == to {
		return nil, nil
	}
	if !CanTransition(from, to) {
		if from == StatusClosed {
			return nil, crmtype.Invalid("status", "is closed: a closed ticket is final")
		}
		return nil, crmtype.Invalidf("status", "cannot change from %s to %s", from, to)
	}
	if from == StatusSolved && to == StatusOpen {
		if t.SolvedAt == nil || now.Sub(*t.SolvedAt) > s.cfg.ReopenWindow {
			return nil, crmtype.Invalidf("status", "cannot reopen: solved more than %s ago", s.cfg.ReopenWindow)
		}
	}
	t.Status, t.UpdatedAt = to, now
	switch to {
	case StatusSolved:
		at := now
		t.SolvedAt = &at
	case StatusClosed:
		at := now
		t.ClosedAt = &at
	default:
		t.SolvedAt = nil
	}
	t.Activity = append(t.Activity, Activity{At: now, Kind: ActivityStatus, Status: to})
	if from != StatusSolved || to != StatusClosed {
		pol.apply(t, now) // closing a solved ticket keeps the targets it was measured with
	}
	return []crmtype.Event{ticketEvent(EventTicketStatusChanged, t, now,
		[]crmtype.Change{{Field: "status", Before: string(from), After: string(to)}})}, nil
}

// Tickets returns one page of the workspace's tickets that p selects, by
// number. ErrInvalid "limit", "status" or "cursor" for bad input.
func (s *Service) Tickets(ctx context.Context, p TicketListParams) (crmtype.Page[*Ticket], error) {
	const op = "tickets"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Ticket]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Ticket]{}, wrap(op, err)
	}
	if p.Status != "" && !slices.Contains(Statuses, p.Status) {
		return crmtype.Page[*Ticket]{}, wrap(op, crmtype.Invalidf("status", "%q is not a ticket status", p.Status))
	}
	page, err := s.store.ListTickets(ctx, sc, p, limit)
	if err == nil {
		err = s.measure(ctx, sc, page.Items...)
	}
	return page, wrap(op, err)
}

// ticketEvent is an event about t; the store sets its ID, workspace and
// actor (from the scope).
func ticketEvent(typ string, t *Ticket, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectTicket, Subject: t.ID,
		Customer: t.CustomerID, Changes: changes}
}

// ticketFields renders t's fields as JSON values for crmtype.DiffFields.
func ticketFields(t *Ticket) map[string]any {
	id := func(v crmtype.ID) any {
		if v.IsZero() {
			return nil
		}
		return v.String()
	}
	m := map[string]any{
		"number": float64(t.Number), "customer_id": id(t.CustomerID), "company_id": id(t.CompanyID),
		"purchase_id": id(t.PurchaseID), "product": t.Product, "category": t.Category, "priority": string(t.Priority),
		"channel": t.Channel, "subject": t.Subject, "description": t.Description, "status": string(t.Status),
		"assignee_id": t.AssigneeID, "team_id": t.TeamID, "parent_id": id(t.ParentID),
		"merged_into_id": id(t.MergedIntoID), "policy_id": id(t.PolicyID),
	}
	if t.Number == 0 {
		delete(m, "number")
	}
	if len(t.Tags) > 0 {
		tags := make([]any, len(t.Tags))
		for i, v := range t.Tags {
			tags[i] = v
		}
		m["tags"] = tags
	}
	if len(t.Attributes) > 0 {
		attrs := make(map[string]any, len(t.Attributes))
		for k, v := range t.Attributes {
			attrs[k] = v
		}
		m["attributes"] = attrs
	}
	return m
}

// applyTicketUpdate checks and applies the non-nil fields of p to t.
func applyTicketUpdate(t *Ticket, p TicketUpdate) error {
	if p.CompanyID != nil {
		t.CompanyID = *p.CompanyID
	}
	if p.PurchaseID != nil {
		t.PurchaseID = *p.PurchaseID
	}
	if p.Product != nil {
		v, err := check.Line("product", *p.Product, MaxTicketRefBytes, false)
		if err != nil {
			return err
		}
		t.Product = v
	}
	if p.Category != nil {
		v := strings.ToLower(strings.TrimSpace(*p.Category))
		if v == "" {
			return crmtype.Invalid("category", "is required")
		}
		if !check.Slug(v, MaxCategoryBytes) {
			return crmtype.Invalidf("category", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxCategoryBytes)
		}
		t.Category = v
	}
	if p.Priority != nil {
		switch *p.Priority {
		case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
			t.Priority = *p.Priority
		default:
			return crmtype.Invalidf("priority", "%q is not low, normal, high or urgent", *p.Priority)
		}
	}
	if p.Channel != nil {
		v := strings.ToLower(strings.TrimSpace(*p.Channel))
		if v != "" && !check.Slug(v, MaxChannelBytes) {
			return crmtype.Invalidf("channel", "must be at most %d lowercase letters, digits, '_' or '-'", MaxChannelBytes)
		}
		t.Channel = v
	}
	if p.Subject != nil {
		v, err := check.Line("subject", *p.Subject, MaxTicketSubjectBytes, true)
		if err != nil {
			return err
		}
		t.Subject = v
	}
	if p.Description != nil {
		v := *p.Description
		if !utf8.ValidString(v) {
			return crmtype.Invalid("description", "is not UTF-8")
		}
		if len(v) > MaxTicketDescriptionBytes {
			return crmtype.Invalidf("description", "is longer than %d bytes", MaxTicketDescriptionBytes)
		}
		t.Description = v
	}
	if p.AssigneeID != nil {
		v, err := check.Line("assignee_id", *p.AssigneeID, MaxTicketRefBytes, false)
		if err != nil {
			return err
		}
		t.AssigneeID = v
	}
	if p.TeamID != nil {
		v, err := check.Line("team_id", *p.TeamID, MaxTicketRefBytes, false)
		if err != nil {
			return err
		}
		t.TeamID = v
	}
	if p.Tags != nil {
		tags, err := cleanTags(*p.Tags)
		if err != nil {
			return err
		}
		t.Tags = tags
	}
	if p.Attributes != nil {
		attrs, err := cleanAttributes(*p.Attributes)
		if err != nil {
			return err
		}
		t.Attributes = attrs
	}
	return nil
}

func cleanTags(in []string) ([]string, error) {
	if len(in) > MaxTicketTags {
		return nil, crmtype.Invalidf("tags", "has more than %d tags", MaxTicketTags)
	}
	var out []string
	for i, tag := range in {
		v, err := check.Line(fmt.Sprintf("tags[%d]", i), strings.ToLower(tag), MaxTicketTagBytes, true)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func cleanAttributes(in map[string]string) (map[string]string, error) {
	if len(in) > MaxTicketAttributes {
		return nil, crmtype.Invalidf("attributes", "has more than %d attributes", MaxTicketAttributes)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !check.Slug(k, MaxAttributeKeyBytes) {
			return nil, crmtype.Invalidf("attributes", "key %q must be 1 to %d lowercase letters, digits, '_' or '-'", k, MaxAttributeKeyBytes)
		}
		v := in[k]
		if !utf8.ValidString(v) || len(v) > MaxAttributeValueBytes {
			return nil, crmtype.Invalidf("attributes["+k+"]", "is not UTF-8 or longer than %d bytes", MaxAttributeValueBytes)
		}
		out[k] = v
	}
	return out, nil
}
