//! 矛盾纠纷 — the dispute and petition ledgers (台账) with their case files and moves, and the
//! monthly screening board (`GET /api/v1/disputes`, `/petitions`, `/screenings`); the call-back
//! desk (回访) is its own page (`callbacks`). What the account may change follows its
//! permissions (`handle_disputes`, `handle_petitions`); reading needs `read_disputes`.

pub mod callbacks;
mod case;
mod ledger;
mod moves;
mod petition_case;
mod petitions;
pub mod register;
mod screening;
pub mod ui;

use leptos::prelude::*;
use serde_json::Value;
use wangge_core::access::Permission;

use crate::{bridge, labels, session};

/// Rows per page of the ledgers and the desk.
pub const PER_PAGE: u32 = 20;

/// Which ledger the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// 纠纷台账.
    Disputes,
    /// 信访台账.
    Petitions,
    /// 排查.
    Screening,
}

impl Section {
    const ALL: [Section; 3] = [Self::Disputes, Self::Petitions, Self::Screening];

    fn label(self) -> &'static str {
        match self {
            Self::Disputes => "纠纷台账",
            Self::Petitions => "信访台账",
            Self::Screening => "排查",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Disputes => "disputes",
            Self::Petitions => "petitions",
            Self::Screening => "screening",
        }
    }
}

/// The page's state, kept while the console is open, so that another view (the event panel)
/// can open a case file here.
#[derive(Debug, Clone, Copy)]
pub struct Ledgers {
    /// The ledger shown.
    pub section: RwSignal<Section>,
    /// The dispute case open in its file.
    pub case: RwSignal<Option<String>>,
    /// The petition open in its file.
    pub petition: RwSignal<Option<String>>,
    /// Bumped when a list must be asked for again (a case registered or moved).
    pub reloads: RwSignal<u32>,
}

impl Ledgers {
    /// The disputes ledger, nothing open; `?section=petitions|screening` opens another.
    pub fn new() -> Self {
        let search = window().location().search().unwrap_or_default();
        let section = Section::ALL
            .into_iter()
            .find(|s| search.contains(&format!("section={}", s.slug())))
            .unwrap_or(Section::Disputes);
        Self {
            section: RwSignal::new(section),
            case: RwSignal::new(None),
            petition: RwSignal::new(None),
            reloads: RwSignal::new(0),
        }
    }

    /// Opens a dispute case's file.
    pub fn open_case(self, id: String) {
        self.section.set(Section::Disputes);
        self.case.set(Some(id));
    }

    /// Opens a petition's file.
    pub fn open_petition(self, id: String) {
        self.section.set(Section::Petitions);
        self.petition.set(Some(id));
    }

    /// Asks the lists again.
    pub fn reload(self) {
        self.reloads.update(|n| *n += 1);
    }
}

/// The page's state (inside the app, when the account reads the ledgers).
pub fn ledgers() -> Ledgers {
    expect_context::<Ledgers>()
}

/// `handle_disputes`: register cases and record their mediation.
pub fn may_handle_disputes() -> bool {
    session::may(Permission::HandleDisputes)
}

/// `handle_petitions`: register petitions and record their handling.
pub fn may_handle_petitions() -> bool {
    session::may(Permission::HandlePetitions)
}

/// The page: the ledger switch and the ledger shown.
#[component]
pub fn DisputesPage() -> impl IntoView {
    let l = ledgers();
    view! {
        <h2>"矛盾纠纷"</h2>
        <nav class="kinds" id="ledger-sections">
            {Section::ALL.into_iter().map(|section| view! {
                <button class="kind" id=format!("section-{}", section.slug())
                    class:active=move || l.section.get() == section
                    on:click=move |_| l.section.set(section)>
                    {section.label()}
                </button>
            }).collect_view()}
        </nav>
        {move || match l.section.get() {
            Section::Disputes => view! { <ledger::Ledger book=ledger::Book::Disputes/> }.into_any(),
            Section::Petitions => view! { <ledger::Ledger book=ledger::Book::Petitions/> }.into_any(),
            Section::Screening => view! { <screening::ScreeningBoard/> }.into_any(),
        }}
    }
}

/// The account's township when its jurisdiction is one (or a village of one), else empty.
pub fn own_township() -> String {
    match session::me().jurisdiction.as_deref() {
        Some(code) if code.len() >= 9 && code != "county" => code[..9].to_owned(),
        _ => String::new(),
    }
}

/// Pages of a list of `total` rows.
pub fn pages(total: i64) -> u32 {
    u32::try_from(total.max(0)).unwrap_or(u32::MAX).div_ceil(PER_PAGE).max(1)
}

/// A text field of an answer (numbers and booleans as text, null as empty).
pub fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A time field as `2025-03-03 09:00` (China time), `—` when absent.
pub fn time(v: &Value, key: &str) -> String {
    let t = text(v, key);
    if t.is_empty() {
        "—".to_owned()
    } else {
        labels::time(&t)
    }
}

/// A township's name from the map's boundaries (its code when unknown).
pub fn township_name(code: &str) -> String {
    let name = bridge::feature_name("townships", code);
    if name.is_empty() {
        code.to_owned()
    } else {
        name
    }
}

/// Today by the page's clock as `YYYY-MM-DD`.
pub fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}
