//! 网格规划 — the planner's boundary editor (`edit_grids`): a village's grids loaded as an
//! in-memory draft (`GET /api/v1/drafts/base`), edited on the map (split along a drawn line
//! with `POST /api/v1/drafts/split`, merge, properties, bound gridworkers, shared vertices
//! dragged, snapping to vertices and edges), with undo and
//! redo, checked (`POST /api/v1/drafts/check`: problems and the impact on events and
//! gridworkers) and published (`POST /api/v1/drafts/publish`, refused with 409 when someone
//! published the area meanwhile). A planner's file (GeoJSON, GeoPackage, zipped Shapefile) can
//! replace the draft's grids (`POST /api/v1/drafts/import`).

mod draft;
mod geometry;
mod import;
mod map;
mod view;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::{json, Value};
use wangge_core::draft::Severity;
use wangge_core::wire::draft::{CheckAnswer, DraftBase, DraftInvalid, DraftProblem as Problem, GridCollection, Impact, PublishAnswer, SplitAnswer};

use crate::api;
pub use view::Planner;

use draft::Draft;

/// What a click on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 选择 — a click selects a grid.
    Select,
    /// 拆分 — clicks draw the cutting line through the selected grid.
    Split,
    /// 合并 — two clicks pick the grids to merge.
    Merge,
    /// 编辑顶点 — the selected grid's vertices are dragged.
    Vertex,
}

impl Mode {
    fn wire(self) -> &'static str {
        match self {
            Self::Select => "select",
            Self::Split => "split",
            Self::Merge => "merge",
            Self::Vertex => "vertex",
        }
    }
}

/// A village to choose: code, name, township name.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageItem {
    code: String,
    name: String,
    township: String,
}

#[derive(Debug, Deserialize)]
struct Divisions {
    townships: Vec<TownshipNode>,
}

#[derive(Debug, Deserialize)]
struct TownshipNode {
    name: String,
    #[serde(default)]
    villages: Vec<VillageNode>,
}

#[derive(Debug, Deserialize)]
struct VillageNode {
    code: String,
    name: String,
}

/// How the last publish went.
#[derive(Debug, Clone, PartialEq)]
pub enum Publish {
    /// Not tried since the draft was loaded.
    None,
    /// Published: the new generation and the events reassigned.
    Done(i64, usize),
    /// 409: someone published the area meanwhile (the service's words).
    Conflict(String),
    /// Refused or failed otherwise.
    Failed(String),
}

/// The editor's state (signal handles), shared by its views and kept across view switches.
#[derive(Clone, Copy)]
pub struct Editor {
    villages: RwSignal<Vec<VillageItem>>,
    village: RwSignal<String>,
    draft: RwSignal<Option<Draft>>,
    selected: RwSignal<String>,
    second: RwSignal<String>,
    mode: RwSignal<Mode>,
    message: RwSignal<String>,
    error: RwSignal<String>,
    check: RwSignal<Option<CheckAnswer>>,
    publish: RwSignal<Publish>,
    note: RwSignal<String>,
    busy: RwSignal<bool>,
    callbacks: StoredValue<Option<map::Callbacks>, LocalStorage>,
}

impl Editor {
    /// A fresh editor with no draft.
    pub fn new() -> Self {
        Self {
            villages: RwSignal::new(Vec::new()),
            village: RwSignal::new(String::new()),
            draft: RwSignal::new(None),
            selected: RwSignal::new(String::new()),
            second: RwSignal::new(String::new()),
            mode: RwSignal::new(Mode::Select),
            message: RwSignal::new(String::new()),
            error: RwSignal::new(String::new()),
            check: RwSignal::new(None),
            publish: RwSignal::new(Publish::None),
            note: RwSignal::new(String::new()),
            busy: RwSignal::new(false),
            callbacks: StoredValue::new_local(None),
        }
    }

    /// Loads the villages to choose from (`GET /api/v1/divisions`), once.
    fn load_villages(self) {
        if !self.villages.get_untracked().is_empty() {
            return;
        }
        spawn_local(async move {
            match api::get::<Divisions>("/api/v1/divisions").await {
                Ok(d) => self.villages.set(
                    d.townships
                        .into_iter()
                        .flat_map(|t| {
                            let township = t.name;
                            t.villages.into_iter().map(move |v| VillageItem { code: v.code, name: v.name, township: township.clone() })
                        })
                        .collect(),
                ),
                Err(e) => self.error.set(e),
            }
        });
    }

    fn fail(self, e: impl Into<String>) {
        self.message.set(String::new());
        self.error.set(e.into());
    }

    fn say(self, m: impl Into<String>) {
        self.error.set(String::new());
        self.message.set(m.into());
    }

    /// 开始编辑 / 重新载入: the chosen village's published grids become the draft.
    fn start(self) {
        self.load(Publish::None);
    }

    /// Loads the draft afresh; `outcome` is what the publish panel shows afterwards.
    fn load(self, outcome: Publish) {
        let village = self.village.get_untracked();
        if village.len() != 12 {
            self.fail("请先选择一个村(社区)");
            return;
        }
        self.busy.set(true);
        self.say("正在载入网格…");
        spawn_local(async move {
            match base(&village).await {
                Ok(draft) => {
                    let (n, generation) = (draft.grids.len(), draft.base_generation);
                    self.loaded(draft, outcome);
                    self.say(format!("已载入 {n} 个网格（版本 {generation}）"));
                }
                Err(e) => self.fail(e),
            }
            self.busy.set(false);
        });
    }

    /// A freshly loaded draft becomes the one edited, drawn whole on the map.
    fn loaded(self, draft: Draft, outcome: Publish) {
        self.selected.set(String::new());
        self.second.set(String::new());
        self.check.set(None);
        self.publish.set(outcome);
        self.draft.set(Some(draft));
        self.set_mode(Mode::Select);
        self.attach();
        map::show_old("");
        map::show_problem("", f64::NAN, f64::NAN);
        map::fit("");
    }

    /// Puts the draft on the map and routes the map's clicks and drags here.
    fn attach(self) {
        if self.callbacks.with_value(Option::is_none) {
            let callbacks = map::Callbacks::new(
                move |code| self.clicked(code),
                move |line| self.line_drawn(&line),
                move |fc| self.vertices_moved(&fc),
            );
            self.callbacks.set_value(Some(callbacks));
        }
        self.callbacks.with_value(|c| {
            if let Some(c) = c {
                map::start(c);
            }
        });
        self.draw();
        map::set_mode(self.mode.get_untracked().wire());
    }

    /// Draws the draft as it is now.
    fn draw(self) {
        self.draft.with_untracked(|d| {
            if let Some(d) = d {
                map::set_draft(&serde_json::to_string(&d.collection()).unwrap_or_default(), &self.selected.get_untracked());
            }
        });
    }

    /// Changes the draft (an edit): redrawn, an earlier check no longer holds.
    fn edit<T>(self, f: impl FnOnce(&mut Draft) -> Result<T, String>) -> Option<T> {
        let mut out = None;
        self.draft.update(|d| {
            if let Some(d) = d {
                match f(d) {
                    Ok(v) => out = Some(v),
                    Err(e) => self.fail(e),
                }
            }
        });
        if out.is_some() {
            self.check.set(None);
            map::show_old("");
            map::show_problem("", f64::NAN, f64::NAN);
            self.draw();
        }
        out
    }

    fn set_mode(self, mode: Mode) {
        self.mode.set(mode);
        self.second.set(String::new());
        map::set_mode(mode.wire());
    }

    /// Selects a grid (from the map or the list).
    fn select(self, code: String) {
        if self.mode.get_untracked() == Mode::Merge && !self.selected.get_untracked().is_empty() && code != self.selected.get_untracked() {
            self.second.set(code);
            return;
        }
        self.selected.set(code.clone());
        self.second.set(String::new());
        map::select(&code);
    }

    fn clicked(self, code: String) {
        if code.is_empty() && self.mode.get_untracked() == Mode::Merge {
            return;
        }
        self.select(code);
    }

    /// A cutting line was drawn: the service splits the selected grid along it.
    fn line_drawn(self, line: &str) {
        let code = self.selected.get_untracked();
        let geometry = self.draft.with_untracked(|d| d.as_ref().and_then(|d| d.grid(&code)).map(|f| f.geometry.clone()));
        let (Some(geometry), Ok(line)) = (geometry, serde_json::from_str::<Value>(line)) else {
            self.fail("请先选择要拆分的网格，再画切割线");
            return;
        };
        self.say("正在拆分…");
        spawn_local(async move {
            match api::post::<SplitAnswer>("/api/v1/drafts/split", &json!({"geometry": geometry, "line": line})).await {
                Ok(answer) => {
                    if let Some(new) = self.edit(|d| d.split(&code, &answer.parts)) {
                        self.set_mode(Mode::Select);
                        self.say(format!("已拆分：{code} 与新网格 {new}"));
                    }
                }
                Err(e) => self.fail(format!("拆分失败：{e}")),
            }
        });
    }

    fn vertices_moved(self, fc: &str) {
        match serde_json::from_str::<GridCollection>(fc) {
            Ok(collection) => {
                self.edit(|d| {
                    d.moved(collection);
                    Ok(())
                });
            }
            Err(e) => self.fail(format!("顶点编辑无法读取：{e}")),
        }
    }

    /// 绑定网格员: person `id` is bound to the selected grid too.
    fn bind(self, id: &str) -> bool {
        let code = self.selected.get_untracked();
        let id = id.trim().to_owned();
        let done = self.edit(|d| d.bind(&code, &id)).is_some();
        if done {
            self.say(format!("已绑定网格员 {id}"));
        }
        done
    }

    /// 解除绑定: person `id` is no longer bound to the selected grid.
    fn unbind(self, id: &str) {
        let code = self.selected.get_untracked();
        if self.edit(|d| d.unbind(&code, id)).is_some() {
            self.say(format!("已解除网格员 {id} 的绑定"));
        }
    }

    /// 合并 the two picked grids.
    fn merge(self) {
        let (a, b) = (self.selected.get_untracked(), self.second.get_untracked());
        if a.is_empty() || b.is_empty() {
            self.fail("请在地图上点击两个相邻的网格");
            return;
        }
        if self.edit(|d| d.merge(&a, &b)).is_some() {
            self.set_mode(Mode::Select);
            self.say(format!("已合并：{b} 并入 {a}"));
        }
    }

    fn undo(self) {
        if self.edit(|d| if d.undo() { Ok(()) } else { Err("没有可撤销的操作".to_owned()) }).is_some() {
            self.say("已撤销");
        }
    }

    fn redo(self) {
        if self.edit(|d| if d.redo() { Ok(()) } else { Err("没有可重做的操作".to_owned()) }).is_some() {
            self.say("已重做");
        }
    }

    /// 校验: the service's problems and impact; the old boundaries drawn dashed.
    fn check(self) {
        let Some((body, base)) = self.draft.with_untracked(|d| d.as_ref().map(|d| (d.body(), d.base_collection()))) else { return };
        self.say("正在校验…");
        spawn_local(async move {
            match api::post::<CheckAnswer>("/api/v1/drafts/check", &body).await {
                Ok(answer) => {
                    let errors = answer.problems.iter().filter(|p| p.severity == Severity::Error).count();
                    self.say(format!("校验完成：{} 个问题（{errors} 个错误）", answer.problems.len()));
                    self.check.set(Some(answer));
                    map::show_old(&serde_json::to_string(&base).unwrap_or_default());
                }
                Err(e) => self.fail(format!("校验失败：{e}")),
            }
        });
    }

    /// 发布 with the planner's 说明.
    fn publish(self) {
        let note = self.note.get_untracked().trim().to_owned();
        if note.is_empty() {
            self.fail("发布前请填写说明");
            return;
        }
        let Some(mut body) = self.draft.with_untracked(|d| d.as_ref().map(Draft::body)) else { return };
        body.note = Some(note);
        self.busy.set(true);
        self.say("正在发布…");
        spawn_local(async move {
            let outcome = api::raw_json("POST", "/api/v1/drafts/publish", &body).await;
            self.busy.set(false);
            match outcome {
                Ok((status, text)) if (200..300).contains(&status) => match serde_json::from_str::<PublishAnswer>(&text) {
                    Ok(p) => self.published(p),
                    Err(e) => self.fail(format!("无法解析服务器的回答：{e}")),
                },
                Ok((409, text)) => {
                    self.say("");
                    self.publish.set(Publish::Conflict(api::detail(&text)));
                }
                Ok((422, text)) => {
                    let problems = serde_json::from_str::<DraftInvalid>(&text).map(|p| p.problems).unwrap_or_default();
                    if !problems.is_empty() {
                        self.check.set(Some(CheckAnswer { publishable: false, problems, impact: Impact::default() }));
                    }
                    self.say("");
                    self.publish.set(Publish::Failed(format!("草稿未通过校验，不能发布：{}", api::detail(&text))));
                }
                Ok((status, text)) => {
                    self.say("");
                    self.publish.set(Publish::Failed(format!("发布失败（HTTP {status}）：{}", api::detail(&text))));
                }
                Err(e) => self.fail(e),
            }
        });
    }

    /// After a publish: the map shows the new grids and the draft starts again from them.
    fn published(self, p: PublishAnswer) {
        map::reload_grids();
        self.note.set(String::new());
        self.load(Publish::Done(p.generation, p.reassigned));
    }

    /// Shows one problem of the check on the map.
    fn show_problem(self, p: &Problem) {
        let geometry = p.geometry.as_ref().map(Value::to_string).unwrap_or_default();
        let [lon, lat] = p.point.unwrap_or([f64::NAN, f64::NAN]);
        map::show_problem(&geometry, lon, lat);
        if p.point.is_none() {
            if let Some(code) = p.grids.first() {
                map::fit(code);
            }
        }
    }
}

/// The village's published grids as a fresh draft (`GET /api/v1/drafts/base`).
async fn base(village: &str) -> Result<Draft, api::Failure> {
    let base = api::get::<DraftBase>(&api::url("/api/v1/drafts/base", &[("village", village)])).await?;
    Ok(Draft::new(base.generation, base.area, base.grids))
}

impl Default for Editor {
    fn default() -> Self {
        Self::new()
    }
}
