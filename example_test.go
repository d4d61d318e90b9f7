package crm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/sqlite"
)

// openExampleClient opens a migrated client on a SQLite file in a fresh
// temporary directory, with a clock fixed for reproducible output. Call the
// returned function when done.
func openExampleClient(ctx context.Context) (*crm.Client, func()) {
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	clock := crmtype.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	client, err := crm.New(db, &crm.Config{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	return client, func() {
		db.Close()
		os.RemoveAll(dir)
	}
}

// Open a SQLite file, migrate it, and create a customer in a workspace.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	client, err := crm.New(db, &crm.Config{
		// A fixed clock makes the timestamps below reproducible; omit
		// Config (pass nil) to use the system clock.
		Clock: crmtype.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	ws := client.Workspace("acme")
	// Phone numbers written without a country code are read as Chinese.
	if err := ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}); err != nil {
		log.Fatal(err)
	}
	c, err := ws.Customers.Create(crm.WithActor(ctx, "user:42"), customer.CreateParams{
		Name: "张三",
		Identities: []customer.IdentityParams{
			{Kind: customer.Email, Value: "Zhang San <ZHANG.San@Example.CN>"},
			{Kind: customer.Phone, Value: "138 0013 8000"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name, c.Kind, c.Stage, c.Version)
	fmt.Println(c.Email(), c.Phone())
	fmt.Println(c.CreatedAt)

	found, err := ws.Customers.ByPhone(ctx, "+86 138-0013-8000")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.ID == c.ID)
	// Output:
	// 张三 person lead 1
	// zhang.san@example.cn +8613800138000
	// 2026-01-02 03:04:05 +0000 UTC
	// true
}

// Everything done through tx commits together, or not at all.
func ExampleClient_RunInTx() {
	ctx := context.Background()
	client, done := openExampleClient(ctx)
	defer done()
	ws := client.Workspace("acme")

	// fn fails after creating a company: the company is rolled back too.
	errAbort := errors.New("abort")
	err := client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
		if _, err := tx.Workspace("acme").Customers.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "ACME GmbH"}); err != nil {
			return err
		}
		return errAbort
	})
	fmt.Println(errors.Is(err, errAbort))
	n, err := ws.Customers.Count(ctx, customer.Filter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after rollback:", n)

	// A company and its employee, created together.
	err = client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
		txws := tx.Workspace("acme")
		co, err := txws.Customers.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "ACME GmbH"})
		if err != nil {
			return err
		}
		_, err = txws.Customers.Create(ctx, customer.CreateParams{Name: "José Müller", CompanyID: co.ID})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	n, err = ws.Customers.Count(ctx, customer.Filter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after commit:", n)
	// Output:
	// true
	// after rollback: 0
	// after commit: 2
}

// Workspaces are separate tenants; an invalid workspace id is refused by
// every call with ErrNoWorkspace.
func ExampleClient_Workspace() {
	ctx := context.Background()
	client, done := openExampleClient(ctx)
	defer done()

	acme := client.Workspace("acme")
	c, err := acme.Customers.Create(ctx, customer.CreateParams{Name: "John Smith"})
	if err != nil {
		log.Fatal(err)
	}

	// Another workspace cannot see acme's customer.
	_, err = client.Workspace("globex").Customers.Get(ctx, c.ID)
	fmt.Println(errors.Is(err, crm.ErrNotFound))

	// Workspace does not touch the database: a bad id shows on first use.
	_, err = client.Workspace("").Customers.Create(ctx, customer.CreateParams{Name: "John Smith"})
	fmt.Println(errors.Is(err, crm.ErrNoWorkspace))
	fmt.Println(err)
	// Output:
	// true
	// true
	// customer: create: no workspace: workspace id is empty
}

// The default region reads phone numbers written without a country code.
func ExampleWorkspace_UpdateSettings() {
	ctx := context.Background()
	client, done := openExampleClient(ctx)
	defer done()
	ws := client.Workspace("acme")

	_, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "山田太郎",
		Identities: []customer.IdentityParams{{Kind: customer.Phone, Value: "03-1234-5678"}}})
	fmt.Println(err)

	if err := ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "jp"}); err != nil {
		log.Fatal(err)
	}
	s, err := ws.Settings(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.DefaultRegion)
	c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "山田太郎",
		Identities: []customer.IdentityParams{{Kind: customer.Phone, Value: "03-1234-5678"}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Phone())

	err = ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "XX"})
	fmt.Println(errors.Is(err, crm.ErrInvalid))
	// Output:
	// customer: create: invalid identities[0].value: has no country code and the workspace has no default region
	// JP
	// +81312345678
	// true
}
