//! Tasks and key projects: the work the plan asks for, who does it, by when, and what it yields.
//!
//! A [`Task`] serves a clause of the plan — an action (`5.1`), an action item (`5.1.2`), a column
//! (专栏, `c16`) or a column item (`c16.1`), or a guarantee measure (`6.2`) — by its `ref`, as the
//! plan model names them ([`planwatch_plan::SourceRef`]). A [`Project`] is a key project (重大项目)
//! of a 专栏.

use chrono::{Datelike, NaiveDate};
use planwatch_access::Unit;
use planwatch_plan::{Plan, SourceRef, Text};

use crate::deadline::{Deadline, month_end};
use crate::planned::PlannedDate;

/// The years a task is for: one year's decomposition, or the whole plan period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    Year(u16),
    Plan { start: u16, end: u16 },
}

impl Span {
    /// The first day of the span.
    pub fn first_day(self) -> NaiveDate {
        let year = match self {
            Span::Year(year) | Span::Plan { start: year, .. } => year,
        };
        NaiveDate::from_ymd_opt(i32::from(year), 1, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the span.
    pub fn last_day(self) -> NaiveDate {
        let year = match self {
            Span::Year(year) | Span::Plan { end: year, .. } => year,
        };
        month_end(i32::from(year), 12)
    }

    /// The year deadlines without a year are read in: the task's year, or the plan's last.
    pub fn deadline_year(self) -> u16 {
        match self {
            Span::Year(year) | Span::Plan { end: year, .. } => year,
        }
    }
}

/// A quarterly (or any) node of a task: by `due`, `expected` is done — and, where the sheet gives
/// one, `percent` of the task.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub due: NaiveDate,
    pub expected: String,
    /// The share of the task done by then (0–100), where the sheet says.
    pub percent: Option<f64>,
}

/// The year's expected result: in words, and as a number with its unit where there is one
/// (新增首店 300 家).
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub text: String,
    pub quantity: Option<Quantity>,
}

/// A number with its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

/// Units a quantity in an expected result is written in, longest first where one starts another.
const QUANTITY_UNITS: [&str; 44] = [
    "万亿元",
    "亿美元",
    "万美元",
    "亿元",
    "万元",
    "元",
    "万人次",
    "人次",
    "万人",
    "人",
    "万平方米",
    "平方米",
    "万标箱",
    "标箱",
    "万吨",
    "吨",
    "公里",
    "千米",
    "个",
    "家",
    "项",
    "场",
    "条",
    "列",
    "次",
    "座",
    "处",
    "所",
    "批",
    "户",
    "件",
    "台",
    "套",
    "艘",
    "架",
    "班",
    "辆",
    "届",
    "期",
    "名",
    "款",
    "亿",
    "万",
    "%",
];

impl Quantity {
    /// The last number in `text` with the unit after it: `新引进品牌首店300家` → 300 家,
    /// `零售总额达到1.1万亿元` → 1.1 万亿元, `增长8%左右` → 8 %, `1,200个` → 1200 个. `None` when no
    /// number is followed by a unit of [`QUANTITY_UNITS`].
    pub fn parse(text: &str) -> Option<Quantity> {
        let text: String = text
            .chars()
            .map(planwatch_plan::period::to_half_width)
            .collect();
        let mut found = None;
        let mut rest = text.as_str();
        let mut offset = 0;
        while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
            let tail = &rest[start..];
            let len = tail
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
                .unwrap_or(tail.len());
            let number = tail[..len].trim_end_matches(['.', ',']);
            let after = &tail[number.len()..];
            if let Ok(value) = number.replace(',', "").parse::<f64>()
                && let Some(unit) = QUANTITY_UNITS.iter().find(|u| after.starts_with(*u))
            {
                found = Some(Quantity {
                    value,
                    unit: (*unit).to_owned(),
                });
            }
            offset += start + len.max(1);
            rest = &text[offset..];
        }
        found
    }
}

/// A piece of work the plan asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The task's number in its sheet (序号) or another stable key, unique within its span.
    pub key: String,
    pub span: Span,
    pub title: String,
    /// The clause of the plan it serves.
    pub clause: SourceRef,
    /// 牵头单位: one, at times several jointly; the first receives supervision notices.
    pub lead: Vec<Unit>,
    /// 责任单位.
    pub responsible: Vec<Unit>,
    /// 配合单位.
    pub supporting: Vec<Unit>,
    /// The final deadline.
    pub deadline: Deadline,
    /// Nodes before the deadline, in order of their days.
    pub nodes: Vec<Node>,
    pub expected: Expected,
    /// Codes of indicators the task moves.
    pub indicators: Vec<String>,
}

impl Task {
    /// The day work starts being expected: the span's first day.
    pub fn start(&self) -> NaiveDate {
        self.span.first_day()
    }

    /// Whether `unit` leads the task, is responsible for it or supports it.
    pub fn role_of(&self, unit: &Unit) -> Option<Role> {
        if self.lead.contains(unit) {
            Some(Role::Lead)
        } else if self.responsible.contains(unit) {
            Some(Role::Responsible)
        } else if self.supporting.contains(unit) {
            Some(Role::Supporting)
        } else {
            None
        }
    }
}

/// What is wrong with a task, beside its cells' own problems.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskProblem {
    #[error("{0}")]
    Clause(#[from] UnknownClause),
    #[error("任务须有牵头单位 / a task needs a lead unit")]
    NoLead,
    #[error("任务须有名称 / a task needs a title")]
    NoTitle,
    #[error(
        "节点 {due} 晚于完成时限 {deadline} / the node {due} comes after the deadline {deadline}"
    )]
    NodeAfterDeadline { due: NaiveDate, deadline: NaiveDate },
    #[error(
        "节点 {due} 不在任务期内（{first} 至 {last}）/ the node {due} is outside the task's span ({first} to {last})"
    )]
    NodeOutsideSpan {
        due: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
    },
    #[error("节点的完成比例 {0} 须在 0 到 100 之间 / a node's share {0} must be from 0 to 100")]
    NodeShare(f64),
    #[error("本规划中没有指标“{0}”/ the plan has no indicator \"{0}\"")]
    UnknownIndicator(String),
    #[error("{unit} 既是{first_zh}又是{second_zh} / {unit} is both {first} and {second}", first_zh = first.label_zh(), second_zh = second.label_zh(), first = first.label_en(), second = second.label_en())]
    TwoRoles {
        unit: Unit,
        first: Role,
        second: Role,
    },
}

impl Task {
    /// Every problem of the task against `plan`: its clause, a lead unit, a title, nodes within
    /// its span and before its deadline with shares 0–100, known indicators, a unit in one role.
    pub fn check(&self, plan: &Plan) -> Vec<TaskProblem> {
        let mut problems = Vec::new();
        if let Err(unknown) = clause(plan, &self.clause) {
            problems.push(unknown.into());
        }
        if self.lead.is_empty() {
            problems.push(TaskProblem::NoLead);
        }
        if self.title.trim().is_empty() {
            problems.push(TaskProblem::NoTitle);
        }
        let (first, last) = (self.span.first_day(), self.span.last_day());
        for node in &self.nodes {
            if !(first..=last).contains(&node.due) {
                problems.push(TaskProblem::NodeOutsideSpan {
                    due: node.due,
                    first,
                    last,
                });
            } else if let Some(deadline) = self.deadline.date()
                && node.due > deadline
            {
                problems.push(TaskProblem::NodeAfterDeadline {
                    due: node.due,
                    deadline,
                });
            }
            if let Some(share) = node.percent
                && !(0.0..=100.0).contains(&share)
            {
                problems.push(TaskProblem::NodeShare(share));
            }
        }
        for code in &self.indicators {
            if !plan.indicators.iter().any(|i| &i.code == code) {
                problems.push(TaskProblem::UnknownIndicator(code.clone()));
            }
        }
        let roles = [
            (Role::Lead, &self.lead),
            (Role::Responsible, &self.responsible),
            (Role::Supporting, &self.supporting),
        ];
        for (i, (first, units)) in roles.iter().enumerate() {
            for (second, others) in &roles[i + 1..] {
                for unit in units.iter().filter(|u| others.contains(u)) {
                    problems.push(TaskProblem::TwoRoles {
                        unit: unit.clone(),
                        first: *first,
                        second: *second,
                    });
                }
            }
        }
        problems
    }
}

/// A unit's part in a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 牵头
    Lead,
    /// 责任
    Responsible,
    /// 配合
    Supporting,
}

impl Role {
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Lead => "牵头单位",
            Role::Responsible => "责任单位",
            Role::Supporting => "配合单位",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Lead => "lead unit",
            Role::Responsible => "responsible unit",
            Role::Supporting => "supporting unit",
        }
    }
}

/// What a task's clause is in the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clause<'p> {
    Action(&'p planwatch_plan::Action),
    ActionItem(&'p planwatch_plan::Action, &'p planwatch_plan::ActionItem),
    Column(&'p planwatch_plan::Column),
    /// A column and its item, counted from 1 as in `c16.1`.
    ColumnItem(
        &'p planwatch_plan::Column,
        usize,
        &'p planwatch_plan::ColumnItem,
    ),
    Measure(&'p planwatch_plan::Measure),
}

impl Clause<'_> {
    /// The clause's words: its title or heading, else the start of its text.
    pub fn title(&self) -> &Text {
        match self {
            Clause::Action(action) => &action.title,
            Clause::ActionItem(_, item) => &item.title,
            Clause::Column(column) => &column.title,
            Clause::ColumnItem(_, _, item) => item.heading.as_ref().unwrap_or(&item.text),
            Clause::Measure(measure) => &measure.title,
        }
    }
}

/// A `ref` that names no action, action item, column, column item or measure of the plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "规划中没有条目“{0}”（应为行动 5.1、行动条目 5.1.2、专栏 c16、专栏条目 c16.1 或保障措施 6.2）/ the plan has no clause \"{0}\" (an action 5.1, action item 5.1.2, column c16, column item c16.1 or measure 6.2)"
)]
pub struct UnknownClause(pub String);

/// The clause `reference` names in `plan`.
pub fn clause<'p>(plan: &'p Plan, reference: &SourceRef) -> Result<Clause<'p>, UnknownClause> {
    let unknown = || UnknownClause(reference.0.clone());
    let parsed = reference.parse().ok_or_else(unknown)?;
    if parsed.column {
        let column = plan
            .columns
            .iter()
            .find(|c| c.number == parsed.parts[0])
            .ok_or_else(unknown)?;
        return match parsed.parts.get(1) {
            None => Ok(Clause::Column(column)),
            Some(&n) => {
                let index = n as usize;
                let item = column.items.get(index - 1).ok_or_else(unknown)?;
                Ok(Clause::ColumnItem(column, index, item))
            }
        };
    }
    if let Some(action) = plan.actions.iter().find(|a| a.source_ref == *reference) {
        return Ok(Clause::Action(action));
    }
    for action in &plan.actions {
        if let Some(item) = action.items.iter().find(|i| i.source_ref == *reference) {
            return Ok(Clause::ActionItem(action, item));
        }
    }
    if let Some(measure) = plan.measures.iter().find(|m| m.source_ref == *reference) {
        return Ok(Clause::Measure(measure));
    }
    Err(unknown())
}

/// A key project's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// 前期: preparation, not yet under construction.
    Preparation,
    /// 在建
    Construction,
    /// 竣工
    Completed,
    /// 投运: in operation.
    Operating,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Preparation,
        Stage::Construction,
        Stage::Completed,
        Stage::Operating,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Preparation => "前期",
            Stage::Construction => "在建",
            Stage::Completed => "竣工",
            Stage::Operating => "投运",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Stage::Preparation => "preparation",
            Stage::Construction => "under construction",
            Stage::Completed => "completed",
            Stage::Operating => "in operation",
        }
    }

    /// `preparation`, `construction`, `completed` or `operating`: how it is stored.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Preparation => "preparation",
            Stage::Construction => "construction",
            Stage::Completed => "completed",
            Stage::Operating => "operating",
        }
    }

    /// The stage of a [`Stage::code`].
    pub fn from_code(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether construction has started.
    pub fn started(self) -> bool {
        self >= Stage::Construction
    }

    /// Whether construction is finished.
    pub fn finished(self) -> bool {
        self >= Stage::Completed
    }

    /// Reads 前期, 在建, 竣工, 投运 (and a few everyday forms: 开工, 建成, 投产, 运营).
    pub fn parse(text: &str) -> Option<Stage> {
        let text = text.trim();
        match text {
            "前期" | "前期工作" | "前期阶段" | "储备" | "preparation" => {
                Some(Stage::Preparation)
            }
            "在建" | "开工" | "已开工" | "建设中" | "续建" | "新开工" | "under construction" => {
                Some(Stage::Construction)
            }
            "竣工" | "建成" | "已竣工" | "完工" | "completed" => Some(Stage::Completed),
            "投运" | "投产" | "运营" | "投入运营" | "已投运" | "in operation" => {
                Some(Stage::Operating)
            }
            _ => None,
        }
    }
}

/// A key project as a year's list (重大项目表) gives it: what the list reader yields and the
/// store keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedProject {
    /// The list's 序号, unique within the year.
    pub key: String,
    /// The section row above it (一、现代物流, 专栏16 …), empty when none.
    pub section: String,
    pub name: String,
    /// 建设内容（及规模）
    pub content: String,
    /// The code of the 区（市）县 or managed area it is in.
    pub region: String,
    pub coordinates: Option<Coordinates>,
    /// The 专栏 it belongs to.
    pub column: Option<u32>,
    /// 责任单位, in the cell's order.
    pub units: Vec<Unit>,
    /// 总投资, 亿元.
    pub total_investment: f64,
    /// 年度计划投资, 亿元: the list's year.
    pub year_investment: Option<f64>,
    pub planned_start: Option<PlannedDate>,
    pub planned_completion: Option<PlannedDate>,
    pub stage: Stage,
    /// The list's row the project is on.
    pub row: usize,
}

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub longitude: f64,
    pub latitude: f64,
}

/// A key project (重大项目).
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub key: String,
    pub name: String,
    /// 建设内容
    pub content: String,
    /// The 区（市）县 or managed area it is in, by code.
    pub region: String,
    pub coordinates: Option<Coordinates>,
    /// The 专栏 it belongs to.
    pub column: Option<u32>,
    /// 责任单位
    pub unit: Unit,
    /// 总投资, 亿元.
    pub total_investment: f64,
    /// 年度计划投资, 亿元, by year.
    pub yearly_plan: Vec<(u16, f64)>,
    pub planned_start: NaiveDate,
    pub planned_completion: NaiveDate,
    pub stage: Stage,
}

impl Project {
    /// The investment planned for `year` (亿元), if the plan names one.
    pub fn planned_for(&self, year: u16) -> Option<f64> {
        self.yearly_plan
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, v)| *v)
    }

    /// Whether the project is planned to be under way at some time in `year`.
    pub fn active_in(&self, year: u16) -> bool {
        let year = i32::from(year);
        self.planned_start.year() <= year && year <= self.planned_completion.year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_resolve_as_the_plan_names_them() {
        let plan = planwatch_plan::chengdu::plan();
        let r = |s: &str| clause(&plan, &SourceRef(s.to_owned()));
        assert!(matches!(r("5.1"), Ok(Clause::Action(a)) if a.code == "gateway_hub"));
        assert!(
            matches!(r("5.1.1"), Ok(Clause::ActionItem(a, i)) if a.number == 1 && i.number == 1)
        );
        assert!(matches!(r("c16"), Ok(Clause::Column(c)) if c.number == 16));
        assert!(matches!(r("c16.1"), Ok(Clause::ColumnItem(c, 1, _)) if c.number == 16));
        assert!(matches!(r("6.2"), Ok(Clause::Measure(m)) if m.number == 2));
        assert_eq!(
            r("5.1.1").unwrap().title().zh,
            "提升国际航空枢纽位势".to_owned()
        );
        for bad in ["5.9", "c99", "c16.99", "7", "x", "5.1.99"] {
            assert_eq!(r(bad), Err(UnknownClause(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn quantities_read_from_expected_results() {
        let q = |text: &str| Quantity::parse(text).map(|q| (q.value, q.unit));
        assert_eq!(q("新引进品牌首店300家"), Some((300.0, "家".to_owned())));
        assert_eq!(
            q("社会消费品零售总额达到1.1万亿元"),
            Some((1.1, "万亿元".to_owned()))
        );
        assert_eq!(q("2024年增长8%左右"), Some((8.0, "%".to_owned())));
        assert_eq!(q("新开工项目1,200个"), Some((1200.0, "个".to_owned())));
        assert_eq!(q("完成投资５.２亿元"), Some((5.2, "亿元".to_owned())));
        assert_eq!(q("办好第2届博览会"), Some((2.0, "届".to_owned())));
        assert_eq!(q("提升服务品质"), None);
        assert_eq!(q("2024年"), None);
    }

    #[test]
    fn tasks_are_checked_against_the_plan() {
        let plan = planwatch_plan::chengdu::plan();
        let day = crate::fixtures::day;
        let mut task =
            crate::fixtures::task("推进首店经济", "5.4.1", Deadline::By(day(2024, 6, 30)));
        task.indicators = vec!["retail_sales".into()];
        assert_eq!(task.check(&plan), vec![]);
        task.clause = SourceRef("5.4.9".into());
        task.lead = vec![];
        task.title = " ".into();
        task.nodes = vec![
            Node {
                due: day(2024, 9, 30),
                expected: "完成".into(),
                percent: Some(120.0),
            },
            Node {
                due: day(2025, 3, 31),
                expected: "验收".into(),
                percent: None,
            },
        ];
        task.indicators = vec!["nonsense".into()];
        task.supporting = task.responsible.clone();
        let problems = task.check(&plan);
        assert_eq!(
            problems,
            vec![
                TaskProblem::Clause(UnknownClause("5.4.9".into())),
                TaskProblem::NoLead,
                TaskProblem::NoTitle,
                TaskProblem::NodeAfterDeadline {
                    due: day(2024, 9, 30),
                    deadline: day(2024, 6, 30)
                },
                TaskProblem::NodeShare(120.0),
                TaskProblem::NodeOutsideSpan {
                    due: day(2025, 3, 31),
                    first: day(2024, 1, 1),
                    last: day(2024, 12, 31)
                },
                TaskProblem::UnknownIndicator("nonsense".into()),
                TaskProblem::TwoRoles {
                    unit: Unit::Region("510104".into()),
                    first: Role::Responsible,
                    second: Role::Supporting
                },
            ]
        );
        assert!(problems[7].to_string().contains("既是责任单位又是配合单位"));
    }

    #[test]
    fn stages_read_and_order() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.label_zh()), Some(stage));
            assert_eq!(Stage::parse(stage.label_en()), Some(stage));
        }
        assert_eq!(Stage::parse("已开工"), Some(Stage::Construction));
        for stage in Stage::ALL {
            assert_eq!(Stage::from_code(stage.code()), Some(stage));
        }
        assert_eq!(Stage::from_code("在建"), None);
        assert_eq!(Stage::parse("立项"), None);
        assert!(!Stage::Preparation.started() && Stage::Construction.started());
        assert!(!Stage::Construction.finished() && Stage::Operating.finished());
    }

    #[test]
    fn spans_cover_their_years() {
        let year = Span::Year(2024);
        assert_eq!(year.first_day().to_string(), "2024-01-01");
        assert_eq!(year.last_day().to_string(), "2024-12-31");
        let plan = Span::Plan {
            start: 2021,
            end: 2025,
        };
        assert_eq!(plan.first_day().to_string(), "2021-01-01");
        assert_eq!(plan.last_day().to_string(), "2025-12-31");
        assert_eq!(plan.deadline_year(), 2025);
    }
}
