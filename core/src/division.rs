//! Divisions (county → township 乡镇 → village 村 / community 社区) and the grids (网格) inside them.

use serde::{Deserialize, Serialize};

/// What kind of grid a grid is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// 社区网格 — a grid of an urban community.
    Community,
    /// 农村网格 — a grid of a rural village.
    Rural,
    /// 驻街单位 — an institution or enterprise nested inside a community grid.
    StreetUnit,
}

impl GridKind {
    /// The stable wire name (`community`, `rural`, `street_unit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Rural => "rural",
            Self::StreetUnit => "street_unit",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "community" => Some(Self::Community),
            "rural" => Some(Self::Rural),
            "street_unit" => Some(Self::StreetUnit),
            _ => None,
        }
    }

    /// Street-unit grids overlay the tiling grids; the others tile the county.
    pub fn is_overlay(self) -> bool {
        self == Self::StreetUnit
    }
}

/// A division named by its official code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisionRef {
    /// Official statistical division code (9 digits for a township, 12 for a village).
    pub code: String,
    /// Official name.
    pub name: String,
}

/// A grid's attributes, as the index answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRecord {
    /// Grid code: the 12-digit village code plus 3 digits (street units: `Z` + 2 digits).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Community, rural or street unit.
    pub kind: GridKind,
    /// The village or community the grid belongs to.
    pub village: DivisionRef,
    /// The township the grid belongs to.
    pub township: DivisionRef,
}
