// Package dbtest runs a test body against every available database: SQLite
// always (a file in t.TempDir()), and PostgreSQL when CRM_TEST_POSTGRES_DSN
// is set, each test in a schema of its own that is dropped afterwards. With
// CRM_REQUIRE_POSTGRES set (CI sets it), a missing or unreachable
// PostgreSQL fails the test instead of skipping it.
//
// Every database it opens carries the tenancy guard: a query hook that
// fails the test on any statement touching a crm_ table without a
// workspace predicate.
package dbtest
