package marketing

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/check"
)

// Promotions: an Offer belongs to a campaign and says what a customer gets
// (a percentage or a fixed amount off a purchase), when (ValidFrom to
// ValidTo), for whom (a minimum spend) and how often (per customer, in
// total). Customers claim an offer with a code: either single-use codes,
// generated in bulk by GenerateCodes, each redeemable once, or one shared
// code that many customers redeem. Redeem ties a redemption to a purchase
// of the customer and computes the discount.
//
// Money: an offer is in its campaign's currency. AmountOff, MinSpend and
// MaxDiscount are minor units of that currency, and only purchases in that
// currency redeem the offer.
//
// Discount arithmetic (Discount.Of), on integer minor units, never floats:
//
//   - percent: amount × PercentBP / 10000, rounded half to even to a whole
//     minor unit (1250 × 10% = 125; 1255 × 10% = 125.5 → 126;
//     1245 × 10% = 124.5 → 124), then capped at MaxDiscount when set;
//   - fixed: AmountOff, but never more than the purchase amount.

// CodePolicy says how an offer's codes are redeemed.
type CodePolicy string

// Code policies.
const (
	// CodeSingleUse: GenerateCodes makes unique codes; each is redeemed at
	// most once, by anyone.
	CodeSingleUse CodePolicy = "single_use"
	// CodeShared: the offer has one code (OfferParams.Code, or generated),
	// redeemed many times within the offer's limits.
	CodeShared CodePolicy = "shared"
)

// CodeAlphabet is the alphabet of generated codes: the digits and upper-
// case letters without those easily mistaken for another: 0 and O, 1, I
// and L, and U (V). 30 symbols: each carries log2(30) ≈ 4.907 bits.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// Limits of promotions.
const (
	// DefaultCodeLength is the number of random symbols of a generated code
	// when CodeParams.Length is 0: 12 symbols, 58.9 bits.
	DefaultCodeLength = 12
	// MinCodeLength (10 symbols, 49.1 bits) and MaxCodeLength bound
	// CodeParams.Length.
	MinCodeLength = 10
	MaxCodeLength = 32
	// MaxCodePrefixBytes bounds CodeParams.Prefix.
	MaxCodePrefixBytes = 16
	// MaxCodeBytes bounds every code, the prefix included.
	MaxCodeBytes = 48
	// MinSharedCodeBytes is the shortest shared code a workspace may choose.
	MinSharedCodeBytes = 4
	// MaxCodesPerCall bounds GenerateCodes' n.
	MaxCodesPerCall = 1_000_000
	// CodeGuessBits is the guessing margin GenerateCodes keeps: the code
	// space (30^Length) must be at least 2^CodeGuessBits times the number
	// of codes generated, so that one random guess of a code finds one of
	// a batch with a probability of at most 2^-30.
	CodeGuessBits = 30
	// MaxPercentBP is 100% in basis points.
	MaxPercentBP = 10000
)

// Discount is what an offer takes off a purchase: exactly one of
// PercentBP and AmountOff is set.
type Discount struct {
	// PercentBP is the percentage off in basis points, 1 to 10000:
	// 2500 is 25%, 1 is 0.01%.
	PercentBP int
	// AmountOff is a fixed amount off, in minor units of the offer's
	// currency (1 to MaxAmountMinor).
	AmountOff int64
	// MaxDiscount caps a percent discount, in minor units; 0 for no cap.
	// Only with PercentBP.
	MaxDiscount int64
}

// Of returns the discount on a purchase of amount minor units (amount >=
// 0): see the package's promotion notes for the rounding.
func (d Discount) Of(amount int64) int64 {
	if amount <= 0 {
		return 0
	}
	if d.AmountOff > 0 {
		return min(d.AmountOff, amount)
	}
	// amount ≤ 10^15 and PercentBP ≤ 10^4 make products up to 10^19:
	// beyond int64, within uint64's 128-bit product anyway.
	hi, lo := bits.Mul64(uint64(amount), uint64(d.PercentBP))
	q, r := bits.Div64(hi, lo, MaxPercentBP)
	switch {
	case 2*r > MaxPercentBP, 2*r == MaxPercentBP && q%2 == 1:
		q++
	}
	out := int64(min(q, uint64(math.MaxInt64)))
	if d.MaxDiscount > 0 {
		out = min(out, d.MaxDiscount)
	}
	return min(out, amount)
}

func (d Discount) check() error {
	switch {
	case d.PercentBP == 0 && d.AmountOff == 0:
		return crmtype.Invalid("discount", "is required: give percent_bp or amount_off")
	case d.PercentBP != 0 && d.AmountOff != 0:
		return crmtype.Invalid("discount", "gives both percent_bp and amount_off: choose one")
	case d.PercentBP < 0 || d.PercentBP > MaxPercentBP:
		return crmtype.Invalidf("discount.percent_bp", "is %d: give 1 to %d basis points (2500 is 25%%)", d.PercentBP, MaxPercentBP)
	case d.AmountOff < 0 || d.AmountOff > MaxAmountMinor:
		return crmtype.Invalidf("discount.amount_off", "is %d: give 1 to %d minor units", d.AmountOff, int64(MaxAmountMinor))
	case d.MaxDiscount < 0 || d.MaxDiscount > MaxAmountMinor:
		return crmtype.Invalidf("discount.max_discount", "is %d: give 0 to %d minor units", d.MaxDiscount, int64(MaxAmountMinor))
	case d.MaxDiscount != 0 && d.AmountOff != 0:
		return crmtype.Invalid("discount.max_discount", "caps percent discounts only")
	}
	return nil
}

// Offer is a promotion of a campaign.
type Offer struct {
	ID         crmtype.ID
	CampaignID crmtype.ID
	Name       string // unique in the campaign
	Discount   Discount
	Currency   string // the campaign's, ISO 4217
	// MinSpend is the smallest purchase amount that redeems the offer, in
	// minor units; 0 for none.
	MinSpend int64
	// ValidFrom and ValidTo bound when the offer may be redeemed, by the
	// service's clock: from ValidFrom (inclusive) to ValidTo (exclusive);
	// zero when open.
	ValidFrom, ValidTo time.Time
	// PerCustomerLimit is how many times one customer may redeem the
	// offer; 0 is unlimited.
	PerCustomerLimit int
	// TotalLimit is how many redemptions the offer allows in all; 0 is
	// unlimited.
	TotalLimit int
	CodePolicy CodePolicy
	// SharedCode is the code of a CodeShared offer; "" for single-use.
	SharedCode string
	// RecordCost adds each redemption's discount to the campaign's cost
	// ledger as a line of kind CostDiscount, in the same transaction.
	RecordCost bool
	// Redemptions counts the offer's redemptions.
	Redemptions int
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// OfferParams are a new offer's fields.
type OfferParams struct {
	CampaignID         crmtype.ID // required: a campaign of the workspace
	Name               string     // required
	Discount           Discount   // required
	MinSpend           int64
	ValidFrom, ValidTo time.Time
	PerCustomerLimit   int
	TotalLimit         int
	CodePolicy         CodePolicy // required
	// Code is the shared code of a CodeShared offer: 4 to MaxCodeBytes
	// letters, digits and '-', stored in upper case ("" generates one of
	// DefaultCodeLength symbols). Unique in the workspace.
	Code       string
	RecordCost bool
}

// OfferUpdate changes the non-nil fields of an offer whose version is
// still Version. The campaign, currency and code policy do not change.
type OfferUpdate struct {
	Version            int64
	Name               *string
	Discount           *Discount
	MinSpend           *int64
	ValidFrom, ValidTo *time.Time
	PerCustomerLimit   *int
	TotalLimit         *int
	RecordCost         *bool
}

// OfferListParams selects offers. Zero fields do not filter.
type OfferListParams struct {
	CampaignID crmtype.ID
	Limit      int // page size: 0 means crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After      crmtype.Cursor
}

// CodeParams shape generated codes.
type CodeParams struct {
	// Prefix starts every code (e.g. "XMAS-"): up to MaxCodePrefixBytes
	// letters, digits and '-', stored in upper case. It adds no entropy.
	Prefix string
	// Length is the number of random symbols after the prefix:
	// MinCodeLength to MaxCodeLength, 0 for DefaultCodeLength.
	Length int
}

// CodeStatus is where a code stands.
type CodeStatus string

// Code statuses.
const (
	CodeUnused   CodeStatus = "unused"
	CodeRedeemed CodeStatus = "redeemed" // at least once
)

// Code is one code of an offer.
type Code struct {
	Code       string
	OfferID    crmtype.ID
	BatchID    crmtype.ID // the GenerateCodes call, or the offer's creation
	SingleUse  bool
	Status     CodeStatus
	RedeemedAt time.Time // the first redemption; zero when unused
	// Redemptions counts the code's redemptions: 0 or 1 for a single-use
	// code.
	Redemptions int
	CreatedAt   time.Time
}

// CodeListParams selects an offer's codes, by code.
type CodeListParams struct {
	Status CodeStatus // "" for every code
	Limit  int
	After  crmtype.Cursor
}

// CodeBatch is what GenerateCodes returns.
type CodeBatch struct {
	OfferID crmtype.ID
	BatchID crmtype.ID
	Codes   []string
	// Bits is the entropy of each code: Length × log2(30).
	Bits float64
}

// RedeemParams ask to redeem a code against a purchase.
type RedeemParams struct {
	Code       string     // required; case and surrounding space do not matter
	CustomerID crmtype.ID // required: the customer who redeems
	PurchaseID crmtype.ID // required: a purchase of CustomerID in the offer's currency
}

// Redemption is one use of a code on a purchase.
type Redemption struct {
	ID         crmtype.ID
	OfferID    crmtype.ID
	CampaignID crmtype.ID
	Code       string
	CustomerID crmtype.ID
	PurchaseID crmtype.ID
	// Purchase is the purchase's amount; Discount what the offer takes
	// off it, in the same currency.
	Purchase   crmtype.Money
	Discount   crmtype.Money
	CostID     crmtype.ID // the ledger line when the offer records costs; zero otherwise
	RedeemedAt time.Time
}

// RedemptionListParams select redemptions, oldest first. Zero fields do
// not filter.
type RedemptionListParams struct {
	OfferID    crmtype.ID
	CustomerID crmtype.ID
	Limit      int
	After      crmtype.Cursor
}

// Event types of promotions.
const (
	EventOfferCreated   = "offer.created"   // SubjectOffer; Changes: every field set
	EventOfferUpdated   = "offer.updated"   // SubjectOffer; Changes: the fields that differ
	EventCodesGenerated = "codes.generated" // SubjectOffer; one per GenerateCodes call: batch_id, count, prefix, length
	EventCodeRedeemed   = "code.redeemed"   // SubjectRedemption, Customer set; Changes: the redemption's fields
	SubjectOffer        = "offer"
	SubjectRedemption   = "redemption"
)

// PromotionEventTypes lists the event types of promotions.
var PromotionEventTypes = []string{EventOfferCreated, EventOfferUpdated, EventCodesGenerated, EventCodeRedeemed}

// NewCodes describes a bulk insertion of codes for PromotionStore.
type NewCodes struct {
	OfferID   crmtype.ID
	BatchID   crmtype.ID
	N         int
	CreatedAt time.Time
	// Generate returns a fresh random code; the store calls it again for
	// a code that collides with one the workspace holds.
	Generate func() string
}

// RedeemCheck is what PromotionStore.Redeem reads, under the offer's lock,
// for the service to decide a redemption.
type RedeemCheck struct {
	Offer    *Offer
	Code     *Code
	Purchase *customer.Purchase // ErrNotFound before decide is called when there is none
	// CustomerRedemptions counts the offer's redemptions by the customer.
	CustomerRedemptions int
	// PurchaseRedeemed reports that the purchase has redeemed the offer.
	PurchaseRedeemed bool
}

// RedeemPlan is what the service decided: the redemption to store, its
// event, and the cost line (nil for none) with its event.
type RedeemPlan struct {
	Redemption *Redemption
	Event      crmtype.Event
	Cost       *Cost
	CostEvent  crmtype.Event
}

// PromotionStore stores offers, codes and redemptions. Every method
// confines itself to the scope's workspace.
type PromotionStore interface {
	// InsertOffer stores o (with its shared code when code is not nil)
	// and ev. ErrNotFound when the campaign is not the workspace's;
	// ErrConflict (Field "name" or "code") when the name is taken in the
	// campaign or the shared code in the workspace.
	InsertOffer(ctx context.Context, sc crmtype.Scope, o *Offer, code *Code, ev crmtype.Event) error
	// GetOffer returns offer id, or ErrNotFound.
	GetOffer(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Offer, error)
	// ChangeOffer loads offer id in a transaction, checks its version
	// (ErrConflict), lets change modify it and, when change returns
	// events, checks the name (ErrConflict), saves it with its version
	// increased by one and appends the events.
	ChangeOffer(ctx context.Context, sc crmtype.Scope, id crmtype.ID, version int64, change func(o *Offer) ([]crmtype.Event, error)) (*Offer, error)
	// ListOffers returns one page of p's selection, by name.
	ListOffers(ctx context.Context, sc crmtype.Scope, p OfferListParams, limit int) (crmtype.Page[*Offer], error)
	// InsertCodes stores p.N new codes of offer p.OfferID in batches in
	// one transaction, replacing a generated code that collides with one
	// of the workspace's by another, appends ev and returns the codes.
	// ErrNotFound when there is no such offer.
	InsertCodes(ctx context.Context, sc crmtype.Scope, p NewCodes, ev crmtype.Event) ([]string, error)
	// ListCodes returns one page of offer id's codes by code; ErrNotFound.
	ListCodes(ctx context.Context, sc crmtype.Scope, id crmtype.ID, p CodeListParams, limit int) (crmtype.Page[*Code], error)
	// Redeem runs one redemption in a transaction that excludes every
	// other redemption of the same offer: it finds code (ErrInvalid
	// "code" when the workspace has none), locks its offer, reads the
	// purchase (ErrNotFound) and the counts, lets decide check them and
	// plan the redemption, then marks the code redeemed (a single-use
	// code only if no one has: ErrConflict "code" otherwise), counts the
	// redemption on the offer, stores it (ErrConflict "purchase_id" when
	// the purchase has redeemed the offer), the cost line and the events.
	Redeem(ctx context.Context, sc crmtype.Scope, code string, purchaseID crmtype.ID, customerID crmtype.ID, decide func(RedeemCheck) (*RedeemPlan, error)) (*Redemption, error)
	// ListRedemptions returns one page of p's selection, oldest first;
	// ErrNotFound when p.OfferID is not an offer of the workspace.
	ListRedemptions(ctx context.Context, sc crmtype.Scope, p RedemptionListParams, limit int) (crmtype.Page[*Redemption], error)
}

// NormalizeCode is how a code is compared: without surrounding space, in
// upper case.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// checkCodeChars reports whether v has only ASCII letters, digits and '-'.
func checkCodeChars(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CodeBits returns the entropy in bits of a generated code of length
// random symbols.
func CodeBits(length int) float64 { return float64(length) * math.Log2(float64(len(CodeAlphabet))) }

// NewCodeGenerator returns a function that makes codes of prefix and
// length random symbols of CodeAlphabet, drawn uniformly from crypto/rand
// by rejection sampling (a byte below 240 = 8 × 30 maps to byte mod 30,
// others are drawn again), so every symbol is equally likely. It panics if
// the system's random source fails, as crypto/rand does.
func NewCodeGenerator(prefix string, length int) func() string {
	const limit = 256 - 256%len(CodeAlphabet) // 240
	buf := make([]byte, 0, 4096)
	next := func() byte {
		for {
			if len(buf) == 0 {
				buf = buf[:cap(buf)]
				if _, err := rand.Read(buf); err != nil {
					panic(fmt.Sprintf("marketing: crypto/rand failed: %v", err))
				}
			}
			b := buf[len(buf)-1]
			buf = buf[:len(buf)-1]
			if int(b) < limit {
				return CodeAlphabet[int(b)%len(CodeAlphabet)]
			}
		}
	}
	return func() string {
		out := make([]byte, len(prefix), len(prefix)+length)
		copy(out, prefix)
		for range length {
			out = append(out, next())
		}
		return string(out)
	}
}

// codeSpaceFits reports whether 30^length ≥ n × 2^CodeGuessBits.
func codeSpaceFits(n, length int) bool {
	return CodeBits(length) >= math.Log2(float64(max(n, 1)))+CodeGuessBits
}

// CreateOffer creates an offer of campaign p.CampaignID, in the campaign's
// currency, and records EventOfferCreated; a CodeShared offer gets its
// code. Errors: a *crmtype.ValidationError naming the field ("campaign_id",
// "name", "discount", "discount.percent_bp", "discount.amount_off",
// "discount.max_discount", "min_spend", "valid_to" (not after valid_from),
// "per_customer_limit", "total_limit", "code_policy", "code");
// ErrNotFound when the campaign is not the workspace's; ErrConflict when
// the name is taken in the campaign or the shared code in the workspace.
// Nothing is written on error.
func (s *Service) CreateOffer(ctx context.Context, p OfferParams) (*Offer, error) {
	const op = "create offer"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.CampaignID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("campaign_id", "is required"))
	}
	o := &Offer{CampaignID: p.CampaignID}
	switch p.CodePolicy {
	case CodeSingleUse:
		if p.Code != "" {
			return nil, wrap(op, crmtype.Invalid("code", "is for shared codes: single-use codes come from GenerateCodes"))
		}
	case CodeShared:
	default:
		return nil, wrap(op, crmtype.Invalidf("code_policy", "%q is not %q or %q", p.CodePolicy, CodeSingleUse, CodeShared))
	}
	o.CodePolicy = p.CodePolicy
	u := OfferUpdate{Name: &p.Name, Discount: &p.Discount, MinSpend: &p.MinSpend, ValidFrom: &p.ValidFrom, ValidTo: &p.ValidTo,
		PerCustomerLimit: &p.PerCustomerLimit, TotalLimit: &p.TotalLimit, RecordCost: &p.RecordCost}
	if err := applyOfferUpdate(o, u); err != nil {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	var code *Code
	if o.CodePolicy == CodeShared {
		v := NormalizeCode(p.Code)
		if v == "" {
			v = NewCodeGenerator("", DefaultCodeLength)()
		}
		if len(v) < MinSharedCodeBytes || len(v) > MaxCodeBytes || !checkCodeChars(v) {
			return nil, wrap(op, crmtype.Invalidf("code", "must be %d to %d letters, digits or '-'", MinSharedCodeBytes, MaxCodeBytes))
		}
		o.SharedCode = v
	}
	c, err := s.store.GetCampaign(ctx, sc, p.CampaignID)
	if err != nil {
		return nil, wrap(op, err)
	}
	o.Currency = c.Currency
	o.ID, o.Version, o.CreatedAt, o.UpdatedAt = crmtype.NewID(now), 1, now, now
	if o.SharedCode != "" {
		code = &Code{Code: o.SharedCode, OfferID: o.ID, BatchID: o.ID, Status: CodeUnused, CreatedAt: now}
	}
	ev := offerEvent(EventOfferCreated, o, now, crmtype.DiffFields(nil, offerFields(o)))
	if err := s.store.InsertOffer(ctx, sc, o, code, ev); err != nil {
		return nil, wrap(op, err)
	}
	return o, nil
}

// Offer returns offer id; ErrNotFound when the workspace has none.
func (s *Service) Offer(ctx context.Context, id crmtype.ID) (*Offer, error) {
	const op = "offer"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	o, err := s.store.GetOffer(ctx, sc, id)
	return o, wrap(op, err)
}

// UpdateOffer applies p to offer id if its version is still p.Version and
// records EventOfferUpdated with the fields that changed (none and no
// event when nothing changes). Redemptions already made keep their
// discount. Errors: those of CreateOffer, ErrInvalid "version";
// ErrNotFound; ErrConflict when the version is stale or the name taken.
// Nothing is written on error.
func (s *Service) UpdateOffer(ctx context.Context, id crmtype.ID, p OfferUpdate) (*Offer, error) {
	const op = "update offer"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 {
		return nil, wrap(op, crmtype.Invalid("version", "is required: pass the version you read"))
	}
	if err := applyOfferUpdate(&Offer{}, p); err != nil && !isField(err, "valid_to") {
		return nil, wrap(op, err)
	}
	now := s.clock.Now()
	o, err := s.store.ChangeOffer(ctx, sc, id, p.Version, func(o *Offer) ([]crmtype.Event, error) {
		before := offerFields(o)
		if err := applyOfferUpdate(o, p); err != nil {
			return nil, err
		}
		changes := crmtype.DiffFields(before, offerFields(o))
		if len(changes) == 0 {
			return nil, nil
		}
		o.UpdatedAt = now
		return []crmtype.Event{offerEvent(EventOfferUpdated, o, now, changes)}, nil
	})
	return o, wrap(op, err)
}

// Offers returns one page of the workspace's offers that p selects, by
// name. Errors: ErrInvalid "limit", "cursor".
func (s *Service) Offers(ctx context.Context, p OfferListParams) (crmtype.Page[*Offer], error) {
	const op = "offers"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Offer]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Offer]{}, wrap(op, err)
	}
	page, err := s.store.ListOffers(ctx, sc, p, limit)
	return page, wrap(op, err)
}

// GenerateCodes makes n unique single-use codes for offer id and records
// one EventCodesGenerated. A code is p.Prefix followed by p.Length
// symbols of CodeAlphabet drawn from crypto/rand (CodeBits(p.Length) bits
// of entropy); it is unique in the workspace (a rare collision is drawn
// again). The codes are inserted in batches in one transaction: all or
// none. Errors: ErrInvalid "n" (below 1 or above MaxCodesPerCall),
// "prefix", "length" (out of range, or too short for n: the code space
// must be 2^CodeGuessBits times n), "code_policy" (a shared-code offer);
// ErrNotFound when the workspace has no offer id.
func (s *Service) GenerateCodes(ctx context.Context, id crmtype.ID, n int, p CodeParams) (*CodeBatch, error) {
	const op = "generate codes"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > MaxCodesPerCall {
		return nil, wrap(op, crmtype.Invalidf("n", "is %d: give 1 to %d", n, MaxCodesPerCall))
	}
	prefix := NormalizeCode(p.Prefix)
	if len(prefix) > MaxCodePrefixBytes || !checkCodeChars(prefix) {
		return nil, wrap(op, crmtype.Invalidf("prefix", "must be at most %d letters, digits or '-'", MaxCodePrefixBytes))
	}
	length := p.Length
	if length == 0 {
		length = DefaultCodeLength
	}
	if length < MinCodeLength || length > MaxCodeLength || len(prefix)+length > MaxCodeBytes {
		return nil, wrap(op, crmtype.Invalidf("length", "is %d: give %d to %d symbols (with the prefix at most %d bytes)", length, MinCodeLength, MaxCodeLength, MaxCodeBytes))
	}
	if !codeSpaceFits(n, length) {
		return nil, wrap(op, crmtype.Invalidf("length", "is %d: too short for %d unguessable codes; give more symbols", length, n))
	}
	o, err := s.store.GetOffer(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	if o.CodePolicy != CodeSingleUse {
		return nil, wrap(op, crmtype.Invalidf("code_policy", "is %s: the offer has one shared code", o.CodePolicy))
	}
	now := s.clock.Now()
	batch := crmtype.NewID(now)
	ev := crmtype.Event{Time: now, Type: EventCodesGenerated, SubjectType: SubjectOffer, Subject: id, SubjectKey: o.Name,
		Changes: crmtype.DiffFields(nil, map[string]any{"batch_id": batch.String(), "count": float64(n), "prefix": prefix, "length": float64(length)})}
	codes, err := s.store.InsertCodes(ctx, sc, NewCodes{OfferID: id, BatchID: batch, N: n, CreatedAt: now,
		Generate: NewCodeGenerator(prefix, length)}, ev)
	if err != nil {
		return nil, wrap(op, err)
	}
	return &CodeBatch{OfferID: id, BatchID: batch, Codes: codes, Bits: CodeBits(length)}, nil
}

// Codes returns one page of offer id's codes by code. Errors: ErrInvalid
// "limit", "status", "cursor"; ErrNotFound.
func (s *Service) Codes(ctx context.Context, id crmtype.ID, p CodeListParams) (crmtype.Page[*Code], error) {
	const op = "codes"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Code]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Code]{}, wrap(op, err)
	}
	if p.Status != "" && p.Status != CodeUnused && p.Status != CodeRedeemed {
		return crmtype.Page[*Code]{}, wrap(op, crmtype.Invalidf("status", "%q is not %q or %q", p.Status, CodeUnused, CodeRedeemed))
	}
	page, err := s.store.ListCodes(ctx, sc, id, p, limit)
	return page, wrap(op, err)
}

// Redeem redeems code p.Code for customer p.CustomerID against purchase
// p.PurchaseID and records EventCodeRedeemed on the customer's timeline;
// when the offer has RecordCost, the discount (when not zero) also goes
// to the campaign's cost ledger as a CostDiscount line dated the day of
// the redemption (UTC), with source "redemption:<id>", in the same
// transaction.
//
// The code's offer must be valid at the service clock's now, the purchase
// must be the customer's, in the offer's currency and at least MinSpend;
// the customer must be under PerCustomerLimit and the offer under
// TotalLimit; a single-use code must not have been redeemed; a purchase
// redeems an offer at most once. Concurrent redemptions of one offer are
// serialised, so the limits hold under concurrency: of many concurrent
// redemptions of one single-use code exactly one succeeds.
//
// Errors: ErrInvalid "code" (missing, unknown, not yet valid, expired),
// "customer_id", "purchase_id" (missing, another customer's, another
// currency, below the minimum spend); ErrNotFound when the workspace has
// no such purchase; ErrConflict "code" (a redeemed single-use code, the
// total limit reached), "customer_id" (the per-customer limit reached),
// "purchase_id" (the purchase has redeemed the offer). Nothing is written
// on error.
func (s *Service) Redeem(ctx context.Context, p RedeemParams) (*Redemption, error) {
	const op = "redeem"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	code := NormalizeCode(p.Code)
	switch {
	case code == "":
		return nil, wrap(op, crmtype.Invalid("code", "is required"))
	case len(code) > MaxCodeBytes || !checkCodeChars(code):
		return nil, wrap(op, crmtype.Invalid("code", "is not a code of this workspace"))
	case p.CustomerID.IsZero():
		return nil, wrap(op, crmtype.Invalid("customer_id", "is required"))
	case p.PurchaseID.IsZero():
		return nil, wrap(op, crmtype.Invalid("purchase_id", "is required"))
	}
	now := s.clock.Now()
	r, err := s.store.Redeem(ctx, sc, code, p.PurchaseID, p.CustomerID, func(c RedeemCheck) (*RedeemPlan, error) {
		return planRedemption(c, p.CustomerID, now)
	})
	return r, wrap(op, err)
}

// planRedemption checks a redemption against the offer's rules at now and
// plans what to store.
func planRedemption(c RedeemCheck, customerID crmtype.ID, now time.Time) (*RedeemPlan, error) {
	o, pu := c.Offer, c.Purchase
	if !o.ValidFrom.IsZero() && now.Before(o.ValidFrom) {
		return nil, crmtype.Invalidf("code", "is not valid yet: the offer starts at %s", o.ValidFrom.Format(time.RFC3339))
	}
	if !o.ValidTo.IsZero() && !now.Before(o.ValidTo) {
		return nil, crmtype.Invalidf("code", "has expired: the offer ended at %s", o.ValidTo.Format(time.RFC3339))
	}
	if c.Code.SingleUse && c.Code.Redemptions > 0 {
		return nil, &crmtype.ConflictError{Resource: "offer", Field: "code", Value: c.Code.Code, Reason: "is used up: a single-use code is redeemed once"}
	}
	if o.TotalLimit > 0 && o.Redemptions >= o.TotalLimit {
		return nil, &crmtype.ConflictError{Resource: "offer", Field: "code", Value: c.Code.Code, HeldBy: o.ID,
			Reason: fmt.Sprintf("is used up: the offer's %d redemptions are taken", o.TotalLimit)}
	}
	if pu.CustomerID != customerID {
		return nil, crmtype.Invalid("purchase_id", "is a purchase of another customer")
	}
	if pu.Amount.Currency != o.Currency {
		return nil, crmtype.Invalidf("purchase_id", "is in %s: the offer is in %s", pu.Amount.Currency, o.Currency)
	}
	if pu.Amount.Minor < o.MinSpend {
		return nil, crmtype.Invalidf("purchase_id", "is %d minor units: below the offer's minimum spend of %d", pu.Amount.Minor, o.MinSpend)
	}
	if c.PurchaseRedeemed {
		return nil, &crmtype.ConflictError{Resource: "offer", Field: "purchase_id", HeldBy: pu.ID, Reason: "has already redeemed this offer"}
	}
	if o.PerCustomerLimit > 0 && c.CustomerRedemptions >= o.PerCustomerLimit {
		return nil, &crmtype.ConflictError{Resource: "offer", Field: "customer_id", HeldBy: customerID,
			Reason: fmt.Sprintf("has redeemed the offer %d times, its limit per customer", c.CustomerRedemptions)}
	}
	r := &Redemption{ID: crmtype.NewID(now), OfferID: o.ID, CampaignID: o.CampaignID, Code: c.Code.Code, CustomerID: customerID,
		PurchaseID: pu.ID, Purchase: pu.Amount, Discount: crmtype.Money{Minor: o.Discount.Of(pu.Amount.Minor), Currency: o.Currency},
		RedeemedAt: now}
	plan := &RedeemPlan{Redemption: r}
	if o.RecordCost && r.Discount.Minor > 0 {
		on := now.UTC().Format(time.DateOnly)
		cost := &Cost{ID: crmtype.NewID(now), CampaignID: o.CampaignID, Kind: CostDiscount, Amount: r.Discount, On: on,
			Note: "offer " + clipOfferName(o.Name, MaxRefBytes-6), Source: "redemption:" + r.ID.String(), CreatedAt: now}
		r.CostID = cost.ID
		plan.Cost = cost
		plan.CostEvent = crmtype.Event{Time: now, Type: EventCampaignCostAdded, SubjectType: SubjectCampaign, Subject: o.CampaignID,
			Changes: crmtype.DiffFields(nil, map[string]any{"cost_id": cost.ID.String(), "kind": string(cost.Kind),
				"amount": float64(cost.Amount.Minor), "currency": cost.Amount.Currency, "on": on, "note": cost.Note, "source": cost.Source})}
	}
	fields := map[string]any{"offer_id": o.ID.String(), "campaign_id": o.CampaignID.String(), "code": r.Code,
		"purchase_id": pu.ID.String(), "purchase_amount": float64(pu.Amount.Minor), "discount": float64(r.Discount.Minor),
		"currency": o.Currency}
	if plan.Cost != nil {
		fields["cost_id"] = r.CostID.String()
	}
	plan.Event = crmtype.Event{Time: now, Type: EventCodeRedeemed, SubjectType: SubjectRedemption, Subject: r.ID, SubjectKey: r.Code,
		Customer: customerID, Changes: crmtype.DiffFields(nil, fields)}
	return plan, nil
}

// Redemptions returns one page of the workspace's redemptions that p
// selects, oldest first. Errors: ErrInvalid "limit", "cursor";
// ErrNotFound when p.OfferID is not an offer of the workspace.
func (s *Service) Redemptions(ctx context.Context, p RedemptionListParams) (crmtype.Page[*Redemption], error) {
	const op = "redemptions"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Redemption]{}, err
	}
	limit, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Redemption]{}, wrap(op, err)
	}
	page, err := s.store.ListRedemptions(ctx, sc, p, limit)
	return page, wrap(op, err)
}

func offerEvent(typ string, o *Offer, now time.Time, changes []crmtype.Change) crmtype.Event {
	return crmtype.Event{Time: now, Type: typ, SubjectType: SubjectOffer, Subject: o.ID, SubjectKey: o.Name, Changes: changes}
}

func offerFields(o *Offer) map[string]any {
	t := func(v time.Time) any {
		if v.IsZero() {
			return nil
		}
		return v.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{"campaign_id": o.CampaignID.String(), "name": o.Name, "percent_bp": float64(o.Discount.PercentBP),
		"amount_off": float64(o.Discount.AmountOff), "max_discount": float64(o.Discount.MaxDiscount), "currency": o.Currency,
		"min_spend": float64(o.MinSpend), "valid_from": t(o.ValidFrom), "valid_to": t(o.ValidTo),
		"per_customer_limit": float64(o.PerCustomerLimit), "total_limit": float64(o.TotalLimit),
		"code_policy": string(o.CodePolicy), "shared_code": o.SharedCode, "record_cost": o.RecordCost}
}

// applyOfferUpdate checks and applies the non-nil fields of p to o.
func applyOfferUpdate(o *Offer, p OfferUpdate) error {
	if p.Name != nil {
		v, err := check.Line("name", *p.Name, MaxNameBytes, true)
		if err != nil {
			return err
		}
		o.Name = v
	}
	if p.Discount != nil {
		if err := p.Discount.check(); err != nil {
			return err
		}
		o.Discount = *p.Discount
	}
	if p.MinSpend != nil {
		if *p.MinSpend < 0 || *p.MinSpend > MaxAmountMinor {
			return crmtype.Invalidf("min_spend", "is %d: give 0 to %d minor units", *p.MinSpend, int64(MaxAmountMinor))
		}
		o.MinSpend = *p.MinSpend
	}
	if p.ValidFrom != nil {
		o.ValidFrom = utc(*p.ValidFrom)
	}
	if p.ValidTo != nil {
		o.ValidTo = utc(*p.ValidTo)
	}
	if !o.ValidFrom.IsZero() && !o.ValidTo.IsZero() && !o.ValidTo.After(o.ValidFrom) {
		return crmtype.Invalid("valid_to", "is not after valid_from")
	}
	for _, f := range []struct {
		field string
		in    *int
		out   *int
	}{{"per_customer_limit", p.PerCustomerLimit, &o.PerCustomerLimit}, {"total_limit", p.TotalLimit, &o.TotalLimit}} {
		if f.in != nil {
			if *f.in < 0 || *f.in > math.MaxInt32 {
				return crmtype.Invalidf(f.field, "is %d: give 0 (unlimited) to %d", *f.in, math.MaxInt32)
			}
			*f.out = *f.in
		}
	}
	if p.RecordCost != nil {
		o.RecordCost = *p.RecordCost
	}
	return nil
}

func clipOfferName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // not in the middle of a UTF-8 sequence
		n--
	}
	return s[:n]
}
