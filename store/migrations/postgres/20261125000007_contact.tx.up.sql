-- The consent ledger: append-only; the effective state of a (customer,
-- channel, purpose, list) is its latest entry by effective time. '' in
-- channel, purpose or list means every one. dedup_key makes a repeated
-- request (an unsubscribe link hit many times) record once.
CREATE TABLE crm_consents (
    workspace_id  text NOT NULL,
    id            uuid NOT NULL,
    customer_id   uuid NOT NULL,
    channel       text NOT NULL DEFAULT '',
    purpose       text NOT NULL DEFAULT '',
    list          text NOT NULL DEFAULT '',
    state         text NOT NULL CHECK (state IN ('granted', 'revoked', 'pending')),
    legal_basis   text NOT NULL DEFAULT '',
    source        text NOT NULL DEFAULT '',
    evidence_text text NOT NULL DEFAULT '',
    evidence_ip   text NOT NULL DEFAULT '',
    effective_at  timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL,
    actor         text NOT NULL DEFAULT '',
    dedup_key     text,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, dedup_key),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_consents_customer ON crm_consents (workspace_id, customer_id, effective_at, id);
--bun:split
CREATE TABLE crm_contact_preferences (
    workspace_id      text NOT NULL,
    customer_id       uuid NOT NULL,
    preferred_channel text NOT NULL DEFAULT '',
    language          text NOT NULL DEFAULT '',
    time_zone         text NOT NULL DEFAULT '',
    quiet_hours       text NOT NULL DEFAULT '[]',
    do_not_contact    boolean NOT NULL DEFAULT FALSE,
    dnc_reason        text NOT NULL DEFAULT '',
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, customer_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE TABLE crm_contact_settings (
    workspace_id text NOT NULL PRIMARY KEY,
    settings     jsonb NOT NULL,
    updated_at   timestamptz NOT NULL
);
--bun:split
-- Why an outbound message was sent, and the contact decision that let it go.
ALTER TABLE crm_interactions ADD COLUMN purpose text NOT NULL DEFAULT '';
--bun:split
ALTER TABLE crm_interactions ADD COLUMN decision text NOT NULL DEFAULT '';
--bun:split
-- Frequency caps count a customer's recent outbound messages from here.
CREATE INDEX crm_interactions_outbound ON crm_interactions (workspace_id, customer_id, occurred_at, purpose, channel, status) WHERE direction = 'outbound';
