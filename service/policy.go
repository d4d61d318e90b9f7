package service

import (
	"context"
	"slices"
	"time"

	"github.com/kehu/crm/crmtype"
)

// Event types of SLA policies and escalations. A policy change appends
// one event (SubjectType SubjectPolicy); each claimed escalation appends
// EventTicketEscalated (SubjectType SubjectTicket, Customer the ticket's
// customer) with Changes "metric", "seq", "level" and "due".
const (
	EventPolicySaved     = "sla_policy.saved"   // Changes: the policy's name, position, version
	EventPolicyDeleted   = "sla_policy.deleted" // Changes: the policy's name
	EventTicketEscalated = "ticket.escalated"
	SubjectPolicy        = "sla_policy"
)

// DefaultAtRiskHorizon is AtRiskParams.Within when it is zero.
const DefaultAtRiskHorizon = time.Hour

// MaxEscalationsPerCall bounds ClaimEscalations' limit.
const MaxEscalationsPerCall = 1000

// PolicyEventTypes lists the event types of SLA policies and escalations.
var PolicyEventTypes = []string{EventPolicySaved, EventPolicyDeleted, EventTicketEscalated}

// SLAStore stores SLA policies and the SLA targets of tickets. Every
// method confines itself to the scope's workspace.
type SLAStore interface {
	// ListPolicies returns the workspace's policies by position and name.
	ListPolicies(ctx context.Context, sc crmtype.Scope) ([]*Policy, error)
	// CustomerAttributes returns the custom attributes of customer id;
	// ErrNotFound when the workspace has no such customer.
	CustomerAttributes(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[string]any, error)
	// SavePolicy inserts p (version 0) or replaces policy p.ID if its
	// version is still version (ErrConflict otherwise, ErrNotFound when
	// there is none), appends ev, and then, in the same transaction,
	// calls remeasure for every ticket that is not solved or closed, with
	// the workspace's policies as saved and the ticket's customer's
	// attributes, and stores the policy and SLA targets remeasure leaves
	// in the ticket. A name another policy has is ErrConflict.
	SavePolicy(ctx context.Context, sc crmtype.Scope, p *Policy, version int64, ev crmtype.Event, remeasure func(t *Ticket, policies []*Policy, customerAttrs map[string]any)) error
	// DeletePolicy deletes policy id if its version is still version and
	// remeasures the open tickets as SavePolicy does.
	DeletePolicy(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, ev crmtype.Event, remeasure func(t *Ticket, policies []*Policy, customerAttrs map[string]any)) error
	// AtRisk returns one page of the open targets (not met, clock running)
	// whose deadline is at or before until, by deadline.
	AtRisk(ctx context.Context, sc crmtype.Scope, until time.Time, p AtRiskParams, limit int) (crmtype.Page[AtRiskTarget], error)
	// ClaimEscalations claims up to limit escalations due at now, each
	// exactly once however many callers race: it raises each target's
	// level and appends event(e) for each, atomically, and returns them.
	ClaimEscalations(ctx context.Context, sc crmtype.Scope, now time.Time, limit int, event func(e *Escalation) crmtype.Event) ([]Escalation, error)
}

// AtRiskParams selects targets for AtRisk.
type AtRiskParams struct {
	// Within is the horizon: targets whose deadline falls within it from
	// now, and those already breached. Default DefaultAtRiskHorizon.
	Within time.Duration
	Limit  int // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After  crmtype.Cursor
}

// AtRiskTarget is an open SLA target whose deadline is near or past.
type AtRiskTarget struct {
	TicketID   crmtype.ID
	Number     int64
	Metric     Metric
	Seq        int
	PolicyID   crmtype.ID
	Deadline   time.Time
	Priority   Priority
	AssigneeID string
	TeamID     string
	// Breached is true when the deadline has passed.
	Breached bool
}

// Escalation is an escalation level of an SLA target, claimed by one
// caller of ClaimEscalations.
type Escalation struct {
	TicketID   crmtype.ID
	Number     int64
	CustomerID crmtype.ID
	Metric     Metric
	Seq        int
	PolicyID   crmtype.ID
	// Level is LevelWarning or LevelBreach. When a caller comes late and
	// both are due, only the breach is claimed.
	Level int
	// Due is when the level fell due: the warning instant or the deadline.
	Due        time.Time
	Deadline   time.Time
	AssigneeID string
	TeamID     string
}

// Policies returns the workspace's SLA policies in the order they are
// tried (Position, then Name).
func (s *Service) Policies(ctx context.Context) ([]*Policy, error) {
	const op = "policies"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListPolicies(ctx, sc)
	return ps, wrap(op, err)
}

// SavePolicy creates p (zero ID) or replaces policy p.ID (p.Version the
// version read), and measures every ticket that is not solved or closed
// anew, as if the policies as saved had applied from its creation. It
// returns the policy as saved. Errors: a *crmtype.ValidationError naming
// the field ("name", "conditions.categories[i]", "conditions.priorities[i]",
// "conditions.channels[i]", "conditions.ticket_attributes",
// "conditions.customer_attributes", "targets", "targets.first_response",
// ..., "calendar.<field>" as Calendar.Validate names it, "pause_statuses[i]",
// "warn_fraction", "version"); ErrConflict when another policy has the
// name or the version is stale; ErrNotFound when p.ID names no policy.
// Nothing is written on error.
func (s *Service) SavePolicy(ctx context.Context, p Policy) (*Policy, error) {
	const op = "save sla policy"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	p.Conditions.Categories = slices.Clone(p.Conditions.Categories)
	p.Conditions.Channels = slices.Clone(p.Conditions.Channels)
	p.PauseStatuses = slices.Clone(p.PauseStatuses)
	if err := checkPolicy(&p); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	version := p.Version
	if p.ID.IsZero() {
		p.ID, p.CreatedAt, version = crmtype.NewID(now), now, 0
	} else if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required to replace a policy: pass the version you read"))
	}
	p.Version, p.UpdatedAt = version+1, now
	ev := crmtype.Event{Time: now, Type: EventPolicySaved, SubjectType: SubjectPolicy, Subject: p.ID, SubjectKey: p.Name,
		Changes: crmtype.DiffFields(nil, map[string]any{"name": p.Name, "position": float64(p.Position), "version": float64(p.Version)})}
	if err := s.store.SavePolicy(ctx, sc, &p, version, ev, remeasure(now)); err != nil {
		return nil, wrap(op, err)
	}
	return &p, nil
}

// DeletePolicy deletes policy id if its version is still version, and
// measures the open tickets anew as SavePolicy does. Errors: ErrInvalid
// "version"; ErrNotFound; ErrConflict when the version is stale.
func (s *Service) DeletePolicy(ctx context.Context, id crmtype.ID, version int64) error {
	const op = "delete sla policy"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if version < 1 {
		return wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	now := s.clock.Now()
	ev := crmtype.Event{Time: now, Type: EventPolicyDeleted, SubjectType: SubjectPolicy, Subject: id}
	return wrap(op, s.store.DeletePolicy(ctx, sc, id, version, ev, remeasure(now)))
}

func remeasure(now time.Time) func(t *Ticket, policies []*Policy, attrs map[string]any) {
	return func(t *Ticket, policies []*Policy, attrs map[string]any) {
		(&policySet{policies: policies, customerAttrs: attrs}).apply(t, now)
	}
}

// AtRisk returns the breach forecast: one page of the open SLA targets
// whose deadline falls within p.Within from now or has passed, soonest
// first. Paused targets are not at risk until their clock runs again.
// Errors: ErrInvalid "within", "limit" or "cursor".
func (s *Service) AtRisk(ctx context.Context, p AtRiskParams) (crmtype.Page[AtRiskTarget], error) {
	const op = "at risk"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[AtRiskTarget]{}, err
	}
	if p.Within < 0 {
		return crmtype.Page[AtRiskTarget]{}, wrap(op, crmtype.Invalid("within", "is negative"))
	}
	if p.Within == 0 {
		p.Within = DefaultAtRiskHorizon
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[AtRiskTarget]{}, wrap(op, err)
	}
	now := s.clock.Now()
	page, err := s.store.AtRisk(ctx, sc, now.Add(p.Within), p, limit)
	for i := range page.Items {
		page.Items[i].Breached = now.After(page.Items[i].Deadline)
	}
	return page, wrap(op, err)
}

// ClaimEscalations claims up to limit SLA escalations that are due by the
// service's clock: a target's warning once Policy.WarnFraction of it is
// used up, its breach once its deadline passes. Each level of each target
// is claimed by exactly one caller, however many workers of the host call
// at once, and recorded as EventTicketEscalated in the same transaction;
// act on the returned escalations (notify, reassign). A claimed escalation
// is not handed out again, also when a change moves the deadline; a
// target measured anew after a reopen or a priority change keeps its
// level. Errors: ErrInvalid "limit" unless 1 to MaxEscalationsPerCall.
func (s *Service) ClaimEscalations(ctx context.Context, limit int) ([]Escalation, error) {
	const op = "claim escalations"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxEscalationsPerCall {
		return nil, wrap(op, crmtype.Invalidf("limit", "is %d: claim 1 to %d", limit, MaxEscalationsPerCall))
	}
	now := s.clock.Now()
	es, err := s.store.ClaimEscalations(ctx, sc, now, limit, func(e *Escalation) crmtype.Event {
		return crmtype.Event{Time: now, Type: EventTicketEscalated, SubjectType: SubjectTicket, Subject: e.TicketID,
			Customer: e.CustomerID, Changes: crmtype.DiffFields(nil, map[string]any{"metric": string(e.Metric),
				"seq": float64(e.Seq), "level": float64(e.Level), "due": e.Due.UTC().Format(time.RFC3339Nano)})}
	})
	return es, wrap(op, err)
}

// policySet is the workspace's policies and, when a policy needs them,
// the ticket's customer's attributes.
type policySet struct {
	policies      []*Policy
	customerAttrs map[string]any
}

// loadPolicies loads the workspace's policies and, if one has customer
// conditions, the attributes of customer (or, when zero, of ticket's
// customer).
func (s *Service) loadPolicies(ctx context.Context, sc crmtype.Scope, customer, ticket crmtype.ID) (*policySet, error) {
	ps, err := s.store.ListPolicies(ctx, sc)
	if err != nil {
		return nil, err
	}
	set := &policySet{policies: ps}
	needs := false
	for _, p := range ps {
		needs = needs || len(p.Conditions.CustomerAttributes) > 0
	}
	if !needs {
		return set, nil
	}
	if customer.IsZero() {
		t, err := s.store.GetTicket(ctx, sc, ticket)
		if err != nil {
			return nil, err
		}
		customer = t.CustomerID
	}
	set.customerAttrs, err = s.store.CustomerAttributes(ctx, sc, customer)
	return set, err
}

// apply selects t's policy and measures its SLA as of now, keeping the
// escalation levels already claimed.
func (ps *policySet) apply(t *Ticket, now time.Time) {
	p := SelectPolicy(ps.policies, ticketPolicyInput(t, ps.customerAttrs))
	t.PolicyID = crmtype.ID{}
	if p != nil {
		t.PolicyID = p.ID
	}
	t.SLA = keepLevels(t.SLA, Measure(p, t.CreatedAt, t.Activity, now))
}

// refresh measures t anew as apply does, unless it is solved or closed:
// those keep the targets they were measured with.
func (ps *policySet) refresh(t *Ticket, now time.Time) {
	if t.Status != StatusSolved && t.Status != StatusClosed {
		ps.apply(t, now)
	}
}

// keepLevels copies the levels of old onto the same targets of fresh.
func keepLevels(old, fresh []SLATarget) []SLATarget {
	for i := range fresh {
		for _, o := range old {
			if o.Metric == fresh[i].Metric && o.Seq == fresh[i].Seq {
				fresh[i].Level = o.Level
			}
		}
	}
	return fresh
}

// measure brings the SLA of tickets read from the store (t.SLA holds the
// stored targets) up to now: an open ticket is measured anew under its
// policy, keeping the levels claimed; a solved or closed ticket, or one
// whose policy is gone, keeps its stored targets, whose state is read
// against now.
func (s *Service) measure(ctx context.Context, sc crmtype.Scope, ts ...*Ticket) error {
	var open []*Ticket
	now := s.clock.Now()
	for _, t := range ts {
		if t.PolicyID.IsZero() {
			t.SLA = nil
			continue
		}
		if t.Status == StatusSolved || t.Status == StatusClosed {
			storedState(t.SLA, now)
			continue
		}
		open = append(open, t)
	}
	if len(open) == 0 {
		return nil
	}
	ps, err := s.store.ListPolicies(ctx, sc)
	if err != nil {
		return err
	}
	for _, t := range open {
		i := slices.IndexFunc(ps, func(p *Policy) bool { return p.ID == t.PolicyID })
		if i < 0 {
			storedState(t.SLA, now)
			continue
		}
		t.SLA = keepLevels(t.SLA, Measure(ps[i], t.CreatedAt, t.Activity, now))
	}
	return nil
}

// storedState sets the State and BreachedAt of stored targets as of now.
func storedState(ts []SLATarget, now time.Time) {
	for i := range ts {
		g := &ts[i]
		g.State = g.StateAt(now)
		if g.State == SLABreached {
			at := g.Deadline
			g.BreachedAt = &at
		}
	}
}
