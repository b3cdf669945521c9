//! League tables and scorecards: a level's units in a period scored by the year's scheme,
//! ranked (a gridworker within its village, township and the county); a closed period frozen
//! with the scheme version it used, and read back frozen until it is explicitly recomputed.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wangge_core::assessment::{rank, Level, Measure, Period, Scorecard};

use super::measures::{self, Sources, Tally, Unit};
use super::{scheme_for, Refused};
use crate::records::{time_text, Frozen, SchemeVersion};

/// One unit's line in a league table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Gridworker id, village or township code, `county`.
    pub unit: String,
    /// Its name.
    pub name: String,
    /// Its township.
    pub township: String,
    /// Its village.
    pub village: Option<String>,
    /// The total.
    pub score: f64,
    /// The maximum left unscored for lack of data.
    pub unscored: f64,
    /// The total over the points that could be scored, out of 100.
    pub normalised: Option<f64>,
    /// Its band (of the normalised total).
    pub grade: Option<String>,
    /// Below the pass line.
    pub failed: bool,
    /// Rank in the county (within the level).
    pub rank: u32,
    /// Rank within its township.
    pub rank_in_township: u32,
    /// Rank within its village (gridworkers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank_in_village: Option<u32>,
    /// The card: groups and every indicator.
    pub card: Scorecard,
    /// The counts behind the measures.
    pub basis: BTreeMap<String, (u64, u64)>,
    /// Events reported, closed and valid, by category, and call-backs reached and satisfied.
    pub counts: BTreeMap<String, u64>,
}

/// A league table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The level.
    pub level: Level,
    /// The period.
    pub period: Period,
    /// The scheme's year (the one it was carried over from) and version (0: built in).
    pub scheme_year: i32,
    /// Its version.
    pub scheme_version: i64,
    /// When computed.
    pub computed_at: String,
    /// Highest score first.
    pub items: Vec<Item>,
    /// Townships below their share of the yearly minimum of valid events so far.
    pub warnings: Vec<String>,
}

/// A table as answered: computed live, or frozen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The table.
    #[serde(flatten)]
    pub table: Table,
    /// When and by whom it was frozen (`null`: live, changes as records arrive).
    pub frozen: Option<FrozenBy>,
}

/// Who froze a table, when.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FrozenBy {
    /// When.
    pub at: String,
    /// Who.
    pub by: String,
}

/// Computes the live table of `level` in `period`, with each unit's tally (for drill-downs).
pub async fn compute(sources: &Sources<'_>, level: Level, period: Period) -> Result<(Table, Vec<(Unit, Tally)>, SchemeVersion), Refused> {
    let (version, from_year) = scheme_for(sources.store, period.year()).await?;
    let scheme = &version.scheme;
    let measured = measures::measure(sources, scheme, level, period).await?;
    let period_text = period.to_string();
    let manual: HashMap<(String, String), f64> = sources
        .store
        .manual_scores(&period_text, level.as_str())
        .await?
        .into_iter()
        .map(|m| ((m.unit, m.indicator), m.points))
        .collect();
    let cards: Vec<Scorecard> = measured
        .units
        .iter()
        .map(|(unit, tally)| {
            scheme.score(level, |i| match i.measure {
                Measure::Manual => manual.get(&(unit.id.clone(), i.code.clone())).copied(),
                m => tally.value(m),
            })
        })
        .collect();
    let totals: Vec<f64> = cards.iter().map(|c| c.total).collect();
    let county_rank = rank(&totals);
    let within = |key: &dyn Fn(&Unit) -> Option<String>| -> Vec<Option<u32>> {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (u, _)) in measured.units.iter().enumerate() {
            if let Some(k) = key(u) {
                groups.entry(k).or_default().push(i);
            }
        }
        let mut out = vec![None; measured.units.len()];
        for members in groups.values() {
            let ranks = rank(&members.iter().map(|i| totals[*i]).collect::<Vec<_>>());
            for (i, r) in members.iter().zip(ranks) {
                out[*i] = Some(r);
            }
        }
        out
    };
    let in_township = within(&|u| Some(u.township.clone()));
    let in_village = within(&|u| u.village.clone());
    let mut items: Vec<Item> = measured
        .units
        .iter()
        .zip(cards)
        .enumerate()
        .map(|(i, ((unit, tally), card))| Item {
            unit: unit.id.clone(),
            name: unit.name.clone(),
            township: unit.township.clone(),
            village: unit.village.clone(),
            score: card.total,
            unscored: card.unscored,
            normalised: card.normalised,
            grade: card.grade.clone(),
            failed: card.failed,
            rank: county_rank[i],
            rank_in_township: in_township[i].unwrap_or(1),
            rank_in_village: if level == Level::Gridworker { in_village[i] } else { None },
            basis: scheme
                .of(level)
                .filter_map(|ind| tally.basis(ind.measure).map(|b| (ind.measure.as_str().to_owned(), b)))
                .collect(),
            counts: counts(tally),
            card,
        })
        .collect();
    items.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.unit.cmp(&b.unit)));
    let warnings = warnings(sources, scheme.min_valid_events, period, &measured.valid_by_township);
    let table = Table {
        level,
        period,
        scheme_year: from_year,
        scheme_version: version.version,
        computed_at: time_text(sources.now),
        items,
        warnings,
    };
    Ok((table, measured.units, version))
}

/// The plain counts of a tally.
fn counts(t: &Tally) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = [
        ("reported", t.reported),
        ("closed", t.closed),
        ("valid", t.valid),
        ("reached", t.reached),
        ("satisfied", t.satisfied),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for c in wangge_core::event::Category::ALL {
        out.insert(c.as_str().to_owned(), t.event_ids.iter().filter(|e| e.category == c).count() as u64);
    }
    out
}

/// Townships of a period not yet ended that have fewer valid events than their pro-rata share
/// of the yearly minimum so far, and of an ended period those below it.
fn warnings(sources: &Sources<'_>, min: u32, period: Period, valid: &BTreeMap<String, u64>) -> Vec<String> {
    let today = crate::disputes::figures::today(sources.now);
    let months_so_far = period.months().iter().filter(|m| m.first_day() <= today).count();
    if months_so_far == 0 {
        return Vec::new();
    }
    let required = measures::required_valid(min, months_so_far);
    let ended = period.ended(today);
    sources
        .catalog
        .townships()
        .iter()
        .filter_map(|t| {
            let n = valid.get(&t.code).copied().unwrap_or(0);
            (n < required).then(|| {
                if ended {
                    format!("{} {} 有效事件 {n} 件,未达 {required} 件", t.code, t.name)
                } else {
                    format!("{} {} 有效事件 {n} 件,本期截至目前应达 {required} 件,期末前请补足", t.code, t.name)
                }
            })
        })
        .collect()
}

/// The table as answered: frozen if the period was frozen, live otherwise.
pub async fn table(sources: &Sources<'_>, level: Level, period: Period) -> Result<Answer, Refused> {
    if let Some(f) = sources.store.frozen(&period.to_string(), level.as_str()).await? {
        let table: Table = serde_json::from_str(&f.body).map_err(|e| Refused::Invalid(format!("the frozen table does not read back: {e}")))?;
        return Ok(Answer { table, frozen: Some(FrozenBy { at: time_text(f.frozen_at), by: f.frozen_by }) });
    }
    let (table, _, _) = compute(sources, level, period).await?;
    Ok(Answer { table, frozen: None })
}

/// Freezes `level` in `period` (ended only); `recompute` replaces a frozen table. Returns the
/// table and the one it replaced.
pub async fn freeze(
    sources: &Sources<'_>,
    level: Level,
    period: Period,
    recompute: bool,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(Table, Option<Frozen>), Refused> {
    let today = crate::disputes::figures::today(sources.now);
    if !period.ended(today) {
        return Err(Refused::Conflict(format!("{period} has not ended: only a closed period is frozen")));
    }
    let before = sources.store.frozen(&period.to_string(), level.as_str()).await?;
    if before.is_some() && !recompute {
        return Err(Refused::Conflict(format!(
            "{} {period} is frozen already; recompute it explicitly (\"recompute\": true with a reason)",
            level.as_str()
        )));
    }
    let (table, _, version) = compute(sources, level, period).await?;
    let body = serde_json::to_string(&table).map_err(|e| Refused::Invalid(e.to_string()))?;
    sources
        .store
        .put_frozen(&Frozen {
            period: period.to_string(),
            level: level.as_str().to_owned(),
            scheme: (i64::from(table.scheme_year), version.version),
            body,
            frozen_by: by.to_owned(),
            frozen_at: at,
        })
        .await?;
    Ok((table, before))
}
