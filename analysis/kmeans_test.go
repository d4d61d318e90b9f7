package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kehu/crm/crmtype"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// kmeansTestBlobs draws per points around each centre with the given
// standard deviation, in order, and returns them with their true cluster.
func kmeansTestBlobs(seed uint64, centres [][]float64, per int, std float64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	d := len(centres[0])
	x := mat.NewDense(len(centres)*per, d, nil)
	truth := make([]int, 0, len(centres)*per)
	for c, ctr := range centres {
		for i := range per {
			for j := range d {
				x.Set(c*per+i, j, ctr[j]+std*rng.NormFloat64())
			}
			truth = append(truth, c)
		}
	}
	return x, truth
}

// kmeansTestSamePartition reports whether labels and truth define the same
// partition, i.e. are equal up to renaming the clusters.
func kmeansTestSamePartition(t *testing.T, truth, labels []int) {
	t.Helper()
	require.Len(t, labels, len(truth))
	fwd, back := map[int]int{}, map[int]int{}
	for i := range truth {
		if l, ok := fwd[truth[i]]; ok {
			require.Equal(t, l, labels[i], "row %d split from its true cluster", i)
		} else {
			fwd[truth[i]] = labels[i]
		}
		if c, ok := back[labels[i]]; ok {
			require.Equal(t, c, truth[i], "row %d merged into another cluster", i)
		} else {
			back[labels[i]] = truth[i]
		}
	}
}

var kmeansTestCentres = [][]float64{{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {0, 0, 10}, {10, 10, 10}}

func TestKMeansRecoversBlobs(t *testing.T) {
	x, truth := kmeansTestBlobs(1, kmeansTestCentres, 60, 0.8)
	res, err := KMeans(x, KMeansConfig{K: 5, Src: rand.NewPCG(3, 4)})
	require.NoError(t, err)
	kmeansTestSamePartition(t, truth, res.Labels)
	require.Equal(t, []int{60, 60, 60, 60, 60}, res.Sizes)
	require.True(t, res.Converged)
	// Each centroid is its blob's mean, near the true centre.
	for c, ctr := range kmeansTestCentres {
		l := res.Labels[c*60]
		for j, v := range ctr {
			require.InDelta(t, v, res.Centroids.At(l, j), 0.3)
		}
	}
	// Inertia is the sum of squared distances to the centroids.
	var inertia float64
	for i, l := range res.Labels {
		for j := range 3 {
			d := x.At(i, j) - res.Centroids.At(l, j)
			inertia += d * d
		}
	}
	require.InDelta(t, inertia, res.Inertia, 1e-9*inertia)
	// Roughly 3 dimensions × 300 points × 0.8² of within-cluster spread.
	require.InDelta(t, 3*300*0.64, res.Inertia, 0.15*3*300*0.64)
}

func TestKMeansInertiaNonIncreasing(t *testing.T) {
	// Structureless data converges slowly: many iterations to watch.
	rng := rand.New(rand.NewPCG(5, 5))
	x := mat.NewDense(3000, 2, nil)
	for i := range 3000 {
		x.Set(i, 0, rng.NormFloat64())
		x.Set(i, 1, rng.NormFloat64())
	}
	prev := math.Inf(1)
	iters := 0
	for maxIter := 1; maxIter <= 60; maxIter++ {
		res, err := KMeans(x, KMeansConfig{K: 6, Inits: 1, MaxIter: maxIter, Tol: -1, Src: rand.NewPCG(11, 12)})
		require.NoError(t, err)
		require.LessOrEqual(t, res.Inertia, prev*(1+1e-12), "after %d iterations", maxIter)
		prev = res.Inertia
		iters = res.Iterations
	}
	require.Greater(t, iters, 10, "the test should watch a slow convergence")
}

func TestKMeansReproducible(t *testing.T) {
	x, _ := kmeansTestBlobs(2, kmeansTestCentres, 4000, 3) // overlapping: a real search
	run := func(workers int, seed uint64) *KMeansResult {
		res, err := KMeans(x, KMeansConfig{K: 5, Inits: 3, Src: rand.NewPCG(seed, 1), Workers: workers})
		require.NoError(t, err)
		return res
	}
	a := run(1, 42)
	for _, w := range []int{1, 2, 3, 8} {
		b := run(w, 42)
		require.Equal(t, a.Labels, b.Labels, "workers %d", w)
		require.Equal(t, a.Centroids.RawMatrix().Data, b.Centroids.RawMatrix().Data, "bit-identical centroids, workers %d", w)
		require.Equal(t, a.Inertia, b.Inertia)
		require.Equal(t, a.Iterations, b.Iterations)
	}
	// A nil Src is a fixed seed.
	c1, err := KMeans(x, KMeansConfig{K: 5, Inits: 2})
	require.NoError(t, err)
	c2, err := KMeans(x, KMeansConfig{K: 5, Inits: 2})
	require.NoError(t, err)
	require.Equal(t, c1.Labels, c2.Labels)
	require.Equal(t, c1.Inertia, c2.Inertia)
}

func TestKMeansMoreInitsNoWorse(t *testing.T) {
	x, _ := kmeansTestBlobs(3, kmeansTestCentres, 400, 4)
	one, err := KMeans(x, KMeansConfig{K: 7, Inits: 1, Src: rand.NewPCG(1, 1)})
	require.NoError(t, err)
	many, err := KMeans(x, KMeansConfig{K: 7, Inits: 8, Src: rand.NewPCG(1, 1)})
	require.NoError(t, err)
	// The first of the eight inits is the single init's run.
	require.LessOrEqual(t, many.Inertia, one.Inertia)
}

func TestKMeansFitReusesMemory(t *testing.T) {
	x, truth := kmeansTestBlobs(4, kmeansTestCentres, 50, 0.5)
	var r KMeansResult
	require.NoError(t, r.Fit(x, KMeansConfig{K: 5, Inits: 1}))
	labels, cent := &r.Labels[0], &r.Centroids.RawMatrix().Data[0]
	require.NoError(t, r.Fit(x, KMeansConfig{K: 4, Inits: 1}))
	require.Same(t, labels, &r.Labels[0])
	require.Same(t, cent, &r.Centroids.RawMatrix().Data[0])
	r2, _ := r.Centroids.Dims()
	require.Equal(t, 4, r2)
	require.Len(t, r.Sizes, 4)
	require.NoError(t, r.Fit(x, KMeansConfig{K: 5, Inits: 1}))
	kmeansTestSamePartition(t, truth, r.Labels)
}

func TestKMeansEmptyClusterRelocated(t *testing.T) {
	// Start Lloyd from a centroid far from every row: its cluster is empty
	// after the first assignment and must take the farthest row.
	x := []float64{0, 0.1, 0.2, 10, 10.1, 10.2, 30}
	w := newKMeansWork(x, len(x), 1, 3, 1)
	w.labels = make([]int, len(x))
	copy(w.centers, []float64{0, 10, 1000})
	inertia, _, converged := w.lloyd(100, 0)
	require.True(t, converged)
	require.Equal(t, []int{0, 0, 0, 1, 1, 1, 2}, w.labels)
	require.Equal(t, []float64{0.1, 10.1, 30}, []float64{
		math.Round(w.centers[0]*1e9) / 1e9, math.Round(w.centers[1]*1e9) / 1e9, w.centers[2]})
	require.InDelta(t, 4*0.01, inertia, 1e-12)
}

func TestKMeansDuplicateRows(t *testing.T) {
	// Three distinct rows, K = 3: every cluster is one distinct value.
	x := mat.NewDense(9, 1, []float64{5, 5, 5, 1, 1, 9, 9, 9, 9})
	res, err := KMeans(x, KMeansConfig{K: 3})
	require.NoError(t, err)
	require.Zero(t, res.Inertia)
	kmeansTestSamePartition(t, []int{0, 0, 0, 1, 1, 2, 2, 2, 2}, res.Labels)
	// K = n: every row its own cluster.
	y := mat.NewDense(4, 2, []float64{0, 0, 1, 0, 0, 1, 1, 1})
	res, err = KMeans(y, KMeansConfig{K: 4})
	require.NoError(t, err)
	require.Equal(t, []int{1, 1, 1, 1}, res.Sizes)
	require.Zero(t, res.Inertia)
}

func TestKMeansErrors(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	_, err := KMeans(x, KMeansConfig{K: 4})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.ErrorContains(t, err, "has 3 rows, fewer than the 4 clusters")

	nan := mat.NewDense(3, 2, []float64{1, 2, 3, math.NaN(), 5, 6})
	_, err = KMeans(nan, KMeansConfig{K: 2})
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve))
	require.Equal(t, "x[1,1]", ve.Field)
	require.Equal(t, "is NaN", ve.Reason)

	_, err = KMeans(mat.NewDense(2, 1, []float64{math.Inf(1), 0}), KMeansConfig{K: 1})
	require.ErrorContains(t, err, "x[0,0]: is infinite")

	// A failed Fit leaves the receiver as it was.
	var r KMeansResult
	require.NoError(t, r.Fit(x, KMeansConfig{K: 2}))
	before := r.Inertia
	require.Error(t, r.Fit(nan, KMeansConfig{K: 2}))
	require.Equal(t, before, r.Inertia)

	require.Panics(t, func() { _, _ = KMeans(x, KMeansConfig{K: 0}) })
	require.Panics(t, func() { _, _ = KMeans(x, KMeansConfig{K: 2, MaxIter: -1}) })
}

func TestKMeansSilhouetteExact(t *testing.T) {
	// Two clusters on a line: {0, 1} and {5}; by hand,
	// s(0) = 1 − 1/5, s(1) = 1 − 1/4, s(5) = 0 (a singleton).
	x := mat.NewDense(3, 1, []float64{0, 1, 5})
	s, err := Silhouette(x, []int{0, 0, 1})
	require.NoError(t, err)
	require.InDelta(t, (0.8+0.75+0)/3, s, 1e-15)

	// Four points, two clusters, unused label numbers allowed.
	y := mat.NewDense(4, 1, []float64{0, 2, 10, 13})
	s, err = Silhouette(y, []int{3, 3, 7, 7})
	require.NoError(t, err)
	// a/b: row 0: 2 / 11.5; row 1: 2 / 9.5; row 2: 3 / 9; row 3: 3 / 12.
	want := ((1 - 2/11.5) + (1 - 2/9.5) + (1 - 3/9.0) + (1 - 3/12.0)) / 4
	require.InDelta(t, want, s, 1e-15)

	_, err = Silhouette(y, []int{0, 0, 0, 0})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = Silhouette(y, []int{0, 1, 2, 3})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.Panics(t, func() { _, _ = Silhouette(y, []int{0, 1}) })
}

func TestKMeansSilhouetteSampled(t *testing.T) {
	x, truth := kmeansTestBlobs(6, kmeansTestCentres, 600, 2.5)
	exact, err := Silhouette(x, truth)
	require.NoError(t, err)
	sampled, err := SilhouetteSample(x, truth, 800, rand.NewPCG(1, 2))
	require.NoError(t, err)
	require.InDelta(t, exact, sampled, 0.03)
	again, err := SilhouetteSample(x, truth, 800, rand.NewPCG(1, 2))
	require.NoError(t, err)
	require.Equal(t, sampled, again)
	whole, err := SilhouetteSample(x, truth, 0, nil)
	require.NoError(t, err)
	require.Equal(t, exact, whole)
}

func TestKMeansSelectPicksTrueK(t *testing.T) {
	x, truth := kmeansTestBlobs(7, kmeansTestCentres, 80, 1)
	sel, err := KMeansSelect(x, KMeansSelectConfig{KMeans: KMeansConfig{Inits: 3}})
	require.NoError(t, err)
	require.Equal(t, 5, sel.K)
	kmeansTestSamePartition(t, truth, sel.Result.Labels)
	require.Len(t, sel.Curve, 7)
	for i, p := range sel.Curve {
		require.Equal(t, i+2, p.K)
		if i > 0 {
			require.Less(t, p.Inertia, sel.Curve[i-1].Inertia, "elbow curve falls with k")
		}
		require.LessOrEqual(t, p.Silhouette, sel.Curve[3].Silhouette)
	}
	require.True(t, mat.Equal(sel.Result.Centroids, sel.Centroids))
}

func TestKMeansSelectSampledAndScaled(t *testing.T) {
	// Blobs in very different units; the z-score puts them on one scale
	// and the selection reports centroids back in those units.
	centres := [][]float64{{1, 100, 5000}, {9, 100, 5000}, {1, 900, 5000}, {1, 100, 45000}}
	x, truth := kmeansTestBlobs(8, centres, 3000, 0)
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range 12000 {
		x.Set(i, 0, x.At(i, 0)+0.5*rng.NormFloat64())
		x.Set(i, 1, x.At(i, 1)+50*rng.NormFloat64())
		x.Set(i, 2, x.At(i, 2)+2500*rng.NormFloat64())
	}
	sel, err := KMeansSelect(x, KMeansSelectConfig{
		MaxK: 6, SilhouetteSample: 1500, Scaler: &ZScoreScaler{},
		KMeans: KMeansConfig{Inits: 2, Src: rand.NewPCG(9, 9)},
	})
	require.NoError(t, err)
	require.Equal(t, 4, sel.K)
	kmeansTestSamePartition(t, truth, sel.Result.Labels)
	for c, ctr := range centres {
		l := sel.Result.Labels[c*3000]
		require.InDelta(t, ctr[0], sel.Centroids.At(l, 0), 0.05)
		require.InDelta(t, ctr[1], sel.Centroids.At(l, 1), 5)
		require.InDelta(t, ctr[2], sel.Centroids.At(l, 2), 250)
	}
	// Transformed centroids are near 0 ± 2: they live in z-score space.
	require.Less(t, mat.Norm(sel.Result.Centroids, math.Inf(1)), 6.0)
}

func TestKMeansSelectErrors(t *testing.T) {
	x := mat.NewDense(2, 1, []float64{1, 2})
	_, err := KMeansSelect(x, KMeansSelectConfig{})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	_, err = KMeansSelect(mat.NewDense(3, 1, []float64{1, -2, 3}), KMeansSelectConfig{Scaler: NewLogZScaler()})
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.Panics(t, func() { _, _ = KMeansSelect(x, KMeansSelectConfig{MinK: 1}) })
	require.Panics(t, func() { _, _ = KMeansSelect(x, KMeansSelectConfig{MinK: 5, MaxK: 3}) })
	// k above n−1 is skipped.
	y := mat.NewDense(4, 1, []float64{0, 1, 10, 11})
	sel, err := KMeansSelect(y, KMeansSelectConfig{})
	require.NoError(t, err)
	require.Len(t, sel.Curve, 2)
	require.Equal(t, 2, sel.K)
}
