-- Read-only layers for QGIS and other GIS clients: one typed geometry column each, so they
-- are listed in geometry_columns with their type and SRID 4490 (CGCS2000). Personal data
-- stays out: event_layer has no reporter name, phone or person id, and no free-text
-- description (a resident may write names and numbers into it).

CREATE VIEW township_layer AS
SELECT t.code, t.name, t.area_km2, t.geom::geometry(MultiPolygon, 4490) AS geom
  FROM township t;

CREATE VIEW village_layer AS
SELECT v.code, v.name, v.kind, v.township_code, t.name AS township_name, v.area_km2,
       v.geom::geometry(MultiPolygon, 4490) AS geom
  FROM village v
  JOIN township t ON t.code = v.township_code;

CREATE VIEW grid_layer AS
SELECT g.code, g.name, g.kind, g.village_code, v.name AS village_name, g.township_code,
       t.name AS township_name, g.parent_grid_code, g.area_km2, g.geom::geometry(MultiPolygon, 4490) AS geom
  FROM grid g
  JOIN village v ON v.code = g.village_code
  JOIN township t ON t.code = g.township_code;

CREATE VIEW event_layer AS
SELECT e.event_id, e.category, e.subcategory, e.grid_code, e.village_code, e.township_code,
       e.reporter_kind, e.channel, e.complexity, e.state, e.holder_tier, e.holder_id,
       e.since, e.verify_by, e.done_by, e.rating, e.patrol_flag, e.reported_at, e.updated_at,
       e.closed_at, e.geom::geometry(Point, 4490) AS geom
  FROM event e;
