//! The ledgers (台账) as XLSX workbooks with Chinese headers, personal data masked as in the
//! lists.

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;
use wangge_core::dispute::{label, KINDS, SCALES};

use super::{cases, petitions};
use crate::records::{time_text, DisputeCase, Petition};

/// A workbook of one sheet: bold `headers`, then `rows`.
fn book(sheet_name: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name(sheet_name)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(c).unwrap_or(u16::MAX), *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(u32::try_from(r + 1).unwrap_or(u32::MAX), u16::try_from(c).unwrap_or(u16::MAX), v)?;
        }
    }
    book.save_to_buffer()
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn names(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|p| text(p, "name")).collect::<Vec<_>>().join("、"))
        .unwrap_or_default()
}

/// The dispute ledger.
pub fn disputes(list: &[DisputeCase]) -> Result<Vec<u8>, XlsxError> {
    let headers = [
        "案件编号", "事件编号", "乡镇代码", "村(社区)代码", "网格编码", "纠纷类型", "规模", "涉及人数", "当事人", "简要情况",
        "阶段", "登记时间", "受理时间", "调解机构", "调解员", "调解期限", "办结时间", "调解结果", "是否履行",
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let outcome = c.doc.get("outcome").cloned().unwrap_or(Value::Null);
            vec![
                c.case_id.clone(),
                c.event_id.clone(),
                c.place.township.clone(),
                c.place.village.clone(),
                c.place.grid.clone(),
                label(&KINDS, &c.kind).unwrap_or_default().to_owned(),
                label(&SCALES, &c.scale).unwrap_or_default().to_owned(),
                text(&c.doc, "people"),
                names(&c.doc, "parties"),
                text(&c.doc, "summary"),
                cases::stage_name(c.stage).to_owned(),
                time_text(c.registered_at),
                c.accepted_at.map(time_text).unwrap_or_default(),
                text(&c.doc, "body"),
                text(&c.doc, "mediator"),
                c.due_at.map(time_text).unwrap_or_default(),
                c.concluded_at.map(time_text).unwrap_or_default(),
                match text(&outcome, "result").as_str() {
                    "agreed" => format!("调解成功：{}", text(&outcome, "terms")),
                    "failed" => format!("调解不成：{}", text(&outcome, "reason")),
                    "transferred" => format!("移交{}：{}", text(&outcome, "to"), text(&outcome, "reason")),
                    _ => String::new(),
                },
                match c.doc.get("kept").and_then(Value::as_bool) {
                    Some(true) => "已履行".into(),
                    Some(false) => "未履行".into(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    book("矛盾纠纷台账", &headers, &rows)
}

/// The petition ledger.
pub fn petitions(list: &[Petition], now: DateTime<Utc>) -> Result<Vec<u8>, XlsxError> {
    let headers = [
        "信访编号", "方式", "登记层级", "乡镇代码", "村(社区)代码", "信访人", "人数", "信访事项", "阶段", "收到时间", "受理期限",
        "受理时间", "办理期限", "办结时间", "是否化解", "重复信访", "是否超期",
    ];
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            let v = petitions::view(p, now);
            vec![
                p.petition_id.clone(),
                match text(&v, "channel").as_str() { "letter" => "来信", "visit" => "来访", _ => "网上信访" }.into(),
                match p.lodged.as_str() { "county" => "县级", "city" => "市级", "province" => "赴省", _ => "进京" }.into(),
                p.township_code.clone(),
                p.village_code.clone().unwrap_or_default(),
                names(&p.doc, "petitioners"),
                text(&p.doc, "people"),
                text(&p.doc, "matter"),
                text(&v, "stage_name"),
                time_text(p.received_at),
                time_text(p.accept_by),
                p.accepted_at.map(time_text).unwrap_or_default(),
                p.due_at.map(time_text).unwrap_or_default(),
                p.answered_at.map(time_text).unwrap_or_default(),
                match p.resolved { Some(true) => "已化解", Some(false) => "未化解", None => "" }.into(),
                p.repeat_of.clone().map(|r| format!("重复（首次 {r}）")).unwrap_or_default(),
                if petitions::overdue(p, now) { "超期".into() } else { String::new() },
            ]
        })
        .collect();
    book("信访台账", &headers, &rows)
}
