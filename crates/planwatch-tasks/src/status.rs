//! The status of a task or a key project on a day, by rule, from its progress reports
//! (`docs/tasks.md` states the rules; [`StatusRules`] holds the thresholds).
//!
//! Only reports dated on or before the day count: what was reported later was not known then.
//! Precedence: done (已完成) first; then a deadline passed (逾期); then a missing report for the
//! period due (未报送); then progress against time and nodes (严重滞后, 进度滞后, 未启动, 正常推进).

use chrono::{Datelike, NaiveDate};
use planwatch_plan::{Frequency, Period, Text};
use serde::{Deserialize, Serialize};

use planwatch_workflow::calendar::period_end;

use crate::deadline::Deadline;
use crate::model::{Project, Stage, Task};

/// The thresholds of the status rules. The defaults are documented on each field and in
/// `docs/tasks.md`; a plan may later set its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusRules {
    /// Percentage points by which reported progress may trail the progress the time elapsed
    /// calls for before the work is lagging (进度滞后). Default 10.
    pub lagging_points: f64,
    /// … before it is seriously lagging (严重滞后). Default 30.
    pub serious_points: f64,
    /// Days a node (or a project's planned start) may pass without its result before lagging
    /// turns serious. Default 30.
    pub serious_after_days: u32,
    /// How often units report progress. Default quarterly.
    pub frequency: Frequency,
    /// Days after a period's end its report is due; a report still missing the day after is
    /// 未报送. Default 10.
    pub report_due_days: u32,
}

impl Default for StatusRules {
    fn default() -> StatusRules {
        StatusRules {
            lagging_points: 10.0,
            serious_points: 30.0,
            serious_after_days: 30,
            frequency: Frequency::Quarter,
            report_due_days: 10,
        }
    }
}

impl StatusRules {
    /// The thresholds `plan` sets in its `[tasks.status]` section (the defaults where it sets
    /// none).
    pub fn from_plan(plan: &planwatch_plan::Plan) -> StatusRules {
        let s = plan.task_rules().status;
        StatusRules {
            lagging_points: s.lagging_points,
            serious_points: s.serious_points,
            serious_after_days: s.serious_after_days,
            frequency: s.report_frequency,
            report_due_days: s.report_due_days,
        }
    }
}

/// A task's or project's status, ordered best to worst (what the proptests call worse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 已完成
    Done,
    /// 正常推进 (green)
    OnSchedule,
    /// 未启动: nothing reported done yet, and not yet late for it.
    NotStarted,
    /// 进度滞后 (yellow)
    Lagging,
    /// 未报送: no report for the period due.
    NotReported,
    /// 严重滞后 (red)
    Serious,
    /// 逾期: the deadline passed, the work not done (red).
    Overdue,
}

/// The traffic light of a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Light {
    Green,
    Grey,
    Yellow,
    Red,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Done,
        Status::OnSchedule,
        Status::NotStarted,
        Status::Lagging,
        Status::NotReported,
        Status::Serious,
        Status::Overdue,
    ];

    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnSchedule => "on_schedule",
            Status::NotStarted => "not_started",
            Status::Lagging => "lagging",
            Status::NotReported => "not_reported",
            Status::Serious => "serious",
            Status::Overdue => "overdue",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text || s.label_zh() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Done => "已完成",
            Status::OnSchedule => "正常推进",
            Status::NotStarted => "未启动",
            Status::Lagging => "进度滞后",
            Status::NotReported => "未报送",
            Status::Serious => "严重滞后",
            Status::Overdue => "逾期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::OnSchedule => "on schedule",
            Status::NotStarted => "not started",
            Status::Lagging => "lagging",
            Status::NotReported => "not reported",
            Status::Serious => "seriously lagging",
            Status::Overdue => "overdue",
        }
    }

    pub fn light(self) -> Light {
        match self {
            Status::Done | Status::OnSchedule => Light::Green,
            Status::NotStarted => Light::Grey,
            Status::Lagging | Status::NotReported => Light::Yellow,
            Status::Serious | Status::Overdue => Light::Red,
        }
    }
}

/// How far a task has come, as a unit reports it: a share, or a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Percent done, 0–100 (values beyond are taken as the nearer bound).
    Percent(f64),
    /// 未启动
    NotStarted,
    /// 推进中: under way, no share given.
    UnderWay,
    /// 已完成
    Done,
}

impl Progress {
    /// A progress as written: a share (`60`, `60%`; 0–100 is the caller's check), or
    /// `not_started`, `under_way`, `done` (未启动, 推进中, 已完成).
    pub fn parse(text: &str) -> Option<Progress> {
        let text = text.trim();
        match text {
            "未启动" | "not_started" => Some(Progress::NotStarted),
            "推进中" | "under_way" => Some(Progress::UnderWay),
            "已完成" | "done" => Some(Progress::Done),
            _ => text
                .trim_end_matches(['%', '％'])
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite())
                .map(Progress::Percent),
        }
    }

    /// The share done, where the report gives one.
    fn percent(self) -> Option<f64> {
        match self {
            Progress::Percent(p) if p.is_nan() => Some(0.0),
            Progress::Percent(p) => Some(p.clamp(0.0, 100.0)),
            Progress::NotStarted => Some(0.0),
            Progress::UnderWay => None,
            Progress::Done => Some(100.0),
        }
    }

    fn is_done(self) -> bool {
        self.percent() == Some(100.0)
    }
}

/// A unit's progress report on a task for a reporting period.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskReport {
    pub period: Period,
    /// The day the report was made (approved reports: the day it was submitted).
    pub date: NaiveDate,
    pub progress: Progress,
    pub text: String,
    /// Indices of the task's nodes whose result the report says is achieved.
    pub nodes_met: Vec<usize>,
}

/// A status with what it was decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    /// The share done the time elapsed calls for (tasks with a day; projects: of the year's
    /// planned investment).
    pub expected_percent: Option<f64>,
    /// The share done as last reported.
    pub reported_percent: Option<f64>,
    /// The day of the report that said the work was done (the first of the last run of such).
    pub done_on: Option<NaiveDate>,
    /// Indices of nodes passed without their result.
    pub missed_nodes: Vec<usize>,
    /// The period whose report is missing.
    pub missing: Option<Period>,
    pub reason: Text,
}

/// The first day of `period`.
pub(crate) fn period_start(period: Period) -> NaiveDate {
    let (year, month) = match period {
        Period::Year(year) => (year, 1),
        Period::Quarter(year, quarter) => (year, u32::from(quarter) * 3 - 2),
        Period::Month(year, month) => (year, u32::from(month)),
    };
    NaiveDate::from_ymd_opt(i32::from(year), month, 1).unwrap_or(NaiveDate::MIN)
}

/// The period of `frequency` that `day` falls in.
fn period_of(day: NaiveDate, frequency: Frequency) -> Period {
    let year = u16::try_from(day.year()).unwrap_or(u16::MAX);
    match frequency {
        Frequency::Year => Period::Year(year),
        Frequency::Quarter => Period::Quarter(year, (day.month0() / 3 + 1) as u8),
        Frequency::Month => Period::Month(year, day.month() as u8),
    }
}

/// The latest period of the rules' frequency that overlaps `start..=end` and whose report was
/// due before `today`: the period a unit must have reported (or reported since) by `today`.
pub fn period_due(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    rules: &StatusRules,
) -> Option<Period> {
    let mut period = period_of(today.min(end), rules.frequency);
    loop {
        let last = period_end(period);
        if last < start {
            return None;
        }
        let due = last + chrono::Days::new(u64::from(rules.report_due_days));
        if due < today {
            return Some(period);
        }
        let before = period_start(period).pred_opt()?;
        period = period_of(before, rules.frequency);
    }
}

/// Whether a report for `reported` answers for `due`: a report for that period, a shorter one
/// within it (a month of a due quarter) or a later one.
fn covers(reported: Period, due: Period) -> bool {
    period_end(reported) >= period_start(due)
}

/// The share `done` of the way from `from` to `to` that `today` has come, in percent.
fn elapsed_percent(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> f64 {
    if today >= to {
        return 100.0;
    }
    if today <= from {
        return 0.0;
    }
    let whole = (to - from).num_days() as f64;
    let gone = (today - from).num_days() as f64;
    100.0 * gone / whole
}

/// The progress expected of `task` on `today`: from 0 at its start to 100 at its deadline,
/// through the nodes that give a share. `None` for ongoing work.
pub fn expected_percent(task: &Task, today: NaiveDate) -> Option<f64> {
    let deadline = task.deadline.date()?;
    let mut points = vec![(task.start(), 0.0)];
    for node in &task.nodes {
        if let Some(percent) = node.percent
            && node.due > points.last().map_or(NaiveDate::MIN, |p| p.0)
            && node.due < deadline
        {
            points.push((node.due, percent.clamp(0.0, 100.0)));
        }
    }
    points.push((deadline.max(task.start()), 100.0));
    for pair in points.windows(2) {
        let ((from, low), (to, high)) = (pair[0], pair[1]);
        if today <= to {
            return Some(low + (high - low) * elapsed_percent(from, to, today) / 100.0);
        }
    }
    Some(100.0)
}

fn fmt(value: f64) -> String {
    planwatch_plan::fmt_num((value * 10.0).round() / 10.0)
}

/// Why work is behind.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Behind {
    /// Progress trails the progress time calls for by this many points.
    Lag(f64),
    /// Something due (a node, a planned start) passed without its result.
    Late,
}

/// Progress against time: seriously lagging when the lag passes the serious threshold or
/// something due is late by more than the serious days; lagging when the lag passes the
/// lagging threshold or anything due is late.
fn behind(
    lag: Option<f64>,
    late_days: Option<i64>,
    rules: &StatusRules,
) -> Option<(Status, Behind)> {
    let lag = lag.filter(|lag| *lag > rules.lagging_points);
    match (lag, late_days) {
        (Some(lag), _) if lag > rules.serious_points => Some((Status::Serious, Behind::Lag(lag))),
        (_, Some(days)) if days > i64::from(rules.serious_after_days) => {
            Some((Status::Serious, Behind::Late))
        }
        (Some(lag), _) => Some((Status::Lagging, Behind::Lag(lag))),
        (None, Some(_)) => Some((Status::Lagging, Behind::Late)),
        (None, None) => None,
    }
}

/// The period whose report is missing on `today`: the period due ([`period_due`]) when no
/// report answers for it.
fn missing_report(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    rules: &StatusRules,
    mut reported: impl Iterator<Item = Period>,
) -> Option<Period> {
    let period = period_due(start, end, today, rules)?;
    (!reported.any(|r| covers(r, period))).then_some(period)
}

impl Judgement {
    fn not_reported(mut self, period: Period) -> Judgement {
        self.status = Status::NotReported;
        self.missing = Some(period);
        self.reason = Text::new(
            format!("{}进展未报送", period.display_zh()),
            format!("no report for {period}"),
        );
        self
    }

    /// The lag in words: `what` is the progress measured (进度 / 年度投资完成, progress / … of
    /// the year's investment done).
    fn lag_reason(&self, lag: f64, what: (&str, &str)) -> Text {
        let reported = fmt(self.reported_percent.unwrap_or(0.0));
        let expected = fmt(self.expected_percent.unwrap_or(0.0));
        let lag = fmt(lag);
        Text::new(
            format!(
                "{} {reported}%，落后于时序进度 {expected}%（{lag} 个百分点）",
                what.0
            ),
            format!(
                "{} {reported} %, behind the {expected} % time calls for ({lag} points)",
                what.1
            ),
        )
    }
}

/// The status of `task` on `today` from its `reports`.
pub fn task_status(
    task: &Task,
    reports: &[TaskReport],
    today: NaiveDate,
    rules: &StatusRules,
) -> Judgement {
    let mut known: Vec<&TaskReport> = reports.iter().filter(|r| r.date <= today).collect();
    known.sort_by_key(|r| (r.date, r.period));
    let latest = known.last().map(|r| r.progress);
    let done_on = known
        .iter()
        .rev()
        .take_while(|r| r.progress.is_done())
        .last()
        .map(|r| r.date);
    let reported_percent = latest.map_or(Some(0.0), Progress::percent);
    let mut judgement = Judgement {
        status: Status::OnSchedule,
        expected_percent: expected_percent(task, today),
        reported_percent,
        done_on,
        missed_nodes: Vec::new(),
        missing: None,
        reason: Text::new("", ""),
    };
    if let Some(day) = done_on {
        judgement.status = Status::Done;
        judgement.reason = Text::new(
            format!("{day} 报告已完成"),
            format!("reported done on {day}"),
        );
        return judgement;
    }
    if let Deadline::By(deadline) = task.deadline
        && today > deadline
    {
        judgement.status = Status::Overdue;
        judgement.reason = Text::new(
            format!("已过完成时限 {}，尚未完成", task.deadline.zh()),
            format!("past its deadline ({deadline}) and not done"),
        );
        return judgement;
    }
    let end = task.deadline.date().unwrap_or(task.span.last_day());
    if let Some(period) = missing_report(
        task.start(),
        end,
        today,
        rules,
        known.iter().map(|r| r.period),
    ) {
        return judgement.not_reported(period);
    }
    let mut late_days = None;
    for (index, node) in task.nodes.iter().enumerate() {
        if node.due >= today {
            continue;
        }
        let met = known.iter().any(|r| {
            r.nodes_met.contains(&index)
                || matches!((node.percent, r.progress.percent()), (Some(want), Some(got)) if got >= want)
        });
        if !met {
            judgement.missed_nodes.push(index);
            late_days = late_days.max(Some((today - node.due).num_days()));
        }
    }
    let lag = match (judgement.expected_percent, reported_percent) {
        (Some(expected), Some(reported)) => Some(expected - reported),
        _ => None,
    };
    match behind(lag, late_days, rules) {
        Some((status, cause)) => {
            judgement.status = status;
            judgement.reason = match cause {
                Behind::Lag(lag) => judgement.lag_reason(lag, ("进度", "progress")),
                Behind::Late => {
                    let node = &task.nodes[judgement.missed_nodes[0]];
                    Text::new(
                        format!("节点（{}：{}）已过，未见成果", node.due, node.expected),
                        format!(
                            "node passed without its result ({}: {})",
                            node.due, node.expected
                        ),
                    )
                }
            };
        }
        None if reported_percent == Some(0.0) => {
            judgement.status = Status::NotStarted;
            judgement.reason = Text::new("尚未启动", "not started yet");
        }
        None => judgement.reason = Text::new("按时序推进", "on schedule"),
    }
    judgement
}

/// The status of `task` in each reporting period of `year` (the rules' frequency) that has
/// ended by `today`, each judged on the day its period's report is due (the period's end plus
/// [`StatusRules::report_due_days`]) or `today` when that is earlier — what supervision counts
/// its runs of yellow and red over.
pub fn status_history(
    task: &Task,
    reports: &[TaskReport],
    year: u16,
    today: NaiveDate,
    rules: &StatusRules,
) -> Vec<(Period, Status)> {
    let mut history = Vec::new();
    let mut period = period_of(crate::model::Span::Year(year).first_day(), rules.frequency);
    while period.year() == year && period_end(period) <= today {
        let due = period_end(period) + chrono::Days::new(u64::from(rules.report_due_days));
        history.push((
            period,
            task_status(task, reports, due.min(today), rules).status,
        ));
        period = crate::supervision::next_period(period);
    }
    history
}

/// A unit's progress report on a key project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectReport {
    pub period: Period,
    pub date: NaiveDate,
    /// 年度完成投资 (亿元): invested so far in the period's year.
    pub invested_year: f64,
    /// 累计完成投资 (亿元).
    pub invested_total: f64,
    pub stage: Stage,
    pub text: String,
}

/// The status of `project` in `year` on `today`: finished is done; past its planned completion
/// unfinished is overdue; a report missing for the period due is 未报送; a planned start passed
/// in 前期 lags (seriously after [`StatusRules::serious_after_days`]); the year's investment
/// completed is judged against the share of the year's plan the time elapsed calls for, with
/// the task thresholds.
pub fn project_status(
    project: &Project,
    reports: &[ProjectReport],
    year: u16,
    today: NaiveDate,
    rules: &StatusRules,
) -> Judgement {
    let mut known: Vec<&ProjectReport> = reports.iter().filter(|r| r.date <= today).collect();
    known.sort_by_key(|r| (r.date, r.period));
    let stage = known.last().map_or(project.stage, |r| r.stage);
    let year_start = crate::model::Span::Year(year).first_day();
    let year_end = crate::model::Span::Year(year).last_day();
    let from = project.planned_start.clamp(year_start, year_end);
    let to = project.planned_completion.clamp(year_start, year_end);
    let plan = project.planned_for(year).filter(|p| *p > 0.0);
    let invested = known
        .iter()
        .rev()
        .find(|r| r.period.year() == year)
        .map_or(0.0, |r| r.invested_year);
    let expected_percent = plan.map(|_| elapsed_percent(from, to.max(from), today));
    let reported_percent = plan.map(|p| (100.0 * invested / p).clamp(0.0, 100.0));
    let mut judgement = Judgement {
        status: Status::OnSchedule,
        expected_percent,
        reported_percent,
        done_on: None,
        missed_nodes: Vec::new(),
        missing: None,
        reason: Text::new("按计划推进", "on plan"),
    };
    if stage.finished() {
        judgement.status = Status::Done;
        judgement.done_on = known.iter().find(|r| r.stage.finished()).map(|r| r.date);
        judgement.reason = Text::new(
            format!("已{}", stage.label_zh()),
            stage.label_en().to_owned(),
        );
        return judgement;
    }
    if today > project.planned_completion {
        judgement.status = Status::Overdue;
        judgement.reason = Text::new(
            format!("已过计划竣工时间 {}，尚未竣工", project.planned_completion),
            format!(
                "past its planned completion ({}) and not completed",
                project.planned_completion
            ),
        );
        return judgement;
    }
    if project.active_in(year)
        && let Some(period) =
            missing_report(from, year_end, today, rules, known.iter().map(|r| r.period))
    {
        return judgement.not_reported(period);
    }
    let start_late = (!stage.started() && today > project.planned_start)
        .then(|| (today - project.planned_start).num_days());
    let lag = match (expected_percent, reported_percent) {
        (Some(expected), Some(reported)) => Some(expected - reported),
        _ => None,
    };
    match behind(lag, start_late, rules) {
        Some((status, cause)) => {
            judgement.status = status;
            judgement.reason = match cause {
                Behind::Lag(lag) => {
                    judgement.lag_reason(lag, ("年度投资完成", "of the year's investment done"))
                }
                Behind::Late => Text::new(
                    format!("计划开工时间 {} 已过，尚未开工", project.planned_start),
                    format!(
                        "planned start ({}) passed, not yet started",
                        project.planned_start
                    ),
                ),
            };
        }
        None if !stage.started() => {
            judgement.status = Status::NotStarted;
            judgement.reason = Text::new(
                "前期阶段，未到计划开工时间",
                "in preparation, before its planned start",
            );
        }
        None => {}
    }
    judgement
}

#[cfg(test)]
mod tests;
