package analysis

import (
	"errors"
	"math"
	"testing"

	"github.com/kehu/crm/crmtype"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestScaleZScore(t *testing.T) {
	x := mat.NewDense(4, 3, []float64{
		1, 10, 5,
		2, 20, 5,
		3, 30, 5,
		4, 40, 5,
	})
	var s ZScoreScaler
	require.NoError(t, s.Fit(x))
	require.Equal(t, []float64{2.5, 25, 5}, s.Mean)
	require.InDeltaSlice(t, []float64{math.Sqrt(1.25), math.Sqrt(125), 1}, s.Std, 1e-12, "population std; constant column gets 1")

	var z mat.Dense
	s.Transform(&z, x)
	d := 1 / math.Sqrt(1.25)
	want := mat.NewDense(4, 3, []float64{
		-1.5 * d, -1.5 * d, 0,
		-0.5 * d, -0.5 * d, 0,
		0.5 * d, 0.5 * d, 0,
		1.5 * d, 1.5 * d, 0,
	})
	require.True(t, mat.EqualApprox(want, &z, 1e-12))

	var back mat.Dense
	s.Inverse(&back, &z)
	require.True(t, mat.EqualApprox(x, &back, 1e-12))

	// In place, and through a non-Dense matrix.
	y := mat.DenseCopyOf(x)
	s.Transform(y, y)
	require.True(t, mat.EqualApprox(want, y, 1e-12))
	var zt mat.Dense
	s.Transform(&zt, x.T().T())
	require.True(t, mat.EqualApprox(want, &zt, 1e-12))

	// Refit reuses memory.
	mean := &s.Mean[0]
	require.NoError(t, s.Fit(x))
	require.Same(t, mean, &s.Mean[0])
}

func TestScaleLog1p(t *testing.T) {
	x := mat.NewDense(2, 2, []float64{0, 1, math.E - 1, 99})
	var s Log1pScaler
	require.NoError(t, s.Fit(x))
	var y mat.Dense
	s.Transform(&y, x)
	require.InDeltaSlice(t, []float64{0, math.Log(2), 1, math.Log(100)}, y.RawMatrix().Data, 1e-12)
	var back mat.Dense
	s.Inverse(&back, &y)
	require.True(t, mat.EqualApprox(x, &back, 1e-12))
}

func TestScaleChain(t *testing.T) {
	x := mat.NewDense(5, 2, []float64{0, 3, 1, 30, 4, 300, 9, 3000, 100, 30000})
	c := NewLogZScaler()
	require.NoError(t, c.Fit(x))
	var z mat.Dense
	c.Transform(&z, x)
	for j := range 2 {
		col := mat.Col(nil, j, &z)
		var sum, ss float64
		for _, v := range col {
			sum += v
			ss += v * v
		}
		require.InDelta(t, 0, sum/5, 1e-12)
		require.InDelta(t, 1, ss/5, 1e-12)
	}
	var back mat.Dense
	c.Inverse(&back, &z)
	require.True(t, mat.EqualApprox(x, &back, 1e-9))

	// An empty chain is the identity.
	var id mat.Dense
	ScalerChain{}.Transform(&id, x)
	require.True(t, mat.Equal(x, &id))
}

func TestScaleErrors(t *testing.T) {
	bad := mat.NewDense(2, 2, []float64{1, 2, math.NaN(), 4})
	var ve *crmtype.ValidationError

	err := new(ZScoreScaler).Fit(bad)
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.True(t, errors.As(err, &ve))
	require.Equal(t, "x[1,0]", ve.Field)

	require.ErrorIs(t, new(ZScoreScaler).Fit(mat.NewDense(1, 2, []float64{1, math.Inf(-1)})), crmtype.ErrInvalid)
	require.ErrorIs(t, new(ZScoreScaler).Fit(&mat.Dense{}), crmtype.ErrInvalid)

	err = Log1pScaler{}.Fit(mat.NewDense(1, 3, []float64{0, -1, 2}))
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.True(t, errors.As(err, &ve))
	require.Equal(t, "x[0,1]", ve.Field)

	err = NewLogZScaler().Fit(mat.NewDense(1, 1, []float64{-2}))
	require.ErrorIs(t, err, crmtype.ErrInvalid)
	require.ErrorContains(t, err, "scaler 0 of chain")

	// Programmer errors panic.
	x := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	require.Panics(t, func() { new(ZScoreScaler).Transform(&mat.Dense{}, x) }, "before Fit")
	var s ZScoreScaler
	require.NoError(t, s.Fit(x))
	require.Panics(t, func() { s.Transform(&mat.Dense{}, mat.NewDense(2, 3, nil)) }, "wrong column count")
	require.Panics(t, func() { s.Transform(mat.NewDense(3, 2, nil), x) }, "dst of wrong shape")
}
