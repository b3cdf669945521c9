-- Disputes mediated, petitions resolved, residents called back (矛盾纠纷调处, 信访化解, 回访).
-- The county's benefit indicators are computed from these rows, never stored: each table keeps
-- the facts (who, when, which stage, which outcome) and the rates are counted from them.

-- A grid's monthly screening (排查), recorded even when nothing was found. One per grid and
-- month (`YYYY-MM`, China time); `screened_at` is the first recording (on time when it falls in
-- its month), `found` and `note` the last.
CREATE TABLE screening (
    grid_code     TEXT NOT NULL CHECK (length(grid_code) = 15),
    month         TEXT NOT NULL CHECK (length(month) = 7),
    township_code TEXT NOT NULL CHECK (length(township_code) = 9),
    village_code  TEXT NOT NULL CHECK (length(village_code) = 12),
    screened_at   TEXT NOT NULL,
    screened_by   TEXT NOT NULL,
    found         INTEGER NOT NULL CHECK (found >= 0),
    note          TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (grid_code, month)
);

CREATE INDEX screening_village ON screening (village_code, month);
CREATE INDEX screening_month ON screening (month, township_code);

-- A dispute case (矛盾纠纷) on its event: its stage and the facts the rates count (taken up by a
-- mediating body, agreed, failed, handed outside the county) beside the case file's document
-- (`doc`, JSON: summary, body, mediator, method, outcome, the parties masked). The parties'
-- names and phones are sealed (`parties_sealed`) with the registry's key.
CREATE TABLE dispute_case (
    case_id        TEXT PRIMARY KEY CHECK (length(case_id) BETWEEN 2 AND 64),
    event_id       TEXT NOT NULL UNIQUE REFERENCES event (event_id),
    township_code  TEXT NOT NULL CHECK (length(township_code) = 9),
    village_code   TEXT NOT NULL CHECK (length(village_code) = 12),
    grid_code      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    scale          TEXT NOT NULL,
    stage          TEXT NOT NULL CHECK (stage IN ('registered', 'mediating', 'agreed', 'failed', 'transferred', 'followed_up', 'archived')),
    registered_at  TEXT NOT NULL,
    accepted_at    TEXT,
    due_at         TEXT,
    concluded_at   TEXT,
    mediated       INTEGER NOT NULL DEFAULT 0,
    agreed         INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    left_county    INTEGER NOT NULL DEFAULT 0,
    doc            TEXT NOT NULL,
    parties_sealed TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE INDEX dispute_case_township ON dispute_case (township_code, registered_at);
CREATE INDEX dispute_case_village ON dispute_case (village_code, registered_at);
CREATE INDEX dispute_case_registered ON dispute_case (registered_at);

-- Every move of a case, in order (the case file's timeline).
CREATE TABLE dispute_move (
    case_id     TEXT NOT NULL REFERENCES dispute_case (case_id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    stage_after TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- A petition case (信访): how it came, where it was lodged (`province` and `beijing` are
-- 进京赴省访), its stage, deadlines and result; linked to an event, a dispute case and the
-- first petition of the same matter (`repeat_of`). The petitioners are sealed.
CREATE TABLE petition (
    petition_id         TEXT PRIMARY KEY CHECK (length(petition_id) BETWEEN 2 AND 64),
    channel             TEXT NOT NULL CHECK (channel IN ('letter', 'visit', 'online')),
    lodged              TEXT NOT NULL CHECK (lodged IN ('county', 'city', 'province', 'beijing')),
    township_code       TEXT NOT NULL CHECK (length(township_code) = 9),
    village_code        TEXT,
    stage               TEXT NOT NULL CHECK (stage IN ('registered', 'accepted', 'declined', 'answered')),
    received_at         TEXT NOT NULL,
    accept_by           TEXT NOT NULL,
    accepted_at         TEXT,
    due_at              TEXT,
    extended            INTEGER NOT NULL DEFAULT 0,
    answered_at         TEXT,
    resolved            INTEGER,
    repeat_of           TEXT REFERENCES petition (petition_id),
    event_id            TEXT REFERENCES event (event_id),
    case_id             TEXT REFERENCES dispute_case (case_id),
    doc                 TEXT NOT NULL,
    petitioners_sealed  TEXT NOT NULL,
    seq                 INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE INDEX petition_township ON petition (township_code, received_at);
CREATE INDEX petition_received ON petition (received_at);
CREATE INDEX petition_case ON petition (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX petition_event ON petition (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE petition_move (
    petition_id TEXT NOT NULL REFERENCES petition (petition_id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    stage_after TEXT NOT NULL,
    PRIMARY KEY (petition_id, seq)
);

-- A call-back (回访) of a closed event, by the desk or the reporter's own rating: reached or not,
-- the level when reached. The event's division and report time are copied for the figures.
CREATE TABLE callback (
    callback_id       TEXT PRIMARY KEY CHECK (length(callback_id) BETWEEN 2 AND 64),
    event_id          TEXT NOT NULL REFERENCES event (event_id),
    at                TEXT NOT NULL,
    actor             TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('desk', 'reporter')),
    reached           INTEGER NOT NULL,
    level             TEXT CHECK (level IN ('很满意', '基本满意', '不满意', '很不满意')),
    note              TEXT NOT NULL,
    reopened          INTEGER NOT NULL DEFAULT 0,
    township_code     TEXT NOT NULL,
    village_code      TEXT NOT NULL,
    grid_code         TEXT NOT NULL,
    event_reported_at TEXT NOT NULL,
    CHECK (reached = 1 OR level IS NULL),
    CHECK (reached = 0 OR level IS NOT NULL)
);

CREATE INDEX callback_event ON callback (event_id, at);
CREATE INDEX callback_township ON callback (township_code, event_reported_at);
CREATE INDEX callback_reported ON callback (event_reported_at);

-- A township's result indicators (结果性指标): public-safety incidents and civil disputes
-- turned criminal (民转刑), as recorded by the township's grid centre.
CREATE TABLE outcome (
    outcome_id    TEXT PRIMARY KEY CHECK (length(outcome_id) BETWEEN 2 AND 64),
    township_code TEXT NOT NULL CHECK (length(township_code) = 9),
    kind          TEXT NOT NULL CHECK (kind IN ('public_safety_incident', 'civil_to_criminal')),
    occurred_on   TEXT NOT NULL CHECK (length(occurred_on) = 10),
    note          TEXT NOT NULL,
    ref           TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);

CREATE INDEX outcome_township ON outcome (township_code, occurred_on);

-- The call-back desk and the demo read events by when they were closed.
CREATE INDEX event_closed_at ON event (closed_at) WHERE closed_at IS NOT NULL;
