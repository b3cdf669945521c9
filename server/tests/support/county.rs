//! A service on the mini fixture with one account per role and level, two gridworkers and a
//! report in each township: the setting of the access and security suites.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::access::{Grant, Jurisdiction, Role};
use wangge_server::access::TokenKind;
use wangge_server::{app, state_from_config, AppState, Clock};

use super::Db;

/// 沙城镇 (township A) and 狼山乡 (township B) of the mini fixture.
pub const TOWN_A: &str = "130730100";
pub const TOWN_B: &str = "130730200";
pub const VILLAGE_A: &str = "130730100001";
pub const GRID_A: &str = "130730100001001";
pub const IN_A: (f64, f64) = (115.508, 40.408);
pub const IN_B: (f64, f64) = (115.53, 40.41);

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// Who sends a request: nobody, a bearer token, or a browser session (cookie + CSRF token).
#[derive(Clone)]
pub enum As {
    Nobody,
    Token(String),
    Browser { cookie: String, csrf: Option<String> },
    /// No credential, but a device key (人机格) as a phone app presents it at sign-in.
    Device(String),
}

pub async fn send(app: &Router, who: &As, method: Method, uri: &str, body: Option<&Value>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    match who {
        As::Nobody => {}
        As::Device(key) => request = request.header("x-wangge-device", key),
        As::Token(t) => request = request.header(header::AUTHORIZATION, format!("Bearer {t}")),
        As::Browser { cookie, csrf } => {
            request = request.header(header::COOKIE, format!("wangge_session={cookie}"));
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf);
            }
        }
    }
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    // A live stream never ends: its headers are the answer.
    if headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) {
        return Reply { status, headers, body: Value::Null, text: String::new() };
    }
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, body, text }
}

/// A service on the mini fixture with one account per role and level, two gridworkers, and a
/// report in each township.
pub struct County {
    pub _db: Db,
    pub state: AppState,
    pub app: Router,
    pub tokens: Vec<(&'static str, Grant, String)>,
    pub event_a: String,
    pub event_b: String,
}

impl County {
    pub fn token(&self, name: &str) -> As {
        let (_, _, t) = self.tokens.iter().find(|(n, _, _)| *n == name).unwrap_or_else(|| panic!("no account {name}"));
        As::Token(t.clone())
    }

    pub async fn get(&self, who: &str, uri: &str) -> Reply {
        send(&self.app, &self.token(who), Method::GET, uri, None).await
    }

    pub async fn post(&self, who: &str, uri: &str, body: &Value) -> Reply {
        send(&self.app, &self.token(who), Method::POST, uri, Some(body)).await
    }

    /// A new device token for the account `name` (its first one idles out when a test moves
    /// the clock on).
    pub async fn fresh(&self, name: &str) -> As {
        let account = self.state.store.account(name).await.unwrap().expect("account");
        let issued = self.state.auth.issue(&account, TokenKind::Device, "tests", self.state.clock.now()).await.unwrap();
        As::Token(issued.token)
    }

    /// Verifies, handles and closes an event as the county dispatcher.
    pub async fn close(&self, id: &str) {
        for (action, note) in [("accept", None), ("handle", Some("已处理")), ("close", Some("已办结"))] {
            let mut b = json!({"action": action});
            if let Some(n) = note {
                b["note"] = json!(n);
            }
            let r = self.post("county", &format!("/api/v1/events/{id}/transitions"), &b).await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
        }
    }

    pub async fn audit_rows(&self) -> i64 {
        let filter = wangge_server::store::AuditFilter::default();
        self.state.store.audit(&filter, wangge_server::records::Page { page: 1, per_page: 1 }).await.unwrap().total
    }
}

pub fn report(id: &str, at: (f64, f64)) -> Value {
    json!({
        "report_id": id, "category": "hazard", "subcategory": "燃气", "description": "楼道里有燃气味",
        "location": {"lon": at.0, "lat": at.1},
        "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"},
        "channel": "web",
    })
}

pub async fn county() -> County {
    let db = Db::new().await;
    let mut state = state_from_config(&db.config(fixture())).await.expect("service starts");
    state.clock = Clock::fixed(monday());
    let app = app(state.clone());
    let department = state.rules.routing().departments.first().map(|d| d.code.clone()).expect("a department");
    let accounts: [(&'static str, Role, &str, String); 13] = [
        ("leader", Role::CountyLeader, "county", String::new()),
        ("county", Role::Dispatcher, "county", String::new()),
        ("town_a", Role::Dispatcher, TOWN_A, String::new()),
        ("town_b", Role::Dispatcher, TOWN_B, String::new()),
        ("village_a", Role::Dispatcher, VILLAGE_A, String::new()),
        ("planner", Role::Planner, "county", String::new()),
        ("gw_a", Role::Gridworker, VILLAGE_A, "GWA".into()),
        ("dept", Role::DepartmentHandler, "county", department),
        ("sysadmin", Role::SystemAdmin, "county", String::new()),
        ("secadmin", Role::SecurityAdmin, "county", String::new()),
        ("auditor", Role::AuditAdmin, "county", String::new()),
        ("officer_a", Role::SpecialGroupOfficer, TOWN_A, String::new()),
        ("assessor", Role::Assessor, "county", String::new()),
    ];
    let mut tokens = Vec::new();
    for (name, role, j, acting) in accounts {
        let grant = Grant::new(role, Jurisdiction::parse(j).unwrap()).unwrap();
        let token = super::token(&state, name, role.as_str(), j, &acting).await;
        tokens.push((name, grant, token));
    }
    let mut c = County { _db: db, state, app, tokens, event_a: String::new(), event_b: String::new() };
    for (id, unit, grid) in [("GWA", VILLAGE_A, GRID_A), ("GWB", "130730200201", "130730200201001")] {
        let body = json!({"name": format!("测试{id}"), "role": "gridworker", "unit_code": unit, "phone": "13812345678", "grids": [grid]});
        let r = send(&c.app, &c.token("county"), Method::PUT, &format!("/api/v1/people/{id}"), Some(&body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    c.event_a = c.post("county", "/api/v1/reports", &report("r-a", IN_A)).await.body["event_id"].as_str().unwrap().to_owned();
    c.event_b = c.post("county", "/api/v1/reports", &report("r-b", IN_B)).await.body["event_id"].as_str().unwrap().to_owned();
    c
}

