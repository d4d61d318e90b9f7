package service_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/service"
)

// An office in Shanghai around National Day 2026. The dates are those of
// the State Council's notice on the 2026 holidays: 1 to 7 October off,
// Sunday 20 September and Saturday 10 October worked instead (the
// Mid-Autumn Festival, 25 to 27 September, is left out here).
func ExampleCalendar() {
	day := []service.Interval{{From: "09:00", To: "12:00"}, {From: "13:00", To: "18:00"}}
	cal := &service.Calendar{
		Zone: "Asia/Shanghai",
		Week: map[time.Weekday][]service.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		},
		WorkingDays: []service.WorkingDay{
			{Date: "2026-09-20", Name: "National Day (adjusted)", AsWeekday: time.Monday},
			{Date: "2026-10-10", Name: "National Day (adjusted)", AsWeekday: time.Monday},
		},
	}
	for d := 1; d <= 7; d++ {
		cal.Holidays = append(cal.Holidays, service.Day{Date: fmt.Sprintf("2026-10-%02d", d), Name: "National Day"})
	}
	if err := cal.Validate(); err != nil {
		fmt.Println(err)
		return
	}

	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	opened := time.Date(2026, 9, 30, 16, 0, 0, 0, shanghai) // a Wednesday
	show := func(t time.Time) string { return t.In(shanghai).Format("Mon 2006-01-02 15:04") }

	fmt.Println("opened:        ", show(opened))
	fmt.Println("respond by:    ", show(cal.Add(opened, 4*time.Hour)))
	fmt.Println("resolve by:    ", show(cal.Add(opened, 20*time.Hour)))
	fmt.Println("in UTC:        ", cal.Add(opened, 4*time.Hour))
	fmt.Println("working Oct 10:", cal.IsWorking(time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai)))
	fmt.Println("next working:  ", show(cal.NextWorking(time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai))))
	fmt.Println("business time: ", cal.Between(opened, time.Date(2026, 10, 12, 9, 0, 0, 0, shanghai)))
	// Output:
	// opened:         Wed 2026-09-30 16:00
	// respond by:     Thu 2026-10-08 11:00
	// resolve by:     Sat 2026-10-10 11:00
	// in UTC:         2026-10-08 03:00:00 +0000 UTC
	// working Oct 10: true
	// next working:   Thu 2026-10-08 09:00
	// business time:  26h0m0s
}

// The clock of a ticket stops while it waits on the customer.
func ExampleCalendar_AddExcluding() {
	day := []service.Interval{{From: "09:00", To: "17:00"}}
	cal := &service.Calendar{
		Zone: "Europe/Berlin",
		Week: map[time.Weekday][]service.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day,
		},
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, berlin) } // 2 March 2026 is a Monday
	show := func(t time.Time) string {
		if t.IsZero() {
			return "not running"
		}
		return t.In(berlin).Format("Mon 15:04")
	}

	opened, target := at(2, 15), 8*time.Hour
	fmt.Println("no pause:      ", show(cal.Add(opened, target)))

	// Waiting on the customer from Tuesday 10:00 to Wednesday 12:00.
	pending := []service.Span{{From: at(3, 10), To: at(4, 12)}}
	fmt.Println("after a pause: ", show(cal.AddExcluding(opened, target, pending)))
	fmt.Println("used so far:   ", cal.BetweenExcluding(opened, at(4, 14), pending))

	// Still waiting: the deadline is not running.
	waiting := []service.Span{{From: at(3, 10)}}
	fmt.Println("still waiting: ", show(cal.AddExcluding(opened, target, waiting)))
	// Output:
	// no pause:       Tue 15:00
	// after a pause:  Wed 17:00
	// used so far:    5h0m0s
	// still waiting:  not running
}

func ExampleCalendar_Validate() {
	cal := &service.Calendar{
		Zone: "Europe/Berlin",
		Week: map[time.Weekday][]service.Interval{
			time.Monday: {{From: "09:00", To: "12:30"}, {From: "12:00", To: "17:00"}},
		},
	}
	err := cal.Validate()
	var ve *crmtype.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field, errors.Is(err, crmtype.ErrInvalid))
		fmt.Println(ve.Reason)
	}
	// Output:
	// week.monday[1].from true
	// 12:00 is before the end of week.monday[0] (12:30): intervals must be in order and must not overlap
}
