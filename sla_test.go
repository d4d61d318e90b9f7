package crm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// allHours is a 24x7 calendar in UTC: business minutes are minutes.
var allHours = service.Calendar{Zone: "UTC", AllHours: true}

// withMessages gives the fixture's service a communication service, so
// that it can record public replies.
func (f *ticketFixture) withMessages(t *testing.T, ws string) {
	t.Helper()
	client, err := newClientWithClock(f.db, f.clock)
	require.NoError(t, err)
	f.svc = service.NewService(store.New(f.db), crmtype.WorkspaceID(ws), service.Config{Clock: f.clock,
		Messages: client.Workspace(ws).Communication})
}

func standardPolicy() service.Policy {
	return service.Policy{Name: "standard", Position: 10, Calendar: allHours,
		Targets: service.Targets{FirstResponse: 60, NextResponse: 30, Resolution: 480}}
}

func slaOf(t *testing.T, tk *service.Ticket, m service.Metric, seq int) service.SLATarget {
	t.Helper()
	for _, g := range tk.SLA {
		if g.Metric == m && g.Seq == seq {
			return g
		}
	}
	t.Fatalf("ticket %s has no %s #%d: %+v", tk.Key(), m, seq, tk.SLA)
	return service.SLATarget{}
}

func TestSLAPolicies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		// Bad input: a typed error naming the field, nothing written.
		bad := standardPolicy()
		bad.Targets = service.Targets{FirstResponse: -1}
		_, err := f.svc.SavePolicy(ctx, bad)
		requireField(t, err, "targets.first_response")
		bad = standardPolicy()
		bad.Calendar = service.Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{time.Monday: {{From: "10:00", To: "09:00"}}}}
		_, err = f.svc.SavePolicy(ctx, bad)
		requireField(t, err, "calendar.week.monday[0].to")
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_sla_policies", "acme"))

		open := f.create(t, "open before the policy")
		require.True(t, open.PolicyID.IsZero())
		require.Empty(t, open.SLA)

		std, err := f.svc.SavePolicy(ctx, standardPolicy())
		require.NoError(t, err)
		require.Equal(t, int64(1), std.Version)
		// The ticket open before the policy is measured from its creation.
		got, err := f.svc.Ticket(ctx, open.ID)
		require.NoError(t, err)
		require.Equal(t, std.ID, got.PolicyID)
		require.Equal(t, open.CreatedAt.Add(60*time.Minute), slaOf(t, got, service.MetricFirstResponse, 1).Deadline)

		urgent := service.Policy{Name: "urgent", Position: 1, Calendar: allHours,
			Conditions: service.Conditions{Priorities: []service.Priority{service.PriorityUrgent}},
			Targets:    service.Targets{FirstResponse: 15, Resolution: 120}}
		u, err := f.svc.SavePolicy(ctx, urgent)
		require.NoError(t, err)
		dup := standardPolicy()
		dup.Position = 99
		_, err = f.svc.SavePolicy(ctx, dup)
		require.ErrorIs(t, err, crmtype.ErrConflict)

		// A priority change measures the ticket anew, as if the urgent
		// policy had applied from its creation.
		f.clock.Advance(20 * time.Minute)
		pr := service.PriorityUrgent
		got, err = f.svc.UpdateTicket(ctx, open.ID, service.TicketUpdate{Version: got.Version, Priority: &pr})
		require.NoError(t, err)
		require.Equal(t, u.ID, got.PolicyID)
		fr := slaOf(t, got, service.MetricFirstResponse, 1)
		require.Equal(t, open.CreatedAt.Add(15*time.Minute), fr.Deadline)
		require.Equal(t, service.SLABreached, fr.State)
		require.Len(t, got.SLA, 2) // urgent sets no next response target

		// Changing a policy's target re-measures the open tickets.
		u.Targets.FirstResponse = 45
		u2, err := f.svc.SavePolicy(ctx, *u)
		require.NoError(t, err)
		require.Equal(t, int64(2), u2.Version)
		_, err = f.svc.SavePolicy(ctx, *u) // stale version
		require.ErrorIs(t, err, crmtype.ErrConflict)
		got, err = f.svc.Ticket(ctx, open.ID)
		require.NoError(t, err)
		fr = slaOf(t, got, service.MetricFirstResponse, 1)
		require.Equal(t, open.CreatedAt.Add(45*time.Minute), fr.Deadline)
		require.Equal(t, service.SLARunning, fr.State)
		require.Equal(t, 20*time.Minute, fr.Elapsed)

		ps, err := f.svc.Policies(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"urgent", "standard"}, []string{ps[0].Name, ps[1].Name})
		require.Equal(t, allHours.Zone, ps[1].Calendar.Zone)

		// Deleting the urgent policy puts the ticket back on the standard one.
		require.ErrorIs(t, f.svc.DeletePolicy(ctx, u2.ID, 1), crmtype.ErrConflict)
		require.NoError(t, f.svc.DeletePolicy(ctx, u2.ID, u2.Version))
		got, err = f.svc.Ticket(ctx, open.ID)
		require.NoError(t, err)
		require.Equal(t, std.ID, got.PolicyID)
		require.Equal(t, open.CreatedAt.Add(60*time.Minute), slaOf(t, got, service.MetricFirstResponse, 1).Deadline)

		// A solved ticket keeps the targets it was measured with, also when
		// its policy is deleted afterwards.
		got, err = f.svc.SetStatus(ctx, got.ID, got.Version, service.StatusSolved)
		require.NoError(t, err)
		std, err = f.svc.SavePolicy(ctx, func() service.Policy { p := *std; p.Version = 1; return p }())
		require.NoError(t, err)
		require.NoError(t, f.svc.DeletePolicy(ctx, std.ID, std.Version))
		f.clock.Advance(24 * time.Hour)
		got, err = f.svc.Ticket(ctx, got.ID)
		require.NoError(t, err)
		res := slaOf(t, got, service.MetricResolution, 1)
		require.Equal(t, service.SLAMet, res.State)
		require.Equal(t, open.CreatedAt.Add(20*time.Minute), *res.MetAt)
		require.Equal(t, 20*time.Minute, res.Elapsed)
		fr = slaOf(t, got, service.MetricFirstResponse, 1)
		require.Equal(t, service.SLAMet, fr.State) // fulfilled by the solve, 20 of 60 minutes
	})
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve), "want a validation error naming %s, got %v", field, err)
	require.Equal(t, field, ve.Field)
}

// TestSLARepliesAndPauses follows a ticket through replies, a pause and
// a reopen on a 24x7 calendar.
func TestSLARepliesAndPauses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		_, err := f.svc.SavePolicy(ctx, standardPolicy())
		require.NoError(t, err)
		tk := f.create(t, "打印机无法连接")
		start := tk.CreatedAt

		f.clock.Advance(40 * time.Minute)
		tk, in, err := f.svc.Reply(ctx, tk.ID, service.ReplyParams{AuthorID: "agent-7", Body: "请重启打印机。"})
		require.NoError(t, err)
		require.Equal(t, communication.Outbound, in.Direction)
		require.Equal(t, tk.ID, in.TicketID)
		fr := slaOf(t, tk, service.MetricFirstResponse, 1)
		require.Equal(t, service.SLAMet, fr.State)
		require.Equal(t, start.Add(40*time.Minute), *fr.MetAt)

		// The reply is in the customer's conversation.
		convs, err := newWorkspaceComm(t, f, "acme").Conversations(ctx, f.cust.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Len(t, convs.Items, 1)

		// Pending for an hour stops the resolution clock.
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusPending)
		require.NoError(t, err)
		f.clock.Advance(time.Hour)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{FromCustomer: true, Body: "还是不行"})
		require.NoError(t, err)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusOpen)
		require.NoError(t, err)
		nr := slaOf(t, tk, service.MetricNextResponse, 1)
		require.Equal(t, service.SLARunning, nr.State)
		require.Equal(t, f.clock.Now().Add(30*time.Minute), nr.Deadline)
		res := slaOf(t, tk, service.MetricResolution, 1)
		require.Equal(t, start.Add(480*time.Minute+time.Hour), res.Deadline) // the pending hour is added
		require.Equal(t, 40*time.Minute, res.Elapsed)

		// Solved, then the customer writes again: the ticket reopens and
		// the resolution clock resumes.
		f.clock.Advance(10 * time.Minute)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
		require.NoError(t, err)
		require.Equal(t, service.SLAMet, slaOf(t, tk, service.MetricResolution, 1).State)
		f.clock.Advance(2 * time.Hour)
		tk, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{FromCustomer: true, Body: "又坏了"})
		require.NoError(t, err)
		require.Equal(t, service.StatusOpen, tk.Status)
		res = slaOf(t, tk, service.MetricResolution, 1)
		require.Equal(t, service.SLARunning, res.State)
		require.Equal(t, 50*time.Minute, res.Elapsed)

		// Closed is final: no more replies; notes are still taken.
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
		require.NoError(t, err)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusClosed)
		require.NoError(t, err)
		before := ticketRowCount(t, ctx, db, "crm_interactions", "acme")
		_, _, err = f.svc.Reply(ctx, tk.ID, service.ReplyParams{Body: "hello"})
		requireField(t, err, "status")
		require.Equal(t, before, ticketRowCount(t, ctx, db, "crm_interactions", "acme"))
		_, err = f.svc.AddNote(ctx, tk.ID, "agent-7", " \u3000 ")
		requireField(t, err, "body")
		n, err := f.svc.AddNote(ctx, tk.ID, "agent-7", "客户很满意 — closed after call")
		require.NoError(t, err)
		notes, err := f.svc.Notes(ctx, tk.ID, 0, "")
		require.NoError(t, err)
		require.Len(t, notes.Items, 1)
		require.Equal(t, n.Body, notes.Items[0].Body)
		types := map[string]int{}
		for _, e := range ticketEventsOf(t, ctx, db, "acme", tk.ID) {
			types[e.Type]++
		}
		require.Equal(t, 3, types[service.EventTicketReplied])
		require.Equal(t, 1, types[service.EventTicketNoteAdded])
	})
}

func newWorkspaceComm(t *testing.T, f *ticketFixture, ws string) *communication.Service {
	t.Helper()
	client, err := newClientWithClock(f.db, f.clock)
	require.NoError(t, err)
	return client.Workspace(ws).Communication
}

// TestSLAEscalationsClaimedOnce: four workers claim every warning and
// every breach exactly once on a fake clock; the breach forecast lists
// the targets by deadline.
func TestSLAEscalationsClaimedOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		_, err := f.svc.SavePolicy(ctx, service.Policy{Name: "p", Calendar: allHours, Targets: service.Targets{Resolution: 100}})
		require.NoError(t, err)
		const n = 20
		for i := range n {
			f.create(t, fmt.Sprintf("t%d", i))
			f.clock.Advance(time.Minute)
		}
		// Deadlines: t0+100m ... t0+119m. At t0+60m none is within 30m.
		page, err := f.svc.AtRisk(ctx, service.AtRiskParams{Within: 30 * time.Minute})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		f.clock.Set(t0.Add(90 * time.Minute))
		page, err = f.svc.AtRisk(ctx, service.AtRiskParams{Within: 15 * time.Minute, Limit: 3})
		require.NoError(t, err)
		require.Len(t, page.Items, 3)
		require.Equal(t, int64(1), page.Items[0].Number)
		require.Equal(t, t0.Add(100*time.Minute), page.Items[0].Deadline)
		require.NotEmpty(t, page.Next)
		rest, err := f.svc.AtRisk(ctx, service.AtRiskParams{Within: 15 * time.Minute, Limit: 100, After: page.Next})
		require.NoError(t, err)
		require.Len(t, rest.Items, 3) // deadlines up to t0+105m: numbers 4..6
		require.Equal(t, int64(4), rest.Items[0].Number)

		claimAll := func() []service.Escalation {
			var mu sync.Mutex
			var all []service.Escalation
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						es, err := f.svc.ClaimEscalations(ctx, 3)
						if !errors.Is(err, nil) {
							t.Error(err)
							return
						}
						if len(es) == 0 {
							return
						}
						mu.Lock()
						all = append(all, es...)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return all
		}
		// Warnings are due at 75 minutes: every ticket by t0+95m.
		f.clock.Set(t0.Add(95 * time.Minute))
		warn := claimAll()
		require.Len(t, warn, n)
		seen := map[crmtype.ID]bool{}
		for _, e := range warn {
			require.Equal(t, service.LevelWarning, e.Level)
			require.False(t, seen[e.TicketID], "claimed twice")
			seen[e.TicketID] = true
		}
		require.Empty(t, claimAll())
		f.clock.Set(t0.Add(3 * time.Hour))
		breach := claimAll()
		require.Len(t, breach, n)
		for _, e := range breach {
			require.Equal(t, service.LevelBreach, e.Level)
			require.Equal(t, e.Deadline, e.Due)
		}
		require.Empty(t, claimAll())
		_, err = f.svc.ClaimEscalations(ctx, 0)
		requireField(t, err, "limit")
		var events int
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.Type == service.EventTicketEscalated {
				events++
			}
		}
		require.Equal(t, 2*n, events)
	})
}

func TestTicketParents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		problem := f.create(t, "outage")
		child, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryInquiry,
			Subject: "cannot log in", ParentID: problem.ID})
		require.NoError(t, err)
		require.Equal(t, problem.ID, child.ParentID)
		// One level: a child cannot be a parent, a parent cannot get one.
		_, err = f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryInquiry,
			Subject: "grandchild", ParentID: child.ID})
		requireField(t, err, "parent_id")
		other := f.create(t, "other")
		_, err = f.svc.UpdateTicket(ctx, problem.ID, service.TicketUpdate{Version: problem.Version, ParentID: &other.ID})
		requireField(t, err, "parent_id")
		_, err = f.svc.UpdateTicket(ctx, other.ID, service.TicketUpdate{Version: other.Version, ParentID: &other.ID})
		requireField(t, err, "parent_id")
		missing := crmtype.NewID(t0)
		_, err = f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryInquiry,
			Subject: "x", ParentID: missing})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		kids, err := f.svc.Tickets(ctx, service.TicketListParams{ParentID: problem.ID})
		require.NoError(t, err)
		require.Len(t, kids.Items, 1)
		require.Equal(t, child.ID, kids.Items[0].ID)
	})
}

// TestSLAWorkspaces: no SLA, reply or note call of one workspace sees or
// touches another's rows.
func TestSLAWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		a := newTicketFixture(t, db, "acme", 0)
		a.withMessages(t, "acme")
		b := newTicketFixture(t, db, "beta", 0)
		b.withMessages(t, "beta")
		pa, err := a.svc.SavePolicy(ctx, service.Policy{Name: "p", Calendar: allHours, Targets: service.Targets{Resolution: 10}})
		require.NoError(t, err)
		ta := a.create(t, "a's ticket")
		_, err = a.svc.AddNote(ctx, ta.ID, "x", "note")
		require.NoError(t, err)
		a.clock.Advance(time.Hour)

		ps, err := b.svc.Policies(ctx)
		require.NoError(t, err)
		require.Empty(t, ps)
		require.ErrorIs(t, b.svc.DeletePolicy(ctx, pa.ID, pa.Version), crmtype.ErrNotFound)
		pa.Name = "renamed"
		_, err = b.svc.SavePolicy(ctx, *pa)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		risk, err := b.svc.AtRisk(ctx, service.AtRiskParams{Within: 24 * time.Hour})
		require.NoError(t, err)
		require.Empty(t, risk.Items)
		es, err := b.svc.ClaimEscalations(ctx, 100)
		require.NoError(t, err)
		require.Empty(t, es)
		_, _, err = b.svc.Reply(ctx, ta.ID, service.ReplyParams{Body: "hi"})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.AddNote(ctx, ta.ID, "x", "note")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.Notes(ctx, ta.ID, 0, "")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.CreateTicket(ctx, service.TicketParams{CustomerID: b.cust.ID, Category: "inquiry", Subject: "x", ParentID: ta.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		// acme's own calls still see everything.
		risk, err = a.svc.AtRisk(ctx, service.AtRiskParams{})
		require.NoError(t, err)
		require.Len(t, risk.Items, 1)
		require.True(t, risk.Items[0].Breached)
		es, err = a.svc.ClaimEscalations(ctx, 100)
		require.NoError(t, err)
		require.Len(t, es, 1)
		require.Equal(t, 1, ticketRowCount(t, ctx, db, "crm_sla_policies", "acme"))
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_sla_policies", "beta"))
	})
}

func newClientWithClock(db *bun.DB, clock *crmtype.ManualClock) (*crm.Client, error) {
	return crm.New(db, &crm.Config{Clock: clock})
}
