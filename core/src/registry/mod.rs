//! The base data of the grids (人、地、事、物、组织, GB/T 31000-2015): the pure rules the
//! registry applies — citizen ID numbers checked and masked.

pub mod id_number;

pub use id_number::{check_character, IdError, IdNumber, Sex};
