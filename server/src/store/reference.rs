//! Reference tables, written once for both backends: departments, the responsibility (routing)
//! table and the working-calendar overrides.

use chrono::NaiveDate;
use wangge_core::calendar::DayKind;
use wangge_core::people::Responsibility;

use super::dialect::{Backend, Lock};
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::Department;

const DEPARTMENTS: &str = "SELECT code, name FROM department ORDER BY code";
/// Category, then the default row (no subcategory) first.
const RESPONSIBILITY: &str = "SELECT category, subcategory, department_code FROM responsibility
  ORDER BY category, subcategory IS NOT NULL, subcategory";
const CLEAR_RESPONSIBILITY: &str = "DELETE FROM responsibility";
const OVERRIDES: &str = "SELECT date, kind FROM calendar_override ORDER BY date";
const REMOVE_OVERRIDE: &str = "DELETE FROM calendar_override WHERE date = $1";
const CALENDAR_YEARS: &str = "SELECT year FROM calendar_year ORDER BY year";
const RECORD_YEAR: &str = "INSERT INTO calendar_year (year, source) VALUES ($1, $2)
  ON CONFLICT (year) DO UPDATE SET source = excluded.source";
/// From the first to the last day of a year (SQLite keeps dates as `YYYY-MM-DD` text, which
/// sorts as the dates do).
const CLEAR_YEAR: &str = "DELETE FROM calendar_override WHERE date >= $1 AND date <= $2";

/// The reference-table methods of one backend (`sqlite` or `postgres`).
macro_rules! reference_store {
    ($store:ty, $dialect:ident) => {
        impl $store {
            const SET_OVERRIDE: &str = concat!(
                "INSERT INTO calendar_override (date, kind) VALUES ($1, $2)
                 ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, updated_at = ",
                dialect!($dialect, now)
            );

            /// The departments, by code.
            pub async fn departments(&self) -> Result<Vec<Department>, StoreError> {
                let rows: Vec<(String, String)> = sqlx::query_as(DEPARTMENTS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading departments"))?;
                Ok(rows.into_iter().map(|(code, name)| Department { code, name }).collect())
            }

            /// The routing table, category then subcategory (the default row first).
            pub async fn responsibility(&self) -> Result<Vec<Responsibility>, StoreError> {
                let rows: Vec<ResponsibilityRow> = sqlx::query_as(RESPONSIBILITY)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading the responsibility table"))?;
                Ok(rows.into_iter().map(Responsibility::from).collect())
            }

            /// Upserts departments and replaces the routing table (locked: one replacement at a
            /// time).
            pub async fn replace_responsibility(
                &self,
                departments: &[Department],
                table: &[Responsibility],
            ) -> Result<(), StoreError> {
                let mut tx = self.begin_write("starting a routing update").await?;
                Self::lock(&mut tx, Lock::Table("responsibility")).await?;
                Self::upsert_departments(&mut tx, departments).await?;
                sqlx::query(CLEAR_RESPONSIBILITY)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("clearing the routing table"))?;
                Self::insert_responsibility(&mut tx, table).await?;
                tx.commit().await.map_err(query("committing the routing table"))
            }

            /// The calendar overrides, by date.
            pub async fn calendar_overrides(&self) -> Result<Vec<(NaiveDate, DayKind)>, StoreError> {
                let rows: Vec<OverrideRow> = sqlx::query_as(OVERRIDES)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading calendar overrides"))?;
                rows.into_iter().map(OverrideRow::into_override).collect()
            }

            /// Sets or removes one override.
            pub async fn set_calendar_override(&self, date: NaiveDate, kind: Option<DayKind>) -> Result<(), StoreError> {
                let statement = match kind {
                    Some(kind) => sqlx::query(Self::SET_OVERRIDE).bind(date).bind(day_kind_text(kind)),
                    None => sqlx::query(REMOVE_OVERRIDE).bind(date),
                };
                statement.execute(&self.pool).await.map_err(query("writing a calendar override"))?;
                Ok(())
            }

            /// Years loaded by administrators (beyond the built-in ones).
            pub async fn calendar_years(&self) -> Result<Vec<i32>, StoreError> {
                sqlx::query_scalar(CALENDAR_YEARS).fetch_all(&self.pool).await.map_err(query("reading calendar years"))
            }

            /// Records a year's notice and its special days, replacing that year's earlier
            /// overrides, in one transaction (locked: one year's load at a time).
            pub async fn load_calendar_year(
                &self,
                year: i32,
                source: &str,
                days: &[(NaiveDate, DayKind)],
            ) -> Result<(), StoreError> {
                let mut tx = self.begin_write("starting a calendar year").await?;
                Self::lock(&mut tx, Lock::Table("calendar_override")).await?;
                sqlx::query(RECORD_YEAR)
                    .bind(year)
                    .bind(source)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("recording a calendar year"))?;
                let (first, last) = year_span(year)?;
                sqlx::query(CLEAR_YEAR)
                    .bind(first)
                    .bind(last)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("clearing a year's overrides"))?;
                Self::insert_days(&mut tx, days).await?;
                tx.commit().await.map_err(query("committing a calendar year"))
            }
        }
    };
}

reference_store!(SqliteStore, sqlite);
reference_store!(PgStore, postgres);

/// The first and last day of `year`.
fn year_span(year: i32) -> Result<(NaiveDate, NaiveDate), StoreError> {
    NaiveDate::from_ymd_opt(year, 1, 1).zip(NaiveDate::from_ymd_opt(year, 12, 31)).ok_or_else(|| StoreError::BadRow {
        table: "calendar_year",
        code: year.to_string(),
        reason: "not a calendar year".into(),
    })
}

/// A row of the routing table.
#[derive(sqlx::FromRow)]
struct ResponsibilityRow {
    category: String,
    subcategory: Option<String>,
    department_code: String,
}

impl From<ResponsibilityRow> for Responsibility {
    fn from(r: ResponsibilityRow) -> Self {
        Self { category: r.category, subcategory: r.subcategory, department: r.department_code }
    }
}

/// A calendar override.
#[derive(sqlx::FromRow)]
struct OverrideRow {
    date: NaiveDate,
    kind: String,
}

impl OverrideRow {
    /// The date and its kind.
    fn into_override(self) -> Result<(NaiveDate, DayKind), StoreError> {
        match self.kind.as_str() {
            "holiday" => Ok((self.date, DayKind::Holiday)),
            "workday" => Ok((self.date, DayKind::Workday)),
            _ => Err(StoreError::BadRow {
                table: "calendar_override",
                code: self.date.format("%Y-%m-%d").to_string(),
                reason: "kind must be holiday or workday".into(),
            }),
        }
    }
}

/// A calendar override's kind as stored.
pub(super) fn day_kind_text(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    }
}
