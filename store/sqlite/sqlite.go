package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// BusyTimeoutMS is how long a connection waits for another process's write
// lock before giving up, in milliseconds.
const BusyTimeoutMS = 30000

// DSN returns the data source name that Open uses for the database file at
// path, for hosts that open the database themselves.
func DSN(path string) string {
	name := "file:" + (&url.URL{Path: path}).EscapedPath()
	if sqliteshim.DriverName() == "sqlite3" { // mattn/go-sqlite3
		return fmt.Sprintf("%s?_busy_timeout=%d&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_secure_delete=1&_txlock=immediate", name, BusyTimeoutMS)
	}
	return fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_txlock=immediate", name, BusyTimeoutMS)
}

// Open opens (creating if needed) the SQLite database file at path and
// checks that it answers. Close the returned *bun.DB when done.
func Open(ctx context.Context, path string) (*bun.DB, error) {
	sqldb, err := sql.Open(sqliteshim.ShimName, DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer at a time anyway, and a single
	// connection makes every write queue in Go rather than spin on the lock.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetMaxIdleConns(1)
	sqldb.SetConnMaxLifetime(0)
	sqldb.SetConnMaxIdleTime(0)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
