//! OGC API – Features bodies (Part 1 Core + GeoJSON, Part 2 CRS): the landing page, the
//! conformance declaration, the collections, one collection, a page of items and one item.
//!
//! Own types rather than `ogcapi-types`: that crate brings `url`, `serde_with` and `geojson` into
//! the wasm frontend, and writes its members in another order. Fields are declared in
//! alphabetical order (with `serde` renames for the spec's camelCase), the order in which the
//! service has always written these bodies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A link of an OGC API resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    /// Where.
    pub href: String,
    /// The relation (`self`, `next`, `items`, …).
    pub rel: String,
    /// For people.
    pub title: String,
    /// The media type.
    #[serde(rename = "type")]
    pub media_type: String,
}

impl Link {
    /// A link to `href` with `rel`, `media_type` and `title`.
    pub fn new(href: impl Into<String>, rel: &str, media_type: &str, title: &str) -> Self {
        Self { href: href.into(), rel: rel.to_owned(), title: title.to_owned(), media_type: media_type.to_owned() }
    }
}

/// `GET /ogcapi/`: the landing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landing {
    /// What is served.
    pub description: String,
    /// To itself, the conformance declaration and the collections.
    pub links: Vec<Link>,
    /// The service's name.
    pub title: String,
}

/// `GET /ogcapi/conformance`: the conformance classes implemented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conformance {
    /// Their URIs.
    #[serde(rename = "conformsTo")]
    pub conforms_to: Vec<String>,
}

/// The spatial extent of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpatialExtent {
    /// One box, `[min lon, min lat, max lon, max lat]`.
    pub bbox: Vec<[f64; 4]>,
    /// The CRS of the box (CRS84).
    pub crs: String,
}

/// The extent of a collection (empty when it has no features).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extent {
    /// Where its features are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spatial: Option<SpatialExtent>,
}

/// `GET /ogcapi/collections/{id}`: one collection's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collection {
    /// The CRSs its features can be answered in.
    pub crs: Vec<String>,
    /// Where its features are.
    pub extent: Extent,
    /// Its id in URLs.
    pub id: String,
    /// Always `feature`.
    #[serde(rename = "itemType")]
    pub item_type: String,
    /// To itself and its items.
    pub links: Vec<Link>,
    /// The CRS its features are kept in.
    #[serde(rename = "storageCrs")]
    pub storage_crs: String,
    /// For people.
    pub title: String,
}

/// `GET /ogcapi/collections`: every collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collections {
    /// Their descriptions.
    pub collections: Vec<Collection>,
    /// The CRSs every collection can be answered in.
    pub crs: Vec<String>,
    /// To itself.
    pub links: Vec<Link>,
}

/// A GeoJSON Feature of a collection: an item, or one of a page of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feature {
    /// A GeoJSON geometry in the answer's CRS and axis order.
    pub geometry: Value,
    /// The grid or division code.
    pub id: String,
    /// To itself and its collection, when answered alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
    /// Its attributes, by the collection's field names.
    pub properties: Map<String, Value>,
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A GeoJSON FeatureCollection: a page of items (with its counts and links), or a whole
/// collection as exported (with its name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureCollection {
    /// The features.
    pub features: Vec<Feature>,
    /// `self`, `next` and `prev` of a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
    /// The collection's id, in an export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Features meeting the query, on every page.
    #[serde(rename = "numberMatched", default, skip_serializing_if = "Option::is_none")]
    pub number_matched: Option<usize>,
    /// Features on this page.
    #[serde(rename = "numberReturned", default, skip_serializing_if = "Option::is_none")]
    pub number_returned: Option<usize>,
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn members_are_written_in_the_order_of_a_sorted_map() {
        let link = Link::new("h", "self", "application/json", "t");
        let c = Collection {
            crs: vec!["a".into()],
            extent: Extent { spatial: Some(SpatialExtent { bbox: vec![[1.0, 2.0, 3.0, 4.0]], crs: "c".into() }) },
            id: "grids".into(),
            item_type: "feature".into(),
            links: vec![link.clone()],
            storage_crs: "s".into(),
            title: "t".into(),
        };
        let page = FeatureCollection {
            features: vec![Feature { geometry: Value::Null, id: "f".into(), links: Some(vec![link]), properties: Map::new(), kind: "Feature".into() }],
            links: Some(Vec::new()),
            name: None,
            number_matched: Some(1),
            number_returned: Some(1),
            kind: "FeatureCollection".into(),
        };
        for text in [serde_json::to_string(&c).unwrap(), serde_json::to_string(&page).unwrap()] {
            let sorted = serde_json::from_str::<Value>(&text).unwrap().to_string();
            assert_eq!(text, sorted);
        }
    }
}
