package marketing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/customer"
	"github.com/kehu/crm/internal/check"
	"golang.org/x/text/unicode/norm"
)

// Rule is a segment's membership rule: a tree of AND, OR and NOT over
// conditions. Exactly one field of a Rule is set. It is serialisable:
// json.Marshal writes it, ParseRule reads it back strictly.
//
// The JSON form, as a grammar (every object has exactly the keys shown,
// those in brackets optional):
//
//	rule        = {"and": [rule, ...]} | {"or": [rule, ...]} | {"not": rule}
//	            | {"field": field} | {"attribute": attribute} | {"tag": string}
//	            | {"identity": "email" | "phone" | "external"} | {"consent": consent}
//	            | {"purchases": purchases} | {"interactions": interactions}
//	            | {"tickets": tickets} | {"rfm": rfm}
//	field       = {"name": name, "op": op, "value": value}
//	attribute   = {"key": key, "op": op [, "value": value]}
//	consent     = {"purpose": purpose [, "channel": channel], "state": "granted" | "revoked" | "pending" | "none"}
//	purchases   = {"metric": "count" | "sum" | "last" | "first" [, "currency": code] [, "within": window], "op": op, "value": value}
//	interactions= {[ "channel": channel,] [ "direction": "inbound" | "outbound",] [ "within": window,] "op": op, "value": integer}
//	tickets     = {[ "open": bool,] [ "category": category,] [ "within": window,] "op": op, "value": integer}
//	rfm         = {"currency": code, "segments": [segment name, ...]}
//	window      = "<n>h" | "<n>d" | "<n>w"   (hours, days of 24 hours, weeks; up to 36500d)
//
// Example: customers who bought at least twice in the last 90 days, have
// an email address and have not revoked marketing by email:
//
//	{"and": [
//	  {"purchases": {"metric": "count", "within": "90d", "op": "gte", "value": 2}},
//	  {"identity": "email"},
//	  {"not": {"consent": {"purpose": "marketing", "channel": "email", "state": "revoked"}}}
//	]}
//
// Conditions are evaluated at an instant At (PreviewSegment, Snapshot):
// only customers created at or before At are members, and only purchases,
// interactions, tickets and consent entries dated at or before At count;
// windows are the half-open span (At − window, At]. Fields, tags,
// attributes, identities and ticket status are as they are now (they are
// not versioned). See FieldCond, AttributeCond, ConsentCond,
// PurchaseCond, InteractionCond, TicketCond and RFMCond for each
// condition's meaning. Every condition is true or false for every
// customer (a missing value makes a comparison false, never unknown), so
// NOT is exact complement.
type Rule struct {
	And          []Rule                `json:"and,omitempty"`
	Or           []Rule                `json:"or,omitempty"`
	Not          *Rule                 `json:"not,omitempty"`
	Field        *FieldCond            `json:"field,omitempty"`
	Attribute    *AttributeCond        `json:"attribute,omitempty"`
	Tag          string                `json:"tag,omitempty"`      // the customer has this tag
	Identity     customer.IdentityKind `json:"identity,omitempty"` // the customer has an identity of this kind
	Consent      *ConsentCond          `json:"consent,omitempty"`
	Purchases    *PurchaseCond         `json:"purchases,omitempty"`
	Interactions *InteractionCond      `json:"interactions,omitempty"`
	Tickets      *TicketCond           `json:"tickets,omitempty"`
	RFM          *RFMCond              `json:"rfm,omitempty"`
}

// Op is a condition's operator.
type Op string

// Operators. Which apply depends on the condition (see each).
const (
	OpEq      Op = "eq"
	OpNe      Op = "ne"
	OpLt      Op = "lt"
	OpLte     Op = "lte"
	OpGt      Op = "gt"
	OpGte     Op = "gte"
	OpIn      Op = "in"     // value: a list of 1 to MaxRuleList values
	OpNotIn   Op = "not_in" // value: a list of 1 to MaxRuleList values
	OpPrefix  Op = "prefix" // text starts with value (case-sensitive)
	OpExists  Op = "exists" // an attribute has a value (no value)
	OpMissing Op = "missing"
	OpBefore  Op = "before" // value: an RFC 3339 instant, or a window meaning At − window
	OpAfter   Op = "after"  // likewise
	OpWithin  Op = "within" // value: a window; the instant lies in (At − window, At]
)

// FieldCond compares a customer field.
//
// Fields and operators: "kind" (person, company) and "stage" (a lifecycle
// stage): eq, ne, in, not_in; "source", "owner_id", "country" (ISO 3166
// code; upper-cased), "region", "city", "locale", "time_zone": eq, ne, in,
// not_in, prefix, with string values ("" is the empty field);
// "created_at": before, after, within.
type FieldCond struct {
	Name  string `json:"name"`
	Op    Op     `json:"op"`
	Value any    `json:"value"`
}

// AttributeCond compares a custom attribute, by the type of its
// definition in the workspace (an undefined key is invalid):
//
//	number: eq ne lt lte gt gte with a number; exists, missing
//	date:   eq ne lt lte gt gte with "2006-01-02"; exists, missing
//	string: eq ne in not_in with text; exists, missing
//	enum:   eq ne in not_in with options of the enum; exists, missing
//	bool:   eq with true or false; exists, missing
//
// A comparison (ne and not_in included) is true only for a customer who
// has a value of the attribute's type; use NOT for "not equal or
// missing". exists is true when the customer has any value for the key.
type AttributeCond struct {
	Key   string `json:"key"`
	Op    Op     `json:"op"`
	Value any    `json:"value,omitempty"`
	// Type is the attribute's type, filled in by validation from the
	// workspace's definition; it is not part of the JSON form.
	Type customer.AttributeType `json:"-"`
}

// ConsentCond tests the customer's consent state for messages of Purpose
// (required) on Channel ("" for a message not bound to a channel) at the
// evaluation instant, by communication's effective-state rule: the
// entries that count are those effective at or before At whose channel
// is "" or Channel, whose purpose is "" or Purpose, and whose list is ""
// (list-specific entries never count here). Among them the latest
// revocation stands unless the latest grant is later and at least as
// specific; otherwise the latest grant decides, and without one the
// latest pending request. State "granted", "revoked" or "pending" is
// that outcome; "none" means no entry counts. ("Latest" is by effective
// time, then recording time, then id, as in communication.)
type ConsentCond struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel,omitempty"`
	State   string `json:"state"`
}

// Purchase metrics.
const (
	MetricCount = "count" // the number of purchases
	MetricSum   = "sum"   // their total in Currency, minor units
	MetricLast  = "last"  // the last purchase's instant
	MetricFirst = "first" // the first purchase's instant
)

// PurchaseCond tests a customer's purchases dated at or before At, in
// Currency when set (required for sum), within the window when set
// (count and sum only).
//
// count and sum: eq ne lt lte gt gte with an integer (a customer with no
// purchases has count 0 and sum 0). last and first: within (a window:
// the instant lies in (At − window, At]), before and after (an RFC 3339
// instant, or a window meaning At − window); false without purchases.
type PurchaseCond struct {
	Metric   string `json:"metric"`
	Currency string `json:"currency,omitempty"`
	Within   string `json:"within,omitempty"`
	Op       Op     `json:"op"`
	Value    any    `json:"value"`
}

// InteractionCond counts a customer's interactions dated at or before At
// (on Channel, in Direction, within the window, when set) and compares
// the count: eq ne lt lte gt gte with an integer.
type InteractionCond struct {
	Channel   string `json:"channel,omitempty"`
	Direction string `json:"direction,omitempty"`
	Within    string `json:"within,omitempty"`
	Op        Op     `json:"op"`
	Value     any    `json:"value"`
}

// TicketCond counts a customer's tickets created at or before At (open
// only — not solved or closed now — when Open; in Category and within the
// window when set) and compares the count: eq ne lt lte gt gte with an
// integer.
type TicketCond struct {
	Open     bool   `json:"open,omitempty"`
	Category string `json:"category,omitempty"`
	Within   string `json:"within,omitempty"`
	Op       Op     `json:"op"`
	Value    any    `json:"value"`
}

// RFMCond is true for a customer whose RFM segment (names as
// analysis.RFMSegment's String, e.g. "At risk") is one of Segments. The
// scores are analysis.RFM's, computed in the database exactly as
// analysis.Service.RFM computes them with Params{Currency, AsOf: At, Unit:
// analysis.UnitDay, Location: time.UTC}: over every customer of the
// workspace with purchases in Currency up to the end of At's UTC calendar
// day (deleted ones included, as analysis includes them), recency is the
// last purchase day, frequency the number of purchase days, monetary the
// total; quintile scores 1 + ⌊5·L/n⌋ where L counts the customers
// strictly worse (ties share the lower score). A customer without such
// purchases is in no segment.
type RFMCond struct {
	Currency string   `json:"currency"`
	Segments []string `json:"segments"`
}

// Limits of a rule.
const (
	MaxRuleDepth  = 8     // nesting of and, or and not; a lone condition has depth 1
	MaxRuleNodes  = 200   // rules and conditions in the tree
	MaxRuleBytes  = 65536 // of the JSON form given to ParseRule
	MaxRuleString = 200   // bytes of any string in a rule
	MaxRuleList   = 100   // values of an in or not_in list, segments of an rfm condition
	MaxWindowDays = 36500
	MaxRuleCount  = 1e12 // the largest count compared
)

// Segment fields a FieldCond may name, with their kind.
var ruleFields = map[string]string{
	"kind": "enum", "stage": "enum", "source": "text", "owner_id": "text", "country": "text", "region": "text",
	"city": "text", "locale": "text", "time_zone": "text", "created_at": "time",
}

// RuleFields lists the customer fields a FieldCond may name.
func RuleFields() []string {
	out := make([]string, 0, len(ruleFields))
	for k := range ruleFields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Consent states a ConsentCond may test.
var consentStates = []string{"granted", "revoked", "pending", "none"}

var (
	windowPattern = regexp.MustCompile(`^([1-9][0-9]{0,5})([hdw])$`)
	slugPattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	attrKey       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// ParseWindow reads a window such as "90d": hours (h), days of 24 hours
// (d) or weeks (w), at most MaxWindowDays days.
func ParseWindow(s string) (time.Duration, error) {
	m := windowPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a window such as \"90d\", \"12h\" or \"4w\"", truncate(s))
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	d := time.Duration(n) * unit
	if d > MaxWindowDays*24*time.Hour {
		return 0, fmt.Errorf("%q is longer than %d days", s, MaxWindowDays)
	}
	return d, nil
}

// ruleKeys are the keys of a rule object, and of each condition object
// with the JSON kind of its value: s string, b bool, l list of strings,
// a any (checked by validation).
var ruleKeys = map[string]map[string]byte{
	"and": nil, "or": nil, "not": nil, "tag": nil, "identity": nil,
	"field":        {"name": 's', "op": 's', "value": 'a'},
	"attribute":    {"key": 's', "op": 's', "value": 'a'},
	"consent":      {"purpose": 's', "channel": 's', "state": 's'},
	"purchases":    {"metric": 's', "currency": 's', "within": 's', "op": 's', "value": 'a'},
	"interactions": {"channel": 's', "direction": 's', "within": 's', "op": 's', "value": 'a'},
	"tickets":      {"open": 'b', "category": 's', "within": 's', "op": 's', "value": 'a'},
	"rfm":          {"currency": 's', "segments": 'l'},
}

// ParseRule reads a rule's JSON form strictly: an unknown key, a value of
// the wrong JSON type, a rule object without exactly one key, a tree
// deeper than MaxRuleDepth or larger than MaxRuleNodes, or input over
// MaxRuleBytes is a *crmtype.ValidationError whose field is the path,
// e.g. "rule.and[2].field.value". The result still needs the
// workspace's validation (SaveSegment, PreviewSegment do it).
func ParseRule(data []byte) (Rule, error) {
	var r Rule
	if len(data) > MaxRuleBytes {
		return r, invalidf("rule", "is longer than %d bytes", MaxRuleBytes)
	}
	if !utf8.Valid(data) {
		return r, invalid("rule", "is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return r, invalidf("rule", "is not JSON: %s", truncate(err.Error()))
	}
	if dec.More() {
		return r, invalid("rule", "has data after the rule")
	}
	if _, err := dec.Token(); err == nil {
		return r, invalid("rule", "has data after the rule")
	}
	nodes := 0
	if err := checkTree(tree, "rule", 1, &nodes); err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil { // the shape is checked: this cannot fail
		return Rule{}, invalidf("rule", "is malformed: %s", truncate(err.Error()))
	}
	return r, nil
}

// checkTree checks the shape of a decoded rule.
func checkTree(v any, path string, depth int, nodes *int) error {
	*nodes++
	if *nodes > MaxRuleNodes {
		return invalidf("rule", "has more than %d nodes", MaxRuleNodes)
	}
	if depth > MaxRuleDepth {
		return invalidf(path, "nests deeper than %d levels", MaxRuleDepth)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return invalid(path, "must be an object with one of and, or, not, or a condition")
	}
	if len(obj) != 1 {
		for k := range sortedKeys(obj) {
			if _, known := ruleKeys[k]; !known {
				return invalidf(path+"."+safeKey(k), "is not a rule key")
			}
		}
		return invalidf(path, "must have exactly one key (has %d)", len(obj))
	}
	for k, sub := range obj {
		spec, known := ruleKeys[k]
		p := path + "." + safeKey(k)
		if !known {
			return invalid(p, "is not a rule key: use and, or, not, field, attribute, tag, identity, consent, purchases, interactions, tickets or rfm")
		}
		switch k {
		case "and", "or":
			list, ok := sub.([]any)
			if !ok {
				return invalid(p, "must be a list of rules")
			}
			if len(list) == 0 {
				return invalid(p, "is empty")
			}
			for i, c := range list {
				if err := checkTree(c, fmt.Sprintf("%s[%d]", p, i), depth+1, nodes); err != nil {
					return err
				}
			}
		case "not":
			return checkTree(sub, p, depth+1, nodes)
		case "tag", "identity":
			if _, ok := sub.(string); !ok {
				return invalid(p, "must be a string")
			}
		default:
			c, ok := sub.(map[string]any)
			if !ok {
				return invalid(p, "must be an object")
			}
			for ck := range sortedKeys(c) {
				kind, known := spec[ck]
				cp := p + "." + safeKey(ck)
				if !known {
					return invalid(cp, "is not a key of a "+k+" condition")
				}
				switch kind {
				case 's':
					if _, ok := c[ck].(string); !ok {
						return invalid(cp, "must be a string")
					}
				case 'b':
					if _, ok := c[ck].(bool); !ok {
						return invalid(cp, "must be true or false")
					}
				case 'l':
					l, ok := c[ck].([]any)
					if !ok {
						return invalid(cp, "must be a list of strings")
					}
					for i, e := range l {
						if _, ok := e.(string); !ok {
							return invalidf(fmt.Sprintf("%s[%d]", cp, i), "must be a string")
						}
					}
				}
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) func(func(string) bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Values(keys)
}

// safeKey makes an unknown key fit to name in an error path.
func safeKey(k string) string {
	if len(k) > 64 {
		k = k[:64]
	}
	return strconv.Quote(k)[1 : len(strconv.Quote(k))-1]
}

func truncate(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// ValidateRule checks r against the workspace's attribute definitions and
// returns it normalised (values in their canonical Go types, attribute
// types filled in, tags NFC-normalised, countries upper-cased). Errors are
// *crmtype.ValidationError naming the path, e.g. "rule.or[1].attribute.value".
// It never panics, whatever r holds.
func ValidateRule(r Rule, defs []customer.AttributeDef) (Rule, error) {
	byKey := make(map[string]customer.AttributeDef, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	v := ruleValidator{defs: byKey}
	out, err := v.rule(r, "rule", 1)
	if err != nil {
		return Rule{}, err
	}
	return out, nil
}

type ruleValidator struct {
	defs  map[string]customer.AttributeDef
	nodes int
}

func (v *ruleValidator) rule(r Rule, path string, depth int) (Rule, error) {
	v.nodes++
	if v.nodes > MaxRuleNodes {
		return r, invalidf("rule", "has more than %d nodes", MaxRuleNodes)
	}
	if depth > MaxRuleDepth {
		return r, invalidf(path, "nests deeper than %d levels", MaxRuleDepth)
	}
	set := 0
	for _, b := range []bool{r.And != nil, r.Or != nil, r.Not != nil, r.Field != nil, r.Attribute != nil, r.Tag != "",
		r.Identity != "", r.Consent != nil, r.Purchases != nil, r.Interactions != nil, r.Tickets != nil, r.RFM != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return r, invalidf(path, "must have exactly one of and, or, not or a condition (has %d)", set)
	}
	var out Rule
	var err error
	switch {
	case r.And != nil || r.Or != nil:
		list, key := r.And, "and"
		if r.Or != nil {
			list, key = r.Or, "or"
		}
		if len(list) == 0 {
			return r, invalid(path+"."+key, "is empty")
		}
		if len(list) > MaxRuleNodes {
			return r, invalidf("rule", "has more than %d nodes", MaxRuleNodes)
		}
		kids := make([]Rule, len(list))
		for i, c := range list {
			if kids[i], err = v.rule(c, fmt.Sprintf("%s.%s[%d]", path, key, i), depth+1); err != nil {
				return r, err
			}
		}
		if key == "and" {
			out.And = kids
		} else {
			out.Or = kids
		}
	case r.Not != nil:
		k, err := v.rule(*r.Not, path+".not", depth+1)
		if err != nil {
			return r, err
		}
		out.Not = &k
	case r.Tag != "":
		t, err := ruleString(path+".tag", r.Tag, 64)
		if err != nil {
			return r, err
		}
		out.Tag = norm.NFC.String(strings.TrimSpace(t))
		if out.Tag == "" {
			return r, invalid(path+".tag", "is empty")
		}
	case r.Identity != "":
		switch r.Identity {
		case customer.Email, customer.Phone, customer.ExternalID:
			out.Identity = r.Identity
		default:
			return r, invalidf(path+".identity", "%q is not an identity kind: use email, phone or external", truncate(string(r.Identity)))
		}
	case r.Field != nil:
		out.Field, err = v.field(*r.Field, path+".field")
	case r.Attribute != nil:
		out.Attribute, err = v.attribute(*r.Attribute, path+".attribute")
	case r.Consent != nil:
		out.Consent, err = v.consent(*r.Consent, path+".consent")
	case r.Purchases != nil:
		out.Purchases, err = v.purchases(*r.Purchases, path+".purchases")
	case r.Interactions != nil:
		out.Interactions, err = v.interactions(*r.Interactions, path+".interactions")
	case r.Tickets != nil:
		out.Tickets, err = v.tickets(*r.Tickets, path+".tickets")
	case r.RFM != nil:
		out.RFM, err = v.rfm(*r.RFM, path+".rfm")
	}
	if err != nil {
		return r, err
	}
	return out, nil
}

func (v *ruleValidator) field(f FieldCond, path string) (*FieldCond, error) {
	kind, ok := ruleFields[f.Name]
	if !ok {
		return nil, invalidf(path+".name", "%q is not a customer field: use one of %s", truncate(f.Name), strings.Join(RuleFields(), ", "))
	}
	out := FieldCond{Name: f.Name, Op: f.Op}
	vp := path + ".value"
	switch kind {
	case "time":
		val, err := instantValue(vp, f.Op, f.Value)
		if err != nil {
			return nil, opOrValue(path, f.Op, []Op{OpBefore, OpAfter, OpWithin}, err)
		}
		out.Value = val
		return &out, nil
	case "enum":
		if !slices.Contains([]Op{OpEq, OpNe, OpIn, OpNotIn}, f.Op) {
			return nil, badOp(path, f.Op, []Op{OpEq, OpNe, OpIn, OpNotIn})
		}
	default:
		if !slices.Contains([]Op{OpEq, OpNe, OpIn, OpNotIn, OpPrefix}, f.Op) {
			return nil, badOp(path, f.Op, []Op{OpEq, OpNe, OpIn, OpNotIn, OpPrefix})
		}
	}
	check := func(p, s string) (string, error) {
		s, err := ruleString(p, s, MaxRuleString)
		if err != nil {
			return "", err
		}
		switch f.Name {
		case "kind":
			if s != string(customer.Person) && s != string(customer.Company) {
				return "", invalidf(p, "%q is not a kind: use person or company", s)
			}
		case "stage":
			if !slices.Contains(customer.Stages, customer.Stage(s)) {
				return "", invalidf(p, "%q is not a lifecycle stage", s)
			}
		case "country":
			s = strings.ToUpper(s)
		}
		return s, nil
	}
	val, err := stringValues(vp, f.Op, f.Value, check)
	if err != nil {
		return nil, err
	}
	if f.Op == OpPrefix && val == "" {
		return nil, invalid(vp, "is empty: a prefix needs at least one character")
	}
	out.Value = val
	return &out, nil
}

func (v *ruleValidator) attribute(a AttributeCond, path string) (*AttributeCond, error) {
	if !attrKey.MatchString(a.Key) {
		return nil, invalid(path+".key", "is not an attribute key")
	}
	def, ok := v.defs[a.Key]
	if !ok {
		return nil, invalidf(path+".key", "%q is not an attribute of the workspace", a.Key)
	}
	out := AttributeCond{Key: a.Key, Op: a.Op, Type: def.Type}
	vp := path + ".value"
	if a.Op == OpExists || a.Op == OpMissing {
		if a.Value != nil {
			return nil, invalid(vp, "must be absent for exists and missing")
		}
		return &out, nil
	}
	var ops []Op
	switch def.Type {
	case customer.TypeNumber, customer.TypeDate:
		ops = []Op{OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpExists, OpMissing}
	case customer.TypeString, customer.TypeEnum:
		ops = []Op{OpEq, OpNe, OpIn, OpNotIn, OpExists, OpMissing}
	case customer.TypeBool:
		ops = []Op{OpEq, OpExists, OpMissing}
	default:
		return nil, invalidf(path+".key", "has type %q, which segments cannot compare", def.Type)
	}
	if !slices.Contains(ops, a.Op) {
		return nil, badOp(path, a.Op, ops)
	}
	switch def.Type {
	case customer.TypeNumber:
		f, ok := check.Number(a.Value)
		if !ok {
			return nil, invalidf(vp, "must be a finite number for a number attribute, not %s", jsonKind(a.Value))
		}
		out.Value = f
	case customer.TypeBool:
		b, ok := a.Value.(bool)
		if !ok {
			return nil, invalidf(vp, "must be true or false for a bool attribute, not %s", jsonKind(a.Value))
		}
		out.Value = b
	case customer.TypeDate:
		s, ok := a.Value.(string)
		if !ok {
			return nil, invalidf(vp, "must be a date \"2006-01-02\" for a date attribute, not %s", jsonKind(a.Value))
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
			return nil, invalidf(vp, "%q is not a date in the form 2006-01-02", truncate(s))
		}
		out.Value = s
	default:
		val, err := stringValues(vp, a.Op, a.Value, func(p, s string) (string, error) {
			s, err := ruleString(p, s, MaxRuleString)
			if err != nil {
				return "", err
			}
			if def.Type == customer.TypeEnum && !slices.Contains(def.Options, s) {
				return "", invalidf(p, "%q is not an option of %s", s, def.Key)
			}
			return s, nil
		})
		if err != nil {
			return nil, err
		}
		out.Value = val
	}
	return &out, nil
}

func (v *ruleValidator) consent(c ConsentCond, path string) (*ConsentCond, error) {
	if !slugPattern.MatchString(c.Purpose) {
		return nil, invalidf(path+".purpose", "%q is not a purpose: use lower-case letters, digits, '_' or '-'", truncate(c.Purpose))
	}
	if c.Channel != "" && !slugPattern.MatchString(c.Channel) {
		return nil, invalidf(path+".channel", "%q is not a channel: use lower-case letters, digits, '_' or '-'", truncate(c.Channel))
	}
	if !slices.Contains(consentStates, c.State) {
		return nil, invalidf(path+".state", "%q is not a consent state: use granted, revoked, pending or none", truncate(c.State))
	}
	return &ConsentCond{Purpose: c.Purpose, Channel: c.Channel, State: c.State}, nil
}

func (v *ruleValidator) purchases(p PurchaseCond, path string) (*PurchaseCond, error) {
	out := PurchaseCond{Metric: p.Metric, Op: p.Op}
	if p.Currency != "" {
		if _, err := customer.CurrencyDigits(p.Currency); err != nil {
			return nil, invalidf(path+".currency", "%q is not an ISO 4217 currency code", truncate(p.Currency))
		}
		out.Currency = p.Currency
	}
	switch p.Metric {
	case MetricCount, MetricSum:
		if p.Metric == MetricSum && p.Currency == "" {
			return nil, invalid(path+".currency", "is required for a sum")
		}
		if p.Within != "" {
			if _, err := ParseWindow(p.Within); err != nil {
				return nil, invalid(path+".within", err.Error())
			}
			out.Within = p.Within
		}
		limit := float64(MaxRuleCount)
		if p.Metric == MetricSum {
			limit = MaxAmountMinor
		}
		n, err := countValue(path, p.Op, p.Value, limit, p.Metric == MetricSum)
		if err != nil {
			return nil, err
		}
		out.Value = n
	case MetricLast, MetricFirst:
		if p.Within != "" {
			return nil, invalid(path+".within", "is for count and sum: for last and first use op within")
		}
		val, err := instantValue(path+".value", p.Op, p.Value)
		if err != nil {
			return nil, opOrValue(path, p.Op, []Op{OpBefore, OpAfter, OpWithin}, err)
		}
		out.Value = val
	default:
		return nil, invalidf(path+".metric", "%q is not a purchase metric: use count, sum, last or first", truncate(p.Metric))
	}
	return &out, nil
}

func (v *ruleValidator) interactions(c InteractionCond, path string) (*InteractionCond, error) {
	out := InteractionCond{Op: c.Op}
	if c.Channel != "" {
		if !slugPattern.MatchString(c.Channel) || len(c.Channel) > 32 {
			return nil, invalidf(path+".channel", "%q is not a channel: use lower-case letters, digits, '_' or '-'", truncate(c.Channel))
		}
		out.Channel = c.Channel
	}
	switch c.Direction {
	case "", "inbound", "outbound":
		out.Direction = c.Direction
	default:
		return nil, invalidf(path+".direction", "%q is not a direction: use inbound or outbound", truncate(c.Direction))
	}
	if c.Within != "" {
		if _, err := ParseWindow(c.Within); err != nil {
			return nil, invalid(path+".within", err.Error())
		}
		out.Within = c.Within
	}
	n, err := countValue(path, c.Op, c.Value, MaxRuleCount, false)
	if err != nil {
		return nil, err
	}
	out.Value = n
	return &out, nil
}

func (v *ruleValidator) tickets(c TicketCond, path string) (*TicketCond, error) {
	out := TicketCond{Op: c.Op, Open: c.Open}
	if c.Category != "" {
		if !slugPattern.MatchString(c.Category) {
			return nil, invalidf(path+".category", "%q is not a category: use lower-case letters, digits, '_' or '-'", truncate(c.Category))
		}
		out.Category = c.Category
	}
	if c.Within != "" {
		if _, err := ParseWindow(c.Within); err != nil {
			return nil, invalid(path+".within", err.Error())
		}
		out.Within = c.Within
	}
	n, err := countValue(path, c.Op, c.Value, MaxRuleCount, false)
	if err != nil {
		return nil, err
	}
	out.Value = n
	return &out, nil
}

func (v *ruleValidator) rfm(c RFMCond, path string) (*RFMCond, error) {
	if _, err := customer.CurrencyDigits(c.Currency); err != nil {
		return nil, invalidf(path+".currency", "%q is not an ISO 4217 currency code", truncate(c.Currency))
	}
	if len(c.Segments) == 0 {
		return nil, invalid(path+".segments", "is empty: name at least one RFM segment")
	}
	if len(c.Segments) > MaxRuleList {
		return nil, invalidf(path+".segments", "has more than %d names", MaxRuleList)
	}
	out := RFMCond{Currency: c.Currency}
	for i, s := range c.Segments {
		if _, ok := RFMSegmentByName(s); !ok {
			return nil, invalidf(fmt.Sprintf("%s.segments[%d]", path, i), "%q is not an RFM segment: use one of %s", truncate(s), rfmNames())
		}
		if !slices.Contains(out.Segments, s) {
			out.Segments = append(out.Segments, s)
		}
	}
	return &out, nil
}

// RFMSegmentByName returns the analysis segment named s, as its String
// gives it ("At risk").
func RFMSegmentByName(s string) (analysis.RFMSegment, bool) {
	for _, seg := range analysis.RFMSegments() {
		if seg.String() == s {
			return seg, true
		}
	}
	return 0, false
}

func rfmNames() string {
	var names []string
	for _, seg := range analysis.RFMSegments() {
		names = append(names, strconv.Quote(seg.String()))
	}
	return strings.Join(names, ", ")
}

// ruleString checks a string of a rule: UTF-8, no control characters (NUL
// included), at most max bytes.
func ruleString(path, s string, max int) (string, error) {
	switch {
	case !utf8.ValidString(s):
		return "", invalid(path, "is not UTF-8")
	case len(s) > max:
		return "", invalidf(path, "is longer than %d bytes", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", invalid(path, "has a control character (NUL, a line break, ...)")
	}
	return s, nil
}

// stringValues checks the value of an eq, ne, prefix (one string) or in,
// not_in (a list of strings) and returns a string or a []string.
func stringValues(path string, op Op, v any, check func(path, s string) (string, error)) (any, error) {
	if op == OpIn || op == OpNotIn {
		var list []string
		switch l := v.(type) {
		case []string:
			list = l
		case []any:
			for i, e := range l {
				s, ok := e.(string)
				if !ok {
					return nil, invalidf(fmt.Sprintf("%s[%d]", path, i), "must be a string, not %s", jsonKind(e))
				}
				list = append(list, s)
			}
		default:
			return nil, invalidf(path, "must be a list of strings for %s, not %s", op, jsonKind(v))
		}
		if len(list) == 0 || len(list) > MaxRuleList {
			return nil, invalidf(path, "must list 1 to %d values", MaxRuleList)
		}
		out := make([]string, 0, len(list))
		for i, s := range list {
			c, err := check(fmt.Sprintf("%s[%d]", path, i), s)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		return out, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, invalidf(path, "must be a string, not %s", jsonKind(v))
	}
	c, err := check(path, s)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// instantValue checks the value of before, after (an RFC 3339 instant
// or a window) and within (a window); it returns the string.
func instantValue(path string, op Op, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, invalidf(path, "must be a string (a window such as \"90d\" or an RFC 3339 instant), not %s", jsonKind(v))
	}
	switch op {
	case OpWithin:
		if _, err := ParseWindow(s); err != nil {
			return nil, invalid(path, err.Error())
		}
		return s, nil
	case OpBefore, OpAfter:
		if _, err := ParseWindow(s); err == nil {
			return s, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || len(s) > 64 {
			return nil, invalidf(path, "%q is neither a window such as \"90d\" nor an RFC 3339 instant", truncate(s))
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return nil, invalidf(path, "%q is out of range", truncate(s))
		}
		return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), nil
	}
	return nil, errBadOp
}

var errBadOp = invalid("op", "")

func opOrValue(path string, op Op, ops []Op, err error) error {
	if err == errBadOp {
		return badOp(path, op, ops)
	}
	return err
}

// countValue checks a count or sum comparison and returns the value as
// an int64.
func countValue(path string, op Op, v any, limit float64, negative bool) (any, error) {
	ops := []Op{OpEq, OpNe, OpLt, OpLte, OpGt, OpGte}
	if !slices.Contains(ops, op) {
		return nil, badOp(path, op, ops)
	}
	f, ok := check.Number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > limit || (!negative && f < 0) {
		return nil, invalidf(path+".value", "must be a whole number from %d to %d, not %s", map[bool]int64{true: -int64(limit), false: 0}[negative], int64(limit), jsonKind(v))
	}
	return int64(f), nil
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		if _, ok := check.Number(x); ok {
			return "a number"
		}
		return fmt.Sprintf("%T", v)
	}
}

func badOp(path string, op Op, ops []Op) error {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = string(o)
	}
	return invalidf(path+".op", "%q is not an operator here: use %s", truncate(string(op)), strings.Join(names, ", "))
}

// Instant resolves the value of a before or after operator (an RFC 3339
// instant, or a window meaning at − window) and the window of within.
func Instant(value string, at time.Time) (time.Time, error) {
	if d, err := ParseWindow(value); err == nil {
		return at.Add(-d), nil
	}
	return time.Parse(time.RFC3339Nano, value)
}
