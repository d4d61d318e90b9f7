package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/kehu/crm/crmtype"
)

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve))
	require.Equal(t, field, ve.Field, err.Error())
}

func TestWilsonIntervalNewcombe(t *testing.T) {
	// Newcombe (1998), "Two-sided confidence intervals for the single
	// proportion: comparison of seven methods", Statistics in Medicine 17,
	// 857–872, worked examples for method 3 (score method without continuity
	// correction), 95%. Each pair was also verified by hand from Wilson's
	// formula.
	for _, tc := range []struct {
		x, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
	} {
		ci, err := WilsonInterval(tc.x, tc.n, 0.95)
		require.NoError(t, err)
		require.InDelta(t, tc.lo, ci.Lo, 5e-5, "%d/%d lo", tc.x, tc.n)
		require.InDelta(t, tc.hi, ci.Hi, 5e-5, "%d/%d hi", tc.x, tc.n)
		require.Equal(t, 0.95, ci.Level)
	}

	ci, err := WilsonInterval(20, 20, 0.95)
	require.NoError(t, err)
	require.Equal(t, 1.0, ci.Hi)
	require.InDelta(t, 1-0.1611, ci.Lo, 5e-5) // mirror image of 0/20

	for _, tc := range []struct {
		x, n  int
		level float64
		field string
	}{
		{1, 0, 0.95, "n"},
		{-1, 10, 0.95, "successes"},
		{11, 10, 0.95, "successes"},
		{1, -3, 0.95, "n"},
		{1, 10, 0, "level"},
		{1, 10, 1, "level"},
		{1, 10, math.NaN(), "level"},
	} {
		_, err := WilsonInterval(tc.x, tc.n, tc.level)
		requireInvalid(t, err, tc.field)
	}
}

func TestTwoProportionZTest(t *testing.T) {
	// statsmodels documentation, proportions_ztest example:
	// count = [5, 12], nobs = [83, 99] gives pval 0.159 (printed to 3 decimals).
	r, err := TwoProportionZTest(5, 83, 12, 99, TwoSided, 0.95)
	require.NoError(t, err)
	require.InDelta(t, 0.159, r.P, 5e-4)
	require.InDelta(t, 5.0/83-12.0/99, r.Diff, 1e-15)
	require.InDelta(t, 17.0/182, r.Pooled, 1e-15)
	// By hand: z = −0.060966 / 0.043307 = −1.4078.
	require.InDelta(t, -1.4078, r.Z, 1e-4)

	// One-sided p-values split the two-sided one.
	less, err := TwoProportionZTest(5, 83, 12, 99, Less, 0.95)
	require.NoError(t, err)
	greater, err := TwoProportionZTest(5, 83, 12, 99, Greater, 0.95)
	require.NoError(t, err)
	require.InDelta(t, r.P/2, less.P, 1e-12)
	require.InDelta(t, 1-r.P/2, greater.P, 1e-12)
	require.Equal(t, r.Z, less.Z)

	// Unpooled Wald interval for the difference.
	se := math.Sqrt(5.0/83*(1-5.0/83)/83 + 12.0/99*(1-12.0/99)/99)
	require.InDelta(t, r.Diff-1.959963984540054*se, r.DiffCI.Lo, 1e-12)
	require.InDelta(t, r.Diff+1.959963984540054*se, r.DiffCI.Hi, 1e-12)

	// Appleton et al. (1996) Whickham smoking data, via Faraway (2006),
	// "Extending the Linear Model with R", §4.4: survival of 732 non-smokers
	// (502 alive) and 582 smokers (443 alive); R's summary.table gives the
	// Pearson test of independence Chisq = 9.121, df = 1, p-value = 0.002527.
	// The pooled z-test is the same test: z² = X².
	r, err = TwoProportionZTest(443, 582, 502, 732, TwoSided, 0.95)
	require.NoError(t, err)
	require.InDelta(t, 9.121, r.Z*r.Z, 5e-4)
	require.InDelta(t, 0.002527, r.P, 5e-7)
	chi, err := ChiSquareIndependence([][]int{{502, 230}, {443, 139}})
	require.NoError(t, err)
	require.InDelta(t, r.Z*r.Z, chi.Statistic, 1e-9)
	require.InDelta(t, r.P, chi.P, 1e-12)

	// No variation at all: no evidence, no NaN.
	r, err = TwoProportionZTest(0, 50, 0, 80, TwoSided, 0.95)
	require.NoError(t, err)
	require.Equal(t, 0.0, r.Z)
	require.Equal(t, 1.0, r.P)
	require.Equal(t, 0.0, r.DiffCI.Lo)
	require.Equal(t, 0.0, r.DiffCI.Hi)

	for _, tc := range []struct {
		x1, n1, x2, n2 int
		alt            Alternative
		level          float64
		field          string
	}{
		{1, 0, 1, 10, TwoSided, 0.95, "n1"},
		{1, 10, 1, 0, TwoSided, 0.95, "n2"},
		{-1, 10, 1, 10, TwoSided, 0.95, "x1"},
		{1, 10, 11, 10, TwoSided, 0.95, "x2"},
		{1, 10, 1, -10, TwoSided, 0.95, "n2"},
		{1, 10, 1, 10, Alternative(7), 0.95, "alternative"},
		{1, 10, 1, 10, TwoSided, 95, "level"},
	} {
		_, err := TwoProportionZTest(tc.x1, tc.n1, tc.x2, tc.n2, tc.alt, tc.level)
		requireInvalid(t, err, tc.field)
	}
}

func TestChiSquareIndependence(t *testing.T) {
	// scipy.stats.chi2_contingency documentation example (a 2×3 table, where
	// correction does not apply): statistic 2.7777777777777777,
	// pvalue 0.24935220877729619, dof 2, expected [[12 12 16] [18 18 24]].
	r, err := ChiSquareIndependence([][]int{{10, 10, 20}, {20, 20, 20}})
	require.NoError(t, err)
	require.InDelta(t, 2.7777777777777777, r.Statistic, 1e-12)
	require.Equal(t, 2, r.DF)
	require.InDelta(t, 0.24935220877729619, r.P, 1e-12)
	require.Equal(t, [][]float64{{12, 12, 16}, {18, 18, 24}}, r.Expected)
	// Independent check of the distuv p-value: with 2 degrees of freedom
	// the chi-square survival function is exp(−x/2).
	require.InDelta(t, math.Exp(-r.Statistic/2), r.P, 1e-14)

	// R documentation, prop.test example: smokers <- c(83, 90, 129, 70);
	// patients <- c(86, 93, 136, 82); prop.test(smokers, patients) gives
	// X-squared = 12.6, df = 3, p-value = 0.005585 (no continuity correction
	// is applied for more than two groups).
	r, err = ChiSquareProportions([]int{83, 90, 129, 70}, []int{86, 93, 136, 82})
	require.NoError(t, err)
	require.InDelta(t, 12.6, r.Statistic, 0.05)
	require.Equal(t, 3, r.DF)
	require.InDelta(t, 0.005585, r.P, 5e-7)

	// With 1 degree of freedom the survival function is erfc(sqrt(x/2)).
	r, err = ChiSquareIndependence([][]int{{30, 70}, {45, 55}})
	require.NoError(t, err)
	require.InDelta(t, math.Erfc(math.Sqrt(r.Statistic/2)), r.P, 1e-14)

	for _, tc := range []struct {
		table [][]int
	}{
		{nil},
		{[][]int{{1, 2}}},
		{[][]int{{1}, {2}}},
		{[][]int{{1, 2}, {3}}},
		{[][]int{{1, -2}, {3, 4}}},
		{[][]int{{0, 0}, {3, 4}}},
		{[][]int{{0, 2}, {0, 4}}},
	} {
		_, err := ChiSquareIndependence(tc.table)
		requireInvalid(t, err, "table")
	}
	_, err = ChiSquareProportions([]int{1, 2}, []int{10})
	requireInvalid(t, err, "trials")
	_, err = ChiSquareProportions([]int{1}, []int{10})
	requireInvalid(t, err, "successes")
	_, err = ChiSquareProportions([]int{1, 12}, []int{10, 10})
	requireInvalid(t, err, "successes[1]")
	_, err = ChiSquareProportions([]int{0, 0}, []int{10, 10})
	requireInvalid(t, err, "table")
}

func TestWelchTTestSleep(t *testing.T) {
	// R: t.test(extra ~ group, data = sleep), Student's (1908) sleep data.
	// Welch Two Sample t-test: t = -1.8608, df = 17.776, p-value = 0.07939,
	// 95 percent confidence interval -3.3654832 0.2054832,
	// means 0.75 and 2.33.
	g1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	g2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	r, err := WelchTTest(g1, g2, TwoSided, 0.95)
	require.NoError(t, err)
	require.InDelta(t, 0.75, r.Mean1, 1e-12)
	require.InDelta(t, 2.33, r.Mean2, 1e-12)
	require.InDelta(t, -1.8608, r.T, 5e-5)
	require.InDelta(t, 17.776, r.DF, 5e-4)
	require.InDelta(t, 0.07939, r.P, 5e-6)
	require.InDelta(t, -3.3654832, r.DiffCI.Lo, 5e-7)
	require.InDelta(t, 0.2054832, r.DiffCI.Hi, 5e-7)

	less, err := WelchTTest(g1, g2, Less, 0.95)
	require.NoError(t, err)
	require.InDelta(t, r.P/2, less.P, 1e-12)
	greater, err := WelchTTest(g1, g2, Greater, 0.95)
	require.NoError(t, err)
	require.InDelta(t, 1-r.P/2, greater.P, 1e-12)

	// Constant, equal samples: no evidence, no NaN.
	r, err = WelchTTest([]float64{0, 0, 0}, []float64{0, 0}, TwoSided, 0.95)
	require.NoError(t, err)
	require.Equal(t, 1.0, r.P)
	require.Equal(t, 3.0, r.DF)

	_, err = WelchTTest([]float64{1, 1}, []float64{2, 2}, TwoSided, 0.95)
	requireInvalid(t, err, "a")
	_, err = WelchTTest([]float64{1}, g2, TwoSided, 0.95)
	requireInvalid(t, err, "a")
	_, err = WelchTTest(g1, nil, TwoSided, 0.95)
	requireInvalid(t, err, "b")
	_, err = WelchTTest(g1, []float64{1, math.NaN()}, TwoSided, 0.95)
	requireInvalid(t, err, "b")
	_, err = WelchTTest(g1, g2, TwoSided, -1)
	requireInvalid(t, err, "level")
}

func TestSampleSizeTwoProportions(t *testing.T) {
	// R documentation, power.prop.test example:
	// power.prop.test(p1 = .50, p2 = .75, power = .90) gives n = 76.7.
	n, err := statsSampleSize(0.50, 0.75, SampleSizeConfig{Power: 0.90})
	require.NoError(t, err)
	require.InDelta(t, 76.7, n, 0.05)
	k, err := SampleSizeTwoProportions(0.50, 0.75, SampleSizeConfig{Power: 0.90})
	require.NoError(t, err)
	require.Equal(t, 77, k)

	// p1 = 0.10, p2 = 0.12, alpha 0.05 two-sided, power 0.80: by hand,
	// (1.959964·sqrt(2·0.11·0.89) + 0.841621·sqrt(0.09 + 0.1056))² / 0.02²
	// = 3840.8, so 3841 per arm, the figure standard calculators give.
	n, err = statsSampleSize(0.10, 0.12, SampleSizeConfig{})
	require.NoError(t, err)
	require.InDelta(t, 3840.8, n, 0.05)
	for _, f := range []func() (int, error){
		func() (int, error) { return SampleSizeTwoProportions(0.10, 0.12, SampleSizeConfig{}) },
		func() (int, error) { return SampleSizeTwoProportions(0.12, 0.10, SampleSizeConfig{}) },
		func() (int, error) {
			return SampleSizeTwoProportions(0.10, 0.12, SampleSizeConfig{Alpha: 0.05, Power: 0.8})
		},
		func() (int, error) { return SampleSizeAbsoluteLift(0.10, 0.02, SampleSizeConfig{}) },
		func() (int, error) { return SampleSizeRelativeLift(0.10, 0.20, SampleSizeConfig{}) },
	} {
		k, err := f()
		require.NoError(t, err)
		require.Equal(t, 3841, k)
	}

	// One-sided needs fewer: z at 0.95 instead of 0.975.
	one, err := SampleSizeTwoProportions(0.10, 0.12, SampleSizeConfig{Alternative: Greater})
	require.NoError(t, err)
	require.Less(t, one, 3841)

	_, err = SampleSizeTwoProportions(0.1, 0.1, SampleSizeConfig{})
	requireInvalid(t, err, "p2")
	_, err = SampleSizeTwoProportions(-0.1, 0.1, SampleSizeConfig{})
	requireInvalid(t, err, "p1")
	_, err = SampleSizeTwoProportions(0.1, 1.2, SampleSizeConfig{})
	requireInvalid(t, err, "p2")
	_, err = SampleSizeTwoProportions(0.1, 0.2, SampleSizeConfig{Alpha: 1.5})
	requireInvalid(t, err, "Alpha")
	_, err = SampleSizeTwoProportions(0.1, 0.2, SampleSizeConfig{Power: -1})
	requireInvalid(t, err, "Power")
	_, err = SampleSizeAbsoluteLift(0.95, 0.1, SampleSizeConfig{})
	requireInvalid(t, err, "lift")
	_, err = SampleSizeAbsoluteLift(0.5, 0, SampleSizeConfig{})
	requireInvalid(t, err, "lift")
	_, err = SampleSizeRelativeLift(0.6, 1, SampleSizeConfig{})
	requireInvalid(t, err, "lift")
	_, err = SampleSizeRelativeLift(0, 0.1, SampleSizeConfig{})
	requireInvalid(t, err, "baseline")
}

func TestNPS(t *testing.T) {
	// 5 promoters, 2 passives, 3 detractors: NPS = 100·(0.5 − 0.3) = 20;
	// Var = (0.5 + 0.3 − 0.2²)/10 = 0.076, SE = 100·sqrt(0.076) = 27.568,
	// 95% CI = 20 ± 1.959964·27.568 = [−34.03, 74.03].
	r, err := NPS([]int{10, 9, 9, 10, 9, 7, 8, 0, 6, 3}, 0.95)
	require.NoError(t, err)
	require.Equal(t, 10, r.N)
	require.Equal(t, 5, r.Promoters)
	require.Equal(t, 2, r.Passives)
	require.Equal(t, 3, r.Detractors)
	require.InDelta(t, 20, r.Score, 1e-12)
	require.InDelta(t, 27.568, r.SE, 5e-4)
	require.InDelta(t, -34.03, r.CI.Lo, 5e-3)
	require.InDelta(t, 74.03, r.CI.Hi, 5e-3)

	c, err := NPSFromCounts(5, 2, 3, 0.95)
	require.NoError(t, err)
	require.Equal(t, r, c)

	// All promoters: score 100, zero variance, interval clipped at 100.
	r, err = NPSFromCounts(7, 0, 0, 0.95)
	require.NoError(t, err)
	require.Equal(t, 100.0, r.Score)
	require.Equal(t, 0.0, r.SE)
	require.Equal(t, 100.0, r.CI.Hi)

	_, err = NPS(nil, 0.95)
	requireInvalid(t, err, "scores")
	_, err = NPS([]int{5, 11}, 0.95)
	requireInvalid(t, err, "scores")
	_, err = NPS([]int{-1}, 0.95)
	requireInvalid(t, err, "scores")
	_, err = NPSFromCounts(0, 0, 0, 0.95)
	requireInvalid(t, err, "promoters")
	_, err = NPSFromCounts(1, -1, 0, 0.95)
	requireInvalid(t, err, "passives")
	_, err = NPSFromCounts(1, 1, 1, 2)
	requireInvalid(t, err, "level")
}

func TestBootstrapInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sample := make([]float64, 400)
	for i := range sample {
		sample[i] = 10 + 2*rng.NormFloat64()
	}
	mean := func(xs []float64) float64 { return stat.Mean(xs, nil) }

	r, err := BootstrapInterval(sample, mean, BootstrapConfig{Source: rand.NewPCG(1, 1)})
	require.NoError(t, err)
	require.Equal(t, stat.Mean(sample, nil), r.Estimate)
	require.Equal(t, 0.95, r.CI.Level)
	// For the mean of a normal sample the percentile interval approaches the
	// normal-theory one: SE within 10%, endpoints within 0.4 SE.
	_, sd := stat.MeanStdDev(sample, nil)
	se := sd / math.Sqrt(float64(len(sample)))
	require.InEpsilon(t, se, r.SE, 0.10)
	require.InDelta(t, r.Estimate-1.96*se, r.CI.Lo, 0.4*se)
	require.InDelta(t, r.Estimate+1.96*se, r.CI.Hi, 0.4*se)

	// Same seed, same interval; the default source is fixed too.
	again, err := BootstrapInterval(sample, mean, BootstrapConfig{Source: rand.NewPCG(1, 1)})
	require.NoError(t, err)
	require.Equal(t, r, again)
	d1, err := BootstrapInterval(sample, mean, BootstrapConfig{Resamples: 500})
	require.NoError(t, err)
	d2, err := BootstrapInterval(sample, mean, BootstrapConfig{Resamples: 500})
	require.NoError(t, err)
	require.Equal(t, d1, d2)

	// Difference of means: a shift of 1 is recovered.
	shifted := make([]float64, 300)
	for i := range shifted {
		shifted[i] = 9 + 2*rng.NormFloat64()
	}
	diff, err := BootstrapDiffInterval(sample, shifted, mean, BootstrapConfig{Level: 0.99})
	require.NoError(t, err)
	require.True(t, diff.CI.Contains(1), "%+v", diff.CI)
	require.False(t, diff.CI.Contains(0), "%+v", diff.CI)
	require.Equal(t, 0.99, diff.CI.Level)

	_, err = BootstrapInterval(nil, mean, BootstrapConfig{})
	requireInvalid(t, err, "sample")
	_, err = BootstrapInterval(sample, nil, BootstrapConfig{})
	requireInvalid(t, err, "statistic")
	_, err = BootstrapInterval(sample, mean, BootstrapConfig{Resamples: -1})
	requireInvalid(t, err, "Resamples")
	_, err = BootstrapInterval(sample, mean, BootstrapConfig{Resamples: 1})
	requireInvalid(t, err, "Resamples")
	_, err = BootstrapInterval(sample, mean, BootstrapConfig{Level: 1.5})
	requireInvalid(t, err, "Level")
	_, err = BootstrapInterval([]float64{0, 0}, func([]float64) float64 { return math.NaN() }, BootstrapConfig{})
	requireInvalid(t, err, "statistic")
	_, err = BootstrapDiffInterval(sample, []float64{math.Inf(1)}, mean, BootstrapConfig{})
	requireInvalid(t, err, "b")
}

// TestProportionAATestRejectionRate simulates A/A tests (both arms share one
// conversion rate) and checks that the two-proportion z-test at alpha 0.05
// rejects in about 5% of them. With 4000 experiments the binomial standard
// error of the rate is 0.0034, so the band [0.04, 0.06] is ±3 standard
// errors.
func TestProportionAATestRejectionRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 11))
	const experiments, n, p = 4000, 1000, 0.1
	binom := func() int {
		k := 0
		for range n {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	rejected := 0
	for range experiments {
		r, err := TwoProportionZTest(binom(), n, binom(), n, TwoSided, 0.95)
		require.NoError(t, err)
		if r.P < 0.05 {
			rejected++
		}
	}
	rate := float64(rejected) / experiments
	t.Logf("A/A rejection rate %.4f", rate)
	require.GreaterOrEqual(t, rate, 0.04)
	require.LessOrEqual(t, rate, 0.06)
}

// TestWelchAATestSkewedRevenue runs A/A tests on skewed, log-normal revenue
// with many non-buyers and checks Welch's test keeps its level: with 2000
// experiments the band [0.035, 0.065] is about ±3 standard errors.
func TestWelchAATestSkewedRevenue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const experiments, n = 2000, 500
	draw := func(buf []float64) {
		for i := range buf {
			buf[i] = 0
			if rng.Float64() < 0.3 {
				buf[i] = math.Exp(3 + rng.NormFloat64())
			}
		}
	}
	a, b := make([]float64, n), make([]float64, n)
	rejected := 0
	for range experiments {
		draw(a)
		draw(b)
		r, err := WelchTTest(a, b, TwoSided, 0.95)
		require.NoError(t, err)
		if r.P < 0.05 {
			rejected++
		}
	}
	rate := float64(rejected) / experiments
	t.Logf("Welch A/A rejection rate %.4f", rate)
	require.GreaterOrEqual(t, rate, 0.035)
	require.LessOrEqual(t, rate, 0.065)
}

func TestProportionAlternativeString(t *testing.T) {
	require.Equal(t, "two-sided", TwoSided.String())
	require.Equal(t, "greater", Greater.String())
	require.Equal(t, "less", Less.String())
	require.Equal(t, "Alternative(9)", Alternative(9).String())
}
