use planwatch_access::Unit;
use proptest::prelude::*;

use super::*;
use crate::deadline::month_end;
use crate::model::Node;

use crate::fixtures::day as d;

fn task(deadline: Deadline, nodes: Vec<Node>) -> Task {
    let mut task = crate::fixtures::task("新引进品牌首店", "5.4.1", deadline);
    task.nodes = nodes;
    task
}

fn report(period: Period, date: NaiveDate, progress: Progress) -> TaskReport {
    TaskReport {
        period,
        date,
        progress,
        text: String::new(),
        nodes_met: vec![],
    }
}

fn q(quarter: u8) -> Period {
    Period::Quarter(2024, quarter)
}

fn year_end() -> Deadline {
    Deadline::By(d(2024, 12, 31))
}

#[test]
fn each_status_by_its_rule() {
    let rules = StatusRules::default();
    let node = Node {
        due: d(2024, 6, 30),
        expected: "完成方案".into(),
        percent: None,
    };
    // (case, task, reports, day, status)
    let cases: Vec<(&str, Task, Vec<TaskReport>, NaiveDate, Status)> = vec![
        (
            "reported done",
            task(year_end(), vec![]),
            vec![report(q(2), d(2024, 7, 5), Progress::Done)],
            d(2024, 8, 1),
            Status::Done,
        ),
        (
            "100 % is done",
            task(year_end(), vec![]),
            vec![report(q(1), d(2024, 4, 5), Progress::Percent(100.0))],
            d(2025, 3, 1),
            Status::Done,
        ),
        (
            "on schedule: 50 % in mid-year",
            task(year_end(), vec![]),
            vec![report(q(2), d(2024, 7, 5), Progress::Percent(50.0))],
            d(2024, 7, 6),
            Status::OnSchedule,
        ),
        (
            "under way without a share, no node missed",
            task(year_end(), vec![]),
            vec![report(q(2), d(2024, 7, 5), Progress::UnderWay)],
            d(2024, 7, 6),
            Status::OnSchedule,
        ),
        (
            "not started early in the year, nothing due yet",
            task(year_end(), vec![]),
            vec![],
            d(2024, 1, 20),
            Status::NotStarted,
        ),
        (
            "lagging: 35 % where time calls for 51 %",
            task(year_end(), vec![]),
            vec![report(q(2), d(2024, 7, 5), Progress::Percent(35.0))],
            d(2024, 7, 6),
            Status::Lagging,
        ),
        (
            "lagging: a node passed without its result",
            task(year_end(), vec![node.clone()]),
            vec![report(q(2), d(2024, 7, 5), Progress::Percent(50.0))],
            d(2024, 7, 6),
            Status::Lagging,
        ),
        (
            "seriously lagging: 10 % where time calls for 51 %",
            task(year_end(), vec![]),
            vec![report(q(2), d(2024, 7, 5), Progress::Percent(10.0))],
            d(2024, 7, 6),
            Status::Serious,
        ),
        (
            "seriously lagging: a node missed for more than 30 days",
            task(year_end(), vec![node.clone()]),
            vec![report(q(2), d(2024, 7, 5), Progress::Percent(55.0))],
            d(2024, 8, 5),
            Status::Serious,
        ),
        (
            "overdue",
            task(Deadline::By(d(2024, 6, 30)), vec![]),
            vec![report(q(2), d(2024, 6, 28), Progress::Percent(90.0))],
            d(2024, 7, 1),
            Status::Overdue,
        ),
        (
            "not reported: nothing for the second quarter by 11 July",
            task(year_end(), vec![]),
            vec![report(q(1), d(2024, 4, 5), Progress::Percent(30.0))],
            d(2024, 7, 11),
            Status::NotReported,
        ),
        (
            "a report after the day is not known yet",
            task(year_end(), vec![]),
            vec![
                report(q(1), d(2024, 4, 5), Progress::Percent(45.0)),
                report(q(2), d(2024, 7, 9), Progress::Done),
            ],
            d(2024, 7, 8),
            Status::OnSchedule,
        ),
        (
            "ongoing work at 0 % is not started, never overdue",
            task(Deadline::Ongoing, vec![]),
            vec![report(q(3), d(2024, 10, 5), Progress::NotStarted)],
            d(2024, 10, 6),
            Status::NotStarted,
        ),
    ];
    for (case, task, reports, day, expected) in cases {
        let judgement = task_status(&task, &reports, day, &rules);
        assert_eq!(judgement.status, expected, "{case}: {judgement:?}");
        assert!(!judgement.reason.zh.is_empty(), "{case}");
    }
}

#[test]
fn judgements_say_why() {
    let rules = StatusRules::default();
    let lagging = task_status(
        &task(year_end(), vec![]),
        &[report(q(2), d(2024, 7, 5), Progress::Percent(35.0))],
        d(2024, 7, 6),
        &rules,
    );
    assert_eq!(lagging.reported_percent, Some(35.0));
    let expected = lagging.expected_percent.unwrap();
    assert!((expected - 50.8).abs() < 0.5, "{expected}");
    assert!(
        lagging.reason.zh.contains("落后于时序进度"),
        "{:?}",
        lagging.reason
    );
    let missing = task_status(&task(year_end(), vec![]), &[], d(2024, 7, 11), &rules);
    assert_eq!(missing.missing, Some(q(2)));
    assert_eq!(missing.reason.zh, "2024年第二季度进展未报送");
    let done = task_status(
        &task(year_end(), vec![]),
        &[
            report(q(1), d(2024, 4, 5), Progress::Done),
            report(q(2), d(2024, 7, 5), Progress::Done),
        ],
        d(2024, 7, 6),
        &rules,
    );
    assert_eq!(done.done_on, Some(d(2024, 4, 5)));
}

#[test]
fn nodes_with_a_share_shape_the_expected_progress() {
    let front_loaded = task(
        year_end(),
        vec![Node {
            due: d(2024, 3, 31),
            expected: "完成80%".into(),
            percent: Some(80.0),
        }],
    );
    assert_eq!(expected_percent(&front_loaded, d(2024, 3, 31)), Some(80.0));
    assert_eq!(
        expected_percent(&front_loaded, d(2024, 12, 31)),
        Some(100.0)
    );
    assert_eq!(expected_percent(&front_loaded, d(2023, 12, 1)), Some(0.0));
    // A reported share at the node's meets it without saying so.
    let rules = StatusRules::default();
    let judgement = task_status(
        &front_loaded,
        &[report(q(1), d(2024, 4, 2), Progress::Percent(80.0))],
        d(2024, 4, 3),
        &rules,
    );
    assert_eq!(judgement.status, Status::OnSchedule);
    assert!(judgement.missed_nodes.is_empty());
    let mut said = report(q(1), d(2024, 4, 2), Progress::UnderWay);
    said.nodes_met = vec![0];
    let judgement = task_status(&front_loaded, &[said], d(2024, 4, 3), &rules);
    assert_eq!(judgement.status, Status::OnSchedule);
}

#[test]
fn monthly_reports_cover_a_quarter_due() {
    let rules = StatusRules::default();
    let judgement = task_status(
        &task(year_end(), vec![]),
        &[report(
            Period::Month(2024, 5),
            d(2024, 6, 3),
            Progress::Percent(45.0),
        )],
        d(2024, 7, 11),
        &rules,
    );
    assert_eq!(judgement.status, Status::OnSchedule);
    let monthly = StatusRules {
        frequency: Frequency::Month,
        ..rules
    };
    assert_eq!(
        period_due(d(2024, 1, 1), d(2024, 12, 31), d(2024, 7, 11), &monthly),
        Some(Period::Month(2024, 6))
    );
    assert_eq!(
        period_due(d(2024, 1, 1), d(2024, 12, 31), d(2024, 2, 10), &monthly),
        None
    );
}

#[test]
fn statuses_have_labels_lights_and_codes() {
    for status in Status::ALL {
        assert_eq!(Status::parse(status.as_str()), Some(status));
        assert_eq!(Status::parse(status.label_zh()), Some(status));
    }
    assert_eq!(Status::Lagging.light(), Light::Yellow);
    assert_eq!(Status::Overdue.light(), Light::Red);
    assert_eq!(Status::OnSchedule.light(), Light::Green);
}

fn project(stage: Stage) -> Project {
    Project {
        key: "P1".into(),
        name: "天府国际基金小镇二期".into(),
        content: String::new(),
        region: "tianfu".into(),
        coordinates: None,
        column: Some(3),
        unit: Unit::Region("tianfu".into()),
        total_investment: 30.0,
        yearly_plan: vec![(2024, 10.0)],
        planned_start: d(2024, 3, 1),
        planned_completion: d(2025, 12, 31),
        stage,
    }
}

fn project_report(date: NaiveDate, invested: f64, stage: Stage) -> ProjectReport {
    ProjectReport {
        period: Period::Quarter(2024, ((date.month0() / 3) as u8).max(1)),
        date,
        invested_year: invested,
        invested_total: invested,
        stage,
        text: String::new(),
    }
}

#[test]
fn project_statuses_by_their_rules() {
    let rules = StatusRules::default();
    let cases = [
        (
            "in operation is done",
            vec![project_report(d(2024, 7, 5), 10.0, Stage::Operating)],
            d(2024, 7, 6),
            Status::Done,
        ),
        (
            "investment on plan",
            vec![project_report(d(2024, 7, 5), 4.5, Stage::Construction)],
            d(2024, 7, 6),
            Status::OnSchedule,
        ),
        (
            "investment behind",
            vec![project_report(d(2024, 7, 5), 2.5, Stage::Construction)],
            d(2024, 7, 6),
            Status::Lagging,
        ),
        (
            "investment far behind",
            vec![project_report(d(2024, 7, 5), 0.5, Stage::Construction)],
            d(2024, 7, 6),
            Status::Serious,
        ),
        (
            "start passed in preparation",
            vec![],
            d(2024, 3, 10),
            Status::Lagging,
        ),
        (
            "before its planned start",
            vec![],
            d(2024, 2, 1),
            Status::NotStarted,
        ),
        (
            "no report for the second quarter",
            vec![project_report(d(2024, 4, 5), 1.0, Stage::Construction)],
            d(2024, 7, 11),
            Status::NotReported,
        ),
        (
            "past its completion",
            vec![project_report(d(2025, 12, 5), 10.0, Stage::Construction)],
            d(2026, 1, 5),
            Status::Overdue,
        ),
    ];
    for (case, reports, day, expected) in cases {
        let judgement = project_status(&project(Stage::Preparation), &reports, 2024, day, &rules);
        assert_eq!(judgement.status, expected, "{case}: {judgement:?}");
    }
}

fn arb_reports() -> impl Strategy<Value = Vec<(u8, u32, f64)>> {
    // (quarter, days after the quarter's end it was made, percent)
    proptest::collection::vec((1u8..=4, 0u32..40, 0.0f64..100.0), 0..6)
}

fn build(reports: &[(u8, u32, f64)], extra: f64) -> Vec<TaskReport> {
    reports
        .iter()
        .map(|&(quarter, after, percent)| {
            let period = q(quarter);
            report(
                period,
                period_end(period) + chrono::Days::new(u64::from(after)),
                Progress::Percent((percent + extra).min(100.0)),
            )
        })
        .collect()
}

fn arb_task() -> impl Strategy<Value = Task> {
    (
        prop_oneof![
            Just(Deadline::Ongoing),
            (1u32..=12).prop_map(|m| Deadline::By(month_end(2024, m)))
        ],
        proptest::option::of((1u32..=11, proptest::option::of(0.0f64..100.0))),
    )
        .prop_map(|(deadline, node)| {
            let nodes = node
                .map(|(month, percent)| Node {
                    due: month_end(2024, month),
                    expected: "节点".into(),
                    percent,
                })
                .into_iter()
                .collect();
            task(deadline, nodes)
        })
}

proptest! {
    #[test]
    fn more_progress_never_makes_the_status_worse(
        task in arb_task(),
        reports in arb_reports(),
        extra in 0.0f64..60.0,
        day in 0u64..500,
    ) {
        let rules = StatusRules::default();
        let today = d(2024, 1, 1) + chrono::Days::new(day);
        let less = task_status(&task, &build(&reports, 0.0), today, &rules).status;
        let more = task_status(&task, &build(&reports, extra), today, &rules).status;
        prop_assert!(more <= less, "{:?} with more progress, {:?} with less", more, less);
    }

    #[test]
    fn a_done_task_is_done_whatever_the_day(
        task in arb_task(),
        reports in arb_reports(),
        done_after in 0u64..400,
        later in 0u64..2000,
    ) {
        let rules = StatusRules::default();
        let mut reports = build(&reports, 0.0);
        let done_on = d(2024, 1, 1) + chrono::Days::new(done_after);
        reports.retain(|r| r.date < done_on);
        reports.push(report(q(4), done_on, Progress::Done));
        let today = done_on + chrono::Days::new(later);
        let judgement = task_status(&task, &reports, today, &rules);
        prop_assert_eq!(judgement.status, Status::Done);
        prop_assert_eq!(judgement.done_on, Some(done_on));
    }

    #[test]
    fn expected_progress_rises_with_time(task in arb_task(), a in 0u64..400, b in 0u64..400) {
        let (early, late) = (a.min(b), a.max(b));
        let first = d(2024, 1, 1);
        let at = |days| expected_percent(&task, first + chrono::Days::new(days));
        match (at(early), at(late)) {
            (Some(x), Some(y)) => prop_assert!(x <= y + 1e-9 && (0.0..=100.0).contains(&x)),
            (None, None) => prop_assert_eq!(task.deadline, Deadline::Ongoing),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn rules_from_a_plan_without_a_tasks_section_are_the_defaults() {
    let mut plan = planwatch_plan::chengdu::plan();
    plan.tasks = None;
    assert_eq!(StatusRules::from_plan(&plan), StatusRules::default());
    assert_eq!(
        crate::EscalationRules::from_plan(&plan),
        crate::EscalationRules::default()
    );
    assert_eq!(crate::Scheme::from_plan(&plan), crate::Scheme::default());
    // The Chengdu plan writes its section with the defaults.
    let written = planwatch_plan::chengdu::plan();
    assert!(written.tasks.is_some());
    assert_eq!(StatusRules::from_plan(&written), StatusRules::default());
    assert_eq!(
        crate::EscalationRules::from_plan(&written),
        crate::EscalationRules::default()
    );
    assert_eq!(crate::Scheme::from_plan(&written), crate::Scheme::default());
    // A plan's own thresholds are used.
    let mut own = plan.clone();
    let mut rules = planwatch_plan::TaskRules::default();
    rules.status.lagging_points = 5.0;
    rules.escalation.order_at = 4;
    rules.scoring.late_credit = 0.25;
    own.tasks = Some(rules);
    assert_eq!(StatusRules::from_plan(&own).lagging_points, 5.0);
    assert_eq!(crate::EscalationRules::from_plan(&own).order_at, 4);
    assert_eq!(crate::Scheme::from_plan(&own).late_credit, 0.25);
}

#[test]
fn history_judges_each_ended_period_on_its_due_day() {
    let rules = StatusRules::default();
    let task = crate::fixtures::task("推进首店经济", "5.4.1", Deadline::By(d(2024, 12, 31)));
    let report = |period, date, percent| TaskReport {
        period,
        date,
        progress: Progress::Percent(percent),
        text: String::new(),
        nodes_met: vec![],
    };
    let reports = vec![
        report(Period::Quarter(2024, 1), d(2024, 4, 5), 25.0),
        report(Period::Quarter(2024, 2), d(2024, 7, 8), 30.0),
    ];
    let history = status_history(&task, &reports, 2024, d(2024, 11, 15), &rules);
    assert_eq!(
        history,
        vec![
            (Period::Quarter(2024, 1), Status::OnSchedule),
            (Period::Quarter(2024, 2), Status::Lagging),
            (Period::Quarter(2024, 3), Status::Serious),
        ]
    );
    // Nothing for a period that has not ended.
    assert!(status_history(&task, &reports, 2024, d(2024, 3, 30), &rules).is_empty());
}

#[test]
fn progress_is_read_as_a_share_or_a_word() {
    assert_eq!(Progress::parse(" 60% "), Some(Progress::Percent(60.0)));
    assert_eq!(Progress::parse("12.5"), Some(Progress::Percent(12.5)));
    assert_eq!(Progress::parse("未启动"), Some(Progress::NotStarted));
    assert_eq!(Progress::parse("under_way"), Some(Progress::UnderWay));
    assert_eq!(Progress::parse("已完成"), Some(Progress::Done));
    assert_eq!(Progress::parse("half"), None);
    assert_eq!(Progress::parse("NaN"), None);
}
