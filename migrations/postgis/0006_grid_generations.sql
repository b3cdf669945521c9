-- Boundary generations (边界版本): each publication of redrawn grids for an area, and every
-- version of every grid it replaced or created. Generation 0 is the loaded dataset.

CREATE TABLE grid_generation (
    generation   bigint PRIMARY KEY CHECK (generation > 0),
    -- The village or township redrawn.
    area_code    text   NOT NULL,
    published_us bigint NOT NULL,
    published_by text   NOT NULL,
    note         text   NOT NULL,
    grids_before bigint NOT NULL,
    grids_after  bigint NOT NULL,
    reassigned   bigint NOT NULL
);

-- A grid as it was from generation `valid_from` until `valid_to` (NULL: still current).
CREATE TABLE grid_version (
    code             text COLLATE "C" NOT NULL,
    valid_from       bigint           NOT NULL,
    valid_to         bigint,
    name             text             NOT NULL,
    kind             text             NOT NULL,
    village_code     text             NOT NULL,
    township_code    text             NOT NULL,
    parent_grid_code text,
    area_km2         double precision NOT NULL,
    geom             geometry(MultiPolygon, 4490) NOT NULL,
    PRIMARY KEY (code, valid_from)
);

CREATE INDEX grid_version_geom ON grid_version USING gist (geom);
