//! 纠纷台账 and 信访台账 — the dispute cases (`GET /api/v1/disputes`) or the petitions
//! (`GET /api/v1/petitions`) of a period and area, newest first: filtered by township, stage
//! (and a dispute's kind), paged, exported as XLSX (`format=xlsx`); a row opens its file;
//! 登记纠纷 / 登记信访 registers one. Both ledgers are this one component.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wangge_core::wire::Paged;

use super::case::CaseFile;
use super::moves::Of;
use super::petitions::RegisterPetition;
use super::register::RegisterCase;
use super::ui::{self, markup as m, Row};
use crate::app::shared;
use super::{ledgers, may_handle_disputes, may_handle_petitions, own_township, pages, text, time, township_name, Ledgers, PER_PAGE};
use crate::{api, labels};

/// Which ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    /// 纠纷台账.
    Disputes,
    /// 信访台账.
    Petitions,
}

impl Book {
    fn path(self) -> &'static str {
        match self {
            Self::Disputes => "/api/v1/disputes",
            Self::Petitions => "/api/v1/petitions",
        }
    }

    /// The prefix of its elements' ids.
    fn prefix(self) -> &'static str {
        match self {
            Self::Disputes => "dispute",
            Self::Petitions => "petition",
        }
    }

    fn stages(self) -> labels::Codes {
        match self {
            Self::Disputes => labels::DISPUTE_STAGES,
            Self::Petitions => labels::PETITION_STAGES,
        }
    }

    fn head(self) -> &'static [&'static str] {
        match self {
            Self::Disputes => &["登记时间", "类型", "规模", "人数", "乡镇", "阶段", "概要"],
            Self::Petitions => &["收到时间", "渠道", "层级", "乡镇", "人数", "阶段", "事项"],
        }
    }

    /// The file open in the ledger.
    fn open(self, l: Ledgers) -> RwSignal<Option<String>> {
        match self {
            Self::Disputes => l.case,
            Self::Petitions => l.petition,
        }
    }

    fn may_register(self) -> bool {
        match self {
            Self::Disputes => may_handle_disputes(),
            Self::Petitions => may_handle_petitions(),
        }
    }

    /// One entry as a row of the table.
    fn row(self, v: &Value) -> Row {
        let place = township_name(&text(v, "township"));
        let short = |k: &str| text(v, k).chars().take(30).collect::<String>();
        match self {
            Self::Disputes => {
                let stage = text(v, "stage");
                let overdue = v.get("overdue").and_then(Value::as_bool) == Some(true);
                let shown = labels::coded(labels::DISPUTE_STAGES, &stage) + if overdue { "（超期）" } else { "" };
                Row {
                    id: text(v, "case_id"),
                    cells: vec![
                        time(v, "registered_at"),
                        labels::coded(labels::DISPUTE_KINDS, &text(v, "kind")),
                        labels::coded(labels::DISPUTE_SCALES, &text(v, "scale")),
                        text(v, "people"),
                        place,
                        shown,
                        short("summary"),
                    ],
                    tag: stage,
                }
            }
            Self::Petitions => {
                let stage = text(v, "stage");
                Row {
                    id: text(v, "petition_id"),
                    cells: vec![
                        time(v, "received_at"),
                        labels::coded(labels::PETITION_CHANNELS, &text(v, "channel")),
                        labels::coded(labels::PETITION_LEVELS, &text(v, "lodged")),
                        place,
                        text(v, "people"),
                        labels::coded(labels::PETITION_STAGES, &stage),
                        short("matter"),
                    ],
                    tag: stage,
                }
            }
        }
    }
}

/// The period, township, stage and kind applied.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    from: String,
    to: String,
    township: String,
    stage: String,
    kind: String,
}

impl Filter {
    /// The list's address: `page` of it, or with no page (an export) the whole list.
    fn url(&self, path: &str, page: Option<u32>) -> String {
        let (p, per_page) = (page.unwrap_or(1).to_string(), PER_PAGE.to_string());
        let mut params = vec![("from", self.from.as_str()), ("to", self.to.as_str()), ("township", self.township.as_str()), ("stage", self.stage.as_str()), ("kind", self.kind.as_str())];
        match page {
            Some(_) => params.extend([("page", p.as_str()), ("per_page", per_page.as_str())]),
            None => params.push(("format", "xlsx")),
        }
        api::url(path, &params)
    }
}

/// A ledger: filters, 登记 and 导出 XLSX, the table, its pager and the file open.
#[component]
pub fn Ledger(book: Book) -> impl IntoView {
    let l = ledgers();
    let open = book.open(l);
    let prefix = book.prefix();
    let applied = RwSignal::new(Filter { township: own_township(), ..Filter::default() });
    let page = RwSignal::new(1_u32);
    let total = RwSignal::new(None::<i64>);
    let rows = RwSignal::new(Vec::<Row>::new());
    let error = RwSignal::new(String::new());
    let registering = RwSignal::new(false);
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let url = applied.get().url(book.path(), Some(page.get()));
        l.reloads.track();
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let got = api::get::<Paged<Value>>(&url).await;
            // Only the answer to the latest question is shown.
            if asked.get_value() != n {
                return;
            }
            match got {
                Ok(p) => {
                    error.set(String::new());
                    total.set(Some(p.total));
                    rows.set(p.items.iter().map(|v| book.row(v)).collect());
                }
                Err(e) => error.set(e),
            }
        });
    });
    let pages_now = Signal::derive(move || pages(total.get().unwrap_or(0)));
    let export = move || applied.with(|f| f.url(book.path(), None));
    let registered = Callback::new(move |id: String| {
        registering.set(false);
        l.reload();
        open.set(Some(id));
    });
    view! {
        {filters(book, applied, page)}
        <div class="row registry-actions">
            {book.may_register().then(|| view! {
                <button id=format!("{prefix}-new") on:click=move |_| registering.update(|r| *r = !*r)>
                    {if book == Book::Disputes { "登记纠纷" } else { "登记信访" }}
                </button>
            })}
            <a id=format!("{prefix}-export") class="button" href=export download="">"导出 XLSX"</a>
        </div>
        {move || registering.get().then(|| match book {
            Book::Disputes => view! { <RegisterCase event_id=String::new() on_done=registered/> }.into_any(),
            Book::Petitions => view! { <RegisterPetition on_done=registered/> }.into_any(),
        })}
        <p class="error" id=format!("{prefix}-error")>{move || error.get()}</p>
        <p class="note" id=format!("{prefix}-total")>{move || total.get().map_or_else(|| "加载中…".to_owned(), |n| format!("共 {n} 件"))}</p>
        {move || ui::table(format!("{prefix}-list"), book.head(), rows.get(), Some(open))}
        {ui::pager(prefix, page, pages_now)}
        {move || open.get().map(|id| view! { <CaseFile of=if book == Book::Disputes { Of::Dispute } else { Of::Petition } id/> })}
    }
}

/// The filters' fields as markup: period, township, stage (and a dispute's kind).
fn filter_fields(book: Book, townships: &[(String, String)], f: &Filter) -> String {
    let p = book.prefix();
    let kind = match book {
        Book::Disputes => m::select("dispute-filter-kind", "kind", labels::DISPUTE_KINDS, &f.kind, Some("全部类型")),
        Book::Petitions => String::new(),
    };
    [
        m::row(&[
            m::labelled("自", &m::input(&format!("{p}-filter-from"), "from", "date", "", &f.from)),
            m::labelled("至", &m::input(&format!("{p}-filter-to"), "to", "date", "", &f.to)),
            m::townships(&format!("{p}-filter-township"), townships, &own_township(), &f.township, "全县"),
        ]),
        m::row(&[m::select(&format!("{p}-filter-stage"), "stage", book.stages(), &f.stage, Some("全部阶段")), kind]),
    ]
    .concat()
}

/// The filters; 查询 applies them from page 1.
fn filters(book: Book, applied: RwSignal<Filter>, page: RwSignal<u32>) -> AnyView {
    let s = shared();
    let p = book.prefix();
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let v = ui::values(&ev);
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        page.set(1);
        applied.set(Filter { from: field("from"), to: field("to"), township: field("township"), stage: field("stage"), kind: field("kind") });
    };
    let fields = move || s.townships.with(|t| filter_fields(book, t, &applied.get_untracked()));
    view! {
        <form class="filters" id=format!("{p}-filters") on:submit=submit>
            <div inner_html=fields></div>
            <div class="row"><button id=format!("{p}-search") type="submit">"查询"</button></div>
        </form>
    }
    .into_any()
}
