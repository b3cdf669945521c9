//! The HTTP API: one router per domain, merged here with the fallbacks and middleware.

mod access;
mod assessment;
mod disputes;
mod drafts;
mod events;
mod grids;
mod frontend;
mod health;
mod metrics;
mod ogcapi;
mod openapi;
pub(in crate::http) mod patrols;
mod people;
mod registry;
mod sheets;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use wangge_core::calendar::china_time;
use tower_http::trace::TraceLayer;

use crate::http::error::{self, ApiError};
use crate::records::Page;
use crate::state::AppState;

pub use events::reports::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAY, PATH as REPORTS};

/// Items per page of a list unless asked otherwise.
pub const DEFAULT_PER_PAGE: u32 = 50;

/// Most items per page of a list.
pub const MAX_PER_PAGE: u32 = 500;

/// Largest request body accepted (bulk locate), in bytes.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Largest number of points in one bulk locate request.
pub const MAX_POINTS: usize = 100_000;

/// Every route pattern registered through [`Routes::at`].
static REGISTERED: std::sync::LazyLock<std::sync::Mutex<std::collections::BTreeSet<String>>> =
    std::sync::LazyLock::new(Default::default);

/// `Router::route` that also records the pattern, so that the routes can be listed from the
/// router itself (the access matrix test fails for a route it has no entry for).
trait Routes {
    /// Adds `route` at `path`.
    fn at(self, path: &str, route: axum::routing::MethodRouter<AppState>) -> Self;
}

impl Routes for Router<AppState> {
    fn at(self, path: &str, route: axum::routing::MethodRouter<AppState>) -> Self {
        if let Ok(mut registered) = REGISTERED.lock() {
            registered.insert(path.to_owned());
        }
        self.route(path, route)
    }
}

/// Every route pattern of the API (e.g. `/api/v1/events/{id}`), as the router registers it.
pub fn route_patterns() -> Vec<String> {
    let _ = api();
    let _ = metrics::router();
    REGISTERED.lock().map(|r| r.iter().cloned().collect()).unwrap_or_default()
}

/// The API's routes, before the middleware and state.
fn api() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(grids::router())
        .merge(ogcapi::router())
        .merge(openapi::router())
        .merge(drafts::router())
        .merge(events::router())
        .merge(people::router())
        .merge(patrols::router())
        .merge(registry::router())
        .merge(disputes::router())
        .merge(assessment::router())
        .merge(access::router())
}

/// The OpenAPI 3.1 document of the API: every route module's own description, merged, with the
/// shared problems, credentials and header (`crate::http::openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    for module in module_docs() {
        doc.merge(module);
    }
    crate::http::openapi::finish(doc)
}

/// Each route module's description.
fn module_docs() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi as _;
    vec![
        access::admin::Doc::openapi(),
        access::audit::Doc::openapi(),
        access::auth::Doc::openapi(),
        assessment::Doc::openapi(),
        assessment::careers::Doc::openapi(),
        disputes::Doc::openapi(),
        disputes::petitions::Doc::openapi(),
        drafts::Doc::openapi(),
        events::attachments::Doc::openapi(),
        events::calendar::Doc::openapi(),
        events::followups::Doc::openapi(),
        events::open311::Doc::openapi(),
        events::queues::Doc::openapi(),
        events::reports::Doc::openapi(),
        events::responsibility::Doc::openapi(),
        events::stats::Doc::openapi(),
        events::stream::Doc::openapi(),
        grids::boundaries::Doc::openapi(),
        grids::divisions::Doc::openapi(),
        grids::export::Doc::openapi(),
        grids::locate::Doc::openapi(),
        grids::map::Doc::openapi(),
        grids::search::Doc::openapi(),
        health::Doc::openapi(),
        metrics::Doc::openapi(),
        ogcapi::Doc::openapi(),
        openapi::Doc::openapi(),
        patrols::Doc::openapi(),
        people::Doc::openapi(),
        registry::Doc::openapi(),
        registry::special_groups::Doc::openapi(),
    ]
}

/// The whole API over `state`, and the map frontend at `/` when the state has one.
pub fn app(state: AppState) -> Router {
    let api = api()
        // Every API route: the caller, CSRF, and the request's audit row.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::audit_layer::authenticate))
        // The monitoring scrape has its own token, not an account.
        .merge(metrics::router());
    let api = match state.frontend_dir {
        Some(_) => api.fallback(frontend::serve),
        None => api.fallback(error::not_found),
    };
    api.method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::overload::bound))
        // Its events go to the request's span (below), which carries the request id.
        .layer(
            // The answer's own error log says why a request failed (ERROR for a 500, WARN for
            // an outage); the trace layer's failure line is only a WARN beside it.
            TraceLayer::new_for_http()
                .make_span_with(|_: &axum::http::Request<_>| tracing::Span::none())
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
        .layer(axum::middleware::from_fn(crate::http::request_id::assign))
        .with_state(state)
}

/// Marks an answer that carries personal data as never to be stored by caches.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `page` (from 1) and `per_page` (1 to [`MAX_PER_PAGE`], default [`DEFAULT_PER_PAGE`]).
fn page(page: Option<&str>, per_page: Option<&str>) -> Result<Page, ApiError> {
    let number = |what: &str, text: Option<&str>, default: u32, max: u32| -> Result<u32, ApiError> {
        let Some(text) = text else { return Ok(default) };
        text.parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            ApiError::BadRequest(format!("{what} must be a whole number from 1 to {max}, got {text:?}"))
        })
    };
    Ok(Page {
        page: number("page", page, 1, 1_000_000)?,
        per_page: number("per_page", per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

/// Which masked field to reveal (`POST …/reveal`).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevealBody {
    field: String,
}

/// A revealed value of `object`: never cached, and its audit row written.
fn revealed(object: String, field: String, value: String) -> Response {
    use axum::response::IntoResponse;
    use wangge_core::access::Permission;
    let note = crate::access::AuditNote::success(Permission::RevealPersonalData.as_str(), object)
        .with_detail(format!("field {field}"));
    note.on(no_store(axum::Json(wangge_core::wire::Revealed { field, value }).into_response()))
}

/// An empty page (a filter outside the caller's jurisdiction).
fn empty_page<T>(page: Page) -> crate::records::Paged<T> {
    crate::records::Paged { items: Vec::new(), total: 0, page: page.page, per_page: page.per_page }
}

/// A division code of `len` digits.
fn code(what: &str, code: String, len: usize) -> Result<String, ApiError> {
    if code.len() == len && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ApiError::BadRequest(format!("{what} must be a {len}-digit division code, got {code:?}")))
    }
}

/// An RFC 3339 time, or a date (China time): `from` is the start of that day, `to` the end.
pub(crate) fn time(what: &str, text: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!("{what} must be a date (2025-03-01) or an RFC 3339 time, got {text:?}"))
    })?;
    let day = if end_of_day { date.succ_opt().unwrap_or(date) } else { date };
    china_time()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::BadRequest(format!("{what} {text:?} is not a valid day")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_two_schemas_share_a_name() {
        // Merging keeps one schema per name: two types of the same name would silently describe
        // one of them wrongly.
        let mut seen = std::collections::BTreeMap::new();
        let mut clashes = std::collections::BTreeSet::new();
        for module in super::module_docs() {
            for (name, schema) in module.components.map(|c| c.schemas).unwrap_or_default() {
                let text = serde_json::to_string(&schema).unwrap_or_default();
                if seen.insert(name.clone(), text.clone()).is_some_and(|other| other != text) {
                    clashes.insert(name);
                }
            }
        }
        assert!(clashes.is_empty(), "different schemas share these names (give one `#[schema(as = …)]`): {clashes:?}");
        assert!(seen.len() > 100, "{} schemas", seen.len());
    }
}
