//! `GET /api/v1/divisions`: the county → township → village tree with grid counts.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use wangge_core::access::Permission;

use crate::access::Caller;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/divisions", get(divisions))
}

#[utoipa::path(
    get,
    path = "/api/v1/divisions",
    operation_id = "get_api_v1_divisions",
    tag = "grids",
    responses((status = 200, description = "county, townships and villages with their grid counts (a township or village caller gets its own branch)", body = crate::grids::catalog::DivisionTree<'static>), crate::http::openapi::Problems)
)]
/// The tree, serialised once at start-up; a township or village caller gets its own branch.
async fn divisions(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadDivisions)?;
    let bytes = state.catalog.load().divisions();
    if scope.is_county() {
        return Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response());
    }
    let mut tree: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(Value::Array(townships)) = tree.get_mut("townships") {
        let code_of = |v: &Value| v.get("code").and_then(Value::as_str).unwrap_or_default().to_owned();
        townships.retain(|t| scope.covers(&code_of(t)) || scope.0.as_str().starts_with(&code_of(t)));
        for t in townships.iter_mut() {
            if let Some(Value::Array(villages)) = t.get_mut("villages") {
                villages.retain(|v| scope.covers(&code_of(v)));
            }
        }
    }
    Ok(axum::Json(tree).into_response())
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(divisions))]
pub struct Doc;
