package analysis

import (
	"math"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is the Gamma-Gamma model of spend per transaction (Fader,
// Hardie and Lee 2005, "RFM and CLV: using iso-value curves"; Fader and
// Hardie 2013, "The Gamma-Gamma model of monetary value"). A customer's
// transaction values are Gamma(P, ν) (shape, rate) with ν ~ Gamma(Q, Gamma)
// across customers, independent of her purchase rate. Money is in the unit
// of the spends it was fitted on.
type GammaGamma struct {
	P, Q, Gamma float64
}

// Spend is the spend summary of Weight customers who share it: X repeat
// purchases whose mean value is MeanSpend.
type Spend struct {
	X         int
	MeanSpend float64
	Weight    int // number of customers with this summary; 0 counts as 1
}

func (s Spend) weight() float64 {
	if s.Weight == 0 {
		return 1
	}
	return float64(s.Weight)
}

func (m GammaGamma) ok() bool {
	return m.P > 0 && m.Q > 0 && m.Gamma > 0 && !isInf(m.P) && !isInf(m.Q) && !isInf(m.Gamma)
}

// LogLikelihood returns Σ w·ln f(MeanSpend | X) over rows with X > 0 (rows
// with X = 0 carry no spend information and are skipped), where f is the
// density of a customer's mean spend:
//
//	ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x − (px+q) ln(γ + x z̄).
//
// It is NaN when a parameter is not positive and finite.
func (m GammaGamma) LogLikelihood(rows []Spend) float64 {
	if !m.ok() {
		return math.NaN()
	}
	ll, _ := m.gammaGammaEval(rows, nil)
	return ll
}

// gammaGammaEval returns the log-likelihood and, when g is not nil, writes
// its gradient with respect to (ln P, ln Q, ln Gamma).
func (m GammaGamma) gammaGammaEval(rows []Spend, g []float64) (float64, []float64) {
	p, q, gm := m.P, m.Q, m.Gamma
	lgq, lngm := lgamma(q), math.Log(gm)
	var psiq float64
	if g != nil {
		psiq = mathext.Digamma(q)
	}
	var ll, gp, gq, gg float64
	for _, s := range rows {
		if s.X <= 0 {
			continue
		}
		w, x, z := s.weight(), float64(s.X), s.MeanSpend
		px := p * x
		lz, lx, lgz := math.Log(z), math.Log(x), math.Log(gm+x*z)
		ll += w * (lgamma(px+q) - lgamma(px) - lgq + q*lngm + (px-1)*lz + px*lx - (px+q)*lgz)
		if g != nil {
			psipxq := mathext.Digamma(px + q)
			gp += w * x * (psipxq - mathext.Digamma(px) + lz + lx - lgz)
			gq += w * (psipxq - psiq + lngm - lgz)
			gg += w * (q/gm - (px+q)/(gm+x*z))
		}
	}
	if g != nil {
		g[0], g[1], g[2] = gp*p, gq*q, gg*gm
	}
	return ll, g
}

// FitGammaGamma estimates a Gamma-Gamma model by maximum likelihood from
// the rows with X > 0, using BFGS from gonum/optimize on the logarithms of
// the parameters with the analytic gradient. FitConfig.Init is
// (P, Q, Gamma).
//
// It returns a *crmtype.ValidationError (errors.Is ErrInvalid) when no row
// has X > 0, or a row with X > 0 has a MeanSpend that is not positive and
// finite or a negative Weight, and an error (with the best estimate found)
// when the optimiser does not converge.
func FitGammaGamma(rows []Spend, cfg FitConfig) (GammaGamma, FitInfo, error) {
	var total float64
	for i, s := range rows {
		if s.X <= 0 {
			continue
		}
		if !(s.MeanSpend > 0) || isInf(s.MeanSpend) {
			return GammaGamma{}, FitInfo{}, crmtype.Invalidf("rows", "[%d]: MeanSpend must be positive and finite", i)
		}
		if s.Weight < 0 {
			return GammaGamma{}, FitInfo{}, crmtype.Invalidf("rows", "[%d]: Weight is negative", i)
		}
		total += s.weight()
	}
	if total == 0 {
		return GammaGamma{}, FitInfo{}, crmtype.Invalid("rows", "has no customer with X > 0")
	}
	model := func(u []float64) GammaGamma {
		return GammaGamma{math.Exp(u[0]), math.Exp(u[1]), math.Exp(u[2])}
	}
	negLL := func(u []float64) float64 {
		m := model(u)
		if !m.ok() {
			return math.Inf(1)
		}
		ll, _ := m.gammaGammaEval(rows, nil)
		return -ll / total
	}
	grad := func(g, u []float64) {
		m := model(u)
		if !m.ok() {
			clear(g)
			return
		}
		m.gammaGammaEval(rows, g)
		for i := range g {
			g[i] /= -total
		}
	}
	cfg2 := cfg
	if cfg2.Init == nil {
		// Start the scale at the mean spend so that the start is sensible in
		// any currency unit.
		var sum float64
		for _, s := range rows {
			if s.X > 0 {
				sum += s.weight() * s.MeanSpend
			}
		}
		cfg2.Init = []float64{1, 1, sum / total}
	}
	theta, info, err := btydMaximize(negLL, grad, cfg2, 3)
	if theta == nil {
		return GammaGamma{}, info, err
	}
	m := GammaGamma{theta[0], theta[1], theta[2]}
	info.LogLikelihood, info.Customers = m.LogLikelihood(rows), total
	return m, info, err
}

// ExpectedSpend returns the population mean transaction value
// P·Gamma/(Q−1), or +Inf when Q <= 1 (the mean does not exist).
func (m GammaGamma) ExpectedSpend() float64 {
	if !m.ok() {
		return math.NaN()
	}
	if m.Q <= 1 {
		return math.Inf(1)
	}
	return m.P * m.Gamma / (m.Q - 1)
}

// ConditionalExpectedSpend returns E[Z | X, z̄], the expected value of a
// future transaction of a customer whose X purchases averaged meanSpend:
// P(Gamma + X·z̄)/(P·X + Q − 1), a weighted mean of the population mean and
// z̄. With X = 0 it is the population mean. +Inf when P·X + Q <= 1 (the
// mean is infinite); NaN for a negative X or meanSpend.
func (m GammaGamma) ConditionalExpectedSpend(x int, meanSpend float64) float64 {
	if !m.ok() || x < 0 || !(meanSpend >= 0) {
		return math.NaN()
	}
	xf := float64(x)
	den := m.P*xf + m.Q - 1
	if den <= 0 {
		return math.Inf(1)
	}
	return m.P * (m.Gamma + xf*meanSpend) / den
}
