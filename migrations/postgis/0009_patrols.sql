-- Patrols (巡查): a gridworker's walk through their grids, its track points and its check-ins
-- at places (走访): the same tables and rules as migrations/sqlite/0008_patrols.sql.
--
-- Times are timestamptz to the millisecond. Points and check-ins carry a point geometry (SRID
-- 4490) computed from lon/lat, for GIS clients. Each keeps the grid the index located it in
-- when it was received (NULL: outside every grid) and whether it was outside the gridworker's
-- bound grids: flagged, never refused.

CREATE TABLE patrol (
    -- The client's id (its idempotency key) or one the server made.
    patrol_id  text COLLATE "C" PRIMARY KEY CHECK (char_length(patrol_id) BETWEEN 1 AND 64),
    -- The gridworker, from the credential (never from the body).
    person_id  text COLLATE "C" NOT NULL REFERENCES person (person_id),
    -- The gridworker's unit when the patrol started: where it is read (jurisdiction).
    unit_code  text COLLATE "C" NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz CHECK (ended_at IS NULL OR ended_at >= started_at),
    created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- At most one open patrol per gridworker: the live map shows that one.
CREATE UNIQUE INDEX patrol_open_person ON patrol (person_id) WHERE ended_at IS NULL;
CREATE INDEX patrol_person_started ON patrol (person_id, started_at);
CREATE INDEX patrol_unit_started ON patrol (unit_code, started_at);
CREATE INDEX patrol_started_at ON patrol (started_at);

-- One fix of the track; a replayed fix (same patrol and time) is skipped.
CREATE TABLE patrol_point (
    patrol_id   text COLLATE "C" NOT NULL REFERENCES patrol (patrol_id),
    at          timestamptz      NOT NULL,
    -- CGCS2000 only: GCJ-02 and BD-09 input is converted before it gets here.
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    accuracy_m  double precision NOT NULL CHECK (accuracy_m >= 0),
    grid_code   text COLLATE "C",
    outside     boolean          NOT NULL,
    received_at timestamptz      NOT NULL,
    geom        geometry(Point, 4490) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4490)) STORED,
    PRIMARY KEY (patrol_id, at)
);

-- A stop at a place (a household, shop, hazard point, key person's home).
CREATE TABLE patrol_checkin (
    -- The client's id (its idempotency key) or one the server made.
    checkin_id  text COLLATE "C" PRIMARY KEY CHECK (char_length(checkin_id) BETWEEN 1 AND 64),
    patrol_id   text COLLATE "C" NOT NULL REFERENCES patrol (patrol_id),
    at          timestamptz      NOT NULL,
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    kind        text COLLATE "C" NOT NULL CHECK (kind IN ('household', 'shop', 'hazard', 'key_person', 'other')),
    note        text,
    -- A reference to a base-data record (household, place), free text until those exist.
    ref         text,
    grid_code   text COLLATE "C",
    outside     boolean          NOT NULL,
    received_at timestamptz      NOT NULL,
    geom        geometry(Point, 4490) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4490)) STORED
);

CREATE INDEX patrol_checkin_patrol ON patrol_checkin (patrol_id, at);
CREATE INDEX patrol_point_geom ON patrol_point USING gist (geom);
