-- Tasks of the communication module: something to do for a customer, once
-- or by an RFC 5545 rule (rrule, evaluated in zone from recur_start).
CREATE TABLE crm_tasks (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    subject        TEXT NOT NULL,
    notes          TEXT NOT NULL DEFAULT '',
    due_at         TIMESTAMP NOT NULL,
    owner_id       TEXT NOT NULL DEFAULT '',
    priority       TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    -- links to records of other modules; not foreign keys (yet)
    interaction_id TEXT,
    ticket_id      TEXT,
    campaign_id    TEXT,
    rrule          TEXT NOT NULL DEFAULT '',
    zone           TEXT NOT NULL DEFAULT '',
    recur_start    TIMESTAMP,
    -- reminder offsets before due_at, in seconds
    reminders      TEXT NOT NULL DEFAULT '[]',
    completed_at   TIMESTAMP,
    version        INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_tasks_due ON crm_tasks (workspace_id, due_at, id);
--bun:split
CREATE INDEX crm_tasks_customer ON crm_tasks (workspace_id, customer_id, due_at, id);
--bun:split
CREATE INDEX crm_tasks_status ON crm_tasks (workspace_id, status, due_at, id);
--bun:split
CREATE INDEX crm_tasks_owner ON crm_tasks (workspace_id, owner_id, due_at, id);
--bun:split
-- One row per reminder of a task's due time. Workers claim pending ones
-- that are due by leasing them (lease_until); lease_no counts the claims, and
-- a claim token carries it, so that the acknowledgement of a lease that
-- expired and was claimed again is told apart.
CREATE TABLE crm_task_reminders (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    task_id        TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    offset_seconds INTEGER NOT NULL,
    fire_at        TIMESTAMP NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    lease_no       INTEGER NOT NULL DEFAULT 0,
    lease_until    TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    fired_at       TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, task_id) REFERENCES crm_tasks (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- Claiming reads the pending reminders by fire time; fired and cancelled
-- ones are history and stay out of the index.
CREATE INDEX crm_task_reminders_due ON crm_task_reminders (workspace_id, fire_at, id) WHERE state = 'pending';
--bun:split
CREATE INDEX crm_task_reminders_task ON crm_task_reminders (workspace_id, task_id);
--bun:split
CREATE INDEX crm_task_reminders_customer ON crm_task_reminders (workspace_id, customer_id);
