package customer_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/store/sqlite"
)

// exampleService returns the customer service of workspace "acme" (default
// region CN) on a fresh SQLite file with a fixed clock. Call the returned
// function when done.
func exampleService(ctx context.Context) (*customer.Service, func()) {
	dir, err := os.MkdirTemp("", "crm-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"))
	if err != nil {
		log.Fatal(err)
	}
	client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	ws := client.Workspace("acme")
	if err := ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}); err != nil {
		log.Fatal(err)
	}
	return ws.Customers, func() {
		db.Close()
		os.RemoveAll(dir)
	}
}

func ExampleService_Create() {
	ctx := context.Background()
	customers, done := exampleService(ctx)
	defer done()

	if _, err := customers.DefineAttribute(ctx, customer.AttributeDef{
		Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver", "bronze"},
	}); err != nil {
		log.Fatal(err)
	}
	co, err := customers.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "阿里巴巴"})
	if err != nil {
		log.Fatal(err)
	}
	c, err := customers.Create(ctx, customer.CreateParams{
		Name:      "张三",
		CompanyID: co.ID,
		Locale:    "zh-hans-cn",
		TimeZone:  "Asia/Shanghai",
		Tags:      []string{"vip", "beta", "vip"},
		Attributes: map[string]any{
			"tier": "gold",
		},
		Identities: []customer.IdentityParams{
			{Kind: customer.Email, Value: "Zhang San <ZHANG.San@Example.CN>"},
			{Kind: customer.Phone, Value: "138 0013 8000"}, // read with the default region CN
			{Kind: customer.ExternalID, System: "shopify", Value: "cust-1001"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name, c.Kind, c.Stage, c.Locale, c.Tags, c.Attributes["tier"])
	for _, id := range c.Identities {
		fmt.Printf("%-8s %-8s %s\n", id.Kind, id.System, id.Value)
	}

	// An external id belongs to one customer only...
	_, err = customers.Create(ctx, customer.CreateParams{
		Name:       "Li Si",
		Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "shopify", Value: "cust-1001"}},
	})
	var ce *crmtype.ConflictError
	fmt.Println(errors.As(err, &ce), ce.Resource, ce.Field, ce.Value, ce.HeldBy == c.ID)
	// ... while an email or a phone may be shared (a household's landline):
	// Lookup then says how many hold it, and Holders lists them.
	if _, err := customers.Create(ctx, customer.CreateParams{
		GivenName: "四", FamilyName: "李", // the name is composed: 李四
		Identities: []customer.IdentityParams{{Kind: customer.Phone, Value: "+86 138 0013 8000"}},
	}); err != nil {
		log.Fatal(err)
	}
	_, err = customers.ByPhone(ctx, "13800138000")
	fmt.Println(errors.Is(err, crmtype.ErrConflict), err)
	holders, err := customers.Holders(ctx, customer.IdentityParams{Kind: customer.Phone, Value: "13800138000"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(holders[0].Name, holders[1].Name)

	// Bad input names the field, and nothing is written.
	_, err = customers.Create(ctx, customer.CreateParams{Name: "Li Si", Attributes: map[string]any{"tier": "platinum"}})
	fmt.Println(errors.Is(err, crmtype.ErrInvalid), err)
	// Output:
	// 张三 person lead zh-Hans-CN [beta vip] gold
	// email             zhang.san@example.cn
	// phone             +8613800138000
	// external shopify  cust-1001
	// true identity external cust-1001 true
	// true customer: lookup: conflict: identity phone "+8613800138000" is held by 2 customers: list them with Holders
	// 张三 李四
	// true customer: create: invalid attributes.tier: "platinum" is not one of its options
}

func ExampleService_Search() {
	ctx := context.Background()
	customers, done := exampleService(ctx)
	defer done()

	for _, p := range []customer.CreateParams{
		{Name: "张三", Identities: []customer.IdentityParams{{Kind: customer.Phone, Value: "138 0013 8000"}}},
		{Name: "李四"},
		{Name: "José Müller", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "jose@example.de"}}},
		{Name: "John Smith"},
	} {
		if _, err := customers.Create(ctx, p); err != nil {
			log.Fatal(err)
		}
	}
	// A Han character, a name without its accent, word prefixes, a phone
	// number in another format.
	for _, q := range []string{"张", "jose", "jo smi", "+86 138-0013-8000"} {
		hits, err := customers.Search(ctx, q, customer.SearchParams{})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q:", q)
		for _, h := range hits {
			fmt.Printf(" %s", h.Customer.Name)
		}
		fmt.Println()
	}
	// Output:
	// "张": 张三
	// "jose": José Müller
	// "jo smi": John Smith
	// "+86 138-0013-8000": 张三
}

func ExampleService_Update() {
	ctx := context.Background()
	customers, done := exampleService(ctx)
	defer done()

	c, err := customers.Create(ctx, customer.CreateParams{Name: "Priya Sharma"})
	if err != nil {
		log.Fatal(err)
	}
	// Pass back the version you read; nil fields are left as they are.
	up, err := customers.Update(ctx, c.ID, customer.UpdateParams{
		Version: c.Version,
		Stage:   customer.Ptr(customer.StageCustomer),
		Tags:    customer.Ptr([]string{"vip"}),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(up.Name, up.Stage, up.Tags, up.Version)

	// Someone still holding version 1 is refused, and nothing changes.
	_, err = customers.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Stage: customer.Ptr(customer.StageChurned)})
	fmt.Println(errors.Is(err, crmtype.ErrConflict))
	var ce *crmtype.ConflictError
	if errors.As(err, &ce) {
		fmt.Println(ce.Resource, ce.Field)
	}
	now, err := customers.Get(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(now.Stage, now.Version)
	// Output:
	// Priya Sharma customer [vip] 2
	// true
	// customer version
	// customer 2
}

func ExampleService_List() {
	ctx := context.Background()
	customers, done := exampleService(ctx)
	defer done()

	for _, name := range []string{"张三", "Zoë Adams", "山田太郎", "Ольга Иванова", "ångström AB", "José Müller", "john smith"} {
		if _, err := customers.Create(ctx, customer.CreateParams{Name: name}); err != nil {
			log.Fatal(err)
		}
	}
	// By name under the Unicode collation algorithm: case and accents are
	// secondary, Latin comes before Cyrillic, and Han last. Read three at
	// a time to show paging.
	var after crmtype.Cursor
	for {
		page, err := customers.List(ctx, customer.ListParams{Sort: customer.ByName, Limit: 3, After: after})
		if err != nil {
			log.Fatal(err)
		}
		names := make([]string, len(page.Items))
		for i, c := range page.Items {
			names[i] = c.Name
		}
		fmt.Println(strings.Join(names, " | "))
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	// Output:
	// ångström AB | john smith | José Müller
	// Zoë Adams | Ольга Иванова | 山田太郎
	// 张三
}

func ExampleCanonicalPhone() {
	for _, in := range []struct{ number, region string }{
		{"138 0013 8000", "CN"},
		{"+86 (138) 0013-8000", ""},
		{"0086 138 0013 8000", ""},
		{"tel:+49-30-901820", ""},
		{"(650) 253-0000", "US"},
		{"０３-１２３４-５６７８", "JP"}, // full-width digits
		{"650 253 0000", ""},
		{"+1 555", ""},
	} {
		e164, err := customer.CanonicalPhone(in.number, in.region)
		if err != nil {
			fmt.Printf("%q: %v\n", in.number, err)
			continue
		}
		fmt.Printf("%q: %s\n", in.number, e164)
	}
	// Output:
	// "138 0013 8000": +8613800138000
	// "+86 (138) 0013-8000": +8613800138000
	// "0086 138 0013 8000": +8613800138000
	// "tel:+49-30-901820": +4930901820
	// "(650) 253-0000": +16502530000
	// "０３-１２３４-５６７８": +81312345678
	// "650 253 0000": invalid phone: has no country code and the workspace has no default region
	// "+1 555": invalid phone: is not a valid phone number
}

func ExampleCanonicalEmail() {
	for _, in := range []string{
		"ZHANG.San@Example.CN",
		"Zhang San <zhang.san@example.cn>",
		"mailto:jose@Müller.de",
		"not an email",
	} {
		e, err := customer.CanonicalEmail(in)
		if err != nil {
			fmt.Printf("%q: %v\n", in, err)
			continue
		}
		fmt.Printf("%q: %s\n", in, e)
	}
	// Output:
	// "ZHANG.San@Example.CN": zhang.san@example.cn
	// "Zhang San <zhang.san@example.cn>": zhang.san@example.cn
	// "mailto:jose@Müller.de": jose@xn--mller-kva.de
	// "not an email": invalid email: is not an email address
}

func ExampleCurrencyDigits() {
	for _, code := range []string{"USD", "EUR", "CNY", "JPY", "KWD", "usd", "XYZ"} {
		d, err := customer.CurrencyDigits(code)
		if err != nil {
			fmt.Println(code, err)
			continue
		}
		fmt.Println(code, d)
	}
	// Output:
	// USD 2
	// EUR 2
	// CNY 2
	// JPY 0
	// KWD 3
	// usd invalid currency: "usd" is not an upper-case ISO 4217 code
	// XYZ invalid currency: "XYZ" is not an ISO 4217 currency
}
