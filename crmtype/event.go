package crmtype

import (
	"reflect"
	"sort"
	"time"
)

// Event records one state change. Every write of every module appends its
// events in the same transaction as the change, so a change that rolls back
// leaves no event. The log serves the customer timeline, the audit trail and
// the outbox.
type Event struct {
	ID          ID          // time-ordered, unique
	Workspace   WorkspaceID //
	Time        time.Time   // when the change was made, UTC
	Type        string      // what happened, "<subject type>.<verb>", e.g. "customer.updated"
	SubjectType string      // the kind of record changed, e.g. "customer", "identity", "purchase"
	Subject     ID          // the record changed; zero for workspace-level records
	SubjectKey  string      // a key naming a record that has no ID, e.g. an attribute's key
	Customer    ID          // the customer the change concerns; zero when none
	Actor       string      // from WithActor; "" when unknown
	// Changes lists the fields set, changed or cleared: for a created record
	// every field it was created with (Before nil), for an update the fields
	// that differ, for a removed identity its values (After nil), for a
	// deleted, restored or erased customer none.
	Changes []Change
}

// Change is one field's value before and after a change. Values are JSON
// values: string, float64, bool, nil, []any or map[string]any.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// EventWorkspaceSettingsUpdated is recorded when a workspace's settings
// change; its Changes name the settings.
const EventWorkspaceSettingsUpdated = "workspace.settings_updated"

// DiffFields returns the changes from before to after, field by field,
// sorted by field name: a field present in one map only is set or cleared,
// one whose values differ is changed; values are compared deeply, and nil,
// "" and an empty []any count as one empty value. A nil before gives every
// non-empty field of after.
func DiffFields(before, after map[string]any) []Change {
	keys := make([]string, 0, len(after)+len(before))
	for k := range after {
		keys = append(keys, k)
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []Change
	for _, k := range keys {
		bv, av := before[k], after[k]
		if isEmpty(bv) && isEmpty(av) || reflect.DeepEqual(bv, av) {
			continue
		}
		out = append(out, Change{Field: k, Before: bv, After: av})
	}
	return out
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}
