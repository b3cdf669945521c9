//! Routes of the access domain: sign-in and sessions, the administrators' accounts, grants,
//! API keys and security policy, and the audit log.

pub(super) mod admin;
pub(super) mod audit;
pub(super) mod auth;

use axum::Router;

use crate::state::AppState;

/// Every route of this domain.
pub fn router() -> Router<AppState> {
    Router::new().merge(auth::router()).merge(admin::router()).merge(audit::router())
}
