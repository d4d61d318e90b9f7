package marketing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/check"
)

// MemberStatus is where a campaign member stands: one of the built-in
// statuses or one the workspace defined (DefineMemberStatus).
type MemberStatus string

// Built-in member statuses. StatusResponded and StatusConverted count as
// responses; the others do not.
const (
	MemberAdded        MemberStatus = "added" // a member nothing was sent to yet
	MemberSent         MemberStatus = "sent"
	MemberDelivered    MemberStatus = "delivered"
	MemberOpened       MemberStatus = "opened"
	MemberClicked      MemberStatus = "clicked"
	MemberResponded    MemberStatus = "responded"
	MemberConverted    MemberStatus = "converted"
	MemberUnsubscribed MemberStatus = "unsubscribed"
	MemberBounced      MemberStatus = "bounced"
)

// BuiltinMemberStatuses lists the built-in statuses and whether each
// counts as a response.
var BuiltinMemberStatuses = map[MemberStatus]bool{
	MemberAdded: false, MemberSent: false, MemberDelivered: false, MemberOpened: false, MemberClicked: false,
	MemberResponded: true, MemberConverted: true, MemberUnsubscribed: false, MemberBounced: false,
}

// Member is a customer's membership of a campaign.
type Member struct {
	CampaignID crmtype.ID
	CustomerID crmtype.ID
	Status     MemberStatus
	// StatusAt is when the member reached Status.
	StatusAt time.Time
	// Source says where the member came from: "ids", "snapshot:<id>",
	// "list:<id>".
	Source string
	// Variant is the experiment arm the member was assigned to; "" when
	// none.
	Variant string
	// FirstRespondedAt is when the member first reached a status that
	// counts as a response; nil before.
	FirstRespondedAt *time.Time
	AddedAt          time.Time
}

// MemberChange is one entry of a member's status log.
type MemberChange struct {
	Status MemberStatus
	At     time.Time
}

// AddMembersParams names the candidates to add to a campaign and the
// message the campaign would send them: each candidate passes the
// contact decision for it (communication.Service.DecideBatch).
type AddMembersParams struct {
	// The candidates: exactly one of CustomerIDs (at most MaxAddMembers),
	// SnapshotID (the members of a segment snapshot: see Snapshot) and
	// ListID (the members of a static list).
	CustomerIDs []crmtype.ID
	SnapshotID  crmtype.ID
	ListID      crmtype.ID
	// Channel and Purpose are those of the campaign's messages; Channel
	// defaults to the campaign's channel, Purpose to marketing (research
	// campaigns: research).
	Channel communication.Channel
	Purpose communication.Purpose
	// List is the mailing list of the campaign's messages, for list
	// unsubscribes; default the campaign's UTM campaign, else none.
	List string
	// Source is recorded on each member added; default "ids",
	// "snapshot:<id>" or "list:<id>".
	Source string
}

// MaxAddMembers bounds one AddMembers call.
const MaxAddMembers = 1_000_000

// AddMembersResult counts what AddMembers did with the candidates.
type AddMembersResult struct {
	Candidates int
	Added      int
	// Already counts the candidates that were members already (and
	// duplicates in the input).
	Already int
	// Excluded counts the candidates the contact decision denied, by its
	// reason code (communication.Reason...).
	Excluded map[string]int
}

// ExcludedTotal returns the number of candidates excluded.
func (r AddMembersResult) ExcludedTotal() int {
	n := 0
	for _, v := range r.Excluded {
		n += v
	}
	return n
}

// StatusUpdate sets a member's status, e.g. from a delivery callback.
type StatusUpdate struct {
	CustomerID crmtype.ID
	Status     MemberStatus
	At         time.Time // default now
}

// MemberListParams selects members. Zero fields do not filter.
type MemberListParams struct {
	Status MemberStatus
	Limit  int // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After  crmtype.Cursor
}

// Event types of members, with SubjectType SubjectCampaign: one event per
// call, not per member (a call may add a million).
const (
	EventMembersAdded          = "campaign.members_added"   // Changes: "candidates", "added", "already", "excluded.<reason>"
	EventMemberStatusesChanged = "campaign.member_statuses" // Changes: "updated", "status.<status>"
	EventMemberStatusDefined   = "campaign.member_status_defined"
)

// EventMemberStatus is the type of the timeline entry of each member
// status change, "added" included: read from the member's status log
// (not appended to the event log, which has one event per call), with
// SubjectType SubjectCampaign, Subject the campaign, Customer the member
// and one change, "status".
const EventMemberStatus = "campaign.member_status"

// MemberEventTypes lists the event types of members.
var MemberEventTypes = []string{EventMembersAdded, EventMemberStatusesChanged, EventMemberStatusDefined, EventMemberStatus}

// MemberStore stores campaign members. Every method confines itself to
// the scope's workspace.
type MemberStore interface {
	// MemberStatuses returns the workspace's own member statuses and
	// whether each counts as a response.
	MemberStatuses(ctx context.Context, sc crmtype.Scope) (map[MemberStatus]bool, error)
	// DefineMemberStatus stores a workspace status with ev; ErrConflict
	// when it exists.
	DefineMemberStatus(ctx context.Context, sc crmtype.Scope, key MemberStatus, isResponse bool, at time.Time, ev crmtype.Event) error
	// InsertMembers adds the members that are not members of campaign
	// ms[0].CampaignID yet, each with a first log entry, and ev (after
	// fill, which is given the number added), atomically; it returns the
	// number added. ErrNotFound when the campaign is not in the
	// workspace; ErrInvalid "campaign" when it is completed or aborted.
	InsertMembers(ctx context.Context, sc crmtype.Scope, campaignID crmtype.ID, ms []Member, ev func(added int) crmtype.Event) (int, error)
	// UpdateMemberStatuses applies us to campaign id's members in order:
	// status, status time, first response (isResponse says which
	// statuses count), a log entry each; it returns the customers that
	// are not members. ev is appended with them, atomically.
	UpdateMemberStatuses(ctx context.Context, sc crmtype.Scope, id crmtype.ID, us []StatusUpdate, isResponse map[MemberStatus]bool, ev crmtype.Event) (missing []crmtype.ID, err error)
	// ListMembers returns one page of campaign id's members, by customer.
	ListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p MemberListParams, limit int) (crmtype.Page[*Member], error)
	// MemberLog returns a member's status log, oldest first; ErrNotFound
	// when the customer is not a member.
	MemberLog(ctx context.Context, sc crmtype.Scope, id, customerID crmtype.ID) ([]MemberChange, error)
	// MemberCounts returns how many of campaign id's members have each
	// status now, and how many responded.
	MemberCounts(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[MemberStatus]int, int, error)
}

// DefineMemberStatus adds a member status of the workspace's own, e.g.
// "registered" for an event, saying whether it counts as a response.
// Errors: ErrInvalid "status" when it is not 1 to MaxSlugBytes lowercase
// letters, digits, '_' or '-', or is built in; ErrConflict when defined.
func (s *Service) DefineMemberStatus(ctx context.Context, key MemberStatus, isResponse bool) error {
	const op = "define member status"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if !check.Slug(string(key), MaxSlugBytes) {
		return wrap(op, crmtype.Invalidf("status", "must be 1 to %d lowercase letters, digits, '_' or '-'", MaxSlugBytes))
	}
	if _, ok := BuiltinMemberStatuses[key]; ok {
		return wrap(op, crmtype.Invalidf("status", "%q is built in", key))
	}
	now := s.clock.Now()
	ev := crmtype.Event{Time: now, Type: EventMemberStatusDefined, SubjectType: "member_status", SubjectKey: string(key),
		Changes: crmtype.DiffFields(nil, map[string]any{"status": string(key), "is_response": isResponse})}
	return wrap(op, s.store.DefineMemberStatus(ctx, sc, key, isResponse, now, ev))
}

// memberStatuses returns every status of the workspace and whether it
// counts as a response.
func (s *Service) memberStatuses(ctx context.Context, sc crmtype.Scope) (map[MemberStatus]bool, error) {
	own, err := s.store.MemberStatuses(ctx, sc)
	if err != nil {
		return nil, err
	}
	all := make(map[MemberStatus]bool, len(BuiltinMemberStatuses)+len(own))
	for k, v := range BuiltinMemberStatuses {
		all[k] = v
	}
	for k, v := range own {
		all[k] = v
	}
	return all, nil
}

// AddMembers adds candidates to campaign id. Each candidate passes the
// contact decision for the campaign's message (see AddMembersParams): a
// candidate the decision allows or defers (quiet hours, a cap that frees
// up later) becomes a member in status added; one it denies (no consent,
// revoked, do not contact, deleted) is excluded and counted by reason;
// one that is a member already is counted as such. One event records the
// counts. Errors: ErrInvalid "customer_ids" (not exactly one source, or
// more than MaxAddMembers), "customer_ids[i]" (zero), "snapshot_id" or
// "list_id" (more than MaxAddMembers members), "channel", "purpose",
// "campaign" (completed or aborted); ErrNotFound when the workspace has no
// campaign id, snapshot or list. Nothing is written on error.
func (s *Service) AddMembers(ctx context.Context, id crmtype.ID, p AddMembersParams) (*AddMembersResult, error) {
	const op = "add members"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	sources := 0
	for _, set := range []bool{len(p.CustomerIDs) > 0, !p.SnapshotID.IsZero(), !p.ListID.IsZero()} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, wrap(op, crmtype.Invalid("customer_ids", "give exactly one of customer_ids, snapshot_id and list_id"))
	}
	if len(p.CustomerIDs) > MaxAddMembers {
		return nil, wrap(op, crmtype.Invalidf("customer_ids", "has %d candidates: give 1 to %d", len(p.CustomerIDs), MaxAddMembers))
	}
	for i, c := range p.CustomerIDs {
		if c.IsZero() {
			return nil, wrap(op, crmtype.Invalid(fmt.Sprintf("customer_ids[%d]", i), "is required"))
		}
	}
	source, err := check.Line("source", p.Source, MaxRefBytes, false)
	if err != nil {
		return nil, wrap(op, err)
	}
	switch {
	case source != "":
	case !p.SnapshotID.IsZero():
		source = "snapshot:" + p.SnapshotID.String()
	case !p.ListID.IsZero():
		source = "list:" + p.ListID.String()
	default:
		source = "ids"
	}
	if !p.SnapshotID.IsZero() || !p.ListID.IsZero() {
		if p.CustomerIDs, err = s.candidates(ctx, sc, p.SnapshotID, p.ListID); err != nil {
			return nil, wrap(op, err)
		}
		if len(p.CustomerIDs) == 0 {
			return &AddMembersResult{Excluded: map[string]int{}}, nil
		}
	}
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	if c.Status == StatusCompleted || c.Status == StatusAborted {
		return nil, wrap(op, crmtype.Invalidf("campaign", "is %s: members can no longer be added", c.Status))
	}
	if p.Channel == "" {
		p.Channel = communication.Channel(c.Channel)
	}
	if p.Channel == "" {
		return nil, wrap(op, crmtype.Invalid("channel", "is required when the campaign has no channel"))
	}
	if p.Purpose == "" {
		p.Purpose = communication.PurposeMarketing
		if c.Type == TypeResearch {
			p.Purpose = communication.PurposeResearch
		}
	}
	if p.List == "" {
		p.List = c.UTM.Campaign
	}
	if s.comm == nil {
		return nil, wrap(op, fmt.Errorf("no communication service: members must pass the contact decision"))
	}
	ids := distinct(p.CustomerIDs)
	res := &AddMembersResult{Candidates: len(p.CustomerIDs), Already: len(p.CustomerIDs) - len(ids), Excluded: map[string]int{}}
	ds, err := s.comm.DecideBatch(ctx, communication.BatchParams{CustomerIDs: ids, Channel: p.Channel, Purpose: p.Purpose, List: p.List})
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	ms := make([]Member, 0, len(ids))
	for _, d := range ds {
		if d.Verdict == communication.Deny {
			res.Excluded[d.Reason]++
			continue
		}
		ms = append(ms, Member{CampaignID: id, CustomerID: d.CustomerID, Status: MemberAdded, StatusAt: now, Source: source, AddedAt: now})
	}
	if len(ms) > 0 {
		added, err := s.store.InsertMembers(ctx, sc, id, ms, func(added int) crmtype.Event {
			m := map[string]any{"candidates": float64(res.Candidates), "added": float64(added),
				"already": float64(res.Already + len(ms) - added), "source": source}
			for k, v := range res.Excluded {
				m["excluded."+k] = float64(v)
			}
			return crmtype.Event{Time: now, Type: EventMembersAdded, SubjectType: SubjectCampaign, Subject: id, SubjectKey: c.Name,
				Changes: crmtype.DiffFields(nil, m)}
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		res.Added = added
		res.Already += len(ms) - added
	}
	return res, nil
}

// SetMemberStatuses records status changes of campaign id's members
// (delivery callbacks, opens, clicks, responses), each in the member's
// log; a status that counts as a response sets the member's first
// response time if it has none. Updates apply in order; a member may
// move to any status. It returns the customers of us that are not
// members (nothing is recorded for them). Errors: ErrInvalid "updates"
// (empty or more than MaxAddMembers), "updates[i].customer_id",
// "updates[i].status" (not a status of the workspace), "updates[i].at"
// (in the future); ErrNotFound when the workspace has no campaign id.
func (s *Service) SetMemberStatuses(ctx context.Context, id crmtype.ID, us []StatusUpdate) (notMembers []crmtype.ID, err error) {
	const op = "set member statuses"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 || len(us) > MaxAddMembers {
		return nil, wrap(op, crmtype.Invalidf("updates", "has %d updates: give 1 to %d", len(us), MaxAddMembers))
	}
	statuses, err := s.memberStatuses(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	us = slices.Clone(us)
	counts := map[string]any{"updated": float64(len(us))}
	for i := range us {
		u := &us[i]
		if u.CustomerID.IsZero() {
			return nil, wrap(op, crmtype.Invalid(fmt.Sprintf("updates[%d].customer_id", i), "is required"))
		}
		u.Status = MemberStatus(strings.ToLower(strings.TrimSpace(string(u.Status))))
		if _, ok := statuses[u.Status]; !ok {
			return nil, wrap(op, crmtype.Invalidf(fmt.Sprintf("updates[%d].status", i), "%q is not a member status of the workspace", u.Status))
		}
		if u.At.IsZero() {
			u.At = now
		}
		u.At = u.At.UTC().Truncate(time.Microsecond)
		if u.At.After(now.Add(time.Minute)) {
			return nil, wrap(op, crmtype.Invalid(fmt.Sprintf("updates[%d].at", i), "is in the future"))
		}
		k := "status." + string(u.Status)
		n, _ := counts[k].(float64)
		counts[k] = n + 1
	}
	ev := crmtype.Event{Time: now, Type: EventMemberStatusesChanged, SubjectType: SubjectCampaign, Subject: id,
		Changes: crmtype.DiffFields(nil, counts)}
	missing, err := s.store.UpdateMemberStatuses(ctx, sc, id, us, statuses, ev)
	return missing, wrap(op, err)
}

// Members returns one page of campaign id's members, by customer.
// Errors: ErrInvalid "limit", "cursor"; ErrNotFound.
func (s *Service) Members(ctx context.Context, id crmtype.ID, p MemberListParams) (crmtype.Page[*Member], error) {
	const op = "members"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Member]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Member]{}, wrap(op, err)
	}
	page, err := s.store.ListMembers(ctx, sc, id, p, limit)
	return page, wrap(op, err)
}

// MemberLog returns the status log of a customer's membership of campaign
// id, oldest first. ErrNotFound when the customer is not a member.
func (s *Service) MemberLog(ctx context.Context, id, customerID crmtype.ID) ([]MemberChange, error) {
	const op = "member log"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	log, err := s.store.MemberLog(ctx, sc, id, customerID)
	return log, wrap(op, err)
}

// Funnel counts campaign id's members by current status, and those who
// responded (a first response time).
type Funnel struct {
	Members   int
	ByStatus  map[MemberStatus]int
	Responded int
}

// MemberFunnel returns campaign id's member counts. ErrNotFound when the
// workspace has no campaign id.
func (s *Service) MemberFunnel(ctx context.Context, id crmtype.ID) (*Funnel, error) {
	const op = "member funnel"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	by, responded, err := s.store.MemberCounts(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	f := &Funnel{ByStatus: by, Responded: responded}
	for _, n := range by {
		f.Members += n
	}
	return f, nil
}

// candidates reads the members of a segment snapshot or a list (one of
// the ids is zero); ErrNotFound when it is not in the workspace, ErrInvalid
// "snapshot_id" or "list_id" when it has more than MaxAddMembers.
func (s *Service) candidates(ctx context.Context, sc crmtype.Scope, snapshot, list crmtype.ID) ([]crmtype.ID, error) {
	const page = 10_000
	var out []crmtype.ID
	var after crmtype.ID
	for {
		var ids []crmtype.ID
		var err error
		if !snapshot.IsZero() {
			ids, err = s.store.SnapshotMemberIDs(ctx, sc, snapshot, after, page)
		} else {
			ids, err = s.store.ListMemberIDs(ctx, sc, list, after, page)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
		if len(out) > MaxAddMembers {
			field := "list_id"
			if !snapshot.IsZero() {
				field = "snapshot_id"
			}
			return nil, crmtype.Invalidf(field, "has more than %d members: add them in parts", MaxAddMembers)
		}
		if len(ids) < page {
			return out, nil
		}
		after = ids[len(ids)-1]
	}
}

func distinct(ids []crmtype.ID) []crmtype.ID {
	seen := make(map[crmtype.ID]bool, len(ids))
	out := make([]crmtype.ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
