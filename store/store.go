package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm/crmtype"
)

// Store implements the domain Store interfaces over one bun.IDB: a *bun.DB,
// or a bun.Tx when the caller's transaction covers the work.
type Store struct {
	db       bun.IDB
	pg       bool         // PostgreSQL; otherwise SQLite
	noEvents bool         // benchmarks only: measure writes without their events
	subs     *subscribers // shared by every store derived from New's
	pend     *pending     // the events of the transaction the store began; nil otherwise
}

// New returns a Store over db, which must be a SQLite or PostgreSQL
// database (bun's sqlitedialect or pgdialect). It panics on another dialect.
func New(db bun.IDB) *Store {
	switch db.Dialect().Name() {
	case dialect.PG:
		return &Store{db: db, pg: true, subs: &subscribers{}}
	case dialect.SQLite:
		return &Store{db: db, subs: &subscribers{}}
	}
	panic(fmt.Sprintf("store: unsupported dialect %s: use SQLite or PostgreSQL", db.Dialect().Name()))
}

// WithDB returns a Store that works on db (typically a bun.Tx) instead.
func (s *Store) WithDB(db bun.IDB) *Store {
	return &Store{db: db, pg: s.pg, noEvents: s.noEvents, subs: s.subs}
}

// DB returns the bun.IDB the store works on.
func (s *Store) DB() bun.IDB { return s.db }

// IsPostgres reports whether the store works on PostgreSQL.
func (s *Store) IsPostgres() bool { return s.pg }

// mapError turns driver errors into the crmtype sentinels: no rows and a
// foreign-key violation are ErrNotFound, a unique violation ErrConflict.
// Other errors pass through.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return crmtype.ErrNotFound
	}
	switch constraintKind(err) {
	case "unique":
		return &crmtype.ConflictError{Resource: "record", Reason: "is already stored (a unique value is taken)"}
	case "foreign_key": // a referenced record was deleted concurrently
		return fmt.Errorf("a referenced record does not exist: %w", crmtype.ErrNotFound)
	case "retry": // a deadlock or serialisation failure with a concurrent writer
		return &crmtype.ConflictError{Resource: "record", Reason: "changed concurrently: try again"}
	}
	return err
}

// constraintKind classifies a constraint violation: "unique", "foreign_key",
// "check", "retry" (a PostgreSQL deadlock or serialisation failure), or ""
// for other errors.
func constraintKind(err error) string {
	var st interface{ SQLState() string } // pgconn.PgError, without importing pgx
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "40001", "40P01":
			return "retry"
		case "23505":
			return "unique"
		case "23503":
			return "foreign_key"
		case "23514":
			return "check"
		}
		return ""
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "PRIMARY KEY constraint failed"):
		return "unique"
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return "foreign_key"
	case strings.Contains(msg, "CHECK constraint failed"):
		return "check"
	}
	return ""
}

// ws is the workspace predicate for table alias a: every select, update and
// delete on a crm_ table goes through it.
func ws(a string, sc crmtype.Scope) (string, []any) {
	return "?.workspace_id = ?", []any{bun.Ident(a), string(sc.Workspace)}
}

// where adds the workspace predicate to q.
func where[Q interface {
	Where(string, ...any) Q
}](q Q, alias string, sc crmtype.Scope) Q {
	expr, args := ws(alias, sc)
	return q.Where(expr, args...)
}

// batchRows is how many rows one multi-row INSERT carries.
const batchRows = 500

// insertChunks inserts rows (a slice of bun models) in multi-row statements
// of at most batchRows rows.
func insertChunks[T any](ctx context.Context, db bun.IDB, rows []T) error {
	for i := 0; i < len(rows); i += batchRows {
		chunk := rows[i:min(i+batchRows, len(rows))]
		if _, err := db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
