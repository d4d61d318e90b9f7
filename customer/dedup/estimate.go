package dedup

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// How the model is estimated, without labels (after Splink's method):
//
//   - u, how often unrelated records agree, is measured on a million random
//     pairs of records; exact agreement on a name or an email from the
//     frequencies of the values themselves.
//   - m, how often true matches agree, is estimated by EM on the candidate
//     pairs. A pair found through a blocking key says nothing through the
//     fields that key is made of (pairs found by name agree on names,
//     whether or not they are one person; pairs found by a phone share it,
//     and often a family name, as households do), so those fields are left
//     out of that pair's likelihood: no field trains its own m. Pairs
//     found by name train no m at all: namesakes are most of them, and
//     what they share beside the name (a postcode in a big city) is what
//     EM would otherwise take for the mark of one person.
//   - The share of matches is estimated per key kind; their sum over the
//     candidates, divided by all pairs of records, is the prior of the
//     final score, which is thus the log odds that two records are one
//     entity.
//
// m is held to two constraints that hold for any sensible comparator: exact
// agreement is never evidence against a match (m >= u at the top level) and
// full disagreement never evidence for one (m <= u at level 0); and the
// names, birth dates and ids of one person disagree completely at most
// maxPersonalDisagreement of the time, so that the match class can become
// neither "same household" nor "same name".

// pattern is a comparison vector (packed) with the kind of the blocking
// key that paired its records.
type pattern struct {
	kind uint8
	lv   uint64
}

// maxPersonalDisagreement bounds m at level 0 of the personal fields: given
// and family name, date of birth, ids.
const maxPersonalDisagreement = 0.25

// masked reports whether field k is left out of the likelihood of pairs
// found through a key of kind.
func masked(kind uint8, k int) bool {
	switch kind {
	case kFamilyGiven, kGivenFamily, kNamesSorted:
		return k == cGiven || k == cFamily
	case kDateFamily:
		// The key holds an initial of the name too.
		return k == cDate || k == cFamily
	case kDateGiven:
		return k == cDate || k == cGiven
	case kPostFamily, kPhone, kPhoneHead, kAddress:
		// Places: shared by households, who share a family name too.
		return k == cContact || k == cFamily
	case kPostGiven:
		return k == cContact || k == cFamily || k == cGiven
	case kEmail:
		// Shared by families, who share a family name too.
		return k == cEmail || k == cFamily
	case kEmailLocal:
		// A local part is often made of the name.
		return k == cEmail || k == cGiven || k == cFamily
	case kExternal:
		return k == cExternal
	case kAttr:
		return k >= numFixed
	}
	return false
}

// numKinds is the number of blocking key kinds.
const numKinds = kAttr + 1

// measureTF counts the values of the term-frequency kinds: how many
// records hold each, and the chance that two random records agree.
func (m *Model) measureTF(ps []prepared) {
	var hs []uint64
	for t := 0; t < numTF; t++ {
		hs = hs[:0]
		n := 0
		for i := range ps {
			p := &ps[i]
			start := len(hs)
			switch t {
			case tfGiven:
				if p.givenR != "" {
					hs = append(hs, tfHash(p.givenR))
				}
			case tfFamily:
				if p.familyR != "" {
					hs = append(hs, tfHash(p.familyR))
				}
			case tfEmail:
				for _, v := range p.emails {
					hs = append(hs, tfHash(v))
				}
			case tfPhone:
				for _, v := range p.phones {
					hs = append(hs, tfHash(v))
				}
			case tfAddress:
				if len(p.addr) > 0 {
					hs = append(hs, tfHash(p.addr...))
				}
			case tfName:
				if h, ok := nameHash(p); ok {
					hs = append(hs, h)
				}
			}
			if len(hs) > start {
				n++
				// A record counts once per value.
				slices.Sort(hs[start:])
				hs = append(hs[:start], slices.Compact(hs[start:])...)
			}
		}
		if n == 0 {
			m.tf[t] = tfTable{}
			continue
		}
		slices.Sort(hs)
		tab := tfTable{counts: map[uint64]uint32{}, n: float64(n)}
		for lo := 0; lo < len(hs); {
			hi := lo + 1
			for hi < len(hs) && hs[hi] == hs[lo] {
				hi++
			}
			if hi-lo > 1 {
				tab.counts[hs[lo]] = uint32(hi - lo)
			}
			p := float64(hi-lo) / tab.n
			tab.uRand += p * p
			lo = hi
		}
		m.tf[t] = tab
	}
}

// sampleU counts the levels of a deterministic sample of random pairs:
// per field and level, how many sampled pairs landed there. Each level is
// compared on its own (households not dropped): u is how often unrelated
// records agree, whatever else they share.
func (m *Model) sampleU(ps []prepared, cfg Config) [][]float64 {
	nf := len(m.Fields)
	n := len(ps)
	samples := cfg.RandomPairs
	if total := n * (n - 1) / 2; total < samples {
		samples = total
	}
	// The sample is drawn in fixed chunks, each from its own seeded
	// generator, so that it is the same whatever the number of workers.
	const chunks = 64
	cnts := make([][][]float64, cfg.Workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range cnts {
		cnt := make([][]float64, nf)
		for k := range cnt {
			cnt[k] = make([]float64, len(m.Fields[k].U))
		}
		cnts[w] = cnt
		wg.Add(1)
		go func() {
			defer wg.Done()
			lv := make([]int8, nf)
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15+uint64(c)))
				for s := c; s < samples; s += chunks {
					i := rng.IntN(n)
					j := rng.IntN(n - 1)
					if j >= i {
						j++
					}
					compare(&ps[i], &ps[j], lv)
					for k, l := range lv {
						if l >= 0 {
							cnt[k][l]++
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, c := range cnts[1:] {
		for k := range c {
			for l := range c[k] {
				cnts[0][k][l] += c[k][l]
			}
		}
	}
	return cnts[0]
}

// uPriorPairs is the weight, in sampled pairs, of the generic u values.
const uPriorPairs = 1000

// em estimates m, the rare levels' u and the prior from the pattern counts
// of the candidate pairs, with u of the common levels from the random
// sample (see the comment at the top of this file). It returns the
// iterations run.
func (m *Model) em(counts map[pattern]float64, sample [][]float64, records int, cfg Config) int {
	nf := len(m.Fields)
	type pat struct {
		kind uint8
		lv   []int8
		n    float64
	}
	keys := make([]pattern, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pattern) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		if a.lv < b.lv {
			return -1
		}
		if a.lv > b.lv {
			return 1
		}
		return 0
	})
	pats := make([]pat, len(keys))
	var perKind [numKinds]float64
	total := 0.0
	for i, k := range keys {
		lv := make([]int8, nf)
		unpack(k.lv, lv)
		pats[i] = pat{k.kind, lv, counts[k]}
		perKind[k.kind] += counts[k]
		total += counts[k]
	}
	if total == 0 {
		return 0
	}
	allPairs := float64(records) * float64(records-1) / 2

	// u: the sample's rates and the values' own frequencies for exact
	// agreement on names and emails, each blended with the generic values
	// (worth uPriorPairs pairs), which decide on small data sets and for
	// levels the sample never saw.
	for k := range m.Fields {
		f := &m.Fields[k]
		tot := 0.0
		for _, c := range sample[k] {
			tot += c
		}
		for l := range f.U {
			f.U[l] = (sample[k][l] + uPriorPairs*f.U[l]) / (tot + uPriorPairs)
		}
		exact := -1
		switch k {
		case cGiven:
			exact = tfGiven
		case cFamily:
			exact = tfFamily
		case cEmail:
			exact = tfEmail
		}
		if top := len(f.U) - 1; exact >= 0 && m.tf[exact].n > 0 {
			old := f.U[top]
			f.U[top] = (m.tf[exact].uRand*tot + uPriorPairs*defaultU[k][top]) / (tot + uPriorPairs)
			for l := 0; l < top; l++ {
				f.U[l] *= (1 - f.U[top]) / (1 - old)
			}
		}
	}

	m0 := make([][]float64, nf)
	for k := range m.Fields {
		m0[k] = slices.Clone(m.Fields[k].M)
	}
	var lambda [numKinds]float64
	for k := range lambda {
		lambda[k] = 0.1
	}
	am := make([][]float64, nf)
	for k := range am {
		am[k] = make([]float64, len(m0[k]))
	}
	logM, logU := make([][]float64, nf), make([][]float64, nf)
	for k := range logM {
		logM[k] = make([]float64, len(m0[k]))
		logU[k] = make([]float64, len(m0[k]))
	}
	var sumP [numKinds]float64
	it := 0
	for it < cfg.Iterations {
		it++
		for k := range m.Fields {
			for l := range m.Fields[k].M {
				logM[k][l] = math.Log(m.Fields[k].M[l])
				logU[k][l] = math.Log(m.Fields[k].U[l])
			}
			clear(am[k])
		}
		clear(sumP[:])
		for _, p := range pats {
			lm, lu := math.Log(lambda[p.kind]), math.Log(1-lambda[p.kind])
			for k, l := range p.lv {
				if l >= 0 && !masked(p.kind, k) {
					lm += logM[k][l]
					lu += logU[k][l]
				}
			}
			pm := 1 / (1 + math.Exp(lu-lm))
			sumP[p.kind] += pm * p.n
			if p.kind <= kNamesSorted {
				continue // pairs found by name train no m (see above)
			}
			for k, l := range p.lv {
				if l >= 0 && !masked(p.kind, k) {
					am[k][l] += pm * p.n
				}
			}
		}
		change := 0.0
		matches := 0.0
		for k := range lambda {
			if perKind[k] > 0 {
				next := min(max(sumP[k]/perKind[k], minPrior), maxPrior)
				change = max(change, math.Abs(next-lambda[k]))
				lambda[k] = next
			}
			matches += sumP[k]
		}
		for k := range m.Fields {
			f := &m.Fields[k]
			next := constrainedM(am[k], m0[k], f.U, cfg.PriorWeight, k != cEmail && k != cContact)
			for l := range f.M {
				change = max(change, math.Abs(next[l]-f.M[l]))
				f.M[l] = max(next[l], 1e-6)
			}
		}
		if change < 1e-5 {
			break
		}
	}
	matches := 0.0
	for k := range sumP {
		matches += sumP[k]
	}
	m.Prior = min(max(matches/allPairs, 1e-12), 0.5)
	return it
}

// Bounds of the share of matches among the candidate pairs of one key
// kind.
const (
	minPrior = 1e-6
	maxPrior = 0.9
)

// constrainedM returns m for one comparison from the expected match counts
// cm and the prior values m0 (weight w, in pairs), held to m >= u at the
// top level and m <= u at level 0 (and, for personal fields, m <=
// maxPersonalDisagreement at level 0): a violated level is set to its
// bound and the other levels share the rest in proportion.
func constrainedM(cm, m0, u []float64, w float64, personal bool) []float64 {
	n := len(cm)
	m := make([]float64, n)
	tot := 0.0
	for l := range m {
		m[l] = cm[l] + w*m0[l]
		tot += m[l]
	}
	if tot <= 0 {
		copy(m, m0)
		return m
	}
	for l := range m {
		m[l] /= tot
	}
	fix := func(l int, v float64) {
		rest, other := 1-v, 1-m[l]
		for j := range m {
			if j != l && other > 0 {
				m[j] *= rest / other
			}
		}
		m[l] = v
	}
	if n > 2 {
		hi := u[0]
		if personal {
			hi = min(hi, maxPersonalDisagreement)
		}
		if m[0] > hi {
			fix(0, hi)
		}
	}
	if m[n-1] < u[n-1] {
		fix(n-1, u[n-1])
	}
	return m
}
