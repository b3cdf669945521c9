//! Well-known binary (little-endian, 2D) of multipolygons, as GeoPackage geometries hold it.

use geo_types::{LineString, MultiPolygon};

/// WKB type code of a polygon.
const POLYGON: u32 = 3;
/// WKB type code of a multipolygon.
const MULTI_POLYGON: u32 = 6;

/// `multi` as little-endian WKB.
pub fn multi_polygon(multi: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    header(&mut out, MULTI_POLYGON);
    count(&mut out, multi.0.len());
    for polygon in &multi.0 {
        header(&mut out, POLYGON);
        count(&mut out, 1 + polygon.interiors().len());
        ring(&mut out, polygon.exterior());
        for hole in polygon.interiors() {
            ring(&mut out, hole);
        }
    }
    out
}

fn header(out: &mut Vec<u8>, kind: u32) {
    out.push(1);
    out.extend_from_slice(&kind.to_le_bytes());
}

fn count(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn ring(out: &mut Vec<u8>, line: &LineString<f64>) {
    count(out, line.0.len());
    for c in &line.0 {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn a_square_is_one_polygon_of_one_ring_of_five_points() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let wkb = multi_polygon(&MultiPolygon(vec![p]));
        assert_eq!(wkb.len(), 1 + 4 + 4 + 1 + 4 + 4 + 4 + 4 * 16);
        assert_eq!(wkb[..9], [1, 6, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(wkb[9..18], [1, 3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(wkb[18..22], [4, 0, 0, 0]);
        assert_eq!(wkb[wkb.len() - 16..], [0u8; 16]);
    }
}
