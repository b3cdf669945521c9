//! The registry's JSON answers: a record flattened as it was written (its personal fields
//! masked), and an area's summary with the collection rate (信息动态采集率).

use serde::Serialize;
use serde_json::{Map, Value};
use wangge_core::registry::Entity;

use crate::records::{time_text, RegistryCount, RegistryRecord};

/// A record as answered: its fields at the top level as in the request that wrote it (a
/// personal field masked), with its id, kind, division, grid, point, links and times.
pub fn record_view(r: &RegistryRecord) -> Value {
    let mut out = Map::new();
    for (k, v) in r.fields.iter().chain(&r.masked) {
        out.insert(k.clone(), Value::String(v.clone()));
    }
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_owned(), v);
    };
    put("id", r.record_id.clone().into());
    put("entity", r.entity.as_str().into());
    put("township_code", r.township_code.clone().into());
    put("village_code", r.village_code.clone().into());
    put("grid_code", r.grid_code.clone().map_or(Value::Null, Value::String));
    put("lon", r.point.map_or(Value::Null, |p| p.lon.into()));
    put("lat", r.point.map_or(Value::Null, |p| p.lat.into()));
    put("house_id", r.house_id.clone().map_or(Value::Null, Value::String));
    put("household_id", r.household_id.clone().map_or(Value::Null, Value::String));
    put("masked", Value::Array(r.masked.keys().cloned().map(Value::String).collect()));
    put("verified_at", time_text(r.verified_at).into());
    put("verified_by", r.verified_by.clone().into());
    put("created_at", time_text(r.created_at).into());
    put("updated_at", time_text(r.updated_at).into());
    Value::Object(out)
}

/// `GET /api/v1/registry/summary`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// People (实有人口).
    pub people: i64,
    /// Households.
    pub households: i64,
    /// Houses.
    pub houses: i64,
    /// Organisations.
    pub organisations: i64,
    /// Places.
    pub places: i64,
    /// Per kind, records by type.
    pub by_type: serde_json::Map<String, Value>,
    /// Special-group members by group, their `total` and the `overdue` follow-ups: counts
    /// only (who they are needs `read_special_groups`).
    pub special_groups: serde_json::Map<String, Value>,
    /// Records collected or re-verified within the period / all records (null when none).
    pub collection_rate: Option<f64>,
    /// The rate's parts.
    pub collection: Collection,
}

/// The parts of the collection rate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Collection {
    /// The period the county sets, in days.
    pub period_days: u32,
    /// Records of every kind in the area.
    pub records: i64,
    /// Of which collected or re-verified within the period.
    pub fresh: i64,
}

/// The summary of an area from its counts.
pub fn summary(counts: &[RegistryCount], specials: &[(String, i64, i64)], period_days: u32) -> Summary {
    let of = |e: Entity| counts.iter().filter(|c| c.entity == e).map(|c| c.total).sum::<i64>();
    let mut by_type = serde_json::Map::new();
    for e in Entity::ALL {
        let types: serde_json::Map<String, Value> = counts
            .iter()
            .filter(|c| c.entity == e)
            .map(|c| (c.subtype.clone().unwrap_or_else(|| "unspecified".into()), c.total.into()))
            .collect();
        by_type.insert(e.plural().to_owned(), Value::Object(types));
    }
    let records: i64 = counts.iter().map(|c| c.total).sum();
    let fresh: i64 = counts.iter().map(|c| c.fresh).sum();
    let mut special_groups: serde_json::Map<String, Value> = specials.iter().map(|(g, n, _)| (g.clone(), (*n).into())).collect();
    special_groups.insert("total".into(), specials.iter().map(|r| r.1).sum::<i64>().into());
    special_groups.insert("overdue".into(), specials.iter().map(|r| r.2).sum::<i64>().into());
    #[allow(clippy::cast_precision_loss)]
    let collection_rate = (records > 0).then(|| ((fresh as f64 / records as f64) * 10_000.0).round() / 10_000.0);
    Summary {
        people: of(Entity::Person),
        households: of(Entity::Household),
        houses: of(Entity::House),
        organisations: of(Entity::Organisation),
        places: of(Entity::Place),
        by_type,
        special_groups,
        collection_rate,
        collection: Collection { period_days, records, fresh },
    }
}
