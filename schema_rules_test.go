package crm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/privacy"
	"github.com/kehu/crm/store"
)

// Attribute values never outlive or contradict their definition.
func TestAttributeSchemaChanges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		s := client.Workspace("acme").Customers
		_, err := s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
		require.NoError(t, err)
		a, err := s.Create(ctx, customer.CreateParams{Name: "A", Attributes: map[string]any{"tier": "gold"}})
		require.NoError(t, err)
		_, err = s.Create(ctx, customer.CreateParams{Name: "B"})
		require.NoError(t, err)

		// Dropping an option a customer holds, or requiring a value some lack.
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"silver"}})
		require.ErrorIs(t, err, crm.ErrConflict)
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}, Required: true})
		require.ErrorIs(t, err, crm.ErrConflict)
		// Dropping an option nobody holds is fine.
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold"}})
		require.NoError(t, err)

		// Removing the definition removes the values, so the key can come back
		// with another type.
		require.NoError(t, s.RemoveAttribute(ctx, "tier"))
		got, err := s.Get(ctx, a.ID)
		require.NoError(t, err)
		require.NotContains(t, got.Attributes, "tier")
		require.Equal(t, a.Version+1, got.Version)
		_, err = s.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeNumber})
		require.NoError(t, err)
		got, err = s.Update(ctx, a.ID, customer.UpdateParams{Version: got.Version, Attributes: map[string]any{"tier": 3}})
		require.NoError(t, err)
		require.Equal(t, 3.0, got.Attributes["tier"])
		n, err := s.Count(ctx, customer.Filter{Attributes: []customer.AttributeFilter{{Key: "tier", Op: customer.Gte, Value: 2}}})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

// Changing a customer's identities makes a new version.
func TestIdentityChangesBumpVersion(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("acme").Customers
		c, err := s.Create(ctx, customer.CreateParams{Name: "A"})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		id, err := s.AddIdentity(ctx, c.ID, customer.IdentityParams{Kind: customer.Email, Value: "a@example.com"})
		require.NoError(t, err)
		got, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Version+1, got.Version)
		require.Equal(t, t0.Add(time.Minute), got.UpdatedAt)
		_, err = s.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("B")})
		require.ErrorIs(t, err, crm.ErrConflict, "the identity change made the read version stale")
		require.NoError(t, s.RemoveIdentity(ctx, c.ID, id.ID))
		got2, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, got.Version+1, got2.Version)
		require.Empty(t, got2.Identities)
	})
}

// Name and email prefixes treat wildcard characters of LIKE and GLOB as text.
func TestPrefixFiltersAreLiteral(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		s := client.Workspace("acme").Customers
		for _, n := range []string{"a*b", "a%b", "a_b", "a[b", "a?b", "axb"} {
			_, err := s.Create(ctx, customer.CreateParams{Name: n})
			require.NoError(t, err)
		}
		for _, p := range []string{"a*", "a%", "a_", "a[", "a?"} {
			page, err := s.List(ctx, customer.ListParams{Filter: customer.Filter{NamePrefix: p}})
			require.NoError(t, err)
			require.Len(t, page.Items, 1, p)
			require.True(t, strings.HasPrefix(page.Items[0].Name, p), p)
		}
	})
}

// A custom clock's readings come back from the database unchanged.
func TestClockPrecisionRoundTrips(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		shanghai := time.FixedZone("CST", 8*3600)
		client, err := crm.New(db, &crm.Config{Clock: fixedClock(time.Date(2026, 5, 1, 9, 30, 0, 123456789, shanghai))})
		require.NoError(t, err)
		s := client.Workspace("acme").Customers
		c, err := s.Create(ctx, customer.CreateParams{Name: "A", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "a@example.com"}}})
		require.NoError(t, err)
		got, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.CreatedAt, got.CreatedAt)
		require.Equal(t, c.Identities[0].CreatedAt, got.Identities[0].CreatedAt)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
		require.Equal(t, 123456000, got.CreatedAt.Nanosecond())
	})
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// Purchases outside what both databases and int64 totals can hold are
// invalid input, not driver errors.
func TestPurchaseBounds(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		s := client.Workspace("acme").Customers
		c, err := s.Create(ctx, customer.CreateParams{Name: "A"})
		require.NoError(t, err)
		for _, tc := range []struct {
			p     customer.PurchaseParams
			field string
		}{
			{customer.PurchaseParams{OccurredAt: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), Amount: crmtype.Money{Minor: 1, Currency: "USD"}}, "occurred_at"},
			{customer.PurchaseParams{OccurredAt: t0, Amount: crmtype.Money{Minor: customer.MaxAmountMinor + 1, Currency: "USD"}}, "amount.minor"},
		} {
			tc.p.CustomerID = c.ID
			_, err := s.RecordPurchase(ctx, tc.p)
			var ve *crmtype.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tc.field, ve.Field)
		}
		for _, bad := range []string{`"john doe"@example.com`, "x <" + strings.Repeat("a", 600) + "@example.com>"} {
			_, err := s.AddIdentity(ctx, c.ID, customer.IdentityParams{Kind: customer.Email, Value: bad})
			require.ErrorIs(t, err, crm.ErrInvalid, bad)
		}
	})
}

// A merged-away customer comes back only through Unmerge, never Restore.
func TestRestoreRefusesMergedAway(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		s := client.Workspace("acme").Customers
		a, err := s.Create(ctx, customer.CreateParams{Name: "A"})
		require.NoError(t, err)
		b, err := s.Create(ctx, customer.CreateParams{Name: "B"})
		require.NoError(t, err)
		m, err := s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{a.ID, b.ID}, Survivor: a.ID})
		require.NoError(t, err)
		_, err = s.Restore(ctx, b.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		got, err := s.Resolve(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, a.ID, got.ID)
		_, err = s.Unmerge(ctx, m.ID)
		require.NoError(t, err)
		_, err = s.Get(ctx, b.ID)
		require.NoError(t, err)
	})
}

// A workspace's data-quality policy is stored, validated, recorded as an
// event, and used when a call leaves its parameters zero.
func TestQualitySettings(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("acme").Customers
		q, err := s.QualitySettings(ctx)
		require.NoError(t, err)
		require.Equal(t, customer.QualitySettings{}, q)

		for _, tc := range []struct {
			q     customer.QualitySettings
			field string
		}{
			{customer.QualitySettings{DuplicateThreshold: 1.5}, "duplicate_threshold"},
			{customer.QualitySettings{StaleDays: -1}, "stale_days"},
			{customer.QualitySettings{StaleAction: "burn"}, "stale_action"},
			{customer.QualitySettings{DuplicateAttributes: []string{"nope"}}, "duplicate_attributes[0]"},
		} {
			var ve *crmtype.ValidationError
			require.ErrorAs(t, s.SetQualitySettings(ctx, tc.q), &ve)
			require.Equal(t, tc.field, ve.Field)
		}
		q, err = s.QualitySettings(ctx)
		require.NoError(t, err)
		require.Equal(t, customer.QualitySettings{}, q, "nothing written")

		want := customer.QualitySettings{DuplicateThreshold: 0.9, StaleDays: 30, StaleAction: customer.StaleInactive}
		require.NoError(t, s.SetQualitySettings(ctx, want))
		q, err = s.QualitySettings(ctx)
		require.NoError(t, err)
		require.Equal(t, want, q)

		old, err := s.Create(ctx, customer.CreateParams{Name: "Old"})
		require.NoError(t, err)
		clock.Advance(40 * 24 * time.Hour)
		_, err = s.Create(ctx, customer.CreateParams{Name: "New"})
		require.NoError(t, err)
		rep, err := s.Stale(ctx, customer.StaleParams{})
		require.NoError(t, err)
		require.Equal(t, customer.StaleInactive, rep.Action)
		got, err := s.Get(ctx, old.ID)
		require.NoError(t, err)
		require.Equal(t, customer.StageInactive, got.Stage, "the stored policy acted")
	})
}

// Erasing a merged-away id erases the person it was merged into.
func TestEraseMergedAwayErasesTheGroup(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		s := ws.Customers
		a, err := s.Create(ctx, customer.CreateParams{Name: "Ann Lee", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "ann@example.com"}}})
		require.NoError(t, err)
		b, err := s.Create(ctx, customer.CreateParams{Name: "Ann Lee", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "ann.lee@example.com"}}})
		require.NoError(t, err)
		_, err = s.Merge(ctx, customer.MergeParams{IDs: []crmtype.ID{a.ID, b.ID}, Survivor: a.ID})
		require.NoError(t, err)
		rep, err := ws.Privacy.Erase(ctx, b.ID, privacy.EraseOptions{})
		require.NoError(t, err)
		require.Equal(t, a.ID, rep.Customer)
		for _, e := range []string{"ann@example.com", "ann.lee@example.com"} {
			_, err := s.ByEmail(ctx, e)
			require.ErrorIs(t, err, crm.ErrNotFound, e)
		}
		bundle, err := ws.Privacy.Export(ctx, a.ID)
		require.NoError(t, err)
		js, err := bundle.JSON()
		require.NoError(t, err)
		require.NotContains(t, string(js), "ann")
		require.NotContains(t, string(js), "Ann")
	})
}

// A customer reported stale who buys before the action runs is spared.
func TestStaleActionSparesReturningCustomers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		s := client.Workspace("acme").Customers
		c, err := s.Create(ctx, customer.CreateParams{Name: "Back again"})
		require.NoError(t, err)
		clock.Advance(100 * 24 * time.Hour)
		st := store.New(db)
		sc := crmtype.Scope{Workspace: "acme"}
		stale, err := st.StaleCustomers(ctx, sc, clock.Now().Add(-30*24*time.Hour), crmtype.ID{}, 10)
		require.NoError(t, err)
		require.Len(t, stale, 1)
		_, err = s.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: clock.Now(), Amount: crmtype.Money{Minor: 100, Currency: "EUR"}})
		require.NoError(t, err)
		clock.Advance(time.Minute)
		changed, err := st.ApplyStale(ctx, sc, stale, customer.StaleAnonymise, clock.Now())
		require.NoError(t, err)
		require.Empty(t, changed)
		got, err := s.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Back again", got.Name)
	})
}
