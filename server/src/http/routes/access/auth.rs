//! Logging in and out: `POST /api/v1/auth/login` (browser session), `POST /api/v1/auth/token`
//! (the phone app's bearer token), `GET /api/v1/auth/me`, `POST /api/v1/auth/logout`,
//! `PUT /api/v1/auth/password`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use wangge_core::access::{AuditOutcome, Jurisdiction};
use wangge_core::wire::Me;

use crate::http::routes::no_store;
use crate::access::{AuditNote, DeviceCheck, Issued, TokenKind};
use crate::access::{Caller, Via};
use crate::http::audit_layer::{Source, SESSION_COOKIE};
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/auth/login", post(login))
        .at("/api/v1/auth/token", post(device_token))
        .at("/api/v1/auth/me", get(me))
        .at("/api/v1/auth/logout", post(logout))
        .at("/api/v1/auth/password", put(change_password))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
    /// What the token is for (the phone app: a device name).
    #[serde(default)]
    label: String,
}

fn me_of(state: &AppState, caller: &Caller) -> Me {
    let grant = caller.grant.as_ref();
    let catalog = state.catalog.load();
    let jurisdiction_name = grant.map(|g| match &g.jurisdiction {
        Jurisdiction::County => "全县".to_owned(),
        j => {
            let code = j.as_str();
            let township = catalog.townships().iter().find(|t| t.code == code).map(|t| t.name.clone());
            let village = || catalog.villages().iter().find(|v| v.code == code).map(|v| v.name.clone());
            township.or_else(village).unwrap_or_default()
        }
    });
    Me {
        username: caller.username.clone(),
        display_name: caller.display_name.clone(),
        role: grant.map(|g| g.role),
        role_zh: grant.map(|g| g.role.zh().to_owned()),
        jurisdiction: grant.map(|g| g.jurisdiction.as_str().to_owned()),
        jurisdiction_name,
        acting_as: Some(caller.acting_as.clone()).filter(|a| !a.is_empty()),
        permissions: caller.permissions(),
        csrf_token: match &caller.via {
            Via::Cookie { csrf, .. } => Some(csrf.clone()),
            Via::Bearer { .. } => None,
        },
        idle_timeout_s: u64::from(state.auth.policy().idle_timeout_minutes) * 60,
        password_expired: caller.password_expired,
        grids: crate::http::routes::events::reports::gridworker_person(caller)
            .and_then(|id| state.rules.roster().get(id).map(|p| p.grids.clone()))
            .unwrap_or_default(),
    }
}

/// A refused login answers the error with a `login` audit row naming who was tried.
fn refused_login(error: ApiError, username: &str) -> Response {
    let outcome = match error {
        ApiError::TooManyRequests { .. } | ApiError::Locked(_) => AuditOutcome::Denied,
        _ => AuditOutcome::Failure,
    };
    let detail = error.to_string();
    AuditNote::success("login", format!("account:{username}"))
        .outcome(outcome)
        .with_detail(detail)
        .for_user(username)
        .on(error.into_response())
}

/// The cookie in which a browser keeps its device key (人机格): sent only to the sign-in routes.
pub const DEVICE_COOKIE: &str = "wangge_device";
/// The header in which another client presents its device key.
pub const DEVICE_HEADER: &str = "x-wangge-device";

/// The device key presented with a sign-in: the header, else the cookie.
fn device_key(headers: &HeaderMap) -> Option<String> {
    let header = headers.get(DEVICE_HEADER).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned());
    header.or_else(|| crate::http::audit_layer::cookie(headers, DEVICE_COOKIE)).filter(|v| !v.is_empty() && v.len() <= 128)
}

/// What the device says it is: the login's label, else its user agent.
fn device_label(headers: &HeaderMap, login: &Login) -> String {
    if !login.label.trim().is_empty() {
        return login.label.trim().to_owned();
    }
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A session or token, and the device key when this sign-in bound the device.
struct Opened {
    issued: Issued,
    device_key: Option<String>,
}

async fn open(
    state: &AppState,
    source: Source,
    headers: &HeaderMap,
    login: &Login,
    kind: TokenKind,
) -> Result<Opened, Response> {
    if login.username.is_empty() || login.username.chars().count() > 64 || login.password.len() > 1024 {
        return Err(refused_login(ApiError::Unauthenticated("wrong user name or password".into()), &login.username));
    }
    let now = state.clock.now();
    let account = state
        .auth
        .authenticate(&login.username, &login.password, source.0, now)
        .await
        .map_err(|e| refused_login(e.into(), &login.username))?;
    // 人机格: an account that works from a bound device signs in from it only.
    let device = state
        .auth
        .check_device(&account, device_key(headers).as_deref(), &device_label(headers, login), now)
        .await
        .map_err(|e| refused_login(e.into(), &login.username))?;
    let device_key = match device {
        DeviceCheck::Bound { key } => Some(key),
        DeviceCheck::Known | DeviceCheck::NotNeeded => None,
    };
    // Opening a session is a change: its `begun` row first, or no session.
    let object = format!("account:{}", account.username);
    if let Err(unaudited) = crate::http::audit_layer::begun_row(state, &account.username, "login", &object, source.0).await {
        return Err(refused_login(unaudited, &login.username));
    }
    let issued =
        state.auth.issue(&account, kind, &login.label, now).await.map_err(|e| refused_login(e.into(), &login.username))?;
    Ok(Opened { issued, device_key })
}

/// The cookie that keeps a newly bound device's key (ten years; sent to the sign-in routes only).
fn device_cookie(state: &AppState, key: &str) -> Option<HeaderValue> {
    let mut cookie = format!("{DEVICE_COOKIE}={key}; Path=/api/v1/auth; Max-Age=315360000; HttpOnly; SameSite=Strict");
    if state.secure_cookies {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).ok()
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "post_api_v1_auth_login",
    tag = "access",
    request_body = Login,
    security(()),
    responses((status = 200, description = "the answer", body = wangge_core::wire::Me), crate::http::openapi::Problems)
)]
async fn login(
    State(state): State<AppState>,
    Extension(source): Extension<Source>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Login>,
) -> Response {
    let Opened { issued, device_key } = match open(&state, source, &headers, &body, TokenKind::Browser).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    let mut cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", issued.token);
    if state.secure_cookies {
        cookie.push_str("; Secure");
    }
    let mut response = no_store(Json(me_of(&state, &issued.caller)).into_response());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    let mut note = AuditNote::success("login", format!("account:{}", body.username)).for_user(&body.username);
    if let Some(value) = device_key.as_deref().and_then(|key| device_cookie(&state, key)) {
        response.headers_mut().append(header::SET_COOKIE, value);
        note = note.with_detail(format!("device bound: {}", device_label(&headers, &body)));
    }
    note.on(response)
}

/// The phone app's sign-in answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeviceToken {
    /// The bearer token, shown once.
    token: String,
    /// Who signed in.
    me: Me,
    /// A newly bound device's key, shown once: the app sends it as `X-Wangge-Device` at its
    /// next sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    device_key: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    operation_id = "post_api_v1_auth_token",
    tag = "access",
    request_body = Login,
    security(()),
    responses((status = 201, description = "signed in: a device token", body = DeviceToken), crate::http::openapi::Problems)
)]
/// The phone app's login: a bearer token (shown once) instead of a cookie.
async fn device_token(
    State(state): State<AppState>,
    Extension(source): Extension<Source>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Login>,
) -> Response {
    let Opened { issued, device_key } = match open(&state, source, &headers, &body, TokenKind::Device).await {
        Ok(opened) => opened,
        Err(response) => return response,
    };
    // A newly bound device's key is answered once: the app keeps it and sends it as
    // X-Wangge-Device at its next sign-in.
    let answer = DeviceToken { token: issued.token, me: me_of(&state, &issued.caller), device_key: device_key.clone() };
    let detail = match &device_key {
        Some(_) => format!("device token; device bound: {}", device_label(&headers, &body)),
        None => "device token".to_owned(),
    };
    let mut response = no_store((StatusCode::CREATED, Json(answer)).into_response());
    if let Some(value) = device_key.as_deref().and_then(|key| device_cookie(&state, key)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    AuditNote::success("login", format!("account:{}", body.username)).with_detail(detail).for_user(&body.username).on(response)
}

#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    operation_id = "get_api_v1_auth_me",
    tag = "access",
    responses((status = 200, description = "the answer", body = wangge_core::wire::Me), crate::http::openapi::Problems)
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Response {
    no_store(Json(me_of(&state, &caller)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "post_api_v1_auth_logout",
    tag = "access",
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    state.auth.logout(&caller, state.clock.now()).await?;
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(AuditNote::success("logout", format!("account:{}", caller.username)).on(response))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current: String,
    new: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/auth/password",
    operation_id = "put_api_v1_auth_password",
    tag = "access",
    request_body = PasswordChange,
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    let object = format!("account:{}", caller.username);
    match state.auth.change_password(&caller, &body.current, &body.new, state.clock.now()).await {
        Ok(()) => Ok(AuditNote::success("change_password", object).on(StatusCode::NO_CONTENT.into_response())),
        Err(crate::access::AuthError::BadCredentials) => Err(ApiError::Forbidden {
            action: "change_password".into(),
            reason: "the current password is wrong".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, device_token, me, logout, change_password))]
pub struct Doc;
