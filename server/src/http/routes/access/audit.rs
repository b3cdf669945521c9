//! The audit administrator's API: `GET /api/v1/audit` searches the trail, `GET
//! /api/v1/audit/verify` checks its chain. Reading it is itself audited; nobody can change it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::access::{verify_chain, AuditOutcome, ChainHead, Permission, SealedRow};
use wangge_core::wire::{AuditBreak, AuditEntry, AuditVerify};

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
    responses((status = 200, description = "the answer", body = serde_json::Value), crate::http::openapi::Problems)
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

/// Where the verified chain `head` falls short of this instance's anchor, if it does.
async fn behind_anchor(state: &AppState, head: ChainHead) -> Result<Option<AuditBreak>, ApiError> {
    let Some(anchor) = state.auditor.anchor() else { return Ok(None) };
    let anchored = match anchor.read(state.auditor.key()) {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(None),
        Err(e) => return Ok(Some(AuditBreak { index: head.next_seq.saturating_sub(1), kind: e.to_string() })),
    };
    if head.next_seq < anchored.next_seq {
        let kind = format!(
            "the chain ends at row {} but its anchor outside the database names row {}: the newest rows were deleted",
            head.next_seq.saturating_sub(1),
            anchored.next_seq - 1
        );
        return Ok(Some(AuditBreak { index: head.next_seq.saturating_sub(1), kind }));
    }
    let row = state.store.audit_chain(anchored.next_seq.saturating_sub(1), 1).await?;
    match row.first() {
        Some(r) if r.hash == anchored.last => Ok(None),
        _ => Ok(Some(AuditBreak {
            index: anchored.next_seq.saturating_sub(1),
            kind: "the row named by the anchor outside the database differs from it".into(),
        })),
    }
}

/// Rows read per step of the verification.
const VERIFY_STEP: u32 = 5000;

#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    operation_id = "get_api_v1_audit_verify",
    tag = "access",
    responses((status = 200, description = "the answer", body = serde_json::Value), crate::http::openapi::Problems)
)]
async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Permission::ReadAuditLog)?;
    let key = state.auditor.key();
    let mut head = ChainHead::START;
    let mut checked = 0usize;
    let broken = loop {
        let rows = state.store.audit_chain(head.next_seq, VERIFY_STEP).await?;
        if rows.is_empty() {
            break None;
        }
        match verify_chain(key, head, &rows, None) {
            Ok(next) => {
                checked += rows.len();
                head = next;
            }
            Err(b) => break Some(AuditBreak { index: (checked + b.index) as u64, kind: b.kind.to_string() }),
        }
    };
    // The anchor kept outside the database: a chain that ends before it, or whose anchored
    // row differs, lost its newest rows.
    let broken = match broken {
        Some(b) => Some(b),
        None => behind_anchor(&state, head).await?,
    };
    let ok = broken.is_none();
    let body = AuditVerify { ok, rows: checked as u64, chain_break: broken };
    let note = AuditNote::success("verify_audit_log", "audit_log").with_detail(format!("ok={ok} rows={checked}"));
    Ok(note.on(no_store(Json(body).into_response())))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search, verify))]
pub struct Doc;
