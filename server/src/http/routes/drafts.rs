//! The planner's boundary drafts: `GET /api/v1/drafts/base` (an area's current grids to start
//! from), `POST /api/v1/drafts/split`, `POST /api/v1/drafts/check` (problems and impact),
//! `POST /api/v1/drafts/publish` (the next generation, atomically), `GET /api/v1/generations`
//! and `GET /api/v1/grids/{code}/history`.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use wangge_core::access::Permission;
use wangge_core::coord::Crs;
use wangge_core::draft;
use wangge_core::wire::generation::{Generation, Generations, GridHistory, GridVersionView};
use wangge_core::wire::draft::{DraftArea, DraftBase, DraftRequest, GridCollection, ImportAnswer, SplitAnswer};

use super::{code, no_store, Routes};
use crate::access::{AuditNote, Caller};
use crate::grids::drafts;
use crate::grids::live::drop_aside;
use crate::grids::publish::{self, Drafting};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store::from_micros;

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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BaseQuery {
    village: Option<String>,
    township: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/drafts/base",
    operation_id = "get_api_v1_drafts_base",
    tag = "drafts",
    params(BaseQuery),
    responses((status = 200, description = "the area's published grids, to start a draft from", body = DraftBase), crate::http::openapi::Problems)
)]
async fn base(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<BaseQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditGrids)?;
    let area = match (q.village, q.township) {
        (Some(v), None) => DraftArea::village(code("village", v, 12)?),
        (None, Some(t)) => DraftArea::township(code("township", t, 9)?),
        _ => return Err(ApiError::BadRequest("name exactly one of village or township".into())),
    };
    let catalog = state.catalog.load();
    let area_code = drafts::area_code(&catalog, &area).map_err(|e| ApiError::NotFound(e.to_string()))?;
    if !scope.covers(&area_code) {
        return Err(ApiError::Hidden(format!("no area {area_code:?}")));
    }
    let roster = state.rules.roster();
    let bound = drafts::bound(&roster);
    let features = catalog
        .grids()
        .iter()
        .map(|g| &g.grid)
        .filter(|g| g.code.starts_with(&area_code))
        .map(|g| drafts::grid_feature(g, bound.get(g.code.as_str())))
        .collect();
    let generation = state.store.current_generation().await?;
    let body = DraftBase { generation, area, grids: GridCollection::new(features) };
    Ok(no_store(Json(body).into_response()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    format: String,
    crs: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/drafts/import",
    operation_id = "post_api_v1_drafts_import",
    tag = "drafts",
    params(ImportQuery),
    responses((status = 200, description = "the file's grids in CGCS2000", body = ImportAnswer), crate::http::openapi::Problems)
)]
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
    let turn = drafts::heavy_turn().await?;
    let imported = crate::formats::import::read(&q.format, body, asked).await;
    drop(turn);
    let imported = imported.map_err(|e| match e.is_client_error() {
        true => ApiError::Unprocessable(e.to_string()),
        false => ApiError::Internal(e.to_string()),
    })?;
    let answer = ImportAnswer { count: imported.grids.features.len(), crs: imported.crs.to_owned(), grids: imported.grids };
    Ok(Json(answer).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    geometry: Value,
    line: Vec<[f64; 2]>,
}

#[utoipa::path(
    post,
    path = "/api/v1/drafts/split",
    operation_id = "post_api_v1_drafts_split",
    tag = "drafts",
    request_body = SplitBody,
    responses((status = 200, description = "the two parts", body = SplitAnswer), crate::http::openapi::Problems)
)]
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
    let (a, b) = drafts::budgeted("split", move || draft::split(&shape, &line))
        .await?
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let part = |p: geo::Polygon<f64>| {
        serde_json::to_value(geojson::Geometry::new(geojson::Value::from(&geo::MultiPolygon(vec![p])))).unwrap_or_default()
    };
    Ok(Json(SplitAnswer { parts: vec![part(a), part(b)] }).into_response())
}

/// What checking and publishing go through.
fn drafting(state: &AppState) -> Drafting<'_> {
    Drafting { store: &state.store, live: state.live_grids(), roster: state.rules.roster(), keys: &state.registry_keys }
}

#[utoipa::path(
    post,
    path = "/api/v1/drafts/check",
    operation_id = "post_api_v1_drafts_check",
    tag = "drafts",
    request_body = DraftRequest,
    responses((status = 200, description = "the draft's problems and impact", body = wangge_core::wire::draft::CheckAnswer), crate::http::openapi::Problems)
)]
async fn check(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<DraftRequest>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditGrids)?;
    let checked = publish::check(&drafting(&state), |area| scope.covers(area), &body).await;
    drop_aside(body);
    let checked = checked?;
    let answer = checked.answer();
    drop_aside(checked);
    Ok(no_store(Json(answer).into_response()))
}

#[utoipa::path(
    post,
    path = "/api/v1/drafts/publish",
    operation_id = "post_api_v1_drafts_publish",
    tag = "drafts",
    request_body = DraftRequest,
    responses((status = 201, description = "published: the new generation", body = wangge_core::wire::draft::PublishAnswer), crate::http::openapi::Problems)
)]
async fn publish(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<DraftRequest>) -> Result<Response, ApiError> {
    caller.require(Permission::EditGrids)?;
    let scope = caller.scope(Permission::EditGrids)?;
    let now = state.clock.now();
    let p = publish::publish(&drafting(&state), &state, |area| scope.covers(area), &caller.username, now, &body).await;
    drop_aside(body);
    let p = p?;
    let response = no_store((StatusCode::CREATED, Json(p.answer)).into_response());
    Ok(AuditNote::success(Permission::EditGrids.as_str(), format!("area:{}", p.area)).with_detail(p.detail).on(response))
}

#[utoipa::path(
    get,
    path = "/api/v1/generations",
    operation_id = "get_api_v1_generations",
    tag = "drafts",
    responses((status = 200, description = "the answer", body = wangge_core::wire::generation::Generations), crate::http::openapi::Problems)
)]
async fn generations(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let generations = state
        .store
        .generations()
        .await?
        .into_iter()
        .filter(|g| scope.covers(&g.area_code))
        .map(|g| Generation {
            area: g.area_code,
            generation: g.generation,
            grids_after: g.grids_after,
            grids_before: g.grids_before,
            note: g.note,
            published_at: from_micros(g.published_us).to_rfc3339(),
            published_by: g.published_by,
            reassigned: g.reassigned,
        })
        .collect();
    Ok(Json(Generations { generations }).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/grids/{code}/history",
    operation_id = "get_api_v1_grids_code_history",
    tag = "drafts",
    params(("code" = String, Path, description = "a grid or division code", example = "130730100001001")),
    responses((status = 200, description = "the answer", body = wangge_core::wire::generation::GridHistory), crate::http::openapi::Problems)
)]
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
    let versions = versions
        .iter()
        .map(|v| {
            let published = when(v.valid_from);
            GridVersionView {
                feature: drafts::grid_feature(&v.grid, None),
                note: published.map(|p| p.note.clone()),
                published_at: published.map(|p| from_micros(p.published_us).to_rfc3339()),
                published_by: published.map(|p| p.published_by.clone()),
                retired_at: v.valid_to.and_then(when).map(|p| from_micros(p.published_us).to_rfc3339()),
                valid_from: v.valid_from,
                valid_to: v.valid_to,
            }
        })
        .collect();
    Ok(Json(GridHistory { code, versions }).into_response())
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(base, split, import, check, publish, generations, history))]
pub struct Doc;
