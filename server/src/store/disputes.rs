//! Screenings, dispute cases, petitions, call-backs and outcomes, written once for both
//! backends. A case's or petition's move is one transaction: the row changes only if its seq is
//! the one read (a concurrent move wins, this one is refused as stale) and its timeline row is
//! written with it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wangge_core::dispute::{CaseSummary, Level};
use wangge_core::petition::PetitionSummary;

use super::time::Time;
use super::{query, PgStore, SqliteStore, Store, StoreError};
use crate::records::{Callback, CaseFilter, CaseMove, ClosedEvent, DisputeCase, Outcome, Page, Paged, Petition, PetitionFact};
use crate::records::{Place, Screening, StatsFilter};

const SCREENING_COLUMNS: &str =
    "grid_code, month, township_code, village_code, screened_at, screened_by, found, note, updated_at";
const PUT_SCREENING: &str = "INSERT INTO screening (grid_code, month, township_code, village_code, screened_at,
        screened_by, found, note, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5)
     ON CONFLICT (grid_code, month) DO UPDATE SET found = excluded.found, note = excluded.note, updated_at = excluded.updated_at";

const CASE_COLUMNS: &str = "case_id, event_id, township_code, village_code, grid_code, kind, scale, stage, registered_at,
     accepted_at, due_at, concluded_at, mediated, agreed, failed, left_county, doc, parties_sealed, seq, created_by, updated_at";
const INSERT_CASE: &str = "INSERT INTO dispute_case (case_id, event_id, township_code, village_code, grid_code, kind,
        scale, stage, registered_at, accepted_at, due_at, concluded_at, mediated, agreed, failed, left_county, doc,
        parties_sealed, seq, created_by, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
     ON CONFLICT DO NOTHING";
const UPDATE_CASE: &str = "UPDATE dispute_case SET stage = $1, accepted_at = $2, due_at = $3, concluded_at = $4,
        mediated = $5, agreed = $6, failed = $7, left_county = $8, doc = $9, seq = $10, updated_at = $11
     WHERE case_id = $12 AND seq = $13";
const CASE_OF_EVENT: &str = "SELECT case_id FROM dispute_case WHERE event_id = $1";
const INSERT_CASE_MOVE: &str = "INSERT INTO dispute_move (case_id, seq, at, actor, action, payload, stage_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const CASE_MOVES: &str =
    "SELECT seq, at, actor, action, payload, stage_after FROM dispute_move WHERE case_id = $1 ORDER BY seq";

const PETITION_COLUMNS: &str = "petition_id, channel, lodged, township_code, village_code, stage, received_at, accept_by,
     accepted_at, due_at, extended, answered_at, resolved, repeat_of, event_id, case_id, doc, petitioners_sealed, seq,
     created_by, updated_at";
const INSERT_PETITION: &str = "INSERT INTO petition (petition_id, channel, lodged, township_code, village_code, stage,
        received_at, accept_by, accepted_at, due_at, extended, answered_at, resolved, repeat_of, event_id, case_id, doc,
        petitioners_sealed, seq, created_by, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";
const UPDATE_PETITION: &str = "UPDATE petition SET stage = $1, accepted_at = $2, due_at = $3, extended = $4,
        answered_at = $5, resolved = $6, doc = $7, seq = $8, updated_at = $9
     WHERE petition_id = $10 AND seq = $11";
const INSERT_PETITION_MOVE: &str = "INSERT INTO petition_move (petition_id, seq, at, actor, action, payload, stage_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const PETITION_MOVES: &str =
    "SELECT seq, at, actor, action, payload, stage_after FROM petition_move WHERE petition_id = $1 ORDER BY seq";

const CALLBACK_COLUMNS: &str = "callback_id, event_id, at, actor, source, reached, level, note, reopened, township_code,
     village_code, grid_code, event_reported_at";
const INSERT_CALLBACK: &str = "INSERT INTO callback (callback_id, event_id, at, actor, source, reached, level, note,
        reopened, township_code, village_code, grid_code, event_reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING";

const OUTCOME_COLUMNS: &str = "outcome_id, township_code, kind, occurred_on, note, ref, recorded_by, recorded_at";
const INSERT_OUTCOME: &str = "INSERT INTO outcome (outcome_id, township_code, kind, occurred_on, note, ref, recorded_by,
        recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

/// The dispute methods of one backend.
macro_rules! dispute_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Records a screening (or replaces the found and note of the grid's month); whether
            /// it was new, and the screening as stored.
            pub async fn put_screening(&self, s: &Screening) -> Result<(bool, Screening), StoreError> {
                let before = self.screening(&s.grid_code, &s.month).await?;
                sqlx::query(PUT_SCREENING)
                    .bind(&s.grid_code)
                    .bind(&s.month)
                    .bind(&s.township_code)
                    .bind(&s.village_code)
                    .bind(Time::from(s.screened_at))
                    .bind(&s.screened_by)
                    .bind(s.found)
                    .bind(&s.note)
                    .execute(&self.pool)
                    .await
                    .map_err(query("recording a screening"))?;
                let after = self.screening(&s.grid_code, &s.month).await?.ok_or_else(|| missing("screening", &s.grid_code))?;
                Ok((before.is_none(), after))
            }

            /// Loads screenings and call-backs in one transaction (the demo year), skipping
            /// those already stored; how many of each were written.
            pub async fn load_followups(&self, screenings: &[Screening], callbacks: &[Callback]) -> Result<(u64, u64), StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a screening load").await?;
                let mut written = (0, 0);
                for chunk in screenings.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO screening (grid_code, month, township_code, village_code, screened_at, screened_by, found, note, updated_at) ",
                    );
                    q.push_values(chunk, |mut row, s| {
                        row.push_bind(&s.grid_code)
                            .push_bind(&s.month)
                            .push_bind(&s.township_code)
                            .push_bind(&s.village_code)
                            .push_bind(Time::from(s.screened_at))
                            .push_bind(&s.screened_by)
                            .push_bind(s.found)
                            .push_bind(&s.note)
                            .push_bind(Time::from(s.updated_at));
                    });
                    q.push(" ON CONFLICT DO NOTHING");
                    written.0 += q.build().execute(&mut *tx).await.map_err(query("loading screenings"))?.rows_affected();
                }
                for chunk in callbacks.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO callback (callback_id, event_id, at, actor, source, reached, level, note, reopened, township_code, village_code, grid_code, event_reported_at) ",
                    );
                    q.push_values(chunk, |mut row, c| {
                        row.push_bind(&c.callback_id)
                            .push_bind(&c.event_id)
                            .push_bind(Time::from(c.at))
                            .push_bind(&c.actor)
                            .push_bind(&c.source)
                            .push_bind(c.reached)
                            .push_bind(c.level.map(Level::zh))
                            .push_bind(&c.note)
                            .push_bind(c.reopened)
                            .push_bind(&c.place.township)
                            .push_bind(&c.place.village)
                            .push_bind(&c.place.grid)
                            .push_bind(Time::from(c.event_reported_at));
                    });
                    q.push(" ON CONFLICT DO NOTHING");
                    written.1 += q.build().execute(&mut *tx).await.map_err(query("loading call-backs"))?.rows_affected();
                }
                tx.commit().await.map_err(query("committing a screening load"))?;
                Ok(written)
            }

            /// A grid's screening of a month.
            pub async fn screening(&self, grid: &str, month: &str) -> Result<Option<Screening>, StoreError> {
                let row: Option<ScreeningRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SCREENING_COLUMNS} FROM screening WHERE grid_code = $1 AND month = $2")))
                        .bind(grid)
                        .bind(month)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(query("reading a screening"))?;
                Ok(row.map(ScreeningRow::into_record))
            }

            /// The screenings of the months `first..=last` (`YYYY-MM`) in an area.
            pub async fn screenings(
                &self,
                first: &str,
                last: &str,
                township: Option<&str>,
                village: Option<&str>,
            ) -> Result<Vec<Screening>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {SCREENING_COLUMNS} FROM screening WHERE month >= "));
                q.push_bind(first.to_owned()).push(" AND month <= ").push_bind(last.to_owned());
                if let Some(t) = township {
                    q.push(" AND township_code = ").push_bind(t.to_owned());
                }
                if let Some(v) = village {
                    q.push(" AND village_code = ").push_bind(v.to_owned());
                }
                let rows: Vec<ScreeningRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing screenings"))?;
                Ok(rows.into_iter().map(ScreeningRow::into_record).collect())
            }

            /// Stores a new case with its first move; `false` when the event has a case already.
            pub async fn insert_dispute(&self, c: &DisputeCase, first: &CaseMove) -> Result<bool, StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a dispute case").await?;
                let done = sqlx::query(INSERT_CASE)
                    .bind(&c.case_id)
                    .bind(&c.event_id)
                    .bind(&c.place.township)
                    .bind(&c.place.village)
                    .bind(&c.place.grid)
                    .bind(&c.kind)
                    .bind(&c.scale)
                    .bind(c.stage.as_str())
                    .bind(Time::from(c.registered_at))
                    .bind(c.accepted_at.map(Time::from))
                    .bind(c.due_at.map(Time::from))
                    .bind(c.concluded_at.map(Time::from))
                    .bind(c.facts.mediated)
                    .bind(c.facts.agreed)
                    .bind(c.facts.failed)
                    .bind(c.facts.left_county)
                    .bind(c.doc.to_string())
                    .bind(&c.parties_sealed)
                    .bind(c.seq)
                    .bind(&c.created_by)
                    .bind(Time::from(c.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(query("inserting a dispute case"))?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                move_row(INSERT_CASE_MOVE, &c.case_id, first).execute(&mut *tx).await.map_err(query("writing a case move"))?;
                tx.commit().await.map_err(query("committing a dispute case"))?;
                Ok(true)
            }

            /// Writes a case after a move, if it is still at `expected_seq`.
            pub async fn move_dispute(&self, c: &DisputeCase, expected_seq: i64, m: &CaseMove) -> Result<(), StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a case move").await?;
                let done = sqlx::query(UPDATE_CASE)
                    .bind(c.stage.as_str())
                    .bind(c.accepted_at.map(Time::from))
                    .bind(c.due_at.map(Time::from))
                    .bind(c.concluded_at.map(Time::from))
                    .bind(c.facts.mediated)
                    .bind(c.facts.agreed)
                    .bind(c.facts.failed)
                    .bind(c.facts.left_county)
                    .bind(c.doc.to_string())
                    .bind(c.seq)
                    .bind(Time::from(c.updated_at))
                    .bind(&c.case_id)
                    .bind(expected_seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("updating a dispute case"))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Stale { event_id: c.case_id.clone() });
                }
                move_row(INSERT_CASE_MOVE, &c.case_id, m).execute(&mut *tx).await.map_err(query("writing a case move"))?;
                tx.commit().await.map_err(query("committing a case move"))
            }

            /// One case.
            pub async fn dispute(&self, case_id: &str) -> Result<Option<DisputeCase>, StoreError> {
                let row: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CASE_COLUMNS} FROM dispute_case WHERE case_id = $1")))
                    .bind(case_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a dispute case"))?;
                row.map(CaseRow::into_record).transpose()
            }

            /// The case of an event.
            pub async fn dispute_of_event(&self, event_id: &str) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar(CASE_OF_EVENT).bind(event_id).fetch_optional(&self.pool).await.map_err(query("finding an event's case"))
            }

            /// A case's moves, in order.
            pub async fn dispute_moves(&self, case_id: &str) -> Result<Vec<CaseMove>, StoreError> {
                let rows: Vec<MoveRow> =
                    sqlx::query_as(CASE_MOVES).bind(case_id).fetch_all(&self.pool).await.map_err(query("reading case moves"))?;
                rows.into_iter().map(MoveRow::into_move).collect()
            }

            /// The filter's conditions on `dispute_case` or `petition` (`time` the period's column).
            fn case_filter(q: &mut sqlx::QueryBuilder<$db>, f: &CaseFilter, time: &str, cases: bool) {
                if let Some(t) = f.from {
                    q.push(format!(" AND {time} >= ")).push_bind(Time::from(t));
                }
                if let Some(t) = f.to {
                    q.push(format!(" AND {time} < ")).push_bind(Time::from(t));
                }
                let mut text = |col: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        q.push(format!(" AND {col} = ")).push_bind(v.clone());
                    }
                };
                text("township_code", &f.township);
                text("village_code", &f.village);
                text("stage", &f.stage);
                if cases {
                    text("grid_code", &f.grid);
                    text("kind", &f.kind);
                }
            }

            /// A page of cases, newest first, and how many match.
            pub async fn disputes(&self, f: &CaseFilter, page: Page) -> Result<Paged<DisputeCase>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM dispute_case WHERE TRUE");
                Self::case_filter(&mut count, f, "registered_at", true);
                let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting cases"))?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {CASE_COLUMNS} FROM dispute_case WHERE TRUE"));
                Self::case_filter(&mut q, f, "registered_at", true);
                q.push(" ORDER BY registered_at DESC, case_id LIMIT ").push_bind(i64::from(page.per_page)).push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<CaseRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing cases"))?;
                let items = rows.into_iter().map(CaseRow::into_record).collect::<Result<_, _>>()?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// What the rates count of the cases registered in the period and area.
            pub async fn dispute_facts(&self, f: &StatsFilter) -> Result<Vec<CaseSummary>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT mediated, agreed, failed, left_county FROM dispute_case WHERE TRUE");
                Self::case_filter(&mut q, &period(f), "registered_at", true);
                let rows: Vec<(bool, bool, bool, bool)> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting cases"))?;
                Ok(rows.into_iter().map(|(mediated, agreed, failed, left_county)| CaseSummary { mediated, agreed, failed, left_county }).collect())
            }

            /// Stores a new petition with its first move.
            pub async fn insert_petition(&self, p: &Petition, first: &CaseMove) -> Result<(), StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a petition").await?;
                sqlx::query(INSERT_PETITION)
                    .bind(&p.petition_id)
                    .bind(wire(&p.channel))
                    .bind(p.lodged.as_str())
                    .bind(&p.township_code)
                    .bind(p.village_code.as_deref())
                    .bind(p.stage.as_str())
                    .bind(Time::from(p.received_at))
                    .bind(Time::from(p.accept_by))
                    .bind(p.accepted_at.map(Time::from))
                    .bind(p.due_at.map(Time::from))
                    .bind(p.extended)
                    .bind(p.answered_at.map(Time::from))
                    .bind(p.resolved)
                    .bind(p.repeat_of.as_deref())
                    .bind(p.event_id.as_deref())
                    .bind(p.case_id.as_deref())
                    .bind(p.doc.to_string())
                    .bind(&p.petitioners_sealed)
                    .bind(p.seq)
                    .bind(&p.created_by)
                    .bind(Time::from(p.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(query("inserting a petition"))?;
                move_row(INSERT_PETITION_MOVE, &p.petition_id, first).execute(&mut *tx).await.map_err(query("writing a petition move"))?;
                tx.commit().await.map_err(query("committing a petition"))
            }

            /// Writes a petition after a move, if it is still at `expected_seq`.
            pub async fn move_petition(&self, p: &Petition, expected_seq: i64, m: &CaseMove) -> Result<(), StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a petition move").await?;
                let done = sqlx::query(UPDATE_PETITION)
                    .bind(p.stage.as_str())
                    .bind(p.accepted_at.map(Time::from))
                    .bind(p.due_at.map(Time::from))
                    .bind(p.extended)
                    .bind(p.answered_at.map(Time::from))
                    .bind(p.resolved)
                    .bind(p.doc.to_string())
                    .bind(p.seq)
                    .bind(Time::from(p.updated_at))
                    .bind(&p.petition_id)
                    .bind(expected_seq)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("updating a petition"))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Stale { event_id: p.petition_id.clone() });
                }
                move_row(INSERT_PETITION_MOVE, &p.petition_id, m).execute(&mut *tx).await.map_err(query("writing a petition move"))?;
                tx.commit().await.map_err(query("committing a petition move"))
            }

            /// One petition.
            pub async fn petition(&self, petition_id: &str) -> Result<Option<Petition>, StoreError> {
                let row: Option<PetitionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {PETITION_COLUMNS} FROM petition WHERE petition_id = $1")))
                    .bind(petition_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a petition"))?;
                row.map(PetitionRow::into_record).transpose()
            }

            /// A petition's moves, in order.
            pub async fn petition_moves(&self, petition_id: &str) -> Result<Vec<CaseMove>, StoreError> {
                let rows: Vec<MoveRow> = sqlx::query_as(PETITION_MOVES)
                    .bind(petition_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading petition moves"))?;
                rows.into_iter().map(MoveRow::into_move).collect()
            }

            /// The petitions linked to a case.
            pub async fn petitions_of_case(&self, case_id: &str) -> Result<Vec<String>, StoreError> {
                sqlx::query_scalar("SELECT petition_id FROM petition WHERE case_id = $1 ORDER BY received_at")
                    .bind(case_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading a case's petitions"))
            }

            /// A page of petitions, newest first, and how many match.
            pub async fn petitions(&self, f: &CaseFilter, page: Page) -> Result<Paged<Petition>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM petition WHERE TRUE");
                Self::case_filter(&mut count, f, "received_at", false);
                let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting petitions"))?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {PETITION_COLUMNS} FROM petition WHERE TRUE"));
                Self::case_filter(&mut q, f, "received_at", false);
                q.push(" ORDER BY received_at DESC, petition_id LIMIT ").push_bind(i64::from(page.per_page)).push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<PetitionRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing petitions"))?;
                let items = rows.into_iter().map(PetitionRow::into_record).collect::<Result<_, _>>()?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// What the rates count of the petitions received in the period and area.
            pub async fn petition_facts(&self, f: &StatsFilter) -> Result<Vec<PetitionFact>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT stage, resolved, repeat_of IS NOT NULL, lodged FROM petition WHERE TRUE");
                Self::case_filter(&mut q, &period(f), "received_at", false);
                let rows: Vec<(String, Option<bool>, bool, String)> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting petitions"))?;
                rows.into_iter()
                    .map(|(stage, resolved, repeat, lodged)| {
                        Ok(PetitionFact {
                            summary: PetitionSummary { accepted: stage == "accepted" || stage == "answered", resolved, repeat },
                            lodged: parse("petition", &lodged)?,
                        })
                    })
                    .collect()
            }

            /// Stores a call-back (a replay of its id changes nothing).
            pub async fn insert_callback(&self, c: &Callback) -> Result<(), StoreError> {
                sqlx::query(INSERT_CALLBACK)
                    .bind(&c.callback_id)
                    .bind(&c.event_id)
                    .bind(Time::from(c.at))
                    .bind(&c.actor)
                    .bind(&c.source)
                    .bind(c.reached)
                    .bind(c.level.map(Level::zh))
                    .bind(&c.note)
                    .bind(c.reopened)
                    .bind(&c.place.township)
                    .bind(&c.place.village)
                    .bind(&c.place.grid)
                    .bind(Time::from(c.event_reported_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("recording a call-back"))?;
                Ok(())
            }

            /// An event's call-backs, oldest first.
            pub async fn callbacks(&self, event_id: &str) -> Result<Vec<Callback>, StoreError> {
                let rows: Vec<CallbackRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CALLBACK_COLUMNS} FROM callback WHERE event_id = $1 ORDER BY at, callback_id")))
                        .bind(event_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(query("reading call-backs"))?;
                rows.into_iter().map(CallbackRow::into_record).collect()
            }

            /// The call-backs of the events reported in the period and area.
            pub async fn callback_facts(&self, f: &StatsFilter) -> Result<Vec<Callback>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {CALLBACK_COLUMNS} FROM callback WHERE event_reported_at >= "));
                q.push_bind(Time::from(f.from)).push(" AND event_reported_at < ").push_bind(Time::from(f.to));
                area(&mut q, f);
                let rows: Vec<CallbackRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("counting call-backs"))?;
                rows.into_iter().map(CallbackRow::into_record).collect()
            }

            /// Events closed in `from..to` in an area, newest first, with their call-backs since.
            pub async fn closed_events(&self, f: &StatsFilter) -> Result<Vec<ClosedEvent>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT e.event_id, e.category, e.closed_at,
                        (SELECT count(*) FROM callback c WHERE c.event_id = e.event_id AND c.at >= e.closed_at),
                        EXISTS (SELECT 1 FROM callback c WHERE c.event_id = e.event_id AND c.at >= e.closed_at AND c.reached)
                       FROM event e WHERE e.state IN ('closed', 'rated') AND e.closed_at >= ",
                );
                q.push_bind(Time::from(f.from)).push(" AND e.closed_at < ").push_bind(Time::from(f.to));
                if let Some(t) = &f.township {
                    q.push(" AND e.township_code = ").push_bind(t.clone());
                }
                if let Some(v) = &f.village {
                    q.push(" AND e.village_code = ").push_bind(v.clone());
                }
                if let Some(g) = &f.grid {
                    q.push(" AND e.grid_code = ").push_bind(g.clone());
                }
                q.push(" ORDER BY e.closed_at DESC, e.event_id");
                let rows: Vec<(String, String, Time, i64, bool)> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing closed events"))?;
                Ok(rows
                    .into_iter()
                    .map(|(event_id, category, closed_at, attempts, reached)| ClosedEvent { event_id, category, closed_at: closed_at.into(), attempts, reached })
                    .collect())
            }

            /// Stores an outcome.
            pub async fn insert_outcome(&self, o: &Outcome) -> Result<(), StoreError> {
                sqlx::query(INSERT_OUTCOME)
                    .bind(&o.outcome_id)
                    .bind(&o.township_code)
                    .bind(&o.kind)
                    .bind(&o.occurred_on)
                    .bind(&o.note)
                    .bind(o.reference.as_deref())
                    .bind(&o.recorded_by)
                    .bind(Time::from(o.recorded_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("recording an outcome"))?;
                Ok(())
            }

            /// The outcomes of the days `first..=last` (`YYYY-MM-DD`), in a township or all.
            pub async fn outcomes(&self, first: &str, last: &str, township: Option<&str>) -> Result<Vec<Outcome>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {OUTCOME_COLUMNS} FROM outcome WHERE occurred_on >= "));
                q.push_bind(first.to_owned()).push(" AND occurred_on <= ").push_bind(last.to_owned());
                if let Some(t) = township {
                    q.push(" AND township_code = ").push_bind(t.to_owned());
                }
                q.push(" ORDER BY occurred_on DESC, outcome_id");
                let rows: Vec<OutcomeRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing outcomes"))?;
                Ok(rows.into_iter().map(OutcomeRow::into_record).collect())
            }
        }

        /// The division conditions of a stats filter on a table with the three codes.
        fn area(q: &mut sqlx::QueryBuilder<$db>, f: &StatsFilter) {
            if let Some(t) = &f.township {
                q.push(" AND township_code = ").push_bind(t.clone());
            }
            if let Some(v) = &f.village {
                q.push(" AND village_code = ").push_bind(v.clone());
            }
            if let Some(g) = &f.grid {
                q.push(" AND grid_code = ").push_bind(g.clone());
            }
        }
    };
}

mod sqlite_disputes {
    use super::*;
    dispute_store!(SqliteStore, sqlx::Sqlite);
}

mod pg_disputes {
    use super::*;
    dispute_store!(PgStore, sqlx::Postgres);
}

/// A move's row for `sql` (`INSERT_CASE_MOVE` or `INSERT_PETITION_MOVE`).
fn move_row<'a, DB: sqlx::Database>(sql: &'static str, id: &'a str, m: &'a CaseMove) -> sqlx::query::Query<'a, DB, <DB as sqlx::Database>::Arguments>
where
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Time: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(sql)
        .bind(id)
        .bind(m.seq)
        .bind(Time::from(m.at))
        .bind(m.actor.as_str())
        .bind(m.action.as_str())
        .bind(m.payload.to_string())
        .bind(m.stage_after.as_str())
}

/// A stats filter as a case filter (its period and area).
fn period(f: &StatsFilter) -> CaseFilter {
    CaseFilter {
        from: Some(f.from),
        to: Some(f.to),
        township: f.township.clone(),
        village: f.village.clone(),
        grid: f.grid.clone(),
        ..CaseFilter::default()
    }
}

fn missing(table: &'static str, code: &str) -> StoreError {
    StoreError::BadRow { table, code: code.to_owned(), reason: "missing right after it was written".into() }
}

/// A value's wire name (its serde string).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A stored wire name read back.
fn parse<T: DeserializeOwned>(table: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|e| StoreError::BadRow { table, code: text.to_owned(), reason: e.to_string() })
}

fn json(table: &'static str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::BadRow { table, code: String::new(), reason: format!("bad JSON: {e}") })
}

#[derive(sqlx::FromRow)]
struct ScreeningRow {
    grid_code: String,
    month: String,
    township_code: String,
    village_code: String,
    screened_at: Time,
    screened_by: String,
    found: i64,
    note: String,
    updated_at: Time,
}

impl ScreeningRow {
    fn into_record(self) -> Screening {
        Screening {
            grid_code: self.grid_code,
            month: self.month,
            township_code: self.township_code,
            village_code: self.village_code,
            screened_at: self.screened_at.into(),
            screened_by: self.screened_by,
            found: self.found,
            note: self.note,
            updated_at: self.updated_at.into(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    case_id: String,
    event_id: String,
    township_code: String,
    village_code: String,
    grid_code: String,
    kind: String,
    scale: String,
    stage: String,
    registered_at: Time,
    accepted_at: Option<Time>,
    due_at: Option<Time>,
    concluded_at: Option<Time>,
    mediated: bool,
    agreed: bool,
    failed: bool,
    left_county: bool,
    doc: String,
    parties_sealed: String,
    seq: i64,
    created_by: String,
    updated_at: Time,
}

impl CaseRow {
    fn into_record(self) -> Result<DisputeCase, StoreError> {
        Ok(DisputeCase {
            stage: parse("dispute_case", &self.stage)?,
            doc: json("dispute_case", &self.doc)?,
            case_id: self.case_id,
            event_id: self.event_id,
            place: Place { grid: self.grid_code, village: self.village_code, township: self.township_code },
            kind: self.kind,
            scale: self.scale,
            registered_at: self.registered_at.into(),
            accepted_at: self.accepted_at.map(Into::into),
            due_at: self.due_at.map(Into::into),
            concluded_at: self.concluded_at.map(Into::into),
            facts: CaseSummary { mediated: self.mediated, agreed: self.agreed, failed: self.failed, left_county: self.left_county },
            parties_sealed: self.parties_sealed,
            seq: self.seq,
            created_by: self.created_by,
            updated_at: self.updated_at.into(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    seq: i64,
    at: Time,
    actor: String,
    action: String,
    payload: String,
    stage_after: String,
}

impl MoveRow {
    fn into_move(self) -> Result<CaseMove, StoreError> {
        Ok(CaseMove {
            payload: json("dispute_move", &self.payload)?,
            seq: self.seq,
            at: self.at.into(),
            actor: self.actor,
            action: self.action,
            stage_after: self.stage_after,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PetitionRow {
    petition_id: String,
    channel: String,
    lodged: String,
    township_code: String,
    village_code: Option<String>,
    stage: String,
    received_at: Time,
    accept_by: Time,
    accepted_at: Option<Time>,
    due_at: Option<Time>,
    extended: bool,
    answered_at: Option<Time>,
    resolved: Option<bool>,
    repeat_of: Option<String>,
    event_id: Option<String>,
    case_id: Option<String>,
    doc: String,
    petitioners_sealed: String,
    seq: i64,
    created_by: String,
    updated_at: Time,
}

impl PetitionRow {
    fn into_record(self) -> Result<Petition, StoreError> {
        Ok(Petition {
            channel: parse("petition", &self.channel)?,
            lodged: parse("petition", &self.lodged)?,
            stage: parse("petition", &self.stage)?,
            doc: json("petition", &self.doc)?,
            petition_id: self.petition_id,
            township_code: self.township_code,
            village_code: self.village_code,
            received_at: self.received_at.into(),
            accept_by: self.accept_by.into(),
            accepted_at: self.accepted_at.map(Into::into),
            due_at: self.due_at.map(Into::into),
            extended: self.extended,
            answered_at: self.answered_at.map(Into::into),
            resolved: self.resolved,
            repeat_of: self.repeat_of,
            event_id: self.event_id,
            case_id: self.case_id,
            petitioners_sealed: self.petitioners_sealed,
            seq: self.seq,
            created_by: self.created_by,
            updated_at: self.updated_at.into(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallbackRow {
    callback_id: String,
    event_id: String,
    at: Time,
    actor: String,
    source: String,
    reached: bool,
    level: Option<String>,
    note: String,
    reopened: bool,
    township_code: String,
    village_code: String,
    grid_code: String,
    event_reported_at: Time,
}

impl CallbackRow {
    fn into_record(self) -> Result<Callback, StoreError> {
        let level = match &self.level {
            None => None,
            Some(l) => Some(Level::parse(l).ok_or_else(|| StoreError::BadRow {
                table: "callback",
                code: self.callback_id.clone(),
                reason: format!("unknown level {l:?}"),
            })?),
        };
        Ok(Callback {
            level,
            callback_id: self.callback_id,
            event_id: self.event_id,
            at: self.at.into(),
            actor: self.actor,
            source: self.source,
            reached: self.reached,
            note: self.note,
            reopened: self.reopened,
            place: Place { grid: self.grid_code, village: self.village_code, township: self.township_code },
            event_reported_at: self.event_reported_at.into(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutcomeRow {
    outcome_id: String,
    township_code: String,
    kind: String,
    occurred_on: String,
    note: String,
    r#ref: Option<String>,
    recorded_by: String,
    recorded_at: Time,
}

impl OutcomeRow {
    fn into_record(self) -> Outcome {
        Outcome {
            outcome_id: self.outcome_id,
            township_code: self.township_code,
            kind: self.kind,
            occurred_on: self.occurred_on,
            note: self.note,
            reference: self.r#ref,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at.into(),
        }
    }
}

impl Store {
    /// Loads screenings and call-backs in one transaction, skipping stored ones.
    pub async fn load_followups(&self, screenings: &[Screening], callbacks: &[Callback]) -> Result<(u64, u64), StoreError> {
        dispatch!(self, st => st.load_followups(screenings, callbacks).await)
    }

    /// Records a grid's screening of a month (see [`SqliteStore::put_screening`]).
    pub async fn put_screening(&self, s: &Screening) -> Result<(bool, Screening), StoreError> {
        dispatch!(self, st => st.put_screening(s).await)
    }

    /// The screenings of the months `first..=last` in an area.
    pub async fn screenings(&self, first: &str, last: &str, township: Option<&str>, village: Option<&str>) -> Result<Vec<Screening>, StoreError> {
        dispatch!(self, st => st.screenings(first, last, township, village).await)
    }

    /// Stores a new case; `false` when its event has one.
    pub async fn insert_dispute(&self, c: &DisputeCase, first: &CaseMove) -> Result<bool, StoreError> {
        dispatch!(self, st => st.insert_dispute(c, first).await)
    }

    /// Writes a case after a move ([`StoreError::Stale`] if it moved meanwhile).
    pub async fn move_dispute(&self, c: &DisputeCase, expected_seq: i64, m: &CaseMove) -> Result<(), StoreError> {
        dispatch!(self, st => st.move_dispute(c, expected_seq, m).await)
    }

    /// One case.
    pub async fn dispute(&self, case_id: &str) -> Result<Option<DisputeCase>, StoreError> {
        dispatch!(self, st => st.dispute(case_id).await)
    }

    /// The case of an event.
    pub async fn dispute_of_event(&self, event_id: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, st => st.dispute_of_event(event_id).await)
    }

    /// A case's moves.
    pub async fn dispute_moves(&self, case_id: &str) -> Result<Vec<CaseMove>, StoreError> {
        dispatch!(self, st => st.dispute_moves(case_id).await)
    }

    /// A page of cases.
    pub async fn disputes(&self, f: &CaseFilter, page: Page) -> Result<Paged<DisputeCase>, StoreError> {
        dispatch!(self, st => st.disputes(f, page).await)
    }

    /// The rates' facts of the cases of a period and area.
    pub async fn dispute_facts(&self, f: &StatsFilter) -> Result<Vec<CaseSummary>, StoreError> {
        dispatch!(self, st => st.dispute_facts(f).await)
    }

    /// Stores a new petition.
    pub async fn insert_petition(&self, p: &Petition, first: &CaseMove) -> Result<(), StoreError> {
        dispatch!(self, st => st.insert_petition(p, first).await)
    }

    /// Writes a petition after a move.
    pub async fn move_petition(&self, p: &Petition, expected_seq: i64, m: &CaseMove) -> Result<(), StoreError> {
        dispatch!(self, st => st.move_petition(p, expected_seq, m).await)
    }

    /// One petition.
    pub async fn petition(&self, petition_id: &str) -> Result<Option<Petition>, StoreError> {
        dispatch!(self, st => st.petition(petition_id).await)
    }

    /// A petition's moves.
    pub async fn petition_moves(&self, petition_id: &str) -> Result<Vec<CaseMove>, StoreError> {
        dispatch!(self, st => st.petition_moves(petition_id).await)
    }

    /// The petitions linked to a case.
    pub async fn petitions_of_case(&self, case_id: &str) -> Result<Vec<String>, StoreError> {
        dispatch!(self, st => st.petitions_of_case(case_id).await)
    }

    /// A page of petitions.
    pub async fn petitions(&self, f: &CaseFilter, page: Page) -> Result<Paged<Petition>, StoreError> {
        dispatch!(self, st => st.petitions(f, page).await)
    }

    /// The rates' facts of the petitions of a period and area.
    pub async fn petition_facts(&self, f: &StatsFilter) -> Result<Vec<PetitionFact>, StoreError> {
        dispatch!(self, st => st.petition_facts(f).await)
    }

    /// Stores a call-back.
    pub async fn insert_callback(&self, c: &Callback) -> Result<(), StoreError> {
        dispatch!(self, st => st.insert_callback(c).await)
    }

    /// An event's call-backs.
    pub async fn callbacks(&self, event_id: &str) -> Result<Vec<Callback>, StoreError> {
        dispatch!(self, st => st.callbacks(event_id).await)
    }

    /// The call-backs of the events of a period and area.
    pub async fn callback_facts(&self, f: &StatsFilter) -> Result<Vec<Callback>, StoreError> {
        dispatch!(self, st => st.callback_facts(f).await)
    }

    /// Events closed in a window and area, with their call-backs since.
    pub async fn closed_events(&self, f: &StatsFilter) -> Result<Vec<ClosedEvent>, StoreError> {
        dispatch!(self, st => st.closed_events(f).await)
    }

    /// Stores an outcome.
    pub async fn insert_outcome(&self, o: &Outcome) -> Result<(), StoreError> {
        dispatch!(self, st => st.insert_outcome(o).await)
    }

    /// The outcomes of a span of days.
    pub async fn outcomes(&self, first: &str, last: &str, township: Option<&str>) -> Result<Vec<Outcome>, StoreError> {
        dispatch!(self, st => st.outcomes(first, last, township).await)
    }
}
