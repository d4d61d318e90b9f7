// Package store is the one bun implementation of every kehu/crm domain
// Store interface, on SQLite and PostgreSQL.
//
// It owns the schema (embedded, per-dialect SQL migrations run by
// bun/migrate into crm_-prefixed tables), maps database errors to the
// crmtype sentinels, and confines every statement to one workspace: every
// select, count, update and delete carries a workspace predicate, and every
// insert takes the workspace from the scope, never from input.
//
// Opening a database is left to the sub-packages store/sqlite and
// store/postgres, so that importing the SDK does not link a driver the host
// does not use.
package store
