package analysis

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is the beta-geometric/negative-binomial purchase model of Fader,
// Hardie and Lee (2005), "Counting your customers the easy way". While
// alive, a customer buys at Poisson rate λ ~ Gamma(R, Alpha) (shape, rate);
// after each purchase she dies with probability p ~ Beta(A, B).
// Times are in the unit of the histories it was fitted on.
type BGNBD struct {
	R, Alpha, A, B float64
}

func (m BGNBD) ok() bool {
	return m.R > 0 && m.Alpha > 0 && m.A > 0 && m.B > 0 &&
		!isInf(m.R) && !isInf(m.Alpha) && !isInf(m.A) && !isInf(m.B)
}

// LogLikelihood returns the weighted log-likelihood Σ w·ln L(X, Tx, T) of
// rows, computed in log space (log-gamma, log-beta, log-sum-exp). It is
// NaN when a parameter is not positive and finite.
func (m BGNBD) LogLikelihood(rows []History) float64 {
	if !m.ok() {
		return math.NaN()
	}
	d := newBGNBDData(rows)
	ll, _ := d.eval(m, nil)
	return ll * d.total
}

// bgnbdData is a fit's input: rows with their X mapped to the distinct
// values of X, whose terms are computed once per evaluation.
type bgnbdData struct {
	xs    []float64 // distinct X
	xi    []int32   // row -> index in xs
	tx, T []float64
	w     []float64
	total float64
	// per-evaluation scratch, one per distinct X
	c, lnOff, dr, da, db []float64
}

func newBGNBDData(rows []History) *bgnbdData {
	d := &bgnbdData{
		xi: make([]int32, len(rows)),
		tx: make([]float64, len(rows)),
		T:  make([]float64, len(rows)),
		w:  make([]float64, len(rows)),
	}
	idx := map[int]int32{}
	for i, r := range rows {
		j, ok := idx[r.X]
		if !ok {
			j = int32(len(d.xs))
			idx[r.X] = j
			d.xs = append(d.xs, float64(r.X))
		}
		d.xi[i], d.tx[i], d.T[i], d.w[i] = j, r.Tx, r.T, r.weight()
		d.total += d.w[i]
	}
	n := len(d.xs)
	d.c, d.lnOff = make([]float64, n), make([]float64, n)
	d.dr, d.da, d.db = make([]float64, n), make([]float64, n), make([]float64, n)
	return d
}

// eval returns the mean log-likelihood at m and, when g is not nil, writes
// its gradient with respect to (ln R, ln Alpha, ln A, ln B).
//
// Per customer, with A1 = −(r+x)·ln(α+T) and, for x > 0,
// A2 = ln a − ln(b+x−1) − (r+x)·ln(α+t_x):
//
//	ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) + ln(e^A1 + e^A2).
func (d *bgnbdData) eval(m BGNBD, g []float64) (float64, []float64) {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	lgr, lnal, lbab := lgamma(r), math.Log(al), mathext.Lbeta(a, b)
	var psir, psiab, psib float64
	if g != nil {
		psir, psiab, psib = mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	}
	lna := math.Log(a)
	for j, x := range d.xs {
		d.c[j] = lgamma(r+x) - lgr + r*lnal + mathext.Lbeta(a, b+x) - lbab
		if x > 0 {
			d.lnOff[j] = lna - math.Log(b+x-1)
		}
		if g != nil {
			psiabx := mathext.Digamma(a + b + x)
			d.dr[j] = mathext.Digamma(r+x) - psir + lnal
			d.da[j] = psiab - psiabx
			d.db[j] = mathext.Digamma(b+x) - psiabx - psib + psiab
		}
	}
	var ll, gr, gal, ga, gb float64
	for i, j := range d.xi {
		x, w := d.xs[j], d.w[i]
		lT := math.Log(al + d.T[i])
		a1 := -(r + x) * lT
		if x == 0 {
			ll += w * (d.c[j] + a1)
			if g != nil {
				gr += w * (d.dr[j] - lT)
				gal += w * (r/al - (r+x)/(al+d.T[i]))
				ga += w * d.da[j]
				gb += w * d.db[j]
			}
			continue
		}
		lt := math.Log(al + d.tx[i])
		a2 := d.lnOff[j] - (r+x)*lt
		lse := logAddExp(a1, a2)
		ll += w * (d.c[j] + lse)
		if g != nil {
			w2 := math.Exp(a2 - lse)
			w1 := 1 - w2
			gr += w * (d.dr[j] - w1*lT - w2*lt)
			gal += w * (r/al - (r+x)*(w1/(al+d.T[i])+w2/(al+d.tx[i])))
			ga += w * (d.da[j] + w2/a)
			gb += w * (d.db[j] - w2/(b+x-1))
		}
	}
	if g != nil {
		g[0], g[1], g[2], g[3] = gr*r/d.total, gal*al/d.total, ga*a/d.total, gb*b/d.total
	}
	return ll / d.total, g
}

// FitBGNBD estimates a BG/NBD model from rows by maximum likelihood, using
// BFGS from gonum/optimize on the logarithms of the parameters with the
// analytic gradient. It fits Compress(rows), which gives exactly the same
// estimate in time proportional to the number of distinct rows.
// FitConfig.Init is (R, Alpha, A, B).
//
// It returns a *crmtype.ValidationError (errors.Is ErrInvalid) for empty
// rows, a negative X or Weight, or times outside 0 <= Tx <= T < Inf, and an
// error (with the best estimate found) when the optimiser does not
// converge.
func FitBGNBD(rows []History, cfg FitConfig) (BGNBD, FitInfo, error) {
	if err := validateHistories(rows); err != nil {
		return BGNBD{}, FitInfo{}, err
	}
	return fitBGNBD(Compress(rows), cfg)
}

// fitBGNBD fits valid rows as given, without compressing them.
func fitBGNBD(rows []History, cfg FitConfig) (BGNBD, FitInfo, error) {
	d := newBGNBDData(rows)
	model := func(u []float64) BGNBD {
		return BGNBD{math.Exp(u[0]), math.Exp(u[1]), math.Exp(u[2]), math.Exp(u[3])}
	}
	negLL := func(u []float64) float64 {
		m := model(u)
		if !m.ok() {
			return math.Inf(1)
		}
		ll, _ := d.eval(m, nil)
		return -ll
	}
	grad := func(g, u []float64) {
		m := model(u)
		if !m.ok() {
			for i := range g {
				g[i] = 0
			}
			return
		}
		d.eval(m, g)
		for i := range g {
			g[i] = -g[i]
		}
	}
	theta, info, err := btydMaximize(negLL, grad, cfg, 4)
	if theta == nil {
		return BGNBD{}, info, err
	}
	m := BGNBD{theta[0], theta[1], theta[2], theta[3]}
	ll, _ := d.eval(m, nil)
	info.LogLikelihood, info.Customers = ll*d.total, d.total
	return m, info, err
}

// ExpectedPurchases returns E[X(t)], the expected number of purchases of a
// new customer in a period of length t after her first purchase (that
// purchase excluded).
func (m BGNBD) ExpectedPurchases(t float64) float64 {
	return m.ConditionalExpectedPurchases(t, History{})
}

// ConditionalExpectedPurchases returns E[Y(t) | X, Tx, T], the expected
// number of purchases in the next t time units of a customer with history
// h (h.Weight is ignored). It is finite for every valid history, however
// extreme; NaN when t < 0 or the model's parameters are not positive.
//
// It uses the closed form of Fader, Hardie and Lee (2005, eq. 10), with the
// Gauss hypergeometric function Euler-transformed so that its series
// converges fast for large X, and the factor 1/(A−1) folded into the
// series so that A = 1 is no special case.
func (m BGNBD) ConditionalExpectedPurchases(t float64, h History) float64 {
	if !m.ok() || !(t >= 0) {
		return math.NaN()
	}
	if t == 0 {
		return 0
	}
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	x := float64(h.X)
	// H = [1 − (1−z)^(a−1)·₂F₁(a+b−1−r, a−1; a+b+x−1; z)]/(a−1), z = t/(α+T+t).
	z := t / (al + h.T + t)
	lnq := -math.Log1p(t / (al + h.T)) // ln(1−z)
	lnS, signS := bgnbdSeries(a+b-1-r, a, a+b+x-1, z)
	hv := -expm1Over(a-1, lnq) - signS*math.Exp((a-1)*lnq+lnS)
	return (a + b + x - 1) * hv * m.PAlive(h)
}

// bgnbdSeries returns ln|S| and the sign of
// S = Σ_{n≥1} (p)_n (q)_{n−1} / ((c)_n n!) zⁿ, for 0 <= z < 1, rescaling as
// it goes so that no term overflows.
func bgnbdSeries(p, q, c, z float64) (float64, float64) {
	if z == 0 || p == 0 {
		return math.Inf(-1), 1
	}
	u := p / c * z
	sum, scale := u, 0.0
	for n := 1.0; n < 1e7; n++ {
		u *= (p + n) * (q + n - 1) / ((c + n) * (n + 1)) * z
		sum += u
		if math.Abs(sum) > 1e250 {
			sum, u = sum*1e-250, u*1e-250
			scale += 250 * math.Ln10
		}
		if math.Abs(u) <= 1e-17*math.Abs(sum) && (p+n)*(q+n-1)*z < (c+n)*(n+1) {
			break
		}
	}
	if sum == 0 {
		return math.Inf(-1), 1
	}
	sign := 1.0
	if sum < 0 {
		sign = -1
	}
	return math.Log(math.Abs(sum)) + scale, sign
}

// PAlive returns the probability that a customer with history h is still
// alive at T: 1 when X = 0, else 1/(1 + A/(B+X−1)·((Alpha+T)/(Alpha+Tx))^(R+X)).
func (m BGNBD) PAlive(h History) float64 {
	if !m.ok() {
		return math.NaN()
	}
	if h.X == 0 {
		return 1
	}
	x := float64(h.X)
	dd := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+h.T)-math.Log(m.Alpha+h.Tx))
	return logistic(dd)
}
