package crmtype

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIDIsOrderedVersion7(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	prev := NewID(at)
	for i := 0; i < 10000; i++ { // many IDs in one millisecond stay strictly increasing
		id := NewID(at)
		require.Greater(t, id.String(), prev.String())
		require.Equal(t, byte(0x70), id[6]&0xf0, "version 7")
		require.Equal(t, byte(0x80), id[8]&0xc0, "RFC 9562 variant")
		prev = id
	}
	later := NewID(at.Add(time.Hour))
	require.Greater(t, later.String(), prev.String())
	require.Equal(t, at.Add(time.Hour), later.Time())
}

func TestParseID(t *testing.T) {
	id := NewID(time.Now())
	got, err := ParseID(id.String())
	require.NoError(t, err)
	require.Equal(t, id, got)
	for _, bad := range []string{"", "x", id.String()[:35], id.String() + "0", "0190a5f2x7c1e-7a3b-9c4d-5e6f7a8b9c0", "zz90a5f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d"} {
		_, err := ParseID(bad)
		require.ErrorIs(t, err, ErrInvalid, bad)
	}
}

func TestIDScanValue(t *testing.T) {
	id := NewID(time.Now())
	v, err := id.Value()
	require.NoError(t, err)
	require.Equal(t, id.String(), v)
	v, err = ID{}.Value()
	require.NoError(t, err)
	require.Nil(t, v)
	for _, src := range []any{id.String(), []byte(id.String()), id[:], [16]byte(id)} {
		var got ID
		require.NoError(t, got.Scan(src))
		require.Equal(t, id, got)
	}
	var got ID
	require.NoError(t, got.Scan(nil))
	require.True(t, got.IsZero())
	require.Error(t, got.Scan(42))
}

func TestWorkspaceValidate(t *testing.T) {
	require.NoError(t, WorkspaceID("acme").Validate())
	require.NoError(t, WorkspaceID("客户-工作区").Validate())
	for _, bad := range []WorkspaceID{"", WorkspaceID(make([]byte, 65)), "a\x00b", "a\nb", "\xff"} {
		require.ErrorIs(t, bad.Validate(), ErrNoWorkspace, "%q", bad)
	}
	ctx := WithActor(context.Background(), "user:42")
	sc, err := NewScope(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, Scope{Workspace: "acme", Actor: "user:42"}, sc)
}

func TestErrors(t *testing.T) {
	err := error(Invalid("name", "is required"))
	require.ErrorIs(t, err, ErrInvalid)
	require.NotErrorIs(t, err, ErrConflict)
	require.Equal(t, "invalid name: is required", err.Error())
	require.Equal(t, "identities[0].value", Invalid("value", "x").Prefix("identities[0]").Field)
	require.Equal(t, "[2].name", Invalid("name", "x").Prefix("[2]").Field)
	var ve *ValidationError
	require.True(t, errors.As(error(Invalid("name", "x").Prefix("[2]")), &ve))
	holder := NewID(time.Now())
	ce := error(&ConflictError{Resource: "identity", Field: "email", Value: "a@b.cn", HeldBy: holder})
	require.ErrorIs(t, ce, ErrConflict)
	require.Contains(t, ce.Error(), holder.String())
}

func TestCursorAndPageSize(t *testing.T) {
	type key struct {
		K []byte `json:"k"`
		N int    `json:"n"`
	}
	c := EncodeCursor(key{K: []byte{0, 255}, N: 7})
	var got key
	require.NoError(t, DecodeCursor(c, &got))
	require.Equal(t, key{K: []byte{0, 255}, N: 7}, got)
	require.ErrorIs(t, DecodeCursor("%%%", &got), ErrInvalid)
	n, err := PageSize(0)
	require.NoError(t, err)
	require.Equal(t, DefaultPageSize, n)
	_, err = PageSize(MaxPageSize + 1)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = PageSize(-1)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestManualClock(t *testing.T) {
	c := NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 1500, time.FixedZone("CST", 8*3600)))
	require.Equal(t, time.UTC, c.Now().Location())
	require.Equal(t, 1000, c.Now().Nanosecond(), "truncated to the microsecond")
	require.Equal(t, c.Now().Add(time.Minute), c.Advance(time.Minute))
}
