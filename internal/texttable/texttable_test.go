package texttable

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWidthAndAlignment(t *testing.T) {
	require.Equal(t, 4, Width("张三"))
	require.Equal(t, 4, Width("José"))
	require.Equal(t, 4, Width("Jose\u0301"), "a combining accent takes no column")
	var b strings.Builder
	tb := New("Name", "Spend").Right(1)
	tb.Row("张三", "1.00")
	tb.Row("John Smith", "100.00")
	tb.Write(&b, "T")
	require.Equal(t, "T\n  Name         Spend\n  ----------  ------\n  张三          1.00\n  John Smith  100.00\n\n", b.String())
}
