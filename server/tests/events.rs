//! HTTP tests of people, report intake, the closed loop, queues and supervision, driven
//! through `app(state).oneshot(..)` on a throwaway data directory loaded from the mini fixture,
//! with the service's clock fixed so that deadlines are exact.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::calendar::{china_time, WorkingCalendar};
use wangge_core::event::{Complexity, Deadlines};
use wangge_core::LonLat;
use support::Db;
use wangge_server::events::supervision::supervise;
use wangge_server::{state_from_config, AppState, Clock};

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

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// 09:00 China time on `day` of March 2025 (3 is a Monday).
fn march(day: u32, hour: u32) -> DateTime<Utc> {
    china_time().with_ymd_and_hms(2025, 3, day, hour, 0, 0).unwrap().with_timezone(&Utc)
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

struct Service {
    _db: Db,
    state: AppState,
    app: Router,
}

async fn start_at(db: &Db, now: DateTime<Utc>) -> (AppState, Router) {
    let mut state = state_from_config(&db.config(fixture())).await.expect("service starts");
    state.clock = Clock::fixed(now);
    // Department handlers act themselves: one account per department (and the one a test
    // adds), chosen by the `x-test-actor` header the transition helper sets.
    let mut departments: Vec<String> = state.rules.routing().departments.iter().map(|d| d.code.clone()).collect();
    departments.push("gas-co".into());
    let mut users = std::collections::HashMap::new();
    for d in departments {
        support::token(&state, &format!("dept-{d}"), "department_handler", "county", &d).await;
        users.insert(d.clone(), format!("dept-{d}"));
    }
    // GW001's own account (the suite's staff): a gridworker's reports come through it.
    support::token(&state, "gw001", "gridworker", "130730100001", "GW001").await;
    let router = support::county_app(&state).await.layer(axum::middleware::map_request(move |mut req: Request<Body>| {
        let user = req.headers().get("x-test-actor").and_then(|a| a.to_str().ok()).and_then(|a| users.get(a)).cloned();
        async move {
            if let Some(value) = user.and_then(|u| header::HeaderValue::from_str(&u).ok()) {
                req.headers_mut().insert(support::TEST_USER, value);
            }
            req
        }
    }));
    (state, router)
}

/// A fresh service on its own temp data dir, its clock at Monday 2025-03-03 09:00 (China).
async fn fresh() -> Service {
    let db = Db::new().await;
    let (state, app) = start_at(&db, march(3, 9)).await;
    Service { _db: db, state, app }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {bytes:?}"))
    };
    Reply { status, headers, body }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

async fn json_request(app: &Router, method: Method, uri: &str, body: impl Into<Body>) -> Reply {
    let request = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    send(app, request.body(body.into()).expect("request")).await
}

async fn post(app: &Router, uri: &str, body: &Value) -> Reply {
    json_request(app, Method::POST, uri, body.to_string()).await
}

async fn put(app: &Router, uri: &str, body: &Value) -> Reply {
    json_request(app, Method::PUT, uri, body.to_string()).await
}

fn assert_problem(reply: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(reply.status, status, "body: {}", reply.body);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "detail {detail:?} lacks {needle:?}");
}

async fn person(app: &Router, id: &str, role: &str, unit: &str, grids: &[&str], device: Option<&str>) {
    let body = json!({
        "name": format!("测试{id}"), "role": role, "unit_code": unit, "phone": "13812345678",
        "grids": grids, "device_id": device,
    });
    let r = put(app, &format!("/api/v1/people/{id}"), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// GW001 works G1 from device D001; GL001 leads 东关社区.
async fn staff(app: &Router) {
    person(app, "GW001", "gridworker", "130730100", &[G1], Some("D001")).await;
    person(app, "GL001", "grid_leader", "130730100001", &[], None).await;
}

fn report(id: &str, at: (f64, f64)) -> Value {
    json!({
        "report_id": id,
        "category": "hazard",
        "subcategory": "燃气",
        "description": "楼道里有燃气味",
        "location": {"lon": at.0, "lat": at.1},
        "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"},
        "channel": "web",
    })
}

async fn submit(app: &Router, body: &Value) -> Reply {
    post(app, "/api/v1/reports", body).await
}

/// A report sent through the account of the suite's person `actor` (`GW001`: `gw001`).
async fn submit_as(app: &Router, actor: &str, body: &Value) -> Reply {
    let user = actor.to_lowercase();
    let request = Request::post("/api/v1/reports").header(header::CONTENT_TYPE, "application/json").header(support::TEST_USER, user);
    send(app, request.body(Body::from(body.to_string())).expect("request")).await
}

async fn created_as(app: &Router, actor: &str, body: &Value) -> Value {
    let r = submit_as(app, actor, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn created(app: &Router, body: &Value) -> Value {
    let r = submit(app, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// Posts a transition as the suite's county dispatcher (who may act at every tier); the
/// `actor` the loop tests name is who would act in the field, and is dropped here: the
/// timeline records the signed-in account (per-role acting is tested in `access.rs`).
async fn transition(app: &Router, id: &str, mut body: Value) -> Reply {
    let actor = body.as_object_mut().and_then(|fields| fields.remove("actor"));
    let uri = format!("/api/v1/events/{id}/transitions");
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(Value::String(actor)) = actor {
        request = request.header("x-test-actor", actor);
    }
    send(app, request.body(Body::from(body.to_string())).expect("request")).await
}

async fn total_events(app: &Router) -> i64 {
    get(app, "/api/v1/events").await.body["total"].as_i64().expect("total")
}

fn cal() -> WorkingCalendar {
    WorkingCalendar::china().unwrap()
}

fn deadlines(at: DateTime<Utc>, complexity: Complexity) -> Value {
    let d = Deadlines::at(&cal(), at, complexity).unwrap();
    json!({"since": text(d.since), "verify_by": text(d.verify_by), "done_by": text(d.done_by)})
}

/// Posts a transition at `at` and expects it accepted.
async fn step(s: &Service, id: &str, at: DateTime<Utc>, body: Value) -> Value {
    s.state.clock.set(at);
    let r = transition(&s.app, id, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
    r.body
}

backend_tests! {
    #[tokio::test]
    async fn a_report_is_assigned_to_the_bound_gridworker_with_1_3_5_deadlines() {
        let s = fresh().await;
        staff(&s.app).await;
        let r = submit(&s.app, &report("r-1", IN_G1)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let e = &r.body;
        let id = e["event_id"].as_str().expect("event id");
        assert_eq!(id, "E20250303-000001");
        assert_eq!(r.header("location"), format!("/api/v1/events/{id}"));
        assert_eq!(e["state"], "assigned");
        assert_eq!(e["holder"], json!({"tier": "grid", "id": "GW001"}));
        assert_eq!((&e["grid_code"], &e["village_code"], &e["township_code"]), (&json!(G1), &json!("130730100001"), &json!("130730100")));
        // Monday 09:00: verify by the end of Tuesday, finish by the end of Thursday (China time).
        assert_eq!(
            e["deadlines"],
            json!({"since": "2025-03-03T01:00:00.000Z", "verify_by": "2025-03-04T16:00:00.000Z", "done_by": "2025-03-06T16:00:00.000Z"})
        );
        assert_eq!(e["overdue"], Value::Null);
        assert_eq!(e["patrol_flag"], false);
        let t = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await;
        let entries = t.body["entries"].as_array().expect("entries");
        let actions: Vec<&str> = entries.iter().filter_map(|x| x["action"].as_str()).collect();
        assert_eq!(actions, ["reported", "assign"]);
        assert_eq!(entries[1]["holder"], json!({"tier": "grid", "id": "GW001"}));
        assert_eq!(entries[1]["payload"]["rule"], "gridworker");
        // A second report the same day gets the next number; a complex one gets 5 working days.
        let mut complex = report("r-2", IN_G1);
        complex["complexity"] = json!("complex");
        let e2 = created(&s.app, &complex).await;
        assert_eq!(e2["event_id"], "E20250303-000002");
        assert_eq!(e2["deadlines"]["done_by"], "2025-03-10T16:00:00.000Z");
    }

    #[tokio::test]
    async fn the_leader_then_the_township_centre_take_over_when_nobody_is_on_duty() {
        let s = fresh().await;
        staff(&s.app).await;
        let off = put(&s.app, "/api/v1/people/GW001/duty", &json!({"on_duty": false})).await;
        assert_eq!((off.status, &off.body["on_duty"]), (StatusCode::OK, &json!(false)));
        let e = created(&s.app, &report("r-1", IN_G1)).await;
        assert_eq!(e["holder"], json!({"tier": "village", "id": "GL001"}));
        put(&s.app, "/api/v1/people/GL001/duty", &json!({"on_duty": false})).await;
        let e = created(&s.app, &report("r-2", IN_G1)).await;
        assert_eq!(e["holder"], json!({"tier": "township", "id": "130730100"}));
        // Nobody at all in 狼山乡: its centre.
        let e = created(&s.app, &report("r-3", IN_LANGSHAN)).await;
        assert_eq!((&e["grid_code"], &e["holder"]), (&json!(LANGSHAN), &json!({"tier": "township", "id": "130730200"})));
        // Back on duty: the gridworker again, also for the street unit inside G1.
        put(&s.app, "/api/v1/people/GW001/duty", &json!({"on_duty": true})).await;
        let e = created(&s.app, &report("r-4", (115.504, 40.404))).await;
        assert_eq!((&e["grid_code"], &e["holder"]["id"]), (&json!("130730100001Z01"), &json!("GW001")));
        assert_problem(&put(&s.app, "/api/v1/people/NOBODY/duty", &json!({"on_duty": true})).await, StatusCode::NOT_FOUND, "NOBODY");
    }

    #[tokio::test]
    async fn a_bound_device_attributes_the_report_and_outside_own_grids_is_a_patrol() {
        let s = fresh().await;
        staff(&s.app).await;
        let mut own = report("r-1", IN_G1);
        own["reporter"] = json!({"kind": "gridworker", "device_id": "D001"});
        own["channel"] = json!("app");
        let e = created_as(&s.app, "GW001", &own).await;
        assert_eq!(e["reporter"], json!({"kind": "gridworker", "person_id": "GW001", "name": null, "phone": null}));
        assert_eq!(e["patrol_flag"], false);
        let mut away = own.clone();
        away["report_id"] = json!("r-2");
        away["location"] = json!({"lon": IN_G2.0, "lat": IN_G2.1});
        let e = created_as(&s.app, "GW001", &away).await;
        assert_eq!((&e["patrol_flag"], &e["grid_code"]), (&json!(true), &json!(G2)));
        assert_eq!(e["holder"], json!({"tier": "village", "id": "GL001"}), "G2 has no gridworker");
        // A resident's kind from the gridworker's sign-in is still the gridworker's report.
        let mut resident = report("r-3", IN_G1);
        resident["reporter"] = json!({"kind": "resident", "device_id": "D001"});
        assert_eq!(created_as(&s.app, "GW001", &resident).await["reporter"]["person_id"], "GW001");
        // A gridworker's report naming a device not bound to them is refused, and so is a
        // report naming their device from anybody else's account (the dispatcher's here).
        let mut stranger = own.clone();
        stranger["report_id"] = json!("r-4");
        stranger["reporter"] = json!({"kind": "gridworker", "device_id": "D999"});
        assert_problem(&submit_as(&s.app, "GW001", &stranger).await, StatusCode::UNPROCESSABLE_ENTITY, "bound to them");
        let mut borrowed = own.clone();
        borrowed["report_id"] = json!("r-4b");
        assert_problem(&submit(&s.app, &borrowed).await, StatusCode::UNPROCESSABLE_ENTITY, "own sign-in");
        // Rebinding the device to someone else is a conflict; moving GW001 to G2 ends the patrol.
        person(&s.app, "GW002", "gridworker", "130730100", &[G2], None).await;
        let taken = put(&s.app, "/api/v1/people/GW002/bindings", &json!({"grids": [G2], "device_id": "D001"})).await;
        assert_problem(&taken, StatusCode::CONFLICT, "D001 is already bound to GW001");
        let moved = put(&s.app, "/api/v1/people/GW001/bindings", &json!({"grids": [G1, G2], "device_id": "D001"})).await;
        assert_eq!(moved.body["grids"], json!([G1, G2]));
        away["report_id"] = json!("r-5");
        let e = created_as(&s.app, "GW001", &away).await;
        assert_eq!((&e["patrol_flag"], &e["holder"]["id"]), (&json!(false), &json!("GW001")), "lowest id on duty in G2");
        let unknown = put(&s.app, "/api/v1/people/GW001/bindings", &json!({"grids": ["130730100001009"], "device_id": null})).await;
        assert_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "no grid with code");
    }

    #[tokio::test]
    async fn gcj02_input_is_converted_before_it_is_placed_and_stored() {
        let s = fresh().await;
        let wgs = LonLat::new(IN_G2.0, IN_G2.1).unwrap();
        let gcj = wgs.to_gcj02();
        // The shifted point itself lies in another grid: placing it unconverted would be wrong.
        let raw = get(&s.app, &format!("/api/v1/locate?lon={}&lat={}", gcj.lon, gcj.lat)).await;
        assert_ne!(raw.body["grid"]["code"], G2);
        let mut body = report("r-gcj", (gcj.lon, gcj.lat));
        body["location"]["crs"] = json!("gcj02");
        let e = created(&s.app, &body).await;
        assert_eq!(e["grid_code"], G2);
        let (lon, lat) = (e["location"]["lon"].as_f64().unwrap(), e["location"]["lat"].as_f64().unwrap());
        assert!((lon - wgs.lon).abs() < 1e-6 && (lat - wgs.lat).abs() < 1e-6, "stored ({lon}, {lat})");
        assert!((lon - gcj.lon).abs() > 1e-3, "the GCJ-02 input was stored as is");
        assert_eq!(e["location"]["crs"], "cgcs2000");
        let bd = wgs.to_gcj02().to_bd09();
        let mut body = report("r-bd", (bd.lon, bd.lat));
        body["location"]["crs"] = json!("bd09");
        assert_eq!(created(&s.app, &body).await["grid_code"], G2);
    }

    #[tokio::test]
    async fn a_retried_report_returns_the_original_event() {
        let s = fresh().await;
        let body = report("r-1", IN_G1);
        let first = submit(&s.app, &body).await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(first.header("idempotent-replay"), "");
        let again = submit(&s.app, &body).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.body, first.body);
        // The key may come as a header instead.
        let mut keyed = report("ignored", IN_G2);
        keyed.as_object_mut().unwrap().remove("report_id");
        let request = |b: &Value| {
            Request::post("/api/v1/reports")
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "k-7")
                .body(Body::from(b.to_string()))
                .expect("request")
        };
        let a = send(&s.app, request(&keyed)).await;
        let b = send(&s.app, request(&keyed)).await;
        assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::OK));
        assert_eq!((a.body["report_id"].as_str(), &a.body), (Some("k-7"), &b.body));
        // The same key for a different report is refused, and nothing is added.
        let mut other = body.clone();
        other["description"] = json!("另一件事");
        let r = submit(&s.app, &other).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "already used for a different report");
        assert_eq!(r.body["type"], "urn:wangge:problem:idempotency-key-reused");
        assert_eq!(total_events(&s.app).await, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_concurrent_duplicates_store_exactly_one_event() {
        let s = fresh().await;
        staff(&s.app).await;
        let body = report("dup-1", IN_G1).to_string();
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let app = s.app.clone();
            let body = body.clone();
            tasks.push(tokio::spawn(async move { json_request(&app, Method::POST, "/api/v1/reports", body).await }));
        }
        let mut created = 0;
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let r = t.await.expect("task");
            match r.status {
                StatusCode::CREATED => created += 1,
                StatusCode::OK => assert_eq!(r.header("idempotent-replay"), "true"),
                other => panic!("unexpected {other}: {}", r.body),
            }
            ids.insert(r.body["event_id"].as_str().unwrap_or_default().to_owned());
        }
        assert_eq!(created, 1);
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(total_events(&s.app).await, 1);
        let id = ids.into_iter().next().unwrap();
        let timeline = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await;
        assert_eq!(timeline.body["entries"].as_array().map(Vec::len), Some(2));
    }

    #[tokio::test]
    async fn bad_reports_are_refused_with_reasons_and_nothing_is_written() {
        let s = fresh().await;
        let with = |f: &dyn Fn(&mut Value)| {
            let mut b = report("r-bad", IN_G1);
            f(&mut b);
            b
        };
        let cases: Vec<(Value, StatusCode, &str)> = vec![
            (with(&|b| b["category"] = json!("weather")), StatusCode::UNPROCESSABLE_ENTITY, "category must be livelihood"),
            (with(&|b| b["description"] = json!("长".repeat(2001))), StatusCode::UNPROCESSABLE_ENTITY, "2001 characters; at most 2000"),
            (with(&|b| b["description"] = json!("   ")), StatusCode::UNPROCESSABLE_ENTITY, "description is required"),
            (with(&|b| b["location"]["lat"] = json!(95.0)), StatusCode::UNPROCESSABLE_ENTITY, "lat 95 is out of range"),
            (with(&|b| b["location"]["crs"] = json!("mercator")), StatusCode::UNPROCESSABLE_ENTITY, "location.crs must be"),
            (with(&|b| b["complexity"] = json!("huge")), StatusCode::UNPROCESSABLE_ENTITY, "complexity must be"),
            (with(&|b| b["channel"] = json!("fax")), StatusCode::UNPROCESSABLE_ENTITY, "channel must be"),
            (with(&|b| b["reporter"]["kind"] = json!("robot")), StatusCode::UNPROCESSABLE_ENTITY, "reporter.kind must be"),
            (with(&|b| b["reporter"]["phone"] = json!("call me")), StatusCode::UNPROCESSABLE_ENTITY, "not a phone number"),
            (with(&|b| { b.as_object_mut().unwrap().remove("report_id"); }), StatusCode::UNPROCESSABLE_ENTITY, "report_id is required"),
            (with(&|b| b["report_id"] = json!("has space")), StatusCode::UNPROCESSABLE_ENTITY, "printable ASCII"),
            (with(&|b| b["location"]["lon"] = json!("115.5")), StatusCode::BAD_REQUEST, "invalid type"),
            (with(&|b| b["colour"] = json!("red")), StatusCode::BAD_REQUEST, "unknown field"),
        ];
        for (body, status, needle) in cases {
            assert_problem(&submit(&s.app, &body).await, status, needle);
        }
        let outside = submit(&s.app, &report("r-out", (115.45, 40.405))).await;
        assert_problem(&outside, StatusCode::UNPROCESSABLE_ENTITY, "outside the county; the nearest grid is 130730100001001");
        assert_eq!(outside.body["nearest"]["code"], G1);
        let d = outside.body["nearest"]["distance_m"].as_f64().unwrap();
        assert!((4000.0..4500.0).contains(&d), "distance {d}");
        let raw = |text: &'static str| json_request(&s.app, Method::POST, "/api/v1/reports", text);
        assert_problem(&raw("{\"report_id\": \"x\", ").await, StatusCode::BAD_REQUEST, "");
        let nan = r#"{"report_id":"n","category":"hazard","description":"d","location":{"lon":NaN,"lat":40.4},"reporter":{"kind":"resident"}}"#;
        assert_problem(&raw(nan).await, StatusCode::BAD_REQUEST, "");
        let huge = r#"{"report_id":"n","category":"hazard","description":"d","location":{"lon":1e999,"lat":40.4},"reporter":{"kind":"resident"}}"#;
        assert_problem(&raw(huge).await, StatusCode::BAD_REQUEST, "");
        let plain = Request::post("/api/v1/reports").body(Body::from(report("r-p", IN_G1).to_string())).expect("request");
        assert_problem(&send(&s.app, plain).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "");
        assert_eq!(total_events(&s.app).await, 0);
    }

    #[tokio::test]
    async fn the_full_loop_escalates_tier_by_tier_to_the_routed_department_and_back() {
        let s = fresh().await;
        staff(&s.app).await;
        let e = created(&s.app, &report("r-loop", IN_G1)).await;
        let id = e["event_id"].as_str().unwrap().to_owned();
        let accepted = step(&s, &id, march(3, 10), json!({"action": "accept", "actor": "GW001"})).await;
        assert_eq!(accepted["state"], "accepted");
        assert_eq!(accepted["deadlines"], e["deadlines"], "accepting keeps the tier's deadlines");

        let hops = [
            (march(4, 11), json!({"action": "escalate", "to": {"tier": "village"}, "reason": "需要村里协调", "actor": "GW001"}), json!({"tier": "village", "id": "GL001"})),
            (march(7, 16), json!({"action": "escalate", "reason": "村里无法处理", "actor": "GL001"}), json!({"tier": "township", "id": "130730100"})),
            (march(10, 9), json!({"action": "escalate", "to": {"tier": "county", "id": "130730"}, "reason": "涉及燃气管网", "actor": "130730100"}), json!({"tier": "county", "id": "130730"})),
            (march(11, 9), json!({"action": "escalate", "to": {"tier": "department"}, "reason": "交燃气部门", "actor": "130730"}), json!({"tier": "department", "id": "gas"})),
        ];
        let mut previous = accepted["holder"].clone();
        for (at, body, holder) in hops {
            let after = step(&s, &id, at, body).await;
            assert_eq!(after["state"], "assigned");
            assert_eq!(after["holder"], holder);
            assert_eq!(after["last_handler"], previous);
            assert_eq!(after["deadlines"], deadlines(at, Complexity::Ordinary), "deadlines at {}", holder["tier"]);
            previous = holder;
        }
        let rest = [
            (march(11, 10), json!({"action": "accept", "actor": "gas"}), "accepted"),
            (march(12, 15), json!({"action": "handle", "note": "已更换阀门", "actor": "gas"}), "handled"),
            (march(12, 16), json!({"action": "close", "note": "已处理并回访", "actor": "130730"}), "closed"),
            (march(13, 9), json!({"action": "rate", "score": 5, "actor": "resident"}), "rated"),
        ];
        for (at, body, state) in rest {
            assert_eq!(step(&s, &id, at, body).await["state"], state);
        }
        let rated = get(&s.app, &format!("/api/v1/events/{id}")).await.body;
        assert_eq!((&rated["rating"], &rated["closed_at"]), (&json!(5), &json!(text(march(12, 16)))));
        let reopened = step(&s, &id, march(14, 9), json!({"action": "reopen", "reason": "又闻到燃气味", "actor": "resident"})).await;
        assert_eq!((&reopened["state"], &reopened["holder"]), (&json!("assigned"), &json!({"tier": "department", "id": "gas"})));
        assert_eq!((&reopened["closed_at"], &reopened["rating"]), (&Value::Null, &Value::Null));
        assert_eq!(reopened["deadlines"], deadlines(march(14, 9), Complexity::Ordinary));

        let t = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await.body;
        let entries = t["entries"].as_array().unwrap();
        let seqs: Vec<i64> = entries.iter().filter_map(|x| x["seq"].as_i64()).collect();
        assert_eq!(seqs, (1..=12).collect::<Vec<_>>());
        let actions: Vec<&str> = entries.iter().filter_map(|x| x["action"].as_str()).collect();
        assert_eq!(
            actions,
            ["reported", "assign", "accept", "escalate", "escalate", "escalate", "escalate", "accept", "handle", "close", "rate", "reopen"]
        );
        let states: Vec<&str> = entries.iter().filter_map(|x| x["state_after"].as_str()).collect();
        assert_eq!(
            states,
            ["reported", "assigned", "accepted", "assigned", "assigned", "assigned", "assigned", "accepted", "handled", "closed", "rated", "assigned"]
        );
        let tiers: Vec<&Value> = entries.iter().map(|x| &x["tier"]).collect();
        assert_eq!(tiers[3..7], [&json!("grid"), &json!("village"), &json!("township"), &json!("county")]);
        assert_eq!(entries[6]["payload"], json!({"to": {"tier": "department", "id": "gas"}, "reason": "交燃气部门"}));
        assert_eq!((&entries[10]["payload"], &entries[10]["actor"]), (&json!({"score": 5}), &json!("county")));
        assert_eq!(reopened["seq"], 12);
    }

    #[tokio::test]
    async fn illegal_transitions_are_refused_and_change_nothing() {
        let s = fresh().await;
        staff(&s.app).await;
        let e = created(&s.app, &report("r-1", IN_G1)).await;
        let id = e["event_id"].as_str().unwrap();
        let cases = [
            (json!({"action": "close", "note": "x", "actor": "GW001"}), StatusCode::CONFLICT, "cannot close an event that is assigned"),
            (json!({"action": "rate", "score": 5, "actor": "r"}), StatusCode::CONFLICT, "cannot rate an event that is assigned"),
            (json!({"action": "escalate", "to": {"tier": "grid", "id": "GW001"}, "reason": "x", "actor": "GW001"}), StatusCode::CONFLICT, "escalation goes up"),
            (json!({"action": "escalate", "to": {"tier": "village"}, "reason": " ", "actor": "GW001"}), StatusCode::UNPROCESSABLE_ENTITY, "a reason for escalating is required"),
            (json!({"action": "escalate", "to": {"tier": "department", "id": "bakery"}, "reason": "x", "actor": "GW001"}), StatusCode::UNPROCESSABLE_ENTITY, "no department with code \"bakery\""),
            (json!({"action": "handle", "note": "x", "actor": "GW001"}), StatusCode::CONFLICT, "cannot handle an event that is assigned"),
            (json!({"action": "fly", "actor": "GW001"}), StatusCode::UNPROCESSABLE_ENTITY, "unknown variant"),
            (json!([1, 2]), StatusCode::UNPROCESSABLE_ENTITY, "JSON object"),
        ];
        for (body, status, needle) in cases {
            assert_problem(&transition(&s.app, id, body).await, status, needle);
        }
        // Who acts is the signed-in account: naming someone else is refused.
        let uri = format!("/api/v1/events/{id}/transitions");
        let other = post(&s.app, &uri, &json!({"action": "accept", "actor": "GW001"})).await;
        assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY, "actor is taken from the signed-in account");
        let after = get(&s.app, &format!("/api/v1/events/{id}")).await;
        assert_eq!(after.body, e, "the event is unchanged");
        let t = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await;
        assert_eq!(t.body["entries"].as_array().map(Vec::len), Some(2));
        assert_problem(&transition(&s.app, "E19990101-000001", json!({"action": "accept", "actor": "x"})).await, StatusCode::NOT_FOUND, "no event");
        assert_problem(&get(&s.app, "/api/v1/events/nope/timeline").await, StatusCode::NOT_FOUND, "no event");
        // A rating out of range once closed is a bad field, not an illegal move.
        for (action, note) in [("accept", None), ("handle", Some("修好了")), ("close", Some("已回访"))] {
            let mut b = json!({"action": action, "actor": "GW001"});
            if let Some(n) = note {
                b["note"] = json!(n);
            }
            assert_eq!(transition(&s.app, id, b).await.status, StatusCode::OK);
        }
        assert_problem(&transition(&s.app, id, json!({"action": "rate", "score": 9, "actor": "r"})).await, StatusCode::UNPROCESSABLE_ENTITY, "rating must be 1 to 5");
    }

    #[tokio::test]
    async fn a_stale_transition_is_a_conflict() {
        let s = fresh().await;
        let e = created(&s.app, &report("r-1", IN_LANGSHAN)).await;
        let id = e["event_id"].as_str().unwrap();
        let stored = s.state.store.event(id).await.unwrap().unwrap();
        // Someone else accepts it first; applying a transition computed on the old copy fails.
        assert_eq!(transition(&s.app, id, json!({"action": "accept", "actor": "130730200"})).await.status, StatusCode::OK);
        let action = wangge_core::event::Action::Return { reason: "不属于本乡".into() };
        let r = wangge_server::events::transitions::apply(&s.state.store, &s.state.rules, &stored, &action, "130730200", None, Vec::new(), march(3, 11)).await;
        assert!(matches!(r, Err(wangge_server::events::transitions::TransitionFailure::Store(wangge_server::StoreError::Stale { .. }))), "{r:?}");
        let t = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await;
        assert_eq!(t.body["entries"].as_array().map(Vec::len), Some(3));
    }

    #[tokio::test]
    async fn supervision_escalates_overdue_events_one_tier_up() {
        let s = fresh().await;
        staff(&s.app).await;
        let e = created(&s.app, &report("r-1", IN_G1)).await;
        let id = e["event_id"].as_str().unwrap();
        let accepted = created(&s.app, &report("r-2", IN_LANGSHAN)).await;
        let done = accepted["event_id"].as_str().unwrap();
        for b in [json!({"action": "accept", "actor": "x"}), json!({"action": "handle", "note": "好了", "actor": "x"})] {
            assert_eq!(transition(&s.app, done, b).await.status, StatusCode::OK);
        }
        // Thursday: due by the end of the day, not overdue yet.
        let quiet = supervise(&s.state.supervisor(), march(6, 20)).await.unwrap();
        assert!(quiet.escalated.is_empty(), "{quiet:?}");
        // Friday morning: overdue (the queue says so too), escalated to the village.
        s.state.clock.set(march(7, 9));
        let overdue = get(&s.app, "/api/v1/events?overdue=true").await;
        assert_eq!(overdue.body["total"], 1);
        assert_eq!(overdue.body["items"][0]["overdue"], "verify", "not even verified");
        let run = supervise(&s.state.supervisor(), march(7, 9)).await.unwrap();
        assert_eq!(run.escalated, [id.to_owned()]);
        let after = get(&s.app, &format!("/api/v1/events/{id}")).await.body;
        assert_eq!((&after["holder"], &after["state"]), (&json!({"tier": "village", "id": "GL001"}), &json!("assigned")));
        assert_eq!(after["deadlines"], deadlines(march(7, 9), Complexity::Ordinary));
        let t = get(&s.app, &format!("/api/v1/events/{id}/timeline")).await.body;
        let last = t["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((&last["actor"], &last["action"]), (&json!("system"), &json!("escalate")));
        assert_eq!(last["payload"]["reason"], "逾期自动升级");
        assert_eq!(last["payload"]["done_by"], "2025-03-06T16:00:00.000Z");
        // Nothing more to do until the new deadline passes; the handled event is never touched.
        assert!(supervise(&s.state.supervisor(), march(7, 10)).await.unwrap().escalated.is_empty());
        assert_eq!(get(&s.app, &format!("/api/v1/events/{done}")).await.body["state"], "handled");
        // It keeps climbing; at the department tier it stays, flagged.
        put(&s.app, "/api/v1/people/GL001/duty", &json!({"on_duty": false})).await;
        let mut at = march(7, 9);
        let mut tiers = Vec::new();
        for _ in 0..4 {
            at += Duration::days(10);
            supervise(&s.state.supervisor(), at).await.unwrap();
            tiers.push(get(&s.app, &format!("/api/v1/events/{id}")).await.body["holder"].clone());
        }
        assert_eq!(
            tiers,
            [
                json!({"tier": "township", "id": "130730100"}),
                json!({"tier": "county", "id": "130730"}),
                json!({"tier": "department", "id": "gas"}),
                json!({"tier": "department", "id": "gas"}),
            ]
        );
    }

    #[tokio::test]
    async fn queues_filter_paginate_and_order_by_deadline() {
        let s = fresh().await;
        staff(&s.app).await;
        // Three in G1 (one complex), two in G2 (one a dispute), one in 狼山; one a day later.
        let mut bodies = vec![report("q1", IN_G1), report("q2", IN_G1), report("q3", IN_G2), report("q4", IN_G2), report("q5", IN_LANGSHAN)];
        bodies[1]["complexity"] = json!("complex");
        bodies[3]["category"] = json!("dispute");
        for b in &bodies {
            created(&s.app, b).await;
        }
        s.state.clock.set(march(4, 9));
        created(&s.app, &report("q6", IN_G1)).await;
        let ids = |r: &Reply| -> Vec<String> {
            r.body["items"].as_array().unwrap().iter().map(|e| e["report_id"].as_str().unwrap().to_owned()).collect()
        };
        let all = get(&s.app, "/api/v1/events").await;
        assert_eq!((all.body["total"].as_i64(), all.body["per_page"].as_i64()), (Some(6), Some(50)));
        assert_eq!(all.header("cache-control"), "no-store");
        // Soonest deadline first: the five ordinary of Monday, then Tuesday's, then the complex one.
        assert_eq!(ids(&all), ["q1", "q3", "q4", "q5", "q6", "q2"]);
        let cases: [(&str, &[&str]); 11] = [
            (&format!("grid={G1}"), &["q1", "q6", "q2"]),
            ("village=130730100001", &["q1", "q3", "q4", "q6", "q2"]),
            ("township=130730200", &["q5"]),
            ("category=dispute", &["q4"]),
            ("tier=grid", &["q1", "q6", "q2"]),
            ("tier=village&holder=GL001", &["q3", "q4"]),
            ("holder=130730200", &["q5"]),
            ("state=assigned,accepted", &["q1", "q3", "q4", "q5", "q6", "q2"]),
            ("state=closed", &[]),
            ("from=2025-03-04", &["q6"]),
            ("to=2025-03-03", &["q1", "q3", "q4", "q5", "q2"]),
        ];
        for (query, expected) in cases {
            let r = get(&s.app, &format!("/api/v1/events?{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
            assert_eq!(ids(&r), expected, "{query}");
            assert_eq!(r.body["total"].as_u64(), Some(expected.len() as u64), "{query}");
        }
        let page2 = get(&s.app, "/api/v1/events?per_page=4&page=2").await;
        assert_eq!((ids(&page2), page2.body["total"].as_i64()), (vec!["q6".to_owned(), "q2".to_owned()], Some(6)));
        // Overdue on Friday: every ordinary event of Monday is past its Thursday deadline; q6 (due
        // Friday) and the complex q2 (due Monday) are not, once verified.
        for q in [4, 5] {
            let id = all.body["items"][q]["event_id"].as_str().unwrap();
            assert_eq!(transition(&s.app, id, json!({"action": "accept", "actor": "GW001"})).await.status, StatusCode::OK);
        }
        s.state.clock.set(march(7, 9));
        assert_eq!(ids(&get(&s.app, "/api/v1/events?overdue=true").await), ["q1", "q3", "q4", "q5"]);
        assert_eq!(ids(&get(&s.app, "/api/v1/events?overdue=false").await), ["q6", "q2"]);
        for (query, reason) in [
            ("per_page=501", "per_page must be a whole number from 1 to 500"),
            ("page=0", "page must be"),
            ("state=flying", "state must be"),
            ("tier=planet", "tier must be"),
            ("township=12", "township must be a 9-digit"),
            ("overdue=maybe", "overdue must be true or false"),
            ("from=yesterday", "from must be a date"),
            ("colour=red", "unknown field"),
        ] {
            assert_problem(&get(&s.app, &format!("/api/v1/events?{query}")).await, StatusCode::BAD_REQUEST, reason);
        }
    }

    #[tokio::test]
    async fn people_lists_filter_paginate_and_mask_phones() {
        let s = fresh().await;
        staff(&s.app).await;
        person(&s.app, "GW002", "gridworker", "130730200", &[LANGSHAN], Some("D002")).await;
        person(&s.app, "GL002", "grid_leader", "130730200201", &[], None).await;
        let all = get(&s.app, "/api/v1/people").await;
        assert_eq!(all.header("cache-control"), "no-store");
        assert_eq!(all.body["total"], 4);
        let first = &all.body["items"][0];
        assert_eq!(first["id"], "GL001");
        assert_eq!(first["phone"], "138****5678");
        assert!(!all.body.to_string().contains("13812345678"), "a phone number leaked");
        let ids = |r: &Reply| -> Vec<String> {
            r.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
        };
        for (query, expected) in [
            ("role=gridworker", vec!["GW001", "GW002"]),
            ("township=130730200", vec!["GL002", "GW002"]),
            ("village=130730100001", vec!["GL001", "GW001"]),
            (&format!("grid={LANGSHAN}"), vec!["GW002"]),
            ("per_page=1&page=3", vec!["GW001"]),
        ] {
            assert_eq!(ids(&get(&s.app, &format!("/api/v1/people?{query}")).await), expected, "{query}");
        }
        let one = get(&s.app, "/api/v1/people/GW001").await;
        assert_eq!(one.header("cache-control"), "no-store");
        assert_eq!((&one.body["phone"], &one.body["grids"], &one.body["device_id"]), (&json!("138****5678"), &json!([G1]), &json!("D001")));
        assert_problem(&get(&s.app, "/api/v1/people/NOBODY").await, StatusCode::NOT_FOUND, "NOBODY");
        assert_problem(&get(&s.app, "/api/v1/people?role=king").await, StatusCode::BAD_REQUEST, "role must be");
        let bad = put(&s.app, "/api/v1/people/X1", &json!({"name": "x", "role": "king", "unit_code": "1", "phone": "13812345678"})).await;
        assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "role must be");
        // A replaced person answers 200.
        let again = put(&s.app, "/api/v1/people/GW002", &json!({"name": "王五", "role": "gridworker", "unit_code": "130730200", "phone": "13700001111", "grids": [LANGSHAN]})).await;
        assert_eq!((again.status, &again.body["phone"], &again.body["device_id"]), (StatusCode::OK, &json!("137****1111"), &Value::Null));
        // A resident's phone and name are masked in events too.
        let e = submit(&s.app, &report("r-1", IN_G1)).await;
        assert_eq!(e.header("cache-control"), "no-store");
        assert_eq!((&e.body["reporter"]["phone"], &e.body["reporter"]["name"]), (&json!("139****4321"), &json!("张**")));
        let id = e.body["event_id"].as_str().unwrap();
        for uri in [format!("/api/v1/events/{id}"), "/api/v1/events".into(), format!("/api/v1/events/{id}/timeline")] {
            let r = get(&s.app, &uri).await;
            assert_eq!(r.header("cache-control"), "no-store", "{uri}");
            assert!(!r.body.to_string().contains("13987654321"), "{uri} leaks the phone");
        }
    }

    #[tokio::test]
    async fn the_routing_table_is_editable_and_routes_escalations() {
        let s = fresh().await;
        let table = get(&s.app, "/api/v1/responsibility").await.body;
        assert_eq!(table["departments"].as_array().map(Vec::len), Some(12));
        assert!(table["rules"].as_array().unwrap().iter().any(|r| r == &json!({"category": "hazard", "subcategory": "燃气", "department": "gas"})));
        let replaced = put(&s.app, "/api/v1/responsibility", &json!({
            "departments": [{"code": "gas-co", "name": "新奥燃气怀来公司"}],
            "rules": [
                {"category": "hazard", "subcategory": null, "department": "emergency"},
                {"category": "hazard", "subcategory": "燃气", "department": "gas-co"},
            ],
        })).await;
        assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
        assert_eq!(replaced.body["rules"].as_array().map(Vec::len), Some(2));
        let e = created(&s.app, &report("r-1", IN_LANGSHAN)).await;
        let id = e["event_id"].as_str().unwrap();
        let r = transition(&s.app, id, json!({"action": "escalate", "to": {"tier": "department"}, "reason": "燃气", "actor": "130730200"})).await;
        assert_eq!(r.body["holder"], json!({"tier": "department", "id": "gas-co"}));
        let mut dispute = report("r-2", IN_LANGSHAN);
        dispute["category"] = json!("dispute");
        let d = created(&s.app, &dispute).await;
        let r = transition(&s.app, d["event_id"].as_str().unwrap(), json!({"action": "escalate", "to": {"tier": "department"}, "reason": "x", "actor": "a"})).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "no department is responsible for dispute/燃气");
        for (body, reason) in [
            (json!({"rules": [{"category": "hazard", "subcategory": null, "department": "bakery"}]}), "no department with code"),
            (json!({"rules": [{"category": "weather", "subcategory": null, "department": "gas"}]}), "category must be"),
            (json!({"rules": [{"category": "hazard", "subcategory": "燃气", "department": "gas"}, {"category": "hazard", "subcategory": "燃气", "department": "power"}]}), "appears twice"),
        ] {
            assert_problem(&put(&s.app, "/api/v1/responsibility", &body).await, StatusCode::UNPROCESSABLE_ENTITY, reason);
        }
        assert_eq!(get(&s.app, "/api/v1/responsibility").await.body["rules"].as_array().map(Vec::len), Some(2));
    }

    #[tokio::test]
    async fn the_calendar_answers_a_year_and_overrides_move_deadlines() {
        let s = fresh().await;
        let y = get(&s.app, "/api/v1/calendar/2025").await;
        assert_eq!(y.status, StatusCode::OK);
        let has = |list: &str, day: &str| y.body[list].as_array().unwrap().iter().any(|d| d == day);
        assert!(has("holidays", "2025-10-01") && has("workdays", "2025-01-26"), "{}", y.body);
        assert!(y.body["working_days"].as_u64().is_some_and(|n| (240..=255).contains(&n)));
        assert_problem(&get(&s.app, "/api/v1/calendar/2030").await, StatusCode::NOT_FOUND, "no data for 2030");
        // Tuesday 2025-03-04 declared a day off: Monday's report now verifies by Wednesday.
        let r = put(&s.app, "/api/v1/calendar/overrides/2025-03-04", &json!({"kind": "holiday"})).await;
        assert_eq!(r.body, json!({"date": "2025-03-04", "kind": "holiday", "working_day": false}));
        let e = created(&s.app, &report("r-1", IN_G1)).await;
        assert_eq!(e["deadlines"]["verify_by"], "2025-03-05T16:00:00.000Z");
        assert_eq!(get(&s.app, "/api/v1/calendar/2025").await.body["overrides"], json!([{"date": "2025-03-04", "kind": "holiday"}]));
        let cleared = put(&s.app, "/api/v1/calendar/overrides/2025-03-04", &json!({"kind": null})).await;
        assert_eq!(cleared.body["working_day"], true);
        assert_eq!(created(&s.app, &report("r-2", IN_G1)).await["deadlines"]["verify_by"], "2025-03-04T16:00:00.000Z");
        assert_problem(&put(&s.app, "/api/v1/calendar/overrides/2030-01-02", &json!({"kind": "holiday"})).await, StatusCode::UNPROCESSABLE_ENTITY, "no data for 2030");
        assert_problem(&put(&s.app, "/api/v1/calendar/overrides/03-04", &json!({"kind": "holiday"})).await, StatusCode::BAD_REQUEST, "date must look like");
        // A report whose deadline runs into a year with no notice is refused, not guessed.
        s.state.clock.set(china_time().with_ymd_and_hms(2026, 12, 30, 9, 0, 0).unwrap().with_timezone(&Utc));
        let late = submit(&s.app, &report("r-3", IN_G1)).await;
        assert_problem(&late, StatusCode::SERVICE_UNAVAILABLE, "no data for 2027");
    }

    #[tokio::test]
    async fn events_and_people_survive_a_restart() {
        let db = Db::new().await;
        let (state, app) = start_at(&db, march(3, 9)).await;
        staff(&app).await;
        let e = created(&app, &report("r-1", IN_G1)).await;
        let id = e["event_id"].as_str().unwrap().to_owned();
        assert_eq!(transition(&app, &id, json!({"action": "accept", "actor": "GW001"})).await.status, StatusCode::OK);
        let before = get(&app, &format!("/api/v1/events/{id}")).await.body;
        state.store.close().await;
        drop((state, app));

        let (_state, app) = start_at(&db, march(3, 9)).await;
        assert_eq!(get(&app, &format!("/api/v1/events/{id}")).await.body, before);
        let t = get(&app, &format!("/api/v1/events/{id}/timeline")).await;
        assert_eq!(t.body["entries"].as_array().map(Vec::len), Some(3));
        // The roster came back too: the next report goes to the same gridworker, numbered on.
        let next = created(&app, &report("r-2", IN_G1)).await;
        assert_eq!((&next["holder"]["id"], &next["event_id"]), (&json!("GW001"), &json!("E20250303-000002")));
        assert_eq!(submit(&app, &report("r-1", IN_G1)).await.status, StatusCode::OK, "a retry after the restart replays");
    }

    #[tokio::test]
    async fn a_new_years_notice_can_be_loaded_and_deadlines_follow_it() {
        let db = Db::new().await;
        // Monday 2026-12-28: a complex event's 5 working days run into 2027, which is not built in.
        let at = china_time().with_ymd_and_hms(2026, 12, 28, 9, 0, 0).unwrap().with_timezone(&Utc);
        let (_state, app) = start_at(&db, at).await;
        let mut complex = report("r-2027", IN_G1);
        complex["complexity"] = json!("complex");
        let refused = submit(&app, &complex).await;
        assert_problem(&refused, StatusCode::SERVICE_UNAVAILABLE, "2027");
        assert_eq!(get(&app, "/api/v1/events").await.body["total"], 0, "nothing half-written");
        assert_eq!(get(&app, "/api/v1/calendar/2027").await.status, StatusCode::NOT_FOUND);
        let bad = put(&app, "/api/v1/calendar/2027", &json!({"source": "x", "holidays": ["2026-01-01"], "workdays": []})).await;
        assert_problem(&bad, StatusCode::BAD_REQUEST, "not a date of 2027");
        let notice = json!({
            "source": "国务院办公厅关于2027年部分节假日安排的通知",
            "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
            "workdays": [],
        });
        let loaded = put(&app, "/api/v1/calendar/2027", &notice).await;
        assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
        assert_eq!(loaded.body["holidays"], json!(["2027-01-01"]), "the weekday off; the weekend was off anyway");
        // 12-29, 12-30, 12-31, then New Year's break to Sunday 01-03, then 01-04 and 01-05.
        let e = created(&app, &complex).await;
        assert_eq!(e["deadlines"]["done_by"], "2027-01-05T16:00:00.000Z", "{e}");
        // The loaded year survives a restart.
        drop(app);
        let (_state, app) = start_at(&db, at).await;
        assert_eq!(get(&app, "/api/v1/calendar/2027").await.status, StatusCode::OK);
    }
}

/// `GET` as the account `user` (made by `support::token`).
async fn get_as(app: &Router, user: &str, uri: &str) -> Reply {
    send(app, Request::get(uri).header(support::TEST_USER, user).body(Body::empty()).expect("request")).await
}

fn ids(reply: &Reply) -> Vec<String> {
    let events = reply.body["events"].as_array().unwrap_or_else(|| panic!("no events: {}", reply.body));
    events.iter().map(|n| n["event"]["report_id"].as_str().expect("report id").to_owned()).collect()
}

backend_tests! {
    #[tokio::test]
    async fn open_events_near_a_point_are_listed_nearest_first_within_the_callers_view() {
        let s = fresh().await;
        staff(&s.app).await;
        // Two hazards in G1 (about 85 m apart), a livelihood request at the same spot, and a
        // hazard in G2 about 650 m away.
        let east = (IN_G1.0 + 0.001, IN_G1.1);
        created(&s.app, &report("near-here", IN_G1)).await;
        created(&s.app, &report("near-east", east)).await;
        let mut other = report("near-other-kind", IN_G1);
        other["category"] = json!("livelihood");
        created(&s.app, &other).await;
        created(&s.app, &report("near-g2", IN_G2)).await;

        let at = format!("lon={}&lat={}", IN_G1.0 + 0.0001, IN_G1.1);
        let r = get(&s.app, &format!("/api/v1/events/nearby?{at}&category=hazard")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(ids(&r), ["near-here", "near-east"], "nearest first, the default 200 m, one category");
        assert_eq!(r.body["radius_m"], json!(200.0));
        let first = r.body["events"][0]["distance_m"].as_f64().expect("distance");
        assert!((first - 8.5).abs() < 1.0, "about 8.5 m from the first: {first}");
        assert_eq!(r.body["events"][0]["event"]["reporter"]["phone"], json!("139****4321"), "personal fields masked");
        assert_eq!(r.header("cache-control"), "no-store");

        let wide = get(&s.app, &format!("/api/v1/events/nearby?{at}&category=hazard&radius_m=2000")).await;
        assert_eq!(ids(&wide), ["near-here", "near-east", "near-g2"]);
        let any = get(&s.app, &format!("/api/v1/events/nearby?{at}")).await;
        assert_eq!(ids(&any).len(), 3, "without a category every open event nearby: {}", any.body);

        // A closed event is not offered to add to.
        let closed = created(&s.app, &report("near-closed", IN_G1)).await;
        let id = closed["event_id"].as_str().expect("id");
        let open = get(&s.app, &format!("/api/v1/events/nearby?{at}&category=hazard")).await;
        assert!(ids(&open).contains(&"near-closed".to_owned()), "open, it is offered: {}", open.body);
        step(&s, id, march(3, 10), json!({"action": "accept", "actor": "GW001"})).await;
        step(&s, id, march(3, 11), json!({"action": "handle", "note": "已关阀", "actor": "GW001"})).await;
        step(&s, id, march(3, 12), json!({"action": "close", "note": "已回访", "actor": "130730100001"})).await;
        let after = get(&s.app, &format!("/api/v1/events/nearby?{at}&category=hazard")).await;
        assert_eq!(ids(&after), ["near-here", "near-east"], "closed, it is not: {}", after.body);

        // Another township's dispatcher sees none of these.
        support::token(&s.state, "langshan-desk", "dispatcher", "130730200", "").await;
        let theirs = get_as(&s.app, "langshan-desk", &format!("/api/v1/events/nearby?{at}&radius_m=2000")).await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
        assert!(ids(&theirs).is_empty(), "outside its jurisdiction: {}", theirs.body);

        for (query, needle) in [
            ("lat=40.4".to_owned(), "lon is required"),
            (format!("{at}&radius_m=5000"), "radius_m must be 1 to 2000"),
            (format!("{at}&radius_m=abc"), "radius_m must be a number"),
            (format!("{at}&category=fire"), "category must be"),
            (format!("{at}&crs=mars"), "crs must be"),
            (format!("{at}&extra=1"), "extra"),
        ] {
            let r = get(&s.app, &format!("/api/v1/events/nearby?{query}")).await;
            assert_problem(&r, StatusCode::BAD_REQUEST, needle);
        }
    }
}
