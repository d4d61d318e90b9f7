package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/event"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
)

// ---- helpers shared by the event and privacy tests ----

// logRow is one row of crm_events as the tests read it, bypassing the
// event service.
type logRow struct {
	bun.BaseModel `bun:"table:crm_events,alias:e"`

	Seq         int64      `bun:"seq"`
	ID          crmtype.ID `bun:"id,type:uuid"`
	OccurredAt  time.Time  `bun:"occurred_at"`
	Type        string     `bun:"type"`
	SubjectType string     `bun:"subject_type"`
	SubjectID   crmtype.ID `bun:"subject_id,type:uuid"`
	SubjectKey  string     `bun:"subject_key"`
	CustomerID  crmtype.ID `bun:"customer_id,type:uuid"`
	Actor       string     `bun:"actor"`
	Changes     string     `bun:"changes"`
}

// eventLog reads workspace ws's whole event log from the table, oldest
// first: the ground truth the event service is checked against.
func eventLog(t *testing.T, ctx context.Context, db *bun.DB, ws string) []crmtype.Event {
	t.Helper()
	var rows []logRow
	require.NoError(t, db.NewSelect().Model(&rows).Where("e.workspace_id = ?", ws).OrderExpr("e.seq").Scan(ctx))
	out := make([]crmtype.Event, len(rows))
	for i, r := range rows {
		e := crmtype.Event{ID: r.ID, Workspace: crmtype.WorkspaceID(ws), Time: r.OccurredAt.UTC(), Type: r.Type,
			SubjectType: r.SubjectType, Subject: r.SubjectID, SubjectKey: r.SubjectKey, Customer: r.CustomerID, Actor: r.Actor}
		require.NoError(t, json.Unmarshal([]byte(r.Changes), &e.Changes), r.Changes)
		out[i] = e
	}
	return out
}

// dumpEventTables renders every row of workspace ws in crm_events and
// crm_event_consumers as text (dumpWorkspace's companion for the event
// tables, which it does not cover).
func dumpEventTables(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"crm_events", "crm_event_consumers"} {
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
				if bs, ok := v.([]byte); ok {
					v = string(bs)
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

// normChanges sorts changes by field and turns an empty list into nil, so
// that two lists compare by content.
func normChanges(cs []crmtype.Change) []crmtype.Change {
	if len(cs) == 0 {
		return nil
	}
	out := append([]crmtype.Change(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// requireEvents asserts that got are exactly want (IDs aside: each got has a
// fresh, distinct, non-zero ID).
func requireEvents(t *testing.T, want, got []crmtype.Event, msg string) {
	t.Helper()
	require.Len(t, got, len(want), "%s: %+v", msg, got)
	seen := map[crmtype.ID]bool{}
	for i := range got {
		g := got[i]
		require.False(t, g.ID.IsZero(), msg)
		require.False(t, seen[g.ID], "%s: duplicate event id", msg)
		seen[g.ID] = true
		g.ID = crmtype.ID{}
		g.Changes = normChanges(g.Changes)
		w := want[i]
		w.Changes = normChanges(w.Changes)
		require.Equal(t, w, g, "%s: event %d", msg, i)
	}
}

func eventIDs(evs []crmtype.Event) []crmtype.ID {
	return namesOf(evs, func(e crmtype.Event) crmtype.ID { return e.ID })
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// ofCustomer returns the events of log that concern customer id.
func ofCustomer(log []crmtype.Event, id crmtype.ID) []crmtype.Event {
	var out []crmtype.Event
	for _, e := range log {
		if e.Customer == id {
			out = append(out, e)
		}
	}
	return out
}

// wantTimeline is what customer id's timeline must show: its events in
// log, and its purchases (read through the service), newest first by time;
// on a tie the log's event first, purchases by descending ID. Purchase
// entries carry no actor here.
func wantTimeline(t *testing.T, ctx context.Context, ws *crm.Workspace, log []crmtype.Event, id crmtype.ID) []crmtype.Event {
	t.Helper()
	want := append([]crmtype.Event(nil), reversed(ofCustomer(log, id))...)
	for after := crmtype.Cursor(""); ; {
		page, err := ws.Customers.Purchases(ctx, id, customer.PurchaseListParams{Limit: crmtype.MaxPageSize, After: after})
		require.NoError(t, err)
		for _, pu := range page.Items {
			want = append(want, crmtype.Event{ID: pu.ID, Workspace: ws.ID, Time: pu.OccurredAt, Type: customer.EventPurchaseRecorded,
				SubjectType: customer.SubjectPurchase, Subject: pu.ID, Customer: id, Changes: customer.PurchaseChanges(pu)})
		}
		if after = page.Next; after == "" {
			break
		}
	}
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time)
		}
		ap, bp := a.Type == customer.EventPurchaseRecorded, b.Type == customer.EventPurchaseRecorded
		if ap != bp {
			return bp
		}
		return ap && a.ID.String() > b.ID.String()
	})
	return want
}

// timelineAll walks every page of a customer's timeline.
func timelineAll(t *testing.T, ctx context.Context, ws *crm.Workspace, id crmtype.ID, q event.Query) []crmtype.Event {
	t.Helper()
	var out []crmtype.Event
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "pagination does not end")
		page, err := ws.Events.Timeline(ctx, id, q)
		require.NoError(t, err)
		if q.Limit > 0 {
			require.LessOrEqual(t, len(page.Items), q.Limit)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		if q.Limit > 0 {
			require.Len(t, page.Items, q.Limit, "a page with a Next cursor is full")
		}
		q.After = page.Next
	}
}

// auditAll walks every page of an audit trail.
func auditAll(t *testing.T, ctx context.Context, ws *crm.Workspace, q event.AuditQuery) []crmtype.Event {
	t.Helper()
	var out []crmtype.Event
	for i := 0; ; i++ {
		require.Less(t, i, 10000, "pagination does not end")
		page, err := ws.Events.Audit(ctx, q)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
}

// outboxNext calls Next and, when want > 0 events are expected, waits a
// little for them: on PostgreSQL the outbox holds back events while any
// older transaction of the cluster (another test package's) is running.
func outboxNext(t *testing.T, ctx context.Context, ws *crm.Workspace, consumer string, limit, want int) event.Batch {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := ws.Events.Next(ctx, consumer, limit)
		require.NoError(t, err)
		if len(b.Events) > 0 || want == 0 || time.Now().After(deadline) {
			if want > 0 {
				require.Len(t, b.Events, want)
				require.NotEmpty(t, b.Cursor)
			} else {
				require.Empty(t, b.Events)
				require.Empty(t, b.Cursor)
			}
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func actorCtx(actor string) context.Context {
	ctx := context.Background()
	if actor != "" {
		ctx = crm.WithActor(ctx, actor)
	}
	return ctx
}

// ---- every write records exactly its events ----

func TestEventsEveryWrite(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Customers
		var (
			co, p       *customer.Customer
			many        []*customer.Customer
			extra       customer.Identity
			pu          *customer.Purchase
			pus         []*customer.Purchase
			versionNoop int64
		)
		chg := func(field string, before, after any) crmtype.Change {
			return crmtype.Change{Field: field, Before: before, After: after}
		}
		onCustomer := func(typ string, c crmtype.ID, changes ...crmtype.Change) crmtype.Event {
			return crmtype.Event{Type: typ, SubjectType: customer.SubjectCustomer, Subject: c, Customer: c, Changes: changes}
		}
		steps := []struct {
			name  string
			actor string
			// run does the write and returns the events it must append
			// (Workspace, Time and Actor are filled in by the loop).
			run func(ctx context.Context) []crmtype.Event
			// scrubbed names a customer whose earlier events lose their
			// changes (erasure); every other earlier event stays as it was.
			scrubbed func() crmtype.ID
		}{
			{name: "settings", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
				return []crmtype.Event{{Type: crmtype.EventWorkspaceSettingsUpdated, SubjectType: "workspace", SubjectKey: "acme",
					Changes: []crmtype.Change{chg("default_region", "", "CN")}}}
			}},
			{name: "settings unchanged", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "cn"}))
				return nil
			}},
			{name: "define attribute", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Label: "Tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventAttributeDefined, SubjectType: customer.SubjectAttribute, SubjectKey: "tier",
					Changes: []crmtype.Change{chg("label", nil, "Tier"), chg("options", nil, []any{"gold", "silver"}),
						chg("required", nil, false), chg("type", nil, "enum")}}}
			}},
			{name: "redefine attribute unchanged", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Label: "Tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
				require.NoError(t, err)
				return nil
			}},
			{name: "relabel attribute", actor: "user:7", run: func(ctx context.Context) []crmtype.Event {
				_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Label: "等级", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventAttributeDefined, SubjectType: customer.SubjectAttribute, SubjectKey: "tier",
					Changes: []crmtype.Change{chg("label", "Tier", "等级")}}}
			}},
			{name: "define second attribute", actor: "user:7", run: func(ctx context.Context) []crmtype.Event {
				_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeNumber, Required: false})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventAttributeDefined, SubjectType: customer.SubjectAttribute, SubjectKey: "score",
					Changes: []crmtype.Change{chg("label", nil, ""), chg("options", nil, []any{}), chg("required", nil, false), chg("type", nil, "number")}}}
			}},
			{name: "remove attribute", actor: "user:7", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, s.RemoveAttribute(ctx, "score"))
				return []crmtype.Event{{Type: customer.EventAttributeRemoved, SubjectType: customer.SubjectAttribute, SubjectKey: "score"}}
			}},
			{name: "create company", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				co = mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME"})
				return []crmtype.Event{onCustomer(customer.EventCustomerCreated, co.ID,
					chg("kind", nil, "company"), chg("name", nil, "ACME"), chg("stage", nil, "lead"))}
			}},
			{name: "create with every field", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				p = mustCreate(t, ctx, s, customer.CreateParams{Name: "张三", GivenName: "三", FamilyName: "张", CompanyID: co.ID,
					Address: customer.Address{Line1: "1 Nanjing Rd", Line2: "Apt 2", City: "Shanghai", Region: "SH", PostalCode: "200000", Country: "CN"},
					Locale:  "zh-CN", TimeZone: "Asia/Shanghai", Stage: customer.StageProspect, Source: "web", OwnerID: "user:9",
					Tags: []string{"vip", "beta"}, Attributes: map[string]any{"tier": "gold"},
					Identities: []customer.IdentityParams{email("Zhang San <ZHANG.San@Example.CN>"), phone("138 0013 8000")}})
				return []crmtype.Event{onCustomer(customer.EventCustomerCreated, p.ID,
					chg("address.city", nil, "Shanghai"), chg("address.country", nil, "CN"), chg("address.line1", nil, "1 Nanjing Rd"),
					chg("address.line2", nil, "Apt 2"), chg("address.postal_code", nil, "200000"), chg("address.region", nil, "SH"),
					chg("attributes.tier", nil, "gold"), chg("company_id", nil, co.ID.String()), chg("family_name", nil, "张"),
					chg("given_name", nil, "三"), chg("kind", nil, "person"), chg("locale", nil, "zh-CN"), chg("name", nil, "张三"),
					chg("owner_id", nil, "user:9"), chg("source", nil, "web"), chg("stage", nil, "prospect"),
					chg("tags", nil, []any{"beta", "vip"}), chg("time_zone", nil, "Asia/Shanghai"),
					chg("identities", nil, []any{
						map[string]any{"kind": "email", "value": "zhang.san@example.cn"},
						map[string]any{"kind": "phone", "value": "+8613800138000"},
					}))}
			}},
			{name: "create many", actor: "import:csv", run: func(ctx context.Context) []crmtype.Event {
				var err error
				many, err = s.CreateMany(ctx, []customer.CreateParams{
					{Name: "Ann"}, {Name: "Bob", Identities: []customer.IdentityParams{email("bob@example.com")}}, {Name: "Cy", Stage: customer.StageCustomer},
				})
				require.NoError(t, err)
				return []crmtype.Event{
					onCustomer(customer.EventCustomerCreated, many[0].ID, chg("kind", nil, "person"), chg("name", nil, "Ann"), chg("stage", nil, "lead")),
					onCustomer(customer.EventCustomerCreated, many[1].ID, chg("kind", nil, "person"), chg("name", nil, "Bob"), chg("stage", nil, "lead"),
						chg("identities", nil, []any{map[string]any{"kind": "email", "value": "bob@example.com"}})),
					onCustomer(customer.EventCustomerCreated, many[2].ID, chg("kind", nil, "person"), chg("name", nil, "Cy"), chg("stage", nil, "customer")),
				}
			}},
			{name: "update changed fields only", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				addr := p.Address
				addr.City = "Beijing"
				up, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, Name: customer.Ptr("张三丰"),
					Tags: &[]string{"vip"}, Attributes: map[string]any{"tier": "silver"}, Address: &addr,
					Locale: customer.Ptr("zh-CN"), TimeZone: customer.Ptr("Asia/Shanghai"), Source: customer.Ptr("web")})
				require.NoError(t, err)
				require.Equal(t, p.Version+1, up.Version)
				p = up
				return []crmtype.Event{onCustomer(customer.EventCustomerUpdated, p.ID,
					chg("address.city", "Shanghai", "Beijing"), chg("attributes.tier", "gold", "silver"),
					chg("name", "张三", "张三丰"), chg("tags", []any{"beta", "vip"}, []any{"vip"}))}
			}},
			{name: "update that changes nothing", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				versionNoop = p.Version
				up, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, Name: customer.Ptr("张三丰"),
					Tags: &[]string{"vip"}, Attributes: map[string]any{"tier": "silver"}, Stage: customer.Ptr(customer.StageProspect)})
				require.NoError(t, err)
				require.Equal(t, versionNoop, up.Version)
				got, err := s.Get(ctx, p.ID)
				require.NoError(t, err)
				require.Equal(t, versionNoop, got.Version)
				require.Equal(t, p.UpdatedAt, got.UpdatedAt)
				return nil
			}},
			{name: "update clearing fields", actor: "", run: func(ctx context.Context) []crmtype.Event {
				up, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, Source: customer.Ptr(""),
					Tags: &[]string{}, Attributes: map[string]any{"tier": nil}, CompanyID: &crmtype.ID{}})
				require.NoError(t, err)
				require.Equal(t, versionNoop+1, up.Version)
				p = up
				return []crmtype.Event{onCustomer(customer.EventCustomerUpdated, p.ID,
					chg("attributes.tier", "silver", nil), chg("company_id", co.ID.String(), nil),
					chg("source", "web", ""), chg("tags", []any{"vip"}, nil))}
			}},
			{name: "add identity", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				var err error
				extra, err = s.AddIdentity(ctx, p.ID, customer.IdentityParams{Kind: customer.ExternalID, System: "shopify", Value: "SH-1", Label: "main"})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventIdentityAdded, SubjectType: customer.SubjectIdentity, Subject: extra.ID, Customer: p.ID,
					Changes: []crmtype.Change{chg("kind", nil, "external"), chg("system", nil, "shopify"), chg("value", nil, "SH-1"), chg("label", nil, "main")}}}
			}},
			{name: "remove identity", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, s.RemoveIdentity(ctx, p.ID, extra.ID))
				return []crmtype.Event{{Type: customer.EventIdentityRemoved, SubjectType: customer.SubjectIdentity, Subject: extra.ID, Customer: p.ID,
					Changes: []crmtype.Change{chg("kind", "external", nil), chg("system", "shopify", nil), chg("value", "SH-1", nil), chg("label", "main", nil)}}}
			}},
			{name: "record purchase", actor: "shop", run: func(ctx context.Context) []crmtype.Event {
				var err error
				pu, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1999, Currency: "CNY"},
					Quantity: 2, Channel: "web", OrderID: "o-1", Description: "tea"})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventPurchasesRecorded, SubjectType: customer.SubjectPurchase,
					Changes: []crmtype.Change{chg(pu.ID.String(), nil, map[string]any{"customer_id": p.ID.String(),
						"occurred_at": "2026-11-25T09:00:00Z", "amount.minor": 1999.0, "amount.currency": "CNY", "quantity": 2.0,
						"channel": "web", "order_id": "o-1", "description": "tea"})}}}
			}},
			{name: "record purchases", actor: "shop", run: func(ctx context.Context) []crmtype.Event {
				var err error
				pus, err = s.RecordPurchases(ctx, []customer.PurchaseParams{
					{CustomerID: many[0].ID, OccurredAt: t0.Add(-time.Hour), Amount: crmtype.Money{Minor: 5, Currency: "EUR"}},
					{CustomerID: p.ID, OccurredAt: t0.Add(time.Minute), Amount: crmtype.Money{Minor: 100, Currency: "JPY"}, Quantity: 1},
				})
				require.NoError(t, err)
				return []crmtype.Event{{Type: customer.EventPurchasesRecorded, SubjectType: customer.SubjectPurchase,
					Changes: []crmtype.Change{
						chg(pus[0].ID.String(), nil, map[string]any{"customer_id": many[0].ID.String(), "occurred_at": "2026-11-25T08:00:00Z",
							"amount.minor": 5.0, "amount.currency": "EUR", "quantity": 0.0}),
						chg(pus[1].ID.String(), nil, map[string]any{"customer_id": p.ID.String(), "occurred_at": "2026-11-25T09:01:00Z",
							"amount.minor": 100.0, "amount.currency": "JPY", "quantity": 1.0}),
					}}}
			}},
			{name: "delete", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, s.Delete(ctx, p.ID))
				return []crmtype.Event{onCustomer(customer.EventCustomerDeleted, p.ID)}
			}},
			{name: "restore", actor: "user:42", run: func(ctx context.Context) []crmtype.Event {
				_, err := s.Restore(ctx, p.ID)
				require.NoError(t, err)
				return []crmtype.Event{onCustomer(customer.EventCustomerRestored, p.ID)}
			}},
			{name: "purge", actor: "user:1", run: func(ctx context.Context) []crmtype.Event {
				require.NoError(t, s.Purge(ctx, many[2].ID))
				return []crmtype.Event{onCustomer(customer.EventCustomerPurged, many[2].ID)}
			}, scrubbed: func() crmtype.ID { return many[2].ID }},
			{name: "erase", actor: "dpo", run: func(ctx context.Context) []crmtype.Event {
				_, err := ws.Privacy.Erase(ctx, many[1].ID, privacy.EraseOptions{})
				require.NoError(t, err)
				return []crmtype.Event{onCustomer(customer.EventCustomerErased, many[1].ID)}
			}, scrubbed: func() crmtype.ID { return many[1].ID }},
		}
		for _, st := range steps {
			now := clock.Advance(time.Second)
			ctx := actorCtx(st.actor)
			before := eventLog(t, ctx, db, "acme")
			want := st.run(ctx)
			for i := range want {
				want[i].Workspace, want[i].Time, want[i].Actor = "acme", now, st.actor
			}
			after := eventLog(t, ctx, db, "acme")
			require.Len(t, after, len(before)+len(want), st.name)
			if st.scrubbed != nil {
				id := st.scrubbed()
				n := 0
				for i := range before {
					if before[i].Customer == id {
						before[i].Changes, n = nil, n+1
					}
				}
				require.NotZero(t, n, st.name)
			}
			for i := range before {
				before[i].Changes = normChanges(before[i].Changes)
				after[i].Changes = normChanges(after[i].Changes)
			}
			require.Equal(t, before, after[:len(before)], "%s: earlier events changed", st.name)
			requireEvents(t, want, after[len(before):], st.name)
		}
		// The service's readers agree with the table: the timeline is the
		// customer's log newest first, the audit trail the subject's.
		log := eventLog(t, context.Background(), db, "acme")
		require.Equal(t, eventIDs(wantTimeline(t, context.Background(), ws, log, p.ID)), eventIDs(timelineAll(t, context.Background(), ws, p.ID, event.Query{Limit: 4})))
		trail := auditAll(t, context.Background(), ws, event.AuditQuery{SubjectKey: "tier", SubjectType: customer.SubjectAttribute})
		require.Equal(t, []string{"等级"}, namesOf(trail[0].Changes, func(c crmtype.Change) string { return c.After.(string) }))
		require.Len(t, trail, 2)
		require.Equal(t, "user:7", trail[0].Actor)
		require.Equal(t, "user:42", trail[1].Actor)
	})
}

// ---- failures and rollbacks record nothing ----

func TestEventsFailedWritesRecordNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:42")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Customers
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold"}})
		require.NoError(t, err)
		co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME"})
		p := mustCreate(t, ctx, s, customer.CreateParams{Name: "张三", CompanyID: co.ID, Identities: []customer.IdentityParams{email("zhang@example.cn"),
			{Kind: customer.ExternalID, System: "shop", Value: "Z-1"}}})
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "CNY"}, OrderID: "o-1"})
		require.NoError(t, err)
		clock.Advance(time.Second)
		errBoom := errors.New("boom")

		cases := []struct {
			name string
			is   error
			run  func() error
		}{
			{"create without a name", crm.ErrInvalid, func() error {
				_, err := s.Create(ctx, customer.CreateParams{Name: " "})
				return err
			}},
			{"create many with one bad", crm.ErrInvalid, func() error {
				_, err := s.CreateMany(ctx, []customer.CreateParams{{Name: "Good"}, {Name: "Bad", Locale: "!!"}})
				return err
			}},
			{"create with a taken external id", crm.ErrConflict, func() error {
				_, err := s.Create(ctx, customer.CreateParams{Name: "Li", Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "shop", Value: "Z-1"}}})
				return err
			}},
			{"create many with a taken external id last", crm.ErrConflict, func() error {
				_, err := s.CreateMany(ctx, []customer.CreateParams{{Name: "A"}, {Name: "B", Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "shop", Value: "Z-1"}}}})
				return err
			}},
			{"update with a stale version", crm.ErrConflict, func() error {
				_, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version + 1, Name: customer.Ptr("x")})
				return err
			}},
			{"update with a bad attribute", crm.ErrInvalid, func() error {
				_, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, Name: customer.Ptr("x"), Attributes: map[string]any{"tier": "bronze"}})
				return err
			}},
			{"update to a missing company", crm.ErrNotFound, func() error {
				_, err := s.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, CompanyID: customer.Ptr(crmtype.NewID(t0))})
				return err
			}},
			{"delete unknown", crm.ErrNotFound, func() error { return s.Delete(ctx, crmtype.NewID(t0)) }},
			{"restore live", crm.ErrNotFound, func() error { _, err := s.Restore(ctx, p.ID); return err }},
			{"purge company with people", crm.ErrConflict, func() error { return s.Purge(ctx, co.ID) }},
			{"add a taken external id", crm.ErrConflict, func() error {
				_, err := s.AddIdentity(ctx, co.ID, customer.IdentityParams{Kind: customer.ExternalID, System: "shop", Value: "Z-1"})
				return err
			}},
			{"add an identity held already", crm.ErrConflict, func() error {
				_, err := s.AddIdentity(ctx, p.ID, email("ZHANG@example.cn"))
				return err
			}},
			{"remove an identity not held", crm.ErrNotFound, func() error { return s.RemoveIdentity(ctx, co.ID, p.Identities[0].ID) }},
			{"purchases with a recorded order last", crm.ErrConflict, func() error {
				_, err := s.RecordPurchases(ctx, []customer.PurchaseParams{
					{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "CNY"}, OrderID: "o-2"},
					{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "CNY"}, OrderID: "o-1"},
				})
				return err
			}},
			{"purchase with a bad currency", crm.ErrInvalid, func() error {
				_, err := s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: p.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "XXY"}})
				return err
			}},
			{"attribute type change", crm.ErrConflict, func() error {
				_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeString})
				return err
			}},
			{"remove unknown attribute", crm.ErrNotFound, func() error { return s.RemoveAttribute(ctx, "nope") }},
			{"settings with a bad region", crm.ErrInvalid, func() error { return ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "XX"}) }},
			{"erase unknown", crm.ErrNotFound, func() error {
				_, err := ws.Privacy.Erase(ctx, crmtype.NewID(t0), privacy.EraseOptions{})
				return err
			}},
			{"erase in another workspace", crm.ErrNotFound, func() error {
				_, err := client.Workspace("other").Privacy.Erase(ctx, p.ID, privacy.EraseOptions{})
				return err
			}},
			{"rolled-back transaction", errBoom, func() error {
				return client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
					tws := tx.Workspace("acme")
					c := mustCreate(t, ctx, tws.Customers, customer.CreateParams{Name: "Rolled", Identities: []customer.IdentityParams{email("rolled@example.com")}})
					_, err := tws.Customers.Update(ctx, p.ID, customer.UpdateParams{Version: p.Version, Name: customer.Ptr("张三丰")})
					require.NoError(t, err)
					_, err = tws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1, Currency: "CNY"}})
					require.NoError(t, err)
					require.NoError(t, tws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "US"}))
					_, err = tws.Privacy.Erase(ctx, p.ID, privacy.EraseOptions{})
					require.NoError(t, err)
					// Inside the transaction the events are there.
					page, err := tws.Events.Timeline(ctx, p.ID, event.Query{})
					require.NoError(t, err)
					require.Equal(t, customer.EventCustomerErased, page.Items[0].Type)
					return errBoom
				})
			}},
		}
		before := eventLog(t, ctx, db, "acme")
		require.Len(t, before, 5)
		dump := dumpWorkspace(t, ctx, db, "acme")
		for _, c := range cases {
			err := c.run()
			require.ErrorIs(t, err, c.is, c.name)
			require.Equal(t, before, eventLog(t, ctx, db, "acme"), c.name)
		}
		require.Equal(t, dump, dumpWorkspace(t, ctx, db, "acme"))
		require.Empty(t, eventLog(t, ctx, db, "other"))

		// A savepoint that rolls back takes its events with it; the outer
		// transaction's events are kept.
		var outer, inner crmtype.ID
		require.NoError(t, client.RunInTx(ctx, func(ctx context.Context, tx *crm.Client) error {
			outer = mustCreate(t, ctx, tx.Workspace("acme").Customers, customer.CreateParams{Name: "Outer"}).ID
			err := tx.RunInTx(ctx, func(ctx context.Context, tx2 *crm.Client) error {
				inner = mustCreate(t, ctx, tx2.Workspace("acme").Customers, customer.CreateParams{Name: "Inner"}).ID
				return errBoom
			})
			require.ErrorIs(t, err, errBoom)
			return nil
		}))
		after := eventLog(t, ctx, db, "acme")
		require.Len(t, after, len(before)+1)
		require.Equal(t, outer, after[len(before)].Customer)
		require.Empty(t, ofCustomer(after, inner))
	})
}

// ---- timeline and audit ----

func TestEventsTimelineAndAudit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:42")
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Customers
		c := mustCreate(t, ctx, s, customer.CreateParams{Name: "张三"})
		other := mustCreate(t, ctx, s, customer.CreateParams{Name: "李四"})
		clock.Advance(time.Minute)
		// Purchases occurred every 10 s from t0, so that they interleave
		// with the updates made every minute from t0+2m.
		ps := make([]customer.PurchaseParams, 100)
		for i := range ps {
			ps[i] = customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0.Add(time.Duration(i) * 10 * time.Second), Amount: crmtype.Money{Minor: int64(i), Currency: "CNY"}}
		}
		pus, err := s.RecordPurchases(ctx, ps)
		require.NoError(t, err)
		var updateTimes []time.Time
		for i := 0; i < 19; i++ {
			now := clock.Advance(time.Minute)
			updateTimes = append(updateTimes, now)
			actor := "user:42"
			if i%2 == 0 {
				actor = "user:7"
			}
			actx := crm.WithActor(context.Background(), actor)
			up, err := s.Update(actx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr(fmt.Sprintf("张三 %d", i))})
			require.NoError(t, err)
			c = up
			up, err = s.Update(actx, other.ID, customer.UpdateParams{Version: other.Version, Name: customer.Ptr(fmt.Sprintf("李四 %d", i))})
			require.NoError(t, err)
			other = up
		}
		log := eventLog(t, ctx, db, "acme")
		mine := ofCustomer(log, c.ID)
		require.Len(t, mine, 20, "the customer's own changes; its purchases are one batch event without a customer")
		want := wantTimeline(t, ctx, ws, log, c.ID)
		for i := range want {
			if want[i].Type == customer.EventPurchaseRecorded {
				want[i].Actor = "user:42"
			}
		}
		filter := func(q event.Query) []crmtype.ID {
			var out []crmtype.ID
			for _, e := range want {
				if (len(q.Types) == 0 || slices.Contains(q.Types, e.Type)) && (q.From.IsZero() || !e.Time.Before(q.From)) && (q.To.IsZero() || e.Time.Before(q.To)) {
					out = append(out, e.ID)
				}
			}
			return out
		}

		// Keyset paging sees every entry exactly once, newest first, at
		// every page size.
		for _, limit := range []int{1, 7, 50} {
			got := timelineAll(t, ctx, ws, c.ID, event.Query{Limit: limit})
			require.Equal(t, eventIDs(want), eventIDs(got), "limit %d", limit)
			for i := range got {
				require.Equal(t, c.ID, got[i].Customer)
				if i > 0 {
					require.False(t, got[i].Time.After(got[i-1].Time), "newest first")
				}
			}
		}
		got := timelineAll(t, ctx, ws, c.ID, event.Query{Limit: 7})
		for i := range got {
			w := want[i]
			w.Changes, got[i].Changes = normChanges(w.Changes), normChanges(got[i].Changes)
			require.Equal(t, w, got[i])
		}
		page, err := ws.Events.Timeline(ctx, c.ID, event.Query{})
		require.NoError(t, err)
		require.Len(t, page.Items, crmtype.DefaultPageSize)
		require.NotEmpty(t, page.Next)
		page, err = ws.Events.Timeline(ctx, c.ID, event.Query{Limit: crmtype.MaxPageSize})
		require.NoError(t, err)
		require.Len(t, page.Items, 120)
		require.Empty(t, page.Next)

		// Filters.
		upd := timelineAll(t, ctx, ws, c.ID, event.Query{Types: []string{customer.EventCustomerUpdated}, Limit: 5})
		require.Len(t, upd, 19)
		require.Equal(t, fmt.Sprintf("张三 %d", 18), upd[0].Changes[0].After)
		for _, e := range upd {
			require.Equal(t, customer.EventCustomerUpdated, e.Type)
		}
		two := timelineAll(t, ctx, ws, c.ID, event.Query{Types: []string{customer.EventCustomerCreated, customer.EventCustomerUpdated}})
		require.Len(t, two, 20)
		require.Equal(t, customer.EventCustomerCreated, two[19].Type)
		buys := timelineAll(t, ctx, ws, c.ID, event.Query{Types: []string{customer.EventPurchaseRecorded}, Limit: 30})
		require.Len(t, buys, 100)
		require.ElementsMatch(t, custPurchaseIDs(pus), namesOf(buys, func(e crmtype.Event) crmtype.ID { return e.Subject }))
		for _, q := range []event.Query{
			{From: updateTimes[5], To: updateTimes[10]},
			{From: updateTimes[15], Limit: 2},
			{To: updateTimes[0], Limit: 40},
			{From: t0.Add(5 * time.Minute), To: t0.Add(10 * time.Minute), Limit: 3},
			{Types: []string{customer.EventCustomerUpdated}, From: updateTimes[3], To: updateTimes[6], Limit: 1},
			{Types: []string{customer.EventPurchaseRecorded, customer.EventCustomerCreated}, To: t0.Add(time.Minute), Limit: 2},
		} {
			require.Equal(t, filter(q), eventIDs(timelineAll(t, ctx, ws, c.ID, q)), "%+v", q)
		}
		// A cursor pages the query it came from: with other filters it is refused.
		first, err := ws.Events.Timeline(ctx, c.ID, event.Query{Limit: 5})
		require.NoError(t, err)
		_, err = ws.Events.Timeline(ctx, c.ID, event.Query{Limit: 5, After: first.Next, Types: []string{customer.EventCustomerUpdated}})
		require.ErrorIs(t, err, crm.ErrInvalid)
		_, err = ws.Events.Timeline(ctx, c.ID, event.Query{Limit: 5, After: first.Next, From: t0})
		require.ErrorIs(t, err, crm.ErrInvalid)
		none := timelineAll(t, ctx, ws, c.ID, event.Query{From: updateTimes[18].Add(time.Second)})
		require.Empty(t, none)
		page, err = ws.Events.Timeline(ctx, crmtype.NewID(t0), event.Query{})
		require.NoError(t, err, "an unknown customer has an empty timeline")
		require.Empty(t, page.Items)

		// Audit: by subject, by key and type, by actor.
		trail := auditAll(t, ctx, ws, event.AuditQuery{Subject: c.ID, Query: event.Query{Limit: 3}})
		var custEvents []crmtype.Event
		for _, e := range mine {
			if e.Subject == c.ID {
				custEvents = append(custEvents, e)
			}
		}
		require.Len(t, custEvents, 20)
		require.Equal(t, eventIDs(reversed(custEvents)), eventIDs(trail))
		for i, e := range trail[:19] {
			require.Equal(t, []crmtype.Change{{Field: "name", Before: prevName(18 - i), After: fmt.Sprintf("张三 %d", 18-i)}}, e.Changes)
		}
		by7 := auditAll(t, ctx, ws, event.AuditQuery{Subject: c.ID, Actor: "user:7"})
		require.Len(t, by7, 10)
		by42 := auditAll(t, ctx, ws, event.AuditQuery{Subject: c.ID, Actor: "user:42", Query: event.Query{Types: []string{customer.EventCustomerUpdated}}})
		require.Len(t, by42, 9)
		for _, e := range by7 {
			require.Equal(t, "user:7", e.Actor)
		}
		for _, e := range by42 {
			require.Equal(t, "user:42", e.Actor)
		}
		typed := auditAll(t, ctx, ws, event.AuditQuery{Subject: c.ID, SubjectType: customer.SubjectCustomer, Query: event.Query{From: updateTimes[17]}})
		require.Len(t, typed, 2)
		wrongType := auditAll(t, ctx, ws, event.AuditQuery{Subject: c.ID, SubjectType: customer.SubjectIdentity})
		require.Empty(t, wrongType)
		one := auditAll(t, ctx, ws, event.AuditQuery{Subject: pus[42].ID})
		require.Len(t, one, 1)
		require.Equal(t, customer.EventPurchaseRecorded, one[0].Type)
		require.Equal(t, c.ID, one[0].Customer)
		require.Equal(t, "user:42", one[0].Actor)
		require.Empty(t, auditAll(t, ctx, ws, event.AuditQuery{Subject: pus[42].ID, Actor: "user:7"}))
		require.Empty(t, auditAll(t, ctx, ws, event.AuditQuery{Subject: pus[42].ID, SubjectType: customer.SubjectCustomer}))
		require.Contains(t, one[0].Changes, crmtype.Change{Field: "amount.minor", After: 42.0})

		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeString})
		require.NoError(t, err)
		clock.Advance(time.Second)
		_, err = s.DefineAttribute(crm.WithActor(ctx, "user:7"), customer.AttributeDef{Key: "tier", Label: "Tier", Type: customer.TypeString})
		require.NoError(t, err)
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		attr := auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "tier", SubjectType: customer.SubjectAttribute})
		require.Len(t, attr, 2)
		require.Equal(t, []crmtype.Change{{Field: "label", Before: "", After: "Tier"}}, attr[0].Changes)
		require.Equal(t, "user:7", attr[0].Actor)
		attr7 := auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "tier", SubjectType: customer.SubjectAttribute, Actor: "user:7"})
		require.Len(t, attr7, 1)
		settings := auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "acme", SubjectType: "workspace"})
		require.Len(t, settings, 1)
		require.Equal(t, crmtype.EventWorkspaceSettingsUpdated, settings[0].Type)
		require.Empty(t, auditAll(t, ctx, ws, event.AuditQuery{SubjectKey: "tier", SubjectType: "workspace"}))
	})
}

func prevName(i int) string {
	if i == 0 {
		return "张三"
	}
	return fmt.Sprintf("张三 %d", i-1)
}

func custPurchaseIDs(ps []*customer.Purchase) []crmtype.ID {
	return namesOf(ps, func(p *customer.Purchase) crmtype.ID { return p.ID })
}

// ---- bad input ----

// forgedCursor is store/event.go's outboxCursor, spelled out to forge
// cursors the outbox never handed out.
type forgedCursor struct {
	Workspace string `json:"w"`
	Consumer  string `json:"c"`
	Token     string `json:"k"`
	Txn       int64  `json:"t"`
	Seq       int64  `json:"s"`
}

// consumerRows reads workspace ws's consumer rows as text.
func consumerRows(t *testing.T, ctx context.Context, db *bun.DB, ws string) []string {
	t.Helper()
	return dumpEventTables(t, ctx, db, ws)["crm_event_consumers"]
}

func TestEventsBadInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		otherWS := client.Workspace("other")
		c := mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "A"})
		mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "B"})
		mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "C"})
		mustCreate(t, ctx, otherWS.Customers, customer.CreateParams{Name: "X"})
		log := eventLog(t, ctx, db, "acme")
		require.Len(t, log, 3)

		// Readers.
		for _, tc := range []struct {
			name  string
			field string
			q     event.Query
		}{
			{"unknown type", "types[0]", event.Query{Types: []string{"customer.exploded"}}},
			{"second type unknown", "types[1]", event.Query{Types: []string{customer.EventCustomerCreated, "Customer.Created"}}},
			{"empty type", "types[0]", event.Query{Types: []string{""}}},
			{"cursor not base64", "cursor", event.Query{After: "%%%"}},
			{"cursor not json", "cursor", event.Query{After: crmtype.Cursor("bm90IGpzb24")}},
			{"cursor of the wrong shape", "cursor", event.Query{After: crmtype.EncodeCursor("seq")}},
			{"limit over max", "limit", event.Query{Limit: crmtype.MaxPageSize + 1}},
			{"negative limit", "limit", event.Query{Limit: -1}},
			{"to before from", "to", event.Query{From: t0, To: t0.Add(-time.Second)}},
			{"to equals from", "to", event.Query{From: t0, To: t0}},
		} {
			_, err := ws.Events.Timeline(ctx, c.ID, tc.q)
			requireInvalid(t, err, tc.field)
			_, err = ws.Events.Audit(ctx, event.AuditQuery{Subject: c.ID, Query: tc.q})
			requireInvalid(t, err, tc.field)
		}
		_, err := ws.Events.Timeline(ctx, crmtype.ID{}, event.Query{})
		requireInvalid(t, err, "customer")
		_, err = ws.Events.Audit(ctx, event.AuditQuery{})
		requireInvalid(t, err, "subject")
		_, err = ws.Events.Audit(ctx, event.AuditQuery{Actor: "user:1"})
		requireInvalid(t, err, "subject")
		_, err = ws.Events.Audit(ctx, event.AuditQuery{Subject: c.ID, SubjectKey: "tier", SubjectType: "attribute"})
		requireInvalid(t, err, "subject_key")
		_, err = ws.Events.Audit(ctx, event.AuditQuery{SubjectKey: "tier"})
		requireInvalid(t, err, "subject_type")
		_, err = ws.Events.Prune(ctx, time.Time{})
		requireInvalid(t, err, "before")
		_, err = client.Workspace("").Events.Timeline(ctx, c.ID, event.Query{})
		require.ErrorIs(t, err, crm.ErrNoWorkspace)
		_, err = client.Workspace("").Events.Next(ctx, "hooks", 1)
		require.ErrorIs(t, err, crm.ErrNoWorkspace)

		// The outbox: one batch out, then every bad call changes nothing.
		b1 := outboxNext(t, ctx, ws, "hooks", 2, 2)
		require.Equal(t, eventIDs(log[:2]), eventIDs(b1.Events))
		bOther := outboxNext(t, ctx, otherWS, "hooks", 10, 1)
		bAudit := outboxNext(t, ctx, ws, "audit", 1, 1)
		consumers := consumerRows(t, ctx, db, "acme")
		require.Len(t, consumers, 2)
		logBefore := eventLog(t, ctx, db, "acme")

		for _, name := range []string{"", " hooks", "hooks ", "ho\x00oks", "hooks\n", "ho\x7fks", "\xff\xfe", strings.Repeat("a", 101)} {
			_, err := ws.Events.Next(ctx, name, 10)
			requireInvalid(t, err, "consumer")
			requireInvalid(t, ws.Events.Ack(ctx, name, b1.Cursor), "consumer")
		}
		_, err = ws.Events.Next(ctx, "hooks", crmtype.MaxPageSize+1)
		requireInvalid(t, err, "limit")
		_, err = ws.Events.Next(ctx, "fresh", -1)
		requireInvalid(t, err, "limit")

		var real forgedCursor
		require.NoError(t, crmtype.DecodeCursor(b1.Cursor, &real))
		require.Equal(t, "acme", real.Workspace)
		require.Equal(t, "hooks", real.Consumer)
		forge := func(f func(c *forgedCursor)) crmtype.Cursor {
			c := real
			f(&c)
			return crmtype.EncodeCursor(c)
		}
		for _, tc := range []struct {
			name   string
			cursor crmtype.Cursor
		}{
			{"empty", ""},
			{"not base64", "%%%"},
			{"not json", crmtype.Cursor("bm90IGpzb24")},
			{"a timeline cursor", crmtype.EncodeCursor(struct {
				S int64 `json:"s"`
			}{S: 1})},
			{"another workspace's batch", bOther.Cursor},
			{"another consumer's batch", bAudit.Cursor},
			{"edited workspace", forge(func(c *forgedCursor) { c.Workspace = "other" })},
			{"edited consumer", forge(func(c *forgedCursor) { c.Consumer = "audit" })},
			{"no token", forge(func(c *forgedCursor) { c.Token = "" })},
			{"the lease's token, ending further on", forge(func(c *forgedCursor) { c.Seq += 1000 })},
			{"the lease's token, ending earlier", forge(func(c *forgedCursor) { c.Seq-- })},
		} {
			err := ws.Events.Ack(ctx, "hooks", tc.cursor)
			requireInvalid(t, err, "cursor")
			require.Equal(t, consumers, consumerRows(t, ctx, db, "acme"), tc.name)
		}
		require.Equal(t, logBefore, eventLog(t, ctx, db, "acme"))
		require.Equal(t, consumers, consumerRows(t, ctx, db, "acme"))

		// The consumer is where it was: its batch is still leased, and
		// acknowledging it moves on to the third event.
		outboxNext(t, ctx, ws, "hooks", 10, 0)
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b1.Cursor))
		b2 := outboxNext(t, ctx, ws, "hooks", 10, 1)
		require.Equal(t, log[2].ID, b2.Events[0].ID)
	})
}

// TestEventsAckForgedToken: a cursor with a token the outbox never issued
// is bad input, whatever position it claims.
func TestEventsAckForgedToken(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		for _, n := range []string{"A", "B", "C"} {
			mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: n})
		}
		log := eventLog(t, ctx, db, "acme")
		forged := crmtype.EncodeCursor(forgedCursor{Workspace: "acme", Consumer: "hooks", Token: "00112233445566778899aabb", Seq: 1 << 40, Txn: 1 << 40})
		// No lease out yet; a cursor at the very start claims nothing but
		// was never delivered either.
		requireInvalid(t, ws.Events.Ack(ctx, "hooks", forged), "cursor")
		requireInvalid(t, ws.Events.Ack(ctx, "hooks", crmtype.EncodeCursor(forgedCursor{Workspace: "acme", Consumer: "hooks", Token: "made-up"})), "cursor")
		require.Empty(t, consumerRows(t, ctx, db, "acme"), "a rejected Ack creates no consumer")
		b := outboxNext(t, ctx, ws, "hooks", 1, 1)
		consumers := consumerRows(t, ctx, db, "acme")
		// A lease out.
		requireInvalid(t, ws.Events.Ack(ctx, "hooks", forged), "cursor")
		require.Equal(t, consumers, consumerRows(t, ctx, db, "acme"))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b.Cursor))
		b = outboxNext(t, ctx, ws, "hooks", 10, 2)
		require.Equal(t, eventIDs(log[1:]), eventIDs(b.Events))
	})
}

// ---- the outbox ----

func TestEventsOutbox(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := crmtype.NewManualClock(t0)
		client, err := crm.New(db, &crm.Config{Clock: clock, OutboxLease: time.Minute})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		for i := 0; i < 5; i++ {
			clock.Advance(time.Second)
			mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: fmt.Sprintf("C%d", i)})
		}
		log := eventLog(t, ctx, db, "acme")
		require.Len(t, log, 5)

		// Oldest first; another worker gets nothing while the batch is out.
		b1 := outboxNext(t, ctx, ws, "hooks", 2, 2)
		require.Equal(t, log[:2], b1.Events)
		outboxNext(t, ctx, ws, "hooks", 2, 0)
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b1.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b1.Cursor), "acknowledging twice is harmless")

		// A worker takes the next batch and crashes: nobody gets it until
		// the lease ends, then it comes again.
		crashed := outboxNext(t, ctx, ws, "hooks", 2, 2)
		require.Equal(t, eventIDs(log[2:4]), eventIDs(crashed.Events))
		clock.Advance(59 * time.Second)
		outboxNext(t, ctx, ws, "hooks", 2, 0)
		clock.Advance(2 * time.Second)
		again := outboxNext(t, ctx, ws, "hooks", 2, 2)
		require.Equal(t, crashed.Events, again.Events)
		require.NotEqual(t, crashed.Cursor, again.Cursor)
		// The crashed worker wakes up: its lease is gone.
		requireConflict(t, ws.Events.Ack(ctx, "hooks", crashed.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", again.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", again.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", crashed.Cursor), "its events were acknowledged since")
		require.NoError(t, ws.Events.Ack(ctx, "hooks", b1.Cursor), "an old cursor is harmless")

		// A lease re-given with a smaller batch: the stale, longer cursor is
		// a conflict, not a skip.
		clock.Advance(time.Second)
		mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "C5"})
		log = eventLog(t, ctx, db, "acme")
		long := outboxNext(t, ctx, ws, "hooks", 10, 2)
		require.Equal(t, eventIDs(log[4:]), eventIDs(long.Events))
		clock.Advance(2 * time.Minute)
		short := outboxNext(t, ctx, ws, "hooks", 1, 1)
		require.Equal(t, log[4].ID, short.Events[0].ID)
		requireConflict(t, ws.Events.Ack(ctx, "hooks", long.Cursor))
		require.NoError(t, ws.Events.Ack(ctx, "hooks", short.Cursor))
		last := outboxNext(t, ctx, ws, "hooks", 10, 1)
		require.Equal(t, log[5].ID, last.Events[0].ID)
		require.NoError(t, ws.Events.Ack(ctx, "hooks", last.Cursor))
		outboxNext(t, ctx, ws, "hooks", 10, 0)

		// Consumers are independent: a new one starts at the beginning.
		all := outboxNext(t, ctx, ws, "warehouse", 0, 6)
		require.Equal(t, log, all.Events)
		require.NoError(t, ws.Events.Ack(ctx, "warehouse", all.Cursor))
		outboxNext(t, ctx, ws, "warehouse", 0, 0)

		// New events reach every consumer.
		clock.Advance(time.Second)
		mustCreate(t, ctx, ws.Customers, customer.CreateParams{Name: "C6"})
		log = eventLog(t, ctx, db, "acme")
		for _, name := range []string{"hooks", "warehouse"} {
			b := outboxNext(t, ctx, ws, name, 100, 1)
			require.Equal(t, log[6].ID, b.Events[0].ID)
			require.NoError(t, ws.Events.Ack(ctx, name, b.Cursor))
		}

		// Prune deletes what happened before t, only that.
		cut := log[3].Time
		n, err := ws.Events.Prune(ctx, cut)
		require.NoError(t, err)
		require.Equal(t, int64(3), n)
		require.Equal(t, log[3:], eventLog(t, ctx, db, "acme"))
		n, err = ws.Events.Prune(ctx, cut)
		require.NoError(t, err)
		require.Zero(t, n)
		fresh := outboxNext(t, ctx, ws, "late", 0, 4)
		require.Equal(t, log[3:], fresh.Events)
	})
}

// TestEventsOutboxWorkers runs several workers of one consumer at once:
// every event is delivered to exactly one of them.
func TestEventsOutboxWorkers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		ps := make([]customer.CreateParams, 40)
		for i := range ps {
			ps[i] = customer.CreateParams{Name: fmt.Sprintf("C%d", i)}
		}
		_, err := ws.Customers.CreateMany(ctx, ps)
		require.NoError(t, err)
		log := eventLog(t, ctx, db, "acme")
		var mu sync.Mutex
		got := map[crmtype.ID]int{}
		var order []crmtype.ID
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		deadline := time.Now().Add(30 * time.Second)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					b, err := ws.Events.Next(ctx, "hooks", 3)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, e := range b.Events {
						got[e.ID]++
						order = append(order, e.ID)
					}
					done := len(order) >= len(log)
					mu.Unlock()
					if len(b.Events) > 0 {
						if err := ws.Events.Ack(ctx, "hooks", b.Cursor); err != nil {
							errs <- err
							return
						}
					}
					if done {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, got, len(log))
		for id, n := range got {
			require.Equal(t, 1, n, "event %s delivered %d times", id, n)
		}
		require.Equal(t, eventIDs(log), order, "delivered in log order")
	})
}

// ---- two workspaces ----

func TestEventsTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crm.WithActor(context.Background(), "user:42")
		client, clock := newClient(t, db)
		a := seedTenant(t, ctx, client, "ws-a", "a", "GB", "+44 20 7946 0958")
		clock.Advance(time.Minute)
		b := seedTenant(t, ctx, client, "ws-b", "b", "US", "+1 650 253 0000")
		logA := eventLog(t, ctx, db, "ws-a")
		logB := eventLog(t, ctx, db, "ws-b")
		require.NotEmpty(t, logA)
		require.Len(t, logB, len(logA))

		// Timeline and audit: another workspace's customer has no history here.
		for _, tc := range []struct {
			ws       *crm.Workspace
			own, alt tenant
			log      []crmtype.Event
		}{{a.ws, a, b, logA}, {b.ws, b, a, logB}} {
			tl := timelineAll(t, ctx, tc.ws, tc.own.person.ID, event.Query{Limit: 2})
			require.Equal(t, eventIDs(wantTimeline(t, ctx, tc.ws, tc.log, tc.own.person.ID)), eventIDs(tl))
			for _, e := range tl {
				require.Equal(t, tc.ws.ID, e.Workspace)
			}
			tl = timelineAll(t, ctx, tc.ws, tc.alt.person.ID, event.Query{})
			require.Empty(t, tl)
			require.Empty(t, auditAll(t, ctx, tc.ws, event.AuditQuery{Subject: tc.alt.person.ID}))
			require.Empty(t, auditAll(t, ctx, tc.ws, event.AuditQuery{Subject: tc.alt.purchase.ID}))
			require.Len(t, auditAll(t, ctx, tc.ws, event.AuditQuery{Subject: tc.own.purchase.ID}), 1)
			tier := auditAll(t, ctx, tc.ws, event.AuditQuery{SubjectKey: "tier", SubjectType: customer.SubjectAttribute})
			require.Len(t, tier, 1)
			require.Equal(t, tc.ws.ID, tier[0].Workspace)
			settings := auditAll(t, ctx, tc.ws, event.AuditQuery{SubjectKey: string(tc.alt.ws.ID), SubjectType: "workspace"})
			require.Empty(t, settings)
			byActor := auditAll(t, ctx, tc.ws, event.AuditQuery{Subject: tc.own.person.ID, Actor: "user:42"})
			require.Len(t, byActor, 1)
		}

		// Outbox: a consumer of the same name in each workspace is its own.
		dumpB := dumpEventTables(t, ctx, db, "ws-b")
		ba := outboxNext(t, ctx, a.ws, "hooks", 3, 3)
		require.Equal(t, logA[:3], ba.Events)
		outboxNext(t, ctx, a.ws, "hooks", 3, 0)
		require.Equal(t, dumpB, dumpEventTables(t, ctx, db, "ws-b"), "leasing in ws-a leaves ws-b alone")
		bb := outboxNext(t, ctx, b.ws, "hooks", 0, len(logB))
		require.Equal(t, logB, bb.Events, "ws-b's consumer is not held by ws-a's lease")
		requireInvalid(t, b.ws.Events.Ack(ctx, "hooks", ba.Cursor), "cursor")
		requireInvalid(t, a.ws.Events.Ack(ctx, "hooks", bb.Cursor), "cursor")
		require.NoError(t, a.ws.Events.Ack(ctx, "hooks", ba.Cursor))
		outboxNext(t, ctx, b.ws, "hooks", 0, 0) // still leased in ws-b
		ba = outboxNext(t, ctx, a.ws, "hooks", 0, len(logA)-3)
		require.Equal(t, logA[3:], ba.Events)
		require.NoError(t, b.ws.Events.Ack(ctx, "hooks", bb.Cursor))
		require.NoError(t, a.ws.Events.Ack(ctx, "hooks", ba.Cursor))

		// Export and erasure of ws-a's person, asked of ws-b, find nothing;
		// done in ws-a, they leave ws-b byte for byte as it was.
		dumpB, dumpEvB := dumpWorkspace(t, ctx, db, "ws-b"), dumpEventTables(t, ctx, db, "ws-b")
		dumpA, dumpEvA := dumpWorkspace(t, ctx, db, "ws-a"), dumpEventTables(t, ctx, db, "ws-a")
		_, err := b.ws.Privacy.Export(ctx, a.person.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = b.ws.Privacy.Erase(ctx, a.person.ID, privacy.EraseOptions{DeletePurchases: true})
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, dumpA, dumpWorkspace(t, ctx, db, "ws-a"))
		require.Equal(t, dumpEvA, dumpEventTables(t, ctx, db, "ws-a"))

		bundle, err := a.ws.Privacy.Export(ctx, a.person.ID)
		require.NoError(t, err)
		js, err := bundle.JSON()
		require.NoError(t, err)
		require.Contains(t, string(js), "zhang@a.example")
		require.NotContains(t, string(js), "zhang@b.example")
		require.NotContains(t, string(js), string(b.person.ID.String()))
		require.NotContains(t, string(js), "ws-b")
		_, err = a.ws.Privacy.Erase(ctx, a.person.ID, privacy.EraseOptions{DeletePurchases: true})
		require.NoError(t, err)
		require.Equal(t, dumpB, dumpWorkspace(t, ctx, db, "ws-b"))
		require.Equal(t, dumpEvB, dumpEventTables(t, ctx, db, "ws-b"))
		got, err := b.ws.Customers.ByEmail(ctx, "shared@example.com")
		require.NoError(t, err)
		require.Equal(t, b.person.ID, got.ID)
		hits, err := b.ws.Customers.Search(ctx, "张三", customer.SearchParams{})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{b.person.ID}, namesOf(hits, func(h customer.SearchHit) crmtype.ID { return h.Customer.ID }))
		_, err = a.ws.Customers.ByEmail(ctx, "shared@example.com")
		require.ErrorIs(t, err, crm.ErrNotFound)

		// Prune in ws-a leaves ws-b's log alone.
		n, err := a.ws.Events.Prune(ctx, clock.Advance(time.Hour))
		require.NoError(t, err)
		require.NotZero(t, n)
		require.Empty(t, eventLog(t, ctx, db, "ws-a"))
		require.Equal(t, dumpEvB, dumpEventTables(t, ctx, db, "ws-b"))
	})
}
