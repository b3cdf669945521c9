//! Events as points on the map: where, what, which grid.

use chrono::{DateTime, Utc};
use wangge_core::event::Category;

/// Which events a heatmap or choropleth counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointFilter {
    /// Any of these categories (none: every category).
    pub categories: Vec<Category>,
    /// Reported at or after.
    pub from: Option<DateTime<Utc>>,
    /// Reported before.
    pub to: Option<DateTime<Utc>>,
    /// In this township.
    pub township: Option<String>,
    /// In this village or community.
    pub village: Option<String>,
}

/// One event as the map needs it: where, what and which grid.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPoint {
    /// Longitude, CGCS2000.
    pub lon: f64,
    /// Latitude, CGCS2000.
    pub lat: f64,
    /// Category.
    pub category: Category,
    /// The grid it was reported in.
    pub grid_code: String,
}
