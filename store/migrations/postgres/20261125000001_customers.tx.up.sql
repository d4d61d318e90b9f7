CREATE TABLE crm_workspaces (
    workspace_id   text PRIMARY KEY,
    default_region text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
--bun:split
CREATE TABLE crm_customers (
    workspace_id  text NOT NULL,
    id            uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('person', 'company')),
    name          text NOT NULL,
    name_fold     text NOT NULL,
    name_key      bytea NOT NULL,
    given_name    text NOT NULL DEFAULT '',
    family_name   text NOT NULL DEFAULT '',
    company_id    uuid,
    address_line1 text NOT NULL DEFAULT '',
    address_line2 text NOT NULL DEFAULT '',
    city          text NOT NULL DEFAULT '',
    region        text NOT NULL DEFAULT '',
    postal_code   text NOT NULL DEFAULT '',
    country       text NOT NULL DEFAULT '',
    locale        text NOT NULL DEFAULT '',
    time_zone     text NOT NULL DEFAULT '',
    stage         text NOT NULL,
    source        text NOT NULL DEFAULT '',
    owner_id      text NOT NULL DEFAULT '',
    attributes    jsonb NOT NULL DEFAULT '{}',
    identities    text NOT NULL DEFAULT '[]',
    tags          text NOT NULL DEFAULT '[]',
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz,
    erased_at     timestamptz,
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
CREATE INDEX crm_customers_name_fold ON crm_customers (workspace_id, name_fold text_pattern_ops);
--bun:split
CREATE INDEX crm_customers_created ON crm_customers (workspace_id, created_at);
--bun:split
CREATE TABLE crm_identities (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    customer_id  uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('email', 'phone', 'external')),
    system       text NOT NULL DEFAULT '',
    value        text NOT NULL,
    label        text NOT NULL DEFAULT '',
    raw          text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, kind, system, value),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_identities_customer ON crm_identities (workspace_id, customer_id);
--bun:split
CREATE INDEX crm_identities_value_prefix ON crm_identities (workspace_id, kind, value text_pattern_ops);
--bun:split
CREATE TABLE crm_customer_tags (
    workspace_id text NOT NULL,
    customer_id  uuid NOT NULL,
    tag          text NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, tag),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_customer_tags_tag ON crm_customer_tags (workspace_id, tag, customer_id);
--bun:split
CREATE TABLE crm_attribute_defs (
    workspace_id text NOT NULL,
    key          text NOT NULL,
    label        text NOT NULL DEFAULT '',
    type         text NOT NULL,
    required     boolean NOT NULL DEFAULT false,
    options      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
--bun:split
CREATE TABLE crm_purchases (
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    customer_id  uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
    currency     text NOT NULL,
    quantity     bigint NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    channel      text NOT NULL DEFAULT '',
    order_id     text,
    description  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, order_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_purchases_customer ON crm_purchases (workspace_id, customer_id, occurred_at, id);
--bun:split
CREATE TABLE crm_customer_search (
    workspace_id text NOT NULL,
    customer_id  uuid NOT NULL,
    doc          tsvector NOT NULL,
    PRIMARY KEY (workspace_id, customer_id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_customer_search_doc ON crm_customer_search USING gin (doc);
