package store_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/internal/dbtest"
)

// BenchmarkSummaries10M checks the "Speed" promise of the analysis service:
// summaries for 1,000,000 customers with 10,000,000 purchases are computed
// in the database, not by loading every purchase into Go memory.
//
// Each database gets one workspace of 1,000,000 customers with 10
// purchases each (in USD cents, spread over two years), loaded with
// set-based SQL outside the timer. Then
//
//   - db: ws.Analysis.Summaries over all 10,000,000 purchases;
//   - naive-1M: the approach the store avoids — every purchase selected
//     into Go and given to analysis.Summarize — on the first 1,000,000
//     purchases only (100,000 customers), so that it finishes.
//
// Both report s/op, the customers returned, MB-heap (the live Go heap just
// after the call, after a GC, with the call's result — and for naive-1M
// the purchases it loaded — still reachable), MB-peak (the highest heap
// seen while the call ran, sampled every few milliseconds) and MB-alloc
// (bytes allocated during the call). The naive heap is for a tenth of the
// purchases: ten times it is what the naive approach would hold for all.
// The db line also carries s-setup, the load time; -v shows each set-up
// statement's time (and why a database was skipped).
//
// It loads gigabytes and takes minutes, so it runs only when asked for by
// name (-bench . skips it), and a database whose load is projected to take
// longer than CRM_BENCH_SETUP_MAX (default 3m) is skipped:
//
//	CRM_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./store -run '^$' -bench Summaries10M -benchtime 1x -timeout 30m
func BenchmarkSummaries10M(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "Summaries10M") {
		b.Skip("loads 10,000,000 purchases: run it by name, -bench Summaries10M")
	}
	budget := 3 * time.Minute
	if s := os.Getenv("CRM_BENCH_SETUP_MAX"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("CRM_BENCH_SETUP_MAX: %v", err)
		}
		budget = d
	}
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			start := time.Now()
			fillPurchases10M(b, db, budget)
			setup := time.Since(start)
			b.Logf("%s: %d customers, %d purchases loaded and indexed in %v",
				kind, sumCustomers, sumPurchases, setup.Round(time.Second))

			client, err := crm.New(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			ws := client.Workspace(sumWorkspace)
			p := analysis.Params{Currency: "USD", AsOf: sumAsOf, Unit: analysis.UnitWeek}

			b.Run("db", func(b *testing.B) {
				var out []analysis.CustomerSummary
				m := startHeapWatch()
				for b.Loop() {
					out = nil
					var err error
					out, err = ws.Analysis.Summaries(ctx, p, sumHoldoutEnd)
					if err != nil {
						b.Fatal(err)
					}
				}
				m.report(b, len(out), out)
				b.ReportMetric(setup.Seconds(), "s-setup")
				if len(out) < sumCustomers*9/10 {
					b.Fatalf("%d customers summarised, want nearly %d", len(out), sumCustomers)
				}
			})

			b.Run("naive-1M", func(b *testing.B) {
				type row struct {
					CustomerID  string    `bun:"customer_id"`
					OccurredAt  time.Time `bun:"occurred_at"`
					AmountMinor int64     `bun:"amount_minor"`
				}
				cfg := analysis.SummaryConfig{CalibrationEnd: p.AsOf, HoldoutEnd: sumHoldoutEnd, Unit: p.Unit}
				var purchases []analysis.Purchase
				var out []analysis.CustomerSummary
				m := startHeapWatch()
				for b.Loop() {
					purchases, out = nil, nil
					var rows []row
					err := db.NewRaw(`SELECT p.customer_id, p.occurred_at, p.amount_minor FROM crm_purchases AS p
WHERE p.workspace_id = ? AND p.currency = ? ORDER BY p.id LIMIT ?`, sumWorkspace, p.Currency, sumPrefix).Scan(ctx, &rows)
					if err != nil {
						b.Fatal(err)
					}
					purchases = make([]analysis.Purchase, len(rows))
					for i, r := range rows {
						purchases[i] = analysis.Purchase{Customer: r.CustomerID, At: r.OccurredAt, Amount: r.AmountMinor}
					}
					rows = nil
					if out, err = analysis.Summarize(purchases, cfg); err != nil {
						b.Fatal(err)
					}
				}
				m.report(b, len(out), purchases, out)
				b.ReportMetric(float64(len(purchases)), "purchases")
				if len(purchases) != sumPrefix {
					b.Fatalf("%d purchases read, want %d", len(purchases), sumPrefix)
				}
			})
		})
	}
}

const (
	sumWorkspace = "bench10m"
	sumCustomers = 1_000_000
	sumPurchases = 10_000_000 // purchase i is customer i/10's
	sumPrefix    = 1_000_000  // purchases the naive baseline reads
	sumChunk     = 1_000_000  // purchases per INSERT, to project the load time
	sumSpan      = 730 * 86400
)

var (
	// Purchases fall in [sumStart, sumStart+730 days): calibration up to
	// sumAsOf, hold-out up to sumHoldoutEnd (the last day of data).
	sumStart      = time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	sumAsOf       = time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC)
	sumHoldoutEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
)

// fillPurchases10M loads the workspace with set-based statements through
// the *sql.DB (outside the tenancy guard, which sees only the code under
// test): customer c has id printf('%08x-0000-7000-8000-%012x', c, c);
// purchase i has id printf('%08x-0000-7000-9000-%012x', i, i), belongs to
// customer i/10, happened (i × 2654435761) mod 730 days after sumStart (to
// the second) and is worth 1.00 to 200.99 USD. As in fillEvents, the
// secondary indexes of both tables (and on PostgreSQL the purchases'
// foreign key) are dropped for the load and rebuilt from their own
// definitions afterwards. The purchases go in by chunks; after the first,
// a load projected to take longer than budget skips the benchmark.
func fillPurchases10M(b *testing.B, db *bun.DB, budget time.Duration) {
	ctx := context.Background()
	pg := db.Dialect().Name() == dialect.PG
	// One connection for all, so that session settings hold (SQLite's pool
	// has only one anyway).
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) time.Duration {
		st := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
		d := time.Since(st)
		b.Logf("%8v %.70s", d.Round(time.Millisecond), strings.Join(strings.Fields(q), " "))
		return d
	}
	query := func(q string) [][2]string {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
		defer rows.Close()
		var out [][2]string
		for rows.Next() {
			var r [2]string
			if err := rows.Scan(&r[0], &r[1]); err != nil {
				b.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return out
	}

	// Secondary indexes (name, definition) of both tables, and on
	// PostgreSQL the purchases' foreign keys (name, definition).
	var indexes, fkeys [][2]string
	if pg {
		indexes = query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
  AND tablename IN ('crm_customers', 'crm_purchases')
  AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname`)
		fkeys = query(`SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
  WHERE conrelid = 'crm_purchases'::regclass AND contype = 'f' ORDER BY conname`)
		exec("SET maintenance_work_mem = '512MB'")
		for _, fk := range fkeys {
			exec("ALTER TABLE crm_purchases DROP CONSTRAINT " + fk[0])
		}
	} else {
		indexes = query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('crm_customers', 'crm_purchases') ORDER BY name`)
		exec("PRAGMA cache_size = -262144")
		exec("PRAGMA analysis_limit = 1000")
	}
	if len(indexes) < 7 {
		b.Fatalf("the migration's secondary indexes: %v", indexes)
	}
	for _, ix := range indexes {
		exec("DROP INDEX " + ix[0])
	}

	start := time.Now()
	if pg {
		exec(fmt.Sprintf(`INSERT INTO crm_customers
  (workspace_id, id, kind, name, name_fold, name_key, stage, version, created_at, updated_at)
SELECT '%s', (lpad(to_hex(c), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(c), 12, '0'))::uuid, 'person',
  'Customer ' || c, 'customer ' || c, convert_to('customer ' || c, 'UTF8'), 'customer', 1,
  timestamptz '2024-11-30 00:00:00+00', timestamptz '2024-11-30 00:00:00+00'
FROM generate_series(0::bigint, %d - 1) AS c`, sumWorkspace, sumCustomers))
	} else {
		exec(fmt.Sprintf(`WITH RECURSIVE g(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM g WHERE c < %[2]d - 1)
INSERT INTO crm_customers
  (workspace_id, id, kind, name, name_fold, name_key, stage, version, created_at, updated_at)
SELECT '%[1]s', printf('%%08x-0000-7000-8000-%%012x', c, c), 'person',
  'Customer ' || c, 'customer ' || c, CAST('customer ' || c AS BLOB), 'customer', 1,
  '2024-11-30 00:00:00+00:00', '2024-11-30 00:00:00+00:00'
FROM g`, sumWorkspace, sumCustomers))
	}
	base := sumStart.Unix()
	var loading time.Duration
	for lo := 0; lo < sumPurchases; lo += sumChunk {
		hi := min(lo+sumChunk, sumPurchases)
		if pg {
			loading += exec(fmt.Sprintf(`INSERT INTO crm_purchases
  (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at)
SELECT '%[1]s', (lpad(to_hex(i), 8, '0') || '-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid,
  (lpad(to_hex(i / 10), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i / 10), 12, '0'))::uuid,
  to_timestamp(%[4]d + (i * 2654435761) %% %[5]d), 100 + (i * 7919) %% 20000, 'USD',
  to_timestamp(%[4]d + (i * 2654435761) %% %[5]d)
FROM generate_series(%[2]d::bigint, %[3]d - 1) AS i`, sumWorkspace, lo, hi, base, sumSpan))
		} else {
			loading += exec(fmt.Sprintf(`WITH RECURSIVE g(i) AS (SELECT %[2]d UNION ALL SELECT i + 1 FROM g WHERE i < %[3]d - 1)
INSERT INTO crm_purchases
  (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at)
SELECT '%[1]s', printf('%%08x-0000-7000-9000-%%012x', i, i), printf('%%08x-0000-7000-8000-%%012x', i / 10, i / 10),
  t, 100 + (i * 7919) %% 20000, 'USD', t
FROM (SELECT i, strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', %[4]d + (i * 2654435761) %% %[5]d, 'unixepoch') AS t FROM g)`,
				sumWorkspace, lo, hi, base, sumSpan))
		}
		if lo == 0 {
			// The rest at the first chunk's pace, and the index builds at
			// about half the insert time.
			chunks := (sumPurchases + sumChunk - 1) / sumChunk
			projected := time.Since(start) + loading*time.Duration(chunks-1) + loading*time.Duration(chunks)/2
			b.Logf("projected load: %v (first %d purchases in %v)", projected.Round(time.Second), hi, loading.Round(time.Millisecond))
			if projected > budget {
				b.Skipf("set-up projected at %v, over the %v budget (CRM_BENCH_SETUP_MAX)", projected.Round(time.Second), budget)
			}
		}
	}
	for _, ix := range indexes {
		exec(ix[1])
	}
	for _, fk := range fkeys { // validated in one pass over the table
		exec("ALTER TABLE crm_purchases ADD CONSTRAINT " + fk[0] + " " + fk[1])
	}
	if pg {
		exec("RESET maintenance_work_mem")
		exec("VACUUM ANALYZE crm_customers")
		exec("VACUUM ANALYZE crm_purchases")
	} else {
		exec("ANALYZE")
		exec("PRAGMA cache_size = -2000")
		exec("PRAGMA analysis_limit = 0")
		exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
}

// heapWatch samples the Go heap while a benchmark runs.
type heapWatch struct {
	alloc uint64 // TotalAlloc at the start
	stop  chan struct{}
	done  sync.WaitGroup
	peak  uint64
}

func startHeapWatch() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := &heapWatch{alloc: ms.TotalAlloc, stop: make(chan struct{}), peak: ms.HeapInuse}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				m.peak = max(m.peak, ms.HeapInuse)
			}
		}
	}()
	return m
}

// report stops the sampling and reports the metrics; keep is what the call
// produced, reachable while the live heap is measured.
func (m *heapWatch) report(b *testing.B, customers int, keep ...any) {
	close(m.stop)
	m.done.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.peak = max(m.peak, ms.HeapInuse)
	alloc := ms.TotalAlloc - m.alloc
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(keep)
	const mb = 1 << 20
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(customers), "customers")
	b.ReportMetric(float64(ms.HeapInuse)/mb, "MB-heap")
	b.ReportMetric(float64(m.peak)/mb, "MB-peak")
	b.ReportMetric(float64(alloc)/mb/float64(b.N), "MB-alloc")
}
