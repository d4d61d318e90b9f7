package dedup

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// febrlDir returns ../shared/data/febrl looked up from the working
// directory upwards, or "".
func febrlDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "..", "shared", "data", "febrl")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// readFEBRL reads a FEBRL file as records and the entity of each (the N
// of rec-N-...).
func readFEBRL(t testing.TB, name string) ([]Record, []string) {
	dir := febrlDir()
	if dir == "" {
		t.Fatal("../shared/data/febrl not found: the FEBRL data sets are part of the test")
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	var ents []string
	for _, row := range rows[1:] {
		line := strings.Join(strings.Fields(row[3]+" "+row[4]+" "+row[5]), " ")
		rec := Record{
			ID: row[0], GivenName: row[1], FamilyName: row[2],
			Address: Address{Line: line, City: row[6], Postcode: row[7], Region: row[8]},
			Date:    row[9],
		}
		if row[10] != "" {
			rec.Attributes = map[string]string{"soc_sec_id": row[10]}
		}
		recs = append(recs, rec)
		ents = append(ents, strings.Split(row[0], "-")[1])
	}
	return recs, ents
}

// pairQuality scores clusters against the truth over all pairs inside
// clusters.
func pairQuality(res *Result, ents []string) (precision, recall, f1 float64) {
	size := map[string]int{}
	for _, e := range ents {
		size[e]++
	}
	truePairs := 0
	for _, n := range size {
		truePairs += n * (n - 1) / 2
	}
	found, right := 0, 0
	for _, c := range res.Clusters {
		for x := range c.Members {
			for y := x + 1; y < len(c.Members); y++ {
				found++
				if ents[c.Members[x]] == ents[c.Members[y]] {
					right++
				}
			}
		}
	}
	if found == 0 || truePairs == 0 {
		return 0, 0, 0
	}
	precision = float64(right) / float64(found)
	recall = float64(right) / float64(truePairs)
	return precision, recall, 2 * precision * recall / (precision + recall)
}

func TestFEBRL(t *testing.T) {
	for _, name := range []string{"dataset1.csv", "dataset2.csv"} {
		t.Run(name, func(t *testing.T) {
			recs, ents := readFEBRL(t, name)
			start := time.Now()
			res, err := Find(context.Background(), recs, Config{})
			if err != nil {
				t.Fatal(err)
			}
			p, r, f1 := pairQuality(res, ents)
			t.Logf("%s: %d records, %d comparisons, %d EM iterations, %v: precision %.4f recall %.4f F1 %.4f",
				name, len(recs), res.Stats.Comparisons, res.Stats.Iterations, time.Since(start).Round(time.Millisecond), p, r, f1)
			if testing.Verbose() {
				for _, f := range res.Model.Fields {
					t.Logf("  %-12s m=%.3f u=%.4f", f.Name, f.M, f.U)
				}
				t.Logf("  prior %.4f", res.Model.Prior)
			}
			if f1 < 0.995 {
				t.Errorf("F1 %.4f < 0.995", f1)
			}
		})
	}
}
