// Package check holds the input checks several domain packages share: a
// one-line text field, a slug (an identifier users choose, such as a
// category or a campaign type), and a JSON-decoded number.
package check

import (
	"encoding/json"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/crmtype"
)

// Line trims v and checks it is a one-line value of at most max bytes:
// valid UTF-8, no control characters or line breaks, and not empty when
// required. The error is a *crmtype.ValidationError naming field.
func Line(field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v):
		return "", crmtype.Invalid(field, "is not UTF-8")
	case required && v == "":
		return "", crmtype.Invalid(field, "is required")
	case len(v) > max:
		return "", crmtype.Invalidf(field, "is longer than %d bytes", max)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "", crmtype.Invalid(field, "has a control character or line break")
	}
	return v, nil
}

// Slug reports whether v is 1 to max lowercase ASCII letters, digits, '_'
// and '-'.
func Slug(v string, max int) bool {
	if v == "" || len(v) > max {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Number returns v, a number as decoded from JSON or given in Go (float,
// int or json.Number), as a float64; ok is false when v is not a number
// or is not finite.
func Number(v any) (f float64, ok bool) {
	switch n := v.(type) {
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	case int64:
		f = float64(n)
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
