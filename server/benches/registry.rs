//! Registry benchmark at the county's scale: the demo county with its whole population (the
//! 2020 census's 348,746 residents, their households and houses, organisations and places)
//! loaded on each store, then through the HTTP API in process (no sockets):
//!
//! - list and search latency (p50, p99): people county-wide, in a township, in a grid; the exact
//!   search by ID number through its keyed hash, beside the alternative an encrypted registry
//!   without a blind index would need — reading and opening every sealed number — measured in
//!   the same run;
//! - the summary of the county;
//! - a spreadsheet import (XLSX, checked row by row, one transaction) in rows per second, beside
//!   the same rows sent one `POST` a record.
//!
//! Every answer must be a success, or the benchmark panics: a failed request never becomes a
//! figure.
//!
//! `cargo bench -p wangge-server --bench registry -- [residents] [rounds] [import_rows]`
//! (default 348746, 200 and 5000); PostGIS at `WANGGE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
// A benchmark binary: failing loudly is what it should do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor};
use tower::ServiceExt;
use wangge_core::registry::{check_character, Entity};
use wangge_server::access::TokenKind;
use wangge_server::records::{Page, RegistryFilter};
use wangge_server::{app, state_from_config, AppState, Config};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let residents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(348_746);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let import_rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let geodata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/huailai");
    println!("registry of {residents} residents; {rounds} requests a query; {import_rows} rows imported");
    println!();
    println!("| store | query | p50 ms | p99 ms | alternative | its p50 ms | ratio |");
    println!("| --- | --- | ---: | ---: | --- | ---: | ---: |");
    let dir = tempfile::TempDir::new().expect("temp dir");
    let mut config = Config::with_dirs(dir.path(), &geodata);
    (config.demo, config.demo_residents) = (true, residents);
    let started = Instant::now();
    let state = state_from_config(&config).await.expect("starts");
    let sqlite_load = started.elapsed();
    let sqlite = measure("SQLite", &state, rounds, import_rows).await;
    drop(state);

    let admin_url = std::env::var("WANGGE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin: PgConnectOptions = admin_url.parse().expect("a PostgreSQL URL");
    let name = format!("wangge_bench_registry_{}", std::process::id());
    let mut conn = admin.connect().await.expect("PostgreSQL reachable");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
    {
        let mut db = admin.clone().database(&name).connect().await.expect("connect");
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("postgis");
    }
    let url = format!("{}/{name}", admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base));
    let pg_dir = tempfile::TempDir::new().expect("temp dir");
    let mut config = Config::with_dirs(pg_dir.path(), &geodata);
    (config.demo, config.demo_residents, config.database_url) = (true, residents, Some(url));
    let started = Instant::now();
    let pg = state_from_config(&config).await.expect("starts on PostGIS");
    let pg_load = started.elapsed();
    let postgis = measure("PostGIS", &pg, rounds, import_rows).await;
    drop(pg);
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.expect("drop database");

    println!();
    println!("| store | first start with the demo (s) | import rows/s (XLSX, one transaction) | rows/s one POST a record | ratio |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (store, load, (import, posts)) in [("SQLite", sqlite_load, sqlite), ("PostGIS", pg_load, postgis)] {
        println!("| {store} | {:.1} | {import:.0} | {posts:.0} | {:.1}× |", load.as_secs_f64(), import / posts);
    }
}

/// A county dispatcher's bearer token.
async fn token(state: &AppState, username: &str) -> String {
    let account = state.store.account(username).await.unwrap().expect("the demo account");
    state.auth.issue(&account, TokenKind::Device, "bench", state.clock.now()).await.unwrap().token
}

/// One request; panics unless it succeeded.
async fn call(app: &Router, token: &str, method: &str, uri: &str, media: &str, body: Vec<u8>) -> Value {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, media)
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(status.is_success(), "{method} {uri}: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// p50 and p99 of `rounds` runs of `uri`, in ms.
async fn latency(app: &Router, token: &str, uri: &str, rounds: usize) -> (f64, f64) {
    let mut ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let v = call(app, token, "GET", uri, "", Vec::new()).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(v.is_object(), "{uri}: {v}");
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.5), at(0.99))
}

/// The queries, then the import; answers (import rows/s, one-POST rows/s).
async fn measure(store: &str, state: &AppState, rounds: usize, import_rows: usize) -> (f64, f64) {
    let app = app(state.clone());
    let county = token(state, "county").await;
    let first = call(&app, &county, "GET", "/api/v1/registry/people?per_page=1", "", Vec::new()).await;
    assert!(first["total"].as_i64().unwrap() > 0, "a registry to measure");
    let person = &first["items"][0];
    let (township, grid, id) = (person["township_code"].as_str().unwrap(), person["grid_code"].as_str().unwrap(), person["id"].as_str().unwrap());
    let number = call(&app, &county, "POST", &format!("/api/v1/registry/people/{id}/reveal"), "application/json", br#"{"field":"id_number"}"#.to_vec()).await;
    let number = number["value"].as_str().unwrap().to_owned();
    let queries = [
        ("people, county, page 1", "/api/v1/registry/people?per_page=50".to_owned()),
        ("people, a township, page 1", format!("/api/v1/registry/people?township={township}&per_page=50")),
        ("people, a grid, page 1", format!("/api/v1/registry/people?grid={grid}&per_page=50")),
        ("people, a township, page 100", format!("/api/v1/registry/people?township={township}&per_page=50&page=100")),
        ("summary, county", "/api/v1/registry/summary".to_owned()),
    ];
    for (what, uri) in &queries {
        let (p50, p99) = latency(&app, &county, uri, rounds).await;
        println!("| {store} | {what} | {p50:.1} | {p99:.1} | | | |");
    }
    let (p50, p99) = latency(&app, &county, &format!("/api/v1/registry/people?id_number={number}"), rounds).await;
    let scan = scan_search(state, &number, 3).await;
    println!("| {store} | exact ID number (keyed hash) | {p50:.2} | {p99:.2} | read and open every sealed number | {scan:.0} | {:.0}× |", scan / p50);
    import(store, &app, &county, import_rows).await
}

/// The search without a keyed hash: every person's sealed number read and opened; ms (median).
async fn scan_search(state: &AppState, number: &str, runs: usize) -> f64 {
    let mut ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let filter = RegistryFilter { entity: Some(Entity::Person), ..Default::default() };
        let all = state.store.records(&filter, Page { page: 1, per_page: 1_000_000 }).await.unwrap();
        let found = all.items.iter().filter(|r| {
            r.sealed.get("id_number").is_some_and(|s| state.registry_keys.open("person.id_number", s).is_ok_and(|v| v == number))
        });
        assert_eq!(found.count(), 1, "the scan finds the number");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

/// `rows` new people of one village as an XLSX import and, beside it, as one POST each.
async fn import(store: &str, app: &Router, token: &str, rows: usize) -> (f64, f64) {
    let village = "130730100001";
    let person = |i: usize, birth: &str| {
        let first = format!("139931{birth}{:03}", i % 1000);
        let number = format!("{first}{}", check_character(&first).unwrap());
        (format!("导入{i}"), number)
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["人口类别", "姓名", "公民身份号码", "联系电话", "村(社区)代码"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let (name, number) = person(i, &format!("19{:02}0{}{:02}", 50 + i / 12_000 % 40, 1 + i / 1000 % 9, 10 + i / 9000 % 18));
        let row = (i + 1) as u32;
        for (c, v) in ["户籍人口", &name, &number, &format!("138{:08}", i), village].iter().enumerate() {
            sheet.write_string(row, c as u16, *v).unwrap();
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let t = Instant::now();
    let started = call(app, token, "POST", "/api/v1/registry/people/import", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx).await;
    let url = started["status_url"].as_str().unwrap().to_owned();
    let mut last_progress = 0;
    let done = loop {
        let s = call(app, token, "GET", &url, "", Vec::new()).await;
        match s["state"].as_str() {
            Some("checking") => {
                let checked = s["rows_checked"].as_u64().unwrap_or(0);
                if checked >= last_progress + rows as u64 / 4 {
                    eprintln!("  {store}: import {checked} of {rows} rows checked");
                    last_progress = checked;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Some("done") => break s,
            _ => panic!("the import failed: {s}"),
        }
    };
    assert_eq!(done["stored"].as_u64(), Some(rows as u64), "{done}");
    let import_rate = rows as f64 / t.elapsed().as_secs_f64();
    // The alternative: the same kind of rows, one request a record (a tenth of them).
    let n = (rows / 10).max(50);
    let t = Instant::now();
    for i in 0..n {
        let (name, number) = person(i, &format!("19{:02}0{}{:02}", 50 + i / 12_000 % 40, 1 + i / 1000 % 9, 10 + i / 9000 % 18 + 1));
        let body = json!({"kind": "registered", "name": name, "id_number": number, "phone": format!("137{:08}", i), "village_code": village});
        let r = call(app, token, "POST", "/api/v1/registry/people", "application/json", body.to_string().into_bytes()).await;
        assert!(r["id"].is_string());
    }
    let post_rate = n as f64 / t.elapsed().as_secs_f64();
    (import_rate, post_rate)
}
