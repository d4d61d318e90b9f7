package crmtype

import "time"

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
