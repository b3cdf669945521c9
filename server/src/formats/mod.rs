//! File and wire formats, pure codecs with budgets: well-known binary (one codec, for PostGIS
//! and GeoPackage), the GeoPackage geometry header, GeoPackage and zipped
//! Shapefile writers (the boundary exports) and readers (the planner's uploads, with GeoJSON),
//! the feature model the writers take, the small XML writer of the Open311 answers, and lists
//! as spreadsheets (XLSX and CSV, `sheet`).

pub mod export;
pub mod feature;
pub mod geometry;
pub mod gpkg;
pub mod import;
pub mod limits;
pub mod photo;
pub mod sheet;
pub mod wkb;
pub mod xml;
