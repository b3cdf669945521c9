//! 信访台账 — the petitions of a period and area (`GET /api/v1/petitions`), filtered by township
//! and stage, paged, exported as XLSX; a row opens its file; 登记信访 registers one
//! (`POST /api/v1/petitions`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::wire::Paged;

use super::petition_case::PetitionFile;
use super::{first_text, ledgers, may_handle_petitions, own_township, pages, text, time, township_name, CodeSelect, Filter, TownshipSelect};
use crate::{api, labels};

/// The ledger, its filters, the register form and the petition open.
#[component]
pub fn PetitionLedger() -> impl IntoView {
    let l = ledgers();
    let applied = RwSignal::new(Filter::home());
    let answer = RwSignal::new(None::<Result<Paged<Value>, String>>);
    let registering = RwSignal::new(false);
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let url = applied.get().url("/api/v1/petitions", &[]);
        l.reloads.track();
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let got = api::get::<Paged<Value>>(&url).await;
            if asked.get_value() == n {
                answer.set(Some(got));
            }
        });
    });
    let total = move || answer.with(|a| a.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |p| p.total));
    let go = move |delta: i32| {
        let last = pages(total());
        applied.update(|f| f.page = f.page.saturating_add_signed(delta).clamp(1, last));
    };
    let export = move || applied.with(|f| f.url("/api/v1/petitions", &[("format", "xlsx")]));
    view! {
        <Filters applied/>
        <div class="row registry-actions">
            {may_handle_petitions().then(|| view! {
                <button id="petition-new" on:click=move |_| registering.update(|r| *r = !*r)>"登记信访"</button>
            })}
            <a id="petition-export" class="button" href=export download="">"导出 XLSX"</a>
        </div>
        {move || registering.get().then(|| view! {
            <RegisterPetition on_done=Callback::new(move |id: String| {
                registering.set(false);
                l.reload();
                l.open_petition(id);
            })/>
        })}
        {move || match answer.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" id="petition-error">{e}</p> }.into_any(),
            Some(Ok(p)) => view! {
                <p class="note" id="petition-total">{format!("共 {} 件", p.total)}</p>
                <table class="clickable ledger" id="petition-list">
                    <thead><tr><th>"收到"</th><th>"渠道"</th><th>"层级"</th><th>"乡镇"</th><th>"人数"</th><th>"阶段"</th><th>"事项"</th></tr></thead>
                    <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <div class="pager">
            <button id="petition-prev" on:click=move |_| go(-1) prop:disabled=move || applied.with(|f| f.page <= 1)>"上一页"</button>
            <span id="petition-page">{move || format!("第 {} / {} 页", applied.with(|f| f.page), pages(total()))}</span>
            <button id="petition-next" on:click=move |_| go(1) prop:disabled=move || { applied.with(|f| f.page) >= pages(total()) }>"下一页"</button>
        </div>
        {move || l.petition.get().map(|id| view! { <PetitionFile id/> })}
    }
}

/// The period, township and stage.
#[component]
fn Filters(applied: RwSignal<Filter>) -> impl IntoView {
    let start = applied.get_untracked();
    let (from, to) = (RwSignal::new(start.from), RwSignal::new(start.to));
    let (township, stage) = (RwSignal::new(start.township), RwSignal::new(start.stage));
    let date = move |id: &'static str, v: RwSignal<String>| {
        view! { <input id=id type="date" prop:value=move || v.get() on:change=move |ev| v.set(event_target_value(&ev))/> }
    };
    view! {
        <form class="filters" id="petition-filters" on:submit=move |ev| {
            ev.prevent_default();
            applied.set(Filter {
                from: from.get_untracked(),
                to: to.get_untracked(),
                township: township.get_untracked(),
                stage: stage.get_untracked(),
                kind: String::new(),
                page: 1,
            });
        }>
            <div class="row">
                <label>"自" {date("petition-from", from)}</label>
                <label>"至" {date("petition-to", to)}</label>
            </div>
            <div class="row">
                <TownshipSelect id="petition-township" value=township/>
                <CodeSelect id="petition-stage" list=labels::PETITION_STAGES value=stage all="全部阶段"/>
                <button id="petition-search" type="submit">"查询"</button>
            </div>
        </form>
    }
}

/// One petition of the ledger.
fn row(p: Value) -> impl IntoView {
    let l = ledgers();
    let id = first_text(&p, &["petition_id", "id"]);
    let open = id.clone();
    let selected = {
        let id = id.clone();
        move || l.petition.with(|c| c.as_deref() == Some(id.as_str()))
    };
    let stage = text(&p, "stage");
    let matter: String = text(&p, "matter").chars().take(30).collect();
    let level = text(&p, "level");
    let beyond = matches!(level.as_str(), "province" | "beijing");
    view! {
        <tr data-petition-id=id data-stage=stage.clone() class:selected=selected on:click=move |_| l.petition.set(Some(open.clone()))>
            <td>{time(&p, "received_at")}</td>
            <td>{labels::coded(labels::PETITION_CHANNELS, &text(&p, "channel"))}</td>
            <td class:overdue-flag=beyond>{labels::coded(labels::PETITION_LEVELS, &level)}</td>
            <td>{township_name(&text(&p, "township"))}</td>
            <td>{text(&p, "people")}</td>
            <td class="stage">{labels::coded(labels::PETITION_STAGES, &stage)}</td>
            <td>{matter}</td>
        </tr>
    }
}

/// A petition as typed in.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    channel: String,
    level: String,
    received_at: String,
    township: String,
    village: String,
    names: String,
    phone: String,
    people: String,
    matter: String,
    event_id: String,
    case_id: String,
    repeat_of: String,
}

impl Draft {
    /// The request body; optional fields left out when empty. Several petitioners' names
    /// are separated by 、 or commas (the phone goes with the first).
    fn body(&self) -> Value {
        let mut petitioners: Vec<Value> = self
            .names
            .split(['、', ',', '，'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| json!({"name": n}))
            .collect();
        if let (Some(first), false) = (petitioners.first_mut(), self.phone.trim().is_empty()) {
            first["phone"] = json!(self.phone.trim());
        }
        let mut b = json!({
            "channel": self.channel,
            "level": self.level,
            "township": self.township,
            "petitioners": petitioners,
            "people": self.people.trim().parse::<u32>().unwrap_or(0),
            "matter": self.matter.trim(),
        });
        // A datetime-local value is China time.
        if !self.received_at.is_empty() {
            b["received_at"] = json!(format!("{}:00+08:00", self.received_at));
        }
        for (k, v) in [("village", &self.village), ("event_id", &self.event_id), ("case_id", &self.case_id), ("repeat_of", &self.repeat_of)] {
            if !v.trim().is_empty() {
                b[k] = json!(v.trim());
            }
        }
        b
    }
}

/// 登记信访.
#[component]
fn RegisterPetition(#[prop(into)] on_done: Callback<String>) -> impl IntoView {
    let d = RwSignal::new(Draft {
        channel: "visit".to_owned(),
        level: "county".to_owned(),
        received_at: String::new(),
        township: own_township(),
        village: String::new(),
        names: String::new(),
        phone: String::new(),
        people: "1".to_owned(),
        matter: String::new(),
        event_id: String::new(),
        case_id: String::new(),
        repeat_of: String::new(),
    });
    let (channel, level, township) = (RwSignal::new("visit".to_owned()), RwSignal::new("county".to_owned()), RwSignal::new(own_township()));
    Effect::new(move |_| {
        let (c, l, t) = (channel.get(), level.get(), township.get());
        d.update(|d| {
            d.channel = c;
            d.level = l;
            d.township = t;
        });
    });
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move || {
        let b = d.with_untracked(Draft::body);
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", "/api/v1/petitions", &b).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => on_done.run(super::petition_case::petition_id(&v)),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, text)) => error.set(format!("登记失败（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    let input = move |id: &'static str, ty: &'static str, placeholder: &'static str, get: fn(&Draft) -> String, set: fn(&mut Draft, String)| {
        view! { <input id=id type=ty placeholder=placeholder prop:value=move || d.with(get)
            on:input=move |ev| d.update(|x| set(x, event_target_value(&ev)))/> }
    };
    view! {
        <form class="case-form" id="petition-register" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <b>"登记信访"</b>
            <div class="row">
                <label>"渠道" <CodeSelect id="petition-channel" list=labels::PETITION_CHANNELS value=channel/></label>
                <label>"登记层级" <CodeSelect id="petition-level" list=labels::PETITION_LEVELS value=level/></label>
                <label>"收到时间" {input("petition-received", "datetime-local", "", |x| x.received_at.clone(), |x, v| x.received_at = v)}</label>
            </div>
            <div class="row">
                <label>"乡镇" <TownshipSelect id="petition-reg-township" value=township all="请选择"/></label>
                {input("petition-village", "text", "村(社区)代码（可空）", |x| x.village.clone(), |x, v| x.village = v)}
            </div>
            <div class="row">
                {input("petition-names", "text", "信访人姓名（多人用、分隔）", |x| x.names.clone(), |x, v| x.names = v)}
                {input("petition-phone", "tel", "电话（可空）", |x| x.phone.clone(), |x, v| x.phone = v)}
                <label>"人数" {input("petition-people", "number", "", |x| x.people.clone(), |x, v| x.people = v)}</label>
            </div>
            <textarea id="petition-matter" placeholder="信访事项" prop:value=move || d.with(|x| x.matter.clone())
                on:input=move |ev| d.update(|x| x.matter = event_target_value(&ev))></textarea>
            <div class="row">
                {input("petition-event", "text", "关联事件（可空）", |x| x.event_id.clone(), |x, v| x.event_id = v)}
                {input("petition-case", "text", "关联纠纷案件（可空）", |x| x.case_id.clone(), |x, v| x.case_id = v)}
                {input("petition-repeat", "text", "重复信访的首件（可空）", |x| x.repeat_of.clone(), |x, v| x.repeat_of = v)}
            </div>
            <button id="petition-submit" type="submit" prop:disabled=move || busy.get()>"登记"</button>
            <p class="error" id="petition-register-error" role="alert">{move || error.get()}</p>
        </form>
    }
}
