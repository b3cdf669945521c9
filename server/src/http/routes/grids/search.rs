//! `GET /api/v1/search?q=&crs=&limit=`: what the map's search box finds — coordinates typed in
//! (with the grid there), an event by id, and townships, villages and grids by code prefix or
//! name.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::wire::{HitKind, SearchHit, SearchHits};
use wangge_core::{Crs, LonLat, Located};

use crate::http::routes::no_store;
use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::ApiQuery;
use crate::grids::map::{self, Place};
use crate::state::AppState;
use crate::http::routes::Routes;

/// Longest query, in characters.
pub const MAX_QUERY: usize = 100;

/// Hits answered unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 20;

/// Most hits answered.
pub const MAX_LIMIT: usize = 100;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/search", get(search))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: Option<String>,
    crs: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    operation_id = "get_api_v1_search",
    tag = "grids",
    params(SearchQuery),
    responses((status = 200, description = "the answer", body = wangge_core::wire::SearchHits), crate::http::openapi::Problems)
)]
async fn search(State(state): State<AppState>, caller: Caller, ApiQuery(query): ApiQuery<SearchQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let events_scope = caller.scope(Permission::ReadEvents).ok();
    let q = query_text(query.q.as_deref())?;
    let limit = limit(query.limit.as_deref())?;
    let crs_text = query.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text)
        .ok_or_else(|| ApiError::BadRequest(format!("crs must be cgcs2000, wgs84, gcj02 or bd09, got {crs_text:?}")))?;
    let mut hits = Vec::new();
    if let Some((lon, lat)) = coordinates(q) {
        hits.push(point_hit(&state, lon, lat, crs)?);
    }
    if looks_like_event_id(q) && events_scope.is_some() {
        let found = state.store.event(q).await?;
        let visible = |e: &crate::records::EventRecord| {
            events_scope.is_some() && caller.sees_event(e)
        };
        if let Some(e) = found.filter(visible) {
            let name = match &e.subcategory {
                Some(sub) => format!("{} · {sub}", e.category.zh()),
                None => e.category.zh().to_owned(),
            };
            hits.push(SearchHit {
                kind: HitKind::Event,
                code: e.event_id.clone(),
                name,
                bbox: None,
                point: Some([map::round(e.location.lon), map::round(e.location.lat)]),
                grid: Some(e.place.grid.clone()),
            });
        }
    }
    let layers = state.map.load();
    let places = [(HitKind::Township, &layers.township_places), (HitKind::Village, &layers.village_places)];
    for (kind, list) in places {
        hits.extend(list.iter().filter(|p| matches(q, &p.code, &p.name)).map(|p| place_hit(kind, p)));
    }
    let catalog = state.catalog.load();
    hits.extend(catalog.grids().iter().filter(|g| matches(q, &g.grid.code, &g.grid.name)).map(|g| {
        let bbox = g.bbox.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y].map(map::round));
        SearchHit {
            kind: HitKind::Grid,
            code: g.grid.code.clone(),
            name: g.grid.name.clone(),
            bbox,
            point: None,
            grid: Some(g.grid.code.clone()),
        }
    }));
    if !scope.is_county() {
        hits.retain(|h| h.kind == HitKind::Event || scope.covers(h.grid.as_deref().unwrap_or(&h.code)));
    }
    hits.truncate(limit);
    Ok(no_store(Json(SearchHits { hits }).into_response()))
}

/// The query, trimmed: 1 to [`MAX_QUERY`] characters.
fn query_text(q: Option<&str>) -> Result<&str, ApiError> {
    let q = q.map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Err(ApiError::BadRequest("q is required: a code, a name, an event id or \"lon,lat\"".into()));
    }
    let n = q.chars().count();
    if n > MAX_QUERY || q.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "q must be at most {MAX_QUERY} characters without control characters, got {n}"
        )));
    }
    Ok(q)
}

fn limit(text: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = text else { return Ok(DEFAULT_LIMIT) };
    text.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
        ApiError::BadRequest(format!("limit must be a whole number from 1 to {MAX_LIMIT}, got {text:?}"))
    })
}

/// `lon,lat` or `lon lat` (spaces around the comma allowed).
fn coordinates(q: &str) -> Option<(f64, f64)> {
    let parts: Vec<&str> = if q.contains(',') {
        q.split(',').map(str::trim).collect()
    } else {
        q.split_whitespace().collect()
    };
    let [lon, lat] = parts.as_slice() else { return None };
    Some((lon.parse().ok()?, lat.parse().ok()?))
}

/// The point in CGCS2000 with the grid there (none outside the county).
fn point_hit(state: &AppState, lon: f64, lat: f64, crs: Crs) -> Result<SearchHit, ApiError> {
    let p = LonLat::from_crs(lon, lat, crs).map_err(|e| ApiError::BadRequest(format!("q: {e}")))?;
    let index = state.index.load();
    let grid = match index.locate(p.lon, p.lat).map_err(|e| ApiError::BadRequest(format!("q: {e}")))? {
        Located::Grid(i) => index.grids().get(i),
        Located::Outside(_) => None,
    };
    Ok(SearchHit {
        kind: HitKind::Point,
        code: String::new(),
        name: grid.map(|g| g.name.clone()).unwrap_or_default(),
        bbox: None,
        point: Some([map::round(p.lon), map::round(p.lat)]),
        grid: grid.map(|g| g.code.clone()),
    })
}

/// `E` followed by digits and dashes, as event ids are.
fn looks_like_event_id(q: &str) -> bool {
    q.len() <= 32
        && q.strip_prefix('E').is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
}

/// A code starting with `q` (letters in either case), or a name containing it.
fn matches(q: &str, code: &str, name: &str) -> bool {
    let prefix = q.bytes().all(|b| b.is_ascii_alphanumeric())
        && code.len() >= q.len()
        && code.as_bytes()[..q.len()].eq_ignore_ascii_case(q.as_bytes());
    prefix || name.contains(q)
}

fn place_hit(kind: HitKind, p: &Place) -> SearchHit {
    SearchHit { kind, code: p.code.clone(), name: p.name.clone(), bbox: p.bbox, point: None, grid: None }
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_two_numbers() {
        assert_eq!(coordinates("115.5,40.4"), Some((115.5, 40.4)));
        assert_eq!(coordinates(" 115.5 , 40.4"), Some((115.5, 40.4)));
        assert_eq!(coordinates("115.5 40.4"), Some((115.5, 40.4)));
        assert_eq!(coordinates("115.5"), None);
        assert_eq!(coordinates("1,2,3"), None);
        assert_eq!(coordinates("沙城 镇"), None);
    }

    #[test]
    fn codes_match_by_prefix_and_names_by_substring() {
        assert!(matches("1307301", "130730100001Z01", "东关社区驻街单位01"));
        assert!(matches("130730100001z", "130730100001Z01", "x"));
        assert!(matches("驻街", "130730100001Z01", "东关社区驻街单位01"));
        assert!(!matches("1307302", "130730100001Z01", "东关社区驻街单位01"));
        assert!(!matches("130730100001Z012", "130730100001Z01", "x"));
    }

    #[test]
    fn queries_and_limits_are_checked() {
        assert!(query_text(None).is_err());
        assert!(query_text(Some("  ")).is_err());
        assert!(query_text(Some(&"沙".repeat(101))).is_err());
        assert_eq!(query_text(Some(" 沙城 ")).ok(), Some("沙城"));
        assert_eq!(limit(None).ok(), Some(DEFAULT_LIMIT));
        assert!(limit(Some("0")).is_err() && limit(Some("101")).is_err() && limit(Some("x")).is_err());
        assert!(looks_like_event_id("E20250303-000001") && !looks_like_event_id("E") && !looks_like_event_id("东关"));
    }
}
