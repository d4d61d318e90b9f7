package analysis

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func cohortAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCohortsHandComputed(t *testing.T) {
	purchases := []CohortPurchase[string]{
		{"A", cohortAt("2024-01-05T10:00:00Z"), 1000},
		{"A", cohortAt("2024-01-20T10:00:00Z"), 500},
		{"A", cohortAt("2024-03-02T10:00:00Z"), 2000},
		{"B", cohortAt("2024-01-31T23:59:59Z"), 300},
		{"B", cohortAt("2024-02-10T10:00:00Z"), 700},
		{"C", cohortAt("2024-02-15T10:00:00Z"), 1500},
		{"C", cohortAt("2024-03-31T10:00:00Z"), 250},
		{"C", cohortAt("2024-03-01T00:00:00Z"), 0}, // a second March purchase: still one active customer
	}
	tab, err := Cohorts(purchases, time.UTC)
	require.NoError(t, err)
	require.Equal(t, 3, tab.Customers)
	require.Equal(t, 3, tab.Periods)
	require.Equal(t, time.UTC, tab.Location)
	require.Len(t, tab.Cohorts, 2)

	// January: A and B. Active Jan {A,B}, Feb {B}, Mar {A}.
	jan := tab.Cohorts[0]
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), jan.Month)
	require.Equal(t, 2, jan.Size)
	require.Equal(t, []int{2, 1, 1}, jan.Active)
	require.Equal(t, []float64{1, 0.5, 0.5}, jan.Retention)
	require.Equal(t, []int64{1800, 700, 2000}, jan.Revenue)
	require.Equal(t, []float64{900, 1250, 2250}, jan.CumulativeRevenuePerCustomer)

	// February: C alone.
	feb := tab.Cohorts[1]
	require.Equal(t, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), feb.Month)
	require.Equal(t, 1, feb.Size)
	require.Equal(t, []int{1, 1}, feb.Active)
	require.Equal(t, []float64{1, 1}, feb.Retention)
	require.Equal(t, []int64{1500, 250}, feb.Revenue)
	require.Equal(t, []float64{1500, 1750}, feb.CumulativeRevenuePerCustomer)

	// The order of purchases does not matter.
	shuffled := append([]CohortPurchase[string](nil), purchases...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	again, err := Cohorts(shuffled, time.UTC)
	require.NoError(t, err)
	require.Equal(t, tab, again)
}

func TestCohortsYearBoundary(t *testing.T) {
	purchases := []CohortPurchase[crmtype.ID]{
		{crmtype.ID{1}, cohortAt("2023-12-20T12:00:00Z"), 100},
		{crmtype.ID{1}, cohortAt("2024-01-03T12:00:00Z"), 200},
		{crmtype.ID{1}, cohortAt("2024-03-05T12:00:00Z"), 300},
		{crmtype.ID{2}, cohortAt("2023-11-30T12:00:00Z"), 50},
		{crmtype.ID{2}, cohortAt("2024-02-01T12:00:00Z"), 60},
		{crmtype.ID{2}, cohortAt("2024-02-02T12:00:00Z"), -60}, // refund
	}
	tab, err := Cohorts(purchases, time.UTC)
	require.NoError(t, err)
	require.Equal(t, 5, tab.Periods) // Nov 2023 … Mar 2024
	require.Len(t, tab.Cohorts, 2)

	nov := tab.Cohorts[0]
	require.Equal(t, time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC), nov.Month)
	require.Equal(t, []int{1, 0, 0, 1, 0}, nov.Active)
	require.Equal(t, []float64{1, 0, 0, 1, 0}, nov.Retention)
	require.Equal(t, []int64{50, 0, 0, 0, 0}, nov.Revenue)
	require.Equal(t, []float64{50, 50, 50, 50, 50}, nov.CumulativeRevenuePerCustomer)

	dec := tab.Cohorts[1]
	require.Equal(t, time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), dec.Month)
	require.Equal(t, []int{1, 1, 0, 1}, dec.Active)
	require.Equal(t, []int64{100, 200, 0, 300}, dec.Revenue)
	require.Equal(t, []float64{100, 300, 300, 600}, dec.CumulativeRevenuePerCustomer)
}

func TestCohortsTimeZone(t *testing.T) {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	newYork := time.FixedZone("UTC-5", -5*3600)
	purchases := []CohortPurchase[string]{
		{"G", cohortAt("2024-01-15T00:00:00Z"), 100},
		// 20:00 UTC on 31 January is 04:00 on 1 February in UTC+8.
		{"F", cohortAt("2024-01-31T20:00:00Z"), 200},
		// 03:00 UTC on 1 March is 22:00 on 29 February in UTC−5.
		{"H", cohortAt("2024-03-01T03:00:00Z"), 400},
	}

	utc, err := Cohorts(purchases, time.UTC)
	require.NoError(t, err)
	require.Len(t, utc.Cohorts, 2)
	require.Equal(t, 2, utc.Cohorts[0].Size) // G and F in January
	require.Equal(t, []int64{300, 0, 0}, utc.Cohorts[0].Revenue)
	require.Equal(t, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), utc.Cohorts[1].Month)

	east, err := Cohorts(purchases, shanghai)
	require.NoError(t, err)
	require.Len(t, east.Cohorts, 3) // F moves to February
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai), east.Cohorts[0].Month)
	require.Equal(t, 1, east.Cohorts[0].Size)
	require.Equal(t, time.Date(2024, 2, 1, 0, 0, 0, 0, shanghai), east.Cohorts[1].Month)
	require.Equal(t, []int64{200, 0}, east.Cohorts[1].Revenue)
	require.Equal(t, shanghai, east.Cohorts[1].Month.Location())

	west, err := Cohorts(purchases, newYork)
	require.NoError(t, err)
	require.Equal(t, 2, west.Periods) // H moves to February: data ends in February
	require.Len(t, west.Cohorts, 2)
	require.Equal(t, 2, west.Cohorts[0].Size) // G and F in January
	require.Equal(t, time.Date(2024, 2, 1, 0, 0, 0, 0, newYork), west.Cohorts[1].Month)
	require.Equal(t, []int64{400}, west.Cohorts[1].Revenue)
}

func TestCohortsEmptyAndBadInput(t *testing.T) {
	tab, err := Cohorts[string](nil, time.UTC)
	require.NoError(t, err)
	require.Empty(t, tab.Cohorts)
	require.Zero(t, tab.Customers)
	require.Zero(t, tab.Periods)

	_, err = Cohorts([]CohortPurchase[string]{{"A", cohortAt("2024-01-01T00:00:00Z"), 1}}, nil)
	requireInvalid(t, err, "loc")
	_, err = Cohorts([]CohortPurchase[string]{{"A", time.Time{}, 1}}, time.UTC)
	requireInvalid(t, err, "purchases")
}
