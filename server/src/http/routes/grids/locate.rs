//! `GET /api/v1/locate` and `POST /api/v1/locate`: which grid a point (or many points) is in.
//! The bulk lookup takes and answers JSON or CSV (`Content-Type` / `Accept: text/csv`: one
//! `lon,lat` per line in, one `grid_code,village_code,township_code` per line out, in order).

use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wangge_core::{GridIndex, LonLat, Located};

use crate::http::routes::MAX_POINTS;
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::grids::bulk::{self, BulkError};
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
#[schema(as = Location)]
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
    request_body(
        description = "the points: JSON `{\"points\": [[lon, lat], …]}`, or CSV (`text/csv`) with one `lon,lat` per line (an optional `lon,lat` header line); CGCS2000 degrees, at most 100,000",
        content((Points = "application/json"), (String = "text/csv"))
    ),
    responses(
        (status = 200, description = "each point's answer, in order: JSON, or with `Accept: text/csv` one `grid_code,village_code,township_code` line per point (empty fields outside the county or the caller's jurisdiction)", content((Results<'static> = "application/json"), (String = "text/csv; charset=utf-8"))),
        crate::http::openapi::Problems
    )
)]
async fn locate_many(State(state): State<AppState>, caller: Caller, request: Request) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let csv_out = wants_csv(request.headers());
    let points = if is_csv(request.headers()) {
        let body = axum::body::Bytes::from_request(request, &state).await.map_err(|e| match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(e.body_text()),
            _ => ApiError::BadRequest(e.body_text()),
        })?;
        Input::Csv(body)
    } else {
        let ApiJson(body) = ApiJson::<Points>::from_request(request, &state).await?;
        let n = body.points.len();
        if n > MAX_POINTS {
            return Err(ApiError::PayloadTooLarge(format!("too many points: {n}; at most {MAX_POINTS} per request")));
        }
        Input::Json(body.points)
    };
    let index = state.index.load();
    // Thousands of lookups and a large body: keep them off the async workers.
    let (answer, n) = tokio::task::spawn_blocking(move || {
        let points = match points {
            Input::Json(values) => values
                .iter()
                .enumerate()
                .map(|(i, p)| pair(p).ok_or_else(|| ApiError::BadRequest(format!("points[{i}]: expected [lon, lat], two numbers"))))
                .collect::<Result<Vec<_>, _>>()?,
            Input::Csv(bytes) => bulk::parse_csv(&bytes, MAX_POINTS).map_err(|e| match e {
                BulkError::TooMany { .. } => ApiError::PayloadTooLarge(e.to_string()),
                BulkError::Line { .. } => ApiError::BadRequest(e.to_string()),
            })?,
        };
        let n = points.len();
        let answer = if csv_out { locate_csv(&index, &scope, &points)? } else { locate_all(&index, &scope, &points)? };
        Ok::<_, ApiError>((answer, n))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("bulk locate task failed: {e}")))??;
    crate::metrics::METRICS.index_lookups.inc_by(n as u64);
    let media = if csv_out { bulk::CSV } else { "application/json" };
    Ok(([(header::CONTENT_TYPE, media)], answer).into_response())
}

/// A bulk request's points as sent.
enum Input {
    Json(Vec<Value>),
    Csv(axum::body::Bytes),
}

/// Whether the body is CSV (`Content-Type: text/csv`).
fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv")))
}

/// Whether the caller asks for CSV: `Accept` prefers `text/csv` to JSON (its `q` weighed, as
/// the spreadsheet exports read it).
fn wants_csv(headers: &HeaderMap) -> bool {
    matches!(crate::http::routes::sheets::wanted(None, headers), Ok(Some(crate::formats::sheet::SheetFormat::Csv)))
}

/// Every point's answer in order as CSV lines; a point outside the caller's jurisdiction (or
/// the county) gets empty fields.
fn locate_csv(index: &GridIndex, scope: &Scope, points: &[(f64, f64)]) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(points.len() * 44);
    let county = scope.is_county();
    for (i, &(lon, lat)) in points.iter().enumerate() {
        let p = LonLat::new(lon, lat).map_err(|e| ApiError::BadRequest(format!("point {}: {e}", i + 1)))?;
        // No nearest grid outside the county: the CSV answer has no place for it.
        let codes = index.grid_at(p).map(|g| &index.grids()[g]).filter(|r| county || scope.covers(&r.code));
        bulk::write_line(&mut out, codes.map(|r| (r.code.as_str(), r.village.code.as_str(), r.township.code.as_str())));
    }
    Ok(out)
}

/// Every point's answer in order; a point outside the caller's jurisdiction gets an empty one.
fn locate_all(index: &GridIndex, scope: &Scope, points: &[(f64, f64)]) -> Result<Vec<u8>, ApiError> {
    let mut results = Vec::with_capacity(points.len());
    for (i, &(lon, lat)) in points.iter().enumerate() {
        let bad = |reason: String| ApiError::BadRequest(format!("points[{i}]: {reason}"));
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
