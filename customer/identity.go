package customer

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/kehu/crm/crmtype"
)

// IdentityKind is the kind of an identity.
type IdentityKind string

// Kinds of identity.
const (
	Email      IdentityKind = "email"
	Phone      IdentityKind = "phone"
	ExternalID IdentityKind = "external" // an id in another system, named by System
)

// Identity is one way to recognise a customer. An external id is unique
// within a workspace (it is a key into another system); an email or a
// phone may be held by several customers (a household's landline, a
// switchboard, a shared mailbox). One customer holds each (kind, system,
// value) at most once.
type Identity struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	Kind       IdentityKind
	// Value is canonical: an email lower-cased with an ASCII (punycode)
	// domain, a phone in E.164 (+8613800138000), an external id as given.
	Value  string
	System string // the external system, e.g. "shopify"; "" for emails and phones
	Label  string // free text such as "work" or "home"
	// Raw is the value as it was given.
	Raw string
	// Invalid says why the value is not a valid email or phone ("" when it
	// is valid): an import that keeps invalid values (InvalidKeep) stores
	// them flagged, with Value the trimmed text as given, and hygiene
	// (Normalise) flags values that stopped being valid. An invalid
	// identity is never used to match customers nor sent to.
	Invalid   string
	CreatedAt time.Time
}

// IdentityKey names an identity by its kind, system and canonical value.
type IdentityKey struct {
	Kind   IdentityKind
	System string
	Value  string
}

// Key returns id's IdentityKey.
func (id Identity) Key() IdentityKey {
	return IdentityKey{Kind: id.Kind, System: id.System, Value: id.Value}
}

// String renders k as "email a@b.com" or "external shop:123".
func (k IdentityKey) String() string {
	if k.System != "" {
		return string(k.Kind) + " " + k.System + ":" + k.Value
	}
	return string(k.Kind) + " " + k.Value
}

// IdentityParams describes an identity to add. Value may be in any common
// format: "Zhang San <ZHANG@Example.CN>", "mailto:a@b.com", "+86 138-0013-8000",
// "(650) 253-0000" (a number without a country code is read in the
// customer's country, Address.Country, else in the workspace's default
// region).
type IdentityParams struct {
	Kind   IdentityKind
	Value  string
	System string // required for ExternalID
	Label  string
}

// CanonicalEmail returns the canonical form of an email address given in any
// common form, or a *ValidationError for field "email".
func CanonicalEmail(s string) (string, error) {
	s = strings.TrimSpace(norm.NFC.String(s))
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	if s == "" {
		return "", crmtype.Invalid("email", "is empty")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", crmtype.Invalid("email", "is not an email address")
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return "", crmtype.Invalid("email", "is not an email address")
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	if strings.ContainsAny(local, " \"\\") {
		return "", crmtype.Invalid("email", "has a quoted local part, which is not supported")
	}
	ascii, err := idna.Lookup.ToASCII(strings.ToLower(domain))
	if err != nil || !strings.Contains(ascii, ".") {
		return "", crmtype.Invalid("email", "has an invalid domain")
	}
	out := strings.ToLower(local) + "@" + ascii
	if len(out) > 254 || len(local) > 64 {
		return "", crmtype.Invalid("email", "is longer than an email address may be")
	}
	return out, nil
}

// CanonicalPhone returns s in E.164. Numbers written without a country code
// are read as numbers of region (ISO 3166-1 alpha-2, e.g. "CN"). A number that
// is not valid for its country is a *ValidationError for field "phone".
func CanonicalPhone(s, region string) (string, error) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	if s == "" {
		return "", crmtype.Invalid("phone", "is empty")
	}
	if len(s) > 64 {
		return "", crmtype.Invalid("phone", "is too long")
	}
	if strings.HasPrefix(s, "00") { // international call prefix used across most of the world
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", crmtype.Invalid("phone", "has no country code and the workspace has no default region")
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", crmtype.Invalid("phone", "is not a valid phone number")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// needsRegion reports whether reading p requires the workspace's default region.
func (p IdentityParams) needsRegion() bool {
	if p.Kind != Phone {
		return false
	}
	v := strings.TrimSpace(norm.NFKC.String(p.Value))
	if len(v) >= 4 && strings.EqualFold(v[:4], "tel:") {
		v = v[4:]
	}
	return !strings.HasPrefix(v, "+") && !strings.HasPrefix(v, "00")
}

// canonical validates p and returns the identity it describes (without IDs).
func (p IdentityParams) canonical(region string) (Identity, error) {
	id := Identity{Kind: p.Kind, Raw: p.Value}
	label, err := singleLine("label", p.Label, 64, false)
	if err != nil {
		return id, err
	}
	id.Label = label
	if !utf8.ValidString(p.Value) || strings.ContainsRune(p.Value, 0) {
		return id, crmtype.Invalid("value", "is not valid UTF-8 text")
	}
	if len(p.Value) > 512 {
		return id, crmtype.Invalid("value", "is longer than 512 bytes")
	}
	switch p.Kind {
	case Email:
		if p.System != "" {
			return id, crmtype.Invalid("system", "is only for external ids")
		}
		v, err := CanonicalEmail(p.Value)
		if err != nil {
			return id, crmtype.Invalid("value", err.(*crmtype.ValidationError).Reason)
		}
		id.Value = v
	case Phone:
		if p.System != "" {
			return id, crmtype.Invalid("system", "is only for external ids")
		}
		v, err := CanonicalPhone(p.Value, region)
		if err != nil {
			return id, crmtype.Invalid("value", err.(*crmtype.ValidationError).Reason)
		}
		id.Value = v
	case ExternalID:
		sys, err := cleanText("system", p.System, 64, true)
		if err != nil {
			return id, err
		}
		v, err := cleanText("value", p.Value, 256, true)
		if err != nil {
			return id, err
		}
		id.System, id.Value = sys, v
	default:
		return id, crmtype.Invalidf("kind", "must be %q, %q or %q", Email, Phone, ExternalID)
	}
	id.Raw = strings.TrimSpace(p.Value)
	return id, nil
}
