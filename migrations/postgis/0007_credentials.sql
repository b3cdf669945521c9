-- Credentials hardened (等保2.0 三级, 三员分立):
-- * API keys belong to service accounts (integrations), never to a person's account; each
--   key has an id to list and revoke it by, a scope (the routes it may call) and an expiry.
-- * Facts about the store itself, such as whether the demo county was loaded into it (demo
--   accounts with the published password exist only then).

-- A service account has no password (its hash is '!') and holds API keys only.
ALTER TABLE account ADD COLUMN service boolean NOT NULL DEFAULT false;

ALTER TABLE session ADD COLUMN key_id text;
ALTER TABLE session ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN expires_us bigint;
CREATE UNIQUE INDEX session_key_id ON session (key_id) WHERE key_id IS NOT NULL;

-- Keys issued before keys had service accounts were bound to people's accounts with every
-- right of theirs: they end here, and new keys are issued to service accounts.
UPDATE session SET ended_us = (extract(epoch FROM now()) * 1000000)::bigint
    WHERE kind = 'api_key' AND ended_us IS NULL;

CREATE TABLE store_fact (
    name  text PRIMARY KEY,
    value text NOT NULL
);
