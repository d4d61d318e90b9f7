-- Marketing: campaigns, their cost ledger, members and the log of every
-- member status change.
CREATE TABLE crm_campaigns (
    workspace_id       text NOT NULL,
    id                 uuid NOT NULL,
    name               text NOT NULL,
    type               text NOT NULL,
    status             text NOT NULL CHECK (status IN ('planned', 'active', 'paused', 'completed', 'aborted')),
    objective          text NOT NULL DEFAULT '',
    starts_at          timestamptz,
    ends_at            timestamptz,
    owner_id           text NOT NULL DEFAULT '',
    channel            text NOT NULL DEFAULT '',
    utm_source         text NOT NULL DEFAULT '',
    utm_medium         text NOT NULL DEFAULT '',
    utm_campaign       text NOT NULL DEFAULT '',
    parent_id          uuid,
    currency           text NOT NULL,
    budget_minor       bigint NOT NULL DEFAULT 0,
    expected_revenue_minor bigint NOT NULL DEFAULT 0,
    expected_responses bigint NOT NULL DEFAULT 0,
    version            bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
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
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    campaign_id  uuid NOT NULL,
    kind         text NOT NULL,
    amount_minor bigint NOT NULL,
    currency     text NOT NULL,
    incurred_on  text NOT NULL, -- a civil date, 2026-11-25
    note         text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
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
    workspace_id text NOT NULL,
    key          text NOT NULL,
    is_response  boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
--bun:split
-- A campaign's members: the current status, when it was reached, and the
-- first response. variant is the experiment arm (marketing evaluation).
CREATE TABLE crm_campaign_members (
    workspace_id       text NOT NULL,
    campaign_id        uuid NOT NULL,
    customer_id        uuid NOT NULL,
    status             text NOT NULL,
    status_at          timestamptz NOT NULL,
    source             text NOT NULL DEFAULT '',
    variant            text NOT NULL DEFAULT '',
    first_responded_at timestamptz,
    added_at           timestamptz NOT NULL,
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
    workspace_id text NOT NULL,
    id           uuid NOT NULL,
    campaign_id  uuid NOT NULL,
    customer_id  uuid NOT NULL,
    status       text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, campaign_id, customer_id) REFERENCES crm_campaign_members (workspace_id, campaign_id, customer_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
--bun:split
CREATE INDEX crm_campaign_member_log_member ON crm_campaign_member_log (workspace_id, campaign_id, customer_id, occurred_at, id);
--bun:split
CREATE INDEX crm_campaign_member_log_customer ON crm_campaign_member_log (workspace_id, customer_id, occurred_at, id);
