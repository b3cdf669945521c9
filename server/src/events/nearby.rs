//! Open events near a point: what a reporter is shown before filing (so that they can add to an
//! event instead of filing a duplicate), and what a dispatcher looks at to link duplicates.

use wangge_core::coord::metres_per_degree;
use wangge_core::event::{Category, State};
use wangge_core::patrol::distance_m;
use wangge_core::LonLat;

use crate::records::{EventFilter, EventRecord, Page};
use crate::store::{Store, StoreError};

/// The radius unless asked otherwise, in metres.
pub const DEFAULT_RADIUS_M: f64 = 200.0;

/// The widest radius, in metres.
pub const MAX_RADIUS_M: f64 = 2_000.0;

/// Most events answered, nearest first.
pub const MAX_NEARBY: usize = 20;

/// Candidates read from the store's box before the exact distance is measured.
const CANDIDATES: u32 = 500;

/// An event with its distance from the asked point.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    /// The event.
    pub event: EventRecord,
    /// Metres from the point.
    pub distance_m: f64,
}

/// The box `[min_lon, min_lat, max_lon, max_lat]` around `at` that holds every point within
/// `radius_m` of it.
pub fn search_box(at: LonLat, radius_m: f64) -> [f64; 4] {
    let (per_lon, per_lat) = metres_per_degree(at.lat);
    let (dlon, dlat) = (radius_m / per_lon, radius_m / per_lat);
    [at.lon - dlon, at.lat - dlat, at.lon + dlon, at.lat + dlat]
}

/// The open events (not closed or rated) within `radius_m` of `at`, of `category` if given,
/// that `visible` lets the caller see: nearest first, at most [`MAX_NEARBY`].
pub async fn nearby(
    store: &Store,
    at: LonLat,
    category: Option<Category>,
    radius_m: f64,
    visible: impl Fn(&EventRecord) -> bool,
) -> Result<Vec<Near>, StoreError> {
    let filter = EventFilter {
        states: vec![State::Reported, State::Assigned, State::Accepted, State::Handled, State::Returned],
        category,
        within_box: Some(search_box(at, radius_m)),
        ..EventFilter::default()
    };
    let found = store.events(&filter, Page { page: 1, per_page: CANDIDATES }).await?;
    Ok(nearest(found.items, at, radius_m, visible))
}

/// The events within `radius_m` of `at` that `visible` keeps, nearest first (ties by id), at
/// most [`MAX_NEARBY`].
fn nearest(events: Vec<EventRecord>, at: LonLat, radius_m: f64, visible: impl Fn(&EventRecord) -> bool) -> Vec<Near> {
    let mut near: Vec<Near> = events
        .into_iter()
        .filter(|e| visible(e))
        .map(|event| Near { distance_m: distance_m(at, event.location), event })
        .filter(|n| n.distance_m <= radius_m)
        .collect();
    near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.event.event_id.cmp(&b.event.event_id)));
    near.truncate(MAX_NEARBY);
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_holds_the_circle_and_not_much_more() {
        let at = LonLat { lon: 115.5, lat: 40.4 };
        let [min_lon, min_lat, max_lon, max_lat] = search_box(at, 200.0);
        let east = distance_m(at, LonLat { lon: max_lon, lat: at.lat });
        let north = distance_m(at, LonLat { lon: at.lon, lat: max_lat });
        assert!((east - 200.0).abs() < 1.0, "{east}");
        assert!((north - 200.0).abs() < 1.0, "{north}");
        assert!(min_lon < at.lon && min_lat < at.lat);
    }
}
