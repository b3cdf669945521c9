//! The editor's side panel: the village to edit, the tools, the draft's grids and the selected
//! grid's properties and bound gridworkers, the check's problems and impact, and publishing.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::draft::{self, Props};
use super::{map, CheckAnswer, Editor, Mode, Problem, Publish};
use wangge_core::draft::Severity;

/// The wire name of a problem's kind or severity (`overlap`, `error`).
fn wire_name(v: impl serde::Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
use crate::app::shared;

/// The 网格规划 page's side panel.
#[component]
pub fn Planner() -> impl IntoView {
    let s = shared();
    let e = use_context::<Editor>().unwrap_or_default();
    e.load_villages();
    if e.draft.with_untracked(Option::is_some) {
        request_animation_frame(move || e.attach());
    }
    let keys = window_event_listener(ev::keydown, move |k: web_sys::KeyboardEvent| {
        if !(k.ctrl_key() || k.meta_key()) || typing(&k) || e.draft.with_untracked(Option::is_none) {
            return;
        }
        match k.key().to_lowercase().as_str() {
            "z" if k.shift_key() => e.redo(),
            "z" => e.undo(),
            "y" => e.redo(),
            _ => return,
        }
        k.prevent_default();
    });
    on_cleanup(move || {
        keys.remove();
        map::stop();
    });
    let editing = move || e.draft.with(Option::is_some);
    view! {
        <h2>"网格规划"</h2>
        <VillagePicker e/>
        <div class="row">
            <button id="draft-start" prop:disabled=move || !s.map_ready.get() || e.busy.get() || e.village.get().len() != 12
                on:click=move |_| e.start()>
                {move || if editing() { "重新载入" } else { "开始编辑" }}
            </button>
        </div>
        <Show when=move || e.village.get().len() == 12>
            <super::import::ImportPanel e/>
        </Show>
        <p class="note" id="draft-message">{move || e.message.get()}</p>
        <p class="error" id="draft-error" role="alert">{move || e.error.get()}</p>
        <Show when=editing>
            <Tools e/>
            <GridList e/>
            <PropsForm e/>
            <CheckPanel e/>
            <PublishPanel e/>
        </Show>
    }
}

/// Whether a key went to a text field (its own undo then applies).
fn typing(k: &web_sys::KeyboardEvent) -> bool {
    k.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

#[component]
fn VillagePicker(e: Editor) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let shown = move || {
        let f = filter.get();
        let f = f.trim();
        e.villages.with(|all| {
            all.iter()
                .filter(|v| f.is_empty() || v.name.contains(f) || v.code.starts_with(f) || v.township.contains(f))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="row">
            <input id="village-search" type="search" placeholder="搜索村(社区)名称、代码或乡镇"
                prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
        </div>
        <div class="row">
            <select id="village-select" class="wide-select" on:change=move |ev| e.village.set(event_target_value(&ev))>
                <option value="" selected=move || e.village.get().is_empty()>"— 选择村(社区) —"</option>
                {move || shown().into_iter().map(|v| {
                    let code = v.code.clone();
                    let chosen = e.village.get_untracked() == code;
                    view! { <option value=code selected=chosen>{format!("{} · {} {}", v.township, v.name, v.code)}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn Tools(e: Editor) -> impl IntoView {
    let tool = move |id: &'static str, mode: Mode, label: &'static str| {
        view! {
            <button id=id class="tool" class:active=move || e.mode.get() == mode on:click=move |_| e.set_mode(mode)>{label}</button>
        }
    };
    let can_undo = move || e.draft.with(|d| d.as_ref().is_some_and(draft::Draft::can_undo));
    let can_redo = move || e.draft.with(|d| d.as_ref().is_some_and(draft::Draft::can_redo));
    view! {
        <div class="row tools">
            {tool("tool-select", Mode::Select, "选择")}
            {tool("tool-split", Mode::Split, "拆分")}
            {tool("tool-merge", Mode::Merge, "合并")}
            {tool("tool-vertex", Mode::Vertex, "编辑顶点")}
            <button id="draft-undo" title="Ctrl+Z" prop:disabled=move || !can_undo() on:click=move |_| e.undo()>"撤销"</button>
            <button id="draft-redo" title="Ctrl+Y" prop:disabled=move || !can_redo() on:click=move |_| e.redo()>"重做"</button>
        </div>
        {move || match e.mode.get() {
            Mode::Select => view! { <p class="note">"点击地图上的网格或下表中的一行选择网格。"</p> }.into_any(),
            Mode::Split => view! {
                <p class="note">"先选择网格，再在地图上依次点击画切割线（两端在网格之外），双击或点“完成”结束。"</p>
                <div class="buttons">
                    <button id="split-done" on:click=move |_| { if !map::finish_line() { e.fail("切割线至少需要两个点"); } }>"完成"</button>
                    <button on:click=move |_| e.set_mode(Mode::Split)>"重画"</button>
                </div>
            }.into_any(),
            Mode::Merge => view! {
                <p class="note">"在地图上依次点击两个相邻网格：" <span class="code">{move || e.selected.get()}</span> " + "
                    <span class="code" id="merge-second">{move || e.second.get()}</span></p>
                <button id="merge-confirm" prop:disabled=move || e.second.get().is_empty() on:click=move |_| e.merge()>"确认合并"</button>
            }.into_any(),
            Mode::Vertex => view! { <p class="note">"拖动所选网格的顶点；相邻网格的同一顶点一起移动，靠近其他顶点或边时自动吸附。"</p> }.into_any(),
        }}
    }
}

#[component]
fn GridList(e: Editor) -> impl IntoView {
    let rows = move || {
        e.draft.with(|d| {
            d.as_ref()
                .map(|d| d.grids.iter().map(|f| (draft::code(f), draft::prop(f, |p| &p.name), draft::prop(f, |p| &p.kind))).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    view! {
        <h3>{move || format!("草稿网格（{} 个）", rows().len())}</h3>
        <table class="clickable" id="draft-grids">
            <tr><th>"编码"</th><th>"名称"</th><th>"类型"</th></tr>
            {move || rows().into_iter().map(|(code, name, kind)| {
                let c = code.clone();
                let id = format!("draft-grid-{code}");
                let selected = { let c = code.clone(); move || e.selected.get() == c || e.second.get() == c };
                view! {
                    <tr id=id class:selected=selected
                        on:click=move |_| { e.select(c.clone()); map::fit(&c); }>
                        <td class="code">{code}</td><td>{name}</td><td>{kind_label(&kind)}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "community" => "社区网格",
        "rural" => "农村网格",
        "street_unit" => "驻街单位",
        _ => "其他",
    }
}

#[component]
fn PropsForm(e: Editor) -> impl IntoView {
    let form = RwSignal::new(Props::default());
    Effect::new(move |_| {
        let code = e.selected.get();
        let props = e.draft.with(|d| d.as_ref().and_then(|d| d.props(&code)));
        form.set(props.unwrap_or_default());
    });
    let apply = move || {
        let code = e.selected.get_untracked();
        let p = form.get_untracked();
        if e.edit(|d| d.set_props(&code, &p)).is_some() {
            e.selected.set(p.code.trim().to_owned());
            map::select(p.code.trim());
            e.say("属性已更新");
        }
    };
    let field = move |id: &'static str, get: fn(&Props) -> String, set: fn(&mut Props, String)| {
        view! { <input id=id type="text" prop:value=move || form.with(get)
            on:input=move |ev| { let v = event_target_value(&ev); form.update(|p| set(p, v)); }/> }
    };
    view! {
        <Show when=move || !e.selected.get().is_empty() && e.mode.get() != Mode::Merge>
            <div class="actions" id="grid-props">
                <b>"所选网格"</b>
                <dl class="facts">
                    <dt>"编码"</dt><dd>{field("prop-code", |p| p.code.clone(), |p, v| p.code = v)}</dd>
                    <dt>"名称"</dt><dd>{field("prop-name", |p| p.name.clone(), |p, v| p.name = v)}</dd>
                    <dt>"类型"</dt><dd>
                        <select id="prop-kind" on:change=move |ev| { let v = event_target_value(&ev); form.update(|p| p.kind = v); }>
                            {["community", "rural", "street_unit"].into_iter().map(|k| view! {
                                <option value=k selected=move || form.with(|p| p.kind == k)>{kind_label(k)}</option>
                            }).collect_view()}
                        </select>
                    </dd>
                    <dt>"上级网格"</dt><dd>{field("prop-parent", |p| p.parent_grid.clone(), |p, v| p.parent_grid = v)}</dd>
                </dl>
                <button id="props-apply" on:click=move |_| apply()>"应用"</button>
                <Gridworkers e/>
            </div>
        </Show>
    }
}

/// 绑定网格员: the person ids bound to the selected grid, each removable, and one to add.
#[component]
fn Gridworkers(e: Editor) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let ids = move || {
        let code = e.selected.get();
        e.draft.with(|d| d.as_ref().and_then(|d| d.grid(&code)).map(draft::gridworkers).unwrap_or_default())
    };
    let add = move || {
        if e.bind(&typed.get_untracked()) {
            typed.set(String::new());
        }
    };
    view! {
        <div id="grid-gridworkers">
            <b>"绑定网格员"</b>
            <div class="chips" id="gridworker-chips">
                {move || {
                    let ids = ids();
                    if ids.is_empty() {
                        return view! { <span class="note">"（无）"</span> }.into_any();
                    }
                    ids.into_iter().map(|id| {
                        let gone = id.clone();
                        view! {
                            <span class="chip" data-id=id.clone()>{id.clone()}
                                <button class="chip-remove" title="解除绑定" aria-label=format!("解除绑定 {id}")
                                    on:click=move |_| e.unbind(&gone)>"×"</button>
                            </span>
                        }
                    }).collect_view().into_any()
                }}
            </div>
            <div class="row">
                <input id="gridworker-id" type="text" placeholder="网格员编号" prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                    on:keydown=move |k: web_sys::KeyboardEvent| if k.key() == "Enter" { add(); }/>
                <button id="gridworker-add" on:click=move |_| add()>"添加"</button>
            </div>
        </div>
    }
}

#[component]
fn CheckPanel(e: Editor) -> impl IntoView {
    view! {
        <h3>"校验"</h3>
        <button id="draft-check" on:click=move |_| e.check()>"校验"</button>
        {move || e.check.get().map(|c| view! { <CheckResult e c/> })}
    }
}

#[component]
fn CheckResult(e: Editor, c: CheckAnswer) -> impl IntoView {
    let i = c.impact.clone();
    let verdict = if c.publishable { "可以发布" } else { "不能发布：请先解决错误" };
    let list = |label: &'static str, id: &'static str, codes: Vec<String>| {
        view! { <dt>{label}</dt><dd id=id class="code">{if codes.is_empty() { "—".to_owned() } else { codes.join("、") }}</dd> }
    };
    view! {
        <div id="check-result" class="check" class:ok=c.publishable data-publishable=c.publishable.to_string()>
            <p><b>{verdict}</b></p>
            <ul class="problems" id="check-problems">
                {c.problems.into_iter().map(|p| view! { <ProblemRow e p/> }).collect_view()}
            </ul>
            <div class="kpis">
                <div class="kpi"><span>"在办事件改属"</span><b id="impact-open">{i.open_events_moved}</b></div>
                <div class="kpi"><span>"历史事件改属"</span><b id="impact-past">{i.past_events_moved}</b></div>
                <div class="kpi"><span>"涉及网格员"</span><b id="impact-workers">{i.gridworkers_affected}</b></div>
                <div class="kpi"><span>"新增绑定"</span><b id="impact-bindings-added">{i.bindings_added}</b></div>
                <div class="kpi"><span>"解除绑定"</span><b id="impact-bindings">{i.bindings_dropped}</b></div>
            </div>
            <dl class="facts">
                {list("新增", "impact-added", i.added)}
                {list("删除", "impact-removed", i.removed)}
                {list("改形", "impact-reshaped", i.reshaped)}
            </dl>
            <p class="note">{format!("改属事件 {} 件；地图上灰色虚线为原边界，实线为草稿。", i.events.len())}</p>
        </div>
    }
}

#[component]
fn ProblemRow(e: Editor, p: Problem) -> impl IntoView {
    let error = p.severity == Severity::Error;
    let class = if error { "problem error-row" } else { "problem warning-row" };
    let label = if error { "错误" } else { "警告" };
    let text = format!("{}（{}）{}", p.message, wire_name(p.kind), if p.grids.is_empty() { String::new() } else { format!(" · {}", p.grids.join("、")) });
    view! {
        <li class=class data-severity=wire_name(p.severity) on:click=move |_| e.show_problem(&p)>
            <span class="tag">{label}</span>{text}
        </li>
    }
}

#[component]
fn PublishPanel(e: Editor) -> impl IntoView {
    view! {
        <h3>"发布"</h3>
        <p class="note" id="draft-changed">{move || {
            let changed = e.draft.with(|d| d.as_ref().is_some_and(draft::Draft::changed));
            if changed { "草稿已改动，尚未发布。" } else { "草稿与已发布的网格相同。" }
        }}</p>
        <textarea id="publish-note" class="note-input" placeholder="说明（必填）：为何调整边界"
            prop:value=move || e.note.get() on:input=move |ev| e.note.set(event_target_value(&ev))></textarea>
        <div class="buttons">
            <button id="draft-publish" prop:disabled=move || e.busy.get() || e.note.get().trim().is_empty() on:click=move |_| e.publish()>"发布"</button>
        </div>
        {move || match e.publish.get() {
            Publish::None => ().into_any(),
            Publish::Done(generation, reassigned) => view! {
                <p class="result ok" id="publish-result">{format!("发布成功：新版本 {generation}，{reassigned} 件事件重新指派。")}</p>
            }.into_any(),
            Publish::Conflict(detail) => view! {
                <div class="conflict" id="publish-conflict" role="alert">
                    <p class="error">{format!("发布冲突：他人已在此期间发布了该区域的网格（{detail}）。请重新载入后再编辑。")}</p>
                    <button id="draft-reload" on:click=move |_| e.start()>"重新载入"</button>
                </div>
            }.into_any(),
            Publish::Failed(why) => view! { <p class="error" id="publish-error">{why}</p> }.into_any(),
        }}
    }
}
