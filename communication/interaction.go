package communication

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
)

// Direction says who started an exchange.
type Direction string

// Directions.
const (
	Inbound  Direction = "inbound"  // from the customer
	Outbound Direction = "outbound" // to the customer
)

// Outcome is how an exchange ended. The constants are the built-in
// outcomes; a workspace may use its own, named like a Channel.
type Outcome string

// Built-in outcomes.
const (
	Connected Outcome = "connected" // a call or visit that reached the customer
	NoAnswer  Outcome = "no_answer" //
	Voicemail Outcome = "voicemail" // a message was left
	Busy      Outcome = "busy"      //
	Replied   Outcome = "replied"   // the customer answered
	Bounced   Outcome = "bounced"   // the message could not be delivered
	Completed Outcome = "completed" // a meeting or visit took place
	Cancelled Outcome = "cancelled" // a planned meeting or visit did not
)

// Status is the delivery state of an outbound message, moved by the
// provider's callbacks (UpdateStatus). A message moves forward only:
// queued, sent, delivered, opened, clicked, replied; bounced and failed end
// it. A callback that would move it back (an "opened" after a "replied")
// is recorded as an event but leaves the status as it is.
type Status string

// Delivery states.
const (
	StatusQueued    Status = "queued"    // recorded, not yet handed to the provider
	StatusSent      Status = "sent"      // the provider accepted it
	StatusDelivered Status = "delivered" //
	StatusOpened    Status = "opened"    //
	StatusClicked   Status = "clicked"   //
	StatusReplied   Status = "replied"   //
	StatusBounced   Status = "bounced"   // final
	StatusFailed    Status = "failed"    // final: the provider refused it or sending failed
)

// statusRank orders the delivery states; a final state ranks above all.
var statusRank = map[Status]int{StatusQueued: 1, StatusSent: 2, StatusDelivered: 3, StatusOpened: 4,
	StatusClicked: 5, StatusReplied: 6, StatusBounced: 9, StatusFailed: 9}

// Advances reports whether a message in status s moves to next: next is
// later in the order and s is not final.
func (s Status) Advances(next Status) bool {
	return statusRank[s] < 9 && statusRank[next] > statusRank[s]
}

// Attachment refers to a file stored by the host; the SDK keeps no blobs.
type Attachment struct {
	Name string `json:"name"`           // file name, e.g. "invoice-1042.pdf"
	Type string `json:"type,omitempty"` // media type, e.g. "application/pdf"
	Size int64  `json:"size,omitempty"` // bytes
	URI  string `json:"uri"`            // where the host keeps it
}

// Interaction is one exchange with a customer on one channel: a call, an
// email, a chat message, a meeting.
type Interaction struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	CompanyID  crmtype.ID // zero when none
	// ConversationID is the thread the interaction belongs to.
	ConversationID crmtype.ID
	Channel        Channel
	Direction      Direction
	OccurredAt     time.Time     // when it started, UTC
	Duration       time.Duration // of a call or meeting, in whole milliseconds; 0 when not known
	Subject        string
	Body           string // plain text
	HTML           string // email only: sanitised HTML
	Outcome        Outcome
	// Status is the delivery state of an outbound message; "" for others.
	Status Status
	// StatusReason is the provider's or sender's reason for a bounce or
	// failure.
	StatusReason string
	OwnerID      string // the host's user (agent) who handled it
	Attachments  []Attachment
	// Links to the records the exchange is about; zero when none.
	PurchaseID, TicketID, CampaignID crmtype.ID
	// ProviderID is the provider's message id (an email's Message-ID, a
	// call id), unique per workspace and channel; "" when none.
	ProviderID string
	// ThreadID is the provider's thread or session id; ReplyTo the
	// ProviderID of the message this one answers. Both place the
	// interaction in a conversation.
	ThreadID, ReplyTo string
	// Meta holds the host's tags, e.g. UTM parameters ("utm_source").
	Meta map[string]string
	// Purpose is why an outbound message was sent; frequency caps count
	// outbound messages by purpose. "" when not given.
	Purpose Purpose
	// Decision is the contact decision that let a message sent with Send
	// go, "<verdict>:<reason>", e.g. "allow:consent_granted"; "" otherwise.
	Decision  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InteractionParams describes an interaction to record.
type InteractionParams struct {
	CustomerID crmtype.ID // required
	CompanyID  crmtype.ID // optional: a company of the workspace
	Channel    Channel    // required
	Direction  Direction  // required
	OccurredAt time.Time  // required
	// EndedAt or Duration give the length of a call or meeting; when both
	// are set they must agree. Optional.
	EndedAt  time.Time
	Duration time.Duration
	Subject  string // at most 1,000 bytes
	Body     string // plain text, at most Config.MaxBodyBytes
	// HTML is an email's HTML body, at most Config.MaxBodyBytes; scripts,
	// event handlers and other unsafe markup are removed before it is
	// stored (SanitizeHTML).
	HTML        string
	Outcome     Outcome
	Status      Status // for an outbound message recorded after the fact; default "" (none)
	OwnerID     string
	Attachments []Attachment // at most 100
	PurchaseID  crmtype.ID   // optional: a purchase of the customer
	TicketID    crmtype.ID   // optional
	CampaignID  crmtype.ID   // optional
	ProviderID  string       // optional; makes recording idempotent
	ThreadID    string       // optional
	ReplyTo     string       // optional
	Meta        map[string]string
	Purpose     Purpose // optional: why an outbound message was sent
}

const (
	maxSubject     = 1000
	maxKey         = 500 // provider, thread and owner ids
	maxAttachments = 100
	maxMeta        = 50
)

var outcomePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// NewInteraction validates p as Record does and returns the interaction
// it describes, with a new ID, without storing it: for a module that
// stores an interaction in a transaction of its own (a ticket's public
// reply). Errors: those of Record's validation.
func (s *Service) NewInteraction(p InteractionParams) (*Interaction, error) {
	return s.newInteraction(p, s.clock.Now())
}

// newInteraction validates p and returns the interaction it describes,
// with a new ID and the HTML sanitised. The conversation is left to the
// store.
func (s *Service) newInteraction(p InteractionParams, now time.Time) (*Interaction, error) {
	if p.CustomerID.IsZero() {
		return nil, crmtype.Invalid("customer_id", "is required")
	}
	if err := validateChannel("channel", p.Channel); err != nil {
		return nil, err
	}
	if p.Direction != Inbound && p.Direction != Outbound {
		return nil, crmtype.Invalidf("direction", "%q is not a direction: use inbound or outbound", string(p.Direction))
	}
	if p.OccurredAt.IsZero() {
		return nil, crmtype.Invalid("occurred_at", "is required")
	}
	d := p.Duration.Truncate(time.Millisecond) // stored in whole milliseconds
	if p.Duration < 0 {
		return nil, crmtype.Invalid("duration", "must not be negative")
	}
	if !p.EndedAt.IsZero() {
		if p.EndedAt.Before(p.OccurredAt) {
			return nil, crmtype.Invalid("ended_at", "is before occurred_at")
		}
		e := p.EndedAt.Sub(p.OccurredAt).Truncate(time.Millisecond)
		if d != 0 && d != e {
			return nil, crmtype.Invalidf("duration", "is %v but ended_at says %v", d, e)
		}
		d = e
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"subject", p.Subject, maxSubject}, {"body", p.Body, s.maxBody}, {"html", p.HTML, s.maxBody},
		{"owner_id", p.OwnerID, maxKey}, {"provider_id", p.ProviderID, maxKey},
		{"thread_id", p.ThreadID, maxKey}, {"reply_to", p.ReplyTo, maxKey}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return nil, err
		}
	}
	if p.HTML != "" && p.Channel != Email {
		return nil, crmtype.Invalid("html", "is for email only")
	}
	if p.Purpose != "" && !outcomePattern.MatchString(string(p.Purpose)) {
		return nil, crmtype.Invalidf("purpose", "%q is not a purpose: use lower-case letters, digits, '_' or '-'", string(p.Purpose))
	}
	if p.Outcome != "" && !outcomePattern.MatchString(string(p.Outcome)) {
		return nil, crmtype.Invalidf("outcome", "%q is not an outcome: use lower-case letters, digits, '_' or '-'", string(p.Outcome))
	}
	if p.Status != "" {
		if statusRank[p.Status] == 0 {
			return nil, crmtype.Invalidf("status", "%q is not a delivery status", string(p.Status))
		}
		if p.Direction != Outbound {
			return nil, crmtype.Invalid("status", "is for outbound messages only")
		}
	}
	if len(p.Attachments) > maxAttachments {
		return nil, crmtype.Invalidf("attachments", "has %d entries, at most %d", len(p.Attachments), maxAttachments)
	}
	for i, a := range p.Attachments {
		f := fmt.Sprintf("attachments[%d]", i)
		if strings.TrimSpace(a.Name) == "" {
			return nil, crmtype.Invalid(f+".name", "is required")
		}
		if a.URI == "" {
			return nil, crmtype.Invalid(f+".uri", "is required")
		}
		if a.Size < 0 {
			return nil, crmtype.Invalid(f+".size", "must not be negative")
		}
		for _, t := range []struct{ name, v string }{{"name", a.Name}, {"type", a.Type}, {"uri", a.URI}} {
			if err := checkText(f+"."+t.name, t.v, 2000); err != nil {
				return nil, err
			}
		}
	}
	if len(p.Meta) > maxMeta {
		return nil, crmtype.Invalidf("meta", "has %d keys, at most %d", len(p.Meta), maxMeta)
	}
	for k, v := range p.Meta {
		if k == "" {
			return nil, crmtype.Invalid("meta", "has an empty key")
		}
		if err := checkText("meta."+k, k+v, 2000); err != nil {
			return nil, err
		}
	}
	in := &Interaction{ID: crmtype.NewID(now), CustomerID: p.CustomerID, CompanyID: p.CompanyID,
		Channel: p.Channel, Direction: p.Direction, OccurredAt: p.OccurredAt.UTC().Truncate(time.Microsecond),
		Duration: d, Subject: p.Subject, Body: p.Body, Outcome: p.Outcome, Status: p.Status, OwnerID: p.OwnerID,
		Attachments: p.Attachments, PurchaseID: p.PurchaseID, TicketID: p.TicketID, CampaignID: p.CampaignID,
		ProviderID: p.ProviderID, ThreadID: p.ThreadID, ReplyTo: p.ReplyTo, Meta: p.Meta, Purpose: p.Purpose,
		CreatedAt: now, UpdatedAt: now}
	if p.HTML != "" {
		in.HTML = SanitizeHTML(p.HTML)
	}
	return in, nil
}

// checkText rejects invalid UTF-8, NUL bytes and values over max bytes.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return crmtype.Invalidf(field, "is %d bytes, at most %d", len(v), max)
	}
	if !utf8.ValidString(v) {
		return crmtype.Invalid(field, "is not valid UTF-8")
	}
	if strings.IndexByte(v, 0) >= 0 {
		return crmtype.Invalid(field, "contains a NUL byte")
	}
	return nil
}

// Record stores one interaction and places it in its conversation (see
// Ingest for the threading rules). Recording a message whose ProviderID is
// already stored on the channel stores nothing and returns the stored
// interaction. Errors: ErrInvalid naming the field; ErrNotFound when the
// customer, company or purchase is not in the workspace.
func (s *Service) Record(ctx context.Context, p InteractionParams) (*Interaction, error) {
	const op = "record"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	in, err := s.newInteraction(p, s.clock.Now())
	if err != nil {
		return nil, wrap(op, err)
	}
	res, err := s.store.InsertInteractions(ctx, sc, []*Interaction{in}, false)
	if err != nil {
		return nil, wrap(op, err)
	}
	if res[0].Err != nil {
		return nil, wrap(op, res[0].Err)
	}
	return res[0].Interaction, nil
}

// IngestReport is the outcome of Ingest, row by row.
type IngestReport struct {
	Created int // rows stored
	Skipped int // rows whose ProviderID was already stored on their channel
	Failed  int // rows rejected; see Errors
	// IDs holds, per row, the stored interaction: the new one, the one
	// already stored for a skipped row, zero for a failed row.
	IDs    []crmtype.ID
	Errors []IngestError // the rejected rows, in order
}

// IngestError is one rejected row of Ingest.
type IngestError struct {
	Row   int    // index in the batch
	Field string // the field to blame, when known
	Err   error  // matches ErrInvalid or ErrNotFound
}

func (e IngestError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

// Ingest stores a batch of interactions from the host's providers (mail,
// telephony, chat exports) in one transaction. It is idempotent: a row
// whose ProviderID is already stored on its channel (by an earlier call, an
// earlier row, or a concurrent Ingest) is skipped, so re-running an import,
// or several workers ingesting the same feed, stores each message once. A
// row without a ProviderID is stored every time. Invalid rows, and rows
// naming a customer, company or purchase not in the workspace, are
// reported in IngestReport.Errors and the other rows are stored.
//
// Threading: a row with a ThreadID joins the conversation of that thread
// on its channel; otherwise a row with ReplyTo joins the conversation of
// the message it answers; otherwise it starts a conversation, which later
// replies to its ProviderID join (even when a reply was ingested first).
// Give ThreadID (for email, the first Message-ID of References) when the
// provider has one: it is exact however messages arrive.
//
// Errors (nothing stored): ErrNoWorkspace; a database error.
func (s *Service) Ingest(ctx context.Context, rows []InteractionParams) (*IngestReport, error) {
	const op = "ingest"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	rep := &IngestReport{IDs: make([]crmtype.ID, len(rows))}
	valid := make([]*Interaction, 0, len(rows))
	index := make([]int, 0, len(rows)) // valid[i] is row index[i]
	fail := func(i int, err error) {
		ie := IngestError{Row: i, Err: err}
		if ve, ok := err.(*crmtype.ValidationError); ok {
			ie.Field = ve.Field
		}
		rep.Errors = append(rep.Errors, ie)
		rep.Failed++
	}
	for i, p := range rows {
		in, err := s.newInteraction(p, now)
		if err != nil {
			fail(i, err)
			continue
		}
		valid = append(valid, in)
		index = append(index, i)
	}
	res, err := s.store.InsertInteractions(ctx, sc, valid, true)
	if err != nil {
		return nil, wrap(op, err)
	}
	for k, r := range res {
		i := index[k]
		switch {
		case r.Err != nil:
			fail(i, r.Err)
			rep.Errors[len(rep.Errors)-1].Field = r.Field
		case r.Existing:
			rep.Skipped++
			rep.IDs[i] = r.Interaction.ID
		default:
			rep.Created++
			rep.IDs[i] = r.Interaction.ID
		}
	}
	sortErrors(rep.Errors)
	return rep, nil
}

func sortErrors(es []IngestError) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Row < es[j-1].Row; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// InsertResult is the store's outcome for one interaction of
// InsertInteractions.
type InsertResult struct {
	Interaction *Interaction // as stored (the existing one when Existing)
	Existing    bool         // its ProviderID was already stored on the channel
	Err         error        // ErrNotFound naming the missing customer, company or purchase
	Field       string       // the field Err blames: "customer_id", "company_id" or "purchase_id"
}

// InteractionStore stores interactions and their conversations.
type InteractionStore interface {
	// InsertInteractions stores ins in one transaction, each placed in its
	// conversation (created as needed), skipping those whose (Channel,
	// ProviderID) is already stored, and appends their event. With
	// perRow, a row naming a missing customer, company or purchase gets
	// its Err and the others are stored; without, that is the call's
	// error and nothing is stored. The results are in the order of ins.
	InsertInteractions(ctx context.Context, sc crmtype.Scope, ins []*Interaction, perRow bool) ([]InsertResult, error)
	// Interaction returns one interaction; ErrNotFound when missing.
	Interaction(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Interaction, error)
	// InteractionByProvider returns the interaction with a provider id.
	InteractionByProvider(ctx context.Context, sc crmtype.Scope, ch Channel, providerID string) (*Interaction, error)
	// ListInteractions returns a customer's interactions, newest first.
	ListInteractions(ctx context.Context, sc crmtype.Scope, p InteractionListParams, limit int) (crmtype.Page[*Interaction], error)
	// Conversation returns one conversation.
	Conversation(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Conversation, error)
	// ListConversations returns a customer's conversations, latest activity first.
	ListConversations(ctx context.Context, sc crmtype.Scope, customer crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*Conversation], error)
	// ListMessages returns a conversation's interactions, oldest first.
	ListMessages(ctx context.Context, sc crmtype.Scope, conversation crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*Interaction], error)
	// SetStatus applies a delivery status to the interaction found by id
	// or by (channel, provider id), and records the event; see
	// Service.UpdateStatus.
	SetStatus(ctx context.Context, sc crmtype.Scope, u StatusUpdate, now time.Time) (*Interaction, error)
	TemplateStore
}

// Interaction returns one interaction. ErrNotFound when it is not in the
// workspace.
func (s *Service) Interaction(ctx context.Context, id crmtype.ID) (*Interaction, error) {
	const op = "interaction"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	in, err := s.store.Interaction(ctx, sc, id)
	return in, wrap(op, err)
}

// InteractionByProvider returns the interaction a provider knows by
// providerID on channel. ErrNotFound when none is stored.
func (s *Service) InteractionByProvider(ctx context.Context, ch Channel, providerID string) (*Interaction, error) {
	const op = "interaction by provider"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := validateChannel("channel", ch); err != nil {
		return nil, wrap(op, err)
	}
	if providerID == "" {
		return nil, wrap(op, crmtype.Invalid("provider_id", "is required"))
	}
	in, err := s.store.InteractionByProvider(ctx, sc, ch, providerID)
	return in, wrap(op, err)
}

// InteractionListParams selects a customer's interactions.
type InteractionListParams struct {
	CustomerID crmtype.ID // required
	Channel    Channel    // only this channel; all when ""
	Direction  Direction  // only this direction; both when ""
	From, To   time.Time  // only those that occurred in [From, To); unbounded when zero
	Limit      int        // page size; default crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// Interactions returns one page of a customer's interactions, newest
// first. Errors: ErrInvalid for a missing customer id, an unknown channel
// or direction, a malformed cursor.
func (s *Service) Interactions(ctx context.Context, p InteractionListParams) (crmtype.Page[*Interaction], error) {
	const op = "interactions"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Interaction]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err == nil && p.CustomerID.IsZero() {
		err = crmtype.Invalid("customer_id", "is required")
	}
	if err == nil && p.Channel != "" {
		err = validateChannel("channel", p.Channel)
	}
	if err == nil && p.Direction != "" && p.Direction != Inbound && p.Direction != Outbound {
		err = crmtype.Invalidf("direction", "%q is not a direction", string(p.Direction))
	}
	if err == nil && !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		err = crmtype.Invalid("to", "must be after from")
	}
	if err != nil {
		return crmtype.Page[*Interaction]{}, wrap(op, err)
	}
	page, err := s.store.ListInteractions(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// StatusUpdate is a provider's delivery callback for an outbound message.
type StatusUpdate struct {
	// The message: by InteractionID, or by Channel and ProviderID (what
	// the provider's callback carries).
	InteractionID crmtype.ID
	Channel       Channel
	ProviderID    string
	Status        Status    // required
	At            time.Time // when the provider saw it; default now
	Reason        string    // a bounce's or failure's reason, at most 1,000 bytes
}

// UpdateStatus applies a delivery callback to an outbound message: its status moves
// forward (see Status), and every callback, applied or not, is recorded
// as an "interaction.status_changed" event on the customer's timeline. A
// "replied" callback also sets the outcome to Replied, a "bounced" one to
// Bounced. Errors: ErrInvalid for an unknown status, a message named
// neither by id nor by channel and provider id, or an inbound message;
// ErrNotFound when the message is not stored.
func (s *Service) UpdateStatus(ctx context.Context, u StatusUpdate) (*Interaction, error) {
	const op = "update status"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if statusRank[u.Status] == 0 {
		return nil, wrap(op, crmtype.Invalidf("status", "%q is not a delivery status", string(u.Status)))
	}
	if u.InteractionID.IsZero() {
		if err := validateChannel("channel", u.Channel); err != nil {
			return nil, wrap(op, err)
		}
		if u.ProviderID == "" {
			return nil, wrap(op, crmtype.Invalid("provider_id", "is required without interaction_id"))
		}
	}
	if err := checkText("reason", u.Reason, maxSubject); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	if u.At.IsZero() {
		u.At = now
	}
	u.At = u.At.UTC().Truncate(time.Microsecond)
	in, err := s.store.SetStatus(ctx, sc, u, now)
	return in, wrap(op, err)
}
