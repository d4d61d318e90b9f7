-- Marketing experiments: A/B tests with an optional holdout on a
-- campaign's members (one experiment per campaign: the members' variant
-- column holds its arms). variants is a JSON array of {"key", "weight"},
-- the first the control.
CREATE TABLE crm_experiments (
    workspace_id        text NOT NULL,
    id                  uuid NOT NULL,
    campaign_id         uuid NOT NULL,
    name                text NOT NULL,
    variants            jsonb NOT NULL,
    holdout             double precision NOT NULL CHECK (holdout >= 0 AND holdout < 1),
    metric              text NOT NULL CHECK (metric IN ('response', 'conversion', 'revenue')),
    alpha               double precision NOT NULL,
    power               double precision NOT NULL,
    baseline            double precision NOT NULL DEFAULT 0,
    min_detectable_lift double precision NOT NULL DEFAULT 0,
    revenue_sd          double precision NOT NULL DEFAULT 0,
    planned_members     bigint NOT NULL CHECK (planned_members > 0),
    spending            text NOT NULL,
    window_seconds      bigint NOT NULL CHECK (window_seconds > 0),
    currency            text NOT NULL,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, campaign_id),
    UNIQUE (workspace_id, name),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES crm_campaigns (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- When each member was exposed to its variant, which opens its outcome
-- window (window_ends_at = exposed_at + the experiment's window); holdout
-- members are exposed virtually (is_virtual) when assigned. A row follows
-- its membership: a merge that moves the membership moves it (ON UPDATE
-- CASCADE), erasure and leaving the campaign delete it.
CREATE TABLE crm_experiment_exposures (
    workspace_id   text NOT NULL,
    experiment_id  uuid NOT NULL,
    campaign_id    uuid NOT NULL,
    customer_id    uuid NOT NULL,
    exposed_at     timestamptz NOT NULL,
    window_ends_at timestamptz NOT NULL,
    is_virtual     boolean NOT NULL DEFAULT FALSE,
    PRIMARY KEY (workspace_id, experiment_id, customer_id),
    FOREIGN KEY (workspace_id, experiment_id) REFERENCES crm_experiments (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, campaign_id, customer_id) REFERENCES crm_campaign_members (workspace_id, campaign_id, customer_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);
--bun:split
CREATE INDEX crm_experiment_exposures_customer ON crm_experiment_exposures (workspace_id, customer_id);
--bun:split
CREATE INDEX crm_experiment_exposures_member ON crm_experiment_exposures (workspace_id, campaign_id, customer_id);
--bun:split
-- Every look of the sequential rule, so the alpha spent accumulates over
-- evaluations. boundary 0 means the look spent nothing (an infinite
-- boundary).
CREATE TABLE crm_experiment_looks (
    workspace_id  text NOT NULL,
    experiment_id uuid NOT NULL,
    look          bigint NOT NULL CHECK (look > 0),
    at            timestamptz NOT NULL,
    fraction      double precision NOT NULL,
    members       bigint NOT NULL,
    boundary      double precision NOT NULL,
    spent         double precision NOT NULL,
    statistic     double precision NOT NULL,
    verdict       text NOT NULL,
    winner        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, experiment_id, look),
    UNIQUE (workspace_id, experiment_id, at),
    FOREIGN KEY (workspace_id, experiment_id) REFERENCES crm_experiments (workspace_id, id) ON DELETE CASCADE
);
