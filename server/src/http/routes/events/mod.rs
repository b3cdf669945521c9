//! Routes of the events domain: report intake, the queues and transitions, the live queue,
//! Open311, the figures, the responsibility table and the working-day calendar.

mod attachments;
mod calendar;
mod followups;
mod open311;
pub(super) mod queues;
pub(super) mod reports;
mod responsibility;
pub(super) mod stats;
mod stream;

use axum::Router;

use crate::state::AppState;

/// Every route of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(reports::router())
        .merge(attachments::router())
        .merge(queues::router())
        .merge(responsibility::router())
        .merge(calendar::router())
        .merge(stats::router())
        .merge(followups::router())
        .merge(open311::router())
        .merge(stream::router())
}
