-- A change writes a row with the outcome 'begun' before it runs and its outcome row after it,
-- so that no change happens without a row in the audit log (the 'begun' row is committed
-- first, or the change is refused). SQLite cannot change a CHECK in place: the table is
-- rebuilt with the same rows and links, and its indexes and append-only triggers again.

CREATE TABLE audit_log_next (
    seq      INTEGER PRIMARY KEY,
    at_us    INTEGER NOT NULL,
    username TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    object   TEXT    NOT NULL,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied', 'begun')),
    source   TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    hash     TEXT    NOT NULL
);

INSERT INTO audit_log_next (seq, at_us, username, action, object, outcome, source, detail, hash)
    SELECT seq, at_us, username, action, object, outcome, source, detail, hash FROM audit_log;

DROP TABLE audit_log;

ALTER TABLE audit_log_next RENAME TO audit_log;

CREATE INDEX audit_log_at ON audit_log (at_us);
CREATE INDEX audit_log_username ON audit_log (username, at_us);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
