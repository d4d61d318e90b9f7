package communication

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

// This file holds the feedback half of the contact strategy: response rates
// from the interaction history (Service.ResponseRates, whose doc states the
// rule), and the channel and hour they recommend (Service.Recommend).

// Defaults of the response analysis.
const (
	DefaultResponseWindow = 72 * time.Hour       // how long after an attempt a reply counts
	DefaultRateLevel      = 0.95                 // confidence level of the intervals
	DefaultPriorStrength  = 10                   // pseudo-attempts of the prior (RecommendParams.PriorStrength)
	DefaultMinTrials      = 10                   // a customer's attempts on a channel before they count as evidence
	DefaultHistory        = 365 * 24 * time.Hour // how far back Recommend reads
	maxResponseWindow     = 365 * 24 * time.Hour
)

// answeredStatuses and answeredOutcomes make an attempt answered on their
// own (see ResponseRates).
var (
	answeredStatuses = []Status{StatusReplied}
	answeredOutcomes = []Outcome{Replied, Connected, Completed}
)

// HistoryQuery selects the interactions the response analysis reads.
type HistoryQuery struct {
	// CustomerIDs: nil means every customer of the workspace; otherwise
	// only these (possibly many: the store reads them in chunks).
	CustomerIDs []crmtype.ID
	// Interactions that occurred in [From, Until); unbounded when zero.
	From, Until time.Time
	// Channels: only these; every channel when empty.
	Channels []Channel
	// An outbound interaction with one of these statuses or outcomes is
	// reported Answered.
	AnsweredStatuses []Status
	AnsweredOutcomes []Outcome
}

// HistoryRow is one interaction as the response analysis reads it.
type HistoryRow struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	TimeZone   string // the customer's IANA zone; "" when none
	Channel    Channel
	Direction  Direction
	OccurredAt time.Time
	// Answered: its status or outcome is one of the query's.
	Answered bool
}

// ResponseStore reads the history response rates come from; package store
// implements it.
type ResponseStore interface {
	// ScanResponseHistory calls fn with the interactions q selects, page
	// by page, ordered by customer, then occurred_at, then id, so that
	// memory does not grow with the history. fn must not keep the slice.
	// An error of fn stops the scan and is returned.
	ScanResponseHistory(ctx context.Context, sc crmtype.Scope, q HistoryQuery, fn func([]HistoryRow) error) error
}

// Rate is a response rate: Successes answered attempts out of Trials.
type Rate struct {
	Successes, Trials int
	Rate              float64 // Successes / Trials; 0 when Trials is 0
	// CI is the Wilson score interval (analysis.WilsonInterval) at the
	// requested level; [0, 1] when Trials is 0.
	CI analysis.ConfidenceInterval
}

// ChannelRates are the response rates of one channel.
type ChannelRates struct {
	Channel Channel
	Rate
	ByHour    [24]Rate // by the local hour of the attempt, 0–23
	ByWeekday [7]Rate  // by the local weekday of the attempt, indexed by time.Weekday
}

// ResponseRates are the response rates of a customer, a segment or a
// workspace (see Service.ResponseRates).
type ResponseRates struct {
	CustomerID crmtype.ID    // the customer, when the rates are one customer's
	From, To   time.Time     // the attempts counted occurred in [From, To); zero when unbounded
	Window     time.Duration // the response window applied
	Level      float64       // the level of the intervals
	// Customers is how many customers have a counted attempt.
	Customers int
	// Open is how many unanswered attempts were left out because their
	// window had not ended.
	Open      int
	Total     Rate           // every channel
	ByChannel []ChannelRates // channels with an attempt, by name
	ByHour    [24]Rate       // every channel, by local hour
	ByWeekday [7]Rate        // every channel, by local weekday
}

// Channel returns the rates of channel c, and whether it has an attempt.
func (r *ResponseRates) Channel(c Channel) (ChannelRates, bool) {
	for _, cr := range r.ByChannel {
		if cr.Channel == c {
			return cr, true
		}
	}
	return ChannelRates{Channel: c}, false
}

// RateParams selects the attempts of Service.ResponseRates.
type RateParams struct {
	// CustomerID: one customer's attempts. Give at most one of CustomerID
	// and CustomerIDs; with neither, the whole workspace's.
	CustomerID crmtype.ID
	// CustomerIDs: a segment's attempts. A non-nil empty slice is an empty
	// segment (no attempts), not the workspace. Ids not in the workspace
	// have no attempts.
	CustomerIDs []crmtype.ID
	// Attempts that occurred in [From, To); unbounded when zero. Replies
	// are read up to To plus Window.
	From, To time.Time
	// Channels: only these; every channel when empty.
	Channels []Channel
	// Window is how long after an attempt a reply counts. Default
	// DefaultResponseWindow; at most a year.
	Window time.Duration
	// Level of the intervals, in (0, 1). Default DefaultRateLevel.
	Level float64
}

// ResponseRates returns the response rates of one customer, a segment or
// the whole workspace, overall, by channel, and by local hour of day and
// weekday, each with its Wilson interval (analysis.WilsonInterval).
//
// An outbound interaction is an attempt, on any channel. An attempt is
// answered when
//
//   - its delivery status is StatusReplied, or its outcome is Replied,
//     Connected (a call or visit that reached the customer) or Completed (a
//     meeting or visit that took place); or
//   - an inbound interaction of the same customer on the same channel (so
//     also in the same conversation, which never spans channels) follows
//     it within Window and before the next attempt on that channel: an
//     inbound message answers the latest attempt before it, so one reply
//     never counts for two attempts, and a reply on another channel counts
//     for none.
//
// Opened and clicked do not count: opens are largely machine-generated
// (mail privacy proxies), and neither is an answer. An unanswered attempt
// whose window has not ended by now (or by To+Window) is open: counted in
// ResponseRates.Open, not as a failure. An attempt is placed at its local
// hour and weekday in the customer's time zone (customer.Customer.TimeZone;
// UTC when it has none or an unknown one).
//
// The history is read in pages ordered by customer, so a workspace of
// millions of interactions is read in bounded memory; the cost is one pass
// over the interactions in [From, To+Window) of the customers selected.
//
// Errors: ErrInvalid for both CustomerID and CustomerIDs, a zero id in
// CustomerIDs, To not after From, a malformed channel, a negative or
// over-long Window, a Level outside (0, 1); ErrNotFound when CustomerID is
// not a customer of the workspace (a deleted one is read).
func (s *Service) ResponseRates(ctx context.Context, p RateParams) (*ResponseRates, error) {
	const op = "response rates"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := checkRateParams(&p); err != nil {
		return nil, wrap(op, err)
	}
	q := HistoryQuery{CustomerIDs: p.CustomerIDs, Channels: p.Channels}
	if !p.CustomerID.IsZero() {
		if _, err := s.customers.GetIncludingDeleted(ctx, p.CustomerID); err != nil {
			return nil, wrap(op, err)
		}
		q.CustomerIDs = []crmtype.ID{p.CustomerID}
	}
	if q.CustomerIDs != nil && len(q.CustomerIDs) == 0 {
		t := newTallies()
		return t.rates(p), nil
	}
	t, err := s.tally(ctx, sc, q, p.From, p.To, p.Window)
	if err != nil {
		return nil, wrap(op, err)
	}
	r := t.rates(p)
	r.CustomerID = p.CustomerID
	return r, nil
}

// checkRateParams validates p and fills its defaults.
func checkRateParams(p *RateParams) error {
	if !p.CustomerID.IsZero() && p.CustomerIDs != nil {
		return crmtype.Invalid("customer_ids", "is given with customer_id: give one")
	}
	for i, id := range p.CustomerIDs {
		if id.IsZero() {
			return crmtype.Invalidf(fmt.Sprintf("customer_ids[%d]", i), "is the zero id")
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return crmtype.Invalid("to", "must be after from")
	}
	for i, c := range p.Channels {
		if err := validateChannel(fmt.Sprintf("channels[%d]", i), c); err != nil {
			return err
		}
	}
	var err error
	if p.Window, err = checkWindow(p.Window); err != nil {
		return err
	}
	p.Level, err = checkLevel(p.Level)
	return err
}

func checkWindow(w time.Duration) (time.Duration, error) {
	switch {
	case w == 0:
		return DefaultResponseWindow, nil
	case w < 0:
		return 0, crmtype.Invalid("window", "must not be negative")
	case w > maxResponseWindow:
		return 0, crmtype.Invalid("window", "is longer than a year")
	}
	return w, nil
}

func checkLevel(l float64) (float64, error) {
	if l == 0 {
		return DefaultRateLevel, nil
	}
	if !(l > 0 && l < 1) {
		return 0, crmtype.Invalidf("level", "%v is not in (0, 1)", l)
	}
	return l, nil
}

// tally reads the history q selects and counts the attempts in [from, to).
func (s *Service) tally(ctx context.Context, sc crmtype.Scope, q HistoryQuery, from, to time.Time, window time.Duration) (*tallies, error) {
	rs := s.store
	q.From = from
	if !to.IsZero() {
		q.Until = to.Add(window)
	}
	q.AnsweredStatuses, q.AnsweredOutcomes = answeredStatuses, answeredOutcomes
	w := newSweep(from, to, window, s.clock.Now())
	err := rs.ScanResponseHistory(ctx, sc, q, func(rows []HistoryRow) error {
		for i := range rows {
			w.row(&rows[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.endCustomer()
	return w.t, nil
}

// tally counts answered attempts out of all.
type tally struct{ s, n int }

func (t *tally) add(ok bool) {
	t.n++
	if ok {
		t.s++
	}
}

func (t tally) rate() float64 {
	if t.n == 0 {
		return 0
	}
	return float64(t.s) / float64(t.n)
}

func (t tally) plus(o tally) tally { return tally{t.s + o.s, t.n + o.n} }

// minus returns t without o, never below zero.
func (t tally) minus(o tally) tally {
	n := max(0, t.n-o.n)
	return tally{min(n, max(0, t.s-o.s)), n}
}

// chanTally is the counts of one channel (or of all).
type chanTally struct {
	total tally
	hour  [24]tally
	wd    [7]tally
}

func (c *chanTally) add(local time.Time, ok bool) {
	c.total.add(ok)
	c.hour[local.Hour()].add(ok)
	c.wd[local.Weekday()].add(ok)
}

func (c *chanTally) minus(o *chanTally) *chanTally {
	out := *c
	if o == nil {
		return &out
	}
	out.total = c.total.minus(o.total)
	for h := range out.hour {
		out.hour[h] = c.hour[h].minus(o.hour[h])
	}
	for d := range out.wd {
		out.wd[d] = c.wd[d].minus(o.wd[d])
	}
	return &out
}

// tallies is the counts of a population.
type tallies struct {
	customers, open int
	all             chanTally
	ch              map[Channel]*chanTally
}

func newTallies() *tallies { return &tallies{ch: map[Channel]*chanTally{}} }

func (t *tallies) count(c Channel, local time.Time, ok bool) {
	ct := t.ch[c]
	if ct == nil {
		ct = &chanTally{}
		t.ch[c] = ct
	}
	ct.add(local, ok)
	t.all.add(local, ok)
}

// channel returns the counts of c, zero when it has none.
func (t *tallies) channel(c Channel) *chanTally {
	if ct := t.ch[c]; ct != nil {
		return ct
	}
	return &chanTally{}
}

// minus returns t without o's attempts: a population without one of its
// customers.
func (t *tallies) minus(o *tallies) *tallies {
	out := newTallies()
	out.customers, out.open = t.customers, t.open
	if o.all.total.n > 0 && out.customers > 0 {
		out.customers--
	}
	out.all = *t.all.minus(&o.all)
	for c, ct := range t.ch {
		out.ch[c] = ct.minus(o.ch[c])
	}
	return out
}

// fromRates turns computed rates back into counts.
func fromRates(r *ResponseRates) *tallies {
	t := newTallies()
	t.customers, t.open = r.Customers, r.Open
	conv := func(dst *chanTally, total Rate, hours [24]Rate, wds [7]Rate) {
		dst.total = tally{total.Successes, total.Trials}
		for h, hr := range hours {
			dst.hour[h] = tally{hr.Successes, hr.Trials}
		}
		for d, wr := range wds {
			dst.wd[d] = tally{wr.Successes, wr.Trials}
		}
	}
	conv(&t.all, r.Total, r.ByHour, r.ByWeekday)
	for _, cr := range r.ByChannel {
		ct := &chanTally{}
		conv(ct, cr.Rate, cr.ByHour, cr.ByWeekday)
		t.ch[cr.Channel] = ct
	}
	return t
}

// newRate returns t's rate with its Wilson interval at level.
func newRate(t tally, level float64) Rate {
	r := Rate{Successes: t.s, Trials: t.n, Rate: t.rate(), CI: analysis.ConfidenceInterval{Lo: 0, Hi: 1, Level: level}}
	if t.n > 0 {
		if ci, err := analysis.WilsonInterval(t.s, t.n, level); err == nil {
			r.CI = ci
		}
	}
	return r
}

func (t *tallies) rates(p RateParams) *ResponseRates {
	r := &ResponseRates{From: p.From, To: p.To, Window: p.Window, Level: p.Level, Customers: t.customers, Open: t.open,
		Total: newRate(t.all.total, p.Level)}
	fill := func(hours *[24]Rate, wds *[7]Rate, ct *chanTally) {
		for h := range hours {
			hours[h] = newRate(ct.hour[h], p.Level)
		}
		for d := range wds {
			wds[d] = newRate(ct.wd[d], p.Level)
		}
	}
	fill(&r.ByHour, &r.ByWeekday, &t.all)
	for _, c := range sortedChannels(t) {
		ct := t.ch[c]
		cr := ChannelRates{Channel: c, Rate: newRate(ct.total, p.Level)}
		fill(&cr.ByHour, &cr.ByWeekday, ct)
		r.ByChannel = append(r.ByChannel, cr)
	}
	return r
}

// sortedChannels returns the channels of t that have an attempt, by name.
func sortedChannels(t *tallies) []Channel {
	out := make([]Channel, 0, len(t.ch))
	for c, ct := range t.ch {
		if ct.total.n > 0 {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// sweep applies the response rule (see ResponseRates) to history rows
// ordered by customer and time, keeping per customer only the latest
// unanswered attempt of each channel.
type sweep struct {
	from, to time.Time // count the attempts in [from, to); zero: unbounded
	horizon  time.Time // an unanswered attempt whose window ends after it is open
	window   time.Duration
	t        *tallies
	zones    map[string]*time.Location
	started  bool
	cust     crmtype.ID
	loc      *time.Location
	counted  bool                  // the current customer has a counted attempt
	pending  map[Channel]time.Time // the latest unanswered attempt per channel
}

func newSweep(from, to time.Time, window time.Duration, now time.Time) *sweep {
	h := now
	if !to.IsZero() && to.Add(window).Before(h) {
		h = to.Add(window)
	}
	return &sweep{from: from, to: to, horizon: h, window: window, t: newTallies(),
		zones: map[string]*time.Location{}, pending: map[Channel]time.Time{}}
}

// zone returns the location of an IANA name, UTC for "" or an unknown one.
func (w *sweep) zone(name string) *time.Location {
	if loc, ok := w.zones[name]; ok {
		return loc
	}
	loc := time.UTC
	if name != "" {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
		}
	}
	w.zones[name] = loc
	return loc
}

func (w *sweep) inRange(at time.Time) bool {
	return (w.from.IsZero() || !at.Before(w.from)) && (w.to.IsZero() || at.Before(w.to))
}

func (w *sweep) count(c Channel, at time.Time, ok bool) {
	w.t.count(c, at.In(w.loc), ok)
	w.counted = true
}

func (w *sweep) row(r *HistoryRow) {
	if !w.started || r.CustomerID != w.cust {
		w.endCustomer()
		w.started, w.cust, w.loc = true, r.CustomerID, w.zone(r.TimeZone)
	}
	switch r.Direction {
	case Outbound:
		if at, ok := w.pending[r.Channel]; ok { // a new attempt ends the previous one's chance
			w.count(r.Channel, at, false)
			delete(w.pending, r.Channel)
		}
		if !w.inRange(r.OccurredAt) {
			return
		}
		if r.Answered {
			w.count(r.Channel, r.OccurredAt, true)
			return
		}
		w.pending[r.Channel] = r.OccurredAt
	case Inbound:
		if at, ok := w.pending[r.Channel]; ok && r.OccurredAt.Sub(at) <= w.window {
			w.count(r.Channel, at, true)
			delete(w.pending, r.Channel)
		}
	}
}

// endCustomer settles the current customer's unanswered attempts: failures
// once their window has ended, open before.
func (w *sweep) endCustomer() {
	for c, at := range w.pending {
		if at.Add(w.window).After(w.horizon) {
			w.t.open++
		} else {
			w.count(c, at, false)
		}
	}
	clear(w.pending)
	if w.counted {
		w.t.customers++
	}
	w.counted = false
}

// Basis says whose history decided a recommendation.
type Basis string

// Bases.
const (
	// BasisCustomer: the customer's own attempts, shrunk toward the
	// reference population's rates.
	BasisCustomer Basis = "customer"
	// BasisReference: the customer has fewer than MinTrials attempts on
	// every candidate (on the chosen channel, for the hour), so the
	// reference population's rates decided.
	BasisReference Basis = "reference"
	// BasisPreference: the customer has too few attempts, and their
	// preferred channel (Preferences.PreferredChannel) is allowed: it is
	// chosen over the reference's best.
	BasisPreference Basis = "preference"
	// BasisNone: no history at all; the first allowed candidate.
	BasisNone Basis = "none"
)

// RecommendParams asks for the channel and time to contact a customer.
type RecommendParams struct {
	CustomerID crmtype.ID // required
	// Purpose of the contact; consent is checked for it. Required.
	Purpose Purpose
	// List is the campaign or mailing list, passed to Decide. Optional.
	List string
	// Channels are the candidates, in order of preference (which breaks
	// ties). Default: every channel with an attempt in the customer's or
	// the reference's history, and the customer's preferred channel, by
	// name.
	Channels []Channel
	// At is when the contact could start; default now. The history read
	// is the attempts in [At−History, At).
	At      time.Time
	History time.Duration // default DefaultHistory
	// Reference is the population the customer's rates are shrunk
	// toward: the ResponseRates of the workspace or of the customer's
	// segment, computed once and reused across many calls. It must include
	// the customer's own attempts: Recommend removes them, so that they do
	// not count twice. Default: the workspace's over the same history (a
	// pass over the workspace's interactions on every call).
	Reference *ResponseRates
	// Window and Level as in RateParams.
	Window time.Duration
	Level  float64
	// PriorStrength is the weight, in attempts, of the prior built from
	// the reference (see Recommend). Default DefaultPriorStrength.
	PriorStrength float64
	// MinTrials is how many of the customer's attempts on a channel count
	// as evidence for it; fewer are ignored in ranking channels, and the
	// hour then comes from the reference (see Recommend). Default
	// DefaultMinTrials.
	MinTrials int
}

// ChannelEvidence is how one candidate channel was scored.
type ChannelEvidence struct {
	Channel  Channel
	Customer Rate // the customer's attempts
	// Reference is the reference population's attempts, without the
	// customer's.
	Reference Rate
	// Prior is the reference's rate shrunk toward the reference's overall
	// rate: the mean of the customer's prior.
	Prior float64
	// Posterior is the mean of the rate the ranking used: the customer's
	// posterior (BasisCustomer), or the whole population's, the customer
	// included, shrunk toward its overall rate (BasisReference and
	// BasisPreference, when the reference has attempts); 0 without history.
	Posterior float64
	// LowerBound is the lower end of that rate's central Level interval:
	// the score the channels are ranked by.
	LowerBound float64
	Decision   Decision // the contact decision at RecommendParams.At
}

// HourEvidence is how one local hour was scored on the chosen channel.
type HourEvidence struct {
	Hour      int  // local, 0–23
	Customer  Rate // the customer's attempts on the channel at this hour
	Reference Rate // the reference's, without the customer's
	// Posterior and LowerBound as in ChannelEvidence.
	Posterior, LowerBound float64
}

// Exclusion is a candidate channel that may not be used.
type Exclusion struct {
	Channel  Channel
	Decision Decision // its Deny, with the reason
}

// Recommendation is the channel and time to contact a customer, and why.
type Recommendation struct {
	CustomerID crmtype.ID
	// Channel is the recommended channel; "" when no candidate may be used
	// (every one is denied, or there is none), as Reason says.
	Channel Channel
	// Hour is the recommended local hour, 0–23, in TimeZone; -1 when the
	// channel has no history by hour.
	Hour     int
	TimeZone string // the zone the customer is contacted in (as Decide's: preferences, customer, workspace, UTC)
	// NextContact is the first instant at or after At in the recommended
	// hour (At itself when At is in that hour; At when Hour is -1), moved
	// later when Decide defers it (quiet hours, caps). UTC. Zero when
	// Channel is "".
	NextContact time.Time
	// Basis says whose history chose the channel; HourBasis the hour.
	Basis, HourBasis Basis
	// Reason says in words what decided: the rates compared, a channel
	// passed over for too little evidence, the channels excluded, the
	// hour, a deferral.
	Reason   string
	Decision Decision          // the contact decision for Channel at NextContact
	Channels []ChannelEvidence // the allowed candidates, best first
	Hours    []HourEvidence    // the hours with history on Channel, best first
	Excluded []Exclusion       // candidates whose verdict is Deny
}

// Recommend returns the channel and local hour at which the customer is
// most likely to answer, from the feedback of past attempts (the response
// rule of ResponseRates), and the next instant to contact them, respecting
// consent: every candidate channel is put to Decide for p.Purpose at p.At,
// and a channel whose verdict is Deny is never recommended but reported in
// Excluded (so is one denied at the chosen instant).
//
// Shrinkage (empirical Bayes with a fixed-strength prior): the customer's
// rate on a channel has a beta prior of PriorStrength pseudo-attempts at
// the reference's rate on that channel, itself shrunk with PriorStrength
// pseudo-attempts toward the reference's overall rate (the reference is
// the workspace, or p.Reference, without the customer's own attempts). The
// customer's attempts on a channel update that prior only once there are
// MinTrials of them; below that the channel is scored by its prior alone,
// so a handful of lucky replies moves nothing. Channels are ranked by the
// lower end of the posterior's central Level interval (normal
// approximation), then by its mean, then by the order of p.Channels: a
// channel with little evidence has a wide posterior and a low lower bound,
// and does not beat one with plenty.
//
// Fallbacks: when no allowed channel has MinTrials of the customer's
// attempts, their preferred channel (Preferences.PreferredChannel) is
// chosen if allowed (BasisPreference), else the reference population's
// best channel, the customer's attempts pooled in and scored the same way
// (a channel with fewer than MinTrials attempts in all by its prior
// alone) (BasisReference); with no history at all, the first allowed
// candidate (BasisNone).
//
// The hour is chosen among the local hours with an attempt on the chosen
// channel, ranked the same way: with MinTrials of the customer's attempts
// on the channel, each hour's rate is the customer's shrunk toward the
// reference's at that hour on that channel (every attempt counts: the
// lower bound keeps a lucky hour down); with fewer, the reference's hours,
// the customer's pooled in. Reason says which basis decided.
//
// Errors: ErrInvalid for a zero CustomerID, a missing or malformed
// Purpose, a malformed channel, or History, Window, Level, PriorStrength
// or MinTrials out of range; ErrNotFound when the customer is not a live
// customer of the workspace; an error of Decide.
func (s *Service) Recommend(ctx context.Context, p RecommendParams) (Recommendation, error) {
	const op = "recommend"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return Recommendation{}, err
	}
	if err := s.checkRecommendParams(&p); err != nil {
		return Recommendation{}, wrap(op, err)
	}
	c, err := s.customers.Get(ctx, p.CustomerID)
	if err != nil {
		return Recommendation{}, wrap(op, err)
	}
	from := p.At.Add(-p.History)
	cust, err := s.tally(ctx, sc, HistoryQuery{CustomerIDs: []crmtype.ID{p.CustomerID}}, from, p.At, p.Window)
	if err != nil {
		return Recommendation{}, wrap(op, err)
	}
	var ref *tallies
	refName := "workspace"
	if p.Reference != nil {
		ref, refName = fromRates(p.Reference), "reference"
	} else if ref, err = s.tally(ctx, sc, HistoryQuery{}, from, p.At, p.Window); err != nil {
		return Recommendation{}, wrap(op, err)
	}
	ref = ref.minus(cust)

	prefs, err := s.Preferences(ctx, p.CustomerID)
	if err != nil {
		return Recommendation{}, wrap(op, err)
	}
	cs, err := s.contactSettings(ctx, sc)
	if err != nil {
		return Recommendation{}, wrap(op, err)
	}
	// The zone the contact decision uses too.
	loc, zone := contactZone(prefs.TimeZone, c.TimeZone, cs.TimeZone)
	rec := Recommendation{CustomerID: p.CustomerID, Hour: -1, TimeZone: zone, Basis: BasisNone, HourBasis: BasisNone}
	cands := p.Channels
	if len(cands) == 0 {
		seen := map[Channel]bool{}
		if prefs.PreferredChannel != "" {
			seen[prefs.PreferredChannel] = true
		}
		for _, t := range []*tallies{cust, ref} {
			for _, ch := range sortedChannels(t) {
				seen[ch] = true
			}
		}
		for ch := range seen {
			cands = append(cands, ch)
		}
		slices.Sort(cands)
	}
	if len(cands) == 0 {
		rec.Reason = "no channel to recommend: no candidates were given and there is no response history"
		return rec, nil
	}
	decisions := map[Channel]Decision{}
	var allowed []Channel
	for _, ch := range cands {
		d, err := s.Decide(ctx, DecideParams{CustomerID: p.CustomerID, Channel: ch, Purpose: p.Purpose, List: p.List, At: p.At})
		if err != nil {
			return Recommendation{}, wrap(op, err)
		}
		decisions[ch] = d
		if d.Verdict == Deny {
			rec.Excluded = append(rec.Excluded, Exclusion{Channel: ch, Decision: d})
			continue
		}
		allowed = append(allowed, ch)
	}
	sp := scoring{level: p.Level, k: p.PriorStrength, minTrials: p.MinTrials}
	ranked, basis := sp.rankChannels(cust, ref, allowed)
	evidenceBasis := basis
	if pc := prefs.PreferredChannel; basis != BasisCustomer && slices.Contains(allowed, pc) {
		i := slices.IndexFunc(ranked, func(ev ChannelEvidence) bool { return ev.Channel == pc })
		ranked = slices.Concat([]ChannelEvidence{ranked[i]}, slices.Delete(slices.Clone(ranked), i, i+1))
		basis = BasisPreference
	}
	for i := range ranked {
		ranked[i].Decision = decisions[ranked[i].Channel]
	}
	rec.Channels, rec.Basis = ranked, basis
	var notes []string
	for _, ev := range ranked {
		hours, hb := sp.rankHours(cust, ref, ev.Channel)
		hour := -1
		if len(hours) > 0 {
			hour = hours[0].Hour
		}
		next, d, note, err := s.nextContact(ctx, p, ev.Channel, hour, loc)
		if err != nil {
			return Recommendation{}, wrap(op, err)
		}
		if d.Verdict == Deny {
			rec.Excluded = append(rec.Excluded, Exclusion{Channel: ev.Channel, Decision: d})
			notes = append(notes, fmt.Sprintf("%s is denied at %s (%s)", ev.Channel, next.In(loc).Format(time.DateTime), d.Reason))
			continue
		}
		rec.Channel, rec.Hour, rec.Hours, rec.HourBasis, rec.NextContact, rec.Decision = ev.Channel, hour, hours, hb, next.UTC(), d
		if note != "" {
			notes = append(notes, note)
		}
		break
	}
	if rec.Basis == BasisPreference && rec.Channel != prefs.PreferredChannel { // it was denied at the chosen instant
		rec.Basis = evidenceBasis
	}
	rec.Reason = sp.reason(&rec, cust, ref, refName, zone, notes)
	return rec, nil
}

func (s *Service) checkRecommendParams(p *RecommendParams) error {
	if p.CustomerID.IsZero() {
		return crmtype.Invalid("customer_id", "is required")
	}
	if p.Purpose == "" {
		return crmtype.Invalid("purpose", "is required")
	}
	if !outcomePattern.MatchString(string(p.Purpose)) {
		return crmtype.Invalidf("purpose", "%q is not a purpose: use lower-case letters, digits, '_' or '-'", string(p.Purpose))
	}
	var cands []Channel
	for i, c := range p.Channels {
		if err := validateChannel(fmt.Sprintf("channels[%d]", i), c); err != nil {
			return err
		}
		if !slices.Contains(cands, c) {
			cands = append(cands, c)
		}
	}
	p.Channels = cands
	if p.At.IsZero() {
		p.At = s.clock.Now()
	}
	switch {
	case p.History == 0:
		p.History = DefaultHistory
	case p.History < 0:
		return crmtype.Invalid("history", "must not be negative")
	}
	var err error
	if p.Window, err = checkWindow(p.Window); err != nil {
		return err
	}
	if p.Level, err = checkLevel(p.Level); err != nil {
		return err
	}
	switch {
	case p.PriorStrength == 0:
		p.PriorStrength = DefaultPriorStrength
	case !(p.PriorStrength > 0) || math.IsInf(p.PriorStrength, 0):
		return crmtype.Invalidf("prior_strength", "%v must be a positive number", p.PriorStrength)
	}
	switch {
	case p.MinTrials == 0:
		p.MinTrials = DefaultMinTrials
	case p.MinTrials < 0:
		return crmtype.Invalid("min_trials", "must not be negative")
	}
	return nil
}

// nextContact returns the first instant at or after p.At in the local hour
// (p.At for hour -1) that Decide does not defer, and its decision: a
// deferral moves it to the next such hour after the deferral ends, and if
// that is deferred too, to the deferral's end itself. note says what moved
// it.
func (s *Service) nextContact(ctx context.Context, p RecommendParams, ch Channel, hour int, loc *time.Location) (time.Time, Decision, string, error) {
	at := func(t time.Time) time.Time {
		if hour < 0 {
			return t
		}
		return nextAt(t, hour, loc)
	}
	decide := func(t time.Time) (Decision, error) {
		return s.Decide(ctx, DecideParams{CustomerID: p.CustomerID, Channel: ch, Purpose: p.Purpose, List: p.List, At: t})
	}
	next := at(p.At)
	d, err := decide(next)
	if err != nil || d.Verdict != Defer || !d.Until.After(next) {
		return next, d, "", err
	}
	first := d
	note := fmt.Sprintf("%s at %s is deferred (%s) until %s", ch, next.In(loc).Format(time.DateTime), d.Reason,
		d.Until.In(loc).Format(time.DateTime))
	if later := at(d.Until); !later.Equal(d.Until) {
		d2, err := decide(later)
		if err != nil {
			return time.Time{}, Decision{}, "", err
		}
		if d2.Verdict != Defer {
			return later, d2, note + ": the next such hour is " + later.In(loc).Format(time.DateTime), nil
		}
	}
	next = first.Until
	d, err = decide(next)
	return next, d, note + ": contact then", err
}

// nextAt returns the first instant at or after t whose hour in loc is hour:
// t itself when it is in that hour, else the next hour:00 (or, when a
// daylight-saving gap skips it, the instant Go's time.Date gives for it).
func nextAt(t time.Time, hour int, loc *time.Location) time.Time {
	l := t.In(loc)
	if l.Hour() == hour {
		return t
	}
	for day := 0; day <= 2; day++ {
		d := time.Date(l.Year(), l.Month(), l.Day()+day, hour, 0, 0, 0, loc)
		if d.After(t) {
			return d
		}
	}
	return t // unreachable: the hour recurs within two days
}

// scoring ranks channels and hours by the posterior lower bound.
type scoring struct {
	level, k  float64
	minTrials int
}

// posterior returns the mean and the lower end of the central level
// interval (normal approximation, clipped at 0) of Beta(α, β).
func (sp scoring) posterior(alpha, beta float64) (mean, lower float64) {
	n := alpha + beta
	if n <= 0 {
		return 0, 0
	}
	mean = alpha / n
	z := math.Sqrt2 * math.Erfinv(sp.level)
	lower = math.Max(0, mean-z*math.Sqrt(mean*(1-mean)/(n+1)))
	return mean, lower
}

// shrink returns the mean of t's rate with k pseudo-attempts at prior.
func (sp scoring) shrink(t tally, prior float64) float64 {
	return (float64(t.s) + sp.k*prior) / (float64(t.n) + sp.k)
}

// baseRate is the rate everything is shrunk toward at the top: the
// reference's overall rate, else the customer's, else one half.
func baseRate(cust, ref *tallies) float64 {
	switch {
	case ref.all.total.n > 0:
		return ref.all.total.rate()
	case cust.all.total.n > 0:
		return cust.all.total.rate()
	}
	return 0.5
}

// rankChannels scores the allowed channels, best first, and says on whose
// history.
func (sp scoring) rankChannels(cust, ref *tallies, allowed []Channel) ([]ChannelEvidence, Basis) {
	p0 := baseRate(cust, ref)
	basis := BasisNone
	var any int
	for _, c := range allowed {
		any += cust.channel(c).total.n + ref.channel(c).total.n
		if cust.channel(c).total.n >= sp.minTrials {
			basis = BasisCustomer
		}
	}
	if basis == BasisNone && any > 0 {
		basis = BasisReference
	}
	out := make([]ChannelEvidence, len(allowed))
	for i, c := range allowed {
		ct, rt := cust.channel(c).total, ref.channel(c).total
		prior := sp.shrink(rt, p0)
		ev := ChannelEvidence{Channel: c, Customer: newRate(ct, sp.level), Reference: newRate(rt, sp.level), Prior: prior}
		switch basis {
		case BasisCustomer:
			ev.Posterior, ev.LowerBound = sp.score(ct, prior)
		case BasisReference:
			ev.Posterior, ev.LowerBound = sp.score(rt.plus(ct), p0)
		}
		out[i] = ev
	}
	order := map[Channel]int{}
	for i, c := range allowed {
		order[c] = i
	}
	slices.SortStableFunc(out, func(a, b ChannelEvidence) int {
		switch {
		case a.LowerBound != b.LowerBound:
			return cmpDesc(a.LowerBound, b.LowerBound)
		case a.Posterior != b.Posterior:
			return cmpDesc(a.Posterior, b.Posterior)
		}
		return order[a.Channel] - order[b.Channel]
	})
	return out, basis
}

// score returns the posterior mean and lower bound of a rate observed as
// t with prior mean prior: t counts only with at least minTrials attempts,
// else the prior alone is scored.
func (sp scoring) score(t tally, prior float64) (mean, lower float64) {
	if t.n < sp.minTrials {
		t = tally{}
	}
	return sp.posterior(float64(t.s)+sp.k*prior, float64(t.n-t.s)+sp.k*(1-prior))
}

func cmpDesc(a, b float64) int {
	if a > b {
		return -1
	}
	return 1
}

// rankHours scores the local hours of channel c that have an attempt, best
// first, and says on whose history.
func (sp scoring) rankHours(cust, ref *tallies, c Channel) ([]HourEvidence, Basis) {
	p0 := baseRate(cust, ref)
	cc, rc := cust.channel(c), ref.channel(c)
	chPrior := sp.shrink(rc.total, p0)
	basis := BasisNone
	switch {
	case cc.total.n >= sp.minTrials:
		basis = BasisCustomer
	case cc.total.n+rc.total.n > 0:
		basis = BasisReference
	}
	var out []HourEvidence
	for h := range 24 {
		ct, rt := cc.hour[h], rc.hour[h]
		if ct.n+rt.n == 0 {
			continue
		}
		ev := HourEvidence{Hour: h, Customer: newRate(ct, sp.level), Reference: newRate(rt, sp.level)}
		switch basis {
		case BasisCustomer:
			prior := sp.shrink(rt, chPrior)
			ev.Posterior, ev.LowerBound = sp.posterior(float64(ct.s)+sp.k*prior, float64(ct.n-ct.s)+sp.k*(1-prior))
		case BasisReference:
			all := rt.plus(ct)
			ev.Posterior, ev.LowerBound = sp.posterior(float64(all.s)+sp.k*chPrior, float64(all.n-all.s)+sp.k*(1-chPrior))
		}
		out = append(out, ev)
	}
	slices.SortStableFunc(out, func(a, b HourEvidence) int {
		switch {
		case a.LowerBound != b.LowerBound:
			return cmpDesc(a.LowerBound, b.LowerBound)
		case a.Posterior != b.Posterior:
			return cmpDesc(a.Posterior, b.Posterior)
		}
		return a.Hour - b.Hour
	})
	return out, basis
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

func (sp scoring) ci(r Rate) string {
	return fmt.Sprintf("%g%% CI %s–%s", 100*sp.level, pct(r.CI.Lo), pct(r.CI.Hi))
}

// reason says in words why rec is what it is.
func (sp scoring) reason(rec *Recommendation, cust, ref *tallies, refName, zone string, notes []string) string {
	priorFrom := "the " + refName + "'s rates"
	if ref.all.total.n == 0 {
		priorFrom = "the customer's overall rate (the " + refName + " has no other history)"
	}
	var parts []string
	var chosen *ChannelEvidence
	for i := range rec.Channels {
		if rec.Channels[i].Channel == rec.Channel {
			chosen = &rec.Channels[i]
		}
	}
	switch {
	case chosen == nil && len(rec.Channels) == 0 && len(rec.Excluded) > 0:
		parts = append(parts, "no channel may be used: every candidate is denied")
	case chosen == nil:
		parts = append(parts, "no channel may be used")
	case rec.Basis == BasisCustomer:
		s := fmt.Sprintf("%s: the customer answered %d of %d attempts (%s, %s); shrunk toward a prior of %s from %s, its rate is %s with lower bound %s",
			chosen.Channel, chosen.Customer.Successes, chosen.Customer.Trials, pct(chosen.Customer.Rate), sp.ci(chosen.Customer),
			pct(chosen.Prior), priorFrom, pct(chosen.Posterior), pct(chosen.LowerBound))
		for _, ev := range rec.Channels {
			if ev.Channel != chosen.Channel {
				s += fmt.Sprintf(", ahead of %s (lower bound %s; %d of %d answered)", ev.Channel, pct(ev.LowerBound),
					ev.Customer.Successes, ev.Customer.Trials)
				break
			}
		}
		parts = append(parts, s)
		for _, ev := range rec.Channels {
			if ev.Channel != chosen.Channel && ev.Customer.Trials > 0 && ev.Customer.Rate > chosen.Customer.Rate {
				few := ""
				if ev.Customer.Trials < sp.minTrials {
					few = fmt.Sprintf(" (fewer than %d attempts: scored by its prior alone)", sp.minTrials)
				}
				parts = append(parts, fmt.Sprintf("%s answered more often (%d of %d, %s) but on too little evidence%s: its lower bound %s is below %s's %s",
					ev.Channel, ev.Customer.Successes, ev.Customer.Trials, pct(ev.Customer.Rate), few, pct(ev.LowerBound),
					chosen.Channel, pct(chosen.LowerBound)))
			}
		}
	case rec.Basis == BasisPreference:
		n := 0
		for _, ev := range rec.Channels {
			n += ev.Customer.Trials
		}
		parts = append(parts, fmt.Sprintf("too little evidence from this customer (%s on the allowed channels, fewer than %d on any): chose their preferred channel %s",
			attempts(n), sp.minTrials, chosen.Channel))
	case rec.Basis == BasisReference:
		n := 0
		for _, ev := range rec.Channels {
			n += ev.Customer.Trials
		}
		all := chosen.Reference.Trials + chosen.Customer.Trials
		succ := chosen.Reference.Successes + chosen.Customer.Successes
		parts = append(parts, fmt.Sprintf("too little evidence from this customer (%s on the allowed channels, fewer than %d on any): chose the %s's best channel %s, %d of %d attempts answered (rate %s, lower bound %s)",
			attempts(n), sp.minTrials, refName, chosen.Channel, succ, all, pct(chosen.Posterior), pct(chosen.LowerBound)))
	default:
		parts = append(parts, fmt.Sprintf("no response history on the allowed channels: chose %s, the first allowed candidate", chosen.Channel))
	}
	if len(rec.Excluded) > 0 {
		var ex []string
		for _, e := range rec.Excluded {
			ex = append(ex, fmt.Sprintf("%s (%s)", e.Channel, e.Decision.Reason))
		}
		parts = append(parts, "excluded: "+strings.Join(ex, ", "))
	}
	parts = append(parts, notes...)
	if chosen != nil {
		switch {
		case rec.Hour < 0:
			parts = append(parts, fmt.Sprintf("no hour has history on %s: contact from %s", rec.Channel, rec.NextContact.Format(time.RFC3339)))
		case rec.HourBasis == BasisCustomer:
			h := rec.Hours[0]
			parts = append(parts, fmt.Sprintf("best hour %02d:00 %s: the customer answered %d of %d attempts on %s at that hour (lower bound %s); next contact %s",
				h.Hour, zone, h.Customer.Successes, h.Customer.Trials, rec.Channel, pct(h.LowerBound), rec.NextContact.Format(time.RFC3339)))
		default:
			h := rec.Hours[0]
			parts = append(parts, fmt.Sprintf("best hour %02d:00 %s from the %s's attempts on %s at that hour (%d of %d answered; the customer has %s on it, fewer than %d); next contact %s",
				h.Hour, zone, refName, rec.Channel, h.Reference.Successes+h.Customer.Successes, h.Reference.Trials+h.Customer.Trials,
				attempts(cust.channel(rec.Channel).total.n), sp.minTrials, rec.NextContact.Format(time.RFC3339)))
		}
	}
	return strings.Join(parts, "; ") + "."
}
