//! Validated longitude/latitude pairs in CGCS2000 (EPSG:4490), treated as equal to WGS84.

use serde::{Deserialize, Serialize};

/// Why a coordinate pair was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// NaN or an infinity.
    #[error("{axis} is not a finite number")]
    NotFinite {
        /// `"lon"` or `"lat"`.
        axis: &'static str,
    },
    /// Outside [-180, 180] for longitude or [-90, 90] for latitude.
    #[error("{axis} {value} is out of range [{min}, {max}]")]
    OutOfRange {
        /// `"lon"` or `"lat"`.
        axis: &'static str,
        /// The value given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
}

/// A checked (longitude, latitude) pair in degrees, CGCS2000/WGS84.
///
/// ```
/// use wangge_core::LonLat;
/// assert!(LonLat::new(115.5, 40.4).is_ok());
/// assert!(LonLat::new(f64::NAN, 40.4).is_err());
/// assert!(LonLat::new(115.5, 91.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    /// Longitude in degrees east.
    pub lon: f64,
    /// Latitude in degrees north.
    pub lat: f64,
}

impl LonLat {
    /// Checks that both numbers are finite and within the range of the earth.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        check("lon", lon, 180.0)?;
        check("lat", lat, 90.0)?;
        Ok(Self { lon, lat })
    }
}

fn check(axis: &'static str, value: f64, limit: f64) -> Result<(), CoordError> {
    if !value.is_finite() {
        return Err(CoordError::NotFinite { axis });
    }
    if !(-limit..=limit).contains(&value) {
        return Err(CoordError::OutOfRange { axis, value, min: -limit, max: limit });
    }
    Ok(())
}

/// Metres per degree of latitude and of longitude at latitude `lat` (local equirectangular
/// approximation, good to a few tenths of a percent over a county).
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let per_lat = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
    let per_lon = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos();
    (per_lon, per_lat)
}
