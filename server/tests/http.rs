//! HTTP tests: the API driven through `app(state).oneshot(..)` on a throwaway data directory
//! loaded from the mini fixture (2 townships, 3 villages, 5 grids with one street unit).
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::Db;
use tower::ServiceExt;
use wangge_server::{app, state_from_config, AppState};

#[macro_use]
mod support;

const STREET_UNIT: &str = "130730100001Z01";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

async fn start(db: &Db, geodata_dir: &Path) -> AppState {
    state_from_config(&db.config(geodata_dir)).await.expect("service starts")
}

/// A fresh service on its own throwaway database; keep the Db alive for the test's duration.
async fn fresh() -> (Db, Router) {
    let db = Db::new().await;
    let state = start(&db, &fixture()).await;
    let app = support::county_app(&state).await;
    (db, app)
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {bytes:?}"))
    };
    Reply { status, content_type, body }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn post_json(app: &Router, uri: &str, body: impl Into<Body>) -> Reply {
    let request = Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(body.into());
    send(app, request.expect("request")).await
}

/// `POST /api/v1/locate` with `text/csv`: the raw answer's status, media type and text.
async fn post_csv(app: &Router, body: String, accept: &str) -> (StatusCode, String, String) {
    let request = Request::post("/api/v1/locate")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::ACCEPT, accept)
        .body(Body::from(body))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let media = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, media, String::from_utf8(bytes.to_vec()).expect("UTF-8"))
}

/// Asserts a problem+json answer with this status whose detail contains `needle`.
fn assert_problem(reply: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(reply.status, status, "body: {}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["status"], status.as_u16());
    assert!(reply.body["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(reply.body["title"].is_string());
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "detail {detail:?} lacks {needle:?}");
}

fn locate_uri(lon: f64, lat: f64) -> String {
    format!("/api/v1/locate?lon={lon}&lat={lat}")
}

/// 10,000 points over and around the fixture, from a fixed-seed generator.
fn scattered_points(n: usize) -> Vec<[f64; 2]> {
    let mut state: u64 = 0x5eed_2026;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| [115.49 + 0.06 * next(), 40.395 + 0.03 * next()]).collect()
}

fn codes(reply: &Reply) -> Vec<String> {
    let features = reply.body["features"].as_array().expect("features");
    features.iter().map(|f| f["properties"]["code"].as_str().unwrap_or_default().to_owned()).collect()
}

backend_tests! {
    #[tokio::test]
    async fn locates_a_point_inside_a_grid_with_its_divisions() {
        let (_dir, app) = fresh().await;
        let r = get(&app, &locate_uri(115.515, 40.405)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!({
                "grid": {"code": "130730100001002", "name": "东关社区第二网格", "kind": "community"},
                "village": {"code": "130730100001", "name": "东关社区"},
                "township": {"code": "130730100", "name": "沙城镇"},
            })
        );
        let r = get(&app, &locate_uri(115.53, 40.41)).await;
        assert_eq!(r.body["grid"]["code"], "130730200201001");
        assert_eq!(r.body["township"]["name"], "狼山乡");
    }

    #[tokio::test]
    async fn a_point_on_a_shared_edge_belongs_to_the_grid_east_of_it() {
        let (_dir, app) = fresh().await;
        assert_eq!(get(&app, &locate_uri(115.51, 40.405)).await.body["grid"]["code"], "130730100001002");
        assert_eq!(get(&app, &locate_uri(115.5099, 40.405)).await.body["grid"]["code"], "130730100001001");
    }

    #[tokio::test]
    async fn a_point_in_a_street_unit_gets_the_street_unit_not_the_community_grid() {
        let (_dir, app) = fresh().await;
        let r = get(&app, &locate_uri(115.504, 40.404)).await;
        assert_eq!(r.body["grid"], json!({"code": STREET_UNIT, "name": "东关社区驻街单位01", "kind": "street_unit"}));
        assert_eq!(r.body["village"]["code"], "130730100001");
        let beside = get(&app, &locate_uri(115.507, 40.404)).await;
        assert_eq!(beside.body["grid"]["code"], "130730100001001");
    }

    #[tokio::test]
    async fn a_point_outside_the_county_gets_the_nearest_grid_and_its_distance() {
        let (_dir, app) = fresh().await;
        let r = get(&app, &locate_uri(115.45, 40.405)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["grid"], Value::Null);
        assert_eq!(r.body["village"], Value::Null);
        assert_eq!(r.body["township"], Value::Null);
        assert_eq!(r.body["nearest"]["code"], "130730100001001");
        // 0.05° of longitude west of the county at 40.4°N.
        let (per_lon, _) = wangge_core::coord::metres_per_degree(40.405);
        let expected = 0.05 * per_lon;
        let got = r.body["nearest"]["distance_m"].as_f64().expect("distance");
        assert!((got - expected).abs() < expected * 0.01, "distance {got} m, expected about {expected} m");
    }

    #[tokio::test]
    async fn bad_coordinates_are_400_problems_with_the_reason() {
        let (_dir, app) = fresh().await;
        let cases = [
            ("lon=NaN&lat=40.4", "lon is not a finite number"),
            ("lon=115.5&lat=inf", "lat is not a finite number"),
            ("lon=1e999&lat=40.4", "lon is not a finite number"),
            ("lon=abc&lat=40.4", "lon \"abc\" is not a number"),
            ("lon=&lat=40.4", "is not a number"),
            ("lon=115.5", "lat is missing"),
            ("", "lon is missing"),
            ("lon=115.5&lat=95", "lat 95 is out of range [-90, 90]"),
            ("lon=-181&lat=40", "lon -181 is out of range [-180, 180]"),
            ("lon=115.5&lat=40.4&x=1", "unknown field"),
            ("lon=115.5&lon=116&lat=40.4", "duplicate field"),
        ];
        for (query, reason) in cases {
            let r = get(&app, &format!("/api/v1/locate?{query}")).await;
            assert_problem(&r, StatusCode::BAD_REQUEST, reason);
        }
    }

    #[tokio::test]
    async fn bulk_locate_of_10000_points_matches_single_answers_in_order() {
        let (_dir, app) = fresh().await;
        let points = scattered_points(10_000);
        let r = post_json(&app, "/api/v1/locate", json!({ "points": points }).to_string()).await;
        assert_eq!(r.status, StatusCode::OK);
        let results = r.body["results"].as_array().expect("results");
        assert_eq!(results.len(), points.len());
        let (mut inside, mut outside, mut street) = (0, 0, 0);
        for (i, (p, bulk)) in points.iter().zip(results).enumerate() {
            let single = get(&app, &locate_uri(p[0], p[1])).await;
            assert_eq!(&single.body, bulk, "point {i} {p:?}");
            match bulk["grid"]["code"].as_str() {
                Some(STREET_UNIT) => street += 1,
                Some(_) => inside += 1,
                None => outside += 1,
            }
        }
        // The sample really exercises every kind of answer.
        assert!(inside > 1000 && outside > 1000 && street > 10, "{inside} inside, {outside} outside, {street} street");
    }

    #[tokio::test]
    async fn bulk_locate_in_csv_answers_the_same_codes_in_order() {
        let (_dir, app) = fresh().await;
        let points = scattered_points(5_000);
        let json_answer = post_json(&app, "/api/v1/locate", json!({ "points": points }).to_string()).await;
        let results = json_answer.body["results"].as_array().expect("results").clone();
        let csv: String = std::iter::once("lon,lat\r\n".to_owned())
            .chain(points.iter().map(|p| format!("{},{}\r\n", p[0], p[1])))
            .collect();
        let (status, media, text) = post_csv(&app, csv.clone(), "text/csv").await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(media, "text/csv; charset=utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), points.len());
        let (mut inside, mut outside) = (0, 0);
        for (i, (line, r)) in lines.iter().zip(&results).enumerate() {
            let code = |k: &str| r[k]["code"].as_str().unwrap_or_default().to_owned();
            let expected = format!("{},{},{}", code("grid"), code("village"), code("township"));
            assert_eq!(*line, expected, "point {i}");
            if r["grid"].is_null() { outside += 1 } else { inside += 1 }
        }
        assert!(inside > 500 && outside > 500, "{inside} inside, {outside} outside");
        // CSV in, JSON out (no Accept for CSV): the JSON answer.
        let (status, media, text) = post_csv(&app, csv, "application/json").await;
        assert_eq!((status, media.as_str()), (StatusCode::OK, "application/json"));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["results"], Value::Array(results));
    }

    #[tokio::test]
    async fn bulk_locate_in_csv_names_the_bad_line_and_counts_points() {
        let (_dir, app) = fresh().await;
        for (body, status, needle) in [
            ("115.5,40.41\n115.5;40.41\n", StatusCode::BAD_REQUEST, "line 2: expected lon,lat"),
            ("115.5,40.41\n\n115.5,40.41\n", StatusCode::BAD_REQUEST, "line 2"),
            ("115.5,north\n", StatusCode::BAD_REQUEST, "line 1"),
            ("115.5,95\n", StatusCode::BAD_REQUEST, "point 1: lat 95 is out of range"),
        ] {
            let (got, media, text) = post_csv(&app, body.to_owned(), "text/csv").await;
            assert_eq!(got, status, "{body:?}: {text}");
            assert_eq!(media, "application/problem+json");
            assert!(text.contains(needle), "{body:?}: {text}");
        }
        let (status, _, text) = post_csv(&app, "115.5,40.41\n".repeat(100_001), "text/csv").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        let (status, _, text) = post_csv(&app, "115.5,40.41\n".repeat(100_000), "text/csv").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(text.lines().count(), 100_000);
    }

    #[tokio::test]
    async fn bulk_locate_names_the_bad_point() {
        let (_dir, app) = fresh().await;
        let mut points: Vec<Value> = (0..20).map(|_| json!([115.5, 40.41])).collect();
        points[17] = json!([115.5, 95]);
        let r = post_json(&app, "/api/v1/locate", json!({ "points": points }).to_string()).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "points[17]: lat 95 is out of range");
        points[17] = json!([115.5, 40.41]);
        points[3] = json!(["115.5", 40.41]);
        let r = post_json(&app, "/api/v1/locate", json!({ "points": points }).to_string()).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "points[3]: expected [lon, lat]");
        points[3] = json!([115.5]);
        let r = post_json(&app, "/api/v1/locate", json!({ "points": points }).to_string()).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, "points[3]");
    }

    #[tokio::test]
    async fn bulk_locate_refuses_too_many_points_and_oversized_bodies() {
        let (_dir, app) = fresh().await;
        let body = format!("{{\"points\":[{}]}}", vec!["[115.5,40.41]"; 100_001].join(","));
        let r = post_json(&app, "/api/v1/locate", body).await;
        assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "too many points: 100001");
        let padding = " ".repeat(9 * 1024 * 1024);
        let r = post_json(&app, "/api/v1/locate", format!("{{\"points\":[{padding}]}}")).await;
        assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "");
    }

    #[tokio::test]
    async fn bulk_locate_refuses_malformed_bodies_as_problems() {
        let (_dir, app) = fresh().await;
        assert_problem(&post_json(&app, "/api/v1/locate", "{\"points\": [[1,2]").await, StatusCode::BAD_REQUEST, "");
        assert_problem(&post_json(&app, "/api/v1/locate", "{\"pts\": []}").await, StatusCode::BAD_REQUEST, "");
        assert_problem(&post_json(&app, "/api/v1/locate", "{\"points\": [[1e999, 2]]}").await, StatusCode::BAD_REQUEST, "");
        let plain = Request::post("/api/v1/locate").body(Body::from("{\"points\": []}")).expect("request");
        assert_problem(&send(&app, plain).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "");
        let empty = post_json(&app, "/api/v1/locate", "{\"points\": []}").await;
        assert_eq!(empty.body, json!({"results": []}));
    }

    #[tokio::test]
    async fn grids_are_a_feature_collection_with_their_attributes() {
        let (_dir, app) = fresh().await;
        let r = get(&app, "/api/v1/grids").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.content_type, "application/geo+json");
        assert_eq!(r.body["type"], "FeatureCollection");
        assert!(r.body["note"].as_str().is_some_and(|n| n.contains("illustrative")));
        assert_eq!(codes(&r).len(), 5);
        let su = &r.body["features"].as_array().expect("features")[2];
        assert_eq!(su["geometry"]["type"], "MultiPolygon");
        assert_eq!(
            su["properties"],
            json!({
                "code": STREET_UNIT, "name": "东关社区驻街单位01", "kind": "street_unit",
                "village_code": "130730100001", "village_name": "东关社区",
                "township_code": "130730100", "township_name": "沙城镇",
                "parent_grid": "130730100001001", "area_km2": 0.15,
            })
        );
    }

    #[tokio::test]
    async fn grids_can_be_filtered_by_division_kind_and_bbox() {
        let (_dir, app) = fresh().await;
        let cases: [(&str, &[&str]); 7] = [
            ("township=130730200", &["130730200201001"]),
            ("village=130730100001", &["130730100001001", "130730100001002", STREET_UNIT]),
            ("kind=street_unit", &[STREET_UNIT]),
            ("kind=rural&township=130730100", &["130730100201001"]),
            ("bbox=115.503,40.403,115.504,40.404", &["130730100001001", STREET_UNIT]),
            ("bbox=115.525,40.405,115.6,40.5", &["130730200201001"]),
            ("bbox=116,41,116.1,41.1", &[]),
        ];
        for (query, expected) in cases {
            let r = get(&app, &format!("/api/v1/grids?{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{query}");
            assert_eq!(codes(&r), expected, "{query}");
        }
        let unknown = get(&app, "/api/v1/grids?township=130730999").await;
        assert_eq!(codes(&unknown), Vec::<String>::new());
    }

    #[tokio::test]
    async fn garbled_grid_filters_are_400_problems() {
        let (_dir, app) = fresh().await;
        let cases = [
            ("township=abc", "township must be a 9-digit division code"),
            ("village=13073010000", "village must be a 12-digit division code"),
            ("kind=urban", "kind must be community, rural or street_unit"),
            ("bbox=1,2,3", "bbox: expected minLon,minLat,maxLon,maxLat"),
            ("bbox=115,40,116,95", "bbox: lat 95 is out of range"),
            ("bbox=115,40,x,41", "bbox: \"x\" is not a number"),
            ("bbox=116,40,115,41", "bbox: min must not exceed max"),
            ("colour=red", "unknown field"),
        ];
        for (query, reason) in cases {
            assert_problem(&get(&app, &format!("/api/v1/grids?{query}")).await, StatusCode::BAD_REQUEST, reason);
        }
    }

    #[tokio::test]
    async fn one_grid_by_code_and_404s() {
        let (_dir, app) = fresh().await;
        let r = get(&app, &format!("/api/v1/grids/{STREET_UNIT}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["type"], "Feature");
        assert_eq!(r.body["id"], STREET_UNIT);
        assert_eq!(r.body["properties"]["parent_grid"], "130730100001001");
        let ring = &r.body["geometry"]["coordinates"][0][0];
        assert_eq!(ring[0], json!([115.502, 40.402]));
        assert_problem(&get(&app, "/api/v1/grids/130730100001009").await, StatusCode::NOT_FOUND, "130730100001009");
        assert_problem(&get(&app, "/api/v1/nowhere").await, StatusCode::NOT_FOUND, "/api/v1/nowhere");
        assert_problem(&get(&app, "/").await, StatusCode::NOT_FOUND, "");
        let delete = Request::builder().method(Method::DELETE).uri("/api/v1/grids").body(Body::empty());
        assert_problem(&send(&app, delete.expect("request")).await, StatusCode::METHOD_NOT_ALLOWED, "DELETE");
    }

    #[tokio::test]
    async fn divisions_tree_counts_villages_and_grids() {
        let (_dir, app) = fresh().await;
        let r = get(&app, "/api/v1/divisions").await;
        assert_eq!(r.status, StatusCode::OK);
        let b = &r.body;
        assert_eq!(b["county"], json!({"code": "130730", "name": "怀来县"}));
        assert_eq!(
            b["totals"],
            json!({
                "townships": 2, "villages": 3, "villages_by_kind": {"village": 2, "community": 1},
                "grids": 5, "grids_by_kind": {"community": 2, "rural": 2, "street_unit": 1},
            })
        );
        let shacheng = &b["townships"][0];
        assert_eq!((&shacheng["code"], &shacheng["name"]), (&json!("130730100"), &json!("沙城镇")));
        assert_eq!((&shacheng["village_count"], &shacheng["grid_count"]), (&json!(2), &json!(4)));
        assert_eq!(
            shacheng["villages"][0],
            json!({"code": "130730100001", "name": "东关社区", "kind": "community", "area_km2": 1.875,
                   "grid_count": 3, "street_unit_count": 1})
        );
        let langshan = &b["townships"][1];
        assert_eq!((&langshan["village_count"], &langshan["grid_count"]), (&json!(1), &json!(1)));
    }

    #[tokio::test]
    async fn healthz_reports_the_grid_count() {
        let (_dir, app) = fresh().await;
        let r = get(&app, "/healthz").await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({"status": "ok", "grids": 5})));
    }

    #[tokio::test]
    async fn restart_on_the_same_database_keeps_the_data_and_does_not_reload() {
        let db = Db::new().await;
        let first = start(&db, &fixture()).await;
        let loaded = first.store.dataset().await.expect("dataset").expect("loaded on first run");
        first.store.close().await;
        drop(first);
        if db.backend() == support::Backend::Sqlite {
            assert!(db.data_dir().join("wangge.db").is_file());
        }

        // The geodata files are gone: a restart must not need (or read) them.
        let second = start(&db, &db.data_dir().join("no-such-geodata")).await;
        assert_eq!(second.store.dataset().await.expect("dataset"), Some(loaded));
        let app = support::county_app(&second).await;
        assert_eq!(get(&app, "/healthz").await.body["grids"], 5);
        assert_eq!(get(&app, &locate_uri(115.504, 40.404)).await.body["grid"]["code"], STREET_UNIT);
    }

    #[tokio::test]
    async fn a_broken_geodata_dir_stores_nothing_and_start_up_fails_with_the_reason() {
        let broken = tempfile::TempDir::new().expect("temp dir");
        for file in ["townships.geojson", "villages.geojson", "grids.geojson"] {
            let mut text = std::fs::read_to_string(fixture().join(file)).expect("fixture");
            if file == "grids.geojson" {
                // The last grid names a village that does not exist.
                text = text.replace("\"village_code\": \"130730200201\"", "\"village_code\": \"130730200299\"");
            }
            std::fs::write(broken.path().join(file), text).expect("write");
        }
        let db = Db::new().await;
        let err = state_from_config(&db.config(broken.path())).await.expect_err("refused");
        let message = wangge_server::logging::error_chain(&err);
        assert!(message.contains("grid 130730200201001: village_code 130730200299 does not exist"), "{message}");

        // Nothing was stored: the next start with good files loads them.
        let state = start(&db, &fixture()).await;
        assert_eq!(get(&app(state), "/healthz").await.body["grids"], 5);
    }
}

#[tokio::test]
async fn an_unreachable_postgres_server_is_refused_with_the_reason_and_no_password() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let config = wangge_server::Config {
        database_url: Some("postgres://postgres:s3cret@127.0.0.1:1/nowhere".into()),
        ..wangge_server::Config::with_dirs(dir.path(), fixture())
    };
    let err = state_from_config(&config).await.expect_err("refused");
    let message = wangge_server::logging::error_chain(&err);
    assert!(message.contains("cannot open the database"), "{message}");
    assert!(!message.contains("s3cret"), "no password in the message: {message}");
}
