package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/kehu/crm/crmtype"
)

// RFMCustomer is one customer's recency, frequency and monetary value, the
// input of RFM.
type RFMCustomer struct {
	// Key identifies the customer; RFM copies it to the score.
	Key string
	// Recency is the time since the customer's last purchase, in any unit
	// used for every customer (days, say). Smaller is more recent. It must
	// be finite and not negative.
	Recency float64
	// Frequency is the number of purchases (or of repeat purchases, or of
	// distinct purchase days): finite and not negative.
	Frequency float64
	// Monetary is the customer's value: total or mean spend in one
	// currency, in the same units (minor or major) for every customer. It
	// must be finite; it may be negative (refunds).
	Monetary float64
}

// RFMScore is one customer's quintile scores and segment.
type RFMScore struct {
	Key string
	// R, F and M are the quintile scores 1–5 of recency, frequency and
	// monetary value; 5 is best: most recent, most frequent, highest value.
	R, F, M int
	Segment RFMSegment
}

// Code returns the scores as the customary three digits, e.g. "545".
func (s RFMScore) Code() string { return fmt.Sprintf("%d%d%d", s.R, s.F, s.M) }

// RFMSegment is one of the eleven classic RFM segments.
type RFMSegment int

// The RFM segments, in the order of RFMSegments. The zero RFMSegment is not
// a segment.
const (
	RFMChampions         RFMSegment = iota + 1 // bought recently, buy often, spend the most
	RFMLoyal                                   // buy regularly and spend well
	RFMPotentialLoyalist                       // recent, with average frequency or value
	RFMNew                                     // bought most recently, once or for little
	RFMPromising                               // recent, but little frequency and value yet
	RFMNeedAttention                           // middling recency, frequency and value
	RFMAboutToSleep                            // below-average recency, low frequency and value
	RFMAtRisk                                  // bought often or spent well, but long ago
	RFMCannotLoseThem                          // among the best by frequency and value, but long gone
	RFMHibernating                             // long ago, seldom, for little
	RFMLost                                    // the lowest recency, frequency and value
)

var rfmSegmentNames = [...]string{
	RFMChampions:         "Champions",
	RFMLoyal:             "Loyal",
	RFMPotentialLoyalist: "Potential loyalist",
	RFMNew:               "New",
	RFMPromising:         "Promising",
	RFMNeedAttention:     "Need attention",
	RFMAboutToSleep:      "About to sleep",
	RFMAtRisk:            "At risk",
	RFMCannotLoseThem:    "Cannot lose them",
	RFMHibernating:       "Hibernating",
	RFMLost:              "Lost",
}

// String returns the segment's name, e.g. "Potential loyalist".
func (s RFMSegment) String() string {
	if s < RFMChampions || s > RFMLost {
		return fmt.Sprintf("RFMSegment(%d)", int(s))
	}
	return rfmSegmentNames[s]
}

// RFMSegments returns the eleven segments in table order, Champions first.
func RFMSegments() []RFMSegment {
	s := make([]RFMSegment, 0, RFMLost)
	for v := RFMChampions; v <= RFMLost; v++ {
		s = append(s, v)
	}
	return s
}

// rfmGrid maps [FM−1][R−1] to a segment. It is the widely used grid of R
// against the average of F and M with eleven segments (as published by
// Putler, "RFM Analysis For Successful Customer Segmentation", and in
// Bloomreach's RFM segmentation guide), whose ranges are stated on a 0–5
// axis per score: Champions R 4–5 × FM 4–5, Loyal 2–5 × 3–5, Potential
// loyalist 3–5 × 1–3, New 4–5 × 0–1, Promising 3–4 × 0–1, Need attention
// 2–3 × 2–3, About to sleep 2–3 × 0–2, At risk 0–2 × 2–5, Cannot lose them
// 0–1 × 4–5, Hibernating 1–2 × 1–2, Lost 0–2 × 0–2. A range a–b covers the
// scores a+1 … b; where two ranges overlap, the smaller segment drawn over
// the larger one wins (Champions over Loyal, Cannot lose them over At risk,
// Hibernating over Lost), which tiles the 25 cells exactly.
var rfmGrid = [5][5]RFMSegment{
	//    R=1            R=2             R=3               R=4                   R=5
	{RFMLost, RFMLost, RFMAboutToSleep, RFMPromising, RFMNew},                              // FM=1
	{RFMLost, RFMHibernating, RFMAboutToSleep, RFMPotentialLoyalist, RFMPotentialLoyalist}, // FM=2
	{RFMAtRisk, RFMAtRisk, RFMNeedAttention, RFMPotentialLoyalist, RFMPotentialLoyalist},   // FM=3
	{RFMAtRisk, RFMAtRisk, RFMLoyal, RFMLoyal, RFMLoyal},                                   // FM=4
	{RFMCannotLoseThem, RFMAtRisk, RFMLoyal, RFMLoyal, RFMChampions},                       // FM=5
}

// RFMSegmentFor returns the segment of the scores r, f and m, each 1–5, from
// the grid of R against FM = ⌈(F+M)/2⌉ (the average of F and M rounded up,
// so 4.5 counts as 5):
//
//	FM\R  1                 2            3               4                   5
//	5     Cannot lose them  At risk      Loyal           Loyal               Champions
//	4     At risk           At risk      Loyal           Loyal               Loyal
//	3     At risk           At risk      Need attention  Potential loyalist  Potential loyalist
//	2     Lost              Hibernating  About to sleep  Potential loyalist  Potential loyalist
//	1     Lost              Lost         About to sleep  Promising           New
//
// This is the R × FM grid of eleven segments published by Putler ("RFM
// Analysis For Successful Customer Segmentation") and Bloomreach ("RFM
// segmentation"), reading each published range a–b as the scores a+1 … b
// and letting the smaller of two overlapping segments win. It panics if a
// score is outside 1–5.
func RFMSegmentFor(r, f, m int) RFMSegment {
	if r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5 {
		panic(fmt.Sprintf("analysis: RFM scores %d, %d, %d outside 1–5", r, f, m))
	}
	fm := (f + m + 1) / 2
	return rfmGrid[fm-1][r-1]
}

// RFMSegmentStats is the size and value of one segment.
type RFMSegmentStats struct {
	Segment RFMSegment
	// Customers is the number of customers in the segment, and Share their
	// fraction of all customers.
	Customers int
	Share     float64
	// Monetary is the total monetary value of the segment's customers,
	// MeanMonetary its mean (0 for an empty segment), and MonetaryShare its
	// fraction of the total over all customers (0 when that total is 0).
	Monetary      float64
	MeanMonetary  float64
	MonetaryShare float64
}

// RFMResult is the outcome of RFM.
type RFMResult struct {
	// Scores has one entry per customer, in the order given.
	Scores []RFMScore
	// Segments has one entry per segment, in the order of RFMSegments,
	// empty segments included. Their customers add up to all customers.
	Segments []RFMSegmentStats
}

// RFM scores every customer 1–5 on recency, frequency and monetary value by
// quintiles, and assigns the classic segments by RFMSegmentFor.
//
// Scores. Customers are ranked from worst to best on each dimension
// (longest recency, lowest frequency, lowest value first). The customer at
// 0-based position i of n scores 1 + ⌊5·i/n⌋, so without ties each score
// covers n/5 customers, give or take one. Ties share the lower score: a run
// of equal values takes the score of its first position, which is
// 1 + ⌊5·L/n⌋ where L counts the customers strictly worse. Equal values
// therefore always get equal scores, a customer is never lifted by a tie,
// and scores do not depend on the input order. Consequences: when every
// value of a dimension is equal, every customer scores 1 on it; a tie group
// spanning a quintile boundary makes the lower quintile larger and may skip
// a score (in the CDNOW sample, the 52% of customers with a single purchase
// day all score F=1 and no one scores F=2); with fewer than 5 customers not
// every score occurs (4 distinct values score 1, 2, 3, 4).
//
// RFM returns an error matching crmtype.ErrInvalid, naming the customer and
// field, when a value is NaN or infinite or a recency or frequency is
// negative. No customers give empty scores and zero segments.
func RFM(customers []RFMCustomer) (*RFMResult, error) {
	for i, c := range customers {
		for _, f := range []struct {
			name        string
			v           float64
			nonNegative bool
		}{{"recency", c.Recency, true}, {"frequency", c.Frequency, true}, {"monetary", c.Monetary, false}} {
			field := fmt.Sprintf("customers[%d].%s", i, f.name)
			switch {
			case math.IsNaN(f.v):
				return nil, crmtype.Invalid(field, "is NaN")
			case math.IsInf(f.v, 0):
				return nil, crmtype.Invalid(field, "is infinite")
			case f.nonNegative && f.v < 0:
				return nil, crmtype.Invalidf(field, "is negative (%g)", f.v)
			}
		}
	}
	n := len(customers)
	res := &RFMResult{Scores: make([]RFMScore, n)}
	order := make([]int, n)
	score := make([]int, n)
	value := make([]float64, n)
	dims := []struct {
		get func(RFMCustomer) float64
		set func(*RFMScore, int)
	}{
		{func(c RFMCustomer) float64 { return -c.Recency }, func(s *RFMScore, v int) { s.R = v }},
		{func(c RFMCustomer) float64 { return c.Frequency }, func(s *RFMScore, v int) { s.F = v }},
		{func(c RFMCustomer) float64 { return c.Monetary }, func(s *RFMScore, v int) { s.M = v }},
	}
	for _, dim := range dims {
		for i, c := range customers {
			value[i] = dim.get(c)
		}
		rfmQuintiles(score, value, order)
		for i := range res.Scores {
			dim.set(&res.Scores[i], score[i])
		}
	}

	res.Segments = make([]RFMSegmentStats, RFMLost)
	var total float64
	for i, c := range customers {
		s := &res.Scores[i]
		s.Key = c.Key
		s.Segment = RFMSegmentFor(s.R, s.F, s.M)
		st := &res.Segments[s.Segment-1]
		st.Customers++
		st.Monetary += c.Monetary
		total += c.Monetary
	}
	for i := range res.Segments {
		st := &res.Segments[i]
		st.Segment = RFMSegment(i + 1)
		if st.Customers > 0 {
			st.Share = float64(st.Customers) / float64(n)
			st.MeanMonetary = st.Monetary / float64(st.Customers)
		}
		if total != 0 {
			st.MonetaryShare = st.Monetary / total
		}
	}
	return res, nil
}

// rfmQuintiles stores in dst[i] the quintile score 1–5 of v[i], higher
// values scoring higher and ties sharing the lower score (see RFM). order is
// scratch of len(v).
func rfmQuintiles(dst []int, v []float64, order []int) {
	n := len(v)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	for i := 0; i < n; {
		score := 1 + 5*i/n
		j := i
		for j < n && v[order[j]] == v[order[i]] {
			dst[order[j]] = score
			j++
		}
		i = j
	}
}
