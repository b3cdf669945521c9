//! Verifying the audit trail (完整性校验): every row's link to the one before it, then the
//! anchor kept outside the database — what `GET /api/v1/audit/verify` answers and
//! `wangge check-db` prints.

use wangge_core::access::{verify_chain, AuditKey, ChainHead};
use wangge_core::wire::{AuditBreak, AuditVerify};

use super::{Anchor, AnchorError};
use crate::progress::Progress;
use crate::store::{Store, StoreError};

/// Rows read per step of the verification.
const VERIFY_STEP: u32 = 5000;

/// Verifies the whole chain with `key`, page by page, counting the rows on `progress`; then,
/// if there is an `anchor`, that the chain reaches it and its anchored row matches. The anchor
/// is read first: rows written meanwhile (the service keeps writing) only lengthen the chain.
pub async fn verify_trail(
    store: &Store,
    key: &AuditKey,
    anchor: Option<&Anchor>,
    progress: Option<&Progress>,
) -> Result<AuditVerify, StoreError> {
    let anchored = anchor.map(|a| a.read(key));
    let mut head = ChainHead::START;
    let mut checked = 0usize;
    let broken = loop {
        let rows = store.audit_chain(head.next_seq, VERIFY_STEP).await?;
        if rows.is_empty() {
            break None;
        }
        match verify_chain(key, head, &rows, None) {
            Ok(next) => {
                checked += rows.len();
                head = next;
                if let Some(p) = progress {
                    p.inc(rows.len() as u64);
                }
            }
            Err(b) => break Some(AuditBreak { index: (checked + b.index) as u64, kind: b.kind.to_string() }),
        }
    };
    // The anchor kept outside the database: a chain that ends before it, or whose anchored
    // row differs, lost its newest rows.
    let broken = match (broken, anchored) {
        (Some(b), _) => Some(b),
        (None, Some(anchored)) => behind_anchor(store, anchored, head).await?,
        (None, None) => None,
    };
    Ok(AuditVerify { ok: broken.is_none(), rows: checked as u64, chain_break: broken })
}

/// Where the verified chain `head` falls short of the anchor, if it does.
async fn behind_anchor(
    store: &Store,
    anchored: Result<Option<ChainHead>, AnchorError>,
    head: ChainHead,
) -> Result<Option<AuditBreak>, StoreError> {
    let anchored = match anchored {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(None),
        Err(e) => return Ok(Some(AuditBreak { index: head.next_seq.saturating_sub(1), kind: e.to_string() })),
    };
    if head.next_seq < anchored.next_seq {
        let kind = format!(
            "the chain ends at row {} but its anchor outside the database names row {}: the newest rows were deleted",
            head.next_seq.saturating_sub(1),
            anchored.next_seq - 1
        );
        return Ok(Some(AuditBreak { index: head.next_seq.saturating_sub(1), kind }));
    }
    let row = store.audit_chain(anchored.next_seq.saturating_sub(1), 1).await?;
    match row.first() {
        Some(r) if r.hash == anchored.last => Ok(None),
        _ => Ok(Some(AuditBreak {
            index: anchored.next_seq.saturating_sub(1),
            kind: "the row named by the anchor outside the database differs from it".into(),
        })),
    }
}
