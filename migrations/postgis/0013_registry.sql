-- The registry (基础数据, GB/T 31000-2015): the same tables and rules as
-- migrations/sqlite/0012_registry.sql — houses, households, people, organisations and places in
-- one table; plain fields as a JSON object, personal data sealed field by field with a key kept
-- outside the database and masked beside it; `id_hash` a keyed hash of the citizen ID number.
-- Records with a point carry a geometry (SRID 4490) computed from lon/lat, for GIS clients.

CREATE TABLE registry_record (
    record_id     text COLLATE "C" PRIMARY KEY CHECK (char_length(record_id) BETWEEN 2 AND 64),
    entity        text COLLATE "C" NOT NULL CHECK (entity IN ('house', 'household', 'person', 'organisation', 'place')),
    subtype       text COLLATE "C",
    title         text NOT NULL,
    township_code text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    village_code  text COLLATE "C" NOT NULL CHECK (char_length(village_code) = 12),
    grid_code     text COLLATE "C",
    lon           double precision CHECK (lon BETWEEN -180 AND 180),
    lat           double precision CHECK (lat BETWEEN -90 AND 90),
    house_id      text COLLATE "C" REFERENCES registry_record (record_id),
    household_id  text COLLATE "C" REFERENCES registry_record (record_id),
    fields        text NOT NULL,
    sealed        text NOT NULL,
    masked        text NOT NULL,
    id_hash       text COLLATE "C",
    verified_at   timestamptz NOT NULL,
    verified_by   text NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    geom          geometry(Point, 4490) GENERATED ALWAYS AS (
                      CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4490) END) STORED,
    CHECK ((lon IS NULL) = (lat IS NULL))
);

CREATE UNIQUE INDEX registry_record_id_hash ON registry_record (id_hash) WHERE id_hash IS NOT NULL;
-- Lists are paged in id order within their filter: each index ends with the id, so that a
-- page is read in order from the index instead of sorting (or scanning) the whole kind.
CREATE INDEX registry_record_kind ON registry_record (entity, record_id);
CREATE INDEX registry_record_village ON registry_record (village_code, entity, record_id);
CREATE INDEX registry_record_township ON registry_record (township_code, entity, record_id);
CREATE INDEX registry_record_grid ON registry_record (grid_code, entity, record_id);
-- The summary's counts by kind and type, and of records verified since a time.
CREATE INDEX registry_record_entity ON registry_record (entity, subtype, verified_at);
CREATE INDEX registry_record_house ON registry_record (house_id) WHERE house_id IS NOT NULL;
CREATE INDEX registry_record_household ON registry_record (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX registry_record_geom ON registry_record USING gist (geom);

CREATE TABLE special_group (
    special_id            text COLLATE "C" PRIMARY KEY CHECK (char_length(special_id) BETWEEN 2 AND 64),
    group_kind            text COLLATE "C" NOT NULL CHECK (group_kind IN ('released_prisoner', 'community_correction',
                              'mental_disorder', 'drug_user', 'aids', 'key_youth')),
    person_sealed         text NOT NULL,
    person_hash           text COLLATE "C" NOT NULL,
    details_sealed        text NOT NULL,
    township_code         text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    village_code          text COLLATE "C" NOT NULL CHECK (char_length(village_code) = 12),
    grid_code             text COLLATE "C",
    responsible_person_id text COLLATE "C" NOT NULL REFERENCES person (person_id),
    followup_days         bigint NOT NULL CHECK (followup_days BETWEEN 1 AND 365),
    last_followup_at      timestamptz,
    due_at                timestamptz NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    UNIQUE (person_hash, group_kind)
);

CREATE INDEX special_group_village ON special_group (village_code, group_kind);
CREATE INDEX special_group_township ON special_group (township_code, group_kind);
CREATE INDEX special_group_responsible ON special_group (responsible_person_id, due_at);
CREATE INDEX special_group_due ON special_group (due_at);

CREATE TABLE special_followup (
    followup_id text COLLATE "C" PRIMARY KEY CHECK (char_length(followup_id) BETWEEN 1 AND 64),
    special_id  text COLLATE "C" NOT NULL REFERENCES special_group (special_id),
    at          timestamptz NOT NULL,
    person_id   text COLLATE "C" NOT NULL,
    note_sealed text,
    created_at  timestamptz NOT NULL
);

CREATE INDEX special_followup_special ON special_followup (special_id, at);

CREATE TABLE registry_link (
    from_kind  text COLLATE "C" NOT NULL CHECK (from_kind IN ('event', 'checkin', 'followup')),
    from_id    text COLLATE "C" NOT NULL,
    record_id  text COLLATE "C" NOT NULL REFERENCES registry_record (record_id),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (from_kind, from_id, record_id)
);

CREATE INDEX registry_link_record ON registry_link (record_id);
