//! 人机格 in the console: which device a gridworker's account is bound to, and releasing it when
//! the phone is lost or replaced (`GET`/`DELETE /api/v1/admin/users/{username}/device`, a
//! dispatcher over the account's area; audited), so that the next phone to sign in binds.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::{api, labels};

/// Look up and release an account's device.
#[component]
pub fn DeviceBinding() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let url = move || format!("/api/v1/admin/users/{}/device", api::segment(username.get_untracked().trim()));
    let look = move |_| {
        if username.get_untracked().trim().is_empty() {
            status.set("请填写账号".to_owned());
            return;
        }
        let url = url();
        spawn_local(async move {
            status.set(match api::get::<Value>(&url).await {
                Ok(v) if v["required"] != Value::Bool(true) => "该账号无需绑定设备".to_owned(),
                Ok(v) => match v["bound"].as_object() {
                    Some(b) => format!(
                        "已绑定：{}（{}起）",
                        b.get("label").and_then(Value::as_str).filter(|l| !l.is_empty()).unwrap_or("未命名设备"),
                        labels::time(b.get("bound_at").and_then(Value::as_str).unwrap_or_default())
                    ),
                    None => "尚未绑定设备：下次登录的设备将被绑定".to_owned(),
                },
                Err(e) => e,
            });
        });
    };
    let release = move |_| {
        if username.get_untracked().trim().is_empty() {
            status.set("请填写账号".to_owned());
            return;
        }
        let url = url();
        spawn_local(async move {
            status.set(match api::raw("DELETE", &url, None).await {
                Ok((204, _)) => "已解除绑定，该账号的会话均已结束；下次登录的设备将被绑定".to_owned(),
                Ok((_, body)) => api::detail(&body),
                Err(e) => e,
            });
        });
    };
    view! {
        <details class="panel devices" id="device-binding">
            <summary>"网格员设备绑定（人机格）"</summary>
            <div class="row">
                <input id="device-username" type="text" placeholder="网格员账号" prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev))/>
                <button id="device-look" on:click=look>"查询"</button>
                <button id="device-release" on:click=release>"解除绑定"</button>
            </div>
            <p class="note" id="device-status">{move || status.get()}</p>
        </details>
    }
}
