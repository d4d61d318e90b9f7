package marketing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/check"
)

// Segment is a saved, named rule: its members are the live customers
// (neither deleted, merged away nor erased) the rule selects at the
// instant it is evaluated.
type Segment struct {
	ID          crmtype.ID
	Name        string // unique among the workspace's segments
	Description string
	Rule        Rule
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SegmentParams describe a segment to save. A zero ID creates one; an ID
// updates that segment if its version is still Version.
type SegmentParams struct {
	ID          crmtype.ID
	Version     int64 // required with ID
	Name        string
	Description string
	Rule        Rule
}

// Snapshot is a segment's membership materialised at an instant, with the
// rule it was computed from, so that a campaign run can be reproduced.
type Snapshot struct {
	ID             crmtype.ID
	SegmentID      crmtype.ID
	SegmentVersion int64
	Rule           Rule
	At             time.Time // the evaluation instant
	Members        int
	TakenAt        time.Time
}

// Preview is a rule's count and a sample of its members at an instant.
type Preview struct {
	At     time.Time
	Count  int
	Sample []crmtype.ID // the first members by id
}

// PreviewParams name what PreviewSegment evaluates: Rule, or else the
// saved segment SegmentID.
type PreviewParams struct {
	Rule      *Rule
	SegmentID crmtype.ID
	At        time.Time // default now
	Sample    int       // 0 means 10; at most MaxPreviewSample
}

// List is a static list of customers, kept by hand beside the dynamic
// segments.
type List struct {
	ID          crmtype.ID
	Name        string // unique among the workspace's lists
	Description string
	CreatedAt   time.Time
}

// ListParams describe a new list.
type ListParams struct {
	Name        string
	Description string
}

// Limits of segments and lists.
const (
	MaxPreviewSample    = 1000
	MaxDescriptionBytes = 4000
	MaxListChange       = 1000 // customers one AddToList or RemoveFromList call takes
)

// Event types of segments, snapshots and lists.
const (
	EventSegmentSaved       = "segment.saved"        // SubjectSegment; Changes: the fields set or changed ("rule" is the JSON form)
	EventSegmentDeleted     = "segment.deleted"      // SubjectSegment
	EventSnapshotTaken      = "snapshot.taken"       // SubjectSnapshot; Changes: segment_id, segment_version, at, members
	EventListCreated        = "list.created"         // SubjectList; Changes: name, description
	EventListMembersAdded   = "list.members_added"   // SubjectList; Changes: "added" (a count)
	EventListMembersRemoved = "list.members_removed" // SubjectList; Changes: "removed" (a count)
	SubjectSegment          = "segment"
	SubjectSnapshot         = "snapshot"
	SubjectList             = "list"
)

// SegmentEventTypes lists the event types of segments, snapshots and
// lists.
var SegmentEventTypes = []string{EventSegmentSaved, EventSegmentDeleted, EventSnapshotTaken, EventListCreated,
	EventListMembersAdded, EventListMembersRemoved}

// SegmentStore stores segments, snapshots and lists and evaluates rules.
// Every method confines itself to the scope's workspace.
type SegmentStore interface {
	// AttributeDefs returns the workspace's custom attribute definitions.
	AttributeDefs(ctx context.Context, sc crmtype.Scope) ([]customer.AttributeDef, error)
	// InsertSegment stores seg with ev; ErrConflict when the name is
	// taken by another live segment.
	InsertSegment(ctx context.Context, sc crmtype.Scope, seg *Segment, ev crmtype.Event) error
	// GetSegment returns segment id, or ErrNotFound (also when deleted).
	GetSegment(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Segment, error)
	// ChangeSegment loads segment id in a transaction, checks its version
	// (ErrConflict), lets change modify it, and when change returns
	// events saves it with its version increased by one (deleted when
	// del) and appends them. ErrConflict when the new name is taken.
	ChangeSegment(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(seg *Segment) (evs []crmtype.Event, del bool, err error)) (*Segment, error)
	// ListSegments returns one page of the live segments, by name.
	ListSegments(ctx context.Context, sc crmtype.Scope, limit int, after crmtype.Cursor) (crmtype.Page[*Segment], error)
	// EvaluateRule counts the members of validated rule r at instant at
	// and returns the first sample of them by id.
	EvaluateRule(ctx context.Context, sc crmtype.Scope, r Rule, at time.Time, sample int) (count int, ids []crmtype.ID, err error)
	// InsertSnapshot materialises the members of snap.Rule at snap.At in
	// one transaction, sets snap.Members and stores snap with the events
	// events returns for it.
	InsertSnapshot(ctx context.Context, sc crmtype.Scope, snap *Snapshot, events func(*Snapshot) []crmtype.Event) error
	// GetSnapshot returns snapshot id, or ErrNotFound.
	GetSnapshot(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Snapshot, error)
	// SnapshotMemberIDs returns up to limit member ids of snapshot id
	// greater than after, in id order; ErrNotFound for a missing snapshot.
	SnapshotMemberIDs(ctx context.Context, sc crmtype.Scope, snapshotID crmtype.ID, after crmtype.ID, limit int) ([]crmtype.ID, error)
	// InsertList stores l with ev; ErrConflict when the name is taken.
	InsertList(ctx context.Context, sc crmtype.Scope, l *List, ev crmtype.Event) error
	// GetList returns list id, or ErrNotFound.
	GetList(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*List, error)
	// AddListMembers adds the live customers ids (distinct) to list id
	// that are not yet on it and appends the events of ev(added) when any
	// was added. ErrNotFound when the list or one of the customers is
	// missing or not live; nothing is written then.
	AddListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, ids []crmtype.ID, at time.Time, ev func(added int) []crmtype.Event) (int, error)
	// RemoveListMembers removes ids from list id and appends the events
	// of ev(removed) when any was removed. ErrNotFound for a missing list.
	RemoveListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, ids []crmtype.ID, ev func(removed int) []crmtype.Event) (int, error)
	// ListMemberIDs returns up to limit member ids of list id greater
	// than after, in id order; ErrNotFound for a missing list.
	ListMemberIDs(ctx context.Context, sc crmtype.Scope, listID crmtype.ID, after crmtype.ID, limit int) ([]crmtype.ID, error)
}

// ValidateSegmentRule checks r against the workspace's attribute
// definitions (see ValidateRule) and returns it normalised.
func (s *Service) ValidateSegmentRule(ctx context.Context, r Rule) (Rule, error) {
	const op = "validate segment rule"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Rule{}, err
	}
	out, err := s.validRule(ctx, sc, r)
	return out, wrap(op, err)
}

func (s *Service) validRule(ctx context.Context, sc crmtype.Scope, r Rule) (Rule, error) {
	defs, err := s.store.AttributeDefs(ctx, sc)
	if err != nil {
		return Rule{}, err
	}
	return ValidateRule(r, defs)
}

// SaveSegment creates a segment (p.ID zero) or updates segment p.ID if its
// version is still p.Version, and records EventSegmentSaved with the
// fields that changed (none and no event when nothing changes). Errors:
// *crmtype.ValidationError naming the field ("name", "description",
// "version", or the rule's path such as "rule.and[1].value");
// ErrConflict when the name is taken or the version is stale;
// ErrNotFound. Nothing is written on error.
func (s *Service) SaveSegment(ctx context.Context, p SegmentParams) (*Segment, error) {
	const op = "save segment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	name, err := check.Line("name", p.Name, MaxNameBytes, true)
	if err != nil {
		return nil, wrap(op, err)
	}
	desc, err := cleanText("description", p.Description, MaxDescriptionBytes)
	if err != nil {
		return nil, wrap(op, err)
	}
	if !p.ID.IsZero() && p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	rule, err := s.validRule(ctx, sc, p.Rule)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	if p.ID.IsZero() {
		seg := &Segment{ID: crmtype.NewID(now), Name: name, Description: desc, Rule: rule, Version: 1, CreatedAt: now, UpdatedAt: now}
		ev := segmentEvent(EventSegmentSaved, seg, now, crmtype.DiffFields(nil, segmentFields(seg)))
		if err := s.store.InsertSegment(ctx, sc, seg, ev); err != nil {
			return nil, wrap(op, err)
		}
		return seg, nil
	}
	seg, err := s.store.ChangeSegment(ctx, sc, p.ID, p.Version, func(seg *Segment) ([]crmtype.Event, bool, error) {
		before := segmentFields(seg)
		seg.Name, seg.Description, seg.Rule = name, desc, rule
		changes := crmtype.DiffFields(before, segmentFields(seg))
		if len(changes) == 0 {
			return nil, false, nil
		}
		seg.UpdatedAt = now
		return []crmtype.Event{segmentEvent(EventSegmentSaved, seg, now, changes)}, false, nil
	})
	return seg, wrap(op, err)
}

// Segment returns segment id; ErrNotFound when the workspace has none (or
// it was deleted).
func (s *Service) Segment(ctx context.Context, id crmtype.ID) (*Segment, error) {
	const op = "segment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	seg, err := s.store.GetSegment(ctx, sc, id)
	return seg, wrap(op, err)
}

// Segments returns one page of the workspace's segments by name. Errors:
// ErrInvalid "limit", "cursor".
func (s *Service) Segments(ctx context.Context, limit int, after crmtype.Cursor) (crmtype.Page[*Segment], error) {
	const op = "segments"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Segment]{}, err
	}
	n, err := crmtype.PageSize(limit)
	if err != nil {
		return crmtype.Page[*Segment]{}, wrap(op, err)
	}
	page, err := s.store.ListSegments(ctx, sc, n, after)
	return page, wrap(op, err)
}

// DeleteSegment deletes segment id if its version is still version and
// records EventSegmentDeleted. Its snapshots stay (they hold a copy of the
// rule). Errors: ErrInvalid "version"; ErrNotFound; ErrConflict.
func (s *Service) DeleteSegment(ctx context.Context, id crmtype.ID, version int64) error {
	const op = "delete segment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if version < 1 {
		return wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	now := s.clock.Now()
	_, err = s.store.ChangeSegment(ctx, sc, id, version, func(seg *Segment) ([]crmtype.Event, bool, error) {
		seg.UpdatedAt = now
		return []crmtype.Event{segmentEvent(EventSegmentDeleted, seg, now, nil)}, true, nil
	})
	return wrap(op, err)
}

// PreviewSegment evaluates p.Rule (or the saved segment p.SegmentID) at
// p.At in the database and returns the number of members and the first
// p.Sample of them by id. It writes nothing. Errors: the rule's
// validation errors; ErrInvalid "sample", "segment_id" (neither or both
// given); ErrNotFound.
func (s *Service) PreviewSegment(ctx context.Context, p PreviewParams) (*Preview, error) {
	const op = "preview segment"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if (p.Rule == nil) == p.SegmentID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("segment_id", "give either a rule or a segment id"))
	}
	n := p.Sample
	if n == 0 {
		n = 10
	}
	if n < 0 || n > MaxPreviewSample {
		return nil, wrap(op, crmtype.Invalidf("sample", "must be between 0 and %d", MaxPreviewSample))
	}
	var rule Rule
	if p.Rule != nil {
		rule = *p.Rule
	} else {
		seg, err := s.store.GetSegment(ctx, sc, p.SegmentID)
		if err != nil {
			return nil, wrap(op, err)
		}
		rule = seg.Rule
	}
	if rule, err = s.validRule(ctx, sc, rule); err != nil {
		return nil, wrap(op, err)
	}
	at := s.at(p.At)
	count, ids, err := s.store.EvaluateRule(ctx, sc, rule, at, n)
	if err != nil {
		return nil, wrap(op, err)
	}
	return &Preview{At: at, Count: count, Sample: ids}, nil
}

func (s *Service) at(t time.Time) time.Time {
	if t.IsZero() {
		t = s.clock.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Snapshot evaluates segment id's rule at instant at (zero: now) and
// stores the members with a copy of the rule, so that the membership
// stays as it was whatever changes later, and records EventSnapshotTaken.
// Errors: the rule's validation errors (an attribute it uses was
// redefined); ErrNotFound.
func (s *Service) Snapshot(ctx context.Context, segmentID crmtype.ID, at time.Time) (*Snapshot, error) {
	const op = "snapshot"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	seg, err := s.store.GetSegment(ctx, sc, segmentID)
	if err != nil {
		return nil, wrap(op, err)
	}
	rule, err := s.validRule(ctx, sc, seg.Rule)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	snap := &Snapshot{ID: crmtype.NewID(now), SegmentID: seg.ID, SegmentVersion: seg.Version, Rule: rule, At: s.at(at), TakenAt: now}
	err = s.store.InsertSnapshot(ctx, sc, snap, func(sn *Snapshot) []crmtype.Event {
		return []crmtype.Event{{Time: now, Type: EventSnapshotTaken, SubjectType: SubjectSnapshot, Subject: sn.ID,
			Changes: crmtype.DiffFields(nil, map[string]any{"segment_id": sn.SegmentID.String(), "segment_version": float64(sn.SegmentVersion),
				"at": sn.At.Format(time.RFC3339Nano), "members": float64(sn.Members)})}}
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return snap, nil
}

// SegmentSnapshot returns snapshot id; ErrNotFound.
func (s *Service) SegmentSnapshot(ctx context.Context, id crmtype.ID) (*Snapshot, error) {
	const op = "segment snapshot"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	snap, err := s.store.GetSnapshot(ctx, sc, id)
	return snap, wrap(op, err)
}

type idCursor struct {
	ID crmtype.ID `json:"i"`
}

func memberPage(ids []crmtype.ID, limit int) crmtype.Page[crmtype.ID] {
	page := crmtype.Page[crmtype.ID]{Items: ids}
	if len(ids) > limit {
		page.Items = ids[:limit]
		page.Next = crmtype.EncodeCursor(idCursor{ID: ids[limit-1]})
	}
	return page
}

func afterID(c crmtype.Cursor) (crmtype.ID, error) {
	if c == "" {
		return crmtype.ID{}, nil
	}
	var cur idCursor
	if err := crmtype.DecodeCursor(c, &cur); err != nil {
		return crmtype.ID{}, err
	}
	if cur.ID.IsZero() {
		return crmtype.ID{}, crmtype.Invalid("cursor", "is malformed")
	}
	return cur.ID, nil
}

// SnapshotMembers returns one page of snapshot id's members, by id.
// Errors: ErrInvalid "limit", "cursor"; ErrNotFound.
func (s *Service) SnapshotMembers(ctx context.Context, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[crmtype.ID], error) {
	const op = "snapshot members"
	return s.members(ctx, op, limit, after, func(sc crmtype.Scope, from crmtype.ID, n int) ([]crmtype.ID, error) {
		return s.store.SnapshotMemberIDs(ctx, sc, id, from, n)
	})
}

func (s *Service) members(ctx context.Context, op string, limit int, after crmtype.Cursor, get func(crmtype.Scope, crmtype.ID, int) ([]crmtype.ID, error)) (crmtype.Page[crmtype.ID], error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[crmtype.ID]{}, err
	}
	n, err := crmtype.PageSize(limit)
	if err != nil {
		return crmtype.Page[crmtype.ID]{}, wrap(op, err)
	}
	from, err := afterID(after)
	if err != nil {
		return crmtype.Page[crmtype.ID]{}, wrap(op, err)
	}
	ids, err := get(sc, from, n+1)
	if err != nil {
		return crmtype.Page[crmtype.ID]{}, wrap(op, err)
	}
	return memberPage(ids, n), nil
}

// CreateList creates a static list and records EventListCreated. Errors:
// ErrInvalid "name", "description"; ErrConflict when the name is taken.
func (s *Service) CreateList(ctx context.Context, p ListParams) (*List, error) {
	const op = "create list"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	name, err := check.Line("name", p.Name, MaxNameBytes, true)
	if err != nil {
		return nil, wrap(op, err)
	}
	desc, err := cleanText("description", p.Description, MaxDescriptionBytes)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	l := &List{ID: crmtype.NewID(now), Name: name, Description: desc, CreatedAt: now}
	ev := crmtype.Event{Time: now, Type: EventListCreated, SubjectType: SubjectList, Subject: l.ID, SubjectKey: name,
		Changes: crmtype.DiffFields(nil, map[string]any{"name": name, "description": desc})}
	if err := s.store.InsertList(ctx, sc, l, ev); err != nil {
		return nil, wrap(op, err)
	}
	return l, nil
}

// List returns list id; ErrNotFound.
func (s *Service) List(ctx context.Context, id crmtype.ID) (*List, error) {
	const op = "list"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	l, err := s.store.GetList(ctx, sc, id)
	return l, wrap(op, err)
}

func checkIDs(ids []crmtype.ID) ([]crmtype.ID, error) {
	if len(ids) == 0 || len(ids) > MaxListChange {
		return nil, crmtype.Invalidf("customer_ids", "must name 1 to %d customers", MaxListChange)
	}
	seen := make(map[crmtype.ID]bool, len(ids))
	out := make([]crmtype.ID, 0, len(ids))
	for i, id := range ids {
		if id.IsZero() {
			return nil, crmtype.Invalid(fmt.Sprintf("customer_ids[%d]", i), "is the zero id")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// AddToList adds customers to list id (those already on it are skipped)
// and records EventListMembersAdded with the number added. Errors:
// ErrInvalid "customer_ids"; ErrNotFound when the list or a customer is
// missing, deleted or erased (nothing is added then).
func (s *Service) AddToList(ctx context.Context, id crmtype.ID, customers []crmtype.ID) (added int, err error) {
	const op = "add to list"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return 0, err
	}
	ids, err := checkIDs(customers)
	if err != nil {
		return 0, wrap(op, err)
	}
	now := s.clock.Now()
	n, err := s.store.AddListMembers(ctx, sc, id, ids, now, func(added int) []crmtype.Event {
		return []crmtype.Event{{Time: now, Type: EventListMembersAdded, SubjectType: SubjectList, Subject: id,
			Changes: []crmtype.Change{{Field: "added", After: float64(added)}}}}
	})
	return n, wrap(op, err)
}

// RemoveFromList removes customers from list id (those not on it are
// skipped) and records EventListMembersRemoved with the number removed.
// Errors: ErrInvalid "customer_ids"; ErrNotFound for a missing list.
func (s *Service) RemoveFromList(ctx context.Context, id crmtype.ID, customers []crmtype.ID) (removed int, err error) {
	const op = "remove from list"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return 0, err
	}
	ids, err := checkIDs(customers)
	if err != nil {
		return 0, wrap(op, err)
	}
	now := s.clock.Now()
	n, err := s.store.RemoveListMembers(ctx, sc, id, ids, func(removed int) []crmtype.Event {
		return []crmtype.Event{{Time: now, Type: EventListMembersRemoved, SubjectType: SubjectList, Subject: id,
			Changes: []crmtype.Change{{Field: "removed", After: float64(removed)}}}}
	})
	return n, wrap(op, err)
}

// ListMembers returns one page of list id's members, by id. Errors:
// ErrInvalid "limit", "cursor"; ErrNotFound.
func (s *Service) ListMembers(ctx context.Context, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[crmtype.ID], error) {
	const op = "list members"
	return s.members(ctx, op, limit, after, func(sc crmtype.Scope, from crmtype.ID, n int) ([]crmtype.ID, error) {
		return s.store.ListMemberIDs(ctx, sc, id, from, n)
	})
}

func segmentEvent(typ string, seg *Segment, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectSegment, Subject: seg.ID, SubjectKey: seg.Name, Changes: changes}
}

func segmentFields(seg *Segment) map[string]any {
	rule, _ := json.Marshal(seg.Rule)
	return map[string]any{"name": seg.Name, "description": seg.Description, "rule": string(rule)}
}

// cleanText trims a multi-line text and checks it.
func cleanText(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v):
		return "", crmtype.Invalid(field, "is not UTF-8")
	case len(v) > max:
		return "", crmtype.Invalidf(field, "is longer than %d bytes", max)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		return "", crmtype.Invalid(field, "has a control character")
	}
	return v, nil
}

func invalid(field, reason string) error { return crmtype.Invalid(field, reason) }

func invalidf(field, format string, args ...any) error {
	return crmtype.Invalidf(field, format, args...)
}
