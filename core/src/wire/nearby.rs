//! `GET /api/v1/events/nearby`: open events around a point, nearest first.

use serde::{Deserialize, Serialize};

use super::EventView;

/// The answer: the radius searched and the open events within it, nearest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nearby {
    /// Open events within the radius, nearest first (at most 20).
    pub events: Vec<NearbyEvent>,
    /// The radius searched, in metres.
    pub radius_m: f64,
}

/// One open event and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbyEvent {
    /// Metres from the asked point.
    pub distance_m: f64,
    /// The event (personal fields masked).
    pub event: EventView,
}
