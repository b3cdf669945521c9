//! The embedded SQLite backend: one file in the data directory, WAL journal, full fsync — and
//! what SQLite does differently from PostGIS: GeoJSON text for shapes, multi-row `VALUES`
//! batches, and `BEGIN IMMEDIATE` write transactions (a deferred transaction that reads, then
//! finds another writer committed meanwhile, fails instead of waiting).

mod intake;

use std::time::Duration;

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use wangge_core::calendar::DayKind;
use wangge_core::event::Tier;
use wangge_core::people::{Person, Responsibility};

use super::dialect::{Backend, Lock};
use super::events::split;
use super::reference::day_kind_text;
use super::time::Time;
use super::{geometry_text, parse_geometry, query, StoreError};
use crate::records::{Grid, Township, Village};
use crate::records::TimelineEntry;
use crate::records::Department;

/// A pool of connections to one SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// Where photos' bytes live: `attachments/` beside the database file.
    pub(super) blobs: std::sync::Arc<std::path::Path>,
}

/// Rows per multi-row INSERT: a statement stays under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

impl SqliteStore {
    /// Opens the database with WAL and `synchronous=FULL` (a committed load survives power loss),
    /// then applies the migrations in `migrations/sqlite`.
    pub async fn open(options: SqliteConnectOptions, limits: super::Limits) -> Result<Self, StoreError> {
        let target = options.get_filename().display().to_string();
        let beside = options.get_filename().parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let blobs: std::sync::Arc<std::path::Path> = beside.join("attachments").into();
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Checkpoints are taken off the writers' path (`checkpoint_beside`); a writer takes
            // one itself only if the WAL has grown this far meanwhile.
            .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(limits.pool_wait)
            .connect_with(options.clone())
            .await
            .map_err(|source| StoreError::Open { target, source })?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await.map_err(StoreError::Migrate)?;
        tokio::spawn(checkpoint_beside(pool.clone(), options));
        Ok(Self { pool, blobs })
    }
}

/// How often the WAL is checkpointed beside the writers.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// WAL pages (4 KiB each) past which a committing writer checkpoints itself: the background
/// checkpointer has fallen behind or stopped (SQLite's default is 1,000, on every writer).
const WAL_BACKSTOP_PAGES: u32 = 16_384;

/// Copies the WAL's committed pages into the database file every [`CHECKPOINT_EVERY`], on a
/// connection of its own, until the pool closes: with SQLite's default, the commit that
/// brought the WAL past 1,000 pages did it, and the reports waiting on that commit waited for
/// the copy and its `fsync` too. A passive checkpoint never waits for readers or writers, and
/// once it has copied every frame the next writer starts the WAL over from its beginning.
async fn checkpoint_beside(pool: SqlitePool, options: SqliteConnectOptions) {
    use sqlx::ConnectOptions;
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no connection for the background checkpointer: writers checkpoint the WAL themselves");
            return;
        }
    };
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await {
            tracing::warn!(error = %e, "a background WAL checkpoint failed; the next is tried shortly");
        }
    }
    if let Err(e) = sqlx::Connection::close(conn).await {
        tracing::debug!(error = %e, "closing the checkpointer's connection");
    }
}

impl SqliteStore {
    /// Writes a consistent copy of the database to `to` while it keeps serving (`VACUUM INTO`,
    /// one read transaction: the copy holds exactly what was committed when it began), then
    /// syncs it to disk. Answers the attachments' directory, which the caller copies after.
    pub async fn snapshot(&self, to: &std::path::Path) -> Result<std::path::PathBuf, StoreError> {
        let target = to.to_str().ok_or_else(|| StoreError::BadRow {
            table: "backup",
            code: to.display().to_string(),
            reason: "the backup's path is not UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await.map_err(query("writing the backup copy"))?;
        let file = std::fs::File::open(to).map_err(StoreError::Blob)?;
        file.sync_all().map_err(StoreError::Blob)?;
        Ok(self.blobs.to_path_buf())
    }
}

impl SqliteStore {
    /// The migrations this build knows, and how many of them are applied successfully.
    pub async fn migrations(&self) -> Result<(usize, usize), StoreError> {
        let known: Vec<i64> = sqlx::migrate!("../migrations/sqlite").iter().map(|m| m.version).collect();
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading the applied migrations"))?;
        Ok((known.len(), known.iter().filter(|v| applied.contains(v)).count()))
    }
}

impl Backend for SqliteStore {
    type Db = Sqlite;
    type ShapeValue = String;

    async fn begin_write(&self, doing: &'static str) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(query(doing))
    }

    /// Nothing: the write transaction already holds the file's one write lock.
    async fn lock(_: &mut Transaction<'_, Sqlite>, _: Lock<'_>) -> Result<(), StoreError> {
        Ok(())
    }

    fn shape_value(shape: &MultiPolygon<f64>) -> String {
        geometry_text(shape)
    }

    fn read_shape(table: &'static str, code: &str, stored: &[u8]) -> Result<MultiPolygon<f64>, StoreError> {
        let text = std::str::from_utf8(stored)
            .map_err(|e| StoreError::BadRow { table, code: code.to_owned(), reason: e.to_string() })?;
        parse_geometry(table, code, text)
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

    async fn insert_grids(tx: &mut Transaction<'_, Sqlite>, grids: &[(&Grid, &String)]) -> Result<(), StoreError> {
        // Eight binds a row: within SQLite's 32,766.
        for chunk in grids.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO grid (code, name, kind, village_code, township_code, parent_grid_code, area_km2, geometry) ",
            );
            q.push_values(chunk, |mut b, (g, shape)| {
                b.push_bind(&g.code).push_bind(&g.name).push_bind(g.kind.as_str()).push_bind(&g.village_code);
                b.push_bind(&g.township_code).push_bind(g.parent_grid.as_deref()).push_bind(g.area_km2);
                b.push_bind(*shape);
            });
            q.build().execute(&mut **tx).await.map_err(query("inserting grids"))?;
        }
        Ok(())
    }

    async fn insert_entries(tx: &mut Transaction<'_, Sqlite>, rows: &[(&str, &TimelineEntry)]) -> Result<(), StoreError> {
        for chunk in rows.chunks(3 * ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO event_transition (event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id) ",
            );
            q.push_values(chunk, |mut b, (event_id, t)| {
                let (tier, id) = split(t.holder_after.as_ref());
                b.push_bind(*event_id)
                    .push_bind(t.seq)
                    .push_bind(Time::from(t.at))
                    .push_bind(t.actor.as_str())
                    .push_bind(t.tier.map(Tier::as_str))
                    .push_bind(t.action.as_str())
                    .push_bind(t.payload.to_string())
                    .push_bind(t.state_after.as_str())
                    .push_bind(tier)
                    .push_bind(id);
            });
            // One row (a transition) is the hot path: its statement is kept prepared.
            let q = q.build().persistent(chunk.len() == 1);
            q.execute(&mut **tx).await.map_err(query("appending to timelines"))?;
        }
        Ok(())
    }

    async fn bind_grids(
        tx: &mut Transaction<'_, Sqlite>,
        bindings: &[(&str, &str)],
        doing: &'static str,
    ) -> Result<(), StoreError> {
        for chunk in bindings.chunks(5 * ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO grid_binding (person_id, grid_code) ");
            q.push_values(chunk, |mut b, (person, grid)| {
                b.push_bind(*person).push_bind(*grid);
            });
            q.build().persistent(false).execute(&mut **tx).await.map_err(query(doing))?;
        }
        Ok(())
    }

    async fn insert_person_rows(tx: &mut Transaction<'_, Sqlite>, people: &[Person]) -> Result<(), StoreError> {
        for chunk in people.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty) ",
            );
            q.push_values(chunk, |mut b, p| {
                b.push_bind(p.id.as_str())
                    .push_bind(p.name.as_str())
                    .push_bind(p.role.as_str())
                    .push_bind(p.unit_code.as_str())
                    .push_bind(p.device_id.as_deref())
                    .push_bind(p.phone.as_str())
                    .push_bind(p.on_duty);
            });
            q.build().persistent(false).execute(&mut **tx).await.map_err(query("inserting people"))?;
        }
        Ok(())
    }

    /// Looks the person up first: the write transaction keeps anyone else from inserting them
    /// meanwhile.
    async fn upsert_person_row(tx: &mut Transaction<'_, Sqlite>, p: &Person) -> Result<bool, StoreError> {
        let existed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM person WHERE person_id = ?")
            .bind(&p.id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query("looking up a person"))?;
        sqlx::query(
            "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, role = excluded.role,
                    unit_code = excluded.unit_code, device_id = excluded.device_id, phone = excluded.phone,
                    on_duty = excluded.on_duty, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.role.as_str())
        .bind(&p.unit_code)
        .bind(p.device_id.as_deref())
        .bind(&p.phone)
        .bind(p.on_duty)
        .execute(&mut **tx)
        .await
        .map_err(query("writing a person"))?;
        Ok(existed.is_none())
    }

    async fn upsert_departments(tx: &mut Transaction<'_, Sqlite>, departments: &[Department]) -> Result<(), StoreError> {
        for d in departments {
            sqlx::query("INSERT INTO department (code, name) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name")
                .bind(&d.code)
                .bind(&d.name)
                .execute(&mut **tx)
                .await
                .map_err(query("writing a department"))?;
        }
        Ok(())
    }

    async fn insert_responsibility(tx: &mut Transaction<'_, Sqlite>, table: &[Responsibility]) -> Result<(), StoreError> {
        for r in table {
            sqlx::query("INSERT INTO responsibility (category, subcategory, department_code) VALUES (?, ?, ?)")
                .bind(&r.category)
                .bind(r.subcategory.as_deref())
                .bind(&r.department)
                .execute(&mut **tx)
                .await
                .map_err(query("writing the routing table"))?;
        }
        Ok(())
    }

    async fn insert_days(tx: &mut Transaction<'_, Sqlite>, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError> {
        for (date, kind) in days {
            sqlx::query("INSERT INTO calendar_override (date, kind) VALUES (?, ?)")
                .bind(date)
                .bind(day_kind_text(*kind))
                .execute(&mut **tx)
                .await
                .map_err(query("writing a year's special days"))?;
        }
        Ok(())
    }
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
        let store = SqliteStore::open(SqliteConnectOptions::new().filename(dir.path().join("wangge.db")), crate::store::Limits::default()).await.unwrap();
        let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&store.pool).await.unwrap();
        let parsed = parse_version(&version).unwrap_or_else(|| panic!("SQLite version {version:?} does not parse"));
        assert!(parsed >= OLDEST_SAFE, "SQLite {version} is linked; {OLDEST_SAFE:?} or newer is needed");
    }

    #[tokio::test]
    async fn the_wal_is_checkpointed_beside_the_writers() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = dir.path().join("wangge.db");
        let store = SqliteStore::open(SqliteConnectOptions::new().filename(&file), crate::store::Limits::default()).await.unwrap();
        let backstop: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&store.pool).await.unwrap();
        assert_eq!(backstop, i64::from(WAL_BACKSTOP_PAGES), "writers checkpoint only past the backstop");
        tokio::time::sleep(CHECKPOINT_EVERY * 3).await;
        let before = std::fs::metadata(&file).unwrap().len();
        // About 4 MiB committed: a thousand pages, far under the backstop, so no writer copies them.
        sqlx::query("CREATE TABLE filler (x BLOB)").execute(&store.pool).await.unwrap();
        sqlx::query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO filler SELECT randomblob(4000) FROM n")
            .execute(&store.pool)
            .await
            .unwrap();
        let waited = std::time::Instant::now();
        let mut grown = 0;
        while waited.elapsed() < std::time::Duration::from_secs(10) {
            grown = std::fs::metadata(&file).unwrap().len().saturating_sub(before);
            if grown >= 3_000_000 {
                break;
            }
            tokio::time::sleep(CHECKPOINT_EVERY).await;
        }
        assert!(grown >= 3_000_000, "the database file grew {grown} bytes: the WAL was not checkpointed in the background");
        store.pool.close().await;
    }
}
