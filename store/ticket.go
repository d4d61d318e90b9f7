package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
	"github.com/uptrace/bun"
)

var _ service.TicketStore = (*Store)(nil)

type ticketRow struct {
	bun.BaseModel `bun:"table:crm_tickets,alias:tkt"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	Number      int64      `bun:"number"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	CompanyID   crmtype.ID `bun:"company_id,type:uuid"`
	PurchaseID  crmtype.ID `bun:"purchase_id,type:uuid"`
	Product     string     `bun:"product"`
	Category    string     `bun:"category"`
	Priority    string     `bun:"priority"`
	Channel     string     `bun:"channel"`
	Subject     string     `bun:"subject"`
	Description string     `bun:"description"`
	Status      string     `bun:"status"`
	AssigneeID  string     `bun:"assignee_id"`
	TeamID      string     `bun:"team_id"`
	Tags        string     `bun:"tags"`       // JSON array
	Attributes  string     `bun:"attributes"` // JSON object
	Version     int64      `bun:"version"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
	SolvedAt    *time.Time `bun:"solved_at"`
	ClosedAt    *time.Time `bun:"closed_at"`
	ParentID    crmtype.ID `bun:"parent_id,type:uuid"`
	MergedInto  crmtype.ID `bun:"merged_into_id,type:uuid"`
	PolicyID    crmtype.ID `bun:"policy_id,type:uuid"`
	Activity    string     `bun:"activity"` // JSON array
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func toTicketRow(sc crmtype.Scope, t *service.Ticket) (*ticketRow, error) {
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	tb, err := json.Marshal(tags)
	if err != nil {
		return nil, err
	}
	attrs := t.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	ab, err := json.Marshal(attrs)
	if err != nil {
		return nil, err
	}
	act := t.Activity
	if act == nil {
		act = []service.Activity{}
	}
	actb, err := json.Marshal(act)
	if err != nil {
		return nil, err
	}
	return &ticketRow{ParentID: t.ParentID, MergedInto: t.MergedIntoID, PolicyID: t.PolicyID, Activity: string(actb), WorkspaceID: string(sc.Workspace), ID: t.ID, Number: t.Number, CustomerID: t.CustomerID,
		CompanyID: t.CompanyID, PurchaseID: t.PurchaseID, Product: t.Product, Category: t.Category,
		Priority: string(t.Priority), Channel: t.Channel, Subject: t.Subject, Description: t.Description,
		Status: string(t.Status), AssigneeID: t.AssigneeID, TeamID: t.TeamID, Tags: string(tb), Attributes: string(ab),
		Version: t.Version, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		SolvedAt: utcPtr(t.SolvedAt), ClosedAt: utcPtr(t.ClosedAt)}, nil
}

func (r *ticketRow) toTicket() (*service.Ticket, error) {
	t := &service.Ticket{ID: r.ID, Number: r.Number, CustomerID: r.CustomerID, CompanyID: r.CompanyID,
		PurchaseID: r.PurchaseID, Product: r.Product, Category: r.Category, Priority: service.Priority(r.Priority),
		Channel: r.Channel, Subject: r.Subject, Description: r.Description, Status: service.Status(r.Status),
		AssigneeID: r.AssigneeID, TeamID: r.TeamID, Version: r.Version, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), SolvedAt: utcPtr(r.SolvedAt), ClosedAt: utcPtr(r.ClosedAt),
		ParentID: r.ParentID, MergedIntoID: r.MergedInto, PolicyID: r.PolicyID}
	if err := json.Unmarshal([]byte(r.Activity), &t.Activity); err != nil {
		return nil, fmt.Errorf("store: decode activity of ticket %s: %w", r.ID, err)
	}
	if len(t.Activity) == 0 {
		t.Activity = nil
	}
	if err := json.Unmarshal([]byte(r.Tags), &t.Tags); err != nil {
		return nil, fmt.Errorf("store: decode tags of ticket %s: %w", r.ID, err)
	}
	if len(t.Tags) == 0 {
		t.Tags = nil
	}
	if err := json.Unmarshal([]byte(r.Attributes), &t.Attributes); err != nil {
		return nil, fmt.Errorf("store: decode attributes of ticket %s: %w", r.ID, err)
	}
	if len(t.Attributes) == 0 {
		t.Attributes = nil
	}
	return t, nil
}

// checkTicketRefs checks that the ticket's company is a company of the
// workspace and its purchase a purchase of it, and, with customer, that its
// customer is a customer of the workspace that is not erased.
func (s *Store) checkTicketRefs(ctx context.Context, sc crmtype.Scope, t *service.Ticket, customer, company, purchase, parent bool) error {
	if parent && !t.ParentID.IsZero() {
		if err := s.checkTicketParent(ctx, sc, t); err != nil {
			return err
		}
	}
	if customer {
		if err := s.checkCustomersExist(ctx, sc, map[crmtype.ID]bool{t.CustomerID: true}); err != nil {
			return err
		}
	}
	if company && !t.CompanyID.IsZero() {
		q := s.db.NewSelect().Model((*customerRow)(nil)).Where("c.id = ?", t.CompanyID).Where("c.kind = 'company'")
		ok, err := where(q, "c", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("company %s: %w", t.CompanyID, crmtype.ErrNotFound)
		}
	}
	if purchase && !t.PurchaseID.IsZero() {
		q := s.db.NewSelect().Model((*purchaseRow)(nil)).Where("p.id = ?", t.PurchaseID)
		ok, err := where(q, "p", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("purchase %s: %w", t.PurchaseID, crmtype.ErrNotFound)
		}
	}
	return nil
}

// nextTicketNumber hands out the workspace's next ticket number in the
// caller's transaction. The upsert holds the counter row's lock until the
// transaction ends (PostgreSQL), or the transaction holds SQLite's one
// write lock from its start (immediate transactions), so concurrent
// tickets get distinct numbers; a rolled-back ticket gives its number back.
func (s *Store) nextTicketNumber(ctx context.Context, sc crmtype.Scope) (int64, error) {
	var n int64
	err := s.db.NewRaw("INSERT INTO crm_ticket_counters (workspace_id, next) VALUES (?, 2) "+
		"ON CONFLICT (workspace_id) DO UPDATE SET next = crm_ticket_counters.next + 1 RETURNING next - 1",
		string(sc.Workspace)).Scan(ctx, &n)
	if err != nil {
		return 0, mapError(err)
	}
	return n, nil
}

// InsertTicket implements service.TicketStore.
func (s *Store) InsertTicket(ctx context.Context, sc crmtype.Scope, t *service.Ticket, events func(t *service.Ticket) []crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkTicketRefs(ctx, sc, t, true, true, true, true); err != nil {
			return err
		}
		n, err := tx.nextTicketNumber(ctx, sc)
		if err != nil {
			return err
		}
		t.Number = n
		row, err := toTicketRow(sc, t)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			t.Number = 0
			return mapError(err)
		}
		if err := tx.replaceTicketSLA(ctx, sc, t); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, events(t))
	})
}

// GetTicket implements service.TicketStore.
func (s *Store) GetTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*service.Ticket, error) {
	return s.getTicket(ctx, sc, "tkt.id = ?", id)
}

// GetTicketByNumber implements service.TicketStore.
func (s *Store) GetTicketByNumber(ctx context.Context, sc crmtype.Scope, number int64) (*service.Ticket, error) {
	return s.getTicket(ctx, sc, "tkt.number = ?", number)
}

func (s *Store) getTicket(ctx context.Context, sc crmtype.Scope, cond string, arg any) (*service.Ticket, error) {
	var row ticketRow
	if err := where(s.db.NewSelect().Model(&row).Where(cond, arg), "tkt", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	t, err := row.toTicket()
	if err != nil {
		return nil, err
	}
	return t, s.loadSLALevels(ctx, sc, t)
}

// ChangeTicket implements service.TicketStore.
func (s *Store) ChangeTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(t *service.Ticket) ([]crmtype.Event, error)) (*service.Ticket, error) {
	var out *service.Ticket
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var err error
		out, err = tx.changeTicket(ctx, sc, id, version, change, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CommentTicket implements service.ReplyStore.
func (s *Store) CommentTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID, reply *communication.Interaction, note *service.Note, change func(t *service.Ticket) ([]crmtype.Event, error)) (*service.Ticket, error) {
	var out *service.Ticket
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var err error
		out, err = tx.changeTicket(ctx, sc, id, 0, change, func(t *service.Ticket) error {
			if reply != nil {
				res, err := tx.InsertInteractions(ctx, sc, []*communication.Interaction{reply}, false)
				if err != nil {
					return err
				}
				if res[0].Err != nil {
					return res[0].Err
				}
				*reply = *res[0].Interaction
			}
			if note != nil {
				_, err := tx.db.NewInsert().Model(&ticketNoteRow{WorkspaceID: string(sc.Workspace), ID: note.ID,
					TicketID: id, CustomerID: t.CustomerID, AuthorID: note.AuthorID, Body: note.Body,
					CreatedAt: note.CreatedAt.UTC()}).Exec(ctx)
				return mapError(err)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeTicket is ChangeTicket in the caller's transaction; a version of 0
// skips the version check. also, when not nil, runs after the ticket is
// saved and before its events are appended.
func (s *Store) changeTicket(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(t *service.Ticket) ([]crmtype.Event, error), also func(t *service.Ticket) error) (*service.Ticket, error) {
	var row ticketRow
	q := s.db.NewSelect().Model(&row).Where("tkt.id = ?", id)
	if s.pg {
		q = q.For("UPDATE")
	}
	if err := where(q, "tkt", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	if version != 0 && row.Version != version {
		return nil, &crmtype.ConflictError{Resource: "ticket", Field: "version", HeldBy: id,
			Reason: fmt.Sprintf("is %d, not %d: the ticket changed since it was read", row.Version, version)}
	}
	t, err := row.toTicket()
	if err != nil {
		return nil, err
	}
	if err := s.lockSLA(ctx, sc, t); err != nil {
		return nil, err
	}
	evs, err := change(t)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		t, err := row.toTicket()
		if err != nil {
			return nil, err
		}
		return t, s.loadSLALevels(ctx, sc, t)
	}
	if err := s.checkTicketRefs(ctx, sc, t, false, t.CompanyID != row.CompanyID, t.PurchaseID != row.PurchaseID, t.ParentID != row.ParentID); err != nil {
		return nil, err
	}
	t.ID, t.Number, t.CustomerID, t.CreatedAt = row.ID, row.Number, row.CustomerID, row.CreatedAt.UTC()
	t.Version = row.Version + 1
	nrow, err := toTicketRow(sc, t)
	if err != nil {
		return nil, err
	}
	res, err := where(s.db.NewUpdate().Model(nrow).ExcludeColumn("workspace_id", "id", "number", "customer_id", "created_at").
		Where("tkt.id = ?", id).Where("tkt.version = ?", row.Version), "tkt", sc).Exec(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, &crmtype.ConflictError{Resource: "ticket", Field: "version", HeldBy: id, Reason: "changed concurrently"}
	}
	if err := s.replaceTicketSLA(ctx, sc, t); err != nil {
		return nil, err
	}
	if also != nil {
		if err := also(t); err != nil {
			return nil, err
		}
	}
	return t, s.appendEvents(ctx, sc, evs)
}

type ticketCursor struct {
	N int64 `json:"n"`
}

// ListTickets implements service.TicketStore.
func (s *Store) ListTickets(ctx context.Context, sc crmtype.Scope, p service.TicketListParams, limit int) (crmtype.Page[*service.Ticket], error) {
	var page crmtype.Page[*service.Ticket]
	var rows []ticketRow
	q := s.db.NewSelect().Model(&rows)
	if !p.CustomerID.IsZero() {
		q = q.Where("tkt.customer_id = ?", p.CustomerID)
	}
	if p.Status != "" {
		q = q.Where("tkt.status = ?", string(p.Status))
	}
	if p.AssigneeID != "" {
		q = q.Where("tkt.assignee_id = ?", p.AssigneeID)
	}
	if !p.ParentID.IsZero() {
		q = q.Where("tkt.parent_id = ?", p.ParentID)
	}
	if p.After != "" {
		var cur ticketCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.N < 1 {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("tkt.number > ?", cur.N)
	}
	if err := where(q, "tkt", sc).OrderExpr("tkt.number").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = crmtype.EncodeCursor(ticketCursor{N: rows[len(rows)-1].Number})
	}
	page.Items = make([]*service.Ticket, len(rows))
	for i := range rows {
		t, err := rows[i].toTicket()
		if err != nil {
			return page, err
		}
		page.Items[i] = t
	}
	return page, s.loadSLALevels(ctx, sc, page.Items...)
}
