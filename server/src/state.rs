//! The state every request shares, and how it is assembled at start-up.

use std::path::Path;
use std::sync::Arc;

use wangge_core::{GridIndex, IndexError, SharedIndex};

use crate::catalog::{grid_shape, Catalog, CatalogError};
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::dataset::Dataset;
use crate::geodata::{self, GeodataError};
use crate::intake::Intake;
use crate::rules::{Rules, RulesError};
use crate::store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The geodata files could not be read on first run.
    #[error(transparent)]
    Geodata(#[from] GeodataError),
    /// The grid index could not be built.
    #[error("cannot build the grid index from {what}")]
    Index {
        /// `"the geodata files"` or `"the store"`.
        what: &'static str,
        /// The index's error.
        #[source]
        source: IndexError,
    },
    /// The in-memory catalog could not be built.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The roster, calendar or routing table could not be loaded.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// The demo roster and year could not be loaded.
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoLoadError),
    /// The blocking loader task died.
    #[error("the geodata loader task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// What handlers share: the store, the grid index and the in-memory catalog built with it,
/// the rules in memory, the intake writer and the clock.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Durable storage.
    pub store: Store,
    /// Point → grid lookups; swappable while serving.
    pub index: SharedIndex,
    /// Grid features and the division tree, served from memory.
    pub catalog: Arc<Catalog>,
    /// Roster, working calendar and routing table, swapped whole on change.
    pub rules: Rules,
    /// The single writer of new reports (group commit).
    pub intake: Intake,
    /// Where "now" comes from.
    pub clock: Clock,
}

/// Opens the store, loads the geodata files into it if it is empty, then builds the index and
/// the catalog from the store.
pub async fn state_from_config(config: &Config) -> Result<AppState, StartError> {
    let store = Store::open(&config.store_target()?).await?;
    match store.dataset().await? {
        Some(info) => {
            tracing::info!(dataset_id = info.dataset_id, source = %info.source, loaded_at = %info.created_at, "store holds a dataset")
        }
        None => load_geodata(&store, config).await?,
    }
    if config.demo {
        load_demo_people_and_events(&store).await?;
    }
    state_from_store(store).await
}

/// First start: writes the deterministic demo roster and the county's 2023 events, unless the
/// store already holds people or events (a restart never loads them twice). The rules, roster
/// included, are loaded from the store afterwards.
pub async fn load_demo_people_and_events(store: &Store) -> Result<(), StartError> {
    crate::demo::load_if_empty(store).await?;
    Ok(())
}

/// Builds the index and the catalog from what the store holds.
pub async fn state_from_store(store: Store) -> Result<AppState, StartError> {
    let info = store.dataset().await?.ok_or(CatalogError::Empty)?;
    let townships = store.townships().await?;
    let villages = store.villages().await?;
    let grids = store.grids().await?;
    let catalog = Catalog::new(&info, &townships, &villages, grids)?;
    let index = GridIndex::build(catalog.shapes()).map_err(|source| StartError::Index { what: "the store", source })?;
    tracing::info!(grids = index.grids().len(), "grid index built");
    let rules = Rules::load(&store).await?;
    let intake = Intake::start(store.clone());
    Ok(AppState { store, index: SharedIndex::new(index), catalog: Arc::new(catalog), rules, intake, clock: Clock::System })
}

/// First run: reads, validates and indexes the files, then stores them in one transaction.
async fn load_geodata(store: &Store, config: &Config) -> Result<(), StartError> {
    let dir = config.geodata_dir.clone();
    tracing::info!(dir = %dir.display(), "empty store; loading the geodata files");
    let dataset = tokio::task::spawn_blocking(move || read_and_check(&dir)).await??;
    let info = store.load(&dataset).await?;
    tracing::info!(
        dataset_id = info.dataset_id,
        townships = dataset.townships.len(),
        villages = dataset.villages.len(),
        grids = dataset.grids.len(),
        "geodata loaded into the store"
    );
    Ok(())
}

/// Reads the files and makes sure an index can be built from them before anything is stored.
fn read_and_check(dir: &Path) -> Result<Dataset, StartError> {
    let dataset = geodata::read_dir(dir)?;
    let shapes = dataset.grids.iter().map(grid_shape).collect();
    GridIndex::build(shapes).map_err(|source| StartError::Index { what: "the geodata files", source })?;
    Ok(dataset)
}
