-- People (人), their grid and device bindings (人、机、格), the functional departments and what
-- they answer for, working-calendar overrides, and events (事件) with their append-only timeline:
-- the same tables and rules as migrations/sqlite/0002_events.sql.
--
-- Times are timestamptz, stored to the millisecond like the SQLite text times. Events carry a
-- point geometry (SRID 4490) computed from lon/lat. Grid, village and township codes on people
-- and events are not foreign keys: grids may be redrawn, and an event keeps the grid it was
-- reported in.

-- 网格员, 网格长, 志愿者, 包联指导员, centre staff and department handlers.
CREATE TABLE person (
    person_id  text COLLATE "C" PRIMARY KEY CHECK (char_length(person_id) BETWEEN 1 AND 64),
    name       text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('gridworker', 'grid_leader', 'volunteer',
                                                    'liaison_instructor', 'centre_staff', 'department_handler')),
    -- The division (or department) the person belongs to.
    unit_code  text COLLATE "C" NOT NULL,
    -- The one phone a gridworker reports from; a device is bound to at most one person.
    device_id  text        UNIQUE,
    -- Personal data: masked in every answer, never logged.
    phone      text        NOT NULL,
    on_duty    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE INDEX person_role ON person (role);
CREATE INDEX person_unit_code ON person (unit_code);

-- The grids a gridworker or volunteer is bound to.
CREATE TABLE grid_binding (
    person_id text COLLATE "C" NOT NULL REFERENCES person (person_id) ON DELETE CASCADE,
    grid_code text COLLATE "C" NOT NULL,
    PRIMARY KEY (person_id, grid_code)
);

CREATE INDEX grid_binding_grid_code ON grid_binding (grid_code);

-- 职能部门 — the county's functional departments.
CREATE TABLE department (
    code       text COLLATE "C" PRIMARY KEY CHECK (char_length(code) BETWEEN 1 AND 64),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- Which department an event escalated to the department tier goes to: the row for its exact
-- subcategory, else its category's default row (subcategory NULL). Editable by the county.
CREATE TABLE responsibility (
    responsibility_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category          text COLLATE "C" NOT NULL CHECK (category IN ('livelihood', 'hazard', 'dispute', 'other')),
    subcategory       text COLLATE "C",
    department_code   text COLLATE "C" NOT NULL REFERENCES department (code),
    created_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
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
    date       date        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('holiday', 'workday')),
    updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

-- The last event number given out per China-time day, for ids like E20250301-000123. Several
-- server processes share it: each allocates its numbers with one upsert that locks the day's
-- row until it commits, so no two processes hand out the same id.
CREATE TABLE event_counter (
    day  text COLLATE "C" PRIMARY KEY,
    last bigint NOT NULL CHECK (last >= 0)
);

-- 事件 — one reported event and where it is in its closed loop now.
CREATE TABLE event (
    event_id            text COLLATE "C" PRIMARY KEY,
    -- The client's idempotency key: a retried report finds the event it already created.
    report_id           text COLLATE "C" NOT NULL UNIQUE CHECK (char_length(report_id) BETWEEN 1 AND 128),
    -- Hash of the report as sent, to tell a retry from a different report reusing the key.
    request_fingerprint text        NOT NULL,
    category            text COLLATE "C" NOT NULL CHECK (category IN ('livelihood', 'hazard', 'dispute', 'other')),
    subcategory         text COLLATE "C",
    description         text        NOT NULL CHECK (char_length(description) BETWEEN 1 AND 2000),
    -- CGCS2000 only: GCJ-02 and BD-09 input is converted before it gets here.
    lon                 double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat                 double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    -- The reported place as a point, for spatial SQL and QGIS; always derived from lon/lat.
    geom                geometry(Point, 4490) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4490)) STORED,
    grid_code           text COLLATE "C" NOT NULL,
    village_code        text COLLATE "C" NOT NULL,
    township_code       text COLLATE "C" NOT NULL,
    reporter_kind       text        NOT NULL CHECK (reporter_kind IN ('gridworker', 'resident', 'operator')),
    reporter_person_id  text,
    -- Personal data: masked in every answer, never logged, never in a layer view.
    reporter_name       text,
    reporter_phone      text,
    channel             text        NOT NULL CHECK (channel IN ('app', 'web', 'phone', 'open311')),
    complexity          text        NOT NULL CHECK (complexity IN ('ordinary', 'complex')),
    state               text        NOT NULL CHECK (state IN ('reported', 'assigned', 'accepted', 'handled',
                                                              'returned', 'closed', 'rated')),
    holder_tier         text        CHECK (holder_tier IN ('grid', 'village', 'township', 'county', 'department')),
    holder_id           text COLLATE "C",
    -- The 1-3-5 deadlines at the current holder.
    since               timestamptz,
    verify_by           timestamptz,
    done_by             timestamptz,
    last_handler_tier   text        CHECK (last_handler_tier IN ('grid', 'village', 'township', 'county', 'department')),
    last_handler_id     text,
    rating              smallint    CHECK (rating BETWEEN 1 AND 5),
    -- A gridworker's report from outside their own grids (巡查): accepted, but flagged.
    patrol_flag         boolean     NOT NULL DEFAULT false,
    -- The seq of the last timeline row: a transition applies only if it is unchanged.
    seq                 bigint      NOT NULL CHECK (seq >= 1),
    reported_at         timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    closed_at           timestamptz,
    CHECK ((holder_tier IS NULL) = (holder_id IS NULL))
);

-- Queues: what a state, a holder or a division has, soonest deadline first.
CREATE INDEX event_state_done_by ON event (state, done_by);
CREATE INDEX event_holder ON event (holder_tier, holder_id, done_by);
CREATE INDEX event_township_code ON event (township_code, done_by);
CREATE INDEX event_village_code ON event (village_code, done_by);
CREATE INDEX event_grid_code ON event (grid_code, done_by);
CREATE INDEX event_reported_at ON event (reported_at);
CREATE INDEX event_geom ON event USING gist (geom);

-- The timeline of an event: one row per accepted action, in order. Never updated or deleted.
CREATE TABLE event_transition (
    event_id    text COLLATE "C" NOT NULL REFERENCES event (event_id),
    seq         bigint      NOT NULL CHECK (seq >= 1),
    at          timestamptz NOT NULL,
    -- Person id, centre id, department code, "system", or the reporter's kind.
    actor       text        NOT NULL,
    -- The tier that held the event when the action was taken (NULL before assignment).
    tier        text        CHECK (tier IN ('grid', 'village', 'township', 'county', 'department')),
    action      text        NOT NULL,
    -- The action's fields (notes, reasons, the new holder) as a JSON object.
    payload     jsonb       NOT NULL DEFAULT '{}',
    state_after text        NOT NULL,
    holder_tier text,
    holder_id   text,
    PRIMARY KEY (event_id, seq)
);

CREATE FUNCTION event_transition_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_transition is append-only';
END;
$$;

CREATE TRIGGER event_transition_append_only_update BEFORE UPDATE ON event_transition
    FOR EACH ROW EXECUTE FUNCTION event_transition_append_only();
CREATE TRIGGER event_transition_append_only_delete BEFORE DELETE ON event_transition
    FOR EACH ROW EXECUTE FUNCTION event_transition_append_only();
-- A row trigger does not fire on TRUNCATE: a statement trigger refuses that too.
CREATE TRIGGER event_transition_append_only_truncate BEFORE TRUNCATE ON event_transition
    FOR EACH STATEMENT EXECUTE FUNCTION event_transition_append_only();
