//! Tasks, key projects, supervision (督查督办) and the yearly assessment of units (年度考核)
//! (issue 14), pure: no I/O, no async. The store keeps what this crate decides; the command line
//! and the web ask it. Rules: `docs/tasks.md`.
//!
//! - [`deadline`] — deadlines as offices write them (`2024年6月底前`, `第三季度`, `持续推进` …).
//! - [`names`] — the units a cell of a task sheet names (`市商务局、市经信局`, `锦江区政府`,
//!   `各区（市）县`), every unknown name reported.
//! - [`model`] — [`Task`] (the plan clause it serves, lead / responsible / supporting units,
//!   deadline, nodes, expected result, indicators) and [`Project`] (重大项目).
//! - [`planned`] — a project's planned start or completion (`2023年`, `2023.06`, a day).
//! - [`status`] — the status of a task or project on a day from its progress reports
//!   (已完成, 正常推进, 进度滞后, 严重滞后, 逾期, 未启动, 未报送), by [`StatusRules`].
//! - [`supervision`] — escalation across reporting periods: 提醒 → 警示 → 督办, with the notice's
//!   words, and the 督办单 a unit must answer.
//! - [`scoring`] — the assessment scheme and every unit's score, its breakdown to the source
//!   items and its rank among its kind.

pub mod deadline;
#[cfg(test)]
mod fixtures;
pub mod model;
pub mod names;
pub mod planned;
#[cfg(test)]
mod sample;
pub mod scoring;
pub mod status;
pub mod supervision;

pub use crate::deadline::{
    BadDeadline, BadNode, Deadline, parse_deadline, parse_nodes, split_deadline,
};
pub use crate::model::{
    Clause, Coordinates, Expected, ListedProject, Node, Project, Quantity, Role, Span, Stage, Task,
    UnknownClause, clause,
};
pub use crate::names::{UnitProblem, UnitResolver, split_cell};
pub use crate::planned::PlannedDate;
pub use crate::scoring::{
    Adjustment, AdjustmentKind, Component, ComponentScore, Item, Line, Quality, Scheme,
    SchemeProblem, Source, SourceKind, Timeliness, UnitKind, UnitScore, Weight, indicator_item,
    plan_units, project_item, quality_item, report_item, score, task_item,
};
pub use crate::status::{
    Judgement, Light, Progress, ProjectReport, Status, StatusRules, TaskReport, expected_percent,
    period_due, project_status, status_history, task_status,
};
pub use crate::supervision::{
    Answer, AnswerRefusal, Escalation, EscalationRules, Level, Notice, Order, escalation,
    next_period, notice, notices_due, unanswered,
};
