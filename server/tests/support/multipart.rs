//! A `multipart/form-data` body as the phone app sends one: a JSON part, then files.

use serde_json::Value;

/// The boundary the bodies use (`multipart/form-data; boundary=…`).
pub const BOUNDARY: &str = "wangge-test-boundary-7d1f";

/// The `Content-Type` of a body made by [`body`].
pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The JSON as part `json_part`, then each file as (part name, bytes, content type).
pub fn body(json_part: &str, json: &Value, files: &[(&str, Vec<u8>, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{json_part}\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
    body.extend_from_slice(json.to_string().as_bytes());
    body.extend_from_slice(b"\r\n");
    for (i, (name, bytes, content_type)) in files.iter().enumerate() {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"p{i}.jpg\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}
