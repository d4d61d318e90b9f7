package dbtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

func TestCheckFlagsUnscopedStatements(t *testing.T) {
	cases := []struct {
		name, query, want string
	}{
		{"select without workspace", `SELECT "c"."id" FROM "crm_customers" AS "c" WHERE ("c"."id" = '0190a5f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d')`,
			"statement on a crm_ table has no workspace_id"},
		{"select of all rows", `SELECT * FROM crm_identities`, "statement on a crm_ table has no workspace_id"},
		{"count without workspace", `SELECT count(*) FROM "crm_purchases" AS "p" WHERE ("p"."customer_id" = 'x')`,
			"statement on a crm_ table has no workspace_id"},
		{"update without workspace", `UPDATE "crm_customers" AS "c" SET "name" = 'x' WHERE ("c"."id" = 'y')`,
			"statement on a crm_ table has no workspace_id"},
		{"delete without workspace", `DELETE FROM "crm_customer_tags" AS "t" WHERE ("t"."customer_id" = 'y')`,
			"statement on a crm_ table has no workspace_id"},
		{"insert without workspace_id", `INSERT INTO "crm_attribute_defs" ("key", "type") VALUES ('tier', 'enum')`,
			"statement on a crm_ table has no workspace_id"},
		{"workspace compared with a column only", `SELECT * FROM crm_customers AS c WHERE c.workspace_id = c.company_id`,
			"statement on a crm_ table does not compare workspace_id with a workspace"},
		{"workspace only selected", `SELECT c.workspace_id, c.id FROM crm_customers AS c WHERE c.id = 'y'`,
			"statement on a crm_ table does not compare workspace_id with a workspace"},
		{"update with workspace in SET only", `UPDATE crm_customers SET workspace_id = c.x WHERE id = 'y'`,
			"statement on a crm_ table does not compare workspace_id with a workspace"},
		{"join with one predicate", `SELECT * FROM "crm_customers" AS "c" JOIN crm_identities AS i ON i.customer_id = c.id WHERE ("c"."workspace_id" = 'acme')`,
			"statement mentions more crm_ tables than workspace predicates"},
		{"three tables, two predicates", `SELECT * FROM crm_customers AS c JOIN crm_customer_search AS s ON s.customer_id = c.id JOIN crm_purchases AS p ON p.customer_id = c.id WHERE c.workspace_id = 'a' AND p.workspace_id = 'a'`,
			"statement mentions more crm_ tables than workspace predicates"},
		{"subquery without predicate", `SELECT * FROM crm_customers AS c WHERE c.workspace_id = 'a' AND c.id IN (SELECT customer_id FROM crm_purchases)`,
			"statement mentions more crm_ tables than workspace predicates"},
		{"lower-case keywords", `delete from crm_customers where id = 'y'`, "statement on a crm_ table has no workspace_id"},
		{"leading white space", "\n\t  SELECT * FROM crm_customers", "statement on a crm_ table has no workspace_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Check(tc.query))
		})
	}
}

func TestCheckPassesScopedStatements(t *testing.T) {
	for _, q := range []string{
		// scoped statements as bun renders them on both dialects
		`SELECT "c"."id" FROM "crm_customers" AS "c" WHERE ("c"."id" = 'x') AND ("c"."workspace_id" = 'acme')`,
		`SELECT c.id FROM crm_customers AS c WHERE c.workspace_id = 'acme'`,
		`UPDATE "crm_customers" AS "c" SET "name" = 'x' WHERE ("c"."id" = 'y') AND ("c"."workspace_id" = 'acme')`,
		`DELETE FROM "crm_customer_tags" AS "t" WHERE ("t"."customer_id" = 'y') AND ("t"."workspace_id" = 'acme')`,
		`INSERT INTO "crm_identities" ("workspace_id", "id", "customer_id") VALUES ('acme', 'x', 'y')`,
		`INSERT INTO crm_workspaces (workspace_id, default_region, created_at, updated_at) VALUES ('acme', 'CN', '2026-01-01', '2026-01-01') ON CONFLICT (workspace_id) DO UPDATE SET default_region = excluded.default_region`,
		`SELECT * FROM crm_customers AS c JOIN crm_identities AS i ON i.workspace_id = c.workspace_id AND i.customer_id = c.id WHERE c.workspace_id = 'acme'`,
		// the FTS5 index has no workspace column and is exempt
		`SELECT * FROM crm_customers AS c JOIN crm_customer_search AS s ON s.workspace_id = c.workspace_id JOIN crm_customer_fts AS f ON f.rowid = s.docid WHERE c.workspace_id = 'a' AND crm_customer_fts MATCH '"x"*'`,
		// DDL, transaction control and pragmas
		`CREATE TABLE crm_customers (workspace_id text NOT NULL, id uuid NOT NULL)`,
		`create index crm_customers_stage on crm_customers (workspace_id, stage, id)`,
		`CREATE VIRTUAL TABLE crm_customer_fts USING fts5 (doc)`,
		`DROP TABLE crm_customers`,
		`ALTER TABLE crm_customers ADD COLUMN x text`,
		`PRAGMA foreign_keys`,
		`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT "sp1"`, `RELEASE SAVEPOINT "sp1"`, `ROLLBACK TO SAVEPOINT "sp1"`,
		// bun/migrate's bookkeeping tables
		`SELECT "m"."id", "m"."name" FROM "crm_migrations" AS "m" ORDER BY "id" DESC`,
		`INSERT INTO "crm_migrations" ("name", "group_id") VALUES ('20261125000001', 1)`,
		`DELETE FROM "crm_migration_locks" WHERE ("table_name" = 'crm_migrations')`,
		// no crm_ table at all
		`SELECT 1`,
		`SELECT * FROM users WHERE id = 1`,
		`SELECT pg_advisory_lock(1802856565)`,
		``,
	} {
		require.Empty(t, Check(q), q)
	}
}

// fakeTB records the errors a Guard reports.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestGuardReportsToItsTest(t *testing.T) {
	tb := &fakeTB{TB: t}
	g := &Guard{TB: tb}
	ctx := context.Background()
	require.Equal(t, ctx, g.BeforeQuery(ctx, &bun.QueryEvent{Query: `SELECT * FROM crm_customers WHERE workspace_id = 'a'`}))
	require.Empty(t, tb.errors)
	g.BeforeQuery(ctx, &bun.QueryEvent{Query: `DELETE FROM crm_customers`})
	require.Len(t, tb.errors, 1)
	require.Contains(t, tb.errors[0], "tenancy guard: statement on a crm_ table has no workspace_id")
	require.Contains(t, tb.errors[0], "DELETE FROM crm_customers")
}

func TestCheckIgnoresCaseOfIdentifiers(t *testing.T) {
	require.NotEmpty(t, Check(`SELECT * FROM CRM_CUSTOMERS`))
	require.NotEmpty(t, Check(`DELETE FROM Crm_Identities WHERE id = 'x'`))
	require.Empty(t, Check(`SELECT * FROM CRM_CUSTOMERS AS c WHERE c.WORKSPACE_ID = 'a'`))
}

func TestKinds(t *testing.T) {
	t.Setenv("CRM_TEST_POSTGRES_DSN", "")
	t.Setenv("CRM_REQUIRE_POSTGRES", "")
	require.Equal(t, []string{SQLite}, Kinds())
	t.Setenv("CRM_TEST_POSTGRES_DSN", "postgres://x")
	require.Equal(t, []string{SQLite, Postgres}, Kinds())
}

func TestWithSearchPath(t *testing.T) {
	require.Equal(t, "postgres://u@h:5432/db?search_path=s1&sslmode=disable", withSearchPath("postgres://u@h:5432/db?sslmode=disable", "s1"))
	require.Equal(t, "host=h dbname=db search_path=s1", withSearchPath("host=h dbname=db", "s1"))
}

func TestOpenSQLiteIsGuarded(t *testing.T) {
	inner := &fakeTB{TB: t}
	db := Open(inner, SQLite)
	ctx := context.Background()
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM crm_customers WHERE workspace_id = ?", "a").Scan(&n))
	require.Zero(t, n)
	require.Empty(t, inner.errors)
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM crm_customers").Scan(&n))
	require.Len(t, inner.errors, 1, "the guard flags an unscoped statement on a database from Open")
}
