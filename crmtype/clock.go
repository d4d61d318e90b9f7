package crmtype

import (
	"sync"
	"time"
)

// Clock tells the time. The SDK takes every timestamp it stores from its
// Clock, so tests can fix it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC, to the microsecond (the precision
// both databases store).
type SystemClock struct{}

// Now returns time.Now in UTC, truncated to the microsecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ManualClock is a Clock that only moves when told to. Its zero value reads
// the zero time; it is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a ManualClock reading t (in UTC, to the microsecond).
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t.UTC().Truncate(time.Microsecond)}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC().Truncate(time.Microsecond)
	c.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d).Truncate(time.Microsecond)
	return c.now
}

// StoredClock returns a Clock reading c in UTC to the microsecond, the
// precision both databases store, so that what a call returns equals what
// a later read returns. Services wrap the clock they are given with it.
func StoredClock(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return storedClock{c}
}

type storedClock struct{ c Clock }

func (s storedClock) Now() time.Time { return s.c.Now().UTC().Truncate(time.Microsecond) }
