//! ESRI Shapefile of polygon features: `.shp`, `.shx`, `.dbf` (UTF-8 text, named in `.cpg`)
//! and `.prj` (EPSG:4490), zipped with the `zip` crate's writer.

use std::io::{Cursor, Write as _};

use geo_types::{LineString, MultiPolygon};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::formats::feature::{Field, FieldKind, FieldValue, OgcFeature, EPSG_4490_WKT};

/// Shape type code of a polygon.
const POLYGON: i32 = 5;
/// Width and decimals of a real field in the `.dbf`.
const REAL_WIDTH: usize = 24;
const REAL_DECIMALS: u8 = 12;

/// Why a Shapefile could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ShpError {
    /// The `.shp` or `.dbf` is over what its format can count.
    #[error("the {0} is too large for a Shapefile")]
    TooLarge(&'static str),
    /// The archive could not be written.
    #[error("cannot zip {name}")]
    Zip {
        /// The file being added (or the archive).
        name: String,
        /// The writer's error.
        #[source]
        source: zip::result::ZipError,
    },
}

/// One file of a Shapefile: its name and contents.
pub type ShpFile = (String, Vec<u8>);

/// The files of a Shapefile named `name` holding `features` with `fields`.
pub fn files(name: &str, fields: &[Field], features: &[OgcFeature]) -> Result<Vec<ShpFile>, ShpError> {
    let (shp, shx) = shapes(features)?;
    Ok(vec![
        (format!("{name}.shp"), shp),
        (format!("{name}.shx"), shx),
        (format!("{name}.dbf"), dbf(fields, features)?),
        (format!("{name}.prj"), EPSG_4490_WKT.as_bytes().to_vec()),
        (format!("{name}.cpg"), b"UTF-8".to_vec()),
    ])
}

/// The Shapefile named `name` as a ZIP archive of its files, each deflated and dated
/// 2000-01-01 00:00 (an export does not depend on when it was made).
pub fn zipped(name: &str, fields: &[Field], features: &[OgcFeature]) -> Result<Vec<u8>, ShpError> {
    let failed = |name: &str| {
        let name = name.to_owned();
        move |source| ShpError::Zip { name, source }
    };
    // A valid DOS date: the fallback (1980-01-01) is never taken.
    let date = DateTime::from_date_and_time(2000, 1, 1, 0, 0, 0).unwrap_or_default();
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(date);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (file, data) in files(name, fields, features)? {
        writer.start_file(file.as_str(), options).map_err(failed(&file))?;
        writer.write_all(&data).map_err(|e| failed(&file)(e.into()))?;
    }
    Ok(writer.finish().map_err(failed(name))?.into_inner())
}

/// The `.shp` and `.shx`.
fn shapes(features: &[OgcFeature]) -> Result<(Vec<u8>, Vec<u8>), ShpError> {
    let mut records = Vec::new();
    let mut index = Vec::new();
    let mut bbox: Option<[f64; 4]> = None;
    for (i, f) in features.iter().enumerate() {
        let content = polygon_record(&f.geometry);
        let offset = words(100 + records.len())?;
        let length = words(content.len())?;
        records.extend_from_slice(&i32::try_from(i + 1).map_err(|_| ShpError::TooLarge("shp"))?.to_be_bytes());
        records.extend_from_slice(&length.to_be_bytes());
        records.extend_from_slice(&content);
        index.extend_from_slice(&offset.to_be_bytes());
        index.extend_from_slice(&length.to_be_bytes());
        if let Some(b) = f.bbox {
            let (lo, hi) = (b.min(), b.max());
            bbox = Some(bbox.map_or([lo.x, lo.y, hi.x, hi.y], |[a, c, d, e]| {
                [a.min(lo.x), c.min(lo.y), d.max(hi.x), e.max(hi.y)]
            }));
        }
    }
    let bbox = bbox.unwrap_or_default();
    let mut shp = file_header(100 + records.len(), bbox)?;
    shp.extend_from_slice(&records);
    let mut shx = file_header(100 + index.len(), bbox)?;
    shx.extend_from_slice(&index);
    Ok((shp, shx))
}

/// A length in bytes as the 16-bit words the format counts in.
fn words(bytes: usize) -> Result<i32, ShpError> {
    i32::try_from(bytes / 2).map_err(|_| ShpError::TooLarge("shp"))
}

fn file_header(len: usize, [x0, y0, x1, y1]: [f64; 4]) -> Result<Vec<u8>, ShpError> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0; 20]);
    h.extend_from_slice(&words(len)?.to_be_bytes());
    h.extend_from_slice(&1000i32.to_le_bytes());
    h.extend_from_slice(&POLYGON.to_le_bytes());
    for v in [x0, y0, x1, y1, 0.0, 0.0, 0.0, 0.0] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    Ok(h)
}

/// A polygon record's content: outer rings clockwise, holes anticlockwise, as the format wants.
fn polygon_record(multi: &MultiPolygon<f64>) -> Vec<u8> {
    let mut rings: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in &multi.0 {
        rings.push(oriented(p.exterior(), true));
        rings.extend(p.interiors().iter().map(|h| oriented(h, false)));
    }
    let points: Vec<(f64, f64)> = rings.iter().flatten().copied().collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for &(x, y) in &points {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let mut out = Vec::with_capacity(44 + 4 * rings.len() + 16 * points.len());
    out.extend_from_slice(&POLYGON.to_le_bytes());
    for v in [x0, y0, x1, y1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX).to_le_bytes();
    out.extend_from_slice(&count(rings.len()));
    out.extend_from_slice(&count(points.len()));
    let mut start = 0;
    for r in &rings {
        out.extend_from_slice(&count(start));
        start += r.len();
    }
    for (x, y) in points {
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
    }
    out
}

/// The ring's points, reversed if needed so that it runs clockwise (`clockwise`) or not.
fn oriented(ring: &LineString<f64>, clockwise: bool) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = ring.0.iter().map(|c| (c.x, c.y)).collect();
    let twice_area: f64 = points.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum();
    if (twice_area < 0.0) != clockwise {
        points.reverse();
    }
    points
}

/// The `.dbf`: dBASE III, text fields as wide as their longest UTF-8 value.
fn dbf(fields: &[Field], features: &[OgcFeature]) -> Result<Vec<u8>, ShpError> {
    let widths: Vec<usize> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match f.kind {
            FieldKind::Real => REAL_WIDTH,
            FieldKind::Text => features.iter().map(|feat| text(&feat.values[i]).len()).max().unwrap_or(0).clamp(1, 254),
        })
        .collect();
    let too_large = || ShpError::TooLarge("dbf");
    let header_len = u16::try_from(32 + 32 * fields.len() + 1).map_err(|_| too_large())?;
    let record_len = u16::try_from(1 + widths.iter().sum::<usize>()).map_err(|_| too_large())?;
    let mut out = vec![0x03, 100, 1, 1];
    out.extend_from_slice(&u32::try_from(features.len()).map_err(|_| too_large())?.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&record_len.to_le_bytes());
    out.extend_from_slice(&[0; 20]);
    for (f, &width) in fields.iter().zip(&widths) {
        let mut name = [0u8; 11];
        let bytes = f.dbf_name.as_bytes();
        name[..bytes.len().min(10)].copy_from_slice(&bytes[..bytes.len().min(10)]);
        out.extend_from_slice(&name);
        out.push(if f.kind == FieldKind::Real { b'N' } else { b'C' });
        out.extend_from_slice(&[0; 4]);
        out.push(u8::try_from(width).map_err(|_| too_large())?);
        out.push(if f.kind == FieldKind::Real { REAL_DECIMALS } else { 0 });
        out.extend_from_slice(&[0; 14]);
    }
    out.push(0x0d);
    for feature in features {
        out.push(b' ');
        for (value, &width) in feature.values.iter().zip(&widths) {
            let cell = match value {
                FieldValue::Real(r) => format!("{r:>REAL_WIDTH$.decimals$}", decimals = usize::from(REAL_DECIMALS)),
                other => format!("{:<width$}", text(other)),
            };
            out.extend_from_slice(&truncate(&cell, width));
        }
    }
    out.push(0x1a);
    Ok(out)
}

fn text(value: &FieldValue) -> &str {
    match value {
        FieldValue::Text(Some(t)) => t,
        _ => "",
    }
}

/// The cell's first `width` bytes, cut at a character boundary and padded with spaces.
fn truncate(cell: &str, width: usize) -> Vec<u8> {
    let mut end = cell.len().min(width);
    while !cell.is_char_boundary(end) {
        end -= 1;
    }
    let mut bytes = cell.as_bytes()[..end].to_vec();
    bytes.resize(width, b' ');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grids::ogc::CollectionId;
    use geo_types::{polygon, Rect};

    fn township(name: &str) -> OgcFeature {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)];
        OgcFeature {
            id: "130730100".into(),
            values: vec![FieldValue::Text(Some("130730100".into())), FieldValue::Text(Some(name.into())), FieldValue::Real(2.5)],
            geometry: MultiPolygon(vec![p]),
            bbox: Some(Rect::new((0.0, 0.0), (1.0, 1.0))),
        }
    }

    #[test]
    fn the_zip_holds_every_file_deflated_and_dated_2000() {
        let features = [township("沙城镇")];
        let zipped = zipped("t", CollectionId::Townships.fields(), &features).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(zipped)).unwrap();
        let expected = files("t", CollectionId::Townships.fields(), &features).unwrap();
        assert_eq!(archive.len(), expected.len());
        for (name, data) in expected {
            let mut entry = archive.by_name(&name).unwrap();
            assert_eq!(entry.compression(), CompressionMethod::Deflated, "{name}");
            assert_eq!(entry.last_modified().map(|d| (d.year(), d.month(), d.day())), Some((2000, 1, 1)), "{name}");
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut back).unwrap();
            assert_eq!(back, data, "{name}");
        }
    }

    #[test]
    fn outer_rings_run_clockwise() {
        let anticlockwise = LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        assert_eq!(oriented(&anticlockwise, true)[1], (1.0, 1.0));
        assert_eq!(oriented(&anticlockwise, false)[1], (1.0, 0.0));
    }

    #[test]
    fn lengths_in_headers_match_the_files() {
        let files = files("t", CollectionId::Townships.fields(), &[township("沙城镇"), township("x")]).unwrap();
        let shp = &files[0].1;
        assert_eq!(i32::from_be_bytes([shp[24], shp[25], shp[26], shp[27]]) as usize * 2, shp.len());
        assert_eq!(files[1].1.len(), 100 + 2 * 8);
        let dbf = &files[2].1;
        let (header, record) = (u16::from_le_bytes([dbf[8], dbf[9]]) as usize, u16::from_le_bytes([dbf[10], dbf[11]]) as usize);
        assert_eq!(header + 2 * record + 1, dbf.len());
        assert_eq!(record, 1 + 9 + "沙城镇".len() + REAL_WIDTH);
        assert!(dbf.windows("沙城镇".len()).any(|w| w == "沙城镇".as_bytes()));
    }

    #[test]
    fn cells_are_cut_between_characters() {
        assert_eq!(truncate("沙城", 4), "沙 ".as_bytes());
        assert_eq!(truncate("ab", 3), b"ab ");
    }
}
