CREATE TABLE crm_workspaces (
    workspace_id   TEXT NOT NULL PRIMARY KEY,
    default_region TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE crm_customers (
    workspace_id  TEXT NOT NULL,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    name          TEXT NOT NULL,
    name_fold     TEXT NOT NULL,
    name_key      BLOB NOT NULL,
    given_name    TEXT NOT NULL DEFAULT '',
    family_name   TEXT NOT NULL DEFAULT '',
    company_id    TEXT,
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT '',
    postal_code   TEXT NOT NULL DEFAULT '',
    country       TEXT NOT NULL DEFAULT '',
    locale        TEXT NOT NULL DEFAULT '',
    time_zone     TEXT NOT NULL DEFAULT '',
    stage         TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    owner_id      TEXT NOT NULL DEFAULT '',
    attributes    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    identities    TEXT NOT NULL DEFAULT '[]',
    tags          TEXT NOT NULL DEFAULT '[]',
    version       INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    deleted_at    TIMESTAMP,
    erased_at     TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, company_id) REFERENCES crm_customers (workspace_id, id)
);
--bun:split
CREATE INDEX crm_customers_company ON crm_customers (workspace_id, company_id);
--bun:split
CREATE INDEX crm_customers_stage ON crm_customers (workspace_id, stage, id);
--bun:split
CREATE INDEX crm_customers_owner ON crm_customers (workspace_id, owner_id, id);
--bun:split
CREATE INDEX crm_customers_name_key ON crm_customers (workspace_id, name_key, id);
--bun:split
CREATE INDEX crm_customers_name_fold ON crm_customers (workspace_id, name_fold);
--bun:split
CREATE INDEX crm_customers_created ON crm_customers (workspace_id, created_at);
--bun:split
CREATE TABLE crm_identities (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'external')),
    system       TEXT NOT NULL DEFAULT '',
    value        TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    raw          TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, kind, system, value),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_identities_customer ON crm_identities (workspace_id, customer_id);
--bun:split
CREATE TABLE crm_customer_tags (
    workspace_id TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, tag),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_customer_tags_tag ON crm_customer_tags (workspace_id, tag, customer_id);
--bun:split
CREATE TABLE crm_attribute_defs (
    workspace_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    required     BOOLEAN NOT NULL DEFAULT FALSE,
    options      TEXT NOT NULL DEFAULT '[]',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
--bun:split
CREATE TABLE crm_purchases (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    quantity     INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    channel      TEXT NOT NULL DEFAULT '',
    order_id     TEXT,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, order_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_purchases_customer ON crm_purchases (workspace_id, customer_id, occurred_at, id);
--bun:split
CREATE TABLE crm_customer_search (
    docid        INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    doc          TEXT NOT NULL,
    UNIQUE (workspace_id, customer_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE VIRTUAL TABLE crm_customer_fts USING fts5 (
    doc,
    content = 'crm_customer_search',
    content_rowid = 'docid',
    tokenize = 'unicode61 remove_diacritics 0 categories ''L* M* N* Co''',
    prefix = '1 2 3'
);
--bun:split
-- Deleting a document removes its tokens from the index at once, so an
-- erased or purged customer's words do not linger in old segments.
INSERT INTO crm_customer_fts (crm_customer_fts, rank) VALUES ('secure-delete', 1);
--bun:split
CREATE TRIGGER crm_customer_search_ai AFTER INSERT ON crm_customer_search BEGIN
    INSERT INTO crm_customer_fts (rowid, doc) VALUES (new.docid, new.doc);
END;
--bun:split
CREATE TRIGGER crm_customer_search_ad AFTER DELETE ON crm_customer_search BEGIN
    INSERT INTO crm_customer_fts (crm_customer_fts, rowid, doc) VALUES ('delete', old.docid, old.doc);
END;
--bun:split
CREATE TRIGGER crm_customer_search_au AFTER UPDATE ON crm_customer_search BEGIN
    INSERT INTO crm_customer_fts (crm_customer_fts, rowid, doc) VALUES ('delete', old.docid, old.doc);
    INSERT INTO crm_customer_fts (rowid, doc) VALUES (new.docid, new.doc);
END;
