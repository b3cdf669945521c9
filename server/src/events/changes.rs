//! The feed of events created or changed by this process (after their commit): the live queue
//! subscribes to it.

use std::sync::Arc;

use tokio::sync::broadcast;
use wangge_core::event::Holder;

use crate::records::EventRecord;

/// Events kept for slow subscribers of the live queue before they are told to reload.
pub const CHANGES_BUFFERED: usize = 1024;

/// Whether an event is new or moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Reported and committed just now.
    Created,
    /// A transition or supervision committed.
    Changed,
}

/// One event created or changed, as committed.
#[derive(Debug, Clone)]
pub struct EventChange {
    /// New or changed.
    pub kind: ChangeKind,
    /// The event after the change.
    pub event: Arc<EventRecord>,
    /// Who held it before the change (so that a queue it left hears of it).
    pub was: Option<Holder>,
}

/// The feed of events created or changed by this process (after their commit); the live queue
/// subscribes to it.
#[derive(Debug, Clone)]
pub struct Changes(broadcast::Sender<EventChange>, Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Changes {
    fn default() -> Self {
        Self(broadcast::channel(CHANGES_BUFFERED).0, Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Changes {
    /// Announces a committed change to the current subscribers (none: nothing is kept).
    pub fn publish(&self, kind: ChangeKind, event: &EventRecord, was: Option<&Holder>) {
        if self.0.receiver_count() > 0 {
            // Sending fails only when nobody listens any more.
            let _ = self.0.send(EventChange { kind, event: Arc::new(event.clone()), was: was.cloned() });
        }
    }

    /// A receiver of the changes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EventChange> {
        self.0.subscribe()
    }

    /// How many subscribers listen now.
    pub fn subscribers(&self) -> usize {
        self.0.receiver_count()
    }

    /// Tells every subscriber that the service is stopping (their streams end).
    pub fn close(&self) {
        self.1.send_replace(true);
    }

    /// Resolves once the service is stopping.
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closed = self.1.subscribe();
        async move {
            // An error means the sender is gone: stopping too.
            let _ = closed.wait_for(|c| *c).await;
        }
    }
}
