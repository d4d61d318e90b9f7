package customer

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/kehu/crm/crmtype"
)

// AttributeType is the type of a custom attribute's values.
type AttributeType string

// Attribute types.
const (
	TypeString AttributeType = "string" // text up to 1,000 characters
	TypeNumber AttributeType = "number" // a finite float64
	TypeBool   AttributeType = "bool"
	TypeDate   AttributeType = "date" // a calendar date, stored as "2006-01-02"
	TypeEnum   AttributeType = "enum" // one of Options
)

// AttributeDef is one custom attribute in a workspace's schema.
type AttributeDef struct {
	// Key names the attribute in Customer.Attributes and filters: a lower-case
	// ASCII letter followed by up to 62 lower-case letters, digits or '_'.
	Key      string
	Label    string // for display, any script
	Type     AttributeType
	Required bool     // every new customer must have a value, and it cannot be removed
	Options  []string // the allowed values of an enum
	// Match is the attribute's role in duplicate detection: FindDuplicates
	// and MatchCandidate compare it with no further settings. Default
	// MatchNone.
	Match     MatchRole
	CreatedAt time.Time
}

// MatchRole says how duplicate detection uses an attribute.
type MatchRole string

// Match roles.
const (
	// MatchNone: the attribute is not compared.
	MatchNone MatchRole = ""
	// MatchBirthDate: a date of birth (a date or string attribute),
	// compared tolerant of one typo and of swapped day and month. At most
	// one attribute of a workspace has this role.
	MatchBirthDate MatchRole = "birth_date"
	// MatchID: an identifier of the person, such as a national id,
	// passport or tax number (a string, enum or number attribute),
	// compared tolerant of one or two typos.
	MatchID MatchRole = "id"
)

var attributeKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// validateDef checks d and returns it cleaned.
func validateDef(d AttributeDef) (AttributeDef, error) {
	if !attributeKey.MatchString(d.Key) {
		return d, crmtype.Invalid("key", "must be a lower-case letter followed by up to 62 lower-case letters, digits or '_'")
	}
	var err error
	if d.Label, err = singleLine("label", d.Label, 100, false); err != nil {
		return d, err
	}
	switch d.Type {
	case TypeString, TypeNumber, TypeBool, TypeDate:
		if len(d.Options) > 0 {
			return d, crmtype.Invalid("options", "are only for enum attributes")
		}
	case TypeEnum:
		if len(d.Options) == 0 {
			return d, crmtype.Invalid("options", "an enum needs at least one option")
		}
		opts := make([]string, 0, len(d.Options))
		seen := map[string]bool{}
		for i, o := range d.Options {
			v, err := singleLine("options", o, 100, true)
			if err != nil {
				return d, crmtype.Invalidf("options["+strconv.Itoa(i)+"]", "%s", err.(*crmtype.ValidationError).Reason)
			}
			if seen[v] {
				return d, crmtype.Invalidf("options["+strconv.Itoa(i)+"]", "%q is listed twice", v)
			}
			seen[v] = true
			opts = append(opts, v)
		}
		d.Options = opts
	default:
		return d, crmtype.Invalidf("type", "%q is not one of string, number, bool, date, enum", d.Type)
	}
	switch d.Match {
	case MatchNone:
	case MatchBirthDate:
		if d.Type != TypeDate && d.Type != TypeString {
			return d, crmtype.Invalidf("match", "a %s attribute cannot be a date of birth", d.Type)
		}
	case MatchID:
		if d.Type == TypeBool || d.Type == TypeDate {
			return d, crmtype.Invalidf("match", "a %s attribute cannot be an identifier", d.Type)
		}
	default:
		return d, crmtype.Invalidf("match", "%q is not a match role (%q or %q)", d.Match, MatchBirthDate, MatchID)
	}
	return d, nil
}

// checkMatchRole refuses a second date of birth among defs.
func checkMatchRole(defs []AttributeDef, d AttributeDef) error {
	if d.Match != MatchBirthDate {
		return nil
	}
	for _, o := range defs {
		if o.Match == MatchBirthDate && o.Key != d.Key {
			return crmtype.Invalidf("match", "attribute %q is already the date of birth", o.Key)
		}
	}
	return nil
}

// matchRoles returns the attributes defs mark as the date of birth and as
// identifiers.
func matchRoles(defs []AttributeDef) (birthDate string, ids []string) {
	for _, d := range defs {
		switch d.Match {
		case MatchBirthDate:
			birthDate = d.Key
		case MatchID:
			ids = append(ids, d.Key)
		}
	}
	return birthDate, ids
}

// coerce checks v against d and returns it in its stored form.
func (d AttributeDef) coerce(v any) (any, error) {
	field := "attributes." + d.Key
	switch d.Type {
	case TypeString, TypeEnum:
		s, ok := v.(string)
		if !ok {
			return nil, crmtype.Invalidf(field, "must be a string, not %T", v)
		}
		s, err := cleanText(field, s, 1000, true)
		if err != nil {
			return nil, err
		}
		if d.Type == TypeEnum {
			for _, o := range d.Options {
				if o == s {
					return s, nil
				}
			}
			return nil, crmtype.Invalidf(field, "%q is not one of its options", s)
		}
		return s, nil
	case TypeNumber:
		var f float64
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
				return nil, crmtype.Invalid(field, "is not a number")
			}
		default:
			return nil, crmtype.Invalidf(field, "must be a number, not %T", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, crmtype.Invalid(field, "must be a finite number")
		}
		return f, nil
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return nil, crmtype.Invalidf(field, "must be a bool, not %T", v)
		}
		return b, nil
	case TypeDate:
		switch t := v.(type) {
		case time.Time:
			return t.Format(time.DateOnly), nil
		case string:
			p, err := time.Parse(time.DateOnly, t)
			if err != nil {
				return nil, crmtype.Invalidf(field, "%q is not a date in the form 2006-01-02", t)
			}
			return p.Format(time.DateOnly), nil
		}
		return nil, crmtype.Invalidf(field, "must be a date (time.Time or \"2006-01-02\"), not %T", v)
	}
	return nil, crmtype.Invalid(field, "has an unknown type")
}

// applyAttributes merges changes into cur (which may be nil) under the
// schema defs and returns the result. A nil value removes a key. When
// creating, every required attribute must end up present.
func applyAttributes(defs []AttributeDef, cur, changes map[string]any, creating bool) (map[string]any, error) {
	byKey := make(map[string]AttributeDef, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	out := make(map[string]any, len(cur)+len(changes))
	for k, v := range cur {
		out[k] = v
	}
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	for _, k := range keys {
		v := changes[k]
		d, ok := byKey[k]
		if !ok {
			return nil, crmtype.Invalid("attributes."+k, "is not a defined attribute")
		}
		if v == nil {
			if d.Required {
				return nil, crmtype.Invalid("attributes."+k, "is required and cannot be removed")
			}
			delete(out, k)
			continue
		}
		cv, err := d.coerce(v)
		if err != nil {
			return nil, err
		}
		out[k] = cv
	}
	if creating {
		for _, d := range defs {
			if _, ok := out[d.Key]; d.Required && !ok {
				return nil, crmtype.Invalid("attributes."+d.Key, "is required")
			}
		}
	}
	return out, nil
}
