package crm_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

func TestValidation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		const wsID = "valid"
		ws := client.Workspace(wsID)
		s := ws.Customers
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{}))
		for _, d := range []customer.AttributeDef{
			{Key: "score", Type: customer.TypeNumber},
			{Key: "vip", Type: customer.TypeBool},
			{Key: "since", Type: customer.TypeDate},
			{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}},
			{Key: "req", Type: customer.TypeString, Required: true},
		} {
			_, err := s.DefineAttribute(ctx, d)
			require.NoError(t, err)
		}
		// good returns valid params; every bad case breaks one thing.
		good := func(name string) customer.CreateParams {
			return customer.CreateParams{Name: name, Attributes: map[string]any{"req": "x"},
				Identities: []customer.IdentityParams{email(strings.ReplaceAll(name, " ", ".") + "@example.com")}}
		}
		with := func(f func(p *customer.CreateParams)) customer.CreateParams {
			p := good("Fresh Person")
			f(&p)
			return p
		}
		existing := mustCreate(t, ctx, s, good("Existing Person"))
		co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "Co", Attributes: map[string]any{"req": "x"}})
		usd := crmtype.Money{Minor: 100, Currency: "USD"}
		purchase := func(f func(p *customer.PurchaseParams)) customer.PurchaseParams {
			p := customer.PurchaseParams{CustomerID: existing.ID, OccurredAt: t0, Amount: usd, Quantity: 1}
			f(&p)
			return p
		}
		create := func(p customer.CreateParams) func() error {
			return func() error { _, err := s.Create(ctx, p); return err }
		}
		update := func(p customer.UpdateParams) func() error {
			return func() error {
				if p.Version == 0 {
					p.Version = existing.Version
				}
				_, err := s.Update(ctx, existing.ID, p)
				return err
			}
		}
		record := func(p customer.PurchaseParams) func() error {
			return func() error { _, err := s.RecordPurchase(ctx, p); return err }
		}
		define := func(d customer.AttributeDef) func() error {
			return func() error { _, err := s.DefineAttribute(ctx, d); return err }
		}
		list := func(p customer.ListParams) func() error {
			return func() error { _, err := s.List(ctx, p); return err }
		}
		attrFilter := func(af ...customer.AttributeFilter) func() error {
			return func() error {
				if _, err := s.Count(ctx, customer.Filter{Attributes: af}); err != nil {
					return err
				}
				return fmt.Errorf("count accepted %+v", af)
			}
		}
		manyTags := make([]string, 101)
		for i := range manyTags {
			manyTags[i] = fmt.Sprintf("t%03d", i)
		}
		manyIDs := make([]customer.IdentityParams, 51)
		for i := range manyIDs {
			manyIDs[i] = email(fmt.Sprintf("m%d@example.com", i))
		}
		cases := []struct {
			name  string
			call  func() error
			field string
		}{
			// names and text
			{"empty name", create(with(func(p *customer.CreateParams) { p.Name = "" })), "name"},
			{"blank name", create(with(func(p *customer.CreateParams) { p.Name = " \t " })), "name"},
			{"201 han characters", create(with(func(p *customer.CreateParams) { p.Name = strings.Repeat("张", 201) })), "name"},
			{"201 latin characters", create(with(func(p *customer.CreateParams) { p.Name = strings.Repeat("é", 201) })), "name"},
			{"NUL in name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\x00Lee" })), "name"},
			{"control char in name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\x07Lee" })), "name"},
			{"DEL in name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\x7fLee" })), "name"},
			{"C1 control in name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\u0085Lee" })), "name"},
			{"newline in name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\nLee" })), "name"},
			{"invalid UTF-8 name", create(with(func(p *customer.CreateParams) { p.Name = "Ann\xffLee" })), "name"},
			{"long given name", create(with(func(p *customer.CreateParams) { p.GivenName = strings.Repeat("a", 101) })), "given_name"},
			{"NUL in family name", create(with(func(p *customer.CreateParams) { p.FamilyName = "\x00" })), "family_name"},
			{"control in source", create(with(func(p *customer.CreateParams) { p.Source = "web\x1b" })), "source"},
			{"long owner", create(with(func(p *customer.CreateParams) { p.OwnerID = strings.Repeat("u", 101) })), "owner_id"},
			{"control in address", create(with(func(p *customer.CreateParams) { p.Address.City = "Bei\x01jing" })), "address.city"},
			{"long postal code", create(with(func(p *customer.CreateParams) { p.Address.PostalCode = strings.Repeat("1", 33) })), "address.postal_code"},
			// identities
			{"email without @", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{phone("+86 138 0013 8000"), email("ann.example.com")}
			})), "identities[1].value"},
			{"email without dot in domain", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{email("ann@localhost")} })), "identities[0].value"},
			{"email with space", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{email("ann lee@example.com")} })), "identities[0].value"},
			{"email with space in domain", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{email("ann@exa mple.com")} })), "identities[0].value"},
			{"email empty", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{email("  ")} })), "identities[0].value"},
			{"email invalid UTF-8", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{email("a\xff@example.com")} })), "identities[0].value"},
			{"email with system", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{{Kind: customer.Email, Value: "a@example.com", System: "crm"}}
			})), "identities[0].system"},
			{"phone too short", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{phone("+86 123")} })), "identities[0].value"},
			{"phone letters", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{phone("+1 call me")} })), "identities[0].value"},
			{"phone unknown country code", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{phone("+999 1234567")} })), "identities[0].value"},
			{"phone without country code, no region", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{email("ok@example.com"), phone("138 0013 8000")}
			})), "identities[1].value"},
			{"external id without system", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{{Kind: customer.ExternalID, Value: "42"}}
			})), "identities[0].system"},
			{"external id with NUL", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{{Kind: customer.ExternalID, System: "shop", Value: "4\x002"}}
			})), "identities[0].value"},
			{"identity kind", create(with(func(p *customer.CreateParams) { p.Identities = []customer.IdentityParams{{Kind: "fax", Value: "1"}} })), "identities[0].kind"},
			{"identity label control", create(with(func(p *customer.CreateParams) {
				p.Identities = []customer.IdentityParams{{Kind: customer.Email, Value: "l@example.com", Label: "wo\x01rk"}}
			})), "identities[0].label"},
			{"too many identities", create(with(func(p *customer.CreateParams) { p.Identities = manyIDs })), "identities"},
			// attributes
			{"unknown attribute", create(with(func(p *customer.CreateParams) { p.Attributes["nope"] = "x" })), "attributes.nope"},
			{"mistyped attribute key", create(with(func(p *customer.CreateParams) { p.Attributes["Score"] = 1 })), "attributes.Score"},
			{"string for number", create(with(func(p *customer.CreateParams) { p.Attributes["score"] = "12" })), "attributes.score"},
			{"NaN number", create(with(func(p *customer.CreateParams) { p.Attributes["score"] = math.NaN() })), "attributes.score"},
			{"infinite number", create(with(func(p *customer.CreateParams) { p.Attributes["score"] = math.Inf(1) })), "attributes.score"},
			{"number for bool", create(with(func(p *customer.CreateParams) { p.Attributes["vip"] = 1 })), "attributes.vip"},
			{"string for bool", create(with(func(p *customer.CreateParams) { p.Attributes["vip"] = "true" })), "attributes.vip"},
			{"bad date", create(with(func(p *customer.CreateParams) { p.Attributes["since"] = "2026-13-01" })), "attributes.since"},
			{"date in another format", create(with(func(p *customer.CreateParams) { p.Attributes["since"] = "01/02/2026" })), "attributes.since"},
			{"number for date", create(with(func(p *customer.CreateParams) { p.Attributes["since"] = 20260101 })), "attributes.since"},
			{"enum value not in options", create(with(func(p *customer.CreateParams) { p.Attributes["tier"] = "platinum" })), "attributes.tier"},
			{"enum value of another case", create(with(func(p *customer.CreateParams) { p.Attributes["tier"] = "Gold" })), "attributes.tier"},
			{"required missing", create(with(func(p *customer.CreateParams) { delete(p.Attributes, "req") })), "attributes.req"},
			{"required nil", create(with(func(p *customer.CreateParams) { p.Attributes["req"] = nil })), "attributes.req"},
			{"required blank", create(with(func(p *customer.CreateParams) { p.Attributes["req"] = "  " })), "attributes.req"},
			// enumerations and codes
			{"bad locale", create(with(func(p *customer.CreateParams) { p.Locale = "not a locale" })), "locale"},
			{"unknown language", create(with(func(p *customer.CreateParams) { p.Locale = "xx" })), "locale"},
			{"bad time zone", create(with(func(p *customer.CreateParams) { p.TimeZone = "Mars/Olympus_Mons" })), "time_zone"},
			{"Local time zone", create(with(func(p *customer.CreateParams) { p.TimeZone = "Local" })), "time_zone"},
			{"unknown country", create(with(func(p *customer.CreateParams) { p.Address.Country = "ZZ" })), "address.country"},
			{"alpha-3 country", create(with(func(p *customer.CreateParams) { p.Address.Country = "USA" })), "address.country"},
			{"bad stage", create(with(func(p *customer.CreateParams) { p.Stage = "won" })), "stage"},
			{"stage of another case", create(with(func(p *customer.CreateParams) { p.Stage = "Lead" })), "stage"},
			{"bad kind", create(with(func(p *customer.CreateParams) { p.Kind = "robot" })), "kind"},
			{"company with a family name", create(with(func(p *customer.CreateParams) { p.Kind = customer.Company; p.FamilyName = "Lee" })), "kind"},
			{"too many tags", create(with(func(p *customer.CreateParams) { p.Tags = manyTags })), "tags"},
			{"empty tag", create(with(func(p *customer.CreateParams) { p.Tags = []string{"ok", " "} })), "tags[1]"},
			{"tag with newline", create(with(func(p *customer.CreateParams) { p.Tags = []string{"a\nb"} })), "tags[0]"},
			{"long tag", create(with(func(p *customer.CreateParams) { p.Tags = []string{strings.Repeat("t", 65)} })), "tags[0]"},
			// batches: one bad row, none stored
			{"CreateMany bad last row", func() error {
				_, err := s.CreateMany(ctx, []customer.CreateParams{good("Batch One"), good("Batch Two"), with(func(p *customer.CreateParams) { p.Name = "" })})
				return err
			}, "[2].name"},
			{"CreateMany bad identity", func() error {
				_, err := s.CreateMany(ctx, []customer.CreateParams{good("Batch Three"), with(func(p *customer.CreateParams) {
					p.Identities = []customer.IdentityParams{email("x@example.com"), phone("12")}
				})})
				return err
			}, "[1].identities[1].value"},
			{"CreateMany bad attribute", func() error {
				_, err := s.CreateMany(ctx, []customer.CreateParams{good("Batch Four"), with(func(p *customer.CreateParams) { p.Attributes["tier"] = 1 })})
				return err
			}, "[1].attributes.tier"},
			// updates
			{"update without version", update(customer.UpdateParams{Version: -1, Name: customer.Ptr("X")}), "version"},
			{"update empty name", update(customer.UpdateParams{Name: customer.Ptr("")}), "name"},
			{"update NUL name", update(customer.UpdateParams{Name: customer.Ptr("\x00")}), "name"},
			{"update empty stage", update(customer.UpdateParams{Stage: customer.Ptr(customer.Stage(""))}), "stage"},
			{"update bad stage", update(customer.UpdateParams{Stage: customer.Ptr(customer.Stage("won"))}), "stage"},
			{"update bad time zone", update(customer.UpdateParams{TimeZone: customer.Ptr("Nowhere/City")}), "time_zone"},
			{"update bad locale", update(customer.UpdateParams{Locale: customer.Ptr("??")}), "locale"},
			{"update bad country", update(customer.UpdateParams{Address: &customer.Address{Country: "ZZ"}}), "address.country"},
			{"update too many tags", update(customer.UpdateParams{Tags: &manyTags}), "tags"},
			{"update wrong attribute type", update(customer.UpdateParams{Attributes: map[string]any{"score": "high"}}), "attributes.score"},
			{"update unknown attribute", update(customer.UpdateParams{Attributes: map[string]any{"nope": 1}}), "attributes.nope"},
			{"update remove unknown attribute", update(customer.UpdateParams{Attributes: map[string]any{"nope": nil}}), "attributes.nope"},
			{"update remove required attribute", update(customer.UpdateParams{Attributes: map[string]any{"req": nil}}), "attributes.req"},
			{"update company given name", func() error {
				_, err := s.Update(ctx, co.ID, customer.UpdateParams{Version: co.Version, GivenName: customer.Ptr("Ann")})
				return err
			}, "kind"},
			// identities added and looked up
			{"add bad email", func() error { _, err := s.AddIdentity(ctx, existing.ID, email("nope")); return err }, "value"},
			{"add national phone without region", func() error { _, err := s.AddIdentity(ctx, existing.ID, phone("020 7946 0958")); return err }, "value"},
			{"lookup bad email", func() error { _, err := s.ByEmail(ctx, "not an email"); return err }, "value"},
			{"lookup phone without region", func() error { _, err := s.ByPhone(ctx, "7946 0958"); return err }, "value"},
			{"lookup external without system", func() error { _, err := s.ByExternalID(ctx, "", "42"); return err }, "system"},
			// purchases
			{"negative quantity", record(purchase(func(p *customer.PurchaseParams) { p.Quantity = -1 })), "quantity"},
			{"negative amount", record(purchase(func(p *customer.PurchaseParams) { p.Amount.Minor = -1 })), "amount.minor"},
			{"unknown currency", record(purchase(func(p *customer.PurchaseParams) { p.Amount.Currency = "ABC" })), "amount.currency"},
			{"lower-case currency", record(purchase(func(p *customer.PurchaseParams) { p.Amount.Currency = "usd" })), "amount.currency"},
			{"no-currency code", record(purchase(func(p *customer.PurchaseParams) { p.Amount.Currency = "XXX" })), "amount.currency"},
			{"empty currency", record(purchase(func(p *customer.PurchaseParams) { p.Amount.Currency = "" })), "amount.currency"},
			{"no customer", record(purchase(func(p *customer.PurchaseParams) { p.CustomerID = crmtype.ID{} })), "customer_id"},
			{"no time", record(purchase(func(p *customer.PurchaseParams) { p.OccurredAt = time.Time{} })), "occurred_at"},
			{"far future", record(purchase(func(p *customer.PurchaseParams) { p.OccurredAt = t0.Add(25 * time.Hour) })), "occurred_at"},
			{"channel with newline", record(purchase(func(p *customer.PurchaseParams) { p.Channel = "web\nshop" })), "channel"},
			{"order id with NUL", record(purchase(func(p *customer.PurchaseParams) { p.OrderID = "o\x00" })), "order_id"},
			{"RecordPurchases bad row", func() error {
				_, err := s.RecordPurchases(ctx, []customer.PurchaseParams{purchase(func(*customer.PurchaseParams) {}), purchase(func(p *customer.PurchaseParams) { p.Amount.Currency = "usd" })})
				return err
			}, "[1].amount.currency"},
			// attribute definitions
			{"def upper-case key", define(customer.AttributeDef{Key: "Tier2", Type: customer.TypeString}), "key"},
			{"def key starting with digit", define(customer.AttributeDef{Key: "1tier", Type: customer.TypeString}), "key"},
			{"def key with dash", define(customer.AttributeDef{Key: "a-b", Type: customer.TypeString}), "key"},
			{"def empty key", define(customer.AttributeDef{Type: customer.TypeString}), "key"},
			{"def 64-char key", define(customer.AttributeDef{Key: "k" + strings.Repeat("x", 63), Type: customer.TypeString}), "key"},
			{"def bad type", define(customer.AttributeDef{Key: "money", Type: "money"}), "type"},
			{"def enum without options", define(customer.AttributeDef{Key: "color", Type: customer.TypeEnum}), "options"},
			{"def options on string", define(customer.AttributeDef{Key: "color", Type: customer.TypeString, Options: []string{"red"}}), "options"},
			{"def duplicate option", define(customer.AttributeDef{Key: "color", Type: customer.TypeEnum, Options: []string{"red", "red"}}), "options[1]"},
			{"def blank option", define(customer.AttributeDef{Key: "color", Type: customer.TypeEnum, Options: []string{" "}}), "options[0]"},
			{"def label with newline", define(customer.AttributeDef{Key: "color", Type: customer.TypeString, Label: "a\nb"}), "label"},
			// settings, lists, filters, search
			{"settings bad region", func() error { return ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "ZZ"}) }, "default_region"},
			{"list negative limit", list(customer.ListParams{Limit: -1}), "limit"},
			{"list huge limit", list(customer.ListParams{Limit: crmtype.MaxPageSize + 1}), "limit"},
			{"list bad cursor", list(customer.ListParams{After: "!!not a cursor"}), "cursor"},
			{"list bad sort", list(customer.ListParams{Sort: 7}), "sort"},
			{"filter bad stage", list(customer.ListParams{Filter: customer.Filter{Stage: "won"}}), "stage"},
			{"filter bad kind", list(customer.ListParams{Filter: customer.Filter{Kind: "robot"}}), "kind"},
			{"filter bad deleted", list(customer.ListParams{Filter: customer.Filter{Deleted: 9}}), "deleted"},
			{"filter unknown attribute", attrFilter(customer.AttributeFilter{Key: "nope", Value: 1}), "attributes[0].key"},
			{"filter lt on bool", attrFilter(customer.AttributeFilter{Key: "score", Op: customer.Gt, Value: 1}, customer.AttributeFilter{Key: "vip", Op: customer.Lt, Value: true}), "attributes[1].op"},
			{"filter unknown op", attrFilter(customer.AttributeFilter{Key: "score", Op: "like", Value: 1}), "attributes[0].op"},
			{"filter wrong value type", attrFilter(customer.AttributeFilter{Key: "score", Value: "ten"}), "attributes[0].value"},
			{"filter enum value not in options", attrFilter(customer.AttributeFilter{Key: "tier", Value: "platinum"}), "attributes[0].value"},
			{"filter exists with value", attrFilter(customer.AttributeFilter{Key: "score", Op: customer.Exists, Value: 1}), "attributes[0].value"},
			{"search empty", func() error { _, err := s.Search(ctx, "", customer.SearchParams{}); return err }, "query"},
			{"search too long", func() error { _, err := s.Search(ctx, strings.Repeat("a", 1001), customer.SearchParams{}); return err }, "query"},
			{"search bad limit", func() error { _, err := s.Search(ctx, "ann", customer.SearchParams{Limit: -1}); return err }, "limit"},
		}
		for _, tc := range cases {
			before := dumpWorkspace(t, ctx, db, wsID)
			n, err := s.Count(ctx, customer.Filter{Deleted: customer.IncludeDeleted})
			require.NoError(t, err)
			err = tc.call()
			requireInvalidCase(t, tc.name, err, tc.field)
			after, err := s.Count(ctx, customer.Filter{Deleted: customer.IncludeDeleted})
			require.NoError(t, err)
			require.Equal(t, n, after, "%s: Count changed", tc.name)
			require.Equal(t, before, dumpWorkspace(t, ctx, db, wsID), "%s: something was written", tc.name)
		}

		// None of the good rows of a failed batch was stored.
		for _, e := range []string{"Batch.One@example.com", "Batch.Two@example.com", "Batch.Three@example.com", "Batch.Four@example.com"} {
			_, err := s.ByEmail(ctx, e)
			require.ErrorIs(t, err, crm.ErrNotFound, e)
		}
		got, err := s.Get(ctx, existing.ID)
		require.NoError(t, err)
		require.Equal(t, existing, got, "no rejected update changed the customer")

		// Boundaries that are accepted.
		c, err := s.Create(ctx, with(func(p *customer.CreateParams) { p.Name = strings.Repeat("张", 200) }))
		require.NoError(t, err, "200 characters is the limit")
		require.Equal(t, 200, len([]rune(c.Name)))
		tags := manyTags[:100]
		_, err = s.Create(ctx, customer.CreateParams{Name: "Tagged", Tags: tags, Attributes: map[string]any{"req": "x"}})
		require.NoError(t, err, "100 tags is the limit")
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "k" + strings.Repeat("x", 62), Type: customer.TypeString})
		require.NoError(t, err, "a 63-character key is the limit")

		// Changing an attribute's type is a conflict and changes nothing.
		defs, err := s.Attributes(ctx)
		require.NoError(t, err)
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeString})
		ce := requireConflict(t, err)
		require.Equal(t, "type", ce.Field)
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeString})
		requireConflict(t, err)
		after, err := s.Attributes(ctx)
		require.NoError(t, err)
		require.Equal(t, defs, after)
		// Label, requiredness and options may change.
		d, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Label: "等级", Type: customer.TypeEnum, Options: []string{"gold", "silver", "bronze"}})
		require.NoError(t, err)
		require.Equal(t, []string{"gold", "silver", "bronze"}, d.Options)
		_, err = s.Create(ctx, with(func(p *customer.CreateParams) { p.Name = "Bronze"; p.Identities = nil; p.Attributes["tier"] = "bronze" }))
		require.NoError(t, err)
		// A removed attribute is no longer accepted.
		require.NoError(t, s.RemoveAttribute(ctx, "since"))
		_, err = s.Create(ctx, with(func(p *customer.CreateParams) {
			p.Name = "Since"
			p.Identities = nil
			p.Attributes["since"] = "2026-01-01"
		}))
		requireInvalid(t, err, "attributes.since")
		require.ErrorIs(t, s.RemoveAttribute(ctx, "since"), crm.ErrNotFound)
	})
}

func requireInvalidCase(t *testing.T, name string, err error, field string) {
	t.Helper()
	require.Error(t, err, name)
	require.ErrorIs(t, err, crm.ErrInvalid, name)
	var ve *crmtype.ValidationError
	require.ErrorAs(t, err, &ve, name)
	require.Equal(t, field, ve.Field, "%s: %v", name, err)
}
