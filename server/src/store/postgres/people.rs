//! People and their grid and device bindings in PostGIS.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Transaction};
use wangge_core::people::{Person, Role, Roster};

use super::{query, PgStore};
use crate::records::{Page, Paged};
use crate::records::{PersonFilter, PersonRecord};
use crate::store::StoreError;

type PersonRow = (String, String, String, String, Option<String>, String, bool, DateTime<Utc>, DateTime<Utc>);

const PERSON_COLUMNS: &str =
    "p.person_id, p.name, p.role, p.unit_code, p.device_id, p.phone, p.on_duty, p.created_at, p.updated_at";

impl PgStore {
    /// One page of people, by id.
    pub async fn people(&self, filter: &PersonFilter, page: Page) -> Result<Paged<PersonRecord>, StoreError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM person p");
        push_filter(&mut count, filter);
        let total: i64 =
            count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting people"))?;
        let mut list = QueryBuilder::<Postgres>::new(format!("SELECT {PERSON_COLUMNS} FROM person p"));
        push_filter(&mut list, filter);
        list.push(" ORDER BY p.person_id LIMIT ").push_bind(i64::from(page.per_page));
        list.push(" OFFSET ").push_bind(page.offset());
        let rows: Vec<PersonRow> =
            list.build_query_as().fetch_all(&self.pool).await.map_err(query("listing people"))?;
        let items = self.with_grids(rows).await?;
        Ok(Paged { items, total, page: page.page, per_page: page.per_page })
    }

    /// Inserts many new people with their grid bindings in one transaction, one statement per
    /// table (arrays, whatever the count).
    pub async fn insert_people(&self, people: &[Person]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a people load"))?;
        sqlx::query(
            "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[])",
        )
        .bind(people.iter().map(|p| p.id.as_str()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.role.as_str()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.unit_code.as_str()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.device_id.as_deref()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.phone.as_str()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.on_duty).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await
        .map_err(query("inserting people"))?;
        let (persons, grids): (Vec<&str>, Vec<&str>) =
            people.iter().flat_map(|p| p.grids.iter().map(move |g| (p.id.as_str(), g.as_str()))).unzip();
        bind_grids(&mut tx, &persons, &grids).await?;
        tx.commit().await.map_err(query("committing a people load"))
    }

    /// One person.
    pub async fn person(&self, person_id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM person p WHERE p.person_id = $1");
        let row: Option<PersonRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person_id).fetch_optional(&self.pool).await.map_err(query("reading a person"))?;
        Ok(self.with_grids(row.into_iter().collect()).await?.pop())
    }

    /// Creates or replaces a person and their bindings; `true` if created.
    pub async fn upsert_person(&self, p: &Person) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a person update"))?;
        check_device(&mut tx, &p.id, p.device_id.as_deref()).await?;
        // xmax is 0 on a row this statement inserted, set on one it updated.
        let created: bool = sqlx::query_scalar(
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
        .fetch_one(&mut *tx)
        .await
        .map_err(query("writing a person"))?;
        replace_grids(&mut tx, &p.id, &p.grids).await?;
        tx.commit().await.map_err(query("committing a person"))?;
        Ok(created)
    }

    /// Replaces a person's grids and device.
    pub async fn set_bindings(
        &self,
        person_id: &str,
        grids: &[String],
        device_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a binding update"))?;
        check_device(&mut tx, person_id, device_id).await?;
        let done = sqlx::query(
            "UPDATE person SET device_id = $1, updated_at = date_trunc('milliseconds', now()) WHERE person_id = $2",
        )
        .bind(device_id)
        .bind(person_id)
        .execute(&mut *tx)
        .await
        .map_err(query("binding a device"))?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        replace_grids(&mut tx, person_id, grids).await?;
        tx.commit().await.map_err(query("committing bindings"))?;
        Ok(true)
    }

    /// Sets whether a person is on duty.
    pub async fn set_on_duty(&self, person_id: &str, on_duty: bool) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE person SET on_duty = $1, updated_at = date_trunc('milliseconds', now()) WHERE person_id = $2",
        )
        .bind(on_duty)
        .bind(person_id)
        .execute(&self.pool)
        .await
        .map_err(query("setting duty"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Everyone, indexed for assignment.
    pub async fn load_roster(&self) -> Result<Roster, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM person p ORDER BY p.person_id");
        let rows: Vec<PersonRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await.map_err(query("reading the roster"))?;
        let bindings: Vec<(String, String)> =
            sqlx::query_as("SELECT person_id, grid_code FROM grid_binding ORDER BY person_id, grid_code")
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading grid bindings"))?;
        let mut grids = by_person(bindings);
        let people = rows
            .into_iter()
            .map(|row| person_from_row(row, &mut grids).map(|r| r.person))
            .collect::<Result<_, _>>()?;
        Ok(Roster::new(people))
    }

    /// Attaches each person's grids.
    async fn with_grids(&self, rows: Vec<PersonRow>) -> Result<Vec<PersonRecord>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let bindings: Vec<(String, String)> = sqlx::query_as(
            "SELECT person_id, grid_code FROM grid_binding WHERE person_id = ANY($1) ORDER BY person_id, grid_code",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(query("reading grid bindings"))?;
        let mut grids = by_person(bindings);
        rows.into_iter().map(|row| person_from_row(row, &mut grids)).collect()
    }
}

fn by_person(bindings: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut grids: HashMap<String, Vec<String>> = HashMap::new();
    for (person, grid) in bindings {
        grids.entry(person).or_default().push(grid);
    }
    grids
}

/// Refuses a device bound to someone else. The device's advisory lock, held to the end of the
/// transaction, makes a binding in another process wait, then see this one.
async fn check_device(
    tx: &mut Transaction<'_, Postgres>,
    person_id: &str,
    device_id: Option<&str>,
) -> Result<(), StoreError> {
    let Some(device) = device_id else { return Ok(()) };
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('device:' || $1, 0))")
        .bind(device)
        .execute(&mut **tx)
        .await
        .map_err(query("locking a device"))?;
    let holder: Option<String> =
        sqlx::query_scalar("SELECT person_id FROM person WHERE device_id = $1 AND person_id <> $2")
            .bind(device)
            .bind(person_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query("checking a device binding"))?;
    match holder {
        Some(other) => Err(StoreError::DeviceTaken { device_id: device.to_owned(), person_id: other }),
        None => Ok(()),
    }
}

async fn replace_grids(tx: &mut Transaction<'_, Postgres>, person_id: &str, grids: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM grid_binding WHERE person_id = $1")
        .bind(person_id)
        .execute(&mut **tx)
        .await
        .map_err(query("clearing grid bindings"))?;
    let persons = vec![person_id; grids.len()];
    let grids: Vec<&str> = grids.iter().map(String::as_str).collect();
    bind_grids(tx, &persons, &grids).await
}

/// Inserts (person, grid) bindings, a repeated pair once.
async fn bind_grids(tx: &mut Transaction<'_, Postgres>, persons: &[&str], grids: &[&str]) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO grid_binding (person_id, grid_code) SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT DO NOTHING",
    )
    .bind(persons)
    .bind(grids)
    .execute(&mut **tx)
    .await
    .map_err(query("binding grids"))?;
    Ok(())
}

fn push_filter(qb: &mut QueryBuilder<Postgres>, f: &PersonFilter) {
    qb.push(" WHERE true");
    if let Some(role) = f.role {
        qb.push(" AND p.role = ").push_bind(role.as_str());
    }
    for prefix in [f.township.as_deref(), f.village.as_deref()].into_iter().flatten() {
        // Belongs to the division, or is bound to a grid in it (grid codes start with it).
        qb.push(" AND (starts_with(p.unit_code, ").push_bind(prefix);
        qb.push(") OR EXISTS (SELECT 1 FROM grid_binding b WHERE b.person_id = p.person_id AND starts_with(b.grid_code, ");
        qb.push_bind(prefix).push(")))");
    }
    if let Some(within) = f.within.as_deref() {
        qb.push(" AND starts_with(p.unit_code, ").push_bind(within).push(")");
    }
    if let Some(grid) = f.grid.as_deref() {
        qb.push(" AND EXISTS (SELECT 1 FROM grid_binding b WHERE b.person_id = p.person_id AND b.grid_code = ");
        qb.push_bind(grid).push(")");
    }
}

fn person_from_row(row: PersonRow, grids: &mut HashMap<String, Vec<String>>) -> Result<PersonRecord, StoreError> {
    let (id, name, role, unit_code, device_id, phone, on_duty, created_at, updated_at) = row;
    let role = Role::parse(&role)
        .ok_or_else(|| StoreError::BadRow { table: "person", code: id.clone(), reason: format!("role {role:?}") })?;
    let grids = grids.remove(&id).unwrap_or_default();
    Ok(PersonRecord { person: Person { id, name, role, unit_code, grids, device_id, phone, on_duty }, created_at, updated_at })
}
