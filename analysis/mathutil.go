package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/optimize"
)

// Numerical helpers shared by the buy-till-you-die models.

func isInf(v float64) bool { return math.IsInf(v, 0) }

func isFinite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

// logAddExp returns ln(e^a + e^b) without overflow.
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// logistic returns 1/(1+e^d) without overflow.
func logistic(d float64) float64 {
	if d > 0 {
		e := math.Exp(-d)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(d))
}

// lgamma is ln Γ(v) for v > 0.
func lgamma(v float64) float64 {
	l, _ := math.Lgamma(v)
	return l
}

// expm1Over returns (e^(e·l) − 1)/e, with its limit l at e = 0.
func expm1Over(e, l float64) float64 {
	if e == 0 {
		return l
	}
	return math.Expm1(e*l) / e
}

// FitConfig controls a maximum-likelihood fit. The zero value is ready to use.
type FitConfig struct {
	// Init is the starting point, in the model's parameter order (all
	// parameters must be positive). Nil means every parameter 1.
	Init []float64
	// MaxIterations caps the optimiser's major iterations. Zero means 1000.
	MaxIterations int
}

// FitInfo describes a finished fit.
type FitInfo struct {
	LogLikelihood float64 // total log-likelihood at the estimate
	Customers     float64 // number of customers fitted (sum of weights)
	Iterations    int     // optimiser major iterations
	Evaluations   int     // log-likelihood evaluations (a gradient counts as one)
}

// btydMaximize maximises a mean log-likelihood over positive parameters by
// running BFGS from gonum/optimize on their logarithms. negLL returns minus
// the mean log-likelihood at log-parameters u; grad, when not nil, writes its
// gradient with respect to u (when nil, central differences are used).
// It returns the parameters (not their logarithms).
func btydMaximize(negLL func(u []float64) float64, grad func(g, u []float64), cfg FitConfig, n int) ([]float64, FitInfo, error) {
	u0 := make([]float64, n)
	if cfg.Init != nil {
		if len(cfg.Init) != n {
			return nil, FitInfo{}, fmt.Errorf("analysis: fit: Init has %d values, want %d", len(cfg.Init), n)
		}
		for i, v := range cfg.Init {
			if !(v > 0) || isInf(v) {
				return nil, FitInfo{}, fmt.Errorf("analysis: fit: Init[%d] = %v is not positive and finite", i, v)
			}
			u0[i] = math.Log(v)
		}
	}
	maxIter := cfg.MaxIterations
	if maxIter == 0 {
		maxIter = 1000
	}
	f := func(u []float64) float64 {
		v := negLL(u)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	if grad == nil {
		grad = func(g, u []float64) {
			fd.Gradient(g, f, u, &fd.Settings{Formula: fd.Central})
		}
	}
	p := optimize.Problem{Func: f, Grad: grad}
	settings := &optimize.Settings{
		GradientThreshold: 1e-8,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 25},
	}
	res, err := optimize.Minimize(p, u0, settings, &optimize.BFGS{})
	if err != nil && res == nil {
		return nil, FitInfo{}, fmt.Errorf("analysis: fit: %w", err)
	}
	theta := make([]float64, n)
	for i, v := range res.X {
		theta[i] = math.Exp(v)
	}
	info := FitInfo{Iterations: res.Stats.MajorIterations, Evaluations: res.Stats.FuncEvaluations + res.Stats.GradEvaluations}
	if err != nil && !btydStationary(res.Gradient) {
		return theta, info, fmt.Errorf("analysis: fit: %w", err)
	}
	if res.Status == optimize.IterationLimit {
		return theta, info, fmt.Errorf("analysis: fit: no convergence in %d iterations", maxIter)
	}
	return theta, info, nil
}

// btydStationary reports whether a gradient of a mean log-likelihood is
// zero to the precision a line search can still improve on: a line search
// that fails there has found the optimum to working precision.
func btydStationary(g []float64) bool {
	if g == nil {
		return false
	}
	for _, v := range g {
		if !(math.Abs(v) < 1e-6) {
			return false
		}
	}
	return true
}
