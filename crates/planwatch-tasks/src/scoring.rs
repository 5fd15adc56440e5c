//! The yearly assessment of units (年度考核): a [`Scheme`] of weighted components summing to 100,
//! plus bonus (加分) and deduction (扣分) items within caps, and [`score`], which gives every unit
//! its score, the breakdown that traces every point to the item it comes from, and its rank
//! among units of its kind (districts; departments; managed areas apart).
//!
//! Scoring is generic over [`Item`]s — one per source (a task, an indicator target, a project, a
//! figure owed, a submission) with a weight and the share achieved (0–1); the `*_item` functions
//! make them from tasks, projects, reports and submissions by the scheme's rules. A component a
//! unit has no item in does not apply to it, and its weight goes to the unit's other components
//! in proportion (so a department without projects is scored out of 100 on the rest). Rules:
//! `docs/tasks.md`.

use std::cmp::Ordering;

use planwatch_access::Unit;
use planwatch_plan::{Plan, RegionKind, Text};
use serde::{Deserialize, Serialize};

use crate::deadline::Deadline;
use crate::model::{Project, Role, Task};
use crate::status::{Judgement, Status};

/// A component of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// 指标目标完成: the unit's indicator targets met (its district targets, or the indicators
    /// it leads).
    Indicators,
    /// 任务按时完成: tasks it leads or is responsible for, done on time.
    Tasks,
    /// 项目投资完成: its key projects' investment completed against the year's plan.
    Projects,
    /// 按时报送: figures and progress reports on time.
    Reporting,
    /// 数据质量: submissions approved without return, no revision after approval.
    DataQuality,
}

impl Component {
    pub const ALL: [Component; 5] = [
        Component::Indicators,
        Component::Tasks,
        Component::Projects,
        Component::Reporting,
        Component::DataQuality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Indicators => "indicators",
            Component::Tasks => "tasks",
            Component::Projects => "projects",
            Component::Reporting => "reporting",
            Component::DataQuality => "data_quality",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Component::Indicators => "指标目标完成",
            Component::Tasks => "任务按时完成",
            Component::Projects => "项目投资完成",
            Component::Reporting => "按时报送",
            Component::DataQuality => "数据质量",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Component::Indicators => "indicator targets met",
            Component::Tasks => "tasks done on time",
            Component::Projects => "project investment against plan",
            Component::Reporting => "reporting on time",
            Component::DataQuality => "data quality",
        }
    }
}

/// A component's weight in a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weight {
    pub component: Component,
    pub weight: f64,
}

/// An assessment scheme. [`Scheme::default`] is the documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Components and their weights, summing to 100. Default: indicators 30, tasks 30, projects
    /// 20, reporting 10, data quality 10.
    pub weights: Vec<Weight>,
    /// The most bonus points a unit may get in a year. Default 5.
    pub bonus_cap: f64,
    /// The most points a unit may lose to deductions in a year. Default 10.
    pub deduction_cap: f64,
    /// The share of an item's points for work done, or a figure reported, late. Default 0.5.
    pub late_credit: f64,
    /// The share of a submission's points when it was returned before approval. Default 0.5.
    pub returned_credit: f64,
    /// A task's weight for its lead units. Default 1.
    pub lead_weight: f64,
    /// A task's weight for its responsible units (supporting units are not scored on it).
    /// Default 0.5.
    pub responsible_weight: f64,
}

impl Default for Scheme {
    fn default() -> Scheme {
        let weight = |component, weight| Weight { component, weight };
        Scheme {
            weights: vec![
                weight(Component::Indicators, 30.0),
                weight(Component::Tasks, 30.0),
                weight(Component::Projects, 20.0),
                weight(Component::Reporting, 10.0),
                weight(Component::DataQuality, 10.0),
            ],
            bonus_cap: 5.0,
            deduction_cap: 10.0,
            late_credit: 0.5,
            returned_credit: 0.5,
            lead_weight: 1.0,
            responsible_weight: 0.5,
        }
    }
}

impl Scheme {
    /// The scheme `plan` sets in its `[tasks.scoring]` section (the defaults where it sets
    /// none). A component code the plan file's validation let through unknown is left out.
    pub fn from_plan(plan: &planwatch_plan::Plan) -> Scheme {
        let c = plan.task_rules().scoring;
        Scheme {
            weights: c
                .weights
                .iter()
                .filter_map(|w| {
                    let component = Component::ALL
                        .into_iter()
                        .find(|c| c.as_str() == w.component)?;
                    Some(Weight {
                        component,
                        weight: w.weight,
                    })
                })
                .collect(),
            bonus_cap: c.bonus_cap,
            deduction_cap: c.deduction_cap,
            late_credit: c.late_credit,
            returned_credit: c.returned_credit,
            lead_weight: c.lead_weight,
            responsible_weight: c.responsible_weight,
        }
    }
}

/// What is wrong with a scheme or the adjustments scored with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemeProblem {
    #[error("各项权重之和须为 100，现为 {0} / the weights must sum to 100, not {0}")]
    WeightsSum(f64),
    #[error("“{zh}”的权重 {weight} 须为 0 到 100 之间的数 / the weight {weight} of {en} must be a number from 0 to 100", zh = .0.label_zh(), en = .0.label_en(), weight = .1)]
    Weight(Component, f64),
    #[error("“{zh}”列出了两次 / {en} is listed twice", zh = .0.label_zh(), en = .0.label_en())]
    Twice(Component),
    #[error(
        "{name} 须为不小于 0 的数，现为 {value} / {name} must be a number of at least 0, not {value}"
    )]
    Cap { name: &'static str, value: f64 },
    #[error("{name} 须在 0 到 1 之间，现为 {value} / {name} must be from 0 to 1, not {value}")]
    Share { name: &'static str, value: f64 },
    #[error(
        "{unit} 的加减分项“{reason}”分值 {points} 须大于 0 且不超过上限 {cap} / the adjustment \"{reason}\" of {unit} has {points} points: more than 0 and at most the cap {cap}"
    )]
    Points {
        unit: Unit,
        reason: String,
        points: f64,
        cap: f64,
    },
    #[error("{0} 的加减分项须写明理由 / an adjustment of {0} needs a reason")]
    NoReason(Unit),
}

impl Scheme {
    /// Every problem of the scheme.
    pub fn check(&self) -> Vec<SchemeProblem> {
        let mut problems = Vec::new();
        let mut seen = Vec::new();
        for w in &self.weights {
            if !(0.0..=100.0).contains(&w.weight) {
                problems.push(SchemeProblem::Weight(w.component, w.weight));
            }
            if seen.contains(&w.component) {
                problems.push(SchemeProblem::Twice(w.component));
            }
            seen.push(w.component);
        }
        let sum: f64 = self.weights.iter().map(|w| w.weight).sum();
        // NaN weights fail here too.
        let sums_to_100 = (sum - 100.0).abs() < 1e-6;
        if !sums_to_100 {
            problems.push(SchemeProblem::WeightsSum(sum));
        }
        for (name, value) in [
            ("bonus_cap", self.bonus_cap),
            ("deduction_cap", self.deduction_cap),
            ("lead_weight", self.lead_weight),
            ("responsible_weight", self.responsible_weight),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                problems.push(SchemeProblem::Cap { name, value });
            }
        }
        for (name, value) in [
            ("late_credit", self.late_credit),
            ("returned_credit", self.returned_credit),
        ] {
            if !(0.0..=1.0).contains(&value) {
                problems.push(SchemeProblem::Share { name, value });
            }
        }
        problems
    }

    fn weight_of(&self, component: Component) -> f64 {
        self.weights
            .iter()
            .find(|w| w.component == component)
            .map_or(0.0, |w| w.weight)
    }
}

/// What an item or adjustment comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    Task,
    Indicator,
    Project,
    /// A figure or progress report owed.
    Report,
    Submission,
    /// A planner's bonus or deduction, or a rule's (an unanswered 督办单).
    Adjustment,
}

impl SourceKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceKind::Task => "task",
            SourceKind::Indicator => "indicator",
            SourceKind::Project => "project",
            SourceKind::Report => "report",
            SourceKind::Submission => "submission",
            SourceKind::Adjustment => "adjustment",
        }
    }
}

/// The source of a point: its kind, its stable id (a task's key, `gdp/510104`, a submission's
/// id) and a label for people.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    pub kind: SourceKind,
    pub id: String,
    pub label: String,
}

/// One scored item of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub unit: Unit,
    pub component: Component,
    pub source: Source,
    /// Its weight within the component (1 for most; a project's year plan in 亿元).
    pub weight: f64,
    /// The share achieved, 0–1 (values beyond are taken as the nearer bound).
    pub achieved: f64,
}

/// A bonus or a deduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdjustmentKind {
    /// 加分
    Bonus,
    /// 扣分
    Deduction,
}

/// A bonus or deduction recorded for a unit, with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub unit: Unit,
    pub kind: AdjustmentKind,
    /// Points, more than 0 and at most the kind's cap.
    pub points: f64,
    pub reason: String,
    pub source: Source,
}

/// The kinds of unit ranked apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitKind {
    /// 区（市）县
    District,
    /// 市级部门
    Department,
    /// 管委会
    ManagedArea,
    /// Any other region (the city itself).
    Other,
}

impl UnitKind {
    pub fn of(plan: &Plan, unit: &Unit) -> UnitKind {
        match unit {
            Unit::Department(_) => UnitKind::Department,
            Unit::Region(code) => match plan
                .regions
                .iter()
                .find(|r| &r.code == code)
                .map(|r| r.kind)
            {
                Some(RegionKind::District | RegionKind::County | RegionKind::CountyCity) => {
                    UnitKind::District
                }
                Some(RegionKind::ManagedArea) => UnitKind::ManagedArea,
                _ => UnitKind::Other,
            },
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::District => "区（市）县",
            UnitKind::Department => "市级部门",
            UnitKind::ManagedArea => "管委会",
            UnitKind::Other => "其他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UnitKind::District => "districts",
            UnitKind::Department => "departments",
            UnitKind::ManagedArea => "managed areas",
            UnitKind::Other => "other",
        }
    }
}

/// The units a plan assesses: its departments, its county-level districts and its managed areas.
pub fn plan_units(plan: &Plan) -> Vec<Unit> {
    let departments = plan
        .departments
        .iter()
        .map(|d| Unit::Department(d.code.clone()));
    let regions = plan
        .regions
        .iter()
        .filter(|r| r.parent.as_deref() == Some(plan.region.as_str()))
        .filter(|r| {
            matches!(
                r.kind,
                RegionKind::District
                    | RegionKind::County
                    | RegionKind::CountyCity
                    | RegionKind::ManagedArea
            )
        })
        .map(|r| Unit::Region(r.code.clone()));
    departments.chain(regions).collect()
}

/// One line of a breakdown: the points an item or adjustment gives (negative for a
/// deduction) out of the points it could give.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The component, or `None` for a bonus or deduction.
    pub component: Option<Component>,
    pub source: Source,
    pub points: f64,
    /// What the item could give (for an adjustment: the points recorded, before the cap).
    pub possible: f64,
    /// The share achieved (an item) — for an adjustment, 1.
    pub achieved: f64,
}

/// A component's part of a unit's score.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentScore {
    pub component: Component,
    /// The scheme's weight.
    pub weight: f64,
    /// The weight it has for this unit once components that do not apply are left out.
    pub effective_weight: f64,
    pub points: f64,
    pub items: usize,
}

/// A unit's score.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitScore {
    pub unit: Unit,
    pub kind: UnitKind,
    /// Whether any component applies to the unit (else it is not ranked).
    pub assessed: bool,
    /// Points from the components, 0–100.
    pub base: f64,
    /// Bonus counted, at most the cap.
    pub bonus: f64,
    /// Deductions counted, at most the cap.
    pub deduction: f64,
    /// `base + bonus − deduction`.
    pub total: f64,
    /// Rank among assessed units of its kind (ties share a rank: 1, 2, 2, 4).
    pub rank: Option<u32>,
    /// Assessed units of its kind.
    pub of: u32,
    pub components: Vec<ComponentScore>,
    /// Every point: one line per item and adjustment, in a fixed order.
    pub lines: Vec<Line>,
}

impl UnitScore {
    /// The breakdown line by line in words.
    pub fn explain(&self, line: &Line) -> Text {
        match line.component {
            Some(component) => Text::new(
                format!(
                    "{}：{} 得 {} 分（满分 {}，完成 {}%）",
                    component.label_zh(),
                    line.source.label,
                    round2(line.points),
                    round2(line.possible),
                    round2(line.achieved * 100.0)
                ),
                format!(
                    "{}: {} gives {} of {} points ({} % achieved)",
                    component.label_en(),
                    line.source.label,
                    round2(line.points),
                    round2(line.possible),
                    round2(line.achieved * 100.0)
                ),
            ),
            None if line.points >= 0.0 => Text::new(
                format!("加分：{} +{}", line.source.label, round2(line.points)),
                format!("bonus: {} +{}", line.source.label, round2(line.points)),
            ),
            None => Text::new(
                format!("扣分：{} {}", line.source.label, round2(line.points)),
                format!("deduction: {} {}", line.source.label, round2(line.points)),
            ),
        }
    }
}

fn round2(value: f64) -> String {
    planwatch_plan::fmt_num((value * 100.0).round() / 100.0)
}

fn share(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

fn item_order(a: &Item, b: &Item) -> Ordering {
    (a.component, &a.source)
        .cmp(&(b.component, &b.source))
        .then(a.weight.total_cmp(&b.weight))
        .then(a.achieved.total_cmp(&b.achieved))
}

fn adjustment_order(a: &Adjustment, b: &Adjustment) -> Ordering {
    (a.kind, &a.source, &a.reason)
        .cmp(&(b.kind, &b.source, &b.reason))
        .then(a.points.total_cmp(&b.points))
}

/// Every problem of the scheme and of the adjustments.
pub fn check(scheme: &Scheme, adjustments: &[Adjustment]) -> Vec<SchemeProblem> {
    let mut problems = scheme.check();
    for adjustment in adjustments {
        let cap = match adjustment.kind {
            AdjustmentKind::Bonus => scheme.bonus_cap,
            AdjustmentKind::Deduction => scheme.deduction_cap,
        };
        if !(adjustment.points > 0.0 && adjustment.points <= cap) {
            problems.push(SchemeProblem::Points {
                unit: adjustment.unit.clone(),
                reason: adjustment.reason.clone(),
                points: adjustment.points,
                cap,
            });
        }
        if adjustment.reason.trim().is_empty() {
            problems.push(SchemeProblem::NoReason(adjustment.unit.clone()));
        }
    }
    problems
}

/// Every unit's score under `scheme` from `items` and `adjustments` (those of units not in
/// `units` are left out), ranked within its kind. The result does not depend on the order of
/// any input: units come out by kind, rank and code.
pub fn score(
    plan: &Plan,
    scheme: &Scheme,
    units: &[Unit],
    items: &[Item],
    adjustments: &[Adjustment],
) -> Result<Vec<UnitScore>, Vec<SchemeProblem>> {
    let problems = check(scheme, adjustments);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut units: Vec<&Unit> = units.iter().collect();
    units.sort();
    units.dedup();
    let mut items: Vec<&Item> = items
        .iter()
        .filter(|i| i.weight > 0.0 && i.weight.is_finite())
        .collect();
    items.sort_by(|a, b| a.unit.cmp(&b.unit).then(item_order(a, b)));
    let mut adjustments: Vec<&Adjustment> = adjustments.iter().collect();
    adjustments.sort_by(|a, b| a.unit.cmp(&b.unit).then(adjustment_order(a, b)));
    let mut scores: Vec<UnitScore> = units
        .into_iter()
        .map(|unit| {
            // Both lists are sorted by unit first: a unit's own are one run of each.
            let own = &items[items.partition_point(|i| &i.unit < unit)
                ..items.partition_point(|i| &i.unit <= unit)];
            let adjusted = &adjustments[adjustments.partition_point(|a| &a.unit < unit)
                ..adjustments.partition_point(|a| &a.unit <= unit)];
            unit_score(plan, scheme, unit, own, adjusted)
        })
        .collect();
    rank(&mut scores);
    Ok(scores)
}

fn unit_score(
    plan: &Plan,
    scheme: &Scheme,
    unit: &Unit,
    items: &[&Item],
    adjustments: &[&Adjustment],
) -> UnitScore {
    let applies = |component: Component| {
        scheme.weight_of(component) > 0.0 && items.iter().any(|i| i.component == component)
    };
    let applicable: f64 = Component::ALL
        .into_iter()
        .filter(|c| applies(*c))
        .map(|c| scheme.weight_of(c))
        .sum();
    let mut lines = Vec::new();
    let mut components = Vec::new();
    for component in Component::ALL {
        let weight = scheme.weight_of(component);
        let own: Vec<&&Item> = items.iter().filter(|i| i.component == component).collect();
        if !applies(component) {
            if !own.is_empty() || weight > 0.0 {
                components.push(ComponentScore {
                    component,
                    weight,
                    effective_weight: 0.0,
                    points: 0.0,
                    items: own.len(),
                });
            }
            continue;
        }
        let effective = 100.0 * weight / applicable;
        let total_weight: f64 = own.iter().map(|i| i.weight).sum();
        let mut points = 0.0;
        for item in own.iter() {
            let possible = effective * item.weight / total_weight;
            let achieved = share(item.achieved);
            let got = possible * achieved;
            points += got;
            lines.push(Line {
                component: Some(component),
                source: item.source.clone(),
                points: got,
                possible,
                achieved,
            });
        }
        components.push(ComponentScore {
            component,
            weight,
            effective_weight: effective,
            points,
            items: own.len(),
        });
    }
    let base: f64 = lines.iter().map(|l| l.points).sum();
    let mut bonus = 0.0;
    let mut deduction = 0.0;
    for adjustment in adjustments {
        let (counted, cap, sign) = match adjustment.kind {
            AdjustmentKind::Bonus => (&mut bonus, scheme.bonus_cap, 1.0),
            AdjustmentKind::Deduction => (&mut deduction, scheme.deduction_cap, -1.0),
        };
        let points = adjustment.points.min(cap - *counted).max(0.0);
        *counted += points;
        lines.push(Line {
            component: None,
            source: adjustment.source.clone(),
            points: sign * points,
            possible: adjustment.points,
            achieved: 1.0,
        });
    }
    UnitScore {
        unit: unit.clone(),
        kind: UnitKind::of(plan, unit),
        assessed: applicable > 0.0,
        base,
        bonus,
        deduction,
        total: base + bonus - deduction,
        rank: None,
        of: 0,
        components,
        lines,
    }
}

/// Ranks assessed units within their kind by total (ties share the rank) and sorts all by kind,
/// rank (unranked last) and unit.
fn rank(scores: &mut [UnitScore]) {
    let totals: Vec<(UnitKind, bool, f64)> = scores
        .iter()
        .map(|s| (s.kind, s.assessed, s.total))
        .collect();
    for score in scores.iter_mut() {
        if !score.assessed {
            continue;
        }
        let peers = totals.iter().filter(|(k, a, _)| *k == score.kind && *a);
        let above = peers.clone().filter(|(_, _, t)| *t > score.total).count();
        score.rank = Some(above as u32 + 1);
        score.of = peers.count() as u32;
    }
    scores.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(a.rank.unwrap_or(u32::MAX).cmp(&b.rank.unwrap_or(u32::MAX)))
            .then(a.unit.cmp(&b.unit))
    });
}

/// The tasks item of `unit` for `task`, judged on the assessment day: done by the deadline (or
/// ongoing work on schedule) 1; done late, or lagging, the scheme's late credit; anything else
/// 0. Weighted by the unit's role: lead or responsible (supporting units: none).
pub fn task_item(task: &Task, unit: &Unit, judgement: &Judgement, scheme: &Scheme) -> Option<Item> {
    let weight = match task.role_of(unit)? {
        Role::Lead => scheme.lead_weight,
        Role::Responsible => scheme.responsible_weight,
        Role::Supporting => return None,
    };
    let on_time = match (judgement.done_on, task.deadline) {
        (Some(day), Deadline::By(deadline)) => day <= deadline,
        _ => true,
    };
    let achieved = match judgement.status {
        Status::Done if on_time => 1.0,
        Status::OnSchedule => 1.0,
        Status::Done | Status::Lagging => scheme.late_credit,
        Status::NotStarted | Status::NotReported | Status::Serious | Status::Overdue => 0.0,
    };
    Some(Item {
        unit: unit.clone(),
        component: Component::Tasks,
        source: Source {
            kind: SourceKind::Task,
            id: task.key.clone(),
            label: task.title.clone(),
        },
        weight,
        achieved,
    })
}

/// The projects item of `project` in `year`: the year's investment completed against its plan,
/// weighted by the plan (亿元). `None` when the year has no planned investment.
pub fn project_item(project: &Project, year: u16, invested_year: f64) -> Option<Item> {
    let plan = project.planned_for(year).filter(|p| *p > 0.0)?;
    Some(Item {
        unit: project.unit.clone(),
        component: Component::Projects,
        source: Source {
            kind: SourceKind::Project,
            id: project.key.clone(),
            label: project.name.clone(),
        },
        weight: plan,
        achieved: share(invested_year / plan),
    })
}

/// How a figure or report owed was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeliness {
    OnTime,
    Late,
    Missing,
}

/// The reporting item of one figure or report owed (`id`, e.g. `gdp/510104/2024-Q1`).
pub fn report_item(
    unit: &Unit,
    id: &str,
    label: &str,
    timeliness: Timeliness,
    scheme: &Scheme,
) -> Item {
    Item {
        unit: unit.clone(),
        component: Component::Reporting,
        source: Source {
            kind: SourceKind::Report,
            id: id.to_owned(),
            label: label.to_owned(),
        },
        weight: 1.0,
        achieved: match timeliness {
            Timeliness::OnTime => 1.0,
            Timeliness::Late => scheme.late_credit,
            Timeliness::Missing => 0.0,
        },
    }
}

/// How clean a submission was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Approved as first submitted.
    Clean,
    /// Returned at least once before approval.
    Returned,
    /// Revised after its approval (the figures published were wrong).
    RevisedAfterApproval,
}

/// The data quality item of a submission.
pub fn quality_item(unit: &Unit, id: &str, label: &str, quality: Quality, scheme: &Scheme) -> Item {
    Item {
        unit: unit.clone(),
        component: Component::DataQuality,
        source: Source {
            kind: SourceKind::Submission,
            id: id.to_owned(),
            label: label.to_owned(),
        },
        weight: 1.0,
        achieved: match quality {
            Quality::Clean => 1.0,
            Quality::Returned => scheme.returned_credit,
            Quality::RevisedAfterApproval => 0.0,
        },
    }
}

/// The indicators item of one target of the unit (`id`, e.g. `retail_sales/510104`), met to the
/// share `achieved` (1 met, 0 not; a share between for partial credit where the caller gives
/// one).
pub fn indicator_item(unit: &Unit, id: &str, label: &str, achieved: f64) -> Item {
    Item {
        unit: unit.clone(),
        component: Component::Indicators,
        source: Source {
            kind: SourceKind::Indicator,
            id: id.to_owned(),
            label: label.to_owned(),
        },
        weight: 1.0,
        achieved: share(achieved),
    }
}

#[cfg(test)]
mod tests;
