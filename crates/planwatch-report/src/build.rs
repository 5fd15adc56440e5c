//! A report from the evaluation, the tasks and the planner texts: [`build`].

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use planwatch_eval::{Assessment, Series};
use planwatch_plan::{Indicator, Plan, fmt_num};
use planwatch_tasks::{Stage, Status as TaskStatus};

use crate::markup;
use crate::model::{
    Block, CategoryCount, Chart, ChartPoint, Facts, IndicatorLine, Lang, Report, ReportKind,
    Section, Table, TextVersion,
};
use crate::rules::{Category, Trend, Verdict, category, time_elapsed, trend};
use crate::wording::{self, text};

/// A task of the evaluated year, as section 4 needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLine {
    /// The action (section row) it belongs to, e.g. 一、实施服务业能级提升行动.
    pub action: String,
    pub title: String,
    /// The lead units' names.
    pub lead: Vec<String>,
    pub status: TaskStatus,
}

/// A key project of the evaluated year, as section 4 needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectLine {
    pub name: String,
    /// The responsible units' names.
    pub units: Vec<String>,
    /// The stage as last reported (else as listed).
    pub stage: Stage,
    pub status: TaskStatus,
    /// The year's planned investment, 亿元.
    pub planned: Option<f64>,
    /// Invested in the year so far as last reported, 亿元.
    pub invested: Option<f64>,
}

/// A planner text as saved (`planwatch-store`'s report texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedText {
    pub version: u32,
    /// The markup: see [`crate::markup`].
    pub body: String,
    pub author: String,
    /// RFC 3339.
    pub saved_at: String,
}

/// The sections a planner writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextSection {
    /// 5 存在问题
    Problems,
    /// 6 对策建议
    Suggestions,
}

impl TextSection {
    pub const ALL: [TextSection; 2] = [TextSection::Problems, TextSection::Suggestions];

    /// `problems`, `suggestions`: the store's key and [`TextVersion::section`].
    pub fn as_str(self) -> &'static str {
        match self {
            TextSection::Problems => "problems",
            TextSection::Suggestions => "suggestions",
        }
    }

    pub fn parse(s: &str) -> Option<TextSection> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn heading(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TextSection::Problems, Lang::Zh) => "存在问题",
            (TextSection::Problems, Lang::En) => "Problems",
            (TextSection::Suggestions, Lang::Zh) => "对策建议",
            (TextSection::Suggestions, Lang::En) => "Suggestions",
        }
    }

    fn number(self) -> u8 {
        match self {
            TextSection::Problems => 5,
            TextSection::Suggestions => 6,
        }
    }
}

/// Everything a report says comes from here.
#[derive(Debug, Clone, Copy)]
pub struct ReportInputs<'a> {
    pub kind: ReportKind,
    pub lang: Lang,
    /// The evaluated year.
    pub year: u16,
    /// The data as-of date.
    pub as_of: NaiveDate,
    pub plan: &'a Plan,
    /// A district's own report: its code and name.
    pub region: Option<(&'a str, &'a str)>,
    /// The evaluation of the report's region (the plan's own, or the district's): rows with a
    /// target (`Assessment::target` set) are judged.
    pub results: &'a [Assessment],
    /// The yearly values of the report's region, by indicator code, for the charts.
    pub series: &'a HashMap<String, Series>,
    /// The districts' rows against their own targets, for section 3 (empty: no district targets).
    pub districts: &'a [Assessment],
    /// The planners' assessments of qualitative targets, by indicator code.
    pub assessments: &'a HashMap<String, String>,
    /// The year's tasks and key projects, with their status on the as-of date.
    pub tasks: &'a [TaskLine],
    pub projects: &'a [ProjectLine],
    /// The saved texts of sections 5 and 6, if any (else the drafts are used).
    pub problems: Option<&'a SavedText>,
    pub suggestions: Option<&'a SavedText>,
}

impl ReportInputs<'_> {
    fn saved(&self, section: TextSection) -> Option<&SavedText> {
        match section {
            TextSection::Problems => self.problems,
            TextSection::Suggestions => self.suggestions,
        }
    }

    fn zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    /// `zh` or `en` by the edition's language.
    fn pick<T>(&self, zh: T, en: T) -> T {
        if self.zh() { zh } else { en }
    }
}

/// One main indicator, judged.
struct Judged<'a> {
    indicator: &'a Indicator,
    row: &'a Assessment,
    category: Category,
    trend: Trend,
}

/// The plan's indicators with a target (the numbered table's and those of the text: context
/// series have none), each judged by its first target, in the plan's order.
fn judged<'a>(inputs: &ReportInputs<'a>) -> Vec<Judged<'a>> {
    inputs
        .plan
        .indicators
        .iter()
        .filter(|i| !i.is_context())
        .filter_map(|indicator| {
            let row = inputs
                .results
                .iter()
                .filter(|r| r.indicator == indicator.code && r.target.is_some())
                .min_by_key(|r| r.target)?;
            let assessment = inputs.assessments.get(&indicator.code).map(String::as_str);
            Some(Judged {
                indicator,
                row,
                category: category(&row.evaluation, assessment),
                trend: trend(&row.evaluation),
            })
        })
        .collect()
}

/// The report (see `docs/reports.md`).
pub fn build(inputs: &ReportInputs<'_>) -> Report {
    let plan = inputs.plan;
    let lang = inputs.lang;
    let judged = judged(inputs);
    let categories: Vec<Category> = judged.iter().map(|j| j.category).collect();
    let distances: Vec<f64> = judged
        .iter()
        .filter_map(|j| j.row.evaluation.distance_covered)
        .collect();
    let elapsed = time_elapsed(plan.base_year, plan.target_year, inputs.year);
    let verdict = Verdict::new(elapsed, &categories, &distances);
    let counts = category_counts(lang, &judged);
    let mut tables = 0;
    let mut sections = vec![
        Section {
            number: 1,
            heading: inputs.pick("总体进展", "Overall progress").into(),
            blocks: overall(inputs, &verdict, &judged),
        },
        Section {
            number: 2,
            heading: inputs.pick("主要指标进展", "Main indicators").into(),
            blocks: indicators(inputs, &judged, &counts, &mut tables),
        },
        Section {
            number: 3,
            heading: inputs.pick("区（市）县", "Districts").into(),
            blocks: districts(inputs, &mut tables),
        },
        Section {
            number: 4,
            heading: inputs
                .pick("重点任务和重大项目", "Key tasks and projects")
                .into(),
            blocks: tasks(inputs, &mut tables),
        },
    ];
    let mut texts = Vec::new();
    for section in TextSection::ALL {
        let (blocks, used) = planner_text(inputs, &judged, section);
        sections.push(Section {
            number: section.number(),
            heading: section.heading(lang).into(),
            blocks,
        });
        texts.push(used);
    }
    let issuer = text(lang, &plan.issuer);
    let facts = Facts {
        verdict: verdict.phrase(lang).into(),
        time_elapsed: Some(elapsed),
        half_time_half_task: verdict.half_time_half_task,
        categories: counts,
        indicators: judged.iter().map(|j| line(inputs, j)).collect(),
        tasks_by_status: tasks_by_status(inputs),
        projects_by_stage: projects_by_stage(inputs),
        project_investment: project_investment(inputs),
    };
    Report {
        kind: inputs.kind,
        lang,
        plan_id: plan.id.clone(),
        title: title(inputs),
        subtitle: inputs.pick(
            format!("数据截至{}", date_zh(inputs.as_of)),
            format!("Data as of {}", inputs.as_of),
        ),
        issuer,
        year: inputs.year,
        as_of: inputs.as_of,
        region: inputs
            .region
            .map(|(code, name)| (code.to_owned(), name.to_owned())),
        provenance: provenance(inputs, &texts),
        facts,
        sections,
        texts,
    }
}

/// 2024年6月30日
fn date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 《成都市“十四五”服务业发展规划》2024年实施情况评估报告, …实施中期评估报告, …实施总结评估报告;
/// a district's report names the district after the plan.
fn title(inputs: &ReportInputs<'_>) -> String {
    let plan = text(inputs.lang, &inputs.plan.title);
    let district = inputs.region.map(|(_, name)| name);
    if inputs.zh() {
        let district = district.unwrap_or_default();
        match inputs.kind {
            ReportKind::Annual => format!("《{plan}》{district}{}年实施情况评估报告", inputs.year),
            ReportKind::Midterm => format!("《{plan}》{district}实施中期评估报告"),
            ReportKind::Final => format!("《{plan}》{district}实施总结评估报告"),
        }
    } else {
        let what = match inputs.kind {
            ReportKind::Annual => format!("Implementation of the {plan} in {}", inputs.year),
            ReportKind::Midterm => format!("Mid-term evaluation of the {plan}"),
            ReportKind::Final => format!("Final evaluation of the {plan}"),
        };
        match district {
            Some(name) => format!("{what}: {name}"),
            None => what,
        }
    }
}

/// The sentence on the data's date and the texts used.
fn provenance(inputs: &ReportInputs<'_>, texts: &[TextVersion]) -> String {
    let parts: Vec<String> = texts
        .iter()
        .map(|t| {
            let section = TextSection::parse(&t.section).map_or("", |s| s.heading(inputs.lang));
            let day = t.saved_at.as_deref().map(|s| s.get(..10).unwrap_or(s));
            match (inputs.lang, t.version, &t.author, day) {
                (Lang::Zh, 0, ..) => format!("“{section}”采用系统生成的草稿"),
                (Lang::Zh, v, author, day) => format!(
                    "“{section}”采用第{v}版文本（{}，{}）",
                    author.as_deref().unwrap_or_default(),
                    day.unwrap_or_default()
                ),
                (Lang::En, 0, ..) => format!("“{section}” is the generated draft"),
                (Lang::En, v, author, day) => format!(
                    "“{section}” is version {v} ({}, {})",
                    author.as_deref().unwrap_or_default(),
                    day.unwrap_or_default()
                ),
            }
        })
        .collect();
    if inputs.zh() {
        format!(
            "本报告数据截至{}；{}。",
            date_zh(inputs.as_of),
            parts.join("，")
        )
    } else {
        format!(
            "The data in this report are as of {}; {}.",
            inputs.as_of,
            parts.join("; ")
        )
    }
}

fn category_counts(lang: Lang, judged: &[Judged<'_>]) -> Vec<CategoryCount> {
    Category::ALL
        .into_iter()
        .map(|c| {
            let of = |binding: bool| {
                judged
                    .iter()
                    .filter(|j| {
                        j.category == c
                            && (j.indicator.nature == planwatch_plan::Nature::Binding) == binding
                    })
                    .count()
            };
            let (binding, expected) = (of(true), of(false));
            CategoryCount {
                category: c.label(lang).into(),
                binding,
                expected,
                total: binding + expected,
            }
        })
        .collect()
}

/// Section 1: the verdict in its set phrases.
fn overall(inputs: &ReportInputs<'_>, verdict: &Verdict, judged: &[Judged<'_>]) -> Vec<Block> {
    let plan = inputs.plan;
    let pct = format!("{:.0}%", verdict.time_elapsed * 100.0);
    let behind = judged
        .iter()
        .filter(|j| j.category == Category::Behind)
        .count();
    let no_data = judged.len() - verdict.with_data;
    let half = verdict.half_phrase(inputs.lang);
    let where_ = inputs.region.map(|(_, name)| name);
    let text = if inputs.zh() {
        let half = half.map(|h| format!("{h}，")).unwrap_or_default();
        format!(
            "规划实施以来（{}—{}年），时间进度为{pct}。{}{half}{}：规划设定目标的{}项指标中，{}项进展符合或好于预期，{behind}项滞后，{no_data}项暂无数据。",
            plan.base_year + 1,
            inputs.year,
            where_.unwrap_or_default(),
            verdict.phrase(inputs.lang),
            judged.len(),
            verdict.on_pace,
        )
    } else {
        let said = match half {
            Some(h) => format!("{}; {}", capitalise(h), verdict.phrase(inputs.lang)),
            None => capitalise(verdict.phrase(inputs.lang)),
        };
        format!(
            "Since the plan began ({}–{}){}, {pct} of its period has passed. {said}: of the {} indicators with a target, {} are on pace or better, {behind} behind, {no_data} without data.",
            plan.base_year + 1,
            inputs.year,
            where_.map(|n| format!(" in {n}")).unwrap_or_default(),
            judged.len(),
            verdict.on_pace,
        )
    };
    vec![Block::Paragraph { text }]
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Section 2: counts, a paragraph per dimension, the table, a chart per lagging indicator.
fn indicators(
    inputs: &ReportInputs<'_>,
    judged: &[Judged<'_>],
    counts: &[CategoryCount],
    tables: &mut usize,
) -> Vec<Block> {
    let plan = inputs.plan;
    let lang = inputs.lang;
    let mut blocks = vec![Block::Paragraph {
        text: counts_sentence(inputs, judged.len(), counts),
    }];
    // Dimensions in the plan's order, then indicators without one.
    let mut groups: Vec<(String, Vec<&Judged<'_>>)> = plan
        .dimensions
        .iter()
        .map(|d| {
            let members = judged
                .iter()
                .filter(|j| j.indicator.dimension.as_deref() == Some(d.code.as_str()))
                .collect();
            (text(lang, &d.name), members)
        })
        .collect();
    let known = |j: &&Judged<'_>| {
        j.indicator
            .dimension
            .as_ref()
            .is_some_and(|d| plan.dimensions.iter().any(|x| &x.code == d))
    };
    groups.push((
        inputs.pick("其他指标", "Other indicators").into(),
        judged.iter().filter(|j| !known(j)).collect(),
    ));
    let groups = groups.into_iter().filter(|(_, m)| !m.is_empty());
    for (number, (name, members)) in (1..).zip(groups) {
        blocks.push(Block::Subheading { number, text: name });
        let sentences: Vec<String> = members
            .iter()
            .map(|j| {
                let name = text(lang, &j.indicator.name);
                let readings = wording::readings(lang, plan, j.row)
                    .iter()
                    .map(|r| wording::as_sentence(lang, r))
                    .collect::<Vec<_>>()
                    .join(inputs.pick("", " "));
                inputs.pick(format!("{name}：{readings}"), format!("{name}: {readings}"))
            })
            .collect();
        blocks.push(Block::Paragraph {
            text: sentences.join(inputs.pick("", " ")),
        });
    }
    *tables += 1;
    blocks.push(Block::Table(indicator_table(inputs, judged, *tables)));
    let lagging = judged.iter().filter(|j| j.category == Category::Behind);
    for (n, j) in lagging.enumerate() {
        blocks.extend(chart(inputs, j, n + 1).map(Block::Chart));
    }
    blocks
}

/// 规划设定目标的33项指标中，提前实现2项，…；其中约束性指标…
fn counts_sentence(inputs: &ReportInputs<'_>, total: usize, counts: &[CategoryCount]) -> String {
    let each = |f: &dyn Fn(&CategoryCount) -> usize| -> Vec<String> {
        counts
            .iter()
            .map(|c| {
                if inputs.zh() {
                    format!("{}{}项", c.category, f(c))
                } else {
                    format!("{} {}", f(c), c.category.to_lowercase())
                }
            })
            .collect()
    };
    let binding: usize = counts.iter().map(|c| c.binding).sum();
    let expected: usize = counts.iter().map(|c| c.expected).sum();
    if inputs.zh() {
        format!(
            "规划设定目标的{total}项指标中，{}。其中约束性指标{binding}项：{}；预期性指标{expected}项：{}。",
            each(&|c| c.total).join("，"),
            each(&|c| c.binding).join("，"),
            each(&|c| c.expected).join("，"),
        )
    } else {
        format!(
            "Of the plan's {total} indicators with a target: {}. Binding indicators ({binding}): {}; expected indicators ({expected}): {}.",
            each(&|c| c.total).join(", "),
            each(&|c| c.binding).join(", "),
            each(&|c| c.expected).join(", "),
        )
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A unit not worth printing: none, or a dash.
fn no_unit(unit: &str) -> bool {
    matches!(unit.trim(), "" | "—" | "-")
}

fn unit(inputs: &ReportInputs<'_>, indicator: &Indicator) -> String {
    text(inputs.lang, &indicator.unit_text())
}

/// The table's target cell: the value when there is one, else the target in words.
fn target_cell(inputs: &ReportInputs<'_>, row: &Assessment) -> String {
    match row.evaluation.target_value {
        Some(v) => wording::figure(row, v),
        None => match inputs.lang {
            Lang::Zh => row.target_text.clone(),
            Lang::En => row.target_text_en.clone(),
        }
        .unwrap_or_else(|| "—".into()),
    }
}

fn line(inputs: &ReportInputs<'_>, j: &Judged<'_>) -> IndicatorLine {
    let e = &j.row.evaluation;
    let lang = inputs.lang;
    IndicatorLine {
        code: j.indicator.code.clone(),
        name: text(lang, &j.indicator.name),
        unit: unit(inputs, j.indicator),
        kind: inputs
            .pick(j.indicator.nature.label_zh(), j.indicator.nature.label_en())
            .into(),
        dimension: j
            .indicator
            .dimension
            .as_ref()
            .and_then(|d| inputs.plan.dimensions.iter().find(|x| &x.code == d))
            .map(|d| text(lang, &d.name))
            .unwrap_or_default(),
        baseline: e.baseline_value,
        target: target_cell(inputs, j.row),
        latest: e.latest_value,
        latest_year: e.latest_year,
        completion: e.completion,
        category: j.category.label(lang).into(),
        trend: j.trend.label(lang).into(),
    }
}

fn indicator_table(inputs: &ReportInputs<'_>, judged: &[Judged<'_>], number: usize) -> Table {
    let plan = inputs.plan;
    let (base, t1) = (plan.base_year, plan.target_year);
    let columns: [String; 8] = if inputs.zh() {
        [
            "指标".into(),
            "属性".into(),
            format!("{base}年"),
            format!("{t1}年目标"),
            "最新值".into(),
            "完成度".into(),
            "进展判断".into(),
            "趋势判断".into(),
        ]
    } else {
        [
            "Indicator".into(),
            "Type".into(),
            format!("{base}"),
            format!("Target {t1}"),
            "Latest".into(),
            "Completion".into(),
            "Judgement".into(),
            "Trend".into(),
        ]
    };
    let rows = judged
        .iter()
        .map(|j| {
            let l = line(inputs, j);
            let e = &j.row.evaluation;
            let figure = |v| wording::figure(j.row, v);
            let baseline = match (l.baseline, e.baseline_year) {
                (Some(v), Some(y)) if y != base => inputs.pick(
                    format!("{}（{y}年）", figure(v)),
                    format!("{} ({y})", figure(v)),
                ),
                (Some(v), _) => figure(v),
                (None, _) => "—".into(),
            };
            let latest = match (l.latest, l.latest_year) {
                (Some(v), Some(y)) => inputs.pick(
                    format!("{}（{y}年）", figure(v)),
                    format!("{} ({y})", figure(v)),
                ),
                _ => "—".into(),
            };
            let name = if no_unit(&l.unit) {
                l.name.clone()
            } else {
                inputs.pick(
                    format!("{}（{}）", l.name, l.unit),
                    format!("{} ({})", l.name, l.unit),
                )
            };
            vec![
                name,
                l.kind,
                baseline,
                l.target,
                latest,
                l.completion.map_or_else(|| "—".into(), percent),
                l.category,
                l.trend,
            ]
        })
        .collect();
    Table {
        caption: inputs.pick(
            format!("表{number}　主要指标进展情况"),
            format!("Table {number}. Progress of the main indicators"),
        ),
        columns: columns.to_vec(),
        rows,
        widths: vec![5, 2, 2, 2, 3, 2, 2, 3],
    }
}

/// A lagging indicator's series against its milestone path (for a growth-rate target, its
/// levels), from the baseline year to the evaluated year.
fn chart(inputs: &ReportInputs<'_>, j: &Judged<'_>, number: usize) -> Option<Chart> {
    let e = &j.row.evaluation;
    let plan = inputs.plan;
    // A growth-rate target is drawn on its level series.
    let (shown, milestones, target_value) = match (&e.levels, &j.row.level_indicator) {
        (Some(levels), Some(level)) => (
            plan.indicators.iter().find(|i| &i.code == level)?,
            &levels.milestones,
            levels.milestones.get(&e.target_year).copied(),
        ),
        _ => (j.indicator, &e.milestones, e.target_value),
    };
    let (code, unit) = (shown.code.as_str(), unit(inputs, shown));
    let first = e.baseline_year.unwrap_or(plan.base_year);
    let points = |m: &BTreeMap<u16, f64>, last: u16| -> Vec<ChartPoint> {
        m.range(first..=last.max(first))
            .map(|(&year, &value)| ChartPoint { year, value })
            .collect()
    };
    let series = inputs
        .series
        .get(code)
        .map(|s| points(s, inputs.year))
        .unwrap_or_default();
    if series.is_empty() && milestones.is_empty() {
        return None;
    }
    let name = text(inputs.lang, &shown.name);
    let t1 = e.target_year;
    Some(Chart {
        caption: if no_unit(&unit) {
            inputs.pick(
                format!("图{number}　{name}"),
                format!("Figure {number}. {name}"),
            )
        } else {
            inputs.pick(
                format!("图{number}　{name}（{unit}）"),
                format!("Figure {number}. {name} ({unit})"),
            )
        },
        indicator: code.to_owned(),
        unit,
        series,
        milestones: points(milestones, t1),
        target: target_value.map(|value| ChartPoint { year: t1, value }),
        legend: [
            inputs.pick("实际值", "Actual").into(),
            inputs.pick("目标路径", "Milestone path").into(),
            inputs.pick(format!("{t1}年目标"), format!("Target {t1}")),
        ],
    })
}

/// Section 3: for each indicator with district targets, the districts ranked by completion.
fn districts(inputs: &ReportInputs<'_>, tables: &mut usize) -> Vec<Block> {
    let plan = inputs.plan;
    let lang = inputs.lang;
    let mut blocks = Vec::new();
    for indicator in &plan.indicators {
        let mut rows: Vec<&Assessment> = inputs
            .districts
            .iter()
            .filter(|r| r.indicator == indicator.code && r.target.is_some())
            .collect();
        let Some(first_target) = rows.iter().filter_map(|r| r.target).min() else {
            continue;
        };
        rows.retain(|r| r.target == Some(first_target));
        rows.sort_by(|a, b| {
            let key = |r: &Assessment| r.evaluation.completion.unwrap_or(f64::NEG_INFINITY);
            key(b).total_cmp(&key(a))
        });
        *tables += 1;
        let name = text(lang, &indicator.name);
        let columns = inputs.pick(
            ["排名", "区（市）县", "最新值", "完成度", "进展判断"],
            ["Rank", "District", "Latest", "Completion", "Judgement"],
        );
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let e = &r.evaluation;
                let assessment = inputs.assessments.get(&indicator.code).map(String::as_str);
                vec![
                    if e.completion.is_some() {
                        (i + 1).to_string()
                    } else {
                        "—".into()
                    },
                    plan.regions
                        .iter()
                        .find(|x| x.code == r.region)
                        .map_or_else(|| r.region_name.clone(), |x| text(lang, &x.name)),
                    e.latest_value.map_or_else(|| "—".into(), fmt_num),
                    e.completion.map_or_else(|| "—".into(), percent),
                    category(e, assessment).label(lang).into(),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            caption: inputs.pick(
                format!("表{}　区（市）县{name}目标完成情况", *tables),
                format!("Table {}. {name}: the districts' targets", *tables),
            ),
            columns: columns.map(String::from).to_vec(),
            rows,
            widths: vec![1, 3, 2, 2, 2],
        }));
    }
    if blocks.is_empty() {
        blocks.push(Block::Note {
            text: inputs
                .pick(
                    "暂无分解到区（市）县的指标目标，本节从略。",
                    "No indicator has district targets; this section is omitted.",
                )
                .into(),
        });
    } else {
        blocks.insert(
            0,
            Block::Paragraph {
                text: inputs.pick(
                    format!(
                        "{}项指标的目标分解到区（市）县，各区（市）县按目标完成度排名如下。",
                        blocks.len()
                    ),
                    format!(
                        "{} indicators have district targets; the districts are ranked by completion below.",
                        blocks.len()
                    ),
                ),
            },
        );
    }
    blocks
}

/// The task statuses in the order reports list them.
const TASK_STATUSES: [TaskStatus; 7] = [
    TaskStatus::Done,
    TaskStatus::OnSchedule,
    TaskStatus::NotStarted,
    TaskStatus::Lagging,
    TaskStatus::Serious,
    TaskStatus::Overdue,
    TaskStatus::NotReported,
];

fn task_status_label(inputs: &ReportInputs<'_>, s: TaskStatus) -> &'static str {
    inputs.pick(s.label_zh(), s.label_en())
}

/// Behind: 进度滞后, 严重滞后, 逾期.
fn lagging(s: TaskStatus) -> bool {
    matches!(
        s,
        TaskStatus::Lagging | TaskStatus::Serious | TaskStatus::Overdue
    )
}

fn tasks_by_status(inputs: &ReportInputs<'_>) -> Vec<(String, usize)> {
    if inputs.tasks.is_empty() {
        return Vec::new();
    }
    TASK_STATUSES
        .into_iter()
        .map(|s| {
            (
                task_status_label(inputs, s).to_owned(),
                inputs.tasks.iter().filter(|t| t.status == s).count(),
            )
        })
        .collect()
}

fn projects_by_stage(inputs: &ReportInputs<'_>) -> Vec<(String, usize)> {
    if inputs.projects.is_empty() {
        return Vec::new();
    }
    Stage::ALL
        .into_iter()
        .map(|s| {
            (
                inputs.pick(s.label_zh(), s.label_en()).to_owned(),
                inputs.projects.iter().filter(|p| p.stage == s).count(),
            )
        })
        .collect()
}

/// (completed, planned) investment of the year's projects with a planned figure, 亿元.
fn project_investment(inputs: &ReportInputs<'_>) -> Option<(f64, f64)> {
    let with_plan: Vec<&ProjectLine> = inputs
        .projects
        .iter()
        .filter(|p| p.planned.is_some())
        .collect();
    if with_plan.is_empty() {
        return None;
    }
    let planned = with_plan.iter().filter_map(|p| p.planned).sum();
    let invested = with_plan.iter().filter_map(|p| p.invested).sum();
    Some((invested, planned))
}

/// `a、b、c` or `a, b, c`.
fn join_names(inputs: &ReportInputs<'_>, names: &[String]) -> String {
    names.join(inputs.pick("、", ", "))
}

/// Section 4: tasks by status per action, projects by stage and investment, the lagging named.
fn tasks(inputs: &ReportInputs<'_>, tables: &mut usize) -> Vec<Block> {
    let year = inputs.year;
    let mut blocks = Vec::new();
    if inputs.tasks.is_empty() {
        blocks.push(Block::Note {
            text: inputs.pick(
                format!("{year}年暂无分解任务，本节不列任务进展。"),
                format!("No tasks are recorded for {year}; this section lists no task progress."),
            ),
        });
    } else {
        let by_status = tasks_by_status(inputs);
        let said: Vec<String> = by_status
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| inputs.pick(format!("{s}{n}项"), format!("{n} {}", s.to_lowercase())))
            .collect();
        blocks.push(Block::Paragraph {
            text: inputs.pick(
                format!(
                    "{year}年分解任务{}项，其中{}。",
                    inputs.tasks.len(),
                    said.join("，")
                ),
                format!(
                    "{} tasks were set for {year}: {}.",
                    inputs.tasks.len(),
                    said.join(", ")
                ),
            ),
        });
        blocks.push(Block::Table(task_table(inputs, tables)));
        blocks.extend(named_lagging(
            inputs,
            inputs
                .tasks
                .iter()
                .map(|t| (t.title.as_str(), t.lead.as_slice(), t.status)),
            ("牵头单位", "lead"),
            ("以下任务进度滞后：", "These tasks are behind:"),
        ));
    }
    blocks.extend(projects(inputs));
    blocks
}

/// The tasks by action (rows) and status (columns), with a total row.
fn task_table(inputs: &ReportInputs<'_>, tables: &mut usize) -> Table {
    let mut actions: Vec<&str> = Vec::new();
    for t in inputs.tasks {
        if !actions.contains(&t.action.as_str()) {
            actions.push(&t.action);
        }
    }
    let row = |label: String, of: &dyn Fn(&TaskLine) -> bool| -> Vec<String> {
        let mine: Vec<&TaskLine> = inputs.tasks.iter().filter(|t| of(t)).collect();
        let mut cells = vec![label, mine.len().to_string()];
        cells.extend(
            TASK_STATUSES
                .iter()
                .map(|s| mine.iter().filter(|t| t.status == *s).count().to_string()),
        );
        cells
    };
    let mut rows: Vec<Vec<String>> = actions
        .iter()
        .map(|a| row((*a).to_owned(), &|t| t.action == *a))
        .collect();
    rows.push(row(inputs.pick("合计", "Total").into(), &|_| true));
    let mut columns = vec![
        inputs.pick("行动", "Action").to_owned(),
        inputs.pick("任务数", "Tasks").to_owned(),
    ];
    columns.extend(
        TASK_STATUSES
            .iter()
            .map(|s| task_status_label(inputs, *s).to_owned()),
    );
    *tables += 1;
    Table {
        caption: inputs.pick(
            format!("表{}　{}年重点任务推进情况", *tables, inputs.year),
            format!("Table {}. Tasks of {} by status", *tables, inputs.year),
        ),
        widths: std::iter::once(5)
            .chain(std::iter::repeat_n(1, columns.len() - 1))
            .collect(),
        columns,
        rows,
    }
}

/// The key projects: by stage, investment against plan, the lagging named.
fn projects(inputs: &ReportInputs<'_>) -> Vec<Block> {
    if inputs.projects.is_empty() {
        return Vec::new();
    }
    let stages: Vec<String> = projects_by_stage(inputs)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| inputs.pick(format!("{s}{n}个"), format!("{n} {}", s.to_lowercase())))
        .collect();
    let mut text = inputs.pick(
        format!(
            "{}年重大项目{}个，其中{}",
            inputs.year,
            inputs.projects.len(),
            stages.join("、")
        ),
        format!(
            "{} key projects are listed for {}: {}",
            inputs.projects.len(),
            inputs.year,
            stages.join(", ")
        ),
    );
    if let Some((invested, planned)) = project_investment(inputs) {
        let share = if planned > 0.0 {
            percent(invested / planned)
        } else {
            "—".into()
        };
        text += &inputs.pick(
            format!(
                "；年度计划投资{}亿元，已完成{}亿元，完成率{share}",
                fmt_num(round1(planned)),
                fmt_num(round1(invested))
            ),
            format!(
                "; of the year's planned investment of CNY {} 100 million, {} is completed ({share})",
                fmt_num(round1(planned)),
                fmt_num(round1(invested))
            ),
        );
    }
    text += inputs.pick("。", ".");
    let mut blocks = vec![Block::Paragraph { text }];
    blocks.extend(named_lagging(
        inputs,
        inputs
            .projects
            .iter()
            .map(|p| (p.name.as_str(), p.units.as_slice(), p.status)),
        ("责任单位", "responsible"),
        ("以下重大项目进度滞后：", "These key projects are behind:"),
    ));
    blocks
}

/// The lagging ones of `items` (title, units, status), each named with its units (`role`:
/// 牵头单位, 责任单位) and status, as a list under a lead-in; nothing when none lags.
fn named_lagging<'a>(
    inputs: &ReportInputs<'_>,
    items: impl Iterator<Item = (&'a str, &'a [String], TaskStatus)>,
    role: (&str, &str),
    lead_in: (&str, &str),
) -> Vec<Block> {
    let late: Vec<String> = items
        .filter(|(_, _, status)| lagging(*status))
        .map(|(title, units, status)| {
            let label = task_status_label(inputs, status);
            let units = join_names(inputs, units);
            inputs.pick(
                format!("{title}（{}：{units}）：{label}。", role.0),
                format!("{title} ({}: {units}): {}.", role.1, label.to_lowercase()),
            )
        })
        .collect();
    if late.is_empty() {
        return Vec::new();
    }
    vec![
        Block::Paragraph {
            text: inputs.pick(lead_in.0, lead_in.1).into(),
        },
        Block::List {
            ordered: false,
            items: late,
        },
    ]
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Section 5 or 6: the saved text, else the draft with a note; and which was used.
fn planner_text(
    inputs: &ReportInputs<'_>,
    judged: &[Judged<'_>],
    section: TextSection,
) -> (Vec<Block>, TextVersion) {
    match inputs.saved(section) {
        Some(saved) => (
            markup::parse(&saved.body, inputs.lang),
            TextVersion {
                section: section.as_str().into(),
                version: saved.version,
                author: Some(saved.author.clone()),
                saved_at: Some(saved.saved_at.clone()),
            },
        ),
        None => {
            let mut blocks = draft_blocks(inputs, judged, section);
            blocks.push(Block::Note {
                text: inputs
                    .pick(
                        "本节为系统生成的草稿，请规划处修改。",
                        "This section is a generated draft for the planners to edit.",
                    )
                    .into(),
            });
            (
                blocks,
                TextVersion {
                    section: section.as_str().into(),
                    version: 0,
                    author: None,
                    saved_at: None,
                },
            )
        }
    }
}

/// The generated draft of a planner section, as markup (what the editor is prefilled with).
pub fn draft_text(inputs: &ReportInputs<'_>, section: TextSection) -> String {
    markup::write(&draft_blocks(inputs, &judged(inputs), section))
}

/// The drafts name at most this many lagging tasks (section 4 lists them all).
const DRAFT_NAMED: usize = 10;

fn draft_blocks(
    inputs: &ReportInputs<'_>,
    judged: &[Judged<'_>],
    section: TextSection,
) -> Vec<Block> {
    let lang = inputs.lang;
    let behind: Vec<&Judged<'_>> = judged
        .iter()
        .filter(|j| j.category == Category::Behind)
        .collect();
    let late: Vec<&TaskLine> = inputs.tasks.iter().filter(|t| lagging(t.status)).collect();
    let mut leads: Vec<String> = Vec::new();
    for t in &late {
        for l in &t.lead {
            if !leads.contains(l) {
                leads.push(l.clone());
            }
        }
    }
    let mut items: Vec<String> = Vec::new();
    match section {
        TextSection::Problems => {
            for j in &behind {
                let name = text(lang, &j.indicator.name);
                let e = &j.row.evaluation;
                let mut s = match (e.latest_value, e.latest_year, e.completion) {
                    (Some(v), Some(y), Some(c)) => inputs.pick(
                        format!(
                            "{name}进展滞后：{y}年为{} {}，目标完成度{}。",
                            wording::figure(j.row, v),
                            unit(inputs, j.indicator),
                            percent(c)
                        ),
                        format!(
                            "{name} is behind: {} {} in {y}, {} of the target.",
                            wording::figure(j.row, v),
                            unit(inputs, j.indicator),
                            percent(c)
                        ),
                    ),
                    _ => inputs.pick(format!("{name}进展滞后。"), format!("{name} is behind.")),
                };
                if let Some(needed) = wording::needed_growth(lang, j.row) {
                    s += inputs.pick("", " ");
                    s += &needed;
                }
                items.push(s);
            }
            if !late.is_empty() {
                let titles: Vec<String> = late
                    .iter()
                    .take(DRAFT_NAMED)
                    .map(|t| t.title.clone())
                    .collect();
                let more = late.len() > DRAFT_NAMED;
                items.push(inputs.pick(
                    format!(
                        "{}项重点任务进度滞后：{}{}（牵头单位：{}）。",
                        late.len(),
                        titles.join("；"),
                        if more { "等" } else { "" },
                        join_names(inputs, &leads)
                    ),
                    format!(
                        "{} key tasks are behind: {}{} (lead: {}).",
                        late.len(),
                        titles.join("; "),
                        if more { " and others" } else { "" },
                        join_names(inputs, &leads)
                    ),
                ));
            }
            if items.is_empty() {
                return vec![Block::Paragraph {
                    text: inputs
                        .pick(
                            "主要指标和重点任务总体按预期推进，暂未发现突出问题。",
                            "The main indicators and key tasks are progressing as expected; no marked problem is found.",
                        )
                        .into(),
                }];
            }
        }
        TextSection::Suggestions => {
            for j in &behind {
                let name = text(lang, &j.indicator.name);
                let t1 = j.row.evaluation.target_year;
                items.push(inputs.pick(
                    format!("聚焦{name}，分析滞后原因，逐项制定提升措施，确保实现{t1}年目标。"),
                    format!(
                        "Focus on {name}: find why it lags and set measures to reach the {t1} target."
                    ),
                ));
            }
            if !late.is_empty() {
                items.push(inputs.pick(
                    format!(
                        "督促{}加快推进进度滞后的{}项任务，按期报送进展。",
                        join_names(inputs, &leads),
                        late.len()
                    ),
                    format!(
                        "Press {} to speed up the {} tasks that are behind and report on time.",
                        join_names(inputs, &leads),
                        late.len()
                    ),
                ));
            }
            if inputs.kind == ReportKind::Midterm {
                items.push(
                    inputs
                        .pick(
                            "根据中期评估结果，研究是否需要对规划目标进行调整。",
                            "In the light of this mid-term evaluation, consider whether the plan's targets need adjusting.",
                        )
                        .into(),
                );
            }
            if items.is_empty() {
                items.push(
                    inputs
                        .pick(
                            "保持现有推进力度，巩固规划实施成效。",
                            "Keep up the present pace of implementation.",
                        )
                        .into(),
                );
            }
        }
    }
    vec![
        Block::Paragraph {
            text: match section {
                TextSection::Problems => inputs.pick(
                    "规划实施中存在以下问题：",
                    "The implementation has these problems:",
                ),
                TextSection::Suggestions => inputs.pick("下一步建议：", "Next steps:"),
            }
            .into(),
        },
        Block::List {
            ordered: true,
            items,
        },
    ]
}
