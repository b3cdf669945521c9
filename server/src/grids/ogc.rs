//! OGC API – Features, pure: the collections, their features and fields, CRS and axis order,
//! the items query (bbox, limit, offset) and the response bodies.
//!
//! Features come from the current boundaries; a boundary generation can be added later as one
//! more field of [`ItemsQuery`] and of the routes without changing the bodies built here.

use geo::MapCoords;
use geo_types::{coord, Rect};
use serde_json::{Map, Value};
use wangge_core::wire::ogc::{Collection, Extent, Feature, FeatureCollection, Link, SpatialExtent};

use crate::records::{Grid, Township, Village};
use crate::formats::feature::{extent, Field, FieldKind, FieldValue, OgcFeature};

/// `http://www.opengis.net/def/crs/OGC/1.3/CRS84`: WGS 84 longitude/latitude, the default.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// `http://www.opengis.net/def/crs/EPSG/0/4490`: CGCS2000, latitude/longitude axis order.
pub const EPSG_4490: &str = "http://www.opengis.net/def/crs/EPSG/0/4490";
/// Items per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// Most items per page.
pub const MAX_LIMIT: usize = 10_000;

/// The conformance classes implemented: Part 1 Core and GeoJSON, Part 2 CRS by reference.
pub const CONFORMANCE: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    // The API definition at `service-desc` (`/api/v1/openapi.json`).
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// A bad request parameter, answered as the spec's JSON exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidParameter(pub String);

/// One of the served collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionId {
    /// 网格 — grids.
    Grids,
    /// 村 / 社区 — villages and communities.
    Villages,
    /// 乡镇 — townships.
    Townships,
}

impl CollectionId {
    /// All collections, in listing order.
    pub const ALL: [Self; 3] = [Self::Grids, Self::Villages, Self::Townships];

    /// The collection with this id.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == id)
    }

    /// The id in URLs and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grids => "grids",
            Self::Villages => "villages",
            Self::Townships => "townships",
        }
    }

    /// A human title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Grids => "Grids (网格) of Huailai County",
            Self::Villages => "Villages and communities (村/社区) of Huailai County",
            Self::Townships => "Townships (乡镇) of Huailai County",
        }
    }

    /// The attribute fields of the collection's features, in order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Grids => &GRID_FIELDS,
            Self::Villages => &VILLAGE_FIELDS,
            Self::Townships => &TOWNSHIP_FIELDS,
        }
    }
}

const fn text(name: &'static str, dbf_name: &'static str) -> Field {
    Field { name, dbf_name, kind: FieldKind::Text }
}

const AREA: Field = Field { name: "area_km2", dbf_name: "area_km2", kind: FieldKind::Real };

const GRID_FIELDS: [Field; 9] = [
    text("code", "code"),
    text("name", "name"),
    text("kind", "kind"),
    text("village_code", "vill_code"),
    text("village_name", "vill_name"),
    text("township_code", "town_code"),
    text("township_name", "town_name"),
    text("parent_grid", "parent"),
    AREA,
];
const VILLAGE_FIELDS: [Field; 5] =
    [text("code", "code"), text("name", "name"), text("kind", "kind"), text("township_code", "town_code"), AREA];
const TOWNSHIP_FIELDS: [Field; 3] = [text("code", "code"), text("name", "name"), AREA];

impl OgcFeature {
    /// A grid as a feature.
    pub fn grid(g: &Grid) -> Self {
        let t = |s: &str| FieldValue::Text(Some(s.to_owned()));
        let values = vec![
            t(&g.code),
            t(&g.name),
            t(g.kind.as_str()),
            t(&g.village_code),
            t(&g.village_name),
            t(&g.township_code),
            t(&g.township_name),
            FieldValue::Text(g.parent_grid.clone()),
            FieldValue::Real(g.area_km2),
        ];
        Self::new(&g.code, values, &g.geometry)
    }

    /// A village as a feature.
    pub fn village(v: &Village) -> Self {
        let t = |s: &str| FieldValue::Text(Some(s.to_owned()));
        let values = vec![t(&v.code), t(&v.name), t(v.kind.as_str()), t(&v.township_code), FieldValue::Real(v.area_km2)];
        Self::new(&v.code, values, &v.geometry)
    }

    /// A township as a feature.
    pub fn township(t: &Township) -> Self {
        let values =
            vec![FieldValue::Text(Some(t.code.clone())), FieldValue::Text(Some(t.name.clone())), FieldValue::Real(t.area_km2)];
        Self::new(&t.code, values, &t.geometry)
    }

    /// The GeoJSON Feature in `crs` (full precision).
    pub fn to_json(&self, collection: CollectionId, crs: Crs) -> Feature {
        let properties: Map<String, Value> =
            collection.fields().iter().zip(&self.values).map(|(f, v)| (f.name.to_owned(), v.json())).collect();
        let geometry = match crs {
            Crs::Crs84 => geojson::Value::from(&self.geometry),
            Crs::Epsg4490 => geojson::Value::from(&self.geometry.map_coords(|c| coord! { x: c.y, y: c.x })),
        };
        Feature {
            geometry: serde_json::to_value(geojson::Geometry::new(geometry)).unwrap_or_default(),
            id: self.id.clone(),
            links: None,
            properties,
            kind: "Feature".to_owned(),
        }
    }
}

/// A coordinate reference system the features can be answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// OGC CRS84: longitude, latitude.
    Crs84,
    /// EPSG:4490 (CGCS2000): latitude, longitude.
    Epsg4490,
}

impl Crs {
    /// The CRS named by `uri` (its URI, or the CURIE `[EPSG:4490]` / `[OGC:CRS84]`).
    pub fn parse(what: &str, uri: &str) -> Result<Self, InvalidParameter> {
        match uri.trim() {
            CRS84 | "[OGC:CRS84]" => Ok(Self::Crs84),
            EPSG_4490 | "[EPSG:4490]" => Ok(Self::Epsg4490),
            other => Err(InvalidParameter(format!("{what} must be {CRS84} or {EPSG_4490}, got {other:?}"))),
        }
    }

    /// Its URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Crs84 => CRS84,
            Self::Epsg4490 => EPSG_4490,
        }
    }
}

/// The parameters of an items request.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// Only features meeting this box (longitude/latitude, whatever `bbox-crs` was).
    pub bbox: Option<Rect<f64>>,
    /// Page size.
    pub limit: usize,
    /// Features skipped.
    pub offset: usize,
    /// The CRS of the answer.
    pub crs: Crs,
    /// The parameters as given (minus `offset`), for the paging links.
    pub echo: Vec<(String, String)>,
}

impl ItemsQuery {
    /// Parses `bbox`, `bbox-crs`, `limit`, `offset`, `crs` and `f` (`json` only); anything else
    /// is refused, as the spec asks.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, InvalidParameter> {
        let mut seen = std::collections::HashSet::new();
        for (k, _) in pairs {
            if !["bbox", "bbox-crs", "limit", "offset", "crs", "f"].contains(&k.as_str()) {
                return Err(InvalidParameter(format!(
                    "unknown parameter {k:?}; items accept bbox, bbox-crs, limit, offset, crs and f"
                )));
            }
            if !seen.insert(k.as_str()) {
                return Err(InvalidParameter(format!("parameter {k:?} is given more than once")));
            }
        }
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        check_format(get("f"))?;
        let crs = get("crs").map(|c| Crs::parse("crs", c)).transpose()?.unwrap_or(Crs::Crs84);
        let bbox_crs = get("bbox-crs").map(|c| Crs::parse("bbox-crs", c)).transpose()?.unwrap_or(Crs::Crs84);
        if get("bbox-crs").is_some() && get("bbox").is_none() {
            return Err(InvalidParameter("bbox-crs is given without bbox".into()));
        }
        let bbox = get("bbox").map(|b| parse_bbox(b, bbox_crs)).transpose()?;
        let limit = number("limit", get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        let offset = number("offset", get("offset"), 0, 0, usize::MAX)?;
        let echo = pairs.iter().filter(|(k, _)| k != "offset").cloned().collect();
        Ok(Self { bbox, limit, offset, crs, echo })
    }
}

/// `f`: only `json` (or nothing) is served.
pub fn check_format(f: Option<&str>) -> Result<(), InvalidParameter> {
    match f {
        None | Some("json") => Ok(()),
        Some(other) => Err(InvalidParameter(format!("f must be json (the only format served), got {other:?}"))),
    }
}

fn number(what: &str, text: Option<&str>, default: usize, min: usize, max: usize) -> Result<usize, InvalidParameter> {
    let Some(text) = text else { return Ok(default) };
    text.parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| InvalidParameter(format!("{what} must be a whole number from {min} to {max}, got {text:?}")))
}

/// `minx,miny,maxx,maxy` (or with heights, ignored) in `crs` axis order, as a
/// longitude/latitude box.
pub fn parse_bbox(text: &str, crs: Crs) -> Result<Rect<f64>, InvalidParameter> {
    let bad = |why: &str| {
        InvalidParameter(format!(
            "bbox must be 4 (or 6) comma-separated numbers, lower corner first, in {} axis order; {why}, got {text:?}",
            if crs == Crs::Crs84 { "longitude/latitude" } else { "latitude/longitude (EPSG:4490)" }
        ))
    };
    let n: Vec<f64> = text.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad("not a number"))?;
    let (a0, a1, b0, b1) = match n[..] {
        [a0, a1, b0, b1] | [a0, a1, _, b0, b1, _] => (a0, a1, b0, b1),
        _ => return Err(bad("wrong count")),
    };
    if !n.iter().all(|v| v.is_finite()) {
        return Err(bad("not finite"));
    }
    let (min_lon, min_lat, max_lon, max_lat) = match crs {
        Crs::Crs84 => (a0, a1, b0, b1),
        Crs::Epsg4490 => (a1, a0, b1, b0),
    };
    if min_lon > max_lon || min_lat > max_lat {
        return Err(bad("the lower corner is above or right of the upper one"));
    }
    if min_lat < -90.0 || max_lat > 90.0 || min_lon < -180.0 || max_lon > 180.0 {
        return Err(bad("outside the world"));
    }
    Ok(Rect::new(coord! { x: min_lon, y: min_lat }, coord! { x: max_lon, y: max_lat }))
}


/// One page of an items request, as a GeoJSON FeatureCollection with `numberMatched`,
/// `numberReturned` and `self`/`next`/`prev` links (`items_url` is the absolute items URL).
pub fn items_page(collection: CollectionId, features: &[OgcFeature], q: &ItemsQuery, items_url: &str) -> FeatureCollection {
    let matched: Vec<&OgcFeature> = features.iter().filter(|f| q.bbox.is_none_or(|b| f.intersects(&b))).collect();
    let page: Vec<Feature> = matched.iter().skip(q.offset).take(q.limit).map(|f| f.to_json(collection, q.crs)).collect();
    let link = |rel: &str, offset: usize| {
        let mut pairs = q.echo.clone();
        if offset > 0 {
            pairs.push(("offset".into(), offset.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let href = if query.is_empty() { items_url.to_owned() } else { format!("{items_url}?{query}") };
        Link::new(href, rel, "application/geo+json", rel)
    };
    let mut links = vec![link("self", q.offset)];
    if q.offset + page.len() < matched.len() {
        links.push(link("next", q.offset + page.len()));
    }
    if q.offset > 0 {
        links.push(link("prev", q.offset.saturating_sub(q.limit)));
    }
    FeatureCollection {
        number_matched: Some(matched.len()),
        number_returned: Some(page.len()),
        links: Some(links),
        features: page,
        name: None,
        kind: "FeatureCollection".to_owned(),
    }
}

/// All `features` as a plain GeoJSON FeatureCollection in CRS84 (full precision).
pub fn feature_collection(collection: CollectionId, features: &[OgcFeature]) -> FeatureCollection {
    FeatureCollection {
        features: features.iter().map(|f| f.to_json(collection, Crs::Crs84)).collect(),
        links: None,
        name: Some(collection.as_str().to_owned()),
        number_matched: None,
        number_returned: None,
        kind: "FeatureCollection".to_owned(),
    }
}

/// The collection's description: extent (CRS84), CRS list, storage CRS and links.
pub fn collection(collection: CollectionId, features: &[OgcFeature], base: &str) -> Collection {
    let id = collection.as_str();
    Collection {
        crs: vec![CRS84.to_owned(), EPSG_4490.to_owned()],
        extent: Extent { spatial: extent(features).map(|bbox| SpatialExtent { bbox: vec![bbox], crs: CRS84.to_owned() }) },
        id: id.to_owned(),
        item_type: "feature".to_owned(),
        links: vec![
            Link::new(format!("{base}/collections/{id}"), "self", "application/json", "this collection"),
            Link::new(format!("{base}/collections/{id}/items"), "items", "application/geo+json", "its features"),
        ],
        storage_crs: EPSG_4490.to_owned(),
        title: collection.title().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo_types::MultiPolygon;
    use geo_types::polygon;
    use serde_json::json;

    fn square(id: &str, x: f64, y: f64) -> OgcFeature {
        let p = polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0), (x: x, y: y)];
        let values = vec![FieldValue::Text(Some(id.into())), FieldValue::Text(Some("名".into())), FieldValue::Real(1.5)];
        OgcFeature::new(id, values, &MultiPolygon(vec![p]))
    }

    fn query(pairs: &[(&str, &str)]) -> Result<ItemsQuery, InvalidParameter> {
        ItemsQuery::parse(&pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>())
    }

    #[test]
    fn bbox_in_epsg_4490_is_latitude_first() {
        let lonlat = parse_bbox("115,40,116,41", Crs::Crs84).unwrap();
        assert_eq!(parse_bbox("40,115,41,116", Crs::Epsg4490).unwrap(), lonlat);
        assert!(parse_bbox("115,40,116,41", Crs::Epsg4490).is_err(), "latitude 115 is out of range");
        for bad in ["1,2,3", "a,b,c,d", "3,0,1,1", "NaN,0,1,1", "0,0,1,1,2"] {
            assert!(parse_bbox(bad, Crs::Crs84).is_err(), "{bad}");
        }
    }

    #[test]
    fn items_query_defaults_limits_and_refusals() {
        let q = query(&[]).unwrap();
        assert_eq!((q.limit, q.offset, q.crs, q.bbox), (DEFAULT_LIMIT, 0, Crs::Crs84, None));
        assert_eq!(query(&[("crs", EPSG_4490), ("limit", "10000")]).unwrap().crs, Crs::Epsg4490);
        for bad in [("limit", "0"), ("limit", "10001"), ("offset", "-1"), ("crs", "EPSG:4326"), ("f", "html"), ("x", "1")] {
            assert!(query(&[bad]).is_err(), "{bad:?}");
        }
        assert!(query(&[("bbox-crs", EPSG_4490)]).is_err());
        assert!(query(&[("limit", "1"), ("limit", "2")]).is_err());
    }

    #[test]
    fn pages_link_to_the_next_and_previous_ones() {
        let features: Vec<OgcFeature> = (0..5).map(|i| square(&format!("f{i}"), f64::from(i) * 2.0, 0.0)).collect();
        let q = query(&[("limit", "2"), ("offset", "2")]).unwrap();
        let page = serde_json::to_value(items_page(CollectionId::Townships, &features, &q, "http://h/items")).unwrap();
        assert_eq!(page["numberMatched"], 5);
        assert_eq!(page["numberReturned"], 2);
        assert_eq!(page["features"][0]["id"], "f2");
        let rels: Vec<(&str, &str)> = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rels,
            [
                ("self", "http://h/items?limit=2&offset=2"),
                ("next", "http://h/items?limit=2&offset=4"),
                ("prev", "http://h/items?limit=2")
            ]
        );
        let q = query(&[("bbox", "2.5,0.5,2.6,0.6")]).unwrap();
        let page = serde_json::to_value(items_page(CollectionId::Townships, &features, &q, "http://h/items")).unwrap();
        assert_eq!((page["numberMatched"].as_u64(), page["features"][0]["id"].as_str()), (Some(1), Some("f1")));
    }

    #[test]
    fn epsg_4490_swaps_axes_and_keeps_full_precision() {
        let f = square("a", 115.123456789012, 40.987654321098);
        let lonlat = serde_json::to_value(f.to_json(CollectionId::Townships, Crs::Crs84)).unwrap();
        let latlon = serde_json::to_value(f.to_json(CollectionId::Townships, Crs::Epsg4490)).unwrap();
        assert_eq!(lonlat["geometry"]["coordinates"][0][0][0], json!([115.123456789012, 40.987654321098]));
        assert_eq!(latlon["geometry"]["coordinates"][0][0][0], json!([40.987654321098, 115.123456789012]));
        assert_eq!(lonlat["properties"], json!({ "code": "a", "name": "名", "area_km2": 1.5 }));
    }
}
