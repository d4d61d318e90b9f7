package crm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func newClient(t *testing.T, db *bun.DB) (*crm.Client, *crmtype.ManualClock) {
	clock := crmtype.NewManualClock(t0)
	c, err := crm.New(db, &crm.Config{Clock: clock})
	require.NoError(t, err)
	return c, clock
}

func TestSmoke(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		ws := client.Workspace("acme")
		require.NoError(t, ws.UpdateSettings(ctx, crm.Settings{DefaultRegion: "CN"}))
		_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "tier", Type: customer.TypeEnum, Options: []string{"gold", "silver"}})
		require.NoError(t, err)
		co, err := ws.Customers.Create(ctx, customer.CreateParams{Kind: customer.Company, Name: "阿里巴巴"})
		require.NoError(t, err)
		c, err := ws.Customers.Create(ctx, customer.CreateParams{
			Name: "张三", CompanyID: co.ID, Tags: []string{"vip", "beta"},
			Attributes: map[string]any{"tier": "gold"},
			Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "Zhang San <ZHANG.San@Example.CN>"}, {Kind: customer.Phone, Value: "138 0013 8000"}},
		})
		require.NoError(t, err)
		require.Equal(t, "zhang.san@example.cn", c.Email())
		require.Equal(t, "+8613800138000", c.Phone())
		got, err := ws.Customers.Get(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Tags, got.Tags)
		require.Equal(t, []string{"beta", "vip"}, got.Tags)
		require.Len(t, got.Identities, 2)
		require.Equal(t, "gold", got.Attributes["tier"])
		byPhone, err := ws.Customers.ByPhone(ctx, "+86 138-0013-8000")
		require.NoError(t, err)
		require.Equal(t, c.ID, byPhone.ID)
		for _, q := range []string{"张", "三", "张三", "zhang", "阿里", "13800138000", "138 0013"} {
			hits, err := ws.Customers.Search(ctx, q, customer.SearchParams{})
			require.NoError(t, err, q)
			require.NotEmpty(t, hits, q)
			found := false
			for _, h := range hits {
				found = found || h.Customer.ID == c.ID
			}
			require.True(t, found, q)
		}
		_, err = ws.Customers.Create(ctx, customer.CreateParams{Name: "Li Si", Identities: []customer.IdentityParams{{Kind: customer.Email, Value: "zhang.san@example.cn"}}})
		require.NoError(t, err, "an email may be shared")
		_, err = ws.Customers.ByEmail(ctx, "zhang.san@example.cn")
		var ce *crmtype.ConflictError
		require.ErrorAs(t, err, &ce)
		require.Contains(t, ce.Reason, "held by 2 customers")
		up, err := ws.Customers.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("张三丰"), Attributes: map[string]any{"tier": "silver"}})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		_, err = ws.Customers.Update(ctx, c.ID, customer.UpdateParams{Version: c.Version, Name: customer.Ptr("x")})
		require.ErrorIs(t, err, crm.ErrConflict)
		page, err := ws.Customers.List(ctx, customer.ListParams{Filter: customer.Filter{Attributes: []customer.AttributeFilter{{Key: "tier", Value: "silver"}}}})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		_, err = ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0, Amount: crmtype.Money{Minor: 1999, Currency: "CNY"}, Quantity: 1, OrderID: "o-1"})
		require.NoError(t, err)
		st, err := ws.Customers.PurchaseStats(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 1, st.Count)
		require.Equal(t, t0, st.First)
		other := client.Workspace("other")
		_, err = other.Customers.Get(ctx, c.ID)
		require.True(t, errors.Is(err, crm.ErrNotFound), "%v", err)
		require.NoError(t, ws.Customers.Delete(ctx, c.ID))
		_, err = ws.Customers.Get(ctx, c.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = ws.Customers.Restore(ctx, c.ID)
		require.NoError(t, err)
		require.ErrorIs(t, ws.Customers.Purge(ctx, co.ID), crm.ErrConflict)
		require.NoError(t, ws.Customers.Purge(ctx, c.ID))
		require.NoError(t, ws.Customers.Purge(ctx, co.ID))
	})
}
