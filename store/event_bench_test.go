package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/store"
)

// BenchmarkEventWrites sets each customer-package write beside the same
// write with its events switched off (store.WithoutEvents, a test-only
// hook), each on a database of its own, and logs the ratio of their rates:
// what recording the events costs. The target is a ratio of at least 0.75.
//
//	go test ./store -run '^$' -bench EventWrites -benchtime 3s
func BenchmarkEventWrites(b *testing.B) {
	type op struct {
		name string
		rows int // rows written per call
		// prepare seeds db and returns one call of the write on svc.
		prepare func(b *testing.B, db *bun.DB, svc *customer.Service) func(ctx context.Context) error
	}
	ops := []op{
		{"CreateMany500", 500, func(b *testing.B, db *bun.DB, svc *customer.Service) func(context.Context) error {
			seedReads(b, db, 2000)
			analyzeAll(b, db)
			ps := make([]customer.CreateParams, 500)
			return func(ctx context.Context) error {
				for j := range ps {
					k := benchSeq.Add(1)
					ps[j] = customer.CreateParams{Name: benchName(k),
						Identities: []customer.IdentityParams{{Kind: customer.Email, Value: benchEmail(k)}}}
				}
				_, err := svc.CreateMany(ctx, ps)
				return err
			}
		}},
		{"Create", 1, func(b *testing.B, db *bun.DB, svc *customer.Service) func(context.Context) error {
			seedReads(b, db, 2000)
			analyzeAll(b, db)
			return func(ctx context.Context) error {
				k := benchSeq.Add(1)
				_, err := svc.Create(ctx, customer.CreateParams{Name: benchName(k),
					Identities: []customer.IdentityParams{{Kind: customer.Email, Value: benchEmail(k)}}})
				return err
			}
		}},
		{"Update", 1, func(b *testing.B, db *bun.DB, svc *customer.Service) func(context.Context) error {
			ids, _ := seedReads(b, db, 1000)
			analyzeAll(b, db)
			versions := make([]int64, len(ids))
			for i := range versions {
				versions[i] = 1
			}
			i := 0
			return func(ctx context.Context) error {
				j := i % len(ids)
				i++
				c, err := svc.Update(ctx, ids[j], customer.UpdateParams{Version: versions[j],
					Name: customer.Ptr(benchName(benchSeq.Add(1))), Stage: customer.Ptr(customer.Stages[i%len(customer.Stages)])})
				if err == nil {
					versions[j] = c.Version
				}
				return err
			}
		}},
		{"RecordPurchases500", 500, func(b *testing.B, db *bun.DB, svc *customer.Service) func(context.Context) error {
			ids, _ := seedReads(b, db, 1000)
			analyzeAll(b, db)
			ps := make([]customer.PurchaseParams, 500)
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			return func(ctx context.Context) error {
				for j := range ps {
					k := benchSeq.Add(1)
					ps[j] = customer.PurchaseParams{CustomerID: ids[int(k)%len(ids)], OccurredAt: at,
						Amount: crmtype.Money{Minor: 1999, Currency: "EUR"}, Quantity: 1, Channel: "web",
						OrderID: fmt.Sprintf("order-%d", k)}
				}
				_, err := svc.RecordPurchases(ctx, ps)
				return err
			}
		}},
	}
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			for _, o := range ops {
				b.Run(o.name, func(b *testing.B) {
					var rate [2]float64
					for m, mode := range []string{"noevents", "events"} {
						b.Run(mode, func(b *testing.B) {
							// A database each, so that neither writes into
							// tables the other has grown.
							db := dbtest.Open(b, kind)
							// Without the tenancy guard, whose regular
							// expressions over every statement's text
							// (longer with the events) would be measured
							// too; the tests run with it.
							db.ResetQueryHooks()
							st := store.New(db)
							if mode == "noevents" {
								st = st.WithoutEvents()
							}
							svc := customer.NewService(st, benchWorkspace, nil)
							call := o.prepare(b, db, svc)
							ctx := context.Background()
							n := 0
							for b.Loop() {
								if err := call(ctx); err != nil {
									b.Fatal(err)
								}
								n += o.rows
							}
							rate[m] = float64(n) / b.Elapsed().Seconds()
							b.ReportMetric(rate[m], "rows/s")
						})
					}
					if rate[0] > 0 {
						b.Logf("%s/%s: with events %.0f rows/s, without %.0f rows/s, ratio %.2f", kind, o.name, rate[1], rate[0], rate[1]/rate[0])
					}
				})
			}
		})
	}
}

// analyzeAll refreshes PostgreSQL's statistics of every table after
// seeding (see analyze): without it the plans of the checks each write
// runs stay those of empty tables and the rate falls as the table grows.
func analyzeAll(b *testing.B, db *bun.DB) {
	if db.Dialect().Name() != dialect.PG {
		return
	}
	if _, err := db.DB.ExecContext(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
