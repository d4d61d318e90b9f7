package communication

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

// Surveys and feedback.
//
// A survey (SaveSurvey) is a list of questions under a key the host
// chooses, e.g. "post-ticket-csat". It is versioned: changing a survey that
// has no responses yet replaces its latest version, changing one that has
// responses makes the next version, so every response stays attached to
// the questions it answered.
//
// A customer is asked with an invitation (Invite, or SendInvitation, which
// also sends it through Send and so through the contact decision). The
// invitation carries a token: signed with a secret of the workspace,
// single use, and expiring. The host puts the token in a link; when the
// customer follows it, OpenInvitation turns the token into the survey to
// show, and Respond stores the answers. SurveyScore reads the Net Promoter
// Score, customer satisfaction (CSAT) or customer effort score (CES) of a
// question with its confidence interval.

// QuestionKind is the type of a survey question, which fixes its answers.
type QuestionKind string

// Question kinds.
const (
	// QuestionNPS asks how likely the customer is to recommend, from 0 to
	// 10; its score is the Net Promoter Score.
	QuestionNPS QuestionKind = "nps"
	// QuestionRating asks for satisfaction from 1 to 5; its score is CSAT,
	// the share of 4 and 5 answers.
	QuestionRating QuestionKind = "rating"
	// QuestionCES asks how easy something was, from 1 to 7; its score is
	// the customer effort score, the mean answer.
	QuestionCES QuestionKind = "ces"
	// QuestionSingle takes one of the question's Options.
	QuestionSingle QuestionKind = "single"
	// QuestionMultiple takes any number of the question's Options.
	QuestionMultiple QuestionKind = "multiple"
	// QuestionText takes free text, at most MaxAnswerTextBytes.
	QuestionText QuestionKind = "text"
)

// Scale returns the lowest and highest answer of a numeric kind (nps 0–10,
// rating 1–5, ces 1–7); ok is false for the other kinds.
func (k QuestionKind) Scale() (lo, hi int, ok bool) {
	switch k {
	case QuestionNPS:
		return 0, 10, true
	case QuestionRating:
		return 1, 5, true
	case QuestionCES:
		return 1, 7, true
	}
	return 0, 0, false
}

func (k QuestionKind) valid() bool {
	switch k {
	case QuestionNPS, QuestionRating, QuestionCES, QuestionSingle, QuestionMultiple, QuestionText:
		return true
	}
	return false
}

// Limits of surveys, invitations and answers.
const (
	MaxSurveyQuestions   = 50      // len(Survey.Questions)
	MaxSurveyTitleBytes  = 500     // Survey.Title
	MaxQuestionTextBytes = 2000    // Question.Text
	MaxQuestionOptions   = 50      // len(Question.Options)
	MaxOptionBytes       = 200     // each option
	MaxAnswerTextBytes   = 8 << 10 // a text answer
	MinInvitationTTL     = time.Minute
	MaxInvitationTTL     = 366 * 24 * time.Hour
	DefaultInvitationTTL = 14 * 24 * time.Hour
)

// Event types of surveys. Each is appended in the transaction of its
// change.
const (
	// EventSurveySaved records a new or changed survey version:
	// SubjectType SubjectSurvey, Subject the version's ID, SubjectKey the
	// survey's key, Changes "version", "title" and "questions" (Before the
	// version replaced, or the previous version when a new one is made).
	EventSurveySaved = "survey.saved"
	// EventSurveyInvited records an invitation on its customer's timeline:
	// SubjectType SubjectSurveyInvitation, Subject its ID, SubjectKey the
	// survey's key, Changes "survey_key", "version", "expires_at" and, when
	// set, "interaction_id", "ticket_id", "campaign_id" and "message_id".
	// The token is never logged. SendInvitation records it only once the
	// message went out.
	EventSurveyInvited = "survey.invited"
	// EventSurveyResponded records a response on its customer's timeline:
	// SubjectType SubjectSurveyResponse, Subject the response's ID,
	// SubjectKey the survey's key, Changes "answers.<question>" for each
	// answer and "survey_key", "version", "invitation_id" and the links
	// set.
	EventSurveyResponded = "survey.responded"
)

// SurveyEventTypes lists the event types of surveys.
var SurveyEventTypes = []string{EventSurveySaved, EventSurveyInvited, EventSurveyResponded}

// Subject types of survey events.
const (
	SubjectSurvey           = "survey"
	SubjectSurveyInvitation = "survey_invitation"
	SubjectSurveyResponse   = "survey_response"
)

// Question is one question of a survey.
type Question struct {
	// Key names the question in answers, e.g. "recommend": 1 to 64
	// characters from a-z, 0-9, '_' and '-', starting with a letter or
	// digit; unique within the survey.
	Key  string       `json:"key"`
	Kind QuestionKind `json:"kind"`
	// Text is the question as asked; required, at most
	// MaxQuestionTextBytes. The host translates it if it must.
	Text string `json:"text"`
	// Options are the choices of a single or multiple question: 2 to
	// MaxQuestionOptions distinct non-empty lines of at most MaxOptionBytes.
	// Other kinds have none.
	Options []string `json:"options,omitempty"`
	// Required makes a response without an answer to the question invalid.
	Required bool `json:"required,omitempty"`
}

// Survey is one version of a survey.
type Survey struct {
	ID      crmtype.ID // of this version
	Key     string     // the host's name for the survey, e.g. "post-ticket-csat"
	Version int        // 1, 2, ...
	Title   string
	// Questions in the order they are asked.
	Questions []Question
	CreatedAt time.Time // when the version was made
	// UpdatedAt is when the version was last replaced (before it had
	// responses); CreatedAt when it never was.
	UpdatedAt time.Time
}

// Question returns the question of key, or nil.
func (sv *Survey) Question(key string) *Question {
	for i := range sv.Questions {
		if sv.Questions[i].Key == key {
			return &sv.Questions[i]
		}
	}
	return nil
}

// SurveyParams defines a survey.
type SurveyParams struct {
	// Key names the survey: 1 to 64 characters from a-z, 0-9, '.', '_' and
	// '-', starting with a letter or digit.
	Key   string
	Title string // optional, one line, at most MaxSurveyTitleBytes
	// Questions: 1 to MaxSurveyQuestions.
	Questions []Question
}

// About is what a response is about: the message, ticket or campaign the
// customer gives feedback on. Each link is optional and not checked
// against its record.
type About struct {
	InteractionID crmtype.ID
	TicketID      crmtype.ID
	CampaignID    crmtype.ID
}

// Invitation asks one customer to answer one survey version, once.
type Invitation struct {
	ID         crmtype.ID
	SurveyID   crmtype.ID // the survey version it asks for
	SurveyKey  string
	Version    int
	CustomerID crmtype.ID
	About      About
	// Token is what the customer answers with (Respond): signed, single
	// use, valid until ExpiresAt. Only Invite, SendInvitation and
	// OpenInvitation return it; it is not stored.
	Token     string
	ExpiresAt time.Time // whole seconds, UTC
	// AnsweredAt is when it was answered; nil before.
	AnsweredAt *time.Time
	// MessageID is the outbound interaction that carried it
	// (SendInvitation); zero when the host delivered it itself.
	MessageID crmtype.ID
	CreatedAt time.Time
}

// InviteParams describes an invitation.
type InviteParams struct {
	SurveyKey  string     // required: the invitation is to the survey's latest version
	CustomerID crmtype.ID // required: a live customer of the workspace
	About      About
	// TTL is how long the token stays valid: default DefaultInvitationTTL,
	// from MinInvitationTTL to MaxInvitationTTL.
	TTL time.Duration
}

// Response is a customer's answers to an invitation.
type Response struct {
	ID           crmtype.ID
	SurveyID     crmtype.ID // the version answered
	SurveyKey    string
	Version      int
	InvitationID crmtype.ID
	CustomerID   crmtype.ID
	About        About // the invitation's
	// Answers by question key: an int for nps, rating and ces, a string
	// for single and text, a []string (in the order of the options) for
	// multiple. Unanswered questions are absent. Empty once the customer
	// was erased (the scores still count, see SurveyScore).
	Answers   map[string]any
	CreatedAt time.Time
}

// ScoreParams selects the answers SurveyScore reads.
type ScoreParams struct {
	SurveyKey string // required
	// Question is the key of an nps, rating or ces question; required.
	Question string
	// From and To bound the responses' times: From ≤ time < To. Zero
	// values do not bound.
	From, To time.Time
	// About filters responses by what they are about; zero fields do not
	// filter.
	About About
	// Level is the confidence level of the interval, in (0, 1); default
	// 0.95.
	Level float64
}

// Score is the score of one question over every version of a survey that
// asks it with the same kind.
type Score struct {
	SurveyKey string
	Question  string
	Kind      QuestionKind
	// N is the number of answers counted.
	N int
	// Value is the score: for nps the Net Promoter Score (−100 to 100),
	// for rating CSAT (the share of 4 and 5 answers, 0 to 1), for ces the
	// mean answer (1 to 7). 0 when N is 0.
	Value float64
	// Interval is Value's confidence interval at ScoreParams.Level: for
	// nps analysis.NPSFromCounts' normal interval, for rating the Wilson
	// interval, for ces the Student t interval of the mean
	// (analysis.MeanIntervalFromCounts). Its Level is 0 when there are too
	// few answers for one (none; one for ces).
	Interval analysis.ConfidenceInterval
	// Mean is the mean answer, whatever the kind.
	Mean float64
	// Counts holds the number of answers per scale value.
	Counts map[int]int
	// Versions holds the number of answers per survey version.
	Versions map[int]int
	// NPS holds the promoters, passives and detractors of an nps question.
	NPS *analysis.NPSResult
}

// TicketRef is what SurveyStore.RespondSurvey reads of the ticket a
// response is about, for its follow-up task.
type TicketRef struct {
	Number     int64  // the ticket's number (its key is T-<Number>)
	AssigneeID string // the host's user it is assigned to; "" when unassigned
}

// ResponseWrite is what a response writes (SurveyStore.RespondSurvey).
type ResponseWrite struct {
	Response *Response
	// Events are appended in the response's transaction: its
	// EventSurveyResponded and, with a FollowUp, the task's
	// EventTaskCreated.
	Events []crmtype.Event
	// FollowUp is a task to create with the response (a detractor's
	// follow-up, see Respond); nil for none.
	FollowUp *Task
}

// AnswerCount is a number of answers of one value in one survey version,
// as SurveyStore.SurveyAnswerCounts returns them.
type AnswerCount struct {
	Version int
	Value   int
	N       int
}

// SurveyStore stores surveys, invitations and responses. Every method
// confines itself to the scope's workspace: another workspace's records are
// ErrNotFound.
type SurveyStore interface {
	// SaveSurvey reads the latest version of the survey key (nil when
	// there is none) and whether it has responses, locked against
	// concurrent responses and saves, and calls change with them. change
	// returns the version to write and its events: one with the latest
	// version's Version replaces it (only when it has no responses), one
	// with the next Version is inserted; nil writes nothing and returns the
	// latest. change's error is returned as it is. ErrConflict when a
	// concurrent save made the same version first.
	SaveSurvey(ctx context.Context, sc crmtype.Scope, key string, change func(latest *Survey, responded bool) (*Survey, []crmtype.Event, error)) (*Survey, error)
	// GetSurvey returns version of survey key, the latest when version is
	// 0; ErrNotFound when there is none.
	GetSurvey(ctx context.Context, sc crmtype.Scope, key string, version int) (*Survey, error)
	// SurveyVersions returns every version of survey key, oldest first;
	// ErrNotFound when there is none.
	SurveyVersions(ctx context.Context, sc crmtype.Scope, key string) ([]*Survey, error)
	// InsertInvitation stores inv and evs, all or none, and returns the
	// workspace's token secret, made in the same transaction when the
	// workspace has none. ErrNotFound when the customer is not a live
	// (neither deleted nor erased) customer of the workspace, or the
	// survey version is gone.
	InsertInvitation(ctx context.Context, sc crmtype.Scope, inv *Invitation, evs []crmtype.Event) (secret []byte, err error)
	// SurveySecret returns the workspace's token secret; ErrNotFound when
	// it has none (it never invited anyone).
	SurveySecret(ctx context.Context, sc crmtype.Scope) ([]byte, error)
	// GetInvitation returns invitation id with its survey version;
	// ErrNotFound when there is none.
	GetInvitation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Invitation, *Survey, error)
	// MarkInvitationSent records messageID as the message that carried
	// invitation id, and evs. ErrNotFound when there is no invitation id.
	MarkInvitationSent(ctx context.Context, sc crmtype.Scope, id, messageID crmtype.ID, evs []crmtype.Event) error
	// DeleteInvitation removes invitation id if it was never answered
	// (nothing else refers to it then). Deleting a missing or answered
	// invitation does nothing.
	DeleteInvitation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) error
	// RespondSurvey locks invitation id and its survey version, in one
	// transaction: ErrNotFound when the invitation is gone or its customer
	// erased, ErrConflict when it is answered. It calls build with them;
	// build's error is returned as it is and nothing is written. Then it
	// marks the invitation answered at now (an update that must find it
	// unanswered, so that of concurrent calls one wins and the others get
	// ErrConflict), marks the version as having responses, and stores the
	// response, its numeric answers and the events.
	//
	// When the invitation is about a ticket (About.TicketID) that is a
	// ticket of the workspace, build gets its number and assignee (nil
	// otherwise). When build returns a FollowUp task, it is stored in the
	// same transaction, without reminders.
	RespondSurvey(ctx context.Context, sc crmtype.Scope, id crmtype.ID, now time.Time, build func(inv *Invitation, sv *Survey, ticket *TicketRef) (ResponseWrite, error)) (*Response, error)
	// ListResponses returns one page of the responses to survey key,
	// newest first; ErrNotFound when there is no survey key.
	ListResponses(ctx context.Context, sc crmtype.Scope, key string, after crmtype.Cursor, limit int) (crmtype.Page[*Response], error)
	// SurveyAnswerCounts counts the answers of kind to question p.Question
	// of survey p.SurveyKey by version and value, over the responses p's
	// time window and About select.
	SurveyAnswerCounts(ctx context.Context, sc crmtype.Scope, p ScoreParams, kind QuestionKind) ([]AnswerCount, error)
}

var questionKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func checkSurveyKey(field, key string) error {
	if key == "" {
		return crmtype.Invalid(field, "is required")
	}
	if !templateKeyPattern.MatchString(key) {
		return crmtype.Invalidf(field, "%q is not a survey key: use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'", key)
	}
	return nil
}

// newSurveyDef checks p and returns its title and questions, trimmed and
// normalised to NFC.
func newSurveyDef(p SurveyParams) (string, []Question, error) {
	if err := checkSurveyKey("key", p.Key); err != nil {
		return "", nil, err
	}
	title, err := taskText("title", p.Title, MaxSurveyTitleBytes, false, true)
	if err != nil {
		return "", nil, err
	}
	switch {
	case len(p.Questions) == 0:
		return "", nil, crmtype.Invalid("questions", "is required: a survey asks at least one question")
	case len(p.Questions) > MaxSurveyQuestions:
		return "", nil, crmtype.Invalidf("questions", "has %d questions, at most %d", len(p.Questions), MaxSurveyQuestions)
	}
	qs := make([]Question, len(p.Questions))
	seen := map[string]bool{}
	for i, q := range p.Questions {
		f := fmt.Sprintf("questions[%d]", i)
		if !questionKeyPattern.MatchString(q.Key) {
			return "", nil, crmtype.Invalidf(f+".key", "%q is not a question key: use 1 to 64 characters from a-z, 0-9, '_' and '-'", q.Key)
		}
		if seen[q.Key] {
			return "", nil, crmtype.Invalidf(f+".key", "repeats the key %q", q.Key)
		}
		seen[q.Key] = true
		if !q.Kind.valid() {
			return "", nil, crmtype.Invalidf(f+".kind", "%q is not a question kind: use nps, rating, ces, single, multiple or text", string(q.Kind))
		}
		text, err := taskText(f+".text", q.Text, MaxQuestionTextBytes, true, false)
		if err != nil {
			return "", nil, err
		}
		out := Question{Key: q.Key, Kind: q.Kind, Text: text, Required: q.Required}
		if q.Kind == QuestionSingle || q.Kind == QuestionMultiple {
			switch {
			case len(q.Options) < 2:
				return "", nil, crmtype.Invalidf(f+".options", "has %d options; a %s question needs at least 2", len(q.Options), q.Kind)
			case len(q.Options) > MaxQuestionOptions:
				return "", nil, crmtype.Invalidf(f+".options", "has %d options, at most %d", len(q.Options), MaxQuestionOptions)
			}
			for j, o := range q.Options {
				o, err := taskText(fmt.Sprintf("%s.options[%d]", f, j), o, MaxOptionBytes, true, true)
				if err != nil {
					return "", nil, err
				}
				if slices.Contains(out.Options, o) {
					return "", nil, crmtype.Invalidf(fmt.Sprintf("%s.options[%d]", f, j), "repeats the option %q", o)
				}
				out.Options = append(out.Options, o)
			}
		} else if len(q.Options) > 0 {
			return "", nil, crmtype.Invalidf(f+".options", "are for single and multiple questions, not %s", q.Kind)
		}
		qs[i] = out
	}
	return title, qs, nil
}

// SaveSurvey stores the survey p defines and returns the version saved.
// Without a survey of p.Key it makes version 1. Otherwise it changes the
// latest version: in place while that version has no responses (it keeps
// its ID and Version; invitations already given see the new questions), or
// by making the next version once it has one, so that every response keeps
// the questions it answered. Saving what the latest version already holds
// changes nothing and returns it. Each save records EventSurveySaved.
//
// Errors (nothing written): a *crmtype.ValidationError naming the field
// ("key", "title", "questions", "questions[i].key", "questions[i].kind",
// "questions[i].text", "questions[i].options" or
// "questions[i].options[j]"); ErrConflict when concurrent saves keep
// colliding.
func (s *Service) SaveSurvey(ctx context.Context, p SurveyParams) (*Survey, error) {
	const op = "save survey"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	title, qs, err := newSurveyDef(p)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	change := func(latest *Survey, responded bool) (*Survey, []crmtype.Event, error) {
		if latest != nil && latest.Title == title && reflect.DeepEqual(latest.Questions, qs) {
			return nil, nil, nil
		}
		sv := &Survey{Key: p.Key, Title: title, Questions: qs, CreatedAt: now, UpdatedAt: now}
		switch {
		case latest == nil:
			sv.ID, sv.Version = crmtype.NewID(now), 1
		case !responded:
			sv.ID, sv.Version, sv.CreatedAt = latest.ID, latest.Version, latest.CreatedAt
		default:
			sv.ID, sv.Version = crmtype.NewID(now), latest.Version+1
		}
		ev := crmtype.Event{Time: now, Type: EventSurveySaved, SubjectType: SubjectSurvey, Subject: sv.ID,
			SubjectKey: sv.Key, Changes: crmtype.DiffFields(surveyFields(latest), surveyFields(sv))}
		return sv, []crmtype.Event{ev}, nil
	}
	// A concurrent first save of the key, or a response that arrives while
	// the latest version is replaced, makes the store's write collide:
	// read again and decide again.
	for attempt := 0; ; attempt++ {
		sv, err := st.SaveSurvey(ctx, sc, p.Key, change)
		if err != nil && errors.Is(err, crmtype.ErrConflict) && attempt < 3 {
			continue
		}
		return sv, wrap(op, err)
	}
}

// Survey returns version of the survey key; version 0 means the latest.
// Errors: ErrInvalid "key" or "version" (negative); ErrNotFound when the
// workspace has no such survey or version.
func (s *Service) Survey(ctx context.Context, key string, version int) (*Survey, error) {
	const op = "survey"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	if err := checkSurveyKey("key", key); err != nil {
		return nil, wrap(op, err)
	}
	if version < 0 {
		return nil, wrap(op, crmtype.Invalid("version", "must not be negative: 0 means the latest"))
	}
	sv, err := st.GetSurvey(ctx, sc, key, version)
	return sv, wrap(op, err)
}

// Invite creates an invitation of customer p.CustomerID to the latest
// version of survey p.SurveyKey, with its token, and records
// EventSurveyInvited. It sends nothing: the host delivers the token (or
// use SendInvitation). Errors (nothing written): ErrInvalid naming
// "survey_key", "customer_id" or "ttl"; ErrNotFound when there is no such
// survey, or the customer is not a live customer of the workspace (deleted
// or erased).
func (s *Service) Invite(ctx context.Context, p InviteParams) (*Invitation, error) {
	return s.invite(ctx, "invite", p, true)
}

// checkInvite checks p and returns its TTL.
func checkInvite(p InviteParams) (time.Duration, error) {
	if err := checkSurveyKey("survey_key", p.SurveyKey); err != nil {
		return 0, err
	}
	if p.CustomerID.IsZero() {
		return 0, crmtype.Invalid("customer_id", "is required")
	}
	switch {
	case p.TTL == 0:
		return DefaultInvitationTTL, nil
	case p.TTL < MinInvitationTTL || p.TTL > MaxInvitationTTL:
		return 0, crmtype.Invalidf("ttl", "is %v; it must be from %v to %v", p.TTL, MinInvitationTTL, MaxInvitationTTL)
	}
	return p.TTL, nil
}

func (s *Service) invite(ctx context.Context, op string, p InviteParams, withEvent bool) (*Invitation, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	ttl, err := checkInvite(p)
	if err != nil {
		return nil, wrap(op, err)
	}
	sv, err := st.GetSurvey(ctx, sc, p.SurveyKey, 0)
	if err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	inv := &Invitation{ID: crmtype.NewID(now), SurveyID: sv.ID, SurveyKey: sv.Key, Version: sv.Version,
		CustomerID: p.CustomerID, About: p.About, ExpiresAt: now.Add(ttl).Truncate(time.Second), CreatedAt: now}
	var evs []crmtype.Event
	if withEvent {
		evs = []crmtype.Event{invitedEvent(inv, now)}
	}
	secret, err := st.InsertInvitation(ctx, sc, inv, evs)
	if err != nil {
		return nil, wrap(op, err)
	}
	inv.Token = signSurveyToken(secret, s.workspace, inv.ID, inv.ExpiresAt)
	return inv, nil
}

// SendInvitation invites like Invite and sends the invitation with Send:
// sp names the template and channel; its CustomerID, when set, must be
// p's; Purpose defaults to PurposeResearch, so the contact decision applies
// the customer's research consent, caps and quiet hours; TicketID and
// CampaignID default to p.About's. The template sees, besides sp.Data,
// {{.Data.survey_token}} (the token, for the host's survey link),
// {{.Data.survey_key}} and {{.Data.survey_expires_at}} (a time.Time).
//
// The contact decision (Decide) is asked first: when it denies or defers,
// the error is a *NotAllowedError (ErrNotAllowed) and nothing is written.
// Otherwise the invitation is created before the message (the message
// needs its token), without its event. When Send returns an error and the
// message did not go out (rendering failed, the sender refused it, the
// decision changed meanwhile), the invitation is deleted and Send's error
// returned: no invitation is kept and none is logged (Send's own record of
// a failed attempt stays). When the message went out, the invitation is
// marked as carried by it (Invitation.MessageID) and EventSurveyInvited is
// recorded. When Send
// reports an error although the message went out (see Send: a provider id
// already recorded), the invitation is kept and returned with the error.
//
// Errors: those of Invite; ErrInvalid "customer_id" when sp names another
// customer; ErrNoSender; ErrNotAllowed; those of Send.
func (s *Service) SendInvitation(ctx context.Context, p InviteParams, sp SendParams) (*Invitation, error) {
	const op = "send invitation"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	if s.sender == nil {
		return nil, wrap(op, ErrNoSender)
	}
	switch {
	case sp.CustomerID.IsZero():
		sp.CustomerID = p.CustomerID
	case p.CustomerID.IsZero():
		p.CustomerID = sp.CustomerID
	case sp.CustomerID != p.CustomerID:
		return nil, wrap(op, crmtype.Invalid("customer_id", "the message is for another customer than the invitation"))
	}
	if sp.Purpose == "" {
		sp.Purpose = PurposeResearch
	}
	if sp.TicketID.IsZero() {
		sp.TicketID = p.About.TicketID
	}
	if sp.CampaignID.IsZero() {
		sp.CampaignID = p.About.CampaignID
	}
	if _, err := checkInvite(p); err != nil {
		return nil, wrap(op, err)
	}
	if _, err := st.GetSurvey(ctx, sc, p.SurveyKey, 0); err != nil {
		return nil, wrap(op, err)
	}
	if _, err := s.customers.Get(ctx, p.CustomerID); err != nil {
		return nil, wrap(op, err)
	}
	// Ask first, so that a message the decision stops writes nothing; Send
	// asks again, and the invitation goes if that answer differs.
	d, err := s.Decide(ctx, DecideParams{CustomerID: p.CustomerID, Channel: sp.Channel, Purpose: sp.Purpose, List: sp.List})
	if err != nil {
		return nil, err
	}
	if d.Verdict != Allow {
		return nil, wrap(op, &NotAllowedError{Decision: d})
	}
	inv, err := s.invite(ctx, op, p, false)
	if err != nil {
		return nil, err
	}
	data := maps.Clone(sp.Data)
	if data == nil {
		data = map[string]any{}
	}
	data["survey_token"], data["survey_key"], data["survey_expires_at"] = inv.Token, inv.SurveyKey, inv.ExpiresAt
	sp.Data = data
	msg, sendErr := s.Send(ctx, sp)
	if msg == nil || sendErr != nil && !wentOut(msg) {
		if err := st.DeleteInvitation(context.WithoutCancel(ctx), sc, inv.ID); err != nil {
			return nil, errors.Join(sendErr, wrap(op, fmt.Errorf("delete the unsent invitation %s: %w", inv.ID, err)))
		}
		if sendErr == nil { // Send returns its message with a nil error
			sendErr = wrap(op, errors.New("send returned no message"))
		}
		return nil, sendErr
	}
	inv.MessageID = msg.ID
	if err := st.MarkInvitationSent(ctx, sc, inv.ID, msg.ID, []crmtype.Event{invitedEvent(inv, s.clock.Now())}); err != nil {
		return inv, errors.Join(sendErr, wrap(op, err))
	}
	return inv, sendErr
}

// wentOut reports whether the message Send returned left for the provider
// (or waits to go, queued, after a nil error).
func wentOut(m *Interaction) bool {
	return m != nil && m.Status != StatusQueued && m.Status != StatusFailed && m.Status != ""
}

func invitedEvent(inv *Invitation, now time.Time) crmtype.Event {
	m := map[string]any{"survey_key": inv.SurveyKey, "version": float64(inv.Version),
		"expires_at": inv.ExpiresAt.UTC().Format(eventTimeFormat)}
	addLinks(m, inv.About)
	if !inv.MessageID.IsZero() {
		m["message_id"] = inv.MessageID.String()
	}
	return crmtype.Event{Time: now, Type: EventSurveyInvited, SubjectType: SubjectSurveyInvitation, Subject: inv.ID,
		SubjectKey: inv.SurveyKey, Customer: inv.CustomerID, Changes: crmtype.DiffFields(nil, m)}
}

func addLinks(m map[string]any, a About) {
	for k, id := range map[string]crmtype.ID{"interaction_id": a.InteractionID, "ticket_id": a.TicketID, "campaign_id": a.CampaignID} {
		if !id.IsZero() {
			m[k] = id.String()
		}
	}
}

// OpenInvitation checks token as Respond does, without answering, and
// returns its invitation (Token set to token) and the survey version to
// show. Errors: ErrInvalid "token" (forged, altered, of another workspace,
// expired, or its invitation withdrawn or its customer erased);
// ErrConflict when it was answered.
func (s *Service) OpenInvitation(ctx context.Context, token string) (*Invitation, *Survey, error) {
	const op = "open invitation"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	st := s.store
	now := s.clock.Now()
	id, err := s.checkToken(ctx, sc, st, token, now)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	inv, sv, err := st.GetInvitation(ctx, sc, id)
	if errors.Is(err, crmtype.ErrNotFound) {
		return nil, nil, wrap(op, errWithdrawn())
	}
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	if err := invitationOpen(inv, now); err != nil {
		return nil, nil, wrap(op, err)
	}
	inv.Token = token
	return inv, sv, nil
}

// errWithdrawn is the error of a good token whose invitation is gone (a
// SendInvitation whose message failed, a purged customer) or whose customer
// was erased.
func errWithdrawn() error {
	return crmtype.Invalid("token", "is no longer valid: its invitation was withdrawn or its customer erased")
}

// invitationOpen reports an answered invitation (ErrConflict) or an
// expired one (erasure expires a customer's invitations).
func invitationOpen(inv *Invitation, now time.Time) error {
	if inv.AnsweredAt != nil {
		return &crmtype.ConflictError{Resource: "survey invitation", Field: "token", HeldBy: inv.ID,
			Reason: "has been answered already"}
	}
	if !now.Before(inv.ExpiresAt) {
		return crmtype.Invalid("token", "has expired")
	}
	return nil
}

// Respond stores the customer's answers to the invitation token names and
// records EventSurveyResponded on the customer's timeline. answers maps
// question keys to answers: for nps, rating and ces a whole number on the
// question's scale (any Go integer type, or a float or json.Number with
// no fraction, as decoded JSON gives); for single a string, one of the
// options; for multiple a []string (or []any of strings) of distinct
// options; for text a string. A nil, empty string or empty list is no
// answer. At least one question must be answered, and every required one.
// A token is good once: of concurrent calls with one token, one stores its
// response and the others get ErrConflict.
//
// Detractor follow-up: when the invitation is about a ticket
// (About.TicketID) and an answer is a detractor's (IsDetractor: nps 0–6,
// rating 1–2, ces 1–2), Respond also creates, in the response's
// transaction, one open follow-up task for the customer (whatever the
// survey, one per response however many answers are a detractor's):
// linked to the ticket (Task.TicketID), owned by the ticket's assignee
// (unassigned when the ticket has none or is not a ticket of the
// workspace), of high priority, due FollowUpDue after the response, its
// notes naming the survey and the detractor answers; EventTaskCreated is
// recorded with it. Find it with Tasks (CustomerID) by its TicketID.
//
// Errors (nothing written): a *crmtype.ValidationError naming "token" when
// it is malformed, forged, altered, of another workspace, expired (Reason
// "has expired"), or its invitation was withdrawn or its customer erased;
// naming "answers" when none is given, or "answers.<key>" for an unknown
// question, a missing required answer, an answer of the wrong type, a
// number off the scale or an unknown option; ErrConflict when the
// invitation was answered already.
func (s *Service) Respond(ctx context.Context, token string, answers map[string]any) (*Response, error) {
	const op = "respond"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	now := s.clock.Now()
	id, err := s.checkToken(ctx, sc, st, token, now)
	if err != nil {
		return nil, wrap(op, err)
	}
	resp, err := st.RespondSurvey(ctx, sc, id, now, func(inv *Invitation, sv *Survey, ticket *TicketRef) (ResponseWrite, error) {
		if err := invitationOpen(inv, now); err != nil {
			return ResponseWrite{}, err
		}
		clean, err := CheckAnswers(sv, answers)
		if err != nil {
			return ResponseWrite{}, err
		}
		r := &Response{ID: crmtype.NewID(now), SurveyID: sv.ID, SurveyKey: sv.Key, Version: sv.Version,
			InvitationID: inv.ID, CustomerID: inv.CustomerID, About: inv.About, Answers: clean, CreatedAt: now}
		w := ResponseWrite{Response: r, Events: []crmtype.Event{respondedEvent(r)}}
		if t := followUpTask(r, sv, ticket, now); t != nil {
			w.FollowUp = t
			w.Events = append(w.Events, taskEvent(EventTaskCreated, t, now, taskDiff(nil, t)))
		}
		return w, nil
	})
	if errors.Is(err, crmtype.ErrNotFound) {
		return nil, wrap(op, errWithdrawn())
	}
	return resp, wrap(op, err)
}

// FollowUpDue is how long after a detractor's response its follow-up task
// is due: 24 hours, i.e. within one business day for a response on a
// working day.
const FollowUpDue = 24 * time.Hour

// IsDetractor reports whether answer, to a question of kind, is a
// detractor's, one that calls for a follow-up:
//
//   - nps (0–10): 0 to 6, the Net Promoter Score's detractors;
//   - rating (CSAT, 1–5, 5 the most satisfied): 1 or 2;
//   - ces (1–7, how easy it was, 7 the easiest): 1 or 2.
//
// The other kinds, and answers off the kind's scale, never are.
func IsDetractor(kind QuestionKind, answer int) bool {
	lo, hi, ok := kind.Scale()
	if !ok || answer < lo || answer > hi {
		return false
	}
	if kind == QuestionNPS {
		return answer <= 6
	}
	return answer <= lo+1 // the worst two points of the scale
}

// DetractorAnswers returns the keys of the questions of sv that answers
// (as Response.Answers holds them) answer as a detractor (IsDetractor), in
// the survey's order; nil when none.
func DetractorAnswers(sv *Survey, answers map[string]any) []string {
	var out []string
	for _, q := range sv.Questions {
		if v, ok := answers[q.Key].(int); ok && IsDetractor(q.Kind, v) {
			out = append(out, q.Key)
		}
	}
	return out
}

// followUpTask returns the follow-up task of response r to survey version
// sv, or nil when r is not about a ticket or has no detractor answer. The
// task is for r's customer, linked to the ticket, owned by the ticket's
// assignee when it has one, of high priority and due FollowUpDue after
// the response.
func followUpTask(r *Response, sv *Survey, ticket *TicketRef, now time.Time) *Task {
	if r.About.TicketID.IsZero() {
		return nil
	}
	keys := DetractorAnswers(sv, r.Answers)
	if len(keys) == 0 {
		return nil
	}
	subject := "Follow up on a detractor's survey answer about a ticket"
	owner := ""
	if ticket != nil {
		subject = fmt.Sprintf("Follow up on T-%d: a detractor's survey answer", ticket.Number)
		owner = ticket.AssigneeID
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (%s) = %d", k, sv.Question(k).Kind, r.Answers[k].(int))
	}
	notes := fmt.Sprintf("Survey %q version %d, response %s: %s.", sv.Key, sv.Version, r.ID, strings.Join(parts, ", "))
	if o, err := taskText("owner_id", owner, MaxTaskOwnerBytes, false, true); err == nil {
		owner = o
	} else {
		owner = "" // not a valid owner: leave the task unassigned
	}
	return &Task{ID: crmtype.NewID(now), CustomerID: r.CustomerID, Subject: subject, Notes: notes,
		DueAt: now.Add(FollowUpDue).UTC().Truncate(time.Microsecond), OwnerID: owner, Priority: PriorityHigh,
		Status: TaskOpen, InteractionID: r.About.InteractionID, TicketID: r.About.TicketID, CampaignID: r.About.CampaignID,
		Version: 1, CreatedAt: now, UpdatedAt: now}
}

func respondedEvent(r *Response) crmtype.Event {
	m := map[string]any{"survey_key": r.SurveyKey, "version": float64(r.Version), "invitation_id": r.InvitationID.String()}
	addLinks(m, r.About)
	for k, v := range r.Answers {
		m["answers."+k] = jsonValue(v)
	}
	return crmtype.Event{Time: r.CreatedAt, Type: EventSurveyResponded, SubjectType: SubjectSurveyResponse, Subject: r.ID,
		SubjectKey: r.SurveyKey, Customer: r.CustomerID, Changes: crmtype.DiffFields(nil, m)}
}

// CheckAnswers validates answers against survey version sv as Respond does
// and returns them normalised: numbers as int, text trimmed and in NFC, a
// multiple answer in the order of the options, unanswered questions
// dropped. Errors: a *crmtype.ValidationError naming "answers" or
// "answers.<key>".
func CheckAnswers(sv *Survey, answers map[string]any) (map[string]any, error) {
	if len(answers) == 0 {
		return nil, crmtype.Invalid("answers", "is empty: answer at least one question")
	}
	keys := slices.Sorted(maps.Keys(answers))
	for _, k := range keys {
		if sv.Question(k) == nil {
			return nil, crmtype.Invalidf("answers."+k, "is not a question of survey %q version %d", sv.Key, sv.Version)
		}
	}
	out := make(map[string]any, len(answers))
	for i := range sv.Questions {
		q := &sv.Questions[i]
		v, err := checkAnswer(q, answers[q.Key])
		if err != nil {
			return nil, err
		}
		if v == nil {
			if q.Required {
				return nil, crmtype.Invalid("answers."+q.Key, "is required")
			}
			continue
		}
		out[q.Key] = v
	}
	if len(out) == 0 {
		return nil, crmtype.Invalid("answers", "answer no question: answer at least one")
	}
	return out, nil
}

// checkAnswer returns the normalised answer v to q, nil for no answer.
func checkAnswer(q *Question, v any) (any, error) {
	field := "answers." + q.Key
	if v == nil {
		return nil, nil
	}
	switch q.Kind {
	case QuestionNPS, QuestionRating, QuestionCES:
		lo, hi, _ := q.Kind.Scale()
		n, ok := wholeNumber(v)
		if !ok {
			return nil, crmtype.Invalidf(field, "must be a whole number from %d to %d, not %s", lo, hi, describe(v))
		}
		if n < int64(lo) || n > int64(hi) {
			return nil, crmtype.Invalidf(field, "is %d, outside the %s scale %d–%d", n, q.Kind, lo, hi)
		}
		return int(n), nil
	case QuestionSingle, QuestionText:
		s, ok := v.(string)
		if !ok {
			return nil, crmtype.Invalidf(field, "must be a string, not %s", describe(v))
		}
		max := MaxOptionBytes
		if q.Kind == QuestionText {
			max = MaxAnswerTextBytes
		}
		s, err := taskText(field, s, max, false, q.Kind == QuestionSingle)
		if err != nil || s == "" {
			return nil, err
		}
		if q.Kind == QuestionSingle && !slices.Contains(q.Options, s) {
			return nil, crmtype.Invalidf(field, "%q is not one of the options", s)
		}
		return s, nil
	case QuestionMultiple:
		var items []string
		switch x := v.(type) {
		case []string:
			items = x
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, crmtype.Invalidf(field, "must be a list of strings, not a list holding %s", describe(e))
				}
				items = append(items, s)
			}
		default:
			return nil, crmtype.Invalidf(field, "must be a list of strings, not %s", describe(v))
		}
		if len(items) == 0 {
			return nil, nil
		}
		chosen := map[string]bool{}
		for _, s := range items {
			s, err := taskText(field, s, MaxOptionBytes, true, true)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(q.Options, s) {
				return nil, crmtype.Invalidf(field, "%q is not one of the options", s)
			}
			if chosen[s] {
				return nil, crmtype.Invalidf(field, "repeats the option %q", s)
			}
			chosen[s] = true
		}
		out := make([]string, 0, len(chosen))
		for _, o := range q.Options {
			if chosen[o] {
				out = append(out, o)
			}
		}
		return out, nil
	}
	return nil, crmtype.Invalidf(field, "is a question of unknown kind %q", string(q.Kind))
}

// wholeNumber reads v as an integer: any Go integer, or a float or
// json.Number without fraction.
func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(min(uint64(x), math.MaxInt64)), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(min(x, math.MaxInt64)), true
	case float32:
		return wholeNumber(float64(x))
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return wholeNumber(f)
		}
	}
	return 0, false
}

// describe names v's type for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", truncate(x, 40))
	case float32, float64:
		return fmt.Sprintf("the number %v", x)
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("a %T", v)
}

// Tokens. A token is base64url (no padding) of 25 payload bytes — a format
// byte, the invitation ID (16 bytes) and the expiry in Unix seconds (8
// bytes, big-endian) — and the first 16 bytes of their HMAC-SHA256 under
// the workspace's secret, computed over the workspace ID too: a token is
// bound to its workspace, invitation and expiry, and changing any byte
// breaks it.
const (
	tokenFormat  = 1
	tokenPayload = 1 + 16 + 8
	tokenMAC     = 16
	tokenChars   = 55 // base64url of 41 bytes, unpadded
)

func tokenMACOf(secret []byte, ws crmtype.WorkspaceID, payload []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("kehu/crm survey token\x00"))
	h.Write([]byte(ws))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)[:tokenMAC]
}

// signSurveyToken returns the token of invitation id of workspace ws,
// valid until exp.
func signSurveyToken(secret []byte, ws crmtype.WorkspaceID, id crmtype.ID, exp time.Time) string {
	b := make([]byte, tokenPayload, tokenPayload+tokenMAC)
	b[0] = tokenFormat
	copy(b[1:17], id[:])
	binary.BigEndian.PutUint64(b[17:], uint64(exp.Unix()))
	b = append(b, tokenMACOf(secret, ws, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseSurveyToken splits a token into its invitation, expiry, payload and
// MAC, without checking the MAC.
func parseSurveyToken(token string) (id crmtype.ID, exp time.Time, payload, mac []byte, err error) {
	bad := crmtype.Invalid("token", "is malformed")
	if len(token) != tokenChars {
		return id, exp, nil, nil, bad
	}
	b, derr := base64.RawURLEncoding.Strict().DecodeString(token)
	if derr != nil || len(b) != tokenPayload+tokenMAC || b[0] != tokenFormat {
		return id, exp, nil, nil, bad
	}
	copy(id[:], b[1:17])
	secs := int64(binary.BigEndian.Uint64(b[17:tokenPayload]))
	return id, time.Unix(secs, 0).UTC(), b[:tokenPayload], b[tokenPayload:], nil
}

// checkToken verifies token against the workspace's secret and its expiry
// at now, and returns its invitation ID.
func (s *Service) checkToken(ctx context.Context, sc crmtype.Scope, st SurveyStore, token string, now time.Time) (crmtype.ID, error) {
	id, exp, payload, mac, err := parseSurveyToken(strings.TrimSpace(token))
	if err != nil {
		return id, err
	}
	invalid := crmtype.Invalid("token", "is not valid: forged, altered or of another workspace")
	secret, err := st.SurveySecret(ctx, sc)
	if errors.Is(err, crmtype.ErrNotFound) {
		return id, invalid
	}
	if err != nil {
		return id, err
	}
	if !hmac.Equal(mac, tokenMACOf(secret, s.workspace, payload)) {
		return id, invalid
	}
	if !now.Before(exp) {
		return id, crmtype.Invalid("token", "has expired")
	}
	return id, nil
}

// Responses returns one page of the responses to survey key (every
// version), newest first; follow Page.Next for more. Errors: ErrInvalid
// naming "key", "limit" or "cursor"; ErrNotFound when the workspace has no
// survey key.
func (s *Service) Responses(ctx context.Context, key string, p ListParams) (crmtype.Page[*Response], error) {
	const op = "responses"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Response]{}, err
	}
	st := s.store
	if err := checkSurveyKey("key", key); err != nil {
		return crmtype.Page[*Response]{}, wrap(op, err)
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Response]{}, wrap(op, err)
	}
	page, err := st.ListResponses(ctx, sc, key, p.After, limit)
	return page, wrap(op, err)
}

// SurveyScore scores question p.Question of survey p.SurveyKey over the
// responses p selects, across every version that asks the question with
// the kind it has in the latest version asking it (answers from versions
// where it had another kind do not count). The score follows the kind:
// the Net Promoter Score for nps, CSAT for rating, the mean for ces; see
// Score. It is counted in the database, by version and value. No answers
// is not an error: the Score has N 0.
//
// Errors: ErrInvalid naming "survey_key", "question" (missing, not asked by
// any version, or not an nps, rating or ces question), "to" (not after
// from) or "level"; ErrNotFound when the workspace has no survey
// p.SurveyKey.
func (s *Service) SurveyScore(ctx context.Context, p ScoreParams) (Score, error) {
	const op = "survey score"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Score{}, err
	}
	st := s.store
	if err := checkSurveyKey("survey_key", p.SurveyKey); err != nil {
		return Score{}, wrap(op, err)
	}
	if p.Question == "" {
		return Score{}, wrap(op, crmtype.Invalid("question", "is required"))
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return Score{}, wrap(op, crmtype.Invalid("to", "must be after from"))
	}
	if p.Level == 0 {
		p.Level = 0.95
	}
	if !(p.Level > 0 && p.Level < 1) {
		return Score{}, wrap(op, crmtype.Invalidf("level", "is %g, must be in (0, 1)", p.Level))
	}
	versions, err := st.SurveyVersions(ctx, sc, p.SurveyKey)
	if err != nil {
		return Score{}, wrap(op, err)
	}
	var kind QuestionKind
	for _, sv := range slices.Backward(versions) {
		if q := sv.Question(p.Question); q != nil {
			kind = q.Kind
			break
		}
	}
	if kind == "" {
		return Score{}, wrap(op, crmtype.Invalidf("question", "%q is not a question of survey %q", p.Question, p.SurveyKey))
	}
	if _, _, ok := kind.Scale(); !ok {
		return Score{}, wrap(op, crmtype.Invalidf("question", "%q is a %s question: only nps, rating and ces questions have a score", p.Question, kind))
	}
	counts, err := st.SurveyAnswerCounts(ctx, sc, p, kind)
	if err != nil {
		return Score{}, wrap(op, err)
	}
	score, err := scoreOf(p, kind, counts)
	return score, wrap(op, err)
}

// scoreOf computes the Score of kind from answer counts.
// ScoreFromCounts computes the score SurveyScore reports from answer
// counts of one numeric question (of kind QuestionNPS, QuestionRating or
// QuestionCES) of survey p.SurveyKey: for a group of respondents a host
// or another module has counted itself. p.Level 0 means 0.95. Errors:
// ErrInvalid "level" outside (0, 1), "kind" when kind is not numeric.
func ScoreFromCounts(p ScoreParams, kind QuestionKind, counts []AnswerCount) (Score, error) {
	if p.Level == 0 {
		p.Level = 0.95
	}
	if !(p.Level > 0 && p.Level < 1) {
		return Score{}, crmtype.Invalidf("level", "is %g, must be in (0, 1)", p.Level)
	}
	if kind != QuestionNPS && kind != QuestionRating && kind != QuestionCES {
		return Score{}, crmtype.Invalidf("kind", "%q is not a numeric question kind", kind)
	}
	return scoreOf(p, kind, counts)
}

func scoreOf(p ScoreParams, kind QuestionKind, counts []AnswerCount) (Score, error) {
	sc := Score{SurveyKey: p.SurveyKey, Question: p.Question, Kind: kind, Counts: map[int]int{}, Versions: map[int]int{}}
	var sum float64
	for _, c := range counts {
		sc.N += c.N
		sc.Counts[c.Value] += c.N
		sc.Versions[c.Version] += c.N
		sum += float64(c.Value) * float64(c.N)
	}
	if sc.N == 0 {
		return sc, nil
	}
	sc.Mean = sum / float64(sc.N)
	values := slices.Sorted(maps.Keys(sc.Counts))
	switch kind {
	case QuestionNPS:
		var pro, pas, det int
		for v, n := range sc.Counts {
			switch {
			case v >= 9:
				pro += n
			case v >= 7:
				pas += n
			default:
				det += n
			}
		}
		r, err := analysis.NPSFromCounts(pro, pas, det, p.Level)
		if err != nil {
			return sc, err
		}
		sc.Value, sc.Interval, sc.NPS = r.Score, r.CI, &r
	case QuestionRating:
		ok := sc.Counts[4] + sc.Counts[5]
		ci, err := analysis.WilsonInterval(ok, sc.N, p.Level)
		if err != nil {
			return sc, err
		}
		sc.Value, sc.Interval = float64(ok)/float64(sc.N), ci
	case QuestionCES:
		sc.Value = sc.Mean
		if sc.N >= 2 {
			xs, ns := make([]float64, len(values)), make([]int, len(values))
			for i, v := range values {
				xs[i], ns[i] = float64(v), sc.Counts[v]
			}
			r, err := analysis.MeanIntervalFromCounts(xs, ns, p.Level)
			if err != nil {
				return sc, err
			}
			sc.Interval = r.CI
		}
	}
	return sc, nil
}

// surveyFields returns sv's definition as JSON-ready values for an
// event's changes; nil for nil.
func surveyFields(sv *Survey) map[string]any {
	if sv == nil {
		return nil
	}
	return map[string]any{"version": float64(sv.Version), "title": sv.Title, "questions": jsonValue(sv.Questions)}
}

// jsonValue returns v as encoding/json decodes its encoding: the form of
// an event's values.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("communication: survey value is not JSON: " + err.Error())
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic("communication: survey value is not JSON: " + err.Error())
	}
	return out
}
