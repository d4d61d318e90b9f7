package communication_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/sqlite"
)

// A weekly call with a customer in Berlin, with a reminder 15 minutes
// before; a worker polls for due reminders, delivers them and acknowledges
// them; completing the task moves it to the next week.
func ExampleService_DueReminders() {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	clock := crmtype.NewManualClock(time.Date(2026, 10, 19, 8, 0, 0, 0, time.UTC))
	client, err := crm.New(db, &crm.Config{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	ws := client.Workspace("acme")
	anna, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "Anna Schmidt", TimeZone: "Europe/Berlin"})
	if err != nil {
		log.Fatal(err)
	}

	berlin, _ := time.LoadLocation("Europe/Berlin")
	task, err := ws.Communication.CreateTask(ctx, communication.TaskParams{
		CustomerID: anna.ID,
		Subject:    "Weekly call",
		DueAt:      time.Date(2026, 10, 20, 9, 0, 0, 0, berlin), // Tuesday
		Rule:       "FREQ=WEEKLY;COUNT=3",                       // in the customer's zone
		Reminders:  []time.Duration{15 * time.Minute},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("due", task.DueAt.In(berlin).Format("Mon 2 Jan 15:04 MST"))

	// A worker's loop, run once here at 08:45 Berlin time.
	clock.Set(time.Date(2026, 10, 20, 8, 45, 0, 0, berlin))
	due, err := ws.Communication.DueReminders(ctx, clock.Now(), 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range due {
		fmt.Printf("remind: %s at %s\n", r.Task.Subject, r.Task.DueAt.In(berlin).Format("15:04"))
		if err := ws.Communication.AckReminder(ctx, r.Claim); err != nil {
			log.Fatal(err)
		}
	}

	// Done for this week: the task moves on, across the end of summer time.
	clock.Set(time.Date(2026, 10, 20, 10, 0, 0, 0, berlin))
	task, err = ws.Communication.CompleteTask(ctx, task.ID, task.Version)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(task.Status, "next due", task.DueAt.In(berlin).Format("Mon 2 Jan 15:04 MST"), task.DueAt.Format(time.RFC3339))

	// Bad input names its field, and nothing is written.
	_, err = ws.Communication.CreateTask(ctx, communication.TaskParams{
		CustomerID: anna.ID, Subject: "Quarterly review", DueAt: clock.Now(), Rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
	})
	fmt.Println(err)
	// Output:
	// due Tue 20 Oct 09:00 CEST
	// remind: Weekly call at 09:00
	// open next due Tue 27 Oct 09:00 CET 2026-10-27T08:00:00Z
	// communication: create task: invalid rrule: never occurs
}
