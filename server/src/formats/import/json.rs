//! GeoJSON files, parsed straight into shapes: the [`Budget`] counts every feature, position
//! and ring as it is read, only the property names the draft uses are kept (anything else is
//! skipped unread), and nesting deeper than serde_json's recursion limit is refused by it.

use std::fmt;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use wangge_core::coord::Crs;
use wangge_core::wire::draft::GridFeature;

use super::{choose, feature, from_epsg, unreadable, Budget, ImportError, PROPERTY_NAMES};

/// The budget, and the budget's own error when it stopped the parse (serde carries only text).
struct Reading<'b> {
    budget: &'b mut Budget,
    stop: Option<ImportError>,
}

impl Reading<'_> {
    fn take<E: de::Error>(&mut self, spend: impl FnOnce(&mut Budget) -> Result<(), ImportError>) -> Result<(), E> {
        spend(self.budget).map_err(|e| {
            let text = e.to_string();
            self.stop = Some(e);
            E::custom(text)
        })
    }
}

/// The features of a GeoJSON FeatureCollection and its coordinate system.
pub(super) fn read(bytes: &[u8], asked: Option<Crs>, budget: &mut Budget) -> Result<(Vec<GridFeature>, Crs), ImportError> {
    let bad = unreadable("GeoJSON");
    let mut reading = Reading { budget, stop: None };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = FileSeed(&mut reading).deserialize(&mut de).and_then(|f| de.end().map(|()| f));
    let file = match parsed {
        Ok(file) => file,
        Err(e) => return Err(reading.stop.take().unwrap_or_else(|| bad(e.to_string()))),
    };
    let file_crs = file.crs.map(|name| from_epsg(&name)).transpose()?;
    let crs = choose(file_crs, asked)?;
    let features = file.features.ok_or_else(|| bad("no features array".into()))?;
    let out = features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let shape = f.geometry.ok_or_else(|| bad(format!("feature {i} has no geometry")))?;
            Ok(feature(&f.fields, &shape, crs))
        })
        .collect::<Result<Vec<_>, ImportError>>()?;
    Ok((out, crs))
}

/// What is kept of the file.
struct File {
    features: Option<Vec<Feature>>,
    crs: Option<String>,
}

/// What is kept of a feature.
struct Feature {
    fields: Map<String, Value>,
    geometry: Option<MultiPolygon<f64>>,
}

/// The old-style `"crs": {"properties": {"name": ...}}` member.
#[derive(Deserialize)]
struct NamedCrs {
    properties: Option<CrsName>,
}

#[derive(Deserialize)]
struct CrsName {
    name: Option<String>,
}

struct FileSeed<'r, 'b>(&'r mut Reading<'b>);

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = File;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<File, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = File;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<File, A::Error> {
        let mut file = File { features: None, crs: None };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "features" => file.features = Some(map.next_value_seed(FeaturesSeed(&mut *self.0))?),
                "crs" => file.crs = map.next_value::<Option<NamedCrs>>()?.and_then(|c| c.properties).and_then(|p| p.name),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(file)
    }
}

struct FeaturesSeed<'r, 'b>(&'r mut Reading<'b>);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = Vec<Feature>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Feature>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = Vec<Feature>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Feature>, A::Error> {
        let mut out = Vec::new();
        while let Some(f) = seq.next_element_seed(FeatureSeed(&mut *self.0))? {
            out.push(f);
        }
        Ok(out)
    }
}

struct FeatureSeed<'r, 'b>(&'r mut Reading<'b>);

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_, '_> {
    type Value = Feature;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Feature, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_, '_> {
    type Value = Feature;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Feature, A::Error> {
        self.0.take(Budget::feature)?;
        let mut out = Feature { fields: Map::new(), geometry: None };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "properties" => out.fields = map.next_value::<Option<Fields>>()?.map(|f| f.0).unwrap_or_default(),
                "geometry" => out.geometry = map.next_value_seed(GeometrySeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// The properties the draft reads; the others are skipped.
struct Fields(Map<String, Value>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if PROPERTY_NAMES.contains(&key.as_str()) {
                        out.insert(key, map.next_value::<Scalar>()?.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A property's value if it is a string, number or boolean; null for anything else.
struct Scalar(Value);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Value::String(v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(Value::Null))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

struct GeometrySeed<'r, 'b>(&'r mut Reading<'b>);

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_, '_> {
    type Value = Option<MultiPolygon<f64>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_, '_> {
    type Value = Option<MultiPolygon<f64>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Polygon or MultiPolygon")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut coords) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value::<String>()?),
                "coordinates" => coords = Some(map.next_value_seed(NestedSeed { reading: &mut *self.0, depth: 1 })?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let coords = coords.ok_or_else(|| de::Error::custom("the geometry has no coordinates"))?;
        shape(kind.as_deref().unwrap_or_default(), coords).map(Some).map_err(de::Error::custom)
    }
}

/// Nested coordinate arrays: positions, or lists of them (rings, polygons, parts).
enum Nested {
    Position(Coord<f64>),
    List(Vec<Nested>),
}

/// A MultiPolygon's positions are four arrays deep.
const MAX_DEPTH: usize = 4;

struct NestedSeed<'r, 'b> {
    reading: &'r mut Reading<'b>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NestedSeed<'_, '_> {
    type Value = Nested;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Nested, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for NestedSeed<'_, '_> {
    type Value = Nested;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
        if self.depth > MAX_DEPTH {
            return Err(de::Error::custom("coordinates are nested deeper than a MultiPolygon's"));
        }
        let (mut numbers, mut xy, mut items) = (0usize, [0.0; 2], Vec::new());
        while let Some(e) = seq.next_element_seed(ElementSeed { reading: &mut *self.reading, depth: self.depth + 1 })? {
            match e {
                Element::Number(v) if items.is_empty() && numbers < 4 => {
                    if let Some(slot) = xy.get_mut(numbers) {
                        *slot = v;
                    }
                    numbers += 1;
                }
                Element::List(n) if numbers == 0 => items.push(n),
                _ => return Err(de::Error::custom("a position is not [lon, lat] (or [lon, lat, z, m])")),
            }
        }
        self.reading.take(|b| b.points(1))?;
        match numbers {
            0 => Ok(Nested::List(items)),
            1 => Err(de::Error::custom("a position is not [lon, lat]")),
            _ => Ok(Nested::Position(Coord { x: xy[0], y: xy[1] })),
        }
    }
}

/// One element of a coordinate array: a number, or a deeper array.
enum Element {
    Number(f64),
    List(Nested),
}

struct ElementSeed<'r, 'b> {
    reading: &'r mut Reading<'b>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_> {
    type Value = Element;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Element, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_> {
    type Value = Element;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a finite number or an array of coordinates")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
        if v.is_finite() {
            Ok(Element::Number(v))
        } else {
            Err(E::custom(format!("a coordinate is not a finite number: {v}")))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(Element::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        NestedSeed { reading: self.reading, depth: self.depth }.visit_seq(seq).map(Element::List)
    }
}

/// The shape of a Polygon or MultiPolygon from its coordinates.
fn shape(kind: &str, coords: Nested) -> Result<MultiPolygon<f64>, String> {
    match kind {
        "Polygon" => Ok(MultiPolygon(vec![polygon(coords)?])),
        "MultiPolygon" => Ok(MultiPolygon(list(coords, "a MultiPolygon")?.into_iter().map(polygon).collect::<Result<_, _>>()?)),
        other => Err(format!("the geometry must be a Polygon or MultiPolygon, got {:?}", other.chars().take(40).collect::<String>())),
    }
}

fn list(n: Nested, what: &str) -> Result<Vec<Nested>, String> {
    match n {
        Nested::List(items) => Ok(items),
        Nested::Position(_) => Err(format!("{what} is a single position")),
    }
}

fn polygon(n: Nested) -> Result<Polygon<f64>, String> {
    let mut rings = list(n, "a polygon")?.into_iter().map(ring);
    let shell = rings.next().ok_or("a polygon has no ring")??;
    Ok(Polygon::new(shell, rings.collect::<Result<_, _>>()?))
}

fn ring(n: Nested) -> Result<LineString<f64>, String> {
    list(n, "a ring")?
        .into_iter()
        .map(|p| match p {
            Nested::Position(c) => Ok(c),
            Nested::List(_) => Err("a ring holds arrays, not positions".to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(LineString)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<(Vec<GridFeature>, Crs), ImportError> {
        read(text.as_bytes(), None, &mut Budget::new())
    }

    #[test]
    fn reads_polygons_and_multipolygons_with_the_draft_properties() {
        let text = r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
            "features": [
              {"type": "Feature", "properties": {"CODE": 130730100201001, "name": " 沙城 ", "extra": [[1, 2]]},
               "geometry": {"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]], "type": "Polygon"}},
              {"type": "Feature", "properties": null,
               "geometry": {"type": "MultiPolygon", "coordinates": [[[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]]]}}]}"#;
        let (features, crs) = read_text(text).expect("reads");
        assert_eq!(crs, Crs::Cgcs2000);
        assert_eq!(features[0].code(), "130730100201001");
        assert_eq!(features[0].props().name.as_deref(), Some("沙城"));
        assert_eq!(features[0].geometry["coordinates"][0][0][1], serde_json::json!([1.0, 0.0]));
        assert_eq!(features[1].geometry["type"], "MultiPolygon");
    }

    #[test]
    fn refuses_non_finite_deep_and_malformed_coordinates() {
        let with = |coords: &str| format!(r#"{{"features": [{{"geometry": {{"type": "Polygon", "coordinates": {coords}}}}}]}}"#);
        for coords in ["[[[1e400, 0], [1, 0], [1, 1], [0, 0]]]", r#"[[["NaN", 0], [1, 0]]]"#, "[[[0], [1, 0]]]", "[[[[[[0, 0]]]]]]", "[[[0, 0], [[1, 0]]]]"] {
            assert!(matches!(read_text(&with(coords)), Err(ImportError::Unreadable { .. })), "{coords}");
        }
        // Deep nesting: refused as coordinates, as the file, and skipped unread in properties.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(read_text(&with(&deep)).unwrap_err().to_string().contains("deeper than a MultiPolygon"));
        assert!(matches!(read_text(&deep), Err(ImportError::Unreadable { .. })));
        let nested = read_text(&format!(r#"{{"features": [{{"properties": {{"code": {deep}, "x": {deep}}}}}]}}"#));
        assert!(nested.unwrap_err().to_string().contains("no geometry"));
    }

    #[test]
    fn the_coordinate_budget_stops_the_parse() {
        let ring = "[0, 0],".repeat(super::super::MAX_POINTS);
        let text = format!(r#"{{"features": [{{"geometry": {{"type": "Polygon", "coordinates": [[{ring} [0, 0]]]}}}}]}}"#);
        assert!(matches!(read_text(&text), Err(ImportError::OverBudget(_))));
    }
}
