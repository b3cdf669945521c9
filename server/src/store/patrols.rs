//! Patrols (巡查), their track points and check-ins, written once for both backends. Every
//! write is one statement (its own transaction, durable when answered); replays are skipped by
//! the keys (`ON CONFLICT DO NOTHING`) and read back.

use chrono::{DateTime, Utc};
use wangge_core::LonLat;

use super::time::Time;
use super::{query, PgStore, SqliteStore, Store, StoreError};
use crate::records::{Checkin, CheckinInsert, CheckinKind, LivePatrol, Located, NewPatrol, Page, Paged};
use crate::records::{PatrolFilter, PatrolInsert, PatrolLoad, PatrolRecord, PatrolTrack, TrackPoint};

/// The columns of [`PatrolRow`] over `patrol p`, counts included, as a literal for `concat!`.
macro_rules! patrol_columns {
    () => {
        "p.patrol_id, p.person_id, p.unit_code, p.started_at, p.ended_at,
         (SELECT count(*) FROM patrol_point t WHERE t.patrol_id = p.patrol_id) AS points,
         (SELECT count(*) FROM patrol_point t WHERE t.patrol_id = p.patrol_id AND t.outside) AS points_outside,
         (SELECT count(*) FROM patrol_checkin c WHERE c.patrol_id = p.patrol_id) AS checkins,
         (SELECT max(t.at) FROM patrol_point t WHERE t.patrol_id = p.patrol_id) AS last_point_at"
    };
}

/// The columns of [`CheckinRow`].
macro_rules! checkin_columns {
    () => {
        "checkin_id, patrol_id, at, lon, lat, kind, note, ref, grid_code, outside"
    };
}

const PATROL: &str = concat!("SELECT ", patrol_columns!(), " FROM patrol p WHERE p.patrol_id = $1");
const OPEN_PATROL: &str =
    concat!("SELECT ", patrol_columns!(), " FROM patrol p WHERE p.person_id = $1 AND p.ended_at IS NULL");
const INSERT_PATROL: &str = "INSERT INTO patrol (patrol_id, person_id, unit_code, started_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING";
const END_PATROL: &str =
    "UPDATE patrol SET ended_at = $1, updated_at = $2 WHERE patrol_id = $3 AND ended_at IS NULL";
const CHECKIN: &str = concat!("SELECT ", checkin_columns!(), " FROM patrol_checkin WHERE checkin_id = $1");
const CHECKINS_OF: &str =
    concat!("SELECT ", checkin_columns!(), " FROM patrol_checkin WHERE patrol_id = $1 ORDER BY at, checkin_id");
const LIVE: &str = "SELECT p.patrol_id, p.person_id, p.unit_code, p.started_at,
        t.at, t.lon, t.lat, t.accuracy_m, t.grid_code, t.outside
   FROM patrol p
   JOIN person pe ON pe.person_id = p.person_id
   LEFT JOIN patrol_point t ON t.patrol_id = p.patrol_id
        AND t.at = (SELECT max(x.at) FROM patrol_point x WHERE x.patrol_id = p.patrol_id)
  WHERE p.ended_at IS NULL AND pe.on_duty AND p.started_at >= ";

/// The patrol methods of one backend (`sqlite` or `postgres`).
macro_rules! patrol_store {
    ($store:ty, $db:ty, $dialect:ident) => {
        impl $store {
            /// One patrol with its counts.
            pub async fn patrol(&self, patrol_id: &str) -> Result<Option<PatrolRecord>, StoreError> {
                let row: Option<PatrolRow> = sqlx::query_as(PATROL)
                    .bind(patrol_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a patrol"))?;
                Ok(row.map(PatrolRow::into_record))
            }

            /// Stores a new patrol, or answers the one holding its id or the gridworker's open one.
            pub async fn insert_patrol(&self, p: &NewPatrol, now: DateTime<Utc>) -> Result<PatrolInsert, StoreError> {
                // Twice: the open patrol that blocked the insert may end in between.
                for _ in 0..2 {
                    let done = sqlx::query(INSERT_PATROL)
                        .bind(&p.patrol_id)
                        .bind(&p.person_id)
                        .bind(&p.unit_code)
                        .bind(Time::from(p.started_at))
                        .bind(Time::from(now))
                        .execute(&self.pool)
                        .await
                        .map_err(query("inserting a patrol"))?;
                    if done.rows_affected() == 1 {
                        return self.found(&p.patrol_id).await.map(PatrolInsert::Created);
                    }
                    if let Some(existing) = self.patrol(&p.patrol_id).await? {
                        return Ok(PatrolInsert::Existing(existing));
                    }
                    let open: Option<PatrolRow> = sqlx::query_as(OPEN_PATROL)
                        .bind(&p.person_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(query("reading an open patrol"))?;
                    if let Some(open) = open {
                        return Ok(PatrolInsert::AlreadyOpen(open.into_record()));
                    }
                }
                Err(StoreError::BadRow { table: "patrol", code: p.patrol_id.clone(), reason: "insert kept conflicting".into() })
            }

            /// A patrol that must exist.
            async fn found(&self, patrol_id: &str) -> Result<PatrolRecord, StoreError> {
                self.patrol(patrol_id).await?.ok_or_else(|| StoreError::BadRow {
                    table: "patrol",
                    code: patrol_id.to_owned(),
                    reason: "missing right after it was written".into(),
                })
            }

            /// Ends an open patrol (an ended one keeps its end); the patrol after.
            pub async fn end_patrol(
                &self,
                patrol_id: &str,
                ended_at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<PatrolRecord, StoreError> {
                sqlx::query(END_PATROL)
                    .bind(Time::from(ended_at))
                    .bind(Time::from(now))
                    .bind(patrol_id)
                    .execute(&self.pool)
                    .await
                    .map_err(query("ending a patrol"))?;
                self.found(patrol_id).await
            }

            /// The multi-row INSERT of track points (patrol, point), skipping stored ones (same
            /// patrol and time).
            fn points_insert<'a>(rows: &'a [(&'a str, &'a TrackPoint)], now: DateTime<Utc>) -> sqlx::QueryBuilder<$db> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO patrol_point (patrol_id, at, lon, lat, accuracy_m, grid_code, outside, received_at) ",
                );
                q.push_values(rows, |mut row, (patrol_id, p)| {
                    row.push_bind(*patrol_id)
                        .push_bind(Time::from(p.at))
                        .push_bind(p.place.at.lon)
                        .push_bind(p.place.at.lat)
                        .push_bind(p.accuracy_m)
                        .push_bind(p.place.grid_code.as_deref())
                        .push_bind(p.place.outside)
                        .push_bind(Time::from(now));
                });
                q.push(" ON CONFLICT DO NOTHING");
                q
            }

            /// The multi-row INSERT of check-ins, skipping ids already stored.
            fn checkins_insert<'a>(rows: &'a [&'a Checkin], now: DateTime<Utc>) -> sqlx::QueryBuilder<$db> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO patrol_checkin (checkin_id, patrol_id, at, lon, lat, kind, note, ref, grid_code, outside, received_at) ",
                );
                q.push_values(rows, |mut row, c| {
                    row.push_bind(&c.checkin_id)
                        .push_bind(&c.patrol_id)
                        .push_bind(Time::from(c.at))
                        .push_bind(c.place.at.lon)
                        .push_bind(c.place.at.lat)
                        .push_bind(c.kind.as_str())
                        .push_bind(c.note.as_deref())
                        .push_bind(c.reference.as_deref())
                        .push_bind(c.place.grid_code.as_deref())
                        .push_bind(c.place.outside)
                        .push_bind(Time::from(now));
                });
                q.push(" ON CONFLICT DO NOTHING");
                q
            }

            /// Appends track points in one statement, skipping those already stored (same
            /// patrol and time); how many were new.
            pub async fn add_points(
                &self,
                patrol_id: &str,
                points: &[TrackPoint],
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                if points.is_empty() {
                    return Ok(0);
                }
                let rows: Vec<(&str, &TrackPoint)> = points.iter().map(|p| (patrol_id, p)).collect();
                let done = Self::points_insert(&rows, now)
                    .build().execute(&self.pool).await.map_err(query("storing track points"))?;
                Ok(done.rows_affected())
            }

            /// Writes whole patrols (the demo year) in one transaction, many rows a statement;
            /// how many patrols, points and check-ins.
            pub async fn load_patrols(&self, patrols: &[PatrolLoad], now: DateTime<Utc>) -> Result<(usize, usize, usize), StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a patrol load").await?;
                for chunk in patrols.chunks(1000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO patrol (patrol_id, person_id, unit_code, started_at, ended_at, created_at, updated_at) ",
                    );
                    q.push_values(chunk, |mut row, p| {
                        row.push_bind(&p.patrol.patrol_id)
                            .push_bind(&p.patrol.person_id)
                            .push_bind(&p.patrol.unit_code)
                            .push_bind(Time::from(p.patrol.started_at))
                            .push_bind(Time::from(p.ended_at))
                            .push_bind(Time::from(now))
                            .push_bind(Time::from(now));
                    });
                    q.build().persistent(false).execute(&mut *tx).await.map_err(query("loading patrols"))?;
                }
                let points: Vec<(&str, &TrackPoint)> =
                    patrols.iter().flat_map(|p| p.points.iter().map(move |t| (p.patrol.patrol_id.as_str(), t))).collect();
                for chunk in points.chunks(1000) {
                    Self::points_insert(chunk, now)
                        .build().persistent(false).execute(&mut *tx).await.map_err(query("loading track points"))?;
                }
                let checkins: Vec<&Checkin> = patrols.iter().flat_map(|p| p.checkins.iter()).collect();
                for chunk in checkins.chunks(1000) {
                    Self::checkins_insert(chunk, now)
                        .build().persistent(false).execute(&mut *tx).await.map_err(query("loading check-ins"))?;
                }
                tx.commit().await.map_err(query("committing a patrol load"))?;
                Ok((patrols.len(), points.len(), checkins.len()))
            }

            /// Stores a check-in with its photos (their rows in the same transaction), or
            /// answers the one holding its id (its photos untouched).
            pub async fn add_checkin(
                &self,
                c: &Checkin,
                photos: &[crate::records::NewAttachment],
                now: DateTime<Utc>,
            ) -> Result<CheckinInsert, StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a check-in").await?;
                let done = Self::checkins_insert(&[c], now)
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(query("storing a check-in"))?;
                let created = done.rows_affected() == 1;
                if created {
                    Self::insert_attachment_rows(&mut tx, super::attachments::PhotoOf::Checkin(&c.checkin_id), photos).await?;
                }
                let row: CheckinRow = sqlx::query_as(CHECKIN)
                    .bind(&c.checkin_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(query("reading a check-in"))?;
                tx.commit().await.map_err(query("committing a check-in"))?;
                let stored = row.into_checkin()?;
                Ok(if created { CheckinInsert::Created(stored) } else { CheckinInsert::Existing(stored) })
            }

            /// A patrol's check-ins, in time order.
            pub async fn checkins_of(&self, patrol_id: &str) -> Result<Vec<Checkin>, StoreError> {
                let rows: Vec<CheckinRow> = sqlx::query_as(CHECKINS_OF)
                    .bind(patrol_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("listing a patrol's check-ins"))?;
                rows.into_iter().map(CheckinRow::into_checkin).collect()
            }

            /// One check-in.
            pub async fn checkin(&self, checkin_id: &str) -> Result<Option<Checkin>, StoreError> {
                let row: Option<CheckinRow> = sqlx::query_as(CHECKIN)
                    .bind(checkin_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a check-in"))?;
                row.map(CheckinRow::into_checkin).transpose()
            }

            /// One page of patrols, newest first.
            pub async fn patrols(&self, f: &PatrolFilter, page: Page) -> Result<Paged<PatrolRecord>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM patrol p");
                Self::push_patrol_filter(&mut count, f);
                let total: i64 =
                    count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting patrols"))?;
                let mut list = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", patrol_columns!(), " FROM patrol p"));
                Self::push_patrol_filter(&mut list, f);
                list.push(" ORDER BY p.started_at DESC, p.patrol_id LIMIT ").push_bind(i64::from(page.per_page));
                list.push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<PatrolRow> =
                    list.build_query_as().fetch_all(&self.pool).await.map_err(query("listing patrols"))?;
                Ok(Paged { items: rows.into_iter().map(PatrolRow::into_record).collect(), total, page: page.page, per_page: page.per_page })
            }

            /// Open patrols of on-duty gridworkers started since `since`, with their last points.
            pub async fn live_patrols(&self, f: &PatrolFilter, since: DateTime<Utc>) -> Result<Vec<LivePatrol>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(LIVE);
                q.push_bind(Time::from(since));
                for prefix in &f.unit_prefixes {
                    q.push(" AND ");
                    dialect!($dialect, push_starts_with(q, "p.unit_code", prefix.as_str()));
                }
                q.push(" ORDER BY p.person_id, p.patrol_id");
                let rows: Vec<LiveRow> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading live patrols"))?;
                Ok(rows.into_iter().map(LiveRow::into_live).collect())
            }

            /// Every patrol matching the filter with its track and check-ins (the figures).
            pub async fn patrol_tracks(&self, f: &PatrolFilter) -> Result<Vec<PatrolTrack>, StoreError> {
                let mut list = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", patrol_columns!(), " FROM patrol p"));
                Self::push_patrol_filter(&mut list, f);
                list.push(" ORDER BY p.patrol_id");
                let patrols: Vec<PatrolRow> =
                    list.build_query_as().fetch_all(&self.pool).await.map_err(query("reading patrols for the figures"))?;
                let mut points = sqlx::QueryBuilder::<$db>::new(
                    "SELECT t.patrol_id, t.at, t.lon, t.lat, t.accuracy_m, t.grid_code, t.outside
                       FROM patrol_point t JOIN patrol p ON p.patrol_id = t.patrol_id",
                );
                Self::push_patrol_filter(&mut points, f);
                points.push(" ORDER BY t.patrol_id, t.at");
                let points: Vec<PointRow> =
                    points.build_query_as().fetch_all(&self.pool).await.map_err(query("reading tracks for the figures"))?;
                let mut checkins = sqlx::QueryBuilder::<$db>::new(
                    "SELECT c.patrol_id, c.at, c.lon, c.lat FROM patrol_checkin c JOIN patrol p ON p.patrol_id = c.patrol_id",
                );
                Self::push_patrol_filter(&mut checkins, f);
                checkins.push(" ORDER BY c.patrol_id, c.at");
                let checkins: Vec<(String, Time, f64, f64)> = checkins
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading check-ins for the figures"))?;
                Ok(tracks(patrols, points, checkins))
            }

            fn push_patrol_filter(qb: &mut sqlx::QueryBuilder<$db>, f: &PatrolFilter) {
                qb.push(" WHERE true");
                if let Some(person) = f.person_id.as_deref() {
                    qb.push(" AND p.person_id = ").push_bind(person);
                }
                for prefix in &f.unit_prefixes {
                    qb.push(" AND ");
                    dialect!($dialect, push_starts_with(qb, "p.unit_code", prefix.as_str()));
                }
                if let Some(from) = f.from {
                    qb.push(" AND p.started_at >= ").push_bind(Time::from(from));
                }
                if let Some(to) = f.to {
                    qb.push(" AND p.started_at < ").push_bind(Time::from(to));
                }
                match f.open {
                    Some(true) => {
                        qb.push(" AND p.ended_at IS NULL");
                    }
                    Some(false) => {
                        qb.push(" AND p.ended_at IS NOT NULL");
                    }
                    None => {}
                }
            }
        }
    };
}

patrol_store!(SqliteStore, sqlx::Sqlite, sqlite);
patrol_store!(PgStore, sqlx::Postgres, postgres);

impl Store {
    /// Writes whole patrols at once (the demo year); how many patrols, points and check-ins.
    pub async fn load_patrols(&self, patrols: &[PatrolLoad], now: DateTime<Utc>) -> Result<(usize, usize, usize), StoreError> {
        dispatch!(self, s => s.load_patrols(patrols, now).await)
    }

    /// One patrol with its counts.
    pub async fn patrol(&self, patrol_id: &str) -> Result<Option<PatrolRecord>, StoreError> {
        dispatch!(self, s => s.patrol(patrol_id).await)
    }

    /// Stores a new patrol received at `now`; an id already taken answers its patrol, and a
    /// gridworker with a patrol open answers that one.
    pub async fn insert_patrol(&self, patrol: &NewPatrol, now: DateTime<Utc>) -> Result<PatrolInsert, StoreError> {
        dispatch!(self, s => s.insert_patrol(patrol, now).await)
    }

    /// Ends an open patrol at `ended_at` (an ended one keeps its end); the patrol after.
    pub async fn end_patrol(
        &self,
        patrol_id: &str,
        ended_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<PatrolRecord, StoreError> {
        dispatch!(self, s => s.end_patrol(patrol_id, ended_at, now).await)
    }

    /// Appends track points received at `now`, skipping replays (same patrol and time); how
    /// many were new.
    pub async fn add_points(&self, patrol_id: &str, points: &[TrackPoint], now: DateTime<Utc>) -> Result<u64, StoreError> {
        dispatch!(self, s => s.add_points(patrol_id, points, now).await)
    }

    /// Stores a check-in received at `now`; an id already taken answers its check-in.
    pub async fn add_checkin(
        &self,
        checkin: &Checkin,
        photos: &[crate::records::NewAttachment],
        now: DateTime<Utc>,
    ) -> Result<CheckinInsert, StoreError> {
        dispatch!(self, s => s.add_checkin(checkin, photos, now).await)
    }

    /// One check-in.
    pub async fn checkin(&self, checkin_id: &str) -> Result<Option<Checkin>, StoreError> {
        dispatch!(self, s => s.checkin(checkin_id).await)
    }

    /// A patrol's check-ins, in time order.
    pub async fn checkins_of(&self, patrol_id: &str) -> Result<Vec<Checkin>, StoreError> {
        dispatch!(self, s => s.checkins_of(patrol_id).await)
    }

    /// One page of patrols matching the filter, newest first.
    pub async fn patrols(&self, filter: &PatrolFilter, page: Page) -> Result<Paged<PatrolRecord>, StoreError> {
        dispatch!(self, s => s.patrols(filter, page).await)
    }

    /// Open patrols of on-duty gridworkers started since `since` (units by the filter's
    /// prefixes), each with its last point.
    pub async fn live_patrols(&self, filter: &PatrolFilter, since: DateTime<Utc>) -> Result<Vec<LivePatrol>, StoreError> {
        dispatch!(self, s => s.live_patrols(filter, since).await)
    }

    /// Every patrol matching the filter with its track and check-ins, by patrol id.
    pub async fn patrol_tracks(&self, filter: &PatrolFilter) -> Result<Vec<PatrolTrack>, StoreError> {
        dispatch!(self, s => s.patrol_tracks(filter).await)
    }
}

/// Patrols with their points and check-ins (all three sorted by patrol id).
fn tracks(patrols: Vec<PatrolRow>, points: Vec<PointRow>, checkins: Vec<(String, Time, f64, f64)>) -> Vec<PatrolTrack> {
    let mut points = points.into_iter().peekable();
    let mut checkins = checkins.into_iter().peekable();
    patrols
        .into_iter()
        .map(|row| {
            let patrol = row.into_record();
            let id = patrol.patrol_id.clone();
            let mut own = Vec::new();
            while let Some(p) = points.next_if(|p| p.patrol_id <= id) {
                if p.patrol_id == id {
                    own.push(p.into_point());
                }
            }
            let mut stops = Vec::new();
            while let Some((of, at, lon, lat)) = checkins.next_if(|c| c.0 <= id) {
                if of == id {
                    stops.push((at.into(), LonLat { lon, lat }));
                }
            }
            PatrolTrack { patrol, points: own, checkins: stops }
        })
        .collect()
}

/// A patrol row with its counts.
#[derive(sqlx::FromRow)]
struct PatrolRow {
    patrol_id: String,
    person_id: String,
    unit_code: String,
    started_at: Time,
    ended_at: Option<Time>,
    points: i64,
    points_outside: i64,
    checkins: i64,
    last_point_at: Option<Time>,
}

impl PatrolRow {
    fn into_record(self) -> PatrolRecord {
        PatrolRecord {
            patrol_id: self.patrol_id,
            person_id: self.person_id,
            unit_code: self.unit_code,
            started_at: self.started_at.into(),
            ended_at: self.ended_at.map(Into::into),
            points: self.points,
            points_outside: self.points_outside,
            checkins: self.checkins,
            last_point_at: self.last_point_at.map(Into::into),
        }
    }
}

/// A track point row.
#[derive(sqlx::FromRow)]
struct PointRow {
    patrol_id: String,
    at: Time,
    lon: f64,
    lat: f64,
    accuracy_m: f64,
    grid_code: Option<String>,
    outside: bool,
}

impl PointRow {
    fn into_point(self) -> TrackPoint {
        TrackPoint {
            at: self.at.into(),
            place: Located { at: LonLat { lon: self.lon, lat: self.lat }, grid_code: self.grid_code, outside: self.outside },
            accuracy_m: self.accuracy_m,
        }
    }
}

/// A check-in row.
#[derive(sqlx::FromRow)]
struct CheckinRow {
    checkin_id: String,
    patrol_id: String,
    at: Time,
    lon: f64,
    lat: f64,
    kind: String,
    note: Option<String>,
    #[sqlx(rename = "ref")]
    reference: Option<String>,
    grid_code: Option<String>,
    outside: bool,
}

impl CheckinRow {
    fn into_checkin(self) -> Result<Checkin, StoreError> {
        let kind = CheckinKind::parse(&self.kind).ok_or_else(|| StoreError::BadRow {
            table: "patrol_checkin",
            code: self.checkin_id.clone(),
            reason: format!("kind {:?}", self.kind),
        })?;
        Ok(Checkin {
            checkin_id: self.checkin_id,
            patrol_id: self.patrol_id,
            at: self.at.into(),
            place: Located { at: LonLat { lon: self.lon, lat: self.lat }, grid_code: self.grid_code, outside: self.outside },
            kind,
            note: self.note,
            reference: self.reference,
        })
    }
}

/// An open patrol and its last point (all NULL before the first).
#[derive(sqlx::FromRow)]
struct LiveRow {
    patrol_id: String,
    person_id: String,
    unit_code: String,
    started_at: Time,
    at: Option<Time>,
    lon: Option<f64>,
    lat: Option<f64>,
    accuracy_m: Option<f64>,
    grid_code: Option<String>,
    outside: Option<bool>,
}

impl LiveRow {
    fn into_live(self) -> LivePatrol {
        let last = match (self.at, self.lon, self.lat, self.accuracy_m) {
            (Some(at), Some(lon), Some(lat), Some(accuracy_m)) => Some(TrackPoint {
                at: at.into(),
                place: Located {
                    at: LonLat { lon, lat },
                    grid_code: self.grid_code,
                    outside: self.outside.unwrap_or(false),
                },
                accuracy_m,
            }),
            _ => None,
        };
        LivePatrol {
            patrol_id: self.patrol_id,
            person_id: self.person_id,
            unit_code: self.unit_code,
            started_at: self.started_at.into(),
            last,
        }
    }
}
