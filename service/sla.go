package service

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Metric names an SLA target.
type Metric string

// SLA metrics.
const (
	// MetricFirstResponse runs from the ticket's creation to the first
	// public reply of the team.
	MetricFirstResponse Metric = "first_response"
	// MetricNextResponse runs from a customer's public reply that follows
	// a reply of the team to the team's next public reply; each such
	// customer reply starts a new target (Seq 1, 2, ...).
	MetricNextResponse Metric = "next_response"
	// MetricResolution runs from the ticket's creation to its solving; a
	// reopen resumes it.
	MetricResolution Metric = "resolution"
)

// Metrics lists the SLA metrics.
var Metrics = []Metric{MetricFirstResponse, MetricNextResponse, MetricResolution}

// SLAState is where an SLA target stands.
type SLAState string

// SLA target states.
const (
	SLARunning  SLAState = "running"  // the clock runs; Deadline is ahead
	SLAPaused   SLAState = "paused"   // the clock is stopped (a pause status); Remaining is left
	SLAMet      SLAState = "met"      // fulfilled at MetAt, at or before the deadline
	SLABreached SLAState = "breached" // the deadline passed unmet at BreachedAt; MetAt is set if it was fulfilled later
)

// Escalation levels of an SLA target.
const (
	LevelNone    = 0
	LevelWarning = 1 // Policy.WarnFraction of the target used up
	LevelBreach  = 2 // the deadline passed
)

// DefaultWarnFraction is Policy.WarnFraction when it is zero.
const DefaultWarnFraction = 0.75

// MaxTargetMinutes bounds a target: a year of business minutes around the
// clock.
const MaxTargetMinutes = 366 * 24 * 60

// Targets are the business minutes a policy allows for each metric; 0
// means the policy sets no target for that metric.
type Targets struct {
	FirstResponse int
	NextResponse  int
	Resolution    int
}

func (t Targets) minutes(m Metric) int {
	switch m {
	case MetricFirstResponse:
		return t.FirstResponse
	case MetricNextResponse:
		return t.NextResponse
	}
	return t.Resolution
}

// Conditions select the tickets a policy applies to. Every non-empty
// condition must hold; empty conditions match every ticket.
type Conditions struct {
	Categories []string   // the ticket's category is one of these
	Priorities []Priority // the ticket's priority is one of these
	Channels   []string   // the ticket came in on one of these channels
	// TicketAttributes must each equal the ticket's attribute of that key.
	TicketAttributes map[string]string
	// CustomerAttributes must each equal the customer's custom attribute
	// of that key as text (fmt "%v"), e.g. {"tier": "gold"}.
	CustomerAttributes map[string]string
}

// Policy is an SLA policy: the targets that apply to the tickets its
// conditions select, counted in business time on its calendar.
type Policy struct {
	ID crmtype.ID
	// Name is unique in the workspace.
	Name string
	// Position orders the policies: the first (lowest) whose conditions
	// match a ticket applies to it; ties go by name.
	Position   int
	Conditions Conditions
	Targets    Targets
	// Calendar is the business time the targets count (24x7: AllHours).
	Calendar Calendar
	// PauseStatuses stop every clock of the ticket while it has one of
	// them. Default: pending. Allowed: pending and on_hold.
	PauseStatuses []Status
	// WarnFraction is the share of a target after which the warning
	// escalation is due, between 0 and 1 exclusive. Default:
	// DefaultWarnFraction.
	WarnFraction float64
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SLATarget is one target of a ticket under its policy.
type SLATarget struct {
	Metric Metric
	// Seq counts the targets of one metric: always 1 but for next
	// response, which has one per customer reply awaiting an answer.
	Seq      int
	PolicyID crmtype.ID
	// Target is the business time allowed.
	Target time.Duration
	// Start is when the clock started.
	Start time.Time
	State SLAState
	// Deadline is when the target is breached if not met; zero while the
	// clock is stopped (SLAPaused).
	Deadline time.Time
	// WarnAt is when the warning escalation is due; zero when the clock is
	// stopped or the target is fulfilled.
	WarnAt time.Time
	// MetAt is when the target was fulfilled; nil while it is not.
	MetAt *time.Time
	// BreachedAt is the deadline once it has passed unmet; nil otherwise.
	BreachedAt *time.Time
	// Elapsed is the business time used: up to MetAt when fulfilled, up
	// to now otherwise.
	Elapsed time.Duration
	// Level is the escalation level claimed so far (LevelNone,
	// LevelWarning, LevelBreach).
	Level int
}

// Remaining is the business time left before the deadline; negative when
// the target is breached.
func (t *SLATarget) Remaining() time.Duration { return t.Target - t.Elapsed }

// NextEscalation returns when the next escalation level after level is
// due for t, and that level; ok is false when none is (the target is met,
// its clock stopped, or level is LevelBreach).
func (t *SLATarget) NextEscalation(level int) (at time.Time, next int, ok bool) {
	if t.MetAt != nil || t.Deadline.IsZero() || level >= LevelBreach {
		return time.Time{}, 0, false
	}
	if level < LevelWarning && !t.WarnAt.IsZero() && t.WarnAt.Before(t.Deadline) {
		return t.WarnAt, LevelWarning, true
	}
	return t.Deadline, LevelBreach, true
}

// ActivityKind says what a ticket activity entry records.
type ActivityKind string

// Activity kinds.
const (
	ActivityStatus        ActivityKind = "status"         // the status changed to Status
	ActivityAgentReply    ActivityKind = "agent_reply"    // a public reply of the team
	ActivityCustomerReply ActivityKind = "customer_reply" // a public reply of the customer
)

// Activity is one thing that happened to a ticket that its SLA clocks are
// measured from.
type Activity struct {
	At     time.Time    `json:"at"`
	Kind   ActivityKind `json:"kind"`
	Status Status       `json:"status,omitempty"`
}

// PolicyInput is what selects a policy for a ticket.
type PolicyInput struct {
	Category           string
	Priority           Priority
	Channel            string
	TicketAttributes   map[string]string
	CustomerAttributes map[string]any
}

// Matches reports whether p's conditions select in.
func (p *Policy) Matches(in PolicyInput) bool {
	c := &p.Conditions
	if len(c.Categories) > 0 && !slices.Contains(c.Categories, in.Category) {
		return false
	}
	if len(c.Priorities) > 0 && !slices.Contains(c.Priorities, in.Priority) {
		return false
	}
	if len(c.Channels) > 0 && !slices.Contains(c.Channels, in.Channel) {
		return false
	}
	for k, v := range c.TicketAttributes {
		if got, ok := in.TicketAttributes[k]; !ok || got != v {
			return false
		}
	}
	for k, v := range c.CustomerAttributes {
		got, ok := in.CustomerAttributes[k]
		if !ok || got == nil || fmt.Sprint(got) != v {
			return false
		}
	}
	return true
}

// SelectPolicy returns the policy that applies to in: the first of
// policies, ordered by Position then Name, whose conditions match; nil
// when none does.
func SelectPolicy(policies []*Policy, in PolicyInput) *Policy {
	var best *Policy
	for _, p := range policies {
		if !p.Matches(in) {
			continue
		}
		if best == nil || p.Position < best.Position || p.Position == best.Position && p.Name < best.Name {
			best = p
		}
	}
	return best
}

func ticketPolicyInput(t *Ticket, customerAttrs map[string]any) PolicyInput {
	return PolicyInput{Category: t.Category, Priority: t.Priority, Channel: t.Channel,
		TicketAttributes: t.Attributes, CustomerAttributes: customerAttrs}
}

// checkPolicy validates and normalises p in place.
func checkPolicy(p *Policy) error {
	name, err := check.Line("name", p.Name, MaxTicketRefBytes, true)
	if err != nil {
		return err
	}
	p.Name = name
	c := &p.Conditions
	for i, v := range c.Categories {
		v = strings.ToLower(strings.TrimSpace(v))
		if !check.Slug(v, MaxCategoryBytes) {
			return crmtype.Invalidf(fmt.Sprintf("conditions.categories[%d]", i), "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxCategoryBytes)
		}
		c.Categories[i] = v
	}
	for i, v := range c.Priorities {
		switch v {
		case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		default:
			return crmtype.Invalidf(fmt.Sprintf("conditions.priorities[%d]", i), "%q is not low, normal, high or urgent", v)
		}
	}
	for i, v := range c.Channels {
		v = strings.ToLower(strings.TrimSpace(v))
		if !check.Slug(v, MaxChannelBytes) {
			return crmtype.Invalidf(fmt.Sprintf("conditions.channels[%d]", i), "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxChannelBytes)
		}
		c.Channels[i] = v
	}
	for _, m := range []struct {
		field string
		attrs map[string]string
	}{{"conditions.ticket_attributes", c.TicketAttributes}, {"conditions.customer_attributes", c.CustomerAttributes}} {
		if len(m.attrs) > MaxTicketAttributes {
			return crmtype.Invalidf(m.field, "has more than %d conditions", MaxTicketAttributes)
		}
		for _, k := range slices.Sorted(maps.Keys(m.attrs)) {
			if k == "" || len(k) > MaxAttributeKeyBytes {
				return crmtype.Invalidf(m.field, "key %q must be 1 to %d bytes", k, MaxAttributeKeyBytes)
			}
			if len(m.attrs[k]) > MaxAttributeValueBytes {
				return crmtype.Invalidf(m.field+"["+k+"]", "is longer than %d bytes", MaxAttributeValueBytes)
			}
		}
	}
	t := p.Targets
	if t.FirstResponse == 0 && t.NextResponse == 0 && t.Resolution == 0 {
		return crmtype.Invalid("targets", "sets no target: give at least one of first_response, next_response and resolution")
	}
	for _, m := range Metrics {
		if v := t.minutes(m); v < 0 || v > MaxTargetMinutes {
			return crmtype.Invalidf("targets."+string(m), "is %d minutes: a target is 1 to %d business minutes (0: none)", v, MaxTargetMinutes)
		}
	}
	if err := p.Calendar.Validate(); err != nil {
		if ve, ok := err.(*crmtype.ValidationError); ok {
			return crmtype.Invalid("calendar."+ve.Field, ve.Reason)
		}
		return err
	}
	if len(p.PauseStatuses) == 0 {
		p.PauseStatuses = []Status{StatusPending}
	}
	for i, s := range p.PauseStatuses {
		if s != StatusPending && s != StatusOnHold {
			return crmtype.Invalidf(fmt.Sprintf("pause_statuses[%d]", i), "%q cannot pause the clock: use pending or on_hold", s)
		}
	}
	slices.Sort(p.PauseStatuses)
	p.PauseStatuses = slices.Compact(p.PauseStatuses)
	if p.WarnFraction == 0 {
		p.WarnFraction = DefaultWarnFraction
	}
	if !(p.WarnFraction > 0 && p.WarnFraction < 1) {
		return crmtype.Invalidf("warn_fraction", "is %v: give a fraction between 0 and 1", p.WarnFraction)
	}
	return nil
}

// Measure returns the SLA targets of a ticket created at created with
// activity (oldest first) under policy p, as of now: every target the
// policy sets, in the order first response, next responses by Seq,
// resolution. A nil p returns nil. The result's Level fields are zero.
//
// The clocks run in business time on p.Calendar and stop while the
// ticket has one of p.PauseStatuses, and while it is solved or closed:
// solving (or closing an unsolved ticket, as a merge does) fulfils every
// running target, and a reopen resumes the resolution clock where it
// stopped. A target fulfilled after its deadline is breached; one
// fulfilled at or before it is met. A first response is the team's first
// public reply; a next response target starts with each public reply of
// the customer that follows a reply of the team and has not been
// answered, and is met by the team's next public reply.
func Measure(p *Policy, created time.Time, activity []Activity, now time.Time) []SLATarget {
	if p == nil {
		return nil
	}
	created = created.UTC()
	// The status timeline: pauses (pause statuses) and stops (solved,
	// closed), and the instants the ticket was solved.
	var pauses []Span
	status, since := StatusNew, created
	var solves []time.Time // the start of each solved stretch
	closeSpan := func(at time.Time) {
		if slices.Contains(p.PauseStatuses, status) || status == StatusSolved || status == StatusClosed {
			pauses = append(pauses, Span{From: since, To: at})
		}
	}
	for _, a := range activity {
		if a.Kind != ActivityStatus || a.Status == status {
			continue
		}
		closeSpan(a.At)
		if a.Status == StatusSolved || a.Status == StatusClosed && status != StatusSolved {
			solves = append(solves, a.At) // closing unsolved (a merge) ends the clocks too
		}
		status, since = a.Status, a.At
	}
	closeSpan(time.Time{}) // open-ended: the current status
	stopped := status == StatusSolved || status == StatusClosed
	// A target ends at its fulfilling reply, or at a solve before it.
	firstSolveAfter := func(t time.Time) *time.Time {
		for _, s := range solves {
			if !s.Before(t) {
				return &s
			}
		}
		return nil
	}
	var out []SLATarget
	add := func(m Metric, seq int, start time.Time, end *time.Time) {
		minutes := p.Targets.minutes(m)
		if minutes <= 0 {
			return
		}
		out = append(out, measureTarget(p, m, seq, time.Duration(minutes)*time.Minute, start, end, pauses, now))
	}
	// First response.
	var first *time.Time
	for _, a := range activity {
		if a.Kind == ActivityAgentReply {
			at := a.At
			first = &at
			break
		}
	}
	if s := firstSolveAfter(created); s != nil && (first == nil || s.Before(*first)) {
		first = s
	}
	add(MetricFirstResponse, 1, created, first)
	// Next responses: a customer reply after a team reply, unanswered,
	// starts one; the next team reply or solve ends it.
	seq := 0
	answered := false // a team reply has happened
	var open *time.Time
	cur := StatusNew
	end := func(at time.Time) {
		seq++
		add(MetricNextResponse, seq, *open, &at)
		open = nil
	}
	for _, a := range activity {
		switch {
		case a.Kind == ActivityAgentReply:
			answered = true
			if open != nil {
				end(a.At)
			}
		case a.Kind == ActivityCustomerReply:
			if answered && open == nil {
				at := a.At
				open = &at
			}
		case a.Kind == ActivityStatus:
			if open != nil && (a.Status == StatusSolved || a.Status == StatusClosed && cur != StatusSolved) {
				end(a.At)
			}
			cur = a.Status
		}
	}
	if open != nil {
		seq++
		add(MetricNextResponse, seq, *open, nil)
	}
	// Resolution: ends at the last solve while stopped; the stretches
	// solved before a reopen are pauses.
	var resolved *time.Time
	if stopped && len(solves) > 0 {
		resolved = &solves[len(solves)-1]
	}
	add(MetricResolution, 1, created, resolved)
	return out
}

// measureTarget measures one target from start, fulfilled at end (nil
// while it is not), with the clock stopped during pauses.
func measureTarget(p *Policy, m Metric, seq int, target time.Duration, start time.Time, end *time.Time, pauses []Span, now time.Time) SLATarget {
	cal := &p.Calendar
	t := SLATarget{Metric: m, Seq: seq, PolicyID: p.ID, Target: target, Start: start}
	if end != nil {
		// Only the pauses before the end count; the one the end starts (a
		// solve) does not stop a clock that has already stopped.
		var before []Span
		for _, s := range pauses {
			if !s.From.Before(*end) {
				continue
			}
			if s.To.IsZero() || s.To.After(*end) {
				s.To = *end
			}
			before = append(before, s)
		}
		met := end.UTC()
		t.MetAt = &met
		t.Deadline = cal.AddExcluding(start, target, before)
		t.Elapsed = cal.BetweenExcluding(start, met, before)
		t.State = SLAMet
		if met.After(t.Deadline) {
			t.State = SLABreached
			at := t.Deadline
			t.BreachedAt = &at
		}
		return t
	}
	t.Deadline = cal.AddExcluding(start, target, pauses)
	t.Elapsed = cal.BetweenExcluding(start, now, pauses)
	switch {
	case t.Deadline.IsZero():
		t.State = SLAPaused
	case now.After(t.Deadline):
		t.State = SLABreached
		at := t.Deadline
		t.BreachedAt = &at
	default:
		t.State = SLARunning
	}
	if !t.Deadline.IsZero() {
		t.WarnAt = cal.AddExcluding(start, time.Duration(float64(target)*p.WarnFraction), pauses)
	}
	return t
}

// StateAt returns t's state as of now from its stored fields: a running
// target whose deadline has passed is breached.
func (t *SLATarget) StateAt(now time.Time) SLAState {
	switch {
	case t.MetAt != nil && t.Deadline.IsZero():
		return SLAMet
	case t.MetAt != nil:
		if t.MetAt.After(t.Deadline) {
			return SLABreached
		}
		return SLAMet
	case t.Deadline.IsZero():
		return SLAPaused
	case now.After(t.Deadline):
		return SLABreached
	}
	return SLARunning
}
