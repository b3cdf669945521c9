-- Divisions (township 乡镇, village 村 / community 社区) and grids (网格) of one county, in
-- PostGIS: the same tables and rules as migrations/sqlite, with real geometries.
--
-- Geometries are MultiPolygons in CGCS2000 lon/lat (SRID 4490), valid by OGC rules, with GiST
-- indexes so QGIS and spatial SQL can use them. The service writes and reads them as WKB, so
-- coordinates round-trip exactly. Codes are the official statistical division codes, so they
-- are the primary keys; key text sorts by code point (COLLATE "C"), as in SQLite.

CREATE EXTENSION IF NOT EXISTS postgis;

-- The dataset the divisions and grids were loaded from. One row per load: the service loads
-- the demo county once, into an empty store, and never reloads it silently at start-up.
CREATE TABLE dataset (
    dataset_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source         text        NOT NULL,
    -- Attribution and the statement that internal boundaries are illustrative.
    note           text        NOT NULL,
    township_count integer     NOT NULL,
    village_count  integer     NOT NULL,
    grid_count     integer     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE township (
    code       text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    name       text             NOT NULL,
    area_km2   double precision NOT NULL CHECK (area_km2 >= 0),
    geom       geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    created_at timestamptz      NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE INDEX township_geom ON township USING gist (geom);

CREATE TABLE village (
    code          text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name          text             NOT NULL,
    kind          text             NOT NULL CHECK (kind IN ('village', 'community')),
    township_code text COLLATE "C" NOT NULL REFERENCES township (code),
    area_km2      double precision NOT NULL CHECK (area_km2 >= 0),
    geom          geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    created_at    timestamptz      NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE INDEX village_township_code ON village (township_code);
CREATE INDEX village_geom ON village USING gist (geom);

CREATE TABLE grid (
    code             text COLLATE "C" PRIMARY KEY CHECK (char_length(code) = 15),
    name             text             NOT NULL,
    kind             text             NOT NULL CHECK (kind IN ('community', 'rural', 'street_unit')),
    village_code     text COLLATE "C" NOT NULL REFERENCES village (code),
    -- Redundant with the village's township, kept so township filters need no join.
    township_code    text COLLATE "C" NOT NULL REFERENCES township (code),
    -- The community grid a street unit (驻街单位) is nested in; deferred so a load may insert
    -- grids in any order within its transaction.
    parent_grid_code text COLLATE "C" REFERENCES grid (code) DEFERRABLE INITIALLY DEFERRED,
    area_km2         double precision NOT NULL CHECK (area_km2 >= 0),
    geom             geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    created_at       timestamptz      NOT NULL DEFAULT date_trunc('milliseconds', now()),
    CHECK ((kind = 'street_unit') = (parent_grid_code IS NOT NULL))
);

CREATE INDEX grid_village_code ON grid (village_code);
CREATE INDEX grid_township_code ON grid (township_code);
CREATE INDEX grid_parent_grid_code ON grid (parent_grid_code);
CREATE INDEX grid_geom ON grid USING gist (geom);

-- Every change to the divisions or grids, by this service, another instance or a planner in
-- QGIS, is announced on channel wangge_grids so running servers rebuild their grid index.
-- Statement level: a load of two thousand grids is one notice, not two thousand.
CREATE FUNCTION notify_grid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wangge_grids', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER township_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON township
    FOR EACH STATEMENT EXECUTE FUNCTION notify_grid_change();
CREATE TRIGGER village_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON village
    FOR EACH STATEMENT EXECUTE FUNCTION notify_grid_change();
CREATE TRIGGER grid_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grid
    FOR EACH STATEMENT EXECUTE FUNCTION notify_grid_change();
