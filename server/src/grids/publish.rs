//! Checking and publishing a boundary draft (发布边界): the draft read and checked by the pure
//! rules, its impact on events and bindings, and the publication that writes the next
//! generation, moves the open events and swaps the new grids in while serving.
//!
//! This module takes the pieces it needs ([`Drafting`]) and answers typed results and a
//! [`PublishError`]; the HTTP edge turns those into answers and problem JSON.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wangge_core::coord::Crs;
use wangge_core::draft::{self, Baseline, Options, Report};
use wangge_core::event::State as LoopState;
use wangge_core::people::Roster;
use wangge_core::wire::draft::{CheckAnswer, DraftProblem, DraftRequest, Impact, PublishAnswer};
use wangge_core::index::Amended;
use wangge_core::GridIndex;

use crate::grids::drafts::{self, Bindings, Changes, DraftError, HeavyError};
use crate::grids::catalog::{Catalog, COUNTY_CODE};
use crate::grids::live::{drop_aside, prepare_swap, reload_grids, LiveError, LiveGrids};
use crate::records::{EventFilter, EventPoint, EventRecord, Grid, Page, PointFilter};
use crate::store::{micros, Publication, Store, StoreError};

/// Why a draft was not checked or published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The draft's area or grids cannot be read (422).
    #[error(transparent)]
    Draft(#[from] DraftError),
    /// A coordinate system that is not known (422).
    #[error("crs must be cgcs2000 (EPSG:4490), wgs84 (EPSG:4326), gcj02 or bd09, got {0:?}")]
    Crs(String),
    /// A publication without its note (422).
    #[error("note is required: why the boundaries change (1 to 500 characters)")]
    Note,
    /// The area is outside the caller's jurisdiction (answered as not found).
    #[error("no area {0:?}")]
    Hidden(String),
    /// The check could not run: no turn, too complex, or a failed task.
    #[error(transparent)]
    Heavy(#[from] HeavyError),
    /// The draft has errors: nothing was published (422, with the problems).
    #[error("the draft has {} problem(s); nothing was published", .0.len())]
    Invalid(Vec<DraftProblem>),
    /// The store failed, or the area was published meanwhile.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The registry's records of the area could not be located again (nothing was published).
    #[error("cannot move the area's registry records: {0}")]
    Registry(#[source] crate::registry::Refused),
    /// Published, but the new grids could not be swapped in (a bug or a store failure).
    #[error("published, but swapping in the new grids failed: {0}")]
    Swap(#[source] LiveError),
}

/// What checking and publishing read and write through.
#[derive(Debug, Clone)]
pub struct Drafting<'a> {
    /// The store.
    pub store: &'a Store,
    /// The grids being served (read for the check, swapped on publication).
    pub live: LiveGrids,
    /// The roster now (who is bound where, who takes a moved event).
    pub roster: Arc<Roster>,
    /// The registry's keys (special-group members follow their person's grid).
    pub keys: &'a crate::access::FieldKeys,
}

/// What else learns of a publication: the roster's bindings and the live feed of events.
pub trait Followers {
    /// The roster as read again, not yet installed.
    type Roster: Send;
    /// The bindings were written: read the roster again (while the new grids are prepared).
    fn read_roster(&self) -> impl std::future::Future<Output = Result<Self::Roster, StoreError>> + Send;
    /// Install the roster read, right after the new grids.
    fn install_roster(&self, roster: Self::Roster);
    /// An open event moved to another grid (read back after the write).
    fn event_moved(&self, event: &EventRecord);
}

/// A draft read, checked and compared with the current grids.
pub struct Checked {
    /// Milliseconds spent checking: parsing (with the bindings), validating, the amended
    /// index's making past the validation, waiting for the area's events, the impact.
    timings: Vec<(&'static str, f64)>,
    area: String,
    grids: Vec<Grid>,
    report: Report,
    changes: Changes,
    impact: Impact,
    moves: Vec<(EventRecord, Grid)>,
    /// The area's bindings before and after.
    bindings: Bindings,
    /// The county's grids after publishing and where points fall on them.
    after: Option<After>,
    /// A whole-county draft that validated: the baseline of the grids it publishes.
    baseline: Option<Baseline>,
}

/// The county after publishing a draft that is publishable.
struct After {
    /// All its grids, in code order.
    grids: Vec<Grid>,
    /// The grid of any point: the live index less the draft's replaced and removed grids, with
    /// its new and changed ones.
    located: Amended,
    /// The county's new index, where it had to be built for `located` (else it is built
    /// beside the write).
    built: Option<Arc<GridIndex>>,
}

impl Checked {
    /// The answer of a check: publishable or not, the problems and the impact.
    pub fn answer(&self) -> CheckAnswer {
        CheckAnswer { impact: self.impact.clone(), problems: problems(&self.report), publishable: self.report.is_publishable() }
    }
}

/// The report's problems, each with its point and shape.
fn problems(report: &Report) -> Vec<DraftProblem> {
    report.problems.iter().map(DraftProblem::from).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Reads and checks `body` for the caller (`within` says which area codes they may edit): its
/// problems and what publishing it would change. The check runs on a blocking thread with a
/// heavy-work turn, within [`drafts::CHECK_BUDGET`]. A whole-county draft checked while the
/// live grids' validation as a whole is not known starts it, for the checks that follow.
pub async fn check(d: &Drafting<'_>, within: impl Fn(&str) -> bool, body: &DraftRequest) -> Result<Checked, PublishError> {
    let checked = check_draft(d, within, body).await?;
    let catalog = d.live.catalog.load();
    if checked.area == COUNTY_CODE && catalog.baseline().is_none() {
        validate_live_later(catalog);
    }
    Ok(checked)
}

/// [`check`], without starting the live grids' validation (a publication makes its own).
async fn check_draft(d: &Drafting<'_>, within: impl Fn(&str) -> bool, body: &DraftRequest) -> Result<Checked, PublishError> {
    let crs_text = body.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text).ok_or_else(|| PublishError::Crs(crs_text.to_owned()))?;
    let catalog = d.live.catalog.load();
    // The index the catalog was built with (they are swapped together, read apart: checked).
    let live_index = d.live.index.load();
    let area = drafts::area_code(&catalog, &body.area)?;
    if !within(&area) {
        return Err(PublishError::Hidden(area));
    }
    let started = Instant::now();
    // The area's events are read while the draft is parsed and checked; the check waits for
    // them only once the new index is built (they are needed for the impact alone).
    let reading = tokio::spawn({
        let (store, area) = (d.store.clone(), area.clone());
        async move { area_events(&store, &area).await }
    });
    let runtime = tokio::runtime::Handle::current();
    let read = drafts::parse_grids(&catalog, &body.grids, crs)
        .and_then(|grids| drafts::bindings(&d.roster, &area, &grids, &body.grids).map(|bindings| (grids, bindings)));
    let (grids, bindings) = match read {
        Ok(read) => read,
        Err(e) => {
            reading.abort();
            return Err(e.into());
        }
    };
    let parsed = started.elapsed();
    let task_bindings = bindings.clone();
    let task_area = area.clone();
    // A draft of the whole county is checked against the county as last validated, if known.
    let county = area == COUNTY_CODE;
    let prior = if county { catalog.baseline() } else { None };
    let checked = drafts::budgeted("check", move || {
        let t = Instant::now();
        // Where points fall after publishing is found beside the validation (two cores), from
        // the live index amended with the draft's changes; the county's new index is built
        // later, beside the write. Kept only if the draft is publishable.
        let (report, validated, (changes, after)) = std::thread::scope(|s| {
            let after = s.spawn(|| {
                let changes = drafts::changes(&catalog, &task_area, &grids);
                let all = drafts::county_after(&catalog, &task_area, &grids);
                let after = amend(&catalog, live_index, &changes, all);
                (changes, after)
            });
            let draft = drafts::draft(&catalog, &task_area, &grids);
            let (report, baseline) = match county {
                true => draft::validate_since(draft, prior.as_deref(), &Options::default()),
                false => (draft::validate(&draft, &Options::default()), None),
            };
            let validated = t.elapsed();
            // A panic there is the check's panic (the heavy-work turn answers it as such).
            ((report, baseline), validated, after.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        });
        let (report, baseline) = report;
        let built = t.elapsed();
        let mut waited = built;
        let after = after.filter(|_| report.is_publishable());
        // The impact needs the events read meanwhile (a blocking thread may wait on the runtime).
        let (impact, moves) = match &after {
            Some(after) => {
                let (open, points) = match runtime.block_on(reading) {
                    Ok(read) => read?,
                    Err(e) => return Err(PublishError::Heavy(HeavyError::Task { what: "check", source: e })),
                };
                waited = t.elapsed();
                drafts::impact(&after.located, &after.grids, &changes, &open, &points, &task_bindings)
            }
            None => {
                reading.abort();
                (Impact::default(), Vec::new())
            }
        };
        let timings = vec![
            ("validate", ms(validated)),
            ("amend", ms(built - validated)),
            ("read_events", ms(waited - built)),
            ("impact", ms(t.elapsed() - waited)),
        ];
        Ok((report, changes, impact, moves, grids, timings, after, baseline))
    })
    .await?;
    let (report, changes, impact, moves, grids, check_timings, after, baseline) = checked?;
    let mut timings = vec![("parse", ms(parsed))];
    timings.extend(check_timings);
    Ok(Checked { timings, area, grids, report, changes, impact, moves, bindings, after, baseline })
}

/// Where points fall on `all` (the county after publishing, with `changes` made to the
/// catalog's grids): the live index amended. Should the live index not be the catalog's (one was
/// swapped between their reads), the county's index is built in full instead. `None`: an
/// amended grid has a geometry the index refuses.
fn amend(catalog: &Catalog, live: Arc<GridIndex>, changes: &Changes, all: Vec<Grid>) -> Option<After> {
    let same = live.grids().len() == catalog.grids().len()
        && live.grids().iter().zip(catalog.grids()).all(|(r, g)| r.code == g.grid.code);
    if !same {
        let index = Arc::new(GridIndex::build(all.iter().map(drafts::grid_shape).collect()).ok()?);
        let located = Amended::new(index.clone(), |_| false, Vec::new()).ok()?;
        return Some(After { grids: all, located, built: Some(index) });
    }
    let retired: HashSet<&str> = changes.retired.iter().map(|g| g.code.as_str()).collect();
    let written = changes.written.iter().map(drafts::grid_shape).collect();
    let located = Amended::new(live, |r| retired.contains(r.code.as_str()), written).ok()?;
    Some(After { grids: all, located, built: None })
}

/// Validates the county's live grids as a whole on a blocking thread, once per catalog, when a
/// heavy-work turn is free: the baseline later whole-county drafts are checked against. Grids
/// that do not validate (say, edited in desktop GIS) are logged and leave no baseline.
fn validate_live_later(catalog: Arc<crate::grids::catalog::Catalog>) {
    if !catalog.claim_baseline() {
        return;
    }
    tokio::spawn(async move {
        let task = catalog.clone();
        let done = drafts::budgeted("validation of the live grids", move || {
            let grids: Vec<Grid> = task.grids().iter().map(|g| g.grid.clone()).collect();
            Baseline::validated(drafts::draft(&task, COUNTY_CODE, &grids), &Options::default())
        })
        .await;
        match done {
            Ok(Ok((baseline, _))) => catalog.set_baseline(Some(Arc::new(baseline))),
            Ok(Err(report)) => {
                let errors = report.errors().count();
                tracing::warn!(errors, "the live grids do not validate as a whole; whole-county drafts are checked in full");
                catalog.set_baseline(None);
            }
            Err(error) => {
                tracing::info!(%error, "the live grids were not validated now; tried again at the next check");
                catalog.release_baseline();
            }
        }
    });
}

/// The area's open events (in full: they may move), and where every event of it is.
async fn area_events(store: &Store, area: &str) -> Result<(Vec<EventRecord>, Vec<EventPoint>), StoreError> {
    let (township, village) = match area.len() {
        12 => (None, Some(area.to_owned())),
        9 => (Some(area.to_owned()), None),
        _ => (None, None),
    };
    let filter = EventFilter {
        states: vec![LoopState::Reported, LoopState::Assigned, LoopState::Accepted, LoopState::Handled, LoopState::Returned],
        township: township.clone(),
        village: village.clone(),
        ..EventFilter::default()
    };
    // The open events (paged) and every event's point are read side by side.
    let open = async {
        let mut open = Vec::new();
        for number in 1.. {
            let found = store.events(&filter, Page { page: number, per_page: 500 }).await?;
            let last = found.items.len() < 500;
            open.extend(found.items);
            if last {
                break;
            }
        }
        Ok::<_, StoreError>(open)
    };
    let where_ = PointFilter { categories: Vec::new(), from: None, to: None, township, village };
    let points = store.event_points(&where_);
    let (open, points) = tokio::join!(open, points);
    let (open, points) = (open?, points?);
    Ok((open, points))
}

/// A publication made: the answer, and what the audit row says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The answer.
    pub answer: PublishAnswer,
    /// The area published.
    pub area: String,
    /// `generation n: a added, r removed, s reshaped, m open events moved; note`.
    pub detail: String,
}

/// Publishes `body` for `publisher` (`within` says which area codes they may edit) at `now`:
/// checks it, writes the next generation with the bindings and the moved open events in one
/// transaction, swaps the new grids in, and tells `followers`.
pub async fn publish(
    d: &Drafting<'_>,
    followers: &impl Followers,
    within: impl Fn(&str) -> bool,
    publisher: &str,
    now: DateTime<Utc>,
    body: &DraftRequest,
) -> Result<Published, PublishError> {
    let note = body.note.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(PublishError::Note);
    }
    let c = check_draft(d, within, body).await?;
    if !c.report.is_publishable() {
        return Err(PublishError::Invalid(problems(&c.report)));
    }
    let roster = drafts::roster_after(&d.roster, &c.area, &c.bindings.after);
    let actor = format!("planner:{publisher}");
    let moves: Vec<_> = c.moves.iter().map(|(e, g)| drafts::move_event(e, g, &roster, &note, &actor, now)).collect();
    let before = d.live.catalog.load().grids().iter().filter(|g| g.grid.code.starts_with(&c.area)).count();
    // Registry records and special-group members of the area follow their points' grids.
    let t = Instant::now();
    let registry_moves = match &c.after {
        Some(after) => crate::registry::moves(d.store, d.keys, |lon, lat| after.located.code_at(lon, lat).map(str::to_owned), &c.area)
            .await
            .map_err(PublishError::Registry)?,
        None => Vec::new(),
    };
    let registry_ms = ms(t.elapsed());
    let publication = Publication {
        area_code: c.area.clone(),
        base_generation: body.base_generation,
        published_by: publisher.to_owned(),
        note: note.clone(),
        at_us: micros(now),
        grids_before: before,
        grids_after: c.grids.len(),
        retired: c.changes.retired,
        written: c.changes.written,
        moves,
        bindings: c.bindings.after.into_iter().collect(),
        registry_moves,
    };
    let t = Instant::now();
    // The county's new index, catalog and map layers are built while the publication is written
    // and, once it is committed, while the roster is read again; they are swapped in only after
    // the commit, and the roster right after them.
    let write = async {
        let generation = d.store.publish(&publication).await;
        let written = t.elapsed();
        let roster = match generation {
            Ok(_) => Some(followers.read_roster().await),
            Err(_) => None,
        };
        (generation, written, roster)
    };
    let (generation, written, roster, prepared) = match c.after {
        Some(After { grids, located, built }) => {
            // The amended index holds the live one (or the new one, if it had to be built).
            drop(located);
            // Not shared once `located` is dropped (were it, the index is built again).
            let index = built.and_then(|index| Arc::try_unwrap(index).ok());
            let ((generation, written, roster), prepared) =
                tokio::join!(write, prepare_swap(&d.live, grids, index, c.baseline));
            (generation?, written, roster, Some(prepared))
        }
        None => {
            let (generation, written, roster) = write.await;
            (generation?, written, roster, None)
        }
    };
    match prepared {
        Some(prepared) => drop_aside(prepared.map_err(PublishError::Swap)?.install(&d.live)),
        None => reload_grids(d.store, &d.live).await.map(|_| ()).map_err(PublishError::Swap)?,
    }
    if let Some(roster) = roster {
        followers.install_roster(roster?);
    }
    let mut timings = c.timings;
    timings.push(("registry", registry_ms));
    timings.push(("write", ms(written)));
    // Building the swap overlaps the write and the roster's reading: this is what it added
    // after the write.
    timings.push(("swap", ms(t.elapsed().saturating_sub(written))));
    let timings_ms: BTreeMap<String, f64> = timings.into_iter().map(|(k, v)| (k.to_owned(), (v * 10.0).round() / 10.0)).collect();
    for w in &publication.moves {
        if let Some(after) = d.store.event(&w.event_id).await? {
            followers.event_moved(&after);
        }
    }
    let detail = format!(
        "generation {generation}: {} added, {} removed, {} reshaped, {} open events moved; {note}",
        c.changes.added.len(),
        c.changes.removed.len(),
        c.changes.reshaped.len(),
        publication.moves.len()
    );
    let answer = PublishAnswer { generation, impact: c.impact, reassigned: publication.moves.len(), timings_ms };
    Ok(Published { answer, area: c.area, detail })
}
