-- Accounts, their one grant (role over a jurisdiction), sessions and bearer tokens, the
-- security policy, and the audit trail (等保2.0 三级).
--
-- Times here are whole microseconds since 1970-01-01 UTC (the same on both backends).
-- Secrets are never stored: passwords as argon2id PHC strings, session and token secrets as
-- their SHA-256.

CREATE TABLE account (
    username            TEXT    PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 64),
    display_name        TEXT    NOT NULL,
    -- The grant: set by the security administrator; NULL until then (the account can do nothing).
    role                TEXT,
    jurisdiction        TEXT,
    -- The person id (gridworker) or department code the account acts as.
    acting_as           TEXT    NOT NULL DEFAULT '',
    password_hash       TEXT    NOT NULL,
    password_changed_us INTEGER NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failures            INTEGER NOT NULL DEFAULT 0,
    locked_until_us     INTEGER,
    created_us          INTEGER NOT NULL
);

-- A browser session (cookie + CSRF token) or a bearer token (phone app, Open311 API key).
CREATE TABLE session (
    token_hash   TEXT    PRIMARY KEY,
    username     TEXT    NOT NULL REFERENCES account (username),
    kind         TEXT    NOT NULL CHECK (kind IN ('browser', 'device', 'api_key')),
    label        TEXT    NOT NULL DEFAULT '',
    csrf_hash    TEXT    NOT NULL DEFAULT '',
    created_us   INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL,
    ended_us     INTEGER
);

CREATE INDEX session_username ON session (username);

CREATE TABLE security_policy (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    policy TEXT    NOT NULL
);

-- Append-only and chained: hash = HMAC-SHA256(key, previous hash ‖ row).
CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY,
    at_us    INTEGER NOT NULL,
    username TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    object   TEXT    NOT NULL,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    source   TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    hash     TEXT    NOT NULL
);

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
