-- Satisfaction surveys of solved tickets (service.SendSatisfactionSurveys).
-- survey_state is NULL until the ticket's survey has an outcome: 'sent'
-- (survey_invitation_id is the invitation), 'skipped' (survey_reason says
-- why: the contact decision denied it, the customer cannot receive) or
-- 'failed' (the last of survey_attempts failed attempts). An outcome is
-- final: a reopened and re-solved ticket is not surveyed again.
-- survey_hold_until holds a due ticket back: a worker's claim (its lease,
-- numbered by survey_lease_no) or a retry's or deferral's wait.
-- survey_reason holds codes only, never an address or a message.
ALTER TABLE crm_tickets ADD COLUMN survey_state text CHECK (survey_state IN ('sent', 'skipped', 'failed'));
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_attempts integer NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_lease_no bigint NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_hold_until timestamptz;
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_invitation_id uuid;
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_reason text NOT NULL DEFAULT '';
--bun:split
ALTER TABLE crm_tickets ADD COLUMN survey_done_at timestamptz;
--bun:split
-- The due query reads the solved (or closed) tickets without an outcome by
-- solve time; tickets surveyed, never solved or reopened stay out.
CREATE INDEX crm_tickets_survey_due ON crm_tickets (workspace_id, solved_at, id)
    WHERE survey_state IS NULL AND solved_at IS NOT NULL;
--bun:split
-- Satisfaction responses of tickets by time (service.SatisfactionResponses).
CREATE INDEX crm_survey_responses_ticket_time ON crm_survey_responses (workspace_id, created_at, id)
    WHERE ticket_id IS NOT NULL;
