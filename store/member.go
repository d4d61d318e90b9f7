package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
	"github.com/uptrace/bun"
)

var _ marketing.MemberStore = (*Store)(nil)

type memberStatusRow struct {
	bun.BaseModel `bun:"table:crm_member_statuses,alias:mst"`

	WorkspaceID string    `bun:"workspace_id,pk"`
	Key         string    `bun:"key,pk"`
	IsResponse  bool      `bun:"is_response"`
	CreatedAt   time.Time `bun:"created_at"`
}

type memberRow struct {
	bun.BaseModel `bun:"table:crm_campaign_members,alias:mem"`

	WorkspaceID      string     `bun:"workspace_id,pk"`
	CampaignID       crmtype.ID `bun:"campaign_id,pk,type:uuid"`
	CustomerID       crmtype.ID `bun:"customer_id,pk,type:uuid"`
	Status           string     `bun:"status"`
	StatusAt         time.Time  `bun:"status_at"`
	Source           string     `bun:"source"`
	Variant          string     `bun:"variant"`
	FirstRespondedAt *time.Time `bun:"first_responded_at"`
	AddedAt          time.Time  `bun:"added_at"`
}

func (r *memberRow) toMember() *marketing.Member {
	return &marketing.Member{CampaignID: r.CampaignID, CustomerID: r.CustomerID, Status: marketing.MemberStatus(r.Status),
		StatusAt: r.StatusAt.UTC(), Source: r.Source, Variant: r.Variant, FirstRespondedAt: utcPtr(r.FirstRespondedAt),
		AddedAt: r.AddedAt.UTC()}
}

type memberLogRow struct {
	bun.BaseModel `bun:"table:crm_campaign_member_log,alias:mlog"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	CampaignID  crmtype.ID `bun:"campaign_id,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Status      string     `bun:"status"`
	At          time.Time  `bun:"occurred_at"`
}

// memberEvent is the timeline entry of a member log row.
func (r *memberLogRow) memberEvent(ws crmtype.WorkspaceID) crmtype.Event {
	return crmtype.Event{ID: r.ID, Workspace: ws, Time: r.At.UTC(), Type: marketing.EventMemberStatus,
		SubjectType: marketing.SubjectCampaign, Subject: r.CampaignID, Customer: r.CustomerID,
		Changes: []crmtype.Change{{Field: "status", After: r.Status}}}
}

// MemberStatuses implements marketing.MemberStore.
func (s *Store) MemberStatuses(ctx context.Context, sc crmtype.Scope) (map[marketing.MemberStatus]bool, error) {
	var rows []memberStatusRow
	if err := where(s.db.NewSelect().Model(&rows), "mst", sc).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[marketing.MemberStatus]bool, len(rows))
	for _, r := range rows {
		out[marketing.MemberStatus(r.Key)] = r.IsResponse
	}
	return out, nil
}

// DefineMemberStatus implements marketing.MemberStore.
func (s *Store) DefineMemberStatus(ctx context.Context, sc crmtype.Scope, key marketing.MemberStatus, isResponse bool, at time.Time, ev crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		res, err := tx.db.NewInsert().Model(&memberStatusRow{WorkspaceID: string(sc.Workspace), Key: string(key), IsResponse: isResponse,
			CreatedAt: at.UTC()}).On("CONFLICT (workspace_id, key) DO NOTHING").Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &crmtype.ConflictError{Resource: "member status", Field: "status", Reason: fmt.Sprintf("%q is defined already", key)}
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// campaignOpen returns ErrNotFound when campaign id is not in the
// workspace, ErrInvalid "campaign" when it is completed or aborted.
func (s *Store) campaignOpen(ctx context.Context, sc crmtype.Scope, id crmtype.ID) error {
	var row campaignRow
	q := s.db.NewSelect().Model(&row).Column("cmp.status").Where("cmp.id = ?", id)
	if s.pg {
		q = q.For("SHARE")
	}
	if err := where(q, "cmp", sc).Scan(ctx); err != nil {
		return fmt.Errorf("campaign %s: %w", id, mapError(err))
	}
	if row.Status == string(marketing.StatusCompleted) || row.Status == string(marketing.StatusAborted) {
		return crmtype.Invalidf("campaign", "is %s: its members can no longer change", row.Status)
	}
	return nil
}

// InsertMembers implements marketing.MemberStore. Each chunk of members is
// one INSERT ... ON CONFLICT DO NOTHING RETURNING, so a member added by a
// concurrent call is counted as already there, not as an error; the first
// log entries of those added follow once all members are in.
//
// On PostgreSQL a large call refreshes the members table's statistics
// before the log entries go in: their foreign-key checks are planned once
// per connection, and a plan made while the table was nearly empty (a new
// database) scans it for every entry, which makes a first campaign of
// 100,000 members take minutes instead of seconds.
func (s *Store) InsertMembers(ctx context.Context, sc crmtype.Scope, campaignID crmtype.ID, ms []marketing.Member, ev func(added int) crmtype.Event) (int, error) {
	added := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		added = 0
		if err := tx.campaignOpen(ctx, sc, campaignID); err != nil {
			return err
		}
		var fresh []crmtype.ID
		rows := make([]memberRow, 0, min(len(ms), batchRows))
		for start := 0; start < len(ms); start += batchRows {
			rows = rows[:0]
			for _, m := range ms[start:min(start+batchRows, len(ms))] {
				rows = append(rows, memberRow{WorkspaceID: string(sc.Workspace), CampaignID: campaignID, CustomerID: m.CustomerID,
					Status: string(m.Status), StatusAt: m.StatusAt.UTC(), Source: m.Source, Variant: m.Variant, AddedAt: m.AddedAt.UTC()})
			}
			var ids []crmtype.ID
			if err := tx.db.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Returning("customer_id").Scan(ctx, &ids); err != nil {
				return mapError(err)
			}
			fresh = append(fresh, ids...)
		}
		added = len(fresh)
		if added == 0 {
			return tx.appendEvents(ctx, sc, []crmtype.Event{ev(0)})
		}
		if tx.pg && added >= analyzeMembersAt {
			if _, err := tx.db.ExecContext(ctx, "ANALYZE crm_campaign_members"); err != nil {
				return err
			}
		}
		at := ms[0].AddedAt.UTC()
		logs := make([]memberLogRow, len(fresh))
		for i, c := range fresh {
			logs[i] = memberLogRow{WorkspaceID: string(sc.Workspace), ID: crmtype.NewID(at), CampaignID: campaignID, CustomerID: c,
				Status: string(marketing.MemberAdded), At: at}
		}
		if err := insertChunks(ctx, tx.db, logs); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev(added)})
	})
	return added, err
}

// analyzeMembersAt is the number of members one InsertMembers call adds
// from which it refreshes the table's statistics on PostgreSQL.
const analyzeMembersAt = 5000

// UpdateMemberStatuses implements marketing.MemberStore.
func (s *Store) UpdateMemberStatuses(ctx context.Context, sc crmtype.Scope, id crmtype.ID, us []marketing.StatusUpdate, isResponse map[marketing.MemberStatus]bool, ev crmtype.Event) ([]crmtype.ID, error) {
	var missing []crmtype.ID
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		missing = nil
		if err := tx.campaignOpen(ctx, sc, id); err != nil {
			return err
		}
		var logs []memberLogRow
		for _, u := range us {
			q := tx.db.NewUpdate().Model((*memberRow)(nil)).Set("status = ?", string(u.Status)).Set("status_at = ?", u.At).
				Where("mem.campaign_id = ?", id).Where("mem.customer_id = ?", u.CustomerID)
			if isResponse[u.Status] {
				q = q.Set("first_responded_at = CASE WHEN mem.first_responded_at IS NULL OR mem.first_responded_at > ? THEN ? ELSE mem.first_responded_at END", u.At, u.At)
			}
			res, err := where(q, "mem", sc).Exec(ctx)
			if err != nil {
				return mapError(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				missing = append(missing, u.CustomerID)
				continue
			}
			logs = append(logs, memberLogRow{WorkspaceID: string(sc.Workspace), ID: crmtype.NewID(u.At), CampaignID: id,
				CustomerID: u.CustomerID, Status: string(u.Status), At: u.At})
		}
		if err := insertChunks(ctx, tx.db, logs); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
	return missing, err
}

type memberCursor struct {
	C crmtype.ID `json:"c"`
}

// ListMembers implements marketing.MemberStore.
func (s *Store) ListMembers(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p marketing.MemberListParams, limit int) (crmtype.Page[*marketing.Member], error) {
	var page crmtype.Page[*marketing.Member]
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return page, err
	}
	var rows []memberRow
	q := s.db.NewSelect().Model(&rows).Where("mem.campaign_id = ?", id)
	if p.Status != "" {
		q = q.Where("mem.status = ?", string(p.Status))
	}
	if p.After != "" {
		var cur memberCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		q = q.Where("mem.customer_id > ?", cur.C)
	}
	if err := where(q, "mem", sc).OrderExpr("mem.customer_id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(memberCursor{C: rows[len(rows)-1].CustomerID})
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].toMember())
	}
	return page, nil
}

// MemberLog implements marketing.MemberStore.
func (s *Store) MemberLog(ctx context.Context, sc crmtype.Scope, id, customerID crmtype.ID) ([]marketing.MemberChange, error) {
	ok, err := where(s.db.NewSelect().Model((*memberRow)(nil)).Where("mem.campaign_id = ?", id).Where("mem.customer_id = ?", customerID), "mem", sc).Exists(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("member %s of campaign %s: %w", customerID, id, crmtype.ErrNotFound)
	}
	var rows []memberLogRow
	if err := where(s.db.NewSelect().Model(&rows).Where("mlog.campaign_id = ?", id).Where("mlog.customer_id = ?", customerID), "mlog", sc).
		OrderExpr("mlog.occurred_at, mlog.id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]marketing.MemberChange, len(rows))
	for i, r := range rows {
		out[i] = marketing.MemberChange{Status: marketing.MemberStatus(r.Status), At: r.At.UTC()}
	}
	return out, nil
}

// MemberCounts implements marketing.MemberStore.
func (s *Store) MemberCounts(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[marketing.MemberStatus]int, int, error) {
	if _, err := s.GetCampaign(ctx, sc, id); err != nil {
		return nil, 0, err
	}
	var rows []struct {
		Status    string `bun:"status"`
		N         int    `bun:"n"`
		Responded int    `bun:"responded"`
	}
	if err := where(s.db.NewSelect().Model((*memberRow)(nil)).ColumnExpr("mem.status, COUNT(*) AS n, COUNT(mem.first_responded_at) AS responded").
		Where("mem.campaign_id = ?", id), "mem", sc).GroupExpr("mem.status").Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	out := map[marketing.MemberStatus]int{}
	responded := 0
	for _, r := range rows {
		out[marketing.MemberStatus(r.Status)] = r.N
		responded += r.Responded
	}
	return out, responded, nil
}
