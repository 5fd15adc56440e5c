//! `planwatch submissions …` and `planwatch period …`: the plan office's side of the reporting
//! workflow on the command line (the web side comes later), and a way for an administrator to
//! create a submission from a file on behalf of a unit.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use planwatch_access::{Action, Object, resolve_unit};
use planwatch_app::submissions::{Submitted, stage};
use planwatch_import::Input;
use planwatch_plan::{Period, Plan};
use planwatch_store::{ImportError, ImportSettings, Store, StoreError, SubmissionFilter, Who};
use planwatch_workflow::{ChangeKind, ChangeSummary, RollupStatus, Status};

use crate::Outcome;
use crate::commands::{StoreArgs, allowed, cli_actor, refuse};

#[derive(Debug, Subcommand)]
pub(crate) enum SubmissionsCommand {
    /// List submissions, oldest first
    List {
        /// draft, submitted, approved, returned or withdrawn
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        /// A unit: region or department code
        #[arg(long)]
        unit: Option<String>,
        /// Submissions with a row of this period (2024, 2024Q1, 2024-06)
        #[arg(long, value_parser = parse_period)]
        period: Option<Period>,
    },
    /// Show a submission: its rows as changes against the published figures, and comments
    Show { id: i64 },
    /// Approve a submission: its rows are published as one import batch
    Approve {
        id: i64,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Return a submission to its unit with a comment
    Return {
        id: i64,
        #[arg(long, required = true)]
        comment: String,
    },
    /// Create a submission from a file on behalf of a unit (administrators; for testing)
    Create(CreateArgs),
    /// What units owe under the plan's reporting calendar (not what is published already), what
    /// is late, and on-time rates
    Owed {
        /// Only this unit (region or department code)
        #[arg(long)]
        unit: Option<String>,
        /// The day to count from (YYYY-MM-DD; default today)
        #[arg(long, value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The unit: region or department code
    #[arg(long, required = true)]
    unit: String,
    /// A file `planwatch import` reads
    file: PathBuf,
    /// Keep it as a draft instead of submitting it
    #[arg(long)]
    draft: bool,
    /// It revises figures of a locked period; needs --reason
    #[arg(long, requires = "reason")]
    revise: bool,
    /// Why a locked period's figures are revised
    #[arg(long, value_name = "TEXT", requires = "revise")]
    reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PeriodCommand {
    /// Lock a year: its figures then change only as revisions with a reason
    Lock(LockArgs),
    /// Unlock a year
    Unlock(LockArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    year: u16,
    /// Only this indicator (code); every indicator without
    #[arg(long)]
    indicator: Option<String>,
}

pub(crate) fn parse_status(text: &str) -> Result<Status, String> {
    text.parse()
        .map_err(|e: planwatch_workflow::submission::UnknownStatus| e.to_string())
}

pub(crate) fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("“{text}”不是日期 YYYY-MM-DD / \"{text}\" is not a date YYYY-MM-DD"))
}

pub(crate) fn parse_period(text: &str) -> Result<Period, String> {
    text.parse()
        .map_err(|e: planwatch_plan::period::BadPeriod| e.to_string())
}

pub(crate) async fn submissions(
    store_args: &StoreArgs,
    command: &SubmissionsCommand,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        SubmissionsCommand::List {
            status,
            unit,
            period,
        } => {
            let unit = match unit.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Err(e)) => return Ok(refuse(e)),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            let filter = SubmissionFilter {
                status: *status,
                unit,
                period: *period,
            };
            println!("id\tunit\tstatus\tversion\trows\tsubmitted_by\tsubmitted_at");
            for s in store.submissions(&plan, &filter).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.id,
                    s.unit,
                    s.status,
                    s.version,
                    s.rows,
                    s.submitted_by,
                    s.submitted_at.as_deref().unwrap_or("-")
                );
            }
            Ok(Outcome::Success)
        }
        SubmissionsCommand::Show { id } => show(&store, &plan, *id).await,
        SubmissionsCommand::Approve { id, comment } => {
            let settings = ImportSettings::default();
            match store
                .approve_submission(&actor, None, &plan, *id, comment.as_deref(), settings)
                .await
            {
                Ok(outcome) => {
                    println!(
                        "报送 {id} 已审核通过并发布 submission {id} approved and published: {} 个新修订 new revisions（{} 个新增 new），{} 个未变 unchanged，批次 batch {}",
                        outcome.revisions,
                        outcome.new,
                        outcome.unchanged,
                        outcome
                            .batch_id
                            .map_or_else(|| "-".to_owned(), |b| b.to_string())
                    );
                    Ok(Outcome::Success)
                }
                Err(ImportError::Store(e)) => store_refusal(e),
                Err(e) => Ok(refuse(e)),
            }
        }
        SubmissionsCommand::Return { id, comment } => {
            match store
                .return_submission(&actor, None, &plan, *id, comment)
                .await
            {
                Ok(()) => {
                    println!("报送 {id} 已退回 submission {id} returned");
                    Ok(Outcome::Success)
                }
                Err(e) => store_refusal(e),
            }
        }
        SubmissionsCommand::Create(args) => create(&store, &plan, args).await,
        SubmissionsCommand::Owed { unit, date } => {
            let unit = match unit.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Err(e)) => return Ok(refuse(e)),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            let today = date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            owed(&store, &plan, unit, today).await
        }
    }
}

/// A refusal the user can act on is said and the command fails; anything else is an error.
fn store_refusal(error: StoreError) -> anyhow::Result<Outcome> {
    match error {
        StoreError::Refused(_)
        | StoreError::UnknownSubmission(_)
        | StoreError::SubmissionChanged(_)
        | StoreError::UnknownIndicator(_) => Ok(refuse(error)),
        error => Err(error.into()),
    }
}

async fn show(store: &Store, plan: &Plan, id: i64) -> anyhow::Result<Outcome> {
    let submission = match store.submission(plan, id).await {
        Ok(submission) => submission,
        Err(e) => return store_refusal(e),
    };
    let rows = store.submission_rows(id, submission.version).await?;
    let submitted: Vec<_> = rows.iter().map(|r| r.row.clone()).collect();
    let changes = planwatch_app::submissions::changes(store, plan, &submitted).await?;
    let summary = ChangeSummary::of(&changes);
    println!(
        "报送 submission {id}: {} {} ({}), 第 {} 版 version {}, {}",
        submission.unit,
        submission.status,
        submission.status.label_zh(),
        submission.version,
        submission.version,
        submission.file_name.as_deref().unwrap_or("-")
    );
    println!(
        "报送人 submitted by {} {}",
        submission.submitted_by,
        submission.submitted_at.as_deref().unwrap_or("-")
    );
    if let Some(reason) = &submission.revision_reason {
        println!("修订理由 revision reason: {reason}");
    }
    println!(
        "新增 new {}，修订 revised {}（大幅变动 large {}），未变 unchanged {}，锁定期 locked {}",
        summary.new, summary.revised, summary.large, summary.unchanged, summary.locked
    );
    for change in &changes {
        let row = &submitted[change.row];
        let what = match change.kind {
            ChangeKind::New => format!("新增 new {}", row.value),
            ChangeKind::Revised {
                old,
                new,
                difference,
                large_percent,
            } => {
                let large = large_percent
                    .map(|p| format!(" 大幅变动 large change {p:+.1}%"))
                    .unwrap_or_default();
                format!("修订 revised {old} → {new} ({difference:+}){large}")
            }
            // Unchanged rows are counted, not listed.
            ChangeKind::Unchanged => continue,
        };
        let locked = if change.locked {
            " 锁定期 locked"
        } else {
            ""
        };
        println!(
            "  {}:{} {} {} {what}{locked}",
            rows[change.row].source_row, row.indicator, row.region, row.period
        );
    }
    rollups(&planwatch_app::submissions::rollups(store, plan, &submitted).await?);
    for comment in store.submission_comments(id).await? {
        println!(
            "意见 comment v{} {} {} {}: {}",
            comment.version, comment.action, comment.author, comment.at, comment.comment
        );
    }
    Ok(Outcome::Success)
}

/// The most roll-up checks `submissions show` lists one by one; beyond, the mismatches only.
const LISTED_ROLLUPS: usize = 20;

/// The roll-up checks of a submission: counted, and listed (only the mismatches when there are
/// many, as a large district submission has: most of its pairs lack other districts' figures).
fn rollups(checks: &[planwatch_workflow::Rollup]) {
    use planwatch_plan::fmt_num;
    if checks.is_empty() {
        return;
    }
    let count = |status| checks.iter().filter(|c| c.status == status).count();
    println!(
        "汇总核对 roll-up checks: 相符 ok {}，不符 mismatch {}，不全 incomplete {}",
        count(RollupStatus::Ok),
        count(RollupStatus::Mismatch),
        count(RollupStatus::Incomplete)
    );
    let all = checks.len() <= LISTED_ROLLUPS;
    for check in checks
        .iter()
        .filter(|c| all || c.status == RollupStatus::Mismatch)
    {
        let status = match check.status {
            RollupStatus::Ok => "相符 ok",
            RollupStatus::Mismatch => "不符 mismatch",
            RollupStatus::Incomplete => "不全 incomplete",
        };
        let city = check.city.map_or_else(|| "-".to_owned(), fmt_num);
        let difference = match (check.difference, check.percent) {
            (Some(d), Some(p)) => format!("，差 difference {}{} ({p:+.2}%)", sign(d), fmt_num(d)),
            (Some(d), None) => format!("，差 difference {}{}", sign(d), fmt_num(d)),
            _ => String::new(),
        };
        println!(
            "  {} {}: {status}，区县合计 districts {} ({}/{})，全市 city {city}{difference}",
            check.indicator,
            check.period,
            fmt_num(check.sum),
            check.districts_known,
            check.districts
        );
    }
}

fn sign(value: f64) -> &'static str {
    if value > 0.0 { "+" } else { "" }
}

/// Per unit: what it owes on `today` (periods ended, not submitted nor published, or returned),
/// late ones marked, how many it is not asked for because they are published already, and its
/// on-time rate for each year of the plan with figures due.
async fn owed(
    store: &Store,
    plan: &Plan,
    only: Option<planwatch_access::Unit>,
    today: chrono::NaiveDate,
) -> anyhow::Result<Outcome> {
    let Some(standings) = planwatch_app::calendar::standings(store, plan, today).await? else {
        return Ok(refuse(
            "本规划没有报送日历（[calendar]）/ the plan has no reporting calendar ([calendar])",
        ));
    };
    let years = plan.period.start..=plan.period.end;
    let mut units: Vec<&planwatch_access::Unit> =
        standings.iter().map(|s| &s.obligation.unit).collect();
    units.sort();
    units.dedup();
    for unit in units
        .into_iter()
        .filter(|u| only.as_ref().is_none_or(|o| o == *u))
    {
        let owed = planwatch_workflow::owed_now(&standings, unit, today);
        let late = owed.iter().filter(|s| s.standing.is_late()).count();
        let published = planwatch_workflow::published_now(&standings, unit, today).len();
        let rates: Vec<String> = years
            .clone()
            .filter_map(|year| {
                let rate = planwatch_workflow::on_time_rate(&standings, unit, year, today);
                rate.rate()
                    .map(|r| format!("{year} {:.0}% ({}/{})", r * 100.0, rate.on_time, rate.due))
            })
            .collect();
        println!(
            "{unit}: 应报 owes {}，逾期 late {late}，已发布 published {published}；按时率 on time: {}",
            owed.len(),
            if rates.is_empty() {
                "-".to_owned()
            } else {
                rates.join(", ")
            }
        );
        for s in owed {
            let o = &s.obligation;
            let state = match s.standing {
                planwatch_workflow::Standing::Returned { .. } => "已退回 returned",
                _ => "未报 missing",
            };
            let late = if s.standing.is_late() {
                " 逾期 late"
            } else {
                ""
            };
            println!(
                "  {} {} {} 截止 due {} {state}{late}",
                o.indicator, o.region, o.period, o.due
            );
        }
    }
    Ok(Outcome::Success)
}

/// Reads the file with the import's reader and validation, checks every row against the unit,
/// and stores the submission only when there is no problem at all.
async fn create(store: &Store, plan: &Plan, args: &CreateArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(refused) = allowed(&actor, Action::Change, &Object::Observations) {
        return Ok(refused);
    }
    let unit = match resolve_unit(plan, &args.unit) {
        Ok(unit) => unit,
        Err(e) => return Ok(refuse(e)),
    };
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {name}"))?;
    let submitted = Submitted {
        name: &name,
        input: Input::from_bytes(bytes),
        unit: &unit,
        revise: args.revise,
    };
    let rows = match stage(store, plan, submitted).await? {
        Ok(staged) => {
            for warning in &staged.warnings {
                eprintln!("{warning}");
            }
            staged.rows
        }
        Err(problems) => {
            for p in &problems {
                let at = if p.row > 0 {
                    format!("{name}:{}: ", p.row)
                } else {
                    format!("{name}: ")
                };
                let column = p
                    .column
                    .as_deref()
                    .map(|c| format!("{c} "))
                    .unwrap_or_default();
                eprintln!("{at}{column}{} / {}", p.zh, p.en);
            }
            return Ok(refuse(format!(
                "{name}: {} 个问题，未保存报送 {} problem(s), no submission was stored",
                problems.len(),
                problems.len()
            )));
        }
    };
    let reason = args.reason.as_deref().filter(|_| args.revise);
    let id = match store
        .create_submission(
            &actor,
            None,
            plan,
            unit,
            &rows,
            args.draft,
            Some(&name),
            reason,
        )
        .await
    {
        Ok(id) => id,
        Err(e) => return store_refusal(e),
    };
    let status = if args.draft {
        Status::Draft
    } else {
        Status::Submitted
    };
    println!(
        "报送 {id}（{}，{} 行）submission {id} ({status}, {} rows)",
        status.label_zh(),
        rows.len(),
        rows.len()
    );
    Ok(Outcome::Success)
}

pub(crate) async fn period(
    store_args: &StoreArgs,
    command: &PeriodCommand,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(refused) = allowed(&actor, Action::Change, &Object::PeriodLocks) {
        return Ok(refused);
    }
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let who = Who::of(&actor, None);
    let (args, lock) = match command {
        PeriodCommand::Lock(args) => (args, true),
        PeriodCommand::Unlock(args) => (args, false),
    };
    let indicator = args.indicator.as_deref();
    let changed = if lock {
        store.lock_period(&who, &plan, args.year, indicator).await
    } else {
        store.unlock_period(&who, &plan, args.year, indicator).await
    };
    let changed = match changed {
        Ok(changed) => changed,
        Err(e) => return store_refusal(e),
    };
    let what = match indicator {
        Some(code) => format!("{} 年（指标 {code}）/ {} ({code})", args.year, args.year),
        None => format!("{} 年 / {}", args.year, args.year),
    };
    let said = match (lock, changed) {
        (true, true) => "已锁定 locked",
        (true, false) => "原已锁定 was locked already",
        (false, true) => "已解锁 unlocked",
        (false, false) => "未锁定 was not locked",
    };
    println!("{what}: {said}");
    Ok(Outcome::Success)
}
