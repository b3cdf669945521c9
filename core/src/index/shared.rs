//! An index that can be replaced atomically while readers keep answering.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::GridIndex;

/// Holds the current [`GridIndex`]; readers take a snapshot, writers swap in a new one.
/// Readers never block and never see a half-built index.
#[derive(Debug, Clone)]
pub struct SharedIndex(Arc<ArcSwap<GridIndex>>);

impl SharedIndex {
    /// Wraps a first index.
    pub fn new(index: GridIndex) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(index)))
    }

    /// The current index; keep the snapshot for the whole of one request.
    pub fn load(&self) -> Arc<GridIndex> {
        self.0.load_full()
    }

    /// Replaces the index; requests already holding a snapshot finish on the old one.
    pub fn swap(&self, index: GridIndex) {
        self.0.store(Arc::new(index));
    }
}
