//! Pure domain logic of wangge (网格): administrative divisions, grids and the exact
//! point-in-grid index, events, people, and access control with its audit chain. No I/O, no
//! async runtime: this crate builds for `wasm32-unknown-unknown` so the frontend can reuse it.
#![deny(missing_docs)]

pub mod access;
pub mod assessment;
pub mod calendar;
pub mod coord;
pub mod dispute;
pub mod division;
pub mod draft;
pub mod event;
pub mod index;
pub mod patrol;
pub mod people;
pub mod petition;
pub mod registry;
pub mod stats;
pub mod wire;

pub use coord::{CoordError, Crs, LonLat};
pub use division::{GridKind, GridRecord, DivisionRef};
pub use index::{GridIndex, IndexError, Located, Nearest, SharedIndex};
