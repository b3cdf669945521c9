//! Intake benchmark: durable report intake throughput, in process (`app.oneshot`, no sockets),
//! on a temp data dir with WAL and `synchronous=FULL`. Prints a table with the baseline — one
//! transaction (one fsync) per report, as without group commit — measured in the same run.
//!
//! `cargo bench -p wangge-server --bench intake -- [reports] [clients,clients,…]`
//!
//! The clients are closed-loop (each sends its next report when the last is answered), so a
//! batch holds at most one report per client: more clients, bigger batches.
// A benchmark binary: failing loudly at start-up is what it should do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use wangge_server::records::Inserted;
use wangge_core::people::{Person, Role};
use wangge_server::access::{ApiKeyRequest, KeyScope};
use wangge_server::events::intake;
use wangge_server::store::AccountRecord;
use wangge_server::{app, state_from_config, AppState, Config};

#[tokio::main]
async fn main() {
    // `cargo bench` adds `--bench`; the numbers are the first two plain arguments.
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let reports: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let clients: Vec<usize> = args
        .next()
        .map(|a| a.split(',').filter_map(|n| n.parse().ok()).collect())
        .filter(|c: &Vec<usize>| !c.is_empty())
        .unwrap_or_else(|| vec![64, 256]);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");

    let mut group = Vec::new();
    for &c in &clients {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let state = state_from_config(&Config::with_dirs(dir.path(), &fixture)).await.expect("starts");
        let key = staff(&state).await;
        group.push((c, through_http(&state, &key, reports, c).await));
    }

    let most = clients.iter().copied().max().unwrap_or(64);
    let base_dir = tempfile::TempDir::new().expect("temp dir");
    let base_state = state_from_config(&Config::with_dirs(base_dir.path(), &fixture)).await.expect("starts");
    let base_reports = (reports / 10).max(most);
    let single = one_transaction_each(&base_state, base_reports, most).await;

    let batch_dir = tempfile::TempDir::new().expect("temp dir");
    let batch_state = state_from_config(&Config::with_dirs(batch_dir.path(), &fixture)).await.expect("starts");
    let batched = store_batches(&batch_state, reports, intake::MAX_BATCH / 4).await;

    println!("| durable intake, WAL + synchronous=FULL | reports | seconds | reports/s | p50 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (c, (took, latencies)) in group {
        let name = format!("group commit via POST /api/v1/reports, {c} clients");
        row(&name, reports, took, Some(percentiles(latencies)));
    }
    row("store only: insert_events in batches of 512", reports, batched, None);
    row(&format!("baseline: one transaction per report, {most} clients"), base_reports, single, None);
}

fn row(name: &str, n: usize, took: Duration, lat: Option<(f64, f64)>) {
    let secs = took.as_secs_f64();
    let (p50, p99) = lat.map_or(("-".into(), "-".into()), |(a, b)| (format!("{a:.1}"), format!("{b:.1}")));
    println!("| {name} | {n} | {secs:.2} | {:.0} | {p50} | {p99} |", n as f64 / secs);
}

/// One gridworker per grid (straight into the store: the bench measures intake), and an
/// integration's `intake` API key to post the reports with.
async fn staff(state: &AppState) -> String {
    for (i, grid) in state.catalog.load().grids().iter().enumerate() {
        let person = Person {
            id: format!("GW{i:03}"),
            name: format!("网格员{i}"),
            role: Role::Gridworker,
            unit_code: grid.grid.township_code.clone(),
            phone: "13800000000".into(),
            grids: vec![grid.grid.code.clone()],
            device_id: Some(format!("D{i}")),
            on_duty: true,
        };
        state.store.upsert_person(&person).await.expect("person");
    }
    state.rules.reload_roster(&state.store).await.expect("roster");
    let now = state.clock.now();
    let account = AccountRecord::service("bench-intake", "bench intake", now);
    state.store.insert_account(&account).await.expect("service account");
    state.store.set_grant("bench-intake", Some("dispatcher"), Some("county"), "").await.expect("grant");
    let request = ApiKeyRequest { scope: KeyScope::Intake, label: "bench".into(), expires_in_days: 1 };
    state.auth.issue_api_key(&account, &request, now).await.expect("key").0.token
}

fn body(n: usize) -> String {
    // Spread over the mini county's grids, in and around the street unit.
    let (lon, lat) = (115.5005 + (n % 389) as f64 * 0.0001, 40.4005 + (n % 193) as f64 * 0.0001);
    json!({
        "report_id": format!("bench-{n}"), "category": "livelihood", "subcategory": "供水",
        "description": "自来水管破裂，路面积水", "location": {"lon": lon, "lat": lat},
        "reporter": {"kind": "resident", "phone": "13912345678"}, "channel": "app",
    })
    .to_string()
}

async fn through_http(state: &AppState, key: &str, reports: usize, clients: usize) -> (Duration, Vec<f64>) {
    let router = app(state.clone());
    let bearer = format!("Bearer {key}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (router, bearer) = (router.clone(), bearer.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for n in (c..reports).step_by(clients) {
                let request = Request::post("/api/v1/reports")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, &bearer)
                    .body(Body::from(body(n)))
                    .expect("request");
                let t = Instant::now();
                let status = router.clone().oneshot(request).await.expect("answer").status();
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, StatusCode::CREATED);
            }
            lat
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client"));
    }
    (started.elapsed(), latencies)
}

async fn one_transaction_each(state: &AppState, reports: usize, clients: usize) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            for n in (c..reports).step_by(clients) {
                let request: intake::ReportRequest = serde_json::from_str(&body(n)).expect("report");
                let report = intake::check(request, None).expect("valid");
                let new = intake::build(&state.index.load(), &state.catalog.load(), &state.rules, report, None, state.clock.now()).expect("placed");
                let inserted = state.store.insert_event(&new).await.expect("stored");
                assert!(matches!(inserted, Inserted::Created(_)));
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    started.elapsed()
}

async fn store_batches(state: &AppState, reports: usize, size: usize) -> Duration {
    let events: Vec<_> = (0..reports)
        .map(|n| {
            let request: intake::ReportRequest = serde_json::from_str(&body(n)).expect("report");
            intake::build(&state.index.load(), &state.catalog.load(), &state.rules, intake::check(request, None).expect("valid"), None, state.clock.now()).expect("placed")
        })
        .collect();
    let started = Instant::now();
    for chunk in events.chunks(size) {
        state.store.insert_events(chunk).await.expect("stored");
    }
    started.elapsed()
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v.get(((v.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0.0);
    (at(0.5), at(0.99))
}
