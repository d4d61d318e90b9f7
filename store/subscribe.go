package store

import (
	"context"
	"sync"

	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
)

// subscribers are the in-process functions told of events after the
// transaction that recorded them commits.
type subscribers struct {
	mu   sync.RWMutex
	next int
	fns  map[int]func(crmtype.Event)
}

// pending collects the events of one transaction until it commits.
type pending struct{ evs []crmtype.Event }

// Subscribe registers fn to be called with every event recorded through
// this store (and the stores derived from it) after its transaction
// commits, in order, in the goroutine that committed. Events written inside
// a host's own transaction (WithDB on a bun.Tx the store did not begin) are
// not delivered: their commit is not the store's to see; read them from
// the outbox. The returned function removes fn.
func (s *Store) Subscribe(fn func(crmtype.Event)) (cancel func()) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	if s.subs.fns == nil {
		s.subs.fns = map[int]func(crmtype.Event){}
	}
	id := s.subs.next
	s.subs.next++
	s.subs.fns[id] = fn
	return func() {
		s.subs.mu.Lock()
		delete(s.subs.fns, id)
		s.subs.mu.Unlock()
	}
}

func (s *subscribers) deliver(evs []crmtype.Event) {
	if len(evs) == 0 {
		return
	}
	s.mu.RLock()
	fns := make([]func(crmtype.Event), 0, len(s.fns))
	for i := 0; i < s.next; i++ { // in subscription order
		if fn, ok := s.fns[i]; ok {
			fns = append(fns, fn)
		}
	}
	s.mu.RUnlock()
	for _, e := range evs {
		for _, fn := range fns {
			fn(e)
		}
	}
}

// RunInTx runs fn with a store whose every call shares one transaction (a
// savepoint when the store is already in one of its own), and tells the
// subscribers of its events once it commits.
func (s *Store) RunInTx(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error {
	return s.inTx(ctx, fn)
}

// inTx runs fn in a transaction, or in a savepoint when the store already
// works inside one, so that fn's writes are all-or-nothing. Events appended
// in a transaction the store began reach the subscribers after it commits;
// a savepoint that rolls back takes its events with it.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx *Store) error) error {
	run := func(p *pending) error {
		err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			t := s.WithDB(tx)
			t.pend = p
			return fn(ctx, t)
		})
		if err != nil && constraintKind(err) == "retry" { // a deadlock with a concurrent writer
			return mapError(err)
		}
		return err
	}
	switch {
	case s.pend != nil: // a savepoint inside our own transaction
		mark := len(s.pend.evs)
		err := run(s.pend)
		if err != nil {
			s.pend.evs = s.pend.evs[:mark]
		}
		return err
	case isTx(s.db): // inside the host's transaction: its commit is not ours to see
		return run(nil)
	}
	p := &pending{}
	if err := run(p); err != nil {
		return err
	}
	s.subs.deliver(p.evs)
	return nil
}

func isTx(db bun.IDB) bool {
	switch db.(type) {
	case bun.Tx, *bun.Tx:
		return true
	}
	return false
}
