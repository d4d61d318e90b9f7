// Package postgres opens a PostgreSQL database for kehu/crm through pgx's
// database/sql driver in simple-protocol mode (bun inlines arguments, so
// prepared statements would never be reused). Import it only if the host
// uses PostgreSQL.
package postgres
