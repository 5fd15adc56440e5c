//! End-to-end tests of the `planwatch` binary: each runs the real executable.

mod evaluate;
mod import;
mod plan;

use std::process::{Command, Output};

/// Runs `planwatch` with the arguments and returns its output.
pub(crate) fn planwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planwatch"))
        .args(args)
        .output()
        .expect("the planwatch binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The repository's root, where `plans/` and `schema/` live.
pub(crate) fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
