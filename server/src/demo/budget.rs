//! The demo county's 2023 budget ledger (一笔账): the project's budget as the county's report
//! states it — 3,763,807 yuan, all from the county's general public budget — and its spending
//! by line, which the demo sets at 90 % (the budget-execution indicator then scores 9 of 10,
//! as the county's report did). The lines are illustrative; the budget is the report's.

use chrono::{DateTime, Utc};

use super::DemoLoadError;
use crate::records::BudgetLine;
use crate::store::Store;

/// The store fact saying the demo's ledger was loaded.
pub const FACT: &str = "demo_budget";

/// (kind, item, fen, source, date).
const LINES: [(&str, &str, i64, &str, &str); 6] = [
    ("budget", "网格化服务管理项目", 376_380_700, "县级财政预算一般公共预算财政拨款收入", "2023-01-10"),
    ("spend", "专职网格员补贴", 266_400_000, "", "2023-12-20"),
    ("spend", "网格员手机及通信费", 38_942_630, "", "2023-06-30"),
    ("spend", "网格员培训", 18_600_000, "", "2023-09-15"),
    ("spend", "最美网格员奖励", 4_800_000, "", "2023-12-28"),
    ("spend", "网格中心办公及宣传", 10_000_000, "", "2023-11-30"),
];

/// Loads the ledger into a demo store that does not have it yet; the lines loaded.
pub async fn load_if_empty(store: &Store, now: DateTime<Utc>) -> Result<u64, DemoLoadError> {
    if store.store_fact(super::DEMO_FACT).await?.is_none() || store.store_fact(FACT).await?.is_some() {
        return Ok(0);
    }
    let lines: Vec<BudgetLine> = LINES
        .iter()
        .enumerate()
        .map(|(i, (kind, item, fen, source, dated))| BudgetLine {
            line_id: format!("BDEMO2023{i:02}"),
            year: 2023,
            kind: (*kind).into(),
            item: (*item).into(),
            amount_fen: *fen,
            source: (*source).into(),
            dated: (*dated).into(),
            note: String::new(),
            entered_by: "demo".into(),
            entered_at: now,
        })
        .collect();
    let n = store.insert_budget_lines(&lines).await?;
    store.set_store_fact(FACT, "loaded").await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_spends_ninety_percent_of_the_reported_budget() {
        let sum = |k: &str| LINES.iter().filter(|l| l.0 == k).map(|l| l.2).sum::<i64>();
        assert_eq!(sum("budget"), 376_380_700, "3,763,807 yuan, the county's report");
        assert_eq!(sum("spend") * 10, sum("budget") * 9);
    }
}
