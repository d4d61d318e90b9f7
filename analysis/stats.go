package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kehu/crm/crmtype"
)

// This file holds the tests of significance and the intervals the marketing
// and service modules use to read experiments and surveys. Every function
// validates its input and returns a *crmtype.ValidationError (matching
// crmtype.ErrInvalid) naming the offending argument; none returns NaN for
// valid input.

// Alternative is the alternative hypothesis of a test comparing group 1 with
// group 2. The zero value is TwoSided.
type Alternative int

const (
	// TwoSided: group 1 and group 2 differ, in either direction.
	TwoSided Alternative = iota
	// Greater: group 1's proportion or mean exceeds group 2's.
	Greater
	// Less: group 1's proportion or mean is below group 2's.
	Less
)

// String returns "two-sided", "greater" or "less".
func (a Alternative) String() string {
	switch a {
	case TwoSided:
		return "two-sided"
	case Greater:
		return "greater"
	case Less:
		return "less"
	}
	return "Alternative(" + strconv.Itoa(int(a)) + ")"
}

// ConfidenceInterval is a two-sided interval [Lo, Hi] at confidence Level
// (e.g. 0.95).
type ConfidenceInterval struct {
	Lo, Hi float64
	Level  float64
}

// Contains reports whether Lo ≤ x ≤ Hi.
func (ci ConfidenceInterval) Contains(x float64) bool { return ci.Lo <= x && x <= ci.Hi }

// ProportionTest is the result of TwoProportionZTest.
type ProportionTest struct {
	P1, P2 float64 // observed proportions x1/n1 and x2/n2
	Diff   float64 // P1 − P2
	Pooled float64 // pooled proportion (x1+x2)/(n1+n2), the common rate under the null
	SE     float64 // pooled standard error of Diff under the null, used for Z
	Z      float64 // Diff / SE; 0 when SE is 0 (both groups all successes or all failures)
	P      float64 // p-value for the chosen Alternative; 1 when SE is 0
	// DiffCI is the Wald interval for P1 − P2 with the unpooled standard
	// error sqrt(P1(1−P1)/n1 + P2(1−P2)/n2), always two-sided at the
	// requested level and clipped to [−1, 1].
	DiffCI ConfidenceInterval
}

// TwoProportionZTest tests whether the success rates of two independent
// groups differ: x1 successes out of n1 trials against x2 out of n2.
//
// The statistic is z = (p1 − p2) / sqrt(p(1−p)(1/n1 + 1/n2)) with the
// pooled proportion p = (x1+x2)/(n1+n2), without continuity correction; it
// equals statsmodels' proportions_ztest and the square root of R's
// prop.test(correct = FALSE) statistic. The p-value follows alt (Greater
// means p1 > p2). The interval for the difference uses the unpooled
// standard error and is two-sided at level whatever alt is.
//
// It returns an error if a count is negative, n1 or n2 is zero, a success
// count exceeds its trials, alt is unknown, or level is not in (0, 1).
func TwoProportionZTest(x1, n1, x2, n2 int, alt Alternative, level float64) (ProportionTest, error) {
	if err := statsCheckCount("x1", "n1", x1, n1); err != nil {
		return ProportionTest{}, err
	}
	if err := statsCheckCount("x2", "n2", x2, n2); err != nil {
		return ProportionTest{}, err
	}
	if err := statsCheckAlternative(alt); err != nil {
		return ProportionTest{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return ProportionTest{}, err
	}
	f1, f2 := float64(n1), float64(n2)
	r := ProportionTest{
		P1:     float64(x1) / f1,
		P2:     float64(x2) / f2,
		Pooled: float64(x1+x2) / (f1 + f2),
	}
	r.Diff = r.P1 - r.P2
	r.SE = math.Sqrt(r.Pooled * (1 - r.Pooled) * (1/f1 + 1/f2))
	if r.SE > 0 {
		r.Z = r.Diff / r.SE
		r.P = statsNormalPValue(r.Z, alt)
	} else {
		r.Z, r.P = 0, 1
	}
	se := math.Sqrt(r.P1*(1-r.P1)/f1 + r.P2*(1-r.P2)/f2)
	z := statsZ(level)
	r.DiffCI = ConfidenceInterval{
		Lo:    math.Max(-1, r.Diff-z*se),
		Hi:    math.Min(1, r.Diff+z*se),
		Level: level,
	}
	return r, nil
}

// ChiSquareTest is the result of ChiSquareIndependence.
type ChiSquareTest struct {
	Statistic float64     // Pearson's X² = Σ (observed − expected)² / expected
	DF        int         // (rows − 1)(columns − 1)
	P         float64     // upper tail of the chi-square distribution with DF degrees of freedom
	Expected  [][]float64 // expected counts under independence: row total × column total / grand total
}

// ChiSquareIndependence runs Pearson's chi-square test of independence on an
// r×c contingency table of counts (rows are groups, e.g. campaign variants;
// columns are outcomes). No continuity correction is applied, as in
// scipy.stats.chi2_contingency(correction=False); on a 2×2 table the
// statistic equals the square of TwoProportionZTest's Z.
//
// It returns an error if the table has fewer than two rows or columns, is
// ragged, holds a negative count, or has a row or column whose total is zero
// (its expected counts would be zero).
func ChiSquareIndependence(table [][]int) (ChiSquareTest, error) {
	if len(table) < 2 {
		return ChiSquareTest{}, crmtype.Invalid("table", "needs at least two rows")
	}
	cols := len(table[0])
	if cols < 2 {
		return ChiSquareTest{}, crmtype.Invalid("table", "needs at least two columns")
	}
	rowSum := make([]float64, len(table))
	colSum := make([]float64, cols)
	var total float64
	for i, row := range table {
		if len(row) != cols {
			return ChiSquareTest{}, crmtype.Invalidf("table", "row %d has %d columns, row 0 has %d", i, len(row), cols)
		}
		for j, v := range row {
			if v < 0 {
				return ChiSquareTest{}, crmtype.Invalidf("table", "count [%d][%d] is negative", i, j)
			}
			rowSum[i] += float64(v)
			colSum[j] += float64(v)
			total += float64(v)
		}
	}
	for i, s := range rowSum {
		if s == 0 {
			return ChiSquareTest{}, crmtype.Invalidf("table", "row %d has no observations", i)
		}
	}
	for j, s := range colSum {
		if s == 0 {
			return ChiSquareTest{}, crmtype.Invalidf("table", "column %d has no observations", j)
		}
	}
	r := ChiSquareTest{
		DF:       (len(table) - 1) * (cols - 1),
		Expected: make([][]float64, len(table)),
	}
	for i, row := range table {
		r.Expected[i] = make([]float64, cols)
		for j, v := range row {
			e := rowSum[i] * colSum[j] / total
			r.Expected[i][j] = e
			d := float64(v) - e
			r.Statistic += d * d / e
		}
	}
	r.P = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.Statistic)
	return r, nil
}

// ChiSquareProportions tests whether k ≥ 2 groups share one success rate:
// successes[i] out of trials[i] for group i. It is ChiSquareIndependence on
// the k×2 table of successes and failures, the same test as R's
// prop.test(successes, trials) without continuity correction.
//
// It returns an error if the slices differ in length or hold fewer than two
// groups, a count is negative, a group has no trials, successes exceed
// trials, or all groups are all successes or all failures.
func ChiSquareProportions(successes, trials []int) (ChiSquareTest, error) {
	if len(successes) != len(trials) {
		return ChiSquareTest{}, crmtype.Invalidf("trials", "has %d groups, successes has %d", len(trials), len(successes))
	}
	if len(successes) < 2 {
		return ChiSquareTest{}, crmtype.Invalid("successes", "needs at least two groups")
	}
	table := make([][]int, len(successes))
	for i := range successes {
		if err := statsCheckCount("successes["+strconv.Itoa(i)+"]", "trials["+strconv.Itoa(i)+"]", successes[i], trials[i]); err != nil {
			return ChiSquareTest{}, err
		}
		table[i] = []int{successes[i], trials[i] - successes[i]}
	}
	return ChiSquareIndependence(table)
}

// WilsonInterval returns the Wilson score interval for a binomial
// proportion with the given successes out of n trials:
//
//	(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),  z = Φ⁻¹(1 − (1−level)/2),
//
// without continuity correction (Wilson 1927; Newcombe 1998, method 3). The
// interval always lies within [0, 1] and is exact at the ends: Lo is 0 when
// successes is 0 and Hi is 1 when successes equals n.
//
// It returns an error if a count is negative, n is zero, successes exceeds
// n, or level is not in (0, 1).
func WilsonInterval(successes, n int, level float64) (ConfidenceInterval, error) {
	if err := statsCheckCount("successes", "n", successes, n); err != nil {
		return ConfidenceInterval{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return ConfidenceInterval{}, err
	}
	fn := float64(n)
	p := float64(successes) / fn
	z := statsZ(level)
	z2 := z * z
	den := 1 + z2/fn
	center := (p + z2/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn)) / den
	ci := ConfidenceInterval{Lo: math.Max(0, center-half), Hi: math.Min(1, center+half), Level: level}
	if successes == 0 {
		ci.Lo = 0
	}
	if successes == n {
		ci.Hi = 1
	}
	return ci, nil
}

// WelchTest is the result of WelchTTest.
type WelchTest struct {
	Mean1, Mean2 float64 // sample means
	Diff         float64 // Mean1 − Mean2
	SE           float64 // sqrt(s1²/n1 + s2²/n2) with unbiased sample variances
	T            float64 // Diff / SE
	DF           float64 // Welch–Satterthwaite degrees of freedom
	P            float64 // p-value for the chosen Alternative
	// DiffCI is the two-sided interval Diff ± t(DF)·SE at the requested
	// level, whatever the alternative.
	DiffCI ConfidenceInterval
}

// WelchTTest compares the means of two independent samples without assuming
// equal variances (Welch's t-test), the test R's t.test uses by default. The
// degrees of freedom are Welch–Satterthwaite's
//
//	(s1²/n1 + s2²/n2)² / ((s1²/n1)²/(n1−1) + (s2²/n2)²/(n2−1)).
//
// It suits skewed spend such as revenue per member when each group has some
// hundreds of members, since it relies on the means being close to normal;
// for small or very heavy-tailed samples prefer BootstrapDiffInterval.
//
// If both samples are constant and their means are equal, T is 0, P is 1,
// DF is n1+n2−2 and the interval is [0, 0].
//
// It returns an error if a sample has fewer than two values or a
// non-finite value, alt is unknown, level is not in (0, 1), or both samples
// are constant with different means (the statistic would be infinite).
func WelchTTest(a, b []float64, alt Alternative, level float64) (WelchTest, error) {
	if err := statsCheckSample("a", a, 2); err != nil {
		return WelchTest{}, err
	}
	if err := statsCheckSample("b", b, 2); err != nil {
		return WelchTest{}, err
	}
	if err := statsCheckAlternative(alt); err != nil {
		return WelchTest{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return WelchTest{}, err
	}
	m1, v1 := stat.MeanVariance(a, nil)
	m2, v2 := stat.MeanVariance(b, nil)
	return welch(float64(len(a)), m1, v1, float64(len(b)), m2, v2, alt, level)
}

// welch is Welch's t test of two samples given by their sizes, means and
// (n−1) variances; the arguments are checked.
func welch(n1, m1, v1, n2, m2, v2 float64, alt Alternative, level float64) (WelchTest, error) {
	r := WelchTest{Mean1: m1, Mean2: m2, Diff: m1 - m2}
	q1, q2 := v1/n1, v2/n2
	r.SE = math.Sqrt(q1 + q2)
	if r.SE == 0 {
		if r.Diff != 0 {
			return WelchTest{}, crmtype.Invalid("a", "both samples are constant with different means; the t statistic is infinite")
		}
		r.DF = n1 + n2 - 2
		r.P = 1
		r.DiffCI = ConfidenceInterval{Level: level}
		return r, nil
	}
	r.T = r.Diff / r.SE
	r.DF = (q1 + q2) * (q1 + q2) / (q1*q1/(n1-1) + q2*q2/(n2-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}
	switch alt {
	case TwoSided:
		r.P = math.Min(1, 2*t.Survival(math.Abs(r.T)))
	case Greater:
		r.P = t.Survival(r.T)
	case Less:
		r.P = t.CDF(r.T)
	}
	q := t.Quantile(1 - (1-level)/2)
	r.DiffCI = ConfidenceInterval{Lo: r.Diff - q*r.SE, Hi: r.Diff + q*r.SE, Level: level}
	return r, nil
}

// BootstrapConfig configures BootstrapInterval and BootstrapDiffInterval.
// The zero value is valid.
type BootstrapConfig struct {
	// Resamples is the number B of bootstrap resamples. Default 2000.
	Resamples int
	// Level is the confidence level of the interval, in (0, 1). Default 0.95.
	Level float64
	// Source is the random source for resampling. Default
	// rand.NewPCG(1, 2), so results are reproducible; pass a seeded source
	// of your own to vary them.
	Source rand.Source
}

func (c BootstrapConfig) withDefaults() (BootstrapConfig, error) {
	if c.Resamples == 0 {
		c.Resamples = 2000
	}
	if c.Resamples < 0 {
		return c, crmtype.Invalid("Resamples", "must not be negative")
	}
	if c.Level == 0 {
		c.Level = 0.95
	}
	if err := statsCheckLevel("Level", c.Level); err != nil {
		return c, err
	}
	if c.Source == nil {
		c.Source = rand.NewPCG(1, 2)
	}
	return c, nil
}

// BootstrapEstimate is the result of a bootstrap.
type BootstrapEstimate struct {
	Estimate float64            // the statistic on the original sample(s)
	SE       float64            // standard deviation of the bootstrap replicates
	CI       ConfidenceInterval // percentile interval of the replicates
}

// BootstrapInterval estimates a percentile bootstrap interval for
// statistic(sample): it draws cfg.Resamples resamples of len(sample) values
// with replacement, evaluates statistic on each, and returns the
// (1−level)/2 and 1−(1−level)/2 empirical quantiles of the replicates
// (gonum stat.Empirical). The statistic may reorder the slice it is given
// but must not keep it.
//
// It returns an error if sample is empty or holds a non-finite value,
// statistic is nil or returns a non-finite value, or cfg is invalid.
func BootstrapInterval(sample []float64, statistic func([]float64) float64, cfg BootstrapConfig) (BootstrapEstimate, error) {
	if err := statsCheckSample("sample", sample, 1); err != nil {
		return BootstrapEstimate{}, err
	}
	return statsBootstrap(statistic, cfg, func(rng *rand.Rand, buf []float64) float64 {
		statsResample(rng, sample, buf)
		return statistic(buf)
	}, len(sample), func(buf []float64) float64 {
		copy(buf, sample)
		return statistic(buf)
	})
}

// BootstrapDiffInterval estimates a percentile bootstrap interval for
// statistic(a) − statistic(b), resampling a and b independently, each with
// its own size. With the mean as statistic it is the interval for the
// difference in revenue per member between two groups that makes no
// normality assumption.
//
// It returns an error if a or b is empty or holds a non-finite value,
// statistic is nil or returns a non-finite value, or cfg is invalid.
func BootstrapDiffInterval(a, b []float64, statistic func([]float64) float64, cfg BootstrapConfig) (BootstrapEstimate, error) {
	if err := statsCheckSample("a", a, 1); err != nil {
		return BootstrapEstimate{}, err
	}
	if err := statsCheckSample("b", b, 1); err != nil {
		return BootstrapEstimate{}, err
	}
	bufB := make([]float64, len(b))
	return statsBootstrap(statistic, cfg, func(rng *rand.Rand, buf []float64) float64 {
		statsResample(rng, a, buf)
		sa := statistic(buf)
		statsResample(rng, b, bufB)
		return sa - statistic(bufB)
	}, len(a), func(buf []float64) float64 {
		copy(buf, a)
		sa := statistic(buf)
		copy(bufB, b)
		return sa - statistic(bufB)
	})
}

func statsBootstrap(statistic func([]float64) float64, cfg BootstrapConfig,
	replicate func(*rand.Rand, []float64) float64, n int, original func([]float64) float64) (BootstrapEstimate, error) {
	if statistic == nil {
		return BootstrapEstimate{}, crmtype.Invalid("statistic", "is nil")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return BootstrapEstimate{}, err
	}
	if cfg.Resamples < 2 {
		return BootstrapEstimate{}, crmtype.Invalid("Resamples", "must be at least 2")
	}
	buf := make([]float64, n)
	est := original(buf)
	if math.IsNaN(est) || math.IsInf(est, 0) {
		return BootstrapEstimate{}, crmtype.Invalid("statistic", "is not finite on the original sample")
	}
	rng := rand.New(cfg.Source)
	reps := make([]float64, cfg.Resamples)
	for i := range reps {
		v := replicate(rng, buf)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return BootstrapEstimate{}, crmtype.Invalidf("statistic", "is not finite on bootstrap resample %d", i)
		}
		reps[i] = v
	}
	sd := stat.StdDev(reps, nil)
	slices.Sort(reps)
	tail := (1 - cfg.Level) / 2
	return BootstrapEstimate{
		Estimate: est,
		SE:       sd,
		CI: ConfidenceInterval{
			Lo:    stat.Quantile(tail, stat.Empirical, reps, nil),
			Hi:    stat.Quantile(1-tail, stat.Empirical, reps, nil),
			Level: cfg.Level,
		},
	}, nil
}

func statsResample(rng *rand.Rand, src, dst []float64) {
	for i := range dst {
		dst[i] = src[rng.IntN(len(src))]
	}
}

// SampleSizeConfig configures the sample-size functions. The zero value is
// valid.
type SampleSizeConfig struct {
	// Alpha is the significance level (type I error rate), in (0, 1).
	// Default 0.05.
	Alpha float64
	// Power is the probability of detecting the difference if it is real,
	// in (0, 1). Default 0.80.
	Power float64
	// Alternative selects a two-sided test (the default, using z at
	// 1 − Alpha/2) or a one-sided one (Greater or Less, using z at 1 − Alpha).
	Alternative Alternative
}

// SampleSizeTwoProportions returns the number of members needed in each of
// two equal arms for a two-proportion z-test at cfg.Alpha to detect rates
// p1 and p2 with probability cfg.Power. It uses the normal approximation
//
//	n = ( z_α·sqrt(2·p̄(1−p̄)) + z_β·sqrt(p1(1−p1) + p2(1−p2)) )² / (p1 − p2)²
//
// with p̄ = (p1+p2)/2, z_α = Φ⁻¹(1 − Alpha/2) (two-sided) or Φ⁻¹(1 − Alpha)
// (one-sided) and z_β = Φ⁻¹(Power), rounded up. This is the n R's
// power.prop.test solves for (with its default strict = FALSE).
//
// It returns an error if p1 or p2 is outside [0, 1], p1 equals p2, or the
// configuration is invalid.
func SampleSizeTwoProportions(p1, p2 float64, cfg SampleSizeConfig) (int, error) {
	if err := statsCheckProb("p1", p1); err != nil {
		return 0, err
	}
	if err := statsCheckProb("p2", p2); err != nil {
		return 0, err
	}
	if p1 == p2 {
		return 0, crmtype.Invalid("p2", "equals p1; no sample size detects a zero difference")
	}
	n, err := statsSampleSize(p1, p2, cfg)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 {
		return 0, crmtype.Invalid("p2", "is too close to p1: the sample size overflows")
	}
	return int(math.Ceil(n - 1e-9)), nil
}

// SampleSizeAbsoluteLift is SampleSizeTwoProportions for a baseline rate and
// an absolute lift: p2 = baseline + lift (e.g. 0.10 and 0.02 compare 10%
// with 12%). Lift may be negative.
//
// It returns an error if baseline or baseline + lift is outside [0, 1],
// lift is zero, or the configuration is invalid.
func SampleSizeAbsoluteLift(baseline, lift float64, cfg SampleSizeConfig) (int, error) {
	if err := statsCheckProb("baseline", baseline); err != nil {
		return 0, err
	}
	if lift == 0 || math.IsNaN(lift) {
		return 0, crmtype.Invalid("lift", "must be non-zero")
	}
	if p2 := baseline + lift; p2 < 0 || p2 > 1 {
		return 0, crmtype.Invalidf("lift", "takes the rate to %g, outside [0, 1]", p2)
	}
	return SampleSizeTwoProportions(baseline, baseline+lift, cfg)
}

// SampleSizeRelativeLift is SampleSizeTwoProportions for a baseline rate
// and a relative lift: p2 = baseline × (1 + lift) (e.g. 0.10 and 0.20
// compare 10% with 12%). Lift may be negative.
//
// It returns an error if baseline is outside (0, 1], baseline × (1 + lift)
// is outside [0, 1], lift is zero, or the configuration is invalid.
func SampleSizeRelativeLift(baseline, lift float64, cfg SampleSizeConfig) (int, error) {
	if err := statsCheckProb("baseline", baseline); err != nil {
		return 0, err
	}
	if baseline == 0 {
		return 0, crmtype.Invalid("baseline", "is zero; a relative lift of zero is zero")
	}
	if lift == 0 || math.IsNaN(lift) {
		return 0, crmtype.Invalid("lift", "must be non-zero")
	}
	if p2 := baseline * (1 + lift); p2 < 0 || p2 > 1 {
		return 0, crmtype.Invalidf("lift", "takes the rate to %g, outside [0, 1]", p2)
	}
	return SampleSizeTwoProportions(baseline, baseline*(1+lift), cfg)
}

// checked returns cfg with its defaults (Alpha 0.05, Power 0.80) and
// checks it.
func (cfg SampleSizeConfig) checked() (SampleSizeConfig, error) {
	if cfg.Alpha == 0 {
		cfg.Alpha = 0.05
	}
	if cfg.Power == 0 {
		cfg.Power = 0.80
	}
	if err := statsCheckLevel("Alpha", cfg.Alpha); err != nil {
		return cfg, err
	}
	if err := statsCheckLevel("Power", cfg.Power); err != nil {
		return cfg, err
	}
	return cfg, statsCheckAlternative(cfg.Alternative)
}

// Proportion returns successes / n with its Wilson interval
// (WilsonInterval), for reports whose groups may be empty: with n = 0 it
// returns 0 and the zero interval (Level 0: none). Its errors are
// WilsonInterval's for n > 0.
func Proportion(successes, n int, level float64) (float64, ConfidenceInterval, error) {
	if n == 0 {
		return 0, ConfidenceInterval{}, nil
	}
	ci, err := WilsonInterval(successes, n, level)
	return float64(successes) / float64(n), ci, err
}

// statsSampleSize returns the unrounded per-arm n of SampleSizeTwoProportions.
func statsSampleSize(p1, p2 float64, cfg SampleSizeConfig) (float64, error) {
	cfg, err := cfg.checked()
	if err != nil {
		return 0, err
	}
	tail := cfg.Alpha
	if cfg.Alternative == TwoSided {
		tail /= 2
	}
	za := distuv.UnitNormal.Quantile(1 - tail)
	zb := distuv.UnitNormal.Quantile(cfg.Power)
	pbar := (p1 + p2) / 2
	num := za*math.Sqrt(2*pbar*(1-pbar)) + zb*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	d := p1 - p2
	return num * num / (d * d), nil
}

// NPSResult is a Net Promoter Score with its confidence interval.
type NPSResult struct {
	N          int // number of responses
	Promoters  int // scores 9–10
	Passives   int // scores 7–8
	Detractors int // scores 0–6
	// Score is 100 × (Promoters − Detractors) / N, in [−100, 100].
	Score float64
	// SE is the standard error of Score: 100 × sqrt((p + d − (p − d)²) / N)
	// with p and d the promoter and detractor proportions, the variance of a
	// difference of two proportions of one multinomial sample.
	SE float64
	// CI is Score ± z·SE at the requested level, clipped to [−100, 100].
	CI ConfidenceInterval
}

// NPS computes the Net Promoter Score of 0–10 survey scores and its
// normal-approximation confidence interval at level.
//
// It returns an error if scores is empty, a score is outside 0–10, or level
// is not in (0, 1).
func NPS(scores []int, level float64) (NPSResult, error) {
	if len(scores) == 0 {
		return NPSResult{}, crmtype.Invalid("scores", "is empty")
	}
	var pro, pas, det int
	for i, s := range scores {
		switch {
		case s < 0 || s > 10:
			return NPSResult{}, crmtype.Invalidf("scores", "score [%d] is %d, outside 0–10", i, s)
		case s >= 9:
			pro++
		case s >= 7:
			pas++
		default:
			det++
		}
	}
	return NPSFromCounts(pro, pas, det, level)
}

// NPSFromCounts is NPS from the counts of promoters (9–10), passives (7–8)
// and detractors (0–6), for callers that count in the database.
//
// It returns an error if a count is negative, all counts are zero, or level
// is not in (0, 1).
func NPSFromCounts(promoters, passives, detractors int, level float64) (NPSResult, error) {
	switch {
	case promoters < 0:
		return NPSResult{}, crmtype.Invalid("promoters", "must not be negative")
	case passives < 0:
		return NPSResult{}, crmtype.Invalid("passives", "must not be negative")
	case detractors < 0:
		return NPSResult{}, crmtype.Invalid("detractors", "must not be negative")
	}
	n := promoters + passives + detractors
	if n == 0 {
		return NPSResult{}, crmtype.Invalid("promoters", "there are no responses")
	}
	if err := statsCheckLevel("level", level); err != nil {
		return NPSResult{}, err
	}
	fn := float64(n)
	p, d := float64(promoters)/fn, float64(detractors)/fn
	diff := p - d
	v := math.Max(0, p+d-diff*diff) / fn
	r := NPSResult{
		N: n, Promoters: promoters, Passives: passives, Detractors: detractors,
		Score: 100 * diff,
		SE:    100 * math.Sqrt(v),
	}
	z := statsZ(level)
	r.CI = ConfidenceInterval{
		Lo:    math.Max(-100, r.Score-z*r.SE),
		Hi:    math.Min(100, r.Score+z*r.SE),
		Level: level,
	}
	return r, nil
}

// statsZ returns the two-sided normal critical value Φ⁻¹(1 − (1−level)/2).
func statsZ(level float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-level)/2)
}

// statsNormalPValue returns the p-value of a standard-normal statistic z.
func statsNormalPValue(z float64, alt Alternative) float64 {
	switch alt {
	case Greater:
		return distuv.UnitNormal.Survival(z)
	case Less:
		return distuv.UnitNormal.CDF(z)
	}
	return math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(z)))
}

func statsCheckCount(xField, nField string, x, n int) error {
	switch {
	case n < 0:
		return crmtype.Invalid(nField, "must not be negative")
	case n == 0:
		return crmtype.Invalid(nField, "must be positive")
	case x < 0:
		return crmtype.Invalid(xField, "must not be negative")
	case x > n:
		return crmtype.Invalidf(xField, "is %d, more than %s = %d", x, nField, n)
	}
	return nil
}

func statsCheckLevel(field string, v float64) error {
	if !(v > 0 && v < 1) {
		return crmtype.Invalidf(field, "is %g, must be in (0, 1)", v)
	}
	return nil
}

func statsCheckProb(field string, p float64) error {
	if !(p >= 0 && p <= 1) {
		return crmtype.Invalidf(field, "is %g, must be in [0, 1]", p)
	}
	return nil
}

func statsCheckAlternative(a Alternative) error {
	if a < TwoSided || a > Less {
		return crmtype.Invalidf("alternative", "unknown value %d", int(a))
	}
	return nil
}

func statsCheckSample(field string, xs []float64, min int) error {
	if len(xs) < min {
		return crmtype.Invalidf(field, "has %d values, needs at least %d", len(xs), min)
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return crmtype.Invalidf(field, "value [%d] is not finite", i)
		}
	}
	return nil
}
