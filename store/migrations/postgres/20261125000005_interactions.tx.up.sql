-- Conversations: threads of interactions on one channel. thread_key joins
-- messages to a thread (see communication.Conversation).
CREATE TABLE crm_conversations (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    customer_id  uuid NOT NULL,
    channel      text NOT NULL,
    thread_key   text NOT NULL,
    subject      text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    last_at      timestamptz NOT NULL,
    messages     bigint NOT NULL DEFAULT 0,
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
    workspace_id    text NOT NULL,
    id              uuid NOT NULL,
    customer_id     uuid NOT NULL,
    company_id      uuid,
    conversation_id uuid NOT NULL,
    channel         text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    occurred_at     timestamptz NOT NULL,
    duration_ms     bigint NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    html            text NOT NULL DEFAULT '',
    outcome         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    status_reason   text NOT NULL DEFAULT '',
    owner_id        text NOT NULL DEFAULT '',
    attachments     text NOT NULL DEFAULT '[]',
    purchase_id     uuid,
    ticket_id       uuid,
    campaign_id     uuid,
    provider_id     text,
    thread_id       text NOT NULL DEFAULT '',
    reply_to        text NOT NULL DEFAULT '',
    meta            text NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
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
    workspace_id text NOT NULL,
    key          text NOT NULL,
    channel      text NOT NULL,
    locale       text NOT NULL,
    subject      text NOT NULL DEFAULT '',
    body         text NOT NULL,
    html         text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key, channel, locale)
);
