package crm_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// TestCampaignReport: ten members, four with purchases; the funnel, the
// response by stage and by RFM segment, and the ROI are worked by hand.
func TestCampaignReport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		ws := client.Workspace("acme")
		mk := ws.Marketing
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		var ids []crmtype.ID
		for i := range 10 {
			stage := customer.StageLead
			if i < 4 {
				stage = customer.StageCustomer
			}
			c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: "客户" + string(rune('A'+i)), Stage: stage})
			require.NoError(t, err)
			ids = append(ids, c.ID)
			if i < 4 {
				_, err = ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0.Add(-time.Duration(i+1) * 24 * time.Hour),
					Amount: crmtype.Money{Minor: int64(1000 * (i + 1)), Currency: "CNY"}, Quantity: 1})
				require.NoError(t, err)
			}
		}
		c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "c", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms", StartsAt: t0})
		require.NoError(t, err)
		_, _, err = mk.AddCost(ctx, c.ID, marketing.CostParams{Kind: marketing.CostMedia, Amount: crmtype.Money{Minor: 5000, Currency: "CNY"}, On: "2026-11-25"})
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: ids})
		require.NoError(t, err)
		clock.Advance(time.Hour)
		var ups []marketing.StatusUpdate
		for i, id := range ids {
			ups = append(ups, marketing.StatusUpdate{CustomerID: id, Status: marketing.MemberSent})
			if i < 8 {
				ups = append(ups, marketing.StatusUpdate{CustomerID: id, Status: marketing.MemberDelivered})
			}
			if i < 3 || i == 6 { // responders: customers 0, 1, 2 and lead 6
				ups = append(ups, marketing.StatusUpdate{CustomerID: id, Status: marketing.MemberResponded})
			}
		}
		_, err = mk.SetMemberStatuses(ctx, c.ID, ups)
		require.NoError(t, err)

		_, err = mk.Report(ctx, c.ID, marketing.ReportParams{By: []string{"favourite colour"}})
		requireField(t, err, "by[0]")
		r, err := mk.Report(ctx, c.ID, marketing.ReportParams{Revenue: 8000, RevenueKind: "attributed", Conversions: 2})
		require.NoError(t, err)
		require.Equal(t, 10, r.Members)
		require.Equal(t, 4, r.Responded)
		require.InDelta(t, 0.4, r.ResponseRate.Value, 1e-12)
		want, err := analysis.WilsonInterval(4, 10, 0.95)
		require.NoError(t, err)
		require.Equal(t, want, r.ResponseRate.Interval)
		// Funnel: everyone added and sent, 8 delivered, 4 responded.
		var funnel []string
		for _, f := range r.Funnel {
			funnel = append(funnel, string(f.Status)+":"+itoa(f.Successes))
		}
		require.Equal(t, []string{"added:10", "sent:10", "delivered:8", "responded:4"}, funnel)
		// By stage: customers 3 of 4 responded, leads 1 of 6.
		require.Len(t, r.ByAttribute[marketing.GroupStage], 2)
		for _, g := range r.ByAttribute[marketing.GroupStage] {
			switch g.Group {
			case string(customer.StageCustomer):
				require.Equal(t, [2]int{3, 4}, [2]int{g.Successes, g.N})
			case string(customer.StageLead):
				require.Equal(t, [2]int{1, 6}, [2]int{g.Successes, g.N})
			default:
				t.Fatalf("unexpected group %q", g.Group)
			}
		}
		// By RFM: the six without purchases form one group, 1 of 6.
		var total int
		for _, g := range r.ByRFM {
			total += g.N
			if g.Group == "No purchases" {
				require.Equal(t, [2]int{1, 6}, [2]int{g.Successes, g.N})
			}
		}
		require.Equal(t, 10, total)
		// ROI: (8000 − 5000) / 5000 = 0.6; 500 per member, 1250 per
		// response, 2500 per conversion.
		require.InDelta(t, 0.6, r.ROI.Return, 1e-12)
		require.InDelta(t, 500, r.ROI.CostPerMember, 1e-9)
		require.InDelta(t, 1250, r.ROI.CostPerResponse, 1e-9)
		require.InDelta(t, 2500, r.ROI.CostPerConversion, 1e-9)
		require.Nil(t, r.Ads)

		_, err = client.Workspace("beta").Marketing.Report(ctx, c.ID, marketing.ReportParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// A second campaign where 8 of 10 responded. Pearson's X² on
		// [[4 6] [8 2]]: expected 6, 4 per row; 4/6 + 4/4 + 4/6 + 4/4 =
		// 3.3333 with 1 degree of freedom (R: prop.test(c(4, 8), c(10, 10),
		// correct = FALSE) gives X-squared = 3.3333, p-value = 0.06789).
		c2, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: "c2", Type: marketing.TypeOutreach, Currency: "CNY", Channel: "sms"})
		require.NoError(t, err)
		_, err = mk.AddMembers(ctx, c2.ID, marketing.AddMembersParams{CustomerIDs: ids})
		require.NoError(t, err)
		var ups2 []marketing.StatusUpdate
		for _, id := range ids[:8] {
			ups2 = append(ups2, marketing.StatusUpdate{CustomerID: id, Status: marketing.MemberResponded})
		}
		_, err = mk.SetMemberStatuses(ctx, c2.ID, ups2)
		require.NoError(t, err)
		_, err = mk.CompareCampaigns(ctx, []crmtype.ID{c.ID}, 0)
		requireField(t, err, "ids")
		cmp, err := mk.CompareCampaigns(ctx, []crmtype.ID{c.ID, c2.ID}, 0)
		require.NoError(t, err)
		require.Equal(t, 4, cmp.Campaigns[0].ResponseRate.Successes)
		require.Equal(t, 8, cmp.Campaigns[1].ResponseRate.Successes)
		require.InDelta(t, 1250, cmp.Campaigns[0].CostPerResponse, 1e-9)
		require.NotNil(t, cmp.ChiSquare)
		require.InDelta(t, 10.0/3, cmp.ChiSquare.Statistic, 1e-9)
		require.InDelta(t, 0.06789, cmp.ChiSquare.P, 5e-5)
		_, err = client.Workspace("beta").Marketing.CompareCampaigns(ctx, []crmtype.ID{c.ID, c2.ID}, 0)
		require.ErrorIs(t, err, crmtype.ErrNotFound)

		// With attribution: customer 0 was delivered the campaign at
		// t0+1h and bought for 30.00 at t0+2h: its one touch gets it all,
		// and the ROI counts it: (3000 − 5000) / 5000 = −0.4.
		clock.Set(t0.Add(3 * time.Hour))
		_, err = ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: ids[0], OccurredAt: t0.Add(2 * time.Hour),
			Amount: crmtype.Money{Minor: 3000, Currency: "CNY"}, Quantity: 1})
		require.NoError(t, err)
		r, err = mk.Report(ctx, c.ID, marketing.ReportParams{Attribution: &marketing.AttributionQuery{From: t0, To: t0.Add(24 * time.Hour),
			AttributionParams: marketing.AttributionParams{Model: marketing.ModelLinear, Lookback: 7 * 24 * time.Hour, Currency: "CNY"}}})
		require.NoError(t, err)
		require.Equal(t, int64(3000), r.Attributed.Revenue)
		require.InDelta(t, 1, r.Attributed.Conversions, 1e-12)
		require.Equal(t, int64(3000), r.ROI.Revenue)
		require.InDelta(t, -0.4, r.ROI.Return, 1e-12)
		require.InDelta(t, 5000, r.ROI.CostPerConversion, 1e-9)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
