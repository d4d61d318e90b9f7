-- A recorded purchase appears on the timeline from its own row (the log
-- holds one purchases.recorded event per batch): who recorded it.
ALTER TABLE crm_purchases ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';
--bun:split
-- Erasure finds a customer's entries in the purchase batch events here.
CREATE INDEX crm_events_purchase_batches ON crm_events (workspace_id, seq) WHERE type = 'purchases.recorded';
--bun:split
-- Purchases recorded before this migration had one purchase.recorded event
-- each in the log; the timeline now reads them from their rows. Keep who
-- recorded them, and turn each old event into a batch of one in place, so
-- that no timeline shows a purchase twice and no outbox consumer misses one.
UPDATE crm_purchases SET recorded_by = coalesce((SELECT e.actor FROM crm_events e
    WHERE e.workspace_id = crm_purchases.workspace_id AND e.subject_id = crm_purchases.id
      AND e.type = 'purchase.recorded' ORDER BY e.seq LIMIT 1), '');
--bun:split
UPDATE crm_events SET
    changes = json_array(json_object('field', subject_id, 'before', NULL, 'after', json_patch(
        json_object('customer_id', customer_id),
        (SELECT json_group_object(j.value ->> '$.field', json(j.value -> '$.after')) FROM json_each(crm_events.changes) j)))),
    type = 'purchases.recorded', subject_id = NULL, customer_id = NULL
WHERE type = 'purchase.recorded';
