package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// simulateParetoNBD draws n customers from the Pareto/NBD model m (rates
// per week), with the design of btydPopulation.
func simulateParetoNBD(seed uint64, m ParetoNBD, n int) []History {
	rng := rand.New(rand.NewPCG(seed, 2))
	lam := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: rng}
	mu := distuv.Gamma{Alpha: m.S, Beta: m.Beta, Src: rng}
	return btydPopulation(rng, n, func(T float64) (int, float64) {
		l, life := lam.Rand()/7, rng.ExpFloat64()/(mu.Rand()/7) // per day
		end := math.Min(T, life)
		x, t, last := 0, 0.0, 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > end {
				return x, last
			}
			x, last = x+1, t
		}
	})
}

func TestParetoNBDCDNOW(t *testing.T) {
	m, info, err := FitParetoNBD(cdnowHistories(t), FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := ParetoNBD{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669}
	if math.Abs(m.R-want.R) > 0.01 || math.Abs(m.Alpha-want.Alpha) > 0.01 ||
		math.Abs(m.S-want.S) > 0.01 || math.Abs(m.Beta-want.Beta) > 0.01 {
		t.Errorf("fit %+v, published %+v (tolerance 0.01)", m, want)
	}
	if math.Abs(info.LogLikelihood-(-9595.0)) > 0.1 {
		t.Errorf("LL %.3f, published -9595.0", info.LogLikelihood)
	}
	c1 := History{X: 2, Tx: 30.43, T: 38.86}
	e, pa := m.ConditionalExpectedPurchases(39, c1), m.PAlive(c1)
	if !(e > 1 && e < 1.5) || !(pa > 0.5 && pa < 1) {
		t.Errorf("customer 1: E[Y(39)] = %v, PAlive = %v", e, pa)
	}
}

// TestParetoNBDIntegral checks the hypergeometric evaluation of the
// likelihood's integral against adaptive quadrature, on both sides of
// Alpha = Beta and with arguments of the series close to 1.
func TestParetoNBDIntegral(t *testing.T) {
	for _, m := range []ParetoNBD{
		{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669},
		{R: 0.5, Alpha: 10, S: 0.6, Beta: 10},
		{R: 2, Alpha: 1000, S: 0.3, Beta: 1},  // z up to 0.999
		{R: 0.2, Alpha: 0.5, S: 3, Beta: 500}, // z up to 0.999
		{R: 1, Alpha: 1e5, S: 1, Beta: 1},     // z up to 0.99999
	} {
		for _, h := range []History{{X: 0, Tx: 0, T: 30}, {X: 3, Tx: 0, T: 40}, {X: 1, Tx: 5, T: 6}, {X: 40, Tx: 2, T: 50}} {
			x := float64(h.X)
			f := func(u float64) float64 {
				// u in (0, 1) maps to τ = Tx + (T−Tx)·u⁴ to resolve the peak at Tx.
				tau := h.Tx + (h.T-h.Tx)*u*u*u*u
				return m.S * math.Pow(m.Alpha+tau, -(m.R+x)) * math.Pow(m.Beta+tau, -(m.S+1)) * 4 * u * u * u * (h.T - h.Tx)
			}
			want := quad.Fixed(f, 0, 1, 2000, quad.Legendre{}, 0)
			_, l2 := m.paretoParts(h.X, h.Tx, h.T)
			if got := math.Exp(l2); math.Abs(got-want) > 1e-9*want {
				t.Errorf("%+v %+v: integral %v, quadrature %v", m, h, got, want)
			}
		}
	}
}

func TestParetoNBDRecovery(t *testing.T) {
	// 30,000 customers: across seeds the estimates spread by about 0.015
	// (R), 0.25 (Alpha), 0.05 (S) and 2 (Beta); S and Beta are weakly
	// identified one by one, their ratio (the mean death rate) well. The
	// tolerances are about three times the spread.
	truth := ParetoNBD{R: 0.55, Alpha: 10, S: 0.6, Beta: 12}
	m, _, err := FitParetoNBD(simulateParetoNBD(3, truth, 30_000), FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("true %+v, fitted %+v", truth, m)
	if math.Abs(m.R-truth.R) > 0.05 || math.Abs(m.Alpha-truth.Alpha) > 0.8 ||
		math.Abs(m.S-truth.S) > 0.15 || math.Abs(m.S/m.Beta-truth.S/truth.Beta) > 0.015 {
		t.Errorf("fitted %+v far from true %+v", m, truth)
	}
}

func TestParetoNBDExtremes(t *testing.T) {
	models := []ParetoNBD{
		{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669},
		{R: 1e-6, Alpha: 1e-6, S: 1e-6, Beta: 1e-6},
		{R: 1e3, Alpha: 1e-3, S: 1e3, Beta: 1e3},
		{R: 0.5, Alpha: 1e6, S: 1, Beta: 0.01}, // S = 1 exactly
		{R: 50, Alpha: 2, S: 200, Beta: 5000},
	}
	hists := []History{
		{X: 0, Tx: 0, T: 0},
		{X: 0, Tx: 0, T: 1e9},
		{X: 1, Tx: 0, T: 1e-9},
		{X: 10000, Tx: 0, T: 1e6},
		{X: 10000, Tx: 1e6, T: 1e6},
		{X: 1_000_000, Tx: 1, T: 52},
		{X: 3, Tx: 0, T: 1e6},
	}
	for _, m := range models {
		for _, h := range hists {
			ll := m.LogLikelihood([]History{h})
			pa := m.PAlive(h)
			if !isFinite(ll) || !(pa >= 0 && pa <= 1) {
				t.Errorf("%+v %+v: LL %v, PAlive %v", m, h, ll, pa)
			}
			for _, tt := range []float64{1e-9, 1, 39, 1e6} {
				if e := m.ConditionalExpectedPurchases(tt, h); !isFinite(e) || e < 0 {
					t.Errorf("%+v %+v: E[Y(%v)] = %v", m, h, tt, e)
				}
			}
		}
	}
	// Continuity through S = 1.
	a := ParetoNBD{R: 0.5, Alpha: 10, S: 1, Beta: 12}.ExpectedPurchases(39)
	b := ParetoNBD{R: 0.5, Alpha: 10, S: 1 + 1e-9, Beta: 12}.ExpectedPurchases(39)
	if math.Abs(a-b) > 1e-7 || !(a > 0) {
		t.Errorf("E[X(39)] at S=1: %v, at S=1+1e-9: %v", a, b)
	}
	if _, _, err := FitParetoNBD(nil, FitConfig{}); !errors.Is(err, crmtype.ErrInvalid) {
		t.Errorf("FitParetoNBD(nil) error %v, want ErrInvalid", err)
	}
}
