//! 基础数据 — the registry (人、地、事、物、组织, GB/T 31000) in the console: the area and kind
//! filters, the paged list with its personal fields masked (`GET /api/v1/registry/{kind}`), a
//! record's panel (fields by their Chinese labels, 揭示, 核实, 编辑), the form made from the
//! kind's field list, the export and the spreadsheet import, an area's 家底 card and the map's
//! registry layers. Special groups have their own page (`special`).

mod card;
pub mod form;
mod import;
mod layers;
mod list;
mod record;
pub mod special;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::Value;
use wangge_core::access::Permission;
use wangge_core::registry::{codes, Entity, FieldType};

pub use card::AreaCard;

use crate::{api, bridge, session};

/// The kinds in tab order, with the tabs' labels.
pub const KINDS: [(Entity, &str); 5] = [
    (Entity::Person, "人口"),
    (Entity::House, "房屋"),
    (Entity::Household, "户"),
    (Entity::Organisation, "组织"),
    (Entity::Place, "场所"),
];

/// Records per page of the list.
pub const PER_PAGE: u32 = 20;

/// A place in the division tree: a township, a village of it, a grid of that (codes; empty
/// for all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Area {
    /// 乡镇 (9 digits).
    pub township: String,
    /// 村(社区) (12 digits).
    pub village: String,
    /// 网格.
    pub grid: String,
}

impl Area {
    /// The account's own area: the whole county, its township, or its village.
    pub fn home(jurisdiction: Option<&str>) -> Self {
        match jurisdiction {
            Some(code) if code.len() == 9 => Self { township: code.to_owned(), ..Self::default() },
            Some(code) if code.len() == 12 => Self { township: code[..9].to_owned(), village: code.to_owned(), grid: String::new() },
            _ => Self::default(),
        }
    }

    /// As query parameters (empty ones are left out by `api::url`).
    pub fn params(&self) -> [(&'static str, &str); 3] {
        [("township", &self.township), ("village", &self.village), ("grid", &self.grid)]
    }
}

/// What the list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The kind of record.
    pub kind: Entity,
    /// Where.
    pub area: Area,
    /// The record type (the kind's subtype code), empty for all.
    pub subtype: String,
    /// Name (title) contains.
    pub q: String,
    /// An exact citizen ID number: finds one person, whatever the other filters.
    pub id_number: String,
    /// Only records not re-verified within the collection period.
    pub stale: bool,
    /// The page (from 1).
    pub page: u32,
}

impl Query {
    /// The list's address (`extra` added: `format=xlsx`, `per_page`).
    pub fn url(&self, extra: &[(&str, &str)]) -> String {
        let path = format!("/api/v1/registry/{}", self.kind.plural());
        let mut params: Vec<(&str, &str)> = Vec::new();
        if self.id_number.is_empty() {
            params.extend(self.area.params());
            params.push(("type", &self.subtype));
            params.push(("q", self.q.trim()));
            if self.stale {
                params.push(("stale", "true"));
            }
        } else {
            params.push(("id_number", self.id_number.trim()));
        }
        params.extend_from_slice(extra);
        api::url(&path, &params)
    }
}

/// The registry page's state, kept while the console is open (all `Copy` handles).
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    /// What the list shows.
    pub query: RwSignal<Query>,
    /// The record open in the panel.
    pub selected: RwSignal<Option<(Entity, String)>>,
    /// The panel shows the form for a new record.
    pub creating: RwSignal<bool>,
    /// Bumped when the list must be asked for again (a record saved or verified).
    pub reloads: RwSignal<u32>,
    /// The account's own area (never wider).
    pub home: StoredValue<Area>,
    /// The division tree: townships with their villages, as (code, name).
    pub tree: RwSignal<Vec<Township>>,
}

/// A township of the division tree with its villages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Township {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its villages and communities.
    #[serde(default)]
    pub villages: Vec<Named>,
}

/// A division's code and name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Named {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

#[derive(Debug, Deserialize)]
struct Tree {
    townships: Vec<Township>,
}

impl Registry {
    /// The state for the signed-in account: people of its own area, first page.
    pub fn new() -> Self {
        let home = Area::home(session::me().jurisdiction.as_deref());
        let query = Query {
            kind: Entity::Person,
            area: home.clone(),
            subtype: String::new(),
            q: String::new(),
            id_number: String::new(),
            stale: false,
            page: 1,
        };
        Self {
            query: RwSignal::new(query),
            selected: RwSignal::new(None),
            creating: RwSignal::new(false),
            reloads: RwSignal::new(0),
            home: StoredValue::new(home),
            tree: RwSignal::new(Vec::new()),
        }
    }

    /// The division tree (`GET /api/v1/divisions`, the account's own branch), asked for the
    /// first time the page is shown (not while the map loads).
    fn load_tree(self) {
        if self.tree.with_untracked(|t| !t.is_empty()) {
            return;
        }
        spawn_local(async move {
            if let Ok(t) = api::get::<Tree>("/api/v1/divisions").await {
                self.tree.set(t.townships);
            }
        });
    }

    /// Opens a record in the panel.
    pub fn open(self, kind: Entity, id: String) {
        self.creating.set(false);
        self.selected.set(Some((kind, id)));
    }

    /// Changes the query; any change but the page's goes back to page 1.
    pub fn set(self, change: impl FnOnce(&mut Query)) {
        self.query.update(|q| {
            let page = q.page;
            change(q);
            if q.page == page {
                q.page = 1;
            }
        });
    }
}

/// The registry's state (inside the app, when the account reads the registry).
pub fn registry() -> Registry {
    expect_context::<Registry>()
}

/// A text field of a record (numbers as text, null as empty).
pub fn text(record: &Value, key: &str) -> String {
    match record.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A field's value as shown: a code by its label, a village by its name.
pub fn shown(kind: Entity, key: &str, record: &Value) -> String {
    let value = text(record, key);
    if value.is_empty() {
        return String::new();
    }
    match kind.field(key).map(|f| f.ty) {
        Some(FieldType::Code(list)) => codes::label(list, &value),
        Some(FieldType::Village) => village_name(&value),
        _ => value,
    }
}

/// A village's name and code (the code alone when the map does not know it).
pub fn village_name(code: &str) -> String {
    let name = bridge::feature_name("villages", code);
    if name.is_empty() {
        code.to_owned()
    } else {
        format!("{name}（{code}）")
    }
}

/// The code list of the kind's type field.
pub fn subtypes(kind: Entity) -> &'static [codes::Code] {
    match kind.subtype().and_then(|s| kind.field(s)).map(|f| f.ty) {
        Some(FieldType::Code(list)) => list,
        _ => &[],
    }
}

/// The registry page.
#[component]
pub fn RegistryPage() -> impl IntoView {
    let r = registry();
    r.load_tree();
    let edit = session::may(Permission::EditRegistry);
    let export = session::may(Permission::ExportData);
    let export_url = move || r.query.with(|q| q.url(&[("format", "xlsx")]));
    let grid = Signal::derive(move || r.query.with(|q| q.area.grid.clone()));
    view! {
        <h2>"基础数据"</h2>
        <nav class="kinds" id="registry-kinds">
            {KINDS.into_iter().map(|(kind, label)| view! {
                <button class="kind" id=format!("kind-{}", kind.plural())
                    class:active=move || r.query.with(|q| q.kind == kind)
                    on:click=move |_| r.set(|q| { q.kind = kind; q.subtype.clear(); q.id_number.clear(); })>
                    {label}
                </button>
            }).collect_view()}
        </nav>
        <list::Filters/>
        {move || (!grid.get().is_empty()).then(|| view! { <AreaCard grid=grid.get() id="area-card"/> })}
        <layers::MapLayers/>
        <div class="row registry-actions">
            {edit.then(|| view! {
                <button id="registry-new" on:click=move |_| { r.selected.set(None); r.creating.set(true); }>"新增"</button>
            })}
            {export.then(|| view! {
                <a id="registry-export" class="button" href=export_url download="">"导出Excel"</a>
            })}
        </div>
        <import::Import/>
        <list::Table/>
        <record::RecordPanel/>
    }
}
