//! `wangge admin export-registry | import-registry`: a kind of registry record written to a
//! spreadsheet as the HTTP export writes it (personal data masked), and a spreadsheet imported
//! by the HTTP import's parser, budgets and row checks ([`crate::registry::sheets`]): nothing
//! stored unless every row is good, every problem printed with its row.

use std::path::Path;
use std::sync::atomic::AtomicUsize;

use chrono::Utc;
use wangge_core::access::{AuditOutcome, Permission};
use wangge_core::registry::Entity;

use super::{read_file, write_file, AdminError, Console, CONSOLE_USER};
use crate::config::AdminCommand;
use crate::grids::live::LiveGrids;
use crate::progress::Progress;
use crate::records::{Page, RegistryFilter};
use crate::registry::sheets::{self, SheetError, SheetFormat};
use crate::registry::Desk;

/// Runs a registry command.
pub(super) async fn run(console: &Console, command: &AdminCommand) -> Result<(), AdminError> {
    match command {
        AdminCommand::ExportRegistry { kind, to, township } => export(console, entity(kind)?, to, township.as_deref()).await,
        AdminCommand::ImportRegistry { kind, from } => import(console, entity(kind)?, from).await,
        _ => Err(AdminError::Refused("not a registry command".into())),
    }
}

fn entity(kind: &str) -> Result<Entity, AdminError> {
    Entity::parse(kind)
        .ok_or_else(|| AdminError::Refused(format!("no registry kind {kind:?}: houses, households, people, organisations or places")))
}

/// The spreadsheet format a file's name says.
fn format_of(path: &Path) -> Result<SheetFormat, AdminError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".xlsx") {
        Ok(SheetFormat::Xlsx)
    } else if name.ends_with(".csv") {
        Ok(SheetFormat::Csv)
    } else {
        Err(AdminError::Refused(format!("{} must end in .xlsx or .csv", path.display())))
    }
}

fn sheet_error(e: SheetError) -> AdminError {
    match e {
        SheetError::Rows { problems, total } => {
            for p in &problems {
                let column = p.column.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
                println!("  row {}{column}: {}", p.row, p.reason);
            }
            if total > problems.len() {
                println!("  … and {} more", total - problems.len());
            }
            AdminError::Refused(format!("{total} problem(s) in the spreadsheet; nothing was imported"))
        }
        other => AdminError::Refused(crate::logging::error_chain(&other)),
    }
}

async fn export(console: &Console, e: Entity, to: &Path, township: Option<&str>) -> Result<(), AdminError> {
    let format = format_of(to)?;
    if township.is_some_and(|t| t.len() != 9 || !t.bytes().all(|b| b.is_ascii_digit())) {
        return Err(AdminError::Refused("township must be a 9-digit code".into()));
    }
    let filter = RegistryFilter { entity: Some(e), township: township.map(str::to_owned), ..RegistryFilter::default() };
    let total = console.store.records(&filter, Page { page: 1, per_page: 1 }).await?.total;
    if total > i64::from(sheets::MAX_EXPORT) {
        return Err(AdminError::Refused(format!(
            "{total} {}; at most {} in one export: export one township at a time (--township)",
            e.plural(),
            sheets::MAX_EXPORT
        )));
    }
    let progress = Progress::new(format!("export {}", e.plural()), u64::try_from(total).ok(), "records");
    let records = console.store.all_records(&filter, sheets::MAX_EXPORT).await?;
    let n = records.len();
    let bytes = tokio::task::spawn_blocking(move || sheets::export_as(e, &records, format))
        .await
        .map_err(|e| AdminError::Task(e.to_string()))?
        .map_err(sheet_error)?;
    progress.set(n as u64);
    write_file(to, &bytes)?;
    progress.finish();
    let detail = format!("{n} rows, masked, to {}", to.display());
    console.audit(Permission::ExportData.as_str(), &format!("registry:{}", e.plural()), AuditOutcome::Success, &detail).await?;
    println!("wrote {n} {} to {} (personal data masked)", e.plural(), to.display());
    Ok(())
}

async fn import(console: &Console, e: Entity, from: &Path) -> Result<(), AdminError> {
    let format = format_of(from)?;
    let bytes = read_file(from, sheets::MAX_BYTES)?;
    let (header, rows) = tokio::task::spawn_blocking(move || sheets::read(&bytes, format))
        .await
        .map_err(|e| AdminError::Task(e.to_string()))?
        .map_err(sheet_error)?;
    let live = LiveGrids::load(&console.store).await.map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    let (index, catalog) = (live.index.load(), live.catalog.load());
    let keys = console.registry_keys(true).await?;
    let desk = Desk { store: &console.store, keys: &keys, index: &index, villages: catalog.villages(), actor: CONSOLE_USER, now: Utc::now() };
    let progress = Progress::new(format!("import {}", e.plural()), Some(rows.len() as u64), "rows");
    let checked = AtomicUsize::new(0);
    let work = async {
        let importing = sheets::import(&desk, e, &header, &rows, &checked);
        tokio::pin!(importing);
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        let outcome = loop {
            tokio::select! {
                outcome = &mut importing => break outcome,
                _ = tick.tick() => progress.set(checked.load(std::sync::atomic::Ordering::Relaxed) as u64),
            }
        };
        progress.set(checked.load(std::sync::atomic::Ordering::Relaxed) as u64);
        progress.finish();
        let stored = outcome.map_err(sheet_error)?;
        Ok::<_, AdminError>((stored, format!("{stored} rows from {}", from.display())))
    };
    let stored = console.change(Permission::ImportRegistry.as_str(), &format!("registry:{}", e.plural()), work).await?;
    println!("imported {stored} {} from {}", e.plural(), from.display());
    Ok(())
}
