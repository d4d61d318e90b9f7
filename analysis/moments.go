package analysis

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

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
	n1, n2 := float64(a.N), float64(b.N)
	m1, m2 := a.Mean(), b.Mean()
	r := WelchTest{Mean1: m1, Mean2: m2, Diff: m1 - m2}
	q1, q2 := a.Variance()/n1, b.Variance()/n2
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
