package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/stat/distuv"
)

// cdnowBGNBD is the published BG/NBD estimate on CDNOW (Fader, Hardie & Lee 2005).
var cdnowBGNBD = BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}

// btydPopulation draws n customers whose first purchase falls on a day
// uniform over the first 12 weeks and who are observed until day 272 (the
// CDNOW design). purchases(T) returns a customer's repeat purchase times
// in days within (0, T]. Times are floored to whole days and returned in
// weeks, so that histories repeat as they do in real data.
func btydPopulation(rng *rand.Rand, n int, purchases func(T float64) (x int, last float64)) []History {
	rows := make([]History, n)
	for i := range rows {
		T := float64(272 - rng.IntN(84))
		x, last := purchases(T)
		tx := 0.0
		if x > 0 {
			tx = math.Floor(last)
		}
		rows[i] = History{X: x, Tx: tx / 7, T: T / 7, Weight: 1}
	}
	return rows
}

// simulateBGNBD draws n customers from the BG/NBD model m (rates per week).
func simulateBGNBD(seed uint64, m BGNBD, n int) []History {
	rng := rand.New(rand.NewPCG(seed, 1))
	lam := distuv.Gamma{Alpha: m.R, Beta: m.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: m.A, Beta: m.B, Src: rng}
	return btydPopulation(rng, n, func(T float64) (int, float64) {
		l, p := lam.Rand()/7, drop.Rand() // rate per day
		x, t, last := 0, 0.0, 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > T {
				return x, last
			}
			x, last = x+1, t
			if rng.Float64() < p {
				return x, last
			}
		}
	})
}

func TestBGNBDCDNOW(t *testing.T) {
	m, info, err := FitBGNBD(cdnowHistories(t), FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := cdnowBGNBD
	if math.Abs(m.R-want.R) > 0.005 || math.Abs(m.Alpha-want.Alpha) > 0.005 ||
		math.Abs(m.A-want.A) > 0.005 || math.Abs(m.B-want.B) > 0.005 {
		t.Errorf("fit %+v, published %+v (tolerance 0.005)", m, want)
	}
	if math.Abs(info.LogLikelihood-(-9582.4)) > 0.1 || info.Customers != 2357 {
		t.Errorf("LL %.3f over %v customers, published -9582.4 over 2357", info.LogLikelihood, info.Customers)
	}
	// Published: customer 1 (x=2, t_x=30.43, T=38.86) makes 1.226 purchases in the next 39 weeks.
	c1 := History{X: 2, Tx: 30.43, T: 38.86}
	if got := m.ConditionalExpectedPurchases(39, c1); math.Abs(got-1.226) > 0.001 {
		t.Errorf("E[Y(39) | customer 1] = %.4f, want 1.226", got)
	}
	// The same with the published parameters, against a direct evaluation of
	// the paper's formula with a plain hypergeometric series.
	if got, ref := want.ConditionalExpectedPurchases(39, c1), bgnbdCondRef(want, 39, c1); math.Abs(got-ref) > 1e-12 {
		t.Errorf("conditional %v, reference formula %v", got, ref)
	}
	if got, ref := want.ExpectedPurchases(39), bgnbdCondRef(want, 39, History{}); math.Abs(got-ref) > 1e-12 {
		t.Errorf("E[X(39)] = %v, reference formula %v", got, ref)
	}
	if got := want.PAlive(c1); math.Abs(got-1/(1+0.793/3.426*math.Pow((4.414+38.86)/(4.414+30.43), 2.243))) > 1e-12 {
		t.Errorf("PAlive = %v", got)
	}
	// The log-likelihood of the compressed rows is that of the customers.
	h := cdnowHistories(t)
	if a, b := m.LogLikelihood(h), m.LogLikelihood(Compress(h)); math.Abs(a-b) > 1e-8 {
		t.Errorf("LL %v on customers, %v on compressed rows", a, b)
	}
}

// bgnbdCondRef is eq. (10) of Fader, Hardie & Lee (2005), evaluated
// directly with the series of ₂F₁ (only for moderate arguments).
func bgnbdCondRef(m BGNBD, t float64, h History) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	x := float64(h.X)
	z := t / (al + h.T + t)
	p, q, c := r+x, b+x, a+b+x-1
	f, term := 1.0, 1.0
	for n := 0.0; n < 10000; n++ {
		term *= (p + n) * (q + n) / ((c + n) * (n + 1)) * z
		f += term
	}
	num := (a + b + x - 1) / (a - 1) * (1 - math.Pow((al+h.T)/(al+h.T+t), r+x)*f)
	den := 1.0
	if x > 0 {
		den += a / (b + x - 1) * math.Pow((al+h.T)/(al+h.Tx), r+x)
	}
	return num / den
}

func TestBGNBDRecovery(t *testing.T) {
	// 100,000 customers: across seeds the estimates spread by about 0.002
	// (R), 0.05 (Alpha), 0.045 (A) and 0.17 (B); the tolerances are about
	// three times that.
	truth := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	rows := simulateBGNBD(1, truth, 100_000)
	m, info, err := FitBGNBD(rows, FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("true %+v, fitted %+v, %d distinct rows, %d evaluations", truth, m, len(Compress(rows)), info.Evaluations)
	if math.Abs(m.R-truth.R) > 0.01 || math.Abs(m.Alpha-truth.Alpha) > 0.2 ||
		math.Abs(m.A-truth.A) > 0.15 || math.Abs(m.B-truth.B) > 0.5 {
		t.Errorf("fitted %+v far from true %+v", m, truth)
	}
	// The fit is a maximum: nudging any parameter lowers the likelihood.
	base := m.LogLikelihood(rows)
	for i := range 4 {
		for _, f := range []float64{0.999, 1.001} {
			n := m
			p := []*float64{&n.R, &n.Alpha, &n.A, &n.B}[i]
			*p *= f
			if ll := n.LogLikelihood(rows); ll > base {
				t.Errorf("parameter %d ×%v raises LL from %v to %v", i, f, base, ll)
			}
		}
	}
}

func TestBGNBDExtremes(t *testing.T) {
	models := []BGNBD{
		cdnowBGNBD,
		{R: 1e-6, Alpha: 1e-6, A: 1e-6, B: 1e-6},
		{R: 1e3, Alpha: 1e-3, A: 1e3, B: 1e3},
		{R: 0.5, Alpha: 1e6, A: 1, B: 0.01}, // A = 1 exactly
		{R: 50, Alpha: 2, A: 200, B: 5000},
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
				e := m.ConditionalExpectedPurchases(tt, h)
				if !isFinite(e) || e < 0 {
					t.Errorf("%+v %+v: E[Y(%v)] = %v", m, h, tt, e)
				}
			}
		}
	}
	// Continuity through A = 1, where the closed form has 0/0.
	h := History{X: 2, Tx: 30, T: 39}
	at1 := BGNBD{R: 0.3, Alpha: 4, A: 1, B: 2}.ConditionalExpectedPurchases(39, h)
	near := BGNBD{R: 0.3, Alpha: 4, A: 1 + 1e-9, B: 2}.ConditionalExpectedPurchases(39, h)
	if math.Abs(at1-near) > 1e-7 {
		t.Errorf("E at A=1: %v, at A=1+1e-9: %v", at1, near)
	}
	// Expected purchases grow with t.
	prev := 0.0
	for _, tt := range []float64{1, 10, 100, 1000, 1e5} {
		e := cdnowBGNBD.ExpectedPurchases(tt)
		if !(e > prev) {
			t.Errorf("E[X(%v)] = %v not above %v", tt, e, prev)
		}
		prev = e
	}
}

func TestBGNBDInvalid(t *testing.T) {
	for _, rows := range [][]History{
		nil,
		{{X: -1, Tx: 0, T: 1}},
		{{X: 1, Tx: 2, T: 1}},
		{{X: 1, Tx: 0, T: math.Inf(1)}},
		{{X: 1, Tx: math.NaN(), T: 1}},
		{{X: 1, Tx: 0, T: 1, Weight: -1}},
	} {
		if _, _, err := FitBGNBD(rows, FitConfig{}); !errors.Is(err, crmtype.ErrInvalid) {
			t.Errorf("FitBGNBD(%v) error %v, want ErrInvalid", rows, err)
		}
	}
	if _, _, err := FitBGNBD([]History{{X: 1, Tx: 1, T: 2}}, FitConfig{Init: []float64{1, 2}}); err == nil {
		t.Error("Init of the wrong length accepted")
	}
	if v := (BGNBD{R: -1, Alpha: 1, A: 1, B: 1}).PAlive(History{X: 1, T: 1}); !math.IsNaN(v) {
		t.Errorf("PAlive with R < 0 = %v, want NaN", v)
	}
}
