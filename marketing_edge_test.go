package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// reviewCampaign: a campaign in workspace acme with members whose bool
// attribute "vip" is true for two and false for one.
func reviewCampaign(t *testing.T, ctx context.Context, db *bun.DB, attrs []map[string]any) (*marketing.Service, crmtype.ID) {
	client, _ := newClient(t, db)
	ws := client.Workspace("acme")
	require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
	_, err := ws.Customers.DefineAttribute(ctx, customer.AttributeDef{Key: "vip", Type: customer.TypeBool})
	require.NoError(t, err)
	var ids []crmtype.ID
	for i, a := range attrs {
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "客户" + string(rune('A'+i)), Attributes: a})
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	c, err := ws.Marketing.CreateCampaign(ctx, marketing.CampaignParams{Name: "c", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms", StartsAt: t0})
	require.NoError(t, err)
	_, err = ws.Marketing.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: ids})
	require.NoError(t, err)
	return ws.Marketing, c.ID
}

// TestMarketingEdgeResponseByBoolAttribute: the report's response by a boolean
// attribute must group the same values on both databases. PostgreSQL's
// ->> gives "true"/"false"; SQLite's json_extract gives 1/0, cast "1"/"0".
func TestMarketingEdgeResponseByBoolAttribute(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		mk, id := reviewCampaign(t, ctx, db, []map[string]any{{"vip": true}, {"vip": true}, {"vip": false}})
		r, err := mk.Report(ctx, id, marketing.ReportParams{By: []string{"attribute:vip"}})
		require.NoError(t, err)
		var groups []string
		for _, g := range r.ByAttribute["attribute:vip"] {
			groups = append(groups, g.Group)
		}
		require.Equal(t, []string{"false", "true"}, groups)
	})
}

// TestMarketingEdgeCompareCostPerResponse: CompareCampaigns divides the cost of
// the campaign and those under it (Rollup.Cost) by the responses of the
// campaign alone, while Report's ROI divides the same cost by the
// responses of the whole tree (Rollup.Responses). The same campaign gets
// two different costs per response.
func TestMarketingEdgeCompareCostPerResponse(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		ws := client.Workspace("acme")
		mk := ws.Marketing
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		var ids []crmtype.ID
		for i := range 2 {
			c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "客户" + string(rune('A'+i))})
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}
		p, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "p", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms"})
		require.NoError(t, err)
		ch, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "ch", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms", ParentID: p.ID})
		require.NoError(t, err)
		other, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "o", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms"})
		require.NoError(t, err)
		_, _, err = mk.AddCost(ctx, ch.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 1000, Currency: "CNY"}, On: "2026-11-25"})
		require.NoError(t, err)
		for i, c := range []crmtype.ID{p.ID, ch.ID, other.ID} {
			_, err = mk.AddMembers(ctx, c, marketing.AddMembersParams{CustomerIDs: ids[i%2 : i%2+1]})
			require.NoError(t, err)
		}
		clock.Advance(time.Hour)
		for i, c := range []crmtype.ID{p.ID, ch.ID, other.ID} {
			_, err = mk.SetMemberStatuses(ctx, c, []marketing.StatusUpdate{{CustomerID: ids[i%2], Status: marketing.MemberResponded}})
			require.NoError(t, err)
		}
		r, err := mk.Report(ctx, p.ID, marketing.ReportParams{})
		require.NoError(t, err)
		cmp, err := mk.CompareCampaigns(ctx, []crmtype.ID{p.ID, other.ID}, 0)
		require.NoError(t, err)
		require.Equal(t, r.ROI.CostPerResponse, cmp.Campaigns[0].CostPerResponse,
			"Report: cost %d / %d tree responses; Compare: cost %d / %d own responses", r.ROI.Cost, r.Rollup.Responses, cmp.Campaigns[0].Cost, cmp.Campaigns[0].ResponseRate.Successes)
	})
}
