//! The evaluation engine: where an indicator stands against a target.
//!
//! Pure: yearly series in, an [`Evaluation`] out. The formulas are those of
//! `docs/methodology.md` (b baseline in year t0, T target in year t1, v the latest value in year t):
//! completion v/T, distance covered (v−b)/(T−b), time elapsed (t−t0)/(t1−t0), actual growth a,
//! required growth from the baseline r0 and for the remaining years r, projection p, growth ratio
//! R = a/r0, milestones m(y). Levels grow compound; shares and other percentages linearly, in
//! percentage points. The status follows the progress measure of Open SDG / Statistics Canada:
//! achieved, not achieved (target year reached), else by R (on track ≥ 0.95, acceleration needed
//! ≥ 0.60, limited progress ≥ 0, deterioration < 0).

mod engine;
mod panel;
mod split;

pub use crate::engine::{Evaluation, Inputs, Levels, Series, Status, evaluate};
pub use crate::panel::{
    Assessment, CSV_HEADER, DEFAULT_ROLLUP_TOLERANCE, Panel, PlanInputs, RegionTargets, RollupGap,
    Selection, evaluate_plan, rollup_gaps, splits, with_value,
};
pub use crate::split::{SplitError, SplitTarget, check_split, split_targets};
pub use planwatch_plan::Thresholds;

#[cfg(test)]
mod tests;
