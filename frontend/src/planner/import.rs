//! 导入文件 — a planner's file (GeoJSON, GeoPackage or zipped Shapefile) read by the service
//! (`POST /api/v1/drafts/import`) into grids in CGCS2000 that replace the draft's, on the same
//! base, to check and publish as usual.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wangge_core::wire::draft::ImportAnswer as Imported;
use wasm_bindgen_futures::JsFuture;

use super::{base, Editor, Mode, Publish};
use crate::api;
use crate::app::shared;

/// The service's `format` for a file, from its name.
fn format_of(name: &str) -> &'static str {
    let name = name.to_lowercase();
    if name.ends_with(".zip") {
        "shp.zip"
    } else if name.ends_with(".gpkg") {
        "gpkg"
    } else {
        "geojson"
    }
}

/// The bytes of a file the planner chose.
async fn read(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("无法读取文件：{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

impl Editor {
    /// 导入: `file` (in `crs` when given: `gcj02`, `bd09`) replaces the chosen village's draft,
    /// loading the village first when it is not the one being edited.
    fn import(self, file: web_sys::File, crs: String) {
        let village = self.village.get_untracked();
        if village.len() != 12 {
            self.fail("请先选择一个村(社区)");
            return;
        }
        let name = file.name();
        self.busy.set(true);
        self.say(format!("正在导入 {name}…"));
        spawn_local(async move {
            match self.fetch_import(&file, &name, &crs).await {
                Ok(imported) => self.imported(&village, imported).await,
                Err(e) => self.fail(format!("导入失败：{e}")),
            }
            self.busy.set(false);
        });
    }

    async fn fetch_import(self, file: &web_sys::File, name: &str, crs: &str) -> Result<Imported, api::Failure> {
        let bytes = read(file).await?;
        let url = api::url("/api/v1/drafts/import", &[("format", format_of(name)), ("crs", crs)]);
        api::post_bytes(&url, &bytes).await
    }

    /// The imported grids replace the draft's (one step to undo); the map shows them whole.
    async fn imported(self, village: &str, imported: Imported) {
        let editing = self.draft.with_untracked(|d| d.as_ref().is_some_and(|d| d.village() == village));
        if !editing {
            match base(village).await {
                Ok(draft) => self.loaded(draft, Publish::None),
                Err(e) => {
                    self.fail(format!("导入失败：{e}"));
                    return;
                }
            }
        }
        let features = imported.grids.features;
        self.selected.set(String::new());
        self.set_mode(Mode::Select);
        let replaced = self.edit(|d| {
            d.replace(features);
            Ok(())
        });
        if replaced.is_some() {
            super::map::fit("");
            self.say(format!("已导入 {} 个网格（坐标系 {}）", imported.count, imported.crs));
        }
    }
}

/// The 导入文件 row: the coordinate system the file is in, and the file.
#[component]
pub fn ImportPanel(e: Editor) -> impl IntoView {
    let s = shared();
    let crs = RwSignal::new(String::new());
    let chosen = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let file = input.files().and_then(|files| files.get(0));
        // Cleared, so that choosing the same file again imports it again.
        input.set_value("");
        if let Some(file) = file {
            e.import(file, crs.get_untracked());
        }
    };
    view! {
        <div class="row" id="draft-import">
            <label>"导入文件 "
                <input id="import-file" type="file" accept=".geojson,.json,.gpkg,.zip"
                    prop:disabled=move || !s.map_ready.get() || e.busy.get() on:change=chosen/>
            </label>
            <label>"坐标系 "
                <select id="import-crs" on:change=move |ev| crs.set(event_target_value(&ev))>
                    <option value="" selected=true>"文件自带"</option>
                    <option value="gcj02">"GCJ-02"</option>
                    <option value="bd09">"BD-09"</option>
                </select>
            </label>
        </div>
        <p class="note">"GeoJSON、GeoPackage 或 Shapefile（.zip）；导入的网格替换草稿中的网格，可撤销。"</p>
    }
}
