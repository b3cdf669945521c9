//! `wangge check-db`: the database looked at without changing it — it answers, its migrations
//! are this build's, SQLite's integrity (or PostGIS and durable commits), the audit chain
//! verifies up to its anchor, the grids are there and index, the accounts — printed as a
//! table; any failure makes the exit status non-zero.

use std::time::Instant;

use wangge_core::access::{ChainHead, Role};

use super::checks::{Report, Status};
use super::AdminError;
use crate::access::{verify_trail, Anchor};
use crate::config::{Config, SQLITE_FILE};
use crate::grids::live::LiveGrids;
use crate::progress::Progress;
use crate::records::{Page, PersonFilter};
use crate::store::{Store, StoreError, StoreTarget};

/// Checks the database `config` names and prints the table; fails if a check failed.
pub async fn check_db(config: &Config) -> Result<(), AdminError> {
    let mut r = Report::default();
    // The default SQLite file is named here: `store_target` would create its directory.
    let target = match config.database_url.as_deref().filter(|u| !u.trim().is_empty()) {
        None => StoreTarget::sqlite_file(config.data_dir.join(SQLITE_FILE)),
        Some(_) => match config.store_target() {
            Ok(t) => t,
            Err(e) => {
                r.add("database", Status::Failed, e.to_string());
                return r.finish();
            }
        },
    };
    if let StoreTarget::Sqlite(o) = &target {
        if !o.get_filename().is_file() {
            r.add("database", Status::Failed, format!("no SQLite file {} (the first start creates it)", o.get_filename().display()));
            return r.finish();
        }
    }
    r.add("database", Status::Ok, describe(&target));
    let started = Instant::now();
    let store = match Store::open_existing(&target, config.store_limits()).await {
        Ok(s) => s,
        Err(e) => {
            r.add("connection", Status::Failed, crate::logging::error_chain(&e));
            return r.finish();
        }
    };
    match store.ping().await {
        Ok(()) => r.add("connection", Status::Ok, format!("answered in {} ms", started.elapsed().as_millis())),
        Err(e) => {
            r.add("connection", Status::Failed, crate::logging::error_chain(&e));
            return r.finish();
        }
    }
    migrations(&store, &mut r).await;
    match store.backend_checks().await {
        Ok(checks) => checks.into_iter().for_each(|c| r.add(c.name, if c.ok { Status::Ok } else { Status::Failed }, c.detail)),
        Err(e) => r.add(store.backend(), Status::Failed, crate::logging::error_chain(&e)),
    }
    audit(config, &store, &mut r).await;
    grids(&store, &mut r).await;
    accounts(&store, &mut r).await;
    store.close().await;
    r.finish()
}

/// The target as the operator knows it, without a password.
fn describe(target: &StoreTarget) -> String {
    match target {
        StoreTarget::Sqlite(o) => format!("SQLite {}", o.get_filename().display()),
        StoreTarget::Postgres(o) => {
            format!("PostgreSQL {}:{}/{}", o.get_host(), o.get_port(), o.get_database().unwrap_or_else(|| o.get_username()))
        }
    }
}

async fn migrations(store: &Store, r: &mut Report) {
    match store.schema().await {
        Ok(None) => r.add("migrations", Status::Failed, "no migrations table: the service has never opened this database"),
        Ok(Some(s)) if s.is_current() => r.add("migrations", Status::Ok, format!("{} of {} applied", s.applied, s.known)),
        Ok(Some(s)) => {
            let list = |v: &[i64]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let mut found = vec![format!("{} of {} applied", s.applied, s.known)];
            if !s.unknown.is_empty() {
                found.push(format!("unknown to this build: {} (a newer build, or not ours)", list(&s.unknown)));
            }
            if !s.failed.is_empty() {
                found.push(format!("failed: {}", list(&s.failed)));
            }
            if !s.changed.is_empty() {
                found.push(format!("changed since applied: {}", list(&s.changed)));
            }
            if !s.pending.is_empty() {
                found.push(format!("pending: {} (the next start applies them)", list(&s.pending)));
            }
            r.add("migrations", Status::Failed, found.join("; "));
        }
        Err(e) => r.add("migrations", Status::Failed, crate::logging::error_chain(&e)),
    }
}

/// The audit chain, verified with the deployment's key up to its anchor.
async fn audit(config: &Config, store: &Store, r: &mut Report) {
    let path = config.audit_key_path();
    let rows = match store.audit_chain(ChainHead::START.next_seq, 1).await {
        Ok(rows) => rows,
        Err(e) => return r.add("audit chain", Status::Failed, crate::logging::error_chain(&e)),
    };
    if !path.exists() {
        let (status, detail) = if rows.is_empty() {
            (Status::Ok, "empty (no key yet)".to_owned())
        } else {
            (Status::Failed, format!("the key file {} is missing: the chain cannot be verified", path.display()))
        };
        return r.add("audit chain", status, detail);
    }
    // The file exists: it is read, never created here.
    let key = match crate::access::Auditor::load_or_create_key(&path) {
        Ok(k) => k,
        Err(e) => return r.add("audit chain", Status::Failed, e.to_string()),
    };
    let anchor = Anchor::new(&config.audit_anchor_path());
    let progress = Progress::new("verify the audit chain", None, "rows");
    let verified = verify_trail(store, &key, Some(&anchor), Some(&progress)).await;
    progress.finish();
    match verified {
        Ok(v) if v.ok => r.add("audit chain", Status::Ok, format!("{} rows verified up to the anchor", v.rows)),
        Ok(v) => {
            let at = v.chain_break.map(|b| format!("row {}: {}", b.index, b.kind)).unwrap_or_default();
            r.add("audit chain", Status::Failed, format!("broken after {} good rows at {at}", v.rows));
        }
        Err(e) => r.add("audit chain", Status::Failed, crate::logging::error_chain(&e)),
    }
}

/// The divisions and grids, their generation, and the index built from them.
async fn grids(store: &Store, r: &mut Report) {
    let counted = async {
        let Some(info) = store.dataset().await? else { return Ok::<_, StoreError>(None) };
        let (t, v, g) = (store.townships().await?.len(), store.villages().await?.len(), store.grids().await?.len());
        Ok(Some((info.dataset_id, t, v, g, store.current_generation().await?)))
    };
    match counted.await {
        Ok(None) => return r.add("grids", Status::Failed, "no dataset: the first start loads the geodata files"),
        Ok(Some((_, _, _, 0, _))) => return r.add("grids", Status::Failed, "the dataset holds no grids"),
        Ok(Some((id, t, v, g, generation))) => {
            r.add("grids", Status::Ok, format!("dataset {id}: {t} townships, {v} villages, {g} grids; generation {generation}"));
        }
        Err(e) => return r.add("grids", Status::Failed, crate::logging::error_chain(&e)),
    }
    let started = Instant::now();
    match LiveGrids::load(store).await {
        Ok(live) => r.add(
            "grid index",
            Status::Ok,
            format!("{} grids indexed in {} ms", live.index.load().grids().len(), started.elapsed().as_millis()),
        ),
        Err(e) => r.add("grid index", Status::Failed, crate::logging::error_chain(&e)),
    }
}

/// The accounts: how many, and whether the three administrators exist.
async fn accounts(store: &Store, r: &mut Report) {
    let accounts = match store.accounts().await {
        Ok(a) => a,
        Err(e) => return r.add("accounts", Status::Failed, crate::logging::error_chain(&e)),
    };
    let held = |role: Role| accounts.iter().filter(|a| !a.disabled && a.role.as_deref() == Some(role.as_str())).count();
    let admins = [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin];
    let missing: Vec<&str> = admins.iter().filter(|role| held(**role) == 0).map(|role| role.as_str()).collect();
    let people = store.people(&PersonFilter::default(), Page { page: 1, per_page: 1 }).await.map(|p| p.total).unwrap_or(0);
    let detail = format!("{} accounts ({} disabled), {people} people in the roster", accounts.len(), accounts.iter().filter(|a| a.disabled).count());
    if missing.is_empty() {
        r.add("accounts", Status::Ok, detail);
    } else {
        r.add("accounts", Status::Warning, format!("{detail}; no enabled {}: wangge admin bootstrap", missing.join(", ")));
    }
}
