package dedup

import (
	"context"
	"errors"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Config tunes Find. The zero value uses the documented defaults.
type Config struct {
	// Threshold is the match probability at or above which a pair is
	// reported and joins a cluster. Default 0.5.
	Threshold float64
	// MaxBlock is the largest block compared all-pairs. Default 20.
	MaxBlock int
	// Window is the window of the sorted neighbourhood that compares the
	// records of an oversized block (more than MaxBlock records, such as
	// everyone called 王伟 or sharing a switchboard): sorted by name,
	// postcode and date, each record is compared with the next Window.
	// Default 8; a negative value skips oversized blocks (the other keys
	// still pair their records). Stats.OversizeBlocks counts them either
	// way.
	Window int
	// RandomPairs is the number of random record pairs sampled to measure u
	// (how often unrelated records agree). Default 1,000,000.
	RandomPairs int
	// Iterations bounds the EM iterations that estimate m, u and the prior
	// on the candidate pairs. Default 50; a negative value skips estimation
	// and uses Model (or DefaultModel) as given.
	Iterations int
	// PriorWeight is the weight, in pairs, of the default m and u values in
	// the estimation, which keeps small or odd data sets sensible.
	// Default 20.
	PriorWeight float64
	// Model, when set, is the starting point of estimation (or the model
	// used as is when Iterations < 0).
	Model *Model
	// NoTermFrequency turns off the adjustment of exact agreement by how
	// common the value is (names, emails, phones, addresses).
	NoTermFrequency bool
	// Seed seeds the random pair sample. Results are deterministic for a
	// given seed and input order.
	Seed uint64
	// Workers is the number of goroutines comparing pairs. Default
	// GOMAXPROCS.
	Workers int
	// Linkage is how pairs form clusters. Default AverageLinkage.
	Linkage Linkage
}

// Linkage is how pairs at or above the threshold form clusters.
type Linkage int

// Linkages.
const (
	// AverageLinkage joins the connected records, then splits each group
	// of three or more (up to 200) so that any two groups it keeps
	// together match on average (of the pairs' log odds) at or above the
	// threshold.
	AverageLinkage Linkage = iota
	// SingleLinkage keeps the connected components: a chain of pairs
	// joins all its records.
	SingleLinkage
)

func (c Config) withDefaults() Config {
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if c.MaxBlock == 0 {
		c.MaxBlock = 20
	}
	if c.Window == 0 {
		c.Window = 8
	}
	if c.RandomPairs == 0 {
		c.RandomPairs = 1_000_000
	}
	if c.Iterations == 0 {
		c.Iterations = 50
	}
	if c.PriorWeight == 0 {
		c.PriorWeight = 20
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// FieldScore explains one field of a pair.
type FieldScore struct {
	Field string
	// Level is the agreement level: 0 is full disagreement, higher is
	// closer.
	Level     int
	Agreement string  // the level in words, e.g. "exact", "one typo"
	Weight    float64 // log2 Bayes factor this field adds to the score
}

// Pair is two records judged probable duplicates.
type Pair struct {
	A, B     int    // indexes into the records, A < B
	IDA, IDB string // their IDs
	// Probability is the match probability, Score its log2 odds (the sum of
	// the prior's and the fields' weights).
	Probability float64
	Score       float64
	// Fields explains the score field by field, for the fields both
	// records have (a field either lacks adds nothing).
	Fields []FieldScore
}

// Cluster is a group of records connected by pairs at or above the
// threshold.
type Cluster struct {
	Members []int    // record indexes, ascending
	IDs     []string // their IDs
}

// Stats describe the work done.
type Stats struct {
	Records int
	Blocks  int // blocks of two or more records
	// OversizeBlocks counts the blocks larger than Config.MaxBlock; they
	// are compared by sorted neighbourhood (or skipped when Config.Window
	// is negative).
	OversizeBlocks int
	Comparisons    int // candidate pairs compared
	Iterations     int // EM iterations run
}

// Result is the outcome of Find.
type Result struct {
	Pairs    []Pair    // by A, then B
	Clusters []Cluster // clusters of two or more, by first member
	Model    *Model    // the estimated model
	Stats    Stats
}

// Blocking key kinds, kept in the low four bits of a key's hash.
const (
	kFamilyGiven = iota // romanised family name + first two letters of the given name
	kGivenFamily        // romanised given name + first two letters of the family name
	kNamesSorted        // both soundex codes, sorted (swapped names)
	kDateFamily         // date with day/month sorted + first letter of family
	kDateGiven          // same + first letter of given
	kPostFamily         // postcode + first two letters of family
	kPostGiven          // postcode + first two letters of given
	kEmail              // each email
	kEmailLocal         // each email's local part (another domain, a domain typo)
	kPhone              // each phone: its last eight digits, and all but the last four,
	kPhoneHead          // and all but the four before those: one wrong digit keeps a key
	kAddress            // street address: its numbers and first word
	kExternal           // each external id
	kAttr               // each attribute value of 4+ characters
)

// keyHash is a 64-bit FNV-1a hash with a final mix, the same in every
// process, so that blocks, and with them results, are reproducible.
type keyHash struct{ h uint64 }

func (k *keyHash) Reset() { k.h = 14695981039346656037 }

func (k *keyHash) WriteByte(c byte) error {
	k.h = (k.h ^ uint64(c)) * 1099511628211
	return nil
}

func (k *keyHash) WriteString(s string) {
	h := k.h
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	k.h = h
}

// Sum64 returns the hash, its bits mixed (splitmix64's finaliser).
func (k *keyHash) Sum64() uint64 {
	z := k.h
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func blockKeys(p *prepared, hs []uint64, h *keyHash) []uint64 {
	add := func(kind byte, parts ...string) {
		for _, s := range parts {
			if s == "" {
				return
			}
		}
		h.Reset()
		h.WriteByte(kind)
		for _, s := range parts {
			h.WriteString(s)
			h.WriteByte(0)
		}
		hs = append(hs, h.Sum64()&^0xF|uint64(kind))
	}
	sg, sf := Soundex(p.givenR), Soundex(p.familyR)
	fg, ff := prefix(p.givenR, 1), prefix(p.familyR, 1)
	add(kFamilyGiven, p.familyR, prefix(p.givenR, 2))
	add(kGivenFamily, p.givenR, prefix(p.familyR, 2))
	if sg != "" && sf != "" {
		a, b := min(sg, sf), max(sg, sf)
		add(kNamesSorted, a, b)
	} else {
		add(kNamesSorted, sg+sf, p.date)
	}
	if d := p.date; d != "" {
		dm := d[:4] + min(d[4:6], d[6:8]) + max(d[4:6], d[6:8])
		add(kDateFamily, dm, ff)
		add(kDateGiven, dm, fg)
	}
	add(kPostFamily, p.postcode, prefix(p.familyR, 2))
	add(kPostGiven, p.postcode, prefix(p.givenR, 2))
	for _, e := range p.emails {
		add(kEmail, e)
		if l, _, ok := strings.Cut(e, "@"); ok && len(l) >= 3 {
			add(kEmailLocal, l)
		}
	}
	for _, ph := range p.phones {
		if n := len(ph); n >= 9 {
			add(kPhone, ph[n-8:])
			add(kPhoneHead, ph[:n-4], "h")
			add(kPhoneHead, ph[:n-8], ph[n-4:])
		} else {
			add(kPhone, ph)
		}
	}
	if k := addressKey(p.addr); k != "" {
		add(kAddress, k, p.postcode+p.city)
	}
	for _, x := range p.ext {
		add(kExternal, x)
	}
	for i, v := range p.attrs {
		if len(v) >= 4 {
			add(kAttr, string(rune('a'+i)), v)
		}
	}
	return hs
}

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// addressKey is the blocking key of a street address: its numbers and its
// longest other token, or "" without a number.
func addressKey(addr []string) string {
	var nums, word string
	for _, t := range addr {
		if isDigits(t) {
			nums += t + " "
		} else if len(t) > len(word) {
			word = t
		}
	}
	if nums == "" || word == "" {
		return ""
	}
	return nums + word
}

// Find compares records and returns the pairs and clusters of probable
// duplicates. Records are blocked on several keys (names in their Latin
// reading, date, postcode, emails, phones, street address, ids, attribute
// values) so that the work grows about linearly; each candidate pair is
// compared field by field; the Fellegi-Sunter model is estimated from the
// data (u from random pairs and value frequencies, m and the prior by EM
// over the candidate pairs; see the package documentation) unless
// cfg.Iterations < 0; pairs scoring at or above cfg.Threshold are joined
// into clusters, split by cfg.Linkage. Errors: a Threshold outside (0, 1),
// more than 2^32 records or keys, or ctx's error.
func Find(ctx context.Context, recs []Record, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Threshold <= 0 || cfg.Threshold >= 1 {
		return nil, errors.New("dedup: Threshold must be between 0 and 1")
	}
	if len(recs) >= math.MaxUint32 {
		return nil, errors.New("dedup: too many records")
	}
	keys := attrKeysOf(recs)
	model := cfg.Model
	if model == nil {
		model = DefaultModel(keys...)
	} else {
		model = model.forKeys(keys)
	}
	keys = model.AttributeKeys
	nf := len(model.Fields)

	// Prepare records, in parallel, then their blocking keys: counted
	// first so that the key list is allocated once at its exact size (it is
	// the largest structure), then written in place.
	ps := make([]prepared, len(recs))
	keyStart := make([]uint32, len(recs)+1) // record i's keys are refs[keyStart[i]:keyStart[i+1]]
	parallel := func(fn func(w, i int, h *keyHash, hs []uint64) []uint64) {
		var wg sync.WaitGroup
		for w := 0; w < cfg.Workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var h keyHash
				var hs []uint64
				for i := w; i < len(recs); i += cfg.Workers {
					hs = fn(w, i, &h, hs[:0])
				}
			}(w)
		}
		wg.Wait()
	}
	// Each key is held with its record in one word: the key (its hash,
	// its kind in the low four bits) shifted up, the record's index in the
	// low recBits.
	recBits := uint(bits.Len(uint(len(recs))))
	keysOf := func(i int, h *keyHash, hs []uint64) []uint64 {
		hs = blockKeys(&ps[i], hs, h)
		for k, x := range hs {
			hs[k] = x>>(recBits+4)<<4 | x&0xF // room for the record, the kind kept
		}
		slices.Sort(hs)
		return slices.Compact(hs)
	}
	interns := make([]interner, cfg.Workers)
	parallel(func(w, i int, h *keyHash, hs []uint64) []uint64 {
		ps[i] = prepare(&recs[i], keys)
		interns[w].prepared(&ps[i])
		hs = keysOf(i, h, hs)
		keyStart[i+1] = uint32(len(hs))
		return hs
	})
	interns = nil
	runtime.GC() // the preparation's garbage goes before the key index is built
	for i := 1; i < len(keyStart); i++ {
		if uint64(keyStart[i-1])+uint64(keyStart[i]) >= math.MaxUint32 {
			return nil, errors.New("dedup: too many blocking keys")
		}
		keyStart[i] += keyStart[i-1]
	}
	kindOf := func(bk uint64) uint8 { return uint8(bk & 0xF) }
	refs := make([]uint64, keyStart[len(recs)])
	parallel(func(w, i int, h *keyHash, hs []uint64) []uint64 {
		hs = keysOf(i, h, hs)
		at := keyStart[i]
		for k, x := range hs {
			refs[int(at)+k] = x<<recBits | uint64(i)
		}
		return hs
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(refs)
	recOf := func(r uint64) uint32 { return uint32(r & (1<<recBits - 1)) }
	// Blocks: runs of equal key.
	type block struct{ lo, hi uint32 }
	var blocks []block
	oversize := map[uint64]bool{}
	st := Stats{Records: len(recs)}
	for lo := 0; lo < len(refs); {
		hi := lo + 1
		for hi < len(refs) && refs[hi]>>recBits == refs[lo]>>recBits {
			hi++
		}
		if hi-lo >= 2 {
			blocks = append(blocks, block{uint32(lo), uint32(hi)})
			st.Blocks++
			if hi-lo > cfg.MaxBlock {
				oversize[refs[lo]>>recBits] = true
				st.OversizeBlocks++
			}
		}
		lo = hi
	}
	// Record -> its keys (sorted), to emit each pair once: under the
	// smallest shared key that is not oversized.
	flatKeys := make([]uint64, len(refs))
	{
		pos := slices.Clone(keyStart[:len(recs)])
		for _, r := range refs {
			i := recOf(r)
			flatKeys[pos[i]] = r >> recBits
			pos[i]++
		}
	}
	recKeys := func(i uint32) []uint64 { return flatKeys[keyStart[i]:keyStart[i+1]] }
	runtime.GC() // and the index's, before the scan
	// pairsOf calls fn for every candidate pair of block b.
	pairsOf := func(b block, buf []uint32, fn func(kind uint8, i, j uint32)) []uint32 {
		h := refs[b.lo] >> recBits
		kind := kindOf(h)
		if oversize[h] {
			if cfg.Window <= 0 {
				return buf
			}
			buf = buf[:0]
			for k := b.lo; k < b.hi; k++ {
				buf = append(buf, recOf(refs[k]))
			}
			sort.SliceStable(buf, func(x, y int) bool { return sortKeyLess(&ps[buf[x]], &ps[buf[y]]) })
			for x := range buf {
				for y := x + 1; y < len(buf) && y <= x+cfg.Window; y++ {
					i, j := min(buf[x], buf[y]), max(buf[x], buf[y])
					// A pair that shares a block of normal size is
					// compared there.
					if firstShared(recKeys(i), recKeys(j), oversize) == 0 {
						fn(kind, i, j)
					}
				}
			}
			return buf
		}
		for x := b.lo; x < b.hi; x++ {
			for y := x + 1; y < b.hi; y++ {
				i, j := recOf(refs[x]), recOf(refs[y])
				if firstShared(recKeys(i), recKeys(j), oversize) == h {
					fn(kind, i, j)
				}
			}
		}
		return buf
	}
	// forPairs runs fn over all candidate pairs in parallel; each worker
	// gets its own state index.
	forPairs := func(fn func(w int, kind uint8, i, j uint32)) error {
		var wg sync.WaitGroup
		var next int64
		var mu sync.Mutex
		const chunk = 256
		for w := 0; w < cfg.Workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var buf []uint32
				for {
					mu.Lock()
					lo := int(next)
					next += chunk
					mu.Unlock()
					if lo >= len(blocks) || ctx.Err() != nil {
						return
					}
					for _, b := range blocks[lo:min(lo+chunk, len(blocks))] {
						buf = pairsOf(b, buf, func(kind uint8, i, j uint32) { fn(w, kind, i, j) })
					}
				}
			}(w)
		}
		wg.Wait()
		return ctx.Err()
	}

	// Term frequencies, and u from random pairs.
	var sample [][]float64
	if len(recs) >= 2 {
		if !cfg.NoTermFrequency || cfg.Iterations >= 0 {
			model.measureTF(ps)
		}
		if cfg.Iterations >= 0 {
			sample = model.sampleU(ps, cfg)
		}
	}

	// Pass 1: comparison vectors of all candidate pairs, as pattern counts
	// per blocking key kind.
	counts := make([]map[pattern]float64, cfg.Workers)
	lvs := make([][]int8, cfg.Workers)
	for w := range counts {
		counts[w] = map[pattern]float64{}
		lvs[w] = make([]int8, nf)
	}
	if err := forPairs(func(w int, kind uint8, i, j uint32) {
		lv := lvs[w]
		levels(&ps[i], &ps[j], lv)
		counts[w][pattern{kind, pack(lv)}]++

	}); err != nil {
		return nil, err
	}
	for w := 1; w < len(counts); w++ {
		for k, v := range counts[w] {
			counts[0][k] += v
		}
	}
	for _, v := range counts[0] {
		st.Comparisons += int(v)
	}
	if cfg.Iterations > 0 {
		st.Iterations = model.em(counts[0], sample, len(recs), cfg)
	}
	if cfg.NoTermFrequency {
		model.tf = [numTF]tfTable{}
	}

	// Pass 2: score and keep the pairs at or above the threshold.
	minScore := math.Log2(cfg.Threshold / (1 - cfg.Threshold))
	// Only the record indexes of kept pairs are held; their explanations
	// are built once the scan is done.
	type hit struct{ i, j uint32 }
	found := make([][]hit, cfg.Workers)
	if err := forPairs(func(w int, _ uint8, i, j uint32) {
		lv := lvs[w]
		levels(&ps[i], &ps[j], lv)
		if model.score(&ps[i], &ps[j], lv, nil) >= minScore {
			found[w] = append(found[w], hit{i, j})
		}
	}); err != nil {
		return nil, err
	}
	// The key index is done with: its memory goes before the pairs'
	// explanations are built.
	refs, flatKeys, blocks = nil, nil, nil
	runtime.GC()
	var hits []hit
	for w, f := range found {
		hits = append(hits, f...)
		found[w] = nil
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.i != b.i {
			return int(a.i) - int(b.i)
		}
		return int(a.j) - int(b.j)
	})
	hits = slices.Compact(hits)
	pairs := make([]Pair, len(hits))
	lv, ws := lvs[0], make([]float64, nf)
	for k, h := range hits {
		levels(&ps[h.i], &ps[h.j], lv)
		s := model.score(&ps[h.i], &ps[h.j], lv, ws)
		pairs[k] = model.pair(recs, int(h.i), int(h.j), s, lv, ws)
	}
	cs := clusters(recs, pairs)
	if cfg.Linkage != SingleLinkage {
		cs = model.refine(recs, ps, cs, cfg.Threshold)
	}
	return &Result{Pairs: pairs, Clusters: cs, Model: model, Stats: st}, nil
}

// firstShared returns the smallest key a and b share that is not an
// oversized block (0 when none).
func firstShared(a, b []uint64, oversize map[uint64]bool) uint64 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			if !oversize[a[i]] {
				return a[i]
			}
			i++
			j++
		}
	}
	return 0
}

// pack encodes a comparison vector in three bits a field (level+1).
func pack(lv []int8) uint64 {
	var x uint64
	for i := len(lv) - 1; i >= 0; i-- {
		x = x<<3 | uint64(lv[i]+1)
	}
	return x
}

func unpack(x uint64, lv []int8) {
	for i := range lv {
		lv[i] = int8(x&7) - 1
		x >>= 3
	}
}

func (m *Model) pair(recs []Record, i, j int, s float64, lv []int8, w []float64) Pair {
	n := 0
	for _, l := range lv {
		if l >= 0 {
			n++
		}
	}
	p := Pair{A: i, B: j, Probability: Probability(s), Score: s, Fields: make([]FieldScore, 0, n)}
	if recs != nil {
		p.IDA, p.IDB = recs[i].ID, recs[j].ID
	}
	for k, l := range lv {
		if l >= 0 {
			p.Fields = append(p.Fields, FieldScore{Field: m.Fields[k].Name, Level: int(l), Agreement: m.Fields[k].Labels[l], Weight: w[k]})
		}
	}
	return p
}

// forKeys returns a copy of m for the given attribute keys: fields of known
// keys keep their values, new keys get defaults.
func (m *Model) forKeys(keys []string) *Model {
	out := DefaultModel(keys...)
	out.Prior = m.Prior
	for i := 0; i < numFixed && i < len(m.Fields); i++ {
		out.Fields[i] = m.Fields[i].clone()
	}
	for i, k := range out.AttributeKeys {
		for j, mk := range m.AttributeKeys {
			if k == mk && numFixed+j < len(m.Fields) {
				out.Fields[numFixed+i] = m.Fields[numFixed+j].clone()
			}
		}
	}
	return out
}

func (f Field) clone() Field {
	f.M, f.U = slices.Clone(f.M), slices.Clone(f.U)
	return f
}

// maxRefine is the largest cluster that refine splits; larger ones (rare:
// a chain through thousands of records) are kept whole.
const maxRefine = 200

// refine splits each cluster of three or more records by average linkage:
// starting from single records, the two groups whose records match with
// the highest average score (log2 odds, each held within ±30) are joined
// while that average is at or above the threshold's. A chain of pairs (A like B, B like C, A unlike C) thus
// no longer joins people who share nothing.
func (m *Model) refine(recs []Record, ps []prepared, cs []Cluster, threshold float64) []Cluster {
	minScore := math.Log2(threshold / (1 - threshold))
	out := cs[:0:0]
	lv := make([]int8, len(m.Fields))
	for _, c := range cs {
		n := len(c.Members)
		if n <= 2 || n > maxRefine {
			out = append(out, c)
			continue
		}
		score := make([]float64, n*n)
		for x := 0; x < n; x++ {
			for y := x + 1; y < n; y++ {
				a, b := &ps[c.Members[x]], &ps[c.Members[y]]
				levels(a, b, lv)
				s := max(-30, min(30, m.score(a, b, lv, nil)))
				score[x*n+y], score[y*n+x] = s, s
			}
		}
		groups := make([][]int, n)
		for x := range groups {
			groups[x] = []int{x}
		}
		for {
			bi, bj, best := -1, -1, minScore
			for i := range groups {
				for j := i + 1; j < len(groups); j++ {
					sum := 0.0
					for _, x := range groups[i] {
						for _, y := range groups[j] {
							sum += score[x*n+y]
						}
					}
					if avg := sum / float64(len(groups[i])*len(groups[j])); avg >= best {
						bi, bj, best = i, j, avg
					}
				}
			}
			if bi < 0 {
				break
			}
			groups[bi] = append(groups[bi], groups[bj]...)
			groups = append(groups[:bj], groups[bj+1:]...)
		}
		for _, g := range groups {
			if len(g) < 2 {
				continue
			}
			nc := Cluster{}
			for _, x := range g {
				nc.Members = append(nc.Members, c.Members[x])
			}
			slices.Sort(nc.Members)
			for _, i := range nc.Members {
				nc.IDs = append(nc.IDs, recs[i].ID)
			}
			out = append(out, nc)
		}
	}
	slices.SortFunc(out, func(a, b Cluster) int { return a.Members[0] - b.Members[0] })
	return out
}

// clusters returns the connected components of pairs.
func clusters(recs []Record, pairs []Pair) []Cluster {
	parent := map[int]int{}
	var find func(int) int
	find = func(x int) int {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	for _, p := range pairs {
		a, b := find(p.A), find(p.B)
		if a != b {
			parent[max(a, b)] = min(a, b)
		}
		if _, ok := parent[p.A]; !ok {
			parent[p.A] = p.A
		}
		if _, ok := parent[p.B]; !ok {
			parent[p.B] = p.B
		}
	}
	groups := map[int][]int{}
	for x := range parent {
		r := find(x)
		groups[r] = append(groups[r], x)
	}
	out := make([]Cluster, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g)
		c := Cluster{Members: g}
		for _, i := range g {
			c.IDs = append(c.IDs, recs[i].ID)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Cluster) int { return a.Members[0] - b.Members[0] })
	return out
}

// Compare scores records a and b with model m (nil for DefaultModel of
// their attribute keys) and returns the pair with its explanation (A is 0,
// B is 1).
func (m *Model) Compare(a, b Record) Pair {
	recs := []Record{a, b}
	if m == nil {
		m = DefaultModel(attrKeysOf(recs)...)
	}
	pa, pb := prepare(&a, m.AttributeKeys), prepare(&b, m.AttributeKeys)
	lv := make([]int8, len(m.Fields))
	w := make([]float64, len(m.Fields))
	levels(&pa, &pb, lv)
	return m.pair(recs, 0, 1, m.score(&pa, &pb, lv, w), lv, w)
}

// String names the agreeing fields of p, strongest first, e.g.
// "family_name exact (+8.1), date exact (+9.7)".
func (p Pair) String() string {
	fs := slices.Clone(p.Fields)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Weight > fs[j].Weight })
	var b strings.Builder
	for _, f := range fs {
		if f.Level < 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Field + " " + f.Agreement)
		b.WriteString(" (" + signed(f.Weight) + ")")
	}
	return b.String()
}

func signed(x float64) string {
	s := strconvF(x)
	if x >= 0 {
		return "+" + s
	}
	return s
}
