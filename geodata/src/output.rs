//! GeoJSON rendering of the generated county: one feature per line, stable key order, so the
//! committed files diff well and regenerate byte for byte.

use geo_types::MultiPolygon;
use serde_json::{json, Value};

use crate::build::{County, GridOut, Region};
use crate::NOTE;

/// File name → contents for every layer.
pub fn render(county: &County) -> Vec<(&'static str, String)> {
    vec![
        ("county.geojson", collection([county_feature(county)])),
        ("townships.geojson", collection(county.townships.iter().map(township))),
        ("villages.geojson", collection(county.villages.iter().map(village))),
        ("grids.geojson", collection(county.grids.iter().map(grid))),
    ]
}

fn collection(features: impl IntoIterator<Item = Value>) -> String {
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"note\":");
    s.push_str(&Value::from(NOTE).to_string());
    s.push_str(",\"features\":[\n");
    let lines: Vec<String> = features.into_iter().map(|f| f.to_string()).collect();
    s.push_str(&lines.join(",\n"));
    s.push_str("\n]}\n");
    s
}

fn feature(properties: Value, geometry: &MultiPolygon<f64>) -> Value {
    json!({ "type": "Feature", "properties": properties, "geometry": geojson::Geometry::from(geometry) })
}

fn county_feature(c: &County) -> Value {
    let mp = MultiPolygon(vec![c.outline.clone()]);
    let area: f64 = c.townships.iter().map(|t| t.area_km2).sum();
    feature(json!({ "code": c.county.0, "name": c.county.1, "area_km2": round6(area) }), &mp)
}

fn township(t: &Region) -> Value {
    feature(json!({ "code": t.code, "name": t.name, "area_km2": t.area_km2, "illustrative": true }), &t.geometry)
}

fn village(v: &Region) -> Value {
    let props = json!({
        "code": v.code, "name": v.name, "kind": v.kind, "township_code": v.parent_code,
        "area_km2": v.area_km2, "illustrative": true,
    });
    feature(props, &v.geometry)
}

fn grid(g: &GridOut) -> Value {
    let props = json!({
        "code": g.code, "name": g.name, "kind": g.kind.as_str(),
        "village_code": g.village.0, "village_name": g.village.1,
        "township_code": g.township.0, "township_name": g.township.1,
        "parent_grid": g.parent_grid, "area_km2": g.area_km2, "illustrative": true,
    });
    feature(props, &g.geometry)
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
