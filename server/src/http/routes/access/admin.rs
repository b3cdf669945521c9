//! The administrators' API (三员分立): the system administrator creates, disables and
//! unlocks accounts and issues API keys; the security administrator grants roles and sets
//! the security policy. Neither sees business data or the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use wangge_core::access::{Permission, Role};

use crate::http::routes::no_store;
use crate::access::{ApiKeyRequest, AuditNote, SecurityPolicy};
use crate::access::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::{from_micros, micros, AccountRecord, SessionRecord};
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/admin/users", get(list).post(create))
        .at("/api/v1/admin/users/{username}/disabled", put(disable))
        .at("/api/v1/admin/users/{username}/unlock", post(unlock))
        .at("/api/v1/admin/service-accounts", post(create_service))
        .at("/api/v1/admin/users/{username}/api-keys", post(api_key))
        .at("/api/v1/admin/api-keys", get(api_keys))
        .at("/api/v1/admin/api-keys/{id}", delete(revoke_api_key))
        .at("/api/v1/admin/users/{username}/grant", put(grant))
        .at("/api/v1/admin/security-policy", get(policy).put(set_policy))
        .at("/api/v1/admin/users/{username}/device", get(device).delete(unbind_device))
}

/// The device an account is bound to (人机格), as dispatchers and administrators see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeviceView {
    username: String,
    /// Whether the account works from a bound device at all (gridworkers).
    required: bool,
    /// The bound device, if one is.
    bound: Option<BoundView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BoundView {
    label: String,
    bound_at: String,
}

/// The account `username` if `caller` may see or release its device: the system
/// administrator anywhere, a dispatcher over the account's jurisdiction; 404 otherwise (never
/// telling which accounts exist outside the caller's area).
async fn device_account(state: &AppState, caller: &Caller, username: &str) -> Result<AccountRecord, ApiError> {
    let scope = caller.scope(Permission::UnbindDevice)?;
    let account = state.store.account(username).await?;
    let system_admin = caller.grant.as_ref().is_some_and(|g| g.role == Role::SystemAdmin);
    match account {
        Some(a) if system_admin || a.jurisdiction.as_deref().is_some_and(|j| scope.covers(j)) => Ok(a),
        _ => Err(ApiError::NotFound(format!("no account {username:?} in the caller's jurisdiction"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{username}/device",
    operation_id = "get_api_v1_admin_users_username_device",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    responses((status = 200, description = "the account's device binding", body = DeviceView), crate::http::openapi::Problems)
)]
async fn device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> Result<Response, ApiError> {
    let account = device_account(&state, &caller, &username).await?;
    let bound = state.store.account_device(&account.username).await?;
    let answer = DeviceView {
        required: crate::access::needs_device(&account),
        username: account.username,
        bound: bound.map(|d| BoundView { label: d.label, bound_at: from_micros(d.bound_us).to_rfc3339() }),
    };
    Ok(no_store(Json(answer).into_response()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{username}/device",
    operation_id = "delete_api_v1_admin_users_username_device",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
/// Releases the account's bound device and ends its sessions: the next device to sign in
/// binds. 204, or 409 when no device is bound.
async fn unbind_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> Result<Response, ApiError> {
    let account = device_account(&state, &caller, &username).await?;
    let object = format!("account:{}", account.username);
    match state.auth.unbind_device(&account.username, state.clock.now()).await? {
        Some(gone) => Ok(AuditNote::success(Permission::UnbindDevice.as_str(), object)
            .with_detail(format!("unbound: {}", gone.label))
            .on(StatusCode::NO_CONTENT.into_response())),
        None => Err(ApiError::Conflict(format!("account {} has no bound device", account.username))),
    }
}

/// An account as the administrators see it (no hash, no secrets).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AccountView {
    username: String,
    display_name: String,
    role: Option<String>,
    jurisdiction: Option<String>,
    acting_as: String,
    disabled: bool,
    failures: i64,
    locked_until: Option<String>,
    password_changed_at: String,
    created_at: String,
    service: bool,
}

fn view(a: AccountRecord) -> AccountView {
    AccountView {
        username: a.username,
        display_name: a.display_name,
        role: a.role,
        jurisdiction: a.jurisdiction,
        acting_as: a.acting_as,
        disabled: a.disabled,
        failures: a.failures,
        locked_until: a.locked_until_us.map(|us| from_micros(us).to_rfc3339()),
        password_changed_at: from_micros(a.password_changed_us).to_rfc3339(),
        created_at: from_micros(a.created_us).to_rfc3339(),
        service: a.service,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    operation_id = "get_api_v1_admin_users",
    tag = "access",
    responses((status = 200, description = "every account", body = Vec<AccountView>), crate::http::openapi::Problems)
)]
/// Either administrator may list accounts (one to manage them, the other to grant roles).
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if caller.require(Permission::ManageUsers).is_err() {
        caller.require(Permission::ManageGrants)?;
    }
    let accounts: Vec<AccountView> = state.store.accounts().await?.into_iter().map(view).collect();
    Ok(AuditNote::success("list_accounts", "accounts").on(no_store(Json(accounts).into_response())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    username: String,
    display_name: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    operation_id = "post_api_v1_admin_users",
    tag = "access",
    request_body = NewAccount,
    responses((status = 201, description = "created"), crate::http::openapi::Problems)
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    crate::access::check_names(&body.username, &body.display_name)?;
    if !state.auth.create_account(&body.username, &body.display_name, &body.password, state.clock.now()).await? {
        return Err(ApiError::Conflict(format!("an account named {:?} exists", body.username)));
    }
    let object = format!("account:{}", body.username);
    Ok(AuditNote::success("create_account", object).on(StatusCode::CREATED.into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Disabled {
    disabled: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{username}/disabled",
    operation_id = "put_api_v1_admin_users_username_disabled",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    request_body = Disabled,
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Disabled>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    if name == caller.username && body.disabled {
        return Err(ApiError::Conflict("an administrator cannot disable its own account".into()));
    }
    if !state.store.set_disabled(&name, body.disabled, crate::store::micros(state.clock.now())).await? {
        return Err(ApiError::NotFound(format!("no account {name:?}")));
    }
    let action = if body.disabled { "disable_account" } else { "enable_account" };
    Ok(AuditNote::success(action, format!("account:{name}")).on(StatusCode::NO_CONTENT.into_response()))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{username}/unlock",
    operation_id = "post_api_v1_admin_users_username_unlock",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn unlock(State(state): State<AppState>, caller: Caller, ApiPath(name): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    if !state.auth.unlock(&name).await? {
        return Err(ApiError::NotFound(format!("no account {name:?}")));
    }
    Ok(AuditNote::success("unlock_account", format!("account:{name}")).on(StatusCode::NO_CONTENT.into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewService {
    username: String,
    display_name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/service-accounts",
    operation_id = "post_api_v1_admin_service_accounts",
    tag = "access",
    request_body = NewService,
    responses((status = 201, description = "created"), crate::http::openapi::Problems)
)]
/// A service account for an integration (the 12345 hotline, a GIS client): it has no
/// password and never logs in; it holds API keys, and the security administrator grants it a
/// role like any account.
async fn create_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewService>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    crate::access::check_names(&body.username, &body.display_name)?;
    let record = AccountRecord::service(&body.username, &body.display_name, state.clock.now());
    if !state.store.insert_account(&record).await? {
        return Err(ApiError::Conflict(format!("an account named {:?} exists", body.username)));
    }
    let object = format!("account:{}", body.username);
    Ok(AuditNote::success("create_service_account", object).on(StatusCode::CREATED.into_response()))
}

/// An API key as listed (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct KeyView {
    id: String,
    username: String,
    label: String,
    scope: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: String,
    revoked_at: Option<String>,
    live: bool,
}

/// A new API key: its secret (shown once) and the key as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct IssuedKey {
    api_key: String,
    key: KeyView,
}

fn key_view(k: SessionRecord, now_us: i64) -> KeyView {
    let live = k.ended_us.is_none() && k.expires_us.is_some_and(|e| e > now_us);
    KeyView {
        id: k.key_id.unwrap_or_default(),
        username: k.username,
        label: k.label,
        scope: k.scope,
        created_at: from_micros(k.created_us).to_rfc3339(),
        expires_at: k.expires_us.map(|us| from_micros(us).to_rfc3339()),
        last_used_at: from_micros(k.last_seen_us).to_rfc3339(),
        revoked_at: k.ended_us.map(|us| from_micros(us).to_rfc3339()),
        live,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{username}/api-keys",
    operation_id = "post_api_v1_admin_users_username_api_keys",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    request_body = ApiKeyRequest,
    responses((status = 201, description = "the key, its secret shown once", body = IssuedKey), crate::http::openapi::Problems)
)]
/// An API key for a service account: scoped, expiring, shown once. A person's account never
/// gets one (nobody obtains a credential for somebody else).
async fn api_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ApiKeyRequest>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    let account = state.store.account(&name).await?.ok_or_else(|| ApiError::NotFound(format!("no account {name:?}")))?;
    let now = state.clock.now();
    let (issued, record) = state.auth.issue_api_key(&account, &body, now).await.map_err(|e| match e {
        crate::access::AuthError::NotAllowed(reason) => ApiError::Unprocessable(reason),
        other => other.into(),
    })?;
    let view = key_view(record, micros(now));
    let detail = format!("key {} scope {} label {:?}", view.id, view.scope, view.label);
    let answer = IssuedKey { api_key: issued.token, key: view };
    let response = no_store((StatusCode::CREATED, Json(answer)).into_response());
    Ok(AuditNote::success("issue_api_key", format!("account:{name}")).with_detail(detail).on(response))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/api-keys",
    operation_id = "get_api_v1_admin_api_keys",
    tag = "access",
    responses((status = 200, description = "every API key, newest first", body = Vec<KeyView>), crate::http::openapi::Problems)
)]
/// Every API key, newest first (at most 1,000), live or not.
async fn api_keys(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    let now = micros(state.clock.now());
    let keys: Vec<KeyView> = state.store.api_keys(1000).await?.into_iter().map(|k| key_view(k, now)).collect();
    Ok(no_store(Json(keys).into_response()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/api-keys/{id}",
    operation_id = "delete_api_v1_admin_api_keys_id",
    tag = "access",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
/// Revokes an API key by its id.
async fn revoke_api_key(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::ManageUsers)?;
    let Some(owner) = state.store.end_api_key(&id, micros(state.clock.now())).await? else {
        return Err(ApiError::NotFound(format!("no live API key {id:?}")));
    };
    Ok(AuditNote::success("revoke_api_key", format!("account:{owner}"))
        .with_detail(format!("key {id}"))
        .on(StatusCode::NO_CONTENT.into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    /// `null` takes the grant away.
    role: Option<Role>,
    #[serde(default)]
    jurisdiction: Option<String>,
    #[serde(default)]
    acting_as: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{username}/grant",
    operation_id = "put_api_v1_admin_users_username_grant",
    tag = "access",
    params(("username" = String, Path, description = "an account's log-in name", example = "county")),
    request_body = GrantBody,
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageGrants)?;
    if name == caller.username {
        return Err(ApiError::Forbidden {
            action: "manage_grants".into(),
            reason: "nobody may change their own grant".into(),
        });
    }
    let checked = match body.role {
        None => None,
        Some(role) => Some(crate::access::grant_of(role, body.jurisdiction.as_deref())?),
    };
    let account = state.store.account(&name).await?.ok_or_else(|| ApiError::NotFound(format!("no account {name:?}")))?;
    if let Some(g) = &checked {
        state.rules.acting_as_ok(g, &body.acting_as).map_err(ApiError::Unprocessable)?;
        crate::access::service_may_hold(&account, g)?;
    }
    let role = checked.as_ref().map(|g| g.role.as_str());
    let j = checked.as_ref().map(|g| g.jurisdiction.as_str().to_owned());
    if !state.store.set_grant(&name, role, j.as_deref(), &body.acting_as).await? {
        return Err(ApiError::NotFound(format!("no account {name:?}")));
    }
    let detail = match &checked {
        Some(g) => crate::access::grant_detail(g, &body.acting_as),
        None => "grant removed".into(),
    };
    Ok(AuditNote::success("change_grant", format!("account:{name}")).with_detail(detail).on(StatusCode::NO_CONTENT.into_response()))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/security-policy",
    operation_id = "get_api_v1_admin_security_policy",
    tag = "access",
    responses((status = 200, description = "the security policy", body = SecurityPolicy), crate::http::openapi::Problems)
)]
async fn policy(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Permission::EditSecurityPolicy)?;
    Ok(no_store(Json(&*state.auth.policy()).into_response()))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/security-policy",
    operation_id = "put_api_v1_admin_security_policy",
    tag = "access",
    request_body = SecurityPolicy,
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
async fn set_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(policy): ApiJson<SecurityPolicy>,
) -> Result<Response, ApiError> {
    caller.require(Permission::EditSecurityPolicy)?;
    policy.validate().map_err(ApiError::Unprocessable)?;
    let detail = serde_json::to_string(&policy).unwrap_or_default();
    state.auth.set_policy(policy).await?;
    Ok(AuditNote::success("edit_security_policy", "security_policy").with_detail(detail).on(StatusCode::NO_CONTENT.into_response()))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, disable, unlock, create_service, api_key, api_keys, revoke_api_key, grant, policy, set_policy, device, unbind_device))]
pub struct Doc;
