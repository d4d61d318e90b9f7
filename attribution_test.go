package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
)

// attrFixture seeds workspace ws for attribution:
//
//	campaign X "winter" channel email, UTM campaign winter-26
//	campaign Y "search" channel search, UTM campaign srch
//	campaigns D1, D2 both with UTM campaign dup (so "dup" is ambiguous)
//
// with journeys (t0 = 2026-11-25 09:00Z; window [t0, t0+10d), lookback
// 7 days):
//
//	ann: X delivered t0−3d, X opened t0−2d, Y sent t0−3d (not a touch),
//	     Y delivered t0−1d, web visit utm_campaign=srch t0+1h;
//	     buys 10000 CNY at t0+2h                      → 4 touches
//	bob: X delivered t0−10d (out of the lookback), X clicked t0−1d,
//	     a call tied to X (campaign_id) t0+12h, a visit utm_campaign=dup
//	     t0+13h (ambiguous: no touch); buys 10001 CNY at t0+1d → 2 touches;
//	     a visit utm_campaign=winter-26 t0+2d; buys $10.00 at t0+3d
//	     (7000 CNY at 7 CNY/USD)                       → 3 touches
//	cat: Y opened t0+5d; buys 2000 CNY at t0+4d (before the touch:
//	     unattributed) and 5000 CNY at t0+6d           → 1 touch
//	dan: buys 4000 CNY at t0+1d, no touch             → unattributed
//	eve: X clicked t0−2d, buys at t0−1d (before the window) and at
//	     t0+10d (the window's end, excluded)           → nothing
type attrFixture struct {
	x, y, d1 *marketing.Campaign
}

func seedAttribution(t *testing.T, ctx context.Context, ws *crm.Workspace) attrFixture {
	t.Helper()
	mk, com := ws.Marketing, ws.Communication
	require.NoError(t, com.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
	newCampaign := func(name, channel, utm string) *marketing.Campaign {
		c, err := mk.CreateCampaign(ctx, marketing.CampaignParams{Name: name, Type: marketing.TypeOutreach, Currency: "CNY",
			Channel: channel, UTM: marketing.UTM{Campaign: utm}})
		require.NoError(t, err)
		return c
	}
	f := attrFixture{x: newCampaign("winter", "email", "winter-26"), y: newCampaign("search", "search", "srch"),
		d1: newCampaign("dup one", "social", "dup")}
	newCampaign("dup two", "social", "dup")
	cs := map[string]crmtype.ID{}
	for _, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: n})
		require.NoError(t, err)
		cs[n] = c.ID
	}
	add := func(c *marketing.Campaign, who ...string) {
		var ids []crmtype.ID
		for _, w := range who {
			ids = append(ids, cs[w])
		}
		res, err := mk.AddMembers(ctx, c.ID, marketing.AddMembersParams{CustomerIDs: ids})
		require.NoError(t, err)
		require.Equal(t, len(ids), res.Added)
	}
	add(f.x, "ann", "bob", "eve")
	add(f.y, "ann", "cat")
	status := func(c *marketing.Campaign, who string, st marketing.MemberStatus, at time.Duration) {
		missing, err := mk.SetMemberStatuses(ctx, c.ID, []marketing.StatusUpdate{{CustomerID: cs[who], Status: st, At: t0.Add(at)}})
		require.NoError(t, err)
		require.Empty(t, missing)
	}
	d := 24 * time.Hour
	status(f.x, "ann", marketing.MemberDelivered, -3*d)
	status(f.x, "ann", marketing.MemberOpened, -2*d)
	status(f.y, "ann", marketing.MemberSent, -3*d)
	status(f.y, "ann", marketing.MemberDelivered, -d)
	status(f.x, "bob", marketing.MemberDelivered, -10*d)
	status(f.x, "bob", marketing.MemberClicked, -d)
	status(f.y, "cat", marketing.MemberOpened, 5*d)
	status(f.x, "eve", marketing.MemberClicked, -2*d)
	visit := func(who string, at time.Duration, ch communication.Channel, campaign crmtype.ID, utm string) {
		p := communication.InteractionParams{CustomerID: cs[who], Channel: ch, Direction: communication.Inbound,
			OccurredAt: t0.Add(at), CampaignID: campaign}
		if utm != "" {
			p.Meta = map[string]string{"utm_source": "newsletter", "utm_campaign": utm}
		}
		_, err := com.Record(ctx, p)
		require.NoError(t, err)
	}
	visit("ann", time.Hour, "web", crmtype.ID{}, "srch")
	visit("bob", 12*time.Hour, communication.Phone, f.x.ID, "")
	visit("bob", 13*time.Hour, "web", crmtype.ID{}, "dup")
	visit("bob", 2*d, "web", crmtype.ID{}, "winter-26")
	visit("dan", 0, "web", crmtype.ID{}, "") // no campaign, no tag: not a touch
	buy := func(who string, at time.Duration, minor int64, cur string) {
		_, err := ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: cs[who], OccurredAt: t0.Add(at),
			Amount: crmtype.Money{Minor: minor, Currency: cur}})
		require.NoError(t, err)
	}
	buy("ann", 2*time.Hour, 10000, "CNY")
	buy("bob", d, 10001, "CNY")
	buy("bob", 3*d, 1000, "USD")
	buy("cat", 4*d, 2000, "CNY")
	buy("cat", 6*d, 5000, "CNY")
	buy("dan", d, 4000, "CNY")
	buy("eve", -d, 9999, "CNY")
	buy("eve", 10*d, 9999, "CNY")
	return f
}

func attrQuery(m marketing.AttributionModel) marketing.AttributionQuery {
	return marketing.AttributionQuery{From: t0, To: t0.Add(10 * 24 * time.Hour), AttributionParams: marketing.AttributionParams{
		Model: m, Lookback: 7 * 24 * time.Hour, HalfLife: 24 * time.Hour, Currency: "CNY", Rates: map[string]float64{"USD": 7}}}
}

func revenues(ts []marketing.AttributionTotal) map[string]int64 {
	out := map[string]int64{}
	for _, t := range ts {
		out[t.Channel] += t.Revenue
	}
	return out
}

func TestAttributionByDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		client, clock := newClient(t, db)
		require.NoError(t, client.Migrate(ctx))
		clock.Set(t0.Add(30 * 24 * time.Hour))
		acme := client.Workspace("acme")
		f := seedAttribution(t, ctx, acme)

		// Another workspace with the same campaign names and UTM tags,
		// members, touches and purchases in the window: never counted in
		// acme, and acme's never in it.
		beta := client.Workspace("beta")
		g := seedAttribution(t, ctx, beta)
		// An acme interaction tied to beta's campaign is no touch.
		ann, err := acme.Customers.Create(ctx, customer.CreateParams{Name: "ann 2"})
		require.NoError(t, err)
		_, err = acme.Communication.Record(ctx, communication.InteractionParams{CustomerID: ann.ID, Channel: communication.Email,
			Direction: communication.Inbound, OccurredAt: t0, CampaignID: g.x.ID})
		require.NoError(t, err)
		_, err = acme.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: ann.ID, OccurredAt: t0.Add(time.Hour),
			Amount: crmtype.Money{Minor: 100, Currency: "CNY"}})
		require.NoError(t, err)

		common := func(r *marketing.Attribution) {
			t.Helper()
			// 7 conversions: ann 10000, bob 10001 and $10 = 7000, cat 2000
			// and 5000, dan 4000, ann 2 100.
			require.Equal(t, 7, r.Conversions)
			require.Equal(t, int64(10000+10001+7000+2000+5000+4000+100), r.Revenue)
			require.Equal(t, 4, r.Attributed)
			require.Equal(t, int64(10000+10001+7000+5000), r.AttributedRevenue)
			require.Equal(t, 3, r.Unattributed) // cat's first, dan's, ann 2's
			require.Equal(t, int64(2000+4000+100), r.UnattributedRevenue)
			var sum int64
			for _, c := range r.Campaigns {
				sum += c.Revenue
				require.NotEqual(t, g.x.ID, c.CampaignID)
			}
			require.Equal(t, r.AttributedRevenue, sum)
			require.Equal(t, marketing.AttributionTotal{CampaignID: f.d1.ID}, r.Campaign(f.d1.ID))
		}

		// Linear:
		//   ann 10000 over X email, X email, Y search, Y web: 2500 each
		//   bob 10001 over X email (clicked), X phone: 5001/5000
		//   bob 7000 over X email, X phone, X web: 2334/2333/2333
		//   cat 5000 to Y search (opened)
		r, err := acme.Marketing.Attribute(ctx, attrQuery(marketing.ModelLinear))
		require.NoError(t, err)
		common(r)
		require.Equal(t, marketing.ModelLinear, r.Model)
		require.Equal(t, "CNY", r.Currency)
		require.Equal(t, t0, r.From)
		x, y := r.Campaign(f.x.ID), r.Campaign(f.y.ID)
		require.Equal(t, int64(5000+5001+5000+2334+2333+2333), x.Revenue)
		require.InDelta(t, 0.5+1+1, x.Conversions, 1e-9)
		require.Equal(t, 7, x.Touches)
		require.Equal(t, int64(2500+2500+5000), y.Revenue)
		require.InDelta(t, 0.5+1, y.Conversions, 1e-9)
		require.Equal(t, 3, y.Touches)
		require.Equal(t, int64(5000+5001+2334), r.CampaignChannel(f.x.ID, "email").Revenue)
		require.Equal(t, int64(5000+2333), r.CampaignChannel(f.x.ID, "phone").Revenue)
		require.Equal(t, int64(2333), r.CampaignChannel(f.x.ID, "web").Revenue)
		require.Equal(t, int64(2500+5000), r.CampaignChannel(f.y.ID, "search").Revenue)
		require.Equal(t, int64(2500), r.CampaignChannel(f.y.ID, "web").Revenue)
		require.Len(t, r.CampaignChannels, 5)
		require.Equal(t, map[string]int64{"email": 12335, "phone": 7333, "web": 4833, "search": 7500}, revenues(r.Channels))
		require.Equal(t, f.x.ID, r.Campaigns[0].CampaignID) // highest revenue first

		// First touch: ann → X email (delivered t0−3d); bob → X email
		// twice; cat → Y.
		r, err = acme.Marketing.Attribute(ctx, attrQuery(marketing.ModelFirstTouch))
		require.NoError(t, err)
		common(r)
		require.Equal(t, int64(10000+10001+7000), r.Campaign(f.x.ID).Revenue)
		require.Equal(t, int64(5000), r.Campaign(f.y.ID).Revenue)
		require.Equal(t, map[string]int64{"email": 27001, "phone": 0, "web": 0, "search": 5000}, revenues(r.Channels))

		// Last touch: ann → Y web (t0+1h); bob → X phone, then X web; cat → Y.
		r, err = acme.Marketing.Attribute(ctx, attrQuery(marketing.ModelLastTouch))
		require.NoError(t, err)
		common(r)
		require.Equal(t, int64(10001+7000), r.Campaign(f.x.ID).Revenue)
		require.Equal(t, int64(10000+5000), r.Campaign(f.y.ID).Revenue)
		require.Equal(t, map[string]int64{"email": 0, "phone": 10001, "web": 17000, "search": 5000}, revenues(r.Channels))

		// Position-based: ann 4 touches 4,1,1,4/10 → 4000/1000/1000/4000;
		// bob 2 touches → 5001/5000; bob 3 touches 2,1,2/5 of 7000 →
		// 2800/1400/2800; cat 5000.
		r, err = acme.Marketing.Attribute(ctx, attrQuery(marketing.ModelPositionBased))
		require.NoError(t, err)
		common(r)
		require.Equal(t, int64(5000+10001+7000), r.Campaign(f.x.ID).Revenue)
		require.Equal(t, int64(1000+4000+5000), r.Campaign(f.y.ID).Revenue)
		require.Equal(t, int64(5000+5001+2800), r.CampaignChannel(f.x.ID, "email").Revenue)
		require.Equal(t, int64(5000+1400), r.CampaignChannel(f.x.ID, "phone").Revenue)
		require.Equal(t, int64(2800), r.CampaignChannel(f.x.ID, "web").Revenue)
		require.Equal(t, int64(1000+5000), r.CampaignChannel(f.y.ID, "search").Revenue)
		require.Equal(t, int64(4000), r.CampaignChannel(f.y.ID, "web").Revenue)

		// Time decay, half-life 1 day; ages from the youngest touch in the
		// window, weights 2^-(age/24h):
		//   ann 10000, ages 73h, 49h, 25h, 0: weights 0.121441, 0.242883,
		//     0.485766, 1 (Σ 1.850090) → quotas 656.41, 1312.82, 2625.63,
		//     5405.14; floors sum to 9998, the 2 left go to the largest
		//     remainders (.82, .63): 656/1313/2626/5405
		//   bob 10001, ages 36h, 0: 2612.30, 7388.70 → 2612/7389
		//   bob 7000, ages 72h, 36h, 0: 591.79, 1673.85, 4734.36 →
		//     floors 6998, 2 left to .85 and .79: 592/1674/4734
		//   cat 5000 to Y.
		r, err = acme.Marketing.Attribute(ctx, attrQuery(marketing.ModelTimeDecay))
		require.NoError(t, err)
		common(r)
		require.Equal(t, int64(656+1313+2612+7389+592+1674+4734), r.Campaign(f.x.ID).Revenue)
		require.Equal(t, int64(2626+5405+5000), r.Campaign(f.y.ID).Revenue)
		require.Equal(t, int64(656+1313+2612+592), r.CampaignChannel(f.x.ID, "email").Revenue)
		require.Equal(t, int64(7389+1674), r.CampaignChannel(f.x.ID, "phone").Revenue)
		require.Equal(t, int64(4734), r.CampaignChannel(f.x.ID, "web").Revenue)
		require.Equal(t, int64(5405), r.CampaignChannel(f.y.ID, "web").Revenue)

		// beta's own view: the same journeys, plus nothing of acme's.
		rb, err := beta.Marketing.Attribute(ctx, attrQuery(marketing.ModelLinear))
		require.NoError(t, err)
		require.Equal(t, 6, rb.Conversions)
		require.Equal(t, int64(22001), rb.Campaign(g.x.ID).Revenue)
		require.Equal(t, int64(10000), rb.Campaign(g.y.ID).Revenue)
		require.Equal(t, marketing.AttributionTotal{CampaignID: f.x.ID}, rb.Campaign(f.x.ID))
		// An empty workspace: nothing.
		rc, err := client.Workspace("gamma").Marketing.Attribute(ctx, attrQuery(marketing.ModelLinear))
		require.NoError(t, err)
		require.Equal(t, 0, rc.Conversions)
		require.Empty(t, rc.Campaigns)

		// Bad input: typed errors naming the field.
		bad := func(field string, edit func(q *marketing.AttributionQuery)) {
			t.Helper()
			q := attrQuery(marketing.ModelTimeDecay)
			edit(&q)
			_, err := acme.Marketing.Attribute(ctx, q)
			require.ErrorIs(t, err, crmtype.ErrInvalid)
			requireField(t, err, field)
		}
		bad("from", func(q *marketing.AttributionQuery) { q.From = time.Time{} })
		bad("to", func(q *marketing.AttributionQuery) { q.To = time.Time{} })
		bad("to", func(q *marketing.AttributionQuery) { q.To = q.From })
		bad("model", func(q *marketing.AttributionQuery) { q.Model = "" })
		bad("lookback", func(q *marketing.AttributionQuery) { q.Lookback = 0 })
		bad("half_life", func(q *marketing.AttributionQuery) { q.HalfLife = 0 })
		bad("currency", func(q *marketing.AttributionQuery) { q.Currency = "" })
		bad("rates.USD", func(q *marketing.AttributionQuery) { q.Rates = nil }) // bob's $10.00
		bad("rates.EUR", func(q *marketing.AttributionQuery) { q.Rates = map[string]float64{"EUR": -1} })
		// No workspace.
		_, err = client.Workspace("").Marketing.Attribute(ctx, attrQuery(marketing.ModelLinear))
		require.ErrorIs(t, err, crmtype.ErrNoWorkspace)
	})
}
