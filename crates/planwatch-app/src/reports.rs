//! Evaluation reports (issue 15): what [`planwatch_report::build`] needs, read from the store —
//! the evaluation as known on the as-of date, the tasks and key projects with their status on
//! that date, the planners' assessments and their saved texts — for the command line and the
//! web to write as DOCX, PDF or HTML.

use std::collections::HashMap;

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_eval::{Assessment, Series};
use planwatch_plan::Plan;
use planwatch_report::{
    Lang, ProjectLine, Report, ReportInputs, ReportKind, SavedText, TaskLine, TextSection,
};
use planwatch_store::{ProjectFilter, ReportTextKey, Store, StoreError, TaskFilter, TaskRole};
use planwatch_workflow::notice::unit_name;

use crate::tasks::{project_views, task_views};
use crate::{EvaluationRequest, evaluate, load_panel, stored_region_targets};

/// Which report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub kind: ReportKind,
    /// The evaluated year; by default [`default_year`].
    pub year: Option<u16>,
    /// The data as-of date; by default today.
    pub as_of: Option<NaiveDate>,
    /// A district's own report: its code; `None` for the plan's region.
    pub region: Option<String>,
    pub lang: Lang,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("地区“{0}”不在规划中 / region \"{0}\" is not in the plan")]
    UnknownRegion(String),
}

/// The year a report evaluates unless asked: the mid-term evaluation the data of the plan's middle
/// year (2023 for 2021–2025: written after two and a half years), the final evaluation the target
/// year; `None` — the latest year with data on the as-of date — for the annual one. A year the
/// data has not reached is evaluated on the data there is.
pub fn default_year(plan: &Plan, kind: ReportKind) -> Option<u16> {
    match kind {
        ReportKind::Annual => None,
        ReportKind::Midterm => {
            Some(plan.base_year + (plan.target_year - plan.base_year).div_ceil(2))
        }
        ReportKind::Final => Some(plan.target_year),
    }
}

/// The store key of a planner text of the report `request` asks for, in `year`.
pub fn text_key(request: &ReportRequest, year: u16, section: TextSection) -> ReportTextKey {
    ReportTextKey {
        kind: request.kind.as_str().into(),
        year,
        region: request.region.clone().unwrap_or_default(),
        lang: request.lang.as_str().into(),
        section: section.as_str().into(),
    }
}

/// What a report says, read from the store: the owner of [`ReportInputs`]' borrows.
struct Gathered {
    year: u16,
    as_of: NaiveDate,
    region: Option<(String, String)>,
    results: Vec<Assessment>,
    series: HashMap<String, Series>,
    districts: Vec<Assessment>,
    assessments: HashMap<String, String>,
    tasks: Vec<TaskLine>,
    projects: Vec<ProjectLine>,
    texts: Vec<(TextSection, SavedText)>,
}

impl Gathered {
    fn inputs<'a>(&'a self, plan: &'a Plan, request: &ReportRequest) -> ReportInputs<'a> {
        let text = |section| {
            self.texts
                .iter()
                .find(|(s, _)| *s == section)
                .map(|(_, t)| t)
        };
        ReportInputs {
            kind: request.kind,
            lang: request.lang,
            year: self.year,
            as_of: self.as_of,
            plan,
            region: self
                .region
                .as_ref()
                .map(|(code, name)| (code.as_str(), name.as_str())),
            results: &self.results,
            series: &self.series,
            districts: &self.districts,
            assessments: &self.assessments,
            tasks: &self.tasks,
            projects: &self.projects,
            problems: text(TextSection::Problems),
            suggestions: text(TextSection::Suggestions),
        }
    }
}

/// The report `request` asks for (see `docs/reports.md`).
pub async fn report(
    store: &Store,
    plan: &Plan,
    request: &ReportRequest,
) -> Result<Report, ReportError> {
    let gathered = gather(store, plan, request).await?;
    Ok(planwatch_report::build(&gathered.inputs(plan, request)))
}

/// The generated draft of a planner section of the report `request` asks for, as markup: what
/// the web's editor is prefilled with.
pub async fn draft_text(
    store: &Store,
    plan: &Plan,
    request: &ReportRequest,
    section: TextSection,
) -> Result<String, ReportError> {
    let gathered = gather(store, plan, request).await?;
    Ok(planwatch_report::draft_text(
        &gathered.inputs(plan, request),
        section,
    ))
}

/// The unit's name in `lang`.
fn name(plan: &Plan, unit: &Unit, lang: Lang) -> String {
    let (zh, en) = unit_name(plan, unit);
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

async fn gather(
    store: &Store,
    plan: &Plan,
    request: &ReportRequest,
) -> Result<Gathered, ReportError> {
    let as_of = request
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let code = request
        .region
        .clone()
        .unwrap_or_else(|| plan.region.clone());
    let index = plan
        .regions
        .iter()
        .position(|r| r.code == code)
        .ok_or_else(|| ReportError::UnknownRegion(code.clone()))?;
    let region_name =
        |r: &planwatch_plan::Region| planwatch_report::wording::text(request.lang, &r.name);
    let region = request
        .region
        .as_ref()
        .map(|_| (code.clone(), region_name(&plan.regions[index])));
    // The report's region and the regions directly under it (section 3).
    let children: Vec<usize> = plan
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.parent.as_deref() == Some(code.as_str()))
        .map(|(i, _)| i)
        .collect();
    let as_of_text = as_of.format("%Y-%m-%d").to_string();
    let evaluation_request = EvaluationRequest {
        year: request.year.or_else(|| default_year(plan, request.kind)),
        indicators: None,
        regions: Some(
            std::iter::once(index)
                .chain(children.iter().copied())
                .collect(),
        ),
        as_of: Some(as_of_text.clone()),
    };
    let region_targets = stored_region_targets(store, plan).await?;
    let evaluation = evaluate(
        store,
        plan,
        &evaluation_request,
        &region_targets,
        planwatch_eval::DEFAULT_ROLLUP_TOLERANCE,
    )
    .await?;
    let year = evaluation.year;
    let (results, districts): (Vec<Assessment>, Vec<Assessment>) = evaluation
        .results
        .into_iter()
        .filter(|r| r.region == code || r.target.is_some())
        .partition(|r| r.region == code);
    let panel = load_panel(store, plan, std::slice::from_ref(&code), Some(as_of_text)).await?;
    let series = plan
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, ind)| Some((ind.code.clone(), panel.series(i, index)?.clone())))
        .collect();
    let assessments = store.assessments(plan, year).await?.into_iter().collect();
    let unit = request.region.as_ref().map(|c| Unit::Region(c.clone()));
    let tasks = task_views(
        store,
        plan,
        &TaskFilter {
            year: Some(year),
            unit: unit.clone(),
        },
        as_of,
    )
    .await?
    .into_iter()
    .map(|view| TaskLine {
        action: view.task.task.section.clone(),
        title: view.task.task.title.clone(),
        lead: view
            .task
            .task
            .units_in(TaskRole::Lead)
            .into_iter()
            .map(|u| name(plan, u, request.lang))
            .collect(),
        status: view.judgement.status,
    })
    .collect();
    let projects = project_views(
        store,
        plan,
        &ProjectFilter {
            year: Some(year),
            region: request.region.clone(),
            ..ProjectFilter::default()
        },
        as_of,
    )
    .await?
    .into_iter()
    .map(|view| {
        let record = &view.project.project;
        let this_year = view
            .latest
            .as_ref()
            .filter(|r| r.period.year() == view.project.year);
        ProjectLine {
            name: record.name.clone(),
            units: record
                .units
                .iter()
                .map(|u| name(plan, u, request.lang))
                .collect(),
            stage: view.latest.as_ref().map_or(record.stage, |r| r.stage),
            status: view.judgement.status,
            planned: record.year_investment,
            invested: this_year.map(|r| r.invested_year),
        }
    })
    .collect();
    let mut texts = Vec::new();
    for section in TextSection::ALL {
        if let Some(saved) = store
            .report_text(plan, &text_key(request, year, section), None)
            .await?
        {
            texts.push((
                section,
                SavedText {
                    version: saved.version,
                    body: saved.body,
                    author: saved.author,
                    saved_at: saved.saved_at,
                },
            ));
        }
    }
    Ok(Gathered {
        year,
        as_of,
        region,
        results,
        series,
        districts,
        assessments,
        tasks,
        projects,
        texts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_midterm_evaluates_the_middle_year_and_the_final_the_target_year() {
        let plan = planwatch_plan::chengdu::plan();
        assert_eq!((plan.base_year, plan.target_year), (2020, 2025));
        assert_eq!(default_year(&plan, ReportKind::Annual), None);
        assert_eq!(default_year(&plan, ReportKind::Midterm), Some(2023));
        assert_eq!(default_year(&plan, ReportKind::Final), Some(2025));
    }
}
