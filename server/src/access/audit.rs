//! The audit writer: one task seals rows onto the chain in batches (group commit), so that a
//! busy intake does not wait on one transaction per row; every row is committed before the
//! request that caused it is answered.

use std::path::Path;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use wangge_core::access::{AuditKey, AuditOutcome, AuditRow, ChainHead};

use crate::store::{Store, StoreError};

/// Rows waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 8192;
/// The longest a row waits for room in the writer's queue.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Most rows sealed in one transaction.
const MAX_BATCH: usize = 512;

/// What a handler (or an error) asks the audit layer to write for its request: the layer
/// adds the time, the user and the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    /// What was done (`login`, `reveal_personal_data`, `escalate_event`, …).
    pub action: String,
    /// What it was done to (empty: the request's path).
    pub object: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// More (secrets are redacted, personal data masked when sealed).
    pub detail: String,
    /// The account acted for when there is no session (a login names who tried).
    pub user: Option<String>,
}

impl AuditNote {
    /// A successful action on `object`.
    pub fn success(action: &str, object: impl Into<String>) -> Self {
        Self { action: action.to_owned(), object: object.into(), outcome: AuditOutcome::Success, detail: String::new(), user: None }
    }

    /// A refused request.
    pub fn denied(action: &str, reason: &str) -> Self {
        Self {
            action: action.to_owned(),
            object: String::new(),
            outcome: AuditOutcome::Denied,
            detail: reason.to_owned(),
            user: None,
        }
    }

    /// With a detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// With the user it concerns.
    #[must_use]
    pub fn for_user(mut self, user: &str) -> Self {
        self.user = Some(user.to_owned());
        self
    }

    /// With another outcome.
    #[must_use]
    pub fn outcome(mut self, outcome: AuditOutcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Puts the note on a response.
    pub fn on(self, mut response: axum::response::Response) -> axum::response::Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// Marks an answer whose audit row was sealed in the very transaction of the change it
/// records (so the change needed no `begun` row): the audit layer writes no row after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedWithChange;

/// Why the audit trail cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum AuditorError {
    /// The key file is unreadable, too short, or cannot be created.
    #[error("audit key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The writer task is gone.
    #[error("the audit writer has stopped")]
    WriterGone,
    /// The writer's queue stayed full for [`QUEUE_WAIT`].
    #[error("{QUEUE} audit rows are waiting to be written")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Job {
    row: AuditRow,
    reply: oneshot::Sender<Result<u64, StoreError>>,
}

/// The handle of the single audit writer.
#[derive(Clone)]
pub struct Auditor {
    jobs: mpsc::Sender<Job>,
    key: std::sync::Arc<AuditKey>,
    denials: std::sync::Arc<DenialFold>,
    anchor: Option<super::AnchorFeed>,
}

/// Repeated denials folded: the first denial of an action for one caller (an account, or an
/// address when nobody is signed in) in a window is written at once; the others are counted
/// and written as one summary row when the window ends, so that the auditor sees every
/// denial and nobody can grow the log one row per request.
#[derive(Debug, Default)]
pub struct DenialFold {
    open: std::sync::Mutex<std::collections::HashMap<(String, String), Folded>>,
}

#[derive(Debug)]
struct Folded {
    since: DateTime<Utc>,
    more: u64,
    user: String,
    source: String,
    object: String,
}

/// How long denials of one kind from one caller are folded into one row.
pub const DENIAL_WINDOW_SECS: i64 = 60;

/// Above this many callers being folded, the rest share one key (the map stays bounded).
const MAX_FOLDED: usize = 10_000;

impl DenialFold {
    /// Whether this denial is the first of its window (write its row now); otherwise it is
    /// counted for the window's summary. Windows run on the wall clock (they are about load,
    /// not about the business time a test or a replay may set).
    pub fn first(&self, who: &str, action: &str, user: &str, source: &str, object: &str) -> bool {
        let now = Utc::now();
        let Ok(mut open) = self.open.lock() else { return true };
        let mut key = (who.to_owned(), action.to_owned());
        if !open.contains_key(&key) && open.len() >= MAX_FOLDED {
            key = ("*".to_owned(), action.to_owned());
        }
        match open.get_mut(&key) {
            Some(f) => {
                f.more += 1;
                f.object = object.chars().take(200).collect();
                false
            }
            None => {
                let folded = Folded {
                    since: now,
                    more: 0,
                    user: user.to_owned(),
                    source: source.to_owned(),
                    object: object.chars().take(200).collect(),
                };
                open.insert(key, folded);
                true
            }
        }
    }

    /// The summary rows of the windows ended by `now` (all of them with `all`), removed.
    pub fn ended(&self, now: DateTime<Utc>, all: bool) -> Vec<AuditRow> {
        let Ok(mut open) = self.open.lock() else { return Vec::new() };
        let window = chrono::Duration::seconds(DENIAL_WINDOW_SECS);
        let done: Vec<(String, String)> =
            open.iter().filter(|(_, f)| all || now - f.since >= window).map(|(k, _)| k.clone()).collect();
        let mut rows = Vec::new();
        for key in done {
            let Some(f) = open.remove(&key) else { continue };
            if f.more == 0 {
                continue;
            }
            let user = if key.0 == "*" { "-" } else { f.user.as_str() };
            let source = if key.0 == "*" { "(many addresses)" } else { f.source.as_str() };
            let detail = format!("{} more denials since {} (folded; last object {})", f.more, f.since.to_rfc3339(), f.object);
            rows.push(AuditRow::new(now, user, &key.1, "denials", AuditOutcome::Denied).source(source).detail(&detail));
        }
        rows
    }
}

impl AuditorError {
    /// The store's outage behind this failure, if it is one.
    pub fn outage(&self) -> Option<crate::store::Outage> {
        match self {
            Self::Store(e) => e.outage(),
            Self::Busy => Some(crate::store::Outage::Overloaded),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor").finish_non_exhaustive()
    }
}

impl Auditor {
    /// Starts the writer over `store` with `key` (needs a tokio runtime).
    pub fn start(store: Store, key: AuditKey, anchor: Option<super::Anchor>) -> Self {
        let key = std::sync::Arc::new(key);
        let anchor = anchor.map(|a| super::AnchorFeed::start(a, key.clone()));
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(store, key.clone(), anchor.clone(), queue));
        let auditor = Self { jobs, key, denials: std::sync::Arc::default(), anchor };
        tokio::spawn(fold_loop(auditor.clone()));
        auditor
    }

    /// Rows waiting for the writer now (its lag).
    pub fn waiting(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// The anchor kept outside the database, if this instance keeps one.
    pub fn anchor(&self) -> Option<&super::Anchor> {
        self.anchor.as_ref().map(super::AnchorFeed::anchor)
    }

    /// The feed keeping the anchor, for other writers that seal rows onto the chain.
    pub fn anchor_feed(&self) -> Option<&super::AnchorFeed> {
        self.anchor.as_ref()
    }

    /// Waits (a few seconds at most) until the anchor names every row sealed so far by this
    /// instance: what a verification checks against.
    pub async fn anchored(&self) {
        if let Some(feed) = &self.anchor {
            feed.settled().await;
        }
    }

    /// The fold of repeated denials.
    pub fn denials(&self) -> &DenialFold {
        &self.denials
    }

    /// Writes the summaries of every folded window now (tests; shutdown).
    pub async fn flush_denials(&self, now: DateTime<Utc>) -> Result<usize, AuditorError> {
        let rows = self.denials.ended(now, true);
        let n = rows.len();
        for row in rows {
            self.write(row).await?;
        }
        Ok(n)
    }

    /// The chain's key (to verify it).
    pub fn key(&self) -> &AuditKey {
        &self.key
    }

    /// Seals and commits `row`; answers its sequence number.
    pub async fn write(&self, row: AuditRow) -> Result<u64, AuditorError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send_timeout(Job { row, reply }, QUEUE_WAIT).await.map_err(|e| match e {
            mpsc::error::SendTimeoutError::Timeout(_) => AuditorError::Busy,
            mpsc::error::SendTimeoutError::Closed(_) => AuditorError::WriterGone,
        })?;
        Ok(answer.await.map_err(|_| AuditorError::WriterGone)??)
    }

    /// The key in `path`, created with 32 random bytes (mode 0600) if the file is missing.
    /// Every process sharing a database must use the same key file.
    pub fn load_or_create_key(path: &Path) -> Result<AuditKey, AuditorError> {
        let err = |reason: String| AuditorError::Key { path: path.display().to_string(), reason };
        if !path.exists() {
            let secret = super::secret::random_token().map_err(|e| err(e.to_string()))?;
            write_private(path, secret.as_bytes()).map_err(|e| err(e.to_string()))?;
            tracing::info!(path = %path.display(), "created a new audit key");
        }
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let trimmed: Vec<u8> = bytes.into_iter().filter(|b| !b.is_ascii_whitespace()).collect();
        AuditKey::new(&trimmed).map_err(|e| err(e.to_string()))
    }
}

/// Writes a new private file (mode 0600), failing if it exists.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Writes the summaries of ended denial windows every few seconds; stops with the writer.
async fn fold_loop(auditor: Auditor) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        for row in auditor.denials.ended(Utc::now(), false) {
            if let Err(AuditorError::WriterGone) = auditor.write(row).await {
                return;
            }
        }
        if auditor.jobs.is_closed() {
            return;
        }
    }
}

async fn write_loop(
    store: Store,
    key: std::sync::Arc<AuditKey>,
    anchor: Option<super::AnchorFeed>,
    mut queue: mpsc::Receiver<Job>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (rows, replies): (Vec<AuditRow>, Vec<_>) =
            std::mem::take(&mut jobs).into_iter().map(|j| (j.row, j.reply)).unzip();
        let (started, batch) = (std::time::Instant::now(), rows.len());
        let appended = store.append_audit(&key, rows).await;
        crate::metrics::METRICS.audit_batch.observe(batch as f64);
        crate::metrics::METRICS.audit_commit_seconds.observe(started.elapsed().as_secs_f64());
        match appended {
            Ok(sealed) => {
                if let (Some(anchor), Some(last)) = (&anchor, sealed.last()) {
                    anchor.sealed(ChainHead::after(last));
                }
                for (reply, s) in replies.into_iter().zip(sealed) {
                    let _ = reply.send(Ok(s.row.seq));
                }
            }
            Err(e) => {
                let (text, outage) = (crate::logging::error_chain(&e), e.outage());
                // An outage is reported where it is noticed (the store, the answers); the rows
                // of its requests are retried by their callers.
                match outage {
                    Some(_) => tracing::warn!(error = %text, "cannot write audit rows during an outage"),
                    None => tracing::error!(error = %text, "cannot write audit rows"),
                }
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Audit { text: text.clone(), outage }));
                }
            }
        }
    }
    tracing::info!("audit writer stopped");
}
