//! What a publication of redrawn grids writes, and the generations and versions it leaves.

use crate::records::Grid;
use crate::records::TransitionWrite;

/// One publication: the area's changed and removed grids, and the open events it moves, all
/// written in one transaction.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The village or township redrawn.
    pub area_code: String,
    /// The generation the draft started from: a later publication touching the same area is a
    /// conflict.
    pub base_generation: i64,
    /// Who publishes.
    pub published_by: String,
    /// Why.
    pub note: String,
    /// When (µs).
    pub at_us: i64,
    /// Grids of the area before (current versions).
    pub grids_before: usize,
    /// Grids of the area after.
    pub grids_after: usize,
    /// The old versions of grids changed or removed (to close in the history).
    pub retired: Vec<Grid>,
    /// New or changed grids (written as current).
    pub written: Vec<Grid>,
    /// Open events moved to the grid that now covers them, each with its timeline row.
    pub moves: Vec<TransitionWrite>,
    /// Every binding (person id, grid code) to a grid of the area after publishing: the
    /// area's bindings are replaced by these.
    pub bindings: Vec<(String, String)>,
    /// Registry records and special-group memberships of the area whose grid changed.
    pub registry_moves: Vec<crate::records::RegistryMove>,
}

/// A published generation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GenerationRecord {
    /// Its number (from 1; 0 is the loaded dataset).
    pub generation: i64,
    /// The village or township redrawn.
    pub area_code: String,
    /// When (µs).
    pub published_us: i64,
    /// Who.
    pub published_by: String,
    /// Why.
    pub note: String,
    /// Grids of the area before and after.
    pub grids_before: i64,
    /// Grids of the area after.
    pub grids_after: i64,
    /// Open events moved.
    pub reassigned: i64,
}

/// One version of a grid: valid from a generation until another (or still).
#[derive(Debug, Clone, PartialEq)]
pub struct GridVersion {
    /// First generation it was current in.
    pub valid_from: i64,
    /// The generation that replaced it, if any.
    pub valid_to: Option<i64>,
    /// The grid as it was.
    pub grid: Grid,
}
