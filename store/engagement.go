package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
)

var _ service.EngagementStore = (*Store)(nil)

type engagementRow struct {
	bun.BaseModel `bun:"table:crm_engagements,alias:eng"`

	WorkspaceID    string     `bun:"workspace_id,pk"`
	ID             crmtype.ID `bun:"id,pk,type:uuid"`
	CustomerID     crmtype.ID `bun:"customer_id,type:uuid"`
	Kind           string     `bun:"kind"`
	TicketID       crmtype.ID `bun:"ticket_id,type:uuid"`
	PurchaseID     crmtype.ID `bun:"purchase_id,type:uuid"`
	ScheduledStart time.Time  `bun:"scheduled_start"`
	ScheduledEnd   time.Time  `bun:"scheduled_end"`
	ActualStart    *time.Time `bun:"actual_start"`
	ActualEnd      *time.Time `bun:"actual_end"`
	Location       string     `bun:"location"`
	HostIDs        string     `bun:"host_ids"` // JSON array
	Outcome        string     `bun:"outcome"`
	OutcomeNote    string     `bun:"outcome_note"`
	Notes          string     `bun:"notes"`
	Version        int64      `bun:"version"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
	CompletedAt    *time.Time `bun:"completed_at"`
}

type engagementAttendeeRow struct {
	bun.BaseModel `bun:"table:crm_engagement_attendees,alias:ea"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	EngagementID crmtype.ID `bun:"engagement_id,pk,type:uuid"`
	CustomerID   crmtype.ID `bun:"customer_id,pk,type:uuid"`
	Status       string     `bun:"status"`
	Score        *int       `bun:"score"`
}

func toEngagementRow(sc crmtype.Scope, e *service.Engagement) (*engagementRow, error) {
	hosts := e.HostIDs
	if hosts == nil {
		hosts = []string{}
	}
	hb, err := json.Marshal(hosts)
	if err != nil {
		return nil, err
	}
	return &engagementRow{WorkspaceID: string(sc.Workspace), ID: e.ID, CustomerID: e.CustomerID, Kind: e.Kind,
		TicketID: e.TicketID, PurchaseID: e.PurchaseID, ScheduledStart: e.ScheduledStart.UTC(),
		ScheduledEnd: e.ScheduledEnd.UTC(), ActualStart: utcPtr(e.ActualStart), ActualEnd: utcPtr(e.ActualEnd),
		Location: e.Location, HostIDs: string(hb), Outcome: string(e.Outcome), OutcomeNote: e.OutcomeNote,
		Notes: e.Notes, Version: e.Version, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
		CompletedAt: utcPtr(e.CompletedAt)}, nil
}

func toAttendeeRows(sc crmtype.Scope, e *service.Engagement) []engagementAttendeeRow {
	rows := make([]engagementAttendeeRow, len(e.Attendees))
	for i, a := range e.Attendees {
		rows[i] = engagementAttendeeRow{WorkspaceID: string(sc.Workspace), EngagementID: e.ID,
			CustomerID: a.CustomerID, Status: string(a.Status), Score: a.Score}
	}
	return rows
}

func (r *engagementRow) toEngagement() (*service.Engagement, error) {
	e := &service.Engagement{ID: r.ID, CustomerID: r.CustomerID, Kind: r.Kind, TicketID: r.TicketID,
		PurchaseID: r.PurchaseID, ScheduledStart: r.ScheduledStart.UTC(), ScheduledEnd: r.ScheduledEnd.UTC(),
		ActualStart: utcPtr(r.ActualStart), ActualEnd: utcPtr(r.ActualEnd), Location: r.Location,
		Outcome: service.Outcome(r.Outcome), OutcomeNote: r.OutcomeNote, Notes: r.Notes, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), CompletedAt: utcPtr(r.CompletedAt)}
	if err := json.Unmarshal([]byte(r.HostIDs), &e.HostIDs); err != nil {
		return nil, fmt.Errorf("store: decode host ids of engagement %s: %w", r.ID, err)
	}
	if len(e.HostIDs) == 0 {
		e.HostIDs = nil
	}
	return e, nil
}

// loadAttendees sets the attendees of es, read in one query per
// batchRows engagements, sorted by customer.
func (s *Store) loadAttendees(ctx context.Context, sc crmtype.Scope, es []*service.Engagement) error {
	byID := make(map[crmtype.ID]*service.Engagement, len(es))
	ids := make([]crmtype.ID, len(es))
	for i, e := range es {
		byID[e.ID], ids[i] = e, e.ID
	}
	for i := 0; i < len(ids); i += batchRows {
		var rows []engagementAttendeeRow
		q := s.db.NewSelect().Model(&rows).Where("ea.engagement_id IN (?)", bun.In(ids[i:min(i+batchRows, len(ids))])).
			OrderExpr("ea.engagement_id").OrderExpr("ea.customer_id")
		if err := where(q, "ea", sc).Scan(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			e := byID[r.EngagementID]
			e.Attendees = append(e.Attendees, service.Attendee{CustomerID: r.CustomerID,
				Status: service.Attendance(r.Status), Score: r.Score})
		}
	}
	return nil
}

// checkLiveCustomers checks that every customer of ids is a live customer
// of the workspace: neither deleted (nor merged away) nor erased. An
// engagement is arranged with people the workspace still serves.
func (s *Store) checkLiveCustomers(ctx context.Context, sc crmtype.Scope, ids map[crmtype.ID]bool) error {
	want := make([]crmtype.ID, 0, len(ids))
	for id := range ids {
		want = append(want, id)
	}
	slices.SortFunc(want, func(a, b crmtype.ID) int { return bytes.Compare(a[:], b[:]) })
	found := make(map[crmtype.ID]bool, len(want))
	for i := 0; i < len(want); i += batchRows {
		var got []crmtype.ID
		q := s.db.NewSelect().Model((*customerRow)(nil)).Column("c.id").Where("c.id IN (?)", bun.In(want[i:min(i+batchRows, len(want))])).
			Where("c.erased_at IS NULL").Where("c.deleted_at IS NULL")
		if err := where(q, "c", sc).Scan(ctx, &got); err != nil {
			return err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	for _, id := range want {
		if !found[id] {
			return fmt.Errorf("customer %s (missing, deleted or erased): %w", id, crmtype.ErrNotFound)
		}
	}
	return nil
}

// checkEngagementRefs checks that the engagement's ticket is a ticket of
// the workspace, its purchase a purchase of it, and the customers of
// customers live customers of it (checkLiveCustomers).
func (s *Store) checkEngagementRefs(ctx context.Context, sc crmtype.Scope, e *service.Engagement, customers map[crmtype.ID]bool, ticket, purchase bool) error {
	if err := s.checkLiveCustomers(ctx, sc, customers); err != nil {
		return err
	}
	if ticket && !e.TicketID.IsZero() {
		q := s.db.NewSelect().Model((*ticketRow)(nil)).Where("tkt.id = ?", e.TicketID)
		ok, err := where(q, "tkt", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("ticket %s: %w", e.TicketID, crmtype.ErrNotFound)
		}
	}
	if purchase && !e.PurchaseID.IsZero() {
		q := s.db.NewSelect().Model((*purchaseRow)(nil)).Where("p.id = ?", e.PurchaseID)
		ok, err := where(q, "p", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("purchase %s: %w", e.PurchaseID, crmtype.ErrNotFound)
		}
	}
	return nil
}

// InsertEngagement implements service.EngagementStore.
func (s *Store) InsertEngagement(ctx context.Context, sc crmtype.Scope, e *service.Engagement, events []crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		customers := map[crmtype.ID]bool{e.CustomerID: true}
		for _, a := range e.Attendees {
			customers[a.CustomerID] = true
		}
		if err := tx.checkEngagementRefs(ctx, sc, e, customers, true, true); err != nil {
			return err
		}
		row, err := toEngagementRow(sc, e)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		if err := insertChunks(ctx, tx.db, toAttendeeRows(sc, e)); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, events)
	})
}

// GetEngagement implements service.EngagementStore.
func (s *Store) GetEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*service.Engagement, error) {
	return s.getEngagement(ctx, sc, id, false)
}

func (s *Store) getEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID, lock bool) (*service.Engagement, error) {
	var row engagementRow
	q := s.db.NewSelect().Model(&row).Where("eng.id = ?", id)
	if lock && s.pg {
		q = q.For("UPDATE")
	}
	if err := where(q, "eng", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	e, err := row.toEngagement()
	if err != nil {
		return nil, err
	}
	if err := s.loadAttendees(ctx, sc, []*service.Engagement{e}); err != nil {
		return nil, err
	}
	return e, nil
}

// ChangeEngagement implements service.EngagementStore.
func (s *Store) ChangeEngagement(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(e *service.Engagement) ([]crmtype.Event, error)) (*service.Engagement, error) {
	var out *service.Engagement
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		old, err := tx.getEngagement(ctx, sc, id, true)
		if err != nil {
			return err
		}
		if old.Version != version {
			return &crmtype.ConflictError{Resource: "engagement", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the engagement changed since it was read", old.Version, version)}
		}
		e := cloneEngagement(old)
		evs, err := change(e)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			out = old
			return nil
		}
		added := map[crmtype.ID]bool{}
		for _, a := range e.Attendees {
			if _, ok := old.Attendee(a.CustomerID); !ok {
				added[a.CustomerID] = true
			}
		}
		if err := tx.checkEngagementRefs(ctx, sc, e, added, e.TicketID != old.TicketID, e.PurchaseID != old.PurchaseID); err != nil {
			return err
		}
		e.ID, e.CustomerID, e.CreatedAt = old.ID, old.CustomerID, old.CreatedAt
		e.Version = old.Version + 1
		row, err := toEngagementRow(sc, e)
		if err != nil {
			return err
		}
		res, err := where(tx.db.NewUpdate().Model(row).ExcludeColumn("workspace_id", "id", "customer_id", "created_at").
			Where("eng.id = ?", id).Where("eng.version = ?", version), "eng", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &crmtype.ConflictError{Resource: "engagement", Field: "version", HeldBy: id, Reason: "changed concurrently"}
		}
		if !slices.EqualFunc(old.Attendees, e.Attendees, sameAttendee) {
			q := tx.db.NewDelete().Model((*engagementAttendeeRow)(nil)).Where("ea.engagement_id = ?", id)
			if _, err := where(q, "ea", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
			if err := insertChunks(ctx, tx.db, toAttendeeRows(sc, e)); err != nil {
				return mapError(err)
			}
		}
		out = e
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sameAttendee(a, b service.Attendee) bool {
	return a.CustomerID == b.CustomerID && a.Status == b.Status &&
		(a.Score == nil) == (b.Score == nil) && (a.Score == nil || *a.Score == *b.Score)
}

// cloneEngagement copies e deeply enough that change cannot alter it.
func cloneEngagement(e *service.Engagement) *service.Engagement {
	c := *e
	c.HostIDs = slices.Clone(e.HostIDs)
	c.Attendees = slices.Clone(e.Attendees)
	c.ActualStart, c.ActualEnd, c.CompletedAt = utcPtr(e.ActualStart), utcPtr(e.ActualEnd), utcPtr(e.CompletedAt)
	return &c
}

type engagementCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListEngagements implements service.EngagementStore.
func (s *Store) ListEngagements(ctx context.Context, sc crmtype.Scope, p service.EngagementListParams, limit int) (crmtype.Page[*service.Engagement], error) {
	var page crmtype.Page[*service.Engagement]
	var rows []engagementRow
	q := s.db.NewSelect().Model(&rows)
	if !p.CustomerID.IsZero() {
		q = q.Where("eng.customer_id = ?", p.CustomerID)
	}
	if !p.TicketID.IsZero() {
		q = q.Where("eng.ticket_id = ?", p.TicketID)
	}
	if p.Kind != "" {
		q = q.Where("eng.kind = ?", p.Kind)
	}
	if !p.From.IsZero() {
		q = q.Where("eng.scheduled_start >= ?", p.From.UTC())
	}
	if !p.To.IsZero() {
		q = q.Where("eng.scheduled_start < ?", p.To.UTC())
	}
	if p.After != "" {
		var cur engagementCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() || cur.At.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		at := cur.At.UTC()
		q = q.Where("eng.scheduled_start > ? OR (eng.scheduled_start = ? AND eng.id > ?)", at, at, cur.ID)
	}
	if err := where(q, "eng", sc).OrderExpr("eng.scheduled_start").OrderExpr("eng.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(engagementCursor{At: last.ScheduledStart.UTC(), ID: last.ID})
	}
	page.Items = make([]*service.Engagement, len(rows))
	for i := range rows {
		e, err := rows[i].toEngagement()
		if err != nil {
			return page, err
		}
		page.Items[i] = e
	}
	if err := s.loadAttendees(ctx, sc, page.Items); err != nil {
		return page, err
	}
	return page, nil
}
