//! The PostGIS backend: a PostgreSQL 15 database with PostGIS ≥ 3.0, which several server
//! processes (and GIS clients such as QGIS) may share.
//!
//! Writes that check before they write either lock what they check or rely on a constraint
//! with `ON CONFLICT`, so two processes never both pass the same check.

mod events;
mod generations;
mod people;
mod points;
mod reference;
mod rows;
mod stats;
use crate::formats::wkb;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use wangge_core::GridKind;

use super::StoreError;
use crate::records::{Dataset, DatasetInfo, Grid, Township, Village, VillageKind};
use crate::records::time_text;

/// The channel the migrations' triggers notify on every change to a division or grid.
pub const GRID_CHANNEL: &str = "wangge_grids";

/// A pool of connections to one PostGIS database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
}

type GridRow = (String, String, String, String, String, String, String, Option<String>, f64, Vec<u8>);

impl PgStore {
    /// Connects (sessions in UTC), refuses a server without PostGIS or without durable commits,
    /// then applies the migrations in `migrations/postgis`.
    pub async fn open(options: PgConnectOptions) -> Result<Self, StoreError> {
        let target = describe(&options);
        let options = options.options([("TimeZone", "UTC")]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { target, source })?;
        check_durable(&pool).await?;
        check_postgis(&pool).await?;
        sqlx::migrate!("../migrations/postgis").run(&pool).await.map_err(StoreError::Migrate)?;
        let version: String = sqlx::query_scalar("SELECT postgis_lib_version()")
            .fetch_one(&pool)
            .await
            .map_err(query("reading the PostGIS version"))?;
        tracing::info!(postgis = %version, "PostGIS store open");
        Ok(Self { pool })
    }

    /// The loaded dataset, if any.
    pub async fn dataset(&self) -> Result<Option<DatasetInfo>, StoreError> {
        let row: Option<(i64, String, String, chrono::DateTime<chrono::Utc>)> =
            sqlx::query_as("SELECT dataset_id, source, note, created_at FROM dataset ORDER BY dataset_id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(query("reading the dataset record"))?;
        Ok(row.map(|(dataset_id, source, note, created_at)| DatasetInfo {
            dataset_id,
            source,
            note,
            created_at: time_text(created_at),
        }))
    }

    /// Inserts the whole dataset in one transaction; refuses if one is already there (the
    /// dataset table is locked first, so two processes cannot both load).
    pub async fn load(&self, dataset: &Dataset) -> Result<DatasetInfo, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting the load"))?;
        lock(&mut tx, "dataset").await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT dataset_id FROM dataset LIMIT 1")
            .fetch_optional(&mut *tx)
            .await
            .map_err(query("checking for a loaded dataset"))?;
        if let Some(id) = existing {
            return Err(StoreError::AlreadyLoaded(id));
        }
        insert_townships(&mut tx, &dataset.townships).await?;
        insert_villages(&mut tx, &dataset.villages).await?;
        insert_grids(&mut tx, &dataset.grids).await?;
        let info = insert_dataset(&mut tx, dataset).await?;
        tx.commit().await.map_err(query("committing the load"))?;
        Ok(info)
    }

    /// All townships, by code.
    pub async fn townships(&self) -> Result<Vec<Township>, StoreError> {
        let rows: Vec<(String, String, f64, Vec<u8>)> =
            sqlx::query_as("SELECT code, name, area_km2, ST_AsBinary(geom) FROM township ORDER BY code")
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading townships"))?;
        rows.into_iter()
            .map(|(code, name, area_km2, geometry)| {
                let geometry = shape("township", &code, &geometry)?;
                Ok(Township { code, name, area_km2, geometry })
            })
            .collect()
    }

    /// All villages, by code.
    pub async fn villages(&self) -> Result<Vec<Village>, StoreError> {
        let rows: Vec<(String, String, String, String, f64, Vec<u8>)> = sqlx::query_as(
            "SELECT code, name, kind, township_code, area_km2, ST_AsBinary(geom) FROM village ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query("reading villages"))?;
        rows.into_iter()
            .map(|(code, name, kind, township_code, area_km2, geometry)| {
                let kind = VillageKind::parse(&kind).ok_or_else(|| bad_kind("village", &code, &kind))?;
                let geometry = shape("village", &code, &geometry)?;
                Ok(Village { code, name, kind, township_code, area_km2, geometry })
            })
            .collect()
    }

    /// All grids with their village's and township's names, by code.
    pub async fn grids(&self) -> Result<Vec<Grid>, StoreError> {
        let rows: Vec<GridRow> = sqlx::query_as(
            "SELECT g.code, g.name, g.kind, g.village_code, v.name, g.township_code, t.name,
                    g.parent_grid_code, g.area_km2, ST_AsBinary(g.geom)
               FROM grid g
               JOIN village v ON v.code = g.village_code
               JOIN township t ON t.code = g.township_code
              ORDER BY g.code",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query("reading grids"))?;
        rows.into_iter().map(grid_from_row).collect()
    }

    /// Starts listening for changes to the divisions and grids (channel `wangge_grids`).
    pub async fn listen_grid_changes(&self) -> Result<PgListener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(query("connecting a listener"))?;
        listener.listen(GRID_CHANNEL).await.map_err(query("listening for grid changes"))?;
        Ok(listener)
    }

    /// Runs a trivial statement.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(query("answering a ping"))?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Host, port and database of a target, for messages (never the password).
fn describe(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or_else(|| options.get_username());
    format!("postgres://{}:{}/{database}", options.get_host(), options.get_port())
}

/// Refuses a server that may lose committed transactions.
async fn check_durable(pool: &PgPool) -> Result<(), StoreError> {
    for setting in ["fsync", "synchronous_commit"] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(setting)
            .fetch_one(pool)
            .await
            .map_err(query("reading the durability settings"))?;
        if value.eq_ignore_ascii_case("off") {
            return Err(StoreError::NotDurable { setting, value });
        }
    }
    Ok(())
}

/// Refuses a server without PostGIS ≥ 3.0 (installed in the database, or installable).
async fn check_postgis(pool: &PgPool) -> Result<(), StoreError> {
    let version: Option<String> = sqlx::query_scalar(
        "SELECT coalesce(installed_version, default_version) FROM pg_available_extensions WHERE name = 'postgis'",
    )
    .fetch_optional(pool)
    .await
    .map_err(query("looking for the PostGIS extension"))?;
    if version.as_deref().is_some_and(is_postgis_3) {
        Ok(())
    } else {
        Err(StoreError::PostgisMissing { found: version })
    }
}

/// Whether an extension version such as `3.3.2` or `3.4.0dev` is PostGIS 3.0 or later.
fn is_postgis_3(version: &str) -> bool {
    version.split('.').next().and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m >= 3)
}

fn shape(table: &'static str, code: &str, bytes: &[u8]) -> Result<geo_types::MultiPolygon<f64>, StoreError> {
    wkb::read_multipolygon(bytes).map_err(|e| StoreError::BadRow { table, code: code.to_owned(), reason: e.to_string() })
}

fn grid_from_row(row: GridRow) -> Result<Grid, StoreError> {
    let (code, name, kind, village_code, village_name, township_code, township_name, parent_grid, area_km2, geometry) =
        row;
    let kind = GridKind::parse(&kind).ok_or_else(|| bad_kind("grid", &code, &kind))?;
    let geometry = shape("grid", &code, &geometry)?;
    Ok(Grid {
        code,
        name,
        kind,
        village_code,
        village_name,
        township_code,
        township_name,
        parent_grid,
        area_km2,
        geometry,
    })
}

/// Rows per multi-row INSERT of divisions: their shapes are large, a statement stays small.
const SHAPES_PER_STATEMENT: usize = 200;

async fn insert_townships(tx: &mut Transaction<'_, Postgres>, townships: &[Township]) -> Result<(), StoreError> {
    for chunk in townships.chunks(SHAPES_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<Postgres>::new("INSERT INTO township (code, name, area_km2, geom) ");
        q.push_values(chunk, |mut b, t| {
            b.push_bind(&t.code).push_bind(&t.name).push_bind(t.area_km2);
            b.push("ST_GeomFromWKB(").push_bind_unseparated(wkb::write_multipolygon(&t.geometry));
            b.push_unseparated(", 4490)");
        });
        q.build().execute(&mut **tx).await.map_err(query("inserting townships"))?;
    }
    Ok(())
}

async fn insert_villages(tx: &mut Transaction<'_, Postgres>, villages: &[Village]) -> Result<(), StoreError> {
    for chunk in villages.chunks(SHAPES_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO village (code, name, kind, township_code, area_km2, geom) ",
        );
        q.push_values(chunk, |mut b, v| {
            b.push_bind(&v.code).push_bind(&v.name).push_bind(v.kind.as_str());
            b.push_bind(&v.township_code).push_bind(v.area_km2);
            b.push("ST_GeomFromWKB(").push_bind_unseparated(wkb::write_multipolygon(&v.geometry));
            b.push_unseparated(", 4490)");
        });
        q.build().execute(&mut **tx).await.map_err(query("inserting villages"))?;
    }
    Ok(())
}

async fn insert_grids(tx: &mut Transaction<'_, Postgres>, grids: &[Grid]) -> Result<(), StoreError> {
    for chunk in grids.chunks(SHAPES_PER_STATEMENT) {
        let mut q = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO grid (code, name, kind, village_code, township_code, parent_grid_code, area_km2, geom) ",
        );
        q.push_values(chunk, |mut b, g| {
            b.push_bind(&g.code).push_bind(&g.name).push_bind(g.kind.as_str()).push_bind(&g.village_code);
            b.push_bind(&g.township_code).push_bind(g.parent_grid.as_deref()).push_bind(g.area_km2);
            b.push("ST_GeomFromWKB(").push_bind_unseparated(wkb::write_multipolygon(&g.geometry));
            b.push_unseparated(", 4490)");
        });
        q.build().execute(&mut **tx).await.map_err(query("inserting grids"))?;
    }
    Ok(())
}

async fn insert_dataset(tx: &mut Transaction<'_, Postgres>, d: &Dataset) -> Result<DatasetInfo, StoreError> {
    let (dataset_id, created_at): (i64, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "INSERT INTO dataset (source, note, township_count, village_count, grid_count)
         VALUES ($1, $2, $3, $4, $5) RETURNING dataset_id, created_at",
    )
    .bind(&d.source)
    .bind(&d.note)
    .bind(count(d.townships.len()))
    .bind(count(d.villages.len()))
    .bind(count(d.grids.len()))
    .fetch_one(&mut **tx)
    .await
    .map_err(query("recording the dataset"))?;
    Ok(DatasetInfo { dataset_id, source: d.source.clone(), note: d.note.clone(), created_at: time_text(created_at) })
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Times as the stores keep them: to the millisecond (SQLite keeps millisecond text).
fn ms(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(t, 3)
}

/// Locks a table against concurrent writers (readers go on) until the transaction ends.
async fn lock(tx: &mut Transaction<'_, Postgres>, table: &'static str) -> Result<(), StoreError> {
    // The table name is one of ours, never input.
    sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")))
        .execute(&mut **tx)
        .await
        .map_err(query("locking a table"))?;
    Ok(())
}

fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}

fn bad_kind(table: &'static str, code: &str, kind: &str) -> StoreError {
    StoreError::BadRow { table, code: code.to_owned(), reason: format!("unknown kind {kind:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgis_3_or_later_is_required() {
        assert!(is_postgis_3("3.3.2") && is_postgis_3("3.0.0") && is_postgis_3("10.1"));
        assert!(!is_postgis_3("2.5.5") && !is_postgis_3("") && !is_postgis_3("unpackaged"));
        let missing = StoreError::PostgisMissing { found: Some("2.5.5".into()) }.to_string();
        assert!(missing.contains("found 2.5.5") && missing.contains("postgresql-15-postgis-3"), "{missing}");
    }

    #[test]
    fn a_target_is_described_without_its_password() {
        let options = sqlx::postgres::PgConnectOptions::new()
            .host("db.example")
            .port(5433)
            .username("wangge")
            .password("secret")
            .database("county");
        assert_eq!(describe(&options), "postgres://db.example:5433/county");
    }
}
