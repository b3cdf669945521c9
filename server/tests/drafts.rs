//! The planner's boundary drafts on both backends: a split published as the next generation
//! (lookups, open events reassigned with a timeline row, past events keeping their grid, the
//! history), a stale second publication refused as a conflict, broken drafts refused with
//! located problems and nothing published, and only planners publishing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::Db;
use tower::ServiceExt;
use wangge_server::{state_from_config, AppState, Clock};

mod support;

/// 沙城村: one rural grid, 115.50–115.52 × 40.41–40.42.
const VILLAGE: &str = "130730100201";
const GRID: &str = "130730100201001";
const NEW_GRID: &str = "130730100201002";
const WEST: (f64, f64) = (115.505, 40.415);
const EAST: (f64, f64) = (115.515, 40.415);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

struct County {
    _db: Db,
    state: AppState,
    app: Router,
    planner: String,
    county: String,
}

async fn county() -> County {
    let db = Db::new().await;
    let mut state = state_from_config(&db.config(fixture())).await.expect("service starts");
    state.clock = Clock::fixed(Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap());
    let app = wangge_server::app(state.clone());
    let planner = support::token(&state, "planner", "planner", "county", "").await;
    let county = support::token(&state, "county", "dispatcher", "county", "").await;
    County { _db: db, state, app, planner, county }
}

async fn call(app: &Router, token: &str, method: Method, uri: &str, body: Option<&Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if uri.starts_with("/api/v1/drafts/") || uri.starts_with("/api/v1/generations") || uri.ends_with("/history") {
        in_key_order(status, &value, &bytes);
    }
    (status, value)
}

/// The drafts' answers (and the problem of a draft with errors) keep the bytes they always had:
/// members in key order, as a JSON map writes them.
fn in_key_order(status: StatusCode, value: &Value, bytes: &[u8]) {
    if status.is_success() || value.get("problems").is_some() {
        support::key_order::assert_in_key_order(bytes);
    }
}

async fn exported(c: &County, generation: i64) -> (StatusCode, Value) {
    call(&c.app, &c.county, Method::GET, &format!("/api/v1/export/grids.geojson?generation={generation}"), None).await
}

async fn import(c: &County, format: &str, crs: Option<&str>, bytes: Vec<u8>) -> (StatusCode, Value) {
    let uri = match crs {
        Some(crs) => format!("/api/v1/drafts/import?format={format}&crs={crs}"),
        None => format!("/api/v1/drafts/import?format={format}"),
    };
    let request = Request::post(uri).header(header::AUTHORIZATION, format!("Bearer {}", c.planner)).body(Body::from(bytes)).unwrap();
    let response = c.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    in_key_order(status, &value, &bytes);
    (status, value)
}

/// Whether the first ring of two geometries has the same points (within `tol` degrees),
/// whatever point it starts at and whichever way it turns.
fn same_ring(a: &Value, b: &Value, tol: f64) -> bool {
    let ring = |g: &Value| -> Vec<(f64, f64)> {
        let first = if g["type"] == "MultiPolygon" { &g["coordinates"][0][0] } else { &g["coordinates"][0] };
        let mut pts: Vec<(f64, f64)> = first.as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).collect();
        pts.pop();
        pts.sort_by(|x, y| x.partial_cmp(y).unwrap());
        pts
    };
    let (ra, rb) = (ring(a), ring(b));
    ra.len() == rb.len() && ra.iter().zip(&rb).all(|(p, q)| (p.0 - q.0).abs() < tol && (p.1 - q.1).abs() < tol)
}

fn square(x0: f64, x1: f64, y0: f64, y1: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})
}

fn grid(code: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {
        "code": code, "name": format!("沙城村{}", &code[12..]), "kind": "rural",
        "village_code": VILLAGE, "township_code": "130730100", "parent_grid": null,
    }, "geometry": geometry})
}

fn draft(base: i64, grids: Vec<Value>, note: &str) -> Value {
    json!({"base_generation": base, "area": {"village": VILLAGE}, "grids": {"type": "FeatureCollection", "features": grids}, "note": note})
}

/// The whole county's current grids as a draft.
async fn county_draft(c: &County, base: i64, note: &str) -> Value {
    let (status, current) = call(&c.app, &c.county, Method::GET, "/api/v1/export/grids.geojson", None).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    json!({"base_generation": base, "area": {"county": "130730"}, "grids": current, "note": note})
}

async fn report(c: &County, id: &str, at: (f64, f64)) -> String {
    let body = json!({"report_id": id, "category": "hazard", "description": "井盖缺失", "location": {"lon": at.0, "lat": at.1},
        "reporter": {"kind": "resident"}, "channel": "web"});
    let (status, event) = call(&c.app, &c.county, Method::POST, "/api/v1/reports", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    event["event_id"].as_str().unwrap().to_owned()
}

async fn locate(c: &County, at: (f64, f64)) -> String {
    let (status, body) = call(&c.app, &c.county, Method::GET, &format!("/api/v1/locate?lon={}&lat={}", at.0, at.1), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["grid"]["code"].as_str().unwrap().to_owned()
}

backend_tests! {
    #[tokio::test]
    async fn a_split_is_published_as_the_next_generation() {
        let c = county().await;
        let (status, base) = call(&c.app, &c.planner, Method::GET, &format!("/api/v1/drafts/base?village={VILLAGE}"), None).await;
        assert_eq!(status, StatusCode::OK, "{base}");
        assert_eq!(base["generation"], 0);
        let features = base["grids"]["features"].as_array().unwrap();
        assert_eq!(features.len(), 1);
        // The split, computed by the server along a line drawn across the grid.
        let split = json!({"geometry": features[0]["geometry"], "line": [[115.51, 40.405], [115.51, 40.425]]});
        let (status, parts) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/split", Some(&split)).await;
        assert_eq!(status, StatusCode::OK, "{parts}");
        let parts = parts["parts"].as_array().unwrap().clone();
        // Which part is west?
        let west_first = parts[0]["coordinates"][0][0].as_array().unwrap().iter().all(|p| p[0].as_f64().unwrap() <= 115.51 + 1e-12);
        let (west, east) = if west_first { (parts[0].clone(), parts[1].clone()) } else { (parts[1].clone(), parts[0].clone()) };

        // GW1 works the grid; GW2 will take the new east half (bound in the draft).
        for id in ["GW1", "GW2"] {
            let grids = if id == "GW1" { json!([GRID]) } else { json!([]) };
            let person = json!({"name": format!("测试{id}"), "role": "gridworker", "unit_code": VILLAGE, "phone": "13812345678", "grids": grids});
            let (status, body) = call(&c.app, &c.county, Method::PUT, &format!("/api/v1/people/{id}"), Some(&person)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (_, base) = call(&c.app, &c.planner, Method::GET, &format!("/api/v1/drafts/base?village={VILLAGE}"), None).await;
        assert_eq!(base["grids"]["features"][0]["properties"]["gridworkers"], json!(["GW1"]));
        let open = report(&c, "open-east", EAST).await;
        let past = report(&c, "past-east", EAST).await;
        for action in [json!({"action": "accept"}), json!({"action": "handle", "note": "已处理"}), json!({"action": "close", "note": "已回访"})] {
            let (status, body) = call(&c.app, &c.county, Method::POST, &format!("/api/v1/events/{past}/transitions"), Some(&action)).await;
            assert_eq!(status, StatusCode::OK, "{action}: {body}");
        }
        let mut east_grid = grid(NEW_GRID, east);
        east_grid["properties"]["gridworkers"] = json!(["GW2"]);
        let body = draft(0, vec![grid(GRID, west), east_grid], "村民小组调整，按道路拆分");
        let (status, checked) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&body)).await;
        assert_eq!(status, StatusCode::OK, "{checked}");
        assert_eq!(checked["publishable"], true, "{checked}");
        let impact = &checked["impact"];
        assert_eq!((impact["open_events_moved"].as_u64(), impact["past_events_moved"].as_u64()), (Some(1), Some(1)), "{impact}");
        assert_eq!(impact["added"], json!([NEW_GRID]));
        assert_eq!(impact["reshaped"], json!([GRID]));
        assert_eq!((impact["bindings_added"].as_u64(), impact["bindings_dropped"].as_u64()), (Some(1), Some(0)), "{impact}");
        assert_eq!(locate(&c, EAST).await, GRID, "a check publishes nothing");
        // The registry: a house in the east half, a person living there, a special-group member.
        let house = json!({"use": "住宅", "address": "沙城村东头1号", "village_code": VILLAGE, "lon": EAST.0, "lat": EAST.1});
        let (status, house) = call(&c.app, &c.county, Method::POST, "/api/v1/registry/houses", Some(&house)).await;
        assert_eq!((status, house["grid_code"].as_str()), (StatusCode::CREATED, Some(GRID)), "{house}");
        let first = "13993019800101001";
        let number = format!("{first}{}", wangge_core::registry::check_character(first).unwrap());
        let resident = json!({"kind": "registered", "name": "东头住户", "id_number": number, "village_code": VILLAGE, "house_id": house["id"]});
        let (status, resident) = call(&c.app, &c.county, Method::POST, "/api/v1/registry/people", Some(&resident)).await;
        assert_eq!((status, resident["grid_code"].as_str()), (StatusCode::CREATED, Some(GRID)), "the house's point: {resident}");
        let officer = support::token(&c.state, "officer", "special_group_officer", "county", "").await;
        let member = json!({"group": "drug_user", "person_id": resident["id"], "responsible_person_id": "GW1"});
        let (status, member) = call(&c.app, &officer, Method::POST, "/api/v1/registry/special_groups", Some(&member)).await;
        assert_eq!(status, StatusCode::CREATED, "{member}");

        let (status, published) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{published}");
        assert_eq!((published["generation"].as_i64(), published["reassigned"].as_u64()), (Some(1), Some(1)));
        // Lookups follow at once; the open event moved with a timeline row, the past one kept its grid.
        assert_eq!((locate(&c, WEST).await, locate(&c, EAST).await), (GRID.to_owned(), NEW_GRID.to_owned()));
        let (_, moved) = call(&c.app, &c.county, Method::GET, &format!("/api/v1/events/{open}"), None).await;
        assert_eq!(moved["grid_code"], NEW_GRID, "{moved}");
        assert_eq!(moved["holder"]["id"], "GW2", "the new grid's gridworker takes it: {moved}");
        let (_, gw2) = call(&c.app, &c.county, Method::GET, "/api/v1/people/GW2", None).await;
        assert_eq!(gw2["grids"], json!([NEW_GRID]), "{gw2}");
        let (_, timeline) = call(&c.app, &c.county, Method::GET, &format!("/api/v1/events/{open}/timeline"), None).await;
        let last = timeline["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["action"].as_str(), last["payload"]["from"].as_str(), last["payload"]["to"].as_str()), (Some("regrid"), Some(GRID), Some(NEW_GRID)));
        // Registry records and the member follow their points into the new grid.
        for (who, uri) in [(&c.county, format!("/api/v1/registry/houses/{}", house["id"].as_str().unwrap())),
            (&c.county, format!("/api/v1/registry/people/{}", resident["id"].as_str().unwrap())),
            (&officer, format!("/api/v1/registry/special_groups/{}", member["id"].as_str().unwrap()))] {
            let (status, after) = call(&c.app, who, Method::GET, &uri, None).await;
            assert_eq!((status, after["grid_code"].as_str()), (StatusCode::OK, Some(NEW_GRID)), "{uri}: {after}");
        }
        let (_, kept) = call(&c.app, &c.county, Method::GET, &format!("/api/v1/events/{past}"), None).await;
        assert_eq!(kept["grid_code"], GRID, "a closed event keeps the grid it was reported in");
        // The history: who, when, why, and the old shape.
        let (_, history) = call(&c.app, &c.planner, Method::GET, &format!("/api/v1/grids/{GRID}/history"), None).await;
        let versions = history["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2, "{history}");
        assert_eq!((versions[0]["valid_from"].as_i64(), versions[0]["valid_to"].as_i64()), (Some(0), Some(1)));
        assert_eq!((versions[1]["published_by"].as_str(), versions[1]["note"].as_str()), (Some("planner"), Some("村民小组调整，按道路拆分")));
        let (_, generations) = call(&c.app, &c.planner, Method::GET, "/api/v1/generations", None).await;
        assert_eq!(generations["generations"][0]["reassigned"], 1);
        // A second planner's draft started from generation 0: a conflict, and nothing changes.
        let stale = draft(0, vec![grid(GRID, square(115.5, 115.52, 40.41, 40.42))], "另一位规划员");
        let (status, conflict) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&stale)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
        assert!(conflict["detail"].as_str().unwrap().contains("generation 1"), "{conflict}");
        assert_eq!(locate(&c, EAST).await, NEW_GRID);
        assert_eq!(c.state.store.current_generation().await.unwrap(), 1);
        // Any generation can be exported; past events count in their grid, or on the current grids.
        let codes = |fc: &Value| fc["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let (status, g0) = exported(&c, 0).await;
        assert_eq!(status, StatusCode::OK, "{g0}");
        assert!(codes(&g0).contains(&GRID.to_owned()) && !codes(&g0).contains(&NEW_GRID.to_owned()));
        let (_, g1) = exported(&c, 1).await;
        assert!(codes(&g1).contains(&NEW_GRID.to_owned()) && codes(&g1).len() == codes(&g0).len() + 1);
        assert_eq!(exported(&c, 2).await.0, StatusCode::NOT_FOUND);
        // GDAL reads a past generation's GeoPackage: the grid count and the old shape's extent.
        let dir = tempfile::TempDir::new().unwrap();
        for (generation, expected) in [(0, codes(&g0).len()), (1, codes(&g1).len())] {
            let request = Request::get(format!("/api/v1/export/grids.gpkg?generation={generation}"))
                .header(header::AUTHORIZATION, format!("Bearer {}", c.county))
                .body(Body::empty())
                .unwrap();
            let response = c.app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let file = dir.path().join(format!("g{generation}.gpkg"));
            std::fs::write(&file, response.into_body().collect().await.unwrap().to_bytes()).unwrap();
            let out = std::process::Command::new("ogrinfo").args(["-ro", "-so"]).arg(&file).arg("grids").output().expect("ogrinfo runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains(&format!("Feature Count: {expected}")), "generation {generation}: {text}");
            assert!(text.contains("4490"), "generation {generation}: {text}");
        }
        let count = |body: &Value, code: &str| body["grids"].as_array().unwrap().iter().find(|g| g["code"] == code).map(|g| g["count"].as_u64().unwrap());
        let (_, reported) = call(&c.app, &c.county, Method::GET, "/api/v1/map/choropleth?on=reported", None).await;
        let (_, current) = call(&c.app, &c.county, Method::GET, "/api/v1/map/choropleth?on=current", None).await;
        assert_eq!((count(&reported, NEW_GRID), count(&current, NEW_GRID)), (Some(1), Some(2)), "{reported} {current}");
    }

    #[tokio::test]
    async fn files_in_geopackage_shapefile_and_geojson_import_and_other_crs_are_refused() {
        let c = county().await;
        let (_, base) = call(&c.app, &c.planner, Method::GET, &format!("/api/v1/drafts/base?village={VILLAGE}"), None).await;
        let dir = tempfile::TempDir::new().unwrap();
        let source = dir.path().join("base.geojson");
        std::fs::write(&source, base["grids"].to_string()).unwrap();
        let gdal = |args: &[&str]| {
            let out = std::process::Command::new("ogr2ogr").args(args).output().expect("ogr2ogr runs (gdal-bin)");
            assert!(out.status.success(), "ogr2ogr {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let path = |name: &str| dir.path().join(name).display().to_string();
        gdal(&["-f", "GPKG", &path("v.gpkg"), &source.display().to_string(), "-a_srs", "EPSG:4490", "-nln", "grids"]);
        gdal(&["-f", "ESRI Shapefile", &path("shp"), &source.display().to_string(), "-a_srs", "EPSG:4490", "-nln", "grids", "-lco", "ENCODING=UTF-8"]);
        gdal(&["-f", "GPKG", &path("mercator.gpkg"), &source.display().to_string(), "-s_srs", "EPSG:4490", "-t_srs", "EPSG:3857"]);
        let zipped = dir.path().join("v.shp.zip");
        let zip = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile, pathlib; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); [z.write(p, p.name) for p in pathlib.Path(sys.argv[2]).iterdir()]; z.close()"])
            .arg(&zipped)
            .arg(dir.path().join("shp"))
            .output()
            .unwrap();
        assert!(zip.status.success(), "{}", String::from_utf8_lossy(&zip.stderr));
        let original = &base["grids"]["features"][0];
        for (format, file) in [("gpkg", "v.gpkg"), ("shp.zip", "v.shp.zip")] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap();
            let imported = import(&c, format, None, bytes).await;
            assert_eq!(imported.0, StatusCode::OK, "{format}: {}", imported.1);
            let feature = &imported.1["grids"]["features"][0];
            assert_eq!(feature["properties"]["code"], GRID, "{format}: {}", imported.1);
            assert_eq!(feature["properties"]["village_code"], VILLAGE, "{format}");
            assert_eq!(imported.1["crs"], "EPSG:4490");
            assert!(same_ring(&feature["geometry"], &original["geometry"], 1e-9), "{format}: {feature}");
            // What was imported checks (and could be published) as it is.
            let (status, checked) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&draft(0, vec![feature.clone()], "导入"))).await;
            assert_eq!((status, checked["publishable"].as_bool()), (StatusCode::OK, Some(true)), "{format}: {checked}");
        }
        // Web Mercator is refused with the reason.
        let mercator = import(&c, "gpkg", None, std::fs::read(dir.path().join("mercator.gpkg")).unwrap()).await;
        assert_eq!(mercator.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", mercator.1);
        assert!(mercator.1["detail"].as_str().unwrap().contains("3857"), "{}", mercator.1);
        // A GeoJSON in GCJ-02 (shifted some 500 m here), named by the planner, comes back in CGCS2000.
        let mut gcj = base["grids"].clone();
        for p in gcj["features"][0]["geometry"]["coordinates"][0][0].as_array_mut().unwrap() {
            let q = wangge_core::LonLat::new(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()).unwrap().to_gcj02();
            *p = json!([q.lon, q.lat]);
        }
        let (status, back) = import(&c, "geojson", Some("gcj02"), gcj.to_string().into_bytes()).await;
        assert_eq!(status, StatusCode::OK, "{back}");
        assert!(same_ring(&back["grids"]["features"][0]["geometry"], &original["geometry"], 1e-6), "{back}");
        let (status, _) = import(&c, "geojson", None, br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2436"}},"features":[]}"#.to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn broken_drafts_are_refused_with_located_problems_and_nothing_is_published() {
        let c = county().await;
        let whole = || square(115.5, 115.52, 40.41, 40.42);
        let bowtie = json!({"type": "Polygon", "coordinates": [[[115.5, 40.41], [115.52, 40.42], [115.52, 40.41], [115.5, 40.42], [115.5, 40.41]]]});
        let nan = json!({"type": "Polygon", "coordinates": [[[115.5, 40.41], [115.52, 40.41], ["NaN", 40.42], [115.5, 40.42], [115.5, 40.41]]]});
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("bow-tie", vec![grid(GRID, bowtie)], "self_intersection"),
            ("overlap", vec![grid(GRID, square(115.5, 115.512, 40.41, 40.42)), grid(NEW_GRID, square(115.508, 115.52, 40.41, 40.42))], "overlap"),
            ("gap", vec![grid(GRID, square(115.5, 115.509, 40.41, 40.42)), grid(NEW_GRID, square(115.511, 115.52, 40.41, 40.42))], "gap"),
            ("outside its village", vec![grid(GRID, square(115.5, 115.52, 40.41, 40.425))], "outside_village"),
            ("duplicate code", vec![grid(GRID, square(115.5, 115.51, 40.41, 40.42)), grid(GRID, square(115.51, 115.52, 40.41, 40.42))], "duplicate_code"),
            ("a code used elsewhere", vec![grid("130730100001001", whole())], "code_in_use"),
            ("NaN", vec![grid(GRID, nan)], "non_finite_coordinate"),
        ];
        for (what, grids, kind) in cases {
            let body = draft(0, grids, "坏草稿");
            let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&body)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {answer}");
            let problems = answer["problems"].as_array().unwrap();
            let found = problems.iter().find(|p| p["kind"] == kind).unwrap_or_else(|| panic!("{what}: no {kind} in {answer}"));
            assert!(!found["message"].as_str().unwrap_or_default().is_empty(), "{what}");
            if kind != "non_finite_coordinate" && kind != "duplicate_code" {
                assert!(found["point"].is_array() || found["geometry"].is_object(), "{what}: no location: {found}");
            }
        }
        assert_eq!(c.state.store.current_generation().await.unwrap(), 0);
        assert_eq!(locate(&c, EAST).await, GRID);
        // A coordinate system other than CGCS2000/WGS84/GCJ-02/BD-09 is refused with the reason.
        let mut other = draft(0, vec![grid(GRID, whole())], "x");
        other["crs"] = json!("EPSG:3857");
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&other)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        // The same draft unchanged is publishable; a dispatcher may not publish it.
        let same = draft(0, vec![grid(GRID, whole())], "不变");
        let (status, answer) = call(&c.app, &c.county, Method::POST, "/api/v1/drafts/publish", Some(&same)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&same)).await;
        assert_eq!((status, answer["publishable"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    }

    #[tokio::test]
    async fn whole_county_drafts_are_checked_against_the_county_as_last_validated() {
        let c = county().await;
        assert!(c.state.catalog.load().baseline().is_none(), "nothing validated yet");
        // A first check of the whole county starts the live grids' validation as a whole.
        let unchanged = county_draft(&c, 0, "不变").await;
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&unchanged)).await;
        assert_eq!((status, answer["publishable"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
        let waited = std::time::Instant::now();
        while c.state.catalog.load().baseline().is_none() {
            assert!(waited.elapsed() < std::time::Duration::from_secs(20), "the live grids were not validated");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Checked against it, a grid left out is still a gap where it was, and a grid reshaped
        // over its neighbour an overlap.
        let mut holed = unchanged.clone();
        let gone = holed["grids"]["features"].as_array_mut().unwrap().remove(0);
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&holed)).await;
        assert_eq!((status, answer["publishable"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
        let kinds: Vec<&str> = answer["problems"].as_array().unwrap().iter().filter_map(|p| p["kind"].as_str()).collect();
        assert!(kinds.contains(&"gap"), "{} left out: {answer}", gone["properties"]["code"]);
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&holed)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let mut grown = county_draft(&c, 0, "扩大").await;
        let village = grown["grids"]["features"].as_array_mut().unwrap().iter_mut().find(|f| f["properties"]["code"] == GRID).unwrap();
        village["geometry"] = square(115.49, 115.52, 40.41, 40.42);
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&grown)).await;
        assert_eq!((status, answer["publishable"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
        // A publication of the whole county leaves the new grids' baseline with them.
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&unchanged)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert!(c.state.catalog.load().baseline().is_some(), "published as a whole: validated as a whole");
        // One of a village does not (the county as a whole is validated again when needed).
        let village = draft(1, vec![grid(GRID, square(115.5, 115.52, 40.41, 40.42))], "村");
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/publish", Some(&village)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert!(c.state.catalog.load().baseline().is_none());
        let (status, answer) = call(&c.app, &c.planner, Method::POST, "/api/v1/drafts/check", Some(&holed)).await;
        assert_eq!((status, answer["publishable"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
    }
}
