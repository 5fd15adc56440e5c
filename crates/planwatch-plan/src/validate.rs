//! Rules across the fields of a plan: codes unique, references resolved, values in range.
//!
//! [`check`] never stops at the first problem: it walks the whole plan and returns every problem
//! with the [`Path`] of the field at fault, so that a reader of the file (see [`crate::file`])
//! can point at its line and column. An empty list means the plan is valid.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::model::*;

/// One step into a plan: a field name or a position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(&'static str),
    Index(usize),
}

/// Where in the plan a problem is: `indicators[3].targets[0].value`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<PathSeg>);

impl Path {
    fn key(&self, key: &'static str) -> Path {
        let mut segs = self.0.clone();
        segs.push(PathSeg::Key(key));
        Path(segs)
    }

    fn at(&self, key: &'static str, index: usize) -> Path {
        let mut segs = self.0.clone();
        segs.push(PathSeg::Key(key));
        segs.push(PathSeg::Index(index));
        Path(segs)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if i == 0 => write!(f, "{k}")?,
                PathSeg::Key(k) => write!(f, ".{k}")?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// What is wrong, in words a planner understands. `Display` is English; [`ProblemKind::zh`]
/// gives the Chinese.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    #[error("TOML syntax: {0}")]
    Syntax(String),
    #[error("{0}")]
    Shape(String),
    #[error("duplicate {what} code \"{code}\"")]
    DuplicateCode { what: &'static str, code: String },
    #[error("duplicate {what} number {number}")]
    DuplicateNumber { what: &'static str, number: u32 },
    #[error("unknown {what} \"{code}\": it is not defined in this plan")]
    UnknownReference { what: &'static str, code: String },
    #[error("code \"{0}\" must be ASCII: lower-case letters, digits and _ (or - for a plan id)")]
    BadCode(String),
    #[error(
        "region code \"{0}\" is not a 6-digit GB/T 2260 code; a managed area without a national code needs kind = \"managed_area\""
    )]
    BadRegionCode(String),
    #[error(
        "managed-area code \"{0}\" must be an ASCII slug (letters, digits, _ or -), not a 6-digit code"
    )]
    BadManagedAreaCode(String),
    #[error("region \"{0}\" cannot be its own parent")]
    OwnParent(String),
    #[error("{0} needs an English name (en)")]
    MissingEnglish(&'static str),
    #[error("share target {0} is outside 0–100 %")]
    ShareOutOfRange(f64),
    #[error("a share target needs the unit \"%\", not \"{0}\"")]
    ShareUnitNotPercent(String),
    #[error("range is inverted: min {min} is above max {max}")]
    InvertedRange { min: f64, max: f64 },
    #[error("years are inverted: from {from} is after to {to}")]
    InvertedYears { from: u16, to: u16 },
    #[error("the baseline year {baseline} is not before the target year {target}")]
    BaselineAfterTarget { baseline: u16, target: u16 },
    #[error(
        "year {year} is outside the plan, which runs from base year {base} to target year {target}"
    )]
    YearOutsidePlan { year: u16, base: u16, target: u16 },
    #[error("the base year {base} must come before the target year {target}")]
    BaseYearNotBeforeTarget { base: u16, target: u16 },
    #[error("the period {start}–{end} must end in the target year {target}")]
    PeriodMismatch { start: u16, end: u16, target: u16 },
    #[error("outlook year {year} must come after the target year {target}")]
    OutlookTooEarly { year: u16, target: u16 },
    #[error("value must be a finite number")]
    NotFinite,
    #[error("a growth rate of {0} % would mean the value vanishes or turns negative")]
    GrowthBelowMinus100(f64),
    #[error("the unit is empty")]
    EmptyUnit,
    #[error("an indicator of the plan's table (with a number) needs at least one target")]
    NoTargets,
    #[error(
        "text reference \"{0}\" is not of the form 5.1.2 (chapter.section.item) or c16.1 (专栏.item)"
    )]
    BadSourceRef(String),
    #[error("{}", if *growth { format!("growth series \"{code}\" must be in %, not {unit}") } else { format!("level series \"{code}\" must not be in % ({unit})") })]
    LinkedSeriesUnit {
        code: String,
        unit: String,
        growth: bool,
    },
    #[error("number {0} must be 1 or more")]
    ZeroNumber(u32),
    #[error("layout group \"{0}\" stands under two headings")]
    LayoutGroupTwice(String),
    #[error(
        "status thresholds must satisfy 0 ≤ acceleration ({acceleration}) < on_track ({on_track})"
    )]
    BadThresholds { on_track: f64, acceleration: f64 },
    #[error("task rules: {0}")]
    BadTaskRules(String),
    #[error(
        "a due date is either {{ days_after = N }} (N ≤ 366) or {{ months_after = N, day = D }} (N ≤ 12, D 1–31)"
    )]
    BadDueRule,
    #[error(
        "the name \"{name}\" is used by two units, {first} and {second}: a name or alias must mean one unit"
    )]
    SharedUnitName {
        name: String,
        first: String,
        second: String,
    },
    #[error("indicator \"{0}\" has more than one calendar entry")]
    DuplicateCalendarEntry(String),
    #[error(
        "indicator \"{0}\" is to be reported by its lead department but has none: give it a lead_department, other reporters or frequencies = [] in [[calendar.indicators]]"
    )]
    NoLeadDepartment(String),
}

impl ProblemKind {
    /// The problem in Chinese.
    pub fn zh(&self) -> String {
        match self {
            ProblemKind::Syntax(m) => format!("TOML 语法错误：{m}"),
            ProblemKind::Shape(m) => format!("结构错误：{}", shape_zh(m)),
            ProblemKind::DuplicateCode { what, code } => {
                format!("{}代码“{code}”重复", what_zh(what))
            }
            ProblemKind::DuplicateNumber { what, number } => {
                format!("{}序号 {number} 重复", what_zh(what))
            }
            ProblemKind::UnknownReference { what, code } => {
                format!("未知的{}“{code}”：本规划中没有定义", what_zh(what))
            }
            ProblemKind::BadCode(c) => {
                format!("代码“{c}”只能由 ASCII 小写字母、数字和下划线组成（规划 id 可用连字符）")
            }
            ProblemKind::BadRegionCode(c) => format!(
                "地区代码“{c}”不是 6 位 GB/T 2260 代码；没有国家代码的功能区须写 kind = \"managed_area\""
            ),
            ProblemKind::BadManagedAreaCode(c) => {
                format!("功能区代码“{c}”应为 ASCII 简码（字母、数字、_ 或 -），不能是 6 位数字")
            }
            ProblemKind::OwnParent(c) => format!("地区“{c}”不能以自己为上级"),
            ProblemKind::MissingEnglish(what) => format!("{}缺少英文名称（en）", what_zh(what)),
            ProblemKind::ShareOutOfRange(v) => format!("占比目标 {v} 超出 0–100 % 的范围"),
            ProblemKind::ShareUnitNotPercent(u) => {
                format!("占比目标的单位应为“%”，而不是“{u}”")
            }
            ProblemKind::InvertedRange { min, max } => {
                format!("区间颠倒：下限 {min} 大于上限 {max}")
            }
            ProblemKind::InvertedYears { from, to } => {
                format!("年份颠倒：起始年 {from} 晚于终止年 {to}")
            }
            ProblemKind::BadDueRule => "报送期限应写作 { days_after = N }（N ≤ 366）或 { months_after = N, day = D }（N ≤ 12，D 为 1–31）".to_owned(),
            ProblemKind::DuplicateCalendarEntry(code) => {
                format!("指标“{code}”在报送日历中出现了不止一次")
            }
            ProblemKind::NoLeadDepartment(code) => format!(
                "指标“{code}”应由牵头部门报送，但没有牵头部门：请写 lead_department，或在 [[calendar.indicators]] 中指定 reporters 或 frequencies = []"
            ),
            ProblemKind::BadTaskRules(problem) => {
                format!("任务规则（[tasks]）有误：{problem}")
            }
            ProblemKind::BadThresholds {
                on_track,
                acceleration,
            } => {
                format!("状态阈值须满足 0 ≤ acceleration（{acceleration}）< on_track（{on_track}）")
            }
            ProblemKind::BaselineAfterTarget { baseline, target } => {
                format!("基期年份 {baseline} 不早于目标年份 {target}")
            }
            ProblemKind::YearOutsidePlan { year, base, target } => {
                format!("年份 {year} 超出规划期（基期 {base} 年至目标年 {target} 年）")
            }
            ProblemKind::BaseYearNotBeforeTarget { base, target } => {
                format!("基期年 {base} 应早于目标年 {target}")
            }
            ProblemKind::PeriodMismatch { start, end, target } => {
                format!("规划期 {start}–{end} 应止于目标年 {target}")
            }
            ProblemKind::OutlookTooEarly { year, target } => {
                format!("远景年份 {year} 应晚于目标年 {target}")
            }
            ProblemKind::NotFinite => "数值必须是有限的数字".to_owned(),
            ProblemKind::GrowthBelowMinus100(v) => {
                format!("增速 {v} % 意味着数值归零或为负")
            }
            ProblemKind::EmptyUnit => "单位为空".to_owned(),
            ProblemKind::NoTargets => "规划指标表中的指标（有序号）至少要有一个目标".to_owned(),
            ProblemKind::BadSourceRef(r) => {
                format!("原文位置“{r}”格式不对：应为 5.1.2（章.节.条）或 c16.1（专栏.项）")
            }
            ProblemKind::LinkedSeriesUnit { code, unit, growth } => {
                if *growth {
                    format!("增速序列“{code}”的单位应为 %，而不是 {unit}")
                } else {
                    format!("水平值序列“{code}”的单位不能是 %（现为 {unit}）")
                }
            }
            ProblemKind::ZeroNumber(n) => format!("序号 {n} 应从 1 开始"),
            ProblemKind::LayoutGroupTwice(group) => {
                format!("空间布局分组“{group}”出现在两个标题下")
            }
            ProblemKind::SharedUnitName {
                name,
                first,
                second,
            } => format!("名称“{name}”同时用于 {first} 和 {second}：名称或简称只能指一个单位"),
        }
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "indicator" => "指标",
        "region" => "地区",
        "department" => "部门",
        "dimension" => "指标维度",
        "industry" => "产业",
        "layout element" => "空间布局要素",
        "layout heading" => "空间布局标题",
        "series break" => "口径变化",
        "action" => "主要任务",
        "action item" => "任务条目",
        "column" => "专栏",
        "zone" => "功能区",
        "measure" => "保障措施",
        "plan" => "规划",
        _ => "条目",
    }
}

/// Serde's English shape messages, with the common ones in Chinese.
fn shape_zh(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("未知的取值 {rest}");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("未知的字段 {rest}");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("缺少字段 {rest}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return format!("类型不对：{rest}");
    }
    message.to_owned()
}

/// A problem and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Path,
    pub kind: ProblemKind,
}

/// Checks every rule of a plan; returns all problems found (none for a valid plan).
pub fn check(plan: &Plan) -> Vec<Problem> {
    let mut checker = Checker::new(plan);
    checker.check_header();
    checker.check_dimensions();
    checker.check_departments();
    checker.check_regions();
    checker.check_unit_names();
    checker.check_indicators();
    checker.check_industries();
    checker.check_layout();
    checker.check_zones();
    checker.check_actions();
    checker.check_columns();
    checker.check_measures();
    checker.check_calendar();
    checker.problems
}

struct Checker<'p> {
    plan: &'p Plan,
    problems: Vec<Problem>,
    departments: HashSet<&'p str>,
    regions: HashMap<&'p str, &'p Region>,
    indicators: HashSet<&'p str>,
    dimensions: HashSet<&'p str>,
    industries: HashSet<&'p str>,
    columns: HashSet<u32>,
}

impl<'p> Checker<'p> {
    fn new(plan: &'p Plan) -> Checker<'p> {
        Checker {
            plan,
            problems: Vec::new(),
            departments: plan.departments.iter().map(|d| d.code.as_str()).collect(),
            regions: plan.regions.iter().map(|r| (r.code.as_str(), r)).collect(),
            indicators: plan.indicators.iter().map(|i| i.code.as_str()).collect(),
            dimensions: plan.dimensions.iter().map(|d| d.code.as_str()).collect(),
            industries: plan.industries.iter().map(|i| i.code.as_str()).collect(),
            columns: plan.columns.iter().map(|c| c.number).collect(),
        }
    }

    fn report(&mut self, path: Path, kind: ProblemKind) {
        self.problems.push(Problem { path, kind });
    }

    fn reference(&mut self, path: Path, what: &'static str, code: &str) {
        let known = match what {
            "department" => self.departments.contains(code),
            "region" => self.regions.contains_key(code),
            "indicator" => self.indicators.contains(code),
            "dimension" => self.dimensions.contains(code),
            "industry" => self.industries.contains(code),
            _ => unreachable!("no reference table for {what}"),
        };
        if !known {
            self.report(
                path,
                ProblemKind::UnknownReference {
                    what,
                    code: code.to_owned(),
                },
            );
        }
    }

    fn references(&mut self, path: Path, what: &'static str, codes: &[String]) {
        for (i, code) in codes.iter().enumerate() {
            let mut at = path.clone();
            at.0.push(PathSeg::Index(i));
            self.reference(at, what, code);
        }
    }

    fn source_ref(&mut self, path: Path, source_ref: &SourceRef) {
        if source_ref.parse().is_none() {
            self.report(
                path.key("ref"),
                ProblemKind::BadSourceRef(source_ref.0.clone()),
            );
        }
    }

    fn code(&mut self, path: Path, code: &str) {
        let ok = code.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            self.report(path.key("code"), ProblemKind::BadCode(code.to_owned()));
        }
    }

    fn english(&mut self, path: Path, what: &'static str, text: &Text) {
        if text.en.as_deref().is_none_or(|en| en.trim().is_empty()) {
            self.report(path, ProblemKind::MissingEnglish(what));
        }
    }

    fn number(&mut self, path: Path, number: u32) {
        if number == 0 {
            self.report(path.key("number"), ProblemKind::ZeroNumber(number));
        }
    }

    /// Reports the second and later entries that repeat a key.
    fn unique<K: Eq + std::hash::Hash + Clone>(
        &mut self,
        list: &'static str,
        field: &'static str,
        keys: impl IntoIterator<Item = K>,
        problem: impl Fn(K) -> ProblemKind,
    ) {
        let mut seen = HashSet::new();
        for (i, key) in keys.into_iter().enumerate() {
            if !seen.insert(key.clone()) {
                self.report(Path::default().at(list, i).key(field), problem(key));
            }
        }
    }

    fn unique_codes<'a>(
        &mut self,
        list: &'static str,
        what: &'static str,
        codes: impl IntoIterator<Item = &'a str>,
    ) {
        self.unique(list, "code", codes, |code: &str| {
            ProblemKind::DuplicateCode {
                what,
                code: code.to_owned(),
            }
        });
    }

    fn unique_numbers(
        &mut self,
        list: &'static str,
        what: &'static str,
        numbers: impl IntoIterator<Item = u32>,
    ) {
        self.unique(list, "number", numbers, |number| {
            ProblemKind::DuplicateNumber { what, number }
        });
    }

    /// A year a target or baseline may take: after the base year, at most the target year.
    fn plan_year(&mut self, path: Path, year: u16) {
        let (base, target) = (self.plan.base_year, self.plan.target_year);
        // With the plan's own years inverted every year would be out of range: report that once.
        if base < target && (year <= base || year > target) {
            self.report(path, ProblemKind::YearOutsidePlan { year, base, target });
        }
    }

    fn finite(&mut self, path: Path, value: f64) -> bool {
        if value.is_finite() {
            true
        } else {
            self.report(path, ProblemKind::NotFinite);
            false
        }
    }

    fn check_header(&mut self) {
        let plan = self.plan;
        let root = Path::default();
        let id_ok = !plan.id.is_empty()
            && plan
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            self.report(root.key("id"), ProblemKind::BadCode(plan.id.clone()));
        }
        self.english(root.key("title"), "plan", &plan.title);
        if plan.base_year >= plan.target_year {
            self.report(
                root.key("target_year"),
                ProblemKind::BaseYearNotBeforeTarget {
                    base: plan.base_year,
                    target: plan.target_year,
                },
            );
        }
        if let Some(t) = plan.thresholds {
            let ordered = t.acceleration.is_finite()
                && t.on_track.is_finite()
                && 0.0 <= t.acceleration
                && t.acceleration < t.on_track;
            if !ordered {
                self.report(
                    root.key("thresholds"),
                    ProblemKind::BadThresholds {
                        on_track: t.on_track,
                        acceleration: t.acceleration,
                    },
                );
            }
        }
        if let Some(rules) = &plan.tasks {
            for (field, problem) in rules.problems() {
                self.report(
                    root.key("tasks").key(field),
                    ProblemKind::BadTaskRules(problem),
                );
            }
        }
        let Period { start, end } = plan.period;
        if start > end {
            self.report(
                root.key("period"),
                ProblemKind::InvertedYears {
                    from: start,
                    to: end,
                },
            );
        } else if end != plan.target_year {
            self.report(
                root.key("period"),
                ProblemKind::PeriodMismatch {
                    start,
                    end,
                    target: plan.target_year,
                },
            );
        }
        for (i, outlook) in plan.outlook.iter().enumerate() {
            if outlook.year <= plan.target_year {
                self.report(
                    root.at("outlook", i).key("year"),
                    ProblemKind::OutlookTooEarly {
                        year: outlook.year,
                        target: plan.target_year,
                    },
                );
            }
            self.source_ref(root.at("outlook", i), &outlook.source_ref);
        }
        self.reference(
            root.key("lead_department"),
            "department",
            &plan.lead_department,
        );
        self.reference(root.key("region"), "region", &plan.region);
    }

    fn check_dimensions(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "dimensions",
            "dimension",
            plan.dimensions.iter().map(|d| d.code.as_str()),
        );
        for (i, dimension) in plan.dimensions.iter().enumerate() {
            let path = Path::default().at("dimensions", i);
            self.code(path.clone(), &dimension.code);
            self.english(path.key("name"), "dimension", &dimension.name);
            self.source_ref(path, &dimension.source_ref);
        }
    }

    fn check_departments(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "departments",
            "department",
            plan.departments.iter().map(|d| d.code.as_str()),
        );
        for (i, department) in plan.departments.iter().enumerate() {
            let path = Path::default().at("departments", i);
            self.code(path.clone(), &department.code);
            self.english(path.key("name"), "department", &department.name);
        }
    }

    fn check_regions(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "regions",
            "region",
            plan.regions.iter().map(|r| r.code.as_str()),
        );
        for (i, region) in plan.regions.iter().enumerate() {
            let path = Path::default().at("regions", i);
            let six_digits =
                region.code.len() == 6 && region.code.bytes().all(|b| b.is_ascii_digit());
            if region.kind.has_national_code() {
                if !six_digits {
                    self.report(
                        path.key("code"),
                        ProblemKind::BadRegionCode(region.code.clone()),
                    );
                }
            } else {
                let slug = region
                    .code
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic())
                    && region
                        .code
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !slug {
                    self.report(
                        path.key("code"),
                        ProblemKind::BadManagedAreaCode(region.code.clone()),
                    );
                }
            }
            self.english(path.key("name"), "region", &region.name);
            if let Some(parent) = &region.parent {
                if parent == &region.code {
                    self.report(path.key("parent"), ProblemKind::OwnParent(parent.clone()));
                } else {
                    self.reference(path.key("parent"), "region", parent);
                }
            }
            self.references(path.key("overlaps"), "region", &region.overlaps);
            for (j, former) in region.former_codes.iter().enumerate() {
                let six = former.code.len() == 6 && former.code.bytes().all(|b| b.is_ascii_digit());
                if !six {
                    self.report(
                        path.at("former_codes", j).key("code"),
                        ProblemKind::BadRegionCode(former.code.clone()),
                    );
                }
            }
        }
    }

    /// A unit's Chinese name and aliases name it alone: task sheets and data files find units
    /// by them.
    fn check_unit_names(&mut self) {
        let plan = self.plan;
        let regions = plan
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| ("regions", i, &r.code, &r.name.zh, &r.aliases));
        let departments = plan
            .departments
            .iter()
            .enumerate()
            .map(|(i, d)| ("departments", i, &d.code, &d.name.zh, &d.aliases));
        let mut owner: HashMap<String, &str> = HashMap::new();
        for (list, i, code, name, aliases) in regions.chain(departments) {
            let names = std::iter::once((None, name))
                .chain(aliases.iter().enumerate().map(|(j, a)| (Some(j), a)));
            for (j, given) in names {
                let key: String = given.chars().filter(|c| !c.is_whitespace()).collect();
                match owner.get(&key) {
                    Some(first) if *first != code.as_str() => {
                        let path = Path::default().at(list, i);
                        let path = match j {
                            Some(j) => path.at("aliases", j),
                            None => path.key("name"),
                        };
                        self.report(
                            path,
                            ProblemKind::SharedUnitName {
                                name: given.clone(),
                                first: (*first).to_owned(),
                                second: code.clone(),
                            },
                        );
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(key, code);
                    }
                }
            }
        }
    }

    fn check_indicators(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "indicators",
            "indicator",
            plan.indicators.iter().map(|i| i.code.as_str()),
        );
        self.unique_numbers(
            "indicators",
            "indicator",
            plan.indicators.iter().filter_map(|i| i.number),
        );
        for (i, indicator) in plan.indicators.iter().enumerate() {
            let path = Path::default().at("indicators", i);
            self.code(path.clone(), &indicator.code);
            if let Some(number) = indicator.number {
                self.number(path.clone(), number);
            }
            self.english(path.key("name"), "indicator", &indicator.name);
            if indicator.unit.trim().is_empty() {
                self.report(path.key("unit"), ProblemKind::EmptyUnit);
            }
            if let Some([min, max]) = indicator.bounds
                && (min > max || min.is_nan() || max.is_nan())
            {
                self.report(path.key("bounds"), ProblemKind::InvertedRange { min, max });
            }
            if let Some(dimension) = &indicator.dimension {
                self.reference(path.key("dimension"), "dimension", dimension);
            }
            if let Some(industry) = &indicator.industry {
                self.reference(path.key("industry"), "industry", industry);
            }
            if let Some(lead) = &indicator.lead_department {
                self.reference(path.key("lead_department"), "department", lead);
            }
            self.references(
                path.key("departments"),
                "department",
                &indicator.departments,
            );
            if let Some(growth) = &indicator.growth_indicator {
                self.linked_series(path.key("growth_indicator"), growth, true);
            }
            if let Some(level) = &indicator.level_indicator {
                self.linked_series(path.key("level_indicator"), level, false);
            }
            for (j, change) in indicator.breaks.iter().enumerate() {
                self.english(
                    path.at("breaks", j).key("note"),
                    "series break",
                    &change.note,
                );
            }
            self.source_ref(path.clone(), &indicator.source_ref);
            // Indicators of the plan's table need a target; others may be context series.
            if indicator.targets.is_empty() && indicator.is_headline() {
                self.report(path.key("targets"), ProblemKind::NoTargets);
            }
            for (j, target) in indicator.targets.iter().enumerate() {
                self.check_target(path.at("targets", j), indicator, target);
            }
            if let Some(baseline) = &indicator.baseline {
                let bpath = path.key("baseline");
                self.finite(bpath.key("value"), baseline.value);
                self.source_ref(bpath.clone(), &baseline.source_ref);
                let due = indicator
                    .targets
                    .iter()
                    .map(Target::due_year)
                    .min()
                    .unwrap_or(plan.target_year);
                if baseline.year >= due {
                    self.report(
                        bpath.key("year"),
                        ProblemKind::BaselineAfterTarget {
                            baseline: baseline.year,
                            target: due,
                        },
                    );
                }
            }
        }
    }

    /// A growth series must be in %, a level series must not.
    fn linked_series(&mut self, path: Path, code: &str, growth: bool) {
        match self.plan.indicators.iter().find(|i| i.code == code) {
            None => self.reference(path, "indicator", code),
            Some(linked) if linked.is_percentage() != growth => self.report(
                path,
                ProblemKind::LinkedSeriesUnit {
                    code: code.to_owned(),
                    unit: linked.unit.clone(),
                    growth,
                },
            ),
            Some(_) => {}
        }
    }

    fn check_target(&mut self, path: Path, indicator: &Indicator, target: &Target) {
        self.source_ref(path.clone(), target.source_ref());
        match target {
            Target::Level { value, year, .. } | Target::StrictLevel { value, year, .. } => {
                self.finite(path.key("value"), *value);
                self.plan_year(path.key("year"), *year);
            }
            Target::LevelRange { min, max, year, .. } => {
                if self.finite(path.key("min"), *min)
                    && self.finite(path.key("max"), *max)
                    && min > max
                {
                    self.report(
                        path.key("min"),
                        ProblemKind::InvertedRange {
                            min: *min,
                            max: *max,
                        },
                    );
                }
                self.plan_year(path.key("year"), *year);
            }
            Target::Share { value, year, .. } => {
                if self.finite(path.key("value"), *value) && !(0.0..=100.0).contains(value) {
                    self.report(path.key("value"), ProblemKind::ShareOutOfRange(*value));
                }
                if !indicator.is_percentage() {
                    self.report(
                        Path(path.0[..2].to_vec()).key("unit"),
                        ProblemKind::ShareUnitNotPercent(indicator.unit.clone()),
                    );
                }
                self.plan_year(path.key("year"), *year);
            }
            Target::AverageGrowth {
                value, from, to, ..
            } => {
                if self.finite(path.key("value"), *value) && *value <= -100.0 {
                    self.report(path.key("value"), ProblemKind::GrowthBelowMinus100(*value));
                }
                self.year_span(&path, *from, *to);
            }
            Target::GrowthRange {
                min, max, from, to, ..
            } => {
                if self.finite(path.key("min"), *min) && self.finite(path.key("max"), *max) {
                    if min > max {
                        self.report(
                            path.key("min"),
                            ProblemKind::InvertedRange {
                                min: *min,
                                max: *max,
                            },
                        );
                    } else if *min <= -100.0 {
                        self.report(path.key("min"), ProblemKind::GrowthBelowMinus100(*min));
                    }
                }
                self.year_span(&path, *from, *to);
            }
            Target::Cumulative {
                value, from, to, ..
            } => {
                self.finite(path.key("value"), *value);
                self.year_span(&path, *from, *to);
            }
            Target::Relative {
                reference, year, ..
            } => {
                self.reference(path.key("reference"), "region", reference);
                self.plan_year(path.key("year"), *year);
            }
            Target::Qualitative { year, .. } => self.plan_year(path.key("year"), *year),
        }
    }

    /// A span of years over which growth or a total is measured: `from` may be the base year.
    fn year_span(&mut self, path: &Path, from: u16, to: u16) {
        if from > to {
            self.report(path.key("from"), ProblemKind::InvertedYears { from, to });
        }
        let (base, target) = (self.plan.base_year, self.plan.target_year);
        if base < target && (from < base || from > target) {
            self.report(
                path.key("from"),
                ProblemKind::YearOutsidePlan {
                    year: from,
                    base,
                    target,
                },
            );
        }
        self.plan_year(path.key("to"), to);
    }

    fn check_industries(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "industries",
            "industry",
            plan.industries.iter().map(|i| i.code.as_str()),
        );
        self.unique(
            "industries",
            "number",
            plan.industries.iter().map(|i| (i.category, i.number)),
            |(_, number)| ProblemKind::DuplicateNumber {
                what: "industry",
                number,
            },
        );
        for (i, industry) in plan.industries.iter().enumerate() {
            let path = Path::default().at("industries", i);
            self.code(path.clone(), &industry.code);
            self.number(path.clone(), industry.number);
            self.english(path.key("name"), "industry", &industry.name);
            self.references(path.key("indicators"), "indicator", &industry.indicators);
            self.column_refs(path.key("columns"), &industry.columns);
            if let Some(lead) = &industry.lead_department {
                self.reference(path.key("lead_department"), "department", lead);
            }
            self.references(path.key("departments"), "department", &industry.departments);
            self.source_ref(path, &industry.source_ref);
        }
    }

    fn column_refs(&mut self, path: Path, numbers: &[u32]) {
        for (i, number) in numbers.iter().enumerate() {
            if !self.columns.contains(number) {
                let mut at = path.clone();
                at.0.push(PathSeg::Index(i));
                self.report(
                    at,
                    ProblemKind::UnknownReference {
                        what: "column",
                        code: number.to_string(),
                    },
                );
            }
        }
    }

    fn check_layout(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "layout",
            "layout element",
            plan.layout.iter().map(|l| l.code.as_str()),
        );
        for (i, element) in plan.layout.iter().enumerate() {
            let path = Path::default().at("layout", i);
            self.code(path.clone(), &element.code);
            self.english(path.key("name"), "layout element", &element.name);
            self.references(path.key("regions"), "region", &element.regions);
            self.source_ref(path, &element.source_ref);
        }
        let mut seen = HashSet::new();
        for (i, heading) in plan.layout_headings.iter().enumerate() {
            let path = Path::default().at("layout_headings", i);
            self.english(path.key("title"), "layout heading", &heading.title);
            for (j, group) in heading.groups.iter().enumerate() {
                if !seen.insert(*group) {
                    self.report(
                        path.at("groups", j),
                        ProblemKind::LayoutGroupTwice(group.as_str().to_owned()),
                    );
                }
            }
            self.source_ref(path, &heading.source_ref);
        }
    }

    fn check_zones(&mut self) {
        let plan = self.plan;
        self.unique_numbers("zones", "zone", plan.zones.iter().map(|z| z.number));
        for (i, zone) in plan.zones.iter().enumerate() {
            let path = Path::default().at("zones", i);
            self.number(path.clone(), zone.number);
            self.references(path.key("indicators"), "indicator", &zone.indicators);
            self.source_ref(path, &zone.source_ref);
        }
    }

    fn check_actions(&mut self) {
        let plan = self.plan;
        self.unique_codes(
            "actions",
            "action",
            plan.actions.iter().map(|a| a.code.as_str()),
        );
        self.unique_numbers("actions", "action", plan.actions.iter().map(|a| a.number));
        for (i, action) in plan.actions.iter().enumerate() {
            let path = Path::default().at("actions", i);
            self.code(path.clone(), &action.code);
            self.number(path.clone(), action.number);
            self.english(path.key("title"), "action", &action.title);
            self.column_refs(path.key("columns"), &action.columns);
            if let Some(lead) = &action.lead_department {
                self.reference(path.key("lead_department"), "department", lead);
            }
            self.source_ref(path.clone(), &action.source_ref);
            let mut seen = HashSet::new();
            for (j, item) in action.items.iter().enumerate() {
                let ipath = path.at("items", j);
                self.number(ipath.clone(), item.number);
                if !seen.insert(item.number) {
                    self.report(
                        ipath.key("number"),
                        ProblemKind::DuplicateNumber {
                            what: "action item",
                            number: item.number,
                        },
                    );
                }
                self.english(ipath.key("title"), "action item", &item.title);
                self.references(ipath.key("departments"), "department", &item.departments);
                self.source_ref(ipath, &item.source_ref);
            }
        }
    }

    fn check_columns(&mut self) {
        let plan = self.plan;
        self.unique_numbers("columns", "column", plan.columns.iter().map(|c| c.number));
        for (i, column) in plan.columns.iter().enumerate() {
            let path = Path::default().at("columns", i);
            self.number(path.clone(), column.number);
            self.english(path.key("title"), "column", &column.title);
            self.source_ref(path, &column.source_ref);
        }
    }

    fn check_calendar(&mut self) {
        let Some(calendar) = &self.plan.calendar else {
            return;
        };
        let root = Path::default().key("calendar");
        for frequency in Frequency::ALL {
            self.due_rule(
                root.key("due").key(frequency.as_str()),
                calendar.due.rule(frequency),
            );
        }
        let mut seen = HashSet::new();
        for (i, entry) in calendar.indicators.iter().enumerate() {
            let path = root.at("indicators", i);
            self.reference(path.key("indicator"), "indicator", &entry.indicator);
            if !seen.insert(entry.indicator.as_str()) {
                self.report(
                    path.key("indicator"),
                    ProblemKind::DuplicateCalendarEntry(entry.indicator.clone()),
                );
            }
            for frequency in Frequency::ALL {
                if let Some(rule) = entry.due.and_then(|due| due.rule(frequency)) {
                    self.due_rule(path.key("due").key(frequency.as_str()), rule);
                }
            }
        }
        for indicator in &self.plan.indicators {
            let code = indicator.code.as_str();
            let reported = !calendar.frequencies_of(code).is_empty();
            let by_lead = calendar
                .reporters_of(code)
                .contains(&Reporter::LeadDepartment);
            if reported && by_lead && indicator.lead_department.is_none() {
                let path = match calendar.indicators.iter().position(|e| e.indicator == code) {
                    Some(i) => root.at("indicators", i).key("indicator"),
                    None => root.key("reporters"),
                };
                self.report(path, ProblemKind::NoLeadDepartment(code.to_owned()));
            }
        }
    }

    fn due_rule(&mut self, path: Path, rule: DueRule) {
        let ok = match rule {
            DueRule {
                days_after: Some(days),
                months_after: None,
                day: None,
            } => days <= 366,
            DueRule {
                days_after: None,
                months_after: Some(months),
                day: Some(day),
            } => months <= 12 && (1..=31).contains(&day),
            _ => false,
        };
        if !ok {
            self.report(path, ProblemKind::BadDueRule);
        }
    }

    fn check_measures(&mut self) {
        let plan = self.plan;
        self.unique_numbers(
            "measures",
            "measure",
            plan.measures.iter().map(|m| m.number),
        );
        for (i, measure) in plan.measures.iter().enumerate() {
            let path = Path::default().at("measures", i);
            self.number(path.clone(), measure.number);
            self.english(path.key("title"), "measure", &measure.title);
            self.source_ref(path, &measure.source_ref);
        }
    }
}
