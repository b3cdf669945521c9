//! Photos of events and duplicate links. The rows' SQL is written once for both backends and
//! runs inside the transaction that writes the event or transition they came with; the bytes
//! differ: SQLite keeps them in content-addressed files under the data directory, written and
//! fsynced before that transaction commits ([`Store::stage_blobs`]); PostGIS keeps them in
//! `attachment_blob`, in the same transaction as the rows, so that every instance serves them.

use std::io::Write;
use std::path::{Path, PathBuf};

use sqlx::Transaction;

use super::time::Time;
use super::{query, PgStore, SqliteStore, Store, StoreError};
use crate::records::{AttachmentRecord, DuplicateLink, NewAttachment};

const ATTACHMENT_COLUMNS: &str = "attachment_id, event_id, checkin_id, seq, position, content_type, sha256, bytes, width, height, \
     thumb_sha256, thumb_bytes, created_at";
const INSERT_ATTACHMENT: &str = "INSERT INTO attachment (attachment_id, event_id, checkin_id, seq, position, content_type, \
     sha256, bytes, width, height, thumb_sha256, thumb_bytes, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const DUPLICATE_COLUMNS: &str = "event_id, of_event_id, marked_by, reason, marked_at";

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    attachment_id: String,
    event_id: Option<String>,
    checkin_id: Option<String>,
    seq: i64,
    position: i64,
    content_type: String,
    sha256: String,
    bytes: i64,
    width: i64,
    height: i64,
    thumb_sha256: String,
    thumb_bytes: i64,
    created_at: Time,
}

impl From<AttachmentRow> for AttachmentRecord {
    fn from(r: AttachmentRow) -> Self {
        Self {
            attachment_id: r.attachment_id,
            event_id: r.event_id,
            checkin_id: r.checkin_id,
            seq: r.seq,
            position: r.position,
            content_type: r.content_type,
            sha256: r.sha256,
            bytes: r.bytes,
            width: r.width,
            height: r.height,
            thumb_sha256: r.thumb_sha256,
            thumb_bytes: r.thumb_bytes,
            created_at: r.created_at.into(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct DuplicateRow {
    event_id: String,
    of_event_id: String,
    marked_by: String,
    reason: String,
    marked_at: Time,
}

impl From<DuplicateRow> for DuplicateLink {
    fn from(r: DuplicateRow) -> Self {
        Self { event_id: r.event_id, of_event_id: r.of_event_id, marked_by: r.marked_by, reason: r.reason, marked_at: r.marked_at.into() }
    }
}

/// What photos are of.
#[derive(Debug, Clone, Copy)]
pub(super) enum PhotoOf<'a> {
    /// An event's timeline row.
    Event {
        /// The event.
        event_id: &'a str,
        /// The row.
        seq: i64,
    },
    /// A check-in.
    Checkin(&'a str),
}

/// Whether a marking would make a chain or a cycle: the target is itself a duplicate, or the
/// event already has duplicates of its own.
const DUPLICATE_CHAIN: &str = "SELECT count(*) FROM event_duplicate WHERE event_id = $1 OR of_event_id = $2";

/// The attachment and duplicate methods of one backend.
macro_rules! attachment_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Writes the photo rows of what `of` names (an event's timeline row, or a
            /// check-in) in `tx`, with their bytes where the backend keeps them there.
            pub(super) async fn insert_attachment_rows(
                tx: &mut Transaction<'_, $db>,
                of: PhotoOf<'_>,
                attachments: &[NewAttachment],
            ) -> Result<(), StoreError> {
                let (event_id, checkin_id, seq) = match of {
                    PhotoOf::Event { event_id, seq } => (Some(event_id), None, seq),
                    PhotoOf::Checkin(checkin_id) => (None, Some(checkin_id), 1),
                };
                for a in attachments {
                    let r = &a.record;
                    sqlx::query(INSERT_ATTACHMENT)
                        .bind(&r.attachment_id)
                        .bind(event_id)
                        .bind(checkin_id)
                        .bind(seq)
                        .bind(r.position)
                        .bind(&r.content_type)
                        .bind(&r.sha256)
                        .bind(r.bytes)
                        .bind(r.width)
                        .bind(r.height)
                        .bind(&r.thumb_sha256)
                        .bind(r.thumb_bytes)
                        .bind(Time::from(r.created_at))
                        .execute(&mut **tx)
                        .await
                        .map_err(query("writing a photo's row"))?;
                    Self::insert_blobs(tx, a).await?;
                }
                Ok(())
            }

            /// The photos of these events, by event, seq and position.
            pub async fn attachments_of(&self, event_ids: &[&str]) -> Result<Vec<AttachmentRecord>, StoreError> {
                let mut found = Vec::new();
                for chunk in event_ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE event_id IN ("
                    ));
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(") ORDER BY event_id, seq, position");
                    let rows: Vec<AttachmentRow> =
                        q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing photos"))?;
                    found.extend(rows.into_iter().map(AttachmentRecord::from));
                }
                Ok(found)
            }

            /// The photos of a check-in, in order.
            pub async fn checkin_photos(&self, checkin_id: &str) -> Result<Vec<AttachmentRecord>, StoreError> {
                let rows: Vec<AttachmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE checkin_id = $1 ORDER BY position"
                )))
                .bind(checkin_id)
                .fetch_all(&self.pool)
                .await
                .map_err(query("listing a check-in's photos"))?;
                Ok(rows.into_iter().map(AttachmentRecord::from).collect())
            }

            /// One photo's row.
            pub async fn attachment(&self, attachment_id: &str) -> Result<Option<AttachmentRecord>, StoreError> {
                let row: Option<AttachmentRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ATTACHMENT_COLUMNS} FROM attachment WHERE attachment_id = $1")))
                        .bind(attachment_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(query("reading a photo"))?;
                Ok(row.map(AttachmentRecord::from))
            }

            /// Marks `link.event_id` a duplicate of `link.of_event_id`: `Ok(false)` if it is
            /// marked already, or if the marking would chain (the target is itself a duplicate,
            /// or the event has duplicates of its own).
            pub async fn mark_duplicate(&self, link: &DuplicateLink) -> Result<bool, StoreError> {
                let mut tx = super::dialect::Backend::begin_write(self, "starting a duplicate marking").await?;
                let chained: i64 = sqlx::query_scalar(DUPLICATE_CHAIN)
                    .bind(&link.of_event_id)
                    .bind(&link.event_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(query("checking a duplicate marking"))?;
                if chained > 0 {
                    return Ok(false);
                }
                let done = sqlx::query(
                    "INSERT INTO event_duplicate (event_id, of_event_id, marked_by, reason, marked_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
                )
                .bind(&link.event_id)
                .bind(&link.of_event_id)
                .bind(&link.marked_by)
                .bind(&link.reason)
                .bind(Time::from(link.marked_at))
                .execute(&mut *tx)
                .await
                .map_err(query("marking a duplicate"))?;
                tx.commit().await.map_err(query("marking a duplicate"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Removes a duplicate marking; `false` if there was none.
            pub async fn unmark_duplicate(&self, event_id: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM event_duplicate WHERE event_id = $1")
                    .bind(event_id)
                    .execute(&self.pool)
                    .await
                    .map_err(query("unmarking a duplicate"))?;
                Ok(done.rows_affected() == 1)
            }

            /// The duplicate links touching these events, from either end.
            pub async fn duplicate_links(&self, event_ids: &[&str]) -> Result<Vec<DuplicateLink>, StoreError> {
                let mut found = Vec::new();
                for chunk in event_ids.chunks(250) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {DUPLICATE_COLUMNS} FROM event_duplicate WHERE event_id IN ("
                    ));
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(") OR of_event_id IN (");
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(") ORDER BY of_event_id, event_id");
                    let rows: Vec<DuplicateRow> =
                        q.build_query_as().fetch_all(&self.pool).await.map_err(query("listing duplicates"))?;
                    found.extend(rows.into_iter().map(DuplicateLink::from));
                }
                Ok(found)
            }
        }
    };
}

attachment_store!(SqliteStore, sqlx::Sqlite);
attachment_store!(PgStore, sqlx::Postgres);

/// The file holding the blob `sha256` under `dir`: `dir/ab/abcdef…`.
fn blob_path(dir: &Path, sha256: &str) -> Option<PathBuf> {
    let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    valid.then(|| dir.join(&sha256[..2]).join(sha256))
}

/// Writes `data` to `path` durably: a temporary file in the same directory, fsynced, renamed
/// over, then the directory fsynced. An existing file (same address, same bytes) is kept.
fn write_blob(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a blob path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(data)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

impl SqliteStore {
    /// Nothing to do in the transaction: the files were staged before it.
    async fn insert_blobs(_: &mut Transaction<'_, sqlx::Sqlite>, _: &NewAttachment) -> Result<(), StoreError> {
        Ok(())
    }

    /// Writes photos' bytes to their files, durably, before their rows are committed.
    async fn stage_blobs(&self, attachments: &[NewAttachment]) -> Result<(), StoreError> {
        let dir = self.blobs.clone();
        let blobs: Vec<(String, std::sync::Arc<[u8]>)> = attachments
            .iter()
            .flat_map(|a| [(a.record.sha256.clone(), a.data.clone()), (a.record.thumb_sha256.clone(), a.thumbnail.clone())])
            .collect();
        tokio::task::spawn_blocking(move || {
            for (sha, data) in blobs {
                let path = blob_path(&dir, &sha).ok_or_else(|| std::io::Error::other("not a SHA-256"))?;
                write_blob(&path, &data)?;
            }
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(|e| StoreError::Blob(std::io::Error::other(e.to_string())))?
        .map_err(StoreError::Blob)
    }

    /// A blob's bytes, if stored.
    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(path) = blob_path(&self.blobs, sha256) else { return Ok(None) };
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Blob(e)),
        }
    }
}

impl PgStore {
    /// The photo's bytes and thumbnail, in the transaction of its row.
    async fn insert_blobs(tx: &mut Transaction<'_, sqlx::Postgres>, a: &NewAttachment) -> Result<(), StoreError> {
        for (sha, data) in [(&a.record.sha256, &a.data), (&a.record.thumb_sha256, &a.thumbnail)] {
            sqlx::query("INSERT INTO attachment_blob (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING")
                .bind(sha)
                .bind(&data[..])
                .execute(&mut **tx)
                .await
                .map_err(query("writing a photo's bytes"))?;
        }
        Ok(())
    }

    /// Nothing to stage: the bytes go in with the rows.
    async fn stage_blobs(&self, _: &[NewAttachment]) -> Result<(), StoreError> {
        Ok(())
    }

    /// A blob's bytes, if stored.
    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT data FROM attachment_blob WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("reading a photo's bytes"))
    }
}

impl Store {
    /// Makes photos' bytes durable ahead of the transaction that writes their rows (SQLite's
    /// files; PostGIS writes them in that transaction).
    pub async fn stage_blobs(&self, attachments: &[NewAttachment]) -> Result<(), StoreError> {
        dispatch!(self, s => s.stage_blobs(attachments).await)
    }

    /// A stored photo's or thumbnail's bytes by address.
    pub async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self, s => s.blob(sha256).await)
    }

    /// The photos of these events.
    pub async fn attachments_of(&self, event_ids: &[&str]) -> Result<Vec<AttachmentRecord>, StoreError> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.attachments_of(event_ids).await)
    }

    /// One photo's row.
    pub async fn attachment(&self, attachment_id: &str) -> Result<Option<AttachmentRecord>, StoreError> {
        dispatch!(self, s => s.attachment(attachment_id).await)
    }

    /// The photos of a check-in.
    pub async fn checkin_photos(&self, checkin_id: &str) -> Result<Vec<AttachmentRecord>, StoreError> {
        dispatch!(self, s => s.checkin_photos(checkin_id).await)
    }

    /// Marks an event a duplicate of another (see [`SqliteStore::mark_duplicate`]).
    pub async fn mark_duplicate(&self, link: &DuplicateLink) -> Result<bool, StoreError> {
        dispatch!(self, s => s.mark_duplicate(link).await)
    }

    /// Removes a duplicate marking.
    pub async fn unmark_duplicate(&self, event_id: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.unmark_duplicate(event_id).await)
    }

    /// The duplicate links touching these events.
    pub async fn duplicate_links(&self, event_ids: &[&str]) -> Result<Vec<DuplicateLink>, StoreError> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.duplicate_links(event_ids).await)
    }
}
