//! `planwatch plan …`: check plan files, show a plan, print the plan-file schema.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use planwatch_plan::{Plan, chengdu, fmt_num, read_plan};

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub(crate) enum PlanCommand {
    /// Check plan files and report every problem with file, line and column (检查规划文件)
    #[command(after_help = "\
Examples:
  planwatch plan check plans/chengdu-services-2021-2025.toml
  planwatch plan check a.toml b.toml       Check several files; exit code 1 if any is invalid")]
    Check {
        /// Plan files (TOML) to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show a plan: a readable summary, one of its sections, or the whole plan as JSON (查看规划)
    #[command(after_help = "\
Examples:
  planwatch plan show                          The built-in Chengdu plan, summary and indicators
  planwatch plan show --section columns        Its columns (专栏) and their items
  planwatch plan show --format json > plan.json
  planwatch plan show --plan my-plan.toml      Another plan file")]
    Show(ShowArgs),
    /// Print the JSON Schema of plan files (规划文件格式)
    #[command(after_help = "\
Examples:
  planwatch plan schema > plan.schema.json")]
    Schema,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Plan file to show instead of the built-in Chengdu plan
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// With the table format: the section to show (default: summary and indicators)
    #[arg(long, value_enum)]
    section: Option<Section>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Section {
    Indicators,
    Regions,
    Departments,
    Industries,
    Layout,
    Zones,
    Actions,
    Columns,
    Measures,
}

pub(crate) fn run(command: PlanCommand) -> anyhow::Result<Outcome> {
    match command {
        PlanCommand::Check { files } => check(&files),
        PlanCommand::Show(args) => show(&args),
        PlanCommand::Schema => {
            let schema = planwatch_plan::json_schema();
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(Outcome::Success)
        }
    }
}

fn check(files: &[PathBuf]) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::Success;
    for file in files {
        let text = read_text(file)?;
        match read_plan(&file.display().to_string(), &text) {
            Ok(plan) => println!(
                "{}: 通过 ok — {}（{} 个指标，{} 个地区）",
                file.display(),
                plan.title.zh,
                plan.indicators.len(),
                plan.regions.len()
            ),
            Err(error) => {
                for diagnostic in &error.0 {
                    eprintln!("{diagnostic}");
                }
                eprintln!("{}: {} 个问题 problem(s)", file.display(), error.0.len());
                outcome = Outcome::InvalidInput;
            }
        }
    }
    Ok(outcome)
}

fn read_text(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Reads the plan named on the command line, or the built-in one.
fn load(plan: Option<&Path>) -> anyhow::Result<Result<Plan, Outcome>> {
    let Some(file) = plan else {
        return Ok(Ok(chengdu::plan()));
    };
    let text = read_text(file)?;
    Ok(
        read_plan(&file.display().to_string(), &text).map_err(|error| {
            for diagnostic in &error.0 {
                eprintln!("{diagnostic}");
            }
            Outcome::InvalidInput
        }),
    )
}

fn show(args: &ShowArgs) -> anyhow::Result<Outcome> {
    let plan = match load(args.plan.as_deref())? {
        Ok(plan) => plan,
        Err(outcome) => return Ok(outcome),
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
        Format::Table => match args.section {
            None => {
                print_summary(&plan);
                println!("{}", indicator_table(&plan));
            }
            Some(section) => println!("{}", section_table(&plan, section)),
        },
    }
    Ok(Outcome::Success)
}

fn print_summary(plan: &Plan) {
    let department = |code: &str| {
        plan.departments
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_owned(), |d| d.name.zh.clone())
    };
    println!("{}", plan.title.zh);
    println!("{}", plan.title.en_or_zh());
    println!(
        "发布 Issuer: {}  文号 Document: {}  规划期 Period: {}–{}  基期 Base year: {}  目标年 Target year: {}",
        plan.issuer.zh,
        plan.approval_document.as_deref().unwrap_or("—"),
        plan.period.start,
        plan.period.end,
        plan.base_year,
        plan.target_year
    );
    println!(
        "牵头部门 Lead department: {}",
        department(&plan.lead_department)
    );
    let headline = plan.indicators.iter().filter(|i| i.is_headline()).count();
    let producer = plan
        .industries
        .iter()
        .filter(|i| i.category == planwatch_plan::IndustryCategory::Producer)
        .count();
    let items: usize = plan.actions.iter().map(|a| a.items.len()).sum();
    let column_items: usize = plan.columns.iter().map(|c| c.items.len()).sum();
    println!(
        "指标 {} 个（表内 {headline}，正文 {}）· 地区 {} · 部门 {} · 产业 {}+{} · 空间布局 {} · 功能区 {} · 主要任务 {}（{items} 条）· 专栏 {}（{column_items} 项）· 保障措施 {}",
        plan.indicators.len(),
        plan.indicators.len() - headline,
        plan.regions.len(),
        plan.departments.len(),
        producer,
        plan.industries.len() - producer,
        plan.layout.len(),
        plan.zones.len(),
        plan.actions.len(),
        plan.columns.len(),
        plan.measures.len(),
    );
    println!();
}

pub(crate) fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

fn indicator_table(plan: &Plan) -> Table {
    let mut table = new_table(&[
        "序号 No.",
        "代码 Code",
        "指标 Indicator",
        "单位 Unit",
        "目标 Target",
        "基期 Baseline",
        "属性 Nature",
    ]);
    for indicator in &plan.indicators {
        let targets: Vec<String> = indicator
            .targets
            .iter()
            .map(|t| format!("{}（{}年）", t.describe_zh(&indicator.unit), t.due_year()))
            .collect();
        let baseline = indicator.baseline.as_ref().map_or_else(
            || "—".to_owned(),
            |b| format!("{}（{}年）", fmt_num(b.value), b.year),
        );
        table.add_row(vec![
            indicator
                .number
                .map_or_else(|| "—".to_owned(), |n| n.to_string()),
            indicator.code.clone(),
            indicator.name.zh.clone(),
            indicator.unit.clone(),
            targets.join("\n"),
            baseline,
            indicator.nature.label_zh().to_owned(),
        ]);
    }
    table
}

fn section_table(plan: &Plan, section: Section) -> Table {
    match section {
        Section::Indicators => indicator_table(plan),
        Section::Regions => {
            let mut table = new_table(&[
                "代码 Code",
                "名称 Name",
                "类型 Kind",
                "上级 Parent",
                "重叠 Overlaps",
            ]);
            for region in &plan.regions {
                table.add_row(vec![
                    region.code.clone(),
                    format!("{}\n{}", region.name.zh, region.name.en_or_zh()),
                    region.kind.label_zh().to_owned(),
                    region.parent.clone().unwrap_or_default(),
                    region.overlaps.join(", "),
                ]);
            }
            table
        }
        Section::Departments => {
            let mut table = new_table(&["代码 Code", "部门 Department", "English"]);
            for department in &plan.departments {
                table.add_row(vec![
                    department.code.clone(),
                    department.name.zh.clone(),
                    department.name.en_or_zh().to_owned(),
                ]);
            }
            table
        }
        Section::Industries => {
            let mut table = new_table(&[
                "类别 Category",
                "序号",
                "产业 Industry",
                "2025年目标 Target",
                "专栏 Columns",
            ]);
            for industry in &plan.industries {
                table.add_row(vec![
                    industry.category.label_zh().to_owned(),
                    industry.number.to_string(),
                    industry.name.zh.clone(),
                    industry.target.zh.clone(),
                    join_numbers(&industry.columns),
                ]);
            }
            table
        }
        Section::Layout => {
            let mut table =
                new_table(&["类型 Group", "代码 Code", "名称 Name", "涉及地区 Regions"]);
            for element in &plan.layout {
                table.add_row(vec![
                    element.group.label_zh().to_owned(),
                    element.code.clone(),
                    element.name.zh.clone(),
                    element.regions.join(", "),
                ]);
            }
            table
        }
        Section::Zones => {
            let mut table = new_table(&[
                "序号",
                "产业生态圈",
                "重点产业链",
                "主要承载地",
                "协同发展地",
            ]);
            for zone in &plan.zones {
                table.add_row(vec![
                    zone.number.to_string(),
                    zone.ecosystem.zh.clone(),
                    zone.chain.zh.clone(),
                    zone.main_carriers.join("、"),
                    zone.collaborating.join("、"),
                ]);
            }
            table
        }
        Section::Actions => {
            let mut table = new_table(&["任务 Action", "条目 Items", "专栏 Columns"]);
            for action in &plan.actions {
                let items: Vec<String> = action
                    .items
                    .iter()
                    .map(|i| format!("{}. {}", i.number, i.title.zh))
                    .collect();
                table.add_row(vec![
                    format!(
                        "（{}）{}，{}",
                        action.number, action.title.zh, action.aim.zh
                    ),
                    items.join("\n"),
                    join_numbers(&action.columns),
                ]);
            }
            table
        }
        Section::Columns => {
            let mut table = new_table(&["专栏", "标题 Title", "项目 Items"]);
            for column in &plan.columns {
                let items: Vec<String> = column
                    .items
                    .iter()
                    .map(|i| {
                        i.heading
                            .as_ref()
                            .map_or_else(|| shorten(&i.text.zh), |h| h.zh.clone())
                    })
                    .collect();
                table.add_row(vec![
                    column.number.to_string(),
                    column.title.zh.clone(),
                    items.join("\n"),
                ]);
            }
            table
        }
        Section::Measures => {
            let mut table = new_table(&["序号", "保障措施 Measure"]);
            for measure in &plan.measures {
                table.add_row(vec![measure.number.to_string(), measure.title.zh.clone()]);
            }
            table
        }
    }
}

fn join_numbers(numbers: &[u32]) -> String {
    numbers
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first 30 characters of a long text.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(30).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
