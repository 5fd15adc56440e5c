//! The formulas, per target kind. See the crate docs and `docs/methodology.md`.

use std::collections::BTreeMap;

use planwatch_plan::{Direction, GrowthBasis, Indicator, Relation, Target, Thresholds, fmt_num};

/// Yearly values: year → value.
pub type Series = BTreeMap<u16, f64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    NotAchieved,
    OnTrack,
    AccelerationNeeded,
    LimitedProgress,
    Deterioration,
    NoData,
    NotAssessable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::NotAchieved => "not_achieved",
            Status::OnTrack => "on_track",
            Status::AccelerationNeeded => "acceleration_needed",
            Status::LimitedProgress => "limited_progress",
            Status::Deterioration => "deterioration",
            Status::NoData => "no_data",
            Status::NotAssessable => "not_assessable",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Achieved => "已实现",
            Status::NotAchieved => "未实现",
            Status::OnTrack => "进度正常",
            Status::AccelerationNeeded => "需加快",
            Status::LimitedProgress => "进展有限",
            Status::Deterioration => "退步",
            Status::NoData => "无数据",
            Status::NotAssessable => "无法评估",
        }
    }

    /// A symbol that tells the statuses apart without colour (✔ ● ▲ ◆ ✖ ○).
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Achieved => "✔",
            Status::OnTrack => "●",
            Status::AccelerationNeeded => "▲",
            Status::LimitedProgress => "◆",
            Status::Deterioration | Status::NotAchieved => "✖",
            Status::NoData | Status::NotAssessable => "○",
        }
    }

    /// The status in English words, for people (the JSON uses `as_str`).
    pub fn label_en(self) -> &'static str {
        match self {
            Status::Achieved => "Achieved",
            Status::NotAchieved => "Not achieved",
            Status::OnTrack => "On track",
            Status::AccelerationNeeded => "Acceleration needed",
            Status::LimitedProgress => "Limited progress",
            Status::Deterioration => "Deterioration",
            Status::NoData => "No data",
            Status::NotAssessable => "Not assessable",
        }
    }
}

/// What an evaluation of one target, for one region, needs besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The indicator's own yearly values.
    pub series: &'a Series,
    /// Yearly growth rates in % from the indicator's `growth_indicator` (real growth).
    pub growth: Option<&'a Series>,
    /// Levels from the indicator's `level_indicator` (for a growth-rate indicator).
    pub levels: Option<&'a Series>,
    /// The reference region's values, for a relative target.
    pub reference: Option<&'a Series>,
    /// The planner's latest assessment, for a qualitative target.
    pub assessment: Option<&'a str>,
    /// The plan's base year (t0 unless the indicator's baseline says otherwise).
    pub base_year: u16,
}

/// The readings of one target in one evaluation year. Rates are fractions (0.06 for 6 %);
/// values are in the indicator's unit. Absent readings are `None`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub kind: &'static str,
    /// The evaluation year.
    pub year: u16,
    pub baseline_year: Option<u16>,
    pub baseline_value: Option<f64>,
    pub target_year: u16,
    pub target_value: Option<f64>,
    pub latest_year: Option<u16>,
    pub latest_value: Option<f64>,
    pub completion: Option<f64>,
    pub distance_covered: Option<f64>,
    pub time_elapsed: Option<f64>,
    pub actual_growth: Option<f64>,
    pub required_growth: Option<f64>,
    pub required_growth_remaining: Option<f64>,
    pub projection: Option<f64>,
    pub growth_ratio: Option<f64>,
    /// v / m(t) − 1 for compound paths, v − m(t) (percentage points) for linear ones.
    pub milestone_gap: Option<f64>,
    pub status: Status,
    pub projection_meets_target: Option<bool>,
    /// 时间过半、任务过半: distance covered ≥ time elapsed.
    pub time_rule_met: Option<bool>,
    /// Year → value (years as JSON object keys, i.e. strings).
    #[schema(value_type = BTreeMap<String, f64>)]
    pub milestones: BTreeMap<u16, f64>,
    /// Why, in Chinese (`reason` in JSON) and in English.
    #[serde(rename = "reason")]
    pub reason_zh: String,
    pub reason_en: String,
    /// For a growth-rate indicator whose growth is measured through its `level_indicator`: the
    /// levels, in that series' unit (the readings above are then rates, in the indicator's %).
    pub levels: Option<Levels>,
}

/// The level path behind a growth-rate target, in the level series' unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Levels {
    pub baseline_value: Option<f64>,
    pub latest_value: Option<f64>,
    /// The level in the target year at the growth so far.
    pub projection: Option<f64>,
    /// The path at the target rate, year → level.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub milestones: BTreeMap<u16, f64>,
}

impl Evaluation {
    pub(crate) fn empty(kind: &'static str, year: u16, target_year: u16) -> Evaluation {
        Evaluation {
            kind,
            year,
            baseline_year: None,
            baseline_value: None,
            target_year,
            target_value: None,
            latest_year: None,
            latest_value: None,
            completion: None,
            distance_covered: None,
            time_elapsed: None,
            actual_growth: None,
            required_growth: None,
            required_growth_remaining: None,
            projection: None,
            growth_ratio: None,
            milestone_gap: None,
            status: Status::NoData,
            projection_meets_target: None,
            time_rule_met: None,
            milestones: BTreeMap::new(),
            reason_zh: String::new(),
            reason_en: String::new(),
            levels: None,
        }
    }

    pub(crate) fn say(
        mut self,
        status: Status,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Evaluation {
        self.status = status;
        self.reason_zh = zh.into();
        self.reason_en = en.into();
        self
    }
}

/// The values of the years `first..=last`, in order; none when `last` is before `first` (an
/// evaluation year at or before a baseline: `BTreeMap::range` would panic).
fn years(series: &Series, first: u16, last: u16) -> Vec<(u16, f64)> {
    if last < first {
        return Vec::new();
    }
    series.range(first..=last).map(|(y, v)| (*y, *v)).collect()
}

/// The latest value after `after` and at most `upto`.
fn latest(series: &Series, after: u16, upto: u16) -> Option<(u16, f64)> {
    years(series, after.saturating_add(1), upto).pop()
}

fn sign(direction: Direction) -> f64 {
    match direction {
        Direction::HigherIsBetter => 1.0,
        Direction::LowerIsBetter => -1.0,
    }
}

/// Whether `v` meets `target` in the indicator's direction.
fn meets(v: f64, target: f64, strict: bool, d: f64) -> bool {
    let (v, target) = (d * v, d * target);
    if strict {
        v > target
    } else {
        v >= target - 1e-9 * target.abs().max(1.0)
    }
}

/// The status from the growth ratio, before the target year, when the target is not met yet.
fn by_ratio(r: f64, thresholds: &Thresholds) -> Status {
    if r >= thresholds.on_track {
        Status::OnTrack
    } else if r >= thresholds.acceleration {
        Status::AccelerationNeeded
    } else if r >= 0.0 {
        Status::LimitedProgress
    } else {
        Status::Deterioration
    }
}

fn pct(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// Evaluates one target of an indicator in `year`.
pub fn evaluate(
    indicator: &Indicator,
    target: &Target,
    inputs: &Inputs<'_>,
    year: u16,
    thresholds: &Thresholds,
) -> Evaluation {
    let d = sign(indicator.direction);
    match target {
        Target::Level {
            value, year: t1, ..
        } => level(
            indicator,
            inputs,
            year,
            *t1,
            *value,
            false,
            d,
            thresholds,
            target.kind_name(),
        ),
        Target::StrictLevel {
            value, year: t1, ..
        } => level(
            indicator,
            inputs,
            year,
            *t1,
            *value,
            true,
            d,
            thresholds,
            target.kind_name(),
        ),
        Target::LevelRange { min, year: t1, .. } => level(
            indicator,
            inputs,
            year,
            *t1,
            *min,
            false,
            d,
            thresholds,
            target.kind_name(),
        ),
        Target::Share {
            value, year: t1, ..
        } => level(
            indicator,
            inputs,
            year,
            *t1,
            *value,
            false,
            d,
            thresholds,
            target.kind_name(),
        ),
        Target::AverageGrowth {
            value, from, to, ..
        } => average_growth(
            indicator,
            inputs,
            year,
            *from,
            *to,
            *value / 100.0,
            thresholds,
        ),
        Target::GrowthRange {
            min,
            max,
            from,
            to,
            basis,
            ..
        } => growth_range(
            inputs,
            year,
            *from,
            *to,
            (*min / 100.0, *max / 100.0),
            *basis,
            thresholds,
        ),
        Target::Cumulative {
            value,
            from,
            to,
            strict,
            ..
        } => cumulative(inputs, year, *from, *to, *value, *strict, d, thresholds),
        Target::Relative {
            relation, year: t1, ..
        } => relative(inputs, year, *t1, *relation),
        Target::Qualitative {
            statement,
            year: t1,
            ..
        } => {
            let e = Evaluation::empty("qualitative", year, *t1);
            match inputs.assessment {
                Some(text) => e.say(
                    Status::NotAssessable,
                    format!("定性目标“{}”：{text}", statement.zh),
                    format!("Qualitative target \"{}\": {text}", statement.en_or_zh()),
                ),
                None => e.say(
                    Status::NoData,
                    format!("定性目标“{}”：尚无评估意见", statement.zh),
                    format!(
                        "Qualitative target \"{}\": no assessment entered yet",
                        statement.en_or_zh()
                    ),
                ),
            }
        }
    }
}

/// Levels and shares: compound for levels, linear (percentage points) for percentages.
#[allow(clippy::too_many_arguments)]
fn level(
    indicator: &Indicator,
    inputs: &Inputs<'_>,
    year: u16,
    t1: u16,
    target: f64,
    strict: bool,
    d: f64,
    thresholds: &Thresholds,
    kind: &'static str,
) -> Evaluation {
    let mut e = Evaluation::empty(kind, year, t1);
    e.target_value = Some(target);
    let linear = indicator.is_percentage();
    // The baseline: the base-year observation (latest revision), else the plan's.
    let t0 = indicator
        .baseline
        .as_ref()
        .map_or(inputs.base_year, |b| b.year);
    let baseline = inputs
        .series
        .get(&t0)
        .copied()
        .or_else(|| indicator.baseline.as_ref().map(|b| b.value));
    e.baseline_year = Some(t0);
    e.baseline_value = baseline;
    let Some(b) = baseline else {
        return e.say(
            Status::NotAssessable,
            format!("缺少{t0}年基期值"),
            format!("no baseline for {t0}"),
        );
    };
    let span = f64::from(t1.saturating_sub(t0));
    if span <= 0.0 {
        return e.say(
            Status::NotAssessable,
            "目标年不晚于基期年",
            "the target year is not after the base year",
        );
    }
    if !linear && (b <= 0.0 || target <= 0.0) {
        return e.say(
            Status::NotAssessable,
            "基期值或目标值非正，无法计算复合增速",
            "a non-positive baseline or target has no compound growth",
        );
    }
    let r0 = if linear {
        (target - b) / span
    } else {
        (target / b).powf(1.0 / span) - 1.0
    };
    let path = |y: u16| {
        let k = f64::from(y - t0);
        if linear {
            b + r0 * k
        } else {
            b * (1.0 + r0).powf(k)
        }
    };
    e.milestones = (t0..=t1).map(|y| (y, path(y))).collect();
    e.required_growth = Some(r0);
    let Some((t, v)) = latest(inputs.series, t0, year.min(t1)) else {
        return e.say(
            Status::NoData,
            format!("{}—{year}年没有观测值", t0 + 1),
            format!("no observation in {}–{year}", t0 + 1),
        );
    };
    e.latest_year = Some(t);
    e.latest_value = Some(v);
    if !linear && v <= 0.0 {
        return e.say(
            Status::NotAssessable,
            "最新值非正，无法计算复合增速",
            "a non-positive latest value has no compound growth",
        );
    }
    let elapsed_years = f64::from(t - t0);
    let remaining = f64::from(t1 - t);
    let a = if linear {
        (v - b) / elapsed_years
    } else {
        (v / b).powf(1.0 / elapsed_years) - 1.0
    };
    let p = if linear {
        v + a * remaining
    } else {
        v * (1.0 + a).powf(remaining)
    };
    e.actual_growth = Some(a);
    e.projection = Some(p);
    e.completion = (target != 0.0).then(|| v / target);
    e.distance_covered = (target != b).then(|| (v - b) / (target - b));
    e.time_elapsed = Some(elapsed_years / span);
    e.time_rule_met = e
        .distance_covered
        .zip(e.time_elapsed)
        .map(|(dc, te)| dc >= te - 1e-12);
    e.projection_meets_target = Some(meets(p, target, strict, d));
    let m = path(t);
    e.milestone_gap = Some(if linear { v - m } else { v / m - 1.0 });
    let met = meets(v, target, strict, d);
    e.required_growth_remaining = (!met && t < t1).then(|| {
        if linear {
            (target - v) / remaining
        } else {
            (target / v).powf(1.0 / remaining) - 1.0
        }
    });
    // R wherever the path leads somewhere (the baseline does not meet the target already): at
    // the target year and once met too, since final reports state it for every indicator.
    e.growth_ratio = (d * r0 > 0.0).then(|| a / r0);
    let unit = if linear { "个百分点" } else { "%" };
    let rate = |x: f64| {
        if linear {
            format!("{}{unit}", fmt_num((x * 100.0).round() / 100.0))
        } else {
            pct(x)
        }
    };
    if met {
        return e.say(
            Status::Achieved,
            format!("{t}年为 {}，已达到目标 {}", fmt_num(v), fmt_num(target)),
            format!("{} in {t} meets the target {}", fmt_num(v), fmt_num(target)),
        );
    }
    if t >= t1 {
        return e.say(
            Status::NotAchieved,
            format!(
                "目标年{t1}年为 {}，未达到目标 {}",
                fmt_num(v),
                fmt_num(target)
            ),
            format!(
                "{} in the target year {t1} misses the target {}",
                fmt_num(v),
                fmt_num(target)
            ),
        );
    }
    let Some(r) = e.growth_ratio else {
        return e.say(
            Status::Deterioration,
            format!("基期已达到目标，但{t}年为 {}，回落至目标以下", fmt_num(v)),
            format!(
                "the baseline met the target, but {} in {t} has fallen short of it",
                fmt_num(v)
            ),
        );
    };
    let needed = e.required_growth_remaining.unwrap_or(r0);
    let status = by_ratio(r, thresholds);
    let per_year = if linear {
        "每年提高"
    } else {
        "年均增长"
    };
    e.say(
        status,
        format!(
            "需{per_year} {} 才能实现目标（目前为 {}，预计{t1}年为 {}）",
            rate(needed),
            rate(a),
            fmt_num(round2(p))
        ),
        format!(
            "needs {} a year to meet the target (so far {}; projected {} in {t1})",
            if linear {
                format!("{} points", fmt_num((needed * 100.0).round() / 100.0))
            } else {
                pct(needed)
            },
            if linear {
                format!("{} points", fmt_num((a * 100.0).round() / 100.0))
            } else {
                pct(a)
            },
            fmt_num(round2(p))
        ),
    )
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Growth observed since the base of a growth target.
struct Observed {
    latest_year: u16,
    rate: f64,
    /// Levels at the base and at the latest year, when growth came from levels.
    ends: Option<(f64, f64)>,
}

/// The compound average growth of levels from `from` to the latest year, or the geometric mean of
/// yearly growth rates (in %) where only those are observed.
fn observed_growth(
    levels: Option<&Series>,
    rates: Option<&Series>,
    from: u16,
    upto: u16,
) -> Option<Observed> {
    if let Some(levels) = levels
        && let Some(b) = levels.get(&from).copied()
        && let Some((t, v)) = latest(levels, from, upto)
        && b > 0.0
        && v > 0.0
    {
        return Some(Observed {
            latest_year: t,
            rate: (v / b).powf(1.0 / f64::from(t - from)) - 1.0,
            ends: Some((b, v)),
        });
    }
    let rates = rates?;
    let observed = years(rates, from.saturating_add(1), upto);
    let (last, _) = *observed.last()?;
    let product: f64 = observed.iter().map(|(_, g)| 1.0 + g / 100.0).product();
    Some(Observed {
        latest_year: last,
        rate: product.powf(1.0 / observed.len() as f64) - 1.0,
        ends: None,
    })
}

fn average_growth(
    indicator: &Indicator,
    inputs: &Inputs<'_>,
    year: u16,
    from: u16,
    to: u16,
    goal: f64,
    thresholds: &Thresholds,
) -> Evaluation {
    let mut e = Evaluation::empty("average_growth", year, to);
    e.target_value = Some(goal * 100.0);
    e.required_growth = Some(goal);
    e.baseline_year = Some(from);
    let (levels, rates) = if indicator.is_percentage() {
        (inputs.levels, Some(inputs.series))
    } else {
        (Some(inputs.series), None)
    };
    if let Some(b) = levels.and_then(|l| l.get(&from)).copied() {
        e.baseline_value = Some(b);
        e.milestones = (from..=to)
            .map(|y| (y, b * (1.0 + goal).powi(i32::from(y - from))))
            .collect();
    }
    let Some(Observed {
        latest_year: t,
        rate: a,
        ends,
    }) = observed_growth(levels, rates, from, year.min(to))
    else {
        return e.say(
            Status::NoData,
            format!("{}—{year}年没有可计算增速的数据", from + 1),
            format!("no data to compute growth over {}–{year}", from + 1),
        );
    };
    let span = f64::from(to - from);
    let elapsed = f64::from(t - from);
    e.latest_year = Some(t);
    e.latest_value = ends.map(|(_, v)| v);
    e.actual_growth = Some(a);
    e.time_elapsed = Some(elapsed / span);
    let achieved_so_far = (1.0 + a).powf(elapsed) - 1.0;
    let needed_total = (1.0 + goal).powf(span) - 1.0;
    e.distance_covered = (needed_total != 0.0).then(|| achieved_so_far / needed_total);
    e.time_rule_met = e
        .distance_covered
        .zip(e.time_elapsed)
        .map(|(dc, te)| dc >= te - 1e-12);
    e.completion = e.distance_covered;
    if let Some((_, v)) = ends {
        e.projection = Some(v * (1.0 + a).powf(f64::from(to - t)));
        if let Some(m) = e.milestones.get(&t) {
            e.milestone_gap = Some(v / m - 1.0);
        }
    }
    e.projection_meets_target = Some(a >= goal - 1e-12);
    if indicator.is_percentage() {
        // A growth-rate indicator: its own figure is the average growth so far, in %; the
        // levels it was measured through keep their own unit, apart.
        if inputs.levels.is_some() {
            e.levels = Some(Levels {
                baseline_value: e.baseline_value.take(),
                latest_value: e.latest_value,
                projection: e.projection.take(),
                milestones: std::mem::take(&mut e.milestones),
            });
        }
        e.latest_value = Some(a * 100.0);
    }
    if t < to {
        e.required_growth_remaining = Some(
            ((1.0 + goal).powf(span) / (1.0 + a).powf(elapsed)).powf(1.0 / f64::from(to - t)) - 1.0,
        );
    }
    let r = if goal != 0.0 {
        a / goal
    } else if a >= 0.0 {
        1.0
    } else {
        -1.0
    };
    e.growth_ratio = Some(r);
    if t >= to {
        return if a >= goal - 1e-12 {
            e.say(
                Status::Achieved,
                format!("{from}—{t}年年均增长 {}，达到目标 {}", pct(a), pct(goal)),
                format!(
                    "average growth {} over {from}–{t} meets the target {}",
                    pct(a),
                    pct(goal)
                ),
            )
        } else {
            e.say(
                Status::NotAchieved,
                format!("{from}—{t}年年均增长 {}，低于目标 {}", pct(a), pct(goal)),
                format!(
                    "average growth {} over {from}–{t} misses the target {}",
                    pct(a),
                    pct(goal)
                ),
            )
        };
    }
    let needed = e.required_growth_remaining.unwrap_or(goal);
    e.say(
        by_ratio(r, thresholds),
        format!(
            "{from}—{t}年年均增长 {}；今后需年均增长 {} 才能实现 {} 的目标",
            pct(a),
            pct(needed),
            pct(goal)
        ),
        format!(
            "average growth {} over {from}–{t}; needs {} a year from now on for the target {}",
            pct(a),
            pct(needed),
            pct(goal)
        ),
    )
}

fn growth_range(
    inputs: &Inputs<'_>,
    year: u16,
    from: u16,
    to: u16,
    (lo, hi): (f64, f64),
    basis: GrowthBasis,
    thresholds: &Thresholds,
) -> Evaluation {
    let mut e = Evaluation::empty("growth_range", year, to);
    e.target_value = Some(lo * 100.0);
    e.required_growth = Some(lo);
    e.baseline_year = Some(from);
    // Real growth needs published growth rates; levels in current prices give nominal growth.
    let (levels, rates, nominal) = match (basis, inputs.growth) {
        (GrowthBasis::Real, Some(rates)) => (None, Some(rates), false),
        (GrowthBasis::Real, None) => (Some(inputs.series), None, true),
        (GrowthBasis::Nominal, _) => (Some(inputs.series), inputs.growth, false),
    };
    if let Some(b) = inputs.series.get(&from).copied() {
        e.baseline_value = Some(b);
    }
    let Some(Observed {
        latest_year: t,
        rate: a,
        ends,
    }) = observed_growth(levels, rates, from, year.min(to))
    else {
        return e.say(
            Status::NoData,
            format!("{}—{year}年没有增速数据", from + 1),
            format!("no growth data for {}–{year}", from + 1),
        );
    };
    e.latest_year = Some(t);
    e.latest_value = ends.map(|(_, v)| v);
    e.actual_growth = Some(a);
    e.time_elapsed = Some(f64::from(t - from) / f64::from(to - from));
    let caveat_zh = if nominal {
        "（按现价水平值计算，非可比价）"
    } else {
        ""
    };
    let caveat_en = if nominal {
        " (from current-price levels, not real growth)"
    } else {
        ""
    };
    let range = format!("{}—{}", pct(lo), pct(hi));
    if a >= lo - 1e-12 {
        e.growth_ratio = Some(if lo != 0.0 { a / lo } else { 1.0 });
        e.projection_meets_target = Some(true);
        let (zh, en) = if a > hi + 1e-12 {
            ("高于", "above")
        } else {
            ("处于", "within")
        };
        let status = if t >= to {
            Status::Achieved
        } else {
            Status::OnTrack
        };
        return e.say(
            status,
            format!(
                "{from}—{t}年年均增长 {}{caveat_zh}，{zh}目标区间 {range}",
                pct(a)
            ),
            format!(
                "average growth {}{caveat_en} over {from}–{t} is {en} the range {range}",
                pct(a)
            ),
        );
    }
    e.projection_meets_target = Some(false);
    let r = if lo != 0.0 { a / lo } else { -1.0 };
    e.growth_ratio = Some(r);
    let status = if t >= to {
        Status::NotAchieved
    } else {
        by_ratio(r, thresholds)
    };
    e.say(
        status,
        format!(
            "{from}—{t}年年均增长 {}{caveat_zh}，低于目标区间 {range}",
            pct(a)
        ),
        format!(
            "average growth {}{caveat_en} over {from}–{t} is below the range {range}",
            pct(a)
        ),
    )
}

#[allow(clippy::too_many_arguments)]
fn cumulative(
    inputs: &Inputs<'_>,
    year: u16,
    from: u16,
    to: u16,
    target: f64,
    strict: bool,
    d: f64,
    thresholds: &Thresholds,
) -> Evaluation {
    let mut e = Evaluation::empty("cumulative", year, to);
    e.target_value = Some(target);
    let t0 = from.saturating_sub(1);
    e.baseline_year = Some(t0);
    e.baseline_value = Some(0.0);
    let span = f64::from(to - t0);
    e.milestones = (t0..=to)
        .map(|y| (y, target * f64::from(y - t0) / span))
        .collect();
    let upto = year.min(to);
    let values = years(inputs.series, from, upto);
    let Some(&(t, _)) = values.last() else {
        return e.say(
            Status::NoData,
            format!("{from}—{year}年没有观测值",),
            format!("no observation in {from}–{year}"),
        );
    };
    let sum: f64 = values.iter().map(|(_, v)| v).sum();
    let elapsed = f64::from(t - t0);
    let p = sum * span / elapsed;
    e.latest_year = Some(t);
    e.latest_value = Some(sum);
    e.completion = (target != 0.0).then(|| sum / target);
    e.distance_covered = e.completion;
    e.time_elapsed = Some(elapsed / span);
    e.time_rule_met = e
        .distance_covered
        .zip(e.time_elapsed)
        .map(|(dc, te)| dc >= te - 1e-12);
    e.projection = Some(p);
    e.projection_meets_target = Some(meets(p, target, strict, d));
    e.milestone_gap = e.milestones.get(&t).map(|m| sum - m);
    let r = if target != 0.0 { p / target } else { 1.0 };
    e.growth_ratio = Some(r);
    let gaps = (from..=t)
        .filter(|y| !inputs.series.contains_key(y))
        .count();
    let gap_zh = if gaps > 0 {
        format!("（缺 {gaps} 年数据）")
    } else {
        String::new()
    };
    let gap_en = if gaps > 0 {
        format!(" ({gaps} year(s) missing)")
    } else {
        String::new()
    };
    if meets(sum, target, strict, d) {
        return e.say(
            Status::Achieved,
            format!(
                "{from}—{t}年累计 {}{gap_zh}，已达到目标 {}",
                fmt_num(round2(sum)),
                fmt_num(target)
            ),
            format!(
                "{} accumulated over {from}–{t}{gap_en} meets the target {}",
                fmt_num(round2(sum)),
                fmt_num(target)
            ),
        );
    }
    if t >= to {
        return e.say(
            Status::NotAchieved,
            format!(
                "规划期累计 {}{gap_zh}，未达到目标 {}",
                fmt_num(round2(sum)),
                fmt_num(target)
            ),
            format!(
                "{} accumulated over the period{gap_en} misses the target {}",
                fmt_num(round2(sum)),
                fmt_num(target)
            ),
        );
    }
    let remaining = f64::from(to - t);
    e.say(
        by_ratio(r, thresholds),
        format!("{from}—{t}年累计 {}{gap_zh}，按此节奏{to}年累计 {}；今后需年均完成 {}", fmt_num(round2(sum)), fmt_num(round2(p)), fmt_num(round2((target - sum) / remaining))),
        format!("{} accumulated over {from}–{t}{gap_en}; at this pace {} by {to}; needs {} a year from now on", fmt_num(round2(sum)), fmt_num(round2(p)), fmt_num(round2((target - sum) / remaining))),
    )
}

fn relative(inputs: &Inputs<'_>, year: u16, t1: u16, relation: Relation) -> Evaluation {
    let mut e = Evaluation::empty("relative", year, t1);
    e.baseline_year = Some(inputs.base_year);
    let Some((t, v)) = latest(inputs.series, inputs.base_year, year.min(t1)) else {
        return e.say(
            Status::NoData,
            format!("{}—{year}年没有观测值", inputs.base_year + 1),
            format!("no observation in {}–{year}", inputs.base_year + 1),
        );
    };
    e.latest_year = Some(t);
    e.latest_value = Some(v);
    let Some(reference) = inputs.reference.and_then(|r| r.get(&t)).copied() else {
        return e.say(
            Status::NotAssessable,
            format!("缺少参照地区{t}年数据"),
            format!("no reference value for {t}"),
        );
    };
    e.target_value = Some(reference);
    e.completion = (reference != 0.0).then(|| v / reference);
    let met = match relation {
        Relation::Above => v > reference,
        Relation::AtLeast => v >= reference,
    };
    e.projection_meets_target = Some(met);
    let (v_s, r_s) = (fmt_num(v), fmt_num(reference));
    match (met, t >= t1) {
        (true, true) => e.say(
            Status::Achieved,
            format!("{t}年为 {v_s}，高于参照水平 {r_s}"),
            format!("{v_s} in {t} is above the reference {r_s}"),
        ),
        (true, false) => e.say(
            Status::OnTrack,
            format!("{t}年为 {v_s}，高于参照水平 {r_s}"),
            format!("{v_s} in {t} is above the reference {r_s}"),
        ),
        (false, true) => e.say(
            Status::NotAchieved,
            format!("目标年为 {v_s}，未高于参照水平 {r_s}"),
            format!("{v_s} in the target year is not above the reference {r_s}"),
        ),
        (false, false) => e.say(
            Status::AccelerationNeeded,
            format!("{t}年为 {v_s}，未高于参照水平 {r_s}"),
            format!("{v_s} in {t} is not above the reference {r_s}"),
        ),
    }
}
