//! `planwatch score`: the yearly assessment (年度考核, issue 14) — every unit's score and rank
//! among its kind, or one unit's breakdown line by line; planners' bonus and deduction items;
//! freezing a year's result (and unfreezing it, administrators only). Worked out by
//! `planwatch_app::scoring`; rules in `docs/tasks.md`.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use planwatch_access::{Action, Object, Unit};
use planwatch_app::scoring::{AdjustRequest, ScoreError, UnitResult, YearScores, assessed_unit};
use planwatch_store::{StoreError, Who};
use planwatch_tasks::scoring::AdjustmentKind;

use crate::Outcome;
use crate::commands::data::StoreArgs;
use crate::commands::tasks::{Format, print_list};
use crate::commands::{allowed, cli_actor, refuse};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ScoreArgs {
    #[command(subcommand)]
    command: Option<ScoreCommand>,
    #[command(flatten)]
    show: ShowArgs,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The year assessed
    #[arg(long)]
    year: Option<u16>,
    /// One unit's breakdown, line by line (a region or department code)
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
    /// The day the data is scored on (default: today, UTC); a frozen year ignores it
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<NaiveDate>,
    /// xlsx: the ranking and the breakdown's lines as a workbook, written to `--output`
    #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
    format: ScoreFormat,
    /// The file the xlsx workbook is written to
    #[arg(short, long, value_name = "FILE", required_if_eq("format", "xlsx"))]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScoreFormat {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Subcommand)]
enum ScoreCommand {
    /// Record a bonus (加分) or deduction (扣分) for a unit, with its reason, within the cap
    Adjust {
        #[arg(long)]
        year: u16,
        /// A region or department code
        #[arg(long, value_name = "CODE")]
        unit: String,
        #[arg(
            long,
            value_name = "POINTS",
            conflicts_with = "deduction",
            required_unless_present = "deduction"
        )]
        bonus: Option<f64>,
        #[arg(long, value_name = "POINTS")]
        deduction: Option<f64>,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// List a year's bonus and deduction items
    Adjustments {
        #[arg(long)]
        year: u16,
    },
    /// Remove a bonus or deduction item by its id
    Remove { id: i64 },
    /// Freeze a year's result: later data no longer moves it
    Freeze {
        #[arg(long)]
        year: u16,
        /// The day the data is scored on (default: today, UTC)
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
    },
    /// Unfreeze a year (administrators only): scored from the data again
    Unfreeze {
        #[arg(long)]
        year: u16,
    },
}

/// A refusal of the store or the rules said on stderr (exit 1); anything else is an error.
fn refused(error: ScoreError) -> anyhow::Result<Outcome> {
    match error {
        ScoreError::Store(
            e @ (StoreError::ScoresFrozen(_)
            | StoreError::OverCap { .. }
            | StoreError::UnknownAdjustment(_)),
        ) => Ok(refuse(e)),
        e @ (ScoreError::UnknownUnit(_) | ScoreError::NoReason | ScoreError::Scheme(_)) => {
            Ok(refuse(e))
        }
        e => Err(e.into()),
    }
}

pub(crate) async fn run(store_args: &StoreArgs, args: &ScoreArgs) -> anyhow::Result<Outcome> {
    let store = store_args.open().await?;
    let plan = store_args.plan(&store).await?;
    let actor = cli_actor();
    let who = Who::of(&actor, None);
    let today = || chrono::Utc::now().date_naive();
    let change = Object::Scores { unit: None };
    let result = match &args.command {
        None => {
            let show = &args.show;
            let unit = match show.unit.as_deref().map(|c| assessed_unit(&plan, c)) {
                Some(Err(e)) => return refused(e),
                Some(Ok(unit)) => Some(unit),
                None => None,
            };
            if let Err(refusal) =
                allowed(&actor, Action::Read, &Object::Scores { unit: unit.clone() })
            {
                return Ok(refusal);
            }
            let year = match show.year {
                Some(year) => year,
                None => planwatch_app::default_year(&store, &plan).await?,
            };
            let day = show.date.unwrap_or_else(today);
            match planwatch_app::scoring::score_year(&store, &plan, year, day).await {
                Ok(mut scores) => {
                    let format = match (show.format, &show.output) {
                        (ScoreFormat::Xlsx, Some(path)) => {
                            if let Some(unit) = &unit {
                                let unit = unit.to_string();
                                scores.units.retain(|u| u.unit == unit);
                            }
                            let bytes = planwatch_app::scores_xlsx::write_xlsx(&scores)?;
                            std::fs::write(path, bytes)?;
                            eprintln!(
                                "{} 个单位已写入 {} ({} units written)",
                                scores.units.len(),
                                path.display(),
                                scores.units.len()
                            );
                            return Ok(Outcome::Success);
                        }
                        (ScoreFormat::Json, _) => Format::Json,
                        (ScoreFormat::Csv, _) => Format::Csv,
                        _ => Format::Table,
                    };
                    print_scores(&scores, unit.as_ref(), format)?;
                    return Ok(Outcome::Success);
                }
                Err(e) => Err(e),
            }
        }
        Some(ScoreCommand::Adjust {
            year,
            unit,
            bonus,
            deduction,
            reason,
        }) => {
            if let Err(refusal) = allowed(&actor, Action::Change, &change) {
                return Ok(refusal);
            }
            let unit = match assessed_unit(&plan, unit) {
                Ok(unit) => unit,
                Err(e) => return refused(e),
            };
            let (kind, points) = match (bonus, deduction) {
                (Some(points), _) => (AdjustmentKind::Bonus, *points),
                (None, Some(points)) => (AdjustmentKind::Deduction, *points),
                (None, None) => unreachable!("clap requires one"),
            };
            let request = AdjustRequest {
                year: *year,
                unit: unit.clone(),
                kind,
                points,
                reason: reason.clone(),
            };
            planwatch_app::scoring::adjust(&store, &who, &plan, &request)
                .await
                .map(|id| {
                    let (zh, en) = match kind {
                        AdjustmentKind::Bonus => ("加分", "bonus"),
                        AdjustmentKind::Deduction => ("扣分", "deduction"),
                    };
                    println!(
                        "{year} 年 {unit} {zh} {points} 分已记录，编号 {id} ({en} of {points} for {unit} in {year} recorded, id {id})"
                    );
                })
        }
        Some(ScoreCommand::Adjustments { year }) => {
            if let Err(refusal) = allowed(&actor, Action::Read, &change) {
                return Ok(refusal);
            }
            let adjustments = store.adjustments(&plan, *year).await?;
            let rows = adjustments
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.unit.code().to_owned(),
                        crate::commands::tasks::unit_name(&plan, &a.unit),
                        planwatch_store::adjustment_kind_str(a.kind).to_owned(),
                        planwatch_plan::fmt_num(a.points),
                        a.reason.clone(),
                        a.recorded_by.clone(),
                        a.recorded_at.clone(),
                    ]
                })
                .collect();
            print_list(
                Format::Table,
                &[
                    "编号 id",
                    "单位 unit",
                    "名称 name",
                    "类别 kind",
                    "分值 points",
                    "理由 reason",
                    "记录人 by",
                    "时间 at",
                ],
                rows,
                Vec::new(),
                ("项加减分", "adjustments"),
            )?;
            return Ok(Outcome::Success);
        }
        Some(ScoreCommand::Remove { id }) => {
            if let Err(refusal) = allowed(&actor, Action::Change, &change) {
                return Ok(refusal);
            }
            store
                .remove_adjustment(&who, &plan, *id)
                .await
                .map_err(ScoreError::from)
                .map(|()| println!("加减分项 {id} 已删除 (adjustment {id} removed)"))
        }
        Some(ScoreCommand::Freeze { year, date }) => {
            if let Err(refusal) = allowed(&actor, Action::Change, &change) {
                return Ok(refusal);
            }
            let day = date.unwrap_or_else(today);
            planwatch_app::scoring::freeze(&store, &who, &plan, *year, day)
                .await
                .map(|scores| {
                    println!(
                        "{year} 年考核结果已冻结（数据截至 {}，{} 个单位）/ the assessment of {year} is frozen (data of {}, {} units)",
                        scores.as_of,
                        scores.units.len(),
                        scores.as_of,
                        scores.units.len()
                    );
                })
        }
        Some(ScoreCommand::Unfreeze { year }) => {
            if let Err(refusal) = allowed(&actor, Action::Change, &Object::FrozenScores) {
                return Ok(refusal);
            }
            store
                .unfreeze_scores(&who, &plan, *year)
                .await
                .map_err(ScoreError::from)
                .map(|was| {
                    if was {
                        println!("{year} 年考核结果已解冻 (the assessment of {year} is unfrozen)");
                    } else {
                        println!(
                            "{year} 年考核结果未冻结 (the assessment of {year} was not frozen)"
                        );
                    }
                })
        }
    };
    match result {
        Ok(()) => Ok(Outcome::Success),
        Err(e) => refused(e),
    }
}

fn num(value: f64) -> String {
    // An empty sum is −0.
    format!("{:.2}", value + 0.0)
}

/// The ranking (every unit, or the one asked for) or, with a unit, its breakdown.
fn print_scores(scores: &YearScores, unit: Option<&Unit>, format: Format) -> anyhow::Result<()> {
    if let Some(frozen) = &scores.frozen {
        eprintln!(
            "{} 年考核结果已于 {} 由 {} 冻结 (frozen on {} by {})",
            scores.year, frozen.frozen_at, frozen.frozen_by, frozen.frozen_at, frozen.frozen_by
        );
    }
    let mut out = std::io::stdout().lock();
    let Some(unit) = unit else {
        if matches!(format, Format::Json) {
            serde_json::to_writer_pretty(&mut out, scores)?;
            writeln!(out)?;
            return Ok(());
        }
        let rows = scores.units.iter().map(ranking_row).collect();
        drop(out);
        return print_list(
            format,
            &RANKING_HEADER,
            rows,
            Vec::new(),
            ("个单位", "units"),
        );
    };
    let Some(result) = scores.unit(&unit.to_string()) else {
        anyhow::bail!("{unit} is not in the result");
    };
    if matches!(format, Format::Json) {
        serde_json::to_writer_pretty(&mut out, result)?;
        writeln!(out)?;
        return Ok(());
    }
    drop(out);
    let rows = result
        .lines
        .iter()
        .map(|line| {
            vec![
                line.component
                    .clone()
                    .unwrap_or_else(|| "adjustment".to_owned()),
                line.source.clone(),
                line.source_id.clone(),
                line.label.clone(),
                num(line.points),
                num(line.possible),
                num(line.achieved * 100.0),
            ]
        })
        .collect();
    if matches!(format, Format::Table) {
        println!(
            "{} {}：总分 {}（基础 {} + 加分 {} − 扣分 {}），{} 第 {} 名 / {} of {} (total {})",
            result.code,
            result.name,
            num(result.total),
            num(result.base),
            num(result.bonus),
            num(result.deduction),
            result.group_zh,
            result
                .rank
                .map_or_else(|| "-".to_owned(), |r| r.to_string()),
            result
                .rank
                .map_or_else(|| "-".to_owned(), |r| r.to_string()),
            result.of,
            num(result.total),
        );
    }
    print_list(
        format,
        &[
            "分项 component",
            "来源 source",
            "编号 id",
            "说明 label",
            "得分 points",
            "满分 possible",
            "完成% achieved",
        ],
        rows,
        Vec::new(),
        ("行", "lines"),
    )
}

const RANKING_HEADER: [&str; 13] = [
    "类别 kind",
    "排名 rank",
    "单位 unit",
    "名称 name",
    "总分 total",
    "基础 base",
    "加分 bonus",
    "扣分 deduction",
    "指标 indicators",
    "任务 tasks",
    "项目 projects",
    "报送 reporting",
    "数据质量 data quality",
];

fn ranking_row(u: &UnitResult) -> Vec<String> {
    let component = |name: &str| {
        u.components
            .iter()
            .find(|c| c.component == name && c.effective_weight > 0.0)
            .map_or_else(|| "-".to_owned(), |c| num(c.points))
    };
    vec![
        u.group_zh.clone(),
        u.rank
            .map_or_else(|| "-".to_owned(), |r| format!("{r}/{}", u.of)),
        u.code.clone(),
        u.name.clone(),
        num(u.total),
        num(u.base),
        num(u.bonus),
        num(u.deduction),
        component("indicators"),
        component("tasks"),
        component("projects"),
        component("reporting"),
        component("data_quality"),
    ]
}
