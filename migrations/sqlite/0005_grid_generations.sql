-- Boundary generations (边界版本): each publication of redrawn grids for an area, and every
-- version of every grid it replaced or created. Generation 0 is the loaded dataset.

CREATE TABLE grid_generation (
    generation   INTEGER PRIMARY KEY CHECK (generation > 0),
    -- The village or township redrawn.
    area_code    TEXT    NOT NULL,
    published_us INTEGER NOT NULL,
    published_by TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    grids_before INTEGER NOT NULL,
    grids_after  INTEGER NOT NULL,
    reassigned   INTEGER NOT NULL
);

-- A grid as it was from generation `valid_from` until `valid_to` (NULL: still current).
CREATE TABLE grid_version (
    code             TEXT    NOT NULL,
    valid_from       INTEGER NOT NULL,
    valid_to         INTEGER,
    name             TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    village_code     TEXT    NOT NULL,
    township_code    TEXT    NOT NULL,
    parent_grid_code TEXT,
    area_km2         REAL    NOT NULL,
    geometry         TEXT    NOT NULL,
    PRIMARY KEY (code, valid_from)
);
