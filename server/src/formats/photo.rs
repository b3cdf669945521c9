//! Photos from phones, pure and with budgets: the type is sniffed from the bytes (JPEG, PNG or
//! WebP; anything else — SVG, HTML, GIF, HEIC, PDF — is refused with what it looks like), the
//! image is decoded within size and pixel budgets by the maintained `image` crate, its EXIF
//! orientation applied, and it is re-encoded (JPEG; PNG when it has transparency) so that none
//! of its metadata survives (EXIF GPS, device serials, XMP, comments, ICC), with a JPEG
//! thumbnail. What is stored is what this answers, addressed by its SHA-256.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// At most this many bytes a photo, as sent.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// At most this many photos with one report or transition.
pub const MAX_PHOTOS: usize = 9;
/// At most this many pixels a side.
pub const MAX_SIDE: u32 = 12_000;
/// At most this many pixels in all (a 50 MP phone camera).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Thumbnails fit in this many pixels a side.
pub const THUMB_SIDE: u32 = 320;
/// At most this much memory for one decoding.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 88;
const THUMB_QUALITY: u8 = 80;

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// No bytes.
    #[error("the photo is empty")]
    Empty,
    /// Over [`MAX_PHOTO_BYTES`].
    #[error("the photo is larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024))]
    TooLarge,
    /// Not one of the three formats; what it looks like.
    #[error("photos must be JPEG, PNG or WebP; this looks like {0}")]
    NotAPhoto(&'static str),
    /// Too many pixels.
    #[error("the photo has {width}×{height} pixels, over the budget ({MAX_SIDE} a side, {MAX_PIXELS} in all)")]
    TooManyPixels {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The bytes do not decode.
    #[error("the photo cannot be read: {0}")]
    Corrupt(String),
    /// Re-encoding failed.
    #[error("the photo could not be re-encoded: {0}")]
    Encode(String),
}

/// The three formats taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (its 8-byte signature).
    Png,
    /// WebP (`RIFF…WEBP`).
    Webp,
}

/// The format of `bytes`, from their first bytes only (never a name or a declared type).
pub fn sniff(bytes: &[u8]) -> Result<Kind, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Kind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Kind::Webp);
    }
    Err(PhotoError::NotAPhoto(looks_like(bytes)))
}

/// What refused bytes look like, for the reason given.
fn looks_like(bytes: &[u8]) -> &'static str {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |i| &text[i..]);
    let head: Vec<u8> = start.iter().take(256).map(u8::to_ascii_lowercase).collect();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if start.starts_with(b"<") {
        if has(b"<svg") {
            "SVG (markup that can carry scripts)"
        } else {
            "HTML or XML markup"
        }
    } else if bytes.starts_with(b"GIF8") {
        "GIF"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "HEIC/AVIF or a video (convert to JPEG on the phone)"
    } else if bytes.starts_with(b"%PDF") {
        "PDF"
    } else if bytes.starts_with(b"PK") {
        "a ZIP archive"
    } else if bytes.starts_with(b"BM") {
        "BMP"
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "TIFF"
    } else {
        "something else"
    }
}

/// A photo ready to store: re-encoded without metadata, its thumbnail, their addresses.
#[derive(Debug, Clone)]
pub struct Photo {
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// The re-encoded image.
    pub data: Vec<u8>,
    /// SHA-256 (hex) of `data`.
    pub sha256: String,
    /// Width after orientation.
    pub width: u32,
    /// Height after orientation.
    pub height: u32,
    /// JPEG thumbnail.
    pub thumbnail: Vec<u8>,
    /// SHA-256 (hex) of `thumbnail`.
    pub thumbnail_sha256: String,
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks, decodes, orients and re-encodes one photo (CPU-bound: run it off the async threads).
pub fn process(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let kind = sniff(bytes)?;
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::Corrupt("over the decoding budget".into()),
        other => PhotoError::Corrupt(other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    let transparent = kind != Kind::Jpeg && image.color().has_alpha();
    let (content_type, data) = if transparent {
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image.to_rgba8())
            .write_with_encoder(PngEncoder::new(&mut out))
            .map_err(|e| PhotoError::Encode(e.to_string()))?;
        ("image/png", out)
    } else {
        ("image/jpeg", jpeg(&image, JPEG_QUALITY)?)
    };
    let thumbnail = jpeg(&image.thumbnail(THUMB_SIDE, THUMB_SIDE), THUMB_QUALITY)?;
    Ok(Photo {
        content_type,
        sha256: sha256_hex(&data),
        width: image.width(),
        height: image.height(),
        data,
        thumbnail_sha256: sha256_hex(&thumbnail),
        thumbnail,
    })
}

/// `image` as a baseline JPEG of `quality`, with no metadata at all.
fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(image.to_rgb8())
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use image::{Rgb, RgbImage};

    fn sample_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 80]));
        jpeg(&DynamicImage::ImageRgb8(img), 90).unwrap()
    }

    /// `jpeg` with an APP1 EXIF segment right after SOI: orientation `orientation`, and a
    /// camera serial and GPS-like text that must not survive.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0*\0\0\0\x08");
        tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries
        // Orientation (0x0112), SHORT, 1 value.
        tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        // BodySerialNumber-like ASCII (0xA431) pointing at the text after the IFD.
        let text = b"SERIAL-GPS-40.4081N\0";
        let offset = (8 + 2 + 12 * 2 + 4) as u32;
        tiff.extend_from_slice(&[0xA4, 0x31, 0x00, 0x02]);
        tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
        tiff.extend_from_slice(&offset.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        tiff.extend_from_slice(text);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn sniffing_takes_three_formats_and_names_the_rest() {
        assert_eq!(sniff(&sample_jpeg(4, 4)).unwrap(), Kind::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), Kind::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Kind::Webp);
        for (bytes, says) in [
            (&b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"[..], "SVG"),
            (&b"\xEF\xBB\xBF<!DOCTYPE html><html>"[..], "HTML"),
            (&b"GIF89a...."[..], "GIF"),
            (&b"\0\0\0\x18ftypheic...."[..], "HEIC"),
            (&b"%PDF-1.7"[..], "PDF"),
            (&b"hello"[..], "something else"),
        ] {
            let e = sniff(bytes).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        assert_eq!(sniff(b""), Err(PhotoError::Empty));
    }

    #[test]
    fn orientation_is_applied_and_metadata_is_gone() {
        let original = with_exif(&sample_jpeg(64, 32), 6);
        assert!(original.windows(6).any(|w| w == b"SERIAL"));
        let photo = process(&original).unwrap();
        // Orientation 6: rotated a quarter turn, so 64×32 becomes 32×64.
        assert_eq!((photo.width, photo.height), (32, 64));
        assert_eq!(photo.content_type, "image/jpeg");
        assert!(!photo.data.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert!(!photo.data.windows(6).any(|w| w == b"SERIAL"));
        assert_eq!(photo.sha256, sha256_hex(&photo.data));
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        assert!(thumb.width() <= THUMB_SIDE && thumb.height() <= THUMB_SIDE);
    }

    #[test]
    fn budgets_hold() {
        assert_eq!(process(&vec![0xFF; MAX_PHOTO_BYTES + 1]).unwrap_err(), PhotoError::TooLarge);
        // A PNG header claiming 60,000 × 60,000 pixels, and nothing behind it.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&60_000u32.to_be_bytes());
        png.extend_from_slice(&60_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(process(&png).is_err());
        // Cut off in its header.
        let jpeg = sample_jpeg(64, 64);
        assert!(matches!(process(&jpeg[..20]), Err(PhotoError::Corrupt(_))));
    }
}
