//! The audit chain's anchor: the newest head this instance sealed, signed with the audit key
//! and kept in a file beside the key, outside the database. Deleting the newest rows (or
//! rewriting the anchored one) cannot be hidden by anyone who can only write the database:
//! the verification finds the chain behind its anchor.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use wangge_core::access::{AuditKey, ChainHead, Digest};

/// Why the anchor cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The file cannot be read or written.
    #[error("audit anchor {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an anchor or its signature does not match the key.
    #[error("audit anchor {path} is not valid: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The file's content.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    next_seq: u64,
    last: String,
    mac: String,
}

/// The anchor file of this instance.
#[derive(Debug)]
pub struct Anchor {
    path: PathBuf,
    newest: Mutex<u64>,
}

impl Anchor {
    /// The anchor at `path` (created at the first sealed batch).
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), newest: Mutex::new(0) }
    }

    /// Records `head` if it is newer than the one recorded: written to a temporary file,
    /// synced, then renamed over the anchor (never a half-written anchor).
    pub fn record(&self, key: &AuditKey, head: ChainHead) -> Result<(), AnchorError> {
        let Ok(mut newest) = self.newest.lock() else { return Ok(()) };
        if head.next_seq <= *newest {
            return Ok(());
        }
        let stored = Stored { next_seq: head.next_seq, last: head.last.to_hex(), mac: head.anchor_mac(key).to_hex() };
        let io = |source| AnchorError::Io { path: self.path.display().to_string(), source };
        let text = serde_json::to_vec(&stored).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = self.path.with_extension("tmp");
        write_synced(&tmp, &text).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        *newest = head.next_seq;
        Ok(())
    }

    /// The recorded head, its signature checked; `None` before the first batch.
    pub fn read(&self, key: &AuditKey) -> Result<Option<ChainHead>, AnchorError> {
        let path = self.path.display().to_string();
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(AnchorError::Io { path, source }),
        };
        let invalid = |reason: String| AnchorError::Invalid { path: path.clone(), reason };
        let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        let last = Digest::from_hex(&stored.last).map_err(|e| invalid(e.to_string()))?;
        let head = ChainHead { next_seq: stored.next_seq, last };
        if head.anchor_mac(key).to_hex() != stored.mac {
            return Err(invalid("its signature does not match the audit key".into()));
        }
        Ok(Some(head))
    }
}

/// How long [`AnchorFeed::settled`] waits for the anchor to catch up before answering anyway.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps the anchor following the chain without holding up the writers that seal it. Each
/// writer hands over the head it sealed, once committed; a task of its own writes the newest
/// one (heads sealed while a write is under way are folded into the next write). The anchor is
/// never ahead of the committed chain. Rows sealed but not yet anchored are still named by the
/// head held here: deleting them before the write cannot move the anchor back.
#[derive(Debug, Clone)]
pub struct AnchorFeed {
    anchor: std::sync::Arc<Anchor>,
    sealed: tokio::sync::watch::Sender<Option<ChainHead>>,
    written: tokio::sync::watch::Receiver<u64>,
}

impl AnchorFeed {
    /// Starts the task writing `anchor` with `key` (needs a tokio runtime); it stops when every
    /// copy of the feed is dropped.
    pub fn start(anchor: Anchor, key: std::sync::Arc<AuditKey>) -> Self {
        let anchor = std::sync::Arc::new(anchor);
        let (sealed, heads) = tokio::sync::watch::channel(None);
        let (done, written) = tokio::sync::watch::channel(0);
        tokio::spawn(write_loop(anchor.clone(), key, heads, done));
        Self { anchor, sealed, written }
    }

    /// The anchor file.
    pub fn anchor(&self) -> &Anchor {
        &self.anchor
    }

    /// Hands over a head just committed; an older head than the newest handed over is ignored.
    pub fn sealed(&self, head: ChainHead) {
        self.sealed.send_if_modified(|newest| match newest {
            Some(n) if n.next_seq >= head.next_seq => false,
            _ => {
                *newest = Some(head);
                true
            }
        });
    }

    /// Waits (at most a few seconds) until every head handed over so far is written.
    pub async fn settled(&self) {
        let Some(target) = self.sealed.borrow().map(|h| h.next_seq) else { return };
        let mut written = self.written.clone();
        let caught_up = written.wait_for(|&n| n >= target);
        if tokio::time::timeout(SETTLE_WAIT, caught_up).await.is_err() {
            tracing::warn!(target, "the audit anchor is behind the chain");
        }
    }
}

/// Writes the newest head handed over, one write at a time.
async fn write_loop(
    anchor: std::sync::Arc<Anchor>,
    key: std::sync::Arc<AuditKey>,
    mut heads: tokio::sync::watch::Receiver<Option<ChainHead>>,
    done: tokio::sync::watch::Sender<u64>,
) {
    while heads.changed().await.is_ok() {
        let Some(head) = *heads.borrow_and_update() else { continue };
        let (anchor, key) = (anchor.clone(), key.clone());
        match tokio::task::spawn_blocking(move || anchor.record(&key, head)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %crate::logging::error_chain(&e), "audit anchor not written"),
            Err(e) => tracing::error!(error = %e, "audit anchor task failed"),
        }
        // Counted as written even when the write failed (logged above): waiting cannot help.
        done.send_replace(head.next_seq);
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_keeps_the_newest_head_and_refuses_a_forged_one() {
        let dir = tempfile::tempdir().unwrap();
        let key = AuditKey::new(&[7; 32]).unwrap();
        let anchor = Anchor::new(&dir.path().join("audit.anchor"));
        assert!(anchor.read(&key).unwrap().is_none());
        let head = |n: u64| ChainHead { next_seq: n, last: Digest([n as u8; 32]) };
        anchor.record(&key, head(5)).unwrap();
        anchor.record(&key, head(3)).unwrap();
        assert_eq!(anchor.read(&key).unwrap(), Some(head(5)), "an older head never replaces a newer one");
        // Someone who can write the file but has no key cannot move it back.
        let other = AuditKey::new(&[8; 32]).unwrap();
        Anchor::new(&dir.path().join("audit.anchor")).record(&other, head(2)).unwrap();
        assert!(matches!(anchor.read(&key), Err(AnchorError::Invalid { .. })));
    }
}
