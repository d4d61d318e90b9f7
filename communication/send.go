package communication

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// Sender delivers an outbound message; the host implements it over its
// mail, SMS or chat provider (the SDK never calls a network itself).
type Sender interface {
	// Send hands m to the provider and returns the provider's id for it
	// (used to match delivery callbacks, see Service.UpdateStatus; "" when
	// the provider gives none: then pass m.InteractionID back instead). An
	// error means the message was not accepted.
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// Message is a rendered message ready to deliver.
type Message struct {
	Workspace     crmtype.WorkspaceID
	InteractionID crmtype.ID // the outbound interaction that records it
	CustomerID    crmtype.ID
	Channel       Channel
	To            string // an email address, an E.164 phone number, or the address SendParams.To gave
	Locale        string // of the template used; "" for the workspace default
	Subject       string
	Body          string
	HTML          string
	// Headers are extra message headers for email, e.g. List-Unsubscribe.
	Headers map[string]string
}

// ErrNoSender is returned by Send when the client was configured without
// a Sender (crm.Config.Communication.Sender).
var ErrNoSender = errors.New("no sender configured")

// TemplateStore stores message templates.
type TemplateStore interface {
	// SaveTemplate inserts or replaces the template of (Key, Channel,
	// Locale) and records its event; it returns the previous version, nil
	// when there was none.
	SaveTemplate(ctx context.Context, sc crmtype.Scope, t Template, now time.Time) (*Template, error)
	// Templates returns the templates of key on ch in every locale.
	Templates(ctx context.Context, sc crmtype.Scope, key string, ch Channel) ([]Template, error)
	// DeleteTemplate removes one template; ErrNotFound when missing.
	DeleteTemplate(ctx context.Context, sc crmtype.Scope, key string, ch Channel, locale string, now time.Time) error
}

// SaveTemplate validates t (it must parse, and name only fields a
// template can see: see Template) and stores it, replacing the template of
// the same key, channel and locale. Errors: ErrInvalid naming the field.
func (s *Service) SaveTemplate(ctx context.Context, t Template) (*Template, error) {
	const op = "save template"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, wrap(op, err)
	}
	if _, err := s.store.SaveTemplate(ctx, sc, t, s.clock.Now()); err != nil {
		return nil, wrap(op, err)
	}
	return &t, nil
}

// Templates returns the templates of key on channel ch, in every locale.
func (s *Service) Templates(ctx context.Context, key string, ch Channel) ([]Template, error) {
	const op = "templates"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := validateChannel("channel", ch); err != nil {
		return nil, wrap(op, err)
	}
	ts, err := s.store.Templates(ctx, sc, key, ch)
	return ts, wrap(op, err)
}

// DeleteTemplate removes the template of key on ch in locale ("" for the
// workspace default). ErrNotFound when there is none.
func (s *Service) DeleteTemplate(ctx context.Context, key string, ch Channel, locale string) error {
	const op = "delete template"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	if err := validateChannel("channel", ch); err != nil {
		return wrap(op, err)
	}
	if key == "" {
		return wrap(op, crmtype.Invalid("key", "is required"))
	}
	if locale != "" {
		if locale, err = canonicalLocale(locale); err != nil {
			return wrap(op, err)
		}
	}
	return wrap(op, s.store.DeleteTemplate(ctx, sc, key, ch, locale, s.clock.Now()))
}

// RenderParams names a template and the customer to render it for.
type RenderParams struct {
	Key        string
	Channel    Channel
	CustomerID crmtype.ID
	// Locale chooses the template (see PickTemplate); default the
	// customer's locale, then the workspace default template.
	Locale string
	Data   map[string]any // the caller's values, {{.Data.x}}
}

// Render renders the template that fits the customer's (or p.Locale's)
// language with the customer's and their company's data: a preview of
// what Send would send. Errors: ErrInvalid when no template of the key
// and channel fits ("key") or a variable the template uses is missing
// (naming it, e.g. "data.order_no" or "customer.GivenName"); ErrNotFound
// when the customer is not in the workspace.
func (s *Service) Render(ctx context.Context, p RenderParams) (Rendered, error) {
	const op = "render"
	r, _, err := s.render(ctx, op, p)
	return r, err
}

func (s *Service) render(ctx context.Context, op string, p RenderParams) (Rendered, *customer.Customer, error) {
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Rendered{}, nil, err
	}
	if err := validateChannel("channel", p.Channel); err != nil {
		return Rendered{}, nil, wrap(op, err)
	}
	if p.CustomerID.IsZero() {
		return Rendered{}, nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	c, err := s.customers.Get(ctx, p.CustomerID)
	if err != nil {
		return Rendered{}, nil, wrap(op, err)
	}
	var company *customer.Customer
	if !c.CompanyID.IsZero() {
		if company, err = s.customers.Get(ctx, c.CompanyID); err != nil && !errors.Is(err, crmtype.ErrNotFound) {
			return Rendered{}, nil, wrap(op, err)
		}
	}
	ts, err := s.store.Templates(ctx, sc, p.Key, p.Channel)
	if err != nil {
		return Rendered{}, nil, wrap(op, err)
	}
	want := p.Locale
	if want == "" {
		want = c.Locale
	}
	t, ok := PickTemplate(ts, want)
	if !ok {
		return Rendered{}, nil, wrap(op, crmtype.Invalidf("key", "no %s template %q fits locale %q and there is no default", p.Channel, p.Key, want))
	}
	r, err := t.Render(TemplateData{Customer: CustomerData(c), Company: CompanyData(company), Data: p.Data})
	if err != nil {
		return Rendered{}, nil, wrap(op, err)
	}
	return r, c, nil
}

// SendParams describes a templated message to one customer.
type SendParams struct {
	RenderParams
	// Purpose is why the message is sent; it decides which consent and
	// caps apply (see Service.Decide). Required: a marketing message sent
	// as a service one would pass without consent.
	Purpose Purpose
	// List is the campaign or mailing list the message belongs to; a
	// revocation for it (an unsubscribe) stops the message. Optional.
	List string
	// To overrides the address; default the customer's first email
	// identity for Email, first phone identity for SMS and Phone. Other
	// channels need To.
	To      string
	OwnerID string
	// Links recorded with the outbound interaction; zero when none.
	TicketID, CampaignID crmtype.ID
	// ThreadID or ReplyTo place the message in an existing conversation.
	ThreadID, ReplyTo string
	Headers           map[string]string
	Meta              map[string]string
	// UnsubscribeURL is the host's unsubscribe link with "{token}" where
	// the token goes, e.g. "https://example.com/unsubscribe?t={token}".
	// Optional; see Send.
	UnsubscribeURL string
}

// ErrNotAllowed is matched (errors.Is) by the error Send returns when the
// contact decision denies or defers the message; errors.As with a
// *NotAllowedError gives the Decision.
var ErrNotAllowed = errors.New("contact not allowed")

// NotAllowedError carries the decision that stopped a message.
type NotAllowedError struct{ Decision Decision }

func (e *NotAllowedError) Error() string {
	s := fmt.Sprintf("contact %s: %s", e.Decision.Verdict, e.Decision.Reason)
	if e.Decision.Verdict == Defer {
		s += " until " + e.Decision.Until.Format(time.RFC3339)
	}
	if e.Decision.Detail != "" {
		s += " (" + e.Decision.Detail + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotAllowed) true.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// Send renders the template for the customer, asks the contact decision
// (Decide, for SendParams.Purpose) whether it may
// go now, records the outbound interaction (status queued, with its
// purpose and the decision), hands the message to the configured Sender,
// and records the result: status sent with the provider's id, or failed
// with the sender's error. The interaction is returned in both cases; the
// error is then the sender's, wrapped. When the provider returns an id
// already recorded on the channel, the message stays sent without it and
// the error is ErrConflict.
//
// Two limits: caps are checked before the message is recorded, not under
// a lock, so concurrent Sends to one customer may both pass a cap of one;
// and when recording the result fails after the Sender accepted the
// message, Send returns the queued interaction with the error — read its
// status before sending again.
//
// With UnsubscribeURL set (it must contain "{token}"), the message carries
// a signed unsubscribe token for its list (or else its purpose): the URL
// is in the template's {{.Data.unsubscribe_url}} and, for email, in the
// RFC 8058 List-Unsubscribe headers.
//
// Errors before anything is recorded or sent: ErrInvalid ("purpose")
// without a purpose; a *NotAllowedError (ErrNotAllowed) when the decision
// denies or defers; those of Render;
// ErrInvalid ("to") when the customer has no address on the channel;
// ErrNoSender without a Sender; ErrNoSecret for an UnsubscribeURL without
// Config.Secret.
func (s *Service) Send(ctx context.Context, p SendParams) (*Interaction, error) {
	const op = "send"
	if s.sender == nil {
		return nil, wrap(op, ErrNoSender)
	}
	if err := validatePurpose("purpose", p.Purpose, false); err != nil {
		return nil, wrap(op, err)
	}
	if p.CustomerID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	if _, err := s.customers.Get(ctx, p.CustomerID); err != nil {
		return nil, wrap(op, err)
	}
	d, err := s.Decide(ctx, DecideParams{CustomerID: p.CustomerID, Channel: p.Channel, Purpose: p.Purpose, List: p.List})
	if err != nil {
		return nil, err
	}
	if d.Verdict != Allow {
		return nil, wrap(op, &NotAllowedError{Decision: d})
	}
	headers := p.Headers
	if p.UnsubscribeURL != "" {
		if !strings.Contains(p.UnsubscribeURL, "{token}") {
			return nil, wrap(op, crmtype.Invalid("unsubscribe_url", `must contain "{token}"`))
		}
		scope := UnsubscribeScope{List: p.List}
		if p.List == "" {
			scope.Purpose = p.Purpose
		}
		tok, err := s.UnsubscribeToken(p.CustomerID, scope)
		if err != nil {
			return nil, err
		}
		link := strings.ReplaceAll(p.UnsubscribeURL, "{token}", url.QueryEscape(tok))
		data := make(map[string]any, len(p.Data)+1)
		for k, v := range p.Data {
			data[k] = v
		}
		data["unsubscribe_url"] = link
		p.Data = data
		if p.Channel == Email {
			headers = make(map[string]string, len(p.Headers)+2)
			for k, v := range p.Headers {
				headers[k] = v
			}
			for k, v := range UnsubscribeHeaders(link) {
				headers[k] = v
			}
		}
	}
	r, c, err := s.render(ctx, op, p.RenderParams)
	if err != nil {
		return nil, err
	}
	to := p.To
	if to == "" {
		switch p.Channel {
		case Email:
			to = c.Email()
		case SMS, Phone:
			to = c.Phone()
		}
	}
	if to == "" {
		return nil, wrap(op, crmtype.Invalidf("to", "the customer has no %s address: give SendParams.To", p.Channel))
	}
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	in, err := s.newInteraction(InteractionParams{CustomerID: c.ID, CompanyID: c.CompanyID, Channel: p.Channel,
		Direction: Outbound, OccurredAt: s.clock.Now(), Subject: r.Subject, Body: r.Body, HTML: r.HTML,
		Status: StatusQueued, OwnerID: p.OwnerID, TicketID: p.TicketID, CampaignID: p.CampaignID,
		ThreadID: p.ThreadID, ReplyTo: p.ReplyTo, Meta: p.Meta, Purpose: p.Purpose}, s.clock.Now())
	if err != nil {
		return nil, wrap(op, err)
	}
	in.Decision = string(d.Verdict) + ":" + d.Reason
	res, err := s.store.InsertInteractions(ctx, sc, []*Interaction{in}, false)
	if err != nil {
		return nil, wrap(op, err)
	}
	in = res[0].Interaction
	pid, sendErr := s.sender.Send(ctx, Message{Workspace: s.workspace, InteractionID: in.ID, CustomerID: c.ID,
		Channel: p.Channel, To: to, Locale: r.Locale, Subject: r.Subject, Body: r.Body, HTML: in.HTML, Headers: headers})
	u := StatusUpdate{InteractionID: in.ID, Status: StatusSent, ProviderID: pid}
	if sendErr != nil {
		u = StatusUpdate{InteractionID: in.ID, Status: StatusFailed, Reason: truncate(sendErr.Error(), maxSubject)}
	}
	u.At = s.clock.Now()
	upd, err := s.store.SetStatus(ctx, sc, u, u.At)
	if errors.Is(err, crmtype.ErrConflict) && u.ProviderID != "" {
		// The provider accepted the message but gave an id already
		// recorded: keep it sent, without the id, and say so.
		u.ProviderID, u.Reason = "", truncate("the provider's id "+pid+" is already recorded on "+string(p.Channel), maxSubject)
		if again, err2 := s.store.SetStatus(ctx, sc, u, u.At); err2 == nil {
			in = again
		}
		return in, wrap(op, err)
	}
	if err != nil {
		return in, wrap(op, err)
	}
	if sendErr != nil {
		return upd, wrap(op, sendErr)
	}
	return upd, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
