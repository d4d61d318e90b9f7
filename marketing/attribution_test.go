package marketing_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/marketing"
)

var (
	attrT   = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day     = 24 * time.Hour
	cmpA    = crmtype.ID{0: 0xa}
	cmpB    = crmtype.ID{0: 0xb}
	cmpC    = crmtype.ID{0: 0xc}
	cmpD    = crmtype.ID{0: 0xd}
	cmpE    = crmtype.ID{0: 0xe}
	someone = crmtype.ID{0: 0x1}
)

func usd(minor int64) crmtype.Money { return crmtype.Money{Minor: minor, Currency: "USD"} }

func conv(minor int64) marketing.Conversion {
	return marketing.Conversion{ID: crmtype.ID{0: 0xff}, CustomerID: someone, At: attrT, Amount: usd(minor)}
}

func params(m marketing.AttributionModel) marketing.AttributionParams {
	return marketing.AttributionParams{Model: m, Lookback: 30 * day, HalfLife: 7 * day, Currency: "USD"}
}

func amounts(cs []marketing.Credit) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.Amount
	}
	return out
}

func credit(t *testing.T, p marketing.AttributionParams, c marketing.Conversion, ts []marketing.Touch) []int64 {
	t.Helper()
	cs, err := marketing.Attribute(p, c, ts)
	require.NoError(t, err)
	return amounts(cs)
}

// journey3 is A (email, 10 days before), B (search, 5 days), C (social,
// 1 day).
var journey3 = []marketing.Touch{
	{CampaignID: cmpA, Channel: "email", At: attrT.Add(-10 * day), Kind: marketing.TouchDelivered},
	{CampaignID: cmpB, Channel: "search", At: attrT.Add(-5 * day), Kind: marketing.TouchInteraction},
	{CampaignID: cmpC, Channel: "social", At: attrT.Add(-1 * day), Kind: marketing.TouchClicked},
}

// TestAttributionModelsByHand works every model through journeys by hand.
// Tie-break of the largest remainder method: equal remainders go to the
// earlier touch.
func TestAttributionModelsByHand(t *testing.T) {
	// first_touch: all to A. last_touch: all to C.
	require.Equal(t, []int64{10000, 0, 0}, credit(t, params(marketing.ModelFirstTouch), conv(10000), journey3))
	require.Equal(t, []int64{0, 0, 10000}, credit(t, params(marketing.ModelLastTouch), conv(10000), journey3))

	// linear, $100.00 over 3: 10000/3 = 3333 r 1 each; 3 × 3333 = 9999,
	// 1 cent left; the remainders tie, so the earliest touch (A) gets it:
	// 3334/3333/3333.
	require.Equal(t, []int64{3334, 3333, 3333}, credit(t, params(marketing.ModelLinear), conv(10000), journey3))
	// linear, 2 cents over 3: 0 r 2 each; two left, to A and B.
	require.Equal(t, []int64{1, 1, 0}, credit(t, params(marketing.ModelLinear), conv(2), journey3))
	// 1 minor unit: to the first touch.
	require.Equal(t, []int64{1, 0, 0}, credit(t, params(marketing.ModelLinear), conv(1), journey3))

	// position_based, 3 touches: weights 2,1,2 over 5 (40/20/40).
	// 10000: 4000/2000/4000 exactly.
	require.Equal(t, []int64{4000, 2000, 4000}, credit(t, params(marketing.ModelPositionBased), conv(10000), journey3))
	// 10001: 20002/5 = 4000 r 2; 10001/5 = 2000 r 1; 4000 r 2; one left,
	// A and C tie at 2, the earlier (A) gets it: 4001/2000/4000.
	require.Equal(t, []int64{4001, 2000, 4000}, credit(t, params(marketing.ModelPositionBased), conv(10001), journey3))
	// 4 touches (D at the conversion): weights 4,1,1,4 over 10.
	// 999: 3996/10 = 399 r 6; 999/10 = 99 r 9; 99 r 9; 399 r 6 →
	// 996, three left: B (9), C (9), then A (6, earlier than D):
	// 400/100/100/399.
	j4 := append(append([]marketing.Touch{}, journey3...), marketing.Touch{CampaignID: cmpD, Channel: "email", At: attrT, Kind: marketing.TouchOpened})
	require.Equal(t, []int64{400, 100, 100, 399}, credit(t, params(marketing.ModelPositionBased), conv(999), j4))
	// 5 touches (E 2 days before): weights 6,1,1,1,6 over 15. 10000:
	// 60000/15 = 4000; 10000/15 = 666 r 10 (×3); 4000 → 9998, two left
	// to B and C (remainder 10, earliest first): 4000/667/667/666/4000;
	// the middle three share 2000, 20%.
	j5 := append(append([]marketing.Touch{}, journey3...),
		marketing.Touch{CampaignID: cmpE, Channel: "sms", At: attrT.Add(-2 * day), Kind: marketing.TouchDelivered},
		marketing.Touch{CampaignID: cmpD, Channel: "email", At: attrT, Kind: marketing.TouchOpened})
	// given out of order: E (2 days) sorts between B (5) and C (1)
	require.Equal(t, []int64{4000, 667, 667, 666, 4000}, credit(t, params(marketing.ModelPositionBased), conv(10000), j5))
	cs, err := marketing.Attribute(params(marketing.ModelPositionBased), conv(10000), j5)
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 3, 2, 4}, []int{cs[0].Touch, cs[1].Touch, cs[2].Touch, cs[3].Touch, cs[4].Touch})
	require.Equal(t, []crmtype.ID{cmpA, cmpB, cmpE, cmpC, cmpD}, []crmtype.ID{cs[0].CampaignID, cs[1].CampaignID, cs[2].CampaignID, cs[3].CampaignID, cs[4].CampaignID})
	require.InDelta(t, 0.4, cs[0].Share, 1e-15)
	require.InDelta(t, 1.0/15, cs[2].Share, 1e-15)
	// 2 touches: 50/50; 10001 → 5001/5000 (the tie to the earlier).
	require.Equal(t, []int64{5001, 5000}, credit(t, params(marketing.ModelPositionBased), conv(10001), journey3[1:]))
	// 1 touch: 100%.
	require.Equal(t, []int64{10001}, credit(t, params(marketing.ModelPositionBased), conv(10001), journey3[2:]))

	// time_decay, half-life 7 days, touches 14, 7 and 0 days before:
	// weights 1/4, 1/2, 1 (1, 2, 4 over 7). 10000: 10000/7 = 1428 r 4;
	// 20000/7 = 2857 r 1; 40000/7 = 5714 r 2 → 9999, one left to the
	// largest remainder, the oldest touch: 1429/2857/5714.
	decay := []marketing.Touch{
		{CampaignID: cmpA, Channel: "email", At: attrT.Add(-14 * day)},
		{CampaignID: cmpB, Channel: "search", At: attrT.Add(-7 * day)},
		{CampaignID: cmpC, Channel: "social", At: attrT},
	}
	require.Equal(t, []int64{1429, 2857, 5714}, credit(t, params(marketing.ModelTimeDecay), conv(10000), decay))
	// The weights are relative: the same touches a day earlier (1, 8 and
	// 15 days before the conversion) split the same way.
	shifted := make([]marketing.Touch, len(decay))
	for i, tc := range decay {
		tc.At = tc.At.Add(-day)
		shifted[i] = tc
	}
	require.Equal(t, []int64{1429, 2857, 5714}, credit(t, params(marketing.ModelTimeDecay), conv(10000), shifted))
	// Half-life 1 day, touches 1.5 days and 0 before: weights 2^-1.5 =
	// 0.353553 and 1; shares 0.261204 and 0.738796 → 2612.04 and 7387.96:
	// 2612 r .04, 7387 r .96; the cent left goes to the later touch:
	// 2612/7388.
	p := params(marketing.ModelTimeDecay)
	p.HalfLife = day
	require.Equal(t, []int64{2612, 7388}, credit(t, p, conv(10000), []marketing.Touch{
		{CampaignID: cmpA, At: attrT.Add(-36 * time.Hour)}, {CampaignID: cmpB, At: attrT}}))
	// Two touches at the same instant: equal weights, the tie to the one
	// given first.
	require.Equal(t, []int64{5001, 5000}, credit(t, p, conv(10001), []marketing.Touch{
		{CampaignID: cmpA, At: attrT}, {CampaignID: cmpB, At: attrT}}))
}

func TestAttributionLookbackBoundaries(t *testing.T) {
	p := params(marketing.ModelLinear)
	p.Lookback = 7 * day
	in := func(at time.Time) bool {
		cs, err := marketing.Attribute(p, conv(100), []marketing.Touch{{CampaignID: cmpA, At: at}})
		require.NoError(t, err)
		return len(cs) == 1
	}
	require.True(t, in(attrT.Add(-7*day)), "exactly the lookback before: in")
	require.False(t, in(attrT.Add(-7*day-time.Nanosecond)), "a nanosecond earlier: out")
	require.True(t, in(attrT), "at the conversion: in")
	require.False(t, in(attrT.Add(time.Nanosecond)), "after the conversion: out")

	// Touches outside the window take no part in the split: A is 10 days
	// before, out of a 7-day lookback; B and C share 10000 linearly.
	require.Equal(t, []int64{5000, 5000}, credit(t, p, conv(10000), journey3))
	// first_touch is the first touch in the window (B), not A.
	p.Model = marketing.ModelFirstTouch
	cs, err := marketing.Attribute(p, conv(10000), journey3)
	require.NoError(t, err)
	require.Equal(t, cmpB, cs[0].CampaignID)
	require.Equal(t, int64(10000), cs[0].Amount)

	// No touch in the window: unattributed.
	a, err := marketing.NewAttributor(p)
	require.NoError(t, err)
	require.NoError(t, a.Add(conv(500), []marketing.Touch{{CampaignID: cmpA, At: attrT.Add(-8 * day)}}))
	require.NoError(t, a.Add(conv(700), nil))
	require.NoError(t, a.Add(conv(1000), journey3))
	r := a.Result()
	require.Equal(t, 3, r.Conversions)
	require.Equal(t, int64(2200), r.Revenue)
	require.Equal(t, 2, r.Unattributed)
	require.Equal(t, int64(1200), r.UnattributedRevenue)
	require.Equal(t, 1, r.Attributed)
	require.Equal(t, int64(1000), r.AttributedRevenue)
	require.Equal(t, marketing.AttributionTotal{CampaignID: cmpB, Revenue: 1000, Conversions: 1, Touches: 1}, r.Campaign(cmpB))
	require.Equal(t, marketing.AttributionTotal{CampaignID: cmpC, Touches: 1}, r.Campaign(cmpC))
	require.Equal(t, marketing.AttributionTotal{CampaignID: cmpA}, r.Campaign(cmpA))
}

func TestAttributionTotals(t *testing.T) {
	a, err := marketing.NewAttributor(params(marketing.ModelLinear))
	require.NoError(t, err)
	// 10000 over A(email), B(search), C(social): 3334/3333/3333.
	require.NoError(t, a.Add(conv(10000), journey3))
	// 501 over A(email) and A again by sms: 251/250.
	require.NoError(t, a.Add(conv(501), []marketing.Touch{
		{CampaignID: cmpA, Channel: "email", At: attrT.Add(-time.Hour)},
		{CampaignID: cmpA, Channel: "sms", At: attrT}}))
	r := roundTotals(a.Result())
	require.Equal(t, marketing.ModelLinear, r.Model)
	require.Equal(t, "USD", r.Currency)
	require.Equal(t, int64(10501), r.AttributedRevenue)
	require.Equal(t, []marketing.AttributionTotal{
		{CampaignID: cmpA, Revenue: 3334 + 251 + 250, Conversions: r9(1.0/3 + 1), Touches: 3},
		{CampaignID: cmpB, Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
		{CampaignID: cmpC, Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
	}, r.Campaigns)
	require.Equal(t, []marketing.AttributionTotal{
		{Channel: "email", Revenue: 3334 + 251, Conversions: r9(1.0/3 + 0.5), Touches: 2},
		{Channel: "search", Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
		{Channel: "social", Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
		{Channel: "sms", Revenue: 250, Conversions: r9(0.5), Touches: 1},
	}, r.Channels)
	require.Equal(t, []marketing.AttributionTotal{
		{CampaignID: cmpA, Channel: "email", Revenue: 3334 + 251, Conversions: r9(1.0/3 + 0.5), Touches: 2},
		{CampaignID: cmpB, Channel: "search", Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
		{CampaignID: cmpC, Channel: "social", Revenue: 3333, Conversions: r9(1.0 / 3), Touches: 1},
		{CampaignID: cmpA, Channel: "sms", Revenue: 250, Conversions: r9(0.5), Touches: 1},
	}, r.CampaignChannels)
	require.Equal(t, int64(3334+251), r.CampaignChannel(cmpA, "email").Revenue)
	require.Equal(t, int64(250), r.Channel("sms").Revenue)
}

// roundTotals rounds the conversion credits of r's totals to 1e-9, so they
// compare with hand-written fractions.
func roundTotals(r *marketing.Attribution) *marketing.Attribution {
	for _, ts := range [][]marketing.AttributionTotal{r.Campaigns, r.Channels, r.CampaignChannels} {
		for i := range ts {
			ts[i].Conversions = math.Round(ts[i].Conversions*1e9) / 1e9
		}
	}
	return r
}

func r9(x float64) float64 { return math.Round(x*1e9) / 1e9 }

func TestAttributionCurrency(t *testing.T) {
	p := params(marketing.ModelLinear)
	p.Currency = "CNY"
	p.Rates = map[string]float64{"USD": 7.1, "JPY": 0.125, "KWD": 23.5}
	a, err := marketing.NewAttributor(p)
	require.NoError(t, err)
	for _, c := range []struct {
		m    crmtype.Money
		want int64
	}{
		{crmtype.Money{Minor: 12345, Currency: "CNY"}, 12345},
		// $100.00 at 7.1 = ¥710.00
		{usd(10000), 71000},
		// ¥1 (JPY has no minor unit) at 0.125 = 12.5 fen, half up: 13;
		// ¥3 = 37.5 → 38; ¥1000 = 125.00 CNY
		{crmtype.Money{Minor: 1, Currency: "JPY"}, 13},
		{crmtype.Money{Minor: 3, Currency: "JPY"}, 38},
		{crmtype.Money{Minor: 1000, Currency: "JPY"}, 12500},
		// 1.000 KWD (3 digits) at 23.5 = 23.50 CNY; 0.001 KWD = 2.35 fen → 2
		{crmtype.Money{Minor: 1000, Currency: "KWD"}, 2350},
		{crmtype.Money{Minor: 1, Currency: "KWD"}, 2},
	} {
		got, err := a.Convert(c.m)
		require.NoError(t, err, c.m)
		require.Equal(t, c.want, got, c.m)
	}
	// Credits of a converted conversion sum to the converted amount.
	cs, err := a.Credit(nil, marketing.Conversion{At: attrT, Amount: usd(10001)}, journey3)
	require.NoError(t, err)
	// 10001 × 7.1 = 71007.1 → 71007 = 23669 × 3: 23669 each.
	require.Equal(t, []int64{23669, 23669, 23669}, amounts(cs))

	// A conversion in a currency without a rate: ErrInvalid "rates.EUR",
	// and nothing counted.
	err = a.Add(marketing.Conversion{At: attrT, Amount: crmtype.Money{Minor: 100, Currency: "EUR"}}, journey3)
	requireAttrField(t, err, "rates.EUR")
	require.Equal(t, 0, a.Result().Conversions)
	p.Rates = nil
	_, err = marketing.Attribute(p, marketing.Conversion{At: attrT, Amount: usd(1)}, journey3)
	requireAttrField(t, err, "rates.USD")
}

func requireAttrField(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Equal(t, field, ve.Field, "%v", err)
}

func TestAttributionBadParams(t *testing.T) {
	ok := params(marketing.ModelTimeDecay)
	require.NoError(t, ok.Validate())
	for _, c := range []struct {
		field string
		edit  func(p *marketing.AttributionParams)
	}{
		{"model", func(p *marketing.AttributionParams) { p.Model = "" }},
		{"model", func(p *marketing.AttributionParams) { p.Model = "u_shaped" }},
		{"lookback", func(p *marketing.AttributionParams) { p.Lookback = 0 }},
		{"lookback", func(p *marketing.AttributionParams) { p.Lookback = -day }},
		{"half_life", func(p *marketing.AttributionParams) { p.HalfLife = 0 }},
		{"half_life", func(p *marketing.AttributionParams) { p.Model, p.HalfLife = marketing.ModelLinear, -day }},
		{"currency", func(p *marketing.AttributionParams) { p.Currency = "" }},
		{"currency", func(p *marketing.AttributionParams) { p.Currency = "usd" }},
		{"rates.usd", func(p *marketing.AttributionParams) { p.Rates = map[string]float64{"usd": 1} }},
		{"rates.EUR", func(p *marketing.AttributionParams) { p.Rates = map[string]float64{"EUR": 0} }},
		{"rates.EUR", func(p *marketing.AttributionParams) { p.Rates = map[string]float64{"EUR": math.NaN()} }},
		{"rates.EUR", func(p *marketing.AttributionParams) { p.Rates = map[string]float64{"EUR": math.Inf(1)} }},
	} {
		p := ok
		c.edit(&p)
		_, err := marketing.NewAttributor(p)
		requireAttrField(t, err, c.field)
		_, err = marketing.Attribute(p, conv(1), journey3)
		requireAttrField(t, err, c.field)
	}
	// A half-life is not needed by the other models.
	p := ok
	p.Model, p.HalfLife = marketing.ModelLinear, 0
	require.NoError(t, p.Validate())
	// A negative amount.
	_, err := marketing.Attribute(ok, conv(-1), journey3)
	requireAttrField(t, err, "amount")
}

// refWeights are the model's exact weights (as rationals) for n touches,
// computed independently of the engine; nil for time_decay.
func refWeights(m marketing.AttributionModel, n int) []*big.Rat {
	w := make([]*big.Rat, n)
	for i := range w {
		w[i] = new(big.Rat)
	}
	switch m {
	case marketing.ModelFirstTouch:
		w[0].SetInt64(1)
	case marketing.ModelLastTouch:
		w[n-1].SetInt64(1)
	case marketing.ModelLinear:
		for i := range w {
			w[i].SetFrac64(1, int64(n))
		}
	case marketing.ModelPositionBased:
		switch n {
		case 1:
			w[0].SetInt64(1)
		case 2:
			w[0].SetFrac64(1, 2)
			w[1].SetFrac64(1, 2)
		default:
			for i := range w {
				w[i].SetFrac64(1, 5*int64(n-2)) // 20% / (n-2)
			}
			w[0].SetFrac64(2, 5)
			w[n-1].SetFrac64(2, 5)
		}
	default:
		return nil
	}
	return w
}

// TestAttributionProperties checks random journeys under every model:
// credits never negative, summing exactly to the amount; for the models
// with rational weights each credit is its exact quota rounded down or
// up (the quota property of Hamilton's method) and the largest
// remainders get the units left; time_decay credits are within one unit
// (plus float rounding) of amount × 2^(−age/half-life) / Σ.
func TestAttributionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	specials := []int64{0, 1, 2, 3, 7, 99, 1e15, 1e15 - 1, math.MaxInt64, math.MaxInt64 - 1}
	for iter := range 3000 {
		n := 1 + rng.IntN(12)
		if iter%10 == 0 {
			n = 30 + rng.IntN(50) // past the insertion-sort limit
		}
		touches := make([]marketing.Touch, n)
		for i := range touches {
			touches[i] = marketing.Touch{CampaignID: crmtype.ID{0: byte(rng.IntN(4))}, Channel: []string{"email", "sms"}[rng.IntN(2)],
				At: attrT.Add(-time.Duration(rng.Int64N(int64(20 * day))))}
		}
		var amount int64
		switch rng.IntN(3) {
		case 0:
			amount = specials[rng.IntN(len(specials))]
		case 1:
			amount = rng.Int64N(100_000)
		default:
			amount = rng.Int64N(1e15)
		}
		for _, m := range marketing.AttributionModels {
			p := params(m)
			p.HalfLife = time.Duration(1 + rng.Int64N(int64(10*day)))
			cs, err := marketing.Attribute(p, conv(amount), touches)
			require.NoError(t, err)
			require.Len(t, cs, n)
			var sum int64
			var shares float64
			for i, c := range cs {
				require.GreaterOrEqual(t, c.Amount, int64(0))
				sum += c.Amount
				shares += c.Share
				if i > 0 {
					require.False(t, touches[cs[i-1].Touch].At.After(touches[c.Touch].At), "time order")
				}
			}
			require.Equal(t, amount, sum, "model %s, amount %d, %d touches", m, amount, n)
			require.InDelta(t, 1, shares, 1e-9)
			if w := refWeights(m, n); w != nil {
				checkHamilton(t, amount, w, cs)
			} else {
				youngest := touches[cs[n-1].Touch].At
				var tot float64
				ws := make([]float64, n)
				for i, c := range cs {
					ws[i] = math.Exp2(-float64(youngest.Sub(touches[c.Touch].At)) / float64(p.HalfLife))
					tot += ws[i]
				}
				for i, c := range cs {
					q := float64(amount) * ws[i] / tot
					// the engine's integer weights and this float reference
					// are both within about 2^-53 of the ideal weights, so
					// a credit is within one unit plus amount × 2^-48
					require.InDelta(t, q, float64(c.Amount), 1+float64(amount)*0x1p-48, "time decay credit %d", i)
				}
			}
		}
	}
}

// checkHamilton checks cs against the exact Hamilton apportionment of
// amount by rational weights w: each credit is floor(quota) or
// floor(quota)+1, the +1s going to the largest fractional parts (ties to
// the earlier touch).
func checkHamilton(t *testing.T, amount int64, w []*big.Rat, cs []marketing.Credit) {
	t.Helper()
	a := new(big.Rat).SetInt64(amount)
	type part struct {
		floor int64
		frac  *big.Rat
	}
	parts := make([]part, len(w))
	for i := range w {
		q := new(big.Rat).Mul(a, w[i])
		f := new(big.Int).Quo(q.Num(), q.Denom())
		parts[i] = part{f.Int64(), new(big.Rat).Sub(q, new(big.Rat).SetInt(f))}
		d := cs[i].Amount - parts[i].floor
		require.True(t, d == 0 || d == 1, "credit %d is %d, quota %s", i, cs[i].Amount, q.FloatString(3))
	}
	// Every touch that got the extra unit has a fraction at least as large
	// as every touch that did not (and, on a tie, comes earlier).
	for i := range parts {
		for j := range parts {
			gotI, gotJ := cs[i].Amount > parts[i].floor, cs[j].Amount > parts[j].floor
			if gotI && !gotJ {
				c := parts[i].frac.Cmp(parts[j].frac)
				require.True(t, c > 0 || (c == 0 && i < j), "touch %d got a unit before %d", i, j)
			}
		}
	}
}

// TestAttributorReuse checks that an Attributor's results do not depend on
// what it credited before (it reuses its scratch memory).
func TestAttributorReuse(t *testing.T) {
	a, err := marketing.NewAttributor(params(marketing.ModelPositionBased))
	require.NoError(t, err)
	var dst []marketing.Credit
	dst, err = a.Credit(dst, conv(10000), j5For())
	require.NoError(t, err)
	require.Len(t, dst, 5)
	dst, err = a.Credit(dst, conv(10001), journey3)
	require.NoError(t, err)
	require.Equal(t, []int64{4001, 2000, 4000}, amounts(dst))
}

func j5For() []marketing.Touch {
	out := append([]marketing.Touch{}, journey3...)
	return append(out, marketing.Touch{CampaignID: cmpD, At: attrT}, marketing.Touch{CampaignID: cmpE, At: attrT.Add(-3 * day)})
}

func ExampleAttribute() {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	email, search, social := crmtype.ID{0: 1}, crmtype.ID{0: 2}, crmtype.ID{0: 3}
	touches := []marketing.Touch{
		{CampaignID: email, Channel: "email", At: at.Add(-10 * 24 * time.Hour), Kind: marketing.TouchOpened},
		{CampaignID: search, Channel: "search", At: at.Add(-5 * 24 * time.Hour), Kind: marketing.TouchInteraction},
		{CampaignID: social, Channel: "social", At: at.Add(-24 * time.Hour), Kind: marketing.TouchClicked},
	}
	purchase := marketing.Conversion{At: at, Amount: crmtype.Money{Minor: 10000, Currency: "USD"}}
	for _, m := range marketing.AttributionModels {
		cs, err := marketing.Attribute(marketing.AttributionParams{Model: m, Lookback: 30 * 24 * time.Hour,
			HalfLife: 7 * 24 * time.Hour, Currency: "USD"}, purchase, touches)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-15s", m)
		for _, c := range cs {
			fmt.Printf(" %s %5d", c.Channel, c.Amount)
		}
		fmt.Println()
	}
	// Output:
	// first_touch     email 10000 search     0 social     0
	// last_touch      email     0 search     0 social 10000
	// linear          email  3334 search  3333 social  3333
	// time_decay      email  1969 search  3230 social  4801
	// position_based  email  4000 search  2000 social  4000
}
