-- Years whose State Council holiday notice an administrator loaded after release (the
-- built-in data covers 2023-2026). The notice's special days are stored as overrides; a year
-- listed here counts as loaded, so deadlines in it are computed instead of refused.
CREATE TABLE calendar_year (
    year       INTEGER PRIMARY KEY CHECK (year BETWEEN 1900 AND 9999),
    source     TEXT NOT NULL CHECK (length(trim(source)) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
