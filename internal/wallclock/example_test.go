package wallclock_test

import (
	"fmt"
	"time"

	"github.com/kehu/crm/internal/wallclock"
)

// New York's clocks go back at 02:00 on 1 November 2026 (01:30 happens
// twice) and went forward at 02:00 on 8 March 2026 (02:30 never happened).
func ExampleInstants() {
	ny, _ := time.LoadLocation("America/New_York")
	twice := time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC)
	fmt.Println(wallclock.Instants(twice, ny))
	skipped := time.Date(2026, 3, 8, 2, 30, 0, 0, time.UTC)
	fmt.Println(wallclock.Instants(skipped, ny), wallclock.Jump(skipped, ny), wallclock.ShiftedByGap(skipped, ny))
	// Output:
	// [2026-11-01 05:30:00 +0000 UTC 2026-11-01 06:30:00 +0000 UTC]
	// [] 2026-03-08 07:00:00 +0000 UTC 2026-03-08 07:30:00 +0000 UTC
}
