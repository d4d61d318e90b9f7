package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/service"
)

const planTickets = 100_000 // open tickets in workspace "acme", as many in "other"

// planNow is the instant the at-risk query is asked at: deadlines spread
// over the 30 days around it.
var planNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// fillTickets inserts planTickets open tickets into each of the workspaces
// "acme" and "other", each with a first-response target met and a
// resolution target running, deadlines one every 26 seconds or so over 30
// days centred on planNow, in set-based statements.
func fillTickets(t testing.TB, db *bun.DB) {
	ctx := context.Background()
	pg := db.Dialect().Name() == dialect.PG
	_, err := db.DB.ExecContext(ctx, planCustomersSQL(pg, planCustomers))
	require.NoError(t, err)
	const span = 30 * 24 * 3600 // seconds
	start := planNow.Add(-15 * 24 * time.Hour)
	var tickets, slas string
	if pg {
		tickets = fmt.Sprintf(`INSERT INTO crm_tickets (workspace_id, id, number, customer_id, category, priority, subject, status, version, created_at, updated_at, policy_id)
SELECT w.ws, (lpad(to_hex(n + w.off), 8, '0') || '-0001-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, n + 1,
  (lpad(to_hex((2 * n + w.off) %% %[2]d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex((2 * n + w.off) %% %[2]d), 12, '0'))::uuid,
  'inquiry', 'normal', 'ticket ' || n, 'open', 1, timestamptz '%[3]s', timestamptz '%[3]s', '00000000-0000-7000-8000-00000000beef'::uuid
FROM generate_series(0, %[1]d - 1) AS n, (VALUES ('acme', 0), ('other', 1)) AS w(ws, off)`, planTickets, planCustomers, start.Format(time.RFC3339))
		slas = fmt.Sprintf(`INSERT INTO crm_ticket_slas (workspace_id, id, ticket_id, metric, seq, policy_id, target_minutes, started_at, deadline, met_at, next_escalation_at)
SELECT t.workspace_id, (substr(t.id::text, 1, 9) || m.k || substr(t.id::text, 14))::uuid, t.id, m.metric, 1, t.policy_id, 60, t.created_at,
  timestamptz '%[1]s' + ((t.number * %[2]d / %[3]d) || ' seconds')::interval,
  CASE WHEN m.metric = 'first_response' THEN t.created_at END,
  CASE WHEN m.metric = 'resolution' THEN timestamptz '%[1]s' + ((t.number * %[2]d / %[3]d) || ' seconds')::interval END
FROM crm_tickets AS t, (VALUES ('first_response', '0002'), ('resolution', '0003')) AS m(metric, k)`, start.Format(time.RFC3339), span, planTickets)
	} else {
		tickets = fmt.Sprintf(`WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < %[1]d - 1)
INSERT INTO crm_tickets (workspace_id, id, number, customer_id, category, priority, subject, status, version, created_at, updated_at, policy_id)
SELECT w.ws, printf('%%08x-0001-7000-8000-%%012x', n + w.off, n), n + 1,
  printf('%%08x-0000-7000-8000-%%012x', (2 * n + w.off) %% %[2]d, (2 * n + w.off) %% %[2]d),
  'inquiry', 'normal', 'ticket ' || n, 'open', 1, '%[3]s', '%[3]s', '00000000-0000-7000-8000-00000000beef'
FROM g, (SELECT 'acme' AS ws, 0 AS off UNION ALL SELECT 'other', 1) AS w`, planTickets, planCustomers, start.Format("2006-01-02 15:04:05+00:00"))
		slas = fmt.Sprintf(`INSERT INTO crm_ticket_slas (workspace_id, id, ticket_id, metric, seq, policy_id, target_minutes, started_at, deadline, met_at, next_escalation_at)
SELECT t.workspace_id, substr(t.id, 1, 9) || m.k || substr(t.id, 14), t.id, m.metric, 1, t.policy_id, 60, t.created_at,
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', '%[1]s', '+' || (t.number * %[2]d / %[3]d) || ' seconds'),
  CASE WHEN m.metric = 'first_response' THEN t.created_at END,
  CASE WHEN m.metric = 'resolution' THEN strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', '%[1]s', '+' || (t.number * %[2]d / %[3]d) || ' seconds') END
FROM crm_tickets AS t, (SELECT 'first_response' AS metric, '0002' AS k UNION ALL SELECT 'resolution', '0003') AS m`, start.Format("2006-01-02 15:04:05"), span, planTickets)
	}
	for _, q := range []string{tickets, slas} {
		_, err := db.DB.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	_, err = db.DB.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)
}

// TestAtRiskPlan fills 100,000 open tickets in each of two workspaces and
// checks that the breach forecast (the targets due within an hour) and
// the escalation claim read their partial indexes in deadline order,
// with no scan and no sort.
func TestAtRiskPlan(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(planNow)})
		require.NoError(t, err)
		require.NoError(t, client.Migrate(ctx))
		fillTickets(t, db)
		capture := &queryCapture{match: "crm_ticket_slas", also: "crm_ticket_slas"}
		db.AddQueryHook(capture)
		svc := client.Workspace("acme").Service
		page, err := svc.AtRisk(ctx, service.AtRiskParams{Within: time.Hour, Limit: 50})
		require.NoError(t, err)
		require.Len(t, page.Items, 50)
		require.True(t, page.Items[0].Breached, "the overdue come first")
		for i := 1; i < len(page.Items); i++ {
			require.False(t, page.Items[i].Deadline.Before(page.Items[i-1].Deadline))
		}
		risk := capture.take()
		es, err := svc.ClaimEscalations(ctx, 10)
		require.NoError(t, err)
		require.Len(t, es, 10)
		require.Equal(t, service.LevelBreach, es[0].Level)
		claim := capture.take()
		require.NotEmpty(t, claim)
		for _, c := range []struct{ name, index, q string }{
			{"at risk", "crm_ticket_slas_deadline", risk[0]},
			{"claim", "crm_ticket_slas_escalation", claim[0]},
		} {
			if db.Dialect().Name() == dialect.PG {
				checkPlanPostgres(t, db, c.name, c.index, c.q)
			} else {
				checkPlanSQLite(t, db, c.name, c.index, c.q)
			}
		}
	})
}

// BenchmarkAtRisk: the breach forecast (a page of 50 targets due within
// the hour among 100,000 open tickets of the workspace) through the SDK,
// beside the same query in hand-written SQL.
//
//	go test ./store -run '^$' -bench AtRisk -benchtime 2000x
func BenchmarkAtRisk(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(planNow)})
			require.NoError(b, err)
			require.NoError(b, client.Migrate(ctx))
			fillTickets(b, db)
			svc := client.Workspace("acme").Service
			until := planNow.Add(time.Hour)
			b.Run("sdk", func(b *testing.B) {
				for b.Loop() {
					page, err := svc.AtRisk(ctx, service.AtRiskParams{Within: time.Hour, Limit: 50})
					if err != nil || len(page.Items) != 50 {
						b.Fatal(err, len(page.Items))
					}
				}
			})
			raw := `SELECT s.id, s.ticket_id, t.number, s.metric, s.seq, s.policy_id, s.deadline, t.priority, t.assignee_id, t.team_id
FROM crm_ticket_slas AS s JOIN crm_tickets AS t ON t.workspace_id = s.workspace_id AND t.id = s.ticket_id
WHERE s.workspace_id = ? AND s.met_at IS NULL AND s.deadline IS NOT NULL AND s.deadline <= ?
ORDER BY s.deadline, s.id LIMIT 51`
			b.Run("raw-sql", func(b *testing.B) {
				for b.Loop() {
					rows, err := db.QueryContext(ctx, raw, "acme", until)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						var id, ticket, metric, policy, priority, assignee, team string
						var number int64
						var seq int
						var deadline time.Time
						if err := rows.Scan(&id, &ticket, &number, &metric, &seq, &policy, &deadline, &priority, &assignee, &team); err != nil {
							b.Fatal(err)
						}
						n++
					}
					rows.Close()
					if n != 51 {
						b.Fatal(n)
					}
				}
			})
		})
	}
}
