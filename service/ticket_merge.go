package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// EventTicketMerged is recorded on both tickets of a merge (MergeTickets),
// each event with its own ticket's Subject and Customer. On the source,
// Changes are "merged_into_id" (the target's id) and "status" (before and
// "closed"); on the target, "merged_from_id" (the source's id), "replies"
// and "notes" (how many moved), "children" (the ids of the child tickets
// re-parented, when any) and "tags" (before and after, when the union
// added some).
const EventTicketMerged = "ticket.merged"

// MergeEventTypes lists the event types of ticket merges.
var MergeEventTypes = []string{EventTicketMerged}

// MergeTicketsParams are the options of MergeTickets.
type MergeTicketsParams struct {
	// SourceVersion and TargetVersion are the versions read of the two
	// tickets (optimistic locking); both are required.
	SourceVersion int64
	TargetVersion int64
	// Note, when not blank, is added as an internal note to both tickets
	// (after the source's notes moved), written by AuthorID. It is checked
	// as AddNote checks a note's body.
	Note     string
	AuthorID string
}

// TicketMerge is what a merge moves, as the store finds it under the locks
// of both tickets, and what the service adds.
type TicketMerge struct {
	// Replies and Notes count the source's public replies (interactions
	// with its ticket_id) and internal notes, which move to the target.
	Replies, Notes int
	// Children are the source's child tickets, by id, which the target
	// adopts.
	Children []crmtype.ID
	// AddNotes are notes to add once the source's have moved (set by the
	// change: TicketID the source's or the target's id).
	AddNotes []*Note
	// Events are appended with the merge (set by the change).
	Events []crmtype.Event
}

// TicketMergeStore merges tickets.
type TicketMergeStore interface {
	// MergeTickets locks tickets sourceID and targetID of the workspace
	// in order of id (ErrNotFound when either is not there), checks their
	// versions (ErrConflict "source_version" or "target_version" when
	// stale), counts what the source has into m and lets change modify
	// both tickets and m. Unless change fails, it then saves both tickets
	// with their versions increased by one and their SLA targets (which
	// change must measure), points the source's public replies and notes
	// to the target and its children's parent_id to it (their versions
	// increased by one), adds m.AddNotes and appends m.Events, all or
	// none. change's error is returned as it is and nothing is written.
	// It returns both tickets as saved.
	MergeTickets(ctx context.Context, sc crmtype.Scope, sourceID, targetID crmtype.ID, sourceVersion, targetVersion int64,
		change func(src, dst *Ticket, m *TicketMerge) error) (src, dst *Ticket, err error)
}

// MergeTickets merges ticket sourceID, a duplicate, into ticket targetID,
// which carries on, in one transaction:
//
//   - the source is closed as SetStatus closes a ticket (ClosedAt set;
//     SolvedAt kept, nil unless it was solved: a merge solves nothing,
//     so it counts as no solve and triggers no satisfaction survey) from
//     whatever status it has, and its MergedIntoID set to the target; its
//     SLA clocks stop;
//   - the source's public replies (interactions with its ticket_id) and
//     internal notes move to the target: each keeps its own customer, so
//     that when the tickets are of different customers (allowed) the
//     replies stay in their customer's conversation and timeline, and an
//     erasure of either customer reaches what is theirs;
//   - the source's child tickets become the target's, and so do its
//     follow-up tasks and engagements (survey answers stay with the
//     ticket they were about);
//   - the source's tags are added to the target's;
//   - the source's replies join the target's activity, in order of time,
//     and the target's SLA is measured anew from it; the target keeps its
//     status, customer and other fields;
//   - EventTicketMerged is recorded on both, and with p.Note an internal
//     note is added to both (EventTicketNoteAdded on each).
//
// Both tickets are returned as saved, their versions increased by one.
// Errors: ErrInvalid "source_id" when the source is zero, closed or
// merged; "target_id" when the target is zero, the source itself, closed
// or merged, or a child ticket while the source has children (a ticket is
// a parent or a child, not both); "source_version" or "target_version"
// when not positive; "tags" when the union has more than MaxTicketTags;
// "note" or "author_id" for a bad note; ErrNotFound when either ticket is
// not in the workspace; ErrConflict when a version is stale. Nothing is
// written on error.
func (s *Service) MergeTickets(ctx context.Context, sourceID, targetID crmtype.ID, p MergeTicketsParams) (source, target *Ticket, err error) {
	const op = "merge tickets"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	note, author, err := checkMergeTickets(sourceID, targetID, p)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	polSrc, err := s.loadPolicies(ctx, sc, crmtype.ID{}, sourceID)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	polDst, err := s.loadPolicies(ctx, sc, crmtype.ID{}, targetID)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	now := s.clock.Now()
	src, dst, err := s.store.MergeTickets(ctx, sc, sourceID, targetID, p.SourceVersion, p.TargetVersion,
		func(src, dst *Ticket, m *TicketMerge) error {
			return mergeTickets(src, dst, m, now, note, author, polSrc, polDst)
		})
	if err == nil {
		err = s.measure(ctx, sc, src, dst)
	}
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	return src, dst, nil
}

// checkMergeTickets checks MergeTickets' input before the database is
// touched; it returns the note ("" for none) and its author.
func checkMergeTickets(sourceID, targetID crmtype.ID, p MergeTicketsParams) (note, author string, err error) {
	switch {
	case sourceID.IsZero():
		return "", "", crmtype.Invalid("source_id", "is required")
	case targetID.IsZero():
		return "", "", crmtype.Invalid("target_id", "is required")
	case sourceID == targetID:
		return "", "", crmtype.Invalid("target_id", "is the source ticket itself")
	case p.SourceVersion < 1:
		return "", "", crmtype.Invalid("source_version", "is required: pass the version you read")
	case p.TargetVersion < 1:
		return "", "", crmtype.Invalid("target_version", "is required: pass the version you read")
	}
	author, err = check.Line("author_id", p.AuthorID, MaxTicketRefBytes, false)
	if err != nil {
		return "", "", err
	}
	switch {
	case !utf8.ValidString(p.Note):
		return "", "", crmtype.Invalid("note", "is not UTF-8")
	case len(p.Note) > MaxNoteBytes:
		return "", "", crmtype.Invalidf("note", "is longer than %d bytes", MaxNoteBytes)
	case strings.TrimFunc(p.Note, unicode.IsSpace) == "":
		return "", author, nil
	}
	return p.Note, author, nil
}

// mergeTickets changes src and dst as MergeTickets says, under the store's
// locks, and fills m's notes and events.
func mergeTickets(src, dst *Ticket, m *TicketMerge, now time.Time, note, author string, polSrc, polDst *policySet) error {
	switch {
	case !src.MergedIntoID.IsZero():
		return crmtype.Invalidf("source_id", "was merged into ticket %s already", src.MergedIntoID)
	case src.Status == StatusClosed:
		return crmtype.Invalid("source_id", "is closed: a closed ticket is final")
	case !dst.MergedIntoID.IsZero():
		return crmtype.Invalidf("target_id", "was merged into ticket %s already", dst.MergedIntoID)
	case dst.Status == StatusClosed:
		return crmtype.Invalid("target_id", "is closed: a closed ticket is final")
	case len(m.Children) > 0 && !dst.ParentID.IsZero():
		return crmtype.Invalid("target_id", "is a child ticket: it cannot adopt the source's children")
	}
	tagsBefore := slices.Clone(dst.Tags)
	tags, err := cleanTags(append(slices.Clone(dst.Tags), src.Tags...))
	if err != nil {
		return err
	}
	dst.Tags = tags

	// The source: closed and pointing at the target; its clocks stop.
	from := src.Status
	at := now
	src.Status, src.ClosedAt, src.MergedIntoID, src.UpdatedAt = StatusClosed, &at, dst.ID, now
	src.Activity = append(src.Activity, Activity{At: now, Kind: ActivityStatus, Status: StatusClosed})
	if from != StatusSolved {
		polSrc.apply(src, now) // closing fulfils the running targets
	}

	// The target: the source's replies join its activity (a reply from
	// before the target existed counts from its creation).
	for _, a := range src.Activity {
		if a.Kind == ActivityAgentReply || a.Kind == ActivityCustomerReply {
			if a.At.Before(dst.CreatedAt) {
				a.At = dst.CreatedAt
			}
			dst.Activity = addActivity(dst.Activity, a)
		}
	}
	dst.UpdatedAt = now
	polDst.refresh(dst, now)

	srcEv := ticketEvent(EventTicketMerged, src, now, []crmtype.Change{
		{Field: "merged_into_id", After: dst.ID.String()},
		{Field: "status", Before: string(from), After: string(StatusClosed)}})
	dstFields := map[string]any{"merged_from_id": src.ID.String(), "replies": float64(m.Replies), "notes": float64(m.Notes)}
	if len(m.Children) > 0 {
		kids := make([]any, len(m.Children))
		for i, id := range m.Children {
			kids[i] = id.String()
		}
		dstFields["children"] = kids
	}
	dstChanges := crmtype.DiffFields(nil, dstFields)
	if !slices.Equal(tagsBefore, dst.Tags) {
		dstChanges = append(dstChanges, crmtype.DiffFields(map[string]any{"tags": anyList(tagsBefore)},
			map[string]any{"tags": anyList(dst.Tags)})...)
		slices.SortFunc(dstChanges, func(a, b crmtype.Change) int { return strings.Compare(a.Field, b.Field) })
	}
	m.Events = append(m.Events, srcEv, ticketEvent(EventTicketMerged, dst, now, dstChanges))
	if note != "" {
		for _, t := range []*Ticket{src, dst} {
			n := &Note{ID: crmtype.NewID(now), TicketID: t.ID, AuthorID: author, Body: note, CreatedAt: now}
			m.AddNotes = append(m.AddNotes, n)
			m.Events = append(m.Events, ticketEvent(EventTicketNoteAdded, t, now, crmtype.DiffFields(nil,
				map[string]any{"note_id": n.ID.String(), "author_id": author})))
		}
	}
	return nil
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
