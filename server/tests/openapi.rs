//! The OpenAPI document of the real binary, as its integrators read it:
//! - it is OpenAPI 3.1, valid by a third-party validator (`openapi-spec-validator`), and holds
//!   every route and method the router serves — no more, no fewer (the router's own `Allow`
//!   answers are compared with it), each with its problem answers and credentials;
//! - the OGC API landing page links it (`service-desc`, `service-doc`), and the documentation
//!   page is served;
//! - a property-based fuzzer driven by it (`schemathesis`) finds no 5xx and no answer that
//!   breaks its documented status codes, media types and schemas, on SQLite and on PostGIS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faultkit;

use std::collections::{BTreeMap, BTreeSet};

use faultkit::{Client, Outcome, Server};
use serde_json::Value;

/// The document as served.
async fn document(server: &Server) -> Value {
    match Client::new(server.addr(), "").get("/api/v1/openapi.json").await {
        Outcome::Answer { status: 200, body, .. } => body,
        other => panic!("GET /api/v1/openapi.json: {other:?}"),
    }
}

/// Runs a Python tool (`python3 -m module args…`); panics with its output when it fails.
fn python(module: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-m")
        .arg(module)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 -m {module} (scripts/test.sh installs it): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python3 -m {module} {} failed:\n{text}", args.join(" "));
    text
}

/// A concrete path for a route pattern (`{x}` replaced by a plain value).
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str("x1");
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// The methods the router serves at `pattern`, from its `Allow` answer to an unserved method.
async fn served_methods(client: &Client, pattern: &str) -> BTreeSet<String> {
    let (status, allow) = client.allow("TRACE", &concrete(pattern)).await;
    assert_eq!(status, 405, "TRACE {pattern}");
    let allow = allow.unwrap_or_else(|| panic!("TRACE {pattern}: no Allow header"));
    allow.split(',').map(|m| m.trim().to_ascii_lowercase()).filter(|m| !m.is_empty() && m != "head").collect()
}

/// Whether a schema says something about its values (an empty schema accepts anything).
fn stated(schema: &Value) -> bool {
    ["$ref", "type", "oneOf", "anyOf", "allOf", "items", "properties", "const", "enum"]
        .iter()
        .any(|key| schema.get(key).is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_and_describes_every_route() {
    let mut server = Server::start_demo(None, &[]).await;
    let doc = document(&server).await;
    assert_eq!(doc["openapi"], "3.1.0");

    // A third-party validator reads it.
    let file = server.data_dir().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let verdict = python("openapi_spec_validator", &[file.to_str().unwrap()]);
    assert!(verdict.contains("OK"), "{verdict}");

    // Every documented operation: an operation id, its problems, and credentials unless public.
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            documented.entry(path.clone()).or_default().insert(method.clone());
            assert!(operation["operationId"].is_string(), "{method} {path}: no operationId");
            for status in ["400", "401", "403", "404", "503"] {
                assert!(operation["responses"][status].is_object(), "{method} {path}: no {status} answer");
            }
            let success = operation["responses"].as_object().unwrap().keys().any(|s| s.starts_with('2'));
            assert!(success, "{method} {path}: no success answer");
            // Every JSON answer states its shape, so the fuzzer can check the answers against it.
            for (status, answer) in operation["responses"].as_object().unwrap() {
                for (media, content) in answer["content"].as_object().into_iter().flatten() {
                    if media.contains("json") && status.starts_with('2') {
                        assert!(stated(&content["schema"]), "{method} {path}: {status} {media} has no schema: {content}");
                    }
                }
            }
        }
    }
    for scheme in ["bearer", "session", "monitoring"] {
        assert!(doc["components"]["securitySchemes"][scheme].is_object(), "no {scheme} scheme");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // The router and the document agree, path by path and method by method.
    let client = Client::new(server.addr(), "");
    let patterns = wangge_server::http::routes::route_patterns();
    assert!(patterns.len() > 100, "{} routes", patterns.len());
    for pattern in &patterns {
        let served = served_methods(&client, pattern).await;
        let described = documented.get(pattern).cloned().unwrap_or_default();
        assert_eq!(served, described, "{pattern}: methods served vs documented");
    }
    let undocumented: Vec<_> = documented.keys().filter(|p| !patterns.contains(*p)).collect();
    assert!(undocumented.is_empty(), "documented but not served: {undocumented:?}");

    // The OGC API landing page links the document and its page; both are served.
    let landing = match client.get("/ogcapi").await {
        Outcome::Answer { status: 200, body, .. } => body,
        other => panic!("{other:?}"),
    };
    let links = landing["links"].as_array().unwrap();
    let rel = |name: &str| links.iter().find(|l| l["rel"] == name).unwrap_or_else(|| panic!("no {name} link: {links:?}")).clone();
    assert!(rel("service-desc")["href"].as_str().unwrap().ends_with("/api/v1/openapi.json"));
    assert!(rel("service-doc")["href"].as_str().unwrap().ends_with("/api/v1/docs"));
    let page = client.get_text("/api/v1/docs").await;
    assert!(page.contains("/api/v1/openapi.json") && page.contains("swagger-ui"), "{page}");
    server.stop().await;
}

/// Runs schemathesis against `server` signed in as `user` over the operations whose path
/// matches `paths` (a regular expression); panics on any failure it reports.
async fn fuzz(server: &Server, label: &str, user: &str, paths: &str) {
    let token = server.login(user).await;
    let base = format!("http://{}", server.addr());
    let report = server.data_dir().join(format!("schemathesis-{label}.xml"));
    let examples = std::env::var("WANGGE_FUZZ_EXAMPLES").unwrap_or_else(|_| "8".into());
    let auth = format!("Authorization: Bearer {token}");
    let out = std::process::Command::new("schemathesis")
        .args(["run", &format!("{base}/api/v1/openapi.json"), "--url", &base])
        .args(["--header", &auth])
        .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
        .args(["--max-examples", &examples, "--seed", "20261206", "--workers", "2"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--report", "junit", "--report-junit-path", report.to_str().unwrap()])
        // Signing out or changing the password would end the fuzzer's own session; the event
        // stream never ends by itself.
        .args(["--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/auth/password"])
        .args(["--exclude-path", "/api/v1/events/stream", "--exclude-path", "/metrics"])
        .args(["--exclude-path-regex", "^/api/v1/admin/users/\\{username\\}/disabled$"])
        .args(["--include-path-regex", paths])
        .arg("--no-color")
        // Its cache of past failures stays with this run's data, not in the checkout.
        .current_dir(server.data_dir())
        .output()
        .expect("schemathesis (scripts/test.sh installs it)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "schemathesis found failures on {label}:\n{text}\n--- server log ---\n{}", server.log_tail());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzing_by_the_document_finds_nothing_on_sqlite() {
    let mut server = Server::start_demo(None, &[]).await;
    fuzz(&server, "sqlite", "county", ".").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzing_by_the_document_finds_nothing_on_postgis() {
    let url = faultkit::postgis_database("wangge_fuzz").await;
    let mut server = Server::start_demo(Some(&url), &[]).await;
    fuzz(&server, "postgis", "county", ".").await;
    server.stop().await;
    faultkit::drop_database("wangge_fuzz").await;
}

/// The administrators' operations answer the county's dispatcher 403: fuzzed again as the
/// system administrator (accounts, API keys) and the security administrator (grants, policy,
/// audit log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzing_the_administrators_operations_finds_nothing() {
    let mut server = Server::start_demo(None, &[]).await;
    fuzz(&server, "sysadmin", "sysadmin", "^/api/v1/(admin|audit)").await;
    fuzz(&server, "secadmin", "secadmin", "^/api/v1/(admin|audit)").await;
    server.stop().await;
}
