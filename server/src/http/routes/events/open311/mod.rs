//! Open311 GeoReport v2 at `/open311/v2/`: services from the responsibility table, requests
//! posted through the same intake as `POST /api/v1/reports` (channel `open311`), and
//! requests read back as the spec's views of events. Answers are JSON or XML by extension.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;
use wangge_core::event::{Category, State as LoopState};

use wangge_core::access::Permission;

use crate::http::routes::{no_store, IDEMPOTENCY_KEY};
use crate::access::{AuditNote, KeyScope};
use crate::access::{Caller, Scope};
use crate::http::audit_layer::Source;
use crate::http::error::ApiError;
use crate::records::{EventFilter, EventRecord, Inserted, Page};
use crate::events::intake::{self, LocationRequest, ReportRequest, ReporterRequest};
use crate::http::open311::{self, Field, Format, Names, Open311Error, Service, MAX_REQUESTS, WINDOW_DAYS};
use crate::state::AppState;
use crate::http::routes::Routes;

mod doc;

/// Where the API lives.
const BASE: &str = "/open311/v2";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .at("/open311/discovery.json", get(discovery))
        .at(&format!("{BASE}/services/{{file}}"), get(definition))
        .at(&format!("{BASE}/requests/{{file}}"), get(one));
    for (suffix, format) in [("", Format::Json), (".json", Format::Json), (".xml", Format::Xml)] {
        router = router
            .at(&format!("{BASE}/services{suffix}"), get(move |s: State<AppState>| services(s, format)))
            .at(
                &format!("{BASE}/requests{suffix}"),
                get(move |s: State<AppState>, c: Option<Caller>, q: RawQuery| list(s, c, q, format))
                    .post(move |s: State<AppState>, c: Option<Caller>, src: Extension<Source>, h: HeaderMap, b: Bytes| {
                        create(s, c, src, h, b, format)
                    }),
            );
    }
    // A resident's rating of their own closed request (an extension of GeoReport v2).
    for (suffix, format) in [("", Format::Json), (".json", Format::Json), (".xml", Format::Xml)] {
        router = router.at(
            &format!("{BASE}/requests/{{id}}/followups{suffix}"),
            axum::routing::post(move |s: State<AppState>, c: Option<Caller>, p: axum::extract::Path<String>, h: HeaderMap, b: Bytes| {
                rate(s, c, p, h, b, format)
            }),
        );
    }
    router
}

/// `POST /open311/v2/requests/{id}/followups.json` (`level`, `note`, and the `phone` given with
/// the report): the reporter rates their closed request, like a call-back that reached them; a
/// 不满意 or 很不满意 reopens it. Only the key that may report there, and only with the
/// reporter's own phone: any other request is answered as missing.
async fn rate(
    State(state): State<AppState>,
    caller: Option<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
    format: Format,
) -> Response {
    let result = async {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let fields = if content_type.starts_with("application/json") { json_fields(&body)? } else { form(&body)? };
        let caller = key_caller(&state, caller, fields.get("api_key")).await?;
        let scope = caller.scope(Permission::ReportEvent)?;
        let missing = || Open311Error::not_found(format!("no service request with id {id:?} reported with this phone"));
        let event = state.store.event(&id).await.map_err(|e| Open311Error::from(ApiError::from(e)))?.ok_or_else(missing)?;
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let phone = fields.get("phone").map(|p| digits(p)).filter(|p| p.len() >= 7).ok_or_else(missing)?;
        let own = event.reporter.phone.as_deref().map(digits).is_some_and(|p| p == phone);
        if !own || !scope.0.covers(&event.place.township, &event.place.village) {
            return Err(missing());
        }
        let request = crate::disputes::callbacks::FollowupRequest {
            reached: true,
            level: fields.get("level").cloned(),
            note: fields.get("note").cloned(),
        };
        let f = crate::disputes::callbacks::check(request).map_err(|e| Open311Error::from(ApiError::from(e)))?;
        let callback_id = crate::disputes::new_id('C').map_err(|e| Open311Error::from(ApiError::from(e)))?;
        let actor = format!("open311:{}", caller.username);
        let source = crate::disputes::callbacks::Source::Reporter;
        let (callback, after) = crate::disputes::callbacks::record(state.desk(), &event, &f, callback_id, (&actor, source), state.clock.now())
            .await
            .map_err(|e| Open311Error::from(ApiError::from(e)))?;
        let notice = if callback.reopened { "已收到评价，事项已重新办理" } else { "已收到评价，感谢反馈" };
        let record = vec![
            ("service_request_id", Field::from(after.event_id.as_str())),
            ("status", Field::from(if after.flow.state.is_closed() { "closed" } else { "open" })),
            ("service_notice", Field::from(notice)),
        ];
        Ok::<_, Open311Error>((no_store(open311::list(format, StatusCode::CREATED, "service_requests", "request", &[record])), caller.username, event.event_id))
    };
    match result.await {
        Ok((response, username, event_id)) => AuditNote::success(Permission::RecordRating.as_str(), format!("event:{event_id}"))
            .for_user(&username)
            .with_detail("open311 rating")
            .on(response),
        Err(e) => refused(format, Permission::ReportEvent.as_str(), e),
    }
}

/// The last path segment, split into a name and the format its extension asks for.
fn file(uri: &Uri) -> (String, Format) {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    let (name, format) = Format::split(last);
    (name.to_owned(), format)
}

fn answer(format: Format, result: Result<Response, Open311Error>) -> Response {
    result.unwrap_or_else(|e| e.respond(format))
}

async fn services(State(state): State<AppState>, format: Format) -> Response {
    let records: Vec<_> = open311::services(&state.rules.routing()).iter().map(Service::record).collect();
    open311::list(format, StatusCode::OK, "services", "service", &records)
}

#[utoipa::path(
    get,
    path = "/open311/v2/services/{file}",
    operation_id = "get_open311_v2_services_file",
    tag = "events",
    params(("file" = String, Path, description = "a file name with its format suffix (`.json`, `.xml`)", example = "livelihood.json")),
    security(()),
    responses((status = 200, description = "the service's definition (JSON or XML by the suffix)", content((doc::Open311Definition = "application/json"), (String = "application/xml"))), crate::http::openapi::Open311Errors)
)]
async fn definition(State(state): State<AppState>, uri: Uri) -> Response {
    let (code, format) = file(&uri);
    let result = match open311::service(&state.rules.routing(), &code) {
        Some(s) => Ok(open311::object(format, "service_definition", &s.definition())),
        None => Err(Open311Error::not_found(format!("no service with service_code {code:?}"))),
    };
    answer(format, result)
}

/// The caller: signed in (session or `Authorization: Bearer`), else by the GeoReport
/// `api_key` field, which takes only an API key of the `open311` scope (never a session or
/// device token); a request without either is refused (401).
async fn key_caller(state: &AppState, caller: Option<Caller>, api_key: Option<&String>) -> Result<Caller, ApiError> {
    if let Some(caller) = caller {
        return Ok(caller);
    }
    let Some(key) = api_key.filter(|k| !k.is_empty()) else {
        return Err(ApiError::Unauthenticated("an api_key (or Authorization: Bearer) is required".into()));
    };
    let caller = state.auth.resolve_api_key(key, state.clock.now()).await?;
    if caller.key_scope != Some(KeyScope::Open311) {
        return Err(ApiError::Forbidden {
            action: "api_key_scope".into(),
            reason: "this API key's scope does not cover Open311".into(),
        });
    }
    Ok(caller)
}

/// A refusal answered in Open311 terms, audited like every denial.
fn refused(format: Format, action: &str, error: Open311Error) -> Response {
    let denied = matches!(error.status.as_u16(), 401 | 403 | 404 | 423 | 429);
    let detail = error.description.clone();
    let response = error.respond(format);
    if denied {
        AuditNote::denied(action, &detail).on(response)
    } else {
        response
    }
}

#[utoipa::path(
    get,
    path = "/open311/v2/requests/{file}",
    operation_id = "get_open311_v2_requests_file",
    tag = "events",
    params(("file" = String, Path, description = "a file name with its format suffix (`.json`, `.xml`)", example = "E20230103-000001.json")),
    responses((status = 200, description = "the request (JSON or XML by the suffix)", content((Vec<doc::Open311Request> = "application/json"), (String = "application/xml"))), crate::http::openapi::Open311Errors)
)]
async fn one(State(state): State<AppState>, caller: Option<Caller>, uri: Uri, RawQuery(query): RawQuery) -> Response {
    let (id, format) = file(&uri);
    let result = async {
        let params = form(query.as_deref().unwrap_or_default().as_bytes())?;
        let caller = key_caller(&state, caller, params.get("api_key")).await?;
        caller.require(Permission::ReadEvents)?;
        let missing = || format!("no service request with id {id:?}");
        let event = state.store.event(&id).await.map_err(|e| Open311Error::from(crate::ApiError::from(e)))?;
        let event = event.ok_or_else(|| Open311Error::not_found(missing()))?;
        if !caller.sees_event(&event) {
            return Err(ApiError::Hidden(missing()).into());
        }
        respond_requests(&state, format, &[event]).await
    };
    match result.await {
        Ok(response) => response,
        Err(e) => refused(format, Permission::ReadEvents.as_str(), e),
    }
}

async fn list(State(state): State<AppState>, caller: Option<Caller>, RawQuery(query): RawQuery, format: Format) -> Response {
    let result = async {
        let params = form(query.as_deref().unwrap_or_default().as_bytes())?;
        let caller = key_caller(&state, caller, params.get("api_key")).await?;
        let scope = caller.scope(Permission::ReadEvents)?;
        let mut events = find(&state, &params, &scope).await?;
        events.retain(|e| caller.sees_event(e));
        respond_requests(&state, format, &events).await
    };
    match result.await {
        Ok(response) => response,
        Err(e) => refused(format, Permission::ReadEvents.as_str(), e),
    }
}

/// The requests as GeoReport v2 items, each with its first photo's absolute URL as `media_url`.
async fn respond_requests(state: &AppState, format: Format, events: &[EventRecord]) -> Result<Response, Open311Error> {
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let photos = state.store.attachments_of(&ids).await.map_err(|e| Open311Error::from(ApiError::from(e)))?;
    let media = |event_id: &str| {
        photos.iter().find(|a| a.event_id.as_deref() == Some(event_id)).map(|a| format!("{}/api/v1/attachments/{}", state.public_url, a.attachment_id))
    };
    let routing = state.rules.routing();
    let catalog = state.catalog.load();
    let names = Names { catalog: &catalog, routing: &routing };
    let records: Vec<_> = events.iter().map(|e| names.request(e, media(&e.event_id))).collect();
    Ok(no_store(open311::list(format, StatusCode::OK, "service_requests", "request", &records)))
}

/// Form or query fields; the first of a repeated name wins.
fn form(bytes: &[u8]) -> Result<HashMap<String, String>, Open311Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
        .map_err(|e| Open311Error::bad_request(format!("malformed form or query: {e}")))?;
    let mut fields = HashMap::new();
    for (k, v) in pairs {
        fields.entry(k).or_insert(v);
    }
    Ok(fields)
}

/// The fields of a JSON object body (strings and numbers; `null` is absent).
fn json_fields(bytes: &[u8]) -> Result<HashMap<String, String>, Open311Error> {
    let bad = |m: String| Open311Error::bad_request(m);
    let object: serde_json::Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("the body is not a JSON object: {e}")))?;
    let mut fields = HashMap::new();
    for (k, v) in object {
        match v {
            Value::String(s) => fields.insert(k, s),
            Value::Number(n) => fields.insert(k, n.to_string()),
            Value::Null => None,
            _ => return Err(bad(format!("field {k} must be a string or a number"))),
        };
    }
    Ok(fields)
}

/// Requests by id (which overrides every other parameter), else by service, status and
/// requested time: the last 90 days unless said otherwise, at most 1000, newest first.
async fn find(state: &AppState, params: &HashMap<String, String>, scope: &Scope) -> Result<Vec<EventRecord>, Open311Error> {
    let store_error = |e| Open311Error::from(crate::ApiError::from(e));
    if let Some(ids) = params.get("service_request_id") {
        let mut events = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()).take(MAX_REQUESTS) {
            events.extend(state.store.event(id).await.map_err(store_error)?);
        }
        return Ok(events);
    }
    let codes = service_codes(state, params.get("service_code"))?;
    let (from, to) = window(params.get("start_date"), params.get("end_date"), state.clock.now())?;
    let categories: Vec<Category> = codes.iter().map(|s| s.category).collect();
    let (township, village) = scope.narrow(None, None).unwrap_or_default();
    let filter = EventFilter {
        township,
        village,
        states: statuses(params.get("status"))?,
        category: categories.first().copied().filter(|c| categories.iter().all(|x| x == c)),
        from: Some(from),
        to: Some(to),
        ..EventFilter::default()
    };
    let wanted = |e: &EventRecord| codes.is_empty() || codes.iter().any(|s| s.category == e.category && s.subcategory == e.subcategory);
    let mut events = Vec::new();
    for number in 1.. {
        let page = Page { page: number, per_page: MAX_REQUESTS as u32 };
        let found = state.store.events(&filter, page).await.map_err(store_error)?;
        let last = found.items.len() < MAX_REQUESTS;
        events.extend(found.items.into_iter().filter(|e| wanted(e)));
        if last || events.len() >= MAX_REQUESTS {
            break;
        }
    }
    events.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then_with(|| b.event_id.cmp(&a.event_id)));
    events.truncate(MAX_REQUESTS);
    Ok(events)
}

fn service_codes(state: &AppState, text: Option<&String>) -> Result<Vec<Service>, Open311Error> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let routing = state.rules.routing();
    text.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| open311::service(&routing, c).ok_or_else(|| Open311Error::bad_request(format!("unknown service_code {c:?}"))))
        .collect()
}

fn statuses(text: Option<&String>) -> Result<Vec<LoopState>, Open311Error> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let (mut open, mut closed) = (false, false);
    for s in text.split(',').map(str::trim) {
        match s {
            "open" => open = true,
            "closed" => closed = true,
            _ => return Err(Open311Error::bad_request(format!("status must be open or closed (comma-separated), got {s:?}"))),
        }
    }
    use LoopState::*;
    Ok(match (open, closed) {
        (true, false) => vec![Reported, Assigned, Accepted, Handled, Returned],
        (false, true) => vec![Closed, Rated],
        _ => Vec::new(),
    })
}

/// `start_date`..`end_date` (inclusive), at most 90 days; one alone reaches 90 days from it,
/// neither is the last 90 days.
fn window(start: Option<&String>, end: Option<&String>, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), Open311Error> {
    let span = Duration::days(WINDOW_DAYS);
    let start = start.map(|t| w3("start_date", t)).transpose()?;
    let end = end.map(|t| w3("end_date", t)).transpose()?.map(|t| t + Duration::milliseconds(1));
    let (from, to) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + span),
        (None, Some(e)) => (e - span, e),
        (None, None) => (now - span, now + Duration::milliseconds(1)),
    };
    if to <= from {
        return Err(Open311Error::bad_request("end_date must not be before start_date"));
    }
    if to - from > span + Duration::milliseconds(1) {
        return Err(Open311Error::bad_request(format!("start_date to end_date may span at most {WINDOW_DAYS} days")));
    }
    Ok((from, to))
}

/// A w3 (ISO 8601) time with its offset, or a date taken as its start in China time.
fn w3(what: &str, text: &str) -> Result<DateTime<Utc>, Open311Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(wangge_core::calendar::china_time()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Open311Error::bad_request(format!("{what} must be a w3 time like 2025-03-01T00:00:00+08:00, got {text:?}")))
}

/// Report ids of Open311 posts without an idempotency key: unique per post.
static UNKEYED: AtomicU64 = AtomicU64::new(0);

/// `POST requests`: a form (or a JSON object) through the report intake.
async fn create(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Extension(source): Extension<Source>,
    headers: HeaderMap,
    body: Bytes,
    format: Format,
) -> Response {
    match submit(&state, caller, source, &headers, &body, format).await {
        Ok((response, username, event_id)) => {
            AuditNote::success(Permission::ReportEvent.as_str(), format!("event:{event_id}"))
                .for_user(&username)
                .with_detail("open311")
                .on(response)
        }
        Err(e) => refused(format, Permission::ReportEvent.as_str(), e),
    }
}

async fn submit(
    state: &AppState,
    caller: Option<Caller>,
    source: Source,
    headers: &HeaderMap,
    body: &[u8],
    format: Format,
) -> Result<(Response, String, String), Open311Error> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let fields = if content_type.starts_with("application/json") { json_fields(body)? } else { form(body)? };
    // Signed in through the `api_key` field, not a header: the authentication layer did not
    // know the caller, so the `begun` row of this change is written here.
    let by_field = caller.is_none();
    let caller = key_caller(state, caller, fields.get("api_key")).await?;
    let scope = caller.scope(Permission::ReportEvent)?;
    if by_field {
        crate::http::audit_layer::begun_row(state, &caller.username, "POST /open311/v2/requests", "open311", source.0).await?;
    }
    let key = match headers.get(IDEMPOTENCY_KEY) {
        Some(v) => Some(v.to_str().map_err(|_| Open311Error::bad_request("Idempotency-Key must be ASCII"))?.to_owned()),
        None => None,
    };
    let report = report(state, &fields)?;
    let key = key.or_else(|| fields.get("request_id").or_else(|| fields.get("token")).cloned());
    let now = state.clock.now();
    let report_id = match key {
        Some(k) => k,
        None => format!("open311-{}-{}", now.timestamp_micros(), UNKEYED.fetch_add(1, Ordering::Relaxed)),
    };
    let checked = intake::check(ReportRequest { report_id: Some(report_id), ..report }, None)?;
    let new = intake::build(&state.index.load(), &state.catalog.load(), &state.rules, checked, super::reports::gridworker_person(&caller), now)?;
    let place = &new.event.place;
    if !scope.0.covers(&place.township, &place.village) {
        return Err(ApiError::Forbidden {
            action: Permission::ReportEvent.as_str().to_owned(),
            reason: format!("the point is in grid {}, outside the key's jurisdiction {}", place.grid, scope.0.as_str()),
        }
        .into());
    }
    let fingerprint = new.event.fingerprint.clone();
    let (status, event) = match state.intake.submit(new).await.map_err(crate::ApiError::from)? {
        Inserted::Created(e) => (StatusCode::CREATED, e),
        Inserted::Existing(e) if e.fingerprint == fingerprint => (StatusCode::OK, e),
        Inserted::Existing(e) => {
            return Err(crate::ApiError::KeyReused(format!(
                "the idempotency key {} was already used for a different request ({})",
                e.report_id, e.event_id
            ))
            .into())
        }
    };
    let notice = format!("已受理，编号 {}；将在 {} 前办结并反馈", event.event_id, due(&event));
    let record = vec![
        ("service_request_id", Field::from(event.event_id.as_str())),
        ("service_notice", notice.into()),
        ("account_id", Field::Null),
    ];
    let response = no_store(open311::list(format, status, "service_requests", "request", &[record]));
    Ok((response, caller.username, event.event_id))
}

fn due(e: &EventRecord) -> String {
    e.flow.deadlines.map_or_else(|| "规定时限".to_owned(), |d| open311::w3_time(d.done_by))
}

/// The posted fields as a report of the `open311` channel, from a resident.
fn report(state: &AppState, f: &HashMap<String, String>) -> Result<ReportRequest, Open311Error> {
    let text = |k: &str| f.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let code = text("service_code").ok_or_else(|| Open311Error::bad_request("service_code is required"))?;
    let service = open311::service(&state.rules.routing(), code)
        .ok_or_else(|| Open311Error::not_found(format!("no service with service_code {code:?}")))?;
    let (Some(lat), Some(lon)) = (text("lat"), text("long")) else {
        return Err(Open311Error::bad_request(
            "lat and long (WGS84 degrees) are required; this service cannot place address_string alone",
        ));
    };
    let degrees = |what: &str, v: &str| {
        v.parse::<f64>().map_err(|_| Open311Error::bad_request(format!("{what} must be a number of degrees, got {v:?}")))
    };
    let name = match (text("last_name"), text("first_name")) {
        (None, None) => None,
        (last, first) => Some(format!("{}{}", last.unwrap_or_default(), first.unwrap_or_default())),
    };
    Ok(ReportRequest {
        report_id: None,
        category: service.category.as_str().to_owned(),
        subcategory: service.subcategory,
        description: text("description").ok_or_else(|| Open311Error::bad_request("description is required"))?.to_owned(),
        location: LocationRequest { lon: degrees("long", lon)?, lat: degrees("lat", lat)?, crs: Some("wgs84".into()) },
        reporter: ReporterRequest {
            kind: "resident".into(),
            device_id: text("device_id").map(str::to_owned),
            name,
            phone: text("phone").map(str::to_owned),
        },
        complexity: None,
        channel: Some("open311".into()),
    })
}

#[utoipa::path(
    get,
    path = "/open311/discovery.json",
    operation_id = "get_open311_discovery_json",
    tag = "events",
    security(()),
    responses((status = 200, description = "where the endpoint is and what it speaks", body = Discovery), crate::http::openapi::Open311Errors)
)]
/// `GET /open311/discovery.json`: where the GeoReport v2 endpoint is and what it speaks.
async fn discovery(headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    Json(Discovery {
        changeset: CHANGESET,
        contact: "怀来县网格化服务管理中心",
        key_service: "",
        endpoints: vec![Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2",
            url: format!("http://{host}{BASE}"),
            changeset: CHANGESET,
            kind: "production",
            formats: vec!["application/json", open311::XML],
        }],
    })
    .into_response()
}

/// When the endpoint's definition last changed.
const CHANGESET: &str = "2025-03-01T00:00:00+08:00";

/// GeoReport v2 discovery.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Discovery {
    changeset: &'static str,
    contact: &'static str,
    key_service: &'static str,
    endpoints: Vec<Endpoint>,
}

/// One endpoint of the discovery.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Endpoint {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: Vec<&'static str>,
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(discovery, definition, one, doc::get_open311_v2_services_doc, doc::get_open311_v2_requests_doc, doc::post_open311_v2_requests_doc, doc::post_open311_v2_requests_id_followups_doc, doc::get_open311_v2_services_json_doc, doc::get_open311_v2_requests_json_doc, doc::post_open311_v2_requests_json_doc, doc::post_open311_v2_requests_id_followups_json_doc, doc::get_open311_v2_services_xml_doc, doc::get_open311_v2_requests_xml_doc, doc::post_open311_v2_requests_xml_doc, doc::post_open311_v2_requests_id_followups_xml_doc))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_740_963_600, 0).unwrap_or_default()
    }

    #[test]
    fn the_window_defaults_to_the_last_90_days_and_is_capped() {
        let window_len = window(None, None, now()).map(|(from, to)| to - from);
        assert_eq!(window_len, Ok(Duration::days(90) + Duration::milliseconds(1)));
        let s = "2025-01-01T00:00:00Z".to_owned();
        let e = "2025-06-01T00:00:00Z".to_owned();
        assert!(window(Some(&s), Some(&e), now()).is_err());
        assert!(window(Some(&e), Some(&s), now()).is_err());
        assert!(w3("start_date", "yesterday").is_err());
        assert!(w3("start_date", "2025-03-01").is_ok());
    }

    #[test]
    fn status_open_and_closed_name_the_loop_states() {
        assert_eq!(statuses(Some(&"closed".to_owned())), Ok(vec![LoopState::Closed, LoopState::Rated]));
        assert_eq!(statuses(Some(&"open".to_owned())).map(|s| s.len()), Ok(5));
        assert_eq!(statuses(Some(&"open,closed".to_owned())), Ok(Vec::new()));
        assert!(statuses(Some(&"pending".to_owned())).is_err());
    }
}
