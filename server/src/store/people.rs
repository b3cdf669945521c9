//! People and their grid and device bindings, written once for both backends.

use std::collections::HashMap;

use wangge_core::people::{Person, Role, Roster};

use super::dialect::{Backend, Lock};
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::{Page, Paged};
use crate::records::{PersonFilter, PersonRecord};

/// The columns of [`PersonRow`], of `person p`, as a literal for `concat!`.
macro_rules! person_columns {
    () => {
        "p.person_id, p.name, p.role, p.unit_code, p.device_id, p.phone, p.on_duty, p.created_at, p.updated_at"
    };
}

const PERSON: &str = concat!("SELECT ", person_columns!(), " FROM person p WHERE p.person_id = $1");
const EVERYONE: &str = concat!("SELECT ", person_columns!(), " FROM person p ORDER BY p.person_id");
const ALL_BINDINGS: &str = "SELECT person_id, grid_code FROM grid_binding ORDER BY person_id, grid_code";
const DEVICE_HOLDER: &str = "SELECT person_id FROM person WHERE device_id = $1 AND person_id <> $2";
const UNBIND_PERSON: &str = "DELETE FROM grid_binding WHERE person_id = $1";

/// The people methods of one backend (`sqlite` or `postgres`).
macro_rules! person_store {
    ($store:ty, $db:ty, $dialect:ident) => {
        impl $store {
            const SET_DEVICE: &str = concat!(
                "UPDATE person SET device_id = $1, updated_at = ",
                dialect!($dialect, now),
                " WHERE person_id = $2"
            );
            const SET_ON_DUTY: &str = concat!(
                "UPDATE person SET on_duty = $1, updated_at = ",
                dialect!($dialect, now),
                " WHERE person_id = $2"
            );

            /// One page of people, by id.
            pub async fn people(&self, filter: &PersonFilter, page: Page) -> Result<Paged<PersonRecord>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM person p");
                Self::push_person_filter(&mut count, filter);
                let total: i64 =
                    count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting people"))?;
                let mut list = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", person_columns!(), " FROM person p"));
                Self::push_person_filter(&mut list, filter);
                list.push(" ORDER BY p.person_id LIMIT ").push_bind(i64::from(page.per_page));
                list.push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<PersonRow> =
                    list.build_query_as().fetch_all(&self.pool).await.map_err(query("listing people"))?;
                let items = self.with_grids(rows).await?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// Inserts many new people with their grid bindings in one transaction (the demo
            /// roster at first start).
            pub async fn insert_people(&self, people: &[Person]) -> Result<(), StoreError> {
                let mut tx = self.begin_write("starting a people load").await?;
                Self::insert_person_rows(&mut tx, people).await?;
                let bindings: Vec<(&str, &str)> =
                    people.iter().flat_map(|p| p.grids.iter().map(move |g| (p.id.as_str(), g.as_str()))).collect();
                Self::bind_grids(&mut tx, &bindings, "binding grids").await?;
                tx.commit().await.map_err(query("committing a people load"))
            }

            /// One person.
            pub async fn person(&self, person_id: &str) -> Result<Option<PersonRecord>, StoreError> {
                let row: Option<PersonRow> = sqlx::query_as(PERSON)
                    .bind(person_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a person"))?;
                Ok(self.with_grids(row.into_iter().collect()).await?.pop())
            }

            /// Creates or replaces a person and their bindings; `true` if created.
            pub async fn upsert_person(&self, p: &Person) -> Result<bool, StoreError> {
                let mut tx = self.begin_write("starting a person update").await?;
                Self::check_device(&mut tx, &p.id, p.device_id.as_deref()).await?;
                let created = Self::upsert_person_row(&mut tx, p).await?;
                Self::replace_grids(&mut tx, &p.id, &p.grids).await?;
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
                let mut tx = self.begin_write("starting a binding update").await?;
                Self::check_device(&mut tx, person_id, device_id).await?;
                let done = sqlx::query(Self::SET_DEVICE)
                    .bind(device_id)
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(query("binding a device"))?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                Self::replace_grids(&mut tx, person_id, grids).await?;
                tx.commit().await.map_err(query("committing bindings"))?;
                Ok(true)
            }

            /// Sets whether a person is on duty.
            pub async fn set_on_duty(&self, person_id: &str, on_duty: bool) -> Result<bool, StoreError> {
                let done = sqlx::query(Self::SET_ON_DUTY)
                    .bind(on_duty)
                    .bind(person_id)
                    .execute(&self.pool)
                    .await
                    .map_err(query("setting duty"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Everyone, indexed for assignment.
            pub async fn load_roster(&self) -> Result<Roster, StoreError> {
                let rows: Vec<PersonRow> =
                    sqlx::query_as(EVERYONE).fetch_all(&self.pool).await.map_err(query("reading the roster"))?;
                let bindings: Vec<(String, String)> = sqlx::query_as(ALL_BINDINGS)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading grid bindings"))?;
                let mut grids = by_person(bindings);
                let people = rows
                    .into_iter()
                    .map(|row| {
                        let bound = grids.remove(&row.person_id).unwrap_or_default();
                        row.into_record(bound).map(|r| r.person)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Roster::new(people))
            }

            /// Attaches each person's grids.
            async fn with_grids(&self, rows: Vec<PersonRow>) -> Result<Vec<PersonRecord>, StoreError> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT person_id, grid_code FROM grid_binding WHERE person_id IN (",
                );
                let mut ids = q.separated(", ");
                for row in &rows {
                    ids.push_bind(row.person_id.as_str());
                }
                q.push(") ORDER BY person_id, grid_code");
                let bindings: Vec<(String, String)> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading grid bindings"))?;
                let mut grids = by_person(bindings);
                rows.into_iter()
                    .map(|row| {
                        let bound = grids.remove(&row.person_id).unwrap_or_default();
                        row.into_record(bound)
                    })
                    .collect()
            }

            /// Refuses a device bound to someone else (on PostGIS the device's lock, held to
            /// the end of the transaction, makes a binding in another process wait, then see
            /// this one).
            async fn check_device(
                tx: &mut sqlx::Transaction<'_, $db>,
                person_id: &str,
                device_id: Option<&str>,
            ) -> Result<(), StoreError> {
                let Some(device) = device_id else { return Ok(()) };
                Self::lock(tx, Lock::Device(device)).await?;
                let holder: Option<String> = sqlx::query_scalar(DEVICE_HOLDER)
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

            async fn replace_grids(
                tx: &mut sqlx::Transaction<'_, $db>,
                person_id: &str,
                grids: &[String],
            ) -> Result<(), StoreError> {
                sqlx::query(UNBIND_PERSON)
                    .bind(person_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(query("clearing grid bindings"))?;
                let bindings: Vec<(&str, &str)> = grids.iter().map(|g| (person_id, g.as_str())).collect();
                Self::bind_grids(tx, &bindings, "binding grids").await
            }

            fn push_person_filter(qb: &mut sqlx::QueryBuilder<$db>, f: &PersonFilter) {
                qb.push(" WHERE true");
                if let Some(role) = f.role {
                    qb.push(" AND p.role = ").push_bind(role.as_str());
                }
                for prefix in [f.township.as_deref(), f.village.as_deref()].into_iter().flatten() {
                    // Belongs to the division, or is bound to a grid in it (grid codes start with it).
                    qb.push(" AND (");
                    dialect!($dialect, push_starts_with(qb, "p.unit_code", prefix));
                    qb.push(" OR EXISTS (SELECT 1 FROM grid_binding b WHERE b.person_id = p.person_id AND ");
                    dialect!($dialect, push_starts_with(qb, "b.grid_code", prefix));
                    qb.push("))");
                }
                if let Some(within) = f.within.as_deref() {
                    qb.push(" AND ");
                    dialect!($dialect, push_starts_with(qb, "p.unit_code", within));
                }
                if let Some(grid) = f.grid.as_deref() {
                    qb.push(" AND EXISTS (SELECT 1 FROM grid_binding b WHERE b.person_id = p.person_id AND b.grid_code = ");
                    qb.push_bind(grid).push(")");
                }
            }
        }
    };
}

person_store!(SqliteStore, sqlx::Sqlite, sqlite);
person_store!(PgStore, sqlx::Postgres, postgres);

/// Bindings (person, grid) as each person's grids, in order.
fn by_person(bindings: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut grids: HashMap<String, Vec<String>> = HashMap::new();
    for (person, grid) in bindings {
        grids.entry(person).or_default().push(grid);
    }
    grids
}

/// A person row (their grids are bound in another table).
#[derive(sqlx::FromRow)]
struct PersonRow {
    person_id: String,
    name: String,
    role: String,
    unit_code: String,
    device_id: Option<String>,
    phone: String,
    on_duty: bool,
    created_at: Time,
    updated_at: Time,
}

impl PersonRow {
    /// The person's record, bound to `grids`.
    fn into_record(self, grids: Vec<String>) -> Result<PersonRecord, StoreError> {
        let role = Role::parse(&self.role).ok_or_else(|| StoreError::BadRow {
            table: "person",
            code: self.person_id.clone(),
            reason: format!("role {:?}", self.role),
        })?;
        let person = Person {
            id: self.person_id,
            name: self.name,
            role,
            unit_code: self.unit_code,
            grids,
            device_id: self.device_id,
            phone: self.phone,
            on_duty: self.on_duty,
        };
        Ok(PersonRecord { person, created_at: self.created_at.into(), updated_at: self.updated_at.into() })
    }
}
