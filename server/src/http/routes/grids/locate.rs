//! `GET /api/v1/locate` and `POST /api/v1/locate`: which grid a point (or many points) is in.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wangge_core::{GridIndex, Located};

use crate::http::routes::MAX_POINTS;
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/locate", get(locate_one).post(locate_many))
}

/// `?lon=..&lat=..`, kept as text so that a bad number gets a precise reason.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PointQuery {
    lon: Option<String>,
    lat: Option<String>,
}

/// `{"points": [[lon, lat], ...]}`; points are checked one by one to name the bad one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Points {
    points: Vec<Value>,
}

/// The answer for one point.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Answer<'a> {
    grid: Option<GridRef<'a>>,
    village: Option<DivisionRef<'a>>,
    township: Option<DivisionRef<'a>>,
    /// Present only outside every grid (`null` if there is no grid at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    nearest: Option<Option<NearestRef<'a>>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct GridRef<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DivisionRef<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NearestRef<'a> {
    code: &'a str,
    distance_m: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Results<'a> {
    results: Vec<Answer<'a>>,
}

#[utoipa::path(
    get,
    path = "/api/v1/locate",
    operation_id = "get_api_v1_locate",
    tag = "grids",
    params(PointQuery),
    responses((status = 200, description = "the point's grid, village and township, or the nearest grid outside the county", body = Answer<'static>), crate::http::openapi::Problems)
)]
async fn locate_one(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<PointQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let lon = number("lon", q.lon.as_deref())?;
    let lat = number("lat", q.lat.as_deref())?;
    let index = state.index.load();
    crate::metrics::METRICS.index_lookups.inc();
    let located = index.locate(lon, lat).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !visible(&index, &scope, located) {
        return Err(ApiError::Hidden(format!("no grid of the caller's jurisdiction at ({lon}, {lat})")));
    }
    Ok(Json(answer(&index, located)).into_response())
}

/// Whether a located grid (or the nearest one, outside the county) is inside the scope.
fn visible(index: &GridIndex, scope: &Scope, located: Located) -> bool {
    let grid = match located {
        Located::Grid(g) => Some(g),
        Located::Outside(nearest) => nearest.map(|n| n.grid),
    };
    scope.is_county() || grid.and_then(|g| index.grids().get(g)).is_some_and(|r| scope.covers(&r.code))
}

#[utoipa::path(
    post,
    path = "/api/v1/locate",
    operation_id = "post_api_v1_locate",
    tag = "grids",
    request_body = Points,
    responses((status = 200, description = "each point's answer, in order", body = Results<'static>), crate::http::openapi::Problems)
)]
async fn locate_many(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<Points>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let n = body.points.len();
    if n > MAX_POINTS {
        return Err(ApiError::PayloadTooLarge(format!("too many points: {n}; at most {MAX_POINTS} per request")));
    }
    let index = state.index.load();
    crate::metrics::METRICS.index_lookups.inc_by(n as u64);
    // Thousands of lookups and a large body: keep them off the async workers.
    let json = tokio::task::spawn_blocking(move || locate_all(&index, &scope, &body.points))
        .await
        .map_err(|e| ApiError::Internal(format!("bulk locate task failed: {e}")))??;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Every point's answer in order; a point outside the caller's jurisdiction gets an empty one.
fn locate_all(index: &GridIndex, scope: &Scope, points: &[Value]) -> Result<Vec<u8>, ApiError> {
    let mut results = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let bad = |reason: String| ApiError::BadRequest(format!("points[{i}]: {reason}"));
        let (lon, lat) = pair(p).ok_or_else(|| bad("expected [lon, lat], two numbers".into()))?;
        let located = index.locate(lon, lat).map_err(|e| bad(e.to_string()))?;
        if visible(index, scope, located) {
            results.push(answer(index, located));
        } else {
            results.push(Answer { grid: None, village: None, township: None, nearest: None });
        }
    }
    serde_json::to_vec(&Results { results }).map_err(|e| ApiError::Internal(format!("cannot serialise results: {e}")))
}

fn pair(p: &Value) -> Option<(f64, f64)> {
    match p.as_array()?.as_slice() {
        [lon, lat] => Some((lon.as_f64()?, lat.as_f64()?)),
        _ => None,
    }
}

/// Parses one query number; `NaN` and `inf` parse and are refused by the index's check.
fn number(axis: &str, text: Option<&str>) -> Result<f64, ApiError> {
    let text = text.ok_or_else(|| ApiError::BadRequest(format!("{axis} is missing")))?;
    text.trim().parse().map_err(|_| ApiError::BadRequest(format!("{axis} {text:?} is not a number")))
}

fn answer(index: &GridIndex, located: Located) -> Answer<'_> {
    match located {
        Located::Grid(g) => {
            let r = &index.grids()[g];
            Answer {
                grid: Some(GridRef { code: &r.code, name: &r.name, kind: r.kind.as_str() }),
                village: Some(DivisionRef { code: &r.village.code, name: &r.village.name }),
                township: Some(DivisionRef { code: &r.township.code, name: &r.township.name }),
                nearest: None,
            }
        }
        Located::Outside(nearest) => Answer {
            grid: None,
            village: None,
            township: None,
            nearest: Some(nearest.map(|n| NearestRef {
                code: &index.grids()[n.grid].code,
                distance_m: (n.distance_m * 10.0).round() / 10.0,
            })),
        },
    }
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(locate_one, locate_many))]
pub struct Doc;
