package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

// setIdentity writes an identity's stored value behind the SDK's back, as
// data loaded under older rules would be.
func setIdentity(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID, value string) {
	t.Helper()
	_, err := db.ExecContext(ctx, "UPDATE crm_identities SET value = ?, raw = ? WHERE workspace_id = ? AND id = ?", value, value, ws, id.String())
	require.NoError(t, err)
}

func invalidReason(t *testing.T, ctx context.Context, db *bun.DB, ws string, id crmtype.ID) string {
	t.Helper()
	var r string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT invalid_reason FROM crm_identities WHERE workspace_id = ? AND id = ?", ws, id.String()).Scan(&r))
	return r
}

func countEvents(t *testing.T, ctx context.Context, db *bun.DB, ws, typ string) int {
	t.Helper()
	n := 0
	for _, e := range eventLog(t, ctx, db, ws) {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestHygieneNormalise(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		var ids [2][]crmtype.ID
		var cs [2][]*customer.Customer
		for w, name := range []string{"acme", "other"} {
			ws := client.Workspace(name)
			require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "US"}))
			for _, p := range []customer.CreateParams{
				{Name: "Ann", Identities: []customer.IdentityParams{email("ann@example.com")}},
				{Name: "Bob", Identities: []customer.IdentityParams{email("bob@example.com"), phone("+1 650-253-0000")}},
				{Name: "Cy", Identities: []customer.IdentityParams{email("cy@example.com"), phone("+86 138 0013 8001"),
					{Kind: customer.ExternalID, System: "shop", Value: "Ann@Example.COM"}}},
			} {
				clock.Advance(time.Minute) // ids in creation order
				c := mustCreate(t, ctx, ws.Customers, p)
				cs[w] = append(cs[w], c)
				for _, i := range c.Identities {
					ids[w] = append(ids[w], i.ID)
				}
			}
			clock.Advance(time.Minute)
			two, err := ws.Customers.AddIdentity(ctx, cs[w][1].ID, email("bob.two@example.com"))
			require.NoError(t, err)
			ids[w] = append(ids[w], two.ID)
		}
		// ids: 0 ann@, 1 bob@, 2 bob's phone, 3 cy@, 4 cy's phone, 5 external, 6 bob's second email.
		for w, name := range []string{"acme", "other"} {
			setIdentity(t, ctx, db, name, ids[w][0], "Ann@Example.COM")  // not canonical
			setIdentity(t, ctx, db, name, ids[w][2], "(650) 253-0001")   // local, read with the region
			setIdentity(t, ctx, db, name, ids[w][3], "not an email")     // invalid
			setIdentity(t, ctx, db, name, ids[w][4], "+1 555")           // impossible number
			setIdentity(t, ctx, db, name, ids[w][1], "ANN@example.com ") // canonical form shared with ids[0] after its update
			setIdentity(t, ctx, db, name, ids[w][6], "Bob.Two@Example.com")
		}
		// Emails may be shared, but one customer holds a value once: Bob's
		// second email, read again, is the first one's.
		setIdentity(t, ctx, db, "acme", ids[0][1], "BOB@example.com ")
		setIdentity(t, ctx, db, "acme", ids[0][6], "Bob@Example.com")
		other := dumpWorkspace(t, ctx, db, "other")
		s := client.Workspace("acme").Customers

		// A dry run reports and writes nothing.
		before := dumpWorkspace(t, ctx, db, "acme")
		rep, err := s.Normalise(ctx, customer.NormaliseParams{DryRun: true, BatchSize: 2})
		require.NoError(t, err)
		require.Equal(t, 6, rep.Checked, "emails and phones, not external ids")
		require.Len(t, rep.Updated, 4)
		require.Len(t, rep.Flagged, 2)
		require.Equal(t, before, dumpWorkspace(t, ctx, db, "acme"))

		clock.Advance(time.Hour)
		rep, err = s.Normalise(ctx, customer.NormaliseParams{BatchSize: 2})
		require.NoError(t, err)
		require.Equal(t, 6, rep.Checked)
		require.Len(t, rep.Updated, 3)
		require.Len(t, rep.Conflicts, 1, "%+v", rep)
		require.Equal(t, ids[0][6], rep.Conflicts[0].IdentityID)
		require.Equal(t, "bob@example.com", rep.Conflicts[0].NewValue)
		require.Equal(t, cs[0][1].ID, rep.Conflicts[0].HeldBy)
		require.Len(t, rep.Flagged, 2)
		require.Equal(t, "is not an email address", invalidReason(t, ctx, db, "acme", ids[0][3]))
		require.Equal(t, "is not a valid phone number", invalidReason(t, ctx, db, "acme", ids[0][4]))
		require.Equal(t, "", invalidReason(t, ctx, db, "acme", ids[0][0]))

		ann, err := s.ByEmail(ctx, "ann@example.com")
		require.NoError(t, err)
		require.Equal(t, "Ann", ann.Name)
		require.Equal(t, "ann@example.com", ann.Email(), "the customer's copy follows")
		require.Equal(t, cs[0][0].Version+1, ann.Version)
		bob, err := s.ByPhone(ctx, "+16502530001")
		require.NoError(t, err)
		require.Equal(t, "Bob", bob.Name)
		cy, err := s.Get(ctx, cs[0][2].ID)
		require.NoError(t, err)
		require.Len(t, cy.Identities, 3, "flagged identities are kept")
		require.Equal(t, "is not an email address", cy.Identities[0].Invalid, "the customer's copy carries the flag")
		require.Empty(t, cy.Email(), "a flagged email is not the customer's email")
		require.Equal(t, 3, countEvents(t, ctx, db, "acme", customer.EventIdentityNormalised))
		require.Equal(t, 2, countEvents(t, ctx, db, "acme", customer.EventIdentityFlagged))

		// A second run changes nothing but still reports the conflict; a
		// repaired value loses its flag.
		rep, err = s.Normalise(ctx, customer.NormaliseParams{})
		require.NoError(t, err)
		require.Empty(t, rep.Updated)
		require.Empty(t, rep.Flagged)
		require.Len(t, rep.Conflicts, 1)
		setIdentity(t, ctx, db, "acme", ids[0][3], "cy@example.com")
		rep, err = s.Normalise(ctx, customer.NormaliseParams{})
		require.NoError(t, err)
		require.Len(t, rep.Cleared, 1)
		require.Equal(t, "", invalidReason(t, ctx, db, "acme", ids[0][3]))
		require.Equal(t, 3, countEvents(t, ctx, db, "acme", customer.EventIdentityFlagged))

		_, err = s.Normalise(ctx, customer.NormaliseParams{BatchSize: -1})
		require.ErrorIs(t, err, crm.ErrInvalid)
		require.Equal(t, other, dumpWorkspace(t, ctx, db, "other"), "another workspace is untouched")
	})
}

// seedStale makes, in workspace name: a and f stale, b bought recently, e
// with a recent event only (a back-dated purchase recorded recently), d
// stale but deleted. It returns with the clock 60 days on.
func seedStale(t *testing.T, ctx context.Context, client *crm.Client, clock *crmtype.ManualClock, name string) map[string]*customer.Customer {
	t.Helper()
	clock.Set(t0)
	s := client.Workspace(name).Customers
	cs := map[string]*customer.Customer{}
	for _, n := range []string{"a", "b", "d", "e", "f"} {
		cs[n] = mustCreate(t, ctx, s, customer.CreateParams{Name: n, Stage: customer.StageCustomer,
			Identities: []customer.IdentityParams{email(n + "@" + name + ".example")}})
	}
	require.NoError(t, s.Delete(ctx, cs["d"].ID))
	clock.Set(t0.Add(40 * 24 * time.Hour))
	_, err := s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: cs["b"].ID, OccurredAt: clock.Now(),
		Amount: crmtype.Money{Minor: 100, Currency: "EUR"}})
	require.NoError(t, err)
	_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: cs["e"].ID, OccurredAt: t0,
		Amount: crmtype.Money{Minor: 100, Currency: "EUR"}})
	require.NoError(t, err)
	clock.Set(t0.Add(60 * 24 * time.Hour))
	return cs
}

func TestHygieneStale(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		staleNames := func(rep customer.StaleReport) []string {
			return namesOf(rep.Customers, func(c customer.StaleCustomer) string { return c.Name })
		}

		cs := seedStale(t, ctx, client, clock, "report")
		s := client.Workspace("report").Customers
		before := dumpWorkspace(t, ctx, db, "report")
		rep, err := s.Stale(ctx, customer.StaleParams{Days: 30, BatchSize: 1})
		require.NoError(t, err)
		require.Equal(t, customer.StaleReportOnly, rep.Action)
		require.Equal(t, clock.Now().Add(-30*24*time.Hour), rep.Cutoff)
		require.Equal(t, []string{"a", "f"}, staleNames(rep))
		require.Equal(t, t0, rep.Customers[0].LastActivity)
		require.Empty(t, rep.Changed)
		require.Equal(t, before, dumpWorkspace(t, ctx, db, "report"))
		rep, err = s.Stale(ctx, customer.StaleParams{Days: 61})
		require.NoError(t, err)
		require.Empty(t, rep.Customers)
		for _, p := range []customer.StaleParams{{Days: 0}, {Days: 30, Action: "burn"}, {Days: 30, BatchSize: 10000}} {
			_, err := s.Stale(ctx, p)
			require.ErrorIs(t, err, crm.ErrInvalid)
		}

		// Inactive: the stage changes, with customer.updated events.
		cs = seedStale(t, ctx, client, clock, "inactive")
		s = client.Workspace("inactive").Customers
		rep, err = s.Stale(ctx, customer.StaleParams{Days: 30, Action: customer.StaleInactive, BatchSize: 1})
		require.NoError(t, err)
		require.Equal(t, []crmtype.ID{cs["a"].ID, cs["f"].ID}, rep.Changed)
		got, err := s.Get(ctx, cs["a"].ID)
		require.NoError(t, err)
		require.Equal(t, customer.StageInactive, got.Stage)
		got, err = s.Get(ctx, cs["b"].ID)
		require.NoError(t, err)
		require.Equal(t, customer.StageCustomer, got.Stage)
		require.Equal(t, 2, countEvents(t, ctx, db, "inactive", customer.EventCustomerUpdated))
		rep, err = s.Stale(ctx, customer.StaleParams{Days: 30})
		require.NoError(t, err)
		require.Empty(t, rep.Customers, "the change is activity")

		// Anonymise: the privacy erase path.
		cs = seedStale(t, ctx, client, clock, "anon")
		s = client.Workspace("anon").Customers
		rep, err = s.Stale(ctx, customer.StaleParams{Days: 30, Action: customer.StaleAnonymise})
		require.NoError(t, err)
		require.Len(t, rep.Changed, 2)
		got, err = s.GetIncludingDeleted(ctx, cs["a"].ID)
		require.NoError(t, err)
		require.NotNil(t, got.ErasedAt)
		require.Empty(t, got.Name)
		require.Empty(t, got.Identities)
		_, err = s.ByEmail(ctx, "a@anon.example")
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, 2, countEvents(t, ctx, db, "anon", customer.EventCustomerErased))

		// Delete: soft, restorable.
		cs = seedStale(t, ctx, client, clock, "del")
		s = client.Workspace("del").Customers
		rep, err = s.Stale(ctx, customer.StaleParams{Days: 30, Action: customer.StaleDelete, BatchSize: 1})
		require.NoError(t, err)
		require.Len(t, rep.Changed, 2)
		_, err = s.Get(ctx, cs["f"].ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = s.Restore(ctx, cs["f"].ID)
		require.NoError(t, err)
		require.Equal(t, 3, countEvents(t, ctx, db, "del", customer.EventCustomerDeleted), "d's own and the two stale")

		// The first workspace saw none of it.
		require.Equal(t, before, dumpWorkspace(t, ctx, db, "report"))
	})
}
