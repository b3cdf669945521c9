//! The demo county's registry as stored: the generated population of
//! [`wangge_geodata::demo::population`], every record checked by the same field rules as the
//! API's and sealed with the service's registry keys, special-group members given to a
//! gridworker bound to their grid. Loaded once, into a store that holds the demo and no
//! registry yet.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use wangge_core::people::{Role, Roster};
use wangge_core::registry::schema::default_followup_days;
use wangge_core::registry::{check_record, followup_due, Entity};
use wangge_core::{GridIndex, LonLat};
use wangge_geodata::demo;

use super::{DemoLoadError, DEMO_FACT};
use crate::access::FieldKeys;
use crate::progress::Progress;
use crate::records::{Page, RegistryFilter, RegistryRecord, SpecialRecord};
use crate::registry::{assemble, special, Placed};
use crate::store::Store;

/// What loading the demo registry reads: the grids, the keys, the roster, and when.
pub struct PopulationInputs {
    /// The grid index.
    pub index: Arc<GridIndex>,
    /// The registry's keys.
    pub keys: Arc<FieldKeys>,
    /// The roster (the gridworkers who follow members up).
    pub roster: Arc<Roster>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Residents to generate.
    pub residents: usize,
}

/// Loads the demo registry unless the store holds no demo or already holds registry records.
pub async fn load_population_if_empty(store: &Store, inputs: PopulationInputs) -> Result<(), DemoLoadError> {
    if store.store_fact(DEMO_FACT).await?.is_none() {
        return Ok(());
    }
    let one = Page { page: 1, per_page: 1 };
    if store.records(&RegistryFilter::default(), one).await?.total > 0 {
        return Ok(());
    }
    let started = Instant::now();
    let PopulationInputs { index, keys, roster, now, residents } = inputs;
    let progress = Progress::new("demo registry", None, "records");
    progress.stage("generating");
    let counted = progress.clone();
    let (records, specials) =
        tokio::task::spawn_blocking(move || build(&index, &keys, &roster, now, residents, &counted)).await??;
    let built = started.elapsed().as_secs_f64();
    progress.stage("storing");
    store.insert_records(&records).await?;
    store.insert_specials(&specials).await?;
    store.analyze_registry().await?;
    progress.finish();
    tracing::info!(
        records = records.len(),
        special_groups = specials.len(),
        generate_and_seal_s = built,
        total_s = started.elapsed().as_secs_f64(),
        "demo registry loaded"
    );
    Ok(())
}

/// The gridworker of each grid (the first bound to it).
fn gridworkers(roster: &Roster) -> HashMap<&str, &str> {
    let mut out = HashMap::new();
    for p in roster.people().iter().filter(|p| p.role == Role::Gridworker) {
        for g in &p.grids {
            out.entry(g.as_str()).or_insert(p.id.as_str());
        }
    }
    out
}

/// Records sealed, each with the position of its grid in the index.
type Sealed = Vec<(RegistryRecord, Option<usize>)>;

/// Checks, seals and places generated records (and the grid each is in).
fn seal_all(
    index: &GridIndex,
    keys: &FieldKeys,
    records: &[demo::DemoRecord],
    now: DateTime<Utc>,
    progress: &Progress,
) -> Result<Sealed, DemoLoadError> {
    let today = now.with_timezone(&wangge_core::calendar::china_time()).date_naive();
    let bad = |id: &str, reason: String| DemoLoadError::Event { report_id: id.to_owned(), reason };
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let entity = Entity::parse(r.entity).ok_or_else(|| bad(&r.id, format!("kind {}", r.entity)))?;
        let input: BTreeMap<String, String> = r.fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        let values = check_record(entity, &input, today).map_err(|p| bad(&r.id, format!("{p:?}")))?;
        let point = match (values.get("lon"), values.get("lat")) {
            (Some(lon), Some(lat)) => lon.parse().ok().zip(lat.parse().ok()).map(|(lon, lat)| LonLat { lon, lat }),
            _ => None,
        };
        let located = point.and_then(|p| index.grid_at(p));
        let (village, township) = match located {
            Some(g) => (index.grids()[g].village.code.clone(), index.grids()[g].township.code.clone()),
            None => {
                let v = values.get("village_code").unwrap_or_default().to_owned();
                let t = v.get(..9).unwrap_or_default().to_owned();
                (v, t)
            }
        };
        let placed = Placed { township, village, grid: located.map(|g| index.grids()[g].code.clone()), point, house: None };
        let at = now - Duration::days(i64::from(r.verified_days_ago));
        let mut record = assemble(keys, entity, r.id.clone(), &values, placed, "demo", at, None).map_err(|e| bad(&r.id, e.to_string()))?;
        record.updated_at = at;
        out.push((record, located));
        progress.inc(1);
    }
    Ok(out)
}

/// Generates, checks, seals and places the whole registry.
fn build(
    index: &GridIndex,
    keys: &FieldKeys,
    roster: &Roster,
    now: DateTime<Utc>,
    residents: usize,
    progress: &Progress,
) -> Result<(Vec<RegistryRecord>, Vec<SpecialRecord>), DemoLoadError> {
    let population = demo::population(index, residents);
    progress.set_total(population.records.len() as u64);
    progress.stage("checking and sealing");
    // Checked and sealed on every core: the work is per record.
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).clamp(1, 8);
    let size = population.records.len().div_ceil(threads).max(1);
    let chunks: Vec<Result<Sealed, DemoLoadError>> = std::thread::scope(|scope| {
        let running: Vec<_> = population.records.chunks(size).map(|c| scope.spawn(move || seal_all(index, keys, c, now, progress))).collect();
        running.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(DemoLoadError::Event { report_id: "registry".into(), reason: "a worker panicked".into() }))).collect()
    });
    let mut records = Vec::with_capacity(population.records.len());
    let mut grid_of: HashMap<String, (usize, Option<String>)> = HashMap::new();
    for chunk in chunks {
        for (record, located) in chunk? {
            if let Some(g) = located {
                grid_of.insert(record.record_id.clone(), (g, record.grid_code.clone()));
            }
            records.push(record);
        }
    }
    let bad = |id: &str, reason: String| DemoLoadError::Event { report_id: id.to_owned(), reason };
    let workers = gridworkers(roster);
    let mut specials = Vec::with_capacity(population.specials.len());
    for (i, s) in population.specials.iter().enumerate() {
        let Some((g, grid_code)) = grid_of.get(&s.person_id) else { continue };
        let grid = &index.grids()[*g];
        let parent = grid_code.as_deref().and_then(|c| workers.get(c));
        let Some(worker) = parent.or_else(|| workers.iter().find(|(k, _)| k.starts_with(&grid.village.code)).map(|(_, v)| v)) else { continue };
        let every = default_followup_days(s.group);
        let created = now - Duration::days(200 + (i % 300) as i64);
        let last = s.followed_days_ago.map(|d| now - Duration::days(i64::from(d)));
        let details = serde_json::json!({"guardian": "", "note": "演示数据"}).to_string();
        specials.push(SpecialRecord {
            special_id: format!("SD{:06}", i + 1),
            group: s.group.to_owned(),
            person_sealed: keys.seal(special::PERSON_FIELD, &s.person_id).map_err(|e| bad(&s.person_id, e.to_string()))?,
            person_hash: special::person_hash(keys, &s.person_id),
            details_sealed: keys.seal(special::DETAILS_FIELD, &details).map_err(|e| bad(&s.person_id, e.to_string()))?,
            township_code: grid.township.code.clone(),
            village_code: grid.village.code.clone(),
            grid_code: grid_code.clone(),
            responsible_person_id: (*worker).to_owned(),
            followup_days: every,
            last_followup_at: last,
            due_at: followup_due(created, last, every),
            created_at: created,
            updated_at: last.unwrap_or(created),
        });
    }
    Ok((records, specials))
}
