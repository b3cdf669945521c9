//! File and wire formats, pure codecs with budgets: well-known binary, GeoPackage and zipped
//! Shapefile writers (the boundary exports) and readers (the planner's uploads, with GeoJSON),
//! the feature model the writers take, ZIP and the small XML writer of the Open311 answers.

pub mod export;
pub mod feature;
pub mod geometry;
pub mod import;
pub mod limits;
pub mod wkb;
pub mod wkb_write;
pub mod xml;
pub mod zip;
