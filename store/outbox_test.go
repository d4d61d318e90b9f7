package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/store/sqlite"
)

// The outbox tests read the log the way a host's consumer does, through
// ws.Events.Next and Ack, and compare what the consumer received with the
// log itself.
//
// On PostgreSQL the outbox delivers only events of transactions older than
// every transaction still running in the cluster, so a transaction of
// another test package running at the same time (go test ./... runs
// packages in parallel) may delay delivery for a moment: the tests poll
// with a deadline rather than expect a batch from one call.

const outboxWait = 20 * time.Second

// outboxLog returns the ids of workspace w's events in the order the outbox
// promises to deliver them: by writing transaction, then by sequence.
func outboxLog(t *testing.T, db bun.IDB, w string) []crmtype.ID {
	t.Helper()
	var ids []crmtype.ID
	require.NoError(t, db.NewSelect().TableExpr("crm_events AS e").Column("e.id").
		Where("e.workspace_id = ?", w).OrderExpr("e.txn, e.seq").Scan(context.Background(), &ids))
	return ids
}

// eventSeq returns the sequence number of the one event about subject.
func eventSeq(t *testing.T, db bun.IDB, w string, subject crmtype.ID) int64 {
	t.Helper()
	var seq int64
	require.NoError(t, db.NewSelect().TableExpr("crm_events AS e").Column("e.seq").
		Where("e.workspace_id = ?", w).Where("e.subject_id = ?", subject).Scan(context.Background(), &seq))
	return seq
}

// eventsOf returns the ids of the events whose subject is id.
func eventsOf(evs []crmtype.Event, subject crmtype.ID) []crmtype.ID {
	var out []crmtype.ID
	for _, e := range evs {
		if e.Subject == subject {
			out = append(out, e.ID)
		}
	}
	return out
}

func ids(evs []crmtype.Event) []crmtype.ID {
	out := make([]crmtype.ID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// drain reads and acknowledges consumer's batches until it has received
// want events in all, and returns them in delivery order.
func drain(t *testing.T, ev *event.Service, consumer string, want int) []crmtype.Event {
	t.Helper()
	ctx := context.Background()
	var got []crmtype.Event
	deadline := time.Now().Add(outboxWait)
	for len(got) < want {
		b, err := ev.Next(ctx, consumer, 3)
		require.NoError(t, err)
		if len(b.Events) == 0 {
			require.True(t, time.Now().Before(deadline), "outbox stalled after %d of %d events", len(got), want)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		require.NoError(t, ev.Ack(ctx, consumer, b.Cursor))
		got = append(got, b.Events...)
	}
	b, err := ev.Next(ctx, consumer, 100)
	require.NoError(t, err)
	require.Empty(t, b.Events, "more events than were written")
	return got
}

// sqlitePath returns the file of a SQLite database.
func sqlitePath(t *testing.T, db *bun.DB) string {
	t.Helper()
	var seq int
	var name, path string
	require.NoError(t, db.QueryRowContext(context.Background(), "PRAGMA database_list").Scan(&seq, &name, &path))
	require.NotEmpty(t, path)
	return path
}

// openAgain opens a second pool on the SQLite file of db, as another process
// would, with the tenancy guard.
func openAgain(t *testing.T, db *bun.DB) *bun.DB {
	t.Helper()
	db2, err := sqlite.Open(context.Background(), sqlitePath(t, db))
	require.NoError(t, err)
	t.Cleanup(func() { db2.Close() })
	db2.AddQueryHook(&dbtest.Guard{TB: t})
	return db2
}

func person(name string) customer.CreateParams {
	return customer.CreateParams{Name: name,
		Identities: []customer.IdentityParams{{Kind: customer.Email, Value: name + "@example.com"}}}
}

// TestOutboxLateCommit holds transaction A open after it has written an
// event while transaction B writes, commits and is read. Events are
// numbered before commit, so A's event has the lower sequence number: a
// reader that kept "seq > cursor" would move its cursor past A's event
// before A commits and never deliver it. The consumer must receive every
// committed event, A's included, exactly once and in the log's order.
func TestOutboxLateCommit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, err := crm.New(db, nil)
		require.NoError(t, err)
		ws := client.Workspace("acme")
		before := make([]*customer.Customer, 2)
		for i := range before {
			before[i], err = ws.Customers.Create(ctx, person(fmt.Sprintf("before%d", i)))
			require.NoError(t, err)
		}
		if db.Dialect().Name() == dialect.PG {
			lateCommitPostgres(t, db, client, before)
		} else {
			lateCommitSQLite(t, db, client, before)
		}
	})
}

// lateCommitPostgres: A and B run at once. The outbox reads only events of
// transactions older than every running one, so while A runs neither A's
// event nor B's (B's transaction is younger than A's) may be delivered,
// while the events committed before A are.
func lateCommitPostgres(t *testing.T, db *bun.DB, client *crm.Client, before []*customer.Customer) {
	ctx := context.Background()
	ws := client.Workspace("acme")
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	a, err := client.WithTx(tx).Workspace("acme").Customers.Create(ctx, person("late"))
	require.NoError(t, err)
	b, err := ws.Customers.Create(ctx, person("early")) // B commits while A runs
	require.NoError(t, err)
	aSeq := eventSeq(t, tx, "acme", a.ID)
	bSeq := eventSeq(t, db, "acme", b.ID)
	require.Less(t, aSeq, bSeq, "the trap: A's event is numbered before B's, yet commits after it")

	// While A runs: read and acknowledge until the events committed before A
	// are delivered; neither A's nor B's may come.
	var got []crmtype.Event
	deadline := time.Now().Add(outboxWait)
	for len(got) < len(before) {
		batch, err := ws.Events.Next(ctx, "hooks", 100)
		require.NoError(t, err)
		if len(batch.Events) > 0 {
			require.NoError(t, ws.Events.Ack(ctx, "hooks", batch.Cursor))
			got = append(got, batch.Events...)
		}
		require.Empty(t, eventsOf(batch.Events, a.ID), "A's event delivered before A committed")
		require.Empty(t, eventsOf(batch.Events, b.ID), "B's event delivered while older transaction A runs: A's could be skipped")
		if len(got) < len(before) {
			require.True(t, time.Now().Before(deadline), "events committed before A were not delivered")
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i, c := range before {
		require.Equal(t, c.ID, got[i].Subject)
	}
	batch, err := ws.Events.Next(ctx, "hooks", 100)
	require.NoError(t, err)
	require.Empty(t, batch.Events, "nothing more may be delivered while A runs")

	require.NoError(t, tx.Commit())
	got = append(got, drain(t, ws.Events, "hooks", 2)...)
	require.Equal(t, outboxLog(t, db, "acme"), ids(got), "every committed event exactly once, in log order")
	require.Len(t, got, len(before)+2)
	require.Equal(t, a.ID, got[len(got)-2].Subject, "A's event is delivered, before B's: its transaction is older")
	require.Equal(t, b.ID, got[len(got)-1].Subject)
}

// lateCommitSQLite: SQLite has one writer at a time. A, on a second pool
// (as another process would hold it), keeps the write lock; B, on the main
// pool, waits for it (busy timeout) and cannot commit before A. A plain
// read on another pool is not blocked (WAL) and sees neither A nor B; Next,
// on a third pool, moves the consumer's lease and so writes: it waits for A
// like B. In
// whatever order B and Next then get the lock, nothing is skipped.
func lateCommitSQLite(t *testing.T, db *bun.DB, client *crm.Client, before []*customer.Customer) {
	ctx := context.Background()
	ws := client.Workspace("acme")
	// Every pool is opened before A takes the lock: opening one (its
	// journal_mode pragma) waits for the writer.
	dbA, dbR, dbPlain := openAgain(t, db), openAgain(t, db), openAgain(t, db)
	clientA, err := crm.New(dbA, nil)
	require.NoError(t, err)
	clientR, err := crm.New(dbR, nil)
	require.NoError(t, err)
	reader := clientR.Workspace("acme").Events

	// The consumer first takes what is there.
	got := drain(t, reader, "hooks", len(before))

	tx, err := dbA.BeginTx(ctx, nil) // BEGIN IMMEDIATE: A holds the write lock
	require.NoError(t, err)
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	a, err := clientA.WithTx(tx).Workspace("acme").Customers.Create(ctx, person("late"))
	require.NoError(t, err)

	type created struct {
		c   *customer.Customer
		err error
		at  time.Time
	}
	bDone := make(chan created, 1)
	go func() {
		c, err := ws.Customers.Create(ctx, person("early"))
		bDone <- created{c, err, time.Now()}
	}()
	type next struct {
		b   event.Batch
		err error
	}
	nextDone := make(chan next, 1)
	go func() {
		b, err := reader.Next(ctx, "hooks", 100)
		nextDone <- next{b, err}
	}()

	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-bDone:
		t.Fatalf("B finished while A held the write lock: %+v", r)
	case r := <-nextDone:
		t.Fatalf("Next finished while A held the write lock: %+v", r)
	default:
	}
	// A plain WAL read is not blocked and sees the log without A's event
	// (and B has written nothing). It takes a pool of its own: the reader
	// pool's one connection is Next's, waiting for the lock.
	start := time.Now()
	require.Equal(t, ids(got), outboxLog(t, dbPlain, "acme"))

	require.Less(t, time.Since(start), time.Second, "a WAL read waited for the writer")
	commitAt := time.Now()
	require.NoError(t, tx.Commit())
	rb := <-bDone
	require.NoError(t, rb.err)
	require.True(t, rb.at.After(commitAt), "B committed before A")
	require.Greater(t, eventSeq(t, db, "acme", rb.c.ID), eventSeq(t, db, "acme", a.ID), "on SQLite commit order is event order")

	rn := <-nextDone
	require.NoError(t, rn.err)
	// Next ran after A committed, before or after B: it has A's event, and
	// B's only if B was first.
	require.NotEmpty(t, rn.b.Events)
	require.Equal(t, a.ID, rn.b.Events[0].Subject, "A's event is not skipped")
	require.NoError(t, reader.Ack(ctx, "hooks", rn.b.Cursor))
	got = append(got, rn.b.Events...)
	got = append(got, drain(t, reader, "hooks", len(before)+2-len(got))...)
	require.Equal(t, outboxLog(t, db, "acme"), ids(got), "every committed event exactly once, in log order")
	require.Equal(t, rb.c.ID, got[len(got)-1].Subject)
}

// TestOutboxWorkersShareConsumer has four workers read one consumer while
// two writers add customers. A batch is leased to one worker at a time:
// no two workers ever hold a batch at once, no event is in two
// acknowledged batches, and the acknowledged batches put end to end are
// the whole log in order. On SQLite half of the workers and one writer use
// a second pool on the same file.
func TestOutboxWorkersShareConsumer(t *testing.T) {
	const (
		workers = 4
		writers = 2
		creates = 40 // per writer; each also updates its customer
	)
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		main, err := crm.New(db, nil)
		require.NoError(t, err)
		clients := []*crm.Client{main}
		if db.Dialect().Name() == dialect.SQLite {
			second, err := crm.New(openAgain(t, db), nil)
			require.NoError(t, err)
			clients = append(clients, second)
		}
		var (
			mu       sync.Mutex
			batches  [][]crmtype.ID // acknowledged
			inFlight atomic.Int32   // workers holding a batch
			wg, wwg  sync.WaitGroup
		)
		deadline := time.Now().Add(60 * time.Second)
		for w := range writers {
			wwg.Add(1)
			go func() {
				defer wwg.Done()
				cs := clients[w%len(clients)].Workspace("acme").Customers
				for i := range creates {
					c, err := cs.Create(ctx, person(fmt.Sprintf("w%d-%d", w, i)))
					if err != nil {
						t.Errorf("writer %d: create: %v", w, err)
						return
					}
					if _, err := cs.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Stage: customer.Ptr(customer.StageCustomer)}); err != nil {
						t.Errorf("writer %d: update: %v", w, err)
						return
					}
				}
			}()
		}
		var total atomic.Int64 // events acknowledged
		var want atomic.Int64  // the log's length once the writers are done
		want.Store(-1)
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := clients[g%len(clients)].Workspace("acme").Events
				for {
					if n := want.Load(); n >= 0 && total.Load() >= n {
						return
					}
					if time.Now().After(deadline) {
						t.Errorf("worker %d: out of time with %d events acknowledged", g, total.Load())
						return
					}
					b, err := ev.Next(ctx, "hooks", 7)
					if err != nil {
						t.Errorf("worker %d: next: %v", g, err)
						return
					}
					if len(b.Events) == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					if n := inFlight.Add(1); n != 1 {
						t.Errorf("worker %d: %d workers hold a batch at once", g, n)
					}
					// Let go before Ack: until Ack commits, the lease stands.
					inFlight.Add(-1)
					if err := ev.Ack(ctx, "hooks", b.Cursor); err != nil {
						t.Errorf("worker %d: ack: %v", g, err)
						return
					}
					mu.Lock()
					batches = append(batches, ids(b.Events))
					mu.Unlock()
					total.Add(int64(len(b.Events)))
				}
			}()
		}
		wwg.Wait()
		log := outboxLog(t, db, "acme")
		require.Len(t, log, writers*creates*2)
		want.Store(int64(len(log)))
		wg.Wait()
		require.False(t, t.Failed())

		pos := make(map[crmtype.ID]int, len(log))
		for i, id := range log {
			pos[id] = i
		}
		seen := map[crmtype.ID]int{}
		for _, b := range batches {
			for _, id := range b {
				seen[id]++
				require.Equal(t, 1, seen[id], "event %s is in two acknowledged batches", id)
			}
		}
		sort.Slice(batches, func(i, j int) bool { return pos[batches[i][0]] < pos[batches[j][0]] })
		var all []crmtype.ID
		for _, b := range batches {
			all = append(all, b...)
		}
		require.Equal(t, log, all, "the acknowledged batches end to end are the log")
		t.Logf("%d events in %d batches", len(all), len(batches))
	})
}

// TestOutboxLeaseExpiry: a worker that takes a batch and dies before Ack
// holds it for the lease, no longer; then the batch is delivered again,
// the dead worker's cursor can no longer move the consumer, and nothing is
// lost or delivered out of order.
func TestOutboxLeaseExpiry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := crmtype.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		client, err := crm.New(db, &crm.Config{Clock: clock, OutboxLease: 30 * time.Second})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		for i := range 3 {
			_, err := ws.Customers.Create(ctx, person(fmt.Sprintf("c%d", i)))
			require.NoError(t, err)
		}
		log := outboxLog(t, db, "acme")
		require.Len(t, log, 3)

		next := func(limit int) event.Batch {
			t.Helper()
			deadline := time.Now().Add(outboxWait)
			for {
				b, err := ws.Events.Next(ctx, "hooks", limit)
				require.NoError(t, err)
				if len(b.Events) > 0 || time.Now().After(deadline) {
					return b
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		crashed := next(2) // taken by a worker that then dies
		require.Equal(t, log[:2], ids(crashed.Events))

		b, err := ws.Events.Next(ctx, "hooks", 2)
		require.NoError(t, err)
		require.Empty(t, b.Events, "leased")
		clock.Advance(29 * time.Second)
		b, err = ws.Events.Next(ctx, "hooks", 2)
		require.NoError(t, err)
		require.Empty(t, b.Events, "still leased")

		clock.Advance(2 * time.Second)
		again := next(2)
		require.Equal(t, log[:2], ids(again.Events), "delivered again after the lease")
		require.NotEqual(t, crashed.Cursor, again.Cursor)

		err = ws.Events.Ack(ctx, "hooks", crashed.Cursor)
		require.ErrorIs(t, err, crm.ErrConflict, "the dead worker's lease went to another")
		var ce *crmtype.ConflictError
		require.True(t, errors.As(err, &ce))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", again.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", again.Cursor), "acknowledging twice is harmless")
		require.NoError(t, ws.Events.Ack(ctx, "hooks", crashed.Cursor), "an old cursor behind the acknowledged one is harmless")

		// Dies again, this time on the last event; the rest comes again.
		last := next(10)
		require.Equal(t, log[2:], ids(last.Events))
		clock.Advance(31 * time.Second)
		last2 := next(10)
		require.Equal(t, log[2:], ids(last2.Events))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", last2.Cursor))
		b, err = ws.Events.Next(ctx, "hooks", 10)
		require.NoError(t, err)
		require.Empty(t, b.Events)
	})
}
