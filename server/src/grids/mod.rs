//! Grids (网格) and the division tree: the in-memory catalog and index served from, the county's
//! files read at first start, the map's layers, boundary drafts and their publication, the OGC
//! API – Features answers, the exported files, and swapping new grids in while serving.

pub mod bulk;
pub mod catalog;
pub mod drafts;
pub mod export;
pub mod geodata;
pub mod heat;
pub mod live;
pub mod map;
pub mod publish;
pub mod ogc;
