package dedup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kehu/crm/internal/crmgen"
)

var (
	benchGiven = [][]string{
		{"james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "william", "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "lachlan", "chloe", "mitchell", "olivia"},
		{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"},
		{"José", "María", "Jürgen", "Zoë", "François", "Søren", "Łukasz", "Ångström", "Núria", "Ümit"},
		{"Иван", "Мария", "Алексей", "Ольга", "Дмитрий", "Анна"},
	}
	benchFamily = [][]string{
		{"smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez", "hernandez", "lopez", "wilson", "anderson", "taylor", "thomas", "moore", "jackson", "martin", "lee", "thompson", "white", "harris", "clark"},
		{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"},
		{"Müller", "Schmidt", "García", "Fernández", "Dubois", "Lefèvre", "Nowak", "Østergaard"},
		{"Иванов", "Смирнов", "Кузнецов", "Попов"},
	}
	benchStreets = []string{"main street", "high street", "station road", "park avenue", "church lane", "mill road", "king street", "queen street", "victoria road", "green lane"}
	benchCities  = []string{"springfield", "riverside", "fairview", "kingston", "georgetown", "salem", "madison", "franklin", "clinton", "arlington"}
)

// synth generates n customers, about 10% of them corrupted copies of
// others; ent[i] is the entity of record i.
func synth(n int, seed uint64) (recs []Record, ent []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	recs = make([]Record, 0, n)
	ent = make([]int, 0, n)
	typo := func(s string) string {
		r := []rune(s)
		if len(r) < 2 {
			return s
		}
		i := rng.IntN(len(r) - 1)
		switch rng.IntN(4) {
		case 0: // substitute
			r[i] = rune('a' + rng.IntN(26))
		case 1: // transpose
			r[i], r[i+1] = r[i+1], r[i]
		case 2: // delete
			r = append(r[:i], r[i+1:]...)
		default: // insert
			r = append(r[:i+1], r[i:]...)
		}
		return string(r)
	}
	orig := 0
	for len(recs) < n {
		if len(recs) > 10 && rng.IntN(10) == 0 {
			// A corrupted copy of an earlier original.
			j := rng.IntN(len(recs))
			d := recs[j]
			d.Attributes = nil
			d.Emails = append([]string(nil), d.Emails...)
			d.Phones = append([]string(nil), d.Phones...)
			for k := 0; k < 1+rng.IntN(3); k++ {
				switch rng.IntN(9) {
				case 0:
					d.GivenName = typo(d.GivenName)
				case 1:
					d.FamilyName = typo(d.FamilyName)
				case 2:
					d.GivenName, d.FamilyName = d.FamilyName, d.GivenName
				case 3:
					if len(d.Date) == 8 {
						d.Date = d.Date[:4] + d.Date[6:8] + d.Date[4:6]
					}
				case 4:
					d.Address.Postcode = typo(d.Address.Postcode)
				case 5:
					d.Emails = nil
				case 6:
					d.Phones = nil
				case 7:
					d.Address.Line = typo(d.Address.Line)
				default:
					d.Date = typo(d.Date)
				}
			}
			d.ID = fmt.Sprintf("c%d", len(recs))
			recs = append(recs, d)
			ent = append(ent, ent[j])
			continue
		}
		s := rng.IntN(len(benchGiven))
		if rng.IntN(2) == 0 {
			s = 0
		}
		g := benchGiven[s][rng.IntN(len(benchGiven[s]))]
		f := benchFamily[s][rng.IntN(len(benchFamily[s]))]
		r := Record{
			ID: fmt.Sprintf("c%d", len(recs)), GivenName: g, FamilyName: f,
			Date: fmt.Sprintf("%04d%02d%02d", 1930+rng.IntN(80), 1+rng.IntN(12), 1+rng.IntN(28)),
			Address: Address{
				Line:     fmt.Sprintf("%d %s", 1+rng.IntN(300), benchStreets[rng.IntN(len(benchStreets))]),
				City:     benchCities[rng.IntN(len(benchCities))],
				Postcode: fmt.Sprintf("%05d", rng.IntN(100000)),
				Country:  "US",
			},
		}
		if rng.IntN(3) > 0 {
			r.Emails = []string{fmt.Sprintf("%s.%d@example.com", strings.ToLower(f), rng.IntN(1_000_000))}
		}
		if rng.IntN(2) == 0 {
			r.Phones = []string{fmt.Sprintf("+1555%07d", rng.IntN(10_000_000))}
		}
		recs = append(recs, r)
		ent = append(ent, orig)
		orig++
	}
	return recs, ent
}

func quality(res *Result, ent []int) (p, r, f1 float64) {
	es := make([]string, len(ent))
	for i, e := range ent {
		es[i] = fmt.Sprint(e)
	}
	return pairQuality(res, es)
}

// BenchmarkFind1M scans a generated customer list of 1,000,000 records
// (internal/crmgen: 700,000 entities, names in many scripts, households,
// offices, typos). Run it with
//
//	go test -run '^$' -bench Find1M -benchtime 1x ./customer/dedup
func BenchmarkFind1M(b *testing.B) { benchFind(b, 700_000) }

// BenchmarkFind200k is the same on 200,000 records.
func BenchmarkFind200k(b *testing.B) { benchFind(b, 140_000) }

func benchFind(b *testing.B, entities int) {
	rows := crmgen.Generate(crmgen.Config{Entities: entities, Seed: 42})
	recs, ent := crmRecords(rows, "CN")
	rows = nil
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	var peak, peakSys uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				peakSys = max(peakSys, ms.Sys)
			}
		}
	}()
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		if res, err = Find(context.Background(), recs, Config{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(done)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	peak, peakSys = max(peak, ms.HeapInuse), max(peakSys, ms.Sys)
	p, r, f1 := quality(res, ent)
	// Peaks over the whole run, the generated input included (it is
	// HeapInuse before Find, reported as input-heap-MiB).
	b.ReportMetric(float64(ms0.HeapInuse)/(1<<20), "input-heap-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MiB")
	b.ReportMetric(float64(res.Stats.Comparisons), "comparisons")
	b.ReportMetric(p, "precision")
	b.ReportMetric(r, "recall")
	b.ReportMetric(f1, "F1")
	if testing.Verbose() {
		b.Logf("%d pairs, %d clusters, %d EM iterations", len(res.Pairs), len(res.Clusters), res.Stats.Iterations)
		for _, f := range res.Model.Fields {
			b.Logf("  %-12s m=%.4f u=%.6f", f.Name, f.M, f.U)
		}
		b.Logf("  prior %.6f", res.Model.Prior)
	}
}

// allPairs is the naive baseline: every pair compared with the model Find
// estimated.
func allPairs(recs []Record, m *Model, threshold float64) *Result {
	ps := make([]prepared, len(recs))
	for i := range recs {
		ps[i] = prepare(&recs[i], m.AttributeKeys)
	}
	lv := make([]int8, len(m.Fields))
	min := threshold
	var pairs []Pair
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			levels(&ps[i], &ps[j], lv)
			if s := m.score(&ps[i], &ps[j], lv, nil); Probability(s) >= min {
				pairs = append(pairs, Pair{A: i, B: j})
			}
		}
	}
	return &Result{Pairs: pairs, Clusters: clusters(recs, pairs)}
}

// TestBlockingKeepsRecall compares blocking with the naive all-pairs
// baseline on 2,000 synthetic customers: blocking must find nearly every
// pair all-pairs finds, with a small fraction of the comparisons.
func TestBlockingKeepsRecall(t *testing.T) {
	recs, ent := synth(2000, 7)
	start := time.Now()
	res, err := Find(context.Background(), recs, Config{})
	if err != nil {
		t.Fatal(err)
	}
	tb := time.Since(start)
	start = time.Now()
	naive := allPairs(recs, res.Model, 0.5)
	tn := time.Since(start)
	p, r, f1 := quality(res, ent)
	np, nr, nf1 := quality(naive, ent)
	t.Logf("blocking: %d comparisons, %v, precision %.4f recall %.4f F1 %.4f", res.Stats.Comparisons, tb.Round(time.Millisecond), p, r, f1)
	t.Logf("all pairs: %d comparisons, %v, precision %.4f recall %.4f F1 %.4f", len(recs)*(len(recs)-1)/2, tn.Round(time.Millisecond), np, nr, nf1)
	if r < nr-0.02 {
		t.Errorf("blocking recall %.4f is more than 0.02 below all-pairs recall %.4f", r, nr)
	}
	if f1 < 0.9 {
		t.Errorf("F1 %.4f on synthetic data", f1)
	}
}

func BenchmarkAllPairs2000(b *testing.B) {
	recs, _ := synth(2000, 7)
	res, _ := Find(context.Background(), recs, Config{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		allPairs(recs, res.Model, 0.5)
	}
}
