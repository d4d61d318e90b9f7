package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
	"github.com/uptrace/bun"
)

var (
	_ service.SLAStore   = (*Store)(nil)
	_ service.ReplyStore = (*Store)(nil)
)

type ticketNoteRow struct {
	bun.BaseModel `bun:"table:crm_ticket_notes,alias:tn"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	TicketID    crmtype.ID `bun:"ticket_id,type:uuid"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	AuthorID    string     `bun:"author_id"`
	Body        string     `bun:"body"`
	CreatedAt   time.Time  `bun:"created_at"`
}

type noteCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListNotes implements service.ReplyStore.
func (s *Store) ListNotes(ctx context.Context, sc crmtype.Scope, id crmtype.ID, limit int, after crmtype.Cursor) (crmtype.Page[*service.Note], error) {
	var page crmtype.Page[*service.Note]
	ok, err := where(s.db.NewSelect().Model((*ticketRow)(nil)).Where("tkt.id = ?", id), "tkt", sc).Exists(ctx)
	if err != nil {
		return page, err
	}
	if !ok {
		return page, fmt.Errorf("ticket %s: %w", id, crmtype.ErrNotFound)
	}
	var rows []ticketNoteRow
	q := s.db.NewSelect().Model(&rows).Where("tn.ticket_id = ?", id)
	if after != "" {
		var cur noteCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("tn.created_at > ? OR (tn.created_at = ? AND tn.id > ?)", cur.At.UTC(), cur.At.UTC(), cur.ID)
	}
	if err := where(q, "tn", sc).OrderExpr("tn.created_at, tn.id").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(noteCursor{At: last.CreatedAt.UTC(), ID: last.ID})
	}
	for _, r := range rows {
		page.Items = append(page.Items, &service.Note{ID: r.ID, TicketID: r.TicketID, AuthorID: r.AuthorID, Body: r.Body, CreatedAt: r.CreatedAt.UTC()})
	}
	return page, nil
}

// checkTicketParent checks that t's parent is another ticket of the
// workspace, not closed and without a parent of its own, and that t has
// no children (one level of hierarchy, so no cycles).
func (s *Store) checkTicketParent(ctx context.Context, sc crmtype.Scope, t *service.Ticket) error {
	if t.ParentID == t.ID {
		return crmtype.Invalid("parent_id", "is the ticket itself")
	}
	var parent ticketRow
	err := where(s.db.NewSelect().Model(&parent).Column("tkt.status", "tkt.parent_id").Where("tkt.id = ?", t.ParentID), "tkt", sc).Scan(ctx)
	if err != nil {
		return fmt.Errorf("parent ticket %s: %w", t.ParentID, mapError(err))
	}
	switch {
	case parent.Status == string(service.StatusClosed):
		return crmtype.Invalid("parent_id", "is a closed ticket")
	case !parent.ParentID.IsZero():
		return crmtype.Invalid("parent_id", "is itself a child ticket: a parent has no parent")
	}
	hasChildren, err := where(s.db.NewSelect().Model((*ticketRow)(nil)).Where("tkt.parent_id = ?", t.ID), "tkt", sc).Exists(ctx)
	if err != nil {
		return err
	}
	if hasChildren {
		return crmtype.Invalid("parent_id", "is set on a ticket that has children of its own")
	}
	return nil
}

type ticketSLARow struct {
	bun.BaseModel `bun:"table:crm_ticket_slas,alias:sla"`

	WorkspaceID      string     `bun:"workspace_id,pk"`
	ID               crmtype.ID `bun:"id,pk,type:uuid"`
	TicketID         crmtype.ID `bun:"ticket_id,type:uuid"`
	Metric           string     `bun:"metric"`
	Seq              int        `bun:"seq"`
	PolicyID         crmtype.ID `bun:"policy_id,type:uuid"`
	TargetMinutes    int64      `bun:"target_minutes"`
	StartedAt        time.Time  `bun:"started_at"`
	Deadline         *time.Time `bun:"deadline"`
	WarnAt           *time.Time `bun:"warn_at"`
	MetAt            *time.Time `bun:"met_at"`
	ElapsedSeconds   int64      `bun:"elapsed_seconds"`
	Level            int        `bun:"level"`
	NextEscalationAt *time.Time `bun:"next_escalation_at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.UTC()
	return &v
}

// replaceTicketSLA stores t's SLA targets (t.SLA, with the levels claimed)
// in place of those stored.
func (s *Store) replaceTicketSLA(ctx context.Context, sc crmtype.Scope, t *service.Ticket) error {
	if _, err := where(s.db.NewDelete().Model((*ticketSLARow)(nil)).Where("sla.ticket_id = ?", t.ID), "sla", sc).Exec(ctx); err != nil {
		return err
	}
	if len(t.SLA) == 0 {
		return nil
	}
	rows := make([]ticketSLARow, len(t.SLA))
	for i := range t.SLA {
		g := &t.SLA[i]
		rows[i] = ticketSLARow{WorkspaceID: string(sc.Workspace), ID: crmtype.NewID(g.Start), TicketID: t.ID,
			Metric: string(g.Metric), Seq: g.Seq, PolicyID: g.PolicyID, TargetMinutes: int64(g.Target / time.Minute),
			StartedAt: g.Start.UTC(), Deadline: timePtr(g.Deadline), WarnAt: timePtr(g.WarnAt), MetAt: utcPtr(g.MetAt),
			ElapsedSeconds: int64(g.Elapsed / time.Second), Level: g.Level}
		if at, _, ok := g.NextEscalation(g.Level); ok {
			rows[i].NextEscalationAt = timePtr(at)
		}
	}
	_, err := s.db.NewInsert().Model(&rows).Exec(ctx)
	return mapError(err)
}

// loadSLALevels sets the SLA of ts to their stored targets, by metric
// and seq; State is left to the service.
func (s *Store) loadSLALevels(ctx context.Context, sc crmtype.Scope, ts ...*service.Ticket) error {
	return s.loadSLA(ctx, sc, false, ts...)
}

// lockSLA is loadSLALevels that also locks the targets' rows until the
// transaction ends (PostgreSQL; SQLite's transaction holds the write lock
// already), so that an escalation claimed meanwhile is not overwritten
// with a stale level. Callers lock the ticket row first: claims lock only
// target rows, so the order ticket → targets cannot deadlock with them.
func (s *Store) lockSLA(ctx context.Context, sc crmtype.Scope, ts ...*service.Ticket) error {
	return s.loadSLA(ctx, sc, s.pg, ts...)
}

func (s *Store) loadSLA(ctx context.Context, sc crmtype.Scope, lock bool, ts ...*service.Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]crmtype.ID, 0, len(ts))
	byID := map[crmtype.ID]*service.Ticket{}
	for _, t := range ts {
		if t.PolicyID.IsZero() {
			continue
		}
		ids = append(ids, t.ID)
		byID[t.ID] = t
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []ticketSLARow
	q := s.db.NewSelect().Model(&rows).Where("sla.ticket_id IN (?)", bun.In(ids))
	if lock {
		q = q.For("UPDATE")
	}
	if err := where(q, "sla", sc).OrderExpr("sla.ticket_id, sla.metric, sla.seq").Scan(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		t := byID[r.TicketID]
		g := service.SLATarget{Metric: service.Metric(r.Metric), Seq: r.Seq, PolicyID: r.PolicyID,
			Target: time.Duration(r.TargetMinutes) * time.Minute, Start: r.StartedAt.UTC(), MetAt: utcPtr(r.MetAt),
			Elapsed: time.Duration(r.ElapsedSeconds) * time.Second, Level: r.Level}
		if r.Deadline != nil {
			g.Deadline = r.Deadline.UTC()
		}
		if r.WarnAt != nil {
			g.WarnAt = r.WarnAt.UTC()
		}
		t.SLA = append(t.SLA, g)
	}
	return nil
}

type policyRow struct {
	bun.BaseModel `bun:"table:crm_sla_policies,alias:pol"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	Name        string     `bun:"name"`
	Position    int        `bun:"position"`
	Body        string     `bun:"body"`
	Version     int64      `bun:"version"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
}

// policyBody is the stored form of a policy's rules.
type policyBody struct {
	Conditions    service.Conditions `json:"conditions"`
	Targets       service.Targets    `json:"targets"`
	Calendar      service.Calendar   `json:"calendar"`
	PauseStatuses []service.Status   `json:"pause_statuses"`
	WarnFraction  float64            `json:"warn_fraction"`
}

func (r *policyRow) toPolicy() (*service.Policy, error) {
	var b policyBody
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
		return nil, fmt.Errorf("store: decode sla policy %s: %w", r.ID, err)
	}
	return &service.Policy{ID: r.ID, Name: r.Name, Position: r.Position, Conditions: b.Conditions, Targets: b.Targets,
		Calendar: b.Calendar, PauseStatuses: b.PauseStatuses, WarnFraction: b.WarnFraction, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// ListPolicies implements service.SLAStore.
func (s *Store) ListPolicies(ctx context.Context, sc crmtype.Scope) ([]*service.Policy, error) {
	var rows []policyRow
	if err := where(s.db.NewSelect().Model(&rows), "pol", sc).OrderExpr("pol.position, pol.name").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]*service.Policy, len(rows))
	for i := range rows {
		p, err := rows[i].toPolicy()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// CustomerAttributes implements service.SLAStore.
func (s *Store) CustomerAttributes(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (map[string]any, error) {
	var raw string
	err := where(s.db.NewSelect().Model((*customerRow)(nil)).Column("c.attributes").Where("c.id = ?", id), "c", sc).Scan(ctx, &raw)
	if err != nil {
		return nil, fmt.Errorf("customer %s: %w", id, mapError(err))
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
		return nil, fmt.Errorf("store: decode attributes of %s: %w", id, err)
	}
	return attrs, nil
}

// SavePolicy implements service.SLAStore.
func (s *Store) SavePolicy(ctx context.Context, sc crmtype.Scope, p *service.Policy, version int64, ev crmtype.Event, remeasure func(t *service.Ticket, policies []*service.Policy, attrs map[string]any)) error {
	body, err := json.Marshal(policyBody{Conditions: p.Conditions, Targets: p.Targets, Calendar: p.Calendar,
		PauseStatuses: p.PauseStatuses, WarnFraction: p.WarnFraction})
	if err != nil {
		return err
	}
	row := &policyRow{WorkspaceID: string(sc.Workspace), ID: p.ID, Name: p.Name, Position: p.Position, Body: string(body),
		Version: p.Version, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		taken, err := where(tx.db.NewSelect().Model((*policyRow)(nil)).Where("pol.name = ?", p.Name).Where("pol.id <> ?", p.ID), "pol", sc).Exists(ctx)
		if err != nil {
			return err
		}
		if taken {
			return &crmtype.ConflictError{Resource: "sla policy", Field: "name", Reason: fmt.Sprintf("%q is the name of another policy", p.Name)}
		}
		if version == 0 {
			if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
				return mapError(err)
			}
		} else {
			var cur policyRow
			if err := where(tx.db.NewSelect().Model(&cur).Column("pol.version", "pol.created_at").Where("pol.id = ?", p.ID), "pol", sc).Scan(ctx); err != nil {
				return fmt.Errorf("sla policy %s: %w", p.ID, mapError(err))
			}
			if cur.Version != version {
				return &crmtype.ConflictError{Resource: "sla policy", Field: "version", HeldBy: p.ID,
					Reason: fmt.Sprintf("is %d, not %d: the policy changed since it was read", cur.Version, version)}
			}
			p.CreatedAt = cur.CreatedAt.UTC()
			row.CreatedAt = p.CreatedAt
			if _, err := where(tx.db.NewUpdate().Model(row).ExcludeColumn("workspace_id", "id", "created_at").
				Where("pol.id = ?", p.ID), "pol", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
		}
		if err := tx.remeasureOpenTickets(ctx, sc, remeasure); err != nil {
			return err
		}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// DeletePolicy implements service.SLAStore.
func (s *Store) DeletePolicy(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, ev crmtype.Event, remeasure func(t *service.Ticket, policies []*service.Policy, attrs map[string]any)) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var cur policyRow
		if err := where(tx.db.NewSelect().Model(&cur).Where("pol.id = ?", id), "pol", sc).Scan(ctx); err != nil {
			return fmt.Errorf("sla policy %s: %w", id, mapError(err))
		}
		if cur.Version != version {
			return &crmtype.ConflictError{Resource: "sla policy", Field: "version", HeldBy: id,
				Reason: fmt.Sprintf("is %d, not %d: the policy changed since it was read", cur.Version, version)}
		}
		if _, err := where(tx.db.NewDelete().Model((*policyRow)(nil)).Where("pol.id = ?", id), "pol", sc).Exec(ctx); err != nil {
			return err
		}
		if err := tx.remeasureOpenTickets(ctx, sc, remeasure); err != nil {
			return err
		}
		ev.SubjectKey = cur.Name
		ev.Changes = []crmtype.Change{{Field: "name", Before: cur.Name}}
		return tx.appendEvents(ctx, sc, []crmtype.Event{ev})
	})
}

// remeasureOpenTickets measures every ticket that is not solved or closed
// anew under the workspace's policies, in the caller's transaction.
func (s *Store) remeasureOpenTickets(ctx context.Context, sc crmtype.Scope, remeasure func(t *service.Ticket, policies []*service.Policy, attrs map[string]any)) error {
	policies, err := s.ListPolicies(ctx, sc)
	if err != nil {
		return err
	}
	needAttrs := false
	for _, p := range policies {
		needAttrs = needAttrs || len(p.Conditions.CustomerAttributes) > 0
	}
	// Tickets are locked (PostgreSQL) in id order, the order a ticket
	// merge locks its two in, so the two cannot deadlock.
	const batch = 1000
	var after crmtype.ID
	for {
		var rows []ticketRow
		q := s.db.NewSelect().Model(&rows).Where("tkt.status IN (?)", bun.In([]string{"new", "open", "pending", "on_hold"}))
		if !after.IsZero() {
			q = q.Where("tkt.id > ?", after)
		}
		if s.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "tkt", sc).OrderExpr("tkt.id").Limit(batch).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			t, err := rows[i].toTicket()
			if err != nil {
				return err
			}
			if err := s.lockSLA(ctx, sc, t); err != nil {
				return err
			}
			var attrs map[string]any
			if needAttrs {
				if attrs, err = s.CustomerAttributes(ctx, sc, t.CustomerID); err != nil {
					return err
				}
			}
			remeasure(t, policies, attrs)
			if _, err := where(s.db.NewUpdate().Model((*ticketRow)(nil)).Set("policy_id = ?", nullID(t.PolicyID)).
				Where("tkt.id = ?", t.ID), "tkt", sc).Exec(ctx); err != nil {
				return err
			}
			if err := s.replaceTicketSLA(ctx, sc, t); err != nil {
				return err
			}
		}
		if len(rows) < batch {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

func nullID(id crmtype.ID) any {
	if id.IsZero() {
		return nil
	}
	return id
}

type atRiskCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

type atRiskRow struct {
	ID         crmtype.ID `bun:"id"`
	TicketID   crmtype.ID `bun:"ticket_id"`
	Number     int64      `bun:"number"`
	Metric     string     `bun:"metric"`
	Seq        int        `bun:"seq"`
	PolicyID   crmtype.ID `bun:"policy_id"`
	Deadline   time.Time  `bun:"deadline"`
	Priority   string     `bun:"priority"`
	AssigneeID string     `bun:"assignee_id"`
	TeamID     string     `bun:"team_id"`
	CustomerID crmtype.ID `bun:"customer_id"`
	WarnAt     *time.Time `bun:"warn_at"`
	Level      int        `bun:"level"`
	NextAt     *time.Time `bun:"next_escalation_at"`
}

// AtRisk implements service.SLAStore. The targets come from the partial
// index crm_ticket_slas_deadline in deadline order; each page joins its
// tickets by primary key.
func (s *Store) AtRisk(ctx context.Context, sc crmtype.Scope, until time.Time, p service.AtRiskParams, limit int) (crmtype.Page[service.AtRiskTarget], error) {
	var page crmtype.Page[service.AtRiskTarget]
	q := s.db.NewSelect().TableExpr("crm_ticket_slas AS sla").
		Join("JOIN crm_tickets AS tkt ON tkt.workspace_id = sla.workspace_id AND tkt.id = sla.ticket_id").
		ColumnExpr("sla.id, sla.ticket_id, tkt.number, sla.metric, sla.seq, sla.policy_id, sla.deadline, tkt.priority, tkt.assignee_id, tkt.team_id").
		Where("sla.met_at IS NULL AND sla.deadline IS NOT NULL"). // literally, to match the partial index
		Where("sla.deadline <= ?", until.UTC()).
		Where("tkt.workspace_id = ?", string(sc.Workspace))
	if p.After != "" {
		var cur atRiskCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		q = q.Where("(sla.deadline > ? OR (sla.deadline = ? AND sla.id > ?))", cur.At.UTC(), cur.At.UTC(), cur.ID)
	}
	var rows []atRiskRow
	if err := where(q, "sla", sc).OrderExpr("sla.deadline, sla.id").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(atRiskCursor{At: last.Deadline.UTC(), ID: last.ID})
	}
	for _, r := range rows {
		page.Items = append(page.Items, service.AtRiskTarget{TicketID: r.TicketID, Number: r.Number, Metric: service.Metric(r.Metric),
			Seq: r.Seq, PolicyID: r.PolicyID, Deadline: r.Deadline.UTC(), Priority: service.Priority(r.Priority),
			AssigneeID: r.AssigneeID, TeamID: r.TeamID})
	}
	return page, nil
}

// ClaimEscalations implements service.SLAStore. Each claimed row's level
// is raised by a conditional update (the level it was read at), so a row
// two callers read is claimed by one; on PostgreSQL callers also skip
// each other's locked rows, on SQLite the transaction holds the write
// lock from its start.
func (s *Store) ClaimEscalations(ctx context.Context, sc crmtype.Scope, now time.Time, limit int, event func(e *service.Escalation) crmtype.Event) ([]service.Escalation, error) {
	var out []service.Escalation
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var rows []atRiskRow
		q := tx.db.NewSelect().TableExpr("crm_ticket_slas AS sla").
			ColumnExpr("sla.id, sla.ticket_id, sla.metric, sla.seq, sla.policy_id, sla.deadline, sla.warn_at, sla.level, sla.next_escalation_at").
			Where("sla.next_escalation_at IS NOT NULL"). // literally, to match the partial index
			Where("sla.next_escalation_at <= ?", now.UTC()).
			OrderExpr("sla.next_escalation_at, sla.id").Limit(int64(limit))
		if tx.pg {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := where(q, "sla", sc).Scan(ctx, &rows); err != nil {
			return err
		}
		var evs []crmtype.Event
		for _, r := range rows {
			level, due := service.LevelWarning, r.WarnAt
			if !now.Before(r.Deadline) {
				level, due = service.LevelBreach, &r.Deadline
			}
			var next any
			if level == service.LevelWarning {
				next = r.Deadline.UTC()
			}
			res, err := where(tx.db.NewUpdate().TableExpr("crm_ticket_slas AS sla").Set("level = ?", level).
				Set("next_escalation_at = ?", next).Where("sla.id = ?", r.ID).Where("sla.level = ?", r.Level), "sla", sc).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue // another caller claimed it
			}
			var tk ticketRow
			if err := where(tx.db.NewSelect().Model(&tk).Column("tkt.number", "tkt.customer_id", "tkt.assignee_id", "tkt.team_id").
				Where("tkt.id = ?", r.TicketID), "tkt", sc).Scan(ctx); err != nil {
				return err
			}
			e := service.Escalation{TicketID: r.TicketID, Number: tk.Number, CustomerID: tk.CustomerID, Metric: service.Metric(r.Metric),
				Seq: r.Seq, PolicyID: r.PolicyID, Level: level, Deadline: r.Deadline.UTC(), AssigneeID: tk.AssigneeID, TeamID: tk.TeamID}
			if due != nil {
				e.Due = due.UTC()
			}
			out = append(out, e)
			evs = append(evs, event(&e))
		}
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
