//! The pages of progress reports on tasks and key projects (issue 14): the section
//! "任务与项目进度" of 填报 (`/report`: the unit's tasks — as lead or responsible unit — and key
//! projects of the year with their status and the report owed, a form for each, and the
//! unit's reports with the reviewers' comments), the second table of 审核 (`/review`: the
//! reports waiting), and `/review/progress/{id}` (a report, its task or project, the status now
//! and as it would be after approval, its evidence, approve / return). What the forms send goes
//! to the JSON API (`/api/progress…`) from `static/report.js`; who may do what is the
//! workflow's answer, shown before anyone tries.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use planwatch_access::{Actor, Unit};
use planwatch_app::tasks::{ProjectView, TaskView, project_views, status_on_approval, task_views};
use planwatch_plan::{Frequency, Period, Plan};
use planwatch_store::{
    ProgressFilter, ProgressSubject, ProjectFilter, StoredProgress, TaskFilter, TaskRole,
};
use planwatch_tasks::{Judgement, Light, StatusRules, period_due};
use planwatch_workflow::{Status, Step};
use serde::Serialize;

use crate::account::PageRequest;
use crate::error::ApiError;
use crate::lang::Lang;
use crate::pages::{text, v};
use crate::reporting::{half, period_label, status_label, today, unit_name};
use crate::service::Service;
use crate::submissions::may_see;

/// The pages' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 1] = ["/review/progress/{id}"];

pub(crate) fn router() -> Router<Arc<Service>> {
    crate::routes(PATHS, [get(review_page)])
}

/// A task's or project's status as shown: its code, label and traffic light, and why.
#[derive(Debug, Serialize)]
struct StatusView {
    code: &'static str,
    label: &'static str,
    light: &'static str,
    reason: String,
}

impl StatusView {
    fn of(judgement: &Judgement, lang: Lang) -> StatusView {
        let status = judgement.status;
        StatusView {
            code: status.as_str(),
            label: match lang {
                Lang::Zh => status.label_zh(),
                Lang::En => status.label_en(),
            },
            light: match status.light() {
                Light::Green => "green",
                Light::Grey => "grey",
                Light::Yellow => "yellow",
                Light::Red => "red",
            },
            reason: text(lang, &judgement.reason),
        }
    }
}

/// A choice of reporting period.
#[derive(Debug, Serialize)]
struct PeriodChoice {
    key: String,
    label: String,
    chosen: bool,
}

/// A task node, numbered from 1.
#[derive(Debug, Serialize)]
struct NodeView {
    number: usize,
    due: String,
    expected: String,
}

/// A task or key project of the unit, with its status and the form to report on it.
#[derive(Debug, Serialize)]
struct SubjectView {
    /// task or project
    kind: &'static str,
    id: i64,
    title: String,
    /// A task's deadline (or 持续推进), a project's planned investment of the year.
    detail: String,
    status: StatusView,
    /// The period whose report is missing, when one is.
    owed: Option<String>,
    periods: Vec<PeriodChoice>,
    nodes: Vec<NodeView>,
    /// The unit's open report on it (a draft or returned), which the form edits.
    open: Option<i64>,
}

/// One of the unit's reports.
#[derive(Debug, Serialize)]
struct ReportView {
    id: i64,
    kind: &'static str,
    title: String,
    period: String,
    status: String,
    status_label: String,
    version: u32,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    comments: Vec<CommentView>,
    evidence: usize,
    may_submit: bool,
    may_withdraw: bool,
}

#[derive(Debug, Serialize)]
struct CommentView {
    version: i32,
    action: String,
    author: String,
    comment: String,
}

/// The periods of `year` at the rules' frequency.
fn periods_of(year: u16, frequency: Frequency) -> Vec<Period> {
    match frequency {
        Frequency::Year => vec![Period::Year(year)],
        Frequency::Quarter => (1..=4).map(|q| Period::Quarter(year, q)).collect(),
        Frequency::Month => (1..=12).map(|m| Period::Month(year, m)).collect(),
    }
}

/// The period a report is for by default: the one missing, else the one due by `today` in
/// `year`, else the year's first.
fn default_period(
    year: u16,
    judgement: &Judgement,
    today: NaiveDate,
    rules: &StatusRules,
) -> Option<Period> {
    let first = NaiveDate::from_ymd_opt(i32::from(year), 1, 1)?;
    let last = NaiveDate::from_ymd_opt(i32::from(year), 12, 31)?;
    judgement
        .missing
        .or_else(|| period_due(first, last, today, rules))
        .or_else(|| periods_of(year, rules.frequency).first().copied())
}

fn choices(
    year: u16,
    chosen: Option<Period>,
    rules: &StatusRules,
    lang: Lang,
) -> Vec<PeriodChoice> {
    periods_of(year, rules.frequency)
        .into_iter()
        .map(|p| PeriodChoice {
            key: p.to_string(),
            label: period_label(p, lang),
            chosen: Some(p) == chosen,
        })
        .collect()
}

/// The year the section shows: the current one when the unit has tasks or projects in it,
/// else the latest year before it that has, else the latest.
fn year_shown(years: &[u16], today: NaiveDate) -> Option<u16> {
    let now = u16::try_from(today.year()).ok()?;
    years
        .iter()
        .copied()
        .filter(|y| *y <= now)
        .max()
        .or_else(|| years.iter().copied().max())
}

/// The open (draft or returned) report of `unit` on `subject`, if any.
fn open_report(reports: &[StoredProgress], subject: ProgressSubject) -> Option<i64> {
    reports
        .iter()
        .rev()
        .find(|r| r.subject == subject && matches!(r.status, Status::Draft | Status::Returned))
        .map(|r| r.id)
}

fn task_view(
    view: &TaskView,
    reports: &[StoredProgress],
    today: NaiveDate,
    rules: &StatusRules,
    lang: Lang,
) -> SubjectView {
    let record = &view.task.task;
    let chosen = default_period(view.task.year, &view.judgement, today, rules);
    SubjectView {
        kind: "task",
        id: view.task.id,
        title: record.title.clone(),
        detail: record.deadline.map_or_else(
            || half("持续推进 / ongoing", lang),
            |d| half(&format!("完成时限 {d} / due {d}"), lang),
        ),
        status: StatusView::of(&view.judgement, lang),
        owed: view.judgement.missing.map(|p| period_label(p, lang)),
        periods: choices(view.task.year, chosen, rules, lang),
        nodes: record
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeView {
                number: i + 1,
                due: n.due.to_string(),
                expected: n.expected.clone(),
            })
            .collect(),
        open: open_report(reports, ProgressSubject::Task(view.task.id)),
    }
}

fn project_view(
    view: &ProjectView,
    reports: &[StoredProgress],
    today: NaiveDate,
    rules: &StatusRules,
    lang: Lang,
) -> SubjectView {
    let record = &view.project.project;
    let chosen = default_period(view.project.year, &view.judgement, today, rules);
    SubjectView {
        kind: "project",
        id: view.project.id,
        title: record.name.clone(),
        detail: record.year_investment.map_or_else(String::new, |i| {
            half(
                &format!("年度计划投资 {i} 亿元 / planned this year: {i} bn yuan"),
                lang,
            )
        }),
        status: StatusView::of(&view.judgement, lang),
        owed: view.judgement.missing.map(|p| period_label(p, lang)),
        periods: choices(view.project.year, chosen, rules, lang),
        nodes: Vec::new(),
        open: open_report(reports, ProgressSubject::Project(view.project.id)),
    }
}

fn report_view(
    actor: &Actor,
    report: &StoredProgress,
    comments: Vec<CommentView>,
    evidence: usize,
    lang: Lang,
) -> ReportView {
    ReportView {
        id: report.id,
        kind: match report.subject {
            ProgressSubject::Task(_) => "task",
            ProgressSubject::Project(_) => "project",
        },
        title: report.title.clone(),
        period: period_label(report.period, lang),
        status: report.status.as_str().to_owned(),
        status_label: status_label(report.status, lang),
        version: report.version,
        submitted_at: report.submitted_at.clone(),
        reviewed_by: report.reviewed_by.clone(),
        comments,
        evidence,
        may_submit: report.workflow().apply(actor, Step::Submit).is_ok(),
        may_withdraw: report.workflow().apply(actor, Step::Withdraw).is_ok(),
    }
}

/// The 填报 page's section for `unit`: its tasks and projects of the year shown, with their
/// status and forms, and its reports (newest first).
pub(crate) async fn report_section(
    service: &Service,
    actor: &Actor,
    unit: &Unit,
    lang: Lang,
) -> Result<minijinja::Value, ApiError> {
    let plan = &service.plan;
    let store = service.store();
    let today = today();
    let rules = StatusRules::from_plan(plan);
    let mut reports = store
        .progress_reports(
            plan,
            &ProgressFilter {
                unit: Some(unit.clone()),
                ..ProgressFilter::default()
            },
        )
        .await?;
    reports.retain(|r| may_see(actor, &r.unit, r.status, &r.created_by));
    let all_tasks = task_views(
        store,
        plan,
        &TaskFilter {
            year: None,
            unit: Some(unit.clone()),
        },
        today,
    )
    .await?;
    let all_projects = project_views(
        store,
        plan,
        &ProjectFilter {
            unit: Some(unit.clone()),
            ..ProjectFilter::default()
        },
        today,
    )
    .await?;
    // Tasks it leads or is responsible for: a supporting unit does not report.
    let reports_on =
        |view: &&TaskView| {
            view.task.task.units.iter().any(|(u, role)| {
                u == unit && matches!(role, TaskRole::Lead | TaskRole::Responsible)
            })
        };
    let mut years: Vec<u16> = all_tasks
        .iter()
        .filter(reports_on)
        .map(|t| t.task.year)
        .collect();
    years.extend(all_projects.iter().map(|p| p.project.year));
    let year = year_shown(&years, today);
    let tasks: Vec<SubjectView> = all_tasks
        .iter()
        .filter(reports_on)
        .filter(|t| Some(t.task.year) == year)
        .map(|t| task_view(t, &reports, today, &rules, lang))
        .collect();
    let projects: Vec<SubjectView> = all_projects
        .iter()
        .filter(|p| Some(p.project.year) == year)
        .map(|p| project_view(p, &reports, today, &rules, lang))
        .collect();
    let mut mine = Vec::new();
    for report in reports.iter().rev() {
        let detail = store.progress_detail(plan, report.id).await?;
        let comments = detail
            .comments
            .into_iter()
            .map(|c| CommentView {
                version: c.version,
                action: c.action,
                author: c.author,
                comment: c.comment,
            })
            .collect();
        mine.push(report_view(
            actor,
            report,
            comments,
            detail.evidence.len(),
            lang,
        ));
    }
    Ok(context! {
        year => year,
        tasks => v(&tasks),
        projects => v(&projects),
        reports => v(&mine),
        stages => v(&planwatch_tasks::Stage::ALL.iter().map(|s| (s.code(), match lang {
            Lang::Zh => s.label_zh(),
            Lang::En => s.label_en(),
        })).collect::<Vec<_>>()),
        max_files => planwatch_store::EVIDENCE_MAX_FILES,
    })
}

/// A report waiting for review, on 审核.
#[derive(Debug, Serialize)]
pub(crate) struct WaitingReport {
    id: i64,
    kind: &'static str,
    title: String,
    unit: String,
    period: String,
    version: u32,
    submitted_at: Option<String>,
    submitted_by: String,
}

/// The reports waiting for review that `actor` may see, oldest first.
pub(crate) async fn waiting(
    service: &Service,
    actor: &Actor,
    lang: Lang,
) -> Result<Vec<WaitingReport>, ApiError> {
    let plan = &service.plan;
    let filter = ProgressFilter {
        status: Some(Status::Submitted),
        ..ProgressFilter::default()
    };
    let mut found = service.store().progress_reports(plan, &filter).await?;
    found.retain(|r| may_see(actor, &r.unit, r.status, &r.created_by));
    found.sort_by(|a, b| (&a.submitted_at, a.id).cmp(&(&b.submitted_at, b.id)));
    Ok(found
        .iter()
        .map(|r| WaitingReport {
            id: r.id,
            kind: match r.subject {
                ProgressSubject::Task(_) => "task",
                ProgressSubject::Project(_) => "project",
            },
            title: r.title.clone(),
            unit: unit_name(plan, &r.unit, lang),
            period: period_label(r.period, lang),
            version: r.version,
            submitted_at: r.submitted_at.clone(),
            submitted_by: r.submitted_by.clone(),
        })
        .collect())
}

/// `/review/progress/{id}`: the API's detail of the report, the status of its task or project
/// now and after approval, and the decision.
async fn review_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let plan: &Plan = &service.plan;
    let lang = request.lang();
    let actor = &request.caller.actor;
    // The API's own answer (who may see it, its versions, comments and evidence).
    let answer = crate::progress::show(
        State(service.clone()),
        request.caller.clone(),
        Path(id.clone()),
    )
    .await?;
    let detail = serde_json::to_value(&answer.0).map_err(|_| ApiError::Internal)?;
    let id: i64 = id.parse().map_err(|_| ApiError::Internal)?;
    let report = service.store().progress(plan, id).await?;
    let (now, after) = match status_on_approval(service.store(), plan, &report, today()).await? {
        Some((now, after)) => (
            Some(StatusView::of(&now, lang)),
            Some(StatusView::of(&after, lang)),
        ),
        None => (None, None),
    };
    let refusal = |step| {
        report
            .workflow()
            .apply(actor, step)
            .err()
            .map(|r| half(&r.to_string(), lang))
    };
    let approve_refusal = refusal(Step::Approve);
    let return_refusal = refusal(Step::Return { comment: "-" });
    let (kind, subject) = match report.subject {
        ProgressSubject::Task(id) => ("task", id),
        ProgressSubject::Project(id) => ("project", id),
    };
    let title = match lang {
        Lang::Zh => format!("审核进展报告 {id}"),
        Lang::En => format!("Progress report {id}"),
    };
    Ok(Html(request.render(
        &service,
        "review_progress.html",
        (&title, &title),
        context! {
            id => id,
            kind => kind,
            subject => subject,
            subject_title => v(&report.title),
            unit => unit_name(plan, &report.unit, lang),
            period => period_label(report.period, lang),
            status => report.status.as_str(),
            status_label => status_label(report.status, lang),
            detail => v(&detail),
            now => v(&now),
            after => v(&after),
            waiting => report.status == Status::Submitted,
            approve_refusal => v(&approve_refusal),
            return_refusal => v(&return_refusal),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_shown_is_this_one_or_the_latest_before() {
        let day = |y| NaiveDate::from_ymd_opt(y, 5, 1).unwrap();
        assert_eq!(year_shown(&[2024, 2025], day(2025)), Some(2025));
        assert_eq!(year_shown(&[2024, 2024], day(2026)), Some(2024));
        assert_eq!(year_shown(&[2027], day(2026)), Some(2027));
        assert_eq!(year_shown(&[], day(2026)), None);
    }

    #[test]
    fn a_quarterly_year_has_four_periods() {
        let periods = periods_of(2024, Frequency::Quarter);
        assert_eq!(periods.len(), 4);
        assert_eq!(periods[3], Period::Quarter(2024, 4));
        assert_eq!(periods_of(2024, Frequency::Year), [Period::Year(2024)]);
    }
}
