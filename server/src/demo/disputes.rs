//! The demo county's 2023 disputes, petitions and call-backs: every grid's monthly screening,
//! a case for each of the year's dispute events mediated step by step, the year's petitions,
//! call-backs of the closed events the county's rule samples (a 不满意 reopening its event,
//! which is then handled again and called back), and the townships' result indicators. All is
//! generated deterministically and written through the same rules as live records, so the
//! figures the stats compute from them are the county's reported ones (screening > 97 %,
//! mediated 100 %, success ≥ 95 %, petitions resolved ≥ 90 %, satisfaction > 95 %) without any
//! figure being stored.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use wangge_core::calendar::china_time;
use wangge_core::dispute::{Body, Level, Move, Route, SamplingRule, KINDS};
use wangge_core::event::{Action, Category, Holder};
use wangge_core::petition::{self, Channel, Lodged};
use wangge_geodata::demo::names;
use wangge_geodata::plan::Rng;

use super::DemoLoadError;
use crate::access::FieldKeys;
use crate::disputes::petitions::NewPetition;
use crate::disputes::{cases, petitions as files, Party};
use crate::events::rules::Rules;
use crate::events::transitions;
use crate::records::{Callback, EventFilter, EventRecord, Grid, Outcome, Page, Screening, StatsFilter};
use crate::store::Store;

/// The store fact saying the demo's disputes were loaded.
pub const FACT: &str = "demo_disputes";

/// Petitions generated for the year.
pub const PETITIONS: usize = 40;

/// What the disputes loader needs.
#[derive(Clone, Copy)]
pub struct DisputeInputs<'a> {
    /// The store.
    pub store: &'a Store,
    /// The calendar and roster (reopened events are handled again through the loop).
    pub rules: &'a Rules,
    /// The registry's keys (parties and petitioners are sealed).
    pub keys: &'a FieldKeys,
    /// The county's call-back rule.
    pub rule: &'a SamplingRule,
}

/// What was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisputeYear {
    /// Dispute cases.
    pub cases: usize,
    /// Screenings.
    pub screenings: u64,
    /// Petitions.
    pub petitions: usize,
    /// Call-backs.
    pub callbacks: u64,
}

fn china(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    china_time()
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
        .single()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn generated(e: impl std::fmt::Display) -> DemoLoadError {
    DemoLoadError::Event { report_id: "disputes".into(), reason: e.to_string() }
}

/// Loads the year into a demo store that does not have it yet; `None` when skipped.
pub async fn load_if_empty(i: DisputeInputs<'_>) -> Result<Option<DisputeYear>, DemoLoadError> {
    let store = i.store;
    if store.store_fact(super::DEMO_FACT).await?.is_none() || store.store_fact(FACT).await?.is_some() {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let mut rng = Rng::new(0x2023_0312);
    let year = StatsFilter { from: china(day(2023, 1, 1), 0), to: china(day(2024, 1, 1), 0), township: None, village: None, grid: None };
    let disputes = dispute_events(store, &year).await?;
    let mut loaded = DisputeYear::default();
    let mut failed_cases = Vec::new();
    for e in &disputes {
        if let Some((id, agreed)) = mediate(i, e, &mut rng).await? {
            loaded.cases += 1;
            if !agreed {
                failed_cases.push((id, e.place.clone()));
            }
        }
    }
    let grids = store.grids().await?;
    let screenings = screenings(&grids, &disputes, &mut rng);
    let (callbacks, reopening) = callbacks(i, &year, &mut rng).await?;
    let (s, c) = store.load_followups(&screenings, &callbacks).await?;
    loaded.screenings = s;
    loaded.callbacks = c;
    for (event_id, level, at) in reopening {
        loaded.callbacks += reopen_and_redo(i, &event_id, level, at).await?;
    }
    loaded.petitions = petitions(i, &grids, &failed_cases, &mut rng).await?;
    outcomes(store, &grids, &mut rng).await?;
    store.set_store_fact(FACT, "loaded").await?;
    tracing::info!(
        cases = loaded.cases,
        screenings = loaded.screenings,
        petitions = loaded.petitions,
        callbacks = loaded.callbacks,
        secs = started.elapsed().as_secs_f64(),
        "demo 2023 disputes, screenings, petitions and call-backs loaded"
    );
    Ok(Some(loaded))
}

/// The year's dispute events.
async fn dispute_events(store: &Store, year: &StatsFilter) -> Result<Vec<EventRecord>, DemoLoadError> {
    let filter = EventFilter { category: Some(Category::Dispute), from: Some(year.from), to: Some(year.to), ..EventFilter::default() };
    let mut out = Vec::new();
    for page in 1.. {
        let found = store.events(&filter, Page { page, per_page: 500 }).await?;
        let n = found.items.len();
        out.extend(found.items);
        if n < 500 {
            break;
        }
    }
    out.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    Ok(out)
}

/// A case for `e`, mediated to its outcome: (case id, agreed), or `None` if it had one.
async fn mediate(i: DisputeInputs<'_>, e: &EventRecord, rng: &mut Rng) -> Result<Option<(String, bool)>, DemoLoadError> {
    if i.store.dispute_of_event(&e.event_id).await?.is_some() {
        return Ok(None);
    }
    let actor = e.place.village.clone();
    let parties = (0..2)
        .map(|k| Party {
            name: names::name(rng),
            role: if k == 0 { "申请人".into() } else { "被申请人".into() },
            phone: Some(names::phone(rng)),
            record_id: None,
        })
        .collect();
    let kind = KINDS[rng.below(KINDS.len() - 1)].0.to_owned();
    let req = cases::NewCase {
        event_id: e.event_id.clone(),
        kind,
        scale: Some(if rng.unit() < 0.03 { "mass" } else { "ordinary" }.into()),
        people: 2 + u32::try_from(rng.below(3)).unwrap_or(0),
        summary: e.description.clone(),
        parties,
    };
    let t0 = e.reported_at + Duration::hours(2);
    let (mut case, first) = cases::open(e, req, i.keys, &actor, t0).map_err(generated)?;
    if !i.store.insert_dispute(&case, &first).await? {
        return Ok(None);
    }
    let body = match rng.below(20) {
        0..=13 => Body::PeoplesMediation,
        14..=17 => Body::JudicialOffice,
        18 => Body::Police,
        _ => Body::CourtLinked,
    };
    let accepted = t0 + Duration::hours(20);
    let agreed = rng.unit() < 0.97;
    let concluded = accepted + Duration::days(1 + i64::try_from(rng.below(20)).unwrap_or(0));
    let mut moves = vec![(accepted, Move::Accept { body, mediator: names::name(rng), method: "当面调解".into() })];
    if agreed {
        moves.push((concluded, Move::Agree { written: rng.unit() < 0.8, terms: "双方达成调解协议，按约履行".into() }));
        moves.push((concluded + Duration::days(30), Move::FollowUp { kept: rng.unit() < 0.96, note: "回访当事人，协议履行情况已核实".into() }));
    } else {
        moves.push((concluded, Move::Fail { route: if rng.unit() < 0.5 { Route::Litigation } else { Route::Arbitration }, reason: "双方分歧较大，未能达成协议".into() }));
    }
    let archived = moves.last().map_or(concluded, |(t, _)| *t) + Duration::days(1);
    moves.push((archived, Move::Archive));
    for (at, m) in moves {
        let (next, row) = cases::apply(&case, &m, &actor, at).map_err(generated)?;
        i.store.move_dispute(&next, case.seq, &row).await?;
        case = next;
    }
    Ok(Some((case.case_id, agreed)))
}

/// Every grid's screening of every month of 2023: nearly all on time, a few late, a few
/// missed; `found` the grid's dispute events of the month.
fn screenings(grids: &[Grid], disputes: &[EventRecord], rng: &mut Rng) -> Vec<Screening> {
    let mut found: HashMap<(&str, u32), i64> = HashMap::new();
    for e in disputes {
        let month = e.reported_at.with_timezone(&china_time()).month();
        *found.entry((e.place.grid.as_str(), month)).or_default() += 1;
    }
    let mut out = Vec::with_capacity(grids.len() * 12);
    for g in grids {
        for month in 1..=12u32 {
            let u = rng.unit();
            let at = if u < 0.985 {
                china(day(2023, month, 1 + u32::try_from(rng.below(25)).unwrap_or(0)), 9 + u32::try_from(rng.below(8)).unwrap_or(0))
            } else if u < 0.995 {
                let next = if month == 12 { day(2024, 1, 3) } else { day(2023, month + 1, 3) };
                china(next, 10)
            } else {
                continue;
            };
            let n = found.get(&(g.code.as_str(), month)).copied().unwrap_or(0);
            out.push(Screening {
                grid_code: g.code.clone(),
                month: format!("2023-{month:02}"),
                township_code: g.township_code.clone(),
                village_code: g.village_code.clone(),
                screened_at: at,
                screened_by: g.village_code.clone(),
                found: n,
                note: if n == 0 { "本月排查未发现矛盾纠纷".into() } else { format!("本月排查发现矛盾纠纷{n}起，已登记") },
                updated_at: at,
            });
        }
    }
    out
}

/// The call-backs of the year's closed events the rule samples, and the calls that reopen
/// their event (recorded separately, through the loop).
async fn callbacks(
    i: DisputeInputs<'_>,
    year: &StatsFilter,
    rng: &mut Rng,
) -> Result<(Vec<Callback>, Vec<(String, Level, DateTime<Utc>)>), DemoLoadError> {
    let closed = i.store.closed_events(year).await?;
    let mut out = Vec::new();
    let mut reopening = Vec::new();
    for e in closed.iter().filter(|e| i.rule.due(&e.event_id, &e.category, false)) {
        let Some(event) = i.store.event(&e.event_id).await? else { continue };
        let mut at = e.closed_at + Duration::hours(26);
        let mut n = 0;
        // Not everyone answers the first call.
        while rng.unit() < 0.07 && n < 2 {
            n += 1;
            out.push(call(&event, format!("C{}-{n}", e.event_id), at, None, "无人接听"));
            at += Duration::hours(24);
        }
        let u = rng.unit();
        let level = if u < 0.70 {
            Level::VerySatisfied
        } else if u < 0.977 {
            Level::Satisfied
        } else if u < 0.995 {
            Level::Dissatisfied
        } else {
            Level::VeryDissatisfied
        };
        if level.reopens() {
            reopening.push((e.event_id.clone(), level, at));
        } else {
            out.push(call(&event, format!("C{}-{}", e.event_id, n + 1), at, Some(level), ""));
        }
    }
    Ok((out, reopening))
}

fn call(e: &EventRecord, id: String, at: DateTime<Utc>, level: Option<Level>, note: &str) -> Callback {
    Callback {
        callback_id: id,
        event_id: e.event_id.clone(),
        at,
        actor: e.place.township.clone(),
        source: "desk".into(),
        reached: level.is_some(),
        level,
        note: note.into(),
        reopened: level.is_some_and(Level::reopens),
        place: e.place.clone(),
        event_reported_at: e.reported_at,
    }
}

/// A 不满意 call: the event reopened to its holder, handled and closed again, and called back
/// once more (satisfied). Answers the call-backs written.
async fn reopen_and_redo(i: DisputeInputs<'_>, event_id: &str, level: Level, at: DateTime<Utc>) -> Result<u64, DemoLoadError> {
    let Some(event) = i.store.event(event_id).await? else { return Ok(0) };
    if !event.flow.state.is_closed() {
        return Ok(0);
    }
    let id = format!("C{event_id}-r");
    let first = call(&event, id.clone(), at, Some(level), "问题未彻底解决");
    let caller = event.place.township.clone();
    let reason = format!("回访{}：问题未彻底解决", level.zh());
    let extra = json!({ "callback_id": id, "level": level.zh(), "source": "desk" });
    let mut e = transitions::apply(i.store, i.rules, &event, &Action::Reopen { reason }, &caller, Some(extra), Vec::new(), at)
        .await
        .map_err(generated)?;
    i.store.insert_callback(&first).await?;
    let holder: Option<Holder> = e.flow.holder.clone();
    let by = holder.map_or(caller.clone(), |h| h.id);
    let steps = [
        (Action::Accept, by.as_str(), Duration::hours(2)),
        (Action::Handle { note: "再次上门处置，问题已解决".into() }, by.as_str(), Duration::hours(30)),
        (Action::Close { note: "已再次办结并答复".into() }, caller.as_str(), Duration::hours(34)),
    ];
    for (action, actor, after) in steps {
        e = transitions::apply(i.store, i.rules, &e, &action, actor, None, Vec::new(), at + after).await.map_err(generated)?;
    }
    let again = call(&e, format!("C{event_id}-r2"), at + Duration::hours(60), Some(Level::Satisfied), "");
    i.store.insert_callback(&again).await?;
    Ok(2)
}

/// The year's petitions: most lodged at the county, a few in the city and two in the
/// province; three repeats of earlier matters; some on disputes that mediation did not settle.
async fn petitions(i: DisputeInputs<'_>, grids: &[Grid], failed: &[(String, crate::records::Place)], rng: &mut Rng) -> Result<usize, DemoLoadError> {
    let mut villages: Vec<(&str, &str)> = grids.iter().map(|g| (g.township_code.as_str(), g.village_code.as_str())).collect();
    villages.sort_unstable();
    villages.dedup();
    if villages.is_empty() {
        return Ok(0);
    }
    let matters = ["征地补偿款发放问题", "宅基地确权争议", "拖欠农民工工资", "物业服务质量投诉", "低保资格认定异议", "土地承包经营权纠纷"];
    let mut written = 0;
    let mut received_on = Vec::with_capacity(PETITIONS);
    for n in 0..PETITIONS {
        let id = format!("P2023-{:03}", n + 1);
        let linked = failed.get(n);
        let (township, village) = match linked {
            Some((_, place)) => (place.township.clone(), place.village.clone()),
            None => {
                let (t, v) = villages[rng.below(villages.len())];
                (t.to_owned(), v.to_owned())
            }
        };
        let repeat_of = (n >= PETITIONS - 3).then(|| format!("P2023-{:03}", n - 30));
        // A repeat comes after the answer to its first petition.
        let received = match &repeat_of {
            Some(_) => received_on.get(n - 31).copied().unwrap_or_else(|| china(day(2023, 6, 1), 9)) + Duration::days(70),
            None => china(day(2023, 1, 1) + Duration::days(i64::try_from(rng.below(300)).unwrap_or(0)), 9),
        };
        received_on.push(received);
        if i.store.petition(&id).await?.is_some() {
            continue;
        }
        let req = NewPetition {
            channel: match rng.below(3) { 0 => Channel::Letter, 1 => Channel::Visit, _ => Channel::Online },
            lodged: match n { 0 | 1 => Lodged::Province, 2..=5 => Lodged::City, _ => Lodged::County },
            received_at: Some(received),
            township,
            village: Some(village),
            petitioners: vec![Party { name: names::name(rng), role: "信访人".into(), phone: Some(names::phone(rng)), record_id: None }],
            people: 1,
            matter: matters[rng.below(matters.len())].into(),
            event_id: None,
            case_id: linked.map(|(c, _)| c.clone()),
            repeat_of,
        };
        let actor = "县信访局".to_owned();
        let (mut p, first) = files::open(req, id, i.keys, &actor, received).map_err(generated)?;
        i.store.insert_petition(&p, &first).await?;
        let accepted = received + Duration::days(3);
        let answered = accepted + Duration::days(20 + i64::try_from(rng.below(30)).unwrap_or(0));
        // Three first petitions end unresolved (the matter came back as repeats).
        let resolved = !matches!(n, 7..=9);
        for (at, m) in [
            (accepted, petition::Move::Accept { office: "乡镇信访办".into() }),
            (answered, petition::Move::Answer { resolved, note: if resolved { "经调查处理，诉求已解决".into() } else { "已依法答复，当事人仍有异议".into() } }),
        ] {
            let (next, row) = files::apply(&p, &m, &actor, at).map_err(generated)?;
            i.store.move_petition(&next, p.seq, &row).await?;
            p = next;
        }
        written += 1;
    }
    Ok(written)
}

/// The townships' result indicators of 2023: two public-safety incidents, no 民转刑 case.
async fn outcomes(store: &Store, grids: &[Grid], rng: &mut Rng) -> Result<(), DemoLoadError> {
    let mut townships: Vec<&str> = grids.iter().map(|g| g.township_code.as_str()).collect();
    townships.sort_unstable();
    townships.dedup();
    if townships.is_empty() {
        return Ok(());
    }
    for n in 0..2 {
        let at = day(2023, 1, 1) + Duration::days(i64::try_from(rng.below(360)).unwrap_or(0));
        let o = Outcome {
            outcome_id: format!("O2023-{}", n + 1),
            township_code: townships[rng.below(townships.len())].to_owned(),
            kind: "public_safety_incident".into(),
            occurred_on: at.to_string(),
            note: if n == 0 { "道路交通事故，一人受伤".into() } else { "民房火灾，无人员伤亡".into() },
            reference: None,
            recorded_by: "demo".into(),
            recorded_at: china(at, 18),
        };
        store.insert_outcome(&o).await?;
    }
    Ok(())
}
