package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Built-in engagement kinds. A workspace may use its own too: any kind of
// 1 to MaxCategoryBytes lowercase letters, digits, '_' and '-' (as ticket
// categories).
const (
	KindInstallation = "installation"
	KindRepair       = "repair"
	KindVisit        = "visit" // an on-site visit
	KindTraining     = "training"
)

// EngagementKinds lists the built-in engagement kinds.
var EngagementKinds = []string{KindInstallation, KindRepair, KindVisit, KindTraining}

// Attendance is whether an attendee took part in an engagement.
type Attendance string

// Attendance states. The zero value in an Attendee given to the service
// means AttendanceInvited.
const (
	AttendanceInvited  Attendance = "invited" // not recorded yet
	AttendanceAttended Attendance = "attended"
	AttendanceAbsent   Attendance = "absent"
	AttendanceExcused  Attendance = "excused" // absent with notice
)

// Attendances lists every attendance state.
var Attendances = []Attendance{AttendanceInvited, AttendanceAttended, AttendanceAbsent, AttendanceExcused}

// Outcome is how an engagement ended.
type Outcome string

// Engagement outcomes. An engagement has no outcome ("") until
// CompleteEngagement records one.
const (
	OutcomeCompleted          Outcome = "completed"
	OutcomePartiallyCompleted Outcome = "partially_completed"
	OutcomeCancelled          Outcome = "cancelled"
	OutcomeNoShow             Outcome = "no_show" // the customer was not there
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeCompleted, OutcomePartiallyCompleted, OutcomeCancelled, OutcomeNoShow}

// Event types of engagements. Every change to an engagement appends
// exactly one event in the change's transaction, with SubjectType
// SubjectEngagement, Subject the engagement's ID and Customer the
// engagement's customer (the one served, not its attendees), so that it
// appears on that customer's timeline. Changes name the fields in snake
// case: "customer_id", "kind", "ticket_id", "purchase_id",
// "scheduled_start", "scheduled_end", "actual_start", "actual_end" (times
// as RFC 3339 text in UTC), "location", "host_ids" (a list), "attendees" (a
// list of objects with "customer_id", "status" and "score"), "outcome",
// "outcome_note", "notes" and "completed_at".
const (
	EventEngagementCreated   = "engagement.created"   // Changes: every field set, Before nil
	EventEngagementUpdated   = "engagement.updated"   // Changes: the fields that differ (attendance too)
	EventEngagementCompleted = "engagement.completed" // Changes: outcome, outcome_note, actual times, completed_at
)

// EngagementEventTypes lists the event types of engagements.
var EngagementEventTypes = []string{EventEngagementCreated, EventEngagementUpdated, EventEngagementCompleted}

// SubjectEngagement is the SubjectType of engagement events.
const SubjectEngagement = "engagement"

// Limits of an engagement's fields.
const (
	MaxEngagementLocationBytes = 1000
	MaxEngagementNotesBytes    = 64 << 10
	MaxOutcomeNoteBytes        = 4 << 10
	MaxEngagementHosts         = 20
	MaxEngagementAttendees     = 1000
	MaxAssessmentScore         = 100 // scores run from 0 to MaxAssessmentScore
)

// TrainingConfidenceLevel is the level of TrainingSummary's interval.
const TrainingConfidenceLevel = 0.95

// Attendee is a customer taking part in an engagement (a participant of a
// training session), with their attendance.
type Attendee struct {
	// CustomerID is a live customer of the workspace: not deleted, merged
	// away or erased.
	CustomerID crmtype.ID
	// Status is the attendance; "" means AttendanceInvited.
	Status Attendance
	// Score is the attendee's assessment score, 0 to MaxAssessmentScore
	// (typically of a training session); nil when not assessed. Only an
	// attendee who attended has one.
	Score *int
}

// Engagement is a service appointment with a customer: an installation, a
// repair, an on-site visit, a training session.
type Engagement struct {
	ID crmtype.ID
	// CustomerID is the customer served (required).
	CustomerID crmtype.ID
	// Kind is a built-in kind (KindInstallation, ...) or the workspace's own.
	Kind string
	// TicketID is the ticket the engagement serves; zero when none.
	TicketID crmtype.ID
	// PurchaseID is the purchase it concerns (what is installed or
	// repaired); zero when none.
	PurchaseID crmtype.ID
	// ScheduledStart and ScheduledEnd are when it is planned, UTC;
	// ScheduledEnd is not before ScheduledStart.
	ScheduledStart time.Time
	ScheduledEnd   time.Time
	// ActualStart and ActualEnd are when it really began and ended, UTC;
	// nil until recorded. ActualEnd is not before ActualStart.
	ActualStart *time.Time
	ActualEnd   *time.Time
	// Location is where it takes place, free text; "" when unknown.
	Location string
	// HostIDs are the host's user ids of the agents or technicians,
	// distinct and sorted; nil when none.
	HostIDs []string
	// Attendees are the customers taking part, by customer ID; nil when
	// none.
	Attendees []Attendee
	// Outcome is how it ended; "" until CompleteEngagement.
	Outcome     Outcome
	OutcomeNote string // free text on the outcome
	Notes       string
	// Version increases by one with every change; UpdateEngagement,
	// RecordAttendance and CompleteEngagement take the version read
	// (optimistic locking).
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// CompletedAt is when the outcome was recorded; nil before.
	CompletedAt *time.Time
}

// Duration is the engagement's actual duration, ActualEnd − ActualStart;
// zero when either is not recorded.
func (e *Engagement) Duration() time.Duration {
	if e.ActualStart == nil || e.ActualEnd == nil {
		return 0
	}
	return e.ActualEnd.Sub(*e.ActualStart)
}

// Attendee returns the attendance of customer id; ok is false when id is
// not an attendee.
func (e *Engagement) Attendee(id crmtype.ID) (a Attendee, ok bool) {
	for _, a := range e.Attendees {
		if a.CustomerID == id {
			return a, true
		}
	}
	return Attendee{}, false
}

// EngagementParams are a new engagement's fields.
type EngagementParams struct {
	CustomerID     crmtype.ID // required: a live customer of the workspace (not deleted, merged away or erased)
	Kind           string     // required: a built-in or workspace-defined kind
	TicketID       crmtype.ID // optional: a ticket of the workspace
	PurchaseID     crmtype.ID // optional: a purchase of the workspace
	ScheduledStart time.Time  // required
	ScheduledEnd   time.Time  // required, not before ScheduledStart
	Location       string
	HostIDs        []string
	Attendees      []Attendee // each a live customer of the workspace, listed once
	Notes          string
}

// EngagementUpdate changes the fields that are non-nil. Version is the
// version read and is required. The customer is changed by merging
// customers, the outcome by CompleteEngagement.
type EngagementUpdate struct {
	Version        int64
	Kind           *string
	TicketID       *crmtype.ID // a pointer to the zero ID clears it
	PurchaseID     *crmtype.ID // a pointer to the zero ID clears it
	ScheduledStart *time.Time
	ScheduledEnd   *time.Time
	ActualStart    *time.Time // a pointer to the zero time clears it
	ActualEnd      *time.Time // a pointer to the zero time clears it
	Location       *string
	HostIDs        *[]string   // replaces the hosts
	Attendees      *[]Attendee // replaces the attendees (RecordAttendance amends them)
	OutcomeNote    *string
	Notes          *string
}

// Completion is the outcome CompleteEngagement records.
type Completion struct {
	Outcome     Outcome // required
	OutcomeNote string
	// ActualStart and ActualEnd, when non-nil, set the actual times;
	// nil keeps those recorded. OutcomeCompleted and
	// OutcomePartiallyCompleted need both (given or recorded).
	ActualStart *time.Time
	ActualEnd   *time.Time
}

// EngagementListParams selects engagements for Engagements. Zero fields do
// not filter.
type EngagementListParams struct {
	CustomerID crmtype.ID // the customer served (not attendees)
	TicketID   crmtype.ID
	Kind       string
	From       time.Time // ScheduledStart at or after From
	To         time.Time // ScheduledStart before To
	Limit      int       // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// TrainingSummary is the attendance and assessment of one engagement (a
// training session).
type TrainingSummary struct {
	EngagementID crmtype.ID
	// Attendees counts the attendees; Invited, Attended, Absent and
	// Excused count them by attendance and add up to Attendees.
	Attendees, Invited, Attended, Absent, Excused int
	// AttendanceRate is Attended / (Attended + Absent): excused and
	// not-yet-recorded attendees do not count. 0 when Attended + Absent is 0.
	AttendanceRate float64
	// Scores counts the attendees with an assessment score; MeanScore is
	// their mean (0 when Scores is 0).
	Scores    int
	MeanScore float64
	// Assessment is the scores' mean with its Student t interval at
	// TrainingConfidenceLevel (analysis.MeanInterval); nil when fewer than
	// two attendees have a score.
	Assessment *analysis.MeanResult
}

// EngagementStore stores engagements and their attendees. Every method
// confines itself to the scope's workspace: another workspace's
// engagement, customer, ticket or purchase is ErrNotFound.
type EngagementStore interface {
	// InsertEngagement stores e, its attendees and events, all or none.
	// ErrNotFound when e.CustomerID or an attendee is not a live customer
	// of the workspace (missing, deleted, merged away or erased),
	// e.TicketID not a ticket of it, e.PurchaseID not a purchase of it.
	InsertEngagement(ctx context.Context, sc crmtype.Scope, e *Engagement, events []crmtype.Event) error
	// GetEngagement returns engagement id with its attendees, or
	// ErrNotFound.
	GetEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Engagement, error)
	// ChangeEngagement loads engagement id in a transaction, checks its
	// version (ErrConflict when it is not version), lets change modify it
	// and, when change returns events, checks the ticket, the purchase and
	// the attendees added if they changed (ErrNotFound as
	// InsertEngagement), saves it and its attendees with its version
	// increased by one and appends the events, atomically. It returns the
	// engagement as saved (as it was when change returned no events).
	// change's error is returned as it is and nothing is written.
	ChangeEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(e *Engagement) ([]crmtype.Event, error)) (*Engagement, error)
	// ListEngagements returns one page of p's selection, with attendees,
	// by ScheduledStart then ID.
	ListEngagements(ctx context.Context, sc crmtype.Scope, p EngagementListParams, limit int) (crmtype.Page[*Engagement], error)
}

// CreateEngagement schedules a new engagement and records
// EventEngagementCreated. Errors: a *crmtype.ValidationError (ErrInvalid)
// naming the field ("customer_id", "kind", "scheduled_start",
// "scheduled_end", "location", "host_ids", "host_ids[i]", "attendees",
// "attendees[i].customer_id", "attendees[i].status",
// "attendees[i].score" or "notes"); ErrNotFound when the customer or an
// attendee is not a live customer of the workspace (missing, deleted,
// merged away or erased), or the ticket or purchase is not in the
// workspace. Nothing is written on error.
func (s *Service) CreateEngagement(ctx context.Context, p EngagementParams) (*Engagement, error) {
	const op = "create engagement"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.CustomerID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	e := &Engagement{CustomerID: p.CustomerID}
	u := EngagementUpdate{Kind: &p.Kind, TicketID: &p.TicketID, PurchaseID: &p.PurchaseID,
		ScheduledStart: &p.ScheduledStart, ScheduledEnd: &p.ScheduledEnd, Location: &p.Location,
		HostIDs: &p.HostIDs, Attendees: &p.Attendees, Notes: &p.Notes}
	if err := applyEngagementUpdate(e, u); err != nil {
		return nil, wrap(op, err)
	}
	if err := checkEngagement(e); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	e.ID = crmtype.NewID(now)
	e.Version, e.CreatedAt, e.UpdatedAt = 1, now, now
	ev := engagementEvent(EventEngagementCreated, e, now, crmtype.DiffFields(nil, engagementFields(e)))
	if err := s.store.InsertEngagement(ctx, sc, e, []crmtype.Event{ev}); err != nil {
		return nil, wrap(op, err)
	}
	return e, nil
}

// Engagement returns engagement id with its attendees; ErrNotFound when
// the workspace has none.
func (s *Service) Engagement(ctx context.Context, id crmtype.ID) (*Engagement, error) {
	const op = "engagement"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetEngagement(ctx, sc, id)
	return e, wrap(op, err)
}

// UpdateEngagement applies p to engagement id if its version is still
// p.Version, records EventEngagementUpdated with the fields that changed
// and returns the engagement as saved (version increased by one;
// unchanged, with no event, when p changes nothing). Errors: a
// *crmtype.ValidationError naming the field for bad input ("version",
// "actual_start", "actual_end", "outcome_note" and those of
// CreateEngagement; "scheduled_end" or "actual_end" also when the result
// would end before it starts, "actual_start" when it would clear the
// actual times of a completed engagement); ErrNotFound when there is no
// engagement id or a new ticket, purchase or attendee is not in the
// workspace; ErrConflict when the version is stale. Nothing is written on
// error.
func (s *Service) UpdateEngagement(ctx context.Context, id crmtype.ID, p EngagementUpdate) (*Engagement, error) {
	const op = "update engagement"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if err := applyEngagementUpdate(&Engagement{}, p); err != nil { // check the input before touching the database
		return nil, wrap(op, err)
	}
	e, err := s.changeEngagement(ctx, sc, id, p.Version, EventEngagementUpdated, func(e *Engagement) error {
		if err := applyEngagementUpdate(e, p); err != nil {
			return err
		}
		return checkEngagement(e)
	})
	return e, wrap(op, err)
}

// RecordAttendance sets the attendance (and assessment score) of each of
// attendees on engagement id if its version is still version, adding
// those not yet attending and leaving the other attendees as they are,
// and records EventEngagementUpdated with the "attendees" change. An
// entry replaces the attendee's whole record: a nil Score clears a score.
// Recording what is already recorded changes nothing and records nothing.
// Errors: a *crmtype.ValidationError for "version", "attendees" (none
// given, or too many in all) or "attendees[i].customer_id" (missing or
// listed twice), "attendees[i].status" or "attendees[i].score" (outside 0
// to MaxAssessmentScore, or given for an attendee who did not attend);
// ErrNotFound when there is no engagement id or a new attendee is not a
// live customer of the workspace; ErrConflict when the version is stale.
// Nothing is written on error.
func (s *Service) RecordAttendance(ctx context.Context, id crmtype.ID, version int64, attendees []Attendee) (*Engagement, error) {
	const op = "record attendance"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if len(attendees) == 0 {
		return nil, wrap(op, crmtype.Invalid("attendees", "is empty: give the attendance to record"))
	}
	in, err := cleanAttendees(attendees)
	if err != nil {
		return nil, wrap(op, err)
	}
	e, err := s.changeEngagement(ctx, sc, id, version, EventEngagementUpdated, func(e *Engagement) error {
		byID := make(map[crmtype.ID]Attendee, len(e.Attendees)+len(in))
		for _, a := range e.Attendees {
			byID[a.CustomerID] = a
		}
		for _, a := range in {
			byID[a.CustomerID] = a
		}
		if len(byID) > MaxEngagementAttendees {
			return crmtype.Invalidf("attendees", "would have more than %d attendees", MaxEngagementAttendees)
		}
		all := make([]Attendee, 0, len(byID))
		for _, a := range byID {
			all = append(all, a)
		}
		sortAttendees(all)
		e.Attendees = all
		return nil
	})
	return e, wrap(op, err)
}

// CompleteEngagement records how engagement id ended, if its version is
// still version: its outcome and outcome note, its actual times when c
// gives them, and CompletedAt; it records EventEngagementCompleted. An
// outcome is recorded once: correct the note and times with
// UpdateEngagement. Errors: a *crmtype.ValidationError for "version",
// "outcome" (not an outcome, or one is already recorded), "outcome_note",
// "actual_start" (missing for OutcomeCompleted or
// OutcomePartiallyCompleted) or "actual_end" (missing likewise, or before
// the actual start); ErrNotFound when there is no engagement id;
// ErrConflict when the version is stale. Nothing is written on error.
func (s *Service) CompleteEngagement(ctx context.Context, id crmtype.ID, version int64, c Completion) (*Engagement, error) {
	const op = "complete engagement"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if !slices.Contains(Outcomes, c.Outcome) {
		return nil, wrap(op, crmtype.Invalidf("outcome", "%q is not completed, partially_completed, cancelled or no_show", c.Outcome))
	}
	u := EngagementUpdate{OutcomeNote: &c.OutcomeNote, ActualStart: c.ActualStart, ActualEnd: c.ActualEnd}
	if err := applyEngagementUpdate(&Engagement{}, u); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	e, err := s.changeEngagement(ctx, sc, id, version, EventEngagementCompleted, func(e *Engagement) error {
		if e.Outcome != "" {
			return crmtype.Invalidf("outcome", "is already recorded (%s): correct the note and times with UpdateEngagement", e.Outcome)
		}
		if err := applyEngagementUpdate(e, u); err != nil {
			return err
		}
		e.Outcome = c.Outcome
		at := now
		e.CompletedAt = &at
		return checkEngagement(e)
	})
	return e, wrap(op, err)
}

// Engagements returns one page of the workspace's engagements that p
// selects, by scheduled start. Errors: ErrInvalid "limit", "kind", "to"
// (before From) or "cursor" for bad input.
func (s *Service) Engagements(ctx context.Context, p EngagementListParams) (crmtype.Page[*Engagement], error) {
	const op = "engagements"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Engagement]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Engagement]{}, wrap(op, err)
	}
	if p.Kind != "" {
		p.Kind = strings.ToLower(strings.TrimSpace(p.Kind))
		if !check.Slug(p.Kind, MaxCategoryBytes) {
			return crmtype.Page[*Engagement]{}, wrap(op, crmtype.Invalidf("kind", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxCategoryBytes))
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
		return crmtype.Page[*Engagement]{}, wrap(op, crmtype.Invalid("to", "is before from"))
	}
	if !p.From.IsZero() {
		p.From = storedTime(p.From)
	}
	if !p.To.IsZero() {
		p.To = storedTime(p.To)
	}
	page, err := s.store.ListEngagements(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// TrainingResults summarises the attendance and assessment scores of
// engagement id, which must be of KindTraining. Errors: ErrNotFound when
// the workspace has no engagement id; ErrInvalid "kind" when it is not a
// training session.
func (s *Service) TrainingResults(ctx context.Context, id crmtype.ID) (*TrainingSummary, error) {
	const op = "training results"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetEngagement(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	if e.Kind != KindTraining {
		return nil, wrap(op, crmtype.Invalidf("kind", "is %s, not %s", e.Kind, KindTraining))
	}
	sum, err := summarizeTraining(e)
	return sum, wrap(op, err)
}

// summarizeTraining computes e's TrainingSummary.
func summarizeTraining(e *Engagement) (*TrainingSummary, error) {
	sum := &TrainingSummary{EngagementID: e.ID, Attendees: len(e.Attendees)}
	var scores []float64
	for _, a := range e.Attendees {
		switch a.Status {
		case AttendanceAttended:
			sum.Attended++
		case AttendanceAbsent:
			sum.Absent++
		case AttendanceExcused:
			sum.Excused++
		default:
			sum.Invited++
		}
		if a.Score != nil {
			scores = append(scores, float64(*a.Score))
		}
	}
	if n := sum.Attended + sum.Absent; n > 0 {
		sum.AttendanceRate = float64(sum.Attended) / float64(n)
	}
	sum.Scores = len(scores)
	if len(scores) > 0 {
		var total float64
		for _, x := range scores {
			total += x
		}
		sum.MeanScore = total / float64(len(scores))
	}
	if len(scores) >= 2 {
		r, err := analysis.MeanInterval(scores, TrainingConfidenceLevel)
		if err != nil {
			return nil, err
		}
		sum.Assessment = &r
	}
	return sum, nil
}

// changeEngagement runs change on engagement id under the store's lock and
// records one event of type typ with the fields that changed; no event and
// no write when nothing changed.
func (s *Service) changeEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, typ string, change func(e *Engagement) error) (*Engagement, error) {
	now := s.clock.Now()
	return s.store.ChangeEngagement(ctx, sc, id, version, func(e *Engagement) ([]crmtype.Event, error) {
		before := engagementFields(e)
		if err := change(e); err != nil {
			return nil, err
		}
		changes := crmtype.DiffFields(before, engagementFields(e))
		if len(changes) == 0 {
			return nil, nil
		}
		e.UpdatedAt = now
		return []crmtype.Event{engagementEvent(typ, e, now, changes)}, nil
	})
}

// engagementEvent is an event about e; the store sets its ID, workspace
// and actor (from the scope).
func engagementEvent(typ string, e *Engagement, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectEngagement, Subject: e.ID,
		Customer: e.CustomerID, Changes: changes}
}

// engagementFields renders e's fields as JSON values for
// crmtype.DiffFields.
func engagementFields(e *Engagement) map[string]any {
	id := func(v crmtype.ID) any {
		if v.IsZero() {
			return nil
		}
		return v.String()
	}
	at := func(t *time.Time) any {
		if t == nil || t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	m := map[string]any{
		"customer_id": id(e.CustomerID), "kind": e.Kind, "ticket_id": id(e.TicketID), "purchase_id": id(e.PurchaseID),
		"scheduled_start": at(&e.ScheduledStart), "scheduled_end": at(&e.ScheduledEnd),
		"actual_start": at(e.ActualStart), "actual_end": at(e.ActualEnd), "location": e.Location,
		"outcome": string(e.Outcome), "outcome_note": e.OutcomeNote, "notes": e.Notes, "completed_at": at(e.CompletedAt),
	}
	if len(e.HostIDs) > 0 {
		hosts := make([]any, len(e.HostIDs))
		for i, v := range e.HostIDs {
			hosts[i] = v
		}
		m["host_ids"] = hosts
	}
	if len(e.Attendees) > 0 {
		list := make([]any, len(e.Attendees))
		for i, a := range e.Attendees {
			var score any
			if a.Score != nil {
				score = float64(*a.Score)
			}
			list[i] = map[string]any{"customer_id": a.CustomerID.String(), "status": string(a.Status), "score": score}
		}
		m["attendees"] = list
	}
	return m
}

// storedTime is t as stored: UTC, to the microsecond (PostgreSQL's
// precision).
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// applyEngagementUpdate checks and applies the non-nil fields of p to e.
// The checks across fields (an end before its start) are checkEngagement's.
func applyEngagementUpdate(e *Engagement, p EngagementUpdate) error {
	if p.Kind != nil {
		v := strings.ToLower(strings.TrimSpace(*p.Kind))
		if v == "" {
			return crmtype.Invalid("kind", "is required")
		}
		if !check.Slug(v, MaxCategoryBytes) {
			return crmtype.Invalidf("kind", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxCategoryBytes)
		}
		e.Kind = v
	}
	if p.TicketID != nil {
		e.TicketID = *p.TicketID
	}
	if p.PurchaseID != nil {
		e.PurchaseID = *p.PurchaseID
	}
	for _, f := range []struct {
		name string
		in   *time.Time
		out  *time.Time
	}{{"scheduled_start", p.ScheduledStart, &e.ScheduledStart}, {"scheduled_end", p.ScheduledEnd, &e.ScheduledEnd}} {
		if f.in == nil {
			continue
		}
		if f.in.IsZero() {
			return crmtype.Invalid(f.name, "is required")
		}
		*f.out = storedTime(*f.in)
	}
	if p.ActualStart != nil {
		e.ActualStart = optTime(*p.ActualStart)
	}
	if p.ActualEnd != nil {
		e.ActualEnd = optTime(*p.ActualEnd)
	}
	if p.Location != nil {
		v, err := cleanText("location", *p.Location, MaxEngagementLocationBytes)
		if err != nil {
			return err
		}
		e.Location = v
	}
	if p.HostIDs != nil {
		v, err := cleanHosts(*p.HostIDs)
		if err != nil {
			return err
		}
		e.HostIDs = v
	}
	if p.Attendees != nil {
		v, err := cleanAttendees(*p.Attendees)
		if err != nil {
			return err
		}
		e.Attendees = v
	}
	if p.OutcomeNote != nil {
		v, err := cleanText("outcome_note", *p.OutcomeNote, MaxOutcomeNoteBytes)
		if err != nil {
			return err
		}
		e.OutcomeNote = v
	}
	if p.Notes != nil {
		v, err := cleanText("notes", *p.Notes, MaxEngagementNotesBytes)
		if err != nil {
			return err
		}
		e.Notes = v
	}
	return nil
}

// checkEngagement checks what involves more than one field of e.
func checkEngagement(e *Engagement) error {
	if e.ScheduledEnd.Before(e.ScheduledStart) {
		return crmtype.Invalid("scheduled_end", "is before scheduled_start")
	}
	if e.ActualEnd != nil && e.ActualStart == nil {
		return crmtype.Invalid("actual_start", "is required with actual_end")
	}
	if e.ActualStart != nil && e.ActualEnd != nil && e.ActualEnd.Before(*e.ActualStart) {
		return crmtype.Invalid("actual_end", "is before actual_start")
	}
	if e.Outcome == OutcomeCompleted || e.Outcome == OutcomePartiallyCompleted {
		if e.ActualStart == nil {
			return crmtype.Invalidf("actual_start", "is required for an engagement %s", e.Outcome)
		}
		if e.ActualEnd == nil {
			return crmtype.Invalidf("actual_end", "is required for an engagement %s", e.Outcome)
		}
	}
	return nil
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := storedTime(t)
	return &v
}

// cleanText checks free text that may span lines.
func cleanText(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", crmtype.Invalid(field, "is not UTF-8")
	}
	if len(v) > max {
		return "", crmtype.Invalidf(field, "is longer than %d bytes", max)
	}
	return v, nil
}

func cleanHosts(in []string) ([]string, error) {
	if len(in) > MaxEngagementHosts {
		return nil, crmtype.Invalidf("host_ids", "has more than %d hosts", MaxEngagementHosts)
	}
	var out []string
	for i, h := range in {
		v, err := check.Line(fmt.Sprintf("host_ids[%d]", i), h, MaxTicketRefBytes, true)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// cleanAttendees checks attendees and returns them sorted by customer,
// with the default status set; nil when there are none.
func cleanAttendees(in []Attendee) ([]Attendee, error) {
	if len(in) > MaxEngagementAttendees {
		return nil, crmtype.Invalidf("attendees", "has more than %d attendees", MaxEngagementAttendees)
	}
	if len(in) == 0 {
		return nil, nil
	}
	seen := make(map[crmtype.ID]bool, len(in))
	out := make([]Attendee, len(in))
	for i, a := range in {
		field := func(f string) string { return fmt.Sprintf("attendees[%d].%s", i, f) }
		if a.CustomerID.IsZero() {
			return nil, crmtype.Invalid(field("customer_id"), "is required")
		}
		if seen[a.CustomerID] {
			return nil, crmtype.Invalidf(field("customer_id"), "lists customer %s twice", a.CustomerID)
		}
		seen[a.CustomerID] = true
		if a.Status == "" {
			a.Status = AttendanceInvited
		}
		if !slices.Contains(Attendances, a.Status) {
			return nil, crmtype.Invalidf(field("status"), "%q is not invited, attended, absent or excused", a.Status)
		}
		if a.Score != nil {
			if *a.Score < 0 || *a.Score > MaxAssessmentScore {
				return nil, crmtype.Invalidf(field("score"), "is %d, not between 0 and %d", *a.Score, MaxAssessmentScore)
			}
			if a.Status != AttendanceAttended {
				return nil, crmtype.Invalidf(field("score"), "is given for an attendee who is %s: only who attended is assessed", a.Status)
			}
			v := *a.Score
			a.Score = &v // the caller's pointer is not kept
		}
		out[i] = a
	}
	sortAttendees(out)
	return out, nil
}

func sortAttendees(as []Attendee) {
	slices.SortFunc(as, func(a, b Attendee) int { return strings.Compare(string(a.CustomerID[:]), string(b.CustomerID[:])) })
}
