//! The loaded dataset and its divisions (townships, villages, grids), written once for both
//! backends.

use super::dialect::{Backend, Lock};
use super::rows::{count, DatasetRow, GridRow, TownshipRow, VillageRow};
use super::{query, PgStore, SqliteStore, StoreError};
use crate::dataset::{Dataset, DatasetInfo, Grid, Township, Village};

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
                Self::insert_grids(&mut tx, &dataset.grids).await?;
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
