package communication

// Event types of interactions and templates (tasks: see TaskEventTypes).
const (
	// EventInteractionsRecorded is the one event a Record, Ingest or Send
	// call appends to the log for the interactions it stores: Customer and
	// Subject are zero, and Changes holds one entry per interaction, Field
	// its ID and After a map of "customer_id", "conversation_id",
	// "channel", "direction", "occurred_at" and, when set, "provider_id".
	// Message text is not copied into the log.
	EventInteractionsRecorded = "interactions.recorded"
	// EventInteractionRecorded is how an interaction appears on its
	// customer's timeline and in its audit trail: read from the
	// interaction itself, Time when it occurred, Changes its channel,
	// direction, subject, outcome, status, duration and links.
	EventInteractionRecorded = "interaction.recorded"
	// EventInteractionStatusChanged records a delivery callback on the
	// message's customer: Changes "status" (Before, After: the same when
	// the callback did not move it), "at", "reason" when given.
	EventInteractionStatusChanged = "interaction.status_changed"
	// EventTemplateSaved and EventTemplateDeleted record template changes:
	// SubjectType "template", SubjectKey "<key>/<channel>/<locale>",
	// Changes the subject, body and HTML before and after.
	EventTemplateSaved   = "template.saved"
	EventTemplateDeleted = "template.deleted"
)

// Event types of the contact policy.
const (
	// EventConsentRecorded: an entry of the consent ledger; Subject the
	// entry, Changes its state, effective time, channel, purpose, list,
	// legal basis and source.
	EventConsentRecorded = "consent.recorded"
	// EventPreferencesUpdated: a customer's contact preferences changed.
	EventPreferencesUpdated = "preferences.updated"
	// EventContactSettingsUpdated: the workspace's contact policy changed
	// (SubjectKey the workspace).
	EventContactSettingsUpdated = "contact_settings.updated"
)

// Subject types of this package's events.
const (
	SubjectInteraction = "interaction"
	SubjectTemplate    = "template"
	SubjectConsent     = "consent"
	SubjectPreferences = "preferences"
)

// InteractionEventTypes lists the interaction and template event types.
var InteractionEventTypes = []string{EventInteractionsRecorded, EventInteractionRecorded,
	EventInteractionStatusChanged, EventTemplateSaved, EventTemplateDeleted,
	EventConsentRecorded, EventPreferencesUpdated, EventContactSettingsUpdated}
