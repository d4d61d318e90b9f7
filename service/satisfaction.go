package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

// Satisfaction surveys.
//
// With Config.Satisfaction.SurveyKey set, every ticket that is solved (or
// solved and then closed) is asked, once, for the customer's satisfaction:
// host workers call SendSatisfactionSurveys, which claims the tickets whose
// survey is due and sends each an invitation through Config.Surveys (the
// workspace's *communication.Service) with About.TicketID set. The
// survey's questions (CSAT as a rating, NPS, CES) are the host's: see
// communication.SaveSurvey. Responses are tied to their ticket;
// SatisfactionResponses reads them with the ticket's assignee, team and
// category, and a detractor's response makes a follow-up task (see
// communication.Service.Respond).

// SurveySender sends a survey invitation; *communication.Service
// implements it. The Service must be of the same workspace.
type SurveySender interface {
	SendInvitation(ctx context.Context, p communication.InviteParams, sp communication.SendParams) (*communication.Invitation, error)
}

var _ SurveySender = (*communication.Service)(nil)

// Defaults of SatisfactionConfig.
const (
	DefaultSatisfactionMaxAge     = 7 * 24 * time.Hour
	DefaultSatisfactionLease      = 5 * time.Minute
	DefaultSatisfactionAttempts   = 5
	DefaultSatisfactionRetryDelay = 15 * time.Minute
	// MaxSatisfactionRetryDelay caps the doubling wait between attempts.
	MaxSatisfactionRetryDelay = 24 * time.Hour
	// DefaultSatisfactionBatch and MaxSatisfactionBatch bound how many
	// tickets one SendSatisfactionSurveys call claims.
	DefaultSatisfactionBatch = 100
	MaxSatisfactionBatch     = 1000
)

// SatisfactionConfig configures the satisfaction survey of solved tickets.
// The zero value turns it off.
type SatisfactionConfig struct {
	// SurveyKey is the survey to send (communication.SaveSurvey); "" turns
	// the feature off.
	SurveyKey string
	// Delay is how long after a ticket is solved its survey is due.
	// Default 0: as soon as it is solved. A delay (say an hour) lets a
	// quick reopen come first: a ticket that is not solved when its survey
	// falls due waits for its next solve.
	Delay time.Duration
	// MaxAge: a ticket solved longer ago than this is never surveyed, so
	// that turning the feature on (or a worker that was down for long)
	// does not survey old tickets. Default DefaultSatisfactionMaxAge; it
	// must be longer than Delay.
	MaxAge time.Duration
	// Send is the message: RenderParams.Key and Channel (required) name
	// the template, which sees besides Data {{.Data.survey_token}},
	// {{.Data.survey_key}} and {{.Data.survey_expires_at}} (see
	// communication.Service.SendInvitation) and {{.Data.ticket_key}}
	// ("T-42"), {{.Data.ticket_number}} and {{.Data.ticket_subject}}.
	// Purpose defaults to communication.PurposeResearch, so the customer's
	// research consent, caps and quiet hours apply. CustomerID and
	// TicketID are set per ticket.
	Send communication.SendParams
	// TTL is how long the invitation stays valid; default
	// communication.DefaultInvitationTTL.
	TTL time.Duration
	// Lease is how long a claimed ticket stays with the worker that
	// claimed it; when the worker does not record an outcome in time (it
	// crashed), another claims the ticket again. Default
	// DefaultSatisfactionLease.
	Lease time.Duration
	// MaxAttempts is how many failed sends a ticket gets before its survey
	// is given up (SurveyFailed). Default DefaultSatisfactionAttempts.
	MaxAttempts int
	// RetryDelay is the wait after the first failed send; it doubles with
	// each further failure, up to MaxSatisfactionRetryDelay. Default
	// DefaultSatisfactionRetryDelay.
	RetryDelay time.Duration
}

func (c *SatisfactionConfig) defaults() {
	if c.MaxAge == 0 {
		c.MaxAge = DefaultSatisfactionMaxAge
	}
	if c.Lease <= 0 {
		c.Lease = DefaultSatisfactionLease
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultSatisfactionAttempts
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = DefaultSatisfactionRetryDelay
	}
	if c.Send.Purpose == "" {
		c.Send.Purpose = communication.PurposeResearch
	}
}

// check reports a configuration SendSatisfactionSurveys cannot work with,
// naming the field.
func (c *SatisfactionConfig) check() error {
	switch {
	case c.Delay < 0:
		return crmtype.Invalid("satisfaction.delay", "must not be negative")
	case c.MaxAge <= c.Delay:
		return crmtype.Invalidf("satisfaction.max_age", "is %v; it must be longer than the delay %v", c.MaxAge, c.Delay)
	case c.Send.Key == "":
		return crmtype.Invalid("satisfaction.send.key", "is required: the template of the survey's message")
	case c.Send.Channel == "":
		return crmtype.Invalid("satisfaction.send.channel", "is required")
	case c.TTL != 0 && (c.TTL < communication.MinInvitationTTL || c.TTL > communication.MaxInvitationTTL):
		return crmtype.Invalidf("satisfaction.ttl", "is %v; it must be from %v to %v", c.TTL,
			communication.MinInvitationTTL, communication.MaxInvitationTTL)
	}
	return nil
}

// ErrNoSurveySender is returned by SendSatisfactionSurveys when a survey
// key is configured but Config.Surveys is nil.
var ErrNoSurveySender = errors.New("no survey sender configured (Config.Surveys)")

// SurveyState is where a ticket's satisfaction survey stands.
type SurveyState string

// Survey states. The empty state means no outcome yet: the ticket is not
// solved, its survey is not due yet, a worker holds it, or a retry or a
// deferral waits. The others are final.
const (
	SurveyPending SurveyState = ""
	SurveySent    SurveyState = "sent"    // InvitationID is the invitation
	SurveySkipped SurveyState = "skipped" // Reason says why
	SurveyFailed  SurveyState = "failed"  // MaxAttempts sends failed; Reason is the last failure's
)

// Reasons of skipped surveys and failed sends, as TicketSurvey.Reason and
// SurveyResult.Reason hold them. A contact decision that denies the
// message is "contact:" followed by its reason (e.g. "contact:no_consent",
// see communication's Reason codes); one that defers it (quiet hours, a
// cap) is "deferred:" and its reason, and the ticket waits until the
// decision's Until. A failed send is "send:" followed by the kind of
// failure: "no_sender", "not_found", "invalid:<field>" or "error" (the
// error itself is in SurveyResult.Err, not stored).
const (
	ReasonCustomerInactive = "customer_inactive" // the ticket's customer is deleted or erased
	ReasonNoAddress        = "no_address"        // the customer has no address on the channel
	ReasonAlreadyInvited   = "already_invited"   // an earlier claim's invitation went out; recorded, not sent again
)

// TicketSurvey is the satisfaction survey state of one ticket.
type TicketSurvey struct {
	TicketID crmtype.ID
	State    SurveyState
	// InvitationID is the invitation sent (SurveySent); zero otherwise.
	InvitationID crmtype.ID
	// Reason says why it was skipped or failed, or what the last failure
	// or deferral was while it is pending; "" otherwise.
	Reason string
	// Attempts counts the failed sends.
	Attempts int
	// At is when the outcome was recorded; nil while pending.
	At *time.Time
	// HeldUntil is, while pending, when a worker's claim, a retry's or a
	// deferral's wait ends; nil when none.
	HeldUntil *time.Time
}

// SurveyOutcome is what SendSatisfactionSurveys did with a claimed ticket.
type SurveyOutcome string

// Outcomes of SurveyResult.
const (
	OutcomeSent     SurveyOutcome = "sent"     // SurveySent recorded
	OutcomeSkipped  SurveyOutcome = "skipped"  // SurveySkipped recorded
	OutcomeFailed   SurveyOutcome = "failed"   // the last attempt failed: SurveyFailed recorded
	OutcomeRetry    SurveyOutcome = "retry"    // the send failed; retried after RetryDelay (doubling)
	OutcomeDeferred SurveyOutcome = "deferred" // the contact decision deferred it; retried at its Until
	// OutcomeLost: the worker's lease ran out and another worker claimed
	// the ticket before the outcome was recorded (the lease is too short
	// for the send).
	OutcomeLost SurveyOutcome = "lost"
)

// SurveyResult is the outcome of one claimed ticket.
type SurveyResult struct {
	TicketID     crmtype.ID
	Number       int64
	Outcome      SurveyOutcome
	InvitationID crmtype.ID // with OutcomeSent
	Reason       string
	// Err is the error of a failed, retried or lost send, or of a send
	// that went out but could not be fully recorded (OutcomeSent).
	Err error
}

// SurveyRun is what one SendSatisfactionSurveys call did.
type SurveyRun struct {
	// Results holds one result per claimed ticket, in claim order (by
	// solve time).
	Results []SurveyResult
}

// Count returns the number of results with outcome o.
func (r SurveyRun) Count(o SurveyOutcome) int {
	n := 0
	for _, x := range r.Results {
		if x.Outcome == o {
			n++
		}
	}
	return n
}

// SatisfactionClaim is a ticket a worker claimed for its survey
// (SatisfactionStore.ClaimSatisfactionSurveys).
type SatisfactionClaim struct {
	TicketID   crmtype.ID
	Number     int64
	Subject    string
	CustomerID crmtype.ID
	// CustomerLive is false when the customer is deleted or erased.
	CustomerLive bool
	SolvedAt     time.Time
	Attempts     int
	// LeaseNo numbers the claim; recording an outcome needs it.
	LeaseNo int64
	// InvitationID is an invitation to the survey about this ticket that
	// went out already (a worker that crashed before recording it); zero
	// when none.
	InvitationID crmtype.ID
}

// SatisfactionClaimParams selects and leases due tickets.
type SatisfactionClaimParams struct {
	SurveyKey string
	Now       time.Time
	// SolvedFrom ≤ solved_at ≤ SolvedTo.
	SolvedFrom, SolvedTo time.Time
	Lease                time.Duration
	Limit                int
}

// SatisfactionRecord is the outcome a worker records for a claim.
type SatisfactionRecord struct {
	TicketID crmtype.ID
	LeaseNo  int64
	// State SurveyPending keeps the ticket due after HoldUntil.
	State        SurveyState
	InvitationID crmtype.ID
	Reason       string
	Attempts     int
	HoldUntil    *time.Time
	At           time.Time
}

// SatisfactionStore stores satisfaction survey state; package store
// implements it. Every method confines itself to the scope's workspace.
type SatisfactionStore interface {
	// ClaimSatisfactionSurveys leases to the caller, until p.Now+p.Lease,
	// at most p.Limit tickets solved (or closed) between p.SolvedFrom and
	// p.SolvedTo without a survey outcome, not held at p.Now, by solve
	// time. No two callers hold the same ticket's lease at once.
	ClaimSatisfactionSurveys(ctx context.Context, sc crmtype.Scope, p SatisfactionClaimParams) ([]SatisfactionClaim, error)
	// RecordSatisfactionSurvey records r on its ticket if the claim
	// r.LeaseNo is still the ticket's latest and it has no outcome;
	// ErrConflict otherwise.
	RecordSatisfactionSurvey(ctx context.Context, sc crmtype.Scope, r SatisfactionRecord) error
	// GetTicketSurvey returns ticket id's survey state, or ErrNotFound.
	GetTicketSurvey(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*TicketSurvey, error)
	// ListSatisfactionResponses returns one page of p's selection.
	ListSatisfactionResponses(ctx context.Context, sc crmtype.Scope, p SatisfactionParams, limit int) (crmtype.Page[SatisfactionResponse], error)
}

// SendSatisfactionSurveys claims up to limit tickets (0 means
// DefaultSatisfactionBatch, at most MaxSatisfactionBatch) whose
// satisfaction survey is due and sends each its invitation, recording the
// outcome on the ticket. Several workers may call it at once: each due
// ticket is claimed by one of them, for Config.Satisfaction.Lease; a
// ticket a crashed worker claimed is claimed again when the lease ends
// (then an invitation that went out already is recorded, not sent again).
//
// A ticket's survey is due when it is solved or closed, was solved at
// least Delay and at most MaxAge ago, has no outcome yet and no wait is
// pending. Each gets exactly one outcome, after which it is never
// surveyed again, also when it is reopened and solved again:
//
//   - sent: the invitation went out (TicketSurvey.InvitationID);
//   - skipped: the contact decision denied it ("contact:<reason>"), the
//     customer is deleted or erased (ReasonCustomerInactive) or has no
//     address on the channel (ReasonNoAddress);
//   - failed: MaxAttempts sends failed; until then each failure waits
//     RetryDelay, doubling, and a deferral by the contact decision (quiet
//     hours, a cap) waits for its end without counting as a failure.
//
// With no survey key configured it does nothing. Errors: ErrInvalid
// "limit", or naming the misconfigured "satisfaction.*" field;
// ErrNoSurveySender. Errors of single sends are in the results, not
// returned; when ctx ends, the run stops and returns ctx's error with the
// results so far (the unsent claims are retried when their lease ends).
func (s *Service) SendSatisfactionSurveys(ctx context.Context, limit int) (SurveyRun, error) {
	const op = "send satisfaction surveys"
	var run SurveyRun
	sc, err := s.scope(ctx, op)
	if err != nil {
		return run, err
	}
	switch {
	case limit == 0:
		limit = DefaultSatisfactionBatch
	case limit < 0 || limit > MaxSatisfactionBatch:
		return run, wrap(op, crmtype.Invalidf("limit", "must be between 1 and %d", MaxSatisfactionBatch))
	}
	cfg := s.cfg.Satisfaction
	if cfg.SurveyKey == "" {
		return run, nil
	}
	if err := cfg.check(); err != nil {
		return run, wrap(op, err)
	}
	if s.cfg.Surveys == nil {
		return run, wrap(op, ErrNoSurveySender)
	}
	st := s.store
	now := s.clock.Now()
	claims, err := st.ClaimSatisfactionSurveys(ctx, sc, SatisfactionClaimParams{SurveyKey: cfg.SurveyKey, Now: now,
		SolvedFrom: now.Add(-cfg.MaxAge), SolvedTo: now.Add(-cfg.Delay), Lease: cfg.Lease, Limit: limit})
	if err != nil {
		return run, wrap(op, err)
	}
	for _, c := range claims {
		if err := ctx.Err(); err != nil {
			return run, wrap(op, err)
		}
		run.Results = append(run.Results, s.surveyTicket(ctx, sc, st, &cfg, c))
	}
	return run, nil
}

// surveyTicket sends the survey of claimed ticket c and records the
// outcome.
func (s *Service) surveyTicket(ctx context.Context, sc crmtype.Scope, st SatisfactionStore, cfg *SatisfactionConfig, c SatisfactionClaim) SurveyResult {
	res := SurveyResult{TicketID: c.TicketID, Number: c.Number}
	rec := SatisfactionRecord{TicketID: c.TicketID, LeaseNo: c.LeaseNo, Attempts: c.Attempts}
	switch {
	case !c.InvitationID.IsZero():
		rec.State, rec.InvitationID, rec.Reason = SurveySent, c.InvitationID, ReasonAlreadyInvited
	case c.CustomerID.IsZero() || !c.CustomerLive:
		rec.State, rec.Reason = SurveySkipped, ReasonCustomerInactive
	default:
		sp := cfg.Send
		sp.CustomerID, sp.TicketID = c.CustomerID, c.TicketID
		data := maps.Clone(sp.Data)
		if data == nil {
			data = map[string]any{}
		}
		data["ticket_key"] = fmt.Sprintf("T-%d", c.Number)
		data["ticket_number"] = c.Number
		data["ticket_subject"] = c.Subject
		sp.Data = data
		inv, err := s.cfg.Surveys.SendInvitation(ctx, communication.InviteParams{SurveyKey: cfg.SurveyKey,
			CustomerID: c.CustomerID, About: communication.About{TicketID: c.TicketID}, TTL: cfg.TTL}, sp)
		res.Err = err
		if inv != nil { // it went out, even if recording it partly failed
			rec.State, rec.InvitationID = SurveySent, inv.ID
			break
		}
		s.classifySendError(cfg, &rec, err)
	}
	rec.At = s.clock.Now()
	// The send is done: record its outcome even when ctx ends meanwhile.
	if err := st.RecordSatisfactionSurvey(context.WithoutCancel(ctx), sc, rec); err != nil {
		res.Outcome, res.Err = OutcomeLost, errors.Join(res.Err, wrap("record satisfaction survey", err))
		return res
	}
	res.InvitationID, res.Reason = rec.InvitationID, rec.Reason
	switch rec.State {
	case SurveySent:
		res.Outcome = OutcomeSent
	case SurveySkipped:
		res.Outcome = OutcomeSkipped
	case SurveyFailed:
		res.Outcome = OutcomeFailed
	default:
		res.Outcome = OutcomeRetry
		if rec.Attempts == c.Attempts {
			res.Outcome = OutcomeDeferred
		}
	}
	return res
}

// classifySendError fills rec with the outcome of a send that failed with
// err: skipped, deferred, retried or failed.
func (s *Service) classifySendError(cfg *SatisfactionConfig, rec *SatisfactionRecord, err error) {
	var na *communication.NotAllowedError
	var ve *crmtype.ValidationError
	if errors.As(err, &na) {
		if na.Decision.Verdict == communication.Defer && !na.Decision.Until.IsZero() {
			until := na.Decision.Until.UTC()
			rec.Reason, rec.HoldUntil = "deferred:"+na.Decision.Reason, &until
			return
		}
		rec.State, rec.Reason = SurveySkipped, "contact:"+na.Decision.Reason
		return
	}
	if errors.As(err, &ve) && ve.Field == "to" {
		rec.State, rec.Reason = SurveySkipped, ReasonNoAddress
		return
	}
	switch {
	case errors.Is(err, communication.ErrNoSender):
		rec.Reason = "send:no_sender"
	case errors.Is(err, crmtype.ErrNotFound):
		rec.Reason = "send:not_found"
	case ve != nil:
		rec.Reason = "send:invalid:" + ve.Field
	default:
		rec.Reason = "send:error"
	}
	rec.Attempts++
	if rec.Attempts >= cfg.MaxAttempts {
		rec.State = SurveyFailed
		return
	}
	wait := cfg.RetryDelay
	for i := 1; i < rec.Attempts && wait < MaxSatisfactionRetryDelay; i++ {
		wait *= 2
	}
	until := s.clock.Now().Add(min(wait, MaxSatisfactionRetryDelay)).UTC()
	rec.HoldUntil = &until
}

// TicketSurvey returns the satisfaction survey state of ticket id.
// ErrNotFound when the workspace has no ticket id.
func (s *Service) TicketSurvey(ctx context.Context, id crmtype.ID) (*TicketSurvey, error) {
	const op = "ticket survey"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	st := s.store
	ts, err := st.GetTicketSurvey(ctx, sc, id)
	return ts, wrap(op, err)
}

// SatisfactionKind is the kind of a satisfaction score.
type SatisfactionKind string

// Satisfaction kinds, from the survey's question kinds.
const (
	KindNPS  SatisfactionKind = "nps"  // an nps question, 0–10
	KindCSAT SatisfactionKind = "csat" // a rating question, 1–5
	KindCES  SatisfactionKind = "ces"  // a ces question, 1–7 (7 the easiest)
)

// SatisfactionKindOf returns the satisfaction kind of a numeric question
// kind; ok is false for the others.
func SatisfactionKindOf(k communication.QuestionKind) (SatisfactionKind, bool) {
	switch k {
	case communication.QuestionNPS:
		return KindNPS, true
	case communication.QuestionRating:
		return KindCSAT, true
	case communication.QuestionCES:
		return KindCES, true
	}
	return "", false
}

// QuestionKind returns the survey question kind of k.
func (k SatisfactionKind) QuestionKind() communication.QuestionKind {
	switch k {
	case KindNPS:
		return communication.QuestionNPS
	case KindCSAT:
		return communication.QuestionRating
	case KindCES:
		return communication.QuestionCES
	}
	return ""
}

// SatisfactionParams selects satisfaction responses. Zero fields do not
// filter.
type SatisfactionParams struct {
	SurveyKey string
	// From and To bound the response times: From ≤ RespondedAt < To.
	From, To   time.Time
	AssigneeID string
	TeamID     string
	Category   string
	Limit      int // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// SatisfactionResponse is one numeric answer (nps, rating or ces) of a
// survey response about a ticket, with the ticket's assignee, team,
// category and priority as they are now.
type SatisfactionResponse struct {
	ResponseID    crmtype.ID
	TicketID      crmtype.ID
	Number        int64
	AssigneeID    string
	TeamID        string
	Category      string
	Priority      Priority
	SurveyKey     string
	SurveyVersion int
	Question      string // the question's key
	Kind          SatisfactionKind
	Score         int
	// Detractor is communication.IsDetractor of the answer.
	Detractor   bool
	RespondedAt time.Time
}

// SatisfactionResponses returns one page of the numeric answers of the
// survey responses about the workspace's tickets that p selects, each with
// its ticket's assignee, team, category and priority (joined in the
// database), by response time, then response, then question. Responses
// about tickets that no longer exist are left out; the answers of erased
// customers count (they name no one). This is the one read that reports
// on satisfaction by agent, team or category build on. Errors: ErrInvalid
// naming "limit", "to" (not after from) or "cursor".
func (s *Service) SatisfactionResponses(ctx context.Context, p SatisfactionParams) (crmtype.Page[SatisfactionResponse], error) {
	const op = "satisfaction responses"
	var page crmtype.Page[SatisfactionResponse]
	sc, err := s.scope(ctx, op)
	if err != nil {
		return page, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return page, wrap(op, err)
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return page, wrap(op, crmtype.Invalid("to", "must be after from"))
	}
	st := s.store
	page, err = st.ListSatisfactionResponses(ctx, sc, p, limit)
	if err != nil {
		return page, wrap(op, err)
	}
	for i := range page.Items {
		r := &page.Items[i]
		r.Detractor = communication.IsDetractor(r.Kind.QuestionKind(), r.Score)
	}
	return page, nil
}
