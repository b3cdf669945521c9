//! Figures at scale: the heatmap, the choropleth and the county's figures over a province-year
//! of events (1M+ by default: the demo county's 2023 plus its 2024 generated at 95 times the
//! county's volume, every event with its whole timeline), on the embedded SQLite store and,
//! with `--database-url`, on PostGIS.
//!
//! `cargo run --release -p wangge-tests --bin bench-aggregates [-- --events N] [--runs R] [--database-url URL] [--postgis-only]`
//!
//! Each endpoint is asked over loopback as the county's account, first with the events held in
//! memory switched off (the store path: read every event, replay every timeline), then on. The
//! server's own time (`Server-Timing`) is the figure; plain SQL aggregates on the same rows
//! (PostGIS `ST_SnapToGrid … GROUP BY` for the heatmap, `GROUP BY` counts for the others) are
//! the alternative, timed in the same run on the same database.
//!
//! A benchmark that cannot tell a failure from a result is a defect: any answer other than 200,
//! an answer from the wrong path, an answer from memory that differs from the store path's in
//! any figure, or counts that differ from the plain SQL's make the run exit 1, never a figure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use sqlx::Row;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use wangge_geodata::demo::{YearPlan, CLOSED_2023, YEAR_2023};
use wangge_server::demo::Generator;
use wangge_server::{app, state_from_config, Config};
use wangge_tests::bench_http::{exchange_headers, serve, sign_in, ThrowawayDb};
use wangge_tests::repo_root;

type Failure = Box<dyn std::error::Error>;

/// Events in one generated batch (one county-year).
fn batch_size() -> usize {
    YEAR_2023.iter().map(|(_, n)| n).sum()
}

fn main() {
    let flag = |name: &str| std::env::args().skip_while(|a| a != name).nth(1);
    let events: usize = flag("--events").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = flag("--runs").and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let postgis = flag("--database-url");
    let sqlite = !std::env::args().any(|a| a == "--postgis-only");
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return eprintln!("tokio: {e}"),
    };
    if let Err(e) = rt.block_on(run(events, runs, sqlite, postgis.as_deref())) {
        eprintln!("bench-aggregates: {e}");
        std::process::exit(1);
    }
}

/// One measured query on one store.
struct Line {
    store: &'static str,
    label: &'static str,
    memory_ms: f64,
    store_ms: f64,
    sql_ms: f64,
    sql_label: &'static str,
}

async fn run(events: usize, runs: usize, sqlite: bool, postgis: Option<&str>) -> Result<(), Failure> {
    if !sqlite && postgis.is_none() {
        return Err("--postgis-only needs --database-url: nothing to measure".into());
    }
    let mut lines = Vec::new();
    let dir = std::env::temp_dir().join(format!("wangge-bench-aggregates-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if sqlite {
        std::fs::create_dir_all(&dir)?;
        let sqlite = one_store("SQLite", &dir, None, events, runs).await;
        let _ = std::fs::remove_dir_all(&dir);
        lines.extend(sqlite?);
    }
    if let Some(url) = postgis {
        let db = ThrowawayDb::create(url, "aggregates").await?;
        std::fs::create_dir_all(&dir)?;
        let pg = one_store("PostGIS", &dir, Some(db.url.clone()), events, runs).await;
        let _ = std::fs::remove_dir_all(&dir);
        db.drop_database().await?;
        lines.extend(pg?);
    }
    println!();
    println!("{:<8} {:<44} {:>10} {:>10} {:>10}  alternative", "store", "query", "memory ms", "store ms", "SQL ms");
    for l in &lines {
        println!("{:<8} {:<44} {:>10.2} {:>10.1} {:>10.1}  {}", l.store, l.label, l.memory_ms, l.store_ms, l.sql_ms, l.sql_label);
    }
    for l in &lines {
        // One line per figure for scripts/bench.sh's table: what | ours | alternative | theirs | ratio | goal.
        println!(
            "TABLE|{} over {events} events on {}, server ms|{:.2}|{}|{:.1}|{:.1}|≤ 50 ms, ≥ 10×",
            l.label,
            l.store,
            l.memory_ms,
            l.sql_label,
            l.sql_ms,
            l.sql_ms / l.memory_ms.max(0.001)
        );
    }
    Ok(())
}

/// The queries asked, with their plain-SQL counterparts.
#[derive(Clone)]
struct Query {
    label: &'static str,
    path: String,
    kind: Kind,
    /// Period in UTC, `[from, to)`.
    from: &'static str,
    to: &'static str,
    categories: &'static [&'static str],
    township: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heat,
    Choropleth,
    Stats,
}

fn queries(township: &str) -> Vec<Query> {
    const ALL: &[&str] = &["livelihood", "hazard", "dispute", "other"];
    const DEFAULT: &[&str] = &["hazard", "dispute"];
    let year = ("2023-12-31T16:00:00.000Z", "2024-12-31T16:00:00.000Z");
    let march = ("2024-02-29T16:00:00.000Z", "2024-03-31T16:00:00.000Z");
    let q2 = ("2024-03-31T16:00:00.000Z", "2024-06-30T16:00:00.000Z");
    let t = Some(township.to_owned());
    vec![
        Query { label: "heatmap, all events of 2024", path: "/api/v1/map/heat?category=livelihood,hazard,dispute,other&from=2024-01-01&to=2024-12-31".into(), kind: Kind::Heat, from: year.0, to: year.1, categories: ALL, township: None },
        Query { label: "heatmap, hazards and disputes, March 2024", path: "/api/v1/map/heat?from=2024-03-01&to=2024-03-31".into(), kind: Kind::Heat, from: march.0, to: march.1, categories: DEFAULT, township: None },
        Query { label: "choropleth, all events of 2024", path: "/api/v1/map/choropleth?category=livelihood,hazard,dispute,other&from=2024-01-01&to=2024-12-31".into(), kind: Kind::Choropleth, from: year.0, to: year.1, categories: ALL, township: None },
        Query { label: "choropleth, one township, Q2 2024", path: format!("/api/v1/map/choropleth?category=livelihood,hazard,dispute,other&from=2024-04-01&to=2024-06-30&township={township}"), kind: Kind::Choropleth, from: q2.0, to: q2.1, categories: ALL, township: t.clone() },
        Query { label: "figures (stats), the county, 2024", path: "/api/v1/stats?from=2024-01-01&to=2024-12-31".into(), kind: Kind::Stats, from: year.0, to: year.1, categories: ALL, township: None },
        Query { label: "figures (stats), one township, March 2024", path: format!("/api/v1/stats?from=2024-03-01&to=2024-03-31&township={township}"), kind: Kind::Stats, from: march.0, to: march.1, categories: ALL, township: t },
    ]
}

async fn one_store(
    store_label: &'static str,
    dir: &std::path::Path,
    database_url: Option<String>,
    events: usize,
    runs: usize,
) -> Result<Vec<Line>, Failure> {
    let mut config = Config::with_dirs(dir, repo_root().join("geodata/huailai"));
    config.demo = true;
    config.database_url = database_url.clone();
    let started = Instant::now();
    let state = state_from_config(&config).await?;
    state.cube.set_enabled(false);
    println!("{store_label}: demo county loaded in {:.1} s", started.elapsed().as_secs_f64());

    // The province-year: batches of one county-year each, in 2024.
    let grids = state.store.grids().await?;
    let generator = Arc::new(Generator::new(&grids)?);
    let (roster, calendar) = (state.rules.roster(), state.rules.calendar());
    let batches = events.saturating_sub(batch_size()).div_ceil(batch_size()).max(1);
    let started = Instant::now();
    let mut written = 0usize;
    for b in 0..batches {
        let (g, r, c) = (generator.clone(), roster.clone(), calendar.clone());
        let batch = tokio::task::spawn_blocking(move || g.year(&r, &c, &YearPlan::scaled(2024, u32::try_from(b).unwrap_or(0)))).await??;
        state.store.insert_events(&batch).await?;
        written += batch.len();
        if (b + 1) % 10 == 0 || b + 1 == batches {
            println!("{store_label}: {written} events of 2024 written ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    let total = written + batch_size();
    let open = batches * (batch_size() - CLOSED_2023);
    println!("{store_label}: {total} events in all ({open} of 2024 left open), generated and stored in {:.0} s", started.elapsed().as_secs_f64());

    let township = grids.first().map(|g| g.township_code.clone()).ok_or("the store holds no grids")?;
    let (store, cube, rules) = (state.store.clone(), state.cube.clone(), state.rules.clone());
    let addr = serve(app(state)).await?;
    let token = sign_in(addr, "county").await?;
    let mut conn = BufReader::new(TcpStream::connect(addr).await?);
    let qs = queries(&township);

    // The store path reads and replays every event of the period: three runs are enough.
    let mut from_store = Vec::new();
    for q in &qs {
        from_store.push(ask(&mut conn, &token, q, runs.min(3), "store").await?);
    }
    let (started, rss) = (Instant::now(), rss_mib());
    cube.set_enabled(true);
    cube.rebuild_now(&store, &rules).await?;
    let (held, bytes) = cube.held().await.ok_or("no events held after the build")?;
    println!(
        "{store_label}: {held} events read into memory in {:.1} s: {:.0} MiB by count; resident set {rss:.0} → {:.0} MiB",
        started.elapsed().as_secs_f64(),
        bytes as f64 / f64::from(1 << 20),
        rss_mib()
    );

    let raw = Raw::connect(dir, database_url.as_deref()).await?;
    let mut lines = Vec::new();
    for (q, (store_ms, store_answer)) in qs.iter().zip(from_store) {
        let (memory_ms, answer) = ask(&mut conn, &token, q, runs, "memory").await?;
        if comparable(&answer) != comparable(&store_answer) {
            return Err(format!("{store_label}: {}: the answer from memory differs from the store path's", q.label).into());
        }
        let (sql_ms, sql_label) = raw.time(q, runs).await?;
        raw.check(q, &answer).await.map_err(|e| format!("{store_label}: {}: {e}", q.label))?;
        println!("{store_label}: {:<44} memory {memory_ms:>8.2} ms  store {store_ms:>8.1} ms  SQL {sql_ms:>8.1} ms", q.label);
        lines.push(Line { store: store_label, label: q.label, memory_ms, store_ms, sql_ms, sql_label });
    }
    raw.close().await;
    store.close().await;
    Ok(lines)
}

/// This process's resident set, MiB (0 where /proc is not there).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// An answer without what differs from call to call.
fn comparable(answer: &Value) -> Value {
    let mut a = answer.clone();
    if let Some(o) = a.as_object_mut() {
        o.remove("generated_at");
    }
    a
}

/// Asks `q` `runs` times: the median of the server's time and the last answer; fails unless
/// every answer is a 200 computed on `source`.
async fn ask(conn: &mut BufReader<TcpStream>, token: &str, q: &Query, runs: usize, source: &str) -> Result<(f64, Value), Failure> {
    let request = format!("GET {} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n", q.path);
    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..runs {
        let (status, headers, body) = exchange_headers(conn, request.as_bytes()).await?;
        if status != 200 {
            return Err(format!("{} answered {status}: {}", q.path, String::from_utf8_lossy(&body)).into());
        }
        let timing = headers.iter().find(|(n, _)| n == "server-timing").map(|(_, v)| v.as_str()).unwrap_or_default();
        if !timing.contains(&format!("desc=\"{source}\"")) {
            return Err(format!("{} was not answered from {source}: Server-Timing {timing:?}", q.path).into());
        }
        let metrics = server_timing(timing);
        let ms = metrics.iter().find(|(name, _)| name == "figures").map(|(_, ms)| *ms).ok_or("no server time")?;
        times.push((ms, metrics));
        last = serde_json::from_slice(&body)?;
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ms, metrics) = times.swap_remove(times.len() / 2);
    // The parts that ran concurrently, in the median run.
    let parts: Vec<_> = metrics.iter().skip(1).map(|(name, ms)| format!("{name} {ms:.1}")).collect();
    if !parts.is_empty() {
        println!("    {} ({source}): {ms:.2} ms, of which concurrently: {}", q.label, parts.join(", "));
    }
    Ok((ms, last))
}

/// A `Server-Timing` header's metrics: name and duration (ms), in order.
fn server_timing(header: &str) -> Vec<(String, f64)> {
    header
        .split(',')
        .filter_map(|metric| {
            let mut params = metric.trim().split(';');
            let name = params.next()?.trim().to_owned();
            let dur = params.find_map(|p| p.trim().strip_prefix("dur="))?.parse::<f64>().ok()?;
            Some((name, dur))
        })
        .collect()
}

/// The same rows read with plain SQL on a connection of the benchmark's own.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(dir: &std::path::Path, url: Option<&str>) -> Result<Self, Failure> {
        Ok(match url {
            Some(url) => Self::Postgres(sqlx::PgPool::connect(url).await?),
            None => {
                let file = dir.join(wangge_server::config::SQLITE_FILE);
                Self::Sqlite(sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", file.display())).await?)
            }
        })
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }

    /// The WHERE clause both stores share: not a duplicate, in the period and categories (and
    /// township).
    fn filter(&self, q: &Query) -> String {
        let (from, to) = match self {
            Self::Sqlite(_) => (format!("'{}'", q.from), format!("'{}'", q.to)),
            Self::Postgres(_) => (format!("'{}'::timestamptz", q.from), format!("'{}'::timestamptz", q.to)),
        };
        let cats: Vec<String> = q.categories.iter().map(|c| format!("'{c}'")).collect();
        let mut w = format!(
            "NOT EXISTS (SELECT 1 FROM event_duplicate d WHERE d.event_id = e.event_id) AND e.reported_at >= {from} AND e.reported_at < {to}"
        );
        if q.kind != Kind::Stats {
            w.push_str(&format!(" AND e.category IN ({})", cats.join(", ")));
        }
        if let Some(t) = &q.township {
            w.push_str(&format!(" AND e.township_code = '{t}'"));
        }
        w
    }

    /// The plain aggregate a user would write for `q`.
    fn sql(&self, q: &Query) -> (String, &'static str) {
        let w = self.filter(q);
        match (q.kind, self) {
            (Kind::Heat, Self::Postgres(_)) => (
                format!("SELECT ST_SnapToGrid(ST_SetSRID(ST_MakePoint(e.lon, e.lat), 4490), 0.005) AS cell, count(*), avg(e.lon), avg(e.lat) FROM event e WHERE {w} GROUP BY cell"),
                "PostGIS ST_SnapToGrid … GROUP BY",
            ),
            (Kind::Heat, Self::Sqlite(_)) => (
                format!("SELECT CAST(e.lon / 0.005 AS INTEGER) AS x, CAST(e.lat / 0.005 AS INTEGER) AS y, count(*), avg(e.lon), avg(e.lat) FROM event e WHERE {w} GROUP BY x, y"),
                "SQL GROUP BY cell",
            ),
            (Kind::Choropleth, _) => (format!("SELECT e.grid_code, count(*) FROM event e WHERE {w} GROUP BY e.grid_code"), "SQL GROUP BY grid"),
            (Kind::Stats, _) => (
                format!(
                    "SELECT e.grid_code, e.category, count(*), sum(CASE WHEN e.state IN ('closed', 'rated') THEN 1 ELSE 0 END) \
                       FROM event e WHERE {w} GROUP BY e.grid_code, e.category"
                ),
                "SQL GROUP BY grid, category",
            ),
        }
    }

    async fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, Failure> {
        let text = |v: Result<String, sqlx::Error>, n: Result<i64, sqlx::Error>| v.or_else(|_| n.map(|n| n.to_string())).unwrap_or_default();
        Ok(match self {
            Self::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| (0..r.len()).map(|i| text(r.try_get::<String, _>(i), r.try_get::<i64, _>(i))).collect())
                .collect(),
            Self::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| (0..r.len()).map(|i| text(r.try_get::<String, _>(i), r.try_get::<i64, _>(i))).collect())
                .collect(),
        })
    }

    /// The median time of the plain aggregate.
    async fn time(&self, q: &Query, runs: usize) -> Result<(f64, &'static str), Failure> {
        let (sql, label) = self.sql(q);
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let rows = self.rows(&sql).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if rows.is_empty() {
                return Err(format!("{}: the plain SQL found no events", q.label).into());
            }
        }
        times.sort_by(f64::total_cmp);
        Ok((times[times.len() / 2], label))
    }

    /// The answer's counts against plain SQL's on the same rows.
    async fn check(&self, q: &Query, answer: &Value) -> Result<(), Failure> {
        let num = |v: &Value| v.as_u64().unwrap_or(u64::MAX);
        match q.kind {
            Kind::Heat => {
                // Cells by floor(coordinate / size), as the service makes them.
                let floor = match self {
                    Self::Sqlite(_) => ("CAST(e.lon / 0.005 AS INTEGER)", "CAST(e.lat / 0.005 AS INTEGER)"),
                    Self::Postgres(_) => ("floor(e.lon / 0.005)::bigint", "floor(e.lat / 0.005)::bigint"),
                };
                let sql = format!("SELECT count(*) FROM event e WHERE {} GROUP BY {}, {}", self.filter(q), floor.0, floor.1);
                let mut sql_counts: Vec<u64> = self.rows(&sql).await?.iter().map(|r| r[0].parse().unwrap_or(0)).collect();
                let total: u64 = sql_counts.iter().sum();
                if num(&answer["total"]) != total {
                    return Err(format!("heat total {} but SQL counts {total}", answer["total"]).into());
                }
                if answer["mode"] == "cells" {
                    let mut ours: Vec<u64> = answer["points"].as_array().ok_or("no points")?.iter().map(|p| p[2].as_f64().unwrap_or(-1.0) as u64).collect();
                    ours.sort_unstable();
                    sql_counts.sort_unstable();
                    if ours != sql_counts {
                        return Err("heat cells' weights differ from SQL's counts per cell".into());
                    }
                }
            }
            Kind::Choropleth => {
                let (sql, _) = self.sql(q);
                let sql_counts: BTreeMap<String, u64> = self.rows(&sql).await?.into_iter().map(|r| (r[0].clone(), r[1].parse().unwrap_or(0))).collect();
                let ours: BTreeMap<String, u64> = answer["grids"]
                    .as_array()
                    .ok_or("no grids")?
                    .iter()
                    .filter(|g| num(&g["count"]) > 0)
                    .map(|g| (g["code"].as_str().unwrap_or_default().to_owned(), num(&g["count"])))
                    .collect();
                if ours != sql_counts {
                    return Err(format!("choropleth counts differ from SQL's ({} grids against {})", ours.len(), sql_counts.len()).into());
                }
            }
            Kind::Stats => {
                let (sql, _) = self.sql(q);
                let mut by_grid: BTreeMap<String, (u64, u64)> = BTreeMap::new();
                let mut by_category: BTreeMap<String, (u64, u64)> = BTreeMap::new();
                for r in self.rows(&sql).await? {
                    let (n, closed) = (r[2].parse::<u64>().unwrap_or(0), r[3].parse::<u64>().unwrap_or(0));
                    let g = by_grid.entry(r[0].clone()).or_default();
                    (g.0, g.1) = (g.0 + n, g.1 + closed);
                    let c = by_category.entry(r[1].clone()).or_default();
                    (c.0, c.1) = (c.0 + n, c.1 + closed);
                }
                let total = by_grid.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
                if (num(&answer["reported"]), num(&answer["closed"])) != total {
                    return Err(format!("figures reported/closed {}/{} but SQL counts {total:?}", answer["reported"], answer["closed"]).into());
                }
                for (category, counts) in answer["by_category"].as_object().ok_or("no by_category")? {
                    let sql = by_category.get(category).copied().unwrap_or_default();
                    if (num(&counts["reported"]), num(&counts["closed"])) != sql {
                        return Err(format!("figures for {category} differ from SQL's {sql:?}").into());
                    }
                }
                if answer["by_grid"].is_array() {
                    for g in answer["by_grid"].as_array().ok_or("no by_grid")? {
                        let sql = by_grid.get(g["code"].as_str().unwrap_or_default()).copied().unwrap_or_default();
                        if (num(&g["reported"]), num(&g["closed"])) != sql {
                            return Err(format!("figures of grid {} differ from SQL's {sql:?}", g["code"]).into());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
