-- Service: ticket hierarchy and merging, the activity SLA clocks are
-- measured from, internal notes, SLA policies and the SLA targets of each
-- ticket.
ALTER TABLE crm_tickets ADD COLUMN parent_id TEXT;
--bun:split
ALTER TABLE crm_tickets ADD COLUMN merged_into_id TEXT;
--bun:split
-- the SLA policy that applies (NULL: none matched)
ALTER TABLE crm_tickets ADD COLUMN policy_id TEXT;
--bun:split
-- status changes and public replies, oldest first (JSON array)
ALTER TABLE crm_tickets ADD COLUMN activity TEXT NOT NULL DEFAULT '[]';
--bun:split
CREATE INDEX crm_tickets_parent ON crm_tickets (workspace_id, parent_id, number) WHERE parent_id IS NOT NULL;
--bun:split
-- Internal notes on tickets: seen by the team, never sent to the customer.
-- (Public replies are interactions with a ticket_id.)
CREATE TABLE crm_ticket_notes (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    ticket_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    author_id    TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, ticket_id) REFERENCES crm_tickets (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_ticket_notes_ticket ON crm_ticket_notes (workspace_id, ticket_id, created_at, id);
--bun:split
CREATE INDEX crm_ticket_notes_customer ON crm_ticket_notes (workspace_id, customer_id);
--bun:split
-- SLA policies: the first by position whose conditions match a ticket
-- applies. body holds conditions, targets, calendar and pause statuses.
CREATE TABLE crm_sla_policies (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    body         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
--bun:split
-- One row per SLA target of a ticket: first_response and resolution once,
-- next_response once per customer reply awaiting an answer (seq 1, 2, ...).
-- deadline is NULL while the clock is stopped; met_at is set when the
-- target is fulfilled. level is the escalation level claimed (0 none,
-- 1 warning, 2 breach); next_escalation_at is when the next level is due
-- (NULL when none is).
CREATE TABLE crm_ticket_slas (
    workspace_id       TEXT NOT NULL,
    id                 TEXT NOT NULL,
    ticket_id          TEXT NOT NULL,
    metric             TEXT NOT NULL CHECK (metric IN ('first_response', 'next_response', 'resolution')),
    seq                INTEGER NOT NULL CHECK (seq > 0),
    policy_id          TEXT NOT NULL,
    target_minutes     INTEGER NOT NULL CHECK (target_minutes > 0),
    started_at         TIMESTAMP NOT NULL,
    deadline           TIMESTAMP,
    warn_at            TIMESTAMP,
    met_at             TIMESTAMP,
    elapsed_seconds    INTEGER NOT NULL DEFAULT 0,
    level              INTEGER NOT NULL DEFAULT 0,
    next_escalation_at TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, ticket_id, metric, seq),
    FOREIGN KEY (workspace_id, ticket_id) REFERENCES crm_tickets (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- the at-risk query: open targets by deadline
CREATE INDEX crm_ticket_slas_deadline ON crm_ticket_slas (workspace_id, deadline, id) WHERE met_at IS NULL AND deadline IS NOT NULL;
--bun:split
-- escalation workers: the next level due
CREATE INDEX crm_ticket_slas_escalation ON crm_ticket_slas (workspace_id, next_escalation_at, id) WHERE next_escalation_at IS NOT NULL;
--bun:split
-- service reports: the targets started in a period
CREATE INDEX crm_ticket_slas_started ON crm_ticket_slas (workspace_id, started_at);
--bun:split
-- service reports: the tickets changed since an instant (reopen rate)
CREATE INDEX crm_tickets_updated ON crm_tickets (workspace_id, updated_at);
