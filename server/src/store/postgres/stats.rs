//! Reading events with their timelines for the figures: one row per event, its actions
//! gathered by PostgreSQL into one compact JSON array (the payloads are not needed).

use sqlx::{Postgres, QueryBuilder};
use wangge_core::event::{Category, Complexity, Holder, State, Tier};

use super::{ms, query, PgStore};
use crate::records::Place;
use crate::records::{EventHistory, StatsFilter, StoredAction};
use crate::store::{parse_time, StoreError};

type ActionRow = (i64, String, String, Option<String>, Option<String>, Option<u8>);

type HistoryRow = (String, String, String, String, String, String, String, String);

impl PgStore {
    /// Events reported in the filter's period with their timelines, by event id.
    pub async fn histories(&self, f: &StatsFilter) -> Result<Vec<EventHistory>, StoreError> {
        // Each action as [seq, at, action, holder tier, holder id, score]; sessions are in UTC,
        // so `at` is RFC 3339 with offset +00:00.
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT e.event_id, e.category, e.complexity, e.state, e.grid_code, e.village_code, e.township_code,
                    (SELECT coalesce(json_agg(json_build_array(t.seq, t.at, t.action, t.holder_tier, t.holder_id,
                            CASE WHEN t.action = 'rate' THEN t.payload -> 'score' END)), '[]')::text
                       FROM event_transition t WHERE t.event_id = e.event_id AND t.action <> 'reported')
               FROM event e
              WHERE e.reported_at >= ",
        );
        q.push_bind(ms(f.from)).push(" AND e.reported_at < ").push_bind(ms(f.to));
        let eq = [("e.township_code", &f.township), ("e.village_code", &f.village), ("e.grid_code", &f.grid)];
        for (column, value) in eq {
            if let Some(v) = value {
                q.push(format_args!(" AND {column} = ")).push_bind(v.as_str());
            }
        }
        q.push(" ORDER BY e.event_id");
        let rows: Vec<HistoryRow> =
            q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events for the figures"))?;
        rows.into_iter().map(history).collect()
    }
}

fn history(row: HistoryRow) -> Result<EventHistory, StoreError> {
    let (event_id, category, complexity, state, grid, village, township, actions) = row;
    let bad = |reason: String| StoreError::BadRow { table: "event", code: event_id.clone(), reason };
    let category = Category::parse(&category).ok_or_else(|| bad(format!("category {category:?} is not valid")))?;
    let complexity = match complexity.as_str() {
        "ordinary" => Complexity::Ordinary,
        "complex" => Complexity::Complex,
        other => return Err(bad(format!("complexity {other:?} is not valid"))),
    };
    let state = State::parse(&state).ok_or_else(|| bad(format!("state {state:?} is not valid")))?;
    let mut rows: Vec<ActionRow> = serde_json::from_str(&actions).map_err(|e| bad(format!("timeline: {e}")))?;
    rows.sort_by_key(|r| r.0);
    let actions = rows
        .into_iter()
        .map(|(_, at, action, tier, id, score)| {
            let holder = match (tier.as_deref().and_then(Tier::parse), id) {
                (Some(tier), Some(id)) => Some(Holder { tier, id }),
                _ => None,
            };
            Ok(StoredAction { at: parse_time("event_transition", &event_id, &at)?, action, holder, score })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(EventHistory { event_id, category, complexity, state, place: Place { grid, village, township }, actions })
}
