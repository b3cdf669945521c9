//! `GET /api/v1/events/stream?tier=&holder=&township=&village=`: the live queue as server-sent
//! events. Every event this process creates or changes that matches the filter (before or after
//! the change) comes as an SSE event `event` whose data is a [`QueueMessage`]; a client that
//! fell behind gets `resync` and reloads its list. Changes made by other instances sharing the
//! database are not streamed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use wangge_core::event::{Holder, Tier};
use wangge_core::wire::{QueueChange, QueueMessage};

use crate::http::routes::{code, no_store};
use crate::clock::Clock;
use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::{Jurisdiction, Permission, Role};
use crate::events::view::event_view;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::events::{ChangeKind, EventChange};
use crate::http::routes::Routes;

/// How often an idle stream sends a `: keep-alive` comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Longest holder id.
const MAX_ID: usize = 64;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/events/stream", get(stream))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    tier: Option<String>,
    holder: Option<String>,
    township: Option<String>,
    village: Option<String>,
}

/// Which changes a subscriber wants (and may see); every field narrows.
#[derive(Debug, Clone)]
struct Filter {
    scope: Jurisdiction,
    tier: Option<Tier>,
    holder: Option<String>,
    township: Option<String>,
    village: Option<String>,
}

impl Filter {
    fn parse(q: StreamQuery, scope: Jurisdiction) -> Result<Self, ApiError> {
        let tier = q
            .tier
            .map(|t| {
                Tier::parse(&t).ok_or_else(|| {
                    ApiError::BadRequest(format!("tier must be grid, village, township, county or department, got {t:?}"))
                })
            })
            .transpose()?;
        let holder = q.holder.map(holder_id).transpose()?;
        Ok(Self {
            scope,
            tier,
            holder,
            township: q.township.map(|c| code("township", c, 9)).transpose()?,
            village: q.village.map(|c| code("village", c, 12)).transpose()?,
        })
    }

    /// In the subscriber's divisions, and held as asked now or just before.
    fn accepts(&self, change: &EventChange) -> bool {
        let e = &change.event;
        let held = |h: Option<&Holder>| {
            h.is_some_and(|h| {
                self.tier.is_none_or(|t| h.tier == t) && self.holder.as_ref().is_none_or(|id| *id == h.id)
            })
        };
        let by_holder = (self.tier.is_none() && self.holder.is_none())
            || held(e.flow.holder.as_ref())
            || held(change.was.as_ref());
        by_holder
            && self.scope.covers(&e.place.township, &e.place.village)
            && self.township.as_ref().is_none_or(|t| *t == e.place.township)
            && self.village.as_ref().is_none_or(|v| *v == e.place.village)
    }
}

fn holder_id(id: String) -> Result<String, ApiError> {
    let n = id.chars().count();
    if (1..=MAX_ID).contains(&n) && !id.chars().any(char::is_control) && id.trim() == id {
        Ok(id)
    } else {
        Err(ApiError::BadRequest(format!(
            "holder must be 1 to {MAX_ID} characters without control characters or surrounding spaces"
        )))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/events/stream",
    operation_id = "get_api_v1_events_stream",
    tag = "events",
    params(StreamQuery),
    responses((status = 200, description = "the answer", content((String = "text/event-stream"))), crate::http::openapi::Problems)
)]
async fn stream(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<StreamQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadEvents)?;
    let mut filter = Filter::parse(q, scope.0)?;
    // A department handler hears of its department's events only.
    if caller.grant.as_ref().is_some_and(|g| g.role == Role::DepartmentHandler) {
        filter.tier = Some(Tier::Department);
        filter.holder = Some(caller.acting_as.clone());
    }
    if state.changes.subscribers() >= state.limits.max_subscribers {
        return Err(ApiError::Busy {
            detail: format!("{} live queues are open; try again shortly", state.limits.max_subscribers),
            retry_after_secs: 10,
        });
    }
    let changes = state.changes.subscribe();
    let closing = Box::pin(state.changes.closing());
    let session = Session { auth: state.auth.clone(), caller: caller.clone(), clock: state.clock.clone() };
    let mut tick = tokio::time::interval(LIVENESS);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let events = futures_util::stream::unfold((changes, filter, session, tick, closing), |(mut changes, filter, session, mut tick, mut closing)| async move {
        loop {
            // A logout, a disabled account, a changed grant or an idle session ends the stream: checked before
            // each event sent and on every tick, not for the changes filtered out.
            let event = tokio::select! {
                change = changes.recv() => match change {
                    Ok(change) if filter.accepts(&change) => message(&change, &session.clock),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        Event::default().event("resync").data(format!("{{\"missed\":{missed}}}"))
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = tick.tick() => {
                    if session.live().await {
                        continue;
                    }
                    return None;
                }
                // The service is stopping: the client reconnects to another instance or later.
                () = &mut closing => return None,
            };
            if !session.live().await {
                return None;
            }
            return Some((Ok::<_, Infallible>(event), (changes, filter, session, tick, closing)));
        }
    });
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    Ok(no_store(sse.into_response()))
}

/// How often an idle stream checks that its session is still live.
const LIVENESS: Duration = Duration::from_secs(15);

/// The session (and grant) a stream was opened with.
struct Session {
    auth: crate::access::Auth,
    caller: Caller,
    clock: Clock,
}

impl Session {
    /// Live, and the account still holds the grant the stream was opened under.
    async fn live(&self) -> bool {
        self.auth.still_holds(&self.caller, self.clock.now()).await.unwrap_or(false)
    }
}

/// The SSE event for a change: `event: event`, the event's id, data a [`QueueMessage`].
fn message(change: &EventChange, clock: &Clock) -> Event {
    let kind = match change.kind {
        ChangeKind::Created => QueueChange::Created,
        ChangeKind::Changed => QueueChange::Changed,
    };
    let message = QueueMessage { kind, event: event_view(&change.event, clock.now()) };
    // Serialising plain data cannot fail; an empty object would tell the client to reload.
    let data = serde_json::to_string(&message).unwrap_or_else(|_| "{}".into());
    Event::default().event("event").data(data)
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(stream))]
pub struct Doc;
