//! The yearly assessment (年度考核) on the store's data: every unit's items gathered — its
//! indicator targets from the evaluation, the tasks it leads or is responsible for and its key
//! projects (their status from the approved progress reports), figures owed from the reporting
//! calendar, its
//! submissions' data quality, the planners' bonus and deduction items — and scored by the pure
//! rules of `planwatch-tasks::scoring` (`planwatch score`, the 考核 page, `/api/scores`). A
//! frozen year returns the result stored when it was frozen. Rules: `docs/tasks.md`.

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_eval::{DEFAULT_ROLLUP_TOLERANCE, Status as EvalStatus};
use planwatch_plan::Plan;
use planwatch_store::{NewAdjustment, ProjectFilter, Store, StoreError, TaskFilter, Who};
use planwatch_tasks::scoring::{
    Adjustment, AdjustmentKind, Item, Quality, Scheme, SchemeProblem, Source, SourceKind,
    Timeliness, UnitKind, UnitScore, indicator_item, plan_units, project_item, quality_item,
    report_item, score, task_item,
};
use planwatch_workflow::Standing;
use planwatch_workflow::notice::unit_name;
use serde::{Deserialize, Serialize};

use crate::tasks::{project_of, project_views, task_of, task_views};
use crate::{EvaluationRequest, evaluate, stored_region_targets};

/// Why a year cannot be scored, or an adjustment not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("考核方案有误 / the assessment scheme is wrong: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Scheme(Vec<SchemeProblem>),
    #[error("“{0}”不是本规划考核的单位 / {0} is not a unit the plan assesses")]
    UnknownUnit(String),
    #[error("加减分项须写明理由 / an adjustment needs a reason")]
    NoReason,
    #[error("the frozen assessment of {0} cannot be read: {1}")]
    CorruptFrozen(u16, String),
}

/// Who froze a year's result, when, and the day its data was scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Frozen {
    pub frozen_by: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub frozen_at: String,
}

/// Every unit's score of a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearScores {
    pub plan: String,
    pub year: u16,
    /// The day the data was scored on, `YYYY-MM-DD`.
    pub as_of: String,
    /// Set when the year is frozen: the result is the one stored then.
    pub frozen: Option<Frozen>,
    /// By kind (districts, departments, managed areas), rank, and unit.
    pub units: Vec<UnitResult>,
}

impl YearScores {
    /// The result of `unit` (`region:510104`, or a code).
    pub fn unit(&self, unit: &str) -> Option<&UnitResult> {
        self.units.iter().find(|u| u.unit == unit || u.code == unit)
    }

    /// The ranking's header, Chinese with English beside: 类别 Kind, 排名 Rank, 单位代码 Code,
    /// 单位 Unit, 总分 Total, 基本分 Base, 加分 Bonus, 扣分 Deduction, then each component (as
    /// the scheme names them) — the columns of the CSV and XLSX exports.
    pub fn ranking_header(&self) -> Vec<String> {
        let fixed = [
            ("类别", "Kind"),
            ("排名", "Rank"),
            ("单位代码", "Code"),
            ("单位", "Unit"),
            ("总分", "Total"),
            ("基本分", "Base"),
            ("加分", "Bonus"),
            ("扣分", "Deduction"),
        ]
        .map(|(zh, en)| format!("{zh} {en}"));
        let components = self.units.first().into_iter().flat_map(|u| {
            u.components
                .iter()
                .map(|c| format!("{} {}", c.label_zh, c.label_en))
        });
        fixed.into_iter().chain(components).collect()
    }
}

/// One unit's score, its rank and the breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitResult {
    /// `region:510104` or `department:commerce`.
    pub unit: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The kind it is ranked among: `district`, `department`, `managed_area` (or `other`).
    pub group: String,
    pub group_zh: String,
    /// Whether any component applies (else it is not ranked).
    pub assessed: bool,
    pub base: f64,
    pub bonus: f64,
    pub deduction: f64,
    pub total: f64,
    pub rank: Option<u32>,
    /// Assessed units of its kind.
    pub of: u32,
    pub components: Vec<ComponentResult>,
    pub lines: Vec<LineResult>,
}

/// A component's part of a unit's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComponentResult {
    /// `indicators`, `tasks`, `projects`, `reporting`, `data_quality`.
    pub component: String,
    pub label_zh: String,
    pub label_en: String,
    pub weight: f64,
    pub effective_weight: f64,
    pub points: f64,
    pub items: usize,
}

/// One line of a breakdown: the points an item or adjustment gives, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineResult {
    /// The component, `null` for a bonus or deduction.
    pub component: Option<String>,
    /// `task`, `indicator`, `project`, `report`, `submission`, `adjustment`.
    pub source: String,
    /// The source's id: a task's id, `indicator/region`, `indicator/region/period`, a
    /// submission's id, `adjustment:ID`.
    pub source_id: String,
    pub label: String,
    pub points: f64,
    pub possible: f64,
    pub achieved: f64,
    pub explain_zh: String,
    pub explain_en: String,
}

fn group(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::District => "district",
        UnitKind::Department => "department",
        UnitKind::ManagedArea => "managed_area",
        UnitKind::Other => "other",
    }
}

impl UnitResult {
    fn of(plan: &Plan, score: &UnitScore) -> UnitResult {
        let (name, name_en) = unit_name(plan, &score.unit);
        UnitResult {
            unit: score.unit.to_string(),
            code: score.unit.code().to_owned(),
            name,
            name_en,
            group: group(score.kind).to_owned(),
            group_zh: score.kind.label_zh().to_owned(),
            assessed: score.assessed,
            base: score.base,
            bonus: score.bonus,
            deduction: score.deduction,
            total: score.total,
            rank: score.rank,
            of: score.of,
            components: score
                .components
                .iter()
                .map(|c| ComponentResult {
                    component: c.component.as_str().to_owned(),
                    label_zh: c.component.label_zh().to_owned(),
                    label_en: c.component.label_en().to_owned(),
                    weight: c.weight,
                    effective_weight: c.effective_weight,
                    points: c.points,
                    items: c.items,
                })
                .collect(),
            lines: score
                .lines
                .iter()
                .map(|line| {
                    let words = score.explain(line);
                    LineResult {
                        component: line.component.map(|c| c.as_str().to_owned()),
                        source: line.source.kind.as_str().to_owned(),
                        source_id: line.source.id.clone(),
                        label: line.source.label.clone(),
                        points: line.points,
                        possible: line.possible,
                        achieved: line.achieved,
                        explain_zh: words.zh,
                        explain_en: words.en.unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }
}

/// The scheme the plan scores with (its `[tasks.scoring]`, else the default).
pub fn scheme(plan: &Plan) -> Scheme {
    Scheme::from_plan(plan)
}

/// The year's scores on `today`'s data — or, when the year is frozen, the result stored then.
pub async fn score_year(
    store: &Store,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
) -> Result<YearScores, ScoreError> {
    match store.frozen_scores(plan, year).await? {
        Some(frozen) => Ok(YearScores {
            plan: plan.id.clone(),
            year,
            as_of: frozen.as_of,
            frozen: Some(Frozen {
                frozen_by: frozen.frozen_by,
                frozen_at: frozen.frozen_at,
            }),
            units: frozen
                .units
                .into_iter()
                .map(serde_json::from_value)
                .collect::<Result<_, _>>()
                .map_err(|e| ScoreError::CorruptFrozen(year, e.to_string()))?,
        }),
        None => live_scores(store, plan, year, today).await,
    }
}

/// The year's scores on `today`'s data, frozen or not.
pub async fn live_scores(
    store: &Store,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
) -> Result<YearScores, ScoreError> {
    let scheme = scheme(plan);
    let mut items = indicator_items(store, plan, year).await?;
    items.extend(task_items(store, plan, year, today, &scheme).await?);
    items.extend(project_items(store, plan, year, today).await?);
    items.extend(reporting_items(store, plan, year, today, &scheme).await?);
    items.extend(quality_items(store, plan, year, &scheme).await?);
    let adjustments: Vec<Adjustment> = store
        .adjustments(plan, year)
        .await?
        .into_iter()
        .map(|a| Adjustment {
            source: Source {
                kind: SourceKind::Adjustment,
                id: format!("adjustment:{}", a.id),
                label: a.reason.clone(),
            },
            unit: a.unit,
            kind: a.kind,
            points: a.points,
            reason: a.reason,
        })
        .collect();
    let scores = score(plan, &scheme, &plan_units(plan), &items, &adjustments)
        .map_err(ScoreError::Scheme)?;
    Ok(YearScores {
        plan: plan.id.clone(),
        year,
        as_of: today.to_string(),
        frozen: None,
        units: scores.iter().map(|s| UnitResult::of(plan, s)).collect(),
    })
}

/// The year's tasks, for each unit leading or responsible for one, judged on `today` from the
/// approved progress reports; the source is the stored task (its id, 序号 and title).
async fn task_items(
    store: &Store,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
    scheme: &Scheme,
) -> Result<Vec<Item>, StoreError> {
    let filter = TaskFilter {
        year: Some(year),
        unit: None,
    };
    let mut items = Vec::new();
    for view in task_views(store, plan, &filter, today).await? {
        let task = task_of(&view.task);
        let units = task.lead.iter().chain(&task.responsible);
        for unit in units {
            if let Some(mut item) = task_item(&task, unit, &view.judgement, scheme) {
                item.source.id = view.task.id.to_string();
                item.source.label = format!(
                    "{year}年任务{} {}（{}）",
                    task.key,
                    task.title,
                    view.judgement.status.label_zh()
                );
                items.push(item);
            }
        }
    }
    Ok(items)
}

/// The year's key projects with a planned investment: the year's investment completed (the
/// latest approved report by `today`) against the plan, for the project's responsible unit.
async fn project_items(
    store: &Store,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
) -> Result<Vec<Item>, StoreError> {
    let filter = ProjectFilter {
        year: Some(year),
        ..ProjectFilter::default()
    };
    Ok(project_views(store, plan, &filter, today)
        .await?
        .into_iter()
        .filter_map(|view| {
            let project = project_of(plan, &view.project);
            let invested = view.latest.as_ref().map_or(0.0, |r| r.invested_year);
            let mut item = project_item(&project, year, invested)?;
            item.source.id = view.project.id.to_string();
            item.source.label = format!(
                "{year}年重大项目{} {}（完成投资 {} 亿元）",
                project.key,
                project.name,
                planwatch_plan::fmt_num(invested)
            );
            Some(item)
        })
        .collect())
}

/// Met: achieved, or on track to the target; a target without data or not assessable gives
/// no item.
fn met(status: EvalStatus) -> Option<f64> {
    match status {
        EvalStatus::Achieved | EvalStatus::OnTrack => Some(1.0),
        EvalStatus::NotAchieved
        | EvalStatus::AccelerationNeeded
        | EvalStatus::LimitedProgress
        | EvalStatus::Deterioration => Some(0.0),
        EvalStatus::NoData | EvalStatus::NotAssessable => None,
    }
}

/// A district's own targets (the plan's, or the district targets saved), and for each
/// department the city's targets of the indicators it leads, as the evaluation of `year` on
/// the latest data judges them (freezing a year is what keeps later data out).
async fn indicator_items(store: &Store, plan: &Plan, year: u16) -> Result<Vec<Item>, StoreError> {
    let request = EvaluationRequest {
        year: Some(year),
        ..EvaluationRequest::default()
    };
    let targets = stored_region_targets(store, plan).await?;
    let report = evaluate(store, plan, &request, &targets, DEFAULT_ROLLUP_TOLERANCE).await?;
    let mut items = Vec::new();
    for result in &report.results {
        let (Some(target), Some(achieved)) = (result.target, met(result.evaluation.status)) else {
            continue;
        };
        let unit = if result.region == plan.region {
            let lead = plan
                .indicators
                .iter()
                .find(|i| i.code == result.indicator)
                .and_then(|i| i.lead_department.clone());
            match lead {
                Some(code) => Unit::Department(code),
                None => continue,
            }
        } else {
            Unit::Region(result.region.clone())
        };
        let id = format!("{}/{}/{}", result.indicator, result.region, target);
        let label = format!(
            "{} {} {}（{}）",
            result.indicator_name,
            result.region_name,
            result.target_text.as_deref().unwrap_or(""),
            result.evaluation.status.as_str()
        );
        items.push(indicator_item(&unit, &id, &label, achieved));
    }
    Ok(items)
}

/// Every figure of `year` owed by `today`: on time, late, or missing (returned and not sent
/// again, or not sent, after the due date). Figures published without the unit's submission
/// and those not yet due give no item.
async fn reporting_items(
    store: &Store,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
    scheme: &Scheme,
) -> Result<Vec<Item>, StoreError> {
    let Some(standings) = crate::calendar::standings_of(store, plan, year..=year, today).await?
    else {
        return Ok(Vec::new());
    };
    let name = |code: &str| -> String {
        plan.indicators
            .iter()
            .find(|i| i.code == code)
            .map_or_else(|| code.to_owned(), |i| i.name.zh.clone())
    };
    Ok(standings
        .into_iter()
        .filter_map(|s| {
            let timeliness = match s.standing {
                Standing::Reported { on_time: true, .. } => Timeliness::OnTime,
                Standing::Reported { on_time: false, .. } => Timeliness::Late,
                Standing::Returned { late: true } | Standing::Missing { late: true } => {
                    Timeliness::Missing
                }
                Standing::Returned { late: false }
                | Standing::Missing { late: false }
                | Standing::Published { .. } => return None,
            };
            let o = &s.obligation;
            let id = format!("{}/{}/{}", o.indicator, o.region, o.period);
            let region = plan
                .regions
                .iter()
                .find(|r| r.code == o.region)
                .map_or(o.region.as_str(), |r| r.name.zh.as_str());
            let label = format!(
                "{} {} {}（应报 {}）",
                name(&o.indicator),
                region,
                o.period,
                o.due
            );
            Some(report_item(&o.unit, &id, &label, timeliness, scheme))
        })
        .collect())
}

/// Every approved submission with a figure of `year`: approved as first submitted, returned
/// before approval, or revised after it.
async fn quality_items(
    store: &Store,
    plan: &Plan,
    year: u16,
    scheme: &Scheme,
) -> Result<Vec<Item>, StoreError> {
    Ok(store
        .submission_quality(plan, year)
        .await?
        .into_iter()
        .map(|s| {
            let (quality, words) = match (s.revised_after_approval, s.returned) {
                (true, _) => (Quality::RevisedAfterApproval, "审核通过后又被修订"),
                (false, true) => (Quality::Returned, "退回后通过"),
                (false, false) => (Quality::Clean, "一次通过"),
            };
            let label = format!("报送 #{}：{}", s.id, words);
            quality_item(&s.unit, &s.id.to_string(), &label, quality, scheme)
        })
        .collect())
}

/// The unit of the plan's assessed units that `code` names (a region or department code).
pub fn assessed_unit(plan: &Plan, code: &str) -> Result<Unit, ScoreError> {
    plan_units(plan)
        .into_iter()
        .find(|u| u.code() == code || u.to_string() == code)
        .ok_or_else(|| ScoreError::UnknownUnit(code.to_owned()))
}

/// A bonus or deduction a planner records.
#[derive(Debug, Clone, PartialEq)]
pub struct AdjustRequest {
    pub year: u16,
    pub unit: Unit,
    pub kind: AdjustmentKind,
    pub points: f64,
    pub reason: String,
}

/// Records a bonus or deduction for a unit within the scheme's cap for the year (what the
/// unit has of that kind already counted), audited as `score.adjust`; its id.
pub async fn adjust(
    store: &Store,
    who: &Who,
    plan: &Plan,
    request: &AdjustRequest,
) -> Result<i64, ScoreError> {
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(ScoreError::NoReason);
    }
    let scheme = scheme(plan);
    let cap = match request.kind {
        AdjustmentKind::Bonus => scheme.bonus_cap,
        AdjustmentKind::Deduction => scheme.deduction_cap,
    };
    Ok(store
        .add_adjustment(
            who,
            plan,
            &NewAdjustment {
                year: request.year,
                unit: request.unit.clone(),
                kind: request.kind,
                points: request.points,
                reason: reason.to_owned(),
                cap,
            },
        )
        .await?)
}

/// Freezes `year` with its scores on `today`'s data (audited as `score.freeze`); refused when
/// it is frozen already. Returns the result frozen.
pub async fn freeze(
    store: &Store,
    who: &Who,
    plan: &Plan,
    year: u16,
    today: NaiveDate,
) -> Result<YearScores, ScoreError> {
    let scores = live_scores(store, plan, year, today).await?;
    let units: Vec<(Unit, serde_json::Value)> = scores
        .units
        .iter()
        .map(|u| {
            let unit = Unit::from_parts(u.unit.split(':').next().unwrap_or_default(), &u.code)
                .ok_or_else(|| ScoreError::UnknownUnit(u.unit.clone()))?;
            let value = serde_json::to_value(u)
                .map_err(|e| ScoreError::CorruptFrozen(year, e.to_string()))?;
            Ok((unit, value))
        })
        .collect::<Result<_, ScoreError>>()?;
    store
        .freeze_scores(who, plan, year, &scores.as_of, &units)
        .await?;
    score_year(store, plan, year, today).await
}
