package analysis

import (
	"fmt"
	"math"

	"github.com/kehu/crm/crmtype"
	"gonum.org/v1/gonum/mat"
)

// Scaler is an invertible per-column transform of a feature matrix whose rows
// are customers and whose columns are features. It is fitted once on the data
// and then applied to the same or new rows; Inverse maps results computed in
// the transformed space, such as k-means centroids, back to original units.
//
// Transform and Inverse store their result in dst. If dst is empty it is
// resized to the shape of x; otherwise it must have that shape or they panic
// with mat.ErrShape. dst may be x itself (the transform is element-wise).
// Calling Transform or Inverse with a column count other than the fitted
// one, or before Fit where the scaler has fitted state, panics: both are
// programming errors.
type Scaler interface {
	// Fit learns the transform's parameters from x. It returns an error
	// matching crmtype.ErrInvalid when x has no rows or holds a value the
	// transform cannot take (NaN, ±Inf, or a value outside its domain).
	Fit(x mat.Matrix) error
	// Transform stores the transform of x in dst.
	Transform(dst *mat.Dense, x mat.Matrix)
	// Inverse stores the inverse transform of x in dst.
	Inverse(dst *mat.Dense, x mat.Matrix)
}

// ZScoreScaler standardises each column to mean 0 and standard deviation 1:
// z = (x − Mean[j]) / Std[j], and back with x = z·Std[j] + Mean[j].
//
// The zero value is ready to Fit. Fit reuses the memory of Mean and Std.
type ZScoreScaler struct {
	// Mean is the mean of each column seen by Fit.
	Mean []float64
	// Std is the population standard deviation (dividing by n, as
	// scikit-learn's StandardScaler does) of each column seen by Fit. A
	// column whose values are all equal gets Std 1, so it transforms to 0
	// rather than to NaN.
	Std []float64
}

// Fit computes Mean and Std of every column of x with two passes over the
// data. It returns an error matching crmtype.ErrInvalid naming the first cell
// that is NaN or infinite, or when x has no rows; on error the scaler is left
// unfitted.
func (s *ZScoreScaler) Fit(x mat.Matrix) error {
	r, c := x.Dims()
	if r == 0 || c == 0 {
		s.Mean, s.Std = s.Mean[:0], s.Std[:0]
		return crmtype.Invalid("x", "has no rows")
	}
	if err := scaleCheckFinite(x, -math.MaxFloat64); err != nil {
		s.Mean, s.Std = s.Mean[:0], s.Std[:0]
		return err
	}
	s.Mean = scaleResize(s.Mean, c)
	s.Std = scaleResize(s.Std, c)
	for j := 0; j < c; j++ {
		var sum float64
		for i := 0; i < r; i++ {
			sum += x.At(i, j)
		}
		mean := sum / float64(r)
		var ss float64
		for i := 0; i < r; i++ {
			d := x.At(i, j) - mean
			ss += d * d
		}
		std := math.Sqrt(ss / float64(r))
		if std == 0 {
			std = 1
		}
		s.Mean[j], s.Std[j] = mean, std
	}
	return nil
}

// Transform stores (x − Mean) / Std in dst.
func (s *ZScoreScaler) Transform(dst *mat.Dense, x mat.Matrix) {
	s.check(x)
	scaleApply(dst, x, func(j int, v float64) float64 { return (v - s.Mean[j]) / s.Std[j] })
}

// Inverse stores x·Std + Mean in dst.
func (s *ZScoreScaler) Inverse(dst *mat.Dense, x mat.Matrix) {
	s.check(x)
	scaleApply(dst, x, func(j int, v float64) float64 { return v*s.Std[j] + s.Mean[j] })
}

func (s *ZScoreScaler) check(x mat.Matrix) {
	if len(s.Mean) == 0 {
		panic("analysis: ZScoreScaler used before Fit")
	}
	if _, c := x.Dims(); c != len(s.Mean) {
		panic(mat.ErrShape)
	}
}

// Log1pScaler applies log(1+x) to every value, and exp(x)−1 to invert it. It
// tames the long right tails of frequency and monetary value; chain it
// before a ZScoreScaler (see NewLogZScaler). It has no parameters.
type Log1pScaler struct{}

// Fit checks that every value of x is finite and greater than −1, returning
// an error matching crmtype.ErrInvalid naming the first cell that is not, or
// when x has no rows.
func (Log1pScaler) Fit(x mat.Matrix) error {
	if r, c := x.Dims(); r == 0 || c == 0 {
		return crmtype.Invalid("x", "has no rows")
	}
	return scaleCheckFinite(x, -1)
}

// Transform stores log(1+x) in dst. Values not greater than −1 give NaN or
// −Inf; Fit reports them.
func (Log1pScaler) Transform(dst *mat.Dense, x mat.Matrix) {
	scaleApply(dst, x, func(_ int, v float64) float64 { return math.Log1p(v) })
}

// Inverse stores exp(x)−1 in dst.
func (Log1pScaler) Inverse(dst *mat.Dense, x mat.Matrix) {
	scaleApply(dst, x, func(_ int, v float64) float64 { return math.Expm1(v) })
}

// ScalerChain applies its scalers in order; its inverse applies their
// inverses in reverse order.
type ScalerChain []Scaler

// NewLogZScaler returns the usual transform for RFM-style features: log1p,
// then z-score.
func NewLogZScaler() ScalerChain {
	return ScalerChain{Log1pScaler{}, &ZScoreScaler{}}
}

// Fit fits each scaler on the output of the ones before it. It makes one
// working copy of x when the chain has more than one scaler, and returns the
// first error, naming the failing stage.
func (c ScalerChain) Fit(x mat.Matrix) error {
	if len(c) == 0 {
		return nil
	}
	var cur mat.Matrix = x
	var tmp mat.Dense
	for i, s := range c {
		if err := s.Fit(cur); err != nil {
			return fmt.Errorf("analysis: scaler %d of chain: %w", i, err)
		}
		if i < len(c)-1 {
			s.Transform(&tmp, cur)
			cur = &tmp
		}
	}
	return nil
}

// Transform stores the chained transform of x in dst.
func (c ScalerChain) Transform(dst *mat.Dense, x mat.Matrix) {
	if len(c) == 0 {
		scaleApply(dst, x, func(_ int, v float64) float64 { return v })
		return
	}
	c[0].Transform(dst, x)
	for _, s := range c[1:] {
		s.Transform(dst, dst)
	}
}

// Inverse stores the chained inverse of x in dst.
func (c ScalerChain) Inverse(dst *mat.Dense, x mat.Matrix) {
	if len(c) == 0 {
		scaleApply(dst, x, func(_ int, v float64) float64 { return v })
		return
	}
	c[len(c)-1].Inverse(dst, x)
	for i := len(c) - 2; i >= 0; i-- {
		c[i].Inverse(dst, dst)
	}
}

// scaleApply stores f(j, x[i,j]) in dst[i,j], resizing an empty dst.
func scaleApply(dst *mat.Dense, x mat.Matrix, f func(j int, v float64) float64) {
	r, c := x.Dims()
	if dst.IsEmpty() {
		dst.ReuseAs(r, c)
	} else if dr, dc := dst.Dims(); dr != r || dc != c {
		panic(mat.ErrShape)
	}
	if xd, ok := x.(*mat.Dense); ok {
		raw, draw := xd.RawMatrix(), dst.RawMatrix()
		for i := 0; i < r; i++ {
			src := raw.Data[i*raw.Stride : i*raw.Stride+c]
			out := draw.Data[i*draw.Stride : i*draw.Stride+c]
			for j, v := range src {
				out[j] = f(j, v)
			}
		}
		return
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			dst.Set(i, j, f(j, x.At(i, j)))
		}
	}
}

// scaleCheckFinite reports the first cell of x that is NaN, infinite, or not
// greater than above (pass −MaxFloat64 to accept every finite value).
func scaleCheckFinite(x mat.Matrix, above float64) error {
	r, c := x.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := x.At(i, j)
			switch {
			case math.IsNaN(v):
				return crmtype.Invalidf(fmt.Sprintf("x[%d,%d]", i, j), "is NaN")
			case math.IsInf(v, 0):
				return crmtype.Invalidf(fmt.Sprintf("x[%d,%d]", i, j), "is infinite")
			case above > -math.MaxFloat64 && v <= above:
				return crmtype.Invalidf(fmt.Sprintf("x[%d,%d]", i, j), "is %g, not greater than %g", v, above)
			}
		}
	}
	return nil
}

func scaleResize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
