//! `planwatch tasks import | list | template`: a year's 年度任务分解表 (issue 14). The sheet is
//! read by `planwatch_import::tasks` (every problem at once, with its row and column) and stored
//! whole by `Store::import_tasks` (all or nothing; the same sheet again changes nothing).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use planwatch_access::{Action, Object, Unit, resolve_unit};
use planwatch_app::tasks::{TaskView, task_views};
use planwatch_import::tasks::{
    SheetProblem, SheetTask, action_sections, read_tasks, template_header,
};
use planwatch_plan::Plan;
use planwatch_store::{SheetImportOutcome, Store, TaskFilter, TaskNode, TaskRecord, TaskRole, Who};
use planwatch_tasks::{Judgement, Status};

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::plan::new_table;
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TasksCommand {
    /// Import a year's 年度任务分解表 (CSV or XLSX); it replaces that year's tasks
    Import {
        /// The sheet (CSV in UTF-8 or GBK, or a workbook)
        file: PathBuf,
        /// The year the sheet is for
        #[arg(long)]
        year: u16,
    },
    /// List the stored tasks
    List {
        /// Only this year's
        #[arg(long)]
        year: Option<u16>,
        /// Only those of this unit (a region or department code), in any role
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// Only those with this status: 已完成, 正常推进, 未启动, 进度滞后, 未报送, 严重滞后, 逾期
        /// (or done, on_schedule, not_started, lagging, not_reported, serious, overdue)
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        /// The day the status is judged on (YYYY-MM-DD; default today)
        #[arg(long, value_parser = crate::commands::workflow::parse_day)]
        date: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the empty sheet for a year: the title, the header, the plan's actions as sections
    Template {
        #[arg(long)]
        year: u16,
        /// Output file (default: tasks-template-YEAR.xlsx)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Reads the sheet `file` for `year` and stores its tasks as `who` (all or nothing): what
/// `planwatch tasks import` does, and `init --sample-data` with the sample sheet, which is
/// `built_in` (recorded by its file name alone, as the sample figures are).
pub(crate) async fn import_sheet(
    store: &Store,
    plan: &Plan,
    who: &Who,
    file: &Path,
    year: u16,
    built_in: bool,
) -> anyhow::Result<Outcome> {
    let (name, bytes) = read_file(file, built_in)?;
    let sheet = match read_tasks(&name, bytes, plan, year) {
        Ok(sheet) => sheet,
        Err(problems) => return Ok(refuse_sheet(&problems, "任务", "task")),
    };
    let records: Vec<TaskRecord> = sheet.tasks.iter().map(record).collect();
    let outcome = store.import_tasks(who, plan, year, &records, &name).await?;
    print_import(&name, year, ("任务", "tasks"), records.len(), &outcome);
    Ok(Outcome::Success)
}

/// The name a sheet is recorded by (its file name alone when `built_in`, as the sample figures
/// are) and its bytes.
pub(crate) fn read_file(file: &Path, built_in: bool) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = match file.file_name() {
        Some(name) if built_in => name.to_string_lossy().into_owned(),
        _ => file.display().to_string(),
    };
    Ok((name, bytes))
}

/// Every problem of a sheet on stderr, and that nothing (no `what`) was imported.
pub(crate) fn refuse_sheet(problems: &[SheetProblem], zh: &str, en: &str) -> Outcome {
    for problem in problems {
        eprintln!("{problem}");
    }
    eprintln!(
        "错误 error: {} 个问题，未导入任何{zh} / {} problems: no {en} was imported",
        problems.len(),
        problems.len()
    );
    Outcome::InvalidInput
}

/// What an import of `count` rows (`what`: `("任务", "tasks")`) did.
pub(crate) fn print_import(
    name: &str,
    year: u16,
    (zh, en): (&str, &str),
    count: usize,
    outcome: &SheetImportOutcome,
) {
    println!(
        "{name}: {year} 年{zh} {count} 项：新增 {}，修改 {}，删除 {}，未变 {} ({count} {en} for {year}: {} added, {} changed, {} removed, {} unchanged)",
        outcome.added,
        outcome.changed,
        outcome.removed,
        outcome.unchanged,
        outcome.added,
        outcome.changed,
        outcome.removed,
        outcome.unchanged,
    );
}

pub(crate) async fn run(store_args: &StoreArgs, command: &TasksCommand) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        TasksCommand::Import { file, year } => {
            let actor = cli_actor();
            if let Err(refused) = allowed(&actor, Action::Change, &Object::Plan) {
                return Ok(refused);
            }
            import_sheet(&store, &plan, &Who::of(&actor, None), file, *year, false).await
        }
        TasksCommand::List {
            year,
            unit,
            status,
            date,
            format,
        } => {
            if let Err(refused) = allowed(&cli_actor(), Action::Read, &Object::Plan) {
                return Ok(refused);
            }
            let unit = match unit.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Err(problem)) => return Ok(refuse(problem)),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            let filter = TaskFilter { year: *year, unit };
            let views = task_views(&store, &plan, &filter, as_of(*date)).await?;
            let views = with_status(views, *status, |v: &TaskView| &v.judgement);
            let rows = views.iter().map(|v| row(&plan, v)).collect();
            let json = views.iter().map(|v| json(&plan, v)).collect();
            print_list(*format, &CSV_HEADER, rows, json, ("项任务", "tasks"))?;
            Ok(Outcome::Success)
        }
        TasksCommand::Template { year, output } => {
            let title = format!("{}{year}年度重点任务分解表", plan.title.zh);
            let sections = action_sections(&plan);
            let default = format!("tasks-template-{year}.xlsx");
            let path = write_template(
                output.as_deref(),
                &default,
                &title,
                &template_header(),
                &sections,
            )?;
            println!(
                "{}: {year} 年度任务分解表模板，{} 个行动 (task sheet template, {} actions)",
                path.display(),
                sections.len(),
                sections.len()
            );
            Ok(Outcome::Success)
        }
    }
}

/// Writes the empty sheet (`title` merged across, `header`, `sections`) to `output`, else to
/// `default`; the path written.
pub(crate) fn write_template(
    output: Option<&Path>,
    default: &str,
    title: &str,
    header: &[&str],
    sections: &[String],
) -> anyhow::Result<PathBuf> {
    let bytes = planwatch_export::write_task_template(title, header, sections)?;
    let path = output.map_or_else(|| PathBuf::from(default), Path::to_path_buf);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A list on stdout in `format`: `rows` under `header` (a table, with the count: `("项任务",
/// "tasks")`, or CSV), or `json`.
pub(crate) fn print_list(
    format: Format,
    header: &[&str],
    rows: Vec<Vec<String>>,
    json: Vec<serde_json::Value>,
    (zh, en): (&str, &str),
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record(header)?;
            for row in &rows {
                csv.write_record(row)?;
            }
            csv.flush()?;
        }
        Format::Table => {
            let count = rows.len();
            let mut table = new_table(header);
            for row in rows {
                table.add_row(row);
            }
            writeln!(out, "{table}")?;
            writeln!(out, "共 {count} {zh} ({count} {en})")?;
        }
    }
    Ok(())
}

/// A task read from the sheet, as the store keeps it.
fn record(sheet: &SheetTask) -> TaskRecord {
    let task = &sheet.task;
    let roles = [
        (TaskRole::Lead, &task.lead),
        (TaskRole::Responsible, &task.responsible),
        (TaskRole::Supporting, &task.supporting),
    ];
    TaskRecord {
        key: task.key.clone(),
        section: sheet.section.clone(),
        clause: task.clause.0.clone(),
        title: task.title.clone(),
        deadline: task.deadline.date(),
        expected: task.expected.text.clone(),
        quantity: task
            .expected
            .quantity
            .as_ref()
            .map(|q| (q.value, q.unit.clone())),
        units: roles
            .iter()
            .flat_map(|(role, units)| units.iter().map(|u| (u.clone(), *role)))
            .collect(),
        nodes: task
            .nodes
            .iter()
            .map(|n| TaskNode {
                due: n.due,
                expected: n.expected.clone(),
                share: n.percent,
            })
            .collect(),
        indicators: task.indicators.clone(),
        row: i64::try_from(sheet.row).unwrap_or(i64::MAX),
    }
}

/// A status as the command line takes it: its Chinese name or its code.
pub(crate) fn parse_status(text: &str) -> Result<Status, String> {
    Status::parse(text.trim()).ok_or_else(|| {
        format!(
            "“{text}”不是状态（已完成、正常推进、未启动、进度滞后、未报送、严重滞后、逾期）/ \"{text}\" is no status (done, on_schedule, not_started, lagging, not_reported, serious, overdue)"
        )
    })
}

/// The day a list judges the status on: `date`, else today.
pub(crate) fn as_of(date: Option<chrono::NaiveDate>) -> chrono::NaiveDate {
    date.unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// The items of `views` with `status` (all when `None`).
pub(crate) fn with_status<V>(
    views: Vec<V>,
    status: Option<Status>,
    judgement: impl Fn(&V) -> &Judgement,
) -> Vec<V> {
    views
        .into_iter()
        .filter(|v| status.is_none_or(|s| judgement(v).status == s))
        .collect()
}

/// The status columns of a list: status and why.
pub(crate) fn status_cells(judgement: &Judgement) -> [String; 2] {
    [
        judgement.status.label_zh().to_owned(),
        judgement.reason.zh.clone(),
    ]
}

/// The status fields of a list's JSON.
pub(crate) fn status_json(judgement: &Judgement) -> serde_json::Value {
    serde_json::json!({
        "status": judgement.status.as_str(),
        "status_zh": judgement.status.label_zh(),
        "reason": {"zh": judgement.reason.zh, "en": judgement.reason.en},
        "expected_percent": judgement.expected_percent,
        "reported_percent": judgement.reported_percent,
        "missing": judgement.missing.map(|p| p.to_string()),
    })
}

const CSV_HEADER: [&str; 11] = [
    "年度 year",
    "序号 no.",
    "重点任务 task",
    "规划条款 clause",
    "牵头单位 lead",
    "责任单位 responsible",
    "配合单位 supporting",
    "完成时限 deadline",
    "年度目标 expected",
    "状态 status",
    "依据 reason",
];

/// A unit's Chinese name in the plan (its code when the plan no longer has it).
pub(crate) fn unit_name(plan: &Plan, unit: &Unit) -> String {
    planwatch_workflow::notice::unit_name(plan, unit).0
}

fn names(plan: &Plan, task: &TaskRecord, role: TaskRole) -> String {
    task.units_in(role)
        .into_iter()
        .map(|u| unit_name(plan, u))
        .collect::<Vec<_>>()
        .join("、")
}

fn deadline(task: &TaskRecord) -> String {
    task.deadline
        .map_or_else(|| "持续推进".to_owned(), |d| d.to_string())
}

fn row(plan: &Plan, view: &TaskView) -> Vec<String> {
    let stored = &view.task;
    let task = &stored.task;
    let [status, reason] = status_cells(&view.judgement);
    vec![
        stored.year.to_string(),
        task.key.clone(),
        task.title.clone(),
        task.clause.clone(),
        names(plan, task, TaskRole::Lead),
        names(plan, task, TaskRole::Responsible),
        names(plan, task, TaskRole::Supporting),
        deadline(task),
        task.expected.clone(),
        status,
        reason,
    ]
}

fn json(plan: &Plan, view: &TaskView) -> serde_json::Value {
    let stored = &view.task;
    let task = &stored.task;
    let units = |role: TaskRole| -> Vec<serde_json::Value> {
        task.units_in(role)
            .into_iter()
            .map(|u| serde_json::json!({"kind": u.kind(), "code": u.code(), "name": unit_name(plan, u)}))
            .collect()
    };
    let mut value = serde_json::json!({
        "id": stored.id,
        "year": stored.year,
        "seq": task.key,
        "section": task.section,
        "clause": task.clause,
        "title": task.title,
        "lead": units(TaskRole::Lead),
        "responsible": units(TaskRole::Responsible),
        "supporting": units(TaskRole::Supporting),
        "deadline": task.deadline.map(|d| d.to_string()),
        "ongoing": task.deadline.is_none(),
        "nodes": task.nodes.iter().map(|n| serde_json::json!({
            "due": n.due.to_string(), "expected": n.expected, "share": n.share,
        })).collect::<Vec<_>>(),
        "expected": task.expected,
        "quantity": task.quantity.as_ref().map(|(value, unit)| serde_json::json!({"value": value, "unit": unit})),
        "indicators": task.indicators,
        "source": {"file": stored.source_file, "row": task.row},
    });
    value["status"] = status_json(&view.judgement);
    value
}
