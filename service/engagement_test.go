package service

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

var engT0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func intp(v int) *int { return &v }

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, crmtype.ErrInvalid, field)
	var ve *crmtype.ValidationError
	require.ErrorAs(t, err, &ve, field)
	require.Equal(t, field, ve.Field)
}

func TestEngagementValidation(t *testing.T) {
	ctx := context.Background()
	svc := NewService(refusingStore{t: t}, "acme", Config{})
	cust, other := crmtype.NewID(engT0), crmtype.NewID(engT0.Add(time.Second))
	ok := func() EngagementParams {
		return EngagementParams{CustomerID: cust, Kind: KindTraining, ScheduledStart: engT0, ScheduledEnd: engT0.Add(time.Hour)}
	}
	for field, mod := range map[string]func(p *EngagementParams){
		"customer_id":              func(p *EngagementParams) { p.CustomerID = crmtype.ID{} },
		"kind":                     func(p *EngagementParams) { p.Kind = "on site" },
		"scheduled_start":          func(p *EngagementParams) { p.ScheduledStart = time.Time{} },
		"scheduled_end":            func(p *EngagementParams) { p.ScheduledEnd = engT0.Add(-time.Minute) },
		"location":                 func(p *EngagementParams) { p.Location = "\xff" },
		"notes":                    func(p *EngagementParams) { p.Notes = string(make([]byte, MaxEngagementNotesBytes+1)) },
		"host_ids[1]":              func(p *EngagementParams) { p.HostIDs = []string{"u-1", " "} },
		"attendees[0].customer_id": func(p *EngagementParams) { p.Attendees = []Attendee{{}} },
		"attendees[1].customer_id": func(p *EngagementParams) { p.Attendees = []Attendee{{CustomerID: other}, {CustomerID: other}} },
		"attendees[0].status":      func(p *EngagementParams) { p.Attendees = []Attendee{{CustomerID: other, Status: "late"}} },
		"attendees[0].score": func(p *EngagementParams) {
			p.Attendees = []Attendee{{CustomerID: other, Status: AttendanceAttended, Score: intp(101)}}
		},
	} {
		p := ok()
		mod(&p)
		_, err := svc.CreateEngagement(ctx, p)
		requireField(t, err, field)
	}
	// A score below 0, and one for an attendee who did not attend.
	for _, a := range []Attendee{
		{CustomerID: other, Status: AttendanceAttended, Score: intp(-1)},
		{CustomerID: other, Status: AttendanceAbsent, Score: intp(50)},
		{CustomerID: other, Score: intp(50)}, // invited
	} {
		p := ok()
		p.Attendees = []Attendee{a}
		_, err := svc.CreateEngagement(ctx, p)
		requireField(t, err, "attendees[0].score")
	}

	id := crmtype.NewID(engT0)
	_, err := svc.UpdateEngagement(ctx, id, EngagementUpdate{})
	requireField(t, err, "version")
	empty := ""
	_, err = svc.UpdateEngagement(ctx, id, EngagementUpdate{Version: 1, Kind: &empty})
	requireField(t, err, "kind")
	zero := time.Time{}
	_, err = svc.UpdateEngagement(ctx, id, EngagementUpdate{Version: 1, ScheduledEnd: &zero})
	requireField(t, err, "scheduled_end")

	_, err = svc.RecordAttendance(ctx, id, 0, []Attendee{{CustomerID: other}})
	requireField(t, err, "version")
	_, err = svc.RecordAttendance(ctx, id, 1, nil)
	requireField(t, err, "attendees")
	_, err = svc.RecordAttendance(ctx, id, 1, []Attendee{{CustomerID: other, Status: AttendanceAttended, Score: intp(100)}, {CustomerID: other}})
	requireField(t, err, "attendees[1].customer_id")

	_, err = svc.CompleteEngagement(ctx, id, 0, Completion{Outcome: OutcomeCompleted})
	requireField(t, err, "version")
	_, err = svc.CompleteEngagement(ctx, id, 1, Completion{Outcome: "done"})
	requireField(t, err, "outcome")
	_, err = svc.CompleteEngagement(ctx, id, 1, Completion{Outcome: OutcomeCancelled, OutcomeNote: "\xff"})
	requireField(t, err, "outcome_note")

	_, err = svc.Engagements(ctx, EngagementListParams{Limit: -1})
	requireField(t, err, "limit")
	_, err = svc.Engagements(ctx, EngagementListParams{Kind: "a b"})
	requireField(t, err, "kind")
	_, err = svc.Engagements(ctx, EngagementListParams{From: engT0, To: engT0.Add(-time.Second)})
	requireField(t, err, "to")

	// No workspace: ErrNoWorkspace before anything else.
	_, err = NewService(refusingStore{t: t}, "", Config{}).CreateEngagement(ctx, ok())
	require.ErrorIs(t, err, crmtype.ErrNoWorkspace)
}

func TestCheckEngagement(t *testing.T) {
	at := func(d time.Duration) *time.Time { v := engT0.Add(d); return &v }
	base := Engagement{ScheduledStart: engT0, ScheduledEnd: engT0}
	for field, mod := range map[string]func(e *Engagement){
		"":              func(e *Engagement) {},
		"scheduled_end": func(e *Engagement) { e.ScheduledEnd = engT0.Add(-time.Nanosecond) },
		"actual_start":  func(e *Engagement) { e.ActualEnd = at(0) },
		"actual_end":    func(e *Engagement) { e.ActualStart, e.ActualEnd = at(time.Hour), at(time.Minute) },
	} {
		e := base
		mod(&e)
		err := checkEngagement(&e)
		if field == "" {
			require.NoError(t, err)
			continue
		}
		requireField(t, err, field)
	}
	for _, o := range []Outcome{OutcomeCompleted, OutcomePartiallyCompleted} {
		e := base
		e.Outcome = o
		requireField(t, checkEngagement(&e), "actual_start")
		e.ActualStart = at(0)
		requireField(t, checkEngagement(&e), "actual_end")
		e.ActualEnd = at(90 * time.Minute)
		require.NoError(t, checkEngagement(&e))
		require.Equal(t, 90*time.Minute, e.Duration())
	}
	for _, o := range []Outcome{OutcomeCancelled, OutcomeNoShow} {
		e := base
		e.Outcome = o
		require.NoError(t, checkEngagement(&e))
		require.Zero(t, e.Duration())
	}
}

func TestCleanAttendees(t *testing.T) {
	a, b := crmtype.NewID(engT0.Add(time.Second)), crmtype.NewID(engT0)
	score := 80
	got, err := cleanAttendees([]Attendee{{CustomerID: a, Status: AttendanceAttended, Score: &score}, {CustomerID: b}})
	require.NoError(t, err)
	score = 10 // the caller's pointer is not kept
	require.Equal(t, []Attendee{{CustomerID: b, Status: AttendanceInvited}, {CustomerID: a, Status: AttendanceAttended, Score: intp(80)}}, got)
	got, err = cleanAttendees(nil)
	require.NoError(t, err)
	require.Nil(t, got)
	_, err = cleanAttendees(make([]Attendee, MaxEngagementAttendees+1))
	requireField(t, err, "attendees")
}

func TestSummarizeTraining(t *testing.T) {
	ids := make([]crmtype.ID, 7)
	for i := range ids {
		ids[i] = crmtype.NewID(engT0.Add(time.Duration(i) * time.Second))
	}
	e := &Engagement{ID: crmtype.NewID(engT0), Kind: KindTraining, Attendees: []Attendee{
		{CustomerID: ids[0], Status: AttendanceAttended, Score: intp(70)},
		{CustomerID: ids[1], Status: AttendanceAttended, Score: intp(80)},
		{CustomerID: ids[2], Status: AttendanceAttended, Score: intp(90)},
		{CustomerID: ids[3], Status: AttendanceAttended},
		{CustomerID: ids[4], Status: AttendanceAbsent},
		{CustomerID: ids[5], Status: AttendanceExcused},
		{CustomerID: ids[6], Status: AttendanceInvited},
	}}
	sum, err := summarizeTraining(e)
	require.NoError(t, err)
	require.Equal(t, 7, sum.Attendees)
	require.Equal(t, [4]int{1, 4, 1, 1}, [4]int{sum.Invited, sum.Attended, sum.Absent, sum.Excused})
	require.InDelta(t, 0.8, sum.AttendanceRate, 1e-12) // 4 of 4+1
	require.Equal(t, 3, sum.Scores)
	require.InDelta(t, 80, sum.MeanScore, 1e-12)
	// By hand: SD = 10, SE = 10/√3, t(0.975, 2) = 4.302652729911275
	// (R: qt(0.975, 2)), so 80 ± 24.8414.
	require.NotNil(t, sum.Assessment)
	half := 4.302652729911275 * 10 / math.Sqrt(3)
	require.InDelta(t, 80-half, sum.Assessment.CI.Lo, 1e-9)
	require.InDelta(t, 80+half, sum.Assessment.CI.Hi, 1e-9)

	// One score: a mean but no interval; none recorded: all zero.
	sum, err = summarizeTraining(&Engagement{Attendees: []Attendee{{CustomerID: ids[0], Status: AttendanceAttended, Score: intp(55)}}})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Scores)
	require.Equal(t, 55.0, sum.MeanScore)
	require.Nil(t, sum.Assessment)
	sum, err = summarizeTraining(&Engagement{})
	require.NoError(t, err)
	require.Zero(t, sum.AttendanceRate)
	require.Nil(t, sum.Assessment)
}
