package service_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/service"
)

// Benchmarks of deadline computations on a realistic calendar, beside a
// naive reference that walks the clock a minute at a time.
//
// Reproduce with
//
//	go test ./service -run '^$' -bench 'Calendar' -benchmem
//
// and the run of exactly 1,000,000 deadlines with
//
//	go test ./service -run '^$' -bench 'CalendarMillionDeadlines' -benchtime 1x -benchmem

// berlinOffice is an office in Berlin working 08:30-12:30 and 13:30-17:30
// on weekdays (eight hours), with the public holidays of Berlin in 2026
// and 2027 and half days on Christmas Eve and New Year's Eve 2026. Easter
// Sunday is 5 April 2026 and 28 March 2027; Good Friday, Easter Monday,
// Ascension (Easter + 39) and Whit Monday (Easter + 50) follow from it.
// Its hours stay clear of the daylight-saving changes (02:00-03:00), so a
// minute count by the wall clock measures it exactly.
func berlinOffice() *service.Calendar {
	day := []service.Interval{{From: "08:30", To: "12:30"}, {From: "13:30", To: "17:30"}}
	cal := &service.Calendar{
		Zone: "Europe/Berlin",
		Week: map[time.Weekday][]service.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		},
		WorkingDays: []service.WorkingDay{
			{Date: "2026-12-24", Name: "Christmas Eve (half day)", Intervals: []service.Interval{{From: "08:30", To: "12:30"}}},
			{Date: "2026-12-31", Name: "New Year's Eve (half day)", Intervals: []service.Interval{{From: "08:30", To: "12:30"}}},
		},
	}
	for _, h := range []struct{ date, name string }{
		{"2026-01-01", "New Year's Day"},
		{"2026-03-08", "International Women's Day"},
		{"2026-04-03", "Good Friday"},
		{"2026-04-06", "Easter Monday"},
		{"2026-05-01", "Labour Day"},
		{"2026-05-14", "Ascension Day"},
		{"2026-05-25", "Whit Monday"},
		{"2026-10-03", "German Unity Day"},
		{"2026-12-25", "Christmas Day"},
		{"2026-12-26", "Second Day of Christmas"},
		{"2027-01-01", "New Year's Day"},
		{"2027-03-08", "International Women's Day"},
		{"2027-03-26", "Good Friday"},
		{"2027-03-29", "Easter Monday"},
		{"2027-05-01", "Labour Day"},
		{"2027-05-06", "Ascension Day"},
		{"2027-05-17", "Whit Monday"},
		{"2027-10-03", "German Unity Day"},
		{"2027-12-25", "Christmas Day"},
		{"2027-12-26", "Second Day of Christmas"},
	} {
		cal.Holidays = append(cal.Holidays, service.Day{Date: h.date, Name: h.name})
	}
	return cal
}

// deadline is one deadline computation: Add(start, d), or AddExcluding
// when there are pauses.
type deadline struct {
	start  time.Time
	d      time.Duration
	pauses []service.Span
}

func (q deadline) on(cal *service.Calendar) time.Time {
	if q.pauses == nil {
		return cal.Add(q.start, q.d)
	}
	return cal.AddExcluding(q.start, q.d, q.pauses)
}

// deadlines returns n deadline computations such as a help desk makes:
// tickets opened at any minute of the days from from (nights, weekends
// and holidays too), with targets of 15 minutes to five business days, a quarter of
// them with pauses (waiting on the customer), some of which have not
// ended. All are whole minutes, so that the minute walker can follow.
func deadlines(n int, seed uint64, from time.Time, days int) []deadline {
	rng := rand.New(rand.NewPCG(seed, 2026))
	targets := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
		8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 40 * time.Hour}
	out := make([]deadline, n)
	for i := range out {
		q := deadline{start: from.Add(time.Duration(rng.IntN(days*24*60)) * time.Minute)}
		if rng.IntN(2) == 0 {
			q.d = targets[rng.IntN(len(targets))]
		} else {
			q.d = time.Duration(1+rng.IntN(40*60)) * time.Minute
		}
		if rng.IntN(4) == 0 {
			q.pauses = []service.Span{}
			for range 1 + rng.IntN(2) {
				p := service.Span{From: q.start.Add(time.Duration(rng.IntN(5*24*60)-12*60) * time.Minute)}
				if rng.IntN(6) > 0 {
					p.To = p.From.Add(time.Duration(1+rng.IntN(2*24*60)) * time.Minute)
				}
				q.pauses = append(q.pauses, p)
			}
		}
		out[i] = q
	}
	return out
}

// minuteWalker is the baseline: it reads the calendar's definition and
// counts working minutes one by one, each read by the wall clock in the
// zone. It is exact for calendars whose intervals do not touch the hour of
// a daylight-saving change, for starts, targets and pauses in whole
// minutes.
type minuteWalker struct {
	loc      *time.Location
	week     [7][][2]int      // minutes since midnight, From and To
	holidays map[int]bool     // by yyyymmdd
	working  map[int][][2]int // by yyyymmdd
}

func newMinuteWalker(t testing.TB, cal *service.Calendar) *minuteWalker {
	t.Helper()
	minute := func(s string) int {
		h, err := strconv.Atoi(s[:2])
		require.NoError(t, err)
		m, err := strconv.Atoi(s[3:])
		require.NoError(t, err)
		return h*60 + m
	}
	intervals := func(ivs []service.Interval) [][2]int {
		var out [][2]int
		for _, iv := range ivs {
			out = append(out, [2]int{minute(iv.From), minute(iv.To)})
		}
		return out
	}
	date := func(s string) int {
		d, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return d.Year()*10000 + int(d.Month())*100 + d.Day()
	}
	w := &minuteWalker{loc: mustZone(t, cal.Zone), holidays: map[int]bool{}, working: map[int][][2]int{}}
	for wd, ivs := range cal.Week {
		w.week[wd] = intervals(ivs)
	}
	for _, h := range cal.Holidays {
		w.holidays[date(h.Date)] = true
	}
	for _, d := range cal.WorkingDays {
		if len(d.Intervals) > 0 {
			w.working[date(d.Date)] = intervals(d.Intervals)
		} else {
			w.working[date(d.Date)] = w.week[d.AsWeekday]
		}
	}
	return w
}

// works reports whether the minute beginning at m is working time.
func (w *minuteWalker) works(m time.Time) bool {
	local := m.In(w.loc)
	y, mo, d := local.Date()
	key := y*10000 + int(mo)*100 + d
	ivs, ok := w.working[key]
	if !ok {
		if w.holidays[key] {
			return false
		}
		ivs = w.week[local.Weekday()]
	}
	h, mi, _ := local.Clock()
	at := h*60 + mi
	for _, iv := range ivs {
		if iv[0] <= at && at < iv[1] {
			return true
		}
	}
	return false
}

// add is AddExcluding (Add without pauses) a minute at a time: the end of
// the minute that uses up d; the zero time when an open pause begins
// first, or after 20 years of minutes without working time.
func (w *minuteWalker) add(q deadline) time.Time {
	m := q.start.UTC()
	if q.d <= 0 {
		return m
	}
	left := q.d
	for limit := m.AddDate(20, 0, 0); m.Before(limit); m = m.Add(time.Minute) {
		paused := false
		for _, p := range q.pauses {
			if !m.Before(p.From) && (p.To.IsZero() || m.Before(p.To)) {
				if p.To.IsZero() {
					return time.Time{}
				}
				paused = true
			}
		}
		if paused || !w.works(m) {
			continue
		}
		if left -= time.Minute; left <= 0 {
			return m.Add(time.Minute)
		}
	}
	return time.Time{}
}

// TestCalendarMatchesMinuteWalker checks the engine against the baseline
// on a few thousand deadlines, so that the baseline's figures compare like
// with like.
func TestCalendarMatchesMinuteWalker(t *testing.T) {
	for name, cal := range map[string]*service.Calendar{"berlin office": berlinOffice(), "china 2026": china2026()} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, cal.Validate())
			w := newMinuteWalker(t, cal)
			qs := deadlines(3000, 7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 365)
			if name == "china 2026" { // its holidays are in September and October
				qs = deadlines(3000, 7, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), 50)
			}
			for _, q := range qs {
				require.Equal(t, w.add(q), q.on(cal), "start %v, d %v, pauses %v", q.start, q.d, q.pauses)
			}
		})
	}
}

// BenchmarkCalendarDeadline measures one deadline computation of the mix
// (ns/op is ns per deadline), by the engine and by the minute walker.
func BenchmarkCalendarDeadline(b *testing.B) {
	cal := berlinOffice()
	qs := deadlines(10_000, 1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 365)
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			qs[i%len(qs)].on(cal)
			i++
		}
	})
	b.Run("minute-walker", func(b *testing.B) {
		w := newMinuteWalker(b, cal)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			w.add(qs[i%len(qs)])
			i++
		}
	})
}

// BenchmarkCalendarMillionDeadlines computes 1,000,000 deadlines of the mix
// per op; run it with -benchtime 1x for exactly one million.
func BenchmarkCalendarMillionDeadlines(b *testing.B) {
	const n = 1_000_000
	cal := berlinOffice()
	qs := deadlines(10_000, 1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 365)
	b.ReportAllocs()
	var sink time.Time
	for b.Loop() {
		for i := range n {
			sink = qs[i%len(qs)].on(cal)
		}
	}
	_ = sink
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/deadline")
}

// BenchmarkCalendarDeadlineSpan shows what the cost grows with: the working
// days a deadline spans (targets of an hour, a day, a week and a month of
// business time), not its minutes (a week as whole hours, as minutes, or
// to the nanosecond costs the same). The minute walker, beside it, grows
// with the minutes.
func BenchmarkCalendarDeadlineSpan(b *testing.B) {
	cal := berlinOffice()
	w := newMinuteWalker(b, cal)
	rng := rand.New(rand.NewPCG(3, 4))
	starts := make([]time.Time, 1024)
	for i := range starts {
		starts[i] = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(365*24*60)) * time.Minute)
	}
	spans := []struct {
		name string
		d    time.Duration
	}{
		{"1h", time.Hour},
		{"1day", 8 * time.Hour},
		{"1week", 40 * time.Hour},
		{"1week-minutes", 40*time.Hour - 17*time.Minute},
		{"1week-nanoseconds", 40*time.Hour - 17*time.Minute - 123456789},
		{"1month", 21 * 8 * time.Hour},
	}
	for _, s := range spans {
		b.Run("engine/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cal.Add(starts[i%len(starts)], s.d)
				i++
			}
		})
	}
	for _, s := range spans {
		if s.d%time.Minute != 0 {
			continue // the walker counts whole minutes
		}
		b.Run("minute-walker/"+s.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				w.add(deadline{start: starts[i%len(starts)], d: s.d})
				i++
			}
		})
	}
}
