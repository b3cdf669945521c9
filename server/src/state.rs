//! The state every request shares, and how it is assembled at start-up.

use std::path::{Path, PathBuf};

use wangge_core::access::AuditKey;
use wangge_core::{GridIndex, IndexError};

use crate::access::{Auditor, Auth};
use crate::clock::Clock;
use crate::config::{Config, ConfigError, ServeLimits};
use crate::demo::{ensure_demo_accounts, DemoAccount, DEMO_FACT};
use crate::events::intake::Intake;
use crate::events::rules::{Rules, RulesError};
use crate::events::transitions::Desk;
use crate::events::Changes;
use crate::grids::catalog::{grid_shape, SharedCatalog};
use crate::grids::geodata::{self, GeodataError};
use crate::grids::live::{LiveError, LiveGrids};
use crate::grids::map::SharedMapLayers;
use crate::records::Dataset;
use crate::store::{Store, StoreError};
use wangge_core::SharedIndex;

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
    /// The grids could not be built from the store.
    #[error(transparent)]
    Grids(#[from] LiveError),
    /// The roster, calendar or routing table could not be loaded.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// The demo roster and year could not be loaded.
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoLoadError),
    /// The accounts could not be set up.
    #[error(transparent)]
    Auth(#[from] crate::access::AuthError),
    /// The audit trail cannot be written.
    #[error(transparent)]
    Audit(#[from] crate::access::AuditorError),
    /// The registry key file cannot be read or made.
    #[error("registry key file {}", path.display())]
    RegistryKeys {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::access::FieldCryptError,
    },
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
    /// The events held in memory for the figures, the heatmap and the choropleth.
    pub cube: crate::events::cube::live::LiveCube,
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
    /// The registry's field keys (sealing personal data, the keyed hash of ID numbers).
    pub registry_keys: std::sync::Arc<crate::access::FieldKeys>,
    /// Days within which a registry record counts as collected.
    pub collection_period_days: u32,
    /// Which closed events are called back.
    pub callback_rule: wangge_core::dispute::SamplingRule,
    /// Spreadsheet imports in progress.
    pub imports: crate::registry::imports::Imports,
    /// How much is served at once, and how long a request may take.
    pub limits: ServeLimits,
    /// The monitoring token `GET /metrics` needs (none: no metrics route).
    pub metrics_token: Option<std::sync::Arc<str>>,
}


impl AppState {
    /// The grids being served (shared handles: a swap through them is seen by every request).
    pub fn live_grids(&self) -> LiveGrids {
        LiveGrids { index: self.index.clone(), catalog: self.catalog.clone(), map: self.map.clone() }
    }

    /// What supervision reads and writes through.
    pub fn supervisor(&self) -> crate::events::supervision::Supervisor {
        crate::events::supervision::Supervisor {
            store: self.store.clone(),
            rules: self.rules.clone(),
            changes: self.changes.clone(),
            catalog: self.catalog.clone(),
            auditor: self.auditor.clone(),
        }
    }

    /// What the assessment's measures read.
    pub fn assessment_sources(&self) -> crate::assessment::measures::Sources<'_> {
        crate::assessment::measures::Sources {
            store: &self.store,
            catalog: self.catalog.load(),
            index: self.index.load(),
            roster: self.rules.roster(),
            calendar: self.rules.calendar(),
            callback_rule: &self.callback_rule,
            now: self.clock.now(),
            collection_days: self.collection_period_days,
        }
    }

    /// Freezes, every `every`, the assessed periods ended more than `after_days` days ago
    /// (see [`crate::assessment::freeze_due`]), until the runtime stops.
    pub fn spawn_freezer(&self, after_days: u32, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = crate::assessment::freeze_due(&state.assessment_sources(), after_days).await {
                    tracing::error!(error = %crate::logging::error_chain(&e), "freezing the assessed periods failed");
                }
            }
        })
    }

    /// What the closed loop writes through: the store, the rules and the feed of changes.
    pub fn desk(&self) -> Desk<'_> {
        Desk { store: &self.store, rules: &self.rules, changes: &self.changes }
    }
}

/// Opens the store, loads the geodata files into it if it is empty, then builds the index and
/// the catalog from the store.
pub async fn state_from_config(config: &Config) -> Result<AppState, StartError> {
    let store = Store::open_with(&config.store_target()?, config.store_limits()).await?;
    match store.dataset().await? {
        Some(info) => {
            tracing::info!(dataset_id = info.dataset_id, source = %info.source, loaded_at = %info.created_at, "store holds a dataset")
        }
        None => load_geodata(&store, config).await?,
    }
    let registry_keys = crate::access::FieldKeys::load_or_create(&config.registry_key_path())
        .map_err(|e| StartError::RegistryKeys { path: config.registry_key_path(), source: e })?;
    if config.demo {
        load_demo_people_and_events(&store).await?;
    }
    let key = Auditor::load_or_create_key(&config.audit_key_path())?;
    let anchor = crate::access::Anchor::new(&config.audit_anchor_path());
    let mut state = state_from_store(store, key, Some(anchor)).await?;
    state.registry_keys = std::sync::Arc::new(registry_keys);
    state.collection_period_days = config.collection_period_days;
    state.callback_rule = wangge_core::dispute::SamplingRule {
        always: config.callback_always.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect(),
        share_percent: config.callback_share,
    };
    if config.demo {
        let inputs = crate::demo::PopulationInputs {
            index: state.index.load(),
            keys: state.registry_keys.clone(),
            roster: state.rules.roster(),
            now: state.clock.now(),
            residents: config.demo_residents,
        };
        crate::demo::load_population_if_empty(&state.store, inputs).await?;
        let inputs = crate::demo::disputes::DisputeInputs {
            store: &state.store,
            rules: &state.rules,
            keys: &state.registry_keys,
            rule: &state.callback_rule,
        };
        crate::demo::disputes::load_if_empty(inputs).await?;
        crate::demo::budget::load_if_empty(&state.store, state.clock.now()).await?;
    }
    state.frontend_dir = frontend_dir(config);
    state.limits = config.serve_limits();
    state.metrics_token = config.metrics_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(std::sync::Arc::from);
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
    // The figures' events are read in the background; until then the store answers.
    state.cube.warm(&state.store, &state.rules);
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
    anchor: Option<crate::access::Anchor>,
) -> Result<AppState, StartError> {
    let LiveGrids { index, catalog, map } = LiveGrids::load(&store).await?;
    tracing::info!(grids = index.load().grids().len(), "grid index built");
    let rules = Rules::load(&store).await?;
    let changes = Changes::default();
    let auth = Auth::new(store.clone()).await?;
    let auditor = Auditor::start(store.clone(), audit_key, anchor);
    let intake = Intake::start(store.clone(), auditor.clone(), changes.clone());
    Ok(AppState {
        store,
        index,
        catalog,
        map,
        rules,
        intake,
        changes,
        cube: Default::default(),
        clock: Clock::System,
        auth,
        auditor,
        secure_cookies: false,
        demo_accounts: Vec::new(),
        frontend_dir: None,
        trusted_proxies: std::sync::Arc::from(Vec::new()),
        public_url: Config::with_dirs("", "").public_url()?,
        registry_keys: std::sync::Arc::new(ephemeral_keys()?),
        collection_period_days: 90,
        callback_rule: wangge_core::dispute::SamplingRule { always: vec!["dispute".into(), "hazard".into()], share_percent: 20 },
        imports: Default::default(),
        limits: ServeLimits::default(),
        metrics_token: None,
    })
}


/// Registry keys that live as long as the process (tools and tests that build a state from a
/// store; the service loads its key file instead).
fn ephemeral_keys() -> Result<crate::access::FieldKeys, StartError> {
    let text = crate::access::FieldKeys::new_file_text()
        .map_err(|e| StartError::RegistryKeys { path: PathBuf::from("(in memory)"), source: e })?;
    crate::access::FieldKeys::from_text(&text).map_err(|e| StartError::RegistryKeys { path: PathBuf::from("(in memory)"), source: e })
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

/// A publication reloads the roster (its bindings changed) and puts the moved events on the
/// live feed.
impl crate::grids::publish::Followers for AppState {
    type Roster = crate::events::rules::RosterRead;

    async fn read_roster(&self) -> Result<Self::Roster, StoreError> {
        self.rules.read_roster(&self.store).await
    }

    fn install_roster(&self, roster: Self::Roster) {
        self.rules.install_roster(roster);
    }

    fn event_moved(&self, event: &crate::records::EventRecord) {
        self.changes.publish(crate::events::ChangeKind::Changed, event, None);
    }
}
