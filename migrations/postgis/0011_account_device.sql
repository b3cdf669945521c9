-- 人机格: the one device an account that must work from a bound device (gridworkers) is bound
-- to. The device proves itself with a key the service gave it at the binding (kept on the
-- device, e.g. as an HttpOnly cookie); only the key's SHA-256 is stored. Unbinding deletes the
-- row (an audited act of a dispatcher or administrator) and ends the account's sessions; the next
-- sign-in binds again.
CREATE TABLE account_device (
    username  TEXT   PRIMARY KEY REFERENCES account (username),
    key_hash  TEXT   NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    -- What the device said it is (a user agent or the app's label), shown to dispatchers.
    label     TEXT   NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    bound_us  BIGINT NOT NULL
);
