//! Bounded service: at most so many requests are served at once and each is answered within
//! the request timeout; beyond either, the answer is 503 with `Retry-After` — never a queue
//! that grows without bound, never a request that hangs.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;
use crate::state::AppState;

/// The middleware around the whole router.
pub async fn bound(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    let Ok(permit) = limits.in_flight.clone().try_acquire_owned() else {
        return ApiError::Busy {
            detail: format!("{} requests are being served; try again shortly", limits.max_in_flight),
            retry_after_secs: 1,
        }
        .into_response();
    };
    let answer = tokio::time::timeout(limits.request_timeout, next.run(req)).await;
    drop(permit);
    answer.unwrap_or_else(|_| {
        ApiError::Busy {
            detail: format!(
                "the request was not answered within {} s; a change may still complete (a report sent \
                 again with the same report_id is stored once)",
                limits.request_timeout.as_secs()
            ),
            retry_after_secs: 5,
        }
        .into_response()
    })
}

/// How long a heavy read (figures, heatmaps, assessment tables) waits for its turn.
const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A turn for a heavy read (one that holds a period's events in memory): at most so many run
/// at once, whatever the number of requests, so that memory stays bounded; one that finds no
/// turn within [`HEAVY_WAIT`] is answered 503 with `Retry-After`.
pub async fn heavy_turn(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    let limits = &state.limits;
    match tokio::time::timeout(HEAVY_WAIT, limits.heavy.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ApiError::Busy {
            detail: format!("{} figures or maps are being computed; try again shortly", limits.max_heavy),
            retry_after_secs: 5,
        }),
    }
}
