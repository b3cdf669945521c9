//! Command-line and environment configuration of the service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use crate::store::{StoreError, StoreTarget};

/// File name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "wangge.db";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A URL of an unknown kind.
    #[error("DATABASE_URL must start with sqlite:, postgres:// or postgresql://, got scheme {0:?}")]
    UnsupportedScheme(String),
    /// A malformed PostgreSQL URL.
    #[error("DATABASE_URL is not a valid PostgreSQL URL")]
    BadPostgresUrl(#[source] StoreError),
    /// A malformed SQLite URL.
    #[error("DATABASE_URL is not a valid SQLite URL")]
    BadSqliteUrl(#[source] sqlx::Error),
    /// The public URL is not an absolute http(s) URL.
    #[error("WANGGE_PUBLIC_URL must be an absolute http:// or https:// URL without query or fragment, got {0:?}")]
    PublicUrl(String),
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
}

/// wangge — grid-based social governance service (网格化社会治理).
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "wangge", version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "WANGGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for local state; the SQLite file `wangge.db` is created here on first run.
    #[arg(long, env = "WANGGE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL; defaults to SQLite in the data directory. A `postgres://` (or
    /// `postgresql://`) URL selects PostGIS, e.g. `postgres://wangge@127.0.0.1/wangge`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory holding townships.geojson, villages.geojson and grids.geojson, loaded into an
    /// empty store on first run.
    #[arg(long, env = "WANGGE_GEODATA_DIR", default_value = "geodata/huailai")]
    pub geodata_dir: PathBuf,

    /// Seconds between supervision runs (督办: overdue events escalated one tier up); 0 turns
    /// supervision off.
    #[arg(long, env = "WANGGE_SUPERVISE_EVERY_SECS", default_value_t = 60)]
    pub supervise_every_secs: u64,

    /// Days after an assessed period ends before it freezes by itself (late call-backs and
    /// closings still count until then); 0 never freezes automatically (the assessor freezes).
    #[arg(long, env = "WANGGE_FREEZE_AFTER_DAYS", default_value_t = 10)]
    pub freeze_after_days: u32,

    /// Load the demo roster and the county's 2023 events into a store that holds no people and
    /// no events yet (first start). Meant for the demo county in `geodata/huailai`; `--demo false`
    /// (or `WANGGE_DEMO=false`) starts with no people and no events.
    #[arg(long, env = "WANGGE_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Directory of the built map frontend (its `index.html`, wasm and assets), served at `/`;
    /// without an `index.html` there, a warning at start-up and `/` stays a 404.
    #[arg(long, env = "WANGGE_FRONTEND_DIR", default_value = "frontend/dist")]
    pub frontend_dir: Option<PathBuf>,

    /// The audit chain's HMAC key (32 bytes or more); created with a random key if missing.
    /// Default: `audit.key` in the data directory. Every instance sharing a database must use
    /// the same key, and it belongs apart from the database's backups.
    #[arg(long, env = "WANGGE_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,

    /// The registry's field keys (personal data sealed at rest, and the keyed hash of ID
    /// numbers); created with a random key if missing. Default: `registry.key` in the data
    /// directory. It belongs apart from the database and its backups; rotation: append a new
    /// `key` line (see docs/registry.md).
    #[arg(long, env = "WANGGE_REGISTRY_KEY_FILE")]
    pub registry_key_file: Option<PathBuf>,

    /// The collection period (信息动态采集率): a registry record counts as collected when it
    /// was created or re-verified within this many days.
    #[arg(long, env = "WANGGE_COLLECTION_PERIOD_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub collection_period_days: u32,

    /// Categories of which every closed event is called back (回访), comma-separated.
    #[arg(long, env = "WANGGE_CALLBACK_ALWAYS", default_value = "dispute,hazard", value_delimiter = ',',
          value_parser = clap::builder::PossibleValuesParser::new(["livelihood", "hazard", "dispute", "other"]))]
    pub callback_always: Vec<String>,

    /// The share (percent) of the other closed events called back, chosen by event id.
    #[arg(long, env = "WANGGE_CALLBACK_SHARE", default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub callback_share: u8,

    /// Residents in the demo county's registry when the demo is first loaded (default: the
    /// 2020 census's 348,746; fewer for quick trials).
    #[arg(long, env = "WANGGE_DEMO_RESIDENTS", default_value_t = wangge_geodata::demo::population::RESIDENTS)]
    pub demo_residents: usize,

    /// Mark the session cookie `Secure` (serve behind HTTPS; off for plain-HTTP local use).
    #[arg(long, env = "WANGGE_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// Reverse proxies whose `X-Forwarded-For` is believed, comma-separated addresses or CIDR
    /// ranges (e.g. `127.0.0.1,10.0.0.0/8`). Empty (the default): the connection's address is
    /// the client's, and the header is ignored.
    #[arg(long, env = "WANGGE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The URL clients reach the service at (e.g. `https://wangge.example.gov.cn`, or with a
    /// path prefix behind a proxy), used for the links in OGC API answers; the request's `Host`
    /// header never is. Default: `http://` and the listen address.
    #[arg(long, env = "WANGGE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The monitoring token: `GET /metrics` answers Prometheus with `Authorization: Bearer`
    /// and this token (at least 24 characters); unset, there is no metrics route.
    #[arg(long, env = "WANGGE_METRICS_TOKEN", hide_env_values = true, value_parser = metrics_token)]
    pub metrics_token: Option<String>,

    /// How log lines are written: `text` (for people) or `json` (one object per line, for log
    /// collectors; every line of a request carries its `request_id`).
    #[arg(long, env = "WANGGE_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Seconds a request waits for a database connection before it is answered 503 with
    /// `Retry-After` (the database is away or every connection busy).
    #[arg(long, env = "WANGGE_POOL_WAIT_SECS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub pool_wait_secs: u64,

    /// Seconds PostgreSQL may spend on one statement (`statement_timeout`); 0: no limit.
    #[arg(long, env = "WANGGE_STATEMENT_TIMEOUT_SECS", default_value_t = 60)]
    pub statement_timeout_secs: u64,

    /// Seconds within which every request is answered: one still running then is answered 503
    /// with `Retry-After` (a change already under way still completes, with its audit row).
    #[arg(long, env = "WANGGE_REQUEST_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_secs: u64,

    /// Requests served at once; more are answered 503 with `Retry-After` at once rather than
    /// queued (memory and latency stay bounded under overload).
    #[arg(long, env = "WANGGE_MAX_IN_FLIGHT", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_in_flight: u64,

    /// Live-queue subscribers (server-sent events) at once; more are answered 503.
    #[arg(long, env = "WANGGE_MAX_SUBSCRIBERS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_subscribers: u64,

    /// Heavy reads computed at once (figures, heatmaps, assessment tables and reports, each of
    /// which holds a period's events in memory); more wait up to 10 s, then 503. Default: twice
    /// the cores.
    #[arg(long, env = "WANGGE_MAX_HEAVY", default_value_t = default_heavy(), value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_heavy: u64,

    /// Seconds a SIGTERM (or Ctrl-C) waits for the requests in flight before the process exits
    /// anyway; new connections are refused from the signal on.
    #[arg(long, env = "WANGGE_DRAIN_SECS", default_value_t = 30)]
    pub drain_secs: u64,

    /// An administrative command on the store instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Administration on the store: accounts, grids and the registry (a real deployment's
    /// first administrators start here). No server is needed, and it is safe beside a running
    /// one; every change is written to the audit log as the console's.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Copies an SQLite deployment while it serves (the database as one consistent snapshot,
    /// the audit anchor, the photos, a manifest) into a new directory. The key files are not
    /// copied: keep them apart. PostgreSQL: pg_basebackup and WAL archiving (docs/operations.md).
    Backup {
        /// The new (or empty) directory to write.
        #[arg(long)]
        to: PathBuf,
    },
    /// Checks the configuration (directories, key files, the listen port, URLs, the database
    /// URL's form) without connecting anywhere; prints each check, never a secret, and exits
    /// non-zero if one failed.
    CheckConfig,
    /// Checks the database: it answers, its migrations are this build's, its integrity (SQLite)
    /// or PostGIS, the audit chain, the grids and the accounts; prints a table and exits
    /// non-zero if a check failed. It changes nothing.
    CheckDb,
}

/// `wangge admin …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminCommand {
    /// Creates one of the three administrators (system_admin, security_admin, audit_admin)
    /// over the county with a one-time password, printed once and changed at the first login.
    Bootstrap {
        /// Log-in name.
        #[arg(long)]
        username: String,
        /// `system_admin`, `security_admin` or `audit_admin`.
        #[arg(long)]
        role: String,
        /// Shown name (default: the log-in name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Sets a one-time password for a person's account (printed once, changed at the next
    /// login), lifts its lock and ends its sessions.
    ResetPassword {
        /// Log-in name.
        #[arg(long)]
        username: String,
    },
    /// Creates a person's account holding a role over a jurisdiction, with a one-time password
    /// (printed once, changed at the first login).
    CreateAccount {
        /// Log-in name (letters, digits, '-', '_', '.').
        #[arg(long)]
        username: String,
        /// Shown name.
        #[arg(long)]
        display_name: String,
        /// The role: county_leader, dispatcher, planner, gridworker, department_handler,
        /// system_admin, security_admin, audit_admin, special_group_officer or assessor.
        #[arg(long)]
        role: String,
        /// Where it applies: `county`, a 9-digit township code or a 12-digit village code.
        #[arg(long)]
        scope: String,
        /// The roster's person id (a gridworker) or a department code (a department handler).
        #[arg(long, default_value = "")]
        acting_as: String,
    },
    /// Gives an account a role over a jurisdiction (replacing the grant it holds).
    Grant {
        /// Log-in name.
        #[arg(long)]
        username: String,
        /// The role (see create-account).
        #[arg(long)]
        role: String,
        /// Where it applies: `county`, a 9-digit township code or a 12-digit village code.
        #[arg(long)]
        scope: String,
        /// The roster's person id (a gridworker) or a department code (a department handler).
        #[arg(long, default_value = "")]
        acting_as: String,
    },
    /// Disables an account (its sessions end at once), or enables it again with `--enable`.
    Disable {
        /// Log-in name.
        #[arg(long)]
        username: String,
        /// Enable it instead.
        #[arg(long)]
        enable: bool,
    },
    /// Lists the accounts as a table (no password hashes, no secrets).
    ListAccounts,
    /// Writes the current boundaries to a file: GeoJSON, GeoPackage or a zipped Shapefile.
    ExportGrids {
        /// The file to write (replaced if it exists).
        #[arg(long)]
        to: PathBuf,
        /// `geojson`, `gpkg` or `shp.zip` (default: from the file's name).
        #[arg(long)]
        format: Option<String>,
        /// `grids`, `villages` or `townships`.
        #[arg(long, default_value = "grids")]
        collection: String,
        /// The grids as they were in this boundary generation (0: as loaded).
        #[arg(long)]
        generation: Option<i64>,
    },
    /// Reads a boundary file into a draft of an area and checks it as the planners' drafts
    /// are; with `--publish`, publishes it as the next generation (open events move, bindings
    /// follow). Refusals are printed with their reasons.
    ImportGrids {
        /// The file: GeoJSON, GeoPackage or a zipped Shapefile.
        #[arg(long)]
        from: PathBuf,
        /// `geojson`, `gpkg` or `shp.zip` (default: from the file's name).
        #[arg(long)]
        format: Option<String>,
        /// The file's coordinate system when it does not say: cgcs2000, wgs84, gcj02 or bd09.
        #[arg(long)]
        crs: Option<String>,
        /// The area it redraws: a village or township code, or the county's (default: the
        /// smallest area holding every grid of the file).
        #[arg(long)]
        area: Option<String>,
        /// Publish it if the check finds no error.
        #[arg(long, requires = "note")]
        publish: bool,
        /// Why the boundaries change (required to publish).
        #[arg(long)]
        note: Option<String>,
    },
    /// Writes a kind of registry record to a spreadsheet (.xlsx or .csv; personal data masked).
    ExportRegistry {
        /// houses, households, people, organisations or places.
        #[arg(long)]
        kind: String,
        /// The file to write, ending in .xlsx or .csv (replaced if it exists).
        #[arg(long)]
        to: PathBuf,
        /// Only this township's records (9 digits); an export holds at most 200,000.
        #[arg(long)]
        township: Option<String>,
    },
    /// Imports a spreadsheet (.xlsx or .csv) of one kind of registry record: every row checked,
    /// and nothing stored unless every row is good (the problems are printed by row).
    ImportRegistry {
        /// houses, households, people, organisations or places.
        #[arg(long)]
        kind: String,
        /// The spreadsheet, ending in .xlsx or .csv.
        #[arg(long)]
        from: PathBuf,
    },
}

/// How much the server takes on at once, and how long a request may take: beyond these a
/// request is answered 503 with `Retry-After` instead of waiting without bound.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// Every request is answered within this.
    pub request_timeout: std::time::Duration,
    /// Permits for the requests being served.
    pub in_flight: std::sync::Arc<tokio::sync::Semaphore>,
    /// How many permits there are.
    pub max_in_flight: usize,
    /// Live-queue subscribers at once.
    pub max_subscribers: usize,
    /// Turns for heavy reads (figures, heatmaps, assessment tables, reports).
    pub heavy: std::sync::Arc<tokio::sync::Semaphore>,
    /// How many turns there are.
    pub max_heavy: usize,
}

impl ServeLimits {
    /// Limits of `max_in_flight` requests at once, each answered within `request_timeout`.
    pub fn new(request_timeout: std::time::Duration, max_in_flight: usize, max_subscribers: usize, max_heavy: usize) -> Self {
        let max_in_flight = max_in_flight.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        let max_heavy = max_heavy.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        Self {
            request_timeout,
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(max_in_flight)),
            max_in_flight,
            max_subscribers,
            heavy: std::sync::Arc::new(tokio::sync::Semaphore::new(max_heavy)),
            max_heavy,
        }
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Config::with_dirs("", "").serve_limits()
    }
}

/// A monitoring token long enough not to be guessed.
fn metrics_token(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.len() >= 24 && t.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(t.to_owned())
    } else {
        Err("the metrics token must be at least 24 printable characters without spaces".into())
    }
}

/// Twice the cores this process may use.
fn default_heavy() -> u64 {
    std::thread::available_parallelism().map_or(4, |n| 2 * n.get() as u64)
}

/// An address (a one-address range) or a CIDR range.
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<std::net::IpAddr>() {
        return Ok(ipnet::IpNet::from(ip));
    }
    s.parse::<ipnet::IpNet>().map_err(|e| format!("{s:?} is neither an address nor a CIDR range: {e}"))
}

impl Config {
    /// A configuration with defaults except for the two directories, and without the demo
    /// (tests and tools start with no people and no events; they set `demo` to want it), and
    /// without the frontend (they set `frontend_dir` to want it).
    pub fn with_dirs(data_dir: impl Into<PathBuf>, geodata_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            geodata_dir: geodata_dir.into(),
            supervise_every_secs: 60,
            freeze_after_days: 10,
            demo: false,
            frontend_dir: None,
            audit_key_file: None,
            registry_key_file: None,
            collection_period_days: 90,
            callback_always: vec!["dispute".into(), "hazard".into()],
            callback_share: 20,
            demo_residents: 5_000,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            command: None,
            public_url: None,
            log_format: "text".into(),
            metrics_token: None,
            pool_wait_secs: 3,
            statement_timeout_secs: 60,
            request_timeout_secs: 60,
            max_in_flight: 1024,
            max_subscribers: 2000,
            max_heavy: default_heavy(),
            drain_secs: 30,
        }
    }

    /// The store's waits for connections and statements.
    pub fn store_limits(&self) -> crate::store::Limits {
        let statement = self.statement_timeout_secs;
        crate::store::Limits {
            pool_wait: std::time::Duration::from_secs(self.pool_wait_secs),
            statement_timeout: (statement > 0).then(|| std::time::Duration::from_secs(statement)),
        }
    }

    /// How much the server takes on at once, and how long a request may take.
    pub fn serve_limits(&self) -> ServeLimits {
        ServeLimits::new(
            std::time::Duration::from_secs(self.request_timeout_secs),
            usize::try_from(self.max_in_flight).unwrap_or(usize::MAX),
            usize::try_from(self.max_subscribers).unwrap_or(usize::MAX),
            usize::try_from(self.max_heavy).unwrap_or(usize::MAX),
        )
    }

    /// The public URL without a trailing `/`: the configured one, or `http://` and the listen
    /// address.
    pub fn public_url(&self) -> Result<String, ConfigError> {
        let Some(url) = self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(format!("http://{}", self.listen));
        };
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        let host = rest.map(|r| r.split('/').next().unwrap_or_default());
        let plain = !url.contains(['?', '#', ' ', '"', '<', '>', '\\']);
        match host {
            Some(h) if !h.is_empty() && plain => Ok(url.trim_end_matches('/').to_owned()),
            _ => Err(ConfigError::PublicUrl(url.to_owned())),
        }
    }

    /// The audit key file in use.
    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file.clone().unwrap_or_else(|| self.data_dir.join("audit.key"))
    }

    /// The registry key file in use.
    pub fn registry_key_path(&self) -> PathBuf {
        self.registry_key_file.clone().unwrap_or_else(|| self.data_dir.join("registry.key"))
    }

    /// The audit chain's anchor file (the newest sealed head, signed): beside the key file.
    pub fn audit_anchor_path(&self) -> PathBuf {
        self.audit_key_path().with_extension("anchor")
    }

    /// Which database to open, creating the data directory when the default SQLite file is used.
    pub fn store_target(&self) -> Result<StoreTarget, ConfigError> {
        let Some(url) = self.database_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            std::fs::create_dir_all(&self.data_dir)
                .map_err(|source| ConfigError::DataDir { path: self.data_dir.clone(), source })?;
            return Ok(StoreTarget::sqlite_file(self.data_dir.join(SQLITE_FILE)));
        };
        let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => StoreTarget::postgres_url(url).map_err(ConfigError::BadPostgresUrl),
            "sqlite" => SqliteConnectOptions::from_str(url).map(StoreTarget::Sqlite).map_err(ConfigError::BadSqliteUrl),
            _ => Err(ConfigError::UnsupportedScheme(scheme)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> Config {
        Config { database_url: Some(url.into()), ..Config::with_dirs("data", "geodata") }
    }

    #[test]
    fn accepts_postgres_urls_of_both_schemes() {
        for url in ["postgres://wangge@localhost:5433/wangge", "postgresql://wangge@localhost:5433/wangge"] {
            match with_url(url).store_target() {
                Ok(StoreTarget::Postgres(o)) => {
                    assert_eq!((o.get_host(), o.get_port(), o.get_database()), ("localhost", 5433, Some("wangge")), "{url}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        let bad = with_url("postgres://wangge@localhost:notaport/wangge").store_target();
        assert!(matches!(bad, Err(ConfigError::BadPostgresUrl(_))), "{bad:?}");
    }

    #[test]
    fn accepts_sqlite_urls_and_refuses_other_schemes() {
        assert!(matches!(with_url("sqlite://elsewhere.db").store_target(), Ok(StoreTarget::Sqlite(_))));
        assert!(matches!(with_url("mysql://x").store_target(), Err(ConfigError::UnsupportedScheme(s)) if s == "mysql"));
    }

    #[test]
    fn the_public_url_defaults_to_the_listen_address_and_must_be_absolute() {
        let mut c = Config::with_dirs("data", "geodata");
        assert_eq!(c.public_url().ok().as_deref(), Some("http://127.0.0.1:8080"));
        c.public_url = Some("https://wangge.example.org/gis/".into());
        assert_eq!(c.public_url().ok().as_deref(), Some("https://wangge.example.org/gis"));
        for bad in ["wangge.example.org", "ftp://x", "https://", "https://x/?a=1", "http://x/#f"] {
            c.public_url = Some(bad.into());
            assert!(matches!(c.public_url(), Err(ConfigError::PublicUrl(_))), "{bad}");
        }
    }

    #[test]
    fn parses_flags() {
        use clap::Parser;
        let c = Config::try_parse_from(["wangge", "--listen", "0.0.0.0:9000", "--data-dir", "/tmp/w"]);
        let c = c.map_err(|e| e.to_string());
        assert_eq!(c.as_ref().map(|c| c.listen.port()), Ok(9000));
        assert_eq!(c.as_ref().map(|c| c.demo), Ok(true));
        assert_eq!(c.as_ref().map(|c| c.frontend_dir.clone()), Ok(Some(PathBuf::from("frontend/dist"))));
        assert_eq!(c.map(|c| c.data_dir), Ok(PathBuf::from("/tmp/w")));
        let off = Config::try_parse_from(["wangge", "--demo", "false"]).map(|c| c.demo).map_err(|e| e.to_string());
        assert_eq!(off, Ok(false));
    }
}
