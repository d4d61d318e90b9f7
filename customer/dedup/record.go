package dedup

import (
	"sort"
	"strings"
	"unicode"

	"github.com/kehu/crm/internal/searchtext"
)

// Record is one entity (a person or a company) to compare. Every field is
// optional; a missing field neither helps nor hurts a match.
type Record struct {
	// ID identifies the record to the caller; it is reported back in pairs
	// and clusters and is not compared.
	ID string
	// GivenName and FamilyName are a person's names in any script. When both
	// are empty, FullName is split: the first word is taken as the given
	// name and the last as the family name; a name without spaces ("张三")
	// is taken whole as the family name.
	GivenName  string
	FamilyName string
	FullName   string
	Emails     []string // canonical (lower case) email addresses
	Phones     []string // E.164 numbers or any digits
	// ExternalIDs are ids in other systems, written "system:value"; two
	// records with an id of the same system agree or disagree on it.
	ExternalIDs []string
	Address     Address
	// Date is a date of birth or any other date that identifies the
	// entity, as YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD.
	Date string
	// Attributes are further comparable values, such as an id number,
	// compared by key as text with typo tolerance.
	Attributes map[string]string
}

// Address is a postal address.
type Address struct {
	Line     string // street, number, building: everything before the city
	City     string
	Region   string
	Postcode string
	Country  string // ISO 3166-1 alpha-2
}

// prepared is a Record normalised for comparison.
type prepared struct {
	given, family string
	date          string // 8 digits, or ""
	postcode      string
	addr          []string
	city, region  string
	country       string
	emails        []string
	phones        []string
	ext           []string
	attrs         []string // by attribute index; "" when missing
}

// sortKeyLess orders records for the sorted neighbourhood of oversized
// blocks: by given name, family name, then date.
func sortKeyLess(a, b *prepared) bool {
	if a.given != b.given {
		return a.given < b.given
	}
	if a.family != b.family {
		return a.family < b.family
	}
	return a.date < b.date
}

// prepare normalises r; attrKeys orders the attributes.
func prepare(r *Record, attrKeys []string) prepared {
	var p prepared
	p.given, p.family = squash(Normalize(r.GivenName)), squash(Normalize(r.FamilyName))
	if p.given == "" && p.family == "" && r.FullName != "" {
		f := strings.Fields(Normalize(r.FullName))
		switch {
		case len(f) == 1:
			p.family = f[0]
		case len(f) > 1:
			p.given, p.family = f[0], f[len(f)-1]
		}
	}
	p.date = normDate(r.Date)
	p.postcode = strings.ReplaceAll(Normalize(r.Address.Postcode), " ", "")
	if line := Normalize(r.Address.Line); line != "" {
		p.addr = strings.Fields(line)
	}
	p.city = Normalize(r.Address.City)
	p.region = Normalize(r.Address.Region)
	p.country = Normalize(r.Address.Country)
	for _, e := range r.Emails {
		if e = strings.TrimSpace(searchtext.Fold(e)); e != "" {
			p.emails = append(p.emails, e)
		}
	}
	for _, ph := range r.Phones {
		if d := searchtext.DigitsOnly(ph); len(d) >= 5 {
			p.phones = append(p.phones, d)
		}
	}
	for _, x := range r.ExternalIDs {
		if x = strings.TrimSpace(x); x != "" {
			p.ext = append(p.ext, x)
		}
	}
	if len(attrKeys) > 0 && len(r.Attributes) > 0 {
		p.attrs = make([]string, len(attrKeys))
		for i, k := range attrKeys {
			p.attrs[i] = Normalize(r.Attributes[k])
		}
	}
	return p
}

// normDate returns the digits of a date as YYYYMMDD, or "" when s does not
// hold eight digits.
func normDate(s string) string {
	if s == "" {
		return ""
	}
	var b [8]byte
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if n == 8 {
				return ""
			}
			b[n] = byte(r)
			n++
		} else if unicode.IsLetter(r) {
			return ""
		}
	}
	if n != 8 {
		return ""
	}
	return string(b[:])
}

// attrKeysOf returns the sorted attribute keys used by any record.
func attrKeysOf(recs []Record) []string {
	seen := map[string]bool{}
	for i := range recs {
		for k, v := range recs[i].Attributes {
			if v != "" {
				seen[k] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// interner shares the memory of repeated values (names, cities, regions,
// countries repeat a lot) among prepared records. One per goroutine.
type interner struct {
	m map[string]string
}

// maxInterned bounds an interner's table; values beyond it are kept as
// they are.
const maxInterned = 1 << 18

func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	if in.m == nil {
		in.m = map[string]string{}
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

func (in *interner) prepared(p *prepared) {
	p.given, p.family = in.str(p.given), in.str(p.family)
	p.city, p.region, p.country = in.str(p.city), in.str(p.region), in.str(p.country)
}
