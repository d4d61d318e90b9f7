package analysis

import (
	"cmp"
	"slices"
	"time"

	"github.com/kehu/crm/crmtype"
)

// Time units for SummaryConfig.Unit. Elapsed time is always counted in whole
// calendar days and then expressed in the unit.
const (
	UnitDay  = 24 * time.Hour
	UnitWeek = 7 * UnitDay
)

// Purchase is one purchase event: who bought, when, and for how much.
type Purchase struct {
	Customer string    // customer key; any string, compared exactly
	At       time.Time // when the purchase happened
	Amount   int64     // value in minor units (cents); taken as given, refunds included
}

// SummaryConfig says how Summarize turns purchases into per-customer
// buy-till-you-die summaries.
type SummaryConfig struct {
	// CalibrationEnd is the last calendar day of the calibration period
	// (its time of day is ignored). Required.
	CalibrationEnd time.Time
	// HoldoutEnd is the last calendar day of the optional hold-out period,
	// which starts the day after CalibrationEnd. The zero time means no
	// hold-out: purchases after CalibrationEnd are ignored.
	HoldoutEnd time.Time
	// Unit is the time unit of Tx and T, e.g. UnitWeek or UnitDay. Zero
	// means UnitWeek. An elapsed span of d calendar days is d×24h/Unit units.
	Unit time.Duration
	// Location decides which calendar day a purchase falls on. Nil means UTC.
	Location *time.Location
}

// CustomerSummary is one customer's buy-till-you-die summary: what the
// BG/NBD, Pareto/NBD and Gamma-Gamma models need, plus the hold-out outcome.
//
// All purchases of a customer on the same calendar day count as one purchase
// whose value is the sum of their amounts. The first purchase day starts the
// customer's clock and is not a repeat purchase.
type CustomerSummary struct {
	Customer   string
	First      time.Time // midnight, in the configured location, of the first purchase day
	FirstValue int64     // value of the first purchase day, minor units

	X           int     // repeat purchases in calibration: distinct purchase days after the first
	Tx          float64 // time from the first purchase to the last repeat purchase (0 when X = 0)
	T           float64 // time from the first purchase to CalibrationEnd
	RepeatValue int64   // total value of the X repeat purchases, minor units
	ZBar        float64 // mean repeat purchase value RepeatValue/X in minor units (0 when X = 0)

	HoldoutX     int   // purchase days in the hold-out period
	HoldoutValue int64 // total value of the hold-out purchases, minor units
}

// History returns the (x, t_x, T) summary of s with weight 1, as the
// purchase models take it.
func (s CustomerSummary) History() History {
	return History{X: s.X, Tx: s.Tx, T: s.T, Weight: 1}
}

// Spend returns the (x, zbar) summary of s with weight 1, as the Gamma-Gamma
// model takes it, with zbar in minor units.
func (s CustomerSummary) Spend() Spend {
	return Spend{X: s.X, MeanSpend: s.ZBar, Weight: 1}
}

// unit returns the configured unit or its default.
func (c SummaryConfig) unit() time.Duration {
	if c.Unit == 0 {
		return UnitWeek
	}
	return c.Unit
}

func (c SummaryConfig) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// HoldoutLength returns the length of the hold-out period in the configured
// unit, or 0 when there is none.
func (c SummaryConfig) HoldoutLength() float64 {
	if c.HoldoutEnd.IsZero() {
		return 0
	}
	loc := c.location()
	return summaryDaysToUnit(summaryDay(c.HoldoutEnd, loc)-summaryDay(c.CalibrationEnd, loc), c.unit())
}

// summaryDay returns the number of the calendar day of t in loc, counted
// from 1970-01-01.
func summaryDay(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func summaryDaysToUnit(days int64, unit time.Duration) float64 {
	return float64(days) * float64(UnitDay) / float64(unit)
}

// Summarize turns purchase events into one CustomerSummary per customer who
// bought on or before cfg.CalibrationEnd, sorted by customer key. Customers
// whose first purchase is later are left out, as are purchases after
// HoldoutEnd (or after CalibrationEnd when there is no hold-out).
//
// It returns a *crmtype.ValidationError (errors.Is ErrInvalid) when
// CalibrationEnd is zero, Unit is negative, or HoldoutEnd is before
// CalibrationEnd.
func Summarize(purchases []Purchase, cfg SummaryConfig) ([]CustomerSummary, error) {
	calEnd, lastDay, err := cfg.Days()
	if err != nil {
		return nil, err
	}
	loc := cfg.location()

	type event struct {
		customer string
		day      int64
		amount   int64
	}
	events := make([]event, 0, len(purchases))
	for _, p := range purchases {
		if d := summaryDay(p.At, loc); d <= lastDay {
			events = append(events, event{p.Customer, d, p.Amount})
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := cmp.Compare(a.customer, b.customer); c != 0 {
			return c
		}
		return cmp.Compare(a.day, b.day)
	})

	var out []CustomerSummary
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j].customer == events[i].customer {
			j++
		}
		first := events[i].day
		if first <= calEnd {
			a := DayAggregate{Customer: events[i].customer, FirstDay: first, LastDay: first}
			for k := i; k < j; k++ {
				e := events[k]
				newDay := k == i || e.day != events[k-1].day
				switch {
				case e.day == first:
					a.FirstValue += e.amount
				case e.day <= calEnd:
					if newDay {
						a.X++
					}
					a.RepeatValue += e.amount
					a.LastDay = e.day
				default:
					if newDay {
						a.HoldoutX++
					}
					a.HoldoutValue += e.amount
				}
			}
			out = append(out, cfg.FromDays(a))
		}
		i = j
	}
	return out, nil
}

// DayAggregate is one customer's purchases reduced to calendar days, the
// form in which a database computes summaries. Days are numbered from
// 1970-01-01 (day 0) in the configuration's location.
type DayAggregate struct {
	Customer     string
	FirstDay     int64 // the first purchase day
	LastDay      int64 // the last purchase day up to the calibration end
	X            int   // purchase days after FirstDay up to the calibration end
	FirstValue   int64 // value bought on FirstDay
	RepeatValue  int64 // value bought on the X repeat days
	HoldoutX     int   // purchase days in the hold-out
	HoldoutValue int64 // value bought in the hold-out
}

// Days validates c and returns the day numbers (as in DayAggregate) of the
// calibration end and of the last day used (the hold-out end, or the
// calibration end without a hold-out).
func (c SummaryConfig) Days() (calEnd, lastDay int64, err error) {
	if c.CalibrationEnd.IsZero() {
		return 0, 0, crmtype.Invalid("CalibrationEnd", "is required")
	}
	if c.Unit < 0 {
		return 0, 0, crmtype.Invalid("Unit", "must be positive")
	}
	loc := c.location()
	calEnd = summaryDay(c.CalibrationEnd, loc)
	lastDay = calEnd
	if !c.HoldoutEnd.IsZero() {
		lastDay = summaryDay(c.HoldoutEnd, loc)
		if lastDay < calEnd {
			return 0, 0, crmtype.Invalid("HoldoutEnd", "is before CalibrationEnd")
		}
	}
	return calEnd, lastDay, nil
}

// FromDays turns a customer's day aggregate into its summary under c.
func (c SummaryConfig) FromDays(a DayAggregate) CustomerSummary {
	unit, loc := c.unit(), c.location()
	calEnd := summaryDay(c.CalibrationEnd, loc)
	first := time.Unix(a.FirstDay*86400, 0).UTC()
	y, m, d := first.Date()
	s := CustomerSummary{
		Customer: a.Customer, First: time.Date(y, m, d, 0, 0, 0, 0, loc), FirstValue: a.FirstValue,
		X: a.X, T: summaryDaysToUnit(calEnd-a.FirstDay, unit), RepeatValue: a.RepeatValue,
		HoldoutX: a.HoldoutX, HoldoutValue: a.HoldoutValue,
	}
	if a.X > 0 {
		s.Tx = summaryDaysToUnit(a.LastDay-a.FirstDay, unit)
		s.ZBar = float64(a.RepeatValue) / float64(a.X)
	}
	return s
}

// History is a buy-till-you-die summary of Weight customers who share it:
// X repeat purchases, the last at Tx, observed for T since the first
// purchase (Tx and T in one time unit, 0 <= Tx <= T, Tx = 0 when X = 0).
type History struct {
	X      int
	Tx, T  float64
	Weight int // number of customers with this summary; 0 counts as 1
}

func (h History) weight() float64 {
	if h.Weight == 0 {
		return 1
	}
	return float64(h.Weight)
}

// Compress merges histories with identical (X, Tx, T) into one row whose
// Weight is the sum of theirs, sorted by X, then Tx, then T. The purchase
// models' log-likelihoods are sums over customers, so fitting the
// compressed rows gives exactly the same estimates as fitting the input,
// in time proportional to the number of distinct rows.
func Compress(h []History) []History {
	type key struct {
		x     int
		tx, t float64
	}
	idx := make(map[key]int, len(h)/4+1)
	var out []History
	for _, r := range h {
		k := key{r.X, r.Tx, r.T}
		if i, ok := idx[k]; ok {
			out[i].Weight += int(r.weight())
			continue
		}
		idx[k] = len(out)
		out = append(out, History{X: r.X, Tx: r.Tx, T: r.T, Weight: int(r.weight())})
	}
	slices.SortFunc(out, func(a, b History) int {
		if c := cmp.Compare(a.X, b.X); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Tx, b.Tx); c != 0 {
			return c
		}
		return cmp.Compare(a.T, b.T)
	})
	return out
}

// validateHistories checks rows for the purchase models' fits.
func validateHistories(rows []History) error {
	if len(rows) == 0 {
		return crmtype.Invalid("rows", "is empty")
	}
	for i, r := range rows {
		switch {
		case r.X < 0:
			return crmtype.Invalidf("rows", "[%d]: X is negative", i)
		case !(r.T >= 0) || !(r.Tx >= 0) || r.Tx > r.T || isInf(r.T):
			return crmtype.Invalidf("rows", "[%d]: need 0 <= Tx <= T < Inf", i)
		case r.Weight < 0:
			return crmtype.Invalidf("rows", "[%d]: Weight is negative", i)
		}
	}
	return nil
}
