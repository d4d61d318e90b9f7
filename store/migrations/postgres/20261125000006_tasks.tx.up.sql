-- Tasks of the communication module: something to do for a customer, once
-- or by an RFC 5545 rule (rrule, evaluated in zone from recur_start).
CREATE TABLE crm_tasks (
    workspace_id   text NOT NULL,
    id             uuid NOT NULL,
    customer_id    uuid NOT NULL,
    subject        text NOT NULL,
    notes          text NOT NULL DEFAULT '',
    due_at         timestamptz NOT NULL,
    owner_id       text NOT NULL DEFAULT '',
    priority       text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status         text NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    -- links to records of other modules; not foreign keys (yet)
    interaction_id uuid,
    ticket_id      uuid,
    campaign_id    uuid,
    rrule          text NOT NULL DEFAULT '',
    zone           text NOT NULL DEFAULT '',
    recur_start    timestamptz,
    -- reminder offsets before due_at, in seconds
    reminders      jsonb NOT NULL DEFAULT '[]',
    completed_at   timestamptz,
    version        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
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
    workspace_id   text NOT NULL,
    id             uuid NOT NULL,
    task_id        uuid NOT NULL,
    customer_id    uuid NOT NULL,
    offset_seconds bigint NOT NULL,
    fire_at        timestamptz NOT NULL,
    state          text NOT NULL CHECK (state IN ('pending', 'fired', 'cancelled')),
    lease_no       bigint NOT NULL DEFAULT 0,
    lease_until    timestamptz,
    created_at     timestamptz NOT NULL,
    fired_at       timestamptz,
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
