//! The registry (基础数据): `GET|POST /api/v1/registry/{kind}` (houses, households, people,
//! organisations, places; lists filtered and paged, `?id_number=` exact search,
//! `?format=xlsx|csv` export), `GET|PUT …/{kind}/{id}`, `POST …/{id}/verify` (re-verified on the spot) and
//! `POST …/{id}/reveal` (audited); templates and imports of spreadsheets; the summary with
//! the collection rate; the density of a kind per grid; links from events, check-ins and
//! follow-ups. Every read of a record is audited and never cached; a record outside the
//! caller's jurisdiction is answered as missing. Special groups are in `special_groups`.

pub(super) mod special_groups;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wangge_core::access::Permission;
use wangge_core::registry::Entity;

use super::sheets::{self as exports, Name};
use super::{code, empty_page, no_store, page, revealed, RevealBody, Routes, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAY};
use crate::access::{AuditNote, Caller, Scope};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{Page, RegistryFilter, RegistryLink, RegistryRecord, SpecialFilter};
use crate::registry::sheets::{self, SheetFormat};
use crate::registry::{self, record_view, Desk, LinkedFrom, RecordView, Refused};
use crate::registry::imports::{ImportStatus, ImportView};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/registry/summary", get(summary))
        .at("/api/v1/registry/density", get(density))
        .at("/api/v1/registry/links", post(link))
        .at("/api/v1/registry/imports/{id}", get(import_status))
        .at("/api/v1/registry/{kind}", get(list).post(create))
        .at("/api/v1/registry/{kind}/template", get(template))
        .at("/api/v1/registry/{kind}/import", post(import).layer(DefaultBodyLimit::max(sheets::MAX_BYTES)))
        .at("/api/v1/registry/{kind}/{id}", get(one).put(replace))
        .at("/api/v1/registry/{kind}/{id}/verify", post(verify))
        .at("/api/v1/registry/{kind}/{id}/reveal", post(reveal))
        .merge(special_groups::router())
}

/// The kind named by a path segment.
fn entity(kind: &str) -> Result<Entity, ApiError> {
    Entity::parse(kind).filter(|e| e.plural() == kind).ok_or_else(|| {
        ApiError::NotFound(format!("no registry list {kind:?}: houses, households, people, organisations or places"))
    })
}

impl From<Refused> for ApiError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Fields(problems) => ApiError::InvalidFields {
                detail: Refused::Fields(problems.clone()).to_string(),
                problems: serde_json::to_value(&problems).unwrap_or_default(),
            },
            missing @ Refused::NotFound(..) => ApiError::NotFound(missing.to_string()),
            taken @ Refused::IdNumberTaken => ApiError::Conflict(taken.to_string()),
            Refused::Store(s) => s.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<sheets::SheetError> for ApiError {
    fn from(e: sheets::SheetError) -> Self {
        use sheets::SheetError as S;
        match e {
            S::Unreadable(reason) => ApiError::Unprocessable(reason),
            rows @ S::Rows { .. } => {
                let S::Rows { ref problems, .. } = rows else { return ApiError::Internal(String::new()) };
                ApiError::InvalidFields { problems: serde_json::to_value(problems).unwrap_or_default(), detail: rows.to_string() }
            }
            S::Registry(r) => r.into(),
            write @ S::Write(_) => ApiError::Internal(write.to_string()),
        }
    }
}

/// The record if the caller's scope covers it; one outside is answered like a missing one.
async fn visible(state: &AppState, scope: &Scope, e: Entity, id: &str) -> Result<RegistryRecord, ApiError> {
    let missing = || Refused::NotFound(e.zh(), id.to_owned()).to_string();
    let record = state.store.record(id).await?.filter(|r| r.entity == e).ok_or_else(|| ApiError::NotFound(missing()))?;
    if scope.covers(&record.village_code) {
        Ok(record)
    } else {
        Err(ApiError::Hidden(missing()))
    }
}

/// The desk that writes for `caller`.
fn desk<'a>(state: &'a AppState, index: &'a wangge_core::GridIndex, catalog: &'a crate::grids::catalog::Catalog, actor: &'a str) -> Desk<'a> {
    Desk { store: &state.store, keys: &state.registry_keys, index, villages: catalog.villages(), actor, now: state.clock.now() }
}

/// What an answer adds to a record's fields: sent back in a `PUT`, they are ignored.
const READ_ONLY: [&str; 12] = [
    "id", "entity", "township_code", "grid_code", "masked", "verified_at", "verified_by", "created_at", "updated_at",
    "links", "people", "people_total",
];

/// A JSON body of field → text or number.
fn fields(body: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::BadRequest("the body must be a JSON object of fields".into()));
    };
    let mut out = BTreeMap::new();
    for (k, v) in map.iter().filter(|(k, _)| !READ_ONLY.contains(&k.as_str())) {
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(ApiError::BadRequest(format!("field {k:?} must be text or a number"))),
        };
        out.insert(k.clone(), text);
    }
    Ok(out)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    #[serde(rename = "type")]
    subtype: Option<String>,
    id_number: Option<String>,
    house_id: Option<String>,
    household_id: Option<String>,
    q: Option<String>,
    /// Only records not re-verified within the collection period.
    stale: Option<bool>,
    format: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// The filter of a list query inside the caller's scope (`None`: nothing can match).
fn filter(state: &AppState, scope: &Scope, e: Option<Entity>, q: &ListQuery) -> Result<Option<RegistryFilter>, ApiError> {
    let township = q.township.clone().map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.clone().map(|c| code("village", c, 12)).transpose()?;
    let Some((township, village)) = scope.narrow(township, village) else { return Ok(None) };
    if q.grid.as_deref().is_some_and(|g| !scope.covers(g)) {
        return Ok(None);
    }
    let id_hash = match &q.id_number {
        Some(n) => {
            let today = state.clock.now().with_timezone(&wangge_core::calendar::china_time()).date_naive();
            let id = wangge_core::registry::IdNumber::parse(n, today).map_err(|e| ApiError::BadRequest(format!("id_number: {e}")))?;
            Some(registry::id_hash(&state.registry_keys, id.as_str()))
        }
        None => None,
    };
    let stale_before = q.stale.filter(|s| *s).map(|_| state.clock.now() - chrono::Duration::days(i64::from(state.collection_period_days)));
    Ok(Some(RegistryFilter {
        entity: e,
        subtype: q.subtype.clone(),
        township,
        village,
        grid: q.grid.clone(),
        id_hash,
        house_id: q.house_id.clone(),
        household_id: q.household_id.clone(),
        text: q.q.clone().filter(|t| !t.trim().is_empty()),
        stale_before,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/{kind}",
    operation_id = "get_api_v1_registry_kind",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), ListQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((wangge_core::wire::Paged<RecordView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/registry/{kind}`: a kind's records, filtered and paged (personal fields
/// masked), or all of them as a spreadsheet.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadRegistry)?;
    let e = entity(&kind)?;
    let export = exports::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        exports::allowed(&caller)?;
    }
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let note = AuditNote::success(Permission::ReadRegistry.as_str(), format!("registry:{kind}"))
        .with_detail(if q.id_number.is_some() { "search by ID number" } else { "" });
    let filter = filter(&state, &scope, Some(e), &q)?;
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let records = match &filter {
            Some(f) => {
                let total = state.store.records(f, Page { page: 1, per_page: 1 }).await?.total;
                state.store.all_records(f, exports::whole(total)?).await?
            }
            None => Vec::new(),
        };
        let build = move || sheets::export(e, &records);
        let name = Name { ascii: e.plural(), zh: e.zh() };
        return exports::file(&state, format, name, &format!("registry:{kind}"), build).await;
    }
    let Some(filter) = filter else {
        return Ok(note.on(no_store(Json(empty_page::<RecordView>(page)).into_response())));
    };
    let found = state.store.records(&filter, page).await?;
    Ok(note.on(no_store(Json(found.map(|r| record_view(&r))).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/{kind}",
    operation_id = "post_api_v1_registry_kind",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses")),
    request_body = serde_json::Value,
    responses((status = 201, description = "created", body = RecordView), (status = 200, description = "a retry (same `Idempotency-Key`) answered with the record already made", body = RecordView), crate::http::openapi::Problems)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditRegistry)?;
    let e = entity(&kind)?;
    let input = fields(&body)?;
    inside(&scope, &input)?;
    let actor = actor(&caller);
    // A device's offline queue sends its client id as `Idempotency-Key`: the record's id is
    // made from it (and who sends it), so a create sent again answers the record it made.
    let keyed = match headers.get(IDEMPOTENCY_KEY) {
        Some(v) => {
            let key = v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 128).ok_or_else(|| {
                ApiError::BadRequest("Idempotency-Key must be 1 to 128 ASCII characters".into())
            })?;
            let id = keyed_id(e, &actor, key);
            if let Some(existing) = state.store.record(&id).await? {
                if existing.created_by != actor || existing.entity != e {
                    return Err(ApiError::KeyReused("this Idempotency-Key was used for another record; choose a new one".into()));
                }
                let mut response = Json(record_view(&existing)).into_response();
                response.headers_mut().insert(IDEMPOTENT_REPLAY, header::HeaderValue::from_static("true"));
                let note = AuditNote::success(Permission::EditRegistry.as_str(), format!("registry:{id}")).with_detail("retry answered with the stored one");
                return Ok(note.on(no_store(response)));
            }
            Some(id)
        }
        None => None,
    };
    let (index, catalog) = (state.index.load(), state.catalog.load());
    let d = desk(&state, &index, &catalog, &actor);
    let record = match keyed {
        Some(id) => {
            let record = d.build(e, id, &input, None).await?;
            state.store.insert_records(std::slice::from_ref(&record)).await?;
            record
        }
        None => d.create(e, &input).await?,
    };
    let id = &record.record_id;
    let mut response = (StatusCode::CREATED, Json(record_view(&record))).into_response();
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/v1/registry/{kind}/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(AuditNote::success(Permission::EditRegistry.as_str(), format!("registry:{id}")).on(no_store(response)))
}

/// Who a registry write is recorded as: the person a gridworker acts as, else the account.
fn actor(caller: &Caller) -> String {
    if caller.acting_as.is_empty() {
        caller.username.clone()
    } else {
        caller.acting_as.clone()
    }
}

/// The id of a record created with an idempotency key: its kind's prefix, `K`, and 20 hex
/// digits of SHA-256 over who sent it and the key.
fn keyed_id(e: Entity, actor: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(actor.as_bytes()).chain_update([0]).chain_update(key.as_bytes()).finalize();
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("{}K{hex}", e.id_prefix())
}

/// A village given for a write must be inside the caller's jurisdiction.
fn inside(scope: &Scope, input: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let village = input.get("village_code").or_else(|| input.get("村(社区)代码"));
    match village {
        Some(v) if !scope.covers(v.trim()) => Err(ApiError::Forbidden {
            action: Permission::EditRegistry.as_str().to_owned(),
            reason: format!("village {v} is outside the caller's jurisdiction {}", scope.0.as_str()),
        }),
        _ => Ok(()),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/{kind}/{id}",
    operation_id = "get_api_v1_registry_kind_id",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), ("id" = String, Path, description = "the record's id", example = "HD0000001")),
    responses((status = 200, description = "the record with its links (and its people, for a house or household)", body = RecordView), crate::http::openapi::Problems)
)]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadRegistry)?;
    let e = entity(&kind)?;
    let record = visible(&state, &scope, e, &id).await?;
    let mut view = record_view(&record);
    let links = state.store.links_to(&id).await?;
    view.links = Some(links.iter().map(|l| LinkedFrom { from_kind: l.from_kind.clone(), from_id: l.from_id.clone(), at: crate::records::time_text(l.created_at) }).collect());
    if e == Entity::House || e == Entity::Household {
        let members = RegistryFilter {
            entity: Some(Entity::Person),
            house_id: (e == Entity::House).then(|| id.clone()),
            household_id: (e == Entity::Household).then(|| id.clone()),
            ..Default::default()
        };
        let people = state.store.records(&members, crate::records::Page { page: 1, per_page: 200 }).await?;
        view.people = Some(people.items.iter().map(record_view).collect());
        view.people_total = Some(people.total);
    }
    Ok(AuditNote::success(Permission::ReadRegistry.as_str(), format!("registry:{id}")).on(no_store(Json(view).into_response())))
}

#[utoipa::path(
    put,
    path = "/api/v1/registry/{kind}/{id}",
    operation_id = "put_api_v1_registry_kind_id",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), ("id" = String, Path, description = "the record's id", example = "HD0000001")),
    request_body = serde_json::Value,
    responses((status = 200, description = "the record as stored", body = RecordView), crate::http::openapi::Problems)
)]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditRegistry)?;
    let e = entity(&kind)?;
    let before = visible(&state, &scope, e, &id).await?;
    let mut input = fields(&body)?;
    inside(&scope, &input)?;
    // A personal field left out (or sent masked, as it was shown) keeps its sealed value.
    for (key, sealed) in &before.sealed {
        let shown = before.masked.get(key);
        if input.get(key).is_none_or(|v| Some(v) == shown) {
            let value = state.registry_keys.open(&format!("{}.{key}", e.as_str()), sealed).map_err(Refused::Crypt)?;
            input.insert(key.clone(), value);
        }
    }
    let (index, catalog) = (state.index.load(), state.catalog.load());
    let actor = actor(&caller);
    let record = desk(&state, &index, &catalog, &actor).replace(&before, &input).await?;
    Ok(AuditNote::success(Permission::EditRegistry.as_str(), format!("registry:{id}"))
        .on(no_store(Json(record_view(&record)).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/{kind}/{id}/verify",
    operation_id = "post_api_v1_registry_kind_id_verify",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), ("id" = String, Path, description = "the record's id", example = "HD0000001")),
    responses((status = 200, description = "the record, re-verified", body = RecordView), crate::http::openapi::Problems)
)]
async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditRegistry)?;
    let e = entity(&kind)?;
    visible(&state, &scope, e, &id).await?;
    state.store.verify_record(&id, &actor(&caller), state.clock.now()).await?;
    let record = visible(&state, &scope, e, &id).await?;
    Ok(AuditNote::success(Permission::EditRegistry.as_str(), format!("registry:{id}"))
        .with_detail("re-verified")
        .on(no_store(Json(record_view(&record)).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/{kind}/{id}/reveal",
    operation_id = "post_api_v1_registry_kind_id_reveal",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), ("id" = String, Path, description = "the record's id", example = "HD0000001")),
    request_body = RevealBody,
    responses((status = 200, description = "the field in full", body = wangge_core::wire::Revealed), crate::http::openapi::Problems)
)]
async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((kind, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::RevealPersonalData)?;
    let scope = caller.scope(Permission::ReadRegistry)?;
    let e = entity(&kind)?;
    let record = visible(&state, &scope, e, &id).await?;
    let secret = e.field(&body.field).filter(|f| f.secret).map(|f| f.key);
    let Some(key) = secret else {
        let secrets: Vec<&str> = e.fields().iter().filter(|f| f.secret).map(|f| f.key).collect();
        return Err(ApiError::Unprocessable(format!("field must be one of {}, got {:?}", secrets.join(", "), body.field)));
    };
    let value = registry::reveal(&state.registry_keys, &record, key)?
        .ok_or_else(|| ApiError::NotFound(format!("record {id} has no {key}")))?;
    Ok(revealed(format!("registry:{id}"), key.to_owned(), value))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AreaQuery {
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    entity: Option<String>,
}

/// The caller's view of an area: the registry's readers and the figures' readers.
fn area_scope(caller: &Caller) -> Result<Scope, ApiError> {
    caller.scope(Permission::ReadRegistry).or_else(|e| caller.scope(Permission::ReadStats).map_err(|_| e)).map_err(Into::into)
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/summary",
    operation_id = "get_api_v1_registry_summary",
    tag = "registry",
    params(AreaQuery),
    responses((status = 200, description = "the area's counts and collection rate", body = registry::Summary), crate::http::openapi::Problems)
)]
async fn summary(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AreaQuery>) -> Result<Response, ApiError> {
    let scope = area_scope(&caller)?;
    let list = ListQuery { township: q.township, village: q.village, grid: q.grid, ..Default::default() };
    let days = state.collection_period_days;
    let Some(filter) = filter(&state, &scope, None, &list)? else {
        return Ok(no_store(Json(registry::summary(&[], &[], days)).into_response()));
    };
    let now = state.clock.now();
    let counts = state.store.record_counts(&filter, now - chrono::Duration::days(i64::from(days))).await?;
    let specials = SpecialFilter { township: filter.township.clone(), village: filter.village.clone(), grid: filter.grid.clone(), ..Default::default() };
    let groups = state.store.special_counts(&specials, now).await?;
    Ok(no_store(Json(registry::summary(&counts, &groups, days)).into_response()))
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/density",
    operation_id = "get_api_v1_registry_density",
    tag = "registry",
    params(AreaQuery),
    responses((status = 200, description = "records per grid", body = Density), crate::http::openapi::Problems)
)]
async fn density(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AreaQuery>) -> Result<Response, ApiError> {
    let scope = area_scope(&caller)?;
    let e = match q.entity.as_deref() {
        Some(k) => Some(entity(k)?),
        None => None,
    };
    let list = ListQuery { township: q.township, village: q.village, grid: q.grid, ..Default::default() };
    let grids = match filter(&state, &scope, e, &list)? {
        Some(f) => state.store.records_per_grid(&f).await?,
        None => Vec::new(),
    };
    let catalog = state.catalog.load();
    let features: Vec<GridDensity> = grids
        .iter()
        .filter_map(|(code, n)| {
            let g = catalog.grid(code)?;
            #[allow(clippy::cast_precision_loss)]
            let per_km2 = if g.grid.area_km2 > 0.0 { *n as f64 / g.grid.area_km2 } else { 0.0 };
            Some(GridDensity { grid_code: code.clone(), name: g.grid.name.clone(), count: *n, per_km2: (per_km2 * 10.0).round() / 10.0 })
        })
        .collect();
    Ok(no_store(Json(Density { entity: e.map(Entity::plural), grids: features }).into_response()))
}

/// `GET /api/v1/registry/density`: records per grid.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistryDensity)]
struct Density {
    /// The kind counted (plural), or null for every kind.
    entity: Option<&'static str>,
    /// The grids holding records, by code.
    grids: Vec<GridDensity>,
}

/// One grid's records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistryGridDensity)]
struct GridDensity {
    /// The grid's code.
    grid_code: String,
    /// Its name.
    name: String,
    /// Records in it.
    count: i64,
    /// Records per square kilometre, to one decimal.
    per_km2: f64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TemplateQuery {
    format: Option<String>,
}

fn sheet_format(text: Option<&str>) -> Result<SheetFormat, ApiError> {
    match text {
        None | Some("xlsx") => Ok(SheetFormat::Xlsx),
        Some("csv") => Ok(SheetFormat::Csv),
        Some(other) => Err(ApiError::BadRequest(format!("format must be xlsx or csv, got {other:?}"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/{kind}/template",
    operation_id = "get_api_v1_registry_kind_template",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses"), TemplateQuery),
    responses((status = 200, description = "the answer", content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
async fn template(
    caller: Caller,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> Result<Response, ApiError> {
    caller.require(Permission::EditRegistry)?;
    let e = entity(&kind)?;
    let format = sheet_format(q.format.as_deref())?;
    let bytes = sheets::template(e, format)?;
    let (media, ext) = match format {
        SheetFormat::Xlsx => (sheets::XLSX_TYPE, "xlsx"),
        SheetFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let name = format!("attachment; filename=\"template-{kind}.{ext}\"");
    Ok(([(header::CONTENT_TYPE, media.to_owned()), (header::CONTENT_DISPOSITION, name)], bytes).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/{kind}/import",
    operation_id = "post_api_v1_registry_kind_import",
    tag = "registry",
    params(("kind" = String, Path, description = "the registry kind (people, houses, places, organisations…)", example = "houses")),
    responses((status = 202, description = "accepted: follow it at `status_url`", body = ImportAccepted), crate::http::openapi::Problems)
)]
/// `POST /api/v1/registry/{kind}/import`: the spreadsheet as the body (`Content-Type` XLSX or
/// `text/csv`); answered 202 at once with where to follow it (`rows_checked` of `rows`), then
/// `done` with the count stored, or `failed` with every problem and nothing stored.
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ImportRegistry)?;
    let e = entity(&kind)?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = if media.starts_with(sheets::XLSX_TYPE) {
        SheetFormat::Xlsx
    } else if media.starts_with("text/csv") {
        SheetFormat::Csv
    } else {
        return Err(ApiError::UnsupportedMediaType(format!("send the spreadsheet as {} or text/csv, got {media:?}", sheets::XLSX_TYPE)));
    };
    let (header_row, rows) = tokio::task::spawn_blocking(move || sheets::read(&body, format))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let village_col = header_row.iter().position(|h| e.field(h.trim().trim_end_matches('*')).is_some_and(|f| f.key == "village_code"));
    if let Some(c) = village_col {
        if let Some((i, v)) = rows.iter().enumerate().find_map(|(i, r)| r.get(c).filter(|v| !v.trim().is_empty() && !scope.covers(v.trim())).map(|v| (i, v))) {
            return Err(ApiError::Forbidden {
                action: Permission::ImportRegistry.as_str().to_owned(),
                reason: format!("row {}: village {v} is outside the caller's jurisdiction {}", i + 2, scope.0.as_str()),
            });
        }
    }
    let id = registry::new_id('I')?;
    let status = Arc::new(ImportStatus::new(e, rows.len(), caller.username.clone()));
    state.imports.insert(id.clone(), status.clone());
    let actor = actor(&caller);
    let job = state.clone();
    tokio::spawn(async move {
        let (index, catalog) = (job.index.load(), job.catalog.load());
        let d = desk(&job, &index, &catalog, &actor);
        let outcome = sheets::import(&d, e, &header_row, &rows, &status.checked).await;
        status.finish(outcome);
    });
    let url = format!("/api/v1/registry/imports/{id}");
    let mut response = (StatusCode::ACCEPTED, Json(ImportAccepted { import_id: id.clone(), status_url: url.clone() })).into_response();
    if let Ok(location) = header::HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(AuditNote::success(Permission::ImportRegistry.as_str(), format!("registry:{kind}")).with_detail(format!("import {id}")).on(response))
}

/// An import begun (`POST /api/v1/registry/{kind}/import`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistryImportAccepted)]
struct ImportAccepted {
    /// The import's id.
    import_id: String,
    /// Where to follow it.
    status_url: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/imports/{id}",
    operation_id = "get_api_v1_registry_imports_id",
    tag = "registry",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "how the import stands", body = ImportView), crate::http::openapi::Problems)
)]
async fn import_status(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::ImportRegistry)?;
    let status = state
        .imports
        .get(&id)
        .filter(|s| s.by == caller.username)
        .ok_or_else(|| ApiError::NotFound(format!("no import {id:?}")))?;
    let checked = status.checked.load(Ordering::Relaxed);
    Ok(no_store(Json(status.view(&id, checked)).into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    from_kind: String,
    from_id: String,
    record_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/links",
    operation_id = "post_api_v1_registry_links",
    tag = "registry",
    request_body = LinkBody,
    responses((status = 201, description = "linked", body = Linked), crate::http::openapi::Problems)
)]
/// Links an event, a patrol check-in or a follow-up to a record; both must be visible to the
/// caller.
async fn link(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<LinkBody>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::EditRegistry)?;
    let record = state.store.record(&body.record_id).await?.filter(|r| scope.covers(&r.village_code));
    let record = record.ok_or_else(|| ApiError::NotFound(format!("no record {:?}", body.record_id)))?;
    let exists = match body.from_kind.as_str() {
        "event" => state.store.event(&body.from_id).await?.is_some_and(|ev| caller.sees_event(&ev)),
        "checkin" => state.store.checkin(&body.from_id).await?.is_some_and(|c| c.place.grid_code.as_deref().is_none_or(|g| scope.covers(g))),
        "followup" => state.store.followup(&body.from_id).await?.is_some(),
        other => return Err(ApiError::Unprocessable(format!("from_kind must be event, checkin or followup, got {other:?}"))),
    };
    if !exists {
        return Err(ApiError::NotFound(format!("no {} {:?}", body.from_kind, body.from_id)));
    }
    let l = RegistryLink {
        from_kind: body.from_kind,
        from_id: body.from_id,
        record_id: record.record_id.clone(),
        created_by: actor(&caller),
        created_at: state.clock.now(),
    };
    state.store.insert_link(&l).await?;
    let note = AuditNote::success(Permission::EditRegistry.as_str(), format!("registry:{}", record.record_id)).with_detail(format!("linked from {} {}", l.from_kind, l.from_id));
    Ok(note.on(no_store((StatusCode::CREATED, Json(Linked { from_kind: l.from_kind, from_id: l.from_id, record_id: l.record_id })).into_response())))
}

/// A link made (`POST /api/v1/registry/links`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistryLinked)]
struct Linked {
    /// `event`, `checkin` or `followup`.
    from_kind: String,
    /// Its id.
    from_id: String,
    /// The record linked to.
    record_id: String,
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(summary, density, link, import_status, list, create, template, import, one, replace, verify, reveal))]
pub struct Doc;
