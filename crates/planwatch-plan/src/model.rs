//! The plan model: every type a plan file is made of.
//!
//! A plan is data. These types are the published plan format: a plan file (TOML) deserialises into
//! [`Plan`], `planwatch plan show --format json` serialises it, and `schema/plan.schema.json` is
//! generated from them. Field names are the format's names, so renaming a field is a format change.
//!
//! The model is general: nothing here knows about Chengdu. Rules that hold across fields (codes
//! unique, references resolve, a share is at most 100 %) live in [`crate::validate`], not in the
//! types, so that a broken file can still be read far enough to report all its problems at once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::calendar::{
    CalendarEntry, DueDefaults, DueRule, EntryDue, Frequency, Reporter, ReportingCalendar,
};

/// Text in Chinese, with English beside it.
///
/// `zh` is the authoritative wording (the plan's own); `en` is a translation. Where an English
/// name is required (indicators, regions, departments …) validation says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: Some(en.into()),
        }
    }

    /// The English text where there is one, otherwise the Chinese.
    pub fn en_or_zh(&self) -> &str {
        self.en.as_deref().unwrap_or(&self.zh)
    }
}

/// The growth ratios R (actual over required growth) that divide the statuses of an evaluation
/// (the progress measure of Open SDG / Statistics Canada).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// R at or above this: on track (进度正常). Default 0.95.
    pub on_track: f64,
    /// R at or above this (and below `on_track`): acceleration needed (需加快); below it and
    /// at least 0: limited progress (进展有限). Default 0.60.
    pub acceleration: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            on_track: 0.95,
            acceleration: 0.60,
        }
    }
}

/// A whole plan: its identity, what it measures and everything its text sets out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Stable ASCII id, used in URLs and file names (`chengdu-services-2021-2025`).
    pub id: String,
    pub title: Text,
    /// Who issued (approved) the plan, e.g. 成都市人民政府.
    pub issuer: Text,
    /// The approval document number, e.g. 成府函〔2022〕56号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_document: Option<String>,
    /// Month of publication, `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Code of the department that drafted the plan and leads its implementation.
    pub lead_department: String,
    /// Code of the region the plan governs (the plan's own region).
    pub region: String,
    pub period: Period,
    /// The year the baselines refer to (the last year of the previous plan).
    pub base_year: u16,
    /// The year the targets are due.
    pub target_year: u16,
    /// Long-range outlook (远景目标) beyond the plan period.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outlook: Vec<Outlook>,
    /// Where the plan text comes from (publication, file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The overall goal (奋斗目标) in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Text>,
    /// Where the growth ratio R divides the evaluation statuses, if not at the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub departments: Vec<Department>,
    #[serde(default)]
    pub regions: Vec<Region>,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// The industry system (e.g. the "5+4" producer and consumer services).
    #[serde(default)]
    pub industries: Vec<Industry>,
    /// The spatial layout (一核, 多极, 两轴, 三带, 五链, N点 …).
    #[serde(default)]
    pub layout: Vec<LayoutElement>,
    /// The headings of the layout's text that group its elements (一核多极驱动 over the core and
    /// the poles …), in the text's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layout_headings: Vec<LayoutHeading>,
    /// Functional zones by industry chain (专栏14 in the Chengdu plan).
    #[serde(default)]
    pub zones: Vec<FunctionalZone>,
    /// The main actions (主要任务) with their numbered items.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// The columns (专栏) set in the text.
    #[serde(default)]
    pub columns: Vec<Column>,
    /// The guarantee measures (保障措施).
    #[serde(default)]
    pub measures: Vec<Measure>,
    /// The reporting calendar: who reports which indicator how often, and by when. Absent: no
    /// deadlines are tracked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<ReportingCalendar>,
    /// The rules of tasks and key projects (issue 14): status thresholds, escalation, the
    /// assessment's scheme. Absent: the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<crate::task_rules::TaskRules>,
}

impl Plan {
    /// The rules of tasks and key projects: the plan's `[tasks]` section, or the defaults.
    pub fn task_rules(&self) -> crate::task_rules::TaskRules {
        self.tasks.clone().unwrap_or_default()
    }
}

/// The plan period, both years inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub start: u16,
    pub end: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outlook {
    pub year: u16,
    pub text: Text,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A group of indicators (发展能级, 创新能力 …) with the goal the plan states for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Text>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A responsible unit (责任单位).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub code: String,
    pub name: Text,
    /// Short names and former names used in reporters' files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// A region: the plan's city, its county-level divisions, managed areas, reference areas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// A 6-digit GB/T 2260 code, or for a managed area (which has none) an ASCII slug.
    pub code: String,
    pub name: Text,
    pub kind: RegionKind,
    /// Code of the region this one belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Other names people write (高新区, 新津县 …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Codes this region had before a change (新津县 510132 → 新津区 510118).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_codes: Vec<FormerCode>,
    /// For a managed area: the statutory regions it overlaps (its figures double-count theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlaps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// A whole country, used as a reference series (全国).
    Nation,
    Province,
    /// A prefecture-level or sub-provincial city (地级市, 副省级市).
    City,
    /// 市辖区
    District,
    /// 县
    County,
    /// 县级市
    CountyCity,
    /// A managed area (管委会: 新区, 高新区, 经开区) without a national code; overlaps districts.
    ManagedArea,
}

impl RegionKind {
    /// Whether regions of this kind carry a 6-digit GB/T 2260 code.
    pub fn has_national_code(self) -> bool {
        !matches!(self, RegionKind::ManagedArea)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RegionKind::Nation => "全国",
            RegionKind::Province => "省",
            RegionKind::City => "市",
            RegionKind::District => "市辖区",
            RegionKind::County => "县",
            RegionKind::CountyCity => "县级市",
            RegionKind::ManagedArea => "功能区（管委会）",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RegionKind::Nation => "nation",
            RegionKind::Province => "province",
            RegionKind::City => "city",
            RegionKind::District => "district",
            RegionKind::County => "county",
            RegionKind::CountyCity => "county-level city",
            RegionKind::ManagedArea => "managed area",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormerCode {
    pub code: String,
    pub name: String,
    /// The last year the former code was in use.
    pub until: u16,
}

/// A measured indicator with its targets.
///
/// Headline indicators carry the `number` (序号) of the plan's indicator table; secondary
/// indicators are quantified targets stated elsewhere in the text and have no number. An
/// indicator without a number may also have no target at all: a context series the plan cites
/// (服务业增加值占GDP比重 65.7 % in 2020) that evaluations use as background.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable ASCII code, used in URLs and files.
    pub code: String,
    /// 序号 in the plan's indicator table; `null` (or absent in a file) for secondary targets.
    #[serde(default)]
    pub number: Option<u32>,
    pub name: Text,
    /// The unit values are kept in (亿元, %, 亿美元, 个 …).
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// Code of the industry (5+4) the indicator measures, where it measures one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    pub nature: Nature,
    pub direction: Direction,
    /// Whether district values add up to the city value (levels in money or counts).
    #[serde(default)]
    pub additive: bool,
    /// The range every value lies in, e.g. `[0, 100]` for a share of a whole; a value outside is
    /// refused at import. Absent: any value (a contribution to growth can exceed 100 or fall
    /// below 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    pub targets: Vec<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_department: Option<String>,
    /// Other departments responsible for the indicator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    /// How the figure is defined (口径).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Text>,
    /// The indicator holding this one's published yearly growth rates in % (e.g. real growth at
    /// comparable prices, which levels in current prices cannot give). Growth targets use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth_indicator: Option<String>,
    /// For a growth-rate indicator: the indicator holding the levels whose growth it measures
    /// (旅游业总收入年均增速 → 旅游总收入).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_indicator: Option<String>,
    /// The unit in English (`CNY 100 million`), where the form derived from `unit`
    /// ([`crate::unit::english`]) does not fit or there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_en: Option<String>,
    /// Breaks in the series' definition (2025年起统计口径改为旅游总花费): values from `year` on
    /// are not comparable with earlier ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<SeriesBreak>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A change of definition (口径) within a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesBreak {
    /// The first year measured the new way.
    pub year: u16,
    /// What changed.
    pub note: Text,
}

impl Indicator {
    pub fn is_headline(&self) -> bool {
        self.number.is_some()
    }

    /// A context series: monitored, but with no target of its own.
    pub fn is_context(&self) -> bool {
        self.targets.is_empty()
    }

    /// Whether the unit is a percentage, so that progress is measured in percentage points.
    pub fn is_percentage(&self) -> bool {
        self.unit.trim() == "%"
    }

    /// The unit in both languages: the plan's `unit_en`, else the English form of the unit
    /// ([`crate::unit::english`]), else the unit as written.
    pub fn unit_text(&self) -> Text {
        let en = self
            .unit_en
            .clone()
            .or_else(|| crate::unit::english(&self.unit))
            .unwrap_or_else(|| self.unit.clone());
        Text::new(self.unit.clone(), en)
    }
}

/// 预期性 (expected) or 约束性 (binding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Expected,
    Binding,
}

impl Nature {
    pub fn label_zh(self) -> &'static str {
        match self {
            Nature::Expected => "预期性",
            Nature::Binding => "约束性",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Nature::Expected => "expected",
            Nature::Binding => "binding",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// A value the plan states for its base year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub value: f64,
    pub year: u16,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One target of an indicator. An indicator may carry several (a level and a growth range).
///
/// Rates (`average_growth`, `growth_range`) are in percent, as the plan states them (16 means
/// 16 % a year). Values are in the indicator's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// Reach at least `value` by `year` (达到 11000 亿元). `approximate` for 左右.
    Level {
        value: f64,
        year: u16,
        #[serde(default, skip_serializing_if = "is_false")]
        approximate: bool,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// Be strictly beyond `value` by `year` (">17600", 超 400 家).
    StrictLevel {
        value: f64,
        year: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// Reach a level between `min` and `max` by `year` (1—2 家).
    LevelRange {
        min: f64,
        max: f64,
        year: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// A share or ratio in percent (50 %, 3.5 %), progress measured in percentage points.
    Share {
        value: f64,
        year: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// An average annual growth rate in percent over `from`–`to` (年均增速 16 %).
    AverageGrowth {
        value: f64,
        from: u16,
        to: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// Annual growth kept within `min`–`max` percent (6.0—8.0 %).
    GrowthRange {
        min: f64,
        max: f64,
        from: u16,
        to: u16,
        basis: GrowthBasis,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// A total summed over the years `from`–`to` (累计 100 亿美元).
    Cumulative {
        value: f64,
        from: u16,
        to: u16,
        #[serde(default, skip_serializing_if = "is_false")]
        approximate: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        strict: bool,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// Compared with the same indicator for a reference region (高于全国平均水平).
    Relative {
        /// Code of the reference region (e.g. the nation).
        reference: String,
        relation: Relation,
        year: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
    /// A target in words, assessed by a planner (走在全国前列).
    Qualitative {
        statement: Text,
        year: u16,
        #[serde(rename = "ref")]
        source_ref: SourceRef,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Target {
    /// The snake_case name of the kind, as written in plan files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Target::Level { .. } => "level",
            Target::StrictLevel { .. } => "strict_level",
            Target::LevelRange { .. } => "level_range",
            Target::Share { .. } => "share",
            Target::AverageGrowth { .. } => "average_growth",
            Target::GrowthRange { .. } => "growth_range",
            Target::Cumulative { .. } => "cumulative",
            Target::Relative { .. } => "relative",
            Target::Qualitative { .. } => "qualitative",
        }
    }

    /// The year the target is due.
    pub fn due_year(&self) -> u16 {
        match self {
            Target::Level { year, .. }
            | Target::StrictLevel { year, .. }
            | Target::LevelRange { year, .. }
            | Target::Share { year, .. }
            | Target::Relative { year, .. }
            | Target::Qualitative { year, .. } => *year,
            Target::AverageGrowth { to, .. }
            | Target::GrowthRange { to, .. }
            | Target::Cumulative { to, .. } => *to,
        }
    }

    pub fn source_ref(&self) -> &SourceRef {
        match self {
            Target::Level { source_ref, .. }
            | Target::StrictLevel { source_ref, .. }
            | Target::LevelRange { source_ref, .. }
            | Target::Share { source_ref, .. }
            | Target::AverageGrowth { source_ref, .. }
            | Target::GrowthRange { source_ref, .. }
            | Target::Cumulative { source_ref, .. }
            | Target::Relative { source_ref, .. }
            | Target::Qualitative { source_ref, .. } => source_ref,
        }
    }

    /// The target in the plan's own words, e.g. `>17600`, `6.0–8.0 %/年`, `累计 100`.
    pub fn describe_zh(&self, unit: &str) -> String {
        match self {
            Target::Level {
                value, approximate, ..
            } => {
                let about = if *approximate { "左右" } else { "" };
                format!("{} {unit}{about}", fmt_num(*value))
            }
            Target::StrictLevel { value, .. } => format!(">{} {unit}", fmt_num(*value)),
            Target::LevelRange { min, max, .. } => {
                format!("{}—{} {unit}", fmt_num(*min), fmt_num(*max))
            }
            Target::Share { value, .. } => format!("{} %", fmt_num(*value)),
            Target::AverageGrowth { value, .. } => format!("年均增长 {} %", fmt_num(*value)),
            Target::GrowthRange {
                min, max, basis, ..
            } => {
                let basis = match basis {
                    GrowthBasis::Real => "（可比价）",
                    GrowthBasis::Nominal => "",
                };
                format!("年均增长 {}—{} %{basis}", fmt_num(*min), fmt_num(*max))
            }
            Target::Cumulative {
                value,
                approximate,
                strict,
                ..
            } => {
                let about = if *approximate { "左右" } else { "" };
                let over = if *strict { "超过 " } else { "" };
                format!("累计{over} {} {unit}{about}", fmt_num(*value))
            }
            Target::Relative { relation, .. } => match relation {
                Relation::Above => "高于参照水平".to_owned(),
                Relation::AtLeast => "不低于参照水平".to_owned(),
            },
            Target::Qualitative { statement, .. } => statement.zh.clone(),
        }
    }
}

impl Target {
    /// The target in English words, with the unit's English form, e.g. `>17600 CNY 100
    /// million`, `average growth of 6–8 % a year (comparable prices)`.
    pub fn describe_en(&self, unit_en: &str) -> String {
        match self {
            Target::Level {
                value, approximate, ..
            } => {
                let about = if *approximate { "about " } else { "" };
                format!("{about}{} {unit_en}", fmt_num(*value))
            }
            Target::StrictLevel { value, .. } => format!(">{} {unit_en}", fmt_num(*value)),
            Target::LevelRange { min, max, .. } => {
                format!("{}–{} {unit_en}", fmt_num(*min), fmt_num(*max))
            }
            Target::Share { value, .. } => format!("{} %", fmt_num(*value)),
            Target::AverageGrowth { value, .. } => {
                format!("average growth of {} % a year", fmt_num(*value))
            }
            Target::GrowthRange {
                min, max, basis, ..
            } => {
                let basis = match basis {
                    GrowthBasis::Real => " (comparable prices)",
                    GrowthBasis::Nominal => "",
                };
                format!(
                    "average growth of {}–{} % a year{basis}",
                    fmt_num(*min),
                    fmt_num(*max)
                )
            }
            Target::Cumulative {
                value,
                approximate,
                strict,
                from,
                to,
                ..
            } => {
                let about = if *approximate { "about " } else { "" };
                let over = if *strict { "over " } else { "" };
                format!(
                    "{over}{about}{} {unit_en} in total over {from}–{to}",
                    fmt_num(*value)
                )
            }
            Target::Relative { relation, .. } => match relation {
                Relation::Above => "above the reference level".to_owned(),
                Relation::AtLeast => "at least the reference level".to_owned(),
            },
            Target::Qualitative { statement, .. } => statement.en_or_zh().to_owned(),
        }
    }

    /// The target in both languages, for an indicator's unit in both ([`Indicator::unit_text`]).
    pub fn describe(&self, unit: &Text) -> Text {
        Text::new(
            self.describe_zh(&unit.zh),
            self.describe_en(unit.en_or_zh()),
        )
    }
}

/// A number as a person writes it: no trailing `.0`.
pub fn fmt_num(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    // Sums of decimal figures carry binary noise (102.19999999999999): show at most 10
    // significant digits, trailing zeros trimmed.
    let decimals = (9 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Whether growth is measured at comparable prices (可比价) or in current prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrowthBasis {
    Real,
    Nominal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Above,
    AtLeast,
}

/// A branch of the industry system (e.g. one of the "5+4" services).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub code: String,
    /// The group it belongs to (producer or consumer services).
    pub category: IndustryCategory,
    /// Its number within the category, as in the text.
    pub number: u32,
    pub name: Text,
    /// The section's aim in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    /// The section's 2025 target in the plan's words.
    pub target: Text,
    /// Indicators that measure the target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// The section's focus areas (its bold lead-in sentences).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub focus: Vec<Text>,
    /// Numbers of the columns (专栏) set in the section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_department: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndustryCategory {
    /// 生产性服务业
    Producer,
    /// 生活性服务业
    Consumer,
}

impl IndustryCategory {
    pub fn label_zh(self) -> &'static str {
        match self {
            IndustryCategory::Producer => "生产性服务业",
            IndustryCategory::Consumer => "生活性服务业",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            IndustryCategory::Producer => "Producer services",
            IndustryCategory::Consumer => "Consumer services",
        }
    }
}

/// One element of the spatial layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutElement {
    pub code: String,
    pub group: LayoutGroup,
    pub name: Text,
    pub description: Text,
    /// Regions the element covers or links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Places outside the plan's regions (neighbouring cities) the element links to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// The groups of the Chengdu layout "一核多极、两轴三带、五链N点"; other plans reuse most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayoutGroup {
    /// 一核
    Core,
    /// 多极
    Pole,
    /// 轴
    Axis,
    /// 带
    Belt,
    /// 链
    Chain,
    /// 点 (carriers)
    Point,
}

impl LayoutGroup {
    /// The name in plan files (`core`).
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutGroup::Core => "core",
            LayoutGroup::Pole => "pole",
            LayoutGroup::Axis => "axis",
            LayoutGroup::Belt => "belt",
            LayoutGroup::Chain => "chain",
            LayoutGroup::Point => "point",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            LayoutGroup::Core => "核",
            LayoutGroup::Pole => "极",
            LayoutGroup::Axis => "轴",
            LayoutGroup::Belt => "带",
            LayoutGroup::Chain => "链",
            LayoutGroup::Point => "点",
        }
    }
}

/// A heading of the layout's text (一核多极驱动) and the groups of elements under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutHeading {
    pub title: Text,
    /// The groups of elements it covers (`core`, `pole`).
    pub groups: Vec<LayoutGroup>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A row of the functional-zone table: an industry chain with its carriers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionalZone {
    pub number: u32,
    /// The industry ecosystem (产业生态圈).
    pub ecosystem: Text,
    /// The key industry chain (重点产业链).
    pub chain: Text,
    /// Main carriers (主要承载地).
    pub main_carriers: Vec<String>,
    /// Collaborating places (协同发展地).
    #[serde(default)]
    pub collaborating: Vec<String>,
    /// Indicators that measure the chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A main action (主要任务).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub number: u32,
    pub code: String,
    /// The action (实施通道口岸畅通行动).
    pub title: Text,
    /// What it builds (建设国际门户枢纽).
    pub aim: Text,
    pub items: Vec<ActionItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_department: Option<String>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A numbered sub-item of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    pub number: u32,
    pub title: Text,
    pub text: Text,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// A column (专栏): a box in the text listing projects, places, events or measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub number: u32,
    pub title: Text,
    pub kind: ColumnKind,
    /// For a figure: its caption or legend in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ColumnItem>,
    /// Where the column stands in the text.
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// A list of items.
    List,
    /// A map or diagram (示意图).
    Figure,
    /// A table (its rows live elsewhere, e.g. in `zones`).
    Table,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnItem {
    /// The item's lead-in (建设空中丝绸之路), where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<Text>,
    pub text: Text,
    pub category: ItemCategory,
    /// Named projects, places, events or brands the item lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemCategory {
    /// Key projects to build.
    Project,
    /// Places, parks, districts, venues.
    Place,
    /// Events, competitions, festivals.
    Event,
    /// Brands and IP.
    Brand,
    /// Measures and policies.
    Measure,
}

/// A guarantee measure (保障措施).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub number: u32,
    pub title: Text,
    pub text: Text,
    #[serde(rename = "ref")]
    pub source_ref: SourceRef,
}

/// Where an entry stands in the plan text: `5.1.2` is chapter 五, section （一）, item 2;
/// `c16` is 专栏16 and `c16.1` its first item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct SourceRef(pub String);

impl SourceRef {
    /// Parses the reference into its numeric parts; `None` when it is malformed.
    pub fn parse(&self) -> Option<ParsedRef> {
        let s = self.0.as_str();
        let (column, rest) = match s.strip_prefix('c') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let parts: Option<Vec<u32>> = rest
            .split('.')
            .map(|p| {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    p.parse().ok()
                }
            })
            .collect();
        let parts = parts?;
        let max_parts = if column { 2 } else { 4 };
        if parts.is_empty() || parts.len() > max_parts || parts.contains(&0) {
            return None;
        }
        Some(ParsedRef { column, parts })
    }

    /// The reference as a Chinese reader finds it: `五、（一）2`, `专栏16 第1项`.
    pub fn display_zh(&self) -> String {
        let Some(parsed) = self.parse() else {
            return self.0.clone();
        };
        if parsed.column {
            let mut out = format!("专栏{}", parsed.parts[0]);
            if let Some(item) = parsed.parts.get(1) {
                out.push_str(&format!(" 第{item}项"));
            }
            return out;
        }
        let mut out = format!("{}、", chinese_numeral(parsed.parts[0]));
        if let Some(section) = parsed.parts.get(1) {
            out.push_str(&format!("（{}）", chinese_numeral(*section)));
        }
        for part in parsed.parts.iter().skip(2) {
            out.push_str(&format!("{part}."));
        }
        out.trim_end_matches('.').to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRef {
    pub column: bool,
    pub parts: Vec<u32>,
}

fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_refs_display_as_the_text_numbers_them() {
        let r = |s: &str| SourceRef(s.to_owned()).display_zh();
        assert_eq!(r("5.1.2"), "五、（一）2");
        assert_eq!(r("2.3"), "二、（三）");
        assert_eq!(r("c16"), "专栏16");
        assert_eq!(r("c16.1"), "专栏16 第1项");
        assert_eq!(r("bogus"), "bogus");
    }

    #[test]
    fn malformed_source_refs_do_not_parse() {
        for bad in ["", "c", "5..1", "0.1", "c1.2.3", "1.2.3.4.5", "x1", "5.a"] {
            assert_eq!(SourceRef(bad.to_owned()).parse(), None, "{bad}");
        }
    }

    #[test]
    fn numbers_print_without_trailing_zero() {
        assert_eq!(fmt_num(17600.0), "17600");
        assert_eq!(fmt_num(3.5), "3.5");
    }
}

#[cfg(test)]
mod number_format {
    use super::fmt_num;

    #[test]
    fn numbers_print_without_binary_noise() {
        assert_eq!(fmt_num(102.19999999999999), "102.2");
        assert_eq!(fmt_num(12423.720000000001), "12423.72");
        assert_eq!(fmt_num(11000.0), "11000");
        assert_eq!(fmt_num(3.5), "3.5");
        assert_eq!(fmt_num(-0.25), "-0.25");
        assert_eq!(fmt_num(0.000123), "0.000123");
        assert_eq!(fmt_num(-1e-13), "0");
    }
}
