use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::model::Stage;

fn plan() -> Plan {
    planwatch_plan::chengdu::plan()
}

fn region(code: &str) -> Unit {
    Unit::Region(code.to_owned())
}

fn department(code: &str) -> Unit {
    Unit::Department(code.to_owned())
}

fn source(kind: SourceKind, id: &str) -> Source {
    Source {
        kind,
        id: id.to_owned(),
        label: id.to_owned(),
    }
}

fn item(unit: &Unit, component: Component, id: &str, weight: f64, achieved: f64) -> Item {
    Item {
        unit: unit.clone(),
        component,
        source: source(SourceKind::Task, id),
        weight,
        achieved,
    }
}

fn adjustment(unit: &Unit, kind: AdjustmentKind, points: f64, id: &str) -> Adjustment {
    Adjustment {
        unit: unit.clone(),
        kind,
        points,
        reason: format!("理由 {id}"),
        source: source(SourceKind::Adjustment, id),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_default_scheme_is_valid_and_bad_ones_say_all_that_is_wrong() {
    assert_eq!(Scheme::default().check(), vec![]);
    let mut bad = Scheme::default();
    bad.weights[0].weight = 50.0;
    bad.weights.push(Weight {
        component: Component::Tasks,
        weight: -5.0,
    });
    bad.late_credit = 1.5;
    bad.bonus_cap = -1.0;
    let problems = bad.check();
    assert_eq!(
        problems,
        vec![
            SchemeProblem::Weight(Component::Tasks, -5.0),
            SchemeProblem::Twice(Component::Tasks),
            SchemeProblem::WeightsSum(115.0),
            SchemeProblem::Cap {
                name: "bonus_cap",
                value: -1.0
            },
            SchemeProblem::Share {
                name: "late_credit",
                value: 1.5
            },
        ]
    );
    assert!(problems[2].to_string().contains("须为 100"));
}

#[test]
fn a_worked_example() {
    let plan = plan();
    let scheme = Scheme::default();
    let jinjiang = region("510104");
    let commerce = department("commerce");
    let items = vec![
        // Indicators 30: 1 of 2 met → 15.
        item(&jinjiang, Component::Indicators, "gdp", 1.0, 1.0),
        item(&jinjiang, Component::Indicators, "retail", 1.0, 0.0),
        // Tasks 30: weights 1 and 0.5, done and late → 30·(1 + 0.25)/1.5 = 25.
        item(&jinjiang, Component::Tasks, "t1", 1.0, 1.0),
        item(&jinjiang, Component::Tasks, "t2", 0.5, 0.5),
        // Projects 20: 8 of 10 亿元 → 16.
        item(&jinjiang, Component::Projects, "p1", 10.0, 0.8),
        // Reporting 10, data quality 10: all clean → 20.
        item(&jinjiang, Component::Reporting, "r1", 1.0, 1.0),
        item(&jinjiang, Component::DataQuality, "s1", 1.0, 1.0),
        // The department has no projects: its 20 go to the other 80 in proportion.
        item(&commerce, Component::Indicators, "gdp", 1.0, 1.0),
        item(&commerce, Component::Tasks, "t1", 1.0, 0.5),
        item(&commerce, Component::Reporting, "r1", 1.0, 1.0),
        item(&commerce, Component::DataQuality, "s1", 1.0, 1.0),
    ];
    let adjustments = vec![
        adjustment(&jinjiang, AdjustmentKind::Bonus, 3.0, "国家级表彰"),
        adjustment(&jinjiang, AdjustmentKind::Bonus, 3.0, "省级表彰"),
        adjustment(&jinjiang, AdjustmentKind::Deduction, 2.0, "督办单逾期未复"),
    ];
    let scores = score(
        &plan,
        &scheme,
        &[jinjiang.clone(), commerce.clone(), region("510105")],
        &items,
        &adjustments,
    )
    .unwrap();
    let of = |unit: &Unit| scores.iter().find(|s| &s.unit == unit).unwrap();
    let district = of(&jinjiang);
    assert!(
        close(district.base, 15.0 + 25.0 + 16.0 + 20.0),
        "{}",
        district.base
    );
    assert!(close(district.bonus, 5.0), "the bonus cap");
    assert!(close(district.deduction, 2.0));
    assert!(close(district.total, 76.0 + 5.0 - 2.0));
    assert_eq!(
        (district.kind, district.rank, district.of),
        (UnitKind::District, Some(1), 1)
    );
    let capped: Vec<f64> = district
        .lines
        .iter()
        .filter(|l| l.component.is_none())
        .map(|l| l.points)
        .collect();
    assert_eq!(capped, vec![3.0, 2.0, -2.0]);
    let department = of(&commerce);
    let tasks = department
        .components
        .iter()
        .find(|c| c.component == Component::Tasks)
        .unwrap();
    assert!(close(tasks.effective_weight, 37.5));
    assert!(close(department.total, 100.0 - 37.5 / 2.0));
    assert_eq!(
        (department.kind, department.rank),
        (UnitKind::Department, Some(1))
    );
    let nothing = of(&region("510105"));
    assert!(!nothing.assessed && nothing.rank.is_none() && nothing.total == 0.0);
    // Units by kind: districts first, then departments.
    assert_eq!(scores[0].unit, jinjiang);
    let line = &district.lines[0];
    assert_eq!(
        district.explain(line).zh,
        "指标目标完成：gdp 得 15 分（满分 15，完成 100%）"
    );
}

#[test]
fn adjustments_beyond_their_cap_or_without_reason_are_refused() {
    let plan = plan();
    let unit = region("510104");
    let mut no_reason = adjustment(&unit, AdjustmentKind::Bonus, 1.0, "x");
    no_reason.reason = " ".into();
    let problems = score(
        &plan,
        &Scheme::default(),
        std::slice::from_ref(&unit),
        &[],
        &[
            adjustment(&unit, AdjustmentKind::Bonus, 6.0, "a"),
            adjustment(&unit, AdjustmentKind::Deduction, 0.0, "b"),
            no_reason,
        ],
    )
    .unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn ties_share_a_rank_and_kinds_rank_apart() {
    let plan = plan();
    let units = [
        region("510104"),
        region("510105"),
        region("510106"),
        region("gaoxin"),
    ];
    let items: Vec<Item> = units
        .iter()
        .zip([0.5, 1.0, 0.5, 0.2])
        .map(|(unit, achieved)| item(unit, Component::Tasks, "t", 1.0, achieved))
        .collect();
    let scores = score(&plan, &Scheme::default(), &units, &items, &[]).unwrap();
    let ranks: Vec<(String, Option<u32>, u32)> = scores
        .iter()
        .map(|s| (s.unit.code().to_owned(), s.rank, s.of))
        .collect();
    assert_eq!(
        ranks,
        vec![
            ("510105".into(), Some(1), 3),
            ("510104".into(), Some(2), 3),
            ("510106".into(), Some(2), 3),
            ("gaoxin".into(), Some(1), 1),
        ]
    );
}

fn task(lead: Unit, responsible: Unit) -> Task {
    let mut task = crate::fixtures::task(
        "新增首店",
        "5.4.1",
        Deadline::By(crate::fixtures::day(2024, 6, 30)),
    );
    task.lead = vec![lead];
    task.responsible = vec![responsible];
    task.supporting = vec![department("statistics")];
    task
}

fn judgement(status: Status, done_on: Option<NaiveDate>) -> Judgement {
    Judgement {
        status,
        expected_percent: None,
        reported_percent: None,
        done_on,
        missed_nodes: vec![],
        missing: None,
        reason: Text::new("", ""),
    }
}

#[test]
fn items_from_tasks_projects_reports_and_submissions() {
    let scheme = Scheme::default();
    let task = task(department("commerce"), region("510104"));
    let on_time = judgement(Status::Done, NaiveDate::from_ymd_opt(2024, 6, 30));
    let late = judgement(Status::Done, NaiveDate::from_ymd_opt(2024, 7, 1));
    let lead = task_item(&task, &department("commerce"), &on_time, &scheme).unwrap();
    assert_eq!((lead.weight, lead.achieved), (1.0, 1.0));
    let responsible = task_item(&task, &region("510104"), &late, &scheme).unwrap();
    assert_eq!((responsible.weight, responsible.achieved), (0.5, 0.5));
    assert_eq!(
        task_item(&task, &department("statistics"), &on_time, &scheme),
        None
    );
    assert_eq!(
        task_item(
            &task,
            &department("commerce"),
            &judgement(Status::Overdue, None),
            &scheme
        )
        .unwrap()
        .achieved,
        0.0
    );
    let project = Project {
        key: "P".into(),
        name: "项目".into(),
        content: String::new(),
        region: "510104".into(),
        coordinates: None,
        column: None,
        unit: region("510104"),
        total_investment: 50.0,
        yearly_plan: vec![(2024, 8.0)],
        planned_start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
        planned_completion: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        stage: Stage::Construction,
    };
    let invested = project_item(&project, 2024, 10.0).unwrap();
    assert_eq!((invested.weight, invested.achieved), (8.0, 1.0));
    assert_eq!(project_item(&project, 2025, 1.0), None);
    let unit = region("510104");
    assert_eq!(
        report_item(
            &unit,
            "gdp/510104/2024-Q1",
            "GDP",
            Timeliness::Late,
            &scheme
        )
        .achieved,
        0.5
    );
    assert_eq!(
        quality_item(
            &unit,
            "12",
            "报送 12",
            Quality::RevisedAfterApproval,
            &scheme
        )
        .achieved,
        0.0
    );
    assert_eq!(
        indicator_item(&unit, "gdp/510104", "GDP", 2.0).achieved,
        1.0
    );
}

fn arb_unit() -> impl Strategy<Value = Unit> {
    proptest::sample::select(all_units())
}

fn arb_items() -> impl Strategy<Value = Vec<Item>> {
    proptest::collection::vec(
        (
            arb_unit(),
            proptest::sample::select(Component::ALL.to_vec()),
            0u8..6,
            prop_oneof![Just(1.0), 0.1f64..20.0],
            prop_oneof![Just(0.0), Just(1.0), -0.5f64..1.5],
        )
            .prop_map(|(unit, component, id, weight, achieved)| {
                item(&unit, component, &format!("s{id}"), weight, achieved)
            }),
        0..40,
    )
}

fn arb_adjustments() -> impl Strategy<Value = Vec<Adjustment>> {
    proptest::collection::vec(
        (
            arb_unit(),
            prop_oneof![Just(AdjustmentKind::Bonus), Just(AdjustmentKind::Deduction)],
            0.1f64..5.0,
            0u8..5,
        )
            .prop_map(|(unit, kind, points, id)| {
                adjustment(&unit, kind, points, &format!("a{id}"))
            }),
        0..10,
    )
}

fn all_units() -> Vec<Unit> {
    vec![
        region("510104"),
        region("510105"),
        region("510106"),
        region("gaoxin"),
        region("tianfu"),
        department("commerce"),
        department("statistics"),
    ]
}

proptest! {
    #[test]
    fn scores_are_within_0_to_100_plus_the_caps(items in arb_items(), adjustments in arb_adjustments()) {
        let scheme = Scheme::default();
        let scores = score(&plan(), &scheme, &all_units(), &items, &adjustments).unwrap();
        for s in &scores {
            prop_assert!((-1e-9..=100.0 + 1e-9).contains(&s.base), "{}", s.base);
            prop_assert!((0.0..=scheme.bonus_cap + 1e-9).contains(&s.bonus));
            prop_assert!((0.0..=scheme.deduction_cap + 1e-9).contains(&s.deduction));
            prop_assert!(s.total <= 100.0 + scheme.bonus_cap + 1e-9);
            prop_assert!(s.total >= -scheme.deduction_cap - 1e-9);
            if s.assessed {
                let weights: f64 = s.components.iter().map(|c| c.effective_weight).sum();
                prop_assert!(close(weights, 100.0), "{}", weights);
            }
        }
    }

    #[test]
    fn every_point_is_traced_to_its_source(items in arb_items(), adjustments in arb_adjustments()) {
        let scores = score(&plan(), &Scheme::default(), &all_units(), &items, &adjustments).unwrap();
        for s in &scores {
            let traced: f64 = s.lines.iter().map(|l| l.points).sum();
            prop_assert!((traced - s.total).abs() < 1e-9, "{} vs {}", traced, s.total);
            for line in &s.lines {
                let found = match line.component {
                    Some(component) => items.iter().any(|i| i.unit == s.unit && i.component == component && i.source == line.source),
                    None => adjustments.iter().any(|a| a.unit == s.unit && a.source == line.source),
                };
                prop_assert!(found, "{:?}", line);
                prop_assert!(line.points.abs() <= line.possible + 1e-9);
            }
            let own = items.iter().filter(|i| i.unit == s.unit).count()
                + adjustments.iter().filter(|a| a.unit == s.unit).count();
            prop_assert_eq!(s.lines.len(), own);
        }
    }

    #[test]
    fn scores_and_ranks_are_stable_under_reordering(
        (items, shuffled_items) in arb_items().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        (adjustments, shuffled_adjustments) in arb_adjustments().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        units in Just(all_units()).prop_shuffle(),
    ) {
        let scheme = Scheme::default();
        let plan = plan();
        let first = score(&plan, &scheme, &all_units(), &items, &adjustments).unwrap();
        let second = score(&plan, &scheme, &units, &shuffled_items, &shuffled_adjustments).unwrap();
        prop_assert_eq!(first, second);
    }

    #[test]
    fn achieving_more_never_lowers_a_score(items in arb_items(), pick in 0usize..40) {
        prop_assume!(!items.is_empty());
        let scheme = Scheme::default();
        let plan = plan();
        let mut better = items.clone();
        let index = pick % better.len();
        better[index].achieved = share(better[index].achieved) + 0.25;
        let unit = better[index].unit.clone();
        let before = score(&plan, &scheme, &all_units(), &items, &[]).unwrap();
        let after = score(&plan, &scheme, &all_units(), &better, &[]).unwrap();
        let total = |scores: &[UnitScore]| scores.iter().find(|s| s.unit == unit).unwrap().total;
        prop_assert!(total(&after) >= total(&before) - 1e-9);
    }
}
