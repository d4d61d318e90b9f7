package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kehu/crm"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/dbtest"
	"github.com/kehu/crm/marketing"
	"github.com/kehu/crm/store"
)

// TestAttributionBatches checks that reading journeys in batches of any
// size gives the same attribution: 23 customers, each a member of one of
// two campaigns with a delivered and a clicked touch, a tagged visit for
// every third, and one to three purchases.
func TestAttributionBatches(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		clock := crmtype.NewManualClock(planNow.Add(30 * 24 * time.Hour))
		client, err := crm.New(db, &crm.Config{Clock: clock})
		require.NoError(t, err)
		ws := client.Workspace("acme")
		require.NoError(t, ws.Communication.SetContactSettings(ctx, communication.ContactSettings{NoRecord: communication.Allow}))
		var cmps [2]*marketing.Campaign
		for i, ch := range []string{"email", "sms"} {
			cmps[i], err = ws.Marketing.CreateCampaign(ctx, marketing.CampaignParams{Name: ch, Type: marketing.TypeOutreach, Currency: "EUR",
				Channel: ch, UTM: marketing.UTM{Campaign: "utm-" + ch}})
			require.NoError(t, err)
		}
		h := time.Hour
		for i := range 23 {
			c, err := ws.Customers.Create(ctx, customer.CreateParams{Name: fmt.Sprint("c", i)})
			require.NoError(t, err)
			cmp := cmps[i%2]
			_, err = ws.Marketing.AddMembers(ctx, cmp.ID, marketing.AddMembersParams{CustomerIDs: []crmtype.ID{c.ID}})
			require.NoError(t, err)
			_, err = ws.Marketing.SetMemberStatuses(ctx, cmp.ID, []marketing.StatusUpdate{
				{CustomerID: c.ID, Status: marketing.MemberDelivered, At: planNow.Add(-time.Duration(i+2) * h)},
				{CustomerID: c.ID, Status: marketing.MemberClicked, At: planNow.Add(-time.Duration(i%5) * h)}})
			require.NoError(t, err)
			if i%3 == 0 {
				_, err = ws.Communication.Record(ctx, communication.InteractionParams{CustomerID: c.ID, Channel: "web",
					Direction: communication.Inbound, OccurredAt: planNow.Add(-30 * time.Minute),
					Meta: map[string]string{"utm_campaign": "utm-" + cmps[(i/3)%2].Channel}})
				require.NoError(t, err)
			}
			for k := range 1 + i%3 {
				_, err = ws.Customers.RecordPurchase(ctx, customer.PurchaseParams{CustomerID: c.ID, OccurredAt: planNow.Add(time.Duration(k) * h),
					Amount: crmtype.Money{Minor: int64(1000*i + 7*k + 1), Currency: "EUR"}})
				require.NoError(t, err)
			}
		}
		q := marketing.AttributionQuery{From: planNow.Add(-h), To: planNow.Add(24 * h), AttributionParams: marketing.AttributionParams{
			Model: marketing.ModelTimeDecay, Lookback: 48 * h, HalfLife: 6 * h, Currency: "EUR"}}
		defer func(n int) { *store.AttributionBatch = n }(*store.AttributionBatch)
		var want *marketing.Attribution
		for _, n := range []int{1000, 23, 22, 4, 1} {
			*store.AttributionBatch = n
			got, err := ws.Marketing.Attribute(ctx, q)
			require.NoError(t, err)
			require.Equal(t, 45, got.Conversions) // 8×1 + 8×2 + 7×3
			require.Equal(t, 45, got.Attributed)
			if want == nil {
				want = got
				continue
			}
			require.Equal(t, want, got, "batch %d", n)
		}
	})
}

const (
	benchConversions = 1_000_000
	benchJourneys    = 4096 // distinct touch sequences, cycled
	benchTouches     = 5
)

// benchJourneys returns journeys of five touches within 20 days before
// attrBenchAt, over 20 campaigns and 4 channels, and the conversions.
func benchData() ([][]marketing.Touch, []marketing.Conversion) {
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []string{"email", "sms", "search", "social"}
	js := make([][]marketing.Touch, benchJourneys)
	for i := range js {
		ts := make([]marketing.Touch, benchTouches)
		for k := range ts {
			c := rng.IntN(20)
			ts[k] = marketing.Touch{CampaignID: crmtype.ID{0: byte(c + 1)}, Channel: channels[c%4],
				At: planNow.Add(-time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))), Kind: marketing.TouchClicked}
		}
		sort.Slice(ts, func(a, b int) bool { return ts[a].At.Before(ts[b].At) })
		js[i] = ts
	}
	cs := make([]marketing.Conversion, benchConversions)
	for i := range cs {
		cs[i] = marketing.Conversion{ID: crmtype.ID{0: byte(i)}, At: planNow, Amount: crmtype.Money{Minor: 1 + rng.Int64N(50_000), Currency: "EUR"}}
	}
	return js, cs
}

// naiveAttribute is the reference: per conversion, a fresh slice of the
// touches in the window, sorted; float weights; credits rounded to the
// nearest unit and the difference put on the largest credit; totals in
// maps.
func naiveAttribute(p marketing.AttributionParams, js [][]marketing.Touch, cs []marketing.Conversion) (map[crmtype.ID]int64, map[string]int64) {
	byCampaign, byPair := map[crmtype.ID]int64{}, map[string]int64{}
	for i, c := range cs {
		var in []marketing.Touch
		for _, t := range js[i%len(js)] {
			if !t.At.After(c.At) && !t.At.Before(c.At.Add(-p.Lookback)) {
				in = append(in, t)
			}
		}
		if len(in) == 0 {
			continue
		}
		sort.SliceStable(in, func(a, b int) bool { return in[a].At.Before(in[b].At) })
		w := make([]float64, len(in))
		n := len(in)
		switch p.Model {
		case marketing.ModelFirstTouch:
			w[0] = 1
		case marketing.ModelLastTouch:
			w[n-1] = 1
		case marketing.ModelLinear:
			for k := range w {
				w[k] = 1
			}
		case marketing.ModelPositionBased:
			for k := range w {
				w[k] = 1
			}
			if n > 2 {
				for k := range w {
					w[k] = 0.2 / float64(n-2)
				}
				w[0], w[n-1] = 0.4, 0.4
			}
		case marketing.ModelTimeDecay:
			for k, t := range in {
				w[k] = math.Exp2(-float64(c.At.Sub(t.At)) / float64(p.HalfLife))
			}
		}
		var tot float64
		for _, x := range w {
			tot += x
		}
		credits := make([]int64, n)
		var sum int64
		big := 0
		for k := range w {
			credits[k] = int64(math.Round(float64(c.Amount.Minor) * w[k] / tot))
			sum += credits[k]
			if credits[k] > credits[big] {
				big = k
			}
		}
		credits[big] += c.Amount.Minor - sum
		for k, t := range in {
			byCampaign[t.CampaignID] += credits[k]
			byPair[t.CampaignID.String()+"/"+t.Channel] += credits[k]
		}
	}
	return byCampaign, byPair
}

// BenchmarkAttributionEngine attributes 1,000,000 conversions with five
// touches each in memory, under each model: "engine" is
// marketing.Attributor (integer largest-remainder split, reused
// buffers, totals per campaign, channel and pair), "naive" the float
// reference above.
//
//	go test ./store -run '^$' -bench AttributionEngine -benchtime 3x
func BenchmarkAttributionEngine(b *testing.B) {
	js, cs := benchData()
	for _, m := range marketing.AttributionModels {
		p := marketing.AttributionParams{Model: m, Lookback: 30 * 24 * time.Hour, HalfLife: 7 * 24 * time.Hour, Currency: "EUR"}
		b.Run(string(m)+"/engine", func(b *testing.B) {
			var total int64
			for b.Loop() {
				a, err := marketing.NewAttributor(p)
				require.NoError(b, err)
				for i, c := range cs {
					if err := a.Add(c, js[i%len(js)]); err != nil {
						b.Fatal(err)
					}
				}
				total = a.Result().AttributedRevenue
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs)), "ns/conversion")
			_ = total
		})
		b.Run(string(m)+"/naive", func(b *testing.B) {
			for b.Loop() {
				naiveAttribute(p, js, cs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cs)), "ns/conversion")
		})
	}
}

const benchDBConversions = 100_000

// BenchmarkAttributionDB attributes 100,000 purchases of as many
// customers, each with five touches in the member log (campaign A
// delivered, opened, clicked; campaign B delivered, opened), read from
// the database: "attribute" is marketing.Service.Attribute (linear),
// "read" the floor beside it: the same purchases and log rows read by
// two plain bun selects into slices, with no grouping and no
// attribution.
//
//	go test ./store -run '^$' -bench AttributionDB -benchtime 3x
func BenchmarkAttributionDB(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, kind)
			pg := db.Dialect().Name() == dialect.PG
			client, err := crm.New(db, &crm.Config{Clock: crmtype.NewManualClock(planNow)})
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, planCustomersSQL(pg, 2*benchDBConversions))
			require.NoError(b, err)
			ws := client.Workspace("acme")
			st := store.New(db)
			sc, err := crmtype.NewScope(ctx, "acme")
			require.NoError(b, err)
			var ids [2]crmtype.ID
			for k, ch := range []string{"email", "sms"} {
				c, err := ws.Marketing.CreateCampaign(ctx, marketing.CampaignParams{Name: ch, Type: marketing.TypeOutreach, Currency: "EUR", Channel: ch})
				require.NoError(b, err)
				ids[k] = c.ID
				ms := make([]marketing.Member, benchDBConversions)
				for i := range ms {
					ms[i] = marketing.Member{CampaignID: c.ID, CustomerID: planCustomer(2 * i), Status: marketing.MemberAdded, StatusAt: planNow.Add(-30 * 24 * time.Hour),
						Source: "ids", AddedAt: planNow.Add(-30 * 24 * time.Hour)}
				}
				_, err = st.InsertMembers(ctx, sc, c.ID, ms, func(int) crmtype.Event {
					return crmtype.Event{Time: planNow, Type: marketing.EventMembersAdded, SubjectType: marketing.SubjectCampaign, Subject: c.ID}
				})
				require.NoError(b, err)
			}
			// Five log entries per member pair and one purchase per
			// customer, generated in SQL; ids derived from the customer's.
			ts := func(d time.Duration) string {
				s := planNow.Add(d).Format("2006-01-02 15:04:05")
				if pg {
					return "timestamptz '" + s + "+00'"
				}
				return "'" + s + "+00:00'"
			}
			id := func(k int) string {
				if pg {
					return fmt.Sprintf("replace(m.customer_id::text, '-0000-', '-000%d-')::uuid", k)
				}
				return fmt.Sprintf("replace(m.customer_id, '-0000-', '-000%d-')", k)
			}
			h := time.Hour
			for k, e := range []struct {
				campaign int
				status   string
				at       time.Duration
			}{{0, "delivered", -72 * h}, {0, "opened", -48 * h}, {0, "clicked", -24 * h}, {1, "delivered", -36 * h}, {1, "opened", -12 * h}} {
				_, err = db.DB.ExecContext(ctx, fmt.Sprintf(`INSERT INTO crm_campaign_member_log (workspace_id, id, campaign_id, customer_id, status, occurred_at)
SELECT m.workspace_id, %s, m.campaign_id, m.customer_id, '%s', %s FROM crm_campaign_members m WHERE m.workspace_id = 'acme' AND m.campaign_id = '%s'`,
					id(k+1), e.status, ts(e.at), ids[e.campaign]))
				require.NoError(b, err)
			}
			_, err = db.DB.ExecContext(ctx, fmt.Sprintf(`INSERT INTO crm_purchases (workspace_id, id, customer_id, occurred_at, amount_minor, currency, created_at)
SELECT m.workspace_id, %s, m.customer_id, %s, 1 + (length(m.customer_id%s) * 7919 + %s) %% 50000, 'EUR', %s
FROM crm_campaign_members m WHERE m.workspace_id = 'acme' AND m.campaign_id = '%s'`,
				id(9), ts(0), map[bool]string{true: "::text", false: ""}[pg],
				map[bool]string{true: "('x' || substr(m.customer_id::text, 1, 8))::bit(32)::int", false: "unicode(substr(m.customer_id, 8, 1))"}[pg],
				ts(0), ids[0]))
			require.NoError(b, err)
			_, err = db.DB.ExecContext(ctx, "ANALYZE")
			require.NoError(b, err)

			q := marketing.AttributionQuery{From: planNow.Add(-h), To: planNow.Add(h), AttributionParams: marketing.AttributionParams{
				Model: marketing.ModelLinear, Lookback: 7 * 24 * h, Currency: "EUR"}}
			b.Run("attribute", func(b *testing.B) {
				for b.Loop() {
					r, err := ws.Marketing.Attribute(ctx, q)
					require.NoError(b, err)
					require.Equal(b, benchDBConversions, r.Conversions)
					require.Equal(b, benchDBConversions, r.Attributed)
					require.Equal(b, 5*benchDBConversions, r.Campaign(ids[0]).Touches+r.Campaign(ids[1]).Touches)
				}
				b.ReportMetric(float64(benchDBConversions*b.N)/b.Elapsed().Seconds(), "conversions/s")
			})
			b.Run("read", func(b *testing.B) {
				for b.Loop() {
					var ps []struct {
						ID         crmtype.ID `bun:"id"`
						CustomerID crmtype.ID `bun:"customer_id"`
						OccurredAt time.Time  `bun:"occurred_at"`
						Amount     int64      `bun:"amount_minor"`
						Currency   string     `bun:"currency"`
					}
					require.NoError(b, db.NewSelect().TableExpr("crm_purchases AS p").Column("p.id", "p.customer_id", "p.occurred_at", "p.amount_minor", "p.currency").
						Where("p.workspace_id = ?", "acme").Where("p.occurred_at >= ?", q.From).Where("p.occurred_at < ?", q.To).Scan(ctx, &ps))
					var ls []struct {
						CustomerID crmtype.ID `bun:"customer_id"`
						CampaignID crmtype.ID `bun:"campaign_id"`
						Status     string     `bun:"status"`
						OccurredAt time.Time  `bun:"occurred_at"`
					}
					require.NoError(b, db.NewSelect().TableExpr("crm_campaign_member_log AS mlog").Column("mlog.customer_id", "mlog.campaign_id", "mlog.status", "mlog.occurred_at").
						Where("mlog.workspace_id = ?", "acme").Where("mlog.status IN (?)", bun.In([]string{"delivered", "opened", "clicked"})).
						Where("mlog.occurred_at >= ?", q.From.Add(-q.Lookback)).Where("mlog.occurred_at < ?", q.To).Scan(ctx, &ls))
					require.Len(b, ps, benchDBConversions)
					require.Len(b, ls, 5*benchDBConversions)
				}
				b.ReportMetric(float64(benchDBConversions*b.N)/b.Elapsed().Seconds(), "conversions/s")
			})
		})
	}
}
