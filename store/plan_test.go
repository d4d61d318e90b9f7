package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
)

const (
	planEvents    = 1_000_000
	planCustomers = 10_000 // 100 events each, half in each of two workspaces
	planPurchases = 200_000
)

// planCustomer is the id of the n-th generated customer: the same text the
// SQL below builds.
func planCustomer(n int) crmtype.ID {
	return crmtype.MustParseID(fmt.Sprintf("%08x-0000-7000-8000-%012x", n, n))
}

// queryCapture is a bun query hook that keeps the statements run on the
// tables it names (default crm_events and crm_purchases).
type queryCapture struct {
	match, also string
	mu          sync.Mutex
	queries     []string
}

func (c *queryCapture) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (c *queryCapture) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	match, also := c.match, c.also
	if match == "" {
		match, also = "crm_events", "crm_purchases"
	}
	if strings.Contains(e.Query, match) || strings.Contains(e.Query, also) {
		c.mu.Lock()
		c.queries = append(c.queries, e.Query)
		c.mu.Unlock()
	}
}

func (c *queryCapture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queries
	c.queries = nil
	return q
}

// TestTimelinePlan fills crm_events with a million events of 10,000
// customers in two workspaces, and crm_purchases with 200,000 purchases of
// theirs, and checks that each statement the store runs for a timeline
// page of 50 (the first page, a later page, and a page filtered by type)
// reads the customer's index of its table, newest first, with no scan of
// the table and no sort; and that the audit trail of a record without an
// ID reads its partial index.
func TestTimelinePlan(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		start := time.Now()
		fillEvents(t, db)
		t.Logf("%d events inserted and analysed in %v", planEvents, time.Since(start).Round(time.Millisecond))

		capture := &queryCapture{}
		db.AddQueryHook(capture)
		client, err := crm.New(db, nil)
		require.NoError(t, err)
		target := planCustomer(4242) // even: workspace "acme"
		ev := client.Workspace("acme").Events

		page, err := ev.Timeline(ctx, target, event.Query{Limit: 50})
		require.NoError(t, err)
		require.Len(t, page.Items, 50)
		require.NotEmpty(t, page.Next)
		first := capture.take()
		page2, err := ev.Timeline(ctx, target, event.Query{Limit: 50, After: page.Next})
		require.NoError(t, err)
		require.Len(t, page2.Items, 50)
		require.True(t, page.Items[49].Time.After(page2.Items[0].Time), "newest first across pages")
		kinds := map[string]int{}
		for _, e := range append(page.Items, page2.Items...) {
			kinds[e.Type]++
		}
		require.NotZero(t, kinds[customer.EventPurchaseRecorded], "purchases interleave with the log's events: %v", kinds)
		require.NotZero(t, kinds[customer.EventCustomerUpdated], "%v", kinds)
		second := capture.take()
		_, err = ev.Timeline(ctx, target, event.Query{Limit: 50, Types: []string{customer.EventCustomerUpdated}})
		require.NoError(t, err)
		typed := capture.take()
		// The audit trail of a record without an ID, from the partial index
		// (event i has a key when i % 1000 == 999: customer i % 10000 is
		// odd, in workspace "other").
		audit, err := client.Workspace("other").Events.Audit(ctx, event.AuditQuery{SubjectKey: "attr-7", SubjectType: "customer", Query: event.Query{Limit: 10}})
		require.NoError(t, err)
		require.Len(t, audit.Items, 10)
		require.Equal(t, "attr-7", audit.Items[0].SubjectKey)
		byKey := capture.take()

		// Each statement, and the index it must read: the log's or the
		// purchases' customer index.
		timeline := []string{"crm_events_customer", "crm_purchases_customer"}
		for _, c := range []struct {
			name    string
			indexes []string
			qs      []string
		}{{"first page", timeline, first}, {"next page", timeline, second},
			{"by type", timeline[:1], typed}, {"audit by key", []string{"crm_events_subject_key"}, byKey}} {
			require.Len(t, c.qs, len(c.indexes), c.name)
			for i, q := range c.qs {
				if db.Dialect().Name() == dialect.PG {
					checkPlanPostgres(t, db, c.name, c.indexes[i], q)
				} else {
					checkPlanSQLite(t, db, c.name, c.indexes[i], q)
				}
			}
		}
	})
}

// fillEvents inserts planEvents rows in one set-based statement: event i
// concerns customer i % planCustomers, of workspace "acme" when that is
// even, "other" when odd; one in 50 concerns no customer; one in 1,000
// carries a subject key. The migration's
// secondary indexes are dropped for the load and built again afterwards
// from their own definitions, which is several times faster than keeping
// a million random-order entries in each up to date.
func fillEvents(t *testing.T, db *bun.DB) {
	ctx := context.Background()
	pg := db.Dialect().Name() == dialect.PG
	// db.DB is the *sql.DB: the tenancy guard does not see these statements
	// of the test's own.
	var defs []string
	list := `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'crm_events' AND name LIKE 'crm_events_%' ORDER BY name`
	if pg {
		list = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'crm_events' AND indexname LIKE 'crm_events_%' AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname`
	}
	rows, err := db.DB.QueryContext(ctx, list)
	require.NoError(t, err)
	for rows.Next() {
		var def string
		require.NoError(t, rows.Scan(&def))
		defs = append(defs, def)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.GreaterOrEqual(t, len(defs), 4, "the migration's indexes: %v", defs)
	var stmts []string
	for _, def := range defs {
		name := strings.Fields(strings.SplitN(def, " ON ", 2)[0])
		stmts = append(stmts, "DROP INDEX "+name[len(name)-1])
	}
	if pg {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO crm_events
  (workspace_id, id, occurred_at, type, subject_type, subject_id, customer_id, actor, changes, subject_key)
SELECT CASE WHEN c %% 2 = 0 THEN 'acme' ELSE 'other' END,
  (lpad(to_hex(i), 8, '0') || '-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid,
  timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
  CASE WHEN i %% 3 = 0 THEN 'customer.updated' ELSE 'identity.added' END, 'customer',
  cid, CASE WHEN i %% 50 = 49 THEN NULL ELSE cid END, 'user:1',
  '[{"field":"stage","before":"lead","after":"customer"}]',
  CASE WHEN i %% 1000 = 999 THEN 'attr-' || ((i / 1000) %% 20) ELSE '' END
FROM (SELECT i, i %% %[2]d AS c,
        (lpad(to_hex(i %% %[2]d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i %% %[2]d), 12, '0'))::uuid AS cid
      FROM generate_series(0, %[1]d - 1) AS i) AS g`, planEvents, planCustomers))
	} else {
		stmts = append(stmts, fmt.Sprintf(`WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < %[1]d - 1)
INSERT INTO crm_events
  (workspace_id, id, occurred_at, type, subject_type, subject_id, customer_id, actor, changes, subject_key)
SELECT CASE WHEN (i %% %[2]d) %% 2 = 0 THEN 'acme' ELSE 'other' END,
  printf('%%08x-0000-7000-9000-%%012x', i, i),
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', 1767225600 + i, 'unixepoch'),
  CASE WHEN i %% 3 = 0 THEN 'customer.updated' ELSE 'identity.added' END, 'customer',
  printf('%%08x-0000-7000-8000-%%012x', i %% %[2]d, i %% %[2]d),
  CASE WHEN i %% 50 = 49 THEN NULL ELSE printf('%%08x-0000-7000-8000-%%012x', i %% %[2]d, i %% %[2]d) END,
  'user:1', '[{"field":"stage","before":"lead","after":"customer"}]',
  CASE WHEN i %% 1000 = 999 THEN 'attr-' || ((i / 1000) %% 20) ELSE '' END
FROM g`, planEvents, planCustomers))
	}
	// The customers (the purchases' foreign key needs them) and 20
	// purchases each, occurring between the customer's events.
	stmts = append(stmts, planCustomersSQL(pg, planCustomers))
	if pg {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO crm_purchases
  (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at)
SELECT CASE WHEN i %% %[2]d %% 2 = 0 THEN 'acme' ELSE 'other' END,
  (lpad(to_hex(i), 8, '0') || '-0000-7000-a000-' || lpad(to_hex(i), 12, '0'))::uuid,
  (lpad(to_hex(i %% %[2]d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i %% %[2]d), 12, '0'))::uuid,
  timestamptz '2026-01-01 00:00:00+00' + (i * 5 + 3) * interval '1 second', 100, 'EUR', timestamptz '2026-01-01 00:00:00+00'
FROM generate_series(0, %[1]d - 1) AS i`, planPurchases, planCustomers))
	} else {
		stmts = append(stmts, fmt.Sprintf(`WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < %[1]d - 1)
INSERT INTO crm_purchases
  (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at)
SELECT CASE WHEN (i %% %[2]d) %% 2 = 0 THEN 'acme' ELSE 'other' END,
  printf('%%08x-0000-7000-a000-%%012x', i, i),
  printf('%%08x-0000-7000-8000-%%012x', i %% %[2]d, i %% %[2]d),
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', 1767225600 + i * 5 + 3, 'unixepoch'), 100, 'EUR', '2026-01-01 00:00:00+00:00'
FROM g`, planPurchases, planCustomers))
	}
	stmts = append(stmts, defs...)
	stmts = append(stmts, "ANALYZE")
	if !pg {
		// A larger page cache for the load and the index builds, on the
		// pool's one connection, then the defaults again.
		// ANALYZE samples, as PRAGMA optimize would.
		stmts = append(append([]string{"PRAGMA cache_size = -131072", "PRAGMA analysis_limit = 1000"}, stmts...),
			"PRAGMA cache_size = -2000", "PRAGMA analysis_limit = 0")
	}
	for _, s := range stmts {
		st := time.Now()
		_, err := db.DB.ExecContext(ctx, s)
		require.NoError(t, err, s)
		t.Logf("%v %.60s", time.Since(st).Round(time.Millisecond), s)
	}
}

// planCustomersSQL inserts the planCustomers customers the generated rows
// refer to: customer n is planCustomer(n), of workspace "acme" when n is
// even, "other" when odd.
func planCustomersSQL(pg bool, n int) string {
	if pg {
		return fmt.Sprintf(`INSERT INTO crm_customers
  (workspace_id, id, kind, name, name_fold, name_key, stage, version, created_at, updated_at)
SELECT CASE WHEN c %% 2 = 0 THEN 'acme' ELSE 'other' END,
  (lpad(to_hex(c), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(c), 12, '0'))::uuid,
  'person', 'c' || c, 'c' || c, '\x00'::bytea, 'customer', 1, timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00'
FROM generate_series(0, %[1]d - 1) AS c`, n)
	}
	return fmt.Sprintf(`WITH RECURSIVE g(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM g WHERE c < %[1]d - 1)
INSERT INTO crm_customers
  (workspace_id, id, kind, name, name_fold, name_key, stage, version, created_at, updated_at)
SELECT CASE WHEN c %% 2 = 0 THEN 'acme' ELSE 'other' END, printf('%%08x-0000-7000-8000-%%012x', c, c),
  'person', 'c' || c, 'c' || c, x'00', 'customer', 1, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'
FROM g`, n)
}

func checkPlanSQLite(t *testing.T, db *bun.DB, name, index, query string) {
	rows, err := db.DB.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query)
	require.NoError(t, err)
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		details = append(details, detail)
	}
	require.NoError(t, rows.Err())
	plan := strings.Join(details, "\n")
	t.Logf("%s:\n%s\n%s", name, query, plan)
	require.Contains(t, plan, "INDEX "+index+" ", name)
	require.NotContains(t, plan, "SCAN e", name)
	require.NotContains(t, plan, "SCAN crm_events", name)
	require.NotContains(t, plan, "SCAN p\n", name)
	require.NotContains(t, plan, "SCAN crm_purchases", name)
	require.NotContains(t, plan, "SCAN i\n", name)
	require.NotContains(t, plan, "SCAN v\n", name)
	require.NotContains(t, plan, "TEMP B-TREE", name)
}

// pgPlan is a node of EXPLAIN (FORMAT JSON).
type pgPlan struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	IndexName string   `json:"Index Name"`
	Plans     []pgPlan `json:"Plans"`
}

func (p pgPlan) walk(fn func(pgPlan)) {
	fn(p)
	for _, c := range p.Plans {
		c.walk(fn)
	}
}

func checkPlanPostgres(t *testing.T, db *bun.DB, name, index, query string) {
	var js string
	require.NoError(t, db.DB.QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+query).Scan(&js))
	var out []struct {
		Plan pgPlan `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &out))
	require.Len(t, out, 1)
	var nodes []string
	usesIndex := false
	out[0].Plan.walk(func(p pgPlan) {
		nodes = append(nodes, strings.TrimSpace(p.NodeType+" "+p.Relation+" "+p.IndexName))
		require.NotEqual(t, "Sort", p.NodeType, "%s: the index should give the order", name)
		require.NotEqual(t, "Incremental Sort", p.NodeType, name)
		if strings.HasPrefix(p.Relation, "crm_") {
			require.NotEqual(t, "Seq Scan", p.NodeType, name)
		}
		if p.IndexName == index {
			usesIndex = true
		}
	})
	t.Logf("%s:\n%s\n%s", name, query, strings.Join(nodes, " > "))
	require.True(t, usesIndex, "%s: %s is not used", name, index)
}

const (
	planInteractions  = 1_000_000
	planConversations = 100_000 // 10 interactions each, 10 per customer
)

// TestConversationPlan fills crm_interactions with a million interactions
// in 100,000 conversations of 10,000 customers in two workspaces, and
// checks that a customer's conversation list, a conversation's messages, a
// customer's interactions and the interactions on a timeline page are each
// one statement that reads its index in order: no scan, no sort.
func TestConversationPlan(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		start := time.Now()
		fillInteractions(t, db)
		t.Logf("%d interactions inserted and analysed in %v", planInteractions, time.Since(start).Round(time.Millisecond))

		capture := &queryCapture{match: "crm_interactions", also: "crm_conversations"}
		db.AddQueryHook(capture)
		client, err := crm.New(db, nil)
		require.NoError(t, err)
		target := planCustomer(4242) // even: workspace "acme"
		com := client.Workspace("acme").Communication

		convs, err := com.Conversations(ctx, target, communication.ListParams{Limit: 5})
		require.NoError(t, err)
		require.Len(t, convs.Items, 5)
		require.Equal(t, 10, convs.Items[0].Messages)
		first := capture.take()
		convs2, err := com.Conversations(ctx, target, communication.ListParams{Limit: 5, After: convs.Next})
		require.NoError(t, err)
		require.Len(t, convs2.Items, 5)
		require.True(t, convs.Items[4].LastAt.After(convs2.Items[0].LastAt))
		second := capture.take()
		msgs, err := com.Messages(ctx, convs.Items[0].ID, communication.ListParams{Limit: 50})
		require.NoError(t, err)
		require.Len(t, msgs.Items, 10)
		messages := capture.take()
		ins, err := com.Interactions(ctx, communication.InteractionListParams{CustomerID: target, Limit: 50})
		require.NoError(t, err)
		require.Len(t, ins.Items, 50)
		list := capture.take()
		tl, err := client.Workspace("acme").Events.Timeline(ctx, target, event.Query{Limit: 50,
			Types: []string{communication.EventInteractionRecorded}})
		require.NoError(t, err)
		require.Len(t, tl.Items, 50)
		timeline := capture.take()
		// The contact decision counts the customer's recent outbound
		// messages for the caps from the partial outbound index.
		require.NoError(t, com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow,
			Caps: []communication.Cap{{Purpose: communication.PurposeMarketing, Max: 3, Window: 30 * 24 * time.Hour}}}))
		capture.take()
		_, err = com.Decide(ctx, communication.DecideParams{CustomerID: target, Channel: communication.Email,
			Purpose: communication.PurposeMarketing, At: time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)})
		require.NoError(t, err)
		decide := capture.take()

		for _, c := range []struct {
			name, index string
			qs          []string
		}{{"conversations", "crm_conversations_customer", first}, {"conversations, next page", "crm_conversations_customer", second},
			{"messages", "crm_interactions_conversation", messages}, {"interactions", "crm_interactions_customer", list},
			{"timeline", "crm_interactions_customer", timeline}, {"decide", "crm_interactions_outbound", decide}} {
			require.Len(t, c.qs, 1, c.name)
			if db.Dialect().Name() == dialect.PG {
				checkPlanPostgres(t, db, c.name, c.index, c.qs[0])
			} else {
				checkPlanSQLite(t, db, c.name, c.index, c.qs[0])
			}
		}
	})
}

// fillInteractions inserts planInteractions rows in set-based statements:
// interaction i belongs to conversation i % planConversations, which
// belongs to customer (its number) % planCustomers. Secondary indexes are
// built after the load, as in fillEvents.
func fillInteractions(t testing.TB, db *bun.DB) {
	ctx := context.Background()
	pg := db.Dialect().Name() == dialect.PG
	var defs []string
	list := `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('crm_interactions', 'crm_conversations') AND name LIKE 'crm_%' ORDER BY name`
	if pg {
		list = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('crm_interactions', 'crm_conversations') AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname`
	}
	rows, err := db.DB.QueryContext(ctx, list)
	require.NoError(t, err)
	for rows.Next() {
		var def string
		require.NoError(t, rows.Scan(&def))
		defs = append(defs, def)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.Len(t, defs, 4, "the migrations' indexes: %v", defs)
	var stmts []string
	for _, def := range defs {
		name := strings.Fields(strings.SplitN(def, " ON ", 2)[0])
		stmts = append(stmts, "DROP INDEX "+name[len(name)-1])
	}
	stmts = append(stmts, planCustomersSQL(pg, planCustomers))
	if pg {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO crm_conversations
  (workspace_id, id, customer_id, channel, thread_key, subject, started_at, last_at, messages)
SELECT CASE WHEN v %% %[2]d %% 2 = 0 THEN 'acme' ELSE 'other' END,
  (lpad(to_hex(v), 8, '0') || '-0000-7000-b000-' || lpad(to_hex(v), 12, '0'))::uuid,
  (lpad(to_hex(v %% %[2]d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(v %% %[2]d), 12, '0'))::uuid,
  'email', 't:' || v, 'subject ' || v,
  timestamptz '2026-01-01 00:00:00+00' + v * interval '1 second',
  timestamptz '2026-01-01 00:00:00+00' + (v + %[3]d * 9) * interval '1 second', 10
FROM generate_series(0, %[1]d - 1) AS v`, planConversations, planCustomers, planConversations),
			fmt.Sprintf(`INSERT INTO crm_interactions
  (workspace_id, id, customer_id, conversation_id, channel, direction, occurred_at, subject, body, provider_id, created_at, updated_at)
SELECT CASE WHEN i %% %[2]d %% %[3]d %% 2 = 0 THEN 'acme' ELSE 'other' END,
  (lpad(to_hex(i), 8, '0') || '-0000-7000-c000-' || lpad(to_hex(i), 12, '0'))::uuid,
  (lpad(to_hex(i %% %[2]d %% %[3]d), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i %% %[2]d %% %[3]d), 12, '0'))::uuid,
  (lpad(to_hex(i %% %[2]d), 8, '0') || '-0000-7000-b000-' || lpad(to_hex(i %% %[2]d), 12, '0'))::uuid,
  'email', CASE WHEN i %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
  timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', 'subject', 'body', '<' || i || '@x>',
  timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00'
FROM generate_series(0, %[1]d - 1) AS i`, planInteractions, planConversations, planCustomers))
	} else {
		stmts = append(stmts, fmt.Sprintf(`WITH RECURSIVE g(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM g WHERE v < %[1]d - 1)
INSERT INTO crm_conversations
  (workspace_id, id, customer_id, channel, thread_key, subject, started_at, last_at, messages)
SELECT CASE WHEN (v %% %[2]d) %% 2 = 0 THEN 'acme' ELSE 'other' END,
  printf('%%08x-0000-7000-b000-%%012x', v, v),
  printf('%%08x-0000-7000-8000-%%012x', v %% %[2]d, v %% %[2]d),
  'email', 't:' || v, 'subject ' || v,
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', 1767225600 + v, 'unixepoch'),
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', 1767225600 + v + %[3]d * 9, 'unixepoch'), 10
FROM g`, planConversations, planCustomers, planConversations),
			fmt.Sprintf(`WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < %[1]d - 1)
INSERT INTO crm_interactions
  (workspace_id, id, customer_id, conversation_id, channel, direction, occurred_at, subject, body, provider_id, created_at, updated_at)
SELECT CASE WHEN ((i %% %[2]d) %% %[3]d) %% 2 = 0 THEN 'acme' ELSE 'other' END,
  printf('%%08x-0000-7000-c000-%%012x', i, i),
  printf('%%08x-0000-7000-8000-%%012x', (i %% %[2]d) %% %[3]d, (i %% %[2]d) %% %[3]d),
  printf('%%08x-0000-7000-b000-%%012x', i %% %[2]d, i %% %[2]d),
  'email', CASE WHEN i %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
  strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', 1767225600 + i, 'unixepoch'), 'subject', 'body', '<' || i || '@x>',
  '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'
FROM g`, planInteractions, planConversations, planCustomers))
	}
	stmts = append(stmts, defs...)
	stmts = append(stmts, "ANALYZE")
	if !pg {
		stmts = append(append([]string{"PRAGMA cache_size = -131072", "PRAGMA analysis_limit = 1000"}, stmts...),
			"PRAGMA cache_size = -2000", "PRAGMA analysis_limit = 0")
	}
	for _, s := range stmts {
		st := time.Now()
		_, err := db.DB.ExecContext(ctx, s)
		require.NoError(t, err, s)
		t.Logf("%v %.60s", time.Since(st).Round(time.Millisecond), s)
	}
}
