-- Hygiene flags an identity it cannot read as valid; '' means valid.
ALTER TABLE crm_identities ADD COLUMN invalid_reason TEXT NOT NULL DEFAULT '';
--bun:split
CREATE INDEX crm_identities_invalid ON crm_identities (workspace_id, id) WHERE invalid_reason <> '';
--bun:split
-- The merge log: one row per merge, with the survivor as it was before and
-- just after the merge (JSON), ...
CREATE TABLE crm_customer_merges (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,
    survivor_id     TEXT NOT NULL,
    survivor_before TEXT NOT NULL,
    survivor_after  TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
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
    workspace_id TEXT NOT NULL,
    merge_id     TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    -- the survivor: while the row exists, customer_id resolves to it
    survivor_id  TEXT NOT NULL,
    position     INTEGER NOT NULL,
    customer_row TEXT NOT NULL,
    moved        TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, merge_id, customer_id),
    FOREIGN KEY (workspace_id, merge_id) REFERENCES crm_customer_merges (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- A customer is merged away at most once at a time (it is deleted then).
CREATE UNIQUE INDEX crm_customer_merge_items_customer ON crm_customer_merge_items (workspace_id, customer_id);
--bun:split
-- A workspace's data-quality policy (customer.QualitySettings), as JSON.
ALTER TABLE crm_workspaces ADD COLUMN quality TEXT NOT NULL DEFAULT '{}';
