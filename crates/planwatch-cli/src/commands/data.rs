//! Commands on a store: `init`, `import`, `export`, `template`, `data history`, `data batches`.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use planwatch_access::{Action, Actor, Object};
use planwatch_import::{Input, Item, Options, Severity, is_excel};
use planwatch_plan::{ObsStatus, Observation, Period, Plan, chengdu, read_plan};
use planwatch_store::{
    BatchInfo, Feed, ImportError, ImportSettings, ObservationFilter, Store, WarningKind, Who,
};
use sha2::{Digest, Sha256};

use crate::Outcome;
use crate::commands::{allowed, cli_actor};

/// Where the store is: shared by every command that uses one.
#[derive(Debug, Clone, Args)]
pub(crate) struct StoreArgs {
    /// The store: an SQLite file (created if missing) or a postgres:// URL
    #[arg(
        long,
        env = "PLANWATCH_DB",
        default_value = "planwatch.db",
        global = true
    )]
    pub(crate) db: String,
    /// The plan in the store to work on (default: the only one, or the Chengdu plan)
    #[arg(long = "plan-id", env = "PLANWATCH_PLAN", global = true)]
    pub(crate) plan_id: Option<String>,
    /// The stores this command opened (clones share the list), closed when it ends.
    #[arg(skip)]
    pub(crate) opened: Arc<Mutex<Vec<Store>>>,
}

impl StoreArgs {
    pub(crate) async fn open(&self) -> anyhow::Result<Store> {
        self.open_with_timeout(None).await
    }

    /// [`StoreArgs::open`], a PostgreSQL pool waiting at most `acquire_timeout` for a
    /// connection when given.
    pub(crate) async fn open_with_timeout(
        &self,
        acquire_timeout: Option<Duration>,
    ) -> anyhow::Result<Store> {
        let opened = match acquire_timeout {
            Some(timeout) => Store::open_with_timeout(&self.db, timeout).await,
            None => Store::open(&self.db).await,
        };
        let store =
            opened.with_context(|| format!("cannot open the store {}", redact(&self.db)))?;
        lock(&self.opened).push(store.clone());
        Ok(store)
    }

    /// Closes the stores the command opened, whatever way it ended: on SQLite this checkpoints
    /// the write-ahead log into the database file, so that the file alone holds everything.
    pub(crate) async fn close(&self) -> anyhow::Result<()> {
        let opened = std::mem::take(&mut *lock(&self.opened));
        for store in opened {
            store
                .close()
                .await
                .with_context(|| format!("cannot close the store {}", redact(&self.db)))?;
        }
        Ok(())
    }

    /// The plan to work on: `--plan-id`, else the only stored plan, else the Chengdu plan.
    pub(crate) async fn plan(&self, store: &Store) -> anyhow::Result<Plan> {
        let id = match &self.plan_id {
            Some(id) => id.clone(),
            None => {
                let plans = store.plans().await?;
                match plans.as_slice() {
                    [] => bail!(
                        "the store {} holds no plan: run `planwatch init` first",
                        redact(&self.db)
                    ),
                    [only] => only.id.clone(),
                    _ if plans.iter().any(|p| p.id == chengdu::plan().id) => chengdu::plan().id,
                    _ => bail!(
                        "the store holds several plans ({}); choose one with --plan-id",
                        plans
                            .iter()
                            .map(|p| p.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        };
        Ok(store.plan(&id).await?)
    }
}

/// A database URL without its password.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// A plan file to store instead of the built-in Chengdu plan
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Also import the sample data set shipped in data/ (Chengdu plan only)
    #[arg(long)]
    sample_data: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// CSV (UTF-8 or GB18030) or Excel files, long or wide layout
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Region for rows of a table without a region column (default: the plan's own region)
    #[arg(long)]
    region: Option<String>,
    /// Indicator for a wide table without an indicator column (code, 序号 or name)
    #[arg(long)]
    indicator: Option<String>,
    /// Status of rows that give none
    #[arg(long, default_value = "final", value_parser = parse_status)]
    status: ObsStatus,
    /// Source of rows that give none (default: the file's name)
    #[arg(long)]
    source: Option<String>,
    /// Who imports (default: $USER)
    #[arg(long = "by")]
    imported_by: Option<String>,
    /// When the values became known, if not now (YYYY-MM-DD): loads a historical release
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    known_since: Option<String>,
    /// Warn when a value changes from the previous period by more than this many percent
    #[arg(long, default_value_t = 50.0)]
    change_bound: f64,
    /// Treat warnings as errors
    #[arg(long)]
    strict: bool,
    /// Check everything, store nothing
    #[arg(long)]
    dry_run: bool,
    /// Revise figures of a locked period (`planwatch period lock`); needs --reason
    #[arg(long, requires = "reason")]
    revise: bool,
    /// Why a locked period's figures are revised (recorded in the audit log)
    #[arg(long, value_name = "TEXT", requires = "revise")]
    reason: Option<String>,
    /// Print at most this many problems per file (0: all)
    #[arg(long, default_value_t = 1000)]
    max_errors: usize,
    /// The files are the built-in sample data: each is recorded by its own name, not by the
    /// path it was found at on this machine (which the API, pages and exports would show).
    #[arg(skip)]
    built_in: bool,
}

fn parse_status(text: &str) -> Result<ObsStatus, String> {
    text.parse()
        .map_err(|e: planwatch_plan::observation::BadStatus| e.to_string())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    Csv,
    Xlsx,
    /// SDMX-CSV 2.0, following the structure of sdmx-structure
    SdmxCsv,
    /// The SDMX-ML 2.1 structure message of the whole plan (no filters)
    SdmxStructure,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    #[command(flatten)]
    filter: FilterArgs,
    /// Output file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl ExportArgs {
    /// Filters with the structure, which describes the whole plan and so cannot be filtered.
    pub(crate) fn usage_problem(&self) -> Option<String> {
        let f = &self.filter;
        let filtered = !f.indicator.is_empty()
            || !f.region.is_empty()
            || f.from.is_some()
            || f.to.is_some()
            || f.as_of.is_some();
        (matches!(self.format, ExportFormat::SdmxStructure) && filtered).then(|| {
            "--format sdmx-structure describes the whole plan and takes no --indicator, --region, --from, --to or --as-of（SDMX 结构描述整个规划，不能筛选）".to_owned()
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Indicator codes (repeat or separate with commas)
    #[arg(long, value_delimiter = ',')]
    indicator: Vec<String>,
    /// Region codes (repeat or separate with commas)
    #[arg(long, value_delimiter = ',')]
    region: Vec<String>,
    /// First period (2021, 2021Q1, 2021-06)
    #[arg(long, value_parser = parse_period)]
    from: Option<Period>,
    /// Last period
    #[arg(long, value_parser = parse_period)]
    to: Option<Period>,
    /// What was known at the end of this day (YYYY-MM-DD) instead of the latest revisions
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<String>,
}

/// A calendar date, `YYYY-MM-DD`, returned in that form (the store compares dates as text).
pub(crate) fn parse_date(text: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("\"{text}\" is not a date: write YYYY-MM-DD, e.g. 2024-12-31"))
}

fn parse_period(text: &str) -> Result<Period, String> {
    text.parse()
        .map_err(|e: planwatch_plan::period::BadPeriod| e.to_string())
}

impl FilterArgs {
    fn filter(&self) -> ObservationFilter {
        ObservationFilter {
            indicators: self.indicator.clone(),
            regions: self.region.clone(),
            from: self.from,
            to: self.to,
            as_of: self.as_of.clone(),
            yearly_only: false,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct TemplateArgs {
    /// The reporting region (code)
    #[arg(long)]
    region: String,
    /// The year to report
    #[arg(long)]
    year: u16,
    /// Output file (default: template-REGION-YEAR.xlsx)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DataCommand {
    /// Every revision of one observation, in the order they became known, the one in force marked (修订历史)
    #[command(after_help = "\
Examples:
  planwatch data history --indicator retail_sales --region 510100 --period 2019")]
    History {
        #[arg(long)]
        indicator: String,
        #[arg(long)]
        region: String,
        #[arg(long, value_parser = parse_period)]
        period: Period,
    },
    /// The import batches, newest first (导入记录)
    #[command(after_help = "\
Examples:
  planwatch data batches")]
    Batches,
}

pub(crate) async fn init(store_args: &StoreArgs, args: &InitArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(refused) = allowed(&actor, Action::Change, &Object::Plan) {
        return Ok(refused);
    }
    let plan = match &args.plan {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match read_plan(&file.display().to_string(), &text) {
                Ok(plan) => plan,
                Err(error) => {
                    for d in &error.0 {
                        eprintln!("{d}");
                    }
                    return Ok(Outcome::InvalidInput);
                }
            }
        }
        None => chengdu::plan(),
    };
    let store = store_args.open().await?;
    store.save_plan(&Who::of(&actor, None), &plan).await?;
    println!(
        "{}: 已保存规划 saved plan {} — {}",
        redact(&store_args.db),
        plan.id,
        plan.title.zh
    );
    if store.users().await?.is_empty() {
        println!(
            "下一步：创建第一个管理员 next, create the first administrator (its password is printed once):\n  planwatch --db {} user add admin --role admin",
            redact(&store_args.db)
        );
    }
    if args.sample_data {
        if plan.id != chengdu::plan().id {
            bail!("the sample data set belongs to the Chengdu plan");
        }
        let store_args = StoreArgs {
            plan_id: Some(plan.id.clone()),
            ..store_args.clone()
        };
        return load_sample_data(&store_args, &store, &actor).await;
    }
    Ok(Outcome::Success)
}

/// The sample data set: its files, each with the date its values became known.
pub(crate) const SAMPLE_FILES: [(&str, Option<&str>); 3] = [
    ("data/chengdu-first-releases.csv", Some("2020-03-31")),
    ("data/chengdu-revisions.csv", Some("2021-09-30")),
    ("data/chengdu-sample.csv", None),
];

/// The sample 年度重点任务分解表 and its year.
const SAMPLE_TASKS: (&str, u16) = ("data/chengdu-tasks-2024.csv", 2024);

/// The sample progress reports on the sample tasks and projects (approved, Q1–Q3 2024).
const SAMPLE_PROGRESS: &str = "data/chengdu-progress-2024.csv";

/// The sample key project list (重大项目表) and its year.
const SAMPLE_PROJECTS: (&str, u16) = ("data/chengdu-projects-2024.csv", 2024);

/// Imports the sample data set (see data/README.md) from the repository's `data/` directory
/// and saves district targets split from it, as `actor` (the command line for `init
/// --sample-data`, `system:first-start` for the server's first start): asked of the policy,
/// audited under its name.
pub(crate) async fn load_sample_data(
    store_args: &StoreArgs,
    store: &Store,
    actor: &Actor,
) -> anyhow::Result<Outcome> {
    for object in [Object::Observations, Object::DistrictTargets, Object::Plan] {
        if let Err(refused) = allowed(actor, Action::Change, &object) {
            return Ok(refused);
        }
    }
    let who = Who::of(actor, None);
    let root = sample_root()?;
    let mut outcome = Outcome::Success;
    for (file, known_since) in SAMPLE_FILES {
        let args = ImportArgs {
            files: vec![root.join(file)],
            region: None,
            indicator: None,
            status: ObsStatus::Final,
            source: None,
            imported_by: Some("planwatch init".to_owned()),
            known_since: known_since.map(str::to_owned),
            change_bound: 50.0,
            strict: false,
            dry_run: false,
            revise: false,
            reason: None,
            max_errors: 1000,
            built_in: true,
        };
        if import_into(store_args, store, &args, &who).await? == Outcome::InvalidInput {
            outcome = Outcome::InvalidInput;
        }
    }
    if outcome == Outcome::Success {
        // District targets for the sample: the city's targets split by each district's share in
        // the base year, so that districts have statuses of their own (see data/README.md).
        let plan = store_args.plan(store).await?;
        let panel = planwatch_app::load_panel(store, &plan, &[], None).await?;
        // Only the indicators that split and have district figures for the base year.
        let table = (0..plan.indicators.len())
            .filter_map(|i| planwatch_eval::split_targets(&plan, &panel, Some(&[i]), None).ok())
            .flatten()
            .map(|t| ((t.indicator, t.target, t.region), t.value))
            .collect();
        crate::commands::evaluate::save_targets(
            store,
            &who,
            &plan,
            &table,
            "示例：按2020年各区份额分解 (sample: split by each district's 2020 share)",
            "planwatch init",
        )
        .await?;
        println!(
            "已按基期份额分解区县目标 (district targets: the city's split by base-year share)"
        );
        // The sample 年度重点任务分解表 (data/README.md).
        let (file, year) = SAMPLE_TASKS;
        outcome =
            crate::commands::tasks::import_sheet(store, &plan, &who, &root.join(file), year, true)
                .await?;
        // The sample key project list, after the tasks (data/README.md).
        if outcome == Outcome::Success {
            let (file, year) = SAMPLE_PROJECTS;
            let path = root.join(file);
            outcome = crate::commands::projects::import_list(store, &plan, &who, &path, year, true)
                .await?;
        }
        // Approved progress reports on them, so that every status appears (data/README.md).
        if outcome == Outcome::Success {
            let path = root.join(SAMPLE_PROGRESS);
            outcome =
                crate::commands::progress::load_sample_progress(store, &plan, &who, &path).await?;
        }
    }
    Ok(outcome)
}

/// The directory holding `data/`: `PLANWATCH_HOME`, else the current directory or one of its
/// parents, else the source tree the binary was built from.
fn sample_root() -> anyhow::Result<PathBuf> {
    let candidates = std::env::var_os("PLANWATCH_HOME")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::current_dir()
                .ok()
                .into_iter()
                .flat_map(|d| d.ancestors().map(Path::to_path_buf).collect::<Vec<_>>()),
        )
        .chain(std::iter::once(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
        ));
    for candidate in candidates {
        if candidate.join(SAMPLE_FILES[2].0).is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cannot find the sample data (data/chengdu-sample.csv); set PLANWATCH_HOME to the repository"
    )
}

pub(crate) async fn import(store_args: &StoreArgs, args: &ImportArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    // Asked of a dry run too: it is an import, checked and rolled back.
    if let Err(refused) = allowed(&actor, Action::Change, &Object::Observations) {
        return Ok(refused);
    }
    let store = store_args.open().await?;
    import_into(store_args, &store, args, &Who::of(&actor, None)).await
}

/// Imports the files one by one on behalf of `who` (whom the caller asked the policy about).
async fn import_into(
    store_args: &StoreArgs,
    store: &Store,
    args: &ImportArgs,
    who: &Who,
) -> anyhow::Result<Outcome> {
    let plan = Arc::new(store_args.plan(store).await?);
    let mut outcome = Outcome::Success;
    for file in &args.files {
        if !import_file(store, who, &plan, file, args).await? {
            outcome = Outcome::InvalidInput;
        }
    }
    Ok(outcome)
}

/// Rows per chunk sent to the store: large enough to amortise statements, small enough to keep
/// memory bounded (the channel holds at most four chunks).
const CHUNK: usize = 8192;

/// Imports one file; returns whether it had no errors.
async fn import_file(
    store: &Store,
    who: &Who,
    plan: &Arc<Plan>,
    path: &Path,
    args: &ImportArgs,
) -> anyhow::Result<bool> {
    // What the user typed, for their files.
    let name = match path.file_name() {
        Some(file_name) if args.built_in => file_name.to_string_lossy().into_owned(),
        _ => path.display().to_string(),
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; 8];
    let head_len = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read {name}"))?;
    let excel = is_excel(&head[..head_len]);
    let progress = progress_bar(size, &name);

    let (sender, receiver) = tokio::sync::mpsc::channel::<Feed>(4);
    let options = Options {
        region: args.region.clone(),
        indicator: args.indicator.clone(),
        status: args.status,
        source: args
            .source
            .clone()
            .or_else(|| path.file_name().map(|f| f.to_string_lossy().into_owned())),
    };
    let reader_plan = Arc::clone(plan);
    let reader_path = path.to_path_buf();
    let reader_name = name.clone();
    let reader_progress = progress.clone();
    let keep = args.max_errors;
    let reader = tokio::task::spawn_blocking(
        move || -> anyhow::Result<(Vec<planwatch_import::Diagnostic>, usize, usize)> {
            // The checksum is worked out as the file is read: it is read once.
            let hasher = Arc::new(Mutex::new(Sha256::new()));
            let input = if excel {
                let bytes = std::fs::read(&reader_path)
                    .with_context(|| format!("cannot read {reader_name}"))?;
                lock(&hasher).update(&bytes);
                Input::Excel(bytes)
            } else {
                let file = std::fs::File::open(&reader_path)
                    .with_context(|| format!("cannot read {reader_name}"))?;
                let hashed = Hashed {
                    inner: file,
                    hasher: Arc::clone(&hasher),
                };
                Input::Csv(Box::new(
                    reader_progress.wrap_read(BufReader::with_capacity(1 << 20, hashed)),
                ))
            };
            let import = match planwatch_import::open(&reader_name, input, &reader_plan, options) {
                Ok(import) => import,
                Err(diagnostic) => {
                    let _ = sender.blocking_send(Feed::Abort);
                    return Ok((vec![diagnostic], 1, 0));
                }
            };
            let mut diagnostics = Vec::new();
            let mut errors = 0usize;
            let mut dropped = 0usize;
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in import {
                match item {
                    Item::Row(row) if errors == 0 => {
                        chunk.push(row);
                        if chunk.len() == CHUNK {
                            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                            if sender.blocking_send(Feed::Rows(full)).is_err() {
                                break;
                            }
                        }
                    }
                    Item::Row(_) => {}
                    Item::Problem(diagnostic) => {
                        if diagnostic.severity == Severity::Error {
                            errors += 1;
                        }
                        // Kept only as many as will be shown: memory stays bounded however
                        // bad a huge file is; the rest are counted.
                        if keep == 0 || diagnostics.len() < keep {
                            diagnostics.push(diagnostic);
                        } else {
                            dropped += 1;
                        }
                    }
                }
            }
            let last = if errors > 0 {
                Feed::Abort
            } else {
                if !chunk.is_empty() {
                    let _ = sender.blocking_send(Feed::Rows(chunk));
                }
                let digest = std::mem::take(&mut *lock(&hasher)).finalize();
                Feed::Finish {
                    checksum: digest.iter().map(|b| format!("{b:02x}")).collect(),
                }
            };
            let _ = sender.blocking_send(last);
            Ok((diagnostics, errors, dropped))
        },
    );

    let batch = BatchInfo {
        file_name: name.clone(),
        imported_by: args
            .imported_by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into()),
        known_since: args.known_since.clone(),
        revision_reason: args.reason.clone().filter(|_| args.revise),
    };
    let settings = ImportSettings {
        change_bound_percent: args.change_bound,
        strict: args.strict,
        dry_run: args.dry_run,
        ..ImportSettings::default()
    };
    let result = store.import(who, plan, batch, receiver, settings).await;
    let (diagnostics, errors, dropped) = reader.await.context("the file reader stopped")??;
    progress.finish_and_clear();

    let mut printed = 0usize;
    let mut print = |line: String| {
        if args.max_errors == 0 || printed < args.max_errors {
            eprintln!("{line}");
        }
        printed += 1;
    };
    for diagnostic in &diagnostics {
        print(diagnostic.to_string());
    }
    let ok = match result {
        Ok(outcome) => {
            for warning in &outcome.warnings {
                print(store_warning(&name, plan, warning));
            }
            let action = if args.dry_run {
                "检查通过，未保存 (dry run)"
            } else if outcome.committed {
                "已导入 imported"
            } else {
                "无变化 unchanged"
            };
            let batch = outcome
                .batch_id
                .map(|b| format!("，批次 batch {b}"))
                .unwrap_or_default();
            let same = outcome
                .same_file_as
                .map(|b| format!("；同一文件曾于批次 {b} 导入"))
                .unwrap_or_default();
            println!(
                "{name}: {action} — {} 行 rows，{} 个新修订 new revisions，{} 个未变 unchanged，{} 个警告 warnings{batch}{same}",
                outcome.rows,
                outcome.revisions,
                outcome.unchanged,
                outcome.warnings.len()
            );
            true
        }
        Err(ImportError::Aborted) => {
            eprintln!("{name}: {errors} 个错误 error(s)，未导入任何数据 nothing was stored");
            false
        }
        Err(ImportError::Conflicts(conflicts)) => {
            for c in &conflicts {
                print(format!(
                    "{name}:{}: 数值 the same indicator, region and period twice with different values: {} (row {}) and {}（同一指标、地区、时期出现两次且数值不同：{}（第 {} 行）与 {}）",
                    c.row, c.first_value, c.first_row, c.value, c.first_value, c.first_row, c.value
                ));
            }
            eprintln!(
                "{name}: {} 个冲突 conflict(s)，未导入任何数据 nothing was stored",
                conflicts.len()
            );
            false
        }
        Err(ImportError::Strict(warnings)) => {
            for warning in &warnings {
                print(store_warning(&name, plan, warning));
            }
            eprintln!(
                "{name}: --strict：{} 个警告视为错误，未导入任何数据 nothing was stored",
                warnings.len()
            );
            false
        }
        Err(
            e @ (ImportError::LockedPeriod { .. }
            | ImportError::NotWaiting(_)
            | ImportError::StaleBase { .. }),
        ) => {
            eprintln!("{name}: {e}");
            false
        }
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    // Problems the reader did not keep were never printed either.
    let problems = printed + dropped;
    if args.max_errors > 0 && problems > args.max_errors {
        eprintln!(
            "{name}: 另有 {} 个问题未显示 (--max-errors 0 shows all)",
            problems - args.max_errors
        );
    }
    Ok(ok)
}

fn store_warning(file: &str, plan: &Plan, warning: &planwatch_store::StoreWarning) -> String {
    let indicator = &plan.indicators[warning.indicator].name.zh;
    let period = Period::from_key(warning.period)
        .map(|p| p.to_string())
        .unwrap_or_default();
    match &warning.kind {
        WarningKind::LargeChange {
            previous,
            value,
            change_percent,
            bound,
        } => format!(
            "{file}:{}: warning: {indicator} {period} changed by {change_percent:+.1} % from the previous period ({previous} → {value}), beyond ±{bound} %（较上期变动 {change_percent:+.1} %，超出 ±{bound} %，已标记）",
            warning.row
        ),
        WarningKind::DistrictsAboveTotal { sum, total } => format!(
            "{file}:{}: warning: {indicator} {period}: the districts add up to {sum}, above the city total {total}（各区（市）县合计 {sum} 超过全市 {total}，已标记）",
            warning.row
        ),
    }
}

fn progress_bar(size: u64, name: &str) -> ProgressBar {
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(name.to_owned());
    bar
}

/// A reader that feeds what passes through it to a SHA-256.
struct Hashed<R> {
    inner: R,
    hasher: Arc<Mutex<Sha256>>,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        lock(&self.hasher).update(&buffer[..n]);
        Ok(n)
    }
}

/// The guarded value, even if a thread panicked holding it (neither the hasher nor the list of
/// opened stores has an invariant to break).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) async fn export(store_args: &StoreArgs, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    // The structure describes the plan, not the observations.
    let observations: Vec<Observation> = match args.format {
        ExportFormat::SdmxStructure => Vec::new(),
        _ => store
            .observations(&plan, &args.filter.filter())
            .await?
            .into_iter()
            .map(Observation::from)
            .collect(),
    };
    let bytes = match args.format {
        ExportFormat::Csv => {
            let mut out = Vec::new();
            planwatch_export::write_csv(&plan, &observations, &mut out)?;
            out
        }
        ExportFormat::SdmxCsv => {
            let mut out = Vec::new();
            planwatch_export::write_sdmx_csv(&plan, &observations, &mut out)?;
            out
        }
        ExportFormat::Xlsx => planwatch_export::write_xlsx(&plan, &observations)?,
        ExportFormat::SdmxStructure => {
            let mut out = Vec::new();
            planwatch_export::write_sdmx_structure(&plan, &mut out)?;
            out
        }
    };
    write_output(args.output.as_deref(), &bytes)?;
    Ok(Outcome::Success)
}

fn write_output(output: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

pub(crate) async fn template(
    store_args: &StoreArgs,
    args: &TemplateArgs,
) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let region = planwatch_import::Resolver::new(&plan)
        .region(&args.region)
        .map(|i| plan.regions[i].code.clone())
        .with_context(|| format!("region \"{}\" is not in the plan", args.region))?;
    let filter = ObservationFilter {
        regions: vec![region.clone()],
        from: Some(Period::Year(args.year - 1)),
        to: Some(Period::Year(args.year - 1)),
        ..ObservationFilter::default()
    };
    let previous: Vec<Observation> = store
        .observations(&plan, &filter)
        .await?
        .into_iter()
        .map(Observation::from)
        .collect();
    let bytes = planwatch_export::write_template(&plan, &region, args.year, &previous)?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("template-{region}-{}.xlsx", args.year)));
    write_output(Some(&path), &bytes)?;
    println!(
        "{}: {} 个指标，{} 年填报模板 template for {region}",
        path.display(),
        plan.indicators.iter().filter(|i| !i.is_context()).count(),
        args.year
    );
    Ok(Outcome::Success)
}

pub(crate) async fn data(store_args: &StoreArgs, command: &DataCommand) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        DataCommand::History {
            indicator,
            region,
            period,
        } => {
            // Codes, 序号 or names, as in imported files.
            let resolver = planwatch_import::Resolver::new(&plan);
            let indicator = resolver
                .indicator(indicator)
                .map(|i| plan.indicators[i].code.clone())
                .with_context(|| format!("indicator \"{indicator}\" is not in the plan"))?;
            let region = resolver
                .region(region)
                .map(|i| plan.regions[i].code.clone())
                .with_context(|| format!("region \"{region}\" is not in the plan"))?;
            let revisions = store.history(&plan, &indicator, &region, *period).await?;
            if revisions.is_empty() {
                println!("没有数据 no observation of {indicator} / {region} / {period}");
            }
            // In the order the values became known: the last is the one in force.
            let mut table = super::plan::new_table(&[
                "修订 Rev.",
                "数值 Value",
                "状态 Status",
                "来源 Source",
                "文件 File:row",
                "已知 Known since",
                "标记 Flags",
                "现行 In force",
            ]);
            let in_force = revisions.len().checked_sub(1);
            for (i, r) in revisions.into_iter().enumerate() {
                table.add_row(vec![
                    r.revision.to_string(),
                    planwatch_plan::fmt_num(r.value),
                    r.status.label_zh().to_owned(),
                    r.source.unwrap_or_default(),
                    format!("{}:{}", r.file_name, r.source_row),
                    format!("{} ({})", r.imported_at, r.imported_by),
                    flags(r.flags),
                    if Some(i) == in_force {
                        "✓ 现行 in force".to_owned()
                    } else {
                        String::new()
                    },
                ]);
            }
            println!("{table}");
        }
        DataCommand::Batches => {
            let mut table = super::plan::new_table(&[
                "批次 Batch",
                "文件 File",
                "SHA-256",
                "导入 Imported",
                "行 Rows",
                "修订 Revisions",
                "警告 Warnings",
            ]);
            for b in store.batches(&plan.id).await? {
                table.add_row(vec![
                    b.id.to_string(),
                    b.file_name,
                    // Enough to tell files apart in a table.
                    format!("{}…", b.checksum.get(..16).unwrap_or(&b.checksum)),
                    format!("{} ({})", b.imported_at, b.imported_by),
                    b.rows_read.to_string(),
                    b.revisions.to_string(),
                    b.warnings.to_string(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(Outcome::Success)
}

fn flags(flags: i32) -> String {
    let mut words = Vec::new();
    if flags & 1 != 0 {
        words.push("变动大 large change");
    }
    if flags & 2 != 0 {
        words.push("区县合计超全市 districts above total");
    }
    words.join(", ")
}
