package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSequentialBoundariesPublished(t *testing.T) {
	// Reboussin, DeMets, Kim and Lan (2000), "Computations for group
	// sequential boundaries using the Lan-DeMets spending function method",
	// Controlled Clinical Trials 21:190–207, and R's ldbounds
	// (bounds(t = 1:5/5, iuse = 1, alpha = 0.025)): five equally spaced
	// looks with O'Brien–Fleming-type spending give the upper boundaries
	// 4.8769, 3.3569, 2.6803, 2.2898, 2.0310. The symmetric two-sided
	// design at 0.05 differs from the one-sided one at 0.025 only by the
	// chance of crossing both ways, below 1e-6 here.
	bs, err := SequentialBoundaries([]float64{0.2, 0.4, 0.6, 0.8, 1}, 0.05, OBrienFleming)
	require.NoError(t, err)
	for i, want := range []float64{4.8769, 3.3569, 2.6803, 2.2898, 2.0310} {
		require.InDelta(t, want, bs[i].Z, 1e-3, "look %d", i+1)
	}
	require.InDelta(t, 0.05, bs[4].Spent, 1e-4)
	// The spending function itself, each side: 2 − 2Φ(z_{0.9875}/√0.2)
	// with z_{0.9875} = 2.241403, twice over for the two sides.
	require.InDelta(t, 4*(1-0.5*math.Erfc(-2.241403/math.Sqrt(0.2)/math.Sqrt2)), OBrienFleming.Spent(0.05, 0.2), 1e-9)
	require.InDelta(t, OBrienFleming.Spent(0.05, 0.2), bs[0].Spent, 1e-12)

	// One look at the full sample is the fixed-sample test: 1.959964.
	one, err := SequentialBoundaries([]float64{1}, 0.05, Pocock)
	require.NoError(t, err)
	require.InDelta(t, 1.959964, one[0].Z, 1e-5)
	require.InDelta(t, 0.05, one[0].Nominal, 1e-6)

	// Pocock-type spending gives nearly flat boundaries (the same source,
	// iuse = 2: 2.4380, 2.4268, 2.4101, 2.3966, 2.3859).
	pk, err := SequentialBoundaries([]float64{0.2, 0.4, 0.6, 0.8, 1}, 0.05, Pocock)
	require.NoError(t, err)
	for i, want := range []float64{2.4380, 2.4268, 2.4101, 2.3966, 2.3859} {
		require.InDelta(t, want, pk[i].Z, 1e-3, "look %d", i+1)
	}
	require.InDelta(t, 0.05, pk[4].Spent, 1e-4)

	// A look with no new information spends nothing; one past the plan
	// spends the rest, and later ones nothing.
	bs, err = SequentialBoundaries([]float64{0.5, 0.5, 1.4, 2}, 0.05, OBrienFleming)
	require.NoError(t, err)
	require.True(t, math.IsInf(bs[1].Z, 1))
	require.Equal(t, 1.0, bs[2].Fraction)
	require.InDelta(t, 0.05, bs[2].Spent, 1e-4)
	require.True(t, math.IsInf(bs[3].Z, 1))

	for _, tc := range []struct {
		ts    []float64
		alpha float64
		sf    Spending
		field string
	}{
		{nil, 0.05, OBrienFleming, "fractions"},
		{[]float64{0.5, 0.4}, 0.05, OBrienFleming, "fractions"},
		{[]float64{0, 1}, 0.05, OBrienFleming, "fractions"},
		{[]float64{math.NaN()}, 0.05, OBrienFleming, "fractions"},
		{[]float64{1}, 1.5, OBrienFleming, "alpha"},
		{[]float64{1}, 0.05, Spending(9), "spending"},
	} {
		_, err := SequentialBoundaries(tc.ts, tc.alpha, tc.sf)
		requireInvalid(t, err, tc.field)
	}
	require.Equal(t, "obrien-fleming", OBrienFleming.String())
	require.Equal(t, "pocock", Pocock.String())
}

// TestSequentialBoundariesMonteCarlo checks the numerical integration
// against simulation: Brownian motion observed at 14 unequal looks crosses
// the boundaries with probability alpha (±3 standard errors of 200,000
// paths).
func TestSequentialBoundariesMonteCarlo(t *testing.T) {
	ts := []float64{0.03, 0.1, 0.15, 0.22, 0.3, 0.37, 0.45, 0.52, 0.6, 0.68, 0.75, 0.83, 0.91, 1}
	for _, sf := range []Spending{OBrienFleming, Pocock} {
		bs, err := SequentialBoundaries(ts, 0.05, sf)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(3, uint64(sf)))
		const paths = 200_000
		crossed := 0
		for range paths {
			var s, prev float64
			for k, tk := range ts {
				s += rng.NormFloat64() * math.Sqrt(tk-prev)
				prev = tk
				if math.Abs(s/math.Sqrt(tk)) >= bs[k].Z {
					crossed++
					break
				}
			}
		}
		rate := float64(crossed) / paths
		t.Logf("%s: crossing rate %.4f", sf, rate)
		require.InDelta(t, 0.05, rate, 3*math.Sqrt(0.05*0.95/paths))
	}
}

func TestSampleSizeTwoMeans(t *testing.T) {
	// By hand: 2·(1.959964 + 1.281552)²·1²/1² = 21.01, so 22; R's
	// power.t.test(delta = 1, sd = 1, power = 0.9), with the t
	// distribution, gives n = 22.02.
	n, err := SampleSizeTwoMeans(1, 1, SampleSizeConfig{Power: 0.9})
	require.NoError(t, err)
	require.Equal(t, 22, n)
	// Revenue: sd 4000 minor units, detect 500, alpha 0.05, power 0.8:
	// 2·(1.959964 + 0.841621)²·16e6/25e4 = 1004.7.
	n, err = SampleSizeTwoMeans(4000, -500, SampleSizeConfig{})
	require.NoError(t, err)
	require.Equal(t, 1005, n)
	_, err = SampleSizeTwoMeans(0, 1, SampleSizeConfig{})
	requireInvalid(t, err, "sd")
	_, err = SampleSizeTwoMeans(1, 0, SampleSizeConfig{})
	requireInvalid(t, err, "diff")
	_, err = SampleSizeTwoMeans(1, 1, SampleSizeConfig{Power: 2})
	requireInvalid(t, err, "Power")
}

func TestWelchTTestFromMoments(t *testing.T) {
	// Student's sleep data again (R: t.test(extra ~ group, data = sleep)):
	// the moments give the slice version's results.
	g1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	g2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	mom := func(xs []float64) Moments {
		m := Moments{N: len(xs)}
		for _, x := range xs {
			m.Sum += x
			m.SumSq += x * x
		}
		return m
	}
	r, err := WelchTTestFromMoments(mom(g1), mom(g2), TwoSided, 0.95)
	require.NoError(t, err)
	require.InDelta(t, -1.8608, r.T, 5e-5)
	require.InDelta(t, 17.776, r.DF, 5e-4)
	require.InDelta(t, 0.07939, r.P, 5e-6)
	require.InDelta(t, -3.3654832, r.DiffCI.Lo, 5e-7)
	want, err := WelchTTest(g1, g2, Greater, 0.9)
	require.NoError(t, err)
	got, err := WelchTTestFromMoments(mom(g1), mom(g2), Greater, 0.9)
	require.NoError(t, err)
	require.InDelta(t, want.P, got.P, 1e-12)
	require.InDelta(t, want.DiffCI.Hi, got.DiffCI.Hi, 1e-12)

	mi, err := MeanIntervalFromMoments(mom(g1), 0.95)
	require.NoError(t, err)
	mw, err := MeanInterval(g1, 0.95)
	require.NoError(t, err)
	require.InDelta(t, mw.CI.Lo, mi.CI.Lo, 1e-12)
	require.InDelta(t, mw.CI.Hi, mi.CI.Hi, 1e-12)

	_, err = WelchTTestFromMoments(Moments{N: 1, Sum: 1, SumSq: 1}, mom(g2), TwoSided, 0.95)
	requireInvalid(t, err, "a")
	_, err = WelchTTestFromMoments(mom(g1), Moments{N: 3, Sum: math.Inf(1)}, TwoSided, 0.95)
	requireInvalid(t, err, "b")
	_, err = WelchTTestFromMoments(Moments{N: 2, Sum: 2, SumSq: 2}, Moments{N: 2, Sum: 4, SumSq: 8}, TwoSided, 0.95)
	requireInvalid(t, err, "a")
	r, err = WelchTTestFromMoments(Moments{N: 2}, Moments{N: 3}, TwoSided, 0.95)
	require.NoError(t, err)
	require.Equal(t, 1.0, r.P)
	_, err = MeanIntervalFromMoments(Moments{N: 1}, 0.95)
	requireInvalid(t, err, "m")
}

func TestProportion(t *testing.T) {
	v, ci, err := Proportion(0, 0, 0.95)
	if err != nil || v != 0 || ci != (ConfidenceInterval{}) {
		t.Fatalf("empty group: %v %v %v", v, ci, err)
	}
	v, ci, err = Proportion(3, 12, 0.95)
	want, werr := WilsonInterval(3, 12, 0.95)
	if err != nil || werr != nil || v != 0.25 || ci != want {
		t.Fatalf("3 of 12: %v %v %v, want 0.25 %v", v, ci, err, want)
	}
	if _, _, err := Proportion(5, 4, 0.95); err == nil {
		t.Fatal("5 of 4 accepted")
	}
}
