package service

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// calendar: in full the first time, and then, while it is among those used
// lately, by comparing it with what it was (so a calendar changed between
// calls is seen as it is). The zone is loaded once per process.
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
	var zp period
	for m := n - 1; m <= n+1; m++ {
		for _, s := range k.spans(m, buf[:0], &zp) {
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
	holidays []int64       // day numbers, in order (a date may repeat)
	working  []workingDate // in order of day, each day once
}

// workingDate is a WorkingDays entry made ready.
type workingDate struct {
	day    int64
	index  int // in WorkingDays
	clocks []clock
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
	if loc, ok := zones.Load(name); ok { // the name as given, most often already trimmed
		return loc.(*time.Location), nil
	}
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

// compiled remembers calendars compiled lately, each beside a copy of the
// fields it was compiled from. A call whose calendar equals a copy, field
// by field, uses the compiled form: checking a calendar then costs a
// comparison rather than a compilation, and a calendar changed since (or
// a copy changed apart) compiles anew, as it differs. The slots are
// overwritten, never added to, and what they hold is never modified.
var compiled [64]atomic.Pointer[compiledEntry]

type compiledEntry struct {
	zone     string
	weekDays []time.Weekday // the keys of Week
	week     [][]Interval   // their values
	holidays []string       // the dates of Holidays
	working  []WorkingDay   // WorkingDays without their names
	k        *calendar
}

// compile checks c and makes it ready for arithmetic. Every method calls
// it: see compiled.
func (c *Calendar) compile() (*calendar, error) {
	if c == nil {
		return nil, crmtype.Invalid("calendar", "is required")
	}
	slot := &compiled[(maphash.String(compiledSeed, c.Zone)+uint64(len(c.Holidays))*31+uint64(len(c.WorkingDays)))%uint64(len(compiled))]
	if e := slot.Load(); e != nil && e.matches(c) {
		return e.k, nil
	}
	k, err := c.compileAnew()
	if err != nil {
		return nil, err
	}
	e := &compiledEntry{zone: c.Zone, k: k}
	for wd, ivs := range c.Week {
		e.weekDays = append(e.weekDays, wd)
		e.week = append(e.week, slices.Clone(ivs))
	}
	if len(c.Holidays) > 0 {
		e.holidays = make([]string, len(c.Holidays))
		for i, h := range c.Holidays {
			e.holidays[i] = h.Date
		}
	}
	for _, w := range c.WorkingDays {
		e.working = append(e.working, WorkingDay{Date: w.Date, Intervals: slices.Clone(w.Intervals), AsWeekday: w.AsWeekday})
	}
	slot.Store(e)
	return k, nil
}

var compiledSeed = maphash.MakeSeed()

// matches reports whether c is the calendar e was compiled from, in every
// field that counts.
func (e *compiledEntry) matches(c *Calendar) bool {
	if c.Zone != e.zone || c.AllHours != e.k.allHours || len(c.Week) != len(e.weekDays) ||
		len(c.Holidays) != len(e.holidays) || len(c.WorkingDays) != len(e.working) {
		return false
	}
	for i, wd := range e.weekDays { // the same number of keys, all of them in c.Week
		ivs, ok := c.Week[wd]
		if !ok || !slices.Equal(ivs, e.week[i]) {
			return false
		}
	}
	for i, h := range c.Holidays {
		if h.Date != e.holidays[i] {
			return false
		}
	}
	for i, w := range c.WorkingDays {
		if o := &e.working[i]; w.Date != o.Date || w.AsWeekday != o.AsWeekday || !slices.Equal(w.Intervals, o.Intervals) {
			return false
		}
	}
	return true
}

// compileAnew does the work of compile. It avoids maps and allocates
// little: a few slices, whatever the size of the calendar.
func (c *Calendar) compileAnew() (*calendar, error) {
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

	// All intervals, of Week and of WorkingDays, share one array.
	n := 0
	for wd, ivs := range c.Week {
		if !isWeekday(wd) {
			bad := wd // report the least key that is not a weekday
			for wd := range c.Week {
				if !isWeekday(wd) && wd < bad {
					bad = wd
				}
			}
			return nil, crmtype.Invalidf("week", "has the key %d, which is not a weekday (0 Sunday to 6 Saturday)", int(bad))
		}
		n += len(ivs)
	}
	for _, w := range c.WorkingDays {
		n += len(w.Intervals)
	}
	clocks := make([]clock, 0, n)

	weekly := false
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		from := len(clocks)
		if clocks, err = parseIntervals(func() string { return weekField[wd] }, c.Week[wd], clocks); err != nil {
			return nil, err
		}
		k.week[wd] = clocks[from:len(clocks):len(clocks)]
		weekly = weekly || len(clocks) > from
	}

	if len(c.Holidays) > 0 {
		k.holidays = make([]int64, len(c.Holidays))
		for i, h := range c.Holidays {
			n, ok := parseDate(h.Date)
			if !ok {
				return nil, crmtype.Invalidf("holidays["+strconv.Itoa(i)+"].date", "%q is not a date such as 2026-10-01", h.Date)
			}
			k.holidays[i] = n
		}
		if !slices.IsSorted(k.holidays) {
			slices.Sort(k.holidays)
		}
	}

	if len(c.WorkingDays) > 0 {
		k.working = make([]workingDate, 0, len(c.WorkingDays))
	}
	for i, w := range c.WorkingDays {
		f := func() string { return "working_days[" + strconv.Itoa(i) + "]" }
		n, ok := parseDate(w.Date)
		if !ok {
			return nil, crmtype.Invalidf(f()+".date", "%q is not a date such as 2026-10-10", w.Date)
		}
		if k.isHoliday(n) {
			j := slices.IndexFunc(c.Holidays, func(h Day) bool { m, _ := parseDate(h.Date); return m == n })
			return nil, crmtype.Invalidf(f()+".date", "%s is also holidays[%d]", w.Date, j)
		}
		// Kept in order by inserting: at the end when the dates come in
		// order, as they mostly do.
		at, dup := slices.BinarySearchFunc(k.working, n, func(w workingDate, n int64) int { return cmp.Compare(w.day, n) })
		if dup {
			return nil, crmtype.Invalidf(f()+".date", "%s is also working_days[%d]", w.Date, k.working[at].index)
		}
		if !isWeekday(w.AsWeekday) {
			return nil, crmtype.Invalidf(f()+".as_weekday", "%d is not a weekday (0 Sunday to 6 Saturday)", int(w.AsWeekday))
		}
		var cs []clock
		if len(w.Intervals) > 0 {
			from := len(clocks)
			if clocks, err = parseIntervals(func() string { return f() + ".intervals" }, w.Intervals, clocks); err != nil {
				return nil, err
			}
			cs = clocks[from:len(clocks):len(clocks)]
		} else if cs = k.week[w.AsWeekday]; len(cs) == 0 {
			return nil, crmtype.Invalidf(f()+".intervals", "are empty, and its as_weekday (%s) has no working time in week", w.AsWeekday)
		}
		k.working = slices.Insert(k.working, at, workingDate{day: n, index: i, clocks: cs})
	}

	if !weekly && len(c.WorkingDays) == 0 {
		return nil, crmtype.Invalid("week", "has no working time, and there are no working days: the calendar never works")
	}
	return k, nil
}

var weekField = [7]string{"week.sunday", "week.monday", "week.tuesday", "week.wednesday", "week.thursday", "week.friday", "week.saturday"}

func isWeekday(wd time.Weekday) bool { return wd >= time.Sunday && wd <= time.Saturday }

// parseIntervals checks one day's intervals and appends them to out;
// field gives their path, e.g. "week.monday", for an error.
func parseIntervals(field func() string, ivs []Interval, out []clock) ([]clock, error) {
	first := len(out)
	for i, iv := range ivs {
		f := func(part string) string { return fmt.Sprintf("%s[%d].%s", field(), i, part) }
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
		if i > 0 && from < out[first+i-1].to {
			return nil, crmtype.Invalidf(f("from"), "%s is before the end of %s[%d] (%s): intervals must be in order and must not overlap",
				iv.From, field(), i-1, ivs[i-1].To)
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
	h, ok1 := digits(s[:2])
	m, ok2 := digits(s[3:])
	if !ok1 || !ok2 || h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// parseDate reads "2006-01-02" as a day number.
func parseDate(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return 0, false
	}
	return dayNumber(y, m, d), true
}

// digits reads a string of decimal digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// daysIn returns the number of days of month m of year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// dayNumber returns the day number of y-m-d, for years 0 to 9999
// (Howard Hinnant's days_from_civil, the year counted from March).
func dayNumber(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := (y + 400) / 400 // y+400 keeps year -1 (January and February of year 0) non-negative
	era--
	yoe := y - era*400 // 0 to 399
	mp := (m + 9) % 12 // March 0 to February 11
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
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
	if len(k.working) > 0 {
		if i, ok := slices.BinarySearchFunc(k.working, n, func(w workingDate, n int64) int { return cmp.Compare(w.day, n) }); ok {
			return k.working[i].clocks
		}
	}
	if k.isHoliday(n) {
		return nil
	}
	return k.week[weekday(n)]
}

// isHoliday reports whether day n is among the holidays.
func (k *calendar) isHoliday(n int64) bool {
	_, ok := slices.BinarySearch(k.holidays, n)
	return ok
}

// period is a stretch of time over which loc keeps one offset (off
// seconds), from begin to end; a spans call remembers the last one it met
// in it so that the days of a walk need no look-up in the zone.
type period struct {
	begin, end time.Time
	off        int
}

// spans appends to buf the working intervals of day n as instants, in
// order, leaving out those a forward jump of the clocks empties. zp
// carries the zone's period from one call to the next; it starts zero.
func (k *calendar) spans(n int64, buf []span, zp *period) []span {
	cs := k.clocks(n)
	if len(cs) == 0 {
		return buf
	}
	m := midnight(n)
	// Fast path: the zone keeps one offset from a day before midnight to a
	// day after, so the day's midnight happens once and a reading is
	// midnight plus its offset. (A day either side is enough: no zone has
	// changed its offset by more than 24 hours at once.)
	start := m.Add(-time.Duration(zp.off) * time.Second)
	fast := zp.begin.Before(start.Add(-24*time.Hour)) && zp.end.After(start.Add(24*time.Hour))
	if !fast { // a new period, or near a change
		_, off := m.In(k.loc).Zone()
		start = m.Add(-time.Duration(off) * time.Second)
		local := start.In(k.loc)
		_, o := local.Zone()
		begin, end := local.ZoneBounds()
		if begin.IsZero() {
			begin = time.Unix(-1<<62, 0) // no change before
		}
		if end.IsZero() {
			end = time.Unix(1<<62, 0) // no change after
		}
		*zp = period{begin: begin, end: end, off: o}
		fast = o == off && begin.Before(start.Add(-24*time.Hour)) && end.After(start.Add(24*time.Hour))
	}
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
	var zp period
	for n := k.day(t) - 1; n <= last; n++ {
		found := false
		for _, s := range k.spans(n, buf[:0], &zp) {
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
