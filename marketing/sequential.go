package marketing

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/crmtype"
)

// evaluate is Evaluate without the database: e's result at at from its
// counts by variant and its recorded looks, and the new look to record
// (nil when the evaluation is none). It is deterministic.
func evaluate(e *Experiment, counts []ArmCounts, looks []Look, at time.Time) (*ExperimentResult, *Look, error) {
	level := 1 - e.Alpha
	byKey := make(map[string]ArmCounts, len(counts))
	for _, c := range counts {
		byKey[c.Variant] = c
	}
	arm := func(key string) ArmCounts {
		c := byKey[key]
		c.Variant = key
		return c
	}
	res := &ExperimentResult{ExperimentID: e.ID, At: at, Metric: e.Metric, Alpha: e.Alpha, Currency: e.Currency,
		PlannedMembers: e.PlannedMembers, Boundary: math.Inf(1)}
	for _, v := range e.Variants {
		res.Arms = append(res.Arms, armResult(arm(v.Key), level))
	}
	if e.Holdout > 0 {
		res.Arms = append(res.Arms, armResult(arm(HoldoutVariant), level))
	}

	// The comparisons with the control.
	control := arm(e.Variants[0].Key)
	var treated []ArmCounts
	for _, v := range e.Variants[1:] {
		treated = append(treated, arm(v.Key))
	}
	if len(e.Variants) == 1 {
		control, treated = arm(HoldoutVariant), []ArmCounts{arm(e.Variants[0].Key)}
	}
	res.Control = control.Variant
	ses := make([]float64, len(treated))
	enough, reason := true, ""
	fraction := math.Inf(1)
	compared := control.Members
	for i, t := range treated {
		c, se, why := compare(e.Metric, t, control, level)
		res.Comparisons = append(res.Comparisons, c)
		ses[i] = se
		if why != "" && enough {
			enough, reason = false, why
		}
		fraction = math.Min(fraction, infoFraction(e.PlannedMembers, t.Members, control.Members))
		compared += t.Members
	}
	res.Fraction = math.Min(fraction, 1)
	res.MoreMembers = moreMembers(e.PlannedMembers, fraction, compared, append([]ArmCounts{control}, treated...))

	if len(e.Variants) > 2 && e.Metric != MetricRevenue {
		var succ, trials []int
		for _, v := range e.Variants {
			a := arm(v.Key)
			succ, trials = append(succ, successes(e.Metric, a)), append(trials, a.Members)
		}
		if chi, err := analysis.ChiSquareProportions(succ, trials); err == nil {
			res.ChiSquare = &chi
		}
	}
	if e.Holdout > 0 {
		var all ArmCounts
		for _, v := range e.Variants {
			a := arm(v.Key)
			all.Members += a.Members
			all.Responded += a.Responded
			all.Converted += a.Converted
			all.Revenue += a.Revenue
			all.RevenueSq += a.RevenueSq
		}
		res.Holdout = holdoutLift(all, arm(HoldoutVariant), level, e.Currency)
	}

	// The sequential rule.
	res.Looks = len(looks)
	for _, l := range looks {
		if l.At.Equal(at) { // a replay of a recorded look
			res.Look, res.Fraction, res.Boundary, res.Spent = l.N, l.Fraction, l.Boundary, l.Spent
			res.Verdict, res.Winner = l.Verdict, l.Winner
			res.Reason = fmt.Sprintf("look %d, recorded at this time", l.N)
			applyBoundary(res, ses)
			return res, nil, nil
		}
	}
	if n := len(looks); n > 0 && at.Before(looks[n-1].At) {
		return nil, nil, crmtype.Invalidf("at", "is before look %d at %s: looks move forward (give a recorded look's time to replay it)",
			looks[n-1].N, looks[n-1].At.Format(time.RFC3339))
	}
	for _, l := range looks {
		if l.Verdict == VerdictWinner || l.Verdict == VerdictNoWinner {
			res.Verdict, res.Winner = l.Verdict, l.Winner
			res.Boundary, res.Spent = l.Boundary, l.Spent
			res.Reason = fmt.Sprintf("decided at look %d (%s)", l.N, l.At.Format(time.RFC3339))
			applyBoundary(res, ses)
			return res, nil, nil
		}
	}
	if !enough {
		res.Verdict, res.Reason = VerdictNotEnoughData, reason
		if n := len(looks); n > 0 {
			res.Boundary, res.Spent = looks[n-1].Boundary, looks[n-1].Spent
		}
		applyBoundary(res, ses)
		return res, nil, nil
	}
	if n := len(looks); n > 0 && res.Fraction <= looks[n-1].Fraction+1e-12 {
		res.Verdict = VerdictNotYet
		res.Reason = fmt.Sprintf("no new analysed members since look %d: not a new look", looks[n-1].N)
		res.Boundary, res.Spent = looks[n-1].Boundary, looks[n-1].Spent
		applyBoundary(res, ses)
		return res, nil, nil
	}
	fractions := make([]float64, 0, len(looks)+1)
	for _, l := range looks {
		fractions = append(fractions, l.Fraction)
	}
	fractions = append(fractions, res.Fraction)
	bounds, err := sequentialBounds(fractions, e.Alpha/float64(len(treated)), e.Spending)
	if err != nil {
		return nil, nil, err
	}
	b := bounds[len(bounds)-1]
	res.Look, res.Looks = len(looks)+1, len(looks)+1
	res.Boundary, res.Spent = b.Z, b.Spent
	applyBoundary(res, ses)
	res.Verdict, res.Winner, res.Reason = decide(res, e)
	look := &Look{N: res.Look, At: at, Fraction: res.Fraction, Members: compared, Boundary: b.Z, Spent: b.Spent,
		Verdict: res.Verdict, Winner: res.Winner}
	for _, c := range res.Comparisons {
		look.Statistic = math.Max(look.Statistic, math.Abs(c.Statistic))
	}
	return res, look, nil
}

// decide returns the verdict of a look whose comparisons have their
// boundary applied: the best crossing variant better than the control
// wins; the control wins when every variant crossed below it; otherwise
// "no winner" at the planned sample, "not yet" before.
func decide(res *ExperimentResult, e *Experiment) (Verdict, string, string) {
	best := -1
	for i, c := range res.Comparisons {
		if c.Crossed && c.Statistic > 0 && (best < 0 || c.Diff > res.Comparisons[best].Diff) {
			best = i
		}
	}
	if best >= 0 {
		c := res.Comparisons[best]
		return VerdictWinner, c.Variant, fmt.Sprintf("%s beats %s: |%s| = %.3f reaches the boundary %.3f at look %d (information %.0f%%)",
			c.Variant, c.Control, statName(c.Test), math.Abs(c.Statistic), res.Boundary, res.Look, 100*res.Fraction)
	}
	worse := 0
	for _, c := range res.Comparisons {
		if c.Crossed && c.Statistic < 0 {
			worse++
		}
	}
	if worse == len(res.Comparisons) {
		return VerdictWinner, res.Control, fmt.Sprintf("%s beats every variant at the boundary %.3f at look %d", res.Control, res.Boundary, res.Look)
	}
	if res.Fraction >= 1 {
		return VerdictNoWinner, "", fmt.Sprintf("the planned %d members per arm are analysed and no boundary was crossed: no difference of the planned size", e.PlannedMembers)
	}
	return VerdictNotYet, "", fmt.Sprintf("no boundary crossed at look %d (boundary %.3f, information %.0f%%): %d more members needed",
		res.Look, res.Boundary, 100*res.Fraction, res.MoreMembers)
}

func statName(test string) string {
	if test == "welch t" {
		return "t"
	}
	return "z"
}

// applyBoundary marks the comparisons that reach res.Boundary and sets
// their repeated confidence intervals, Diff ± Boundary·SE.
func applyBoundary(res *ExperimentResult, ses []float64) {
	for i := range res.Comparisons {
		c := &res.Comparisons[i]
		c.Crossed = ses[i] > 0 && math.Abs(c.Statistic) >= res.Boundary
		lo, hi := c.Diff-res.Boundary*ses[i], c.Diff+res.Boundary*ses[i]
		if ses[i] == 0 {
			lo, hi = c.Diff, c.Diff
		}
		if c.Test != "welch t" {
			lo, hi = math.Max(-1, lo), math.Min(1, hi)
		}
		c.RepeatedCI = analysis.ConfidenceInterval{Lo: lo, Hi: hi, Level: res.Comparisons[i].DiffCI.Level}
	}
}

func successes(m Metric, a ArmCounts) int {
	if m == MetricConversion {
		return a.Converted
	}
	return a.Responded
}

func armResult(c ArmCounts, level float64) ArmResult {
	r := ArmResult{Variant: c.Variant, Assigned: c.Assigned, Exposed: c.Exposed, Members: c.Members,
		Responded: c.Responded, Converted: c.Converted, Revenue: c.Revenue}
	if c.Members == 0 {
		return r
	}
	n := float64(c.Members)
	r.ResponseRate, r.ConversionRate, r.RevenuePerMember = float64(c.Responded)/n, float64(c.Converted)/n, float64(c.Revenue)/n
	r.ResponseCI, _ = analysis.WilsonInterval(c.Responded, c.Members, level)
	r.ConversionCI, _ = analysis.WilsonInterval(c.Converted, c.Members, level)
	if m, err := analysis.MeanIntervalFromMoments(moments(c), level); err == nil {
		r.RevenuePerMemberCI = m.CI
	}
	return r
}

func moments(c ArmCounts) analysis.Moments {
	return analysis.Moments{N: c.Members, Sum: float64(c.Revenue), SumSq: c.RevenueSq}
}

// compare compares arm t with control c on metric m at level; it returns
// the comparison, the standard error of its difference for the repeated
// interval, and why there is not enough data to test ("" when there is).
func compare(m Metric, t, c ArmCounts, level float64) (Comparison, float64, string) {
	cmp := Comparison{Variant: t.Variant, Control: c.Variant, Test: "two-proportion z", P: 1}
	if m == MetricRevenue {
		cmp.Test = "welch t"
	}
	if t.Members < MinArmMembers || c.Members < MinArmMembers {
		return cmp, 0, fmt.Sprintf("%s has %d and %s %d analysed members: each compared arm needs at least %d",
			t.Variant, t.Members, c.Variant, c.Members, MinArmMembers)
	}
	if m == MetricRevenue {
		w, err := analysis.WelchTTestFromMoments(moments(t), moments(c), analysis.TwoSided, level)
		if err != nil {
			return cmp, 0, "revenue per member does not vary: it cannot be tested yet"
		}
		cmp.Statistic, cmp.P, cmp.Diff, cmp.DiffCI = w.T, w.P, w.Diff, w.DiffCI
		if w.Mean2 != 0 {
			cmp.RelativeLift = w.Diff / w.Mean2
		}
		if buyers := t.Converted + c.Converted; buyers < MinArmOutcomes {
			return cmp, w.SE, fmt.Sprintf("%d members of %s and %s bought in their window: at least %d needed", buyers, t.Variant, c.Variant, MinArmOutcomes)
		}
		return cmp, w.SE, ""
	}
	xt, xc := successes(m, t), successes(m, c)
	z, err := analysis.TwoProportionZTest(xt, t.Members, xc, c.Members, analysis.TwoSided, level)
	if err != nil {
		return cmp, 0, err.Error()
	}
	cmp.Statistic, cmp.P, cmp.Diff, cmp.DiffCI = z.Z, z.P, z.Diff, z.DiffCI
	if z.P2 != 0 {
		cmp.RelativeLift = z.Diff / z.P2
	}
	se := math.Sqrt(z.P1*(1-z.P1)/float64(t.Members) + z.P2*(1-z.P2)/float64(c.Members))
	n := t.Members + c.Members
	if x := xt + xc; x < MinArmOutcomes || n-x < MinArmOutcomes {
		return cmp, se, fmt.Sprintf("%d of %d members of %s and %s are successes: at least %d successes and %d failures needed",
			x, n, t.Variant, c.Variant, MinArmOutcomes, MinArmOutcomes)
	}
	return cmp, se, ""
}

// infoFraction is the information of a comparison of n1 with n2 members,
// 1/(1/n1 + 1/n2), against that of planned members in each arm.
func infoFraction(planned, n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 || planned <= 0 {
		return 0
	}
	return 2 / (float64(planned) * (1/float64(n1) + 1/float64(n2)))
}

// moreMembers estimates how many more analysed members the compared arms
// need to reach information fraction 1 with their current split.
func moreMembers(planned int, fraction float64, compared int, arms []ArmCounts) int {
	if fraction >= 1 {
		return 0
	}
	if fraction > 0 {
		return int(math.Ceil(float64(compared) * (1/fraction - 1)))
	}
	more := 0
	for _, a := range arms {
		more += max(0, planned-a.Members)
	}
	return more
}

// holdoutLift compares the pooled treated members with the holdout.
func holdoutLift(treated, holdout ArmCounts, level float64, currency string) *HoldoutLift {
	if treated.Members < MinArmMembers || holdout.Members < MinArmMembers {
		return nil
	}
	h := &HoldoutLift{Treated: treated.Members, Holdout: holdout.Members, Currency: currency}
	if z, err := analysis.TwoProportionZTest(treated.Responded, treated.Members, holdout.Responded, holdout.Members, analysis.TwoSided, level); err == nil {
		h.Response = Estimate{Value: z.Diff, CI: z.DiffCI, P: z.P}
	}
	if z, err := analysis.TwoProportionZTest(treated.Converted, treated.Members, holdout.Converted, holdout.Members, analysis.TwoSided, level); err == nil {
		h.Conversion = Estimate{Value: z.Diff, CI: z.DiffCI, P: z.P}
	}
	w, err := analysis.WelchTTestFromMoments(moments(treated), moments(holdout), analysis.TwoSided, level)
	if err != nil { // both arms constant with different means: no uncertainty
		d := moments(treated).Mean() - moments(holdout).Mean()
		w = analysis.WelchTest{Diff: d, DiffCI: analysis.ConfidenceInterval{Lo: d, Hi: d, Level: level}}
	}
	h.RevenuePerMember = Estimate{Value: w.Diff, CI: w.DiffCI, P: w.P}
	n := float64(treated.Members)
	h.IncrementalRevenue = Estimate{Value: w.Diff * n, CI: analysis.ConfidenceInterval{Lo: w.DiffCI.Lo * n, Hi: w.DiffCI.Hi * n, Level: level}, P: w.P}
	return h
}

// boundCache keeps recent boundary sequences: every evaluation recomputes
// the boundaries of all its experiment's looks, and experiments checked
// on the same schedule share them.
var boundCache = struct {
	sync.Mutex
	m map[string][]analysis.SequentialBound
}{m: map[string][]analysis.SequentialBound{}}

func sequentialBounds(fractions []float64, alpha float64, sf analysis.Spending) ([]analysis.SequentialBound, error) {
	key := fmt.Sprint(alpha, int(sf), fractions)
	boundCache.Lock()
	bs, ok := boundCache.m[key]
	boundCache.Unlock()
	if ok {
		return bs, nil
	}
	bs, err := analysis.SequentialBoundaries(fractions, alpha, sf)
	if err != nil {
		return nil, err
	}
	boundCache.Lock()
	if len(boundCache.m) >= 256 {
		clear(boundCache.m)
	}
	boundCache.m[key] = bs
	boundCache.Unlock()
	return bs, nil
}
