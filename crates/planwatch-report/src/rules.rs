//! The judgements of a report, from an indicator's evaluation: its category (提前实现, 快于预期,
//! 基本符合预期, 滞后, 暂无数据), its trend for the target year (预计能够完成, 完成有难度,
//! 预计难以完成, or 已实现) and the overall verdict. The rules are those of `docs/reports.md`
//! and, for the categories, `docs/methodology.md`.

use planwatch_eval::{Evaluation, Status};

use crate::model::Lang;

/// An on-track indicator is 快于预期 when its growth ratio R (actual growth over the growth the
/// target needs from the baseline) is at least this …
pub const AHEAD_GROWTH_RATIO: f64 = 1.1;
/// … or, when it has no growth ratio (shares, linear paths), when the distance it has covered
/// exceeds the time elapsed by at least this much.
pub const AHEAD_MARGIN: f64 = 0.1;
/// A projection short of the target still counts as 完成有难度 (rather than 预计难以完成) when it
/// covers at least this share of the distance remaining from the latest value to the target.
pub const DIFFICULT_SHARE: f64 = 0.9;
/// The plan's main targets progress 总体符合预期 when at least this share of the indicators with
/// data are 基本符合预期 or better.
pub const ON_PACE_SHARE: f64 = 2.0 / 3.0;

/// Where an indicator stands, as evaluation reports count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// 提前实现: the target met before its year.
    Early,
    /// 快于预期: on track and clearly ahead.
    Ahead,
    /// 基本符合预期: on track (or the target met in its year).
    OnPace,
    /// 滞后: acceleration needed, limited progress, deterioration, or not achieved.
    Behind,
    /// 暂无数据: no data, or a qualitative target without an assessment.
    NoData,
}

impl Category {
    /// Every category, in the order reports list them.
    pub const ALL: [Category; 5] = [
        Category::Early,
        Category::Ahead,
        Category::OnPace,
        Category::Behind,
        Category::NoData,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Zh, Category::Early) => "提前实现",
            (Lang::Zh, Category::Ahead) => "快于预期",
            (Lang::Zh, Category::OnPace) => "基本符合预期",
            (Lang::Zh, Category::Behind) => "滞后",
            (Lang::Zh, Category::NoData) => "暂无数据",
            (Lang::En, Category::Early) => "Met early",
            (Lang::En, Category::Ahead) => "Ahead of pace",
            (Lang::En, Category::OnPace) => "On pace",
            (Lang::En, Category::Behind) => "Behind",
            (Lang::En, Category::NoData) => "No data",
        }
    }

    /// 基本符合预期 or better.
    pub fn on_pace_or_better(self) -> bool {
        matches!(self, Category::Early | Category::Ahead | Category::OnPace)
    }
}

/// The category of a target from its evaluation. A qualitative target is classified by the
/// planner's assessment (`assessment`): the first of the category words it uses (已实现 counts
/// as 提前实现 before the target year); an assessment using none of them is 基本符合预期.
pub fn category(e: &Evaluation, assessment: Option<&str>) -> Category {
    let before_target_year = e.year < e.target_year;
    match e.status {
        Status::Achieved if before_target_year => Category::Early,
        Status::Achieved => Category::OnPace,
        Status::OnTrack if ahead(e) => Category::Ahead,
        Status::OnTrack => Category::OnPace,
        Status::AccelerationNeeded
        | Status::LimitedProgress
        | Status::Deterioration
        | Status::NotAchieved => Category::Behind,
        Status::NotAssessable if e.kind == "qualitative" => {
            assessment.map_or(Category::NoData, |a| by_words(a, before_target_year))
        }
        Status::NoData | Status::NotAssessable => Category::NoData,
    }
}

/// On track and clearly ahead: R ≥ [`AHEAD_GROWTH_RATIO`], or without R, distance covered ≥
/// time elapsed + [`AHEAD_MARGIN`].
fn ahead(e: &Evaluation) -> bool {
    match (e.growth_ratio, e.distance_covered, e.time_elapsed) {
        (Some(r), _, _) => r >= AHEAD_GROWTH_RATIO,
        (None, Some(d), Some(t)) => d >= t + AHEAD_MARGIN,
        _ => false,
    }
}

/// A planner's words about a qualitative target, as a category.
fn by_words(assessment: &str, before_target_year: bool) -> Category {
    let has = |words: &[&str]| words.iter().any(|w| assessment.contains(w));
    if has(&["滞后", "落后", "未达", "难以"]) {
        Category::Behind
    } else if has(&["提前实现", "已实现"]) && before_target_year {
        Category::Early
    } else if has(&["快于预期", "好于预期", "超预期"]) {
        Category::Ahead
    } else {
        Category::OnPace
    }
}

/// Will the target be met in its year?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trend {
    /// 已实现
    Achieved,
    /// 预计能够完成
    Likely,
    /// 完成有难度
    Difficult,
    /// 预计难以完成
    Unlikely,
    /// No projection and no status to judge by.
    Unknown,
}

impl Trend {
    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Zh, Trend::Achieved) => "已实现",
            (Lang::Zh, Trend::Likely) => "预计能够完成",
            (Lang::Zh, Trend::Difficult) => "完成有难度",
            (Lang::Zh, Trend::Unlikely) => "预计难以完成",
            (Lang::Zh, Trend::Unknown) => "—",
            (Lang::En, Trend::Achieved) => "Achieved",
            (Lang::En, Trend::Likely) => "Likely to be met",
            (Lang::En, Trend::Difficult) => "Difficult",
            (Lang::En, Trend::Unlikely) => "Unlikely to be met",
            (Lang::En, Trend::Unknown) => "—",
        }
    }
}

/// The trend for the target year: 已实现 when achieved; from the projection p (at the pace so
/// far) when there is one — 预计能够完成 when it meets the target, 完成有难度 when it covers at
/// least [`DIFFICULT_SHARE`] of the distance from the latest value v to the target T
/// ((p − v) / (T − v)), else 预计难以完成 — for a growth-rate target the level path is used;
/// without a projection, from the status (on track: 预计能够完成, acceleration needed: 完成有难度,
/// behind otherwise: 预计难以完成).
pub fn trend(e: &Evaluation) -> Trend {
    if e.status == Status::Achieved {
        return Trend::Achieved;
    }
    if e.status == Status::NotAchieved {
        return Trend::Unlikely;
    }
    if e.projection_meets_target == Some(true) {
        return Trend::Likely;
    }
    let path = match &e.levels {
        Some(l) => (
            l.projection,
            l.latest_value,
            l.milestones.get(&e.target_year).copied(),
        ),
        None => (e.projection, e.latest_value, e.target_value),
    };
    if let (Some(p), Some(v), Some(t)) = path {
        return by_projection(p, v, t);
    }
    match e.status {
        Status::OnTrack => Trend::Likely,
        Status::AccelerationNeeded => Trend::Difficult,
        Status::LimitedProgress | Status::Deterioration => Trend::Unlikely,
        _ => Trend::Unknown,
    }
}

/// The trend from a projection `p`, the latest value `v` and the target `t`, either direction.
fn by_projection(p: f64, v: f64, t: f64) -> Trend {
    let remaining = t - v;
    if remaining.abs() < 1e-12 || (p - t) * remaining.signum() >= 0.0 {
        return Trend::Likely;
    }
    if (p - v) / remaining >= DIFFICULT_SHARE {
        Trend::Difficult
    } else {
        Trend::Unlikely
    }
}

/// The overall judgement of a report's section 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Share of the plan period elapsed at the evaluated year.
    pub time_elapsed: f64,
    /// 时间过半、任务过半: when at least half the period has elapsed and some indicator has a
    /// distance covered, whether the median distance covered is at least the time elapsed.
    pub half_time_half_task: Option<bool>,
    /// Indicators with data, and of them those 基本符合预期 or better.
    pub with_data: usize,
    pub on_pace: usize,
}

impl Verdict {
    /// `time_elapsed` of the plan; the `categories` and `distances` (distance covered, where
    /// known) of its main indicators.
    pub fn new(time_elapsed: f64, categories: &[Category], distances: &[f64]) -> Verdict {
        let with_data = categories
            .iter()
            .filter(|c| **c != Category::NoData)
            .count();
        let on_pace = categories.iter().filter(|c| c.on_pace_or_better()).count();
        let half_time_half_task = (time_elapsed >= 0.5)
            .then(|| median(distances))
            .flatten()
            .map(|m| m >= time_elapsed - 1e-9);
        Verdict {
            time_elapsed,
            half_time_half_task,
            with_data,
            on_pace,
        }
    }

    /// Whether the main targets progress as expected overall: at least [`ON_PACE_SHARE`] of those
    /// with data on pace or better; `None` when none has data.
    pub fn as_expected(&self) -> Option<bool> {
        (self.with_data > 0)
            .then_some(self.on_pace as f64 >= ON_PACE_SHARE * self.with_data as f64 - 1e-9)
    }

    /// The set phrase: 主要目标指标进展总体符合预期, 部分主要目标指标进展滞后, or that there is
    /// no data yet.
    pub fn phrase(&self, lang: Lang) -> &'static str {
        match (lang, self.as_expected()) {
            (Lang::Zh, Some(true)) => "主要目标指标进展总体符合预期",
            (Lang::Zh, Some(false)) => "部分主要目标指标进展滞后",
            (Lang::Zh, None) => "主要目标指标暂无监测数据",
            (Lang::En, Some(true)) => "the main targets are progressing as expected overall",
            (Lang::En, Some(false)) => "some main targets are behind",
            (Lang::En, None) => "there are no data on the main targets yet",
        }
    }

    /// 时间过半、任务过半 in words, when it applies.
    pub fn half_phrase(&self, lang: Lang) -> Option<&'static str> {
        self.half_time_half_task.map(|met| match (lang, met) {
            (Lang::Zh, true) => "时间过半、任务过半",
            (Lang::Zh, false) => "时间过半、任务未过半",
            (Lang::En, true) => "half the time, half the task (时间过半、任务过半)",
            (Lang::En, false) => "half the time has passed but not half the task",
        })
    }
}

/// The median of `values`, if any.
fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Share of the plan period `base_year`–`target_year` elapsed at `year`, within 0–1.
pub fn time_elapsed(base_year: u16, target_year: u16, year: u16) -> f64 {
    if target_year <= base_year {
        return 1.0;
    }
    (f64::from(year.saturating_sub(base_year)) / f64::from(target_year - base_year)).clamp(0.0, 1.0)
}
