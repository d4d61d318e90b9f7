-- Tickets of the service module. number is the human-readable number
-- (T-<number>), handed out per workspace by crm_ticket_counters.
CREATE TABLE crm_ticket_counters (
    workspace_id text NOT NULL PRIMARY KEY,
    -- the number the next ticket gets
    next         bigint NOT NULL
);
--bun:split
CREATE TABLE crm_tickets (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    number       bigint NOT NULL CHECK (number > 0),
    customer_id  uuid NOT NULL,
    -- checked on write; not foreign keys, so that a company or purchase
    -- removed later leaves the ticket's history
    company_id   uuid,
    purchase_id  uuid,
    product      text NOT NULL DEFAULT '',
    category     text NOT NULL,
    priority     text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel      text NOT NULL DEFAULT '',
    subject      text NOT NULL,
    description  text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
    assignee_id  text NOT NULL DEFAULT '',
    team_id      text NOT NULL DEFAULT '',
    tags         jsonb NOT NULL DEFAULT '[]',
    attributes   jsonb NOT NULL DEFAULT '{}',
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    solved_at    timestamptz,
    closed_at    timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, number),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_tickets_customer ON crm_tickets (workspace_id, customer_id, number);
--bun:split
CREATE INDEX crm_tickets_status ON crm_tickets (workspace_id, status, number);
--bun:split
CREATE INDEX crm_tickets_assignee ON crm_tickets (workspace_id, assignee_id, number);
