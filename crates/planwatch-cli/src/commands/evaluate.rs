//! `planwatch evaluate` and `planwatch targets split|check`: the evaluation engine on the
//! store's latest (or as-of) yearly observations.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{Cell, Color, Table};
use planwatch_access::{Action, Object};
use planwatch_app::{EvaluationReport, EvaluationRequest};
use planwatch_eval::{Assessment, RegionTargets, Status};
use planwatch_import::Resolver;
use planwatch_plan::{Plan, fmt_num};

use planwatch_store::Who;

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::plan::new_table;
use crate::commands::{allowed, cli_actor};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct EvaluateArgs {
    /// Evaluation year (default: the latest year with data for the plan's region, at most the
    /// target year)
    #[arg(long)]
    year: Option<u16>,
    /// Region codes or names (default: the plan's region and every region with data)
    #[arg(long, value_delimiter = ',')]
    region: Vec<String>,
    /// Indicator codes, numbers (序号) or names (default: all)
    #[arg(long, value_delimiter = ',')]
    indicator: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// What was known at the end of this day (YYYY-MM-DD) instead of the latest revisions
    #[arg(long, value_name = "DATE", value_parser = crate::commands::data::parse_date)]
    as_of: Option<String>,
    /// District targets (CSV: indicator,target,region,value — as `targets split` writes);
    /// default: those saved in the store with `targets load`
    #[arg(long, value_name = "FILE")]
    targets: Option<PathBuf>,
    /// Roll-up tolerance in percent: districts may differ from the total by this much
    #[arg(long, default_value_t = planwatch_eval::DEFAULT_ROLLUP_TOLERANCE * 100.0)]
    rollup_tolerance: f64,
    /// Output file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct AssessArgs {
    /// Indicator code, number (序号) or name
    indicator: String,
    /// The year assessed
    #[arg(long)]
    year: u16,
    /// The assessment, in words
    #[arg(long)]
    text: String,
    /// Who assesses (default: $USER)
    #[arg(long)]
    by: Option<String>,
}

pub(crate) async fn assess(store_args: &StoreArgs, args: &AssessArgs) -> anyhow::Result<Outcome> {
    let actor = cli_actor();
    if let Err(refused) = allowed(&actor, Action::Change, &Object::Assessments) {
        return Ok(refused);
    }
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let Some(i) = Resolver::new(&plan).indicator(&args.indicator) else {
        bail!("指标 \"{}\" is not in the plan {}", args.indicator, plan.id);
    };
    if args.text.trim().is_empty() {
        bail!("the assessment text is empty");
    }
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    store
        .add_assessment(
            &Who::of(&actor, None),
            &plan,
            &plan.indicators[i].code,
            args.year,
            args.text.trim(),
            &by,
        )
        .await?;
    println!(
        "{} {}年：已记录评估意见 (assessment recorded)",
        plan.indicators[i].name.zh, args.year
    );
    Ok(Outcome::Success)
}

#[derive(Debug, Subcommand)]
pub(crate) enum TargetsCommand {
    /// Split the plan's targets into district targets that add up to them
    Split(SplitArgs),
    /// Check that a district target table adds up to the plan's targets
    Check(CheckArgs),
    /// Save a district target table in the store, after checking it: evaluations then measure
    /// each district against its own targets (分解目标入库)
    Load(LoadArgs),
    /// The district targets in force in the store, as a table
    Show,
}

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// The district target table (CSV: indicator,target,region,value — as `targets split` writes)
    file: PathBuf,
    /// Allowed difference from the plan's target, in percent
    #[arg(long, default_value_t = 0.1)]
    tolerance: f64,
    /// Who sets them (default: $USER)
    #[arg(long)]
    by: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SplitArgs {
    /// Indicator codes, numbers or names (default: every additive indicator with a level target)
    #[arg(long, value_delimiter = ',')]
    indicator: Vec<String>,
    /// Weights per region (CSV: region,weight); default: each district's share in the base year
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Output file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The district target table (CSV: indicator,target,region,value)
    file: PathBuf,
    /// Allowed difference from the plan's target, in percent
    #[arg(long, default_value_t = 0.1)]
    tolerance: f64,
}

/// Indexes of the indicators (by code, 序号 or name) or regions (by code or name) named, `None`
/// for all when none is.
fn indexes(
    plan: &Plan,
    names: &[String],
    what: &str,
    find: impl Fn(&Resolver<'_>, &str) -> Option<usize>,
) -> anyhow::Result<Option<Vec<usize>>> {
    if names.is_empty() {
        return Ok(None);
    }
    let resolver = Resolver::new(plan);
    names
        .iter()
        .map(|n| {
            find(&resolver, n)
                .with_context(|| format!("{what} \"{n}\" is not in the plan {}", plan.id))
        })
        .collect::<anyhow::Result<_>>()
        .map(Some)
}

fn indicator_indexes(plan: &Plan, names: &[String]) -> anyhow::Result<Option<Vec<usize>>> {
    indexes(plan, names, "指标", |r, n| r.indicator(n))
}

/// The district target table: `indicator,target,region,value`, indicator and region by code,
/// number or name, target the index among the indicator's targets.
fn read_region_targets(plan: &Plan, path: &Path) -> anyhow::Result<RegionTargets> {
    let name = path.display();
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("cannot read {name}"))?;
    let resolver = Resolver::new(plan);
    let mut targets = RegionTargets::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = record.with_context(|| format!("{name}:{row}: not CSV"))?;
        let field = |k: usize, column: &str| {
            record
                .get(k)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .with_context(|| format!("{name}:{row}: {column} is missing"))
        };
        let indicator = resolver
            .indicator(field(0, "indicator")?)
            .with_context(|| format!("{name}:{row}: indicator: not in the plan"))?;
        let target: usize = field(1, "target")?
            .parse()
            .ok()
            .filter(|k| *k < plan.indicators[indicator].targets.len())
            .with_context(|| {
                format!("{name}:{row}: target: not a target index of the indicator")
            })?;
        let region = resolver
            .region(field(2, "region")?)
            .with_context(|| format!("{name}:{row}: region: not in the plan"))?;
        let value: f64 = field(3, "value")?
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| format!("{name}:{row}: value: not a number"))?;
        targets.insert((indicator, target, region), value);
    }
    Ok(targets)
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    })
}

pub(crate) async fn evaluate(
    store_args: &StoreArgs,
    args: &EvaluateArgs,
) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let region_targets = match &args.targets {
        Some(path) => read_region_targets(&plan, path)?,
        None => planwatch_app::stored_region_targets(&store, &plan).await?,
    };
    let request = EvaluationRequest {
        year: args.year,
        indicators: indicator_indexes(&plan, &args.indicator)?,
        regions: indexes(&plan, &args.region, "地区", |r, n| r.region(n))?,
        as_of: args.as_of.clone(),
    };
    let EvaluationReport {
        year,
        results,
        rollup,
        ..
    } = planwatch_app::evaluate(
        &store,
        &plan,
        &request,
        &region_targets,
        args.rollup_tolerance / 100.0,
    )
    .await?;
    let mut out = output(args.output.as_deref())?;
    match args.format {
        Format::Json => {
            let document = serde_json::json!({
                "plan": plan.id,
                "year": year,
                "results": results,
                "rollup": rollup,
            });
            serde_json::to_writer_pretty(&mut out, &document)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, &results)?,
        Format::Table => {
            let colour =
                args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
            writeln!(out, "{} — {year}年评估 (evaluation {year})", plan.title.zh)?;
            writeln!(out, "{}", table(&results, colour))?;
            for gap in &rollup {
                writeln!(
                    out,
                    "汇总不符 roll-up gap: {} {}年 各区合计 {} vs 全市 {} ({:+.1}%, {}/{} 个区报送)",
                    gap.indicator,
                    gap.year,
                    fmt_num(gap.district_sum),
                    fmt_num(gap.total),
                    gap.gap * 100.0,
                    gap.districts_reporting,
                    gap.districts
                )?;
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Success)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The status as a symbol and words in both languages: never colour alone.
fn status_words(status: Status) -> String {
    format!(
        "{} {} {}",
        status.symbol(),
        status.label_zh(),
        status.as_str()
    )
}

fn status_colour(status: Status) -> Color {
    match status {
        Status::Achieved | Status::OnTrack => Color::Green,
        Status::AccelerationNeeded => Color::Yellow,
        Status::LimitedProgress => Color::DarkYellow,
        Status::Deterioration | Status::NotAchieved => Color::Red,
        Status::NoData | Status::NotAssessable => Color::Grey,
    }
}

fn table(results: &[Assessment], colour: bool) -> Table {
    let mut table = new_table(&[
        "序号",
        "指标 indicator",
        "地区 region",
        "目标 target",
        "最新 latest",
        "完成 completion",
        "增速 growth / 需 required",
        "状态 status",
    ]);
    if !colour {
        table.force_no_tty();
    }
    for r in results {
        let e = &r.evaluation;
        let latest = match (e.latest_year, e.latest_value) {
            (Some(y), Some(v)) => format!("{} ({y})", fmt_num(v)),
            _ => "—".into(),
        };
        let growth = if r.unit.trim() == "%" && e.kind != "average_growth" {
            format!(
                "{} / {} pp",
                e.actual_growth.map_or("—".into(), |a| format!("{a:+.2}")),
                e.required_growth.map_or("—".into(), |a| format!("{a:+.2}"))
            )
        } else {
            format!(
                "{} / {}",
                percent(e.actual_growth),
                percent(e.required_growth)
            )
        };
        let status = Cell::new(status_words(e.status));
        table.add_row(vec![
            Cell::new(r.number.map_or(String::new(), |n| n.to_string())),
            Cell::new(&r.indicator_name),
            Cell::new(&r.region_name),
            Cell::new(r.target_text.as_deref().unwrap_or("—")),
            Cell::new(latest),
            Cell::new(percent(e.completion)),
            Cell::new(growth),
            if colour {
                status.fg(status_colour(e.status))
            } else {
                status
            },
        ]);
    }
    table
}

/// The JSON fields as CSV columns (see `Assessment::csv_record`).
fn write_csv(out: &mut dyn Write, results: &[Assessment]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(planwatch_eval::CSV_HEADER)?;
    for r in results {
        writer.write_record(r.csv_record())?;
    }
    writer.flush()?;
    Ok(())
}

pub(crate) async fn targets(
    store_args: &StoreArgs,
    command: &TargetsCommand,
) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    match command {
        TargetsCommand::Split(args) => {
            let panel = planwatch_app::load_panel(&store, &plan, &[], None).await?;
            let weights = match &args.weights {
                Some(path) => Some(read_weights(&plan, path)?),
                None => None,
            };
            let indicators = indicator_indexes(&plan, &args.indicator)?;
            let table = planwatch_eval::split_targets(
                &plan,
                &panel,
                indicators.as_deref(),
                weights.as_ref(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut writer = csv::Writer::from_writer(output(args.output.as_deref())?);
            writer.write_record([
                "indicator",
                "target",
                "region",
                "value",
                "region_name",
                "weight",
            ])?;
            for t in &table {
                writer.write_record([
                    plan.indicators[t.indicator].code.clone(),
                    t.target.to_string(),
                    plan.regions[t.region].code.clone(),
                    fmt_num(t.value),
                    plan.regions[t.region].name.zh.clone(),
                    format!("{:.6}", t.weight),
                ])?;
            }
            writer.flush()?;
            Ok(Outcome::Success)
        }
        TargetsCommand::Check(args) => {
            let table = read_region_targets(&plan, &args.file)?;
            Ok(check_table(&plan, &table, &args.file, args.tolerance))
        }
        TargetsCommand::Load(args) => {
            let actor = cli_actor();
            if let Err(refused) = allowed(&actor, Action::Change, &Object::DistrictTargets) {
                return Ok(refused);
            }
            let table = read_region_targets(&plan, &args.file)?;
            if check_table(&plan, &table, &args.file, args.tolerance) != Outcome::Success {
                eprintln!("未保存 (nothing saved)");
                return Ok(Outcome::InvalidInput);
            }
            let by = args
                .by
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let file = args.file.display().to_string();
            save_targets(&store, &Who::of(&actor, None), &plan, &table, &file, &by).await?;
            println!(
                "{file}: 已保存 {} 个区县目标 (district targets saved)",
                table.len()
            );
            Ok(Outcome::Success)
        }
        TargetsCommand::Show => {
            let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
            writer.write_record(["indicator", "target", "region", "value"])?;
            if let Some((set, rows)) = store.region_targets(&plan).await? {
                eprintln!("{} — {} ({})", set.description, set.set_by, set.set_at);
                for t in rows {
                    writer.write_record([
                        t.indicator,
                        t.target.to_string(),
                        t.region,
                        fmt_num(t.value),
                    ])?;
                }
            }
            writer.flush()?;
            Ok(Outcome::Success)
        }
    }
}

/// Whether the table adds up to the plan's targets; every problem on stderr.
fn check_table(plan: &Plan, table: &RegionTargets, file: &Path, tolerance: f64) -> Outcome {
    let problems = planwatch_eval::check_split(plan, table, tolerance / 100.0);
    for p in &problems {
        eprintln!("{}: {p}", file.display());
    }
    if problems.is_empty() {
        println!(
            "{}: 各区目标之和与全市目标一致 (district targets add up)",
            file.display()
        );
        Outcome::Success
    } else {
        Outcome::InvalidInput
    }
}

/// Saves a table as the plan's district targets in force, on behalf of `who`.
pub(crate) async fn save_targets(
    store: &planwatch_store::Store,
    who: &Who,
    plan: &Plan,
    table: &RegionTargets,
    description: &str,
    by: &str,
) -> anyhow::Result<()> {
    let rows: Vec<planwatch_store::RegionTarget> = table
        .iter()
        .map(|(&(i, t, r), &value)| planwatch_store::RegionTarget {
            indicator: plan.indicators[i].code.clone(),
            target: t,
            region: plan.regions[r].code.clone(),
            value,
        })
        .collect();
    store
        .save_region_targets(who, plan, description, by, &rows)
        .await?;
    Ok(())
}

/// `region,weight` rows: regions by code or name, weights non-negative numbers.
fn read_weights(plan: &Plan, path: &Path) -> anyhow::Result<HashMap<usize, f64>> {
    let name = path.display();
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("cannot read {name}"))?;
    let resolver = Resolver::new(plan);
    let mut weights = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = record.with_context(|| format!("{name}:{row}: not CSV"))?;
        let region = record.get(0).unwrap_or("").trim();
        let Some(r) = resolver.region(region) else {
            bail!("{name}:{row}: region: \"{region}\" is not in the plan");
        };
        let weight: f64 = match record.get(1).map(str::trim).map(str::parse) {
            Some(Ok(w)) if w >= 0.0 && f64::is_finite(w) => w,
            _ => bail!("{name}:{row}: weight: not a non-negative number"),
        };
        weights.insert(r, weight);
    }
    Ok(weights)
}
