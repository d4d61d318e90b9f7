package analysis_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/kehu/crm/analysis"
)

// An A/B test of two email subjects: 120 of 1,000 recipients bought after
// variant A, 95 of 1,000 after variant B.
func ExampleTwoProportionZTest() {
	r, err := analysis.TwoProportionZTest(120, 1000, 95, 1000, analysis.TwoSided, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("A %.1f%%, B %.1f%%, difference %.1f points [%.1f, %.1f]\n",
		100*r.P1, 100*r.P2, 100*r.Diff, 100*r.DiffCI.Lo, 100*r.DiffCI.Hi)
	fmt.Printf("z = %.2f, p = %.3f, significant at 5%%: %v\n", r.Z, r.P, r.P < 0.05)
	// Output:
	// A 12.0%, B 9.5%, difference 2.5 points [-0.2, 5.2]
	// z = 1.80, p = 0.071, significant at 5%: false
}

// Three variants: does the response rate depend on the variant?
func ExampleChiSquareProportions() {
	r, err := analysis.ChiSquareProportions([]int{120, 95, 140}, []int{1000, 1000, 1000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("X² = %.2f, df = %d, p = %.4f\n", r.Statistic, r.DF, r.P)
	// Output:
	// X² = 9.74, df = 2, p = 0.0077
}

func ExampleChiSquareIndependence() {
	// Rows: customer segment; columns: answered, ignored, unsubscribed.
	r, err := analysis.ChiSquareIndependence([][]int{
		{10, 10, 20},
		{20, 20, 20},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("X² = %.4f, df = %d, p = %.4f\n", r.Statistic, r.DF, r.P)
	// Output:
	// X² = 2.7778, df = 2, p = 0.2494
}

func ExampleWilsonInterval() {
	ci, err := analysis.WilsonInterval(81, 263, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("81/263 = %.4f, 95%% CI [%.4f, %.4f]\n", 81.0/263, ci.Lo, ci.Hi)
	// Output:
	// 81/263 = 0.3080, 95% CI [0.2553, 0.3662]
}

func ExampleWelchTTest() {
	// Student's sleep data: extra hours of sleep under two drugs.
	drug1 := []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	drug2 := []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	r, err := analysis.WelchTTest(drug1, drug2, analysis.TwoSided, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("t = %.4f, df = %.3f, p = %.5f, CI [%.4f, %.4f]\n", r.T, r.DF, r.P, r.DiffCI.Lo, r.DiffCI.Hi)
	// Output:
	// t = -1.8608, df = 17.776, p = 0.07939, CI [-3.3655, 0.2055]
}

// Revenue per member is skewed: most members spend nothing. A bootstrap
// interval for the difference in mean revenue makes no normality
// assumption.
func ExampleBootstrapDiffInterval() {
	rng := rand.New(rand.NewPCG(1, 1))
	spend := func(n int, buyRate float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			if rng.Float64() < buyRate {
				xs[i] = 20 + 80*rng.ExpFloat64()
			}
		}
		return xs
	}
	treated, control := spend(2000, 0.12), spend(2000, 0.08)
	mean := func(xs []float64) float64 { return stat.Mean(xs, nil) }
	r, err := analysis.BootstrapDiffInterval(treated, control, mean, analysis.BootstrapConfig{
		Resamples: 2000,
		Source:    rand.NewPCG(7, 7),
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("lift in revenue per member: %.2f, 95%% CI [%.2f, %.2f]\n", r.Estimate, r.CI.Lo, r.CI.Hi)
	fmt.Println("interval excludes zero:", !r.CI.Contains(0))
	// Output:
	// lift in revenue per member: 2.43, 95% CI [0.18, 4.72]
	// interval excludes zero: true
}

// Before the test starts: how many members per arm are needed to detect a
// lift of the conversion rate from 10% to 12%?
func ExampleSampleSizeRelativeLift() {
	n, err := analysis.SampleSizeRelativeLift(0.10, 0.20, analysis.SampleSizeConfig{Alpha: 0.05, Power: 0.80})
	if err != nil {
		panic(err)
	}
	fmt.Println("members per arm:", n)
	// Output:
	// members per arm: 3841
}

func ExampleNPS() {
	scores := []int{10, 9, 9, 10, 9, 7, 8, 0, 6, 3}
	r, err := analysis.NPS(scores, 0.95)
	if err != nil {
		panic(err)
	}
	fmt.Printf("NPS %.0f (%d promoters, %d passives, %d detractors), 95%% CI [%.1f, %.1f]\n",
		r.Score, r.Promoters, r.Passives, r.Detractors, r.CI.Lo, r.CI.Hi)
	// Output:
	// NPS 20 (5 promoters, 2 passives, 3 detractors), 95% CI [-34.0, 74.0]
}

func ExampleChurnRisk() {
	// P(alive) for five customers, from a BG/NBD or Pareto/NBD model.
	pAlive := []float64{0.95, 0.30, 0.62, 0.08, 0.51}
	risk, err := analysis.ChurnRisk(pAlive)
	if err != nil {
		panic(err)
	}
	idx, err := analysis.AtRisk(risk, analysis.DefaultChurnThreshold)
	if err != nil {
		panic(err)
	}
	for _, i := range idx {
		fmt.Printf("customer %d: risk %.2f\n", i, risk[i])
	}
	// Output:
	// customer 3: risk 0.92
	// customer 1: risk 0.70
}

// A churn model on two customer features, with the drivers of one
// customer's score.
func ExampleFitLogistic() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	X := mat.NewDense(n, 2, nil)
	churned := make([]bool, n)
	for i := range n {
		daysSince := 10 + 200*rng.Float64()
		orders := float64(rng.IntN(12))
		X.Set(i, 0, daysSince)
		X.Set(i, 1, orders)
		logOdds := -2 + 0.015*daysSince - 0.25*orders
		churned[i] = rng.Float64() < 1/(1+math.Exp(-logOdds))
	}
	m, err := analysis.FitLogistic(X, churned, analysis.LogisticConfig{
		Features: []string{"days_since_last_order", "orders"},
	})
	if err != nil {
		panic(err)
	}
	for _, c := range m.Coefficients {
		fmt.Printf("%-22s %7.4f (SE %.4f, z %.1f)\n", c.Name, c.Estimate, c.StdErr, c.Z)
	}
	e, err := m.Explain([]float64{190, 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("churn risk %.2f; drivers:\n", e.Probability)
	for _, c := range e.Contributions {
		fmt.Printf("  %-22s %+.2f log-odds\n", c.Feature, c.LogOdds)
	}
	// Output:
	// days_since_last_order   0.0144 (SE 0.0007, z 19.8)
	// orders                 -0.2263 (SE 0.0120, z -18.9)
	// churn risk 0.63; drivers:
	//   days_since_last_order  +1.14 log-odds
	//   orders                 +1.03 log-odds
}

func ExampleCohorts() {
	at := func(s string) time.Time {
		t, _ := time.Parse(time.DateOnly, s)
		return t
	}
	purchases := []analysis.CohortPurchase[string]{
		{Customer: "ann", At: at("2024-01-05"), Amount: 1000},
		{Customer: "bob", At: at("2024-01-31"), Amount: 300},
		{Customer: "bob", At: at("2024-02-10"), Amount: 700},
		{Customer: "ann", At: at("2024-03-02"), Amount: 2000},
		{Customer: "cat", At: at("2024-02-15"), Amount: 1500},
		{Customer: "cat", At: at("2024-03-31"), Amount: 250},
	}
	tab, err := analysis.Cohorts(purchases, time.UTC)
	if err != nil {
		panic(err)
	}
	for _, c := range tab.Cohorts {
		fmt.Printf("%s size %d retention %v revenue %v\n", c.Month.Format("2006-01"), c.Size, c.Retention, c.Revenue)
	}
	// Output:
	// 2024-01 size 2 retention [1 0.5 0.5] revenue [1300 700 2000]
	// 2024-02 size 1 retention [1 1] revenue [1500 250]
}
