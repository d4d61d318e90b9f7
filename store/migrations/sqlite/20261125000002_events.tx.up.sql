CREATE TABLE crm_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    txn          INTEGER NOT NULL DEFAULT 0,
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    type         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT,
    subject_key  TEXT NOT NULL DEFAULT '',
    customer_id  TEXT,
    actor        TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]'
);
--bun:split
CREATE INDEX crm_events_outbox ON crm_events (workspace_id, txn, seq);
--bun:split
CREATE INDEX crm_events_customer ON crm_events (workspace_id, customer_id, seq);
--bun:split
CREATE INDEX crm_events_subject ON crm_events (workspace_id, subject_id, seq);
--bun:split
-- The audit trail of records without an ID (attributes, workspace settings):
-- few events, so a partial index costs the other writes nothing.
CREATE INDEX crm_events_subject_key ON crm_events (workspace_id, subject_key, seq) WHERE subject_key <> '';
--bun:split
CREATE TABLE crm_event_consumers (
    workspace_id  TEXT NOT NULL,
    name          TEXT NOT NULL,
    acked_txn     INTEGER NOT NULL DEFAULT 0,
    acked_seq     INTEGER NOT NULL DEFAULT 0,
    leased_txn    INTEGER NOT NULL DEFAULT 0,
    leased_seq    INTEGER NOT NULL DEFAULT 0,
    -- lease_no counts the batches handed out; a batch's cursor carries its
    -- number and an HMAC under secret, so a forged cursor is told from a stale one.
    secret        TEXT NOT NULL DEFAULT '',
    lease_no      INTEGER NOT NULL DEFAULT 0,
    lease_token   TEXT NOT NULL DEFAULT '',
    lease_until   TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
