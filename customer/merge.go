package customer

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/kehu/crm/crmtype"
)

// FieldRule decides, field by field, which customer's value a merge keeps.
type FieldRule string

// Field rules. Whatever the rule, an empty value never beats a non-empty
// one unless the caller overrides the field.
const (
	// PreferSurvivor keeps the survivor's value; where it is empty, the value
	// of the most recently updated other customer that has one.
	PreferSurvivor FieldRule = "prefer_survivor"
	// MostRecent keeps the value of the most recently updated customer that
	// has one (ties go to the survivor, then to the order of MergeParams.IDs).
	MostRecent FieldRule = "most_recent"
	// MostComplete keeps the fullest value: the longest text, the address
	// with the most lines filled (ties as for MostRecent).
	MostComplete FieldRule = "most_complete"
)

// SurvivorRule chooses the survivor when MergeParams.Survivor is zero.
type SurvivorRule string

// Survivor rules.
const (
	SurvivorOldest       SurvivorRule = "oldest"        // the first created (the default)
	SurvivorMostRecent   SurvivorRule = "most_recent"   // the most recently updated
	SurvivorMostComplete SurvivorRule = "most_complete" // the most fields, identities, tags and attributes filled
)

// MergeParams describes a merge of two or more customers of one kind.
type MergeParams struct {
	// IDs are the customers to merge: at least 2, at most 100, distinct and
	// live. A merged-away id is ErrNotFound: Resolve it first.
	IDs []crmtype.ID
	// Survivor is the customer that stays; zero chooses one by SurvivorRule.
	Survivor     crmtype.ID
	SurvivorRule SurvivorRule // default SurvivorOldest
	Rule         FieldRule    // default PreferSurvivor
	// Overrides name, per field, the customer whose value survives even if
	// it is empty. Fields are those of MergeFields plus "attributes.<key>".
	Overrides map[string]crmtype.ID
}

// MergeFields are the fields a merge chooses one value for. Identities and
// tags are not chosen: the survivor gets the union of all of them.
var MergeFields = []string{"name", "given_name", "family_name", "company_id", "address", "locale",
	"time_zone", "stage", "source", "owner_id"}

// FieldChoice is one field of a merge preview.
type FieldChoice struct {
	Field  string
	Value  any        // the surviving value (string, Address, crmtype.ID, or an attribute value)
	From   crmtype.ID // the customer it comes from
	Reason string     // "override", "survivor", "most recent", "most complete", "only value", "all empty"
	// Values holds every customer's value, survivor first.
	Values []FieldValue
}

// FieldValue is one customer's value of a field.
type FieldValue struct {
	Customer crmtype.ID
	Value    any
}

// MergePreview says what Merge would do; nothing is written.
type MergePreview struct {
	Survivor crmtype.ID
	Absorbed []crmtype.ID
	// Fields lists, in MergeFields order then attributes by key, every
	// field with the surviving value and why.
	Fields []FieldChoice
	// Result is the survivor as the merge will save it (identities and tags
	// combined, version and times not yet advanced).
	Result *Customer
	// Customers are the customers as read, survivor first.
	Customers []*Customer
}

// MergePlan is what the Service hands its MergeStore: the customers as
// they were read (their versions are checked) and the survivor to save.
type MergePlan struct {
	ID        crmtype.ID  // the new merge's id
	Customers []*Customer // survivor first
	Result    *Customer
	Now       time.Time
}

// MergeResult reports a merge.
type MergeResult struct {
	// ID names the merge, for Unmerge.
	ID       crmtype.ID
	Survivor *Customer
	Absorbed []crmtype.ID
	// Moved counts, per table, the rows re-pointed to the survivor; Dropped
	// the rows the survivor already had an equal of (a tag both held).
	Moved   map[string]int64
	Dropped map[string]int64
}

// UnmergeResult reports an unmerge.
type UnmergeResult struct {
	MergeID  crmtype.ID
	Survivor *Customer
	Restored []*Customer
	// Moved counts, per table, the rows given back to the restored customers.
	Moved map[string]int64
}

// MergeStore is the persistence Merge, Unmerge and Resolve need.
type MergeStore interface {
	// MergeCustomers executes p in one transaction: it locks the customers,
	// checks they are live, unmerged and at the versions read
	// (ErrConflict otherwise), re-points every registered reference of the
	// absorbed customers to the survivor, saves p.Result, marks the absorbed
	// customers merged and deleted, logs everything for UnmergeCustomers
	// and appends the merge events.
	MergeCustomers(ctx context.Context, s crmtype.Scope, p MergePlan) (MergeResult, error)
	// UnmergeCustomers undoes merge id (ErrNotFound when there is none).
	UnmergeCustomers(ctx context.Context, s crmtype.Scope, id crmtype.ID, now time.Time) (UnmergeResult, error)
	// ResolveMerged follows merged_into from id to the customer it was
	// merged into at last; id itself when it was not merged. ErrNotFound
	// when no such customer exists.
	ResolveMerged(ctx context.Context, s crmtype.Scope, id crmtype.ID) (crmtype.ID, error)
}

// Resolve returns the customer id stands for: the customer itself, or, if
// it was merged away, the survivor it was merged into (following merges of
// merges). Service.Get of a merged-away id is ErrNotFound, as for any
// deleted customer; Resolve is how a stale id is followed. Identities of
// an absorbed customer move to the survivor, so Lookup finds the survivor.
func (s *Service) Resolve(ctx context.Context, id crmtype.ID) (*Customer, error) {
	const op = "resolve"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	to, err := s.store.ResolveMerged(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	c, err := s.store.GetCustomer(ctx, sc, to, false)
	return c, wrap(op, err)
}

// PreviewMerge reads the customers and says, field by field, what Merge
// with p would keep and why. Nothing is written.
func (s *Service) PreviewMerge(ctx context.Context, p MergeParams) (*MergePreview, error) {
	const op = "preview merge"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	pv, err := s.previewMerge(ctx, sc, p)
	return pv, wrap(op, err)
}

// Merge merges p.IDs into one survivor, in one transaction: the absorbed
// customers' identities, tags, purchases, events and the rows of every
// module that refers to a customer move to the survivor, its fields are
// chosen as PreviewMerge says, and the absorbed customers are marked merged
// into it (deleted; Resolve follows them). The merge is logged, so Unmerge
// can undo it. Errors: ErrInvalid (bad params, customers of different
// kinds), ErrNotFound (a customer is missing, deleted, or of another
// workspace), ErrConflict (a customer changed since it was read).
func (s *Service) Merge(ctx context.Context, p MergeParams) (MergeResult, error) {
	const op = "merge"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return MergeResult{}, err
	}
	pv, err := s.previewMerge(ctx, sc, p)
	if err != nil {
		return MergeResult{}, wrap(op, err)
	}
	now := s.clock.Now()
	res, err := s.store.MergeCustomers(ctx, sc, MergePlan{ID: crmtype.NewID(now), Customers: pv.Customers, Result: pv.Result, Now: now})
	return res, wrap(op, err)
}

// Unmerge undoes merge id: the absorbed customers come back exactly as
// they were, with every row the merge re-pointed to the survivor (that
// still exists and still refers to the survivor), and the survivor's fields
// that the merge changed return to their values before it.
//
// After later changes to the survivor the rule is: references created
// after the merge stay with the survivor; a field changed since the merge
// keeps its new value; an identity or tag removed since does not come back
// to the survivor, and an identity removed since does not come back to the
// absorbed customer either (its value may have been taken). Unmerge
// advances the survivor's version and updated time. It is ErrNotFound for
// an unknown or already undone merge, ErrConflict when the survivor has
// been merged into another customer since (undo that merge first) or an
// absorbed customer was purged or erased.
func (s *Service) Unmerge(ctx context.Context, mergeID crmtype.ID) (UnmergeResult, error) {
	const op = "unmerge"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return UnmergeResult{}, err
	}
	res, err := s.store.UnmergeCustomers(ctx, sc, mergeID, s.clock.Now())
	return res, wrap(op, err)
}

func (s *Service) previewMerge(ctx context.Context, sc crmtype.Scope, p MergeParams) (*MergePreview, error) {
	if len(p.IDs) < 2 {
		return nil, crmtype.Invalid("ids", "name at least two customers")
	}
	if len(p.IDs) > 100 {
		return nil, crmtype.Invalid("ids", "name at most 100 customers")
	}
	seen := map[crmtype.ID]bool{}
	for i, id := range p.IDs {
		if id.IsZero() {
			return nil, crmtype.Invalidf(fmt.Sprintf("ids[%d]", i), "is empty")
		}
		if seen[id] {
			return nil, crmtype.Invalidf(fmt.Sprintf("ids[%d]", i), "%s is given twice", id)
		}
		seen[id] = true
	}
	if !p.Survivor.IsZero() && !seen[p.Survivor] {
		return nil, crmtype.Invalid("survivor", "is not one of ids")
	}
	switch p.SurvivorRule {
	case "", SurvivorOldest, SurvivorMostRecent, SurvivorMostComplete:
	default:
		return nil, crmtype.Invalidf("survivor_rule", "%q is not a rule", p.SurvivorRule)
	}
	switch p.Rule {
	case "", PreferSurvivor, MostRecent, MostComplete:
	default:
		return nil, crmtype.Invalidf("rule", "%q is not a rule", p.Rule)
	}
	for f, id := range p.Overrides {
		if !isMergeField(f) {
			return nil, crmtype.Invalidf("overrides", "%q is not a field a merge chooses", f)
		}
		if !seen[id] {
			return nil, crmtype.Invalidf("overrides."+f, "%s is not one of ids", id)
		}
	}
	cs := make([]*Customer, len(p.IDs))
	for i, id := range p.IDs {
		c, err := s.store.GetCustomer(ctx, sc, id, false)
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", id, err)
		}
		cs[i] = c
	}
	for _, c := range cs[1:] {
		if c.Kind != cs[0].Kind {
			return nil, crmtype.Invalid("ids", "a person and a company cannot be merged")
		}
	}
	surv := p.Survivor
	if surv.IsZero() {
		surv = chooseSurvivor(cs, p.SurvivorRule)
	}
	ordered := []*Customer{nil}
	for _, c := range cs {
		if c.ID == surv {
			ordered[0] = c
		} else {
			ordered = append(ordered, c)
		}
	}
	return planMerge(ordered, p.Rule, p.Overrides)
}

func isMergeField(f string) bool {
	if strings.HasPrefix(f, "attributes.") && len(f) > len("attributes.") {
		return true
	}
	for _, m := range MergeFields {
		if m == f {
			return true
		}
	}
	return false
}

func chooseSurvivor(cs []*Customer, rule SurvivorRule) crmtype.ID {
	best := cs[0]
	for _, c := range cs[1:] {
		switch rule {
		case SurvivorMostRecent:
			if c.UpdatedAt.After(best.UpdatedAt) {
				best = c
			}
		case SurvivorMostComplete:
			if completeness(c) > completeness(best) {
				best = c
			}
		default:
			if c.CreatedAt.Before(best.CreatedAt) || c.CreatedAt.Equal(best.CreatedAt) && c.ID.String() < best.ID.String() {
				best = c
			}
		}
	}
	return best.ID
}

// completeness counts the filled fields of c.
func completeness(c *Customer) int {
	n := len(c.Identities) + len(c.Tags) + len(c.Attributes)
	for _, f := range MergeFields {
		if !emptyField(fieldValue(c, f)) {
			n++
		}
	}
	return n
}

func fieldValue(c *Customer, f string) any {
	switch f {
	case "name":
		return c.Name
	case "given_name":
		return c.GivenName
	case "family_name":
		return c.FamilyName
	case "company_id":
		return c.CompanyID
	case "address":
		return c.Address
	case "locale":
		return c.Locale
	case "time_zone":
		return c.TimeZone
	case "stage":
		return c.Stage
	case "source":
		return c.Source
	case "owner_id":
		return c.OwnerID
	}
	if k, ok := strings.CutPrefix(f, "attributes."); ok {
		return c.Attributes[k]
	}
	return nil
}

func setField(c *Customer, f string, v any) {
	switch f {
	case "name":
		c.Name = v.(string)
	case "given_name":
		c.GivenName = v.(string)
	case "family_name":
		c.FamilyName = v.(string)
	case "company_id":
		c.CompanyID = v.(crmtype.ID)
	case "address":
		c.Address = v.(Address)
	case "locale":
		c.Locale = v.(string)
	case "time_zone":
		c.TimeZone = v.(string)
	case "stage":
		c.Stage = v.(Stage)
	case "source":
		c.Source = v.(string)
	case "owner_id":
		c.OwnerID = v.(string)
	default:
		k := strings.TrimPrefix(f, "attributes.")
		if v == nil {
			delete(c.Attributes, k)
			return
		}
		if c.Attributes == nil {
			c.Attributes = map[string]any{}
		}
		c.Attributes[k] = v
	}
}

func emptyField(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case Stage:
		return x == ""
	case crmtype.ID:
		return x.IsZero()
	case Address:
		return x.IsZero()
	}
	return false
}

// fullness measures how complete a value is, for MostComplete.
func fullness(v any) int {
	switch x := v.(type) {
	case string:
		return len([]rune(x))
	case Address:
		n := 0
		for _, s := range []string{x.Line1, x.Line2, x.City, x.Region, x.PostalCode, x.Country} {
			if s != "" {
				n++
			}
		}
		return n
	}
	if emptyField(v) {
		return 0
	}
	return 1
}

// planMerge chooses every field for cs (survivor first).
func planMerge(cs []*Customer, rule FieldRule, overrides map[string]crmtype.ID) (*MergePreview, error) {
	if rule == "" {
		rule = PreferSurvivor
	}
	surv := cs[0]
	// Candidates by recency: most recently updated first, ties in order.
	recent := append([]*Customer(nil), cs...)
	sort.SliceStable(recent, func(i, j int) bool { return recent[i].UpdatedAt.After(recent[j].UpdatedAt) })

	fieldsList := append([]string(nil), MergeFields...)
	keys := map[string]bool{}
	for _, c := range cs {
		for k := range c.Attributes {
			keys[k] = true
		}
	}
	attrKeys := make([]string, 0, len(keys))
	for k := range keys {
		attrKeys = append(attrKeys, k)
	}
	sort.Strings(attrKeys)
	for _, k := range attrKeys {
		fieldsList = append(fieldsList, "attributes."+k)
	}

	res := cloneCustomer(surv)
	pv := &MergePreview{Survivor: surv.ID, Customers: cs, Result: res}
	for _, c := range cs[1:] {
		pv.Absorbed = append(pv.Absorbed, c.ID)
	}
	byID := map[crmtype.ID]*Customer{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, f := range fieldsList {
		ch := FieldChoice{Field: f}
		for _, c := range cs {
			ch.Values = append(ch.Values, FieldValue{Customer: c.ID, Value: fieldValue(c, f)})
		}
		var from *Customer
		if o, ok := overrides[f]; ok {
			from, ch.Reason = byID[o], "override"
		} else {
			nonEmpty := 0
			for _, c := range cs {
				if !emptyField(fieldValue(c, f)) {
					nonEmpty++
				}
			}
			switch {
			case nonEmpty == 0:
				from, ch.Reason = surv, "all empty"
			case nonEmpty == 1:
				for _, c := range cs {
					if !emptyField(fieldValue(c, f)) {
						from = c
					}
				}
				ch.Reason = "only value"
			case rule == PreferSurvivor && !emptyField(fieldValue(surv, f)):
				from, ch.Reason = surv, "survivor"
			case rule == MostComplete:
				for _, c := range cs {
					if v := fieldValue(c, f); !emptyField(v) && (from == nil || fullness(v) > fullness(fieldValue(from, f))) {
						from = c
					}
				}
				ch.Reason = "most complete"
			default: // MostRecent, or PreferSurvivor with an empty survivor value
				for _, c := range recent {
					if !emptyField(fieldValue(c, f)) {
						from = c
						break
					}
				}
				ch.Reason = "most recent"
			}
		}
		ch.From, ch.Value = from.ID, fieldValue(from, f)
		setField(res, f, ch.Value)
		pv.Fields = append(pv.Fields, ch)
	}
	if !res.CompanyID.IsZero() {
		for _, c := range cs {
			if c.ID == res.CompanyID {
				return nil, crmtype.Invalid("company_id", "the survivor cannot belong to a customer it absorbs")
			}
		}
	}
	// Identities and tags: the union, survivor's first. An identity the
	// survivor (or an earlier absorbed customer) holds already, a shared
	// email or phone, is held once.
	tags := map[string]bool{}
	held := map[IdentityKey]bool{}
	for _, id := range surv.Identities {
		held[id.Key()] = true
	}
	for _, c := range cs {
		for _, t := range c.Tags {
			tags[t] = true
		}
		if c != surv {
			for _, id := range c.Identities {
				if held[id.Key()] {
					continue
				}
				held[id.Key()] = true
				id.CustomerID = surv.ID
				res.Identities = append(res.Identities, id)
			}
		}
	}
	res.Tags = nil
	for t := range tags {
		res.Tags = append(res.Tags, t)
	}
	sort.Strings(res.Tags)
	return pv, nil
}

func cloneCustomer(c *Customer) *Customer {
	out := *c
	out.Tags = append([]string(nil), c.Tags...)
	out.Identities = append([]Identity(nil), c.Identities...)
	if c.Attributes != nil {
		out.Attributes = make(map[string]any, len(c.Attributes))
		for k, v := range c.Attributes {
			out.Attributes[k] = v
		}
	}
	return &out
}

// UnmergeFields returns the survivor's fields to put back on unmerge: cur
// is the survivor now, before and after the survivor just before and just
// after the merge. A field the merge changed returns to its value before,
// unless it has changed again since (then the later value stays). Tags
// and identities are not touched.
func UnmergeFields(cur, before, after *Customer) *Customer {
	out := cloneCustomer(cur)
	keys := map[string]bool{}
	for _, c := range []*Customer{before, after, cur} {
		for k := range c.Attributes {
			keys[k] = true
		}
	}
	fs := append([]string(nil), MergeFields...)
	for k := range keys {
		fs = append(fs, "attributes."+k)
	}
	for _, f := range fs {
		b, a, c := fieldValue(before, f), fieldValue(after, f), fieldValue(cur, f)
		if !reflect.DeepEqual(b, a) && reflect.DeepEqual(a, c) {
			setField(out, f, b)
		}
	}
	return out
}
