//! End to end: the built `wangge` binary serves the mini fixture on a free port and a
//! third-party Open311 client (the PyPI package `georeport`, driven by
//! `tests/open311_client.py`) lists services, posts a request and reads it back.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Backend, Db};

mod support;

/// The pinned client release, as scripts/test.sh installs it.
const CLIENT: &str = "georeport==0.3.1";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("address").port()
}

fn start(db: &Db, port: u16) -> Server {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");
    let mut command = Command::new(env!("CARGO_BIN_EXE_wangge"));
    match db.database_url() {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let child = command
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(db.data_dir())
        .arg("--geodata-dir")
        .arg(fixture)
        // No demo roster or events (read only by builds that have the demo), no supervision.
        .env("WANGGE_DEMO", "false")
        .env("WANGGE_SUPERVISE_EVERY_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the wangge binary starts");
    Server(child)
}

/// Waits until `GET /healthz` answers 200, failing if the server exits or 60 s pass.
fn wait_until_healthy(server: &mut Server, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.0.try_wait().expect("server status") {
            panic!("the server exited before answering: {status}");
        }
        if healthz(port).is_some_and(|head| head.starts_with("HTTP/1.1 200")) {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not answer /healthz within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn healthz(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// Runs the client against the binary serving `backend`'s throwaway database.
fn client_round_trip(backend: Backend) {
    let probe = Command::new("python3").args(["-c", "import georeport"]).output();
    let installed = probe.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        installed,
        "the Open311 client is missing: `python3 -c \"import georeport\"` failed ({}). \
         scripts/test.sh installs it (python3 -m pip install {CLIENT}).",
        probe.map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned()).unwrap_or_else(|e| e.to_string())
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let db = runtime.block_on(Db::of(backend));
    let port = free_port();
    let mut server = start(&db, port);
    wait_until_healthy(&mut server, port);
    // The 12345 hotline's integration: a service account with a county dispatcher's grant and
    // an API key of the Open311 scope.
    let key = runtime.block_on(async {
        let store = db.served_store().await;
        support::service_key(&store, "hotline", "dispatcher", "county", wangge_server::access::KeyScope::Open311).await
    });
    let output = Command::new("python3")
        .env("GEOREPORT_API_KEY", key)
        .arg(workspace_root().join("tests/open311_client.py"))
        .arg(format!("http://127.0.0.1:{port}"))
        .current_dir(workspace_root())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the Open311 client failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("open311 client checks passed"), "{stdout}");
    drop(server);
}

mod georeport_lists_services_posts_and_reads_a_request_back {
    use super::*;

    #[test]
    fn sqlite() {
        client_round_trip(Backend::Sqlite);
    }

    #[test]
    fn postgis() {
        client_round_trip(Backend::Postgis);
    }
}
