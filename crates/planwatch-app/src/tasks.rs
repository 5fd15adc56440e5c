//! Tasks and key projects with their status (issue 14): the stored tasks and projects, the
//! approved progress reports on them, and the pure rules of `planwatch-tasks` with the plan's
//! thresholds (`[tasks]` of the plan file) — what the command line, the pages, supervision and
//! the assessment all ask, so that they agree. The stored records become the rules' [`Task`] and
//! [`Project`] here, in one place ([`task_of`], [`project_of`]).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use planwatch_access::Unit;
use planwatch_plan::{Plan, SourceRef};
use planwatch_store::{
    ProgressFigures, ProgressSubject, ProjectFilter, Store, StoreError, StoredProgress,
    StoredProject, StoredTask, TaskFilter, TaskRole,
};
pub use planwatch_tasks::status_history;
use planwatch_tasks::{
    Deadline, Expected, Judgement, Node, Project, ProjectReport, Quantity, Span, StatusRules, Task,
    TaskReport, project_status, task_status,
};

/// A stored task with its status on the day asked.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub task: StoredTask,
    pub judgement: Judgement,
}

/// A stored key project with its status on the day asked and its latest approved report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectView {
    pub project: StoredProject,
    pub judgement: Judgement,
    pub latest: Option<ProjectReport>,
}

/// The rules' view of a stored task: its year's span, its clause, its units by role.
pub fn task_of(stored: &StoredTask) -> Task {
    let record = &stored.task;
    let units = |role| -> Vec<Unit> { record.units_in(role).into_iter().cloned().collect() };
    Task {
        key: record.key.clone(),
        span: Span::Year(stored.year),
        title: record.title.clone(),
        clause: SourceRef(record.clause.clone()),
        lead: units(TaskRole::Lead),
        responsible: units(TaskRole::Responsible),
        supporting: units(TaskRole::Supporting),
        deadline: record.deadline.map_or(Deadline::Ongoing, Deadline::By),
        nodes: record
            .nodes
            .iter()
            .map(|n| Node {
                due: n.due,
                expected: n.expected.clone(),
                percent: n.share,
            })
            .collect(),
        expected: Expected {
            text: record.expected.clone(),
            quantity: record.quantity.as_ref().map(|(value, unit)| Quantity {
                value: *value,
                unit: unit.clone(),
            }),
        },
        indicators: record.indicators.clone(),
    }
}

/// The rules' view of a stored project: its first responsible unit (the region's government
/// when the list names none), the planned start's first day (1 January of the list's year when
/// not given), the planned completion's last day (the plan's last day when not given), the
/// list's year's planned investment.
pub fn project_of(plan: &Plan, stored: &StoredProject) -> Project {
    let record = &stored.project;
    let year_start = Span::Year(stored.year).first_day();
    let plan_end = Span::Year(plan.period.end.max(stored.year)).last_day();
    Project {
        key: record.key.clone(),
        name: record.name.clone(),
        content: record.content.clone(),
        region: record.region.clone(),
        coordinates: record.coordinates,
        column: record.column,
        unit: record
            .units
            .first()
            .cloned()
            .unwrap_or_else(|| Unit::Region(record.region.clone())),
        total_investment: record.total_investment,
        yearly_plan: record
            .year_investment
            .map(|v| vec![(stored.year, v)])
            .unwrap_or_default(),
        planned_start: record
            .planned_start
            .map_or(year_start, planwatch_tasks::PlannedDate::first_day),
        planned_completion: record
            .planned_completion
            .map_or(plan_end, planwatch_tasks::PlannedDate::last_day),
        stage: record.stage,
    }
}

/// The tasks of `plan` that pass `filter`, each with its status on `today` from its approved
/// progress reports, by the plan's status rules.
pub async fn task_views(
    store: &Store,
    plan: &Plan,
    filter: &TaskFilter,
    today: NaiveDate,
) -> Result<Vec<TaskView>, StoreError> {
    let rules = StatusRules::from_plan(plan);
    let tasks = store.tasks(plan, filter).await?;
    let years: BTreeSet<u16> = tasks.iter().map(|t| t.year).collect();
    let mut reports: HashMap<i64, Vec<TaskReport>> = HashMap::new();
    for year in years {
        reports.extend(store.approved_task_reports(plan, year).await?);
    }
    Ok(tasks
        .into_iter()
        .map(|stored| {
            let task = task_of(&stored);
            let own = reports.get(&stored.id).map_or(&[][..], Vec::as_slice);
            TaskView {
                judgement: task_status(&task, own, today, &rules),
                task: stored,
            }
        })
        .collect())
}

/// The key projects of `plan` that pass `filter`, each with its status in its list's year on
/// `today` and its latest approved report known by then, by the plan's status rules.
pub async fn project_views(
    store: &Store,
    plan: &Plan,
    filter: &ProjectFilter,
    today: NaiveDate,
) -> Result<Vec<ProjectView>, StoreError> {
    let rules = StatusRules::from_plan(plan);
    let projects = store.projects(plan, filter).await?;
    let years: BTreeSet<u16> = projects.iter().map(|p| p.year).collect();
    let mut reports: HashMap<i64, Vec<ProjectReport>> = HashMap::new();
    for year in years {
        reports.extend(store.approved_project_reports(plan, year).await?);
    }
    Ok(projects
        .into_iter()
        .map(|stored| {
            let project = project_of(plan, &stored);
            let own = reports.get(&stored.id).map_or(&[][..], Vec::as_slice);
            let latest = own
                .iter()
                .filter(|r| r.date <= today)
                .max_by_key(|r| (r.date, r.period))
                .cloned();
            ProjectView {
                judgement: project_status(&project, own, stored.year, today, &rules),
                latest,
                project: stored,
            }
        })
        .collect())
}

/// The status on `today` of the task or key project `report` is on — as it stands (its
/// approved reports), and as it would be once `report` is approved too (dated the day it was
/// submitted, as approved reports are; the same when it is approved already): what a reviewer
/// sees before deciding. `None` when its task or project is no longer stored.
pub async fn status_on_approval(
    store: &Store,
    plan: &Plan,
    report: &StoredProgress,
    today: NaiveDate,
) -> Result<Option<(Judgement, Judgement)>, StoreError> {
    let rules = StatusRules::from_plan(plan);
    let date = report
        .submitted_at
        .as_deref()
        .and_then(|at| at.get(..10))
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let counted = report.status == planwatch_workflow::Status::Approved;
    let content = &report.content;
    match (report.subject, &content.figures) {
        (
            ProgressSubject::Task(id),
            ProgressFigures::Task {
                progress,
                nodes_met,
            },
        ) => {
            let filter = TaskFilter {
                year: Some(report.year),
                unit: None,
            };
            let Some(stored) = store
                .tasks(plan, &filter)
                .await?
                .into_iter()
                .find(|t| t.id == id)
            else {
                return Ok(None);
            };
            let task = task_of(&stored);
            let mut reports = store
                .approved_task_reports(plan, report.year)
                .await?
                .remove(&id)
                .unwrap_or_default();
            let before = task_status(&task, &reports, today, &rules);
            if !counted {
                reports.push(TaskReport {
                    period: report.period,
                    date,
                    progress: *progress,
                    text: content.text.clone(),
                    nodes_met: nodes_met.clone(),
                });
            }
            Ok(Some((before, task_status(&task, &reports, today, &rules))))
        }
        (
            ProgressSubject::Project(id),
            ProgressFigures::Project {
                stage,
                invested_year,
                invested_total,
            },
        ) => {
            let filter = ProjectFilter {
                year: Some(report.year),
                ..ProjectFilter::default()
            };
            let Some(stored) = store
                .projects(plan, &filter)
                .await?
                .into_iter()
                .find(|p| p.id == id)
            else {
                return Ok(None);
            };
            let project = project_of(plan, &stored);
            let mut reports = store
                .approved_project_reports(plan, report.year)
                .await?
                .remove(&id)
                .unwrap_or_default();
            let before = project_status(&project, &reports, stored.year, today, &rules);
            if !counted {
                reports.push(ProjectReport {
                    period: report.period,
                    date,
                    invested_year: *invested_year,
                    invested_total: *invested_total,
                    stage: *stage,
                    text: content.text.clone(),
                });
            }
            let after = project_status(&project, &reports, stored.year, today, &rules);
            Ok(Some((before, after)))
        }
        _ => Ok(None),
    }
}
