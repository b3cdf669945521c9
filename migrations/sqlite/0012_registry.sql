-- The registry (基础数据, GB/T 31000-2015): houses, households, people, organisations and places
-- in one table, each row its kind (`entity`), its type (`subtype`: a person's kind, a house's
-- use, …), its division and grid (located by the index from its point when it has one, moved
-- with its grid when boundaries are redrawn) and its fields. The field lists are data
-- (wangge_core::registry::schema): `fields` holds the plain ones as a JSON object; personal
-- data (ID numbers, phones, certificates) is in `sealed`, each value encrypted on its own with
-- a key kept outside the database (XChaCha20-Poly1305, the field name as associated data), and
-- in `masked` as it is shown. `id_hash` is a keyed hash (HMAC-SHA256) of the citizen ID number:
-- exact search without the number being stored, and one record per number.

CREATE TABLE registry_record (
    record_id     TEXT PRIMARY KEY CHECK (length(record_id) BETWEEN 2 AND 64),
    entity        TEXT NOT NULL CHECK (entity IN ('house', 'household', 'person', 'organisation', 'place')),
    subtype       TEXT,
    -- What names it in a list: a person's or organisation's name, a house's address, a
    -- household's number.
    title         TEXT NOT NULL,
    township_code TEXT NOT NULL CHECK (length(township_code) = 9),
    village_code  TEXT NOT NULL CHECK (length(village_code) = 12),
    grid_code     TEXT,
    lon           REAL CHECK (lon BETWEEN -180 AND 180),
    lat           REAL CHECK (lat BETWEEN -90 AND 90),
    house_id      TEXT REFERENCES registry_record (record_id),
    household_id  TEXT REFERENCES registry_record (record_id),
    fields        TEXT NOT NULL,
    sealed        TEXT NOT NULL,
    masked        TEXT NOT NULL,
    id_hash       TEXT,
    -- Collected or last re-verified on the spot (the collection rate reads it).
    verified_at   TEXT NOT NULL,
    verified_by   TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
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

-- A member of a special group (特殊人群) or a key youth (重点青少年): who it is (the person's
-- record id) and the whole extension record are sealed; `person_hash` (keyed) finds a
-- person's groups without opening every row. The division and grid stay plain for the counts
-- and the jurisdiction; the responsible gridworker and the follow-up schedule drive the queue.
CREATE TABLE special_group (
    special_id            TEXT PRIMARY KEY CHECK (length(special_id) BETWEEN 2 AND 64),
    group_kind            TEXT NOT NULL CHECK (group_kind IN ('released_prisoner', 'community_correction',
                              'mental_disorder', 'drug_user', 'aids', 'key_youth')),
    person_sealed         TEXT NOT NULL,
    person_hash           TEXT NOT NULL,
    details_sealed        TEXT NOT NULL,
    township_code         TEXT NOT NULL CHECK (length(township_code) = 9),
    village_code          TEXT NOT NULL CHECK (length(village_code) = 12),
    grid_code             TEXT,
    responsible_person_id TEXT NOT NULL REFERENCES person (person_id),
    followup_days         INTEGER NOT NULL CHECK (followup_days BETWEEN 1 AND 365),
    last_followup_at      TEXT,
    due_at                TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    UNIQUE (person_hash, group_kind)
);

CREATE INDEX special_group_village ON special_group (village_code, group_kind);
CREATE INDEX special_group_township ON special_group (township_code, group_kind);
CREATE INDEX special_group_responsible ON special_group (responsible_person_id, due_at);
CREATE INDEX special_group_due ON special_group (due_at);

-- A follow-up visit (走访/帮教) of a special-group member; its note is sealed.
CREATE TABLE special_followup (
    followup_id TEXT PRIMARY KEY CHECK (length(followup_id) BETWEEN 1 AND 64),
    special_id  TEXT NOT NULL REFERENCES special_group (special_id),
    at          TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    note_sealed TEXT,
    created_at  TEXT NOT NULL
);

CREATE INDEX special_followup_special ON special_followup (special_id, at);

-- What an event, a patrol check-in or a follow-up refers to.
CREATE TABLE registry_link (
    from_kind  TEXT NOT NULL CHECK (from_kind IN ('event', 'checkin', 'followup')),
    from_id    TEXT NOT NULL,
    record_id  TEXT NOT NULL REFERENCES registry_record (record_id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (from_kind, from_id, record_id)
) WITHOUT ROWID;

CREATE INDEX registry_link_record ON registry_link (record_id);
