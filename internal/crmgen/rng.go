package crmgen

import (
	"math"
	"math/bits"
	"sort"
)

// rng is a splitmix64 generator. The package keeps its own generator (and
// its own IntN, Float64 and Shuffle) so that a seed gives the same list on
// every Go release.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n); n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.u64(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// digits returns n random decimal digits.
func (r *rng) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.intn(10))
	}
	return string(b)
}

// digitFrom returns one digit drawn from the set s (e.g. "2345678").
func (r *rng) digitFrom(s string) byte { return s[r.intn(len(s))] }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted draws indexes in proportion to their weights.
type weighted struct{ cum []float64 }

func newWeighted(w []float64) weighted {
	cum := make([]float64, len(w))
	t := 0.0
	for i, x := range w {
		t += x
		cum[i] = t
	}
	return weighted{cum}
}

func (w weighted) pick(r *rng) int {
	x := r.float() * w.cum[len(w.cum)-1]
	return sort.SearchFloat64s(w.cum, x)
}

// zipf returns n weights 1/(rank+k)^s, the usual shape of name frequencies.
func zipf(n int, k, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i)+k, s)
	}
	return w
}
