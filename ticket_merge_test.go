package crm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
)

// ticketTables are the tables a ticket merge may write.
var ticketTables = []string{"crm_tickets", "crm_ticket_notes", "crm_ticket_slas", "crm_interactions", "crm_conversations", "crm_events"}

// dumpTicketTables renders every row of workspace ws in ticketTables, for
// comparing before and after a refused merge.
func dumpTicketTables(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range ticketTables {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+table+" WHERE workspace_id = ? ORDER BY 1, 2, 3", ws)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			var b strings.Builder
			for i, v := range vals {
				switch x := v.(type) {
				case time.Time:
					v = x.UTC().Format(time.RFC3339Nano)
				case []byte:
					v = string(x)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	return out
}

// interactionTickets returns the ticket_id and customer_id of workspace
// ws's interactions, by interaction id.
func interactionTickets(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[crmtype.ID][2]crmtype.ID {
	t.Helper()
	var rows []struct {
		ID         crmtype.ID `bun:"id,type:uuid"`
		TicketID   crmtype.ID `bun:"ticket_id,type:uuid"`
		CustomerID crmtype.ID `bun:"customer_id,type:uuid"`
	}
	require.NoError(t, db.NewSelect().TableExpr("crm_interactions AS i").Column("i.id", "i.ticket_id", "i.customer_id").
		Where("i.workspace_id = ?", ws).Scan(ctx, &rows))
	out := map[crmtype.ID][2]crmtype.ID{}
	for _, r := range rows {
		out[r.ID] = [2]crmtype.ID{r.TicketID, r.CustomerID}
	}
	return out
}

func eventTypesOf(evs []crmtype.Event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e.Type]++
	}
	return out
}

// TestMergeTickets merges a ticket of one customer, with replies, a note,
// a child and tags, into another customer's ticket.
func TestMergeTickets(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		client, err := newClientWithClock(db, f.clock)
		require.NoError(t, err)
		ws := client.Workspace("acme")
		other, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "李四", CompanyID: f.company.ID})
		require.NoError(t, err)
		_, err = f.svc.SavePolicy(ctx, standardPolicy())
		require.NoError(t, err)

		target, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryTechnicalSupport,
			Subject: "VPN down", Tags: []string{"network"}})
		require.NoError(t, err)
		start := target.CreatedAt
		f.clock.Advance(5 * time.Minute)
		source, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: other.ID, Category: service.CategoryTechnicalSupport,
			Subject: "cannot connect", Tags: []string{"vpn", "network"}})
		require.NoError(t, err)
		f.clock.Advance(5 * time.Minute)
		source, agentReply, err := f.svc.Reply(ctx, source.ID, service.ReplyParams{AuthorID: "agent-1", Body: "Which client version?"})
		require.NoError(t, err)
		f.clock.Advance(5 * time.Minute)
		source, custReply, err := f.svc.Reply(ctx, source.ID, service.ReplyParams{FromCustomer: true, Body: "4.2"})
		require.NoError(t, err)
		srcNote, err := f.svc.AddNote(ctx, source.ID, "agent-1", "same as the VPN outage")
		require.NoError(t, err)
		child, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: other.ID, Category: service.CategoryInquiry,
			Subject: "laptop 2", ParentID: source.ID})
		require.NoError(t, err)
		task, err := ws.Communication.CreateTask(ctx, communication.TaskParams{CustomerID: other.ID, Subject: "call back",
			DueAt: f.clock.Now().Add(24 * time.Hour), TicketID: source.ID})
		require.NoError(t, err)
		visit, err := f.svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: other.ID, Kind: service.KindVisit,
			TicketID: source.ID, ScheduledStart: f.clock.Now().Add(48 * time.Hour), ScheduledEnd: f.clock.Now().Add(50 * time.Hour)})
		require.NoError(t, err)
		source, err = f.svc.Ticket(ctx, source.ID)
		require.NoError(t, err)
		require.Equal(t, service.SLARunning, slaOf(t, target, service.MetricFirstResponse, 1).State)

		now := f.clock.Advance(time.Minute)
		src, dst, err := f.svc.MergeTickets(ctx, source.ID, target.ID, service.MergeTicketsParams{
			SourceVersion: source.Version, TargetVersion: target.Version, AuthorID: "agent-2", Note: "merged: one outage"})
		require.NoError(t, err)

		// The follow-ups moved with the case.
		movedTask, err := ws.Communication.Task(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, target.ID, movedTask.TicketID)
		require.Equal(t, task.Version+1, movedTask.Version)
		movedVisit, err := f.svc.Engagement(ctx, visit.ID)
		require.NoError(t, err)
		require.Equal(t, target.ID, movedVisit.TicketID)

		// The source: closed, not solved, pointing at the target.
		require.Equal(t, service.StatusClosed, src.Status)
		require.Equal(t, target.ID, src.MergedIntoID)
		require.Equal(t, now, *src.ClosedAt)
		require.Nil(t, src.SolvedAt)
		require.Equal(t, source.Version+1, src.Version)
		require.Equal(t, other.ID, src.CustomerID)
		// The target: the source's tags and replies; its SLA measured
		// anew, the source's earlier reply its first response.
		require.Equal(t, target.Version+1, dst.Version)
		require.Equal(t, f.cust.ID, dst.CustomerID)
		require.Equal(t, service.StatusNew, dst.Status)
		require.Equal(t, []string{"network", "vpn"}, dst.Tags)
		fr := slaOf(t, dst, service.MetricFirstResponse, 1)
		require.Equal(t, service.SLAMet, fr.State)
		require.Equal(t, start.Add(10*time.Minute), *fr.MetAt)
		require.Equal(t, service.SLARunning, slaOf(t, dst, service.MetricNextResponse, 1).State)
		// As read back.
		for _, want := range []*service.Ticket{src, dst} {
			got, err := f.svc.Ticket(ctx, want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}

		// The replies moved, each keeping its customer; the notes moved,
		// and the merge note is on both.
		links := interactionTickets(t, ctx, db, "acme")
		require.Equal(t, [2]crmtype.ID{target.ID, other.ID}, links[agentReply.ID])
		require.Equal(t, [2]crmtype.ID{target.ID, other.ID}, links[custReply.ID])
		notes, err := f.svc.Notes(ctx, target.ID, 0, "")
		require.NoError(t, err)
		require.Equal(t, []string{srcNote.Body, "merged: one outage"}, namesOf(notes.Items, func(n *service.Note) string { return n.Body }))
		require.Equal(t, "agent-2", notes.Items[1].AuthorID)
		notes, err = f.svc.Notes(ctx, source.ID, 0, "")
		require.NoError(t, err)
		require.Equal(t, []string{"merged: one outage"}, namesOf(notes.Items, func(n *service.Note) string { return n.Body }))
		// The reply shows in the source customer's conversation still.
		convs, err := ws.Communication.Conversations(ctx, other.ID, communication.ListParams{})
		require.NoError(t, err)
		require.Len(t, convs.Items, 1)

		// The child is the target's now.
		kids, err := f.svc.Tickets(ctx, service.TicketListParams{ParentID: target.ID})
		require.NoError(t, err)
		require.Len(t, kids.Items, 1)
		require.Equal(t, child.ID, kids.Items[0].ID)
		require.Equal(t, child.Version+1, kids.Items[0].Version)
		kids, err = f.svc.Tickets(ctx, service.TicketListParams{ParentID: source.ID})
		require.NoError(t, err)
		require.Empty(t, kids.Items)

		// Events: merged on both, with the note added on both.
		srcEvs := ticketEventsOf(t, ctx, db, "acme", source.ID)
		require.Equal(t, 1, eventTypesOf(srcEvs)[service.EventTicketMerged])
		require.Equal(t, 2, eventTypesOf(srcEvs)[service.EventTicketNoteAdded])
		dstEvs := ticketEventsOf(t, ctx, db, "acme", target.ID)
		require.Equal(t, 1, eventTypesOf(dstEvs)[service.EventTicketMerged])
		require.Equal(t, 1, eventTypesOf(dstEvs)[service.EventTicketNoteAdded])
		for _, e := range dstEvs {
			if e.Type != service.EventTicketMerged {
				continue
			}
			require.Equal(t, f.cust.ID, e.Customer)
			ch := map[string]any{}
			for _, c := range e.Changes {
				ch[c.Field] = c.After
			}
			require.Equal(t, source.ID.String(), ch["merged_from_id"])
			require.Equal(t, float64(2), ch["replies"])
			require.Equal(t, float64(1), ch["notes"])
			require.Equal(t, []any{child.ID.String()}, ch["children"])
			require.Equal(t, []any{"network", "vpn"}, ch["tags"])
		}

		// Closed is final: no reply, no second merge of either ticket.
		_, _, err = f.svc.Reply(ctx, source.ID, service.ReplyParams{Body: "hello"})
		requireField(t, err, "status")
		third := f.create(t, "third")
		_, _, err = f.svc.MergeTickets(ctx, source.ID, third.ID, service.MergeTicketsParams{SourceVersion: src.Version, TargetVersion: third.Version})
		requireField(t, err, "source_id")
		_, _, err = f.svc.MergeTickets(ctx, third.ID, source.ID, service.MergeTicketsParams{SourceVersion: third.Version, TargetVersion: src.Version})
		requireField(t, err, "target_id")
		// The target takes replies, and another merge.
		_, _, err = f.svc.Reply(ctx, target.ID, service.ReplyParams{Body: "Fixed."})
		require.NoError(t, err)
		dst, err = f.svc.Ticket(ctx, target.ID)
		require.NoError(t, err)
		_, dst, err = f.svc.MergeTickets(ctx, third.ID, target.ID, service.MergeTicketsParams{SourceVersion: third.Version, TargetVersion: dst.Version})
		require.NoError(t, err)
		require.Equal(t, []string{"network", "vpn"}, dst.Tags)
	})
}

// TestMergeTicketsRefused: every refusal writes nothing.
func TestMergeTicketsRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		a := f.create(t, "a")
		b := f.create(t, "b")
		parent := f.create(t, "parent")
		kid, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryInquiry,
			Subject: "kid", ParentID: parent.ID})
		require.NoError(t, err)
		withKid := f.create(t, "with a kid")
		_, err = f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: service.CategoryInquiry,
			Subject: "kid 2", ParentID: withKid.ID})
		require.NoError(t, err)
		closed := f.create(t, "closed")
		closed, err = f.svc.SetStatus(ctx, closed.ID, closed.Version, service.StatusSolved)
		require.NoError(t, err)
		closed, err = f.svc.SetStatus(ctx, closed.ID, closed.Version, service.StatusClosed)
		require.NoError(t, err)
		f.clock.Advance(time.Minute)

		before := dumpTicketTables(t, ctx, db, "acme")
		v := func(src, dst *service.Ticket) service.MergeTicketsParams {
			return service.MergeTicketsParams{SourceVersion: src.Version, TargetVersion: dst.Version, Note: "x"}
		}
		_, _, err = f.svc.MergeTickets(ctx, a.ID, a.ID, v(a, a))
		requireField(t, err, "target_id")
		_, _, err = f.svc.MergeTickets(ctx, closed.ID, a.ID, v(closed, a))
		requireField(t, err, "source_id")
		_, _, err = f.svc.MergeTickets(ctx, a.ID, closed.ID, v(a, closed))
		requireField(t, err, "target_id")
		// A child cannot adopt the source's children; a parent can merge
		// into a plain ticket, a child into anything open.
		_, _, err = f.svc.MergeTickets(ctx, withKid.ID, kid.ID, v(withKid, kid))
		requireField(t, err, "target_id")
		// Stale versions.
		_, _, err = f.svc.MergeTickets(ctx, a.ID, b.ID, service.MergeTicketsParams{SourceVersion: a.Version + 1, TargetVersion: b.Version})
		require.ErrorIs(t, err, crmtype.ErrConflict)
		var ce *crmtype.ConflictError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "source_version", ce.Field)
		_, _, err = f.svc.MergeTickets(ctx, a.ID, b.ID, service.MergeTicketsParams{SourceVersion: a.Version, TargetVersion: b.Version + 1})
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "target_version", ce.Field)
		// Missing tickets.
		missing := crmtype.NewID(t0)
		_, _, err = f.svc.MergeTickets(ctx, missing, b.ID, service.MergeTicketsParams{SourceVersion: 1, TargetVersion: b.Version})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, _, err = f.svc.MergeTickets(ctx, a.ID, missing, service.MergeTicketsParams{SourceVersion: a.Version, TargetVersion: 1})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, dumpTicketTables(t, ctx, db, "acme"), "a refused merge writes nothing")

		// What is allowed: a child into a parent's sibling, a parent with
		// children into a plain ticket.
		_, _, err = f.svc.MergeTickets(ctx, kid.ID, a.ID, v(kid, a))
		require.NoError(t, err)
		_, b2, err := f.svc.MergeTickets(ctx, withKid.ID, b.ID, v(withKid, b))
		require.NoError(t, err)
		kids, err := f.svc.Tickets(ctx, service.TicketListParams{ParentID: b2.ID})
		require.NoError(t, err)
		require.Len(t, kids.Items, 1)
	})
}

// TestMergeTicketsWorkspaces: a merge never reaches another workspace's
// tickets.
func TestMergeTicketsWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		a := newTicketFixture(t, db, "acme", 0)
		b := newTicketFixture(t, db, "beta", 0)
		a1, a2 := a.create(t, "a1"), a.create(t, "a2")
		b1, b2 := b.create(t, "b1"), b.create(t, "b2")
		_, err := a.svc.AddNote(ctx, a1.ID, "x", "a's note")
		require.NoError(t, err)
		a1, err = a.svc.Ticket(ctx, a1.ID)
		require.NoError(t, err)
		beforeA, beforeB := dumpTicketTables(t, ctx, db, "acme"), dumpTicketTables(t, ctx, db, "beta")
		for _, c := range [][2]*service.Ticket{{a1, a2}, {a1, b1}, {b1, a1}} {
			_, _, err := b.svc.MergeTickets(ctx, c[0].ID, c[1].ID, service.MergeTicketsParams{SourceVersion: c[0].Version, TargetVersion: c[1].Version})
			require.ErrorIs(t, err, crmtype.ErrNotFound)
		}
		_, _, err = a.svc.MergeTickets(ctx, a1.ID, b1.ID, service.MergeTicketsParams{SourceVersion: a1.Version, TargetVersion: b1.Version})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, beforeA, dumpTicketTables(t, ctx, db, "acme"))
		require.Equal(t, beforeB, dumpTicketTables(t, ctx, db, "beta"))

		// Each merges its own; the other's rows stay as they were.
		_, _, err = b.svc.MergeTickets(ctx, b1.ID, b2.ID, service.MergeTicketsParams{SourceVersion: b1.Version, TargetVersion: b2.Version})
		require.NoError(t, err)
		require.Equal(t, beforeA, dumpTicketTables(t, ctx, db, "acme"))
		_, a2m, err := a.svc.MergeTickets(ctx, a1.ID, a2.ID, service.MergeTicketsParams{SourceVersion: a1.Version, TargetVersion: a2.Version})
		require.NoError(t, err)
		notes, err := a.svc.Notes(ctx, a2m.ID, 0, "")
		require.NoError(t, err)
		require.Len(t, notes.Items, 1)
		_, err = b.svc.Notes(ctx, a2m.ID, 0, "")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
	})
}

// TestMergeTicketsConcurrent: merges of the same pair either way round,
// at once, do not deadlock: one wins, the other finds a stale version.
func TestMergeTicketsConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		for round := range 5 {
			x, y := f.create(t, fmt.Sprintf("x%d", round)), f.create(t, fmt.Sprintf("y%d", round))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]*service.Ticket{{x, y}, {y, x}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = f.svc.MergeTickets(ctx, pair[0].ID, pair[1].ID,
						service.MergeTicketsParams{SourceVersion: pair[0].Version, TargetVersion: pair[1].Version})
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
					continue
				}
				var ce *crmtype.ConflictError
				require.True(t, errors.As(err, &ce), "%v", err)
				require.Contains(t, []string{"source_version", "target_version"}, ce.Field, "not a deadlock: %v", err)
			}
			require.Equal(t, 1, ok, "%v", errs)
		}
	})
}

// TestTicketTimeline: a ticket's creation, its replies and a merge show on
// the customer's timeline.
func TestTicketTimeline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		f.withMessages(t, "acme")
		client, err := newClientWithClock(db, f.clock)
		require.NoError(t, err)
		ws := client.Workspace("acme")
		other, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "王五"})
		require.NoError(t, err)
		target := f.create(t, "target")
		f.clock.Advance(time.Minute)
		source, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: other.ID, Category: service.CategoryInquiry, Subject: "source"})
		require.NoError(t, err)
		f.clock.Advance(time.Minute)
		source, in, err := f.svc.Reply(ctx, source.ID, service.ReplyParams{FromCustomer: true, Body: "hello"})
		require.NoError(t, err)
		f.clock.Advance(time.Minute)
		_, _, err = f.svc.MergeTickets(ctx, source.ID, target.ID, service.MergeTicketsParams{SourceVersion: source.Version, TargetVersion: target.Version})
		require.NoError(t, err)

		tl := timelineAll(t, ctx, ws, other.ID, event.Query{})
		var types []string
		for _, e := range tl {
			if e.SubjectType == service.SubjectTicket {
				require.Equal(t, source.ID, e.Subject)
			}
			types = append(types, e.Type)
		}
		// Newest first; the reply is there as the ticket's event and as the
		// interaction itself, which stays with its customer.
		require.Equal(t, []string{service.EventTicketMerged, service.EventTicketReplied, communication.EventInteractionRecorded,
			service.EventTicketCreated, customer.EventCustomerCreated}, types)
		require.Equal(t, in.ID, tl[2].Subject)
		tl = timelineAll(t, ctx, ws, f.cust.ID, event.Query{})
		require.Equal(t, service.EventTicketMerged, tl[0].Type)
		require.Equal(t, target.ID, tl[0].Subject)
	})
}
