//! Photos (附件) arriving with reports, transitions (evidence of handling) and patrol
//! check-ins: each one checked,
//! oriented and re-encoded by [`crate::formats::photo`] off the async threads, at most
//! [`AT_ONCE`] at a time in the whole service and each within [`TIME_BUDGET`]; made durable
//! ahead of the transaction that writes their rows; and the views' photos and duplicate links
//! filled in from the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use wangge_core::wire::{AttachmentView, EventView};

use crate::formats::photo::{self, PhotoError, MAX_PHOTOS};
use crate::records::{AttachmentRecord, NewAttachment};
use crate::store::{Store, StoreError};

/// Photos decoded at once in the whole service (each may take a few hundred MB while decoded).
pub const AT_ONCE: usize = 2;
/// How long a photo may wait for its turn before the request is answered 503.
pub const WAIT_FOR_TURN: Duration = Duration::from_secs(10);
/// How long one photo may take to decode and re-encode.
pub const TIME_BUDGET: Duration = Duration::from_secs(20);

static TURNS: Semaphore = Semaphore::const_new(AT_ONCE);

/// Why the photos of a request were refused.
#[derive(Debug, thiserror::Error)]
pub enum PhotoRefused {
    /// One photo is not acceptable (its place, 1-based, and why).
    #[error("photo {index}: {error}")]
    Photo {
        /// 1-based.
        index: usize,
        /// Why.
        error: PhotoError,
    },
    /// More than [`MAX_PHOTOS`].
    #[error("at most {MAX_PHOTOS} photos may come with one report or action; got {0}")]
    TooMany(usize),
    /// No turn came in time.
    #[error("the service is busy reading other photos; retry shortly")]
    Busy,
    /// A photo took longer than [`TIME_BUDGET`].
    #[error("photo {0} took too long to read")]
    TooSlow(usize),
    /// No randomness for an id.
    #[error("no randomness for a photo id: {0}")]
    Random(String),
    /// The bytes could not be made durable.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Processes `photos` (as sent, in order) into rows and bytes ready for the store, and makes
/// their bytes durable where the store keeps them outside its transaction.
pub async fn prepare(store: &Store, photos: Vec<Arc<[u8]>>, now: DateTime<Utc>) -> Result<Vec<NewAttachment>, PhotoRefused> {
    if photos.len() > MAX_PHOTOS {
        return Err(PhotoRefused::TooMany(photos.len()));
    }
    let mut ready = Vec::with_capacity(photos.len());
    for (i, bytes) in photos.into_iter().enumerate() {
        let index = i + 1;
        let turn = tokio::time::timeout(WAIT_FOR_TURN, TURNS.acquire()).await.map_err(|_| PhotoRefused::Busy)?;
        let _turn = turn.map_err(|_| PhotoRefused::Busy)?;
        let work = tokio::task::spawn_blocking(move || photo::process(&bytes));
        let done = tokio::time::timeout(TIME_BUDGET, work).await.map_err(|_| PhotoRefused::TooSlow(index))?;
        let processed = done
            .map_err(|e| PhotoRefused::Photo { index, error: PhotoError::Corrupt(format!("the reader stopped: {e}")) })?
            .map_err(|error| PhotoRefused::Photo { index, error })?;
        ready.push(NewAttachment {
            record: AttachmentRecord {
                attachment_id: new_id()?,
                event_id: None,
                checkin_id: None,
                seq: 0,
                position: i64::try_from(i).unwrap_or(0),
                content_type: processed.content_type.to_owned(),
                sha256: processed.sha256,
                bytes: i64::try_from(processed.data.len()).unwrap_or(i64::MAX),
                width: i64::from(processed.width),
                height: i64::from(processed.height),
                thumb_sha256: processed.thumbnail_sha256,
                thumb_bytes: i64::try_from(processed.thumbnail.len()).unwrap_or(i64::MAX),
                created_at: now,
            },
            data: processed.data.into(),
            thumbnail: processed.thumbnail.into(),
        });
    }
    store.stage_blobs(&ready).await?;
    Ok(ready)
}

/// A new photo id: `P` and 24 random hex digits.
fn new_id() -> Result<String, PhotoRefused> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(|e| PhotoRefused::Random(e.to_string()))?;
    Ok(bytes.iter().fold(String::from("P"), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    }))
}

/// A photo as answered.
pub fn attachment_view(a: &AttachmentRecord) -> AttachmentView {
    AttachmentView {
        id: a.attachment_id.clone(),
        content_type: a.content_type.clone(),
        bytes: a.bytes,
        width: u32::try_from(a.width).unwrap_or(0),
        height: u32::try_from(a.height).unwrap_or(0),
        url: format!("/api/v1/attachments/{}", a.attachment_id),
        thumbnail_url: format!("/api/v1/attachments/{}/thumbnail", a.attachment_id),
        seq: a.seq,
    }
}

/// Fills in the views' photos and duplicate links (two queries for the lot).
pub async fn decorate(store: &Store, views: &mut [EventView]) -> Result<(), StoreError> {
    if views.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = views.iter().map(|v| v.event_id.as_str()).collect();
    let photos = store.attachments_of(&ids).await?;
    let links = store.duplicate_links(&ids).await?;
    let mut by_event: HashMap<&str, Vec<AttachmentView>> = HashMap::new();
    for a in &photos {
        if let Some(event_id) = a.event_id.as_deref() {
            by_event.entry(event_id).or_default().push(attachment_view(a));
        }
    }
    for v in views.iter_mut() {
        v.attachments = by_event.remove(v.event_id.as_str()).unwrap_or_default();
        v.duplicate_of = links.iter().find(|l| l.event_id == v.event_id).map(|l| l.of_event_id.clone());
        v.duplicates = links.iter().filter(|l| l.of_event_id == v.event_id).map(|l| l.event_id.clone()).collect();
    }
    Ok(())
}
