package analysis

import (
	"math"
	"sync"
	"testing"
)

// benchCustomers is 1,000,000 customers simulated (seeded) from the CDNOW
// BG/NBD estimate, with first purchases over 12 weeks, observed to week
// 38.86, purchase days floored to whole days, times in weeks.
var benchCustomers = sync.OnceValue(func() []History {
	return simulateBGNBD(42, cdnowBGNBD, 1_000_000)
})

// benchCheck fails b unless m is the optimum of the simulated data: the
// estimate every fit below reaches, near the true parameters.
func benchCheck(b *testing.B, m BGNBD, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	want := cdnowBGNBD
	if math.Abs(m.R-want.R) > 0.005 || math.Abs(m.Alpha-want.Alpha) > 0.1 ||
		math.Abs(m.A-want.A) > 0.05 || math.Abs(m.B-want.B) > 0.2 {
		b.Fatalf("fitted %+v, true %+v", m, want)
	}
	b.ReportMetric(m.R, "r")
	b.ReportMetric(m.Alpha, "alpha")
	b.ReportMetric(m.A, "a")
	b.ReportMetric(m.B, "b")
}

// BenchmarkFitBGNBD is FitBGNBD on 1,000,000 customers, compression
// included. go test ./analysis/ -run '^$' -bench FitBGNBD -benchtime 3x
func BenchmarkFitBGNBD(b *testing.B) {
	rows := benchCustomers()
	var m BGNBD
	var err error
	for b.Loop() {
		m, _, err = FitBGNBD(rows, FitConfig{})
	}
	benchCheck(b, m, err)
	b.ReportMetric(float64(len(Compress(rows))), "rows")
}

// BenchmarkFitBGNBDUncompressed is the baseline: the same fit on the
// 1,000,000 rows as they are. It must reach the same optimum.
func BenchmarkFitBGNBDUncompressed(b *testing.B) {
	rows := benchCustomers()
	var m BGNBD
	var err error
	for b.Loop() {
		m, _, err = fitBGNBD(rows, FitConfig{})
	}
	benchCheck(b, m, err)
	c, _, _ := FitBGNBD(rows, FitConfig{})
	for _, d := range []float64{m.R / c.R, m.Alpha / c.Alpha, m.A / c.A, m.B / c.B} {
		if math.Abs(d-1) > 1e-4 {
			b.Fatalf("uncompressed optimum %+v, compressed %+v", m, c)
		}
	}
}
