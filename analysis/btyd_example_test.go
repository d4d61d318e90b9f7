package analysis_test

import (
	"fmt"
	"time"

	"github.com/kehu/crm/analysis"
)

func ExampleSummarize() {
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 12, 0, 0, 0, time.UTC) }
	purchases := []analysis.Purchase{
		{Customer: "ann", At: day(1, 1), Amount: 2000},
		{Customer: "ann", At: day(1, 15), Amount: 1500},
		{Customer: "ann", At: day(1, 15), Amount: 500}, // same day: one purchase of 2000
		{Customer: "ann", At: day(2, 12), Amount: 3000},
		{Customer: "ann", At: day(4, 1), Amount: 1000}, // hold-out
		{Customer: "bob", At: day(2, 26), Amount: 999},
	}
	sums, err := analysis.Summarize(purchases, analysis.SummaryConfig{
		CalibrationEnd: day(3, 25),
		HoldoutEnd:     day(6, 17),
		Unit:           analysis.UnitWeek,
	})
	if err != nil {
		panic(err)
	}
	for _, s := range sums {
		fmt.Printf("%s x=%d t_x=%.2f T=%.2f zbar=%.2f hold-out=%d\n", s.Customer, s.X, s.Tx, s.T, s.ZBar/100, s.HoldoutX)
	}
	// Output:
	// ann x=2 t_x=6.00 T=12.00 zbar=25.00 hold-out=1
	// bob x=0 t_x=0.00 T=4.00 zbar=0.00 hold-out=0
}

func ExampleFitBGNBD() {
	// 1,000 customers in compressed form: X repeat purchases, the last at
	// Tx weeks after the first, observed for T weeks, Weight customers each.
	rows := []analysis.History{
		{X: 0, Tx: 0, T: 39, Weight: 560},
		{X: 0, Tx: 0, T: 30, Weight: 40},
		{X: 1, Tx: 4, T: 39, Weight: 90},
		{X: 1, Tx: 20, T: 39, Weight: 70},
		{X: 1, Tx: 35, T: 39, Weight: 40},
		{X: 2, Tx: 10, T: 39, Weight: 40},
		{X: 2, Tx: 30, T: 39, Weight: 40},
		{X: 3, Tx: 25, T: 39, Weight: 30},
		{X: 3, Tx: 37, T: 39, Weight: 30},
		{X: 5, Tx: 15, T: 39, Weight: 20},
		{X: 5, Tx: 36, T: 39, Weight: 20},
		{X: 8, Tx: 38, T: 39, Weight: 20},
	}
	m, info, err := analysis.FitBGNBD(rows, analysis.FitConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("r=%.3f alpha=%.3f a=%.3f b=%.3f LL=%.1f\n", m.R, m.Alpha, m.A, m.B, info.LogLikelihood)
	c := analysis.History{X: 2, Tx: 30, T: 39}
	fmt.Printf("P(alive)=%.3f, next 39 weeks: %.3f purchases\n", m.PAlive(c), m.ConditionalExpectedPurchases(39, c))
	// Output:
	// r=0.321 alpha=9.590 a=1.070 b=3.918 LL=-3984.1
	// P(alive)=0.741, next 39 weeks: 1.161 purchases
}

func ExampleCLV() {
	// The published CDNOW estimates (weeks, dollars).
	bg := analysis.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	gg := analysis.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	customer := analysis.History{X: 2, Tx: 30.43, T: 38.86} // mean repeat spend $22.35
	clv, err := analysis.CLV(bg, gg, customer, 22.35, analysis.CLVConfig{
		Periods:      12,        // one year
		PeriodLength: 52.0 / 12, // of months, in weeks
		Margin:       0.3,
		DiscountRate: 0.01, // per month
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("spend per purchase $%.2f, 52-week purchases %.3f, CLV $%.2f\n",
		gg.ConditionalExpectedSpend(2, 22.35), bg.ConditionalExpectedPurchases(52, customer), clv)
	// Output:
	// spend per purchase $24.66, 52-week purchases 1.559, CLV $10.86
}
