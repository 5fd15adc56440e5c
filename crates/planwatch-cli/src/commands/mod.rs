//! One module per subcommand group; each exposes its clap arguments and a `run`.

mod accounts;
mod data;
mod evaluate;
mod keep;
mod notices;
mod plan;
mod progress;
mod projects;
mod report;
mod score;
mod serve;
mod supervision;
mod synth;
mod tasks;
mod workflow;

use clap::Subcommand;
use planwatch_access::{Action, Actor, Object, Policy};

use crate::Outcome;

pub(crate) use data::{StoreArgs, redact};

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show, check and describe plans (规划)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch plan show
  planwatch plan check my-plan.toml
  planwatch plan schema"
    )]
    Plan(plan::PlanCommand),
    /// Create a store holding a plan, optionally with the sample data (初始化)
    #[command(after_help = "\
Examples:
  planwatch init                                   ./planwatch.db with the Chengdu plan
  planwatch init --sample-data                     … and the sample data set of data/
  planwatch --db postgres://localhost/planwatch init
  planwatch init --plan my-plan.toml")]
    Init(data::InitArgs),
    /// Import observations from CSV or Excel files (导入数据)
    #[command(after_help = "\
Examples:
  planwatch import figures.csv                     Long or wide layout, UTF-8 or GBK
  planwatch import 锦江区2025.xlsx --strict        Warnings count as errors
  planwatch import revised.csv --dry-run           Check only
  planwatch import yearbook.csv --known-since 2024-09-30 --status revised

Every problem is reported with file, row and column; a file with any error stores nothing.
Re-importing a file changes nothing; a different value for the same key is a new revision.")]
    Import(data::ImportArgs),
    /// Export the latest observations as CSV, XLSX or SDMX-CSV, or the SDMX structure (导出数据)
    #[command(after_help = "\
Examples:
  planwatch export > all.csv
  planwatch export --format xlsx -o data.xlsx --indicator retail_sales,goods_trade
  planwatch export --format sdmx-csv --region 510100 --from 2021 --to 2025
  planwatch export --format sdmx-structure -o structure.xml   What SDMX tools read the SDMX-CSV with
  planwatch export --as-of 2024-12-31              What was known at the end of 2024

sdmx-csv is SDMX-CSV 2.0; sdmx-structure is the SDMX-ML 2.1 structure message it follows (the
dataflow, the data structure definition and the codelists of the whole plan: no filters).")]
    Export(data::ExportArgs),
    /// Write an XLSX template for a reporter to fill in and import back (填报模板)
    #[command(after_help = "\
Examples:
  planwatch template --region 510104 --year 2025   template-510104-2025.xlsx")]
    Template(data::TemplateArgs),
    /// Revision history and import batches (数据修订与导入记录)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch data history --indicator retail_sales --region 成都市 --period 2019
  planwatch data batches"
    )]
    Data(data::DataCommand),
    /// Where every indicator stands against its targets (评估)
    #[command(after_help = "\
Examples:
  planwatch evaluate                               Every target, the city and every district with data
  planwatch evaluate --year 2023 --region 510100
  planwatch evaluate --indicator 1,retail_sales --format json
  planwatch evaluate --format csv -o evaluation-2024.csv
  planwatch evaluate --targets district-targets.csv   Districts against their own targets

Statuses (Open SDG progress measure, R = actual / required growth): achieved 已实现, not_achieved
未实现 (target year reached), on_track 进度正常 (R ≥ 0.95), acceleration_needed 需加快 (R ≥ 0.60),
limited_progress 进展有限 (R ≥ 0), deterioration 退步 (R < 0), no_data 无数据, not_assessable 无法评估.
See docs/methodology.md.")]
    Evaluate(evaluate::EvaluateArgs),
    /// Split the plan's targets into district targets, check, save and show them (目标分解)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch targets split -o district-targets.csv  By each district's base-year share
  planwatch targets split --indicator retail_sales --weights weights.csv
  planwatch targets check district-targets.csv
  planwatch targets load district-targets.csv      Evaluations then use them
  planwatch targets show > in-force.csv"
    )]
    Targets(evaluate::TargetsCommand),
    /// Record a planner's assessment of an indicator, for qualitative targets (定性评估)
    #[command(after_help = "\
Examples:
  planwatch assess health_services --year 2024 --text \"健康服务业综合实力居全国副省级城市前列\"")]
    Assess(evaluate::AssessArgs),
    /// Serve the dashboard and the JSON API (启动网页与接口)
    #[command(after_help = "\
Examples:
  planwatch serve                                  http://127.0.0.1:8080/ on ./planwatch.db
  planwatch serve --addr 0.0.0.0:8080              Reachable from other machines
  planwatch --db postgres://localhost/planwatch serve

A store without a plan is first given the Chengdu plan and its sample data set.
/healthz answers once the server is ready; the API is described at /api/openapi.json.")]
    Serve(serve::ServeArgs),
    /// Accounts: add, list, disable, enable, set passwords and roles (用户)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch user add admin --role admin            The first administrator (password printed once)
  planwatch user add jinjiang --role reporter --unit 510104 --display-name 锦江区统计员
  planwatch user add stats --role reporter --unit statistics --password-stdin < pw.txt
  planwatch user set-role jinjiang viewer
  planwatch user set-email jinjiang jj@example.org  Where its notices are mailed (`-` removes it)
  planwatch user disable jinjiang
  planwatch user list --format json

Roles: admin, planner (the plan office), reporter (scoped to --unit: region or department codes
of the plan), viewer. Passwords: at least 12 characters, not a common password."
    )]
    User(accounts::UserCommand),
    /// API tokens for scripts: create, list, revoke (令牌)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch token create etl --user stats --expires 90   Prints pwt_… once
  planwatch token list
  planwatch token revoke etl"
    )]
    Token(accounts::TokenCommand),
    /// Units' submissions: list, show as changes, approve, return; create one from a file (报送审核)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch submissions list --status submitted    The review queue, oldest first
  planwatch submissions show 12                    Its rows as changes against the published figures
  planwatch submissions approve 12 --comment 同意   Published as one import batch
  planwatch submissions return 12 --comment \"第3行请核实\"
  planwatch submissions create --unit 510104 锦江区2024.xlsx   On behalf of a unit (testing)
  planwatch submissions owed --unit 510104         What it owes under the plan's calendar

The approver must not be the submitter (four eyes). See docs/workflow.md."
    )]
    Submissions(workflow::SubmissionsCommand),
    /// Lock or unlock a year's figures (数据锁定)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch period lock 2024                       Every indicator
  planwatch period lock 2024 --indicator gdp
  planwatch period unlock 2024

A locked period's figures change only through a submission flagged as a revision with a reason,
or `planwatch import --revise --reason TEXT`."
    )]
    Period(workflow::PeriodCommand),
    /// Notices: write the deadline reminders owed on a day (通知)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch notices sweep                          today's (UTC): due within 7 days, overdue
  planwatch notices sweep --date 2025-03-25        for a cron job, or a day missed

Each notice is written once per user, unit, figure and kind: running it again writes nothing new.
`planwatch serve` sweeps at start and every hour. See docs/workflow.md (Notices)."
    )]
    Notices(notices::NoticesCommand),
    /// Tasks: import the year's 年度任务分解表, list them, write its template (任务分解)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch tasks template --year 2024             tasks-template-2024.xlsx, the plan's 8 actions
  planwatch tasks import 2024年度任务分解表.xlsx --year 2024
  planwatch tasks list --year 2024 --unit commerce --format json
  planwatch tasks list --status 进度滞后 --date 2024-11-15   Lagging tasks as of a day

Every problem is reported with its row and column; a sheet with any problem stores nothing.
The sheet replaces the year's tasks; importing the same sheet again changes nothing. See
docs/tasks.md."
    )]
    Tasks(tasks::TasksCommand),
    /// Key projects: import the year's 重大项目表, list them, write its template (重大项目)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch projects template --year 2024          projects-template-2024.xlsx, the plan's 专栏
  planwatch projects import 2024年重大项目表.xlsx --year 2024
  planwatch projects list --year 2024 --region 510104 --stage 在建 --format json

Every problem is reported with its row and column; a list with any problem stores nothing.
The list replaces the year's projects; importing the same list again changes nothing. See
docs/tasks.md (Key projects)."
    )]
    Projects(projects::ProjectsCommand),
    /// The yearly assessment: scores, ranks and breakdowns, bonus and deduction items, freezing (年度考核)
    #[command(after_help = "\
Examples:
  planwatch score --year 2024                      Every unit's score and rank among its kind
  planwatch score --year 2024 --unit 510104        Its breakdown, every point to its source
  planwatch score --year 2024 --date 2025-03-31 --format json
  planwatch score --year 2024 --format xlsx -o 考核2024.xlsx   The ranking and every line
  planwatch score adjust --year 2024 --unit commerce --bonus 2 --reason \"获国务院督查表扬\"
  planwatch score adjust --year 2024 --unit 510104 --deduction 3 --reason \"督办单逾期未回复\"
  planwatch score adjustments --year 2024          The year's items, with their ids
  planwatch score remove 7                         Remove an item
  planwatch score freeze --year 2024               Later data no longer moves the result
  planwatch score unfreeze --year 2024             Administrators only

Bonus at most 5 and deductions at most 10 a year per unit (the scheme's caps). See docs/tasks.md
(年度考核).")]
    Score(score::ScoreArgs),
    /// The evaluation reports: annual, mid-term, final, as DOCX, PDF, HTML or JSON (评估报告)
    #[command(after_help = "\
Examples:
  planwatch report midterm --year 2024 --format docx
      chengdu-services-2021-2025-midterm-2024.docx in the current directory
  planwatch report annual --year 2024 --region 510104 --format pdf -o 锦江区2024年度评估.pdf
  planwatch report midterm --year 2024 --format pdf --font-dir /srv/fonts   An office's 仿宋, 楷体
  planwatch report final --year 2025 --lang en --format html   One page, printable
  planwatch report midterm --year 2024 --format json -o -   The model, for analysts

The figures are the store's as known on --as-of (default today); the planner's texts (存在问题,
对策建议) are the latest saved versions, else generated drafts; the report says which. See
docs/reports.md.")]
    Report(report::ReportArgs),
    /// Progress reports on tasks and key projects: submit, review, list (进展报告)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch progress submit --task 12 --period 2024Q3 --unit commerce --progress 60% --text 完成方案
  planwatch progress submit --project 3 --period 2024Q3 --unit 510113 --stage 在建 \\
      --invested-year 3.2 --invested-total 20.1 --evidence 现场照片.jpg
  planwatch progress list --status submitted       The review queue, oldest first
  planwatch progress show 5                        Every version, comments, evidence files
  planwatch progress approve 5 --comment 同意       By a planner other than the submitter
  planwatch progress return 5 --comment \"请补充节点完成情况\"
  planwatch progress withdraw 5

Only approved reports count for the status of tasks and projects. See docs/tasks.md
(Progress reports)."
    )]
    Progress(progress::ProgressCommand),
    /// Supervision: escalation records of tasks, 督办单 and their answers (督查督办)
    #[command(
        subcommand,
        after_help = "\
Examples:
  planwatch supervision sweep --date 2024-10-15    the records owed on a day (each once)
  planwatch supervision list --unanswered          the open 督办单, the longest overdue first
  planwatch supervision list --unit commerce --level order --format json
  planwatch supervision answer 12 --text \"已制定整改方案……\" --date 2024-10-20

A task yellow or red over consecutive reporting periods escalates: 提醒 → 警示 → 督办, each
recorded once and noticed to its lead unit's reporters. `planwatch serve` sweeps at start and
every hour. See docs/tasks.md (督查督办)."
    )]
    Supervision(supervision::SupervisionCommand),
    /// The audit log: list entries, or verify its hash chain (审计日志)
    #[command(after_help = "\
Examples:
  planwatch audit --since 2025-01-01 --actor alice
  planwatch audit --action user.add --format csv
  planwatch audit verify                           Exit 1 naming the first altered or removed entry")]
    Audit(accounts::AuditArgs),
    /// Copy the whole store into another, SQLite or PostgreSQL, and verify it (迁移)
    #[command(after_help = "\
Examples:
  planwatch migrate --from sqlite:./planwatch.db --to postgres://localhost/planwatch
  planwatch migrate --from postgres://localhost/planwatch --to sqlite:./copy.db
  planwatch migrate --from planwatch.db --to postgres://db/planwatch --force   Replace its data

Every table but the sessions, ids kept, in one transaction of the target; a target with data is
refused unless --force. At the end each table's row count and content digest (SHA-256) are
compared on both sides and printed. See docs/scaling.md.")]
    Migrate(keep::MigrateArgs),
    /// Back up the store into one file, or check a backup (备份)
    #[command(after_help = "\
Examples:
  planwatch backup planwatch-2025-03-31.backup     While the server runs
  planwatch --db postgres://localhost/planwatch backup pg.backup
  planwatch backup --verify planwatch-2025-03-31.backup

A backup is one SQLite file with a manifest (each table's rows and digest), whatever the
backend; `planwatch restore` loads it into either. Sessions are not kept. See docs/scaling.md.")]
    Backup(keep::BackupArgs),
    /// Restore a backup into the store, verified (恢复)
    #[command(after_help = "\
Examples:
  planwatch --db new.db restore planwatch-2025-03-31.backup
  planwatch --db postgres://localhost/planwatch restore pg.backup --force   Replace its data

The backup is checked against its manifest first; a store with data is refused unless --force.")]
    Restore(keep::RestoreArgs),
    /// Generate a synthetic national-scale plan and data set for benchmarks (合成数据)
    #[command(after_help = "\
Examples:
  planwatch synth --out /tmp/national               3 000 counties × 50 indicators × 120 months
  planwatch synth --regions 100 --months 12 --out /tmp/small")]
    Synth(synth::SynthArgs),
}

impl Command {
    /// What is wrong with arguments that each parse but do not go together, for a usage error.
    pub(crate) fn usage_problem(&self, store: &StoreArgs) -> Option<String> {
        match self {
            Command::Export(args) => args.usage_problem(),
            Command::Serve(args) => args.usage_problem(&store.db),
            _ => None,
        }
    }
}

/// The command line as an actor: `cli:` and the operating-system user.
pub(crate) fn cli_actor() -> Actor {
    let os_user = ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    Actor::Cli { os_user }
}

/// Says why on stderr; the command then exits with 1 (invalid input).
pub(crate) fn refuse(reason: impl std::fmt::Display) -> Outcome {
    eprintln!("错误 error: {reason}");
    Outcome::InvalidInput
}

/// Asks the policy whether `actor` may do `action` to `object`; a refusal is said on stderr.
pub(crate) fn allowed(actor: &Actor, action: Action, object: &Object) -> Result<(), Outcome> {
    Policy::default()
        .may(actor, action, object)
        .into_result()
        .map_err(refuse)
}

pub(crate) fn run(command: Command, store: &StoreArgs) -> anyhow::Result<Outcome> {
    match command {
        Command::Plan(command) => plan::run(command),
        Command::Synth(args) => synth::run(&args),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let outcome = match command {
                    Command::Init(args) => data::init(store, &args).await,
                    Command::Import(args) => data::import(store, &args).await,
                    Command::Export(args) => data::export(store, &args).await,
                    Command::Template(args) => data::template(store, &args).await,
                    Command::Data(command) => data::data(store, &command).await,
                    Command::Evaluate(args) => evaluate::evaluate(store, &args).await,
                    Command::Targets(command) => evaluate::targets(store, &command).await,
                    Command::Assess(args) => evaluate::assess(store, &args).await,
                    Command::Serve(args) => serve::serve(store, &args).await,
                    Command::User(command) => accounts::user(store, &command).await,
                    Command::Token(command) => accounts::token(store, &command).await,
                    Command::Audit(args) => accounts::audit(store, &args).await,
                    Command::Submissions(command) => workflow::submissions(store, &command).await,
                    Command::Period(command) => workflow::period(store, &command).await,
                    Command::Notices(command) => notices::run(store, &command).await,
                    Command::Tasks(command) => tasks::run(store, &command).await,
                    Command::Projects(command) => projects::run(store, &command).await,
                    Command::Score(args) => score::run(store, &args).await,
                    Command::Progress(command) => progress::run(store, &command).await,
                    Command::Report(args) => report::run(store, &args).await,
                    Command::Supervision(command) => supervision::run(store, &command).await,
                    Command::Migrate(args) => keep::migrate(&args).await,
                    Command::Backup(args) => keep::backup(store, &args).await,
                    Command::Restore(args) => keep::restore(store, &args).await,
                    Command::Plan(_) | Command::Synth(_) => unreachable!("handled above"),
                };
                // Closed even when the command failed; its own error is the one reported.
                let closed = store.close().await;
                let outcome = outcome?;
                closed?;
                Ok(outcome)
            })
        }
    }
}
