//! The audit trail (安全审计): one row per login, denial, change and personal-data read,
//! chained with HMAC-SHA256 so a changed, deleted or reordered row is found.
//!
//! `hash_n = HMAC-SHA256(key, hash_{n-1} ‖ canonical(row_n))`, `hash_0` = 32 zero bytes
//! ([`GENESIS`]). The canonical bytes are length-prefixed, so no two rows share them. Times
//! count in whole microseconds (what SQLite text and PostgreSQL `timestamptz` both keep).

use chrono::{DateTime, SubsecRound, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::mask::mask_text;

/// How an audited request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Done.
    Success,
    /// Tried and failed (wrong password, invalid input, illegal transition).
    Failure,
    /// Refused by access control.
    Denied,
    /// About to be done: written before a change runs, so that no change happens without a
    /// row (its outcome row follows).
    Begun,
}

impl AuditOutcome {
    /// Stable wire name (also what is hashed).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
            Self::Begun => "begun",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Success, Self::Failure, Self::Denied, Self::Begun].into_iter().find(|o| o.as_str() == s)
    }
}

/// Longest user, action and source kept (characters).
pub const MAX_SHORT: usize = 64;
/// Longest object kept (characters).
pub const MAX_OBJECT: usize = 200;
/// Longest detail kept (characters).
pub const MAX_DETAIL: usize = 1000;

/// One audit row: who did what to what, when, from where, how it ended — never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Position in the chain, from 1 (set when sealed).
    pub seq: u64,
    /// When (whole microseconds).
    pub at: DateTime<Utc>,
    /// Account name, or `-` before anyone is identified.
    pub user: String,
    /// What was done, e.g. `login`, `reveal_personal_data`, `escalate_event`.
    pub action: String,
    /// What it was done to, e.g. `event:20230105-0042`, `person:GW0001`.
    pub object: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The client's address.
    pub source: String,
    /// Anything else worth keeping (secrets redacted, phones and ID numbers masked).
    pub detail: String,
}

impl AuditRow {
    /// A row with control characters removed and fields cut to their limits; `seq` is set
    /// when it is sealed.
    pub fn new(at: DateTime<Utc>, user: &str, action: &str, object: &str, outcome: AuditOutcome) -> Self {
        let user = if user.trim().is_empty() { "-" } else { user };
        Self {
            seq: 0,
            at: at.trunc_subsecs(6),
            user: clean(user, MAX_SHORT),
            action: clean(action, MAX_SHORT),
            object: clean(mask_text(object).as_str(), MAX_OBJECT),
            outcome,
            source: String::new(),
            detail: String::new(),
        }
    }

    /// With the client's address.
    pub fn source(mut self, source: &str) -> Self {
        self.source = clean(source, MAX_SHORT);
        self
    }

    /// With a detail: secrets after `password=`, `token:` and the like are redacted, phone
    /// and ID numbers masked.
    pub fn detail(mut self, detail: &str) -> Self {
        let cut: String = detail.chars().take(MAX_DETAIL).collect();
        self.detail = clean(&mask_text(&redact_secrets(&cut)), MAX_DETAIL);
        self
    }
}

fn clean(s: &str, max: usize) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect()
}

/// Keywords whose value is never written down.
const SECRET_KEYS: [&str; 11] =
    ["password", "passwd", "pwd", "token", "secret", "cookie", "authorization", "api_key", "apikey", "session", "密码"];

/// `text` with the value after any secret-looking key (`password=…`, `Token: …`,
/// `密码：…`) replaced by `***`.
///
/// ```
/// assert_eq!(wangge_core::access::redact_secrets("user=li password=hunter2 ok"), "user=li password=*** ok");
/// ```
pub fn redact_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, key_len)) = find_secret_key(rest) {
        let after_key = &rest[start + key_len..];
        let name_tail = after_key.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after_key.len());
        let after_name = &after_key[name_tail..];
        let trimmed = after_name.trim_start_matches(' ');
        let Some(sep) = trimmed.chars().next().filter(|c| matches!(c, '=' | ':' | '：')) else {
            let upto = start + key_len + name_tail;
            out.push_str(&rest[..upto]);
            rest = &rest[upto..];
            continue;
        };
        let value = trimmed[sep.len_utf8()..].trim_start_matches(' ');
        let value = value.strip_prefix("Bearer ").unwrap_or(value);
        let end = value
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '&' | '，' | '；'))
            .unwrap_or(value.len());
        let consumed = rest.len() - value.len();
        out.push_str(&rest[..consumed]);
        out.push_str("***");
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// The first secret keyword in `s` (ASCII case ignored): its byte offset and length.
fn find_secret_key(s: &str) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    (0..bytes.len()).find_map(|i| {
        SECRET_KEYS.iter().find_map(|k| {
            let k = k.as_bytes();
            let hit = bytes.get(i..i + k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k));
            let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            (hit && word_start).then_some((i, k.len()))
        })
    })
}

/// The bytes that are hashed for a row: a version tag, the sequence number and the time in
/// microseconds as big-endian integers, then user, action, object, outcome, source and
/// detail, each as a big-endian `u32` length and its UTF-8.
pub fn canonical_bytes(row: &AuditRow) -> Vec<u8> {
    let fields = [&row.user[..], &row.action, &row.object, row.outcome.as_str(), &row.source, &row.detail];
    let mut out = Vec::with_capacity(64 + fields.iter().map(|f| f.len() + 4).sum::<usize>());
    push_field(&mut out, "wangge-audit-v1");
    out.extend_from_slice(&row.seq.to_be_bytes());
    out.extend_from_slice(&row.at.timestamp_micros().to_be_bytes());
    for f in fields {
        push_field(&mut out, f);
    }
    out
}

fn push_field(out: &mut Vec<u8>, s: &str) {
    // Fields are cut far below 4 GiB; saturate rather than wrap if one ever is not.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A link of the chain: 32 bytes, written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(pub [u8; 32]);

/// The link before the first row.
pub const GENESIS: Digest = Digest([0; 32]);

impl Digest {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, AuditError> {
        let b = s.as_bytes();
        if b.len() != 64 || !b.iter().all(u8::is_ascii_hexdigit) {
            return Err(AuditError::BadDigest);
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(b.chunks(2)) {
            let hex = std::str::from_utf8(pair).map_err(|_| AuditError::BadDigest)?;
            *o = u8::from_str_radix(hex, 16).map_err(|_| AuditError::BadDigest)?;
        }
        Ok(Self(out))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl TryFrom<String> for Digest {
    type Error = AuditError;
    fn try_from(s: String) -> Result<Self, AuditError> {
        Self::from_hex(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.to_hex()
    }
}

/// A bad key or digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The chain key is too short to be a secret.
    #[error("the audit key must be at least 32 bytes, got {0}")]
    ShortKey(usize),
    /// Not 64 hex digits.
    #[error("an audit digest is 64 hex digits")]
    BadDigest,
}

/// The secret the chain is keyed with (kept out of the database it protects). Its `Debug`
/// shows nothing.
#[derive(Clone)]
pub struct AuditKey(Hmac<Sha256>);

impl AuditKey {
    /// A key of at least 32 bytes.
    pub fn new(secret: &[u8]) -> Result<Self, AuditError> {
        if secret.len() < 32 {
            return Err(AuditError::ShortKey(secret.len()));
        }
        Hmac::<Sha256>::new_from_slice(secret).map(Self).map_err(|_| AuditError::ShortKey(secret.len()))
    }

    fn mac(&self, prev: &Digest, row: &AuditRow) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(&prev.0);
        mac.update(&canonical_bytes(row));
        mac
    }
}

impl ChainHead {
    /// The signature of this head as an anchor kept apart from the rows (a file the database
    /// cannot write): `HMAC-SHA256(key, "wangge-audit-anchor" ‖ next_seq ‖ last)`. A tail cut off
    /// the chain shows as a head behind its anchor.
    pub fn anchor_mac(&self, key: &AuditKey) -> Digest {
        let mut mac = key.0.clone();
        mac.update(b"wangge-audit-anchor\0");
        mac.update(&self.next_seq.to_be_bytes());
        mac.update(&self.last.0);
        Digest(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// `HMAC-SHA256(key, prev ‖ canonical_bytes(row))`.
pub fn seal(key: &AuditKey, prev: &Digest, row: &AuditRow) -> Digest {
    Digest(key.mac(prev, row).finalize().into_bytes().into())
}

/// A row with its link, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRow {
    /// The row.
    #[serde(flatten)]
    pub row: AuditRow,
    /// Its link.
    pub hash: Digest,
}

/// The end of a chain: the next sequence number and the last link. Store it (or the last
/// row) to append; keep a copy apart from the rows to detect a cut-off tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The sequence number the next row gets.
    pub next_seq: u64,
    /// The last row's link.
    pub last: Digest,
}

impl ChainHead {
    /// An empty chain.
    pub const START: ChainHead = ChainHead { next_seq: 1, last: GENESIS };

    /// The head right after `row`: where to resume verifying (say, from the last row kept
    /// before older ones were purged).
    pub fn after(row: &SealedRow) -> Self {
        Self { next_seq: row.row.seq + 1, last: row.hash }
    }

    /// Numbers and seals `row` as the next link.
    ///
    /// ```
    /// use chrono::DateTime;
    /// use wangge_core::access::{verify_chain, AuditKey, AuditOutcome, AuditRow, ChainHead};
    /// let key = AuditKey::new(&[7; 32]).unwrap();
    /// let now = DateTime::from_timestamp(1_795_680_000, 0).unwrap();
    /// let mut head = ChainHead::START;
    /// let rows: Vec<_> = ["login", "read_people"]
    ///     .map(|a| head.append(&key, AuditRow::new(now, "li", a, "-", AuditOutcome::Success)))
    ///     .into();
    /// assert_eq!(verify_chain(&key, ChainHead::START, &rows, Some(&head)), Ok(head));
    /// ```
    pub fn append(&mut self, key: &AuditKey, mut row: AuditRow) -> SealedRow {
        row.seq = self.next_seq;
        let hash = seal(key, &self.last, &row);
        *self = Self { next_seq: row.seq + 1, last: hash };
        SealedRow { row, hash }
    }
}

/// What is wrong where the chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BreakKind {
    /// The row's content or its link was changed.
    #[error("row content or link changed")]
    Tampered,
    /// A later row where `expected` should be: rows deleted (or moved later).
    #[error("row {expected} is missing (found {found}): deleted or moved")]
    Missing {
        /// The sequence number expected.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// An earlier or repeated row: rows reordered or replayed.
    #[error("row {found} appears where row {expected} belongs: reordered or repeated")]
    Reordered {
        /// The sequence number expected.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// The rows end before the anchor kept apart: the newest rows were cut off.
    #[error("the chain ends before row {anchor_next}: newest rows cut off")]
    Truncated {
        /// The anchor's next sequence number.
        anchor_next: u64,
    },
}

/// The first broken link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at position {index}: {kind}")]
pub struct ChainBreak {
    /// Position in the rows given (0-based; the row count for a cut-off tail).
    pub index: usize,
    /// What is wrong.
    pub kind: BreakKind,
}

/// Verifies `rows` in order from `start` ([`ChainHead::START`] for the whole chain, or
/// [`ChainHead::after`] the last row of the previous page). If an `anchor` kept apart from
/// the rows is given, the chain must pass through it: its link must match where the chain
/// reaches its sequence number, and rows must reach it (else the newest were cut off).
/// Returns the head after the last row, to verify the next page from.
pub fn verify_chain<'a>(
    key: &AuditKey,
    start: ChainHead,
    rows: impl IntoIterator<Item = &'a SealedRow>,
    anchor: Option<&ChainHead>,
) -> Result<ChainHead, ChainBreak> {
    let at_anchor = |head: &ChainHead, index: usize| match anchor {
        Some(a) if a.next_seq == head.next_seq && a.last != head.last => {
            Err(ChainBreak { index, kind: BreakKind::Tampered })
        }
        _ => Ok(()),
    };
    let mut head = start;
    at_anchor(&head, 0)?;
    let mut count = 0;
    for (index, sealed) in rows.into_iter().enumerate() {
        let (expected, found) = (head.next_seq, sealed.row.seq);
        let kind = match found.cmp(&expected) {
            std::cmp::Ordering::Greater => Some(BreakKind::Missing { expected, found }),
            std::cmp::Ordering::Less => Some(BreakKind::Reordered { expected, found }),
            std::cmp::Ordering::Equal => {
                key.mac(&head.last, &sealed.row).verify_slice(&sealed.hash.0).err().map(|_| BreakKind::Tampered)
            }
        };
        if let Some(kind) = kind {
            return Err(ChainBreak { index, kind });
        }
        head = ChainHead::after(sealed);
        at_anchor(&head, index)?;
        count = index + 1;
    }
    match anchor {
        Some(a) if a.next_seq > head.next_seq => {
            Err(ChainBreak { index: count, kind: BreakKind::Truncated { anchor_next: a.next_seq } })
        }
        _ => Ok(head),
    }
}

#[cfg(test)]
mod tests;
