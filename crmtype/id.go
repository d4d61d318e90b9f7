package crmtype

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// ID identifies a record. It is a UUIDv7 (RFC 9562): time-ordered, so IDs
// created later sort after earlier ones, and safe to generate on many machines.
// The zero ID means "none".
type ID [16]byte

var idState struct {
	sync.Mutex
	lastMS  int64
	counter uint16 // 12-bit sequence within one millisecond (rand_a)
}

// NewID returns a new UUIDv7 taken at t. IDs made in the same process are
// strictly increasing, even within one millisecond or when the clock steps
// back by less than a second; a t further in the past (a test clock, a
// backfill) starts a new sequence at t.
func NewID(t time.Time) ID {
	var id ID
	if _, err := rand.Read(id[:]); err != nil {
		panic("crmtype: crypto/rand failed: " + err.Error())
	}
	ms := t.UnixMilli()
	idState.Lock()
	if ms <= idState.lastMS && ms > idState.lastMS-1000 {
		ms = idState.lastMS
		idState.counter++
		if idState.counter > 0x0fff { // sequence exhausted: borrow the next millisecond
			ms++
			idState.counter = 0
		}
	} else {
		idState.counter = binary.BigEndian.Uint16(id[6:8]) & 0x07ff // random start, room to count up
	}
	idState.lastMS = ms
	seq := idState.counter
	idState.Unlock()

	id[0] = byte(ms >> 40)
	id[1] = byte(ms >> 32)
	id[2] = byte(ms >> 24)
	id[3] = byte(ms >> 16)
	id[4] = byte(ms >> 8)
	id[5] = byte(ms)
	id[6] = 0x70 | byte(seq>>8)&0x0f // version 7
	id[7] = byte(seq)
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// ParseID parses the canonical 36-character form (8-4-4-4-12 hex digits).
// It returns a *ValidationError for field "id" on anything else.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, Invalid("id", "is not a UUID")
	}
	hexs := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(hexs)); err != nil {
		return ID{}, Invalid("id", "is not a UUID")
	}
	return id, nil
}

// MustParseID is ParseID for constants in tests and examples; it panics on error.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the creation time encoded in a UUIDv7.
func (id ID) Time() time.Time {
	ms := int64(id[0])<<40 | int64(id[1])<<32 | int64(id[2])<<24 | int64(id[3])<<16 | int64(id[4])<<8 | int64(id[5])
	return time.UnixMilli(ms).UTC()
}

// String returns the canonical lower-case form, e.g. 0190a5f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Value implements driver.Valuer: the canonical string, or NULL for the zero ID.
func (id ID) Value() (driver.Value, error) {
	if id.IsZero() {
		return nil, nil
	}
	return id.String(), nil
}

// Scan implements sql.Scanner for text and 16-byte binary UUIDs; NULL scans as the zero ID.
func (id *ID) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*id = ID{}
		return nil
	case string:
		return id.UnmarshalText([]byte(v))
	case []byte:
		if len(v) == 16 {
			copy(id[:], v)
			return nil
		}
		return id.UnmarshalText(v)
	case [16]byte:
		*id = v
		return nil
	}
	return fmt.Errorf("crmtype: cannot scan %T into ID", src)
}
