package crm_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
	"github.com/kehu/crm/service"
)

// serviceSeed adds the service module's records to a privacySeed: tickets
// with public replies and internal notes, engagements with attendees, and
// Marguerite's ticket merged into 李四's, so that her reply and note sit on
// his ticket.
type serviceSeed struct {
	zhangTicket, margTicket, liTicket *service.Ticket
	zhangEng, liEng                   *service.Engagement
	zhangNeedles, margNeedles         []string // the personal text of this seed
}

func seedService(t *testing.T, ctx context.Context, p privacySeed, clock *crmtype.ManualClock) serviceSeed {
	t.Helper()
	svc := p.ws.Service
	var s serviceSeed
	var err error
	s.zhangNeedles = []string{"Zhang San's router", "Deliver to Huaihai", "Dear Zhang San", "zhangsan.home@example.net", "Little Zhang prefers"}
	s.margNeedles = []string{"Marguerite's laptop", "Hello Marguerite", "Okonkwo rang twice", "Okonkwo residence"}
	s.zhangTicket, err = svc.CreateTicket(ctx, service.TicketParams{CustomerID: p.zhang.ID, Category: service.CategoryAfterSales,
		Subject: "Zhang San's router", Description: "Deliver to Huaihai Rd", Channel: "email"})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, _, err = svc.Reply(ctx, s.zhangTicket.ID, service.ReplyParams{AuthorID: "agent-1", Subject: "Re: router", Body: "Dear Zhang San, please reboot."})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, _, err = svc.Reply(ctx, s.zhangTicket.ID, service.ReplyParams{FromCustomer: true, Body: "Write to zhangsan.home@example.net instead"})
	require.NoError(t, err)
	_, err = svc.AddNote(ctx, s.zhangTicket.ID, "agent-1", "Little Zhang prefers calls")
	require.NoError(t, err)

	s.liTicket, err = svc.CreateTicket(ctx, service.TicketParams{CustomerID: p.li.ID, Category: service.CategoryInquiry, Subject: "李四's tea order"})
	require.NoError(t, err)
	s.margTicket, err = svc.CreateTicket(ctx, service.TicketParams{CustomerID: p.marg.ID, Category: service.CategoryInquiry,
		Subject: "Marguerite's laptop", Channel: "chat"})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	s.margTicket, _, err = svc.Reply(ctx, s.margTicket.ID, service.ReplyParams{AuthorID: "agent-2", Body: "Hello Marguerite, on it."})
	require.NoError(t, err)
	_, err = svc.AddNote(ctx, s.margTicket.ID, "agent-2", "Okonkwo rang twice")
	require.NoError(t, err)
	s.margTicket, err = svc.Ticket(ctx, s.margTicket.ID)
	require.NoError(t, err)
	_, s.liTicket, err = svc.MergeTickets(ctx, s.margTicket.ID, s.liTicket.ID, service.MergeTicketsParams{
		SourceVersion: s.margTicket.Version, TargetVersion: s.liTicket.Version, AuthorID: "agent-2", Note: "same order"})
	require.NoError(t, err)

	start := t0.Add(48 * time.Hour)
	s.zhangEng, err = svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: p.zhang.ID, Kind: service.KindVisit,
		TicketID: s.zhangTicket.ID, ScheduledStart: start, ScheduledEnd: start.Add(time.Hour), Location: "Deliver to Huaihai Rd gate",
		HostIDs: []string{"agent-1"}, Notes: "Little Zhang prefers mornings", Attendees: []service.Attendee{{CustomerID: p.zhang.ID}}})
	require.NoError(t, err)
	s.liEng, err = svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: p.li.ID, Kind: service.KindTraining,
		ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour), Location: "Old Li's shop",
		Attendees: []service.Attendee{{CustomerID: p.li.ID}, {CustomerID: p.zhang.ID}, {CustomerID: p.marg.ID}}})
	require.NoError(t, err)
	margEng, err := svc.CreateEngagement(ctx, service.EngagementParams{CustomerID: p.marg.ID, Kind: service.KindRepair,
		ScheduledStart: start, ScheduledEnd: start.Add(time.Hour), Location: "Okonkwo residence"})
	require.NoError(t, err)
	_, err = svc.CompleteEngagement(ctx, margEng.ID, margEng.Version, service.Completion{Outcome: service.OutcomeCancelled,
		OutcomeNote: "Hello Marguerite: rebook"})
	require.NoError(t, err)
	return s
}

// TestPrivacyServiceErase: erasing a customer leaves no trace of them in
// tickets, replies, notes and engagements, also where a ticket merge moved
// their reply and note to another customer's ticket; the records are kept
// for reporting.
func TestPrivacyServiceErase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := seedService(t, ctx, p, clock)
		erased := append(append(append(append([]string{}, p.zhangNeedles...), p.margNeedles...), s.zhangNeedles...), s.margNeedles...)
		found := whereFound(crmText(t, ctx, db), erased)
		for _, n := range erased {
			require.NotEmpty(t, found[n], "%q is nowhere before the erasure", n)
		}
		require.Contains(t, found["Okonkwo rang twice"], "crm_ticket_notes.body")
		require.Contains(t, found["Little Zhang prefers"], "crm_engagements.notes")

		clock.Advance(time.Hour)
		rep, err := p.ws.Privacy.Erase(ctx, p.zhang.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(1), rep.Scrubbed["crm_tickets"])
		require.Equal(t, int64(1), rep.Scrubbed["crm_ticket_notes"])
		require.Equal(t, int64(1), rep.Scrubbed["crm_engagements"])
		require.Equal(t, int64(2), rep.Scrubbed["crm_interactions"])
		rep, err = p.ws.Privacy.Erase(ctx, p.marg.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(2), rep.Scrubbed["crm_ticket_notes"], "her note, moved to 李四's ticket, and the merge note on hers")
		require.Equal(t, int64(1), rep.Scrubbed["crm_interactions"], "her reply, moved to 李四's ticket")

		requireNowhere(t, ctx, db, erased)
		require.Len(t, whereFound(crmText(t, ctx, db), p.liNeedles), len(p.liNeedles), "李四 is kept")

		// The records stay, without their text.
		svc := p.ws.Service
		tk, err := svc.Ticket(ctx, s.zhangTicket.ID)
		require.NoError(t, err)
		require.Empty(t, tk.Subject)
		require.Equal(t, s.zhangTicket.Number, tk.Number)
		notes, err := svc.Notes(ctx, s.liTicket.ID, 0, "")
		require.NoError(t, err)
		require.Equal(t, []string{"", "same order"}, namesOf(notes.Items, func(n *service.Note) string { return n.Body }))
		li, err := svc.Ticket(ctx, s.liTicket.ID)
		require.NoError(t, err)
		require.Equal(t, "李四's tea order", li.Subject)
		eng, err := svc.Engagement(ctx, s.liEng.ID)
		require.NoError(t, err)
		// An attendance and its assessment are about the person: the
		// erased customers' go, the others' stay.
		require.Equal(t, []crmtype.ID{p.li.ID}, namesOf(eng.Attendees, func(a service.Attendee) crmtype.ID { return a.CustomerID }))
		eng, err = svc.Engagement(ctx, s.zhangEng.ID)
		require.NoError(t, err)
		require.Empty(t, eng.Location)
		require.Empty(t, eng.Notes)
	})
}

// TestPrivacyServicePurge: a purge leaves nothing of the customer in the
// service module's tables, also what a ticket merge moved away from their
// ticket.
func TestPrivacyServicePurge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := seedService(t, ctx, p, clock)
		require.NoError(t, p.ws.Customers.Purge(ctx, p.marg.ID))
		require.NoError(t, p.ws.Customers.Purge(ctx, p.zhang.ID))
		requireNowhere(t, ctx, db, append(append(append(append([]string{}, p.margNeedles...), s.margNeedles...), p.zhangNeedles...), s.zhangNeedles...))
		require.Len(t, whereFound(crmText(t, ctx, db), p.liNeedles), len(p.liNeedles), "李四 is kept")
		eng, err := p.ws.Service.Engagement(ctx, s.liEng.ID)
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{p.li.ID}, namesOf(eng.Attendees, func(a service.Attendee) crmtype.ID { return a.CustomerID }))
	})
}

// TestPrivacyServiceExport: the export has the customer's tickets, notes,
// replies, engagements and attendance.
func TestPrivacyServiceExport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := seedService(t, ctx, p, clock)
		bundle, err := p.ws.Privacy.Export(ctx, p.zhang.ID)
		require.NoError(t, err)
		tbl := bundle.Tables
		require.Len(t, tbl["crm_tickets"], 1)
		require.Equal(t, "Zhang San's router", tbl["crm_tickets"][0]["subject"])
		require.Len(t, tbl["crm_ticket_notes"], 1)
		require.Equal(t, "Little Zhang prefers calls", tbl["crm_ticket_notes"][0]["body"])
		require.Len(t, tbl["crm_interactions"], 2)
		require.Len(t, tbl["crm_engagements"], 1)
		require.Equal(t, "Little Zhang prefers mornings", tbl["crm_engagements"][0]["notes"])
		require.Len(t, tbl["crm_engagement_attendees"], 2)
		js, err := bundle.JSON()
		require.NoError(t, err)
		for _, n := range s.margNeedles {
			require.NotContains(t, string(js), n, "another customer's data")
		}
		require.NotContains(t, string(js), "李四's tea order")
		var decoded struct {
			Tables map[string][]map[string]any `json:"tables"`
		}
		require.NoError(t, json.Unmarshal(js, &decoded))
		require.Equal(t, []any{"agent-1"}, decoded.Tables["crm_engagements"][0]["host_ids"], "host_ids is JSON")

		// Marguerite's reply and note, moved to 李四's ticket, are hers.
		bundle, err = p.ws.Privacy.Export(ctx, p.marg.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, []any{"Okonkwo rang twice", "same order"},
			namesOf(bundle.Tables["crm_ticket_notes"], func(r map[string]any) any { return r["body"] }))
		require.Len(t, bundle.Tables["crm_interactions"], 1)
		require.True(t, strings.Contains(bundle.Tables["crm_interactions"][0]["body"].(string), "Hello Marguerite"))
	})
}

// TestPrivacyServiceCustomerMerge: merging customers re-points their
// tickets, notes, engagements and attendance (an engagement both attend
// keeps the survivor's), and unmerging gives them back.
func TestPrivacyServiceCustomerMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := seedService(t, ctx, p, clock)
		svc := p.ws.Service
		res, err := p.ws.Customers.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{p.li.ID, p.zhang.ID}, Survivor: p.li.ID})
		require.NoError(t, err)
		require.Equal(t, int64(1), res.Moved["crm_tickets"])
		require.Equal(t, int64(1), res.Moved["crm_ticket_notes"])
		require.Equal(t, int64(1), res.Moved["crm_engagements"])
		require.Equal(t, int64(1), res.Moved["crm_engagement_attendees"])
		require.Equal(t, int64(1), res.Dropped["crm_engagement_attendees"], "the training both attended")

		tks, err := svc.Tickets(ctx, service.TicketListParams{CustomerID: p.li.ID})
		require.NoError(t, err)
		require.ElementsMatch(t, []crmtype.ID{s.zhangTicket.ID, s.liTicket.ID}, namesOf(tks.Items, func(t *service.Ticket) crmtype.ID { return t.ID }))
		require.Equal(t, 2, noteCount(t, ctx, db, p.li.ID), "his own merge note and 张三's note")
		eng, err := svc.Engagement(ctx, s.zhangEng.ID)
		require.NoError(t, err)
		require.Equal(t, p.li.ID, eng.CustomerID)
		eng, err = svc.Engagement(ctx, s.liEng.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, []crmtype.ID{p.li.ID, p.marg.ID}, namesOf(eng.Attendees, func(a service.Attendee) crmtype.ID { return a.CustomerID }))

		_, err = p.ws.Customers.Unmerge(ctx, res.ID)
		require.NoError(t, err)
		tks, err = svc.Tickets(ctx, service.TicketListParams{CustomerID: p.zhang.ID})
		require.NoError(t, err)
		require.Len(t, tks.Items, 1)
		require.Equal(t, s.zhangTicket.ID, tks.Items[0].ID)
		require.Equal(t, 1, noteCount(t, ctx, db, p.zhang.ID))
		eng, err = svc.Engagement(ctx, s.liEng.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, []crmtype.ID{p.li.ID, p.zhang.ID, p.marg.ID}, namesOf(eng.Attendees, func(a service.Attendee) crmtype.ID { return a.CustomerID }))
	})
}

func noteCount(t *testing.T, ctx context.Context, db *bun.DB, customerID crmtype.ID) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr("crm_ticket_notes AS tn").Where("tn.workspace_id = ?", "acme").
		Where("tn.customer_id = ?", customerID).Count(ctx)
	require.NoError(t, err)
	return int(n)
}
