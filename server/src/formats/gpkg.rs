//! GeoPackage geometry blobs (OGC 12-128r18 §2.1.3, "GPB"): the `GP` header — magic, version,
//! flags, SRS id and envelope — before the WKB, written by the export and read by the import.

use geo::BoundingRect;
use geo_types::MultiPolygon;

use crate::formats::wkb::{self, WkbError};

/// `GP`: the first two bytes of every GeoPackage geometry.
const MAGIC: [u8; 2] = *b"GP";
/// Flags of a little-endian blob with an XY envelope.
const FLAGS_XY_ENVELOPE: u8 = 0b0000_0011;
/// Flags of a little-endian blob of an empty geometry, without an envelope.
const FLAGS_EMPTY: u8 = 0b0001_0001;

/// Why a GeoPackage geometry blob cannot be read as a (multi)polygon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpbError {
    /// The blob does not start with `GP`.
    #[error("a geometry without the GeoPackage header")]
    Magic,
    /// The blob ends inside its header.
    #[error("a truncated geometry")]
    Truncated,
    /// An envelope contents indicator the standard does not define (5 to 7).
    #[error("envelope code {0}")]
    Envelope(u8),
    /// The WKB after the header.
    #[error(transparent)]
    Wkb(#[from] WkbError),
}

/// `multi` as a GeoPackage geometry blob: `GP`, version 0, little-endian with an XY envelope,
/// the SRS id, the envelope (min x, max x, min y, max y) and the WKB.
pub fn write_geometry(srs_id: i32, multi: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = vec![MAGIC[0], MAGIC[1], 0];
    match multi.bounding_rect() {
        Some(b) => {
            out.push(FLAGS_XY_ENVELOPE);
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [b.min().x, b.max().x, b.min().y, b.max().y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        // An empty geometry: no envelope, the empty flag set.
        None => {
            out.push(FLAGS_EMPTY);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb::write_multipolygon(multi));
    out
}

/// The (multi)polygon of a GeoPackage geometry blob: the header is checked and skipped with
/// its envelope, then the WKB is read.
pub fn read_geometry(blob: &[u8]) -> Result<MultiPolygon<f64>, GpbError> {
    if blob.get(0..2) != Some(&MAGIC[..]) {
        return Err(GpbError::Magic);
    }
    let flags = *blob.get(3).ok_or(GpbError::Truncated)?;
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(GpbError::Envelope(e)),
    };
    let body = blob.get(8 + envelope..).ok_or(GpbError::Truncated)?;
    Ok(wkb::read_multipolygon(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: 115.0, y: 40.0), (x: 116.0, y: 40.0), (x: 116.0, y: 41.0), (x: 115.0, y: 40.0)]])
    }

    #[test]
    fn blobs_carry_the_srs_and_the_envelope_in_x_x_y_y_order() {
        let blob = write_geometry(4490, &square());
        assert_eq!(blob[..4], [b'G', b'P', 0, 3]);
        assert_eq!(blob[4..8], 4490i32.to_le_bytes());
        let envelope: Vec<f64> = blob[8..40].chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        assert_eq!(envelope, [115.0, 116.0, 40.0, 41.0]);
        assert_eq!(blob[40..45], [1, 6, 0, 0, 0]);
    }

    #[test]
    fn what_is_written_reads_back_bit_for_bit() {
        assert_eq!(read_geometry(&write_geometry(4490, &square())), Ok(square()));
        let empty = MultiPolygon::<f64>(Vec::new());
        let blob = write_geometry(4490, &empty);
        assert_eq!(blob[3], FLAGS_EMPTY);
        assert_eq!(read_geometry(&blob), Ok(empty));
    }

    #[test]
    fn refuses_a_foreign_header_or_envelope() {
        assert_eq!(read_geometry(b"XX\0\x03"), Err(GpbError::Magic));
        assert_eq!(read_geometry(b"GP"), Err(GpbError::Truncated));
        assert_eq!(read_geometry(b"GP\0\x0a\0\0\0\0"), Err(GpbError::Envelope(5)));
        let blob = write_geometry(4490, &square());
        assert_eq!(read_geometry(&blob[..20]), Err(GpbError::Truncated));
        assert!(matches!(read_geometry(&blob[..50]), Err(GpbError::Wkb(_))));
    }
}
