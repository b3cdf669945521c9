//! Events as points for the map (heatmap, choropleth): where, what and which grid, nothing
//! personal.

use sqlx::{Postgres, QueryBuilder};
use wangge_core::event::Category;

use super::{ms, query, PgStore};
use crate::records::{EventPoint, PointFilter};
use crate::store::StoreError;

impl PgStore {
    /// Events matching the filter as points, by event id.
    pub async fn event_points(&self, f: &PointFilter) -> Result<Vec<EventPoint>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT event_id, lon, lat, category, grid_code FROM event WHERE 1 = 1");
        if !f.categories.is_empty() {
            q.push(" AND category IN (");
            let mut list = q.separated(", ");
            for c in &f.categories {
                list.push_bind(c.as_str());
            }
            q.push(")");
        }
        if let Some(from) = f.from {
            q.push(" AND reported_at >= ").push_bind(ms(from));
        }
        if let Some(to) = f.to {
            q.push(" AND reported_at < ").push_bind(ms(to));
        }
        if let Some(township) = &f.township {
            q.push(" AND township_code = ").push_bind(township.as_str());
        }
        if let Some(village) = &f.village {
            q.push(" AND village_code = ").push_bind(village.as_str());
        }
        q.push(" ORDER BY event_id");
        let rows: Vec<(String, f64, f64, String, String)> =
            q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events for the map"))?;
        rows.into_iter().map(point).collect()
    }
}

fn point((event_id, lon, lat, category, grid_code): (String, f64, f64, String, String)) -> Result<EventPoint, StoreError> {
    let category = Category::parse(&category).ok_or_else(|| StoreError::BadRow {
        table: "event",
        code: event_id,
        reason: format!("category {category:?} is not valid"),
    })?;
    Ok(EventPoint { lon, lat, category, grid_code })
}
