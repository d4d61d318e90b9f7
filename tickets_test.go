package crm_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
	"github.com/kehu/crm/store"
)

// ticketFixture is a migrated database with a customer, a company and a
// purchase in workspace "acme", and a ticket service for it.
type ticketFixture struct {
	db       *bun.DB
	clock    *crmtype.ManualClock
	svc      *service.Service
	cust     *customer.Customer
	company  *customer.Customer
	purchase *customer.Purchase
}

func newTicketFixture(t *testing.T, db *bun.DB, ws string, window time.Duration) *ticketFixture {
	t.Helper()
	ctx := context.Background()
	client, clock := newClient(t, db)
	require.NoError(t, client.Migrate(ctx))
	w := client.Workspace(ws)
	co, err := w.Customers.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "阿里巴巴"})
	require.NoError(t, err)
	c, err := w.Customers.Create(ctx, customer.CreateParams{Name: "张三", CompanyID: co.ID})
	require.NoError(t, err)
	p, err := w.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0,
		Amount: crmtype.Money{Minor: 1999, Currency: "CNY"}, Quantity: 1, OrderID: "o-1"})
	require.NoError(t, err)
	svc := service.NewService(store.New(db), crmtype.WorkspaceID(ws), service.Config{Clock: clock, ReopenWindow: window})
	return &ticketFixture{db: db, clock: clock, svc: svc, cust: c, company: co, purchase: p}
}

func (f *ticketFixture) create(t *testing.T, subject string) *service.Ticket {
	t.Helper()
	tk, err := f.svc.CreateTicket(context.Background(), service.TicketParams{CustomerID: f.cust.ID,
		Category: service.CategoryTechnicalSupport, Subject: subject})
	require.NoError(t, err)
	return tk
}

func ticketEventsOf(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID) []crmtype.Event {
	t.Helper()
	var out []crmtype.Event
	for _, e := range eventLog(t, ctx, db, ws) {
		if e.SubjectType == service.SubjectTicket && e.Subject == id {
			out = append(out, e)
		}
	}
	return out
}

func ticketRowCount(t *testing.T, ctx context.Context, db *bun.DB, table, ws string) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Where("workspace_id = ?", ws).Count(ctx)
	require.NoError(t, err)
	return int(n)
}

func TestTicketCreateReadUpdate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crmtype.WithActor(context.Background(), "agent-7")
		f := newTicketFixture(t, db, "acme", 0)
		tk, err := f.svc.CreateTicket(ctx, service.TicketParams{
			CustomerID: f.cust.ID, CompanyID: f.company.ID, PurchaseID: f.purchase.ID, Product: "X1 Router",
			Category: service.CategoryAfterSales, Priority: service.PriorityHigh, Channel: "Email",
			Subject: "  Router reboots  ", Description: "It reboots every hour.\nSince Monday.",
			AssigneeID: "u-1", TeamID: "support", Tags: []string{"VIP", "wifi", "vip"},
			Attributes: map[string]string{"serial": "SN-1"},
		})
		require.NoError(t, err)
		require.Equal(t, int64(1), tk.Number)
		require.Equal(t, "T-1", tk.Key())
		require.Equal(t, service.StatusNew, tk.Status)
		require.Equal(t, "Router reboots", tk.Subject)
		require.Equal(t, "email", tk.Channel)
		require.Equal(t, []string{"vip", "wifi"}, tk.Tags)
		require.Equal(t, int64(1), tk.Version)

		got, err := f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, tk, got)
		got, err = f.svc.TicketByNumber(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, tk, got)
		_, err = f.svc.TicketByNumber(ctx, 2)
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// A workspace-defined category and the default priority.
		tk2, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID, Category: "warranty-claim", Subject: "Broken"})
		require.NoError(t, err)
		require.Equal(t, int64(2), tk2.Number)
		require.Equal(t, service.PriorityNormal, tk2.Priority)

		f.clock.Advance(time.Minute)
		subj, prio, tags := "Router reboots hourly", service.PriorityUrgent, []string{"wifi"}
		up, err := f.svc.UpdateTicket(ctx, tk.ID, service.TicketUpdate{Version: 1, Subject: &subj, Priority: &prio, Tags: &tags})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, subj, up.Subject)
		require.Equal(t, f.clock.Now(), up.UpdatedAt)
		got, err = f.svc.Ticket(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)

		// A stale version is a conflict; nothing changes.
		_, err = f.svc.UpdateTicket(ctx, tk.ID, service.TicketUpdate{Version: 1, Subject: &subj})
		require.ErrorIs(t, err, crmtype.ErrConflict)
		// No change: same version, no event.
		same, err := f.svc.UpdateTicket(ctx, tk.ID, service.TicketUpdate{Version: 2, Subject: &subj})
		require.NoError(t, err)
		require.Equal(t, int64(2), same.Version)

		evs := ticketEventsOf(t, ctx, db, "acme", tk.ID)
		require.Len(t, evs, 2)
		require.Equal(t, service.EventTicketCreated, evs[0].Type)
		require.Equal(t, f.cust.ID, evs[0].Customer)
		require.Equal(t, "agent-7", evs[0].Actor)
		require.Equal(t, float64(1), changeOf(t, evs[0], "number").After)
		require.Equal(t, []any{"vip", "wifi"}, changeOf(t, evs[0], "tags").After)
		require.Equal(t, service.EventTicketUpdated, evs[1].Type)
		require.Equal(t, f.cust.ID, evs[1].Customer)
		require.Len(t, evs[1].Changes, 3) // priority, subject, tags
		require.Equal(t, "high", changeOf(t, evs[1], "priority").Before)
		require.Equal(t, "urgent", changeOf(t, evs[1], "priority").After)

		// Bad input names the field and writes nothing.
		before := ticketRowCount(t, ctx, db, "crm_tickets", "acme")
		evBefore := ticketRowCount(t, ctx, db, "crm_events", "acme")
		for field, p := range map[string]service.TicketParams{
			"customer_id": {Category: "inquiry", Subject: "x"},
			"category":    {CustomerID: f.cust.ID, Subject: "x"},
			"subject":     {CustomerID: f.cust.ID, Category: "inquiry", Subject: " "},
			"priority":    {CustomerID: f.cust.ID, Category: "inquiry", Subject: "x", Priority: "asap"},
			"channel":     {CustomerID: f.cust.ID, Category: "inquiry", Subject: "x", Channel: "e mail"},
			"tags[1]":     {CustomerID: f.cust.ID, Category: "inquiry", Subject: "x", Tags: []string{"a", ""}},
			"attributes":  {CustomerID: f.cust.ID, Category: "inquiry", Subject: "x", Attributes: map[string]string{"Bad Key": "v"}},
		} {
			_, err := f.svc.CreateTicket(ctx, p)
			require.ErrorIs(t, err, crmtype.ErrInvalid, field)
			var ve *crmtype.ValidationError
			require.ErrorAs(t, err, &ve, field)
			require.Equal(t, field, ve.Field)
		}
		// Unknown references are not found.
		for name, p := range map[string]service.TicketParams{
			"customer": {CustomerID: crmtype.NewID(t0), Category: "inquiry", Subject: "x"},
			"company":  {CustomerID: f.cust.ID, CompanyID: f.cust.ID /* a person */, Category: "inquiry", Subject: "x"},
			"purchase": {CustomerID: f.cust.ID, PurchaseID: crmtype.NewID(t0), Category: "inquiry", Subject: "x"},
		} {
			_, err := f.svc.CreateTicket(ctx, p)
			require.ErrorIs(t, err, crmtype.ErrNotFound, name)
		}
		bad := crmtype.NewID(t0)
		_, err = f.svc.UpdateTicket(ctx, tk.ID, service.TicketUpdate{Version: 2, PurchaseID: &bad})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, ticketRowCount(t, ctx, db, "crm_tickets", "acme"))
		require.Equal(t, evBefore, ticketRowCount(t, ctx, db, "crm_events", "acme"))

		// The next ticket still gets the next number: failures use none.
		tk3 := f.create(t, "third")
		require.Equal(t, int64(3), tk3.Number)

		// Lists, paged by number.
		page, err := f.svc.Tickets(ctx, service.TicketListParams{CustomerID: f.cust.ID, Limit: 2})
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		require.NotEmpty(t, page.Next)
		page2, err := f.svc.Tickets(ctx, service.TicketListParams{CustomerID: f.cust.ID, Limit: 2, After: page.Next})
		require.NoError(t, err)
		require.Len(t, page2.Items, 1)
		require.Equal(t, int64(3), page2.Items[0].Number)
		require.Empty(t, page2.Next)
		page, err = f.svc.Tickets(ctx, service.TicketListParams{AssigneeID: "u-1"})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
	})
}

func TestTicketNumbersConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		const workers, each = 16, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		nums := make(chan int64, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					tk, err := f.svc.CreateTicket(ctx, service.TicketParams{CustomerID: f.cust.ID,
						Category: service.CategoryInquiry, Subject: fmt.Sprintf("w%d-%d", w, i)})
					if err != nil {
						errs <- err
						continue
					}
					nums <- tk.Number
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(nums)
		for err := range errs {
			require.NoError(t, err)
		}
		var got []int64
		for n := range nums {
			got = append(got, n)
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		require.Len(t, got, workers*each)
		for i, n := range got {
			require.Equal(t, int64(i+1), n)
		}
		var stored []int64
		require.NoError(t, db.NewSelect().TableExpr("crm_tickets").Column("number").Where("workspace_id = 'acme'").
			OrderExpr("number").Scan(ctx, &stored))
		require.Equal(t, got, stored)
	})
}

func TestTicketTransitions(t *testing.T) {
	allowed := map[[2]service.Status]bool{}
	for _, p := range [][2]service.Status{
		{"new", "open"}, {"new", "pending"}, {"new", "on_hold"}, {"new", "solved"},
		{"open", "pending"}, {"open", "on_hold"}, {"open", "solved"},
		{"pending", "open"}, {"pending", "on_hold"}, {"pending", "solved"},
		{"on_hold", "open"}, {"on_hold", "pending"}, {"on_hold", "solved"},
		{"solved", "closed"}, {"solved", "open"},
	} {
		allowed[p] = true
	}
	// paths reach each status from new.
	paths := map[service.Status][]service.Status{
		"new": nil, "open": {"open"}, "pending": {"pending"}, "on_hold": {"on_hold"},
		"solved": {"solved"}, "closed": {"solved", "closed"},
	}
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 0)
		for _, from := range service.Statuses {
			for _, to := range service.Statuses {
				t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
					tk := f.create(t, fmt.Sprintf("%s to %s", from, to))
					var err error
					for _, st := range paths[from] {
						tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, st)
						require.NoError(t, err)
					}
					require.Equal(t, from, tk.Status)
					nEvents := len(ticketEventsOf(t, ctx, db, "acme", tk.ID))
					got, err := f.svc.SetStatus(ctx, tk.ID, tk.Version, to)
					evs := ticketEventsOf(t, ctx, db, "acme", tk.ID)
					switch {
					case from == to:
						require.NoError(t, err)
						require.Equal(t, tk.Version, got.Version)
						require.Len(t, evs, nEvents)
					case allowed[[2]service.Status{from, to}]:
						require.NoError(t, err)
						require.Equal(t, to, got.Status)
						require.Equal(t, tk.Version+1, got.Version)
						require.Len(t, evs, nEvents+1)
						last := evs[len(evs)-1]
						require.Equal(t, service.EventTicketStatusChanged, last.Type)
						require.Equal(t, f.cust.ID, last.Customer)
						require.Equal(t, []crmtype.Change{{Field: "status", Before: string(from), After: string(to)}}, last.Changes)
						if to == service.StatusSolved {
							require.NotNil(t, got.SolvedAt)
						}
						if to == service.StatusClosed {
							require.NotNil(t, got.ClosedAt)
						}
						if to == service.StatusOpen {
							require.Nil(t, got.SolvedAt)
						}
					default:
						require.ErrorIs(t, err, crmtype.ErrInvalid)
						var ve *crmtype.ValidationError
						require.ErrorAs(t, err, &ve)
						require.Equal(t, "status", ve.Field)
						require.Len(t, evs, nEvents)
						now, err := f.svc.Ticket(ctx, tk.ID)
						require.NoError(t, err)
						require.Equal(t, tk, now)
					}
				})
			}
		}
		// A closed ticket takes no update either.
		tk := f.create(t, "closed")
		tk, err := f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
		require.NoError(t, err)
		tk, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusClosed)
		require.NoError(t, err)
		s := "again"
		_, err = f.svc.UpdateTicket(ctx, tk.ID, service.TicketUpdate{Version: tk.Version, Subject: &s})
		require.ErrorIs(t, err, crmtype.ErrInvalid)
		_, err = f.svc.SetStatus(ctx, tk.ID, tk.Version, "reopened")
		require.ErrorIs(t, err, crmtype.ErrInvalid)
		_, err = f.svc.SetStatus(ctx, tk.ID, tk.Version-1, service.StatusOpen)
		require.ErrorIs(t, err, crmtype.ErrConflict)
	})
}

func TestTicketReopenWindow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newTicketFixture(t, db, "acme", 48*time.Hour)
		solve := func(subject string) *service.Ticket {
			tk := f.create(t, subject)
			tk, err := f.svc.SetStatus(ctx, tk.ID, tk.Version, service.StatusSolved)
			require.NoError(t, err)
			require.Equal(t, f.clock.Now(), *tk.SolvedAt)
			return tk
		}
		in := solve("within")
		f.clock.Advance(48 * time.Hour) // exactly at the window's end: still allowed
		in, err := f.svc.SetStatus(ctx, in.ID, in.Version, service.StatusOpen)
		require.NoError(t, err)
		require.Equal(t, service.StatusOpen, in.Status)
		require.Nil(t, in.SolvedAt)

		out := solve("after")
		f.clock.Advance(48*time.Hour + time.Second)
		_, err = f.svc.SetStatus(ctx, out.ID, out.Version, service.StatusOpen)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
		// Closing stays possible.
		out, err = f.svc.SetStatus(ctx, out.ID, out.Version, service.StatusClosed)
		require.NoError(t, err)
		require.Equal(t, f.clock.Now(), *out.ClosedAt)

		// The default window is seven days.
		def := service.NewService(store.New(db), "acme", service.Config{Clock: f.clock})
		tk := solve("default")
		f.clock.Advance(7*24*time.Hour + time.Second)
		_, err = def.SetStatus(ctx, tk.ID, tk.Version, service.StatusOpen)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	})
}

func TestTicketWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		a := newTicketFixture(t, db, "acme", 0)
		b := newTicketFixture(t, db, "globex", 0)
		ta1, ta2 := a.create(t, "a1"), a.create(t, "a2")
		tb1 := b.create(t, "b1")
		require.Equal(t, []int64{1, 2, 1}, []int64{ta1.Number, ta2.Number, tb1.Number})

		_, err := b.svc.Ticket(ctx, ta1.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		got, err := b.svc.TicketByNumber(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, tb1.ID, got.ID)
		_, err = b.svc.TicketByNumber(ctx, 2)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		s := "stolen"
		_, err = b.svc.UpdateTicket(ctx, ta1.ID, service.TicketUpdate{Version: 1, Subject: &s})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.SetStatus(ctx, ta1.ID, 1, service.StatusOpen)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		// Another workspace's customer, company or purchase is not found.
		_, err = b.svc.CreateTicket(ctx, service.TicketParams{CustomerID: a.cust.ID, Category: "inquiry", Subject: "x"})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.CreateTicket(ctx, service.TicketParams{CustomerID: b.cust.ID, CompanyID: a.company.ID, Category: "inquiry", Subject: "x"})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = b.svc.CreateTicket(ctx, service.TicketParams{CustomerID: b.cust.ID, PurchaseID: a.purchase.ID, Category: "inquiry", Subject: "x"})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		page, err := b.svc.Tickets(ctx, service.TicketListParams{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		got, err = a.svc.Ticket(ctx, ta1.ID)
		require.NoError(t, err)
		require.Equal(t, ta1, got)
		require.Len(t, ticketEventsOf(t, ctx, db, "globex", ta1.ID), 0)
		require.Equal(t, 2, ticketRowCount(t, ctx, db, "crm_tickets", "acme"))
		require.Equal(t, 1, ticketRowCount(t, ctx, db, "crm_tickets", "globex"))
	})
}
