package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// Messages is what the service needs of package communication to record a
// public reply as an interaction; *communication.Service has it.
type Messages interface {
	NewInteraction(p communication.InteractionParams) (*communication.Interaction, error)
}

// Event types of replies and notes, with SubjectType SubjectTicket.
const (
	EventTicketReplied   = "ticket.replied"    // Changes: "interaction_id", "author" ("agent" or "customer")
	EventTicketNoteAdded = "ticket.note_added" // Changes: "note_id", "author_id"
)

// ReplyEventTypes lists the event types of replies and notes.
var ReplyEventTypes = []string{EventTicketReplied, EventTicketNoteAdded}

// ErrNoMessages is returned by Reply when Config.Messages is nil.
var ErrNoMessages = errors.New("service: no Messages configured: set Config.Messages to the workspace's *communication.Service")

// MaxNoteBytes bounds a note's body.
const MaxNoteBytes = 64 << 10

// ReplyParams describes a public reply on a ticket.
type ReplyParams struct {
	// FromCustomer is true for the customer's reply, false for the team's.
	FromCustomer bool
	// AuthorID is the host's user who wrote a reply of the team (the
	// interaction's owner); "" for the customer.
	AuthorID string
	// Channel is the channel the reply went or came on; default the
	// ticket's channel, else "email".
	Channel communication.Channel
	Subject string
	Body    string // required unless HTML is given
	HTML    string
	// ProviderID is the provider's message id; it makes the reply
	// idempotent on its channel as with communication.Record.
	ProviderID string
	// OccurredAt defaults to now.
	OccurredAt time.Time
}

// Note is an internal note on a ticket: seen by the team, never by the
// customer.
type Note struct {
	ID        crmtype.ID
	TicketID  crmtype.ID
	AuthorID  string
	Body      string
	CreatedAt time.Time
}

// ReplyStore stores replies and notes on tickets.
type ReplyStore interface {
	// CommentTicket locks ticket id, lets change modify it and stores it
	// (version increased by one) with reply (an interaction) or note,
	// and the events change returns, all or none. ErrNotFound when the
	// workspace has no ticket id.
	CommentTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID, reply *communication.Interaction, note *Note, change func(t *Ticket) ([]crmtype.Event, error)) (*Ticket, error)
	// ListNotes returns one page of ticket id's notes, oldest first.
	ListNotes(ctx context.Context, sc crmtype.Scope, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*Note], error)
}

// Reply records a public reply on ticket id as an interaction of package
// communication linked to the ticket (so it shows in the customer's
// conversation and timeline, thread "ticket:<key>") and as the ticket's
// activity that its SLA clocks measure: the team's reply meets the first
// or next response target, the customer's starts a next response target.
// A customer's reply reopens a solved ticket within Config.ReopenWindow.
// Reply does not send anything: deliver the team's reply through
// communication.Send's Sender or your own, and pass the provider's id.
//
// Errors: ErrNoMessages when Config.Messages is nil; ErrInvalid "status"
// when the ticket is closed, or solved beyond the reopen window for a
// customer's reply; the validation errors of communication.Record
// ("body", "channel", ...); ErrNotFound. Nothing is written on error.
func (s *Service) Reply(ctx context.Context, id crmtype.ID, p ReplyParams) (*Ticket, *communication.Interaction, error) {
	const op = "reply"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	if s.cfg.Messages == nil {
		return nil, nil, wrap(op, ErrNoMessages)
	}
	cur, err := s.store.GetTicket(ctx, sc, id)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	now := s.clock.Now()
	at := p.OccurredAt.UTC()
	if at.IsZero() || at.After(now) {
		at = now
	}
	ch := p.Channel
	if ch == "" {
		ch = communication.Channel(cur.Channel)
	}
	if ch == "" {
		ch = communication.Email
	}
	dir, kind, author := communication.Outbound, ActivityAgentReply, "agent"
	purpose := communication.PurposeService
	if p.FromCustomer {
		dir, kind, author, purpose = communication.Inbound, ActivityCustomerReply, "customer", ""
	}
	in, err := s.cfg.Messages.NewInteraction(communication.InteractionParams{CustomerID: cur.CustomerID, CompanyID: cur.CompanyID,
		Channel: ch, Direction: dir, OccurredAt: at, Subject: p.Subject, Body: p.Body, HTML: p.HTML, OwnerID: p.AuthorID,
		TicketID: id, ProviderID: p.ProviderID, ThreadID: "ticket:" + cur.Key(), Purpose: purpose})
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	pol, err := s.loadPolicies(ctx, sc, cur.CustomerID, id)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	t, err := s.store.CommentTicket(ctx, sc, id, in, nil, func(t *Ticket) ([]crmtype.Event, error) {
		var evs []crmtype.Event
		switch {
		case t.Status == StatusClosed:
			return nil, crmtype.Invalid("status", "is closed: a closed ticket is final; open a new ticket with this one as parent")
		case t.Status == StatusSolved && p.FromCustomer:
			reopen, err := s.moveStatus(t, StatusOpen, now, pol)
			if err != nil {
				return nil, err
			}
			evs = append(evs, reopen...)
		}
		if at.Before(t.CreatedAt) {
			at = t.CreatedAt // a reply is not counted before the ticket existed
		}
		t.Activity = addActivity(t.Activity, Activity{At: at, Kind: kind})
		t.UpdatedAt = now
		pol.refresh(t, now)
		return append(evs, ticketEvent(EventTicketReplied, t, now, crmtype.DiffFields(nil,
			map[string]any{"interaction_id": in.ID.String(), "author": author}))), nil
	})
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	if err := s.measure(ctx, sc, t); err != nil {
		return nil, nil, wrap(op, err)
	}
	return t, in, nil
}

// AddNote adds an internal note to ticket id. Errors: ErrInvalid "body"
// when it is empty, not UTF-8 or longer than MaxNoteBytes, "author_id"
// as for a ticket's assignee; ErrNotFound. A closed ticket takes notes.
func (s *Service) AddNote(ctx context.Context, id crmtype.ID, authorID, body string) (*Note, error) {
	const op = "add note"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	author, err := check.Line("author_id", authorID, MaxTicketRefBytes, false)
	if err != nil {
		return nil, wrap(op, err)
	}
	switch {
	case !utf8.ValidString(body):
		return nil, wrap(op, crmtype.Invalid("body", "is not UTF-8"))
	case len(body) > MaxNoteBytes:
		return nil, wrap(op, crmtype.Invalidf("body", "is longer than %d bytes", MaxNoteBytes))
	case strings.TrimFunc(body, unicode.IsSpace) == "":
		return nil, wrap(op, crmtype.Invalid("body", "is empty"))
	}
	pol, err := s.loadPolicies(ctx, sc, crmtype.ID{}, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	n := &Note{ID: crmtype.NewID(now), TicketID: id, AuthorID: author, Body: body, CreatedAt: now}
	_, err = s.store.CommentTicket(ctx, sc, id, nil, n, func(t *Ticket) ([]crmtype.Event, error) {
		pol.refresh(t, now) // the store saves the SLA with the ticket
		return []crmtype.Event{ticketEvent(EventTicketNoteAdded, t, now, crmtype.DiffFields(nil,
			map[string]any{"note_id": n.ID.String(), "author_id": author}))}, nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return n, nil
}

// Notes returns one page of ticket id's internal notes, oldest first.
// Errors: ErrInvalid "limit" or "cursor"; ErrNotFound when the workspace
// has no ticket id.
func (s *Service) Notes(ctx context.Context, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*Note], error) {
	const op = "notes"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Note]{}, err
	}
	n, err := crmtype.PageSize(limit)
	if err != nil {
		return crmtype.Page[*Note]{}, wrap(op, err)
	}
	page, err := s.store.ListNotes(ctx, sc, id, n, after)
	return page, wrap(op, err)
}

// addActivity inserts a in order of time (after entries of the same
// instant).
func addActivity(list []Activity, a Activity) []Activity {
	i := len(list)
	for i > 0 && list[i-1].At.After(a.At) {
		i--
	}
	return slices.Insert(list, i, a)
}
