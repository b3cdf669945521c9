//! The audit administrator's API: `GET /api/v1/audit` searches the trail, `GET
//! /api/v1/audit/verify` checks its chain ([`crate::access::verify_trail`]). Reading it is itself audited; nobody can change it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::access::{AuditOutcome, Permission, SealedRow};
use wangge_core::wire::AuditEntry;

use crate::http::routes::{no_store, page, time};
use crate::access::AuditNote;
use crate::access::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::store::{micros, AuditFilter};
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/audit", get(search)).at("/api/v1/audit/verify", get(verify))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    user: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn entry(s: &SealedRow) -> AuditEntry {
    AuditEntry {
        seq: s.row.seq,
        at: s.row.at.to_rfc3339(),
        user: s.row.user.clone(),
        action: s.row.action.clone(),
        object: s.row.object.clone(),
        outcome: s.row.outcome,
        source: s.row.source.clone(),
        detail: s.row.detail.clone(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "get_api_v1_audit",
    tag = "access",
    params(SearchQuery),
    responses((status = 200, description = "a page of audit rows, newest first", body = wangge_core::wire::Paged<wangge_core::wire::AuditEntry>), crate::http::openapi::Problems)
)]
async fn search(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<SearchQuery>) -> Result<Response, ApiError> {
    caller.require(Permission::ReadAuditLog)?;
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let outcome = q
        .outcome
        .as_deref()
        .map(|o| {
            AuditOutcome::parse(o)
                .ok_or_else(|| ApiError::BadRequest(format!("outcome must be success, failure, denied or begun, got {o:?}")))
        })
        .transpose()?;
    let filter = AuditFilter {
        user: q.user.filter(|s| !s.is_empty()),
        action: q.action.filter(|s| !s.is_empty()),
        outcome,
        object: q.object.filter(|s| !s.is_empty()),
        from_us: q.from.as_deref().map(|t| time("from", t, false)).transpose()?.map(micros),
        to_us: q.to.as_deref().map(|t| time("to", t, true)).transpose()?.map(micros),
    };
    let found = state.store.audit(&filter, page).await?;
    let body = found.map(|s| entry(&s));
    let detail = [
        ("user", filter.user.as_deref()),
        ("action", filter.action.as_deref()),
        ("outcome", filter.outcome.map(|o| o.as_str())),
        ("object", filter.object.as_deref()),
        ("from", q.from.as_deref()),
        ("to", q.to.as_deref()),
    ]
    .iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
    .collect::<Vec<_>>()
    .join(" ");
    Ok(AuditNote::success("read_audit_log", "audit_log").with_detail(detail).on(no_store(Json(body).into_response())))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    operation_id = "get_api_v1_audit_verify",
    tag = "access",
    responses((status = 200, description = "the chain checked", body = wangge_core::wire::AuditVerify), crate::http::openapi::Problems)
)]
async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Permission::ReadAuditLog)?;
    // The anchor is written beside the chain, not before each answer: let it catch up first.
    state.auditor.anchored().await;
    let body = crate::access::verify_trail(&state.store, state.auditor.key(), state.auditor.anchor(), None).await?;
    let note = AuditNote::success("verify_audit_log", "audit_log").with_detail(format!("ok={} rows={}", body.ok, body.rows));
    Ok(note.on(no_store(Json(body).into_response())))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search, verify))]
pub struct Doc;
