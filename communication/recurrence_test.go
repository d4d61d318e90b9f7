package communication_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/communication"
)

func mustLoadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func utcTime(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func TestRecurrenceValidate(t *testing.T) {
	berlin := mustLoadZone(t, "Europe/Berlin")
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, berlin) // a Monday
	tests := []struct {
		name   string
		rule   string
		zone   string
		start  time.Time
		field  string // "" when valid
		reason string
	}{
		{name: "weekly", rule: "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"},
		{name: "lower case", rule: "freq=daily;interval=2"},
		{name: "RRULE prefix", rule: "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1"},
		{name: "yearly on 29 Feb", rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"},
		{name: "until in UTC", rule: "FREQ=DAILY;UNTIL=20260310T080000Z"},
		{name: "until local", rule: "FREQ=DAILY;UNTIL=20260310T090000"},
		{name: "hourly reachable", rule: "FREQ=HOURLY;INTERVAL=6;BYHOUR=3,15"},
		{name: "UTC zone", rule: "FREQ=DAILY", zone: "UTC"},
		{name: "start in another zone", rule: "FREQ=DAILY", start: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)},

		{name: "empty", rule: " ", field: "rrule", reason: "required"},
		{name: "unknown frequency", rule: "FREQ=SOMETIMES", field: "rrule", reason: "does not parse"},
		{name: "no frequency", rule: "BYDAY=MO", field: "rrule", reason: "FREQ is required"},
		{name: "not NAME=VALUE", rule: "FREQ=DAILY;COUNT", field: "rrule", reason: "not NAME=VALUE"},
		{name: "extension part", rule: "FREQ=DAILY;X-NAME=1", field: "rrule", reason: "not an RFC 5545 rule part"},
		{name: "BYEASTER", rule: "FREQ=YEARLY;BYEASTER=0", field: "rrule", reason: "not an RFC 5545 rule part"},
		{name: "DTSTART", rule: "FREQ=DAILY;DTSTART=20260101T000000Z", field: "rrule", reason: "DTSTART"},
		{name: "two lines", rule: "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY", field: "rrule", reason: "line breaks"},
		{name: "repeated part", rule: "FREQ=DAILY;COUNT=2;COUNT=3", field: "rrule", reason: "COUNT twice"},
		{name: "count 0", rule: "FREQ=DAILY;COUNT=0", field: "rrule", reason: "COUNT must be at least 1"},
		{name: "count negative", rule: "FREQ=DAILY;COUNT=-1", field: "rrule", reason: "COUNT must be at least 1"},
		{name: "interval 0", rule: "FREQ=DAILY;INTERVAL=0", field: "rrule", reason: "INTERVAL must be between"},
		{name: "interval huge", rule: "FREQ=DAILY;INTERVAL=9223372036854775807", field: "rrule", reason: "INTERVAL must be between"},
		{name: "count and until", rule: "FREQ=DAILY;COUNT=2;UNTIL=20261231T000000Z", field: "rrule", reason: "both COUNT and UNTIL"},
		{name: "until a date", rule: "FREQ=DAILY;UNTIL=20261231", field: "rrule", reason: "not a date"},
		{name: "minutely", rule: "FREQ=MINUTELY;INTERVAL=15", field: "rrule", reason: "finest frequency is HOURLY"},
		{name: "secondly", rule: "FREQ=SECONDLY", field: "rrule", reason: "finest frequency is HOURLY"},
		{name: "hour out of range", rule: "FREQ=DAILY;BYHOUR=24", field: "rrule", reason: "byhour must be between 0 and 23"},
		{name: "bad weekday", rule: "FREQ=WEEKLY;BYDAY=XX", field: "rrule", reason: "does not parse"},
		{name: "31 February", rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", field: "rrule", reason: "never occurs"},
		{name: "until before start", rule: "FREQ=DAILY;UNTIL=20260101T000000Z", field: "rrule", reason: "never occurs"},
		{name: "hourly never reaching its hour", rule: "FREQ=HOURLY;INTERVAL=24;BYHOUR=5", field: "rrule", reason: "never occurs"},
		{name: "invalid UTF-8", rule: "FREQ=DAILY;\xff", field: "rrule", reason: "UTF-8"},

		{name: "no zone", rule: "FREQ=DAILY", zone: "-", field: "zone", reason: "required"},
		{name: "unknown zone", rule: "FREQ=DAILY", zone: "Mars/Olympus_Mons", field: "zone", reason: "not an IANA time zone"},
		{name: "Local", rule: "FREQ=DAILY", zone: "Local", field: "zone", reason: "not an IANA time zone"},
		{name: "no start", rule: "FREQ=DAILY", start: time.Time{}, field: "start", reason: "required"},
		{name: "ancient start", rule: "FREQ=DAILY", start: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), field: "start", reason: "between the years 1900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := communication.Recurrence{Rule: tc.rule, Start: start, Zone: "Europe/Berlin"}
			switch tc.zone {
			case "":
			case "-":
				r.Zone = ""
			default:
				r.Zone = tc.zone
			}
			if tc.field == "start" || !tc.start.IsZero() {
				r.Start = tc.start
			}
			err := r.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				_, ok := r.Next(r.Start.Add(-time.Second))
				require.True(t, ok)
				return
			}
			requireValidationError(t, err, tc.field, tc.reason)
			// An invalid recurrence has no occurrences.
			_, ok := r.Next(time.Time{})
			require.False(t, ok)
			require.Nil(t, r.Between(time.Time{}, utcTime(3000, 1, 1, 0, 0), 0))
		})
	}
}

// TestRecurrenceDST checks occurrences across the 2026 daylight-saving
// changes: Europe/Berlin goes forward at 02:00 on 29 March and back at 03:00
// on 25 October; America/New_York forward at 02:00 on 8 March and back at
// 02:00 on 1 November.
func TestRecurrenceDST(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		rule  string
		start [5]int // local year, month, day, hour, minute
		want  []time.Time
	}{
		{
			name: "Berlin 09:00 daily into summer time", zone: "Europe/Berlin", rule: "FREQ=DAILY;COUNT=4",
			start: [5]int{2026, 3, 27, 9, 0},
			// 09:00 CET is 08:00 UTC, 09:00 CEST is 07:00 UTC.
			want: []time.Time{utcTime(2026, 3, 27, 8, 0), utcTime(2026, 3, 28, 8, 0), utcTime(2026, 3, 29, 7, 0), utcTime(2026, 3, 30, 7, 0)},
		},
		{
			name: "Berlin 09:00 daily into winter time", zone: "Europe/Berlin", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 10, 24, 9, 0},
			want:  []time.Time{utcTime(2026, 10, 24, 7, 0), utcTime(2026, 10, 25, 8, 0), utcTime(2026, 10, 26, 8, 0)},
		},
		{
			name: "Berlin 02:30 daily: the gap moves it to 03:30", zone: "Europe/Berlin", rule: "FREQ=DAILY;COUNT=4",
			start: [5]int{2026, 3, 27, 2, 30},
			// 29 March 02:30 does not exist: read with CET (+01:00) it is 01:30
			// UTC, 03:30 CEST. The next day is 02:30 CEST again.
			want: []time.Time{utcTime(2026, 3, 27, 1, 30), utcTime(2026, 3, 28, 1, 30), utcTime(2026, 3, 29, 1, 30), utcTime(2026, 3, 30, 0, 30)},
		},
		{
			name: "Berlin 02:30 daily: the repeated hour takes the first", zone: "Europe/Berlin", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 10, 24, 2, 30},
			// 25 October 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET).
			want: []time.Time{utcTime(2026, 10, 24, 0, 30), utcTime(2026, 10, 25, 0, 30), utcTime(2026, 10, 26, 1, 30)},
		},
		{
			name: "Berlin hourly across the gap", zone: "Europe/Berlin", rule: "FREQ=HOURLY;COUNT=4",
			start: [5]int{2026, 3, 29, 1, 30},
			// 01:30 CET, 02:30 (= 03:30 CEST), 03:30 CEST once only, 04:30 CEST.
			want: []time.Time{utcTime(2026, 3, 29, 0, 30), utcTime(2026, 3, 29, 1, 30), utcTime(2026, 3, 29, 2, 30), utcTime(2026, 3, 29, 3, 30)},
		},
		{
			name: "Berlin hourly across the repeated hour", zone: "Europe/Berlin", rule: "FREQ=HOURLY;COUNT=3",
			start: [5]int{2026, 10, 25, 1, 30},
			// Wall-clock hours: 01:30 CEST, 02:30 CEST (the first), 03:30 CET.
			want: []time.Time{utcTime(2026, 10, 24, 23, 30), utcTime(2026, 10, 25, 0, 30), utcTime(2026, 10, 25, 2, 30)},
		},
		{
			name: "New York 09:00 daily into daylight time", zone: "America/New_York", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 3, 7, 9, 0},
			want:  []time.Time{utcTime(2026, 3, 7, 14, 0), utcTime(2026, 3, 8, 13, 0), utcTime(2026, 3, 9, 13, 0)},
		},
		{
			name: "New York 09:00 daily into standard time", zone: "America/New_York", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 10, 31, 9, 0},
			want:  []time.Time{utcTime(2026, 10, 31, 13, 0), utcTime(2026, 11, 1, 14, 0), utcTime(2026, 11, 2, 14, 0)},
		},
		{
			name: "New York 02:30 daily: the gap moves it to 03:30", zone: "America/New_York", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 3, 7, 2, 30},
			// 8 March 02:30 read with EST (-05:00) is 07:30 UTC, 03:30 EDT.
			want: []time.Time{utcTime(2026, 3, 7, 7, 30), utcTime(2026, 3, 8, 7, 30), utcTime(2026, 3, 9, 6, 30)},
		},
		{
			name: "New York 01:30 daily: the repeated hour takes the first", zone: "America/New_York", rule: "FREQ=DAILY;COUNT=3",
			start: [5]int{2026, 10, 31, 1, 30},
			// 1 November 01:30 EDT (05:30 UTC), not 01:30 EST (06:30 UTC).
			want: []time.Time{utcTime(2026, 10, 31, 5, 30), utcTime(2026, 11, 1, 5, 30), utcTime(2026, 11, 2, 6, 30)},
		},
		{
			name: "New York weekly Sunday 02:30 meets the gap", zone: "America/New_York", rule: "FREQ=WEEKLY;BYDAY=SU;COUNT=3",
			start: [5]int{2026, 3, 1, 2, 30},
			want:  []time.Time{utcTime(2026, 3, 1, 7, 30), utcTime(2026, 3, 8, 7, 30), utcTime(2026, 3, 15, 6, 30)},
		},
		{
			name: "Berlin monthly on the last Sunday at 02:30", zone: "Europe/Berlin", rule: "FREQ=MONTHLY;BYDAY=-1SU;COUNT=3",
			start: [5]int{2026, 2, 22, 2, 30},
			// 22 Feb CET; 29 Mar in the gap (03:30 CEST); 26 Apr CEST.
			want: []time.Time{utcTime(2026, 2, 22, 1, 30), utcTime(2026, 3, 29, 1, 30), utcTime(2026, 4, 26, 0, 30)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoadZone(t, tc.zone)
			s := tc.start
			r := communication.Recurrence{Rule: tc.rule, Zone: tc.zone, Start: time.Date(s[0], time.Month(s[1]), s[2], s[3], s[4], 0, 0, loc)}
			require.NoError(t, r.Validate())
			got := r.Between(utcTime(2026, 1, 1, 0, 0), utcTime(2027, 1, 1, 0, 0), 0)
			require.Equal(t, tc.want, got)
			for _, g := range got {
				require.Equal(t, time.UTC, g.Location())
			}
			// Next walks the same occurrences.
			var next []time.Time
			for at := r.Start.Add(-time.Second); ; {
				n, ok := r.Next(at)
				if !ok {
					break
				}
				next = append(next, n)
				at = n
			}
			require.Equal(t, tc.want, next)
		})
	}
}

// TestRecurrenceWallClock checks a whole year of a daily 09:00 in both zones:
// always 09:00 local time, so the UTC hour changes with daylight saving.
func TestRecurrenceWallClock(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"} {
		loc := mustLoadZone(t, zone)
		r := communication.Recurrence{Rule: "FREQ=DAILY", Zone: zone, Start: time.Date(2026, 1, 1, 9, 0, 0, 0, loc)}
		got := r.Between(utcTime(2026, 1, 1, 0, 0), utcTime(2027, 1, 1, 0, 0), 0)
		require.Len(t, got, 365, zone)
		hours := map[int]bool{}
		for i, g := range got {
			l := g.In(loc)
			require.Equal(t, [2]int{9, 0}, [2]int{l.Hour(), l.Minute()}, "%s occurrence %d: %s", zone, i, l)
			hours[g.Hour()*60+g.Minute()] = true
		}
		if zone == "Asia/Shanghai" {
			require.Len(t, hours, 1)
		} else {
			require.Len(t, hours, 2, zone) // Lord Howe moves by 30 minutes: 22:00 and 22:30 UTC
		}
	}
}

func TestRecurrenceNextAndBetween(t *testing.T) {
	berlin := mustLoadZone(t, "Europe/Berlin")
	tuesday := time.Date(2026, 3, 3, 9, 0, 0, 0, berlin)
	weekly := communication.Recurrence{Rule: "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4", Zone: "Europe/Berlin", Start: tuesday}
	// Start is a Tuesday: it anchors the rule but is not an occurrence.
	all := []time.Time{utcTime(2026, 3, 4, 8, 0), utcTime(2026, 3, 9, 8, 0), utcTime(2026, 3, 11, 8, 0), utcTime(2026, 3, 16, 8, 0)}

	tests := []struct {
		name  string
		after time.Time
		want  time.Time // zero: none
	}{
		{"before start", time.Time{}, all[0]},
		{"at start", tuesday, all[0]},
		{"strictly after an occurrence", all[1], all[2]},
		{"just before an occurrence", all[2].Add(-time.Nanosecond), all[2]},
		{"after the last", all[3], time.Time{}},
		{"long after", utcTime(2030, 1, 1, 0, 0), time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := weekly.Next(tc.after)
			require.Equal(t, !tc.want.IsZero(), ok)
			require.Equal(t, tc.want, got)
		})
	}

	require.Equal(t, all, weekly.Between(time.Time{}, utcTime(2100, 1, 1, 0, 0), 0))
	require.Equal(t, all[:2], weekly.Between(time.Time{}, utcTime(2100, 1, 1, 0, 0), 2))
	require.Equal(t, all[1:3], weekly.Between(all[1], all[3], 0), "from is inclusive, to exclusive")
	require.Nil(t, weekly.Between(all[3], all[1], 0))
	require.Nil(t, weekly.Between(all[1], all[1], 0))

	// UNTIL is inclusive and compared as an instant, in UTC or local form.
	for _, until := range []string{"20260311T080000Z", "20260311T090000"} {
		r := communication.Recurrence{Rule: "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=" + until, Zone: "Europe/Berlin", Start: tuesday}
		require.Equal(t, all[:3], r.Between(time.Time{}, utcTime(2100, 1, 1, 0, 0), 0), until)
	}

	// An endless rule stops at to, or at the limit.
	daily := communication.Recurrence{Rule: "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", Zone: "Asia/Shanghai", Start: time.Date(2020, 1, 1, 18, 30, 0, 0, mustLoadZone(t, "Asia/Shanghai"))}
	require.Len(t, daily.Between(utcTime(2026, 3, 2, 0, 0), utcTime(2026, 3, 9, 0, 0), 0), 5)
	require.Len(t, daily.Between(utcTime(2026, 1, 1, 0, 0), utcTime(2100, 1, 1, 0, 0), 100), 100)
	n, ok := daily.Next(utcTime(2026, 3, 6, 10, 30)) // Friday 18:30 in Shanghai is exactly 10:30 UTC
	require.True(t, ok)
	require.Equal(t, utcTime(2026, 3, 9, 10, 30), n)

	// The 31st of each month skips the short months.
	monthly := communication.Recurrence{Rule: "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", Zone: "UTC", Start: utcTime(2026, 1, 31, 12, 0)}
	require.Equal(t, []time.Time{utcTime(2026, 1, 31, 12, 0), utcTime(2026, 3, 31, 12, 0), utcTime(2026, 5, 31, 12, 0)},
		monthly.Between(time.Time{}, utcTime(2100, 1, 1, 0, 0), 0))
}
