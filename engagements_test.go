package crm_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// engagementFixture is a migrated database with, in one workspace, a
// customer served, three more customers to attend, a purchase and a
// ticket, and a service for the workspace.
type engagementFixture struct {
	ws       string
	client   *crm.Client
	clock    *crmtype.ManualClock
	svc      *service.Service
	cust     *customer.Customer
	people   []*customer.Customer
	purchase *customer.Purchase
	ticket   *service.Ticket
}

func newEngagementFixture(t *testing.T, db *bun.DB, ws string) *engagementFixture {
	t.Helper()
	ctx := context.Background()
	client, clock := newClient(t, db)
	w := client.Workspace(ws)
	c, err := w.Customers.Create(ctx, customer.CreateParams{Name: "张三"})
	require.NoError(t, err)
	f := &engagementFixture{ws: ws, client: client, clock: clock, cust: c,
		svc: service.NewService(store.New(db), crmtype.WorkspaceID(ws), service.Config{Clock: clock})}
	for _, name := range []string{"李四", "王五", "赵六"} {
		p, err := w.Customers.Create(ctx, customer.CreateParams{Name: name})
		require.NoError(t, err)
		f.people = append(f.people, p)
	}
	f.purchase, err = w.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0,
		Amount: crmtype.Money{Minor: 99900, Currency: "CNY"}, Quantity: 1, OrderID: "o-1"})
	require.NoError(t, err)
	f.ticket, err = f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: c.ID, Category: service.CategoryAfterSales, Subject: "Install the router"})
	require.NoError(t, err)
	return f
}

func (f *engagementFixture) create(t *testing.T, kind string, start time.Time) *service.Engagement {
	t.Helper()
	e, err := f.svc.CreateEngagement(context.Background(), service.EngagementParams{CustomerID: f.cust.ID, Kind: kind,
		ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour)})
	require.NoError(t, err)
	return e
}

func engagementEventsOf(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID) []crmtype.Event {
	t.Helper()
	var out []crmtype.Event
	for _, e := range eventLog(t, ctx, db, ws) {
		if e.SubjectType == service.SubjectEngagement && e.Subject == id {
			out = append(out, e)
		}
	}
	return out
}

// engagementCounts counts workspace ws's engagements, attendees and events.
func engagementCounts(t *testing.T, ctx context.Context, db *bun.DB, ws string) [3]int {
	t.Helper()
	return [3]int{ticketRowCount(t, ctx, db, "crm_engagements", ws), ticketRowCount(t, ctx, db, "crm_engagement_attendees", ws),
		ticketRowCount(t, ctx, db, "crm_events", ws)}
}

func scorep(v int) *int { return &v }

func TestEngagementCreateReadUpdate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crmtype.WithActor(context.Background(), "tech-3")
		f := newEngagementFixture(t, db, "acme")
		shanghai := time.FixedZone("CST", 8*3600)
		start := time.Date(2026, 12, 1, 14, 0, 0, 123456789, shanghai) // stored in UTC, to the microsecond
		e, err := f.svc.CreateEngagement(ctx, service.EngagementParams{
			CustomerID: f.cust.ID, Kind: " Installation ", TicketID: f.ticket.ID, PurchaseID: f.purchase.ID,
			ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour),
			Location: "  上海市浦东新区 1 号\nRoom 3 ", HostIDs: []string{"u-2", "u-1", "u-2"},
			Attendees: []service.Attendee{{CustomerID: f.people[1].ID}, {CustomerID: f.people[0].ID}},
			Notes:     "Bring the long cable.",
		})
		require.NoError(t, err)
		require.Equal(t, service.KindInstallation, e.Kind)
		require.Equal(t, time.Date(2026, 12, 1, 6, 0, 0, 123456000, time.UTC), e.ScheduledStart)
		require.Equal(t, "上海市浦东新区 1 号\nRoom 3", e.Location)
		require.Equal(t, []string{"u-1", "u-2"}, e.HostIDs)
		require.Equal(t, []service.Attendee{{CustomerID: f.people[0].ID, Status: service.AttendanceInvited},
			{CustomerID: f.people[1].ID, Status: service.AttendanceInvited}}, e.Attendees)
		require.Equal(t, int64(1), e.Version)
		require.Nil(t, e.ActualStart)
		require.Zero(t, e.Duration())

		got, err := f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)

		// A workspace-defined kind.
		_, err = f.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: f.cust.ID, Kind: "health-check",
			ScheduledStart: t0, ScheduledEnd: t0})
		require.NoError(t, err)

		f.clock.Advance(time.Minute)
		loc, notes, hosts := "Room 4", "", []string{"u-3"}
		newEnd := e.ScheduledEnd.Add(30 * time.Minute)
		up, err := f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 1, Location: &loc, Notes: &notes,
			HostIDs: &hosts, ScheduledEnd: &newEnd})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, f.clock.Now(), up.UpdatedAt)
		require.Equal(t, newEnd, up.ScheduledEnd)
		got, err = f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)

		// Stale version: conflict. No change: same version, no event.
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 1, Location: &loc})
		require.ErrorIs(t, err, crmtype.ErrConflict)
		same, err := f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, Location: &loc})
		require.NoError(t, err)
		require.Equal(t, up, same)

		evs := engagementEventsOf(t, ctx, db, "acme", e.ID)
		require.Len(t, evs, 2)
		require.Equal(t, service.EventEngagementCreated, evs[0].Type)
		require.Equal(t, f.cust.ID, evs[0].Customer)
		require.Equal(t, "tech-3", evs[0].Actor)
		require.Equal(t, "installation", changeOf(t, evs[0], "kind").After)
		require.Equal(t, "2026-12-01T06:00:00.123456Z", changeOf(t, evs[0], "scheduled_start").After)
		require.Equal(t, f.ticket.ID.String(), changeOf(t, evs[0], "ticket_id").After)
		require.Len(t, changeOf(t, evs[0], "attendees").After, 2)
		require.Equal(t, service.EventEngagementUpdated, evs[1].Type)
		require.Equal(t, f.cust.ID, evs[1].Customer)
		require.Len(t, evs[1].Changes, 4) // host_ids, location, notes, scheduled_end
		require.Equal(t, "Bring the long cable.", changeOf(t, evs[1], "notes").Before)
		require.Equal(t, "", changeOf(t, evs[1], "notes").After)

		// Bad input names the field and writes nothing.
		before := engagementCounts(t, ctx, db, "acme")
		ok := func() service.EngagementParams {
			return service.EngagementParams{CustomerID: f.cust.ID, Kind: service.KindRepair, ScheduledStart: t0, ScheduledEnd: t0.Add(time.Hour)}
		}
		for field, mod := range map[string]func(p *service.EngagementParams){
			"customer_id":   func(p *service.EngagementParams) { p.CustomerID = crmtype.ID{} },
			"kind":          func(p *service.EngagementParams) { p.Kind = "on/site" },
			"scheduled_end": func(p *service.EngagementParams) { p.ScheduledEnd = t0.Add(-time.Second) },
			"attendees[1].customer_id": func(p *service.EngagementParams) {
				p.Attendees = []service.Attendee{{CustomerID: f.people[0].ID}, {CustomerID: f.people[0].ID}}
			},
			"attendees[0].score": func(p *service.EngagementParams) {
				p.Attendees = []service.Attendee{{CustomerID: f.people[0].ID, Status: service.AttendanceAttended, Score: scorep(101)}}
			},
		} {
			p := ok()
			mod(&p)
			_, err := f.svc.CreateEngagement(ctx, p)
			requireInvalidField(t, err, field)
		}
		require.Equal(t, before, engagementCounts(t, ctx, db, "acme"))
		// References outside the workspace, deleted or erased: not found.
		w := f.client.Workspace("acme")
		require.NoError(t, w.Customers.Delete(ctx, f.people[1].ID))
		_, err = w.Privacy.Erase(ctx, f.people[2].ID, privacy.EraseOptions{})
		require.NoError(t, err)
		before = engagementCounts(t, ctx, db, "acme")
		for name, mod := range map[string]func(p *service.EngagementParams){
			"customer":         func(p *service.EngagementParams) { p.CustomerID = crmtype.NewID(t0) },
			"deleted customer": func(p *service.EngagementParams) { p.CustomerID = f.people[1].ID },
			"erased customer":  func(p *service.EngagementParams) { p.CustomerID = f.people[2].ID },
			"attendee":         func(p *service.EngagementParams) { p.Attendees = []service.Attendee{{CustomerID: crmtype.NewID(t0)}} },
			"deleted attendee": func(p *service.EngagementParams) { p.Attendees = []service.Attendee{{CustomerID: f.people[1].ID}} },
			"erased attendee":  func(p *service.EngagementParams) { p.Attendees = []service.Attendee{{CustomerID: f.people[2].ID}} },
			"ticket":           func(p *service.EngagementParams) { p.TicketID = crmtype.NewID(t0) },
			"purchase":         func(p *service.EngagementParams) { p.PurchaseID = f.ticket.ID },
		} {
			p := ok()
			mod(&p)
			_, err := f.svc.CreateEngagement(ctx, p)
			require.ErrorIs(t, err, crmtype.ErrNotFound, name)
		}
		bad := crmtype.NewID(t0)
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, TicketID: &bad})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, PurchaseID: &bad})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2,
			Attendees: &[]service.Attendee{{CustomerID: f.people[0].ID}, {CustomerID: f.people[2].ID}}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		early := e.ScheduledStart.Add(-time.Minute)
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, ScheduledEnd: &early})
		requireInvalidField(t, err, "scheduled_end")
		as, ae := t0.Add(time.Hour), t0
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, ActualStart: &as, ActualEnd: &ae})
		requireInvalidField(t, err, "actual_end")
		_, err = f.svc.UpdateEngagement(ctx, crmtype.NewID(t0), service.EngagementUpdate{Version: 1, Location: &loc})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, engagementCounts(t, ctx, db, "acme"))
		got, err = f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)

		// Clearing references and attendees.
		var zero crmtype.ID
		none := []service.Attendee{}
		up, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 2, TicketID: &zero, PurchaseID: &zero, Attendees: &none})
		require.NoError(t, err)
		require.True(t, up.TicketID.IsZero())
		require.Nil(t, up.Attendees)
		got, err = f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)
	})
}

func TestEngagementAttendanceAndTraining(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newEngagementFixture(t, db, "acme")
		w := f.client.Workspace("acme")
		var extra []*customer.Customer
		for _, name := range []string{"A", "B", "C"} {
			c, err := w.Customers.Create(ctx, customer.CreateParams{Name: name})
			require.NoError(t, err)
			extra = append(extra, c)
		}
		p0, p1, p2 := f.people[0].ID, f.people[1].ID, f.people[2].ID
		e, err := f.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: f.cust.ID, Kind: service.KindTraining,
			ScheduledStart: t0, ScheduledEnd: t0.Add(3 * time.Hour),
			Attendees: []service.Attendee{{CustomerID: p0}, {CustomerID: p1}, {CustomerID: p2}}})
		require.NoError(t, err)

		// Bad attendance writes nothing.
		before := engagementCounts(t, ctx, db, "acme")
		_, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{{CustomerID: p0, Status: service.AttendanceAttended, Score: scorep(-5)}})
		requireInvalidField(t, err, "attendees[0].score")
		_, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{{CustomerID: p0, Status: service.AttendanceAbsent, Score: scorep(5)}})
		requireInvalidField(t, err, "attendees[0].score")
		_, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{{CustomerID: p0, Status: "present"}})
		requireInvalidField(t, err, "attendees[0].status")
		_, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{{CustomerID: p0}, {CustomerID: p0}})
		requireInvalidField(t, err, "attendees[1].customer_id")
		_, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{{CustomerID: crmtype.NewID(t0), Status: service.AttendanceAttended}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = f.svc.RecordAttendance(ctx, e.ID, 7, []service.Attendee{{CustomerID: p0, Status: service.AttendanceAttended}})
		require.ErrorIs(t, err, crmtype.ErrConflict)
		require.Equal(t, before, engagementCounts(t, ctx, db, "acme"))

		// Record: three attended with scores (0 is a score), one absent;
		// the others added with their own status.
		f.clock.Advance(4 * time.Hour)
		e, err = f.svc.RecordAttendance(ctx, e.ID, 1, []service.Attendee{
			{CustomerID: p0, Status: service.AttendanceAttended, Score: scorep(60)},
			{CustomerID: p1, Status: service.AttendanceAttended, Score: scorep(0)},
			{CustomerID: p2, Status: service.AttendanceAbsent},
			{CustomerID: extra[0].ID, Status: service.AttendanceAttended, Score: scorep(90)},
			{CustomerID: extra[1].ID, Status: service.AttendanceExcused},
		})
		require.NoError(t, err)
		require.Equal(t, int64(2), e.Version)
		require.Len(t, e.Attendees, 5)
		got, err := f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
		a, ok := got.Attendee(p1)
		require.True(t, ok)
		require.Equal(t, service.AttendanceAttended, a.Status)
		require.Equal(t, 0, *a.Score)

		// Amend one: p1's score corrected, extra[2] added; the rest stays.
		e, err = f.svc.RecordAttendance(ctx, e.ID, 2, []service.Attendee{
			{CustomerID: p1, Status: service.AttendanceAttended, Score: scorep(75)},
			{CustomerID: extra[2].ID, Status: service.AttendanceAttended, Score: scorep(95)},
		})
		require.NoError(t, err)
		require.Len(t, e.Attendees, 6)
		got, err = f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
		a, _ = got.Attendee(p0)
		require.Equal(t, 60, *a.Score)
		// Recording the same again changes nothing and records nothing.
		same, err := f.svc.RecordAttendance(ctx, e.ID, 3, []service.Attendee{{CustomerID: p1, Status: service.AttendanceAttended, Score: scorep(75)}})
		require.NoError(t, err)
		require.Equal(t, e, same)

		evs := engagementEventsOf(t, ctx, db, "acme", e.ID)
		require.Len(t, evs, 3)
		require.Equal(t, service.EventEngagementUpdated, evs[2].Type)
		require.Equal(t, f.cust.ID, evs[2].Customer)
		require.Len(t, evs[2].Changes, 1)
		require.Equal(t, "attendees", evs[2].Changes[0].Field)

		// Scores 60, 75, 90, 95: by hand, mean 80, deviations −20, −5, 10,
		// 15, sum of squares 750, SD √250, SE √250/2; t(0.975, 3) =
		// 3.182446305284263 (R: qt(0.975, 3)); so 80 ± 25.1594.
		// Attended 4 (scores) of attended 4 + absent 1; excused not counted.
		sum, err := f.svc.TrainingResults(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, 6, sum.Attendees)
		require.Equal(t, [4]int{0, 4, 1, 1}, [4]int{sum.Invited, sum.Attended, sum.Absent, sum.Excused})
		require.InDelta(t, 0.8, sum.AttendanceRate, 1e-12)
		require.Equal(t, 4, sum.Scores)
		require.InDelta(t, 80, sum.MeanScore, 1e-12)
		require.NotNil(t, sum.Assessment)
		half := 3.182446305284263 * math.Sqrt(250) / 2
		require.InDelta(t, 25.1594, half, 1e-4)
		require.InDelta(t, 80-half, sum.Assessment.CI.Lo, 1e-9)
		require.InDelta(t, 80+half, sum.Assessment.CI.Hi, 1e-9)
		require.InDelta(t, math.Sqrt(250), sum.Assessment.SD, 1e-12)

		// Not a training session: invalid; unknown: not found.
		visit := f.create(t, service.KindVisit, t0)
		_, err = f.svc.TrainingResults(ctx, visit.ID)
		requireInvalidField(t, err, "kind")
		_, err = f.svc.TrainingResults(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crmtype.ErrNotFound)
	})
}

func TestEngagementComplete(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newEngagementFixture(t, db, "acme")
		e := f.create(t, service.KindRepair, t0)
		as, ae := t0.Add(10*time.Minute), t0.Add(95*time.Minute)

		before := engagementCounts(t, ctx, db, "acme")
		_, err := f.svc.CompleteEngagement(ctx, e.ID, 1, service.Completion{Outcome: service.OutcomeCompleted})
		requireInvalidField(t, err, "actual_start")
		_, err = f.svc.CompleteEngagement(ctx, e.ID, 1, service.Completion{Outcome: service.OutcomeCompleted, ActualStart: &as})
		requireInvalidField(t, err, "actual_end")
		_, err = f.svc.CompleteEngagement(ctx, e.ID, 1, service.Completion{Outcome: service.OutcomePartiallyCompleted, ActualStart: &ae, ActualEnd: &as})
		requireInvalidField(t, err, "actual_end")
		_, err = f.svc.CompleteEngagement(ctx, e.ID, 1, service.Completion{Outcome: "finished", ActualStart: &as, ActualEnd: &ae})
		requireInvalidField(t, err, "outcome")
		require.Equal(t, before, engagementCounts(t, ctx, db, "acme"))

		// Actual start recorded on arrival, then completion with the end.
		e, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 1, ActualStart: &as})
		require.NoError(t, err)
		f.clock.Advance(2 * time.Hour)
		e, err = f.svc.CompleteEngagement(ctx, e.ID, 2, service.Completion{Outcome: service.OutcomeCompleted,
			OutcomeNote: "Replaced the power supply.", ActualEnd: &ae})
		require.NoError(t, err)
		require.Equal(t, service.OutcomeCompleted, e.Outcome)
		require.Equal(t, 85*time.Minute, e.Duration())
		require.Equal(t, f.clock.Now(), *e.CompletedAt)
		got, err := f.svc.Engagement(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, e, got)
		evs := engagementEventsOf(t, ctx, db, "acme", e.ID)
		require.Len(t, evs, 3)
		last := evs[2]
		require.Equal(t, service.EventEngagementCompleted, last.Type)
		require.Equal(t, f.cust.ID, last.Customer)
		require.Equal(t, "completed", changeOf(t, last, "outcome").After)
		require.Equal(t, ae.Format(time.RFC3339Nano), changeOf(t, last, "actual_end").After)
		require.Len(t, last.Changes, 4) // outcome, outcome_note, actual_end, completed_at

		// Once recorded, the outcome stays; the actual times of a completed
		// engagement cannot be cleared.
		_, err = f.svc.CompleteEngagement(ctx, e.ID, 3, service.Completion{Outcome: service.OutcomeCancelled})
		requireInvalidField(t, err, "outcome")
		var zero time.Time
		_, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 3, ActualEnd: &zero})
		requireInvalidField(t, err, "actual_end")
		note := "Replaced the PSU and the fan."
		e, err = f.svc.UpdateEngagement(ctx, e.ID, service.EngagementUpdate{Version: 3, OutcomeNote: &note})
		require.NoError(t, err)
		require.Equal(t, note, e.OutcomeNote)

		// Cancelled and no-show need no times.
		c := f.create(t, service.KindVisit, t0.Add(24*time.Hour))
		c, err = f.svc.CompleteEngagement(ctx, c.ID, 1, service.Completion{Outcome: service.OutcomeCancelled, OutcomeNote: "customer moved it"})
		require.NoError(t, err)
		require.Equal(t, service.OutcomeCancelled, c.Outcome)
		require.Zero(t, c.Duration())
	})
}

func TestEngagementList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newEngagementFixture(t, db, "acme")
		other := f.people[0].ID
		var all []*service.Engagement
		for i := range 7 {
			start := t0.Add(time.Duration(i/2) * 24 * time.Hour) // pairs share a start: ties broken by ID
			p := service.EngagementParams{CustomerID: f.cust.ID, Kind: service.KindVisit, ScheduledStart: start, ScheduledEnd: start.Add(time.Hour),
				Attendees: []service.Attendee{{CustomerID: other}}}
			if i%3 == 0 {
				p.Kind, p.TicketID = service.KindRepair, f.ticket.ID
			}
			if i == 6 {
				p.CustomerID = other
			}
			e, err := f.svc.CreateEngagement(ctx, p)
			require.NoError(t, err)
			all = append(all, e)
		}
		ids := func(es []*service.Engagement) []crmtype.ID {
			out := make([]crmtype.ID, len(es))
			for i, e := range es {
				out[i] = e.ID
			}
			return out
		}
		var paged []*service.Engagement
		var cur crmtype.Cursor
		for {
			page, err := f.svc.Engagements(ctx, service.EngagementListParams{Limit: 3, After: cur})
			require.NoError(t, err)
			paged = append(paged, page.Items...)
			if page.Next == "" {
				break
			}
			cur = page.Next
		}
		require.Equal(t, ids(all), ids(paged))
		require.Equal(t, all, paged) // attendees included

		page, err := f.svc.Engagements(ctx, service.EngagementListParams{CustomerID: other})
		require.NoError(t, err)
		require.Equal(t, ids(all[6:]), ids(page.Items))
		page, err = f.svc.Engagements(ctx, service.EngagementListParams{TicketID: f.ticket.ID})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{all[0].ID, all[3].ID, all[6].ID}, ids(page.Items))
		page, err = f.svc.Engagements(ctx, service.EngagementListParams{Kind: "Repair", CustomerID: f.cust.ID})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{all[0].ID, all[3].ID}, ids(page.Items))
		page, err = f.svc.Engagements(ctx, service.EngagementListParams{From: t0.Add(24 * time.Hour), To: t0.Add(48 * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, ids(all[2:4]), ids(page.Items))
		_, err = f.svc.Engagements(ctx, service.EngagementListParams{After: "nonsense!"})
		requireInvalidField(t, err, "cursor")
	})
}

func TestEngagementWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		a := newEngagementFixture(t, db, "acme")
		b := newEngagementFixture(t, db, "globex")
		ea, err := a.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: a.cust.ID, Kind: service.KindTraining,
			TicketID: a.ticket.ID, PurchaseID: a.purchase.ID, ScheduledStart: t0, ScheduledEnd: t0.Add(time.Hour),
			Attendees: []service.Attendee{{CustomerID: a.people[0].ID, Status: service.AttendanceAttended, Score: scorep(70)},
				{CustomerID: a.people[1].ID, Status: service.AttendanceAttended, Score: scorep(80)}}})
		require.NoError(t, err)
		eb := b.create(t, service.KindTraining, t0)
		aBefore, bBefore := engagementCounts(t, ctx, db, "acme"), engagementCounts(t, ctx, db, "globex")

		// b cannot see or touch a's engagement.
		_, err = b.svc.Engagement(ctx, ea.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		loc := "stolen"
		_, err = b.svc.UpdateEngagement(ctx, ea.ID, service.EngagementUpdate{Version: 1, Location: &loc})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.RecordAttendance(ctx, ea.ID, 1, []service.Attendee{{CustomerID: b.people[0].ID, Status: service.AttendanceAbsent}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		as, ae := t0, t0.Add(time.Hour)
		_, err = b.svc.CompleteEngagement(ctx, ea.ID, 1, service.Completion{Outcome: service.OutcomeCompleted, ActualStart: &as, ActualEnd: &ae})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.TrainingResults(ctx, ea.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		for _, p := range []service.EngagementListParams{{}, {CustomerID: a.cust.ID}, {TicketID: a.ticket.ID}, {Kind: service.KindTraining}} {
			page, err := b.svc.Engagements(ctx, p)
			require.NoError(t, err)
			for _, e := range page.Items {
				require.Equal(t, eb.ID, e.ID)
			}
		}
		// b cannot point at a's customers, attendees, ticket or purchase.
		ok := func() service.EngagementParams {
			return service.EngagementParams{CustomerID: b.cust.ID, Kind: service.KindVisit, ScheduledStart: t0, ScheduledEnd: t0}
		}
		for name, mod := range map[string]func(p *service.EngagementParams){
			"customer": func(p *service.EngagementParams) { p.CustomerID = a.cust.ID },
			"attendee": func(p *service.EngagementParams) { p.Attendees = []service.Attendee{{CustomerID: a.people[0].ID}} },
			"ticket":   func(p *service.EngagementParams) { p.TicketID = a.ticket.ID },
			"purchase": func(p *service.EngagementParams) { p.PurchaseID = a.purchase.ID },
		} {
			p := ok()
			mod(&p)
			_, err := b.svc.CreateEngagement(ctx, p)
			require.ErrorIs(t, err, crmtype.ErrNotFound, name)
		}
		_, err = b.svc.UpdateEngagement(ctx, eb.ID, service.EngagementUpdate{Version: 1, TicketID: &a.ticket.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.UpdateEngagement(ctx, eb.ID, service.EngagementUpdate{Version: 1, PurchaseID: &a.purchase.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.RecordAttendance(ctx, eb.ID, 1, []service.Attendee{{CustomerID: a.people[0].ID, Status: service.AttendanceAttended}})
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		require.Equal(t, aBefore, engagementCounts(t, ctx, db, "acme"))
		require.Equal(t, bBefore, engagementCounts(t, ctx, db, "globex"))
		got, err := a.svc.Engagement(ctx, ea.ID)
		require.NoError(t, err)
		require.Equal(t, ea, got)
		sum, err := a.svc.TrainingResults(ctx, ea.ID)
		require.NoError(t, err)
		require.InDelta(t, 75, sum.MeanScore, 1e-12)
		require.Len(t, engagementEventsOf(t, ctx, db, "globex", ea.ID), 0)
	})
}

// TestEngagementMergeAndErase needs crm_engagements and
// crm_engagement_attendees in store's customer-reference registry.
func TestEngagementMergeAndErase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newEngagementFixture(t, db, "acme")
		w := f.client.Workspace("acme")
		p0, p1 := f.people[0].ID, f.people[1].ID
		e1, err := f.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: f.cust.ID, Kind: service.KindTraining,
			ScheduledStart: t0, ScheduledEnd: t0.Add(time.Hour), Location: "Room 1", Notes: "张三 needs a ramp",
			Attendees: []service.Attendee{{CustomerID: p0, Status: service.AttendanceAttended, Score: scorep(90)},
				{CustomerID: p1, Status: service.AttendanceAbsent}}})
		require.NoError(t, err)
		e2, err := f.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: p1, Kind: service.KindVisit,
			ScheduledStart: t0, ScheduledEnd: t0, Attendees: []service.Attendee{{CustomerID: p0}}})
		require.NoError(t, err)

		// Merge p1 into p0: p1's engagement and attendance move to p0, but
		// for e1, which p0 attended too: p0's record stays.
		m, err := w.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{p0, p1}, Survivor: p0})
		require.NoError(t, err)
		got, err := f.svc.Engagement(ctx, e2.ID)
		require.NoError(t, err)
		require.Equal(t, p0, got.CustomerID)
		got, err = f.svc.Engagement(ctx, e1.ID)
		require.NoError(t, err)
		require.Equal(t, []service.Attendee{{CustomerID: p0, Status: service.AttendanceAttended, Score: scorep(90)}}, got.Attendees)
		page, err := f.svc.Engagements(ctx, service.EngagementListParams{CustomerID: p0})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)

		// Unmerge gives everything back.
		_, err = w.Customers.Unmerge(ctx, m.ID)
		require.NoError(t, err)
		got, err = f.svc.Engagement(ctx, e2.ID)
		require.NoError(t, err)
		require.Equal(t, e2, got)
		got, err = f.svc.Engagement(ctx, e1.ID)
		require.NoError(t, err)
		require.Equal(t, e1, got)

		// The people's exports hold their engagements and attendance.
		b, err := w.Privacy.Export(ctx, f.cust.ID)
		require.NoError(t, err)
		require.Len(t, b.Tables["crm_engagements"], 1)
		require.Equal(t, "Room 1", b.Tables["crm_engagements"][0]["location"])
		b, err = w.Privacy.Export(ctx, p0)
		require.NoError(t, err)
		require.Len(t, b.Tables["crm_engagement_attendees"], 2)

		// Erasing the customer served keeps the engagement without its
		// free text.
		_, err = w.Privacy.Erase(ctx, f.cust.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		got, err = f.svc.Engagement(ctx, e1.ID)
		require.NoError(t, err)
		require.Empty(t, got.Location)
		require.Empty(t, got.Notes)
		require.Equal(t, e1.Kind, got.Kind)
		require.Equal(t, e1.ScheduledStart, got.ScheduledStart)
	})
}
