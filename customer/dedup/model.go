package dedup

import (
	"math"
	"slices"
	"strings"
)

// Fixed comparisons, in the order of a comparison vector; attribute
// comparisons follow.
const (
	cGiven = iota
	cFamily
	cDate
	cEmail
	cContact
	cExternal
	numFixed
)

// maxComparisons bounds the comparison vector (so that its pattern packs
// into a uint64); attributes beyond it are ignored.
const maxComparisons = 21

var nameLabels = []string{"different", "similar (Jaro-Winkler >= 0.80)", "close (Jaro-Winkler >= 0.92, nickname or same sound)", "exact (in any script)"}

var fixedFields = [numFixed]struct {
	name   string
	labels []string
}{
	cGiven:  {"given_name", nameLabels},
	cFamily: {"family_name", nameLabels},
	cDate:   {"date", []string{"different", "two digits differ or two parts agree", "one typo or day/month swapped", "exact"}},
	cEmail:  {"email", []string{"different", "one typo", "shared address"}},
	cContact: {"contact", []string{
		"nothing shared",
		"same postcode",
		"similar address",
		"phone one digit off, or same street address",
		"same street address and place",
		"shared phone",
		"shared phone and address",
	}},
	cExternal: {"external_id", []string{"different id in the same system", "shared id"}},
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
	cEmail:    {0.30, 0.10, 0.60},
	cContact:  {0.10, 0.10, 0.05, 0.10, 0.15, 0.20, 0.30},
	cExternal: {0.10, 0.90},
}

var defaultU = [numFixed][]float64{
	cGiven:    {0.95, 0.04, 0.005, 0.005},
	cFamily:   {0.95, 0.04, 0.005, 0.002},
	cDate:     {0.97, 0.03, 0.0005, 0.0001},
	cEmail:    {0.9995, 0.0004, 0.0001},
	cContact:  {0.90, 0.095, 0.003, 0.001, 0.0005, 0.0003, 0.0002},
	cExternal: {0.999, 0.001},
}

var defaultAttrM = []float64{0.05, 0.05, 0.10, 0.80}
var defaultAttrU = []float64{0.97, 0.02, 0.009, 0.001}

// Field is the model of one comparison: its name, its agreement levels and
// the m and u probability of each level (index 0 is full disagreement, the
// last index the closest agreement).
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
	// Prior is the probability that a pair of records is a match before
	// any field is looked at: for an estimated model, over all pairs of
	// the records scanned (so the weights must overcome how many people
	// could have been meant); DefaultModel's 0.01 suits scoring a handful
	// of candidates found by lookup, as MatchCandidate does.
	Prior float64
	// AttributeKeys names the attribute fields, in order after the fixed ones.
	AttributeKeys []string
	// tf holds term frequency adjustments for exact agreement: per term
	// kind, how many records hold each repeated value and the chance that
	// two random records agree.
	tf [numTF]tfTable
}

// tfTable counts the values of one term-frequency kind: by hash, the
// records holding each value that two or more hold (any other value is
// held by one).
type tfTable struct {
	counts map[uint64]uint32
	n      float64 // records holding a value
	uRand  float64 // the chance that two random records agree
}

// share returns the share of records holding the value hashed h.
func (t *tfTable) share(h uint64) float64 {
	c := t.counts[h]
	if c == 0 {
		c = 1
	}
	return float64(c) / t.n
}

// tfHash hashes a term-frequency value given in parts (a whole name is
// its two names; an address its tokens).
func tfHash(parts ...string) uint64 {
	var h keyHash
	h.Reset()
	for _, s := range parts {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// nameHash is the term-frequency hash of p's whole name: its romanised
// names in sorted order; ok is false without both.
func nameHash(p *prepared) (h uint64, ok bool) {
	if p.givenR == "" || p.familyR == "" {
		return 0, false
	}
	if p.givenR < p.familyR {
		return tfHash(p.givenR, p.familyR), true
	}
	return tfHash(p.familyR, p.givenR), true
}

// Term-frequency kinds: the values whose own frequency adjusts the weight
// of exact agreement.
const (
	tfGiven   = iota // romanised given name
	tfFamily         // romanised family name
	tfEmail          // email address
	tfPhone          // phone number
	tfAddress        // street address
	tfName           // the whole name: romanised family and given name, sorted
	numTF
)

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
// either side is missing the field).
func levels(a, b *prepared, out []int8) {
	compare(a, b, out)
	household(out)
}

// compare writes each field's level for a and b into out, each field on
// its own.
func compare(a, b *prepared, out []int8) {
	out[cGiven], out[cFamily] = namesLevels(a, b)
	out[cDate] = dateLevel(a.date, b.date)
	out[cEmail] = emailLevel(a.emails, b.emails)
	out[cContact] = contactLevel(a, b)
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

// household drops the contact and email comparisons of levels lv when
// they are a household's or an office's: a phone, an address or an email
// shared by people with different given names (or an email that differs
// from another by the name it is made of) says nothing about whether the
// two are one person, unless a date of birth or an id agrees too.
func household(lv []int8) {
	if lv[cEmail] == 1 && lv[cGiven] >= 0 && lv[cGiven] < 3 {
		// Emails a letter apart whose owners' given names differ: the
		// letter is the name's.
		lv[cEmail] = -1
	}
	if lv[cGiven] != 0 || lv[cContact] < 2 && lv[cEmail] < 1 {
		return
	}
	personal := lv[cDate] == 3 || lv[cExternal] == 1
	for i := numFixed; i < len(lv); i++ {
		personal = personal || lv[i] == 3
	}
	if personal {
		return
	}
	if lv[cContact] >= 2 {
		lv[cContact] = -1
	}
	if lv[cEmail] >= 1 {
		lv[cEmail] = -1
	}
}

// namesLevels compares the given and family names of a and b, allowing
// them to be swapped or split differently.
func namesLevels(a, b *prepared) (g, f int8) {
	if a.given == "" && a.family == "" || b.given == "" && b.family == "" {
		return -1, -1
	}
	// The same whole name, however it was split or ordered (in another
	// script: Han names read alike are only close).
	if catEq(a.family, a.given, b.family, b.given) {
		return 3, 3
	}
	if !latin(a) && !latin(b) && len(a.family)+len(a.given) == len(b.family)+len(b.given) &&
		strings.Contains(a.family+a.given+a.family+a.given, b.family+b.given) {
		// 陈可珊 and 可珊陈: a whole name written in either order.
		return 3, 3
	}
	if (latin(a) || latin(b)) && (catEq(a.familyR, a.givenR, b.familyR, b.givenR) ||
		catEq(a.familyR, a.givenR, b.givenR, b.familyR) || catEq(a.givenR, a.familyR, b.familyR, b.givenR)) {
		return 3, 3
	}
	// One whole name the start of the other: a second family name
	// ("Pablo Fernández" and "Pablo Fernández Ramírez").
	if a.given != "" && b.given != "" &&
		(strings.HasPrefix(a.givenR, b.givenR) || strings.HasPrefix(b.givenR, a.givenR)) && latin(a) && latin(b) {
		if wa, wb := a.givenR+a.familyR, b.givenR+b.familyR; min(len(wa), len(wb)) >= 6 && wa != wb &&
			(strings.HasPrefix(wa, wb) || strings.HasPrefix(wb, wa)) {
			if a.givenR == b.givenR {
				return 3, 2
			}
			return 2, 2
		}
	}
	// One name alone ("Ivan", "王") is compared with both of the other's.
	if (a.given == "") != (b.given == "") {
		one, two := a, b
		if b.given == "" {
			one, two = b, a
		}
		if one.family != "" && two.family != "" {
			return -1, max(nameLevel(one.family, one.familyR, two.family, two.familyR), nameLevel(one.family, one.familyR, two.given, two.givenR))
		}
	}
	g, f = nameLevel(a.given, a.givenR, b.given, b.givenR), nameLevel(a.family, a.familyR, b.family, b.familyR)
	if g == 0 && (japanese(a) && isLatin(b.given) || japanese(b) && isLatin(a.given)) {
		g = -1 // a Japanese given name in kanji has no reading here
	}
	if int(max(g, 0))+int(max(f, 0)) < 5 && a.given != "" && a.family != "" && b.given != "" && b.family != "" {
		sg, sf := nameLevel(a.given, a.givenR, b.family, b.familyR), nameLevel(a.family, a.familyR, b.given, b.givenR)
		if sg+sf > max(g, 0)+max(f, 0) && max(sg, sf) >= 2 && min(sg, sf) >= 1 {
			g, f = sg, sf
		}
	}
	return g, f
}

// catEq reports whether x1+x2 == y1+y2, without building either.
func catEq(x1, x2, y1, y2 string) bool {
	if len(x1)+len(x2) != len(y1)+len(y2) {
		return false
	}
	if len(x1) > len(y1) {
		x1, x2, y1, y2 = y1, y2, x1, x2
	}
	d := len(y1) - len(x1)
	return y1[:len(x1)] == x1 && y1[len(x1):] == x2[:d] && x2[d:] == y2
}

// japanese reports whether p's family name is a known Japanese one
// written in kanji.
func japanese(p *prepared) bool {
	_, ok := japaneseReading(p.family)
	return ok
}

// latin reports whether p's names read as they are written: Latin
// letters, or a script romanise leaves as it is (Arabic).
func latin(p *prepared) bool { return p.given == p.givenR && p.family == p.familyR }

// score returns the log2 odds of a match for levels lv of records a and b,
// and fills w (when not nil) with each field's weight.
func (m *Model) score(a, b *prepared, lv []int8, w []float64) float64 {
	total := math.Log2(m.Prior / (1 - m.Prior))
	// The same whole name is weighed by how common the whole name is, not
	// by its parts (which are not independent: names of one culture go
	// together), half to each field.
	whole := -1.0
	if lv[cGiven] == 3 && lv[cFamily] == 3 && m.tf[tfName].n > 0 {
		ha, oka := nameHash(a)
		if hb, okb := nameHash(b); oka && okb && ha == hb {
			g, fam := &m.Fields[cGiven], &m.Fields[cFamily]
			whole = max(0, math.Log2(g.M[3]*fam.M[3]/m.tf[tfName].share(ha))) / 2
		}
	}
	for k, l := range lv {
		if l < 0 || k >= len(m.Fields) {
			if w != nil {
				w[k] = 0
			}
			continue
		}
		f := &m.Fields[k]
		x := f.Weight(int(l))
		if (k == cGiven || k == cFamily) && whole >= 0 {
			if w != nil {
				w[k] = whole
			}
			total += whole
			continue
		}
		if t, h := tfTerm(a, b, k, l); t >= 0 && m.tf[t].n > 0 {
			// Agreement on a rare value says more than on a common one;
			// a value many records share (a switchboard, a family email)
			// says little. Even on a common value, agreeing is never
			// evidence against a match.
			adj := math.Log2(m.tf[t].uRand / m.tf[t].share(h))
			x = max(0, x+max(-10, min(6, adj)))
		}
		if w != nil {
			w[k] = x
		}
		total += x
	}
	return total
}

// tfTerm returns the term-frequency kind and the hash of the shared value
// behind level l of field k, or -1.
func tfTerm(a, b *prepared, k int, l int8) (int, uint64) {
	switch k {
	// A name's own frequency counts when it is the only name compared:
	// beside the other name (agreeing only in part), the two are not
	// independent (names of one culture go together), and the whole
	// name's frequency counts when both agree (see score).
	case cGiven:
		if l == 3 && a.givenR == b.givenR && a.givenR != "" && (a.familyR == "" || b.familyR == "") {
			return tfGiven, tfHash(a.givenR)
		}
	case cFamily:
		if l == 3 && a.familyR == b.familyR && a.familyR != "" && (a.givenR == "" || b.givenR == "") {
			return tfFamily, tfHash(a.familyR)
		}
	case cEmail:
		if l == 2 {
			return tfEmail, tfHash(shared(a.emails, b.emails))
		}
	case cContact:
		switch l {
		case 5, 6:
			return tfPhone, tfHash(shared(a.phones, b.phones))
		case 4:
			if slices.Equal(a.addr, b.addr) {
				return tfAddress, tfHash(a.addr...)
			}
		}
	}
	return -1, 0
}

// shared returns the first value in both a and b, or "".
func shared(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return x
			}
		}
	}
	return ""
}

// Probability turns log2 odds into a probability.
func Probability(log2odds float64) float64 {
	return 1 / (1 + math.Exp2(-log2odds))
}
