-- Years whose State Council holiday notice an administrator loaded after release (the
-- built-in data covers 2023-2026). The notice's special days are stored as overrides; a year
-- listed here counts as loaded, so deadlines in it are computed instead of refused.
CREATE TABLE calendar_year (
    year       integer     PRIMARY KEY CHECK (year BETWEEN 1900 AND 9999),
    source     text        NOT NULL CHECK (char_length(btrim(source)) > 0),
    created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
