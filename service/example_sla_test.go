package service_test

import (
	"fmt"
	"time"

	"github.com/kehu/crm/service"
)

// Measure computes a ticket's SLA targets from its activity: here a
// ticket created on Friday at 16:00 in Berlin, answered on Monday at
// 09:30, on a 09:00-17:00 weekday calendar with a two-hour first-response
// target.
func ExampleMeasure() {
	day := []service.Interval{{From: "09:00", To: "17:00"}}
	p := &service.Policy{Name: "standard", Targets: service.Targets{FirstResponse: 120, Resolution: 16 * 60},
		PauseStatuses: []service.Status{service.StatusPending}, WarnFraction: 0.75,
		Calendar: service.Calendar{Zone: "Europe/Berlin", Week: map[time.Weekday][]service.Interval{
			time.Monday: day, time.Tuesday: day, time.Wednesday: day, time.Thursday: day, time.Friday: day}}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	created := time.Date(2026, 11, 20, 16, 0, 0, 0, berlin) // a Friday
	activity := []service.Activity{{At: time.Date(2026, 11, 23, 9, 30, 0, 0, berlin), Kind: service.ActivityAgentReply}}
	for _, t := range service.Measure(p, created, activity, time.Date(2026, 11, 23, 12, 0, 0, 0, berlin)) {
		fmt.Printf("%s: %s, deadline %s, used %s\n", t.Metric, t.State, t.Deadline.In(berlin).Format("Mon 15:04"), t.Elapsed)
	}
	// Output:
	// first_response: met, deadline Mon 10:00, used 1h30m0s
	// resolution: running, deadline Tue 16:00, used 4h0m0s
}
