//! What differs between the two backends, in one place: the SQL fragments where the dialects
//! disagree inside an otherwise shared statement ([`dialect!`]), and the code each backend
//! supplies to the methods written once for both ([`Backend`]).

use chrono::NaiveDate;
use geo_types::MultiPolygon;
use sqlx::Transaction;
use wangge_core::calendar::DayKind;
use wangge_core::people::{Person, Responsibility};

use super::StoreError;
use crate::records::{Grid, Township, Village};
use crate::records::TimelineEntry;
use crate::records::Department;

/// A piece of SQL spelled for one dialect (`sqlite` or `postgres`): a literal, so that
/// `concat!` builds each shared statement as one `const`; `push_starts_with` instead pushes
/// onto a `QueryBuilder`.
macro_rules! dialect {
    // The database's clock as a stored time, to the millisecond.
    (sqlite, now) => { "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" };
    (postgres, now) => { "date_trunc('milliseconds', now())" };
    // `$text` starts with `$prefix` (PostgreSQL 15 answers `starts_with` from a btree index in
    // the C collation, which the code columns have).
    (sqlite, starts_with($text:literal, $prefix:literal)) => {
        concat!("substr(", $text, ", 1, length(", $prefix, ")) = ", $prefix)
    };
    (postgres, starts_with($text:literal, $prefix:literal)) => {
        concat!("starts_with(", $text, ", ", $prefix, ")")
    };
    // The same with `$prefix` bound by a query builder.
    (sqlite, push_starts_with($qb:expr, $text:literal, $prefix:expr)) => {{
        $qb.push(concat!("substr(", $text, ", 1, length(")).push_bind($prefix).push(")) = ").push_bind($prefix);
    }};
    (postgres, push_starts_with($qb:expr, $text:literal, $prefix:expr)) => {{
        $qb.push(concat!("starts_with(", $text, ", ")).push_bind($prefix).push(")");
    }};
    // The shape of row `$alias` read back as column `geometry`: GeoJSON text, or WKB.
    (sqlite, shape($alias:literal)) => { concat!($alias, ".geometry") };
    (postgres, shape($alias:literal)) => { concat!("ST_AsBinary(", $alias, ".geom) AS geometry") };
    // The shape column, and a bound shape ([`Backend::shape_value`]) as its value.
    (sqlite, shape_column) => { "geometry" };
    (postgres, shape_column) => { "geom" };
    (sqlite, shape_value($param:literal)) => { $param };
    (postgres, shape_value($param:literal)) => { concat!("ST_GeomFromWKB(", $param, ", 4490)") };
    // The same bound by a query builder's row (`push_values`).
    (sqlite, push_shape_value($row:expr, $value:expr)) => {{
        $row.push_bind($value);
    }};
    (postgres, push_shape_value($row:expr, $value:expr)) => {{
        $row.push("ST_GeomFromWKB(").push_bind_unseparated($value).push_unseparated(", 4490)");
    }};
    // The actions of timeline rows `t` as one JSON array (text) of
    // [seq, at, action, holder tier, holder id, score]; PostgreSQL sessions are in UTC, so its
    // `at` is RFC 3339 with offset +00:00.
    (sqlite, actions_json) => {
        "json_group_array(json_array(t.seq, t.at, t.action, t.holder_tier, t.holder_id,
                CASE WHEN t.action = 'rate' THEN json_extract(t.payload, '$.score') END))"
    };
    (postgres, actions_json) => {
        "coalesce(json_agg(json_build_array(t.seq, t.at, t.action, t.holder_tier, t.holder_id,
                CASE WHEN t.action = 'rate' THEN t.payload -> 'score' END)), '[]')::text"
    };
}

/// What a write transaction locks besides the rows it writes. PostGIS takes it (several
/// processes may share the database); SQLite's write transaction already holds the file's one
/// write lock, so there it is nothing.
#[derive(Debug, Clone, Copy)]
pub(super) enum Lock<'a> {
    /// One audit-chain append at a time.
    AuditChain,
    /// One publication of redrawn grids at a time.
    Publication,
    /// A table against other writers (readers go on).
    Table(&'static str),
    /// One binding of this device at a time.
    Device(&'a str),
}

/// The code that differs between the backends, called by the methods written once for both.
pub(super) trait Backend {
    /// The sqlx database.
    type Db: sqlx::Database;
    /// How a shape is bound: GeoJSON text, or WKB.
    type ShapeValue;

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`, so that a write that reads first
    /// waits for the write lock instead of failing when another writer got in between).
    async fn begin_write(&self, doing: &'static str) -> Result<Transaction<'static, Self::Db>, StoreError>;

    /// Takes `lock` until the transaction ends.
    async fn lock(tx: &mut Transaction<'_, Self::Db>, lock: Lock<'_>) -> Result<(), StoreError>;

    /// A shape as bound to `dialect!(_, shape_value(…))`.
    fn shape_value(shape: &MultiPolygon<f64>) -> Self::ShapeValue;

    /// A shape read back from `dialect!(_, shape(…))`, naming its row in errors.
    fn read_shape(table: &'static str, code: &str, stored: &[u8]) -> Result<MultiPolygon<f64>, StoreError>;

    /// Inserts townships.
    async fn insert_townships(tx: &mut Transaction<'_, Self::Db>, townships: &[Township]) -> Result<(), StoreError>;

    /// Inserts villages.
    async fn insert_villages(tx: &mut Transaction<'_, Self::Db>, villages: &[Village]) -> Result<(), StoreError>;

    /// Inserts grids (as current), each with its shape's [`Backend::shape_value`].
    async fn insert_grids(tx: &mut Transaction<'_, Self::Db>, grids: &[(&Grid, &Self::ShapeValue)]) -> Result<(), StoreError>;

    /// Appends timeline rows (event id, entry).
    async fn insert_entries(
        tx: &mut Transaction<'_, Self::Db>,
        rows: &[(&str, &TimelineEntry)],
    ) -> Result<(), StoreError>;

    /// Inserts (person, grid) bindings, skipping any already there.
    async fn bind_grids(
        tx: &mut Transaction<'_, Self::Db>,
        bindings: &[(&str, &str)],
        doing: &'static str,
    ) -> Result<(), StoreError>;

    /// Inserts new people (without their bindings).
    async fn insert_person_rows(tx: &mut Transaction<'_, Self::Db>, people: &[Person]) -> Result<(), StoreError>;

    /// Creates or updates a person's row; `true` if created.
    async fn upsert_person_row(tx: &mut Transaction<'_, Self::Db>, person: &Person) -> Result<bool, StoreError>;

    /// Adds departments or renames them.
    async fn upsert_departments(
        tx: &mut Transaction<'_, Self::Db>,
        departments: &[Department],
    ) -> Result<(), StoreError>;

    /// Inserts routing rows, in the order given.
    async fn insert_responsibility(
        tx: &mut Transaction<'_, Self::Db>,
        table: &[Responsibility],
    ) -> Result<(), StoreError>;

    /// Inserts calendar overrides.
    async fn insert_days(tx: &mut Transaction<'_, Self::Db>, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError>;
}
