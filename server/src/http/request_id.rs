//! The request id: taken from the client's `X-Request-Id` when it is a plain token (at most 64
//! letters, digits, `-`, `_`, `.`), else made here; returned in the answer's `X-Request-Id` and
//! carried by every log line of the request (the `request` span), so that an integrator's id
//! finds the server's lines. Only the method and the route pattern are logged with it, never
//! the query string (which may hold a phone number or a name).

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id accepted from a client.
const MAX_LEN: usize = 64;

/// A client's id if it is a plain token.
fn accepted(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= MAX_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then(|| text.to_owned())
}

/// A new id: 16 random bytes in hex (the clock's nanoseconds if the OS has no randomness).
fn fresh() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names the route pattern (never the path with its values) on the request's span.
pub fn record_route(route: &str) {
    tracing::Span::current().record("route", route);
}

/// The middleware around the whole router.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = req.headers().get(&X_REQUEST_ID).and_then(accepted).unwrap_or_else(fresh);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"));
    req.headers_mut().insert(X_REQUEST_ID.clone(), value.clone());
    // The route pattern is known once routed: the authentication layer records it.
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), route = tracing::field::Empty);
    let mut response = next.run(req).instrument(span).await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_kept_and_others_replaced() {
        assert_eq!(accepted(&HeaderValue::from_static("abc-123_x.y")).as_deref(), Some("abc-123_x.y"));
        assert_eq!(accepted(&HeaderValue::from_static("has space")), None);
        assert_eq!(accepted(&HeaderValue::from_static("a\"b")), None);
        assert_eq!(accepted(&HeaderValue::from_str(&"x".repeat(65)).unwrap()), None);
        let made = fresh();
        assert_eq!(made.len(), 32);
        assert_ne!(made, fresh());
    }
}
