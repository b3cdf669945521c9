//! Reference tables in SQLite: departments, the responsibility (routing) table and the
//! working-calendar overrides.

use chrono::NaiveDate;
use wangge_core::calendar::DayKind;
use wangge_core::people::Responsibility;

use super::{begin_write, query, SqliteStore};
use crate::records::Department;
use crate::store::StoreError;

impl SqliteStore {
    /// The departments, by code.
    pub async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT code, name FROM department ORDER BY code")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading departments"))?;
        Ok(rows.into_iter().map(|(code, name)| Department { code, name }).collect())
    }

    /// The routing table, category then subcategory (the default row first).
    pub async fn responsibility(&self) -> Result<Vec<Responsibility>, StoreError> {
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT category, subcategory, department_code FROM responsibility
              ORDER BY category, subcategory IS NOT NULL, subcategory",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query("reading the responsibility table"))?;
        Ok(rows
            .into_iter()
            .map(|(category, subcategory, department)| Responsibility { category, subcategory, department })
            .collect())
    }

    /// Upserts departments and replaces the routing table.
    pub async fn replace_responsibility(
        &self,
        departments: &[Department],
        table: &[Responsibility],
    ) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool, "starting a routing update").await?;
        for d in departments {
            sqlx::query("INSERT INTO department (code, name) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name")
                .bind(&d.code)
                .bind(&d.name)
                .execute(&mut *tx)
                .await
                .map_err(query("writing a department"))?;
        }
        sqlx::query("DELETE FROM responsibility").execute(&mut *tx).await.map_err(query("clearing the routing table"))?;
        for r in table {
            sqlx::query("INSERT INTO responsibility (category, subcategory, department_code) VALUES (?, ?, ?)")
                .bind(&r.category)
                .bind(r.subcategory.as_deref())
                .bind(&r.department)
                .execute(&mut *tx)
                .await
                .map_err(query("writing the routing table"))?;
        }
        tx.commit().await.map_err(query("committing the routing table"))
    }

    /// The calendar overrides, by date.
    pub async fn calendar_overrides(&self) -> Result<Vec<(NaiveDate, DayKind)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT date, kind FROM calendar_override ORDER BY date")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading calendar overrides"))?;
        rows.into_iter()
            .map(|(date, kind)| {
                let bad = |reason: &str| StoreError::BadRow {
                    table: "calendar_override",
                    code: date.clone(),
                    reason: reason.to_owned(),
                };
                let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| bad("bad date"))?;
                let kind = match kind.as_str() {
                    "holiday" => DayKind::Holiday,
                    "workday" => DayKind::Workday,
                    _ => return Err(bad("kind must be holiday or workday")),
                };
                Ok((day, kind))
            })
            .collect()
    }

    /// Sets or removes one override.
    pub async fn set_calendar_override(&self, date: NaiveDate, kind: Option<DayKind>) -> Result<(), StoreError> {
        let date = date.format("%Y-%m-%d").to_string();
        let statement = match kind {
            Some(kind) => sqlx::query(
                "INSERT INTO calendar_override (date, kind) VALUES (?, ?)
                 ON CONFLICT (date) DO UPDATE SET kind = excluded.kind,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            )
            .bind(date)
            .bind(match kind {
                DayKind::Holiday => "holiday",
                DayKind::Workday => "workday",
            }),
            None => sqlx::query("DELETE FROM calendar_override WHERE date = ?").bind(date),
        };
        statement.execute(&self.pool).await.map_err(query("writing a calendar override"))?;
        Ok(())
    }

    /// Years loaded by administrators (beyond the built-in ones).
    pub async fn calendar_years(&self) -> Result<Vec<i32>, StoreError> {
        sqlx::query_scalar("SELECT year FROM calendar_year ORDER BY year")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading calendar years"))
    }

    /// Records a year's notice and its special days, replacing that year's earlier overrides,
    /// in one transaction.
    pub async fn load_calendar_year(&self, year: i32, source: &str, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a calendar year"))?;
        sqlx::query(
            "INSERT INTO calendar_year (year, source) VALUES (?, ?)
             ON CONFLICT (year) DO UPDATE SET source = excluded.source",
        )
        .bind(year)
        .bind(source)
        .execute(&mut *tx)
        .await
        .map_err(query("recording a calendar year"))?;
        sqlx::query("DELETE FROM calendar_override WHERE date LIKE ?")
            .bind(format!("{year:04}-%"))
            .execute(&mut *tx)
            .await
            .map_err(query("clearing a year's overrides"))?;
        for (date, kind) in days {
            sqlx::query("INSERT INTO calendar_override (date, kind) VALUES (?, ?)")
                .bind(date.format("%Y-%m-%d").to_string())
                .bind(match kind {
                    DayKind::Holiday => "holiday",
                    DayKind::Workday => "workday",
                })
                .execute(&mut *tx)
                .await
                .map_err(query("writing a year's special days"))?;
        }
        tx.commit().await.map_err(query("committing a calendar year"))
    }
}
