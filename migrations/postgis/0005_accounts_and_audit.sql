-- Accounts, their one grant (role over a jurisdiction), sessions and bearer tokens, the
-- security policy, and the audit trail (等保2.0 三级).
--
-- Times here are whole microseconds since 1970-01-01 UTC (the same on both backends).
-- Secrets are never stored: passwords as argon2id PHC strings, session and token secrets as
-- their SHA-256.

CREATE TABLE account (
    username            text    PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 64),
    display_name        text    NOT NULL,
    -- The grant: set by the security administrator; NULL until then (the account can do nothing).
    role                text,
    jurisdiction        text,
    -- The person id (gridworker) or department code the account acts as.
    acting_as           text    NOT NULL DEFAULT '',
    password_hash       text    NOT NULL,
    password_changed_us bigint  NOT NULL,
    disabled            boolean NOT NULL DEFAULT false,
    failures            bigint  NOT NULL DEFAULT 0,
    locked_until_us     bigint,
    created_us          bigint  NOT NULL
);

-- A browser session (cookie + CSRF token) or a bearer token (phone app, Open311 API key).
CREATE TABLE session (
    token_hash   text   PRIMARY KEY,
    username     text   NOT NULL REFERENCES account (username),
    kind         text   NOT NULL CHECK (kind IN ('browser', 'device', 'api_key')),
    label        text   NOT NULL DEFAULT '',
    csrf_hash    text   NOT NULL DEFAULT '',
    created_us   bigint NOT NULL,
    last_seen_us bigint NOT NULL,
    ended_us     bigint
);

CREATE INDEX session_username ON session (username);

CREATE TABLE security_policy (
    id     bigint PRIMARY KEY CHECK (id = 1),
    policy text   NOT NULL
);

-- Append-only and chained: hash = HMAC-SHA256(key, previous hash ‖ row).
CREATE TABLE audit_log (
    seq      bigint PRIMARY KEY,
    at_us    bigint NOT NULL,
    username text   NOT NULL,
    action   text   NOT NULL,
    object   text   NOT NULL,
    outcome  text   NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    source   text   NOT NULL,
    detail   text   NOT NULL,
    hash     text   NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at_us);
CREATE INDEX audit_log_username ON audit_log (username, at_us);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
