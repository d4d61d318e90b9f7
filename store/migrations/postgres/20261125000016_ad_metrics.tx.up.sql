-- Marketing: daily ad metrics per campaign and platform, imported from ad
-- platforms; one row per (campaign, platform, day), replaced when a
-- platform restates the day. The spend also lives in the cost ledger, as
-- the media line with source 'ads:<platform>:<day>'.
CREATE TABLE crm_campaign_ad_metrics (
    workspace_id           text NOT NULL,
    campaign_id            uuid NOT NULL,
    platform               text NOT NULL,
    day                    text NOT NULL, -- a civil date, 2026-11-25
    impressions            bigint NOT NULL CHECK (impressions >= 0),
    clicks                 bigint NOT NULL CHECK (clicks >= 0 AND clicks <= impressions),
    spend_minor            bigint NOT NULL CHECK (spend_minor >= 0),
    currency               text NOT NULL,
    conversions            double precision NOT NULL CHECK (conversions >= 0),
    -- NULL when the platform reports no conversion value
    conversion_value_minor bigint CHECK (conversion_value_minor >= 0),
    imported_at            timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, campaign_id, platform, day),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_campaign_ad_metrics_day ON crm_campaign_ad_metrics (workspace_id, campaign_id, day, platform);
