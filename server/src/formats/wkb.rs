//! Well-known binary (OGC WKB, 2D) of the shapes the service keeps: one codec, written and read
//! here in pure code, for PostGIS (every f64 survives the round trip bit for bit, which
//! `ST_AsGeoJSON` would round) and inside GeoPackage geometries ([`crate::formats::gpkg`]).

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

const POLYGON: u32 = 3;
const MULTI_POLYGON: u32 = 6;

/// Why a WKB value cannot be read as a (multi)polygon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WkbError {
    /// The bytes end inside a value.
    #[error("WKB ends after {0} bytes")]
    Truncated(usize),
    /// A byte-order mark other than 0 (big endian) or 1 (little endian).
    #[error("WKB byte order {0} is neither 0 nor 1")]
    ByteOrder(u8),
    /// A geometry type other than a 2D Polygon or MultiPolygon.
    #[error("WKB geometry type {0} is not a 2D Polygon or MultiPolygon")]
    Type(u32),
    /// Bytes left after the geometry.
    #[error("{0} bytes after the WKB geometry")]
    Trailing(usize),
}

/// Little-endian WKB of a MultiPolygon (what `ST_GeomFromWKB` reads and a GeoPackage holds).
pub fn write_multipolygon(shape: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    header(&mut out, MULTI_POLYGON, shape.0.len());
    for polygon in &shape.0 {
        header(&mut out, POLYGON, 1 + polygon.interiors().len());
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            put_u32(&mut out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    out
}

fn header(out: &mut Vec<u8>, kind: u32, count: usize) {
    out.push(1);
    out.extend_from_slice(&kind.to_le_bytes());
    put_u32(out, count);
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// Reads a 2D Polygon (as a one-part MultiPolygon) or MultiPolygon, either byte order.
pub fn read_multipolygon(bytes: &[u8]) -> Result<MultiPolygon<f64>, WkbError> {
    let mut r = Reader { bytes, at: 0, little: true };
    let shape = match r.header()? {
        POLYGON => MultiPolygon(vec![r.polygon_body()?]),
        MULTI_POLYGON => {
            let n = r.count()?;
            let mut parts = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                match r.header()? {
                    POLYGON => parts.push(r.polygon_body()?),
                    other => return Err(WkbError::Type(other)),
                }
            }
            MultiPolygon(parts)
        }
        other => return Err(WkbError::Type(other)),
    };
    match bytes.len() - r.at {
        0 => Ok(shape),
        n => Err(WkbError::Trailing(n)),
    }
}

/// A cursor over WKB bytes; each nested geometry carries its own byte order.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WkbError> {
        let end = self.at + N;
        let slice = self.bytes.get(self.at..end).ok_or(WkbError::Truncated(self.bytes.len()))?;
        let mut buf = [0; N];
        buf.copy_from_slice(slice);
        self.at = end;
        Ok(buf)
    }

    /// A byte-order mark and a geometry type.
    fn header(&mut self) -> Result<u32, WkbError> {
        self.little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            other => return Err(WkbError::ByteOrder(other)),
        };
        self.u32()
    }

    fn u32(&mut self) -> Result<u32, WkbError> {
        let b = self.take::<4>()?;
        Ok(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn count(&mut self) -> Result<usize, WkbError> {
        self.u32().map(|n| n as usize)
    }

    fn f64(&mut self) -> Result<f64, WkbError> {
        let b = self.take::<8>()?;
        Ok(if self.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    fn ring(&mut self) -> Result<LineString<f64>, WkbError> {
        let n = self.count()?;
        // Never trust a count for the allocation: 16 bytes a point must be there.
        let mut coords = Vec::with_capacity(n.min((self.bytes.len() - self.at) / 16));
        for _ in 0..n {
            coords.push(Coord { x: self.f64()?, y: self.f64()? });
        }
        Ok(LineString(coords))
    }

    fn polygon_body(&mut self) -> Result<Polygon<f64>, WkbError> {
        let rings = self.count()?;
        if rings == 0 {
            return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
        }
        let exterior = self.ring()?;
        let interiors = (1..rings).map(|_| self.ring()).collect::<Result<_, _>>()?;
        Ok(Polygon::new(exterior, interiors))
    }
}

#[cfg(test)]
mod tests {
    use geo_types::{coord, polygon};

    use super::*;

    fn square_with_hole() -> Polygon<f64> {
        polygon!(
            exterior: [(x: 115.1, y: 40.2), (x: 115.3000000000001, y: 40.2), (x: 115.3, y: 40.4), (x: 115.1, y: 40.2)],
            interiors: [[(x: 115.15, y: 40.25), (x: 115.2, y: 40.25), (x: 115.2, y: 40.3), (x: 115.15, y: 40.25)]],
        )
    }

    /// Big-endian WKB of a one-ring triangle, written by hand from the OGC layout.
    fn big_endian_triangle() -> Vec<u8> {
        let mut b = vec![0];
        b.extend_from_slice(&POLYGON.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&4u32.to_be_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)] {
            b.extend_from_slice(&x.to_be_bytes());
            b.extend_from_slice(&y.to_be_bytes());
        }
        b
    }

    #[test]
    fn a_multipolygon_round_trips_bit_for_bit() {
        let shape = MultiPolygon(vec![square_with_hole(), polygon![(x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 1.0, y: 5.0)]]);
        let bytes = write_multipolygon(&shape);
        assert_eq!(bytes[..5], [1, 6, 0, 0, 0]);
        assert_eq!(read_multipolygon(&bytes), Ok(shape));
    }

    #[test]
    fn a_square_is_one_polygon_of_one_ring_of_four_points() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let wkb = write_multipolygon(&MultiPolygon(vec![p]));
        assert_eq!(wkb.len(), 1 + 4 + 4 + 1 + 4 + 4 + 4 + 4 * 16);
        assert_eq!(wkb[..9], [1, 6, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(wkb[9..18], [1, 3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(wkb[18..22], [4, 0, 0, 0]);
        assert_eq!(wkb[wkb.len() - 16..], [0u8; 16]);
    }

    #[test]
    fn reads_a_big_endian_polygon_as_one_part() {
        let shape = read_multipolygon(&big_endian_triangle()).expect("reads");
        assert_eq!(shape.0.len(), 1);
        assert_eq!(shape.0[0].exterior().0[1], coord! { x: 1.0, y: 0.0 });
        assert!(shape.0[0].interiors().is_empty());
    }

    #[test]
    fn reads_parts_of_mixed_byte_order() {
        let mut b = vec![0];
        b.extend_from_slice(&MULTI_POLYGON.to_be_bytes());
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend(big_endian_triangle());
        b.extend(write_multipolygon(&MultiPolygon(vec![square_with_hole()]))[9..].iter());
        let shape = read_multipolygon(&b).expect("reads");
        assert_eq!(shape.0[1], square_with_hole());
    }

    #[test]
    fn refuses_other_types_and_broken_bytes() {
        let point = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(read_multipolygon(&point), Err(WkbError::Type(1)));
        let mut z = big_endian_triangle();
        z[1..5].copy_from_slice(&1003u32.to_be_bytes());
        assert_eq!(read_multipolygon(&z), Err(WkbError::Type(1003)));
        let bytes = big_endian_triangle();
        assert_eq!(read_multipolygon(&bytes[..bytes.len() - 1]), Err(WkbError::Truncated(bytes.len() - 1)));
        assert_eq!(read_multipolygon(&[2, 3, 0, 0, 0]), Err(WkbError::ByteOrder(2)));
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(read_multipolygon(&extra), Err(WkbError::Trailing(1)));
    }
}
