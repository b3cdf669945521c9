//! The map: boundary layers as compact GeoJSON (`GET /api/v1/map/{townships|villages|grids}.geojson`,
//! cached per catalog with an `ETag`), the events heatmap (`GET /api/v1/map/heat`) and the
//! per-grid choropleth (`GET /api/v1/map/choropleth`).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Days;
use serde::Deserialize;
use wangge_core::event::Category;
use wangge_core::wire::LayerKind;

use crate::http::routes::code;
use crate::http::routes::events::stats::{date, day_start};
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::ApiQuery;
use crate::grids::heat::{self, HEAT_POINTS_MAX};
use crate::records::PointFilter;
use crate::state::AppState;
use crate::http::routes::Routes;

/// Media type of the layers.
const GEO_JSON: &str = "application/geo+json";

/// Layers are behind a login and cut per jurisdiction: only the browser keeps them, and asks
/// again each time (answered 304 while unchanged).
const LAYER_CACHE: &str = "private, no-cache";

/// Categories of a heatmap or choropleth when none are asked for.
pub const DEFAULT_CATEGORIES: [Category; 2] = [Category::Hazard, Category::Dispute];

/// Heatmap cell size in degrees unless asked otherwise (about 420 m × 560 m here).
pub const DEFAULT_CELL_DEG: f64 = 0.005;

/// Smallest and largest cell sizes accepted, in degrees.
pub const CELL_DEG_RANGE: (f64, f64) = (0.0005, 0.5);

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/map/townships.geojson", get(townships))
        .at("/api/v1/map/villages.geojson", get(villages))
        .at("/api/v1/map/grids.geojson", get(grids))
        .at("/api/v1/map/heat", get(heat))
        .at("/api/v1/map/choropleth", get(choropleth))
}

#[utoipa::path(
    get,
    path = "/api/v1/map/townships.geojson",
    operation_id = "get_api_v1_map_townships_geojson",
    tag = "grids",
    responses((status = 200, description = "the answer", content((crate::http::openapi::FeatureCollection = "application/geo+json"))), (status = 304, description = "not modified: the client holds this version"), crate::http::openapi::Problems)
)]
async fn townships(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    layer(&state, &caller, LayerKind::Townships, &headers)
}

#[utoipa::path(
    get,
    path = "/api/v1/map/villages.geojson",
    operation_id = "get_api_v1_map_villages_geojson",
    tag = "grids",
    responses((status = 200, description = "the answer", content((crate::http::openapi::FeatureCollection = "application/geo+json"))), (status = 304, description = "not modified: the client holds this version"), crate::http::openapi::Problems)
)]
async fn villages(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    layer(&state, &caller, LayerKind::Villages, &headers)
}

#[utoipa::path(
    get,
    path = "/api/v1/map/grids.geojson",
    operation_id = "get_api_v1_map_grids_geojson",
    tag = "grids",
    responses((status = 200, description = "the answer", content((crate::http::openapi::FeatureCollection = "application/geo+json"))), (status = 304, description = "not modified: the client holds this version"), crate::http::openapi::Problems)
)]
async fn grids(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    layer(&state, &caller, LayerKind::Grids, &headers)
}

/// The layer of the caller's jurisdiction (gzipped when the client accepts it), or 304 when
/// the client holds this version already.
fn layer(state: &AppState, caller: &Caller, kind: LayerKind, headers: &HeaderMap) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let layers = state.map.load();
    let cut;
    let layer = if scope.is_county() {
        layers.layer(kind)
    } else {
        cut = layers
            .scoped(kind, scope.0.as_str(), |code| scope.covers(code))
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        &*cut
    };
    let gzip = accepts_gzip(headers);
    let (etag, body) = if gzip { (&layer.gzip_etag, &layer.gzip) } else { (&layer.etag, &layer.body) };
    let cache = [
        (header::ETAG, HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\""))),
        (header::CACHE_CONTROL, HeaderValue::from_static(LAYER_CACHE)),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if held.is_some_and(|h| h.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let mut response = (cache, [(header::CONTENT_TYPE, GEO_JSON)], body.clone()).into_response();
    if gzip {
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(response)
}

/// Whether `Accept-Encoding` names gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct HeatQuery {
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    cell: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ChoroplethQuery {
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    /// `reported` (default): each event in the grid it was reported in; `current`: in the
    /// grid that covers it on the current boundaries (after redraws).
    on: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/map/heat",
    operation_id = "get_api_v1_map_heat",
    tag = "grids",
    params(HeatQuery),
    responses((status = 200, description = "the events as points or cells", body = wangge_core::wire::HeatMap), crate::http::openapi::Problems)
)]
async fn heat(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<HeatQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadStats)?;
    let filter = point_filter(q.category.as_deref(), q.from.as_deref(), q.to.as_deref(), q.township, &scope)?;
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let cell = cell_deg(q.cell.as_deref())?;
    let started = std::time::Instant::now();
    let asked = filter.clone();
    let from_memory = state.cube.with(&state.store, &state.rules, move |c| c.heat(&asked, cell, HEAT_POINTS_MAX)).await?;
    let (answer, source) = match from_memory {
        Some(answer) => (answer, Source::Memory),
        None => {
            let points = state.store.event_points(&filter).await?;
            let positions: Vec<(f64, f64)> = points.iter().map(|p| (p.lon, p.lat)).collect();
            (heat::heat(&positions, cell, HEAT_POINTS_MAX), Source::Store)
        }
    };
    Ok(fresh(source.timed(Json(answer).into_response(), started)))
}

#[utoipa::path(
    get,
    path = "/api/v1/map/choropleth",
    operation_id = "get_api_v1_map_choropleth",
    tag = "grids",
    params(ChoroplethQuery),
    responses((status = 200, description = "per-grid counts", body = wangge_core::wire::Choropleth), crate::http::openapi::Problems)
)]
async fn choropleth(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChoroplethQuery>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadStats)?;
    let filter = point_filter(q.category.as_deref(), q.from.as_deref(), q.to.as_deref(), q.township, &scope)?;
    let current = match q.on.as_deref() {
        None | Some("reported") => false,
        Some("current") => true,
        Some(other) => return Err(ApiError::BadRequest(format!("on must be reported or current, got {other:?}"))),
    };
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let started = std::time::Instant::now();
    let catalog = state.catalog.load();
    let grids: Vec<(String, f64)> = catalog
        .grids()
        .iter()
        .map(|g| &g.grid)
        .filter(|g| filter.township.as_ref().is_none_or(|t| *t == g.township_code))
        .filter(|g| scope.covers(&g.code))
        .map(|g| (g.code.clone(), g.area_km2))
        .collect();
    let index = state.index.load();
    let (asked, listed, now_index) = (filter.clone(), grids.clone(), index.clone());
    let from_memory = state
        .cube
        .with(&state.store, &state.rules, move |c| {
            let counts = if current {
                relocated(&now_index, c.points(&asked))
            } else {
                c.grid_counts(&asked)
            };
            heat::choropleth(listed.iter().map(|(code, area)| (code.as_str(), *area)), &counts)
        })
        .await?;
    let (answer, source) = match from_memory {
        Some(answer) => (answer, Source::Memory),
        None => {
            let points = state.store.event_points(&filter).await?;
            let counts = if current {
                relocated(&index, points.iter().map(|p| (p.lon, p.lat, p.grid_code.as_str())))
            } else {
                heat::grid_counts(&points)
            };
            (heat::choropleth(grids.iter().map(|(code, area)| (code.as_str(), *area)), &counts), Source::Store)
        }
    };
    Ok(fresh(source.timed(Json(answer).into_response(), started)))
}

/// Events per grid on the current boundaries: each point in the grid that covers it now, or
/// the grid it was reported in where no current grid does.
fn relocated<'a>(
    index: &'a wangge_core::GridIndex,
    points: impl Iterator<Item = (f64, f64, &'a str)>,
) -> std::collections::HashMap<&'a str, u64> {
    let mut counts = std::collections::HashMap::new();
    for (lon, lat, reported) in points {
        let code = match index.locate(lon, lat) {
            Ok(wangge_core::Located::Grid(i)) => index.grids().get(i).map_or(reported, |r| r.code.as_str()),
            _ => reported,
        };
        *counts.entry(code).or_insert(0u64) += 1;
    }
    counts
}

/// Where an answer of figures was computed: the events held in memory, or the store.
#[derive(Debug, Clone, Copy)]
pub(in crate::http::routes) enum Source {
    Memory,
    Store,
}

impl Source {
    /// Adds `Server-Timing: figures;desc="memory|store";dur=<ms>` to the answer.
    pub(in crate::http::routes) fn timed(self, response: Response, started: std::time::Instant) -> Response {
        self.timed_phases(response, started, &[])
    }

    /// [`Self::timed`], followed by the parts of the answer that ran concurrently, each as its
    /// own metric (`counts;dur=1.20, overdue;dur=0.80`).
    pub(in crate::http::routes) fn timed_phases(
        self,
        mut response: Response,
        started: std::time::Instant,
        phases: &[(&str, std::time::Duration)],
    ) -> Response {
        let desc = match self {
            Self::Memory => "memory",
            Self::Store => "store",
        };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let mut text = format!("figures;desc=\"{desc}\";dur={:.2}", ms(started.elapsed()));
        for (name, took) in phases {
            text.push_str(&format!(", {name};dur={:.2}", ms(*took)));
        }
        if let Ok(v) = HeaderValue::from_str(&text) {
            response.headers_mut().insert("server-timing", v);
        }
        response
    }
}

/// Figures change with every report: caches must ask again.
fn fresh(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Categories (comma-separated, default hazard and dispute), an inclusive period of China-time
/// dates (either end may be open) and a township, inside the caller's scope.
fn point_filter(
    categories: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    township: Option<String>,
    scope: &Scope,
) -> Result<PointFilter, ApiError> {
    let township = township.map(|c| code("township", c, 9)).transpose()?;
    let (township, village) = scope.narrow(township, None).ok_or_else(|| ApiError::Forbidden {
        action: Permission::ReadStats.as_str().to_owned(),
        reason: format!("the township asked for is outside the caller's jurisdiction {}", scope.0.as_str()),
    })?;
    let from = from.map(|t| date("from", Some(t))).transpose()?;
    let to = to.map(|t| date("to", Some(t))).transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::BadRequest(format!("from ({from}) is after to ({to})")));
        }
    }
    let after = |d: chrono::NaiveDate| {
        d.checked_add_days(Days::new(1))
            .ok_or_else(|| ApiError::BadRequest(format!("to must be a date YYYY-MM-DD (China time), got {d:?}")))
    };
    Ok(PointFilter {
        categories: category_list(categories)?,
        from: from.map(day_start).transpose()?,
        to: to.map(after).transpose()?.map(day_start).transpose()?,
        township,
        village,
    })
}

/// `livelihood`, `hazard`, `dispute`, `other`, comma-separated, each at most once.
fn category_list(text: Option<&str>) -> Result<Vec<Category>, ApiError> {
    let Some(text) = text else { return Ok(DEFAULT_CATEGORIES.to_vec()) };
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let c = Category::parse(part).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "category must be livelihood, hazard, dispute or other (comma-separated), got {part:?}"
            ))
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The heatmap's cell size in degrees.
fn cell_deg(text: Option<&str>) -> Result<f64, ApiError> {
    let Some(text) = text else { return Ok(DEFAULT_CELL_DEG) };
    let (lo, hi) = CELL_DEG_RANGE;
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|c| (lo..=hi).contains(c))
        .ok_or_else(|| ApiError::BadRequest(format!("cell must be a size in degrees from {lo} to {hi}, got {text:?}")))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(townships, villages, grids, heat, choropleth))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    fn county() -> Scope {
        Scope(wangge_core::access::Jurisdiction::County)
    }

    #[test]
    fn categories_default_to_hazard_and_dispute_and_refuse_unknown_ones() {
        assert_eq!(category_list(None).ok(), Some(vec![Category::Hazard, Category::Dispute]));
        assert_eq!(category_list(Some("other, hazard,other")).ok(), Some(vec![Category::Other, Category::Hazard]));
        assert!(category_list(Some("")).is_err());
        assert!(category_list(Some("hazard,fire")).is_err());
    }

    #[test]
    fn gzip_is_used_when_accepted() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            accepts_gzip(&h)
        };
        assert!(with("gzip") && with("br, GZIP;q=0.5") && with("*") && with("deflate, gzip"));
        assert!(!with("br") && !with("gzip;q=0") && !with("identity") && !accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn cells_stay_in_range() {
        assert_eq!(cell_deg(None).ok(), Some(DEFAULT_CELL_DEG));
        assert_eq!(cell_deg(Some("0.01")).ok(), Some(0.01));
        for bad in ["0", "0.0001", "1", "NaN", "inf", "x", "-0.01"] {
            assert!(cell_deg(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn periods_are_inclusive_china_days() {
        let f = point_filter(None, Some("2025-03-01"), Some("2025-03-01"), None, &county()).map_err(|e| e.to_string());
        let span = f.map(|f| (f.from.map(crate::records::time_text), f.to.map(crate::records::time_text)));
        assert_eq!(
            span,
            Ok((Some("2025-02-28T16:00:00.000Z".into()), Some("2025-03-01T16:00:00.000Z".into())))
        );
        assert!(point_filter(None, Some("2025-03-02"), Some("2025-03-01"), None, &county()).is_err());
        assert!(point_filter(None, Some("2025/03/02"), None, None, &county()).is_err());
        assert!(point_filter(None, None, None, Some("13073".into()), &county()).is_err());
    }
}
