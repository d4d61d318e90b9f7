package crm_test

import (
	"context"
	"regexp"
	"strings"
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

// mergeEventTypes are the events that record a merge or an unmerge.
var mergeEventTypes = map[string]bool{customer.EventCustomerMerged: true, customer.EventCustomerMergedInto: true,
	customer.EventCustomerUnmerged: true}

// mergeDump is dumpWorkspace plus the event rows that do not record a merge
// or unmerge, and the merge log tables, with the version and updated_at of
// the row named by survivorName masked.
func mergeDump(t *testing.T, ctx context.Context, db *bun.DB, ws, survivorName string) map[string][]string {
	t.Helper()
	out := dumpWorkspace(t, ctx, db, ws)
	mask := regexp.MustCompile(`\|(version|updated_at)=[^|]*`)
	for i, r := range out["crm_customers"] {
		if strings.Contains(r, "|name="+survivorName+"|") {
			out["crm_customers"][i] = mask.ReplaceAllString(r, "|$1=*")
		}
	}
	for _, r := range dumpEventTables(t, ctx, db, ws)["crm_events"] {
		skip := false
		for typ := range mergeEventTypes {
			if strings.Contains(r, "|type="+typ+"|") {
				skip = true
			}
		}
		if !skip {
			out["crm_events"] = append(out["crm_events"], r)
		}
	}
	for _, table := range []string{"crm_customer_merges", "crm_customer_merge_items"} {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE workspace_id = ?", ws).Scan(&n))
		out[table] = []string{strings.Repeat("x", n)}
	}
	return out
}

type mergeFixture struct {
	ws      *crm.Workspace
	a, b, c *customer.Customer
}

func seedMerge(t *testing.T, ctx context.Context, client *crm.Client, clock *crmtype.ManualClock, name string) mergeFixture {
	t.Helper()
	ws := client.Workspace(name)
	s := ws.Customers
	_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "score", Type: customer.TypeNumber})
	require.NoError(t, err)
	f := mergeFixture{ws: ws}
	f.a = mustCreate(t, ctx, s, customer.CreateParams{Name: "Ann Lee", GivenName: "Ann", Source: "web", Tags: []string{"vip"},
		Identities: []customer.IdentityParams{email("ann@" + name + ".example")}})
	clock.Advance(time.Minute)
	f.b = mustCreate(t, ctx, s, customer.CreateParams{Name: "Ann Lee-Smith", Tags: []string{"beta", "vip"},
		Address:    customer.Address{Line1: "Hauptstr. 1", City: "Berlin", Country: "DE"},
		Attributes: map[string]any{"score": 3},
		Identities: []customer.IdentityParams{email("ann.smith@" + name + ".example"), phone("+86 138 0013 8000")}})
	clock.Advance(time.Minute)
	f.c = mustCreate(t, ctx, s, customer.CreateParams{Name: "A. Lee", OwnerID: "u1", Tags: []string{"gamma"},
		Identities: []customer.IdentityParams{{Kind: customer.ExternalID, System: "shop", Value: "42"}}})
	for i, c := range []*customer.Customer{f.a, f.b, f.c} {
		clock.Advance(time.Minute)
		_, err := s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: clock.Now(),
			Amount: crmtype.Money{Minor: int64(1000 * (i + 1)), Currency: "EUR"}, OrderID: name + "-o" + string(rune('1'+i))})
		require.NoError(t, err)
	}
	clock.Advance(time.Minute)
	f.b, err = s.Update(ctx, f.b.ID, customer.UpdateParams{Version: f.b.Version, Locale: customer.Ptr("de-DE")})
	require.NoError(t, err)
	f.a, err = s.Get(ctx, f.a.ID)
	require.NoError(t, err)
	f.c, err = s.Get(ctx, f.c.ID)
	require.NoError(t, err)
	return f
}

func TestMergeThreeAndUnmerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		f := seedMerge(t, ctx, client, clock, "acme")
		other := seedMerge(t, ctx, client, clock, "other")
		s := f.ws.Customers
		before := mergeDump(t, ctx, db, "acme", "Ann Lee")
		otherBefore := mergeDump(t, ctx, db, "other", "Ann Lee")
		timelines := map[crmtype.ID]int{}
		for _, c := range []*customer.Customer{f.a, f.b, f.c} {
			timelines[c.ID] = len(timelineAll(t, ctx, f.ws, c.ID, event.Query{}))
		}

		// Across workspaces: another workspace's customer is not found.
		_, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.a.ID, other.b.ID}})
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = other.ws.Customers.PreviewMerge(ctx, customer.MergeParams{IDs: []crmtype.ID{other.a.ID, f.b.ID}})
		require.ErrorIs(t, err, crm.ErrNotFound)

		clock.Advance(time.Hour)
		p := customer.MergeParams{IDs: []crmtype.ID{f.b.ID, f.a.ID, f.c.ID}, Survivor: f.a.ID,
			Overrides: map[string]crmtype.ID{"name": f.b.ID}}
		pv, err := s.PreviewMerge(ctx, p)
		require.NoError(t, err)
		require.Equal(t, f.a.ID, pv.Survivor)
		require.Equal(t, []crmtype.ID{f.b.ID, f.c.ID}, pv.Absorbed)
		res, err := s.Merge(ctx, p)
		require.NoError(t, err)
		sv := res.Survivor
		require.Equal(t, f.a.ID, sv.ID)
		require.Equal(t, "Ann Lee-Smith", sv.Name, "override")
		require.Equal(t, "Ann", sv.GivenName, "survivor")
		require.Equal(t, "web", sv.Source)
		require.Equal(t, "Berlin", sv.Address.City, "only value")
		require.Equal(t, "u1", sv.OwnerID)
		require.Equal(t, 3.0, sv.Attributes["score"])
		require.Equal(t, []string{"beta", "gamma", "vip"}, sv.Tags)
		require.Len(t, sv.Identities, 4)
		require.Equal(t, map[string]int64{"crm_identities": 3, "crm_customer_tags": 2, "crm_purchases": 2,
			"crm_events": res.Moved["crm_events"]}, res.Moved)
		require.Equal(t, int64(1), res.Dropped["crm_customer_tags"], "vip was held by both")

		got, err := s.Get(ctx, f.a.ID)
		require.NoError(t, err)
		require.Equal(t, sv.Version, got.Version)
		require.Equal(t, sv.Tags, got.Tags)
		require.Len(t, got.Identities, 4)
		stats, err := s.PurchaseStats(ctx, f.a.ID)
		require.NoError(t, err)
		require.Equal(t, 3, stats.Count)
		// A merged-away id resolves to its survivor; lookups find the survivor.
		_, err = s.Get(ctx, f.b.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		r, err := s.Resolve(ctx, f.b.ID)
		require.NoError(t, err)
		require.Equal(t, f.a.ID, r.ID)
		r, err = s.ByPhone(ctx, "+8613800138000")
		require.NoError(t, err)
		require.Equal(t, f.a.ID, r.ID)
		r, err = s.ByExternalID(ctx, "shop", "42")
		require.NoError(t, err)
		require.Equal(t, f.a.ID, r.ID)
		n, err := s.Count(ctx, customer.Filter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		hits, err := s.Search(ctx, "Smith", customer.SearchParams{})
		require.NoError(t, err)
		require.Equal(t, []string{"Ann Lee-Smith"}, hitNames(hits))
		// The survivor's timeline holds everyone's history and the merge.
		tl := timelineAll(t, ctx, f.ws, f.a.ID, event.Query{})
		require.Len(t, tl, timelines[f.a.ID]+timelines[f.b.ID]+timelines[f.c.ID]+1)
		require.Equal(t, customer.EventCustomerMerged, tl[0].Type)
		created := 0
		for _, e := range tl {
			if e.Type == customer.EventCustomerCreated {
				created++
			}
		}
		require.Equal(t, 3, created)
		for _, id := range []crmtype.ID{f.b.ID, f.c.ID} {
			tb := timelineAll(t, ctx, f.ws, id, event.Query{})
			require.Len(t, tb, 1)
			require.Equal(t, customer.EventCustomerMergedInto, tb[0].Type)
		}
		// The other workspace is untouched.
		require.Equal(t, otherBefore, mergeDump(t, ctx, db, "other", "Ann Lee"))

		// Unmerge restores every record and reference.
		clock.Advance(time.Hour)
		_, err = other.ws.Customers.Unmerge(ctx, res.ID)
		require.ErrorIs(t, err, crm.ErrNotFound, "another workspace's merge")
		un, err := s.Unmerge(ctx, res.ID)
		require.NoError(t, err)
		require.Len(t, un.Restored, 2)
		require.Equal(t, before, mergeDump(t, ctx, db, "acme", "Ann Lee"))
		got, err = s.Get(ctx, f.a.ID)
		require.NoError(t, err)
		require.Equal(t, sv.Version+1, got.Version, "the survivor's version moves on")
		got, err = s.Get(ctx, f.b.ID)
		require.NoError(t, err)
		require.Equal(t, f.b, got)
		for _, c := range []*customer.Customer{f.b, f.c} {
			tl := timelineAll(t, ctx, f.ws, c.ID, event.Query{})
			require.Len(t, tl, timelines[c.ID]+2, "its history, merged_into and unmerged")
		}
		_, err = s.Unmerge(ctx, res.ID)
		require.ErrorIs(t, err, crm.ErrNotFound, "undone already")
		require.Equal(t, otherBefore, mergeDump(t, ctx, db, "other", "Ann Lee"))
	})
}

func TestMergePreviewRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		f := seedMerge(t, ctx, client, clock, "acme")
		s := f.ws.Customers
		ids := []crmtype.ID{f.a.ID, f.b.ID, f.c.ID}
		field := func(pv *customer.MergePreview, name string) customer.FieldChoice {
			for _, fc := range pv.Fields {
				if fc.Field == name {
					return fc
				}
			}
			t.Fatalf("no field %s", name)
			return customer.FieldChoice{}
		}

		// Default survivor: the oldest; default rule: prefer the survivor.
		pv, err := s.PreviewMerge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.c.ID, f.b.ID, f.a.ID}})
		require.NoError(t, err)
		require.Equal(t, f.a.ID, pv.Survivor)
		name := field(pv, "name")
		require.Equal(t, "Ann Lee", name.Value)
		require.Equal(t, "survivor", name.Reason)
		require.Len(t, name.Values, 3)
		require.Equal(t, f.a.ID, name.Values[0].Customer)
		loc := field(pv, "locale")
		require.Equal(t, "de-DE", loc.Value)
		require.Equal(t, f.b.ID, loc.From)
		require.Equal(t, "only value", loc.Reason)
		require.Equal(t, "all empty", field(pv, "time_zone").Reason)

		// Most recent: b was updated last.
		pv, err = s.PreviewMerge(ctx, customer.MergeParams{IDs: ids, Rule: customer.MostRecent})
		require.NoError(t, err)
		require.Equal(t, "Ann Lee-Smith", field(pv, "name").Value)
		require.Equal(t, "most recent", field(pv, "name").Reason)
		// Most complete: the longest name.
		pv, err = s.PreviewMerge(ctx, customer.MergeParams{IDs: ids, Rule: customer.MostComplete, Survivor: f.c.ID,
			Overrides: map[string]crmtype.ID{"attributes.score": f.c.ID}})
		require.NoError(t, err)
		require.Equal(t, f.c.ID, pv.Survivor)
		require.Equal(t, "Ann Lee-Smith", field(pv, "name").Value)
		require.Equal(t, "most complete", field(pv, "name").Reason)
		require.Equal(t, "override", field(pv, "attributes.score").Reason)
		require.NotContains(t, pv.Result.Attributes, "score", "an override takes even an empty value")
		// Survivor rules.
		pv, err = s.PreviewMerge(ctx, customer.MergeParams{IDs: ids, SurvivorRule: customer.SurvivorMostRecent})
		require.NoError(t, err)
		require.Equal(t, f.b.ID, pv.Survivor)
		pv, err = s.PreviewMerge(ctx, customer.MergeParams{IDs: ids, SurvivorRule: customer.SurvivorMostComplete})
		require.NoError(t, err)
		require.Equal(t, f.b.ID, pv.Survivor)

		// Bad input, nothing written.
		co := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME"})
		dump := mergeDump(t, ctx, db, "acme", "")
		for _, p := range []customer.MergeParams{
			{IDs: []crmtype.ID{f.a.ID}},
			{IDs: []crmtype.ID{f.a.ID, f.a.ID}},
			{IDs: ids, Survivor: crmtype.NewID(t0)},
			{IDs: ids, Rule: "loudest"},
			{IDs: ids, SurvivorRule: "loudest"},
			{IDs: ids, Overrides: map[string]crmtype.ID{"identities": f.a.ID}},
			{IDs: ids, Overrides: map[string]crmtype.ID{"name": crmtype.NewID(t0)}},
		} {
			_, err := s.Merge(ctx, p)
			require.ErrorIs(t, err, crm.ErrInvalid, "%+v", p)
		}
		_, err = s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.a.ID, co.ID}})
		require.ErrorIs(t, err, crm.ErrInvalid, "a person and a company")
		require.Equal(t, dump, mergeDump(t, ctx, db, "acme", ""))
	})
}

// After the merge the survivor changes: the later changes stay with it.
func TestMergeUnmergeAfterLaterChanges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		f := seedMerge(t, ctx, client, clock, "acme")
		s := f.ws.Customers
		res, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.a.ID, f.b.ID}, Rule: customer.MostRecent})
		require.NoError(t, err)
		require.Equal(t, "Ann Lee-Smith", res.Survivor.Name)
		require.Equal(t, "de-DE", res.Survivor.Locale)
		clock.Advance(time.Hour)
		sv, err := s.Update(ctx, f.a.ID, customer.UpdateParams{Version: res.Survivor.Version, Locale: customer.Ptr("en-GB")})
		require.NoError(t, err)
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: sv.ID, OccurredAt: clock.Now(),
			Amount: crmtype.Money{Minor: 500, Currency: "EUR"}})
		require.NoError(t, err)
		// Merging a merged-away customer again is not found; the stale
		// survivor version is a conflict for a plain update.
		_, err = s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.b.ID, f.c.ID}})
		require.ErrorIs(t, err, crm.ErrNotFound)

		_, err = s.Unmerge(ctx, res.ID)
		require.NoError(t, err)
		a, err := s.Get(ctx, f.a.ID)
		require.NoError(t, err)
		require.Equal(t, "Ann Lee", a.Name, "the merge's change is undone")
		require.Equal(t, "en-GB", a.Locale, "a later change stays")
		require.Equal(t, []string{"vip"}, a.Tags)
		require.Len(t, a.Identities, 1)
		st, err := s.PurchaseStats(ctx, f.a.ID)
		require.NoError(t, err)
		require.Equal(t, 2, st.Count, "its own purchase and the one recorded after the merge")
		b, err := s.Get(ctx, f.b.ID)
		require.NoError(t, err)
		require.Equal(t, f.b, b)
		st, err = s.PurchaseStats(ctx, f.b.ID)
		require.NoError(t, err)
		require.Equal(t, 1, st.Count)
	})
}

// A merge of companies moves their people; merges of merges resolve.
func TestMergeCompaniesAndChains(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Customers
		c1 := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME"})
		c2 := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME GmbH"})
		c3 := mustCreate(t, ctx, s, customer.CreateParams{Kind: customer.Company, Name: "ACME AG"})
		p := mustCreate(t, ctx, s, customer.CreateParams{Name: "Pat", CompanyID: c2.ID})
		before := mergeDump(t, ctx, db, "acme", "ACME")
		clock.Advance(time.Minute)
		m1, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{c1.ID, c2.ID}})
		require.NoError(t, err)
		got, err := s.Get(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, c1.ID, got.CompanyID)
		require.Equal(t, p.Version+1, got.Version, "moving Pat to another company is a change of Pat")
		tl, err := ws.Events.Timeline(ctx, p.ID, event.Query{Types: []string{customer.EventCustomerUpdated}})
		require.NoError(t, err)
		require.Len(t, tl.Items, 1)
		require.Equal(t, []crmtype.Change{{Field: "company_id", Before: c2.ID.String(), After: c1.ID.String()}}, tl.Items[0].Changes)
		m2, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{c3.ID, c1.ID}, Survivor: c3.ID})
		require.NoError(t, err)
		r, err := s.Resolve(ctx, c2.ID)
		require.NoError(t, err)
		require.Equal(t, c3.ID, r.ID, "a merge of a merge")
		_, err = s.Unmerge(ctx, m1.ID)
		require.ErrorIs(t, err, crm.ErrConflict, "the survivor was merged since")
		_, err = s.Unmerge(ctx, m2.ID)
		require.NoError(t, err)
		_, err = s.Unmerge(ctx, m1.ID)
		require.NoError(t, err)
		got, err = s.Get(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, c2.ID, got.CompanyID)
		after := mergeDump(t, ctx, db, "acme", "ACME")
		// c3 was a survivor too: mask it as well.
		// Pat moved company with each merge and unmerge: new versions and
		// one customer.updated event each time, checked above; mask them.
		mask := regexp.MustCompile(`\|(version|updated_at)=[^|]*`)
		for _, d := range []map[string][]string{before, after} {
			for i, r := range d["crm_customers"] {
				if strings.Contains(r, "|name=ACME AG|") || strings.Contains(r, "|name=Pat|") {
					d["crm_customers"][i] = mask.ReplaceAllString(r, "|$1=*")
				}
			}
			var evs []string
			for _, r := range d["crm_events"] {
				if !strings.Contains(r, "|type=customer.updated|") || !strings.Contains(r, `"company_id"`) {
					evs = append(evs, r)
				}
			}
			d["crm_events"] = evs
		}
		require.Equal(t, before, after)
	})
}

// Erasing a survivor erases the customers merged into it: the same person.
func TestMergeThenErase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		f := seedMerge(t, ctx, client, clock, "acme")
		s := f.ws.Customers
		res, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{f.a.ID, f.b.ID, f.c.ID}})
		require.NoError(t, err)
		rep, err := f.ws.Privacy.Erase(ctx, f.a.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, int64(3), rep.Scrubbed["crm_customers"])
		requireNowhere(t, ctx, db, []string{"Ann Lee", "Lee-Smith", "A. Lee", "ann@acme.example", "ann.smith@acme.example", "8613800138000", "Hauptstr"})
		_, err = s.Unmerge(ctx, res.ID)
		require.ErrorIs(t, err, crm.ErrNotFound, "the merge log went with them")
	})
}
