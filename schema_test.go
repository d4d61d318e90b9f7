package crm_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm/internal/dbtest"
)

// dialectOnlyIndexes are indexes one dialect has for a reason of its own:
// PostgreSQL needs text_pattern_ops for an index to serve the prefix
// (LIKE 'x%') filters on emails, which SQLite serves from its other
// indexes on the value.
var dialectOnlyIndexes = map[string]bool{"crm_identities_value_prefix": true}

// schemaOf describes db's crm_ tables: each table's columns with their
// nullability, and its indexes (name, uniqueness, columns, partial or not)
// other than primary keys, one line each, sorted. It reads below bun's
// hooks (the catalogue has no workspace column).
func schemaOf(t *testing.T, ctx context.Context, db *bun.DB) []string {
	t.Helper()
	raw := db.DB
	var out []string
	query := func(q string, args ...any) [][]string {
		rows, err := raw.QueryContext(ctx, q, args...)
		require.NoError(t, err, q)
		defer rows.Close()
		cols, err := rows.Columns()
		require.NoError(t, err)
		var res [][]string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			r := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				r[i] = fmt.Sprint(v)
			}
			res = append(res, r)
		}
		require.NoError(t, rows.Err())
		return res
	}
	sqlite := db.Dialect().Name() == dialect.SQLite
	var tables [][]string
	if sqlite {
		// FTS5's virtual table and its shadow tables are SQLite's
		// full-text engine; PostgreSQL's is a tsvector column.
		tables = query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'crm\_%' ESCAPE '\'
AND name NOT LIKE 'crm\_customer\_fts%' ESCAPE '\' AND name NOT IN ('crm_migrations', 'crm_migration_locks') ORDER BY name`)
	} else {
		tables = query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
AND table_name LIKE 'crm\_%' AND table_name NOT IN ('crm_migrations', 'crm_migration_locks') ORDER BY table_name`)
	}
	for _, tr := range tables {
		table := tr[0]
		if table == "crm_customer_search" {
			continue // each dialect's own full-text engine: FTS5 documents, or a tsvector column
		}
		if sqlite {
			for _, c := range query(`SELECT name, "notnull" OR pk FROM pragma_table_info(?) ORDER BY cid`, table) {
				out = append(out, fmt.Sprintf("%s.%s not null=%v", table, c[0], c[1] == "1"))
			}
			for _, ix := range query(`SELECT name, "unique", partial FROM pragma_index_list(?) WHERE origin <> 'pk'`, table) {
				cols := query(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix[0])
				names := make([]string, len(cols))
				for i, c := range cols {
					names[i] = c[0]
				}
				name := ix[0]
				if strings.HasPrefix(name, "sqlite_autoindex_") {
					name = "(constraint)"
				}
				out = append(out, fmt.Sprintf("%s index %s unique=%v partial=%v (%s)", table, name, ix[1] == "1", ix[2] == "1", strings.Join(names, ", ")))
			}
			continue
		}
		for _, c := range query(`SELECT column_name, is_nullable = 'NO' FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table) {
			out = append(out, fmt.Sprintf("%s.%s not null=%v", table, c[0], c[1] == "true"))
		}
		for _, ix := range query(`SELECT i.relname, x.indisunique, x.indpred IS NOT NULL, x.indexrelid,
EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = x.indexrelid AND k.contype = 'u')
FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid JOIN pg_class AS t ON t.oid = x.indrelid
WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary`, table) {
			if dialectOnlyIndexes[ix[0]] {
				continue
			}
			cols := query(`SELECT a.attname FROM pg_index AS x, unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute AS a ON a.attnum = k.attnum WHERE x.indexrelid = $1::oid AND a.attrelid = x.indrelid ORDER BY k.n`, ix[3])
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = c[0]
			}
			name := ix[0]
			if ix[4] == "true" {
				name = "(constraint)"
			}
			out = append(out, fmt.Sprintf("%s index %s unique=%v partial=%v (%s)", table, name, ix[1] == "true", ix[2] == "true", strings.Join(names, ", ")))
		}
	}
	sort.Strings(out)
	return out
}

// TestSchemaSameOnBothDatabases checks that the SQLite and PostgreSQL
// migrations produce the same tables, columns, nullability and indexes.
func TestSchemaSameOnBothDatabases(t *testing.T) {
	kinds := dbtest.Kinds()
	if len(kinds) < 2 {
		t.Skip("needs PostgreSQL (CRM_TEST_POSTGRES_DSN)")
	}
	ctx := context.Background()
	lite := schemaOf(t, ctx, dbtest.Open(t, dbtest.SQLite))
	pg := schemaOf(t, ctx, dbtest.Open(t, dbtest.Postgres))
	require.Contains(t, lite, "crm_identities index crm_identities_external unique=true partial=true (workspace_id, kind, system, value)")
	require.Contains(t, lite, "crm_possible_duplicates.other_id not null=true")
	require.Equal(t, lite, pg)
}
