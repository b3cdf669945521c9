//! Check 6: grid codes unique and well formed; village and township codes consistent.

use std::collections::{BTreeMap, BTreeSet};

use super::{Draft, DraftGrid, Location, Problem, ProblemKind};
use crate::division::GridKind;

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Why a grid's code is malformed, if it is.
pub(super) fn code_fault(g: &DraftGrid) -> Option<String> {
    let code = g.code.as_str();
    if code.len() != 15 || !code.is_ascii() {
        return Some(format!("编码应为 15 位 (must be 15 characters, is {})", code.chars().count()));
    }
    let (prefix, suffix) = code.split_at(12);
    if prefix != g.village_code {
        return Some(format!("前 12 位应为村/社区编码 {} (prefix must be the village code)", g.village_code));
    }
    match g.kind {
        GridKind::StreetUnit if !(suffix.starts_with('Z') && digits(&suffix[1..], 2)) => {
            Some("驻街单位编码应以 Z 加 2 位数字结尾 (street unit: Z + 2 digits)".into())
        }
        GridKind::Community | GridKind::Rural if !digits(suffix, 3) => Some("编码应以 3 位数字结尾 (must end in 3 digits)".into()),
        _ => None,
    }
}

/// Why a grid's village and township codes disagree, if they do.
fn division_fault(g: &DraftGrid) -> Option<String> {
    if !digits(&g.township_code, 9) {
        return Some(format!("乡镇编码 {} 应为 9 位数字 (township code must be 9 digits)", g.township_code));
    }
    if !digits(&g.village_code, 12) {
        return Some(format!("村/社区编码 {} 应为 12 位数字 (village code must be 12 digits)", g.village_code));
    }
    (!g.village_code.starts_with(&g.township_code)).then(|| {
        format!("村/社区 {} 不属于乡镇 {} (village not in township)", g.village_code, g.township_code)
    })
}

/// Reports malformed, duplicate and taken codes and inconsistent divisions.
pub(super) fn check(draft: &Draft, out: &mut Vec<Problem>) {
    let here = |g: &DraftGrid| anchor(g);
    for g in &draft.grids {
        if let Some(why) = code_fault(g) {
            let msg = format!("网格 {} 编码格式错误 (bad code): {why}", g.code);
            out.push(Problem::new(ProblemKind::BadCode, vec![g.code.clone()], msg, here(g)));
        }
        if let Some(why) = division_fault(g) {
            let msg = format!("网格 {} 区划编码不一致 (inconsistent division codes): {why}", g.code);
            out.push(Problem::new(ProblemKind::InconsistentDivision, vec![g.code.clone()], msg, here(g)));
        }
        if draft.outside_codes.contains(&g.code) {
            let msg = format!("网格编码 {} 已被草稿之外的网格使用 (code already in use outside the draft)", g.code);
            out.push(Problem::new(ProblemKind::CodeInUse, vec![g.code.clone()], msg, here(g)));
        }
    }
    duplicates(draft, out);
    unknown_divisions(draft, out);
}

fn duplicates(draft: &Draft, out: &mut Vec<Problem>) {
    let mut by_code: BTreeMap<&str, Vec<&DraftGrid>> = BTreeMap::new();
    for g in &draft.grids {
        by_code.entry(&g.code).or_default().push(g);
    }
    for (code, gs) in by_code.into_iter().filter(|(_, gs)| gs.len() > 1) {
        let names: Vec<&str> = gs.iter().map(|g| g.name.as_str()).collect();
        let msg = format!("网格编码 {code} 重复 {} 次 (duplicate code): {}", gs.len(), names.join("、"));
        out.push(Problem::new(ProblemKind::DuplicateCode, vec![code.to_string()], msg, anchor(gs[1])));
    }
}

fn unknown_divisions(draft: &Draft, out: &mut Vec<Problem>) {
    let villages: BTreeSet<&str> = draft.villages.iter().map(|d| d.code.as_str()).collect();
    let townships: BTreeSet<&str> = draft.townships.iter().map(|d| d.code.as_str()).collect();
    for g in &draft.grids {
        for (code, known, zh) in [(&g.village_code, &villages, "村/社区"), (&g.township_code, &townships, "乡镇")] {
            if !known.contains(code.as_str()) {
                let msg = format!("网格 {} 所属{zh} {code} 没有边界 (unknown division)", g.code);
                out.push(Problem::new(ProblemKind::UnknownDivision, vec![g.code.clone()], msg, anchor(g)));
            }
        }
    }
}

/// A point to show a grid's attribute problem at: its first vertex.
pub(super) fn anchor(g: &DraftGrid) -> Location {
    g.geometry.0.first().and_then(|p| p.exterior().0.first()).map(|c| Location::at(c.x, c.y)).unwrap_or_default()
}
