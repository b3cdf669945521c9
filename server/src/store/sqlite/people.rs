//! People and their grid and device bindings in SQLite.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, Transaction};
use wangge_core::people::{Person, Role, Roster};

use super::{begin_write, query, SqliteStore};
use crate::records::{Page, Paged};
use crate::records::{PersonFilter, PersonRecord};
use crate::store::{parse_time, StoreError};

type PersonRow = (String, String, String, String, Option<String>, String, bool, String, String);

const PERSON_COLUMNS: &str =
    "p.person_id, p.name, p.role, p.unit_code, p.device_id, p.phone, p.on_duty, p.created_at, p.updated_at";

impl SqliteStore {
    /// One page of people, by id.
    pub async fn people(&self, filter: &PersonFilter, page: Page) -> Result<Paged<PersonRecord>, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM person p");
        push_filter(&mut count, filter);
        let total: i64 =
            count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting people"))?;
        let mut list = QueryBuilder::<Sqlite>::new(format!("SELECT {PERSON_COLUMNS} FROM person p"));
        push_filter(&mut list, filter);
        list.push(" ORDER BY p.person_id LIMIT ").push_bind(i64::from(page.per_page));
        list.push(" OFFSET ").push_bind(page.offset());
        let rows: Vec<PersonRow> =
            list.build_query_as().fetch_all(&self.pool).await.map_err(query("listing people"))?;
        let items = self.with_grids(rows).await?;
        Ok(Paged { items, total, page: page.page, per_page: page.per_page })
    }

    /// Inserts many new people with their grid bindings in one transaction, many rows per
    /// statement (the demo roster at first start).
    pub async fn insert_people(&self, people: &[Person]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool, "starting a people load").await?;
        for chunk in people.chunks(1000) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty) ",
            );
            q.push_values(chunk, |mut b, p| {
                b.push_bind(p.id.as_str())
                    .push_bind(p.name.as_str())
                    .push_bind(p.role.as_str())
                    .push_bind(p.unit_code.as_str())
                    .push_bind(p.device_id.as_deref())
                    .push_bind(p.phone.as_str())
                    .push_bind(p.on_duty);
            });
            q.build().persistent(false).execute(&mut *tx).await.map_err(query("inserting people"))?;
        }
        let bindings: Vec<(&str, &str)> =
            people.iter().flat_map(|p| p.grids.iter().map(move |g| (p.id.as_str(), g.as_str()))).collect();
        for chunk in bindings.chunks(5000) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO grid_binding (person_id, grid_code) ");
            q.push_values(chunk, |mut b, (person, grid)| {
                b.push_bind(*person).push_bind(*grid);
            });
            q.build().persistent(false).execute(&mut *tx).await.map_err(query("binding grids"))?;
        }
        tx.commit().await.map_err(query("committing a people load"))
    }

    /// One person.
    pub async fn person(&self, person_id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM person p WHERE p.person_id = ?");
        let row: Option<PersonRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person_id).fetch_optional(&self.pool).await.map_err(query("reading a person"))?;
        Ok(self.with_grids(row.into_iter().collect()).await?.pop())
    }

    /// Creates or replaces a person and their bindings.
    pub async fn upsert_person(&self, p: &Person) -> Result<bool, StoreError> {
        let mut tx = begin_write(&self.pool, "starting a person update").await?;
        check_device(&mut tx, &p.id, p.device_id.as_deref()).await?;
        let existed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM person WHERE person_id = ?")
            .bind(&p.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query("looking up a person"))?;
        sqlx::query(
            "INSERT INTO person (person_id, name, role, unit_code, device_id, phone, on_duty) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, role = excluded.role,
                    unit_code = excluded.unit_code, device_id = excluded.device_id, phone = excluded.phone,
                    on_duty = excluded.on_duty, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.role.as_str())
        .bind(&p.unit_code)
        .bind(p.device_id.as_deref())
        .bind(&p.phone)
        .bind(p.on_duty)
        .execute(&mut *tx)
        .await
        .map_err(query("writing a person"))?;
        replace_grids(&mut tx, &p.id, &p.grids).await?;
        tx.commit().await.map_err(query("committing a person"))?;
        Ok(existed.is_none())
    }

    /// Replaces a person's grids and device.
    pub async fn set_bindings(
        &self,
        person_id: &str,
        grids: &[String],
        device_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = begin_write(&self.pool, "starting a binding update").await?;
        check_device(&mut tx, person_id, device_id).await?;
        let done = sqlx::query(
            "UPDATE person SET device_id = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE person_id = ?",
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
            "UPDATE person SET on_duty = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE person_id = ?",
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
        let mut grids: HashMap<String, Vec<String>> = HashMap::new();
        for (person, grid) in bindings {
            grids.entry(person).or_default().push(grid);
        }
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
        let mut q = QueryBuilder::<Sqlite>::new("SELECT person_id, grid_code FROM grid_binding WHERE person_id IN (");
        let mut ids = q.separated(", ");
        for row in &rows {
            ids.push_bind(row.0.clone());
        }
        q.push(") ORDER BY person_id, grid_code");
        let bindings: Vec<(String, String)> =
            q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading grid bindings"))?;
        let mut grids: HashMap<String, Vec<String>> = HashMap::new();
        for (person, grid) in bindings {
            grids.entry(person).or_default().push(grid);
        }
        rows.into_iter().map(|row| person_from_row(row, &mut grids)).collect()
    }
}

/// Refuses a device bound to someone else.
async fn check_device(
    tx: &mut Transaction<'_, Sqlite>,
    person_id: &str,
    device_id: Option<&str>,
) -> Result<(), StoreError> {
    let Some(device) = device_id else { return Ok(()) };
    let holder: Option<String> = sqlx::query_scalar("SELECT person_id FROM person WHERE device_id = ? AND person_id <> ?")
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

async fn replace_grids(tx: &mut Transaction<'_, Sqlite>, person_id: &str, grids: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM grid_binding WHERE person_id = ?")
        .bind(person_id)
        .execute(&mut **tx)
        .await
        .map_err(query("clearing grid bindings"))?;
    for grid in grids {
        sqlx::query("INSERT OR IGNORE INTO grid_binding (person_id, grid_code) VALUES (?, ?)")
            .bind(person_id)
            .bind(grid)
            .execute(&mut **tx)
            .await
            .map_err(query("binding a grid"))?;
    }
    Ok(())
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &PersonFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(role) = f.role {
        qb.push(" AND p.role = ").push_bind(role.as_str());
    }
    for prefix in [f.township.as_deref(), f.village.as_deref()].into_iter().flatten() {
        // Belongs to the division, or is bound to a grid in it (grid codes start with it).
        qb.push(" AND (substr(p.unit_code, 1, length(").push_bind(prefix).push(")) = ").push_bind(prefix);
        qb.push(" OR EXISTS (SELECT 1 FROM grid_binding b WHERE b.person_id = p.person_id AND substr(b.grid_code, 1, length(");
        qb.push_bind(prefix).push(")) = ").push_bind(prefix).push("))");
    }
    if let Some(within) = f.within.as_deref() {
        qb.push(" AND substr(p.unit_code, 1, length(").push_bind(within).push(")) = ").push_bind(within);
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
    let created_at = parse_time("person", &id, &created_at)?;
    let updated_at = parse_time("person", &id, &updated_at)?;
    let grids = grids.remove(&id).unwrap_or_default();
    Ok(PersonRecord { person: Person { id, name, role, unit_code, grids, device_id, phone, on_duty }, created_at, updated_at })
}
