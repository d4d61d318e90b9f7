package crm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

// taskTables are the tables tasks write, with the log.
var taskTables = []string{"crm_tasks", "crm_task_reminders", "crm_events"}

// taskCounts counts the rows of workspace ws in taskTables.
func taskCounts(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range taskTables {
		n, err := db.NewSelect().TableExpr(table).Where("workspace_id = ?", ws).Count(ctx)
		require.NoError(t, err)
		out[table] = int(n)
	}
	return out
}

// reminderStates reads the state of every reminder of task id.
func reminderStates(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID) map[string]int {
	t.Helper()
	var states []string
	require.NoError(t, db.NewSelect().TableExpr("crm_task_reminders").Column("state").
		Where("workspace_id = ?", ws).Where("task_id = ?", id).Scan(ctx, &states))
	out := map[string]int{}
	for _, s := range states {
		out[s]++
	}
	return out
}

// taskEvents returns the log's task and reminder events of workspace ws
// about task id, oldest first.
func taskEvents(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID) []crmtype.Event {
	t.Helper()
	var out []crmtype.Event
	for _, e := range eventLog(t, ctx, db, ws) {
		if e.SubjectType == communication.SubjectTask && e.Subject == id {
			out = append(out, e)
		}
	}
	return out
}

func changeOf(t *testing.T, e crmtype.Event, field string) crmtype.Change {
	t.Helper()
	for _, c := range e.Changes {
		if c.Field == field {
			return c
		}
	}
	t.Fatalf("event %s has no change of %s: %+v", e.Type, field, e.Changes)
	return crmtype.Change{}
}

func taskPtr[T any](v T) *T { return &v }

// claimAll claims due reminders at now until none is left, with a small
// batch, and returns them.
func claimAll(t *testing.T, ctx context.Context, s *communication.Service, now time.Time) []communication.Reminder {
	t.Helper()
	var out []communication.Reminder
	for i := 0; ; i++ {
		require.Less(t, i, 10000)
		rs, err := s.DueReminders(ctx, now, 7)
		require.NoError(t, err)
		if len(rs) == 0 {
			return out
		}
		out = append(out, rs...)
	}
}

func TestTaskCRUD(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crmtype.WithActor(context.Background(), "user:7")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "张三"})
		link := crmtype.NewID(t0)

		due := t0.Add(48 * time.Hour)
		task, err := s.CreateTask(ctx, communication.TaskParams{
			CustomerID: c.ID, Subject: "  Call back about the quote ", Notes: "Line 1\nLine 2", DueAt: due.In(time.FixedZone("CST", 8*3600)),
			OwnerID: "u-42", Priority: communication.PriorityHigh, InteractionID: link,
			Reminders: []time.Duration{time.Hour, 0},
		})
		require.NoError(t, err)
		require.False(t, task.ID.IsZero())
		require.Equal(t, "Call back about the quote", task.Subject, "trimmed")
		require.Equal(t, due, task.DueAt)
		require.Equal(t, time.UTC, task.DueAt.Location())
		require.Equal(t, communication.TaskOpen, task.Status)
		require.Equal(t, int64(1), task.Version)
		require.Equal(t, t0, task.CreatedAt)
		require.Nil(t, task.Recurrence)
		require.Nil(t, task.CompletedAt)

		got, err := s.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, task, got)
		require.Equal(t, map[string]int{"pending": 2}, reminderStates(t, ctx, db, "acme", task.ID))

		evs := taskEvents(t, ctx, db, "acme", task.ID)
		require.Len(t, evs, 1)
		require.Equal(t, communication.EventTaskCreated, evs[0].Type)
		require.Equal(t, c.ID, evs[0].Customer)
		require.Equal(t, "user:7", evs[0].Actor)
		require.Equal(t, "Call back about the quote", changeOf(t, evs[0], "subject").After)
		require.Nil(t, changeOf(t, evs[0], "subject").Before)
		require.Equal(t, []any{3600.0, 0.0}, changeOf(t, evs[0], "reminders").After)
		require.Equal(t, link.String(), changeOf(t, evs[0], "interaction_id").After)
		require.Equal(t, "high", changeOf(t, evs[0], "priority").After)

		// An update changes the fields given, with one event naming them.
		clock.Advance(time.Minute)
		up, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: 1, Subject: taskPtr("Send the quote"),
			Priority: taskPtr(communication.PriorityUrgent), OwnerID: taskPtr("")})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, "Send the quote", up.Subject)
		require.Equal(t, communication.PriorityUrgent, up.Priority)
		require.Empty(t, up.OwnerID)
		require.Equal(t, t0.Add(time.Minute), up.UpdatedAt)
		require.Equal(t, t0, up.CreatedAt)
		got, err = s.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)
		evs = taskEvents(t, ctx, db, "acme", task.ID)
		require.Len(t, evs, 2)
		require.Equal(t, communication.EventTaskUpdated, evs[1].Type)
		require.Equal(t, []crmtype.Change{
			{Field: "owner_id", Before: "u-42", After: ""},
			{Field: "priority", Before: "high", After: "urgent"},
			{Field: "subject", Before: "Call back about the quote", After: "Send the quote"},
		}, evs[1].Changes)
		require.Equal(t, map[string]int{"pending": 2}, reminderStates(t, ctx, db, "acme", task.ID), "no reschedule")

		// An update that changes nothing writes nothing.
		same, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: 2, Subject: taskPtr("Send the quote")})
		require.NoError(t, err)
		require.Equal(t, up, same)
		require.Len(t, taskEvents(t, ctx, db, "acme", task.ID), 2)

		// The timeline shows every change of the task.
		var types []string
		for _, e := range timelineAll(t, ctx, ws, c.ID, event.Query{}) {
			if e.SubjectType == communication.SubjectTask {
				types = append(types, e.Type)
			}
		}
		require.Equal(t, []string{communication.EventTaskUpdated, communication.EventTaskCreated}, types)

		// Completing a one-off task makes it done and cancels its reminders.
		clock.Advance(time.Hour)
		done, err := s.CompleteTask(ctx, task.ID, 2)
		require.NoError(t, err)
		require.Equal(t, communication.TaskDone, done.Status)
		require.Equal(t, int64(3), done.Version)
		require.NotNil(t, done.CompletedAt)
		require.Equal(t, clock.Now(), *done.CompletedAt)
		require.Equal(t, due, done.DueAt)
		require.Equal(t, map[string]int{"cancelled": 2}, reminderStates(t, ctx, db, "acme", task.ID))
		evs = taskEvents(t, ctx, db, "acme", task.ID)
		require.Equal(t, communication.EventTaskCompleted, evs[2].Type)
		require.Equal(t, crmtype.Change{Field: "status", Before: "open", After: "done"}, changeOf(t, evs[2], "status"))

		// A done task is final.
		_, err = s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: 3, Subject: taskPtr("x")})
		requireInvalid(t, err, "status")
		_, err = s.CompleteTask(ctx, task.ID, 3)
		requireInvalid(t, err, "status")
		_, err = s.CancelTask(ctx, task.ID, 3)
		requireInvalid(t, err, "status")

		// Cancelling.
		t2, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "Visit", DueAt: due, Reminders: []time.Duration{0}})
		require.NoError(t, err)
		require.Equal(t, communication.PriorityNormal, t2.Priority)
		cancelled, err := s.CancelTask(ctx, t2.ID, t2.Version)
		require.NoError(t, err)
		require.Equal(t, communication.TaskCancelled, cancelled.Status)
		require.Nil(t, cancelled.CompletedAt)
		require.Equal(t, map[string]int{"cancelled": 1}, reminderStates(t, ctx, db, "acme", t2.ID))
		_, err = s.UpdateTask(ctx, t2.ID, communication.TaskUpdate{Version: cancelled.Version, Reminders: &[]time.Duration{time.Minute}})
		requireInvalid(t, err, "status")
		evs = taskEvents(t, ctx, db, "acme", t2.ID)
		require.Equal(t, []crmtype.Change{{Field: "status", Before: "open", After: "cancelled"}}, evs[len(evs)-1].Changes)

		// Deleting removes the task and its reminders; its history stays.
		require.NoError(t, s.DeleteTask(ctx, t2.ID, cancelled.Version))
		_, err = s.Task(ctx, t2.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Empty(t, reminderStates(t, ctx, db, "acme", t2.ID))
		evs = taskEvents(t, ctx, db, "acme", t2.ID)
		require.Equal(t, communication.EventTaskDeleted, evs[len(evs)-1].Type)
		require.Equal(t, crmtype.Change{Field: "subject", Before: "Visit"}, changeOf(t, evs[len(evs)-1], "subject"))
		// A reminder for the deleted task: invalid input naming the task,
		// and not found.
		_, err = s.UpdateTask(ctx, t2.ID, communication.TaskUpdate{Version: cancelled.Version, Reminders: &[]time.Duration{0}})
		requireInvalid(t, err, "task_id")
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.UpdateTask(ctx, t2.ID, communication.TaskUpdate{Version: cancelled.Version, Subject: taskPtr("x")})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.CompleteTask(ctx, t2.ID, cancelled.Version)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorIs(t, s.DeleteTask(ctx, t2.ID, cancelled.Version), crm.ErrNotFound)

		// A soft-deleted customer's task can still be read and listed.
		require.NoError(t, ws.Customers.Delete(ctx, c.ID))
		got, err = s.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, done, got)
		page, err := s.Tasks(ctx, communication.TaskListParams{CustomerID: c.ID})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		// No new task for it, though.
		_, err = s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "x", DueAt: due})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

func TestTaskValidation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		due := t0.Add(time.Hour)
		ok := communication.TaskParams{CustomerID: c.ID, Subject: "Call", DueAt: due}
		before := taskCounts(t, ctx, db, "acme")
		for _, tc := range []struct {
			name  string
			edit  func(p *communication.TaskParams)
			field string
		}{
			{"no customer", func(p *communication.TaskParams) { p.CustomerID = crmtype.ID{} }, "customer_id"},
			{"no subject", func(p *communication.TaskParams) { p.Subject = "  " }, "subject"},
			{"long subject", func(p *communication.TaskParams) { p.Subject = strings.Repeat("é", 251) }, "subject"},
			{"bad utf-8", func(p *communication.TaskParams) { p.Subject = "a\xffb" }, "subject"},
			{"two-line subject", func(p *communication.TaskParams) { p.Subject = "a\nb" }, "subject"},
			{"nul in notes", func(p *communication.TaskParams) { p.Notes = "a\x00b" }, "notes"},
			{"no due", func(p *communication.TaskParams) { p.DueAt = time.Time{} }, "due_at"},
			{"ancient due", func(p *communication.TaskParams) { p.DueAt = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC) }, "due_at"},
			{"long owner", func(p *communication.TaskParams) { p.OwnerID = strings.Repeat("x", 201) }, "owner_id"},
			{"priority", func(p *communication.TaskParams) { p.Priority = "asap" }, "priority"},
			{"zone", func(p *communication.TaskParams) { p.Rule, p.Zone = "FREQ=DAILY", "Mars/Olympus" }, "zone"},
			{"zone without rule", func(p *communication.TaskParams) { p.Zone = "Local" }, "zone"},
			{"rrule does not parse", func(p *communication.TaskParams) { p.Rule = "FREQ=SOMETIMES" }, "rrule"},
			{"rrule unknown part", func(p *communication.TaskParams) { p.Rule = "FREQ=DAILY;EVERY=2" }, "rrule"},
			{"rrule never occurs", func(p *communication.TaskParams) { p.Rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31" }, "rrule"},
			{"rrule until before start", func(p *communication.TaskParams) { p.Rule = "FREQ=DAILY;UNTIL=20200101T000000Z" }, "rrule"},
			{"negative reminder", func(p *communication.TaskParams) { p.Reminders = []time.Duration{0, -time.Minute} }, "reminders[1]"},
			{"fractional reminder", func(p *communication.TaskParams) { p.Reminders = []time.Duration{time.Millisecond} }, "reminders[0]"},
			{"repeated reminder", func(p *communication.TaskParams) { p.Reminders = []time.Duration{time.Hour, time.Hour} }, "reminders[1]"},
			{"far reminder", func(p *communication.TaskParams) { p.Reminders = []time.Duration{400 * 24 * time.Hour} }, "reminders[0]"},
			{"too many reminders", func(p *communication.TaskParams) { p.Reminders = make([]time.Duration, 11) }, "reminders"},
		} {
			p := ok
			tc.edit(&p)
			_, err := s.CreateTask(ctx, p)
			requireInvalidCase(t, tc.name, err, tc.field)
		}
		// A customer that does not exist (or is another workspace's).
		p := ok
		p.CustomerID = crmtype.NewID(t0)
		_, err := s.CreateTask(ctx, p)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, before, taskCounts(t, ctx, db, "acme"), "nothing written")

		// Bad updates write nothing either.
		task, err := s.CreateTask(ctx, ok)
		require.NoError(t, err)
		before = taskCounts(t, ctx, db, "acme")
		for _, tc := range []struct {
			name  string
			p     communication.TaskUpdate
			field string
		}{
			{"no version", communication.TaskUpdate{Subject: taskPtr("x")}, "version"},
			{"empty subject", communication.TaskUpdate{Version: 1, Subject: taskPtr("")}, "subject"},
			{"zero due", communication.TaskUpdate{Version: 1, DueAt: &time.Time{}}, "due_at"},
			{"empty priority", communication.TaskUpdate{Version: 1, Priority: taskPtr(communication.Priority(""))}, "priority"},
			{"bad reminder", communication.TaskUpdate{Version: 1, Reminders: &[]time.Duration{time.Hour, -1}}, "reminders[1]"},
			{"long owner", communication.TaskUpdate{Version: 1, OwnerID: taskPtr(strings.Repeat("x", 201))}, "owner_id"},
		} {
			_, err := s.UpdateTask(ctx, task.ID, tc.p)
			requireInvalidCase(t, tc.name, err, tc.field)
		}
		_, err = s.CompleteTask(ctx, task.ID, 0)
		requireInvalid(t, err, "version")
		_, err = s.CancelTask(ctx, task.ID, -1)
		requireInvalid(t, err, "version")
		requireInvalid(t, s.DeleteTask(ctx, task.ID, 0), "version")
		_, err = s.Tasks(ctx, communication.TaskListParams{Status: "later"})
		requireInvalid(t, err, "status")
		_, err = s.Tasks(ctx, communication.TaskListParams{Limit: -1})
		requireInvalid(t, err, "limit")
		_, err = s.Tasks(ctx, communication.TaskListParams{After: "%%%"})
		require.ErrorIs(t, err, crm.ErrInvalid)
		_, err = s.DueReminders(ctx, t0, -1)
		requireInvalid(t, err, "limit")
		_, err = s.DueReminders(ctx, t0, communication.MaxReminderBatch+1)
		requireInvalid(t, err, "limit")
		requireInvalid(t, s.AckReminder(ctx, "%%%"), "claim")
		requireInvalid(t, s.AckReminder(ctx, crmtype.EncodeCursor(map[string]int{"x": 1})), "claim")
		require.Equal(t, before, taskCounts(t, ctx, db, "acme"), "nothing written")
	})
}

func TestTaskOptimisticLocking(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "Call", DueAt: t0.Add(time.Hour)})
		require.NoError(t, err)
		_, err = s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: task.Version, Notes: taskPtr("first")})
		require.NoError(t, err)
		before := taskCounts(t, ctx, db, "acme")
		_, err = s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: task.Version, Notes: taskPtr("second")})
		ce := requireConflict(t, err)
		require.Equal(t, "version", ce.Field)
		require.Equal(t, task.ID, ce.HeldBy)
		_, err = s.CompleteTask(ctx, task.ID, task.Version)
		requireConflict(t, err)
		_, err = s.CancelTask(ctx, task.ID, task.Version)
		requireConflict(t, err)
		requireConflict(t, s.DeleteTask(ctx, task.ID, task.Version))
		require.Equal(t, before, taskCounts(t, ctx, db, "acme"))
		got, err := s.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, "first", got.Notes)

		// Concurrent writers with the same version: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: got.Version, Notes: taskPtr(fmt.Sprint("writer ", i))})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, crm.ErrConflict):
					conflicts++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 1, wins)
		require.Equal(t, 3, conflicts)
	})
}

// TestTaskRecurringAcrossDST: a daily 09:00 task in Berlin stays at 09:00
// local time across the end of summer time (25 October 2026), so its UTC
// instant moves by an hour; each completion moves it on and reschedules
// its reminder; the last completion makes it done.
func TestTaskRecurringAcrossDST(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		berlin, err := time.LoadLocation("Europe/Berlin")
		require.NoError(t, err)
		clock.Set(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC))
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Anna", TimeZone: "Europe/Berlin"})

		task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "Stand-up call",
			DueAt: time.Date(2026, 10, 23, 9, 0, 0, 0, berlin), Rule: "FREQ=DAILY;COUNT=5",
			Reminders: []time.Duration{15 * time.Minute}})
		require.NoError(t, err)
		require.NotNil(t, task.Recurrence)
		require.Equal(t, "Europe/Berlin", task.Recurrence.Zone, "the customer's zone")
		require.Equal(t, "FREQ=DAILY;COUNT=5", task.Recurrence.Rule)
		require.Equal(t, task.DueAt, task.Recurrence.Start)
		got, err := s.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, task, got)

		want := []time.Time{
			time.Date(2026, 10, 23, 7, 0, 0, 0, time.UTC), // CEST, UTC+2
			time.Date(2026, 10, 24, 7, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC), // CET, UTC+1 from 03:00 that night
			time.Date(2026, 10, 26, 8, 0, 0, 0, time.UTC),
			time.Date(2026, 10, 27, 8, 0, 0, 0, time.UTC),
		}
		for i, due := range want {
			require.Equal(t, due, task.DueAt, "occurrence %d", i)
			require.Equal(t, 9, task.DueAt.In(berlin).Hour())
			require.Equal(t, communication.TaskOpen, task.Status)
			// The reminder fires 15 minutes before, not a second earlier.
			rs, err := s.DueReminders(ctx, due.Add(-15*time.Minute-time.Second), 0)
			require.NoError(t, err)
			require.Empty(t, rs, "occurrence %d", i)
			clock.Set(due.Add(-15 * time.Minute))
			rs, err = s.DueReminders(ctx, clock.Now(), 0)
			require.NoError(t, err)
			require.Len(t, rs, 1, "occurrence %d", i)
			require.Equal(t, due.Add(-15*time.Minute), rs[0].FireAt)
			require.Equal(t, 15*time.Minute, rs[0].Offset)
			require.Equal(t, task.ID, rs[0].TaskID)
			require.Equal(t, c.ID, rs[0].CustomerID)
			require.Equal(t, task, rs[0].Task)
			require.NoError(t, s.AckReminder(ctx, rs[0].Claim))

			clock.Set(due.Add(30 * time.Minute))
			next, err := s.CompleteTask(ctx, task.ID, task.Version)
			require.NoError(t, err)
			require.Equal(t, task.Version+1, next.Version)
			require.Equal(t, clock.Now(), *next.CompletedAt)
			require.Equal(t, task.Recurrence, next.Recurrence)
			evs := taskEvents(t, ctx, db, "acme", task.ID)
			last := evs[len(evs)-1]
			require.Equal(t, communication.EventTaskCompleted, last.Type)
			if i < len(want)-1 {
				require.Equal(t, communication.TaskOpen, next.Status)
				require.Equal(t, crmtype.Change{Field: "due_at", Before: due.Format(time.RFC3339), After: want[i+1].Format(time.RFC3339)}, changeOf(t, last, "due_at"))
			} else {
				require.Equal(t, communication.TaskDone, next.Status)
				require.Equal(t, due, next.DueAt)
				require.Equal(t, crmtype.Change{Field: "status", Before: "open", After: "done"}, changeOf(t, last, "status"))
			}
			task = next
		}
		require.Equal(t, map[string]int{"fired": 5}, reminderStates(t, ctx, db, "acme", task.ID))
		rs, err := s.DueReminders(ctx, clock.Now().Add(30*24*time.Hour), 0)
		require.NoError(t, err)
		require.Empty(t, rs)
		_, err = s.CompleteTask(ctx, task.ID, task.Version)
		requireInvalid(t, err, "status")
	})
}

// A recurring task's first due time is the rule's first occurrence at or
// after the DueAt given; an explicit zone beats the customer's.
func TestTaskRecurrenceFirstOccurrence(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A", TimeZone: "Europe/Berlin"})
		ny, err := time.LoadLocation("America/New_York")
		require.NoError(t, err)
		// Wednesday 2 December 2026, 10:00 in New York; the rule wants Mondays.
		task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "Weekly report",
			DueAt: time.Date(2026, 12, 2, 10, 0, 0, 0, ny), Rule: "FREQ=WEEKLY;BYDAY=MO", Zone: "America/New_York"})
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 12, 7, 10, 0, 0, 0, ny).UTC(), task.DueAt)
		require.Equal(t, "America/New_York", task.Recurrence.Zone)
		next, err := s.CompleteTask(ctx, task.ID, task.Version)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 12, 14, 10, 0, 0, 0, ny).UTC(), next.DueAt)
		// Moving one occurrence: the rule continues after it.
		moved, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: next.Version, DueAt: taskPtr(time.Date(2026, 12, 15, 16, 0, 0, 0, ny))})
		require.NoError(t, err)
		next, err = s.CompleteTask(ctx, task.ID, moved.Version)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 12, 21, 10, 0, 0, 0, ny).UTC(), next.DueAt)
		// Without a zone of its own or of the customer's, UTC.
		c2 := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "B"})
		t2, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c2.ID, Subject: "x", DueAt: t0, Rule: "FREQ=MONTHLY"})
		require.NoError(t, err)
		require.Equal(t, "UTC", t2.Recurrence.Zone)
	})
}

// Reminders are rescheduled when the due time or the offsets change: those
// that fired for the same due time and offset do not fire again; those
// whose time passed collapse into one that fires at once.
func TestTaskRemindersRescheduled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		due := t0.Add(10 * time.Minute)
		task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: "Call", DueAt: due,
			Reminders: []time.Duration{time.Hour, 30 * time.Minute, 0}})
		require.NoError(t, err)
		require.Equal(t, []time.Duration{time.Hour, 30 * time.Minute, 0}, task.Reminders)
		rs, err := s.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Len(t, rs, 1, "the two that passed fire once")
		require.Equal(t, 30*time.Minute, rs[0].Offset)
		require.Equal(t, due.Add(-30*time.Minute), rs[0].FireAt)
		require.NoError(t, s.AckReminder(ctx, rs[0].Claim))
		require.NoError(t, s.AckReminder(ctx, rs[0].Claim), "twice is harmless")
		require.Equal(t, map[string]int{"fired": 1, "pending": 1}, reminderStates(t, ctx, db, "acme", task.ID))

		// Adding an offset leaves the fired one fired.
		up, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: task.Version, Reminders: &[]time.Duration{30 * time.Minute, 0, 5 * time.Minute}})
		require.NoError(t, err)
		require.Equal(t, []time.Duration{30 * time.Minute, 0, 5 * time.Minute}, up.Reminders)
		require.Equal(t, map[string]int{"fired": 1, "pending": 2}, reminderStates(t, ctx, db, "acme", task.ID))
		rs, err = s.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Empty(t, rs)
		rs, err = s.DueReminders(ctx, due, 0)
		require.NoError(t, err)
		require.Len(t, rs, 2)
		require.Equal(t, []time.Time{due.Add(-5 * time.Minute), due}, []time.Time{rs[0].FireAt, rs[1].FireAt})

		// Moving the due time cancels the pending ones, claimed or not, and
		// schedules the new time's.
		newDue := t0.Add(24 * time.Hour)
		moved, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: up.Version, DueAt: &newDue})
		require.NoError(t, err)
		require.Equal(t, newDue, moved.DueAt)
		require.Equal(t, map[string]int{"fired": 1, "cancelled": 2, "pending": 3}, reminderStates(t, ctx, db, "acme", task.ID))
		ce := requireConflict(t, s.AckReminder(ctx, rs[0].Claim))
		require.Contains(t, ce.Reason, "cancelled")
		clock.Set(newDue.Add(-30 * time.Minute))
		rs = claimAll(t, ctx, s, clock.Now())
		require.Len(t, rs, 1)
		require.Equal(t, newDue.Add(-30*time.Minute), rs[0].FireAt)
		require.Equal(t, moved, rs[0].Task)

		// Removing all reminders.
		none, err := s.UpdateTask(ctx, task.ID, communication.TaskUpdate{Version: moved.Version, Reminders: &[]time.Duration{}})
		require.NoError(t, err)
		require.Empty(t, none.Reminders)
		require.Zero(t, reminderStates(t, ctx, db, "acme", task.ID)["pending"])
		require.Empty(t, claimAll(t, ctx, s, newDue.Add(time.Hour)))
	})
}

// TestRemindersConcurrentWorkers: four workers poll the same workspace
// for 200 due reminders on a fake clock: each reminder is claimed exactly
// once while the leases hold; after they expire the unacknowledged ones
// are claimed again, exactly once, and their stale claims no longer ack.
func TestRemindersConcurrentWorkers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := crmtype.NewManualClock(t0)
		client, err := crm.New(db, &crm.Config{Clock: clock, Communication: communication.Config{ReminderLease: 5 * time.Minute}})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		s := ws.Communication
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		tasks := map[crmtype.ID]*communication.Task{}
		for i := range 100 {
			task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: fmt.Sprint("task ", i),
				DueAt: t0.Add(time.Hour + time.Duration(i%10)*time.Second), Reminders: []time.Duration{0, 10 * time.Minute}})
			require.NoError(t, err)
			tasks[task.ID] = task
		}
		// Another workspace's due reminder is never handed out here.
		other := client.Workspace("other")
		oc := mustCreate(t, ctx, other.Customers, customer.CreateParams{Name: "O"})
		_, err = other.Communication.CreateTask(ctx, communication.TaskParams{CustomerID: oc.ID, Subject: "x", DueAt: t0.Add(time.Hour), Reminders: []time.Duration{0}})
		require.NoError(t, err)

		// Nothing is due yet.
		rs, err := s.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Empty(t, rs)

		clock.Set(t0.Add(2 * time.Hour))
		run := func() map[crmtype.ID][]communication.Reminder {
			var mu sync.Mutex
			got := map[crmtype.ID][]communication.Reminder{}
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 1000; i++ {
						rs, err := s.DueReminders(ctx, clock.Now(), 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(rs) == 0 {
							return
						}
						mu.Lock()
						for _, r := range rs {
							got[r.ID] = append(got[r.ID], r)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return got
		}
		first := run()
		require.Len(t, first, 200)
		for id, rs := range first {
			require.Len(t, rs, 1, "reminder %s claimed %d times", id, len(rs))
			r := rs[0]
			require.Equal(t, tasks[r.TaskID], r.Task)
			require.Equal(t, r.Task.DueAt.Add(-r.Offset), r.FireAt)
		}
		// While the leases hold nobody gets any of them.
		clock.Advance(4 * time.Minute)
		require.Empty(t, run())

		// Acknowledge the at-due-time reminders only.
		var acked, unacked []communication.Reminder
		for _, rs := range first {
			if rs[0].Offset == 0 {
				acked = append(acked, rs[0])
				require.NoError(t, s.AckReminder(ctx, rs[0].Claim))
			} else {
				unacked = append(unacked, rs[0])
			}
		}
		require.Len(t, acked, 100)

		// The leases expire: the 100 unacknowledged come back, once each.
		clock.Advance(time.Minute)
		second := run()
		require.Len(t, second, 100)
		for _, r := range unacked {
			require.Len(t, second[r.ID], 1)
			// The stale claim is told apart from the new one.
			ce := requireConflict(t, s.AckReminder(ctx, r.Claim))
			require.Equal(t, "reminder", ce.Resource)
			require.NoError(t, s.AckReminder(ctx, second[r.ID][0].Claim))
		}
		for _, r := range acked {
			require.NotContains(t, second, r.ID)
			require.NoError(t, s.AckReminder(ctx, r.Claim), "acking twice is harmless")
		}
		clock.Advance(time.Hour)
		require.Empty(t, run())
		require.Equal(t, 200, countEvents(t, ctx, db, "acme", communication.EventReminderFired))
		require.Zero(t, countEvents(t, ctx, db, "other", communication.EventReminderFired))

		// A claim whose lease expired but nobody took over still acks.
		rs, err = other.Communication.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Len(t, rs, 1)
		clock.Advance(time.Hour)
		require.NoError(t, other.Communication.AckReminder(ctx, rs[0].Claim))
		rs, err = other.Communication.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Empty(t, rs)
	})
}

// TestTasksTwoWorkspaces: every method confines itself to its workspace:
// another workspace's task is not found and its reminders are never
// claimed or acknowledged.
func TestTasksTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		a, b := client.Workspace("ws-a"), client.Workspace("ws-b")
		ca := mustCreate(t, ctx, a.Customers, customer.CreateParams{Name: "Same"})
		cb := mustCreate(t, ctx, b.Customers, customer.CreateParams{Name: "Same"})
		ta, err := a.Communication.CreateTask(ctx, communication.TaskParams{CustomerID: ca.ID, Subject: "A's task", DueAt: t0.Add(time.Hour), OwnerID: "u1", Reminders: []time.Duration{0}})
		require.NoError(t, err)
		tb, err := b.Communication.CreateTask(ctx, communication.TaskParams{CustomerID: cb.ID, Subject: "B's task", DueAt: t0.Add(time.Hour), OwnerID: "u1", Reminders: []time.Duration{0}})
		require.NoError(t, err)
		beforeA := taskCounts(t, ctx, db, "ws-a")

		sb := b.Communication
		_, err = sb.CreateTask(ctx, communication.TaskParams{CustomerID: ca.ID, Subject: "x", DueAt: t0})
		require.ErrorIs(t, err, crm.ErrNotFound, "another workspace's customer")
		_, err = sb.Task(ctx, ta.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = sb.UpdateTask(ctx, ta.ID, communication.TaskUpdate{Version: 1, Subject: taskPtr("stolen")})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = sb.UpdateTask(ctx, ta.ID, communication.TaskUpdate{Version: 1, Reminders: &[]time.Duration{0}})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = sb.CompleteTask(ctx, ta.ID, 1)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = sb.CancelTask(ctx, ta.ID, 1)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorIs(t, sb.DeleteTask(ctx, ta.ID, 1), crm.ErrNotFound)
		for _, p := range []communication.TaskListParams{{}, {CustomerID: ca.ID}, {OwnerID: "u1"}, {Status: communication.TaskOpen}} {
			page, err := sb.Tasks(ctx, p)
			require.NoError(t, err)
			for _, it := range page.Items {
				require.Equal(t, tb.ID, it.ID)
			}
		}

		// Reminders: each workspace claims its own only.
		clock.Set(t0.Add(2 * time.Hour))
		rb, err := sb.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Len(t, rb, 1)
		require.Equal(t, tb.ID, rb[0].TaskID)
		ra, err := a.Communication.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Len(t, ra, 1)
		require.Equal(t, ta.ID, ra[0].TaskID)
		require.ErrorIs(t, sb.AckReminder(ctx, ra[0].Claim), crm.ErrNotFound, "A's claim in B")
		require.Equal(t, beforeA, taskCounts(t, ctx, db, "ws-a"), "B touched nothing of A")
		require.NoError(t, a.Communication.AckReminder(ctx, ra[0].Claim))
		got, err := a.Communication.Task(ctx, ta.ID)
		require.NoError(t, err)
		require.Equal(t, ta, got)
	})
}

// Tasks lists by due time then ID, with filters and keyset pages.
func TestTasksList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		c1 := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		c2 := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "B"})
		var all []*communication.Task
		for i := range 12 {
			c, owner := c1, "u1"
			if i%3 == 0 {
				c, owner = c2, "u2"
			}
			// Several tasks share a due time: the ID breaks the tie.
			task, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: c.ID, Subject: fmt.Sprint("t", i),
				DueAt: t0.Add(time.Duration(11-i) / 3 * time.Hour), OwnerID: owner})
			require.NoError(t, err)
			all = append(all, task)
		}
		done, err := s.CompleteTask(ctx, all[4].ID, 1)
		require.NoError(t, err)
		all[4] = done
		slices.SortFunc(all, func(x, y *communication.Task) int {
			if c := x.DueAt.Compare(y.DueAt); c != 0 {
				return c
			}
			return strings.Compare(x.ID.String(), y.ID.String())
		})
		listAllTasks := func(p communication.TaskListParams) []*communication.Task {
			var out []*communication.Task
			for i := 0; ; i++ {
				require.Less(t, i, 100)
				page, err := s.Tasks(ctx, p)
				require.NoError(t, err)
				out = append(out, page.Items...)
				if page.Next == "" {
					return out
				}
				p.After = page.Next
			}
		}
		filter := func(keep func(*communication.Task) bool) []*communication.Task {
			var out []*communication.Task
			for _, x := range all {
				if keep(x) {
					out = append(out, x)
				}
			}
			return out
		}
		require.Equal(t, all, listAllTasks(communication.TaskListParams{Limit: 5}))
		require.Equal(t, all, listAllTasks(communication.TaskListParams{}))
		require.Equal(t, filter(func(x *communication.Task) bool { return x.CustomerID == c2.ID }),
			listAllTasks(communication.TaskListParams{CustomerID: c2.ID, Limit: 2}))
		require.Equal(t, filter(func(x *communication.Task) bool { return x.OwnerID == "u1" }),
			listAllTasks(communication.TaskListParams{OwnerID: "u1", Limit: 3}))
		require.Equal(t, filter(func(x *communication.Task) bool { return x.Status == communication.TaskDone }),
			listAllTasks(communication.TaskListParams{Status: communication.TaskDone}))
		cut := t0.Add(2 * time.Hour)
		require.Equal(t, filter(func(x *communication.Task) bool { return x.Status == communication.TaskOpen && x.DueAt.Before(cut) }),
			listAllTasks(communication.TaskListParams{Status: communication.TaskOpen, DueBefore: cut, Limit: 1}))
	})
}

// Tasks join merge, export and erasure through the customer-reference
// registry. Skipped until store/privacy.go registers crm_tasks.
func TestTasksFollowTheCustomer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Communication
		a := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ann"})
		b := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "Ann B"})
		tb, err := s.CreateTask(ctx, communication.TaskParams{CustomerID: b.ID, Subject: "Ring Ann about Zanzibar-7731", Notes: "secret note Qx-991",
			DueAt: t0.Add(time.Hour), Reminders: []time.Duration{0, time.Minute}})
		require.NoError(t, err)
		bundle, err := ws.Privacy.Export(ctx, b.ID)
		require.NoError(t, err)
		require.Contains(t, bundle.Tables, "crm_tasks", "the table is in the customer-reference registry")
		require.Len(t, bundle.Tables["crm_tasks"], 1)
		require.Len(t, bundle.Tables["crm_task_reminders"], 2)

		// Merge re-points the task and its reminders; unmerge gives them back.
		m, err := ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{a.ID, b.ID}, Survivor: a.ID})
		require.NoError(t, err)
		got, err := s.Task(ctx, tb.ID)
		require.NoError(t, err)
		require.Equal(t, a.ID, got.CustomerID)
		clock.Set(t0.Add(2 * time.Hour))
		rs, err := s.DueReminders(ctx, clock.Now(), 0)
		require.NoError(t, err)
		require.Len(t, rs, 2)
		for _, r := range rs {
			require.Equal(t, a.ID, r.CustomerID)
		}
		_, err = ws.Customers.Unmerge(ctx, m.ID)
		require.NoError(t, err)
		got, err = s.Task(ctx, tb.ID)
		require.NoError(t, err)
		require.Equal(t, b.ID, got.CustomerID)

		// Erasure deletes the task and its reminders and leaves no trace.
		rep, err := ws.Privacy.Erase(ctx, b.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(1), rep.Deleted["crm_tasks"])
		require.Equal(t, int64(2), rep.Deleted["crm_task_reminders"])
		_, err = s.Task(ctx, tb.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		requireNowhere(t, ctx, db, []string{"Zanzibar-7731", "Qx-991"})
	})
}
