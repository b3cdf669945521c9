//! What the IT office sees of the real binary, run with `--log-format json` and a metrics token:
//! - the logs: one JSON object per line; the request id accepted from `X-Request-Id`, returned,
//!   and on every line of that request; no personal data — phones, ID numbers, names,
//!   passwords, tokens — in any line, whatever the request carried in its body, query or headers;
//! - `/readyz` and `/healthz`;
//! - `/metrics`: refused without its token, and with it a scrape that the Prometheus project's
//!   own parser (Python `prometheus_client`, OpenMetrics) reads, holding the service's families.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faultkit;

use faultkit::{Client, Outcome, Server};
use serde_json::{json, Value};
use wangge_core::registry::check_character;

const PHONE: &str = "13912398765";
const NAME: &str = "欧阳秘密";
const WRONG_PASSWORD: &str = "Not-The-Password-7731";

/// The metric families of a scrape, as the Prometheus project's Python parser reads them
/// (OpenMetrics): a scrape it cannot parse fails the test.
fn prometheus_families(scrape: &str) -> Vec<String> {
    use std::io::Write;
    let program = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
                   for f in text_string_to_metric_families(sys.stdin.read()):\n    print(f.name)\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test.sh installs prometheus-client)");
    child.stdin.take().unwrap().write_all(scrape.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the Prometheus parser refused the scrape: {}\n{scrape}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// A query value percent-encoded (UTF-8).
fn percent(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_no_personal_data() {
    let metrics_token = "monitoring-token-0123456789abcdef";
    let mut server = Server::start_demo_logging(
        "info,wangge_server=debug,tower_http=debug",
        &["--log-format", "json", "--metrics-token", metrics_token],
    )
    .await;
    let token = server.login("county").await;
    let county = Client::new(server.addr(), &token);
    let anonymous = Client::new(server.addr(), "");

    // A failed login (its password), a report with a phone and a name, under a chosen id.
    let refused = anonymous.post("/api/v1/auth/token", &json!({"username": "county", "password": WRONG_PASSWORD})).await;
    assert!(matches!(refused, Outcome::Answer { status: 401, .. }), "{refused:?}");
    let report = json!({
        "report_id": "log-test-1", "category": "dispute", "description": format!("{NAME}与邻居争吵，电话{PHONE}"),
        "location": {"lon": 115.504, "lat": 40.404},
        "reporter": {"kind": "resident", "name": NAME, "phone": PHONE}, "channel": "phone",
    });
    let (status, request_id, body) = county.send_with_header("POST", "/api/v1/reports", Some(&report), "x-request-id", "it-log-0001").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(request_id.as_deref(), Some("it-log-0001"), "the chosen id is returned");
    let event = body["event_id"].as_str().unwrap().to_owned();
    // An id that is not a plain token is replaced, not echoed.
    let (_, replaced, _) = county.send_with_header("GET", "/api/v1/events?per_page=1", None, "x-request-id", "bad id\"}").await;
    assert!(replaced.as_deref().is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())), "{replaced:?}");

    // Revealing the phone; a registry person with an ID number; searches with them in the query.
    let revealed = county.post(&format!("/api/v1/events/{event}/reveal"), &json!({"field": "reporter_phone"})).await;
    assert!(matches!(&revealed, Outcome::Answer { status: 200, body, .. } if body["value"] == PHONE), "{revealed:?}");
    let first = "13993019900307123";
    let id_number = format!("{first}{}", check_character(first).unwrap());
    let person = json!({"kind": "registered", "name": NAME, "id_number": id_number, "phone": PHONE,
        "village_code": "130730100010", "lon": 115.504, "lat": 40.404, "ethnicity": "汉族"});
    let created = county.post("/api/v1/registry/people", &person).await;
    for path in [
        format!("/api/v1/registry/people?id_number={id_number}"),
        format!("/api/v1/events?phone={PHONE}"),
        format!("/api/v1/registry/people?name={}&phone={PHONE}", percent(NAME)),
    ] {
        let _ = county.get(&path).await;
    }
    // Health and readiness.
    let ready = anonymous.get("/readyz").await.expect_ok("/readyz");
    assert_eq!((ready["status"].as_str(), ready["migrations_known"] == ready["migrations_applied"]), (Some("ready"), true), "{ready}");
    assert_eq!(anonymous.get("/healthz").await.expect_ok("/healthz")["status"], "ok");
    // The metrics: not for accounts, not without the token.
    for who in [&anonymous, &county] {
        assert!(matches!(who.get("/metrics").await, Outcome::Answer { status: 401, .. }));
    }
    let scrape = Client::new(server.addr(), metrics_token).get_text("/metrics").await;
    let families = prometheus_families(&scrape);
    for family in [
        "wangge_http_requests", "wangge_http_request_duration_seconds", "wangge_intake_queue_depth",
        "wangge_intake_batch_size", "wangge_intake_commit_duration_seconds", "wangge_audit_queue_depth",
        "wangge_audit_commit_duration_seconds", "wangge_index_lookups", "wangge_index_reloads",
        "wangge_db_pool_connections", "wangge_live_queue_subscribers", "wangge_supervision_runs",
        "wangge_http_in_flight", "wangge_grids",
    ] {
        assert!(families.iter().any(|f| f == family), "{family} missing from the scrape: {families:?}");
    }
    assert!(scrape.contains(r#"route="/api/v1/reports",status="201""#), "the report is counted: {scrape}");
    assert!(!scrape.contains(PHONE) && !scrape.contains(&token), "nothing personal in the metrics");
    server.stop().await;

    let text = server.log_text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 10, "the server logged: {text}");
    let mut of_request = 0;
    let mut routed = 0;
    for line in &lines {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        if object["span"]["request_id"] == "it-log-0001" {
            of_request += 1;
            // Lines before routing have no route yet; the others name the pattern.
            if !object["span"]["route"].is_null() {
                routed += 1;
                assert_eq!(object["span"]["route"], "/api/v1/reports", "{line}");
            }
        }
        for secret in [PHONE, NAME, id_number.as_str(), WRONG_PASSWORD, faultkit::DEMO_PASSWORD, token.as_str()] {
            assert!(!line.contains(secret), "personal data or a secret in the log: {line}");
        }
    }
    assert!(of_request > 0 && routed > 0, "no (routed) line carries the report's request id: {text}");
    println!(
        "LOGS: {} JSON lines, {of_request} of the report's request; reveal {}, registry create {}; no phone, name, ID number, password or token",
        lines.len(),
        revealed.label(),
        created.label()
    );
}
