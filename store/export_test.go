package store

// WithoutEvents returns a copy of s whose writes append no events, so that
// benchmarks can set the same writes with and without their events side by
// side. Test-only: a real store always records its events.
func (s *Store) WithoutEvents() *Store { c := *s; c.noEvents = true; return &c }
