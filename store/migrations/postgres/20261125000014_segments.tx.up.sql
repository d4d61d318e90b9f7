-- Marketing: segments (saved rules), their membership snapshots, and
-- static lists.
CREATE TABLE crm_segments (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    rule         text NOT NULL, -- marketing.Rule, as JSON
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    deleted_at   timestamptz, -- deleted segments stay for their snapshots
    PRIMARY KEY (workspace_id, id)
);
--bun:split
CREATE UNIQUE INDEX crm_segments_name ON crm_segments (workspace_id, name) WHERE deleted_at IS NULL;
--bun:split
-- A segment's members at an instant, with the rule they were computed
-- from, so that a run can be reproduced.
CREATE TABLE crm_segment_snapshots (
    workspace_id    text NOT NULL,
    id              uuid NOT NULL,
    segment_id      uuid NOT NULL,
    segment_version bigint NOT NULL,
    rule            text NOT NULL,
    at              timestamptz NOT NULL,
    members         bigint NOT NULL,
    taken_at        timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, segment_id) REFERENCES crm_segments (workspace_id, id)
);
--bun:split
CREATE INDEX crm_segment_snapshots_segment ON crm_segment_snapshots (workspace_id, segment_id, taken_at);
--bun:split
CREATE TABLE crm_segment_snapshot_members (
    workspace_id text NOT NULL,
    snapshot_id  uuid NOT NULL,
    customer_id  uuid NOT NULL,
    PRIMARY KEY (workspace_id, snapshot_id, customer_id),
    FOREIGN KEY (workspace_id, snapshot_id) REFERENCES crm_segment_snapshots (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_segment_snapshot_members_customer ON crm_segment_snapshot_members (workspace_id, customer_id);
--bun:split
CREATE TABLE crm_lists (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
--bun:split
CREATE TABLE crm_list_members (
    workspace_id text NOT NULL,
    list_id      uuid NOT NULL,
    customer_id  uuid NOT NULL,
    added_at     timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, list_id, customer_id),
    FOREIGN KEY (workspace_id, list_id) REFERENCES crm_lists (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_list_members_customer ON crm_list_members (workspace_id, customer_id);
--bun:split
-- Segment conditions count a customer's tickets in a window.
CREATE INDEX crm_tickets_customer_created ON crm_tickets (workspace_id, customer_id, created_at);
