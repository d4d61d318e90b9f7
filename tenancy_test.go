package crm_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// tenant is what seedTenant stores in one workspace.
type tenant struct {
	ws       *crm.Workspace
	company  *customer.Customer
	person   *customer.Customer
	deleted  *customer.Customer
	email    customer.Identity // the person's workspace-specific email
	purchase *customer.Purchase
}

// seedTenant stores the same names in every workspace, with identities
// that differ by tag, plus an email, an external id and an order id that
// every workspace shares.
func seedTenant(t *testing.T, ctx context.Context, client *crm.Client, id, tag, region, phoneNo string) tenant {
	t.Helper()
	ws := client.Workspace(id)
	s := ws.Customers
	require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: region}))
	_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
	require.NoError(t, err)
	co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME", Tags: []string{"vip"}})
	p := mustCreate(t, ctx, s, customer.CreateParams{Name: "张三", CompanyID: co.ID, Tags: []string{"vip"}, Attributes: map[string]any{"tier": "gold"},
		Identities: []customer.IdentityParams{email("zhang@" + tag + ".example"), email("shared@example.com"), phone(phoneNo),
			{Kind: customer.ExternalID, System: "shopify", Value: tag + "-1"}, {Kind: customer.ExternalID, System: "shopify", Value: "SH-SHARED"}}})
	d := mustCreate(t, ctx, s, customer.CreateParams{Name: "Old Customer", Identities: []customer.IdentityParams{email("old@" + tag + ".example")}})
	require.NoError(t, s.Delete(ctx, d.ID))
	d, err = s.GetIncludingDeleted(ctx, d.ID)
	require.NoError(t, err)
	pu, err := s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 100, Currency: "CNY"}, OrderID: "o-1"})
	require.NoError(t, err)
	return tenant{ws: ws, company: co, person: p, deleted: d, email: p.Identities[0], purchase: pu}
}

func TestTenancyIsolation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		a := seedTenant(t, ctx, client, "ws-a", "a", "GB", "+44 20 7946 0958")
		_, err := a.ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeNumber})
		require.NoError(t, err)
		b := seedTenant(t, ctx, client, "ws-b", "b", "US", "+1 650 253 0000")
		require.Equal(t, "shared@example.com", b.person.Identities[1].Value, "the same email is allowed in two workspaces")
		require.Equal(t, "o-1", b.purchase.OrderID, "the same order id is allowed in two workspaces")

		before := dumpWorkspace(t, ctx, db, "ws-a")
		require.NotEmpty(t, before["crm_customers"])
		require.NotEmpty(t, before["crm_purchases"])
		aPerson, err := a.ws.Customers.Get(ctx, a.person.ID)
		require.NoError(t, err)
		aDefs, err := a.ws.Customers.Attributes(ctx)
		require.NoError(t, err)
		aSettings, err := a.ws.Settings(ctx)
		require.NoError(t, err)
		clock.Advance(time.Hour)

		bs := b.ws.Customers
		notFound := func(what string, err error) {
			t.Helper()
			require.True(t, errors.Is(err, crm.ErrNotFound), "%s: want ErrNotFound, got %v", what, err)
		}
		lookup := func(c *customer.Customer, err error) error { return err }

		// Reads of A's records from B.
		for _, id := range []crmtype.ID{a.company.ID, a.person.ID, a.deleted.ID} {
			_, err := bs.Get(ctx, id)
			notFound("Get", err)
			_, err = bs.GetIncludingDeleted(ctx, id)
			notFound("GetIncludingDeleted", err)
			_, err = bs.Purchases(ctx, id, customer.PurchaseListParams{Limit: 10})
			notFound("Purchases", err)
			_, err = bs.PurchaseStats(ctx, id)
			notFound("PurchaseStats", err)
		}
		notFound("ByEmail", lookup(bs.ByEmail(ctx, "zhang@a.example")))
		notFound("ByEmail deleted", lookup(bs.ByEmail(ctx, "old@a.example")))
		notFound("ByPhone", lookup(bs.ByPhone(ctx, "+44 20 7946 0958")))
		notFound("ByExternalID", lookup(bs.ByExternalID(ctx, "shopify", "a-1")))
		notFound("Lookup", lookup(bs.Lookup(ctx, customer.IdentityParams{Kind: customer.Email, Value: "Zhang <ZHANG@A.example>"})))
		for _, c := range []func() (*customer.Customer, error){
			func() (*customer.Customer, error) { return bs.ByEmail(ctx, "shared@example.com") },
			func() (*customer.Customer, error) { return bs.ByExternalID(ctx, "shopify", "SH-SHARED") },
		} {
			got, err := c()
			require.NoError(t, err)
			require.Equal(t, b.person.ID, got.ID, "a shared identity finds the own workspace's holder")
		}

		// Lists, counts and searches see only B's rows.
		bIDs := map[crmtype.ID]bool{b.company.ID: true, b.person.ID: true, b.deleted.ID: true}
		for _, f := range []customer.Filter{
			{}, {Deleted: customer.IncludeDeleted}, {Deleted: customer.OnlyDeleted}, {Tags: []string{"vip"}}, {NamePrefix: "张"},
			{EmailPrefix: "shared"}, {CompanyID: b.company.ID}, {Attributes: []customer.AttributeFilter{{Key: "tier", Value: "gold"}}},
		} {
			got := listAll(t, ctx, bs, customer.ListParams{Filter: f, Limit: 1})
			require.NotEmpty(t, got, "%+v", f)
			for _, c := range got {
				require.True(t, bIDs[c.ID], "B listed %s (%s)", c.Name, c.ID)
			}
			n, err := bs.Count(ctx, f)
			require.NoError(t, err)
			require.Equal(t, len(got), n)
		}
		got := listAll(t, ctx, bs, customer.ListParams{Filter: customer.Filter{CompanyID: a.company.ID}})
		require.Empty(t, got)
		n, err := bs.Count(ctx, customer.Filter{Deleted: customer.IncludeDeleted})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		for _, q := range []string{"张三", "ACME", "shared@example.com", "zhang", "old"} {
			hits, err := bs.Search(ctx, q, customer.SearchParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}})
			require.NoError(t, err)
			require.NotEmpty(t, hits, q)
			for _, h := range hits {
				require.True(t, bIDs[h.Customer.ID], "B found %s searching %q", h.Customer.Name, q)
			}
		}
		for _, q := range []string{"+44 20 7946 0958", "020 7946", "442079460958"} {
			hits, err := bs.Search(ctx, q, customer.SearchParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}})
			require.NoError(t, err)
			require.Empty(t, hits, q)
		}

		// Writes to A's records from B.
		_, err = bs.Update(ctx, a.person.ID, customer.UpdateParams{Version: a.person.Version, Name: customer.Ptr("Hijacked")})
		notFound("Update", err)
		_, err = bs.Update(ctx, a.company.ID, customer.UpdateParams{Version: a.company.Version, Name: customer.Ptr("Hijacked")})
		notFound("Update company", err)
		notFound("Delete", bs.Delete(ctx, a.person.ID))
		_, err = bs.Restore(ctx, a.deleted.ID)
		notFound("Restore", err)
		for _, id := range []crmtype.ID{a.deleted.ID, a.person.ID, a.company.ID} {
			notFound("Purge", bs.Purge(ctx, id))
		}
		_, err = bs.AddIdentity(ctx, a.person.ID, email("new@b.example"))
		notFound("AddIdentity", err)
		notFound("RemoveIdentity", bs.RemoveIdentity(ctx, a.person.ID, a.email.ID))
		notFound("RemoveIdentity via own customer", bs.RemoveIdentity(ctx, b.person.ID, a.email.ID))
		_, err = bs.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: a.person.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "USD"}, OrderID: "o-x"})
		notFound("RecordPurchase", err)
		_, err = bs.RecordPurchases(ctx, []customer.PurchaseParams{
			{CustomerID: b.person.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "USD"}, OrderID: "o-y"},
			{CustomerID: a.deleted.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "USD"}},
		})
		notFound("RecordPurchases", err)
		st, err := bs.PurchaseStats(ctx, b.person.ID)
		require.NoError(t, err)
		require.Equal(t, 1, st.Count, "the failed batch stored none of B's purchases either")
		notFound("RemoveAttribute", bs.RemoveAttribute(ctx, "score"))
		def, err := bs.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeString, Label: "B's score"})
		require.NoError(t, err, "A's attribute types do not constrain B")
		require.Equal(t, customer.TypeString, def.Type)
		require.NoError(t, bs.RemoveAttribute(ctx, "tier"))
		require.NoError(t, b.ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "JP"}))

		// B's people cannot belong to A's company.
		_, err = bs.Create(ctx, customer.CreateParams{Name: "Spy", CompanyID: a.company.ID})
		notFound("Create with A's company", err)
		bp, err := bs.Get(ctx, b.person.ID)
		require.NoError(t, err)
		_, err = bs.Update(ctx, b.person.ID, customer.UpdateParams{Version: bp.Version, CompanyID: &a.company.ID})
		notFound("Update to A's company", err)

		// B's own records still work, and A is byte-for-byte unchanged.
		_, err = bs.Update(ctx, b.person.ID, customer.UpdateParams{Version: bp.Version, Name: customer.Ptr("张三丰")})
		require.NoError(t, err)
		require.NoError(t, bs.Delete(ctx, b.person.ID))
		require.Equal(t, before, dumpWorkspace(t, ctx, db, "ws-a"))
		aAfter, err := a.ws.Customers.Get(ctx, a.person.ID)
		require.NoError(t, err)
		require.Equal(t, aPerson, aAfter)
		defs, err := a.ws.Customers.Attributes(ctx)
		require.NoError(t, err)
		require.Equal(t, aDefs, defs)
		settings, err := a.ws.Settings(ctx)
		require.NoError(t, err)
		require.Equal(t, aSettings, settings)
		require.Equal(t, "GB", settings.DefaultRegion)
		hits, err := a.ws.Customers.Search(ctx, "张三", customer.SearchParams{})
		require.NoError(t, err)
		require.Len(t, hits, 1)
		require.Equal(t, a.person.ID, hits[0].Customer.ID)
		bSettings, err := b.ws.Settings(ctx)
		require.NoError(t, err)
		require.Equal(t, "JP", bSettings.DefaultRegion)
	})
}

// queryCounter counts the statements a database runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestTenancyInvalidWorkspace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		good := seedTenant(t, ctx, client, "good", "g", "CN", "+86 138 0013 8000")
		counter := &queryCounter{}
		db.AddQueryHook(counter)

		id := good.person.ID
		money := crmtype.Money{Minor: 1, Currency: "USD"}
		methods := map[string]func(w *crm.Workspace) error{
			"Create": func(w *crm.Workspace) error {
				_, err := w.Customers.Create(ctx, customer.CreateParams{Name: "X"})
				return err
			},
			"CreateMany": func(w *crm.Workspace) error {
				_, err := w.Customers.CreateMany(ctx, []customer.CreateParams{{Name: "X"}})
				return err
			},
			"Get": func(w *crm.Workspace) error { _, err := w.Customers.Get(ctx, id); return err },
			"GetIncludingDeleted": func(w *crm.Workspace) error {
				_, err := w.Customers.GetIncludingDeleted(ctx, good.deleted.ID)
				return err
			},
			"Lookup": func(w *crm.Workspace) error {
				_, err := w.Customers.Lookup(ctx, email("shared@example.com"))
				return err
			},
			"ByEmail": func(w *crm.Workspace) error { _, err := w.Customers.ByEmail(ctx, "shared@example.com"); return err },
			"ByPhone": func(w *crm.Workspace) error { _, err := w.Customers.ByPhone(ctx, "138 0013 8000"); return err },
			"ByExternalID": func(w *crm.Workspace) error {
				_, err := w.Customers.ByExternalID(ctx, "shopify", "SH-SHARED")
				return err
			},
			"Update": func(w *crm.Workspace) error {
				_, err := w.Customers.Update(ctx, id, customer.UpdateParams{Version: good.person.Version, Name: customer.Ptr("Y")})
				return err
			},
			"Delete":  func(w *crm.Workspace) error { return w.Customers.Delete(ctx, id) },
			"Restore": func(w *crm.Workspace) error { _, err := w.Customers.Restore(ctx, good.deleted.ID); return err },
			"Purge":   func(w *crm.Workspace) error { return w.Customers.Purge(ctx, good.deleted.ID) },
			"List":    func(w *crm.Workspace) error { _, err := w.Customers.List(ctx, customer.ListParams{}); return err },
			"Count":   func(w *crm.Workspace) error { _, err := w.Customers.Count(ctx, customer.Filter{}); return err },
			"Search": func(w *crm.Workspace) error {
				_, err := w.Customers.Search(ctx, "张三", customer.SearchParams{})
				return err
			},
			"AddIdentity": func(w *crm.Workspace) error {
				_, err := w.Customers.AddIdentity(ctx, id, email("x@example.com"))
				return err
			},
			"RemoveIdentity": func(w *crm.Workspace) error { return w.Customers.RemoveIdentity(ctx, id, good.email.ID) },
			"RecordPurchase": func(w *crm.Workspace) error {
				_, err := w.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: id, OccurredAt: t0, Amount: money})
				return err
			},
			"RecordPurchases": func(w *crm.Workspace) error {
				_, err := w.Customers.RecordPurchases(ctx, []customer.PurchaseParams{{CustomerID: id, OccurredAt: t0, Amount: money}})
				return err
			},
			"Purchases": func(w *crm.Workspace) error {
				_, err := w.Customers.Purchases(ctx, id, customer.PurchaseListParams{Limit: 10})
				return err
			},
			"PurchaseStats": func(w *crm.Workspace) error { _, err := w.Customers.PurchaseStats(ctx, id); return err },
			"DefineAttribute": func(w *crm.Workspace) error {
				_, err := w.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "k", Type: customer.TypeBool})
				return err
			},
			"Attributes":      func(w *crm.Workspace) error { _, err := w.Customers.Attributes(ctx); return err },
			"RemoveAttribute": func(w *crm.Workspace) error { return w.Customers.RemoveAttribute(ctx, "tier") },
			"Settings":        func(w *crm.Workspace) error { _, err := w.Settings(ctx); return err },
			"UpdateSettings":  func(w *crm.Workspace) error { return w.UpdateSettings(ctx, crm.Settings{DefaultRegion: "US"}) },
		}
		before := dumpWorkspace(t, ctx, db, "good")
		bad := map[string]string{
			"empty":        "",
			"65 bytes":     strings.Repeat("w", 65),
			"66 bytes cjk": strings.Repeat("张", 22), // 22 characters, 66 bytes
			"NUL":          "good\x00",
			"newline":      "go\nod",
			"tab":          "\tgood",
			"DEL":          "good\x7f",
			"invalid utf8": "good\xff",
		}
		for name, wsID := range bad {
			w := client.Workspace(wsID)
			for method, call := range methods {
				counter.n.Store(0)
				err := call(w)
				require.True(t, errors.Is(err, crm.ErrNoWorkspace), "%s / %s: want ErrNoWorkspace, got %v", name, method, err)
				require.Zero(t, counter.n.Load(), "%s / %s touched the database", name, method)
			}
		}
		require.Equal(t, before, dumpWorkspace(t, ctx, db, "good"))

		// The longest valid id, 64 bytes, works for every method.
		long := client.Workspace(strings.Repeat("张", 21) + "w")
		require.Len(t, string(long.ID), 64)
		_, err := long.Customers.Create(ctx, customer.CreateParams{Name: "Long"})
		require.NoError(t, err)
		n, err := long.Customers.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// isForeignKeyViolation reports whether err is a foreign key violation on
// either database.
func isForeignKeyViolation(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		return st.SQLState() == "23503"
	}
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

func TestTenancyDatabaseRejectsCrossWorkspaceLinks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		a := seedTenant(t, ctx, client, "ws-a", "a", "GB", "+44 20 7946 0958")
		b := seedTenant(t, ctx, client, "ws-b", "b", "US", "+1 650 253 0000")
		beforeA := dumpWorkspace(t, ctx, db, "ws-a")
		beforeB := dumpWorkspace(t, ctx, db, "ws-b")

		insertIdentity := func(ws string, customerID crmtype.ID, value string) error {
			_, err := db.ExecContext(ctx, "INSERT INTO crm_identities (workspace_id, id, customer_id, kind, system, value, created_at) VALUES (?, ?, ?, 'email', '', ?, ?)",
				ws, crmtype.NewID(t0), customerID, value, t0)
			return err
		}
		err := insertIdentity("ws-b", a.person.ID, "cross@example.com")
		require.Error(t, err)
		require.True(t, isForeignKeyViolation(err), "%v", err)

		_, err = db.ExecContext(ctx, "INSERT INTO crm_purchases (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at) VALUES (?, ?, ?, ?, 1, 'USD', ?)",
			"ws-b", crmtype.NewID(t0), a.person.ID, t0, t0)
		require.True(t, isForeignKeyViolation(err), "%v", err)
		_, err = db.ExecContext(ctx, "INSERT INTO crm_customer_tags (workspace_id, customer_id, tag) VALUES (?, ?, 'x')", "ws-b", a.person.ID)
		require.True(t, isForeignKeyViolation(err), "%v", err)
		_, err = db.ExecContext(ctx, "UPDATE crm_customers SET company_id = ? WHERE workspace_id = ? AND id = ?", a.company.ID, "ws-b", b.person.ID)
		require.True(t, isForeignKeyViolation(err), "%v", err)
		require.Equal(t, beforeA, dumpWorkspace(t, ctx, db, "ws-a"))
		require.Equal(t, beforeB, dumpWorkspace(t, ctx, db, "ws-b"))

		// Control: the same row within one workspace is accepted, so the
		// failures above are the workspace check and nothing else.
		require.NoError(t, insertIdentity("ws-a", a.person.ID, "cross@example.com"))
		got, err := a.ws.Customers.ByEmail(ctx, "cross@example.com")
		require.NoError(t, err)
		require.Equal(t, a.person.ID, got.ID)
	})
}
