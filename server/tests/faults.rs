//! Faults survived, with the real binary and real processes killed: nothing acknowledged is
//! lost, nothing is stored twice.
//!
//! - `sigkill_sqlite`: ≥ 1,000 reports sent at once by clients that retry until acknowledged
//!   (every tenth gives up at its first failure), the server SIGKILLed at random moments and
//!   restarted; then every acknowledged report is stored exactly once with its timeline, the
//!   abandoned ones at most once, `integrity_check` is ok, the audit chain verifies, and the
//!   index and catalog answer as before. It ends with a SIGTERM under load: the requests in
//!   flight are answered, the process exits 0 within the drain time.
//! - `sigkill_and_database_crash_postgis`: the same on a private PostgreSQL cluster, which is
//!   also stopped with `pg_ctl stop -m immediate` (a crash) under load: meanwhile every answer is
//!   503 with `Retry-After` within the stated time, never a 500, and the service reconnects by
//!   itself.
//! - `full_disk_sqlite`: the data directory on a small tmpfs filled up: writes answer 507 with
//!   `Retry-After`, reads keep working, and writes succeed again once space returns.
//!
//! Bounded in the test command; `scripts/faults.sh` runs them longer (`WANGGE_FAULT_REPORTS`,
//! `WANGGE_FAULT_KILLS`) and prints the figures docs/operations.md records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faultkit;

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

use faultkit::{env_number, Client, Figures, Outcome, PgCluster, Rng, Server};
use serde_json::{json, Value};

/// Points inside the demo county (checked against the index before use).
const POINTS: [(f64, f64); 4] = [(115.504, 40.404), (115.506, 40.403), (115.502, 40.405), (115.505, 40.406)];

fn report(id: &str, i: usize) -> Value {
    let (lon, lat) = POINTS[i % POINTS.len()];
    json!({
        "report_id": id, "category": "livelihood", "subcategory": "路灯", "description": "路灯不亮（故障演练）",
        "location": {"lon": lon, "lat": lat},
        "reporter": {"kind": "resident", "name": "李四", "phone": "13912345678"},
        "channel": "phone",
    })
}

/// What the clients of one run saw.
#[derive(Debug, Default)]
struct Seen {
    /// Acknowledged report id → event id.
    acknowledged: HashMap<String, String>,
    /// Reports whose clients gave up unacknowledged.
    abandoned: HashSet<String>,
    /// 503s (and 507s) with and without `Retry-After`.
    unavailable: u64,
    unavailable_without_retry_after: u64,
    /// Answers that are defects (5xx other than 503/507, unexpected 4xx): status and body.
    defects: Vec<String>,
    /// The slowest answer.
    slowest: Duration,
}

/// Sends `n` reports at once (ids `{run}-{i}`), each client retrying until acknowledged, or,
/// for every tenth, giving up at its first failure.
async fn send_reports(addr: std::net::SocketAddr, token: &str, run: &str, n: usize, spread: Duration) -> Seen {
    let mut tasks = Vec::with_capacity(n);
    let mut rng = Rng::seeded(run);
    for i in 0..n {
        let client = Client::new(addr, token);
        let delay = Duration::from_millis(rng.below(spread.as_millis() as u64 + 1));
        let id = format!("{run}-{i}");
        let gives_up = i % 10 == 9;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let body = report(&id, i);
            let mut seen = Seen::default();
            let give_up_at = Instant::now() + Duration::from_secs(600);
            let mut rng = Rng::quiet(i as u64);
            loop {
                let mut wait = Duration::from_millis(100 + rng.below(100));
                let started = Instant::now();
                let outcome = client.post("/api/v1/reports", &body).await;
                seen.slowest = seen.slowest.max(started.elapsed());
                match outcome {
                    Outcome::Answer { status: 200 | 201, body, .. } => {
                        let event = body["event_id"].as_str().unwrap_or_default().to_owned();
                        seen.acknowledged.insert(id.clone(), event);
                        return seen;
                    }
                    Outcome::Answer { status: 503 | 507, retry_after, .. } => {
                        seen.unavailable += 1;
                        if retry_after.is_none() {
                            seen.unavailable_without_retry_after += 1;
                        }
                        // As a phone does: wait what the server asked (at most 5 s here), spread.
                        let asked = retry_after.and_then(|r| r.parse::<u64>().ok()).unwrap_or(1).min(5);
                        wait = Duration::from_millis(asked * 1000 / 2 + rng.below(asked * 500 + 1));
                    }
                    Outcome::Answer { status, body, .. } => seen.defects.push(format!("{status} {body}")),
                    Outcome::Refused | Outcome::Broken(_) => {}
                }
                if gives_up || Instant::now() > give_up_at {
                    seen.abandoned.insert(id.clone());
                    return seen;
                }
                tokio::time::sleep(wait).await;
            }
        }));
    }
    let mut all = Seen::default();
    for t in tasks {
        let s = t.await.expect("a client task");
        all.acknowledged.extend(s.acknowledged);
        all.abandoned.extend(s.abandoned);
        all.unavailable += s.unavailable;
        all.unavailable_without_retry_after += s.unavailable_without_retry_after;
        all.defects.extend(s.defects);
        all.slowest = all.slowest.max(s.slowest);
    }
    all
}

/// The index's and the catalog's answers: every grid's feature, and the grids of sample points.
async fn grid_answers(client: &Client) -> (String, String) {
    let grids = client.get("/api/v1/grids").await.expect_ok("the grids");
    let mut points = Vec::new();
    for i in 0..400 {
        points.push(json!([115.2 + f64::from(i % 20) * 0.05, 40.15 + f64::from(i / 20) * 0.035]));
    }
    let located = client.post("/api/v1/locate", &json!({ "points": points })).await.expect_ok("bulk locate");
    (faultkit::digest(&grids.to_string()), faultkit::digest(&located.to_string()))
}

/// Checks what a run stored against what its clients saw.
async fn check_stored(rows: &[(String, String, i64)], seen: &Seen, run: &str) -> (usize, usize) {
    let mut stored: HashMap<&str, Vec<(&str, i64)>> = HashMap::new();
    for (report_id, event_id, timeline) in rows {
        stored.entry(report_id.as_str()).or_default().push((event_id.as_str(), *timeline));
    }
    let mut lost = 0;
    let mut duplicated = 0;
    for (report_id, event_id) in &seen.acknowledged {
        match stored.get(report_id.as_str()).map(Vec::as_slice) {
            None | Some([]) => lost += 1,
            Some([(stored_id, timeline)]) => {
                assert_eq!(stored_id, event_id, "{run}: report {report_id} acknowledged as another event");
                assert!(*timeline >= 2, "{run}: report {report_id} has {timeline} timeline rows");
            }
            Some(_) => duplicated += 1,
        }
    }
    for report_id in &seen.abandoned {
        if stored.get(report_id.as_str()).is_some_and(|v| v.len() > 1) {
            duplicated += 1;
        }
    }
    (lost, duplicated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_sqlite() {
    let reports = env_number("WANGGE_FAULT_REPORTS", 1000);
    let kills = env_number("WANGGE_FAULT_KILLS", 3);
    let mut server = Server::start_demo(None, &[]).await;
    let county = server.login("county").await;
    let auditor = server.login("auditor").await;
    let before = grid_answers(&Client::new(server.addr(), &county)).await;
    let run = format!("fault-sqlite-{}", std::process::id());
    let spread = Duration::from_millis(400 * kills as u64 + 800);
    let mut rng = Rng::seeded(&run);

    let sending = {
        let (addr_server, token, run) = (server.addr(), county.clone(), run.clone());
        tokio::spawn(async move { send_reports(addr_server, &token, &run, reports, spread).await })
    };
    let mut recoveries = Vec::new();
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(150 + rng.below(350))).await;
        recoveries.push(server.kill_and_restart().await);
    }
    let seen = sending.await.unwrap();

    // The last stop: SIGTERM while reports are in flight.
    let drain_run = format!("{run}-drain");
    let draining = {
        let (handle, token, run) = (server.addr(), county.clone(), drain_run.clone());
        tokio::spawn(async move { send_reports(handle, &token, &run, 200, Duration::from_millis(300)).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (exit, drain_time) = server.terminate().await;
    assert_eq!(exit, Some(0), "SIGTERM ends the process cleanly");
    assert!(drain_time < Duration::from_secs(30), "drained in {drain_time:?}");
    server.restart().await;
    let drain_seen = draining.await.unwrap();
    assert!(drain_seen.defects.is_empty(), "answers during the drain: {:?}", drain_seen.defects);

    let client = Client::new(server.addr(), &county);
    let after = grid_answers(&client).await;
    assert_eq!(before, after, "the index and the catalog answer as before the kills");
    let verify = Client::new(server.addr(), &auditor).get("/api/v1/audit/verify").await.expect_ok("audit verify");
    assert_eq!(verify["ok"], true, "the audit chain verifies after the kills: {verify}");
    server.stop().await;

    let rows = server.stored_reports(&run).await;
    let (lost, duplicated) = check_stored(&rows, &seen, &run).await;
    let drain_rows = server.stored_reports(&drain_run).await;
    let (drain_lost, drain_duplicated) = check_stored(&drain_rows, &drain_seen, &drain_run).await;
    let integrity = server.sqlite_integrity().await;

    let figures = Figures {
        store: "sqlite",
        reports,
        kills,
        acknowledged: seen.acknowledged.len(),
        abandoned: seen.abandoned.len(),
        lost: lost + drain_lost,
        duplicated: duplicated + drain_duplicated,
        unavailable: seen.unavailable,
        recoveries: recoveries.clone(),
        slowest: seen.slowest,
        note: format!(
            "drain: {} acknowledged of 200 sent around SIGTERM, exit in {} ms; integrity_check {integrity}",
            drain_seen.acknowledged.len(),
            drain_time.as_millis()
        ),
    };
    figures.print();
    assert!(seen.defects.is_empty(), "defective answers: {:?}", &seen.defects[..seen.defects.len().min(5)]);
    assert_eq!(seen.unavailable_without_retry_after, 0, "every 503 carries Retry-After");
    assert_eq!(seen.acknowledged.len() + seen.abandoned.len(), reports);
    assert!(seen.acknowledged.len() >= reports * 9 / 10, "every client that retries is acknowledged");
    assert_eq!((lost, duplicated), (0, 0), "acknowledged reports lost, stored twice");
    assert_eq!((drain_lost, drain_duplicated), (0, 0), "around SIGTERM: lost, stored twice");
    assert_eq!(integrity, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_and_database_crash_postgis() {
    let reports = env_number("WANGGE_FAULT_REPORTS", 1000);
    let kills = env_number("WANGGE_FAULT_KILLS", 2);
    let mut cluster = PgCluster::start().await;
    let url = cluster.create_database("wangge").await;
    // A short request timeout: no request may hang longer while the database is away.
    let mut server = Server::start_demo(Some(&url), &["--request-timeout-secs", "10", "--pool-wait-secs", "2"]).await;
    let county = server.login("county").await;
    let auditor = server.login("auditor").await;
    let before = grid_answers(&Client::new(server.addr(), &county)).await;
    let run = format!("fault-pg-{}", std::process::id());
    // Long enough that the database crash, after the kills, still falls within the load.
    let spread = Duration::from_millis(3500 * kills as u64 + 4000);
    let mut rng = Rng::seeded(&run);

    let sending = {
        let (handle, token, run) = (server.addr(), county.clone(), run.clone());
        tokio::spawn(async move { send_reports(handle, &token, &run, reports, spread).await })
    };
    let mut recoveries = Vec::new();
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(300 + rng.below(700))).await;
        recoveries.push(server.kill_and_restart().await);
    }
    // The database crashes under load and is away for 4 s.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe = Client::new(server.addr(), &county);
    cluster.stop_immediate();
    let crashed = Instant::now();
    let mut answers_while_away = Vec::new();
    while crashed.elapsed() < Duration::from_secs(4) {
        let started = Instant::now();
        let outcome = probe.post("/api/v1/reports", &report(&format!("{run}-probe-{}", answers_while_away.len()), 0)).await;
        answers_while_away.push((outcome, started.elapsed()));
    }
    cluster.restart();
    let back = Instant::now();
    let reconnected = loop {
        if let Outcome::Answer { status: 200, .. } = probe.get("/readyz").await {
            break back.elapsed();
        }
        assert!(back.elapsed() < Duration::from_secs(60), "the service reconnects by itself");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seen = sending.await.unwrap();

    let after = grid_answers(&Client::new(server.addr(), &county)).await;
    assert_eq!(before, after, "the index and the catalog answer as before");
    let verify = Client::new(server.addr(), &auditor).get("/api/v1/audit/verify").await.expect_ok("audit verify");
    assert_eq!(verify["ok"], true, "the audit chain verifies: {verify}");
    server.stop().await;
    let rows = server.stored_reports(&run).await;
    let (lost, duplicated) = check_stored(&rows, &seen, &run).await;

    let away = answers_while_away.len();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    for (outcome, _) in &answers_while_away {
        *statuses.entry(outcome.label()).or_default() += 1;
    }
    let slowest_away = answers_while_away.iter().map(|(_, t)| *t).max().unwrap_or_default();
    let figures = Figures {
        store: "postgis",
        reports,
        kills,
        acknowledged: seen.acknowledged.len(),
        abandoned: seen.abandoned.len(),
        lost,
        duplicated,
        unavailable: seen.unavailable,
        recoveries,
        slowest: seen.slowest,
        note: format!(
            "database crashed (immediate stop) 4 s under load: {away} answers meanwhile {statuses:?}, slowest {} ms; \
             service back {} ms after the database",
            slowest_away.as_millis(),
            reconnected.as_millis()
        ),
    };
    figures.print();
    for (outcome, took) in &answers_while_away {
        match outcome {
            Outcome::Answer { status: 503, retry_after: Some(_), .. } | Outcome::Answer { status: 201, .. } => {}
            other => panic!("while the database is away: {other:?}"),
        }
        assert!(*took < Duration::from_secs(11), "an answer took {took:?} (request timeout 10 s)");
    }
    assert!(statuses.get("503").copied().unwrap_or(0) > 0, "503s while the database was away: {statuses:?}");
    assert!(seen.defects.is_empty(), "defective answers: {:?}", &seen.defects[..seen.defects.len().min(5)]);
    assert_eq!(seen.unavailable_without_retry_after, 0, "every 503 carries Retry-After");
    assert!(seen.acknowledged.len() >= reports * 9 / 10);
    assert!(seen.slowest < Duration::from_secs(11), "a report waited {:?} (request timeout 10 s)", seen.slowest);
    assert_eq!((lost, duplicated), (0, 0), "acknowledged reports lost, stored twice");
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_sqlite() {
    // Mounting needs root (the test command runs as root); without it this is a failure.
    let disk = faultkit::SmallDisk::mount(1024).expect("a tmpfs for the data directory (run as root)");
    let mut server = Server::start_in(disk.path(), &[]).await;
    // A restart leaves a small write-ahead log: the next writes need new space at once.
    server.stop().await;
    server.restart().await;
    let county = Client::new(server.addr(), &server.login("county").await);
    let run = format!("full-{}", std::process::id());
    assert!(matches!(county.post("/api/v1/reports", &report(&format!("{run}-0"), 0)).await, Outcome::Answer { status: 201, .. }));
    let ballast = disk.path().join("ballast");
    disk.fill(&ballast);
    let mut refused = None;
    let mut acknowledged_while_full = Vec::new();
    for i in 1..2000 {
        let id = format!("{run}-{i}");
        match county.post("/api/v1/reports", &report(&id, i)).await {
            Outcome::Answer { status: 201 | 200, .. } => acknowledged_while_full.push(id),
            outcome => {
                refused = Some(outcome);
                break;
            }
        }
    }
    let refused = refused.expect("writes on a full disk are refused");
    match &refused {
        Outcome::Answer { status: 507, retry_after: Some(_), body } => {
            assert_eq!(body["type"], "urn:wangge:problem:insufficient-storage", "{body}");
        }
        other => panic!("a write on a full disk: {other:?}\n{}", server.log_tail()),
    }
    // A report with a photo: the photo's file cannot be written, so nothing is acknowledged.
    let photo_report = format!("{run}-photo");
    let with_photo = county.post_multipart("/api/v1/reports", "report", &report(&photo_report, 2), &[("photo", noisy_jpeg(1), "image/jpeg")]).await;
    match &with_photo {
        Outcome::Answer { status: 507, retry_after: Some(_), body } => {
            assert_eq!(body["type"], "urn:wangge:problem:insufficient-storage", "{body}");
        }
        other => panic!("a report with a photo on a full disk: {other:?}\n{}", server.log_tail()),
    }
    // Reads keep working.
    let grids = county.get("/api/v1/grids").await.expect_ok("the grids on a full disk");
    assert!(grids["features"].as_array().is_some_and(|f| !f.is_empty()));
    let queue = county.get("/api/v1/events?per_page=5").await.expect_ok("the event queue on a full disk");
    assert!(queue["total"].as_u64().is_some_and(|n| n > 0), "{queue}");
    // Space returns: writes work again by themselves.
    std::fs::remove_file(&ballast).unwrap();
    let again = format!("{run}-after");
    let back = county.post("/api/v1/reports", &report(&again, 1)).await;
    assert!(matches!(back, Outcome::Answer { status: 201, .. }), "after space returns: {back:?}");
    // The refused photo report, retried, is taken whole: its photo is stored and served.
    let photo = county.post_multipart("/api/v1/reports", "report", &report(&photo_report, 2), &[("photo", noisy_jpeg(1), "image/jpeg")]).await;
    let Outcome::Answer { status: 201, body, .. } = &photo else { panic!("the photo report after space returns: {photo:?}") };
    let url = body["attachments"][0]["url"].as_str().expect("the photo's address");
    let served = county.get_bytes(url).await;
    assert!(image::load_from_memory(&served).is_ok(), "the stored photo decodes ({} bytes)", served.len());
    server.stop().await;
    // Everything acknowledged is there, the refused one is not (it was never acknowledged).
    let stored: HashSet<String> = server.stored_reports(&run).await.into_iter().map(|r| r.0).collect();
    for id in acknowledged_while_full.iter().chain([&format!("{run}-0"), &again, &photo_report]) {
        assert!(stored.contains(id), "{id} was acknowledged and is lost");
    }
    assert_eq!(server.sqlite_integrity().await, "ok");
    println!(
        "FULL-DISK sqlite: {} reports acknowledged after the disk filled (space the log had), then {}; reads answered; \
         writes back once space returned",
        acknowledged_while_full.len(),
        refused.label()
    );
}

/// A JPEG of noise (incompressible, so it needs real space), the same for the same `seed`.
fn noisy_jpeg(seed: u64) -> Vec<u8> {
    let mut rng = Rng::quiet(seed);
    let img = image::RgbImage::from_fn(640, 480, |_, _| image::Rgb([rng.below(256) as u8, rng.below(256) as u8, rng.below(256) as u8]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(&img).expect("a JPEG");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_under_load_and_restore_drill_sqlite() {
    let mut server = Server::start_demo(None, &[]).await;
    let county = server.login("county").await;
    let run = format!("backup-{}", std::process::id());
    let first = send_reports(server.addr(), &county, &format!("{run}-a"), 300, Duration::from_millis(500)).await;
    assert!(first.defects.is_empty(), "{:?}", first.defects);
    // Sealed before the backup starts: every one must be in it.
    let audit_before: i64 = {
        let mut conn = server.sqlite_read_only().await;
        sqlx::query_scalar("SELECT max(seq) FROM audit_log").fetch_one(&mut conn).await.unwrap()
    };
    // The backup runs while more reports arrive.
    let loading = {
        let (addr, token, run) = (server.addr(), county.clone(), format!("{run}-b"));
        tokio::spawn(async move { send_reports(addr, &token, &run, 600, Duration::from_secs(3)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = tempfile::TempDir::new().unwrap();
    let target = backup.path().join("copy");
    let output = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["--data-dir"])
        .arg(server.data_dir())
        .args(["backup", "--to"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(output.status.success(), "wangge backup: {}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let second = loading.await.unwrap();
    assert!(second.defects.is_empty(), "answers during the backup: {:?}", second.defects);
    let manifest: Value = serde_json::from_slice(&std::fs::read(target.join("MANIFEST.json")).unwrap()).unwrap();

    // Restore elsewhere: the copy, and the keys (kept apart from the backups).
    let restored = tempfile::TempDir::new().unwrap();
    for file in ["wangge.db", "audit.anchor"] {
        std::fs::copy(target.join(file), restored.path().join(file)).unwrap();
    }
    for key in ["audit.key", "registry.key"] {
        std::fs::copy(server.data_dir().join(key), restored.path().join(key)).unwrap();
    }
    server.stop().await;
    let mut copy = Server::start_in(restored.path(), &[]).await;
    let auditor = Client::new(copy.addr(), &copy.login("auditor").await);
    let verify = auditor.get("/api/v1/audit/verify").await.expect_ok("verify the restored chain");
    assert_eq!(verify["ok"], true, "the restored audit chain verifies: {verify}");
    assert!(verify["rows"].as_i64().is_some_and(|n| n >= audit_before), "{verify} holds the {audit_before} rows sealed before");
    let stored = copy.stored_reports(&format!("{run}-a")).await;
    let (lost, duplicated) = check_stored(&stored, &first, &run).await;
    assert_eq!((lost, duplicated), (0, 0), "reports acknowledged before the backup: lost, twice");
    let during = copy.stored_reports(&format!("{run}-b")).await.len();
    let events = Client::new(copy.addr(), &copy.login("county").await);
    let one = first.acknowledged.values().next().unwrap();
    let timeline = events.get(&format!("/api/v1/events/{one}/timeline")).await.expect_ok("a timeline from the copy");
    assert!(timeline["entries"].as_array().is_some_and(|t| t.len() >= 2), "{timeline}");
    copy.stop().await;
    assert_eq!(copy.sqlite_integrity().await, "ok");
    println!(
        "BACKUP drill: {} acknowledged before, all restored; {during} of {} sent during the backup are in it; \
         audit rows {} (≥ {audit_before}), chain verifies; manifest {}; {}",
        first.acknowledged.len(),
        second.acknowledged.len(),
        verify["rows"],
        manifest["database_bytes"],
        printed.lines().next().unwrap_or_default()
    );
}

/// The demo year's busiest hour: reports in it.
async fn peak_hour(server: &Server) -> i64 {
    let mut conn = server.sqlite_read_only().await;
    sqlx::query_scalar("SELECT count(*) AS n FROM event GROUP BY substr(reported_at, 1, 13) ORDER BY n DESC LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_at_twice_the_peak_hour_sqlite() {
    let secs = env_number("WANGGE_SOAK_SECS", 40) as u64;
    // Room enough for the soak on a busy machine; the burst below goes well past it.
    let mut server = Server::start_demo(None, &["--max-in-flight", "256"]).await;
    let county = server.login("county").await;
    let peak = peak_hour(&server).await;
    // At least twice the busiest hour of the county's year (`WANGGE_SOAK_RATE` reports a
    // second, default 10: far above it), each report with the reads of the people working it
    // (the queue, the event, the heatmap, the figures).
    let twice_peak = (2 * peak) as f64 / 3600.0;
    let per_second = (env_number("WANGGE_SOAK_RATE", 10) as f64).max(twice_peak);
    let client = Client::new(server.addr(), &county);
    let warm = send_reports(server.addr(), &county, "soak-warm", 50, Duration::from_millis(200)).await;
    assert!(warm.defects.is_empty());
    let rss_start = server.rss_kib();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    let mut tasks = Vec::new();
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        n += 1;
        let (client, id) = (client.clone(), format!("soak-{}-{n}", std::process::id()));
        tasks.push(tokio::spawn(async move {
            let mut timings = Vec::new();
            let mut failures = Vec::new();
            let mut timed = |label: &str, outcome: Outcome, took: Duration| {
                timings.push(took);
                if !matches!(outcome, Outcome::Answer { status: 200 | 201, .. }) {
                    failures.push(format!("{label}: {outcome:?}"));
                }
            };
            let t = Instant::now();
            let created = client.post("/api/v1/reports", &report(&id, n)).await;
            let event = match &created {
                Outcome::Answer { body, .. } => body["event_id"].as_str().unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            timed("report", created, t.elapsed());
            for path in [
                "/api/v1/events?per_page=50".to_owned(),
                format!("/api/v1/events/{event}"),
                "/api/v1/map/heat?from=2023-12-01&to=2023-12-31".to_owned(),
                "/api/v1/stats?from=2023-12-01&to=2023-12-31".to_owned(),
            ] {
                let t = Instant::now();
                let outcome = client.get(&path).await;
                timed(&path, outcome, t.elapsed());
            }
            (timings, failures)
        }));
    }
    let mut timings = Vec::new();
    let mut failures = Vec::new();
    for t in tasks {
        let (mut ts, mut fs) = t.await.unwrap();
        timings.append(&mut ts);
        failures.append(&mut fs);
    }
    let rss_end = server.rss_kib();
    timings.sort_unstable();
    let p = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)].as_millis();
    println!(
        "SOAK sqlite: peak hour {peak} reports (twice: {twice_peak:.4}/s); {n} reports ({per_second:.2}/s, {:.0}× that) \
         and {} requests in {secs} s; \
         p50 {} ms, p99 {} ms, max {} ms; RSS {rss_start} KiB at start, {rss_end} KiB at the end",
        per_second / twice_peak,
        timings.len(),
        p(0.5),
        p(0.99),
        timings.last().map_or(0, Duration::as_millis)
    );
    assert!(failures.is_empty(), "{} failed requests, e.g. {:?}", failures.len(), &failures[..failures.len().min(3)]);
    assert!(rss_end <= rss_start + rss_start / 4 + 32 * 1024, "memory grew from {rss_start} KiB to {rss_end} KiB");

    // Overload: 600 heavy requests at once against 256 places. The ones beyond are refused at
    // once with Retry-After, not queued; every request is answered.
    let burst: Vec<_> = (0..600)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let outcome = client.get("/api/v1/stats?from=2023-01-01&to=2023-12-31").await;
                (outcome, t.elapsed())
            })
        })
        .collect();
    let mut answered = HashMap::<String, usize>::new();
    let mut slowest_refusal = Duration::ZERO;
    for task in burst {
        let (outcome, took) = task.await.unwrap();
        if let Outcome::Answer { status: 503, retry_after, .. } = &outcome {
            assert!(retry_after.is_some(), "a 503 without Retry-After");
            slowest_refusal = slowest_refusal.max(took);
        }
        *answered.entry(outcome.label()).or_default() += 1;
    }
    let rss_burst = server.rss_kib();
    println!("OVERLOAD sqlite: 600 requests at once, 256 in flight at most: {answered:?}; slowest refusal {} ms; RSS {rss_burst} KiB", slowest_refusal.as_millis());
    server.stop().await;
    assert_eq!(answered.keys().filter(|k| !matches!(k.as_str(), "200" | "503")).count(), 0, "{answered:?}");
    assert!(answered.get("503").is_some_and(|n| *n > 0), "beyond 256 in flight, 503s: {answered:?}");
}
