package marketing

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
)

// AttributionModel says how a conversion's revenue is shared among the
// touches that preceded it.
//
// The touches of a conversion are those at or before it and within the
// lookback: conversion.At − Lookback <= touch.At <= conversion.At, both
// ends included. They are ordered by time; touches at the same instant
// keep the order they were given in (the store gives member-log touches
// before interactions, each by id). "First" and "last" refer to that
// order. Each model gives every touch a weight:
//
//   - first_touch: the first touch 1, the others 0.
//   - last_touch: the last touch 1, the others 0.
//   - linear: every touch 1.
//   - time_decay: 2^(−(conversion.At − touch.At)/HalfLife), so a touch one
//     half-life older than another weighs half as much.
//   - position_based (40/20/40): with three touches or more the first and
//     the last get 40% each and the ones between share 20% equally; with
//     two touches 50% each; with one touch 100%.
//
// The revenue is then split in proportion to the weights by the largest
// remainder (Hamilton) method, in minor units: see Attributor.Credit.
type AttributionModel string

// Attribution models.
const (
	ModelFirstTouch    AttributionModel = "first_touch"
	ModelLastTouch     AttributionModel = "last_touch"
	ModelLinear        AttributionModel = "linear"
	ModelTimeDecay     AttributionModel = "time_decay"
	ModelPositionBased AttributionModel = "position_based"
)

// AttributionModels lists the attribution models.
var AttributionModels = []AttributionModel{ModelFirstTouch, ModelLastTouch, ModelLinear, ModelTimeDecay, ModelPositionBased}

// TouchKind is what brought a campaign before a customer.
type TouchKind string

// Touch kinds: a campaign member's log entry with status delivered,
// opened or clicked, or an interaction tied to a campaign.
const (
	TouchDelivered   TouchKind = "delivered"
	TouchOpened      TouchKind = "opened"
	TouchClicked     TouchKind = "clicked"
	TouchInteraction TouchKind = "interaction"
)

// Touch is one contact of a campaign with a customer.
type Touch struct {
	CampaignID crmtype.ID
	Channel    string // e.g. "email", "search"; "" when not known
	At         time.Time
	Kind       TouchKind
}

// Conversion is a purchase to attribute.
type Conversion struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	At         time.Time
	Amount     crmtype.Money // Minor >= 0
}

// AttributionParams configure attribution.
type AttributionParams struct {
	Model AttributionModel // required
	// Lookback is how long before a conversion a touch may be and still
	// count; required, > 0.
	Lookback time.Duration
	// HalfLife is the time_decay model's half-life: required (> 0) for
	// it, ignored by the others (but never negative).
	HalfLife time.Duration
	// Currency is the ISO 4217 code credits are counted in; required.
	Currency string
	// Rates converts conversions in other currencies: Rates["USD"] is how
	// many units (not minor units) of Currency one USD is worth, e.g. 7.1
	// when Currency is "CNY". A conversion in a currency other than
	// Currency without a rate is a *crmtype.ValidationError for field
	// "rates.<code>".
	Rates map[string]float64
}

// Validate returns a *crmtype.ValidationError naming the first bad field:
// "model", "lookback", "half_life", "currency", "rates.<code>".
func (p AttributionParams) Validate() error {
	if !slices.Contains(AttributionModels, p.Model) {
		return crmtype.Invalidf("model", "%q is not one of first_touch, last_touch, linear, time_decay, position_based", p.Model)
	}
	if p.Lookback <= 0 {
		return crmtype.Invalid("lookback", "must be more than zero")
	}
	if p.HalfLife < 0 || (p.Model == ModelTimeDecay && p.HalfLife == 0) {
		return crmtype.Invalid("half_life", "must be more than zero")
	}
	if _, err := customer.CurrencyDigits(p.Currency); err != nil {
		return err
	}
	for code, r := range p.Rates {
		if _, err := customer.CurrencyDigits(code); err != nil {
			return crmtype.Invalidf("rates."+code, "%q is not an ISO 4217 currency", code)
		}
		if !(r > 0) || math.IsInf(r, 0) {
			return crmtype.Invalidf("rates."+code, "must be a positive number, not %v", r)
		}
	}
	return nil
}

// Credit is one touch's share of a conversion.
type Credit struct {
	// Touch is the index of the touch in the slice given to Credit.
	Touch      int
	CampaignID crmtype.ID
	Channel    string
	// Amount is the credited revenue in minor units of the params'
	// currency; the amounts of a conversion's credits sum to its revenue
	// exactly.
	Amount int64
	// Share is the touch's weight over the sum of the weights: the
	// fraction of the conversion credited to it.
	Share float64
}

// AttributionTotal is the credit given to one campaign, one channel or one
// (campaign, channel) pair.
type AttributionTotal struct {
	CampaignID crmtype.ID // zero in the totals per channel
	Channel    string     // "" in the totals per campaign
	// Revenue is the credited revenue, in minor units of the currency.
	Revenue int64
	// Conversions is the sum of the credited shares of conversions.
	Conversions float64
	// Touches counts the touches that were in the window of a
	// conversion, whether the model gave them credit or not (first_touch
	// gives the others none).
	Touches int
}

// Attribution is what an attribution run found. Amounts are in minor
// units of Currency; conversions in other currencies are converted by the
// params' rates (rounded half up to the minor unit) before they are
// split.
type Attribution struct {
	Model    AttributionModel
	Currency string
	// From and To are the conversion window of Service.Attribute; zero
	// for an Attributor's own totals.
	From, To time.Time
	// Conversions counts the conversions, Revenue their revenue.
	Conversions int
	Revenue     int64
	// Attributed counts the conversions with at least one touch in their
	// window, AttributedRevenue their revenue: the sum of the credits.
	Attributed        int
	AttributedRevenue int64
	// Unattributed counts the conversions with no touch in their window;
	// their revenue is not credited to any campaign.
	Unattributed        int
	UnattributedRevenue int64
	// Campaigns, Channels and CampaignChannels are the totals per
	// campaign, per channel and per (campaign, channel), each by revenue,
	// highest first, then by campaign id and channel. The revenues of
	// each list sum to AttributedRevenue.
	Campaigns        []AttributionTotal
	Channels         []AttributionTotal
	CampaignChannels []AttributionTotal
}

// Campaign returns campaign id's total; the zero total when it has none.
func (a *Attribution) Campaign(id crmtype.ID) AttributionTotal {
	for _, t := range a.Campaigns {
		if t.CampaignID == id {
			return t
		}
	}
	return AttributionTotal{CampaignID: id}
}

// Channel returns channel's total over every campaign.
func (a *Attribution) Channel(channel string) AttributionTotal {
	for _, t := range a.Channels {
		if t.Channel == channel {
			return t
		}
	}
	return AttributionTotal{Channel: channel}
}

// CampaignChannel returns the total of campaign id on channel.
func (a *Attribution) CampaignChannel(id crmtype.ID, channel string) AttributionTotal {
	for _, t := range a.CampaignChannels {
		if t.CampaignID == id && t.Channel == channel {
			return t
		}
	}
	return AttributionTotal{CampaignID: id, Channel: channel}
}

type pairKey struct {
	campaign crmtype.ID
	channel  string
}

// Attributor credits conversions to touches under one set of params and
// keeps the totals. It reuses its memory between calls, so it is not safe
// for concurrent use; use one per goroutine.
type Attributor struct {
	p       AttributionParams
	digits  int
	factors map[string]*big.Rat // per currency: minor units of p.Currency per minor unit
	x, y    big.Int             // scratch of convert

	// scratch of Credit
	idx   []int
	w     []uint64
	rem   []uint64
	order []int
	buf   []Credit

	res       Attribution
	campaigns map[crmtype.ID]*AttributionTotal
	channels  map[string]*AttributionTotal
	pairs     map[pairKey]*AttributionTotal
}

// NewAttributor returns an Attributor for p, or p's validation error.
func NewAttributor(p AttributionParams) (*Attributor, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	digits, _ := customer.CurrencyDigits(p.Currency)
	a := &Attributor{p: p, digits: digits, factors: map[string]*big.Rat{},
		campaigns: map[crmtype.ID]*AttributionTotal{}, channels: map[string]*AttributionTotal{}, pairs: map[pairKey]*AttributionTotal{}}
	for code, r := range p.Rates {
		d, _ := customer.CurrencyDigits(code)
		f := new(big.Rat).SetFloat64(r) // exact: the rate as given
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(digits-d))), nil))
		if digits >= d {
			f.Mul(f, scale)
		} else {
			f.Quo(f, scale)
		}
		a.factors[code] = f
	}
	a.res = Attribution{Model: p.Model, Currency: p.Currency}
	return a, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Convert returns m in minor units of the params' currency: m.Minor when
// m is in it, else m.Minor × rate × 10^(digits of the currency − digits
// of m's), rounded half up. Errors: ErrInvalid "rates.<code>" when there
// is no rate for m's currency, "amount" when m is negative or the result
// does not fit in an int64.
func (a *Attributor) Convert(m crmtype.Money) (int64, error) {
	if m.Minor < 0 {
		return 0, crmtype.Invalidf("amount", "is negative (%d)", m.Minor)
	}
	if m.Currency == a.p.Currency {
		return m.Minor, nil
	}
	f, ok := a.factors[m.Currency]
	if !ok {
		return 0, crmtype.Invalidf("rates."+m.Currency, "is required: a conversion is in %s, not %s", m.Currency, a.p.Currency)
	}
	// round(m × num/den) = floor((2·m·num + den) / (2·den))
	a.x.SetInt64(m.Minor)
	a.x.Mul(&a.x, f.Num())
	a.x.Lsh(&a.x, 1)
	a.x.Add(&a.x, f.Denom())
	a.y.Lsh(f.Denom(), 1)
	a.x.Quo(&a.x, &a.y)
	if !a.x.IsInt64() {
		return 0, crmtype.Invalidf("amount", "%s converted to %s does not fit in 64 bits", m, a.p.Currency)
	}
	return a.x.Int64(), nil
}

// Credit splits conversion c among the touches in its window and returns
// one credit per such touch, in time order (ties in the given order),
// appended to dst[:0]; none when no touch is in the window. touches may
// hold every touch of the customer, in any order.
//
// The split is the largest remainder (Hamilton) method in integers: with
// integer weights w_i summing to W and revenue R (minor units), touch i
// gets floor(R·w_i/W) (computed in 128 bits, so exact for any int64 R);
// the units left over, fewer than the number of touches, go one each to
// the touches with the largest remainders R·w_i mod W. Ties go to the
// earlier touch (the earlier position in time order). So $100.00 over
// three touches, linear, is 3334/3333/3333.
//
// The weights: first_touch, last_touch and linear use 1 and 0;
// position_based uses 2(n−2), 1, ..., 1, 2(n−2) over 5(n−2) for n >= 3
// touches (exactly 40/20/40), 1,1 for two and 1 for one. time_decay
// computes 2^(−Δ/HalfLife) in float64, where Δ is a touch's age minus the
// youngest touch's age, and scales it to an integer with the youngest
// touch at 2^(62−ceil(log2 n)) (so W < 2^63); a touch older than about 62
// half-lives beyond the youngest weighs 0. Weights that are powers of two
// apart (ages whole half-lives apart) are exact; others are within about
// 2^−53 (relative) of the real 2^(−Δ/HalfLife), so a credit differs from
// the real-valued quota by less than one unit plus R·2^−50: for any
// purchase up to customer.MaxAmountMinor (10^15), less than two units,
// and the credits still sum to R exactly.
func (a *Attributor) Credit(dst []Credit, c Conversion, touches []Touch) ([]Credit, error) {
	dst, _, err := a.credit(dst, c, touches)
	return dst, err
}

// credit is Credit that also returns the converted amount.
func (a *Attributor) credit(dst []Credit, c Conversion, touches []Touch) ([]Credit, int64, error) {
	dst = dst[:0]
	amount, err := a.Convert(c.Amount)
	if err != nil {
		return dst, 0, err
	}
	// The touches in the window, in time order (stable).
	from := c.At.Add(-a.p.Lookback)
	idx := a.idx[:0]
	for i := range touches {
		t := touches[i].At
		if t.After(c.At) || t.Before(from) {
			continue
		}
		// insertion: touches usually come sorted, so this is linear
		j := len(idx)
		idx = append(idx, i)
		for j > 0 && touches[idx[j-1]].At.After(t) {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = i
	}
	a.idx = idx
	n := len(idx)
	if n == 0 {
		return dst, amount, nil
	}
	w := slices.Grow(a.w[:0], n)[:n]
	a.w = w
	switch a.p.Model {
	case ModelFirstTouch:
		clear(w)
		w[0] = 1
	case ModelLastTouch:
		clear(w)
		w[n-1] = 1
	case ModelLinear:
		for i := range w {
			w[i] = 1
		}
	case ModelPositionBased:
		switch n {
		case 1, 2:
			for i := range w {
				w[i] = 1
			}
		default:
			for i := range w {
				w[i] = 1
			}
			w[0], w[n-1] = 2*uint64(n-2), 2*uint64(n-2)
		}
	case ModelTimeDecay:
		youngest := touches[idx[n-1]].At
		scale := math.Ldexp(1, 62-bits.Len(uint(n-1)))
		hl := float64(a.p.HalfLife)
		for i, k := range idx {
			d := float64(youngest.Sub(touches[k].At)) / hl
			w[i] = uint64(math.Round(scale * math.Exp2(-d)))
		}
	}
	var total uint64
	for _, v := range w {
		total += v
	}
	rem := slices.Grow(a.rem[:0], n)[:n]
	a.rem = rem
	r := uint64(amount)
	var given uint64
	for i := range idx {
		hi, lo := bits.Mul64(r, w[i])
		q, m := bits.Div64(hi, lo, total) // q <= r: hi < total
		dst = append(dst, Credit{Touch: idx[i], CampaignID: touches[idx[i]].CampaignID, Channel: touches[idx[i]].Channel,
			Amount: int64(q), Share: float64(w[i]) / float64(total)})
		rem[i] = m
		given += q
	}
	if left := int(r - given); left > 0 {
		// The left-over units go to the largest remainders, ties to the
		// earlier touch.
		order := slices.Grow(a.order[:0], n)[:n]
		a.order = order
		for i := range order {
			order[i] = i
		}
		before := func(x, y int) bool { return rem[x] > rem[y] || (rem[x] == rem[y] && x < y) }
		if n <= 32 {
			for i := 1; i < n; i++ {
				for j := i; j > 0 && before(order[j], order[j-1]); j-- {
					order[j], order[j-1] = order[j-1], order[j]
				}
			}
		} else {
			slices.SortFunc(order, func(x, y int) int {
				switch {
				case x == y:
					return 0
				case before(x, y):
					return -1
				}
				return 1
			})
		}
		for _, i := range order[:left] {
			dst[i].Amount++
		}
	}
	return dst, amount, nil
}

// Add credits conversion c (see Credit) and adds the credits to the
// totals; a conversion with no touch in its window counts as
// unattributed. Nothing is added on error.
func (a *Attributor) Add(c Conversion, touches []Touch) error {
	cs, amount, err := a.credit(a.buf, c, touches)
	a.buf = cs
	if err != nil {
		return err
	}
	a.res.Conversions++
	a.res.Revenue += amount
	if len(cs) == 0 {
		a.res.Unattributed++
		a.res.UnattributedRevenue += amount
		return nil
	}
	a.res.Attributed++
	a.res.AttributedRevenue += amount
	for _, cr := range cs {
		t := a.campaigns[cr.CampaignID]
		if t == nil {
			t = &AttributionTotal{CampaignID: cr.CampaignID}
			a.campaigns[cr.CampaignID] = t
		}
		t.Revenue += cr.Amount
		t.Conversions += cr.Share
		t.Touches++
		ch := a.channels[cr.Channel]
		if ch == nil {
			ch = &AttributionTotal{Channel: cr.Channel}
			a.channels[cr.Channel] = ch
		}
		ch.Revenue += cr.Amount
		ch.Conversions += cr.Share
		ch.Touches++
		k := pairKey{cr.CampaignID, cr.Channel}
		p := a.pairs[k]
		if p == nil {
			p = &AttributionTotal{CampaignID: cr.CampaignID, Channel: cr.Channel}
			a.pairs[k] = p
		}
		p.Revenue += cr.Amount
		p.Conversions += cr.Share
		p.Touches++
	}
	return nil
}

// Result returns the totals of the conversions added so far.
func (a *Attributor) Result() *Attribution {
	out := a.res
	out.Campaigns = sortedTotals(a.campaigns)
	out.Channels = sortedTotals(a.channels)
	out.CampaignChannels = sortedTotals(a.pairs)
	return &out
}

func sortedTotals[K comparable](m map[K]*AttributionTotal) []AttributionTotal {
	out := make([]AttributionTotal, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(x, y AttributionTotal) int {
		switch {
		case x.Revenue != y.Revenue:
			if x.Revenue > y.Revenue {
				return -1
			}
			return 1
		case x.CampaignID != y.CampaignID:
			return bytes.Compare(x.CampaignID[:], y.CampaignID[:])
		}
		return strings.Compare(x.Channel, y.Channel)
	})
	return out
}

// Attribute credits one conversion under p: a shortcut for NewAttributor
// and Credit.
func Attribute(p AttributionParams, c Conversion, touches []Touch) ([]Credit, error) {
	a, err := NewAttributor(p)
	if err != nil {
		return nil, err
	}
	return a.Credit(nil, c, touches)
}

// Journey is one customer's conversions in a window and the touches that
// may precede them, each in time order.
type Journey struct {
	CustomerID  crmtype.ID
	Conversions []Conversion
	Touches     []Touch
}

// JourneyQuery selects the journeys of an attribution run: the customers
// with a purchase at or after From and before To, and their touches from
// From − Lookback up to To.
type JourneyQuery struct {
	From, To time.Time
	Lookback time.Duration
}

// AttributionStore reads journeys. Every method confines itself to the
// scope's workspace.
type AttributionStore interface {
	// AttributionJourneys calls fn once per customer with a purchase in
	// [q.From, q.To), in customer order, with those purchases as
	// conversions and the customer's touches in [q.From − q.Lookback,
	// q.To), both in time order. It reads a batch of customers at a time,
	// so memory stays bounded whatever the number of customers; fn must
	// not keep the journey, which is reused. The touches are:
	//   - a member log entry (crm_campaign_member_log) with status
	//     delivered, opened or clicked: Kind the status, Channel the
	//     campaign's channel;
	//   - an interaction whose campaign_id is a campaign of the workspace,
	//     or, when it has none, whose meta "utm_campaign" equals the UTM
	//     campaign of exactly one campaign of the workspace (an interaction
	//     whose tag matches several campaigns is not a touch): Kind
	//     "interaction", Channel the interaction's channel.
	// At the same instant member-log touches come before interactions,
	// each by id. An error of fn stops the walk and is returned.
	AttributionJourneys(ctx context.Context, sc crmtype.Scope, q JourneyQuery, fn func(j *Journey) error) error
}

// AttributionQuery selects the conversions to attribute and the model.
type AttributionQuery struct {
	// From and To are the conversion window: purchases at or after From
	// and before To are the conversions. Both required, To after From.
	From, To time.Time
	AttributionParams
}

// Attribute credits the workspace's purchases in [q.From, q.To) to the
// campaign touches before them (see AttributionStore for what a touch is
// and AttributionModel for the models) and returns the totals per
// campaign, per channel and per (campaign, channel). Every purchase is a
// conversion, whatever its customer's membership. Errors: a
// *crmtype.ValidationError naming "from", "to" or a field of
// AttributionParams (see Validate); "rates.<code>" when a purchase is in
// a currency without a rate.
func (s *Service) Attribute(ctx context.Context, q AttributionQuery) (*Attribution, error) {
	const op = "attribute"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if q.From.IsZero() {
		return nil, wrap(op, crmtype.Invalid("from", "is required"))
	}
	if q.To.IsZero() {
		return nil, wrap(op, crmtype.Invalid("to", "is required"))
	}
	if !q.To.After(q.From) {
		return nil, wrap(op, crmtype.Invalid("to", "must be after from"))
	}
	a, err := NewAttributor(q.AttributionParams)
	if err != nil {
		return nil, wrap(op, err)
	}
	err = s.store.AttributionJourneys(ctx, sc, JourneyQuery{From: q.From.UTC(), To: q.To.UTC(), Lookback: q.Lookback}, func(j *Journey) error {
		for _, c := range j.Conversions {
			if err := a.Add(c, j.Touches); err != nil {
				return fmt.Errorf("conversion %s: %w", c.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	res := a.Result()
	res.From, res.To = q.From.UTC(), q.To.UTC()
	return res, nil
}
