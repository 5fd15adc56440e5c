use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use planwatch_eval::{
    Assessment, Evaluation, Panel, PlanInputs, RegionTargets, Selection, Series, Status,
    evaluate_plan,
};
use planwatch_plan::Plan;
use planwatch_tasks::{Stage, Status as TaskStatus};
use proptest::prelude::*;

use crate::rules::{Category, Trend, Verdict, category, time_elapsed, trend};
use crate::{
    Block, Lang, ProjectLine, ReportInputs, ReportKind, SavedText, TaskLine, TextSection, build,
    draft_text,
};

/// An evaluation of a level target due in 2025, in `year`, with `status`.
fn eval(status: Status, year: u16) -> Evaluation {
    Evaluation {
        kind: "level",
        year,
        baseline_year: Some(2020),
        baseline_value: Some(100.0),
        target_year: 2025,
        target_value: Some(200.0),
        latest_year: Some(year),
        latest_value: Some(150.0),
        completion: Some(0.75),
        distance_covered: Some(0.5),
        time_elapsed: Some(0.6),
        actual_growth: None,
        required_growth: None,
        required_growth_remaining: None,
        projection: None,
        growth_ratio: None,
        milestone_gap: None,
        status,
        projection_meets_target: None,
        time_rule_met: None,
        milestones: BTreeMap::new(),
        reason_zh: String::new(),
        reason_en: String::new(),
        levels: None,
    }
}

#[test]
fn categories_follow_the_documented_rule() {
    let with = |status, year, r: Option<f64>, d: Option<f64>| {
        let mut e = eval(status, year);
        e.growth_ratio = r;
        e.distance_covered = d;
        e
    };
    let table: [(Evaluation, Category); 13] = [
        (with(Status::Achieved, 2023, None, None), Category::Early),
        (with(Status::Achieved, 2025, None, None), Category::OnPace),
        (
            with(Status::OnTrack, 2023, Some(1.1), None),
            Category::Ahead,
        ),
        (
            with(Status::OnTrack, 2023, Some(1.09), Some(0.9)),
            Category::OnPace,
        ),
        (
            with(Status::OnTrack, 2023, Some(0.96), None),
            Category::OnPace,
        ),
        // Without R: distance covered against time elapsed (0.6) + 0.1.
        (
            with(Status::OnTrack, 2023, None, Some(0.7)),
            Category::Ahead,
        ),
        (
            with(Status::OnTrack, 2023, None, Some(0.69)),
            Category::OnPace,
        ),
        (
            with(Status::AccelerationNeeded, 2023, Some(0.8), None),
            Category::Behind,
        ),
        (
            with(Status::LimitedProgress, 2023, Some(0.1), None),
            Category::Behind,
        ),
        (
            with(Status::Deterioration, 2023, Some(-0.1), None),
            Category::Behind,
        ),
        (
            with(Status::NotAchieved, 2025, None, None),
            Category::Behind,
        ),
        (with(Status::NoData, 2023, None, None), Category::NoData),
        (
            with(Status::NotAssessable, 2023, None, None),
            Category::NoData,
        ),
    ];
    for (e, expected) in table {
        assert_eq!(
            category(&e, None),
            expected,
            "{:?} R={:?} d={:?}",
            e.status,
            e.growth_ratio,
            e.distance_covered
        );
    }
}

#[test]
fn qualitative_targets_go_by_the_planners_words() {
    let mut e = eval(Status::NotAssessable, 2023);
    e.kind = "qualitative";
    for (words, expected) in [
        (Some("已提前实现目标"), Category::Early),
        (Some("进展快于预期"), Category::Ahead),
        (Some("稳步推进"), Category::OnPace),
        (Some("进度滞后于预期"), Category::Behind),
        (Some("尚未实现，难以完成"), Category::Behind),
        (None, Category::NoData),
    ] {
        assert_eq!(category(&e, words), expected, "{words:?}");
    }
    e.year = 2025;
    assert_eq!(category(&e, Some("已实现")), Category::OnPace);
}

#[test]
fn trends_follow_the_projection() {
    let with = |status, p: Option<f64>, meets: Option<bool>| {
        let mut e = eval(status, 2023);
        e.projection = p;
        e.projection_meets_target = meets;
        e
    };
    // Latest 150, target 200: 90 % of the remaining 50 is 45, a projection of 195.
    let table = [
        (with(Status::Achieved, None, None), Trend::Achieved),
        (
            with(Status::NotAchieved, Some(190.0), Some(false)),
            Trend::Unlikely,
        ),
        (
            with(Status::OnTrack, Some(210.0), Some(true)),
            Trend::Likely,
        ),
        (with(Status::OnTrack, Some(200.0), None), Trend::Likely),
        (
            with(Status::AccelerationNeeded, Some(195.0), Some(false)),
            Trend::Difficult,
        ),
        (
            with(Status::AccelerationNeeded, Some(194.9), Some(false)),
            Trend::Unlikely,
        ),
        (
            with(Status::Deterioration, Some(140.0), Some(false)),
            Trend::Unlikely,
        ),
        (with(Status::OnTrack, None, None), Trend::Likely),
        (
            with(Status::AccelerationNeeded, None, None),
            Trend::Difficult,
        ),
        (with(Status::LimitedProgress, None, None), Trend::Unlikely),
        (with(Status::NoData, None, None), Trend::Unknown),
    ];
    for (e, expected) in table {
        assert_eq!(trend(&e), expected, "{:?} p={:?}", e.status, e.projection);
    }
    // Lower is better: latest 150, target 100; 90 % of the way is 105.
    let mut e = with(Status::AccelerationNeeded, Some(105.0), Some(false));
    e.target_value = Some(100.0);
    assert_eq!(trend(&e), Trend::Difficult);
    e.projection = Some(106.0);
    assert_eq!(trend(&e), Trend::Unlikely);
}

#[test]
fn verdicts_follow_the_shares() {
    use Category::*;
    /// Time elapsed, categories, distances covered; 时间过半、任务过半 and the phrase expected.
    type Case<'a> = (f64, &'a [Category], &'a [f64], Option<bool>, &'a str);
    let table: [Case<'_>; 6] = [
        (
            0.6,
            &[Early, Ahead, Behind],
            &[0.7, 0.6, 0.2],
            Some(true),
            "主要目标指标进展总体符合预期",
        ),
        (
            0.6,
            &[OnPace, Behind, Behind],
            &[0.7, 0.5, 0.2],
            Some(false),
            "部分主要目标指标进展滞后",
        ),
        // Exactly two thirds is enough; no data does not count against.
        (
            0.4,
            &[OnPace, OnPace, Behind, NoData],
            &[0.1],
            None,
            "主要目标指标进展总体符合预期",
        ),
        (
            0.5,
            &[Behind],
            &[0.5],
            Some(true),
            "部分主要目标指标进展滞后",
        ),
        (0.8, &[NoData], &[], None, "主要目标指标暂无监测数据"),
        // The median of an even count: (0.5 + 0.7) / 2 = 0.6 ≥ 0.6.
        (
            0.6,
            &[OnPace],
            &[0.5, 0.7, 0.1, 0.9],
            Some(true),
            "主要目标指标进展总体符合预期",
        ),
    ];
    for (elapsed, categories, distances, half, phrase) in table {
        let v = Verdict::new(elapsed, categories, distances);
        assert_eq!(v.half_time_half_task, half, "{categories:?} {distances:?}");
        assert_eq!(v.phrase(Lang::Zh), phrase, "{categories:?}");
    }
    assert_eq!(time_elapsed(2020, 2025, 2023), 0.6);
    assert_eq!(time_elapsed(2020, 2025, 2019), 0.0);
    assert_eq!(time_elapsed(2020, 2025, 2030), 1.0);
}

/// The Chengdu plan's city rows in 2023 from a panel where every indicator with a level target
/// has grown from its baseline by `growth` a year.
fn city_rows(plan: &Plan, growth: f64, year: u16) -> (Vec<Assessment>, HashMap<String, Series>) {
    let city = plan
        .regions
        .iter()
        .position(|r| r.code == plan.region)
        .unwrap();
    let mut panel = Panel::default();
    let mut series = HashMap::new();
    for (i, ind) in plan.indicators.iter().enumerate() {
        let Some(b) = &ind.baseline else { continue };
        let mut s = Series::new();
        for y in b.year..=year {
            let v = b.value * (1.0 + growth).powi(i32::from(y - b.year));
            panel.insert(i, city, y, v);
            s.insert(y, v);
        }
        series.insert(ind.code.clone(), s);
    }
    let region_targets = RegionTargets::new();
    let assessments = HashMap::new();
    let inputs = PlanInputs {
        panel: &panel,
        region_targets: &region_targets,
        assessments: &assessments,
    };
    let selection = Selection {
        indicators: None,
        regions: Some(vec![city]),
    };
    (evaluate_plan(plan, &inputs, year, &selection), series)
}

fn inputs<'a>(
    plan: &'a Plan,
    rows: &'a [Assessment],
    series: &'a HashMap<String, Series>,
    none: &'a HashMap<String, String>,
) -> ReportInputs<'a> {
    ReportInputs {
        kind: ReportKind::Midterm,
        lang: Lang::Zh,
        year: 2023,
        as_of: NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
        plan,
        region: None,
        results: rows,
        series,
        districts: &[],
        assessments: none,
        tasks: &[],
        projects: &[],
        problems: None,
        suggestions: None,
    }
}

#[test]
fn a_report_has_six_sections_and_counts_every_category() {
    let plan = planwatch_plan::chengdu::plan();
    let (rows, series) = city_rows(&plan, 0.03, 2023);
    let none = HashMap::new();
    let report = build(&inputs(&plan, &rows, &series, &none));
    assert_eq!(
        report.title,
        "《成都市“十四五”服务业发展规划》实施中期评估报告"
    );
    let headings: Vec<_> = report.sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(
        headings,
        [
            "总体进展",
            "主要指标进展",
            "区（市）县",
            "重点任务和重大项目",
            "存在问题",
            "对策建议"
        ]
    );
    let labels: Vec<_> = report
        .facts
        .categories
        .iter()
        .map(|c| c.category.as_str())
        .collect();
    assert_eq!(
        labels,
        ["提前实现", "快于预期", "基本符合预期", "滞后", "暂无数据"]
    );
    let total: usize = report.facts.categories.iter().map(|c| c.total).sum();
    assert_eq!(total, report.facts.indicators.len());
    // Section 2: the plan's dimensions in order, the table with a row per indicator, a chart
    // per lagging indicator.
    let blocks = &report.sections[1].blocks;
    let subheadings: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Subheading { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        &subheadings[..4],
        ["发展能级", "创新能力", "市场活力", "开放水平"]
    );
    let table = blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .unwrap();
    assert_eq!(table.rows.len(), report.facts.indicators.len());
    assert_eq!(table.columns[2], "2020年");
    let charts = blocks
        .iter()
        .filter(|b| matches!(b, Block::Chart(_)))
        .count();
    let behind = report
        .facts
        .indicators
        .iter()
        .filter(|l| l.category == "滞后")
        .count();
    assert!(behind > 0, "3 % a year lags the plan's targets");
    assert_eq!(charts, behind);
    // No district targets, no tasks: notes say so.
    assert!(matches!(
        report.sections[2].blocks[..],
        [Block::Note { .. }]
    ));
    assert!(matches!(report.sections[3].blocks[0], Block::Note { .. }));
    // Drafts, named in the provenance.
    assert!(report.texts.iter().all(|t| t.version == 0));
    assert_eq!(
        report.provenance,
        "本报告数据截至2024年6月30日；“存在问题”采用系统生成的草稿，“对策建议”采用系统生成的草稿。"
    );
    let Block::List { items, .. } = &report.sections[4].blocks[1] else {
        panic!("the problems draft lists the lagging indicators")
    };
    assert_eq!(items.len(), behind);
    assert!(items.iter().any(|i| i.contains("需年均增长")));
}

#[test]
fn the_page_and_the_report_say_the_same_sentences() {
    let plan = planwatch_plan::chengdu::plan();
    let (rows, series) = city_rows(&plan, 0.08, 2023);
    let none = HashMap::new();
    let report = build(&inputs(&plan, &rows, &series, &none));
    let row = rows
        .iter()
        .find(|r| r.indicator == "services_value_added" && r.target == Some(0))
        .unwrap();
    let readings: String = crate::wording::readings(Lang::Zh, &plan, row)
        .iter()
        .map(|r| crate::wording::as_sentence(Lang::Zh, r))
        .collect();
    assert!(readings.starts_with("最新值 "), "{readings}");
    let text = report.sections[1]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<String>();
    assert!(text.contains(&readings), "{readings}");
}

#[test]
fn readings_end_as_sentences() {
    use crate::wording::as_sentence;
    assert_eq!(as_sentence(Lang::Zh, "进度滞后"), "进度滞后。");
    assert_eq!(as_sentence(Lang::Zh, "进度滞后。"), "进度滞后。");
    assert_eq!(as_sentence(Lang::En, "Behind"), "Behind.");
    assert_eq!(as_sentence(Lang::En, ""), "");
}

#[test]
fn saved_texts_tasks_and_projects_are_used() {
    let plan = planwatch_plan::chengdu::plan();
    let (rows, series) = city_rows(&plan, 0.03, 2023);
    let none = HashMap::new();
    let tasks = [
        TaskLine {
            action: "一、实施服务业能级提升行动".into(),
            title: "推进交子公园金融商务区建设".into(),
            lead: vec!["市金融监管局".into()],
            status: TaskStatus::Lagging,
        },
        TaskLine {
            action: "一、实施服务业能级提升行动".into(),
            title: "办好成都国际消费节".into(),
            lead: vec!["市商务局".into()],
            status: TaskStatus::Done,
        },
        TaskLine {
            action: "二、实施开放合作行动".into(),
            title: "建设国际门户枢纽".into(),
            lead: vec!["市口岸物流办".into()],
            status: TaskStatus::OnSchedule,
        },
    ];
    let projects = [ProjectLine {
        name: "天府国际会议中心".into(),
        units: vec!["天府新区".into()],
        stage: Stage::Construction,
        status: TaskStatus::Serious,
        planned: Some(20.0),
        invested: Some(8.0),
    }];
    let problems = SavedText {
        version: 2,
        body: "问题一段。\n\n1. 甲\n2. 乙".into(),
        author: "张三".into(),
        saved_at: "2024-07-01T09:00:00Z".into(),
    };
    let mut i = inputs(&plan, &rows, &series, &none);
    i.tasks = &tasks;
    i.projects = &projects;
    i.problems = Some(&problems);
    let report = build(&i);
    let s4 = &report.sections[3].blocks;
    let Block::Paragraph { text } = &s4[0] else {
        panic!("{s4:?}")
    };
    assert_eq!(
        text,
        "2023年分解任务3项，其中已完成1项，正常推进1项，进度滞后1项。"
    );
    let Block::Table(t) = &s4[1] else {
        panic!("{s4:?}")
    };
    assert_eq!(t.rows.len(), 3, "two actions and the total");
    assert_eq!(t.rows[0][..3], ["一、实施服务业能级提升行动", "2", "1"]);
    assert!(s4.iter().any(|b| matches!(b, Block::List { items, .. }
        if items == &["推进交子公园金融商务区建设（牵头单位：市金融监管局）：进度滞后。"])));
    assert_eq!(report.facts.project_investment, Some((8.0, 20.0)));
    assert!(s4.iter().any(|b| matches!(b, Block::Paragraph { text }
        if text == "2023年重大项目1个，其中在建1个；年度计划投资20亿元，已完成8亿元，完成率40.0%。")));
    assert_eq!(
        report.sections[4].blocks,
        vec![
            Block::Paragraph {
                text: "问题一段。".into()
            },
            Block::List {
                ordered: true,
                items: vec!["甲".into(), "乙".into()]
            }
        ]
    );
    assert_eq!(report.texts[0].version, 2);
    assert!(
        report
            .provenance
            .contains("“存在问题”采用第2版文本（张三，2024-07-01）")
    );
    // The suggestions draft names the lagging task's lead unit.
    let draft = draft_text(&i, TextSection::Suggestions);
    assert!(
        draft.contains("督促市金融监管局加快推进进度滞后的1项任务"),
        "{draft}"
    );
    assert!(draft.contains("根据中期评估结果"), "{draft}");
}

#[test]
fn the_english_edition_has_the_same_figures() {
    let plan = planwatch_plan::chengdu::plan();
    let (rows, series) = city_rows(&plan, 0.05, 2023);
    let none = HashMap::new();
    let mut i = inputs(&plan, &rows, &series, &none);
    let zh = build(&i);
    i.lang = Lang::En;
    i.kind = ReportKind::Annual;
    i.region = Some(("510104", "Jinjiang"));
    let en = build(&i);
    assert_eq!(
        en.title,
        "Implementation of the Chengdu 14th Five-Year Service Industry Development Plan (2021–2025) in 2023: Jinjiang"
    );
    assert_eq!(en.sections[0].heading, "Overall progress");
    let figures = |r: &crate::Report| {
        r.facts
            .indicators
            .iter()
            .map(|l| (l.code.clone(), l.latest, l.completion))
            .collect::<Vec<_>>()
    };
    assert_eq!(figures(&zh), figures(&en));
    let totals = |r: &crate::Report| {
        r.facts
            .categories
            .iter()
            .map(|c| c.total)
            .collect::<Vec<_>>()
    };
    assert_eq!(totals(&zh), totals(&en));
    assert_eq!(en.facts.categories[0].category, "Met early");
    i.lang = Lang::Zh;
    assert_eq!(
        build(&i).title,
        "《成都市“十四五”服务业发展规划》Jinjiang2023年实施情况评估报告"
    );
    i.kind = ReportKind::Final;
    i.region = None;
    assert_eq!(
        build(&i).title,
        "《成都市“十四五”服务业发展规划》实施总结评估报告"
    );
}

const STATUSES: [Status; 8] = [
    Status::Achieved,
    Status::NotAchieved,
    Status::OnTrack,
    Status::AccelerationNeeded,
    Status::LimitedProgress,
    Status::Deterioration,
    Status::NoData,
    Status::NotAssessable,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the statuses, every category is listed once and the counts add up to the
    /// indicators, by nature too.
    #[test]
    fn counts_sum_to_the_indicators(
        picks in proptest::collection::vec((0..STATUSES.len(), 0.0..2.0f64, 0.0..1.0f64), 60),
    ) {
        let plan = planwatch_plan::chengdu::plan();
        let (mut rows, series) = city_rows(&plan, 0.05, 2023);
        for (row, (s, r, d)) in rows.iter_mut().zip(picks.iter().cycle()) {
            row.evaluation.status = STATUSES[*s];
            row.evaluation.growth_ratio = Some(*r);
            row.evaluation.distance_covered = Some(*d);
        }
        let none = HashMap::new();
        let report = build(&inputs(&plan, &rows, &series, &none));
        let cats = &report.facts.categories;
        prop_assert_eq!(cats.len(), Category::ALL.len());
        for (c, expected) in cats.iter().zip(Category::ALL) {
            prop_assert_eq!(c.category.as_str(), expected.label(Lang::Zh));
            prop_assert_eq!(c.binding + c.expected, c.total);
        }
        let n = report.facts.indicators.len();
        prop_assert_eq!(cats.iter().map(|c| c.total).sum::<usize>(), n);
        let Some(Block::Table(t)) = report.sections[1].blocks.iter().find(|b| matches!(b, Block::Table(_))) else {
            return Err(TestCaseError::fail("no table"));
        };
        prop_assert_eq!(t.rows.len(), n);
    }
}
