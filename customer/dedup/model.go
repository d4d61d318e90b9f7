package dedup

import (
	"math"
	"strings"
)

// Fixed comparisons, in the order of a comparison vector; attribute
// comparisons follow.
const (
	cGiven = iota
	cFamily
	cDate
	cPostcode
	cAddress
	cCity
	cRegion
	cCountry
	cEmail
	cPhone
	cExternal
	numFixed
)

// maxComparisons bounds the comparison vector so that it packs into a
// uint64 in base 5; attributes beyond it are ignored.
const maxComparisons = 27

var fixedFields = [numFixed]struct {
	name   string
	levels int
	labels []string
}{
	cGiven:    {"given_name", 4, []string{"different", "similar (Jaro-Winkler >= 0.80)", "close (Jaro-Winkler >= 0.92 or nickname)", "exact"}},
	cFamily:   {"family_name", 4, []string{"different", "similar (Jaro-Winkler >= 0.80)", "close (Jaro-Winkler >= 0.92 or nickname)", "exact"}},
	cDate:     {"date", 4, []string{"different", "two digits differ or two parts agree", "one typo or day/month swapped", "exact"}},
	cPostcode: {"postcode", 3, []string{"different", "one typo", "exact"}},
	cAddress:  {"address", 4, []string{"different", "similar tokens (>= 0.75)", "close tokens (>= 0.90)", "same tokens"}},
	cCity:     {"city", 3, []string{"different", "close (Jaro-Winkler >= 0.88)", "exact"}},
	cRegion:   {"region", 2, []string{"different", "exact"}},
	cCountry:  {"country", 2, []string{"different", "exact"}},
	cEmail:    {"email", 3, []string{"different", "same or similar local part", "shared address"}},
	cPhone:    {"phone", 3, []string{"different", "one digit differs", "shared number"}},
	cExternal: {"external_id", 2, []string{"different id in the same system", "shared id"}},
}

var attrLabels = []string{"different", "two edits", "one edit", "exact"}

// Default m and u probabilities per level (index = level), used as the
// starting point of estimation and as the model of [DefaultModel]. They are
// deliberately generic: m says how often a true match lands on each level,
// u how often two unrelated records do.
var defaultM = [numFixed][]float64{
	cGiven:    {0.05, 0.05, 0.10, 0.80},
	cFamily:   {0.05, 0.05, 0.10, 0.80},
	cDate:     {0.05, 0.05, 0.10, 0.80},
	cPostcode: {0.10, 0.10, 0.80},
	cAddress:  {0.10, 0.10, 0.20, 0.60},
	cCity:     {0.10, 0.10, 0.80},
	cRegion:   {0.10, 0.90},
	cCountry:  {0.05, 0.95},
	cEmail:    {0.30, 0.10, 0.60},
	cPhone:    {0.30, 0.05, 0.65},
	cExternal: {0.10, 0.90},
}

var defaultU = [numFixed][]float64{
	cGiven:    {0.95, 0.04, 0.005, 0.005},
	cFamily:   {0.95, 0.04, 0.005, 0.002},
	cDate:     {0.97, 0.03, 0.0005, 0.0001},
	cPostcode: {0.98, 0.015, 0.005},
	cAddress:  {0.90, 0.09, 0.009, 0.001},
	cCity:     {0.97, 0.02, 0.01},
	cRegion:   {0.80, 0.20},
	cCountry:  {0.50, 0.50},
	cEmail:    {0.999, 0.0009, 0.0001},
	cPhone:    {0.999, 0.0009, 0.0001},
	cExternal: {0.999, 0.001},
}

var defaultAttrM = []float64{0.05, 0.05, 0.10, 0.80}
var defaultAttrU = []float64{0.97, 0.02, 0.009, 0.001}

// Field is the model of one comparison: its name, its agreement levels and
// the m and u probability of each level (index 0 is full disagreement, the
// last index exact agreement).
type Field struct {
	Name   string
	Labels []string
	M, U   []float64
}

// Weight returns the log2 Bayes factor of level l: log2(m/u).
func (f *Field) Weight(l int) float64 {
	return math.Log2(f.M[l] / f.U[l])
}

// Model is a Fellegi-Sunter model: per field the m and u probability of
// each agreement level, and the prior probability that a compared pair is a
// match. Find estimates one from the data; [DefaultModel] gives generic
// values for scoring without estimation.
type Model struct {
	Fields []Field
	// Prior is the probability that a candidate pair is a match before any
	// field is looked at.
	Prior float64
	// AttributeKeys names the attribute fields, in order after the fixed ones.
	AttributeKeys []string
	// tf holds term frequency adjustments for exact agreement: per field,
	// the share of records with each value, and the u of exact agreement
	// measured on random pairs.
	tf []tfTable
}

type tfTable struct {
	freq  map[string]float64
	uRand float64
}

// DefaultModel returns a model with generic m and u values for the given
// attribute keys, and a prior of 0.01.
func DefaultModel(attributeKeys ...string) *Model {
	m := &Model{Prior: 0.01, AttributeKeys: append([]string(nil), attributeKeys...)}
	for i := 0; i < numFixed; i++ {
		m.Fields = append(m.Fields, Field{
			Name: fixedFields[i].name, Labels: fixedFields[i].labels,
			M: append([]float64(nil), defaultM[i]...), U: append([]float64(nil), defaultU[i]...),
		})
	}
	for _, k := range attributeKeys {
		if len(m.Fields) == maxComparisons {
			break
		}
		m.Fields = append(m.Fields, Field{
			Name: "attr:" + k, Labels: attrLabels,
			M: append([]float64(nil), defaultAttrM...), U: append([]float64(nil), defaultAttrU...),
		})
	}
	m.AttributeKeys = m.AttributeKeys[:len(m.Fields)-numFixed]
	return m
}

// levels compares a and b and writes each field's level into out (-1 when
// either side is missing).
func levels(a, b *prepared, out []int8) {
	// Names, allowing given and family names to be swapped.
	g, f := nameLevel(a.given, b.given), nameLevel(a.family, b.family)
	if int(max(g, 0))+int(max(f, 0)) < 5 && a.given != "" && a.family != "" && b.given != "" && b.family != "" {
		sg, sf := nameLevel(a.given, b.family), nameLevel(a.family, b.given)
		if sg+sf > max(g, 0)+max(f, 0) && sg >= 2 && sf >= 2 {
			g, f = sg, sf
		}
	}
	out[cGiven], out[cFamily] = g, f
	out[cDate] = dateLevel(a.date, b.date)
	out[cPostcode] = codeLevel(a.postcode, b.postcode)
	out[cAddress] = addrLevel(a.addr, b.addr)
	out[cCity] = cityLevel(a.city, b.city)
	out[cRegion] = exactLevel(a.region, b.region)
	out[cCountry] = exactLevel(a.country, b.country)
	out[cEmail] = emailLevel(a.emails, b.emails)
	out[cPhone] = phoneLevel(a.phones, b.phones)
	out[cExternal] = extLevel(a.ext, b.ext)
	for i := numFixed; i < len(out); i++ {
		k := i - numFixed
		if k >= len(a.attrs) || k >= len(b.attrs) {
			out[i] = -1
			continue
		}
		out[i] = attrLevel(a.attrs[k], b.attrs[k])
	}
}

func nameLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	case sameNickname(a, b):
		return 2
	}
	var ba, bb [48]rune
	ra, rb := toRunes(ba[:0], a), toRunes(bb[:0], b)
	jw := jaroWinkler(ra, rb)
	switch {
	case jw >= 0.92:
		return 2
	case jw >= 0.80:
		return 1
	}
	return 0
}

func dateLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	}
	if len(a) == 8 && len(b) == 8 && a[:4] == b[:4] && a[4:6] == b[6:8] && a[6:8] == b[4:6] {
		return 2
	}
	var ba, bb [8]rune
	d := osa(toRunes(ba[:0], a), toRunes(bb[:0], b), 2)
	switch {
	case d <= 1:
		return 2
	case d == 2:
		return 1
	}
	if len(a) == 8 && len(b) == 8 {
		n := 0
		if a[:4] == b[:4] {
			n++
		}
		if a[4:6] == b[4:6] {
			n++
		}
		if a[6:8] == b[6:8] {
			n++
		}
		if n >= 2 {
			return 1
		}
	}
	return 0
}

func codeLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 2
	case EditDistance(a, b) <= 1:
		return 1
	}
	return 0
}

func addrLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	s := tokenSimilarity(a, b)
	switch {
	case s >= 0.999:
		return 3
	case s >= 0.90:
		return 2
	case s >= 0.75:
		return 1
	}
	return 0
}

func cityLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 2
	case JaroWinkler(a, b) >= 0.88:
		return 1
	}
	return 0
}

func exactLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 1
	}
	return 0
}

func emailLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	best := int8(0)
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return 2
			}
			lx, _, _ := strings.Cut(x, "@")
			ly, _, _ := strings.Cut(y, "@")
			if lx == ly || JaroWinkler(lx, ly) >= 0.92 {
				best = 1
			}
		}
	}
	return best
}

func phoneLevel(a, b []string) int8 {
	if len(a) == 0 || len(b) == 0 {
		return -1
	}
	best := int8(0)
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return 2
			}
			if len(x) == len(y) && EditDistance(x, y) <= 1 {
				best = 1
			}
		}
	}
	return best
}

func extLevel(a, b []string) int8 {
	lv := int8(-1)
	for _, x := range a {
		sx, _, _ := strings.Cut(x, ":")
		for _, y := range b {
			if x == y {
				return 1
			}
			if sy, _, _ := strings.Cut(y, ":"); sx == sy {
				lv = 0
			}
		}
	}
	return lv
}

func attrLevel(a, b string) int8 {
	switch {
	case a == "" || b == "":
		return -1
	case a == b:
		return 3
	}
	var ba, bb [48]rune
	ra, rb := toRunes(ba[:0], a), toRunes(bb[:0], b)
	switch d := osa(ra, rb, 2); {
	case d <= 1 && min(len(ra), len(rb)) >= 3:
		return 2
	case d == 2 && min(len(ra), len(rb)) >= 5:
		return 1
	}
	return 0
}

// tfValue returns the value of field k of p that term frequencies are
// kept for, or "".
func tfValue(p *prepared, k int) string {
	switch k {
	case cGiven:
		return p.given
	case cFamily:
		return p.family
	case cPostcode:
		return p.postcode
	case cCity:
		return p.city
	}
	return ""
}

// tfFields are the fields with term frequency adjustment.
var tfFields = []int{cGiven, cFamily, cPostcode, cCity}

// score returns the log2 odds of a match for levels lv of records a and b,
// and fills w (when not nil) with each field's weight.
func (m *Model) score(a, b *prepared, lv []int8, w []float64) float64 {
	total := math.Log2(m.Prior / (1 - m.Prior))
	for k, l := range lv {
		if l < 0 || k >= len(m.Fields) {
			if w != nil {
				w[k] = 0
			}
			continue
		}
		f := &m.Fields[k]
		x := f.Weight(int(l))
		if int(l) == len(f.M)-1 && k < len(m.tf) && m.tf[k].freq != nil {
			// Exact agreement on a rare value says more than on a common one.
			var v string
			if k == cGiven || k == cFamily {
				// Swapped names agree on a's given name with b's family name.
				if v = tfValue(a, k); v != tfValue(b, k) {
					v = ""
				}
			} else {
				v = tfValue(a, k)
			}
			if p, ok := m.tf[k].freq[v]; ok && p > 0 {
				adj := math.Log2(m.tf[k].uRand / p)
				// Even on a common value, agreeing is never evidence
				// against a match.
				x = max(0, x+max(-4, min(4, adj)))
			}
		}
		if w != nil {
			w[k] = x
		}
		total += x
	}
	return total
}

// Probability turns log2 odds into a probability.
func Probability(log2odds float64) float64 {
	return 1 / (1 + math.Exp2(-log2odds))
}
