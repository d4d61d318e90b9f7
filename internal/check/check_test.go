package check

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kehu/crm/crmtype"
)

func TestLine(t *testing.T) {
	v, err := Line("name", "  张三 Zhang  ", 20, true)
	require.NoError(t, err)
	require.Equal(t, "张三 Zhang", v)
	for _, c := range []struct {
		in       string
		required bool
	}{{" ", true}, {"a\nb", false}, {"\xff", false}, {"123456789012345678901", false}} {
		_, err := Line("name", c.in, 20, c.required)
		var ve *crmtype.ValidationError
		require.True(t, errors.As(err, &ve), "%q", c.in)
		require.Equal(t, "name", ve.Field)
	}
	v, err = Line("note", "", 20, false)
	require.NoError(t, err)
	require.Empty(t, v)
}

func TestSlug(t *testing.T) {
	require.True(t, Slug("after_sales-2", 64))
	for _, v := range []string{"", "Upper", "with space", "ü", "toolong"} {
		require.False(t, Slug(v, 6), v)
	}
}

func TestNumber(t *testing.T) {
	for _, v := range []any{2.5, float32(2.5), json.Number("2.5")} {
		f, ok := Number(v)
		require.True(t, ok)
		require.Equal(t, 2.5, f)
	}
	for _, v := range []any{int(3), int32(3), int64(3)} {
		f, ok := Number(v)
		require.True(t, ok)
		require.Equal(t, 3.0, f)
	}
	for _, v := range []any{"3", nil, math.NaN(), math.Inf(1), json.Number("x")} {
		_, ok := Number(v)
		require.False(t, ok, "%v", v)
	}
}
