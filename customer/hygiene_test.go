package customer

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenormalise(t *testing.T) {
	for _, c := range []struct {
		id             Identity
		region         string
		value, invalid string
	}{
		{Identity{Kind: Email, Value: "Ann@Example.COM"}, "", "ann@example.com", ""},
		{Identity{Kind: Email, Value: "ann@example.com"}, "", "ann@example.com", ""},
		{Identity{Kind: Email, Value: "nope"}, "", "", "is not an email address"},
		{Identity{Kind: Phone, Value: "(650) 253-0000"}, "US", "+16502530000", ""},
		{Identity{Kind: Phone, Value: "(650) 253-0000"}, "", "", "has no country code and the workspace has no default region"},
		{Identity{Kind: Phone, Value: "bad", Raw: "+86 138 0013 8000"}, "", "+8613800138000", ""},
		{Identity{Kind: Phone, Value: "+1 555"}, "US", "", "is not a valid phone number"},
	} {
		v, why := renormalise(c.id, c.region)
		require.Equal(t, c.value, v, "%+v", c.id)
		require.Equal(t, c.invalid, why, "%+v", c.id)
	}
}
