//! Reading a planner's boundary file into a draft: GeoJSON, zipped Shapefile or GeoPackage, in
//! CGCS2000 / WGS84 (by their EPSG codes) or GCJ-02 / BD-09 (named by the planner, as they have
//! no EPSG code); any other coordinate system is refused with the reason, never guessed.

use std::io::Read;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{json, Map, Value};
use wangge_core::coord::Crs;

/// Largest file accepted, in bytes.
pub const MAX_FILE: usize = 64 * 1024 * 1024;

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is not what its format says, or is damaged.
    #[error("not a readable {format}: {reason}")]
    Unreadable {
        /// The format.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A coordinate system other than CGCS2000 or WGS84 degrees.
    #[error("{0}: reproject it to EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84) degrees first, or name gcj02/bd09 if it is in those")]
    Crs(String),
}

/// The file's features as a GeoJSON FeatureCollection in CGCS2000 lon/lat with the draft's
/// property names, and the coordinate system they were read in.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The draft's grids.
    pub grids: Value,
    /// The coordinate system the file was in.
    pub crs: &'static str,
}

fn unreadable(format: &'static str) -> impl Fn(String) -> ImportError {
    move |reason| ImportError::Unreadable { format, reason }
}

/// The coordinate system named by an EPSG code (or OGC CRS84).
fn from_epsg(name: &str) -> Result<Crs, ImportError> {
    let upper = name.to_ascii_uppercase();
    if upper.contains("CRS84") {
        return Ok(Crs::Wgs84);
    }
    let code = upper.rsplit([':', '/']).find(|s| !s.is_empty()).unwrap_or_default();
    match code {
        "4490" => Ok(Crs::Cgcs2000),
        "4326" => Ok(Crs::Wgs84),
        _ => Err(ImportError::Crs(format!("the file is in {name}"))),
    }
}

fn label(crs: Crs) -> &'static str {
    match crs {
        Crs::Cgcs2000 => "EPSG:4490",
        Crs::Wgs84 => "EPSG:4326",
        Crs::Gcj02 => "GCJ-02",
        Crs::Bd09 => "BD-09",
    }
}

/// The planner's `crs` overrides the file's when the file's is WGS84 or unknown: GCJ-02 and
/// BD-09 files are commonly labelled WGS84 (EPSG:4326) by the tools that wrote them.
fn choose(file: Option<Crs>, asked: Option<Crs>) -> Result<Crs, ImportError> {
    match (file, asked) {
        (Some(Crs::Cgcs2000), Some(a @ (Crs::Gcj02 | Crs::Bd09))) | (Some(Crs::Wgs84) | None, Some(a)) => Ok(a),
        (Some(f), _) => Ok(f),
        (None, None) => Ok(Crs::Cgcs2000),
    }
}

/// Reads `bytes` as `format` (`geojson`, `gpkg`, `shp.zip`).
pub async fn read(format: &str, bytes: &[u8], asked: Option<Crs>) -> Result<Imported, ImportError> {
    let (features, crs) = match format {
        "geojson" => geojson(bytes, asked)?,
        "shp.zip" => shapefile(bytes, asked)?,
        "gpkg" => geopackage(bytes, asked).await?,
        other => {
            return Err(ImportError::Unreadable {
                format: "file",
                reason: format!("format must be geojson, gpkg or shp.zip, got {other:?}"),
            })
        }
    };
    Ok(Imported { grids: json!({"type": "FeatureCollection", "features": features}), crs: label(crs) })
}

/// The draft's property names from the names files commonly use (ours, and the Shapefile's
/// ten-character ones).
fn properties(fields: &Map<String, Value>) -> Value {
    let pick = |names: &[&str]| names.iter().find_map(|n| fields.get(*n)).cloned().unwrap_or(Value::Null);
    let text = |v: Value| match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) if s.trim().is_empty() => Value::Null,
        Value::String(s) => Value::String(s.trim().to_owned()),
        other => other,
    };
    json!({
        "code": text(pick(&["code", "grid_code", "CODE"])),
        "name": text(pick(&["name", "grid_name", "NAME"])),
        "kind": text(pick(&["kind", "KIND"])),
        "village_code": text(pick(&["village_code", "vill_code", "village_co", "VILL_CODE"])),
        "township_code": text(pick(&["township_code", "town_code", "township_c", "TOWN_CODE"])),
        "parent_grid": text(pick(&["parent_grid", "parent", "parent_gri", "PARENT"])),
    })
}

fn feature(fields: &Map<String, Value>, shape: &MultiPolygon<f64>, crs: Crs) -> Value {
    let converted = MultiPolygon(
        shape
            .0
            .iter()
            .map(|p| {
                let ring = |r: &LineString<f64>| LineString(r.0.iter().map(|c| convert(*c, crs)).collect());
                Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
            })
            .collect(),
    );
    json!({
        "type": "Feature",
        "properties": properties(fields),
        "geometry": geojson::Geometry::new(geojson::Value::from(&converted)),
    })
}

fn convert(c: Coord<f64>, crs: Crs) -> Coord<f64> {
    match wangge_core::LonLat::from_crs(c.x, c.y, crs) {
        Ok(p) => Coord { x: p.lon, y: p.lat },
        Err(_) => c,
    }
}

fn geojson(bytes: &[u8], asked: Option<Crs>) -> Result<(Vec<Value>, Crs), ImportError> {
    let bad = unreadable("GeoJSON");
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let file_crs = match value.pointer("/crs/properties/name").and_then(Value::as_str) {
        Some(name) => Some(from_epsg(name)?),
        None => None,
    };
    let crs = choose(file_crs, asked)?;
    let features = value.get("features").and_then(Value::as_array).ok_or_else(|| bad("no features array".into()))?;
    let out = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let fields = f.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            let geometry = f.get("geometry").ok_or_else(|| bad(format!("feature {i} has no geometry")))?;
            let shape = crate::drafts::multipolygon(geometry, Crs::Cgcs2000).map_err(|e| bad(format!("feature {i}: {e}")))?;
            Ok(feature(&fields, &shape, crs))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((out, crs))
}

/// The entries of a zip archive (stored or deflated).
fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    let u16_at = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    while u32_at(at) == Some(0x0403_4b50) {
        let (Some(flags), Some(method), Some(size), Some(name_len), Some(extra_len)) =
            (u16_at(at + 6), u16_at(at + 8), u32_at(at + 18), u16_at(at + 26), u16_at(at + 28))
        else {
            return Err("a truncated zip entry".into());
        };
        if flags & 0x08 != 0 {
            return Err("zip entries with trailing data descriptors are not supported; zip it with `zip`".into());
        }
        let name_start = at + 30;
        let data_start = name_start + usize::from(name_len) + usize::from(extra_len);
        let data_end = data_start + size as usize;
        let name = bytes.get(name_start..name_start + usize::from(name_len)).ok_or("a truncated zip name")?;
        let data = bytes.get(data_start..data_end).ok_or("a truncated zip entry")?;
        let data = match method {
            0 => data.to_vec(),
            8 => {
                let mut inflated = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .take(MAX_FILE as u64 * 4)
                    .read_to_end(&mut inflated)
                    .map_err(|e| e.to_string())?;
                inflated
            }
            m => return Err(format!("zip compression method {m} is not supported")),
        };
        out.push((String::from_utf8_lossy(name).into_owned(), data));
        at = data_end;
    }
    if out.is_empty() {
        return Err("not a zip archive".into());
    }
    Ok(out)
}

fn shapefile(bytes: &[u8], asked: Option<Crs>) -> Result<(Vec<Value>, Crs), ImportError> {
    let bad = unreadable("zipped Shapefile");
    let entries = unzip(bytes).map_err(&bad)?;
    let find = |ext: &str| {
        entries.iter().find(|(n, _)| n.to_ascii_lowercase().ends_with(ext) && !n.contains("__MACOSX")).map(|(_, d)| d)
    };
    let shp = find(".shp").ok_or_else(|| bad("no .shp in the archive".into()))?;
    let dbf = find(".dbf").ok_or_else(|| bad("no .dbf in the archive".into()))?;
    if let Some(cpg) = find(".cpg") {
        let encoding = String::from_utf8_lossy(cpg).trim().to_ascii_uppercase();
        if !matches!(encoding.as_str(), "UTF-8" | "UTF8" | "65001") {
            return Err(bad(format!("the attributes are in {encoding}; save them as UTF-8")));
        }
    }
    let file_crs = match find(".prj").map(|p| String::from_utf8_lossy(p).into_owned()) {
        Some(wkt) if wkt.contains("PROJCS") => {
            return Err(ImportError::Crs(format!("the file is projected ({})", wkt.chars().take(60).collect::<String>())))
        }
        Some(wkt) if wkt.contains("2000") || wkt.contains("4490") => Some(Crs::Cgcs2000),
        Some(wkt) if wkt.contains("WGS_1984") || wkt.contains("WGS 84") || wkt.contains("4326") => Some(Crs::Wgs84),
        Some(wkt) => return Err(ImportError::Crs(format!("the file is in {}", wkt.chars().take(60).collect::<String>()))),
        None => None,
    };
    let crs = choose(file_crs, asked)?;
    let shapes = shp_polygons(shp).map_err(&bad)?;
    let records = dbf_records(dbf).map_err(&bad)?;
    if shapes.len() != records.len() {
        return Err(bad(format!("{} shapes but {} attribute rows", shapes.len(), records.len())));
    }
    Ok((shapes.iter().zip(&records).map(|(s, r)| feature(r, s, crs)).collect(), crs))
}

/// The polygons of a `.shp` (type 5): a clockwise ring starts a polygon, the counter-clockwise
/// rings after it are its holes.
fn shp_polygons(shp: &[u8]) -> Result<Vec<MultiPolygon<f64>>, String> {
    let i32_le = |i: usize| shp.get(i..i + 4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let i32_be = |i: usize| shp.get(i..i + 4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let f64_le = |i: usize| shp.get(i..i + 8).map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]));
    if i32_be(0) != Some(9994) {
        return Err("the .shp has no Shapefile header".into());
    }
    let mut out = Vec::new();
    let mut at = 100;
    while at + 8 <= shp.len() {
        let words = i32_be(at + 4).ok_or("a truncated record")?;
        let content = at + 8;
        let next = content + usize::try_from(words).map_err(|_| "a negative record length")? * 2;
        match i32_le(content).ok_or("a truncated record")? {
            0 => out.push(MultiPolygon(vec![])),
            5 => {
                let parts = usize::try_from(i32_le(content + 36).ok_or("truncated")?).map_err(|_| "bad part count")?;
                let points = usize::try_from(i32_le(content + 40).ok_or("truncated")?).map_err(|_| "bad point count")?;
                let starts: Vec<usize> = (0..parts)
                    .map(|p| i32_le(content + 44 + 4 * p).and_then(|v| usize::try_from(v).ok()).ok_or("bad part index"))
                    .collect::<Result<_, _>>()?;
                let base = content + 44 + 4 * parts;
                let coord = |k: usize| -> Result<Coord<f64>, String> {
                    Ok(Coord { x: f64_le(base + 16 * k).ok_or("truncated points")?, y: f64_le(base + 16 * k + 8).ok_or("truncated points")? })
                };
                let mut polygons: Vec<Polygon<f64>> = Vec::new();
                for (p, start) in starts.iter().enumerate() {
                    let end = starts.get(p + 1).copied().unwrap_or(points);
                    let ring = LineString((*start..end).map(coord).collect::<Result<Vec<_>, _>>()?);
                    let clockwise = signed_area(&ring) < 0.0;
                    match polygons.last_mut() {
                        Some(last) if !clockwise => last.interiors_push(ring),
                        _ => polygons.push(Polygon::new(ring, vec![])),
                    }
                }
                out.push(MultiPolygon(polygons));
            }
            other => return Err(format!("shape type {other} is not a polygon")),
        }
        at = next;
    }
    Ok(out)
}

fn signed_area(ring: &LineString<f64>) -> f64 {
    ring.0.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum::<f64>() / 2.0
}

/// The rows of a `.dbf` (UTF-8 text): field name → text or number.
fn dbf_records(dbf: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let u16_at = |i: usize| dbf.get(i..i + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let count = dbf.get(4..8).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or("a truncated .dbf")?;
    let header = u16_at(8).ok_or("a truncated .dbf")?;
    let width = u16_at(10).ok_or("a truncated .dbf")?;
    let mut fields = Vec::new();
    let mut at = 32;
    while dbf.get(at).is_some_and(|b| *b != 0x0d) && at + 32 <= header {
        let name = dbf.get(at..at + 11).ok_or("a truncated field")?;
        let name = String::from_utf8_lossy(name.split(|b| *b == 0).next().unwrap_or_default()).into_owned();
        let kind = dbf.get(at + 11).copied().unwrap_or(b'C');
        let len = usize::from(dbf.get(at + 16).copied().unwrap_or(0));
        fields.push((name, kind, len));
        at += 32;
    }
    (0..count)
        .map(|r| {
            let start = header + r * width;
            let row = dbf.get(start..start + width).ok_or("a truncated row")?;
            let mut map = Map::new();
            let mut offset = 1;
            for (name, kind, len) in &fields {
                let raw = row.get(offset..offset + len).ok_or("a truncated value")?;
                let text = std::str::from_utf8(raw).map_err(|_| format!("field {name} is not UTF-8"))?.trim();
                let value = match kind {
                    b'N' | b'F' => text.parse::<f64>().map(|n| json!(n)).unwrap_or(Value::Null),
                    _ => Value::String(text.to_owned()),
                };
                map.insert(name.clone(), value);
                offset += len;
            }
            Ok(map)
        })
        .collect()
}

async fn geopackage(bytes: &[u8], asked: Option<Crs>) -> Result<(Vec<Value>, Crs), ImportError> {
    use sqlx::{Column, Connection, Row, ValueRef};
    let bad = unreadable("GeoPackage");
    let dir = tempfile::TempDir::new().map_err(|e| bad(e.to_string()))?;
    let path = dir.path().join("import.gpkg");
    tokio::fs::write(&path, bytes).await.map_err(|e| bad(e.to_string()))?;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| bad(e.to_string()))?;
    let (table, column, srs): (String, String, i64) = sqlx::query_as(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
           JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
          WHERE c.data_type = 'features' ORDER BY c.table_name LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| bad(format!("no feature table: {e}")))?;
    let (org, code): (String, i64) =
        sqlx::query_as("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?")
            .bind(srs)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| bad(format!("the layer's coordinate system {srs} is not described: {e}")))?;
    let file_crs = from_epsg(&format!("{}:{code}", org.to_ascii_uppercase()))?;
    let crs = choose(Some(file_crs), asked)?;
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let rows = sqlx::query(&format!("SELECT * FROM {}", quoted(&table)))
        .fetch_all(&mut conn)
        .await
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut fields = Map::new();
        let mut shape = None;
        for (i, col) in row.columns().iter().enumerate() {
            let name = col.name();
            if name == column {
                let blob: Vec<u8> = row.try_get(i).map_err(|e| bad(e.to_string()))?;
                shape = Some(gpkg_geometry(&blob).map_err(&bad)?);
                continue;
            }
            let null = row.try_get_raw(i).map(|v| v.is_null()).unwrap_or(true);
            let value = if null {
                Value::Null
            } else if let Ok(s) = row.try_get::<String, _>(i) {
                Value::String(s)
            } else if let Ok(n) = row.try_get::<i64, _>(i) {
                json!(n)
            } else if let Ok(x) = row.try_get::<f64, _>(i) {
                json!(x)
            } else {
                Value::Null
            };
            fields.insert(name.to_owned(), value);
        }
        let shape = shape.ok_or_else(|| bad("a feature without geometry".into()))?;
        out.push(feature(&fields, &shape, crs));
    }
    conn.close().await.map_err(|e| bad(e.to_string()))?;
    Ok((out, crs))
}

/// A GeoPackage geometry blob: the `GP` header with its envelope, then WKB.
fn gpkg_geometry(blob: &[u8]) -> Result<MultiPolygon<f64>, String> {
    if blob.get(0..2) != Some(b"GP") {
        return Err("a geometry without the GeoPackage header".into());
    }
    let flags = *blob.get(3).ok_or("a truncated geometry")?;
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("envelope code {e}")),
    };
    let wkb = blob.get(8 + envelope..).ok_or("a truncated geometry")?;
    crate::wkb::read_multipolygon(wkb).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_decide_or_refuse() {
        assert_eq!(from_epsg("urn:ogc:def:crs:EPSG::4490"), Ok(Crs::Cgcs2000));
        assert_eq!(from_epsg("EPSG:4326"), Ok(Crs::Wgs84));
        assert_eq!(from_epsg("urn:ogc:def:crs:OGC:1.3:CRS84"), Ok(Crs::Wgs84));
        assert!(matches!(from_epsg("EPSG:3857"), Err(ImportError::Crs(_))));
        assert_eq!(choose(Some(Crs::Wgs84), Some(Crs::Gcj02)), Ok(Crs::Gcj02));
        assert_eq!(choose(None, None), Ok(Crs::Cgcs2000));
        assert_eq!(choose(Some(Crs::Cgcs2000), None), Ok(Crs::Cgcs2000));
    }
}
