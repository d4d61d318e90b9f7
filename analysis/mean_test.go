package analysis

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Student's sleep data (Cushny and Peebles 1905; R's datasets::sleep):
// extra hours of sleep of 10 patients under drug 1 and drug 2.
var (
	sleepDrug1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleepDrug2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
)

func TestMeanIntervalStudentSleep(t *testing.T) {
	// R: t.test(sleep$extra[sleep$group == 1]) prints mean of x 0.75, t =
	// 1.3257, df = 9, 95 percent confidence interval -0.5297804 2.0297804;
	// sd() gives 1.78901.
	r, err := MeanInterval(sleepDrug1, 0.95)
	require.NoError(t, err)
	require.Equal(t, 10, r.N)
	require.Equal(t, 9, r.DF)
	require.InDelta(t, 0.75, r.Mean, 1e-12)
	require.InDelta(t, 1.78901, r.SD, 5e-6)
	require.InDelta(t, 1.3257, r.Mean/r.SE, 5e-5)
	require.InDelta(t, -0.5297804, r.CI.Lo, 5e-8)
	require.InDelta(t, 2.0297804, r.CI.Hi, 5e-8)
	require.Equal(t, 0.95, r.CI.Level)

	// R: with(sleep, t.test(extra[group == 1], extra[group == 2], paired =
	// TRUE)), the paired test of the example in ?sleep, is the one-sample
	// interval of the differences: mean -1.58, t = -4.0621, 95 percent
	// confidence interval -2.4598858 -0.7001142.
	d := make([]float64, len(sleepDrug1))
	for i := range d {
		d[i] = sleepDrug1[i] - sleepDrug2[i]
	}
	r, err = MeanInterval(d, 0.95)
	require.NoError(t, err)
	require.InDelta(t, -1.58, r.Mean, 1e-12)
	require.InDelta(t, -4.0621, r.Mean/r.SE, 5e-5)
	require.InDelta(t, -2.4598858, r.CI.Lo, 5e-8)
	require.InDelta(t, -0.7001142, r.CI.Hi, 5e-8)

	// A wider level gives a wider interval around the same mean.
	r99, err := MeanInterval(d, 0.99)
	require.NoError(t, err)
	require.Less(t, r99.CI.Lo, r.CI.Lo)
	require.Greater(t, r99.CI.Hi, r.CI.Hi)
	require.InDelta(t, r.Mean-r99.CI.Lo, r99.CI.Hi-r.Mean, 1e-12, "symmetric")
}

func TestMeanIntervalFromCountsMatchesValues(t *testing.T) {
	// Customer effort answers 1–7 as a GROUP BY returns them.
	values := []float64{1, 2, 3, 4, 5, 6, 7}
	counts := []int{0, 3, 5, 12, 20, 9, 1}
	var xs []float64
	for i, c := range counts {
		for range c {
			xs = append(xs, values[i])
		}
	}
	want, err := MeanInterval(xs, 0.9)
	require.NoError(t, err)
	got, err := MeanIntervalFromCounts(values, counts, 0.9)
	require.NoError(t, err)
	require.Equal(t, want.N, got.N)
	require.InDelta(t, want.Mean, got.Mean, 1e-12)
	require.InDelta(t, want.SD, got.SD, 1e-12)
	require.InDelta(t, want.CI.Lo, got.CI.Lo, 1e-12)
	require.InDelta(t, want.CI.Hi, got.CI.Hi, 1e-12)

	// Every answer the same: a zero-width interval, no NaN.
	r, err := MeanIntervalFromCounts([]float64{5}, []int{4}, 0.95)
	require.NoError(t, err)
	require.Equal(t, ConfidenceInterval{Lo: 5, Hi: 5, Level: 0.95}, r.CI)
	require.Zero(t, r.SD)
}

func TestMeanIntervalRejects(t *testing.T) {
	_, err := MeanInterval([]float64{1}, 0.95)
	requireInvalid(t, err, "xs")
	_, err = MeanInterval([]float64{1, math.NaN()}, 0.95)
	requireInvalid(t, err, "xs")
	_, err = MeanInterval([]float64{1, 2}, 1)
	requireInvalid(t, err, "level")
	_, err = MeanIntervalFromCounts([]float64{1, 2}, []int{1}, 0.95)
	requireInvalid(t, err, "counts")
	_, err = MeanIntervalFromCounts([]float64{1, 2}, []int{1, -1}, 0.95)
	requireInvalid(t, err, "counts")
	_, err = MeanIntervalFromCounts([]float64{1, 2}, []int{1, 0}, 0.95)
	requireInvalid(t, err, "counts")
	_, err = MeanIntervalFromCounts([]float64{1, math.Inf(1)}, []int{1, 1}, 0.95)
	requireInvalid(t, err, "values")
	_, err = MeanIntervalFromCounts([]float64{1, 2}, []int{1, 1}, 0)
	requireInvalid(t, err, "level")
}
