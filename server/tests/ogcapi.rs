//! OGC API – Features and the boundary exports, read by GDAL (`ogrinfo`, `ogr2ogr`) as a real
//! client against the real router on a socket; counts, fields, SRS and geometry are compared
//! with the catalog and the store. Every test runs on SQLite and on PostGIS.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use geo_types::{MultiPolygon, Polygon};
use http_body_util::BodyExt;
use serde_json::Value;
use support::Db;
use tempfile::TempDir;
use tower::ServiceExt;
use wangge_server::{state_from_config, AppState};

#[macro_use]
mod support;

const EPSG_4490: &str = "http://www.opengis.net/def/crs/EPSG/0/4490";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const COLLECTIONS: [&str; 3] = ["grids", "villages", "townships"];

struct Server {
    _db: Db,
    state: AppState,
    app: Router,
    addr: SocketAddr,
    dir: TempDir,
}

/// The service on the mini fixture, listening on a free port of 127.0.0.1.
async fn serve() -> Server {
    let db = Db::new().await;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The links GDAL follows are built from the public URL, not from the Host header.
    let config = wangge_server::Config { public_url: Some(format!("http://{addr}")), ..db.config(fixture) };
    let state = state_from_config(&config).await.expect("service starts");
    let app = support::county_app(&state).await;
    // GDAL signs in itself: a planner's API key in GDAL_HTTP_HEADERS on every request.
    let key = support::token(&state, "gdal-planner", "planner", "county", "").await;
    GDAL_AUTH.set(format!("Authorization: Bearer {key}")).expect("one server per test");
    tokio::spawn(axum::serve(listener, wangge_server::app(state.clone())).into_future());
    Server { _db: db, state, app, addr, dir: TempDir::new().unwrap() }
}

impl Server {
    fn oapif(&self) -> String {
        format!("OAPIF:http://{}/ogcapi", self.addr)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The current features of a collection from the catalog or the store: id → (name, shape).
    async fn expected(&self, collection: &str) -> BTreeMap<String, (String, MultiPolygon<f64>)> {
        match collection {
            "grids" => {
                let catalog = self.state.catalog.load();
                catalog.grids().iter().map(|g| (g.grid.code.clone(), (g.grid.name.clone(), g.grid.geometry.clone()))).collect()
            }
            "villages" => {
                let villages = self.state.store.villages().await.unwrap();
                villages.into_iter().map(|v| (v.code, (v.name, v.geometry))).collect()
            }
            _ => {
                let townships = self.state.store.townships().await.unwrap();
                townships.into_iter().map(|t| (t.code, (t.name, t.geometry))).collect()
            }
        }
    }

    async fn get(&self, uri: &str) -> (StatusCode, HeaderMap, Bytes) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = self.app.clone().oneshot(request).await.expect("infallible service");
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, body.collect().await.unwrap().to_bytes())
    }

    async fn json(&self, uri: &str) -> Value {
        let (status, _, bytes) = self.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&bytes));
        // The bytes the service has always written: members in key order, as a JSON map has them.
        support::key_order::assert_in_key_order(&bytes);
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// The header GDAL sends to sign in (set by [`serve`]).
static GDAL_AUTH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Runs a GDAL program off the runtime (the server keeps answering meanwhile); its stdout.
async fn gdal(program: &str, args: Vec<String>) -> String {
    let program = program.to_owned();
    let shown = format!("{program} {}", args.join(" "));
    let auth = GDAL_AUTH.get().cloned().unwrap_or_default();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args(&args)
            .env("NO_PROXY", "*")
            .env("no_proxy", "*")
            .env("GDAL_HTTP_HEADERS", auth)
            .output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("cannot run {shown} (install gdal-bin; scripts/test.sh does): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{shown} failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// `ogr2ogr -f GeoJSON` of `source` (layer `layer`, extra options before it) into a new file;
/// the features read back: id (`code` property) → (name, shape).
async fn to_geojson(s: &Server, source: &str, layer: &str, extra: &[&str]) -> BTreeMap<String, (String, MultiPolygon<f64>)> {
    let out = s.path(&format!("out-{}.geojson", s.dir.path().read_dir().unwrap().count()));
    let mut args = strings(&["-f", "GeoJSON", out.to_str().unwrap()]);
    args.extend(strings(extra));
    args.extend(strings(&[source, layer]));
    gdal("ogr2ogr", args).await;
    let collection: geojson::FeatureCollection = std::fs::read_to_string(&out).unwrap().parse().unwrap();
    collection
        .features
        .into_iter()
        .map(|f| {
            let code = f.property("code").and_then(Value::as_str).unwrap().to_owned();
            let name = f.property("name").and_then(Value::as_str).unwrap().to_owned();
            let geometry = geo_types::Geometry::<f64>::try_from(f.geometry.unwrap().value).unwrap();
            let multi = match geometry {
                geo_types::Geometry::MultiPolygon(m) => m,
                geo_types::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                other => panic!("{code}: not a polygon: {other:?}"),
            };
            (code, (name, multi))
        })
        .collect()
}

/// Rings as anticlockwise coordinate lists (GDAL may turn them around, Shapefiles must).
fn rings(m: &MultiPolygon<f64>) -> Vec<Vec<(f64, f64)>> {
    let ring = |l: &geo_types::LineString<f64>| {
        let mut pts: Vec<(f64, f64)> = l.0.iter().map(|c| (c.x, c.y)).collect();
        if pts.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum::<f64>() < 0.0 {
            pts.reverse();
        }
        pts
    };
    m.0.iter().flat_map(|p: &Polygon<f64>| std::iter::once(ring(p.exterior())).chain(p.interiors().iter().map(ring))).collect()
}

fn assert_same(what: &str, got: &BTreeMap<String, (String, MultiPolygon<f64>)>, want: &BTreeMap<String, (String, MultiPolygon<f64>)>) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}: feature ids");
    for (id, (name, shape)) in want {
        let (got_name, got_shape) = &got[id];
        assert_eq!(got_name, name, "{what} {id}: name");
        let (a, b) = (rings(got_shape), rings(shape));
        assert_eq!(a.len(), b.len(), "{what} {id}: rings");
        for (ra, rb) in a.iter().zip(&b) {
            assert_eq!(ra.len(), rb.len(), "{what} {id}: points");
            for (pa, pb) in ra.iter().zip(rb) {
                assert!((pa.0 - pb.0).abs() < 1e-9 && (pa.1 - pb.1).abs() < 1e-9, "{what} {id}: {pa:?} != {pb:?}");
            }
        }
    }
}

fn feature_count(info: &str) -> usize {
    let line = info.lines().find(|l| l.starts_with("Feature Count:")).unwrap_or_else(|| panic!("no count in {info}"));
    line["Feature Count:".len()..].trim().parse().unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

backend_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gdal_reads_every_collection_and_its_exact_geometry() {
        let s = serve().await;
        let listing = gdal("ogrinfo", strings(&["-ro", &s.oapif()])).await;
        for collection in COLLECTIONS {
            assert!(listing.contains(collection), "{collection} listed: {listing}");
            let want = s.expected(collection).await;
            let info = gdal("ogrinfo", strings(&["-ro", "-so", &s.oapif(), collection])).await;
            assert_eq!(feature_count(&info), want.len(), "{collection}: {info}");
            assert!(info.contains("WGS 84") || info.contains("CRS84"), "{collection} SRS: {info}");
            assert!(info.contains("Geometry: Multi Polygon"), "{collection} geometry type: {info}");
            let got = to_geojson(&s, &s.oapif(), collection, &[]).await;
            assert_same(collection, &got, &want);
            // Pages of two: GDAL follows the next links to the end.
            let paged = to_geojson(&s, &s.oapif(), collection, &["-oo", "PAGE_SIZE=2"]).await;
            assert_same(&format!("{collection} in pages of 2"), &paged, &want);
        }
        // A spatial filter: only the grids meeting the box come back.
        let (x0, y0, x1, y1) = (115.505, 40.401, 115.509, 40.409);
        let rect = geo_types::Rect::new((x0, y0), (x1, y1));
        let catalog = s.state.catalog.load();
        let want: Vec<&str> = catalog.grids().iter().filter(|g| g.intersects(&rect)).map(|g| g.grid.code.as_str()).collect();
        assert!(!want.is_empty() && want.len() < catalog.grids().len(), "the box splits the grids: {want:?}");
        let spat = [x0, y0, x1, y1].map(|v| v.to_string());
        let spat: Vec<&str> = spat.iter().map(String::as_str).collect();
        let got = to_geojson(&s, &s.oapif(), "grids", &[&["-spat"], &spat[..]].concat()).await;
        assert_eq!(got.keys().map(String::as_str).collect::<Vec<_>>(), want);
        let page = s.json(&format!("/ogcapi/collections/grids/items?bbox={x0},{y0},{x1},{y1}")).await;
        assert_eq!(ids(&page), want, "the server filters, not only GDAL");
        assert_eq!(page["numberMatched"].as_u64(), Some(want.len() as u64));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_page_and_answer_in_epsg_4490_latitude_first() {
        let s = serve().await;
        let landing = s.json("/ogcapi/").await;
        let rels: Vec<&str> = landing["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
        assert_eq!(rels, ["self", "conformance", "data", "service-desc", "service-doc"]);
        let conformance = s.json("/ogcapi/conformance?f=json").await;
        let classes: Vec<&str> = conformance["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(classes.len(), 4);
        assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"), "{classes:?}");
        let grids = s.json("/ogcapi/collections/grids").await;
        assert_eq!(grids["storageCrs"], EPSG_4490);
        assert_eq!(grids["crs"], serde_json::json!([CRS84, EPSG_4490]));
        let bbox = grids["extent"]["spatial"]["bbox"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
        assert!(bbox[0] > 115.0 && bbox[1] > 40.0 && bbox[2] < 116.0 && bbox[3] < 41.0, "CRS84 lon/lat extent: {bbox:?}");

        // Paging by hand: next links until none, every grid once.
        let mut seen = Vec::new();
        let mut uri = "/ogcapi/collections/grids/items?limit=2".to_owned();
        loop {
            let page = s.json(&uri).await;
            assert_eq!(page["numberMatched"], 5);
            assert_eq!(page["numberReturned"].as_u64(), Some(ids(&page).len() as u64));
            seen.extend(ids(&page));
            let next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").map(|l| l["href"].as_str().unwrap().to_owned());
            let Some(next) = next else { break };
            uri = next[next.find("/ogcapi").unwrap()..].to_owned();
        }
        let all: Vec<String> = s.state.catalog.load().grids().iter().map(|g| g.grid.code.clone()).collect();
        assert_eq!(seen, all);

        // EPSG:4490: (lat, lon) coordinates, the Content-Crs says so; bbox-crs likewise.
        let (_, headers, bytes) = s.get(&format!("/ogcapi/collections/townships/items?crs={EPSG_4490}")).await;
        assert_eq!(headers.get("content-crs").unwrap(), &format!("<{EPSG_4490}>"));
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/geo+json");
        let latlon: Value = serde_json::from_slice(&bytes).unwrap();
        let (_, headers, bytes) = s.get("/ogcapi/collections/townships/items").await;
        assert_eq!(headers.get("content-crs").unwrap(), &format!("<{CRS84}>"));
        let lonlat: Value = serde_json::from_slice(&bytes).unwrap();
        let first = |v: &Value| v["features"][0]["geometry"]["coordinates"][0][0][0].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect::<Vec<_>>();
        let (a, b) = (first(&latlon), first(&lonlat));
        assert!(a[0] > 40.0 && a[0] < 41.0 && a[1] > 115.0, "latitude first in EPSG:4490: {a:?}");
        assert_eq!(a, [b[1], b[0]]);
        let by_latlon = s.json(&format!("/ogcapi/collections/grids/items?bbox=40.401,115.505,40.409,115.509&bbox-crs={EPSG_4490}")).await;
        let by_lonlat = s.json("/ogcapi/collections/grids/items?bbox=115.505,40.401,115.509,40.409").await;
        assert_eq!(ids(&by_latlon), ids(&by_lonlat));

        // One feature.
        let code = &all[0];
        let one = s.json(&format!("/ogcapi/collections/grids/items/{code}?crs={EPSG_4490}")).await;
        assert_eq!(one["id"], code.as_str());
        assert!(one["properties"]["name"].as_str().is_some_and(|n| !n.is_empty()));

        // Bad parameters: 400 with the spec's exception; unknown things 404.
        for (uri, status) in [
            ("/ogcapi/collections/grids/items?limit=0", 400),
            ("/ogcapi/collections/grids/items?limit=10001", 400),
            ("/ogcapi/collections/grids/items?bbox=1,2,3", 400),
            ("/ogcapi/collections/grids/items?bbox=115,40,116,41&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490", 400),
            ("/ogcapi/collections/grids/items?crs=EPSG:4326", 400),
            ("/ogcapi/collections/grids/items?f=html", 400),
            ("/ogcapi/collections/grids/items?name=x", 400),
            ("/ogcapi/collections/grids/items?offset=-1", 400),
            ("/ogcapi/collections/grids/items/x?limit=1", 400),
            ("/ogcapi/collections/roads/items", 404),
            ("/ogcapi/collections/grids/items/nope", 404),
        ] {
            let (got, headers, bytes) = s.get(uri).await;
            assert_eq!(got.as_u16(), status, "{uri}");
            assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/json", "{uri}");
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(body["code"].is_string() && body["description"].as_str().is_some_and(|d| !d.is_empty()), "{uri}: {body}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exports_open_in_gdal_with_their_names_and_exact_geometry() {
        let s = serve().await;
        for collection in COLLECTIONS {
            let want = s.expected(collection).await;
            for (extension, source) in [("geojson", ""), ("gpkg", ""), ("shp.zip", "/vsizip/")] {
                let file = format!("{collection}.{extension}");
                let (status, headers, bytes) = s.get(&format!("/api/v1/export/{file}")).await;
                assert_eq!(status, StatusCode::OK, "{file}");
                assert!(headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().contains(&file));
                let path = s.path(&file);
                std::fs::write(&path, &bytes).unwrap();
                let source = format!("{source}{}", path.display());
                let layer = collection.to_owned();
                let info = gdal("ogrinfo", strings(&["-ro", "-so", &source, &layer])).await;
                assert_eq!(feature_count(&info), want.len(), "{file}: {info}");
                assert!(info.contains("Polygon"), "{file} geometry type: {info}");
                if extension != "geojson" {
                    assert!(info.contains("4490") || info.contains("China Geodetic Coordinate System 2000"), "{file} SRS: {info}");
                }
                for field in ["code: String", "name: String", "area_km2: Real"] {
                    assert!(info.contains(field), "{file} field {field}: {info}");
                }
                let got = to_geojson(&s, &source, &layer, &[]).await;
                assert_same(&file, &got, &want);
            }
        }
        let (status, _, _) = s.get("/api/v1/export/grids.kml").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
