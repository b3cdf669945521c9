-- Every committed change to an event (reported, moved on, corrected, marked or unmarked a
-- duplicate, removed), in commit order: each service process keeps the county's figures in
-- memory and catches up from here before it answers, so that another process writing the same
-- store is seen too. SQLite has one writer at a time, so change_id order is commit order.
-- Rows older than an hour are pruned; a process that fell further behind rebuilds.
CREATE TABLE event_change (
    change_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX event_change_changed_at ON event_change (changed_at);

CREATE TRIGGER event_change_insert AFTER INSERT ON event
BEGIN
    INSERT INTO event_change (event_id) VALUES (NEW.event_id);
END;

CREATE TRIGGER event_change_update AFTER UPDATE ON event
BEGIN
    INSERT INTO event_change (event_id) VALUES (NEW.event_id);
END;

CREATE TRIGGER event_change_delete AFTER DELETE ON event
BEGIN
    INSERT INTO event_change (event_id) VALUES (OLD.event_id);
END;

CREATE TRIGGER event_change_duplicate_insert AFTER INSERT ON event_duplicate
BEGIN
    INSERT INTO event_change (event_id) VALUES (NEW.event_id);
END;

CREATE TRIGGER event_change_duplicate_delete AFTER DELETE ON event_duplicate
BEGIN
    INSERT INTO event_change (event_id) VALUES (OLD.event_id);
END;

-- A division's open events by deadline (its overdue events, 督办): without them a township's
-- overdue count read every event the township ever had.
CREATE INDEX event_open_township ON event (township_code, done_by) WHERE state IN ('assigned', 'accepted');
CREATE INDEX event_open_village ON event (village_code, done_by) WHERE state IN ('assigned', 'accepted');
