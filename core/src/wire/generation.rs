//! The boundary generations' history: `GET /api/v1/generations` and
//! `GET /api/v1/grids/{code}/history`. Fields in name order (the order the answers have always
//! had).

use serde::{Deserialize, Serialize};

use super::draft::GridFeature;

/// `GET /api/v1/generations`: every published generation the caller's area covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generations {
    /// Newest first.
    pub generations: Vec<Generation>,
}

/// One published generation (边界版本).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Generation {
    /// The redrawn area's code.
    pub area: String,
    /// 1, 2, … (0 is the loaded dataset).
    pub generation: i64,
    /// Grids in the area after it.
    pub grids_after: i64,
    /// Grids in the area before it.
    pub grids_before: i64,
    /// The planner's note.
    pub note: String,
    /// When (RFC 3339).
    pub published_at: String,
    /// Who.
    pub published_by: String,
    /// Open events moved to another grid by it.
    pub reassigned: i64,
}

/// `GET /api/v1/grids/{code}/history`: every version of a grid, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridHistory {
    /// The grid's code.
    pub code: String,
    /// Its versions, oldest first.
    pub versions: Vec<GridVersionView>,
}

/// One version of a grid and the generations that made and retired it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridVersionView {
    /// The grid as it was.
    pub feature: GridFeature,
    /// The note of the generation that made it (none for the loaded dataset).
    pub note: Option<String>,
    /// When that generation was published.
    pub published_at: Option<String>,
    /// Who published it.
    pub published_by: Option<String>,
    /// When the generation that replaced it was published.
    pub retired_at: Option<String>,
    /// The generation that made it.
    pub valid_from: i64,
    /// The generation that replaced it, if any.
    pub valid_to: Option<i64>,
}
