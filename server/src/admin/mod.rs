//! The console's commands — `wangge admin …`, `wangge check-config`, `wangge check-db` — for a
//! deployment's first administrators and its operators. They act on the store directly (no
//! server needed, and safe beside a running one: SQLite in WAL mode, PostgreSQL), go through
//! the same domain functions as the HTTP API, and write the same audit rows, as the user
//! `(console)` from the source `console`: a `begun` row before every change, then its outcome.

mod accounts;
mod checks;
mod database;
mod grids;
mod registry;
mod table;

use std::path::{Path, PathBuf};

use chrono::Utc;
use wangge_core::access::{AuditKey, AuditOutcome, AuditRow, ChainHead};

use crate::access::{Anchor, Auditor, AuditorError, AuthError, FieldCryptError, FieldKeys};
use crate::config::{AdminCommand, Config, ConfigError};
use crate::records::{Page, RegistryFilter};
use crate::store::{Store, StoreError};

pub use checks::check_config;
pub use database::check_db;

/// The user the console's audit rows name.
pub const CONSOLE_USER: &str = "(console)";

/// The source the console's audit rows name.
pub const CONSOLE_SOURCE: &str = "console";

/// Why a console command failed (its message is what the operator reads).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit trail cannot be written.
    #[error(transparent)]
    Audit(#[from] AuditorError),
    /// An account operation failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A key file is missing while the database holds data sealed with it.
    #[error("{what} key file {} is missing, but the database holds {holds}: point the configuration at the deployment's key file (a new key would not open them)", path.display())]
    KeyMissing {
        /// `audit` or `registry`.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// What the database holds.
        holds: &'static str,
    },
    /// The registry key file cannot be read.
    #[error("registry key file {}", path.display())]
    RegistryKeys {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: FieldCryptError,
    },
    /// A file could not be read or written.
    #[error("{doing} {}", path.display())]
    File {
        /// What was being done.
        doing: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The command's input was refused (the reason, and the details printed before).
    #[error("{0}")]
    Refused(String),
    /// Checks failed (each printed before).
    #[error("{failed} check(s) failed")]
    ChecksFailed {
        /// How many.
        failed: usize,
    },
    /// A blocking task died (a bug).
    #[error("a worker task failed: {0}")]
    Task(String),
}

impl AdminError {
    fn file(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Self::File { doing, path, source }
    }
}

/// Runs one `wangge admin …` command on the store `config` names.
pub async fn run(config: &Config, command: &AdminCommand) -> Result<(), AdminError> {
    let console = Console::open(config).await?;
    let done = match command {
        AdminCommand::Bootstrap { .. }
        | AdminCommand::ResetPassword { .. }
        | AdminCommand::CreateAccount { .. }
        | AdminCommand::Grant { .. }
        | AdminCommand::Disable { .. }
        | AdminCommand::ListAccounts => accounts::run(&console, command).await,
        AdminCommand::ExportGrids { .. } | AdminCommand::ImportGrids { .. } => grids::run(&console, command).await,
        AdminCommand::ExportRegistry { .. } | AdminCommand::ImportRegistry { .. } => registry::run(&console, command).await,
    };
    console.close().await;
    done
}

/// What the console's commands work through: the store, the audit writer, the configuration.
pub struct Console {
    store: Store,
    auditor: Auditor,
    config: Config,
}

impl Console {
    /// Opens the store (applying pending migrations, as a start would) and the audit writer.
    async fn open(config: &Config) -> Result<Self, AdminError> {
        let store = Store::open_with(&config.store_target()?, config.store_limits()).await?;
        let key = audit_key(config, &store).await?;
        let anchor = Anchor::new(&config.audit_anchor_path());
        let auditor = Auditor::start(store.clone(), key, Some(anchor));
        Ok(Self { store, auditor, config: config.clone() })
    }

    /// Writes one of the console's audit rows.
    async fn audit(&self, action: &str, object: &str, outcome: AuditOutcome, detail: &str) -> Result<(), AdminError> {
        let row = AuditRow::new(Utc::now(), CONSOLE_USER, action, object, outcome).source(CONSOLE_SOURCE).detail(detail);
        self.auditor.write(row).await?;
        // A command's process ends soon after: its rows are anchored before it does.
        self.auditor.anchored().await;
        Ok(())
    }

    /// Runs the change `work` between its `begun` row (committed first: no row, no change)
    /// and its outcome row: `success` with the detail `work` answers, or `failure` with the
    /// reason.
    async fn change<T>(
        &self,
        action: &str,
        object: &str,
        work: impl std::future::Future<Output = Result<(T, String), AdminError>>,
    ) -> Result<T, AdminError> {
        self.audit(action, object, AuditOutcome::Begun, "").await?;
        match work.await {
            Ok((value, detail)) => {
                self.audit(action, object, AuditOutcome::Success, &detail).await?;
                Ok(value)
            }
            Err(e) => {
                let reason = crate::logging::error_chain(&e);
                if let Err(audit) = self.audit(action, object, AuditOutcome::Failure, &reason).await {
                    tracing::error!(error = %crate::logging::error_chain(&audit), "the failure's audit row was not written");
                }
                Err(e)
            }
        }
    }

    /// The registry's keys: the deployment's file. The console never makes one: records it
    /// sealed with a key of its own would not open on the servers. Without the file, a store
    /// holding no registry records gets keys that last as long as the command (`sealing`:
    /// false; publishing grids opens nothing then), and an import is refused.
    async fn registry_keys(&self, sealing: bool) -> Result<FieldKeys, AdminError> {
        let path = self.config.registry_key_path();
        if path.exists() {
            return FieldKeys::load_or_create(&path).map_err(|source| AdminError::RegistryKeys { path, source });
        }
        let one = Page { page: 1, per_page: 1 };
        if self.store.records(&RegistryFilter::default(), one).await?.total > 0 {
            return Err(AdminError::KeyMissing { what: "registry", path, holds: "registry records sealed with it" });
        }
        if sealing {
            return Err(AdminError::Refused(format!(
                "registry key file {} is missing: start the service once (it makes the key) or point --registry-key-file at the deployment's key",
                path.display()
            )));
        }
        let text = FieldKeys::new_file_text().map_err(|source| AdminError::RegistryKeys { path: path.clone(), source })?;
        FieldKeys::from_text(&text).map_err(|source| AdminError::RegistryKeys { path, source })
    }

    /// Waits for the audit rows and closes the store.
    async fn close(self) {
        drop(self.auditor);
        self.store.close().await;
    }
}

/// The audit key: the deployment's file, created only for a store without an audit trail yet
/// (a first administrator bootstrapped before the first start).
async fn audit_key(config: &Config, store: &Store) -> Result<AuditKey, AdminError> {
    let path = config.audit_key_path();
    if !path.exists() && !store.audit_chain(ChainHead::START.next_seq, 1).await?.is_empty() {
        return Err(AdminError::KeyMissing { what: "audit", path, holds: "an audit trail sealed with it" });
    }
    Ok(Auditor::load_or_create_key(&path)?)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, synced, then
/// renamed over it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), AdminError> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(AdminError::file("cannot write beside", path))?;
    file.write_all(bytes).map_err(AdminError::file("cannot write", path))?;
    file.as_file().sync_all().map_err(AdminError::file("cannot sync", path))?;
    file.persist(path).map_err(|e| AdminError::File { doing: "cannot write", path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

/// Reads a file of at most `max` bytes.
fn read_file(path: &Path, max: usize) -> Result<Vec<u8>, AdminError> {
    let size = std::fs::metadata(path).map_err(AdminError::file("cannot read", path))?.len();
    if size > max as u64 {
        return Err(AdminError::Refused(format!("{} has {size} bytes; at most {max} are read", path.display())));
    }
    std::fs::read(path).map_err(AdminError::file("cannot read", path))
}
