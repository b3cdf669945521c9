//! What the HTTP benchmarks share: the service on a loopback port, one request and its answer
//! over a kept-alive connection, a demo account's token and a throwaway PostgreSQL database.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` on a free loopback port.
pub async fn serve(router: axum::Router) -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}

/// Writes one request and reads its response: its status and body.
pub async fn exchange(conn: &mut BufReader<TcpStream>, req: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let (status, _, body) = exchange_headers(conn, req).await?;
    Ok((status, body))
}

/// Writes one request and reads its response: its status, headers (names in lower case) and
/// body.
pub async fn exchange_headers(
    conn: &mut BufReader<TcpStream>,
    req: &[u8],
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    conn.get_mut().write_all(req).await?;
    let mut status = String::new();
    conn.read_line(&mut status).await?;
    let code = status.split(' ').nth(1).and_then(|c| c.parse::<u16>().ok());
    let code = code.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no status line: {status:?}")))?;
    let mut length = 0usize;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed inside the headers"));
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok((code, headers, body))
}

/// A bearer token of the demo account `username`, from `POST /api/v1/auth/token`.
pub async fn sign_in(addr: std::net::SocketAddr, username: &str) -> Result<String, Box<dyn std::error::Error>> {
    let body = serde_json::json!({ "username": username, "password": wangge_server::demo::DEMO_PASSWORD, "label": "bench" }).to_string();
    let request = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let stream = TcpStream::connect(addr).await?;
    let mut conn = BufReader::new(stream);
    let (status, answer) = exchange(&mut conn, request.as_bytes()).await?;
    let answer: serde_json::Value = serde_json::from_slice(&answer)
        .map_err(|e| format!("sign-in as {username}: {status}, not JSON ({e})"))?;
    match answer["token"].as_str() {
        Some(token) if (200..300).contains(&status) => Ok(token.to_owned()),
        _ => Err(format!("sign-in as {username} refused: {status} {answer}").into()),
    }
}

/// A database made for one run on the server of `admin_url`, dropped by [`Self::drop_database`].
pub struct ThrowawayDb {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl ThrowawayDb {
    /// Creates `wangge_bench_{purpose}_{pid}` on the server of `admin_url`.
    pub async fn create(admin_url: &str, purpose: &str) -> Result<Self, Box<dyn std::error::Error>> {
        use sqlx::{Connection, Executor};
        let name = format!("wangge_bench_{purpose}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(admin_url).await?;
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
        admin.close().await?;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name })
    }

    /// Drops it, closing its connections.
    pub async fn drop_database(self) -> Result<(), Box<dyn std::error::Error>> {
        use sqlx::{Connection, Executor};
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).await?;
        admin.close().await?;
        Ok(())
    }
}

