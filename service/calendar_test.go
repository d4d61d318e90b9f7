package service_test

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// officeWeek is 09:00-12:00 and 13:00-18:00, Monday to Friday: 40 hours.
func officeWeek() map[time.Weekday][]service.Interval {
	day := []service.Interval{{From: "09:00", To: "12:00"}, {From: "13:00", To: "18:00"}}
	return map[time.Weekday][]service.Interval{
		time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
	}
}

// china2026 is an office calendar of China's mainland with the National Day
// and Mid-Autumn Festival holidays of 2026 and their adjusted working days,
// as the State Council's notice on the 2026 holidays (国务院办公厅关于2026年部分
// 节假日安排的通知, 4 November 2025) sets them: Mid-Autumn Festival 25 to 27
// September; National Day 1 to 7 October, with Sunday 20 September and
// Saturday 10 October worked instead.
func china2026() *service.Calendar {
	cal := &service.Calendar{
		Zone: "Asia/Shanghai",
		Week: officeWeek(),
		WorkingDays: []service.WorkingDay{
			{Date: "2026-09-20", Name: "National Day (adjusted)", AsWeekday: time.Monday},
			{Date: "2026-10-10", Name: "National Day (adjusted)", AsWeekday: time.Monday},
		},
	}
	for _, d := range []string{"2026-09-25", "2026-09-26", "2026-09-27"} {
		cal.Holidays = append(cal.Holidays, service.Day{Date: d, Name: "Mid-Autumn Festival"})
	}
	for d := 1; d <= 7; d++ {
		cal.Holidays = append(cal.Holidays, service.Day{Date: "2026-10-0" + strconv.Itoa(d), Name: "National Day"})
	}
	return cal
}

func TestCalendarValidate(t *testing.T) {
	iv := func(from, to string) []service.Interval { return []service.Interval{{From: from, To: to}} }
	tests := []struct {
		name   string
		cal    *service.Calendar
		field  string // "" when valid
		reason string
	}{
		{name: "office", cal: &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}},
		{name: "china 2026", cal: china2026()},
		{name: "24x7", cal: &service.Calendar{Zone: "UTC", AllHours: true}},
		{name: "whole day", cal: &service.Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{time.Sunday: iv("00:00", "24:00")}}},
		{name: "touching intervals", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{
			time.Monday: {{From: "09:00", To: "12:00"}, {From: "12:00", To: "13:00"}}}}},
		{name: "only working days", cal: &service.Calendar{Zone: "UTC", WorkingDays: []service.WorkingDay{
			{Date: "2026-10-10", Intervals: iv("09:00", "17:00")}}}},
		{name: "holiday twice", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), Holidays: []service.Day{
			{Date: "2026-10-01"}, {Date: "2026-10-01", Name: "again"}}}},
		{name: "working day on a working weekday", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{
			{Date: "2026-12-24", Name: "half day", Intervals: iv("09:00", "12:00")}}}},
		{name: "zone with spaces", cal: &service.Calendar{Zone: " UTC ", AllHours: true}},

		{name: "nil", cal: nil, field: "calendar", reason: "required"},
		{name: "no zone", cal: &service.Calendar{AllHours: true}, field: "zone", reason: "required"},
		{name: "unknown zone", cal: &service.Calendar{Zone: "Mars/Olympus_Mons", AllHours: true}, field: "zone", reason: "not an IANA time zone"},
		{name: "Local", cal: &service.Calendar{Zone: "Local", AllHours: true}, field: "zone", reason: "not an IANA time zone"},
		{name: "empty", cal: &service.Calendar{Zone: "UTC"}, field: "week", reason: "never works"},
		{name: "empty days", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: {}}}, field: "week", reason: "never works"},
		{name: "24x7 with a week", cal: &service.Calendar{Zone: "UTC", AllHours: true, Week: officeWeek()}, field: "week", reason: "all_hours"},
		{name: "24x7 with holidays", cal: &service.Calendar{Zone: "UTC", AllHours: true, Holidays: []service.Day{{Date: "2026-12-25"}}}, field: "holidays", reason: "all_hours"},
		{name: "24x7 with working days", cal: &service.Calendar{Zone: "UTC", AllHours: true, WorkingDays: []service.WorkingDay{{Date: "2026-12-26", AsWeekday: time.Monday}}}, field: "working_days", reason: "all_hours"},
		{name: "unknown weekday", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{9: iv("09:00", "17:00"), 8: iv("09:00", "17:00")}}, field: "week", reason: "key 8"},
		{name: "bad from", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: iv("9:00", "17:00")}}, field: "week.monday[0].from", reason: "not a time of day"},
		{name: "from 24:00", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: iv("24:00", "24:00")}}, field: "week.monday[0].from", reason: "not a time of day"},
		{name: "minute 60", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: iv("09:60", "17:00")}}, field: "week.monday[0].from", reason: "not a time of day"},
		{name: "seconds", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: iv("09:00", "17:00:00")}}, field: "week.monday[0].to", reason: "not a time of day"},
		{name: "24:30", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Monday: iv("09:00", "24:30")}}, field: "week.monday[0].to", reason: "not a time of day"},
		{name: "empty interval", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Friday: iv("09:00", "09:00")}}, field: "week.friday[0].to", reason: "not after from"},
		{name: "backwards", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{time.Friday: iv("22:00", "06:00")}}, field: "week.friday[0].to", reason: "not after from"},
		{name: "overlap", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{
			time.Monday: {{From: "09:00", To: "12:00"}, {From: "11:00", To: "18:00"}}}}, field: "week.monday[1].from", reason: "must not overlap"},
		{name: "unordered", cal: &service.Calendar{Zone: "UTC", Week: map[time.Weekday][]service.Interval{
			time.Tuesday: {{From: "13:00", To: "18:00"}, {From: "09:00", To: "12:00"}}}}, field: "week.tuesday[1].from", reason: "in order"},
		{name: "bad holiday", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), Holidays: []service.Day{{Date: "2026-10-01"}, {Date: "2026-02-30"}}}, field: "holidays[1].date", reason: "not a date"},
		{name: "holiday with a time", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), Holidays: []service.Day{{Date: "2026-10-01T00:00:00Z"}}}, field: "holidays[0].date", reason: "not a date"},
		{name: "bad working day", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{{Date: "10/10/2026", AsWeekday: time.Monday}}}, field: "working_days[0].date", reason: "not a date"},
		{name: "working day is a holiday", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(),
			Holidays:    []service.Day{{Date: "2026-10-01"}},
			WorkingDays: []service.WorkingDay{{Date: "2026-10-01", AsWeekday: time.Monday}}}, field: "working_days[0].date", reason: "also holidays[0]"},
		{name: "working day twice", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{
			{Date: "2026-10-10", AsWeekday: time.Monday}, {Date: "2026-10-10", AsWeekday: time.Tuesday}}}, field: "working_days[1].date", reason: "also working_days[0]"},
		{name: "working day as Sunday", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{{Date: "2026-10-10"}}},
			field: "working_days[0].intervals", reason: "Sunday"},
		{name: "working day with a bad weekday", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{{Date: "2026-10-10", AsWeekday: 7}}},
			field: "working_days[0].as_weekday", reason: "not a weekday"},
		{name: "working day with bad intervals", cal: &service.Calendar{Zone: "UTC", Week: officeWeek(), WorkingDays: []service.WorkingDay{
			{Date: "2026-10-10", Intervals: []service.Interval{{From: "09:00", To: "12:00"}, {From: "10:00", To: "11:00"}}}}},
			field: "working_days[0].intervals[1].from", reason: "overlap"},
		{name: "only a working day without hours", cal: &service.Calendar{Zone: "UTC", WorkingDays: []service.WorkingDay{{Date: "2026-10-10", AsWeekday: time.Monday}}},
			field: "working_days[0].intervals", reason: "no working time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cal.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, crmtype.ErrInvalid)
			var ve *crmtype.ValidationError
			require.True(t, errors.As(err, &ve))
			require.Equal(t, tc.field, ve.Field)
			require.Contains(t, ve.Reason, tc.reason)
		})
	}
}

func TestCalendarAdd(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	at := func(d, h, mi int) time.Time { return time.Date(2026, 3, d, h, mi, 0, 0, sh) } // 2 March 2026 is a Monday
	office := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}
	withHoliday := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek(), Holidays: []service.Day{{Date: "2026-03-04", Name: "company day"}}}
	tests := []struct {
		name  string
		cal   *service.Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"within the morning", office, at(2, 10, 0), time.Hour, at(2, 11, 0)},
		{"up to lunch ends at lunch", office, at(2, 11, 0), time.Hour, at(2, 12, 0)},
		{"across lunch", office, at(2, 11, 30), time.Hour, at(2, 13, 30)},
		{"from lunch", office, at(2, 12, 30), 30 * time.Minute, at(2, 13, 30)},
		{"before opening", office, at(2, 7, 0), time.Hour, at(2, 10, 0)},
		{"across the night", office, at(2, 17, 0), 2 * time.Hour, at(3, 10, 0)},
		{"after closing", office, at(2, 20, 0), 4 * time.Hour, at(3, 14, 0)},
		{"across the weekend", office, at(6, 17, 30), time.Hour, at(9, 9, 30)},
		{"from Saturday", office, at(7, 10, 0), 8 * time.Hour, at(9, 18, 0)},
		{"a week", office, at(2, 9, 0), 40 * time.Hour, at(6, 18, 0)},
		{"a week and a minute", office, at(2, 9, 0), 40*time.Hour + time.Minute, at(9, 9, 1)},
		{"seconds", office, at(2, 11, 59), 90 * time.Second, time.Date(2026, 3, 2, 13, 0, 30, 0, sh)},
		{"nanoseconds", office, at(2, 12, 0), time.Nanosecond, time.Date(2026, 3, 2, 13, 0, 0, 1, sh)},
		{"zero at night is start", office, at(2, 22, 0), 0, at(2, 22, 0)},
		{"negative is start", office, at(2, 22, 0), -time.Hour, at(2, 22, 0)},
		{"over a holiday", withHoliday, at(3, 17, 0), 2 * time.Hour, at(5, 10, 0)},
		{"from a holiday", withHoliday, at(4, 10, 0), time.Hour, at(5, 10, 0)},
		{"start in another zone", office, time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), time.Hour, at(2, 10, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.Add(tc.start, tc.d)
			require.Equal(t, tc.want.UTC(), got)
			require.Equal(t, time.UTC, got.Location())
			if tc.d > 0 {
				require.Equal(t, tc.d, tc.cal.Between(tc.start, got))
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	at := func(d, h, mi int) time.Time { return time.Date(2026, 3, d, h, mi, 0, 0, sh) }
	office := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"a day", at(2, 0, 0), at(3, 0, 0), 8 * time.Hour},
		{"a week", at(1, 0, 0), at(8, 0, 0), 40 * time.Hour},
		{"lunch", at(2, 12, 0), at(2, 13, 0), 0},
		{"across lunch", at(2, 11, 30), at(2, 13, 15), 45 * time.Minute},
		{"weekend", at(7, 0, 0), at(9, 0, 0), 0},
		{"Friday evening to Monday morning", at(6, 17, 0), at(9, 10, 0), 2 * time.Hour},
		{"empty", at(2, 10, 0), at(2, 10, 0), 0},
		{"backwards", at(3, 10, 0), at(2, 10, 0), 0},
		{"end exclusive", at(2, 9, 0), at(2, 9, 0).Add(time.Nanosecond), time.Nanosecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, office.Between(tc.a, tc.b))
		})
	}
}

func TestCalendarIsWorkingNextWorking(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	at := func(d, h, mi int) time.Time { return time.Date(2026, 3, d, h, mi, 0, 0, sh) }
	office := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}
	tests := []struct {
		name    string
		t       time.Time
		working bool
		next    time.Time
	}{
		{"opening", at(2, 9, 0), true, at(2, 9, 0)},
		{"morning", at(2, 10, 0), true, at(2, 10, 0)},
		{"last instant before lunch", at(2, 12, 0).Add(-time.Nanosecond), true, at(2, 12, 0).Add(-time.Nanosecond)},
		{"lunch", at(2, 12, 0), false, at(2, 13, 0)},
		{"closing", at(2, 18, 0), false, at(3, 9, 0)},
		{"before dawn", at(3, 4, 0), false, at(3, 9, 0)},
		{"Friday evening", at(6, 18, 0), false, at(9, 9, 0)},
		{"Sunday", at(8, 12, 0), false, at(9, 9, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.working, office.IsWorking(tc.t))
			next := office.NextWorking(tc.t)
			require.Equal(t, tc.next.UTC(), next)
			require.Equal(t, time.UTC, next.Location())
		})
	}
}

func TestCalendarChina2026(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	at := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, sh) }
	cal := china2026()
	require.NoError(t, cal.Validate())

	working := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"Sat 19 Sep, a weekend", at(9, 19, 10, 0), false},
		{"Sun 20 Sep, worked for National Day", at(9, 20, 10, 0), true},
		{"Sun 20 Sep, lunch as on a Monday", at(9, 20, 12, 30), false},
		{"Thu 24 Sep", at(9, 24, 10, 0), true},
		{"Fri 25 Sep, Mid-Autumn Festival", at(9, 25, 10, 0), false},
		{"Sun 27 Sep, Mid-Autumn Festival", at(9, 27, 10, 0), false},
		{"Mon 28 Sep", at(9, 28, 10, 0), true},
		{"Thu 1 Oct, National Day", at(10, 1, 10, 0), false},
		{"Wed 7 Oct, National Day", at(10, 7, 10, 0), false},
		{"Thu 8 Oct", at(10, 8, 10, 0), true},
		{"Sat 10 Oct, worked for National Day", at(10, 10, 10, 0), true},
		{"Sun 11 Oct", at(10, 11, 10, 0), false},
	}
	for _, tc := range working {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, cal.IsWorking(tc.t))
		})
	}

	adds := []struct {
		name  string
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"into the adjusted Sunday", at(9, 19, 10, 0), time.Hour, at(9, 20, 10, 0)},
		{"over Mid-Autumn Festival", at(9, 24, 17, 0), 2 * time.Hour, at(9, 28, 10, 0)},
		{"over National Day", at(9, 30, 17, 0), 2 * time.Hour, at(10, 8, 10, 0)},
		{"from inside National Day", at(10, 3, 10, 0), time.Hour, at(10, 8, 10, 0)},
		{"into the adjusted Saturday", at(10, 9, 17, 0), 2 * time.Hour, at(10, 10, 10, 0)},
		{"three weeks of work", at(9, 18, 18, 0), 120 * time.Hour, at(10, 15, 18, 0)},
	}
	for _, tc := range adds {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want.UTC(), cal.Add(tc.start, tc.d))
		})
	}

	// 30 September, 8 and 9 October: 24 hours in the nine days.
	require.Equal(t, 24*time.Hour, cal.Between(at(9, 30, 0, 0), at(10, 9, 23, 0)))
	// Monday 14 September to Monday 12 October, four weeks: 20 weekdays,
	// less 25 September and 1, 2, 5, 6 and 7 October, plus 20 September and
	// 10 October: 16 days.
	require.Equal(t, 16*8*time.Hour, cal.Between(at(9, 14, 0, 0), at(10, 12, 0, 0)))
}

func TestCalendarDaylightSaving(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	ny := mustZone(t, "America/New_York")
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }
	sunday := func(zone, from, to string) *service.Calendar {
		return &service.Calendar{Zone: zone, Week: map[time.Weekday][]service.Interval{time.Sunday: {{From: from, To: to}}}}
	}
	berlinNight := sunday("Europe/Berlin", "01:00", "04:00")
	nyNight := sunday("America/New_York", "01:00", "04:00")
	berlinDay := func(mo time.Month, d int) (time.Time, time.Time) {
		return time.Date(2026, mo, d, 0, 0, 0, 0, berlin), time.Date(2026, mo, d+1, 0, 0, 0, 0, berlin)
	}
	nyDay := func(mo time.Month, d int) (time.Time, time.Time) {
		return time.Date(2026, mo, d, 0, 0, 0, 0, ny), time.Date(2026, mo, d+1, 0, 0, 0, 0, ny)
	}

	t.Run("length of a Sunday night", func(t *testing.T) {
		tests := []struct {
			name string
			cal  *service.Calendar
			day  func(time.Month, int) (time.Time, time.Time)
			mo   time.Month
			d    int
			want time.Duration
		}{
			{"Berlin, an ordinary Sunday", berlinNight, berlinDay, time.March, 22, 3 * time.Hour},
			{"Berlin, clocks forward 02:00 to 03:00", berlinNight, berlinDay, time.March, 29, 2 * time.Hour},
			{"Berlin, clocks back 03:00 to 02:00", berlinNight, berlinDay, time.October, 25, 4 * time.Hour},
			{"New York, an ordinary Sunday", nyNight, nyDay, time.March, 1, 3 * time.Hour},
			{"New York, clocks forward 02:00 to 03:00", nyNight, nyDay, time.March, 8, 2 * time.Hour},
			{"New York, clocks back 02:00 to 01:00", nyNight, nyDay, time.November, 1, 4 * time.Hour},
			// Bounds inside the skipped or repeated hour.
			{"Berlin, begins in the skipped hour", sunday("Europe/Berlin", "02:30", "05:00"), berlinDay, time.March, 29, 2 * time.Hour},
			{"Berlin, ends in the skipped hour", sunday("Europe/Berlin", "01:00", "02:30"), berlinDay, time.March, 29, time.Hour},
			{"Berlin, inside the skipped hour", sunday("Europe/Berlin", "02:10", "02:50"), berlinDay, time.March, 29, 0},
			{"Berlin, begins in the repeated hour", sunday("Europe/Berlin", "02:30", "04:00"), berlinDay, time.October, 25, 150 * time.Minute},
			{"Berlin, ends in the repeated hour", sunday("Europe/Berlin", "01:00", "02:30"), berlinDay, time.October, 25, 90 * time.Minute},
			{"Berlin, the repeated hour", sunday("Europe/Berlin", "02:00", "03:00"), berlinDay, time.October, 25, 2 * time.Hour},
			{"New York, whole day forward", sunday("America/New_York", "00:00", "24:00"), nyDay, time.March, 8, 23 * time.Hour},
			{"New York, whole day back", sunday("America/New_York", "00:00", "24:00"), nyDay, time.November, 1, 25 * time.Hour},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a, b := tc.day(tc.mo, tc.d)
				require.Equal(t, tc.want, tc.cal.Between(a, b))
				// A week either side adds the ordinary Sundays around it.
				week := tc.cal.Between(a.AddDate(0, 0, -7), a)
				require.Equal(t, tc.want+week, tc.cal.Between(a.AddDate(0, 0, -7), b))
			})
		}
	})

	t.Run("instants", func(t *testing.T) {
		// Berlin, 29 March: 01:00 CET is 00:00 UTC; the clocks jump at 01:00 UTC; 04:00 CEST is 02:00 UTC.
		require.Equal(t, utc(3, 29, 0, 0), berlinNight.NextWorking(utc(3, 28, 12, 0)))
		require.True(t, berlinNight.IsWorking(utc(3, 29, 0, 59)))
		require.True(t, berlinNight.IsWorking(utc(3, 29, 1, 0)))
		require.False(t, berlinNight.IsWorking(utc(3, 29, 2, 0)))
		require.Equal(t, utc(3, 29, 1, 30), berlinNight.Add(utc(3, 28, 12, 0), 90*time.Minute))
		require.Equal(t, utc(3, 29, 2, 0), berlinNight.Add(utc(3, 28, 12, 0), 2*time.Hour))
		// One minute more waits for the next Sunday, 5 April 01:01 CEST.
		require.Equal(t, utc(4, 4, 23, 1), berlinNight.Add(utc(3, 28, 12, 0), 2*time.Hour+time.Minute))
		// A bound in the skipped hour begins at the jump.
		require.Equal(t, utc(3, 29, 1, 0), sunday("Europe/Berlin", "02:30", "05:00").NextWorking(utc(3, 28, 12, 0)))

		// Berlin, 25 October: 01:00 CEST is 23:00 UTC the day before; 04:00 CET is 03:00 UTC.
		require.Equal(t, utc(10, 24, 23, 0), berlinNight.NextWorking(utc(10, 24, 12, 0)))
		require.Equal(t, utc(10, 25, 2, 30), berlinNight.Add(utc(10, 24, 12, 0), 3*time.Hour+30*time.Minute))
		require.Equal(t, utc(10, 25, 3, 0), berlinNight.Add(utc(10, 24, 12, 0), 4*time.Hour))
		// 02:30-04:00 begins on the first pass of 02:30 (00:30 UTC) and does
		// not break when the clocks show 02:00-02:30 again.
		fold := sunday("Europe/Berlin", "02:30", "04:00")
		require.False(t, fold.IsWorking(utc(10, 25, 0, 10))) // 02:10 CEST
		require.True(t, fold.IsWorking(utc(10, 25, 0, 30)))  // 02:30 CEST
		require.True(t, fold.IsWorking(utc(10, 25, 1, 10)))  // 02:10 CET
		require.False(t, fold.IsWorking(utc(10, 25, 3, 0)))  // 04:00 CET

		// New York weekdays 09:00-17:00 across both changes.
		nyOffice := &service.Calendar{Zone: "America/New_York", Week: map[time.Weekday][]service.Interval{
			time.Monday: {{From: "09:00", To: "17:00"}}, time.Tuesday: {{From: "09:00", To: "17:00"}},
			time.Wednesday: {{From: "09:00", To: "17:00"}}, time.Thursday: {{From: "09:00", To: "17:00"}},
			time.Friday: {{From: "09:00", To: "17:00"}},
		}}
		// Friday 6 March 16:00 EST (21:00 UTC) + 2h: Monday 9 March 10:00 EDT (14:00 UTC).
		require.Equal(t, utc(3, 9, 14, 0), nyOffice.Add(utc(3, 6, 21, 0), 2*time.Hour))
		// Friday 30 October 16:00 EDT (20:00 UTC) + 2h: Monday 2 November 10:00 EST (15:00 UTC).
		require.Equal(t, utc(11, 2, 15, 0), nyOffice.Add(utc(10, 30, 20, 0), 2*time.Hour))
		require.Equal(t, 2*time.Hour, nyOffice.Between(utc(10, 30, 20, 0), utc(11, 2, 15, 0)))
	})

	t.Run("24x7", func(t *testing.T) {
		always := &service.Calendar{Zone: "Europe/Berlin", AllHours: true}
		a, b := berlinDay(time.March, 29)
		require.Equal(t, 23*time.Hour, always.Between(a, b))
		a, b = berlinDay(time.October, 25)
		require.Equal(t, 25*time.Hour, always.Between(a, b))
		require.Equal(t, utc(3, 29, 1, 30), always.Add(utc(3, 29, 0, 30), time.Hour))
	})
}

func TestCalendarAllHours(t *testing.T) {
	cal := &service.Calendar{Zone: "Asia/Shanghai", AllHours: true}
	start := time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
	require.Equal(t, start.Add(72*time.Hour), cal.Add(start, 72*time.Hour))
	require.Equal(t, 72*time.Hour, cal.Between(start, start.Add(72*time.Hour)))
	require.True(t, cal.IsWorking(start))
	require.Equal(t, start, cal.NextWorking(start))
	pauses := []service.Span{{From: start.Add(time.Hour), To: start.Add(3 * time.Hour)}}
	require.Equal(t, 10*time.Hour, cal.BetweenExcluding(start, start.Add(12*time.Hour), pauses))
	require.Equal(t, start.Add(6*time.Hour), cal.AddExcluding(start, 4*time.Hour, pauses))
	require.True(t, cal.AddExcluding(start, 4*time.Hour, []service.Span{{From: start.Add(time.Hour)}}).IsZero())
}

func TestCalendarPauses(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	at := func(d, h, mi int) time.Time { return time.Date(2026, 3, d, h, mi, 0, 0, sh) }
	office := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}
	span := func(from, to time.Time) service.Span { return service.Span{From: from, To: to} }
	open := func(from time.Time) service.Span { return service.Span{From: from} }

	t.Run("BetweenExcluding", func(t *testing.T) {
		tests := []struct {
			name   string
			a, b   time.Time
			pauses []service.Span
			want   time.Duration
		}{
			{"no pause", at(2, 9, 0), at(2, 18, 0), nil, 8 * time.Hour},
			{"inside an interval", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 10, 0), at(2, 11, 0))}, 7 * time.Hour},
			{"across lunch", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 11, 30), at(2, 13, 30))}, 7 * time.Hour},
			{"outside hours", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 19, 0), at(2, 23, 0)), span(at(2, 12, 0), at(2, 13, 0))}, 8 * time.Hour},
			{"across the night", at(2, 9, 0), at(3, 18, 0), []service.Span{span(at(2, 17, 0), at(3, 10, 0))}, 14 * time.Hour},
			{"overlapping", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 10, 0), at(2, 11, 0)), span(at(2, 10, 30), at(2, 11, 30))}, 390 * time.Minute},
			{"contained", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 9, 0), at(2, 17, 0)), span(at(2, 10, 0), at(2, 11, 0))}, time.Hour},
			{"touching", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 10, 0), at(2, 11, 0)), span(at(2, 11, 0), at(2, 11, 30))}, 390 * time.Minute},
			{"unordered", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 16, 0), at(2, 17, 0)), span(at(2, 10, 0), at(2, 11, 0))}, 6 * time.Hour},
			{"before a", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(1, 9, 0), at(2, 10, 0))}, 7 * time.Hour},
			{"after b", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 17, 0), at(4, 9, 0))}, 7 * time.Hour},
			{"covering everything", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(1, 0, 0), at(5, 0, 0))}, 0},
			{"open-ended", at(2, 9, 0), at(2, 18, 0), []service.Span{open(at(2, 15, 0))}, 5 * time.Hour},
			{"open-ended and closed", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 16, 0), at(2, 17, 0)), open(at(2, 15, 0)), span(at(2, 9, 0), at(2, 10, 0))}, 4 * time.Hour},
			{"empty pause", at(2, 9, 0), at(2, 18, 0), []service.Span{span(at(2, 11, 0), at(2, 10, 0)), span(at(2, 11, 0), at(2, 11, 0))}, 8 * time.Hour},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, office.BetweenExcluding(tc.a, tc.b, tc.pauses))
			})
		}
	})

	t.Run("AddExcluding", func(t *testing.T) {
		tests := []struct {
			name   string
			start  time.Time
			d      time.Duration
			pauses []service.Span
			want   time.Time // zero: not running
		}{
			{"no pause", at(2, 9, 0), 4 * time.Hour, nil, at(2, 14, 0)},
			{"inside an interval", at(2, 9, 0), 4 * time.Hour, []service.Span{span(at(2, 10, 0), at(2, 11, 0))}, at(2, 15, 0)},
			{"ends where a pause begins", at(2, 9, 0), time.Hour, []service.Span{span(at(2, 10, 0), at(2, 11, 0))}, at(2, 10, 0)},
			{"across lunch", at(2, 11, 0), time.Hour, []service.Span{span(at(2, 11, 30), at(2, 13, 15))}, at(2, 13, 45)},
			{"across the night", at(2, 17, 0), 2 * time.Hour, []service.Span{span(at(2, 17, 30), at(3, 9, 30))}, at(3, 11, 0)},
			{"outside hours", at(2, 17, 0), 2 * time.Hour, []service.Span{span(at(2, 19, 0), at(3, 8, 0))}, at(3, 10, 0)},
			{"start inside a pause", at(2, 10, 15), 30 * time.Minute, []service.Span{span(at(2, 10, 0), at(2, 11, 0))}, at(2, 11, 30)},
			{"overlapping", at(2, 9, 0), 2 * time.Hour, []service.Span{span(at(2, 10, 0), at(2, 11, 0)), span(at(2, 10, 30), at(2, 13, 30))}, at(2, 14, 30)},
			{"several", at(2, 9, 0), 3 * time.Hour, []service.Span{span(at(2, 15, 0), at(2, 16, 0)), span(at(2, 9, 30), at(2, 10, 0)), span(at(2, 13, 0), at(2, 14, 0))}, at(2, 14, 30)},
			{"earlier pauses do not matter", at(2, 9, 0), time.Hour, []service.Span{span(at(1, 9, 0), at(1, 10, 0))}, at(2, 10, 0)},
			{"open-ended after the deadline", at(2, 9, 0), time.Hour, []service.Span{open(at(2, 11, 0))}, at(2, 10, 0)},
			{"open-ended at the deadline", at(2, 9, 0), time.Hour, []service.Span{open(at(2, 10, 0))}, at(2, 10, 0)},
			{"open-ended before the deadline", at(2, 9, 0), 2 * time.Hour, []service.Span{open(at(2, 10, 0))}, time.Time{}},
			{"open-ended since before start", at(2, 9, 0), time.Hour, []service.Span{open(at(1, 9, 0))}, time.Time{}},
			{"open-ended out of hours", at(2, 17, 0), 2 * time.Hour, []service.Span{open(at(2, 20, 0))}, time.Time{}},
			{"zero while paused", at(2, 9, 0), 0, []service.Span{open(at(1, 9, 0))}, at(2, 9, 0)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := office.AddExcluding(tc.start, tc.d, tc.pauses)
				if tc.want.IsZero() {
					require.True(t, got.IsZero(), "got %v", got)
					return
				}
				require.Equal(t, tc.want.UTC(), got)
				require.Equal(t, tc.d, office.BetweenExcluding(tc.start, got, tc.pauses))
			})
		}
	})
}

func TestCalendarInvalidReportsNoWorkingTime(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, cal := range []*service.Calendar{nil, {Zone: "Mars/Base", AllHours: true}, {Zone: "UTC"}} {
		require.Error(t, cal.Validate())
		require.True(t, cal.Add(now, time.Hour).IsZero())
		require.True(t, cal.AddExcluding(now, time.Hour, nil).IsZero())
		require.True(t, cal.NextWorking(now).IsZero())
		require.False(t, cal.IsWorking(now))
		require.Zero(t, cal.Between(now, now.Add(time.Hour)))
		require.Zero(t, cal.BetweenExcluding(now, now.Add(time.Hour), nil))
	}
}

func TestCalendarLongSpans(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	office := &service.Calendar{Zone: "Asia/Shanghai", Week: officeWeek()}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, sh) // a Monday
	// 10,000 hours are 1,250 eight-hour days: 250 weeks, ending on a Friday.
	end := office.Add(start, 10_000*time.Hour)
	require.Equal(t, time.Date(2030, 10, 18, 18, 0, 0, 0, sh).UTC(), end)
	require.Equal(t, 10_000*time.Hour, office.Between(start, end))

	t.Run("no working time ahead", func(t *testing.T) {
		// Working days only: nothing after the last one, so searches give up
		// after 20 years.
		once := &service.Calendar{Zone: "Asia/Shanghai", WorkingDays: []service.WorkingDay{
			{Date: "2026-10-10", Intervals: []service.Interval{{From: "09:00", To: "17:00"}}},
		}}
		require.NoError(t, once.Validate())
		before := time.Date(2026, 10, 1, 0, 0, 0, 0, sh)
		after := time.Date(2026, 10, 11, 0, 0, 0, 0, sh)
		require.Equal(t, time.Date(2026, 10, 10, 10, 0, 0, 0, sh).UTC(), once.Add(before, time.Hour))
		require.True(t, once.Add(before, 9*time.Hour).IsZero())
		require.True(t, once.Add(after, time.Minute).IsZero())
		require.True(t, once.NextWorking(after).IsZero())
		require.True(t, once.AddExcluding(after, time.Minute, nil).IsZero())
		require.Equal(t, 8*time.Hour, once.Between(before, before.AddDate(50, 0, 0)))
		// A pause far ahead does not make the search walk to it.
		far := []service.Span{{From: time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9001, 1, 1, 0, 0, 0, 0, time.UTC)}}
		require.True(t, once.AddExcluding(after, time.Minute, far).IsZero())

		// Working time 30 years on: Between counts it, while the searches
		// give up after 20 years without any.
		twice := &service.Calendar{Zone: "Asia/Shanghai", WorkingDays: []service.WorkingDay{
			once.WorkingDays[0],
			{Date: "2056-10-10", Intervals: []service.Interval{{From: "09:00", To: "17:00"}}},
		}}
		require.Equal(t, 16*time.Hour, twice.Between(before, before.AddDate(50, 0, 0)))
		require.True(t, twice.Add(after, time.Minute).IsZero())
		require.True(t, twice.NextWorking(after).IsZero())
		require.Equal(t, time.Date(2056, 10, 10, 9, 1, 0, 0, sh).UTC(), twice.Add(time.Date(2040, 1, 1, 0, 0, 0, 0, sh), time.Minute))
	})

	t.Run("two years of holidays", func(t *testing.T) {
		mondays := &service.Calendar{Zone: "Asia/Shanghai", Week: map[time.Weekday][]service.Interval{
			time.Monday: {{From: "09:00", To: "17:00"}},
		}}
		for d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 7) {
			mondays.Holidays = append(mondays.Holidays, service.Day{Date: d.Format(time.DateOnly)})
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, sh)
		require.Equal(t, time.Date(2028, 1, 3, 10, 0, 0, 0, sh).UTC(), mondays.Add(from, time.Hour))
		require.Equal(t, time.Date(2028, 1, 3, 9, 0, 0, 0, sh).UTC(), mondays.NextWorking(from))
	})
}

// TestCalendarAgainstMinutes checks Between against a count of working
// minutes, one by one, read from the calendar's definition by the wall
// clock (exact in Asia/Shanghai, which has no daylight saving).
func TestCalendarAgainstMinutes(t *testing.T) {
	sh := mustZone(t, "Asia/Shanghai")
	cal := china2026()
	cal.Week[time.Saturday] = []service.Interval{{From: "00:00", To: "02:00"}, {From: "22:00", To: "24:00"}}
	holidays := map[string]bool{}
	for _, h := range cal.Holidays {
		holidays[h.Date] = true
	}
	special := map[string][]service.Interval{}
	for _, w := range cal.WorkingDays {
		special[w.Date] = cal.Week[w.AsWeekday]
	}
	minute := func(s string) int {
		h, _ := strconv.Atoi(s[:2])
		m, _ := strconv.Atoi(s[3:])
		return h*60 + m
	}
	working := func(t time.Time) bool {
		local := t.In(sh)
		date := local.Format(time.DateOnly)
		ivs, ok := special[date]
		switch {
		case ok:
		case holidays[date]:
			return false
		default:
			ivs = cal.Week[local.Weekday()]
		}
		m := local.Hour()*60 + local.Minute()
		for _, iv := range ivs {
			if minute(iv.From) <= m && m < minute(iv.To) {
				return true
			}
		}
		return false
	}

	rng := rand.New(rand.NewPCG(2026, 10))
	base := time.Date(2026, 9, 10, 0, 0, 0, 0, sh)
	for range 100 {
		a := base.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute)
		b := a.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)
		var want time.Duration
		for m := a; m.Before(b); m = m.Add(time.Minute) {
			if working(m) {
				want += time.Minute
			}
		}
		require.Equal(t, want, cal.Between(a, b), "from %v to %v", a, b)
		require.Equal(t, working(a), cal.IsWorking(a), "at %v", a)
	}
}

// TestCalendarAddBetweenProperty checks, on random starts and durations,
// that Between undoes Add, and that Add finds the earliest such instant.
func TestCalendarAddBetweenProperty(t *testing.T) {
	nights := []service.Interval{{From: "00:00", To: "06:00"}, {From: "22:00", To: "24:00"}}
	weekdays := []service.Interval{{From: "08:00", To: "12:00"}, {From: "12:30", To: "17:00"}}
	calendars := map[string]*service.Calendar{
		"china 2026": china2026(),
		"berlin": {Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{
			time.Sunday: {{From: "01:00", To: "04:00"}}, time.Monday: weekdays, time.Wednesday: weekdays, time.Friday: weekdays,
		}, Holidays: []service.Day{{Date: "2026-12-25"}, {Date: "2026-12-26"}}},
		"new york nights": {Zone: "America/New_York", Week: map[time.Weekday][]service.Interval{
			time.Sunday: nights, time.Saturday: {{From: "02:30", To: "03:00"}}, time.Tuesday: nights,
		}},
		"lord howe": {Zone: "Australia/Lord_Howe", Week: map[time.Weekday][]service.Interval{ // a half-hour change at 02:00
			time.Sunday: {{From: "01:00", To: "03:00"}}, time.Thursday: weekdays,
		}},
		"24x7": {Zone: "Europe/Berlin", AllHours: true},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, cal := range calendars {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, cal.Validate())
			for range 300 {
				start := from.Add(time.Duration(rng.Int64N(int64(6*365*24*time.Hour/time.Second))) * time.Second)
				d := time.Duration(rng.IntN(1000*60)) * time.Minute
				end := cal.Add(start, d)
				require.False(t, end.Before(start))
				require.Equal(t, d, cal.Between(start, end), "start %v, d %v", start, d)
				if d > 0 {
					require.Equal(t, d-time.Nanosecond, cal.Between(start, end.Add(-time.Nanosecond)), "start %v, d %v", start, d)
					require.True(t, cal.IsWorking(end.Add(-time.Nanosecond)))
				}
				next := cal.NextWorking(start)
				require.True(t, cal.IsWorking(next))
				require.Zero(t, cal.Between(start, next))

				// The same with random pauses, some overlapping, sometimes one open.
				var pauses []service.Span
				for range rng.IntN(4) {
					p := service.Span{From: start.Add(time.Duration(rng.IntN(30*24*60)-24*60) * time.Minute)}
					if rng.IntN(5) > 0 {
						p.To = p.From.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute)
					}
					pauses = append(pauses, p)
				}
				end = cal.AddExcluding(start, d, pauses)
				if end.IsZero() {
					require.Less(t, cal.BetweenExcluding(start, start.AddDate(1, 0, 0), pauses), d, "start %v, d %v, pauses %v", start, d, pauses)
					continue
				}
				require.Equal(t, d, cal.BetweenExcluding(start, end, pauses), "start %v, d %v, pauses %v", start, d, pauses)
				if d > 0 {
					require.Less(t, cal.BetweenExcluding(start, end.Add(-time.Nanosecond), pauses), d)
				}
			}
		})
	}
}

func BenchmarkCalendarAdd10000Hours(b *testing.B) {
	cal := china2026()
	start := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)
	for b.Loop() {
		cal.Add(start, 10_000*time.Hour)
	}
}

func BenchmarkCalendarAddDay(b *testing.B) {
	cal := china2026()
	start := time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)
	for b.Loop() {
		cal.Add(start, 8*time.Hour)
	}
}

func BenchmarkCalendarBetweenYear(b *testing.B) {
	cal := &service.Calendar{Zone: "Europe/Berlin", Week: officeWeek()}
	a := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		cal.Between(a, a.AddDate(1, 0, 0))
	}
}

// TestBusinessTimeTable checks deadlines and business time against values
// worked out by hand, not by the engine: each case gives its working. All
// instants are written in UTC; the comments give the local times. Offsets
// in 2026: New York EST -5, EDT -4 from Sun 8 Mar (02:00 -> 03:00) to Sun 1
// Nov (02:00 -> 01:00); Berlin CET +1, CEST +2 from Sun 29 Mar (02:00 ->
// 03:00) to Sun 25 Oct (03:00 -> 02:00); Shanghai +8 all year.
func TestBusinessTimeTable(t *testing.T) {
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }
	weekdays := func(day ...service.Interval) map[time.Weekday][]service.Interval {
		return map[time.Weekday][]service.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		}
	}
	// New York: 09:00-12:00 and 13:00-17:00 on weekdays (7 hours), closed
	// Friday 3 July (Independence Day observed) and Thursday 26 November
	// (Thanksgiving).
	ny := &service.Calendar{Zone: "America/New_York",
		Week:     weekdays(service.Interval{From: "09:00", To: "12:00"}, service.Interval{From: "13:00", To: "17:00"}),
		Holidays: []service.Day{{Date: "2026-07-03"}, {Date: "2026-11-26"}}}
	// New York, every minute of Sundays.
	nySunday := &service.Calendar{Zone: "America/New_York", Week: map[time.Weekday][]service.Interval{time.Sunday: {{From: "00:00", To: "24:00"}}}}
	// Berlin: 08:00-12:00 and 12:30-16:30 on weekdays (8 hours), closed
	// Good Friday 3 April and Easter Monday 6 April.
	berlin := &service.Calendar{Zone: "Europe/Berlin",
		Week:     weekdays(service.Interval{From: "08:00", To: "12:00"}, service.Interval{From: "12:30", To: "16:30"}),
		Holidays: []service.Day{{Date: "2026-04-03"}, {Date: "2026-04-06"}}}
	// Berlin, a Sunday night shift 01:00-04:00 across the changes.
	berlinNight := &service.Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{time.Sunday: {{From: "01:00", To: "04:00"}}}}
	// Shanghai: 09:00-12:00 and 13:00-18:00 on weekdays, 25-27 September
	// and 1-7 October off, Sunday 20 September and Saturday 10 October
	// worked as Mondays.
	shanghai := china2026()
	span := func(from, to time.Time) []service.Span { return []service.Span{{From: from, To: to}} }

	tests := []struct {
		name   string
		cal    *service.Calendar
		start  time.Time      // Add's start, or Between's a
		d      time.Duration  // Add's target
		end    time.Time      // Between's b; zero for Add
		pauses []service.Span // not nil: AddExcluding or BetweenExcluding
		want   time.Time      // Add's result; zero: the deadline is not running
		wantD  time.Duration  // Between's result
	}{
		// Mon 2 Mar 11:00 EST + 2h: 11:00-12:00 (1h), lunch, 13:00-14:00 EST = 19:00 UTC.
		{name: "NY split day across lunch", cal: ny, start: utc(3, 2, 16, 0), d: 2 * time.Hour, want: utc(3, 2, 19, 0)},
		// Mon 2 Mar 12:15 EST (lunch) + 30m: counting starts at 13:00, ends 13:30 EST = 18:30 UTC.
		{name: "NY start during lunch", cal: ny, start: utc(3, 2, 17, 15), d: 30 * time.Minute, want: utc(3, 2, 18, 30)},
		// Fri 6 Mar 16:00 EST + 3h: 16:00-17:00 (1h); weekend, clocks forward on Sunday;
		// Mon 9 Mar 09:00-11:00 EDT (2h): 11:00 EDT = 15:00 UTC.
		{name: "NY weekend with spring forward", cal: ny, start: utc(3, 6, 21, 0), d: 3 * time.Hour, want: utc(3, 9, 15, 0)},
		// Sun 8 Mar 03:30 EDT, just after the jump, + 1h: Mon 9 Mar 09:00-10:00 EDT = 14:00 UTC.
		{name: "NY start on the Sunday of spring forward", cal: ny, start: utc(3, 8, 7, 30), d: time.Hour, want: utc(3, 9, 14, 0)},
		// Fri 30 Oct 16:30 EDT + 1h: 16:30-17:00 (30m); clocks back on Sunday;
		// Mon 2 Nov 09:00-09:30 EST = 14:30 UTC.
		{name: "NY weekend with fall back", cal: ny, start: utc(10, 30, 20, 30), d: time.Hour, want: utc(11, 2, 14, 30)},
		// Fri 30 Oct 09:00 EDT to Mon 2 Nov 12:00 EST: Friday 7h + Monday 09:00-12:00 3h.
		{name: "NY between across fall back", cal: ny, start: utc(10, 30, 13, 0), end: utc(11, 2, 17, 0), wantD: 10 * time.Hour},
		// Wed 25 Nov 16:00 EST + 8h: 16:00-17:00 (1h); Thanksgiving off; Fri 27 Nov
		// 09:00-12:00 (3h) and 13:00-17:00 (4h): the end of the day, 17:00 EST = 22:00 UTC.
		{name: "NY Thanksgiving, ending at closing", cal: ny, start: utc(11, 25, 21, 0), d: 8 * time.Hour, want: utc(11, 27, 22, 0)},
		// Thu 2 Jul 16:00 EDT + 2h: 16:00-17:00 (1h); Fri 3 Jul holiday, weekend;
		// Mon 6 Jul 09:00-10:00 EDT = 14:00 UTC.
		{name: "NY holiday before a weekend", cal: ny, start: utc(7, 2, 20, 0), d: 2 * time.Hour, want: utc(7, 6, 14, 0)},
		// Sun 8 Mar 00:00 EST (05:00 UTC) to Mon 9 Mar 00:00 EDT (04:00 UTC): a 23-hour day.
		{name: "NY whole Sunday, spring forward", cal: nySunday, start: utc(3, 8, 5, 0), end: utc(3, 9, 4, 0), wantD: 23 * time.Hour},
		// Sun 1 Nov 00:00 EDT (04:00 UTC) to Mon 2 Nov 00:00 EST (05:00 UTC): a 25-hour day.
		{name: "NY whole Sunday, fall back", cal: nySunday, start: utc(11, 1, 4, 0), end: utc(11, 2, 5, 0), wantD: 25 * time.Hour},

		// Fri 27 Mar 15:00 CET + 3h: 15:00-16:30 (1.5h); clocks forward on Sunday;
		// Mon 30 Mar 08:00-09:30 CEST = 07:30 UTC.
		{name: "Berlin weekend with spring forward", cal: berlin, start: utc(3, 27, 14, 0), d: 3 * time.Hour, want: utc(3, 30, 7, 30)},
		// Tue 3 Mar 07:00 CET + 4h30m: 08:00-12:00 (4h), lunch, 12:30-13:00: 13:00 CET = 12:00 UTC.
		{name: "Berlin start before opening, split day", cal: berlin, start: utc(3, 3, 6, 0), d: 270 * time.Minute, want: utc(3, 3, 12, 0)},
		// Thu 2 Apr 16:00 CEST + 1h: 16:00-16:30 (30m); Good Friday, weekend, Easter
		// Monday; Tue 7 Apr 08:00-08:30 CEST = 06:30 UTC.
		{name: "Berlin Easter", cal: berlin, start: utc(4, 2, 14, 0), d: time.Hour, want: utc(4, 7, 6, 30)},
		// Mon 6 Apr (Easter Monday) 07:00 CEST + 1h: Tue 7 Apr 08:00-09:00 CEST = 07:00 UTC.
		{name: "Berlin start on a holiday", cal: berlin, start: utc(4, 6, 5, 0), d: time.Hour, want: utc(4, 7, 7, 0)},
		// Fri 23 Oct 16:00 CEST + 1h: 16:00-16:30; clocks back on Sunday;
		// Mon 26 Oct 08:00-08:30 CET = 07:30 UTC.
		{name: "Berlin weekend with fall back", cal: berlin, start: utc(10, 23, 14, 0), d: time.Hour, want: utc(10, 26, 7, 30)},
		// Fri 23 Oct 12:00 CEST to Mon 26 Oct 12:00 CET: Friday 12:30-16:30 (4h) + Monday 08:00-12:00 (4h).
		{name: "Berlin between across fall back", cal: berlin, start: utc(10, 23, 10, 0), end: utc(10, 26, 11, 0), wantD: 8 * time.Hour},
		// Sun 29 Mar: 01:00 CET is 00:00 UTC, the clocks jump at 01:00 UTC, 04:00 CEST
		// is 02:00 UTC (2h of work). Sat 28 Mar 12:00 UTC + 90m: 01:30 UTC.
		{name: "Berlin night shift, spring forward", cal: berlinNight, start: utc(3, 28, 12, 0), d: 90 * time.Minute, want: utc(3, 29, 1, 30)},
		// Sun 25 Oct: 01:00 CEST is 23:00 UTC on Saturday, 04:00 CET is 03:00 UTC: 4h.
		{name: "Berlin night shift, fall back", cal: berlinNight, start: utc(10, 24, 12, 0), end: utc(10, 26, 0, 0), wantD: 4 * time.Hour},

		// Sat 19 Sep 10:00 CST + 4h: Sun 20 Sep works as a Monday, 09:00-12:00 (3h),
		// 13:00-14:00: 14:00 CST = 06:00 UTC.
		{name: "Shanghai adjusted working Sunday", cal: shanghai, start: utc(9, 19, 2, 0), d: 4 * time.Hour, want: utc(9, 20, 6, 0)},
		// Wed 30 Sep 16:00 CST + 4h: 16:00-18:00 (2h); 1-7 Oct off; Thu 8 Oct
		// 09:00-11:00: 11:00 CST = 03:00 UTC.
		{name: "Shanghai National Day", cal: shanghai, start: utc(9, 30, 8, 0), d: 4 * time.Hour, want: utc(10, 8, 3, 0)},
		// Fri 9 Oct 17:00 CST + 2h: 17:00-18:00; Sat 10 Oct worked, 09:00-10:00 CST = 02:00 UTC.
		{name: "Shanghai adjusted working Saturday", cal: shanghai, start: utc(10, 9, 9, 0), d: 2 * time.Hour, want: utc(10, 10, 2, 0)},
		// Thu 24 Sep 17:00 CST + 2h: 17:00-18:00; Mid-Autumn Festival Fri-Sun;
		// Mon 28 Sep 09:00-10:00 CST = 02:00 UTC.
		{name: "Shanghai Mid-Autumn Festival", cal: shanghai, start: utc(9, 24, 9, 0), d: 2 * time.Hour, want: utc(9, 28, 2, 0)},
		// Wed 30 Sep 00:00 CST to Mon 12 Oct 00:00 CST: 30 Sep, 8, 9 and 10 Oct, 8h each.
		{name: "Shanghai between across Golden Week", cal: shanghai, start: utc(9, 29, 16, 0), end: utc(10, 11, 16, 0), wantD: 32 * time.Hour},

		// Mon 2 Mar 16:00 EST + 2h, paused 16:30 EST to Tue 09:30 EST (over the night):
		// 16:00-16:30 (30m), then Tue 09:30-11:00 (90m): 11:00 EST = 16:00 UTC.
		{name: "NY pause over the night", cal: ny, start: utc(3, 2, 21, 0), d: 2 * time.Hour,
			pauses: span(utc(3, 2, 21, 30), utc(3, 3, 14, 30)), want: utc(3, 3, 16, 0)},
		// As "Berlin weekend with spring forward", paused Sat 00:00 CET to Mon 08:00
		// CEST: no working time is paused, so the same 07:30 UTC.
		{name: "Berlin pause over the weekend only", cal: berlin, start: utc(3, 27, 14, 0), d: 3 * time.Hour,
			pauses: span(utc(3, 27, 23, 0), utc(3, 30, 6, 0)), want: utc(3, 30, 7, 30)},
		// Mon 28 Sep 11:00 CST + 2h, paused 11:30-13:30 CST (over lunch): 11:00-11:30,
		// then 13:30-15:00: 15:00 CST = 07:00 UTC.
		{name: "Shanghai pause over lunch", cal: shanghai, start: utc(9, 28, 3, 0), d: 2 * time.Hour,
			pauses: span(utc(9, 28, 3, 30), utc(9, 28, 5, 30)), want: utc(9, 28, 7, 0)},
		// Mon 28 Sep 08:00 CST (before opening) + 1h, paused since the holiday to
		// 12:30 CST (in lunch): counting starts at 13:00, ends 14:00 CST = 06:00 UTC.
		{name: "Shanghai pause from a holiday into lunch", cal: shanghai, start: utc(9, 28, 0, 0), d: time.Hour,
			pauses: span(utc(9, 25, 0, 0), utc(9, 28, 4, 30)), want: utc(9, 28, 6, 0)},
		// Thu 2 Jul 09:00 EDT to Tue 7 Jul 09:00 EDT: Thursday 7h + Monday 7h (Friday
		// is a holiday); paused Thu 15:00 to Mon 10:00 EDT takes Thu 15:00-17:00 and
		// Mon 09:00-10:00: 14h - 3h.
		{name: "NY between, pause over a holiday weekend", cal: ny, start: utc(7, 2, 13, 0), end: utc(7, 7, 13, 0),
			pauses: span(utc(7, 2, 19, 0), utc(7, 6, 14, 0)), wantD: 11 * time.Hour},
		// Mon 2 Mar 09:00 EST + 2h, paused from 10:00 EST with no end: 1h counted,
		// then the clock stops for good.
		{name: "NY open-ended pause", cal: ny, start: utc(3, 2, 14, 0), d: 2 * time.Hour,
			pauses: []service.Span{{From: utc(3, 2, 15, 0)}}, want: time.Time{}},
	}
	require.GreaterOrEqual(t, len(tests), 20)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.cal.Validate())
			if !tc.end.IsZero() {
				if tc.pauses == nil {
					require.Equal(t, tc.wantD, tc.cal.Between(tc.start, tc.end))
				} else {
					require.Equal(t, tc.wantD, tc.cal.BetweenExcluding(tc.start, tc.end, tc.pauses))
				}
				return
			}
			if tc.pauses == nil {
				require.Equal(t, tc.want, tc.cal.Add(tc.start, tc.d))
				require.Equal(t, tc.d, tc.cal.Between(tc.start, tc.want))
				return
			}
			got := tc.cal.AddExcluding(tc.start, tc.d, tc.pauses)
			require.Equal(t, tc.want, got)
			if !tc.want.IsZero() {
				require.Equal(t, tc.d, tc.cal.BetweenExcluding(tc.start, tc.want, tc.pauses))
			}
		})
	}
}

// TestCalendarChangedBetweenCalls checks that a calendar changed after a
// call, in place or by copy, is seen as it now is.
func TestCalendarChangedBetweenCalls(t *testing.T) {
	mon := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	cal := &service.Calendar{Zone: "UTC", Week: officeWeek()}
	require.Equal(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), cal.Add(mon, time.Hour))

	cal.Week[time.Monday][0].From = "10:00" // shared by every weekday of officeWeek
	require.Equal(t, time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), cal.Add(mon, time.Hour))

	cal.Holidays = append(cal.Holidays, service.Day{Date: "2026-03-02"})
	require.Equal(t, time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC), cal.Add(mon, time.Hour))
	cal.Holidays[0].Date = "2026-03-03"
	require.Equal(t, time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), cal.Add(mon, time.Hour))

	cp := *cal
	cp.Zone = "Asia/Shanghai" // 09:00 UTC is 17:00 in Shanghai: 17:00-18:00, then Wednesday 10:00-11:00 (Tuesday off)
	require.Equal(t, time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC), cp.Add(mon, 2*time.Hour))
	require.Equal(t, time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), cal.Add(mon, time.Hour))

	cal.Week[time.Monday][0].To = "09:00" // now invalid: before From
	require.Error(t, cal.Validate())
	require.True(t, cal.Add(mon, time.Hour).IsZero())
	cal.Week[time.Monday][0].To = "12:00"
	require.NoError(t, cal.Validate())

	cal.WorkingDays = []service.WorkingDay{{Date: "2026-03-07", Intervals: []service.Interval{{From: "09:00", To: "10:00"}}}}
	sat := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 3, 7, 9, 30, 0, 0, time.UTC), cal.Add(sat, 30*time.Minute))
	cal.WorkingDays[0].Intervals[0].From = "09:15"
	require.Equal(t, time.Date(2026, 3, 7, 9, 45, 0, 0, time.UTC), cal.Add(sat, 30*time.Minute))
	cal.WorkingDays[0].Intervals = nil
	cal.WorkingDays[0].AsWeekday = time.Monday // 10:00-12:00 and 13:00-18:00 now
	require.Equal(t, time.Date(2026, 3, 7, 10, 30, 0, 0, time.UTC), cal.Add(sat, 30*time.Minute))
	delete(cal.Week, time.Monday)
	cal.Week[time.Sunday] = []service.Interval{{From: "09:00", To: "12:00"}}
	require.Error(t, cal.Validate()) // the working day's AsWeekday (Monday) has no hours any more
}

// TestCalendarConcurrentUse runs calendars alike and different from several
// goroutines (go test -race).
func TestCalendarConcurrentUse(t *testing.T) {
	start := time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				cal := china2026()
				if (g+i)%2 == 1 {
					cal.Holidays = cal.Holidays[:len(cal.Holidays)-4] // 4 to 7 October work
				}
				want := time.Date(2026, 10, 8, 3, 0, 0, 0, time.UTC)
				if (g+i)%2 == 1 {
					want = time.Date(2026, 10, 5, 3, 0, 0, 0, time.UTC)
				}
				if got := cal.Add(start, 4*time.Hour); !got.Equal(want) {
					t.Errorf("goroutine %d, %d: got %v, want %v", g, i, got, want)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}
