//! `planwatch progress submit | list | show | approve | return | withdraw`: units' progress
//! reports on tasks and key projects (issue 14), through the reporting workflow (the moves are
//! `planwatch_workflow::Submission`'s, stored by `planwatch-store`'s progress module). Also the
//! sample progress file (`data/chengdu-progress-2024.csv`) `init --sample-data` loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use planwatch_access::{Action, Object, resolve_unit};
use planwatch_plan::{Period, Plan};
use planwatch_store::{
    Evidence, LoadedProgress, ProgressContent, ProgressFigures, ProgressFilter, ProgressSubject,
    ProjectFilter, Store, StoreError, StoredProgress, TaskFilter, Who,
};
use planwatch_tasks::{Progress, Stage};
use planwatch_workflow::Status;

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::tasks::{Format, print_list, unit_name};
use crate::commands::workflow::{parse_period, parse_status};
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Subcommand)]
pub(crate) enum ProgressCommand {
    /// Report progress on a task or a key project for a period (submitted, or a draft)
    Submit(SubmitArgs),
    /// List progress reports, oldest first
    List {
        /// Of the tasks and projects of this year
        #[arg(long)]
        year: Option<u16>,
        /// Of this unit (region or department code)
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// draft, submitted, approved, returned or withdrawn
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        /// On this task (its id, as `tasks list --format json` gives it)
        #[arg(long, conflicts_with = "project")]
        task: Option<i64>,
        /// On this key project (its id)
        #[arg(long)]
        project: Option<i64>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a report: every version, the reviewers' comments, its evidence files
    Show { id: i64 },
    /// Approve a submitted report (a planner other than the submitter)
    Approve {
        id: i64,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Return a submitted report to its unit with a comment
    Return {
        id: i64,
        #[arg(long, required = true)]
        comment: String,
    },
    /// Submit a draft, or a returned report again as its next version (with a new progress,
    /// text or problems where given)
    Send {
        id: i64,
        /// A task's progress: a share (60%, 60), 未启动, 推进中 or 已完成
        #[arg(long)]
        progress: Option<String>,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        problems: Option<String>,
    },
    /// Withdraw a draft or a report waiting for review
    Withdraw { id: i64 },
}

#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The task reported on (its id)
    #[arg(long, conflicts_with = "project", required_unless_present = "project")]
    task: Option<i64>,
    /// The key project reported on (its id)
    #[arg(long)]
    project: Option<i64>,
    /// The reporting period: 2024Q3, 2024-09, 2024
    #[arg(long, value_parser = parse_period)]
    period: Period,
    /// The reporting unit (region or department code): the task's lead or responsible unit,
    /// the project's responsible unit
    #[arg(long, value_name = "CODE")]
    unit: String,
    /// A task's progress: a share (60%, 60), 未启动, 推进中 or 已完成
    #[arg(long, required_unless_present = "project")]
    progress: Option<String>,
    /// The task's nodes met, numbered from 1 (1,2)
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<usize>,
    /// A project's stage: 前期, 在建, 竣工, 投运
    #[arg(long, required_unless_present = "task")]
    stage: Option<String>,
    /// A project's investment completed this year (亿元)
    #[arg(long, required_unless_present = "task")]
    invested_year: Option<f64>,
    /// A project's investment completed in all (亿元)
    #[arg(long, required_unless_present = "task")]
    invested_total: Option<f64>,
    /// What was done (at most 2000 characters)
    #[arg(long, default_value = "")]
    text: String,
    /// Problems met
    #[arg(long, default_value = "")]
    problems: String,
    /// An evidence file (repeatable; at most 5, each at most 10 MiB)
    #[arg(long, value_name = "FILE")]
    evidence: Vec<PathBuf>,
    /// Keep it as a draft instead of submitting it
    #[arg(long)]
    draft: bool,
}

/// A task's progress as written: `60%`, `60`, `未启动`, `推进中`, `已完成`.
pub(crate) fn parse_progress(text: &str) -> Option<Progress> {
    Progress::parse(text)
}

fn progress_text(progress: Progress) -> String {
    match progress {
        Progress::Percent(p) => format!("{}%", planwatch_plan::fmt_num(p)),
        Progress::NotStarted => "未启动".into(),
        Progress::UnderWay => "推进中".into(),
        Progress::Done => "已完成".into(),
    }
}

/// A refusal the user can act on is said and the command fails; anything else is an error.
fn store_refusal(error: StoreError) -> anyhow::Result<Outcome> {
    match error {
        StoreError::Refused(_)
        | StoreError::UnknownProgress(_)
        | StoreError::ProgressChanged(_)
        | StoreError::UnknownProgressSubject(_)
        | StoreError::NotSubjectUnit { .. }
        | StoreError::BadProgress(_)
        | StoreError::EvidenceSize { .. }
        | StoreError::TooManyEvidence(_)
        | StoreError::UnknownEvidence(_) => Ok(refuse(error)),
        error => Err(error.into()),
    }
}

/// What a report says, from the command line.
fn content(args: &SubmitArgs) -> Result<ProgressContent, String> {
    let figures = if args.project.is_some() {
        let stage = args.stage.as_deref().unwrap_or("");
        ProgressFigures::Project {
            stage: Stage::parse(stage)
                .or_else(|| Stage::from_code(stage))
                .ok_or_else(|| {
                    format!(
                        "“{stage}”不是项目阶段（前期、在建、竣工、投运）/ \"{stage}\" is no stage"
                    )
                })?,
            invested_year: args.invested_year.unwrap_or(0.0),
            invested_total: args.invested_total.unwrap_or(0.0),
        }
    } else {
        let text = args.progress.as_deref().unwrap_or("");
        ProgressFigures::Task {
            progress: parse_progress(text).ok_or_else(|| {
                format!("“{text}”不是进度（如 60%、未启动、推进中、已完成）/ \"{text}\" is no progress (60%, 未启动, 推进中, 已完成)")
            })?,
            nodes_met: args.nodes.iter().map(|n| n.saturating_sub(1)).collect(),
        }
    };
    Ok(ProgressContent {
        figures,
        text: args.text.clone(),
        problems: args.problems.clone(),
    })
}

/// The media type of an evidence file, by its extension.
fn media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

async fn submit(store: &Store, plan: &Plan, args: &SubmitArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(refused) = allowed(&actor, Action::Submit, &Object::Submissions) {
        return Ok(refused);
    }
    let unit = match resolve_unit(plan, &args.unit) {
        Ok(unit) => unit,
        Err(e) => return Ok(refuse(e)),
    };
    let content = match content(args) {
        Ok(content) => content,
        Err(e) => return Ok(refuse(e)),
    };
    let subject = match (args.task, args.project) {
        (Some(task), _) => ProgressSubject::Task(task),
        (None, Some(project)) => ProgressSubject::Project(project),
        (None, None) => return Ok(refuse("--task 或 --project / --task or --project")),
    };
    let mut files = Vec::new();
    for path in &args.evidence {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push(Evidence {
            name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            media_type: media_type(path).to_owned(),
            bytes,
        });
    }
    // With evidence, the report is a draft until its files are in.
    let draft = args.draft || !files.is_empty();
    let id = match store
        .create_progress(
            &actor,
            None,
            plan,
            subject,
            args.period,
            unit,
            &content,
            draft,
        )
        .await
    {
        Ok(id) => id,
        Err(e) => return store_refusal(e),
    };
    for file in &files {
        if let Err(e) = store
            .add_progress_evidence(&actor, None, plan, id, file)
            .await
        {
            eprintln!("进展报告 {id} 保留为草稿 progress report {id} is kept as a draft");
            return store_refusal(e);
        }
    }
    if !args.draft
        && !files.is_empty()
        && let Err(e) = store.submit_progress(&actor, None, plan, id).await
    {
        return store_refusal(e);
    }
    let state = if args.draft {
        "草稿 draft"
    } else {
        "已报送 submitted"
    };
    println!("进展报告 progress report {id}: {state}");
    Ok(Outcome::Success)
}

const LIST_HEADER: [&str; 9] = [
    "编号 id",
    "对象 subject",
    "名称 title",
    "报送期 period",
    "单位 unit",
    "状态 status",
    "版本 version",
    "进展 progress",
    "报送时间 submitted",
];

fn figures_text(figures: &ProgressFigures) -> String {
    match figures {
        ProgressFigures::Task { progress, .. } => progress_text(*progress),
        ProgressFigures::Project {
            stage,
            invested_year,
            invested_total,
        } => format!(
            "{}，年度 {} 亿元，累计 {} 亿元",
            stage.label_zh(),
            planwatch_plan::fmt_num(*invested_year),
            planwatch_plan::fmt_num(*invested_total)
        ),
    }
}

fn list_row(plan: &Plan, r: &StoredProgress) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.subject.key(),
        r.title.clone(),
        r.period.to_string(),
        unit_name(plan, &r.unit),
        format!("{} {}", r.status.label_zh(), r.status),
        r.version.to_string(),
        figures_text(&r.content.figures),
        r.submitted_at.clone().unwrap_or_default(),
    ]
}

fn content_json(content: &ProgressContent) -> serde_json::Value {
    let mut value = match &content.figures {
        ProgressFigures::Task {
            progress,
            nodes_met,
        } => serde_json::json!({
            "progress": progress_text(*progress),
            "nodes_met": nodes_met.iter().map(|n| n + 1).collect::<Vec<_>>(),
        }),
        ProgressFigures::Project {
            stage,
            invested_year,
            invested_total,
        } => serde_json::json!({
            "stage": stage.code(), "stage_zh": stage.label_zh(),
            "invested_year": invested_year, "invested_total": invested_total,
        }),
    };
    value["text"] = serde_json::json!(content.text);
    value["problems"] = serde_json::json!(content.problems);
    value
}

fn list_json(plan: &Plan, r: &StoredProgress) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "subject": r.subject.key(),
        "title": r.title,
        "year": r.year,
        "period": r.period.to_string(),
        "unit": {"kind": r.unit.kind(), "code": r.unit.code(), "name": unit_name(plan, &r.unit)},
        "status": r.status.as_str(),
        "version": r.version,
        "submitted_by": r.submitted_by,
        "submitted_at": r.submitted_at,
        "reviewed_by": r.reviewed_by,
        "content": content_json(&r.content),
    })
}

/// `progress send`: the report's content changed as given (an edit), then submitted.
async fn send(
    store: &Store,
    plan: &Plan,
    id: i64,
    progress: Option<&str>,
    text: &Option<String>,
    problems: &Option<String>,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if progress.is_some() || text.is_some() || problems.is_some() {
        let mut content = match store.progress(plan, id).await {
            Ok(report) => report.content,
            Err(e) => return store_refusal(e),
        };
        if let Some(progress) = progress {
            let (Some(new), ProgressFigures::Task { progress: old, .. }) =
                (parse_progress(progress), &mut content.figures)
            else {
                return Ok(refuse(format!(
                    "“{progress}”不是任务进度 / \"{progress}\" is no task progress"
                )));
            };
            *old = new;
        }
        if let Some(text) = text {
            content.text.clone_from(text);
        }
        if let Some(problems) = problems {
            content.problems.clone_from(problems);
        }
        if let Err(e) = store.edit_progress(&actor, None, plan, id, &content).await {
            return store_refusal(e);
        }
    }
    match store.submit_progress(&actor, None, plan, id).await {
        Ok(version) => {
            println!(
                "进展报告 {id} 已报送（第 {version} 版）progress report {id} submitted (version {version})"
            );
            Ok(Outcome::Success)
        }
        Err(e) => store_refusal(e),
    }
}

async fn show(store: &Store, plan: &Plan, id: i64) -> anyhow::Result<Outcome> {
    let detail = match store.progress_detail(plan, id).await {
        Ok(detail) => detail,
        Err(e) => return store_refusal(e),
    };
    let r = &detail.report;
    println!(
        "进展报告 progress report {id}: {} “{}” {} {}，{} {}，第 {} 版 version {}",
        r.subject.key(),
        r.title,
        r.period,
        unit_name(plan, &r.unit),
        r.status.label_zh(),
        r.status,
        r.version,
        r.version
    );
    println!(
        "报送人 submitted by {} {}；审核 reviewed by {} {}",
        r.submitted_by,
        r.submitted_at.as_deref().unwrap_or("-"),
        r.reviewed_by.as_deref().unwrap_or("-"),
        r.reviewed_at.as_deref().unwrap_or("-")
    );
    for (version, content) in &detail.versions {
        println!(
            "  v{version}: {}；进展 text: {}；问题 problems: {}",
            figures_text(&content.figures),
            content.text,
            content.problems
        );
    }
    for comment in &detail.comments {
        println!(
            "意见 comment v{} {} {} {}: {}",
            comment.version, comment.action, comment.author, comment.at, comment.comment
        );
    }
    for e in &detail.evidence {
        println!(
            "证明材料 evidence {} v{}: {} ({}, {} bytes, sha256 {})",
            e.id, e.version, e.name, e.media_type, e.size, e.sha256
        );
    }
    Ok(Outcome::Success)
}

pub(crate) async fn run(
    store_args: &StoreArgs,
    command: &ProgressCommand,
) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        ProgressCommand::Submit(args) => submit(&store, &plan, args).await,
        ProgressCommand::List {
            year,
            unit,
            status,
            task,
            project,
            format,
        } => {
            if let Err(refused) = allowed(&actor, Action::Read, &Object::Submissions) {
                return Ok(refused);
            }
            let unit = match unit.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Err(e)) => return Ok(refuse(e)),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            let subject = task
                .map(ProgressSubject::Task)
                .or(project.map(ProgressSubject::Project));
            let filter = ProgressFilter {
                year: *year,
                unit,
                status: *status,
                subject,
            };
            let reports = store.progress_reports(&plan, &filter).await?;
            let rows = reports.iter().map(|r| list_row(&plan, r)).collect();
            let json = reports.iter().map(|r| list_json(&plan, r)).collect();
            print_list(
                *format,
                &LIST_HEADER,
                rows,
                json,
                ("份进展报告", "progress reports"),
            )?;
            Ok(Outcome::Success)
        }
        ProgressCommand::Show { id } => {
            if let Err(refused) = allowed(&actor, Action::Read, &Object::Submissions) {
                return Ok(refused);
            }
            show(&store, &plan, *id).await
        }
        ProgressCommand::Approve { id, comment } => {
            if let Err(refused) = allowed(&actor, Action::Approve, &Object::Submissions) {
                return Ok(refused);
            }
            match store
                .approve_progress(&actor, None, &plan, *id, comment.as_deref())
                .await
            {
                Ok(()) => {
                    println!("进展报告 {id} 已审核通过 progress report {id} approved");
                    Ok(Outcome::Success)
                }
                Err(e) => store_refusal(e),
            }
        }
        ProgressCommand::Return { id, comment } => {
            if let Err(refused) = allowed(&actor, Action::Approve, &Object::Submissions) {
                return Ok(refused);
            }
            match store
                .return_progress(&actor, None, &plan, *id, comment)
                .await
            {
                Ok(()) => {
                    println!("进展报告 {id} 已退回 progress report {id} returned");
                    Ok(Outcome::Success)
                }
                Err(e) => store_refusal(e),
            }
        }
        ProgressCommand::Send {
            id,
            progress,
            text,
            problems,
        } => {
            if let Err(refused) = allowed(&actor, Action::Submit, &Object::Submissions) {
                return Ok(refused);
            }
            send(&store, &plan, *id, progress.as_deref(), text, problems).await
        }
        ProgressCommand::Withdraw { id } => {
            if let Err(refused) = allowed(&actor, Action::Submit, &Object::Submissions) {
                return Ok(refused);
            }
            match store.withdraw_progress(&actor, None, &plan, *id).await {
                Ok(()) => {
                    println!("进展报告 {id} 已撤回 progress report {id} withdrawn");
                    Ok(Outcome::Success)
                }
                Err(e) => store_refusal(e),
            }
        }
    }
}

/// Reads a progress file (the sample's layout: rows above the header skipped; the header
/// 类型,序号,报送期,报送日期,进度,达成节点,项目阶段,年度完成投资（亿元）,累计完成投资（亿元）,
/// 进展情况,存在问题; 类型 任务 or 项目, 序号 the task's or project's in the period's year) into
/// approved reports, each by the subject's first lead (or responsible) unit. Every problem is
/// returned, with its row.
pub(crate) async fn read_progress(
    store: &Store,
    plan: &Plan,
    text: &str,
) -> anyhow::Result<Result<Vec<LoadedProgress>, Vec<String>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut tasks: HashMap<u16, HashMap<String, (i64, planwatch_access::Unit)>> = HashMap::new();
    let mut projects: HashMap<u16, HashMap<String, (i64, planwatch_access::Unit)>> = HashMap::new();
    let mut reports = Vec::new();
    let mut problems = Vec::new();
    let mut header = false;
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let record = record?;
        let cell = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        if !header {
            header = cell(0) == "类型";
            continue;
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut problem = |what: String| problems.push(format!("{row}: {what}"));
        let Ok(period) = cell(2).parse::<Period>() else {
            problem(format!("报送期“{}”无效 / bad period", cell(2)));
            continue;
        };
        let year = period.year();
        let Ok(day) = chrono::NaiveDate::parse_from_str(&cell(3), "%Y-%m-%d") else {
            problem(format!("报送日期“{}”无效 / bad date", cell(3)));
            continue;
        };
        let is_task = match cell(0).as_str() {
            "任务" => true,
            "项目" => false,
            other => {
                problem(format!(
                    "类型“{other}”应为任务或项目 / kind must be 任务 or 项目"
                ));
                continue;
            }
        };
        let known = if is_task {
            if let std::collections::hash_map::Entry::Vacant(slot) = tasks.entry(year) {
                let filter = TaskFilter {
                    year: Some(year),
                    unit: None,
                };
                let listed = store.tasks(plan, &filter).await?;
                let map = listed
                    .into_iter()
                    .filter_map(|t| {
                        let unit = t.task.units.first()?.0.clone();
                        Some((t.task.key.clone(), (t.id, unit)))
                    })
                    .collect();
                slot.insert(map);
            }
            &tasks[&year]
        } else {
            if let std::collections::hash_map::Entry::Vacant(slot) = projects.entry(year) {
                let filter = ProjectFilter {
                    year: Some(year),
                    ..ProjectFilter::default()
                };
                let listed = store.projects(plan, &filter).await?;
                let map = listed
                    .into_iter()
                    .filter_map(|p| {
                        let unit = p.project.units.first()?.clone();
                        Some((p.project.key.clone(), (p.id, unit)))
                    })
                    .collect();
                slot.insert(map);
            }
            &projects[&year]
        };
        let Some((id, unit)) = known.get(&cell(1)).cloned() else {
            problem(format!(
                "{year} 年没有序号为“{}”的{} / no such 序号 in {year}",
                cell(1),
                cell(0)
            ));
            continue;
        };
        let figures = if is_task {
            let Some(progress) = parse_progress(&cell(4)) else {
                problem(format!("进度“{}”无效 / bad progress", cell(4)));
                continue;
            };
            let nodes: Option<Vec<usize>> = cell(5)
                .split(['；', ';', ',', '，', '、'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<usize>().ok().filter(|n| *n > 0).map(|n| n - 1))
                .collect();
            let Some(nodes_met) = nodes else {
                problem(format!("达成节点“{}”无效 / bad nodes", cell(5)));
                continue;
            };
            ProgressFigures::Task {
                progress,
                nodes_met,
            }
        } else {
            let amount = |i: usize| cell(i).parse::<f64>().ok();
            match (Stage::parse(&cell(6)), amount(7), amount(8)) {
                (Some(stage), Some(invested_year), Some(invested_total)) => {
                    ProgressFigures::Project {
                        stage,
                        invested_year,
                        invested_total,
                    }
                }
                _ => {
                    problem("项目阶段或完成投资无效 / bad stage or investment".into());
                    continue;
                }
            }
        };
        let subject = if is_task {
            ProgressSubject::Task(id)
        } else {
            ProgressSubject::Project(id)
        };
        reports.push(LoadedProgress {
            subject,
            period,
            unit,
            submitted_on: day,
            content: ProgressContent {
                figures,
                text: cell(9),
                problems: cell(10),
            },
        });
    }
    Ok(if problems.is_empty() {
        Ok(reports)
    } else {
        Err(problems)
    })
}

/// Loads the sample progress file `path` as approved reports by `who` (`init --sample-data`,
/// the server's first start), after the sample tasks and projects.
pub(crate) async fn load_sample_progress(
    store: &Store,
    plan: &Plan,
    who: &Who,
    path: &Path,
) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match read_progress(store, plan, &text).await? {
        Ok(reports) => {
            let count = store.load_progress(who, plan, &reports, &name).await?;
            println!("{name}: 进展报告 {count} 份 ({count} approved progress reports)");
            Ok(Outcome::Success)
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{name}:{problem}");
            }
            Ok(refuse(format!(
                "{name}: {} 个问题，未载入进展报告 / {} problems, no progress report was loaded",
                problems.len(),
                problems.len()
            )))
        }
    }
}
