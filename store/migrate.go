package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration table names: prefixed, so a host that also uses bun/migrate
// keeps its own.
const (
	MigrationsTable      = "crm_migrations"
	MigrationLocksTable  = "crm_migration_locks"
	migrationAdvisoryKey = 0x6b656875 // "kehu": serialises concurrent Migrate calls on PostgreSQL
)

// Migrate brings db's crm_ schema up to date. Each migration runs in its own
// transaction and is marked applied only when it succeeded, so a failed run
// can simply be repeated. On PostgreSQL concurrent calls from several
// processes are serialised by an advisory lock; on SQLite run it from one
// process (a concurrent loser fails and can simply be run again).
func Migrate(ctx context.Context, db *bun.DB) error {
	sub := "migrations/sqlite"
	if db.Dialect().Name() == dialect.PG {
		sub = "migrations/postgres"
	}
	fsys, err := fs.Sub(migrationFiles, sub)
	if err != nil {
		return err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	m := migrate.NewMigrator(db, ms,
		migrate.WithTableName(MigrationsTable),
		migrate.WithLocksTableName(MigrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))

	if db.Dialect().Name() == dialect.PG {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationAdvisoryKey); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationAdvisoryKey) //nolint:errcheck
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("store: migrate: init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}
