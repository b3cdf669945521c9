//! The map and the browser APIs the app uses, through `js/bridge.js` (MapLibre GL JS, fetch,
//! EventSource). Data crosses as JSON text.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen(module = "/js/bridge.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = api)]
    async fn api_js(method: &str, url: &str, body: Option<String>, csrf: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = api)]
    async fn api_bytes_js(method: &str, url: &str, body: &js_sys::Uint8Array, csrf: &str) -> Result<JsValue, JsValue>;
    /// Whether the map was created on this page.
    #[wasm_bindgen(js_name = mapCreated)]
    pub fn map_created() -> bool;
    /// Loads the page afresh.
    #[wasm_bindgen(js_name = reloadPage)]
    pub fn reload_page();
    #[wasm_bindgen(js_name = watchIdle)]
    fn watch_idle_js(seconds: f64, on_idle: &js_sys::Function);
    #[wasm_bindgen(js_name = loadConfig)]
    async fn load_config_js() -> JsValue;
    #[wasm_bindgen(catch, js_name = initMap)]
    async fn init_map_js(
        container: &str,
        options: &str,
        on_click: &Closure<dyn FnMut(f64, f64)>,
        on_event: &Closure<dyn FnMut(String)>,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = mapIdle)]
    async fn map_idle_js() -> JsValue;
    #[wasm_bindgen(catch, js_name = loadBoundaries)]
    async fn load_boundaries_js(base: &str) -> Result<JsValue, JsValue>;
    /// Fits the map to a township, village or grid by code.
    #[wasm_bindgen(js_name = fitFeature)]
    pub fn fit_feature(layer: &str, code: &str) -> bool;
    /// The name of a township, village or grid by code.
    #[wasm_bindgen(js_name = featureName)]
    pub fn feature_name(layer: &str, code: &str) -> String;
    /// Fits the map to a box.
    #[wasm_bindgen(js_name = fitBounds)]
    pub fn fit_bounds(w: f64, s: f64, e: f64, n: f64);
    /// Flies to a point.
    #[wasm_bindgen(js_name = flyTo)]
    pub fn fly_to(lon: f64, lat: f64, zoom: f64);
    /// Outlines one grid.
    #[wasm_bindgen(js_name = highlightGrid)]
    pub fn highlight_grid(code: &str);
    /// Heat points, JSON `[[lon, lat, weight], …]`.
    #[wasm_bindgen(js_name = setHeat)]
    pub fn set_heat(points_json: &str);
    /// Shows or hides a layer.
    #[wasm_bindgen(js_name = setVisible)]
    pub fn set_visible(layer: &str, visible: bool);
    /// Grid colours, JSON `[[code, 0..1], …]`.
    #[wasm_bindgen(js_name = setChoropleth)]
    pub fn set_choropleth(values_json: &str);
    /// Events on the map, JSON `[{id, lon, lat, tag}]`.
    #[wasm_bindgen(js_name = setEvents)]
    pub fn set_events(events_json: &str);
    /// Marks one event as selected.
    #[wasm_bindgen(js_name = selectEvent)]
    pub fn select_event(id: &str);
    /// Gridworkers on patrol, JSON `[{patrol_id, name, lon, lat, label, outside}]`.
    #[wasm_bindgen(js_name = setPatrols)]
    pub fn set_patrols(patrols_json: &str);
    /// A pin at a point (NaN clears it).
    #[wasm_bindgen(js_name = setPin)]
    pub fn set_pin(lon: f64, lat: f64);
    /// The villages of a township or the grids of a village, JSON `[{code, name}]`.
    #[wasm_bindgen(js_name = childFeatures)]
    pub fn child_features(layer: &str, prefix: &str) -> String;
    /// Registry records on the map, JSON `[{id, lon, lat, label}]`.
    #[wasm_bindgen(js_name = setRegistryPoints)]
    pub fn set_registry_points(points_json: &str);
    #[wasm_bindgen(js_name = onRegistryClick)]
    fn on_registry_click_js(on_click: &Closure<dyn FnMut(String)>);
    #[wasm_bindgen(catch, js_name = upload)]
    async fn upload_js(method: &str, url: &str, file: &web_sys::Blob, csrf: &str, content_type: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = openStream)]
    fn open_stream_js(url: &str, on_message: &Closure<dyn FnMut(String)>, on_state: &Closure<dyn FnMut(bool)>) -> JsValue;
    #[wasm_bindgen(js_name = closeStream)]
    fn close_stream_js(source: &JsValue);
}

/// `fetch`: the status and the body text, or why the network failed; `csrf` (if not empty)
/// goes in `X-CSRF-Token`.
pub async fn fetch(method: &str, url: &str, body: Option<String>, csrf: &str) -> Result<(u16, String), String> {
    status_and_text(api_js(method, url, body, csrf).await.map_err(describe)?)
}

/// [`fetch`] with raw bytes as the body (`application/octet-stream`).
pub async fn fetch_bytes(method: &str, url: &str, body: &[u8], csrf: &str) -> Result<(u16, String), String> {
    let body = js_sys::Uint8Array::from(body);
    status_and_text(api_bytes_js(method, url, &body, csrf).await.map_err(describe)?)
}

/// [`fetch`] with a file as the body, sent as it is with its `content_type`.
pub async fn upload(method: &str, url: &str, file: &web_sys::Blob, csrf: &str, content_type: &str) -> Result<(u16, String), String> {
    status_and_text(upload_js(method, url, file, csrf, content_type).await.map_err(describe)?)
}

/// Calls `on_click` with the id of a registry record clicked on the map (for the page's life).
pub fn on_registry_click(on_click: impl FnMut(String) + 'static) {
    let c = Closure::<dyn FnMut(String)>::new(on_click);
    on_registry_click_js(&c);
    c.forget();
}

fn status_and_text(answer: JsValue) -> Result<(u16, String), String> {
    let pair: js_sys::Array = answer.dyn_into().map_err(describe)?;
    let status = pair.get(0).as_f64().unwrap_or(0.0) as u16;
    Ok((status, pair.get(1).as_string().unwrap_or_default()))
}

/// Calls `on_idle` once after `seconds` without the user's input (0 stops watching).
pub fn watch_idle(seconds: u64, on_idle: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(on_idle);
    watch_idle_js(seconds as f64, callback.unchecked_ref());
}

/// The text of `/config.json` (`{}` when there is none).
pub async fn load_config() -> String {
    load_config_js().await.as_string().unwrap_or_else(|| "{}".to_owned())
}

/// Creates the map in the element `container`; the callbacks live as long as the page.
pub async fn init_map(
    container: &str,
    options: &str,
    on_click: impl FnMut(f64, f64) + 'static,
    on_event: impl FnMut(String) + 'static,
) -> Result<(), String> {
    let on_click = Closure::<dyn FnMut(f64, f64)>::new(on_click);
    let on_event = Closure::<dyn FnMut(String)>::new(on_event);
    init_map_js(container, options, &on_click, &on_event).await.map_err(describe)?;
    on_click.forget();
    on_event.forget();
    Ok(())
}

/// Loads the boundary layers; answers JSON `{townships: [{code, name}]}`.
pub async fn load_boundaries(base: &str) -> Result<String, String> {
    let text = load_boundaries_js(base).await.map_err(describe)?;
    text.as_string().ok_or_else(|| "边界图层加载失败".to_owned())
}

/// Waits until the map has first drawn the county with its grids (at most 3 s after it
/// started): what the map does not need waits, so it does not slow the map down.
pub async fn map_idle() {
    map_idle_js().await;
}

/// A server-sent event stream, closed when dropped.
pub struct Stream {
    source: JsValue,
    _on_message: Closure<dyn FnMut(String)>,
    _on_state: Closure<dyn FnMut(bool)>,
}

impl Stream {
    /// Opens `url`; `on_message` gets each message's data, `on_state` whether it is connected.
    pub fn open(url: &str, on_message: impl FnMut(String) + 'static, on_state: impl FnMut(bool) + 'static) -> Self {
        let on_message = Closure::<dyn FnMut(String)>::new(on_message);
        let on_state = Closure::<dyn FnMut(bool)>::new(on_state);
        let source = open_stream_js(url, &on_message, &on_state);
        Self { source, _on_message: on_message, _on_state: on_state }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        close_stream_js(&self.source);
    }
}

fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(&e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}
