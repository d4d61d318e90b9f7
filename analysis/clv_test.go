package analysis

import (
	"errors"
	"math"
	"testing"

	"github.com/kehu/crm/crmtype"
)

// TestCLVLifetimes reproduces the CLV table of the lifetimes README
// (BG/NBD and Gamma-Gamma fitted on cdnow_customers_summary_with_transactions,
// customer_lifetime_value(time=12, discount_rate=0.01) with its default
// freq "D" on data in weeks: 12 periods of 30 time units).
func TestCLVLifetimes(t *testing.T) {
	var hs []History
	var sp []Spend
	for _, p := range cdnowPublished(t) {
		hs = append(hs, History{X: p.x, Tx: p.txF, T: p.TF})
		sp = append(sp, Spend{X: p.x, MeanSpend: p.zbF})
	}
	bg, _, err := FitBGNBD(hs, FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	gg, _, err := FitGammaGamma(sp, FitConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := CLVConfig{Periods: 12, PeriodLength: 30, DiscountRate: 0.01}
	for i, want := range map[int]float64{0: 140.096211, 1: 18.943467, 2: 38.180574, 5: 1003.868107, 6: 28.109683, 8: 167.418216} {
		got, err := CLV(bg, gg, hs[i], sp[i].MeanSpend, cfg)
		if err != nil || math.Abs(got-want) > 0.01 {
			t.Errorf("customer %d: CLV %.6f (%v), lifetimes %.6f", i+1, got, err, want)
		}
	}
}

func TestCLVSum(t *testing.T) {
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	h := History{X: 2, Tx: 30.43, T: 38.86}
	spend := gg.ConditionalExpectedSpend(2, 22.35)
	for _, pm := range []PurchaseModel{cdnowBGNBD, ParetoNBD{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669}} {
		// Without discounting the sum telescopes.
		got, err := CLV(pm, gg, h, 22.35, CLVConfig{Periods: 12, PeriodLength: 52.0 / 12, Margin: 0.3})
		want := 0.3 * spend * pm.ConditionalExpectedPurchases(52, h)
		if err != nil || math.Abs(got-want) > 1e-9*want {
			t.Errorf("%T: CLV %v (%v), want %v", pm, got, err, want)
		}
		disc, _ := CLV(pm, gg, h, 22.35, CLVConfig{Periods: 12, PeriodLength: 52.0 / 12, Margin: 0.3, DiscountRate: 0.01})
		if !(disc < got && disc > got/1.01/1.01/1.01/1.01/1.01/1.01/1.01/1.01/1.01/1.01/1.01/1.01) {
			t.Errorf("%T: discounted CLV %v not between undiscounted %v and fully discounted", pm, disc, got)
		}
	}
	for _, cfg := range []CLVConfig{
		{PeriodLength: 1},
		{Periods: 1},
		{Periods: 1, PeriodLength: 1, Margin: 1.5},
		{Periods: 1, PeriodLength: 1, DiscountRate: -0.1},
	} {
		if _, err := CLV(cdnowBGNBD, gg, h, 22.35, cfg); !errors.Is(err, crmtype.ErrInvalid) {
			t.Errorf("CLV(%+v) error %v, want ErrInvalid", cfg, err)
		}
	}
}
