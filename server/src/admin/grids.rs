//! `wangge admin export-grids | import-grids`: the boundaries written to a file as the HTTP
//! export writes them, and a planner's file read, checked and published through the boundary
//! drafts' flow ([`crate::grids::publish`]): the same budgets, checks, impact and generation.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use wangge_core::access::{AuditOutcome, Permission};
use wangge_core::coord::Crs;
use wangge_core::wire::draft::{CheckAnswer, DraftArea, DraftProblem, DraftRequest, GridCollection};

use super::{read_file, write_file, AdminError, Console, CONSOLE_USER};
use crate::config::AdminCommand;
use crate::formats::import::{self, MAX_FILE};
use crate::grids::catalog::COUNTY_CODE;
use crate::grids::export::{self, ExportFormat};
use crate::grids::live::LiveGrids;
use crate::grids::ogc::CollectionId;
use crate::grids::publish::{self, Drafting, Followers, PublishError};
use crate::progress::Progress;
use crate::records::EventRecord;
use crate::store::StoreError;

/// Runs a grid command.
pub(super) async fn run(console: &Console, command: &AdminCommand) -> Result<(), AdminError> {
    match command {
        AdminCommand::ExportGrids { to, format, collection, generation } => {
            export_grids(console, to, format.as_deref(), collection, *generation).await
        }
        AdminCommand::ImportGrids { from, format, crs, area, publish, note } => {
            let asked = Asked { format: format.as_deref(), crs: crs.as_deref(), area: area.as_deref(), publish: *publish, note: note.as_deref() };
            import_grids(console, from, &asked).await
        }
        _ => Err(AdminError::Refused("not a grid command".into())),
    }
}

/// The format asked for, else the one the file's name says.
fn format_of(asked: Option<&str>, path: &Path) -> Result<ExportFormat, AdminError> {
    match asked {
        Some(text) => ExportFormat::parse(text)
            .ok_or_else(|| AdminError::Refused(format!("format must be geojson, gpkg or shp.zip, got {text:?}"))),
        None => ExportFormat::of_file_name(&path.to_string_lossy()).ok_or_else(|| {
            AdminError::Refused(format!("cannot tell the format of {} from its name: name it with --format geojson|gpkg|shp.zip", path.display()))
        }),
    }
}

async fn export_grids(
    console: &Console,
    to: &Path,
    format: Option<&str>,
    collection: &str,
    generation: Option<i64>,
) -> Result<(), AdminError> {
    let format = format_of(format, to)?;
    let collection = CollectionId::parse(collection)
        .ok_or_else(|| AdminError::Refused(format!("collection must be grids, villages or townships, got {collection:?}")))?;
    let live = LiveGrids::load(&console.store).await.map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    let catalog = live.catalog.load();
    let file = format!("{}.{}", collection.as_str(), format.extension());
    let progress = Progress::new(format!("export {file}"), None, "features");
    let features = export::features_at(&console.store, &catalog, collection, generation, |_| true)
        .await
        .map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    progress.set(features.len() as u64);
    let bytes = export::write(collection, format, &features).await.map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    write_file(to, &bytes)?;
    progress.finish();
    let detail = format!("{} features of county, to {}", features.len(), to.display());
    console.audit(Permission::ExportData.as_str(), &format!("export:{file}"), AuditOutcome::Success, &detail).await?;
    println!("wrote {} {} ({} bytes) to {}", features.len(), collection.as_str(), bytes.len(), to.display());
    Ok(())
}

/// What `import-grids` was asked.
struct Asked<'a> {
    format: Option<&'a str>,
    crs: Option<&'a str>,
    area: Option<&'a str>,
    publish: bool,
    note: Option<&'a str>,
}

/// The console learns of nothing after a publication: it keeps no roster or feed in memory. A
/// server on PostGIS reloads the grids by itself; one on SQLite at its next start.
struct NoFollowers;

impl Followers for NoFollowers {
    type Roster = ();

    async fn read_roster(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn install_roster(&self, _roster: ()) {}

    fn event_moved(&self, _event: &EventRecord) {}
}

async fn import_grids(console: &Console, from: &Path, asked: &Asked<'_>) -> Result<(), AdminError> {
    let format = format_of(asked.format, from)?;
    let crs = match asked.crs {
        None => None,
        Some(text) => Some(Crs::parse(text).ok_or_else(|| AdminError::Refused(format!("crs must be cgcs2000, wgs84, gcj02 or bd09, got {text:?}")))?),
    };
    let bytes = read_file(from, MAX_FILE)?;
    let imported = Progress::around(format!("read {}", from.display()), import::read(format.extension(), bytes.into(), crs))
        .await
        .map_err(|e| AdminError::Refused(format!("{}: {e}", from.display())))?;
    let count = imported.grids.features.len();
    if count == 0 {
        return Err(AdminError::Refused(format!("{} holds no grids", from.display())));
    }
    let area = match asked.area {
        Some(code) => area_named(code)?,
        None => area_of(&imported.grids),
    };
    println!("read {count} grids from {} ({}); area {}", from.display(), imported.crs, area_text(&area));
    let live = LiveGrids::load(&console.store).await.map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    let roster = Arc::new(console.store.load_roster().await?);
    let keys = console.registry_keys(false).await?;
    let drafting = Drafting { store: &console.store, live, roster, keys: &keys };
    let body = DraftRequest {
        base_generation: console.store.current_generation().await?,
        area,
        grids: imported.grids,
        crs: Some("cgcs2000".into()),
        note: asked.note.map(str::to_owned),
    };
    let checked = Progress::around("check the draft", publish::check(&drafting, |_| true, &body)).await.map_err(refused)?;
    let answer = checked.answer();
    print_check(&answer);
    if !answer.publishable {
        let errors = answer.problems.iter().filter(|p| is_error(p)).count();
        return Err(AdminError::Refused(format!("the draft has {errors} error(s); nothing was published")));
    }
    let i = &answer.impact;
    if i.added.is_empty() && i.removed.is_empty() && i.reshaped.is_empty() && i.bindings_added == 0 && i.bindings_dropped == 0 {
        println!("no changes: the file matches the current grids of the area; nothing to publish");
        return Ok(());
    }
    if !asked.publish {
        println!("checked; nothing was published (add --publish --note \"why\" to publish it)");
        return Ok(());
    }
    let object = format!("area:{}", area_text(&body.area));
    let work = async {
        let p = Progress::around("publish", publish::publish(&drafting, &NoFollowers, |_| true, CONSOLE_USER, Utc::now(), &body))
            .await
            .map_err(refused)?;
        let detail = p.detail.clone();
        Ok::<_, AdminError>((p, detail))
    };
    let p = console.change(Permission::EditGrids.as_str(), &object, work).await?;
    println!(
        "published generation {}: {} added, {} removed, {} reshaped, {} open events moved",
        p.answer.generation,
        p.answer.impact.added.len(),
        p.answer.impact.removed.len(),
        p.answer.impact.reshaped.len(),
        p.answer.reassigned
    );
    if console.store.backend() == "sqlite" {
        println!("a server running on this SQLite file serves the new grids from its next start");
    }
    Ok(())
}

/// A publication's refusal as the operator reads it; the draft's problems one per line.
fn refused(e: PublishError) -> AdminError {
    match e {
        PublishError::Invalid(problems) => {
            problems.iter().for_each(print_problem);
            AdminError::Refused(format!("the draft has {} problem(s); nothing was published", problems.len()))
        }
        other => AdminError::Refused(crate::logging::error_chain(&other)),
    }
}

fn is_error(p: &DraftProblem) -> bool {
    p.severity == wangge_core::draft::Severity::Error
}

fn print_check(answer: &CheckAnswer) {
    answer.problems.iter().for_each(print_problem);
    let i = &answer.impact;
    println!(
        "check: {} error(s), {} warning(s); {} added, {} removed, {} reshaped; {} open and {} past events move; {} gridworkers affected",
        answer.problems.iter().filter(|p| is_error(p)).count(),
        answer.problems.iter().filter(|p| !is_error(p)).count(),
        i.added.len(),
        i.removed.len(),
        i.reshaped.len(),
        i.open_events_moved,
        i.past_events_moved,
        i.gridworkers_affected
    );
}

fn print_problem(p: &DraftProblem) {
    let kind = serde_json::to_value(p.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let severity = if is_error(p) { "error" } else { "warning" };
    let at = p.point.map(|[x, y]| format!(" at {x:.6},{y:.6}")).unwrap_or_default();
    let grids = if p.grids.is_empty() { String::new() } else { format!(" [{}]", p.grids.join(", ")) };
    println!("  {severity} {kind}{grids}{at}: {}", p.message);
}

/// The area a code names: a village (12 digits), a township (9) or the county (6).
fn area_named(code: &str) -> Result<DraftArea, AdminError> {
    match code.len() {
        12 => Ok(DraftArea::village(code)),
        9 => Ok(DraftArea::township(code)),
        6 => Ok(DraftArea { county: Some(code.to_owned()), ..DraftArea::default() }),
        _ => Err(AdminError::Refused(format!("area must be a village (12 digits), township (9) or the county's code (6), got {code:?}"))),
    }
}

/// The smallest area holding every grid of the file: their one village, their one township,
/// else the county.
fn area_of(grids: &GridCollection) -> DraftArea {
    let of = |pick: fn(&wangge_core::wire::draft::GridProperties) -> Option<&String>| -> BTreeSet<String> {
        grids.features.iter().filter_map(|f| f.properties.as_ref().and_then(pick).cloned()).collect()
    };
    let villages = of(|p| p.village_code.as_ref());
    let townships = of(|p| p.township_code.as_ref());
    match (villages.len(), townships.len()) {
        (1, _) => DraftArea::village(villages.into_iter().next().unwrap_or_default()),
        (_, 1) => DraftArea::township(townships.into_iter().next().unwrap_or_default()),
        _ => DraftArea { county: Some(COUNTY_CODE.to_owned()), ..DraftArea::default() },
    }
}

fn area_text(area: &DraftArea) -> String {
    area.village.clone().or_else(|| area.township.clone()).or_else(|| area.county.clone()).unwrap_or_default()
}
