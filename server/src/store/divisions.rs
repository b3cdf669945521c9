//! The loaded dataset and its divisions (townships, villages, grids), written once for both
//! backends.

use geo_types::MultiPolygon;
use wangge_core::GridKind;

use super::dialect::{Backend, Lock};
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::{Dataset, DatasetInfo, Grid, Township, Village, VillageKind};

const DATASET: &str = "SELECT dataset_id, source, note, created_at FROM dataset ORDER BY dataset_id DESC LIMIT 1";
const ANY_DATASET: &str = "SELECT dataset_id FROM dataset LIMIT 1";
const INSERT_DATASET: &str = "INSERT INTO dataset (source, note, township_count, village_count, grid_count)
     VALUES ($1, $2, $3, $4, $5) RETURNING dataset_id, source, note, created_at";

/// The dataset and division methods of one backend (`sqlite` or `postgres`).
macro_rules! division_store {
    ($store:ty, $dialect:ident) => {
        impl $store {
            const TOWNSHIPS: &str = concat!(
                "SELECT t.code, t.name, t.area_km2, ",
                dialect!($dialect, shape("t")),
                " FROM township t ORDER BY t.code"
            );
            const VILLAGES: &str = concat!(
                "SELECT v.code, v.name, v.kind, v.township_code, v.area_km2, ",
                dialect!($dialect, shape("v")),
                " FROM village v ORDER BY v.code"
            );
            const GRIDS: &str = concat!(
                "SELECT g.code, g.name, g.kind, g.village_code, v.name AS village_name, g.township_code,
                        t.name AS township_name, g.parent_grid_code, g.area_km2, ",
                dialect!($dialect, shape("g")),
                " FROM grid g
                   JOIN village v ON v.code = g.village_code
                   JOIN township t ON t.code = g.township_code
                  ORDER BY g.code"
            );

            /// The loaded dataset, if any.
            pub async fn dataset(&self) -> Result<Option<DatasetInfo>, StoreError> {
                let row: Option<DatasetRow> = sqlx::query_as(DATASET)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading the dataset record"))?;
                Ok(row.map(DatasetInfo::from))
            }

            /// Inserts the whole dataset in one transaction; refuses if one is already there (the
            /// dataset table is locked first, so two processes cannot both load).
            pub async fn load(&self, dataset: &Dataset) -> Result<DatasetInfo, StoreError> {
                let mut tx = self.begin_write("starting the load").await?;
                Self::lock(&mut tx, Lock::Table("dataset")).await?;
                let existing: Option<i64> = sqlx::query_scalar(ANY_DATASET)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query("checking for a loaded dataset"))?;
                if let Some(id) = existing {
                    return Err(StoreError::AlreadyLoaded(id));
                }
                Self::insert_townships(&mut tx, &dataset.townships).await?;
                Self::insert_villages(&mut tx, &dataset.villages).await?;
                let shapes: Vec<_> = dataset.grids.iter().map(|g| Self::shape_value(&g.geometry)).collect();
                Self::insert_grids(&mut tx, &dataset.grids.iter().zip(&shapes).collect::<Vec<_>>()).await?;
                let row: DatasetRow = sqlx::query_as(INSERT_DATASET)
                    .bind(&dataset.source)
                    .bind(&dataset.note)
                    .bind(count(dataset.townships.len()))
                    .bind(count(dataset.villages.len()))
                    .bind(count(dataset.grids.len()))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(query("recording the dataset"))?;
                tx.commit().await.map_err(query("committing the load"))?;
                Ok(row.into())
            }

            /// All townships, by code.
            pub async fn townships(&self) -> Result<Vec<Township>, StoreError> {
                let rows: Vec<TownshipRow> = sqlx::query_as(Self::TOWNSHIPS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading townships"))?;
                rows.into_iter().map(|r| r.into_township(Self::read_shape)).collect()
            }

            /// All villages, by code.
            pub async fn villages(&self) -> Result<Vec<Village>, StoreError> {
                let rows: Vec<VillageRow> = sqlx::query_as(Self::VILLAGES)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading villages"))?;
                rows.into_iter().map(|r| r.into_village(Self::read_shape)).collect()
            }

            /// All grids with their village's and township's names, by code.
            pub async fn grids(&self) -> Result<Vec<Grid>, StoreError> {
                let rows: Vec<GridRow> = sqlx::query_as(Self::GRIDS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading grids"))?;
                rows.into_iter().map(|r| r.into_grid(Self::read_shape)).collect()
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
    };
}

division_store!(SqliteStore, sqlite);
division_store!(PgStore, postgres);

/// Reads back a stored shape ([`Backend::read_shape`]): the `geometry` of a row, as stored
/// (GeoJSON text in SQLite, WKB from PostGIS).
pub(super) type ReadShape = fn(&'static str, &str, &[u8]) -> Result<MultiPolygon<f64>, StoreError>;

/// The dataset record.
#[derive(sqlx::FromRow)]
struct DatasetRow {
    dataset_id: i64,
    source: String,
    note: String,
    created_at: Time,
}

impl From<DatasetRow> for DatasetInfo {
    fn from(r: DatasetRow) -> Self {
        Self { dataset_id: r.dataset_id, source: r.source, note: r.note, created_at: r.created_at.text() }
    }
}

/// A township row.
#[derive(sqlx::FromRow)]
struct TownshipRow {
    code: String,
    name: String,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl TownshipRow {
    /// The township.
    fn into_township(self, read_shape: ReadShape) -> Result<Township, StoreError> {
        let geometry = read_shape("township", &self.code, &self.geometry)?;
        Ok(Township { code: self.code, name: self.name, area_km2: self.area_km2, geometry })
    }
}

/// A village row.
#[derive(sqlx::FromRow)]
struct VillageRow {
    code: String,
    name: String,
    kind: String,
    township_code: String,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl VillageRow {
    /// The village.
    fn into_village(self, read_shape: ReadShape) -> Result<Village, StoreError> {
        let kind = VillageKind::parse(&self.kind).ok_or_else(|| bad_kind("village", &self.code, &self.kind))?;
        let geometry = read_shape("village", &self.code, &self.geometry)?;
        let Self { code, name, township_code, area_km2, .. } = self;
        Ok(Village { code, name, kind, township_code, area_km2, geometry })
    }
}

/// A grid row with its divisions' names.
#[derive(sqlx::FromRow)]
pub(super) struct GridRow {
    code: String,
    name: String,
    kind: String,
    village_code: String,
    village_name: String,
    township_code: String,
    township_name: String,
    parent_grid_code: Option<String>,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl GridRow {
    /// The grid.
    pub(super) fn into_grid(self, read_shape: ReadShape) -> Result<Grid, StoreError> {
        let kind = GridKind::parse(&self.kind).ok_or_else(|| bad_kind("grid", &self.code, &self.kind))?;
        let geometry = read_shape("grid", &self.code, &self.geometry)?;
        Ok(Grid {
            code: self.code,
            name: self.name,
            kind,
            village_code: self.village_code,
            village_name: self.village_name,
            township_code: self.township_code,
            township_name: self.township_name,
            parent_grid: self.parent_grid_code,
            area_km2: self.area_km2,
            geometry,
        })
    }
}

/// A count as stored.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn bad_kind(table: &'static str, code: &str, kind: &str) -> StoreError {
    StoreError::BadRow { table, code: code.to_owned(), reason: format!("unknown kind {kind:?}") }
}
