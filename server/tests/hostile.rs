//! Hostile files and expensive inputs on both backends, through the HTTP API: zip bombs and
//! crowded archives, Shapefile and dBase headers that lie about their counts, GeoPackages that
//! carry SQL (views, triggers, generated columns, quoted names) or broken geometry, GeoJSON with
//! non-finite or deeply nested values, million-vertex drafts, oversized bodies and unknown
//! paths. Each is refused with a 4xx problem that says why, never a 5xx, and the server answers
//! normally afterwards; the test process's peak memory is printed and bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use support::Db;
use tempfile::TempDir;
use tower::ServiceExt;
use wangge_server::{state_from_config, Config};

mod support;

/// 沙城村 and its one rural grid, 115.50–115.52 × 40.41–40.42.
const VILLAGE: &str = "130730100201";
const GRID: &str = "130730100201001";
/// Where the service says it is (the links' base), whatever the `Host` header says.
const PUBLIC_URL: &str = "https://wangge.example.test/gis";
/// The bound on the test process's peak resident memory (both backends run at once; measured
/// about 480 MiB, most of it the two million-vertex draft bodies parsed as JSON values).
const PEAK_RSS_BOUND_KIB: u64 = 1024 * 1024;

struct County {
    _db: Db,
    _site: TempDir,
    app: Router,
    planner: String,
}

/// The mini county with the map frontend served at `/` (so that an unknown path could fall
/// through to its `index.html`) and a planner's key.
async fn county() -> County {
    let db = Db::new().await;
    let site = TempDir::new().unwrap();
    std::fs::write(site.path().join("index.html"), "<!doctype html><title>map</title>").unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");
    let config = Config { frontend_dir: Some(site.path().to_owned()), public_url: Some(PUBLIC_URL.into()), ..db.config(fixture) };
    let state = state_from_config(&config).await.expect("service starts");
    let planner = support::token(&state, "planner", "planner", "county", "").await;
    County { _db: db, _site: site, app: wangge_server::app(state), planner }
}

/// One answer: status, content type, body (JSON or null) and how long it took.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
    took: Duration,
}

impl County {
    async fn send(&self, method: Method, uri: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {}", self.planner));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let started = Instant::now();
        let response = self.app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer { status, content_type, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), took: started.elapsed() }
    }

    async fn import(&self, format: &str, bytes: Vec<u8>) -> Answer {
        self.send(Method::POST, &format!("/api/v1/drafts/import?format={format}"), bytes, &[]).await
    }

    async fn post_json(&self, uri: &str, body: Vec<u8>) -> Answer {
        self.send(Method::POST, uri, body, &[("content-type", "application/json")]).await
    }
}

/// Asserts a refusal: a 4xx problem+json whose detail names the reason (`says`, lower case).
fn refused(table: &mut Vec<String>, what: &str, a: &Answer, says: &str) {
    assert!(a.status.is_client_error(), "{what}: {} {}", a.status, a.body);
    assert_eq!(a.content_type, "application/problem+json", "{what}: {}", a.body);
    let detail = a.body["detail"].as_str().unwrap_or_default();
    assert!(!detail.is_empty(), "{what}: no reason in {}", a.body);
    assert!(detail.to_lowercase().contains(says), "{what}: {detail:?} does not say {says:?}");
    let peak = peak_rss_kib() / 1024;
    table.push(format!("{what:<48} {:>4} {:>8.1} ms {peak:>6} MiB  {}", a.status.as_u16(), a.took.as_secs_f64() * 1000.0, detail.chars().take(90).collect::<String>()));
}

// ---- Shapefile pieces, written by hand from the ESRI and dBase layouts -------------------------

/// A `.shp` of one-ring polygons (clockwise, closed), its header's length right.
fn shp(rings: &[Vec<(f64, f64)>]) -> Vec<u8> {
    let mut records = Vec::new();
    for (i, ring) in rings.iter().enumerate() {
        let mut content = Vec::new();
        content.extend(5i32.to_le_bytes());
        content.extend([0u8; 32]);
        content.extend(1i32.to_le_bytes());
        content.extend((ring.len() as i32).to_le_bytes());
        content.extend(0i32.to_le_bytes());
        for (x, y) in ring {
            content.extend(x.to_le_bytes());
            content.extend(y.to_le_bytes());
        }
        records.extend((i as i32 + 1).to_be_bytes());
        records.extend((content.len() as i32 / 2).to_be_bytes());
        records.extend(content);
    }
    let mut out = Vec::new();
    out.extend(9994i32.to_be_bytes());
    out.extend([0u8; 20]);
    out.extend(((100 + records.len()) as i32 / 2).to_be_bytes());
    out.extend(1000i32.to_le_bytes());
    out.extend(5i32.to_le_bytes());
    out.extend([0u8; 64]);
    out.extend(records);
    out
}

/// A `.dbf` of character fields.
fn dbf(fields: &[(&str, u8)], rows: &[Vec<&str>]) -> Vec<u8> {
    let width: usize = 1 + fields.iter().map(|(_, n)| usize::from(*n)).sum::<usize>();
    let mut out = vec![0x03, 125, 3, 3];
    out.extend((rows.len() as u32).to_le_bytes());
    out.extend((32 + 32 * fields.len() as u16 + 1).to_le_bytes());
    out.extend((width as u16).to_le_bytes());
    out.extend([0u8; 20]);
    for (name, len) in fields {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = b'C';
        d[16] = *len;
        out.extend(d);
    }
    out.push(0x0d);
    for row in rows {
        out.push(b' ');
        for ((_, len), value) in fields.iter().zip(row) {
            let mut cell = value.as_bytes().to_vec();
            cell.resize(usize::from(*len), b' ');
            out.extend(cell);
        }
    }
    out.push(0x1a);
    out
}

/// A zip of `(name, bytes)` entries, deflated.
fn zipped(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The grid's square, clockwise as a Shapefile's outer ring.
fn square_ring() -> Vec<(f64, f64)> {
    vec![(115.5, 40.41), (115.5, 40.42), (115.52, 40.42), (115.52, 40.41), (115.5, 40.41)]
}

fn grid_dbf() -> Vec<u8> {
    dbf(&[("code", 20), ("name", 40), ("kind", 12), ("vill_code", 12), ("town_code", 9)], &[vec![GRID, "沙城村001", "rural", VILLAGE, "130730100"]])
}

/// A valid zipped Shapefile of the grid.
fn valid_shp_zip() -> Vec<u8> {
    zipped(&[("grids.shp", &shp(&[square_ring()])), ("grids.dbf", &grid_dbf()), ("grids.cpg", b"UTF-8"), ("grids.prj", b"GEOGCS[\"China Geodetic Coordinate System 2000\"]")])
}

// ---- GeoPackages, written with SQLite ---------------------------------------------------------

/// A GeoPackage geometry blob: `GP`, version 0, little endian without envelope, srs 4490, WKB.
fn gp_blob(wkb: &[u8]) -> Vec<u8> {
    let mut out = b"GP\x00\x01".to_vec();
    out.extend(4490i32.to_le_bytes());
    out.extend(wkb);
    out
}

fn square_wkb() -> Vec<u8> {
    let ring = geo::LineString::from(vec![(115.5, 40.41), (115.52, 40.41), (115.52, 40.42), (115.5, 40.42), (115.5, 40.41)]);
    wangge_server::formats::wkb::write_multipolygon(&geo::MultiPolygon(vec![geo::Polygon::new(ring, vec![])]))
}

/// A GeoPackage whose layer is the table `table` (created by `create`, `"{t}"` standing for
/// its quoted name), its one row holding `blob`; `extra` runs last (views, triggers).
async fn gpkg(table: &str, create: &str, blob: Vec<u8>, extra: &str) -> Vec<u8> {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("x.gpkg");
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path).create_if_missing(true)).await.unwrap();
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    sqlx::raw_sql(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000', 4490, 'EPSG', 4490, '');
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(create.replace("{t}", &quoted))).execute(&mut conn).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO {quoted} (geom, code, name, kind, village_code, township_code) VALUES (?, ?, '沙城村001', 'rural', ?, '130730100')")))
        .bind(blob)
        .bind(GRID)
        .bind(VILLAGE)
        .execute(&mut conn)
        .await
        .unwrap();
    for (kind, name) in [("gpkg_contents", "data_type"), ("gpkg_geometry_columns", "geometry_type_name")] {
        let value = if kind == "gpkg_contents" { "features" } else { "MULTIPOLYGON" };
        let sql = format!("INSERT INTO {kind} (table_name, {name}, srs_id) VALUES (?, ?, 4490)");
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(table).bind(value).execute(&mut conn).await.unwrap();
    }
    sqlx::query("UPDATE gpkg_geometry_columns SET column_name = 'geom'").execute(&mut conn).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(extra.replace("{t}", &quoted))).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    std::fs::read(&path).unwrap()
}

const TABLE: &str = "CREATE TABLE {t} (fid INTEGER PRIMARY KEY, geom BLOB, code TEXT, name TEXT, kind TEXT, village_code TEXT, township_code TEXT)";

// ---- the cases ---------------------------------------------------------------------------------

/// A bomb: 300 MiB of zeros as the .dbf, a few MB deflated at the fastest level (how few
/// depends on the deflate backend).
fn zip_bomb() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let fast = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1));
    w.start_file("grids.shp", fast).unwrap();
    w.write_all(&shp(&[square_ring()])).unwrap();
    w.start_file("grids.dbf", fast).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        w.write_all(&zeros).unwrap();
    }
    let bomb = w.finish().unwrap().into_inner();
    assert!(bomb.len() < 8 << 20, "the bomb is small: {}", bomb.len());
    bomb
}

async fn zip_and_shapefile_cases(c: &County, table: &mut Vec<String>) {
    let bomb = zip_bomb();
    refused(table, "zip bomb (300 MiB .dbf in a small archive)", &c.import("shp.zip", bomb).await, "inflates to more than");

    let names: Vec<String> = (0..5000).map(|i| format!("f{i}.txt")).collect();
    let crowd = zipped(&names.iter().map(|n| (n.as_str(), &b""[..])).collect::<Vec<_>>());
    refused(table, "zip of 5,000 entries", &c.import("shp.zip", crowd).await, "entries");

    refused(table, "not a zip at all", &c.import("shp.zip", b"PK\x03\x04 garbage".to_vec()).await, "not a readable zipped shapefile");

    let mut long = shp(&[]);
    long[24..28].copy_from_slice(&i32::MAX.to_be_bytes());
    let lying = zipped(&[("a.shp", &long), ("a.dbf", &grid_dbf())]);
    refused(table, ".shp header: 4 GiB file length, 100 bytes", &c.import("shp.zip", lying).await, "header says");

    let mut huge = shp(&[square_ring()]);
    huge[104..108].copy_from_slice(&(1i32 << 30).to_be_bytes());
    let lying = zipped(&[("a.shp", &huge), ("a.dbf", &grid_dbf())]);
    refused(table, ".shp record: 2 GiB content length", &c.import("shp.zip", lying).await, "more than the file holds");

    // A polygon record claiming five million points in its 148 bytes.
    let mut many = shp(&[square_ring()]);
    many[108 + 40..108 + 44].copy_from_slice(&5_000_000i32.to_le_bytes());
    let lying = zipped(&[("a.shp", &many), ("a.dbf", &grid_dbf())]);
    refused(table, ".shp polygon: 5,000,000 points in 148 bytes", &c.import("shp.zip", lying).await, "points in");

    let mut billions = grid_dbf();
    billions[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let lying = zipped(&[("a.shp", &shp(&[square_ring()])), ("a.dbf", &billions)]);
    refused(table, ".dbf header: 4,294,967,295 records", &c.import("shp.zip", lying).await, "records");

    let mut thousands = grid_dbf();
    thousands[4..8].copy_from_slice(&4000u32.to_le_bytes());
    let lying = zipped(&[("a.shp", &shp(&[square_ring()])), ("a.dbf", &thousands)]);
    refused(table, ".dbf header: 4,000 records in 300 bytes", &c.import("shp.zip", lying).await, "more than its");
}

async fn geopackage_cases(c: &County, table: &mut Vec<String>) {
    // Found by the import_gpkg fuzz target: a column type that is not UTF-8 made the SQLite
    // driver panic in its worker thread.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile/gpkg-non-utf8-declared-type.gpkg");
    let odd = std::fs::read(fixture).unwrap();
    refused(table, "GeoPackage: a column type that is not UTF-8", &c.import("gpkg", odd).await, "not utf-8");

    let endless = "CREATE VIEW aaa AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
                   SELECT x AS fid, randomblob(1000000) AS geom, 'c' AS code FROM n;
                   INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('aaa', 'features', 4490);
                   INSERT INTO gpkg_geometry_columns (table_name, column_name, srs_id) VALUES ('aaa', 'geom', 4490);";
    let view = gpkg("grids", TABLE, gp_blob(&square_wkb()), endless).await;
    refused(table, "GeoPackage: an endless VIEW as the layer", &c.import("gpkg", view).await, "is a view");

    let contents_view = "ALTER TABLE gpkg_contents RENAME TO c2; CREATE VIEW gpkg_contents AS SELECT * FROM c2;";
    let view = gpkg("grids", TABLE, gp_blob(&square_wkb()), contents_view).await;
    refused(table, "GeoPackage: gpkg_contents is a VIEW", &c.import("gpkg", view).await, "is a view");

    let trigger = "CREATE TRIGGER evil AFTER INSERT ON {t} BEGIN DELETE FROM gpkg_contents; END;";
    let with_trigger = gpkg("grids", TABLE, gp_blob(&square_wkb()), trigger).await;
    refused(table, "GeoPackage: a trigger on the layer", &c.import("gpkg", with_trigger).await, "trigger");

    let generated = "CREATE TABLE {t} (fid INTEGER PRIMARY KEY, geom BLOB, code TEXT, kind TEXT, village_code TEXT, township_code TEXT,
                     name TEXT GENERATED ALWAYS AS (printf('%.*c', 1000, code)) VIRTUAL)";
    let with_generated = gpkg_generated(generated).await;
    refused(table, "GeoPackage: a generated column", &c.import("gpkg", with_generated).await, "generated");

    // The layer names a table that is not there: an injection attempt through its name.
    let injected = gpkg("grids", TABLE, gp_blob(&square_wkb()), "UPDATE gpkg_contents SET table_name = 'grids\" UNION SELECT 1 --'; UPDATE gpkg_geometry_columns SET table_name = 'grids\" UNION SELECT 1 --';").await;
    refused(table, "GeoPackage: a quote-injecting layer name", &c.import("gpkg", injected).await, "no table");

    let mut truncated = square_wkb();
    truncated[14..18].copy_from_slice(&1_000_000_000u32.to_le_bytes());
    let broken = gpkg("grids", TABLE, gp_blob(&truncated), "").await;
    refused(table, "GeoPackage: WKB claiming 10^9 rings", &c.import("gpkg", broken).await, "wkb ends");
    let broken = gpkg("grids", TABLE, b"GP\x00\x01junk".to_vec(), "").await;
    refused(table, "GeoPackage: a junk geometry blob", &c.import("gpkg", broken).await, "feature 0");

    let junk = b"SQLite format 3\0 but nothing else".to_vec();
    refused(table, "GeoPackage: not a database", &c.import("gpkg", junk).await, "not a readable geopackage");

    // A real table whose name holds quotes imports: its name is quoted, not spliced.
    let quoted = gpkg("gr\"ids'; DROP TABLE x; --", TABLE, gp_blob(&square_wkb()), "").await;
    let a = c.import("gpkg", quoted).await;
    assert_eq!((a.status, a.body["count"].as_u64()), (StatusCode::OK, Some(1)), "{}", a.body);
    table.push(format!("{:<48} {:>4} {:>8.1} ms  imported", "GeoPackage: a table named with quotes", 200, a.took.as_secs_f64() * 1000.0));
}

/// A GeoPackage whose layer has a generated column.
async fn gpkg_generated(create: &str) -> Vec<u8> {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("g.gpkg");
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path).create_if_missing(true)).await.unwrap();
    let sql = format!(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000', 4490, 'EPSG', 4490, '');
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);
         INSERT INTO gpkg_contents VALUES ('grids', 'features', 'grids', 4490);
         INSERT INTO gpkg_geometry_columns VALUES ('grids', 'geom', 'MULTIPOLYGON', 4490, 0, 0);
         {}; INSERT INTO grids (geom, code) VALUES (x'00', 'c');",
        create.replace("{t}", "grids")
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    std::fs::read(&path).unwrap()
}

async fn json_cases(c: &County, table: &mut Vec<String>) {
    let polygon = |coords: &str| format!(r#"{{"type": "FeatureCollection", "features": [{{"type": "Feature", "properties": {{}}, "geometry": {{"type": "Polygon", "coordinates": {coords}}}}}]}}"#);
    let nan = polygon(r#"[[["NaN", 40.41], [115.52, 40.41], [115.52, 40.42], ["NaN", 40.41]]]"#);
    refused(table, "GeoJSON: \"NaN\" coordinates", &c.import("geojson", nan.into_bytes()).await, "finite number");
    let bare_nan = polygon("[[[NaN, 40.41], [115.52, 40.41], [115.52, 40.42], [115.5, 40.41]]]");
    refused(table, "GeoJSON: a bare NaN token", &c.import("geojson", bare_nan.into_bytes()).await, "not a readable geojson");
    let infinite = polygon("[[[1e400, 40.41], [115.52, 40.41], [115.52, 40.42], [115.5, 40.41]]]");
    refused(table, "GeoJSON: 1e400", &c.import("geojson", infinite.into_bytes()).await, "number out of range");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    refused(table, "GeoJSON: 100,000 nested [ as the file", &c.import("geojson", deep.clone().into_bytes()).await, "not a readable geojson");
    refused(table, "GeoJSON: 100,000 nested [ as coordinates", &c.import("geojson", polygon(&deep).into_bytes()).await, "deeper");
    refused(table, "/drafts/check: 100,000 nested [ as the body", &c.post_json("/api/v1/drafts/check", deep.clone().into_bytes()).await, "invalid type");
    let body = format!(r#"{{"base_generation": 0, "area": {{}}, "grids": {deep}}}"#);
    refused(table, "/drafts/check: 100,000 nested [ as the grids", &c.post_json("/api/v1/drafts/check", body.into_bytes()).await, "recursion limit");
    // Two million positions in under 8 MiB: [0,0], six bytes each.
    let many = polygon(&format!("[[{} [0,0]]]", "[0,0],".repeat(1_100_000)));
    refused(table, "GeoJSON: 1,100,001 positions", &c.import("geojson", many.into_bytes()).await, "coordinates");
    let features = format!(r#"{{"features": [{} {{}}]}}"#, "{},".repeat(6000));
    refused(table, "GeoJSON: 6,001 features", &c.import("geojson", features.into_bytes()).await, "features");
}

async fn draft_cases(c: &County, table: &mut Vec<String>) {
    // A million vertices in about 6 MB: under the body limit, over the vertex caps.
    let ring = format!("[[{} [1,2]]]", "[1,2],".repeat(999_999));
    let geometry = format!(r#"{{"type": "Polygon", "coordinates": {ring}}}"#);
    let check = format!(
        r#"{{"base_generation": 0, "area": {{"village": "{VILLAGE}"}}, "grids": {{"type": "FeatureCollection", "features": [
            {{"type": "Feature", "properties": {{"code": "{GRID}", "name": "x", "kind": "rural", "village_code": "{VILLAGE}", "township_code": "130730100"}},
              "geometry": {geometry}}}]}}}}"#
    );
    refused(table, "/drafts/check: a 10^6-vertex polygon", &c.post_json("/api/v1/drafts/check", check.into_bytes()).await, "vertices");
    let split = format!(r#"{{"geometry": {geometry}, "line": [[0, 0], [3, 3]]}}"#);
    refused(table, "/drafts/split: a 10^6-vertex polygon", &c.post_json("/api/v1/drafts/split", split.into_bytes()).await, "vertices");
    let line = format!("[{} [1, 1]]", "[0, 0],".repeat(100_000));
    let split = format!(r#"{{"geometry": {{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}, "line": {line}}}"#);
    refused(table, "/drafts/split: a 100,001-vertex line", &c.post_json("/api/v1/drafts/split", split.into_bytes()).await, "line has");
    // 5,001 small grids: over the draft's grid count.
    let grid = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}"#;
    let grids = vec![grid; 5001].join(",");
    let check = format!(r#"{{"base_generation": 0, "area": {{"village": "{VILLAGE}"}}, "grids": {{"type": "FeatureCollection", "features": [{grids}]}}}}"#);
    refused(table, "/drafts/check: 5,001 grids", &c.post_json("/api/v1/drafts/check", check.into_bytes()).await, "at most 5000 grids");
}

async fn size_and_path_cases(c: &County, table: &mut Vec<String>) {
    let big = vec![b' '; wangge_server::formats::import::MAX_FILE + 1];
    refused(table, "import: a body of 64 MiB + 1", &c.import("geojson", big).await, "over");
    let big = vec![b' '; 9 << 20];
    refused(table, "/drafts/check: a body of 9 MiB", &c.post_json("/api/v1/drafts/check", big).await, "length limit");
    for path in ["/ogcapi/nope", "/ogcapi/collections/grids/items/x/y", "/ogcapi/../index.html", "/api/v1/nope"] {
        let a = c.send(Method::GET, path, Vec::new(), &[]).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
        refused(table, &format!("GET {path}"), &a, "no resource");
    }
    // The links say where the service is configured to be, not what the Host header claims.
    let a = c.send(Method::GET, "/ogcapi/", Vec::new(), &[("host", "evil.example"), ("x-forwarded-proto", "https")]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let links = a.body["links"].as_array().unwrap();
    assert!(links.iter().all(|l| l["href"].as_str().unwrap().starts_with(&format!("{PUBLIC_URL}/"))), "{}", a.body);
    assert!(links.iter().any(|l| l["href"] == format!("{PUBLIC_URL}/api/v1/openapi.json")), "{}", a.body);
    assert!(!a.body.to_string().contains("evil.example"), "{}", a.body);
}

/// The server still answers ordinary requests: a Shapefile and a GeoJSON import, and a check.
async fn still_serving(c: &County) {
    let a = c.import("shp.zip", valid_shp_zip()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let feature = &a.body["grids"]["features"][0];
    assert_eq!((feature["properties"]["code"].as_str(), feature["properties"]["village_code"].as_str()), (Some(GRID), Some(VILLAGE)), "{}", a.body);
    let a = c.import("geojson", json!({"type": "FeatureCollection", "features": [feature]}).to_string().into_bytes()).await;
    assert_eq!((a.status, a.body["count"].as_u64()), (StatusCode::OK, Some(1)), "{}", a.body);
    let draft = json!({"base_generation": 0, "area": {"village": VILLAGE}, "grids": a.body["grids"]});
    let a = c.post_json("/api/v1/drafts/check", draft.to_string().into_bytes()).await;
    assert_eq!((a.status, a.body["publishable"].as_bool()), (StatusCode::OK, Some(true)), "{}", a.body);
}

/// The process's peak resident set (VmHWM), KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

backend_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hostile_inputs_are_refused_with_a_reason_and_the_server_keeps_serving() {
        let c = county().await;
        let started = Instant::now();
        let mut table = Vec::new();
        zip_and_shapefile_cases(&c, &mut table).await;
        geopackage_cases(&c, &mut table).await;
        json_cases(&c, &mut table).await;
        draft_cases(&c, &mut table).await;
        size_and_path_cases(&c, &mut table).await;
        still_serving(&c).await;
        let peak = peak_rss_kib();
        println!("{} — {} cases in {:.1} s; peak RSS of the test process {:.0} MiB (bound {} MiB)", support::backend().name(), table.len(), started.elapsed().as_secs_f64(), peak as f64 / 1024.0, PEAK_RSS_BOUND_KIB / 1024);
        for row in &table {
            println!("  {row}");
        }
        assert!(peak < PEAK_RSS_BOUND_KIB, "peak RSS {peak} KiB");
    }
}

backend_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imports_at_once_are_bounded_and_each_answered() {
        let c = county().await;
        let bomb = zip_bomb();
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let watch = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(wangge_server::grids::drafts::heavy_running(), std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        let at_once = (0..8).map(|_| c.import("shp.zip", bomb.clone()));
        let answers = futures_util::future::join_all(at_once).await;
        watch.abort();
        let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
        assert!((1..=wangge_server::grids::drafts::HEAVY_AT_ONCE).contains(&peak), "{peak} imports at once");
        for a in &answers {
            let busy = a.status == StatusCode::SERVICE_UNAVAILABLE;
            assert!(a.status == StatusCode::UNPROCESSABLE_ENTITY || busy, "{} {}", a.status, a.body);
            assert!(!a.body["detail"].as_str().unwrap_or_default().is_empty(), "{}", a.body);
        }
        assert!(answers.iter().any(|a| a.status == StatusCode::UNPROCESSABLE_ENTITY));
        println!("8 zip bombs at once: at most {peak} read at a time; peak RSS {} MiB", peak_rss_kib() / 1024);
        assert!(peak_rss_kib() < PEAK_RSS_BOUND_KIB);
    }
}

/// The fuzz targets' seeds (`fuzz/seeds/<target>/`) through the same entry points the fuzzers
/// call: each valid file reads, and the draft check answers (so the seeds and the entry points
/// stay right without cargo-fuzz).
#[test]
fn the_fuzz_seeds_read_through_the_fuzz_entry_points() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let files = |target: &str| {
        let mut paths: Vec<_> = std::fs::read_dir(seeds.join(target)).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        assert!(!paths.is_empty(), "no seeds for {target}");
        paths
    };
    for (target, format) in [("import_shp_zip", "shp.zip"), ("import_gpkg", "gpkg"), ("import_geojson", "geojson")] {
        for path in files(target) {
            let imported = wangge_server::formats::import::read_blocking(format, &std::fs::read(&path).unwrap(), None);
            let imported = imported.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(imported.grids.features[0].code(), GRID, "{}", path.display());
        }
    }
    let data = wangge_server::grids::geodata::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")).unwrap();
    let info = wangge_server::records::DatasetInfo { dataset_id: 1, source: "seeds".into(), note: String::new(), created_at: String::new() };
    let catalog = wangge_server::grids::catalog::Catalog::new(&info, data.townships, data.villages, data.grids).unwrap();
    let publishable: Vec<bool> = files("draft_check")
        .iter()
        .map(|p| wangge_server::grids::drafts::validate_json(&catalog, &std::fs::read(p).unwrap()).unwrap().is_publishable())
        .collect();
    assert_eq!(publishable, [false, true], "gap.json leaves a gap, village.json is the village's grid");
    for path in files("report_json") {
        let request: wangge_server::events::intake::ReportRequest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(wangge_server::events::intake::check(request, None).is_ok(), "{}", path.display());
    }
    for path in files("photo") {
        let photo = wangge_server::formats::photo::process(&std::fs::read(&path).unwrap());
        let photo = photo.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(photo.width > 0 && !photo.thumbnail.is_empty(), "{}", path.display());
    }
}
