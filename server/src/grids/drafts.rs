//! Boundary drafts (边界草稿): a redrawn area read from GeoJSON (from the editor or an imported
//! file), checked by the pure rules of [`wangge_core::draft`], its impact on events and
//! people, and the publication that makes it the next generation.

use crate::formats::limits::{MAX_DRAFT_VERTICES, MAX_GRIDS};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use geo::MultiPolygon;
use serde::Deserialize;
use serde_json::Value;
use wangge_core::coord::Crs;
pub use wangge_core::wire::draft::{Impact, Moved};
use wangge_core::wire::draft::{DraftArea, GridCollection, GridFeature, GridProperties};
use wangge_core::draft::{self, Division, Draft, DraftGrid};
use wangge_core::event::{Holder, Tier};
use wangge_core::people::{GridPlace, Roster};
use wangge_core::{GridKind, LonLat};

pub use crate::grids::catalog::grid_shape;

use crate::grids::catalog::Catalog;
use crate::records::Grid;
use crate::records::{EventRecord, Regrid, TimelineEntry, TransitionWrite};


/// Most vertices of one grid (the county's largest grid has under 200, its largest township
/// under 1,200): the check's work grows faster than the vertex count.
pub const MAX_GRID_VERTICES: usize = 100_000;


/// Most vertices of a line drawn to split a grid (the split compares every segment of the line
/// with every edge of the grid).
pub const MAX_LINE_VERTICES: usize = 1_000;

/// Why a draft cannot even be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// The area is not a village or township of the county.
    #[error("area must be {{\"village\": code}} or {{\"township\": code}} of the county; {0}")]
    Area(String),
    /// The grids are not a FeatureCollection of polygons with the grid properties.
    #[error("grids: {0}")]
    Grids(String),
}

/// The area a draft redraws: a village (12 digits), township (9 digits) or the whole county
/// (`{"county": "130730"}`).
pub fn area_code(catalog: &Catalog, area: &DraftArea) -> Result<String, DraftError> {
    let bad = |m: &str| DraftError::Area(m.to_owned());
    let (kind, code) = match (area.village.as_deref(), area.township.as_deref(), area.county.as_deref()) {
        (Some(v), None, None) => ("village", v),
        (None, Some(t), None) => ("township", t),
        (None, None, Some(c)) => ("county", c),
        _ => return Err(bad("name exactly one of village, township or county")),
    };
    let known = match kind {
        "village" => catalog.villages().iter().any(|v| v.code == code),
        "township" => catalog.townships().iter().any(|t| t.code == code),
        _ => code == crate::grids::catalog::COUNTY_CODE,
    };
    if known {
        Ok(code.to_owned())
    } else {
        Err(DraftError::Area(format!("no {kind} with code {code:?}")))
    }
}

/// The draft's grids from a GeoJSON FeatureCollection (properties `code`, `name`, `kind`,
/// `village_code`, `township_code`, `parent_grid`), coordinates converted from `crs`.
pub fn parse_grids(catalog: &Catalog, grids: &GridCollection, crs: Crs) -> Result<Vec<Grid>, DraftError> {
    let bad = |m: String| DraftError::Grids(m);
    if grids.kind != wangge_core::wire::draft::FEATURE_COLLECTION {
        return Err(bad("expected a GeoJSON FeatureCollection".into()));
    }
    let features = &grids.features;
    if features.len() > MAX_GRIDS {
        return Err(bad(format!("at most {MAX_GRIDS} grids per draft, got {}", features.len())));
    }
    let mut total = 0usize;
    for (i, f) in features.iter().enumerate() {
        let n = vertex_count(&f.geometry);
        if n > MAX_GRID_VERTICES {
            return Err(bad(format!("feature {i}: {n} vertices; at most {MAX_GRID_VERTICES} per grid")));
        }
        total += n;
    }
    if total > MAX_DRAFT_VERTICES {
        return Err(bad(format!("{total} vertices in all; at most {MAX_DRAFT_VERTICES} per draft")));
    }
    let names: HashMap<&str, &str> = catalog
        .townships()
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .chain(catalog.villages().iter().map(|v| (v.code.as_str(), v.name.as_str())))
        .collect();
    let known = draft::KnownAreas::new(catalog.grids().iter().map(|g| (&g.grid.geometry, g.grid.area_km2)));
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let at = |m: String| bad(format!("feature {i}: {m}"));
            let props = f.properties.as_ref().ok_or_else(|| at("no properties".into()))?;
            let need = |k: &str, v: &Option<String>| v.clone().ok_or_else(|| at(format!("property {k} is missing")));
            let kind_text = need("kind", &props.kind)?;
            let kind = GridKind::parse(&kind_text)
                .ok_or_else(|| at(format!("kind must be community, rural or street_unit, got {kind_text:?}")))?;
            if f.geometry.is_null() {
                return Err(at("no geometry".into()));
            }
            let geometry = multipolygon(&f.geometry, crs).map_err(at)?;
            let (village_code, township_code) = (need("village_code", &props.village_code)?, need("township_code", &props.township_code)?);
            Ok(Grid {
                code: need("code", &props.code)?,
                name: need("name", &props.name)?,
                kind,
                village_name: names.get(village_code.as_str()).map_or_else(String::new, |n| (*n).to_owned()),
                township_name: names.get(township_code.as_str()).map_or_else(String::new, |n| (*n).to_owned()),
                village_code,
                township_code,
                parent_grid: props.parent_grid.clone(),
                area_km2: known.area_km2(&geometry),
                geometry,
            })
        })
        .collect()
}

/// The number of positions in a GeoJSON geometry's coordinates, counted without reading them.
pub fn vertex_count(geometry: &Value) -> usize {
    fn positions(v: &Value, depth: usize) -> usize {
        match v {
            Value::Array(items) if depth < 4 && items.first().is_some_and(Value::is_array) => {
                items.iter().map(|x| positions(x, depth + 1)).sum()
            }
            Value::Array(_) => 1,
            _ => 0,
        }
    }
    geometry.get("coordinates").map_or(0, |c| match c {
        Value::Array(items) => items.iter().map(|x| positions(x, 1)).sum(),
        _ => 0,
    })
}

/// A GeoJSON Polygon or MultiPolygon as a MultiPolygon in CGCS2000 lon/lat. Non-finite
/// numbers pass through (the draft's check reports them with their place); a coordinate that
/// is not a number is refused here.
pub fn multipolygon(geometry: &Value, crs: Crs) -> Result<MultiPolygon<f64>, String> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or_default();
    let coords = geometry.get("coordinates").ok_or("the geometry has no coordinates")?;
    let ring = |r: &Value| -> Result<geo::LineString<f64>, String> {
        let points = r.as_array().ok_or("a ring is not an array")?;
        points
            .iter()
            .map(|p| {
                let xy = p.as_array().filter(|a| a.len() >= 2).ok_or("a position is not [lon, lat]")?;
                let (x, y) = (number(&xy[0])?, number(&xy[1])?);
                Ok(convert(x, y, crs))
            })
            .collect::<Result<Vec<_>, String>>()
            .map(geo::LineString::from)
    };
    let polygon = |p: &Value| -> Result<geo::Polygon<f64>, String> {
        let rings = p.as_array().ok_or("a polygon is not an array of rings")?;
        let (shell, holes) = rings.split_first().ok_or("a polygon has no ring")?;
        Ok(geo::Polygon::new(ring(shell)?, holes.iter().map(ring).collect::<Result<_, _>>()?))
    };
    match kind {
        "Polygon" => Ok(MultiPolygon(vec![polygon(coords)?])),
        "MultiPolygon" => {
            let parts = coords.as_array().ok_or("a MultiPolygon is not an array")?;
            Ok(MultiPolygon(parts.iter().map(polygon).collect::<Result<_, _>>()?))
        }
        other => Err(format!("the geometry must be a Polygon or MultiPolygon, got {other:?}")),
    }
}

/// A JSON number; `"NaN"`/`"Infinity"` strings are taken as the non-finite numbers they name
/// so that the check can report them where they are.
fn number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "a coordinate is not a number".to_owned()),
        Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => Ok(s.parse().unwrap_or(f64::NAN)),
        Value::Null => Ok(f64::NAN),
        _ => Err("a coordinate is not a number".to_owned()),
    }
}

fn convert(x: f64, y: f64, crs: Crs) -> geo::Coord<f64> {
    match LonLat::from_crs(x, y, crs) {
        Ok(p) => geo::Coord { x: p.lon, y: p.lat },
        Err(_) => geo::Coord { x, y },
    }
}

/// The draft to check: the area's boundary, the divisions the grids name, and the codes used
/// outside the area.
pub fn draft(catalog: &Catalog, area: &str, grids: &[Grid]) -> Draft {
    let village_of = |code: &str| catalog.villages().iter().find(|v| v.code == code);
    let township_of = |code: &str| catalog.townships().iter().find(|t| t.code == code);
    let division = |code: &str, geometry: &MultiPolygon<f64>| Division { code: code.to_owned(), geometry: geometry.clone() };
    let area_divisions: Vec<Division> = match area.len() {
        12 => village_of(area).map(|v| division(&v.code, &v.geometry)).into_iter().collect(),
        9 => township_of(area).map(|t| division(&t.code, &t.geometry)).into_iter().collect(),
        // The whole county: the union of its townships.
        _ => catalog.townships().iter().map(|t| division(&t.code, &t.geometry)).collect(),
    };
    let village_codes: BTreeSet<&str> = grids.iter().map(|g| g.village_code.as_str()).collect();
    let township_codes: BTreeSet<&str> = grids.iter().map(|g| g.township_code.as_str()).collect();
    Draft {
        area: area_divisions,
        villages: village_codes.into_iter().filter_map(village_of).map(|v| division(&v.code, &v.geometry)).collect(),
        townships: township_codes.into_iter().filter_map(township_of).map(|t| division(&t.code, &t.geometry)).collect(),
        grids: grids.iter().map(draft_grid).collect(),
        outside_codes: catalog.grids().iter().map(|g| g.grid.code.clone()).filter(|c| !c.starts_with(area)).collect(),
    }
}

/// A grid as a draft's grid.
pub fn draft_grid(g: &Grid) -> DraftGrid {
    DraftGrid {
        code: g.code.clone(),
        name: g.name.clone(),
        kind: g.kind,
        village_code: g.village_code.clone(),
        township_code: g.township_code.clone(),
        parent_grid: g.parent_grid.clone(),
        geometry: g.geometry.clone(),
    }
}

/// The pure part of a draft check, for tools and fuzzing: a check body's `area`, `grids` and
/// `crs` read and validated as `POST /api/v1/drafts/check` does, without the events, people and
/// impact (which need the store). Blocks on CPU: bounded by the vertex caps.
pub fn validate_json(catalog: &Catalog, body: &[u8]) -> Result<draft::Report, DraftError> {
    /// The members of a check body the pure check reads (the others are ignored).
    #[derive(Deserialize)]
    struct Checked {
        #[serde(default)]
        area: DraftArea,
        #[serde(default)]
        grids: Option<GridCollection>,
        #[serde(default)]
        crs: Option<String>,
    }
    let body: Checked = serde_json::from_slice(body).map_err(|e| DraftError::Grids(e.to_string()))?;
    let crs_text = body.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text).ok_or_else(|| DraftError::Grids(format!("crs {crs_text:?} is not known")))?;
    let area = area_code(catalog, &body.area)?;
    let grids = body.grids.ok_or_else(|| DraftError::Grids("expected a GeoJSON FeatureCollection".into()))?;
    let grids = parse_grids(catalog, &grids, crs)?;
    Ok(draft::validate(&draft(catalog, &area, &grids), &draft::Options::default()))
}

/// The county's grids as they were in generation `n`: each grid's version valid then (a grid
/// never redrawn has been current since generation 0).
pub fn grids_at(current: &[Grid], versions: &[crate::store::GridVersion], n: i64) -> Vec<Grid> {
    let versioned: BTreeSet<&str> = versions.iter().map(|v| v.grid.code.as_str()).collect();
    let mut out: Vec<Grid> = current.iter().filter(|g| !versioned.contains(g.code.as_str())).cloned().collect();
    out.extend(
        versions.iter().filter(|v| v.valid_from <= n && v.valid_to.is_none_or(|t| t > n)).map(|v| v.grid.clone()),
    );
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// Events listed in an impact at most.
pub const IMPACT_LISTED: usize = 200;

/// How the area's grids change: added, removed and reshaped codes, and the grids to retire and
/// write.
pub struct Changes {
    /// New codes.
    pub added: Vec<String>,
    /// Dropped codes.
    pub removed: Vec<String>,
    /// Changed codes.
    pub reshaped: Vec<String>,
    /// Old versions to close (changed and removed).
    pub retired: Vec<Grid>,
    /// Grids to write (added and changed).
    pub written: Vec<Grid>,
}

/// Compares the area's current grids with the draft's.
pub fn changes(catalog: &Catalog, area: &str, grids: &[Grid]) -> Changes {
    let old: BTreeMap<&str, &Grid> =
        catalog.grids().iter().map(|g| &g.grid).filter(|g| g.code.starts_with(area)).map(|g| (g.code.as_str(), g)).collect();
    let new: BTreeMap<&str, &Grid> = grids.iter().map(|g| (g.code.as_str(), g)).collect();
    let same = |a: &Grid, b: &Grid| {
        a.name == b.name
            && a.kind == b.kind
            && a.village_code == b.village_code
            && a.parent_grid == b.parent_grid
            && a.geometry == b.geometry
    };
    let mut out = Changes { added: vec![], removed: vec![], reshaped: vec![], retired: vec![], written: vec![] };
    for (code, g) in &new {
        match old.get(code) {
            None => {
                out.added.push((*code).to_owned());
                out.written.push((*g).clone());
            }
            Some(o) if !same(o, g) => {
                out.reshaped.push((*code).to_owned());
                out.retired.push((*o).clone());
                out.written.push((*g).clone());
            }
            Some(_) => {}
        }
    }
    for (code, o) in &old {
        if !new.contains_key(code) {
            out.removed.push((*code).to_owned());
            out.retired.push((*o).clone());
        }
    }
    out
}

/// The county's grids after publishing `grids` for `area`: the grids outside it unchanged.
pub fn county_after(catalog: &Catalog, area: &str, grids: &[Grid]) -> Vec<Grid> {
    let mut all: Vec<Grid> =
        catalog.grids().iter().map(|g| &g.grid).filter(|g| !g.code.starts_with(area)).cloned().collect();
    all.extend(grids.iter().cloned());
    all.sort_by(|a, b| a.code.cmp(&b.code));
    all
}

/// Where the area's events fall on the new grids (`located`: the county after, whose grids
/// are `all`), and the impact. `open` are the area's open events, `points` all its events (open
/// and closed). Returns the impact and the open events to move with their new grid.
pub fn impact(
    located: &wangge_core::index::Amended,
    all: &[Grid],
    changes: &Changes,
    open: &[EventRecord],
    points: &[crate::records::EventPoint],
    bindings: &Bindings,
) -> (Impact, Vec<(EventRecord, Grid)>) {
    let by_code: HashMap<&str, &Grid> = all.iter().map(|g| (g.code.as_str(), g)).collect();
    let now_in = |lon: f64, lat: f64| located.code_at(lon, lat);
    let mut moves = Vec::new();
    let mut listed = Vec::new();
    for e in open {
        let Some(code) = now_in(e.location.lon, e.location.lat).filter(|c| *c != e.place.grid) else { continue };
        let Some(grid) = by_code.get(code) else { continue };
        listed.push(Moved { event_id: e.event_id.clone(), from: e.place.grid.clone(), to: code.to_owned() });
        moves.push((e.clone(), (*grid).clone()));
    }
    let all_moved = points.iter().filter(|p| now_in(p.lon, p.lat).is_some_and(|c| c != p.grid_code)).count();
    let open_moved = moves.len();
    let past_moved = all_moved.saturating_sub(open_moved);
    listed.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    let touched: BTreeSet<&str> = changes.removed.iter().chain(&changes.reshaped).map(String::as_str).collect();
    let dropped: Vec<&(String, String)> = bindings.before.difference(&bindings.after).collect();
    let added: Vec<&(String, String)> = bindings.after.difference(&bindings.before).collect();
    let affected: BTreeSet<&str> = bindings
        .before
        .iter()
        .filter(|(_, g)| touched.contains(g.as_str()))
        .chain(dropped.iter().copied())
        .chain(added.iter().copied())
        .map(|(p, _)| p.as_str())
        .collect();
    let impact = Impact {
        open_events_moved: open_moved,
        past_events_moved: past_moved,
        gridworkers_affected: affected.len(),
        bindings_dropped: dropped.len(),
        bindings_added: added.len(),
        events: listed.into_iter().take(IMPACT_LISTED).collect(),
        added: changes.added.clone(),
        removed: changes.removed.clone(),
        reshaped: changes.reshaped.clone(),
    };
    (impact, moves)
}

/// The area's bindings (person id, grid code) before and after publishing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    /// Now.
    pub before: BTreeSet<(String, String)>,
    /// After: each grid the draft lists `gridworkers` for gets exactly those; the others keep
    /// the people bound to their code, if it survives.
    pub after: BTreeSet<(String, String)>,
}

/// The bindings of the area before and after the draft: `gridworkers` properties (person ids
/// of the roster) where the draft gives them.
pub fn bindings(roster: &Roster, area: &str, grids: &[Grid], draft: &GridCollection) -> Result<Bindings, DraftError> {
    let before: BTreeSet<(String, String)> = roster
        .people()
        .iter()
        .flat_map(|p| p.grids.iter().filter(|g| g.starts_with(area)).map(move |g| (p.id.clone(), g.clone())))
        .collect();
    let mut listed: HashMap<String, Vec<String>> = HashMap::new();
    for (i, f) in draft.features.iter().enumerate() {
        let Some(ids) = f.properties.as_ref().and_then(|p| p.gridworkers.clone()) else { continue };
        let code = f.code();
        if let Some(unknown) = ids.iter().find(|id| roster.get(id).is_none()) {
            return Err(DraftError::Grids(format!("feature {i}: no person {unknown:?} in the roster")));
        }
        listed.insert(code.to_owned(), ids);
    }
    let mut bound_before: HashMap<&str, Vec<&(String, String)>> = HashMap::new();
    for binding in &before {
        bound_before.entry(binding.1.as_str()).or_default().push(binding);
    }
    let mut after = BTreeSet::new();
    for g in grids {
        match listed.get(&g.code) {
            Some(ids) => after.extend(ids.iter().map(|id| (id.clone(), g.code.clone()))),
            None => after.extend(bound_before.get(g.code.as_str()).into_iter().flatten().map(|&b| b.clone())),
        }
    }
    Ok(Bindings { before, after })
}

/// The roster as it will be once the area's bindings are `after` (who takes a moved event).
pub fn roster_after(roster: &Roster, area: &str, after: &BTreeSet<(String, String)>) -> Roster {
    let mut grids_of: HashMap<&str, Vec<&String>> = HashMap::new();
    for (id, grid) in after {
        grids_of.entry(id.as_str()).or_default().push(grid);
    }
    let people = roster
        .people()
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.grids.retain(|g| !g.starts_with(area));
            p.grids.extend(grids_of.get(p.id.as_str()).into_iter().flatten().map(|&g| g.clone()));
            p
        })
        .collect();
    Roster::new(people)
}

/// Person ids bound to each grid code.
pub fn bound(roster: &Roster) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in roster.people() {
        for g in &p.grids {
            out.entry(g.as_str()).or_default().push(p.id.as_str());
        }
    }
    out
}

/// The write that moves an open event to `grid`: its place changes, and if a gridworker held
/// it the assignment rule picks the new grid's gridworker (others keep it); one timeline row
/// `regrid` records both.
pub fn move_event(event: &EventRecord, grid: &Grid, roster: &Roster, generation_note: &str, actor: &str, now: DateTime<Utc>) -> TransitionWrite {
    let mut flow = event.flow.clone();
    if event.flow.holder.as_ref().is_some_and(|h| h.tier == Tier::Grid) {
        let chosen = roster.assign(GridPlace {
            grid: &grid.code,
            parent_grid: grid.parent_grid.as_deref(),
            village: &grid.village_code,
            township: &grid.township_code,
        });
        if chosen.tier == Tier::Grid {
            flow.holder = Some(chosen);
        }
    }
    let payload = serde_json::json!({
        "from": event.place.grid,
        "to": grid.code,
        "holder_before": event.flow.holder.as_ref().map(holder_text),
        "note": generation_note,
    });
    let entry = TimelineEntry {
        seq: event.seq + 1,
        at: now,
        actor: actor.to_owned(),
        tier: event.flow.tier(),
        action: "regrid".to_owned(),
        payload,
        state_after: flow.state,
        holder_after: flow.holder.clone(),
    };
    TransitionWrite {
        event_id: event.event_id.clone(),
        expected_seq: event.seq,
        flow,
        entry,
        closed_at: event.closed_at,
        regrid: Some(Regrid {
            grid: grid.code.clone(),
            village: grid.village_code.clone(),
            township: grid.township_code.clone(),
        }),
        attachments: Vec::new(),
    }
}

fn holder_text(h: &Holder) -> String {
    format!("{}:{}", h.tier.as_str(), h.id)
}

/// At most this many imports, splits and checks run at once (each may hold a core and a few
/// hundred MB within its budgets); more wait up to [`HEAVY_WAIT`], then are told to retry.
pub const HEAVY_AT_ONCE: usize = 2;

/// How long a file or draft waits for its turn.
pub const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HEAVY_AT_ONCE);

/// No turn came within [`HEAVY_WAIT`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{HEAVY_AT_ONCE} imports or draft checks are running; retry in a few seconds")]
pub struct Busy;

/// A turn for one import, split or check; hold it until the work ends.
pub async fn heavy_turn() -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    match tokio::time::timeout(HEAVY_WAIT, HEAVY.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Busy),
    }
}

/// How long splitting or checking one draft may take.
pub const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Why a split or a check did not finish.
#[derive(Debug, thiserror::Error)]
pub enum HeavyError {
    /// No turn came in time.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The geometry code panicked on the input, or did not finish within [`CHECK_BUDGET`]: the
    /// draft is too complex to check (the message says which and what to do).
    #[error("{0}")]
    TooComplex(String),
    /// The blocking task failed otherwise (a bug).
    #[error("the {what} task failed: {source}")]
    Task {
        /// `split` or `check`.
        what: &'static str,
        /// Why.
        #[source]
        source: tokio::task::JoinError,
    },
}

/// Runs `work` on a blocking thread with a turn, within [`CHECK_BUDGET`]; past it, or if the
/// geometry code panics on the input, the draft is refused as too complex to check.
pub async fn budgeted<T: Send + 'static>(what: &'static str, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HeavyError> {
    // The turn is held by the work itself: it ends when the work does, even past the budget.
    let turn = heavy_turn().await?;
    let work = move || {
        let done = work();
        drop(turn);
        done
    };
    match tokio::time::timeout(CHECK_BUDGET, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) if e.is_panic() => {
            tracing::error!(error = %e, "the geometry code panicked on a draft ({what})");
            Err(HeavyError::TooComplex(format!("the {what} failed on this geometry; simplify or redraw it")))
        }
        Ok(Err(source)) => Err(HeavyError::Task { what, source }),
        Err(_) => Err(HeavyError::TooComplex(format!(
            "the {what} did not finish within {} s; simplify the shapes or split the draft",
            CHECK_BUDGET.as_secs()
        ))),
    }
}

/// A grid as a draft's feature, with the person ids bound to it.
pub fn grid_feature(g: &Grid, gridworkers: Option<&Vec<&str>>) -> GridFeature {
    let geometry = serde_json::to_value(geojson::Geometry::new(geojson::Value::from(&g.geometry))).unwrap_or_default();
    GridFeature::new(
        geometry,
        GridProperties {
            area_km2: Some(g.area_km2),
            code: Some(g.code.clone()),
            gridworkers: Some(gridworkers.map(|ids| ids.iter().map(|id| (*id).to_owned()).collect()).unwrap_or_default()),
            kind: Some(g.kind.as_str().to_owned()),
            name: Some(g.name.clone()),
            parent_grid: g.parent_grid.clone(),
            township_code: Some(g.township_code.clone()),
            village_code: Some(g.village_code.clone()),
        },
    )
}

/// How many imports, splits and checks hold a turn now (tests, metrics).
pub fn heavy_running() -> usize {
    HEAVY_AT_ONCE - HEAVY.available_permits()
}

