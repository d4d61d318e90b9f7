package communication

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

var recT0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// sweepRows runs the response rule over rows (already in customer and
// time order) with attempts counted in [from, to).
func sweepRows(rows []HistoryRow, from, to time.Time, window time.Duration, now time.Time) *tallies {
	w := newSweep(from, to, window, now)
	for i := range rows {
		w.row(&rows[i])
	}
	w.endCustomer()
	return w.t
}

func TestResponseRateRule(t *testing.T) {
	a, b := crmtype.NewID(recT0), crmtype.NewID(recT0.Add(time.Millisecond))
	T := time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC) // 19:00 in Shanghai
	out := func(c crmtype.ID, zone string, ch Channel, at time.Time, answered bool) HistoryRow {
		return HistoryRow{CustomerID: c, TimeZone: zone, Channel: ch, Direction: Outbound, OccurredAt: at, Answered: answered}
	}
	in := func(c crmtype.ID, zone string, ch Channel, at time.Time) HistoryRow {
		return HistoryRow{CustomerID: c, TimeZone: zone, Channel: ch, Direction: Inbound, OccurredAt: at}
	}
	const sh = "Asia/Shanghai"
	day := 24 * time.Hour
	now := T.Add(10 * day)
	rows := []HistoryRow{
		in(a, sh, Email, T.Add(-time.Hour)),               // an inbound before any attempt answers nothing
		out(a, sh, Email, T, false),                       // answered by the reply 2h later
		in(a, sh, Email, T.Add(2*time.Hour)),              //
		out(a, sh, Email, T.Add(day), false),              // cut by the next attempt: unanswered
		out(a, sh, Email, T.Add(day+time.Hour), false),    // answered: the reply goes to the latest attempt only
		in(a, sh, Email, T.Add(day+3*time.Hour)),          //
		in(a, sh, Email, T.Add(day+4*time.Hour)),          // a second reply answers nothing more
		out(a, sh, SMS, T.Add(3*day), false),              // a reply on another channel does not count
		in(a, sh, Email, T.Add(3*day+time.Hour)),          //
		out(a, sh, SMS, T.Add(4*day), false),              // a reply after the window does not count
		in(a, sh, SMS, T.Add(4*day+73*time.Hour)),         //
		out(a, sh, Phone, T.Add(5*day), true),             // answered by its outcome (connected)
		out(a, sh, Email, now.Add(-time.Hour), false),     // window still open: left out
		out(b, "Mars/Olympus", Email, T, false),           // an unknown zone is UTC
		in(b, "Mars/Olympus", Email, T.Add(72*time.Hour)), // exactly at the end of the window: counts
		out(b, "", Chat, T.Add(time.Hour), false),
	}
	tl := sweepRows(rows, time.Time{}, time.Time{}, DefaultResponseWindow, now)
	require.Equal(t, tally{2, 3}, tl.channel(Email).total.minus(tally{1, 1}), "a's email: 2 of 3")
	require.Equal(t, tally{3, 4}, tl.channel(Email).total, "a's 2 of 3 and b's 1 of 1")
	require.Equal(t, tally{0, 2}, tl.channel(SMS).total)
	require.Equal(t, tally{1, 1}, tl.channel(Phone).total)
	require.Equal(t, tally{0, 1}, tl.channel(Chat).total)
	require.Equal(t, 1, tl.open)
	require.Equal(t, 2, tl.customers)
	require.Equal(t, tally{4, 8}, tl.all.total)
	// Local hours: a's first email at 19:00 Shanghai, b's at 11:00 UTC.
	require.Equal(t, tally{1, 2}, tl.channel(Email).hour[19], "a's first, answered, and its second day's first, cut")
	require.Equal(t, tally{1, 1}, tl.channel(Email).hour[20])
	require.Equal(t, tally{1, 1}, tl.channel(Email).hour[11])
	require.Equal(t, tally{0, 1}, tl.channel(Chat).hour[12])
	require.Equal(t, 2, tl.channel(Email).wd[time.Monday].n, "2026-06-01 is a Monday")

	// A window of attempts: only those in [from, to) count; an attempt
	// after to still cuts an earlier one; replies up to to+window count.
	rows = []HistoryRow{
		out(a, "", Email, T.Add(-day), false), // before from: not counted
		in(a, "", Email, T.Add(-day+time.Hour)),
		out(a, "", Email, T, false), // counted, cut by the attempt after to
		out(a, "", Email, T.Add(2*time.Hour), false),
		in(a, "", Email, T.Add(3*time.Hour)),
	}
	tl = sweepRows(rows, T, T.Add(time.Hour), DefaultResponseWindow, now)
	require.Equal(t, tally{0, 1}, tl.all.total)
	// The open window ends at to+window when that is before now.
	rows = []HistoryRow{out(a, "", Email, T, false)}
	tl = sweepRows(rows, T, T.Add(time.Hour), DefaultResponseWindow, T.Add(2*time.Hour))
	require.Equal(t, 1, tl.open)
	require.Zero(t, tl.all.total.n)
	tl = sweepRows(rows, T, T.Add(time.Hour), DefaultResponseWindow, T.Add(10*day))
	require.Equal(t, tally{0, 1}, tl.all.total)
}

func TestResponseRatesFromTallies(t *testing.T) {
	tl := newTallies()
	at := time.Date(2026, 6, 1, 19, 0, 0, 0, time.UTC)
	for i := range 20 {
		tl.count(Email, at, i < 6)
	}
	tl.count(SMS, at.Add(time.Hour), true)
	tl.customers = 1
	r := tl.rates(RateParams{Level: 0.95, Window: DefaultResponseWindow})
	require.Len(t, r.ByChannel, 2)
	em, ok := r.Channel(Email)
	require.True(t, ok)
	require.Equal(t, 6, em.Successes)
	require.Equal(t, 20, em.Trials)
	require.InDelta(t, 0.3, em.Rate.Rate, 1e-12)
	// Wilson 6/20 at 95%: [0.1455, 0.5190] (R: binom::binom.wilson).
	require.InDelta(t, 0.1455, em.CI.Lo, 1e-4)
	require.InDelta(t, 0.5190, em.CI.Hi, 1e-4)
	require.Equal(t, 20, em.ByHour[19].Trials)
	require.Equal(t, 0, em.ByHour[18].Trials)
	require.Equal(t, 0.0, em.ByHour[18].CI.Lo)
	require.Equal(t, 1.0, em.ByHour[18].CI.Hi)
	require.Equal(t, 21, r.Total.Trials)
	require.Equal(t, 1, r.ByHour[20].Trials)
	_, ok = r.Channel(Phone)
	require.False(t, ok)
	// fromRates inverts rates.
	back := fromRates(r)
	require.Equal(t, tl.all, back.all)
	require.Equal(t, *tl.ch[Email], *back.ch[Email])
}

func TestResponseRateTallyMinus(t *testing.T) {
	require.Equal(t, tally{3, 7}, tally{5, 10}.minus(tally{2, 3}))
	require.Equal(t, tally{0, 0}, tally{1, 2}.minus(tally{2, 5}))
	require.Equal(t, tally{1, 1}, tally{3, 4}.minus(tally{0, 3}), "successes never exceed trials")
	ref, cust := newTallies(), newTallies()
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i := range 10 {
		ref.count(Email, at, i < 4)
	}
	ref.customers = 3
	for i := range 4 {
		cust.count(Email, at, i < 3)
	}
	cust.count(SMS, at, true)
	d := ref.minus(cust)
	require.Equal(t, tally{1, 6}, d.channel(Email).total)
	require.Equal(t, tally{1, 6}, d.channel(Email).hour[10])
	require.Equal(t, tally{0, 0}, d.channel(SMS).total)
	require.Equal(t, 2, d.customers)
}

func TestResponseRateParams(t *testing.T) {
	id := crmtype.NewID(recT0)
	for name, tc := range map[string]struct {
		p     RateParams
		field string
	}{
		"both scopes":    {RateParams{CustomerID: id, CustomerIDs: []crmtype.ID{id}}, "customer_ids"},
		"zero id":        {RateParams{CustomerIDs: []crmtype.ID{id, {}}}, "customer_ids[1]"},
		"to before from": {RateParams{From: recT0, To: recT0}, "to"},
		"channel":        {RateParams{Channels: []Channel{"E-mail"}}, "channels[0]"},
		"window":         {RateParams{Window: -time.Hour}, "window"},
		"long window":    {RateParams{Window: 400 * 24 * time.Hour}, "window"},
		"level":          {RateParams{Level: 1}, "level"},
	} {
		err := checkRateParams(&tc.p)
		require.True(t, errors.Is(err, crmtype.ErrInvalid), name)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), name)
		require.Equal(t, tc.field, ve.Field, name)
	}
	p := RateParams{CustomerID: id}
	require.NoError(t, checkRateParams(&p))
	require.Equal(t, DefaultResponseWindow, p.Window)
	require.Equal(t, DefaultRateLevel, p.Level)
}

func TestCheckRecommendParams(t *testing.T) {
	s := &Service{clock: crmtype.NewManualClock(recT0)}
	id := crmtype.NewID(recT0)
	for name, tc := range map[string]struct {
		p     RecommendParams
		field string
	}{
		"no customer":    {RecommendParams{Purpose: PurposeMarketing}, "customer_id"},
		"no purpose":     {RecommendParams{CustomerID: id}, "purpose"},
		"bad purpose":    {RecommendParams{CustomerID: id, Purpose: "Sales!"}, "purpose"},
		"bad channel":    {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, Channels: []Channel{Email, ""}}, "channels[1]"},
		"history":        {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, History: -1}, "history"},
		"prior":          {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, PriorStrength: -1}, "prior_strength"},
		"min trials":     {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, MinTrials: -1}, "min_trials"},
		"level":          {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, Level: 2}, "level"},
		"window too big": {RecommendParams{CustomerID: id, Purpose: PurposeMarketing, Window: 500 * 24 * time.Hour}, "window"},
	} {
		err := s.checkRecommendParams(&tc.p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), name)
		require.Equal(t, tc.field, ve.Field, name)
	}
	p := RecommendParams{CustomerID: id, Purpose: PurposeMarketing, Channels: []Channel{SMS, Email, SMS}}
	require.NoError(t, s.checkRecommendParams(&p))
	require.Equal(t, []Channel{SMS, Email}, p.Channels, "duplicates dropped, order kept")
	require.Equal(t, recT0, p.At)
	require.Equal(t, DefaultHistory, p.History)
	require.Equal(t, float64(DefaultPriorStrength), p.PriorStrength)
	require.Equal(t, DefaultMinTrials, p.MinTrials)
}

var defaultScoring = scoring{level: DefaultRateLevel, k: DefaultPriorStrength, minTrials: DefaultMinTrials}

// counts builds tallies with s of n attempts per channel, all at hour 10 UTC.
func counts(m map[Channel][2]int) *tallies {
	t := newTallies()
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for c, sn := range m {
		for i := range sn[1] {
			t.count(c, at, i < sn[0])
		}
	}
	return t
}

func TestRecommendShrinkage(t *testing.T) {
	sp := defaultScoring
	// Two lucky SMS replies do not beat 200 emails at 25%, with no other
	// history to shrink toward (the customer is the whole workspace)...
	cust := counts(map[Channel][2]int{SMS: {2, 2}, Email: {50, 200}})
	ranked, basis := sp.rankChannels(cust, newTallies(), []Channel{SMS, Email})
	require.Equal(t, BasisCustomer, basis)
	require.Equal(t, Email, ranked[0].Channel)
	require.Greater(t, ranked[1].Posterior, ranked[0].Posterior, "SMS's posterior mean is higher, its lower bound is not")
	require.Less(t, ranked[1].LowerBound, ranked[0].LowerBound)
	// ... nor with a workspace where SMS answers 10%.
	ref := counts(map[Channel][2]int{SMS: {100, 1000}, Email: {250, 1000}})
	ranked, _ = sp.rankChannels(cust, ref, []Channel{SMS, Email})
	require.Equal(t, Email, ranked[0].Channel)
	require.InDelta(t, (100+10*0.175)/1010, ranked[1].Prior, 1e-12, "the SMS prior: the workspace's SMS rate shrunk toward its overall 17.5%")
	// Real evidence wins: 60 of 100 SMS answered.
	cust = counts(map[Channel][2]int{SMS: {60, 100}, Email: {50, 200}})
	ranked, _ = sp.rankChannels(cust, ref, []Channel{SMS, Email})
	require.Equal(t, SMS, ranked[0].Channel)
	// The reason names the channel passed over and why.
	cust = counts(map[Channel][2]int{SMS: {2, 2}, Email: {50, 200}})
	ranked, basis = sp.rankChannels(cust, ref, []Channel{SMS, Email})
	rec := Recommendation{Channel: Email, Hour: 10, TimeZone: "UTC", Basis: basis, HourBasis: BasisCustomer, Channels: ranked,
		Hours: []HourEvidence{{Hour: 10, Customer: newRate(tally{50, 200}, 0.95)}}, NextContact: recT0}
	why := sp.reason(&rec, cust, ref, "workspace", "UTC", nil)
	require.Contains(t, why, "email: the customer answered 50 of 200 attempts (25.0%")
	require.Contains(t, why, "from the workspace's rates")
	require.Contains(t, why, "sms answered more often (2 of 2, 100.0%) but on too little evidence")
	require.Contains(t, why, "best hour 10:00 UTC")
}

func TestRecommendFallback(t *testing.T) {
	sp := defaultScoring
	ref := counts(map[Channel][2]int{SMS: {100, 1000}, Email: {300, 1000}})
	// Three attempts, all answered on SMS: too little to decide; the
	// workspace's best channel is chosen.
	cust := counts(map[Channel][2]int{SMS: {3, 3}})
	ranked, basis := sp.rankChannels(cust, ref, []Channel{SMS, Email})
	require.Equal(t, BasisReference, basis)
	require.Equal(t, Email, ranked[0].Channel)
	rec := Recommendation{Channel: Email, Hour: -1, Basis: basis, Channels: ranked, NextContact: recT0}
	why := sp.reason(&rec, cust, ref, "workspace", "UTC", nil)
	require.Contains(t, why, "too little evidence from this customer (3 attempts on the allowed channels, fewer than 10 on any): chose the workspace's best channel email")
	require.Contains(t, why, "no hour has history on email")
	// The MinTrials threshold counts the allowed channels only.
	cust = counts(map[Channel][2]int{SMS: {3, 3}, Phone: {5, 50}})
	_, basis = sp.rankChannels(cust, ref, []Channel{SMS, Email})
	require.Equal(t, BasisReference, basis)
	_, basis = sp.rankChannels(cust, ref, []Channel{SMS, Email, Phone})
	require.Equal(t, BasisCustomer, basis)
	// No history anywhere: the first allowed candidate, in the caller's order.
	ranked, basis = sp.rankChannels(newTallies(), newTallies(), []Channel{SMS, Email})
	require.Equal(t, BasisNone, basis)
	require.Equal(t, []Channel{SMS, Email}, []Channel{ranked[0].Channel, ranked[1].Channel})
}

// TestRecommendSimulated: over many simulated histories, a channel that
// truly answers more often is found, and a channel with a handful of lucky
// replies is not picked over one with plenty of evidence.
func TestRecommendSimulated(t *testing.T) {
	sp := defaultScoring
	draw := func(r *rand.Rand, p float64, n int) [2]int {
		s := 0
		for range n {
			if r.Float64() < p {
				s++
			}
		}
		return [2]int{s, n}
	}
	const runs = 1000
	found, lucky := 0, 0
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 42))
		ref := counts(map[Channel][2]int{Email: draw(r, 0.2, 2000), SMS: draw(r, 0.2, 2000)})
		// 150 attempts each: email truly answers 30%, SMS 10%.
		cust := counts(map[Channel][2]int{Email: draw(r, 0.3, 150), SMS: draw(r, 0.1, 150)})
		if ranked, _ := sp.rankChannels(cust, ref, []Channel{SMS, Email}); ranked[0].Channel == Email {
			found++
		}
		// Email answers 25% over 200 attempts; SMS, truly 25% too, got
		// 1 to 9 attempts, every one answered.
		k := 1 + r.IntN(9)
		cust = counts(map[Channel][2]int{Email: draw(r, 0.25, 200), SMS: {k, k}})
		if ranked, _ := sp.rankChannels(cust, ref, []Channel{SMS, Email}); ranked[0].Channel == SMS {
			lucky++
		}
	}
	require.Equal(t, runs, found, "the better channel is found every time")
	require.Zero(t, lucky, "a handful of lucky replies never wins")
}

func TestRecommendHours(t *testing.T) {
	sp := defaultScoring
	at := func(h int) time.Time { return time.Date(2026, 6, 1, h, 0, 0, 0, time.UTC) }
	cust, ref := newTallies(), newTallies()
	for i := range 30 {
		cust.count(Email, at(10), i < 3)
		cust.count(Email, at(14), i < 3)
		cust.count(Email, at(19), i < 18)
	}
	for range 3 {
		cust.count(Email, at(3), true) // three lucky attempts at 03:00
	}
	for i := range 100 {
		ref.count(Email, at(9), i < 30) // the workspace answers best at 09:00
	}
	hours, basis := sp.rankHours(cust, ref, Email)
	require.Equal(t, BasisCustomer, basis)
	require.Equal(t, 19, hours[0].Hour)
	require.Len(t, hours, 5, "only hours with an attempt compete")
	require.Equal(t, 3, hours[1].Hour, "3 of 3 at 03:00 ranks below 18 of 30 at 19:00")
	// A customer with too few attempts on the channel gets the workspace's hour.
	few := newTallies()
	few.count(Email, at(19), true)
	hours, basis = sp.rankHours(few, ref, Email)
	require.Equal(t, BasisReference, basis)
	require.Equal(t, 9, hours[0].Hour)
	// No history on the channel: no hour.
	hours, basis = sp.rankHours(few, ref, SMS)
	require.Equal(t, BasisNone, basis)
	require.Empty(t, hours)
}

func TestRecommendNextAt(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	// 09:00 UTC is 17:00 in Shanghai: 19:00 the same day is 11:00 UTC.
	require.Equal(t, time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), nextAt(recT0, 19, sh).UTC())
	// 08:00 has passed: tomorrow.
	require.Equal(t, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), nextAt(recT0, 8, sh).UTC())
	// Within the hour: now.
	require.Equal(t, recT0, nextAt(recT0, 17, sh))
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// Across the spring-forward change: 2026-03-08 has no 02:00 in New
	// York; 10:00 on that day is 14:00 UTC (EDT), the day before 15:00 (EST).
	before := time.Date(2026, 3, 7, 23, 0, 0, 0, ny)
	require.Equal(t, time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC), nextAt(before, 10, ny).UTC())
	require.Equal(t, time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC), nextAt(time.Date(2026, 3, 7, 1, 0, 0, 0, ny), 10, ny).UTC())
	gap := nextAt(before, 2, ny)
	require.True(t, gap.After(before))
	require.Less(t, gap.Sub(before), 4*time.Hour)
}

func TestRecommendLowerBound(t *testing.T) {
	sp := defaultScoring
	m, lo := sp.posterior(30, 70)
	require.InDelta(t, 0.3, m, 1e-12)
	require.InDelta(t, 0.3-1.959964*0.045596, lo, 1e-5) // sd = sqrt(.3·.7/101)
	m, lo = sp.posterior(0.5, 20)
	require.Greater(t, m, 0.0)
	require.Equal(t, 0.0, lo, "clipped at 0")
	require.True(t, strings.HasPrefix(pct(0.1234), "12.3"))
}
