//! The console's commands, run as the real binary on both backends: accounts created, granted,
//! disabled and reset beside a running server (and what its HTTP login then says), grids
//! exported and imported back (no changes, then a new generation, then a refused draft), the
//! registry's spreadsheets both ways with bad rows reported, and the configuration and database
//! checks passing and failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faultkit;
mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use faultkit::{Client, Outcome};
use serde_json::{json, Value};
use support::{backend, Backend, Db};
use wangge_server::records::Page;
use wangge_server::store::AuditFilter;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// `wangge GLOBAL… ARGS…` on `db`; its output.
fn wangge(db: &Db, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wangge"));
    command
        .arg("--data-dir")
        .arg(db.data_dir())
        .arg("--geodata-dir")
        .arg(fixture())
        .args(["--demo", "false"])
        .args(args)
        .env_remove("DATABASE_URL")
        // Log lines on standard error too, to see that they stay plain text.
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    if let Some(url) = db.database_url() {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("the wangge binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and asserts success; answers standard output.
fn ok(db: &Db, args: &[&str]) -> String {
    let o = wangge(db, args);
    assert!(o.status.success(), "wangge {args:?} failed:\n{}\n{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains('\u{1b}') && !stderr(&o).contains('\u{1b}'), "no control characters without a terminal");
    stdout(&o)
}

/// Runs and asserts failure (exit status 1); answers standard output and error together.
fn fails(db: &Db, args: &[&str]) -> String {
    let o = wangge(db, args);
    assert_eq!(o.status.code(), Some(1), "wangge {args:?} should fail:\n{}\n{}", stdout(&o), stderr(&o));
    format!("{}{}", stdout(&o), stderr(&o))
}

/// The one-time password a command printed.
fn password_in(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split_once("one-time password ").map(|(_, p)| p.trim().to_owned()))
        .unwrap_or_else(|| panic!("no one-time password in {out}"))
}

/// The county's divisions and grids loaded into `db` (what the first start does).
async fn loaded() -> Db {
    let db = Db::new().await;
    let state = wangge_server::state_from_config(&db.config(fixture())).await.expect("the store loads");
    state.store.close().await;
    db
}

/// The server on `db`, on a free port.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    async fn start(db: &Db) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_wangge"));
        command
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(db.data_dir())
            .arg("--geodata-dir")
            .arg(fixture())
            .args(["--demo", "false", "--supervise-every-secs", "0"])
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = db.database_url() {
            command.env("DATABASE_URL", url);
        }
        let mut child = command.spawn().expect("the server starts");
        let started = Instant::now();
        loop {
            if let Outcome::Answer { status: 200, .. } = Client::new(addr, "").get("/readyz").await {
                return Self { child, addr };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server exited while starting: {status}");
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the server is not ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Logs in with a password: the status and the answer.
    async fn login(&self, username: &str, password: &str) -> (u16, Value) {
        let body = json!({"username": username, "password": password, "label": "console test"});
        match Client::new(self.addr, "").post("/api/v1/auth/token", &body).await {
            Outcome::Answer { status, body, .. } => (status, body),
            other => panic!("login: {other:?}"),
        }
    }

    async fn me(&self, token: &str) -> (u16, Value) {
        match Client::new(self.addr, token).get("/api/v1/auth/me").await {
            Outcome::Answer { status, body, .. } => (status, body),
            other => panic!("me: {other:?}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The console's audit rows: (action, outcome) in order, each from the source `console`.
async fn console_rows(db: &Db) -> Vec<(String, String)> {
    let store = db.served_store().await;
    let filter = AuditFilter { user: Some("(console)".into()), ..AuditFilter::default() };
    let rows = store.audit(&filter, Page { page: 1, per_page: 200 }).await.unwrap();
    store.close().await;
    let mut out: Vec<_> = rows.items.into_iter().map(|s| s.row).collect();
    out.sort_by_key(|r| r.seq);
    assert!(out.iter().all(|r| r.source == "console"), "{out:?}");
    out.into_iter().map(|r| (r.action, r.outcome.as_str().to_owned())).collect()
}

backend_tests! {
    #[tokio::test(flavor = "multi_thread")]
    async fn accounts_made_at_the_console_log_in_over_http() {
        let db = Db::new().await;
        let server = Server::start(&db).await;
        // Beside the running server, on the same database.
        let out = ok(&db, &["admin", "create-account", "--username", "ops1", "--display-name", "调度员甲", "--role", "dispatcher", "--scope", "130730100"]);
        let first = password_in(&out);
        let (status, body) = server.login("ops1", &first).await;
        assert!(matches!(status, 200 | 201), "{status} {body}");
        assert_eq!((body["me"]["role"].as_str(), body["me"]["jurisdiction"].as_str()), (Some("dispatcher"), Some("130730100")));
        assert_eq!(body["me"]["password_expired"], true, "a one-time password is changed at the first login");
        let token = body["token"].as_str().unwrap().to_owned();

        // The same checks as the administrators' API.
        let e = fails(&db, &["admin", "create-account", "--username", "ops1", "--display-name", "x", "--role", "dispatcher", "--scope", "county"]);
        assert!(e.contains("exists already"), "{e}");
        let e = fails(&db, &["admin", "create-account", "--username", "ops2", "--display-name", "x", "--role", "boss", "--scope", "county"]);
        assert!(e.contains("unknown role \"boss\""), "{e}");
        let e = fails(&db, &["admin", "grant", "--username", "ops1", "--role", "planner", "--scope", "130730100"]);
        assert!(e.contains("planner") && e.contains("township"), "a planner works over the county: {e}");
        let e = fails(&db, &["admin", "grant", "--username", "ops1", "--role", "gridworker", "--scope", "130730100"]);
        assert!(e.contains("needs acting_as"), "{e}");

        ok(&db, &["admin", "grant", "--username", "ops1", "--role", "county_leader", "--scope", "county"]);
        let (status, me) = server.me(&token).await;
        assert_eq!((status, me["role"].as_str()), (200, Some("county_leader")), "{me}");

        ok(&db, &["admin", "disable", "--username", "ops1"]);
        assert_eq!(server.me(&token).await.0, 401, "a disabled account's sessions end");
        assert_eq!(server.login("ops1", &first).await.0, 401, "a disabled account cannot log in");

        ok(&db, &["admin", "disable", "--username", "ops1", "--enable"]);
        let second = password_in(&ok(&db, &["admin", "reset-password", "--username", "ops1"]));
        assert_ne!(first, second);
        assert_eq!(server.login("ops1", &first).await.0, 401, "the old password is gone");
        assert!(matches!(server.login("ops1", &second).await.0, 200 | 201));
        let e = fails(&db, &["admin", "reset-password", "--username", "nobody"]);
        assert!(e.contains("no account \"nobody\""), "{e}");

        let list = ok(&db, &["admin", "list-accounts"]);
        assert!(list.lines().any(|l| l.starts_with("ops1") && l.contains("调度员甲") && l.contains("county_leader")), "{list}");
        assert!(!list.contains("$argon2"), "no hashes in the list");

        let rows = console_rows(&db).await;
        let pairs: Vec<(&str, &str)> = rows.iter().map(|(a, o)| (a.as_str(), o.as_str())).collect();
        for expected in [
            ("create_account", "begun"),
            ("create_account", "success"),
            ("create_account", "failure"),
            ("change_grant", "success"),
            ("disable_account", "success"),
            ("enable_account", "success"),
            ("reset_password", "success"),
            ("list_accounts", "success"),
        ] {
            assert!(pairs.contains(&expected), "{expected:?} in {pairs:?}");
        }
        drop(server);
        let checked = ok(&db, &["check-db"]);
        assert!(checked.lines().any(|l| l.starts_with("audit chain") && l.contains(" ok ")), "{checked}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn grids_go_out_to_files_and_come_back_as_a_generation() {
        let db = loaded().await;
        let dir = tempfile::TempDir::new().unwrap();
        let file = |name: &str| dir.path().join(name).display().to_string();
        // The console never makes a registry key: records it sealed would not open on the
        // servers. Grids are published without one while the registry is empty.
        std::fs::remove_file(db.data_dir().join("registry.key")).unwrap();
        std::fs::write(file("one.csv"), "场所类别*,名称*,村(社区)代码*,经度*,纬度*\nother,甲,130730100201,115.51,40.415\n").unwrap();
        let e = fails(&db, &["admin", "import-registry", "--kind", "places", "--from", &file("one.csv")]);
        assert!(e.contains("registry key file") && e.contains("is missing"), "{e}");
        assert!(!db.data_dir().join("registry.key").exists());
        let out = ok(&db, &["admin", "export-grids", "--to", &file("grids.geojson")]);
        assert!(out.contains("wrote 5 grids"), "{out}");
        ok(&db, &["admin", "export-grids", "--to", &file("grids.gpkg")]);
        ok(&db, &["admin", "export-grids", "--to", &file("out.zip"), "--collection", "villages"]);
        assert!(std::fs::read(file("out.zip")).unwrap().starts_with(b"PK"));

        for same in ["grids.geojson", "grids.gpkg"] {
            let out = ok(&db, &["admin", "import-grids", "--from", &file(same), "--publish", "--note", "原样导回"]);
            assert!(out.contains("no changes"), "{same}: {out}");
        }
        // One grid renamed: checked, then published as generation 1.
        let mut collection: Value = serde_json::from_slice(&std::fs::read(file("grids.geojson")).unwrap()).unwrap();
        let renamed = collection["features"].as_array_mut().unwrap().iter_mut().find(|f| f["properties"]["code"] == "130730100201001").unwrap();
        renamed["properties"]["name"] = json!("沙城村第一网格（更名）");
        std::fs::write(file("renamed.geojson"), collection.to_string()).unwrap();
        let out = ok(&db, &["admin", "import-grids", "--from", &file("renamed.geojson")]);
        assert!(out.contains("1 reshaped") && out.contains("nothing was published"), "{out}");
        let usage = wangge(&db, &["admin", "import-grids", "--from", &file("renamed.geojson"), "--publish"]);
        assert_eq!(usage.status.code(), Some(2), "a usage error");
        assert!(stderr(&usage).contains("--note"), "publishing needs its reason: {}", stderr(&usage));
        let out = ok(&db, &["admin", "import-grids", "--from", &file("renamed.geojson"), "--publish", "--note", "更名"]);
        assert!(out.contains("published generation 1"), "{out}");
        let out = ok(&db, &["admin", "import-grids", "--from", &file("renamed.geojson")]);
        assert!(out.contains("no changes"), "{out}");

        // A grid drawn over its neighbour: refused with the problem, nothing published.
        let features = collection["features"].as_array_mut().unwrap();
        let mut copy = features.iter().find(|f| f["properties"]["code"] == "130730100001001").unwrap().clone();
        copy["properties"]["code"] = json!("130730100001003");
        features.push(copy);
        std::fs::write(file("overlap.geojson"), collection.to_string()).unwrap();
        let e = fails(&db, &["admin", "import-grids", "--from", &file("overlap.geojson"), "--publish", "--note", "重叠"]);
        assert!(e.contains("error") && e.contains("130730100001003") && e.contains("nothing was published"), "{e}");
        let e = fails(&db, &["admin", "import-grids", "--from", &file("nothing.geojson")]);
        assert!(e.contains("cannot read"), "{e}");

        let store = db.served_store().await;
        assert_eq!(store.current_generation().await.unwrap(), 1);
        store.close().await;
        let rows = console_rows(&db).await;
        assert_eq!(rows.iter().filter(|(a, o)| a == "edit_grids" && o == "success").count(), 1, "{rows:?}");
        assert!(rows.iter().any(|(a, _)| a == "export_data"), "{rows:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn registry_spreadsheets_round_trip_with_bad_rows_reported_and_the_database_checked() {
        let db = loaded().await;
        let dir = tempfile::TempDir::new().unwrap();
        let file = |name: &str| dir.path().join(name).display().to_string();
        let header = "场所类别*,名称*,地址,村(社区)代码*,经度*,纬度*\n";
        let good = "hazard_point,沙城村加油站,沙城村东,130730100201,115.51,40.415\nkey_site,沙城村小学,沙城村西,130730100201,115.505,40.418\n";
        std::fs::write(file("bad.csv"), format!("{header}{good}public_venue,狼山村广场,,130730200201,115.505,40.418\n")).unwrap();
        let e = fails(&db, &["admin", "import-registry", "--kind", "places", "--from", &file("bad.csv")]);
        assert!(e.contains("row 4") && e.contains("nothing was imported"), "the bad row is named: {e}");
        std::fs::write(file("good.csv"), format!("{header}{good}")).unwrap();
        let out = ok(&db, &["admin", "import-registry", "--kind", "places", "--from", &file("good.csv")]);
        assert!(out.contains("imported 2 places"), "{out}");

        let out = ok(&db, &["admin", "export-registry", "--kind", "places", "--to", &file("places.csv")]);
        assert!(out.contains("wrote 2 places"), "{out}");
        let exported = std::fs::read_to_string(file("places.csv")).unwrap();
        let lines: Vec<&str> = exported.lines().collect();
        assert_eq!(lines.len(), 3, "{exported}");
        assert!(lines[0].contains("编号") && lines[1].contains("沙城村"), "{exported}");
        ok(&db, &["admin", "export-registry", "--kind", "places", "--to", &file("places.xlsx")]);
        assert!(std::fs::read(file("places.xlsx")).unwrap().starts_with(b"PK"));

        // Imported again here, the same records would be there twice: refused, row by row.
        let e = fails(&db, &["admin", "import-registry", "--kind", "places", "--from", &file("places.csv")]);
        assert!(e.contains("row 2") && e.contains("row 3") && e.contains("already registered"), "{e}");
        // With the ids cleared, the rows are new records.
        let id_column = lines[0].split(',').position(|h| h == "编号").unwrap();
        let cleared: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut cells: Vec<&str> = l.split(',').collect();
                if i > 0 {
                    cells[id_column] = "";
                }
                cells.join(",")
            })
            .collect();
        std::fs::write(file("cleared.csv"), cleared.join("\n")).unwrap();
        let out = ok(&db, &["admin", "import-registry", "--kind", "places", "--from", &file("cleared.csv")]);
        assert!(out.contains("imported 2 places"), "{out}");
        let out = ok(&db, &["admin", "export-registry", "--kind", "places", "--to", &file("again.csv")]);
        assert!(out.contains("wrote 4 places"), "{out}");
        let rows = console_rows(&db).await;
        assert!(rows.contains(&("import_registry".into(), "failure".into())) && rows.contains(&("import_registry".into(), "success".into())), "{rows:?}");

        let checked = ok(&db, &["check-db"]);
        for check in ["migrations", "audit chain", "grids", "grid index"] {
            assert!(checked.lines().any(|l| l.starts_with(check) && l.contains(" ok ")), "{check}: {checked}");
        }
        let unknown = match backend() {
            Backend::Sqlite => "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'not ours', TRUE, X'00', 0)",
            Backend::Postgis => "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'not ours', TRUE, '\\x00'::bytea, 0)",
        };
        db.raw(unknown).await.unwrap();
        let e = fails(&db, &["check-db"]);
        assert!(e.contains("FAILED") && e.contains("unknown to this build: 99990101000000"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_config_passes_fails_and_keeps_secrets() {
    let db = Db::of(Backend::Sqlite).await;
    let token = "monitoring-token-0123456789-abcdef";
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let good = ok(&db, &["--listen", &listen, "--metrics-token", token, "check-config"]);
    assert!(good.lines().any(|l| l.starts_with("listen") && l.contains(" ok ")), "{good}");
    assert!(!good.contains(token), "the token is never printed: {good}");

    let out = wangge(&db, &["--listen", &listen, "--public-url", "ftp://example.org", "check-config"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.lines().any(|l| l.starts_with("public URL") && l.contains("FAILED")), "{text}");

    std::fs::write(db.data_dir().join("short.key"), "too short").unwrap();
    let short = db.data_dir().join("short.key").display().to_string();
    let e = fails(&db, &["--listen", &listen, "--audit-key-file", &short, "check-config"]);
    assert!(e.contains("audit key") && e.contains("FAILED") && !e.contains("too short"), "the key's bytes are never printed: {e}");

    let secret_url = "postgres://wangge:s3cret-pass@127.0.0.1:5432/county";
    let out = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["--data-dir", &db.data_dir().display().to_string(), "--listen", &listen, "check-config"])
        .env("DATABASE_URL", secret_url)
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("PostgreSQL 127.0.0.1:5432/county") && !text.contains("s3cret"), "{text}");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();
    let e = fails(&db, &["--listen", &taken, "check-config"]);
    assert!(e.contains("in use"), "{e}");
}
