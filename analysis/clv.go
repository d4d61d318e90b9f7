package analysis

import (
	"math"

	"github.com/kehu/crm/crmtype"
)

// PurchaseModel is a fitted buy-till-you-die purchase model, such as BGNBD
// or ParetoNBD: it predicts how many purchases a customer with a given
// history makes in the next t time units.
type PurchaseModel interface {
	ConditionalExpectedPurchases(t float64, h History) float64
	PAlive(h History) float64
}

// CLVConfig sets the horizon and economics of CLV.
type CLVConfig struct {
	// Periods is the number of periods in the horizon. Required, >= 1.
	Periods int
	// PeriodLength is the length of one period in the purchase model's time
	// unit, e.g. 52.0/12 for months when the model was fitted in weeks.
	// Required, > 0.
	PeriodLength float64
	// Margin is the fraction of spend kept as profit. Zero means 1 (the CLV
	// of revenue). Must be in [0, 1].
	Margin float64
	// DiscountRate is the discount rate per period: period k's value is
	// divided by (1+DiscountRate)^k. Zero means no discounting; must be >= 0.
	DiscountRate float64
}

func (c CLVConfig) validate() error {
	switch {
	case c.Periods < 1:
		return crmtype.Invalid("Periods", "must be at least 1")
	case !(c.PeriodLength > 0) || isInf(c.PeriodLength):
		return crmtype.Invalid("PeriodLength", "must be positive and finite")
	case !(c.Margin >= 0 && c.Margin <= 1):
		return crmtype.Invalid("Margin", "must be in [0, 1]")
	case !(c.DiscountRate >= 0) || isInf(c.DiscountRate):
		return crmtype.Invalid("DiscountRate", "must be non-negative and finite")
	}
	return nil
}

// CLV returns the discounted customer lifetime value over the horizon of a
// customer with purchase history h whose h.X repeat purchases averaged
// meanSpend, as the discrete sum used by the lifetimes package:
//
//	CLV = Σ_{k=1}^{Periods} Margin · E[Z | X, z̄] · (E[Y(k·L) | h] − E[Y((k−1)·L) | h]) / (1+DiscountRate)^k
//
// where L is PeriodLength, E[Y(t) | h] the purchase model's conditional
// expected purchases and E[Z | X, z̄] the Gamma-Gamma conditional expected
// spend. Purchases of a period are discounted as if they happened at its
// end. The result is in meanSpend's money unit.
//
// It returns a *crmtype.ValidationError (errors.Is ErrInvalid) when cfg is
// not valid.
func CLV(pm PurchaseModel, spend GammaGamma, h History, meanSpend float64, cfg CLVConfig) (float64, error) {
	if err := cfg.validate(); err != nil {
		return 0, err
	}
	margin := cfg.Margin
	if margin == 0 {
		margin = 1
	}
	value := margin * spend.ConditionalExpectedSpend(h.X, meanSpend)
	var clv, prev float64
	for k := 1; k <= cfg.Periods; k++ {
		cum := pm.ConditionalExpectedPurchases(float64(k)*cfg.PeriodLength, h)
		clv += value * (cum - prev) / math.Pow(1+cfg.DiscountRate, float64(k))
		prev = cum
	}
	return clv, nil
}
