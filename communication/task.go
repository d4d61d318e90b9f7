package communication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kehu/crm/crmtype"
)

// Priority is how urgent a task is.
type Priority string

// Priorities, from least to most urgent. The zero value means
// PriorityNormal.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// TaskStatus is where a task stands. An open task may change; a done or
// cancelled one is final.
type TaskStatus string

// Task statuses.
const (
	TaskOpen      TaskStatus = "open"
	TaskDone      TaskStatus = "done"
	TaskCancelled TaskStatus = "cancelled"
)

// Event types of tasks and reminders. Every change to a task appends
// exactly one event in the change's transaction, with SubjectType
// SubjectTask, Subject the task's ID and Customer the task's customer, so
// that it appears on the customer's timeline and the task's audit trail.
// Changes name the task's fields as in TaskUpdate, in snake case: "subject",
// "notes", "due_at" (RFC 3339, UTC), "owner_id", "priority", "status",
// "customer_id", "interaction_id", "ticket_id", "campaign_id", "rrule",
// "zone", "recurrence_start", "reminders" (offsets in seconds) and
// "completed_at".
const (
	EventTaskCreated   = "task.created"   // Changes: every field set, Before nil
	EventTaskUpdated   = "task.updated"   // Changes: the fields that differ, Before and After
	EventTaskCompleted = "task.completed" // Changes: "completed_at", and "status" or (a recurring task moving on) "due_at"
	EventTaskCancelled = "task.cancelled" // Changes: "status"
	EventTaskDeleted   = "task.deleted"   // Changes: every field the task had, After nil
	// EventReminderFired records that a worker acknowledged a reminder
	// (AckReminder). Changes: "reminder_id", "fire_at", "offset" (seconds
	// before the due time).
	EventReminderFired = "reminder.fired"
)

// TaskEventTypes lists the event types of tasks and reminders.
var TaskEventTypes = []string{
	EventTaskCreated, EventTaskUpdated, EventTaskCompleted, EventTaskCancelled, EventTaskDeleted,
	EventReminderFired,
}

// SubjectTask is the SubjectType of task and reminder events.
const SubjectTask = "task"

// Limits of a task's fields.
const (
	MaxTaskSubjectBytes = 500      // Task.Subject
	MaxTaskNotesBytes   = 64 << 10 // Task.Notes
	MaxTaskOwnerBytes   = 200      // Task.OwnerID
	MaxTaskReminders    = 10       // len(Task.Reminders)
	// MaxReminderOffset is the longest time before the due time a reminder
	// may fire.
	MaxReminderOffset = 366 * 24 * time.Hour
)

// Task is something to do for a customer: call back, send a quote, visit.
// A recurring task (Recurrence set) comes back after each completion at the
// rule's next occurrence.
type Task struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	Subject    string // one line, at most MaxTaskSubjectBytes
	Notes      string // free text, at most MaxTaskNotesBytes
	// DueAt is when the task is due (UTC); for a recurring task, the
	// current occurrence.
	DueAt time.Time
	// OwnerID is the host's user who owns the task; "" when unassigned.
	OwnerID  string
	Priority Priority
	Status   TaskStatus
	// Optional links (zero when none). They are not checked against their
	// records.
	InteractionID, TicketID, CampaignID crmtype.ID
	// Recurrence is the task's rule; nil for a one-off task. Its Start is
	// the task's first DueAt.
	Recurrence *Recurrence
	// Reminders are the offsets before DueAt at which reminders fire, in
	// the order given; 0 fires at the due time. Each is a whole number of
	// seconds between 0 and MaxReminderOffset, at most MaxTaskReminders.
	Reminders []time.Duration
	// CompletedAt is the time of the last completion; nil before the
	// first.
	CompletedAt *time.Time
	// Version increases by one with every change; UpdateTask, CompleteTask,
	// CancelTask and DeleteTask take the version read (optimistic locking).
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TaskParams are a new task's fields.
type TaskParams struct {
	CustomerID crmtype.ID // required: a live customer of the workspace
	Subject    string     // required
	Notes      string
	// DueAt is required. For a recurring task the first DueAt is the rule's
	// first occurrence at or after DueAt (DueAt itself when it matches the
	// rule), read to the second.
	DueAt    time.Time
	OwnerID  string
	Priority Priority // default PriorityNormal

	InteractionID, TicketID, CampaignID crmtype.ID

	// Rule is an RFC 5545 RRULE value such as "FREQ=WEEKLY;BYDAY=MO"
	// (see Recurrence); "" for a one-off task.
	Rule string
	// Zone is the IANA time zone a recurring task's rule runs in; default
	// the customer's TimeZone, then UTC. It is checked whenever given, and
	// used only with Rule.
	Zone string
	// Reminders are offsets before the due time (see Task.Reminders).
	Reminders []time.Duration
}

// TaskUpdate changes the fields that are non-nil. Version is the version
// read and is required.
type TaskUpdate struct {
	Version  int64
	Subject  *string
	Notes    *string
	OwnerID  *string
	DueAt    *time.Time // for a recurring task, moves the current occurrence only
	Priority *Priority
	// Reminders replaces the task's reminder offsets; a pointer to an empty
	// slice removes them all.
	Reminders *[]time.Duration
}

// TaskListParams selects tasks for Tasks. Zero fields do not filter.
type TaskListParams struct {
	CustomerID crmtype.ID
	OwnerID    string
	Status     TaskStatus
	DueBefore  time.Time // tasks due strictly before
	Limit      int       // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// Reminder is a reminder of a task that is due to fire, as DueReminders
// hands it to a worker.
type Reminder struct {
	ID         crmtype.ID
	TaskID     crmtype.ID
	CustomerID crmtype.ID
	// Offset is how long before the task's due time the reminder fires.
	Offset time.Duration
	// FireAt is when the reminder is due (UTC).
	FireAt time.Time
	// Task is the task as it is now.
	Task *Task
	// Claim is the worker's token for AckReminder; empty outside
	// DueReminders.
	Claim crmtype.Cursor
}

// TaskWrite is what a change to a task writes (TaskStore.ChangeTask).
type TaskWrite struct {
	// Events are appended in the change's transaction. None means that the
	// change alters nothing: nothing is written.
	Events []crmtype.Event
	// Delete deletes the task and its reminders instead of saving it.
	Delete bool
	// Reschedule makes Reminders the task's schedule: its pending
	// reminders that are not in Reminders are cancelled, and those of
	// Reminders that are neither pending nor fired already (same FireAt and
	// Offset) are added as pending.
	Reschedule bool
	Reminders  []Reminder
}

// TaskStore stores tasks and their reminders. Every method confines itself
// to the scope's workspace: another workspace's task or reminder is
// ErrNotFound.
type TaskStore interface {
	// InsertTask stores t, its reminders rs (pending) and evs, all or
	// none. ErrNotFound when t.CustomerID is not a customer of the
	// workspace.
	InsertTask(ctx context.Context, sc crmtype.Scope, t *Task, rs []Reminder, evs []crmtype.Event) error
	// GetTask returns task id, or ErrNotFound.
	GetTask(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Task, error)
	// ChangeTask loads task id in a transaction, checks its version
	// (ErrConflict when it is not version), lets change modify it and
	// writes what change returns, the task with its version increased by
	// one, atomically. It returns the task as saved (as it was when change
	// altered nothing; the task before its deletion after a Delete).
	// ErrNotFound when there is no task id; change's error is returned as
	// it is and nothing is written.
	ChangeTask(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(t *Task) (TaskWrite, error)) (*Task, error)
	// ListTasks returns one page of p's selection, by DueAt then ID.
	ListTasks(ctx context.Context, sc crmtype.Scope, p TaskListParams, limit int) (crmtype.Page[*Task], error)
	// ClaimReminders leases to the caller, until now+lease, at most limit
	// pending reminders due at now (FireAt <= now) whose lease is not held,
	// earliest first, with their tasks and claims. No two callers hold the
	// same reminder's lease at once.
	ClaimReminders(ctx context.Context, sc crmtype.Scope, now time.Time, lease time.Duration, limit int) ([]Reminder, error)
	// AckReminder marks the reminder claim names as fired and appends its
	// EventReminderFired event. ErrInvalid when claim is malformed or was
	// never handed out; ErrNotFound when the reminder is gone; ErrConflict
	// when its lease was given to another worker or it was cancelled.
	// Acknowledging the same claim twice is harmless.
	AckReminder(ctx context.Context, sc crmtype.Scope, claim crmtype.Cursor, now time.Time) error
}

// Reminder claims: how many DueReminders hands out at most.
const (
	DefaultReminderBatch = 100
	MaxReminderBatch     = 1000
)

// CreateTask creates an open task for a live customer, schedules its
// reminders and records EventTaskCreated. Errors: a *crmtype.ValidationError
// (ErrInvalid) naming the field ("customer_id", "subject", "notes",
// "due_at", "owner_id", "priority", "zone", "rrule", "reminders" or
// "reminders[i]") when p is not valid, among them an RRULE that does not
// parse or never occurs; ErrNotFound when the customer does not exist in the
// workspace or is deleted. Nothing is written on error.
//
// A reminder whose time has already passed when it is scheduled fires at
// once; when several have passed, only the latest of them is kept.
func (s *Service) CreateTask(ctx context.Context, p TaskParams) (*Task, error) {
	const op = "create task"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	t, err := newTask(p)
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := s.customers.Get(ctx, p.CustomerID)
	if err != nil {
		return nil, wrap(op, err)
	}
	if t.Recurrence != nil && t.Recurrence.Zone == "" {
		t.Recurrence.Zone = c.TimeZone
		if t.Recurrence.Zone == "" {
			t.Recurrence.Zone = "UTC"
		}
		if err := t.Recurrence.Validate(); err != nil {
			return nil, wrap(op, err)
		}
	}
	if t.Recurrence != nil {
		first, ok := t.Recurrence.Next(t.Recurrence.Start.Add(-time.Second))
		if !ok {
			return nil, wrap(op, crmtype.Invalid("rrule", "never occurs"))
		}
		t.DueAt, t.Recurrence.Start = first, first
	}
	now := s.clock.Now()
	t.ID = crmtype.NewID(now)
	t.Status, t.Version, t.CreatedAt, t.UpdatedAt = TaskOpen, 1, now, now
	ev := taskEvent(EventTaskCreated, t, now, taskDiff(nil, t))
	if err := s.store.InsertTask(ctx, sc, t, schedule(t, now), []crmtype.Event{ev}); err != nil {
		return nil, wrap(op, err)
	}
	return t, nil
}

// Task returns task id, also when its customer is soft-deleted.
// ErrNotFound when the workspace has no task id.
func (s *Service) Task(ctx context.Context, id crmtype.ID) (*Task, error) {
	const op = "task"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	t, err := s.store.GetTask(ctx, sc, id)
	return t, wrap(op, err)
}

// UpdateTask applies p to open task id if its version is still p.Version,
// records EventTaskUpdated and returns the task as saved (version increased
// by one; unchanged, with no event, when p changes nothing). Changing DueAt
// or Reminders reschedules the pending reminders: those already fired for
// the same due time and offset do not fire again. Errors: a
// *crmtype.ValidationError naming the field for bad input ("version",
// "subject", "notes", "owner_id", "due_at", "priority", "reminders[i]"), or
// "status" when the task is done or cancelled; ErrNotFound when there is no
// task id (when p sets Reminders the error is also a ValidationError naming
// "task_id": a reminder for a deleted task); ErrConflict
// (*crmtype.ConflictError) when the version is stale. Nothing is written on
// error.
func (s *Service) UpdateTask(ctx context.Context, id crmtype.ID, p TaskUpdate) (*Task, error) {
	const op = "update task"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	// Check the input before touching the database.
	if err := applyTaskUpdate(&Task{}, p); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	t, err := s.store.ChangeTask(ctx, sc, id, p.Version, func(t *Task) (TaskWrite, error) {
		if err := requireOpen(t); err != nil {
			return TaskWrite{}, err
		}
		before := t.clone()
		if err := applyTaskUpdate(t, p); err != nil {
			return TaskWrite{}, err
		}
		changes := taskDiff(before, t)
		if len(changes) == 0 {
			return TaskWrite{}, nil
		}
		t.UpdatedAt = now
		w := TaskWrite{Events: []crmtype.Event{taskEvent(EventTaskUpdated, t, now, changes)}}
		if !t.DueAt.Equal(before.DueAt) || !slices.Equal(t.Reminders, before.Reminders) {
			w.Reschedule, w.Reminders = true, schedule(t, now)
		}
		return w, nil
	})
	if err != nil && p.Reminders != nil && errors.Is(err, crmtype.ErrNotFound) {
		err = fmt.Errorf("%w: %w", crmtype.Invalid("task_id", "names no task: reminders need an existing task"), err)
	}
	return t, wrap(op, err)
}

// CompleteTask completes open task id if its version is still version, and
// records EventTaskCompleted. A one-off task becomes done and its pending
// reminders are cancelled. A recurring task moves on to its rule's next
// occurrence after its current DueAt and stays open, with its reminders
// scheduled for the new due time; when the rule is exhausted it becomes done.
// CompletedAt is set either way. Errors: ErrInvalid "version" when version
// is not positive, "status" when the task is done or cancelled; ErrNotFound;
// ErrConflict when the version is stale.
func (s *Service) CompleteTask(ctx context.Context, id crmtype.ID, version int64) (*Task, error) {
	return s.changeTask(ctx, "complete task", id, version, func(t *Task, now time.Time) (TaskWrite, error) {
		if err := requireOpen(t); err != nil {
			return TaskWrite{}, err
		}
		before := t.clone()
		done := now
		t.CompletedAt, t.UpdatedAt = &done, now
		w := TaskWrite{Reschedule: true}
		next, ok := time.Time{}, false
		if t.Recurrence != nil {
			next, ok = t.Recurrence.Next(t.DueAt)
		}
		if ok {
			t.DueAt = next
			w.Reminders = schedule(t, now)
		} else {
			t.Status = TaskDone
		}
		w.Events = []crmtype.Event{taskEvent(EventTaskCompleted, t, now, taskDiff(before, t))}
		return w, nil
	})
}

// CancelTask cancels open task id if its version is still version: it
// becomes cancelled, its pending reminders are cancelled, and
// EventTaskCancelled is recorded. Errors as CompleteTask's.
func (s *Service) CancelTask(ctx context.Context, id crmtype.ID, version int64) (*Task, error) {
	return s.changeTask(ctx, "cancel task", id, version, func(t *Task, now time.Time) (TaskWrite, error) {
		if err := requireOpen(t); err != nil {
			return TaskWrite{}, err
		}
		before := t.clone()
		t.Status, t.UpdatedAt = TaskCancelled, now
		return TaskWrite{Reschedule: true,
			Events: []crmtype.Event{taskEvent(EventTaskCancelled, t, now, taskDiff(before, t))}}, nil
	})
}

// DeleteTask deletes task id (in any status) with its reminders if its
// version is still version, and records EventTaskDeleted; the events of
// the task stay in the log. A worker's claim on one of its reminders then
// acknowledges as ErrNotFound. Errors: ErrInvalid "version" when version is
// not positive; ErrNotFound; ErrConflict when the version is stale.
func (s *Service) DeleteTask(ctx context.Context, id crmtype.ID, version int64) error {
	_, err := s.changeTask(ctx, "delete task", id, version, func(t *Task, now time.Time) (TaskWrite, error) {
		changes := taskDiff(nil, t)
		for i := range changes { // what the task was: Before, not After
			changes[i].Before, changes[i].After = changes[i].After, nil
		}
		return TaskWrite{Delete: true, Events: []crmtype.Event{taskEvent(EventTaskDeleted, t, now, changes)}}, nil
	})
	return err
}

// changeTask is the frame of a change to task id at version: the scope,
// the version check, one clock reading for the change, and the store's
// locked read-modify-write; errors are wrapped with op.
func (s *Service) changeTask(ctx context.Context, op string, id crmtype.ID, version int64, change func(t *Task, now time.Time) (TaskWrite, error)) (*Task, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	now := s.clock.Now()
	t, err := s.store.ChangeTask(ctx, sc, id, version, func(t *Task) (TaskWrite, error) { return change(t, now) })
	return t, wrap(op, err)
}

// Tasks returns one page of the tasks p selects, by DueAt then ID
// ascending; pass the page's Next as p.After for the next page (an empty
// Next is the last page). Errors: ErrInvalid naming "status", "limit" or
// "cursor".
func (s *Service) Tasks(ctx context.Context, p TaskListParams) (crmtype.Page[*Task], error) {
	const op = "tasks"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Task]{}, err
	}
	switch p.Status {
	case "", TaskOpen, TaskDone, TaskCancelled:
	default:
		return crmtype.Page[*Task]{}, wrap(op, crmtype.Invalidf("status", "%q is not a task status", string(p.Status)))
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Task]{}, wrap(op, err)
	}
	page, err := s.store.ListTasks(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// DueReminders claims for the caller up to limit reminders (0 means
// DefaultReminderBatch, at most MaxReminderBatch) that are due at now
// (FireAt <= now; a zero now means the service's clock), pending and not
// claimed by anyone, or whose claim expired; earliest first. A claim lasts
// Config.ReminderLease from now: until then no other caller gets the
// reminder, so several workers can poll at once without firing one twice.
// The worker delivers each reminder and then acknowledges it with
// AckReminder; one it does not acknowledge in time is handed out again.
// Reminders of a cancelled, completed or deleted task are never handed out.
// Errors: ErrInvalid "limit".
func (s *Service) DueReminders(ctx context.Context, now time.Time, limit int) ([]Reminder, error) {
	const op = "due reminders"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = DefaultReminderBatch
	case limit < 0 || limit > MaxReminderBatch:
		return nil, wrap(op, crmtype.Invalidf("limit", "must be between 1 and %d", MaxReminderBatch))
	}
	if now.IsZero() {
		now = s.clock.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	rs, err := s.store.ClaimReminders(ctx, sc, now, s.lease, limit)
	return rs, wrap(op, err)
}

// AckReminder marks the reminder of claim (Reminder.Claim from
// DueReminders) as fired, for good, and records EventReminderFired.
// Acknowledging the same claim twice is harmless. A claim whose lease
// expired is still good until another worker claims the reminder. Errors:
// ErrInvalid "claim" when claim is malformed or was never handed out;
// ErrNotFound when the reminder no longer exists (its task was deleted);
// ErrConflict when its lease expired and another worker claimed it (that
// worker fires it), or it was cancelled since (its task was completed,
// cancelled or rescheduled).
func (s *Service) AckReminder(ctx context.Context, claim crmtype.Cursor) error {
	const op = "ack reminder"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	return wrap(op, s.store.AckReminder(ctx, sc, claim, s.clock.Now()))
}

// newTask checks p and returns the task it describes (no ID, status,
// version or times yet). A recurring task without a Zone is checked with
// UTC; the caller sets the zone and checks again.
func newTask(p TaskParams) (*Task, error) {
	if p.CustomerID.IsZero() {
		return nil, crmtype.Invalid("customer_id", "is required")
	}
	t := &Task{CustomerID: p.CustomerID, InteractionID: p.InteractionID, TicketID: p.TicketID, CampaignID: p.CampaignID}
	var err error
	if t.Subject, err = taskText("subject", p.Subject, MaxTaskSubjectBytes, true, true); err != nil {
		return nil, err
	}
	if t.Notes, err = taskText("notes", p.Notes, MaxTaskNotesBytes, false, false); err != nil {
		return nil, err
	}
	if t.DueAt, err = checkDue(p.DueAt); err != nil {
		return nil, err
	}
	if t.OwnerID, err = taskText("owner_id", p.OwnerID, MaxTaskOwnerBytes, false, true); err != nil {
		return nil, err
	}
	if t.Priority, err = checkPriority(p.Priority); err != nil {
		return nil, err
	}
	zone := strings.TrimSpace(p.Zone)
	if zone != "" {
		if err := (Recurrence{Rule: "FREQ=DAILY", Start: t.DueAt, Zone: zone}).Validate(); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(p.Rule) != "" {
		r := Recurrence{Rule: strings.TrimSpace(p.Rule), Start: t.DueAt.Truncate(time.Second), Zone: zone}
		check := r
		if check.Zone == "" {
			check.Zone = "UTC"
		}
		if err := check.Validate(); err != nil {
			return nil, err
		}
		t.Recurrence = &r
	}
	if t.Reminders, err = checkReminders(p.Reminders); err != nil {
		return nil, err
	}
	return t, nil
}

// applyTaskUpdate checks p's set fields and writes them into t.
func applyTaskUpdate(t *Task, p TaskUpdate) error {
	var err error
	if p.Subject != nil {
		if t.Subject, err = taskText("subject", *p.Subject, MaxTaskSubjectBytes, true, true); err != nil {
			return err
		}
	}
	if p.Notes != nil {
		if t.Notes, err = taskText("notes", *p.Notes, MaxTaskNotesBytes, false, false); err != nil {
			return err
		}
	}
	if p.OwnerID != nil {
		if t.OwnerID, err = taskText("owner_id", *p.OwnerID, MaxTaskOwnerBytes, false, true); err != nil {
			return err
		}
	}
	if p.DueAt != nil {
		if t.DueAt, err = checkDue(*p.DueAt); err != nil {
			return err
		}
	}
	if p.Priority != nil {
		if *p.Priority == "" {
			return crmtype.Invalid("priority", "cannot be empty")
		}
		if t.Priority, err = checkPriority(*p.Priority); err != nil {
			return err
		}
	}
	if p.Reminders != nil {
		if t.Reminders, err = checkReminders(*p.Reminders); err != nil {
			return err
		}
	}
	return nil
}

func requireOpen(t *Task) error {
	if t.Status != TaskOpen {
		return crmtype.Invalidf("status", "the task is %s: only an open task can change", t.Status)
	}
	return nil
}

// taskText trims s, normalises it to NFC and checks it is UTF-8 of at most
// max bytes without control characters (line breaks and tabs are allowed
// unless oneLine).
func taskText(field, s string, max int, required, oneLine bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", crmtype.Invalid(field, "is not valid UTF-8")
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		if required {
			return "", crmtype.Invalid(field, "is required")
		}
		return "", nil
	}
	if len(s) > max {
		return "", crmtype.Invalidf(field, "is %d bytes long; at most %d are allowed", len(s), max)
	}
	for _, r := range s {
		switch {
		case r == 0:
			return "", crmtype.Invalid(field, "contains a NUL byte")
		case oneLine && (r == '\n' || r == '\r' || r == '\t'):
			return "", crmtype.Invalid(field, "must be on one line")
		case unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t':
			return "", crmtype.Invalid(field, "contains a control character")
		}
	}
	return s, nil
}

func checkDue(t time.Time) (time.Time, error) {
	if t.IsZero() {
		return t, crmtype.Invalid("due_at", "is required")
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.Year() < 1900 || t.Year() > 9999 {
		return t, crmtype.Invalid("due_at", "must be between the years 1900 and 9999")
	}
	return t, nil
}

func checkPriority(p Priority) (Priority, error) {
	switch p {
	case "":
		return PriorityNormal, nil
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return p, nil
	}
	return "", crmtype.Invalidf("priority", "%q is not a priority: use low, normal, high or urgent", string(p))
}

func checkReminders(offs []time.Duration) ([]time.Duration, error) {
	if len(offs) > MaxTaskReminders {
		return nil, crmtype.Invalidf("reminders", "has %d offsets; at most %d are allowed", len(offs), MaxTaskReminders)
	}
	if len(offs) == 0 {
		return nil, nil
	}
	for i, d := range offs {
		field := fmt.Sprintf("reminders[%d]", i)
		switch {
		case d < 0:
			return nil, crmtype.Invalid(field, "must not be negative: it is a time before the due time")
		case d > MaxReminderOffset:
			return nil, crmtype.Invalidf(field, "is more than %d days before the due time", MaxReminderOffset/(24*time.Hour))
		case d%time.Second != 0:
			return nil, crmtype.Invalid(field, "must be a whole number of seconds")
		case slices.Contains(offs[:i], d):
			return nil, crmtype.Invalidf(field, "repeats the offset %s", d)
		}
	}
	return slices.Clone(offs), nil
}

// schedule returns the reminders of t's current due time, earliest first.
// Those whose time has passed at now collapse into the latest of them,
// which is due at once.
func schedule(t *Task, now time.Time) []Reminder {
	var out []Reminder
	var past *Reminder
	for _, off := range t.Reminders {
		r := Reminder{ID: crmtype.NewID(now), TaskID: t.ID, CustomerID: t.CustomerID, Offset: off, FireAt: t.DueAt.Add(-off)}
		switch {
		case r.FireAt.After(now):
			out = append(out, r)
		case past == nil || r.FireAt.After(past.FireAt):
			past = &r
		}
	}
	if past != nil {
		out = append(out, *past)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FireAt.Before(out[j].FireAt) })
	return out
}

func (t *Task) clone() *Task {
	c := *t
	if t.Recurrence != nil {
		r := *t.Recurrence
		c.Recurrence = &r
	}
	c.Reminders = slices.Clone(t.Reminders)
	if t.CompletedAt != nil {
		at := *t.CompletedAt
		c.CompletedAt = &at
	}
	return &c
}

func taskEvent(typ string, t *Task, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectTask, Subject: t.ID, Customer: t.CustomerID, Changes: changes}
}

const eventTimeFormat = "2006-01-02T15:04:05.999999Z07:00"

// taskFields returns t's fields as JSON-ready values keyed by field name.
func taskFields(t *Task) map[string]any {
	m := map[string]any{
		"customer_id": t.CustomerID.String(), "subject": t.Subject, "notes": t.Notes,
		"due_at": t.DueAt.UTC().Format(eventTimeFormat), "owner_id": t.OwnerID,
		"priority": string(t.Priority), "status": string(t.Status),
	}
	for k, id := range map[string]crmtype.ID{"interaction_id": t.InteractionID, "ticket_id": t.TicketID, "campaign_id": t.CampaignID} {
		if !id.IsZero() {
			m[k] = id.String()
		}
	}
	if t.Recurrence != nil {
		m["rrule"], m["zone"] = t.Recurrence.Rule, t.Recurrence.Zone
		m["recurrence_start"] = t.Recurrence.Start.UTC().Format(eventTimeFormat)
	}
	if len(t.Reminders) > 0 {
		offs := make([]any, len(t.Reminders))
		for i, d := range t.Reminders {
			offs[i] = d.Seconds()
		}
		m["reminders"] = offs
	}
	if t.CompletedAt != nil {
		m["completed_at"] = t.CompletedAt.UTC().Format(eventTimeFormat)
	}
	return m
}

// taskDiff returns the changes from before to after by field name; a nil
// before gives every non-empty field of after.
func taskDiff(before, after *Task) []crmtype.Change {
	var b map[string]any
	if before != nil {
		b = taskFields(before)
	}
	return crmtype.DiffFields(b, taskFields(after))
}
