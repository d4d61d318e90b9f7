package communication

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestTaskParamsValidation(t *testing.T) {
	due := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ok := TaskParams{CustomerID: crmtype.NewID(due), Subject: "Call", DueAt: due}
	task, err := newTask(ok)
	require.NoError(t, err)
	require.Equal(t, PriorityNormal, task.Priority)
	require.Nil(t, task.Recurrence)
	require.Nil(t, task.Reminders)

	for _, tc := range []struct {
		edit  func(p *TaskParams)
		field string
	}{
		{func(p *TaskParams) { p.CustomerID = crmtype.ID{} }, "customer_id"},
		{func(p *TaskParams) { p.Subject = "" }, "subject"},
		{func(p *TaskParams) { p.Subject = string(make([]byte, MaxTaskSubjectBytes+1)) }, "subject"},
		{func(p *TaskParams) { p.Subject = "a\x07b" }, "subject"},
		{func(p *TaskParams) { p.Notes = "\xff" }, "notes"},
		{func(p *TaskParams) { p.DueAt = time.Time{} }, "due_at"},
		{func(p *TaskParams) { p.DueAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "due_at"},
		{func(p *TaskParams) { p.OwnerID = "a\nb" }, "owner_id"},
		{func(p *TaskParams) { p.Priority = "High" }, "priority"},
		{func(p *TaskParams) { p.Zone = "Nowhere/Town" }, "zone"},
		{func(p *TaskParams) { p.Rule = "FREQ=DAILY;COUNT=0" }, "rrule"},
		{func(p *TaskParams) { p.Rule = "FREQ=MINUTELY" }, "rrule"},
		{func(p *TaskParams) { p.Rule = "DTSTART:20260101T000000Z" }, "rrule"},
		{func(p *TaskParams) { p.Reminders = []time.Duration{time.Minute, -time.Second} }, "reminders[1]"},
		{func(p *TaskParams) { p.Reminders = make([]time.Duration, MaxTaskReminders+1) }, "reminders"},
	} {
		p := ok
		tc.edit(&p)
		_, err := newTask(p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", tc.field, err)
		require.Equal(t, tc.field, ve.Field, "%v", err)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	}
}

// schedule keeps the future reminders and collapses the past ones into the
// latest of them.
func TestTaskSchedule(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	task := &Task{ID: crmtype.NewID(now), CustomerID: crmtype.NewID(now), DueAt: now.Add(10 * time.Minute),
		Reminders: []time.Duration{0, 24 * time.Hour, time.Hour, 5 * time.Minute, 30 * time.Minute}}
	rs := schedule(task, now)
	var offs []time.Duration
	for _, r := range rs {
		require.Equal(t, task.ID, r.TaskID)
		require.Equal(t, task.CustomerID, r.CustomerID)
		require.Equal(t, task.DueAt.Add(-r.Offset), r.FireAt)
		offs = append(offs, r.Offset)
	}
	require.Equal(t, []time.Duration{30 * time.Minute, 5 * time.Minute, 0}, offs)
	require.Empty(t, schedule(&Task{DueAt: now}, now))
}

func TestTaskDiff(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := &Task{CustomerID: crmtype.NewID(now), Subject: "x", DueAt: now, Priority: PriorityNormal, Status: TaskOpen,
		Reminders: []time.Duration{time.Minute}}
	b := a.clone()
	require.Empty(t, taskDiff(a, b))
	b.Reminders[0] = time.Hour
	require.Equal(t, time.Minute, a.Reminders[0], "clone copies the reminders")
	b.Notes = "n"
	require.Equal(t, []crmtype.Change{
		{Field: "notes", Before: "", After: "n"},
		{Field: "reminders", Before: []any{60.0}, After: []any{3600.0}},
	}, taskDiff(a, b))
	created := taskDiff(nil, a)
	fields := make([]string, len(created))
	for i, c := range created {
		fields[i] = c.Field
		require.Nil(t, c.Before)
	}
	require.Equal(t, []string{"customer_id", "due_at", "priority", "reminders", "status", "subject"}, fields)
}
