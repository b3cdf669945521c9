//! PostGIS as an oracle for the grid index: 100k random points in the county's bounding box
//! and 20k points on shared grid edges, each asked of the index and of `ST_Covers` over the
//! same polygons in a throwaway PostGIS database.
//!
//! Wherever PostGIS finds one grid (a street unit winning over the grid it lies in, as the
//! service's rule says), the index must answer that grid; wherever it finds none, the index must
//! find none. On a shared edge or vertex `ST_Covers` holds for several grids; there the index
//! must answer one of them, namely the documented tie-break: the grid that PostGIS finds at
//! `p + (δ, ε)`, just east (and north) of the point, or, on the county's outer boundary where
//! nothing is east of it, one of the grids whose edge it is on.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sqlx::{Connection, Executor, PgConnection, Row};
use wangge_core::index::GridShape;
use wangge_core::{GridIndex, GridKind, LonLat};
use wangge_tests::{county, wkt, Points};

/// A nudge well below the lattice (1/2048°) and well above rounding of the coordinates.
const DELTA: f64 = 1e-9;
const EPSILON: f64 = 1e-12;

fn admin_url() -> String {
    std::env::var("WANGGE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A throwaway database with the grids in it, dropped at the end.
struct Oracle {
    name: String,
    conn: PgConnection,
}

impl Oracle {
    async fn new(shapes: &[GridShape]) -> Self {
        let mut admin = PgConnection::connect(&admin_url()).await.expect("a PostgreSQL server (scripts/test.sh starts one)");
        let name = format!("wangge_t_oracle_{}", std::process::id());
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await.expect("drop");
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create");
        admin.close().await.ok();
        let base = admin_url().rsplit_once('/').map(|(b, _)| b.to_owned()).expect("a URL with a database");
        let mut conn = PgConnection::connect(&format!("{base}/{name}")).await.expect("connect");
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("postgis (install postgresql-15-postgis-3)");
        conn.execute("CREATE TABLE grid (gid int PRIMARY KEY, overlay bool NOT NULL, geom geometry(MultiPolygon, 4490) NOT NULL)")
            .await
            .expect("table");
        for (gid, s) in shapes.iter().enumerate() {
            sqlx::query("INSERT INTO grid VALUES ($1, $2, ST_GeomFromText($3, 4490))")
                .bind(i32::try_from(gid).expect("gid"))
                .bind(s.record.kind == GridKind::StreetUnit)
                .bind(wkt(&s.geometry))
                .execute(&mut conn)
                .await
                .expect("insert");
        }
        conn.execute("CREATE INDEX grid_geom ON grid USING gist (geom); ANALYZE grid").await.expect("index");
        let invalid: i64 = sqlx::query_scalar("SELECT count(*) FROM grid WHERE NOT ST_IsValid(geom)")
            .fetch_one(&mut conn)
            .await
            .expect("validity");
        assert_eq!(invalid, 0, "every grid is valid by OGC rules");
        Self { name, conn }
    }

    /// For each point, the grids whose polygon covers it, the street units (overlays) only
    /// if there are any, as the service's rule prefers them.
    async fn covering(&mut self, points: &[LonLat]) -> Vec<BTreeSet<usize>> {
        let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().map(|p| (p.lon, p.lat)).unzip();
        let rows = sqlx::query(
            "SELECT p.i, coalesce(array_agg(g.gid ORDER BY g.gid) FILTER (WHERE g.gid IS NOT NULL), '{}'),
                    coalesce(bool_or(g.overlay), false)
               FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i)
               LEFT JOIN grid g ON ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4490))
              GROUP BY p.i ORDER BY p.i",
        )
        .bind(&xs)
        .bind(&ys)
        .fetch_all(&mut self.conn)
        .await
        .expect("the oracle answers");
        let overlay_gids: Vec<bool> = sqlx::query_scalar("SELECT overlay FROM grid ORDER BY gid")
            .fetch_all(&mut self.conn)
            .await
            .expect("overlays");
        rows.iter()
            .map(|r| {
                let gids: Vec<i32> = r.get(1);
                let any_overlay: bool = r.get(2);
                gids.into_iter()
                    .map(|g| usize::try_from(g).expect("gid"))
                    .filter(|&g| !any_overlay || overlay_gids[g])
                    .collect()
            })
            .collect()
    }

    async fn drop_database(self) {
        self.conn.close().await.ok();
        let mut admin = PgConnection::connect(&admin_url()).await.expect("connect");
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).await.expect("drop");
    }
}

fn random_points(n: usize) -> Vec<LonLat> {
    let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    for p in &county().outline.exterior().0 {
        lo = (lo.0.min(p.x), lo.1.min(p.y));
        hi = (hi.0.max(p.x), hi.1.max(p.y));
    }
    let mut r = Points::new(4490);
    (0..n).map(|_| LonLat::new(r.uniform(lo.0, hi.0), r.uniform(lo.1, hi.1)).expect("in range")).collect()
}

/// Vertices of edges shared by two tiling grids (exactly on both), sampled down to `n`.
fn shared_vertices(shapes: &[GridShape], n: usize) -> Vec<LonLat> {
    let key = |c: geo_types::Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut seen = std::collections::HashSet::new();
    let mut shared = Vec::new();
    for s in shapes.iter().filter(|s| s.record.kind != GridKind::StreetUnit) {
        for w in s.geometry.0.iter().flat_map(|p| p.exterior().0.windows(2)) {
            if seen.contains(&(key(w[1]), key(w[0]))) {
                shared.push(w[0]);
            }
            seen.insert((key(w[0]), key(w[1])));
        }
    }
    assert!(shared.len() > 1000, "the county has shared edges");
    let mut r = Points::new(7);
    (0..n)
        .map(|_| {
            let c = shared[(r.uniform(0.0, shared.len() as f64) as usize).min(shared.len() - 1)];
            LonLat::new(c.x, c.y).expect("in range")
        })
        .collect()
}

#[tokio::test]
async fn the_index_agrees_with_st_covers_except_the_documented_tie_break() {
    let shapes = county().grid_shapes();
    let index = GridIndex::build(shapes.clone()).expect("index");
    let mut oracle = Oracle::new(&shapes).await;

    let mut points = random_points(100_000);
    let random = points.len();
    points.extend(shared_vertices(&shapes, 20_000));
    let covering = oracle.covering(&points).await;
    let nudged: Vec<LonLat> =
        points.iter().map(|p| LonLat::new(p.lon + DELTA, p.lat + EPSILON).expect("in range")).collect();
    let covering_nudged = oracle.covering(&nudged).await;

    let (mut inside, mut outside, mut ties, mut disagreements) = (0, 0, 0, Vec::new());
    for (i, p) in points.iter().enumerate() {
        let ours = index.grid_at(*p);
        let theirs = &covering[i];
        let agrees = match theirs.len() {
            0 => {
                outside += 1;
                ours.is_none()
            }
            1 => {
                inside += 1;
                ours == theirs.first().copied()
            }
            _ => {
                // On a shared boundary: the tie-break names the grid just east (and north); on
                // the county's outer boundary, where east of the point is outside, one of the
                // grids whose edge it is on.
                ties += 1;
                let east = &covering_nudged[i];
                match east.len() {
                    0 => ours.is_some_and(|g| theirs.contains(&g)),
                    1 => ours == east.first().copied(),
                    _ => false,
                }
            }
        };
        if !agrees {
            disagreements.push(format!("({}, {}): ours {ours:?}, ST_Covers {theirs:?}, nudged {:?}", p.lon, p.lat, covering_nudged[i]));
        }
    }
    oracle.drop_database().await;
    eprintln!(
        "{} points ({random} random): {inside} in one grid, {outside} outside, {ties} on shared boundaries; {} disagreements",
        points.len(),
        disagreements.len()
    );
    assert!(inside > 50_000 && outside > 10_000, "the random points cover the county and its surroundings");
    assert!(ties >= 19_000, "the shared vertices are on shared boundaries: {ties}");
    assert!(disagreements.is_empty(), "{} disagreements, e.g. {:?}", disagreements.len(), &disagreements[..disagreements.len().min(10)]);
}
