//! The supervision sweep (督查督办): for each task, its statuses over consecutive reporting
//! periods (`planwatch-tasks::supervision::notices_due`) call for notices — 提醒, 警示, 督办 —
//! to its first lead unit, worded by `notice`; the store writes each once per task, period and
//! level, with its notices to the unit's reporters and its audit entry, so that a second sweep
//! writes nothing. `planwatch serve` runs it with the deadline sweep (at start, then hourly),
//! `planwatch supervision sweep [--date D]` on demand.

use chrono::{Datelike, NaiveDate};
use planwatch_plan::{Period, Plan};
use planwatch_store::{NewSupervision, Store, StoreError, TaskFilter, Who};
use planwatch_tasks::{
    EscalationRules, Status, StatusRules, Task, escalation, notice, notices_due, status_history,
};

use crate::tasks::task_of;

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisionSwept {
    /// Tasks looked at (of the years in force).
    pub tasks: usize,
    /// Records the histories call for (each period and level), written before or now.
    pub due: usize,
    /// Records written now.
    pub written: u64,
}

/// The years whose tasks a sweep on `today` looks at: the year, and the year before while its
/// last reports may still come in (January).
pub fn years_in_force(today: NaiveDate) -> Vec<u16> {
    let year = u16::try_from(today.year()).unwrap_or(0);
    if today.month() == 1 {
        vec![year.saturating_sub(1), year]
    } else {
        vec![year]
    }
}

/// Sweeps `plan` on `today`, as `who`: each task of the years in force, its status history from
/// its approved progress reports (the plan's status rules), the records it calls for (the
/// plan's escalation rules), issued `today`; written once each.
pub async fn sweep(
    store: &Store,
    who: &Who,
    plan: &Plan,
    today: NaiveDate,
) -> Result<SupervisionSwept, StoreError> {
    let status_rules = StatusRules::from_plan(plan);
    let rules = EscalationRules::from_plan(plan);
    let mut swept = SupervisionSwept {
        tasks: 0,
        due: 0,
        written: 0,
    };
    let mut due = Vec::new();
    for year in years_in_force(today) {
        let filter = TaskFilter {
            year: Some(year),
            unit: None,
        };
        let tasks = store.tasks(plan, &filter).await?;
        if tasks.is_empty() {
            continue;
        }
        let reports = store.approved_task_reports(plan, year).await?;
        for stored in &tasks {
            let task = task_of(stored);
            let own = reports.get(&stored.id).map_or(&[][..], Vec::as_slice);
            let history = status_history(&task, own, year, today, &status_rules);
            due.extend(records_due(plan, stored.id, &task, &history, today, &rules));
        }
        swept.tasks += tasks.len();
    }
    swept.due = due.len();
    if !due.is_empty() {
        swept.written = store.record_supervision(who, plan, &due).await?;
    }
    Ok(swept)
}

/// The records `history` (the task's status at each reporting period's end, in order) calls
/// for, issued on `issued`: one per period and level the escalation reached. None for a task
/// without a lead unit (nobody to tell).
pub fn records_due(
    plan: &Plan,
    task_id: i64,
    task: &Task,
    history: &[(Period, Status)],
    issued: NaiveDate,
    rules: &EscalationRules,
) -> Vec<NewSupervision> {
    notices_due(history, rules)
        .into_iter()
        .filter_map(|(period, level)| {
            let end = history.iter().position(|(p, _)| *p == period)? + 1;
            let run = escalation(&history[..end], rules).filter(|run| run.level == level)?;
            let status = history[end - 1].1;
            let words = notice(plan, task, &run, period, status, issued, rules);
            Some(NewSupervision {
                task_id,
                period,
                level,
                status,
                issued,
                unit: words.unit?,
                title_zh: words.title.zh.clone(),
                title_en: words.title.en_or_zh().to_owned(),
                text_zh: words.body.zh.clone(),
                text_en: words.body.en_or_zh().to_owned(),
                answer_by: words.answer_by,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use planwatch_access::Unit;
    use planwatch_plan::SourceRef;
    use planwatch_tasks::{Deadline, Expected, Level, Span};

    use super::*;

    fn task() -> Task {
        Task {
            key: "1".into(),
            span: Span::Year(2024),
            title: "推进春熙路商圈品质提升".into(),
            clause: SourceRef("5.4.2".into()),
            lead: vec![Unit::Department("commerce".into())],
            responsible: vec![Unit::Region("510104".into())],
            supporting: vec![],
            deadline: Deadline::By(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()),
            nodes: vec![],
            expected: Expected {
                text: String::new(),
                quantity: None,
            },
            indicators: vec![],
        }
    }

    #[test]
    fn january_still_sweeps_the_year_before() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(years_in_force(day(2025, 1, 20)), vec![2024, 2025]);
        assert_eq!(years_in_force(day(2024, 10, 15)), vec![2024]);
    }

    #[test]
    fn yellow_yellow_red_is_a_reminder_a_warning_and_an_order() {
        let plan = planwatch_plan::chengdu::plan();
        let rules = EscalationRules::default();
        let history = [
            (Period::Quarter(2024, 1), Status::Lagging),
            (Period::Quarter(2024, 2), Status::Lagging),
            (Period::Quarter(2024, 3), Status::Serious),
        ];
        let issued = NaiveDate::from_ymd_opt(2024, 10, 15).unwrap();
        let due = records_due(&plan, 9, &task(), &history, issued, &rules);
        let levels: Vec<(Period, Level, Status)> =
            due.iter().map(|r| (r.period, r.level, r.status)).collect();
        assert_eq!(
            levels,
            vec![
                (Period::Quarter(2024, 1), Level::Reminder, Status::Lagging),
                (Period::Quarter(2024, 2), Level::Warning, Status::Lagging),
                (Period::Quarter(2024, 3), Level::Order, Status::Serious),
            ]
        );
        assert!(due.iter().all(|r| r.task_id == 9
            && r.unit == Unit::Department("commerce".into())
            && r.issued == issued));
        assert_eq!(due[2].title_zh, "【督办】推进春熙路商圈品质提升");
        assert_eq!(due[2].answer_by, NaiveDate::from_ymd_opt(2024, 10, 25));
        assert_eq!(due[0].answer_by, None);
        assert!(due[1].text_en.contains("This is a warning"));
        let mut leaderless = task();
        leaderless.lead.clear();
        assert!(records_due(&plan, 9, &leaderless, &history, issued, &rules).is_empty());
    }
}
