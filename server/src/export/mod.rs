//! Writers of the boundary exports: GeoPackage, zipped Shapefile (and the WKB and ZIP pieces
//! they are made of). GeoJSON comes straight from [`crate::ogc::feature_collection`].

pub mod gpkg;
pub mod shp;
pub mod wkb;
pub mod zip;
