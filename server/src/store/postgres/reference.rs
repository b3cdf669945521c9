//! Reference tables in PostGIS: departments, the responsibility (routing) table and the
//! working-calendar overrides.

use chrono::NaiveDate;
use wangge_core::calendar::DayKind;
use wangge_core::people::Responsibility;

use super::{lock, query, PgStore};
use crate::records::Department;
use crate::store::StoreError;

impl PgStore {
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

    /// Upserts departments and replaces the routing table (locked: one replacement at a time).
    pub async fn replace_responsibility(
        &self,
        departments: &[Department],
        table: &[Responsibility],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a routing update"))?;
        lock(&mut tx, "responsibility").await?;
        let (codes, names): (Vec<&str>, Vec<&str>) =
            departments.iter().map(|d| (d.code.as_str(), d.name.as_str())).unzip();
        sqlx::query(
            "INSERT INTO department (code, name) SELECT * FROM UNNEST($1::text[], $2::text[])
             ON CONFLICT (code) DO UPDATE SET name = excluded.name",
        )
        .bind(codes)
        .bind(names)
        .execute(&mut *tx)
        .await
        .map_err(query("writing a department"))?;
        sqlx::query("DELETE FROM responsibility").execute(&mut *tx).await.map_err(query("clearing the routing table"))?;
        let categories: Vec<&str> = table.iter().map(|r| r.category.as_str()).collect();
        let subcategories: Vec<Option<&str>> = table.iter().map(|r| r.subcategory.as_deref()).collect();
        let targets: Vec<&str> = table.iter().map(|r| r.department.as_str()).collect();
        // WITH ORDINALITY keeps the rows in the order given, as the SQLite store inserts them.
        sqlx::query(
            "INSERT INTO responsibility (category, subcategory, department_code)
             SELECT c, s, d FROM UNNEST($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r (c, s, d, n) ORDER BY n",
        )
        .bind(categories)
        .bind(subcategories)
        .bind(targets)
        .execute(&mut *tx)
        .await
        .map_err(query("writing the routing table"))?;
        tx.commit().await.map_err(query("committing the routing table"))
    }

    /// The calendar overrides, by date.
    pub async fn calendar_overrides(&self) -> Result<Vec<(NaiveDate, DayKind)>, StoreError> {
        let rows: Vec<(NaiveDate, String)> = sqlx::query_as("SELECT date, kind FROM calendar_override ORDER BY date")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading calendar overrides"))?;
        rows.into_iter()
            .map(|(date, kind)| match kind.as_str() {
                "holiday" => Ok((date, DayKind::Holiday)),
                "workday" => Ok((date, DayKind::Workday)),
                _ => Err(StoreError::BadRow {
                    table: "calendar_override",
                    code: date.format("%Y-%m-%d").to_string(),
                    reason: "kind must be holiday or workday".into(),
                }),
            })
            .collect()
    }

    /// Sets or removes one override.
    pub async fn set_calendar_override(&self, date: NaiveDate, kind: Option<DayKind>) -> Result<(), StoreError> {
        let statement = match kind {
            Some(kind) => sqlx::query(
                "INSERT INTO calendar_override (date, kind) VALUES ($1, $2)
                 ON CONFLICT (date) DO UPDATE SET kind = excluded.kind,
                        updated_at = date_trunc('milliseconds', now())",
            )
            .bind(date)
            .bind(kind_text(kind)),
            None => sqlx::query("DELETE FROM calendar_override WHERE date = $1").bind(date),
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
    /// in one transaction (locked: one year's load at a time).
    pub async fn load_calendar_year(&self, year: i32, source: &str, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a calendar year"))?;
        lock(&mut tx, "calendar_override").await?;
        sqlx::query(
            "INSERT INTO calendar_year (year, source) VALUES ($1, $2)
             ON CONFLICT (year) DO UPDATE SET source = excluded.source",
        )
        .bind(year)
        .bind(source)
        .execute(&mut *tx)
        .await
        .map_err(query("recording a calendar year"))?;
        sqlx::query("DELETE FROM calendar_override WHERE date >= make_date($1, 1, 1) AND date < make_date($1 + 1, 1, 1)")
            .bind(year)
            .execute(&mut *tx)
            .await
            .map_err(query("clearing a year's overrides"))?;
        let dates: Vec<NaiveDate> = days.iter().map(|(d, _)| *d).collect();
        let kinds: Vec<&str> = days.iter().map(|(_, k)| kind_text(*k)).collect();
        sqlx::query("INSERT INTO calendar_override (date, kind) SELECT * FROM UNNEST($1::date[], $2::text[])")
            .bind(dates)
            .bind(kinds)
            .execute(&mut *tx)
            .await
            .map_err(query("writing a year's special days"))?;
        tx.commit().await.map_err(query("committing a calendar year"))
    }
}

fn kind_text(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    }
}
