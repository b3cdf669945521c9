//! The registry (基础数据, GB/T 31000-2015): houses, households, people, organisations and
//! places, each checked by the pure field lists (`wangge_core::registry`), located in its grid
//! by the index, its personal fields sealed at rest with the registry's keys and masked in
//! every answer, an ID number findable through its keyed hash. Special groups are in
//! [`special`], spreadsheets in [`sheets`].

pub mod imports;
pub mod sheets;
pub mod special;
mod views;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use wangge_core::registry::{check_record, masked, Entity, Problem, Values};
use wangge_core::{GridIndex, LonLat};

use crate::access::{FieldCryptError, FieldKeys};
use crate::records::{RegistryMove, RegistryRecord, RegistryTable, Village};
use crate::store::{Store, StoreError};
pub use views::{record_view, summary, LinkedFrom, RecordView, Summary};

/// The field whose keyed hash finds a person.
pub const ID_FIELD: &str = "id_number";

/// Why a registry request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Fields refused, each with its reason.
    #[error("{} field(s) refused: {}", .0.len(), .0.iter().map(|p| format!("{}: {}", p.field, p.reason)).collect::<Vec<_>>().join("; "))]
    Fields(Vec<Problem>),
    /// No such record (or outside the caller's jurisdiction: answered alike).
    #[error("no {0} with id {1:?}")]
    NotFound(&'static str, String),
    /// Another record holds the same citizen ID number.
    #[error("a person with this citizen ID number is already registered")]
    IdNumberTaken,
    /// A sealed value could not be made or opened.
    #[error(transparent)]
    Crypt(#[from] FieldCryptError),
    /// No randomness for a new id.
    #[error("cannot make an id: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn refuse(field: &str, reason: impl Into<String>) -> Refused {
    Refused::Fields(vec![Problem { field: field.to_owned(), reason: reason.into() }])
}

/// What writing a record needs: the store, the keys, the grids, and who and when.
#[derive(Clone, Copy)]
pub struct Desk<'a> {
    /// The store.
    pub store: &'a Store,
    /// The registry's keys.
    pub keys: &'a FieldKeys,
    /// Point → grid.
    pub index: &'a GridIndex,
    /// The villages and communities of the county.
    pub villages: &'a [Village],
    /// Who writes (person id or user name).
    pub actor: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A new id for a record of `entity` (its prefix and 16 random hex digits).
pub fn new_id(prefix: char) -> Result<String, Refused> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| Refused::Random(e.to_string()))?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// The keyed hash of a citizen ID number (as checked: upper-case `X`).
pub fn id_hash(keys: &FieldKeys, id_number: &str) -> String {
    keys.search_hash(ID_FIELD, &id_number.trim().to_ascii_uppercase())
}

impl Desk<'_> {
    /// Checks `input` and builds the record `record_id` would be (new, or replacing `before`).
    pub async fn build(
        &self,
        entity: Entity,
        record_id: String,
        input: &BTreeMap<String, String>,
        before: Option<&RegistryRecord>,
    ) -> Result<RegistryRecord, Refused> {
        let today = self.now.with_timezone(&wangge_core::calendar::china_time()).date_naive();
        let values = check_record(entity, input, today).map_err(Refused::Fields)?;
        let placed = self.place(entity, &values).await?;
        let record = assemble(self.keys, entity, record_id, &values, placed, self.actor, self.now, before)?;
        if let Some(hash) = &record.id_hash {
            if let Some(holder) = self.store.record_with_id_hash(hash).await? {
                if holder != record.record_id {
                    return Err(Refused::IdNumberTaken);
                }
            }
        }
        Ok(record)
    }

    /// Where a record is: its township and village (the village must exist), its point (its
    /// own, else its house's) and the grid the index finds for it, which must be the village's.
    async fn place(
        &self,
        entity: Entity,
        values: &Values,
    ) -> Result<Placed, Refused> {
        let village_code = values.get("village_code").unwrap_or_default();
        let village = self
            .villages
            .iter()
            .find(|v| v.code == village_code)
            .ok_or_else(|| refuse("village_code", format!("no village or community {village_code:?} in the county")))?;
        let own = match (values.get("lon"), values.get("lat")) {
            (Some(lon), Some(lat)) => Some((lon.parse::<f64>(), lat.parse::<f64>())),
            (None, None) => None,
            _ => return Err(refuse("lat", "give both lon and lat, or neither")),
        };
        let mut point = match own {
            Some((Ok(lon), Ok(lat))) => Some(LonLat { lon, lat }),
            Some(_) => return Err(refuse("lon", "not a number")),
            None => None,
        };
        let mut house = None;
        if let Some(house_id) = values.get("house_id").filter(|_| entity != Entity::House) {
            let h = self.store.record(house_id).await?.filter(|h| h.entity == Entity::House);
            let h = h.ok_or_else(|| refuse("house_id", format!("no house {house_id:?}")))?;
            if h.village_code != village.code {
                return Err(refuse("house_id", format!("house {house_id} is in village {}, not {}", h.village_code, village.code)));
            }
            point = point.or(h.point);
            house = Some(h.record_id);
        }
        if let Some(household_id) = values.get("household_id") {
            let f = self.store.record(household_id).await?.filter(|h| h.entity == Entity::Household);
            let f = f.ok_or_else(|| refuse("household_id", format!("no household {household_id:?}")))?;
            if f.village_code != village.code {
                return Err(refuse("household_id", format!("household {household_id} is in village {}, not {}", f.village_code, village.code)));
            }
            point = point.or(f.point);
        }
        let grid = match point {
            Some(p) => Some(self.grid_of(p, &village.code)?),
            None => None,
        };
        Ok(Placed { township: village.township_code.clone(), village: village.code.clone(), grid, point, house })
    }

    /// The grid holding `p`, which must belong to `village`.
    fn grid_of(&self, p: LonLat, village: &str) -> Result<String, Refused> {
        match self.index.locate(p.lon, p.lat) {
            Ok(wangge_core::Located::Grid(i)) => {
                let g = &self.index.grids()[i];
                if g.village.code == village {
                    Ok(g.code.clone())
                } else {
                    Err(refuse("lon", format!("the point is in grid {} of village {}, not in village {village}", g.code, g.village.code)))
                }
            }
            Ok(wangge_core::Located::Outside(_)) => Err(refuse("lon", "the point is outside every grid of the county")),
            Err(e) => Err(refuse("lon", e.to_string())),
        }
    }

    /// Creates a record.
    pub async fn create(&self, entity: Entity, input: &BTreeMap<String, String>) -> Result<RegistryRecord, Refused> {
        let record = self.build(entity, new_id(entity.id_prefix())?, input, None).await?;
        self.store.insert_records(std::slice::from_ref(&record)).await.map_err(taken)?;
        Ok(record)
    }

    /// Replaces a record's fields (the whole record, as created); it counts as re-verified.
    pub async fn replace(&self, before: &RegistryRecord, input: &BTreeMap<String, String>) -> Result<RegistryRecord, Refused> {
        let record = self.build(before.entity, before.record_id.clone(), input, Some(before)).await?;
        self.store.update_record(&record).await.map_err(taken)?;
        Ok(record)
    }
}

/// Where a record is: its divisions, grid, point and house.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Township code.
    pub township: String,
    /// Village code.
    pub village: String,
    /// Grid code.
    pub grid: Option<String>,
    /// Its point.
    pub point: Option<LonLat>,
    /// Its house (people, households).
    pub house: Option<String>,
}

/// The record of checked `values` at `placed`: personal fields sealed (the kind and field as
/// associated data) and masked, the ID number's keyed hash, collected now by `actor` (or as
/// `before` was created, when it replaces it).
#[allow(clippy::too_many_arguments)]
pub fn assemble(
    keys: &FieldKeys,
    entity: Entity,
    record_id: String,
    values: &Values,
    placed: Placed,
    actor: &str,
    now: DateTime<Utc>,
    before: Option<&RegistryRecord>,
) -> Result<RegistryRecord, Refused> {
    let fields = entity.fields();
    let mut sealed = BTreeMap::new();
    let mut shown = BTreeMap::new();
    for (key, value) in values.secrets(fields) {
        if let Some(field) = entity.field(&key) {
            shown.insert(key.clone(), masked(field, &value));
            sealed.insert(key.clone(), keys.seal(&format!("{}.{key}", entity.as_str()), &value)?);
        }
    }
    Ok(RegistryRecord {
        record_id,
        entity,
        subtype: entity.subtype().and_then(|s| values.get(s)).map(str::to_owned),
        title: values.get(entity.title()).unwrap_or_default().to_owned(),
        township_code: placed.township,
        village_code: placed.village,
        grid_code: placed.grid,
        point: placed.point,
        house_id: placed.house.or_else(|| values.get("house_id").map(str::to_owned)),
        household_id: values.get("household_id").map(str::to_owned),
        fields: values.plain(fields),
        sealed,
        masked: shown,
        id_hash: values.get(ID_FIELD).map(|n| id_hash(keys, n)),
        verified_at: now,
        verified_by: actor.to_owned(),
        created_by: before.map_or_else(|| actor.to_owned(), |b| b.created_by.clone()),
        created_at: before.map_or(now, |b| b.created_at),
        updated_at: now,
    })
}

/// The store's refusal of a second record with the same ID number, as the registry's.
fn taken(e: StoreError) -> Refused {
    match e {
        StoreError::IdNumberTaken => Refused::IdNumberTaken,
        other => Refused::Store(other),
    }
}

/// A personal field of a record, opened (the audited reveal).
pub fn reveal(keys: &FieldKeys, record: &RegistryRecord, field: &str) -> Result<Option<String>, Refused> {
    record
        .sealed
        .get(field)
        .map(|sealed| keys.open(&format!("{}.{field}", record.entity.as_str()), sealed))
        .transpose()
        .map_err(Refused::Crypt)
}

/// The registry's moves when the grids of `area` are redrawn: every record with a point and
/// every special-group membership, located again by `grid_after` (the grid of a point after publishing).
pub async fn moves(
    store: &Store,
    keys: &FieldKeys,
    grid_after: impl Fn(f64, f64) -> Option<String>,
    area: &str,
) -> Result<Vec<RegistryMove>, Refused> {
    let mut out = Vec::new();
    let mut grid_of_record = BTreeMap::new();
    for (id, p, before) in store.records_in_area(area).await? {
        let after = grid_after(p.lon, p.lat);
        if after != before {
            out.push(RegistryMove { table: RegistryTable::Record, id: id.clone(), grid_code: after.clone() });
        }
        grid_of_record.insert(id, after);
    }
    for s in store.specials_in_area(area).await? {
        let person = keys.open(special::PERSON_FIELD, &s.person_sealed)?;
        if let Some(after) = grid_of_record.get(&person) {
            if *after != s.grid_code {
                out.push(RegistryMove { table: RegistryTable::Special, id: s.special_id, grid_code: after.clone() });
            }
        }
    }
    Ok(out)
}
