//! Boundary generations in SQLite: publishing redrawn grids, the generations, grid versions.

use sqlx::{Sqlite, Transaction};

use super::events::write_transition;
use super::{begin_write, grid_from_row, insert_grids, query, GridRow, SqliteStore};
use crate::records::Grid;
use crate::store::{geometry_text, GenerationRecord, GridVersion, Publication, StoreError};

type GenerationRow = (i64, String, i64, String, String, i64, i64, i64);

/// `valid_from`, `valid_to`, then a grid row.
type VersionRow = (i64, Option<i64>, String, String, String, String, String, String, String, Option<String>, f64, String);

const GENERATION_COLUMNS: &str =
    "generation, area_code, published_us, published_by, note, grids_before, grids_after, reassigned";

impl SqliteStore {
    /// The newest generation (0: the loaded dataset).
    pub async fn current_generation(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT coalesce(max(generation), 0) FROM grid_generation")
            .fetch_one(&self.pool)
            .await
            .map_err(query("reading the current generation"))
    }

    /// Writes a publication in one transaction: refused as a conflict when a generation newer
    /// than its base touched an overlapping area.
    pub async fn publish(&self, p: &Publication) -> Result<i64, StoreError> {
        let mut tx = begin_write(&self.pool, "starting a publication").await?;
        let clash: Option<(i64, String)> = sqlx::query_as(
            "SELECT generation, published_by FROM grid_generation WHERE generation > ?1
                AND (substr(area_code, 1, length(?2)) = ?2 OR substr(?2, 1, length(area_code)) = area_code)
              ORDER BY generation LIMIT 1",
        )
        .bind(p.base_generation)
        .bind(&p.area_code)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query("checking for a newer generation"))?;
        if let Some((generation, by)) = clash {
            return Err(StoreError::GenerationConflict { area: p.area_code.clone(), generation, by });
        }
        let current: i64 = sqlx::query_scalar("SELECT coalesce(max(generation), 0) FROM grid_generation")
            .fetch_one(&mut *tx)
            .await
            .map_err(query("reading the current generation"))?;
        let generation = current + 1;
        retire(&mut tx, &p.retired, generation).await?;
        insert_grids(&mut tx, &p.written).await?;
        for g in &p.written {
            insert_version(&mut tx, g, generation, None).await?;
        }
        for w in &p.moves {
            write_transition(&mut tx, w).await?;
        }
        sqlx::query("DELETE FROM grid_binding WHERE substr(grid_code, 1, length(?1)) = ?1")
            .bind(&p.area_code)
            .execute(&mut *tx)
            .await
            .map_err(query("replacing the area's bindings"))?;
        for (person, grid) in &p.bindings {
            sqlx::query("INSERT OR IGNORE INTO grid_binding (person_id, grid_code) VALUES (?, ?)")
                .bind(person)
                .bind(grid)
                .execute(&mut *tx)
                .await
                .map_err(query("binding people to the new grids"))?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO grid_generation ({GENERATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")))
            .bind(generation)
            .bind(&p.area_code)
            .bind(p.at_us)
            .bind(&p.published_by)
            .bind(&p.note)
            .bind(i64::try_from(p.grids_before).unwrap_or(i64::MAX))
            .bind(i64::try_from(p.grids_after).unwrap_or(i64::MAX))
            .bind(i64::try_from(p.moves.len()).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(query("recording the generation"))?;
        tx.commit().await.map_err(query("committing a publication"))?;
        Ok(generation)
    }

    /// Every generation, newest first.
    pub async fn generations(&self) -> Result<Vec<GenerationRecord>, StoreError> {
        let rows: Vec<GenerationRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {GENERATION_COLUMNS} FROM grid_generation ORDER BY generation DESC")))
                .fetch_all(&self.pool)
                .await
                .map_err(query("listing generations"))?;
        Ok(rows.into_iter().map(generation_record).collect())
    }

    /// Every recorded version of a grid, oldest first (a grid never redrawn has none).
    pub async fn grid_versions(&self, code: &str) -> Result<Vec<GridVersion>, StoreError> {
        let rows: Vec<VersionRow> =
            sqlx::query_as(
                "SELECT g.valid_from, g.valid_to, g.code, g.name, g.kind, g.village_code, coalesce(v.name, ''),
                        g.township_code, coalesce(t.name, ''), g.parent_grid_code, g.area_km2, g.geometry
                   FROM grid_version g
                   LEFT JOIN village v ON v.code = g.village_code
                   LEFT JOIN township t ON t.code = g.township_code
                  WHERE g.code = ? ORDER BY g.valid_from",
            )
            .bind(code)
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading a grid's versions"))?;
        rows.into_iter()
            .map(|r| {
                let row: GridRow = (r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11);
                Ok(GridVersion { valid_from: r.0, valid_to: r.1, grid: grid_from_row(row)? })
            })
            .collect()
    }

    /// Every recorded version of every grid, by code and age.
    pub async fn all_grid_versions(&self) -> Result<Vec<GridVersion>, StoreError> {
        let rows: Vec<VersionRow> =
            sqlx::query_as(
                "SELECT g.valid_from, g.valid_to, g.code, g.name, g.kind, g.village_code, coalesce(v.name, ''),
                        g.township_code, coalesce(t.name, ''), g.parent_grid_code, g.area_km2, g.geometry
                   FROM grid_version g
                   LEFT JOIN village v ON v.code = g.village_code
                   LEFT JOIN township t ON t.code = g.township_code
                  ORDER BY g.code, g.valid_from",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading the grid versions"))?;
        rows.into_iter()
            .map(|r| {
                let row: GridRow = (r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11);
                Ok(GridVersion { valid_from: r.0, valid_to: r.1, grid: grid_from_row(row)? })
            })
            .collect()
    }
}

pub(super) fn generation_record(r: GenerationRow) -> GenerationRecord {
    GenerationRecord {
        generation: r.0,
        area_code: r.1,
        published_us: r.2,
        published_by: r.3,
        note: r.4,
        grids_before: r.5,
        grids_after: r.6,
        reassigned: r.7,
    }
}

/// Closes the current version of each retired grid (recording the loaded one first when it
/// was never redrawn) and removes it from the current grids.
async fn retire(tx: &mut Transaction<'_, Sqlite>, retired: &[Grid], generation: i64) -> Result<(), StoreError> {
    for g in retired {
        let closed = sqlx::query("UPDATE grid_version SET valid_to = ? WHERE code = ? AND valid_to IS NULL")
            .bind(generation)
            .bind(&g.code)
            .execute(&mut **tx)
            .await
            .map_err(query("closing a grid version"))?;
        if closed.rows_affected() == 0 {
            insert_version(tx, g, 0, Some(generation)).await?;
        }
        sqlx::query("DELETE FROM grid WHERE code = ?")
            .bind(&g.code)
            .execute(&mut **tx)
            .await
            .map_err(query("removing a redrawn grid"))?;
    }
    Ok(())
}

async fn insert_version(
    tx: &mut Transaction<'_, Sqlite>,
    g: &Grid,
    valid_from: i64,
    valid_to: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO grid_version (code, valid_from, valid_to, name, kind, village_code, township_code,
                                   parent_grid_code, area_km2, geometry)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&g.code)
    .bind(valid_from)
    .bind(valid_to)
    .bind(&g.name)
    .bind(g.kind.as_str())
    .bind(&g.village_code)
    .bind(&g.township_code)
    .bind(g.parent_grid.as_deref())
    .bind(g.area_km2)
    .bind(geometry_text(&g.geometry))
    .execute(&mut **tx)
    .await
    .map_err(query("recording a grid version"))?;
    Ok(())
}
