//! Petitions (信访): `GET|POST /api/v1/petitions` (the ledger, also as XLSX or CSV;
//! registration),
//! `GET /api/v1/petitions/{id}` (the file, audited), `POST …/{id}/moves` (accept, decline,
//! extend, answer) and `POST …/{id}/reveal` (the petitioners in clear, audited).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use wangge_core::access::Permission;
use wangge_core::petition::Move;

use super::answers::{move_view, FileMove};
use super::{area, case_filter, LedgerQuery};
use crate::access::{AuditNote, Caller};
use crate::disputes::petitions::{self as files, NewPetition, PetitionView};
use crate::disputes::{self};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::routes::sheets::{self, Name};
use crate::http::routes::{code, no_store, page, revealed, RevealBody, Routes};
use crate::records::{Page, Paged, Petition};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/petitions", get(ledger).post(register))
        .at("/api/v1/petitions/{id}", get(petition_file))
        .at("/api/v1/petitions/{id}/moves", post(move_petition))
        .at("/api/v1/petitions/{id}/reveal", post(reveal))
}

#[utoipa::path(
    get,
    path = "/api/v1/petitions",
    operation_id = "get_api_v1_petitions",
    tag = "disputes",
    params(LedgerQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((Paged<PetitionView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/petitions`: the petition ledger, newest first, or all of it as a spreadsheet.
async fn ledger(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<LedgerQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadDisputes)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    if q.grid.is_some() || q.kind.is_some() {
        return Err(ApiError::BadRequest("petitions are filtered by township and village, stage and period".into()));
    }
    let filter = case_filter(&scope, &q)?;
    if let Some(s) = &filter.stage {
        if serde_json::from_value::<wangge_core::petition::Stage>(Value::String(s.clone())).is_err() {
            return Err(ApiError::BadRequest(format!("stage {s:?} is not a petition stage")));
        }
    }
    let now = state.clock.now();
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let total = state.store.petitions(&filter, Page { page: 1, per_page: 1 }).await?.total;
        let found = state.store.petitions(&filter, Page { page: 1, per_page: sheets::whole(total)? }).await?;
        let build = move || crate::disputes::ledgers::petitions(&found.items, now);
        return sheets::file(&state, format, Name { ascii: "petitions", zh: "信访台账" }, "petitions", build).await;
    }
    let paging = page(q.page.as_deref(), q.per_page.as_deref())?;
    let found = state.store.petitions(&filter, paging).await?;
    let answer: Paged<PetitionView> = found.map(|p| files::view(&p, now));
    Ok(no_store(Json(answer).into_response()))
}

/// A petition the caller may see under `permission`, else 404 as if missing.
async fn visible(state: &AppState, caller: &Caller, permission: Permission, id: &str) -> Result<Petition, ApiError> {
    let scope = caller.scope(permission)?;
    let missing = || ApiError::Hidden(format!("no petition {id:?}"));
    let p = state.store.petition(id).await?.ok_or_else(missing)?;
    let covered = match &p.village_code {
        Some(v) => scope.0.covers(&p.township_code, v),
        None => scope.covers(&p.township_code),
    };
    if !covered {
        return Err(missing());
    }
    Ok(p)
}

/// A petition's whole file: the petition and its moves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PetitionFile {
    #[serde(flatten)]
    petition: PetitionView,
    moves: Vec<FileMove>,
}

async fn file(state: &AppState, p: &Petition) -> Result<PetitionFile, ApiError> {
    let moves = state.store.petition_moves(&p.petition_id).await?;
    Ok(PetitionFile { petition: files::view(p, state.clock.now()), moves: moves.iter().map(move_view).collect() })
}

#[utoipa::path(
    post,
    path = "/api/v1/petitions",
    operation_id = "post_api_v1_petitions",
    tag = "disputes",
    request_body = NewPetition,
    responses((status = 201, description = "created", body = PetitionFile), crate::http::openapi::Problems)
)]
/// `POST /api/v1/petitions`: registers a petition.
async fn register(State(state): State<AppState>, caller: Caller, ApiJson(mut body): ApiJson<NewPetition>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::HandlePetitions)?;
    let unprocessable = |e: ApiError| ApiError::Unprocessable(e.to_string());
    let township = code("township", body.township.clone(), 9).map_err(unprocessable)?;
    let village = body.village.clone().map(|v| code("village", v, 12)).transpose().map_err(unprocessable)?;
    if village.as_ref().is_some_and(|v| !v.starts_with(&township)) {
        return Err(ApiError::Unprocessable("village must be in the township".into()));
    }
    let (t, v) = area(&scope, Some(township.clone()), village.clone())?;
    if t.as_deref() != Some(township.as_str()) || (village.is_some() && v != village) {
        return Err(ApiError::Forbidden { action: Permission::HandlePetitions.as_str().into(), reason: "the petition's area is outside the caller's jurisdiction".into() });
    }
    let catalog = state.catalog.load();
    let known = catalog.grids().iter().any(|g| g.grid.township_code == township && village.as_ref().is_none_or(|v| &g.grid.village_code == v));
    if !known {
        return Err(ApiError::Unprocessable(format!("{} is not a division of the county", village.as_deref().unwrap_or(&township))));
    }
    // Links must exist and be inside the caller's area.
    if let Some(e) = &body.event_id {
        let found = state.store.event(e).await?;
        if !found.is_some_and(|ev| scope.0.covers(&ev.place.township, &ev.place.village)) {
            return Err(ApiError::Unprocessable(format!("event_id {e:?} is not an event in the caller's area")));
        }
    }
    if let Some(c) = &body.case_id {
        let found = state.store.dispute(c).await?;
        if !found.is_some_and(|d| scope.0.covers(&d.place.township, &d.place.village)) {
            return Err(ApiError::Unprocessable(format!("case_id {c:?} is not a dispute case in the caller's area")));
        }
    }
    if let Some(r) = &body.repeat_of {
        let found = state.store.petition(r).await?;
        match found {
            Some(first) if scope.covers(&first.township_code) => {
                // A repeat links to the first petition of the matter, never to another repeat.
                if let Some(root) = first.repeat_of {
                    body.repeat_of = Some(root);
                }
            }
            _ => return Err(ApiError::Unprocessable(format!("repeat_of {r:?} is not a petition in the caller's area"))),
        }
    }
    body.township = township;
    body.village = village;
    let now = state.clock.now();
    let id = disputes::new_id('P')?;
    let (p, first) = files::open(body, id, &state.registry_keys, &caller.actor_id(), now)?;
    state.store.insert_petition(&p, &first).await?;
    let v = file(&state, &p).await?;
    let response = (StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/petitions/{}", p.petition_id))], Json(v)).into_response();
    Ok(AuditNote::success(Permission::HandlePetitions.as_str(), format!("petition:{}", p.petition_id)).with_detail("register").on(no_store(response)))
}

#[utoipa::path(
    get,
    path = "/api/v1/petitions/{id}",
    operation_id = "get_api_v1_petitions_id",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "P2023-001")),
    responses((status = 200, description = "the answer", body = PetitionFile), crate::http::openapi::Problems)
)]
/// `GET /api/v1/petitions/{id}` (audited).
async fn petition_file(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let p = visible(&state, &caller, Permission::ReadDisputes, &id).await?;
    let v = file(&state, &p).await?;
    Ok(AuditNote::success(Permission::ReadDisputes.as_str(), format!("petition:{id}")).on(no_store(Json(v).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/petitions/{id}/moves",
    operation_id = "post_api_v1_petitions_id_moves",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "P2023-001")),
    request_body = serde_json::Value,
    responses((status = 200, description = "the answer", body = PetitionFile), crate::http::openapi::Problems)
)]
/// `POST /api/v1/petitions/{id}/moves`.
async fn move_petition(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>, ApiJson(body): ApiJson<Value>) -> Result<Response, ApiError> {
    let p = visible(&state, &caller, Permission::HandlePetitions, &id).await?;
    let m: Move = serde_json::from_value(body)
        .map_err(|e| ApiError::Unprocessable(format!("not a valid move ({e}); one of accept, decline, extend, answer")))?;
    let now = state.clock.now();
    let (after, row) = files::apply(&p, &m, &caller.actor_id(), now)?;
    state.store.move_petition(&after, p.seq, &row).await?;
    let v = file(&state, &after).await?;
    Ok(AuditNote::success(Permission::HandlePetitions.as_str(), format!("petition:{id}"))
        .with_detail(format!("{} → {}", m.as_str(), after.stage.as_str()))
        .on(no_store(Json(v).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/petitions/{id}/reveal",
    operation_id = "post_api_v1_petitions_id_reveal",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "P2023-001")),
    request_body = RevealBody,
    responses((status = 200, description = "the answer", body = wangge_core::wire::Revealed), crate::http::openapi::Problems)
)]
/// `POST /api/v1/petitions/{id}/reveal` `{"field": "petitioners"}` (audited).
async fn reveal(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>, ApiJson(body): ApiJson<RevealBody>) -> Result<Response, ApiError> {
    caller.require(Permission::RevealPersonalData)?;
    let p = visible(&state, &caller, Permission::ReadDisputes, &id).await?;
    if body.field != "petitioners" {
        return Err(ApiError::Unprocessable(format!("field must be petitioners, got {:?}", body.field)));
    }
    let clear = state.registry_keys.open(files::PETITIONERS_FIELD, &p.petitioners_sealed).map_err(disputes::Refused::from)?;
    Ok(revealed(format!("petition:{id}"), body.field, clear))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(ledger, register, petition_file, move_petition, reveal))]
pub struct Doc;
