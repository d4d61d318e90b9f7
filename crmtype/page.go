package crmtype

import (
	"encoding/base64"
	"encoding/json"
)

// Cursor is an opaque position in a keyset-paginated list. The empty cursor
// means "from the start". A cursor is only meaningful for the list (and
// sort order) that produced it.
type Cursor string

// Page is one page of a list. Next is empty when there are no more items.
type Page[T any] struct {
	Items []T
	Next  Cursor
}

// Limits on a page's size.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageSize returns the page size for a requested limit: DefaultPageSize for
// 0, or a *ValidationError for field "limit" outside 0..MaxPageSize.
func PageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageSize, nil
	case limit < 0 || limit > MaxPageSize:
		return 0, Invalidf("limit", "must be between 1 and %d", MaxPageSize)
	}
	return limit, nil
}

// EncodeCursor turns a sort key into a Cursor. Stores use it; callers treat
// cursors as opaque.
func EncodeCursor(key any) Cursor {
	b, err := json.Marshal(key)
	if err != nil {
		panic("crmtype: cursor key is not JSON: " + err.Error())
	}
	return Cursor(base64.RawURLEncoding.EncodeToString(b))
}

// DecodeCursor reads a Cursor made by EncodeCursor into key. A malformed
// cursor is a *ValidationError for field "cursor".
func DecodeCursor(c Cursor, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	if err != nil {
		return Invalid("cursor", "is malformed")
	}
	if err := json.Unmarshal(b, key); err != nil {
		return Invalid("cursor", "is malformed")
	}
	return nil
}
