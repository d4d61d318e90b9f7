package analysis

import (
	"math"

	"github.com/kehu/crm/crmtype"
)

// Moments are the sufficient statistics of a sample for its mean and
// variance: the count, the sum and the sum of squares, the form a
// database's GROUP BY returns cheaply over any number of rows (revenue per
// member of each experiment arm, say).
type Moments struct {
	N     int
	Sum   float64
	SumSq float64
}

// Mean returns Sum/N, 0 when N is 0.
func (m Moments) Mean() float64 {
	if m.N == 0 {
		return 0
	}
	return m.Sum / float64(m.N)
}

// Variance returns the unbiased sample variance (SumSq − Sum²/N)/(N − 1),
// never negative; 0 when N < 2.
func (m Moments) Variance() float64 {
	if m.N < 2 {
		return 0
	}
	n := float64(m.N)
	return math.Max(0, (m.SumSq-m.Sum*m.Sum/n)/(n-1))
}

func (m Moments) check(field string, min int) error {
	if m.N < min {
		return crmtype.Invalidf(field, "has %d values, needs at least %d", m.N, min)
	}
	if math.IsNaN(m.Sum) || math.IsInf(m.Sum, 0) || math.IsNaN(m.SumSq) || math.IsInf(m.SumSq, 0) || m.SumSq < 0 {
		return crmtype.Invalid(field, "sums are not finite")
	}
	return nil
}

// MeanIntervalFromMoments is MeanInterval for a sample given by its
// moments.
//
// It returns an error if m has fewer than two values or a non-finite sum,
// or level is not in (0, 1).
func MeanIntervalFromMoments(m Moments, level float64) (MeanResult, error) {
	if err := m.check("m", 2); err != nil {
		return MeanResult{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return MeanResult{}, err
	}
	return meanResult(m.N, m.Mean(), m.Variance()*float64(m.N-1), level), nil
}

// WelchTTestFromMoments is WelchTTest for two samples given by their
// moments: the same statistic, Welch–Satterthwaite degrees of freedom,
// p-value and interval, without the values themselves.
//
// It returns an error if a sample has fewer than two values or a
// non-finite sum, alt is unknown, level is not in (0, 1), or both samples
// are constant with different means.
func WelchTTestFromMoments(a, b Moments, alt Alternative, level float64) (WelchTest, error) {
	if err := a.check("a", 2); err != nil {
		return WelchTest{}, err
	}
	if err := b.check("b", 2); err != nil {
		return WelchTest{}, err
	}
	if err := statsCheckAlternative(alt); err != nil {
		return WelchTest{}, err
	}
	if err := statsCheckLevel("level", level); err != nil {
		return WelchTest{}, err
	}
	return welch(float64(a.N), a.Mean(), a.Variance(), float64(b.N), b.Mean(), b.Variance(), alt, level)
}
