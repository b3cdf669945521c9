//! `GET|PUT /api/v1/responsibility`: the departments and the editable routing table that
//! decides which department gets an event escalated to the department tier.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::event::Category;
use wangge_core::people::Responsibility;

use crate::access::AuditNote;
use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::ApiJson;
use crate::records::Department;
use crate::state::AppState;
use crate::http::routes::Routes;

/// Most rows in the routing table.
const MAX_ROWS: usize = 1000;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/responsibility", get(current).put(replace))
}

#[utoipa::path(
    get,
    path = "/api/v1/responsibility",
    operation_id = "get_api_v1_responsibility",
    tag = "events",
    responses((status = 200, description = "the departments and the responsibility table", body = crate::events::rules::Routing), crate::http::openapi::Problems)
)]
async fn current(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Permission::ReadDivisions)?;
    Ok(Json(state.rules.routing().as_ref().clone()).into_response())
}

/// A new routing table, with departments to add or rename.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RoutingBody {
    #[serde(default)]
    departments: Vec<Department>,
    rules: Vec<Responsibility>,
}

#[utoipa::path(
    put,
    path = "/api/v1/responsibility",
    operation_id = "put_api_v1_responsibility",
    tag = "events",
    request_body = RoutingBody,
    responses((status = 200, description = "the table as now loaded", body = crate::events::rules::Routing), crate::http::openapi::Problems)
)]
async fn replace(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<RoutingBody>) -> Result<Response, ApiError> {
    caller.require(Permission::EditRouting)?;
    check(&state, &body)?;
    state.store.replace_responsibility(&body.departments, &body.rules).await?;
    state.rules.reload_routing(&state.store).await?;
    let detail = format!("{} departments, {} rules", body.departments.len(), body.rules.len());
    let note = AuditNote::success(Permission::EditRouting.as_str(), "responsibility").with_detail(detail);
    Ok(note.on(current(State(state), caller).await?))
}

fn check(state: &AppState, body: &RoutingBody) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::Unprocessable(m));
    if body.rules.len() > MAX_ROWS {
        return bad(format!("at most {MAX_ROWS} rules"));
    }
    for d in &body.departments {
        let ok_code = !d.code.is_empty()
            && d.code.len() <= 64
            && d.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok_code {
            return bad(format!("department code {:?} must be 1 to 64 of a-z, 0-9, _ and -", d.code));
        }
        if d.name.trim().is_empty() || d.name.chars().count() > 64 {
            return bad(format!("department {} needs a name of at most 64 characters", d.code));
        }
    }
    let routing = state.rules.routing();
    let known = |code: &str| body.departments.iter().any(|d| d.code == code) || routing.department(code).is_some();
    let mut seen = HashSet::new();
    for r in &body.rules {
        if Category::parse(&r.category).is_none() {
            return bad(format!("category must be livelihood, hazard, dispute or other, got {:?}", r.category));
        }
        if r.subcategory.as_deref().is_some_and(|s| s.trim().is_empty() || s.chars().count() > 64) {
            return bad("a subcategory is 1 to 64 characters, or null for the category's default".into());
        }
        if !known(&r.department) {
            return bad(format!("no department with code {:?}", r.department));
        }
        if !seen.insert((r.category.as_str(), r.subcategory.as_deref())) {
            let sub = r.subcategory.as_deref().unwrap_or("(default)");
            return bad(format!("{}/{sub} appears twice", r.category));
        }
    }
    Ok(())
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(current, replace))]
pub struct Doc;
