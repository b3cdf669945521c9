//! The test harness shared by the store and HTTP suites: every test runs once per backend,
//! each run on its own throwaway database.
//!
//! [`backend_tests!`] turns each `async fn name() { .. }` into `name::sqlite` and
//! `name::postgis`, with [`backend()`] telling the body which one it is. [`Db::new`] makes the
//! database: a temp directory for SQLite, and for PostGIS a new database on the server named by
//! `WANGGE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`), created from
//! a template that already has the `postgis` extension and dropped when the [`Db`] is dropped.
//! No server is a failure, not a skip: the test command starts one.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod county;
pub mod key_order;
pub mod multipart;

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;
use wangge_server::{Config, Store, StoreTarget};

/// Which store a test run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: a file in a temp directory.
    Sqlite,
    /// PostgreSQL + PostGIS: a throwaway database.
    Postgis,
}

impl Backend {
    /// `"sqlite"` or `"postgis"`, for assertion messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgis => "postgis",
        }
    }
}

tokio::task_local! {
    static BACKEND: Backend;
}

/// The backend of the test being run (set by [`backend_tests!`]).
pub fn backend() -> Backend {
    BACKEND.try_with(|b| *b).expect("called outside backend_tests!")
}

/// Runs `body` as a test of `backend`.
pub async fn run_on<F: std::future::Future<Output = ()>>(backend: Backend, body: F) {
    BACKEND.scope(backend, body).await;
}

/// Each `async fn name() { body }` (with its own attributes, e.g. `#[tokio::test]`) becomes a
/// module `name` with the tests `sqlite` and `postgis`, running the same body.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$attr:meta])* async fn $name:ident() $body:block )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$attr])*
            async fn sqlite() {
                $crate::support::run_on($crate::support::Backend::Sqlite, async $body).await
            }
            $(#[$attr])*
            async fn postgis() {
                $crate::support::run_on($crate::support::Backend::Postgis, async $body).await
            }
        }
    )*};
}

/// The server the PostGIS runs create their databases on.
pub fn admin_url() -> String {
    std::env::var("WANGGE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A throwaway database of the current test's backend; dropping it removes it.
pub struct Db {
    backend: Backend,
    dir: TempDir,
    pg_name: Option<String>,
}

const TEMPLATE: &str = "wangge_template";

impl Db {
    /// A new, empty database of the current test's backend.
    pub async fn new() -> Self {
        Self::of(backend()).await
    }

    /// A new, empty database of `backend`.
    pub async fn of(backend: Backend) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let pg_name = match backend {
            Backend::Sqlite => None,
            Backend::Postgis => Some(create_database().await),
        };
        Self { backend, dir, pg_name }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The data directory (SQLite keeps its file here; PostGIS runs leave it empty).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `DATABASE_URL` of a PostGIS run, `None` for SQLite.
    pub fn database_url(&self) -> Option<String> {
        self.pg_name.as_ref().map(|name| database_url(name))
    }

    /// Runs `sql` on this database directly, as a database administrator would.
    pub async fn raw(&self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self.database_url() {
            Some(url) => PgConnection::connect(&url).await?.execute(sql).await.map(|_| ()),
            None => {
                let path = self.data_dir().join("wangge.db");
                let url = format!("sqlite://{}", path.display());
                sqlx::SqliteConnection::connect(&url).await?.execute(sql).await.map(|_| ())
            }
        }
    }

    /// The service configuration on this database, loading `geodata_dir` on first start.
    pub fn config(&self, geodata_dir: impl Into<PathBuf>) -> Config {
        Config { database_url: self.database_url(), ..Config::with_dirs(self.data_dir(), geodata_dir) }
    }

    /// Where the store is.
    pub fn target(&self) -> StoreTarget {
        match self.database_url() {
            Some(url) => StoreTarget::postgres_url(&url).expect("a valid PostgreSQL URL"),
            None => StoreTarget::sqlite_file(self.data_dir().join("test.db")),
        }
    }

    /// The store a `wangge` process started with this data directory serves (for SQLite,
    /// `wangge.db` there), opened from the test.
    pub async fn served_store(&self) -> Store {
        let target = match self.database_url() {
            Some(url) => StoreTarget::postgres_url(&url).expect("a valid PostgreSQL URL"),
            None => StoreTarget::sqlite_file(self.data_dir().join("wangge.db")),
        };
        Store::open(&target).await.unwrap_or_else(|e| panic!("{} store opens: {e:?}", self.backend.name()))
    }

    /// Opens the store (migrating it).
    pub async fn store(&self) -> Store {
        Store::open(&self.target()).await.unwrap_or_else(|e| panic!("{} store opens: {e:?}", self.backend.name()))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        // Drop may run inside the test's runtime: drop the database from a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&admin_url()).await?;
                admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: cannot drop a test database: {e}");
        }
    }
}

fn database_url(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// Creates a database from the PostGIS template (making the template on first use).
async fn create_database() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let url = admin_url();
    let mut admin = PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("no PostgreSQL server at {url} (WANGGE_TEST_POSTGRES): {e}; scripts/test.sh starts one")
    });
    ensure_template(&mut admin).await;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = format!("wangge_t_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))).await.expect("create test database");
    admin.close().await.ok();
    name
}

/// Makes `wangge_template` (a database with the `postgis` extension) if it is missing. Several
/// test processes may race here: an advisory lock lets one build it under a temporary name and
/// rename it, so nobody sees a half-made template.
async fn ensure_template(admin: &mut PgConnection) {
    let exists = || "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'wangge_template')";
    if sqlx::query_scalar::<_, bool>(exists()).fetch_one(&mut *admin).await.expect("query pg_database") {
        return;
    }
    admin.execute("SELECT pg_advisory_lock(7301)").await.expect("advisory lock");
    if !sqlx::query_scalar::<_, bool>(exists()).fetch_one(&mut *admin).await.expect("query pg_database") {
        let building = format!("wangge_template_{}", std::process::id());
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {building}"))).await.expect("drop leftover");
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}"))).await.expect("create template");
        let mut conn = PgConnection::connect(&database_url(&building)).await.expect("connect to the template");
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.unwrap_or_else(|e| {
            panic!("cannot create the postgis extension ({e}); install postgresql-15-postgis-3 (scripts/test.sh does)")
        });
        conn.close().await.ok();
        admin.execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {building} RENAME TO {TEMPLATE}"))).await.expect("rename");
    }
    admin.execute("SELECT pg_advisory_unlock(7301)").await.expect("advisory unlock");
}

/// A test account's record (`!` as the hash: no password logs in).
fn record(
    username: &str,
    role: &str,
    jurisdiction: &str,
    acting_as: &str,
    hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> wangge_server::store::AccountRecord {
    let name = format!("test {username}");
    wangge_server::store::AccountRecord::new(username, &name, Some((role, jurisdiction)), acting_as, hash, now)
}

/// The password of accounts made by [`account`].
pub const PASSWORD: &str = "Test-password-2026";

/// Creates an account holding `role` over `jurisdiction` (`county` or a code), acting as
/// `acting_as`, with [`PASSWORD`] (argon2id).
pub async fn account(state: &wangge_server::AppState, username: &str, role: &str, jurisdiction: &str, acting_as: &str) {
    let now = state.clock.now();
    let hash = wangge_server::access::hash_password(PASSWORD.to_owned()).await.expect("hash");
    let record = record(username, role, jurisdiction, acting_as, hash, now);
    assert!(state.store.insert_account(&record).await.expect("insert account"), "account {username} exists");
}

/// A device token (the phone app's bearer token) for a new account holding `role` over
/// `jurisdiction`.
pub async fn token(state: &wangge_server::AppState, username: &str, role: &str, jurisdiction: &str, acting_as: &str) -> String {
    let now = state.clock.now();
    let record = record(username, role, jurisdiction, acting_as, "!".into(), now);
    state.store.insert_account(&record).await.expect("insert account");
    let account = state.store.account(username).await.expect("read account").expect("account");
    let issued = state
        .auth
        .issue(&account, wangge_server::access::TokenKind::Device, "tests", now)
        .await
        .expect("issue token");
    issued.token
}

/// A service account holding `role` over `jurisdiction` and an API key of `scope` for it.
pub async fn service_key(store: &Store, username: &str, role: &str, jurisdiction: &str, scope: wangge_server::access::KeyScope) -> String {
    let now = chrono::Utc::now();
    let record = wangge_server::store::AccountRecord::service(username, &format!("test {username}"), now);
    store.insert_account(&record).await.expect("insert account");
    store.set_grant(username, Some(role), Some(jurisdiction), "").await.expect("grant");
    let auth = wangge_server::access::Auth::new(store.clone()).await.expect("auth");
    let account = store.account(username).await.expect("read account").expect("account");
    let request = wangge_server::access::ApiKeyRequest { scope, label: "tests".into(), expires_in_days: 30 };
    auth.issue_api_key(&account, &request, now).await.expect("issue").0.token
}

/// A county-wide dispatcher's token: every permission the API suites use.
pub async fn county_token(state: &wangge_server::AppState) -> String {
    token(state, "test-county", "dispatcher", "county", "").await
}

/// `app` with `Authorization: Bearer token` added to every request that carries none.
pub fn signed_in(app: axum::Router, token: &str) -> axum::Router {
    let value = axum::http::HeaderValue::from_str(&format!("Bearer {token}")).expect("token header");
    app.layer(axum::middleware::map_request(move |mut req: axum::http::Request<axum::body::Body>| {
        let value = value.clone();
        async move {
            req.headers_mut().entry(axum::http::header::AUTHORIZATION).or_insert(value);
            req
        }
    }))
}

/// The county dispatcher's router over `state`.
pub async fn county_app(state: &wangge_server::AppState) -> axum::Router {
    county_token(state).await;
    signed_in_as(wangge_server::app(state.clone()), state, "test-county")
}

/// The header naming the account a request of [`signed_in_as`] is made as (instead of its
/// default account).
pub const TEST_USER: &str = "x-test-user";

/// `app` signed in as `username` (or the account named by the [`TEST_USER`] header) on every
/// request that carries no `Authorization`: each request gets a new device token issued at the
/// state's clock, so that a test may move the clock on by days without its token idling out.
pub fn signed_in_as(app: axum::Router, state: &wangge_server::AppState, username: &str) -> axum::Router {
    let (state, username) = (state.clone(), username.to_owned());
    app.layer(axum::middleware::from_fn(move |mut req: axum::extract::Request, next: axum::middleware::Next| {
        let (state, username) = (state.clone(), username.clone());
        async move {
            if !req.headers().contains_key(axum::http::header::AUTHORIZATION) {
                let name = req.headers().get(TEST_USER).and_then(|v| v.to_str().ok()).map_or(username, str::to_owned);
                let account = state.store.account(&name).await.expect("read account").expect("account");
                let now = state.clock.now();
                let issued = state.auth.issue(&account, wangge_server::access::TokenKind::Device, "tests", now).await.expect("issue");
                let value = axum::http::HeaderValue::from_str(&format!("Bearer {}", issued.token)).expect("token header");
                req.headers_mut().insert(axum::http::header::AUTHORIZATION, value);
            }
            next.run(req).await
        }
    }))
}

/// A device token for a new account holding `role` over `jurisdiction`, made directly in
/// `store` (for tests that drive the `wangge` binary as a separate process).
pub async fn api_key(store: &Store, username: &str, role: &str, jurisdiction: &str) -> String {
    let now = chrono::Utc::now();
    let record = record(username, role, jurisdiction, "", "!".into(), now);
    store.insert_account(&record).await.expect("insert account");
    let auth = wangge_server::access::Auth::new(store.clone()).await.expect("auth");
    let account = store.account(username).await.expect("read account").expect("account");
    auth.issue(&account, wangge_server::access::TokenKind::Device, "tests", now).await.expect("issue").token
}
