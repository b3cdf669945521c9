-- Divisions (township 乡镇, village 村 / community 社区) and grids (网格) of one county.
--
-- Geometries are GeoJSON text in lon/lat (CGCS2000): the SQLite store only keeps and returns
-- them; every spatial question is answered by the in-memory grid index built at start-up.
-- Codes are the official statistical division codes, so they are the primary keys.

-- The dataset the divisions and grids were loaded from. One row per load: the service loads
-- the demo county once, into an empty store, and never reloads it silently at start-up.
CREATE TABLE dataset (
    dataset_id     INTEGER PRIMARY KEY,
    source         TEXT    NOT NULL,
    -- Attribution and the statement that internal boundaries are illustrative.
    note           TEXT    NOT NULL,
    township_count INTEGER NOT NULL,
    village_count  INTEGER NOT NULL,
    grid_count     INTEGER NOT NULL,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE township (
    code       TEXT PRIMARY KEY CHECK (length(code) = 9 AND code NOT GLOB '*[^0-9]*'),
    name       TEXT NOT NULL,
    area_km2   REAL NOT NULL CHECK (area_km2 >= 0),
    geometry   TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE village (
    code          TEXT PRIMARY KEY CHECK (length(code) = 12 AND code NOT GLOB '*[^0-9]*'),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('village', 'community')),
    township_code TEXT NOT NULL REFERENCES township (code),
    area_km2      REAL NOT NULL CHECK (area_km2 >= 0),
    geometry      TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX village_township_code ON village (township_code);

CREATE TABLE grid (
    code             TEXT PRIMARY KEY CHECK (length(code) = 15),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('community', 'rural', 'street_unit')),
    village_code     TEXT NOT NULL REFERENCES village (code),
    -- Redundant with the village's township, kept so township filters need no join.
    township_code    TEXT NOT NULL REFERENCES township (code),
    -- The community grid a street unit (驻街单位) is nested in; deferred so a load may insert
    -- grids in any order within its transaction.
    parent_grid_code TEXT REFERENCES grid (code) DEFERRABLE INITIALLY DEFERRED,
    area_km2         REAL NOT NULL CHECK (area_km2 >= 0),
    geometry         TEXT NOT NULL,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((kind = 'street_unit') = (parent_grid_code IS NOT NULL))
);

CREATE INDEX grid_village_code ON grid (village_code);
CREATE INDEX grid_township_code ON grid (township_code);
CREATE INDEX grid_parent_grid_code ON grid (parent_grid_code);
