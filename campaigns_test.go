package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

func TestCampaignsLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		mk := client.Workspace("acme").Marketing

		// Bad input: a typed error naming the field, nothing written.
		for _, c := range []struct {
			field string
			p     marketing.CampaignParams
		}{
			{"name", marketing.CampaignParams{Type: marketing.TypePromotion, Currency: "CNY"}},
			{"type", marketing.CampaignParams{Name: "x", Type: "Bad Type", Currency: "CNY"}},
			{"currency", marketing.CampaignParams{Name: "x", Type: marketing.TypePromotion, Currency: "XXY"}},
			{"ends_at", marketing.CampaignParams{Name: "x", Type: marketing.TypePromotion, Currency: "CNY", StartsAt: t0, EndsAt: t0.Add(-time.Hour)}},
			{"budget", marketing.CampaignParams{Name: "x", Type: marketing.TypePromotion, Currency: "CNY", Budget: -1}},
			{"utm.campaign", marketing.CampaignParams{Name: "x", Type: marketing.TypePromotion, Currency: "CNY", UTM: marketing.UTM{Campaign: "a\nb"}}},
		} {
			_, err := mk.CreateCampaign(ctx, c.p)
			requireField(t, err, c.field)
		}
		_, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "x", Type: marketing.TypePromotion, Currency: "CNY", ParentID: crmtype.NewID(t0)})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, 0, ticketRowCount(t, ctx, db, "crm_campaigns", "acme"))

		prog, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "双十一 2026", Type: marketing.TypePromotion, Currency: "CNY",
			Budget: 500_000_00, ExpectedRevenue: 2_000_000_00, StartsAt: t0, EndsAt: t0.AddDate(0, 0, 14),
			UTM: marketing.UTM{Source: "newsletter", Medium: "email", Campaign: "d11-2026"}})
		require.NoError(t, err)
		require.Equal(t, marketing.StatusPlanned, prog.Status)
		child, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "双十一 search ads", Type: marketing.TypeAdvertising,
			Currency: "CNY", Budget: 100_000_00, ParentID: prog.ID, Channel: "search"})
		require.NoError(t, err)
		usd, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "Singles' Day US", Type: "influencer",
			Currency: "USD", Budget: 20_000_00, ParentID: child.ID})
		require.NoError(t, err)
		_, err = mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "双十一 2026", Type: marketing.TypeEvent, Currency: "CNY"})
		require.ErrorIs(t, err, crmtype.ErrConflict)

		// A cycle is refused.
		_, err = mk.UpdateCampaign(ctx, prog.ID, marketing.CampaignUpdate{Version: prog.Version, ParentID: &usd.ID})
		requireField(t, err, "parent_id")

		// The cost ledger: lines in the campaign's currency; a source is
		// added once.
		_, _, err = mk.AddCost(ctx, child.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 100, Currency: "USD"}, On: "2026-11-25"})
		requireField(t, err, "amount.currency")
		_, _, err = mk.AddCost(ctx, child.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 100, Currency: "ZZZ"}, On: "2026-11-25"})
		requireField(t, err, "amount.currency")
		_, _, err = mk.AddCost(ctx, child.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 100, Currency: "CNY"}, On: "25/11/2026"})
		requireField(t, err, "on")
		for i, day := range []string{"2026-11-01", "2026-11-02", "2026-11-02"} {
			_, added, err := mk.AddCost(ctx, child.ID, marketing.CostParams{Kind: marketing.CostMedia,
				Amount: crmtype.Money{Minor: 10_000_00, Currency: "CNY"}, On: day, Source: "ads:" + day})
			require.NoError(t, err)
			require.Equal(t, i < 2, added)
		}
		_, _, err = mk.AddCost(ctx, prog.ID, marketing.CostParams{Kind: marketing.CostProduction, Amount: crmtype.Money{Minor: 5_000_00, Currency: "CNY"}, On: "2026-10-20"})
		require.NoError(t, err)
		_, _, err = mk.AddCost(ctx, usd.ID, marketing.CostParams{Kind: marketing.CostFee, Amount: crmtype.Money{Minor: 1_500_00, Currency: "USD"}, On: "2026-11-03"})
		require.NoError(t, err)
		costs, err := mk.Costs(ctx, child.ID, 1, "")
		require.NoError(t, err)
		require.Len(t, costs.Items, 1)
		require.Equal(t, "2026-11-01", costs.Items[0].On)
		costs, err = mk.Costs(ctx, child.ID, 10, costs.Next)
		require.NoError(t, err)
		require.Len(t, costs.Items, 1)

		r, err := mk.Rollup(ctx, prog.ID)
		require.NoError(t, err)
		require.Equal(t, 3, r.Campaigns)
		require.Equal(t, []crmtype.ID{prog.ID, child.ID, usd.ID}, r.CampaignIDs)
		require.Equal(t, map[string]int64{"CNY": 25_000_00, "USD": 1_500_00}, r.Cost)
		require.Equal(t, map[string]int64{"CNY": 600_000_00, "USD": 20_000_00}, r.Budget)
		r, err = mk.Rollup(ctx, usd.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]int64{"USD": 1_500_00}, r.Cost)

		// The status machine.
		_, err = mk.SetCampaignStatus(ctx, prog.ID, prog.Version, marketing.StatusCompleted)
		requireField(t, err, "status")
		clock.Advance(time.Hour)
		prog, err = mk.SetCampaignStatus(ctx, prog.ID, prog.Version, marketing.StatusActive)
		require.NoError(t, err)
		_, err = mk.SetCampaignStatus(ctx, prog.ID, 1, marketing.StatusPaused)
		require.ErrorIs(t, err, crmtype.ErrConflict)
		prog, err = mk.SetCampaignStatus(ctx, prog.ID, prog.Version, marketing.StatusCompleted)
		require.NoError(t, err)
		name := "renamed"
		_, err = mk.UpdateCampaign(ctx, prog.ID, marketing.CampaignUpdate{Version: prog.Version, Name: &name})
		requireField(t, err, "status")

		kids, err := mk.Campaigns(ctx, marketing.CampaignListParams{ParentID: prog.ID})
		require.NoError(t, err)
		require.Len(t, kids.Items, 1)
		require.Equal(t, child.ID, kids.Items[0].ID)

		// Another workspace sees and touches nothing.
		other := client.Workspace("beta").Marketing
		_, err = other.Campaign(ctx, prog.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.UpdateCampaign(ctx, child.ID, marketing.CampaignUpdate{Version: child.Version, Name: &name})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.SetCampaignStatus(ctx, child.ID, child.Version, marketing.StatusActive)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, _, err = other.AddCost(ctx, child.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 1, Currency: "CNY"}, On: "2026-11-25"})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Costs(ctx, child.ID, 0, "")
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.Rollup(ctx, prog.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = other.CreateCampaign(ctx, marketing.CampaignParams{Name: "y", Type: marketing.TypeEvent, Currency: "EUR", ParentID: prog.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		list, err := other.Campaigns(ctx, marketing.CampaignListParams{})
		require.NoError(t, err)
		require.Empty(t, list.Items)
	})
}

// TestCampaignHierarchyDepth: moving a programme under another counts the
// campaigns under it.
func TestCampaignHierarchyDepth(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, _ := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		mk := client.Workspace("acme").Marketing
		chain := func(prefix string, n int) []*marketing.Campaign {
			var out []*marketing.Campaign
			var parent crmtype.ID
			for i := range n {
				c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: prefix + string(rune('a'+i)), Type: marketing.TypeEvent,
					Currency: "EUR", ParentID: parent})
				require.NoError(t, err)
				out = append(out, c)
				parent = c.ID
			}
			return out
		}
		a := chain("a", marketing.MaxHierarchyDepth/2)
		b := chain("b", marketing.MaxHierarchyDepth/2+1)
		// a's deepest (level 4) taking b's root (5 levels) makes 9 levels.
		_, err := mk.UpdateCampaign(ctx, b[0].ID, marketing.CampaignUpdate{Version: b[0].Version, ParentID: &a[len(a)-1].ID})
		requireField(t, err, "parent_id")
		// Under a's root: 1 + 5 = 6 levels.
		_, err = mk.UpdateCampaign(ctx, b[0].ID, marketing.CampaignUpdate{Version: b[0].Version, ParentID: &a[0].ID})
		require.NoError(t, err)
	})
}
