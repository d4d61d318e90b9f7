package analysis

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kehu/crm/crmtype"
)

const cdnowDir = "../../shared/data/cdnow/"

// cdnowConfig is the summary configuration of the published CDNOW
// summaries: weeks, calibration to 1997-09-30, hold-out to 1998-06-30.
var cdnowConfig = SummaryConfig{
	CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
	HoldoutEnd:     time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC),
	Unit:           UnitWeek,
}

// cdnowPurchases parses CDNOW_sample.txt: whitespace-separated, no header,
// CRLF; master id, sample id, YYYYMMDD, number of CDs, dollars.
func cdnowPurchases(tb testing.TB) []Purchase {
	tb.Helper()
	f, err := os.Open(cdnowDir + "CDNOW_sample.txt")
	if err != nil {
		tb.Skipf("CDNOW data not available: %v", err)
	}
	defer f.Close()
	var ps []Purchase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 5 {
			tb.Fatalf("bad line %q", sc.Text())
		}
		at, err := time.Parse("20060102", fs[2])
		if err != nil {
			tb.Fatal(err)
		}
		id, err := strconv.Atoi(fs[1]) // zero-padded; the csv has it unpadded
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, Purchase{Customer: strconv.Itoa(id), At: at, Amount: cdnowCents(tb, fs[4])})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return ps
}

// cdnowCents parses a dollar amount with at most 2 decimals exactly.
func cdnowCents(tb testing.TB, s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	w, err1 := strconv.ParseInt(whole, 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || strings.HasPrefix(s, "-") {
		tb.Fatalf("bad amount %q", s)
	}
	return w*100 + c
}

type cdnowRow struct {
	id           string
	x            int
	tx, T, zbar  string // as printed
	txF, TF, zbF float64
}

// cdnowPublished reads cdnow_customers_summary_with_transactions.csv.
func cdnowPublished(tb testing.TB) []cdnowRow {
	tb.Helper()
	b, err := os.ReadFile(cdnowDir + "cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		tb.Skipf("CDNOW data not available: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(b), "\r", "")), "\n")
	var rows []cdnowRow
	for _, l := range lines[1:] {
		fs := strings.Split(l, ",")
		x, _ := strconv.Atoi(fs[1])
		r := cdnowRow{id: fs[0], x: x, tx: fs[2], T: fs[3], zbar: fs[4]}
		r.txF, _ = strconv.ParseFloat(fs[2], 64)
		r.TF, _ = strconv.ParseFloat(fs[3], 64)
		r.zbF, _ = strconv.ParseFloat(fs[4], 64)
		rows = append(rows, r)
	}
	return rows
}

// cdnowSummaries computes the CDNOW summaries from the purchases.
func cdnowSummaries(tb testing.TB) []CustomerSummary {
	tb.Helper()
	s, err := Summarize(cdnowPurchases(tb), cdnowConfig)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func cdnowHistories(tb testing.TB) []History {
	var h []History
	for _, s := range cdnowSummaries(tb) {
		h = append(h, s.History())
	}
	return h
}

// roundHalfUp2 formats cents/x dollars rounded half-up to 2 decimals, in
// exact integer arithmetic.
func roundHalfUp2(cents int64, x int) string {
	if x == 0 {
		return "0.00"
	}
	// dollars·100 = cents/x; round half up.
	q := (2*cents + int64(x)) / (2 * int64(x))
	return fmt.Sprintf("%d.%02d", q/100, q%100)
}

func TestSummaryCDNOW(t *testing.T) {
	sums := cdnowSummaries(t)
	pub := cdnowPublished(t)
	if len(sums) != 2357 || len(pub) != 2357 {
		t.Fatalf("customers: got %d, published %d, want 2357", len(sums), len(pub))
	}
	byID := map[string]CustomerSummary{}
	for _, s := range sums {
		byID[s.Customer] = s
	}
	var repeaters, repeats, holdout, holdoutZero int
	var zbarSum float64
	for _, p := range pub {
		s, ok := byID[p.id]
		if !ok {
			t.Fatalf("customer %s missing", p.id)
		}
		if s.X != p.x || fmt.Sprintf("%.2f", s.Tx) != p.tx || fmt.Sprintf("%.2f", s.T) != p.T {
			t.Errorf("customer %s: got x=%d t_x=%.2f T=%.2f, published %d %s %s", p.id, s.X, s.Tx, s.T, p.x, p.tx, p.T)
		}
		if z := roundHalfUp2(s.RepeatValue, s.X); z != p.zbar {
			t.Errorf("customer %s: zbar %s, published %s", p.id, z, p.zbar)
		}
		if s.X > 0 && math.Abs(s.ZBar-float64(s.RepeatValue)/float64(s.X)) > 0 {
			t.Errorf("customer %s: ZBar %v is not RepeatValue/X", p.id, s.ZBar)
		}
		repeats += s.X
		holdout += s.HoldoutX
		if s.X > 0 {
			repeaters++
			zbarSum += s.ZBar / 100
		} else {
			holdoutZero += s.HoldoutX
		}
	}
	if repeaters != 946 || repeats != 2457 {
		t.Errorf("repeat buyers %d (want 946), repeat purchases %d (want 2457)", repeaters, repeats)
	}
	if m := zbarSum / float64(repeaters); fmt.Sprintf("%.2f", m) != "35.08" {
		t.Errorf("mean zbar of repeat buyers %.4f, want 35.08", m)
	}
	if holdout != 1882 || holdoutZero != 334 {
		t.Errorf("hold-out repeat purchases %d (want 1882), by x=0 customers %d (want 334)", holdout, holdoutZero)
	}
	if got := cdnowConfig.HoldoutLength(); math.Abs(got-39) > 1e-12 {
		t.Errorf("HoldoutLength = %v, want 39", got)
	}
	// Compression is lossless in total weight and x.
	h := cdnowHistories(t)
	c := Compress(h)
	var w, xw int
	for _, r := range c {
		w += r.Weight
		xw += r.Weight * r.X
	}
	if w != 2357 || xw != 2457 || len(c) >= len(h) {
		t.Errorf("Compress: %d rows, weight %d, x·weight %d", len(c), w, xw)
	}
}

func TestSummarySameDayAndUnits(t *testing.T) {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	d := func(day, hour int) time.Time { return time.Date(2024, 1, day, hour, 0, 0, 0, time.UTC) }
	ps := []Purchase{
		{"b", d(1, 10), 500},
		{"a", d(1, 9), 100},
		{"a", d(1, 20), 50}, // same UTC day as the first
		{"a", d(3, 1), 200},
		{"a", d(3, 23), 300}, // same UTC day, next day in UTC+8
		{"a", d(8, 0), 999},  // hold-out
		{"c", d(20, 0), 1},   // first purchase after calibration: left out
		{"a", d(30, 0), 7},   // after hold-out: ignored
	}
	cfg := SummaryConfig{CalibrationEnd: d(5, 12), HoldoutEnd: d(10, 0), Unit: UnitDay}
	got, err := Summarize(ps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Customer != "a" || got[1].Customer != "b" {
		t.Fatalf("got %+v", got)
	}
	a := got[0]
	if a.X != 1 || a.Tx != 2 || a.T != 4 || a.RepeatValue != 500 || a.ZBar != 500 || a.FirstValue != 150 ||
		a.HoldoutX != 1 || a.HoldoutValue != 999 || !a.First.Equal(d(1, 0)) {
		t.Errorf("a (UTC, days) = %+v", a)
	}
	cfg.Location, cfg.Unit = shanghai, 0 // weeks by default
	got, _ = Summarize(ps, cfg)
	a = got[0]
	// In UTC+8 purchases fall on Jan 1 (17:00), Jan 2 (04:00), Jan 3 (09:00), Jan 4 (07:00).
	if a.X != 3 || math.Abs(a.Tx-3.0/7) > 1e-15 || math.Abs(a.T-4.0/7) > 1e-15 || a.RepeatValue != 550 {
		t.Errorf("a (UTC+8, weeks) = %+v", a)
	}
	if a.First.Location() != shanghai {
		t.Errorf("First in %v, want UTC+8", a.First.Location())
	}

	for _, bad := range []SummaryConfig{
		{},
		{CalibrationEnd: d(5, 0), Unit: -UnitDay},
		{CalibrationEnd: d(5, 0), HoldoutEnd: d(4, 0)},
	} {
		if _, err := Summarize(ps, bad); !errors.Is(err, crmtype.ErrInvalid) {
			t.Errorf("Summarize(%+v) error %v, want ErrInvalid", bad, err)
		}
	}
}
