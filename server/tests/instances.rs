//! Several instances on one PostGIS database, as behind a load balancer: two real `wangge`
//! processes. A grid edit made directly in the database (as a planner in QGIS would) reaches
//! both indexes, and reports sent to both at once, retries included, are stored exactly once.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use support::{Backend, Db};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;

/// 东关社区第一网格 and 第二网格 in the mini fixture, and a point in each.
const G1: &str = "130730100001001";
const G2: &str = "130730100001002";
const IN_G1: (f64, f64) = (115.508, 40.408);

/// A server process, killed when the test ends however it ends.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("address").port()
}

async fn start(db: &Db) -> Server {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(db.data_dir())
        .arg("--geodata-dir")
        .arg(fixture)
        .env("DATABASE_URL", db.database_url().expect("a PostGIS database"))
        .env("WANGGE_DEMO", "false")
        .env("WANGGE_SUPERVISE_EVERY_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the wangge binary starts");
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.child.try_wait().expect("server status") {
            panic!("the server exited before answering: {status}");
        }
        if matches!(request(port, "GET", "/healthz", None).await, Some((200, _))) {
            return server;
        }
        assert!(Instant::now() < deadline, "the server did not answer /healthz within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The county dispatcher's API key the requests carry (set once the database exists).
static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Makes the API key the requests of this test carry.
async fn sign_in(db: &Db) {
    let key = support::api_key(&db.served_store().await, "test-county", "dispatcher", "county").await;
    TOKEN.set(key).expect("one sign-in per test");
}

/// One HTTP/1.1 request on its own connection: the status and the JSON body.
async fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = TOKEN.get().map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(body.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let text = String::from_utf8(answer).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

async fn located(server: &Server, at: (f64, f64)) -> String {
    let (status, body) = request(server.port, "GET", &format!("/api/v1/locate?lon={}&lat={}", at.0, at.1), None)
        .await
        .expect("locate answers");
    assert_eq!(status, 200, "{body}");
    body["grid"]["code"].as_str().expect("a grid code").to_owned()
}

fn report(id: &str, at: (f64, f64)) -> Value {
    json!({
        "report_id": id,
        "category": "hazard",
        "subcategory": "燃气",
        "description": "楼道里有燃气味",
        "location": {"lon": at.0, "lat": at.1},
        "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"},
        "channel": "web",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_follow_a_grid_edit_in_the_database() {
    let db = Db::of(Backend::Postgis).await;
    let a = start(&db).await;
    let b = start(&db).await;
    sign_in(&db).await;
    for server in [&a, &b] {
        assert_eq!(located(server, IN_G1).await, G1);
    }
    let (_, before) = request(a.port, "GET", &format!("/api/v1/grids/{G1}"), None).await.expect("grid answers");

    // A planner swaps the shapes of two grids in desktop GIS, straight in the database.
    let mut conn = PgConnection::connect(&db.database_url().expect("url")).await.expect("connect");
    let swapped = sqlx::query(
        "UPDATE grid SET geom = other.geom FROM grid other
          WHERE (grid.code, other.code) IN (($1, $2), ($2, $1))",
    )
    .bind(G1)
    .bind(G2)
    .execute(&mut conn)
    .await
    .expect("the edit commits");
    assert_eq!(swapped.rows_affected(), 2);
    let edited = Instant::now();

    // Both instances answer with the new shapes without a restart.
    let deadline = edited + Duration::from_secs(10);
    for (name, server) in [("a", &a), ("b", &b)] {
        loop {
            if located(server, IN_G1).await == G2 {
                eprintln!("instance {name} follows the edit {} ms after its commit", edited.elapsed().as_millis());
                break;
            }
            assert!(Instant::now() < deadline, "instance {name} still answers the old grid after 10 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let (_, after) = request(b.port, "GET", &format!("/api/v1/grids/{G2}"), None).await.expect("grid answers");
    assert_eq!(after["geometry"], before["geometry"], "the catalog serves the new shape too");
    assert!(after["geometry"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_sent_to_two_instances_at_once_are_stored_exactly_once() {
    let db = Db::of(Backend::Postgis).await;
    let a = start(&db).await;
    let b = start(&db).await;
    sign_in(&db).await;

    // 100 reports, each sent to both instances at once (a client retrying through the load
    // balancer), plus 100 sent to one instance only.
    let mut sends = Vec::new();
    for i in 0..200 {
        let id = format!("r-{i:03}");
        let targets = if i < 100 { vec![a.port, b.port] } else { vec![if i % 2 == 0 { a.port } else { b.port }] };
        for port in targets {
            let body = report(&id, IN_G1);
            let id = id.clone();
            sends.push(tokio::spawn(async move { (id, request(port, "POST", "/api/v1/reports", Some(&body)).await) }));
        }
    }
    let mut answers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for send in sends {
        let (id, reply) = send.await.expect("task");
        let (status, body) = reply.expect("an answer");
        assert!(status == 201 || status == 200, "{id}: {status} {body}");
        answers.entry(id).or_default().insert(body["event_id"].as_str().expect("an event id").to_owned());
    }
    assert_eq!(answers.len(), 200);
    for (id, events) in &answers {
        assert_eq!(events.len(), 1, "{id} was answered with different events: {events:?}");
    }
    let ids: BTreeSet<&String> = answers.values().flatten().collect();
    assert_eq!(ids.len(), 200, "every report has an event of its own");

    let mut conn = PgConnection::connect(&db.database_url().expect("url")).await.expect("connect");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event").fetch_one(&mut conn).await.expect("count");
    let timelines: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT event_id) FROM event_transition").fetch_one(&mut conn).await.expect("count");
    assert_eq!((stored, timelines), (200, 200));
    for server in [&a, &b] {
        let (_, list) = request(server.port, "GET", "/api/v1/events?per_page=1", None).await.expect("list answers");
        assert_eq!(list["total"], 200, "{list}");
    }
}
