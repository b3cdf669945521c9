//! The PostGIS store as GIS staff see it: GDAL's `ogrinfo` (the library QGIS reads PostGIS
//! through) opens the database and finds the township, village, grid and event layers with
//! their geometry types, CGCS2000 (EPSG:4490) and feature counts, and no personal data in the
//! event layer.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use support::{Backend, Db};
use tower::ServiceExt;
use wangge_server::state_from_config;

mod support;

/// `PG:` connection string of the test database, for GDAL.
fn gdal_source(db: &Db) -> String {
    let url = db.database_url().expect("a PostGIS database");
    let rest = url.split_once("://").map(|(_, r)| r).expect("scheme");
    let (auth, location) = rest.rsplit_once('@').expect("user@host");
    let (host_port, dbname) = location.split_once('/').expect("/database");
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    let user = auth.split(':').next().unwrap_or(auth);
    format!("PG:host={host} port={port} user={user} dbname={dbname}")
}

fn ogrinfo(source: &str, layer: &str) -> String {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-so", source, layer])
        .output()
        .expect("ogrinfo runs (Debian gdal-bin; scripts/test.sh installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "ogrinfo {layer} failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[tokio::test]
async fn gdal_reads_the_layers_typed_in_cgcs2000_without_personal_data() {
    let db = Db::of(Backend::Postgis).await;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");
    let state = state_from_config(&db.config(fixture)).await.expect("service starts");
    let report = json!({
        "report_id": "layer-1",
        "category": "hazard",
        "description": "楼道里有燃气味",
        "location": {"lon": 115.508, "lat": 40.408},
        "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"},
    });
    let request = Request::post("/api/v1/reports")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(report.to_string()))
        .expect("request");
    let response = support::county_app(&state).await.oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::CREATED);

    let source = gdal_source(&db);
    for (layer, geometry, count) in [
        ("township_layer", "Multi Polygon", 2),
        ("village_layer", "Multi Polygon", 3),
        ("grid_layer", "Multi Polygon", 5),
        ("grid", "Multi Polygon", 5),
        ("event_layer", "Point", 1),
    ] {
        let info = ogrinfo(&source, layer);
        assert!(info.contains(&format!("Geometry: {geometry}")), "{layer}: {info}");
        assert!(info.contains(&format!("Feature Count: {count}")), "{layer}: {info}");
        assert!(info.contains("ID[\"EPSG\",4490]"), "{layer} is in CGCS2000: {info}");
    }
    let events = ogrinfo(&source, "event_layer");
    assert!(events.contains("grid_code: String"), "{events}");
    for personal in ["reporter_name", "reporter_phone", "reporter_person_id", "description"] {
        assert!(!events.contains(personal), "event_layer exposes {personal}: {events}");
    }
}
