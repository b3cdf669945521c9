-- Disputes mediated, petitions resolved, residents called back (矛盾纠纷调处, 信访化解, 回访).
-- The county's benefit indicators are computed from these rows, never stored: each table keeps
-- the facts (who, when, which stage, which outcome) and the rates are counted from them.

-- A grid's monthly screening (排查), recorded even when nothing was found. One per grid and
-- month (`YYYY-MM`, China time); `screened_at` is the first recording (on time when it falls in
-- its month), `found` and `note` the last.
CREATE TABLE screening (
    grid_code     text COLLATE "C" NOT NULL CHECK (char_length(grid_code) = 15),
    month         text COLLATE "C" NOT NULL CHECK (char_length(month) = 7),
    township_code text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    village_code  text COLLATE "C" NOT NULL CHECK (char_length(village_code) = 12),
    screened_at   timestamptz NOT NULL,
    screened_by   text NOT NULL,
    found         bigint NOT NULL CHECK (found >= 0),
    note          text NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (grid_code, month)
);

CREATE INDEX screening_village ON screening (village_code, month);
CREATE INDEX screening_month ON screening (month, township_code);

-- A dispute case (矛盾纠纷) on its event: its stage and the facts the rates count (taken up by a
-- mediating body, agreed, failed, handed outside the county) beside the case file's document
-- (`doc`, JSON: summary, body, mediator, method, outcome, the parties masked). The parties'
-- names and phones are sealed (`parties_sealed`) with the registry's key.
CREATE TABLE dispute_case (
    case_id        text COLLATE "C" PRIMARY KEY CHECK (char_length(case_id) BETWEEN 2 AND 64),
    event_id       text COLLATE "C" NOT NULL UNIQUE REFERENCES event (event_id),
    township_code  text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    village_code   text COLLATE "C" NOT NULL CHECK (char_length(village_code) = 12),
    grid_code      text COLLATE "C" NOT NULL,
    kind           text COLLATE "C" NOT NULL,
    scale          text COLLATE "C" NOT NULL,
    stage          text COLLATE "C" NOT NULL CHECK (stage IN ('registered', 'mediating', 'agreed', 'failed', 'transferred', 'followed_up', 'archived')),
    registered_at  timestamptz NOT NULL,
    accepted_at    timestamptz,
    due_at         timestamptz,
    concluded_at   timestamptz,
    mediated       boolean NOT NULL DEFAULT false,
    agreed         boolean NOT NULL DEFAULT false,
    failed         boolean NOT NULL DEFAULT false,
    left_county    boolean NOT NULL DEFAULT false,
    doc            text NOT NULL,
    parties_sealed text NOT NULL,
    seq            bigint NOT NULL,
    created_by     text NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE INDEX dispute_case_township ON dispute_case (township_code, registered_at);
CREATE INDEX dispute_case_village ON dispute_case (village_code, registered_at);
CREATE INDEX dispute_case_registered ON dispute_case (registered_at);

-- Every move of a case, in order (the case file's timeline).
CREATE TABLE dispute_move (
    case_id     text COLLATE "C" NOT NULL REFERENCES dispute_case (case_id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text COLLATE "C" NOT NULL,
    payload     text NOT NULL,
    stage_after text COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- A petition case (信访): how it came, where it was lodged (`province` and `beijing` are
-- 进京赴省访), its stage, deadlines and result; linked to an event, a dispute case and the
-- first petition of the same matter (`repeat_of`). The petitioners are sealed.
CREATE TABLE petition (
    petition_id         text COLLATE "C" PRIMARY KEY CHECK (char_length(petition_id) BETWEEN 2 AND 64),
    channel             text COLLATE "C" NOT NULL CHECK (channel IN ('letter', 'visit', 'online')),
    lodged              text COLLATE "C" NOT NULL CHECK (lodged IN ('county', 'city', 'province', 'beijing')),
    township_code       text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    village_code        text COLLATE "C",
    stage               text COLLATE "C" NOT NULL CHECK (stage IN ('registered', 'accepted', 'declined', 'answered')),
    received_at         timestamptz NOT NULL,
    accept_by           timestamptz NOT NULL,
    accepted_at         timestamptz,
    due_at              timestamptz,
    extended            boolean NOT NULL DEFAULT false,
    answered_at         timestamptz,
    resolved            boolean,
    repeat_of           text COLLATE "C" REFERENCES petition (petition_id),
    event_id            text COLLATE "C" REFERENCES event (event_id),
    case_id             text COLLATE "C" REFERENCES dispute_case (case_id),
    doc                 text NOT NULL,
    petitioners_sealed  text NOT NULL,
    seq                 bigint NOT NULL,
    created_by          text NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE INDEX petition_township ON petition (township_code, received_at);
CREATE INDEX petition_received ON petition (received_at);
CREATE INDEX petition_case ON petition (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX petition_event ON petition (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE petition_move (
    petition_id text COLLATE "C" NOT NULL REFERENCES petition (petition_id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text COLLATE "C" NOT NULL,
    payload     text NOT NULL,
    stage_after text COLLATE "C" NOT NULL,
    PRIMARY KEY (petition_id, seq)
);

-- A call-back (回访) of a closed event, by the desk or the reporter's own rating: reached or not,
-- the level when reached. The event's division and report time are copied for the figures.
CREATE TABLE callback (
    callback_id       text COLLATE "C" PRIMARY KEY CHECK (char_length(callback_id) BETWEEN 2 AND 64),
    event_id          text COLLATE "C" NOT NULL REFERENCES event (event_id),
    at                timestamptz NOT NULL,
    actor             text NOT NULL,
    source            text COLLATE "C" NOT NULL CHECK (source IN ('desk', 'reporter')),
    reached           boolean NOT NULL,
    level             text CHECK (level IN ('很满意', '基本满意', '不满意', '很不满意')),
    note              text NOT NULL,
    reopened          boolean NOT NULL DEFAULT false,
    township_code     text COLLATE "C" NOT NULL,
    village_code      text COLLATE "C" NOT NULL,
    grid_code         text COLLATE "C" NOT NULL,
    event_reported_at timestamptz NOT NULL,
    CHECK (reached OR level IS NULL),
    CHECK (NOT reached OR level IS NOT NULL)
);

CREATE INDEX callback_event ON callback (event_id, at);
CREATE INDEX callback_township ON callback (township_code, event_reported_at);
CREATE INDEX callback_reported ON callback (event_reported_at);

-- A township's result indicators (结果性指标): public-safety incidents and civil disputes
-- turned criminal (民转刑), as recorded by the township's grid centre.
CREATE TABLE outcome (
    outcome_id    text COLLATE "C" PRIMARY KEY CHECK (char_length(outcome_id) BETWEEN 2 AND 64),
    township_code text COLLATE "C" NOT NULL CHECK (char_length(township_code) = 9),
    kind          text COLLATE "C" NOT NULL CHECK (kind IN ('public_safety_incident', 'civil_to_criminal')),
    occurred_on   text COLLATE "C" NOT NULL CHECK (char_length(occurred_on) = 10),
    note          text NOT NULL,
    ref           text COLLATE "C",
    recorded_by   text NOT NULL,
    recorded_at   timestamptz NOT NULL
);

CREATE INDEX outcome_township ON outcome (township_code, occurred_on);

-- The call-back desk and the demo read events by when they were closed.
CREATE INDEX event_closed_at ON event (closed_at) WHERE closed_at IS NOT NULL;
