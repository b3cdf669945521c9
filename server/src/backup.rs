//! `wangge backup`: an online copy of an SQLite deployment while it serves — the database (one
//! consistent snapshot), the audit chain's anchor (taken first, so the copy's chain reaches
//! it), the photos' files (copied after, so every photo the copy names is there) and a
//! manifest. The keys are not copied: they belong apart from the backups (docs/operations.md).
//! PostGIS deployments back up with PostgreSQL's own tools (`pg_basebackup`, WAL archiving).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{Config, SQLITE_FILE};
use crate::store::{Store, StoreError};

/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "MANIFEST.json";

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target directory exists and is not empty.
    #[error("{0} exists and is not empty: back up into a new directory")]
    NotEmpty(PathBuf),
    /// The store is PostGIS.
    #[error(
        "the store is PostgreSQL: back it up with pg_basebackup and WAL archiving (point-in-time \
         recovery), as docs/operations.md describes; `wangge backup` copies SQLite deployments"
    )]
    Postgres,
    /// A file could not be read or written.
    #[error("{doing} {path}")]
    Io {
        /// What was being done.
        doing: &'static str,
        /// Which file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The manifest could not be written.
    #[error("cannot write the manifest")]
    Manifest(#[source] serde_json::Error),
}

/// What a backup holds.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// When the copy began.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// The database file in the backup.
    pub database: String,
    /// Its size in bytes.
    pub database_bytes: u64,
    /// Its SHA-256.
    pub database_sha256: String,
    /// Whether the audit anchor was copied (there is none before the first audit row).
    pub audit_anchor: bool,
    /// Photo files copied.
    pub attachments: usize,
    /// Events in the copy.
    pub events: i64,
    /// Audit rows in the copy.
    pub audit_rows: i64,
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io { doing, path, source }
}

/// Copies the deployment `config` names into the new directory `to` while it serves.
pub async fn backup(config: &Config, to: &Path) -> Result<Manifest, BackupError> {
    let started_at = Utc::now();
    if to.exists() && std::fs::read_dir(to).map_err(io("reading", to))?.next().is_some() {
        return Err(BackupError::NotEmpty(to.to_path_buf()));
    }
    let store = Store::open(&config.store_target().map_err(|e| BackupError::Io {
        doing: "reading the configuration for",
        path: config.data_dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?)
    .await?;
    if store.backend() != "sqlite" {
        store.close().await;
        return Err(BackupError::Postgres);
    }
    std::fs::create_dir_all(to).map_err(io("creating", to))?;
    // The anchor first: the database copied after it holds at least the rows it names.
    let anchor = config.audit_anchor_path();
    let audit_anchor = match std::fs::read(&anchor) {
        Ok(bytes) => {
            write_synced(&to.join("audit.anchor"), &bytes)?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io("reading", &anchor)(e)),
    };
    let database = to.join(SQLITE_FILE);
    let blobs = store.snapshot(&database).await?.ok_or(BackupError::Postgres)?;
    store.close().await;
    // The photos' files after the snapshot: every one it names was written before its commit.
    let attachments = copy_tree(&blobs, &to.join("attachments"))?;
    let (events, audit_rows) = counts(&database).await?;
    let bytes = std::fs::read(&database).map_err(io("reading", &database))?;
    let manifest = Manifest {
        started_at,
        finished_at: Utc::now(),
        database: SQLITE_FILE.to_owned(),
        database_bytes: bytes.len() as u64,
        database_sha256: hex(&Sha256::digest(&bytes)),
        audit_anchor,
        attachments,
        events,
        audit_rows,
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(BackupError::Manifest)?;
    write_synced(&to.join(MANIFEST), &text)?;
    sync_dir(to)?;
    Ok(manifest)
}

/// Events and audit rows in the copied database, read from the copy itself.
async fn counts(database: &Path) -> Result<(i64, i64), BackupError> {
    use sqlx::ConnectOptions;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(database).read_only(true);
    let mut conn = options.connect().await.map_err(|source| StoreError::Open { target: database.display().to_string(), source })?;
    let count = |table| format!("SELECT count(*) FROM {table}");
    let read = |source| StoreError::Query { doing: "counting the copy's rows", source };
    let events: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("event"))).fetch_one(&mut conn).await.map_err(read)?;
    let audit: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(count("audit_log"))).fetch_one(&mut conn).await.map_err(read)?;
    Ok((events, audit))
}

/// Copies every file under `from` to `to` (missing `from`: nothing), each synced; answers how
/// many files.
fn copy_tree(from: &Path, to: &Path) -> Result<usize, BackupError> {
    if !from.is_dir() {
        return Ok(0);
    }
    std::fs::create_dir_all(to).map_err(io("creating", to))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).map_err(io("reading", from))? {
        let entry = entry.map_err(io("reading", from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(io("reading", &source))?;
        if kind.is_dir() {
            copied += copy_tree(&source, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target).map_err(io("copying", &source))?;
            std::fs::File::open(&target).and_then(|f| f.sync_all()).map_err(io("syncing", &target))?;
            copied += 1;
        }
    }
    sync_dir(to)?;
    Ok(copied)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(io("creating", path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io("writing", path))
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("syncing", dir))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
