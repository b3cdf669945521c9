//! The county's 2023 year of events, matching its self-evaluation exactly: 10,505 events
//! (9,488 livelihood, 656 hazards, 312 disputes, 49 other), 10,435 of them closed (99.33 %).
//! Reported on working days, more where people live; each event carries the steps of its
//! loop, checked against the state machine while generating.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use wangge_core::calendar::{CalendarError, WorkingCalendar, CHINA_TIME};
use wangge_core::event::{Action, Category, Complexity, Holder, Loop, Tier};
use wangge_core::people::{GridPlace, Roster};
use wangge_core::{GridIndex, GridKind, LonLat};

use super::names::{name, phone};
use crate::plan::Rng;

/// The county's 2023 figures: (category, reported).
pub const YEAR_2023: [(Category, usize); 4] =
    [(Category::Livelihood, 9_488), (Category::Hazard, 656), (Category::Dispute, 312), (Category::Other, 49)];
/// Events of 2023 closed by the end of the record.
pub const CLOSED_2023: usize = 10_435;

/// Why the year could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The calendar lacks a year the events need.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The generator produced a step the state machine refuses (a bug in the generator).
    #[error("illegal generated step: {0}")]
    Illegal(String),
}

/// One step of an event's loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (person id, centre code, `reporter` or `system`).
    pub actor: String,
    /// What.
    pub action: Action,
}

/// A generated event with its history.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoEvent {
    /// The client's report id (idempotency key).
    pub report_id: String,
    /// Category.
    pub category: Category,
    /// Subcategory (Chinese).
    pub subcategory: &'static str,
    /// What the reporter said.
    pub description: String,
    /// Where (CGCS2000).
    pub location: LonLat,
    /// Position of its grid in the index.
    pub grid: usize,
    /// `gridworker`, `resident` or `operator`.
    pub reporter_kind: &'static str,
    /// The reporting gridworker.
    pub reporter_person_id: Option<String>,
    /// A resident's name.
    pub reporter_name: Option<String>,
    /// A resident's phone.
    pub reporter_phone: Option<String>,
    /// `app`, `web` or `phone`.
    pub channel: &'static str,
    /// Ordinary or complex.
    pub complexity: Complexity,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// The loop, in order, starting with the assignment.
    pub steps: Vec<Step>,
}

const LIVELIHOOD: &[(&str, &str)] = &[
    ("社保医保咨询", "咨询城乡居民医保缴费和报销办理流程"), ("低保救助", "申请低保，家中老人长期患病无劳动能力"),
    ("道路破损", "村内主路出现坑洼，雨后积水影响通行"), ("路灯损坏", "小区路灯不亮已一周，夜间出行不便"),
    ("供水问题", "自来水水压低，早晚高峰时段断水"), ("供电问题", "入户线路老化，经常跳闸"),
    ("燃气问题", "申请燃气入户开通，需上门核查"), ("环境卫生", "垃圾清运不及时，堆放点有异味"),
    ("噪音扰民", "夜间施工噪音大，影响居民休息"), ("物业服务", "楼道照明和单元门禁损坏，物业未维修"),
    ("证明开具", "办理居住证明需社区协助核实"), ("就业咨询", "咨询公益性岗位和技能培训报名"),
];
const HAZARD: &[(&str, &str)] = &[
    ("消防隐患", "楼道堆放杂物和电动车飞线充电"), ("燃气隐患", "商户燃气软管老化，有轻微气味"),
    ("危房隐患", "独居老人房屋墙体开裂，存在坍塌风险"), ("道路塌陷", "路面局部塌陷，已设置临时警示"),
    ("违章建筑", "私自加盖彩钢房，占用消防通道"), ("电力线路隐患", "电线杆倾斜，线路下垂距地面过低"),
    ("食品安全", "流动摊贩售卖来源不明的熟食"), ("安全生产", "小作坊无安全防护，存放易燃物品"),
];
const DISPUTE: &[(&str, &str)] = &[
    ("邻里纠纷", "邻居院墙滴水引发争执"), ("土地纠纷", "承包地边界不清，两户发生争议"),
    ("婚姻家庭纠纷", "赡养老人费用分担产生矛盾"), ("劳资纠纷", "务工人员被拖欠工资"),
    ("物业纠纷", "业主与物业因收费标准发生争议"), ("宅基地纠纷", "宅基地翻建占用相邻通道"),
];
const OTHER: &[(&str, &str)] = &[("意见建议", "建议增设健身器材和休闲座椅"), ("其他", "群众来电反映其他事项")];

/// Where an escalated subcategory goes among the functional departments.
fn department(sub: &str) -> &'static str {
    match sub {
        "供水问题" => "water",
        "供电问题" | "电力线路隐患" => "power",
        "燃气问题" | "燃气隐患" => "gas",
        "道路破损" | "道路塌陷" | "路灯损坏" => "roads",
        "危房隐患" | "违章建筑" | "物业服务" | "物业纠纷" => "housing",
        "低保救助" | "社保医保咨询" | "就业咨询" => "civil",
        "消防隐患" | "安全生产" => "emergency",
        "食品安全" => "market",
        "环境卫生" | "噪音扰民" => "environment",
        "劳资纠纷" => "justice",
        _ => "petition",
    }
}

/// What a generated year holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearPlan {
    /// The year (its working days must be in the calendar).
    pub year: i32,
    /// The generator's seed.
    pub seed: u64,
    /// Events per category.
    pub counts: [(Category, usize); 4],
    /// How many of them are closed by the end of the record (the latest reported stay open).
    pub closed: usize,
    /// Report ids are `{prefix}-{n:05}`.
    pub prefix: String,
}

impl YearPlan {
    /// The county's 2023, as its self-evaluation counts it.
    pub fn county_2023() -> Self {
        Self { year: 2023, seed: 0x0001_0505, counts: YEAR_2023, closed: CLOSED_2023, prefix: "HL2023".into() }
    }

    /// `scale` times the county's 2023 in `year` (a province-year for benchmarks), as batch
    /// `batch` of such years with its own seed and ids.
    pub fn scaled(year: i32, batch: u32) -> Self {
        Self {
            year,
            seed: 0x0001_0505 ^ (u64::from(batch) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            counts: YEAR_2023,
            closed: CLOSED_2023,
            prefix: format!("HL{year}B{batch:04}"),
        }
    }
}

/// Generates the county's 2023. `parents` maps street-unit grid codes to their community grid.
pub fn year_2023(
    index: &GridIndex,
    parents: &HashMap<String, String>,
    roster: &Roster,
    cal: &WorkingCalendar,
) -> Result<Vec<DemoEvent>, DemoError> {
    year(index, parents, roster, cal, &YearPlan::county_2023())
}

/// Generates a year of events by `plan`.
pub fn year(
    index: &GridIndex,
    parents: &HashMap<String, String>,
    roster: &Roster,
    cal: &WorkingCalendar,
    plan: &YearPlan,
) -> Result<Vec<DemoEvent>, DemoError> {
    let mut rng = Rng::new(plan.seed);
    let days = working_days(cal, plan.year)?;
    let weights = grid_weights(index);
    let mut cats: Vec<Category> = plan.counts.iter().flat_map(|&(c, n)| std::iter::repeat_n(c, n)).collect();
    shuffle(&mut rng, &mut cats);
    let mut times: Vec<DateTime<Utc>> = cats.iter().map(|_| moment(&mut rng, &days)).collect();
    times.sort();
    let open_from = plan.closed.min(cats.len());
    let mut events = Vec::with_capacity(cats.len());
    for (i, (&cat, &at)) in cats.iter().zip(&times).enumerate() {
        let grid = pick(&mut rng, &weights);
        let Some((location, grid)) = point_in(&mut rng, index, grid) else { continue };
        let g = &index.grids()[grid];
        let place = GridPlace {
            grid: &g.code,
            parent_grid: parents.get(&g.code).map(String::as_str),
            village: &g.village.code,
            township: &g.township.code,
        };
        let (sub, detail) = pick_sub(&mut rng, cat);
        let complexity = complexity(&mut rng, cat);
        let first = roster.assign(place);
        let mut ev = DemoEvent {
            report_id: format!("{}-{:05}", plan.prefix, i + 1),
            category: cat,
            subcategory: sub,
            description: format!("{}：{}", g.village.name, detail),
            location,
            grid,
            reporter_kind: "gridworker",
            reporter_person_id: None,
            reporter_name: None,
            reporter_phone: None,
            channel: "app",
            complexity,
            reported_at: at,
            steps: vec![Step { at, actor: "system".into(), action: Action::Assign { to: first.clone() } }],
        };
        reporter(&mut rng, &mut ev, &first);
        let leader = roster.assign(GridPlace { grid: "", parent_grid: None, ..place });
        let centres = Centres { village: leader, township: g.township.code.clone() };
        run_loop(&mut rng, &mut ev, &centres, i >= open_from, cal)?;
        events.push(ev);
    }
    Ok(events)
}

/// The holders an event can go up to.
struct Centres {
    /// The village's grid leader (or the township centre where the post is vacant).
    village: Holder,
    township: String,
}

/// Plays an event's loop forward, checking every step with the state machine.
fn run_loop(rng: &mut Rng, ev: &mut DemoEvent, c: &Centres, stays_open: bool, cal: &WorkingCalendar) -> Result<(), DemoError> {
    let mut lp = Loop::new(ev.complexity);
    let mut t = ev.reported_at;
    let first = ev.steps[0].clone();
    lp = apply(&lp, &first, cal)?;
    let route = escalation_path(rng, ev.category);
    let mut steps = Vec::new();
    let mut holder = lp.holder.clone().map(|h| h.id).unwrap_or_default();
    let push = |lp: &mut Loop, t: DateTime<Utc>, actor: &str, action: Action, steps: &mut Vec<Step>| -> Result<(), DemoError> {
        let step = Step { at: t, actor: actor.to_string(), action };
        *lp = apply(lp, &step, cal)?;
        steps.push(step);
        Ok(())
    };
    t += hours(rng, 0.1, 5.0);
    push(&mut lp, t, &holder.clone(), Action::Accept, &mut steps)?;
    if stays_open && (route == 0 || rng.unit() < 0.5) {
        ev.steps.extend(steps);
        return Ok(());
    }
    let at_grid = lp.tier() == Some(Tier::Grid);
    if route == 0 && at_grid {
        t += hours(rng, 0.2, 8.0);
        push(&mut lp, t, &holder.clone(), Action::ResolveOnSpot { note: "现场核实并当场解决".into() }, &mut steps)?;
    } else {
        let targets = [c.village.clone(), Holder { tier: Tier::Township, id: c.township.clone() }, Holder { tier: Tier::County, id: "130730".into() }, Holder { tier: Tier::Department, id: department(ev.subcategory).into() }];
        for to in targets.into_iter().take(route.max(1)) {
            if Some(to.tier) <= lp.tier() {
                continue;
            }
            t += hours(rng, 0.5, 20.0);
            push(&mut lp, t, &holder.clone(), Action::Escalate { to: to.clone(), reason: "超出本级处置权限，按程序上报".into() }, &mut steps)?;
            holder = to.id.clone();
            if to.tier == Tier::Department && rng.unit() < 0.08 {
                t += hours(rng, 1.0, 10.0);
                push(&mut lp, t, &holder.clone(), Action::Return { reason: "不属于本部门职责".into() }, &mut steps)?;
                t += hours(rng, 2.0, 20.0);
                let decision = Action::Arbitrate { to: to.clone(), note: "经县网格中心协调，仍由该部门牵头办理".into() };
                push(&mut lp, t, "130730", decision, &mut steps)?;
            }
            t += hours(rng, 0.2, 6.0);
            push(&mut lp, t, &holder.clone(), Action::Accept, &mut steps)?;
        }
        if stays_open {
            ev.steps.extend(steps);
            return Ok(());
        }
        let limit = 24.0 * ev.complexity.days() as f64;
        let late = rng.unit() < 0.04;
        t += if late { hours(rng, limit * 1.2, limit * 2.0) } else { hours(rng, 2.0, limit * 0.6) };
        push(&mut lp, t, &holder.clone(), Action::Handle { note: "已按要求办理完毕".into() }, &mut steps)?;
    }
    let closer = if c.village.tier == Tier::Village { c.village.id.clone() } else { c.township.clone() };
    t += hours(rng, 0.5, 18.0);
    push(&mut lp, t, &closer, Action::Close { note: "已电话回访，群众认可处理结果".into() }, &mut steps)?;
    if rng.unit() < 0.85 {
        t += hours(rng, 1.0, 48.0);
        let score = if rng.unit() < 0.9 { 5 } else { 3 + rng.below(2) as u8 };
        push(&mut lp, t, "reporter", Action::Rate { score }, &mut steps)?;
    }
    ev.steps.extend(steps);
    Ok(())
}

fn apply(lp: &Loop, step: &Step, cal: &WorkingCalendar) -> Result<Loop, DemoError> {
    lp.apply(&step.action, step.at, cal).map_err(|e| match e {
        wangge_core::event::TransitionError::Calendar(e) => DemoError::Calendar(e),
        other => DemoError::Illegal(format!("{} at {}: {other}", step.action.name(), step.at)),
    })
}

/// How far up an event goes: 0 on the spot, 1 village, 2 township, 3 county, 4 department.
fn escalation_path(rng: &mut Rng, c: Category) -> usize {
    let p: [f64; 5] = match c {
        Category::Livelihood => [0.74, 0.15, 0.07, 0.02, 0.02],
        Category::Hazard => [0.38, 0.25, 0.20, 0.07, 0.10],
        Category::Dispute => [0.55, 0.25, 0.15, 0.05, 0.0],
        Category::Other => [0.90, 0.10, 0.0, 0.0, 0.0],
    };
    let mut u = rng.unit();
    for (i, w) in p.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    0
}

fn reporter(rng: &mut Rng, ev: &mut DemoEvent, holder: &Holder) {
    let u = rng.unit();
    if u < 0.75 && holder.tier == Tier::Grid {
        ev.reporter_person_id = Some(holder.id.clone());
    } else if u < 0.9 {
        (ev.reporter_kind, ev.channel) = ("resident", "web");
        (ev.reporter_name, ev.reporter_phone) = (Some(name(rng)), Some(phone(rng)));
    } else {
        (ev.reporter_kind, ev.channel) = ("operator", "phone");
        (ev.reporter_name, ev.reporter_phone) = (Some(name(rng)), Some(phone(rng)));
    }
}

fn complexity(rng: &mut Rng, c: Category) -> Complexity {
    let p = match c {
        Category::Livelihood => 0.15,
        Category::Hazard => 0.4,
        Category::Dispute => 0.5,
        Category::Other => 0.1,
    };
    if rng.unit() < p { Complexity::Complex } else { Complexity::Ordinary }
}

fn pick_sub(rng: &mut Rng, c: Category) -> (&'static str, &'static str) {
    let list = match c {
        Category::Livelihood => LIVELIHOOD,
        Category::Hazard => HAZARD,
        Category::Dispute => DISPUTE,
        Category::Other => OTHER,
    };
    list[rng.below(list.len())]
}

/// Grids weighted by how many people live there: community grids are dense.
fn grid_weights(index: &GridIndex) -> Vec<f64> {
    let mut acc = 0.0;
    index
        .grids()
        .iter()
        .map(|g| {
            acc += match g.kind {
                GridKind::Community => 7.0,
                GridKind::Rural => 1.0,
                GridKind::StreetUnit => 0.0,
            };
            acc
        })
        .collect()
}

fn pick(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let u = rng.unit() * total;
    cumulative.partition_point(|&c| c <= u).min(cumulative.len().saturating_sub(1))
}

/// A random point in grid `g` (or in a street unit inside it), with the grid it is in.
fn point_in(rng: &mut Rng, index: &GridIndex, g: usize) -> Option<(LonLat, usize)> {
    let b = index.bbox(g)?;
    (0..200).find_map(|_| {
        let p = LonLat::new(b[0] + rng.unit() * (b[2] - b[0]), b[1] + rng.unit() * (b[3] - b[1])).ok()?;
        let at = index.grid_at(p)?;
        (at == g || index.grids()[at].kind == GridKind::StreetUnit).then_some((p, at))
    })
}

pub(super) fn working_days(cal: &WorkingCalendar, year: i32) -> Result<Vec<NaiveDate>, CalendarError> {
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::YearNotLoaded(year))?;
    while d.year() == year {
        if cal.is_working_day(d)? {
            out.push(d);
        }
        d = d.succ_opt().ok_or(CalendarError::YearNotLoaded(year + 1))?;
    }
    Ok(out)
}

/// A moment during office hours (08:00–18:00 China time) on a random working day.
fn moment(rng: &mut Rng, days: &[NaiveDate]) -> DateTime<Utc> {
    let d = days[rng.below(days.len())];
    let secs = 8 * 3600 + rng.below(10 * 3600) as i64;
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(secs);
    CHINA_TIME.from_local_datetime(&local).single().map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

fn hours(rng: &mut Rng, lo: f64, hi: f64) -> Duration {
    Duration::seconds(((lo + rng.unit() * (hi - lo)) * 3600.0) as i64)
}

fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}
