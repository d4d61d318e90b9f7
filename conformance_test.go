package crm_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// ---- helpers shared by the conformance, tenancy and validation tests ----

// requireInvalid asserts that err is ErrInvalid carrying a
// *crmtype.ValidationError for exactly field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, crm.ErrInvalid), "want ErrInvalid, got %v", err)
	var ve *crmtype.ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %T %v", err, err)
	require.Equal(t, field, ve.Field, "%v", err)
}

// requireConflict asserts that err is ErrConflict carrying a
// *crmtype.ConflictError, and returns it.
func requireConflict(t *testing.T, err error) *crmtype.ConflictError {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, crm.ErrConflict), "want ErrConflict, got %v", err)
	var ce *crmtype.ConflictError
	require.True(t, errors.As(err, &ce), "want *ConflictError, got %T %v", err, err)
	return ce
}

func mustCreate(t *testing.T, ctx context.Context, s *customer.Service, p customer.CreateParams) *customer.Customer {
	t.Helper()
	c, err := s.Create(ctx, p)
	require.NoError(t, err, p.Name)
	return c
}

// listAll walks every page of p and returns the customers in order.
func listAll(t *testing.T, ctx context.Context, s *customer.Service, p customer.ListParams) []*customer.Customer {
	t.Helper()
	var out []*customer.Customer
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "pagination does not end")
		page, err := s.List(ctx, p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Items), p.Limit)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		require.NotEmpty(t, page.Items, "a page with a Next cursor has items")
		p.After = page.Next
	}
}

func namesOf[T, V any](items []T, name func(T) V) []V {
	out := make([]V, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func custNames(cs []*customer.Customer) []string {
	return namesOf(cs, func(c *customer.Customer) string { return c.Name })
}

func hitNames(hs []customer.SearchHit) []string {
	return namesOf(hs, func(h customer.SearchHit) string { return h.Customer.Name })
}

func custIDs(cs []*customer.Customer) []crmtype.ID {
	return namesOf(cs, func(c *customer.Customer) crmtype.ID { return c.ID })
}

// crmTables are the tables that hold a workspace's rows.
var crmTables = []string{"crm_workspaces", "crm_customers", "crm_identities", "crm_customer_tags",
	"crm_attribute_defs", "crm_purchases", "crm_customer_search", "crm_conversations", "crm_interactions",
	"crm_templates", "crm_tasks", "crm_task_reminders"}

// dumpWorkspace reads every row of workspace ws from every crm_ table, each
// row rendered as text, in a stable order: a byte-level picture of the
// workspace to compare before and after.
func dumpWorkspace(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range crmTables {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+table+" WHERE workspace_id = ? ORDER BY 1, 2, 3", ws)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			var b strings.Builder
			for i, v := range vals {
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	return out
}

// rowCount counts workspace ws's rows of table that belong to customer id.
func rowCount(t *testing.T, ctx context.Context, db *bun.DB, table, ws string, id crmtype.ID) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE workspace_id = ? AND customer_id = ?", ws, id).Scan(&n))
	return n
}

// mustFind returns the one live customer holding email e.
func mustFind(t *testing.T, ctx context.Context, s *customer.Service, e string) crmtype.ID {
	t.Helper()
	c, err := s.ByEmail(ctx, e)
	require.NoError(t, err)
	return c.ID
}

func email(v string) customer.IdentityParams {
	return customer.IdentityParams{Kind: customer.Email, Value: v}
}
func phone(v string) customer.IdentityParams {
	return customer.IdentityParams{Kind: customer.Phone, Value: v}
}

// ---- create / get ----

func TestConformanceCreateGet(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("conf")
		s := ws.Customers
		_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeNumber})
		require.NoError(t, err)

		co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "  ACME GmbH  ", Stage: customer.StageCustomer,
			Address: customer.Address{Line1: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", Country: "de"}})
		require.Equal(t, "ACME GmbH", co.Name, "names are trimmed")
		require.Equal(t, customer.Company, co.Kind)
		require.Equal(t, "DE", co.Address.Country)
		require.Equal(t, int64(1), co.Version)
		require.Equal(t, t0, co.CreatedAt)
		require.Equal(t, t0, co.UpdatedAt)

		clock.Advance(time.Minute)
		p := mustCreate(t, ctx, s, customer.CreateParams{
			Name: "José Müller", GivenName: "José", FamilyName: "Müller", CompanyID: co.ID,
			Locale: "de_de", TimeZone: "Europe/Berlin", Source: "web-form", OwnerID: "user:1",
			Tags: []string{"vip", " beta ", "vip"}, Attributes: map[string]any{"score": 7},
			Identities: []customer.IdentityParams{email("José <Jose@Example.COM>"), email("mailto:jose@example.com"), {Kind: customer.ExternalID, System: "shopify", Value: "SH-1", Label: "shop"}},
		})
		require.Equal(t, customer.Person, p.Kind, "default kind")
		require.Equal(t, customer.StageLead, p.Stage, "default stage")
		require.Equal(t, "de-DE", p.Locale)
		require.Equal(t, []string{"beta", "vip"}, p.Tags)
		require.Equal(t, 7.0, p.Attributes["score"])
		require.Len(t, p.Identities, 2, "the same email given twice is stored once")
		require.Equal(t, "jose@example.com", p.Email())
		require.Equal(t, "José <Jose@Example.COM>", p.Identities[0].Raw)
		require.Equal(t, co.ID, p.CompanyID)

		// What Create returns is what Get reads back, on both databases.
		for _, c := range []*customer.Customer{co, p} {
			got, err := s.Get(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, c, got)
			got, err = s.GetIncludingDeleted(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, c, got)
		}

		_, err = s.Get(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.GetIncludingDeleted(ctx, crmtype.NewID(t0))
		require.ErrorIs(t, err, crm.ErrNotFound)

		// A person belongs only to an existing, live company of the same workspace.
		_, err = s.Create(ctx, customer.CreateParams{Name: "Ghost", CompanyID: crmtype.NewID(t0)})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.Create(ctx, customer.CreateParams{Name: "Worker", CompanyID: p.ID})
		requireInvalid(t, err, "company_id")
		_, err = s.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "Sub", CompanyID: co.ID})
		requireInvalid(t, err, "kind")
		otherCo := mustCreate(t, ctx, client.Workspace("conf-other").Customers, customer.CreateParams{Kind: customer.Company, Name: "Other Co"})
		_, err = s.Create(ctx, customer.CreateParams{Name: "Stranger", CompanyID: otherCo.ID})
		require.ErrorIs(t, err, crm.ErrNotFound)
		gone := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "Gone Ltd"})
		require.NoError(t, s.Delete(ctx, gone.ID))
		_, err = s.Create(ctx, customer.CreateParams{Name: "Late", CompanyID: gone.ID})
		require.ErrorIs(t, err, crm.ErrNotFound)
		n, err := s.Count(ctx, customer.Filter{Deleted: customer.IncludeDeleted})
		require.NoError(t, err)
		require.Equal(t, 3, n, "failed creates wrote nothing")

		// A company and its person in one batch, the person listed first.
		newCo := customer.CreateParams{Kind: customer.Company, Name: "Batch Co"}
		cs, err := s.CreateMany(ctx, []customer.CreateParams{{Name: "Batch Person"}, newCo})
		require.NoError(t, err)
		require.Len(t, cs, 2)
		up, err := s.Update(ctx, cs[0].ID, customer.UpdateParams{Version: cs[0].Version, CompanyID: &cs[1].ID})
		require.NoError(t, err)
		require.Equal(t, cs[1].ID, up.CompanyID)
		up, err = s.Update(ctx, up.ID, customer.UpdateParams{Version: up.Version, CompanyID: &crmtype.ID{}})
		require.NoError(t, err)
		require.True(t, up.CompanyID.IsZero(), "a zero id removes the company")
		_, err = s.Update(ctx, up.ID, customer.UpdateParams{Version: up.Version, CompanyID: &p.ID})
		requireInvalid(t, err, "company_id")
		_, err = s.Update(ctx, up.ID, customer.UpdateParams{Version: up.Version, CompanyID: &otherCo.ID})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
}

// ---- update ----

func TestConformanceUpdate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("conf").Customers
		for _, d := range []customer.AttributeDef{
			{Key: "score", Type: customer.TypeNumber},
			{Key: "nick", Type: customer.TypeString},
			{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}},
			{Key: "region", Type: customer.TypeString, Required: true},
		} {
			_, err := s.DefineAttribute(ctx, d)
			require.NoError(t, err)
		}
		c := mustCreate(t, ctx, s, customer.CreateParams{Name: "Ann", Tags: []string{"a", "b"},
			Attributes: map[string]any{"score": 1, "nick": "annie", "tier": "gold", "region": "EU"}})

		at := clock.Advance(time.Hour)
		up, err := s.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("Anna"),
			Stage: customer.Ptr(customer.StageProspect), OwnerID: customer.Ptr("user:7")})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, "Anna", up.Name)
		require.Equal(t, customer.StageProspect, up.Stage)
		require.Equal(t, at, up.UpdatedAt)
		require.Equal(t, t0, up.CreatedAt)
		require.Equal(t, []string{"a", "b"}, up.Tags, "unset fields are kept")
		got, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, up, got, "Update returns the customer as saved")

		// Optimistic locking: a stale version changes nothing.
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("Stale")})
		ce := requireConflict(t, err)
		require.Equal(t, "version", ce.Field)
		require.Equal(t, c.ID, ce.HeldBy)
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version + 1, Name: customer.Ptr("Future")})
		requireConflict(t, err)
		after, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, got, after)

		// Tags are replaced as a set.
		up, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Tags: &[]string{"z", "a", "z"}})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "z"}, up.Tags)
		got, err = s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"a", "z"}, got.Tags)
		up, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Tags: &[]string{}})
		require.NoError(t, err)
		got, err = s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, got.Tags)
		n, err := s.Count(ctx, customer.Filter{Tags: []string{"a"}})
		require.NoError(t, err)
		require.Zero(t, n)

		// Attributes merge; nil removes; a required one cannot be removed.
		up, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Attributes: map[string]any{"score": 2.5, "nick": nil}})
		require.NoError(t, err)
		want := map[string]any{"score": 2.5, "tier": "gold", "region": "EU"}
		require.Equal(t, want, up.Attributes)
		got, err = s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, want, got.Attributes)
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Attributes: map[string]any{"region": nil, "score": 3}})
		requireInvalid(t, err, "attributes.region")
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Attributes: map[string]any{"tier": "platinum"}})
		requireInvalid(t, err, "attributes.tier")
		got2, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, got, got2, "rejected updates changed nothing")

		// Only live customers can be updated.
		require.NoError(t, s.Delete(ctx, c.ID))
		del, err := s.GetIncludingDeleted(ctx, c.ID)
		require.NoError(t, err)
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: del.Version, Name: customer.Ptr("Ghost")})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.Update(ctx, crmtype.NewID(t0), customer.UpdateParams{Version: 1, Name: customer.Ptr("Nobody")})
		require.ErrorIs(t, err, crm.ErrNotFound)
		res, err := s.Restore(ctx, c.ID)
		require.NoError(t, err)
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: up.Version, Name: customer.Ptr("Old version")})
		requireConflict(t, err) // delete and restore moved the version on
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: res.Version, Name: customer.Ptr("Fresh")})
		require.NoError(t, err)
	})
}

// ---- delete / restore / purge ----

func TestConformanceDeleteRestorePurge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("conf").Customers
		c := mustCreate(t, ctx, s, customer.CreateParams{Name: "Dora", Tags: []string{"x"}, Identities: []customer.IdentityParams{email("dora@example.com")}})
		other := mustCreate(t, ctx, s, customer.CreateParams{Name: "Other"})

		delAt := clock.Advance(time.Hour)
		require.NoError(t, s.Delete(ctx, c.ID))
		_, err := s.Get(ctx, c.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		d, err := s.GetIncludingDeleted(ctx, c.ID)
		require.NoError(t, err)
		require.NotNil(t, d.DeletedAt)
		require.Equal(t, delAt, *d.DeletedAt)
		require.Equal(t, []string{"x"}, d.Tags)
		require.Equal(t, []crmtype.ID{other.ID}, custIDs(listAll(t, ctx, s, customer.ListParams{})))
		require.Equal(t, []crmtype.ID{c.ID}, custIDs(listAll(t, ctx, s, customer.ListParams{Filter: customer.Filter{Deleted: customer.OnlyDeleted}})))
		require.Len(t, listAll(t, ctx, s, customer.ListParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}}), 2)
		_, err = s.ByEmail(ctx, "dora@example.com")
		require.ErrorIs(t, err, crm.ErrNotFound, "lookup skips deleted customers")
		_, err = s.AddIdentity(ctx, c.ID, customer.IdentityParams{Kind: customer.ExternalID, System: "crm", Value: "D-1"})
		require.ErrorIs(t, err, crm.ErrNotFound)
		d2, err := s.Create(ctx, customer.CreateParams{Name: "Copy", Identities: []customer.IdentityParams{email("DORA@example.com")}})
		require.NoError(t, err, "emails may be shared, with deleted customers too")
		require.Equal(t, d2.ID, mustFind(t, ctx, s, "dora@example.com"), "lookup skips deleted customers")
		require.NoError(t, s.Purge(ctx, d2.ID))
		_, err = s.AddIdentity(ctx, c.ID, email("dora2@example.com"))
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorIs(t, s.Delete(ctx, c.ID), crm.ErrNotFound)
		_, err = s.Restore(ctx, other.ID)
		require.ErrorIs(t, err, crm.ErrNotFound, "restoring a live customer")

		r, err := s.Restore(ctx, c.ID)
		require.NoError(t, err)
		require.Nil(t, r.DeletedAt)
		got, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, r.Version, got.Version)
		require.Nil(t, got.DeletedAt)
		_, err = s.ByEmail(ctx, "dora@example.com")
		require.NoError(t, err)

		// Purge cascades identities, tags, purchases and the search document.
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 100, Currency: "EUR"}, OrderID: "o-1"})
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, c.ID))
		require.NoError(t, s.Purge(ctx, c.ID), "a deleted customer can be purged")
		_, err = s.GetIncludingDeleted(ctx, c.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		for _, table := range []string{"crm_identities", "crm_customer_tags", "crm_purchases", "crm_customer_search"} {
			require.Zero(t, rowCount(t, ctx, db, table, "conf", c.ID), table)
		}
		_, err = s.PurchaseStats(ctx, c.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorIs(t, s.Purge(ctx, c.ID), crm.ErrNotFound)
		again := mustCreate(t, ctx, s, customer.CreateParams{Name: "Dora Again", Identities: []customer.IdentityParams{email("dora@example.com")}})
		found, err := s.ByEmail(ctx, "Dora@Example.com")
		require.NoError(t, err)
		require.Equal(t, again.ID, found.ID, "the purged email is free again")
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: again.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "EUR"}, OrderID: "o-1"})
		require.NoError(t, err, "the purged order id is free again")

		// A company with members (even deleted ones) cannot be purged.
		co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "Co"})
		m := mustCreate(t, ctx, s, customer.CreateParams{Name: "Member", CompanyID: co.ID})
		ce := requireConflict(t, s.Purge(ctx, co.ID))
		require.Equal(t, co.ID, ce.HeldBy)
		require.NoError(t, s.Delete(ctx, m.ID))
		requireConflict(t, s.Purge(ctx, co.ID))
		_, err = s.Get(ctx, co.ID)
		require.NoError(t, err, "the failed purge kept the company")
		require.NoError(t, s.Purge(ctx, m.ID))
		require.NoError(t, s.Purge(ctx, co.ID))
		require.ErrorIs(t, s.Purge(ctx, crmtype.NewID(t0)), crm.ErrNotFound)
	})
}

// ---- list filters and count ----

func TestConformanceListFilters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("conf").Customers
		for _, d := range []customer.AttributeDef{
			{Key: "score", Type: customer.TypeNumber},
			{Key: "since", Type: customer.TypeDate},
			{Key: "vip", Type: customer.TypeBool},
			{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver", "bronze"}},
			{Key: "nick", Type: customer.TypeString},
		} {
			_, err := s.DefineAttribute(ctx, d)
			require.NoError(t, err)
		}
		type A = map[string]any
		var created []time.Time
		add := func(p customer.CreateParams) *customer.Customer {
			t.Helper()
			created = append(created, clock.Advance(time.Hour))
			return mustCreate(t, ctx, s, p)
		}
		acme := add(customer.CreateParams{Kind: customer.Company, Name: "ACME", Stage: customer.StageCustomer, OwnerID: "u1", Tags: []string{"b2b"}})
		add(customer.CreateParams{Name: "José Müller", CompanyID: acme.ID, Stage: customer.StageLead, OwnerID: "u1", Tags: []string{"vip", "beta"},
			Attributes: A{"score": 10, "since": "2024-01-15", "vip": true, "tier": "gold", "nick": "pepe"}, Identities: []customer.IdentityParams{email("jose@example.com")}})
		add(customer.CreateParams{Name: "Joanna Smith", Stage: customer.StageProspect, OwnerID: "u2", Tags: []string{"vip"},
			Attributes: A{"score": 20.5, "since": time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC), "vip": false, "tier": "silver"}, Identities: []customer.IdentityParams{email("Joanna@Example.org")}})
		add(customer.CreateParams{Name: "张三", CompanyID: acme.ID, Stage: customer.StageCustomer, OwnerID: "u2", Tags: []string{"beta"},
			Attributes: A{"score": -5, "tier": "gold", "nick": "小张"}, Identities: []customer.IdentityParams{email("zhang.san@example.cn")}})
		add(customer.CreateParams{Name: "Émile Zola", Stage: customer.StageChurned, Identities: []customer.IdentityParams{email("EMILE@example.fr"), email("Émile.Zola@example.fr")}})
		add(customer.CreateParams{Kind: customer.Company, Name: "Zoë AG", Stage: customer.StageLead, Attributes: A{"score": 20.5, "vip": true, "since": "2025-06-01"}})
		add(customer.CreateParams{Name: "a_b", Stage: customer.StageInactive})
		add(customer.CreateParams{Name: "axb", Stage: customer.StageInactive})
		add(customer.CreateParams{Name: "50% Club", Stage: customer.StageInactive})
		add(customer.CreateParams{Name: "50x", Stage: customer.StageInactive})
		gone := add(customer.CreateParams{Name: "Gone Joe", Stage: customer.StageLead, Tags: []string{"vip"}, Attributes: A{"score": 10}})
		require.NoError(t, s.Delete(ctx, gone.ID))
		all := []string{"ACME", "José Müller", "Joanna Smith", "张三", "Émile Zola", "Zoë AG", "a_b", "axb", "50% Club", "50x"}
		without := func(drop ...string) []string {
			var out []string
			for _, n := range all {
				keep := true
				for _, d := range drop {
					keep = keep && n != d
				}
				if keep {
					out = append(out, n)
				}
			}
			return out
		}
		af := func(key string, op customer.Op, v any) customer.Filter {
			return customer.Filter{Attributes: []customer.AttributeFilter{{Key: key, Op: op, Value: v}}}
		}
		withScore := []string{"José Müller", "Joanna Smith", "张三", "Zoë AG"}
		cases := []struct {
			name string
			f    customer.Filter
			want []string
		}{
			{"none", customer.Filter{}, all},
			{"stage customer", customer.Filter{Stage: customer.StageCustomer}, []string{"ACME", "张三"}},
			{"stage lead", customer.Filter{Stage: customer.StageLead}, []string{"José Müller", "Zoë AG"}},
			{"stage won nobody", customer.Filter{Stage: customer.StageChurned}, []string{"Émile Zola"}},
			{"tag vip", customer.Filter{Tags: []string{"vip"}}, []string{"José Müller", "Joanna Smith"}},
			{"tags vip+beta", customer.Filter{Tags: []string{"beta", "vip"}}, []string{"José Müller"}},
			{"tag beta", customer.Filter{Tags: []string{"beta"}}, []string{"José Müller", "张三"}},
			{"tag unknown", customer.Filter{Tags: []string{"nope"}}, nil},
			{"owner u1", customer.Filter{OwnerID: "u1"}, []string{"ACME", "José Müller"}},
			{"owner u2", customer.Filter{OwnerID: "u2"}, []string{"Joanna Smith", "张三"}},
			{"kind company", customer.Filter{Kind: customer.Company}, []string{"ACME", "Zoë AG"}},
			{"kind person", customer.Filter{Kind: customer.Person}, without("ACME", "Zoë AG")},
			{"company", customer.Filter{CompanyID: acme.ID}, []string{"José Müller", "张三"}},
			{"company unknown", customer.Filter{CompanyID: crmtype.NewID(t0)}, nil},
			{"number eq", af("score", customer.Eq, 10), []string{"José Müller"}},
			{"number default op", af("score", "", 20.5), []string{"Joanna Smith", "Zoë AG"}},
			{"number ne", af("score", customer.Ne, 10), without("José Müller")},
			{"number lt", af("score", customer.Lt, 10), []string{"张三"}},
			{"number lte", af("score", customer.Lte, 10), []string{"José Müller", "张三"}},
			{"number gt", af("score", customer.Gt, 10), []string{"Joanna Smith", "Zoë AG"}},
			{"number gte", af("score", customer.Gte, 20.5), []string{"Joanna Smith", "Zoë AG"}},
			{"number gt fraction", af("score", customer.Gt, 20.25), []string{"Joanna Smith", "Zoë AG"}},
			{"number exists", af("score", customer.Exists, nil), withScore},
			{"number missing", af("score", customer.Missing, nil), without(withScore...)},
			{"date eq", af("since", customer.Eq, "2025-06-01"), []string{"Joanna Smith", "Zoë AG"}},
			{"date ne", af("since", customer.Ne, "2025-06-01"), without("Joanna Smith", "Zoë AG")},
			{"date lt", af("since", customer.Lt, "2025-06-01"), []string{"José Müller"}},
			{"date lte", af("since", customer.Lte, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)), []string{"José Müller", "Joanna Smith", "Zoë AG"}},
			{"date gt", af("since", customer.Gt, "2024-01-15"), []string{"Joanna Smith", "Zoë AG"}},
			{"date gte", af("since", customer.Gte, "2024-01-15"), []string{"José Müller", "Joanna Smith", "Zoë AG"}},
			{"date exists", af("since", customer.Exists, nil), []string{"José Müller", "Joanna Smith", "Zoë AG"}},
			{"date missing", af("since", customer.Missing, nil), without("José Müller", "Joanna Smith", "Zoë AG")},
			{"bool eq true", af("vip", customer.Eq, true), []string{"José Müller", "Zoë AG"}},
			{"bool eq false", af("vip", customer.Eq, false), []string{"Joanna Smith"}},
			{"bool ne true", af("vip", customer.Ne, true), without("José Müller", "Zoë AG")},
			{"bool exists", af("vip", customer.Exists, nil), []string{"José Müller", "Joanna Smith", "Zoë AG"}},
			{"bool missing", af("vip", customer.Missing, nil), without("José Müller", "Joanna Smith", "Zoë AG")},
			{"enum eq", af("tier", customer.Eq, "gold"), []string{"José Müller", "张三"}},
			{"enum ne", af("tier", customer.Ne, "gold"), without("José Müller", "张三")},
			{"enum exists", af("tier", customer.Exists, nil), []string{"José Müller", "Joanna Smith", "张三"}},
			{"enum missing", af("tier", customer.Missing, nil), without("José Müller", "Joanna Smith", "张三")},
			{"string eq", af("nick", customer.Eq, "pepe"), []string{"José Müller"}},
			{"string eq cjk", af("nick", customer.Eq, "小张"), []string{"张三"}},
			{"string eq case-sensitive", af("nick", customer.Eq, "Pepe"), nil},
			{"string ne", af("nick", customer.Ne, "pepe"), without("José Müller")},
			{"string exists", af("nick", customer.Exists, nil), []string{"José Müller", "张三"}},
			{"string missing", af("nick", customer.Missing, nil), without("José Müller", "张三")},
			{"two attributes", customer.Filter{Attributes: []customer.AttributeFilter{{Key: "score", Op: customer.Gte, Value: 10}, {Key: "vip", Value: true}}}, []string{"José Müller", "Zoë AG"}},
			{"created range", customer.Filter{CreatedFrom: created[1], CreatedTo: created[3]}, []string{"José Müller", "Joanna Smith"}},
			{"created from", customer.Filter{CreatedFrom: created[8]}, []string{"50% Club", "50x"}},
			{"created to", customer.Filter{CreatedTo: created[1]}, []string{"ACME"}},
			{"created range other zone", customer.Filter{CreatedFrom: created[1].In(time.FixedZone("CST", 8*3600)), CreatedTo: created[2].In(time.FixedZone("PST", -8*3600))}, []string{"José Müller"}},
			{"name prefix jo", customer.Filter{NamePrefix: "jo"}, []string{"José Müller", "Joanna Smith"}},
			{"name prefix accent", customer.Filter{NamePrefix: "JOSÉ"}, []string{"José Müller"}},
			{"name prefix unaccented", customer.Filter{NamePrefix: "jose m"}, []string{"José Müller"}},
			{"name prefix emile", customer.Filter{NamePrefix: "emi"}, []string{"Émile Zola"}},
			{"name prefix zoe", customer.Filter{NamePrefix: "Zoe"}, []string{"Zoë AG"}},
			{"name prefix han", customer.Filter{NamePrefix: "张"}, []string{"张三"}},
			{"name prefix not infix", customer.Filter{NamePrefix: "三"}, nil},
			{"name prefix underscore literal", customer.Filter{NamePrefix: "a_"}, []string{"a_b"}},
			{"name prefix percent literal", customer.Filter{NamePrefix: "50%"}, []string{"50% Club"}},
			{"email prefix", customer.Filter{EmailPrefix: "jo"}, []string{"José Müller", "Joanna Smith"}},
			{"email prefix case", customer.Filter{EmailPrefix: "JOANNA@EX"}, []string{"Joanna Smith"}},
			{"email prefix dotted", customer.Filter{EmailPrefix: "zhang.san@"}, []string{"张三"}},
			{"email prefix lowered", customer.Filter{EmailPrefix: "emile@"}, []string{"Émile Zola"}},
			{"email prefix non-ascii case", customer.Filter{EmailPrefix: "ÉMILE.Z"}, []string{"Émile Zola"}},
			{"email prefix underscore literal", customer.Filter{EmailPrefix: "jo_"}, nil},
			{"combined", customer.Filter{Stage: customer.StageCustomer, Kind: customer.Person, Tags: []string{"beta"}, OwnerID: "u2"}, []string{"张三"}},
			{"only deleted", customer.Filter{Deleted: customer.OnlyDeleted}, []string{"Gone Joe"}},
			{"include deleted", customer.Filter{Deleted: customer.IncludeDeleted, Tags: []string{"vip"}}, []string{"José Müller", "Joanna Smith", "Gone Joe"}},
			{"deleted by tag", customer.Filter{Deleted: customer.OnlyDeleted, Tags: []string{"vip"}, Attributes: []customer.AttributeFilter{{Key: "score", Value: 10}}}, []string{"Gone Joe"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := listAll(t, ctx, s, customer.ListParams{Filter: tc.f, Limit: 3})
				require.ElementsMatch(t, tc.want, custNames(got))
				n, err := s.Count(ctx, tc.f)
				require.NoError(t, err)
				require.Equal(t, len(got), n, "Count agrees with List")
			})
		}
	})
}

// ---- keyset pagination ----

func TestConformancePagination(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("conf").Customers
		names := []string{"张三", "李四", "José", "Émile", "Zoë", "Ærø", "Иван", "김철수", "John Smith", "John Smith", "jose", "Zoe", "emile", "アキラ", "Ölaf", "ørsted"}
		var byCreated []*customer.Customer
		for i, n := range names {
			clock.Advance(time.Minute)
			byCreated = append(byCreated, mustCreate(t, ctx, s, customer.CreateParams{Name: n, Stage: []customer.Stage{customer.StageLead, customer.StageCustomer}[i%2]}))
		}
		byName := append([]*customer.Customer(nil), byCreated...)
		col := collate.New(language.Und)
		sort.SliceStable(byName, func(i, j int) bool { return col.CompareString(byName[i].Name, byName[j].Name) < 0 })
		reversed := func(cs []*customer.Customer) []*customer.Customer {
			out := make([]*customer.Customer, len(cs))
			for i, c := range cs {
				out[len(cs)-1-i] = c
			}
			return out
		}
		only := func(cs []*customer.Customer, st customer.Stage) []*customer.Customer {
			var out []*customer.Customer
			for _, c := range cs {
				if c.Stage == st {
					out = append(out, c)
				}
			}
			return out
		}
		cases := []struct {
			name string
			p    customer.ListParams
			want []*customer.Customer
		}{
			{"created asc", customer.ListParams{}, byCreated},
			{"created desc", customer.ListParams{Desc: true}, reversed(byCreated)},
			{"name asc", customer.ListParams{Sort: customer.ByName}, byName},
			{"name desc", customer.ListParams{Sort: customer.ByName, Desc: true}, reversed(byName)},
			{"name asc filtered", customer.ListParams{Sort: customer.ByName, Filter: customer.Filter{Stage: customer.StageCustomer}}, only(byName, customer.StageCustomer)},
			{"created desc filtered", customer.ListParams{Desc: true, Filter: customer.Filter{Stage: customer.StageLead}}, reversed(only(byCreated, customer.StageLead))},
		}
		for _, tc := range cases {
			for _, limit := range []int{1, 3, 5, len(tc.want), 0} {
				t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
					p := tc.p
					p.Limit = limit
					got := listAll(t, ctx, s, p)
					require.Equal(t, custNames(tc.want), custNames(got))
					require.Equal(t, custIDs(tc.want), custIDs(got), "every customer exactly once, in order")
					n, err := s.Count(ctx, p.Filter)
					require.NoError(t, err)
					require.Equal(t, len(got), n)
				})
			}
		}
		// An exact-size page has no Next; a cursor resumes after the page.
		page, err := s.List(ctx, customer.ListParams{Limit: len(names)})
		require.NoError(t, err)
		require.Len(t, page.Items, len(names))
		require.Empty(t, page.Next)
		page, err = s.List(ctx, customer.ListParams{Sort: customer.ByName, Limit: 2})
		require.NoError(t, err)
		require.NotEmpty(t, page.Next)
		require.Equal(t, custIDs(byName[:2]), custIDs(page.Items))
		// Root collation order, spelled out for a few names.
		require.Equal(t, []string{"Ærø", "emile", "Émile", "John Smith", "John Smith", "jose", "José", "Ölaf", "ørsted", "Zoe", "Zoë", "Иван", "김철수", "アキラ", "张三", "李四"}, custNames(byName))
	})
}

// ---- search ----

func TestConformanceSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("conf")
		s := ws.Customers
		ali := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "阿里巴巴"})
		zsf := mustCreate(t, ctx, s, customer.CreateParams{Name: "张三丰", CompanyID: ali.ID,
			Identities: []customer.IdentityParams{phone("+86 138 0013 8000"), email("zhang.sanfeng@alibaba.cn")}})
		john := mustCreate(t, ctx, s, customer.CreateParams{Name: "John Smith",
			Identities: []customer.IdentityParams{phone("+44 20 7946 0958"), email("john.smith@example.com")}})
		johnny := mustCreate(t, ctx, s, customer.CreateParams{Name: "Johnny Walker"})
		mustCreate(t, ctx, s, customer.CreateParams{Name: "Jane Smithers", Identities: []customer.IdentityParams{email("jane@example.org")}})
		mustCreate(t, ctx, s, customer.CreateParams{Name: "José García", GivenName: "José", FamilyName: "García"})
		mustCreate(t, ctx, s, customer.CreateParams{Name: "김철수"})

		search := func(q string, p customer.SearchParams) []customer.SearchHit {
			t.Helper()
			hits, err := s.Search(ctx, q, p)
			require.NoError(t, err, q)
			for i := range hits {
				require.Greater(t, hits[i].Score, 0.0, q)
				if i > 0 {
					require.GreaterOrEqual(t, hits[i-1].Score, hits[i].Score, "hits are ranked: %q", q)
				}
			}
			return hits
		}
		cases := []struct {
			q    string
			want []string
		}{
			{"jo smi", []string{"John Smith"}},
			{"SMITH JOHN", []string{"John Smith"}},
			{"john", []string{"John Smith", "Johnny Walker"}},
			{"smith", []string{"John Smith", "Jane Smithers"}},
			{"john xyz", nil},
			{"jose", []string{"José García"}},
			{"JOSÉ garc", []string{"José García"}},
			{"张", []string{"张三丰"}},
			{"三丰", []string{"张三丰"}},
			{"张三丰", []string{"张三丰"}},
			{"张丰", nil},
			{"李", nil},
			{"철수", []string{"김철수"}},
			{"阿里巴巴", []string{"阿里巴巴", "张三丰"}},
			{"阿里 张", []string{"张三丰"}},
			{"138 0013 8000", []string{"张三丰"}},
			{"13800138000", []string{"张三丰"}},
			{"+86 138", []string{"张三丰"}},
			{"+86 (138) 0013-8000", []string{"张三丰"}},
			{"１３８００１３８０００", []string{"张三丰"}},
			{"020 7946 0958", []string{"John Smith"}},
			{"+44 20 7946 0958", []string{"John Smith"}},
			{"20 7946", []string{"John Smith"}},
			{"john.smith@example.com", []string{"John Smith"}},
			{"example", []string{"John Smith", "Jane Smithers"}},
			{"alibaba.cn", []string{"张三丰"}},
			{"999 999", nil},
		}
		for _, tc := range cases {
			require.ElementsMatch(t, tc.want, hitNames(search(tc.q, customer.SearchParams{})), "query %q", tc.q)
		}
		hits := search("阿里巴巴", customer.SearchParams{Filter: customer.Filter{Kind: customer.Person}})
		require.Equal(t, []string{"张三丰"}, hitNames(hits), "a filter narrows hits")
		require.Equal(t, zsf.ID, hits[0].Customer.ID)
		require.Equal(t, "+8613800138000", hits[0].Customer.Phone(), "hits carry identities")
		require.Len(t, search("j", customer.SearchParams{Limit: 2}), 2)

		// Renaming a company re-indexes its people.
		got, err := s.Get(ctx, ali.ID)
		require.NoError(t, err)
		_, err = s.Update(ctx, ali.ID, customer.UpdateParams{Version: got.Version, Name: customer.Ptr("蚂蚁集团")})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"蚂蚁集团", "张三丰"}, hitNames(search("蚂蚁", customer.SearchParams{})))
		require.Empty(t, search("阿里巴巴", customer.SearchParams{}))
		// Renaming a person re-indexes the person.
		_, err = s.Update(ctx, johnny.ID, customer.UpdateParams{Version: johnny.Version, Name: customer.Ptr("Jack Walker")})
		require.NoError(t, err)
		require.Equal(t, []string{"John Smith"}, hitNames(search("john", customer.SearchParams{})))
		require.Equal(t, []string{"Jack Walker"}, hitNames(search("jack walk", customer.SearchParams{})))

		// Soft-deleted customers are hidden unless asked for.
		require.NoError(t, s.Delete(ctx, john.ID))
		require.Equal(t, []string{"Jane Smithers"}, hitNames(search("smith", customer.SearchParams{})))
		require.Empty(t, search("020 7946 0958", customer.SearchParams{}))
		require.Empty(t, search("john.smith@example.com", customer.SearchParams{}))
		require.ElementsMatch(t, []string{"John Smith", "Jane Smithers"}, hitNames(search("smith", customer.SearchParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}})))
		_, err = s.Restore(ctx, john.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"John Smith", "Jane Smithers"}, hitNames(search("smith", customer.SearchParams{})))
		require.NoError(t, s.Purge(ctx, john.ID))
		require.Empty(t, search("john", customer.SearchParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}}))

		// Identities added and removed are indexed.
		id, err := s.AddIdentity(ctx, zsf.ID, email("sanfeng@wudang.cn"))
		require.NoError(t, err)
		require.Equal(t, []string{"张三丰"}, hitNames(search("wudang", customer.SearchParams{})))
		require.NoError(t, s.RemoveIdentity(ctx, zsf.ID, id.ID))
		require.Empty(t, search("wudang", customer.SearchParams{}))

		_, err = s.Search(ctx, "", customer.SearchParams{})
		requireInvalid(t, err, "query")
		_, err = s.Search(ctx, " !? ", customer.SearchParams{})
		requireInvalid(t, err, "query")
	})
}

// ---- identities ----

func TestConformanceIdentities(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("conf")
		s := ws.Customers

		// Without a default region a national number is rejected.
		_, err := s.Create(ctx, customer.CreateParams{Name: "Nat", Identities: []customer.IdentityParams{phone("020 7946 0958")}})
		requireInvalid(t, err, "identities[0].value")
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "gb"}))
		st, err := ws.Settings(ctx)
		require.NoError(t, err)
		require.Equal(t, "GB", st.DefaultRegion)

		alice := mustCreate(t, ctx, s, customer.CreateParams{Name: "Alice", Identities: []customer.IdentityParams{
			email("Alice Liddell <ALICE@Example.COM>"), phone("020 7946 0958"),
			{Kind: customer.ExternalID, System: "shopify", Value: "SH-1"}, email("alice@bücher.de"),
		}})
		require.Equal(t, []string{"alice@example.com", "+442079460958", "SH-1", "alice@xn--bcher-kva.de"},
			namesOf(alice.Identities, func(i customer.Identity) string { return i.Value }))
		require.Equal(t, "shopify", alice.Identities[2].System)

		found := func(c *customer.Customer, err error) crmtype.ID {
			t.Helper()
			require.NoError(t, err)
			return c.ID
		}
		for _, e := range []string{"alice@example.com", "ALICE@EXAMPLE.COM", " Alice@Example.com ", "Alice <alice@example.com>", "\"Liddell, Alice\" <Alice@example.COM>", "mailto:alice@example.com", "MAILTO:ALICE@EXAMPLE.COM", "alice@BÜCHER.de", "alice@xn--bcher-kva.de"} {
			require.Equal(t, alice.ID, found(s.ByEmail(ctx, e)), e)
		}
		for _, p := range []string{"+442079460958", "+44 20 7946 0958", "+44 (20) 7946-0958", "0044 20 7946 0958", "020 7946 0958", "(020) 7946 0958", "tel:+44-20-7946-0958", "＋４４ ２０ ７９４６ ０９５８"} {
			require.Equal(t, alice.ID, found(s.ByPhone(ctx, p)), p)
		}
		require.Equal(t, alice.ID, found(s.ByExternalID(ctx, "shopify", "SH-1")))
		require.Equal(t, alice.ID, found(s.Lookup(ctx, customer.IdentityParams{Kind: customer.Email, Value: "mailto:Alice@Example.com"})))
		for _, miss := range []func() (*customer.Customer, error){
			func() (*customer.Customer, error) { return s.ByEmail(ctx, "bob@example.com") },
			func() (*customer.Customer, error) { return s.ByPhone(ctx, "+44 20 7946 0959") },
			func() (*customer.Customer, error) { return s.ByPhone(ctx, "+1 650 253 0000") },
			func() (*customer.Customer, error) { return s.ByExternalID(ctx, "stripe", "SH-1") },
			func() (*customer.Customer, error) { return s.ByExternalID(ctx, "shopify", "sh-1") },
		} {
			_, err := miss()
			require.ErrorIs(t, err, crm.ErrNotFound)
		}

		// Phones of many countries normalise to E.164, whatever the default region.
		intl := map[string]string{
			"CN": "+86 138-0013-8000", "US": "+1 (650) 253-0000", "DE": "0049 30 901820", "JP": "+81 3-1234-5678",
			"IN": "+91 98765 43210", "BR": "+55 11 91234-5678",
		}
		wantE164 := map[string]string{"CN": "+8613800138000", "US": "+16502530000", "DE": "+4930901820", "JP": "+81312345678", "IN": "+919876543210", "BR": "+5511912345678"}
		var ids []customer.IdentityParams
		for _, cc := range []string{"CN", "US", "DE", "JP", "IN", "BR"} {
			ids = append(ids, phone(intl[cc]))
		}
		world := mustCreate(t, ctx, s, customer.CreateParams{Name: "World", Identities: ids})
		for i, cc := range []string{"CN", "US", "DE", "JP", "IN", "BR"} {
			require.Equal(t, wantE164[cc], world.Identities[i].Value, cc)
			require.Equal(t, world.ID, found(s.ByPhone(ctx, wantE164[cc])), cc)
		}
		// National numbers of another region, read with that region as default.
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		require.Equal(t, world.ID, found(s.ByPhone(ctx, "138 0013 8000")))
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "US"}))
		require.Equal(t, world.ID, found(s.ByPhone(ctx, "(650) 253-0000")))
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "GB"}))

		// AddIdentity / RemoveIdentity.
		bob := mustCreate(t, ctx, s, customer.CreateParams{Name: "Bob"})
		work, err := s.AddIdentity(ctx, bob.ID, customer.IdentityParams{Kind: customer.Email, Value: "Bob <BOB@Work.example>", Label: "work"})
		require.NoError(t, err)
		require.Equal(t, "bob@work.example", work.Value)
		require.Equal(t, bob.ID, work.CustomerID)
		require.Equal(t, "work", work.Label)
		got, err := s.Get(ctx, bob.ID)
		require.NoError(t, err)
		require.Equal(t, []customer.Identity{work}, got.Identities)
		require.Equal(t, bob.ID, found(s.ByEmail(ctx, "bob@work.example")))

		// An email or phone may be shared; an external id may not, and a
		// customer holds an identity once.
		shared, err := s.AddIdentity(ctx, bob.ID, email("mailto:ALICE@example.com"))
		require.NoError(t, err, "an email may be shared")
		_, err = s.ByEmail(ctx, "alice@example.com")
		ce := requireConflict(t, err)
		require.Equal(t, "email", ce.Field)
		require.Contains(t, ce.Reason, "held by 2 customers")
		holders, err := s.Holders(ctx, email("Alice@Example.com"))
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{alice.ID, bob.ID}, custIDs(holders), "oldest first")
		require.NoError(t, s.RemoveIdentity(ctx, bob.ID, shared.ID))
		require.Equal(t, alice.ID, found(s.ByEmail(ctx, "alice@example.com")))
		_, err = s.AddIdentity(ctx, alice.ID, email("alice@example.com"))
		require.Equal(t, alice.ID, requireConflict(t, err).HeldBy, "held already by the same customer")
		carol, err := s.Create(ctx, customer.CreateParams{Name: "Carol", Identities: []customer.IdentityParams{email("carol@example.com"), phone("+44 20 7946 0958")}})
		require.NoError(t, err, "a phone may be shared")
		holders, err = s.Holders(ctx, phone("020 7946 0958"))
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{alice.ID, carol.ID}, custIDs(holders))
		require.NoError(t, s.Purge(ctx, carol.ID))
		_, err = s.AddIdentity(ctx, bob.ID, customer.IdentityParams{Kind: customer.ExternalID, System: "shopify", Value: "SH-1"})
		require.Equal(t, alice.ID, requireConflict(t, err).HeldBy)
		_, err = s.AddIdentity(ctx, bob.ID, customer.IdentityParams{Kind: customer.ExternalID, System: "stripe", Value: "SH-1"})
		require.NoError(t, err, "the same value in another system is another identity")
		cs, err := s.CreateMany(ctx, []customer.CreateParams{
			{Name: "Dup 1", Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "erp", Value: "E1"}}},
			{Name: "Dup 2", Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "erp", Value: "E1"}}},
		})
		require.Nil(t, cs)
		requireConflict(t, err)
		_, err = s.AddIdentity(ctx, crmtype.NewID(t0), email("nobody@example.com"))
		require.ErrorIs(t, err, crm.ErrNotFound)

		require.ErrorIs(t, s.RemoveIdentity(ctx, alice.ID, work.ID), crm.ErrNotFound, "not alice's identity")
		require.NoError(t, s.RemoveIdentity(ctx, bob.ID, work.ID))
		require.ErrorIs(t, s.RemoveIdentity(ctx, bob.ID, work.ID), crm.ErrNotFound)
		_, err = s.ByEmail(ctx, "bob@work.example")
		require.ErrorIs(t, err, crm.ErrNotFound)
		moved, err := s.AddIdentity(ctx, alice.ID, email("bob@work.example"))
		require.NoError(t, err, "a removed identity is free again")
		require.Equal(t, alice.ID, found(s.ByEmail(ctx, "BOB@work.example")))
		got, err = s.Get(ctx, alice.ID)
		require.NoError(t, err)
		require.Len(t, got.Identities, 5)
		require.Equal(t, moved, got.Identities[4])
	})
}

// ---- purchases ----

func TestConformancePurchases(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("conf").Customers
		c := mustCreate(t, ctx, s, customer.CreateParams{Name: "Buyer"})
		idle := mustCreate(t, ctx, s, customer.CreateParams{Name: "Idle"})
		clock.Advance(time.Hour)

		usd := func(m int64) crmtype.Money { return crmtype.Money{Minor: m, Currency: "USD"} }
		jpy := func(m int64) crmtype.Money { return crmtype.Money{Minor: m, Currency: "JPY"} }
		p1, err := s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0.Add(-72 * time.Hour), Amount: usd(1999), Quantity: 1, Channel: "web", OrderID: "o-1", Description: "first"})
		require.NoError(t, err)
		require.Equal(t, clock.Now(), p1.CreatedAt)
		batch, err := s.RecordPurchases(ctx, []customer.PurchaseParams{
			{CustomerID: c.ID, OccurredAt: t0.Add(-48 * time.Hour).In(time.FixedZone("JST", 9*3600)), Amount: jpy(5000), Quantity: 2, OrderID: "o-2"},
			{CustomerID: c.ID, OccurredAt: t0.Add(-48 * time.Hour), Amount: jpy(3000), OrderID: "o-3"},
			{CustomerID: c.ID, OccurredAt: t0.Add(-24 * time.Hour), Amount: usd(1)},
			{CustomerID: c.ID, OccurredAt: t0.Add(-24 * time.Hour), Amount: usd(0)}, // two purchases without order id
		})
		require.NoError(t, err)
		require.Len(t, batch, 4)
		require.Equal(t, time.UTC, batch[0].OccurredAt.Location())

		// Duplicate order ids conflict, in the database or in the batch; nothing is stored.
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0, Amount: usd(5), OrderID: "o-1"})
		ce := requireConflict(t, err)
		require.Equal(t, "order_id", ce.Field)
		require.Equal(t, p1.ID, ce.HeldBy)
		_, err = s.RecordPurchases(ctx, []customer.PurchaseParams{
			{CustomerID: c.ID, OccurredAt: t0, Amount: usd(5), OrderID: "o-9"},
			{CustomerID: c.ID, OccurredAt: t0, Amount: usd(5), OrderID: "o-9"},
		})
		requireConflict(t, err)
		_, err = s.RecordPurchases(ctx, []customer.PurchaseParams{
			{CustomerID: c.ID, OccurredAt: t0, Amount: usd(5), OrderID: "o-10"},
			{CustomerID: crmtype.NewID(t0), OccurredAt: t0, Amount: usd(5), OrderID: "o-11"},
		})
		require.ErrorIs(t, err, crm.ErrNotFound)

		want := []*customer.Purchase{batch[3], batch[2], batch[1], batch[0], p1} // newest first, then id descending
		if batch[2].ID.String() > batch[3].ID.String() {
			want[0], want[1] = batch[2], batch[3]
		}
		for _, limit := range []int{1, 2, 5, 0} {
			var got []*customer.Purchase
			var after crmtype.Cursor
			for i := 0; ; i++ {
				require.Less(t, i, 10)
				page, err := s.Purchases(ctx, c.ID, customer.PurchaseListParams{Limit: limit, After: after})
				require.NoError(t, err)
				got = append(got, page.Items...)
				if page.Next == "" {
					break
				}
				after = page.Next
			}
			require.Equal(t, want, got, "limit %d", limit)
		}

		st, err := s.PurchaseStats(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, customer.PurchaseStats{Count: 5, Totals: []crmtype.Money{jpy(8000), usd(2000)},
			First: t0.Add(-72 * time.Hour), Last: t0.Add(-24 * time.Hour)}, st)

		// A customer without purchases; an unknown customer.
		page, err := s.Purchases(ctx, idle.ID, customer.PurchaseListParams{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		require.Empty(t, page.Next)
		st, err = s.PurchaseStats(ctx, idle.ID)
		require.NoError(t, err)
		require.Equal(t, customer.PurchaseStats{}, st)
		unknown := crmtype.NewID(t0)
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: unknown, OccurredAt: t0, Amount: usd(1)})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.Purchases(ctx, unknown, customer.PurchaseListParams{Limit: 10})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.PurchaseStats(ctx, unknown)
		require.ErrorIs(t, err, crm.ErrNotFound)
		st, err = s.PurchaseStats(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 5, st.Count, "failed records stored nothing")

		// A soft-deleted customer's purchases can still be recorded and read.
		require.NoError(t, s.Delete(ctx, idle.ID))
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: idle.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 500, Currency: "KWD"}})
		require.NoError(t, err)
		st, err = s.PurchaseStats(ctx, idle.ID)
		require.NoError(t, err)
		require.Equal(t, []crmtype.Money{{Minor: 500, Currency: "KWD"}}, st.Totals)
	})
}

// ---- transactions ----

func TestConformanceTransactions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		errBoom := errors.New("boom")

		var rolled crmtype.ID
		err := client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			c, err := tx.Workspace("conf").Customers.Create(ctx, customer.CreateParams{Name: "Rolled", Identities: []customer.IdentityParams{email("rolled@example.com")}})
			require.NoError(t, err)
			rolled = c.ID
			got, err := tx.Workspace("conf").Customers.Get(ctx, c.ID)
			require.NoError(t, err, "visible inside the transaction")
			require.Equal(t, c.ID, got.ID)
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		s := client.Workspace("conf").Customers
		_, err = s.Get(ctx, rolled)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.GetIncludingDeleted(ctx, rolled)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.ByEmail(ctx, "rolled@example.com")
		require.ErrorIs(t, err, crm.ErrNotFound)

		require.Panics(t, func() {
			_ = client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
				_, err := tx.Workspace("conf").Customers.Create(ctx, customer.CreateParams{Name: "Panicked"})
				require.NoError(t, err)
				panic("boom")
			})
		})
		n, err := s.Count(ctx, customer.Filter{Deleted: customer.IncludeDeleted})
		require.NoError(t, err)
		require.Zero(t, n)

		var kept, outer, inner, after crmtype.ID
		err = client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			c, err := tx.Workspace("conf").Customers.Create(ctx, customer.CreateParams{Name: "Kept", Identities: []customer.IdentityParams{email("rolled@example.com")}})
			require.NoError(t, err)
			kept = c.ID
			return nil
		})
		require.NoError(t, err)
		got, err := s.Get(ctx, kept)
		require.NoError(t, err)
		require.Equal(t, "Kept", got.Name)

		// A nested RunInTx is a savepoint: its rollback keeps the outer work.
		err = client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			ts := tx.Workspace("conf").Customers
			outer = mustCreate(t, ctx, ts, customer.CreateParams{Name: "Outer"}).ID
			err := tx.RunInTx(ctx, func(ctx context.Context, tx2 *crm.Client) error {
				inner = mustCreate(t, ctx, tx2.Workspace("conf").Customers, customer.CreateParams{Name: "Inner", Identities: []customer.IdentityParams{email("inner@example.com")}}).ID
				return errBoom
			})
			require.ErrorIs(t, err, errBoom)
			_, err = ts.Get(ctx, inner)
			require.ErrorIs(t, err, crm.ErrNotFound, "inner work rolled back")
			after = mustCreate(t, ctx, ts, customer.CreateParams{Name: "After", Identities: []customer.IdentityParams{email("inner@example.com")}}).ID
			return nil
		})
		require.NoError(t, err)
		for _, id := range []crmtype.ID{outer, after} {
			_, err := s.Get(ctx, id)
			require.NoError(t, err)
		}
		_, err = s.Get(ctx, inner)
		require.ErrorIs(t, err, crm.ErrNotFound)
		found, err := s.ByEmail(ctx, "inner@example.com")
		require.NoError(t, err)
		require.Equal(t, after, found.ID)
		n, err = s.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})
}
