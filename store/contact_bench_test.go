package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
)

// BenchmarkDecide measures the contact decision. "single" decides one
// marketing email for a customer with 10,000 past outbound messages in a
// workspace of 1,000,000 interactions (consent, preferences, two caps),
// beside "raw", the one SQL count a hand-written cap check would run;
// "batch100k" decides one message to each of 100,000 customers, half of
// them with a consent entry (the other half are denied: no consent).
//
//	go test ./store -run '^$' -bench 'Decide/.*/(raw|single)' -benchtime 200x
//	go test ./store -run '^$' -bench 'Decide/.*/batch100k' -benchtime 3x
func BenchmarkDecide(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			fillInteractions(b, db)
			pg := db.Dialect().Name() == dialect.PG
			target := planCustomer(4242)
			heavy := `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < 9999)
INSERT INTO crm_interactions (workspace_id, id, customer_id, conversation_id, channel, direction, occurred_at, purpose, created_at, updated_at)
SELECT 'acme', printf('%08x-0000-7000-d000-%012x', i, i), '` + target.String() + `', '00001092-0000-7000-b000-000000001092',
  'email', 'outbound', strftime('%Y-%m-%d %H:%M:%S+00:00', 1767225600 + i * 3600, 'unixepoch'), 'marketing', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' FROM g`
			if pg {
				heavy = `INSERT INTO crm_interactions (workspace_id, id, customer_id, conversation_id, channel, direction, occurred_at, purpose, created_at, updated_at)
SELECT 'acme', (lpad(to_hex(i), 8, '0') || '-0000-7000-d000-' || lpad(to_hex(i), 12, '0'))::uuid, '` + target.String() + `',
  '00001092-0000-7000-b000-000000001092', 'email', 'outbound', timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour', 'marketing',
  timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00' FROM generate_series(0, 9999) AS i`
			}
			for _, s := range []string{heavy, "ANALYZE"} {
				if _, err := db.DB.ExecContext(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			// Just after the last of the 10,000 hourly messages: the week's
			// window holds 168 of them.
			at := time.Date(2027, 2, 21, 20, 0, 0, 0, time.UTC)
			client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(at)})
			if err != nil {
				b.Fatal(err)
			}
			com := client.Workspace("acme").Communication
			if err := com.SetContactSettings(ctx, communication.ContactSettings{Caps: []communication.Cap{
				{Purpose: communication.PurposeMarketing, Max: 3, Window: 7 * 24 * time.Hour},
				{Channel: communication.Email, Max: 10, Window: 24 * time.Hour}}}); err != nil {
				b.Fatal(err)
			}
			if _, err := com.RecordConsent(ctx, communication.ConsentParams{CustomerID: target, Purpose: communication.PurposeMarketing,
				State: communication.ConsentGranted, EffectiveAt: at.Add(-time.Hour)}); err != nil {
				b.Fatal(err)
			}
			b.Run("raw", func(b *testing.B) {
				for b.Loop() {
					var n int
					if err := db.NewSelect().TableExpr("crm_interactions AS i").ColumnExpr("count(*)").
						Where("i.workspace_id = ?", "acme").Where("i.customer_id = ?", target).Where("i.direction = 'outbound'").
						Where("i.occurred_at > ?", at.Add(-7*24*time.Hour)).Where("i.purpose = ?", "marketing").Scan(ctx, &n); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("single", func(b *testing.B) {
				for b.Loop() {
					d, err := com.Decide(ctx, communication.DecideParams{CustomerID: target, Channel: communication.Email, Purpose: communication.PurposeMarketing})
					if err != nil || d.Verdict != communication.Defer {
						b.Fatal(d, err)
					}
				}
			})
		})
		b.Run(kind+"/batch100k", func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			pg := db.Dialect().Name() == dialect.PG
			const n = 100_000
			consents := `WITH RECURSIVE g(c) AS (SELECT 0 UNION ALL SELECT c + 2 FROM g WHERE c < %[1]d - 2)
INSERT INTO crm_consents (workspace_id, id, customer_id, purpose, state, effective_at, recorded_at)
SELECT 'acme', printf('%%08x-0000-7000-e000-%%012x', c, c), printf('%%08x-0000-7000-8000-%%012x', c, c), 'marketing', 'granted',
  '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' FROM g`
			if pg {
				consents = `INSERT INTO crm_consents (workspace_id, id, customer_id, purpose, state, effective_at, recorded_at)
SELECT 'acme', (lpad(to_hex(c), 8, '0') || '-0000-7000-e000-' || lpad(to_hex(c), 12, '0'))::uuid,
  (lpad(to_hex(c), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(c), 12, '0'))::uuid, 'marketing', 'granted',
  timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00' FROM generate_series(0, %[1]d - 1, 2) AS c`
			}
			for _, s := range []string{planCustomersSQL(pg, n), "UPDATE crm_customers SET workspace_id = 'acme'", fmt.Sprintf(consents, n), "ANALYZE"} {
				if _, err := db.DB.ExecContext(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			client, err := crm.New(db, nil)
			if err != nil {
				b.Fatal(err)
			}
			com := client.Workspace("acme").Communication
			if err := com.SetContactSettings(ctx, communication.ContactSettings{Caps: []communication.Cap{
				{Purpose: communication.PurposeMarketing, Max: 3, Window: 7 * 24 * time.Hour}}}); err != nil {
				b.Fatal(err)
			}
			ids := make([]crmtype.ID, n)
			for i := range ids {
				ids[i] = planCustomer(i)
			}
			for b.Loop() {
				ds, err := com.DecideBatch(ctx, communication.BatchParams{CustomerIDs: ids, Channel: communication.Email, Purpose: communication.PurposeMarketing})
				if err != nil {
					b.Fatal(err)
				}
				allowed := 0
				for _, d := range ds {
					if d.Verdict == communication.Allow {
						allowed++
					}
				}
				if allowed != n/2 { // the granted half
					b.Fatalf("%d allowed", allowed)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "recipients/s")
		})
	}
}
