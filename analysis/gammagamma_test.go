package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/stat/distuv"
)

func cdnowSpends(tb testing.TB) []Spend {
	var sp []Spend
	for _, s := range cdnowSummaries(tb) {
		sp = append(sp, Spend{X: s.X, MeanSpend: s.ZBar / 100}) // dollars
	}
	return sp
}

func TestGammaGammaCDNOW(t *testing.T) {
	m, info, err := FitGammaGamma(cdnowSpends(t), FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.P-6.25) > 0.01 || math.Abs(m.Q-3.74) > 0.01 || math.Abs(m.Gamma-15.44) > 0.01 {
		t.Errorf("fit %+v, published p=6.25 q=3.74 gamma=15.44 (tolerance 0.01)", m)
	}
	if math.Abs(info.LogLikelihood-(-4055.92)) > 0.01 || info.Customers != 946 {
		t.Errorf("LL %.4f over %v customers, published -4055.92 over 946", info.LogLikelihood, info.Customers)
	}
	// Customer 1: x = 2, zbar = 22.35.
	want := m.P * (m.Gamma + 2*22.35) / (2*m.P + m.Q - 1)
	if got := m.ConditionalExpectedSpend(2, 22.35); math.Abs(got-want) > 1e-12 || !(got > 22.35 && got < m.ExpectedSpend()) {
		t.Errorf("E[Z | 2, 22.35] = %v, want %v, between 22.35 and the mean %v", got, want, m.ExpectedSpend())
	}
	if got := m.ConditionalExpectedSpend(0, 0); math.Abs(got-m.ExpectedSpend()) > 1e-12 {
		t.Errorf("E[Z | x=0] = %v, want the population mean %v", got, m.ExpectedSpend())
	}
	// Money units scale Gamma only.
	var cents []Spend
	for _, s := range cdnowSpends(t) {
		cents = append(cents, Spend{X: s.X, MeanSpend: s.MeanSpend * 100})
	}
	mc, _, err := FitGammaGamma(cents, FitConfig{})
	if err != nil || math.Abs(mc.P-m.P) > 1e-4 || math.Abs(mc.Q-m.Q) > 1e-4 || math.Abs(mc.Gamma/100-m.Gamma) > 1e-3 {
		t.Errorf("fit in cents %+v (%v), in dollars %+v", mc, err, m)
	}
}

func TestGammaGammaRecovery(t *testing.T) {
	// 50,000 customers with 1 to 10 purchases: across seeds the estimates
	// spread by about 0.2 (P), 0.04 (Q) and 0.6 (Gamma), the population
	// mean spend P·Gamma/(Q−1) by under 1%; the tolerances are about three
	// times that.
	truth := GammaGamma{P: 6, Q: 4, Gamma: 15}
	rng := rand.New(rand.NewPCG(1, 3))
	nu := distuv.Gamma{Alpha: truth.Q, Beta: truth.Gamma, Src: rng}
	rows := make([]Spend, 50_000)
	for i := range rows {
		x := 1 + rng.IntN(10)
		z := distuv.Gamma{Alpha: truth.P, Beta: nu.Rand(), Src: rng}
		var sum float64
		for range x {
			sum += z.Rand()
		}
		rows[i] = Spend{X: x, MeanSpend: sum / float64(x)}
	}
	m, _, err := FitGammaGamma(rows, FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("true %+v, fitted %+v", truth, m)
	if math.Abs(m.P-truth.P) > 0.6 || math.Abs(m.Q-truth.Q) > 0.12 || math.Abs(m.Gamma-truth.Gamma) > 2 ||
		math.Abs(m.ExpectedSpend()/truth.ExpectedSpend()-1) > 0.03 {
		t.Errorf("fitted %+v far from true %+v", m, truth)
	}
}

func TestGammaGammaEdges(t *testing.T) {
	m := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	for _, s := range []Spend{{X: 1, MeanSpend: 1e-300}, {X: 1_000_000, MeanSpend: 1e9}, {X: 1, MeanSpend: 1e300}} {
		if ll := m.LogLikelihood([]Spend{s}); !isFinite(ll) {
			t.Errorf("LL(%+v) = %v", s, ll)
		}
		if e := m.ConditionalExpectedSpend(s.X, s.MeanSpend); !isFinite(e) || e <= 0 {
			t.Errorf("E[Z | %+v] = %v", s, e)
		}
	}
	if e := (GammaGamma{P: 1, Q: 0.5, Gamma: 1}).ConditionalExpectedSpend(0, 0); !math.IsInf(e, 1) {
		t.Errorf("E[Z] with Q < 1 = %v, want +Inf", e)
	}
	for _, rows := range [][]Spend{nil, {{X: 0}}, {{X: 1, MeanSpend: 0}}, {{X: 1, MeanSpend: math.NaN()}}, {{X: 1, MeanSpend: 1, Weight: -2}}} {
		if _, _, err := FitGammaGamma(rows, FitConfig{}); !errors.Is(err, crmtype.ErrInvalid) {
			t.Errorf("FitGammaGamma(%v) error %v, want ErrInvalid", rows, err)
		}
	}
}
