package customer

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"github.com/kehu/crm/crmtype"
)

// Purchase is one order line or order of a customer.
type Purchase struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	OccurredAt time.Time     // when the customer bought, UTC
	Amount     crmtype.Money // the total paid, in minor units
	Quantity   int64         // items bought; 0 when unknown
	Channel    string        // e.g. "web", "store", "phone"
	// OrderID is the order's id in the host's shop system: unique per
	// workspace, so recording the same order twice is ErrConflict. "" for none.
	OrderID     string
	Description string
	CreatedAt   time.Time
}

// PurchaseParams describes a purchase to record.
type PurchaseParams struct {
	CustomerID  crmtype.ID    // required
	OccurredAt  time.Time     // required; from 1900 to not more than one day in the future
	Amount      crmtype.Money // 0 <= Minor <= MaxAmountMinor; Currency an ISO 4217 code
	Quantity    int64         // >= 0
	Channel     string
	OrderID     string
	Description string
}

// MaxAmountMinor bounds one purchase's amount (10^15 minor units), so that
// totals over millions of purchases stay within int64.
const MaxAmountMinor = 1e15

// PurchaseStats aggregates one customer's purchases.
type PurchaseStats struct {
	Count  int
	Totals []crmtype.Money // one total per currency, by currency code
	First  time.Time       // zero when Count is 0
	Last   time.Time
}

// CurrencyDigits returns the number of minor-unit digits of an ISO 4217
// currency (2 for USD, 0 for JPY, 3 for KWD), or a *ValidationError for
// field "currency".
func CurrencyDigits(code string) (int, error) {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return 0, crmtype.Invalidf("currency", "%q is not an upper-case ISO 4217 code", code)
	}
	u, err := currency.ParseISO(code)
	if err != nil || u == (currency.Unit{}) {
		return 0, crmtype.Invalidf("currency", "%q is not an ISO 4217 currency", code)
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale, nil
}

func newPurchase(p PurchaseParams, now time.Time) (*Purchase, error) {
	if p.CustomerID.IsZero() {
		return nil, crmtype.Invalid("customer_id", "is required")
	}
	if p.OccurredAt.IsZero() {
		return nil, crmtype.Invalid("occurred_at", "is required")
	}
	if p.OccurredAt.After(now.Add(24 * time.Hour)) {
		return nil, crmtype.Invalid("occurred_at", "is more than a day in the future")
	}
	if p.OccurredAt.Year() < 1900 {
		return nil, crmtype.Invalid("occurred_at", "is before 1900")
	}
	if p.Amount.Minor < 0 {
		return nil, crmtype.Invalid("amount.minor", "must not be negative")
	}
	if p.Amount.Minor > MaxAmountMinor {
		return nil, crmtype.Invalidf("amount.minor", "must be at most %d", int64(MaxAmountMinor))
	}
	if _, err := CurrencyDigits(p.Amount.Currency); err != nil {
		return nil, err.(*crmtype.ValidationError).Prefix("amount")
	}
	if p.Quantity < 0 {
		return nil, crmtype.Invalid("quantity", "must not be negative")
	}
	pu := &Purchase{
		ID: crmtype.NewID(now), CustomerID: p.CustomerID, OccurredAt: p.OccurredAt.UTC().Truncate(time.Microsecond),
		Amount: p.Amount, Quantity: p.Quantity, CreatedAt: now,
	}
	var err error
	if pu.Channel, err = singleLine("channel", p.Channel, 64, false); err != nil {
		return nil, err
	}
	if pu.OrderID, err = singleLine("order_id", p.OrderID, 128, false); err != nil {
		return nil, err
	}
	if pu.Description, err = cleanText("description", p.Description, 2000, false); err != nil {
		return nil, err
	}
	return pu, nil
}

// RecordPurchase stores one purchase of a live or deleted customer.
// Errors: ErrInvalid; ErrNotFound when the customer does not exist;
// ErrConflict when OrderID is already recorded.
func (s *Service) RecordPurchase(ctx context.Context, p PurchaseParams) (*Purchase, error) {
	ps, err := s.recordPurchases(ctx, []PurchaseParams{p}, false)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// RecordPurchases stores many purchases in one transaction, all or none.
// Fields of the i-th purchase are reported as "[i].field".
func (s *Service) RecordPurchases(ctx context.Context, ps []PurchaseParams) ([]*Purchase, error) {
	return s.recordPurchases(ctx, ps, true)
}

func (s *Service) recordPurchases(ctx context.Context, ps []PurchaseParams, indexed bool) ([]*Purchase, error) {
	const op = "record purchase"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]*Purchase, len(ps))
	for i, p := range ps {
		pu, err := newPurchase(p, now)
		if err != nil {
			var ve *crmtype.ValidationError
			if indexed && errors.As(err, &ve) {
				err = ve.Prefix("[" + strconv.Itoa(i) + "]")
			}
			return nil, wrap(op, err)
		}
		out[i] = pu
	}
	if err := s.store.InsertPurchases(ctx, sc, out); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// PurchaseListParams selects one page of a customer's purchases.
type PurchaseListParams struct {
	Limit int            // page size; default crmtype.DefaultPageSize, at most crmtype.MaxPageSize
	After crmtype.Cursor // the Next of the previous page; "" for the first page
}

// Purchases returns one page of customer id's purchases, newest first.
// ErrNotFound when the customer does not exist.
func (s *Service) Purchases(ctx context.Context, customerID crmtype.ID, p PurchaseListParams) (crmtype.Page[*Purchase], error) {
	const op = "purchases"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return crmtype.Page[*Purchase]{}, err
	}
	n, err := crmtype.PageSize(p.Limit)
	if err != nil {
		return crmtype.Page[*Purchase]{}, wrap(op, err)
	}
	page, err := s.store.ListPurchases(ctx, sc, customerID, p.After, n)
	return page, wrap(op, err)
}

// PurchaseStats returns the count, per-currency totals, and first and last
// purchase times of customer id. ErrNotFound when the customer does not exist.
func (s *Service) PurchaseStats(ctx context.Context, customerID crmtype.ID) (PurchaseStats, error) {
	const op = "purchase stats"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return PurchaseStats{}, err
	}
	st, err := s.store.PurchaseStats(ctx, sc, customerID)
	return st, wrap(op, err)
}
