//! The embedded SQLite backend: one file in the data directory, WAL journal, full fsync.
//!
//! Writes that read before they write start with `BEGIN IMMEDIATE`: a deferred transaction
//! that reads, then finds another writer committed meanwhile, fails instead of waiting.

mod events;
mod generations;
mod people;
mod points;
mod reference;
mod rows;
mod stats;

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};
use wangge_core::GridKind;

use super::{geometry_text, parse_geometry, StoreError};
use crate::records::{Dataset, DatasetInfo, Grid, Township, Village, VillageKind};

/// A pool of connections to one SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

type GridRow = (String, String, String, String, String, String, String, Option<String>, f64, String);

impl SqliteStore {
    /// Opens the database with WAL and `synchronous=FULL` (a committed load survives power loss),
    /// then applies the migrations in `migrations/sqlite`.
    pub async fn open(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let target = options.get_filename().display().to_string();
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { target, source })?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Self { pool })
    }

    /// The loaded dataset, if any.
    pub async fn dataset(&self) -> Result<Option<DatasetInfo>, StoreError> {
        let row: Option<(i64, String, String, String)> =
            sqlx::query_as("SELECT dataset_id, source, note, created_at FROM dataset ORDER BY dataset_id DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(query("reading the dataset record"))?;
        Ok(row.map(|(dataset_id, source, note, created_at)| DatasetInfo { dataset_id, source, note, created_at }))
    }

    /// Inserts the whole dataset in one transaction; refuses if one is already there.
    pub async fn load(&self, dataset: &Dataset) -> Result<DatasetInfo, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting the load"))?;
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
        let rows: Vec<(String, String, f64, String)> =
            sqlx::query_as("SELECT code, name, area_km2, geometry FROM township ORDER BY code")
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading townships"))?;
        rows.into_iter()
            .map(|(code, name, area_km2, geometry)| {
                let geometry = parse_geometry("township", &code, &geometry)?;
                Ok(Township { code, name, area_km2, geometry })
            })
            .collect()
    }

    /// All villages, by code.
    pub async fn villages(&self) -> Result<Vec<Village>, StoreError> {
        let rows: Vec<(String, String, String, String, f64, String)> =
            sqlx::query_as("SELECT code, name, kind, township_code, area_km2, geometry FROM village ORDER BY code")
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading villages"))?;
        rows.into_iter()
            .map(|(code, name, kind, township_code, area_km2, geometry)| {
                let kind = VillageKind::parse(&kind).ok_or_else(|| bad_kind("village", &code, &kind))?;
                let geometry = parse_geometry("village", &code, &geometry)?;
                Ok(Village { code, name, kind, township_code, area_km2, geometry })
            })
            .collect()
    }

    /// All grids with their village's and township's names, by code.
    pub async fn grids(&self) -> Result<Vec<Grid>, StoreError> {
        let rows: Vec<GridRow> = sqlx::query_as(
            "SELECT g.code, g.name, g.kind, g.village_code, v.name, g.township_code, t.name,
                    g.parent_grid_code, g.area_km2, g.geometry
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

fn grid_from_row(row: GridRow) -> Result<Grid, StoreError> {
    let (code, name, kind, village_code, village_name, township_code, township_name, parent_grid, area_km2, geometry) =
        row;
    let kind = GridKind::parse(&kind).ok_or_else(|| bad_kind("grid", &code, &kind))?;
    let geometry = parse_geometry("grid", &code, &geometry)?;
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

async fn insert_townships(tx: &mut Transaction<'_, Sqlite>, townships: &[Township]) -> Result<(), StoreError> {
    for t in townships {
        sqlx::query("INSERT INTO township (code, name, area_km2, geometry) VALUES (?, ?, ?, ?)")
            .bind(&t.code)
            .bind(&t.name)
            .bind(t.area_km2)
            .bind(geometry_text(&t.geometry))
            .execute(&mut **tx)
            .await
            .map_err(query("inserting townships"))?;
    }
    Ok(())
}

async fn insert_villages(tx: &mut Transaction<'_, Sqlite>, villages: &[Village]) -> Result<(), StoreError> {
    for v in villages {
        sqlx::query(
            "INSERT INTO village (code, name, kind, township_code, area_km2, geometry) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&v.code)
        .bind(&v.name)
        .bind(v.kind.as_str())
        .bind(&v.township_code)
        .bind(v.area_km2)
        .bind(geometry_text(&v.geometry))
        .execute(&mut **tx)
        .await
        .map_err(query("inserting villages"))?;
    }
    Ok(())
}

async fn insert_grids(tx: &mut Transaction<'_, Sqlite>, grids: &[Grid]) -> Result<(), StoreError> {
    for g in grids {
        sqlx::query(
            "INSERT INTO grid (code, name, kind, village_code, township_code, parent_grid_code, area_km2, geometry)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&g.code)
        .bind(&g.name)
        .bind(g.kind.as_str())
        .bind(&g.village_code)
        .bind(&g.township_code)
        .bind(g.parent_grid.as_deref())
        .bind(g.area_km2)
        .bind(geometry_text(&g.geometry))
        .execute(&mut **tx)
        .await
        .map_err(query("inserting grids"))?;
    }
    Ok(())
}

async fn insert_dataset(tx: &mut Transaction<'_, Sqlite>, d: &Dataset) -> Result<DatasetInfo, StoreError> {
    let (dataset_id, created_at): (i64, String) = sqlx::query_as(
        "INSERT INTO dataset (source, note, township_count, village_count, grid_count)
         VALUES (?, ?, ?, ?, ?) RETURNING dataset_id, created_at",
    )
    .bind(&d.source)
    .bind(&d.note)
    .bind(count(d.townships.len()))
    .bind(count(d.villages.len()))
    .bind(count(d.grids.len()))
    .fetch_one(&mut **tx)
    .await
    .map_err(query("recording the dataset"))?;
    Ok(DatasetInfo { dataset_id, source: d.source.clone(), note: d.note.clone(), created_at })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Starts a write transaction that takes the write lock at once (waiting up to the busy timeout).
async fn begin_write(pool: &SqlitePool, doing: &'static str) -> Result<Transaction<'static, Sqlite>, StoreError> {
    pool.begin_with("BEGIN IMMEDIATE").await.map_err(query(doing))
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

    /// The oldest SQLite the server may link: 3.50.2 fixes the heap overflows published against
    /// 3.46–3.49 (CVE-2025-3277, CVE-2025-29087, CVE-2025-6965).
    const OLDEST_SAFE: (u32, u32, u32) = (3, 50, 2);

    fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next()??, parts.next().unwrap_or(Some(0))?))
    }

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert_eq!(parse_version("3.9.0"), Some((3, 9, 0)));
        assert!(parse_version("3.100.0") > Some(OLDEST_SAFE));
        assert!(parse_version("3.50.1") < Some(OLDEST_SAFE));
        assert!(parse_version("3.46.0") < Some(OLDEST_SAFE));
        assert_eq!(parse_version("3.x.0"), None);
    }

    #[tokio::test]
    async fn the_linked_sqlite_has_the_heap_overflow_fixes() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(SqliteConnectOptions::new().filename(dir.path().join("wangge.db"))).await.unwrap();
        let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&store.pool).await.unwrap();
        let parsed = parse_version(&version).unwrap_or_else(|| panic!("SQLite version {version:?} does not parse"));
        assert!(parsed >= OLDEST_SAFE, "SQLite {version} is linked; {OLDEST_SAFE:?} or newer is needed");
    }
}
