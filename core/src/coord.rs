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

/// A coordinate system a client may send. Only CGCS2000/WGS84 is ever stored; the others
/// are converted at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// CGCS2000 (EPSG:4490), stored as is.
    Cgcs2000,
    /// WGS84 (EPSG:4326), equal to CGCS2000 within centimetres.
    Wgs84,
    /// GCJ-02 (火星坐标, Amap/Tencent SDKs), shifted by hundreds of metres.
    Gcj02,
    /// BD-09 (Baidu), GCJ-02 shifted again.
    Bd09,
}

impl Crs {
    /// Parses `cgcs2000`, `wgs84`, `gcj02` or `bd09` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cgcs2000" | "epsg:4490" => Some(Self::Cgcs2000),
            "wgs84" | "epsg:4326" => Some(Self::Wgs84),
            "gcj02" | "gcj-02" => Some(Self::Gcj02),
            "bd09" | "bd-09" => Some(Self::Bd09),
            _ => None,
        }
    }
}

impl LonLat {
    /// Checks and converts a point given in `crs` to CGCS2000/WGS84.
    ///
    /// ```
    /// use wangge_core::coord::{Crs, LonLat};
    /// let wgs = LonLat::new(115.52, 40.41).unwrap();
    /// let gcj = wgs.to_gcj02();
    /// assert!((gcj.lon - wgs.lon).abs() > 1e-3); // shifted by hundreds of metres
    /// let back = LonLat::from_crs(gcj.lon, gcj.lat, Crs::Gcj02).unwrap();
    /// assert!((back.lon - wgs.lon).abs() < 1e-7 && (back.lat - wgs.lat).abs() < 1e-7);
    /// ```
    pub fn from_crs(lon: f64, lat: f64, crs: Crs) -> Result<Self, CoordError> {
        let p = Self::new(lon, lat)?;
        Ok(match crs {
            Crs::Cgcs2000 | Crs::Wgs84 => p,
            Crs::Gcj02 => p.gcj02_to_wgs84(),
            Crs::Bd09 => p.bd09_to_gcj02().gcj02_to_wgs84(),
        })
    }

    /// This WGS84 point as GCJ-02 (identity outside China, as the SDKs do).
    pub fn to_gcj02(self) -> Self {
        if !in_china(self) {
            return self;
        }
        let (dlon, dlat) = gcj_delta(self.lon, self.lat);
        Self { lon: self.lon + dlon, lat: self.lat + dlat }
    }

    /// This GCJ-02 point as BD-09.
    pub fn to_bd09(self) -> Self {
        let (x, y) = (self.lon, self.lat);
        let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
        let t = y.atan2(x) + 0.000003 * (x * X_PI).cos();
        Self { lon: z * t.cos() + 0.0065, lat: z * t.sin() + 0.006 }
    }

    /// GCJ-02 → WGS84 by fixed-point iteration (error well under a centimetre).
    fn gcj02_to_wgs84(self) -> Self {
        if !in_china(self) {
            return self;
        }
        let mut w = self;
        for _ in 0..8 {
            let g = w.to_gcj02();
            w = Self { lon: w.lon - (g.lon - self.lon), lat: w.lat - (g.lat - self.lat) };
        }
        w
    }

    fn bd09_to_gcj02(self) -> Self {
        let (x, y) = (self.lon - 0.0065, self.lat - 0.006);
        let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
        let t = y.atan2(x) - 0.000003 * (x * X_PI).cos();
        Self { lon: z * t.cos(), lat: z * t.sin() }
    }
}

const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

fn in_china(p: LonLat) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

/// The published GCJ-02 offset formula (Krasovsky ellipsoid).
fn gcj_delta(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (dlon, dlat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_matches_a_published_pair() {
        // Tiananmen: WGS84 (116.391350, 39.907723) ↔ GCJ-02 (116.397590, 39.909128), ±2 m.
        let g = LonLat::new(116.391350, 39.907723).unwrap().to_gcj02();
        assert!((g.lon - 116.397590).abs() < 2e-5 && (g.lat - 39.909128).abs() < 2e-5, "{g:?}");
    }

    #[test]
    fn bd09_round_trips() {
        let w = LonLat::new(115.52, 40.41).unwrap();
        let b = w.to_gcj02().to_bd09();
        let back = LonLat::from_crs(b.lon, b.lat, Crs::Bd09).unwrap();
        assert!((back.lon - w.lon).abs() < 1e-6 && (back.lat - w.lat).abs() < 1e-6, "{back:?}");
        assert!(LonLat::from_crs(f64::NAN, 40.0, Crs::Gcj02).is_err());
    }
}
