//! One module per subcommand group; each exposes its clap arguments and a `run`.

mod plan;

use clap::Subcommand;

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show, check and describe plans (规划)
    #[command(subcommand)]
    Plan(plan::PlanCommand),
}

pub(crate) fn run(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Plan(command) => plan::run(command),
    }
}
