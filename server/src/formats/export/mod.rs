//! Writers of the boundary exports: GeoPackage and zipped Shapefile. GeoJSON comes straight
//! from [`crate::grids::ogc::feature_collection`].

pub mod gpkg;
pub mod shp;
