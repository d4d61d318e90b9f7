-- Marketing promotions: offers of a campaign, their codes and the
-- redemptions of the codes against purchases.
CREATE TABLE crm_promo_offers (
    workspace_id       TEXT NOT NULL,
    id                 TEXT NOT NULL,
    campaign_id        TEXT NOT NULL,
    name               TEXT NOT NULL,
    percent_bp         INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    amount_off_minor   INTEGER NOT NULL DEFAULT 0 CHECK (amount_off_minor >= 0),
    max_discount_minor INTEGER NOT NULL DEFAULT 0 CHECK (max_discount_minor >= 0),
    currency           TEXT NOT NULL,
    min_spend_minor    INTEGER NOT NULL DEFAULT 0 CHECK (min_spend_minor >= 0),
    valid_from         TIMESTAMP,
    valid_to           TIMESTAMP,
    per_customer_limit INTEGER NOT NULL DEFAULT 0 CHECK (per_customer_limit >= 0),
    total_limit        INTEGER NOT NULL DEFAULT 0 CHECK (total_limit >= 0),
    code_policy        TEXT NOT NULL CHECK (code_policy IN ('single_use', 'shared')),
    shared_code        TEXT NOT NULL DEFAULT '',
    record_cost        INTEGER NOT NULL DEFAULT 0,
    redemptions        INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, campaign_id, name),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- Codes are unique per workspace. A single-use code is redeemed once
-- (redeemed_at set by a conditional update); a shared code many times.
CREATE TABLE crm_promo_codes (
    workspace_id TEXT NOT NULL,
    code         TEXT NOT NULL,
    offer_id     TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    single_use   INTEGER NOT NULL,
    redeemed_at  TIMESTAMP,
    redemptions  INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
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
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    offer_id       TEXT NOT NULL,
    campaign_id    TEXT NOT NULL,
    code           TEXT NOT NULL,
    single_use     INTEGER NOT NULL,
    customer_id    TEXT NOT NULL,
    purchase_id    TEXT NOT NULL,
    purchase_minor INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL CHECK (discount_minor >= 0),
    currency       TEXT NOT NULL,
    cost_id        TEXT,
    redeemed_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, offer_id, purchase_id),
    FOREIGN KEY (workspace_id, offer_id) REFERENCES crm_promo_offers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, code) REFERENCES crm_promo_codes (workspace_id, code) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, purchase_id) REFERENCES crm_purchases (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE UNIQUE INDEX crm_promo_redemptions_single_use ON crm_promo_redemptions (workspace_id, code) WHERE single_use = 1;
--bun:split
CREATE INDEX crm_promo_redemptions_offer ON crm_promo_redemptions (workspace_id, offer_id, redeemed_at, id);
--bun:split
CREATE INDEX crm_promo_redemptions_customer ON crm_promo_redemptions (workspace_id, customer_id, redeemed_at, id);
--bun:split
CREATE INDEX crm_promo_redemptions_purchase ON crm_promo_redemptions (workspace_id, purchase_id);
--bun:split
CREATE INDEX crm_promo_redemptions_code ON crm_promo_redemptions (workspace_id, code);
