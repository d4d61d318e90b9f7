package analysis

import (
	"slices"
	"time"

	"github.com/kehu/crm/crmtype"
)

// CohortPurchase is one purchase fed to Cohorts: who bought, when, and for
// how much. K is the customer key (a crmtype.ID, a string, …).
type CohortPurchase[K comparable] struct {
	Customer K
	At       time.Time
	Amount   int64 // minor units of one currency; negative for a refund
}

// CohortTable is the retention and revenue matrix of customers grouped by
// the calendar month of their first purchase.
type CohortTable struct {
	// Location is the time zone whose calendar months define the cohorts
	// and periods.
	Location *time.Location
	// Cohorts has one entry per month in which at least one customer made
	// a first purchase, oldest first. Months without new customers have no
	// row.
	Cohorts []Cohort
	// Customers is the number of distinct customers.
	Customers int
	// Periods is the length of the longest row (that of the oldest cohort):
	// the number of months from the first cohort's month to the month of
	// the latest purchase, inclusive.
	Periods int
}

// Cohort is one row of a CohortTable. Each slice has one entry per period
// offset k = 0, 1, …: the k-th calendar month after Month (k = 0 is Month
// itself), up to the month of the latest purchase in the data, so the rows
// form the usual triangle.
type Cohort struct {
	// Month is midnight on the first day of the cohort's month in the
	// table's Location.
	Month time.Time
	// Size is the number of customers whose first purchase fell in Month.
	Size int
	// Active[k] is the number of the cohort's customers with at least one
	// purchase (of any amount, refunds included) in period k. Active[0]
	// equals Size.
	Active []int
	// Retention[k] is Active[k] / Size.
	Retention []float64
	// Revenue[k] is the sum of the cohort's purchase amounts in period k,
	// in minor units.
	Revenue []int64
	// CumulativeRevenuePerCustomer[k] is the cohort's revenue in periods
	// 0..k divided by Size, in minor units: the average customer's value
	// k months after acquisition.
	CumulativeRevenuePerCustomer []float64
}

// Cohorts groups customers by the calendar month, in loc, of their first
// purchase and reports, for each cohort and each month after it, how many
// of its customers bought (retention) and how much they spent (revenue).
// A purchase near midnight belongs to the month of its local date in loc,
// so the same data can give different cohorts in different time zones.
// The order of purchases does not matter. An empty input gives an empty
// table.
//
// It returns an error if loc is nil or a purchase has the zero time.
func Cohorts[K comparable](purchases []CohortPurchase[K], loc *time.Location) (*CohortTable, error) {
	if loc == nil {
		return nil, crmtype.Invalid("loc", "is nil")
	}
	t := &CohortTable{Location: loc}
	if len(purchases) == 0 {
		return t, nil
	}

	// Pass 1: month index of every purchase, each customer's first month,
	// and the last month in the data.
	months := make([]int, len(purchases))
	first := make(map[K]int)
	last := 0
	for i, p := range purchases {
		if p.At.IsZero() {
			return nil, crmtype.Invalidf("purchases", "purchase [%d] has the zero time", i)
		}
		m := cohortMonthIndex(p.At.In(loc))
		months[i] = m
		if f, ok := first[p.Customer]; !ok || m < f {
			first[p.Customer] = m
		}
		if i == 0 || m > last {
			last = m
		}
	}
	t.Customers = len(first)

	// One row per distinct first month.
	var starts []int
	size := make(map[int]int)
	for _, m := range first {
		if size[m] == 0 {
			starts = append(starts, m)
		}
		size[m]++
	}
	slices.Sort(starts)
	row := make(map[int]int, len(starts))
	t.Cohorts = make([]Cohort, len(starts))
	for r, m := range starts {
		row[m] = r
		periods := last - m + 1
		y, mo := m/12, time.Month(m%12+1)
		t.Cohorts[r] = Cohort{
			Month:                        time.Date(y, mo, 1, 0, 0, 0, 0, loc),
			Size:                         size[m],
			Active:                       make([]int, periods),
			Retention:                    make([]float64, periods),
			Revenue:                      make([]int64, periods),
			CumulativeRevenuePerCustomer: make([]float64, periods),
		}
	}
	t.Periods = last - starts[0] + 1

	// Pass 2: revenue per cell, and each customer counted once per active
	// month.
	type activeKey struct {
		customer K
		month    int
	}
	seen := make(map[activeKey]struct{})
	for i, p := range purchases {
		start := first[p.Customer]
		c := &t.Cohorts[row[start]]
		k := months[i] - start
		c.Revenue[k] += p.Amount
		key := activeKey{p.Customer, months[i]}
		if _, ok := seen[key]; !ok {
			seen[key] = struct{}{}
			c.Active[k]++
		}
	}

	for r := range t.Cohorts {
		c := &t.Cohorts[r]
		size := float64(c.Size)
		var cum int64
		for k := range c.Active {
			c.Retention[k] = float64(c.Active[k]) / size
			cum += c.Revenue[k]
			c.CumulativeRevenuePerCustomer[k] = float64(cum) / size
		}
	}
	return t, nil
}

// cohortMonthIndex numbers calendar months consecutively: year×12 + month−1
// of t's own location.
func cohortMonthIndex(t time.Time) int {
	return t.Year()*12 + int(t.Month()) - 1
}
