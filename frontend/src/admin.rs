//! The page of the system and security administrators (三员分立): no business data, only where
//! their work is done — the admin API, listed by the permissions the account holds.

use leptos::prelude::*;
use wangge_core::access::Permission;

use crate::session;

/// The admin API by permission: (permission, what, endpoints).
const ENDPOINTS: [(Permission, &str, &[&str]); 4] = [
    (
        Permission::ManageUsers,
        "账户管理（创建、停用、解锁、API 密钥、解除设备绑定）",
        &[
            "GET /api/v1/admin/users",
            "POST /api/v1/admin/users",
            "PUT /api/v1/admin/users/{username}/disabled",
            "POST /api/v1/admin/users/{username}/unlock",
            "POST /api/v1/admin/users/{username}/api-keys",
            "GET /api/v1/admin/users/{username}/device",
            "DELETE /api/v1/admin/users/{username}/device",
        ],
    ),
    (Permission::ManageGrants, "授权管理（角色 × 管辖范围）", &["GET /api/v1/admin/users", "PUT /api/v1/admin/users/{username}/grant"]),
    (Permission::EditSecurityPolicy, "安全策略（密码、锁定、会话）", &["GET /api/v1/admin/security-policy", "PUT /api/v1/admin/security-policy"]),
    (
        Permission::EditCalendar,
        "工作日历",
        &["GET /api/v1/calendar/{year}", "PUT /api/v1/calendar/{year}", "PUT /api/v1/calendar/overrides/{date}"],
    ),
];

/// What an administrator sees instead of the map.
#[component]
pub fn AdminNote() -> impl IntoView {
    let mine: Vec<_> = ENDPOINTS.iter().filter(|(p, _, _)| session::may(*p)).collect();
    let me = session::me();
    view! {
        <section class="admin-note" id="admin-note">
            <h2>{me.role_zh.clone().unwrap_or_else(|| "未授权账户".to_owned())}</h2>
            <p>"本账户不查看业务数据（地图、事件、统计）。管理工作通过管理接口完成，每次操作均记入审计日志："</p>
            {if mine.is_empty() {
                view! { <p class="note">"本账户尚无任何管理权限，请联系安全管理员授权。"</p> }.into_any()
            } else {
                view! {
                    <dl class="endpoints">
                        {mine.into_iter().map(|(_, what, list)| view! {
                            <dt>{*what}</dt>
                            {list.iter().map(|e| view! { <dd><code>{*e}</code></dd> }).collect_view()}
                        }).collect_view()}
                    </dl>
                }.into_any()
            }}
            <p class="note">"接口均需登录会话（或 API 密钥），以会话调用的修改类请求需带 X-CSRF-Token 头。"</p>
        </section>
    }
}
