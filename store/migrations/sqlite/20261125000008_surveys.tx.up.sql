-- Surveys of the communication module. A survey is versioned per key: the
-- latest version is replaced in place while it has no responses
-- (responded = FALSE); once it has one, a change makes the next version.
CREATE TABLE crm_surveys (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    survey_key   TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    title        TEXT NOT NULL DEFAULT '',
    -- communication.Question values, in order
    questions    TEXT NOT NULL,
    responded    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, survey_key, version)
);
--bun:split
-- The key that signs a workspace's survey tokens (HMAC-SHA256), hex,
-- created with its first invitation.
CREATE TABLE crm_survey_secrets (
    workspace_id TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id)
);
--bun:split
-- An invitation to answer one survey version, once, before expires_at.
-- Its token is not stored: it is signed from the id and expiry. interaction_id,
-- ticket_id and campaign_id say what the answer will be about (not foreign
-- keys); message_id is the outbound interaction that carried it.
CREATE TABLE crm_survey_invitations (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    survey_id      TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    interaction_id TEXT,
    ticket_id      TEXT,
    campaign_id    TEXT,
    message_id     TEXT,
    expires_at     TIMESTAMP NOT NULL,
    answered_at    TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, survey_id) REFERENCES crm_surveys (workspace_id, id),
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX crm_survey_invitations_customer ON crm_survey_invitations (workspace_id, customer_id);
--bun:split
CREATE INDEX crm_survey_invitations_survey ON crm_survey_invitations (workspace_id, survey_id);
--bun:split
-- One response per invitation, to the survey version it was given on
-- (survey_key and version copied from it). answers holds every answer as
-- JSON; erasure empties it and keeps the scores in crm_survey_answers.
CREATE TABLE crm_survey_responses (
    workspace_id   TEXT NOT NULL,
    id             TEXT NOT NULL,
    survey_id      TEXT NOT NULL,
    survey_key     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    invitation_id  TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    interaction_id TEXT,
    ticket_id      TEXT,
    campaign_id    TEXT,
    answers        TEXT NOT NULL DEFAULT '{}',
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, invitation_id),
    FOREIGN KEY (workspace_id, survey_id) REFERENCES crm_surveys (workspace_id, id),
    FOREIGN KEY (workspace_id, invitation_id) REFERENCES crm_survey_invitations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, customer_id) REFERENCES crm_customers (workspace_id, id) ON DELETE CASCADE
);
--bun:split
-- Scores and lists read a survey's responses by time.
CREATE INDEX crm_survey_responses_survey ON crm_survey_responses (workspace_id, survey_key, created_at, id);
--bun:split
CREATE INDEX crm_survey_responses_customer ON crm_survey_responses (workspace_id, customer_id);
--bun:split
CREATE INDEX crm_survey_responses_interaction ON crm_survey_responses (workspace_id, interaction_id) WHERE interaction_id IS NOT NULL;
--bun:split
CREATE INDEX crm_survey_responses_ticket ON crm_survey_responses (workspace_id, ticket_id) WHERE ticket_id IS NOT NULL;
--bun:split
CREATE INDEX crm_survey_responses_campaign ON crm_survey_responses (workspace_id, campaign_id, created_at) WHERE campaign_id IS NOT NULL;
--bun:split
-- The numeric answers (nps, rating, ces) of each response, one row per
-- question, for scores counted in SQL. They name no one: erasure keeps them.
CREATE TABLE crm_survey_answers (
    workspace_id TEXT NOT NULL,
    response_id  TEXT NOT NULL,
    question     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('nps', 'rating', 'ces')),
    value        INTEGER NOT NULL CHECK (value BETWEEN 0 AND 10),
    PRIMARY KEY (workspace_id, response_id, question),
    FOREIGN KEY (workspace_id, response_id) REFERENCES crm_survey_responses (workspace_id, id) ON DELETE CASCADE
);
