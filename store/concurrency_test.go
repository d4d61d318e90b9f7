package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/store/sqlite"
)

// TestConcurrentWriters has 16 goroutines write to one database at once:
// read-modify-write updates of a counter attribute under optimistic
// versioning, creates with distinct identities, purchases, and races for
// the same email. No lock or busy error may reach a caller, no update may be
// lost, and every stale write must be ErrConflict. On SQLite half of the
// goroutines write through a second pool opened on the same file, as a
// second process would.
func TestConcurrentWriters(t *testing.T) {
	const (
		workers   = 16
		customers = 8
		rounds    = 20
	)
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		deadline := time.Now().Add(60 * time.Second) // a guard against livelock; a normal run takes 1–2 s
		main, err := crm.New(db, nil)
		require.NoError(t, err)
		clients := []*crm.Client{main}
		if db.Dialect().Name() == dialect.SQLite {
			var seq int
			var name, path string
			require.NoError(t, db.QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &path))
			require.NotEmpty(t, path)
			db2, err := sqlite.Open(ctx, path)
			require.NoError(t, err)
			t.Cleanup(func() { db2.Close() })
			db2.AddQueryHook(&dbtest.Guard{TB: t})
			second, err := crm.New(db2, nil)
			require.NoError(t, err)
			clients = append(clients, second)
		}
		setup := main.Workspace("acme").Customers
		_, err = setup.DefineAttribute(ctx, customer.AttributeDef{Key: "counter", Type: customer.TypeNumber})
		require.NoError(t, err)
		ids := make([]crmtype.ID, customers)
		for i := range ids {
			c, err := setup.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("Counter %d", i),
				Attributes: map[string]any{"counter": 0},
				Identities: []customer.IdentityParams{{Kind: customer.Email, Value: fmt.Sprintf("counter%d@example.com", i)}}})
			require.NoError(t, err)
			ids[i] = c.ID
		}

		var (
			updates    [customers]atomic.Int64 // successful increments per customer
			conflicts  atomic.Int64            // stale updates rejected
			created    sync.Map                // email -> ID of distinct creates
			purchases  [customers]atomic.Int64
			dupWinners [rounds]atomic.Int64
			dupLosers  [rounds]atomic.Int64
			dupIDs     [rounds]atomic.Value
		)
		// fail reports an unexpected error; lock and busy errors are named.
		fail := func(g int, op string, err error) {
			msg := err.Error()
			if strings.Contains(msg, "locked") || strings.Contains(msg, "busy") || strings.Contains(msg, "SQLITE_BUSY") {
				t.Errorf("worker %d: %s: a lock error reached the caller: %v", g, op, err)
				return
			}
			t.Errorf("worker %d: %s: %v", g, op, err)
		}
		var wg sync.WaitGroup
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cs := clients[g%len(clients)].Workspace("acme").Customers
				for r := range rounds {
					if time.Now().After(deadline) {
						t.Errorf("worker %d: out of time in round %d", g, r)
						return
					}
					// Read-modify-write, retried on ErrConflict.
					k := (g + r) % customers
					for {
						c, err := cs.Get(ctx, ids[k])
						if err != nil {
							fail(g, "get", err)
							return
						}
						n, _ := c.Attributes["counter"].(float64)
						_, err = cs.Update(ctx, ids[k], customer.UpdateParams{Version: c.Version,
							Attributes: map[string]any{"counter": n + 1}})
						if err == nil {
							updates[k].Add(1)
							break
						}
						if !errors.Is(err, crm.ErrConflict) {
							fail(g, "update", err)
							return
						}
						conflicts.Add(1)
						if time.Now().After(deadline) {
							t.Errorf("worker %d: still conflicting at the deadline", g)
							return
						}
					}
					// A create with an identity nobody else uses.
					email := fmt.Sprintf("w%d-r%d@example.com", g, r)
					c, err := cs.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("Worker %d round %d", g, r),
						Tags:       []string{"w"},
						Identities: []customer.IdentityParams{{Kind: customer.Email, Value: email}}})
					if err != nil {
						fail(g, "create", err)
						return
					}
					created.Store(email, c.ID)
					// A purchase.
					if _, err := cs.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: ids[k],
						OccurredAt: time.Now().UTC(), Amount: crmtype.Money{Minor: 100, Currency: "EUR"}, Quantity: 1,
						OrderID: fmt.Sprintf("o-%d-%d", g, r)}); err != nil {
						fail(g, "record purchase", err)
						return
					}
					purchases[k].Add(1)
					// Everybody races for the same external id this round
					// (emails may be shared; external ids are unique).
					d, err := cs.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("Dup %d by %d", r, g),
						Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "race", Value: fmt.Sprintf("dup%d", r)}}})
					switch {
					case err == nil:
						dupWinners[r].Add(1)
						dupIDs[r].Store(d.ID)
					case errors.Is(err, crm.ErrConflict):
						dupLosers[r].Add(1)
					default:
						fail(g, "create duplicate", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("%d pools, %d stale updates rejected with ErrConflict", len(clients), conflicts.Load())

		var total int64
		for i, id := range ids {
			c, err := setup.Get(ctx, id)
			require.NoError(t, err)
			want := updates[i].Load()
			total += want
			require.Equal(t, float64(want), c.Attributes["counter"], "customer %d counter", i)
			require.Equal(t, want, c.Version-1, "customer %d version", i)
			st, err := setup.PurchaseStats(ctx, id)
			require.NoError(t, err)
			require.Equal(t, int(purchases[i].Load()), st.Count, "customer %d purchases", i)
		}
		require.Equal(t, int64(workers*rounds), total)

		n := 0
		created.Range(func(k, v any) bool {
			n++
			c, err := setup.ByEmail(ctx, k.(string))
			require.NoError(t, err)
			require.Equal(t, v.(crmtype.ID), c.ID)
			return true
		})
		require.Equal(t, workers*rounds, n)

		for r := range rounds {
			require.Equal(t, int64(1), dupWinners[r].Load(), "round %d: winners", r)
			require.Equal(t, int64(workers-1), dupLosers[r].Load(), "round %d: losers", r)
			c, err := setup.ByExternalID(ctx, "race", fmt.Sprintf("dup%d", r))
			require.NoError(t, err)
			require.Equal(t, dupIDs[r].Load().(crmtype.ID), c.ID)
		}
		count, err := setup.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, customers+workers*rounds+rounds, count, "no create left a partial customer behind")
	})
}
