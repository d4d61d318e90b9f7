package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

// TestSLAEdgeNextResponseAfterReopen: the team answered, the customer wrote
// back, the agent solved the ticket without answering (the solve fulfils
// that next-response target), then the customer wrote again and reopened
// it. That new customer message follows a reply of the team and is
// unanswered, so (Measure's doc) it starts a new next-response target.
// Measure ignores it because its "open" marker was never cleared by the
// solve.
func TestSLAEdgeNextResponseAfterReopen(t *testing.T) {
	p := &Policy{ID: crmtype.NewID(time.Now()), Name: "p", Calendar: Calendar{Zone: "UTC", AllHours: true},
		Targets: Targets{NextResponse: 30}}
	require.NoError(t, checkPolicy(p))
	c := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return c.Add(time.Duration(m) * time.Minute) }
	act := []Activity{
		{At: at(10), Kind: ActivityAgentReply},
		{At: at(20), Kind: ActivityCustomerReply},                // next response #1 starts
		{At: at(30), Kind: ActivityStatus, Status: StatusSolved}, // ... and is fulfilled by the solve
		{At: at(40), Kind: ActivityStatus, Status: StatusOpen},   // the customer's reply reopens (Reply)
		{At: at(40), Kind: ActivityCustomerReply},                // next response #2 should start here
	}
	ts := Measure(p, c, act, at(120))
	var seqs []int
	for _, g := range ts {
		if g.Metric == MetricNextResponse {
			seqs = append(seqs, g.Seq)
		}
	}
	require.Equal(t, []int{1, 2}, seqs, "the reopening customer message starts no next-response target: %+v", ts)
}

// TestSLAEdgeMetAfterDeadlineOutOfHours: a 60-minute first response on a
// Monday–Friday 09:00–17:00 calendar for a ticket created Friday 16:00 has
// its deadline at Friday 17:00. Measure reports the still-unanswered
// target breached from 17:00 (and ClaimEscalations hands out the breach),
// but once the agent answers on Saturday — after the deadline — Measure
// turns it into "met" (no business time passed between Friday 17:00 and
// Saturday), while StateAt (used for solved tickets) says breached.
func TestSLAEdgeMetAfterDeadlineOutOfHours(t *testing.T) {
	day := []Interval{{From: "09:00", To: "17:00"}}
	cal := Calendar{Zone: "UTC", Week: map[time.Weekday][]Interval{time.Monday: day, time.Tuesday: day,
		time.Wednesday: day, time.Thursday: day, time.Friday: day}}
	p := &Policy{ID: crmtype.NewID(time.Now()), Name: "p", Calendar: cal, Targets: Targets{FirstResponse: 60}}
	require.NoError(t, checkPolicy(p))
	created := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // Friday
	deadline := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)

	before := Measure(p, created, nil, deadline.Add(30*time.Minute))[0]
	require.Equal(t, deadline, before.Deadline)
	require.Equal(t, SLABreached, before.State, "unanswered at Friday 17:30")

	reply := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC) // Saturday
	after := Measure(p, created, []Activity{{At: reply, Kind: ActivityAgentReply}}, reply)[0]
	require.Equal(t, deadline, after.Deadline)
	require.True(t, after.MetAt.After(after.Deadline))
	require.Equal(t, after.StateAt(reply), after.State, "Measure and StateAt disagree on a reply after the deadline")
	require.Equal(t, SLABreached, after.State, "a target breached (and escalated) at Friday 17:00 became met")
}
