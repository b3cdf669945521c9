//! The PostGIS backend: a PostgreSQL 15 database with PostGIS ≥ 3.0, which several server
//! processes (and GIS clients such as QGIS) may share — and what PostGIS does differently
//! from SQLite: WKB for shapes, one `UNNEST` statement per batch, change notifications.
//!
//! Writes that check before they write either lock what they check or rely on a constraint
//! with `ON CONFLICT`, so two processes never both pass the same check.

mod intake;

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder, Transaction};
use wangge_core::calendar::DayKind;
use wangge_core::event::Tier;
use wangge_core::people::{Person, Responsibility};

use super::dialect::{Backend, Lock};
use super::events::split;
use super::reference::day_kind_text;
use super::time::Time;
use super::{query, StoreError};
use crate::records::{Grid, Township, Village};
use crate::records::TimelineEntry;
use crate::records::Department;
use crate::formats::wkb;

/// The channel the migrations' triggers notify on every change to a division or grid.
pub const GRID_CHANNEL: &str = "wangge_grids";

/// A pool of connections to one PostGIS database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
}

/// Rows per multi-row INSERT of divisions: their shapes are large, a statement stays small.
const SHAPES_PER_STATEMENT: usize = 200;

impl PgStore {
    /// Connects (sessions in UTC), refuses a server without PostGIS or without durable commits,
    /// then applies the migrations in `migrations/postgis`.
    pub async fn open(options: PgConnectOptions, limits: super::Limits) -> Result<Self, StoreError> {
        let target = describe(&options);
        let mut options = options.options([("TimeZone", "UTC")]);
        if let Some(limit) = limits.statement_timeout {
            options = options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(limits.pool_wait)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { target, source })?;
        check_durable(&pool).await?;
        check_postgis(&pool).await?;
        sqlx::migrate!("../migrations/postgis").run(&pool).await.map_err(StoreError::Migrate)?;
        let version: String = sqlx::query_scalar("SELECT postgis_lib_version()")
            .fetch_one(&pool)
            .await
            .map_err(query("reading the PostGIS version"))?;
        tracing::info!(postgis = %version, "PostGIS store open");
        Ok(Self { pool })
    }

    /// Starts listening for changes to the divisions and grids (channel `wangge_grids`).
    pub async fn listen_grid_changes(&self) -> Result<PgListener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await.map_err(query("connecting a listener"))?;
        listener.listen(GRID_CHANNEL).await.map_err(query("listening for grid changes"))?;
        Ok(listener)
    }
}

impl PgStore {
    /// The migrations this build knows, and how many of them are applied successfully.
    pub async fn migrations(&self) -> Result<(usize, usize), StoreError> {
        let known: Vec<i64> = sqlx::migrate!("../migrations/postgis").iter().map(|m| m.version).collect();
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .map_err(query("reading the applied migrations"))?;
        Ok((known.len(), known.iter().filter(|v| applied.contains(v)).count()))
    }
}

impl Backend for PgStore {
    type Db = Postgres;
    type ShapeValue = Vec<u8>;

    async fn begin_write(&self, doing: &'static str) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(query(doing))
    }

    async fn lock(tx: &mut Transaction<'_, Postgres>, lock: Lock<'_>) -> Result<(), StoreError> {
        let (statement, doing) = match lock {
            Lock::AuditChain => (sqlx::query("SELECT pg_advisory_xact_lock(7340012)"), "taking the audit chain's lock"),
            Lock::Publication => (sqlx::query("SELECT pg_advisory_xact_lock(7340013)"), "taking the publication lock"),
            // The table name is one of ours, never input.
            Lock::Table(table) => (
                sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))),
                "locking a table",
            ),
            Lock::Device(device) => (
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('device:' || $1, 0))").bind(device),
                "locking a device",
            ),
        };
        statement.execute(&mut **tx).await.map_err(query(doing))?;
        Ok(())
    }

    fn shape_value(shape: &MultiPolygon<f64>) -> Vec<u8> {
        wkb::write_multipolygon(shape)
    }

    fn read_shape(table: &'static str, code: &str, stored: &[u8]) -> Result<MultiPolygon<f64>, StoreError> {
        wkb::read_multipolygon(stored)
            .map_err(|e| StoreError::BadRow { table, code: code.to_owned(), reason: e.to_string() })
    }

    async fn insert_townships(tx: &mut Transaction<'_, Postgres>, townships: &[Township]) -> Result<(), StoreError> {
        for chunk in townships.chunks(SHAPES_PER_STATEMENT) {
            let mut q = QueryBuilder::<Postgres>::new("INSERT INTO township (code, name, area_km2, geom) ");
            q.push_values(chunk, |mut b, t| {
                b.push_bind(&t.code).push_bind(&t.name).push_bind(t.area_km2);
                b.push("ST_GeomFromWKB(").push_bind_unseparated(wkb::write_multipolygon(&t.geometry));
                b.push_unseparated(", 4490)");
            });
            q.build().execute(&mut **tx).await.map_err(query("inserting townships"))?;
        }
        Ok(())
    }

    async fn insert_villages(tx: &mut Transaction<'_, Postgres>, villages: &[Village]) -> Result<(), StoreError> {
        for chunk in villages.chunks(SHAPES_PER_STATEMENT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO village (code, name, kind, township_code, area_km2, geom) ",
            );
            q.push_values(chunk, |mut b, v| {
                b.push_bind(&v.code).push_bind(&v.name).push_bind(v.kind.as_str());
                b.push_bind(&v.township_code).push_bind(v.area_km2);
                b.push("ST_GeomFromWKB(").push_bind_unseparated(wkb::write_multipolygon(&v.geometry));
                b.push_unseparated(", 4490)");
            });
            q.build().execute(&mut **tx).await.map_err(query("inserting villages"))?;
        }
        Ok(())
    }

    async fn insert_grids(tx: &mut Transaction<'_, Postgres>, grids: &[(&Grid, &Vec<u8>)]) -> Result<(), StoreError> {
        for chunk in grids.chunks(SHAPES_PER_STATEMENT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO grid (code, name, kind, village_code, township_code, parent_grid_code, area_km2, geom) ",
            );
            q.push_values(chunk, |mut b, (g, shape)| {
                b.push_bind(&g.code).push_bind(&g.name).push_bind(g.kind.as_str()).push_bind(&g.village_code);
                b.push_bind(&g.township_code).push_bind(g.parent_grid.as_deref()).push_bind(g.area_km2);
                b.push("ST_GeomFromWKB(").push_bind_unseparated(*shape);
                b.push_unseparated(", 4490)");
            });
            q.build().execute(&mut **tx).await.map_err(query("inserting grids"))?;
        }
        Ok(())
    }

    /// One statement, one array per column (the same statement text for one row or thousands).
    async fn insert_entries(tx: &mut Transaction<'_, Postgres>, rows: &[(&str, &TimelineEntry)]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO event_transition (event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id)
             SELECT event_id, seq, at, actor, tier, action, payload::jsonb, state_after, holder_tier, holder_id
               FROM unnest($1::text[], $2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
                           $8::text[], $9::text[], $10::text[])
                 AS t(event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id)",
        )
        .bind(column(rows, |(event_id, _)| *event_id))
        .bind(column(rows, |(_, t)| t.seq))
        .bind(column(rows, |(_, t)| Time::from(t.at)))
        .bind(column(rows, |(_, t)| t.actor.as_str()))
        .bind(column(rows, |(_, t)| t.tier.map(Tier::as_str)))
        .bind(column(rows, |(_, t)| t.action.as_str()))
        .bind(column(rows, |(_, t)| t.payload.to_string()))
        .bind(column(rows, |(_, t)| t.state_after.as_str()))
        .bind(column(rows, |(_, t)| split(t.holder_after.as_ref()).0))
        .bind(column(rows, |(_, t)| split(t.holder_after.as_ref()).1))
        .execute(&mut **tx)
        .await
        .map_err(query("appending to timelines"))?;
        Ok(())
    }

    async fn bind_grids(
        tx: &mut Transaction<'_, Postgres>,
        bindings: &[(&str, &str)],
        doing: &'static str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO grid_binding (person_id, grid_code) SELECT * FROM UNNEST($1::text[], $2::text[])
             ON CONFLICT DO NOTHING",
        )
        .bind(column(bindings, |(person, _)| *person))
        .bind(column(bindings, |(_, grid)| *grid))
        .execute(&mut **tx)
        .await
        .map_err(query(doing))?;
        Ok(())
    }

    async fn insert_person_rows(tx: &mut Transaction<'_, Postgres>, people: &[Person]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[])",
        )
        .bind(column(people, |p| p.id.as_str()))
        .bind(column(people, |p| p.name.as_str()))
        .bind(column(people, |p| p.role.as_str()))
        .bind(column(people, |p| p.unit_code.as_str()))
        .bind(column(people, |p| p.device_id.as_deref()))
        .bind(column(people, |p| p.phone.as_str()))
        .bind(column(people, |p| p.on_duty))
        .execute(&mut **tx)
        .await
        .map_err(query("inserting people"))?;
        Ok(())
    }

    /// xmax is 0 on a row the upsert inserted, set on one it updated (another process may
    /// insert the person between a look-up and the upsert).
    async fn upsert_person_row(tx: &mut Transaction<'_, Postgres>, p: &Person) -> Result<bool, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, role = excluded.role,
                    unit_code = excluded.unit_code, device_id = excluded.device_id, phone = excluded.phone,
                    on_duty = excluded.on_duty, updated_at = date_trunc('milliseconds', now())
             RETURNING xmax = 0",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.role.as_str())
        .bind(&p.unit_code)
        .bind(p.device_id.as_deref())
        .bind(&p.phone)
        .bind(p.on_duty)
        .fetch_one(&mut **tx)
        .await
        .map_err(query("writing a person"))
    }

    async fn upsert_departments(tx: &mut Transaction<'_, Postgres>, departments: &[Department]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO department (code, name) SELECT * FROM UNNEST($1::text[], $2::text[])
             ON CONFLICT (code) DO UPDATE SET name = excluded.name",
        )
        .bind(column(departments, |d| d.code.as_str()))
        .bind(column(departments, |d| d.name.as_str()))
        .execute(&mut **tx)
        .await
        .map_err(query("writing a department"))?;
        Ok(())
    }

    /// WITH ORDINALITY keeps the rows in the order given, as the SQLite store inserts them.
    async fn insert_responsibility(tx: &mut Transaction<'_, Postgres>, table: &[Responsibility]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO responsibility (category, subcategory, department_code)
             SELECT c, s, d FROM UNNEST($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r (c, s, d, n) ORDER BY n",
        )
        .bind(column(table, |r| r.category.as_str()))
        .bind(column(table, |r| r.subcategory.as_deref()))
        .bind(column(table, |r| r.department.as_str()))
        .execute(&mut **tx)
        .await
        .map_err(query("writing the routing table"))?;
        Ok(())
    }

    async fn insert_days(tx: &mut Transaction<'_, Postgres>, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO calendar_override (date, kind) SELECT * FROM UNNEST($1::date[], $2::text[])")
            .bind(column(days, |(date, _)| *date))
            .bind(column(days, |(_, kind)| day_kind_text(*kind)))
            .execute(&mut **tx)
            .await
            .map_err(query("writing a year's special days"))?;
        Ok(())
    }
}

/// One column of `rows`, as an array to bind.
fn column<'a, R, T>(rows: &'a [R], value: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

/// Host, port and database of a target, for messages (never the password).
pub(super) fn describe(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or_else(|| options.get_username());
    format!("postgres://{}:{}/{database}", options.get_host(), options.get_port())
}

/// Refuses a server that may lose committed transactions.
async fn check_durable(pool: &PgPool) -> Result<(), StoreError> {
    for setting in ["fsync", "synchronous_commit"] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(setting)
            .fetch_one(pool)
            .await
            .map_err(query("reading the durability settings"))?;
        if value.eq_ignore_ascii_case("off") {
            return Err(StoreError::NotDurable { setting, value });
        }
    }
    Ok(())
}

/// Refuses a server without PostGIS ≥ 3.0 (installed in the database, or installable).
async fn check_postgis(pool: &PgPool) -> Result<(), StoreError> {
    let version: Option<String> = sqlx::query_scalar(
        "SELECT coalesce(installed_version, default_version) FROM pg_available_extensions WHERE name = 'postgis'",
    )
    .fetch_optional(pool)
    .await
    .map_err(query("looking for the PostGIS extension"))?;
    if version.as_deref().is_some_and(is_postgis_3) {
        Ok(())
    } else {
        Err(StoreError::PostgisMissing { found: version })
    }
}

/// Whether an extension version such as `3.3.2` or `3.4.0dev` is PostGIS 3.0 or later.
fn is_postgis_3(version: &str) -> bool {
    version.split('.').next().and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgis_3_or_later_is_required() {
        assert!(is_postgis_3("3.3.2") && is_postgis_3("3.0.0") && is_postgis_3("10.1"));
        assert!(!is_postgis_3("2.5.5") && !is_postgis_3("") && !is_postgis_3("unpackaged"));
        let missing = StoreError::PostgisMissing { found: Some("2.5.5".into()) }.to_string();
        assert!(missing.contains("found 2.5.5") && missing.contains("postgresql-15-postgis-3"), "{missing}");
    }

    #[test]
    fn a_target_is_described_without_its_password() {
        let options = sqlx::postgres::PgConnectOptions::new()
            .host("db.example")
            .port(5433)
            .username("wangge")
            .password("secret")
            .database("county");
        assert_eq!(describe(&options), "postgres://db.example:5433/county");
    }
}
