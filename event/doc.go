// Package event reads the event log that every kehu/crm write appends to:
// a customer's timeline, the audit trail of any record, and the outbox that
// a host's consumer reads to deliver events to webhooks or a queue.
//
// Events are written by the modules themselves, in the same transaction as
// the change they record; this package only reads them, moves consumer
// cursors and prunes by age.
//
// Recorded purchases are the one bulk record: a call that records
// purchases appends one "purchases.recorded" event listing them all (what
// the outbox delivers), and the timeline and audit trail show each
// purchase as a "purchase.recorded" entry read from the purchase itself,
// placed at the time the purchase occurred. Merged into the log's events
// newest first, with the same cursor paging.
//
// The outbox delivers every committed event at least once, in a stable
// order, to each named consumer: Next leases a batch to one worker at a
// time, Ack moves the consumer's cursor past it, and a batch not
// acknowledged before its lease expires is delivered again. An event whose
// transaction commits after a later-numbered event has been read is still
// delivered: on PostgreSQL the outbox reads only events of transactions
// older than every transaction still running (so a long-running
// transaction delays delivery, never loses it); on SQLite, which has one
// writer at a time, commit order is already event order.
//
// Transaction ids are server-wide on PostgreSQL: a transaction left open
// in any database of the server holds back every consumer until it ends.
package event
