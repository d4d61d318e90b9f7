-- Hygiene flags an identity it cannot read as valid; '' means valid.
ALTER TABLE crm_identities ADD COLUMN invalid_reason text NOT NULL DEFAULT '';
--bun:split
CREATE INDEX crm_identities_invalid ON crm_identities (workspace_id, id) WHERE invalid_reason <> '';
--bun:split
-- The merge log: one row per merge, with the survivor as it was before and
-- just after the merge (JSON), ...
CREATE TABLE crm_customer_merges (
    workspace_id    text NOT NULL,
    id              uuid NOT NULL,
    survivor_id     uuid NOT NULL,
    survivor_before jsonb NOT NULL,
    survivor_after  jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, survivor_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_customer_merges_survivor ON crm_customer_merges (workspace_id, survivor_id);
--bun:split
-- ... and one row per absorbed customer: its row as it was and the rows of
-- other tables the merge re-pointed (by key) or dropped (whole). This is
-- also where a merged-away id finds its survivor: a merged_into column on
-- crm_customers would break readers that select c.* into a fixed struct.
CREATE TABLE crm_customer_merge_items (
    workspace_id text NOT NULL,
    merge_id     uuid NOT NULL,
    customer_id  uuid NOT NULL,
    -- the survivor: while the row exists, customer_id resolves to it
    survivor_id  uuid NOT NULL,
    position     integer NOT NULL,
    customer_row jsonb NOT NULL,
    moved        jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, merge_id, customer_id),
    FOREIGN KEY (workspace_id, merge_id) REFERENCES crm_customer_merges (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- A customer is merged away at most once at a time (it is deleted then).
CREATE UNIQUE INDEX crm_customer_merge_items_customer ON crm_customer_merge_items (workspace_id, customer_id);
--bun:split
-- A workspace's data-quality policy (customer.QualitySettings), as JSON.
ALTER TABLE crm_workspaces ADD COLUMN quality text NOT NULL DEFAULT '{}';
