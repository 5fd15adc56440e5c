//! The plan model: a development plan as data.
//!
//! `model` holds the types, `validate` the rules across them, `file` reads a plan file with a
//! position for every problem, and `chengdu` is the plan that ships with Planwatch. The values
//! that measure a plan are described here too: `period` (2023, 2023Q1, 2023-06), `observation`
//! (a value with its status), `unit` (万元 → 亿元) and `rollup` (which figures add up to the
//! plan region's). Nothing in this crate does I/O: callers pass text in and get values and
//! diagnostics back.

pub mod calendar;
pub mod chengdu;
pub mod file;
pub mod model;
pub mod observation;
pub mod period;
pub mod rollup;
pub mod task_rules;
pub mod unit;
pub mod validate;

pub use file::{Diagnostic, PlanFileError, read_plan};
pub use model::*;
pub use observation::{ObsStatus, Observation, ObservationRow};
pub use period::Period;
pub use rollup::ROLLUP_TOLERANCE_PERCENT;
pub use task_rules::{
    ComponentWeight, EscalationSettings, ScoringSettings, StatusSettings, TaskRules,
};

/// The JSON Schema of plan files (and of the plan's JSON form), as published in
/// `schema/plan.schema.json`.
pub fn json_schema() -> schemars::Schema {
    schemars::schema_for!(Plan)
}
