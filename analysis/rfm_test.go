package analysis

import (
	"bufio"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/stretchr/testify/require"
)

func rfmTestScores(t *testing.T, cs []RFMCustomer) (r, f, m []int) {
	t.Helper()
	res, err := RFM(cs)
	require.NoError(t, err)
	for _, s := range res.Scores {
		r, f, m = append(r, s.R), append(f, s.F), append(m, s.M)
	}
	return r, f, m
}

func TestRFMQuintilesDistinct(t *testing.T) {
	var cs []RFMCustomer
	for i := range 10 {
		// Recency 0 is the most recent; frequency and monetary rise with i.
		cs = append(cs, RFMCustomer{Key: strconv.Itoa(i), Recency: float64(i), Frequency: float64(i + 1), Monetary: float64(10 * (i + 1))})
	}
	r, f, m := rfmTestScores(t, cs)
	require.Equal(t, []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1}, r)
	require.Equal(t, []int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, f)
	require.Equal(t, f, m)
}

func TestRFMQuintilesTiesShareLowerScore(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    []float64
		want []int
	}{
		// Positions 0..2 tie: all take position 0's score.
		{"low run", []float64{1, 1, 1, 2, 3}, []int{1, 1, 1, 4, 5}},
		// The run starts at position 1 (score 2) and spans score 3's place.
		{"middle run", []float64{0, 7, 7, 7, 9}, []int{1, 2, 2, 2, 5}},
		{"top run", []float64{1, 2, 3, 3, 3}, []int{1, 2, 3, 3, 3}},
		{"all equal", []float64{4, 4, 4, 4, 4, 4, 4}, []int{1, 1, 1, 1, 1, 1, 1}},
		{"n=1", []float64{42}, []int{1}},
		{"n=2", []float64{2, 1}, []int{3, 1}},
		{"n=3", []float64{3, 1, 2}, []int{4, 1, 2}},
		{"n=4", []float64{1, 2, 3, 4}, []int{1, 2, 3, 4}},
		{"n=4 tied", []float64{1, 2, 2, 4}, []int{1, 2, 2, 4}},
		{"twelve", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []int{1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := make([]RFMCustomer, len(tc.v))
			for i, v := range tc.v {
				cs[i] = RFMCustomer{Recency: -v + 100, Frequency: v, Monetary: v}
			}
			r, f, m := rfmTestScores(t, cs)
			require.Equal(t, tc.want, f)
			require.Equal(t, tc.want, m)
			require.Equal(t, tc.want, r, "recency ranks reversed values the same way")
		})
	}
}

func TestRFMScoresIndependentOfOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cs := make([]RFMCustomer, 200)
	for i := range cs {
		cs[i] = RFMCustomer{Key: strconv.Itoa(i), Recency: float64(rng.IntN(30)), Frequency: float64(rng.IntN(6)), Monetary: math.Round(rng.ExpFloat64()*50) / 2}
	}
	base, err := RFM(cs)
	require.NoError(t, err)
	byKey := map[string]RFMScore{}
	for _, s := range base.Scores {
		byKey[s.Key] = s
	}
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	shuffled, err := RFM(cs)
	require.NoError(t, err)
	for i, s := range shuffled.Scores {
		require.Equal(t, cs[i].Key, s.Key)
		require.Equal(t, byKey[s.Key], s)
	}
	require.Equal(t, base.Segments, shuffled.Segments)
}

func TestRFMAllEqual(t *testing.T) {
	cs := []RFMCustomer{{Key: "a", Recency: 3, Frequency: 2, Monetary: 10}, {Key: "b", Recency: 3, Frequency: 2, Monetary: 10}, {Key: "c", Recency: 3, Frequency: 2, Monetary: 10}}
	res, err := RFM(cs)
	require.NoError(t, err)
	for _, s := range res.Scores {
		require.Equal(t, "111", s.Code())
		require.Equal(t, RFMLost, s.Segment)
	}
	lost := res.Segments[RFMLost-1]
	require.Equal(t, RFMSegmentStats{Segment: RFMLost, Customers: 3, Share: 1, Monetary: 30, MeanMonetary: 10, MonetaryShare: 1}, lost)
}

func TestRFMEmpty(t *testing.T) {
	res, err := RFM(nil)
	require.NoError(t, err)
	require.Empty(t, res.Scores)
	require.Len(t, res.Segments, 11)
	for i, st := range res.Segments {
		require.Equal(t, RFMSegmentStats{Segment: RFMSegment(i + 1)}, st)
	}
}

func TestRFMInvalid(t *testing.T) {
	for _, tc := range []struct {
		c     RFMCustomer
		field string
	}{
		{RFMCustomer{Recency: math.NaN()}, "customers[1].recency"},
		{RFMCustomer{Recency: -1}, "customers[1].recency"},
		{RFMCustomer{Frequency: -0.5}, "customers[1].frequency"},
		{RFMCustomer{Frequency: math.Inf(1)}, "customers[1].frequency"},
		{RFMCustomer{Monetary: math.NaN()}, "customers[1].monetary"},
	} {
		_, err := RFM([]RFMCustomer{{}, tc.c})
		require.ErrorIs(t, err, crmtype.ErrInvalid)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve))
		require.Equal(t, tc.field, ve.Field)
	}
	// Negative monetary value (refunds) is accepted.
	_, err := RFM([]RFMCustomer{{Monetary: -5}})
	require.NoError(t, err)
}

// TestRFMSegmentGrid checks the grid against the published ranges read
// independently: a range a–b covers scores a+1 … b, and the smaller segment
// wins an overlap.
func TestRFMSegmentGrid(t *testing.T) {
	type rng struct{ r0, r1, fm0, fm1 int }
	ranges := map[RFMSegment]rng{
		RFMChampions: {4, 5, 4, 5}, RFMLoyal: {2, 5, 3, 5}, RFMPotentialLoyalist: {3, 5, 1, 3},
		RFMNew: {4, 5, 0, 1}, RFMPromising: {3, 4, 0, 1}, RFMNeedAttention: {2, 3, 2, 3},
		RFMAboutToSleep: {2, 3, 0, 2}, RFMAtRisk: {0, 2, 2, 5}, RFMCannotLoseThem: {0, 1, 4, 5},
		RFMHibernating: {1, 2, 1, 2}, RFMLost: {0, 2, 0, 2},
	}
	cells := func(s RFMSegment) int { g := ranges[s]; return (g.r1 - g.r0) * (g.fm1 - g.fm0) }
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				fm := int(math.Ceil(float64(f+m) / 2))
				var want RFMSegment
				for _, s := range RFMSegments() {
					g := ranges[s]
					if r > g.r0 && r <= g.r1 && fm > g.fm0 && fm <= g.fm1 && (want == 0 || cells(s) < cells(want)) {
						want = s
					}
				}
				require.NotZero(t, want, "cell R=%d FM=%d uncovered", r, fm)
				require.Equal(t, want, RFMSegmentFor(r, f, m), "R=%d F=%d M=%d", r, f, m)
			}
		}
	}
	require.Equal(t, RFMChampions, RFMSegmentFor(5, 5, 4), "FM 4.5 rounds up")
	require.Equal(t, RFMLoyal, RFMSegmentFor(5, 4, 4))
	require.Equal(t, RFMCannotLoseThem, RFMSegmentFor(1, 4, 5))
	require.Equal(t, RFMNew, RFMSegmentFor(5, 1, 1))
	require.Equal(t, RFMPromising, RFMSegmentFor(4, 1, 1))
	require.Equal(t, "Potential loyalist", RFMPotentialLoyalist.String())
	require.Equal(t, "Cannot lose them", RFMCannotLoseThem.String())
	require.Equal(t, "RFMSegment(0)", RFMSegment(0).String())
	require.Panics(t, func() { RFMSegmentFor(0, 3, 3) })
	require.Panics(t, func() { RFMSegmentFor(3, 6, 3) })
}

func TestRFMSegmentStats(t *testing.T) {
	cs := []RFMCustomer{
		{Key: "a", Recency: 1, Frequency: 9, Monetary: 500},  // 555 Champions
		{Key: "b", Recency: 2, Frequency: 8, Monetary: 400},  // 444 Loyal
		{Key: "c", Recency: 3, Frequency: 1, Monetary: 10},   // 311 About to sleep
		{Key: "d", Recency: 40, Frequency: 7, Monetary: 300}, // 233 At risk
		{Key: "e", Recency: 50, Frequency: 2, Monetary: 20},  // 122 Lost
	}
	res, err := RFM(cs)
	require.NoError(t, err)
	var codes []string
	var segs []RFMSegment
	for _, s := range res.Scores {
		codes, segs = append(codes, s.Code()), append(segs, s.Segment)
	}
	require.Equal(t, []string{"555", "444", "311", "233", "122"}, codes)
	require.Equal(t, []RFMSegment{RFMChampions, RFMLoyal, RFMAboutToSleep, RFMAtRisk, RFMLost}, segs)
	require.Equal(t, RFMSegmentStats{Segment: RFMLost, Customers: 1, Share: 0.2, Monetary: 20, MeanMonetary: 20, MonetaryShare: 20.0 / 1230}, res.Segments[RFMLost-1])
	require.Equal(t, RFMSegmentStats{Segment: RFMPromising}, res.Segments[RFMPromising-1])
}

// rfmTestCDNOW derives per-customer recency (days before 1998-06-30),
// frequency (distinct purchase days) and monetary value (total dollars) from
// the CDNOW sample.
func rfmTestCDNOW(t *testing.T) []RFMCustomer {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "cdnow", "CDNOW_sample.txt")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("CDNOW sample not found at " + path)
	}
	require.NoError(t, err)
	defer f.Close()
	end := time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)
	type acc struct {
		last  time.Time
		days  map[string]bool
		total float64
	}
	byID := map[int]*acc{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		require.Len(t, fs, 5)
		id, err := strconv.Atoi(fs[1])
		require.NoError(t, err)
		day, err := time.Parse("20060102", fs[2])
		require.NoError(t, err)
		v, err := strconv.ParseFloat(fs[4], 64)
		require.NoError(t, err)
		a := byID[id]
		if a == nil {
			a = &acc{days: map[string]bool{}}
			byID[id] = a
		}
		if day.After(a.last) {
			a.last = day
		}
		a.days[fs[2]] = true
		a.total += v
	}
	require.NoError(t, sc.Err())
	ids := make([]int, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	cs := make([]RFMCustomer, len(ids))
	for i, id := range ids {
		a := byID[id]
		cs[i] = RFMCustomer{Key: strconv.Itoa(id), Recency: end.Sub(a.last).Hours() / 24, Frequency: float64(len(a.days)), Monetary: a.total}
	}
	return cs
}

func TestRFMCDNOW(t *testing.T) {
	cs := rfmTestCDNOW(t)
	n := len(cs)
	require.Equal(t, 2357, n)
	res, err := RFM(cs)
	require.NoError(t, err)
	require.Len(t, res.Scores, n)

	dims := []struct {
		name  string
		value func(RFMCustomer) float64 // higher is better
		score func(RFMScore) int
	}{
		{"R", func(c RFMCustomer) float64 { return -c.Recency }, func(s RFMScore) int { return s.R }},
		{"F", func(c RFMCustomer) float64 { return c.Frequency }, func(s RFMScore) int { return s.F }},
		{"M", func(c RFMCustomer) float64 { return c.Monetary }, func(s RFMScore) int { return s.M }},
	}
	for _, dim := range dims {
		vals := make([]float64, n)
		for i, c := range cs {
			vals[i] = dim.value(c)
		}
		// Every customer scored, by the rule 1 + ⌊5·L/n⌋ with L the number
		// of customers strictly worse, counted directly.
		for i, s := range res.Scores {
			require.Equal(t, cs[i].Key, s.Key)
			worse := 0
			for _, v := range vals {
				if v < vals[i] {
					worse++
				}
			}
			require.Equal(t, 1+5*worse/n, dim.score(s), "%s of customer %s", dim.name, s.Key)
		}
		// Quintiles balanced within ties: the customers scoring at most k
		// are the first ⌈k·n/5⌉ in rank order, plus the rest of a tie run
		// straddling that boundary.
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		for k := 1; k <= 4; k++ {
			p := (k*n + 4) / 5
			e := p
			for e < n && sorted[e] == sorted[p-1] {
				e++
			}
			atMost := 0
			for _, s := range res.Scores {
				if dim.score(s) <= k {
					atMost++
				}
			}
			require.Equal(t, e, atMost, "%s: customers scoring ≤ %d", dim.name, k)
		}
	}

	// Segments partition the customers and their value.
	counts := map[RFMSegment]int{}
	value := map[RFMSegment]float64{}
	var total float64
	for i, s := range res.Scores {
		require.Equal(t, RFMSegmentFor(s.R, s.F, s.M), s.Segment)
		counts[s.Segment]++
		value[s.Segment] += cs[i].Monetary
		total += cs[i].Monetary
	}
	sumCount, sumValue, sumShare := 0, 0.0, 0.0
	for i, st := range res.Segments {
		require.Equal(t, RFMSegment(i+1), st.Segment)
		require.Equal(t, counts[st.Segment], st.Customers)
		require.InDelta(t, value[st.Segment], st.Monetary, 1e-6)
		sumCount += st.Customers
		sumValue += st.Monetary
		sumShare += st.Share
		t.Logf("%-18s %5d %6.1f%% $%10.2f mean $%7.2f", st.Segment, st.Customers, 100*st.Share, st.Monetary, st.MeanMonetary)
	}
	require.Equal(t, n, sumCount)
	require.InDelta(t, total, sumValue, 1e-6)
	require.InDelta(t, 1, sumShare, 1e-12)

	// The 1,218 customers with a single purchase day (52%) all score F = 1;
	// the 403 with two days start at position 1,218 and score 1 + ⌊5·1218/n⌋
	// = 3, so no one scores F = 2.
	ones, fs := 0, map[int]int{}
	for i, c := range cs {
		if c.Frequency == 1 {
			ones++
		}
		require.Equal(t, c.Frequency == 1, res.Scores[i].F == 1)
		fs[res.Scores[i].F]++
	}
	require.Equal(t, 1218, ones)
	require.Equal(t, 1218, fs[1])
	require.Zero(t, fs[2])
	require.Equal(t, 403, fs[3])
}
