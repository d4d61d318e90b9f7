package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/kehu/crm"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/postgres"
)

// This example needs a PostgreSQL server, so it is compiled but not run.
func ExampleOpen() {
	ctx := context.Background()
	dsn := os.Getenv("CRM_POSTGRES_DSN") // e.g. postgres://crm@localhost:5432/crm?sslmode=disable
	if dsn == "" {
		dsn = "postgres://crm@localhost:5432/crm?sslmode=disable&search_path=crm"
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	client, err := crm.New(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	c, err := client.Workspace("acme").Customers.Create(ctx, customer.CreateParams{Name: "José Müller"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name, c.Version)
}
