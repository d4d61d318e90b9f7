package analysis

import (
	"math"
)

// ParetoNBD is the Pareto/NBD purchase model of Schmittlein, Morrison and
// Colombo (1987). While alive, a customer buys at Poisson rate
// λ ~ Gamma(R, Alpha) (shape, rate); her lifetime is exponential with rate
// μ ~ Gamma(S, Beta). Times are in the unit of the histories it was fitted on.
type ParetoNBD struct {
	R, Alpha, S, Beta float64
}

func (m ParetoNBD) ok() bool {
	return m.R > 0 && m.Alpha > 0 && m.S > 0 && m.Beta > 0 &&
		!isInf(m.R) && !isInf(m.Alpha) && !isInf(m.S) && !isInf(m.Beta)
}

// paretoParts returns, for history h, the log of the "alive at T" term
// L1 = −(r+x)·ln(α+T) − s·ln(β+T) and the log of the "died in (Tx, T]" term
// ln(s·∫_{Tx}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ) (−Inf when Tx = T). The
// customer's likelihood is Γ(r+x)α^r β^s/Γ(r) · (e^L1 + e^L2).
func (m ParetoNBD) paretoParts(x int, tx, T float64) (l1, l2 float64) {
	xf := float64(x)
	l1 = -(m.R+xf)*math.Log(m.Alpha+T) - m.S*math.Log(m.Beta+T)
	if tx >= T {
		return l1, math.Inf(-1)
	}
	jtx, jT := m.paretoLogJ(xf, tx), m.paretoLogJ(xf, T)
	// ln(e^jtx − e^jT), jtx >= jT since J decreases.
	d := jT - jtx
	if d > 0 {
		d = 0
	}
	return l1, math.Log(m.S) + jtx + math.Log(-math.Expm1(d))
}

// paretoLogJ returns ln J(τ), J(τ) = ∫_τ^∞ (α+u)^−(r+x) (β+u)^−(s+1) du.
// This is A₀ of Fader and Hardie's note ("A note on deriving the
// Pareto/NBD model and related expressions", 2005) divided by r+s+x, with
// its ₂F₁(r+s+x, ·; r+s+x+1; z) Euler-transformed to ₂F₁(1, ·; r+s+x+1; z),
// whose series has positive terms each smaller than z times the previous.
func (m ParetoNBD) paretoLogJ(x, tau float64) float64 {
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	big := r + s + x
	if al >= be {
		z := (al - be) / (al + tau)
		return -(r+x)*math.Log(al+tau) - s*math.Log(be+tau) + paretoLogG(r+x, big+1, z) - math.Log(big)
	}
	z := (be - al) / (be + tau)
	return -(r+x-1)*math.Log(al+tau) - (s+1)*math.Log(be+tau) + paretoLogG(s+1, big+1, z) - math.Log(big)
}

// paretoLogG returns ln ₂F₁(1, b; c; z) = ln Σ_{n≥0} (b)_n/(c)_n zⁿ for
// 0 < b < c and 0 <= z < 1. The terms fall at least as fast as zⁿ; when
// z is so close to 1 that a million terms do not reach full precision, the
// rest is bounded by a geometric tail.
func paretoLogG(b, c, z float64) float64 {
	if z <= 0 {
		return 0
	}
	u, sum := 1.0, 1.0
	const maxTerms = 1 << 20
	for n := 0.0; n < maxTerms; n++ {
		u *= (b + n) / (c + n) * z
		sum += u
		if u <= 1e-17*sum {
			return math.Log(sum)
		}
	}
	rho := z * (b + maxTerms) / (c + maxTerms)
	return math.Log(sum + u*rho/(1-rho))
}

// LogLikelihood returns the weighted log-likelihood Σ w·ln L(X, Tx, T) of
// rows, computed in log space. It is NaN when a parameter is not positive
// and finite.
func (m ParetoNBD) LogLikelihood(rows []History) float64 {
	if !m.ok() {
		return math.NaN()
	}
	var ll float64
	lgr, base := lgamma(m.R), m.R*math.Log(m.Alpha)+m.S*math.Log(m.Beta)
	for _, h := range rows {
		l1, l2 := m.paretoParts(h.X, h.Tx, h.T)
		ll += h.weight() * (lgamma(m.R+float64(h.X)) - lgr + base + logAddExp(l1, l2))
	}
	return ll
}

// FitParetoNBD estimates a Pareto/NBD model from rows by maximum
// likelihood, using BFGS from gonum/optimize on the logarithms of the
// parameters with central-difference gradients. It fits Compress(rows),
// which gives exactly the same estimate in time proportional to the number
// of distinct rows. FitConfig.Init is (R, Alpha, S, Beta).
//
// It returns a *crmtype.ValidationError (errors.Is ErrInvalid) for empty
// rows, a negative X or Weight, or times outside 0 <= Tx <= T < Inf, and an
// error (with the best estimate found) when the optimiser does not
// converge.
func FitParetoNBD(rows []History, cfg FitConfig) (ParetoNBD, FitInfo, error) {
	if err := validateHistories(rows); err != nil {
		return ParetoNBD{}, FitInfo{}, err
	}
	return fitParetoNBD(Compress(rows), cfg)
}

// fitParetoNBD fits valid rows as given, without compressing them.
func fitParetoNBD(rows []History, cfg FitConfig) (ParetoNBD, FitInfo, error) {
	var total float64
	for _, h := range rows {
		total += h.weight()
	}
	negLL := func(u []float64) float64 {
		m := ParetoNBD{math.Exp(u[0]), math.Exp(u[1]), math.Exp(u[2]), math.Exp(u[3])}
		if !m.ok() {
			return math.Inf(1)
		}
		return -m.LogLikelihood(rows) / total
	}
	theta, info, err := btydMaximize(negLL, nil, cfg, 4)
	if theta == nil {
		return ParetoNBD{}, info, err
	}
	m := ParetoNBD{theta[0], theta[1], theta[2], theta[3]}
	info.LogLikelihood, info.Customers = m.LogLikelihood(rows), total
	return m, info, err
}

// PAlive returns the probability that a customer with history h is still
// alive at T (h.Weight is ignored).
func (m ParetoNBD) PAlive(h History) float64 {
	if !m.ok() {
		return math.NaN()
	}
	l1, l2 := m.paretoParts(h.X, h.Tx, h.T)
	return math.Exp(l1 - logAddExp(l1, l2))
}

// ExpectedPurchases returns E[X(t)], the expected number of purchases of a
// new customer in a period of length t after her first purchase (that
// purchase excluded).
func (m ParetoNBD) ExpectedPurchases(t float64) float64 {
	return m.ConditionalExpectedPurchases(t, History{})
}

// ConditionalExpectedPurchases returns E[Y(t) | X, Tx, T], the expected
// number of purchases in the next t time units of a customer with history
// h (h.Weight is ignored):
// (R+X)(Beta+T)/((Alpha+T)(S−1))·[1 − ((Beta+T)/(Beta+T+t))^(S−1)]·P(alive),
// with its limit at S = 1. NaN when t < 0 or the parameters are not positive.
func (m ParetoNBD) ConditionalExpectedPurchases(t float64, h History) float64 {
	if !m.ok() || !(t >= 0) {
		return math.NaN()
	}
	if t == 0 {
		return 0
	}
	x := float64(h.X)
	lnq := -math.Log1p(t / (m.Beta + h.T))
	return (m.R + x) * (m.Beta + h.T) / (m.Alpha + h.T) * -expm1Over(m.S-1, lnq) * m.PAlive(h)
}
