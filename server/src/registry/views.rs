//! The registry's JSON answers: a record flattened as it was written (its personal fields
//! masked), and an area's summary with the collection rate (信息动态采集率).

use std::collections::BTreeMap;

use serde::Serialize;
use wangge_core::registry::Entity;

use crate::records::{time_text, RegistryCount, RegistryRecord};

/// The keys a record's answer sets itself: a field of the same key is not answered.
const VIEW_KEYS: [&str; 17] = [
    "id", "entity", "township_code", "village_code", "grid_code", "lon", "lat", "house_id", "household_id", "masked",
    "verified_at", "verified_by", "created_at", "updated_at", "links", "people", "people_total",
];

/// A record as answered: its fields at the top level as in the request that wrote it (a
/// personal field masked), with its id, kind, division, grid, point, links and times.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    /// Its fields by key, as text (a personal field masked).
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
    /// Its id.
    pub id: String,
    /// Its kind (`house`, `household`, `person`, `organisation`, `place`).
    pub entity: &'static str,
    /// Township code.
    pub township_code: String,
    /// Village or community code.
    pub village_code: String,
    /// The grid its point is in.
    pub grid_code: Option<String>,
    /// Longitude (CGCS2000), if located.
    pub lon: Option<f64>,
    /// Latitude (CGCS2000), if located.
    pub lat: Option<f64>,
    /// The house it is in (people, households).
    pub house_id: Option<String>,
    /// The household (people).
    pub household_id: Option<String>,
    /// The keys of its masked fields.
    pub masked: Vec<String>,
    /// Collected or last re-verified.
    pub verified_at: String,
    /// By whom.
    pub verified_by: String,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// What links to it (`GET …/{kind}/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<LinkedFrom>>,
    /// The people in it, the first 200 (a house or household, `GET …/{kind}/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub people: Option<Vec<RecordView>>,
    /// How many people are in it (with `people`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people_total: Option<i64>,
}

/// An event, check-in or follow-up linked to a record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LinkedFrom {
    /// `event`, `checkin` or `followup`.
    pub from_kind: String,
    /// Its id.
    pub from_id: String,
    /// When it was linked.
    pub at: String,
}

/// The answer for record `r`.
pub fn record_view(r: &RegistryRecord) -> RecordView {
    let fields = r.fields.iter().chain(&r.masked).filter(|(k, _)| !VIEW_KEYS.contains(&k.as_str()));
    RecordView {
        fields: fields.map(|(k, v)| (k.clone(), v.clone())).collect(),
        id: r.record_id.clone(),
        entity: r.entity.as_str(),
        township_code: r.township_code.clone(),
        village_code: r.village_code.clone(),
        grid_code: r.grid_code.clone(),
        lon: r.point.map(|p| p.lon),
        lat: r.point.map(|p| p.lat),
        house_id: r.house_id.clone(),
        household_id: r.household_id.clone(),
        masked: r.masked.keys().cloned().collect(),
        verified_at: time_text(r.verified_at),
        verified_by: r.verified_by.clone(),
        created_at: time_text(r.created_at),
        updated_at: time_text(r.updated_at),
        links: None,
        people: None,
        people_total: None,
    }
}

/// `GET /api/v1/registry/summary`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RegistrySummary)]
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
    /// Per kind (plural), records by type (`unspecified` for none).
    pub by_type: BTreeMap<String, BTreeMap<String, i64>>,
    /// Special-group members by group, their `total` and the `overdue` follow-ups: counts
    /// only (who they are needs `read_special_groups`).
    pub special_groups: BTreeMap<String, i64>,
    /// Records collected or re-verified within the period / all records (null when none).
    pub collection_rate: Option<f64>,
    /// The rate's parts.
    pub collection: Collection,
}

/// The parts of the collection rate.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = RegistryCollection)]
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
    let mut by_type = BTreeMap::new();
    for e in Entity::ALL {
        let types: BTreeMap<String, i64> =
            counts.iter().filter(|c| c.entity == e).map(|c| (c.subtype.clone().unwrap_or_else(|| "unspecified".into()), c.total)).collect();
        by_type.insert(e.plural().to_owned(), types);
    }
    let records: i64 = counts.iter().map(|c| c.total).sum();
    let fresh: i64 = counts.iter().map(|c| c.fresh).sum();
    let mut special_groups: BTreeMap<String, i64> = specials.iter().map(|(g, n, _)| (g.clone(), *n)).collect();
    special_groups.insert("total".into(), specials.iter().map(|r| r.1).sum::<i64>());
    special_groups.insert("overdue".into(), specials.iter().map(|r| r.2).sum::<i64>());
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
