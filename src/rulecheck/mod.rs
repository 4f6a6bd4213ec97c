//! Checks of a rule catalog that need the scanner: the examples every rule carries, run
//! through the real scan engine, and the catalog lint. This module sits above both `rules`
//! (the catalog) and `scan` (the engine), so neither depends on the other.

pub mod examples;
pub mod field;
pub mod lint;
