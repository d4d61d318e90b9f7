package service

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

// refusingStore stands in for the store where bad input must be refused
// before the store is touched: it has no store behind it, so any call
// reaching it panics and fails the test.
type refusingStore struct {
	Store // nil
	t     *testing.T
}

func TestCanTransition(t *testing.T) {
	want := map[Status][]Status{
		StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
		StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
		StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
		StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
		StatusSolved:  {StatusOpen, StatusClosed},
		StatusClosed:  nil,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			ok := false
			for _, w := range want[from] {
				ok = ok || w == to
			}
			require.Equal(t, ok, CanTransition(from, to), "%s → %s", from, to)
		}
	}
}

func TestTicketKey(t *testing.T) {
	require.Equal(t, "T-1042", (&Ticket{Number: 1042}).Key())
	for key, want := range map[string]int64{"T-1042": 1042, "t-7": 7, " 12 ": 12, "T-0": 0, "T-": 0, "T--3": 0, "+5": 0, "x": 0} {
		n, ok := ParseTicketKey(key)
		require.Equal(t, want, n, key)
		require.Equal(t, want > 0, ok, key)
	}
}

func TestTicketValidation(t *testing.T) {
	ctx := context.Background()
	svc := NewService(refusingStore{t: t}, "acme", Config{})
	cust := crmtype.NewID(crmtype.SystemClock{}.Now())
	ok := TicketParams{CustomerID: cust, Category: CategoryInquiry, Subject: "Where is my order?"}
	for field, mut := range map[string]func(p *TicketParams){
		"customer_id":       func(p *TicketParams) { p.CustomerID = crmtype.ID{} },
		"category":          func(p *TicketParams) { p.Category = "Not a slug!" },
		"priority":          func(p *TicketParams) { p.Priority = "critical" },
		"channel":           func(p *TicketParams) { p.Channel = "e/mail" },
		"subject":           func(p *TicketParams) { p.Subject = "two\nlines" },
		"description":       func(p *TicketParams) { p.Description = strings.Repeat("x", MaxTicketDescriptionBytes+1) },
		"product":           func(p *TicketParams) { p.Product = strings.Repeat("x", MaxTicketRefBytes+1) },
		"assignee_id":       func(p *TicketParams) { p.AssigneeID = "\x00" },
		"team_id":           func(p *TicketParams) { p.TeamID = "\xff" },
		"tags":              func(p *TicketParams) { p.Tags = make([]string, MaxTicketTags+1) },
		"tags[0]":           func(p *TicketParams) { p.Tags = []string{" "} },
		"attributes":        func(p *TicketParams) { p.Attributes = map[string]string{"": "x"} },
		"attributes[color]": func(p *TicketParams) { p.Attributes = map[string]string{"color": "\xff"} },
	} {
		p := ok
		mut(&p)
		_, err := svc.CreateTicket(ctx, p)
		var ve *crmtype.ValidationError
		require.ErrorAs(t, err, &ve, field)
		require.ErrorIs(t, err, crmtype.ErrInvalid, field)
		require.Equal(t, field, ve.Field)
	}

	_, err := svc.UpdateTicket(ctx, cust, TicketUpdate{})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	bad := Priority("soon")
	_, err = svc.UpdateTicket(ctx, cust, TicketUpdate{Version: 1, Priority: &bad})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = svc.SetStatus(ctx, cust, 0, StatusOpen)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = svc.SetStatus(ctx, cust, 1, "reopened")
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = svc.Tickets(ctx, TicketListParams{Limit: -1})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = svc.Tickets(ctx, TicketListParams{Status: "gone"})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = svc.TicketByNumber(ctx, 0)
	require.ErrorIs(t, err, crmtype.ErrNotFound)

	_, err = NewService(refusingStore{t: t}, "", Config{}).CreateTicket(ctx, ok)
	require.ErrorIs(t, err, crmtype.ErrNoWorkspace)
}

func TestTicketFieldsNormalised(t *testing.T) {
	tk := &Ticket{}
	tags := []string{"B", "a", " b "}
	cat, ch := " Complaint ", "WeChat"
	require.NoError(t, applyTicketUpdate(tk, TicketUpdate{Tags: &tags, Category: &cat, Channel: &ch}))
	require.Equal(t, []string{"a", "b"}, tk.Tags)
	require.Equal(t, CategoryComplaint, tk.Category)
	require.Equal(t, "wechat", tk.Channel)
}
