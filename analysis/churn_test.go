package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestChurnRisk(t *testing.T) {
	risk, err := ChurnRisk([]float64{1, 0.9, 0.25, 0})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{0, 0.1, 0.75, 1}, risk, 1e-15)

	empty, err := ChurnRisk(nil)
	require.NoError(t, err)
	require.Empty(t, empty)

	for _, bad := range []float64{-0.1, 1.1, math.NaN()} {
		_, err := ChurnRisk([]float64{0.5, bad})
		requireInvalid(t, err, "pAlive")
	}
}

func TestChurnClassifyAndAtRisk(t *testing.T) {
	risk := []float64{0.2, 0.9, 0.5, 0.7, 0.9, 0.1}
	at, err := ClassifyChurn(risk, DefaultChurnThreshold)
	require.NoError(t, err)
	require.Equal(t, []bool{false, true, true, true, true, false}, at)

	idx, err := AtRisk(risk, 0.5)
	require.NoError(t, err)
	require.Equal(t, []int{1, 4, 3, 2}, idx) // highest first, ties by index

	none, err := AtRisk(risk, 1)
	require.NoError(t, err)
	require.Empty(t, none)

	_, err = ClassifyChurn(risk, 1.5)
	requireInvalid(t, err, "threshold")
	_, err = AtRisk(risk, math.NaN())
	requireInvalid(t, err, "threshold")
	_, err = AtRisk([]float64{0.5, 2}, 0.5)
	requireInvalid(t, err, "risk")
}

// uclaAdmissions is the UCLA Statistical Consulting Group's graduate
// admissions example data (https://stats.idre.ucla.edu/stat/data/binary.csv,
// 400 rows of admit,gre,gpa,rank), used in its "Logit Regression | R Data
// Analysis Examples" page.
const uclaAdmissions = `
0,380,3.61,3 1,660,3.67,3 1,800,4,1 1,640,3.19,4 0,520,2.93,4 1,760,3,2 1,560,2.98,1 0,400,3.08,2 1,540,3.39,3 0,700,3.92,2
0,800,4,4 0,440,3.22,1 1,760,4,1 0,700,3.08,2 1,700,4,1 0,480,3.44,3 0,780,3.87,4 0,360,2.56,3 0,800,3.75,2 1,540,3.81,1
0,500,3.17,3 1,660,3.63,2 0,600,2.82,4 0,680,3.19,4 1,760,3.35,2 1,800,3.66,1 1,620,3.61,1 1,520,3.74,4 1,780,3.22,2 0,520,3.29,1
0,540,3.78,4 0,760,3.35,3 0,600,3.4,3 1,800,4,3 0,360,3.14,1 0,400,3.05,2 0,580,3.25,1 0,520,2.9,3 1,500,3.13,2 1,520,2.68,3
0,560,2.42,2 1,580,3.32,2 1,600,3.15,2 0,500,3.31,3 0,700,2.94,2 1,460,3.45,3 1,580,3.46,2 0,500,2.97,4 0,440,2.48,4 0,400,3.35,3
0,640,3.86,3 0,440,3.13,4 0,740,3.37,4 1,680,3.27,2 0,660,3.34,3 1,740,4,3 0,560,3.19,3 0,380,2.94,3 0,400,3.65,2 0,600,2.82,4
1,620,3.18,2 0,560,3.32,4 0,640,3.67,3 1,680,3.85,3 0,580,4,3 0,600,3.59,2 0,740,3.62,4 0,620,3.3,1 0,580,3.69,1 0,800,3.73,1
0,640,4,3 0,300,2.92,4 0,480,3.39,4 0,580,4,2 0,720,3.45,4 0,720,4,3 0,560,3.36,3 1,800,4,3 0,540,3.12,1 1,620,4,1
0,700,2.9,4 0,620,3.07,2 0,500,2.71,2 0,380,2.91,4 1,500,3.6,3 0,520,2.98,2 0,600,3.32,2 0,600,3.48,2 0,700,3.28,1 1,660,4,2
0,700,3.83,2 1,720,3.64,1 0,800,3.9,2 0,580,2.93,2 1,660,3.44,2 0,660,3.33,2 0,640,3.52,4 0,480,3.57,2 0,700,2.88,2 0,400,3.31,3
0,340,3.15,3 0,580,3.57,3 0,380,3.33,4 0,540,3.94,3 1,660,3.95,2 1,740,2.97,2 1,700,3.56,1 0,480,3.13,2 0,400,2.93,3 0,480,3.45,2
0,680,3.08,4 0,420,3.41,4 0,360,3,3 0,600,3.22,1 0,720,3.84,3 0,620,3.99,3 1,440,3.45,2 0,700,3.72,2 1,800,3.7,1 0,340,2.92,3
1,520,3.74,2 1,480,2.67,2 0,520,2.85,3 0,500,2.98,3 0,720,3.88,3 0,540,3.38,4 1,600,3.54,1 0,740,3.74,4 0,540,3.19,2 0,460,3.15,4
1,620,3.17,2 0,640,2.79,2 0,580,3.4,2 0,500,3.08,3 0,560,2.95,2 0,500,3.57,3 0,560,3.33,4 0,700,4,3 0,620,3.4,2 1,600,3.58,1
0,640,3.93,2 1,700,3.52,4 0,620,3.94,4 0,580,3.4,3 0,580,3.4,4 0,380,3.43,3 0,480,3.4,2 0,560,2.71,3 1,480,2.91,1 0,740,3.31,1
1,800,3.74,1 0,400,3.38,2 1,640,3.94,2 0,580,3.46,3 0,620,3.69,3 1,580,2.86,4 0,560,2.52,2 1,480,3.58,1 0,660,3.49,2 0,700,3.82,3
0,600,3.13,2 0,640,3.5,2 1,700,3.56,2 0,520,2.73,2 0,580,3.3,2 0,700,4,1 0,440,3.24,4 0,720,3.77,3 0,500,4,3 0,600,3.62,3
0,400,3.51,3 0,540,2.81,3 0,680,3.48,3 1,800,3.43,2 0,500,3.53,4 1,620,3.37,2 0,520,2.62,2 1,620,3.23,3 0,620,3.33,3 0,300,3.01,3
0,620,3.78,3 0,500,3.88,4 0,700,4,2 1,540,3.84,2 0,500,2.79,4 0,800,3.6,2 0,560,3.61,3 0,580,2.88,2 0,560,3.07,2 0,500,3.35,2
1,640,2.94,2 0,800,3.54,3 0,640,3.76,3 0,380,3.59,4 1,600,3.47,2 0,560,3.59,2 0,660,3.07,3 1,400,3.23,4 0,600,3.63,3 0,580,3.77,4
0,800,3.31,3 1,580,3.2,2 1,700,4,1 0,420,3.92,4 1,600,3.89,1 1,780,3.8,3 0,740,3.54,1 1,640,3.63,1 0,540,3.16,3 0,580,3.5,2
0,740,3.34,4 0,580,3.02,2 0,460,2.87,2 0,640,3.38,3 1,600,3.56,2 1,660,2.91,3 0,340,2.9,1 1,460,3.64,1 0,460,2.98,1 1,560,3.59,2
0,540,3.28,3 0,680,3.99,3 1,480,3.02,1 0,800,3.47,3 0,800,2.9,2 1,720,3.5,3 0,620,3.58,2 0,540,3.02,4 0,480,3.43,2 1,720,3.42,2
0,580,3.29,4 0,600,3.28,3 0,380,3.38,2 0,420,2.67,3 1,800,3.53,1 0,620,3.05,2 1,660,3.49,2 0,480,4,2 0,500,2.86,4 0,700,3.45,3
0,440,2.76,2 1,520,3.81,1 1,680,2.96,3 0,620,3.22,2 0,540,3.04,1 0,800,3.91,3 0,680,3.34,2 0,440,3.17,2 0,680,3.64,3 0,640,3.73,3
0,660,3.31,4 0,620,3.21,4 1,520,4,2 1,540,3.55,4 1,740,3.52,4 0,640,3.35,3 1,520,3.3,2 1,620,3.95,3 0,520,3.51,2 0,640,3.81,2
0,680,3.11,2 0,440,3.15,2 1,520,3.19,3 1,620,3.95,3 1,520,3.9,3 0,380,3.34,3 0,560,3.24,4 1,600,3.64,3 1,680,3.46,2 0,500,2.81,3
1,640,3.95,2 0,540,3.33,3 1,680,3.67,2 0,660,3.32,1 0,520,3.12,2 1,600,2.98,2 0,460,3.77,3 1,580,3.58,1 1,680,3,4 1,660,3.14,2
0,660,3.94,2 0,360,3.27,3 0,660,3.45,4 0,520,3.1,4 1,440,3.39,2 0,600,3.31,4 1,800,3.22,1 1,660,3.7,4 0,800,3.15,4 0,420,2.26,4
1,620,3.45,2 0,800,2.78,2 0,680,3.7,2 0,800,3.97,1 0,480,2.55,1 0,520,3.25,3 0,560,3.16,1 0,460,3.07,2 0,540,3.5,2 0,720,3.4,3
0,640,3.3,2 1,660,3.6,3 1,400,3.15,2 1,680,3.98,2 0,220,2.83,3 0,580,3.46,4 1,540,3.17,1 0,580,3.51,2 0,540,3.13,2 0,440,2.98,3
0,560,4,3 0,660,3.67,2 0,660,3.77,3 1,520,3.65,4 0,540,3.46,4 1,300,2.84,2 1,340,3,2 1,780,3.63,4 1,480,3.71,4 0,540,3.28,1
0,460,3.14,3 0,460,3.58,2 0,500,3.01,4 0,420,2.69,2 0,520,2.7,3 0,680,3.9,1 0,680,3.31,2 1,560,3.48,2 0,580,3.34,2 0,500,2.93,4
0,740,4,3 0,660,3.59,3 0,420,2.96,1 0,560,3.43,3 1,460,3.64,3 1,620,3.71,1 0,520,3.15,3 0,620,3.09,4 0,540,3.2,1 1,660,3.47,3
0,500,3.23,4 1,560,2.65,3 0,500,3.95,4 0,580,3.06,2 0,520,3.35,3 0,500,3.03,3 0,600,3.35,2 0,580,3.8,2 0,400,3.36,2 0,620,2.85,2
1,780,4,2 0,620,3.43,3 1,580,3.12,3 0,700,3.52,2 1,540,3.78,2 1,760,2.81,1 0,700,3.27,2 0,720,3.31,1 1,560,3.69,3 0,720,3.94,3
1,520,4,1 1,540,3.49,1 0,680,3.14,2 0,460,3.44,2 1,560,3.36,1 0,480,2.78,3 0,460,2.93,3 0,620,3.63,3 0,580,4,1 0,800,3.89,2
1,540,3.77,2 1,680,3.76,3 1,680,2.42,1 1,620,3.37,1 0,560,3.78,2 0,560,3.49,4 0,620,3.63,2 1,800,4,2 0,640,3.12,3 0,540,2.7,2
0,700,3.65,2 1,540,3.49,2 0,540,3.51,2 0,660,4,1 1,480,2.62,2 0,420,3.02,1 1,740,3.86,2 0,580,3.36,2 0,640,3.17,2 0,640,3.51,2
1,800,3.05,2 1,660,3.88,2 1,600,3.38,3 1,620,3.75,2 1,460,3.99,3 0,620,4,2 0,560,3.04,3 0,460,2.63,2 0,700,3.65,2 0,600,3.89,3
`

func uclaData(t *testing.T) (*mat.Dense, []bool) {
	t.Helper()
	fields := strings.Fields(uclaAdmissions)
	require.Len(t, fields, 400)
	X := mat.NewDense(len(fields), 5, nil)
	y := make([]bool, len(fields))
	for i, f := range fields {
		v := strings.Split(f, ",")
		require.Len(t, v, 4)
		gre, err := strconv.ParseFloat(v[1], 64)
		require.NoError(t, err)
		gpa, err := strconv.ParseFloat(v[2], 64)
		require.NoError(t, err)
		rank, err := strconv.Atoi(v[3])
		require.NoError(t, err)
		X.Set(i, 0, gre)
		X.Set(i, 1, gpa)
		if rank > 1 { // treatment coding of rank, as R's factor(rank)
			X.Set(i, rank, 1)
		}
		y[i] = v[0] == "1"
	}
	return X, y
}

func TestLogisticUCLAAdmissionsPublished(t *testing.T) {
	// UCLA OARC, "Logit Regression | R Data Analysis Examples":
	// glm(admit ~ gre + gpa + rank, family = "binomial") with rank a factor.
	//
	//              Estimate Std. Error z value Pr(>|z|)
	// (Intercept) -3.989979   1.139951  -3.500 0.000465
	// gre          0.002264   0.001094   2.070 0.038465
	// gpa          0.804038   0.331819   2.423 0.015388
	// rank2       -0.675443   0.316490  -2.134 0.032829
	// rank3       -1.340204   0.345306  -3.881 0.000104
	// rank4       -1.551464   0.417832  -3.713 0.000205
	//
	// Null deviance: 499.98 on 399 df; residual deviance: 458.52 on 394 df.
	// Tolerances: half a unit in the last printed digit.
	X, y := uclaData(t)
	m, err := FitLogistic(X, y, LogisticConfig{Features: []string{"gre", "gpa", "rank2", "rank3", "rank4"}})
	require.NoError(t, err)
	want := []struct {
		name          string
		est, se, z, p float64
	}{
		{"(Intercept)", -3.989979, 1.139951, -3.500, 0.000465},
		{"gre", 0.002264, 0.001094, 2.070, 0.038465},
		{"gpa", 0.804038, 0.331819, 2.423, 0.015388},
		{"rank2", -0.675443, 0.316490, -2.134, 0.032829},
		{"rank3", -1.340204, 0.345306, -3.881, 0.000104},
		{"rank4", -1.551464, 0.417832, -3.713, 0.000205},
	}
	got := append([]LogisticCoefficient{m.Intercept}, m.Coefficients...)
	for i, w := range want {
		g := got[i]
		require.Equal(t, w.name, g.Name)
		require.InDelta(t, w.est, g.Estimate, 5e-7, w.name)
		require.InDelta(t, w.se, g.StdErr, 5e-7, w.name)
		require.InDelta(t, w.z, g.Z, 5e-4, w.name)
		require.InDelta(t, w.p, g.P, 5e-7, w.name)
	}
	require.InDelta(t, 458.52, -2*m.LogLikelihood, 5e-3)
	require.InDelta(t, 499.98, -2*m.NullLogLikelihood, 5e-3)
	require.Equal(t, 400, m.N)
	require.Less(t, m.Iterations, 15)
}

// logisticGradientAscent maximises ℓ(β) − λ/2 Σ_j (β_j s_j)² on the raw
// design [1, X] by plain gradient ascent with a fixed step 1/L, L a bound
// on the curvature, until the gradient's norm is below 1e-11. It is an
// independent reference for FitLogistic.
func logisticGradientAscent(X *mat.Dense, y []bool, l2 float64, sd []float64) []float64 {
	n, p := X.Dims()
	L := 0.0
	for i := range n {
		r := 1.0
		for j := range p {
			r += X.At(i, j) * X.At(i, j)
		}
		L += r / 4
	}
	for j := range p {
		L += l2 * sd[j] * sd[j]
	}
	beta := make([]float64, p+1)
	grad := make([]float64, p+1)
	for range 5_000_000 {
		clear(grad)
		for i := range n {
			eta := beta[0]
			for j := range p {
				eta += beta[j+1] * X.At(i, j)
			}
			r := -logisticSigmoid(eta)
			if y[i] {
				r++
			}
			grad[0] += r
			for j := range p {
				grad[j+1] += r * X.At(i, j)
			}
		}
		norm := 0.0
		for j := range p {
			grad[j+1] -= l2 * sd[j] * sd[j] * beta[j+1]
		}
		for _, g := range grad {
			norm += g * g
		}
		if math.Sqrt(norm) < 1e-11 {
			break
		}
		for k := range beta {
			beta[k] += grad[k] / L
		}
	}
	return beta
}

func TestLogisticMatchesGradientAscent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200
	X := mat.NewDense(n, 2, nil)
	y := make([]bool, n)
	for i := range n {
		x1 := rng.NormFloat64()
		x2 := 2 + 3*rng.NormFloat64()
		X.Set(i, 0, x1)
		X.Set(i, 1, x2)
		y[i] = rng.Float64() < logisticSigmoid(-0.5+1.2*x1-0.3*x2)
	}
	for _, l2 := range []float64{0, 2} {
		m, err := FitLogistic(X, y, LogisticConfig{L2: l2})
		require.NoError(t, err)
		ref := logisticGradientAscent(X, y, l2, m.SD)
		require.InDelta(t, ref[0], m.Intercept.Estimate, 1e-8, "L2=%g", l2)
		for j, c := range m.Coefficients {
			require.InDelta(t, ref[j+1], c.Estimate, 1e-8, "L2=%g coef %d", l2, j)
		}
	}
	// The penalty shrinks the standardised coefficients.
	plain, err := FitLogistic(X, y, LogisticConfig{})
	require.NoError(t, err)
	ridge, err := FitLogistic(X, y, LogisticConfig{L2: 50})
	require.NoError(t, err)
	for j := range plain.Coefficients {
		require.Less(t, math.Abs(ridge.Coefficients[j].Standardized), math.Abs(plain.Coefficients[j].Standardized))
	}
}

func TestLogisticRecoversSimulatedCoefficients(t *testing.T) {
	// 20,000 simulated customers, true log-odds of churn
	// −1 + 0.8·x1 − 0.5·x2 + 0.3·x3 with x1 ~ N(0,1), x2 ~ N(1, 2²),
	// x3 ~ Bernoulli(0.3). Every estimate must lie within 4 standard errors
	// and 0.1 of the truth, and the standard errors must match the
	// asymptotic ones (known order 0.02–0.05) within a factor of 2.
	rng := rand.New(rand.NewPCG(42, 1))
	const n = 20000
	truth := []float64{-1, 0.8, -0.5, 0.3}
	X := mat.NewDense(n, 3, nil)
	y := make([]bool, n)
	for i := range n {
		x := []float64{rng.NormFloat64(), 1 + 2*rng.NormFloat64(), 0}
		if rng.Float64() < 0.3 {
			x[2] = 1
		}
		X.SetRow(i, x)
		eta := truth[0] + truth[1]*x[0] + truth[2]*x[1] + truth[3]*x[2]
		y[i] = rng.Float64() < logisticSigmoid(eta)
	}
	m, err := FitLogistic(X, y, LogisticConfig{Features: []string{"x1", "x2", "x3"}})
	require.NoError(t, err)
	got := append([]LogisticCoefficient{m.Intercept}, m.Coefficients...)
	for k, c := range got {
		require.InDelta(t, truth[k], c.Estimate, math.Min(0.1, 4*c.StdErr), c.Name)
		require.Greater(t, c.StdErr, 0.01, c.Name)
		require.Less(t, c.StdErr, 0.1, c.Name)
		require.Less(t, c.P, 1e-6, c.Name) // every effect is real and large
	}
}

func TestLogisticSeparation(t *testing.T) {
	// Complete separation: y is true exactly when x > 5.
	X := mat.NewDense(10, 1, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	y := []bool{false, false, false, false, false, true, true, true, true, true}
	_, err := FitLogistic(X, y, LogisticConfig{})
	require.ErrorIs(t, err, ErrSeparation)

	// Quasi-complete separation: x = 0 is always false, x = 2 always true,
	// x = 1 mixed.
	X = mat.NewDense(8, 1, []float64{0, 0, 0, 1, 1, 2, 2, 2})
	y = []bool{false, false, false, false, true, true, true, true}
	_, err = FitLogistic(X, y, LogisticConfig{})
	require.ErrorIs(t, err, ErrSeparation)

	// A ridge penalty makes the estimate exist.
	m, err := FitLogistic(X, y, LogisticConfig{L2: 1})
	require.NoError(t, err)
	require.False(t, math.IsNaN(m.Coefficients[0].Estimate))
	require.Greater(t, m.Coefficients[0].Estimate, 0.0)

	// Separation by one of several features.
	rng := rand.New(rand.NewPCG(9, 9))
	X = mat.NewDense(50, 2, nil)
	y = make([]bool, 50)
	for i := range 50 {
		X.Set(i, 0, rng.NormFloat64())
		X.Set(i, 1, float64(i))
		y[i] = i >= 25
	}
	_, err = FitLogistic(X, y, LogisticConfig{})
	require.ErrorIs(t, err, ErrSeparation)
	require.False(t, errors.Is(err, ErrLogisticNotConverged))
}

func TestLogisticBadInput(t *testing.T) {
	X := mat.NewDense(6, 2, []float64{1, 2, 2, 4, 3, 6, 4, 8, 5, 10, 6, 12})
	y := []bool{false, true, false, true, true, false}
	_, err := FitLogistic(X, y, LogisticConfig{})
	requireInvalid(t, err, "X") // collinear columns

	X = mat.NewDense(6, 2, []float64{1, 7, 2, 7, 3, 7, 4, 7, 5, 7, 6, 7})
	_, err = FitLogistic(X, y, LogisticConfig{})
	requireInvalid(t, err, "X") // constant column

	X = mat.NewDense(6, 1, []float64{1, 2, 3, 4, 5, 6})
	_, err = FitLogistic(X, y[:5], LogisticConfig{})
	requireInvalid(t, err, "y")
	_, err = FitLogistic(X, make([]bool, 6), LogisticConfig{})
	requireInvalid(t, err, "y") // one class
	_, err = FitLogistic(nil, y, LogisticConfig{})
	requireInvalid(t, err, "X")
	_, err = FitLogistic(mat.NewDense(2, 1, []float64{1, 2}), []bool{true, false}, LogisticConfig{})
	requireInvalid(t, err, "X") // too few rows
	_, err = FitLogistic(X, y, LogisticConfig{L2: -1})
	requireInvalid(t, err, "L2")
	_, err = FitLogistic(X, y, LogisticConfig{MaxIter: -1})
	requireInvalid(t, err, "MaxIter")
	_, err = FitLogistic(X, y, LogisticConfig{Features: []string{"a", "b"}})
	requireInvalid(t, err, "Features")
	bad := mat.NewDense(6, 1, []float64{1, 2, math.NaN(), 4, 5, 6})
	_, err = FitLogistic(bad, y, LogisticConfig{})
	requireInvalid(t, err, "X")

	_, err = FitLogistic(X, y, LogisticConfig{MaxIter: 1})
	require.ErrorIs(t, err, ErrLogisticNotConverged)
}

func TestLogisticExplain(t *testing.T) {
	X, y := uclaData(t)
	m, err := FitLogistic(X, y, LogisticConfig{Features: []string{"gre", "gpa", "rank2", "rank3", "rank4"}})
	require.NoError(t, err)

	x := []float64{380, 3.61, 0, 1, 0} // the first applicant
	e, err := m.Explain(x)
	require.NoError(t, err)
	p, err := m.Predict(x)
	require.NoError(t, err)
	require.Equal(t, p, e.Probability)
	require.InDelta(t, math.Log(p/(1-p)), e.LogOdds, 1e-12)

	sum := e.Base
	for i, c := range e.Contributions {
		sum += c.LogOdds
		require.InDelta(t, (x[c.Index]-m.Mean[c.Index])/m.SD[c.Index], c.Standardized, 1e-12)
		require.InDelta(t, m.Coefficients[c.Index].Estimate*m.SD[c.Index]*c.Standardized, c.LogOdds, 1e-12)
		require.Equal(t, m.Coefficients[c.Index].Name, c.Feature)
		if i > 0 {
			require.GreaterOrEqual(t, math.Abs(e.Contributions[i-1].LogOdds), math.Abs(c.LogOdds))
		}
	}
	require.InDelta(t, e.LogOdds, sum, 1e-12)
	// A low GRE and a rank-3 school are this applicant's main drivers.
	require.Equal(t, "rank3", e.Contributions[0].Feature)
	require.Equal(t, "gre", e.Contributions[1].Feature)
	require.Less(t, e.Contributions[0].LogOdds, 0.0)

	all, err := m.PredictAll(X)
	require.NoError(t, err)
	require.Len(t, all, 400)
	require.Equal(t, p, all[0])

	_, err = m.Explain([]float64{1})
	requireInvalid(t, err, "x")
	_, err = m.Predict([]float64{1, 2, 3, 4, math.Inf(1)})
	requireInvalid(t, err, "x")
	_, err = m.PredictAll(mat.NewDense(1, 2, nil))
	requireInvalid(t, err, "X")
}
