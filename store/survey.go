package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

var _ communication.SurveyStore = (*Store)(nil)

type surveyRow struct {
	bun.BaseModel `bun:"table:crm_surveys,alias:sv"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ID          crmtype.ID `bun:"id,pk,type:uuid"`
	Key         string     `bun:"survey_key"`
	Version     int        `bun:"version"`
	Title       string     `bun:"title"`
	Questions   string     `bun:"questions"` // JSON array of communication.Question
	Responded   bool       `bun:"responded"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
}

type surveySecretRow struct {
	bun.BaseModel `bun:"table:crm_survey_secrets,alias:ss"`

	WorkspaceID string    `bun:"workspace_id,pk"`
	Secret      string    `bun:"secret"` // hex
	CreatedAt   time.Time `bun:"created_at"`
}

type invitationRow struct {
	bun.BaseModel `bun:"table:crm_survey_invitations,alias:si"`

	WorkspaceID   string     `bun:"workspace_id,pk"`
	ID            crmtype.ID `bun:"id,pk,type:uuid"`
	SurveyID      crmtype.ID `bun:"survey_id,type:uuid"`
	CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
	InteractionID crmtype.ID `bun:"interaction_id,type:uuid"`
	TicketID      crmtype.ID `bun:"ticket_id,type:uuid"`
	CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
	MessageID     crmtype.ID `bun:"message_id,type:uuid"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	AnsweredAt    *time.Time `bun:"answered_at"`
	CreatedAt     time.Time  `bun:"created_at"`
}

type responseRow struct {
	bun.BaseModel `bun:"table:crm_survey_responses,alias:sr"`

	WorkspaceID   string     `bun:"workspace_id,pk"`
	ID            crmtype.ID `bun:"id,pk,type:uuid"`
	SurveyID      crmtype.ID `bun:"survey_id,type:uuid"`
	SurveyKey     string     `bun:"survey_key"`
	Version       int        `bun:"version"`
	InvitationID  crmtype.ID `bun:"invitation_id,type:uuid"`
	CustomerID    crmtype.ID `bun:"customer_id,type:uuid"`
	InteractionID crmtype.ID `bun:"interaction_id,type:uuid"`
	TicketID      crmtype.ID `bun:"ticket_id,type:uuid"`
	CampaignID    crmtype.ID `bun:"campaign_id,type:uuid"`
	Answers       string     `bun:"answers"` // JSON object
	CreatedAt     time.Time  `bun:"created_at"`
}

type answerRow struct {
	bun.BaseModel `bun:"table:crm_survey_answers,alias:sa"`

	WorkspaceID string     `bun:"workspace_id,pk"`
	ResponseID  crmtype.ID `bun:"response_id,pk,type:uuid"`
	Question    string     `bun:"question,pk"`
	Kind        string     `bun:"kind"`
	Value       int        `bun:"value"`
}

func (r *surveyRow) toSurvey() (*communication.Survey, error) {
	sv := &communication.Survey{ID: r.ID, Key: r.Key, Version: r.Version, Title: r.Title,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Questions), &sv.Questions); err != nil {
		return nil, fmt.Errorf("store: decode questions of survey %s: %w", r.ID, err)
	}
	return sv, nil
}

func toSurveyRow(sc crmtype.Scope, sv *communication.Survey) (*surveyRow, error) {
	b, err := json.Marshal(sv.Questions)
	if err != nil {
		return nil, err
	}
	return &surveyRow{WorkspaceID: string(sc.Workspace), ID: sv.ID, Key: sv.Key, Version: sv.Version, Title: sv.Title,
		Questions: string(b), CreatedAt: sv.CreatedAt.UTC(), UpdatedAt: sv.UpdatedAt.UTC()}, nil
}

func (r *invitationRow) toInvitation(sv *communication.Survey) *communication.Invitation {
	inv := &communication.Invitation{ID: r.ID, SurveyID: r.SurveyID, CustomerID: r.CustomerID,
		About:     communication.About{InteractionID: r.InteractionID, TicketID: r.TicketID, CampaignID: r.CampaignID},
		ExpiresAt: r.ExpiresAt.UTC(), MessageID: r.MessageID, CreatedAt: r.CreatedAt.UTC()}
	if sv != nil {
		inv.SurveyKey, inv.Version = sv.Key, sv.Version
	}
	if r.AnsweredAt != nil {
		at := r.AnsweredAt.UTC()
		inv.AnsweredAt = &at
	}
	return inv
}

func (r *responseRow) toResponse() (*communication.Response, error) {
	resp := &communication.Response{ID: r.ID, SurveyID: r.SurveyID, SurveyKey: r.SurveyKey, Version: r.Version,
		InvitationID: r.InvitationID, CustomerID: r.CustomerID,
		About:     communication.About{InteractionID: r.InteractionID, TicketID: r.TicketID, CampaignID: r.CampaignID},
		CreatedAt: r.CreatedAt.UTC()}
	answers, err := decodeAnswers(r.Answers)
	if err != nil {
		return nil, fmt.Errorf("store: decode answers of response %s: %w", r.ID, err)
	}
	resp.Answers = answers
	return resp, nil
}

// decodeAnswers reads a response's answers: numbers as int, lists as
// []string, text as string.
func decodeAnswers(s string) (map[string]any, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		var n int
		if err := json.Unmarshal(v, &n); err == nil {
			out[k] = n
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err == nil {
			out[k] = str
			continue
		}
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, fmt.Errorf("answer %q: %w", k, err)
		}
		out[k] = list
	}
	return out, nil
}

// latestSurvey reads the latest version of survey key; lock locks it on
// PostgreSQL (SQLite's write transactions hold the database).
func (s *Store) latestSurvey(ctx context.Context, sc crmtype.Scope, key string, lock bool) (*surveyRow, error) {
	var rows []surveyRow
	q := s.db.NewSelect().Model(&rows).Where("sv.survey_key = ?", key).OrderExpr("sv.version DESC").Limit(1)
	if lock && s.pg {
		q = q.For("UPDATE")
	}
	if err := where(q, "sv", sc).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// SaveSurvey implements communication.SurveyStore.
func (s *Store) SaveSurvey(ctx context.Context, sc crmtype.Scope, key string, change func(latest *communication.Survey, responded bool) (*communication.Survey, []crmtype.Event, error)) (*communication.Survey, error) {
	var out *communication.Survey
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		row, err := tx.latestSurvey(ctx, sc, key, true)
		if err != nil {
			return err
		}
		var latest *communication.Survey
		if row != nil {
			if latest, err = row.toSurvey(); err != nil {
				return err
			}
		}
		sv, evs, err := change(latest, row != nil && row.Responded)
		if err != nil {
			return err
		}
		if sv == nil {
			out = latest
			return nil
		}
		nrow, err := toSurveyRow(sc, sv)
		if err != nil {
			return err
		}
		if row != nil && sv.Version == row.Version {
			// Replace the version in place, only while it has no responses.
			res, err := where(tx.db.NewUpdate().Model(nrow).Column("title", "questions", "updated_at").
				Where("sv.id = ?", row.ID).Where("sv.responded = ?", false), "sv", sc).Exec(ctx)
			if err != nil {
				return mapError(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return &crmtype.ConflictError{Resource: "survey", Field: "version", Value: key,
					Reason: "was answered while it was being replaced"}
			}
		} else if _, err := tx.db.NewInsert().Model(nrow).Exec(ctx); err != nil {
			return mapError(err)
		}
		out = sv
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetSurvey implements communication.SurveyStore.
func (s *Store) GetSurvey(ctx context.Context, sc crmtype.Scope, key string, version int) (*communication.Survey, error) {
	if version == 0 {
		row, err := s.latestSurvey(ctx, sc, key, false)
		if err != nil {
			return nil, err
		}
		if row == nil {
			return nil, crmtype.ErrNotFound
		}
		return row.toSurvey()
	}
	var row surveyRow
	q := s.db.NewSelect().Model(&row).Where("sv.survey_key = ?", key).Where("sv.version = ?", version)
	if err := where(q, "sv", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return row.toSurvey()
}

// SurveyVersions implements communication.SurveyStore.
func (s *Store) SurveyVersions(ctx context.Context, sc crmtype.Scope, key string) ([]*communication.Survey, error) {
	var rows []surveyRow
	q := s.db.NewSelect().Model(&rows).Where("sv.survey_key = ?", key).OrderExpr("sv.version")
	if err := where(q, "sv", sc).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, crmtype.ErrNotFound
	}
	out := make([]*communication.Survey, len(rows))
	for i := range rows {
		sv, err := rows[i].toSurvey()
		if err != nil {
			return nil, err
		}
		out[i] = sv
	}
	return out, nil
}

// surveyByID reads survey version id; lock locks it on PostgreSQL.
func (s *Store) surveyByID(ctx context.Context, sc crmtype.Scope, id crmtype.ID, lock bool) (*surveyRow, error) {
	var row surveyRow
	q := s.db.NewSelect().Model(&row).Where("sv.id = ?", id)
	if lock && s.pg {
		q = q.For("UPDATE")
	}
	if err := where(q, "sv", sc).Scan(ctx); err != nil {
		return nil, mapError(err)
	}
	return &row, nil
}

// SurveySecret implements communication.SurveyStore.
func (s *Store) SurveySecret(ctx context.Context, sc crmtype.Scope) ([]byte, error) {
	var rows []surveySecretRow
	if err := where(s.db.NewSelect().Model(&rows), "ss", sc).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, crmtype.ErrNotFound
	}
	b, err := hex.DecodeString(rows[0].Secret)
	if err != nil || len(b) < 32 {
		return nil, fmt.Errorf("store: the survey token secret of workspace %q is damaged", sc.Workspace)
	}
	return b, nil
}

// surveySecret returns the workspace's token secret, making it when there
// is none (concurrent makers agree on the first one stored).
func (s *Store) surveySecret(ctx context.Context, sc crmtype.Scope, now time.Time) ([]byte, error) {
	b, err := s.SurveySecret(ctx, sc)
	if !errors.Is(err, crmtype.ErrNotFound) {
		return b, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	row := &surveySecretRow{WorkspaceID: string(sc.Workspace), Secret: hex.EncodeToString(secret), CreatedAt: now}
	if _, err := s.db.NewInsert().Model(row).On("CONFLICT (workspace_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, mapError(err)
	}
	return s.SurveySecret(ctx, sc)
}

// checkLiveCustomer returns ErrNotFound unless id is a customer of the
// workspace that is neither deleted nor erased.
func (s *Store) checkLiveCustomer(ctx context.Context, sc crmtype.Scope, id crmtype.ID) error {
	q := s.db.NewSelect().Model((*customerRow)(nil)).Where("c.id = ?", id).
		Where("c.deleted_at IS NULL").Where("c.erased_at IS NULL")
	ok, err := where(q, "c", sc).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("customer %s: %w", id, crmtype.ErrNotFound)
	}
	return nil
}

// InsertInvitation implements communication.SurveyStore.
func (s *Store) InsertInvitation(ctx context.Context, sc crmtype.Scope, inv *communication.Invitation, evs []crmtype.Event) ([]byte, error) {
	row := &invitationRow{WorkspaceID: string(sc.Workspace), ID: inv.ID, SurveyID: inv.SurveyID, CustomerID: inv.CustomerID,
		InteractionID: inv.About.InteractionID, TicketID: inv.About.TicketID, CampaignID: inv.About.CampaignID,
		MessageID: inv.MessageID, ExpiresAt: inv.ExpiresAt.UTC(), CreatedAt: inv.CreatedAt.UTC()}
	var secret []byte
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		if err := tx.checkLiveCustomer(ctx, sc, inv.CustomerID); err != nil {
			return err
		}
		var err error
		if secret, err = tx.surveySecret(ctx, sc, inv.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(row).Exec(ctx); err != nil {
			return mapError(err)
		}
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return secret, nil
}

// GetInvitation implements communication.SurveyStore.
func (s *Store) GetInvitation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*communication.Invitation, *communication.Survey, error) {
	var row invitationRow
	if err := where(s.db.NewSelect().Model(&row).Where("si.id = ?", id), "si", sc).Scan(ctx); err != nil {
		return nil, nil, mapError(err)
	}
	srow, err := s.surveyByID(ctx, sc, row.SurveyID, false)
	if err != nil {
		return nil, nil, err
	}
	sv, err := srow.toSurvey()
	if err != nil {
		return nil, nil, err
	}
	return row.toInvitation(sv), sv, nil
}

// MarkInvitationSent implements communication.SurveyStore.
func (s *Store) MarkInvitationSent(ctx context.Context, sc crmtype.Scope, id, messageID crmtype.ID, evs []crmtype.Event) error {
	return s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		q := tx.db.NewUpdate().Model((*invitationRow)(nil)).Set("message_id = ?", messageID).Where("si.id = ?", id)
		res, err := where(q, "si", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return crmtype.ErrNotFound
		}
		return tx.appendEvents(ctx, sc, evs)
	})
}

// DeleteInvitation implements communication.SurveyStore.
func (s *Store) DeleteInvitation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) error {
	q := s.db.NewDelete().Model((*invitationRow)(nil)).Where("si.id = ?", id).Where("si.answered_at IS NULL")
	_, err := where(q, "si", sc).Exec(ctx)
	return mapError(err)
}

// RespondSurvey implements communication.SurveyStore. On PostgreSQL the
// invitation's row lock queues concurrent responders, and the survey
// version's lock (taken only while it has no responses) orders the first
// response against a SaveSurvey replacing the version; on SQLite the
// transaction holds the database's one write lock from its start.
func (s *Store) RespondSurvey(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time, build func(inv *communication.Invitation, sv *communication.Survey, ticket *communication.TicketRef) (communication.ResponseWrite, error)) (*communication.Response, error) {
	var out *communication.Response
	err := s.inTx(ctx, func(ctx context.Context, tx *Store) error {
		var row invitationRow
		q := tx.db.NewSelect().Model(&row).Where("si.id = ?", id)
		if tx.pg {
			q = q.For("UPDATE")
		}
		if err := where(q, "si", sc).Scan(ctx); err != nil {
			return mapError(err)
		}
		if row.AnsweredAt != nil {
			return &crmtype.ConflictError{Resource: "survey invitation", Field: "token", HeldBy: id, Reason: "has been answered already"}
		}
		if err := tx.checkCustomersExist(ctx, sc, map[crmtype.ID]bool{row.CustomerID: true}); err != nil {
			return err // erased since it was invited
		}
		srow, err := tx.surveyByID(ctx, sc, row.SurveyID, false)
		if err != nil {
			return err
		}
		if !srow.Responded && tx.pg {
			// The first response freezes the version: read it again under
			// the lock SaveSurvey takes to replace it.
			if srow, err = tx.surveyByID(ctx, sc, row.SurveyID, true); err != nil {
				return err
			}
		}
		sv, err := srow.toSurvey()
		if err != nil {
			return err
		}
		var ticket *communication.TicketRef
		if !row.TicketID.IsZero() {
			if ticket, err = tx.ticketRef(ctx, sc, row.TicketID); err != nil {
				return err
			}
		}
		w, err := build(row.toInvitation(sv), sv, ticket)
		if err != nil {
			return err
		}
		resp, evs := w.Response, w.Events
		u := tx.db.NewUpdate().Model((*invitationRow)(nil)).Set("answered_at = ?", now).
			Where("si.id = ?", id).Where("si.answered_at IS NULL")
		res, err := where(u, "si", sc).Exec(ctx)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &crmtype.ConflictError{Resource: "survey invitation", Field: "token", HeldBy: id, Reason: "has been answered already"}
		}
		if !srow.Responded {
			u := tx.db.NewUpdate().Model((*surveyRow)(nil)).Set("responded = ?", true).Where("sv.id = ?", srow.ID)
			if _, err := where(u, "sv", sc).Exec(ctx); err != nil {
				return mapError(err)
			}
		}
		b, err := json.Marshal(resp.Answers)
		if err != nil {
			return err
		}
		rrow := &responseRow{WorkspaceID: string(sc.Workspace), ID: resp.ID, SurveyID: sv.ID, SurveyKey: sv.Key,
			Version: sv.Version, InvitationID: id, CustomerID: row.CustomerID, InteractionID: row.InteractionID,
			TicketID: row.TicketID, CampaignID: row.CampaignID, Answers: string(b), CreatedAt: resp.CreatedAt.UTC()}
		if _, err := tx.db.NewInsert().Model(rrow).Exec(ctx); err != nil {
			return mapError(err)
		}
		var answers []answerRow
		for _, q := range sv.Questions {
			if _, _, numeric := q.Kind.Scale(); !numeric {
				continue
			}
			if v, ok := resp.Answers[q.Key].(int); ok {
				answers = append(answers, answerRow{WorkspaceID: string(sc.Workspace), ResponseID: resp.ID,
					Question: q.Key, Kind: string(q.Kind), Value: v})
			}
		}
		if len(answers) > 0 {
			if _, err := tx.db.NewInsert().Model(&answers).Exec(ctx); err != nil {
				return mapError(err)
			}
		}
		if w.FollowUp != nil {
			trow, err := toTaskRow(sc, w.FollowUp)
			if err != nil {
				return err
			}
			if _, err := tx.db.NewInsert().Model(trow).Exec(ctx); err != nil {
				return mapError(err)
			}
		}
		out = resp
		return tx.appendEvents(ctx, sc, evs)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ticketRef reads the number and assignee of ticket id; nil when the
// workspace has no ticket id (a response's links are not checked).
func (s *Store) ticketRef(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*communication.TicketRef, error) {
	var refs []struct {
		Number     int64  `bun:"number"`
		AssigneeID string `bun:"assignee_id"`
	}
	q := s.db.NewSelect().TableExpr("crm_tickets AS tkt").ColumnExpr("tkt.number, tkt.assignee_id").Where("tkt.id = ?", id)
	if err := where(q, "tkt", sc).Scan(ctx, &refs); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	return &communication.TicketRef{Number: refs[0].Number, AssigneeID: refs[0].AssigneeID}, nil
}

type responseCursor struct {
	At time.Time  `json:"t"`
	ID crmtype.ID `json:"i"`
}

// ListResponses implements communication.SurveyStore.
func (s *Store) ListResponses(ctx context.Context, sc crmtype.Scope, key string, after crmtype.Cursor, limit int) (crmtype.Page[*communication.Response], error) {
	var page crmtype.Page[*communication.Response]
	q := s.db.NewSelect().Model((*surveyRow)(nil)).Where("sv.survey_key = ?", key)
	ok, err := where(q, "sv", sc).Exists(ctx)
	if err != nil {
		return page, err
	}
	if !ok {
		return page, crmtype.ErrNotFound
	}
	var rows []responseRow
	sel := s.db.NewSelect().Model(&rows).Where("sr.survey_key = ?", key)
	if after != "" {
		var cur responseCursor
		if err := crmtype.DecodeCursor(after, &cur); err != nil {
			return page, err
		}
		if cur.ID.IsZero() {
			return page, crmtype.Invalid("cursor", "is malformed")
		}
		sel = sel.Where("sr.created_at < ? OR (sr.created_at = ? AND sr.id < ?)", cur.At.UTC(), cur.At.UTC(), cur.ID)
	}
	if err := where(sel, "sr", sc).OrderExpr("sr.created_at DESC, sr.id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return page, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = crmtype.EncodeCursor(responseCursor{At: last.CreatedAt.UTC(), ID: last.ID})
	}
	page.Items = make([]*communication.Response, len(rows))
	for i := range rows {
		r, err := rows[i].toResponse()
		if err != nil {
			return page, err
		}
		page.Items[i] = r
	}
	return page, nil
}

// SurveyAnswerCounts implements communication.SurveyStore: one GROUP BY
// over the survey's responses in the window, joined to their answers by
// primary key.
func (s *Store) SurveyAnswerCounts(ctx context.Context, sc crmtype.Scope, p communication.ScoreParams, kind communication.QuestionKind) ([]communication.AnswerCount, error) {
	var out []communication.AnswerCount
	q := s.db.NewSelect().Model((*responseRow)(nil)).
		Join("JOIN crm_survey_answers AS sa ON sa.workspace_id = sr.workspace_id AND sa.response_id = sr.id").
		ColumnExpr("sr.version AS version").ColumnExpr("sa.value AS value").ColumnExpr("count(*) AS n").
		Where("sr.survey_key = ?", p.SurveyKey).Where("sa.question = ?", p.Question).Where("sa.kind = ?", string(kind))
	if !p.From.IsZero() {
		q = q.Where("sr.created_at >= ?", p.From.UTC())
	}
	if !p.To.IsZero() {
		q = q.Where("sr.created_at < ?", p.To.UTC())
	}
	if !p.About.InteractionID.IsZero() {
		q = q.Where("sr.interaction_id = ?", p.About.InteractionID)
	}
	if !p.About.TicketID.IsZero() {
		q = q.Where("sr.ticket_id = ?", p.About.TicketID)
	}
	if !p.About.CampaignID.IsZero() {
		q = q.Where("sr.campaign_id = ?", p.About.CampaignID)
	}
	q = where(where(q, "sr", sc), "sa", sc).GroupExpr("sr.version, sa.value").OrderExpr("sr.version, sa.value")
	if err := q.Scan(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}
