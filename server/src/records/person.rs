//! People (人) and the functional departments (职能部门) as the service keeps them, and the
//! filters of the people list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wangge_core::people::{Person, Role};

/// A person with the times of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The person.
    pub person: Person,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// People-list filters; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFilter {
    /// This role.
    pub role: Option<Role>,
    /// Belonging to, or bound to a grid in, this township (code prefix).
    pub township: Option<String>,
    /// Belonging to, or bound to a grid in, this village (code prefix).
    pub village: Option<String>,
    /// Bound to this grid.
    pub grid: Option<String>,
    /// Belonging to this division (unit code prefix): the caller's jurisdiction, applied in
    /// the query so that totals count only what the caller may see.
    pub within: Option<String>,
}

/// 职能部门 — a functional department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Department {
    /// Stable code (`water`, `power`, …).
    pub code: String,
    /// Chinese name.
    pub name: String,
}
