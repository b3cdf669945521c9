//! The assessment's tables, written once for both backends: scheme versions (a change is a new
//! version, guarded by the primary key), manual scores (the last entry counts), frozen league
//! tables, the budget ledger, careers (a move is written only at the seq read), events marked
//! not valid, and the registry's collection per grid.

use chrono::{DateTime, Utc};
use wangge_core::assessment::Scheme;

use super::time::Time;
use super::{query, PgStore, SqliteStore, Store, StoreError};
use crate::records::{BudgetLine, CareerMove, Frozen, InvalidMark, ManualScore, SchemeVersion};

const SCHEMES: &str = "SELECT version, body, changed_by, changed_at, note FROM assessment_scheme WHERE year = $1 ORDER BY version";
const INSERT_SCHEME: &str = "INSERT INTO assessment_scheme (year, version, body, changed_by, changed_at, note)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
const SCHEME_YEARS: &str = "SELECT DISTINCT year FROM assessment_scheme ORDER BY year";
const MANUAL_COLUMNS: &str = "period, level, unit, indicator, points, evidence, entered_by, entered_at";
const PUT_MANUAL: &str = "INSERT INTO assessment_manual (period, level, unit, indicator, points, evidence, entered_by, entered_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (period, level, unit, indicator) DO UPDATE SET points = excluded.points, evidence = excluded.evidence,
        entered_by = excluded.entered_by, entered_at = excluded.entered_at";
const FROZEN: &str = "SELECT period, level, scheme_year, scheme_version, body, frozen_by, frozen_at FROM assessment_frozen
     WHERE period = $1 AND level = $2";
const PUT_FROZEN: &str = "INSERT INTO assessment_frozen (period, level, scheme_year, scheme_version, body, frozen_by, frozen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (period, level) DO UPDATE SET scheme_year = excluded.scheme_year, scheme_version = excluded.scheme_version,
        body = excluded.body, frozen_by = excluded.frozen_by, frozen_at = excluded.frozen_at";
const BUDGET_COLUMNS: &str = "line_id, year, kind, item, amount_fen, source, dated, note, entered_by, entered_at";
const INSERT_BUDGET: &str = "INSERT INTO budget_line (line_id, year, kind, item, amount_fen, source, dated, note, entered_by, entered_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";
const CAREER_COLUMNS: &str = "person_id, seq, move, stage, at, by_account, period, note";
const INSERT_CAREER: &str = "INSERT INTO career_move (person_id, seq, move, stage, at, by_account, period, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";
const INVALID_COLUMNS: &str = "event_id, reason, note, marked_by, marked_at";
const PUT_INVALID: &str = "INSERT INTO event_invalid (event_id, reason, note, marked_by, marked_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason, note = excluded.note, marked_by = excluded.marked_by,
        marked_at = excluded.marked_at";
const INVALID_IN: &str = "SELECT i.event_id, i.reason, i.note, i.marked_by, i.marked_at FROM event_invalid i
     JOIN event e ON e.event_id = i.event_id WHERE e.reported_at >= $1 AND e.reported_at < $2 ORDER BY i.event_id";
const COLLECTION_PER_GRID: &str = "SELECT grid_code, count(*), sum(CASE WHEN verified_at >= $1 THEN 1 ELSE 0 END)
     FROM registry_record WHERE grid_code IS NOT NULL AND created_at < $2 GROUP BY grid_code ORDER BY grid_code";

type SchemeRow = (i64, String, String, Time, String);
type ManualRow = (String, String, String, String, f64, String, String, Time);
type BudgetRow = (String, i64, String, String, i64, String, String, String, String, Time);
type CareerRow = (String, i64, String, String, Time, String, Option<String>, String);
type InvalidRow = (String, String, String, String, Time);

/// The assessment methods of one backend.
macro_rules! assessment_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The versions of a year's scheme, oldest first.
            pub async fn schemes(&self, year: i32) -> Result<Vec<SchemeVersion>, StoreError> {
                let rows: Vec<SchemeRow> =
                    sqlx::query_as(SCHEMES).bind(i64::from(year)).fetch_all(&self.pool).await.map_err(query("reading schemes"))?;
                rows.into_iter().map(|r| scheme_version(year, r)).collect()
            }

            /// The years with a scheme.
            pub async fn scheme_years(&self) -> Result<Vec<i64>, StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as(SCHEME_YEARS).fetch_all(&self.pool).await.map_err(query("listing scheme years"))?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            /// Stores `version` of the year's scheme; `false` when that version exists (a
            /// concurrent change won).
            pub async fn insert_scheme(&self, s: &SchemeVersion) -> Result<bool, StoreError> {
                let body = serde_json::to_string(&s.scheme).map_err(|e| StoreError::BadRow {
                    table: "assessment_scheme",
                    code: s.scheme.year.to_string(),
                    reason: e.to_string(),
                })?;
                let done = sqlx::query(INSERT_SCHEME)
                    .bind(i64::from(s.scheme.year))
                    .bind(s.version)
                    .bind(body)
                    .bind(&s.changed_by)
                    .bind(Time::from(s.changed_at))
                    .bind(&s.note)
                    .execute(&self.pool)
                    .await
                    .map_err(query("storing a scheme"))?;
                Ok(done.rows_affected() == 1)
            }

            /// The manual scores of a period and level.
            pub async fn manual_scores(&self, period: &str, level: &str) -> Result<Vec<ManualScore>, StoreError> {
                let rows: Vec<ManualRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {MANUAL_COLUMNS} FROM assessment_manual WHERE period = $1 AND level = $2 ORDER BY unit, indicator"
                )))
                .bind(period)
                .bind(level)
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading manual scores"))?;
                Ok(rows.into_iter().map(manual).collect())
            }

            /// Stores a manual score (replacing the unit's earlier one for the indicator).
            pub async fn put_manual(&self, m: &ManualScore) -> Result<(), StoreError> {
                sqlx::query(PUT_MANUAL)
                    .bind(&m.period)
                    .bind(&m.level)
                    .bind(&m.unit)
                    .bind(&m.indicator)
                    .bind(m.points)
                    .bind(&m.evidence)
                    .bind(&m.entered_by)
                    .bind(Time::from(m.entered_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("storing a manual score"))?;
                Ok(())
            }

            /// A frozen league table.
            pub async fn frozen(&self, period: &str, level: &str) -> Result<Option<Frozen>, StoreError> {
                let row: Option<(String, String, i64, i64, String, String, Time)> = sqlx::query_as(FROZEN)
                    .bind(period)
                    .bind(level)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a frozen period"))?;
                Ok(row.map(|(period, level, y, v, body, frozen_by, at)| Frozen {
                    period,
                    level,
                    scheme: (y, v),
                    body,
                    frozen_by,
                    frozen_at: at.into(),
                }))
            }

            /// Freezes (or refreezes) a league table.
            pub async fn put_frozen(&self, f: &Frozen) -> Result<(), StoreError> {
                sqlx::query(PUT_FROZEN)
                    .bind(&f.period)
                    .bind(&f.level)
                    .bind(f.scheme.0)
                    .bind(f.scheme.1)
                    .bind(&f.body)
                    .bind(&f.frozen_by)
                    .bind(Time::from(f.frozen_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("freezing a period"))?;
                Ok(())
            }

            /// The budget ledger of a year, by date.
            pub async fn budget_lines(&self, year: i32) -> Result<Vec<BudgetLine>, StoreError> {
                let rows: Vec<BudgetRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {BUDGET_COLUMNS} FROM budget_line WHERE year = $1 ORDER BY kind, dated, line_id"
                )))
                .bind(i64::from(year))
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading the budget ledger"))?;
                Ok(rows.into_iter().map(budget).collect())
            }

            /// Stores budget lines (those already stored are skipped); how many were new.
            pub async fn insert_budget_lines(&self, lines: &[BudgetLine]) -> Result<u64, StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting budget lines").await?;
                let mut added = 0;
                for l in lines {
                    added += sqlx::query(INSERT_BUDGET)
                        .bind(&l.line_id)
                        .bind(l.year)
                        .bind(&l.kind)
                        .bind(&l.item)
                        .bind(l.amount_fen)
                        .bind(&l.source)
                        .bind(&l.dated)
                        .bind(&l.note)
                        .bind(&l.entered_by)
                        .bind(Time::from(l.entered_at))
                        .execute(&mut *tx)
                        .await
                        .map_err(query("storing a budget line"))?
                        .rows_affected();
                }
                tx.commit().await.map_err(query("committing budget lines"))?;
                Ok(added)
            }

            /// A gridworker's career (all when `person` is `None`), in order.
            pub async fn career_moves(&self, person: Option<&str>) -> Result<Vec<CareerMove>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {CAREER_COLUMNS} FROM career_move WHERE TRUE"));
                if let Some(p) = person {
                    q.push(" AND person_id = ").push_bind(p.to_owned());
                }
                q.push(" ORDER BY person_id, seq");
                let rows: Vec<CareerRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading careers"))?;
                Ok(rows.into_iter().map(career).collect())
            }

            /// Appends career moves (each at its seq); `false` when a seq was taken (a
            /// concurrent move won) and nothing was written.
            pub async fn append_career(&self, moves: &[CareerMove]) -> Result<bool, StoreError> {
                let mut tx = crate::store::dialect::Backend::begin_write(self, "starting a career move").await?;
                for m in moves {
                    let done = sqlx::query(INSERT_CAREER)
                        .bind(&m.person_id)
                        .bind(m.seq)
                        .bind(&m.action)
                        .bind(&m.stage)
                        .bind(Time::from(m.at))
                        .bind(&m.by)
                        .bind(m.period.as_deref())
                        .bind(&m.note)
                        .execute(&mut *tx)
                        .await
                        .map_err(query("storing a career move"))?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                }
                tx.commit().await.map_err(query("committing a career move"))?;
                Ok(true)
            }

            /// Marks an event not valid (or changes the mark).
            pub async fn put_invalid(&self, m: &InvalidMark) -> Result<(), StoreError> {
                sqlx::query(PUT_INVALID)
                    .bind(&m.event_id)
                    .bind(&m.reason)
                    .bind(&m.note)
                    .bind(&m.marked_by)
                    .bind(Time::from(m.marked_at))
                    .execute(&self.pool)
                    .await
                    .map_err(query("marking an event not valid"))?;
                Ok(())
            }

            /// Removes an event's mark; whether there was one.
            pub async fn remove_invalid(&self, event_id: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM event_invalid WHERE event_id = $1")
                    .bind(event_id)
                    .execute(&self.pool)
                    .await
                    .map_err(query("clearing an event's mark"))?;
                Ok(done.rows_affected() > 0)
            }

            /// An event's mark.
            pub async fn invalid_mark(&self, event_id: &str) -> Result<Option<InvalidMark>, StoreError> {
                let row: Option<InvalidRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {INVALID_COLUMNS} FROM event_invalid WHERE event_id = $1")))
                        .bind(event_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(query("reading an event's mark"))?;
                Ok(row.map(invalid))
            }

            /// The marks of the events reported in `from..to`.
            pub async fn invalid_marks(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<InvalidMark>, StoreError> {
                let rows: Vec<InvalidRow> = sqlx::query_as(INVALID_IN)
                    .bind(Time::from(from))
                    .bind(Time::from(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading marks"))?;
                Ok(rows.into_iter().map(invalid).collect())
            }

            /// Per grid: the registry's records created before `until`, and of them those
            /// collected or re-verified since `fresh_since`.
            pub async fn collection_per_grid(
                &self,
                fresh_since: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<Vec<(String, i64, i64)>, StoreError> {
                sqlx::query_as(COLLECTION_PER_GRID)
                    .bind(Time::from(fresh_since))
                    .bind(Time::from(until))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("counting the collection per grid"))
            }
        }
    };
}

assessment_store!(SqliteStore, sqlx::Sqlite);
assessment_store!(PgStore, sqlx::Postgres);

fn scheme_version(year: i32, (version, body, changed_by, at, note): SchemeRow) -> Result<SchemeVersion, StoreError> {
    let scheme: Scheme = serde_json::from_str(&body).map_err(|e| StoreError::BadRow {
        table: "assessment_scheme",
        code: format!("{year} v{version}"),
        reason: e.to_string(),
    })?;
    Ok(SchemeVersion { version, scheme, changed_by, changed_at: at.into(), note })
}

fn manual((period, level, unit, indicator, points, evidence, entered_by, at): ManualRow) -> ManualScore {
    ManualScore { period, level, unit, indicator, points, evidence, entered_by, entered_at: at.into() }
}

fn budget((line_id, year, kind, item, amount_fen, source, dated, note, entered_by, at): BudgetRow) -> BudgetLine {
    BudgetLine { line_id, year, kind, item, amount_fen, source, dated, note, entered_by, entered_at: at.into() }
}

fn career((person_id, seq, action, stage, at, by, period, note): CareerRow) -> CareerMove {
    CareerMove { person_id, seq, action, stage, at: at.into(), by, period, note }
}

fn invalid((event_id, reason, note, marked_by, at): InvalidRow) -> InvalidMark {
    InvalidMark { event_id, reason, note, marked_by, marked_at: at.into() }
}

impl Store {
    /// The versions of a year's scheme.
    pub async fn schemes(&self, year: i32) -> Result<Vec<SchemeVersion>, StoreError> {
        dispatch!(self, s => s.schemes(year).await)
    }

    /// The years with a scheme.
    pub async fn scheme_years(&self) -> Result<Vec<i64>, StoreError> {
        dispatch!(self, s => s.scheme_years().await)
    }

    /// Stores a scheme version.
    pub async fn insert_scheme(&self, v: &SchemeVersion) -> Result<bool, StoreError> {
        dispatch!(self, s => s.insert_scheme(v).await)
    }

    /// Manual scores of a period and level.
    pub async fn manual_scores(&self, period: &str, level: &str) -> Result<Vec<ManualScore>, StoreError> {
        dispatch!(self, s => s.manual_scores(period, level).await)
    }

    /// Stores a manual score.
    pub async fn put_manual(&self, m: &ManualScore) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_manual(m).await)
    }

    /// A frozen league table.
    pub async fn frozen(&self, period: &str, level: &str) -> Result<Option<Frozen>, StoreError> {
        dispatch!(self, s => s.frozen(period, level).await)
    }

    /// Freezes a league table.
    pub async fn put_frozen(&self, f: &Frozen) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_frozen(f).await)
    }

    /// The budget ledger of a year.
    pub async fn budget_lines(&self, year: i32) -> Result<Vec<BudgetLine>, StoreError> {
        dispatch!(self, s => s.budget_lines(year).await)
    }

    /// Stores budget lines.
    pub async fn insert_budget_lines(&self, lines: &[BudgetLine]) -> Result<u64, StoreError> {
        dispatch!(self, s => s.insert_budget_lines(lines).await)
    }

    /// Careers.
    pub async fn career_moves(&self, person: Option<&str>) -> Result<Vec<CareerMove>, StoreError> {
        dispatch!(self, s => s.career_moves(person).await)
    }

    /// Appends career moves.
    pub async fn append_career(&self, moves: &[CareerMove]) -> Result<bool, StoreError> {
        dispatch!(self, s => s.append_career(moves).await)
    }

    /// Marks an event not valid.
    pub async fn put_invalid(&self, m: &InvalidMark) -> Result<(), StoreError> {
        dispatch!(self, s => s.put_invalid(m).await)
    }

    /// Clears an event's mark.
    pub async fn remove_invalid(&self, event_id: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.remove_invalid(event_id).await)
    }

    /// An event's mark.
    pub async fn invalid_mark(&self, event_id: &str) -> Result<Option<InvalidMark>, StoreError> {
        dispatch!(self, s => s.invalid_mark(event_id).await)
    }

    /// Marks of the events reported in a period.
    pub async fn invalid_marks(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<InvalidMark>, StoreError> {
        dispatch!(self, s => s.invalid_marks(from, to).await)
    }

    /// The collection per grid.
    pub async fn collection_per_grid(&self, fresh_since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<(String, i64, i64)>, StoreError> {
        dispatch!(self, s => s.collection_per_grid(fresh_since, until).await)
    }
}
