//! OGC API – Features at `/ogcapi/` (Part 1 Core + GeoJSON, Part 2 CRS by reference), read-only,
//! over the current grids, villages and townships, so that QGIS and GDAL can read them.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use wangge_core::wire::ogc::{Collection, Collections, Conformance, Landing, Link};

use wangge_core::access::Permission;

use crate::access::AuditNote;
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use crate::formats::feature::OgcFeature;
use crate::grids::ogc::{self, check_format, CollectionId, InvalidParameter, ItemsQuery, CONFORMANCE};
use crate::state::AppState;
use crate::store::StoreError;
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/ogcapi", get(landing))
        .at("/ogcapi/", get(landing))
        .at("/ogcapi/conformance", get(conformance))
        .at("/ogcapi/collections", get(collections))
        .at("/ogcapi/collections/{collection}", get(collection))
        .at("/ogcapi/collections/{collection}/items", get(items))
        .at("/ogcapi/collections/{collection}/items/{feature}", get(item))
}

/// An answer in the spec's exception format, `{"code": ..., "description": ...}`.
#[derive(Debug)]
pub(super) struct Exception {
    status: StatusCode,
    code: &'static str,
    description: String,
    /// The audit row of a refusal.
    note: Option<Box<AuditNote>>,
}

impl Exception {
    fn not_found(description: String) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: "NotFound", description, note: None }
    }
}

impl From<InvalidParameter> for Exception {
    fn from(e: InvalidParameter) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "InvalidParameterValue", description: e.0, note: None }
    }
}

impl From<StoreError> for Exception {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %crate::logging::error_chain(&e), "OGC API: the store failed");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "ServiceUnavailable",
            description: "the store is unavailable".into(),
            note: None,
        }
    }
}

impl IntoResponse for Exception {
    fn into_response(self) -> Response {
        let response = (self.status, Json(json!({ "code": self.code, "description": self.description }))).into_response();
        match self.note {
            Some(note) => note.on(response),
            None => response,
        }
    }
}

/// The current features of `collection` inside `scope`, in code order, from the in-memory
/// catalog.
pub(in crate::http::routes) fn features(state: &AppState, collection: CollectionId, scope: &Scope) -> Vec<OgcFeature> {
    crate::grids::export::features(&state.catalog.load(), collection, |code| scope.covers(code))
}

/// The caller's scope for reading boundaries.
fn map_scope(caller: &Caller) -> Result<Scope, Exception> {
    caller.scope(Permission::ReadMap).map_err(Exception::from)
}

impl From<crate::access::Denial> for Exception {
    fn from(e: crate::access::Denial) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for Exception {
    fn from(e: ApiError) -> Self {
        let note = AuditNote::denied(Permission::ReadMap.as_str(), &e.to_string());
        Self { status: StatusCode::FORBIDDEN, code: "Forbidden", description: e.to_string(), note: Some(Box::new(note)) }
    }
}

/// The configured public URL and `/ogcapi`: never from the request's `Host` header, which the
/// client chooses.
fn base_url(state: &AppState) -> String {
    format!("{}/ogcapi", state.public_url)
}

/// The query's pairs; only `f=json` is accepted on the metadata resources.
fn pairs(query: Option<String>) -> Result<Vec<(String, String)>, Exception> {
    serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|e| InvalidParameter(format!("the query string cannot be read: {e}")).into())
}

fn only_format(query: Option<String>) -> Result<(), Exception> {
    let pairs = pairs(query)?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "f") {
        return Err(InvalidParameter(format!("unknown parameter {k:?}; only f=json is accepted here")).into());
    }
    check_format(pairs.iter().find(|(k, _)| k == "f").map(|(_, v)| v.as_str()))?;
    Ok(())
}

fn parse_collection(id: &str) -> Result<CollectionId, Exception> {
    CollectionId::parse(id)
        .ok_or_else(|| Exception::not_found(format!("no collection {id:?}; the collections are grids, villages and townships")))
}

#[utoipa::path(
    get,
    path = "/ogcapi",
    operation_id = "get_ogcapi",
    tag = "ogcapi",
    security(()),
    responses((status = 200, description = "the landing page", body = Landing), crate::http::openapi::OgcExceptions)
)]
async fn landing(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Landing>, Exception> {
    only_format(query)?;
    let base = base_url(&state);
    Ok(Json(Landing {
        title: "wangge — grids of Huailai County (怀来县网格)".to_owned(),
        description: "Current grids, villages and townships of Huailai County as OGC API – Features. Internal boundaries are illustrative.".to_owned(),
        links: vec![
            Link::new(format!("{base}/"), "self", "application/json", "this document"),
            Link::new(format!("{base}/conformance"), "conformance", "application/json", "conformance classes"),
            Link::new(format!("{base}/collections"), "data", "application/json", "collections"),
            Link::new(
                format!("{}/api/v1/openapi.json", state.public_url),
                "service-desc",
                super::openapi::OPENAPI_TYPE,
                "the API definition (OpenAPI 3.1)",
            ),
            Link::new(format!("{}/api/v1/docs", state.public_url), "service-doc", "text/html", "the API documentation"),
        ],
    }))
}

/// The landing page, also at `/ogcapi/`.
#[utoipa::path(
    get,
    path = "/ogcapi/",
    operation_id = "get_ogcapi_slash",
    tag = "ogcapi",
    security(()),
    responses((status = 200, description = "the landing page", body = Landing), crate::http::openapi::OgcExceptions)
)]
#[allow(dead_code)] // described here; served by `landing`.
fn landing_slash_doc() {}

#[utoipa::path(
    get,
    path = "/ogcapi/conformance",
    operation_id = "get_ogcapi_conformance",
    tag = "ogcapi",
    security(()),
    responses((status = 200, description = "the answer", body = wangge_core::wire::ogc::Conformance), crate::http::openapi::OgcExceptions)
)]
async fn conformance(RawQuery(query): RawQuery) -> Result<Json<Conformance>, Exception> {
    only_format(query)?;
    Ok(Json(Conformance { conforms_to: CONFORMANCE.iter().map(|c| (*c).to_owned()).collect() }))
}

#[utoipa::path(
    get,
    path = "/ogcapi/collections",
    operation_id = "get_ogcapi_collections",
    tag = "ogcapi",
    responses((status = 200, description = "the answer", body = wangge_core::wire::ogc::Collections), crate::http::openapi::OgcExceptions)
)]
async fn collections(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Collections>, Exception> {
    only_format(query)?;
    let scope = map_scope(&caller)?;
    let base = base_url(&state);
    let collections = CollectionId::ALL.into_iter().map(|c| ogc::collection(c, &features(&state, c, &scope), &base)).collect();
    Ok(Json(Collections {
        links: vec![Link::new(format!("{base}/collections"), "self", "application/json", "collections")],
        crs: vec![ogc::CRS84.to_owned(), ogc::EPSG_4490.to_owned()],
        collections,
    }))
}

#[utoipa::path(
    get,
    path = "/ogcapi/collections/{collection}",
    operation_id = "get_ogcapi_collections_collection",
    tag = "ogcapi",
    params(("collection" = String, Path, description = "a collection id", example = "grids")),
    responses((status = 200, description = "the answer", body = wangge_core::wire::ogc::Collection), crate::http::openapi::OgcExceptions)
)]
async fn collection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Collection>, Exception> {
    let c = parse_collection(&id)?;
    only_format(query)?;
    let scope = map_scope(&caller)?;
    Ok(Json(ogc::collection(c, &features(&state, c, &scope), &base_url(&state))))
}

#[utoipa::path(
    get,
    path = "/ogcapi/collections/{collection}/items",
    operation_id = "get_ogcapi_collections_collection_items",
    tag = "ogcapi",
    params(("collection" = String, Path, description = "a collection id", example = "grids")),
    responses((status = 200, description = "a page of features", content((crate::http::openapi::FeatureCollection = "application/geo+json"))), crate::http::openapi::OgcExceptions)
)]
async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Exception> {
    let c = parse_collection(&id)?;
    let q = ItemsQuery::parse(&pairs(query)?)?;
    let url = format!("{}/collections/{}/items", base_url(&state), c.as_str());
    let scope = map_scope(&caller)?;
    let page = ogc::items_page(c, &features(&state, c, &scope), &q, &url);
    Ok(geo_json(page, q.crs))
}

#[utoipa::path(
    get,
    path = "/ogcapi/collections/{collection}/items/{feature}",
    operation_id = "get_ogcapi_collections_collection_items_feature",
    tag = "ogcapi",
    params(("collection" = String, Path, description = "a collection id", example = "grids"), ("feature" = String, Path, description = "a feature id", example = "130730100001001")),
    responses((status = 200, description = "the feature", content((crate::http::openapi::Feature = "application/geo+json"))), crate::http::openapi::OgcExceptions)
)]
async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, feature)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Exception> {
    let c = parse_collection(&id)?;
    let pairs = pairs(query)?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "crs" && k != "f") {
        return Err(InvalidParameter(format!("unknown parameter {k:?}; a single feature accepts crs and f")).into());
    }
    let q = ItemsQuery::parse(&pairs)?;
    let scope = map_scope(&caller)?;
    let all = features(&state, c, &scope);
    let f = all.iter().find(|f| f.id == feature).ok_or_else(|| Exception::not_found(format!("no feature {feature:?} in {}", c.as_str())))?;
    let base = base_url(&state);
    let mut body = f.to_json(c, q.crs);
    body.links = Some(vec![
        Link::new(format!("{base}/collections/{}/items/{feature}", c.as_str()), "self", "application/geo+json", "this feature"),
        Link::new(format!("{base}/collections/{}", c.as_str()), "collection", "application/json", "its collection"),
    ]);
    Ok(geo_json(body, q.crs))
}

/// A GeoJSON answer with its `Content-Crs`.
fn geo_json(body: impl Serialize, crs: ogc::Crs) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        headers.insert("content-crs", v);
    }
    response
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(landing, landing_slash_doc, conformance, collections, collection, items, item))]
pub struct Doc;
