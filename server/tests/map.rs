//! HTTP tests of what the map frontend reads: the boundary layers, the heatmap and the
//! choropleth of posted reports, search, the live queue over a real socket, and the frontend
//! files served at `/`. Every test runs on SQLite and on PostGIS.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use wangge_core::calendar::china_time;
use wangge_core::LonLat;
use support::Db;
use wangge_server::{state_from_config, AppState, Clock, Config};

#[macro_use]
mod support;

/// 东关社区第一网格 (community grid around the street unit).
const G1: &str = "130730100001001";
/// 东关社区第二网格.
const G2: &str = "130730100001002";
/// 狼山村第一网格, in the other township.
const LANGSHAN: &str = "130730200201001";
/// A point in G1 outside the street unit.
const IN_G1: (f64, f64) = (115.508, 40.408);
/// A point in G2.
const IN_G2: (f64, f64) = (115.515, 40.405);
/// A point in 狼山村第一网格.
const IN_LANGSHAN: (f64, f64) = (115.53, 40.41);
/// Every grid of the mini fixture.
const GRIDS: [&str; 5] = [G1, G2, "130730100001Z01", "130730100201001", LANGSHAN];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// 09:00 China time on 2025-03-03, a Monday.
fn monday() -> DateTime<Utc> {
    china_time().with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap().with_timezone(&Utc)
}

struct Service {
    _db: Db,
    state: AppState,
    app: Router,
}

async fn start(db: Db, config: Config) -> Service {
    let mut state = state_from_config(&config).await.expect("service starts");
    state.clock = Clock::fixed(monday());
    let app = support::county_app(&state).await;
    Service { _db: db, state, app }
}

async fn fresh() -> Service {
    let db = Db::new().await;
    let config = db.config(fixture());
    start(db, config).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {:?}", self.status, self.bytes))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, bytes }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn ok_json(app: &Router, uri: &str) -> Value {
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {:?}", r.bytes);
    r.json()
}

async fn post(app: &Router, uri: &str, body: &Value) -> Reply {
    let request = Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()));
    send(app, request.expect("request")).await
}

fn assert_problem(reply: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.bytes);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let body = reply.json();
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "detail {detail:?} lacks {needle:?}");
}

/// Posts a resident's report and answers its event id.
async fn report(app: &Router, id: &str, category: &str, at: (f64, f64)) -> String {
    let body = json!({
        "report_id": id,
        "category": category,
        "description": "测试上报",
        "location": {"lon": at.0, "lat": at.1},
        "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"},
        "channel": "web",
    });
    let r = post(app, "/api/v1/reports", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.bytes);
    r.json()["event_id"].as_str().expect("event id").to_owned()
}

/// Three hazards and a dispute in 沙城镇, a livelihood report in 狼山乡.
async fn some_reports(app: &Router) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, (category, at)) in
        [("hazard", IN_G1), ("hazard", IN_G1), ("hazard", IN_G2), ("dispute", IN_G1), ("livelihood", IN_LANGSHAN)]
            .into_iter()
            .enumerate()
    {
        ids.push(report(app, &format!("r-{i}"), category, at).await);
    }
    ids
}

/// `/api/v1/search` with `q` (and more) encoded.
fn search_uri(q: &str, more: &str) -> String {
    format!("/api/v1/search?{}{more}", serde_urlencoded::to_string([("q", q)]).unwrap())
}

fn has_six_decimals_at_most(v: f64) -> bool {
    ((v * 1e6).round() / 1e6 - v).abs() == 0.0
}

/// Every position of a GeoJSON geometry's coordinates.
fn positions(value: &Value, out: &mut Vec<(f64, f64)>) {
    match value.as_array() {
        Some(a) if a.len() == 2 && a.iter().all(Value::is_number) => {
            out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
        }
        Some(a) => a.iter().for_each(|v| positions(v, out)),
        None => {}
    }
}

backend_tests! {
    #[tokio::test]
    async fn layers_are_compact_valid_geojson_with_labels_and_etags() {
        let s = fresh().await;
        let expected = [("townships", 2, vec!["code", "label_lat", "label_lon", "name"]),
            ("villages", 3, vec!["code", "kind", "label_lat", "label_lon", "name", "township_code"]),
            ("grids", 5, vec!["area_km2", "code", "kind", "label_lat", "label_lon", "name", "township_code", "village_code"])];
        for (layer, count, keys) in expected {
            let uri = format!("/api/v1/map/{layer}.geojson");
            let r = get(&s.app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            assert_eq!(r.header("content-type"), "application/geo+json");
            assert_eq!(r.header("cache-control"), "private, no-cache");
            let etag = r.header("etag").to_owned();
            assert!(etag.starts_with('"') && etag.len() > 2, "{etag:?}");
            let text = std::str::from_utf8(&r.bytes).unwrap();
            let collection: geojson::FeatureCollection = text.parse().unwrap_or_else(|e| panic!("{layer}: {e}"));
            assert_eq!(collection.features.len(), count, "{layer}");
            let v = r.json();
            for f in v["features"].as_array().unwrap() {
                let props = f["properties"].as_object().unwrap();
                let mut got: Vec<&str> = props.keys().map(String::as_str).collect();
                got.sort_unstable();
                assert_eq!(got, keys, "{layer}");
                assert_eq!(f["geometry"]["type"], "MultiPolygon");
                let mut all = Vec::new();
                positions(&f["geometry"]["coordinates"], &mut all);
                assert!(all.len() >= 4);
                assert!(all.iter().all(|&(x, y)| has_six_decimals_at_most(x) && has_six_decimals_at_most(y)), "{layer}: {all:?}");
                // The label is inside the feature's box.
                let (lx, ly) = (props["label_lon"].as_f64().unwrap(), props["label_lat"].as_f64().unwrap());
                let (min_x, max_x) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
                let (min_y, max_y) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
                assert!(lx > min_x && lx < max_x && ly > min_y && ly < max_y, "{layer} label ({lx}, {ly})");
            }
            if layer == "grids" {
                let codes: BTreeSet<&str> = v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
                assert_eq!(codes, GRIDS.into_iter().collect());
                let street = v["features"].as_array().unwrap().iter().find(|f| f["id"] == "130730100001Z01").unwrap();
                assert_eq!(street["properties"]["kind"], "street_unit");
                assert_eq!(street["properties"]["village_code"], "130730100001");
            }
            // The same version again: 304 without a body; another tag: the layer.
            let request = Request::get(&uri).header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
            let again = send(&s.app, request).await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED);
            assert!(again.bytes.is_empty());
            assert_eq!(again.header("etag"), etag);
            let request = Request::get(&uri).header(header::IF_NONE_MATCH, "\"other\"").body(Body::empty()).unwrap();
            assert_eq!(send(&s.app, request).await.status, StatusCode::OK);
            // Gzipped for clients that take it: the same text, its own tag.
            let request = Request::get(&uri).header(header::ACCEPT_ENCODING, "gzip, br").body(Body::empty()).unwrap();
            let zipped = send(&s.app, request).await;
            assert_eq!((zipped.header("content-encoding"), zipped.header("vary")), ("gzip", "accept-encoding"));
            assert_ne!(zipped.header("etag"), etag);
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped.bytes[..]), &mut text).unwrap();
            assert_eq!(text, r.bytes);
            let gz_etag = zipped.header("etag").to_owned();
            let request = Request::get(&uri).header(header::ACCEPT_ENCODING, "gzip").header(header::IF_NONE_MATCH, &gz_etag);
            assert_eq!(send(&s.app, request.body(Body::empty()).unwrap()).await.status, StatusCode::NOT_MODIFIED);
        }
        // A reload of the grids rebuilds the layers; unchanged grids keep their tag.
        let before = get(&s.app, "/api/v1/map/grids.geojson").await.header("etag").to_owned();
        wangge_server::grids::live::reload_grids(&s.state.store, &s.state.live_grids()).await.expect("reload");
        assert_eq!(get(&s.app, "/api/v1/map/grids.geojson").await.header("etag"), before);
    }

    #[tokio::test]
    async fn heat_answers_posted_reports_as_points_and_refuses_bad_parameters() {
        let s = fresh().await;
        let empty = ok_json(&s.app, "/api/v1/map/heat").await;
        assert_eq!(empty, json!({"mode": "points", "total": 0, "cell_deg": null, "points": []}));
        some_reports(&s.app).await;

        // Default categories: hazard and dispute.
        let h = ok_json(&s.app, "/api/v1/map/heat?from=2025-03-03&to=2025-03-03").await;
        assert_eq!((&h["mode"], &h["total"]), (&json!("points"), &json!(4)));
        let mut points: Vec<(f64, f64, f64)> =
            h["points"].as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap(), p[2].as_f64().unwrap())).collect();
        points.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let g1 = (IN_G1.0, IN_G1.1, 1.0);
        assert_eq!(points, vec![g1, g1, g1, (IN_G2.0, IN_G2.1, 1.0)]);

        let livelihood = ok_json(&s.app, "/api/v1/map/heat?category=livelihood").await;
        assert_eq!(livelihood["points"], json!([[IN_LANGSHAN.0, IN_LANGSHAN.1, 1.0]]));
        let all = ok_json(&s.app, "/api/v1/map/heat?category=livelihood,hazard,dispute,other&cell=0.01").await;
        assert_eq!(all["total"], 5);
        let langshan = ok_json(&s.app, "/api/v1/map/heat?category=livelihood,hazard&township=130730200").await;
        assert_eq!(langshan["total"], 1);
        // Outside the period: nothing.
        assert_eq!(ok_json(&s.app, "/api/v1/map/heat?from=2025-03-04").await["total"], 0);
        assert_eq!(ok_json(&s.app, "/api/v1/map/heat?to=2025-03-02").await["total"], 0);

        let bad = [
            ("/api/v1/map/heat?cell=1", "cell must be"),
            ("/api/v1/map/heat?cell=0.0001", "cell must be"),
            ("/api/v1/map/heat?category=fire", "category must be"),
            ("/api/v1/map/heat?from=2025-03-04&to=2025-03-03", "is after"),
            ("/api/v1/map/heat?from=03/03/2025", "from must be a date"),
            ("/api/v1/map/heat?township=%E6%B2%99", "township must be"),
            ("/api/v1/map/heat?zoom=3", "zoom"),
        ];
        for (uri, needle) in bad {
            assert_problem(&get(&s.app, uri).await, StatusCode::BAD_REQUEST, needle);
        }
    }

    #[tokio::test]
    async fn the_choropleth_counts_posted_reports_in_every_grid() {
        let s = fresh().await;
        some_reports(&s.app).await;
        let counts = |c: &Value| -> Vec<(String, u64)> {
            c["grids"].as_array().unwrap().iter().map(|g| (g["code"].as_str().unwrap().to_owned(), g["count"].as_u64().unwrap())).collect()
        };
        let c = ok_json(&s.app, "/api/v1/map/choropleth").await;
        let expected: Vec<(String, u64)> =
            GRIDS.iter().map(|g| (g.to_string(), match *g { G1 => 3, G2 => 1, _ => 0 })).collect();
        let mut got = counts(&c);
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(c["max_count"], 3);
        let g1 = c["grids"].as_array().unwrap().iter().find(|g| g["code"] == G1).unwrap();
        let area = 0.937;
        assert!((g1["per_km2"].as_f64().unwrap() - 3.0 / area).abs() < 1e-6, "{g1}");
        assert!(c["max_per_km2"].as_f64().unwrap() >= g1["per_km2"].as_f64().unwrap());

        let livelihood = ok_json(&s.app, "/api/v1/map/choropleth?category=livelihood&from=2025-03-01&to=2025-03-31").await;
        let got = counts(&livelihood);
        assert_eq!(got.iter().filter(|(_, n)| *n > 0).collect::<Vec<_>>(), vec![&(LANGSHAN.to_owned(), 1)]);
        // One township: only its grids.
        let one = ok_json(&s.app, "/api/v1/map/choropleth?township=130730200&category=livelihood").await;
        assert_eq!(counts(&one), vec![(LANGSHAN.to_owned(), 1)]);
        assert_problem(&get(&s.app, "/api/v1/map/choropleth?cell=0.01").await, StatusCode::BAD_REQUEST, "cell");
    }

    #[tokio::test]
    async fn search_finds_divisions_grids_events_and_coordinates() {
        let s = fresh().await;
        let ids = some_reports(&s.app).await;
        let hits = |v: &Value| -> Vec<(String, String)> {
            v["hits"].as_array().unwrap().iter().map(|h| (h["kind"].as_str().unwrap().to_owned(), h["code"].as_str().unwrap().to_owned())).collect()
        };

        // By name: the township, its village and the village's grid.
        let v = ok_json(&s.app, &search_uri("狼山", "")).await;
        let expected = [("township", "130730200"), ("village", "130730200201"), ("grid", LANGSHAN)];
        assert_eq!(hits(&v), expected.map(|(k, c)| (k.to_owned(), c.to_owned())).to_vec());
        assert_eq!(v["hits"][0]["bbox"], json!([115.52, 40.4, 115.54, 40.42]));
        assert_eq!(v["hits"][2]["bbox"], json!([115.52, 40.4, 115.54, 40.42]));
        // By code prefix: 东关社区 and its three grids.
        let v = ok_json(&s.app, "/api/v1/search?q=130730100001").await;
        assert_eq!(hits(&v).iter().filter(|(k, _)| k == "grid").count(), 3);
        assert_eq!(hits(&v)[0], ("village".to_owned(), "130730100001".to_owned()));
        assert_eq!(v["hits"][0]["name"], "东关社区");
        assert_eq!(ok_json(&s.app, "/api/v1/search?q=1307&limit=2").await["hits"].as_array().unwrap().len(), 2);

        // An event by id: where it is and its grid.
        let v = ok_json(&s.app, &format!("/api/v1/search?q={}", ids[0])).await;
        assert_eq!(hits(&v), vec![("event".to_owned(), ids[0].clone())]);
        assert_eq!(v["hits"][0]["point"], json!([IN_G1.0, IN_G1.1]));
        assert_eq!(v["hits"][0]["grid"], G1);
        assert_eq!(ok_json(&s.app, "/api/v1/search?q=E20250303-999999").await["hits"], json!([]));

        // Coordinates, in CGCS2000 and from a GCJ-02 map.
        for q in ["115.508,40.408", "115.508%2040.408", "115.508%2C%2040.408"] {
            let v = ok_json(&s.app, &format!("/api/v1/search?q={q}")).await;
            let hit = &v["hits"][0];
            assert_eq!((&hit["kind"], &hit["grid"], &hit["name"]), (&json!("point"), &json!(G1), &json!("东关社区第一网格")), "{q}");
            assert_eq!(hit["point"], json!([IN_G1.0, IN_G1.1]));
        }
        let gcj = LonLat::new(IN_G1.0, IN_G1.1).unwrap().to_gcj02();
        assert!((gcj.lon - IN_G1.0).abs() > 1e-3, "GCJ-02 is shifted here");
        let v = ok_json(&s.app, &format!("/api/v1/search?q={},{}&crs=gcj02", gcj.lon, gcj.lat)).await;
        let hit = &v["hits"][0];
        assert_eq!(hit["grid"], G1);
        let (lon, lat) = (hit["point"][0].as_f64().unwrap(), hit["point"][1].as_f64().unwrap());
        assert!((lon - IN_G1.0).abs() < 2e-6 && (lat - IN_G1.1).abs() < 2e-6, "({lon}, {lat})");
        // Outside the county: the point without a grid.
        let v = ok_json(&s.app, "/api/v1/search?q=116.0,41.0").await;
        assert_eq!((&v["hits"][0]["kind"], &v["hits"][0]["grid"]), (&json!("point"), &Value::Null));

        let long = "沙".repeat(101);
        let bad = [
            ("/api/v1/search".to_owned(), "q is required"),
            ("/api/v1/search?q=%20%20".to_owned(), "q is required"),
            (search_uri(&long, ""), "at most 100"),
            ("/api/v1/search?q=x&limit=0".to_owned(), "limit must be"),
            ("/api/v1/search?q=x&limit=101".to_owned(), "limit must be"),
            ("/api/v1/search?q=x&crs=utm".to_owned(), "crs must be"),
            ("/api/v1/search?q=200,40".to_owned(), "q:"),
        ];
        for (uri, needle) in bad {
            assert_problem(&get(&s.app, &uri).await, StatusCode::BAD_REQUEST, needle);
        }
    }

    #[tokio::test]
    async fn the_live_queue_streams_a_report_and_its_transition() {
        let s = fresh().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(axum::serve(listener, s.app.clone()).into_future());

        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = "GET /api/v1/events/stream?township=130730100 HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n";
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut seen = String::new();
        read_until(&mut socket, &mut seen, "\r\n\r\n").await;
        let head = seen.to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{seen}");
        assert!(head.contains("content-type: text/event-stream"), "{seen}");
        assert!(head.contains("cache-control: no-store"), "{seen}");

        // A report in the other township is not for this subscriber; one here is.
        report(&s.app, "elsewhere", "livelihood", IN_LANGSHAN).await;
        let id = report(&s.app, "here", "hazard", IN_G1).await;
        let message = sse_data(&mut socket, &mut seen, "created").await;
        assert_eq!(message["event"]["event_id"], id.as_str());
        assert_eq!(message["event"]["reporter"]["name"], "张**", "personal data masked");
        assert!(!seen.contains("13987654321") && !seen.contains("张三丰"));
        assert!(!seen.contains("elsewhere"), "{seen}");

        let r = post(&s.app, &format!("/api/v1/events/{id}/transitions"), &json!({"action": "accept"})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.bytes);
        let message = sse_data(&mut socket, &mut seen, "changed").await;
        assert_eq!((&message["event"]["event_id"], &message["event"]["state"]), (&json!(id), &json!("accepted")));

        assert_problem(&get(&s.app, "/api/v1/events/stream?tier=mayor").await, StatusCode::BAD_REQUEST, "tier must be");
        assert_problem(&get(&s.app, "/api/v1/events/stream?village=1").await, StatusCode::BAD_REQUEST, "village must be");
        server.abort();
    }

    #[tokio::test]
    async fn the_frontend_is_served_at_the_root_with_the_api_beside_it() {
        let site = tempfile::TempDir::new().unwrap();
        std::fs::write(site.path().join("index.html"), "<!doctype html><title>网格</title>").unwrap();
        std::fs::write(site.path().join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(site.path().join("app.js"), "export {};").unwrap();
        let db = Db::new().await;
        let config = Config { frontend_dir: Some(site.path().to_owned()), ..db.config(fixture()) };
        let s = start(db, config).await;

        for path in ["/", "/index.html", "/events/E20250303-000001", "/map/grids"] {
            let r = get(&s.app, path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(r.header("content-type").starts_with("text/html"), "{path}: {}", r.header("content-type"));
            assert_eq!(r.header("cache-control"), "no-cache", "{path}");
            assert!(std::str::from_utf8(&r.bytes).unwrap().contains("<title>网格</title>"), "{path}");
        }
        let wasm = get(&s.app, "/app_bg.wasm").await;
        assert_eq!((wasm.status, wasm.header("content-type")), (StatusCode::OK, "application/wasm"));
        assert_eq!(&wasm.bytes[..], b"\0asm\x01\0\0\0");
        assert!(get(&s.app, "/app.js").await.header("content-type").contains("javascript"));

        // The service's own paths keep their JSON answers and 404s.
        assert_eq!(ok_json(&s.app, "/healthz").await["status"], "ok");
        for path in ["/api/v1/nothing", "/api", "/open311/v2/nothing", "/tiles/1/2/3.pbf"] {
            assert_problem(&get(&s.app, path).await, StatusCode::NOT_FOUND, "no resource");
        }
        let post_root = post(&s.app, "/somewhere", &json!({})).await;
        assert_eq!(post_root.status, StatusCode::NOT_FOUND);

        // Without a build the root stays the JSON 404.
        let db = Db::new().await;
        let config = Config { frontend_dir: Some(site.path().join("missing")), ..db.config(fixture()) };
        let s = start(db, config).await;
        assert_problem(&get(&s.app, "/").await, StatusCode::NOT_FOUND, "no resource");
    }
}

/// Reads from the socket into `seen` until it holds `needle` after what it held before, or fails
/// after five seconds.
async fn read_until(socket: &mut tokio::net::TcpStream, seen: &mut String, needle: &str) {
    let start = seen.len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 4096];
    while !seen[start..].contains(needle) {
        let n = tokio::time::timeout_at(deadline, socket.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 5 s; got {seen:?}"))
            .unwrap();
        assert!(n > 0, "stream closed; got {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// The next SSE `event` message of `kind`, read from the socket.
async fn sse_data(socket: &mut tokio::net::TcpStream, seen: &mut String, kind: &str) -> Value {
    let needle = format!("data: {{\"kind\":\"{kind}\"");
    read_until(socket, seen, &needle).await;
    let at = seen.rfind(&needle).unwrap();
    let line_end = loop {
        if let Some(end) = seen[at..].find('\n') {
            break at + end;
        }
        read_until(socket, seen, "\n").await;
    };
    let before = &seen[..at];
    assert!(before.trim_end().ends_with("event: event"), "SSE event name: {before:?}");
    serde_json::from_str(&seen[at + "data: ".len()..line_end]).unwrap()
}
