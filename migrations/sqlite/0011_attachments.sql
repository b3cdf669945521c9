-- Photos of events (the report's, and evidence of handling with a transition) and of patrol
-- check-ins (走访): re-encoded
-- without metadata, content-addressed. The bytes live in files under the data directory
-- (attachments/<sha256[0..2]>/<sha256>), written and fsynced before the row's transaction
-- commits; the row is what makes a photo exist. Times as every other table's.
CREATE TABLE attachment (
    attachment_id TEXT    PRIMARY KEY CHECK (length(attachment_id) BETWEEN 1 AND 64),
    -- What it is a photo of: an event or a check-in, exactly one.
    event_id      TEXT    REFERENCES event (event_id),
    checkin_id    TEXT    REFERENCES patrol_checkin (checkin_id),
    -- The event's timeline row it came with (1: the report itself; 1 for a check-in).
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    position      INTEGER NOT NULL CHECK (position BETWEEN 0 AND 8),
    content_type  TEXT    NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    bytes         INTEGER NOT NULL CHECK (bytes > 0),
    width         INTEGER NOT NULL CHECK (width > 0),
    height        INTEGER NOT NULL CHECK (height > 0),
    thumb_sha256  TEXT    NOT NULL CHECK (length(thumb_sha256) = 64),
    thumb_bytes   INTEGER NOT NULL CHECK (thumb_bytes > 0),
    created_at    TEXT    NOT NULL,
    CHECK ((event_id IS NULL) <> (checkin_id IS NULL)),
    UNIQUE (event_id, seq, position),
    UNIQUE (checkin_id, position)
);

-- An event marked as a duplicate of another (重复件): linked both ways (this row, read from
-- either end), counted once — at the event it duplicates — in every figure.
CREATE TABLE event_duplicate (
    event_id     TEXT PRIMARY KEY REFERENCES event (event_id),
    of_event_id  TEXT NOT NULL REFERENCES event (event_id) CHECK (of_event_id <> event_id),
    marked_by    TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    marked_at    TEXT NOT NULL
);
CREATE INDEX event_duplicate_of ON event_duplicate (of_event_id);
