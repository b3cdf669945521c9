//! The registry (基础数据): records, special-group memberships, their follow-ups and links,
//! written once for both backends. Records go in many rows a statement inside one transaction
//! (an import is all or nothing); a second record with the same ID number is refused by the
//! unique keyed hash.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use wangge_core::registry::Entity;
use wangge_core::LonLat;

use super::time::Time;
use super::{query, PgStore, SqliteStore, Store, StoreError};
use crate::records::{FollowupRecord, Page, Paged, RegistryCount, RegistryFilter, RegistryLink, RegistryMove};
use crate::records::{RegistryRecord, RegistryTable, SpecialFilter, SpecialRecord};

const RECORD_COLUMNS: &str = "record_id, entity, subtype, title, township_code, village_code, grid_code, lon, lat,
    house_id, household_id, fields, sealed, masked, id_hash, verified_at, verified_by, created_by, created_at, updated_at";
const SPECIAL_COLUMNS: &str = "special_id, group_kind, person_sealed, person_hash, details_sealed, township_code,
    village_code, grid_code, responsible_person_id, followup_days, last_followup_at, due_at, created_at, updated_at";

const RECORD: &str = "SELECT record_id, entity, subtype, title, township_code, village_code, grid_code, lon, lat,
    house_id, household_id, fields, sealed, masked, id_hash, verified_at, verified_by, created_by, created_at, updated_at
    FROM registry_record WHERE record_id = $1";
const UPDATE_RECORD: &str = "UPDATE registry_record SET subtype = $2, title = $3, township_code = $4, village_code = $5,
    grid_code = $6, lon = $7, lat = $8, house_id = $9, household_id = $10, fields = $11, sealed = $12, masked = $13,
    id_hash = $14, verified_at = $15, verified_by = $16, updated_at = $17 WHERE record_id = $1";
const VERIFY: &str = "UPDATE registry_record SET verified_at = $2, verified_by = $3, updated_at = $2 WHERE record_id = $1";
const TAKEN: &str = "SELECT record_id FROM registry_record WHERE id_hash = $1";
const IN_AREA: &str = "SELECT record_id, lon, lat, grid_code FROM registry_record
    WHERE lon IS NOT NULL AND (township_code = $1 OR village_code = $1)";
const SPECIAL: &str = "SELECT special_id, group_kind, person_sealed, person_hash, details_sealed, township_code,
    village_code, grid_code, responsible_person_id, followup_days, last_followup_at, due_at, created_at, updated_at
    FROM special_group WHERE special_id = $1";
const SPECIALS_IN_AREA: &str = "SELECT special_id, group_kind, person_sealed, person_hash, details_sealed, township_code,
    village_code, grid_code, responsible_person_id, followup_days, last_followup_at, due_at, created_at, updated_at
    FROM special_group WHERE township_code = $1 OR village_code = $1";
const INSERT_SPECIAL: &str = "INSERT INTO special_group (special_id, group_kind, person_sealed, person_hash, details_sealed,
    township_code, village_code, grid_code, responsible_person_id, followup_days, last_followup_at, due_at, created_at,
    updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
const UPDATE_SPECIAL: &str = "UPDATE special_group SET details_sealed = $2, responsible_person_id = $3, followup_days = $4,
    due_at = $5, updated_at = $6 WHERE special_id = $1";
const SPECIAL_OF_PERSON: &str = "SELECT special_id FROM special_group WHERE person_hash = $1 AND group_kind = $2";
const INSERT_FOLLOWUP: &str = "INSERT INTO special_followup (followup_id, special_id, at, person_id, note_sealed, created_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
const FOLLOWED: &str = "UPDATE special_group SET last_followup_at = $2, due_at = $3, updated_at = $4
    WHERE special_id = $1 AND (last_followup_at IS NULL OR last_followup_at < $2)";
const FOLLOWUP: &str = "SELECT followup_id, special_id, at, person_id, note_sealed FROM special_followup WHERE followup_id = $1";
const FOLLOWUPS: &str =
    "SELECT followup_id, special_id, at, person_id, note_sealed FROM special_followup WHERE special_id = $1 ORDER BY at DESC LIMIT 100";
const INSERT_LINK: &str = "INSERT INTO registry_link (from_kind, from_id, record_id, created_by, created_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const LINKS_OF: &str = "SELECT from_kind, from_id, record_id, created_by, created_at FROM registry_link
    WHERE record_id = $1 ORDER BY created_at DESC LIMIT 200";
const LINKS_FROM: &str = "SELECT from_kind, from_id, record_id, created_by, created_at FROM registry_link
    WHERE from_kind = $1 AND from_id = $2 ORDER BY record_id";

/// Whether an error is the unique keyed hash of the ID number refusing a second record.
fn id_taken(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation() && d.message().contains("id_hash") || d.constraint() == Some("registry_record_id_hash"))
}

fn write_error(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| if id_taken(&e) { StoreError::IdNumberTaken } else { StoreError::Query { doing, source: e } }
}

/// The registry methods of one backend.
macro_rules! registry_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Stores new records in one transaction, many rows a statement: all or none.
            pub async fn insert_records(&self, records: &[RegistryRecord]) -> Result<(), StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a registry write").await?;
                for chunk in records.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO registry_record (",
                        "record_id, entity, subtype, title, township_code, village_code, grid_code, lon, lat, ",
                        "house_id, household_id, fields, sealed, masked, id_hash, verified_at, verified_by, created_by, created_at, updated_at) "));
                    q.push_values(chunk, |mut row, r| {
                        row.push_bind(&r.record_id)
                            .push_bind(r.entity.as_str())
                            .push_bind(r.subtype.as_deref())
                            .push_bind(&r.title)
                            .push_bind(&r.township_code)
                            .push_bind(&r.village_code)
                            .push_bind(r.grid_code.as_deref())
                            .push_bind(r.point.map(|p| p.lon))
                            .push_bind(r.point.map(|p| p.lat))
                            .push_bind(r.house_id.as_deref())
                            .push_bind(r.household_id.as_deref())
                            .push_bind(json(&r.fields))
                            .push_bind(json(&r.sealed))
                            .push_bind(json(&r.masked))
                            .push_bind(r.id_hash.as_deref())
                            .push_bind(Time::from(r.verified_at))
                            .push_bind(&r.verified_by)
                            .push_bind(&r.created_by)
                            .push_bind(Time::from(r.created_at))
                            .push_bind(Time::from(r.updated_at));
                    });
                    q.build().persistent(false).execute(&mut *tx).await.map_err(write_error("storing registry records"))?;
                }
                tx.commit().await.map_err(query("committing registry records"))
            }

            /// Replaces a record's values; `false` if there is no such record.
            pub async fn update_record(&self, r: &RegistryRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(UPDATE_RECORD)
                    .bind(&r.record_id)
                    .bind(r.subtype.as_deref())
                    .bind(&r.title)
                    .bind(&r.township_code)
                    .bind(&r.village_code)
                    .bind(r.grid_code.as_deref())
                    .bind(r.point.map(|p| p.lon))
                    .bind(r.point.map(|p| p.lat))
                    .bind(r.house_id.as_deref())
                    .bind(r.household_id.as_deref())
                    .bind(json(&r.fields))
                    .bind(json(&r.sealed))
                    .bind(json(&r.masked))
                    .bind(r.id_hash.as_deref())
                    .bind(Time::from(r.verified_at))
                    .bind(&r.verified_by)
                    .bind(Time::from(r.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(write_error("updating a registry record"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Marks a record re-verified on the spot; `false` if there is no such record.
            pub async fn verify_record(&self, record_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
                let done = sqlx::query(VERIFY)
                    .bind(record_id)
                    .bind(Time::from(at))
                    .bind(by)
                    .execute(&self.pool)
                    .await
                    .map_err(query("re-verifying a registry record"))?;
                Ok(done.rows_affected() == 1)
            }

            /// One record.
            pub async fn record(&self, record_id: &str) -> Result<Option<RegistryRecord>, StoreError> {
                let row: Option<RecordRow> = sqlx::query_as(RECORD)
                    .bind(record_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a registry record"))?;
                row.map(RecordRow::into_record).transpose()
            }

            /// The record holding this ID number's keyed hash, if any.
            pub async fn record_with_id_hash(&self, id_hash: &str) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar(TAKEN).bind(id_hash).fetch_optional(&self.pool).await.map_err(query("searching by ID number"))
            }

            /// The filter's conditions, appended after a `WHERE TRUE`.
            fn record_filter(q: &mut sqlx::QueryBuilder<$db>, f: &RegistryFilter) {
                if let Some(e) = f.entity {
                    q.push(" AND entity = ").push_bind(e.as_str());
                }
                let text = |q: &mut sqlx::QueryBuilder<$db>, col: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        q.push(format!(" AND {col} = ")).push_bind(v.clone());
                    }
                };
                text(q, "subtype", &f.subtype);
                text(q, "township_code", &f.township);
                text(q, "village_code", &f.village);
                text(q, "grid_code", &f.grid);
                text(q, "id_hash", &f.id_hash);
                text(q, "house_id", &f.house_id);
                text(q, "household_id", &f.household_id);
                if let Some(t) = &f.text {
                    q.push(" AND title LIKE ").push_bind(format!("%{}%", t.replace(['%', '_'], "")));
                }
                if let Some(t) = f.stale_before {
                    q.push(" AND verified_at < ").push_bind(Time::from(t));
                }
            }

            /// One page of records matching `filter`, by id, and how many match.
            pub async fn records(&self, filter: &RegistryFilter, page: Page) -> Result<Paged<RegistryRecord>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM registry_record WHERE TRUE");
                Self::record_filter(&mut count, filter);
                let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting registry records"))?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {RECORD_COLUMNS} FROM registry_record WHERE TRUE"));
                Self::record_filter(&mut q, filter);
                q.push(" ORDER BY record_id LIMIT ").push_bind(i64::from(page.per_page)).push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<RecordRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing registry records"))?;
                let items = rows.into_iter().map(RecordRow::into_record).collect::<Result<_, _>>()?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// Records matching `filter` by id, at most `limit` (an export).
            pub async fn all_records(&self, filter: &RegistryFilter, limit: u32) -> Result<Vec<RegistryRecord>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {RECORD_COLUMNS} FROM registry_record WHERE TRUE"));
                Self::record_filter(&mut q, filter);
                q.push(" ORDER BY record_id LIMIT ").push_bind(i64::from(limit));
                let rows: Vec<RecordRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("exporting registry records"))?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            /// Records by kind and type in the filter's area, and how many were verified since
            /// `fresh_since`.
            pub async fn record_counts(&self, filter: &RegistryFilter, fresh_since: DateTime<Utc>) -> Result<Vec<RegistryCount>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT entity, subtype, count(*) AS total, sum(CASE WHEN verified_at >= ");
                q.push_bind(Time::from(fresh_since));
                q.push(" THEN 1 ELSE 0 END) AS fresh FROM registry_record WHERE TRUE");
                Self::record_filter(&mut q, filter);
                q.push(" GROUP BY entity, subtype ORDER BY entity, subtype");
                let rows: Vec<CountRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting the registry"))?;
                rows.into_iter().map(CountRow::into_count).collect()
            }

            /// Records per grid of one kind (the density layer).
            pub async fn records_per_grid(&self, filter: &RegistryFilter) -> Result<Vec<(String, i64)>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT grid_code, count(*) FROM registry_record WHERE grid_code IS NOT NULL");
                Self::record_filter(&mut q, filter);
                q.push(" GROUP BY grid_code ORDER BY grid_code");
                q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting records per grid"))
            }

            /// Records with a point in a township or village (`area`): id, point, grid.
            pub async fn records_in_area(&self, area: &str) -> Result<Vec<(String, LonLat, Option<String>)>, StoreError> {
                let rows: Vec<(String, f64, f64, Option<String>)> =
                    sqlx::query_as(IN_AREA).bind(area).fetch_all(&self.pool).await.map_err(query("reading the area's records"))?;
                Ok(rows.into_iter().map(|(id, lon, lat, g)| (id, LonLat { lon, lat }, g)).collect())
            }

            /// Moves records and memberships to their grids (in a publication's transaction).
            pub(super) async fn move_registry(
                tx: &mut sqlx::Transaction<'_, $db>,
                moves: &[RegistryMove],
            ) -> Result<(), StoreError> {
                for m in moves {
                    let sql = match m.table {
                        RegistryTable::Record => "UPDATE registry_record SET grid_code = $2 WHERE record_id = $1",
                        RegistryTable::Special => "UPDATE special_group SET grid_code = $2 WHERE special_id = $1",
                    };
                    sqlx::query(sql)
                        .bind(&m.id)
                        .bind(m.grid_code.as_deref())
                        .execute(&mut **tx)
                        .await
                        .map_err(query("moving registry records to their new grids"))?;
                }
                Ok(())
            }

            /// Stores a membership; `Err(IdNumberTaken)`-like conflicts are answered as the
            /// existing membership's id.
            pub async fn insert_special(&self, s: &SpecialRecord) -> Result<Result<(), String>, StoreError> {
                if let Some(id) = sqlx::query_scalar::<_, String>(SPECIAL_OF_PERSON)
                    .bind(&s.person_hash)
                    .bind(&s.group)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("checking a person's groups"))?
                {
                    return Ok(Err(id));
                }
                sqlx::query(INSERT_SPECIAL)
                    .bind(&s.special_id)
                    .bind(&s.group)
                    .bind(&s.person_sealed)
                    .bind(&s.person_hash)
                    .bind(&s.details_sealed)
                    .bind(&s.township_code)
                    .bind(&s.village_code)
                    .bind(s.grid_code.as_deref())
                    .bind(&s.responsible_person_id)
                    .bind(i64::from(s.followup_days))
                    .bind(s.last_followup_at.map(Time::from))
                    .bind(Time::from(s.due_at))
                    .bind(Time::from(s.created_at))
                    .bind(Time::from(s.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("storing a special-group membership"))?;
                Ok(Ok(()))
            }

            /// Stores many memberships in one transaction (the demo).
            pub async fn insert_specials(&self, all: &[SpecialRecord]) -> Result<(), StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a special-group load").await?;
                for chunk in all.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO special_group (special_id, group_kind, ",
                        "person_sealed, person_hash, details_sealed, township_code, village_code, grid_code, responsible_person_id, ",
                        "followup_days, last_followup_at, due_at, created_at, updated_at) "));
                    q.push_values(chunk, |mut row, s| {
                        row.push_bind(&s.special_id)
                            .push_bind(&s.group)
                            .push_bind(&s.person_sealed)
                            .push_bind(&s.person_hash)
                            .push_bind(&s.details_sealed)
                            .push_bind(&s.township_code)
                            .push_bind(&s.village_code)
                            .push_bind(s.grid_code.as_deref())
                            .push_bind(&s.responsible_person_id)
                            .push_bind(i64::from(s.followup_days))
                            .push_bind(s.last_followup_at.map(Time::from))
                            .push_bind(Time::from(s.due_at))
                            .push_bind(Time::from(s.created_at))
                            .push_bind(Time::from(s.updated_at));
                    });
                    q.build().persistent(false).execute(&mut *tx).await.map_err(query("loading special-group memberships"))?;
                }
                tx.commit().await.map_err(query("committing special-group memberships"))
            }

            /// Replaces a membership's extension, gridworker and schedule.
            pub async fn update_special(&self, s: &SpecialRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(UPDATE_SPECIAL)
                    .bind(&s.special_id)
                    .bind(&s.details_sealed)
                    .bind(&s.responsible_person_id)
                    .bind(i64::from(s.followup_days))
                    .bind(Time::from(s.due_at))
                    .bind(Time::from(s.updated_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("updating a special-group membership"))?;
                Ok(done.rows_affected() == 1)
            }

            /// One membership.
            pub async fn special(&self, special_id: &str) -> Result<Option<SpecialRecord>, StoreError> {
                let row: Option<SpecialRow> = sqlx::query_as(SPECIAL)
                    .bind(special_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a special-group membership"))?;
                Ok(row.map(SpecialRow::into_record))
            }

            /// The memberships of a township or village (`area`).
            pub async fn specials_in_area(&self, area: &str) -> Result<Vec<SpecialRecord>, StoreError> {
                let rows: Vec<SpecialRow> = sqlx::query_as(SPECIALS_IN_AREA)
                    .bind(area)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading the area's special groups"))?;
                Ok(rows.into_iter().map(SpecialRow::into_record).collect())
            }

            fn special_filter(q: &mut sqlx::QueryBuilder<$db>, f: &SpecialFilter) {
                let text = |q: &mut sqlx::QueryBuilder<$db>, col: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        q.push(format!(" AND {col} = ")).push_bind(v.clone());
                    }
                };
                text(q, "group_kind", &f.group);
                text(q, "township_code", &f.township);
                text(q, "village_code", &f.village);
                text(q, "grid_code", &f.grid);
                text(q, "responsible_person_id", &f.responsible);
                text(q, "person_hash", &f.person_hash);
                if let Some(t) = f.due_before {
                    q.push(" AND due_at < ").push_bind(Time::from(t));
                }
            }

            /// One page of memberships, the most overdue first.
            pub async fn specials(&self, filter: &SpecialFilter, page: Page) -> Result<Paged<SpecialRecord>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM special_group WHERE TRUE");
                Self::special_filter(&mut count, filter);
                let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting special groups"))?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {SPECIAL_COLUMNS} FROM special_group WHERE TRUE"));
                Self::special_filter(&mut q, filter);
                q.push(" ORDER BY due_at, special_id LIMIT ").push_bind(i64::from(page.per_page)).push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<SpecialRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing special groups"))?;
                let items = rows.into_iter().map(SpecialRow::into_record).collect();
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// Memberships by group in the filter's area: all, and overdue at `now`.
            pub async fn special_counts(&self, filter: &SpecialFilter, now: DateTime<Utc>) -> Result<Vec<(String, i64, i64)>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT group_kind, count(*), sum(CASE WHEN due_at < ");
                q.push_bind(Time::from(now));
                q.push(" THEN 1 ELSE 0 END) FROM special_group WHERE TRUE");
                Self::special_filter(&mut q, filter);
                q.push(" GROUP BY group_kind ORDER BY group_kind");
                q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting special groups"))
            }

            /// Records a follow-up and moves the next due date, in one transaction; a replayed
            /// id answers the stored follow-up (`false`).
            pub async fn add_followup(&self, f: &FollowupRecord, due_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(FollowupRecord, bool), StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a follow-up").await?;
                let done = sqlx::query(INSERT_FOLLOWUP)
                    .bind(&f.followup_id)
                    .bind(&f.special_id)
                    .bind(Time::from(f.at))
                    .bind(&f.person_id)
                    .bind(f.note_sealed.as_deref())
                    .bind(Time::from(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(query("storing a follow-up"))?;
                let created = done.rows_affected() == 1;
                if created {
                    sqlx::query(FOLLOWED)
                        .bind(&f.special_id)
                        .bind(Time::from(f.at))
                        .bind(Time::from(due_at))
                        .bind(Time::from(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(query("moving the next follow-up"))?;
                }
                let row: FollowupRow = sqlx::query_as(FOLLOWUP)
                    .bind(&f.followup_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(query("reading a follow-up back"))?;
                tx.commit().await.map_err(query("committing a follow-up"))?;
                Ok((row.into_record(), created))
            }

            /// One follow-up.
            pub async fn followup(&self, followup_id: &str) -> Result<Option<FollowupRecord>, StoreError> {
                let row: Option<FollowupRow> =
                    sqlx::query_as(FOLLOWUP).bind(followup_id).fetch_optional(&self.pool).await.map_err(query("reading a follow-up"))?;
                Ok(row.map(FollowupRow::into_record))
            }

            /// The latest follow-ups of a membership, newest first.
            pub async fn followups(&self, special_id: &str) -> Result<Vec<FollowupRecord>, StoreError> {
                let rows: Vec<FollowupRow> =
                    sqlx::query_as(FOLLOWUPS).bind(special_id).fetch_all(&self.pool).await.map_err(query("listing follow-ups"))?;
                Ok(rows.into_iter().map(FollowupRow::into_record).collect())
            }

            /// Links an event, check-in or follow-up to a record (again: nothing changes).
            pub async fn insert_link(&self, l: &RegistryLink) -> Result<(), StoreError> {
                sqlx::query(INSERT_LINK)
                    .bind(&l.from_kind)
                    .bind(&l.from_id)
                    .bind(&l.record_id)
                    .bind(&l.created_by)
                    .bind(Time::from(l.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("linking a registry record"))?;
                Ok(())
            }

            /// What refers to a record, newest first.
            pub async fn links_to(&self, record_id: &str) -> Result<Vec<RegistryLink>, StoreError> {
                let rows: Vec<LinkRow> =
                    sqlx::query_as(LINKS_OF).bind(record_id).fetch_all(&self.pool).await.map_err(query("reading a record's links"))?;
                Ok(rows.into_iter().map(LinkRow::into_link).collect())
            }

            /// The records an event, check-in or follow-up refers to.
            pub async fn links_from(&self, from_kind: &str, from_id: &str) -> Result<Vec<RegistryLink>, StoreError> {
                let rows: Vec<LinkRow> = sqlx::query_as(LINKS_FROM)
                    .bind(from_kind)
                    .bind(from_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading links"))?;
                Ok(rows.into_iter().map(LinkRow::into_link).collect())
            }
        }
    };
}

registry_store!(SqliteStore, sqlx::Sqlite);
registry_store!(PgStore, sqlx::Postgres);

impl Store {
    /// Stores new records in one transaction: all or none.
    pub async fn insert_records(&self, records: &[RegistryRecord]) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_records(records).await)
    }

    /// Refreshes the planner's statistics of the registry after a bulk load; on PostgreSQL also
    /// its visibility map (a `VACUUM`), so that counts are read from the indexes alone.
    pub async fn analyze_registry(&self) -> Result<(), StoreError> {
        let sql = match self {
            Self::Sqlite(_) => "ANALYZE registry_record",
            Self::Postgres(_) => "VACUUM (ANALYZE) registry_record",
        };
        let done = match self {
            Self::Sqlite(s) => sqlx::query(sql).execute(&s.pool).await.map(|_| ()),
            Self::Postgres(s) => sqlx::query(sql).execute(&s.pool).await.map(|_| ()),
        };
        done.map_err(query("analysing the registry"))
    }

    /// Replaces a record's values; `false` if there is no such record.
    pub async fn update_record(&self, record: &RegistryRecord) -> Result<bool, StoreError> {
        dispatch!(self, s => s.update_record(record).await)
    }

    /// Marks a record re-verified; `false` if there is no such record.
    pub async fn verify_record(&self, record_id: &str, by: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        dispatch!(self, s => s.verify_record(record_id, by, at).await)
    }

    /// One record.
    pub async fn record(&self, record_id: &str) -> Result<Option<RegistryRecord>, StoreError> {
        dispatch!(self, s => s.record(record_id).await)
    }

    /// The record holding an ID number's keyed hash.
    pub async fn record_with_id_hash(&self, id_hash: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.record_with_id_hash(id_hash).await)
    }

    /// One page of records and how many match.
    pub async fn records(&self, filter: &RegistryFilter, page: Page) -> Result<Paged<RegistryRecord>, StoreError> {
        dispatch!(self, s => s.records(filter, page).await)
    }

    /// Records matching a filter, at most `limit`.
    pub async fn all_records(&self, filter: &RegistryFilter, limit: u32) -> Result<Vec<RegistryRecord>, StoreError> {
        dispatch!(self, s => s.all_records(filter, limit).await)
    }

    /// Counts by kind and type, and verified since `fresh_since`.
    pub async fn record_counts(&self, filter: &RegistryFilter, fresh_since: DateTime<Utc>) -> Result<Vec<RegistryCount>, StoreError> {
        dispatch!(self, s => s.record_counts(filter, fresh_since).await)
    }

    /// Records per grid.
    pub async fn records_per_grid(&self, filter: &RegistryFilter) -> Result<Vec<(String, i64)>, StoreError> {
        dispatch!(self, s => s.records_per_grid(filter).await)
    }

    /// Records with a point in an area.
    pub async fn records_in_area(&self, area: &str) -> Result<Vec<(String, LonLat, Option<String>)>, StoreError> {
        dispatch!(self, s => s.records_in_area(area).await)
    }

    /// Stores a membership, or answers the id of the person's existing one in that group.
    pub async fn insert_special(&self, special: &SpecialRecord) -> Result<Result<(), String>, StoreError> {
        dispatch!(self, s => s.insert_special(special).await)
    }

    /// Stores many memberships in one transaction.
    pub async fn insert_specials(&self, all: &[SpecialRecord]) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_specials(all).await)
    }

    /// Replaces a membership's extension, gridworker and schedule.
    pub async fn update_special(&self, special: &SpecialRecord) -> Result<bool, StoreError> {
        dispatch!(self, s => s.update_special(special).await)
    }

    /// One membership.
    pub async fn special(&self, special_id: &str) -> Result<Option<SpecialRecord>, StoreError> {
        dispatch!(self, s => s.special(special_id).await)
    }

    /// The memberships of an area.
    pub async fn specials_in_area(&self, area: &str) -> Result<Vec<SpecialRecord>, StoreError> {
        dispatch!(self, s => s.specials_in_area(area).await)
    }

    /// One page of memberships, the most overdue first.
    pub async fn specials(&self, filter: &SpecialFilter, page: Page) -> Result<Paged<SpecialRecord>, StoreError> {
        dispatch!(self, s => s.specials(filter, page).await)
    }

    /// Memberships by group: all and overdue.
    pub async fn special_counts(&self, filter: &SpecialFilter, now: DateTime<Utc>) -> Result<Vec<(String, i64, i64)>, StoreError> {
        dispatch!(self, s => s.special_counts(filter, now).await)
    }

    /// Records a follow-up (a replay answers the stored one, `false`).
    pub async fn add_followup(&self, f: &FollowupRecord, due_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(FollowupRecord, bool), StoreError> {
        dispatch!(self, s => s.add_followup(f, due_at, now).await)
    }

    /// One follow-up.
    pub async fn followup(&self, followup_id: &str) -> Result<Option<FollowupRecord>, StoreError> {
        dispatch!(self, s => s.followup(followup_id).await)
    }

    /// The latest follow-ups of a membership.
    pub async fn followups(&self, special_id: &str) -> Result<Vec<FollowupRecord>, StoreError> {
        dispatch!(self, s => s.followups(special_id).await)
    }

    /// Links something to a record.
    pub async fn insert_link(&self, link: &RegistryLink) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_link(link).await)
    }

    /// What refers to a record.
    pub async fn links_to(&self, record_id: &str) -> Result<Vec<RegistryLink>, StoreError> {
        dispatch!(self, s => s.links_to(record_id).await)
    }

    /// The records something refers to.
    pub async fn links_from(&self, from_kind: &str, from_id: &str) -> Result<Vec<RegistryLink>, StoreError> {
        dispatch!(self, s => s.links_from(from_kind, from_id).await)
    }
}

/// A JSON object of text values.
fn json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

fn unjson(table: &'static str, id: &str, text: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::BadRow { table, code: id.to_owned(), reason: format!("fields: {e}") })
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    record_id: String,
    entity: String,
    subtype: Option<String>,
    title: String,
    township_code: String,
    village_code: String,
    grid_code: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    house_id: Option<String>,
    household_id: Option<String>,
    fields: String,
    sealed: String,
    masked: String,
    id_hash: Option<String>,
    verified_at: Time,
    verified_by: String,
    created_by: String,
    created_at: Time,
    updated_at: Time,
}

impl RecordRow {
    fn into_record(self) -> Result<RegistryRecord, StoreError> {
        let t = "registry_record";
        let entity = Entity::parse(&self.entity)
            .ok_or_else(|| StoreError::BadRow { table: t, code: self.record_id.clone(), reason: format!("entity {:?}", self.entity) })?;
        Ok(RegistryRecord {
            fields: unjson(t, &self.record_id, &self.fields)?,
            sealed: unjson(t, &self.record_id, &self.sealed)?,
            masked: unjson(t, &self.record_id, &self.masked)?,
            record_id: self.record_id,
            entity,
            subtype: self.subtype,
            title: self.title,
            township_code: self.township_code,
            village_code: self.village_code,
            grid_code: self.grid_code,
            point: self.lon.zip(self.lat).map(|(lon, lat)| LonLat { lon, lat }),
            house_id: self.house_id,
            household_id: self.household_id,
            id_hash: self.id_hash,
            verified_at: self.verified_at.into(),
            verified_by: self.verified_by,
            created_by: self.created_by,
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CountRow {
    entity: String,
    subtype: Option<String>,
    total: i64,
    fresh: Option<i64>,
}

impl CountRow {
    fn into_count(self) -> Result<RegistryCount, StoreError> {
        let entity = Entity::parse(&self.entity)
            .ok_or_else(|| StoreError::BadRow { table: "registry_record", code: self.entity.clone(), reason: "unknown entity".into() })?;
        Ok(RegistryCount { entity, subtype: self.subtype, total: self.total, fresh: self.fresh.unwrap_or(0) })
    }
}

#[derive(sqlx::FromRow)]
struct SpecialRow {
    special_id: String,
    group_kind: String,
    person_sealed: String,
    person_hash: String,
    details_sealed: String,
    township_code: String,
    village_code: String,
    grid_code: Option<String>,
    responsible_person_id: String,
    followup_days: i64,
    last_followup_at: Option<Time>,
    due_at: Time,
    created_at: Time,
    updated_at: Time,
}

impl SpecialRow {
    fn into_record(self) -> SpecialRecord {
        SpecialRecord {
            special_id: self.special_id,
            group: self.group_kind,
            person_sealed: self.person_sealed,
            person_hash: self.person_hash,
            details_sealed: self.details_sealed,
            township_code: self.township_code,
            village_code: self.village_code,
            grid_code: self.grid_code,
            responsible_person_id: self.responsible_person_id,
            followup_days: u32::try_from(self.followup_days).unwrap_or(30),
            last_followup_at: self.last_followup_at.map(Into::into),
            due_at: self.due_at.into(),
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct FollowupRow {
    followup_id: String,
    special_id: String,
    at: Time,
    person_id: String,
    note_sealed: Option<String>,
}

impl FollowupRow {
    fn into_record(self) -> FollowupRecord {
        FollowupRecord {
            followup_id: self.followup_id,
            special_id: self.special_id,
            at: self.at.into(),
            person_id: self.person_id,
            note_sealed: self.note_sealed,
        }
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    from_kind: String,
    from_id: String,
    record_id: String,
    created_by: String,
    created_at: Time,
}

impl LinkRow {
    fn into_link(self) -> RegistryLink {
        RegistryLink {
            from_kind: self.from_kind,
            from_id: self.from_id,
            record_id: self.record_id,
            created_by: self.created_by,
            created_at: self.created_at.into(),
        }
    }
}
