package marketing

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

var expT0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// TestExperimentAASequential simulates 2,000 A/A experiments (both arms
// respond at 10%) checked daily for 14 days, 100 new analysed members per
// arm a day, planned 1,400 per arm, through evaluate itself (looks
// recorded as Evaluate records them). With the alpha-spending rule the
// false-winner rate stays near alpha = 0.05 (binomial standard error
// 0.005 at 2,000 experiments); declaring a winner whenever a day's
// fixed-sample p-value is below 0.05 (the naive daily test) exceeds it
// several times over.
func TestExperimentAASequential(t *testing.T) {
	for _, sf := range []analysis.Spending{analysis.OBrienFleming, analysis.Pocock} {
		e := &Experiment{ID: crmtype.NewID(expT0), Variants: []Variant{{"a", 1}, {"b", 1}}, Metric: MetricResponse,
			Alpha: 0.05, Power: 0.8, PlannedMembers: 1400, Spending: sf, Window: DefaultWindow, Currency: "EUR"}
		rng := rand.New(rand.NewPCG(11, uint64(sf)+1))
		const sims, days, daily, p = 2000, 14, 100, 0.10
		spending, naive := 0, 0
		for range sims {
			var looks []Look
			a, b := ArmCounts{Variant: "a"}, ArmCounts{Variant: "b"}
			won, naiveWon := false, false
			for d := 1; d <= days; d++ {
				for range daily {
					a.Members++
					b.Members++
					if rng.Float64() < p {
						a.Responded++
					}
					if rng.Float64() < p {
						b.Responded++
					}
				}
				a.Assigned, b.Assigned = a.Members, b.Members
				res, look, err := evaluate(e, []ArmCounts{a, b}, looks, expT0.AddDate(0, 0, d))
				require.NoError(t, err)
				if look != nil {
					looks = append(looks, *look)
				}
				if res.Verdict == VerdictWinner {
					won = true
				}
				if res.Verdict != VerdictNotEnoughData && res.Comparisons[0].P < e.Alpha {
					naiveWon = true
				}
			}
			if !won { // a winner is final: no later looks
				require.GreaterOrEqual(t, len(looks), days-2) // day 1 may lack outcomes: not enough data, no look
			}
			if won {
				spending++
			}
			if naiveWon {
				naive++
			}
		}
		sr, nr := float64(spending)/sims, float64(naive)/sims
		t.Logf("%s: A/A false-winner rate %.4f with alpha spending, %.4f with a naive daily test", sf, sr, nr)
		require.LessOrEqual(t, sr, 0.06)
		require.GreaterOrEqual(t, sr, 0.03)
		require.Greater(t, nr, 0.10)
	}
}

func TestAssignVariantStableAndProportional(t *testing.T) {
	e := &Experiment{ID: crmtype.NewID(expT0), Holdout: 0.1, Variants: []Variant{{"control", 1}, {"blue", 2}, {"red", 1}}}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]crmtype.ID, 40_000)
	for i := range ids {
		ids[i] = crmtype.NewID(expT0.Add(time.Duration(rng.IntN(1e9))))
	}
	first := map[crmtype.ID]string{}
	for _, id := range ids[:20_000] {
		first[id] = AssignVariant(e, id)
	}
	// Members added later leave the earlier ones' variants as they were.
	counts := map[string]float64{}
	for _, id := range ids {
		v := AssignVariant(e, id)
		if w, ok := first[id]; ok {
			require.Equal(t, w, v)
		}
		counts[v]++
	}
	// Goodness of fit to 10% holdout, then 1:2:1 of the rest.
	want := map[string]float64{HoldoutVariant: 0.1, "control": 0.225, "blue": 0.45, "red": 0.225}
	var x2 float64
	for k, share := range want {
		exp := share * float64(len(ids))
		x2 += (counts[k] - exp) * (counts[k] - exp) / exp
	}
	p := distuv.ChiSquared{K: 3}.Survival(x2)
	t.Logf("split %v: X² = %.2f, p = %.3f", counts, x2, p)
	require.Greater(t, p, 0.001)

	// Another experiment assigns independently: about 22.5% of one's
	// controls are the other's controls.
	other := &Experiment{ID: crmtype.NewID(expT0.Add(time.Second)), Holdout: 0.1, Variants: e.Variants}
	both, ctl := 0, 0
	for _, id := range ids {
		if AssignVariant(e, id) == "control" {
			ctl++
			if AssignVariant(other, id) == "control" {
				both++
			}
		}
	}
	require.InDelta(t, 0.225, float64(both)/float64(ctl), 0.02)

	// A zero weight gets nobody.
	z := &Experiment{ID: e.ID, Variants: []Variant{{"a", 1}, {"off", 0}, {"b", 1}}}
	for _, id := range ids[:2000] {
		require.NotEqual(t, "off", AssignVariant(z, id))
	}
}

func TestNewExperimentValidation(t *testing.T) {
	ok := ExperimentParams{CampaignID: crmtype.NewID(expT0), Name: "subject line", Variants: []Variant{{"a", 1}, {"b", 1}},
		Baseline: 0.10, MinDetectableLift: 0.02}
	e, err := newExperiment(ok)
	require.NoError(t, err)
	require.Equal(t, MetricResponse, e.Metric)
	require.Equal(t, 0.05, e.Alpha)
	require.Equal(t, DefaultWindow, e.Window)
	require.Equal(t, 3841, e.PlannedMembers) // analysis.SampleSizeAbsoluteLift: 10% → 12% at 0.05 and 0.8

	rev := ok
	rev.Metric, rev.MinDetectableLift, rev.RevenueSD = MetricRevenue, 500, 4000
	e, err = newExperiment(rev)
	require.NoError(t, err)
	require.Equal(t, 1005, e.PlannedMembers)

	for _, tc := range []struct {
		field string
		edit  func(p *ExperimentParams)
	}{
		{"campaign_id", func(p *ExperimentParams) { p.CampaignID = crmtype.ID{} }},
		{"name", func(p *ExperimentParams) { p.Name = " " }},
		{"variants", func(p *ExperimentParams) { p.Variants = nil }},
		{"variants", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 0}, {"b", 0}} }},
		{"variants", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 1}} }},
		{"variants[1].key", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 1}, {"Bad Key", 1}} }},
		{"variants[1].key", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 1}, {"holdout", 1}} }},
		{"variants[1].key", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 1}, {"a", 1}} }},
		{"variants[0].weight", func(p *ExperimentParams) { p.Variants = []Variant{{"a", -1}, {"b", 1}} }},
		{"variants[1].weight", func(p *ExperimentParams) { p.Variants = []Variant{{"a", 1}, {"b", math.NaN()}} }},
		{"holdout", func(p *ExperimentParams) { p.Holdout = 1 }},
		{"holdout", func(p *ExperimentParams) { p.Holdout = -0.1 }},
		{"metric", func(p *ExperimentParams) { p.Metric = "clicks" }},
		{"alpha", func(p *ExperimentParams) { p.Alpha = 0.9 }},
		{"power", func(p *ExperimentParams) { p.Power = 1 }},
		{"spending", func(p *ExperimentParams) { p.Spending = 7 }},
		{"window", func(p *ExperimentParams) { p.Window = -time.Hour }},
		{"planned_members", func(p *ExperimentParams) { p.PlannedMembers = -1 }},
		{"baseline", func(p *ExperimentParams) { p.Baseline = 0 }},
		{"min_detectable_lift", func(p *ExperimentParams) { p.MinDetectableLift = 0.95 }},
		{"min_detectable_lift", func(p *ExperimentParams) { p.Metric = MetricRevenue; p.MinDetectableLift = 0 }},
		{"revenue_sd", func(p *ExperimentParams) { p.Metric = MetricRevenue; p.MinDetectableLift = 5 }},
	} {
		p := ok
		tc.edit(&p)
		_, err := newExperiment(p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", tc.field, err)
		require.Equal(t, tc.field, ve.Field)
		require.ErrorIs(t, err, crmtype.ErrInvalid)
	}
	// One variant with a holdout is fine: it is compared with the holdout.
	one := ok
	one.Variants, one.Holdout = []Variant{{"send", 1}}, 0.2
	_, err = newExperiment(one)
	require.NoError(t, err)
}

// TestEvaluateVerdicts drives evaluate through its verdicts on counts
// built by hand.
func TestEvaluateVerdicts(t *testing.T) {
	e := &Experiment{ID: crmtype.NewID(expT0), Variants: []Variant{{"a", 1}, {"b", 1}, {"c", 1}}, Metric: MetricConversion,
		Alpha: 0.05, Power: 0.8, PlannedMembers: 1000, Window: DefaultWindow, Currency: "EUR"}
	arms := func(n, xa, xb, xc int) []ArmCounts {
		return []ArmCounts{{Variant: "a", Assigned: n, Members: n, Converted: xa}, {Variant: "b", Assigned: n, Members: n, Converted: xb},
			{Variant: "c", Assigned: n, Members: n, Converted: xc}}
	}
	// Too few members: not enough data, no look.
	res, look, err := evaluate(e, arms(20, 2, 3, 4), nil, expT0)
	require.NoError(t, err)
	require.Equal(t, VerdictNotEnoughData, res.Verdict)
	require.Nil(t, look)
	require.Equal(t, 3*980, res.MoreMembers)

	// Half the plan, a modest lift: not yet, 1,500 more members.
	res, look, err = evaluate(e, arms(500, 50, 60, 55), nil, expT0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, VerdictNotYet, res.Verdict)
	require.NotNil(t, look)
	require.Equal(t, 1, look.N)
	require.InDelta(t, 0.5, res.Fraction, 1e-12)
	require.Equal(t, 1500, res.MoreMembers)
	require.NotNil(t, res.ChiSquare)
	require.Equal(t, 2, res.ChiSquare.DF)
	require.Len(t, res.Comparisons, 2)
	// Two comparisons: alpha 0.025 each; the boundary at half the
	// information is far above 1.96.
	require.Greater(t, res.Boundary, 2.9)
	looks := []Look{*look}

	// An earlier time is refused; the look's own time replays it.
	_, _, err = evaluate(e, arms(500, 50, 60, 55), looks, expT0)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	res, look, err = evaluate(e, arms(500, 50, 60, 55), looks, expT0.Add(time.Hour))
	require.NoError(t, err)
	require.Nil(t, look)
	require.Equal(t, 1, res.Look)

	// The full plan with c clearly ahead: c wins.
	res, look, err = evaluate(e, arms(1000, 100, 110, 160), looks, expT0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, VerdictWinner, res.Verdict)
	require.Equal(t, "c", res.Winner)
	require.True(t, res.Comparisons[1].Crossed)
	require.False(t, res.Comparisons[0].Crossed)
	require.Greater(t, res.Comparisons[1].RepeatedCI.Lo, 0.0)
	looks = append(looks, *look)
	// The winner is final.
	res, look, err = evaluate(e, arms(1100, 110, 110, 110), looks, expT0.Add(3*time.Hour))
	require.NoError(t, err)
	require.Nil(t, look)
	require.Equal(t, VerdictWinner, res.Verdict)
	require.Equal(t, "c", res.Winner)

	// The full plan without a difference: no winner.
	res, _, err = evaluate(e, arms(1000, 100, 104, 98), nil, expT0)
	require.NoError(t, err)
	require.Equal(t, VerdictNoWinner, res.Verdict)
	require.Equal(t, 0, res.MoreMembers)
	// The control far ahead of both: the control wins.
	res, _, err = evaluate(e, arms(1000, 200, 100, 110), nil, expT0)
	require.NoError(t, err)
	require.Equal(t, VerdictWinner, res.Verdict)
	require.Equal(t, "a", res.Winner)

	// Revenue with Welch's t from the arms' moments: 20% of a buy for
	// 1,000 against 30% of b; t = 100/27.23 = 3.67 at the full plan.
	r := &Experiment{ID: crmtype.NewID(expT0), Variants: []Variant{{"a", 1}, {"b", 1}}, Metric: MetricRevenue,
		Alpha: 0.05, Power: 0.8, PlannedMembers: 500, Window: DefaultWindow, Currency: "EUR"}
	res, look, err = evaluate(r, []ArmCounts{{Variant: "a", Members: 500, Converted: 100, Revenue: 100_000, RevenueSq: 1e8},
		{Variant: "b", Members: 500, Converted: 150, Revenue: 150_000, RevenueSq: 1.5e8}}, nil, expT0)
	require.NoError(t, err)
	require.NotNil(t, look)
	require.Equal(t, "welch t", res.Comparisons[0].Test)
	require.InDelta(t, 100, res.Comparisons[0].Diff, 1e-9)
	require.InDelta(t, 100/math.Sqrt((1e8-1e10/500)/499/500+(1.5e8-2.25e10/500)/499/500), res.Comparisons[0].Statistic, 1e-9)
	require.Equal(t, VerdictWinner, res.Verdict)
	require.Equal(t, "b", res.Winner)
	require.InDelta(t, 300, res.Arms[1].RevenuePerMember, 1e-12)
}
