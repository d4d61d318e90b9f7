-- Conversations: threads of interactions on one channel. thread_key joins
-- messages to a thread (see communication.Conversation).
CREATE TABLE crm_conversations (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    thread_key   TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMP NOT NULL,
    last_at      TIMESTAMP NOT NULL,
    messages     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, channel, thread_key),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_conversations_customer ON crm_conversations (workspace_id, customer_id, last_at, id);
--bun:split
-- Interactions: every exchange on every channel. A provider's message id is
-- unique per workspace and channel (NULL when there is none).
CREATE TABLE crm_interactions (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    company_id      TEXT,
    conversation_id TEXT NOT NULL,
    channel         TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    occurred_at     TIMESTAMP NOT NULL,
    duration_ms     INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL DEFAULT '',
    html            TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    status_reason   TEXT NOT NULL DEFAULT '',
    owner_id        TEXT NOT NULL DEFAULT '',
    attachments     TEXT NOT NULL DEFAULT '[]',
    purchase_id     TEXT,
    ticket_id       TEXT,
    campaign_id     TEXT,
    provider_id     TEXT,
    thread_id       TEXT NOT NULL DEFAULT '',
    reply_to        TEXT NOT NULL DEFAULT '',
    meta            TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, channel, provider_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES crm_conversations (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_interactions_customer ON crm_interactions (workspace_id, customer_id, occurred_at, id);
--bun:split
CREATE INDEX crm_interactions_conversation ON crm_interactions (workspace_id, conversation_id, occurred_at, id);
--bun:split
CREATE TABLE crm_templates (
    workspace_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    channel      TEXT NOT NULL,
    locale       TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    html         TEXT NOT NULL DEFAULT '',
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, key, channel, locale)
);
