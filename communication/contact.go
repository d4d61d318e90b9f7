package communication

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/wallclock"
)

// ConsentParams is an entry for the consent ledger.
type ConsentParams struct {
	CustomerID crmtype.ID // required
	// Channel, Purpose and List narrow what the entry is about; "" means
	// every channel, every purpose, every list. A revocation of everything
	// leaves all three empty.
	Channel Channel
	Purpose Purpose
	List    string
	State   ConsentState // required
	// LegalBasis is the basis under the host's law, e.g. "consent",
	// "contract", "legitimate_interest". Optional.
	LegalBasis string
	// Source is where the entry came from, e.g. "web_form", "import",
	// "call", "unsubscribe_link". Optional.
	Source string
	// EffectiveAt is when the entry takes effect; default now. It may lie
	// in the past (an import of older consents) but not in the future
	// beyond ContactSettings.ClockSkew.
	EffectiveAt time.Time
	// Evidence: the text the customer agreed to (or its version), and the
	// IP address it came from. Optional.
	EvidenceText, EvidenceIP string
}

// ConsentEntry is one entry of the consent ledger.
type ConsentEntry struct {
	ID                       crmtype.ID
	CustomerID               crmtype.ID
	Channel                  Channel
	Purpose                  Purpose
	List                     string
	State                    ConsentState
	LegalBasis, Source       string
	EffectiveAt, RecordedAt  time.Time
	EvidenceText, EvidenceIP string
	Actor                    string // from crm.WithActor
}

// applies reports whether e is about a message on ch for p in list.
func (e *ConsentEntry) applies(ch Channel, p Purpose, list string) bool {
	return (e.Channel == "" || e.Channel == ch) && (e.Purpose == "" || e.Purpose == p) && (e.List == "" || e.List == list)
}

// effective returns the entry deciding a message on ch for p in list at
// instant at, among the entries that apply and are in effect; nil when
// none. The latest revocation stands unless a later grant at least as
// specific lifts it: a broad grant (all of marketing) does not undo an
// unsubscribe from one list, a grant for that list does. Without a
// standing revocation the latest grant decides, and only without one a
// pending request (double opt-in) does. "Latest" is by effective time,
// then by recording time.
func effective(entries []ConsentEntry, ch Channel, p Purpose, list string, at time.Time) *ConsentEntry {
	latest := map[ConsentState]*ConsentEntry{}
	for i := range entries {
		e := &entries[i]
		if e.EffectiveAt.After(at) || !e.applies(ch, p, list) {
			continue
		}
		if best := latest[e.State]; best == nil || later(e, best) {
			latest[e.State] = e
		}
	}
	r, g := latest[ConsentRevoked], latest[ConsentGranted]
	switch {
	case r != nil && (g == nil || !later(g, r) || !g.asSpecificAs(r)):
		return r
	case g != nil:
		return g
	}
	return latest[ConsentPending]
}

// later reports whether e took effect after f (ties: recorded after).
func later(e, f *ConsentEntry) bool {
	if !e.EffectiveAt.Equal(f.EffectiveAt) {
		return e.EffectiveAt.After(f.EffectiveAt)
	}
	if !e.RecordedAt.Equal(f.RecordedAt) {
		return e.RecordedAt.After(f.RecordedAt)
	}
	return string(e.ID[:]) > string(f.ID[:])
}

// asSpecificAs reports whether e's scope is f's or narrower in every part
// (channel, purpose, list).
func (e *ConsentEntry) asSpecificAs(f *ConsentEntry) bool {
	return (f.Channel == "" || e.Channel == f.Channel) && (f.Purpose == "" || e.Purpose == f.Purpose) && (f.List == "" || e.List == f.List)
}

// QuietHours is a daily window of wall-clock time in the customer's zone
// when no message goes on Channel ("" for every channel). From and To are
// "HH:MM"; a window may span midnight ("21:00" to "08:00").
type QuietHours struct {
	Channel  Channel `json:"channel,omitempty"`
	From, To string
}

// minutes parses "HH:MM" into minutes after midnight.
func minutes(field, s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh > 23 || mm > 59 || hh < 0 || mm < 0 {
		return 0, crmtype.Invalidf(field, "%q is not a time of day: use HH:MM, 00:00 to 23:59", s)
	}
	return hh*60 + mm, nil
}

func validateQuiet(field string, qs []QuietHours) error {
	for i, q := range qs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if q.Channel != "" {
			if err := validateChannel(f+".channel", q.Channel); err != nil {
				return err
			}
		}
		a, err := minutes(f+".from", q.From)
		if err != nil {
			return err
		}
		b, err := minutes(f+".to", q.To)
		if err != nil {
			return err
		}
		if a == b {
			return crmtype.Invalid(f+".to", "equals from: the window would be empty")
		}
	}
	return nil
}

// quietUntil returns, when local wall time t falls in one of qs that
// applies to ch, the instant that window ends (in loc); zero otherwise.
func quietUntil(qs []QuietHours, ch Channel, t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	now := lt.Hour()*60 + lt.Minute()
	var until time.Time
	for _, q := range qs {
		if q.Channel != "" && q.Channel != ch {
			continue
		}
		a, err1 := minutes("", q.From)
		b, err2 := minutes("", q.To)
		if err1 != nil || err2 != nil {
			continue
		}
		in := a < b && now >= a && now < b || a > b && (now >= a || now < b)
		if !in {
			continue
		}
		// The end: To today, or tomorrow when it is earlier in the day.
		day := lt
		if b <= now {
			day = lt.AddDate(0, 0, 1)
		}
		if end := wallClock(day, b, loc, t); end.After(until) {
			until = end
		}
	}
	return until
}

// contactZone is the zone a customer is contacted in: their preferences'
// zone, else their own, else the workspace's, else UTC (names that do not
// load are skipped).
func contactZone(names ...string) (*time.Location, string) {
	for _, n := range names {
		if n == "" {
			continue
		}
		if l, err := time.LoadLocation(n); err == nil {
			return l, n
		}
	}
	return time.UTC, "UTC"
}

// wallClock returns the first instant after t at which the local clock in
// loc reads minute m of day's date, or has passed it: where daylight
// saving skips that time, the instant the clocks jump; where it repeats
// it, the occurrence after t.
func wallClock(day time.Time, m int, loc *time.Location, t time.Time) time.Time {
	w := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, time.UTC)
	ts := wallclock.Instants(w, loc)
	if len(ts) == 0 {
		return wallclock.Jump(w, loc)
	}
	for _, x := range ts {
		if x.After(t) {
			return x
		}
	}
	return ts[0]
}

// Preferences are how a customer wants to be contacted.
type Preferences struct {
	CustomerID       crmtype.ID
	PreferredChannel Channel // "" when none
	Language         string  // BCP 47; "" means the customer's locale
	// TimeZone is an IANA zone; "" means the customer's, then the
	// workspace's (ContactSettings.TimeZone), then UTC.
	TimeZone   string
	QuietHours []QuietHours
	// DoNotContact beats every consent: no message of any purpose goes.
	DoNotContact       bool
	DoNotContactReason string
	UpdatedAt          time.Time // zero when never set
}

// Cap is a frequency cap: at most Max outbound messages of Purpose (""
// for any) on Channel ("" for any) per rolling Window.
type Cap struct {
	Purpose Purpose       `json:"purpose,omitempty"`
	Channel Channel       `json:"channel,omitempty"`
	Max     int           `json:"max"`
	Window  time.Duration `json:"window"`
}

// ContactSettings are a workspace's contact policy.
type ContactSettings struct {
	// NoRecord is the verdict for a message with no applicable consent
	// entry: Deny (the default: opt-in regimes such as GDPR or China's
	// PIPL) or Allow (opt-out regimes). It applies to every purpose but
	// PurposeService, whose messages answer the customer's own requests
	// and are allowed without a record, and those NoRecordByPurpose names.
	NoRecord Verdict `json:"no_record"`
	// NoRecordByPurpose overrides NoRecord for the purposes it names.
	NoRecordByPurpose map[Purpose]Verdict `json:"no_record_by_purpose,omitempty"`
	Caps              []Cap               `json:"caps,omitempty"`
	// QuietHours apply to customers who set none of their own.
	QuietHours []QuietHours `json:"quiet_hours,omitempty"`
	// TimeZone is the zone for customers without one; default UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// ClockSkew is how far in the future a consent entry's EffectiveAt may
	// lie; default 5 minutes.
	ClockSkew time.Duration `json:"clock_skew,omitempty"`
}

func (cs *ContactSettings) withDefaults() {
	if cs.NoRecord == "" {
		cs.NoRecord = Deny
	}
	if cs.ClockSkew == 0 {
		cs.ClockSkew = 5 * time.Minute
	}
}

// noRecord returns the verdict for a message of purpose p with no
// applicable consent entry.
func (cs *ContactSettings) noRecord(p Purpose) Verdict {
	if v, ok := cs.NoRecordByPurpose[p]; ok {
		return v
	}
	if p == PurposeService {
		return Allow
	}
	return cs.NoRecord
}

func (cs *ContactSettings) validate() error {
	if cs.NoRecord != Allow && cs.NoRecord != Deny {
		return crmtype.Invalidf("no_record", "%q must be allow or deny", string(cs.NoRecord))
	}
	for p, v := range cs.NoRecordByPurpose {
		if err := validatePurpose("no_record_by_purpose", p, false); err != nil {
			return err
		}
		if v != Allow && v != Deny {
			return crmtype.Invalidf("no_record_by_purpose."+string(p), "%q must be allow or deny", string(v))
		}
	}
	for i, c := range cs.Caps {
		f := fmt.Sprintf("caps[%d]", i)
		if c.Max <= 0 {
			return crmtype.Invalid(f+".max", "must be at least 1")
		}
		if c.Window <= 0 {
			return crmtype.Invalid(f+".window", "must be positive")
		}
		if c.Channel != "" {
			if err := validateChannel(f+".channel", c.Channel); err != nil {
				return err
			}
		}
		if err := validatePurpose(f+".purpose", c.Purpose, true); err != nil {
			return err
		}
	}
	if err := validateQuiet("quiet_hours", cs.QuietHours); err != nil {
		return err
	}
	if cs.TimeZone != "" {
		if _, err := time.LoadLocation(cs.TimeZone); err != nil {
			return crmtype.Invalidf("time_zone", "%q is not an IANA time zone", cs.TimeZone)
		}
	}
	if cs.ClockSkew < 0 {
		return crmtype.Invalid("clock_skew", "must not be negative")
	}
	return nil
}

func validatePurpose(field string, p Purpose, empty bool) error {
	if p == "" {
		if empty {
			return nil
		}
		return crmtype.Invalid(field, "is required")
	}
	if !outcomePattern.MatchString(string(p)) {
		return crmtype.Invalidf(field, "%q is not a purpose: use lower-case letters, digits, '_' or '-'", string(p))
	}
	return nil
}

// ContactStore stores the consent ledger, preferences and the workspace's
// contact policy, and reads what the contact decision needs.
type ContactStore interface {
	// InsertConsent appends e and its event; with a dedupKey already
	// recorded it stores nothing and returns the entry recorded with it.
	InsertConsent(ctx context.Context, sc crmtype.Scope, e *ConsentEntry, dedupKey string) (*ConsentEntry, error)
	// ConsentEntries returns the entries of each of customers.
	ConsentEntries(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID) (map[crmtype.ID][]ConsentEntry, error)
	// ListConsents returns a customer's entries, latest effective first.
	ListConsents(ctx context.Context, sc crmtype.Scope, customer crmtype.ID, after crmtype.Cursor, limit int) (crmtype.Page[*ConsentEntry], error)
	// Preferences returns the stored preferences of each of customers.
	Preferences(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID) (map[crmtype.ID]*Preferences, error)
	// SavePreferences stores p and its event.
	SavePreferences(ctx context.Context, sc crmtype.Scope, p *Preferences, now time.Time) error
	// ContactSettings returns the stored settings; ok false when never set.
	ContactSettings(ctx context.Context, sc crmtype.Scope) (ContactSettings, bool, error)
	// SaveContactSettings stores cs and its event.
	SaveContactSettings(ctx context.Context, sc crmtype.Scope, cs ContactSettings, now time.Time) error
	// ContactCustomers returns, for each of ids that is a live (not
	// deleted, not erased) customer, its time zone.
	ContactCustomers(ctx context.Context, sc crmtype.Scope, ids []crmtype.ID) (map[crmtype.ID]string, error)
	// OutboundTimes returns, per customer, the times of its outbound
	// interactions in (since, until] with purpose (any when "") on ch (any
	// when ""), latest first, at most limit each; messages whose sending
	// failed do not count.
	OutboundTimes(ctx context.Context, sc crmtype.Scope, customers []crmtype.ID, since, until time.Time, purpose Purpose, ch Channel, limit int) (map[crmtype.ID][]time.Time, error)
}

// RecordConsent appends an entry to the customer's consent ledger. Entries
// are never changed: a later entry supersedes. Errors: ErrInvalid naming
// the field (an unknown state, a malformed channel or purpose, an
// EffectiveAt in the future beyond the clock-skew allowance); ErrNotFound
// when the customer is not in the workspace.
func (s *Service) RecordConsent(ctx context.Context, p ConsentParams) (*ConsentEntry, error) {
	const op = "record consent"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	cs, err := s.contactSettings(ctx, sc)
	if err != nil {
		return nil, wrap(op, err)
	}
	e, err := s.newConsent(p, cs)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := s.store.InsertConsent(ctx, sc, e, "")
	return out, wrap(op, err)
}

func (s *Service) newConsent(p ConsentParams, cs ContactSettings) (*ConsentEntry, error) {
	now := s.clock.Now()
	if p.CustomerID.IsZero() {
		return nil, crmtype.Invalid("customer_id", "is required")
	}
	if p.Channel != "" {
		if err := validateChannel("channel", p.Channel); err != nil {
			return nil, err
		}
	}
	if err := validatePurpose("purpose", p.Purpose, true); err != nil {
		return nil, err
	}
	switch p.State {
	case ConsentGranted, ConsentRevoked, ConsentPending:
	default:
		return nil, crmtype.Invalidf("state", "%q is not a consent state: use granted, revoked or pending", string(p.State))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"list", p.List, 200}, {"legal_basis", p.LegalBasis, 200}, {"source", p.Source, 200},
		{"evidence_text", p.EvidenceText, 64 << 10}, {"evidence_ip", p.EvidenceIP, 100}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return nil, err
		}
	}
	at := p.EffectiveAt
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(cs.ClockSkew)) {
		return nil, crmtype.Invalidf("effective_at", "is %v in the future, beyond the %v clock-skew allowance", at.Sub(now).Round(time.Second), cs.ClockSkew)
	}
	return &ConsentEntry{ID: crmtype.NewID(now), CustomerID: p.CustomerID, Channel: p.Channel, Purpose: p.Purpose,
		List: p.List, State: p.State, LegalBasis: p.LegalBasis, Source: p.Source, EffectiveAt: at.UTC().Truncate(time.Microsecond),
		RecordedAt: now, EvidenceText: p.EvidenceText, EvidenceIP: p.EvidenceIP}, nil
}

// ConsentHistory returns one page of a customer's consent ledger, the
// latest effective entry first.
func (s *Service) ConsentHistory(ctx context.Context, customerID crmtype.ID, p ListParams) (crmtype.Page[*ConsentEntry], error) {
	const op = "consent history"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*ConsentEntry]{}, err
	}
	n, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*ConsentEntry]{}, wrap(op, err)
	}
	page, err := s.store.ListConsents(ctx, sc, customerID, p.After, n)
	return page, wrap(op, err)
}

// Preferences returns a customer's contact preferences (empty ones, with a
// zero UpdatedAt, when never set). ErrNotFound when the customer is not in
// the workspace.
func (s *Service) Preferences(ctx context.Context, customerID crmtype.ID) (*Preferences, error) {
	const op = "preferences"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if _, err := s.customers.GetIncludingDeleted(ctx, customerID); err != nil {
		return nil, wrap(op, err)
	}
	ps, err := s.store.Preferences(ctx, sc, []crmtype.ID{customerID})
	if err != nil {
		return nil, wrap(op, err)
	}
	if p := ps[customerID]; p != nil {
		return p, nil
	}
	return &Preferences{CustomerID: customerID}, nil
}

// SetPreferences replaces a customer's contact preferences. Errors:
// ErrInvalid naming the field (a malformed channel, language or zone,
// quiet hours that do not parse); ErrNotFound when the customer is not in
// the workspace.
func (s *Service) SetPreferences(ctx context.Context, p Preferences) (*Preferences, error) {
	const op = "set preferences"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.CustomerID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	}
	if p.PreferredChannel != "" {
		if err := validateChannel("preferred_channel", p.PreferredChannel); err != nil {
			return nil, wrap(op, err)
		}
	}
	if p.Language != "" {
		l, err := canonicalLocale(p.Language)
		if err != nil {
			return nil, wrap(op, crmtype.Invalidf("language", "%q is not a BCP 47 language tag", p.Language))
		}
		p.Language = l
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			return nil, wrap(op, crmtype.Invalidf("time_zone", "%q is not an IANA time zone", p.TimeZone))
		}
	}
	if err := validateQuiet("quiet_hours", p.QuietHours); err != nil {
		return nil, wrap(op, err)
	}
	if err := checkText("do_not_contact_reason", p.DoNotContactReason, 1000); err != nil {
		return nil, wrap(op, err)
	}
	if _, err := s.customers.GetIncludingDeleted(ctx, p.CustomerID); err != nil {
		return nil, wrap(op, err)
	}
	p.UpdatedAt = s.clock.Now()
	if err := s.store.SavePreferences(ctx, sc, &p, p.UpdatedAt); err != nil {
		return nil, wrap(op, err)
	}
	return &p, nil
}

// ContactSettings returns the workspace's contact policy (the defaults when
// never set: no record denies, no caps, no quiet hours, UTC).
func (s *Service) ContactSettings(ctx context.Context) (ContactSettings, error) {
	const op = "contact settings"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return ContactSettings{}, err
	}
	cs, err := s.contactSettings(ctx, sc)
	return cs, wrap(op, err)
}

func (s *Service) contactSettings(ctx context.Context, sc crmtype.Scope) (ContactSettings, error) {
	cs, _, err := s.store.ContactSettings(ctx, sc)
	cs.withDefaults()
	return cs, err
}

// SetContactSettings replaces the workspace's contact policy. Errors:
// ErrInvalid naming the field (a cap of zero or a non-positive window,
// quiet hours that do not parse, an unknown zone).
func (s *Service) SetContactSettings(ctx context.Context, cs ContactSettings) error {
	const op = "set contact settings"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return err
	}
	cs.withDefaults()
	if err := cs.validate(); err != nil {
		return wrap(op, err)
	}
	return wrap(op, s.store.SaveContactSettings(ctx, sc, cs, s.clock.Now()))
}
