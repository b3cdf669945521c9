//! The state every request shares, and how it is assembled at start-up.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use wangge_core::access::AuditKey;
use wangge_core::event::Holder;
use wangge_core::{GridIndex, IndexError, SharedIndex};

use crate::auth::{ensure_demo_accounts, Auditor, Auth, DemoAccount};
use crate::catalog::{grid_shape, Catalog, CatalogError, SharedCatalog};
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::dataset::Dataset;
use crate::event::EventRecord;
use crate::geodata::{self, GeodataError};
use crate::intake::Intake;
use crate::map::{MapError, MapLayers, SharedMapLayers};
use crate::rules::{Rules, RulesError};
use crate::demo::DEMO_FACT;
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
    /// The map layers could not be built.
    #[error(transparent)]
    Map(#[from] MapError),
    /// The accounts could not be set up.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The audit trail cannot be written.
    #[error(transparent)]
    Audit(#[from] crate::auth::AuditorError),
    /// A bug in a worker thread.
    #[error("{0}")]
    Internal(String),
    /// The blocking loader task died.
    #[error("the geodata loader task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// What handlers share: the store, the grid index and the in-memory catalog and map layers
/// built with it, the rules in memory, the intake writer, the feed of changed events, the clock
/// and where the frontend is.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Durable storage.
    pub store: Store,
    /// Point → grid lookups; swappable while serving.
    pub index: SharedIndex,
    /// Grid features and the division tree, served from memory; swapped with the index.
    pub catalog: SharedCatalog,
    /// The map's boundary layers and search places; swapped with the catalog.
    pub map: SharedMapLayers,
    /// Roster, working calendar and routing table, swapped whole on change.
    pub rules: Rules,
    /// The single writer of new reports (group commit).
    pub intake: Intake,
    /// Events created or changed by this process, for the live queue.
    pub changes: Changes,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Accounts, sessions and tokens.
    pub auth: Auth,
    /// The single writer of the audit chain.
    pub auditor: Auditor,
    /// Whether the session cookie is marked `Secure`.
    pub secure_cookies: bool,
    /// The demo accounts created or found at start (empty without the demo).
    pub demo_accounts: Vec<DemoAccount>,
    /// The built map frontend served at `/`, if there is one.
    pub frontend_dir: Option<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: std::sync::Arc<[ipnet::IpNet]>,
    /// The URL clients reach the service at, without a trailing `/` (links in OGC API answers).
    pub public_url: String,
}

/// Events kept for slow subscribers of the live queue before they are told to reload.
pub const CHANGES_BUFFERED: usize = 1024;

/// Whether an event is new or moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Reported and committed just now.
    Created,
    /// A transition or supervision committed.
    Changed,
}

/// One event created or changed, as committed.
#[derive(Debug, Clone)]
pub struct EventChange {
    /// New or changed.
    pub kind: ChangeKind,
    /// The event after the change.
    pub event: Arc<EventRecord>,
    /// Who held it before the change (so that a queue it left hears of it).
    pub was: Option<Holder>,
}

/// The feed of events created or changed by this process (after their commit); the live queue
/// subscribes to it.
#[derive(Debug, Clone)]
pub struct Changes(broadcast::Sender<EventChange>);

impl Default for Changes {
    fn default() -> Self {
        Self(broadcast::channel(CHANGES_BUFFERED).0)
    }
}

impl Changes {
    /// Announces a committed change to the current subscribers (none: nothing is kept).
    pub fn publish(&self, kind: ChangeKind, event: &EventRecord, was: Option<&Holder>) {
        if self.0.receiver_count() > 0 {
            // Sending fails only when nobody listens any more.
            let _ = self.0.send(EventChange { kind, event: Arc::new(event.clone()), was: was.cloned() });
        }
    }

    /// A receiver of the changes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EventChange> {
        self.0.subscribe()
    }
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
    let key = Auditor::load_or_create_key(&config.audit_key_path())?;
    let anchor = crate::auth::Anchor::new(&config.audit_anchor_path());
    let mut state = state_from_store(store, key, Some(anchor)).await?;
    state.frontend_dir = frontend_dir(config);
    state.secure_cookies = config.secure_cookies;
    state.trusted_proxies = config.trusted_proxies.clone().into();
    state.public_url = config.public_url()?;
    // Demo accounts with the published password exist only in a store the demo was loaded
    // into, never beside real people.
    if config.demo && state.store.store_fact(DEMO_FACT).await?.is_some() {
        let rules = &state.rules;
        state.demo_accounts =
            ensure_demo_accounts(&state.store, &rules.roster(), &rules.routing(), state.clock.now()).await?;
    }
    Ok(state)
}

/// The configured frontend directory if it holds a build; a warning if not.
fn frontend_dir(config: &Config) -> Option<PathBuf> {
    let dir = config.frontend_dir.clone()?;
    if dir.join("index.html").is_file() {
        tracing::info!(dir = %dir.display(), "serving the map frontend at /");
        Some(dir)
    } else {
        tracing::warn!(dir = %dir.display(), "no frontend build (index.html) here; / is not served (build it with scripts/frontend.sh or set --frontend-dir)");
        None
    }
}

/// First start: writes the deterministic demo roster and the county's 2023 events, unless the
/// store already holds people or events (a restart never loads them twice). The rules, roster
/// included, are loaded from the store afterwards.
pub async fn load_demo_people_and_events(store: &Store) -> Result<(), StartError> {
    crate::demo::load_if_empty(store).await?;
    Ok(())
}

/// Builds the index and the catalog from what the store holds; the audit chain is sealed
/// with `audit_key`.
pub async fn state_from_store(
    store: Store,
    audit_key: AuditKey,
    anchor: Option<crate::auth::Anchor>,
) -> Result<AppState, StartError> {
    let (catalog, index, map) = read_grids(&store).await?;
    tracing::info!(grids = index.grids().len(), "grid index built");
    let rules = Rules::load(&store).await?;
    let changes = Changes::default();
    let intake = Intake::start(store.clone(), changes.clone());
    let auth = Auth::new(store.clone()).await?;
    let auditor = Auditor::start(store.clone(), audit_key, anchor);
    Ok(AppState {
        store,
        index: SharedIndex::new(index),
        catalog: SharedCatalog::new(catalog),
        map: SharedMapLayers::new(map),
        rules,
        intake,
        changes,
        clock: Clock::System,
        auth,
        auditor,
        secure_cookies: false,
        demo_accounts: Vec::new(),
        frontend_dir: None,
        trusted_proxies: std::sync::Arc::from(Vec::new()),
        public_url: Config::with_dirs("", "").public_url()?,
    })
}

/// Reads the divisions and grids from the store and builds the catalog, the index and the map
/// layers.
async fn read_grids(store: &Store) -> Result<(Catalog, GridIndex, MapLayers), StartError> {
    let info = store.dataset().await?.ok_or(CatalogError::Empty)?;
    let townships = store.townships().await?;
    let villages = store.villages().await?;
    let grids = store.grids().await?;
    tokio::task::spawn_blocking(move || {
        let map = MapLayers::new(&townships, &villages, &grids)?;
        let catalog = Catalog::new(&info, townships, villages, grids)?;
        let index =
            GridIndex::build(catalog.shapes()).map_err(|source| StartError::Index { what: "the store", source })?;
        Ok((catalog, index, map))
    })
    .await?
}

/// Rebuilds the catalog and the index from the store and swaps them in; lookups keep being
/// answered from the old ones meanwhile. On failure (say, a grid made invalid by an edit in
/// desktop GIS) the service keeps serving the grids it has.
pub async fn reload_grids(state: &AppState) -> Result<usize, StartError> {
    let (catalog, index, map) = read_grids(&state.store).await?;
    let count = index.grids().len();
    state.catalog.swap(catalog);
    state.index.swap(index);
    state.map.swap(map);
    Ok(count)
}

/// Swaps in grids already in memory (just published) with their index: the catalog and the
/// map layers are rebuilt from them (in parallel), then all three are swapped together;
/// lookups keep being answered from the old ones meanwhile.
pub async fn swap_grids(state: &AppState, grids: Vec<crate::dataset::Grid>, index: GridIndex) -> Result<(), StartError> {
    let info = state.store.dataset().await?.ok_or(CatalogError::Empty)?;
    let old = state.catalog.load();
    let (townships, villages) = (old.townships().to_vec(), old.villages().to_vec());
    let (catalog, map) = tokio::task::spawn_blocking(move || {
        std::thread::scope(|s| {
            let map = s.spawn(|| MapLayers::new(&townships, &villages, &grids));
            let catalog = Catalog::new(&info, townships.clone(), villages.clone(), grids.clone());
            let map = map.join().map_err(|_| StartError::Internal("the map layer builder panicked".into()))?;
            Ok::<_, StartError>((catalog?, map?))
        })
    })
    .await??;
    state.catalog.swap(catalog);
    state.index.swap(index);
    state.map.swap(map);
    Ok(())
}

/// How long the watcher waits for more notifications before reloading once for all of them
/// (a desktop GIS saving many features sends many).
const SETTLE: Duration = Duration::from_millis(100);

/// Follows changes to the grids made by other instances or directly in the database (PostGIS:
/// `LISTEN wangge_grids`, sent by triggers on the grid and division tables) and reloads them.
/// Returns `false` when the backend has no notifications (SQLite: this process is the only
/// writer).
pub async fn spawn_grid_watch(state: AppState) -> Result<bool, StartError> {
    let Some(mut changes) = state.store.listen_grid_changes().await? else {
        return Ok(false);
    };
    tokio::spawn(async move {
        loop {
            if let Err(e) = changes.next().await {
                // Changes made meanwhile may have been missed: reload after the pause anyway.
                tracing::warn!(error = %crate::error::error_chain(&e), "grid change notifications failed; reloading");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            // Coalesce a burst of notifications into one reload.
            while let Ok(Ok(())) = tokio::time::timeout(SETTLE, changes.next()).await {}
            match reload_grids(&state).await {
                Ok(grids) => tracing::info!(grids, "grids changed in the database; index and catalog reloaded"),
                Err(e) => tracing::error!(
                    error = %crate::error::error_chain(&e),
                    "grids changed in the database but cannot be loaded; still serving the previous grids"
                ),
            }
        }
    });
    Ok(true)
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
