package communication

import (
	"time"

	"github.com/kehu/crm/crmtype"
)

// Purpose is why a message is sent; consent and frequency caps are kept
// per purpose. The constants are the built-in purposes; a workspace may
// use its own, named like a Channel.
type Purpose string

// Built-in purposes.
const (
	PurposeMarketing     Purpose = "marketing"     // promotions, newsletters, campaigns
	PurposeTransactional Purpose = "transactional" // receipts, shipping notices, one-time codes
	PurposeService       Purpose = "service"       // support and after-sales contact
	PurposeResearch      Purpose = "research"      // surveys and market research
)

// ConsentState is the state of a consent entry.
type ConsentState string

// Consent states.
const (
	ConsentGranted ConsentState = "granted"
	ConsentRevoked ConsentState = "revoked"
	// ConsentPending is a request awaiting confirmation (double opt-in): it
	// does not allow contact.
	ConsentPending ConsentState = "pending"
)

// Verdict is the answer of the contact decision.
type Verdict string

// Verdicts.
const (
	Allow Verdict = "allow"
	Deny  Verdict = "deny"
	Defer Verdict = "defer" // not now: try again at Decision.Until
)

// Reason codes of a Decision.
const (
	ReasonDoNotContact    = "do_not_contact"    // the customer's do-not-contact flag (deny)
	ReasonRevoked         = "consent_revoked"   // the effective consent entry revokes (deny)
	ReasonPending         = "consent_pending"   // consent awaits confirmation (deny)
	ReasonNoConsent       = "no_consent"        // no entry, and the workspace's default denies (deny)
	ReasonQuietHours      = "quiet_hours"       // within the customer's quiet hours (defer to their end)
	ReasonFrequencyCap    = "frequency_cap"     // a cap is reached (defer until the window frees a slot)
	ReasonConsent         = "consent_granted"   // allowed by a granted entry
	ReasonDefaultAllow    = "default_allow"     // no entry, and the workspace's default allows
	ReasonTransactional   = "transactional"     // transactional: consent, caps and quiet hours do not apply
	ReasonCustomerDeleted = "customer_inactive" // the customer is deleted or erased (deny)
)

// Decision is the contact decision for one message.
type Decision struct {
	CustomerID crmtype.ID
	Verdict    Verdict
	Reason     string    // one of the Reason codes
	Until      time.Time // for Defer: the earliest instant the message may go
	// Detail says in words what decided, e.g. the cap or the consent
	// entry's source.
	Detail string
}

// DecideParams names a message to decide on.
type DecideParams struct {
	CustomerID crmtype.ID
	Channel    Channel
	Purpose    Purpose
	// List is the campaign or mailing list the message belongs to, e.g.
	// "newsletter" or "campaign:<id>"; a revocation for that list denies
	// it. Optional.
	List string
	At   time.Time // when it would go; default now
}
