package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kehu/crm"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The file is created if it does not exist.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Every connection has foreign keys on and the WAL journal.
	var foreignKeys int
	var journal string
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&foreignKeys); err != nil {
		log.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		log.Fatal(err)
	}
	fmt.Println("foreign_keys:", foreignKeys, "journal_mode:", journal)

	client, err := crm.New(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	n, err := client.Workspace("acme").Customers.Count(ctx, customer.Filter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("customers:", n)
	// Output:
	// foreign_keys: 1 journal_mode: wal
	// customers: 0
}
