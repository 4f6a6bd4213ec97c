//! linkdoctor: diagnoses broken Atlassian application links from logs and configuration.
//!
//! Data flows one way: `source` (discover and decode inputs) → `scan` (buffer search,
//! events) → `rules` (classification) → `report` (aggregation, rendering). `pipeline` wires
//! them together; `commands` holds one module per subcommand; `main.rs` only dispatches.

pub mod alloc;
pub mod check;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod model;
pub mod pipeline;
pub mod probe;
pub mod report;
pub mod rulecheck;
pub mod rules;
pub mod scan;
pub mod source;
pub mod warning;
