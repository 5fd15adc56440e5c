//! `planwatch notices sweep [--date D]`: the deadline notices (due within 7 days, overdue) owed
//! on a day, written once per user, unit, figure and kind — what `serve` does at start and every
//! hour, for a cron job or a server that was down. Also the server's background tasks: the
//! hourly sweep and, with `--smtp`, the mail delivery.

use std::time::Duration;

use chrono::NaiveDate;
use clap::Subcommand;
use planwatch_access::{Action, Actor, Object};
use planwatch_plan::Plan;
use planwatch_store::{Store, Who};

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::workflow::parse_day;
use crate::commands::{allowed, cli_actor};

#[derive(Debug, Subcommand)]
pub(crate) enum NoticesCommand {
    /// Write the deadline notices owed on a day (default: today, UTC); each only once
    Sweep {
        /// The day to sweep for (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        date: Option<NaiveDate>,
    },
}

pub(crate) async fn run(
    store_args: &StoreArgs,
    command: &NoticesCommand,
) -> anyhow::Result<Outcome> {
    match command {
        NoticesCommand::Sweep { date } => {
            let actor = cli_actor();
            if let Err(refused) = allowed(&actor, Action::Change, &Object::Notices) {
                return Ok(refused);
            }
            let store = store_args.open().await?;
            let plan = store_args.plan(&store).await?;
            let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let swept =
                planwatch_app::notices::sweep(&store, &Who::of(&actor, None), &plan, today).await?;
            println!(
                "{today}: 应发到期提醒 {} 条，新写入通知 {} 条 ({} deadline notices owed, {} notices written)",
                swept.owed, swept.written, swept.owed, swept.written
            );
            Ok(Outcome::Success)
        }
    }
}

/// The server's sweep: at start, then every hour, as `system:notices` — the deadline notices,
/// then supervision (督查督办: `planwatch_app::supervision::sweep`).
pub(crate) async fn sweep_hourly(store: Store, plan: Plan) {
    let actor = Actor::System {
        task: "notices".to_owned(),
    };
    if allowed(&actor, Action::Change, &Object::Notices).is_err() {
        return;
    }
    let who = Who::of(&actor, None);
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let today = chrono::Utc::now().date_naive();
        match planwatch_app::notices::sweep(&store, &who, &plan, today).await {
            Ok(swept) if swept.written > 0 => eprintln!(
                "到期提醒：新写入通知 {} 条 (deadline sweep: {} notices written)",
                swept.written, swept.written
            ),
            Ok(_) => {}
            Err(error) => eprintln!("deadline sweep: {error}"),
        }
        if allowed(&actor, Action::Change, &Object::Supervision { unit: None }).is_err() {
            continue;
        }
        match planwatch_app::supervision::sweep(&store, &who, &plan, today).await {
            Ok(swept) if swept.written > 0 => eprintln!(
                "督查督办：新写入记录 {} 条 (supervision sweep: {} records written)",
                swept.written, swept.written
            ),
            Ok(_) => {}
            Err(error) => eprintln!("supervision sweep: {error}"),
        }
    }
}
