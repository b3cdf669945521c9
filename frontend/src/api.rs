//! The service's JSON API over `fetch` (through the JS bridge), with its errors as plain text:
//! a `application/problem+json` answer becomes its `detail`. Every unsafe request carries the
//! session's CSRF token; any 401 ends the session on the page (back to the login form).

use std::cell::RefCell;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::bridge;

/// A request that failed, in words to show the user.
pub type Failure = String;

thread_local! {
    /// The session's CSRF token, sent in `X-CSRF-Token` with POST, PUT and DELETE.
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
    /// Called when the service answers 401: the session is gone.
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Sets the CSRF token of the session (empty when signed out).
pub fn set_csrf(token: &str) {
    CSRF.with(|c| *c.borrow_mut() = token.to_owned());
}

/// The session's CSRF token (empty when signed out).
pub fn csrf_token() -> String {
    CSRF.with(|c| c.borrow().clone())
}

/// What to do when any request answers 401 (the session ended: idle timeout, logout
/// elsewhere, account disabled).
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

/// `GET url` → `T`.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, Failure> {
    decode(&call("GET", url, None).await?)
}

/// `POST url` with a JSON body → `T`.
pub async fn post<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, Failure> {
    decode(&call("POST", url, Some(text(body))).await?)
}

/// A body as JSON text (a value that cannot be written as JSON, which the wire types never
/// hold, goes as `null`).
fn text(body: &impl Serialize) -> String {
    serde_json::to_string(body).unwrap_or_else(|_| "null".to_owned())
}

/// `POST url` with raw bytes as the body (a file) → `T`.
pub async fn post_bytes<T: DeserializeOwned>(url: &str, bytes: &[u8]) -> Result<T, Failure> {
    let answer = bridge::fetch_bytes("POST", url, bytes, &csrf("POST")).await.map_err(network)?;
    decode(&settle(answer)?)
}

/// `POST url` with a file as the body, sent as it is with its `content_type` → `T`.
pub async fn upload<T: DeserializeOwned>(url: &str, file: &web_sys::Blob, content_type: &str) -> Result<T, Failure> {
    let answer = bridge::upload("POST", url, file, &csrf("POST"), content_type).await.map_err(network)?;
    decode(&settle(answer)?)
}

/// The raw text of a successful answer.
pub async fn get_text(url: &str) -> Result<String, Failure> {
    call("GET", url, None).await
}

/// The status and body of any answer, without the 401 handling (the login form reads
/// its own 401, 423 and 429).
pub async fn raw(method: &str, url: &str, body: Option<&Value>) -> Result<(u16, String), Failure> {
    exchange(method, url, body.map(Value::to_string)).await
}

/// [`raw`] with a typed body.
pub async fn raw_json(method: &str, url: &str, body: &impl Serialize) -> Result<(u16, String), Failure> {
    exchange(method, url, Some(text(body))).await
}

async fn exchange(method: &str, url: &str, body: Option<String>) -> Result<(u16, String), Failure> {
    bridge::fetch(method, url, body, &csrf(method)).await.map_err(network)
}

/// The CSRF token to send with `method` (none for safe methods).
fn csrf(method: &str) -> String {
    if is_safe(method) {
        String::new()
    } else {
        CSRF.with(|c| c.borrow().clone())
    }
}

fn network(e: String) -> Failure {
    format!("网络错误：{e}")
}

async fn call(method: &str, url: &str, body: Option<String>) -> Result<String, Failure> {
    settle(exchange(method, url, body).await?)
}

/// The text of a successful answer; otherwise the reason (and a 401 ends the session).
fn settle((status, text): (u16, String)) -> Result<String, Failure> {
    if (200..300).contains(&status) {
        return Ok(text);
    }
    if status == 401 {
        ON_UNAUTHORIZED.with(|h| {
            if let Some(f) = h.borrow().as_ref() {
                f();
            }
        });
    }
    Err(problem(status, &text))
}

fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| format!("无法解析服务器的回答：{e}"))
}

/// The `detail` (or `title`) of a problem+json answer, or the start of the text.
pub fn detail(text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_owned);
    field("detail").or_else(|| field("title")).unwrap_or_else(|| text.chars().take(200).collect())
}

/// The reason of a problem+json answer, with the status.
fn problem(status: u16, text: &str) -> Failure {
    format!("请求失败（HTTP {status}）：{}", detail(text))
}

/// `path?k=v&…` with the values percent-encoded; empty values are left out.
pub fn url(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The path segment of an id, percent-encoded.
pub fn segment(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}
