//! The plan that ships with Planwatch: the Chengdu "14th Five-Year" Service Industry Development
//! Plan (2021–2025), from `plans/chengdu-services-2021-2025.toml`, embedded in the binary.

use crate::model::Plan;

/// The file name the embedded plan is reported under.
pub const FILE_NAME: &str = "plans/chengdu-services-2021-2025.toml";

/// The plan file's text.
pub const TOML: &str = include_str!("../../../plans/chengdu-services-2021-2025.toml");

/// The Chengdu plan, read and checked.
///
/// The embedded file is checked by this crate's tests, so reading it cannot fail in a build
/// that passed them.
pub fn plan() -> Plan {
    match crate::read_plan(FILE_NAME, TOML) {
        Ok(plan) => plan,
        Err(error) => {
            let problems: Vec<String> = error.0.iter().map(ToString::to_string).collect();
            panic!(
                "the embedded Chengdu plan is invalid:\n{}",
                problems.join("\n")
            )
        }
    }
}
