//! The offline queue (待上传): reports, actions, patrols and registry records made on the device wait in
//! IndexedDB (`js/field.js`) with client-generated ids and are sent exactly once, in the order
//! they were made, when the network is there; the server's idempotency makes a replay of one
//! already taken harmless. What an answer means is decided here.

use serde::{Deserialize, Serialize};

use super::bridge;
use crate::api;

/// What an item does on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `POST /api/v1/reports` (事件上报), with photos.
    Report,
    /// `POST /api/v1/events/{id}/transitions` (核实, 就地解决, 上报, 退单), with photos.
    Transition,
    /// `POST /api/v1/patrols` (开始巡查).
    PatrolStart,
    /// `POST /api/v1/patrols/{id}/points` (轨迹).
    Points,
    /// `POST /api/v1/patrols/{id}/checkins` (走访打卡), with photos.
    Checkin,
    /// `POST /api/v1/patrols/{id}/end` (结束巡查).
    PatrolEnd,
    /// `POST /api/v1/registry/{kind}` (基础数据: a person or house added).
    RegistryCreate,
    /// `POST /api/v1/registry/{kind}/{id}/verify` (re-verified on the spot).
    RegistryVerify,
    /// `POST /api/v1/screenings` (矛盾纠纷排查: a grid's month, recorded even when nothing was
    /// found; a replay replaces the same grid's month).
    Screening,
}

impl Kind {
    /// The multipart part that carries the JSON body when photos go with it.
    fn part(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Transition => "transition",
            Self::Checkin => "checkin",
            _ => "",
        }
    }

    /// Whether the item's client id goes in `Idempotency-Key` (the routes that read it).
    fn keyed(self) -> bool {
        matches!(self, Self::Report | Self::Transition | Self::PatrolStart | Self::Checkin | Self::RegistryCreate)
    }
}

/// A new item, as stored (its photos go beside it as Blobs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewItem {
    /// The client id (UUID): the body's `report_id` / `patrol_id` / `checkin_id`.
    pub id: String,
    /// What it does.
    pub kind: Kind,
    /// What the user sees in the list.
    pub label: String,
    /// Always `POST`.
    pub method: &'static str,
    /// Where it goes.
    pub url: String,
    /// The multipart part of the JSON body.
    pub part: &'static str,
    /// The JSON body.
    pub body: String,
    /// Send the id in `Idempotency-Key`.
    pub idempotent: bool,
}

impl NewItem {
    /// An item of `kind` posting `body` to `url`.
    pub fn new(id: String, kind: Kind, label: String, url: String, body: &serde_json::Value) -> Self {
        Self { id, kind, label, method: "POST", url, part: kind.part(), body: body.to_string(), idempotent: kind.keyed() }
    }
}

/// An item as listed (without its photos).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Listed {
    /// Its place in the queue (order of making).
    pub key: f64,
    /// The client id.
    pub id: String,
    /// What it does.
    pub kind: Kind,
    /// What the user sees.
    pub label: String,
    /// Photos attached.
    pub photos: usize,
    /// When it was made (unix ms).
    pub created_ms: f64,
    /// Why it was refused, or a note on how it went.
    #[serde(default)]
    pub note: String,
}

/// What an answer means for the item sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken (or taken before: an idempotent replay).
    Sent,
    /// Refused for good, with the reason: kept aside and shown, the queue goes on.
    Refused(String),
    /// Not now (server busy or failing): stop and try again later, in the same order.
    Later,
    /// The session is gone: sign in again, then go on.
    SignIn,
    /// The CSRF token is stale: ask who is signed in, then go on.
    Token,
}

/// What the status and body of an answer mean.
pub fn outcome(status: u16, text: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Sent,
        401 => Outcome::SignIn,
        403 if text.contains("x-csrf-token") => Outcome::Token,
        0 | 408 | 425 | 429 | 500..=599 => Outcome::Later,
        _ => Outcome::Refused(format!("HTTP {status}：{}", api::detail(text))),
    }
}

/// Items of a store (`queue`, `sent`, `failed`), oldest first.
pub async fn list(store: &str) -> Vec<Listed> {
    let text = bridge::queue_list(store).await.unwrap_or_else(|_| "[]".to_owned());
    let mut items: Vec<Listed> = serde_json::from_str(&text).unwrap_or_default();
    in_order(&mut items);
    items
}

/// Oldest first: the order the items were made in, which is the order they must reach the
/// server in (a patrol before its points, its points before its end).
pub fn in_order(items: &mut [Listed]) {
    items.sort_by(|a, b| a.key.total_cmp(&b.key));
}

/// How a pass over the queue ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drained {
    /// Everything was sent (or refused for good).
    Empty,
    /// Stopped: no network or the server is busy.
    Stopped(String),
    /// Stopped: the session is gone.
    SignIn,
}

/// Sends the queue, oldest first, each item once, until it is empty (items added meanwhile
/// included) or something stops it.
pub async fn drain() -> Drained {
    let mut token_refreshed = false;
    loop {
        let items = list("queue").await;
        if items.is_empty() {
            return Drained::Empty;
        }
        for item in items {
            match send(&item, &mut token_refreshed).await {
                Ok(()) => {}
                Err(stop) => return stop,
            }
        }
    }
}

/// Sends one item and files it by the answer; `Err` when the pass must stop.
async fn send(item: &Listed, token_refreshed: &mut bool) -> Result<(), Drained> {
    loop {
        let (status, text, dropped) = bridge::queue_send(item.key, &api::csrf_token())
            .await
            .map_err(|e| Drained::Stopped(format!("网络不可用：{e}")))?;
        match outcome(status, &text) {
            Outcome::Sent => {
                let note = if dropped { "服务器暂不接收照片：照片未上传" } else { "" };
                return file(item, "sent", &text, note).await;
            }
            Outcome::Refused(reason) => {
                return file(item, "failed", &text, &reason).await;
            }
            Outcome::Later => return Err(Drained::Stopped(format!("服务器暂时无法处理（HTTP {status}），稍后重试"))),
            Outcome::SignIn => return Err(Drained::SignIn),
            // A stale token: ask for the session's current one, once a pass, and send again.
            Outcome::Token if !*token_refreshed => {
                *token_refreshed = true;
                refresh_token().await;
            }
            Outcome::Token => return Err(Drained::SignIn),
        }
    }
}

/// Moves a sent item out of the queue (a device whose storage fails stops the pass rather than
/// send the item again).
async fn file(item: &Listed, store: &str, answer: &str, note: &str) -> Result<(), Drained> {
    bridge::queue_settle(item.key, store, answer, note).await.map_err(|e| Drained::Stopped(format!("本机存储出错：{e}")))
}

/// Asks the server who is signed in, for the session's current CSRF token.
async fn refresh_token() {
    if let Ok((200, text)) = api::raw("GET", "/api/v1/auth/me", None).await {
        if let Ok(me) = serde_json::from_str::<wangge_core::wire::Me>(&text) {
            api::set_csrf(me.csrf_token.as_deref().unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decide_what_happens_to_an_item() {
        assert_eq!(outcome(201, "{}"), Outcome::Sent);
        assert_eq!(outcome(200, "{}"), Outcome::Sent, "an idempotent replay");
        assert_eq!(outcome(401, ""), Outcome::SignIn);
        assert_eq!(outcome(503, ""), Outcome::Later);
        assert_eq!(outcome(429, ""), Outcome::Later);
        let csrf = r#"{"type":"x","title":"Forbidden","detail":"a change made with the session cookie needs the session's x-csrf-token header"}"#;
        assert_eq!(outcome(403, csrf), Outcome::Token);
        let refused = outcome(409, r#"{"title":"Conflict","detail":"cannot accept an event that is accepted"}"#);
        assert_eq!(refused, Outcome::Refused("HTTP 409：cannot accept an event that is accepted".into()));
    }

    #[test]
    fn items_go_in_the_order_they_were_made() {
        let item = |key: f64, kind| Listed { key, id: key.to_string(), kind, label: String::new(), photos: 0, created_ms: 0.0, note: String::new() };
        let mut items = vec![item(3.0, Kind::PatrolEnd), item(1.0, Kind::PatrolStart), item(2.0, Kind::Points)];
        in_order(&mut items);
        assert_eq!(items.iter().map(|i| i.kind).collect::<Vec<_>>(), [Kind::PatrolStart, Kind::Points, Kind::PatrolEnd]);
    }

    #[test]
    fn a_report_goes_as_multipart_with_its_key() {
        let body = serde_json::json!({"report_id": "u1"});
        let item = NewItem::new("u1".into(), Kind::Report, "上报".into(), "/api/v1/reports".into(), &body);
        assert_eq!((item.part, item.idempotent), ("report", true));
        let points = NewItem::new("u2".into(), Kind::Points, "轨迹".into(), "/api/v1/patrols/p/points".into(), &body);
        assert_eq!((points.part, points.idempotent), ("", false));
    }
}
