-- Patrols (巡查): a gridworker's walk through their grids, its track points and its check-ins
-- at places (走访). Times are fixed-width UTC RFC 3339 text with milliseconds, like every other
-- table. Each point and check-in keeps the grid the index located it in when it was received
-- (NULL: outside every grid) and whether it was outside the gridworker's bound grids: flagged,
-- never refused.

CREATE TABLE patrol (
    -- The client's id (its idempotency key) or one the server made.
    patrol_id  TEXT PRIMARY KEY CHECK (length(patrol_id) BETWEEN 1 AND 64),
    -- The gridworker, from the credential (never from the body).
    person_id  TEXT NOT NULL REFERENCES person (person_id),
    -- The gridworker's unit when the patrol started: where it is read (jurisdiction).
    unit_code  TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT CHECK (ended_at IS NULL OR ended_at >= started_at),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- At most one open patrol per gridworker: the live map shows that one.
CREATE UNIQUE INDEX patrol_open_person ON patrol (person_id) WHERE ended_at IS NULL;
CREATE INDEX patrol_person_started ON patrol (person_id, started_at);
CREATE INDEX patrol_unit_started ON patrol (unit_code, started_at);
CREATE INDEX patrol_started_at ON patrol (started_at);

-- One fix of the track; a replayed fix (same patrol and time) is skipped.
CREATE TABLE patrol_point (
    patrol_id   TEXT    NOT NULL REFERENCES patrol (patrol_id),
    at          TEXT    NOT NULL,
    -- CGCS2000 only: GCJ-02 and BD-09 input is converted before it gets here.
    lon         REAL    NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         REAL    NOT NULL CHECK (lat BETWEEN -90 AND 90),
    accuracy_m  REAL    NOT NULL CHECK (accuracy_m >= 0),
    grid_code   TEXT,
    outside     INTEGER NOT NULL CHECK (outside IN (0, 1)),
    received_at TEXT    NOT NULL,
    PRIMARY KEY (patrol_id, at)
) WITHOUT ROWID;

-- A stop at a place (a household, shop, hazard point, key person's home).
CREATE TABLE patrol_checkin (
    -- The client's id (its idempotency key) or one the server made.
    checkin_id  TEXT    PRIMARY KEY CHECK (length(checkin_id) BETWEEN 1 AND 64),
    patrol_id   TEXT    NOT NULL REFERENCES patrol (patrol_id),
    at          TEXT    NOT NULL,
    lon         REAL    NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         REAL    NOT NULL CHECK (lat BETWEEN -90 AND 90),
    kind        TEXT    NOT NULL CHECK (kind IN ('household', 'shop', 'hazard', 'key_person', 'other')),
    note        TEXT,
    -- A reference to a base-data record (household, place), free text until those exist.
    ref         TEXT,
    grid_code   TEXT,
    outside     INTEGER NOT NULL CHECK (outside IN (0, 1)),
    received_at TEXT    NOT NULL
);

CREATE INDEX patrol_checkin_patrol ON patrol_checkin (patrol_id, at);
