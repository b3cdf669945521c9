//! The editor's side of the map, through `js/editor.js`: the draft drawn over the dimmed county,
//! clicks, the cutting line, dragged vertices, problems and old boundaries.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(module = "/js/editor.js")]
extern "C" {
    #[wasm_bindgen(js_name = editorStart)]
    fn editor_start_js(
        on: bool,
        on_select: Option<&Closure<dyn FnMut(String)>>,
        on_line: Option<&Closure<dyn FnMut(String)>>,
        on_edit: Option<&Closure<dyn FnMut(String)>>,
    ) -> bool;
    /// Draws the draft (JSON FeatureCollection) with one grid selected.
    #[wasm_bindgen(js_name = editorSetDraft)]
    pub fn set_draft(json: &str, selected: &str);
    /// Marks the selected grid.
    #[wasm_bindgen(js_name = editorSelect)]
    pub fn select(code: &str);
    /// `select`, `split`, `vertex` or `merge`.
    #[wasm_bindgen(js_name = editorMode)]
    pub fn set_mode(mode: &str);
    /// Ends the cutting line (the 完成 button); false with fewer than two points.
    #[wasm_bindgen(js_name = editorFinishLine)]
    pub fn finish_line() -> bool;
    /// Fits the map to a draft grid ('' for the whole draft).
    #[wasm_bindgen(js_name = editorFit)]
    pub fn fit(code: &str);
    /// The old boundaries, dashed ('' clears them).
    #[wasm_bindgen(js_name = editorShowOld)]
    pub fn show_old(json: &str);
    /// A problem in red: its geometry (JSON or '') and point (NaN for none).
    #[wasm_bindgen(js_name = editorShowProblem)]
    pub fn show_problem(geometry_json: &str, lon: f64, lat: f64);
    /// Reloads the published grids of the county map.
    #[wasm_bindgen(js_name = reloadGrids)]
    pub fn reload_grids();
}

/// The editor's callbacks: a click on a grid (its code, '' outside), a finished cutting line
/// (JSON `[[lon, lat], …]`), vertices dragged (the grids as a JSON FeatureCollection).
pub struct Callbacks {
    on_select: Closure<dyn FnMut(String)>,
    on_line: Closure<dyn FnMut(String)>,
    on_edit: Closure<dyn FnMut(String)>,
}

impl Callbacks {
    /// Wraps the three callbacks.
    pub fn new(
        on_select: impl FnMut(String) + 'static,
        on_line: impl FnMut(String) + 'static,
        on_edit: impl FnMut(String) + 'static,
    ) -> Self {
        Self {
            on_select: Closure::new(on_select),
            on_line: Closure::new(on_line),
            on_edit: Closure::new(on_edit),
        }
    }
}

/// Starts editing on the map with `callbacks` (kept by the caller while editing lasts).
pub fn start(callbacks: &Callbacks) -> bool {
    editor_start_js(true, Some(&callbacks.on_select), Some(&callbacks.on_line), Some(&callbacks.on_edit))
}

/// Stops editing: the draft layers are hidden, clicks go back to the map.
pub fn stop() {
    editor_start_js(false, None, None, None);
}
