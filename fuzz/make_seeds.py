#!/usr/bin/env python3
"""Writes the fuzz seed corpus (a few tiny valid files per target) into seeds/<target>/.

Run from fuzz/: python3 make_seeds.py. Deterministic: the files are committed."""
import io, json, os, sqlite3, struct, tempfile, zipfile

VILLAGE, GRID = "130730100201", "130730100201001"
SQUARE = [(115.5, 40.41), (115.5, 40.42), (115.52, 40.42), (115.52, 40.41), (115.5, 40.41)]  # clockwise


def write(target, name, data):
    os.makedirs(f"seeds/{target}", exist_ok=True)
    with open(f"seeds/{target}/{name}", "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def shp(rings):
    records = b""
    for i, ring in enumerate(rings):
        content = struct.pack("<i4di", 5, 0, 0, 0, 0, 1) + struct.pack("<ii", len(ring), 0)
        content += b"".join(struct.pack("<dd", x, y) for x, y in ring)
        records += struct.pack(">ii", i + 1, len(content) // 2) + content
    header = struct.pack(">i20xi", 9994, (100 + len(records)) // 2) + struct.pack("<ii64x", 1000, 5)
    return header + records


def dbf(fields, rows):
    width = 1 + sum(n for _, n in fields)
    out = bytes([3, 125, 3, 3]) + struct.pack("<IHH20x", len(rows), 32 + 32 * len(fields) + 1, width)
    for name, n in fields:
        out += name.encode().ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([n]) + b"\0" * 15
    out += b"\r"
    for row in rows:
        out += b" " + b"".join(v.encode().ljust(n, b" ") for (_, n), v in zip(fields, row))
    return out + b"\x1a"


def zipped(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 3, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


FIELDS = [("code", 15), ("name", 12), ("kind", 5), ("vill_code", 12), ("town_code", 9)]
ROW = [GRID, "沙城村001", "rural", VILLAGE, "130730100"]
layer = [("grids.shp", shp([SQUARE])), ("grids.dbf", dbf(FIELDS, [ROW])), ("grids.cpg", b"UTF-8"),
         ("grids.prj", b'GEOGCS["China Geodetic Coordinate System 2000"]')]
write("import_shp_zip", "grid.shp.zip", zipped(layer))
write("import_shp_zip", "stored.shp.zip", zipped(layer[:2], zipfile.ZIP_STORED))
write("import_shp_zip", "two.shp.zip", zipped([("a.shp", shp([SQUARE, SQUARE[::-1]])), ("a.dbf", dbf(FIELDS, [ROW, ROW]))]))

feature = {"type": "Feature", "properties": {"code": GRID, "name": "沙城村001", "kind": "rural", "village_code": VILLAGE,
           "township_code": "130730100"}, "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in SQUARE[::-1]]]}}
collection = {"type": "FeatureCollection", "features": [feature]}
write("import_geojson", "grid.geojson", json.dumps(collection, ensure_ascii=False))
multi = dict(feature, geometry={"type": "MultiPolygon", "coordinates": [feature["geometry"]["coordinates"]]})
write("import_geojson", "multi.geojson", json.dumps({"type": "FeatureCollection", "crs": {"type": "name",
      "properties": {"name": "EPSG:4490"}}, "features": [multi]}, ensure_ascii=False))

write("draft_check", "village.json", json.dumps({"base_generation": 0, "area": {"village": VILLAGE}, "grids": collection}, ensure_ascii=False))
half = dict(feature, geometry={"type": "Polygon", "coordinates": [[[115.5, 40.41], [115.51, 40.41], [115.51, 40.42], [115.5, 40.42], [115.5, 40.41]]]})
write("draft_check", "gap.json", json.dumps({"base_generation": 0, "area": {"village": VILLAGE}, "grids": {"type": "FeatureCollection", "features": [half]}}, ensure_ascii=False))


def gpkg_blob():
    wkb = struct.pack("<BIII", 1, 3, 1, len(SQUARE)) + b"".join(struct.pack("<dd", x, y) for x, y in SQUARE[::-1])
    return b"GP\x00\x01" + struct.pack("<i", 4490) + wkb


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "g.gpkg")
    c = sqlite3.connect(path)
    c.execute("PRAGMA page_size = 512")
    c.executescript("""
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000', 4490, 'EPSG', 4490, '');
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
        INSERT INTO gpkg_contents VALUES ('grids', 'features', 'grids', 4490);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);
        INSERT INTO gpkg_geometry_columns VALUES ('grids', 'geom', 'MULTIPOLYGON', 4490, 0, 0);
        CREATE TABLE grids (fid INTEGER PRIMARY KEY, geom BLOB, code TEXT, name TEXT, kind TEXT, village_code TEXT, township_code TEXT);
    """)
    c.execute("INSERT INTO grids VALUES (1, ?, ?, '沙城村001', 'rural', ?, '130730100')", (gpkg_blob(), GRID, VILLAGE))
    c.commit()
    c.execute("VACUUM")
    c.close()
    write("import_gpkg", "grid.gpkg", open(path, "rb").read())
