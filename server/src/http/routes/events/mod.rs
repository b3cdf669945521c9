//! Routes of the events domain: report intake, the queues and transitions, the live queue,
//! Open311, the figures, the responsibility table and the working-day calendar.

pub(super) mod attachments;
pub(super) mod calendar;
pub(super) mod followups;
pub(super) mod open311;
pub(super) mod queues;
pub(super) mod reports;
pub(super) mod responsibility;
pub(super) mod stats;
pub(super) mod stream;

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
