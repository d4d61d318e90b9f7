-- Emails and phones may be held by several customers (a household's
-- landline, a switchboard); external ids stay unique per workspace (they
-- are keys into another system), and one customer never holds the same
-- identity twice. SQLite cannot drop a table constraint: the table is
-- rebuilt, with the invalid_reason column of migration 3.
CREATE TABLE crm_identities_new (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'external')),
    system         TEXT NOT NULL DEFAULT '',
    value          TEXT NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    raw            TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    invalid_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
INSERT INTO crm_identities_new (workspace_id, id, customer_id, kind, system, value, label, raw, created_at, invalid_reason)
SELECT workspace_id, id, customer_id, kind, system, value, label, raw, created_at, invalid_reason FROM crm_identities;
--bun:split
DROP TABLE crm_identities;
--bun:split
ALTER TABLE crm_identities_new RENAME TO crm_identities;
--bun:split
CREATE UNIQUE INDEX crm_identities_external ON crm_identities (workspace_id, kind, system, value) WHERE kind = 'external';
--bun:split
-- Also serves the lookups by customer.
CREATE UNIQUE INDEX crm_identities_held ON crm_identities (workspace_id, customer_id, kind, system, value);
--bun:split
CREATE INDEX crm_identities_value ON crm_identities (workspace_id, kind, system, value);
--bun:split
CREATE INDEX crm_identities_invalid ON crm_identities (workspace_id, id) WHERE invalid_reason <> '';
--bun:split
-- Pairs of customers an import (source "import") found sharing a key
-- without being sure they are one person: kept for review, never merged.
CREATE TABLE crm_possible_duplicates (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    other_id     TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CHECK (customer_id <> other_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, other_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE UNIQUE INDEX crm_possible_duplicates_pair ON crm_possible_duplicates (workspace_id, customer_id, other_id);
--bun:split
CREATE INDEX crm_possible_duplicates_other ON crm_possible_duplicates (workspace_id, other_id);
