//! The grids being served: the index, the catalog and the map layers, built from the store and
//! swapped together while lookups go on (after a publication, or when another instance or a
//! desktop GIS changed the tables).

use std::sync::Arc;
use std::time::Duration;

use wangge_core::{GridIndex, IndexError, SharedIndex};

use crate::grids::catalog::{grid_shape, Catalog, CatalogError, SharedCatalog};
use crate::grids::map::{MapError, MapLayers, SharedMapLayers};
use crate::logging::error_chain;
use crate::progress::Progress;
use crate::records::Grid;
use crate::store::{Store, StoreError};

/// Why the grids could not be built or swapped in.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The grid index could not be built.
    #[error("cannot build the grid index from the store")]
    Index(#[source] IndexError),
    /// The in-memory catalog could not be built.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The map layers could not be built.
    #[error(transparent)]
    Map(#[from] MapError),
    /// A bug in a worker thread.
    #[error("{0}")]
    Internal(String),
    /// The blocking builder task died.
    #[error("the grid builder task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// The grids being served: the index, the catalog and the map layers, swapped together.
#[derive(Debug, Clone)]
pub struct LiveGrids {
    /// Point → grid lookups.
    pub index: SharedIndex,
    /// Grid features and the division tree.
    pub catalog: SharedCatalog,
    /// The map's boundary layers and search places.
    pub map: SharedMapLayers,
}

impl LiveGrids {
    /// Reads the grids from the store and builds all three.
    pub async fn load(store: &Store) -> Result<Self, LiveError> {
        let (catalog, index, map) = read_grids(store).await?;
        Ok(Self { index: SharedIndex::new(index), catalog: SharedCatalog::new(catalog), map: SharedMapLayers::new(map) })
    }
}

/// Reads the divisions and grids from the store and builds the catalog, the index and the map
/// layers.
async fn read_grids(store: &Store) -> Result<(Catalog, GridIndex, MapLayers), LiveError> {
    let info = store.dataset().await?.ok_or(CatalogError::Empty)?;
    let townships = store.townships().await?;
    let villages = store.villages().await?;
    let grids = store.grids().await?;
    let count = grids.len() as u64;
    let progress = Progress::new("grid index and map layers", None, "grids");
    let built = tokio::task::spawn_blocking(move || {
        let map = MapLayers::new(&townships, &villages, &grids)?;
        let catalog = Catalog::new(&info, townships, villages, grids)?;
        let index =
            GridIndex::build(catalog.shapes()).map_err(LiveError::Index)?;
        Ok((catalog, index, map))
    })
    .await?;
    progress.set(count);
    progress.finish();
    built
}

/// Rebuilds the catalog and the index from the store and swaps them in; lookups keep being
/// answered from the old ones meanwhile. On failure (say, a grid made invalid by an edit in
/// desktop GIS) the service keeps serving the grids it has.
pub async fn reload_grids(store: &Store, live: &LiveGrids) -> Result<usize, LiveError> {
    let started = std::time::Instant::now();
    let (catalog, index, map) = read_grids(store).await?;
    crate::metrics::METRICS.index_reloads.inc();
    crate::metrics::METRICS.index_reload_seconds.observe(started.elapsed().as_secs_f64());
    let count = index.grids().len();
    live.catalog.swap(catalog);
    live.index.swap(index);
    live.map.swap(map);
    Ok(count)
}

/// Grids already in memory (about to be published) made ready to serve: their catalog and map
/// layers built (in parallel), with their index. Built while the publication is written, then
/// swapped in by [`Prepared::install`] once it is committed.
pub struct Prepared {
    catalog: Catalog,
    index: GridIndex,
    map: MapLayers,
    took: std::time::Duration,
}

/// Builds the catalog, the map layers and (unless given) the index of `grids` side by side
/// (see [`Prepared`]). `baseline`, if any, is the validation of `grids` as a whole (kept with
/// the new catalog).
pub async fn prepare_swap(
    live: &LiveGrids,
    grids: Vec<Grid>,
    index: Option<GridIndex>,
    baseline: Option<wangge_core::draft::Baseline>,
) -> Result<Prepared, LiveError> {
    let started = std::time::Instant::now();
    let (old, old_map) = (live.catalog.load(), live.map.load());
    // The divisions do not change with the grids: their layers are kept, and each grid's
    // feature text where the grid is unchanged.
    let (catalog, index, map) = tokio::task::spawn_blocking(move || {
        std::thread::scope(|s| {
            let map = s.spawn(|| old_map.with_grids(&grids, |g| old.grid(&g.code).is_some_and(|o| o.grid == *g)));
            let index = index.ok_or_else(|| s.spawn(|| GridIndex::build(grids.iter().map(grid_shape).collect())));
            let catalog = old.with_grids(grids.clone());
            let map = map.join().map_err(|_| LiveError::Internal("the map layer builder panicked".into()))?;
            let index = match index {
                Ok(index) => index,
                Err(building) => building
                    .join()
                    .map_err(|_| LiveError::Internal("the grid index builder panicked".into()))?
                    .map_err(LiveError::Index)?,
            };
            Ok::<_, LiveError>((catalog?, index, map?))
        })
    })
    .await??;
    if let Some(baseline) = baseline {
        catalog.set_baseline(Some(Arc::new(baseline)));
    }
    Ok(Prepared { catalog, index, map, took: started.elapsed() })
}

/// The catalog, index and map layers a swap replaced: tens of megabytes, freed where the
/// caller decides (once the requests still holding them are done).
#[must_use = "the replaced grids are freed where they are dropped"]
pub struct Replaced {
    _catalog: Arc<Catalog>,
    _index: Arc<GridIndex>,
    _map: Arc<MapLayers>,
}

impl Prepared {
    /// Swaps the three in together; lookups keep being answered from the old ones until then.
    pub fn install(self, live: &LiveGrids) -> Replaced {
        let replaced = Replaced { _catalog: live.catalog.load(), _index: live.index.load(), _map: live.map.load() };
        live.catalog.swap(self.catalog);
        live.index.swap(self.index);
        live.map.swap(self.map);
        crate::metrics::METRICS.index_reloads.inc();
        crate::metrics::METRICS.index_reload_seconds.observe(self.took.as_secs_f64());
        replaced
    }
}

/// Drops `value` on a blocking thread, off the answer's path (a draft's JSON, replaced grids).
pub fn drop_aside<T: Send + 'static>(value: T) {
    drop(tokio::task::spawn_blocking(move || drop(value)));
}

/// How long the watcher waits for more notifications before reloading once for all of them
/// (a desktop GIS saving many features sends many).
const SETTLE: Duration = Duration::from_millis(100);

/// Follows changes to the grids made by other instances or directly in the database (PostGIS:
/// `LISTEN wangge_grids`, sent by triggers on the grid and division tables) and reloads them.
/// Returns `false` when the backend has no notifications (SQLite: this process is the only
/// writer).
pub async fn spawn_grid_watch(store: Store, live: LiveGrids) -> Result<bool, StoreError> {
    let Some(mut changes) = store.listen_grid_changes().await? else {
        return Ok(false);
    };
    tokio::spawn(async move {
        loop {
            if let Err(e) = changes.next().await {
                // Changes made meanwhile may have been missed: reload after the pause anyway.
                tracing::warn!(error = %error_chain(&e), "grid change notifications failed; reloading");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            // Coalesce a burst of notifications into one reload.
            while let Ok(Ok(())) = tokio::time::timeout(SETTLE, changes.next()).await {}
            match reload_grids(&store, &live).await {
                Ok(grids) => tracing::info!(grids, "grids changed in the database; index and catalog reloaded"),
                Err(e) => tracing::error!(
                    error = %error_chain(&e),
                    "grids changed in the database but cannot be loaded; still serving the previous grids"
                ),
            }
        }
    });
    Ok(true)
}

