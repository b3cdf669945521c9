//! The PostGIS row of the locate benchmark: `ST_Covers` with a GiST index, one query per point
//! and batched, through sqlx on loopback, in a throwaway database.

use std::time::Instant;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgPool, Row};
use wangge_core::index::GridShape;
use wangge_core::{GridKind, LonLat};
use wangge_tests::wkt;

/// What PostGIS answered and how fast.
pub struct PostgisFigures {
    /// Per single-point query (median, p99) in ns, over `single_n` points.
    pub single: (f64, f64),
    /// Points asked one at a time.
    pub single_n: usize,
    /// Batched: mean ns per point over `batch_n` points in one query.
    pub batched: f64,
    /// Points in the batch.
    pub batch_n: usize,
    /// The batch's answers, in order.
    pub answers: Vec<Option<usize>>,
}

const QUERY: &str = "SELECT gid FROM grid WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4490)) \
                     ORDER BY overlay DESC, gid LIMIT 1";
const BATCH: &str = "SELECT p.i, g.gid FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i) \
                     LEFT JOIN LATERAL (SELECT gid FROM grid \
                       WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490)) \
                       ORDER BY overlay DESC, gid LIMIT 1) g ON true ORDER BY p.i";

/// Loads the grids into a new database at `url`, measures, and drops the database.
pub async fn run(url: &str, shapes: &[GridShape], single: &[LonLat], batch: &[LonLat]) -> Result<PostgisFigures, sqlx::Error> {
    let admin: PgConnectOptions = url.parse()?;
    let name = format!("wangge_bench_{}", std::process::id());
    let mut conn = admin.connect().await?;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
    let pool = PgPoolOptions::new().max_connections(1).connect_with(admin.clone().database(&name)).await?;
    let result = measure(&pool, shapes, single, batch).await;
    pool.close().await;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await?;
    conn.close().await?;
    result
}

async fn measure(pool: &PgPool, shapes: &[GridShape], single: &[LonLat], batch: &[LonLat]) -> Result<PostgisFigures, sqlx::Error> {
    pool.execute("CREATE EXTENSION IF NOT EXISTS postgis").await?;
    pool.execute("CREATE TABLE grid (gid int PRIMARY KEY, overlay bool NOT NULL, geom geometry(MultiPolygon, 4490) NOT NULL)").await?;
    for (gid, s) in shapes.iter().enumerate() {
        sqlx::query("INSERT INTO grid VALUES ($1, $2, ST_GeomFromText($3, 4490))")
            .bind(gid as i32)
            .bind(s.record.kind == GridKind::StreetUnit)
            .bind(wkt(&s.geometry))
            .execute(pool)
            .await?;
    }
    pool.execute("CREATE INDEX grid_geom ON grid USING gist (geom)").await?;
    pool.execute("ANALYZE grid").await?;
    let mut times = Vec::with_capacity(single.len());
    for p in single {
        let t = Instant::now();
        let _: Option<i32> = sqlx::query_scalar(QUERY).bind(p.lon).bind(p.lat).fetch_optional(pool).await?;
        times.push(t.elapsed().as_nanos() as f64);
    }
    times.sort_by(f64::total_cmp);
    let (xs, ys): (Vec<f64>, Vec<f64>) = batch.iter().map(|p| (p.lon, p.lat)).unzip();
    let t = Instant::now();
    let rows = sqlx::query(BATCH).bind(&xs).bind(&ys).fetch_all(pool).await?;
    let batched = t.elapsed().as_nanos() as f64 / batch.len().max(1) as f64;
    let answers = rows.iter().map(|r| r.try_get::<Option<i32>, _>(1).ok().flatten().map(|g| g as usize)).collect();
    Ok(PostgisFigures {
        single: (times[times.len() / 2], times[times.len() * 99 / 100]),
        single_n: single.len(),
        batched,
        batch_n: batch.len(),
        answers,
    })
}

