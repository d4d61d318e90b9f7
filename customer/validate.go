package customer

import (
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // validate IANA zones on machines without a zoneinfo database
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/kehu/crm/crmtype"
)

// cleanText trims s, normalises it to NFC and checks it is UTF-8 without
// control characters (tabs and newlines excepted) and at most max characters.
func cleanText(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", crmtype.Invalid(field, "is not valid UTF-8")
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		if required {
			return "", crmtype.Invalid(field, "is required")
		}
		return "", nil
	}
	for _, r := range s {
		if r == 0 {
			return "", crmtype.Invalid(field, "contains a NUL byte")
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return "", crmtype.Invalid(field, "contains a control character")
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", crmtype.Invalidf(field, "is %d characters long; at most %d are allowed", n, max)
	}
	return s, nil
}

// singleLine is cleanText that also rejects line breaks and tabs.
func singleLine(field, s string, max int, required bool) (string, error) {
	s, err := cleanText(field, s, max, required)
	if err == nil && strings.ContainsAny(s, "\t\r\n") {
		return "", crmtype.Invalid(field, "must be on one line")
	}
	return s, err
}

func cleanKind(k Kind) (Kind, error) {
	switch k {
	case "":
		return Person, nil
	case Person, Company:
		return k, nil
	}
	return "", crmtype.Invalidf("kind", "must be %q or %q", Person, Company)
}

func cleanStage(s Stage) (Stage, error) {
	if s == "" {
		return StageLead, nil
	}
	for _, v := range Stages {
		if s == v {
			return s, nil
		}
	}
	return "", crmtype.Invalidf("stage", "%q is not a lifecycle stage", s)
}

func cleanLocale(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := language.Parse(s)
	if err != nil {
		return "", crmtype.Invalidf("locale", "%q is not a BCP 47 language tag", s)
	}
	return t.String(), nil
}

func cleanTimeZone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if s == "Local" || strings.ContainsRune(s, 0) {
		return "", crmtype.Invalidf("time_zone", "%q is not an IANA time zone", s)
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", crmtype.Invalidf("time_zone", "%q is not an IANA time zone", s)
	}
	return s, nil
}

// CleanRegion returns the upper-case ISO 3166-1 alpha-2 code s, or a
// *crmtype.ValidationError for field when s is not a country ("" is allowed).
func CleanRegion(field, s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if len(s) != 2 {
		return "", crmtype.Invalidf(field, "%q is not an ISO 3166-1 alpha-2 country code", s)
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() {
		return "", crmtype.Invalidf(field, "%q is not an ISO 3166-1 alpha-2 country code", s)
	}
	return s, nil
}

func cleanAddress(a Address) (Address, error) {
	var err error
	fields := []struct {
		name string
		v    *string
		max  int
	}{
		{"address.line1", &a.Line1, 200}, {"address.line2", &a.Line2, 200},
		{"address.city", &a.City, 100}, {"address.region", &a.Region, 100},
		{"address.postal_code", &a.PostalCode, 32},
	}
	for _, f := range fields {
		if *f.v, err = singleLine(f.name, *f.v, f.max, false); err != nil {
			return a, err
		}
	}
	a.Country, err = CleanRegion("address.country", a.Country)
	return a, err
}

// cleanTags trims, NFC-normalises, de-duplicates and sorts tags.
func cleanTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		v, err := singleLine("tags", t, 64, true)
		if err != nil {
			return nil, &crmtype.ValidationError{Field: "tags[" + strconv.Itoa(i) + "]", Reason: err.(*crmtype.ValidationError).Reason}
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	if len(out) > 100 {
		return nil, crmtype.Invalid("tags", "at most 100 tags are allowed")
	}
	if len(out) == 0 {
		return nil, nil // no tags reads back as nil; keep what Create returns equal to Get
	}
	return out, nil
}
