-- 考评: the indicator system as data, versioned per year; assessors' manual scores with their
-- evidence; periods frozen with the scheme version they used; the budget ledger (一笔账);
-- gridworkers' careers; events marked not valid for the assessment. Scores themselves are
-- computed from the records, and stored only when a closed period is frozen.

-- A year's scheme (JSON, `wangge_core::assessment::Scheme`), one row per version: a change is a
-- new version, never an edit.
CREATE TABLE assessment_scheme (
    year        bigint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    version     bigint NOT NULL CHECK (version >= 1),
    body        text NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL,
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    PRIMARY KEY (year, version)
);

-- An assessor's points for a manual indicator of one unit (gridworker id, village, township
-- code, or `county`) in a period, with the evidence (台账, 实地测评); the last entry counts.
CREATE TABLE assessment_manual (
    period      text NOT NULL CHECK (char_length(period) BETWEEN 4 AND 7),
    level       text NOT NULL CHECK (level IN ('gridworker', 'village', 'township', 'county')),
    unit        text NOT NULL CHECK (char_length(unit) BETWEEN 1 AND 64),
    indicator   text NOT NULL CHECK (char_length(indicator) BETWEEN 1 AND 32),
    points      double precision NOT NULL CHECK (points >= 0),
    evidence    text NOT NULL CHECK (char_length(evidence) BETWEEN 1 AND 1000),
    entered_by  text NOT NULL,
    entered_at  timestamptz NOT NULL,
    PRIMARY KEY (period, level, unit, indicator)
);

-- A closed period's league table of one level, frozen (JSON) with the scheme version it used.
-- Recomputing replaces it, explicitly and audited.
CREATE TABLE assessment_frozen (
    period          text NOT NULL CHECK (char_length(period) BETWEEN 4 AND 7),
    level           text NOT NULL CHECK (level IN ('gridworker', 'village', 'township', 'county')),
    scheme_year     bigint NOT NULL,
    scheme_version  bigint NOT NULL,
    body            text NOT NULL,
    frozen_by       text NOT NULL,
    frozen_at       timestamptz NOT NULL,
    PRIMARY KEY (period, level)
);

-- The budget ledger: the year's budget lines and its spending by line, in fen.
CREATE TABLE budget_line (
    line_id     text COLLATE "C" PRIMARY KEY CHECK (char_length(line_id) BETWEEN 2 AND 64),
    year        bigint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    kind        text NOT NULL CHECK (kind IN ('budget', 'spend')),
    item        text NOT NULL CHECK (char_length(item) BETWEEN 1 AND 100),
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    source      text NOT NULL DEFAULT '' CHECK (char_length(source) <= 100),
    dated       text NOT NULL CHECK (char_length(dated) = 10),
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    entered_by  text NOT NULL,
    entered_at  timestamptz NOT NULL
);
CREATE INDEX budget_line_year ON budget_line (year, kind);

-- A gridworker's career, move by move (选聘, 审核, 培训, 考核, 淘汰退出); `stage` is where the
-- move left it.
CREATE TABLE career_move (
    person_id   text NOT NULL CHECK (char_length(person_id) BETWEEN 1 AND 64),
    seq         bigint NOT NULL CHECK (seq >= 1),
    move        text NOT NULL CHECK (move IN ('propose', 'approve', 'decline', 'train', 'fail', 'pass', 'keep', 'exit')),
    stage       text NOT NULL CHECK (stage IN ('proposed', 'declined', 'serving', 'warned', 'under_review', 'exited')),
    at          timestamptz NOT NULL,
    by_account  text NOT NULL,
    period      text,
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    PRIMARY KEY (person_id, seq)
);

-- An event that does not count as a valid event (有效事件): a test, or unfounded on
-- verification. Duplicates are already marked in `event_duplicate`.
CREATE TABLE event_invalid (
    event_id   text COLLATE "C" PRIMARY KEY REFERENCES event (event_id),
    reason     text NOT NULL CHECK (reason IN ('test', 'unfounded')),
    note       text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    marked_by  text NOT NULL,
    marked_at  timestamptz NOT NULL
);
