package analysis

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kehu/crm/crmtype"
)

// DefaultChurnThreshold is the churn risk at or above which ClassifyChurn
// and AtRisk count a customer as at risk when the caller has no better
// threshold: even odds.
const DefaultChurnThreshold = 0.5

// ChurnRisk turns each customer's probability of being alive (from a
// buy-till-you-die model such as BG/NBD or Pareto/NBD) into a churn risk,
// 1 − P(alive). The result has the same order as pAlive.
//
// It returns an error if a probability is NaN or outside [0, 1].
func ChurnRisk(pAlive []float64) ([]float64, error) {
	risk := make([]float64, len(pAlive))
	for i, p := range pAlive {
		if !(p >= 0 && p <= 1) {
			return nil, crmtype.Invalidf("pAlive", "value [%d] is %g, must be in [0, 1]", i, p)
		}
		risk[i] = 1 - p
	}
	return risk, nil
}

// ClassifyChurn reports, for each customer, whether risk[i] ≥ threshold.
//
// It returns an error if threshold or a risk is NaN or outside [0, 1].
func ClassifyChurn(risk []float64, threshold float64) ([]bool, error) {
	if err := churnCheckRisks(risk, threshold); err != nil {
		return nil, err
	}
	out := make([]bool, len(risk))
	for i, r := range risk {
		out[i] = r >= threshold
	}
	return out, nil
}

// AtRisk returns the indices of the customers whose risk is at least
// threshold, highest risk first (ties in index order), ready for a
// "who is about to leave" list.
//
// It returns an error if threshold or a risk is NaN or outside [0, 1].
func AtRisk(risk []float64, threshold float64) ([]int, error) {
	if err := churnCheckRisks(risk, threshold); err != nil {
		return nil, err
	}
	var idx []int
	for i, r := range risk {
		if r >= threshold {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(risk[b], risk[a]) })
	return idx, nil
}

func churnCheckRisks(risk []float64, threshold float64) error {
	if !(threshold >= 0 && threshold <= 1) {
		return crmtype.Invalidf("threshold", "is %g, must be in [0, 1]", threshold)
	}
	for i, r := range risk {
		if !(r >= 0 && r <= 1) {
			return crmtype.Invalidf("risk", "value [%d] is %g, must be in [0, 1]", i, r)
		}
	}
	return nil
}

// ErrSeparation reports that the outcome is perfectly (or quasi-perfectly)
// predicted by a linear combination of the features, so the maximum
// likelihood estimate does not exist: some coefficient would be infinite.
// Remove or merge the separating feature, or fit with LogisticConfig.L2 > 0.
var ErrSeparation = errors.New("analysis: logistic regression: outcome is perfectly separated by the features; the maximum likelihood estimate does not exist")

// ErrLogisticNotConverged reports that the Newton iterations of FitLogistic
// did not converge within LogisticConfig.MaxIter.
var ErrLogisticNotConverged = errors.New("analysis: logistic regression did not converge")

// LogisticConfig configures FitLogistic. The zero value is valid.
type LogisticConfig struct {
	// L2 is the ridge penalty λ ≥ 0. The fit maximises
	// ℓ(β) − λ/2 · Σ_j (β_j·s_j)², where s_j is feature j's standard
	// deviation: a ridge penalty on the standardised coefficients, so it does
	// not depend on the features' units. The intercept is not penalised.
	// Default 0: plain maximum likelihood.
	L2 float64
	// MaxIter bounds the Newton (IRLS) iterations. Default 100.
	MaxIter int
	// Tol stops the iterations once no standardised coefficient moves by
	// more than Tol in an iteration. Default 1e-10.
	Tol float64
	// Features names the columns of X in the results. Default "x0", "x1", ….
	Features []string
}

// LogisticCoefficient is one fitted coefficient with its Wald statistics.
type LogisticCoefficient struct {
	Name     string
	Estimate float64 // change in log-odds per unit of the feature, in the units of X
	// StdErr is the square root of the diagonal of the inverse observed
	// information (of the penalised likelihood when L2 > 0, where it is an
	// approximation).
	StdErr float64
	Z      float64 // Estimate / StdErr
	P      float64 // two-sided p-value 2·(1 − Φ(|Z|))
	// Standardized is Estimate × the feature's standard deviation: the change
	// in log-odds per standard deviation, comparable across features. For
	// the intercept it is the log-odds of a customer at the mean of every
	// feature.
	Standardized float64
}

// LogisticModel is a fitted logistic regression, e.g. of churn (y = true)
// on customer features.
type LogisticModel struct {
	Intercept    LogisticCoefficient
	Coefficients []LogisticCoefficient // one per column of X, in order
	// Mean and SD are each feature's mean and sample standard deviation on
	// the training data; Explain standardises with them.
	Mean, SD []float64
	// LogLikelihood is ℓ at the estimate (without the penalty);
	// NullLogLikelihood is ℓ of the intercept-only model.
	LogLikelihood, NullLogLikelihood float64
	N                                int     // number of observations
	Iterations                       int     // Newton iterations used
	L2                               float64 // penalty used
}

// FitLogistic fits a logistic regression of y on the columns of X (one row
// per customer, one column per feature; an intercept is added) by maximum
// likelihood, with Newton–Raphson (iteratively reweighted least squares)
// on internally standardised features and step halving. Standard errors
// come from the inverse observed information.
//
// It returns ErrSeparation (wrapped) when the outcome is completely or
// quasi-completely separated by the features, and ErrLogisticNotConverged
// (wrapped) when the iterations do not converge otherwise. It returns a
// *crmtype.ValidationError if X is empty or its row count differs from
// len(y), there are not more rows than columns + 1, a value is not finite,
// a feature is constant, the features are collinear, y holds only one
// class, or cfg is invalid.
func FitLogistic(X mat.Matrix, y []bool, cfg LogisticConfig) (*LogisticModel, error) {
	if X == nil {
		return nil, crmtype.Invalid("X", "is nil")
	}
	n, p := X.Dims()
	switch {
	case n == 0 || p == 0:
		return nil, crmtype.Invalid("X", "is empty")
	case len(y) != n:
		return nil, crmtype.Invalidf("y", "has %d values, X has %d rows", len(y), n)
	case n <= p+1:
		return nil, crmtype.Invalidf("X", "has %d rows, needs more than %d for %d features and an intercept", n, p+1, p)
	}
	if cfg.L2 < 0 || math.IsNaN(cfg.L2) || math.IsInf(cfg.L2, 0) {
		return nil, crmtype.Invalidf("L2", "is %g, must be finite and non-negative", cfg.L2)
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 100
	}
	if cfg.MaxIter < 0 {
		return nil, crmtype.Invalid("MaxIter", "must not be negative")
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-10
	}
	if !(cfg.Tol > 0) || math.IsInf(cfg.Tol, 0) {
		return nil, crmtype.Invalid("Tol", "must be positive")
	}
	if cfg.Features != nil && len(cfg.Features) != p {
		return nil, crmtype.Invalidf("Features", "has %d names, X has %d columns", len(cfg.Features), p)
	}
	var ones int
	for _, v := range y {
		if v {
			ones++
		}
	}
	if ones == 0 || ones == n {
		return nil, crmtype.Invalid("y", "holds only one class; both outcomes must occur")
	}

	// Standardised design matrix A = [1, (X − mean)/sd].
	mean := make([]float64, p)
	sd := make([]float64, p)
	col := make([]float64, n)
	A := mat.NewDense(n, p+1, nil)
	for i := range n {
		A.Set(i, 0, 1)
	}
	for j := range p {
		for i := range n {
			v := X.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, crmtype.Invalidf("X", "value [%d][%d] is not finite", i, j)
			}
			col[i] = v
		}
		mean[j], sd[j] = stat.MeanStdDev(col, nil)
		if !(sd[j] > 0) || sd[j] < 1e-12*math.Max(1, math.Abs(mean[j])) {
			return nil, crmtype.Invalidf("X", "column %d is constant", j)
		}
		for i := range n {
			A.Set(i, j+1, (col[i]-mean[j])/sd[j])
		}
	}

	fit, err := logisticNewton(A, y, cfg)
	if err != nil {
		return nil, err
	}

	// Back to the units of X: β_j = γ_j/s_j, β0 = γ0 − Σ γ_j m_j/s_j, i.e.
	// β = Tγ, so Cov(β) = T Cov(γ) Tᵀ.
	T := mat.NewDense(p+1, p+1, nil)
	T.Set(0, 0, 1)
	for j := range p {
		T.Set(0, j+1, -mean[j]/sd[j])
		T.Set(j+1, j+1, 1/sd[j])
	}
	var beta mat.VecDense
	beta.MulVec(T, fit.gamma)
	var tc, cov mat.Dense
	tc.Mul(T, fit.cov)
	cov.Mul(&tc, T.T())

	names := cfg.Features
	if names == nil {
		names = make([]string, p)
		for j := range names {
			names[j] = fmt.Sprintf("x%d", j)
		}
	}
	coef := func(name string, k int, standardized float64) LogisticCoefficient {
		c := LogisticCoefficient{
			Name:         name,
			Estimate:     beta.AtVec(k),
			StdErr:       math.Sqrt(math.Max(0, cov.At(k, k))),
			Standardized: standardized,
		}
		if c.StdErr > 0 {
			c.Z = c.Estimate / c.StdErr
			c.P = math.Min(1, 2*distuv.UnitNormal.Survival(math.Abs(c.Z)))
		} else {
			c.P = 1
		}
		return c
	}
	m := &LogisticModel{
		Intercept:    coef("(Intercept)", 0, fit.gamma.AtVec(0)),
		Coefficients: make([]LogisticCoefficient, p),
		Mean:         mean,
		SD:           sd,
		N:            n,
		Iterations:   fit.iter,
		L2:           cfg.L2,
	}
	for j := range p {
		m.Coefficients[j] = coef(names[j], j+1, fit.gamma.AtVec(j+1))
	}
	m.LogLikelihood = fit.loglik
	py := float64(ones) / float64(n)
	m.NullLogLikelihood = float64(ones)*math.Log(py) + float64(n-ones)*math.Log(1-py)
	return m, nil
}

type logisticFit struct {
	gamma  *mat.VecDense // coefficients on the standardised scale
	cov    *mat.Dense    // inverse (penalised) information on that scale
	loglik float64       // unpenalised log-likelihood
	iter   int
}

// logisticNewton maximises the (penalised) log-likelihood over the
// standardised design A (first column all ones).
func logisticNewton(A *mat.Dense, y []bool, cfg LogisticConfig) (logisticFit, error) {
	n, k := A.Dims()
	gamma := mat.NewVecDense(k, nil)
	eta := mat.NewVecDense(n, nil)
	resid := mat.NewVecDense(n, nil)
	grad := mat.NewVecDense(k, nil)
	step := mat.NewVecDense(k, nil)
	trial := mat.NewVecDense(k, nil)
	wA := mat.NewDense(n, k, nil)
	hess := mat.NewSymDense(k, nil)
	var chol mat.Cholesky

	penalised := func(g *mat.VecDense, eta *mat.VecDense) (ll, pl float64) {
		eta.MulVec(A, g)
		for i := range n {
			ll += logisticLogLik(eta.AtVec(i), y[i])
		}
		pl = ll
		for j := 1; j < k; j++ {
			pl -= cfg.L2 / 2 * g.AtVec(j) * g.AtVec(j)
		}
		return ll, pl
	}

	ll, pl := penalised(gamma, eta)
	minW := 0.25
	for iter := 1; iter <= cfg.MaxIter; iter++ {
		// Gradient Aᵀ(y − μ) − λγ and Hessian AᵀWA + λI (intercept unpenalised).
		minW = 1
		for i := range n {
			mu := logisticSigmoid(eta.AtVec(i))
			w := mu * (1 - mu)
			minW = math.Min(minW, w)
			yi := 0.0
			if y[i] {
				yi = 1
			}
			resid.SetVec(i, yi-mu)
			for j := range k {
				wA.Set(i, j, w*A.At(i, j))
			}
		}
		grad.MulVec(A.T(), resid)
		var h mat.Dense
		h.Mul(A.T(), wA)
		for a := range k {
			for b := a; b < k; b++ {
				hess.SetSym(a, b, h.At(a, b))
			}
		}
		for j := 1; j < k; j++ {
			grad.SetVec(j, grad.AtVec(j)-cfg.L2*gamma.AtVec(j))
			hess.SetSym(j, j, hess.At(j, j)+cfg.L2)
		}
		if !chol.Factorize(hess) || chol.Cond() > 1e14 {
			if cfg.L2 == 0 && minW < 1e-10 {
				return logisticFit{}, fmt.Errorf("%w (fitted probabilities reached 0 or 1)", ErrSeparation)
			}
			return logisticFit{}, crmtype.Invalid("X", "features are collinear; drop or combine redundant columns")
		}
		if err := chol.SolveVecTo(step, grad); err != nil {
			return logisticFit{}, crmtype.Invalid("X", "features are collinear; drop or combine redundant columns")
		}

		// Step halving keeps every iteration an ascent step.
		t := 1.0
		var newLL, newPL float64
		for range 40 {
			trial.AddScaledVec(gamma, t, step)
			newLL, newPL = penalised(trial, eta)
			if newPL >= pl-1e-12*math.Abs(pl) {
				break
			}
			t /= 2
		}
		maxMove := 0.0
		for j := range k {
			maxMove = math.Max(maxMove, math.Abs(trial.AtVec(j)-gamma.AtVec(j)))
		}
		gamma.CopyVec(trial)
		ll, pl = newLL, newPL

		if cfg.L2 == 0 && logisticSeparates(eta, y) {
			return logisticFit{}, fmt.Errorf("%w (complete separation)", ErrSeparation)
		}
		if maxMove <= cfg.Tol {
			// Standard errors from the information at the final estimate.
			cov, ok := logisticInformation(A, eta, cfg.L2)
			if !ok {
				return logisticFit{}, crmtype.Invalid("X", "features are collinear; drop or combine redundant columns")
			}
			return logisticFit{gamma: gamma, cov: cov, loglik: ll, iter: iter}, nil
		}
	}
	if cfg.L2 == 0 {
		for i := range n {
			mu := logisticSigmoid(eta.AtVec(i))
			minW = math.Min(minW, mu*(1-mu))
		}
		if minW < 1e-10 {
			return logisticFit{}, fmt.Errorf("%w (quasi-complete separation: fitted probabilities reached 0 or 1)", ErrSeparation)
		}
	}
	return logisticFit{}, fmt.Errorf("%w within %d iterations", ErrLogisticNotConverged, cfg.MaxIter)
}

// logisticInformation returns the inverse of AᵀWA + λI (intercept
// unpenalised) at linear predictor eta.
func logisticInformation(A *mat.Dense, eta *mat.VecDense, l2 float64) (*mat.Dense, bool) {
	n, k := A.Dims()
	wA := mat.NewDense(n, k, nil)
	for i := range n {
		mu := logisticSigmoid(eta.AtVec(i))
		w := mu * (1 - mu)
		for j := range k {
			wA.Set(i, j, w*A.At(i, j))
		}
	}
	var h mat.Dense
	h.Mul(A.T(), wA)
	sym := mat.NewSymDense(k, nil)
	for a := range k {
		for b := a; b < k; b++ {
			sym.SetSym(a, b, h.At(a, b))
		}
	}
	for j := 1; j < k; j++ {
		sym.SetSym(j, j, sym.At(j, j)+l2)
	}
	var chol mat.Cholesky
	if !chol.Factorize(sym) {
		return nil, false
	}
	inv := mat.NewSymDense(k, nil)
	if err := chol.InverseTo(inv); err != nil {
		return nil, false
	}
	out := mat.NewDense(k, k, nil)
	out.Copy(inv)
	return out, true
}

// logisticSeparates reports whether the linear predictor classifies every
// observation correctly with a strictly positive margin, which proves that
// the likelihood has no maximum (scaling the coefficients up always
// increases it).
func logisticSeparates(eta *mat.VecDense, y []bool) bool {
	for i, yi := range y {
		e := eta.AtVec(i)
		if (yi && e <= 0) || (!yi && e >= 0) {
			return false
		}
	}
	return true
}

// logisticLogLik is the log-likelihood contribution y·η − log(1 + e^η),
// computed without overflow.
func logisticLogLik(eta float64, y bool) float64 {
	sp := math.Max(eta, 0) + math.Log1p(math.Exp(-math.Abs(eta)))
	if y {
		return eta - sp
	}
	return -sp
}

// logisticSigmoid is 1/(1 + e^−η), computed without overflow.
func logisticSigmoid(eta float64) float64 {
	if eta >= 0 {
		return 1 / (1 + math.Exp(-eta))
	}
	e := math.Exp(eta)
	return e / (1 + e)
}

// Predict returns the fitted probability that y is true (e.g. that the
// customer churns) for one row of features.
//
// It returns an error if len(x) differs from the number of features or a
// value is not finite.
func (m *LogisticModel) Predict(x []float64) (float64, error) {
	eta, err := m.logOdds(x)
	if err != nil {
		return 0, err
	}
	return logisticSigmoid(eta), nil
}

// PredictAll returns Predict for every row of X.
//
// It returns an error if X's column count differs from the number of
// features or a value is not finite.
func (m *LogisticModel) PredictAll(X mat.Matrix) ([]float64, error) {
	n, p := X.Dims()
	if p != len(m.Coefficients) {
		return nil, crmtype.Invalidf("X", "has %d columns, the model has %d features", p, len(m.Coefficients))
	}
	out := make([]float64, n)
	row := make([]float64, p)
	for i := range n {
		mat.Row(row, i, X)
		v, err := m.Predict(row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (m *LogisticModel) logOdds(x []float64) (float64, error) {
	if len(x) != len(m.Coefficients) {
		return 0, crmtype.Invalidf("x", "has %d values, the model has %d features", len(x), len(m.Coefficients))
	}
	eta := m.Intercept.Estimate
	for j, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, crmtype.Invalidf("x", "value [%d] is not finite", j)
		}
		eta += m.Coefficients[j].Estimate * v
	}
	return eta, nil
}

// Contribution is one feature's share of a customer's score.
type Contribution struct {
	Feature      string  // the feature's name
	Index        int     // its column in X
	Value        float64 // the customer's value, in the units of X
	Standardized float64 // (Value − Mean) / SD, with the training mean and SD
	// LogOdds is the coefficient per standard deviation times Standardized:
	// how far this feature moves the customer's log-odds away from those
	// of a customer at the mean of every feature.
	LogOdds float64
}

// Explanation decomposes one customer's score into per-feature
// contributions: LogOdds = Base + Σ Contributions[i].LogOdds.
type Explanation struct {
	Probability float64 // fitted probability, as Predict
	LogOdds     float64 // fitted log-odds
	// Base is the log-odds of a customer at the training mean of every
	// feature (the intercept on the standardised scale).
	Base float64
	// Contributions has one entry per feature, largest absolute LogOdds
	// first (ties in column order), so the first few are the customer's
	// main drivers.
	Contributions []Contribution
}

// Explain decomposes the score of one row of features into per-feature
// contributions (standardised coefficient × standardised value), so the
// largest drivers of a churn score can be listed.
//
// It returns an error if len(x) differs from the number of features or a
// value is not finite.
func (m *LogisticModel) Explain(x []float64) (Explanation, error) {
	eta, err := m.logOdds(x)
	if err != nil {
		return Explanation{}, err
	}
	e := Explanation{
		Probability:   logisticSigmoid(eta),
		LogOdds:       eta,
		Base:          m.Intercept.Standardized,
		Contributions: make([]Contribution, len(x)),
	}
	for j, v := range x {
		z := (v - m.Mean[j]) / m.SD[j]
		e.Contributions[j] = Contribution{
			Feature:      m.Coefficients[j].Name,
			Index:        j,
			Value:        v,
			Standardized: z,
			LogOdds:      m.Coefficients[j].Standardized * z,
		}
	}
	slices.SortStableFunc(e.Contributions, func(a, b Contribution) int {
		return cmp.Compare(math.Abs(b.LogOdds), math.Abs(a.LogOdds))
	})
	return e, nil
}
