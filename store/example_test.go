package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store"
	"github.com/kehu/crm/store/sqlite"
)

// A host that does not use the crm client can build the domain services on
// the store directly: migrate once, then hand the store to each service.
func ExampleMigrate() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "crm-store-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx, db); err != nil { // a second run applies nothing
		panic(err)
	}
	customers := customer.NewService(store.New(db), "acme", crmtype.NewManualClock(crmtype.MustParseID("019abcde-f012-7345-8678-9abcdef01234").Time()))
	c, err := customers.Create(ctx, customer.CreateParams{Name: "张三"})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Name, c.Version, c.Stage)
	// Output: 张三 1 lead
}
