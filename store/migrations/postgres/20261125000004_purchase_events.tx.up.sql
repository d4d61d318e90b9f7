-- A recorded purchase appears on the timeline from its own row (the log
-- holds one purchases.recorded event per batch): who recorded it.
ALTER TABLE crm_purchases ADD COLUMN recorded_by text NOT NULL DEFAULT '';
--bun:split
-- Erasure finds a customer's entries in the purchase batch events here.
CREATE INDEX crm_events_purchase_batches ON crm_events (workspace_id, seq) WHERE type = 'purchases.recorded';
--bun:split
-- Purchases recorded before this migration had one purchase.recorded event
-- each in the log; the timeline now reads them from their rows. Keep who
-- recorded them, and turn each old event into a batch of one in place, so
-- that no timeline shows a purchase twice and no outbox consumer misses one.
UPDATE crm_purchases p SET recorded_by = e.actor FROM crm_events e
WHERE e.workspace_id = p.workspace_id AND e.subject_id = p.id AND e.type = 'purchase.recorded';
--bun:split
UPDATE crm_events e SET
    changes = jsonb_build_array(jsonb_build_object('field', e.subject_id::text, 'before', NULL, 'after',
        jsonb_build_object('customer_id', e.customer_id::text)
        || coalesce((SELECT jsonb_object_agg(j ->> 'field', j -> 'after') FROM jsonb_array_elements(e.changes) j), '{}'::jsonb))),
    type = 'purchases.recorded', subject_id = NULL, customer_id = NULL
WHERE e.type = 'purchase.recorded';
