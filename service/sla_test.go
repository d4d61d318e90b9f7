package service

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

// berlinOffice works Monday to Friday 09:00-12:00 and 13:00-17:00 in
// Berlin (UTC+1 in early March 2026): seven hours a day.
func berlinOffice() Calendar {
	day := []Interval{{From: "09:00", To: "12:00"}, {From: "13:00", To: "17:00"}}
	return Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]Interval{
		time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day}}
}

// berlin is a wall-clock time in Berlin in the week of Monday 2 March 2026.
func berlin(day, hour, min int) time.Time {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 3, day, hour, min, 0, 0, loc).UTC()
}

func target(t *testing.T, ts []SLATarget, m Metric, seq int) SLATarget {
	t.Helper()
	for _, g := range ts {
		if g.Metric == m && g.Seq == seq {
			return g
		}
	}
	t.Fatalf("no %s #%d in %+v", m, seq, ts)
	return SLATarget{}
}

// TestMeasureHandWorked follows one ticket through its life; every
// expected instant is worked out by hand in the comments.
func TestMeasureHandWorked(t *testing.T) {
	p := &Policy{ID: crmtype.NewID(time.Now()), Name: "standard", Calendar: berlinOffice(),
		Targets: Targets{FirstResponse: 120, NextResponse: 60, Resolution: 600}}
	require.NoError(t, checkPolicy(p))
	created := berlin(2, 16, 0) // Monday 16:00
	act := []Activity{
		{At: berlin(3, 9, 30), Kind: ActivityAgentReply},                    // Tue 09:30
		{At: berlin(3, 11, 30), Kind: ActivityCustomerReply},                // Tue 11:30
		{At: berlin(3, 14, 0), Kind: ActivityAgentReply},                    // Tue 14:00
		{At: berlin(3, 14, 0), Kind: ActivityStatus, Status: StatusPending}, // Tue 14:00
		{At: berlin(4, 10, 0), Kind: ActivityCustomerReply},                 // Wed 10:00
		{At: berlin(4, 10, 0), Kind: ActivityStatus, Status: StatusOpen},    // Wed 10:00
	}
	now := berlin(4, 10, 30) // Wed 10:30
	ts := Measure(p, created, act, now)
	require.Len(t, ts, 4)

	// First response: Mon 16:00-17:00 (60) + Tue 09:00-10:00 (60) = 120:
	// deadline Tue 10:00; met Tue 09:30 after 90 minutes.
	fr := target(t, ts, MetricFirstResponse, 1)
	require.Equal(t, SLAMet, fr.State)
	require.Equal(t, berlin(3, 10, 0), fr.Deadline)
	require.Equal(t, berlin(3, 9, 30), *fr.MetAt)
	require.Equal(t, 90*time.Minute, fr.Elapsed)

	// Next response 1 from Tue 11:30: 11:30-12:00 (30) + 13:00-13:30 (30):
	// deadline Tue 13:30; answered at 14:00, so breached at 13:30.
	n1 := target(t, ts, MetricNextResponse, 1)
	require.Equal(t, SLABreached, n1.State)
	require.Equal(t, berlin(3, 13, 30), n1.Deadline)
	require.Equal(t, berlin(3, 13, 30), *n1.BreachedAt)
	require.Equal(t, berlin(3, 14, 0), *n1.MetAt)
	require.Equal(t, 90*time.Minute, n1.Elapsed) // 11:30-12:00 + 13:00-14:00

	// Next response 2 from Wed 10:00, 60 minutes: deadline Wed 11:00,
	// warning at 45 minutes (0.75): Wed 10:45. 30 minutes used at 10:30.
	n2 := target(t, ts, MetricNextResponse, 2)
	require.Equal(t, SLARunning, n2.State)
	require.Equal(t, berlin(4, 11, 0), n2.Deadline)
	require.Equal(t, berlin(4, 10, 45), n2.WarnAt)
	require.Equal(t, 30*time.Minute, n2.Elapsed)

	// Resolution, 600 minutes from Mon 16:00: Mon 60; Tue 09-12 180 and
	// 13-14 60 (300) before pending; paused Tue 14:00 to Wed 10:00; then
	// Wed 10-12 120 (420) and 13-16 180 (600): deadline Wed 16:00.
	// Warning at 450: Wed 13:30. At 10:30, 330 minutes used.
	res := target(t, ts, MetricResolution, 1)
	require.Equal(t, SLARunning, res.State)
	require.Equal(t, berlin(4, 16, 0), res.Deadline)
	require.Equal(t, berlin(4, 13, 30), res.WarnAt)
	require.Equal(t, 330*time.Minute, res.Elapsed)

	// Paused: while pending (Tue 15:00) the resolution clock is stopped
	// with 300+60... = 300 minutes used at 14:00 and nothing since.
	paused := Measure(p, created, act[:4], berlin(3, 15, 0))
	pr := target(t, paused, MetricResolution, 1)
	require.Equal(t, SLAPaused, pr.State)
	require.True(t, pr.Deadline.IsZero())
	require.Equal(t, 300*time.Minute, pr.Elapsed)

	// Solved Wed 15:00: resolution met after 300+120+120 = 540 minutes; the
	// open next response is fulfilled by the solve, after its deadline.
	act = append(act, Activity{At: berlin(4, 15, 0), Kind: ActivityStatus, Status: StatusSolved})
	ts = Measure(p, created, act, berlin(4, 18, 0))
	res = target(t, ts, MetricResolution, 1)
	require.Equal(t, SLAMet, res.State)
	require.Equal(t, berlin(4, 15, 0), *res.MetAt)
	require.Equal(t, 540*time.Minute, res.Elapsed)
	n2 = target(t, ts, MetricNextResponse, 2)
	require.Equal(t, SLABreached, n2.State)
	require.Equal(t, berlin(4, 15, 0), *n2.MetAt)

	// Reopened Thu 09:00: the resolution clock resumes with 60 minutes
	// left (the solved stretch does not count): deadline Thu 10:00.
	act = append(act, Activity{At: berlin(5, 9, 0), Kind: ActivityStatus, Status: StatusOpen})
	ts = Measure(p, created, act, berlin(5, 9, 15))
	res = target(t, ts, MetricResolution, 1)
	require.Equal(t, SLARunning, res.State)
	require.Nil(t, res.MetAt)
	require.Equal(t, berlin(5, 10, 0), res.Deadline)
	require.Equal(t, 555*time.Minute, res.Elapsed)
}

// TestMeasurePriorityChange: a priority change measures the ticket as if
// the new policy had applied from its creation.
func TestMeasurePriorityChange(t *testing.T) {
	urgent := &Policy{ID: crmtype.NewID(time.Now()), Name: "urgent", Position: 1, Calendar: Calendar{Zone: "UTC", AllHours: true},
		Conditions: Conditions{Priorities: []Priority{PriorityUrgent}}, Targets: Targets{FirstResponse: 30}}
	normal := &Policy{ID: crmtype.NewID(time.Now()), Name: "normal", Position: 2, Calendar: Calendar{Zone: "UTC", AllHours: true},
		Targets: Targets{FirstResponse: 240}}
	for _, p := range []*Policy{urgent, normal} {
		require.NoError(t, checkPolicy(p))
	}
	created := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	tk := &Ticket{CreatedAt: created, Priority: PriorityNormal, Category: CategoryInquiry}
	set := &policySet{policies: []*Policy{normal, urgent}}
	set.apply(tk, created.Add(20*time.Minute))
	require.Equal(t, normal.ID, tk.PolicyID)
	require.Equal(t, created.Add(240*time.Minute), tk.SLA[0].Deadline)
	tk.SLA[0].Level = LevelWarning // claimed before the change: kept
	tk.Priority = PriorityUrgent
	set.apply(tk, created.Add(40*time.Minute))
	require.Equal(t, urgent.ID, tk.PolicyID)
	require.Equal(t, created.Add(30*time.Minute), tk.SLA[0].Deadline) // from creation, not from the change
	require.Equal(t, SLABreached, tk.SLA[0].State)
	require.Equal(t, LevelWarning, tk.SLA[0].Level)
}

func TestCheckPolicy(t *testing.T) {
	ok := func() Policy {
		return Policy{Name: "p", Calendar: berlinOffice(), Targets: Targets{Resolution: 60}}
	}
	cases := []struct {
		field string
		edit  func(p *Policy)
	}{
		{"name", func(p *Policy) { p.Name = " " }},
		{"targets", func(p *Policy) { p.Targets = Targets{} }},
		{"targets.first_response", func(p *Policy) { p.Targets.FirstResponse = -5 }},
		{"targets.resolution", func(p *Policy) { p.Targets.Resolution = MaxTargetMinutes + 1 }},
		{"calendar.zone", func(p *Policy) { p.Calendar.Zone = "Mars/Olympus" }},
		{"calendar.week.monday[1].from", func(p *Policy) {
			p.Calendar.Week[time.Monday] = []Interval{{From: "09:00", To: "12:00"}, {From: "11:00", To: "13:00"}}
		}},
		{"calendar.holidays[0].date", func(p *Policy) { p.Calendar.Holidays = []Day{{Date: "2026-13-01"}} }},
		{"pause_statuses[0]", func(p *Policy) { p.PauseStatuses = []Status{StatusSolved} }},
		{"warn_fraction", func(p *Policy) { p.WarnFraction = 1 }},
		{"conditions.priorities[0]", func(p *Policy) { p.Conditions.Priorities = []Priority{"asap"} }},
		{"conditions.categories[0]", func(p *Policy) { p.Conditions.Categories = []string{"Bad Category!"} }},
	}
	for _, c := range cases {
		p := ok()
		c.edit(&p)
		err := checkPolicy(&p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", c.field, err)
		require.Equal(t, c.field, ve.Field)
	}
	p := ok()
	require.NoError(t, checkPolicy(&p))
	require.Equal(t, []Status{StatusPending}, p.PauseStatuses)
	require.Equal(t, DefaultWarnFraction, p.WarnFraction)
}

func TestSelectPolicy(t *testing.T) {
	gold := &Policy{Name: "gold", Position: 1, Conditions: Conditions{CustomerAttributes: map[string]string{"tier": "gold"}}}
	complaints := &Policy{Name: "complaints", Position: 2, Conditions: Conditions{Categories: []string{CategoryComplaint}}}
	rest := &Policy{Name: "rest", Position: 3}
	all := []*Policy{rest, complaints, gold}
	require.Equal(t, gold, SelectPolicy(all, PolicyInput{Category: CategoryComplaint, CustomerAttributes: map[string]any{"tier": "gold"}}))
	require.Equal(t, complaints, SelectPolicy(all, PolicyInput{Category: CategoryComplaint, CustomerAttributes: map[string]any{"tier": "silver"}}))
	require.Equal(t, rest, SelectPolicy(all, PolicyInput{Category: CategoryInquiry}))
	require.Nil(t, SelectPolicy([]*Policy{gold}, PolicyInput{}))
}
