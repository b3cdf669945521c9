//! Zipped Shapefiles, read by the `zip` and `shapefile` (with `dbase`) crates. What they trust
//! is checked first: no ZIP64 (so the archive's directory holds at most 65,535 entries, and
//! [`MAX_ENTRIES`] is then enforced), only the entries needed are inflated, counted against
//! [`MAX_INFLATED`] as they inflate; the `.shp` header's length and each record's part and
//! point counts must fit in the bytes there, and the `.dbf` header's record count too.

use std::io::{Cursor, Read};

use ::shapefile::dbase::{self, FieldValue};
use ::shapefile::{PolygonRing, Shape, ShapeReader};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{json, Map, Value};
use wangge_core::coord::Crs;
use wangge_core::wire::draft::GridFeature;

use super::{choose, feature, unreadable, Budget, ImportError, MAX_ENTRIES, MAX_FEATURES, MAX_INFLATED};

const FORMAT: &str = "zipped Shapefile";

/// The files of the layer found in the archive.
#[derive(Default)]
struct Layer {
    shp: Option<Vec<u8>>,
    dbf: Option<Vec<u8>>,
    prj: Option<Vec<u8>>,
    cpg: Option<Vec<u8>>,
}

/// The polygons and attributes of the archive's layer, and their coordinate system.
pub(super) fn read(bytes: &[u8], asked: Option<Crs>, budget: &mut Budget) -> Result<(Vec<GridFeature>, Crs), ImportError> {
    let bad = unreadable(FORMAT);
    let layer = unzip(bytes)?;
    let shp = layer.shp.ok_or_else(|| bad("no .shp in the archive".into()))?;
    let dbf = layer.dbf.ok_or_else(|| bad("no .dbf in the archive".into()))?;
    if let Some(cpg) = layer.cpg {
        let encoding = String::from_utf8_lossy(&cpg).trim().to_ascii_uppercase();
        if !matches!(encoding.as_str(), "UTF-8" | "UTF8" | "65001") {
            return Err(bad(format!("the attributes are in {}; save them as UTF-8", encoding.chars().take(40).collect::<String>())));
        }
    }
    let crs = choose(prj_crs(layer.prj.as_deref())?, asked)?;
    let shapes = polygons(&shp, budget)?;
    let records = records(&dbf, budget)?;
    if shapes.len() != records.len() {
        return Err(bad(format!("{} shapes but {} attribute rows", shapes.len(), records.len())));
    }
    Ok((shapes.iter().zip(&records).map(|(s, r)| feature(r, s, crs)).collect(), crs))
}

/// The coordinate system a `.prj` names.
fn prj_crs(prj: Option<&[u8]>) -> Result<Option<Crs>, ImportError> {
    let Some(wkt) = prj.map(String::from_utf8_lossy) else { return Ok(None) };
    let start = || wkt.chars().take(60).collect::<String>();
    if wkt.contains("PROJCS") {
        return Err(ImportError::Crs(format!("the file is projected ({})", start())));
    }
    if wkt.contains("2000") || wkt.contains("4490") {
        Ok(Some(Crs::Cgcs2000))
    } else if wkt.contains("WGS_1984") || wkt.contains("WGS 84") || wkt.contains("4326") {
        Ok(Some(Crs::Wgs84))
    } else {
        Err(ImportError::Crs(format!("the file is in {}", start())))
    }
}

/// The largest a layer file may inflate to.
fn entry_cap(ext: &str) -> u64 {
    match ext {
        // Header, then per record 8 + 44 bytes and 4 per part, 16 per point.
        "shp" => (100 + MAX_FEATURES * 64 + super::MAX_POINTS * 20) as u64,
        // A draft's attribute rows are a few hundred bytes each.
        "dbf" => super::MAX_FILE as u64,
        _ => 64 * 1024,
    }
}

/// Inflates the layer's files (the first `.shp`, `.dbf`, `.prj` and `.cpg`), nothing else.
fn unzip(bytes: &[u8]) -> Result<Layer, ImportError> {
    let bad = unreadable(FORMAT);
    refuse_zip64(bytes)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(ImportError::OverBudget(format!("the archive has {} entries; at most {MAX_ENTRIES}", archive.len())));
    }
    let mut layer = Layer::default();
    let mut left = MAX_INFLATED;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = entry.name().to_ascii_lowercase();
        if entry.is_dir() || name.contains("__macosx") {
            continue;
        }
        let Some((_, ext)) = name.rsplit_once('.') else { continue };
        let slot = match ext {
            "shp" => &mut layer.shp,
            "dbf" => &mut layer.dbf,
            "prj" => &mut layer.prj,
            "cpg" => &mut layer.cpg,
            _ => continue,
        };
        if slot.is_some() {
            continue;
        }
        let cap = entry_cap(ext).min(left);
        // Never sized from the entry's header: read at most one byte past what is allowed.
        let mut data = Vec::new();
        (&mut entry).take(cap + 1).read_to_end(&mut data).map_err(|e| bad(format!("{name}: {e}")))?;
        if data.len() as u64 > cap {
            let what = if cap == left { format!("the archive inflates to more than {MAX_INFLATED} bytes") } else { format!("{name} inflates to more than {cap} bytes") };
            return Err(ImportError::OverBudget(what));
        }
        left -= data.len() as u64;
        *slot = Some(data);
    }
    Ok(layer)
}

/// Refuses ZIP64 archives: a ZIP64 end record may declare any number of entries, and the
/// `zip` crate allocates for each before it can be asked how many there are. A Shapefile
/// archive is far below ZIP64's 4 GiB.
fn refuse_zip64(bytes: &[u8]) -> Result<(), ImportError> {
    const END: &[u8; 4] = b"PK\x05\x06";
    const LOCATOR: &[u8; 4] = b"PK\x06\x07";
    let zip64 = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == END)
        .any(|(at, _)| at >= 20 && bytes.get(at - 20..at - 16) == Some(LOCATOR.as_slice()));
    if zip64 {
        return Err(unreadable(FORMAT)("ZIP64 archives are not accepted; zip the layer's files with a plain zip".into()));
    }
    Ok(())
}

fn i32_at(bytes: &[u8], at: usize, big_endian: bool) -> Option<i32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian { i32::from_be_bytes(b) } else { i32::from_le_bytes(b) })
}

/// Checks each record's length, part and point counts against the bytes there and takes them
/// from the budget, before the reader allocates for them.
fn check_records(shp: &[u8], end: usize, budget: &mut Budget) -> Result<(), ImportError> {
    let bad = unreadable(FORMAT);
    let mut at = 100;
    while at < end {
        let words = i32_at(shp, at + 4, true).ok_or_else(|| bad(format!("a truncated record header at byte {at}")))?;
        let room = end.saturating_sub(at + 8);
        let content = usize::try_from(words).ok().and_then(|w| w.checked_mul(2)).filter(|c| (4..=room).contains(c));
        let content = content.ok_or_else(|| bad(format!("the record at byte {at} says {words} words, more than the file holds")))?;
        budget.feature()?;
        let body = at + 8;
        if matches!(i32_at(shp, body, false), Some(5 | 15 | 25)) {
            let count = |off: usize| i32_at(shp, body + off, false).and_then(|n| usize::try_from(n).ok());
            let (parts, points) = (count(36), count(40));
            let need = parts.zip(points).and_then(|(p, n)| 44usize.checked_add(p.checked_mul(4)?)?.checked_add(n.checked_mul(16)?));
            if need.is_none_or(|n| n > content) {
                let shown = |n: Option<usize>| n.map_or_else(|| "a negative number of".to_owned(), |n| n.to_string());
                return Err(bad(format!("the record at byte {at} claims {} parts and {} points in {content} bytes", shown(parts), shown(points))));
            }
            let (parts, points) = (parts.unwrap_or(0), points.unwrap_or(0));
            budget.points(points + parts)?;
            // Part starts: increasing, within the points (the reader takes them as given).
            let mut previous = 0;
            for k in 0..parts {
                let start = count(44 + 4 * k).filter(|s| *s >= previous && *s <= points && (k > 0 || *s == 0));
                previous = start.ok_or_else(|| bad(format!("the record at byte {at} has a bad start for part {k}")))?;
            }
        }
        at = body + content;
    }
    Ok(())
}

/// The polygons of a `.shp` (Polygon, PolygonZ or PolygonM; null shapes are empty): an outer
/// ring starts a polygon, the holes after it are its holes.
fn polygons(shp: &[u8], budget: &mut Budget) -> Result<Vec<MultiPolygon<f64>>, ImportError> {
    let bad = unreadable(FORMAT);
    let reader = ShapeReader::new(Cursor::new(shp)).map_err(|e| bad(format!("the .shp: {e}")))?;
    let declared = usize::try_from(reader.header().file_length).ok().and_then(|w| w.checked_mul(2));
    let end = declared.filter(|n| (100..=shp.len()).contains(n)).ok_or_else(|| {
        bad(format!("the .shp header says {} bytes but the file has {}", i64::from(reader.header().file_length) * 2, shp.len()))
    })?;
    check_records(shp, end, budget)?;
    let mut out = Vec::new();
    let mut reader = reader;
    for shape in reader.iter_shapes() {
        let shape = shape.map_err(|e| bad(format!("shape {}: {e}", out.len())))?;
        let rings: Vec<(bool, Vec<Coord<f64>>)> = match shape {
            Shape::NullShape => Vec::new(),
            Shape::Polygon(p) => p.into_inner().into_iter().map(|r| ring(r, |p| Coord { x: p.x, y: p.y })).collect(),
            Shape::PolygonZ(p) => p.into_inner().into_iter().map(|r| ring(r, |p| Coord { x: p.x, y: p.y })).collect(),
            Shape::PolygonM(p) => p.into_inner().into_iter().map(|r| ring(r, |p| Coord { x: p.x, y: p.y })).collect(),
            other => return Err(bad(format!("shape type {} is not a polygon", other.shapetype()))),
        };
        budget.clock()?;
        let mut polygons: Vec<Polygon<f64>> = Vec::new();
        for (outer, points) in rings {
            match polygons.last_mut() {
                Some(last) if !outer => last.interiors_push(LineString(points)),
                _ => polygons.push(Polygon::new(LineString(points), vec![])),
            }
        }
        let shape = MultiPolygon(polygons);
        super::finite(&shape).map_err(|e| bad(format!("shape {}: {e}", out.len())))?;
        out.push(shape);
    }
    Ok(out)
}

/// Whether a ring is outer, and its points.
fn ring<P>(r: PolygonRing<P>, xy: impl Fn(&P) -> Coord<f64>) -> (bool, Vec<Coord<f64>>) {
    let outer = matches!(r, PolygonRing::Outer(_));
    (outer, r.into_inner().iter().map(xy).collect())
}

/// The rows of a `.dbf` (UTF-8 text): field name → text or number.
fn records(dbf: &[u8], budget: &mut Budget) -> Result<Vec<Map<String, Value>>, ImportError> {
    let bad = unreadable(FORMAT);
    let mut reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::Unicode)
        .build(Cursor::new(dbf))
        .map_err(|e| bad(format!("the .dbf: {e}")))?;
    let h = *reader.header();
    let rows = usize::try_from(h.num_records).unwrap_or(usize::MAX);
    if rows > MAX_FEATURES {
        return Err(ImportError::OverBudget(format!("the .dbf has {rows} records; at most {MAX_FEATURES}")));
    }
    let need = usize::from(h.offset_to_first_record) + rows * usize::from(h.size_of_record);
    if need > dbf.len() {
        return Err(bad(format!("the .dbf header says {rows} records of {} bytes, more than its {} bytes hold", h.size_of_record, dbf.len())));
    }
    let mut out = Vec::with_capacity(rows);
    for record in reader.iter_records() {
        budget.clock()?;
        let record = record.map_err(|e| bad(format!("the .dbf: {e}")))?;
        out.push(record.into_iter().map(|(name, value)| (name, field(value))).collect());
    }
    Ok(out)
}

fn field(value: FieldValue) -> Value {
    match value {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::String(s),
        FieldValue::Numeric(Some(n)) | FieldValue::Double(n) | FieldValue::Currency(n) => json!(n),
        FieldValue::Float(Some(n)) => json!(f64::from(n)),
        FieldValue::Integer(n) => json!(n),
        FieldValue::Logical(Some(b)) => json!(b),
        _ => Value::Null,
    }
}
