-- Marketing promotions: offers of a campaign, their codes and the
-- redemptions of the codes against purchases.
CREATE TABLE crm_promo_offers (
    workspace_id       text NOT NULL,
    id                 uuid NOT NULL,
    campaign_id        uuid NOT NULL,
    name               text NOT NULL,
    percent_bp         integer NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    amount_off_minor   bigint NOT NULL DEFAULT 0 CHECK (amount_off_minor >= 0),
    max_discount_minor bigint NOT NULL DEFAULT 0 CHECK (max_discount_minor >= 0),
    currency           text NOT NULL,
    min_spend_minor    bigint NOT NULL DEFAULT 0 CHECK (min_spend_minor >= 0),
    valid_from         timestamptz,
    valid_to           timestamptz,
    per_customer_limit integer NOT NULL DEFAULT 0 CHECK (per_customer_limit >= 0),
    total_limit        integer NOT NULL DEFAULT 0 CHECK (total_limit >= 0),
    code_policy        text NOT NULL CHECK (code_policy IN ('single_use', 'shared')),
    shared_code        text NOT NULL DEFAULT '',
    record_cost        boolean NOT NULL DEFAULT false,
    redemptions        integer NOT NULL DEFAULT 0,
    version            bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, campaign_id, name),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- Codes are unique per workspace. A single-use code is redeemed once
-- (redeemed_at set by a conditional update); a shared code many times.
CREATE TABLE crm_promo_codes (
    workspace_id text NOT NULL,
    code         text NOT NULL,
    offer_id     uuid NOT NULL,
    batch_id     uuid NOT NULL,
    single_use   boolean NOT NULL,
    redeemed_at  timestamptz,
    redemptions  integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, code),
    FOREIGN KEY (workspace_id, offer_id) REFERENCES crm_promo_offers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_promo_codes_offer ON crm_promo_codes (workspace_id, offer_id, code);
--bun:split
-- One row per redemption. A purchase redeems an offer at most once; a
-- single-use code is redeemed at most once (the partial unique index
-- backs the conditional update on crm_promo_codes).
CREATE TABLE crm_promo_redemptions (
    workspace_id   text NOT NULL,
    id             uuid NOT NULL,
    offer_id       uuid NOT NULL,
    campaign_id    uuid NOT NULL,
    code           text NOT NULL,
    single_use     boolean NOT NULL,
    customer_id    uuid NOT NULL,
    purchase_id    uuid NOT NULL,
    purchase_minor bigint NOT NULL,
    discount_minor bigint NOT NULL CHECK (discount_minor >= 0),
    currency       text NOT NULL,
    cost_id        uuid,
    redeemed_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, offer_id, purchase_id),
    FOREIGN KEY (workspace_id, offer_id) REFERENCES crm_promo_offers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, code) REFERENCES crm_promo_codes (workspace_id, code) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, purchase_id) REFERENCES crm_purchases (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE UNIQUE INDEX crm_promo_redemptions_single_use ON crm_promo_redemptions (workspace_id, code) WHERE single_use;
--bun:split
CREATE INDEX crm_promo_redemptions_offer ON crm_promo_redemptions (workspace_id, offer_id, redeemed_at, id);
--bun:split
CREATE INDEX crm_promo_redemptions_customer ON crm_promo_redemptions (workspace_id, customer_id, redeemed_at, id);
--bun:split
CREATE INDEX crm_promo_redemptions_purchase ON crm_promo_redemptions (workspace_id, purchase_id);
--bun:split
CREATE INDEX crm_promo_redemptions_code ON crm_promo_redemptions (workspace_id, code);
