-- Service engagements of the service module: installations, repairs,
-- on-site visits, training sessions. An engagement serves one customer
-- (customer_id); crm_engagement_attendees lists the customers who attend
-- it (a training session's participants), with their attendance and an
-- optional assessment score.
CREATE TABLE crm_engagements (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    -- checked on write; not foreign keys, so that a ticket or purchase
    -- removed later leaves the engagement's history
    ticket_id       TEXT,
    purchase_id     TEXT,
    scheduled_start TIMESTAMP NOT NULL,
    scheduled_end   TIMESTAMP NOT NULL,
    actual_start    TIMESTAMP,
    actual_end      TIMESTAMP,
    location        TEXT NOT NULL DEFAULT '',
    -- the host's user ids of the agents or technicians: a JSON array
    host_ids        TEXT NOT NULL DEFAULT '[]',
    outcome         TEXT NOT NULL DEFAULT ''
                    CHECK (outcome IN ('', 'completed', 'partially_completed', 'cancelled', 'no_show')),
    outcome_note    TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    completed_at    TIMESTAMP,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_engagements_customer ON crm_engagements (workspace_id, customer_id, scheduled_start, id);
--bun:split
CREATE INDEX crm_engagements_ticket ON crm_engagements (workspace_id, ticket_id, scheduled_start, id);
--bun:split
CREATE INDEX crm_engagements_scheduled ON crm_engagements (workspace_id, scheduled_start, id);
--bun:split
CREATE TABLE crm_engagement_attendees (
    workspace_id  TEXT NOT NULL,
    engagement_id TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('invited', 'attended', 'absent', 'excused')),
    -- the assessment score (training), 0 to 100; only for who attended
    score         INTEGER CHECK (score IS NULL OR (score BETWEEN 0 AND 100 AND status = 'attended')),
    PRIMARY KEY (workspace_id, engagement_id, customer_id),
    FOREIGN KEY (workspace_id, engagement_id) REFERENCES crm_engagements (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_engagement_attendees_customer ON crm_engagement_attendees (workspace_id, customer_id, engagement_id);
