-- The consent ledger: append-only; the effective state of a (customer,
-- channel, purpose, list) is its latest entry by effective time. '' in
-- channel, purpose or list means every one. dedup_key makes a repeated
-- request (an unsubscribe link hit many times) record once.
CREATE TABLE crm_consents (
    workspace_id  TEXT NOT NULL,
    id            TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    channel       TEXT NOT NULL DEFAULT '',
    purpose       TEXT NOT NULL DEFAULT '',
    list          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL CHECK (state IN ('granted', 'revoked', 'pending')),
    legal_basis   TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT '',
    evidence_text TEXT NOT NULL DEFAULT '',
    evidence_ip   TEXT NOT NULL DEFAULT '',
    effective_at  TIMESTAMP NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    actor         TEXT NOT NULL DEFAULT '',
    dedup_key     TEXT,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, dedup_key),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_consents_customer ON crm_consents (workspace_id, customer_id, effective_at, id);
--bun:split
CREATE TABLE crm_contact_preferences (
    workspace_id      TEXT NOT NULL,
    customer_id       TEXT NOT NULL,
    preferred_channel TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL DEFAULT '',
    time_zone         TEXT NOT NULL DEFAULT '',
    quiet_hours       TEXT NOT NULL DEFAULT '[]',
    do_not_contact    BOOLEAN NOT NULL DEFAULT FALSE,
    dnc_reason        TEXT NOT NULL DEFAULT '',
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, customer_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE TABLE crm_contact_settings (
    workspace_id TEXT NOT NULL PRIMARY KEY,
    settings     TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
-- Why an outbound message was sent, and the contact decision that let it go.
ALTER TABLE crm_interactions ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE crm_interactions ADD COLUMN decision TEXT NOT NULL DEFAULT '';
--bun:split
-- Frequency caps count a customer's recent outbound messages from here.
CREATE INDEX crm_interactions_outbound ON crm_interactions (workspace_id, customer_id, occurred_at, purpose, channel, status) WHERE direction = 'outbound';
