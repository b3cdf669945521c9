//! GeoJSON geometry values as the shapes the service keeps (multipolygons).

use geo_types::MultiPolygon;

/// Converts a GeoJSON Polygon or MultiPolygon value.
pub fn geometry_to_multipolygon(value: &geojson::Value) -> Result<MultiPolygon<f64>, String> {
    match value {
        geojson::Value::MultiPolygon(_) => MultiPolygon::try_from(value).map_err(|e| e.to_string()),
        geojson::Value::Polygon(_) => {
            geo_types::Polygon::try_from(value).map(|p| MultiPolygon(vec![p])).map_err(|e| e.to_string())
        }
        other => Err(format!("geometry is a {}, not a (Multi)Polygon", other.type_name())),
    }
}
