package crmtype_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kehu/crm/crmtype"
)

// IDs are UUIDv7: they carry their creation time (to the millisecond) and
// sort in creation order, even within one millisecond.
func ExampleNewID() {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := crmtype.NewID(t)
	b := crmtype.NewID(t) // same millisecond
	c := crmtype.NewID(t.Add(time.Second))

	fmt.Println(a.String() < b.String(), b.String() < c.String())
	fmt.Println(a.Time(), c.Time())
	fmt.Println(len(a.String()), a.String()[14:15]) // the version digit

	back, err := crmtype.ParseID(a.String())
	fmt.Println(back == a, err)
	fmt.Println(crmtype.ID{}.IsZero())
	// Output:
	// true true
	// 2026-01-02 03:04:05 +0000 UTC 2026-01-02 03:04:06 +0000 UTC
	// 36 7
	// true <nil>
	// true
}

// A rejected input is a *ValidationError naming the field; it matches
// ErrInvalid, however deeply it is wrapped.
func ExampleValidationError() {
	err := fmt.Errorf("customer: create: %w",
		crmtype.Invalid("value", "is not a valid phone number").Prefix("identities[1]"))

	fmt.Println(err)
	fmt.Println(errors.Is(err, crmtype.ErrInvalid), errors.Is(err, crmtype.ErrConflict))
	var ve *crmtype.ValidationError
	if errors.As(err, &ve) {
		fmt.Printf("field %s: %s\n", ve.Field, ve.Reason)
	}
	// Output:
	// customer: create: invalid identities[1].value: is not a valid phone number
	// true false
	// field identities[1].value: is not a valid phone number
}

func ExamplePageSize() {
	for _, limit := range []int{0, 10, crmtype.MaxPageSize, crmtype.MaxPageSize + 1, -1} {
		n, err := crmtype.PageSize(limit)
		fmt.Println(limit, n, err)
	}
	// Output:
	// 0 50 <nil>
	// 10 10 <nil>
	// 1000 1000 <nil>
	// 1001 0 invalid limit: must be between 1 and 1000
	// -1 0 invalid limit: must be between 1 and 1000
}
