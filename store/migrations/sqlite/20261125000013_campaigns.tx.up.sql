-- Marketing: campaigns, their cost ledger, members and the log of every
-- member status change.
CREATE TABLE crm_campaigns (
    workspace_id       TEXT NOT NULL,
    id                 TEXT NOT NULL,
    name               TEXT NOT NULL,
    type               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('planned', 'active', 'paused', 'completed', 'aborted')),
    objective          TEXT NOT NULL DEFAULT '',
    starts_at          TIMESTAMP,
    ends_at            TIMESTAMP,
    owner_id           TEXT NOT NULL DEFAULT '',
    channel            TEXT NOT NULL DEFAULT '',
    utm_source         TEXT NOT NULL DEFAULT '',
    utm_medium         TEXT NOT NULL DEFAULT '',
    utm_campaign       TEXT NOT NULL DEFAULT '',
    parent_id          TEXT,
    currency           TEXT NOT NULL,
    budget_minor       INTEGER NOT NULL DEFAULT 0,
    expected_revenue_minor INTEGER NOT NULL DEFAULT 0,
    expected_responses INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name),
    FOREIGN KEY (workspace_id, parent_id) REFERENCES crm_campaigns (workspace_id, id)
);
--bun:split
CREATE INDEX crm_campaigns_parent ON crm_campaigns (workspace_id, parent_id) WHERE parent_id IS NOT NULL;
--bun:split
-- utm_campaign identifies the campaign in tagged links (attribution)
CREATE INDEX crm_campaigns_utm ON crm_campaigns (workspace_id, utm_campaign) WHERE utm_campaign <> '';
--bun:split
-- The cost ledger: actual cost is the sum of a campaign's lines. source
-- makes a line idempotent (e.g. the ad platform's day), unique per
-- campaign when set.
CREATE TABLE crm_campaign_costs (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    incurred_on  TEXT NOT NULL, -- a civil date, 2026-11-25
    note         TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_campaign_costs_campaign ON crm_campaign_costs (workspace_id, campaign_id, incurred_on, id);
--bun:split
CREATE UNIQUE INDEX crm_campaign_costs_source ON crm_campaign_costs (workspace_id, campaign_id, source) WHERE source <> '';
--bun:split
-- Member statuses a workspace adds to the built-in ones.
CREATE TABLE crm_member_statuses (
    workspace_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    is_response  INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
--bun:split
-- A campaign's members: the current status, when it was reached, and the
-- first response. variant is the experiment arm (marketing evaluation).
CREATE TABLE crm_campaign_members (
    workspace_id       TEXT NOT NULL,
    campaign_id        TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    status             TEXT NOT NULL,
    status_at          TIMESTAMP NOT NULL,
    source             TEXT NOT NULL DEFAULT '',
    variant            TEXT NOT NULL DEFAULT '',
    first_responded_at TIMESTAMP,
    added_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, campaign_id, customer_id),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_campaign_members_customer ON crm_campaign_members (workspace_id, customer_id);
--bun:split
CREATE INDEX crm_campaign_members_status ON crm_campaign_members (workspace_id, campaign_id, status);
--bun:split
-- Every member status change, oldest first per member; each is an entry
-- of the member's timeline (read through crm_campaign_member_log_customer).
CREATE TABLE crm_campaign_member_log (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, campaign_id, customer_id) REFERENCES crm_campaign_members (workspace_id, campaign_id, customer_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
--bun:split
CREATE INDEX crm_campaign_member_log_member ON crm_campaign_member_log (workspace_id, campaign_id, customer_id, occurred_at, id);
--bun:split
CREATE INDEX crm_campaign_member_log_customer ON crm_campaign_member_log (workspace_id, customer_id, occurred_at, id);
