//! A whole plan evaluated for a year: every target of every indicator for the plan's own region
//! (`no_data` included, so that nothing silently drops out), and every other region that has
//! data — against its own targets where a district target table gives them, otherwise with the
//! readings that need no target (growth, share of the total, contribution to the total's growth).

use std::collections::{BTreeMap, HashMap};

use planwatch_plan::{Indicator, Plan, Target};
use serde::Serialize;

use crate::engine::{Evaluation, Inputs, Series, Status, evaluate};

/// Yearly values by (indicator index, region index) into the plan's lists.
#[derive(Debug, Default, Clone)]
pub struct Panel {
    series: HashMap<(usize, usize), Series>,
}

impl Panel {
    pub fn insert(&mut self, indicator: usize, region: usize, year: u16, value: f64) {
        self.series
            .entry((indicator, region))
            .or_default()
            .insert(year, value);
    }

    pub fn series(&self, indicator: usize, region: usize) -> Option<&Series> {
        self.series.get(&(indicator, region))
    }

    /// How many (indicator, region) series it holds.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// The latest year with a value, if any.
    pub fn latest_year(&self) -> Option<u16> {
        self.series
            .values()
            .filter_map(|s| s.keys().next_back())
            .max()
            .copied()
    }
}

/// District (or department) targets: the value of target `target` (index into the indicator's
/// targets) of indicator `indicator` for region `region`, from `planwatch targets split` or a
/// planner's table.
pub type RegionTargets = HashMap<(usize, usize, usize), f64>;

/// What a plan's evaluation needs besides the plan and the year.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    pub panel: &'a Panel,
    pub region_targets: &'a RegionTargets,
    /// The planners' latest assessment of an indicator (index), for qualitative targets.
    pub assessments: &'a HashMap<usize, String>,
}

/// Which indicators and regions (indexes); `None` for all.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub indicators: Option<Vec<usize>>,
    pub regions: Option<Vec<usize>>,
}

/// One row of an evaluation: an (indicator, target, region) with its readings. The JSON shape
/// of `planwatch evaluate --format json` and of the API.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    /// The indicator's code.
    pub indicator: String,
    /// 序号 in the plan's table, if it has one.
    pub number: Option<u32>,
    pub indicator_name: String,
    /// The unit of `baseline_value`, `target_value`, `latest_value`, `projection` and
    /// `milestones` (for growth targets, the rates are in %).
    pub unit: String,
    /// The unit in English (`CNY 100 million`).
    pub unit_en: String,
    /// The region's code ("510100").
    pub region: String,
    pub region_name: String,
    /// Index of the target among the indicator's targets; `null` for the readings of a region
    /// without a target of its own.
    pub target: Option<usize>,
    /// The target in words (“2025年达到11000亿元”).
    pub target_text: Option<String>,
    /// The target in English words.
    pub target_text_en: Option<String>,
    /// The indicator whose levels `levels` holds (a growth-rate indicator's `level_indicator`).
    pub level_indicator: Option<String>,
    /// The unit of `levels`, in Chinese and in English.
    pub level_unit: Option<String>,
    pub level_unit_en: Option<String>,
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// The latest value as a fraction of the plan region's value in the same year.
    pub share_of_total: Option<f64>,
    /// The region's change since the base year as a fraction of the plan region's change.
    pub contribution_to_growth: Option<f64>,
}

/// Districts may add up to this much (a fraction) more than the total before the roll-up check
/// reports a gap: rounding in published figures.
pub const DEFAULT_ROLLUP_TOLERANCE: f64 = 0.01;

/// The columns of an evaluation as CSV, in the order of `Assessment::csv_record`: the JSON
/// fields, with milestones as `year:value` pairs joined by `;`.
pub const CSV_HEADER: [&str; 29] = [
    "indicator",
    "number",
    "region",
    "target",
    "kind",
    "year",
    "baseline_year",
    "baseline_value",
    "target_year",
    "target_value",
    "latest_year",
    "latest_value",
    "completion",
    "distance_covered",
    "time_elapsed",
    "actual_growth",
    "required_growth",
    "required_growth_remaining",
    "projection",
    "growth_ratio",
    "milestone_gap",
    "status",
    "projection_meets_target",
    "time_rule_met",
    "share_of_total",
    "contribution_to_growth",
    "milestones",
    "reason",
    "reason_en",
];

impl Assessment {
    /// The row as CSV fields, under `CSV_HEADER`; absent readings are empty.
    pub fn csv_record(&self) -> [String; 29] {
        let opt = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        let year = |v: Option<u16>| v.map(|y| y.to_string()).unwrap_or_default();
        let flag = |v: Option<bool>| v.map(|v| v.to_string()).unwrap_or_default();
        let e = &self.evaluation;
        let milestones = e
            .milestones
            .iter()
            .map(|(y, v)| format!("{y}:{v}"))
            .collect::<Vec<_>>()
            .join(";");
        [
            self.indicator.clone(),
            self.number.map(|n| n.to_string()).unwrap_or_default(),
            self.region.clone(),
            self.target.map(|k| k.to_string()).unwrap_or_default(),
            e.kind.to_owned(),
            e.year.to_string(),
            year(e.baseline_year),
            opt(e.baseline_value),
            e.target_year.to_string(),
            opt(e.target_value),
            year(e.latest_year),
            opt(e.latest_value),
            opt(e.completion),
            opt(e.distance_covered),
            opt(e.time_elapsed),
            opt(e.actual_growth),
            opt(e.required_growth),
            opt(e.required_growth_remaining),
            opt(e.projection),
            opt(e.growth_ratio),
            opt(e.milestone_gap),
            e.status.as_str().to_owned(),
            flag(e.projection_meets_target),
            flag(e.time_rule_met),
            opt(self.share_of_total),
            opt(self.contribution_to_growth),
            milestones,
            e.reason_zh.clone(),
            e.reason_en.clone(),
        ]
    }
}

/// Evaluates `plan` in `year`; rows in the plan's order of indicators, then regions, then targets.
pub fn evaluate_plan(
    plan: &Plan,
    inputs: &PlanInputs<'_>,
    year: u16,
    selection: &Selection,
) -> Vec<Assessment> {
    let thresholds = plan.thresholds.unwrap_or_default();
    let total = plan.regions.iter().position(|r| r.code == plan.region);
    let index_of = |code: &str| plan.indicators.iter().position(|i| i.code == code);
    let selected =
        |list: &Option<Vec<usize>>, i: usize| list.as_ref().is_none_or(|l| l.contains(&i));
    let empty = Series::new();
    let mut rows = Vec::new();
    for (i, indicator) in plan.indicators.iter().enumerate() {
        if !selected(&selection.indicators, i) {
            continue;
        }
        let growth_index = indicator.growth_indicator.as_deref().and_then(index_of);
        let level_index = indicator.level_indicator.as_deref().and_then(index_of);
        for (r, region) in plan.regions.iter().enumerate() {
            if !selected(&selection.regions, r) {
                continue;
            }
            let series = inputs.panel.series(i, r);
            let is_total = Some(r) == total;
            let has_data = series.is_some_and(|s| s.range(..=year).next().is_some());
            if !is_total && !has_data {
                continue;
            }
            let own_targets: Vec<(usize, Target)> = if is_total {
                indicator.targets.iter().cloned().enumerate().collect()
            } else {
                indicator
                    .targets
                    .iter()
                    .enumerate()
                    .filter_map(|(k, t)| {
                        let value = inputs.region_targets.get(&(i, k, r))?;
                        Some((k, with_value(t, *value)?))
                    })
                    .collect()
            };
            let total_series = total.and_then(|t| inputs.panel.series(i, t));
            let series = series.unwrap_or(&empty);
            let (share_of_total, contribution_to_growth) = if is_total {
                (None, None)
            } else {
                relation_to_total(indicator, series, total_series, plan.base_year, year)
            };
            let unit = indicator.unit_text();
            let row = |target: Option<(usize, &Target)>, evaluation: Evaluation| {
                let described = target.map(|(_, t)| t.describe(&unit));
                let level_unit = evaluation
                    .levels
                    .as_ref()
                    .and(level_index)
                    .map(|l| plan.indicators[l].unit_text());
                Assessment {
                    indicator: indicator.code.clone(),
                    number: indicator.number,
                    indicator_name: indicator.name.zh.clone(),
                    unit: unit.zh.clone(),
                    unit_en: unit.en_or_zh().to_owned(),
                    region: region.code.clone(),
                    region_name: region.name.zh.clone(),
                    target: target.map(|(k, _)| k),
                    target_text: described.as_ref().map(|d| d.zh.clone()),
                    target_text_en: described.as_ref().map(|d| d.en_or_zh().to_owned()),
                    level_indicator: level_unit.as_ref().and(indicator.level_indicator.clone()),
                    level_unit: level_unit.as_ref().map(|u| u.zh.clone()),
                    level_unit_en: level_unit.as_ref().map(|u| u.en_or_zh().to_owned()),
                    evaluation,
                    share_of_total,
                    contribution_to_growth,
                }
            };
            if own_targets.is_empty() {
                rows.push(row(
                    None,
                    readings_without_target(indicator, series, plan.base_year, year),
                ));
                continue;
            }
            for (k, target) in &own_targets {
                let reference = match target {
                    Target::Relative { reference, .. } => plan
                        .regions
                        .iter()
                        .position(|g| &g.code == reference)
                        .and_then(|g| inputs.panel.series(i, g)),
                    _ => None,
                };
                let evaluation_inputs = Inputs {
                    series,
                    growth: growth_index.and_then(|g| inputs.panel.series(g, r)),
                    levels: level_index.and_then(|l| inputs.panel.series(l, r)),
                    reference,
                    assessment: if is_total {
                        inputs.assessments.get(&i).map(String::as_str)
                    } else {
                        None
                    },
                    base_year: plan.base_year,
                };
                let evaluation = evaluate(indicator, target, &evaluation_inputs, year, &thresholds);
                rows.push(row(Some((*k, target)), evaluation));
            }
        }
    }
    rows
}

/// A target of the plan with a region's own value in place of the plan region's: levels, shares
/// and totals take the region's value; a growth target its rate. Relative and qualitative
/// targets have no value to give.
pub fn with_value(target: &Target, value: f64) -> Option<Target> {
    let mut target = target.clone();
    match &mut target {
        Target::Level { value: v, .. }
        | Target::StrictLevel { value: v, .. }
        | Target::Share { value: v, .. }
        | Target::AverageGrowth { value: v, .. }
        | Target::Cumulative { value: v, .. } => *v = value,
        Target::LevelRange { min, .. } => *min = value,
        Target::GrowthRange { .. } | Target::Relative { .. } | Target::Qualitative { .. } => {
            return None;
        }
    }
    Some(target)
}

/// Whether a target splits into regional shares that add up to it (levels and totals of an
/// additive indicator).
pub fn splits(indicator: &Indicator, target: &Target) -> bool {
    indicator.additive
        && matches!(
            target,
            Target::Level { .. }
                | Target::StrictLevel { .. }
                | Target::LevelRange { .. }
                | Target::Cumulative { .. }
        )
}

/// The readings of a region without a target: latest value and its growth since the base year.
fn readings_without_target(
    indicator: &Indicator,
    series: &Series,
    base_year: u16,
    year: u16,
) -> Evaluation {
    let mut e = Evaluation::empty("none", year, year);
    e.baseline_year = Some(base_year);
    e.baseline_value = series.get(&base_year).copied();
    if let Some((&t, &v)) = series.range(..=year).next_back() {
        e.latest_year = Some(t);
        e.latest_value = Some(v);
        if let Some(b) = e.baseline_value.filter(|_| t > base_year) {
            let years = f64::from(t - base_year);
            e.actual_growth = if indicator.is_percentage() {
                Some((v - b) / years)
            } else if b > 0.0 && v > 0.0 {
                Some((v / b).powf(1.0 / years) - 1.0)
            } else {
                None
            };
        }
    }
    e.say(
        Status::NotAssessable,
        "该地区没有分解目标：只给出增长、占全市比重和对全市增长的贡献",
        "no target of its own for this region: growth, share of the total and contribution only",
    )
}

/// Share of the total and contribution to the total's growth since the base year, for levels.
fn relation_to_total(
    indicator: &Indicator,
    series: &Series,
    total: Option<&Series>,
    base_year: u16,
    year: u16,
) -> (Option<f64>, Option<f64>) {
    let (Some(total), false) = (total, indicator.is_percentage()) else {
        return (None, None);
    };
    let Some((&t, &v)) = series.range(..=year).next_back() else {
        return (None, None);
    };
    let share = total.get(&t).filter(|c| **c != 0.0).map(|c| v / c);
    let contribution = match (series.get(&base_year), total.get(&base_year), total.get(&t)) {
        (Some(b), Some(cb), Some(c)) if t > base_year && c != cb => Some((v - b) / (c - cb)),
        _ => None,
    };
    (share, contribution)
}

/// A gap between the plan region's figure and the sum of its districts, for an additive indicator.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RollupGap {
    pub indicator: String,
    pub year: u16,
    pub total: f64,
    pub district_sum: f64,
    /// (sum − total) / total.
    pub gap: f64,
    pub districts_reporting: usize,
    pub districts: usize,
}

/// The roll-up check: for additive indicators, the districts' sum against the total in every
/// year where the total and at least one district have data; a gap beyond `tolerance` (a
/// fraction) is reported — above the total always, below it only when every district reported.
pub fn rollup_gaps(plan: &Plan, panel: &Panel, tolerance: f64) -> Vec<RollupGap> {
    let Some(total) = plan.regions.iter().position(|r| r.code == plan.region) else {
        return Vec::new();
    };
    let districts = crate::split::districts(plan);
    let mut gaps = Vec::new();
    for (i, indicator) in plan.indicators.iter().enumerate() {
        if !indicator.additive {
            continue;
        }
        let Some(totals) = panel.series(i, total) else {
            continue;
        };
        let mut sums: BTreeMap<u16, (f64, usize)> = BTreeMap::new();
        for &d in &districts {
            for (&y, &v) in panel.series(i, d).into_iter().flatten() {
                let entry = sums.entry(y).or_default();
                entry.0 += v;
                entry.1 += 1;
            }
        }
        for (year, (sum, reporting)) in sums {
            let Some(&value) = totals.get(&year) else {
                continue;
            };
            if value == 0.0 {
                continue;
            }
            let gap = (sum - value) / value.abs();
            if gap > tolerance || (reporting == districts.len() && gap < -tolerance) {
                gaps.push(RollupGap {
                    indicator: indicator.code.clone(),
                    year,
                    total: value,
                    district_sum: sum,
                    gap,
                    districts_reporting: reporting,
                    districts: districts.len(),
                });
            }
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn plan() -> Plan {
        planwatch_plan::read_plan(
            "example.toml",
            include_str!("../../../plans/example-minimal.toml"),
        )
        .unwrap()
    }

    #[test]
    fn the_city_gets_every_target_and_a_district_its_readings() {
        let plan = plan();
        let (retail, city, district) = (0, 0, 1);
        let mut panel = Panel::default();
        panel.insert(retail, city, 2020, 1000.0);
        panel.insert(retail, city, 2023, 1300.0);
        panel.insert(retail, district, 2020, 400.0);
        panel.insert(retail, district, 2023, 490.0);
        let inputs = PlanInputs {
            panel: &panel,
            region_targets: &RegionTargets::new(),
            assessments: &HashMap::new(),
        };
        let rows = evaluate_plan(&plan, &inputs, 2023, &Selection::default());
        let targets: usize = plan.indicators.iter().map(|i| i.targets.len()).sum();
        // Every target of the city (no data for two of the indicators), one row for the district.
        assert_eq!(rows.len(), targets + 1);
        assert!(
            rows.iter()
                .any(|r| r.region == "440100" && r.evaluation.status == Status::NoData)
        );
        let d = rows.iter().find(|r| r.region == "440103").unwrap();
        assert_eq!((d.target, d.evaluation.kind), (None, "none"));
        assert!((d.share_of_total.unwrap() - 490.0 / 1300.0).abs() < 1e-12);
        assert!((d.contribution_to_growth.unwrap() - 90.0 / 300.0).abs() < 1e-12);
        let growth = (490.0f64 / 400.0).powf(1.0 / 3.0) - 1.0;
        assert!((d.evaluation.actual_growth.unwrap() - growth).abs() < 1e-12);

        // With a district target of its own, the district is evaluated against it.
        let mut region_targets = RegionTargets::new();
        region_targets.insert((retail, 0, district), 560.0);
        let inputs = PlanInputs {
            region_targets: &region_targets,
            ..inputs
        };
        let rows = evaluate_plan(&plan, &inputs, 2023, &Selection::default());
        let d = rows.iter().find(|r| r.region == "440103").unwrap();
        assert_eq!(
            (d.target, d.evaluation.target_value),
            (Some(0), Some(560.0))
        );
    }

    #[test]
    fn rollup_reports_districts_above_the_total() {
        let plan = plan();
        let mut panel = Panel::default();
        panel.insert(0, 0, 2023, 1000.0);
        panel.insert(0, 1, 2023, 1100.0);
        panel.insert(0, 0, 2022, 1000.0);
        panel.insert(0, 1, 2022, 1000.0);
        let gaps = rollup_gaps(&plan, &panel, 0.01);
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].year, gaps[0].district_sum), (2023, 1100.0));
        assert!((gaps[0].gap - 0.1).abs() < 1e-12);
    }
}
