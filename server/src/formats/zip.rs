//! A minimal ZIP archive writer (deflated entries, no ZIP64) for the zipped Shapefile.

use std::io::Write as _;

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name in the archive (ASCII).
    pub name: String,
    /// Its contents.
    pub data: Vec<u8>,
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// Compression failed.
    #[error("cannot deflate {name}")]
    Deflate {
        /// The entry.
        name: String,
        /// The encoder's error.
        #[source]
        source: std::io::Error,
    },
    /// An entry or the archive is over the 4 GiB of plain ZIP.
    #[error("{0} is too large for a ZIP archive")]
    TooLarge(String),
}

/// DOS time 00:00:00, date 2000-01-01 (archives do not depend on when they were made).
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (20 << 9) | (1 << 5) | 1;

/// The archive of `entries`, each deflated.
pub fn archive(entries: &[Entry]) -> Result<Vec<u8>, ZipError> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = size(&e.name, out.len())?;
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        let deflated = encoder
            .write_all(&e.data)
            .and_then(|()| encoder.finish())
            .map_err(|source| ZipError::Deflate { name: e.name.clone(), source })?;
        let mut crc = flate2::Crc::new();
        crc.update(&e.data);
        let sizes = (size(&e.name, deflated.len())?, size(&e.name, e.data.len())?);
        let name_len = u16::try_from(e.name.len()).map_err(|_| ZipError::TooLarge(e.name.clone()))?;
        // Local file header.
        put32(&mut out, 0x0403_4b50);
        common(&mut out, crc.sum(), sizes, name_len);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&deflated);
        // Central directory record.
        put32(&mut central, 0x0201_4b50);
        put16(&mut central, 20);
        common(&mut central, crc.sum(), sizes, name_len);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, offset);
        central.extend_from_slice(e.name.as_bytes());
    }
    let directory_offset = size("the archive", out.len())?;
    let directory_size = size("the archive", central.len())?;
    let count = u16::try_from(entries.len()).map_err(|_| ZipError::TooLarge("the archive".into()))?;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    put32(&mut out, 0); // disk numbers
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, directory_size);
    put32(&mut out, directory_offset);
    put16(&mut out, 0);
    Ok(out)
}

/// Version needed, flags, method (deflate), time, date, CRC, sizes, name length, extra length.
fn common(out: &mut Vec<u8>, crc: u32, (compressed, plain): (u32, u32), name_len: u16) {
    put16(out, 20);
    put16(out, 0);
    put16(out, 8);
    put16(out, DOS_TIME);
    put16(out, DOS_DATE);
    put32(out, crc);
    put32(out, compressed);
    put32(out, plain);
    put16(out, name_len);
    put16(out, 0);
}

fn size(what: &str, n: usize) -> Result<u32, ZipError> {
    u32::try_from(n).map_err(|_| ZipError::TooLarge(what.to_owned()))
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn entries_are_listed_at_the_end_and_inflate_back() {
        let text = "怀来县 ".repeat(100).into_bytes();
        let zip = archive(&[Entry { name: "a.txt".into(), data: text.clone() }]).unwrap();
        assert_eq!(zip[..4], [0x50, 0x4b, 0x03, 0x04]);
        let end = zip.len() - 22;
        assert_eq!(zip[end..end + 4], [0x50, 0x4b, 0x05, 0x06]);
        let compressed = u32::from_le_bytes([zip[18], zip[19], zip[20], zip[21]]) as usize;
        let data = &zip[30 + 5..30 + 5 + compressed];
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(data), &mut plain).unwrap();
        assert_eq!(plain, text);
        let mut crc = flate2::Crc::new();
        crc.update(&text);
        assert_eq!(zip[14..18], crc.sum().to_le_bytes());
        // The central directory record: 46 bytes and the name, then the end record.
        let directory = u32::from_le_bytes([zip[end + 16], zip[end + 17], zip[end + 18], zip[end + 19]]) as usize;
        assert_eq!(directory + 46 + 5, end);
        assert_eq!(zip[directory..directory + 4], [0x50, 0x4b, 0x01, 0x02]);
    }
}
