//! The demo county's roster and its 2023 events, written once into a store that holds no
//! people and no events: each event's generated steps are replayed through the closed loop
//! with the service's calendar, so its state, holder, deadlines, seq and timeline are exactly
//! what live transitions would have stored.

mod accounts;
pub mod budget;
pub mod disputes;
mod patrols;
mod population;

pub use accounts::{ensure_demo_accounts, DemoAccount, DEMO_PASSWORD};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::json;
use wangge_core::calendar::WorkingCalendar;
use wangge_core::event::{Loop, State, TransitionError};
use wangge_core::people::{GridPlace, Person, Roster};
use wangge_core::{GridIndex, IndexError};
use wangge_geodata::demo::{self, DemoError, DemoEvent, GridRef};

use crate::grids::catalog::grid_shape;
use crate::records::Grid;
use crate::records::{Channel, EventFilter, EventRecord, NewEvent, Page, Place, Reporter, ReporterKind, TimelineEntry};
use crate::records::PersonFilter;
use crate::events::rules::{Rules, RulesError};
use crate::store::{Store, StoreError};
use crate::events::transitions::payload;
use crate::progress::Progress;
pub use population::{load_population_if_empty, PopulationInputs};

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoLoadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The calendar or routing could not be loaded.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// The grid index could not be built from the stored grids.
    #[error("cannot build the grid index for the demo")]
    Index(#[source] IndexError),
    /// The generator failed.
    #[error("cannot generate the demo year")]
    Generate(#[source] DemoError),
    /// A generated event does not replay or has an unknown field.
    #[error("demo event {report_id}: {reason}")]
    Event {
        /// The event's report id.
        report_id: String,
        /// What is wrong.
        reason: String,
    },
    /// The generator task died.
    #[error("the demo generator task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// What was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// People written.
    pub people: usize,
    /// Events written.
    pub events: usize,
    /// Timeline rows written.
    pub timeline_rows: usize,
}

/// The store fact saying that the demo county was loaded into this store: only such a store
/// gets the demo accounts with their published password.
pub const DEMO_FACT: &str = "demo";

/// Loads the demo roster and year unless the store already holds events or people of its own
/// (so a restart never loads it twice); `None` when it was skipped. A load interrupted after the
/// roster was written (it and the events are two transactions) resumes with the events.
pub async fn load_if_empty(store: &Store) -> Result<Option<Loaded>, DemoLoadError> {
    let one = Page { page: 1, per_page: 1 };
    let people = store.people(&PersonFilter::default(), one).await?.total;
    let events = store.events(&EventFilter::default(), one).await?.total;
    if events > 0 {
        tracing::info!(people, events, "store already holds events; demo not loaded");
        return Ok(None);
    }
    let started = Instant::now();
    let progress = Progress::new("demo county", Some(4), "steps");
    progress.stage("roster");
    let grids = store.grids().await?;
    let roster = demo::roster(&grid_refs(&grids));
    if people == 0 {
        // Recorded first: a load interrupted after this point resumes as the demo.
        store.set_store_fact(DEMO_FACT, "loaded").await?;
        store.insert_people(&roster).await?;
    } else if !is_demo_roster(store, &roster, people).await? {
        tracing::info!(people, "store already holds its own people; demo not loaded");
        return Ok(None);
    } else {
        store.set_store_fact(DEMO_FACT, "loaded").await?;
        tracing::info!(people, "demo roster present without its events (interrupted load); resuming");
    }
    progress.inc(1);
    progress.stage("2023 events");
    let rules = Rules::load(store).await?;
    let (roster, calendar) = (rules.roster(), rules.calendar());
    let events = tokio::task::spawn_blocking(move || generate(&grids, &roster, &calendar)).await??;
    progress.inc(1);
    progress.stage("storing the events");
    let loaded = Loaded {
        people: rules.roster().people().len(),
        events: events.len(),
        timeline_rows: events.iter().map(|e| e.timeline.len()).sum(),
    };
    store.insert_events(&events).await?;
    let events_done = started.elapsed().as_secs_f64();
    progress.inc(1);
    progress.stage("2023 patrols");
    // The year's patrols: generated and located off the async threads, then one transaction.
    let (grids, roster, calendar) = (store.grids().await?, rules.roster(), rules.calendar());
    let loads = tokio::task::spawn_blocking(move || patrols::year(&grids, &roster, &calendar)).await??;
    let (patrols, points, checkins) = store.load_patrols(&loads, chrono::Utc::now()).await?;
    progress.inc(1);
    progress.finish();
    tracing::info!(
        people = loaded.people,
        events = loaded.events,
        timeline_rows = loaded.timeline_rows,
        patrols,
        points,
        checkins,
        events_secs = events_done,
        secs = started.elapsed().as_secs_f64(),
        "demo roster, 2023 events and 2023 patrols loaded"
    );
    Ok(Some(loaded))
}

/// Whether the stored people are exactly the demo roster (same count, first and last ids).
async fn is_demo_roster(store: &Store, roster: &[Person], stored: i64) -> Result<bool, DemoLoadError> {
    if usize::try_from(stored).ok() != Some(roster.len()) {
        return Ok(false);
    }
    for p in [roster.first(), roster.last()].into_iter().flatten() {
        if store.person(&p.id).await?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn grid_refs(grids: &[Grid]) -> Vec<GridRef<'_>> {
    grids
        .iter()
        .map(|g| GridRef {
            code: &g.code,
            kind: g.kind,
            village: &g.village_code,
            township: &g.township_code,
            parent_grid: g.parent_grid.as_deref(),
        })
        .collect()
}

/// The year's events, each replayed into the rows a live intake and its transitions store.
fn generate(grids: &[Grid], roster: &Arc<Roster>, cal: &WorkingCalendar) -> Result<Vec<NewEvent>, DemoLoadError> {
    Generator::new(grids)?.year(roster, cal, &demo::YearPlan::county_2023())
}

/// Generates years of events over a store's grids, as stored rows (the benchmarks' province-
/// years: [`demo::YearPlan::scaled`]).
#[derive(Debug)]
pub struct Generator {
    index: GridIndex,
    parents: HashMap<String, String>,
}

impl Generator {
    /// Over these grids.
    pub fn new(grids: &[Grid]) -> Result<Self, DemoLoadError> {
        let index = GridIndex::build(grids.iter().map(grid_shape).collect()).map_err(DemoLoadError::Index)?;
        let parents = grids.iter().filter_map(|g| Some((g.code.clone(), g.parent_grid.clone()?))).collect();
        Ok(Self { index, parents })
    }

    /// One year by `plan`, each event replayed into the rows a live intake and its transitions
    /// store.
    pub fn year(&self, roster: &Roster, cal: &WorkingCalendar, plan: &demo::YearPlan) -> Result<Vec<NewEvent>, DemoLoadError> {
        let year = demo::year(&self.index, &self.parents, roster, cal, plan).map_err(DemoLoadError::Generate)?;
        year.iter().map(|e| replay(e, &self.index, &self.parents, roster, cal)).collect()
    }
}

/// One generated event as stored: its `reported` row, then one row per step.
fn replay(
    e: &DemoEvent,
    index: &GridIndex,
    parents: &HashMap<String, String>,
    roster: &Roster,
    cal: &WorkingCalendar,
) -> Result<NewEvent, DemoLoadError> {
    let bad = |reason: String| DemoLoadError::Event { report_id: e.report_id.clone(), reason };
    let g = index.grids().get(e.grid).ok_or_else(|| bad(format!("no grid at index {}", e.grid)))?;
    let place = Place { grid: g.code.clone(), village: g.village.code.clone(), township: g.township.code.clone() };
    let kind = ReporterKind::parse(e.reporter_kind).ok_or_else(|| bad(format!("reporter kind {:?}", e.reporter_kind)))?;
    let channel = Channel::parse(e.channel).ok_or_else(|| bad(format!("channel {:?}", e.channel)))?;
    let grid_place = GridPlace {
        grid: &place.grid,
        parent_grid: parents.get(&place.grid).map(String::as_str),
        village: &place.village,
        township: &place.township,
    };
    let reporter_person = e.reporter_person_id.as_deref().and_then(|id| roster.get(id));
    let patrol_flag = reporter_person.is_some_and(|p| roster.outside_own_grids(p, grid_place));
    let actor = e.reporter_person_id.clone().unwrap_or_else(|| kind.as_str().to_owned());
    let mut timeline = vec![TimelineEntry {
        seq: 1,
        at: e.reported_at,
        actor,
        tier: None,
        action: "reported".into(),
        payload: json!({ "channel": channel.as_str(), "input_crs": "cgcs2000", "patrol_flag": patrol_flag }),
        state_after: State::Reported,
        holder_after: None,
    }];
    let mut flow = Loop::new(e.complexity);
    let mut closed_at: Option<DateTime<Utc>> = None;
    for step in &e.steps {
        let next = flow.apply(&step.action, step.at, cal).map_err(|err: TransitionError| bad(err.to_string()))?;
        closed_at = if next.state.is_closed() { closed_at.or(Some(step.at)) } else { None };
        timeline.push(TimelineEntry {
            seq: i64::try_from(timeline.len() + 1).unwrap_or(i64::MAX),
            at: step.at,
            actor: step.actor.clone(),
            tier: flow.tier(),
            action: step.action.name().to_owned(),
            payload: payload(&step.action, None),
            state_after: next.state,
            holder_after: next.holder.clone(),
        });
        flow = next;
    }
    let updated_at = e.steps.last().map_or(e.reported_at, |s| s.at);
    let event = EventRecord {
        event_id: String::new(),
        report_id: e.report_id.clone(),
        // Not a report as sent: no retry of it can match.
        fingerprint: "demo".into(),
        category: e.category,
        subcategory: Some(e.subcategory.to_owned()),
        description: e.description.clone(),
        location: e.location,
        place,
        reporter: Reporter {
            kind,
            person_id: e.reporter_person_id.clone(),
            name: e.reporter_name.clone(),
            phone: e.reporter_phone.clone(),
        },
        channel,
        flow,
        patrol_flag,
        seq: i64::try_from(timeline.len()).unwrap_or(i64::MAX),
        reported_at: e.reported_at,
        updated_at,
        closed_at,
    };
    Ok(NewEvent { event, timeline, attachments: Vec::new(), audit: None })
}
