package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/mat"
)

// Defaults of KMeansConfig and KMeansSelectConfig.
const (
	DefaultKMeansInits      = 10   // k-means++ initialisations per fit
	DefaultKMeansMaxIter    = 300  // Lloyd iterations per initialisation
	DefaultKMeansTol        = 1e-4 // relative tolerance on centroid movement
	DefaultKMeansMinK       = 2    // smallest k tried by KMeansSelect
	DefaultKMeansMaxK       = 8    // largest k tried by KMeansSelect
	DefaultSilhouetteSample = 5000 // rows above which the silhouette is sampled
)

// KMeansConfig configures KMeans. Zero fields take their defaults.
type KMeansConfig struct {
	// K is the number of clusters. It must be at least 1 (KMeans panics
	// otherwise); a K larger than the number of rows is an error.
	K int
	// Inits is the number of k-means++ initialisations; the run with the
	// lowest inertia is kept. Default DefaultKMeansInits (10).
	Inits int
	// MaxIter bounds the Lloyd iterations of each initialisation. Default
	// DefaultKMeansMaxIter (300).
	MaxIter int
	// Tol stops an initialisation once the summed squared movement of the
	// centroids in one iteration is at most Tol times the mean of the
	// column variances of the data (scikit-learn's rule). Default
	// DefaultKMeansTol (1e-4); a negative Tol runs until no label changes
	// (or MaxIter). Runs also stop as soon as no label changes.
	Tol float64
	// Src is the source of randomness for seeding. Nil means
	// rand.NewPCG(1, 2), so results are the same on every call. A source
	// passed in is advanced: reusing it gives a different, equally
	// reproducible, sequence of seeds.
	Src rand.Source
	// Workers is the number of goroutines of the assignment and seeding
	// passes. Default runtime.GOMAXPROCS(0). Results do not depend on it:
	// partial sums are formed over fixed blocks of rows and added in order.
	Workers int
}

// KMeansResult is a k-means clustering. Its slices and matrix are reused by
// Fit when large enough.
type KMeansResult struct {
	// Centroids holds one centroid per row (K × columns of the data), in the
	// space of the data given to Fit.
	Centroids *mat.Dense
	// Labels gives the centroid (row of Centroids) nearest to each row of
	// the data; ties go to the lower index.
	Labels []int
	// Sizes counts the rows of each cluster.
	Sizes []int
	// Inertia is the sum over rows of the squared Euclidean distance to
	// their centroid.
	Inertia float64
	// Iterations is the number of Lloyd iterations of the kept
	// initialisation; Converged tells whether it stopped by Tol or because
	// no label changed, rather than by MaxIter.
	Iterations int
	Converged  bool
}

// KMeans clusters the rows of x into cfg.K clusters; it is Fit on a new
// KMeansResult. See Fit for errors and panics.
func KMeans(x mat.Matrix, cfg KMeansConfig) (*KMeansResult, error) {
	r := new(KMeansResult)
	if err := r.Fit(x, cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// Fit clusters the rows of x into cfg.K clusters by Lloyd's algorithm with
// greedy k-means++ seeding (Arthur & Vassilvitskii 2007; 2+⌊ln K⌋ candidate
// centres per step, as scikit-learn), restarted cfg.Inits times, keeping
// the run with the lowest inertia, and stores it in r, reusing r's memory.
//
// A cluster that becomes empty during an iteration is given the row
// farthest from its centroid (among clusters of more than one row), so every
// cluster of the result is non-empty when x has at least K distinct rows.
// After the last iteration the rows are assigned once more to the final
// centroids, so Labels, Sizes and Inertia always agree with Centroids.
//
// x is read in place when it is a *mat.Dense with contiguous rows;
// otherwise it is copied once. Besides r, Fit allocates one float64 per row
// (and one int per row more when Inits > 1).
//
// Fit returns an error matching crmtype.ErrInvalid when x has fewer rows than
// cfg.K or holds a NaN or infinite value; r is then unchanged. It panics if
// cfg.K < 1 or cfg.Inits, cfg.MaxIter or cfg.Workers is negative.
func (r *KMeansResult) Fit(x mat.Matrix, cfg KMeansConfig) error {
	cfg = kmeansDefaults(cfg)
	data, n, d := kmeansFlat(x)
	if err := kmeansValidate(data, n, d, cfg.K); err != nil {
		return err
	}
	rng := rand.New(cfg.Src)
	w := newKMeansWork(data, n, d, cfg.K, cfg.Workers)
	w.fit(r, cfg, rng)
	return nil
}

func kmeansDefaults(cfg KMeansConfig) KMeansConfig {
	if cfg.K < 1 {
		panic(fmt.Sprintf("analysis: k-means K = %d, must be at least 1", cfg.K))
	}
	if cfg.Inits < 0 || cfg.MaxIter < 0 || cfg.Workers < 0 {
		panic("analysis: k-means Inits, MaxIter and Workers must not be negative")
	}
	if cfg.Inits == 0 {
		cfg.Inits = DefaultKMeansInits
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = DefaultKMeansMaxIter
	}
	if cfg.Tol == 0 {
		cfg.Tol = DefaultKMeansTol
	}
	if cfg.Src == nil {
		cfg.Src = rand.NewPCG(1, 2)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	return cfg
}

// kmeansFlat returns the row-major data of x, without copying when x is a
// *mat.Dense whose rows are contiguous.
func kmeansFlat(x mat.Matrix) ([]float64, int, int) {
	n, d := x.Dims()
	if xd, ok := x.(*mat.Dense); ok {
		raw := xd.RawMatrix()
		if raw.Stride == d || n == 1 {
			return raw.Data[:n*d], n, d
		}
	}
	data := make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			data[i*d+j] = x.At(i, j)
		}
	}
	return data, n, d
}

func kmeansValidate(data []float64, n, d, k int) error {
	if n == 0 || d == 0 {
		return crmtype.Invalid("x", "has no rows")
	}
	if n < k {
		return crmtype.Invalidf("x", "has %d rows, fewer than the %d clusters asked for", n, k)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			what := "is NaN"
			if math.IsInf(v, 0) {
				what = "is infinite"
			}
			return crmtype.Invalidf(fmt.Sprintf("x[%d,%d]", i/d, i%d), "%s", what)
		}
	}
	return nil
}

// kmeansBlock is the number of rows per block of the parallel passes. Blocks,
// not workers, fix the order of floating-point sums.
const kmeansBlock = 8192

// kmeansWork holds the data and scratch memory of a k-means fit.
type kmeansWork struct {
	x       []float64 // n × d, row-major
	n, d, k int
	workers int
	blocks  int

	centers []float64 // k × d
	next    []float64 // k × d, the centroids being formed
	labels  []int     // n
	dist    []float64 // n: squared distance to the nearest chosen centre (seeding), or to the own centroid (relocation)

	blkSums   []float64 // blocks × k × d
	blkCounts []int     // blocks × k
	blkInert  []float64 // blocks
	blkChange []int     // blocks
	blkCand   []float64 // blocks × candidates, seeding potentials
}

func newKMeansWork(x []float64, n, d, k, workers int) *kmeansWork {
	blocks := (n + kmeansBlock - 1) / kmeansBlock
	if workers > blocks {
		workers = blocks
	}
	return &kmeansWork{
		x: x, n: n, d: d, k: k, workers: workers, blocks: blocks,
		centers:   make([]float64, k*d),
		next:      make([]float64, k*d),
		dist:      make([]float64, n),
		blkSums:   make([]float64, blocks*k*d),
		blkCounts: make([]int, blocks*k),
		blkInert:  make([]float64, blocks),
		blkChange: make([]int, blocks),
		blkCand:   make([]float64, blocks*kmeansCandidates(k)),
	}
}

func kmeansCandidates(k int) int { return 2 + int(math.Log(float64(k))) }

// parallel runs f on every block, spread over the workers.
func (w *kmeansWork) parallel(f func(b, lo, hi int)) {
	run := func(b int) {
		lo := b * kmeansBlock
		f(b, lo, min(lo+kmeansBlock, w.n))
	}
	if w.workers <= 1 {
		for b := range w.blocks {
			run(b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w.workers {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= w.blocks {
					return
				}
				run(b)
			}
		})
	}
	wg.Wait()
}

// fit runs cfg.Inits initialisations and stores the best in r.
func (w *kmeansWork) fit(r *KMeansResult, cfg KMeansConfig, rng *rand.Rand) {
	n, d, k := w.n, w.d, w.k
	tolAbs := 0.0
	if cfg.Tol > 0 {
		tolAbs = cfg.Tol * kmeansMeanVariance(w.x, n, d)
	}
	r.Labels = kmeansResizeInts(r.Labels, n)
	r.Sizes = kmeansResizeInts(r.Sizes, k)
	if r.Centroids == nil {
		r.Centroids = new(mat.Dense)
	}
	r.Centroids.Reset()
	r.Centroids.ReuseAs(k, d)
	best := r.Centroids.RawMatrix().Data

	w.labels = r.Labels
	var spare []int
	if cfg.Inits > 1 {
		spare = make([]int, n)
	}
	bestInertia := math.Inf(1)
	for init := range cfg.Inits {
		if init > 0 {
			// Run into the spare buffer; keep r.Labels holding the best.
			w.labels = spare
		}
		w.seed(rng)
		inertia, iters, converged := w.lloyd(cfg.MaxIter, tolAbs)
		if inertia < bestInertia {
			bestInertia = inertia
			copy(best, w.centers)
			r.Inertia, r.Iterations, r.Converged = inertia, iters, converged
			if init > 0 {
				r.Labels, spare = w.labels, r.Labels
			}
		}
	}
	clear(r.Sizes)
	for _, l := range r.Labels {
		r.Sizes[l]++
	}
	w.labels = nil
}

// seed chooses w.centers by greedy k-means++.
func (w *kmeansWork) seed(rng *rand.Rand) {
	n, d, k := w.n, w.d, w.k
	x := w.x
	first := rng.IntN(n)
	copy(w.centers[:d], x[first*d:first*d+d])
	// Squared distance of every row to the first centre.
	w.parallel(func(b, lo, hi int) {
		c := w.centers[:d]
		dist := w.dist[lo:hi]
		var s float64
		for i := range dist {
			v := kmeansSqDist(x[(lo+i)*d:(lo+i)*d+d], c)
			dist[i] = v
			s += v
		}
		w.blkInert[b] = s
	})
	pot := kmeansSum(w.blkInert)
	nc := kmeansCandidates(k)
	cand := make([]int, nc)
	u := make([]float64, nc)
	for c := 1; c < k; c++ {
		// Draw nc rows with probability proportional to dist, by one
		// scan of the running sum over sorted uniform draws.
		if pot > 0 {
			for t := range u {
				u[t] = rng.Float64() * pot
			}
			slices.Sort(u)
			t, cum, last := 0, 0.0, 0
			for i, v := range w.dist {
				if v == 0 {
					continue
				}
				cum += v
				last = i
				for t < nc && u[t] < cum {
					cand[t] = i
					t++
				}
				if t == nc {
					break
				}
			}
			for ; t < nc; t++ { // rounding left some draws beyond the sum
				cand[t] = last
			}
		} else {
			// Every row coincides with a chosen centre.
			for t := range cand {
				cand[t] = rng.IntN(n)
			}
		}
		// Potential after adding each candidate, in one pass.
		w.parallel(func(b, lo, hi int) {
			part := w.blkCand[b*nc : b*nc+nc]
			clear(part)
			for i := lo; i < hi; i++ {
				p := x[i*d : i*d+d]
				di := w.dist[i]
				for t, ci := range cand {
					part[t] += min(di, kmeansSqDist(p, x[ci*d:ci*d+d]))
				}
			}
		})
		bestT, bestPot := 0, math.Inf(1)
		for t := range cand {
			var s float64
			for b := range w.blocks {
				s += w.blkCand[b*nc+t]
			}
			if s < bestPot {
				bestT, bestPot = t, s
			}
		}
		ci := cand[bestT]
		copy(w.centers[c*d:c*d+d], x[ci*d:ci*d+d])
		w.parallel(func(b, lo, hi int) {
			cp := w.centers[c*d : c*d+d]
			dist := w.dist[lo:hi]
			var s float64
			for i := range dist {
				v := min(dist[i], kmeansSqDist(x[(lo+i)*d:(lo+i)*d+d], cp))
				dist[i] = v
				s += v
			}
			w.blkInert[b] = s
		})
		pot = kmeansSum(w.blkInert)
	}
}

// lloyd iterates from w.centers and returns the inertia of the final
// assignment, the number of iterations and whether they converged.
func (w *kmeansWork) lloyd(maxIter int, tolAbs float64) (inertia float64, iters int, converged bool) {
	for i := range w.labels {
		w.labels[i] = -1
	}
	strict := false
	for iters < maxIter {
		iters++
		changed := w.assign(true)
		changed += w.update()
		w.centers, w.next = w.next, w.centers
		if changed == 0 {
			strict, converged = true, true
			break
		}
		var shift float64
		for j, v := range w.centers {
			dv := v - w.next[j]
			shift += dv * dv
		}
		if shift <= tolAbs {
			converged = true
			break
		}
	}
	// When no label changed, the centroids just formed equal the ones the
	// rows were assigned to and the inertia stands; otherwise assign once
	// more so that labels and inertia agree with the final centroids.
	if !strict {
		w.assign(false)
	}
	return kmeansSum(w.blkInert), iters, converged
}

// assign labels every row with its nearest centroid and records per block
// the inertia, the number of changed labels and, when sum is true, the
// per-cluster sums and counts. It returns the number of changed labels.
func (w *kmeansWork) assign(sum bool) int {
	d, k := w.d, w.k
	w.parallel(func(b, lo, hi int) {
		var counts []int
		var sums []float64
		if sum {
			counts = w.blkCounts[b*k : b*k+k]
			sums = w.blkSums[b*k*d : (b+1)*k*d]
			clear(counts)
			clear(sums)
		}
		var inertia float64
		var changed int
		if d == 3 {
			inertia, changed = kmeansAssign3(w.x[lo*3:hi*3], w.centers, w.labels[lo:hi], sums, counts)
		} else {
			inertia, changed = kmeansAssignD(w.x[lo*d:hi*d], d, w.centers, w.labels[lo:hi], sums, counts)
		}
		w.blkInert[b] = inertia
		w.blkChange[b] = changed
	})
	changed := 0
	for _, c := range w.blkChange {
		changed += c
	}
	return changed
}

// kmeansAssignD is the assignment step for any number of columns d.
func kmeansAssignD(x []float64, d int, centers []float64, labels []int, sums []float64, counts []int) (inertia float64, changed int) {
	k := len(centers) / d
	for i := range labels {
		p := x[i*d : i*d+d]
		best, bestD := 0, math.Inf(1)
		for j := range k {
			if s := kmeansSqDist(p, centers[j*d:j*d+d]); s < bestD {
				best, bestD = j, s
			}
		}
		if labels[i] != best {
			labels[i] = best
			changed++
		}
		inertia += bestD
		if counts != nil {
			counts[best]++
			s := sums[best*d : best*d+d]
			for t, v := range p {
				s[t] += v
			}
		}
	}
	return inertia, changed
}

// kmeansAssign3 is kmeansAssignD unrolled for three columns, the RFM case.
// It compares squared distances by their IEEE bits, which order non-negative
// floats as integers do, so the running minimum compiles to conditional
// moves instead of hard-to-predict branches.
func kmeansAssign3(x []float64, centers []float64, labels []int, sums []float64, counts []int) (inertia float64, changed int) {
	var cs [kmeansAssign3Max][3]float64
	k := len(centers) / 3
	if k == 0 || k > kmeansAssign3Max {
		return kmeansAssignD(x, 3, centers, labels, sums, counts)
	}
	for j := range k {
		cs[j] = [3]float64{centers[3*j], centers[3*j+1], centers[3*j+2]}
	}
	c := cs[:k]
	x = x[:len(labels)*3]
	for i := range labels {
		p0, p1, p2 := x[i*3], x[i*3+1], x[i*3+2]
		d0, d1, d2 := p0-c[0][0], p1-c[0][1], p2-c[0][2]
		best, bestBits := 0, int64(math.Float64bits(d0*d0+d1*d1+d2*d2))
		for j := 1; j < len(c); j++ {
			d0, d1, d2 := p0-c[j][0], p1-c[j][1], p2-c[j][2]
			b := int64(math.Float64bits(d0*d0 + d1*d1 + d2*d2))
			// Both are in [0, 2⁶³), so b − bestBits cannot overflow and
			// its sign bit says b < bestBits.
			lt := (b - bestBits) >> 63
			bestBits ^= (bestBits ^ b) & lt
			best ^= (best ^ j) & int(lt)
		}
		if labels[i] != best {
			labels[i] = best
			changed++
		}
		inertia += math.Float64frombits(uint64(bestBits))
		if counts != nil {
			counts[best]++
			s := sums[best*3 : best*3+3 : best*3+3]
			s[0] += p0
			s[1] += p1
			s[2] += p2
		}
	}
	return inertia, changed
}

// kmeansAssign3Max is the largest k that kmeansAssign3 handles itself.
const kmeansAssign3Max = 64

// update forms w.next from the block sums, relocating empty clusters. It
// returns the number of rows relocated.
func (w *kmeansWork) update() int {
	d, k := w.d, w.k
	next := w.next
	clear(next)
	counts := make([]int, k) // k ints per iteration; negligible
	for b := range w.blocks {
		bs := w.blkSums[b*k*d : (b+1)*k*d]
		for j, v := range bs {
			next[j] += v
		}
		for j, c := range w.blkCounts[b*k : b*k+k] {
			counts[j] += c
		}
	}
	moved := 0
	for j := range k {
		if counts[j] == 0 {
			moved += w.relocate(j, counts)
		}
	}
	for j := range k {
		if counts[j] > 0 {
			inv := 1 / float64(counts[j])
			for t := range d {
				next[j*d+t] *= inv
			}
		}
	}
	return moved
}

// relocate gives the empty cluster e the row farthest from its current
// centroid among clusters of more than one row, moving that row's
// contribution in next (still holding sums) and counts. It returns 1, or 0
// when no row can move.
func (w *kmeansWork) relocate(e int, counts []int) int {
	d := w.d
	far, farD := -1, -1.0
	for i, l := range w.labels {
		if l < 0 || counts[l] <= 1 {
			continue
		}
		if v := kmeansSqDist(w.x[i*d:i*d+d], w.centers[l*d:l*d+d]); v > farD {
			far, farD = i, v
		}
	}
	if far < 0 {
		return 0
	}
	old := w.labels[far]
	p := w.x[far*d : far*d+d]
	for t, v := range p {
		w.next[old*d+t] -= v
		w.next[e*d+t] = v
	}
	counts[old]--
	counts[e] = 1
	w.labels[far] = e
	return 1
}

func kmeansSqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}

func kmeansSum(s []float64) float64 {
	var t float64
	for _, v := range s {
		t += v
	}
	return t
}

// kmeansMeanVariance returns the mean over columns of the population
// variance of each column.
func kmeansMeanVariance(x []float64, n, d int) float64 {
	mean := make([]float64, d)
	for i := range n {
		for j, v := range x[i*d : i*d+d] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	var ss float64
	for i := range n {
		for j, v := range x[i*d : i*d+d] {
			t := v - mean[j]
			ss += t * t
		}
	}
	return ss / float64(n) / float64(d)
}

func kmeansResizeInts(s []int, n int) []int {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]int, n)
}

// Silhouette returns the mean silhouette coefficient of the clustering of
// the rows of x given by labels (Rousseeuw 1987), with Euclidean distances:
// for each row, s = (b − a) / max(a, b), where a is its mean distance to the
// other rows of its cluster and b the smallest mean distance to the rows of
// another cluster; a row alone in its cluster has s = 0. It is exact and
// takes time proportional to n²; see SilhouetteSample for large data.
//
// Labels are cluster numbers 0, 1, 2, …; they need not all be used.
// Silhouette returns an error matching crmtype.ErrInvalid when x holds a NaN
// or infinite value, or when labels use fewer than 2 clusters or as many
// clusters as rows. It panics if len(labels) differs from the rows of x or a
// label is negative.
func Silhouette(x mat.Matrix, labels []int) (float64, error) {
	data, n, d := kmeansFlat(x)
	if len(labels) != n {
		panic("analysis: Silhouette: len(labels) != rows of x")
	}
	if err := kmeansValidate(data, n, d, 1); err != nil {
		return 0, err
	}
	return kmeansSilhouette(data, n, d, labels, runtime.GOMAXPROCS(0))
}

// SilhouetteSample returns the mean silhouette coefficient of a uniform
// sample of size rows of x, drawn without replacement from src, computed
// among the sampled rows only (as scikit-learn's silhouette_score with
// sample_size). When size ≤ 0 or size ≥ the number of rows it is Silhouette.
// A nil src means rand.NewPCG(1, 2). Errors and panics are those of
// Silhouette, judged on the sample.
func SilhouetteSample(x mat.Matrix, labels []int, size int, src rand.Source) (float64, error) {
	data, n, d := kmeansFlat(x)
	if len(labels) != n {
		panic("analysis: SilhouetteSample: len(labels) != rows of x")
	}
	if err := kmeansValidate(data, n, d, 1); err != nil {
		return 0, err
	}
	if size <= 0 || size >= n {
		return kmeansSilhouette(data, n, d, labels, runtime.GOMAXPROCS(0))
	}
	if src == nil {
		src = rand.NewPCG(1, 2)
	}
	idx := kmeansSample(rand.New(src), n, size)
	sx, sl := kmeansGather(data, d, labels, idx)
	return kmeansSilhouette(sx, size, d, sl, runtime.GOMAXPROCS(0))
}

// kmeansSample returns m distinct indices below n in increasing order,
// chosen uniformly by Floyd's algorithm.
func kmeansSample(rng *rand.Rand, n, m int) []int {
	seen := make(map[int]struct{}, m)
	idx := make([]int, 0, m)
	for j := n - m; j < n; j++ {
		t := rng.IntN(j + 1)
		if _, ok := seen[t]; ok {
			t = j
		}
		seen[t] = struct{}{}
		idx = append(idx, t)
	}
	slices.Sort(idx)
	return idx
}

func kmeansGather(data []float64, d int, labels, idx []int) ([]float64, []int) {
	sx := make([]float64, len(idx)*d)
	sl := make([]int, len(idx))
	for i, r := range idx {
		copy(sx[i*d:i*d+d], data[r*d:r*d+d])
		sl[i] = labels[r]
	}
	return sx, sl
}

func kmeansSilhouette(x []float64, n, d int, labels []int, workers int) (float64, error) {
	k := 0
	for _, l := range labels {
		if l < 0 {
			panic("analysis: silhouette: negative label")
		}
		k = max(k, l+1)
	}
	counts := make([]int, k)
	for _, l := range labels {
		counts[l]++
	}
	used := 0
	for _, c := range counts {
		if c > 0 {
			used++
		}
	}
	if used < 2 || used >= n {
		return 0, crmtype.Invalidf("labels", "use %d clusters for %d rows; the silhouette needs at least 2 and fewer than the rows", used, n)
	}
	const block = 256
	blocks := (n + block - 1) / block
	part := make([]float64, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), blocks) {
		wg.Go(func() {
			sums := make([]float64, k)
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				var s float64
				for i := b * block; i < min(n, (b+1)*block); i++ {
					s += kmeansSilhouetteRow(x, d, labels, counts, sums, i)
				}
				part[b] = s
			}
		})
	}
	wg.Wait()
	return kmeansSum(part) / float64(n), nil
}

// kmeansSilhouetteRow returns the silhouette of row i, using sums (len k) as
// scratch.
func kmeansSilhouetteRow(x []float64, d int, labels, counts []int, sums []float64, i int) float64 {
	own := labels[i]
	if counts[own] == 1 {
		return 0
	}
	clear(sums)
	p := x[i*d : i*d+d]
	for j, l := range labels {
		sums[l] += math.Sqrt(kmeansSqDist(p, x[j*d:j*d+d]))
	}
	a := sums[own] / float64(counts[own]-1)
	b := math.Inf(1)
	for c, s := range sums {
		if c != own && counts[c] > 0 {
			b = min(b, s/float64(counts[c]))
		}
	}
	if m := max(a, b); m > 0 {
		return (b - a) / m
	}
	return 0
}

// KMeansSelectConfig configures KMeansSelect. Zero fields take their
// defaults.
type KMeansSelectConfig struct {
	// MinK and MaxK bound the numbers of clusters tried. Defaults
	// DefaultKMeansMinK (2) and DefaultKMeansMaxK (8). Values of k of n or
	// more, for n rows, are skipped (the silhouette needs k < n).
	MinK, MaxK int
	// KMeans configures each fit; its K is ignored. Its Src also draws the
	// silhouette sample, once, before the fits: all k are judged on the
	// same rows.
	KMeans KMeansConfig
	// SilhouetteSample is the number of rows on which the silhouette is
	// computed; with n rows or fewer it is exact. Default
	// DefaultSilhouetteSample (5000).
	SilhouetteSample int
	// Scaler, if not nil, is fitted on x, and the clustering runs on the
	// transformed rows; Centroids of the selection are mapped back through
	// its Inverse.
	Scaler Scaler
}

// KMeansSelection is the outcome of KMeansSelect.
type KMeansSelection struct {
	// K is the number of clusters with the highest silhouette (the
	// smallest such k on a tie).
	K int
	// Result is the clustering for K, in the transformed space when a
	// Scaler was given.
	Result *KMeansResult
	// Centroids are Result.Centroids in the original units of x: the
	// Scaler's inverse of each centroid. (Through log1p this is not the
	// arithmetic mean of the cluster's rows in original units; average the
	// rows of x by Result.Labels for that.)
	Centroids *mat.Dense
	// Curve has one point per k tried, in increasing k: the elbow curve of
	// inertia (in the transformed space) and the silhouette.
	Curve []KMeansCurvePoint
}

// KMeansCurvePoint is the quality of the best clustering found for one k.
type KMeansCurvePoint struct {
	K          int
	Inertia    float64
	Silhouette float64
}

// KMeansSelect fits k-means for every k from MinK to MaxK and chooses the k
// with the highest mean silhouette, exact when x has at most
// SilhouetteSample rows and otherwise computed on a seeded sample of that
// many rows. It returns the errors of the Scaler's Fit and of KMeans, and an
// error matching crmtype.ErrInvalid when no k in range is below the number
// of rows. It panics if MinK > MaxK after defaults, MinK < 2, or for the
// panics of KMeans.
func KMeansSelect(x mat.Matrix, cfg KMeansSelectConfig) (*KMeansSelection, error) {
	if cfg.MinK == 0 {
		cfg.MinK = DefaultKMeansMinK
	}
	if cfg.MaxK == 0 {
		cfg.MaxK = DefaultKMeansMaxK
	}
	if cfg.MinK < 2 || cfg.MinK > cfg.MaxK {
		panic(fmt.Sprintf("analysis: KMeansSelect: need 2 ≤ MinK ≤ MaxK, have MinK = %d, MaxK = %d", cfg.MinK, cfg.MaxK))
	}
	if cfg.SilhouetteSample <= 0 {
		cfg.SilhouetteSample = DefaultSilhouetteSample
	}
	kc := cfg.KMeans
	kc.K = cfg.MinK
	kc = kmeansDefaults(kc)

	var space mat.Matrix = x
	if cfg.Scaler != nil {
		if err := cfg.Scaler.Fit(x); err != nil {
			return nil, err
		}
		var t mat.Dense
		cfg.Scaler.Transform(&t, x)
		space = &t
	}
	data, n, d := kmeansFlat(space)
	if err := kmeansValidate(data, n, d, 1); err != nil {
		return nil, err
	}
	maxK := min(cfg.MaxK, n-1)
	if cfg.MinK > maxK {
		return nil, crmtype.Invalidf("x", "has %d rows; k from %d to %d needs more", n, cfg.MinK, cfg.MaxK)
	}
	rng := rand.New(kc.Src)
	var sx []float64
	var idx []int
	sn := n
	if n > cfg.SilhouetteSample {
		sn = cfg.SilhouetteSample
		idx = kmeansSample(rng, n, sn)
		sx = make([]float64, sn*d)
		for i, r := range idx {
			copy(sx[i*d:i*d+d], data[r*d:r*d+d])
		}
	}
	sl := make([]int, sn)

	sel := &KMeansSelection{}
	var cur, best *KMeansResult
	bestSil := math.Inf(-1)
	for k := cfg.MinK; k <= maxK; k++ {
		if cur == nil {
			cur = new(KMeansResult)
		}
		kc.K = k
		w := newKMeansWork(data, n, d, k, kc.Workers)
		w.fit(cur, kc, rng)
		var sil float64
		var err error
		if idx == nil {
			sil, err = kmeansSilhouette(data, n, d, cur.Labels, kc.Workers)
		} else {
			for i, r := range idx {
				sl[i] = cur.Labels[r]
			}
			sil, err = kmeansSilhouette(sx, sn, d, sl, kc.Workers)
		}
		if err != nil {
			// Fewer than two clusters in the sample: the worst score.
			sil = -1
		}
		sel.Curve = append(sel.Curve, KMeansCurvePoint{K: k, Inertia: cur.Inertia, Silhouette: sil})
		if sil > bestSil {
			bestSil = sil
			sel.K = k
			best, cur = cur, best // keep best; reuse the previous best's memory next
		}
	}
	sel.Result = best
	if cfg.Scaler != nil {
		sel.Centroids = new(mat.Dense)
		cfg.Scaler.Inverse(sel.Centroids, best.Centroids)
	} else {
		sel.Centroids = mat.DenseCopyOf(best.Centroids)
	}
	return sel, nil
}
