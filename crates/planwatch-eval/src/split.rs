//! Splitting a plan's targets into district targets that add up to them (按年度将任务目标分解落实到
//! 各区（市）县), and checking a planner's table of them.

use std::collections::{BTreeMap, HashMap};

use planwatch_plan::{Plan, RegionKind, Target, fmt_num};

use crate::panel::{Panel, RegionTargets, splits};

/// One district's share of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitTarget {
    /// Indexes into the plan's indicators, the indicator's targets and the plan's regions.
    pub indicator: usize,
    pub target: usize,
    pub region: usize,
    pub value: f64,
    /// The district's weight, normalised (the weights of a target sum to 1).
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    #[error(
        "指标 {0} 没有可分解的目标（须为可加总指标的总量目标） (no target that splits: it must be a level or total of an additive indicator)"
    )]
    NotSplittable(String),
    #[error(
        "指标 {indicator} 的各区没有 {year} 年数据，请用 --weights 提供权重 (no {year} district figures to weight by: give --weights)"
    )]
    NoWeights { indicator: String, year: u16 },
    #[error("规划地区 {0} 没有下辖区（市）县 (the plan's region has no districts)")]
    NoDistricts(String),
}

/// The county-level divisions of the plan's region (managed areas overlap them and are left out).
pub(crate) fn districts(plan: &Plan) -> Vec<usize> {
    plan.regions
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.parent.as_deref() == Some(plan.region.as_str())
                && !matches!(r.kind, RegionKind::ManagedArea)
        })
        .map(|(i, _)| i)
        .collect()
}

/// The value a target sets for the plan's region, if it is one that splits.
fn split_value(target: &Target) -> Option<f64> {
    match target {
        Target::Level { value, .. }
        | Target::StrictLevel { value, .. }
        | Target::Cumulative { value, .. } => Some(*value),
        Target::LevelRange { min, .. } => Some(*min),
        _ => None,
    }
}

/// Splits the targets of `indicators` (default: every indicator with a target that splits) by
/// `weights` (region → weight), or by each district's share of the districts' sum in the base
/// year. Values are rounded to hundredths so that they add up exactly (largest remainder).
pub fn split_targets(
    plan: &Plan,
    panel: &Panel,
    indicators: Option<&[usize]>,
    weights: Option<&HashMap<usize, f64>>,
) -> Result<Vec<SplitTarget>, SplitError> {
    let districts = districts(plan);
    if districts.is_empty() {
        return Err(SplitError::NoDistricts(plan.region.clone()));
    }
    let chosen: Vec<usize> = match indicators {
        Some(list) => list.to_vec(),
        None => (0..plan.indicators.len())
            .filter(|&i| {
                let indicator = &plan.indicators[i];
                indicator.targets.iter().any(|t| splits(indicator, t))
            })
            .collect(),
    };
    let mut table = Vec::new();
    for i in chosen {
        let indicator = &plan.indicators[i];
        let targets: Vec<(usize, f64)> = indicator
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| splits(indicator, t))
            .filter_map(|(k, t)| Some((k, split_value(t)?)))
            .collect();
        if targets.is_empty() {
            return Err(SplitError::NotSplittable(indicator.code.clone()));
        }
        let raw: Vec<f64> = districts
            .iter()
            .map(|d| match weights {
                Some(w) => w.get(d).copied().unwrap_or(0.0),
                None => panel
                    .series(i, *d)
                    .and_then(|s| s.get(&plan.base_year))
                    .copied()
                    .unwrap_or(0.0)
                    .max(0.0),
            })
            .collect();
        let sum: f64 = raw.iter().sum();
        if sum <= 0.0 {
            return Err(SplitError::NoWeights {
                indicator: indicator.code.clone(),
                year: plan.base_year,
            });
        }
        let normalised: Vec<f64> = raw.iter().map(|w| w / sum).collect();
        for (k, total) in targets {
            let values = largest_remainder(total, &normalised);
            for ((d, weight), value) in districts.iter().zip(&normalised).zip(values) {
                table.push(SplitTarget {
                    indicator: i,
                    target: k,
                    region: *d,
                    value,
                    weight: *weight,
                });
            }
        }
    }
    Ok(table)
}

/// `total` in hundredths shared by `weights` (summing to 1) so that the parts add up exactly.
fn largest_remainder(total: f64, weights: &[f64]) -> Vec<f64> {
    let cents = (total * 100.0).round() as i64;
    let exact: Vec<f64> = weights.iter().map(|w| w * cents as f64).collect();
    let mut parts: Vec<i64> = exact.iter().map(|x| x.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let short = cents - parts.iter().sum::<i64>();
    for &k in order.iter().cycle().take(short.max(0) as usize) {
        parts[k] += 1;
    }
    parts.into_iter().map(|c| c as f64 / 100.0).collect()
}

/// Problems of a district target table: regions that are not districts of the plan's region,
/// targets that do not split, and sums that differ from the plan's target by more than
/// `tolerance` (a fraction).
pub fn check_split(plan: &Plan, table: &RegionTargets, tolerance: f64) -> Vec<String> {
    let districts = districts(plan);
    let mut problems = Vec::new();
    let mut sums: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    let mut keys: Vec<_> = table.iter().collect();
    keys.sort_by_key(|(k, _)| **k);
    for (&(i, k, r), &value) in keys {
        let indicator = &plan.indicators[i];
        if !districts.contains(&r) {
            problems.push(format!(
                "指标 {} 目标 {k}：{} 不是 {} 的下辖区（市）县 ({} is not a district of the plan's region)",
                indicator.code, plan.regions[r].name.zh, plan.region, plan.regions[r].code
            ));
            continue;
        }
        if !splits(indicator, &indicator.targets[k]) {
            problems.push(format!(
                "指标 {} 目标 {k} 不可按区加总分解 (target {k} of {} does not split into district shares)",
                indicator.code, indicator.code
            ));
            continue;
        }
        let entry = sums.entry((i, k)).or_default();
        entry.0 += value;
        entry.1 += 1;
    }
    for ((i, k), (sum, count)) in sums {
        let indicator = &plan.indicators[i];
        let Some(total) = split_value(&indicator.targets[k]) else {
            continue;
        };
        if (sum - total).abs() > tolerance * total.abs().max(f64::MIN_POSITIVE) {
            problems.push(format!(
                "指标 {} 目标 {k}：{count} 个区合计 {}，全市目标 {} (districts add up to {}, the target is {})",
                indicator.code,
                fmt_num(sum),
                fmt_num(total),
                fmt_num(sum),
                fmt_num(total)
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::largest_remainder;

    #[test]
    fn parts_add_up_exactly() {
        let parts = largest_remainder(100.0, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(parts, vec![33.34, 33.33, 33.33]);
        let parts = largest_remainder(11000.0, &[0.5, 0.25, 0.25]);
        assert_eq!(parts, vec![5500.0, 2750.0, 2750.0]);
    }
}
