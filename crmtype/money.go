package crmtype

import "fmt"

// Money is an amount in minor units (cents, fen, yen) of an ISO 4217
// currency. It is never a float.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"` // ISO 4217 code, upper case, e.g. "USD", "CNY", "JPY"
}

// String formats m as the amount in minor units and the code, e.g. "1999 USD".
// Formatting in major units for display depends on the currency's digits and
// the reader's locale, which the host knows.
func (m Money) String() string { return fmt.Sprintf("%d %s", m.Minor, m.Currency) }
