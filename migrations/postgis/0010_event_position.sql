-- Events near a point (GET /api/v1/events/nearby: open events of a category around where a
-- report is being made): a range on latitude, then longitude, instead of a scan of the table.
CREATE INDEX event_position ON event (lat, lon);
