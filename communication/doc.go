// Package communication records every exchange with customers and keeps
// the next one prepared.
//
//   - Interactions: one type for every exchange on every channel (phone,
//     email, SMS, chat, meeting, visit, social, or a workspace's own
//     channel), inbound or outbound, with its outcome, owner, attachments
//     (references: the SDK stores no files), links to a purchase, ticket or
//     campaign, and the provider's message id, unique per channel, which
//     makes recording idempotent. Record stores one; Ingest stores batches
//     from the host's mail, telephony or chat providers, reporting rows it
//     rejects.
//   - Conversations: interactions grouped into threads by the provider's
//     thread id or reply-to id; a customer's conversations, latest first,
//     and a thread's messages, oldest first, with keyset paging.
//   - Templates per channel and locale with fallback (zh-Hant-TW, zh-Hant,
//     zh, then the workspace default), Go templates over the customer, the
//     company and the caller's data, checked when saved; a variable that
//     is missing when rendering is an error, never an empty string sent to
//     a customer; HTML email is escaped by html/template.
//   - Sending through a Sender the host implements: Send renders, records
//     the outbound interaction, hands it to the Sender and records the
//     result; UpdateStatus applies the provider's delivery callbacks.
//   - Tasks (call back, send a quote, visit) with RFC 5545 recurrence in the
//     customer's time zone, and reminders that several workers of the host
//     claim with DueReminders and acknowledge with AckReminder, each fired
//     once.
//   - The contact strategy: a consent ledger (per channel, purpose and list,
//     with evidence), preferences (channel, language, zone, quiet hours,
//     do-not-contact), frequency caps, and one decision (Decide,
//     DecideBatch) that allows, denies with a reason, or defers until an
//     instant; Send refuses what it denies. Signed unsubscribe tokens with
//     the RFC 8058 one-click headers.
//   - Feedback: surveys (NPS, rating, CES, choices, text) with single-use
//     invitation tokens and scores with confidence intervals; response
//     rates by channel and hour, and Recommend, which picks the channel and
//     time to contact a customer from them, within consent.
//
// Every change is an event of the workspace's log (package event): an
// interaction appears on its customer's timeline where it occurred, tasks
// and delivery callbacks as they happen. Interactions, conversations and
// tasks follow their customer through merges, data-subject exports and
// erasure.
//
// Bad input is a *crmtype.ValidationError naming the field (errors.Is
// crmtype.ErrInvalid), and nothing is written.
package communication
