//! The field app's frame: who is signed in (the cached answer when offline), the login form
//! (with the 人机格 device refusal in words), then the header with the network and the queue,
//! the map, the view of the chosen tab and the bottom bar.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::wire::Me;

use super::geo::{self, Here};
use super::{bridge, patrol, queue, registry, report, tasks, Field, Tab};
use crate::api;

/// Where the page is with the account.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Checking,
    SignedOut(String),
    /// Signed in, with the codes of the gridworker's own grids if the service names them.
    SignedIn(Me, Vec<String>),
}

/// The gridworker's own grids, if the answer of the sign-in names them (`grids`).
fn my_grids(text: &str) -> Vec<String> {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("grids").and_then(Value::as_array).map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect()))
        .unwrap_or_default()
}

/// The field app: the login form or the app for the gridworker.
#[component]
pub fn FieldRoot() -> impl IntoView {
    bridge::setup_page();
    spawn_local(async {
        bridge::register_worker().await;
    });
    let status = RwSignal::new(Status::Checking);
    spawn_local(async move { status.set(check().await) });
    move || match status.get() {
        Status::Checking => view! { <p class="boot">"正在检查登录状态…"</p> }.into_any(),
        Status::SignedOut(message) => view! { <Login message on_in=move |(me, mine)| status.set(Status::SignedIn(me, mine))/> }.into_any(),
        Status::SignedIn(me, _) if !me.may(Permission::Patrol) => view! {
            <main class="f-login"><div class="f-card" id="f-not-gridworker">
                <h1>"网格员手机端"</h1>
                <p>{format!("{}（{}）不是网格员账号：手机端仅供网格员使用。", me.display_name, me.role_zh.clone().unwrap_or_default())}</p>
                <a class="f-button" href="/">"打开电脑端"</a>
            </div></main>
        }.into_any(),
        Status::SignedIn(me, mine) => view! { <FieldApp me mine/> }.into_any(),
    }
}

/// Who is signed in: the server's answer, or the service worker's copy when offline.
async fn check() -> Status {
    match api::raw("GET", "/api/v1/auth/me", None).await {
        Ok((200, text)) => match serde_json::from_str::<Me>(&text) {
            Ok(me) => {
                api::set_csrf(me.csrf_token.as_deref().unwrap_or_default());
                Status::SignedIn(me, my_grids(&text))
            }
            Err(e) => Status::SignedOut(format!("无法解析登录信息：{e}")),
        },
        Ok((401, _)) => Status::SignedOut(String::new()),
        Ok((code, text)) => Status::SignedOut(format!("无法确认登录状态（HTTP {code}）：{}", api::detail(&text))),
        Err(_) => Status::SignedOut("当前离线，且本机没有登录记录：请联网后登录一次。".to_owned()),
    }
}

/// The message for a refused login; a device not bound to the account (人机格) in words (the
/// service's own detail names the bound phone in English: not shown on the phone).
pub fn refused(status: u16, text: &str) -> String {
    let kind = serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned));
    if status == 403 && kind.is_some_and(|t| t.ends_with("device-not-bound")) {
        return "此账号已绑定其他设备，请联系调度员或管理员解除绑定。".to_owned();
    }
    match status {
        401 => "用户名或密码错误".to_owned(),
        423 => format!("账户已锁定：{}", api::detail(text)),
        429 => "登录尝试过于频繁，请稍后再试".to_owned(),
        _ => format!("登录失败（HTTP {status}）：{}", api::detail(text)),
    }
}

#[component]
fn Login(message: String, #[prop(into)] on_in: Callback<(Me, Vec<String>)>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move || {
        let body = json!({"username": username.get_untracked().trim(), "password": password.get_untracked()});
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw("POST", "/api/v1/auth/login", Some(&body)).await {
                Ok((200, text)) => match serde_json::from_str::<Me>(&text) {
                    Ok(me) => {
                        api::set_csrf(me.csrf_token.as_deref().unwrap_or_default());
                        on_in.run((me, my_grids(&text)));
                    }
                    Err(e) => error.set(format!("无法解析登录信息：{e}")),
                },
                Ok((code, text)) => {
                    password.set(String::new());
                    error.set(refused(code, &text));
                }
                Err(_) => error.set("当前离线，无法登录：请联网后再试。".to_owned()),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="f-login">
            <form class="f-card" id="login-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <h1>"网格员手机端"</h1>
                <p class="note">{message}</p>
                <label>"用户名" <input id="login-username" type="text" autocomplete="username" required=true
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/></label>
                <label>"密码" <input id="login-password" type="password" autocomplete="current-password" required=true
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <button id="login-submit" class="f-button" type="submit" prop:disabled=move || busy.get()>"登录"</button>
                <p class="error" id="login-error" role="alert">{move || error.get()}</p>
            </form>
        </main>
    }
}

/// The app for the signed-in gridworker.
#[component]
fn FieldApp(me: Me, mine: Vec<String>) -> impl IntoView {
    let f = Field {
        me: StoredValue::new(me),
        online: RwSignal::new(bridge::is_online()),
        pending: RwSignal::new(Vec::new()),
        failed: RwSignal::new(Vec::new()),
        sync_note: RwSignal::new(String::new()),
        fix: RwSignal::new(None),
        fix_error: RwSignal::new(String::new()),
        grids: StoredValue::new(Vec::new()),
        here: RwSignal::new(Here::Unknown),
        server_here: RwSignal::new(String::new()),
        tab: RwSignal::new(Tab::Map),
        tapped: RwSignal::new(None),
        need_login: RwSignal::new(false),
        walk: RwSignal::new(None),
    };
    provide_context(f);
    start(f, mine);
    // What the app needs offline goes through the service worker once it is there.
    let urls = serde_json::json!(["/api/v1/auth/me", "/api/v1/map/grids.geojson", tasks::url(&f.person())]).to_string();
    spawn_local(async move {
        if bridge::register_worker().await {
            bridge::warm(&urls).await;
        }
    });
    let name = f.me.with_value(|m| m.display_name.clone());
    let registry_tab = f.me.with_value(|m| m.may(Permission::ReadRegistry));
    let tab_button = move |tab: Tab, id: &'static str, label: &'static str| {
        view! {
            <button id=id class:active=move || f.tab.get() == tab on:click=move |_| {
                f.tab.set(tab);
                request_animation_frame(bridge::resize_map);
            }>{label}</button>
        }
    };
    view! {
        <div class="f-app">
            <header class="f-head">
                <b>"网格员"</b>
                <span class="f-name">{name}</span>
                <span id="f-online" class:off=move || !f.online.get()>{move || if f.online.get() { "在线" } else { "离线" }}</span>
                <span id="f-pending" data-count=move || f.pending.get().len().to_string()
                    class:some=move || !f.pending.get().is_empty()>{move || format!("{} 条待上传", f.pending.get().len())}</span>
            </header>
            {move || f.need_login.get().then(|| view! { <Relogin/> })}
            <section class="f-map"><div id="field-map"></div><HereBox/></section>
            <section class="f-panel">
                {move || match f.tab.get() {
                    Tab::Map => view! { <Overview/> }.into_any(),
                    Tab::Report => view! { <report::ReportForm/> }.into_any(),
                    Tab::Tasks => view! { <tasks::Tasks/> }.into_any(),
                    Tab::Patrol => view! { <patrol::PatrolPanel/> }.into_any(),
                    Tab::Registry => view! { <registry::RegistryScreen/> }.into_any(),
                }}
            </section>
            <nav class="f-tabs" class:five=registry_tab>
                {tab_button(Tab::Map, "tab-map", "地图")}
                {tab_button(Tab::Report, "tab-report", "上报")}
                {tab_button(Tab::Tasks, "tab-tasks", "任务")}
                {tab_button(Tab::Patrol, "tab-patrol", "巡查")}
                {registry_tab.then(|| tab_button(Tab::Registry, "tab-registry", "基础数据"))}
            </nav>
        </div>
    }
}

/// Everything the app starts once signed in: the map with my grids, the position watch, the
/// network events, the queue's first pass and its retries, the patrol left open.
fn start(f: Field, mine: Vec<String>) {
    spawn_local(async move {
        f.refresh().await;
        f.sync();
        let mut layer = api::get_text("/api/v1/map/grids.geojson").await.ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
        let mut grids = layer.as_ref().map(geo::grids_of).unwrap_or_default();
        geo::mark_mine(&mut grids, &mine);
        if let Some(features) = layer.as_mut().and_then(|l| l.get_mut("features")).and_then(Value::as_array_mut) {
            for feature in features {
                let code = feature.pointer("/properties/code").and_then(Value::as_str).unwrap_or_default().to_owned();
                if let Some(props) = feature.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("mine".into(), Value::Bool(mine.is_empty() || mine.contains(&code)));
                }
            }
        }
        f.grids.set_value(grids);
        let grids = layer.map(|l| l.to_string()).unwrap_or_default();
        let on_tap = move |lon, lat| {
            f.tapped.set(Some((lon, lat)));
        };
        if let Err(e) = bridge::init_map("field-map", &grids, on_tap).await {
            f.fix_error.set(format!("地图无法启动：{e}"));
        }
        if let Some(fix) = f.fix.get_untracked() {
            show_fix(f, fix);
        }
        patrol::resume(f);
    });
    bridge::on_network(move |up| {
        f.online.set(up);
        if up {
            f.sync();
        }
    });
    bridge::every(30.0, move || f.sync());
    bridge::watch_position(
        move |lon, lat, ms, accuracy| {
            let fix = [lon, lat, ms, accuracy];
            f.fix.set(Some(fix));
            f.fix_error.set(String::new());
            show_fix(f, fix);
            patrol::on_fix(f, fix);
        },
        move |why| f.fix_error.set(why),
    );
}

/// Draws the fix and finds its grid on the device (and on the server when online).
fn show_fix(f: Field, fix: geo::Fix) {
    bridge::set_position(fix[0], fix[1], fix[3]);
    let here = f.grids.with_value(|g| geo::locate(g, [fix[0], fix[1]]));
    let code = match &here {
        Here::Mine(i) | Here::Away { inside: Some(i), .. } => f.grids.with_value(|g| g.get(*i).map(|g| g.code.clone())).unwrap_or_default(),
        _ => String::new(),
    };
    bridge::set_here(&code);
    if f.here.get_untracked() != here {
        f.here.set(here);
        if f.online.get_untracked() {
            spawn_local(locate_online(f, fix[0], fix[1]));
        }
    }
}

/// The server's `GET /api/v1/locate` for a point (its grid, village and township).
async fn locate_online(f: Field, lon: f64, lat: f64) {
    let url = api::url("/api/v1/locate", &[("lon", &lon.to_string()), ("lat", &lat.to_string())]);
    let Ok(answer) = api::get::<Value>(&url).await else { return };
    let name = |k: &str| answer.get(k).and_then(|v| v.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let text = if answer.get("grid").is_some_and(|g| !g.is_null()) {
        format!("服务器定位：{} · {} · {}", name("grid"), name("village"), name("township"))
    } else {
        "服务器定位：不在任何网格内".to_owned()
    };
    f.server_here.set(text);
}

/// What the device knows of where it is: position, accuracy and grid.
#[component]
fn HereBox() -> impl IntoView {
    let f = super::field();
    let grid_name = move |i: usize| f.grids.with_value(|g| g.get(i).map(|g| format!("{}（{}）", g.name, g.code))).unwrap_or_default();
    view! {
        <div class="f-here" id="f-here">
            <div id="f-position">{move || match f.fix.get() {
                Some(x) => format!("我的位置 {:.5}, {:.5} · 精度 ±{:.0} 米", x[0], x[1], x[3]),
                None if !f.fix_error.get().is_empty() => f.fix_error.get(),
                None => "正在定位…".to_owned(),
            }}</div>
            <div id="f-grid">{move || match f.here.get() {
                Here::Mine(i) => format!("所在网格：{}", grid_name(i)),
                Here::Away { inside, nearest } => {
                    let at = inside.map_or_else(|| "不在任何网格内".to_owned(), |i| format!("所在网格：{}（非本人网格）", grid_name(i)));
                    let near = nearest.map(|(i, d)| format!(" · 最近的本人网格：{} 约 {d:.0} 米", grid_name(i))).unwrap_or_default();
                    format!("{at}{near}")
                }
                Here::Unknown => String::new(),
            }}</div>
            <div class="note" id="f-server-grid">{move || f.server_here.get()}</div>
        </div>
    }
}

/// The map tab's panel: the queue in full, send now, sign out (the queue stays on the device).
#[component]
fn Overview() -> impl IntoView {
    let f = super::field();
    let logout = move |_| {
        spawn_local(async move {
            let _ = api::raw("POST", "/api/v1/auth/logout", None).await;
            api::set_csrf("");
            bridge::clear_caches().await;
            // A fresh page: nothing of the session stays in memory (the position watch and the
            // queue's timer belong to it). The queue stays on the device for the next sign-in.
            crate::bridge::reload_page();
        });
    };
    let line = |i: &queue::Listed| {
        let photos = if i.photos > 0 { format!(" · {} 张照片", i.photos) } else { String::new() };
        format!("{}{}", i.label, photos)
    };
    view! {
        <h2>"待上传"</h2>
        <p class="note" id="f-sync-note">{move || f.sync_note.get()}</p>
        <ul class="f-list" id="f-queue">
            {move || f.pending.get().iter().map(|i| view! { <li>{line(i)}</li> }).collect_view()}
        </ul>
        {move || (!f.failed.get().is_empty()).then(|| view! {
            <h3>"未被接受"</h3>
            <ul class="f-list f-failed" id="f-failed">
                {f.failed.get().iter().map(|i| view! { <li>{line(i)}<div class="error">{i.note.clone()}</div></li> }).collect_view()}
            </ul>
        })}
        <div class="f-actions">
            <button class="f-button" id="f-sync" on:click=move |_| f.sync() prop:disabled=move || !f.online.get()>"立即上传"</button>
            <button class="f-button secondary" id="f-logout" on:click=logout>"退出登录"</button>
        </div>
    }
}

/// The session ended while the queue waits: sign in again here.
#[component]
fn Relogin() -> impl IntoView {
    let f = super::field();
    let username = f.me.with_value(|m| m.username.clone());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let submit = move || {
        let body = json!({"username": username.clone(), "password": password.get_untracked()});
        spawn_local(async move {
            match api::raw("POST", "/api/v1/auth/login", Some(&body)).await {
                Ok((200, text)) => {
                    if let Ok(me) = serde_json::from_str::<Me>(&text) {
                        api::set_csrf(me.csrf_token.as_deref().unwrap_or_default());
                    }
                    f.need_login.set(false);
                    f.sync();
                }
                Ok((code, text)) => error.set(refused(code, &text)),
                Err(_) => error.set("当前离线，无法登录。".to_owned()),
            }
        });
    };
    view! {
        <form class="f-relogin" id="f-relogin" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <span>"登录已失效，请输入密码："</span>
            <input id="relogin-password" type="password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            <button class="f-button" type="submit">"登录"</button>
            <span class="error">{move || error.get()}</span>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_not_bound_to_the_account_is_told_so_in_chinese() {
        let problem = r#"{"type":"urn:wangge:problem:device-not-bound","title":"Not this account's device","status":403,"detail":"this account works from the device it is bound to"}"#;
        assert_eq!(refused(403, problem), "此账号已绑定其他设备，请联系调度员或管理员解除绑定。");
        assert_eq!(refused(401, r#"{"detail":"wrong user name or password"}"#), "用户名或密码错误");
        assert!(refused(403, r#"{"type":"urn:wangge:problem:forbidden","detail":"disabled"}"#).contains("disabled"));
    }

    #[test]
    fn my_grids_are_read_from_the_sign_in_when_named() {
        assert_eq!(my_grids(r#"{"username":"g","grids":["130730100001001","130730100001Z01"]}"#), ["130730100001001", "130730100001Z01"]);
        assert!(my_grids(r#"{"username":"g"}"#).is_empty());
    }
}
