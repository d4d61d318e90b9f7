package communication

import (
	"testing"
	"time"
)

// The end of quiet hours whose To is repeated (fall back) or skipped
// (spring forward) by a daylight-saving change: the next real instant.
func TestQuietHoursRepeatedAndSkippedTimes(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		from, to string
		at       time.Time
		want     time.Time
	}{
		// fall back 2026-11-01: 01:15 EST (second pass) = 06:15 UTC; window 22:00-01:30 -> 01:30 EST = 06:30 UTC
		{"22:00", "01:30", time.Date(2026, 11, 1, 6, 15, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
		// spring forward 2026-03-08: 02:00 EST -> 03:00 EDT; window 22:00-02:30; at 23:00 EST 7 Mar = 04:00 UTC -> jump at 07:00 UTC
		{"22:00", "02:30", time.Date(2026, 3, 8, 4, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		// at 01:40 EST = 06:40 UTC -> 07:00 UTC
		{"22:00", "02:30", time.Date(2026, 3, 8, 6, 40, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got := quietUntil([]QuietHours{{From: c.from, To: c.to}}, Email, c.at, ny)
		if !got.Equal(c.want) {
			t.Errorf("%v: got %v want %v", c.at, got.UTC(), c.want)
		}
	}
}
