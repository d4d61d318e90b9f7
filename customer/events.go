package customer

import (
	"reflect"

	"github.com/kehu/crm/crmtype"
)

// Event types this package records. Every write appends, in the same
// transaction, exactly one event per record it changes; recorded purchases
// are the exception, one EventPurchasesRecorded event per call.
const (
	EventCustomerCreated  = "customer.created"  // Changes: every field set at creation, identities included
	EventCustomerUpdated  = "customer.updated"  // Changes: the fields that differ
	EventCustomerDeleted  = "customer.deleted"  // soft delete
	EventCustomerRestored = "customer.restored" //
	EventCustomerPurged   = "customer.purged"   // hard delete
	EventCustomerErased   = "customer.erased"   // personal data erased (privacy.Service.Erase); no Changes
	EventIdentityAdded    = "identity.added"    // Changes: kind, system, value, label
	EventIdentityRemoved  = "identity.removed"  // Changes: the removed values as Before
	// EventPurchasesRecorded is the one event a RecordPurchase(s) call or an
	// import batch appends to the log, however many purchases it records
	// (so that bulk loads keep their rate): Customer and Subject are zero,
	// and Changes holds one entry per purchase, Field the purchase ID and
	// After a map of its fields ("customer_id", "occurred_at",
	// "amount.minor", ...).
	EventPurchasesRecorded = "purchases.recorded"
	// EventPurchaseRecorded is how a purchase appears on its customer's
	// timeline and in its audit trail: read from the purchase itself, Time
	// when the purchase occurred, Changes its fields.
	EventPurchaseRecorded = "purchase.recorded"
	EventAttributeDefined = "attribute.defined" // SubjectKey: the attribute key
	EventAttributeRemoved = "attribute.removed" // SubjectKey: the attribute key
	// Merge and unmerge (Service.Merge, Service.Unmerge).
	EventCustomerMerged     = "customer.merged"      // on the survivor; Changes: merge_id, absorbed ids, the fields the merge changed
	EventCustomerMergedInto = "customer.merged_into" // on each absorbed customer; Changes: merge_id, survivor
	EventCustomerUnmerged   = "customer.unmerged"    // on the survivor and on each restored customer; Changes: merge_id, restored ids
	// Hygiene (Service.Normalise, Service.Stale).
	EventIdentityNormalised = "identity.normalised" // Changes: value before and after
	EventIdentityFlagged    = "identity.flagged"    // Changes: invalid reason before and after ("" when it became valid)
	// Possible duplicates (an import's, Service.DismissPossibleDuplicate);
	// Subject is the pair's id, Customer its customer.
	EventPossibleDuplicate  = "customer.possible_duplicate"  // Changes: other_id, reason, source
	EventDuplicateDismissed = "customer.duplicate_dismissed" // Changes: other_id as Before
)

// EventTypes lists the event types this package records.
var EventTypes = []string{
	EventCustomerCreated, EventCustomerUpdated, EventCustomerDeleted, EventCustomerRestored,
	EventCustomerPurged, EventCustomerErased, EventIdentityAdded, EventIdentityRemoved, EventPurchaseRecorded,
	EventPurchasesRecorded, EventAttributeDefined, EventAttributeRemoved,
	EventCustomerMerged, EventCustomerMergedInto, EventCustomerUnmerged,
	EventIdentityNormalised, EventIdentityFlagged, EventPossibleDuplicate, EventDuplicateDismissed,
}

// Subject types of this package's events.
const (
	SubjectCustomer  = "customer"
	SubjectIdentity  = "identity"
	SubjectPurchase  = "purchase"
	SubjectAttribute = "attribute"
	SubjectDuplicate = "possible_duplicate"
)

// fields returns c's fields as JSON-ready values keyed by field name.
func fields(c *Customer) map[string]any {
	m := map[string]any{
		"kind": string(c.Kind), "name": c.Name, "given_name": c.GivenName, "family_name": c.FamilyName,
		"address.line1": c.Address.Line1, "address.line2": c.Address.Line2, "address.city": c.Address.City,
		"address.region": c.Address.Region, "address.postal_code": c.Address.PostalCode,
		"address.country": c.Address.Country, "locale": c.Locale, "time_zone": c.TimeZone,
		"stage": string(c.Stage), "source": c.Source, "owner_id": c.OwnerID,
	}
	if !c.CompanyID.IsZero() {
		m["company_id"] = c.CompanyID.String()
	}
	if len(c.Tags) > 0 {
		tags := make([]any, len(c.Tags))
		for i, t := range c.Tags {
			tags[i] = t
		}
		m["tags"] = tags
	}
	for k, v := range c.Attributes {
		m["attributes."+k] = v
	}
	return m
}

// Diff returns the changes from before to after, by field name. A nil
// before gives every non-empty field of after (a creation), with the
// customer's identities as field "identities".
func Diff(before, after *Customer) []crmtype.Change {
	var b map[string]any
	if before != nil {
		b = fields(before)
	}
	out := crmtype.DiffFields(b, fields(after))
	if before == nil && len(after.Identities) > 0 {
		ids := make([]any, len(after.Identities))
		for i, id := range after.Identities {
			ids[i] = identityFields(id)
		}
		out = append(out, crmtype.Change{Field: "identities", After: ids})
	}
	return out
}

func identityFields(id Identity) map[string]any {
	m := map[string]any{"kind": string(id.Kind), "value": id.Value}
	if id.System != "" {
		m["system"] = id.System
	}
	if id.Label != "" {
		m["label"] = id.Label
	}
	if id.Invalid != "" {
		m["invalid"] = id.Invalid
	}
	return m
}

// IdentityChanges describes an identity added (removed false) or removed.
func IdentityChanges(id Identity, removed bool) []crmtype.Change {
	var out []crmtype.Change
	f := identityFields(id)
	for _, k := range []string{"kind", "system", "value", "label", "invalid"} {
		v, ok := f[k]
		if !ok {
			continue
		}
		if removed {
			out = append(out, crmtype.Change{Field: k, Before: v})
		} else {
			out = append(out, crmtype.Change{Field: k, After: v})
		}
	}
	return out
}

// PurchaseChanges describes a recorded purchase.
func PurchaseChanges(p *Purchase) []crmtype.Change {
	out := []crmtype.Change{
		{Field: "occurred_at", After: p.OccurredAt.Format("2006-01-02T15:04:05.999999Z07:00")},
		{Field: "amount.minor", After: float64(p.Amount.Minor)},
		{Field: "amount.currency", After: p.Amount.Currency},
		{Field: "quantity", After: float64(p.Quantity)},
	}
	for _, f := range []struct{ k, v string }{{"channel", p.Channel}, {"order_id", p.OrderID}, {"description", p.Description}} {
		if f.v != "" {
			out = append(out, crmtype.Change{Field: f.k, After: f.v})
		}
	}
	return out
}

// PurchaseBatchChanges describes recorded purchases for one
// EventPurchasesRecorded event: per purchase, Field its ID and After its
// PurchaseChanges as a map with "customer_id" added.
func PurchaseBatchChanges(ps []*Purchase) []crmtype.Change {
	out := make([]crmtype.Change, len(ps))
	for i, p := range ps {
		m := map[string]any{"customer_id": p.CustomerID.String()}
		for _, c := range PurchaseChanges(p) {
			m[c.Field] = c.After
		}
		out[i] = crmtype.Change{Field: p.ID.String(), After: m}
	}
	return out
}

// AttributeChanges describes a defined attribute.
func AttributeChanges(before *AttributeDef, d AttributeDef) []crmtype.Change {
	opts := make([]any, len(d.Options))
	for i, o := range d.Options {
		opts[i] = o
	}
	a := map[string]any{"label": d.Label, "type": string(d.Type), "required": d.Required, "options": opts, "match": string(d.Match)}
	b := map[string]any{}
	if before != nil {
		bo := make([]any, len(before.Options))
		for i, o := range before.Options {
			bo[i] = o
		}
		b = map[string]any{"label": before.Label, "type": string(before.Type), "required": before.Required, "options": bo, "match": string(before.Match)}
	}
	var out []crmtype.Change
	for _, k := range []string{"label", "match", "options", "required", "type"} {
		if before != nil && reflect.DeepEqual(b[k], a[k]) {
			continue
		}
		if k == "match" && d.Match == "" && (before == nil || before.Match == "") {
			continue // no role, before or after: nothing to say
		}
		out = append(out, crmtype.Change{Field: k, Before: b[k], After: a[k]})
	}
	return out
}
