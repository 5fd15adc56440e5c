//! The evaluation report (issue 15), before any format.
//!
//! A [`Report`] is what the annual evaluation, the mid-term evaluation (中期评估) and the final
//! evaluation (总结评估) say: its [`Facts`] (the numbers and judgements, for tests and the API)
//! and its [`Section`]s of [`Block`]s (headings, paragraphs, lists, tables, charts), which every
//! writer — DOCX, PDF, HTML — lays out and nothing else. Writers never compute a figure or a
//! sentence: what a report says is decided here, once, by [`build`] from the evaluation, the
//! tasks and the planner texts ([`ReportInputs`]). The judgements' rules are in [`rules`]; the
//! sentences shared with the web's indicator page in [`wording`]; the planner texts' markup in
//! [`markup`]. See `docs/reports.md`.

mod build;
mod chart;
pub mod markup;
mod model;
pub mod rules;
pub mod wording;

pub use crate::chart::{CHART_FONT_FAMILY, CHART_HEIGHT, CHART_WIDTH, chart_svg};

pub use crate::build::{
    ProjectLine, ReportInputs, SavedText, TaskLine, TextSection, build, draft_text,
};
pub use crate::model::{
    Block, CategoryCount, Chart, ChartPoint, Facts, IndicatorLine, Lang, Report, ReportKind,
    Section, Table, TextVersion, fixture,
};

#[cfg(test)]
mod tests;
