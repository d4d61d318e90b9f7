package crm_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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
	"github.com/kehu/crm/marketing"
)

// promoFixture is a migrated database with, in workspace ws, a USD
// promotion campaign and two customers, and the workspace's services on a
// manual clock at t0.
type promoFixture struct {
	db     *bun.DB
	client *crm.Client
	clock  *crmtype.ManualClock
	ws     string
	w      *crm.Workspace
	mkt    *marketing.Service
	camp   *marketing.Campaign
	alice  *customer.Customer
	bob    *customer.Customer
	orders int
}

func newPromoFixture(t *testing.T, db *bun.DB, ws string) *promoFixture {
	t.Helper()
	ctx := context.Background()
	client, clock := newClient(t, db)
	w := client.Workspace(ws)
	f := &promoFixture{db: db, client: client, clock: clock, ws: ws, w: w, mkt: w.Marketing}
	var err error
	f.camp, err = f.mkt.CreateCampaign(ctx, marketing.CampaignParams{Name: "Winter sale", Type: marketing.TypePromotion, Currency: "USD"})
	require.NoError(t, err)
	f.alice, err = w.Customers.Create(ctx, customer.CreateParams{Name: "Alice"})
	require.NoError(t, err)
	f.bob, err = w.Customers.Create(ctx, customer.CreateParams{Name: "Bob"})
	require.NoError(t, err)
	return f
}

// purchase records a purchase of c of minor units in currency.
func (f *promoFixture) purchase(t *testing.T, c *customer.Customer, minor int64, currency string) *customer.Purchase {
	t.Helper()
	f.orders++
	p, err := f.w.Customers.RecordPurchase(context.Background(), customer.PurchaseParams{CustomerID: c.ID, OccurredAt: t0,
		Amount: crmtype.Money{Minor: minor, Currency: currency}, OrderID: fmt.Sprintf("%s-o-%d", f.ws, f.orders)})
	require.NoError(t, err)
	return p
}

func (f *promoFixture) offer(t *testing.T, p marketing.OfferParams) *marketing.Offer {
	t.Helper()
	if p.CampaignID.IsZero() {
		p.CampaignID = f.camp.ID
	}
	o, err := f.mkt.CreateOffer(context.Background(), p)
	require.NoError(t, err)
	return o
}

// promoTables are the tables a promotion writes to.
var promoTables = []string{"crm_promo_offers", "crm_promo_codes", "crm_promo_redemptions", "crm_campaign_costs", "crm_events"}

// promoDump renders workspace ws's rows of promoTables as text.
func promoDump(t *testing.T, ctx context.Context, db *bun.DB, ws string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range promoTables {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+table+" WHERE workspace_id = ?", ws)
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
			out[table] = append(out[table], fmt.Sprint(vals...))
		}
		require.NoError(t, rows.Err())
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

func promoRequireField(t *testing.T, err error, sentinel error, field string) {
	t.Helper()
	require.ErrorIs(t, err, sentinel)
	var ve *crmtype.ValidationError
	var ce *crmtype.ConflictError
	switch {
	case errors.As(err, &ve):
		require.Equal(t, field, ve.Field, "%v", err)
	case errors.As(err, &ce):
		require.Equal(t, field, ce.Field, "%v", err)
	default:
		t.Fatalf("%v names no field", err)
	}
}

func TestPromotionOfferCRUD(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crmtype.WithActor(context.Background(), "marketer-1")
		f := newPromoFixture(t, db, "acme")
		from, to := t0.Add(time.Hour), t0.Add(48*time.Hour)
		o, err := f.mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: f.camp.ID, Name: "  Ten off  ",
			Discount: marketing.Discount{PercentBP: 1000, MaxDiscount: 5000}, MinSpend: 2000, ValidFrom: from, ValidTo: to,
			PerCustomerLimit: 1, TotalLimit: 100, CodePolicy: marketing.CodeSingleUse, RecordCost: true})
		require.NoError(t, err)
		require.Equal(t, "Ten off", o.Name)
		require.Equal(t, "USD", o.Currency)
		require.Equal(t, int64(1), o.Version)
		require.Equal(t, "", o.SharedCode)
		got, err := f.mkt.Offer(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, o, got)

		shared := f.offer(t, marketing.OfferParams{Name: "Five dollars", Discount: marketing.Discount{AmountOff: 500},
			CodePolicy: marketing.CodeShared, Code: " summer-25 "})
		require.Equal(t, "SUMMER-25", shared.SharedCode)
		gen := f.offer(t, marketing.OfferParams{Name: "Generated", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared})
		require.Regexp(t, "^["+marketing.CodeAlphabet+"]{12}$", gen.SharedCode)
		codes, err := f.mkt.Codes(ctx, shared.ID, marketing.CodeListParams{})
		require.NoError(t, err)
		require.Len(t, codes.Items, 1)
		require.Equal(t, "SUMMER-25", codes.Items[0].Code)
		require.False(t, codes.Items[0].SingleUse)

		// Conflicts and missing parents: nothing written.
		before := promoDump(t, ctx, db, "acme")
		_, err = f.mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: f.camp.ID, Name: "Ten off", Discount: marketing.Discount{PercentBP: 1}, CodePolicy: marketing.CodeSingleUse})
		promoRequireField(t, err, crmtype.ErrConflict, "name")
		_, err = f.mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: f.camp.ID, Name: "Other", Discount: marketing.Discount{PercentBP: 1}, CodePolicy: marketing.CodeShared, Code: "Summer-25"})
		promoRequireField(t, err, crmtype.ErrConflict, "code")
		_, err = f.mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: crmtype.NewID(t0), Name: "Other", Discount: marketing.Discount{PercentBP: 1}, CodePolicy: marketing.CodeSingleUse})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, promoDump(t, ctx, db, "acme"))

		// Update, versioned.
		f.clock.Advance(time.Minute)
		name, limit, disc := "Twelve off", 2, marketing.Discount{PercentBP: 1200}
		up, err := f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 1, Name: &name, PerCustomerLimit: &limit, Discount: &disc})
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, name, up.Name)
		require.Equal(t, disc, up.Discount)
		require.Equal(t, 2, up.PerCustomerLimit)
		require.Equal(t, f.clock.Now(), up.UpdatedAt)
		require.Equal(t, o.CreatedAt, up.CreatedAt)
		got, err = f.mkt.Offer(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, up, got)
		same, err := f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 2, Name: &name})
		require.NoError(t, err)
		require.Equal(t, up, same) // nothing changed: no new version, no event
		before = promoDump(t, ctx, db, "acme")
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 1, Name: &name})
		promoRequireField(t, err, crmtype.ErrConflict, "version")
		taken := "Five dollars"
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 2, Name: &taken})
		promoRequireField(t, err, crmtype.ErrConflict, "name")
		early := from.Add(-time.Hour)
		late := to
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 2, ValidFrom: &late, ValidTo: &early})
		promoRequireField(t, err, crmtype.ErrInvalid, "valid_to")
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 2, ValidFrom: &late}) // from = to
		promoRequireField(t, err, crmtype.ErrInvalid, "valid_to")
		bad := marketing.Discount{PercentBP: 20000}
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: 2, Discount: &bad})
		promoRequireField(t, err, crmtype.ErrInvalid, "discount.percent_bp")
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Name: &name})
		promoRequireField(t, err, crmtype.ErrInvalid, "version")
		_, err = f.mkt.UpdateOffer(ctx, crmtype.NewID(t0), marketing.OfferUpdate{Version: 1, Name: &name})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, promoDump(t, ctx, db, "acme"))

		// List, by name, in pages.
		other, err := f.mkt.CreateCampaign(ctx, marketing.CampaignParams{Name: "Spring", Type: marketing.TypePromotion, Currency: "EUR"})
		require.NoError(t, err)
		eur := f.offer(t, marketing.OfferParams{CampaignID: other.ID, Name: "Five dollars", Discount: marketing.Discount{AmountOff: 500}, CodePolicy: marketing.CodeSingleUse})
		require.Equal(t, "EUR", eur.Currency)
		var names []string
		var cur crmtype.Cursor
		for {
			page, err := f.mkt.Offers(ctx, marketing.OfferListParams{Limit: 1, After: cur})
			require.NoError(t, err)
			for _, x := range page.Items {
				names = append(names, x.Name)
			}
			if page.Next == "" {
				break
			}
			cur = page.Next
		}
		require.Equal(t, []string{"Five dollars", "Five dollars", "Generated", "Twelve off"}, names)
		page, err := f.mkt.Offers(ctx, marketing.OfferListParams{CampaignID: other.ID})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		require.Equal(t, eur, page.Items[0])
		_, err = f.mkt.Offers(ctx, marketing.OfferListParams{After: "garbage"})
		require.ErrorIs(t, err, crmtype.ErrInvalid)

		// Events: created ×4, updated ×1, with the actor.
		var types []string
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.SubjectType == marketing.SubjectOffer {
				types = append(types, e.Type)
				if e.Subject == o.ID {
					require.Equal(t, "marketer-1", e.Actor)
				}
			}
			if e.Type == marketing.EventOfferUpdated {
				require.Equal(t, o.ID, e.Subject)
				var fields []string
				for _, c := range e.Changes {
					fields = append(fields, c.Field)
				}
				require.ElementsMatch(t, []string{"name", "per_customer_limit", "percent_bp", "max_discount"}, fields)
			}
		}
		require.Equal(t, []string{"offer.created", "offer.created", "offer.created", "offer.updated", "offer.created"}, types)
	})
}

var promoCodeRE = regexp.MustCompile(`^XMAS-[` + marketing.CodeAlphabet + `]{10}$`)

func TestPromotionGenerateCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newPromoFixture(t, db, "acme")
		o := f.offer(t, marketing.OfferParams{Name: "Ten off", Discount: marketing.Discount{PercentBP: 1000}, CodePolicy: marketing.CodeSingleUse})
		b, err := f.mkt.GenerateCodes(ctx, o.ID, 2345, marketing.CodeParams{Prefix: "xmas-", Length: 10})
		require.NoError(t, err)
		require.Len(t, b.Codes, 2345)
		require.InDelta(t, 49.07, b.Bits, 0.01)
		set := map[string]bool{}
		for _, c := range b.Codes {
			require.Regexp(t, promoCodeRE, c)
			require.False(t, set[c])
			set[c] = true
		}
		b2, err := f.mkt.GenerateCodes(ctx, o.ID, 10, marketing.CodeParams{})
		require.NoError(t, err)
		for _, c := range b2.Codes {
			require.Regexp(t, "^["+marketing.CodeAlphabet+"]{12}$", c)
			require.False(t, set[c])
			set[c] = true
		}

		// Listed by code in pages, all unused.
		var listed []string
		var cur crmtype.Cursor
		for {
			page, err := f.mkt.Codes(ctx, o.ID, marketing.CodeListParams{Limit: 500, After: cur, Status: marketing.CodeUnused})
			require.NoError(t, err)
			for _, c := range page.Items {
				require.Equal(t, marketing.CodeUnused, c.Status)
				require.True(t, c.SingleUse)
				require.Equal(t, o.ID, c.OfferID)
				require.Equal(t, t0, c.CreatedAt)
				listed = append(listed, c.Code)
			}
			if page.Next == "" {
				break
			}
			cur = page.Next
		}
		require.Len(t, listed, len(set))
		require.True(t, sort.StringsAreSorted(listed))
		page, err := f.mkt.Codes(ctx, o.ID, marketing.CodeListParams{Status: marketing.CodeRedeemed})
		require.NoError(t, err)
		require.Empty(t, page.Items)

		// One event per call, not per code.
		var evs []crmtype.Event
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.Type == marketing.EventCodesGenerated {
				evs = append(evs, e)
			}
		}
		require.Len(t, evs, 2)
		require.Equal(t, o.ID, evs[0].Subject)
		require.Contains(t, evs[0].Changes, crmtype.Change{Field: "count", After: float64(2345)})
		require.Contains(t, evs[0].Changes, crmtype.Change{Field: "batch_id", After: b.BatchID.String()})

		// Bad input: typed errors, nothing written.
		shared := f.offer(t, marketing.OfferParams{Name: "Shared", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared})
		before := promoDump(t, ctx, db, "acme")
		_, err = f.mkt.GenerateCodes(ctx, shared.ID, 10, marketing.CodeParams{})
		promoRequireField(t, err, crmtype.ErrInvalid, "code_policy")
		_, err = f.mkt.GenerateCodes(ctx, o.ID, 0, marketing.CodeParams{})
		promoRequireField(t, err, crmtype.ErrInvalid, "n")
		_, err = f.mkt.GenerateCodes(ctx, o.ID, 10, marketing.CodeParams{Prefix: "x'; drop"})
		promoRequireField(t, err, crmtype.ErrInvalid, "prefix")
		_, err = f.mkt.GenerateCodes(ctx, o.ID, 10, marketing.CodeParams{Length: 6})
		promoRequireField(t, err, crmtype.ErrInvalid, "length")
		_, err = f.mkt.GenerateCodes(ctx, crmtype.NewID(t0), 10, marketing.CodeParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = f.mkt.Codes(ctx, o.ID, marketing.CodeListParams{Status: "lost"})
		promoRequireField(t, err, crmtype.ErrInvalid, "status")
		_, err = f.mkt.Codes(ctx, crmtype.NewID(t0), marketing.CodeListParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, promoDump(t, ctx, db, "acme"))
	})
}

func TestRedeemDiscountAndLedger(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := crmtype.WithActor(context.Background(), "till-3")
		f := newPromoFixture(t, db, "acme")
		pct := f.offer(t, marketing.OfferParams{Name: "Ten off", Discount: marketing.Discount{PercentBP: 1000}, CodePolicy: marketing.CodeSingleUse, RecordCost: true})
		fixed := f.offer(t, marketing.OfferParams{Name: "Five dollars", Discount: marketing.Discount{AmountOff: 500}, CodePolicy: marketing.CodeShared, Code: "FIVE"})
		b, err := f.mkt.GenerateCodes(ctx, pct.ID, 3, marketing.CodeParams{})
		require.NoError(t, err)

		f.clock.Advance(time.Hour)
		p1 := f.purchase(t, f.alice, 1255, "USD")
		r, err := f.mkt.Redeem(ctx, marketing.RedeemParams{Code: " " + strings.ToLower(b.Codes[0]) + " ", CustomerID: f.alice.ID, PurchaseID: p1.ID})
		require.NoError(t, err)
		// 10% of 12.55 is 125.5 cents: half to even, 126.
		require.Equal(t, crmtype.Money{Minor: 126, Currency: "USD"}, r.Discount)
		require.Equal(t, crmtype.Money{Minor: 1255, Currency: "USD"}, r.Purchase)
		require.Equal(t, b.Codes[0], r.Code)
		require.Equal(t, pct.ID, r.OfferID)
		require.Equal(t, f.camp.ID, r.CampaignID)
		require.Equal(t, f.clock.Now(), r.RedeemedAt)
		require.False(t, r.CostID.IsZero())

		// The ledger: one discount line.
		costs, err := f.mkt.Costs(ctx, f.camp.ID, 0, "")
		require.NoError(t, err)
		require.Len(t, costs.Items, 1)
		require.Equal(t, r.CostID, costs.Items[0].ID)
		require.Equal(t, marketing.CostDiscount, costs.Items[0].Kind)
		require.Equal(t, r.Discount, costs.Items[0].Amount)
		require.Equal(t, "2026-11-25", costs.Items[0].On)
		require.Equal(t, "redemption:"+r.ID.String(), costs.Items[0].Source)
		roll, err := f.mkt.Rollup(ctx, f.camp.ID)
		require.NoError(t, err)
		require.Equal(t, int64(126), roll.Cost["USD"])

		// A fixed amount never exceeds the purchase; no ledger line.
		f.clock.Advance(time.Minute)
		p2 := f.purchase(t, f.alice, 300, "USD")
		r2, err := f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "five", CustomerID: f.alice.ID, PurchaseID: p2.ID})
		require.NoError(t, err)
		require.Equal(t, int64(300), r2.Discount.Minor)
		require.True(t, r2.CostID.IsZero())
		p3 := f.purchase(t, f.bob, 1999, "USD")
		r3, err := f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "FIVE", CustomerID: f.bob.ID, PurchaseID: p3.ID})
		require.NoError(t, err)
		require.Equal(t, int64(500), r3.Discount.Minor)

		// Statuses and counts.
		got, err := f.mkt.Offer(ctx, fixed.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.Redemptions)
		require.Equal(t, fixed.Version, got.Version)
		codes, err := f.mkt.Codes(ctx, pct.ID, marketing.CodeListParams{Status: marketing.CodeRedeemed})
		require.NoError(t, err)
		require.Len(t, codes.Items, 1)
		require.Equal(t, b.Codes[0], codes.Items[0].Code)
		require.Equal(t, r.RedeemedAt, codes.Items[0].RedeemedAt)
		require.Equal(t, 1, codes.Items[0].Redemptions)
		codes, err = f.mkt.Codes(ctx, fixed.ID, marketing.CodeListParams{})
		require.NoError(t, err)
		require.Equal(t, 2, codes.Items[0].Redemptions)
		require.Equal(t, marketing.CodeRedeemed, codes.Items[0].Status)

		// Listings by offer and by customer.
		list, err := f.mkt.Redemptions(ctx, marketing.RedemptionListParams{OfferID: fixed.ID})
		require.NoError(t, err)
		require.Equal(t, []*marketing.Redemption{r2, r3}, list.Items)
		list, err = f.mkt.Redemptions(ctx, marketing.RedemptionListParams{CustomerID: f.alice.ID, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, []*marketing.Redemption{r}, list.Items)
		list, err = f.mkt.Redemptions(ctx, marketing.RedemptionListParams{CustomerID: f.alice.ID, Limit: 1, After: list.Next})
		require.NoError(t, err)
		require.Equal(t, []*marketing.Redemption{r2}, list.Items)
		require.Empty(t, list.Next)
		list, err = f.mkt.Redemptions(ctx, marketing.RedemptionListParams{OfferID: fixed.ID, CustomerID: f.bob.ID})
		require.NoError(t, err)
		require.Equal(t, []*marketing.Redemption{r3}, list.Items)
		list, err = f.mkt.Redemptions(ctx, marketing.RedemptionListParams{})
		require.NoError(t, err)
		require.Len(t, list.Items, 3)

		// On the customer's timeline.
		tl, err := f.w.Events.Timeline(ctx, f.alice.ID, event.Query{})
		require.NoError(t, err)
		var redeemed []crmtype.Event
		for _, e := range tl.Items {
			if e.Type == marketing.EventCodeRedeemed {
				redeemed = append(redeemed, e)
			}
		}
		require.Len(t, redeemed, 2)
		require.Equal(t, r2.ID, redeemed[0].Subject) // newest first
		require.Equal(t, "FIVE", redeemed[0].SubjectKey)
		require.Equal(t, "till-3", redeemed[0].Actor)
		require.Contains(t, redeemed[1].Changes, crmtype.Change{Field: "discount", After: float64(126)})
	})
}

func TestRedeemValidityWindow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newPromoFixture(t, db, "acme")
		o := f.offer(t, marketing.OfferParams{Name: "Happy hour", Discount: marketing.Discount{PercentBP: 2500}, CodePolicy: marketing.CodeShared,
			Code: "HAPPY", ValidFrom: t0.Add(time.Hour), ValidTo: t0.Add(2 * time.Hour)})
		p := f.purchase(t, f.alice, 1000, "USD")
		redeem := func() (*marketing.Redemption, error) {
			return f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "HAPPY", CustomerID: f.alice.ID, PurchaseID: p.ID})
		}
		before := promoDump(t, ctx, db, "acme")
		_, err := redeem()
		promoRequireField(t, err, crmtype.ErrInvalid, "code")
		require.Contains(t, err.Error(), "not valid yet")
		f.clock.Set(t0.Add(time.Hour - time.Microsecond))
		_, err = redeem()
		promoRequireField(t, err, crmtype.ErrInvalid, "code")
		f.clock.Set(t0.Add(2 * time.Hour)) // ValidTo is exclusive
		_, err = redeem()
		promoRequireField(t, err, crmtype.ErrInvalid, "code")
		require.Contains(t, err.Error(), "expired")
		require.Equal(t, before, promoDump(t, ctx, db, "acme"))

		f.clock.Set(t0.Add(time.Hour)) // ValidFrom is inclusive
		r, err := redeem()
		require.NoError(t, err)
		require.Equal(t, int64(250), r.Discount.Minor)

		// Moving the window (a versioned update) ends it.
		end := t0.Add(time.Hour)
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: o.Version, ValidTo: &end})
		promoRequireField(t, err, crmtype.ErrInvalid, "valid_to")
		end = t0.Add(time.Hour + time.Second)
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: o.Version, ValidTo: &end})
		require.NoError(t, err)
		f.clock.Advance(time.Second)
		p2 := f.purchase(t, f.alice, 1000, "USD")
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "HAPPY", CustomerID: f.alice.ID, PurchaseID: p2.ID})
		promoRequireField(t, err, crmtype.ErrInvalid, "code")
	})
}

func TestRedeemBadInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newPromoFixture(t, db, "acme")
		o := f.offer(t, marketing.OfferParams{Name: "Big spender", Discount: marketing.Discount{AmountOff: 1000}, MinSpend: 5000, CodePolicy: marketing.CodeSingleUse})
		b, err := f.mkt.GenerateCodes(ctx, o.ID, 2, marketing.CodeParams{})
		require.NoError(t, err)
		small := f.purchase(t, f.alice, 4999, "USD")
		euro := f.purchase(t, f.alice, 9000, "EUR")
		bobs := f.purchase(t, f.bob, 9000, "USD")
		ok := f.purchase(t, f.alice, 5000, "USD")
		code := b.Codes[0]
		before := promoDump(t, ctx, db, "acme")
		for _, tc := range []struct {
			name     string
			p        marketing.RedeemParams
			sentinel error
			field    string
		}{
			{"below the minimum spend", marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: small.ID}, crmtype.ErrInvalid, "purchase_id"},
			{"another currency", marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: euro.ID}, crmtype.ErrInvalid, "purchase_id"},
			{"another customer's purchase", marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: bobs.ID}, crmtype.ErrInvalid, "purchase_id"},
			{"unknown code", marketing.RedeemParams{Code: "NOSUCHCODE22", CustomerID: f.alice.ID, PurchaseID: ok.ID}, crmtype.ErrInvalid, "code"},
			{"hostile code", marketing.RedeemParams{Code: "' OR 1=1 --", CustomerID: f.alice.ID, PurchaseID: ok.ID}, crmtype.ErrInvalid, "code"},
			{"empty code", marketing.RedeemParams{CustomerID: f.alice.ID, PurchaseID: ok.ID}, crmtype.ErrInvalid, "code"},
			{"no customer", marketing.RedeemParams{Code: code, PurchaseID: ok.ID}, crmtype.ErrInvalid, "customer_id"},
			{"no purchase", marketing.RedeemParams{Code: code, CustomerID: f.alice.ID}, crmtype.ErrInvalid, "purchase_id"},
		} {
			_, err := f.mkt.Redeem(ctx, tc.p)
			promoRequireField(t, err, tc.sentinel, tc.field)
		}
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: crmtype.NewID(t0)})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		require.Equal(t, before, promoDump(t, ctx, db, "acme"))

		r, err := f.mkt.Redeem(ctx, marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: ok.ID})
		require.NoError(t, err)
		require.Equal(t, int64(1000), r.Discount.Minor)

		// Used up: ErrConflict naming the code; the purchase cannot take
		// the offer's other code either.
		before = promoDump(t, ctx, db, "acme")
		ok2 := f.purchase(t, f.alice, 6000, "USD")
		before2 := promoDump(t, ctx, db, "acme")
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: code, CustomerID: f.alice.ID, PurchaseID: ok2.ID})
		promoRequireField(t, err, crmtype.ErrConflict, "code")
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: b.Codes[1], CustomerID: f.alice.ID, PurchaseID: ok.ID})
		promoRequireField(t, err, crmtype.ErrConflict, "purchase_id")
		require.Equal(t, before2, promoDump(t, ctx, db, "acme"))
		require.Len(t, before2["crm_events"], len(before["crm_events"])+1) // the purchase only
	})
}

func TestRedeemLimits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newPromoFixture(t, db, "acme")
		o := f.offer(t, marketing.OfferParams{Name: "Loyal", Discount: marketing.Discount{PercentBP: 500}, CodePolicy: marketing.CodeShared,
			Code: "LOYAL", PerCustomerLimit: 2, TotalLimit: 3})
		redeem := func(c *customer.Customer) error {
			p := f.purchase(t, c, 2000, "USD")
			_, err := f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "LOYAL", CustomerID: c.ID, PurchaseID: p.ID})
			return err
		}
		require.NoError(t, redeem(f.alice))
		require.NoError(t, redeem(f.alice))
		promoRequireField(t, redeem(f.alice), crmtype.ErrConflict, "customer_id")
		require.NoError(t, redeem(f.bob))
		promoRequireField(t, redeem(f.bob), crmtype.ErrConflict, "code") // the total: used up
		got, err := f.mkt.Offer(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, 3, got.Redemptions)

		// Raising the total limit lets Bob redeem again, once.
		total := 4
		_, err = f.mkt.UpdateOffer(ctx, o.ID, marketing.OfferUpdate{Version: got.Version, TotalLimit: &total})
		require.NoError(t, err)
		require.NoError(t, redeem(f.bob))
		promoRequireField(t, redeem(f.bob), crmtype.ErrConflict, "code")

		// A purchase redeems an offer once, even a shared code.
		free := f.offer(t, marketing.OfferParams{Name: "Open", Discount: marketing.Discount{PercentBP: 100}, CodePolicy: marketing.CodeShared, Code: "OPEN"})
		p := f.purchase(t, f.alice, 2000, "USD")
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "OPEN", CustomerID: f.alice.ID, PurchaseID: p.ID})
		require.NoError(t, err)
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "OPEN", CustomerID: f.alice.ID, PurchaseID: p.ID})
		promoRequireField(t, err, crmtype.ErrConflict, "purchase_id")
		// ... but may redeem another offer.
		f.offer(t, marketing.OfferParams{Name: "Other", Discount: marketing.Discount{PercentBP: 100}, CodePolicy: marketing.CodeShared, Code: "OTHER"})
		_, err = f.mkt.Redeem(ctx, marketing.RedeemParams{Code: "OTHER", CustomerID: f.alice.ID, PurchaseID: p.ID})
		require.NoError(t, err)
		got, err = f.mkt.Offer(ctx, free.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Redemptions)
	})
}

// redeemConcurrently runs n goroutines, each redeeming code with purchase
// ps[i] of customer cs[i], and returns how many succeeded; every failure
// must be ErrConflict.
func promoRedeemConcurrently(t *testing.T, mkt *marketing.Service, code string, cs []crmtype.ID, ps []crmtype.ID) int {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, len(ps))
	start := make(chan struct{})
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = mkt.Redeem(ctx, marketing.RedeemParams{Code: code, CustomerID: cs[i], PurchaseID: ps[i]})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.ErrorIs(t, err, crmtype.ErrConflict)
	}
	return ok
}

func TestRedeemSingleUseCodeConcurrently(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := newPromoFixture(t, db, "acme")
		const n = 16

		// 16 goroutines, one single-use code, 16 purchases of 16 customers:
		// exactly one redeems it.
		o := f.offer(t, marketing.OfferParams{Name: "Once", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeSingleUse})
		b, err := f.mkt.GenerateCodes(ctx, o.ID, 1, marketing.CodeParams{})
		require.NoError(t, err)
		cs, ps := make([]crmtype.ID, n), make([]crmtype.ID, n)
		for i := range cs {
			c, err := f.w.Customers.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("Racer %d", i)})
			require.NoError(t, err)
			cs[i], ps[i] = c.ID, f.purchase(t, c, 1000, "USD").ID
		}
		require.Equal(t, 1, promoRedeemConcurrently(t, f.mkt, b.Codes[0], cs, ps))
		list, err := f.mkt.Redemptions(ctx, marketing.RedemptionListParams{OfferID: o.ID})
		require.NoError(t, err)
		require.Len(t, list.Items, 1)
		got, err := f.mkt.Offer(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Redemptions)
		codes, err := f.mkt.Codes(ctx, o.ID, marketing.CodeListParams{})
		require.NoError(t, err)
		require.Equal(t, 1, codes.Items[0].Redemptions)
		redeemedEvents := 0
		for _, e := range eventLog(t, ctx, db, "acme") {
			if e.Type == marketing.EventCodeRedeemed {
				redeemedEvents++
			}
		}
		require.Equal(t, 1, redeemedEvents)

		// A shared code with a per-customer limit of 3: one customer, 16
		// purchases at once, exactly 3 redemptions.
		o2 := f.offer(t, marketing.OfferParams{Name: "Thrice", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared, Code: "THRICE", PerCustomerLimit: 3})
		for i := range ps {
			cs[i], ps[i] = f.alice.ID, f.purchase(t, f.alice, 1000, "USD").ID
		}
		require.Equal(t, 3, promoRedeemConcurrently(t, f.mkt, "THRICE", cs, ps))
		got, err = f.mkt.Offer(ctx, o2.ID)
		require.NoError(t, err)
		require.Equal(t, 3, got.Redemptions)

		// A total limit of 5 among 16 customers.
		o3 := f.offer(t, marketing.OfferParams{Name: "Five only", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared, Code: "FIVEONLY", TotalLimit: 5})
		for i := range ps {
			c, err := f.w.Customers.Create(ctx, customer.CreateParams{Name: fmt.Sprintf("Shopper %d", i)})
			require.NoError(t, err)
			cs[i], ps[i] = c.ID, f.purchase(t, c, 1000, "USD").ID
		}
		require.Equal(t, 5, promoRedeemConcurrently(t, f.mkt, "FIVEONLY", cs, ps))
		list, err = f.mkt.Redemptions(ctx, marketing.RedemptionListParams{OfferID: o3.ID})
		require.NoError(t, err)
		require.Len(t, list.Items, 5)
	})
}

func TestPromotionTwoWorkspaces(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		a := newPromoFixture(t, db, "acme")
		z := newPromoFixture(t, db, "zeta")
		ao := a.offer(t, marketing.OfferParams{Name: "Ten off", Discount: marketing.Discount{PercentBP: 1000}, CodePolicy: marketing.CodeSingleUse})
		ab, err := a.mkt.GenerateCodes(ctx, ao.ID, 5, marketing.CodeParams{})
		require.NoError(t, err)
		as := a.offer(t, marketing.OfferParams{Name: "Shared", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared, Code: "SAME"})
		ap := a.purchase(t, a.alice, 1000, "USD")
		ar, err := a.mkt.Redeem(ctx, marketing.RedeemParams{Code: "SAME", CustomerID: a.alice.ID, PurchaseID: ap.ID})
		require.NoError(t, err)
		acme := promoDump(t, ctx, db, "acme")

		// zeta may use the same shared code: codes are unique per workspace.
		zs := z.offer(t, marketing.OfferParams{Name: "Shared", Discount: marketing.Discount{AmountOff: 100}, CodePolicy: marketing.CodeShared, Code: "SAME"})
		zp := z.purchase(t, z.alice, 1000, "USD")

		_, err = z.mkt.Offer(ctx, ao.ID)
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		name := "Stolen"
		_, err = z.mkt.UpdateOffer(ctx, ao.ID, marketing.OfferUpdate{Version: 1, Name: &name})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = z.mkt.CreateOffer(ctx, marketing.OfferParams{CampaignID: a.camp.ID, Name: "X", Discount: marketing.Discount{PercentBP: 1}, CodePolicy: marketing.CodeSingleUse})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = z.mkt.GenerateCodes(ctx, ao.ID, 5, marketing.CodeParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = z.mkt.Codes(ctx, ao.ID, marketing.CodeListParams{})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = z.mkt.Redemptions(ctx, marketing.RedemptionListParams{OfferID: ao.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		page, err := z.mkt.Redemptions(ctx, marketing.RedemptionListParams{CustomerID: a.alice.ID})
		require.NoError(t, err)
		require.Empty(t, page.Items)
		offers, err := z.mkt.Offers(ctx, marketing.OfferListParams{})
		require.NoError(t, err)
		require.Len(t, offers.Items, 1)
		require.Equal(t, zs.ID, offers.Items[0].ID)
		offers, err = z.mkt.Offers(ctx, marketing.OfferListParams{CampaignID: a.camp.ID})
		require.NoError(t, err)
		require.Empty(t, offers.Items)
		// acme's single-use code is unknown in zeta; acme's purchase is not
		// zeta's; zeta's shared code redeems zeta's offer only.
		_, err = z.mkt.Redeem(ctx, marketing.RedeemParams{Code: ab.Codes[0], CustomerID: z.alice.ID, PurchaseID: zp.ID})
		promoRequireField(t, err, crmtype.ErrInvalid, "code")
		_, err = z.mkt.Redeem(ctx, marketing.RedeemParams{Code: "SAME", CustomerID: a.alice.ID, PurchaseID: ap.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		_, err = a.mkt.Redeem(ctx, marketing.RedeemParams{Code: ab.Codes[0], CustomerID: z.alice.ID, PurchaseID: zp.ID})
		require.ErrorIs(t, err, crmtype.ErrNotFound)
		zr, err := z.mkt.Redeem(ctx, marketing.RedeemParams{Code: "SAME", CustomerID: z.alice.ID, PurchaseID: zp.ID})
		require.NoError(t, err)
		require.Equal(t, zs.ID, zr.OfferID)
		require.NotEqual(t, ar.ID, zr.ID)

		// acme is untouched by all of it.
		require.Equal(t, acme, promoDump(t, ctx, db, "acme"))
		list, err := a.mkt.Redemptions(ctx, marketing.RedemptionListParams{})
		require.NoError(t, err)
		require.Equal(t, []*marketing.Redemption{ar}, list.Items)
		got, err := a.mkt.Offer(ctx, as.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Redemptions)
	})
}
