//! Shared helpers of the cross-crate tests: the demo county, generated once per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wangge_geodata::County;

#[path = "bench_http.rs"]
pub mod bench_http;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The demo county, generated from `geodata/source` (once per process).
pub fn county() -> &'static County {
    static COUNTY: OnceLock<County> = OnceLock::new();
    COUNTY.get_or_init(|| {
        let src = repo_root().join("geodata/source");
        let read = |f: &str| std::fs::read_to_string(src.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        wangge_geodata::generate(&read("county-outline.geojson"), &read("divisions.csv"))
            .unwrap_or_else(|e| panic!("generate: {e}"))
    })
}

/// A small deterministic generator for test points (SplitMix64).
pub struct Points(u64);

impl Points {
    /// Starts from a fixed seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Well-known text of a shape. `{}` prints the shortest text that reads back as the same f64,
/// so PostGIS sees exactly the index's coordinates.
pub fn wkt(mp: &geo_types::MultiPolygon<f64>) -> String {
    let ring = |r: &geo_types::LineString<f64>| {
        let pts: Vec<String> = r.0.iter().map(|c| format!("{} {}", c.x, c.y)).collect();
        format!("({})", pts.join(","))
    };
    let polys: Vec<String> = mp
        .0
        .iter()
        .map(|p| format!("({})", std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect::<Vec<_>>().join(",")))
        .collect();
    format!("MULTIPOLYGON({})", polys.join(","))
}
