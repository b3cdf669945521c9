//! 考评 — the assessment (`/api/v1/assessment/…`, see docs/assessment.md): the league tables of
//! townships, villages and gridworkers for a year, quarter or month, each row opening its
//! scorecard (every indicator with its basis, points and records, and the unit's monthly trend);
//! the county's self-evaluation, print-ready (`read_county_score`); and the assessor's tools
//! (`assess`): the scheme editor, manual scores, freezing, and the budget ledger (一笔账).
//!
//! Like the dispute pages, read-only tables are written as escaped markup and forms are read
//! back once on submit (`ui::values`): the app's wasm has a size budget.

mod budget;
mod league;
mod report;
mod scheme;
mod scorecard;
mod tools;
mod trend;
mod widgets;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wangge_core::access::Permission;

use crate::app::shared;
use crate::{api, session};
use widgets::{answer_html, change, click, flag, form, markup, part, send, submit, tab, year_picker};

/// A level of the league tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// 乡镇.
    Township,
    /// 村(社区).
    Village,
    /// 网格员.
    Gridworker,
}

impl Level {
    const ALL: [Level; 3] = [Self::Township, Self::Village, Self::Gridworker];

    /// The tab's label.
    fn label(self) -> &'static str {
        match self {
            Self::Township => "乡镇",
            Self::Village => "村(社区)",
            Self::Gridworker => "网格员",
        }
    }

    /// The level in the API's paths (`/api/v1/assessment/{path}`).
    fn path(self) -> &'static str {
        match self {
            Self::Township => "townships",
            Self::Village => "villages",
            Self::Gridworker => "gridworkers",
        }
    }

    /// The level of an answer's `level` (`township`, `village`, `gridworker`).
    fn of(answer: &Value) -> Self {
        match answer.get("level").and_then(Value::as_str) {
            Some("village") => Self::Village,
            Some("gridworker") => Self::Gridworker,
            _ => Self::Township,
        }
    }

    /// The level in request bodies and element ids.
    fn wire(self) -> &'static str {
        match self {
            Self::Township => "township",
            Self::Village => "village",
            Self::Gridworker => "gridworker",
        }
    }
}

/// The levels in request bodies, with their names.
const LEVELS: [(&str, &str); 4] = [("township", "乡镇"), ("village", "村(社区)"), ("gridworker", "网格员"), ("county", "全县")];

/// A level's name (`township` → 乡镇).
fn level_name(wire: &str) -> &str {
    LEVELS.iter().find(|(w, _)| *w == wire).map_or(wire, |(_, n)| n)
}

/// The parts of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// 考评排名 — the league tables and scorecards.
    League,
    /// 自评报告 — the county's self-evaluation.
    Report,
    /// 考评管理 — the assessor's tools.
    Tools,
}

impl Section {
    fn label(self) -> &'static str {
        match self {
            Self::League => "考评排名",
            Self::Report => "自评报告",
            Self::Tools => "考评管理",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::League => "league",
            Self::Report => "report",
            Self::Tools => "tools",
        }
    }

    /// The permission the part needs beyond `read_assessment`.
    fn open(self) -> bool {
        match self {
            Self::League => true,
            Self::Report => session::may(Permission::ReadCountyScore),
            Self::Tools => session::may(Permission::Assess),
        }
    }
}

/// The page's state, kept while the app is open (a league table takes seconds to count).
#[derive(Debug, Clone, Copy)]
pub struct Board {
    section: RwSignal<Section>,
    level: RwSignal<Level>,
    /// `2023`.
    year: RwSignal<String>,
    /// Empty (the whole year), `Q1`…`Q4` or `01`…`12`.
    part: RwSignal<String>,
    /// A township to narrow villages and gridworkers to (empty: all the account sees).
    township: RwSignal<String>,
    /// The league answer shown, for the address it answers.
    table: RwSignal<Option<(String, Result<Value, String>)>>,
    /// A league table is being counted.
    loading: RwSignal<bool>,
    /// The number and address of the latest league question: only its answer is shown (kept
    /// here, not in the page, so that an answer arriving after the page was left still lands).
    asked: StoredValue<(u32, String)>,
    /// The row open in the scorecard (an item of the league answer, with the answer's `level`
    /// and `period`).
    open: RwSignal<Option<Value>>,
    /// Bumped when the tables must be counted again (a manual score, a freeze).
    reloads: RwSignal<u32>,
    /// Townships' and villages' names by code (`GET /api/v1/divisions`).
    names: RwSignal<Vec<(String, String)>>,
}

impl Board {
    /// Townships of this year, nothing open.
    pub fn new() -> Self {
        Self {
            section: RwSignal::new(Section::League),
            level: RwSignal::new(Level::Township),
            year: RwSignal::new(this_year().to_string()),
            part: RwSignal::new(String::new()),
            township: RwSignal::new(crate::disputes::own_township()),
            table: RwSignal::new(None),
            loading: RwSignal::new(false),
            asked: StoredValue::new((0, String::new())),
            open: RwSignal::new(None),
            reloads: RwSignal::new(0),
            names: RwSignal::new(Vec::new()),
        }
    }

    /// The period chosen: `2023`, `2023-Q4` or `2023-12`.
    fn period(self) -> String {
        period(&self.year.get(), &self.part.get())
    }

    /// The period chosen, read without tracking it.
    fn period_now(self) -> String {
        period(&self.year.get_untracked(), &self.part.get_untracked())
    }

    /// The name of a township or village (its code until the divisions are known).
    fn name(self, code: &str) -> String {
        self.names.with(|n| n.iter().find(|(c, _)| c == code).map_or_else(|| code.to_owned(), |(_, name)| name.clone()))
    }

    /// Counts the tables again (after a manual score or a freeze).
    fn reload(self) {
        // An answer on its way was counted before the change: it is not shown.
        self.asked.update_value(|(n, _)| *n += 1);
        self.loading.set(false);
        self.table.set(None);
        self.reloads.update(|n| *n += 1);
    }
}

/// Townships' and villages' names from the divisions tree; the townships also fill the
/// shared list when the map did not (accounts without the map).
async fn load_names(b: Board, s: crate::app::Shared) {
    let Ok(d) = api::get::<Value>("/api/v1/divisions").await else { return };
    let text = crate::disputes::text;
    let townships = d.get("townships").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut names = Vec::new();
    for t in &townships {
        names.push((text(t, "code"), text(t, "name")));
        for v in t.get("villages").and_then(Value::as_array).into_iter().flatten() {
            names.push((text(v, "code"), text(v, "name")));
        }
    }
    if s.townships.with_untracked(Vec::is_empty) {
        s.townships.set(townships.iter().map(|t| (text(t, "code"), text(t, "name"))).collect());
    }
    b.names.set(names);
}

/// The period of a year and a part of it (empty, `Q1`…`Q4`, `01`…`12`).
fn period(year: &str, part: &str) -> String {
    if part.is_empty() {
        year.to_owned()
    } else {
        format!("{year}-{part}")
    }
}

/// The year by the page's clock.
fn this_year() -> i32 {
    #[allow(clippy::cast_possible_truncation)]
    let y = js_sys::Date::new_0().get_full_year() as i32;
    y
}

/// The years to choose from, newest first: from 2023 (the first scheme) to this year.
fn years() -> Vec<String> {
    (2023..=this_year().max(2023)).rev().map(|y| y.to_string()).collect()
}

/// A number of an answer (`None` for `null` or absent).
fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// A number with at most two decimals and no trailing zeros (`99`, `7.5`, `76.75`).
fn decimal(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Points or a score, `无数据` for nothing counted (never 0).
fn points(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite()).map_or_else(|| "无数据".to_owned(), decimal)
}

/// Whether a measure is a rate (a fraction shown as a percentage) rather than a count.
fn is_rate(measure: &str) -> bool {
    measure.ends_with("_rate") || matches!(measure, "budget_execution" | "valid_event_townships")
}

/// An indicator's measured value: a rate as a percentage, a count as a number, `无数据` for
/// nothing to count.
fn measured(measure: &str, value: Option<f64>) -> String {
    match value {
        _ if measure == "manual" => value.map_or_else(|| "待评分".to_owned(), |_| "人工评分".to_owned()),
        Some(x) if is_rate(measure) => crate::labels::rate(Some(x)),
        other => points(other),
    }
}

/// What a measure was counted from: `n / d` (money in yuan for the budget), `—` without.
fn basis(measure: &str, v: &Value) -> String {
    let pair = v.get("basis").and_then(Value::as_array).filter(|b| b.len() == 2);
    match pair.map(|b| (b[0].as_f64().unwrap_or(0.0), b[1].as_f64().unwrap_or(0.0))) {
        None => "—".to_owned(),
        // The ledger's amounts are counted in fen.
        Some((n, d)) if measure == "budget_execution" => format!("{} / {} 元", yuan(n / 100.0), yuan(d / 100.0)),
        Some((n, d)) => format!("{} / {}", decimal(n), decimal(d)),
    }
}

/// Yuan with thousands separators and two decimals (`3,387,426.30`).
fn yuan(x: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let fen = (x * 100.0).round() as i64;
    let whole = (fen.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{:02}", if fen < 0 { "-" } else { "" }, fen.abs() % 100)
}

/// A frozen answer's `frozen` as words: `已冻结 2024-01-05 10:00（by）`, or `实时` when live.
fn frozen_text(frozen: Option<&Value>) -> String {
    match frozen.filter(|f| f.is_object()) {
        Some(f) => format!("已冻结 {}（{}）", crate::disputes::time(f, "at"), crate::disputes::text(f, "by")),
        None => "实时".to_owned(),
    }
}

/// The page: its parts (those the account may open) and the part shown.
#[component]
pub fn AssessmentPage() -> impl IntoView {
    let b = expect_context::<Board>();
    if b.names.with_untracked(Vec::is_empty) {
        spawn_local(load_names(b, shared()));
    }
    let sections: Vec<Section> = [Section::League, Section::Report, Section::Tools].into_iter().filter(|s| s.open()).collect();
    let tabs = (sections.len() > 1).then(|| {
        sections
            .iter()
            .map(|&section| tab(format!("assessment-{}", section.slug()), section.label(), flag(move || b.section.get() == section), click(move |_| b.section.set(section))))
            .collect_view()
    });
    view! {
        <section id="assessment-page" class="assessment">
            <h2 class="no-print">"考评"</h2>
            <nav class="kinds no-print" id="assessment-sections">{tabs}</nav>
            {part(move || match b.section.get() {
                Section::League => league::League().into_any(),
                Section::Report => report::SelfEvaluation().into_any(),
                Section::Tools => tools::Tools().into_any(),
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nothing_counted_is_no_data_never_zero() {
        assert_eq!(points(None), "无数据");
        assert_eq!(points(Some(0.0)), "0");
        assert_eq!(measured("closure_rate", None), "无数据");
        assert_eq!(measured("closure_rate", Some(0.9933)), "99.33%");
        assert_eq!(measured("valid_events", Some(1275.0)), "1275");
        assert_eq!(measured("manual", None), "待评分");
    }

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(decimal(99.0), "99");
        assert_eq!(decimal(7.5), "7.5");
        assert_eq!(decimal(76.75), "76.75");
        assert_eq!(yuan(3_387_426.3), "3,387,426.30");
        assert_eq!(yuan(100.0), "100.00");
        assert_eq!(basis("budget_execution", &json!({"basis": [338_742_630, 376_380_700]})), "3,387,426.30 / 3,763,807.00 元");
        assert_eq!(basis("closure_rate", &json!({"basis": [1266, 1275]})), "1266 / 1275");
        assert_eq!(basis("manual", &json!({"basis": null})), "—");
        assert_eq!(period("2023", ""), "2023");
        assert_eq!(period("2023", "Q4"), "2023-Q4");
        assert_eq!(period("2023", "12"), "2023-12");
    }
}
