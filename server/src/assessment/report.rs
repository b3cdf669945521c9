//! The county's annual self-evaluation (绩效自评报告), filled from the data: the county
//! project's scorecard by section (产出, 效益, 满意度, 预算), the figures of 基本情况 (grids,
//! people, events, the benefit rates, the budget), as JSON, as a Word document in the
//! structure of the county's report for the office to edit, and as the indicator sheet (XLSX);
//! and the league tables as spreadsheets.

use std::collections::BTreeMap;
use std::io::Cursor;

use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts, Table, TableCell, TableRow};
use serde::Serialize;
use wangge_core::assessment::{Level, Measure, Period};
use wangge_core::division::GridKind;
use wangge_core::people::Role;

use super::measures::{budget_totals, Sources};
use crate::formats::sheet::{column, Cell, Column, Kind, Sheet, SheetError, SheetFormat};
use super::scores::{self, FrozenBy};
use super::Refused;

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SelfEvaluation {
    /// The year.
    pub year: i32,
    /// The total.
    pub total: f64,
    /// The maximum that could not be scored for lack of data.
    pub unscored: f64,
    /// The grade.
    pub grade: Option<String>,
    /// The scheme's year and version (0: built in).
    #[schema(value_type = Vec<i64>)]
    pub scheme: (i32, i64),
    /// When frozen, by whom (`null`: computed now).
    pub frozen: Option<FrozenBy>,
    /// The sections with their indicators.
    pub sections: Vec<Section>,
    /// The figures of 基本情况.
    pub figures: Figures,
}

/// A section (an indicator group).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = SelfEvaluationSection)]
pub struct Section {
    /// Its name.
    pub name: String,
    /// Points scored.
    pub score: f64,
    /// Its maximum.
    pub max: f64,
    /// Its indicators.
    pub indicators: Vec<Line>,
}

/// One indicator of the report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = SelfEvaluationLine)]
pub struct Line {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Measure.
    pub measure: Measure,
    /// Value read.
    pub measured: Option<f64>,
    /// Points.
    pub points: Option<f64>,
    /// Maximum.
    pub max: f64,
    /// Numerator and denominator.
    #[schema(value_type = Option<Vec<u64>>)]
    pub basis: Option<(u64, u64)>,
    /// The rule as the county states it.
    pub note: String,
}

/// The figures of 基本情况.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = SelfEvaluationFigures)]
pub struct Figures {
    /// Grid codes.
    pub grids: BTreeMap<&'static str, u64>,
    /// People by role.
    pub people: BTreeMap<&'static str, u64>,
    /// Events: the counts, and the closure rate in percent (`null` without events).
    #[schema(value_type = BTreeMap<String, Option<f64>>)]
    pub events: BTreeMap<String, serde_json::Value>,
    /// The benefit rates.
    pub benefit: BTreeMap<&'static str, Option<f64>>,
    /// The budget ledger.
    pub budget: BudgetFigures,
}

/// The budget ledger's figures (一笔账).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BudgetFigures {
    /// The budget.
    pub budget_yuan: f64,
    /// Spent.
    pub spent_yuan: f64,
    /// Spent over budget (`null` without a budget).
    pub execution_rate: Option<f64>,
    /// The funding sources, joined with 、.
    pub sources: String,
}

/// Builds the report of `year` from the county's (frozen or live) table.
pub async fn self_evaluation(sources: &Sources<'_>, year: i32) -> Result<SelfEvaluation, Refused> {
    let answer = scores::table(sources, Level::County, Period::Year(year)).await?;
    let item = answer.table.items.first().ok_or_else(|| Refused::Invalid("the county has no scorecard".into()))?;
    let (version, _) = super::scheme_for(sources.store, year).await?;
    let notes: BTreeMap<&str, &str> = version.scheme.of(Level::County).map(|i| (i.code.as_str(), i.note.as_str())).collect();
    let sections = item
        .card
        .groups
        .iter()
        .map(|g| Section {
            name: g.name.clone(),
            score: g.score,
            max: g.max,
            indicators: item
                .card
                .indicators
                .iter()
                .filter(|i| i.group == g.name)
                .map(|i| Line {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    measure: i.measure,
                    measured: i.measured,
                    points: i.points,
                    max: i.max,
                    basis: item.basis.get(i.measure.as_str()).copied(),
                    note: notes.get(i.code.as_str()).map(|s| (*s).to_owned()).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let catalog = &sources.catalog;
    let kind = |k: GridKind| catalog.grids().iter().filter(|g| g.grid.kind == k).count() as u64;
    let (community, rural, street) = (kind(GridKind::Community), kind(GridKind::Rural), kind(GridKind::StreetUnit));
    let grids = BTreeMap::from([("codes", community + rural), ("community", community), ("rural", rural), ("street_units", street)]);
    let role = |r: Role| sources.roster.people().iter().filter(|p| p.role == r).count() as u64;
    let people = BTreeMap::from([
        ("grid_leaders", role(Role::GridLeader)),
        ("volunteers", role(Role::Volunteer)),
        ("gridworkers", role(Role::Gridworker)),
        ("liaison_instructors", role(Role::LiaisonInstructor)),
    ]);
    let count = |k: &str| item.counts.get(k).copied().unwrap_or(0);
    let mut events: BTreeMap<String, serde_json::Value> = item.counts.iter().map(|(k, v)| (k.clone(), (*v).into())).collect();
    #[allow(clippy::cast_precision_loss)]
    let closure = (count("reported") > 0).then(|| (count("closed") as f64 / count("reported") as f64 * 10_000.0).round() / 100.0);
    events.insert("closure_rate_percent".into(), closure.into());
    let value = |m: Measure| item.card.indicators.iter().find(|i| i.measure == m).and_then(|i| i.measured);
    let benefit = BTreeMap::from([
        ("screening_rate", value(Measure::ScreeningRate)),
        ("mediated_rate", value(Measure::MediatedRate)),
        ("success_rate", value(Measure::SuccessRate)),
        ("petition_resolved_rate", value(Measure::PetitionResolvedRate)),
        ("satisfaction_rate", value(Measure::SatisfactionRate)),
    ]);
    let lines = sources.store.budget_lines(year).await?;
    let (budget_fen, spent_fen) = budget_totals(&lines);
    let mut sources_of: Vec<&str> = lines.iter().filter(|l| l.kind == "budget").map(|l| l.source.as_str()).collect();
    sources_of.sort_unstable();
    sources_of.dedup();
    let budget = BudgetFigures {
        budget_yuan: yuan(budget_fen),
        spent_yuan: yuan(spent_fen),
        execution_rate: value(Measure::BudgetExecution),
        sources: sources_of.join("、"),
    };
    Ok(SelfEvaluation {
        year,
        total: item.score,
        unscored: item.unscored,
        grade: item.grade.clone(),
        scheme: (answer.table.scheme_year, answer.table.scheme_version),
        frozen: answer.frozen,
        sections,
        figures: Figures { grids, people, events, benefit, budget },
    })
}

/// Fen as yuan.
pub fn yuan(fen: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let y = fen as f64 / 100.0;
    y
}

/// A share as a percent text with two decimals, or 无数据.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "无数据".into(), |v| format!("{:.2}%", v * 100.0))
}

fn points(v: Option<f64>) -> String {
    v.map_or_else(|| "无数据".into(), |p| format!("{p}"))
}

fn measured_text(measure: Measure, v: Option<f64>) -> String {
    if measure.is_rate() {
        percent(v)
    } else {
        v.map_or_else(|| "无数据".into(), |x| format!("{x}"))
    }
}

fn run(text: &str) -> Run {
    Run::new().add_text(text).fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman")).size(24)
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn heading(text: &str, size: usize) -> Paragraph {
    Paragraph::new().add_run(run(text).bold().size(size))
}

fn cell(text: &str) -> TableCell {
    TableCell::new().add_paragraph(para(text))
}

fn n(x: u64) -> String {
    x.to_string()
}

/// The report as a Word document, in the structure of the county's report.
pub fn docx(r: &SelfEvaluation) -> Result<Vec<u8>, Refused> {
    let f = &r.figures;
    let g = |k: &str| f.grids.get(k).copied().unwrap_or(0);
    let p = |k: &str| f.people.get(k).copied().unwrap_or(0);
    let e = |k: &str| f.events.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let closure = f.events.get("closure_rate_percent").and_then(serde_json::Value::as_f64).map_or("无数据".into(), |v| format!("{v:.2}%"));
    let b = |k: &str| f.benefit.get(k).copied().flatten();
    let budget = f.budget.budget_yuan;
    let spent = f.budget.spent_yuan;
    let source = f.budget.sources.as_str();
    let grade = r.grade.clone().unwrap_or_else(|| "无".into());
    let mut doc = Docx::new()
        .add_paragraph(heading(&format!("{} 年度网格化服务管理项目自评报告", r.year), 36).align(AlignmentType::Center))
        .add_paragraph(heading("一、项目基本情况", 32))
        .add_paragraph(heading("(一)项目概况", 28))
        .add_paragraph(para(&format!(
            "网格化服务管理项目资金投入 {budget:.2} 元,支出 {spent:.2} 元,资金来源:{}。",
            if source.is_empty() { "未登记" } else { source }
        )))
        .add_paragraph(para(&format!(
            "全县网格编码共 {} 个,包括社区编码 {} 个,农村编码 {} 个,驻街单位编码 {} 个。网格长共 {} 名,网格志愿者共 {} 名,专职网格员共 {} 名,包联指导员共 {} 名。",
            n(g("codes")), n(g("community")), n(g("rural")), n(g("street_units")),
            n(p("grid_leaders")), n(p("volunteers")), n(p("gridworkers")), n(p("liaison_instructors"))
        )))
        .add_paragraph(para(&format!(
            "{} 年,事件上报总量 {} 件,已办事件 {} 件,办结率 {closure};民生事项共 {} 件,问题隐患共 {} 件,矛盾纠纷共 {} 件,其他类事件共 {} 件;有效事件 {} 件。",
            r.year, n(e("reported")), n(e("closed")), n(e("livelihood")), n(e("hazard")), n(e("dispute")), n(e("other")), n(e("valid"))
        )))
        .add_paragraph(heading("(二)项目预期绩效目标", 28))
        .add_paragraph(para(
            "矛盾纠纷排查率超过 97%,县域内调处率、调处成功率分别达到 100% 和 95%,各类信访案件化解率达到 90% 以上;群众满意度达到 95% 以上;承办单位 1 个工作日内核实,一般事项 3 个、复杂事项 5 个工作日内办结并反馈(“1-3-5”);每个乡镇定期上报并解决 20 个有效事件。",
        ))
        .add_paragraph(heading("二、自评工作情况", 32))
        .add_paragraph(para(&format!(
            "本报告由网格化服务管理系统依据 {} 年度指标体系({})从系统记录自动计算生成:事件及其处置时间线、回访、巡查轨迹、基础信息采集、矛盾纠纷排查调处、信访、结果性指标和预算台账。每项指标的计算口径与明细可在系统中逐项下钻核对。",
            r.scheme.0,
            if r.scheme.1 == 0 { "内置默认版".to_owned() } else { format!("第 {} 版", r.scheme.1) }
        )))
        .add_paragraph(heading("三、绩效评价指标体系及得分", 32));
    let mut rows = vec![TableRow::new(["指标类别", "指标", "计算口径", "实际值", "分值", "得分"].iter().map(|h| cell(h)).collect())];
    for s in &r.sections {
        for i in &s.indicators {
            let basis = i.basis.map_or(String::new(), |(a, b)| format!("({a}/{b})"));
            rows.push(TableRow::new(vec![
                cell(&s.name),
                cell(&i.name),
                cell(&i.note),
                cell(&format!("{}{basis}", measured_text(i.measure, i.measured))),
                cell(&format!("{}", i.max)),
                cell(&points(i.points)),
            ]));
        }
        rows.push(TableRow::new(vec![cell(&s.name), cell("小计"), cell(""), cell(""), cell(&format!("{}", s.max)), cell(&format!("{}", s.score))]));
    }
    rows.push(TableRow::new(vec![cell("合计"), cell(""), cell(""), cell(""), cell("100"), cell(&format!("{}", r.total))]));
    doc = doc.add_table(Table::new(rows));
    let section_scores: Vec<String> = r.sections.iter().map(|s| format!("{}指标 {} 分(满分 {})", s.name, s.score, s.max)).collect();
    doc = doc
        .add_paragraph(heading("四、项目执行及绩效实现情况", 32))
        .add_paragraph(para(&format!(
            "矛盾纠纷排查率 {},县域内调处率 {},调处成功率 {},信访案件化解率 {},群众满意度 {}。预算执行率 {}。",
            percent(b("screening_rate")), percent(b("mediated_rate")), percent(b("success_rate")),
            percent(b("petition_resolved_rate")), percent(b("satisfaction_rate")),
            percent(f.budget.execution_rate)
        )))
        .add_paragraph(para(&format!("{}。", section_scores.join(","))))
        .add_paragraph(heading("五、项目综合评价结论和评价等级", 32))
        .add_paragraph(para(&format!(
            "根据项目执行情况和绩效情况,自评总得分为 {} 分{},总体评分为{grade}。",
            r.total,
            if r.unscored > 0.0 { format!("(另有 {} 分的指标无数据,未计分)", r.unscored) } else { String::new() }
        )))
        .add_paragraph(heading("六、存在的问题及改进措施", 32))
        .add_paragraph(para("(一)项目存在的主要问题"))
        .add_paragraph(para("(由办公室填写)"))
        .add_paragraph(para("(二)改进措施"))
        .add_paragraph(para("(由办公室填写)"))
        .add_paragraph(heading("七、评价工作组人员名单及签字", 32))
        .add_paragraph(para("组 长:"))
        .add_paragraph(para("成 员:"));
    let mut out = Cursor::new(Vec::new());
    doc.pack(&mut out).map_err(|e| Refused::Invalid(format!("the document could not be written: {e}")))?;
    Ok(out.into_inner())
}

/// The columns of the indicator sheet.
pub const INDICATOR_COLUMNS: &[Column] = &[
    column("group", "指标类别", Kind::Text),
    column("code", "指标代码", Kind::Text),
    column("name", "指标", Kind::Text),
    column("note", "计算口径", Kind::Text),
    column("measured", "实际值", Kind::Decimal),
    column("numerator", "分子", Kind::Integer),
    column("denominator", "分母", Kind::Integer),
    column("max", "分值", Kind::Decimal),
    column("points", "得分", Kind::Decimal),
];

/// The indicator sheet: one row per indicator, then the total with the grade.
pub fn sheet(r: &SelfEvaluation) -> Sheet {
    let mut sheet = Sheet::new(format!("{}年度指标体系", r.year), INDICATOR_COLUMNS.to_vec());
    let or_none = |v: Option<f64>| v.map_or_else(|| Cell::text("无数据"), Cell::Number);
    for s in &r.sections {
        for i in &s.indicators {
            #[allow(clippy::cast_precision_loss)]
            let (a, b) = i.basis.map_or((Cell::Empty, Cell::Empty), |(a, b)| (Cell::Number(a as f64), Cell::Number(b as f64)));
            sheet.push(vec![
                Cell::text(&s.name),
                Cell::text(&i.code),
                Cell::text(&i.name),
                Cell::text(&i.note),
                or_none(i.measured),
                a,
                b,
                Cell::Number(i.max),
                or_none(i.points),
            ]);
        }
    }
    let grade = Cell::text(r.grade.as_deref().unwrap_or("无"));
    sheet.push(vec![Cell::text("合计"), Cell::Empty, grade, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Number(100.0), Cell::Number(r.total)]);
    sheet
}

/// The indicator sheet as XLSX.
pub fn xlsx(r: &SelfEvaluation) -> Result<Vec<u8>, SheetError> {
    sheet(r).write(SheetFormat::Xlsx)
}

/// A league table as a spreadsheet: rank, unit and totals, then each indicator's points (in
/// the order of the scheme's card).
pub fn league(level: Level, period: &str, items: &[&scores::Item]) -> Sheet {
    let unit = if level == Level::Gridworker { "人员编号" } else { "单位代码" };
    let mut columns = vec![
        column("rank", "排名", Kind::Integer),
        Column::owned("unit", unit, Kind::Text),
        column("name", "名称", Kind::Text),
        column("township", "乡镇代码", Kind::Text),
        column("village", "村(社区)代码", Kind::Text),
        column("score", "得分", Kind::Decimal),
        column("unscored", "无数据分值", Kind::Decimal),
        column("normalised", "折算得分", Kind::Decimal),
        column("grade", "等级", Kind::Text),
        column("failed", "不合格", Kind::Flag),
        column("rank_in_township", "乡镇内排名", Kind::Integer),
    ];
    if level == Level::Gridworker {
        columns.push(column("rank_in_village", "村内排名", Kind::Integer));
    }
    let indicators: Vec<(String, String)> =
        items.first().map(|i| i.card.indicators.iter().map(|s| (s.code.clone(), s.name.clone())).collect()).unwrap_or_default();
    columns.extend(indicators.iter().map(|(code, name)| Column::owned(format!("indicators.{code}.points"), format!("{name}({code})"), Kind::Decimal)));
    let mut sheet = Sheet::new(format!("{}考评{period}", level_name(level)), columns);
    for i in items {
        let mut row = vec![
            Cell::Number(f64::from(i.rank)),
            Cell::text(&i.unit),
            Cell::text(&i.name),
            Cell::text(&i.township),
            Cell::text(i.village.as_deref().unwrap_or_default()),
            Cell::Number(i.score),
            Cell::Number(i.unscored),
            Cell::number(i.normalised),
            Cell::text(i.grade.as_deref().unwrap_or_default()),
            Cell::text(if i.failed { "是" } else { "否" }),
            Cell::Number(f64::from(i.rank_in_township)),
        ];
        if level == Level::Gridworker {
            row.push(Cell::number(i.rank_in_village.map(f64::from)));
        }
        row.extend(indicators.iter().map(|(code, _)| Cell::number(i.card.indicators.iter().find(|s| &s.code == code).and_then(|s| s.points))));
        sheet.push(row);
    }
    sheet
}

/// A level's Chinese name.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Gridworker => "网格员",
        Level::Village => "村(社区)",
        Level::Township => "乡镇",
        Level::County => "县级",
    }
}
