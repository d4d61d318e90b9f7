package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

// crmText reads the text of every column of every crm_ table, found by
// walking the schema (never a hand-written list), keyed "table.column". On
// SQLite it covers the FTS5 index's shadow tables, their BLOBs read as
// text; on PostgreSQL every column of the current schema is cast to text.
//
// It reads through db's *sql.DB, below bun's hooks, so that the tenancy
// guard does not object to reading every workspace at once.
func crmText(t *testing.T, ctx context.Context, db *bun.DB) map[string]string {
	t.Helper()
	raw := db.DB
	sqlite := db.Dialect().Name() == dialect.SQLite
	colsQuery := `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name LIKE 'crm\_%' ORDER BY table_name, ordinal_position`
	if sqlite {
		colsQuery = `SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p
WHERE m.type = 'table' AND m.name LIKE 'crm\_%' ESCAPE '\' ORDER BY m.name, p.cid`
	}
	rows, err := raw.QueryContext(ctx, colsQuery)
	require.NoError(t, err)
	var cols [][2]string
	tables := map[string]bool{}
	for rows.Next() {
		var c [2]string
		require.NoError(t, rows.Scan(&c[0], &c[1]))
		cols = append(cols, c)
		tables[c[0]] = true
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	// The walk finds the tables a hand-written list would forget.
	for _, want := range []string{"crm_customers", "crm_identities", "crm_events", "crm_event_consumers", "crm_purchases", "crm_customer_search"} {
		require.True(t, tables[want], "schema walk misses %s: %v", want, tables)
	}
	if sqlite {
		for _, want := range []string{"crm_customer_fts", "crm_customer_fts_data", "crm_customer_fts_idx", "crm_customer_fts_docsize"} {
			require.True(t, tables[want], "schema walk misses %s: %v", want, tables)
		}
	}
	out := map[string]string{}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT "%s"::text FROM "%s"`, c[1], c[0])
		if sqlite {
			q = fmt.Sprintf(`SELECT "%s" FROM "%s"`, c[1], c[0]) // BLOBs come back as []byte, read as text below
		}
		rows, err := raw.QueryContext(ctx, q)
		require.NoError(t, err, q)
		var b strings.Builder
		for rows.Next() {
			var v any
			require.NoError(t, rows.Scan(&v))
			switch x := v.(type) {
			case nil:
			case []byte:
				b.Write(x)
			case string:
				b.WriteString(x)
			default:
				fmt.Fprint(&b, x)
			}
			b.WriteByte('\n')
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		out[c[0]+"."+c[1]] = b.String()
	}
	return out
}

// whereFound returns, for each needle found (case-insensitively) in text,
// the columns holding it.
func whereFound(text map[string]string, needles []string) map[string][]string {
	found := map[string][]string{}
	for col, s := range text {
		s = strings.ToLower(s)
		for _, n := range needles {
			if strings.Contains(s, strings.ToLower(n)) {
				found[n] = append(found[n], col)
			}
		}
	}
	return found
}

// withoutIDs drops the dump lines that mention any of ids.
func withoutIDs(dump map[string][]string, ids ...crmtype.ID) (map[string][]string, int) {
	out := map[string][]string{}
	dropped := 0
	for table, lines := range dump {
		for _, l := range lines {
			keep := true
			for _, id := range ids {
				if strings.Contains(l, id.String()) {
					keep = false
				}
			}
			if keep {
				out[table] = append(out[table], l)
			} else {
				dropped++
			}
		}
	}
	return out, dropped
}

// privacySeed is a workspace with two people to erase (one Chinese name,
// one Latin) and one to keep, all in one company.
type privacySeed struct {
	ws               *crm.Workspace
	company          *customer.Customer
	zhang, marg, li  *customer.Customer
	zhangBuys        []*customer.Purchase
	zhangNeedles     []string // everything personal about 张三
	margNeedles      []string // ... and about Marguerite Okonkwo
	liNeedles        []string // ... and about 李四, who stays
	zhangIdentityIDs []crmtype.ID
}

func seedPrivacy(t *testing.T, ctx context.Context, client *crm.Client, clock *crmtype.ManualClock) privacySeed {
	t.Helper()
	ws := client.Workspace("acme")
	s := ws.Customers
	require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
	_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "nickname", Type: customer.TypeString})
	require.NoError(t, err)
	co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME Trading"})
	zhang := mustCreate(t, ctx, s, customer.CreateParams{Name: "张三", GivenName: "三", FamilyName: "张", CompanyID: co.ID,
		Address: customer.Address{Line1: "88 Huaihai Rd", City: "Shanghai", Country: "CN"}, Tags: []string{"vip"},
		Attributes: map[string]any{"nickname": "Little Zhang"},
		Identities: []customer.IdentityParams{email("Zhang San <ZHANG.San@Example.CN>"), phone("138 0013 8000"),
			{Kind: customer.ExternalID, System: "shopify", Value: "SH-ZS-77"}}})
	clock.Advance(time.Second)
	_, err = s.AddIdentity(ctx, zhang.ID, customer.IdentityParams{Kind: customer.Email, Value: "zhangsan.home@example.net", Label: "home"})
	require.NoError(t, err)
	zhang, err = s.Get(ctx, zhang.ID)
	require.NoError(t, err)
	zhang, err = s.Update(ctx, zhang.ID, customer.UpdateParams{Version: zhang.Version, Address: &customer.Address{Line1: "99 Huaihai Rd", City: "Shanghai", Country: "CN"}})
	require.NoError(t, err)
	marg := mustCreate(t, ctx, s, customer.CreateParams{Name: "Marguerite Okonkwo", GivenName: "Marguerite", FamilyName: "Okonkwo", CompanyID: co.ID,
		Identities: []customer.IdentityParams{email("m.okonkwo@example.org"), phone("+44 20 7946 0958")}})
	li := mustCreate(t, ctx, s, customer.CreateParams{Name: "李四", CompanyID: co.ID, Tags: []string{"vip"},
		Attributes: map[string]any{"nickname": "Old Li"},
		Identities: []customer.IdentityParams{email("li.si@example.cn"), phone("139 0013 9000")}})
	clock.Advance(time.Second)
	buys, err := s.RecordPurchases(ctx, []customer.PurchaseParams{
		{CustomerID: zhang.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 12800, Currency: "CNY"}, Quantity: 2, Channel: "store", OrderID: "ORD-1001", Description: "Gift for 张三's mother"},
		{CustomerID: zhang.ID, OccurredAt: t0.Add(time.Minute), Amount: crmtype.Money{Minor: 500, Currency: "CNY"}, Description: "Deliver to 88 Huaihai Rd"},
		{CustomerID: marg.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 999, Currency: "GBP"}, OrderID: "ORD-1002", Description: "Marguerite's order"},
		{CustomerID: li.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 300, Currency: "CNY"}, OrderID: "ORD-1003", Description: "Old Li's tea"},
	})
	require.NoError(t, err)
	return privacySeed{ws: ws, company: co, zhang: zhang, marg: marg, li: li, zhangBuys: buys[:2],
		zhangNeedles: []string{"张三", "Zhang San", "zhang.san@example.cn", "ZHANG.San@Example.CN", "zhangsan.home@example.net",
			"+8613800138000", "8613800138000", "13800138000", "138 0013 8000", "SH-ZS-77", "Little Zhang", "Huaihai"},
		margNeedles:      []string{"Marguerite", "Okonkwo", "m.okonkwo@example.org", "+442079460958", "442079460958", "2079460958", "20 7946 0958"},
		liNeedles:        []string{"李四", "li.si@example.cn", "+8613900139000", "139 0013 9000", "Old Li"},
		zhangIdentityIDs: namesOf(zhang.Identities, func(i customer.Identity) crmtype.ID { return i.ID }),
	}
}

func TestPrivacyExport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:42")
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		other := seedTenant(t, ctx, client, "other", "o", "GB", "+44 20 7946 0000")
		now := clock.Advance(time.Hour)

		bundle, err := p.ws.Privacy.Export(ctx, p.zhang.ID)
		require.NoError(t, err)
		require.Equal(t, p.zhang.ID, bundle.Customer)
		require.Equal(t, "acme", bundle.Workspace)
		require.Equal(t, now, bundle.ExportedAt)
		js, err := bundle.JSON()
		require.NoError(t, err)
		var decoded struct {
			Customer   crmtype.ID                  `json:"customer"`
			Workspace  string                      `json:"workspace"`
			ExportedAt time.Time                   `json:"exported_at"`
			Tables     map[string][]map[string]any `json:"tables"`
		}
		require.NoError(t, json.Unmarshal(js, &decoded))
		require.Equal(t, p.zhang.ID, decoded.Customer)
		require.True(t, now.Equal(decoded.ExportedAt))
		tbl := decoded.Tables
		require.Len(t, tbl["crm_customers"], 1)
		row := tbl["crm_customers"][0]
		require.Equal(t, "张三", row["name"])
		require.Equal(t, "三", row["given_name"])
		require.Equal(t, "张", row["family_name"])
		require.Equal(t, "99 Huaihai Rd", row["address_line1"])
		require.Equal(t, map[string]any{"nickname": "Little Zhang"}, row["attributes"], "JSON columns are exported as JSON")
		require.Len(t, tbl["crm_identities"], 4)
		require.ElementsMatch(t, []any{"zhang.san@example.cn", "+8613800138000", "SH-ZS-77", "zhangsan.home@example.net"},
			namesOf(tbl["crm_identities"], func(r map[string]any) any { return r["value"] }))
		require.ElementsMatch(t, []any{"vip"}, namesOf(tbl["crm_customer_tags"], func(r map[string]any) any { return r["tag"] }))
		require.Len(t, tbl["crm_purchases"], 2)
		require.ElementsMatch(t, []any{"Gift for 张三's mother", "Deliver to 88 Huaihai Rd"},
			namesOf(tbl["crm_purchases"], func(r map[string]any) any { return r["description"] }))
		require.Len(t, tbl["crm_customer_search"], 1)
		// Every event about the customer, with its changes as JSON.
		timeline := timelineAll(t, ctx, p.ws, p.zhang.ID, event.Query{Limit: crmtype.MaxPageSize})
		require.Len(t, timeline, 5) // created, identity added, updated, two purchases
		require.Len(t, tbl["crm_events"], 3, "the purchases are exported as crm_purchases rows")
		for _, e := range tbl["crm_events"] {
			require.IsType(t, []any{}, e["changes"])
			require.NotEmpty(t, e["changes"])
		}
		var logged []crmtype.Event
		for _, e := range timeline {
			if e.Type != customer.EventPurchaseRecorded {
				logged = append(logged, e)
			}
		}
		require.ElementsMatch(t, namesOf(logged, func(e crmtype.Event) any { return e.ID.String() }),
			namesOf(tbl["crm_events"], func(r map[string]any) any { return r["id"] }))
		for _, n := range []string{"张三", "zhang.san@example.cn", "zhangsan.home@example.net", "+8613800138000", "Little Zhang", "SH-ZS-77"} {
			require.Contains(t, string(js), n)
		}
		for _, n := range append(append([]string{}, p.liNeedles...), p.margNeedles...) {
			require.NotContains(t, string(js), n, "another customer's data")
		}
		require.NotContains(t, string(js), "zhang@o.example", "another workspace's data")

		// Unknown, other workspace's, or zero: not found.
		for _, id := range []crmtype.ID{crmtype.NewID(t0), other.person.ID, {}} {
			_, err := p.ws.Privacy.Export(ctx, id)
			require.ErrorIs(t, err, crm.ErrNotFound)
		}
		_, err = other.ws.Privacy.Export(ctx, p.zhang.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = client.Workspace("").Privacy.Export(ctx, p.zhang.ID)
		require.ErrorIs(t, err, crm.ErrNoWorkspace)

		// A soft-deleted customer is exported too.
		require.NoError(t, p.ws.Customers.Delete(ctx, p.li.ID))
		bundle, err = p.ws.Privacy.Export(ctx, p.li.ID)
		require.NoError(t, err)
		require.Len(t, bundle.Tables["crm_customers"], 1)
		require.Len(t, bundle.Tables["crm_identities"], 2)
	})
}

func TestPrivacyErase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "dpo")
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := p.ws.Customers
		erased := append(append([]string{}, p.zhangNeedles...), p.margNeedles...)

		// The walk sees every needle before the erasure: it reads what it
		// must.
		found := whereFound(crmText(t, ctx, db), append(append([]string{}, erased...), p.liNeedles...))
		for _, n := range append(append([]string{}, erased...), p.liNeedles...) {
			require.NotEmpty(t, found[n], "%q is nowhere before the erasure", n)
		}
		if db.Dialect().Name() == dialect.SQLite {
			require.Contains(t, found["Okonkwo"], "crm_customer_fts_data.block", "the FTS index holds the tokens: %v", found["Okonkwo"])
		}

		liBefore, err := s.Get(ctx, p.li.ID)
		require.NoError(t, err)
		coBefore, err := s.Get(ctx, p.company.ID)
		require.NoError(t, err)
		liTimeline := timelineAll(t, ctx, p.ws, p.li.ID, event.Query{})
		liBuys, err := s.Purchases(ctx, p.li.ID, customer.PurchaseListParams{})
		require.NoError(t, err)
		zhangTimeline := timelineAll(t, ctx, p.ws, p.zhang.ID, event.Query{})
		log := eventLog(t, ctx, db, "acme")
		dump := dumpWorkspace(t, ctx, db, "acme")
		dumpEv := dumpEventTables(t, ctx, db, "acme")

		now := clock.Advance(time.Hour)
		rep, err := p.ws.Privacy.Erase(ctx, p.zhang.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, p.zhang.ID, rep.Customer)
		require.Equal(t, now, rep.ErasedAt)
		requireCounts(t, map[string]int64{"crm_identities": 4, "crm_customer_tags": 1, "crm_customer_search": 1}, rep.Deleted)
		requireCounts(t, map[string]int64{"crm_customers": 1, "crm_purchases": 2, "crm_events": int64(len(ofCustomer(log, p.zhang.ID)))}, rep.Scrubbed)
		rep, err = p.ws.Privacy.Erase(ctx, p.marg.ID, privacy.EraseOptions{DeletePurchases: true})
		require.NoError(t, err)
		requireCounts(t, map[string]int64{"crm_identities": 2, "crm_customer_search": 1, "crm_purchases": 1}, rep.Deleted)
		requireCounts(t, map[string]int64{"crm_customers": 1, "crm_events": int64(len(ofCustomer(log, p.marg.ID)))}, rep.Scrubbed)

		// Nothing personal is left in any crm_ table.
		requireNowhere(t, ctx, db, erased)
		require.Len(t, whereFound(crmText(t, ctx, db), p.liNeedles), len(p.liNeedles), "李四 is kept")

		// The erased cannot be found, restored or changed.
		for _, id := range []crmtype.ID{p.zhang.ID, p.marg.ID} {
			_, err = s.Get(ctx, id)
			require.ErrorIs(t, err, crm.ErrNotFound)
			_, err = s.Restore(ctx, id)
			require.ErrorIs(t, err, crm.ErrNotFound)
			_, err = s.Update(ctx, id, customer.UpdateParams{Version: 1, Name: customer.Ptr("back")})
			require.ErrorIs(t, err, crm.ErrNotFound)
			_, err = s.AddIdentity(ctx, id, email("again@example.com"))
			require.ErrorIs(t, err, crm.ErrNotFound)
			gone, err := s.GetIncludingDeleted(ctx, id)
			require.NoError(t, err, "the emptied record stays for what must be kept")
			require.NotNil(t, gone.ErasedAt)
			require.Empty(t, gone.Name)
			require.Empty(t, gone.Identities)
			require.Empty(t, gone.Tags)
			require.Empty(t, gone.Attributes)
			require.True(t, gone.Address.IsZero())
		}
		for _, e := range []string{"zhang.san@example.cn", "zhangsan.home@example.net", "m.okonkwo@example.org"} {
			_, err = s.ByEmail(ctx, e)
			require.ErrorIs(t, err, crm.ErrNotFound, e)
		}
		for _, ph := range []string{"+8613800138000", "+442079460958"} {
			_, err = s.ByPhone(ctx, ph)
			require.ErrorIs(t, err, crm.ErrNotFound, ph)
		}
		_, err = s.ByExternalID(ctx, "shopify", "SH-ZS-77")
		require.ErrorIs(t, err, crm.ErrNotFound)
		for _, q := range []string{"张三", "张", "zhang", "13800138000", "Okonkwo", "Marguerite", "m.okonkwo"} {
			hits, err := s.Search(ctx, q, customer.SearchParams{Filter: customer.Filter{Deleted: customer.IncludeDeleted}})
			require.NoError(t, err)
			require.Empty(t, hits, q)
		}
		// The timeline keeps what happened and when, without the values.
		tl := timelineAll(t, ctx, p.ws, p.zhang.ID, event.Query{})
		require.Len(t, tl, len(zhangTimeline)+1)
		require.Equal(t, customer.EventCustomerErased, tl[0].Type)
		require.Equal(t, now, tl[0].Time)
		require.Equal(t, "dpo", tl[0].Actor)
		for i, e := range tl[1:] {
			was := zhangTimeline[i]
			require.Equal(t, was.ID, e.ID)
			require.Equal(t, was.Type, e.Type)
			require.Equal(t, was.Time, e.Time)
			require.Equal(t, was.Subject, e.Subject)
			require.Equal(t, was.Actor, e.Actor)
			require.NotEmpty(t, was.Changes)
			if e.Type == customer.EventPurchaseRecorded {
				// A kept purchase keeps its amounts, not its free text.
				require.NotEmpty(t, e.Changes)
				for _, c := range e.Changes {
					require.NotEqual(t, "description", c.Field)
				}
				continue
			}
			require.Empty(t, e.Changes)
		}
		for _, e := range auditAll(t, ctx, p.ws, event.AuditQuery{Subject: p.zhang.ID}) {
			require.Empty(t, e.Changes)
		}

		// Purchases are kept for the accounts, without the person in them;
		// or deleted when asked.
		buys, err := s.Purchases(ctx, p.zhang.ID, customer.PurchaseListParams{})
		require.NoError(t, err)
		require.Len(t, buys.Items, 2)
		for i, b := range reversed(buys.Items) {
			was := p.zhangBuys[i]
			require.Equal(t, was.ID, b.ID)
			require.Equal(t, was.Amount, b.Amount)
			require.Equal(t, was.OrderID, b.OrderID)
			require.Equal(t, was.OccurredAt, b.OccurredAt)
			require.Equal(t, was.Quantity, b.Quantity)
			require.NotEmpty(t, was.Description)
			require.Empty(t, b.Description)
		}
		st, err := s.PurchaseStats(ctx, p.zhang.ID)
		require.NoError(t, err)
		require.Equal(t, []crmtype.Money{{Minor: 13300, Currency: "CNY"}}, st.Totals)
		require.Zero(t, rowCount(t, ctx, db, "crm_purchases", "acme", p.marg.ID))
		require.Equal(t, 2, rowCount(t, ctx, db, "crm_purchases", "acme", p.zhang.ID))

		// 李四, in the same company, is untouched, as is the company.
		li, err := s.Get(ctx, p.li.ID)
		require.NoError(t, err)
		require.Equal(t, liBefore, li)
		co, err := s.Get(ctx, p.company.ID)
		require.NoError(t, err)
		require.Equal(t, coBefore, co)
		require.Equal(t, liTimeline, timelineAll(t, ctx, p.ws, p.li.ID, event.Query{}))
		buysNow, err := s.Purchases(ctx, p.li.ID, customer.PurchaseListParams{})
		require.NoError(t, err)
		require.Equal(t, liBuys, buysNow)
		found2, err := s.ByEmail(ctx, "li.si@example.cn")
		require.NoError(t, err)
		require.Equal(t, p.li.ID, found2.ID)
		hits, err := s.Search(ctx, "李四", customer.SearchParams{})
		require.NoError(t, err)
		require.Len(t, hits, 1)
		hits, err = s.Search(ctx, "ACME", customer.SearchParams{})
		require.NoError(t, err)
		require.ElementsMatch(t, []crmtype.ID{p.company.ID, p.li.ID}, namesOf(hits, func(h customer.SearchHit) crmtype.ID { return h.Customer.ID }))
		keep, dropped := withoutIDs(dump, p.zhang.ID, p.marg.ID)
		require.NotZero(t, dropped)
		keepNow, _ := withoutIDs(dumpWorkspace(t, ctx, db, "acme"), p.zhang.ID, p.marg.ID)
		require.Equal(t, keep, keepNow, "rows of other customers are byte for byte the same")
		keepEv, dropped := withoutIDs(dumpEv, p.zhang.ID, p.marg.ID)
		require.NotZero(t, dropped)
		keepEvNow, _ := withoutIDs(dumpEventTables(t, ctx, db, "acme"), p.zhang.ID, p.marg.ID)
		require.Equal(t, keepEv, keepEvNow)

		// Erasing again is harmless.
		dump = dumpWorkspace(t, ctx, db, "acme")
		rep, err = p.ws.Privacy.Erase(ctx, p.zhang.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		requireCounts(t, map[string]int64{}, rep.Deleted)
		require.Equal(t, int64(1), rep.Scrubbed["crm_customers"])
		requireNowhere(t, ctx, db, erased)
		keep, _ = withoutIDs(dump, p.zhang.ID)
		keepNow, _ = withoutIDs(dumpWorkspace(t, ctx, db, "acme"), p.zhang.ID)
		require.Equal(t, keep, keepNow)
		buys, err = s.Purchases(ctx, p.zhang.ID, customer.PurchaseListParams{})
		require.NoError(t, err)
		require.Len(t, buys.Items, 2)
		_, err = s.Restore(ctx, p.zhang.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		bundle, err := p.ws.Privacy.Export(ctx, p.zhang.ID)
		require.NoError(t, err, "an erased customer can still be exported: what is kept")
		js, err := bundle.JSON()
		require.NoError(t, err)
		for _, n := range erased {
			require.NotContains(t, strings.ToLower(string(js)), strings.ToLower(n))
		}
		require.Len(t, bundle.Tables["crm_purchases"], 2)

		// The identities are free again.
		again := mustCreate(t, ctx, s, customer.CreateParams{Name: "New", Identities: []customer.IdentityParams{phone("+8613800138000")}})
		_, err = s.AddIdentity(ctx, again.ID, email("m.okonkwo@example.org"))
		require.NoError(t, err)
		got, err := s.ByEmail(ctx, "m.okonkwo@example.org")
		require.NoError(t, err)
		require.Equal(t, again.ID, got.ID)
	})
}

// requireCounts asserts that report has want's counts, and zero for every
// table want does not name.
func requireCounts(t *testing.T, want, got map[string]int64) {
	t.Helper()
	for table, n := range want {
		require.Equal(t, n, got[table], "%s in %v", table, got)
	}
	for table, n := range got {
		if _, ok := want[table]; !ok {
			require.Zero(t, n, "%s in %v", table, got)
		}
	}
}

// requireNowhere asserts that no crm_ table holds any of needles.
func requireNowhere(t *testing.T, ctx context.Context, db *bun.DB, needles []string) {
	t.Helper()
	found := whereFound(crmText(t, ctx, db), needles)
	require.Empty(t, found, "personal data left after erasure")
}

// TestPrivacyPurgedLeavesNoTrace: a purged customer's personal data must
// not outlive it in the event log or the search index, where no
// data-subject request could reach it any more.
func TestPrivacyPurgedLeavesNoTrace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		p := seedPrivacy(t, ctx, client, clock)
		s := p.ws.Customers
		require.NoError(t, s.Purge(ctx, p.marg.ID))
		_, err := p.ws.Privacy.Erase(ctx, p.marg.ID, privacy.EraseOptions{DeletePurchases: true})
		if err != nil {
			require.ErrorIs(t, err, crm.ErrNotFound) // the purge itself must have scrubbed
		}
		requireNowhere(t, ctx, db, p.margNeedles)
		require.Len(t, whereFound(crmText(t, ctx, db), p.liNeedles), len(p.liNeedles), "李四 is kept")
	})
}
