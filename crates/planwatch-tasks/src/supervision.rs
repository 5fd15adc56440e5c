//! Supervision (督查督办): a task that stays yellow or red across consecutive reporting periods
//! escalates — 提醒 (reminder) → 警示 (warning) → 督办 (supervision order) —, each level a notice
//! to the lead unit; a 督办单 must be answered in writing by a day.
//!
//! The rule ([`EscalationRules`], `docs/tasks.md`): walking back from the latest period, the run of
//! consecutive periods whose light is yellow (进度滞后, 未报送: 1 point) or red (严重滞后, 逾期:
//! [`EscalationRules::red_points`]) is counted; any other status, or a period missing from the
//! history, ends the run. Points reach 1: 提醒; [`EscalationRules::warning_at`]: 警示;
//! [`EscalationRules::order_at`]: 督办. With the defaults, yellow once is a reminder, twice a
//! warning, three times an order; red once is a warning, twice an order.

use chrono::{Days, NaiveDate};
use planwatch_access::Unit;
use planwatch_plan::{Period, Plan, Text};
use serde::{Deserialize, Serialize};

use crate::model::Task;
use crate::status::{Light, Status};

/// The escalation thresholds; defaults on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationRules {
    /// Points of a red period (a yellow one has 1). Default 2.
    pub red_points: u32,
    /// Points of the run at which a warning (警示) is due. Default 2.
    pub warning_at: u32,
    /// Points of the run at which a supervision order (督办) is due. Default 3.
    pub order_at: u32,
    /// Days a unit has to answer a 督办单. Default 10.
    pub answer_days: u32,
}

impl Default for EscalationRules {
    fn default() -> EscalationRules {
        EscalationRules {
            red_points: 2,
            warning_at: 2,
            order_at: 3,
            answer_days: 10,
        }
    }
}

impl EscalationRules {
    /// The escalation `plan` sets in its `[tasks.escalation]` section (the defaults where it
    /// sets none).
    pub fn from_plan(plan: &planwatch_plan::Plan) -> EscalationRules {
        let e = plan.task_rules().escalation;
        EscalationRules {
            red_points: e.red_points,
            warning_at: e.warning_at,
            order_at: e.order_at,
            answer_days: e.answer_days,
        }
    }
}

/// A level of escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// 提醒
    Reminder,
    /// 警示 (预警通知单)
    Warning,
    /// 督办 (督办单): to be answered in writing.
    Order,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Reminder, Level::Warning, Level::Order];

    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Reminder => "reminder",
            Level::Warning => "warning",
            Level::Order => "order",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Reminder => "提醒",
            Level::Warning => "警示",
            Level::Order => "督办",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::Reminder => "reminder",
            Level::Warning => "warning",
            Level::Order => "supervision order",
        }
    }
}

/// Where a task stands in escalation at its latest period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub level: Level,
    /// The first period of the run.
    pub since: Period,
    /// Periods in the run.
    pub periods: u32,
    pub points: u32,
}

/// The period after `period`, of its kind.
pub fn next_period(period: Period) -> Period {
    match period {
        Period::Year(y) => Period::Year(y + 1),
        Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
        Period::Quarter(y, q) => Period::Quarter(y, q + 1),
        Period::Month(y, 12) => Period::Month(y + 1, 1),
        Period::Month(y, m) => Period::Month(y, m + 1),
    }
}

fn points(status: Status, rules: &EscalationRules) -> u32 {
    match status.light() {
        Light::Yellow => 1,
        Light::Red => rules.red_points,
        Light::Green | Light::Grey => 0,
    }
}

fn level_at(points: u32, rules: &EscalationRules) -> Option<Level> {
    if points >= rules.order_at {
        Some(Level::Order)
    } else if points >= rules.warning_at {
        Some(Level::Warning)
    } else if points >= 1 {
        Some(Level::Reminder)
    } else {
        None
    }
}

/// The escalation at the last period of `history` (each period's status, in order of periods).
pub fn escalation(history: &[(Period, Status)], rules: &EscalationRules) -> Option<Escalation> {
    let mut run: Option<Escalation> = None;
    let mut previous: Option<Period> = None;
    for &(period, status) in history {
        let consecutive = previous.is_some_and(|p| next_period(p) == period);
        let gained = points(status, rules);
        run = match (gained, run) {
            (0, _) => None,
            (gained, Some(run)) if consecutive => {
                let points = run.points.saturating_add(gained);
                level_at(points, rules).map(|level| Escalation {
                    level,
                    since: run.since,
                    periods: run.periods + 1,
                    points,
                })
            }
            (gained, _) => level_at(gained, rules).map(|level| Escalation {
                level,
                since: period,
                periods: 1,
                points: gained,
            }),
        };
        previous = Some(period);
    }
    run
}

/// The notices `history` calls for: a period and level each time a run reaches a higher level
/// (a new run starts again at its first level). The store records each once, by task, period
/// and level.
pub fn notices_due(history: &[(Period, Status)], rules: &EscalationRules) -> Vec<(Period, Level)> {
    let mut due = Vec::new();
    let mut last: Option<Escalation> = None;
    for end in 1..=history.len() {
        let now = escalation(&history[..end], rules);
        if let Some(now) = now {
            let rose = match last {
                Some(before) if before.since == now.since => now.level > before.level,
                _ => true,
            };
            if rose {
                due.push((history[end - 1].0, now.level));
            }
        }
        last = now;
    }
    due
}

fn unit_name(plan: &Plan, unit: &Unit) -> Text {
    let name = match unit {
        Unit::Region(code) => plan
            .regions
            .iter()
            .find(|r| &r.code == code)
            .map(|r| &r.name),
        Unit::Department(code) => plan
            .departments
            .iter()
            .find(|d| &d.code == code)
            .map(|d| &d.name),
    };
    name.cloned()
        .unwrap_or_else(|| Text::new(unit.code(), unit.code()))
}

/// A notice's words: a title and a body, in Chinese and English.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: Level,
    /// The unit it goes to: the task's (first) lead unit.
    pub unit: Option<Unit>,
    pub title: Text,
    pub body: Text,
    /// For an order: the day the answer is due.
    pub answer_by: Option<NaiveDate>,
}

/// The notice of `level` to `task`'s lead unit for `period`, issued on `issued`, with the
/// escalation that called for it.
pub fn notice(
    plan: &Plan,
    task: &Task,
    escalation: &Escalation,
    period: Period,
    status: Status,
    issued: NaiveDate,
    rules: &EscalationRules,
) -> Notice {
    let level = escalation.level;
    let unit = task.lead.first().cloned();
    let name = unit.as_ref().map_or_else(
        || Text::new("牵头单位", "lead unit"),
        |unit| unit_name(plan, unit),
    );
    let answer_by =
        (level == Level::Order).then(|| issued + Days::new(u64::from(rules.answer_days)));
    let clause = task.clause.display_zh();
    let mut zh = format!(
        "{}：你单位牵头的任务“{}”（规划条目 {}，完成时限 {}）{}状态为“{}”，已连续 {} 个报送期未达进度要求。",
        name.zh,
        task.title,
        clause,
        task.deadline.zh(),
        period.display_zh(),
        status.label_zh(),
        escalation.periods,
    );
    let mut en = format!(
        "{}: the task \"{}\" you lead (plan clause {}, due {}) is {} for {}, behind schedule for {} reporting period(s) in a row.",
        name.en_or_zh(),
        task.title,
        task.clause.0,
        task.deadline.en(),
        status.label_en(),
        period,
        escalation.periods,
    );
    match answer_by {
        Some(day) => {
            zh.push_str(&format!(
                "现予督办，请于 {day} 前书面报告原因、整改措施和完成时间。"
            ));
            en.push_str(&format!(
                " This is a supervision order: answer in writing by {day} with the causes, the remedies and when the task will be done."
            ));
        }
        None if level == Level::Warning => {
            zh.push_str("特此警示，请加快推进，确保按期完成。");
            en.push_str(" This is a warning: speed up to finish on time.");
        }
        None => {
            zh.push_str("特此提醒，请及时推进并按时报送进展。");
            en.push_str(" This is a reminder: move the work on and report on time.");
        }
    }
    Notice {
        level,
        unit,
        title: Text::new(
            format!("【{}】{}", level.label_zh(), task.title),
            format!("[{}] {}", level.label_en(), task.title),
        ),
        body: Text::new(zh, en),
        answer_by,
    }
}

/// A 督办单 as issued, and its answer once the unit gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub issued: NaiveDate,
    pub answer_by: NaiveDate,
    pub answer: Option<Answer>,
}

/// A unit's written answer to a 督办单.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub date: NaiveDate,
    pub text: String,
}

/// Why an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefusal {
    #[error("督办单已于 {0} 答复 / the order was answered on {0}")]
    Answered(NaiveDate),
    #[error("答复须有内容 / an answer needs a text")]
    Empty,
    #[error(
        "答复日期 {date} 早于督办单下发日期 {issued} / the answer ({date}) predates the order ({issued})"
    )]
    BeforeIssue { date: NaiveDate, issued: NaiveDate },
}

impl Order {
    /// An order issued on `issued`, to be answered within the rules' days.
    pub fn issue(issued: NaiveDate, rules: &EscalationRules) -> Order {
        Order {
            issued,
            answer_by: issued + Days::new(u64::from(rules.answer_days)),
            answer: None,
        }
    }

    /// Records the unit's answer: once, with a text, not before the order.
    pub fn answer(&mut self, date: NaiveDate, text: &str) -> Result<(), AnswerRefusal> {
        if let Some(answer) = &self.answer {
            return Err(AnswerRefusal::Answered(answer.date));
        }
        if text.trim().is_empty() {
            return Err(AnswerRefusal::Empty);
        }
        if date < self.issued {
            return Err(AnswerRefusal::BeforeIssue {
                date,
                issued: self.issued,
            });
        }
        self.answer = Some(Answer {
            date,
            text: text.trim().to_owned(),
        });
        Ok(())
    }

    /// Whether the answer is missing on `today` after its day.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.answer.is_none() && today > self.answer_by
    }

    /// Whether the answer came after its day.
    pub fn answered_late(&self) -> bool {
        self.answer
            .as_ref()
            .is_some_and(|a| a.date > self.answer_by)
    }
}

/// The orders not yet answered, the longest overdue first (then by issue).
pub fn unanswered(orders: &[Order]) -> Vec<&Order> {
    let mut open: Vec<&Order> = orders.iter().filter(|o| o.answer.is_none()).collect();
    open.sort_by_key(|o| (o.answer_by, o.issued));
    open
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::deadline::Deadline;

    fn q(year: u16, quarter: u8) -> Period {
        Period::Quarter(year, quarter)
    }

    fn history(statuses: &[Status]) -> Vec<(Period, Status)> {
        let mut period = q(2024, 1);
        statuses
            .iter()
            .map(|&s| {
                let entry = (period, s);
                period = next_period(period);
                entry
            })
            .collect()
    }

    #[test]
    fn escalation_follows_the_documented_rule() {
        use Status::*;
        let rules = EscalationRules::default();
        let level = |statuses: &[Status]| escalation(&history(statuses), &rules).map(|e| e.level);
        let cases: [(&[Status], Option<Level>); 10] = [
            (&[], None),
            (&[OnSchedule], None),
            (&[Lagging], Some(Level::Reminder)),
            (&[NotReported], Some(Level::Reminder)),
            (&[Lagging, Lagging], Some(Level::Warning)),
            (&[Lagging, NotReported, Lagging], Some(Level::Order)),
            (&[Serious], Some(Level::Warning)),
            (&[Lagging, Overdue], Some(Level::Order)),
            (
                &[Lagging, Lagging, OnSchedule, Lagging],
                Some(Level::Reminder),
            ),
            (&[Serious, Serious, NotStarted], None),
        ];
        for (statuses, expected) in cases {
            assert_eq!(level(statuses), expected, "{statuses:?}");
        }
        let run = escalation(&history(&[OnSchedule, Lagging, Serious]), &rules).unwrap();
        assert_eq!(
            run,
            Escalation {
                level: Level::Order,
                since: q(2024, 2),
                periods: 2,
                points: 3
            }
        );
    }

    #[test]
    fn a_gap_in_the_periods_ends_the_run() {
        let rules = EscalationRules::default();
        let gap = [(q(2024, 1), Status::Lagging), (q(2024, 3), Status::Lagging)];
        assert_eq!(
            escalation(&gap, &rules).map(|e| (e.level, e.since)),
            Some((Level::Reminder, q(2024, 3)))
        );
        assert_eq!(next_period(q(2024, 4)), q(2025, 1));
        assert_eq!(next_period(Period::Month(2024, 12)), Period::Month(2025, 1));
    }

    #[test]
    fn notices_are_due_when_the_level_rises() {
        use Status::*;
        let rules = EscalationRules::default();
        let statuses = [Lagging, Lagging, Lagging, Serious, OnSchedule, Serious];
        assert_eq!(
            notices_due(&history(&statuses), &rules),
            vec![
                (q(2024, 1), Level::Reminder),
                (q(2024, 2), Level::Warning),
                (q(2024, 3), Level::Order),
                (q(2025, 2), Level::Warning),
            ]
        );
    }

    fn task() -> Task {
        crate::fixtures::task(
            "推进春熙路商圈品质提升",
            "5.4.2",
            Deadline::By(crate::fixtures::day(2024, 12, 31)),
        )
    }

    #[test]
    fn notices_name_the_unit_task_and_what_is_asked() {
        let plan = planwatch_plan::chengdu::plan();
        let rules = EscalationRules::default();
        let statuses = history(&[Status::Lagging, Status::Lagging, Status::Serious]);
        let run = escalation(&statuses, &rules).unwrap();
        let issued = NaiveDate::from_ymd_opt(2024, 10, 15).unwrap();
        let order = notice(
            &plan,
            &task(),
            &run,
            q(2024, 3),
            Status::Serious,
            issued,
            &rules,
        );
        assert_eq!(order.level, Level::Order);
        assert_eq!(order.unit, Some(Unit::Department("commerce".into())));
        assert_eq!(order.title.zh, "【督办】推进春熙路商圈品质提升");
        assert_eq!(
            order.body.zh,
            "市商务局：你单位牵头的任务“推进春熙路商圈品质提升”（规划条目 五、（四）2，完成时限 2024年12月底前）2024年第三季度状态为“严重滞后”，已连续 3 个报送期未达进度要求。现予督办，请于 2024-10-25 前书面报告原因、整改措施和完成时间。"
        );
        assert!(
            order
                .body
                .en_or_zh()
                .starts_with("Municipal Bureau of Commerce: the task")
        );
        assert_eq!(order.answer_by, NaiveDate::from_ymd_opt(2024, 10, 25));
        let first = escalation(&statuses[..1], &rules).unwrap();
        let reminder = notice(
            &plan,
            &task(),
            &first,
            q(2024, 1),
            Status::Lagging,
            issued,
            &rules,
        );
        assert!(
            reminder
                .body
                .zh
                .ends_with("特此提醒，请及时推进并按时报送进展。")
        );
        assert_eq!(reminder.answer_by, None);
    }

    #[test]
    fn orders_are_answered_once_and_unanswered_ones_listed() {
        let rules = EscalationRules::default();
        let day = |d: u32| NaiveDate::from_ymd_opt(2024, 10, d).unwrap();
        let mut first = Order::issue(day(1), &rules);
        let second = Order::issue(day(3), &rules);
        assert_eq!(first.answer_by, day(11));
        assert!(!first.overdue(day(11)) && first.overdue(day(12)));
        assert_eq!(first.answer(day(2), " "), Err(AnswerRefusal::Empty));
        assert!(matches!(
            first.answer(NaiveDate::from_ymd_opt(2024, 9, 30).unwrap(), "已整改"),
            Err(AnswerRefusal::BeforeIssue { .. })
        ));
        assert_eq!(first.answer(day(12), "已制定整改方案"), Ok(()));
        assert!(first.answered_late());
        assert_eq!(
            first.answer(day(13), "again"),
            Err(AnswerRefusal::Answered(day(12)))
        );
        let orders = [first, second.clone()];
        assert_eq!(unanswered(&orders), vec![&second]);
    }

    fn arb_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        /// One more yellow or red period never lowers the level; a green or grey one clears it.
        #[test]
        fn staying_behind_never_lowers_the_level(
            statuses in proptest::collection::vec(arb_status(), 0..12),
            next in arb_status(),
        ) {
            let rules = EscalationRules::default();
            let before = escalation(&history(&statuses), &rules).map(|e| e.level);
            let mut longer = statuses.clone();
            longer.push(next);
            let after = escalation(&history(&longer), &rules).map(|e| e.level);
            match next.light() {
                Light::Yellow | Light::Red => prop_assert!(after >= before && after.is_some()),
                Light::Green | Light::Grey => prop_assert_eq!(after, None),
            }
        }

        #[test]
        fn each_notice_is_due_once_per_run_and_level(
            statuses in proptest::collection::vec(arb_status(), 0..16),
        ) {
            let rules = EscalationRules::default();
            let due = notices_due(&history(&statuses), &rules);
            let mut seen = std::collections::HashSet::new();
            for (period, level) in &due {
                prop_assert!(seen.insert((*period, *level)));
            }
            if let Some(now) = escalation(&history(&statuses), &rules) {
                prop_assert!(due.iter().any(|(_, level)| *level == now.level));
            }
        }
    }
}
