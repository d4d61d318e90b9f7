package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
)

var _ service.SatisfactionStore = (*Store)(nil)

// ticketSurveyRow is the satisfaction survey state of a ticket: the
// survey_ columns of crm_tickets (migration 000012), apart from ticketRow,
// which never writes them.
type ticketSurveyRow struct {
	bun.BaseModel `bun:"table:crm_tickets,alias:tks"`

	WorkspaceID  string     `bun:"workspace_id,pk"`
	ID           crmtype.ID `bun:"id,pk,type:uuid"`
	State        *string    `bun:"survey_state"`
	Attempts     int        `bun:"survey_attempts"`
	LeaseNo      int64      `bun:"survey_lease_no"`
	HoldUntil    *time.Time `bun:"survey_hold_until"`
	InvitationID crmtype.ID `bun:"survey_invitation_id,type:uuid"`
	Reason       string     `bun:"survey_reason"`
	DoneAt       *time.Time `bun:"survey_done_at"`
}

type satisfactionClaimRow struct {
	ID           crmtype.ID `bun:"id"`
	Number       int64      `bun:"number"`
	Subject      string     `bun:"subject"`
	CustomerID   crmtype.ID `bun:"customer_id"`
	CustomerLive int        `bun:"customer_live"`
	SolvedAt     time.Time  `bun:"solved_at"`
	Attempts     int        `bun:"survey_attempts"`
	LeaseNo      int64      `bun:"survey_lease_no"`
	InvitationID crmtype.ID `bun:"invitation_id"`
}

// ClaimSatisfactionSurveys implements service.SatisfactionStore, as
// ClaimReminders claims reminders: on PostgreSQL concurrent claimers skip
// each other's rows (FOR UPDATE OF the ticket SKIP LOCKED); on SQLite the
// transaction holds the one write lock from its start, so the select and
// the update are atomic. The due tickets are read from the partial index
// crm_tickets_survey_due. With each ticket comes whether its customer is
// live and an invitation to the survey about the ticket that went out
// already (an earlier claim's whose outcome was not recorded).
func (s *Store) ClaimSatisfactionSurveys(ctx context.Context, sc crmtype.Scope, p service.SatisfactionClaimParams) ([]service.SatisfactionClaim, error) {
	var out []service.SatisfactionClaim
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var rows []satisfactionClaimRow
		q := tx.db.NewSelect().TableExpr("crm_tickets AS tks").
			Join("LEFT JOIN crm_customers AS c ON c.workspace_id = tks.workspace_id AND c.id = tks.customer_id").
			ColumnExpr("tks.id, tks.number, tks.subject, tks.customer_id, tks.solved_at, tks.survey_attempts, tks.survey_lease_no").
			ColumnExpr("CASE WHEN c.id IS NOT NULL AND c.deleted_at IS NULL AND c.erased_at IS NULL THEN 1 ELSE 0 END AS customer_live").
			ColumnExpr("(SELECT si.id FROM crm_survey_invitations AS si "+
				"JOIN crm_surveys AS sv ON sv.workspace_id = si.workspace_id AND sv.id = si.survey_id "+
				"WHERE si.workspace_id = tks.workspace_id AND si.customer_id = tks.customer_id AND si.ticket_id = tks.id "+
				"AND si.message_id IS NOT NULL AND sv.survey_key = ? ORDER BY si.created_at LIMIT 1) AS invitation_id", p.SurveyKey).
			// literally, to match the partial index
			Where("tks.survey_state IS NULL").Where("tks.solved_at IS NOT NULL").
			Where("tks.solved_at >= ?", p.SolvedFrom.UTC()).Where("tks.solved_at <= ?", p.SolvedTo.UTC()).
			Where("(tks.survey_hold_until IS NULL OR tks.survey_hold_until <= ?)", p.Now.UTC()).
			OrderExpr("tks.solved_at, tks.id").Limit(int64(p.Limit))
		if tx.pg {
			q = q.For("UPDATE OF tks SKIP LOCKED")
		}
		if err := where(q, "tks", sc).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]crmtype.ID, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		u := tx.db.NewUpdate().Model((*ticketSurveyRow)(nil)).Set("survey_hold_until = ?", p.Now.Add(p.Lease).UTC()).
			Set("survey_lease_no = survey_lease_no + 1").Where("tks.id IN (?)", bun.In(ids))
		if _, err := where(u, "tks", sc).Exec(ctx); err != nil {
			return err
		}
		out = make([]service.SatisfactionClaim, len(rows))
		for i, r := range rows {
			out[i] = service.SatisfactionClaim{TicketID: r.ID, Number: r.Number, Subject: r.Subject, CustomerID: r.CustomerID,
				CustomerLive: r.CustomerLive == 1, SolvedAt: r.SolvedAt.UTC(), Attempts: r.Attempts, LeaseNo: r.LeaseNo + 1,
				InvitationID: r.InvitationID}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordSatisfactionSurvey implements service.SatisfactionStore: one
// conditional update, which finds the ticket only while the claim is its
// latest and it has no outcome.
func (s *Store) RecordSatisfactionSurvey(ctx context.Context, sc crmtype.Scope, r service.SatisfactionRecord) error {
	var state, done any
	var hold any
	if r.State != service.SurveyPending {
		state, done = string(r.State), r.At.UTC()
	} else if r.HoldUntil != nil {
		hold = r.HoldUntil.UTC()
	}
	u := s.db.NewUpdate().Model((*ticketSurveyRow)(nil)).
		Set("survey_state = ?", state).Set("survey_attempts = ?", r.Attempts).Set("survey_hold_until = ?", hold).
		Set("survey_invitation_id = ?", r.InvitationID).Set("survey_reason = ?", r.Reason).Set("survey_done_at = ?", done).
		Where("tks.id = ?", r.TicketID).Where("tks.survey_lease_no = ?", r.LeaseNo).Where("tks.survey_state IS NULL")
	res, err := where(u, "tks", sc).Exec(ctx)
	if err != nil {
		return mapError(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return &crmtype.ConflictError{Resource: "ticket", Field: "survey", HeldBy: r.TicketID,
			Reason: "the claim expired and the ticket was claimed again, or its survey has an outcome"}
	}
	return nil
}

// GetTicketSurvey implements service.SatisfactionStore.
func (s *Store) GetTicketSurvey(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*service.TicketSurvey, error) {
	var row ticketSurveyRow
	if err := where(s.db.NewSelect().Model(&row).Where("tks.id = ?", id), "tks", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	ts := &service.TicketSurvey{TicketID: row.ID, InvitationID: row.InvitationID, Reason: row.Reason,
		Attempts: row.Attempts, At: utcPtr(row.DoneAt)}
	if row.State != nil {
		ts.State = service.SurveyState(*row.State)
	} else {
		ts.HeldUntil = utcPtr(row.HoldUntil)
	}
	return ts, nil
}

type satisfactionRow struct {
	ResponseID crmtype.ID `bun:"response_id"`
	TicketID   crmtype.ID `bun:"ticket_id"`
	Number     int64      `bun:"number"`
	AssigneeID string     `bun:"assignee_id"`
	TeamID     string     `bun:"team_id"`
	Category   string     `bun:"category"`
	Priority   string     `bun:"priority"`
	SurveyKey  string     `bun:"survey_key"`
	Version    int        `bun:"version"`
	Question   string     `bun:"question"`
	Kind       string     `bun:"kind"`
	Value      int        `bun:"value"`
	CreatedAt  time.Time  `bun:"created_at"`
}

type satisfactionCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
	Q  string     `json:"q"`
}

// ListSatisfactionResponses implements service.SatisfactionStore: the
// responses about tickets by time (index
// crm_survey_responses_ticket_time), joined to their numeric answers and
// their tickets by primary key.
func (s *Store) ListSatisfactionResponses(ctx context.Context, sc crmtype.Scope, p service.SatisfactionParams, limit int) (crmtype.Page[service.SatisfactionResponse], error) {
	var page crmtype.Page[service.SatisfactionResponse]
	q := s.db.NewSelect().TableExpr("crm_survey_responses AS sr").
		Join("JOIN crm_survey_answers AS sa ON sa.workspace_id = sr.workspace_id AND sa.response_id = sr.id").
		Join("JOIN crm_tickets AS tks ON tks.workspace_id = sr.workspace_id AND tks.id = sr.ticket_id").
		ColumnExpr("sr.id AS response_id, sr.ticket_id, tks.number, tks.assignee_id, tks.team_id, tks.category, tks.priority").
		ColumnExpr("sr.survey_key, sr.version, sa.question, sa.kind, sa.value, sr.created_at").
		Where("sr.ticket_id IS NOT NULL")
	if p.SurveyKey != "" {
		q = q.Where("sr.survey_key = ?", p.SurveyKey)
	}
	if !p.From.IsZero() {
		q = q.Where("sr.created_at >= ?", p.From.UTC())
	}
	if !p.To.IsZero() {
		q = q.Where("sr.created_at < ?", p.To.UTC())
	}
	if p.AssigneeID != "" {
		q = q.Where("tks.assignee_id = ?", p.AssigneeID)
	}
	if p.TeamID != "" {
		q = q.Where("tks.team_id = ?", p.TeamID)
	}
	if p.Category != "" {
		q = q.Where("tks.category = ?", p.Category)
	}
	if p.After != "" {
		var cur satisfactionCursor
		if err := crmtype.DecodeCursor(p.After, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() || cur.Q == "" {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		at := cur.At.UTC()
		q = q.Where("(sr.created_at > ? OR (sr.created_at = ? AND (sr.id > ? OR (sr.id = ? AND sa.question > ?))))",
			at, at, cur.ID, cur.ID, cur.Q)
	}
	q = where(where(where(q, "sr", sc), "sa", sc), "tks", sc).
		OrderExpr("sr.created_at, sr.id, sa.question").Limit(int64(limit + 1))
	var rows []satisfactionRow
	if err := q.Scan(ctx, &rows); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(satisfactionCursor{At: last.CreatedAt.UTC(), ID: last.ResponseID, Q: last.Question})
	}
	page.Items = make([]service.SatisfactionResponse, len(rows))
	for i, r := range rows {
		kind := service.SatisfactionKind(r.Kind)
		switch r.Kind {
		case "rating":
			kind = service.KindCSAT
		case "nps", "ces":
		default:
			return page, fmt.Errorf("store: satisfaction response %s: unknown answer kind %q", r.ResponseID, r.Kind)
		}
		page.Items[i] = service.SatisfactionResponse{ResponseID: r.ResponseID, TicketID: r.TicketID, Number: r.Number,
			AssigneeID: r.AssigneeID, TeamID: r.TeamID, Category: r.Category, Priority: service.Priority(r.Priority),
			SurveyKey: r.SurveyKey, SurveyVersion: r.Version, Question: r.Question, Kind: kind, Score: r.Value,
			RespondedAt: r.CreatedAt.UTC()}
	}
	return page, nil
}
