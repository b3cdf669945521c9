//! Special groups and key youth: `GET|POST /api/v1/registry/special_groups` (the queue, the
//! most overdue first; `?overdue=true` for the follow-ups not made in time; also as XLSX or
//! CSV),
//! `GET|PUT …/special_groups/{id}` and `POST …/{id}/followups`. Seen only by the
//! special-group officers of the jurisdiction and, for its own members, the responsible
//! gridworker; anything else is answered as missing. Every read is audited.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use wangge_core::access::{Permission, Role};

use super::super::sheets::{self, Name};
use super::super::{code, empty_page, no_store, page, Routes};
use super::{desk, fields};
use crate::access::{AuditNote, Caller};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{Page, SpecialFilter, SpecialRecord};
use crate::registry::special::{self, FollowupRequest, FollowupView, SpecialView};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/registry/special_groups", get(list).post(create))
        .at("/api/v1/registry/special_groups/{id}", get(one).put(replace))
        .at("/api/v1/registry/special_groups/{id}/followups", post(follow_up))
}

/// Whether the caller is a gridworker (who sees only the members it follows up).
fn gridworker(caller: &Caller) -> bool {
    caller.grant.as_ref().is_some_and(|g| g.role == Role::Gridworker)
}

/// The membership if the caller may see it with `permission`; else answered as missing.
async fn visible(state: &AppState, caller: &Caller, permission: Permission, id: &str) -> Result<SpecialRecord, ApiError> {
    let scope = caller.scope(permission)?;
    let missing = || format!("no special-group member {id:?}");
    let s = state.store.special(id).await?.ok_or_else(|| ApiError::NotFound(missing()))?;
    let own = !gridworker(caller) || s.responsible_person_id == caller.acting_as;
    if scope.covers(&s.village_code) && own {
        Ok(s)
    } else {
        Err(ApiError::Hidden(missing()))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    group: Option<String>,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    overdue: Option<bool>,
    page: Option<String>,
    per_page: Option<String>,
    /// `xlsx` or `csv`: the whole filtered queue as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/special_groups",
    operation_id = "get_api_v1_registry_special_groups",
    tag = "registry",
    params(ListQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((wangge_core::wire::Paged<SpecialView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/registry/special_groups`: the queue, the most overdue first, paged, or all of
/// it as a spreadsheet (for the officers and gridworkers who read it: no `export_data`).
async fn list(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadSpecialGroups)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let note = AuditNote::success(Permission::ReadSpecialGroups.as_str(), "special_groups");
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let now = state.clock.now();
    let area = scope.narrow(township, village).filter(|_| q.grid.as_deref().is_none_or(|g| scope.covers(g)));
    let filter = area.map(|(township, village)| SpecialFilter {
        group: q.group,
        township,
        village,
        grid: q.grid,
        responsible: gridworker(&caller).then(|| caller.acting_as.clone()),
        due_before: q.overdue.filter(|o| *o).map(|_| now),
        person_hash: None,
    });
    let _turn = match export {
        Some(_) => Some(crate::http::overload::heavy_turn(&state).await?),
        None => None,
    };
    let found = match (&filter, export) {
        (None, Some(_)) => crate::records::Paged { items: Vec::new(), total: 0, page: 1, per_page: 1 },
        (None, None) => return Ok(note.on(no_store(Json(empty_page::<SpecialView>(page)).into_response()))),
        (Some(f), Some(_)) => {
            let total = state.store.specials(f, Page { page: 1, per_page: 1 }).await?.total;
            state.store.specials(f, Page { page: 1, per_page: sheets::whole(total)? }).await?
        }
        (Some(f), None) => state.store.specials(f, page).await?,
    };
    let mut items = Vec::with_capacity(found.items.len());
    for s in &found.items {
        let person = state.store.record(&state.registry_keys.open(special::PERSON_FIELD, &s.person_sealed).map_err(crate::registry::Refused::Crypt)?).await?;
        items.push(special::view(&state.registry_keys, s, person.as_ref(), now)?);
    }
    if let Some(format) = export {
        let build = move || special::sheet(&items);
        return sheets::file(&state, format, Name { ascii: "special-groups", zh: "特殊人群" }, "special_groups", build).await;
    }
    let body = crate::records::Paged { items, total: found.total, page: found.page, per_page: found.per_page };
    Ok(note.on(no_store(Json(body).into_response())))
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/special_groups/{id}",
    operation_id = "get_api_v1_registry_special_groups_id",
    tag = "registry",
    params(("id" = String, Path, description = "the record's id", example = "SD000001")),
    responses((status = 200, description = "the membership with its follow-ups", body = SpecialView), crate::http::openapi::Problems)
)]
async fn one(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let s = visible(&state, &caller, Permission::ReadSpecialGroups, &id).await?;
    let person = state.store.record(&state.registry_keys.open(special::PERSON_FIELD, &s.person_sealed).map_err(crate::registry::Refused::Crypt)?).await?;
    let mut view = special::view(&state.registry_keys, &s, person.as_ref(), state.clock.now())?;
    let followups = state.store.followups(&id).await?;
    view.followups = Some(followups.iter().map(|f| special::followup_view(&state.registry_keys, f)).collect::<Result<Vec<_>, _>>()?);
    Ok(AuditNote::success(Permission::ReadSpecialGroups.as_str(), format!("special:{id}")).on(no_store(Json(view).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/special_groups",
    operation_id = "post_api_v1_registry_special_groups",
    tag = "registry",
    request_body = serde_json::Value,
    responses((status = 201, description = "created", body = SpecialView), crate::http::openapi::Problems)
)]
async fn create(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<Value>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditSpecialGroups)?;
    let input = fields(&body)?;
    let (index, catalog) = (state.index.load(), state.catalog.load());
    let actor = super::actor(&caller);
    let d = desk(&state, &index, &catalog, &actor);
    let roster = state.rules.roster();
    let (record, person) = special::build(&d, &roster, &input, None).await?;
    if !scope.covers(&person.village_code) {
        return Err(ApiError::NotFound(format!("no person {:?} in the registry", person.record_id)));
    }
    if let Err(existing) = state.store.insert_special(&record).await? {
        return Err(ApiError::Conflict(format!("this person is already registered in that group as {existing}")));
    }
    let view = special::view(&state.registry_keys, &record, Some(&person), state.clock.now())?;
    let id = &record.special_id;
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/registry/special_groups/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(AuditNote::success(Permission::EditSpecialGroups.as_str(), format!("special:{id}")).on(no_store(response)))
}

#[utoipa::path(
    put,
    path = "/api/v1/registry/special_groups/{id}",
    operation_id = "put_api_v1_registry_special_groups_id",
    tag = "registry",
    params(("id" = String, Path, description = "the record's id", example = "SD000001")),
    request_body = serde_json::Value,
    responses((status = 200, description = "the membership as stored", body = SpecialView), crate::http::openapi::Problems)
)]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let before = visible(&state, &caller, Permission::EditSpecialGroups, &id).await?;
    let input = fields(&body)?;
    let (index, catalog) = (state.index.load(), state.catalog.load());
    let actor = super::actor(&caller);
    let d = desk(&state, &index, &catalog, &actor);
    let (record, person) = special::build(&d, &state.rules.roster(), &input, Some(&before)).await?;
    state.store.update_special(&record).await?;
    let view = special::view(&state.registry_keys, &record, Some(&person), state.clock.now())?;
    Ok(AuditNote::success(Permission::EditSpecialGroups.as_str(), format!("special:{id}")).on(no_store(Json(view).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/special_groups/{id}/followups",
    operation_id = "post_api_v1_registry_special_groups_id_followups",
    tag = "registry",
    params(("id" = String, Path, description = "the record's id", example = "SD000001")),
    request_body = FollowupRequest,
    responses((status = 201, description = "recorded", body = FollowupView), (status = 200, description = "a retry answered with the follow-up already recorded", body = FollowupView), crate::http::openapi::Problems)
)]
async fn follow_up(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut body): ApiJson<FollowupRequest>,
) -> Result<Response, ApiError> {
    let s = visible(&state, &caller, Permission::VisitSpecialGroup, &id).await?;
    if body.followup_id.is_none() {
        body.followup_id = headers.get(super::super::IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()).map(str::to_owned);
    }
    let (index, catalog) = (state.index.load(), state.catalog.load());
    let actor = super::actor(&caller);
    let d = desk(&state, &index, &catalog, &actor);
    let (f, created) = special::follow_up(&d, &s, &actor, body).await?;
    let view = special::followup_view(&state.registry_keys, &f)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let mut response = (status, Json(view)).into_response();
    if !created {
        response.headers_mut().insert(super::super::IDEMPOTENT_REPLAY, header::HeaderValue::from_static("true"));
    }
    Ok(AuditNote::success(Permission::VisitSpecialGroup.as_str(), format!("special:{id}")).on(no_store(response)))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, one, replace, follow_up))]
pub struct Doc;
