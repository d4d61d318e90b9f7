package service

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // load IANA zones on machines without a zoneinfo database

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/wallclock"
)

// Calendar says when a team works, so that targets such as "first response
// within 4 business hours" can be turned into deadlines and elapsed time
// can be measured in business time. A calendar of China's mainland working
// 09:00-12:00 and 13:00-18:00 on weekdays is
//
//	Calendar{
//		Zone: "Asia/Shanghai",
//		Week: map[time.Weekday][]Interval{
//			time.Monday: {{From: "09:00", To: "12:00"}, {From: "13:00", To: "18:00"}},
//			// ... Tuesday to Friday alike
//		},
//		Holidays:    []Day{{Date: "2026-10-01", Name: "National Day"}, ...},
//		WorkingDays: []WorkingDay{{Date: "2026-10-10", Name: "National Day (adjusted)", AsWeekday: time.Monday}},
//	}
//
// and Calendar{Zone: "UTC", AllHours: true} counts every minute (24x7).
//
// Which hours a date works: those of its WorkingDays entry when it has one;
// none when it is a holiday; otherwise those Week gives its weekday.
//
// # Wall clock and daylight saving
//
// Intervals are wall-clock times in Zone: a 09:00-18:00 day stays
// 09:00-18:00 local time across a daylight-saving change, so its instants
// in UTC move by the size of the change. An interval begins at the first
// instant at which the clock in Zone reads From (or later) and ends at the
// first instant at which it reads To (or later). Business time is elapsed
// time, as on a stopwatch, so on the day of a change:
//
//   - when the clocks go forward, an interval across the change is shorter
//     by the jump: 01:00-04:00 in Europe/Berlin on 29 March 2026 (02:00
//     becomes 03:00) holds 2 hours; a bound in the skipped hour is the
//     moment of the jump (02:30-05:00 that day begins at 03:00 and holds 2
//     hours);
//   - when the clocks go back, the repeated hour counts twice: 01:00-04:00
//     on 25 October 2026 (03:00 becomes 02:00) holds 4 hours; a bound in the
//     repeated hour is its first pass (02:30-04:00 that day begins at 02:30
//     summer time and holds 2 hours 30 minutes, without a break).
//
// An interval thus never breaks in two, and the intervals of a day, and of
// consecutive days, never overlap.
//
// # Results, cost and bounds
//
// Every method takes instants in any location and returns them in UTC. The
// methods expect a valid calendar (see Validate); on one that is not, they
// report no working time: Add, AddExcluding and NextWorking return the zero
// time, Between and BetweenExcluding 0, IsWorking false.
//
// Arithmetic steps a day at a time, and within a day an interval at a time,
// never a minute at a time: adding 10,000 business hours to an eight-hour,
// five-day calendar looks at about 1,750 days. Add, AddExcluding and
// NextWorking give up, returning the zero time, after 20 years in a row
// without working time (a calendar whose only working time is WorkingDays
// that lie behind, or decades of holidays), so they always end. Between and
// BetweenExcluding look at every day of their range. Each call checks the
// calendar anew; the zone is loaded once per process.
//
// A Calendar is a plain value: its methods do not modify it and may be
// called from several goroutines while nothing modifies it.
type Calendar struct {
	// Zone is the IANA time zone the intervals and dates are read in, e.g.
	// "Asia/Shanghai", "Europe/Berlin" or "UTC".
	Zone string
	// AllHours makes every minute of every day working time (24x7). Week,
	// Holidays and WorkingDays must then be empty.
	AllHours bool
	// Week gives each weekday's working intervals, in order and without
	// overlap, several a day if need be (a lunch break is the gap between
	// two). A weekday that is missing or has none does not work.
	Week map[time.Weekday][]Interval
	// Holidays are whole dates off, even when Week has hours for their
	// weekday. A date may repeat (lists merged from several sources).
	Holidays []Day
	// WorkingDays are dates that work with hours of their own, whatever
	// their weekday: the weekends China works to make up for a long
	// holiday, or a half day before Christmas. A date is at most once here
	// and is not also a holiday.
	WorkingDays []WorkingDay
}

// Interval is a stretch of working time within a day by the wall clock,
// From inclusive and To exclusive, each written "HH:MM" on the 24-hour
// clock: {From: "09:00", To: "12:00"}. From is "00:00" to "23:59"; To is after From
// and may be "24:00", the end of the day. Intervals stop at midnight: a
// night shift from 22:00 to 06:00 is 22:00-24:00 on one day and 00:00-06:00
// on the next.
type Interval struct {
	From string
	To   string
}

// Day is a holiday: a date in the calendar's zone, "2026-10-01", and an
// optional name for people.
type Day struct {
	Date string
	Name string
}

// WorkingDay is a date that works with hours of its own, whatever its
// weekday (and whatever Week says of it).
type WorkingDay struct {
	// Date is the date in the calendar's zone, "2026-10-10".
	Date string
	// Name is an optional name for people, "National Day (adjusted)".
	Name string
	// Intervals are the date's working hours. When empty, the date works
	// the hours Week gives AsWeekday.
	Intervals []Interval
	// AsWeekday names the weekday whose hours the date works when
	// Intervals is empty, e.g. time.Monday. Its zero value is Sunday, which
	// most calendars do not work: Validate rejects a working day left
	// without hours.
	AsWeekday time.Weekday
}

// Span is a stretch of time from From (inclusive) to To (exclusive) during
// which the clock stops, e.g. while a ticket is pending on the customer. A
// zero To means the pause has not ended; a zero From, that it has lasted
// since the beginning of time. A span whose To is not after From (and not
// zero) is empty.
type Span struct {
	From time.Time
	To   time.Time
}

// searchDays bounds the searches of Add, AddExcluding and NextWorking: they
// give up after this many days in a row without working time (20 years).
const searchDays = 20*365 + 5

// Validate reports whether c is a calendar the methods can work with. It
// returns a *crmtype.ValidationError (errors.Is(err, crmtype.ErrInvalid))
// with Field
//
//   - "calendar" when c is nil;
//   - "zone" when Zone is empty, "Local" or not an IANA zone;
//   - "week", "holidays" or "working_days" when AllHours is set and it is
//     not empty;
//   - "week" when it has a key that is not a weekday, or when the calendar
//     has no working time at all: no weekday has an interval and there are
//     no WorkingDays;
//   - "week.monday[1].from", "week.monday[1].to" (the weekday in lower
//     case, the interval's index) when a time is not "HH:MM" from 00:00 to
//     24:00, From is not before To, or an interval begins before the one
//     before it ends (intervals out of order or overlapping; touching is
//     fine);
//   - "holidays[3].date" when it is not a date such as 2026-10-01;
//   - "working_days[0].date" when it is not a date, or is also a holiday or
//     another working day; "working_days[0].as_weekday" when it is not a
//     weekday (0 Sunday to 6 Saturday); "working_days[0].intervals[1].from"
//     and ".to" as for Week; "working_days[0].intervals" when it is empty
//     and AsWeekday has no hours in Week.
func (c *Calendar) Validate() error {
	_, err := c.compile()
	return err
}

// Add returns the instant at which d of business time has passed since
// start: the earliest instant t at or after start with Between(start, t) ==
// d. When start is outside working hours, counting begins at the next
// working instant; when d runs out at the end of an interval, the result is
// that end (12:00, not 13:00 after lunch). A d of 0 or less returns start.
// d is counted exactly, to the nanosecond.
//
// Add returns the zero time when c is not valid, or when it finds 20 years
// in a row without working time before d is used up.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	k, err := c.compile()
	if err != nil {
		return time.Time{}
	}
	t, _, how := k.advance(start.UTC(), d, time.Time{})
	if how != walkStopped {
		return time.Time{}
	}
	return t
}

// Between returns the business time in [a, b): the working time from a
// (inclusive) to b (exclusive); 0 when b is not after a or c is not valid.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	k, err := c.compile()
	if err != nil {
		return 0
	}
	return k.between(a.UTC(), b.UTC())
}

// IsWorking reports whether t is working time: whether it lies in one of
// the intervals of its date (see Calendar for daylight-saving changes). It
// is false when c is not valid.
func (c *Calendar) IsWorking(t time.Time) bool {
	k, err := c.compile()
	if err != nil {
		return false
	}
	t = t.UTC()
	if k.allHours {
		return true
	}
	n := k.day(t)
	var buf [8]span
	for m := n - 1; m <= n+1; m++ {
		for _, s := range k.spans(m, buf[:0]) {
			if !t.Before(s.from) && t.Before(s.to) {
				return true
			}
		}
	}
	return false
}

// NextWorking returns the first working instant at or after t, in UTC: t
// itself when it is working time. It returns the zero time when c is not
// valid or has no working time in the 20 years after t.
func (c *Calendar) NextWorking(t time.Time) time.Time {
	k, err := c.compile()
	if err != nil {
		return time.Time{}
	}
	t = t.UTC()
	if k.allHours {
		return t
	}
	var next time.Time
	k.each(t, time.Time{}, true, func(s span) bool {
		next = later(s.from, t)
		return false
	})
	return next
}

// BetweenExcluding returns the business time in [a, b) outside the
// pauses: Between(a, b) less the business time during any pause. Pauses
// may come in any order, overlap, reach outside [a, b) or be open-ended (a
// zero To: paused from From on). It returns 0 when b is not after a or c is
// not valid.
func (c *Calendar) BetweenExcluding(a, b time.Time, pauses []Span) time.Duration {
	k, err := c.compile()
	if err != nil {
		return 0
	}
	a, b = a.UTC(), b.UTC()
	if !a.Before(b) {
		return 0
	}
	total := k.between(a, b)
	for _, p := range mergePauses(pauses, a) {
		if !p.from.Before(b) {
			break
		}
		end := b
		if !p.open && p.to.Before(b) {
			end = p.to
		}
		total -= k.between(p.from, end)
	}
	return total
}

// AddExcluding is Add with the clock stopped during the pauses: it returns
// the earliest instant t at or after start with BetweenExcluding(start, t,
// pauses) == d. Pauses may come in any order, overlap, or begin before
// start. A pause that has not ended (a zero To) stops the clock for good:
// when it begins before d is used up, AddExcluding returns the zero time,
// meaning the deadline is not running; a d of 0 or less returns start.
//
// AddExcluding returns the zero time too when c is not valid, or when it
// finds 20 years in a row without working time before d is used up. Test
// the result with IsZero before comparing it with the time: the zero time
// is before every instant, and a deadline that is not running is not
// breached.
func (c *Calendar) AddExcluding(start time.Time, d time.Duration, pauses []Span) time.Time {
	k, err := c.compile()
	if err != nil {
		return time.Time{}
	}
	cur := start.UTC()
	if d <= 0 {
		return cur
	}
	for _, p := range mergePauses(pauses, cur) {
		if p.from.After(cur) {
			t, rest, how := k.advance(cur, d, p.from)
			switch how {
			case walkStopped:
				return t
			case walkIdle:
				return time.Time{}
			}
			d = rest
		}
		if p.open {
			return time.Time{}
		}
		cur = later(cur, p.to)
	}
	t, _, how := k.advance(cur, d, time.Time{})
	if how != walkStopped {
		return time.Time{}
	}
	return t
}

// calendar is a validated Calendar ready for arithmetic.
type calendar struct {
	loc      *time.Location
	allHours bool
	week     [7][]clock
	holidays map[int64]bool    // by day number
	working  map[int64][]clock // by day number
}

// clock is an Interval as offsets from midnight by the wall clock.
type clock struct{ from, to time.Duration }

// span is a working interval of one date as instants in UTC, from before to.
type span struct{ from, to time.Time }

// pause is a Span made ready: open when it has not ended.
type pause struct {
	from, to time.Time
	open     bool
}

var zones sync.Map // zone name → *time.Location; only zones that loaded

func loadZone(name string) (*time.Location, error) {
	zone := strings.TrimSpace(name)
	if zone == "" {
		return nil, crmtype.Invalid("zone", "is required")
	}
	if loc, ok := zones.Load(zone); ok {
		return loc.(*time.Location), nil
	}
	if zone == "Local" || strings.ContainsRune(zone, 0) {
		return nil, crmtype.Invalidf("zone", "%q is not an IANA time zone", name)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, crmtype.Invalidf("zone", "%q is not an IANA time zone", name)
	}
	zones.Store(zone, loc)
	return loc, nil
}

func (c *Calendar) compile() (*calendar, error) {
	if c == nil {
		return nil, crmtype.Invalid("calendar", "is required")
	}
	loc, err := loadZone(c.Zone)
	if err != nil {
		return nil, err
	}
	k := &calendar{loc: loc, allHours: c.AllHours}
	if c.AllHours {
		const reason = "must be empty when all_hours is set: every minute of a 24x7 calendar works"
		switch {
		case len(c.Week) > 0:
			return nil, crmtype.Invalid("week", reason)
		case len(c.Holidays) > 0:
			return nil, crmtype.Invalid("holidays", reason)
		case len(c.WorkingDays) > 0:
			return nil, crmtype.Invalid("working_days", reason)
		}
		return k, nil
	}

	for _, wd := range slices.Sorted(maps.Keys(c.Week)) {
		if !isWeekday(wd) {
			return nil, crmtype.Invalidf("week", "has the key %d, which is not a weekday (0 Sunday to 6 Saturday)", int(wd))
		}
	}
	weekly := false
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		cs, err := parseIntervals(weekField[wd], c.Week[wd])
		if err != nil {
			return nil, err
		}
		k.week[wd] = cs
		weekly = weekly || len(cs) > 0
	}

	for i, h := range c.Holidays {
		n, ok := parseDate(h.Date)
		if !ok {
			return nil, crmtype.Invalidf("holidays["+strconv.Itoa(i)+"].date", "%q is not a date such as 2026-10-01", h.Date)
		}
		if k.holidays == nil {
			k.holidays = make(map[int64]bool, len(c.Holidays))
		}
		k.holidays[n] = true
	}

	for i, w := range c.WorkingDays {
		f := "working_days[" + strconv.Itoa(i) + "]"
		n, ok := parseDate(w.Date)
		if !ok {
			return nil, crmtype.Invalidf(f+".date", "%q is not a date such as 2026-10-10", w.Date)
		}
		if k.holidays[n] {
			j := slices.IndexFunc(c.Holidays, func(h Day) bool { m, _ := parseDate(h.Date); return m == n })
			return nil, crmtype.Invalidf(f+".date", "%s is also holidays[%d]", w.Date, j)
		}
		if _, dup := k.working[n]; dup {
			j := slices.IndexFunc(c.WorkingDays, func(o WorkingDay) bool { m, _ := parseDate(o.Date); return m == n })
			return nil, crmtype.Invalidf(f+".date", "%s is also working_days[%d]", w.Date, j)
		}
		if !isWeekday(w.AsWeekday) {
			return nil, crmtype.Invalidf(f+".as_weekday", "%d is not a weekday (0 Sunday to 6 Saturday)", int(w.AsWeekday))
		}
		var cs []clock
		if len(w.Intervals) > 0 {
			if cs, err = parseIntervals(f+".intervals", w.Intervals); err != nil {
				return nil, err
			}
		} else if cs = k.week[w.AsWeekday]; len(cs) == 0 {
			return nil, crmtype.Invalidf(f+".intervals", "are empty, and its as_weekday (%s) has no working time in week", w.AsWeekday)
		}
		if k.working == nil {
			k.working = make(map[int64][]clock, len(c.WorkingDays))
		}
		k.working[n] = cs
	}

	if !weekly && len(c.WorkingDays) == 0 {
		return nil, crmtype.Invalid("week", "has no working time, and there are no working days: the calendar never works")
	}
	return k, nil
}

var weekField = [7]string{"week.sunday", "week.monday", "week.tuesday", "week.wednesday", "week.thursday", "week.friday", "week.saturday"}

func isWeekday(wd time.Weekday) bool { return wd >= time.Sunday && wd <= time.Saturday }

// parseIntervals checks one day's intervals; field is their path, e.g.
// "week.monday".
func parseIntervals(field string, ivs []Interval) ([]clock, error) {
	out := make([]clock, 0, len(ivs))
	for i, iv := range ivs {
		f := func(part string) string { return fmt.Sprintf("%s[%d].%s", field, i, part) }
		from, ok := parseClock(iv.From)
		if !ok || from >= 24*time.Hour {
			return nil, crmtype.Invalidf(f("from"), "%q is not a time of day from 00:00 to 23:59 such as 09:00", iv.From)
		}
		to, ok := parseClock(iv.To)
		if !ok {
			return nil, crmtype.Invalidf(f("to"), "%q is not a time of day from 00:01 to 24:00 such as 18:00", iv.To)
		}
		if to <= from {
			return nil, crmtype.Invalidf(f("to"), "%s is not after from (%s)", iv.To, iv.From)
		}
		if i > 0 && from < out[i-1].to {
			return nil, crmtype.Invalidf(f("from"), "%s is before the end of %s[%d] (%s): intervals must be in order and must not overlap",
				iv.From, field, i-1, ivs[i-1].To)
		}
		out = append(out, clock{from, to})
	}
	return out, nil
}

// parseClock reads "HH:MM", 00:00 to 24:00, as the time since midnight.
func parseClock(s string) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range [...]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// parseDate reads "2006-01-02" as a day number.
func parseDate(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(s string) int {
		n := 0
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 30 February
		return 0, false
	}
	return t.Unix() / 86400, true // a UTC midnight: the division is exact
}

// Day numbers count the dates of the proleptic Gregorian calendar from
// 1970-01-01, which is 0 (a Thursday).

// day returns the number of t's date in the calendar's zone.
func (k *calendar) day(t time.Time) int64 {
	y, m, d := t.In(k.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// midnight returns the wall-clock reading 00:00 of day n, carried in UTC.
func midnight(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

func weekday(n int64) time.Weekday { return time.Weekday((n%7 + 7 + 4) % 7) }

// clocks returns the working intervals of day n.
func (k *calendar) clocks(n int64) []clock {
	if cs, ok := k.working[n]; ok {
		return cs
	}
	if k.holidays[n] {
		return nil
	}
	return k.week[weekday(n)]
}

// spans appends to buf the working intervals of day n as instants, in
// order, leaving out those a forward jump of the clocks empties.
func (k *calendar) spans(n int64, buf []span) []span {
	cs := k.clocks(n)
	if len(cs) == 0 {
		return buf
	}
	m := midnight(n)
	start := reach(m, k.loc)
	// Fast path: the day begins at 00:00 sharp and its zone offset holds
	// for the whole 24 hours, so a reading is midnight plus its offset.
	local := start.In(k.loc)
	_, off := local.Zone()
	_, end := local.ZoneBounds()
	fast := start.Add(time.Duration(off)*time.Second).Equal(m) && (end.IsZero() || end.After(start.Add(24*time.Hour)))
	for _, c := range cs {
		var s span
		if fast {
			s = span{start.Add(c.from), start.Add(c.to)}
		} else {
			s = span{reach(m.Add(c.from), k.loc), reach(m.Add(c.to), k.loc)}
		}
		if s.from.Before(s.to) {
			buf = append(buf, s)
		}
	}
	return buf
}

// reach returns, in UTC, the first instant at which the clock in loc reads
// w or later; w is a wall-clock reading carried in UTC. A reading the
// clocks skip going forward is reached at the moment of the jump; one they
// repeat going back, at its first pass. It assumes the zone changes its
// offset at most once within a day of w, as every IANA zone does.
func reach(w time.Time, loc *time.Location) time.Time {
	if ts := wallclock.Instants(w, loc); len(ts) > 0 {
		return ts[0]
	}
	return wallclock.Jump(w, loc)
}

// How a walk over working intervals ended.
type walkEnd int

const (
	walkStopped walkEnd = iota // fn returned false
	walkLimit                  // the next interval begins at or after the limit
	walkIdle                   // searchDays days in a row without working time
)

// each calls fn with every working interval, as instants, that ends after
// t, in order, until fn returns false. With a non-zero limit it stops
// before the first interval that begins at or after limit. With guard, it
// gives up after searchDays days in a row without working time; without,
// it needs a limit.
func (k *calendar) each(t, limit time.Time, guard bool, fn func(span) bool) walkEnd {
	last := int64(1<<63 - 1)
	if !limit.IsZero() {
		last = k.day(limit) + 1
	}
	idle := 0
	var buf [8]span
	for n := k.day(t) - 1; n <= last; n++ {
		found := false
		for _, s := range k.spans(n, buf[:0]) {
			if !s.to.After(t) {
				continue
			}
			if !limit.IsZero() && !s.from.Before(limit) {
				return walkLimit
			}
			found = true
			if !fn(s) {
				return walkStopped
			}
		}
		if found {
			idle = 0
		} else if idle++; guard && idle > searchDays {
			return walkIdle
		}
	}
	return walkLimit
}

// advance uses up d of working time from t (in UTC), looking no further
// than limit when it is not zero. It returns the instant at which d ran out
// and walkStopped; or what is left of d and walkLimit when limit came
// first; or walkIdle when it found searchDays days in a row without working
// time. A d of 0 or less runs out at t.
func (k *calendar) advance(t time.Time, d time.Duration, limit time.Time) (time.Time, time.Duration, walkEnd) {
	if d <= 0 {
		return t, 0, walkStopped
	}
	if k.allHours {
		if limit.IsZero() || limit.Sub(t) >= d {
			return t.Add(d), 0, walkStopped
		}
		return time.Time{}, d - max(limit.Sub(t), 0), walkLimit
	}
	var end time.Time
	how := k.each(t, limit, true, func(s span) bool {
		from, to := later(s.from, t), s.to
		if !limit.IsZero() && limit.Before(to) {
			to = limit
		}
		if avail := to.Sub(from); avail < d {
			d -= avail
			return true
		}
		end = from.Add(d)
		return false
	})
	return end, d, how
}

// between returns the working time in [a, b), both in UTC.
func (k *calendar) between(a, b time.Time) time.Duration {
	if !a.Before(b) {
		return 0
	}
	if k.allHours {
		return b.Sub(a)
	}
	var sum time.Duration
	k.each(a, b, false, func(s span) bool {
		sum += earlier(s.to, b).Sub(later(s.from, a))
		return true
	})
	return sum
}

// mergePauses returns the pauses that matter at or after from, cut to begin
// no earlier than from, in order and merged where they overlap or touch.
func mergePauses(spans []Span, from time.Time) []pause {
	ps := make([]pause, 0, len(spans))
	for _, s := range spans {
		p := pause{from: later(s.From.UTC(), from), to: s.To.UTC(), open: s.To.IsZero()}
		if !p.open && (!s.To.After(s.From) || !p.to.After(from)) {
			continue
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b pause) int { return a.from.Compare(b.from) })
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 && (out[n-1].open || !p.from.After(out[n-1].to)) {
			last := &out[n-1]
			last.open = last.open || p.open
			if !last.open {
				last.to = later(last.to, p.to)
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
