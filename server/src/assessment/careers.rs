//! Careers after a frozen gridworker month (目标 9): a `fail` move for each gridworker below
//! the pass line, a `pass` for each warned one above it; and where each career stands.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use wangge_core::assessment::career::{apply, Move, Stage};

use super::scores::Table;
use super::Refused;
use crate::records::CareerMove;
use crate::store::Store;

/// Where each gridworker's career stands: its last move's stage and seq. A gridworker on the
/// roster with no career recorded is serving.
pub fn stages(moves: &[CareerMove]) -> HashMap<String, (Stage, i64)> {
    let mut out = HashMap::new();
    for m in moves {
        if let Some(s) = Stage::parse(&m.stage) {
            out.insert(m.person_id.clone(), (s, m.seq));
        }
    }
    out
}

/// Records the moves a frozen gridworker `table` calls for; how many were written.
pub async fn after_period(store: &Store, table: &Table, by: &str, at: DateTime<Utc>) -> Result<usize, Refused> {
    let st = stages(&store.career_moves(None).await?);
    let mut moves = Vec::new();
    for item in &table.items {
        let (stage, seq) = st.get(&item.unit).copied().unwrap_or((Stage::Serving, 0));
        let m = if item.failed {
            Move::Fail
        } else if stage == Stage::Warned {
            Move::Pass
        } else {
            continue;
        };
        let Ok(next) = apply(Some(stage), m) else { continue };
        moves.push(CareerMove {
            person_id: item.unit.clone(),
            seq: seq + 1,
            action: m.as_str().into(),
            stage: next.as_str().into(),
            at,
            by: by.to_owned(),
            period: Some(table.period.to_string()),
            note: format!("{} 考核 {} 分", table.period, item.score),
        });
    }
    if !moves.is_empty() && !store.append_career(&moves).await? {
        return Err(Refused::Conflict("a career changed while the period was frozen; recompute it".into()));
    }
    Ok(moves.len())
}
