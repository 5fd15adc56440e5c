//! `planwatch projects import | list | template`: a year's key project list (重大项目表, issue
//! 14). The list is read by `planwatch_import::projects` (every problem at once, with its row and
//! column) and stored whole by `Store::import_projects` (all or nothing; the same list again
//! changes nothing), as `planwatch tasks` does with the task sheet.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use planwatch_access::{Action, Object, Unit, resolve_unit};
use planwatch_app::tasks::{ProjectView, project_views};
use planwatch_import::projects::{read_projects, template_header};
use planwatch_plan::{ColumnKind, Plan};
use planwatch_store::{ProjectFilter, Store, Who};
use planwatch_tasks::{PlannedDate, Stage};

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::tasks::{
    Format, as_of, parse_status, print_import, print_list, read_file, refuse_sheet, status_cells,
    status_json, unit_name, with_status, write_template,
};
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Subcommand)]
pub(crate) enum ProjectsCommand {
    /// Import a year's key project list (CSV or XLSX); it replaces that year's projects
    Import {
        /// The list (CSV in UTF-8 or GBK, or a workbook)
        file: PathBuf,
        /// The year the list is for
        #[arg(long)]
        year: u16,
    },
    /// List the stored key projects
    List {
        /// Only this year's list
        #[arg(long)]
        year: Option<u16>,
        /// Only those in this region (its code)
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
        /// Only those of this responsible unit (a region or department code)
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// Only those at this stage: 前期, 在建, 竣工, 投运 (or preparation, construction,
        /// completed, operating)
        #[arg(long)]
        stage: Option<String>,
        /// Only those with this status (已完成, 正常推进, 进度滞后 … or its code)
        #[arg(long, value_parser = parse_status)]
        status: Option<planwatch_tasks::Status>,
        /// The day the status is judged on (YYYY-MM-DD; default today)
        #[arg(long, value_parser = crate::commands::workflow::parse_day)]
        date: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the empty list for a year: the title, the header, the plan's 专栏 as sections
    Template {
        #[arg(long)]
        year: u16,
        /// Output file (default: projects-template-YEAR.xlsx)
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Reads the list `file` for `year` and stores its projects as `who` (all or nothing): what
/// `planwatch projects import` does, and `init --sample-data` with the sample list, which is
/// `built_in` (recorded by its file name alone).
pub(crate) async fn import_list(
    store: &Store,
    plan: &Plan,
    who: &Who,
    file: &Path,
    year: u16,
    built_in: bool,
) -> anyhow::Result<Outcome> {
    let (name, bytes) = read_file(file, built_in)?;
    let list = match read_projects(&name, bytes, plan) {
        Ok(list) => list,
        Err(problems) => return Ok(refuse_sheet(&problems, "项目", "project")),
    };
    let outcome = store
        .import_projects(who, plan, year, &list.projects, &name)
        .await?;
    print_import(
        &name,
        year,
        ("重大项目", "key projects"),
        list.projects.len(),
        &outcome,
    );
    Ok(Outcome::Success)
}

pub(crate) async fn run(
    store_args: &StoreArgs,
    command: &ProjectsCommand,
) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        ProjectsCommand::Import { file, year } => {
            let actor = cli_actor();
            if let Err(refused) = allowed(&actor, Action::Change, &Object::Plan) {
                return Ok(refused);
            }
            import_list(&store, &plan, &Who::of(&actor, None), file, *year, false).await
        }
        ProjectsCommand::List {
            year,
            region,
            unit,
            stage,
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
            let region = match region.as_deref().map(|code| resolve_unit(&plan, code)) {
                Some(Ok(Unit::Region(code))) => Some(code),
                Some(Ok(Unit::Department(code))) => {
                    return Ok(refuse(format!(
                        "“{code}”是部门，不是地区 / \"{code}\" is a department, not a region"
                    )));
                }
                Some(Err(problem)) => return Ok(refuse(problem)),
                None => None,
            };
            let stage = match stage.as_deref() {
                None => None,
                Some(text) => match Stage::parse(text).or_else(|| Stage::from_code(text)) {
                    Some(stage) => Some(stage),
                    None => {
                        return Ok(refuse(format!(
                            "“{text}”不是项目阶段（前期、在建、竣工、投运）/ \"{text}\" is no stage (preparation, construction, completed, operating)"
                        )));
                    }
                },
            };
            let filter = ProjectFilter {
                year: *year,
                region,
                unit,
                stage,
            };
            let views = project_views(&store, &plan, &filter, as_of(*date)).await?;
            let views = with_status(views, *status, |v: &ProjectView| &v.judgement);
            let rows = views.iter().map(|v| row(&plan, v)).collect();
            let json = views.iter().map(|v| json(&plan, v)).collect();
            print_list(
                *format,
                &CSV_HEADER,
                rows,
                json,
                ("个重大项目", "key projects"),
            )?;
            Ok(Outcome::Success)
        }
        ProjectsCommand::Template { year, output } => {
            let title = format!("{}{year}年重大项目表", plan.title.zh);
            let sections = column_sections(&plan);
            let default = format!("projects-template-{year}.xlsx");
            let path = write_template(
                output.as_deref(),
                &default,
                &title,
                &template_header(),
                &sections,
            )?;
            println!(
                "{}: {year} 年重大项目表模板，{} 个专栏 (key project list template, {} columns)",
                path.display(),
                sections.len(),
                sections.len()
            );
            Ok(Outcome::Success)
        }
    }
}

/// The section rows of the plan's 专栏 of items, as the template writes them: `专栏16 提升国际门户
/// 枢纽功能` (the reader takes the 专栏 of a project below it from the row).
fn column_sections(plan: &Plan) -> Vec<String> {
    plan.columns
        .iter()
        .filter(|c| c.kind == ColumnKind::List)
        .map(|c| format!("专栏{} {}", c.number, c.title.zh))
        .collect()
}

const CSV_HEADER: [&str; 14] = [
    "年度 year",
    "序号 no.",
    "项目名称 project",
    "所在区（市）县 region",
    "专栏 column",
    "责任单位 responsible",
    "总投资（亿元） total (CNY 100m)",
    "年度计划投资（亿元） this year (CNY 100m)",
    "计划开工 start",
    "计划竣工 completion",
    "项目阶段 stage",
    "建设内容 content",
    "状态 status",
    "依据 reason",
];

fn date(date: Option<PlannedDate>) -> String {
    date.map(PlannedDate::key).unwrap_or_default()
}

fn row(plan: &Plan, view: &ProjectView) -> Vec<String> {
    let stored = &view.project;
    let p = &stored.project;
    let [status, reason] = status_cells(&view.judgement);
    vec![
        stored.year.to_string(),
        p.key.clone(),
        p.name.clone(),
        unit_name(plan, &Unit::Region(p.region.clone())),
        p.column.map(|c| c.to_string()).unwrap_or_default(),
        p.units
            .iter()
            .map(|u| unit_name(plan, u))
            .collect::<Vec<_>>()
            .join("、"),
        p.total_investment.to_string(),
        p.year_investment.map(|v| v.to_string()).unwrap_or_default(),
        date(p.planned_start),
        date(p.planned_completion),
        p.stage.label_zh().to_owned(),
        p.content.clone(),
        status,
        reason,
    ]
}

fn json(plan: &Plan, view: &ProjectView) -> serde_json::Value {
    let stored = &view.project;
    let p = &stored.project;
    let unit = |u: &Unit| serde_json::json!({"kind": u.kind(), "code": u.code(), "name": unit_name(plan, u)});
    let mut value = serde_json::json!({
        "id": stored.id,
        "year": stored.year,
        "seq": p.key,
        "section": p.section,
        "name": p.name,
        "content": p.content,
        "region": unit(&Unit::Region(p.region.clone())),
        "coordinates": p.coordinates.map(|c| serde_json::json!({"lon": c.longitude, "lat": c.latitude})),
        "column": p.column,
        "units": p.units.iter().map(unit).collect::<Vec<_>>(),
        "total_investment": p.total_investment,
        "year_investment": p.year_investment,
        "planned_start": p.planned_start.map(PlannedDate::key),
        "planned_completion": p.planned_completion.map(PlannedDate::key),
        "stage": p.stage.code(),
        "stage_zh": p.stage.label_zh(),
        "source": {"file": stored.source_file, "row": p.row},
    });
    value["status"] = status_json(&view.judgement);
    value["latest"] = view.latest.as_ref().map_or(serde_json::Value::Null, |r| {
        serde_json::json!({
            "period": r.period.to_string(), "date": r.date.to_string(), "stage": r.stage.code(),
            "invested_year": r.invested_year, "invested_total": r.invested_total,
        })
    });
    value
}
