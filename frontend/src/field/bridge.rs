//! The field app's browser side through `js/field.js`: page setup and service worker, network
//! state, geolocation, the lean map and the IndexedDB queue. Data crosses as JSON text.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen(module = "/js/field.js")]
extern "C" {
    /// Title, manifest, theme colour and stylesheet of the field app.
    #[wasm_bindgen(js_name = setupPage)]
    pub fn setup_page();
    #[wasm_bindgen(js_name = registerWorker)]
    async fn register_worker_js() -> JsValue;
    /// Fetches URLs (JSON list) through the service worker, filling its caches.
    #[wasm_bindgen(js_name = warm)]
    pub async fn warm(urls: &str);
    /// Empties the service worker's API caches.
    #[wasm_bindgen(js_name = clearCaches)]
    pub async fn clear_caches();
    /// Whether the browser is online.
    #[wasm_bindgen(js_name = isOnline)]
    pub fn is_online() -> bool;
    #[wasm_bindgen(js_name = onNetwork)]
    fn on_network_js(on_change: &Closure<dyn FnMut(bool)>);
    #[wasm_bindgen(js_name = every)]
    fn every_js(seconds: f64, tick: &Closure<dyn FnMut()>);
    #[wasm_bindgen(js_name = watchPosition)]
    fn watch_position_js(on_fix: &Closure<dyn FnMut(f64, f64, f64, f64)>, on_error: &Closure<dyn FnMut(String)>) -> f64;
    #[wasm_bindgen(catch, js_name = initMap)]
    async fn init_map_js(container: &str, grids: &str, on_tap: &Closure<dyn FnMut(f64, f64)>) -> Result<JsValue, JsValue>;
    /// The device's position and accuracy (NaN clears it).
    #[wasm_bindgen(js_name = setPosition)]
    pub fn set_position(lon: f64, lat: f64, accuracy: f64);
    /// The report's point (NaN clears it).
    #[wasm_bindgen(js_name = setPoint)]
    pub fn set_point(lon: f64, lat: f64);
    /// The patrol's track, JSON `[[lon, lat], …]`.
    #[wasm_bindgen(js_name = setTrack)]
    pub fn set_track(coords: &str);
    /// Shades the grid the device is in.
    #[wasm_bindgen(js_name = setHere)]
    pub fn set_here(code: &str);
    /// Centres the map on a point.
    #[wasm_bindgen(js_name = centre)]
    pub fn centre(lon: f64, lat: f64);
    /// The map's container changed size.
    #[wasm_bindgen(js_name = resizeMap)]
    pub fn resize_map();
    /// A new client id (UUID).
    #[wasm_bindgen(js_name = uuid)]
    pub fn uuid() -> String;
    #[wasm_bindgen(catch, js_name = queueAdd)]
    async fn queue_add_js(item: &str, photos: &js_sys::Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = queueList)]
    async fn queue_list_js(store: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = queueSettle)]
    async fn queue_settle_js(key: f64, store: &str, answer: &str, note: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = queueSend)]
    async fn queue_send_js(store: &str, key: f64, csrf: &str) -> Result<JsValue, JsValue>;
    /// Keeps a small text across closing the app ('' removes it).
    #[wasm_bindgen(js_name = saveLocal)]
    pub fn save_local(key: &str, text: &str);
    /// A text kept by [`save_local`] ('' when none).
    #[wasm_bindgen(js_name = loadLocal)]
    pub fn load_local(key: &str) -> String;
}

/// Registers the service worker; true once it controls the page.
pub async fn register_worker() -> bool {
    register_worker_js().await.as_bool().unwrap_or(false)
}

/// Calls `on_change` with the network state on every change (for the page's life).
pub fn on_network(on_change: impl FnMut(bool) + 'static) {
    let c = Closure::<dyn FnMut(bool)>::new(on_change);
    on_network_js(&c);
    c.forget();
}

/// Calls `tick` every `seconds` (for the page's life).
pub fn every(seconds: f64, tick: impl FnMut() + 'static) {
    let c = Closure::<dyn FnMut()>::new(tick);
    every_js(seconds, &c);
    c.forget();
}

/// Follows the device's position for the page's life: `[lon, lat, unix_ms, accuracy_m]` fixes,
/// or why there are none.
pub fn watch_position(on_fix: impl FnMut(f64, f64, f64, f64) + 'static, on_error: impl FnMut(String) + 'static) {
    let fix = Closure::<dyn FnMut(f64, f64, f64, f64)>::new(on_fix);
    let error = Closure::<dyn FnMut(String)>::new(on_error);
    watch_position_js(&fix, &error);
    fix.forget();
    error.forget();
}

/// Creates the map with my grids (GeoJSON text); `on_tap` gets taps on it.
pub async fn init_map(container: &str, grids: &str, on_tap: impl FnMut(f64, f64) + 'static) -> Result<(), String> {
    let tap = Closure::<dyn FnMut(f64, f64)>::new(on_tap);
    init_map_js(container, grids, &tap).await.map_err(describe)?;
    tap.forget();
    Ok(())
}

/// Adds an item (JSON text) with its photos to the queue; its key.
pub async fn queue_add(item: &str, photos: &[web_sys::File]) -> Result<f64, String> {
    let list: js_sys::Array = photos.iter().map(JsValue::from).collect();
    queue_add_js(item, &list).await.map_err(describe).map(|k| k.as_f64().unwrap_or(0.0))
}

/// The items of a store (`queue`, `sent`, `failed`) as JSON text.
pub async fn queue_list(store: &str) -> Result<String, String> {
    queue_list_js(store).await.map_err(describe).map(|t| t.as_string().unwrap_or_else(|| "[]".to_owned()))
}

/// Moves a queued item to `sent` or `failed`.
pub async fn queue_settle(key: f64, store: &str, answer: &str, note: &str) -> Result<(), String> {
    queue_settle_js(key, store, answer, note).await.map(|_| ()).map_err(describe)
}

/// Sends a queued item: its status, the answer's text and whether its photos were left out
/// (a server that does not take them yet); `Err` when the network fails.
pub async fn queue_send(key: f64, csrf: &str) -> Result<(u16, String, bool), String> {
    let answer = queue_send_js("queue", key, csrf).await.map_err(describe)?;
    let parts: js_sys::Array = answer.dyn_into().map_err(describe)?;
    let status = parts.get(0).as_f64().unwrap_or(0.0) as u16;
    Ok((status, parts.get(1).as_string().unwrap_or_default(), parts.get(2).as_bool().unwrap_or(false)))
}

fn describe(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(&e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}
