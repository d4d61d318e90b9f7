// Package crm is kehu/crm: customer-relationship management as a Go
// library. The host hands it a *bun.DB (SQLite on one machine, PostgreSQL
// when it outgrows one) and gets the CRM modules as typed Go APIs, every
// call scoped to one workspace.
//
//	db, err := sqlite.Open(ctx, "crm.db")      // or postgres.Open(ctx, dsn), or the host's own *bun.DB
//	client, err := crm.New(db, nil)
//	err = client.Migrate(ctx)
//	ws := client.Workspace("acme")
//	c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "张三"})
//
// Errors wrap the sentinels ErrNotFound, ErrConflict, ErrInvalid and
// ErrNoWorkspace; test them with errors.Is. Bad input is a
// *ValidationError naming the field, and nothing is written.
package crm
