//! `wangge check-config`: the configuration checked without connecting anywhere — the
//! directories, the key files, the listen address, the URLs, the database URL's form — each
//! check printed `ok`, `warning` or `FAILED`, never a secret (a database password, a key, the
//! monitoring token).

use std::path::Path;

use super::{table, AdminError};
use crate::config::{Config, SQLITE_FILE};
use crate::store::StoreTarget;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// Fine.
    Ok,
    /// Worth a look; not a failure.
    Warning,
    /// Must be fixed.
    Failed,
}

/// The checks made, printed as a table.
#[derive(Debug, Default)]
pub(super) struct Report {
    rows: Vec<(String, Status, String)>,
}

impl Report {
    /// Records a check.
    pub(super) fn add(&mut self, name: &str, status: Status, detail: impl Into<String>) {
        self.rows.push((name.to_owned(), status, detail.into()));
    }

    /// Prints the table; an error naming how many failed, if any did.
    pub(super) fn finish(self) -> Result<(), AdminError> {
        let label = |s: Status| match s {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Failed => "FAILED",
        };
        let rows: Vec<Vec<String>> = self.rows.iter().map(|(n, s, d)| vec![n.clone(), label(*s).to_owned(), d.clone()]).collect();
        println!("{}", table::render(&["check", "result", "detail"], &rows));
        match self.rows.iter().filter(|(_, s, _)| *s == Status::Failed).count() {
            0 => Ok(()),
            failed => Err(AdminError::ChecksFailed { failed }),
        }
    }
}

/// Checks `config` and prints the table; fails if a check failed.
pub async fn check_config(config: &Config) -> Result<(), AdminError> {
    let mut r = Report::default();
    let sqlite = database(config, &mut r);
    let database_exists = sqlite.as_deref().is_some_and(Path::is_file);
    data_dir(config, &mut r);
    key_file(&mut r, "audit key", &config.audit_key_path(), database_exists, |text| {
        let trimmed: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        wangge_core::access::AuditKey::new(&trimmed).map(|_| ()).map_err(|e| e.to_string())
    });
    key_file(&mut r, "registry key", &config.registry_key_path(), database_exists, |text| {
        crate::access::FieldKeys::from_text(text).map(|_| ()).map_err(|e| e.to_string())
    });
    geodata(config, database_exists, sqlite.is_some(), &mut r);
    listen(config, &mut r).await;
    match config.public_url() {
        Ok(url) => r.add("public URL", Status::Ok, url),
        Err(e) => r.add("public URL", Status::Failed, e.to_string()),
    }
    others(config, &mut r);
    r.finish()
}

/// The database URL's form (never its password); the SQLite file, if that is the store.
fn database(config: &Config, r: &mut Report) -> Option<std::path::PathBuf> {
    let Some(url) = config.database_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        let file = config.data_dir.join(SQLITE_FILE);
        let state = if file.is_file() { "exists" } else { "created at the first start" };
        r.add("database", Status::Ok, format!("SQLite {} ({state})", file.display()));
        return Some(file);
    };
    // A URL names no directory to create: its form is all that is checked here.
    match config.store_target() {
        Ok(StoreTarget::Postgres(o)) => {
            let db = o.get_database().unwrap_or_else(|| o.get_username());
            r.add("database", Status::Ok, format!("PostgreSQL {}:{}/{db} (wangge check-db connects)", o.get_host(), o.get_port()));
            None
        }
        Ok(StoreTarget::Sqlite(o)) => {
            r.add("database", Status::Ok, format!("SQLite {}", o.get_filename().display()));
            Some(o.get_filename().to_path_buf())
        }
        Err(e) => {
            r.add("database", Status::Failed, format!("{e} ({} characters given)", url.chars().count()));
            None
        }
    }
}

/// The data directory: there and writable, or creatable.
fn data_dir(config: &Config, r: &mut Report) {
    let dir = &config.data_dir;
    let shown = dir.display().to_string();
    if dir.is_dir() {
        match tempfile::tempfile_in(dir) {
            Ok(_) => r.add("data directory", Status::Ok, shown),
            Err(e) => r.add("data directory", Status::Failed, format!("{shown} is not writable: {e}")),
        }
        return;
    }
    if dir.exists() {
        r.add("data directory", Status::Failed, format!("{shown} is not a directory"));
        return;
    }
    let parent = dir.ancestors().skip(1).find(|p| p.as_os_str().is_empty() || p.is_dir());
    let writable = parent.map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p }).is_some_and(|p| tempfile::tempfile_in(p).is_ok());
    if writable {
        r.add("data directory", Status::Ok, format!("{shown} (created at the first start)"));
    } else {
        r.add("data directory", Status::Failed, format!("{shown} is missing and cannot be created"));
    }
}

/// A key file: readable, well-formed, private; missing only while there is no database yet.
fn key_file(r: &mut Report, name: &str, path: &Path, database_exists: bool, valid: impl Fn(&str) -> Result<(), String>) {
    let shown = path.display().to_string();
    if !path.exists() {
        if database_exists {
            r.add(name, Status::Failed, format!("{shown} is missing, but the database exists: point the configuration at its key"));
        } else {
            r.add(name, Status::Ok, format!("{shown} (created at the first start)"));
        }
        return;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return r.add(name, Status::Failed, format!("{shown} cannot be read: {e}")),
    };
    if let Err(reason) = valid(&text) {
        // The reason names what is wrong, never the key's bytes.
        return r.add(name, Status::Failed, format!("{shown}: {reason}"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        if mode & 0o077 != 0 {
            return r.add(name, Status::Failed, format!("{shown} is readable by others (mode {mode:o}): chmod 600 it"));
        }
    }
    r.add(name, Status::Ok, shown);
}

/// The geodata files, needed to load an empty store on its first start.
fn geodata(config: &Config, database_exists: bool, is_sqlite: bool, r: &mut Report) {
    let dir = &config.geodata_dir;
    let missing: Vec<&str> =
        ["townships.geojson", "villages.geojson", "grids.geojson"].into_iter().filter(|f| !dir.join(f).is_file()).collect();
    let shown = dir.display().to_string();
    match (missing.is_empty(), database_exists, is_sqlite) {
        (true, _, _) => r.add("geodata", Status::Ok, shown),
        (false, true, _) => r.add("geodata", Status::Ok, format!("{shown} lacks {}: not needed, the database exists", missing.join(", "))),
        (false, false, true) => r.add("geodata", Status::Failed, format!("{shown} lacks {}: an empty store is loaded from it", missing.join(", "))),
        (false, false, false) => r.add(
            "geodata",
            Status::Warning,
            format!("{shown} lacks {}: needed only if the database holds no grids yet", missing.join(", ")),
        ),
    }
}

/// The listen address can be bound (nothing else listens there).
async fn listen(config: &Config, r: &mut Report) {
    match tokio::net::TcpListener::bind(config.listen).await {
        Ok(_) => r.add("listen", Status::Ok, config.listen.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            r.add("listen", Status::Failed, format!("{} is in use (is wangge already running?)", config.listen));
        }
        Err(e) => r.add("listen", Status::Failed, format!("{}: {e}", config.listen)),
    }
}

/// The frontend, the monitoring token, the proxies, the demo and the cookies.
fn others(config: &Config, r: &mut Report) {
    match &config.frontend_dir {
        Some(dir) if dir.join("index.html").is_file() => r.add("frontend", Status::Ok, dir.display().to_string()),
        Some(dir) => r.add("frontend", Status::Warning, format!("no index.html in {}: / is not served", dir.display())),
        None => r.add("frontend", Status::Ok, "not served"),
    }
    match &config.metrics_token {
        Some(t) => r.add("metrics token", Status::Ok, format!("set ({} characters)", t.chars().count())),
        None => r.add("metrics token", Status::Ok, "not set: no /metrics route"),
    }
    let proxies = config.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>();
    r.add("trusted proxies", Status::Ok, if proxies.is_empty() { "none".to_owned() } else { proxies.join(", ") });
    if config.demo {
        r.add("demo", Status::Warning, "on: an empty store gets the demo county and its published password; set WANGGE_DEMO=false for a real deployment");
    } else {
        r.add("demo", Status::Ok, "off");
    }
    let https = config.public_url().is_ok_and(|u| u.starts_with("https://"));
    if https && !config.secure_cookies {
        r.add("cookies", Status::Warning, "served over HTTPS but the session cookie is not Secure: set WANGGE_SECURE_COOKIES=true");
    } else {
        r.add("cookies", Status::Ok, if config.secure_cookies { "Secure" } else { "not Secure (plain HTTP)" });
    }
}
