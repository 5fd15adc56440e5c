//! `planwatch`: the command line of Planwatch.
//!
//! The only binary of the workspace. It parses arguments (clap), reads files and writes output,
//! and maps every error once, here, to an exit code:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | the input is invalid (a plan file, a data file): every problem was reported on stderr |
//! | 2 | the command line is wrong (clap's usage errors) |
//! | 3 | anything else failed (a file could not be read, a database could not be reached) |

mod commands;
mod mail;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::commands::Command;

/// Planwatch — turns a development plan into targets, data and evaluations.
///
/// 规划监测：把规划变成目标、数据与评估。The Chengdu "14th Five-Year" Service Industry
/// Development Plan is built in and used when no plan file is given.
#[derive(Debug, Parser)]
#[command(name = "planwatch", version, about, long_about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    store: commands::StoreArgs,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  planwatch plan show                      Summary of the built-in Chengdu plan
  planwatch plan show --format json        The whole plan as JSON
  planwatch plan check my-plan.toml        Check a plan file, with every problem's line and column
  planwatch plan schema > plan.schema.json The JSON Schema of plan files
  planwatch init --sample-data             Create ./planwatch.db with the plan and sample data
  planwatch import figures.xlsx            Import observations (CSV or Excel)
  planwatch export --format sdmx-csv       Export the latest observations
  planwatch export --format sdmx-structure Their SDMX structure (codelists, data structure)";

/// The outcome of a command that ran: success, or invalid input that it has already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    InvalidInput,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(problem) = cli.command.usage_problem(&cli.store) {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, problem)
            .exit();
    }
    match commands::run(cli.command, &cli.store) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::InvalidInput) => ExitCode::from(1),
        Err(error) => {
            eprintln!("错误 error: {error:#}");
            ExitCode::from(3)
        }
    }
}
