//! Patrols (巡查): a gridworker's `POST /api/v1/patrols`, `…/{id}/points`, `…/{id}/checkins`
//! and `…/{id}/end` (all idempotent for the device's offline queue); `GET /api/v1/patrols`,
//! `GET /api/v1/patrols/{id}`, the dispatchers' `GET /api/v1/patrols/live` and the figures
//! `GET /api/v1/stats/patrol` (the list and the figures also as XLSX or CSV). Where people walked is personal data: every read is audited and
//! never cached.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use wangge_core::access::Permission;
use wangge_core::patrol::{GridFigures, GridworkerFigures, CELL_M, MAX_PATROL_MS};

use super::events::reports::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAY};
use super::events::stats::{date, day_start};
use super::sheets::{self, Name};
use super::{code, empty_page, no_store, page, time, Routes};
use crate::access::{AuditNote, Caller, Scope};
use crate::http::error::ApiError;
use crate::http::with_photos;
use crate::photos;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::patrols::figures::{figures, FigureScope};
use crate::patrols::{self, CheckinRequest, CheckinView, EndRequest, LiveView, Locator, PatrolView, PointsAnswer, PointsRequest, StartRequest};
use crate::records::{time_text, Page, PatrolFilter, PatrolRecord};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/patrols", get(list).post(start))
        .at("/api/v1/patrols/live", get(live))
        .at("/api/v1/patrols/{id}", get(one))
        .at("/api/v1/patrols/{id}/points", post(points))
        .at(
            "/api/v1/patrols/{id}/checkins",
            post(checkin).layer(DefaultBodyLimit::max(with_photos::PHOTO_BODY_LIMIT)),
        )
        .at("/api/v1/patrols/{id}/end", post(end))
        .at("/api/v1/stats/patrol", get(stats))
}

/// The `Idempotency-Key` header, if any.
fn key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map_err(|_| ApiError::BadRequest("Idempotency-Key must be ASCII".into())))
        .transpose()
}

/// 201 for a new object, 200 marked as a replay for one already stored.
fn stored(body: impl Serialize, replay: bool, location: &str, note: AuditNote) -> Response {
    let status = if replay { StatusCode::OK } else { StatusCode::CREATED };
    let mut response = (status, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replay {
        response.headers_mut().insert(IDEMPOTENT_REPLAY, HeaderValue::from_static("true"));
    }
    note.with_detail(if replay { "retry answered with the stored one" } else { "" }).on(no_store(response))
}

#[utoipa::path(
    post,
    path = "/api/v1/patrols",
    operation_id = "post_api_v1_patrols",
    tag = "patrols",
    request_body = StartRequest,
    responses((status = 201, description = "started", body = PatrolView), (status = 200, description = "a retry answered with the patrol already started", body = PatrolView), crate::http::openapi::Problems)
)]
async fn start(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StartRequest>,
) -> Result<Response, ApiError> {
    caller.require(Permission::Patrol)?;
    let roster = state.rules.roster();
    let person = patrols::walker(&roster, &caller.acting_as)?;
    let (patrol, replay) = patrols::start(&state.store, person, body, key(&headers)?, state.clock.now()).await?;
    let id = &patrol.patrol_id;
    let note = AuditNote::success(Permission::Patrol.as_str(), format!("patrol:{id}"));
    Ok(stored(PatrolView::from(&patrol), replay, &format!("/api/v1/patrols/{id}"), note))
}

#[utoipa::path(
    post,
    path = "/api/v1/patrols/{id}/points",
    operation_id = "post_api_v1_patrols_id_points",
    tag = "patrols",
    params(("id" = String, Path, description = "the record's id", example = "demo-GW0001-20230104")),
    request_body = PointsRequest,
    responses((status = 200, description = "what the batch did", body = PointsAnswer), crate::http::openapi::Problems)
)]
async fn points(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PointsRequest>,
) -> Result<Response, ApiError> {
    caller.require(Permission::Patrol)?;
    let (roster, index, catalog) = (state.rules.roster(), state.index.load(), state.catalog.load());
    let person = patrols::walker(&roster, &caller.acting_as)?;
    let at = Locator { index: &index, catalog: &catalog, roster: &roster, person };
    let answer = patrols::add_points(&state.store, at, &id, body, state.clock.now()).await?;
    let note = AuditNote::success(Permission::Patrol.as_str(), format!("patrol:{id}"))
        .with_detail(format!("{} points sent, {} new", answer.received, answer.stored));
    Ok(note.on(no_store(Json(answer).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/patrols/{id}/checkins",
    operation_id = "post_api_v1_patrols_id_checkins",
    tag = "patrols",
    params(("id" = String, Path, description = "the record's id", example = "demo-GW0001-20230104")),
    responses((status = 201, description = "checked in", body = CheckinView), (status = 200, description = "a retry answered with the check-in already stored", body = CheckinView), crate::http::openapi::Problems)
)]
/// A check-in: JSON, or `multipart/form-data` with the JSON as `checkin` and up to nine
/// `photo` parts (stored with the check-in, in its transaction).
async fn checkin(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<Response, ApiError> {
    caller.require(Permission::Patrol)?;
    let headers = request.headers().clone();
    let (body, sent): (CheckinRequest, _) = with_photos::read(request, &state, "checkin").await?;
    let now = state.clock.now();
    let (roster, index, catalog) = (state.rules.roster(), state.index.load(), state.catalog.load());
    let person = patrols::walker(&roster, &caller.acting_as)?;
    let at = Locator { index: &index, catalog: &catalog, roster: &roster, person };
    let photos = photos::prepare(&state.store, sent, now).await?;
    let (c, replay) = patrols::check_in(&state.store, at, &id, body, key(&headers)?, &photos, now).await?;
    let mut view = CheckinView::from(&c);
    view.photos = state.store.checkin_photos(&c.checkin_id).await?.iter().map(photos::attachment_view).collect();
    let note = AuditNote::success(Permission::Patrol.as_str(), format!("checkin:{}", c.checkin_id));
    Ok(stored(view, replay, &format!("/api/v1/patrols/{id}"), note))
}

#[utoipa::path(
    post,
    path = "/api/v1/patrols/{id}/end",
    operation_id = "post_api_v1_patrols_id_end",
    tag = "patrols",
    params(("id" = String, Path, description = "the record's id", example = "demo-GW0001-20230104")),
    request_body = EndRequest,
    responses((status = 200, description = "the patrol ended", body = PatrolView), crate::http::openapi::Problems)
)]
async fn end(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EndRequest>,
) -> Result<Response, ApiError> {
    caller.require(Permission::Patrol)?;
    let roster = state.rules.roster();
    let person = patrols::walker(&roster, &caller.acting_as)?;
    let patrol = patrols::end(&state.store, person, &id, body, state.clock.now()).await?;
    let note = AuditNote::success(Permission::Patrol.as_str(), format!("patrol:{id}"));
    Ok(note.on(no_store(Json(PatrolView::from(&patrol)).into_response())))
}

/// Who reads patrols: a supervisor within a jurisdiction, or a gridworker its own.
pub(in crate::http) enum Viewer {
    Within(Scope),
    Own(String),
}

impl Viewer {
    pub(in crate::http) fn of(caller: &Caller) -> Result<Self, ApiError> {
        match caller.scope(Permission::ReadPatrols) {
            Ok(scope) => Ok(Self::Within(scope)),
            Err(_) if caller.require(Permission::Patrol).is_ok() => Ok(Self::Own(caller.acting_as.clone())),
            Err(denied) => Err(denied.into()),
        }
    }

    pub(in crate::http) fn sees(&self, p: &PatrolRecord) -> bool {
        match self {
            Self::Within(scope) => scope.covers(&p.unit_code),
            Self::Own(person) => *person == p.person_id,
        }
    }

    fn permission(&self) -> Permission {
        match self {
            Self::Within(_) => Permission::ReadPatrols,
            Self::Own(_) => Permission::Patrol,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/patrols/{id}",
    operation_id = "get_api_v1_patrols_id",
    tag = "patrols",
    params(("id" = String, Path, description = "the record's id", example = "demo-GW0001-20230104")),
    responses((status = 200, description = "the patrol with its check-ins", body = PatrolDetail), crate::http::openapi::Problems)
)]
async fn one(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let viewer = Viewer::of(&caller)?;
    let missing = || format!("no patrol with id {id:?}");
    let patrol = state.store.patrol(&id).await?.ok_or_else(|| ApiError::NotFound(missing()))?;
    if !viewer.sees(&patrol) {
        return Err(ApiError::Hidden(missing()));
    }
    // The check-ins (走访) with their photos.
    let mut visits = Vec::new();
    for c in state.store.checkins_of(&patrol.patrol_id).await? {
        let mut view = CheckinView::from(&c);
        view.photos = state.store.checkin_photos(&c.checkin_id).await?.iter().map(photos::attachment_view).collect();
        visits.push(view);
    }
    let note = AuditNote::success(viewer.permission().as_str(), format!("patrol:{id}"));
    Ok(note.on(no_store(Json(PatrolDetail { patrol: PatrolView::from(&patrol), visits }).into_response())))
}

/// One patrol with its check-ins.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PatrolDetail {
    #[serde(flatten)]
    patrol: PatrolView,
    /// Its check-ins, in time order, with their photos.
    visits: Vec<CheckinView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    person: Option<String>,
    township: Option<String>,
    village: Option<String>,
    from: Option<String>,
    to: Option<String>,
    open: Option<bool>,
    page: Option<String>,
    per_page: Option<String>,
    /// `xlsx` or `csv`: the whole filtered list as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/patrols",
    operation_id = "get_api_v1_patrols",
    tag = "patrols",
    params(ListQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((wangge_core::wire::Paged<PatrolView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/patrols`: patrols newest first, paged, or all of them as a spreadsheet.
async fn list(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let viewer = Viewer::of(&caller)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let note = AuditNote::success(viewer.permission().as_str(), "patrols");
    let mut filter = PatrolFilter {
        person_id: q.person,
        from: q.from.as_deref().map(|t| time("from", t, false)).transpose()?,
        to: q.to.as_deref().map(|t| time("to", t, true)).transpose()?,
        open: q.open,
        ..PatrolFilter::default()
    };
    let visible = match &viewer {
        Viewer::Within(scope) => match scope.narrow(township, village) {
            Some((township, village)) => {
                filter.unit_prefixes = village.or(township).into_iter().collect();
                true
            }
            None => false,
        },
        Viewer::Own(person) => {
            filter.unit_prefixes = village.or(township).into_iter().collect();
            let own = filter.person_id.as_ref().is_none_or(|p| p == person);
            filter.person_id = Some(person.clone());
            own
        }
    };
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let records = if visible {
            let total = state.store.patrols(&filter, Page { page: 1, per_page: 1 }).await?.total;
            state.store.patrols(&filter, Page { page: 1, per_page: sheets::whole(total)? }).await?.items
        } else {
            Vec::new()
        };
        let (roster, catalog) = (state.rules.roster(), state.catalog.load());
        let build = move || {
            let name = |id: &str| roster.get(id).map(|p| p.name.clone()).unwrap_or_default();
            crate::patrols::sheets::patrols(records.iter().map(PatrolView::from), name, &catalog)
        };
        return sheets::file(&state, format, Name { ascii: "patrols", zh: "巡查记录" }, "patrols", build).await;
    }
    if !visible {
        return Ok(note.on(no_store(Json(empty_page::<PatrolView>(page)).into_response())));
    }
    let found = state.store.patrols(&filter, page).await?;
    Ok(note.on(no_store(Json(found.map(|p| PatrolView::from(&p))).into_response())))
}

#[utoipa::path(
    get,
    path = "/api/v1/patrols/live",
    operation_id = "get_api_v1_patrols_live",
    tag = "patrols",
    responses((status = 200, description = "the gridworkers on patrol now", body = LiveAnswer), crate::http::openapi::Problems)
)]
async fn live(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadPatrols)?;
    let now = state.clock.now();
    let filter = PatrolFilter {
        unit_prefixes: (!scope.is_county()).then(|| scope.0.as_str().to_owned()).into_iter().collect(),
        ..PatrolFilter::default()
    };
    let since = now - chrono::Duration::milliseconds(MAX_PATROL_MS);
    let found = state.store.live_patrols(&filter, since).await?;
    let roster = state.rules.roster();
    let name = |id: &str| roster.get(id).map(|p| p.name.clone()).unwrap_or_default();
    let items: Vec<LiveView> = found.iter().map(|p| LiveView::new(p, name(&p.person_id), now)).collect();
    let note = AuditNote::success(Permission::ReadPatrols.as_str(), "patrols:live")
        .with_detail(format!("{} gridworkers on patrol", items.len()));
    Ok(note.on(no_store(Json(LiveAnswer { items, generated_at: time_text(now) }).into_response())))
}

/// The gridworkers on patrol now (`GET /api/v1/patrols/live`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolsLive)]
struct LiveAnswer {
    /// Each patrol still open, with its last point.
    items: Vec<LiveView>,
    /// When this answer was made.
    generated_at: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    village: Option<String>,
    /// `xlsx` or `csv`: the figures by gridworker (or by grid) as a spreadsheet.
    format: Option<String>,
    /// `gridworker` (the default) or `grid`: which figures a spreadsheet lists.
    by: Option<String>,
}

/// The patrol figures of a period (`GET /api/v1/stats/patrol`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolStats)]
struct StatsAnswer {
    from: NaiveDate,
    to: NaiveDate,
    township: Option<String>,
    village: Option<String>,
    /// Side of the coverage raster's cells, in metres.
    cell_m: f64,
    by_gridworker: Vec<GridworkerFigures>,
    by_grid: Vec<GridFigures>,
    patrol_rate: f64,
    generated_at: String,
}

/// `x` to `places` decimals.
fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[utoipa::path(
    get,
    path = "/api/v1/stats/patrol",
    operation_id = "get_api_v1_stats_patrol",
    tag = "patrols",
    params(StatsQuery),
    responses((status = 200, description = "the figures (JSON), or a spreadsheet of them with `format=xlsx|csv` or `Accept`", content((StatsAnswer = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
async fn stats(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<StatsQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadPatrols)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let by_grid = match q.by.as_deref() {
        None | Some("gridworker") => false,
        Some("grid") => true,
        Some(other) => return Err(ApiError::BadRequest(format!("by must be gridworker or grid, got {other:?}"))),
    };
    let (from, to) = (date("from", q.from.as_deref())?, date("to", q.to.as_deref())?);
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    if from > to {
        return Err(ApiError::BadRequest(format!("from ({from}) is after to ({to})")));
    }
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let (township, village) = scope.narrow(township, village).ok_or_else(|| ApiError::Forbidden {
        action: Permission::ReadPatrols.as_str().to_owned(),
        reason: format!("the figures asked for are outside the caller's jurisdiction {}", scope.0.as_str()),
    })?;
    let end = to.checked_add_days(Days::new(1)).ok_or_else(|| ApiError::BadRequest(format!("to {to} is too late")))?;
    let scope = FigureScope { from: day_start(from)?, to: day_start(end)?, prefix: village.clone().or(township.clone()) };
    let mut f = figures(&state.store, state.index.load(), state.rules.roster(), &scope).await?;
    for g in &mut f.by_gridworker {
        (g.hours, g.km) = (round(g.hours, 3), round(g.km, 3));
        (g.outside_share, g.coverage) = (round(g.outside_share, 4), round(g.coverage, 4));
    }
    for g in &mut f.by_grid {
        g.coverage = round(g.coverage, 4);
    }
    if let Some(format) = export {
        let (roster, catalog) = (state.rules.roster(), state.catalog.load());
        let build = move || {
            if by_grid {
                crate::patrols::sheets::by_grid(&f.by_grid, &catalog)
            } else {
                crate::patrols::sheets::by_gridworker(&f.by_gridworker, |id| roster.get(id).map(|p| p.name.clone()).unwrap_or_default())
            }
        };
        return sheets::file(&state, format, Name { ascii: "patrol-figures", zh: "巡查统计" }, "stats:patrol", build).await;
    }
    let answer = StatsAnswer {
        from,
        to,
        township,
        village,
        cell_m: CELL_M,
        by_gridworker: f.by_gridworker,
        by_grid: f.by_grid,
        patrol_rate: round(f.patrol_rate, 4),
        generated_at: time_text(state.clock.now()),
    };
    let note = AuditNote::success(Permission::ReadPatrols.as_str(), "stats:patrol");
    Ok(note.on(no_store(Json(answer).into_response())))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, start, live, one, points, checkin, end, stats))]
pub struct Doc;
