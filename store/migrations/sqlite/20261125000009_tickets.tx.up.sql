-- Tickets of the service module. number is the human-readable number
-- (T-<number>), handed out per workspace by crm_ticket_counters.
CREATE TABLE crm_ticket_counters (
    workspace_id TEXT NOT NULL PRIMARY KEY,
    -- the number the next ticket gets
    next         INTEGER NOT NULL
);
--bun:split
CREATE TABLE crm_tickets (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    number       INTEGER NOT NULL CHECK (number > 0),
    customer_id  TEXT NOT NULL,
    -- checked on write; not foreign keys, so that a company or purchase
    -- removed later leaves the ticket's history
    company_id   TEXT,
    purchase_id  TEXT,
    product      TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL,
    priority     TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel      TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
    assignee_id  TEXT NOT NULL DEFAULT '',
    team_id      TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    attributes   TEXT NOT NULL DEFAULT '{}',
    version      INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    solved_at    TIMESTAMP,
    closed_at    TIMESTAMP,
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
