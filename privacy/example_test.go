package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/privacy"
	"github.com/kehu/crm/store/sqlite"
)

// exampleCustomer returns workspace "acme" on a fresh SQLite file with a
// manual clock, holding one customer with two identities, a tag and a
// purchase. Call the returned function when done.
func exampleCustomer(ctx context.Context) (*crm.Workspace, *customer.Customer, func()) {
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	clock := crmtype.NewManualClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	client, err := crm.New(db, &crm.Config{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	ws := client.Workspace("acme")
	c, err := ws.Customers.Create(ctx, customer.CreateParams{
		Name: "张三", Tags: []string{"vip"},
		Identities: []customer.IdentityParams{
			{Kind: customer.Email, Value: "zhang.san@example.cn"},
			{Kind: customer.Phone, Value: "+86 138 0013 8000"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{
		CustomerID: c.ID, OccurredAt: clock.Now(), Amount: crmtype.Money{Minor: 12800, Currency: "CNY"},
		OrderID: "A-1001", Description: "Gift for 张三's mother",
	}); err != nil {
		log.Fatal(err)
	}
	return ws, c, func() {
		db.Close()
		os.RemoveAll(dir)
	}
}

// Export gathers every record about one person, to hand them as JSON.
func ExampleService_Export() {
	ctx := context.Background()
	ws, c, done := exampleCustomer(ctx)
	defer done()

	bundle, err := ws.Privacy.Export(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	tables := make([]string, 0, len(bundle.Tables))
	for t := range bundle.Tables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		if n := len(bundle.Tables[t]); n > 0 { // every module's tables are listed, empty ones too
			fmt.Printf("%s: %d\n", t, n)
		}
	}
	js, err := bundle.JSON()
	if err != nil {
		log.Fatal(err)
	}
	var decoded struct {
		Tables map[string][]struct {
			Value string `json:"value"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(js, &decoded); err != nil {
		log.Fatal(err)
	}
	for _, id := range decoded.Tables["crm_identities"] {
		fmt.Println("identity:", id.Value)
	}
	// Output:
	// crm_customer_search: 1
	// crm_customer_tags: 1
	// crm_customers: 1
	// crm_events: 1
	// crm_identities: 2
	// crm_purchases: 1
	// identity: zhang.san@example.cn
	// identity: +8613800138000
}

// Erase removes a person's data everywhere; the purchase stays for the
// accounts, without the person in it, and the timeline keeps what happened
// and when, without the values.
func ExampleService_Erase() {
	ctx := crm.WithActor(context.Background(), "dpo")
	ws, c, done := exampleCustomer(ctx)
	defer done()

	report, err := ws.Privacy.Erase(ctx, c.ID, privacy.EraseOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted identities:", report.Deleted["crm_identities"], "scrubbed purchases:", report.Scrubbed["crm_purchases"])

	_, err = ws.Customers.Get(ctx, c.ID)
	fmt.Println("get:", errors.Is(err, crm.ErrNotFound))
	_, err = ws.Customers.ByEmail(ctx, "zhang.san@example.cn")
	fmt.Println("by email:", errors.Is(err, crm.ErrNotFound))
	_, err = ws.Customers.Restore(ctx, c.ID)
	fmt.Println("restore:", errors.Is(err, crm.ErrNotFound))

	buys, err := ws.Customers.Purchases(ctx, c.ID, customer.PurchaseListParams{})
	if err != nil {
		log.Fatal(err)
	}
	p := buys.Items[0]
	fmt.Printf("purchase %s: %d %s, description %q\n", p.OrderID, p.Amount.Minor, p.Amount.Currency, p.Description)

	page, err := ws.Events.Timeline(ctx, c.ID, event.Query{})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Items {
		fmt.Printf("%s with %d changes\n", e.Type, len(e.Changes))
	}

	bundle, err := ws.Privacy.Export(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	js, err := bundle.JSON()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("export mentions 张三:", strings.Contains(string(js), "张三"))
	// Output:
	// deleted identities: 2 scrubbed purchases: 1
	// get: true
	// by email: true
	// restore: true
	// purchase A-1001: 12800 CNY, description ""
	// customer.erased with 0 changes
	// customer.created with 0 changes
	// purchase.recorded with 5 changes
	// export mentions 张三: false
}
