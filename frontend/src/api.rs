//! The service's JSON API over `fetch` (through the JS bridge), with its errors as plain text:
//! a `application/problem+json` answer becomes its `detail`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bridge;

/// A request that failed, in words to show the user.
pub type Failure = String;

/// `GET url` → `T`.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, Failure> {
    decode(&call("GET", url, None).await?)
}

/// `POST url` with a JSON body → `T`.
pub async fn post<T: DeserializeOwned>(url: &str, body: &Value) -> Result<T, Failure> {
    decode(&call("POST", url, Some(body.to_string())).await?)
}

/// The raw text of a successful answer.
pub async fn get_text(url: &str) -> Result<String, Failure> {
    call("GET", url, None).await
}

async fn call(method: &str, url: &str, body: Option<String>) -> Result<String, Failure> {
    let (status, text) = bridge::fetch(method, url, body).await.map_err(|e| format!("网络错误：{e}"))?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(problem(status, &text))
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| format!("无法解析服务器的回答：{e}"))
}

/// The `detail` (or `title`) of a problem+json answer, with the status.
fn problem(status: u16, text: &str) -> Failure {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_owned);
    let reason = field("detail").or_else(|| field("title")).unwrap_or_else(|| text.chars().take(200).collect());
    format!("请求失败（HTTP {status}）：{reason}")
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
