package service_test

import (
	"fmt"
	"time"

	"github.com/kehu/crm/service"
)

// A repair's duration comes from its actual times, not its schedule.
func ExampleEngagement_Duration() {
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	arrived, left := start.Add(10*time.Minute), start.Add(95*time.Minute)
	e := service.Engagement{Kind: service.KindRepair, ScheduledStart: start, ScheduledEnd: start.Add(time.Hour)}
	fmt.Println("before the visit:", e.Duration())
	e.ActualStart, e.ActualEnd = &arrived, &left
	fmt.Println("after the visit: ", e.Duration())
	// Output:
	// before the visit: 0s
	// after the visit:  1h25m0s
}
