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
	given, family   string // canonical: folded, simplified Han, unspaced
	givenR, familyR string // romanised (the canonical string itself when ASCII)
	date            string // 8 digits, or ""
	postcode        string
	addr            []string // street address tokens
	city            string
	emails          []string
	phones          []string // digits
	ext             []string
	attrs           []string // by attribute index; "" when missing
}

// sortKeyLess orders records for the sorted neighbourhood of oversized
// blocks: by romanised family name, given name, then postcode and date.
func sortKeyLess(a, b *prepared) bool {
	if a.familyR != b.familyR {
		return a.familyR < b.familyR
	}
	if a.givenR != b.givenR {
		return a.givenR < b.givenR
	}
	if a.postcode != b.postcode {
		return a.postcode < b.postcode
	}
	return a.date < b.date
}

// prepare normalises r; attrKeys orders the attributes.
func prepare(r *Record, attrKeys []string) prepared {
	var p prepared
	p.given, p.family = personNames(r.GivenName, r.FamilyName, r.FullName)
	p.givenR, p.familyR = romanise(p.given, false), romanise(p.family, true)
	p.date = normDate(r.Date)
	p.postcode = strings.ReplaceAll(Normalize(r.Address.Postcode), " ", "")
	p.addr = addressTokens(r.Address.Line)
	p.city = canonicalName(r.Address.City)
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

// streetWords are common abbreviations of address words, written out.
var streetWords = map[string]string{
	"st": "street", "str": "strasse", "rd": "road", "ave": "avenue", "av": "avenue", "blvd": "boulevard",
	"ln": "lane", "dr": "drive", "ct": "court", "pl": "place", "sq": "square", "hwy": "highway",
	"pde": "parade", "cres": "crescent", "tce": "terrace", "cl": "close", "apt": "apartment",
	"bldg": "building", "fl": "floor", "ste": "suite", "mt": "mount", "hts": "heights",
}

// addressTokens folds a street address and splits it into tokens: at
// spaces and punctuation, and between digits and letters and between Han
// and other characters ("建国路88号" is "建国路", "88", "号"). Common
// abbreviations are written out ("St" is "street").
func addressTokens(line string) []string {
	s := simplified(Normalize(line))
	if s == "" {
		return nil
	}
	var out []string
	start, prev := -1, 0
	for i, r := range s {
		c := charClass(r)
		if start >= 0 && c != prev {
			out = append(out, s[start:i])
			start = -1
		}
		if c != 0 && start < 0 {
			start = i
		}
		prev = c
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	j := 0
	for _, t := range out {
		if w, ok := streetWords[t]; ok {
			t = w
		}
		out[j] = t
		j++
	}
	return out[:j]
}

// charClass classes runes for address tokens: 0 space, 1 digit, 2 Han, 3
// other letters.
func charClass(r rune) int {
	switch {
	case r == ' ':
		return 0
	case r >= '0' && r <= '9':
		return 1
	case r >= 0x2E80 && isHan(r):
		return 2
	}
	return 3
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

// interner shares the memory of repeated values (names, cities,
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
	p.givenR, p.familyR = in.str(p.givenR), in.str(p.familyR)
	p.city = in.str(p.city)
	for i, t := range p.addr {
		p.addr[i] = in.str(t)
	}
}
