package event_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/store/sqlite"
)

// exampleWorkspace returns workspace "acme" on a fresh SQLite file, with a
// manual clock. Call the returned function when done.
func exampleWorkspace(ctx context.Context) (*crm.Workspace, *crmtype.ManualClock, func()) {
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	clock := crmtype.NewManualClock(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC))
	client, err := crm.New(db, &crm.Config{Clock: clock, OutboxLease: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	return client.Workspace("acme"), clock, func() {
		db.Close()
		os.RemoveAll(dir)
	}
}

func printEvent(e crmtype.Event) {
	fmt.Printf("%s %s by %q\n", e.Time.Format("15:04"), e.Type, e.Actor)
	for _, c := range e.Changes {
		fmt.Printf("    %s: %v -> %v\n", c.Field, c.Before, c.After)
	}
}

// A customer's timeline: everything that happened to them, newest first,
// with who did it and what changed.
func ExampleService_Timeline() {
	ctx := crm.WithActor(context.Background(), "user:42")
	ws, clock, done := exampleWorkspace(ctx)
	defer done()

	c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "张三", Stage: customer.StageLead})
	if err != nil {
		log.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := ws.Customers.Update(crm.WithActor(ctx, "user:7"), c.ID, customer.UpdateParams{
		Version: c.Version, Stage: customer.Ptr(customer.StageCustomer),
	}); err != nil {
		log.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{
		CustomerID: c.ID, OccurredAt: clock.Now(), Amount: crmtype.Money{Minor: 4200, Currency: "CNY"}, OrderID: "A-1",
	}); err != nil {
		log.Fatal(err)
	}

	page, err := ws.Events.Timeline(ctx, c.ID, event.Query{Types: []string{customer.EventCustomerCreated, customer.EventCustomerUpdated}})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Items {
		printEvent(e)
	}
	// Output:
	// 10:00 customer.updated by "user:7"
	//     stage: lead -> customer
	// 09:00 customer.created by "user:42"
	//     kind: <nil> -> person
	//     name: <nil> -> 张三
	//     stage: <nil> -> lead
}

// The audit trail of one record, page by page.
func ExampleService_Audit() {
	ctx := crm.WithActor(context.Background(), "admin")
	ws, clock, done := exampleWorkspace(ctx)
	defer done()

	for _, label := range []string{"Tier", "Tier", "Level", "Loyalty level"} {
		clock.Advance(time.Minute)
		// Redefining with the same values records nothing.
		if _, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Label: label, Type: customer.TypeString}); err != nil {
			log.Fatal(err)
		}
	}
	q := event.AuditQuery{SubjectType: "attribute", SubjectKey: "tier", Query: event.Query{Limit: 2}}
	for n := 1; ; n++ {
		page, err := ws.Events.Audit(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("page", n)
		for _, e := range page.Items {
			for _, c := range e.Changes {
				if c.Field == "label" {
					fmt.Printf("  %s %s: %v -> %v\n", e.Time.Format("15:04"), e.Type, c.Before, c.After)
				}
			}
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	// Output:
	// page 1
	//   09:04 attribute.defined: Level -> Loyalty level
	//   09:03 attribute.defined: Tier -> Level
	// page 2
	//   09:01 attribute.defined: <nil> -> Tier
}

// A consumer reads the outbox in batches and acknowledges what it has
// delivered; a batch it does not acknowledge comes again after the lease.
func ExampleService_Next() {
	ctx := context.Background()
	ws, clock, done := exampleWorkspace(ctx)
	defer done()

	for _, name := range []string{"Ann", "Bob", "Cy"} {
		if _, err := ws.Customers.Create(ctx, customer.CreateParams{Name: name}); err != nil {
			log.Fatal(err)
		}
	}
	names := func(b event.Batch) []any {
		var out []any
		for _, e := range b.Events {
			for _, c := range e.Changes {
				if c.Field == "name" {
					out = append(out, c.After)
				}
			}
		}
		return out
	}

	b, err := ws.Events.Next(ctx, "webhooks", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("worker 1 got", names(b))
	other, err := ws.Events.Next(ctx, "webhooks", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("worker 2 got", names(other), "while the batch is leased")

	// Worker 1 crashes before Ack; after the lease the batch comes again.
	clock.Advance(2 * time.Minute)
	b, err = ws.Events.Next(ctx, "webhooks", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("worker 2 got", names(b), "after the lease")
	if err := ws.Events.Ack(ctx, "webhooks", b.Cursor); err != nil {
		log.Fatal(err)
	}
	b, err = ws.Events.Next(ctx, "webhooks", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("next batch", names(b))
	if err := ws.Events.Ack(ctx, "webhooks", b.Cursor); err != nil {
		log.Fatal(err)
	}
	b, err = ws.Events.Next(ctx, "webhooks", 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("then", len(b.Events), "events")
	// Output:
	// worker 1 got [Ann Bob]
	// worker 2 got [] while the batch is leased
	// worker 2 got [Ann Bob] after the lease
	// next batch [Cy]
	// then 0 events
}

// Prune applies the retention the host chooses.
func ExampleService_Prune() {
	ctx := context.Background()
	ws, clock, done := exampleWorkspace(ctx)
	defer done()

	c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "Ann"})
	if err != nil {
		log.Fatal(err)
	}
	clock.Advance(400 * 24 * time.Hour)
	if _, err := ws.Customers.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("Ann Lee")}); err != nil {
		log.Fatal(err)
	}
	n, err := ws.Events.Prune(ctx, clock.Now().AddDate(-1, 0, 0))
	if err != nil {
		log.Fatal(err)
	}
	page, err := ws.Events.Timeline(ctx, c.ID, event.Query{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pruned", n, "kept", len(page.Items), page.Items[0].Type)
	// Output:
	// pruned 1 kept 1 customer.updated
}
