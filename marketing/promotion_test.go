package marketing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestCodeAlphabet(t *testing.T) {
	require.Len(t, CodeAlphabet, 30)
	seen := map[rune]bool{}
	for _, r := range CodeAlphabet {
		require.False(t, seen[r], "%c twice", r)
		seen[r] = true
		require.True(t, r >= '2' && r <= '9' || r >= 'A' && r <= 'Z', "%c", r)
	}
	for _, r := range "01OILU" {
		require.False(t, seen[r], "ambiguous %c in the alphabet", r)
	}
	// Entropy: log2(30) bits a symbol.
	require.InDelta(t, 58.88, CodeBits(DefaultCodeLength), 0.01)
	require.InDelta(t, 49.07, CodeBits(MinCodeLength), 0.01)
	// The guessing margin: 30^10 ≈ 2^49.07 holds 100,000 codes with 2^30 to
	// spare (16.6 + 30 = 46.6 bits), not 1,000,000 (19.9 + 30 = 49.9).
	require.True(t, codeSpaceFits(100_000, 10))
	require.False(t, codeSpaceFits(1_000_000, 10))
	require.True(t, codeSpaceFits(1_000_000, 11))
}

func TestCodeGenerator(t *testing.T) {
	gen := NewCodeGenerator("XMAS-", 12)
	const n = 100_000
	seen := make(map[string]bool, n)
	counts := map[byte]int{}
	for range n {
		c := gen()
		require.Len(t, c, 17)
		require.True(t, strings.HasPrefix(c, "XMAS-"))
		for i := 5; i < len(c); i++ {
			require.True(t, strings.IndexByte(CodeAlphabet, c[i]) >= 0, "%q", c)
			counts[c[i]]++
		}
		require.False(t, seen[c], "duplicate %q", c)
		seen[c] = true
	}
	// Uniform symbols: Pearson's chi-square over 1,200,000 symbols with
	// 29 degrees of freedom. Its 1-in-10^9 quantile is about 95; a biased
	// mapping such as byte mod 30 without rejection gives several hundred.
	require.Len(t, counts, 30)
	exp := float64(n*12) / 30
	chi := 0.0
	for _, k := range counts {
		chi += (float64(k) - exp) * (float64(k) - exp) / exp
	}
	require.Less(t, chi, 95.0)
}

func TestDiscountOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      Discount
		amount int64
		want   int64
	}{
		{"10% of 12.50 exact", Discount{PercentBP: 1000}, 1250, 125},
		{"10% of 12.55: 125.5 rounds to even 126", Discount{PercentBP: 1000}, 1255, 126},
		{"10% of 12.45: 124.5 rounds to even 124", Discount{PercentBP: 1000}, 1245, 124},
		{"10% of 12.56: 125.6 up", Discount{PercentBP: 1000}, 1256, 126},
		{"10% of 12.54: 125.4 down", Discount{PercentBP: 1000}, 1254, 125},
		{"33.33% of 1.00: 33.33", Discount{PercentBP: 3333}, 100, 33},
		{"12.5% of 0.01: 0.125", Discount{PercentBP: 1250}, 1, 0},
		{"50% of 0.01: 0.5 to even 0", Discount{PercentBP: 5000}, 1, 0},
		{"50% of 0.03: 1.5 to even 2", Discount{PercentBP: 5000}, 3, 2},
		{"0.01% of 50.00: 0.5 to 0", Discount{PercentBP: 1}, 5000, 0},
		{"0.01% of 150.00: 1.5 to 2", Discount{PercentBP: 1}, 15000, 2},
		{"100% of 9.99", Discount{PercentBP: 10000}, 999, 999},
		{"25% of 100.00 capped at 20.00", Discount{PercentBP: 2500, MaxDiscount: 2000}, 10000, 2000},
		{"25% of 40.00 under the cap", Discount{PercentBP: 2500, MaxDiscount: 2000}, 4000, 1000},
		{"99.99% of 10^15: product beyond int64", Discount{PercentBP: 9999}, 1e15, 999_900_000_000_000},
		{"10% of 999999999999995: .5 on an odd quotient", Discount{PercentBP: 1000}, 999_999_999_999_995, 100_000_000_000_000},
		{"fixed 5.00 off 19.99", Discount{AmountOff: 500}, 1999, 500},
		{"fixed 5.00 off 3.00: never above the purchase", Discount{AmountOff: 500}, 300, 300},
		{"fixed off nothing", Discount{AmountOff: 500}, 0, 0},
		{"percent of nothing", Discount{PercentBP: 2500}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.d.Of(tc.amount))
		})
	}
}

func TestDiscountOfMatchesExactRounding(t *testing.T) {
	// Against float64 where it is exact (amounts below 2^53 / 10^4).
	for _, bp := range []int{1, 7, 250, 1000, 3333, 5000, 9999, 10000} {
		for amount := int64(0); amount < 30000; amount += 7 {
			exact := float64(amount) * float64(bp) / 10000
			want := int64(math.RoundToEven(exact))
			require.Equal(t, want, Discount{PercentBP: bp}.Of(amount), "%d bp of %d", bp, amount)
		}
	}
}

func TestOfferValidation(t *testing.T) {
	ctx := context.Background()
	s := NewService(nil, nil, "acme", Config{}) // nothing reaches the store
	camp := crmtype.NewID(time.Now())
	base := func() OfferParams {
		return OfferParams{CampaignID: camp, Name: "Winter", Discount: Discount{PercentBP: 1000}, CodePolicy: CodeSingleUse}
	}
	for _, tc := range []struct {
		field string
		edit  func(p *OfferParams)
	}{
		{"campaign_id", func(p *OfferParams) { p.CampaignID = crmtype.ID{} }},
		{"name", func(p *OfferParams) { p.Name = " " }},
		{"name", func(p *OfferParams) { p.Name = "a\x00b" }},
		{"discount", func(p *OfferParams) { p.Discount = Discount{} }},
		{"discount", func(p *OfferParams) { p.Discount = Discount{PercentBP: 10, AmountOff: 10} }},
		{"discount.percent_bp", func(p *OfferParams) { p.Discount = Discount{PercentBP: 10001} }},
		{"discount.percent_bp", func(p *OfferParams) { p.Discount = Discount{PercentBP: -5} }},
		{"discount.amount_off", func(p *OfferParams) { p.Discount = Discount{AmountOff: -1} }},
		{"discount.max_discount", func(p *OfferParams) { p.Discount = Discount{AmountOff: 100, MaxDiscount: 50} }},
		{"min_spend", func(p *OfferParams) { p.MinSpend = -1 }},
		{"valid_to", func(p *OfferParams) { p.ValidFrom, p.ValidTo = time.Unix(100, 0), time.Unix(100, 0) }},
		{"per_customer_limit", func(p *OfferParams) { p.PerCustomerLimit = -1 }},
		{"total_limit", func(p *OfferParams) { p.TotalLimit = -1 }},
		{"code_policy", func(p *OfferParams) { p.CodePolicy = "many" }},
		{"code", func(p *OfferParams) { p.Code = "ABCD" }}, // single-use offers take no code
		{"code", func(p *OfferParams) { p.CodePolicy, p.Code = CodeShared, "AB" }},
		{"code", func(p *OfferParams) { p.CodePolicy, p.Code = CodeShared, "SUMMER'; DROP" }},
	} {
		p := base()
		tc.edit(&p)
		_, err := s.CreateOffer(ctx, p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", tc.field, err)
		require.Equal(t, tc.field, ve.Field, "%v", err)
	}
}

func TestGenerateCodesAndRedeemValidation(t *testing.T) {
	ctx := context.Background()
	s := NewService(nil, nil, "acme", Config{})
	id := crmtype.NewID(time.Now())
	for _, tc := range []struct {
		field string
		n     int
		p     CodeParams
	}{
		{"n", 0, CodeParams{}},
		{"n", MaxCodesPerCall + 1, CodeParams{}},
		{"prefix", 1, CodeParams{Prefix: "X MAS"}},
		{"prefix", 1, CodeParams{Prefix: strings.Repeat("A", MaxCodePrefixBytes+1)}},
		{"length", 1, CodeParams{Length: MinCodeLength - 1}},
		{"length", 1, CodeParams{Length: MaxCodeLength + 1}},
		{"length", 1_000_000, CodeParams{Length: 10}},
	} {
		_, err := s.GenerateCodes(ctx, id, tc.n, tc.p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", tc.field, err)
		require.Equal(t, tc.field, ve.Field)
	}
	for _, tc := range []struct {
		field string
		p     RedeemParams
	}{
		{"code", RedeemParams{CustomerID: id, PurchaseID: id}},
		{"code", RedeemParams{Code: "ABC\x00", CustomerID: id, PurchaseID: id}},
		{"code", RedeemParams{Code: strings.Repeat("A", MaxCodeBytes+1), CustomerID: id, PurchaseID: id}},
		{"customer_id", RedeemParams{Code: "ABCD", PurchaseID: id}},
		{"purchase_id", RedeemParams{Code: "ABCD", CustomerID: id}},
	} {
		_, err := s.Redeem(ctx, tc.p)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%s: %v", tc.field, err)
		require.Equal(t, tc.field, ve.Field)
	}
}

// A 10% offer on 12.55 USD: 125.5 cents, rounded half to even. A fixed
// 5.00 off never takes more than the purchase.
func ExampleDiscount_Of() {
	tenPercent := Discount{PercentBP: 1000}
	fmt.Println(tenPercent.Of(1255), tenPercent.Of(1245))
	fiveOff := Discount{AmountOff: 500}
	fmt.Println(fiveOff.Of(1999), fiveOff.Of(300))
	// Output:
	// 126 124
	// 500 300
}
