//! Boundary generations, written once for both backends: publishing redrawn grids, the
//! generations and the grid versions.

use std::collections::HashSet;

use super::dialect::{Backend, Lock};
use super::divisions::GridRow;
use super::{query, GenerationRecord, GridVersion, PgStore, Publication, SqliteStore, StoreError};
use crate::records::Grid;

const CURRENT_GENERATION: &str = "SELECT coalesce(max(generation), 0) FROM grid_generation";
const GENERATIONS: &str = "SELECT generation, area_code, published_us, published_by, note, grids_before, grids_after,
        reassigned
   FROM grid_generation ORDER BY generation DESC";
const INSERT_GENERATION: &str = "INSERT INTO grid_generation (generation, area_code, published_us, published_by, note,
        grids_before, grids_after, reassigned)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Grids written per statement of a publication (ten binds a row: within SQLite's 32,766).
const GRIDS_PER_STATEMENT: usize = 500;

/// Grid versions with their divisions' names (empty once a division is gone), as a literal.
macro_rules! versions {
    ($dialect:ident) => {
        concat!(
            "SELECT g.valid_from, g.valid_to, g.code, g.name, g.kind, g.village_code,
                    coalesce(v.name, '') AS village_name, g.township_code, coalesce(t.name, '') AS township_name,
                    g.parent_grid_code, g.area_km2, ",
            dialect!($dialect, shape("g")),
            " FROM grid_version g
               LEFT JOIN village v ON v.code = g.village_code
               LEFT JOIN township t ON t.code = g.township_code"
        )
    };
}

/// The generation methods of one backend (`sqlite` or `postgres`).
macro_rules! generation_store {
    ($store:ty, $db:ty, $dialect:ident) => {
        impl $store {
            /// A newer generation whose area contains, or lies in, area `$2`.
            const CLASH: &str = concat!(
                "SELECT generation, published_by FROM grid_generation WHERE generation > $1 AND (",
                dialect!($dialect, starts_with("area_code", "$2")),
                " OR ",
                dialect!($dialect, starts_with("$2", "area_code")),
                ") ORDER BY generation LIMIT 1"
            );
            const UNBIND_AREA: &str =
                concat!("DELETE FROM grid_binding WHERE ", dialect!($dialect, starts_with("grid_code", "$1")));
            const INSERT_VERSIONS: &str = concat!(
                "INSERT INTO grid_version (code, valid_from, valid_to, name, kind, village_code, township_code,
                                           parent_grid_code, area_km2, ",
                dialect!($dialect, shape_column),
                ") "
            );
            const GRID_VERSIONS: &str = concat!(versions!($dialect), " WHERE g.code = $1 ORDER BY g.valid_from");
            const ALL_VERSIONS: &str = concat!(versions!($dialect), " ORDER BY g.code, g.valid_from");

            /// The newest generation (0: the loaded dataset).
            pub async fn current_generation(&self) -> Result<i64, StoreError> {
                sqlx::query_scalar(CURRENT_GENERATION)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(query("reading the current generation"))
            }

            /// Writes a publication in one transaction: refused as a conflict when a generation
            /// newer than its base touched an overlapping area.
            pub async fn publish(&self, p: &Publication) -> Result<i64, StoreError> {
                let mut tx = self.begin_write("starting a publication").await?;
                Self::lock(&mut tx, Lock::Publication).await?;
                let clash: Option<(i64, String)> = sqlx::query_as(Self::CLASH)
                    .bind(p.base_generation)
                    .bind(&p.area_code)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query("checking for a newer generation"))?;
                if let Some((generation, by)) = clash {
                    return Err(StoreError::GenerationConflict { area: p.area_code.clone(), generation, by });
                }
                let current: i64 = sqlx::query_scalar(CURRENT_GENERATION)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(query("reading the current generation"))?;
                let generation = current + 1;
                // Each written shape is encoded once, for its grid row and its version.
                let shapes: Vec<_> = p.written.iter().map(|g| Self::shape_value(&g.geometry)).collect();
                let written: Vec<_> = p.written.iter().zip(&shapes).collect();
                Self::retire(&mut tx, &p.retired, generation).await?;
                Self::insert_grids(&mut tx, &written).await?;
                Self::insert_versions(&mut tx, &written, generation, None).await?;
                for w in &p.moves {
                    Self::write_transition(&mut tx, w).await?;
                }
                Self::move_registry(&mut tx, &p.registry_moves).await?;
                sqlx::query(Self::UNBIND_AREA)
                    .bind(&p.area_code)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("replacing the area's bindings"))?;
                let bindings: Vec<(&str, &str)> = p.bindings.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                Self::bind_grids(&mut tx, &bindings, "binding people to the new grids").await?;
                sqlx::query(INSERT_GENERATION)
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
                sqlx::query_as(GENERATIONS).fetch_all(&self.pool).await.map_err(query("listing generations"))
            }

            /// Every recorded version of a grid, oldest first (a grid never redrawn has none).
            pub async fn grid_versions(&self, code: &str) -> Result<Vec<GridVersion>, StoreError> {
                let rows: Vec<VersionRow> = sqlx::query_as(Self::GRID_VERSIONS)
                    .bind(code)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading a grid's versions"))?;
                rows.into_iter().map(Self::version).collect()
            }

            /// Every recorded version of every grid, by code and age.
            pub async fn all_grid_versions(&self) -> Result<Vec<GridVersion>, StoreError> {
                let rows: Vec<VersionRow> =
                    sqlx::query_as(Self::ALL_VERSIONS).fetch_all(&self.pool).await.map_err(query("reading the grid versions"))?;
                rows.into_iter().map(Self::version).collect()
            }

            fn version(row: VersionRow) -> Result<GridVersion, StoreError> {
                let grid = row.grid.into_grid(Self::read_shape)?;
                Ok(GridVersion { valid_from: row.valid_from, valid_to: row.valid_to, grid })
            }

            /// Closes the current version of each retired grid (recording the loaded one first
            /// when it was never redrawn) and removes it from the current grids: a few
            /// statements for any number of grids.
            async fn retire(
                tx: &mut sqlx::Transaction<'_, $db>,
                retired: &[Grid],
                generation: i64,
            ) -> Result<(), StoreError> {
                for chunk in retired.chunks(GRIDS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE grid_version SET valid_to = ");
                    q.push_bind(generation).push(" WHERE valid_to IS NULL AND code IN (");
                    let mut codes = q.separated(", ");
                    for g in chunk {
                        codes.push_bind(&g.code);
                    }
                    q.push(") RETURNING code");
                    let closed: Vec<String> =
                        q.build_query_scalar().fetch_all(&mut **tx).await.map_err(query("closing grid versions"))?;
                    let closed: HashSet<&str> = closed.iter().map(String::as_str).collect();
                    let never: Vec<&Grid> = chunk.iter().filter(|g| !closed.contains(g.code.as_str())).collect();
                    let shapes: Vec<_> = never.iter().map(|g| Self::shape_value(&g.geometry)).collect();
                    Self::insert_versions(tx, &never.into_iter().zip(&shapes).collect::<Vec<_>>(), 0, Some(generation)).await?;
                    let mut q = sqlx::QueryBuilder::<$db>::new("DELETE FROM grid WHERE code IN (");
                    let mut codes = q.separated(", ");
                    for g in chunk {
                        codes.push_bind(&g.code);
                    }
                    q.push(")");
                    q.build().execute(&mut **tx).await.map_err(query("removing redrawn grids"))?;
                }
                Ok(())
            }

            /// Records versions of `grids` valid from `valid_from` (to `valid_to`).
            async fn insert_versions(
                tx: &mut sqlx::Transaction<'_, $db>,
                grids: &[(&Grid, &<Self as Backend>::ShapeValue)],
                valid_from: i64,
                valid_to: Option<i64>,
            ) -> Result<(), StoreError> {
                for chunk in grids.chunks(GRIDS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(Self::INSERT_VERSIONS);
                    q.push_values(chunk, |mut b, (g, shape)| {
                        b.push_bind(&g.code).push_bind(valid_from).push_bind(valid_to).push_bind(&g.name);
                        b.push_bind(g.kind.as_str()).push_bind(&g.village_code).push_bind(&g.township_code);
                        b.push_bind(g.parent_grid.as_deref()).push_bind(g.area_km2);
                        dialect!($dialect, push_shape_value(b, *shape));
                    });
                    q.build().execute(&mut **tx).await.map_err(query("recording grid versions"))?;
                }
                Ok(())
            }
        }
    };
}

generation_store!(SqliteStore, sqlx::Sqlite, sqlite);
generation_store!(PgStore, sqlx::Postgres, postgres);

/// A recorded grid version.
#[derive(sqlx::FromRow)]
struct VersionRow {
    valid_from: i64,
    valid_to: Option<i64>,
    #[sqlx(flatten)]
    grid: GridRow,
}
