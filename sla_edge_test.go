package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// officeUTC works Monday to Friday 09:00-17:00 UTC.
func officeUTC() service.Calendar {
	day := []service.Interval{{From: "09:00", To: "17:00"}}
	return service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: day,
		time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day}}
}

// TestSLAEdgeLateReplyOutOfHoursFlipsState: a first response due Friday
// 17:00 is breached (and its breach escalation claimed) at 17:30; the
// agent answers on Saturday. While the ticket is open, Ticket() reports
// the target met (Measure: no business time passed since 17:00); once it
// is solved, the same stored target reads breached (StateAt: MetAt after
// Deadline). The report counts it met.
func TestSLAEdgeLateReplyOutOfHoursFlipsState(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "office", Calendar: officeUTC(),
			Targets: service.Targets{FirstResponse: 60}})
		require.NoError(t, err)
		fri16 := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
		f.clock.Set(fri16)
		tk := f.create(t, "late")

		f.clock.Set(fri16.Add(90 * time.Minute)) // Friday 17:30
		es, err := f.svc.ClaimEscalations(ctx, 10)
		require.NoError(t, err)
		require.Len(t, es, 1)
		require.Equal(t, service.LevelBreach, es[0].Level)

		f.clock.Set(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) // Saturday 10:00
		open, _, err := f.svc.Reply(ctx, tk.ID, service.ReplyParams{AuthorID: "a", Body: "sorry"})
		require.NoError(t, err)
		whileOpen := slaOf(t, open, service.MetricFirstResponse, 1)

		solved, err := f.svc.SetStatus(ctx, tk.ID, open.Version, service.StatusSolved)
		require.NoError(t, err)
		afterSolve := slaOf(t, solved, service.MetricFirstResponse, 1)

		rep, err := f.svc.Report(ctx, service.ReportParams{From: t0, To: t0.Add(30 * 24 * time.Hour)})
		require.NoError(t, err)
		require.Len(t, rep.SLA, 1)

		t.Logf("open: %s, solved: %s, report met=%d breached=%d", whileOpen.State, afterSolve.State, rep.SLA[0].Met, rep.SLA[0].Breached)
		require.Equal(t, afterSolve.State, whileOpen.State, "the same target reads differently before and after the solve")
		require.Equal(t, service.SLABreached, whileOpen.State, "breach escalation was claimed, yet the target is met")
		require.Equal(t, 1, rep.SLA[0].Breached, "report counts the escalated target met")
	})
}

// TestSLAEdgeReportTruncatesElapsed: a first response 500 ms past its
// 60-minute target is breached per Ticket() (Elapsed > Target), but the
// store keeps whole seconds of elapsed time and the report compares those,
// so it counts the target met.
func TestSLAEdgeReportTruncatesElapsed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "p", Calendar: allHours, Targets: service.Targets{FirstResponse: 60}})
		require.NoError(t, err)
		tk := f.create(t, "x")
		f.clock.Advance(60*time.Minute + 500*time.Millisecond)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{AuthorID: "a", Body: "late by half a second"})
		require.NoError(t, err)
		require.Equal(t, service.SLABreached, slaOf(t, tk, service.MetricFirstResponse, 1).State)

		rep, err := f.svc.Report(ctx, service.ReportParams{From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour)})
		require.NoError(t, err)
		require.Len(t, rep.SLA, 1)
		require.Equal(t, 1, rep.SLA[0].Breached, "report: met=%d breached=%d", rep.SLA[0].Met, rep.SLA[0].Breached)
	})
}

// TestSLAEdgeNoteOnSolvedTicketRewritesSLA: a solved ticket keeps the
// targets it was measured with, also when its policy is deleted afterwards
// (Service.measure's doc, TestSLAPolicies). But AddNote — allowed on solved
// and closed tickets — and UpdateTicket (tags) re-select the policy under
// today's policies and measure the ticket anew, so a note wipes the solved
// ticket's SLA record from the reports.
func TestSLAEdgeNoteOnSolvedTicketRewritesSLA(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		pol, err := f.svc.SavePolicy(ctx, standardPolicy())
		require.NoError(t, err)
		tk := f.create(t, "x")
		f.clock.Advance(20 * time.Minute)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
		require.NoError(t, err)
		require.NoError(t, f.svc.DeletePolicy(ctx, pol.ID, pol.Version))
		got, err := f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, pol.ID, got.PolicyID)
		require.Len(t, got.SLA, 2) // as TestSLAPolicies guards

		_, err = f.svc.AddNote(ctx, tk.ID, "agent-7", "customer called to say thanks")
		require.NoError(t, err)
		got, err = f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, pol.ID, got.PolicyID, "a note on a solved ticket changed its policy")
		require.Len(t, got.SLA, 2, "a note on a solved ticket erased its SLA targets")
	})
}

// TestSLAEdgeMergedTicketStaysAtRisk: merging closes the source without a
// solve, so Measure treats its unmet targets as stopped but not fulfilled.
// A target whose deadline passed before the merge keeps met_at NULL and a
// deadline: the closed source is listed by AtRisk for ever and its breach
// is still handed out by ClaimEscalations.
func TestSLAEdgeMergedTicketStaysAtRisk(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "p", Calendar: allHours, Targets: service.Targets{FirstResponse: 60}})
		require.NoError(t, err)
		src := f.create(t, "duplicate")
		dst := f.create(t, "original")
		f.clock.Advance(2 * time.Hour)
		src, _, err = f.svc.MergeTickets(ctx, src.ID, dst.ID, service.MergeTicketsParams{SourceVersion: src.Version, TargetVersion: dst.Version})
		require.NoError(t, err)
		require.Equal(t, service.StatusClosed, src.Status)

		f.clock.Advance(30 * 24 * time.Hour)
		page, err := f.svc.AtRisk(ctx, service.AtRiskParams{})
		require.NoError(t, err)
		for _, it := range page.Items {
			require.NotEqual(t, src.ID, it.TicketID, "the merged (closed) source is still at risk a month later: %+v", it)
		}
		es, err := f.svc.ClaimEscalations(ctx, 100)
		require.NoError(t, err)
		for _, e := range es {
			require.NotEqual(t, src.ID, e.TicketID, "an escalation handed out for a merged, closed ticket: %+v", e)
		}
	})
}

// TestSLAEdgeEscalationLevelLostToConcurrentChange: ChangeTicket reads the
// stored levels without locking the SLA rows, then deletes and re-inserts
// the rows with the levels it read. A ClaimEscalations that commits in
// between (possible on PostgreSQL: it locks only the SLA rows, the change
// locks only the ticket row) has its level overwritten, and the same
// warning is claimed a second time. The change here is what UpdateTicket
// does to t.SLA (pol.apply keeps the levels loaded before the change).
func TestSLAEdgeEscalationLevelLostToConcurrentChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "p", Calendar: allHours, Targets: service.Targets{Resolution: 100}})
		require.NoError(t, err)
		tk := f.create(t, "x")
		f.clock.Advance(80 * time.Minute) // warning due at 75 minutes
		sc, err := crmtype.NewScope(ctx, "acme")
		require.NoError(t, err)

		claimed := make(chan []service.Escalation, 1)
		_, err = store.New(db).ChangeTicket(ctx, sc, tk.ID, tk.Version, func(t2 *service.Ticket) ([]crmtype.Event, error) {
			go func() {
				es, err := f.svc.ClaimEscalations(ctx, 10)
				if err != nil {
					t.Error(err)
				}
				claimed <- es
			}()
			select { // PostgreSQL: the claim commits now; SQLite: it waits for the write lock
			case es := <-claimed:
				claimed <- es
			case <-time.After(time.Second):
			}
			t2.Subject = "changed meanwhile"
			return []crmtype.Event{{Time: f.clock.Now(), Type: service.EventTicketUpdated, SubjectType: service.SubjectTicket,
				Subject: t2.ID, Customer: t2.CustomerID, Changes: []crmtype.Change{{Field: "subject", Before: "x", After: t2.Subject}}}}, nil
		})
		require.NoError(t, err)
		// The claim racing the change either waited for it or skipped its
		// locked targets; either way the warning is handed out once.
		first := <-claimed
		again, err := f.svc.ClaimEscalations(ctx, 10)
		require.NoError(t, err)
		all := append(first, again...)
		require.Len(t, all, 1, "the warning must be claimed exactly once")
		require.Equal(t, service.LevelWarning, all[0].Level)
	})
}

// TestSLAEdgeNextResponseAfterReopenE2E is TestSLAEdgeNextResponseAfterReopen
// (package service) through Reply and SetStatus on both databases.
func TestSLAEdgeNextResponseAfterReopenE2E(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		_, err := f.svc.SavePolicy(ctx, standardPolicy())
		require.NoError(t, err)
		tk := f.create(t, "x")
		f.clock.Advance(10 * time.Minute)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{AuthorID: "a", Body: "try this"})
		require.NoError(t, err)
		f.clock.Advance(10 * time.Minute)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{FromCustomer: true, Body: "thanks"})
		require.NoError(t, err)
		f.clock.Advance(10 * time.Minute)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
		require.NoError(t, err)
		f.clock.Advance(10 * time.Minute)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{FromCustomer: true, Body: "broken again"})
		require.NoError(t, err)
		require.Equal(t, service.StatusOpen, tk.Status)
		f.clock.Advance(time.Hour)
		tk, err = f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		var running int
		for _, g := range tk.SLA {
			if g.Metric == service.MetricNextResponse && g.MetAt == nil {
				running++
			}
		}
		require.Equal(t, 1, running, "no next-response clock for the reopening message: %+v", tk.SLA)
	})
}

// TestSLAEdgePolicySaveRemeasuresStaleTicket: SavePolicy re-measures every
// open ticket in its transaction from a plain read of the ticket (no row
// lock), then overwrites the ticket's SLA rows. A reply that commits in
// between (possible on PostgreSQL READ COMMITTED) is lost from the stored
// targets: the answered first response is stored unmet again, so AtRisk
// (and ClaimEscalations and the report) see it as open. The remeasure
// given here is what Service.SavePolicy passes (select the policy, Measure).
func TestSLAEdgePolicySaveRemeasuresStaleTicket(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "a", Position: 1, Calendar: allHours, Targets: service.Targets{FirstResponse: 60}})
		require.NoError(t, err)
		tk := f.create(t, "x")
		f.clock.Advance(10 * time.Minute)
		now := f.clock.Now()
		sc, err := crmtype.NewScope(ctx, "acme")
		require.NoError(t, err)

		b := &service.Policy{ID: crmtype.NewID(now), Name: "b", Position: 2, Calendar: allHours,
			Targets: service.Targets{Resolution: 600}, PauseStatuses: []service.Status{service.StatusPending},
			WarnFraction: 0.75, Version: 1, CreatedAt: now, UpdatedAt: now}
		ev := crmtype.Event{Time: now, Type: service.EventPolicySaved, SubjectType: service.SubjectPolicy, Subject: b.ID, SubjectKey: "b"}
		replied := make(chan error, 1)
		err = store.New(db).SavePolicy(ctx, sc, b, 0, ev, func(t2 *service.Ticket, ps []*service.Policy, attrs map[string]any) {
			go func() {
				_, _, err := f.svc.Reply(ctx, tk.ID, service.ReplyParams{AuthorID: "a", Body: "on it"})
				replied <- err
			}()
			select { // PostgreSQL: the reply commits now; SQLite: it waits for the write lock
			case err := <-replied:
				replied <- err
			case <-time.After(time.Second):
			}
			p := service.SelectPolicy(ps, service.PolicyInput{Category: t2.Category, Priority: t2.Priority, Channel: t2.Channel,
				TicketAttributes: t2.Attributes, CustomerAttributes: attrs})
			t2.PolicyID = p.ID
			t2.SLA = service.Measure(p, t2.CreatedAt, t2.Activity, now)
		})
		require.NoError(t, err)
		require.NoError(t, <-replied)

		got, err := f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, service.SLAMet, slaOf(t, got, service.MetricFirstResponse, 1).State) // measured from activity on read
		page, err := f.svc.AtRisk(ctx, service.AtRiskParams{Within: 2 * time.Hour})
		require.NoError(t, err)
		require.Empty(t, page.Items, "the stored first response of the answered ticket is unmet again")
	})
}
