package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kehu/crm/crmtype"
)

// MeanResult is a sample mean with its Student t confidence interval.
type MeanResult struct {
	N    int     // number of values
	Mean float64 // sample mean
	// SD is the sample standard deviation, with the unbiased (n − 1)
	// denominator.
	SD float64
	SE float64 // standard error of the mean, SD / sqrt(N)
	DF int     // degrees of freedom of the interval, N − 1
	// CI is Mean ± t(DF)·SE, with t(DF) the 1 − (1−level)/2 quantile of
	// Student's t distribution: the interval R's t.test(x)$conf.int
	// gives. When every value is the same it is [Mean, Mean].
	CI ConfidenceInterval
}

// MeanInterval returns the mean of xs and its two-sided Student t
// confidence interval at level, the one-sample interval of R's t.test. It
// assumes the mean is close to normal: fine for scale answers (a customer
// effort score's 1–7) from a few dozen respondents on.
//
// It returns an error if xs has fewer than two values or a non-finite
// value, or level is not in (0, 1).
func MeanInterval(xs []float64, level float64) (MeanResult, error) {
	if err := statsCheckSample("xs", xs, 2); err != nil {
		return MeanResult{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return MeanResult{}, err
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64 // about the mean: exact where sum of squares − n·mean² cancels
	for _, x := range xs {
		d := x - mean
		ss += d * d
	}
	return meanResult(len(xs), mean, ss, level), nil
}

// MeanIntervalFromCounts is MeanInterval for values given with their
// counts, counts[i] times values[i]: the form a database's GROUP BY over a
// rating scale returns. Values with a zero count are ignored.
//
// It returns an error if the slices differ in length, a value is not
// finite, a count is negative, the counts add up to fewer than two, or
// level is not in (0, 1).
func MeanIntervalFromCounts(values []float64, counts []int, level float64) (MeanResult, error) {
	if len(values) != len(counts) {
		return MeanResult{}, crmtype.Invalidf("counts", "has %d entries, values has %d", len(counts), len(values))
	}
	n := 0
	var sum float64
	for i, c := range counts {
		if c < 0 {
			return MeanResult{}, crmtype.Invalidf("counts", "count [%d] is negative", i)
		}
		if math.IsNaN(values[i]) || math.IsInf(values[i], 0) {
			return MeanResult{}, crmtype.Invalidf("values", "value [%d] is not finite", i)
		}
		if n+c < n {
			return MeanResult{}, crmtype.Invalid("counts", "add up to more than an int holds")
		}
		n += c
		sum += float64(c) * values[i]
	}
	if n < 2 {
		return MeanResult{}, crmtype.Invalidf("counts", "add up to %d, needs at least 2", n)
	}
	if err := statsCheckLevel("level", level); err != nil {
		return MeanResult{}, err
	}
	mean := sum / float64(n)
	var ss float64
	for i, c := range counts {
		d := values[i] - mean
		ss += float64(c) * d * d
	}
	return meanResult(n, mean, ss, level), nil
}

// meanResult completes a MeanResult from n ≥ 2 values with the given mean
// and sum of squared deviations ss.
func meanResult(n int, mean, ss, level float64) MeanResult {
	r := MeanResult{N: n, Mean: mean, DF: n - 1}
	r.SD = math.Sqrt(ss / float64(n-1))
	r.SE = r.SD / math.Sqrt(float64(n))
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(r.DF)}.Quantile(1 - (1-level)/2)
	r.CI = ConfidenceInterval{Lo: mean - q*r.SE, Hi: mean + q*r.SE, Level: level}
	return r
}
