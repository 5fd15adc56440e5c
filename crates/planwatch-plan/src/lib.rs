//! The plan model: a development plan as data.
//!
//! `model` holds the types, `validate` the rules across them, `file` reads a plan file with a
//! position for every problem, and `chengdu` is the plan that ships with Planwatch. Nothing in
//! this crate does I/O: callers pass text in and get values and diagnostics back.

pub mod chengdu;
pub mod file;
pub mod model;
pub mod validate;

pub use file::{Diagnostic, PlanFileError, read_plan};
pub use model::*;
