-- Photos of events (the report's, and evidence of handling with a transition) and of patrol
-- check-ins (走访): re-encoded
-- without metadata, content-addressed; the same rows as migrations/sqlite/0011_attachments.sql.
-- The bytes live in the database (attachment_blob), written in the same transaction as the
-- rows, so that every instance serves them.
CREATE TABLE attachment (
    attachment_id text COLLATE "C" PRIMARY KEY CHECK (char_length(attachment_id) BETWEEN 1 AND 64),
    event_id      text COLLATE "C" REFERENCES event (event_id),
    checkin_id    text COLLATE "C" REFERENCES patrol_checkin (checkin_id),
    seq           bigint      NOT NULL CHECK (seq >= 1),
    position      bigint      NOT NULL CHECK (position BETWEEN 0 AND 8),
    content_type  text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    sha256        text        NOT NULL CHECK (char_length(sha256) = 64),
    bytes         bigint      NOT NULL CHECK (bytes > 0),
    width         bigint      NOT NULL CHECK (width > 0),
    height        bigint      NOT NULL CHECK (height > 0),
    thumb_sha256  text        NOT NULL CHECK (char_length(thumb_sha256) = 64),
    thumb_bytes   bigint      NOT NULL CHECK (thumb_bytes > 0),
    created_at    timestamptz NOT NULL,
    CHECK ((event_id IS NULL) <> (checkin_id IS NULL)),
    UNIQUE (event_id, seq, position),
    UNIQUE (checkin_id, position)
);

CREATE TABLE attachment_blob (
    sha256 text  PRIMARY KEY CHECK (char_length(sha256) = 64),
    data   bytea NOT NULL
);

-- An event marked as a duplicate of another (重复件): linked both ways, counted once.
CREATE TABLE event_duplicate (
    event_id     text COLLATE "C" PRIMARY KEY REFERENCES event (event_id),
    of_event_id  text COLLATE "C" NOT NULL REFERENCES event (event_id) CHECK (of_event_id <> event_id),
    marked_by    text        NOT NULL,
    reason       text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    marked_at    timestamptz NOT NULL
);
CREATE INDEX event_duplicate_of ON event_duplicate (of_event_id);
