//! Publishing a whole-county boundary generation, over real HTTP on loopback, with the demo
//! county and its 2023 events on the embedded SQLite store: validation of all grids, the impact
//! (a new index and every event located in it), the one-transaction write with the open events
//! reassigned, and the index swap. Lookups keep running on another thread meanwhile; their
//! latency during the publications is printed beside the same lookups with nothing happening
//! (the baseline, measured in the same run).
//!
//! `cargo run --release -p wangge-tests --bin bench-publish [-- --runs N]`
//!
//! The draft swaps the shapes of pairs of rural grids inside each village (so their open
//! events change grid), and the next run swaps them back.

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wangge_core::SharedIndex;
use wangge_server::{app, state_from_config, AppState, Config};
use wangge_tests::{repo_root, Points};

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-publish: no runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(runs)) {
        eprintln!("bench-publish failed: {e}");
        std::process::exit(1);
    }
}

async fn run(runs: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("wangge-bench-publish-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::with_dirs(&dir, repo_root().join("geodata/huailai"));
    config.demo = true;
    let started = Instant::now();
    let state = state_from_config(&config).await.map_err(|e| e.to_string())?;
    println!("demo county loaded in {:.1} s: {} grids", started.elapsed().as_secs_f64(), state.index.load().grids().len());
    let token = planner_token(&state).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(axum::serve(listener, app(state.clone())).into_future());

    // The baseline: lookups for 2 s with nothing else happening.
    let idle = lookups_during(&state.index, async { tokio::time::sleep(Duration::from_secs(2)).await }).await.0;

    let mut times = Vec::new();
    let mut checks = Vec::new();
    let mut during = Latencies::default();
    for i in 0..runs {
        let base = state.store.current_generation().await.map_err(|e| e.to_string())?;
        let body = county_draft(&state, base, i);
        let text = body.to_string();
        // The planner's check of the same draft first (what the editor asks before publishing).
        let t = Instant::now();
        let (status, answer) = post(addr, "/api/v1/drafts/check", &token, &text).await;
        let checked = t.elapsed();
        if status != 200 || answer["publishable"] != true {
            return Err(format!("check answered {status}: {answer}"));
        }
        checks.push(checked);
        let (lat, (elapsed, status, answer)) = lookups_during(&state.index, async {
            let t = Instant::now();
            let (status, answer) = post(addr, "/api/v1/drafts/publish", &token, &text).await;
            (t.elapsed(), status, answer)
        })
        .await;
        if status != 201 {
            return Err(format!("publish answered {status}: {answer}"));
        }
        println!(
            "run {}: publish {:.0} ms (draft {:.1} MB, generation {}, {} open events reassigned, {} grids reshaped)",
            i + 1,
            elapsed.as_secs_f64() * 1000.0,
            text.len() as f64 / 1e6,
            answer["generation"],
            answer["reassigned"],
            answer["impact"]["reshaped"].as_array().map_or(0, Vec::len),
        );
        println!("       phases (ms): {}; the check before it {:.0} ms", answer["timings_ms"], checked.as_secs_f64() * 1000.0);
        times.push(elapsed);
        during.merge(lat);
    }
    times.sort();
    checks.sort();
    let median = times[times.len() / 2];
    let check = checks[checks.len() / 2];
    println!(
        "\npublish, whole county (validate + impact + write + reassignment + index swap): median {:.0} ms of {runs} (target <= 1000 ms)",
        median.as_secs_f64() * 1000.0
    );
    println!("check, whole county (validate + impact): median {:.0} ms of {runs}", check.as_secs_f64() * 1000.0);
    println!("lookups with nothing happening (baseline): {}", idle.summary());
    println!("lookups during the publications:          {}", during.summary());
    // One line per figure for scripts/bench.sh's table: what | ours | alternative | theirs | ratio | goal.
    println!("TABLE|publishing a whole-county generation, median ms|{:.0}|—|—|—|≤ 300 ms", median.as_secs_f64() * 1000.0);
    state.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A planner's API key, made in the store.
async fn planner_token(state: &AppState) -> Result<String, String> {
    let now = chrono::Utc::now();
    let record =
        wangge_server::store::AccountRecord::new("bench-planner", "bench", Some(("planner", "county")), "", "!".into(), now);
    state.store.insert_account(&record).await.map_err(|e| e.to_string())?;
    let issued = state.auth.issue(&record, wangge_server::access::TokenKind::Device, "bench", now).await.map_err(|e| e.to_string())?;
    Ok(issued.token)
}

/// The county's current grids as a draft, the shapes of pairs of rural grids of each village
/// swapped (run `i` swaps the other way round, i.e. back).
fn county_draft(state: &AppState, base: i64, _i: usize) -> Value {
    let catalog = state.catalog.load();
    let grids: Vec<_> = catalog.grids().iter().map(|g| &g.grid).collect();
    let mut rural: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, g) in grids.iter().enumerate() {
        if g.kind == wangge_core::GridKind::Rural {
            rural.entry(g.village_code.as_str()).or_default().push(i);
        }
    }
    let mut shape_of: Vec<usize> = (0..grids.len()).collect();
    for list in rural.values() {
        for pair in list.chunks(2) {
            if let [a, b] = pair {
                shape_of.swap(*a, *b);
            }
        }
    }
    let features: Vec<Value> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let shape = &grids[shape_of[i]].geometry;
            json!({"type": "Feature", "properties": {
                "code": g.code, "name": g.name, "kind": g.kind.as_str(), "village_code": g.village_code,
                "township_code": g.township_code, "parent_grid": g.parent_grid,
            }, "geometry": geojson::Geometry::new(geojson::Value::from(shape))})
        })
        .collect();
    json!({"base_generation": base, "area": {"county": "130730"}, "note": "bench: rural grids swapped pairwise",
           "grids": {"type": "FeatureCollection", "features": features}})
}

/// Lookup latencies (ns), sampled.
#[derive(Default)]
struct Latencies {
    samples: Vec<u32>,
    max: u64,
    count: u64,
}

impl Latencies {
    fn merge(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
        self.max = self.max.max(other.max);
        self.count += other.count;
    }

    fn summary(&self) -> String {
        let mut s = self.samples.clone();
        s.sort_unstable();
        let at = |q: f64| s.get(((s.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0);
        format!(
            "{} lookups, median {} ns, p99 {} ns, p99.99 {} ns, max {:.2} ms",
            self.count,
            at(0.5),
            at(0.99),
            at(0.9999),
            self.max as f64 / 1e6
        )
    }
}

/// Runs lookups on a thread of their own while `work` runs; their latencies and its result.
async fn lookups_during<T>(index: &SharedIndex, work: impl std::future::Future<Output = T>) -> (Latencies, T) {
    let stop = Arc::new(AtomicBool::new(false));
    let index = index.clone();
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut points = Points::new(7);
        let mut lat = Latencies::default();
        while !flag.load(Ordering::Relaxed) {
            let (lon, lat_) = (points.uniform(115.2, 115.9), points.uniform(40.1, 40.7));
            let t = Instant::now();
            let found = index.load().locate(lon, lat_);
            let ns = t.elapsed().as_nanos() as u64;
            std::hint::black_box(found.ok());
            lat.count += 1;
            lat.max = lat.max.max(ns);
            if lat.count % 8 == 0 {
                lat.samples.push(ns.min(u64::from(u32::MAX)) as u32);
            }
        }
        lat
    });
    let out = work.await;
    stop.store(true, Ordering::Relaxed);
    (thread.join().unwrap_or_default(), out)
}

/// One HTTP/1.1 POST on its own connection: status and JSON body.
async fn post(addr: std::net::SocketAddr, path: &str, token: &str, body: &str) -> (u16, Value) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return (0, Value::Null) };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body.as_bytes()).await.is_err() {
        return (0, Value::Null);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return (0, Value::Null) };
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}
