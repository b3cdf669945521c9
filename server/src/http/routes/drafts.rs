//! The planner's boundary drafts: `GET /api/v1/drafts/base` (an area's current grids to start
//! from), `POST /api/v1/drafts/split`, `POST /api/v1/drafts/check` (problems and impact),
//! `POST /api/v1/drafts/publish` (the next generation, atomically), `GET /api/v1/generations`
//! and `GET /api/v1/grids/{code}/history`.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::coord::Crs;
use wangge_core::draft::{self, Options, Report};

use super::{code, no_store};
use crate::access::AuditNote;
use crate::access::Caller;
use crate::records::Grid;
use crate::grids::drafts::{self, Changes, Impact};
use crate::http::error::ApiError;
use crate::records::{EventFilter, EventRecord, Page};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{EventPoint, PointFilter};
use crate::state::AppState;
use crate::grids::live::{reload_grids, swap_grids};
use crate::events::ChangeKind;
use wangge_core::event::State as LoopState;
use wangge_core::GridIndex;
use crate::store::{from_micros, micros, Publication};
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/drafts/base", get(base))
        .at("/api/v1/drafts/split", post(split))
        .at("/api/v1/drafts/import", post(import).layer(DefaultBodyLimit::max(crate::formats::import::MAX_FILE)))
        .at("/api/v1/drafts/check", post(check))
        .at("/api/v1/drafts/publish", post(publish))
        .at("/api/v1/generations", get(generations))
        .at("/api/v1/grids/{code}/history", get(history))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseQuery {
    village: Option<String>,
    township: Option<String>,
}

fn feature(g: &Grid, gridworkers: Option<&Vec<&str>>) -> Value {
    json!({
        "type": "Feature",
        "id": g.code,
        "properties": {
            "code": g.code, "name": g.name, "kind": g.kind.as_str(), "village_code": g.village_code,
            "township_code": g.township_code, "parent_grid": g.parent_grid, "area_km2": g.area_km2,
            "gridworkers": gridworkers.cloned().unwrap_or_default(),
        },
        "geometry": geojson::Geometry::new(geojson::Value::from(&g.geometry)),
    })
}

async fn base(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<BaseQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditGrids)?;
    let area = match (q.village, q.township) {
        (Some(v), None) => json!({ "village": code("village", v, 12)? }),
        (None, Some(t)) => json!({ "township": code("township", t, 9)? }),
        _ => return Err(ApiError::BadRequest("name exactly one of village or township".into())),
    };
    let catalog = state.catalog.load();
    let area_code = drafts::area_code(&catalog, &area).map_err(|e| ApiError::NotFound(e.to_string()))?;
    if !scope.covers(&area_code) {
        return Err(ApiError::Hidden(format!("no area {area_code:?}")));
    }
    let roster = state.rules.roster();
    let bound = drafts::bound(&roster);
    let features: Vec<Value> = catalog
        .grids()
        .iter()
        .map(|g| &g.grid)
        .filter(|g| g.code.starts_with(&area_code))
        .map(|g| feature(g, bound.get(g.code.as_str())))
        .collect();
    let generation = state.store.current_generation().await?;
    let body = json!({
        "generation": generation,
        "area": area,
        "grids": { "type": "FeatureCollection", "features": features },
    });
    Ok(no_store(Json(body).into_response()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    format: String,
    crs: Option<String>,
}

/// A planner's file (`?format=geojson|gpkg|shp.zip`, `&crs=gcj02|bd09` for files in those)
/// read into the draft's grids in CGCS2000, to check, edit and publish; at most
/// [`crate::formats::import::MAX_FILE`] bytes, read within the import's budgets.
async fn import(
    caller: Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Permission::EditGrids)?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("the file is over {} bytes", crate::formats::import::MAX_FILE))
        }
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let asked = match q.crs.as_deref() {
        None => None,
        Some(text) => Some(Crs::parse(text).ok_or_else(|| {
            ApiError::Unprocessable(format!("crs must be cgcs2000, wgs84, gcj02 or bd09, got {text:?}"))
        })?),
    };
    let turn = heavy_turn().await?;
    let imported = crate::formats::import::read(&q.format, body, asked).await;
    drop(turn);
    let imported = imported.map_err(|e| match e.is_client_error() {
        true => ApiError::Unprocessable(e.to_string()),
        false => ApiError::Internal(e.to_string()),
    })?;
    let count = imported.grids["features"].as_array().map_or(0, Vec::len);
    Ok(Json(json!({ "grids": imported.grids, "crs": imported.crs, "count": count })).into_response())
}

/// How long splitting or checking one draft may take.
const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// A turn for one import, split or check (503 `Retry-After` when none comes in time).
async fn heavy_turn() -> Result<tokio::sync::SemaphorePermit<'static>, ApiError> {
    drafts::heavy_turn().await.map_err(|busy| ApiError::Busy { detail: busy.to_string(), retry_after_secs: 5 })
}

/// Runs `work` on a blocking thread within [`CHECK_BUDGET`]; past it, or if the geometry code
/// panics on the input, the draft is refused as too complex to check.
async fn budgeted<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
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
            Err(ApiError::Unprocessable(format!("the {what} failed on this geometry; simplify or redraw it")))
        }
        Ok(Err(e)) => Err(ApiError::Internal(format!("the {what} task failed: {e}"))),
        Err(_) => Err(ApiError::Unprocessable(format!(
            "the {what} did not finish within {} s; simplify the shapes or split the draft",
            CHECK_BUDGET.as_secs()
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    geometry: Value,
    line: Vec<[f64; 2]>,
}

async fn split(caller: Caller, ApiJson(body): ApiJson<SplitBody>) -> Result<Response, ApiError> {
    caller.require(Permission::EditGrids)?;
    let vertices = drafts::vertex_count(&body.geometry);
    if vertices > drafts::MAX_GRID_VERTICES {
        return Err(ApiError::Unprocessable(format!(
            "the grid has {vertices} vertices; at most {} can be split",
            drafts::MAX_GRID_VERTICES
        )));
    }
    if body.line.len() > drafts::MAX_LINE_VERTICES {
        return Err(ApiError::Unprocessable(format!(
            "the line has {} vertices; at most {}",
            body.line.len(),
            drafts::MAX_LINE_VERTICES
        )));
    }
    let shape = drafts::multipolygon(&body.geometry, Crs::Cgcs2000).map_err(ApiError::Unprocessable)?;
    let line = geo::LineString::from(body.line.iter().map(|[x, y]| (*x, *y)).collect::<Vec<_>>());
    let (a, b) = budgeted("split", move || draft::split(&shape, &line))
        .await?
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let part = |p: geo::Polygon<f64>| geojson::Geometry::new(geojson::Value::from(&geo::MultiPolygon(vec![p])));
    Ok(Json(json!({ "parts": [part(a), part(b)] })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftBody {
    base_generation: i64,
    area: Value,
    grids: Value,
    #[serde(default)]
    crs: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// A draft read, checked and compared with the current grids.
struct Checked {
    /// Milliseconds spent reading the events and checking (validation, impact).
    timings: Vec<(&'static str, f64)>,
    area: String,
    grids: Vec<Grid>,
    report: Report,
    changes: Changes,
    impact: Impact,
    moves: Vec<(EventRecord, Grid)>,
    /// The area's bindings before and after.
    bindings: drafts::Bindings,
    /// The county's grids after publishing, and their index (swapped in on publication).
    after: Option<(Vec<Grid>, GridIndex)>,
}

async fn checked(state: &AppState, caller: &Caller, body: &DraftBody) -> Result<Checked, ApiError> {
    let scope = caller.scope(Permission::EditGrids)?;
    let crs_text = body.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text).ok_or_else(|| {
        ApiError::Unprocessable(format!("crs must be cgcs2000 (EPSG:4490), wgs84 (EPSG:4326), gcj02 or bd09, got {crs_text:?}"))
    })?;
    let catalog = state.catalog.load();
    let area = drafts::area_code(&catalog, &body.area).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    if !scope.covers(&area) {
        return Err(ApiError::Hidden(format!("no area {area:?}")));
    }
    let started = std::time::Instant::now();
    let grids = drafts::parse_grids(&catalog, &body.grids, crs).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let parsed = started.elapsed();
    let (open, points) = area_events(state, &area).await?;
    let read = started.elapsed();
    let roster = state.rules.roster();
    let bindings = drafts::bindings(&roster, &area, &grids, &body.grids).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let task_bindings = bindings.clone();
    let task_area = area.clone();
    let (report, changes, impact, moves, grids, validated, after) = budgeted("check", move || {
        let t = std::time::Instant::now();
        let report = draft::validate(&drafts::draft(&catalog, &task_area, &grids), &Options::default());
        let validated = t.elapsed();
        let changes = drafts::changes(&catalog, &task_area, &grids);
        let all = drafts::county_after(&catalog, &task_area, &grids);
        let index = if report.is_publishable() { GridIndex::build(all.iter().map(drafts::grid_shape).collect()).ok() } else { None };
        let (impact, moves) = match &index {
            Some(index) => drafts::impact(index, &all, &changes, &open, &points, &task_bindings),
            None => (Impact::default(), Vec::new()),
        };
        (report, changes, impact, moves, grids, validated, index.map(|i| (all, i)))
    })
    .await?;
    let total = started.elapsed();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let timings = vec![
        ("parse", ms(parsed)),
        ("read_events", ms(read - parsed)),
        ("validate", ms(validated)),
        ("impact", ms(total - read - validated)),
    ];
    Ok(Checked { timings, area, grids, report, changes, impact, moves, bindings, after })
}

/// The area's open events (in full: they may move), and where every event of it is.
async fn area_events(state: &AppState, area: &str) -> Result<(Vec<EventRecord>, Vec<EventPoint>), ApiError> {
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
    let mut open = Vec::new();
    for number in 1.. {
        let found = state.store.events(&filter, Page { page: number, per_page: 500 }).await?;
        let last = found.items.len() < 500;
        open.extend(found.items);
        if last {
            break;
        }
    }
    let points = state.store.event_points(&PointFilter { categories: Vec::new(), from: None, to: None, township, village }).await?;
    Ok((open, points))
}

/// The report's problems, each with its point and shape at the top.
fn problems(report: &Report) -> Vec<Value> {
    report
        .problems
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                let location = obj.remove("location").unwrap_or_default();
                obj.insert("point".into(), location.get("point").cloned().unwrap_or(Value::Null));
                obj.insert("geometry".into(), location.get("geometry").cloned().unwrap_or(Value::Null));
            }
            v
        })
        .collect()
}

async fn check(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<DraftBody>) -> Result<Response, ApiError> {
    let c = checked(&state, &caller, &body).await?;
    let answer = json!({
        "publishable": c.report.is_publishable(),
        "problems": problems(&c.report),
        "impact": c.impact,
    });
    Ok(no_store(Json(answer).into_response()))
}

async fn publish(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<DraftBody>) -> Result<Response, ApiError> {
    caller.require(Permission::EditGrids)?;
    let note = body.note.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::Unprocessable("note is required: why the boundaries change (1 to 500 characters)".into()));
    }
    let c = checked(&state, &caller, &body).await?;
    if !c.report.is_publishable() {
        let problem = json!({
            "type": "urn:wangge:problem:draft-invalid",
            "title": "The draft has errors",
            "status": 422,
            "detail": format!("the draft has {} problem(s); nothing was published", c.report.problems.len()),
            "problems": problems(&c.report),
        });
        let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(crate::http::error::PROBLEM_JSON));
        return Ok(response);
    }
    let now = state.clock.now();
    let roster = drafts::roster_after(&state.rules.roster(), &c.area, &c.bindings.after);
    let actor = format!("planner:{}", caller.username);
    let moves: Vec<_> = c.moves.iter().map(|(e, g)| drafts::move_event(e, g, &roster, &note, &actor, now)).collect();
    let before = state.catalog.load().grids().iter().filter(|g| g.grid.code.starts_with(&c.area)).count();
    let publication = Publication {
        area_code: c.area.clone(),
        base_generation: body.base_generation,
        published_by: caller.username.clone(),
        note: note.clone(),
        at_us: micros(now),
        grids_before: before,
        grids_after: c.grids.len(),
        retired: c.changes.retired,
        written: c.changes.written,
        moves,
        bindings: c.bindings.after.into_iter().collect(),
    };
    let t = std::time::Instant::now();
    let generation = state.store.publish(&publication).await?;
    let written = t.elapsed();
    let swapped = match c.after {
        Some((all, index)) => swap_grids(&state.store, &state.live_grids(), all, index).await,
        None => reload_grids(&state.store, &state.live_grids()).await.map(|_| ()),
    };
    swapped.map_err(|e| ApiError::Internal(format!("published, but swapping in the new grids failed: {e}")))?;
    state.rules.reload_roster(&state.store).await?;
    let mut timings = c.timings.clone();
    timings.push(("write", written.as_secs_f64() * 1000.0));
    timings.push(("swap", (t.elapsed() - written).as_secs_f64() * 1000.0));
    let timings: serde_json::Map<String, Value> =
        timings.into_iter().map(|(k, v)| (k.to_owned(), json!((v * 10.0).round() / 10.0))).collect();
    for w in &publication.moves {
        if let Some(after) = state.store.event(&w.event_id).await? {
            state.changes.publish(ChangeKind::Changed, &after, None);
        }
    }
    let answer = json!({
        "generation": generation, "reassigned": publication.moves.len(), "impact": c.impact, "timings_ms": timings,
    });
    let detail = format!(
        "generation {generation}: {} added, {} removed, {} reshaped, {} open events moved; {note}",
        c.changes.added.len(),
        c.changes.removed.len(),
        c.changes.reshaped.len(),
        publication.moves.len()
    );
    let response = no_store((StatusCode::CREATED, Json(answer)).into_response());
    Ok(AuditNote::success(Permission::EditGrids.as_str(), format!("area:{}", c.area)).with_detail(detail).on(response))
}

async fn generations(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let list: Vec<Value> = state
        .store
        .generations()
        .await?
        .into_iter()
        .filter(|g| scope.covers(&g.area_code))
        .map(|g| {
            json!({
                "generation": g.generation, "area": g.area_code, "published_at": from_micros(g.published_us).to_rfc3339(),
                "published_by": g.published_by, "note": g.note, "grids_before": g.grids_before,
                "grids_after": g.grids_after, "reassigned": g.reassigned,
            })
        })
        .collect();
    Ok(Json(json!({ "generations": list })).into_response())
}

/// Every version of a grid with when and by whom it was published, oldest first; the loaded
/// dataset is generation 0.
async fn history(State(state): State<AppState>, caller: Caller, ApiPath(code): ApiPath<String>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let missing = || format!("no grid with code {code:?}");
    if !scope.covers(&code) {
        return Err(ApiError::Hidden(missing()));
    }
    let mut versions = state.store.grid_versions(&code).await?;
    let current = state.catalog.load().grid(&code).map(|g| g.grid.clone());
    if versions.is_empty() {
        match current {
            Some(grid) => versions.push(crate::store::GridVersion { valid_from: 0, valid_to: None, grid }),
            None => return Err(ApiError::NotFound(missing())),
        }
    }
    let generations = state.store.generations().await?;
    let when = |g: i64| generations.iter().find(|r| r.generation == g);
    let list: Vec<Value> = versions
        .iter()
        .map(|v| {
            let published = when(v.valid_from);
            json!({
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
                "published_at": published.map(|p| from_micros(p.published_us).to_rfc3339()),
                "published_by": published.map(|p| p.published_by.clone()),
                "note": published.map(|p| p.note.clone()),
                "retired_at": v.valid_to.and_then(when).map(|p| from_micros(p.published_us).to_rfc3339()),
                "feature": feature(&v.grid, None),
            })
        })
        .collect();
    Ok(Json(json!({ "code": code, "versions": list })).into_response())
}
