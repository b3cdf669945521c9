-- Every committed change to an event (reported, moved on, corrected, marked or unmarked a
-- duplicate, removed): each service process keeps the county's figures in memory and catches
-- up from here before it answers, so that other processes writing the same database are seen
-- too. Sequence order is not commit order here, so each row keeps its transaction id: a reader
-- that remembers the oldest transaction still running when it last looked
-- (pg_snapshot_xmin) and reads every row from that transaction on misses none.
-- Rows older than an hour are pruned; a process that fell further behind rebuilds.
CREATE TABLE event_change (
    change_id  bigserial   PRIMARY KEY,
    event_id   text COLLATE "C" NOT NULL,
    txid       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX event_change_txid ON event_change (txid);
CREATE INDEX event_change_changed_at ON event_change (changed_at);

CREATE FUNCTION event_change_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO event_change (event_id) VALUES (OLD.event_id);
    ELSE
        INSERT INTO event_change (event_id) VALUES (NEW.event_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER event_change AFTER INSERT OR UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION event_change_note();

CREATE TRIGGER event_change_duplicate AFTER INSERT OR DELETE ON event_duplicate
    FOR EACH ROW EXECUTE FUNCTION event_change_note();

-- A division's open events by deadline (its overdue events, 督办): without them a township's
-- overdue count read every event the township ever had.
CREATE INDEX event_open_township ON event (township_code, done_by) WHERE state IN ('assigned', 'accepted');
CREATE INDEX event_open_village ON event (village_code, done_by) WHERE state IN ('assigned', 'accepted');
