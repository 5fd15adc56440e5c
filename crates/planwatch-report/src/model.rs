//! The report's types. Writers (`planwatch-report-docx`, `planwatch-report-pdf`, the web's HTML)
//! read only these.

use chrono::NaiveDate;
use serde::Serialize;

/// Which evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// 年度评估: the year's implementation.
    Annual,
    /// 中期评估: after two and a half years, heard by the people's congress.
    Midterm,
    /// 总结评估: after the plan's last year.
    Final,
}

impl ReportKind {
    pub const ALL: [ReportKind; 3] = [Self::Annual, Self::Midterm, Self::Final];

    /// `annual`, `midterm`, `final`: the CLI's argument and the API's path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Annual => "annual",
            Self::Midterm => "midterm",
            Self::Final => "final",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Annual => "年度评估",
            Self::Midterm => "中期评估",
            Self::Final => "总结评估",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Annual => "Annual evaluation",
            Self::Midterm => "Mid-term evaluation",
            Self::Final => "Final evaluation",
        }
    }
}

/// The edition's language: Chinese, or English with the same figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// `zh`, `en`: the CLI's `--lang`, the store's key of a planner text.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A whole report: what it is about, its facts and its sections in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    pub lang: Lang,
    /// The plan's id, e.g. `chengdu-services-2021-2025`.
    pub plan_id: String,
    /// The document's title, e.g. 《成都市“十四五”服务业发展规划》实施中期评估报告.
    pub title: String,
    /// Under the title: the data as-of date and the issuer, e.g. 成都市商务局　成都市发展和改革委员会.
    pub subtitle: String,
    /// The issuing offices, in order.
    pub issuer: String,
    /// The year the figures are evaluated for.
    pub year: u16,
    /// The data as-of date: figures known on that day. Also the documents' creation date (DOCX
    /// core properties, PDF metadata), so that the same store, date and texts give identical bytes.
    pub as_of: NaiveDate,
    /// A district's own report: its code and name; `None` for the plan's whole region.
    pub region: Option<(String, String)>,
    /// The sentence every report carries about its data and texts: as-of date and which version
    /// of each planner text it used.
    pub provenance: String,
    pub facts: Facts,
    /// In order: 1 总体进展, 2 主要指标进展, 3 区（市）县, 4 重点任务和重大项目, 5 存在问题, 6 对策建议.
    pub sections: Vec<Section>,
    /// The planner texts the report used (or the drafts, version 0).
    pub texts: Vec<TextVersion>,
}

/// A numbered section: `一、总体进展`. `number` is 1-based; writers print it as 一、二、… in Chinese
/// and 1. 2. … in English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub number: u8,
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// What a section holds, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A second-level heading, printed （一） in Chinese (楷体), `1.1` in English. `number` is 1-based
    /// within the section.
    Subheading {
        number: u8,
        text: String,
    },
    /// One paragraph of running text (first line indented two characters in Chinese).
    Paragraph {
        text: String,
    },
    /// A list; `ordered` lists print 1. 2. …, others a dash.
    List {
        ordered: bool,
        items: Vec<String>,
    },
    Table(Table),
    Chart(Chart),
    /// A remark in smaller type, e.g. why a section is omitted, or a table's source.
    Note {
        text: String,
    },
}

/// A table: caption above, header row, body rows; every cell text as printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// e.g. 表1　主要指标进展情况.
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Relative column widths (same length as `columns`), for writers that size columns.
    pub widths: Vec<u16>,
}

/// A line chart of one indicator: its series against the milestone path and the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// e.g. 图1　服务业增加值（亿元）.
    pub caption: String,
    pub indicator: String,
    pub unit: String,
    /// The values, by year.
    pub series: Vec<ChartPoint>,
    /// The milestone path from the baseline to the target, by year.
    pub milestones: Vec<ChartPoint>,
    /// The target year and value, when the target is a number.
    pub target: Option<ChartPoint>,
    /// Legend labels: series, milestone path, target.
    pub legend: [String; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChartPoint {
    pub year: u16,
    pub value: f64,
}

/// The numbers and judgements behind the sections (snapshot-tested; served by the API).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Facts {
    /// The overall verdict in the set phrases, e.g. 主要目标指标进展总体符合预期.
    pub verdict: String,
    /// Share of the plan period elapsed at the evaluated year (0–1).
    pub time_elapsed: Option<f64>,
    /// 时间过半、任务过半: met or not, when the period is at least half over.
    pub half_time_half_task: Option<bool>,
    /// Counts per category (提前实现, 快于预期, 基本符合预期, 滞后 — every one, zero included — and
    /// indicators without data), split by 约束性 / 预期性.
    pub categories: Vec<CategoryCount>,
    pub indicators: Vec<IndicatorLine>,
    /// Tasks by status (status label, count) and projects by stage, when tasks exist for the year.
    pub tasks_by_status: Vec<(String, usize)>,
    pub projects_by_stage: Vec<(String, usize)>,
    /// Key projects' investment completed against the year's plan, 亿元.
    pub project_investment: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryCount {
    /// 提前实现 | 快于预期 | 基本符合预期 | 滞后 | 暂无数据 (English labels in the English edition).
    pub category: String,
    pub binding: usize,
    pub expected: usize,
    pub total: usize,
}

/// One row of the indicator table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorLine {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// 约束性 | 预期性.
    pub kind: String,
    pub dimension: String,
    pub baseline: Option<f64>,
    pub target: String,
    pub latest: Option<f64>,
    pub latest_year: Option<u16>,
    pub completion: Option<f64>,
    /// The category, as in [`CategoryCount::category`].
    pub category: String,
    /// 预计能够完成 | 完成有难度 | 预计难以完成 (from the projection), or 已实现.
    pub trend: String,
}

/// Which text a report used for a planner-written section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextVersion {
    /// `problems` (存在问题) or `suggestions` (对策建议).
    pub section: String,
    /// The saved version used; 0 for the generated draft.
    pub version: u32,
    pub author: Option<String>,
    pub saved_at: Option<String>,
}

/// A small, complete report with every kind of block, for writers' tests while the real one is
/// built from the store (`planwatch_app::reports`).
pub fn fixture() -> Report {
    let chart = Chart {
        caption: "图1　服务业增加值（亿元）".into(),
        indicator: "I01".into(),
        unit: "亿元".into(),
        series: [
            (2020, 11_729.1),
            (2021, 13_077.3),
            (2022, 13_561.3),
            (2023, 14_756.6),
        ]
        .map(|(year, value)| ChartPoint { year, value })
        .to_vec(),
        milestones: [
            (2020, 11_729.1),
            (2021, 12_900.0),
            (2022, 14_190.0),
            (2023, 15_609.0),
            (2024, 17_170.0),
            (2025, 18_887.0),
        ]
        .map(|(year, value)| ChartPoint { year, value })
        .to_vec(),
        target: Some(ChartPoint {
            year: 2025,
            value: 18_887.0,
        }),
        legend: ["实际值".into(), "目标路径".into(), "2025年目标".into()],
    };
    Report {
        kind: ReportKind::Midterm,
        lang: Lang::Zh,
        plan_id: "chengdu-services-2021-2025".into(),
        title: "《成都市“十四五”服务业发展规划》实施中期评估报告".into(),
        subtitle: "数据截至2024年6月30日".into(),
        issuer: "成都市商务局　成都市发展和改革委员会".into(),
        year: 2023,
        as_of: NaiveDate::from_ymd_opt(2024, 6, 30).expect("a date"),
        region: None,
        provenance: "本报告数据截至2024年6月30日；“存在问题”采用第2版文本（张三，2024-07-01），“对策建议”采用系统生成的草稿。".into(),
        facts: Facts {
            verdict: "主要目标指标进展总体符合预期".into(),
            time_elapsed: Some(0.6),
            half_time_half_task: Some(true),
            categories: vec![
                CategoryCount { category: "提前实现".into(), binding: 0, expected: 2, total: 2 },
                CategoryCount { category: "快于预期".into(), binding: 0, expected: 3, total: 3 },
                CategoryCount { category: "基本符合预期".into(), binding: 1, expected: 9, total: 10 },
                CategoryCount { category: "滞后".into(), binding: 0, expected: 4, total: 4 },
                CategoryCount { category: "暂无数据".into(), binding: 0, expected: 1, total: 1 },
            ],
            indicators: vec![IndicatorLine {
                code: "I01".into(),
                name: "服务业增加值".into(),
                unit: "亿元".into(),
                kind: "预期性".into(),
                dimension: "发展能级".into(),
                baseline: Some(11_729.1),
                target: "18887".into(),
                latest: Some(14_756.6),
                latest_year: Some(2023),
                completion: Some(0.781),
                category: "滞后".into(),
                trend: "完成有难度".into(),
            }],
            tasks_by_status: vec![("已完成".into(), 40), ("正常推进".into(), 120), ("进度滞后".into(), 12)],
            projects_by_stage: vec![("在建".into(), 30), ("竣工".into(), 5)],
            project_investment: Some((812.4, 1_020.0)),
        },
        sections: vec![
            Section {
                number: 1,
                heading: "总体进展".into(),
                blocks: vec![
                    Block::Paragraph { text: "规划实施以来，全市服务业保持平稳增长。时间过半、任务过半，主要目标指标进展总体符合预期。".into() },
                ],
            },
            Section {
                number: 2,
                heading: "主要指标进展".into(),
                blocks: vec![
                    Block::Paragraph { text: "规划确定的20项主要指标中，提前实现2项，快于预期3项，基本符合预期10项，滞后4项，暂无数据1项。".into() },
                    Block::Subheading { number: 1, text: "发展能级".into() },
                    Block::Paragraph { text: "服务业增加值2023年达到14756.6亿元，目标完成度78.1%，需年均增长 13.1% 才能实现目标。".into() },
                    Block::Table(Table {
                        caption: "表1　主要指标进展情况".into(),
                        columns: ["指标", "属性", "2020年", "2025年目标", "最新值", "完成度", "进展判断", "趋势判断"].map(String::from).to_vec(),
                        rows: vec![["服务业增加值（亿元）", "预期性", "11729.1", "18887", "14756.6（2023年）", "78.1%", "滞后", "完成有难度"].map(String::from).to_vec()],
                        widths: vec![5, 2, 2, 2, 3, 2, 2, 3],
                    }),
                    Block::Chart(chart),
                ],
            },
            Section {
                number: 3,
                heading: "区（市）县".into(),
                blocks: vec![Block::Table(Table {
                    caption: "表2　区（市）县服务业增加值目标完成情况".into(),
                    columns: ["排名", "区（市）县", "最新值", "完成度"].map(String::from).to_vec(),
                    rows: vec![
                        ["1", "锦江区", "1520.3", "82.0%"].map(String::from).to_vec(),
                        ["2", "青羊区", "1611.0", "80.5%"].map(String::from).to_vec(),
                    ],
                    widths: vec![1, 3, 2, 2],
                })],
            },
            Section {
                number: 4,
                heading: "重点任务和重大项目".into(),
                blocks: vec![
                    Block::Paragraph { text: "2024年分解任务205项，已完成40项，正常推进120项，进度滞后12项。".into() },
                    Block::List { ordered: false, items: vec!["推进交子公园金融商务区建设（牵头单位：市金融监管局）：进度滞后。".into()] },
                ],
            },
            Section {
                number: 5,
                heading: "存在问题".into(),
                blocks: vec![Block::List { ordered: true, items: vec!["服务业增加值增速低于目标路径，需年均增长 13.1% 才能实现目标。".into()] }],
            },
            Section {
                number: 6,
                heading: "对策建议".into(),
                blocks: vec![
                    Block::Paragraph { text: "聚焦滞后指标，逐项制定提升措施。".into() },
                    Block::Note { text: "本节为系统生成的草稿，请规划处修改。".into() },
                ],
            },
        ],
        texts: vec![
            TextVersion { section: "problems".into(), version: 2, author: Some("张三".into()), saved_at: Some("2024-07-01T09:00:00Z".into()) },
            TextVersion { section: "suggestions".into(), version: 0, author: None, saved_at: None },
        ],
    }
}
