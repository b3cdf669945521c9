//! Durable storage of the divisions and grids, behind one interface for every backend.
//!
//! Today the only backend is an embedded SQLite file; a PostGIS backend will be another
//! variant of [`Store`] and [`StoreTarget`], and the store tests run the same suite on each.

mod sqlite;

use std::path::PathBuf;

pub use sqlite::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;

use crate::dataset::{Dataset, DatasetInfo, Grid, Township, Village};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened.
    #[error("cannot open the database {target}")]
    Open {
        /// Which database (never a password).
        target: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations failed.
    #[error("cannot apply the schema migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A statement failed.
    #[error("database error while {doing}")]
    Query {
        /// What the store was doing.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored row cannot be read back.
    #[error("{table} {code}: {reason}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// The row's key.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset was offered to a store that already holds one.
    #[error("the store already holds dataset {0}; refusing to load another over it")]
    AlreadyLoaded(i64),
}

/// Which database to open.
#[derive(Debug, Clone)]
pub enum StoreTarget {
    /// An SQLite database (a file, created if missing).
    Sqlite(SqliteConnectOptions),
}

impl StoreTarget {
    /// The SQLite file `path`.
    pub fn sqlite_file(path: impl Into<PathBuf>) -> Self {
        Self::Sqlite(SqliteConnectOptions::new().filename(path.into()))
    }
}

/// The divisions and grids store, whichever backend holds them.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn open(target: &StoreTarget) -> Result<Self, StoreError> {
        match target {
            StoreTarget::Sqlite(options) => Ok(Self::Sqlite(SqliteStore::open(options.clone()).await?)),
        }
    }

    /// The dataset the store holds, or `None` when it is empty.
    pub async fn dataset(&self) -> Result<Option<DatasetInfo>, StoreError> {
        match self {
            Self::Sqlite(s) => s.dataset().await,
        }
    }

    /// Loads a validated dataset into an empty store, all or nothing.
    pub async fn load(&self, dataset: &Dataset) -> Result<DatasetInfo, StoreError> {
        match self {
            Self::Sqlite(s) => s.load(dataset).await,
        }
    }

    /// All townships, by code.
    pub async fn townships(&self) -> Result<Vec<Township>, StoreError> {
        match self {
            Self::Sqlite(s) => s.townships().await,
        }
    }

    /// All villages and communities, by code.
    pub async fn villages(&self) -> Result<Vec<Village>, StoreError> {
        match self {
            Self::Sqlite(s) => s.villages().await,
        }
    }

    /// All grids with their divisions' names, by code.
    pub async fn grids(&self) -> Result<Vec<Grid>, StoreError> {
        match self {
            Self::Sqlite(s) => s.grids().await,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.ping().await,
        }
    }

    /// Waits for open connections to finish and closes them.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
        }
    }
}

/// GeoJSON text of a shape, as the stores keep it.
pub(crate) fn geometry_text(geometry: &geo_types::MultiPolygon<f64>) -> String {
    geojson::Geometry::new(geojson::Value::from(geometry)).to_string()
}

/// Reads back a shape stored by [`geometry_text`].
pub(crate) fn parse_geometry(
    table: &'static str,
    code: &str,
    text: &str,
) -> Result<geo_types::MultiPolygon<f64>, StoreError> {
    let bad = |reason: String| StoreError::BadRow { table, code: code.to_owned(), reason };
    let geometry: geojson::Geometry = text.parse().map_err(|e: geojson::Error| bad(e.to_string()))?;
    crate::geodata::geometry_to_multipolygon(&geometry.value).map_err(bad)
}
