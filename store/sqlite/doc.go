// Package sqlite opens a SQLite database configured the way kehu/crm needs
// it: WAL journal, foreign keys on, a busy timeout, immediate write
// transactions and secure_delete (erased data is overwritten on disk), all
// set per connection in the DSN, and one connection, so that concurrent
// writers queue instead of failing with "database is locked".
//
// It links the pure-Go driver (modernc.org/sqlite through bun's sqliteshim;
// mattn/go-sqlite3 with cgo on platforms modernc does not support). Import
// it only if the host uses SQLite.
package sqlite
