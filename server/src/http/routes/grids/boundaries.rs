//! `GET /api/v1/grids` (filtered FeatureCollection) and `GET /api/v1/grids/{code}` (one Feature),
//! served from the in-memory catalog.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use geo_types::{coord, Rect};
use serde::Deserialize;
use wangge_core::{GridKind, LonLat};

use crate::grids::catalog::CatalogGrid;
use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::http::routes::Routes;

/// Media type of GeoJSON answers.
const GEO_JSON: &str = "application/geo+json";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/grids", get(list)).at("/api/v1/grids/{code}", get(one))
}

/// The query string as given.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct FilterQuery {
    township: Option<String>,
    village: Option<String>,
    kind: Option<String>,
    bbox: Option<String>,
}

/// The checked filters.
#[derive(Debug, Default)]
struct Filter {
    township: Option<String>,
    village: Option<String>,
    kind: Option<GridKind>,
    bbox: Option<Rect<f64>>,
}

impl Filter {
    fn parse(q: FilterQuery) -> Result<Self, ApiError> {
        Ok(Self {
            township: q.township.map(|c| digits("township", c, 9)).transpose()?,
            village: q.village.map(|c| digits("village", c, 12)).transpose()?,
            kind: q.kind.map(|k| kind(&k)).transpose()?,
            bbox: q.bbox.map(|b| bbox(&b)).transpose()?,
        })
    }

    /// Attribute filters and, if given, whether the shape itself meets the box.
    fn accepts(&self, g: &CatalogGrid) -> bool {
        let grid = &g.grid;
        self.township.as_ref().is_none_or(|t| *t == grid.township_code)
            && self.village.as_ref().is_none_or(|v| *v == grid.village_code)
            && self.kind.is_none_or(|k| k == grid.kind)
            && self.bbox.is_none_or(|b| g.intersects(&b))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/grids",
    operation_id = "get_api_v1_grids",
    tag = "grids",
    params(FilterQuery),
    responses((status = 200, description = "the grids", content((crate::http::openapi::FeatureCollection = "application/geo+json"))), crate::http::openapi::Problems)
)]
async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<FilterQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let filter = Filter::parse(q)?;
    let catalog = state.catalog.load();
    let features: Vec<&str> = match filter.bbox {
        Some(b) => {
            // The index's R-tree narrows to grids whose boxes meet the bbox; the filter is exact.
            let index = state.index.load();
            let (lo, hi) = (b.min(), b.max());
            index
                .in_bbox([lo.x, lo.y, hi.x, hi.y])
                .into_iter()
                .filter_map(|i| index.grids().get(i).and_then(|r| catalog.grid(&r.code)))
                .filter(|g| filter.accepts(g) && scope.covers(&g.grid.code))
                .map(|g| g.feature.as_str())
                .collect()
        }
        None => catalog
            .grids()
            .iter()
            .filter(|g| filter.accepts(g) && scope.covers(&g.grid.code))
            .map(|g| g.feature.as_str())
            .collect(),
    };
    Ok(geojson_response(collection(catalog.note(), &features)))
}

#[utoipa::path(
    get,
    path = "/api/v1/grids/{code}",
    operation_id = "get_api_v1_grids_code",
    tag = "grids",
    params(("code" = String, Path, description = "a grid or division code", example = "130730100001001")),
    responses((status = 200, description = "the grid", content((crate::http::openapi::Feature = "application/geo+json"))), crate::http::openapi::Problems)
)]
async fn one(State(state): State<AppState>, caller: Caller, ApiPath(code): ApiPath<String>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadMap)?;
    let catalog = state.catalog.load();
    let missing = || format!("no grid with code {code:?}");
    let grid = catalog.grid(&code).ok_or_else(|| ApiError::NotFound(missing()))?;
    if !scope.covers(&grid.grid.code) {
        return Err(ApiError::Hidden(missing()));
    }
    Ok(geojson_response(grid.feature.clone()))
}

fn geojson_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, GEO_JSON)], body).into_response()
}

/// A FeatureCollection from pre-serialised features, carrying the dataset's note.
fn collection(note: &str, features: &[&str]) -> String {
    let note = serde_json::Value::String(note.to_owned());
    let size = features.iter().map(|f| f.len() + 1).sum::<usize>() + 128;
    let mut out = String::with_capacity(size);
    out.push_str(r#"{"type":"FeatureCollection","note":"#);
    out.push_str(&note.to_string());
    out.push_str(r#","features":["#);
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(f);
    }
    out.push_str("]}");
    out
}

fn digits(what: &str, code: String, len: usize) -> Result<String, ApiError> {
    if code.len() == len && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ApiError::BadRequest(format!("{what} must be a {len}-digit division code, got {code:?}")))
    }
}

fn kind(text: &str) -> Result<GridKind, ApiError> {
    GridKind::parse(text)
        .ok_or_else(|| ApiError::BadRequest(format!("kind must be community, rural or street_unit, got {text:?}")))
}

/// `minLon,minLat,maxLon,maxLat` in degrees.
fn bbox(text: &str) -> Result<Rect<f64>, ApiError> {
    let bad = |reason: String| ApiError::BadRequest(format!("bbox: {reason}"));
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [a, b, c, d] = parts.as_slice() else {
        return Err(bad(format!("expected minLon,minLat,maxLon,maxLat, got {} values", parts.len())));
    };
    let mut n = [0.0; 4];
    for (slot, s) in n.iter_mut().zip([a, b, c, d]) {
        *slot = s.parse().map_err(|_| bad(format!("{s:?} is not a number")))?;
    }
    let lo = LonLat::new(n[0], n[1]).map_err(|e| bad(e.to_string()))?;
    let hi = LonLat::new(n[2], n[3]).map_err(|e| bad(e.to_string()))?;
    if lo.lon > hi.lon || lo.lat > hi.lat {
        return Err(bad("min must not exceed max".into()));
    }
    Ok(Rect::new(coord! { x: lo.lon, y: lo.lat }, coord! { x: hi.lon, y: hi.lat }))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, one))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bboxes_and_refuses_garbled_ones() {
        let r = bbox("115.5, 40.4,115.6,40.5").map_err(|e| e.to_string());
        assert_eq!(r.map(|r| (r.min().x, r.max().y)), Ok((115.5, 40.5)));
        for bad in ["", "1,2,3", "1,2,3,4,5", "a,2,3,4", "1,2,NaN,4", "1,95,3,96", "3,2,1,4"] {
            assert!(bbox(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn collections_are_valid_json_with_the_note() {
        let text = collection("illustrative \"boundaries\"", &[r#"{"type":"Feature"}"#, r#"{"type":"Feature"}"#]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(v["features"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["note"], "illustrative \"boundaries\"");
    }
}
