//! The fault harness's tools: the real `wangge` binary as a child process (started, SIGKILLed,
//! SIGTERMed, restarted on the same port), a plain HTTP/1.1 client over hyper (one connection
//! per request, like phones on the move), a private PostgreSQL cluster that can be crashed, and
//! a small filesystem that can be filled.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

// The same pure body builder as `support::multipart`, for test binaries that load only this
// harness (the ones that load both get it twice, harmlessly).
#[allow(clippy::duplicate_mod)]
#[path = "../support/multipart.rs"]
mod multipart;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{json, Value};
use sha2::Digest;
use sqlx::{Connection, Executor};

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "Wangge-demo-2026";

/// A whole number from the environment, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// SHA-256 of a text, in hex.
pub fn digest(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A small xorshift generator: random moments that a run prints, so a failure can be replayed
/// (`WANGGE_FAULT_SEED`).
pub struct Rng(u64);

impl Rng {
    /// Seeded from `WANGGE_FAULT_SEED`, else from the clock; the seed is printed.
    pub fn seeded(label: &str) -> Self {
        let seed = std::env::var("WANGGE_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        });
        println!("{label}: seed {seed} (WANGGE_FAULT_SEED)");
        Self(seed | 1)
    }

    /// Seeded with `seed`, without printing (one client's spread).
    pub fn quiet(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// What one request got.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// An HTTP answer.
    Answer {
        /// Its status.
        status: u16,
        /// Its `Retry-After`, if any.
        retry_after: Option<String>,
        /// Its body as JSON (`null` if not JSON).
        body: Value,
    },
    /// The connection was refused (nobody listening).
    Refused,
    /// The connection broke before an answer.
    Broken(String),
}

impl Outcome {
    /// The status, or `refused` / `broken`.
    pub fn label(&self) -> String {
        match self {
            Self::Answer { status, .. } => status.to_string(),
            Self::Refused => "refused".into(),
            Self::Broken(_) => "broken".into(),
        }
    }

    /// The body of a 200, or a panic naming `what`.
    pub fn expect_ok(self, what: &str) -> Value {
        match self {
            Self::Answer { status: 200, body, .. } => body,
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// A client of the server at `addr`, signed in with a bearer `token`.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    token: String,
}

impl Client {
    /// A client of `addr` with `token` (empty: none).
    pub fn new(addr: SocketAddr, token: &str) -> Self {
        Self { addr, token: token.to_owned() }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Outcome {
        self.send("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Outcome {
        self.send("POST", path, Some(body)).await
    }

    /// `GET path`, the body as text (a panic unless 200).
    pub async fn get_text(&self, path: &str) -> String {
        String::from_utf8_lossy(&self.get_bytes(path).await).into_owned()
    }

    /// `GET path`, the body's bytes (a panic unless 200).
    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let stream = tokio::net::TcpStream::connect(self.addr).await.expect("the server");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(hyper_util::rt::TokioIo::new(stream)).await.expect("a connection");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = hyper::Request::get(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let response = sender.send_request(request).await.expect("an answer");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.into_body().collect().await.expect("a body").to_bytes().to_vec()
    }

    /// The status and `Allow` header of a bodiless `method` request to `path`.
    pub async fn allow(&self, method: &str, path: &str) -> (u16, Option<String>) {
        let stream = tokio::net::TcpStream::connect(self.addr).await.expect("the server");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(hyper_util::rt::TokioIo::new(stream)).await.expect("a connection");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let response = sender.send_request(request).await.expect("an answer");
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (response.status().as_u16(), allow)
    }

    /// One request with one more header: (status, the answer's `X-Request-Id`, body); status 0
    /// if there was no answer.
    pub async fn send_with_header(&self, method: &str, path: &str, body: Option<&Value>, name: &str, value: &str) -> (u16, Option<String>, Value) {
        match self.exchange_with(method, path, json_body(body), Some((name, value))).await {
            (Outcome::Answer { status, body, .. }, id) => (status, id, body),
            (_, id) => (0, id, Value::Null),
        }
    }

    /// One request on a connection of its own, answered within 120 s (or `Broken`).
    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Outcome {
        match tokio::time::timeout(Duration::from_secs(120), self.exchange(method, path, body)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Broken("no answer within 120 s".into()),
        }
    }

    async fn exchange(&self, method: &str, path: &str, body: Option<&Value>) -> Outcome {
        self.exchange_with(method, path, json_body(body), None).await.0
    }

    /// `POST path` with a `multipart/form-data` body: the JSON as part `json_part`, then each
    /// file as (part name, bytes, content type). Answered within 120 s (or `Broken`).
    pub async fn post_multipart(&self, path: &str, json_part: &str, json: &Value, files: &[(&str, Vec<u8>, &str)]) -> Outcome {
        let (body, content_type) = (multipart::body(json_part, json, files), multipart::content_type());
        let sent = self.exchange_with("POST", path, (Bytes::from(body), content_type), None);
        match tokio::time::timeout(Duration::from_secs(120), sent).await {
            Ok((outcome, _)) => outcome,
            Err(_) => Outcome::Broken("no answer within 120 s".into()),
        }
    }

    async fn exchange_with(&self, method: &str, path: &str, body: (Bytes, String), extra: Option<(&str, &str)>) -> (Outcome, Option<String>) {
        let stream = match tokio::net::TcpStream::connect(self.addr).await {
            Ok(s) => s,
            Err(_) => return (Outcome::Refused, None),
        };
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, conn) = match hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io).await {
            Ok(pair) => pair,
            Err(e) => return (Outcome::Broken(e.to_string()), None),
        };
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let (bytes, content_type) = body;
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("content-type", content_type)
            .header("connection", "close");
        if !self.token.is_empty() {
            request = request.header("authorization", format!("Bearer {}", self.token));
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(bytes)).expect("a request");
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => return (Outcome::Broken(e.to_string()), None),
        };
        let status = response.status().as_u16();
        let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = match response.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return (Outcome::Broken(e.to_string()), id),
        };
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (Outcome::Answer { status, retry_after, body }, id)
    }
}

/// A JSON body (empty if none) and its content type.
fn json_body(body: Option<&Value>) -> (Bytes, String) {
    (body.map(|b| Bytes::from(b.to_string())).unwrap_or_default(), "application/json".to_owned())
}

/// The `wangge` binary serving one data directory (and perhaps a PostgreSQL database) on one
/// port, across restarts.
pub struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    database_url: Option<String>,
    args: Vec<String>,
    log: PathBuf,
    log_filter: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn geodata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/huailai")
}

impl Server {
    /// The demo county (a small registry) in a new data directory, on SQLite or `database_url`.
    pub async fn start_demo(database_url: Option<&str>, extra: &[&str]) -> Self {
        let temp = tempfile::TempDir::new().expect("a data directory");
        let dir = temp.path().to_path_buf();
        Self::launch(dir, Some(temp), database_url, extra).await
    }

    /// The demo county with the log filter `filter` (`RUST_LOG`), in a new data directory.
    pub async fn start_demo_logging(filter: &str, extra: &[&str]) -> Self {
        let temp = tempfile::TempDir::new().expect("a data directory");
        let dir = temp.path().to_path_buf();
        Self::launch_with(dir, Some(temp), None, extra, filter).await
    }

    /// The demo county in `data_dir`.
    pub async fn start_in(data_dir: &Path, extra: &[&str]) -> Self {
        Self::launch(data_dir.to_path_buf(), None, None, extra).await
    }

    async fn launch(data_dir: PathBuf, temp: Option<tempfile::TempDir>, database_url: Option<&str>, extra: &[&str]) -> Self {
        Self::launch_with(data_dir, temp, database_url, extra, "warn").await
    }

    async fn launch_with(
        data_dir: PathBuf,
        temp: Option<tempfile::TempDir>,
        database_url: Option<&str>,
        extra: &[&str],
        log_filter: &str,
    ) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("an address");
        let mut args: Vec<String> = vec![
            "--listen".into(),
            addr.to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--geodata-dir".into(),
            geodata().display().to_string(),
            "--demo-residents".into(),
            "200".into(),
            "--supervise-every-secs".into(),
            "0".into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let log = std::env::temp_dir().join(format!("wangge-fault-{}-{}.log", std::process::id(), addr.port()));
        let mut server = Self {
            child: None,
            addr,
            data_dir,
            _temp: temp,
            database_url: database_url.map(str::to_owned),
            args,
            log,
            log_filter: log_filter.to_owned(),
        };
        server.spawn();
        server.wait_ready(Duration::from_secs(900)).await;
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_wangge"));
        command
            .args(&self.args)
            .env("RUST_LOG", &self.log_filter)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::from(log.try_clone().expect("a log file")))
            .stderr(Stdio::from(log));
        if let Some(url) = &self.database_url {
            command.env("DATABASE_URL", url);
        }
        self.child = Some(command.spawn().expect("the wangge binary starts"));
    }

    /// The server's whole log (standard output and error).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The tail of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until `/readyz` answers 200; answers how long that took.
    pub async fn wait_ready(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        let probe = Client::new(self.addr, "");
        loop {
            if let Outcome::Answer { status: 200, .. } = probe.get("/readyz").await {
                return started.elapsed();
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("the server exited ({status}) while starting:\n{}", self.log_tail());
            }
            assert!(started.elapsed() < within, "the server is not ready after {within:?}:\n{}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where it listens (the same across restarts).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A bearer token of the demo account `username`.
    pub async fn login(&self, username: &str) -> String {
        let client = Client::new(self.addr, "");
        let body = json!({ "username": username, "password": DEMO_PASSWORD, "label": "fault harness" });
        let answer = client.post("/api/v1/auth/token", &body).await;
        match answer {
            Outcome::Answer { status: 200 | 201, body, .. } => body["token"].as_str().expect("a token").to_owned(),
            other => panic!("login as {username}: {other:?}"),
        }
    }

    /// SIGKILL, then a restart on the same port; answers the time from the kill until the
    /// service is ready again.
    pub async fn kill_and_restart(&mut self) -> Duration {
        let killed = Instant::now();
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("the killed server is reaped");
        }
        self.spawn();
        self.wait_ready(Duration::from_secs(120)).await;
        killed.elapsed()
    }

    /// SIGTERM; answers the exit code and how long the drain took.
    pub async fn terminate(&mut self) -> (Option<i32>, Duration) {
        let started = Instant::now();
        let mut child = self.child.take().expect("a running server");
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        assert!(sent.success());
        let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("a waiter").expect("exit");
        (status.code(), started.elapsed())
    }

    /// Starts it again after [`Self::terminate`] or [`Self::stop`].
    pub async fn restart(&mut self) -> Duration {
        self.spawn();
        self.wait_ready(Duration::from_secs(120)).await
    }

    /// Stops it (SIGTERM) and waits.
    pub async fn stop(&mut self) {
        if self.child.is_some() {
            let (code, _) = self.terminate().await;
            assert_eq!(code, Some(0), "a clean stop:\n{}", self.log_tail());
        }
    }

    /// The reports whose ids start with `prefix-`: (report id, event id, timeline rows).
    pub async fn stored_reports(&self, prefix: &str) -> Vec<(String, String, i64)> {
        const SQL: &str = "SELECT e.report_id, e.event_id, \
             (SELECT count(*) FROM event_transition t WHERE t.event_id = e.event_id) \
             FROM event e WHERE e.report_id LIKE $1";
        let pattern = format!("{prefix}-%");
        match &self.database_url {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("the database");
                sqlx::query_as(SQL).bind(pattern).fetch_all(&mut conn).await.expect("stored reports")
            }
            None => {
                let mut conn = self.sqlite().await;
                sqlx::query_as(SQL).bind(pattern).fetch_all(&mut conn).await.expect("stored reports")
            }
        }
    }

    async fn sqlite(&self) -> sqlx::SqliteConnection {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(self.data_dir.join("wangge.db"));
        sqlx::ConnectOptions::connect(&options).await.expect("the SQLite file")
    }

    /// A read-only connection to the SQLite file (while it serves, too).
    pub async fn sqlite_read_only(&self) -> sqlx::SqliteConnection {
        let options =
            sqlx::sqlite::SqliteConnectOptions::new().filename(self.data_dir.join("wangge.db")).read_only(true);
        sqlx::ConnectOptions::connect(&options).await.expect("the SQLite file")
    }

    /// The server process's resident memory (KiB).
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.as_ref().expect("a running server").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS")
    }

    /// `PRAGMA integrity_check` of the SQLite file (the server stopped).
    pub async fn sqlite_integrity(&self) -> String {
        let mut conn = self.sqlite().await;
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(&mut conn).await.expect("integrity_check");
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; ")
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A run's figures, printed as one line docs/operations.md records.
#[derive(Debug)]
pub struct Figures {
    pub store: &'static str,
    pub reports: usize,
    pub kills: usize,
    pub acknowledged: usize,
    pub abandoned: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub unavailable: u64,
    pub recoveries: Vec<Duration>,
    pub slowest: Duration,
    pub note: String,
}

impl Figures {
    /// Prints the line.
    pub fn print(&self) {
        let mut ms: Vec<u128> = self.recoveries.iter().map(Duration::as_millis).collect();
        ms.sort_unstable();
        let median = ms.get(ms.len() / 2).copied().unwrap_or(0);
        let max = ms.last().copied().unwrap_or(0);
        println!(
            "FAULTS store={} reports={} kills={} acknowledged={} abandoned={} lost={} duplicated={} \
             answered_503={} recovery_ms_median={median} recovery_ms_max={max} slowest_answer_ms={} | {}",
            self.store,
            self.reports,
            self.kills,
            self.acknowledged,
            self.abandoned,
            self.lost,
            self.duplicated,
            self.unavailable,
            self.slowest.as_millis(),
            self.note
        );
    }
}

/// Runs a program as the `postgres` user when this process is root (PostgreSQL refuses root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest PostgreSQL's programs (`/usr/lib/postgresql/N/bin`).
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    versions.sort_unstable();
    let version = versions.last().expect("PostgreSQL is installed under /usr/lib/postgresql");
    PathBuf::from(format!("/usr/lib/postgresql/{version}/bin/{program}"))
}

/// A private PostgreSQL cluster on its own port, to crash without touching anyone else's.
pub struct PgCluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
    socket_dir: PathBuf,
}

impl PgCluster {
    /// `initdb` and start (fsync on, as production).
    pub async fn start() -> Self {
        let dir = tempfile::TempDir::new().expect("a cluster directory");
        let data = dir.path().join("data");
        let socket_dir = dir.path().join("socket");
        std::fs::create_dir_all(&socket_dir).unwrap();
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(ok.success(), "chown the cluster directory to postgres");
        }
        let init = as_postgres(&pg_bin("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"])
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(init.success(), "initdb");
        let cluster = Self { _dir: dir, data, port: free_port(), socket_dir };
        cluster.start_server();
        cluster
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=on -c synchronous_commit=on",
            self.port,
            self.socket_dir.display()
        );
        let log = self.data.parent().unwrap().join("server.log");
        let status = as_postgres(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-o", &options, "-l"])
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl start runs");
        assert!(status.success(), "the private cluster starts: {}", std::fs::read_to_string(&log).unwrap_or_default());
    }

    /// Starts it again after a crash (recovery replays its WAL).
    pub fn restart(&self) {
        self.start_server();
    }

    /// Stops it like a crash: every process quits without a checkpoint.
    pub fn stop_immediate(&self) {
        let status = as_postgres(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl stop runs");
        assert!(status.success(), "pg_ctl stop -m immediate");
    }

    /// Creates a database with PostGIS; answers its URL.
    pub async fn create_database(&mut self, name: &str) -> String {
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the private cluster");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
        let url = format!("postgres://postgres@127.0.0.1:{}/{name}", self.port);
        let mut db = sqlx::PgConnection::connect(&url).await.expect("the new database");
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("postgis in the private cluster");
        url
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = as_postgres(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A tmpfs of a few megabytes, mounted for one test (needs root) and filled on demand.
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A tmpfs of `megabytes`; `None` if it cannot be mounted.
    pub fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::TempDir::new().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { dir })
    }

    /// Its mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `file` until the filesystem is full (appending to what is there).
    pub fn fill(&self, file: &Path) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file).expect("the ballast file");
        let block = vec![0x5a_u8; 1 << 16];
        while f.write_all(&block).is_ok() {}
        let small = [0x5a_u8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// The server the store tests use (`WANGGE_TEST_POSTGRES`, default the local one).
fn postgres_admin_url() -> String {
    std::env::var("WANGGE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, empty database `name` with PostGIS on the test server (dropped first if left over);
/// answers its URL.
pub async fn postgis_database(name: &str) -> String {
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test PostgreSQL server");
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.expect("drop database");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("no database in {admin}"),
    };
    let mut db = sqlx::PgConnection::connect(&url).await.expect("the new database");
    db.execute("CREATE EXTENSION IF NOT EXISTS postgis").await.expect("postgis (scripts/test.sh installs it)");
    url
}

/// Drops the database `name` made by [`postgis_database`].
pub async fn drop_database(name: &str) {
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await.expect("the test PostgreSQL server");
    let _ = conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
}
