//! People: `GET /api/v1/people` (also as XLSX or CSV), `GET|PUT /api/v1/people/{id}`, and
//! the bindings (`PUT …/bindings`: grids and device, 人、机、格) and duty (`PUT …/duty`) of
//! one person.
//! Phones are masked in every answer; answers are never cached.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::people::{Person, Role};

use wangge_core::access::Permission;

use super::sheets::{self, Name};
use super::{code, empty_page, no_store, page, revealed, RevealBody};
use crate::access::AuditNote;
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::people::{valid_phone, PersonView};
use crate::records::{Page, PersonFilter, PersonRecord};
use crate::state::AppState;
use super::Routes;

/// Longest person id, unit code or device id.
const MAX_ID: usize = 64;

/// Most grids one person is bound to.
const MAX_GRIDS: usize = 64;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/people", get(list))
        .at("/api/v1/people/{id}", get(one).put(upsert))
        .at("/api/v1/people/{id}/bindings", put(bindings))
        .at("/api/v1/people/{id}/duty", put(duty))
        .at("/api/v1/people/{id}/reveal", post(reveal))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PeopleQuery {
    role: Option<String>,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    /// `xlsx` or `csv`: the whole filtered list as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/people",
    operation_id = "get_api_v1_people",
    tag = "people",
    params(PeopleQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((wangge_core::wire::Paged<PersonView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/people`: the roster, filtered and paged (phones masked), or all of it as a
/// spreadsheet.
async fn list(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<PeopleQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadPeople)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let note = AuditNote::success(Permission::ReadPeople.as_str(), "people");
    let area = scope.narrow(township, village).filter(|_| q.grid.as_deref().is_none_or(|g| scope.covers(g)));
    // Only those who belong inside the jurisdiction, counted in the same query.
    let within = (!scope.is_county()).then(|| scope.0.as_str().to_owned());
    let role = q.role.as_deref().map(role).transpose()?;
    let filter = area.map(|(township, village)| PersonFilter { role, township, village, grid: q.grid, within });
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let people = match &filter {
            Some(f) => {
                let total = state.store.people(f, Page { page: 1, per_page: 1 }).await?.total;
                state.store.people(f, Page { page: 1, per_page: sheets::whole(total)? }).await?.items
            }
            None => Vec::new(),
        };
        let catalog = state.catalog.load();
        let build = move || crate::people::sheet(&people, |code| catalog.name_of(code).to_owned());
        return sheets::file(&state, format, Name { ascii: "people", zh: "人员名单" }, "people", build).await;
    }
    let Some(filter) = filter else {
        return Ok(note.on(no_store(Json(empty_page::<PersonView>(page)).into_response())));
    };
    let found = state.store.people(&filter, page).await?;
    Ok(note.on(no_store(Json(found.map(|p| PersonView::from(&p))).into_response())))
}

#[utoipa::path(
    get,
    path = "/api/v1/people/{id}",
    operation_id = "get_api_v1_people_id",
    tag = "people",
    params(("id" = String, Path, description = "the record's id", example = "CC01")),
    responses((status = 200, description = "the person", body = PersonView), crate::http::openapi::Problems)
)]
async fn one(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadPeople)?;
    visible(&state, &scope, &id).await?;
    let response = answer(&state, &id, StatusCode::OK).await?;
    Ok(AuditNote::success(Permission::ReadPeople.as_str(), format!("person:{id}")).on(response))
}

/// The person if inside the scope; one outside is answered like a missing one.
async fn visible(state: &AppState, scope: &Scope, id: &str) -> Result<PersonRecord, ApiError> {
    let person = state.store.person(id).await?.ok_or_else(|| not_found(id))?;
    if scope.covers(&person.person.unit_code) {
        Ok(person)
    } else {
        Err(ApiError::Hidden(not_found(id).to_string()))
    }
}

/// Grids and units given to a person must be inside the editor's jurisdiction.
fn inside(scope: &Scope, codes: &[String]) -> Result<(), ApiError> {
    match codes.iter().find(|c| !scope.covers(c)) {
        Some(_) => Err(outside_person(scope)),
        None => Ok(()),
    }
}

/// One refusal, whichever part is outside (an existing person's unit, the new unit, a grid):
/// the answer tells nothing about people outside the caller's jurisdiction.
fn outside_person(scope: &Scope) -> ApiError {
    ApiError::Forbidden {
        action: Permission::EditPeople.as_str().to_owned(),
        reason: format!("the person, their unit or their grids are outside the caller's jurisdiction {}", scope.0.as_str()),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/people/{id}/reveal",
    operation_id = "post_api_v1_people_id_reveal",
    tag = "people",
    params(("id" = String, Path, description = "the record's id", example = "CC01")),
    request_body = RevealBody,
    responses((status = 200, description = "the field in full", body = wangge_core::wire::Revealed), crate::http::openapi::Problems)
)]
/// A person's full phone number: audited, never cached.
async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::RevealPersonalData)?;
    // Revealing a person's phone needs the right to read people there, not only events.
    let scope = caller.scope(Permission::ReadPeople)?;
    let person = visible(&state, &scope, &id).await?;
    if body.field != "phone" {
        return Err(ApiError::Unprocessable(format!("field must be phone, got {:?}", body.field)));
    }
    Ok(revealed(format!("person:{id}"), body.field, person.person.phone))
}

/// A person as written with `PUT /api/v1/people/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    name: String,
    role: String,
    unit_code: String,
    phone: String,
    #[serde(default = "yes")]
    on_duty: bool,
    #[serde(default)]
    grids: Vec<String>,
    device_id: Option<String>,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    put,
    path = "/api/v1/people/{id}",
    operation_id = "put_api_v1_people_id",
    tag = "people",
    params(("id" = String, Path, description = "the record's id", example = "CC01")),
    request_body = PersonBody,
    responses((status = 200, description = "replaced", body = PersonView), (status = 201, description = "created", body = PersonView), crate::http::openapi::Problems)
)]
/// Creates (201) or replaces (200) a person with their bindings.
async fn upsert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<PersonBody>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditPeople)?;
    let id = checked_id("id", id)?;
    if let Some(existing) = state.store.person(&id).await? {
        if !scope.covers(&existing.person.unit_code) {
            return Err(outside_person(&scope));
        }
    }
    inside(&scope, std::slice::from_ref(&b.unit_code))?;
    inside(&scope, &b.grids)?;
    let name = b.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable("name must be 1 to 50 characters".into()));
    }
    if !valid_phone(&b.phone) {
        return Err(ApiError::Unprocessable("phone is not a phone number".into()));
    }
    let person = Person {
        id,
        name,
        role: role(&b.role).map_err(to_422)?,
        unit_code: checked_id("unit_code", b.unit_code)?,
        grids: checked_grids(&state, b.grids)?,
        device_id: b.device_id.map(|d| checked_id("device_id", d)).transpose()?,
        phone: b.phone,
        on_duty: b.on_duty,
    };
    let created = state.store.upsert_person(&person).await?;
    state.rules.reload_roster(&state.store).await?;
    answer(&state, &person.id, if created { StatusCode::CREATED } else { StatusCode::OK }).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BindingsBody {
    grids: Vec<String>,
    device_id: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/people/{id}/bindings",
    operation_id = "put_api_v1_people_id_bindings",
    tag = "people",
    params(("id" = String, Path, description = "the record's id", example = "CC01")),
    request_body = BindingsBody,
    responses((status = 200, description = "the person", body = PersonView), crate::http::openapi::Problems)
)]
async fn bindings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BindingsBody>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditPeople)?;
    visible(&state, &scope, &id).await?;
    inside(&scope, &b.grids)?;
    let grids = checked_grids(&state, b.grids)?;
    let device = b.device_id.map(|d| checked_id("device_id", d)).transpose()?;
    if !state.store.set_bindings(&id, &grids, device.as_deref()).await? {
        return Err(not_found(&id));
    }
    state.rules.reload_roster(&state.store).await?;
    answer(&state, &id, StatusCode::OK).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DutyBody {
    on_duty: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/people/{id}/duty",
    operation_id = "put_api_v1_people_id_duty",
    tag = "people",
    params(("id" = String, Path, description = "the record's id", example = "CC01")),
    request_body = DutyBody,
    responses((status = 200, description = "the person", body = PersonView), crate::http::openapi::Problems)
)]
async fn duty(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<DutyBody>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditPeople)?;
    visible(&state, &scope, &id).await?;
    if !state.store.set_on_duty(&id, b.on_duty).await? {
        return Err(not_found(&id));
    }
    state.rules.reload_roster(&state.store).await?;
    answer(&state, &id, StatusCode::OK).await
}

async fn answer(state: &AppState, id: &str, status: StatusCode) -> Result<Response, ApiError> {
    let person = state.store.person(id).await?.ok_or_else(|| not_found(id))?;
    Ok(no_store((status, Json(PersonView::from(&person))).into_response()))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no person with id {id:?}"))
}

fn role(text: &str) -> Result<Role, ApiError> {
    Role::parse(text).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "role must be gridworker, grid_leader, volunteer, liaison_instructor, centre_staff or department_handler, got {text:?}"
        ))
    })
}

fn to_422(e: ApiError) -> ApiError {
    match e {
        ApiError::BadRequest(m) => ApiError::Unprocessable(m),
        other => other,
    }
}

/// Ids: 1–64 printable ASCII characters without spaces.
fn checked_id(what: &str, id: String) -> Result<String, ApiError> {
    if !id.is_empty() && id.len() <= MAX_ID && id.chars().all(|c| c.is_ascii_graphic()) {
        Ok(id)
    } else {
        Err(ApiError::Unprocessable(format!("{what} must be 1 to {MAX_ID} printable ASCII characters without spaces")))
    }
}

/// Grid codes the county has, without repeats.
fn checked_grids(state: &AppState, mut grids: Vec<String>) -> Result<Vec<String>, ApiError> {
    if grids.len() > MAX_GRIDS {
        return Err(ApiError::Unprocessable(format!("at most {MAX_GRIDS} grids per person")));
    }
    if let Some(unknown) = grids.iter().find(|g| state.catalog.load().grid(g).is_none()) {
        return Err(ApiError::Unprocessable(format!("no grid with code {unknown:?}")));
    }
    grids.sort();
    grids.dedup();
    Ok(grids)
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, one, upsert, bindings, duty, reveal))]
pub struct Doc;
