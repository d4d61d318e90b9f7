-- Emails and phones may be held by several customers (a household's
-- landline, a switchboard); external ids stay unique per workspace (they
-- are keys into another system), and one customer never holds the same
-- identity twice.
ALTER TABLE crm_identities DROP CONSTRAINT crm_identities_workspace_id_kind_system_value_key;
--bun:split
DROP INDEX crm_identities_customer;
--bun:split
CREATE UNIQUE INDEX crm_identities_external ON crm_identities (workspace_id, kind, system, value) WHERE kind = 'external';
--bun:split
-- Also serves the lookups by customer.
CREATE UNIQUE INDEX crm_identities_held ON crm_identities (workspace_id, customer_id, kind, system, value);
--bun:split
CREATE INDEX crm_identities_value ON crm_identities (workspace_id, kind, system, value);
--bun:split
-- Pairs of customers an import (source "import") found sharing a key
-- without being sure they are one person: kept for review, never merged.
CREATE TABLE crm_possible_duplicates (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    customer_id  uuid NOT NULL,
    other_id     uuid NOT NULL,
    reason       text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CHECK (customer_id <> other_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, other_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE UNIQUE INDEX crm_possible_duplicates_pair ON crm_possible_duplicates (workspace_id, customer_id, other_id);
--bun:split
CREATE INDEX crm_possible_duplicates_other ON crm_possible_duplicates (workspace_id, other_id);
