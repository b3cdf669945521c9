//! The chained audit log in the store: sealed rows appended under the chain's write lock,
//! searched and read back in chain order — the same SQL on both backends.

use wangge_core::access::{AuditKey, AuditOutcome, AuditRow, ChainHead, Digest, SealedRow};

use super::accounts::{from_micros, micros};
use super::dialect::{Backend, Lock};
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::{EventRecord, NewEvent, Page, Paged};

/// Which audit rows to answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this account.
    pub user: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Exactly this outcome.
    pub outcome: Option<AuditOutcome>,
    /// Objects containing this text.
    pub object: Option<String>,
    /// At or after (µs).
    pub from_us: Option<i64>,
    /// Before (µs).
    pub to_us: Option<i64>,
}

/// An audit row as stored.
#[derive(sqlx::FromRow)]
struct AuditDbRow {
    seq: i64,
    at_us: i64,
    username: String,
    action: String,
    object: String,
    outcome: String,
    source: String,
    detail: String,
    hash: String,
}

const AUDIT_COLUMNS: &str = "seq, at_us, username, action, object, outcome, source, detail, hash";

fn sealed(r: AuditDbRow) -> Result<SealedRow, StoreError> {
    let bad = |reason: String| StoreError::BadRow { table: "audit_log", code: r.seq.to_string(), reason };
    let outcome = AuditOutcome::parse(&r.outcome).ok_or_else(|| bad(format!("unknown outcome {:?}", r.outcome)))?;
    let hash = Digest::from_hex(&r.hash).map_err(|e| bad(e.to_string()))?;
    let row = AuditRow {
        seq: u64::try_from(r.seq).map_err(|_| bad("negative sequence number".into()))?,
        at: from_micros(r.at_us),
        user: r.username,
        action: r.action,
        object: r.object,
        outcome,
        source: r.source,
        detail: r.detail,
    };
    Ok(SealedRow { row, hash })
}

/// The audit row of a report's creation (if it carries one), naming the event it created.
pub(crate) fn creation_row(new: &NewEvent, created: &EventRecord) -> Option<AuditRow> {
    new.audit.as_ref().map(|row| AuditRow { object: format!("event:{}", created.event_id), ..row.clone() })
}

/// A failure to seal the audit rows of a change: an outage stays what it is (the whole write
/// meets it); any other is told apart as the audit trail's, so that the writer can wait and
/// try again as it does for a change's `begun` row.
fn unsealed(e: StoreError) -> StoreError {
    match e.outage() {
        Some(_) => e,
        None => StoreError::Audit { text: crate::logging::error_chain(&e), outage: None },
    }
}

/// Appends `$builder`'s filter of audit rows.
macro_rules! audit_where {
    ($q:ident, $filter:expr) => {{
        let f = $filter;
        $q.push(" WHERE 1 = 1");
        if let Some(user) = &f.user {
            $q.push(" AND username = ").push_bind(user.clone());
        }
        if let Some(action) = &f.action {
            $q.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(outcome) = f.outcome {
            $q.push(" AND outcome = ").push_bind(outcome.as_str());
        }
        if let Some(object) = &f.object {
            let escaped = object.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            $q.push(" AND object LIKE ").push_bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
        }
        if let Some(from) = f.from_us {
            $q.push(" AND at_us >= ").push_bind(from);
        }
        if let Some(to) = f.to_us {
            $q.push(" AND at_us < ").push_bind(to);
        }
    }};
}

/// The audit methods, written once for both backends.
macro_rules! audit_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Seals `rows` onto the end of the chain and stores them, all or nothing, under
            /// the chain's write lock (other processes sharing the database wait).
            pub async fn append_audit(&self, key: &AuditKey, rows: Vec<AuditRow>) -> Result<Vec<SealedRow>, StoreError> {
                let mut tx = self.begin_write("starting an audit append").await?;
                let sealed_rows = Self::seal_in(&mut tx, key, rows).await?;
                tx.commit().await.map_err(query("committing audit rows"))?;
                Ok(sealed_rows)
            }

            /// Seals the audit rows of the changes made in `tx` with `key` ([`Self::seal_in`]);
            /// a failure that is not an outage is a [`StoreError::Audit`]. Without a key, rows
            /// are refused (never dropped); none is fine.
            pub(crate) async fn seal_changes(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: Option<&AuditKey>,
                rows: Vec<AuditRow>,
            ) -> Result<Vec<SealedRow>, StoreError> {
                match key {
                    Some(key) => Self::seal_in(tx, key, rows).await.map_err(unsealed),
                    None if rows.is_empty() => Ok(Vec::new()),
                    None => Err(StoreError::Audit { text: "audit rows were given without the key to seal them".into(), outage: None }),
                }
            }

            /// Seals `rows` onto the end of the chain within the write transaction `tx`, under
            /// the chain's lock (held until `tx` ends): they commit with the change they record.
            pub(crate) async fn seal_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                key: &AuditKey,
                rows: Vec<AuditRow>,
            ) -> Result<Vec<SealedRow>, StoreError> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                Self::lock(tx, Lock::AuditChain).await?;
                let last: Option<AuditDbRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1")))
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(query("reading the audit chain's head"))?;
                let mut head = match last {
                    Some(row) => ChainHead::after(&sealed(row)?),
                    None => ChainHead::START,
                };
                let sealed_rows: Vec<SealedRow> = rows.into_iter().map(|row| head.append(key, row)).collect();
                for chunk in sealed_rows.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) "));
                    q.push_values(chunk, |mut b, s| {
                        b.push_bind(i64::try_from(s.row.seq).unwrap_or(i64::MAX))
                            .push_bind(micros(s.row.at))
                            .push_bind(s.row.user.clone())
                            .push_bind(s.row.action.clone())
                            .push_bind(s.row.object.clone())
                            .push_bind(s.row.outcome.as_str())
                            .push_bind(s.row.source.clone())
                            .push_bind(s.row.detail.clone())
                            .push_bind(s.hash.to_hex());
                    });
                    q.build().persistent(false).execute(&mut **tx).await.map_err(query("appending audit rows"))?;
                }
                Ok(sealed_rows)
            }

            /// One page of audit rows matching `filter`, newest first.
            pub async fn audit(&self, filter: &AuditFilter, page: Page) -> Result<Paged<SealedRow>, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM audit_log");
                audit_where!(count, filter);
                let total: i64 =
                    count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting audit rows"))?;
                let mut list = sqlx::QueryBuilder::<$db>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
                audit_where!(list, filter);
                list.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(page.per_page));
                list.push(" OFFSET ").push_bind(page.offset());
                let rows: Vec<AuditDbRow> =
                    list.build_query_as().fetch_all(&self.pool).await.map_err(query("searching the audit log"))?;
                let items = rows.into_iter().map(sealed).collect::<Result<_, _>>()?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// Up to `limit` audit rows from sequence number `from_seq` on, in chain order.
            pub async fn audit_chain(&self, from_seq: u64, limit: u32) -> Result<Vec<SealedRow>, StoreError> {
                let rows: Vec<AuditDbRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")))
                        .bind(i64::try_from(from_seq).unwrap_or(i64::MAX))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(query("reading the audit chain"))?;
                rows.into_iter().map(sealed).collect()
            }
        }
    };
}

audit_store!(SqliteStore, sqlx::Sqlite);
audit_store!(PgStore, sqlx::Postgres);

impl super::Store {
    /// Seals and appends audit rows, all or nothing.
    pub async fn append_audit(&self, key: &AuditKey, rows: Vec<AuditRow>) -> Result<Vec<SealedRow>, StoreError> {
        dispatch!(self, s => s.append_audit(key, rows).await)
    }

    /// One page of audit rows, newest first.
    pub async fn audit(&self, filter: &AuditFilter, page: Page) -> Result<Paged<SealedRow>, StoreError> {
        dispatch!(self, s => s.audit(filter, page).await)
    }

    /// Audit rows from `from_seq` on, in chain order.
    pub async fn audit_chain(&self, from_seq: u64, limit: u32) -> Result<Vec<SealedRow>, StoreError> {
        dispatch!(self, s => s.audit_chain(from_seq, limit).await)
    }
}
