CREATE TABLE crm_events (
    seq          bigserial NOT NULL,
    -- The writing transaction's id: the outbox reads only events of
    -- transactions older than every running one, so none can be skipped.
    txn          bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    type         text NOT NULL,
    subject_type text NOT NULL,
    subject_id   uuid,
    subject_key  text NOT NULL DEFAULT '',
    customer_id  uuid,
    actor        text NOT NULL DEFAULT '',
    changes      jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, seq)
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
    workspace_id  text NOT NULL,
    name          text NOT NULL,
    acked_txn     bigint NOT NULL DEFAULT 0,
    acked_seq     bigint NOT NULL DEFAULT 0,
    leased_txn    bigint NOT NULL DEFAULT 0,
    leased_seq    bigint NOT NULL DEFAULT 0,
    -- lease_no counts the batches handed out; a batch's cursor carries its
    -- number and an HMAC under secret, so a forged cursor is told from a stale one.
    secret        text NOT NULL DEFAULT '',
    lease_no      bigint NOT NULL DEFAULT 0,
    lease_token   text NOT NULL DEFAULT '',
    lease_until   timestamptz,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
