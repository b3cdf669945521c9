-- A change writes a row with the outcome 'begun' before it runs and its outcome row after it,
-- so that no change happens without a row in the audit log (the 'begun' row is committed
-- first, or the change is refused).

ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_outcome_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_outcome_check
    CHECK (outcome IN ('success', 'failure', 'denied', 'begun'));
