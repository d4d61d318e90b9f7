// Package wallclock turns wall-clock readings into instants in a time zone
// across daylight-saving changes, where a reading can occur twice (clocks
// going back) or not at all (clocks going forward).
//
// A reading is a time.Time whose UTC fields (date, hour, minute, ...) are
// the wall clock's; the functions assume, as every IANA zone does, that a
// zone changes its offset at most once within a day of the reading.
package wallclock

import "time"

// offsets returns the zone's offsets a day before and a day after reading w.
func offsets(w time.Time, loc *time.Location) (before, after int) {
	_, before = w.Add(-26 * time.Hour).In(loc).Zone()
	_, after = w.Add(26 * time.Hour).In(loc).Zone()
	return before, after
}

// Instants returns the instants at which the clock in loc reads w: none
// when the clocks skip it, one usually, two when they repeat it (earliest
// first).
func Instants(w time.Time, loc *time.Location) []time.Time {
	before, after := offsets(w, loc)
	var out []time.Time
	for _, off := range [...]int{before, after} {
		t := w.Add(-time.Duration(off) * time.Second)
		if _, o := t.In(loc).Zone(); o == off && (len(out) == 0 || !t.Equal(out[0])) {
			out = append(out, t.UTC())
		}
	}
	if len(out) == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// Jump returns, for a reading w the clocks skip, the instant they jump
// over it; and ShiftedByGap the instant w denotes when read with the
// offset in effect before the gap (it lies after the gap by the gap's
// length, as RFC 5545 reads such a time). Both are meaningful only when
// Instants(w, loc) is empty.
func Jump(w time.Time, loc *time.Location) time.Time {
	jump, _ := ShiftedByGap(w, loc).In(loc).ZoneBounds()
	return jump.UTC()
}

// ShiftedByGap: see Jump.
func ShiftedByGap(w time.Time, loc *time.Location) time.Time {
	before, _ := offsets(w, loc)
	return w.Add(-time.Duration(before) * time.Second).UTC()
}
