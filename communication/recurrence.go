package communication

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // load IANA zones on machines without a zoneinfo database
	"unicode/utf8"

	rrule "github.com/teambition/rrule-go"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/wallclock"
)

// Recurrence is an RFC 5545 RRULE evaluated in an IANA zone from a first
// occurrence: "every Monday and Wednesday at 09:00 Europe/Berlin, ten
// times" is
//
//	Recurrence{Rule: "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10", Start: <a Monday 09:00 in Berlin>, Zone: "Europe/Berlin"}
//
// Occurrences are wall-clock times in Zone: a daily 09:00 stays at 09:00
// local time across a daylight-saving change, so its UTC instant moves by
// the size of the change. Two local times need a rule, and Recurrence uses
// the ones RFC 5545 gives for DATE-TIME values (section 3.3.5):
//
//   - a time that does not exist because the clocks go forward (02:30 on
//     29 March 2026 in Berlin) is read with the offset before the gap, so it
//     happens one hour later by the clock, at 03:30 local time;
//   - a time that happens twice because the clocks go back (02:30 on
//     25 October 2026 in Berlin) means the first of the two.
//
// Section 3.8.5.3 of RFC 5545 would instead drop an occurrence that falls
// in the gap; Recurrence keeps it, because a reminder that silently skips a
// day is worse than one an hour late, and calendar programs behave the same
// way. When the shifted time is one the rule produces anyway (an HOURLY
// rule), it occurs once. Results are in UTC.
//
// Start anchors the rule: its local time of day, weekday and day of the
// month are the defaults for BYHOUR, BYMINUTE, BYSECOND, BYDAY and
// BYMONTHDAY, and it is itself an occurrence when it matches the rule (as in
// RFC 5545, a Start that does not match the rule is not an occurrence).
// Start is read to the second.
//
// The zero value is not valid; see Validate for what is. A Recurrence is a
// plain value, safe to copy and to use from several goroutines.
type Recurrence struct {
	// Rule is the RRULE value without the "RRULE:" prefix, e.g.
	// "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10". FREQ may be YEARLY, MONTHLY,
	// WEEKLY, DAILY or HOURLY.
	Rule string
	// Start is the first occurrence (when it matches the rule); any
	// location, it is converted to Zone.
	Start time.Time
	// Zone is the IANA time zone the rule is evaluated in, e.g.
	// "Europe/Berlin" or "UTC".
	Zone string
}

// Bounds of what Recurrence evaluates.
const (
	// minRecurrenceYear is the earliest year of Start: occurrences are found
	// by walking from Start, so an ancient Start would make every Next slow.
	minRecurrenceYear = 1900
	// maxRuleLen caps the length of Rule.
	maxRuleLen = 1000
	// maxInterval caps INTERVAL, far above any use and far below overflow.
	maxInterval = 1_000_000
)

// Validate reports whether r can be evaluated and occurs at least once. It
// returns a *crmtype.ValidationError (errors.Is(err, crmtype.ErrInvalid)) with
// Field
//
//   - "zone" when Zone is empty, "Local" or not an IANA zone;
//   - "start" when Start is zero or, in Zone, before 1900 or after 9999;
//   - "rrule" when Rule is empty or longer than 1000 bytes, does not parse,
//     uses a part RFC 5545 does not define (or DTSTART, which is Start),
//     repeats a part, has a COUNT below 1 or an INTERVAL outside 1 to
//     1000000, has both COUNT and UNTIL, has an UNTIL that is a date
//     without a time, has a FREQ finer than HOURLY, combines parts RFC 5545
//     forbids together (BYWEEKNO without YEARLY, BYYEARDAY with MONTHLY,
//     WEEKLY or DAILY, BYMONTHDAY with WEEKLY, a numbered BYDAY such as
//     -1SU outside MONTHLY and YEARLY or out of range, BYSETPOS alone), has
//     BYSETPOS with HOURLY, or never occurs (e.g.
//     "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", or an UNTIL before Start).
//
// UNTIL may be UTC ("20261231T230000Z") or a local time in Zone
// ("20261231T235959"); it is inclusive.
//
// A rule that never occurs is searched until the year 9999, which takes up
// to about a second for a DAILY or HOURLY rule; every other check is cheap.
func (r Recurrence) Validate() error {
	c, err := r.compile()
	if err != nil {
		return err
	}
	found := false
	if err := c.each(func(time.Time) bool { found = true; return false }); err != nil {
		return crmtype.Invalidf("rrule", "cannot be evaluated: %v", err)
	}
	if !found {
		return crmtype.Invalid("rrule", "never occurs")
	}
	return nil
}

// Next returns the first occurrence strictly after after, in UTC, and true;
// or the zero time and false when the rule has no occurrence after after
// (it is exhausted by COUNT or UNTIL, or r is not valid: see Validate).
//
// Next walks the rule from Start, so its cost grows with the number of
// occurrences between Start and after.
func (r Recurrence) Next(after time.Time) (time.Time, bool) {
	c, err := r.compile()
	if err != nil {
		return time.Time{}, false
	}
	var next time.Time
	c.each(func(t time.Time) bool {
		if t.After(after) {
			next = t
			return false
		}
		return true
	})
	return next, !next.IsZero()
}

// Between returns, in UTC and in order, the occurrences at or after from and
// before to, at most limit of them (limit <= 0: no limit). It returns nil
// when there are none or r is not valid (see Validate).
func (r Recurrence) Between(from, to time.Time, limit int) []time.Time {
	c, err := r.compile()
	if err != nil || !from.Before(to) {
		return nil
	}
	var out []time.Time
	c.each(func(t time.Time) bool {
		if !t.Before(to) {
			return false
		}
		if !t.Before(from) {
			out = append(out, t)
		}
		return limit <= 0 || len(out) < limit
	})
	return out
}

// compiledRecurrence is a Recurrence ready to iterate. The rule runs on
// "floating" times: wall-clock readings in Zone carried in time.UTC, so
// that rrule-go's arithmetic never sees a daylight-saving change; each
// reading is then placed in Zone by wallToInstant. COUNT and UNTIL are
// applied to the placed instants, after gap shifts and duplicates.
type compiledRecurrence struct {
	rule  *rrule.RRule
	loc   *time.Location
	count int       // 0: none
	until time.Time // zero: none
}

// rrule parts RFC 5545 defines, except DTSTART (which is Start).
var rruleParts = map[string]bool{
	"FREQ": true, "UNTIL": true, "COUNT": true, "INTERVAL": true,
	"BYSECOND": true, "BYMINUTE": true, "BYHOUR": true, "BYDAY": true,
	"BYMONTHDAY": true, "BYYEARDAY": true, "BYWEEKNO": true, "BYMONTH": true,
	"BYSETPOS": true, "WKST": true,
}

func (r Recurrence) compile() (*compiledRecurrence, error) {
	zone := strings.TrimSpace(r.Zone)
	if zone == "" {
		return nil, crmtype.Invalid("zone", "is required")
	}
	if zone == "Local" || strings.ContainsRune(zone, 0) {
		return nil, crmtype.Invalidf("zone", "%q is not an IANA time zone", r.Zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, crmtype.Invalidf("zone", "%q is not an IANA time zone", r.Zone)
	}
	if r.Start.IsZero() {
		return nil, crmtype.Invalid("start", "is required")
	}
	start := r.Start.In(loc)
	if start.Year() < minRecurrenceYear || start.Year() > rrule.MAXYEAR {
		return nil, crmtype.Invalidf("start", "must be between the years %d and %d", minRecurrenceYear, rrule.MAXYEAR)
	}

	rule := strings.TrimSpace(r.Rule)
	if !utf8.ValidString(rule) {
		return nil, crmtype.Invalid("rrule", "is not valid UTF-8")
	}
	if len(rule) > 6 && strings.EqualFold(rule[:6], "RRULE:") {
		rule = rule[6:]
	}
	switch {
	case rule == "":
		return nil, crmtype.Invalid("rrule", "is required")
	case len(rule) > maxRuleLen:
		return nil, crmtype.Invalidf("rrule", "is %d bytes long; at most %d are allowed", len(rule), maxRuleLen)
	case strings.ContainsAny(rule, "\r\n"):
		return nil, crmtype.Invalid("rrule", "must be one RRULE value without DTSTART or line breaks")
	}
	rule = strings.ToUpper(rule)
	seen := map[string]string{}
	for _, part := range strings.Split(rule, ";") {
		name, value, ok := strings.Cut(part, "=")
		switch {
		case !ok || value == "":
			return nil, crmtype.Invalidf("rrule", "part %q is not NAME=VALUE", part)
		case name == "DTSTART":
			return nil, crmtype.Invalid("rrule", "must not contain DTSTART: the first occurrence is Start")
		case !rruleParts[name]:
			return nil, crmtype.Invalidf("rrule", "%q is not an RFC 5545 rule part", name)
		case seen[name] != "":
			return nil, crmtype.Invalidf("rrule", "has %s twice", name)
		}
		seen[name] = value
	}
	opt, err := rrule.StrToROptionInLocation(rule, loc)
	if err != nil {
		return nil, crmtype.Invalidf("rrule", "does not parse: %v", err)
	}
	switch {
	case opt.Freq != rrule.YEARLY && opt.Freq != rrule.MONTHLY && opt.Freq != rrule.WEEKLY &&
		opt.Freq != rrule.DAILY && opt.Freq != rrule.HOURLY:
		return nil, crmtype.Invalidf("rrule", "FREQ=%s is not supported: the finest frequency is HOURLY", opt.Freq)
	case seen["COUNT"] != "" && opt.Count < 1:
		return nil, crmtype.Invalid("rrule", "COUNT must be at least 1")
	case seen["INTERVAL"] != "" && (opt.Interval < 1 || opt.Interval > maxInterval):
		return nil, crmtype.Invalidf("rrule", "INTERVAL must be between 1 and %d", maxInterval)
	case seen["COUNT"] != "" && seen["UNTIL"] != "":
		return nil, crmtype.Invalid("rrule", "must not have both COUNT and UNTIL")
	case seen["UNTIL"] != "" && len(seen["UNTIL"]) == len(rrule.DateFormat):
		return nil, crmtype.Invalid("rrule", "UNTIL must be a date-time such as 20261231T235959Z, not a date")
	}

	if err := checkRuleParts(opt, seen); err != nil {
		return nil, err
	}

	c := &compiledRecurrence{loc: loc, count: opt.Count, until: opt.Until}
	opt.Count = 0
	opt.Dtstart = wallClockUTC(start)
	if !c.until.IsZero() {
		// Let the rule run a little past UNTIL by the clock: each reading is
		// compared with UNTIL once placed in the zone.
		opt.Until = wallClockUTC(c.until.In(loc)).Add(48 * time.Hour)
	}
	c.rule, err = rrule.NewRRule(*opt)
	if err != nil {
		return nil, crmtype.Invalidf("rrule", "does not parse: %v", err)
	}
	if opt.Freq == rrule.HOURLY && !hoursReachable(opt.Dtstart.Hour(), max(opt.Interval, 1), opt.Byhour) {
		// rrule-go would loop forever looking for the next hour.
		return nil, crmtype.Invalid("rrule", "never occurs: INTERVAL never reaches a BYHOUR hour")
	}
	return c, nil
}

// checkRuleParts applies the rules of RFC 5545 section 3.3.10 on which
// parts go with which FREQ (rrule-go ignores some and panics on others),
// and refuses BYSETPOS with HOURLY, where a position beyond the hour's
// occurrences would make rrule-go search every hour until the year 9999.
func checkRuleParts(opt *rrule.ROption, seen map[string]string) error {
	freq := opt.Freq
	switch {
	case seen["BYWEEKNO"] != "" && freq != rrule.YEARLY:
		return crmtype.Invalid("rrule", "BYWEEKNO is only for FREQ=YEARLY")
	case seen["BYYEARDAY"] != "" && (freq == rrule.MONTHLY || freq == rrule.WEEKLY || freq == rrule.DAILY):
		return crmtype.Invalidf("rrule", "BYYEARDAY does not go with FREQ=%s", freq)
	case seen["BYMONTHDAY"] != "" && freq == rrule.WEEKLY:
		return crmtype.Invalid("rrule", "BYMONTHDAY does not go with FREQ=WEEKLY")
	case seen["BYSETPOS"] != "" && freq == rrule.HOURLY:
		return crmtype.Invalid("rrule", "BYSETPOS is not supported with FREQ=HOURLY")
	case seen["BYSETPOS"] != "" && len(seen) == 2+len(presentParts(seen, "COUNT", "UNTIL", "INTERVAL", "WKST")):
		return crmtype.Invalid("rrule", "BYSETPOS needs another BYxxx part to select from")
	}
	// The n of BYDAY=nMO: the nth Monday of the month or year.
	limit := 0
	switch {
	case freq == rrule.MONTHLY, freq == rrule.YEARLY && seen["BYMONTH"] != "":
		limit = 5
	case freq == rrule.YEARLY && seen["BYWEEKNO"] == "":
		limit = 53
	}
	for _, d := range opt.Byweekday {
		if n := d.N(); n != 0 && (n > limit || n < -limit) {
			if limit == 0 {
				return crmtype.Invalidf("rrule", "BYDAY=%s: a numbered weekday is only for FREQ=MONTHLY or YEARLY (without BYWEEKNO)", d)
			}
			return crmtype.Invalidf("rrule", "BYDAY=%s: the number must be between -%d and %d, not 0", d, limit, limit)
		}
	}
	return nil
}

// presentParts returns the names among names that seen has.
func presentParts(seen map[string]string, names ...string) []string {
	var out []string
	for _, n := range names {
		if seen[n] != "" {
			out = append(out, n)
		}
	}
	return out
}

// each calls fn with every occurrence in order, in UTC, until fn returns
// false or the rule ends. It returns an error, having stopped, if rrule-go
// panics on a rule it accepted.
func (c *compiledRecurrence) each(fn func(time.Time) bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rrule-go: %v", p)
		}
	}()
	next := c.rule.Iterator()
	var last time.Time
	n := 0
	for {
		w, ok := next()
		if !ok {
			return nil
		}
		t := wallToInstant(w, c.loc)
		if n > 0 && !t.After(last) {
			continue // a gap shift landed on (or before) a time already produced
		}
		if !c.until.IsZero() && t.After(c.until) {
			continue
		}
		n++
		last = t
		if !fn(t.UTC()) || (c.count > 0 && n >= c.count) {
			return nil
		}
	}
}

// wallClockUTC returns the wall-clock reading of t, truncated to the second,
// as a time in UTC.
func wallClockUTC(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// wallToInstant places the wall-clock reading w (carried in UTC) in loc. A
// reading that occurs twice (clocks going back) is the first of the two; one
// that does not occur (clocks going forward) is read with the offset in
// effect before the gap, i.e. it lands after the gap by the gap's length.
// This is RFC 5545 section 3.3.5; time.Date leaves both cases unspecified
// (and in practice picks the later reading in some zones).
func wallToInstant(w time.Time, loc *time.Location) time.Time {
	if ts := wallclock.Instants(w, loc); len(ts) > 0 {
		return ts[0]
	}
	return wallclock.ShiftedByGap(w, loc)
}

// hoursReachable reports whether an HOURLY rule stepping interval hours from
// hour h0 ever reaches an hour of the day in byhour (any hour when empty).
func hoursReachable(h0, interval int, byhour []int) bool {
	if len(byhour) == 0 {
		return true
	}
	g := gcdInt(interval, 24)
	for _, h := range byhour {
		if ((h-h0)%g+g)%g == 0 {
			return true
		}
	}
	return false
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
