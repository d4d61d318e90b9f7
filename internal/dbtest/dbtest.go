package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/store/postgres"
	"github.com/kehu/crm/store/sqlite"
)

// Names of the databases Run uses, as subtest names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Run runs fn as a subtest on each available database, given a fresh,
// migrated, guarded *bun.DB.
func Run(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	t.Run(SQLite, func(t *testing.T) { fn(t, Open(t, SQLite)) })
	t.Run(Postgres, func(t *testing.T) { fn(t, Open(t, Postgres)) })
}

// Open returns a fresh, migrated, guarded database of the given kind for tb
// (SQLite or Postgres), closed and removed when tb ends. It skips tb when
// PostgreSQL is asked for but not configured (fails under CRM_REQUIRE_POSTGRES).
func Open(tb testing.TB, kind string) *bun.DB {
	tb.Helper()
	ctx := context.Background()
	var db *bun.DB
	switch kind {
	case SQLite:
		var err error
		db, err = sqlite.Open(ctx, filepath.Join(tb.TempDir(), "crm.db"))
		if err != nil {
			tb.Fatal(err)
		}
	case Postgres:
		db = openPostgres(tb)
	default:
		tb.Fatalf("dbtest: unknown database %q", kind)
	}
	tb.Cleanup(func() { db.Close() })
	client, err := crm.New(db, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	db.AddQueryHook(&Guard{TB: tb})
	return db
}

// Kinds returns the databases available to this run: SQLite, and Postgres
// when configured.
func Kinds() []string {
	if os.Getenv("CRM_TEST_POSTGRES_DSN") != "" || os.Getenv("CRM_REQUIRE_POSTGRES") != "" {
		return []string{SQLite, Postgres}
	}
	return []string{SQLite}
}

func openPostgres(tb testing.TB) *bun.DB {
	dsn := os.Getenv("CRM_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CRM_REQUIRE_POSTGRES") != "" {
			tb.Fatal("dbtest: CRM_REQUIRE_POSTGRES is set but CRM_TEST_POSTGRES_DSN is empty")
		}
		tb.Skip("dbtest: CRM_TEST_POSTGRES_DSN is not set; PostgreSQL tests skipped")
	}
	ctx := context.Background()
	admin, err := postgres.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL at CRM_TEST_POSTGRES_DSN is unreachable: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "crmtest_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	db, err := postgres.Open(ctx, withSearchPath(dsn, schema))
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// withSearchPath adds search_path=schema to a URL or key=value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// Guard is a bun query hook that fails its test on any statement that
// touches a crm_ table without confining itself to a workspace: a select,
// update or delete must compare workspace_id with a literal, and must name
// workspace_id at least once for every crm_ table it mentions; an insert
// must set workspace_id.
type Guard struct {
	TB testing.TB
}

var (
	crmTable = regexp.MustCompile(`\bcrm_[a-z_]+\b`)
	wsLit    = regexp.MustCompile(`workspace_id"? = '`)
	// tables without a workspace column: bun/migrate's bookkeeping, and the
	// FTS5 index, which is only ever joined through crm_customer_search.
	exempt = map[string]bool{"crm_migrations": true, "crm_migration_locks": true, "crm_customer_fts": true}
)

// BeforeQuery implements bun.QueryHook.
func (g *Guard) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if err := Check(e.Query); err != "" {
		g.TB.Errorf("tenancy guard: %s\n%s", err, e.Query)
	}
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (g *Guard) AfterQuery(context.Context, *bun.QueryEvent) {}

// Check returns why query breaks the tenancy rule, or "".
func Check(query string) string {
	query = strings.TrimSpace(query)
	if h := strings.ToUpper(query[:min(len(query), 16)]); strings.HasPrefix(h, "INSERT") {
		// An insert's table and columns come before its values, which can
		// be long (bulk inserts): check only those.
		if i := strings.Index(strings.ToUpper(query[:min(len(query), 4096)]), " VALUES "); i > 0 {
			query = query[:i]
		}
	}
	q := strings.ToLower(query) // SQL identifiers and keywords ignore case
	head := strings.ToUpper(q[:min(len(q), 16)])
	for _, ddl := range []string{"CREATE", "DROP", "ALTER", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "ANALYZE"} {
		if strings.HasPrefix(head, ddl) {
			return ""
		}
	}
	tables := 0
	for _, m := range crmTable.FindAllString(q, -1) {
		if !exempt[m] {
			tables++
		}
	}
	if tables == 0 {
		return ""
	}
	n := strings.Count(q, "workspace_id")
	if n == 0 {
		return "statement on a crm_ table has no workspace_id"
	}
	if strings.HasPrefix(head, "INSERT") {
		return ""
	}
	if !wsLit.MatchString(q) {
		return "statement on a crm_ table does not compare workspace_id with a workspace"
	}
	if n < tables {
		return "statement mentions more crm_ tables than workspace predicates"
	}
	return ""
}
