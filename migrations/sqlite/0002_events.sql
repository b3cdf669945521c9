-- People (人), their grid and device bindings (人、机、格), the functional departments and what
-- they answer for, working-calendar overrides, and events (事件) with their append-only timeline.
--
-- Times are UTC RFC 3339 text with milliseconds ("2025-03-03T01:02:03.456Z"): fixed width, so
-- text order is time order and deadlines sort in an index.
-- Grid, village and township codes on people and events are not foreign keys: grids may be
-- redrawn, and an event keeps the grid it was reported in.

-- 网格员, 网格长, 志愿者, 包联指导员, centre staff and department handlers.
CREATE TABLE person (
    person_id  TEXT    PRIMARY KEY CHECK (length(person_id) BETWEEN 1 AND 64),
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('gridworker', 'grid_leader', 'volunteer',
                                                'liaison_instructor', 'centre_staff', 'department_handler')),
    -- The division (or department) the person belongs to.
    unit_code  TEXT    NOT NULL,
    -- The one phone a gridworker reports from; a device is bound to at most one person.
    device_id  TEXT    UNIQUE,
    -- Personal data: masked in every answer, never logged.
    phone      TEXT    NOT NULL,
    on_duty    INTEGER NOT NULL DEFAULT 1 CHECK (on_duty IN (0, 1)),
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX person_role ON person (role);
CREATE INDEX person_unit_code ON person (unit_code);

-- The grids a gridworker or volunteer is bound to.
CREATE TABLE grid_binding (
    person_id TEXT NOT NULL REFERENCES person (person_id) ON DELETE CASCADE,
    grid_code TEXT NOT NULL,
    PRIMARY KEY (person_id, grid_code)
) WITHOUT ROWID;

CREATE INDEX grid_binding_grid_code ON grid_binding (grid_code);

-- 职能部门 — the county's functional departments.
CREATE TABLE department (
    code       TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Which department an event escalated to the department tier goes to: the row for its exact
-- subcategory, else its category's default row (subcategory NULL). Editable by the county.
CREATE TABLE responsibility (
    responsibility_id INTEGER PRIMARY KEY,
    category          TEXT NOT NULL CHECK (category IN ('livelihood', 'hazard', 'dispute', 'other')),
    subcategory       TEXT,
    department_code   TEXT NOT NULL REFERENCES department (code),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per (category, subcategory), the default row included (NULLs would not collide).
CREATE UNIQUE INDEX responsibility_key ON responsibility (category, coalesce(subcategory, ''));

INSERT INTO department (code, name) VALUES
    ('water', '县水务局'),
    ('power', '国网怀来县供电公司'),
    ('gas', '县燃气管理部门'),
    ('roads', '县交通运输局'),
    ('housing', '县住房和城乡建设局'),
    ('civil', '县民政局'),
    ('emergency', '县应急管理局'),
    ('market', '县市场监督管理局'),
    ('environment', '县生态环境分局'),
    ('police', '县公安局'),
    ('justice', '县司法局'),
    ('petition', '县信访局');

INSERT INTO responsibility (category, subcategory, department_code) VALUES
    ('livelihood', NULL, 'civil'),
    ('livelihood', '供水', 'water'),
    ('livelihood', '供电', 'power'),
    ('livelihood', '燃气', 'gas'),
    ('livelihood', '道路', 'roads'),
    ('livelihood', '住房', 'housing'),
    ('livelihood', '社会救助', 'civil'),
    ('livelihood', '养老', 'civil'),
    ('livelihood', '市场价格', 'market'),
    ('livelihood', '环境卫生', 'environment'),
    ('hazard', NULL, 'emergency'),
    ('hazard', '供水', 'water'),
    ('hazard', '供电', 'power'),
    ('hazard', '燃气', 'gas'),
    ('hazard', '道路', 'roads'),
    ('hazard', '房屋安全', 'housing'),
    ('hazard', '安全生产', 'emergency'),
    ('hazard', '消防', 'emergency'),
    ('hazard', '食品安全', 'market'),
    ('hazard', '环境污染', 'environment'),
    ('hazard', '治安', 'police'),
    ('dispute', NULL, 'justice'),
    ('dispute', '邻里纠纷', 'justice'),
    ('dispute', '家庭纠纷', 'justice'),
    ('dispute', '土地纠纷', 'justice'),
    ('dispute', '劳资纠纷', 'justice'),
    ('dispute', '治安', 'police'),
    ('dispute', '信访', 'petition'),
    ('other', NULL, 'petition');

-- An administrator's correction to the State Council notice for one date.
CREATE TABLE calendar_override (
    date       TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The last event number given out per China-time day, for ids like E20250301-000123.
CREATE TABLE event_counter (
    day  TEXT    PRIMARY KEY,
    last INTEGER NOT NULL CHECK (last >= 0)
) WITHOUT ROWID;

-- 事件 — one reported event and where it is in its closed loop now.
CREATE TABLE event (
    event_id            TEXT    PRIMARY KEY,
    -- The client's idempotency key: a retried report finds the event it already created.
    report_id           TEXT    NOT NULL UNIQUE CHECK (length(report_id) BETWEEN 1 AND 128),
    -- Hash of the report as sent, to tell a retry from a different report reusing the key.
    request_fingerprint TEXT    NOT NULL,
    category            TEXT    NOT NULL CHECK (category IN ('livelihood', 'hazard', 'dispute', 'other')),
    subcategory         TEXT,
    description         TEXT    NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    -- CGCS2000 only: GCJ-02 and BD-09 input is converted before it gets here.
    lon                 REAL    NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat                 REAL    NOT NULL CHECK (lat BETWEEN -90 AND 90),
    grid_code           TEXT    NOT NULL,
    village_code        TEXT    NOT NULL,
    township_code       TEXT    NOT NULL,
    reporter_kind       TEXT    NOT NULL CHECK (reporter_kind IN ('gridworker', 'resident', 'operator')),
    reporter_person_id  TEXT,
    -- Personal data: masked in every answer, never logged.
    reporter_name       TEXT,
    reporter_phone      TEXT,
    channel             TEXT    NOT NULL CHECK (channel IN ('app', 'web', 'phone', 'open311')),
    complexity          TEXT    NOT NULL CHECK (complexity IN ('ordinary', 'complex')),
    state               TEXT    NOT NULL CHECK (state IN ('reported', 'assigned', 'accepted', 'handled',
                                                          'returned', 'closed', 'rated')),
    holder_tier         TEXT    CHECK (holder_tier IN ('grid', 'village', 'township', 'county', 'department')),
    holder_id           TEXT,
    -- The 1-3-5 deadlines at the current holder.
    since               TEXT,
    verify_by           TEXT,
    done_by             TEXT,
    last_handler_tier   TEXT    CHECK (last_handler_tier IN ('grid', 'village', 'township', 'county', 'department')),
    last_handler_id     TEXT,
    rating              INTEGER CHECK (rating BETWEEN 1 AND 5),
    -- A gridworker's report from outside their own grids (巡查): accepted, but flagged.
    patrol_flag         INTEGER NOT NULL DEFAULT 0 CHECK (patrol_flag IN (0, 1)),
    -- The seq of the last timeline row: a transition applies only if it is unchanged.
    seq                 INTEGER NOT NULL CHECK (seq >= 1),
    reported_at         TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    closed_at           TEXT,
    CHECK ((holder_tier IS NULL) = (holder_id IS NULL))
);

-- Queues: what a state, a holder or a division has, soonest deadline first.
CREATE INDEX event_state_done_by ON event (state, done_by);
CREATE INDEX event_holder ON event (holder_tier, holder_id, done_by);
CREATE INDEX event_township_code ON event (township_code, done_by);
CREATE INDEX event_village_code ON event (village_code, done_by);
CREATE INDEX event_grid_code ON event (grid_code, done_by);
CREATE INDEX event_reported_at ON event (reported_at);

-- The timeline of an event: one row per accepted action, in order. Never updated or deleted.
CREATE TABLE event_transition (
    event_id    TEXT    NOT NULL REFERENCES event (event_id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    at          TEXT    NOT NULL,
    -- Person id, centre id, department code, "system", or the reporter's kind.
    actor       TEXT    NOT NULL,
    -- The tier that held the event when the action was taken (NULL before assignment).
    tier        TEXT    CHECK (tier IN ('grid', 'village', 'township', 'county', 'department')),
    action      TEXT    NOT NULL,
    -- The action's fields (notes, reasons, the new holder) as a JSON object.
    payload     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state_after TEXT    NOT NULL,
    holder_tier TEXT,
    holder_id   TEXT,
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;

CREATE TRIGGER event_transition_append_only_update BEFORE UPDATE ON event_transition
BEGIN
    SELECT RAISE(ABORT, 'event_transition is append-only');
END;

CREATE TRIGGER event_transition_append_only_delete BEFORE DELETE ON event_transition
BEGIN
    SELECT RAISE(ABORT, 'event_transition is append-only');
END;
