//! Photo intake benchmark: reports with one 3–4 MB phone photo each, through
//! `POST /api/v1/reports` as multipart (in process, no sockets), on both stores — SQLite on a
//! temp data dir (the photo's file fsynced, then its row with the event) and PostGIS on a
//! throwaway database (the bytes in the event's transaction) — each beside plain JSON reports
//! measured in the same run on the same store. Every answer must be 201 with its photo, or the
//! benchmark panics: a failed request never becomes a figure.
//!
//! `cargo bench -p wangge-server --bench photos -- [reports] [clients]` (default 40 and 4);
//! PostGIS at `WANGGE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`).
// A benchmark binary: failing loudly is what it should do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use image::{DynamicImage, Rgb, RgbImage};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor};
use tower::ServiceExt;
use wangge_server::access::{ApiKeyRequest, KeyScope};
use wangge_server::store::AccountRecord;
use wangge_server::{app, state_from_config, AppState, Config};

const BOUNDARY: &str = "wangge-bench-photo";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let reports: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let photo = Arc::new(phone_photo());
    println!("photo: {:.2} MB JPEG, {reports} reports, {clients} clients", photo.len() as f64 / 1e6);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");

    println!("| store | reports | plain reports/s | with a 3 MB photo reports/s | photo MB/s | plain ÷ photo |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let dir = tempfile::TempDir::new().expect("temp dir");
    let state = state_from_config(&Config::with_dirs(dir.path(), &fixture)).await.expect("starts");
    measure("SQLite (files + rows)", &state, &photo, reports, clients).await;

    let admin_url = std::env::var("WANGGE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin: PgConnectOptions = admin_url.parse().expect("a PostgreSQL URL");
    let name = format!("wangge_bench_photos_{}", std::process::id());
    let mut conn = admin.connect().await.expect("PostgreSQL reachable");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
    {
        let mut db = admin.clone().database(&name).connect().await.expect("connect");
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("postgis");
    }
    let url = format!("{}/{name}", admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base));
    let mut config = Config::with_dirs(dir.path(), &fixture);
    config.database_url = Some(url);
    let pg = state_from_config(&config).await.expect("starts on PostGIS");
    measure("PostGIS (bytea in the event's transaction)", &pg, &photo, reports, clients).await;
    drop(pg);
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.expect("drop database");
}

/// A 12 MP-class phone photo's worth of detail: noise over gradients, about 3 MB as JPEG.
fn phone_photo() -> Vec<u8> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let img = RgbImage::from_fn(1900, 1420, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed & 0x3f) as u32;
        Rgb([((x / 8 + n) % 256) as u8, ((y / 6 + n) % 256) as u8, ((x + y) / 14 % 256) as u8])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95))
        .expect("encode");
    out
}

async fn measure(name: &str, state: &AppState, photo: &Arc<Vec<u8>>, reports: usize, clients: usize) {
    let key = intake_key(state).await;
    let plain = run(state, &key, "plain", None, reports, clients).await;
    let with_photo = run(state, &key, "photo", Some(photo.clone()), reports, clients).await;
    let rate = |d: Duration| reports as f64 / d.as_secs_f64();
    println!(
        "| {name} | {reports} | {:.1} | {:.2} | {:.1} | {:.1} |",
        rate(plain),
        rate(with_photo),
        rate(with_photo) * photo.len() as f64 / 1e6,
        rate(plain) / rate(with_photo)
    );
}

async fn intake_key(state: &AppState) -> String {
    let now = state.clock.now();
    let account = AccountRecord::service("bench-photos", "bench photos", now);
    state.store.insert_account(&account).await.expect("service account");
    state.store.set_grant("bench-photos", Some("dispatcher"), Some("county"), "").await.expect("grant");
    let request = ApiKeyRequest { scope: KeyScope::Intake, label: "bench".into(), expires_in_days: 1 };
    state.auth.issue_api_key(&account, &request, now).await.expect("key").0.token
}

fn report(tag: &str, n: usize) -> Value {
    let (lon, lat) = (115.5005 + (n % 389) as f64 * 0.0001, 40.4005 + (n % 193) as f64 * 0.0001);
    json!({
        "report_id": format!("bench-{tag}-{n}"), "category": "livelihood", "subcategory": "供水",
        "description": "自来水管破裂，路面积水", "location": {"lon": lon, "lat": lat},
        "reporter": {"kind": "resident", "phone": "13912345678"}, "channel": "app",
    })
}

async fn run(state: &AppState, key: &str, tag: &'static str, photo: Option<Arc<Vec<u8>>>, reports: usize, clients: usize) -> Duration {
    let router = app(state.clone());
    let bearer = format!("Bearer {key}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (router, bearer, photo) = (router.clone(), bearer.clone(), photo.clone());
        tasks.push(tokio::spawn(async move {
            for n in (c..reports).step_by(clients) {
                let json = report(tag, n);
                let request = match &photo {
                    None => Request::post("/api/v1/reports")
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::AUTHORIZATION, &bearer)
                        .body(Body::from(json.to_string())),
                    Some(bytes) => {
                        let mut body = format!(
                            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n{json}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                        )
                        .into_bytes();
                        body.extend_from_slice(bytes);
                        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
                        Request::post("/api/v1/reports")
                            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
                            .header(header::AUTHORIZATION, &bearer)
                            .body(Body::from(body))
                    }
                }
                .expect("request");
                let response = router.clone().oneshot(request).await.expect("answer");
                let status = response.status();
                let bytes = response.into_body().collect().await.expect("body").to_bytes();
                assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&bytes));
                if photo.is_some() {
                    let v: Value = serde_json::from_slice(&bytes).expect("json");
                    assert_eq!(v["attachments"].as_array().map(Vec::len), Some(1), "{v}");
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    started.elapsed()
}
