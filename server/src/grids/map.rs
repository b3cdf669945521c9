//! The map's data, pure: compact GeoJSON boundary layers with label points (built once per
//! catalog) and the places search looks in; heatmaps and choropleths are in [`super::heat`].

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::body::Bytes;
use geo::{BoundingRect, InteriorPoint};
use geo_types::{LineString, MultiPolygon};
use serde::Serialize;
use wangge_core::wire::LayerKind;

use crate::records::{Grid, Township, Village};

/// Decimal places kept in layer coordinates and heat points (about 0.1 m).
pub const DECIMALS: i32 = 6;

/// Why a layer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// A feature's properties could not be written.
    #[error("cannot serialise the {layer} layer feature {code}")]
    Serialize {
        /// The layer.
        layer: &'static str,
        /// The feature.
        code: String,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A layer could not be compressed.
    #[error("cannot gzip the {layer} layer")]
    Gzip {
        /// The layer.
        layer: &'static str,
        /// The encoder's error.
        #[source]
        source: std::io::Error,
    },
}



/// One boundary layer, serialised and gzipped once.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The FeatureCollection text.
    pub body: Bytes,
    /// A strong entity tag of the body (quoted).
    pub etag: String,
    /// The body gzipped (about an eighth of its size).
    pub gzip: Bytes,
    /// The entity tag of the gzipped body (quoted).
    pub gzip_etag: String,
}

impl Layer {
    fn new(name: &'static str, features: &[&str]) -> Result<Self, MapError> {
        let mut text = String::with_capacity(features.iter().map(|f| f.len() + 1).sum::<usize>() + 64);
        text.push_str(r#"{"type":"FeatureCollection","features":["#);
        text.push_str(&features.join(","));
        text.push_str("]}");
        let hash = fnv1a(text.as_bytes());
        let gzip = gzip(text.as_bytes()).map_err(|source| MapError::Gzip { layer: name, source })?;
        Ok(Self {
            body: Bytes::from(text),
            etag: format!("\"{hash:016x}\""),
            gzip: Bytes::from(gzip),
            gzip_etag: format!("\"{hash:016x}-gz\""),
        })
    }
}

/// Level 3: on the county's grid layer (2.9 MB) 4% larger than the default level 6 in about
/// half the time (9 against 16 ms here), and a publication builds it while it writes.
const GZIP_LEVEL: u32 = 3;

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 6), flate2::Compression::new(GZIP_LEVEL));
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// A division that search can find, with its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Division code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
}

/// The three boundary layers and the divisions search looks in, for one catalog.
#[derive(Debug)]
pub struct MapLayers {
    townships: Layer,
    villages: Layer,
    grids: Layer,
    /// Each layer's features with their codes (townships, villages, grids), to cut a
    /// jurisdiction's layer from.
    features: [Vec<(String, String)>; 3],
    /// Layers cut for a township or village, built on first use.
    scoped: std::sync::Mutex<std::collections::HashMap<(usize, String), Arc<Layer>>>,
    /// Townships, by code.
    pub township_places: Vec<Place>,
    /// Villages and communities, by code.
    pub village_places: Vec<Place>,
}

#[derive(Serialize)]
struct TownshipProps<'a> {
    code: &'a str,
    name: &'a str,
    label_lon: Option<f64>,
    label_lat: Option<f64>,
}

#[derive(Serialize)]
struct VillageProps<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    township_code: &'a str,
    label_lon: Option<f64>,
    label_lat: Option<f64>,
}

#[derive(Serialize)]
struct GridProps<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    village_code: &'a str,
    township_code: &'a str,
    area_km2: f64,
    label_lon: Option<f64>,
    label_lat: Option<f64>,
}

impl MapLayers {
    /// Builds the layers from the store's divisions and grids.
    pub fn new(townships: &[Township], villages: &[Village], grids: &[Grid]) -> Result<Self, MapError> {
        let townships_features = features("townships", townships.iter().map(|t| {
            let (label_lon, label_lat) = label(&t.geometry);
            (t.code.as_str(), TownshipProps { code: &t.code, name: &t.name, label_lon, label_lat }, &t.geometry)
        }))?;
        let villages_features = features("villages", villages.iter().map(|v| {
            let (label_lon, label_lat) = label(&v.geometry);
            let props = VillageProps {
                code: &v.code,
                name: &v.name,
                kind: v.kind.as_str(),
                township_code: &v.township_code,
                label_lon,
                label_lat,
            };
            (v.code.as_str(), props, &v.geometry)
        }))?;
        let grids_features = grid_features(grids, |_| None)?;
        fn all(f: &[(String, String)]) -> Vec<&str> {
            f.iter().map(|(_, text)| text.as_str()).collect()
        }
        Ok(Self {
            townships: Layer::new("townships", &all(&townships_features))?,
            villages: Layer::new("villages", &all(&villages_features))?,
            grids: Layer::new("grids", &all(&grids_features))?,
            features: [townships_features, villages_features, grids_features],
            scoped: std::sync::Mutex::default(),
            township_places: townships.iter().map(|t| place(&t.code, &t.name, &t.geometry)).collect(),
            village_places: villages.iter().map(|v| place(&v.code, &v.name, &v.geometry)).collect(),
        })
    }

    /// The layers after the grids changed to `grids`: the townships' and villages' kept, each
    /// grid's feature kept where `unchanged` says the grid is (by code).
    pub fn with_grids(&self, grids: &[Grid], unchanged: impl Fn(&Grid) -> bool) -> Result<Self, MapError> {
        let before: HashMap<&str, &str> = self.features[2].iter().map(|(code, text)| (code.as_str(), text.as_str())).collect();
        let grids_features = grid_features(grids, |g| unchanged(g).then(|| before.get(g.code.as_str()).map(|t| (*t).to_owned())).flatten())?;
        let texts: Vec<&str> = grids_features.iter().map(|(_, text)| text.as_str()).collect();
        Ok(Self {
            townships: self.townships.clone(),
            villages: self.villages.clone(),
            grids: Layer::new("grids", &texts)?,
            features: [self.features[0].clone(), self.features[1].clone(), grids_features],
            scoped: std::sync::Mutex::default(),
            township_places: self.township_places.clone(),
            village_places: self.village_places.clone(),
        })
    }

    /// One of the layers.
    pub fn layer(&self, kind: LayerKind) -> &Layer {
        match kind {
            LayerKind::Townships => &self.townships,
            LayerKind::Villages => &self.villages,
            LayerKind::Grids => &self.grids,
        }
    }

    /// The layer cut to the features whose codes `keep` accepts, cached under `scope` (a
    /// township or village code).
    pub fn scoped(&self, kind: LayerKind, scope: &str, keep: impl Fn(&str) -> bool) -> Result<Arc<Layer>, MapError> {
        let slot = match kind {
            LayerKind::Townships => 0,
            LayerKind::Villages => 1,
            LayerKind::Grids => 2,
        };
        let key = (slot, scope.to_owned());
        if let Some(layer) = self.scoped.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(layer);
        }
        let kept: Vec<&str> =
            self.features[slot].iter().filter(|(code, _)| keep(code)).map(|(_, text)| text.as_str()).collect();
        let layer = Arc::new(Layer::new("scoped", &kept)?);
        if let Ok(mut m) = self.scoped.lock() {
            m.insert(key, layer.clone());
        }
        Ok(layer)
    }
}

/// Holds the current [`MapLayers`]; a grid reload swaps in new ones with the catalog.
#[derive(Debug, Clone)]
pub struct SharedMapLayers(Arc<ArcSwap<MapLayers>>);

impl SharedMapLayers {
    /// Wraps the first layers.
    pub fn new(layers: MapLayers) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(layers)))
    }

    /// The current layers.
    pub fn load(&self) -> Arc<MapLayers> {
        self.0.load_full()
    }

    /// Replaces the layers.
    pub fn swap(&self, layers: MapLayers) {
        self.0.store(Arc::new(layers));
    }
}

/// The grids' features, each taken from `kept` if it has it.
fn grid_features(grids: &[Grid], kept: impl Fn(&Grid) -> Option<String>) -> Result<Vec<(String, String)>, MapError> {
    let mut out = Vec::with_capacity(grids.len());
    for g in grids {
        match kept(g) {
            Some(text) => out.push((g.code.clone(), text)),
            None => out.extend(features("grids", std::iter::once(g).map(|g| {
                let (label_lon, label_lat) = label(&g.geometry);
                let props = GridProps {
                    code: &g.code,
                    name: &g.name,
                    kind: g.kind.as_str(),
                    village_code: &g.village_code,
                    township_code: &g.township_code,
                    area_km2: g.area_km2,
                    label_lon,
                    label_lat,
                };
                (g.code.as_str(), props, &g.geometry)
            }))?),
        }
    }
    Ok(out)
}

fn features<'a, P: Serialize + 'a>(
    name: &'static str,
    items: impl Iterator<Item = (&'a str, P, &'a MultiPolygon<f64>)>,
) -> Result<Vec<(String, String)>, MapError> {
    items
        .map(|(code, props, geometry)| {
            let props = serde_json::to_string(&props)
                .map_err(|source| MapError::Serialize { layer: name, code: code.to_owned(), source })?;
            let id = serde_json::Value::String(code.to_owned());
            let text = format!(
                r#"{{"type":"Feature","id":{id},"properties":{props},"geometry":{}}}"#,
                multipolygon_json(geometry)
            );
            Ok((code.to_owned(), text))
        })
        .collect()
}

fn place(code: &str, name: &str, geometry: &MultiPolygon<f64>) -> Place {
    Place { code: code.to_owned(), name: name.to_owned(), bbox: bbox(geometry) }
}

/// `[min_lon, min_lat, max_lon, max_lat]` of a shape, rounded.
pub fn bbox(geometry: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    geometry.bounding_rect().map(|r| [round(r.min().x), round(r.min().y), round(r.max().x), round(r.max().y)])
}

/// A point inside the shape for its label (rounded), if it has one.
fn label(geometry: &MultiPolygon<f64>) -> (Option<f64>, Option<f64>) {
    match geometry.interior_point() {
        Some(p) => (Some(round(p.x())), Some(round(p.y()))),
        None => (None, None),
    }
}

/// `v` rounded to [`DECIMALS`] places.
pub fn round(v: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    (v * scale).round() / scale
}

/// A MultiPolygon as GeoJSON geometry text, coordinates rounded to [`DECIMALS`] places and
/// points made equal by the rounding dropped (rings keep at least 4 positions).
pub fn multipolygon_json(geometry: &MultiPolygon<f64>) -> String {
    let mut out = String::from(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, polygon) in geometry.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, ring) in std::iter::once(polygon.exterior()).chain(polygon.interiors()).enumerate() {
            if j > 0 {
                out.push(',');
            }
            ring_json(&mut out, ring);
        }
        out.push(']');
    }
    out.push_str("]}");
    out
}

fn ring_json(out: &mut String, ring: &LineString<f64>) {
    let all: Vec<(f64, f64)> = ring.coords().map(|c| (round(c.x), round(c.y))).collect();
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    for &p in &all {
        if kept.last() != Some(&p) {
            kept.push(p);
        }
    }
    let ring = if kept.len() >= 4 { kept } else { all };
    // Numbers as serde_json writes them (shortest round-trip text, a few times faster than
    // `Display`); a coordinate that is not finite (never in a stored grid) as null.
    let mut number = zmij::Buffer::new();
    let mut push = |out: &mut String, v: f64| out.push_str(if v.is_finite() { number.format_finite(v) } else { "null" });
    out.push('[');
    for (k, &(x, y)) in ring.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push('[');
        push(out, x);
        out.push(',');
        push(out, y);
        out.push(']');
    }
    out.push(']');
}

/// FNV-1a (64-bit): stable entity tags across builds and instances.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, MultiPolygon};

    use super::*;

    #[test]
    fn geometry_is_rounded_and_compact() {
        let shape = MultiPolygon(vec![polygon![
            (x: 115.1234564, y: 40.0),
            (x: 115.1234566, y: 40.0000001),
            (x: 115.2, y: 40.0),
            (x: 115.2000001, y: 40.0),
            (x: 115.2, y: 40.1),
            (x: 115.1234564, y: 40.0),
        ]]);
        let text = multipolygon_json(&shape);
        assert_eq!(text, r#"{"type":"MultiPolygon","coordinates":[[[[115.123456,40.0],[115.123457,40.0],[115.2,40.0],[115.2,40.1],[115.123456,40.0]]]]}"#);
        let parsed: geojson::Geometry = text.parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(parsed.value, geojson::Value::MultiPolygon(_)));
        // A label point lies inside.
        let (lon, lat) = label(&shape);
        assert!(lon.is_some_and(|x| x > 115.12 && x < 115.2) && lat.is_some_and(|y| y > 40.0 && y < 40.1));
    }

    #[test]
    fn layers_have_a_stable_etag_and_a_gzipped_copy() {
        let feature = [r#"{"type":"Feature"}"#];
        let a = Layer::new("t", &feature).unwrap_or_else(|e| panic!("{e}"));
        let b = Layer::new("t", &feature).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.etag, b.etag);
        assert!(a.etag.starts_with('"') && a.etag.len() == 18);
        assert_ne!(a.etag, a.gzip_etag);
        assert_ne!(Some(a.etag.clone()), Layer::new("t", &[]).ok().map(|l| l.etag));
        let mut text = String::new();
        let read = std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&a.gzip[..]), &mut text);
        assert_eq!(read.ok(), Some(a.body.len()));
        assert_eq!(text.as_bytes(), &a.body[..]);
    }
}
