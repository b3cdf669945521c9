//! HTTP tests of Open311 GeoReport v2 at `/open311/v2/`: services from the responsibility
//! table, requests posted as forms through the report intake and read back in JSON and XML,
//! and the spec's error lists; on the mini fixture with the service's clock fixed.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::calendar::china_time;
use wangge_server::{state_from_config, Clock};
use support::Db;

#[macro_use]
mod support;

/// A point in 狼山村第一网格 (狼山乡); with nobody on duty the township centre gets it.
const IN_LANGSHAN: (f64, f64) = (115.53, 40.41);
/// Beijing: outside the county.
const OUTSIDE: (f64, f64) = (116.40, 39.90);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// Monday 2025-03-03 09:00, China time.
fn monday() -> DateTime<Utc> {
    china_time().with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap().with_timezone(&Utc)
}

async fn fresh() -> (Db, Router) {
    let dir = Db::new().await;
    let mut state = state_from_config(&dir.config(fixture())).await.expect("service starts");
    state.clock = Clock::fixed(monday());
    let app = support::county_app(&state).await;
    (dir, app)
}

struct Reply {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        assert_eq!(self.content_type, "application/json", "{}: {}", self.status, self.text);
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn xml(&self) -> &str {
        assert_eq!(self.content_type, "application/xml", "{}: {}", self.status, self.text);
        assert!(self.text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{}", self.text);
        &self.text
    }

    /// The spec's JSON error list: `[{"code": status, "description": "...needle..."}]`.
    fn assert_error(&self, status: StatusCode, needle: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        assert_eq!(body[0]["code"], status.as_u16(), "{body}");
        let description = body[0]["description"].as_str().unwrap_or_default();
        assert!(description.contains(needle), "description {description:?} lacks {needle:?}");
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, content_type, text: String::from_utf8(bytes.to_vec()).expect("UTF-8 body") }
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A form POST, with an `Idempotency-Key` header if `key` is given.
async fn post_form(app: &Router, uri: &str, fields: &[(&str, &str)], key: Option<&str>) -> Reply {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(k) = key {
        request = request.header("idempotency-key", k);
    }
    send(app, request.body(Body::from(body)).unwrap()).await
}

async fn service_code(app: &Router, group: &str, name: &str) -> String {
    let services = get(app, "/open311/v2/services.json").await.json();
    let found = services.as_array().unwrap().iter().find(|s| s["group"] == group && s["service_name"] == name);
    found.unwrap_or_else(|| panic!("no service {group}/{name}"))["service_code"].as_str().unwrap().to_owned()
}

/// A gas hazard at `at` with a resident's name and phone.
fn gas_form<'a>(code: &'a str, description: &'a str, at: &'a (String, String)) -> Vec<(&'a str, &'a str)> {
    vec![
        ("service_code", code),
        ("lat", &at.1),
        ("long", &at.0),
        ("description", description),
        ("first_name", "三丰"),
        ("last_name", "张"),
        ("phone", "13987654321"),
        ("email", "zhang@example.com"),
        ("address_string", "狼山村"),
    ]
}

fn point(p: (f64, f64)) -> (String, String) {
    (p.0.to_string(), p.1.to_string())
}

/// Posts a gas hazard and answers its service_request_id.
async fn create(app: &Router, description: &str) -> String {
    let code = service_code(app, "问题隐患", "燃气").await;
    let at = point(IN_LANGSHAN);
    let r = post_form(app, "/open311/v2/requests.json", &gas_form(&code, description, &at), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

backend_tests! {
    #[tokio::test]
    async fn services_list_the_responsibility_table_in_json_and_xml() {
        let (_dir, app) = fresh().await;
        let table = get(&app, "/api/v1/responsibility").await.json();
        let rows = table["rules"].as_array().unwrap().len();
        let services = get(&app, "/open311/v2/services.json").await.json();
        let list = services.as_array().unwrap();
        assert_eq!(list.len(), rows, "one service per category and subcategory row");
        assert_eq!(get(&app, "/open311/v2/services").await.json(), services, "no extension is JSON");
        let gas = list.iter().find(|s| s["group"] == "问题隐患" && s["service_name"] == "燃气").unwrap();
        let code = gas["service_code"].as_str().unwrap();
        assert!(code.starts_with("hazard-") && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{code}");
        assert_eq!(gas["type"], "realtime");
        assert_eq!(gas["metadata"], false);
        assert!(gas["keywords"].as_str().unwrap().contains("燃气"));
        assert!(gas["description"].as_str().unwrap().contains("县燃气管理部门"), "{gas}");
        let default = list.iter().find(|s| s["service_code"] == "dispute").unwrap();
        assert_eq!(default["group"], "矛盾纠纷");
        let codes: std::collections::HashSet<_> = list.iter().map(|s| s["service_code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), list.len(), "codes are unique (供水 is both a livelihood and a hazard service)");

        let xml = get(&app, "/open311/v2/services.xml").await;
        let xml = xml.xml();
        assert!(xml.contains("<services><service><service_code>livelihood</service_code>"), "{xml}");
        assert_eq!(xml.matches("<service>").count(), list.len());
        assert!(xml.contains(&format!("<service_code>{code}</service_code><service_name>燃气</service_name>")));
        assert!(xml.contains("<metadata>false</metadata><type>realtime</type>"));

        let definition = get(&app, &format!("/open311/v2/services/{code}.json")).await.json();
        assert_eq!(definition, json!({"service_code": code, "attributes": []}));
        let definition = get(&app, &format!("/open311/v2/services/{code}.xml")).await;
        assert!(definition.xml().contains(&format!("<service_definition><service_code>{code}</service_code><attributes/>")));
    }

    #[tokio::test]
    async fn a_posted_form_becomes_an_event_readable_by_id_and_in_the_list() {
        let (_dir, app) = fresh().await;
        let code = service_code(&app, "问题隐患", "燃气").await;
        let at = point(IN_LANGSHAN);
        let r = post_form(&app, "/open311/v2/requests.json", &gas_form(&code, "楼道里有燃气味", &at), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let created = r.json();
        assert_eq!(created.as_array().map(Vec::len), Some(1));
        let id = created[0]["service_request_id"].as_str().unwrap();
        assert!(created[0]["service_notice"].as_str().unwrap().contains(id));

        let one = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
        assert_eq!(one.status, StatusCode::OK);
        let body = one.json();
        assert_eq!(body.as_array().map(Vec::len), Some(1));
        let request = &body[0];
        assert_eq!(request["service_request_id"], id);
        assert_eq!(request["status"], "open");
        assert_eq!(request["service_code"], code.as_str());
        assert_eq!(request["service_name"], "燃气");
        assert_eq!(request["description"], "楼道里有燃气味");
        assert_eq!(request["agency_responsible"], "狼山乡网格中心");
        assert_eq!(request["requested_datetime"], "2025-03-03T09:00:00+08:00");
        assert_eq!(request["updated_datetime"], "2025-03-03T09:00:00+08:00");
        // The expected time is the event's done_by deadline (ordinary: 3 working days).
        let event = get(&app, &format!("/api/v1/events/{id}")).await.json();
        let instant = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        assert_eq!(instant(&request["expected_datetime"]), instant(&event["deadlines"]["done_by"]));
        assert_eq!(request["expected_datetime"], "2025-03-07T00:00:00+08:00", "the end of Thursday");
        assert_eq!(request["address"], "怀来县狼山乡狼山村狼山村第一网格");
        assert!((request["lat"].as_f64().unwrap() - IN_LANGSHAN.1).abs() < 1e-9);
        assert!((request["long"].as_f64().unwrap() - IN_LANGSHAN.0).abs() < 1e-9);
        for private in ["13987654321", "张", "三丰", "example.com"] {
            assert!(!one.text.contains(private), "{private} leaked: {}", one.text);
        }

        let list = get(&app, "/open311/v2/requests.json").await.json();
        assert_eq!(list, body, "the list holds the one request, as by id");
        let by_ids = get(&app, &format!("/open311/v2/requests.json?service_request_id={id},E19990101-000001")).await.json();
        assert_eq!(by_ids, body);
        // The same event in the service's own API: the open311 channel, a resident, masked.
        assert_eq!(event["channel"], "open311");
        assert_eq!(event["reporter"]["kind"], "resident");
        assert_eq!(event["reporter"]["name"], "张**");
        assert_eq!(event["category"], "hazard");
        assert_eq!(event["subcategory"], "燃气");
    }

    #[tokio::test]
    async fn a_resident_rates_their_own_closed_request_and_a_dissatisfied_rating_reopens_it() {
        let (_dir, app) = fresh().await;
        let id = create(&app, "燃气表漏气").await;
        let uri = format!("/open311/v2/requests/{id}/followups.json");
        // Not closed yet: refused with the reason (GeoReport v2 answers bad requests 400).
        let early = post_form(&app, &uri, &[("phone", "13987654321"), ("level", "很满意")], None).await;
        assert_eq!(early.status, StatusCode::BAD_REQUEST, "{}", early.text);
        assert!(early.text.contains("not closed"), "{}", early.text);
        for (action, note) in [("accept", None), ("handle", Some("已更换")), ("close", Some("已回访"))] {
            let mut body = json!({"action": action});
            if let Some(n) = note {
                body["note"] = json!(n);
            }
            let request = Request::post(format!("/api/v1/events/{id}/transitions"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            assert_eq!(send(&app, request).await.status, StatusCode::OK);
        }
        // Another phone: as if there were no such request.
        let other = post_form(&app, &uri, &[("phone", "13900000000"), ("level", "很满意")], None).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
        let bad = post_form(&app, &uri, &[("phone", "139 8765 4321"), ("level", "还行")], None).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
        let rated = post_form(&app, &uri, &[("phone", "139 8765 4321"), ("level", "不满意"), ("note", "还是有味道")], None).await;
        assert_eq!(rated.status, StatusCode::CREATED, "{}", rated.text);
        assert_eq!(rated.json()[0]["status"], "open", "reopened");
        let followups = get(&app, &format!("/api/v1/events/{id}/followups")).await.json();
        assert_eq!(followups["items"][0]["source"], "reporter");
        assert_eq!(followups["items"][0]["level"], "不满意");
        assert_eq!(get(&app, &format!("/api/v1/events/{id}")).await.json()["state"], "assigned");
    }

    #[tokio::test]
    async fn status_open_and_closed_follow_the_loop_and_filter_the_list() {
        let (_dir, app) = fresh().await;
        let open = create(&app, "燃气表漏气").await;
        let done = create(&app, "燃气管道锈蚀").await;
        for (action, note) in [("accept", None), ("handle", Some("已更换")), ("close", Some("已回访"))] {
            let mut body = json!({"action": action});
            if let Some(n) = note {
                body["note"] = json!(n);
            }
            let request = Request::post(format!("/api/v1/events/{done}/transitions"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let r = send(&app, request).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let ids = |v: Value| v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(get(&app, "/open311/v2/requests.json?status=open").await.json()), vec![open.clone()]);
        let closed = get(&app, "/open311/v2/requests.json?status=closed").await.json();
        assert_eq!(ids(closed.clone()), vec![done.clone()]);
        assert_eq!(closed[0]["status"], "closed");
        assert_eq!(closed[0]["status_notes"], "已办结并反馈");
        assert_eq!(closed[0]["agency_responsible"], "狼山乡网格中心", "the last handler once closed");
        assert_eq!(ids(get(&app, "/open311/v2/requests.json?status=open,closed").await.json()).len(), 2);
        get(&app, "/open311/v2/requests.json?status=pending").await.assert_error(StatusCode::BAD_REQUEST, "status must be open or closed");
        // Filters by service and by requested time (a window that ends before Monday is empty).
        let water = service_code(&app, "问题隐患", "供水").await;
        assert!(get(&app, &format!("/open311/v2/requests.json?service_code={water}")).await.json().as_array().unwrap().is_empty());
        let gas = service_code(&app, "问题隐患", "燃气").await;
        assert_eq!(ids(get(&app, &format!("/open311/v2/requests.json?service_code={gas}")).await.json()).len(), 2);
        let before = "/open311/v2/requests.json?start_date=2025-01-01T00:00:00%2B08:00&end_date=2025-03-02T23:59:59%2B08:00";
        assert!(get(&app, before).await.json().as_array().unwrap().is_empty());
        let span = "/open311/v2/requests.json?start_date=2024-01-01T00:00:00Z&end_date=2025-03-04T00:00:00Z";
        get(&app, span).await.assert_error(StatusCode::BAD_REQUEST, "at most 90 days");
    }

    #[tokio::test]
    async fn xml_answers_escape_markup_in_descriptions() {
        let (_dir, app) = fresh().await;
        let code = service_code(&app, "问题隐患", "燃气").await;
        let at = point(IN_LANGSHAN);
        let description = "阀门<损坏> & \"漏气\"";
        let r = post_form(&app, "/open311/v2/requests.xml", &gas_form(&code, description, &at), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let xml = r.xml();
        assert!(xml.contains("<service_requests><request><service_request_id>E20250303-"), "{xml}");
        let id = xml.split("<service_request_id>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
        let one = get(&app, &format!("/open311/v2/requests/{id}.xml")).await;
        let xml = one.xml();
        assert!(xml.contains("<description>阀门&lt;损坏&gt; &amp; &quot;漏气&quot;</description>"), "{xml}");
        assert!(!xml.contains("<损坏>"));
        assert!(xml.contains("<status>open</status>"));
        assert!(xml.contains("<agency_responsible>狼山乡网格中心</agency_responsible>"));
        let list = get(&app, "/open311/v2/requests.xml").await;
        assert_eq!(list.xml().matches("<request>").count(), 1);
    }

    #[tokio::test]
    async fn bad_requests_get_the_spec_error_list() {
        let (_dir, app) = fresh().await;
        let code = service_code(&app, "问题隐患", "燃气").await;
        let inside = point(IN_LANGSHAN);
        let r = post_form(&app, "/open311/v2/requests.json", &gas_form("hazard-00000000", "x", &inside), None).await;
        r.assert_error(StatusCode::NOT_FOUND, "no service with service_code");
        let r = post_form(&app, "/open311/v2/requests.xml", &gas_form("nope", "x", &inside), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.xml().contains("<errors><error><code>404</code><description>no service"), "{}", r.text);
        let no_place = [("service_code", code.as_str()), ("description", "燃气味"), ("address_string", "狼山村")];
        post_form(&app, "/open311/v2/requests.json", &no_place, None).await.assert_error(StatusCode::BAD_REQUEST, "lat and long");
        let bad_lat = [("service_code", code.as_str()), ("description", "燃气味"), ("lat", "north"), ("long", "115.53")];
        post_form(&app, "/open311/v2/requests.json", &bad_lat, None).await.assert_error(StatusCode::BAD_REQUEST, "lat must be a number");
        let outside = point(OUTSIDE);
        let r = post_form(&app, "/open311/v2/requests.json", &gas_form(&code, "燃气味", &outside), None).await;
        r.assert_error(StatusCode::BAD_REQUEST, "outside the county");
        let no_code = [("lat", "40.41"), ("long", "115.53"), ("description", "x")];
        post_form(&app, "/open311/v2/requests.json", &no_code, None).await.assert_error(StatusCode::BAD_REQUEST, "service_code is required");
        let no_text = [("service_code", code.as_str()), ("lat", "40.41"), ("long", "115.53")];
        post_form(&app, "/open311/v2/requests.json", &no_text, None).await.assert_error(StatusCode::BAD_REQUEST, "description is required");
        get(&app, "/open311/v2/requests/E19990101-000001.json").await.assert_error(StatusCode::NOT_FOUND, "no service request");
        get(&app, "/open311/v2/services/nope.json").await.assert_error(StatusCode::NOT_FOUND, "no service with service_code");
        // Nothing was written.
        assert!(get(&app, "/open311/v2/requests.json").await.json().as_array().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_retry_with_the_same_key_returns_the_same_request() {
        let (_dir, app) = fresh().await;
        let code = service_code(&app, "问题隐患", "燃气").await;
        let at = point(IN_LANGSHAN);
        let form = gas_form(&code, "燃气味", &at);
        let first = post_form(&app, "/open311/v2/requests.json", &form, Some("k-311-1")).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        let again = post_form(&app, "/open311/v2/requests.json", &form, Some("k-311-1")).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.json()[0]["service_request_id"], first.json()[0]["service_request_id"]);
        // The key may also come as a request_id field.
        let mut keyed = form.clone();
        keyed.push(("request_id", "k-311-2"));
        let a = post_form(&app, "/open311/v2/requests.json", &keyed, None).await.json();
        let b = post_form(&app, "/open311/v2/requests.json", &keyed, None).await.json();
        assert_eq!(a[0]["service_request_id"], b[0]["service_request_id"]);
        assert_ne!(a[0]["service_request_id"], first.json()[0]["service_request_id"]);
        // The same key for a different report is refused; without a key every post is new.
        let other = gas_form(&code, "另一处燃气味", &at);
        let r = post_form(&app, "/open311/v2/requests.json", &other, Some("k-311-1")).await;
        r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "already used");
        let x = post_form(&app, "/open311/v2/requests.json", &form, None).await.json();
        let y = post_form(&app, "/open311/v2/requests.json", &form, None).await.json();
        assert_ne!(x[0]["service_request_id"], y[0]["service_request_id"]);
        assert_eq!(get(&app, "/open311/v2/requests.json").await.json().as_array().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn json_bodies_are_accepted_too_and_discovery_names_the_endpoint() {
        let (_dir, app) = fresh().await;
        let code = service_code(&app, "民生事项", "供水").await;
        let body = json!({"service_code": code, "lat": IN_LANGSHAN.1, "long": IN_LANGSHAN.0, "description": "停水三天了"});
        let request = Request::post("/open311/v2/requests.json").header(header::CONTENT_TYPE, "application/json");
        let r = send(&app, request.body(Body::from(body.to_string())).unwrap()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.json()[0]["service_request_id"].as_str().unwrap().to_owned();
        let one = get(&app, &format!("/open311/v2/requests/{id}")).await.json();
        assert_eq!(one[0]["service_name"], "供水");
        assert_eq!(one[0]["service_code"], code.as_str());
        let discovery = get(&app, "/open311/discovery.json").await.json();
        assert_eq!(discovery["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
        assert!(discovery["endpoints"][0]["url"].as_str().unwrap().ends_with("/open311/v2"));
    }
}
