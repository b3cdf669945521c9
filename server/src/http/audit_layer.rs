//! The authentication and audit layer around every API route: finds the caller from the
//! session cookie or bearer token, enforces CSRF on cookie-authenticated changes and a
//! password change when one is due, then writes the request's audit row (if it needs one)
//! before the answer leaves.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wangge_core::access::{AuditOutcome, AuditRow};

use crate::access::{Caller, NoCaller, Via, csrf_matches, AuditNote, AuditorError, AuthError, SealedWithChange};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::Outage;

/// The browser session's cookie.
pub const SESSION_COOKIE: &str = "wangge_session";

/// The header carrying the CSRF token on cookie-authenticated changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client's address (from the connection; `0.0.0.0` when unknown, as in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source(pub IpAddr);

/// Paths a caller whose password has expired may still use.
const WHILE_EXPIRED: [&str; 3] = ["/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/logout"];

/// The middleware (installed as a route layer, so that the matched route is known). A change
/// (unsafe method) by a signed-in caller first commits a `begun` row (or does not happen), then
/// runs to its end with its outcome row in a task of its own, so that a client disconnecting
/// mid-request cannot leave a committed change without its row.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return handle(state, req, next).await;
    }
    match tokio::spawn(tracing::Instrument::in_current_span(handle(state, req, next))).await {
        Ok(response) => response,
        Err(e) => ApiError::Internal(format!("the request's task failed: {e}")).into_response(),
    }
}

/// The client's address: the connection's peer, or, when the peer is one of the configured
/// trusted proxies, the nearest address in `X-Forwarded-For` that is not a trusted proxy.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One request, counted in the metrics by its method, route pattern and status.
async fn handle(state: AppState, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    crate::http::request_id::record_route(&route);
    let response = handle_counted(state, req, next, &method, &route).await;
    crate::metrics::METRICS.request(method.as_str(), &route, response.status().as_u16(), started.elapsed());
    response
}

async fn handle_counted(state: AppState, mut req: Request, next: Next, method: &Method, route: &str) -> Response {
    let now = state.clock.now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let source = client_address(peer, req.headers(), &state.trusted_proxies);
    req.extensions_mut().insert(Source(source));
    let path = req.uri().path().to_owned();
    let mut caller = None;
    if let Some((token, _from_cookie)) = credential(req.headers()) {
        match state.auth.resolve(&token, now).await {
            Ok(c) => caller = Some(c),
            Err(AuthError::SessionEnded(reason)) => {
                req.extensions_mut().insert(NoCaller(reason.to_owned()));
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let refusal = caller.as_ref().and_then(|c| refuse(c, method, route, &path, req.headers()));
    let refusal = match (refusal, &caller) {
        (Some(error), _) => Some(error),
        // A change by a signed-in caller: its `begun` row first, committed, or no change —
        // unless its row is sealed in the change's own transaction.
        (None, Some(c)) if !is_safe(method) && !seals_its_own_row(method, route) => {
            begun(&state, c, source, method, route, &path).await.err()
        }
        (None, _) => None,
    };
    let response = match refusal {
        Some(error) => error.into_response(),
        None => {
            if let Some(c) = &caller {
                req.extensions_mut().insert(c.clone());
            }
            next.run(req).await
        }
    };
    let request = Audited { caller: caller.as_ref(), source, method, route, path: &path };
    audit(&state, request, response).await
}

/// The token offered: `Authorization: Bearer …` first, else the session cookie.
fn credential(headers: &HeaderMap) -> Option<(String, bool)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if let Some(token) = bearer {
        return Some((token, false));
    }
    session_cookie(headers).map(|t| (t, true))
}

/// The session cookie's value, if sent.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the route's handler seals the audit row of its change in the change's own
/// transaction (so that neither commits without the other): it needs no `begun` row, and
/// its answer says when the row is already sealed ([`SealedWithChange`]); any other answer
/// (a refusal, a failure, a retry answered with what was stored) gets its row here.
fn seals_its_own_row(method: &Method, route: &str) -> bool {
    *method == Method::POST && route == crate::http::routes::REPORTS
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// API key scope, CSRF and expired-password refusals for a known caller.
fn refuse(caller: &Caller, method: &Method, route: &str, path: &str, headers: &HeaderMap) -> Option<ApiError> {
    if let Some(scope) = caller.key_scope {
        if !scope.covers(method, route) {
            return Some(ApiError::Forbidden {
                action: "api_key_scope".into(),
                reason: format!("this API key's scope ({}) does not cover {method} {route}", scope.as_str()),
            });
        }
    }
    if let Via::Cookie { csrf, .. } = &caller.via {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !is_safe(method) && !csrf_matches(sent, csrf) {
            return Some(ApiError::Forbidden {
                action: "csrf_check".into(),
                reason: format!("a change made with the session cookie needs the session's {CSRF_HEADER} header"),
            });
        }
    }
    if caller.password_expired && !WHILE_EXPIRED.contains(&path) {
        return Some(ApiError::Forbidden {
            action: "password_expired".into(),
            reason: "the password has expired: change it first (PUT /api/v1/auth/password)".into(),
        });
    }
    None
}

/// Writes the `begun` row of a change before it runs; the refusal to answer if it could not be
/// written (the change must then not happen).
async fn begun(state: &AppState, caller: &Caller, source: IpAddr, method: &Method, route: &str, path: &str) -> Result<(), ApiError> {
    begun_row(state, &caller.username, &format!("{method} {route}"), path, source).await
}

/// Writes a `begun` row (`user` about to do `action` on `object`), retried through a passing
/// lock or conflict; when it cannot be written the change must not happen, and the answer is
/// 503 (507 for a full disk) with `Retry-After`.
pub async fn begun_row(state: &AppState, user: &str, action: &str, object: &str, source: IpAddr) -> Result<(), ApiError> {
    let row = AuditRow::new(state.clock.now(), user, action, object, AuditOutcome::Begun).source(&source.to_string());
    match write_with_retries(state, row, Retry::Attempts(CHANGE_ROW_ATTEMPTS)).await {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %crate::logging::error_chain(&e), "begun row not written; the change is refused");
            Err(unaudited(&e))
        }
    }
}

/// The answer to a request whose audit row cannot be written.
fn unaudited(e: &AuditorError) -> ApiError {
    match e.outage() {
        Some(outage @ Outage::Full) => ApiError::Outage { outage, cause: crate::logging::error_chain(e) },
        _ => ApiError::Busy {
            detail: "the audit trail cannot be written for now; nothing was done, try again".into(),
            retry_after_secs: 5,
        },
    }
}

/// How many times the `begun` row of a change is tried (waiting 200 ms, then twice as long
/// each time) through a passing lock or conflict.
const CHANGE_ROW_ATTEMPTS: u32 = 5;

/// How long the outcome row of a change already made is retried through an outage (a database
/// restart or failover takes seconds to tens of seconds): its change is committed, so its row
/// must follow.
const OUTCOME_ROW_PATIENCE: std::time::Duration = std::time::Duration::from_secs(45);

/// How `write_with_retries` tries again.
#[derive(Debug, Clone, Copy)]
enum Retry {
    /// So many attempts, not through an unreachable or full database.
    Attempts(u32),
    /// Through any store failure for so long.
    For(std::time::Duration),
}

/// Writes `row`, trying again after a store failure as `retry` says.
async fn write_with_retries(state: &AppState, row: AuditRow, retry: Retry) -> Result<u64, AuditorError> {
    let started = std::time::Instant::now();
    let mut wait = std::time::Duration::from_millis(200);
    let mut tried = 1;
    loop {
        match state.auditor.write(row.clone()).await {
            Err(AuditorError::Store(e))
                if match retry {
                    Retry::Attempts(n) => tried < n && !matches!(e.outage(), Some(Outage::Unreachable | Outage::Full)),
                    Retry::For(patience) => started.elapsed() + wait < patience,
                } =>
            {
                tracing::warn!(error = %crate::logging::error_chain(&e), tried, "audit row not written yet; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(2));
                tried += 1;
            }
            done => return done,
        }
    }
}

/// What the audit row needs to know about the request.
struct Audited<'a> {
    caller: Option<&'a Caller>,
    source: IpAddr,
    method: &'a Method,
    route: &'a str,
    path: &'a str,
}

/// Writes the request's audit row: the one its handler or error asked for, else one for any
/// change a signed-in caller attempted. Reads need a note (personal data, exports, the audit
/// log itself). A read whose row cannot be written is not answered.
async fn audit(state: &AppState, request: Audited<'_>, mut response: Response) -> Response {
    if response.extensions_mut().remove::<SealedWithChange>().is_some() {
        return response;
    }
    let note = response.extensions_mut().remove::<AuditNote>();
    let status = response.status();
    let note = match note {
        Some(note) => note,
        None if !is_safe(request.method) && request.caller.is_some() => {
            let outcome = if status.is_success() { AuditOutcome::Success } else { AuditOutcome::Failure };
            AuditNote {
                action: format!("{} {}", request.method, request.route),
                object: String::new(),
                outcome,
                detail: format!("HTTP {}", status.as_u16()),
                user: None,
            }
        }
        None => return response,
    };
    let user = note.user.as_deref().or(request.caller.map(|c| c.username.as_str())).unwrap_or("-");
    let object = if note.object.is_empty() { request.path } else { note.object.as_str() };
    if note.outcome == AuditOutcome::Denied {
        let source = request.source.to_string();
        let who = request.caller.map_or(source.as_str(), |c| c.username.as_str());
        if !state.auditor.denials().first(who, &note.action, user, &source, object) {
            return response;
        }
    }
    let row = AuditRow::new(state.clock.now(), user, &note.action, object, note.outcome)
        .source(&request.source.to_string())
        .detail(&note.detail);
    // A change that happened gets its row, retried through an outage (the answer waits for
    // it); a refused or failed one is tried as its `begun` row was.
    let retry = match (is_safe(request.method), status.is_success()) {
        (true, _) => Retry::Attempts(1),
        (false, true) => Retry::For(OUTCOME_ROW_PATIENCE),
        (false, false) => Retry::Attempts(CHANGE_ROW_ATTEMPTS),
    };
    if let Err(e) = write_with_retries(state, row, retry).await {
        tracing::error!(error = %crate::logging::error_chain(&e), "audit row not written");
        if is_safe(request.method) && status.is_success() {
            return unaudited(&e).into_response();
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        // No trusted proxies: the header is ignored, whatever it says.
        assert_eq!(client_address(proxy, &headers(&["203.0.113.7"]), &[]), proxy);
        // From a trusted proxy: the nearest address that is not a trusted hop.
        assert_eq!(client_address(proxy, &headers(&["203.0.113.7"]), &trusted), client);
        assert_eq!(client_address(proxy, &headers(&["1.2.3.4, 203.0.113.7, 10.0.0.9"]), &trusted), client);
        assert_eq!(client_address(proxy, &headers(&["1.2.3.4", "203.0.113.7"]), &trusted), client);
        // A client that is not a proxy cannot choose its address by sending the header.
        assert_eq!(client_address(client, &headers(&["10.0.0.1"]), &trusted), client);
        // Garbage stops the walk at the last good hop.
        assert_eq!(client_address(proxy, &headers(&["not-an-address"]), &trusted), proxy);
        assert_eq!(client_address(proxy, &headers(&[]), &trusted), proxy);
    }
}
