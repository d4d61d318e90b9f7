// Command quickstart walks through kehu/crm on a SQLite file.
//
//	go run ./examples/quickstart            # uses ./crm.db
//	go run ./examples/quickstart -db /tmp/x.db
//
// It opens (creating if needed) the database, migrates it, sets the
// workspace's default phone region, defines two custom attributes (an enum
// "tier" and a date "birthday"), adds companies and people written in
// several scripts and countries, records purchases in four currencies,
// searches, looks a customer up by email, updates one with a version check
// (and shows that a stale version is refused with ErrConflict), and lists
// everyone by name. What it does is printed as tables.
//
// It is idempotent: run it again on the same file and it finds the customers
// it made before (by external id, then by email) instead of creating them
// twice, and skips purchases whose order id is already recorded.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/texttable"
	"github.com/kehu/crm/store/sqlite"
)

// system is the external system whose ids the quickstart gives its records,
// so that a second run can find them.
const system = "quickstart"

// person is one demo customer.
type person struct {
	key      string // external id in system
	name     string
	given    string
	family   string
	company  string // key of the company, "" for none
	email    string
	phone    string // as a person would write it
	country  string
	locale   string
	timeZone string
	tier     string
	birthday string
}

var companies = []struct {
	key, name, country string
}{
	{"co-alibaba", "阿里巴巴", "CN"},
	{"co-mueller", "Müller & Söhne GmbH", "DE"},
}

var people = []person{
	{key: "p-zhangsan", name: "张三", given: "三", family: "张", company: "co-alibaba",
		email: "Zhang San <ZHANG.San@Example.CN>", phone: "138 0013 8000", // local Chinese mobile, read with the default region CN
		country: "CN", locale: "zh-Hans-CN", timeZone: "Asia/Shanghai", tier: "gold", birthday: "1990-05-01"},
	{key: "p-jose", name: "José Müller", given: "José", family: "Müller", company: "co-mueller",
		email: "jose.mueller@example.de", phone: "+49 30 901820",
		country: "DE", locale: "de-DE", timeZone: "Europe/Berlin", tier: "silver", birthday: "1985-11-23"},
	{key: "p-yamada", name: "山田太郎", given: "太郎", family: "山田",
		email: "taro.yamada@example.jp", phone: "+81 3-1234-5678",
		country: "JP", locale: "ja-JP", timeZone: "Asia/Tokyo", tier: "bronze"},
	{key: "p-priya", name: "Priya Sharma", given: "Priya", family: "Sharma",
		email: "priya.sharma@example.in", phone: "+91 98765 43210",
		country: "IN", locale: "hi-IN", timeZone: "Asia/Kolkata", tier: "silver", birthday: "1992-08-15"},
	{key: "p-john", name: "John Smith", given: "John", family: "Smith",
		email: "john.smith@example.com", phone: "+1 (650) 253-0000",
		country: "US", locale: "en-US", timeZone: "America/Los_Angeles"},
	{key: "p-olga", name: "Ольга Иванова", given: "Ольга", family: "Иванова",
		email: "olga@example.ru", phone: "+7 495 123-45-67",
		country: "RU", locale: "ru-RU", timeZone: "Europe/Moscow", tier: "bronze"},
}

var purchases = []struct {
	order, person string
	minor         int64
	currency      string
	quantity      int64
	channel       string
	at            time.Time
}{
	{"QS-1001", "p-zhangsan", 29900, "CNY", 1, "web", time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)},
	{"QS-1002", "p-zhangsan", 12800, "CNY", 2, "store", time.Date(2025, 6, 18, 4, 0, 0, 0, time.UTC)},
	{"QS-1003", "p-jose", 4990, "EUR", 1, "web", time.Date(2025, 4, 2, 15, 12, 0, 0, time.UTC)},
	{"QS-1004", "p-yamada", 3980, "JPY", 3, "store", time.Date(2025, 5, 5, 2, 45, 0, 0, time.UTC)},
	{"QS-1005", "p-john", 2500, "USD", 1, "phone", time.Date(2025, 7, 4, 19, 0, 0, 0, time.UTC)},
	{"QS-1006", "p-priya", 1999, "USD", 1, "web", time.Date(2025, 9, 9, 11, 11, 0, 0, time.UTC)},
}

func main() {
	dbPath := flag.String("db", "crm.db", "path of the SQLite database file (created if missing)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("quickstart: ")

	ctx := crm.WithActor(context.Background(), "system:quickstart")

	db, err := sqlite.Open(ctx, *dbPath)
	if err != nil {
		log.Fatalf("open database: %v", err)
	}
	defer db.Close()
	client, err := crm.New(db, nil)
	if err != nil {
		log.Fatalf("new client: %v", err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatalf("migrate: %v", err)
	}
	fmt.Printf("Database %s is migrated.\n\n", *dbPath)

	ws := client.Workspace("quickstart")
	if err := ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}); err != nil {
		log.Fatalf("set default region: %v", err)
	}
	settings, err := ws.Settings(ctx)
	if err != nil {
		log.Fatalf("read settings: %v", err)
	}
	fmt.Printf("Workspace %q: phone numbers without a country code are read as %s numbers.\n\n", ws.ID, settings.DefaultRegion)

	// Custom attributes. DefineAttribute adds or updates, so it is safe to repeat.
	for _, d := range []customer.AttributeDef{
		{Key: "tier", Label: "Tier", Type: customer.TypeEnum, Options: []string{"gold", "silver", "bronze"}},
		{Key: "birthday", Label: "Birthday", Type: customer.TypeDate},
	} {
		if _, err := ws.Customers.DefineAttribute(ctx, d); err != nil {
			log.Fatalf("define attribute %q: %v", d.Key, err)
		}
	}
	defs, err := ws.Customers.Attributes(ctx)
	if err != nil {
		log.Fatalf("read attributes: %v", err)
	}
	t := texttable.New("Attribute", "Type", "Options")
	for _, d := range defs {
		t.Row(d.Key, string(d.Type), strings.Join(d.Options, ", "))
	}
	t.Print("Custom attributes")

	// Companies, then the people who work for them.
	byKey := map[string]*customer.Customer{}
	names := map[crmtype.ID]string{}
	t = texttable.New("Customer", "Kind", "Status", "Email", "Phone (E.164)")
	for _, co := range companies {
		c, status := ensure(ctx, ws.Customers, co.key, "", customer.CreateParams{
			Kind: customer.Company, Name: co.name, Address: customer.Address{Country: co.country},
			Stage: customer.StageCustomer,
		})
		byKey[co.key], names[c.ID] = c, c.Name
		t.Row(c.Name, string(c.Kind), status, c.Email(), c.Phone())
	}
	for _, p := range people {
		attrs := map[string]any{}
		if p.tier != "" {
			attrs["tier"] = p.tier
		}
		if p.birthday != "" {
			attrs["birthday"] = p.birthday
		}
		var companyID crmtype.ID
		if p.company != "" {
			companyID = byKey[p.company].ID
		}
		c, status := ensure(ctx, ws.Customers, p.key, p.email, customer.CreateParams{
			Name: p.name, GivenName: p.given, FamilyName: p.family, CompanyID: companyID,
			Address: customer.Address{Country: p.country}, Locale: p.locale, TimeZone: p.timeZone,
			Source: "quickstart", Attributes: attrs,
			Identities: []customer.IdentityParams{
				{Kind: customer.Email, Value: p.email, Label: "work"},
				{Kind: customer.Phone, Value: p.phone, Label: "mobile"},
			},
		})
		byKey[p.key], names[c.ID] = c, c.Name
		t.Row(c.Name, string(c.Kind), status, c.Email(), c.Phone())
	}
	t.Print("Customers")

	// Purchases: the order id makes each one unique, so a repeat is skipped.
	t = texttable.New("Order", "Customer", "Amount", "Qty", "Channel", "Status")
	for _, pu := range purchases {
		c := byKey[pu.person]
		status := "recorded"
		_, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{
			CustomerID: c.ID, OccurredAt: pu.at, Amount: crmtype.Money{Minor: pu.minor, Currency: pu.currency},
			Quantity: pu.quantity, Channel: pu.channel, OrderID: pu.order,
		})
		switch {
		case errors.Is(err, crm.ErrConflict):
			status = "already recorded, skipped"
		case err != nil:
			log.Fatalf("record purchase %s: %v", pu.order, err)
		}
		t.Row(pu.order, c.Name, formatMoney(crmtype.Money{Minor: pu.minor, Currency: pu.currency}), fmt.Sprint(pu.quantity), pu.channel, status)
	}
	t.Print("Purchases")

	t = texttable.New("Customer", "Purchases", "Totals", "First", "Last")
	for _, p := range people {
		c := byKey[p.key]
		st, err := ws.Customers.PurchaseStats(ctx, c.ID)
		if err != nil {
			log.Fatalf("purchase stats of %s: %v", c.Name, err)
		}
		if st.Count == 0 {
			continue
		}
		totals := make([]string, len(st.Totals))
		for i, m := range st.Totals {
			totals[i] = formatMoney(m)
		}
		t.Row(c.Name, fmt.Sprint(st.Count), strings.Join(totals, ", "), st.First.Format(time.DateOnly), st.Last.Format(time.DateOnly))
	}
	t.Print("Purchase statistics")

	// Search: by a single Han character, without the accent, and by a phone
	// number written differently from how it was entered.
	t = texttable.New("Query", "Hits")
	for _, q := range []string{"张", "jose", "+86 138-0013-8000", "(650) 253", "müller"} {
		hits, err := ws.Customers.Search(ctx, q, customer.SearchParams{})
		if err != nil {
			log.Fatalf("search %q: %v", q, err)
		}
		found := make([]string, len(hits))
		for i, h := range hits {
			found[i] = h.Customer.Name
		}
		t.Row(q, strings.Join(found, ", "))
	}
	t.Print("Search")

	// Lookups: emails are stored lower-cased; phones in E.164.
	t = texttable.New("Lookup", "Found")
	for _, l := range []struct {
		label string
		find  func() (*customer.Customer, error)
	}{
		{"email ZHANG.SAN@EXAMPLE.CN", func() (*customer.Customer, error) { return ws.Customers.ByEmail(ctx, "ZHANG.SAN@EXAMPLE.CN") }},
		{"email Jose.Mueller@Example.DE", func() (*customer.Customer, error) { return ws.Customers.ByEmail(ctx, "Jose.Mueller@Example.DE") }},
		{"phone 0086 138 0013 8000", func() (*customer.Customer, error) { return ws.Customers.ByPhone(ctx, "0086 138 0013 8000") }},
		{"external id quickstart/p-yamada", func() (*customer.Customer, error) {
			return ws.Customers.ByExternalID(ctx, system, "p-yamada")
		}},
		{"email nobody@example.com", func() (*customer.Customer, error) { return ws.Customers.ByEmail(ctx, "nobody@example.com") }},
	} {
		c, err := l.find()
		switch {
		case errors.Is(err, crm.ErrNotFound):
			t.Row(l.label, "(not found)")
		case err != nil:
			log.Fatalf("lookup %s: %v", l.label, err)
		default:
			t.Row(l.label, c.Name)
		}
	}
	t.Print("Lookups")

	// Optimistic locking: read, update with the version read, then try again
	// with the now stale version.
	zhang, err := ws.Customers.Get(ctx, byKey["p-zhangsan"].ID)
	if err != nil {
		log.Fatalf("get 张三: %v", err)
	}
	// An update that changes nothing writes nothing, so alternate the stage
	// to make every run change something.
	stage := customer.StageCustomer
	if zhang.Stage == customer.StageCustomer {
		stage = customer.StageProspect
	}
	updated, err := ws.Customers.Update(ctx, zhang.ID, customer.UpdateParams{
		Version: zhang.Version,
		Stage:   customer.Ptr(stage),
		Tags:    customer.Ptr([]string{"vip", "early-adopter"}),
	})
	if err != nil {
		log.Fatalf("update 张三: %v", err)
	}
	t = texttable.New("Update", "Version", "Result")
	t.Row("stage="+string(stage)+", tags=vip,early-adopter", fmt.Sprint(zhang.Version), fmt.Sprintf("ok, now version %d", updated.Version))
	_, err = ws.Customers.Update(ctx, zhang.ID, customer.UpdateParams{
		Version: zhang.Version, // stale: the update above increased it
		Stage:   customer.Ptr(customer.StageChurned),
	})
	var ce *crm.ConflictError
	switch {
	case errors.As(err, &ce):
		t.Row("stage=churned", fmt.Sprint(zhang.Version), "ErrConflict: "+ce.Field+" is stale, nothing changed")
	case err == nil:
		log.Fatal("update 张三 with a stale version: succeeded, want ErrConflict")
	default:
		log.Fatalf("update 张三 with a stale version: %v", err)
	}
	t.Print("Update with a version check (张三)")

	// Every change is an event: the customer's timeline (newest first) and
	// the field-level audit trail, with who made each change.
	tl, err := ws.Events.Timeline(ctx, zhang.ID, event.Query{Limit: 8})
	if err != nil {
		log.Fatalf("timeline of 张三: %v", err)
	}
	t = texttable.New("Time (UTC)", "Event", "Actor", "Changes")
	for _, e := range tl.Items {
		var fields []string
		for _, ch := range e.Changes {
			fields = append(fields, ch.Field)
		}
		if len(fields) > 4 {
			fields = append(fields[:4], fmt.Sprintf("… %d more", len(fields)-4))
		}
		t.Row(e.Time.Format("2006-01-02 15:04:05"), e.Type, e.Actor, strings.Join(fields, ", "))
	}
	t.Print("Timeline of 张三 (latest 8)")

	audit, err := ws.Events.Audit(ctx, event.AuditQuery{Subject: zhang.ID, Query: event.Query{Types: []string{customer.EventCustomerUpdated}, Limit: 3}})
	if err != nil {
		log.Fatalf("audit of 张三: %v", err)
	}
	t = texttable.New("Time (UTC)", "Actor", "Field", "Before", "After")
	for _, e := range audit.Items {
		for _, ch := range e.Changes {
			t.Row(e.Time.Format("2006-01-02 15:04:05"), e.Actor, ch.Field, show(ch.Before), show(ch.After))
		}
	}
	t.Print("Audit trail of 张三 (latest 3 updates)")

	// Everyone, by name under the Unicode collation algorithm: Latin, then
	// Cyrillic, then Han.
	t = texttable.New("Name", "Kind", "Company", "Country", "Email", "Phone", "Tier", "Birthday", "Tags", "Ver")
	var after crmtype.Cursor
	for {
		page, err := ws.Customers.List(ctx, customer.ListParams{Sort: customer.ByName, Limit: 100, After: after})
		if err != nil {
			log.Fatalf("list customers: %v", err)
		}
		for _, c := range page.Items {
			company := ""
			if !c.CompanyID.IsZero() {
				company = names[c.CompanyID]
			}
			t.Row(c.Name, string(c.Kind), company, c.Address.Country, c.Email(), c.Phone(),
				attr(c, "tier"), attr(c, "birthday"), strings.Join(c.Tags, ","), fmt.Sprint(c.Version))
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	t.Print("All customers, by name")
}

// ensure returns the customer holding the external id key, or else the one
// holding email, or else creates it from p (adding the external id), and
// says which it did.
func ensure(ctx context.Context, s *customer.Service, key, email string, p customer.CreateParams) (*customer.Customer, string) {
	c, err := s.ByExternalID(ctx, system, key)
	if err == nil {
		return c, "existing"
	}
	if !errors.Is(err, crm.ErrNotFound) {
		log.Fatalf("look up %s by external id %s: %v", p.Name, key, err)
	}
	if email != "" {
		c, err := s.ByEmail(ctx, email)
		if err == nil {
			// Made by someone else: tag it with our external id so that the
			// next run finds it directly.
			if _, err := s.AddIdentity(ctx, c.ID, customer.IdentityParams{Kind: customer.ExternalID, System: system, Value: key}); err != nil {
				log.Fatalf("add external id %s to %s: %v", key, c.Name, err)
			}
			return c, "existing (by email)"
		}
		if !errors.Is(err, crm.ErrNotFound) {
			log.Fatalf("look up %s by email: %v", p.Name, err)
		}
	}
	p.Identities = append(p.Identities, customer.IdentityParams{Kind: customer.ExternalID, System: system, Value: key})
	c, err = s.Create(ctx, p)
	if err != nil {
		log.Fatalf("create %s: %v", p.Name, err)
	}
	return c, "created"
}

// attr formats a custom attribute value for display.
func attr(c *customer.Customer, key string) string {
	v, ok := c.Attributes[key]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// formatMoney shows m in major units with the currency's own number of
// decimals, e.g. "299.00 CNY" or "3980 JPY".
func formatMoney(m crmtype.Money) string {
	digits, err := customer.CurrencyDigits(m.Currency)
	if err != nil {
		return m.String()
	}
	if digits == 0 {
		return fmt.Sprintf("%d %s", m.Minor, m.Currency)
	}
	scale := int64(1)
	for range digits {
		scale *= 10
	}
	sign := ""
	minor := m.Minor
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, minor/scale, digits, minor%scale, m.Currency)
}

// show formats an event value: "–" for none, lists joined by commas.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
