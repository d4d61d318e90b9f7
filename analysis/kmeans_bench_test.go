package analysis

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The k-means benchmark: 1,000,000 × 3 standardised points, k = 8, one
// initialisation, beside a textbook single-threaded Lloyd (Forgy start,
// the same stopping rule) on the same data, so speed and inertia can be
// compared in one run:
//
//	go test ./analysis/ -run '^$' -bench KMeans -benchmem -benchtime 3x
//
// Two data sets: "normal" is structureless N(0, I), where Lloyd converges
// slowly; "blobs" is eight overlapping anisotropic blobs, z-scored. Run i
// (from 1) of either side uses seed i, and the metrics are means over the
// runs: one seed alone is a coin toss between nearby local optima.

const (
	kmeansBenchN = 1_000_000
	kmeansBenchK = 8
)

var kmeansBenchData = sync.OnceValue(func() map[string]*mat.Dense {
	rng := rand.New(rand.NewPCG(2024, 6))
	normal := mat.NewDense(kmeansBenchN, 3, nil)
	for i, raw := 0, normal.RawMatrix().Data; i < len(raw); i++ {
		raw[i] = rng.NormFloat64()
	}
	blobs := mat.NewDense(kmeansBenchN, 3, nil)
	var centres, spread [kmeansBenchK][3]float64
	for c := range centres {
		for j := range 3 {
			centres[c][j] = 8 * rng.Float64()
			spread[c][j] = 0.3 + rng.Float64()
		}
	}
	for i := range kmeansBenchN {
		c := rng.IntN(kmeansBenchK)
		for j := range 3 {
			blobs.Set(i, j, centres[c][j]+spread[c][j]*rng.NormFloat64())
		}
	}
	var z ZScoreScaler
	if err := z.Fit(blobs); err != nil {
		panic(err)
	}
	z.Transform(blobs, blobs)
	return map[string]*mat.Dense{"normal": normal, "blobs": blobs}
})

func BenchmarkKMeans(b *testing.B) {
	for _, name := range []string{"normal", "blobs"} {
		x := kmeansBenchData()[name]
		b.Run(name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			var inertia, iters float64
			seed := uint64(0)
			for b.Loop() {
				seed++
				res, err := KMeans(x, KMeansConfig{K: kmeansBenchK, Inits: 1, Src: rand.NewPCG(seed, 1)})
				if err != nil {
					b.Fatal(err)
				}
				inertia += res.Inertia
				iters += float64(res.Iterations)
			}
			b.ReportMetric(inertia/float64(seed), "inertia")
			b.ReportMetric(iters/float64(seed), "iters")
		})
		b.Run(name+"/baseline", func(b *testing.B) {
			b.ReportAllocs()
			var inertia, iters float64
			seed := uint64(0)
			for b.Loop() {
				seed++
				in, it := kmeansBenchTextbook(x, kmeansBenchK, DefaultKMeansMaxIter, DefaultKMeansTol, rand.New(rand.NewPCG(seed, 1)))
				inertia += in
				iters += float64(it)
			}
			b.ReportMetric(inertia/float64(seed), "inertia")
			b.ReportMetric(iters/float64(seed), "iters")
		})
	}
}

// kmeansBenchTextbook is Lloyd's algorithm as a textbook gives it: k distinct
// random rows as starting centroids, then assign every row to its nearest
// centroid and move each centroid to the mean of its rows, until no label
// changes or the centroids move (summed squared) by at most tol times the
// mean column variance, or maxIter. It returns the inertia of the final
// centroids and the number of iterations.
func kmeansBenchTextbook(x *mat.Dense, k, maxIter int, tol float64, rng *rand.Rand) (float64, int) {
	n, d := x.Dims()
	data := x.RawMatrix().Data
	centres := make([][]float64, k)
	for c, i := range rng.Perm(n)[:k] {
		centres[c] = append([]float64(nil), data[i*d:i*d+d]...)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = -1
	}
	nearest := func(p []float64) (int, float64) {
		best, bestD := 0, math.Inf(1)
		for c, ctr := range centres {
			var s float64
			for j := range p {
				t := p[j] - ctr[j]
				s += t * t
			}
			if s < bestD {
				best, bestD = c, s
			}
		}
		return best, bestD
	}
	tolAbs := tol * kmeansBenchMeanVar(data, n, d)
	iters := 0
	for iters < maxIter {
		iters++
		changed := false
		sums := make([][]float64, k)
		for c := range sums {
			sums[c] = make([]float64, d)
		}
		counts := make([]int, k)
		for i := range n {
			p := data[i*d : i*d+d]
			c, _ := nearest(p)
			if c != labels[i] {
				labels[i], changed = c, true
			}
			counts[c]++
			for j := range p {
				sums[c][j] += p[j]
			}
		}
		var shift float64
		for c := range centres {
			if counts[c] == 0 {
				continue // an empty cluster keeps its centroid
			}
			for j := range d {
				m := sums[c][j] / float64(counts[c])
				shift += (m - centres[c][j]) * (m - centres[c][j])
				centres[c][j] = m
			}
		}
		if !changed || shift <= tolAbs {
			break
		}
	}
	var inertia float64
	for i := range n {
		_, dd := nearest(data[i*d : i*d+d])
		inertia += dd
	}
	return inertia, iters
}

func kmeansBenchMeanVar(data []float64, n, d int) float64 {
	var total float64
	for j := range d {
		var s, ss float64
		for i := range n {
			s += data[i*d+j]
		}
		m := s / float64(n)
		for i := range n {
			ss += (data[i*d+j] - m) * (data[i*d+j] - m)
		}
		total += ss / float64(n)
	}
	return total / float64(d)
}
