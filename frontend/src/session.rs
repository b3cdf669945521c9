//! The signed-in account: on boot `GET /api/v1/auth/me` decides between the login form and
//! the app for the account's role; any later 401 returns to the login form; an expired
//! password is changed before anything else (`PUT /api/v1/auth/password`); 退出 is
//! `POST /api/v1/auth/logout`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use wangge_core::access::Permission;
use wangge_core::wire::Me;

use crate::{api, app, bridge};

/// Where the page is with the account.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Asking the service who is signed in.
    Checking,
    /// The login form, with a message (why the last session ended).
    SignedOut(String),
    /// Signed in with an expired password: only the change form.
    ChangePassword(Me),
    /// Signed in: the app for the account's role.
    SignedIn(Me),
}

/// The session's state, shared with the header's 退出 button.
#[derive(Debug, Clone, Copy)]
struct Session {
    status: RwSignal<Status>,
}

/// Whether the signed-in account may use `permission` (false outside the app).
pub fn may(permission: Permission) -> bool {
    use_context::<Me>().is_some_and(|me| me.may(permission))
}

/// The signed-in account (inside the app).
pub fn me() -> Me {
    expect_context::<Me>()
}

/// The page: who is signed in decides what is shown.
#[component]
pub fn Root() -> impl IntoView {
    let status = RwSignal::new(Status::Checking);
    provide_context(Session { status });
    api::on_unauthorized(move || {
        if matches!(status.get_untracked(), Status::SignedIn(_) | Status::ChangePassword(_)) {
            api::set_csrf("");
            bridge::watch_idle(0, || {});
            status.set(Status::SignedOut("登录已失效（空闲超时、已在别处退出或账户已停用），请重新登录。".to_owned()));
        }
    });
    spawn_local(async move { status.set(check().await) });
    Effect::new(move |_| match status.get() {
        Status::SignedIn(me) | Status::ChangePassword(me) => {
            let minutes = me.idle_timeout_s.div_ceil(60);
            bridge::watch_idle(me.idle_timeout_s, move || {
                end_session(status, format!("已超过 {minutes} 分钟未操作，已自动退出登录。"));
            });
        }
        _ => bridge::watch_idle(0, || {}),
    });
    move || match status.get() {
        Status::Checking => view! { <p class="boot">"正在检查登录状态…"</p> }.into_any(),
        Status::SignedOut(message) => view! { <Login message/> }.into_any(),
        Status::ChangePassword(me) => view! { <PasswordChange me/> }.into_any(),
        Status::SignedIn(me) => {
            provide_context(me);
            view! { <app::App/> }.into_any()
        }
    }
}

/// Who is signed in now (`GET /api/v1/auth/me`).
async fn check() -> Status {
    match api::raw("GET", "/api/v1/auth/me", None).await {
        Ok((200, text)) => match serde_json::from_str::<Me>(&text) {
            Ok(me) => enter(me),
            Err(e) => Status::SignedOut(format!("无法解析登录信息：{e}")),
        },
        Ok((401, _)) => Status::SignedOut(String::new()),
        Ok((status, text)) => Status::SignedOut(format!("无法确认登录状态（HTTP {status}）：{}", api::detail(&text))),
        Err(e) => Status::SignedOut(e),
    }
}

/// The session of `me` begins: its CSRF token goes with every unsafe request, and the page
/// signs out by itself after the session's idle timeout without the user's input.
fn enter(me: Me) -> Status {
    api::set_csrf(me.csrf_token.as_deref().unwrap_or_default());
    if me.password_expired {
        Status::ChangePassword(me)
    } else {
        Status::SignedIn(me)
    }
}

/// The message for a refused login, by status, with the service's own words.
fn login_refused(status: u16, text: &str) -> String {
    let detail = api::detail(text);
    match status {
        401 => format!("用户名或密码错误（{detail}）"),
        423 => format!("账户已锁定：{detail}"),
        429 => format!("登录尝试过于频繁，请稍后再试（{detail}）"),
        403 => format!("账户不可用：{detail}"),
        _ => format!("登录失败（HTTP {status}）：{detail}"),
    }
}

/// 用户名 / 密码 / 登录 (`POST /api/v1/auth/login`).
#[component]
fn Login(message: String) -> impl IntoView {
    let Session { status } = expect_context::<Session>();
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
                    // A page that already drew another session's map starts afresh.
                    Ok(_) if bridge::map_created() => bridge::reload_page(),
                    Ok(me) => status.set(enter(me)),
                    Err(e) => error.set(format!("无法解析登录信息：{e}")),
                },
                Ok((code, text)) => {
                    password.set(String::new());
                    error.set(login_refused(code, &text));
                }
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <form class="login-box" id="login-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <h1>"怀来县网格化服务管理"</h1>
                <p class="note">{message}</p>
                <label>"用户名" <input id="login-username" type="text" autocomplete="username" required=true
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/></label>
                <label>"密码" <input id="login-password" type="password" autocomplete="current-password" required=true
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <button id="login-submit" type="submit" prop:disabled=move || busy.get()>"登录"</button>
                <p class="error" id="login-error" role="alert">{move || error.get()}</p>
            </form>
        </main>
    }
}

/// The change form shown before anything else when the password has expired.
#[component]
fn PasswordChange(me: Me) -> impl IntoView {
    let Session { status } = expect_context::<Session>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let submit = move || {
        if new.get_untracked() != again.get_untracked() {
            error.set("两次输入的新密码不一致。".to_owned());
            return;
        }
        let body = json!({"current": current.get_untracked(), "new": new.get_untracked()});
        error.set("提交中…".to_owned());
        spawn_local(async move {
            match api::raw("PUT", "/api/v1/auth/password", Some(&body)).await {
                Ok((status_code, _)) if (200..300).contains(&status_code) => status.set(check().await),
                Ok((422, text)) => error.set(format!("新密码不符合要求：{}", api::detail(&text))),
                Ok((code, text)) => error.set(format!("修改失败（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => error.set(e),
            }
        });
    };
    let input = move |id: &'static str, value: RwSignal<String>, auto: &'static str| {
        view! { <input id=id type="password" autocomplete=auto required=true prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))/> }
    };
    view! {
        <main class="login">
            <form class="login-box" id="password-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <h1>"请修改密码"</h1>
                <p class="note">{format!("{}（{}）的密码已过期，修改后才能继续使用。", me.display_name, me.username)}</p>
                <label>"当前密码" {input("password-current", current, "current-password")}</label>
                <label>"新密码" {input("password-new", new, "new-password")}</label>
                <label>"确认新密码" {input("password-again", again, "new-password")}</label>
                <button id="password-submit" type="submit">"修改密码"</button>
                <p class="error" id="password-error" role="alert">{move || error.get()}</p>
                <button type="button" class="link" on:click=move |_| logout(status)>"退出"</button>
            </form>
        </main>
    }
}

/// The header's account box: name, role, jurisdiction, 退出.
#[component]
pub fn UserBox() -> impl IntoView {
    let Session { status } = expect_context::<Session>();
    let me = me();
    view! {
        <div class="user" id="user-box">
            <span id="user-name">{me.display_name.clone()}</span>
            <span class="role" id="user-role">{me.role_zh.clone().unwrap_or_else(|| "未授权".to_owned())}</span>
            <span id="user-jurisdiction">{me.jurisdiction_name.clone().unwrap_or_default()}</span>
            <button id="logout" on:click=move |_| logout(status)>"退出"</button>
        </div>
    }
}

/// 退出: ends the session on the service, then shows the login form (on a fresh page once a
/// map was drawn, so nothing of this session stays in memory).
fn logout(status: RwSignal<Status>) {
    spawn_local(async move {
        // Already signed out on the service (401) is fine too.
        let _ = api::raw("POST", "/api/v1/auth/logout", None).await;
        api::set_csrf("");
        if bridge::map_created() {
            bridge::reload_page();
        } else {
            status.set(Status::SignedOut("已退出登录。".to_owned()));
        }
    });
}

/// Ends the session on the service and shows the login form with `why` (the page's data is
/// gone from the screen; a new login starts on a fresh page).
fn end_session(status: RwSignal<Status>, why: String) {
    spawn_local(async move {
        let _ = api::raw("POST", "/api/v1/auth/logout", None).await;
        api::set_csrf("");
        status.set(Status::SignedOut(why));
    });
}
