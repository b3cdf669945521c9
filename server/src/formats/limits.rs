//! The most a boundary draft may hold, whether drawn in the editor or read from a file: the
//! readers stop at these, the draft checks refuse beyond them.

/// Most grids in one draft.
pub const MAX_GRIDS: usize = 5000;

/// Most vertices of all the grids of one draft (the county's 1,874 grids have about 100,000).
pub const MAX_DRAFT_VERTICES: usize = 1_000_000;
