//! Looking at a database without changing it (`wangge check-db`): opened without creating a
//! file or applying a migration; the migrations it has against this build's; SQLite's own
//! integrity check, or PostGIS and the durability settings.

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteJournalMode, SqlitePoolOptions};

use super::postgres::describe;
use super::{query, Limits, PgStore, SqliteStore, Store, StoreError, StoreTarget};

/// The migrations this build has, for SQLite.
static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
/// The migrations this build has, for PostGIS.
static POSTGIS: Migrator = sqlx::migrate!("../migrations/postgis");

/// The database's migrations against this build's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Migrations this build has.
    pub known: usize,
    /// Of them, applied successfully.
    pub applied: usize,
    /// This build's migrations not applied yet (a start applies them).
    pub pending: Vec<i64>,
    /// Applied migrations this build does not know (a newer build wrote them, or someone else).
    pub unknown: Vec<i64>,
    /// Migrations recorded as failed.
    pub failed: Vec<i64>,
    /// Applied migrations whose text differs from this build's (edited after they were applied).
    pub changed: Vec<i64>,
}

impl Schema {
    /// Whether the database has exactly this build's migrations.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty() && self.failed.is_empty() && self.changed.is_empty()
    }
}

/// One of the backend's own checks: its name, whether it passed, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendCheck {
    /// What was checked.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

#[derive(sqlx::FromRow)]
struct AppliedRow {
    version: i64,
    success: bool,
    checksum: Vec<u8>,
}

impl Store {
    /// Opens an existing database as it is: no file is created, no migration applied, no
    /// setting refused (the checks report them).
    pub async fn open_existing(target: &StoreTarget, limits: Limits) -> Result<Self, StoreError> {
        match target {
            StoreTarget::Sqlite(options) => {
                let name = options.get_filename().display().to_string();
                let options = options
                    .clone()
                    .create_if_missing(false)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(limits.pool_wait)
                    .connect_with(options)
                    .await
                    .map_err(|source| StoreError::Open { target: name, source })?;
                let blobs = std::sync::Arc::from(std::path::Path::new(""));
                Ok(Self::Sqlite(SqliteStore { pool, blobs }))
            }
            StoreTarget::Postgres(options) => {
                let pool = PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(limits.pool_wait)
                    .connect_with(options.clone().options([("TimeZone", "UTC")]))
                    .await
                    .map_err(|source| StoreError::Open { target: describe(options), source })?;
                Ok(Self::Postgres(PgStore { pool }))
            }
        }
    }

    /// The database's migrations against this build's; `None` when it has no migrations table
    /// (never opened by the service).
    pub async fn schema(&self) -> Result<Option<Schema>, StoreError> {
        const APPLIED: &str = "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version";
        let (migrator, applied) = match self {
            Self::Sqlite(s) => {
                let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = '_sqlx_migrations'")
                    .fetch_one(&s.pool)
                    .await
                    .map_err(query("looking for the migrations table"))?;
                if exists == 0 {
                    return Ok(None);
                }
                let rows: Vec<AppliedRow> = sqlx::query_as(APPLIED).fetch_all(&s.pool).await.map_err(query("reading the migrations"))?;
                (&SQLITE, rows)
            }
            Self::Postgres(s) => {
                let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(&s.pool)
                    .await
                    .map_err(query("looking for the migrations table"))?;
                if !exists {
                    return Ok(None);
                }
                let rows: Vec<AppliedRow> = sqlx::query_as(APPLIED).fetch_all(&s.pool).await.map_err(query("reading the migrations"))?;
                (&POSTGIS, rows)
            }
        };
        Ok(Some(compare(migrator, &applied)))
    }

    /// The backend's own checks: SQLite's integrity check and journal mode; PostGIS's version
    /// and the durability settings.
    pub async fn backend_checks(&self) -> Result<Vec<BackendCheck>, StoreError> {
        match self {
            Self::Sqlite(s) => {
                let found: Vec<String> =
                    sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&s.pool).await.map_err(query("checking integrity"))?;
                let ok = found.len() == 1 && found[0] == "ok";
                let detail = if ok { "ok".to_owned() } else { found.iter().take(5).cloned().collect::<Vec<_>>().join("; ") };
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&s.pool).await.map_err(query("reading the journal mode"))?;
                Ok(vec![
                    BackendCheck { name: "integrity", ok, detail },
                    BackendCheck { name: "journal", ok: mode.eq_ignore_ascii_case("wal"), detail: mode },
                ])
            }
            Self::Postgres(s) => {
                let version: Result<String, _> = sqlx::query_scalar("SELECT postgis_lib_version()").fetch_one(&s.pool).await;
                let postgis = match version {
                    Ok(v) => BackendCheck { name: "postgis", ok: true, detail: v },
                    Err(e) => BackendCheck { name: "postgis", ok: false, detail: format!("not installed in this database: {e}") },
                };
                let mut settings = BTreeMap::new();
                for setting in ["fsync", "synchronous_commit"] {
                    let value: String = sqlx::query_scalar("SELECT current_setting($1)")
                        .bind(setting)
                        .fetch_one(&s.pool)
                        .await
                        .map_err(query("reading the durability settings"))?;
                    settings.insert(setting, value);
                }
                let durable = settings.values().all(|v| !v.eq_ignore_ascii_case("off"));
                let detail = settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ");
                Ok(vec![postgis, BackendCheck { name: "durability", ok: durable, detail }])
            }
        }
    }
}

/// This build's migrations against those applied.
fn compare(migrator: &Migrator, applied: &[AppliedRow]) -> Schema {
    let known: BTreeMap<i64, &[u8]> = migrator.iter().map(|m| (m.version, m.checksum.as_ref())).collect();
    let done: BTreeMap<i64, &AppliedRow> = applied.iter().map(|r| (r.version, r)).collect();
    let mut schema = Schema { known: known.len(), ..Schema::default() };
    for (version, checksum) in &known {
        match done.get(version) {
            Some(r) if !r.success => schema.failed.push(*version),
            Some(r) if r.checksum.as_slice() != *checksum => schema.changed.push(*version),
            Some(_) => schema.applied += 1,
            None => schema.pending.push(*version),
        }
    }
    schema.unknown = done.keys().filter(|v| !known.contains_key(v)).copied().collect();
    schema
}
