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
    changes      TEXT NOT NULL DEFAULT '[]',
    UNIQUE (workspace_id, id)
);
--bun:split
CREATE INDEX crm_events_outbox ON crm_events (workspace_id, txn, seq);
--bun:split
CREATE INDEX crm_events_customer ON crm_events (workspace_id, customer_id, seq);
--bun:split
CREATE INDEX crm_events_subject ON crm_events (workspace_id, subject_id, seq);
--bun:split
CREATE INDEX crm_events_time ON crm_events (workspace_id, occurred_at);
--bun:split
CREATE TABLE crm_event_consumers (
    workspace_id  TEXT NOT NULL,
    name          TEXT NOT NULL,
    acked_txn     INTEGER NOT NULL DEFAULT 0,
    acked_seq     INTEGER NOT NULL DEFAULT 0,
    leased_txn    INTEGER NOT NULL DEFAULT 0,
    leased_seq    INTEGER NOT NULL DEFAULT 0,
    lease_token   TEXT NOT NULL DEFAULT '',
    lease_until   TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
