//! The one error type of the HTTP API, answered as RFC 9457 `application/problem+json`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::access::{AuditNote, Denial};
use crate::logging::error_chain;
use crate::events::intake::{IntakeError, Refused};
use crate::grids::drafts::{Busy, HeavyError};
use crate::grids::publish::PublishError;
use crate::store::{Outage, StoreError};
use wangge_core::wire::draft::{DraftInvalid, DraftProblem};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a request can fail with. Client errors carry a reason for the client; server
/// errors are logged with their cause and answered without internals.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed or out-of-range input.
    #[error("{0}")]
    BadRequest(String),
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// The resource exists but is outside the caller's jurisdiction: answered exactly like
    /// [`ApiError::NotFound`] with the same message, and audited as a denial.
    #[error("{0}")]
    Hidden(String),
    /// No valid session or token (or it ended); the reason says which.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not do this; `action` names what was refused (for the audit log).
    #[error("{reason}")]
    Forbidden {
        /// What was asked (a permission's wire name or the route).
        action: String,
        /// Why not.
        reason: String,
    },
    /// A sign-in from a device other than the account's bound one (人机格).
    #[error("{0}")]
    DeviceNotBound(String),
    /// A login refused for the account's lock.
    #[error("{0}")]
    Locked(String),
    /// Too many requests from this address; retry after so many seconds.
    #[error("{detail}")]
    TooManyRequests {
        /// Why.
        detail: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The route exists but not for this method.
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// The body or the number of items is over the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request conflicts with the resource's current state (an illegal or concurrent
    /// transition, a device already bound to someone else).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed input that cannot be acted on (bad field values).
    #[error("{0}")]
    Unprocessable(String),
    /// An idempotency key reused for a different request.
    #[error("{0}")]
    KeyReused(String),
    /// A point outside every grid of the county, with the nearest grid.
    #[error("the point ({lon}, {lat}) is outside the county{}", nearest_text(.nearest))]
    OutsideCounty {
        /// Longitude (CGCS2000) of the point.
        lon: f64,
        /// Latitude (CGCS2000) of the point.
        lat: f64,
        /// The nearest grid's code and the distance to it in metres.
        nearest: Option<(String, f64)>,
    },
    /// The working-day calendar cannot count a deadline (a year whose notice is not loaded).
    #[error("{0}")]
    Calendar(#[from] wangge_core::calendar::CalendarError),
    /// The store failed.
    #[error("the store is unavailable")]
    Store(#[source] StoreError),
    /// The database is away, full or overloaded: nothing was changed, try again
    /// (`Retry-After`); 507 for a full disk, 503 otherwise.
    #[error("{}", .outage.describe())]
    Outage {
        /// Which.
        outage: Outage,
        /// The store's failure (logged, not sent).
        cause: String,
    },
    /// Too much work in flight (e.g. password checks); retry after so many seconds.
    #[error("{detail}")]
    Busy {
        /// Why.
        detail: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// A boundary draft with errors, refused with its problems (`urn:wangge:problem:draft-invalid`).
    #[error("the draft has {} problem(s); nothing was published", .0.len())]
    DraftInvalid(Vec<DraftProblem>),
    /// Fields (or spreadsheet cells) refused, each with its reason: nothing was stored
    /// (`urn:wangge:problem:invalid-fields`, the list in `problems`).
    #[error("{detail}")]
    InvalidFields {
        /// A summary.
        detail: String,
        /// `[{"field", "reason"}]`, with `row` and `column` for a spreadsheet.
        problems: serde_json::Value,
    },
    /// A bug; the message is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

/// The `application/problem+json` body.
#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    /// RFC 9457 extension members.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extensions: Option<serde_json::Value>,
}

fn nearest_text(nearest: &Option<(String, f64)>) -> String {
    match nearest {
        Some((code, distance_m)) => format!("; the nearest grid is {code}, {distance_m:.1} m away"),
        None => String::new(),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Stale { event_id } => Self::Conflict(format!(
                "event {event_id} changed while this transition was being applied; reload it and try again"
            )),
            conflict @ StoreError::GenerationConflict { .. } => Self::Conflict(conflict.to_string()),
            taken @ StoreError::IdNumberTaken => Self::Conflict(taken.to_string()),
            StoreError::DeviceTaken { device_id, person_id } => {
                Self::Conflict(format!("device {device_id} is already bound to {person_id}"))
            }
            other => match other.outage() {
                Some(outage) => Self::Outage { outage, cause: error_chain(&other) },
                None => Self::Store(other),
            },
        }
    }
}

impl From<crate::patrols::Refused> for ApiError {
    fn from(e: crate::patrols::Refused) -> Self {
        use crate::patrols::Refused as R;
        match e {
            R::Invalid(reason) => Self::Unprocessable(reason),
            too_many @ R::TooMany(_) => Self::PayloadTooLarge(too_many.to_string()),
            R::NotAGridworker(reason) => {
                Self::Forbidden { action: wangge_core::access::Permission::Patrol.as_str().to_owned(), reason }
            }
            missing @ R::NotFound(_) => Self::NotFound(missing.to_string()),
            open @ R::AlreadyOpen(_) => Self::Conflict(open.to_string()),
            R::KeyReused(reason) => Self::KeyReused(reason),
            random @ R::Random(_) => Self::Internal(random.to_string()),
            R::Store(s) => s.into(),
        }
    }
}

impl From<crate::access::GrantRefused> for ApiError {
    fn from(e: crate::access::GrantRefused) -> Self {
        Self::Unprocessable(e.to_string())
    }
}

impl From<crate::disputes::Refused> for ApiError {
    fn from(e: crate::disputes::Refused) -> Self {
        use crate::disputes::Refused as R;
        match e {
            R::Invalid(reason) => Self::Unprocessable(reason),
            R::Move(_) | R::PetitionMove(_) => Self::Unprocessable(e.to_string()),
            R::Seal(_) | R::Random(_) => Self::Internal(e.to_string()),
        }
    }
}

impl From<crate::assessment::Refused> for ApiError {
    fn from(e: crate::assessment::Refused) -> Self {
        use crate::assessment::Refused as R;
        match e {
            R::Invalid(reason) => Self::Unprocessable(reason),
            scheme @ R::Scheme(_) => Self::Unprocessable(scheme.to_string()),
            R::Conflict(reason) => Self::Conflict(reason),
            R::Store(s) => s.into(),
            task @ R::Task(_) => Self::Internal(task.to_string()),
        }
    }
}

impl From<crate::disputes::callbacks::CallbackFailure> for ApiError {
    fn from(e: crate::disputes::callbacks::CallbackFailure) -> Self {
        use crate::disputes::callbacks::CallbackFailure as F;
        use crate::events::transitions::TransitionFailure as T;
        match e {
            F::Refused(r) => r.into(),
            F::Transition(T::Refused(t)) => Self::Unprocessable(t.to_string()),
            F::Transition(T::Store(s)) | F::Store(s) => s.into(),
        }
    }
}

impl From<crate::events::cube::live::CubeError> for ApiError {
    fn from(e: crate::events::cube::live::CubeError) -> Self {
        match e {
            crate::events::cube::live::CubeError::Store(e) => e.into(),
            task @ crate::events::cube::live::CubeError::Task(_) => Self::Internal(task.to_string()),
        }
    }
}

impl From<crate::patrols::figures::FiguresError> for ApiError {
    fn from(e: crate::patrols::figures::FiguresError) -> Self {
        match e {
            crate::patrols::figures::FiguresError::Store(s) => s.into(),
            task @ crate::patrols::figures::FiguresError::Task(_) => Self::Internal(task.to_string()),
        }
    }
}

impl From<crate::photos::PhotoRefused> for ApiError {
    fn from(e: crate::photos::PhotoRefused) -> Self {
        use crate::photos::PhotoRefused as R;
        use crate::formats::photo::PhotoError;
        match e {
            R::Photo { error: PhotoError::TooLarge, .. } | R::TooMany(_) => Self::PayloadTooLarge(e.to_string()),
            R::Photo { error: PhotoError::NotAPhoto(_), .. } => Self::UnsupportedMediaType(e.to_string()),
            R::Photo { .. } | R::TooSlow(_) => Self::Unprocessable(e.to_string()),
            R::Busy => Self::Busy { detail: e.to_string(), retry_after_secs: 5 },
            R::Random(_) => Self::Internal(e.to_string()),
            R::Store(s) => s.into(),
        }
    }
}

impl From<crate::access::AuthError> for ApiError {
    fn from(e: crate::access::AuthError) -> Self {
        use crate::access::AuthError as A;
        use wangge_core::access::LoginRefusal;
        match e {
            A::BadCredentials => Self::Unauthenticated(e.to_string()),
            A::Busy => Self::Busy { detail: e.to_string(), retry_after_secs: 1 },
            A::NotAllowed(reason) => Self::Forbidden { action: "api_key_scope".into(), reason },
            A::SessionEnded(reason) => Self::Unauthenticated(reason.to_owned()),
            A::DeviceNotBound(reason) => Self::DeviceNotBound(reason),
            A::Refused(LoginRefusal::Throttled { retry_after_secs }) => {
                Self::TooManyRequests { detail: e.to_string(), retry_after_secs }
            }
            A::Refused(LoginRefusal::Locked { until }) => Self::Locked(format!(
                "the account is locked after too many failed logins until {}",
                until.with_timezone(&wangge_core::calendar::china_time()).format("%Y-%m-%d %H:%M:%S (UTC+8)")
            )),
            A::Weak(w) => Self::Unprocessable(w.to_string()),
            A::Store(s) => s.into(),
            A::BadGrant { .. } | A::Hash(_) | A::Random(_) => Self::Internal(e.to_string()),
        }
    }
}

impl ApiError {
    /// HTTP status, stable problem type and title.
    fn describe(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "urn:wangge:problem:bad-request", "Bad request"),
            Self::NotFound(_) | Self::Hidden(_) => (StatusCode::NOT_FOUND, "urn:wangge:problem:not-found", "Not found"),
            Self::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, "urn:wangge:problem:unauthenticated", "Not signed in")
            }
            Self::Forbidden { .. } => (StatusCode::FORBIDDEN, "urn:wangge:problem:forbidden", "Forbidden"),
            Self::DeviceNotBound(_) => {
                (StatusCode::FORBIDDEN, "urn:wangge:problem:device-not-bound", "Not this account's device")
            }
            Self::Locked(_) => (StatusCode::LOCKED, "urn:wangge:problem:locked", "Account locked"),
            Self::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "urn:wangge:problem:too-many-requests", "Too many requests")
            }
            Self::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "urn:wangge:problem:method-not-allowed", "Method not allowed")
            }
            Self::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "urn:wangge:problem:payload-too-large", "Payload too large")
            }
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "urn:wangge:problem:unsupported-media-type",
                "Unsupported media type",
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "urn:wangge:problem:conflict", "Conflict"),
            Self::Unprocessable(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "urn:wangge:problem:unprocessable", "Unprocessable content")
            }
            Self::KeyReused(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "urn:wangge:problem:idempotency-key-reused",
                "Idempotency key reused for a different request",
            ),
            Self::OutsideCounty { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "urn:wangge:problem:outside-county", "Outside the county")
            }
            Self::Calendar(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "urn:wangge:problem:calendar-not-loaded",
                "Working-day calendar not loaded",
            ),
            Self::Store(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "urn:wangge:problem:unavailable", "Service unavailable")
            }
            Self::Busy { .. } | Self::Outage { outage: Outage::Overloaded, .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "urn:wangge:problem:busy", "Busy")
            }
            Self::Outage { outage: Outage::Unreachable, .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "urn:wangge:problem:unavailable", "Service unavailable")
            }
            Self::Outage { outage: Outage::Full, .. } => {
                (StatusCode::INSUFFICIENT_STORAGE, "urn:wangge:problem:insufficient-storage", "Storage full")
            }
            Self::DraftInvalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "urn:wangge:problem:draft-invalid", "The draft has errors")
            }
            Self::InvalidFields { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "urn:wangge:problem:invalid-fields", "Invalid fields")
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "urn:wangge:problem:internal", "Internal error"),
        }
    }
}

impl ApiError {
    /// Machine-readable members beside `detail`, where a client can use them.
    fn extensions(&self) -> Option<serde_json::Value> {
        match self {
            Self::OutsideCounty { nearest: Some((code, distance_m)), .. } => Some(serde_json::json!({
                "nearest": { "code": code, "distance_m": (distance_m * 10.0).round() / 10.0 }
            })),
            Self::OutsideCounty { nearest: None, .. } => Some(serde_json::json!({ "nearest": null })),
            Self::InvalidFields { problems, .. } => Some(serde_json::json!({ "problems": problems })),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.describe();
        if let Self::Outage { cause, .. } = &self {
            tracing::warn!(status = status.as_u16(), cause = %cause, "request refused: the store is not available");
        } else if status.is_server_error() {
            tracing::error!(error = %error_chain(&self), "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), detail = %self, "request refused");
        }
        // A missing calendar year is an operator's task, not an internal: say which year.
        let public = !status.is_server_error() || matches!(self, Self::Calendar(_) | Self::Busy { .. } | Self::Outage { .. });
        let detail = if public { self.to_string() } else { title.to_owned() };
        let extensions = self.extensions();
        let note = self.audit_note();
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs, .. } | Self::Busy { retry_after_secs, .. } => {
                Some(*retry_after_secs)
            }
            Self::Outage { outage, .. } => Some(u64::from(outage.retry_after_secs())),
            _ => None,
        };
        let body = match &self {
            // Its members in the order this body has always had (a sorted map's).
            Self::DraftInvalid(problems) => serde_json::to_vec(&DraftInvalid {
                detail,
                problems: problems.clone(),
                status: status.as_u16(),
                title: title.to_owned(),
                kind: kind.to_owned(),
            }),
            _ => serde_json::to_vec(&Problem { kind, title, status: status.as_u16(), detail, extensions }),
        }
        .unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if matches!(self, Self::Unauthenticated(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Some(note) = note {
            response.extensions_mut().insert(note);
        }
        response
    }
}

impl ApiError {
    /// The audit row a refusal writes: every denial is audited.
    fn audit_note(&self) -> Option<AuditNote> {
        match self {
            Self::Hidden(_) => Some(AuditNote::denied("read", "outside the caller's jurisdiction")),
            // A missing object is audited like a hidden one, so that both take the same work
            // and time (folded alike) and a 404 tells nothing about what exists elsewhere.
            Self::NotFound(_) => Some(AuditNote::denied("read", "not found")),
            Self::Unauthenticated(reason) => Some(AuditNote::denied("authenticate", reason)),
            Self::Forbidden { action, reason } => Some(AuditNote::denied(action, reason)),
            Self::DeviceNotBound(reason) => Some(AuditNote::denied("login", reason)),
            _ => None,
        }
    }
}

impl From<JsonRejection> for ApiError {
    /// A body that is not JSON, too large, or not the expected shape.
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(detail),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(detail),
            _ => Self::BadRequest(detail),
        }
    }
}

impl From<QueryRejection> for ApiError {
    /// A query string that does not read as the expected parameters.
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    /// Path parameters that do not read as expected (e.g. invalid UTF-8).
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<Busy> for ApiError {
    /// No turn for heavy work: 503 with `Retry-After`.
    fn from(busy: Busy) -> Self {
        Self::Busy { detail: busy.to_string(), retry_after_secs: 5 }
    }
}

impl From<HeavyError> for ApiError {
    fn from(e: HeavyError) -> Self {
        match e {
            HeavyError::Busy(busy) => busy.into(),
            HeavyError::TooComplex(reason) => Self::Unprocessable(reason),
            task @ HeavyError::Task { .. } => Self::Internal(task.to_string()),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Draft(_) | PublishError::Crs(_) | PublishError::Note => Self::Unprocessable(e.to_string()),
            PublishError::Hidden(_) => Self::Hidden(e.to_string()),
            PublishError::Heavy(h) => h.into(),
            PublishError::Invalid(problems) => Self::DraftInvalid(problems),
            PublishError::Store(s) => s.into(),
            PublishError::Swap(_) => Self::Internal(e.to_string()),
            PublishError::Registry(r) => r.into(),
        }
    }
}

impl From<Denial> for ApiError {
    fn from(e: Denial) -> Self {
        match e {
            Denial::Forbidden { action, reason } => Self::Forbidden { action, reason },
            Denial::Hidden(message) => Self::Hidden(message),
        }
    }
}

impl From<crate::events::holders::HolderRefused> for ApiError {
    fn from(e: crate::events::holders::HolderRefused) -> Self {
        use crate::events::holders::HolderRefused;
        match e {
            HolderRefused::TopTier => Self::Conflict(e.to_string()),
            HolderRefused::Invalid(reason) => Self::Unprocessable(reason),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Invalid(reason) => Self::Unprocessable(reason),
            Refused::OutsideCounty { lon, lat, nearest } => Self::OutsideCounty { lon, lat, nearest },
            Refused::Calendar(c) => Self::Calendar(c),
            Refused::Internal(bug) => Self::Internal(format!("assignment at intake refused: {bug}")),
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Store(s) => s.into(),
            IntakeError::Outage { outage, cause } => ApiError::Outage { outage, cause },
            IntakeError::Busy | IntakeError::TimedOut => ApiError::Busy { detail: e.to_string(), retry_after_secs: 2 },
            IntakeError::WriterGone => ApiError::Busy {
                detail: "the service is stopping; the report was not taken, send it again".into(),
                retry_after_secs: 5,
            },
            IntakeError::Unaudited { .. } => ApiError::Busy {
                detail: "the audit trail cannot be written for now; nothing was done, try again".into(),
                retry_after_secs: 5,
            },
        }
    }
}

/// Answers unknown paths.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no resource at {}", uri.path()))
}

/// Answers known paths asked with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}
