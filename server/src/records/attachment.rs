//! Photos of events as stored, and what a new one carries to the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A photo's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Its id (random, never derived from the bytes: equal photos of two events stay apart).
    pub attachment_id: String,
    /// The event it is a photo of (or none: a check-in's).
    pub event_id: Option<String>,
    /// The check-in it is a photo of (or none: an event's).
    pub checkin_id: Option<String>,
    /// The event's timeline row it came with (1: the report; 1 for a check-in).
    pub seq: i64,
    /// Its place among the row's photos (0–8).
    pub position: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// SHA-256 (hex) of the stored bytes: their address.
    pub sha256: String,
    /// Size of the stored bytes.
    pub bytes: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// SHA-256 (hex) of the thumbnail.
    pub thumb_sha256: String,
    /// Size of the thumbnail.
    pub thumb_bytes: i64,
    /// When received.
    pub created_at: DateTime<Utc>,
}

/// A photo on its way in: its row (what it is of, and the seq, filled in by the store when the
/// event, transition or check-in is written) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The row.
    pub record: AttachmentRecord,
    /// The stored image.
    pub data: Arc<[u8]>,
    /// The thumbnail.
    pub thumbnail: Arc<[u8]>,
}

/// An event marked as a duplicate of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateLink {
    /// The duplicate.
    pub event_id: String,
    /// The event it duplicates (where it is counted).
    pub of_event_id: String,
    /// Who marked it.
    pub marked_by: String,
    /// Why.
    pub reason: String,
    /// When.
    pub marked_at: DateTime<Utc>,
}
