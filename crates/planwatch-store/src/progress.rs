//! Progress reports on tasks and key projects (issue 14), through the reporting workflow of
//! issue 13: a unit reports on one task (as its lead or responsible unit) or one key project (as
//! its responsible unit) for a reporting period; the report moves as a submission does — which
//! moves are legal is [`Submission::apply`]'s decision, here each move is a conditional update
//! with its audit entry (`progress.*`) and its notices in the same transaction. Every version's
//! content is kept; evidence files are stored in the store (BLOB / BYTEA) with their name, media
//! type, size and SHA-256, within [`EVIDENCE_MAX_BYTES`] and [`EVIDENCE_MAX_FILES`]. The status
//! rules read only approved reports ([`Store::approved_task_reports`],
//! [`Store::approved_project_reports`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use planwatch_access::{Actor, Unit};
use planwatch_plan::{Period, Plan};
use planwatch_tasks::{Progress, ProjectReport, Stage, TaskReport};
use planwatch_workflow::notice::{Subject, of_subject_move};
use planwatch_workflow::{Status, Step, Submission};
use serde_json::json;

use crate::audit::{Event, Who, append_audit, lock_audit, sha256_hex};
use crate::notices::insert_notices;
use crate::{Result, Store, StoreError, SubmissionComment, now, with_db};

/// The largest evidence file a report may carry: 10 MiB.
pub const EVIDENCE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most evidence files one report may carry.
pub const EVIDENCE_MAX_FILES: usize = 5;
/// The longest text (and the longest problems text) of a report, in characters.
pub const PROGRESS_TEXT_MAX_CHARS: usize = 2000;

/// What a progress report is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressSubject {
    /// A stored task, by id.
    Task(i64),
    /// A stored key project, by id.
    Project(i64),
}

impl ProgressSubject {
    /// `task:ID` or `project:ID`.
    pub fn key(self) -> String {
        match self {
            ProgressSubject::Task(id) => format!("task:{id}"),
            ProgressSubject::Project(id) => format!("project:{id}"),
        }
    }
}

/// What a report says of the work: a task's progress and the nodes met, or a project's stage
/// and investment completed (亿元).
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressFigures {
    Task {
        progress: Progress,
        /// Indices of the task's nodes whose result is achieved.
        nodes_met: Vec<usize>,
    },
    Project {
        stage: Stage,
        /// 年度完成投资, 亿元.
        invested_year: f64,
        /// 累计完成投资, 亿元.
        invested_total: f64,
    },
}

/// One version of a report: its figures, a short text and the problems met.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressContent {
    pub figures: ProgressFigures,
    pub text: String,
    pub problems: String,
}

/// A progress report as stored, with its current version's content.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProgress {
    pub id: i64,
    pub subject: ProgressSubject,
    /// The task's title or the project's name.
    pub title: String,
    /// The task's or project's year.
    pub year: u16,
    pub period: Period,
    pub unit: Unit,
    pub status: Status,
    pub version: u32,
    pub created_by: String,
    pub created_at: String,
    /// Who last submitted it (or created it, while a draft).
    pub submitted_by: String,
    pub first_submitted_at: Option<String>,
    pub submitted_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub content: ProgressContent,
}

impl StoredProgress {
    /// The workflow's view of it.
    pub fn workflow(&self) -> Submission {
        Submission {
            unit: self.unit.clone(),
            submitter: self.submitted_by.clone(),
            status: self.status,
            version: self.version,
        }
    }
}

/// An evidence file's description.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceMeta {
    pub id: i64,
    /// The version it was added to.
    pub version: u32,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub added_by: String,
    pub added_at: String,
}

/// An evidence file to add.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// A report with every version, the reviewers' comments and its evidence files.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressDetail {
    pub report: StoredProgress,
    /// Every version's content, oldest first (a returned report's edits as the next version).
    pub versions: Vec<(u32, ProgressContent)>,
    pub comments: Vec<SubmissionComment>,
    pub evidence: Vec<EvidenceMeta>,
}

/// Which reports to list; every one when all are `None`.
#[derive(Debug, Clone, Default)]
pub struct ProgressFilter {
    /// Of tasks or projects of this year.
    pub year: Option<u16>,
    pub unit: Option<Unit>,
    pub status: Option<Status>,
    pub subject: Option<ProgressSubject>,
}

/// An approved report as the sample data (or another trusted load) gives it: the day it was
/// submitted stands for its date.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedProgress {
    pub subject: ProgressSubject,
    pub period: Period,
    pub unit: Unit,
    pub submitted_on: NaiveDate,
    pub content: ProgressContent,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    task_id: Option<i64>,
    project_id: Option<i64>,
    title: String,
    year: i32,
    period: i32,
    unit_kind: String,
    unit_code: String,
    status: String,
    version: i32,
    created_by: String,
    created_at: String,
    submitted_by: String,
    first_submitted_at: Option<String>,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    progress: Option<String>,
    percent: Option<f64>,
    nodes_met: Option<String>,
    stage: Option<String>,
    invested_year: Option<f64>,
    invested_total: Option<f64>,
    text: Option<String>,
    problems: Option<String>,
}

/// An evidence file's row: id, version, name, media type, size, SHA-256, added by and at.
type EvidenceRow = (i64, i32, String, String, i64, String, String, String);

/// The reports of plan `$1` with their current version, title and year.
const SELECT_REPORTS: &str = "SELECT r.id, r.task_id, r.project_id,
       COALESCE(t.title, p.name) AS title, COALESCE(t.year, p.year) AS year, r.period,
       r.unit_kind, r.unit_code, r.status, r.version, r.created_by, r.created_at,
       r.submitted_by, r.first_submitted_at, r.submitted_at, r.reviewed_by, r.reviewed_at,
       v.progress, v.percent, v.nodes_met, v.stage, v.invested_year, v.invested_total, v.text,
       v.problems
     FROM progress_reports r
     LEFT JOIN tasks t ON t.id = r.task_id
     LEFT JOIN projects p ON p.id = r.project_id
     LEFT JOIN progress_versions v ON v.report_id = r.id AND v.version = r.version
     WHERE r.plan_id = $1";

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i32,
    progress: Option<String>,
    percent: Option<f64>,
    nodes_met: Option<String>,
    stage: Option<String>,
    invested_year: Option<f64>,
    invested_total: Option<f64>,
    text: Option<String>,
    problems: Option<String>,
}

/// `(code, percent)` of a task's progress as stored.
fn progress_code(progress: Progress) -> (&'static str, Option<f64>) {
    match progress {
        Progress::Percent(p) => ("percent", Some(p)),
        Progress::NotStarted => ("not_started", None),
        Progress::UnderWay => ("under_way", None),
        Progress::Done => ("done", None),
    }
}

/// The content of a stored version; `None` when its columns do not make one.
#[allow(clippy::too_many_arguments)]
fn content_of(
    progress: Option<&str>,
    percent: Option<f64>,
    nodes_met: Option<&str>,
    stage: Option<&str>,
    invested_year: Option<f64>,
    invested_total: Option<f64>,
    text: Option<String>,
    problems: Option<String>,
) -> Option<ProgressContent> {
    let figures = match (progress, stage) {
        (Some(code), None) => ProgressFigures::Task {
            progress: match code {
                "percent" => Progress::Percent(percent?),
                "not_started" => Progress::NotStarted,
                "under_way" => Progress::UnderWay,
                "done" => Progress::Done,
                _ => return None,
            },
            nodes_met: nodes_met
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().ok())
                .collect::<Option<Vec<usize>>>()?,
        },
        (None, Some(stage)) => ProgressFigures::Project {
            stage: Stage::from_code(stage)?,
            invested_year: invested_year?,
            invested_total: invested_total?,
        },
        _ => return None,
    };
    Some(ProgressContent {
        figures,
        text: text?,
        problems: problems?,
    })
}

impl VersionRow {
    fn content(self, id: i64) -> Result<(u32, ProgressContent)> {
        let content = content_of(
            self.progress.as_deref(),
            self.percent,
            self.nodes_met.as_deref(),
            self.stage.as_deref(),
            self.invested_year,
            self.invested_total,
            self.text,
            self.problems,
        )
        .ok_or_else(|| StoreError::CorruptProgress(id, format!("version {}", self.version)))?;
        Ok((self.version as u32, content))
    }
}

impl ReportRow {
    fn stored(self) -> Result<StoredProgress> {
        let id = self.id;
        let corrupt = |what: String| StoreError::CorruptProgress(id, what);
        let subject = match (self.task_id, self.project_id) {
            (Some(task), None) => ProgressSubject::Task(task),
            (None, Some(project)) => ProgressSubject::Project(project),
            _ => return Err(corrupt("subject".into())),
        };
        let content = content_of(
            self.progress.as_deref(),
            self.percent,
            self.nodes_met.as_deref(),
            self.stage.as_deref(),
            self.invested_year,
            self.invested_total,
            self.text,
            self.problems,
        )
        .ok_or_else(|| corrupt("content".into()))?;
        Ok(StoredProgress {
            id,
            subject,
            title: self.title,
            year: u16::try_from(self.year).map_err(|_| corrupt(self.year.to_string()))?,
            period: Period::from_key(self.period)
                .ok_or_else(|| corrupt(self.period.to_string()))?,
            unit: Unit::from_parts(&self.unit_kind, &self.unit_code)
                .ok_or_else(|| corrupt(self.unit_kind.clone()))?,
            status: self
                .status
                .parse()
                .map_err(|_| corrupt(self.status.clone()))?,
            version: u32::try_from(self.version).map_err(|_| corrupt(self.version.to_string()))?,
            created_by: self.created_by,
            created_at: self.created_at,
            submitted_by: self.submitted_by,
            first_submitted_at: self.first_submitted_at,
            submitted_at: self.submitted_at,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            content,
        })
    }
}

/// The day of a stored time (`YYYY-MM-DD …`).
fn day_of(id: i64, at: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(at.get(..10).unwrap_or(at), "%Y-%m-%d")
        .map_err(|_| StoreError::CorruptProgress(id, at.to_owned()))
}

/// Why a report's content is refused, in Chinese and English.
fn check_content(subject: ProgressSubject, nodes: usize, content: &ProgressContent) -> Result<()> {
    let bad = |zh: String, en: String| Err(StoreError::BadProgress(format!("{zh} / {en}")));
    for (what_zh, what_en, text) in [
        ("进展情况", "the text", &content.text),
        ("存在问题", "the problems", &content.problems),
    ] {
        let chars = text.chars().count();
        if chars > PROGRESS_TEXT_MAX_CHARS {
            return bad(
                format!("{what_zh}超过 {PROGRESS_TEXT_MAX_CHARS} 字（{chars} 字）"),
                format!("{what_en} is longer than {PROGRESS_TEXT_MAX_CHARS} characters ({chars})"),
            );
        }
    }
    match (&content.figures, subject) {
        (
            ProgressFigures::Task {
                progress,
                nodes_met,
            },
            ProgressSubject::Task(_),
        ) => {
            if let Progress::Percent(p) = progress
                && !(0.0..=100.0).contains(p)
            {
                return bad(
                    format!("完成比例 {p} 须在 0 到 100 之间"),
                    format!("the share done {p} must be from 0 to 100"),
                );
            }
            if let Some(node) = nodes_met.iter().find(|n| **n >= nodes) {
                return bad(
                    format!("任务没有第 {} 个节点", node + 1),
                    format!("the task has no node {}", node + 1),
                );
            }
            Ok(())
        }
        (
            ProgressFigures::Project {
                invested_year,
                invested_total,
                ..
            },
            ProgressSubject::Project(_),
        ) => {
            let fine = |v: f64| v.is_finite() && v >= 0.0;
            if !(fine(*invested_year) && fine(*invested_total)) {
                return bad(
                    "完成投资不能为负".into(),
                    "investment completed cannot be negative".into(),
                );
            }
            if invested_year > invested_total {
                return bad(
                    format!(
                        "年度完成投资 {invested_year} 亿元超过累计完成投资 {invested_total} 亿元"
                    ),
                    format!(
                        "the year's investment {invested_year} exceeds the cumulative {invested_total} (亿元)"
                    ),
                );
            }
            Ok(())
        }
        (ProgressFigures::Task { .. }, ProgressSubject::Project(_)) => bad(
            "项目进展须填报阶段和完成投资".into(),
            "a project's progress is its stage and investment completed".into(),
        ),
        (ProgressFigures::Project { .. }, ProgressSubject::Task(_)) => bad(
            "任务进展须填报完成比例或阶段".into(),
            "a task's progress is a share done or a stage".into(),
        ),
    }
}

/// The audit entry of a report's move or change.
fn event(
    action: &str,
    plan: &Plan,
    report: &StoredProgress,
    version: u32,
    details: serde_json::Value,
) -> Event {
    let mut all = json!({
        "plan": plan.id,
        "subject": report.subject.key(),
        "period": report.period.to_string(),
        "unit": report.unit.to_string(),
        "version": version,
    });
    if let (Some(all), Some(more)) = (all.as_object_mut(), details.as_object()) {
        all.extend(more.clone());
    }
    Event::new(action, format!("progress:{}", report.id), all)
}

/// Writes version `$version` of report `$id` with `$content` (replacing one of that version).
macro_rules! write_version {
    ($tx:expr, $id:expr, $version:expr, $content:expr) => {{
        let content: &ProgressContent = $content;
        sqlx::query("DELETE FROM progress_versions WHERE report_id = $1 AND version = $2")
            .bind($id)
            .bind($version as i32)
            .execute(&mut *$tx)
            .await?;
        let (progress, percent, nodes_met, stage, invested_year, invested_total) =
            match &content.figures {
                ProgressFigures::Task {
                    progress,
                    nodes_met,
                } => {
                    let (code, percent) = progress_code(*progress);
                    let nodes: Vec<String> = nodes_met.iter().map(ToString::to_string).collect();
                    (Some(code), percent, nodes.join(","), None, None, None)
                }
                ProgressFigures::Project {
                    stage,
                    invested_year,
                    invested_total,
                } => (
                    None,
                    None,
                    String::new(),
                    Some(stage.code()),
                    Some(*invested_year),
                    Some(*invested_total),
                ),
            };
        sqlx::query(
            "INSERT INTO progress_versions (report_id, version, progress, percent, nodes_met, stage,
               invested_year, invested_total, text, problems)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($id)
        .bind($version as i32)
        .bind(progress)
        .bind(percent)
        .bind(nodes_met)
        .bind(stage)
        .bind(invested_year)
        .bind(invested_total)
        .bind(&content.text)
        .bind(&content.problems)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// In a move's transaction: the update `$set` of report `$before`, only while it is at the
/// version and in the state the move was decided on; otherwise refused as changed meanwhile.
macro_rules! update_as_decided {
    ($tx:expr, $set:literal, $before:expr $(, $bind:expr)*) => {{
        let updated = sqlx::query(concat!(
            "UPDATE progress_reports ",
            $set,
            " WHERE id = $1 AND version = $2 AND status = $3"
        ))
        .bind($before.id)
        .bind($before.version as i32)
        .bind($before.status.as_str())
        $(.bind($bind))*
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::ProgressChanged($before.id));
        }
    }};
}

/// The notice of report `$id` on `$title` of `$unit` moving from `$before` to `$after`, written
/// in the move's transaction.
macro_rules! notify {
    ($tx:expr, $plan:expr, ($id:expr, $title:expr, $unit:expr, $before:expr), $after:expr, $version:expr, $comment:expr) => {{
        let subject = Subject::Progress {
            id: $id,
            title: $title,
        };
        if let Some(notice) =
            &of_subject_move($plan, subject, $unit, $before, $after, $version, $comment)
        {
            insert_notices!(progress, $tx, $plan, $id, $unit, notice);
        }
    }};
    ($tx:expr, $plan:expr, $report:expr, $after:expr, $version:expr, $comment:expr) => {
        notify!(
            $tx,
            $plan,
            ($report.id, &$report.title, &$report.unit, $report.status),
            $after,
            $version,
            $comment
        )
    };
}

impl Store {
    /// The title, year, number of nodes and the units that may report on `subject` in `plan`
    /// (a task's lead and responsible units, a project's responsible units).
    async fn progress_subject(
        &self,
        plan: &Plan,
        subject: ProgressSubject,
    ) -> Result<(String, u16, usize, Vec<Unit>)> {
        let (head, units, nodes) = with_db!(&self.db, |pool| {
            match subject {
                ProgressSubject::Task(id) => {
                    let head: Option<(String, i32)> = sqlx::query_as(
                        "SELECT title, year FROM tasks WHERE id = $1 AND plan_id = $2",
                    )
                    .bind(id)
                    .bind(&plan.id)
                    .fetch_optional(pool)
                    .await?;
                    let units: Vec<(String, String)> = sqlx::query_as(
                        "SELECT unit_kind, unit_code FROM task_units
                         WHERE task_id = $1 AND role IN ('lead', 'responsible') ORDER BY position",
                    )
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
                    let nodes: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM task_nodes WHERE task_id = $1")
                            .bind(id)
                            .fetch_one(pool)
                            .await?;
                    (head, units, nodes)
                }
                ProgressSubject::Project(id) => {
                    let head: Option<(String, i32)> = sqlx::query_as(
                        "SELECT name, year FROM projects WHERE id = $1 AND plan_id = $2",
                    )
                    .bind(id)
                    .bind(&plan.id)
                    .fetch_optional(pool)
                    .await?;
                    let units: Vec<(String, String)> = sqlx::query_as(
                        "SELECT unit_kind, unit_code FROM project_units
                         WHERE project_id = $1 ORDER BY position",
                    )
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
                    (head, units, 0)
                }
            }
        });
        let (title, year) = head.ok_or(StoreError::UnknownProgressSubject(subject.key()))?;
        let units = units
            .iter()
            .filter_map(|(kind, code)| Unit::from_parts(kind, code))
            .collect();
        Ok((title, year as u16, nodes as usize, units))
    }

    /// Checks that `unit` may report on `subject` for `period` with `content`: the subject's
    /// unit, a period of its year, content that fits. The subject's title.
    async fn check_report(
        &self,
        plan: &Plan,
        subject: ProgressSubject,
        period: Period,
        unit: &Unit,
        content: &ProgressContent,
    ) -> Result<String> {
        let (title, year, nodes, units) = self.progress_subject(plan, subject).await?;
        if !units.contains(unit) {
            let (name, _) = planwatch_workflow::notice::unit_name(plan, unit);
            return Err(StoreError::NotSubjectUnit {
                unit: name,
                subject: title,
            });
        }
        if period.year() != year {
            return Err(StoreError::BadProgress(format!(
                "报送期 {} 不在“{title}”的年度 {year} 内 / the period {period} is not in {year}, the year of \"{title}\"",
                period.display_zh()
            )));
        }
        check_content(subject, nodes, content)?;
        Ok(title)
    }

    /// Stores a new progress report of `unit` on `subject` for `period`, by `actor`: a draft, or
    /// submitted at once. Refused when `unit` does not report on the subject (not its lead or
    /// responsible unit, not the project's unit), when `actor` does not report for `unit`, and
    /// when the content does not fit. Audited as `progress.create`. Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        subject: ProgressSubject,
        period: Period,
        unit: Unit,
        content: &ProgressContent,
        draft: bool,
    ) -> Result<i64> {
        let submission = Submission::new(actor, unit, draft)?;
        let title = self
            .check_report(plan, subject, period, &submission.unit, content)
            .await?;
        let who = Who::of(actor, client);
        let at = now();
        let submitted_at = (!draft).then_some(at.as_str());
        let (task, project) = match subject {
            ProgressSubject::Task(id) => (Some(id), None),
            ProgressSubject::Project(id) => (None, Some(id)),
        };
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO progress_reports (plan_id, task_id, project_id, period, unit_kind,
                   unit_code, status, version, created_by, created_at, submitted_by,
                   first_submitted_at, submitted_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8, $10, $10) RETURNING id",
            )
            .bind(&plan.id)
            .bind(task)
            .bind(project)
            .bind(period.key())
            .bind(submission.unit.kind())
            .bind(submission.unit.code())
            .bind(submission.status.as_str())
            .bind(&who.actor)
            .bind(&at)
            .bind(submitted_at)
            .fetch_one(&mut *tx)
            .await?;
            write_version!(tx, id, 1u32, content);
            let event = Event::new(
                "progress.create",
                format!("progress:{id}"),
                json!({
                    "plan": plan.id,
                    "subject": subject.key(),
                    "period": period.to_string(),
                    "unit": submission.unit.to_string(),
                    "status": submission.status.as_str(),
                }),
            );
            append_audit!(tx, &who, &event);
            notify!(
                tx,
                plan,
                (id, &title, &submission.unit, Status::Draft),
                submission.status,
                1,
                None
            );
            tx.commit().await?;
            id
        }))
    }

    /// The progress report `id` of `plan`.
    pub async fn progress(&self, plan: &Plan, id: i64) -> Result<StoredProgress> {
        let row: Option<ReportRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT_REPORTS} AND r.id = $2"
            )))
            .bind(&plan.id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::UnknownProgress(id))?.stored()
    }

    /// The progress reports of `plan` that pass `filter`, oldest first.
    pub async fn progress_reports(
        &self,
        plan: &Plan,
        filter: &ProgressFilter,
    ) -> Result<Vec<StoredProgress>> {
        let (task, project) = match filter.subject {
            Some(ProgressSubject::Task(id)) => (Some(id), None),
            Some(ProgressSubject::Project(id)) => (None, Some(id)),
            None => (None, None),
        };
        let rows: Vec<ReportRow> = with_db!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT_REPORTS}
                   AND ($2 IS NULL OR r.status = $2)
                   AND ($3 IS NULL OR (r.unit_kind = $3 AND r.unit_code = $4))
                   AND ($5 IS NULL OR r.task_id = $5)
                   AND ($6 IS NULL OR r.project_id = $6)
                 ORDER BY r.id"
            )))
            .bind(&plan.id)
            .bind(filter.status.map(Status::as_str))
            .bind(filter.unit.as_ref().map(Unit::kind))
            .bind(filter.unit.as_ref().map(Unit::code))
            .bind(task)
            .bind(project)
            .fetch_all(pool)
            .await?
        });
        let mut reports = Vec::with_capacity(rows.len());
        for row in rows {
            let report = row.stored()?;
            if filter.year.is_none_or(|year| year == report.year) {
                reports.push(report);
            }
        }
        Ok(reports)
    }

    /// Report `id` with every version, the reviewers' comments and its evidence files.
    pub async fn progress_detail(&self, plan: &Plan, id: i64) -> Result<ProgressDetail> {
        let report = self.progress(plan, id).await?;
        let (versions, comments, evidence) = with_db!(&self.db, |pool| {
            let versions: Vec<VersionRow> = sqlx::query_as(
                "SELECT version, progress, percent, nodes_met, stage, invested_year,
                   invested_total, text, problems
                 FROM progress_versions WHERE report_id = $1 ORDER BY version",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let comments: Vec<SubmissionComment> = sqlx::query_as(
                "SELECT version, action, author, at, comment FROM progress_comments
                 WHERE report_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let evidence: Vec<EvidenceRow> = sqlx::query_as(
                "SELECT id, version, name, media_type, size, sha256, added_by, added_at
                     FROM progress_evidence WHERE report_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (versions, comments, evidence)
        });
        Ok(ProgressDetail {
            report,
            versions: versions
                .into_iter()
                .map(|v| v.content(id))
                .collect::<Result<_>>()?,
            comments,
            evidence: evidence
                .into_iter()
                .map(
                    |(id, version, name, media_type, size, sha256, added_by, added_at)| {
                        EvidenceMeta {
                            id,
                            version: version as u32,
                            name,
                            media_type,
                            size: size as u64,
                            sha256,
                            added_by,
                            added_at,
                        }
                    },
                )
                .collect(),
        })
    }

    /// The evidence file `evidence` of report `id`: its description and bytes.
    pub async fn progress_evidence(
        &self,
        plan: &Plan,
        id: i64,
        evidence: i64,
    ) -> Result<(EvidenceMeta, Vec<u8>)> {
        let detail = self.progress_detail(plan, id).await?;
        let meta = detail
            .evidence
            .into_iter()
            .find(|e| e.id == evidence)
            .ok_or(StoreError::UnknownEvidence(evidence))?;
        let bytes: Vec<u8> = with_db!(&self.db, |pool| {
            sqlx::query_scalar("SELECT content FROM progress_evidence WHERE id = $1")
                .bind(evidence)
                .fetch_one(pool)
                .await?
        });
        Ok((meta, bytes))
    }

    /// Report `id` as stored, and as it would be once `actor` did `step`.
    async fn decide_progress(
        &self,
        actor: &Actor,
        plan: &Plan,
        id: i64,
        step: Step<'_>,
    ) -> Result<(StoredProgress, Submission)> {
        let before = self.progress(plan, id).await?;
        let mut after = before.workflow();
        after.apply(actor, step)?;
        Ok((before, after))
    }

    /// `actor` (the unit) edits report `id`: `content` replaces a draft's, or becomes a
    /// returned report's next version (sent when it is submitted). Audited as `progress.edit`.
    /// Returns the version written.
    pub async fn edit_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        content: &ProgressContent,
    ) -> Result<u32> {
        let before = self.progress(plan, id).await?;
        let version = before.workflow().may_edit(actor)?;
        self.check_report(plan, before.subject, before.period, &before.unit, content)
            .await?;
        let who = Who::of(actor, client);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(tx, "SET version = version", before);
            write_version!(tx, id, version, content);
            let event = event("progress.edit", plan, &before, version, json!({}));
            append_audit!(tx, &who, &event);
            tx.commit().await?;
        });
        Ok(version)
    }

    /// `actor` (the unit) submits report `id`: a draft as it stands, or a returned one as the
    /// next version (its edits, or else the returned content again). Audited as
    /// `progress.submit`; the planners are told. Returns the version submitted.
    pub async fn submit_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
    ) -> Result<u32> {
        let (before, after) = self.decide_progress(actor, plan, id, Step::Submit).await?;
        let who = Who::of(actor, client);
        let at = now();
        let version = after.version;
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(
                tx,
                "SET status = 'submitted', version = $4, submitted_by = $5, submitted_at = $6,
                   first_submitted_at = COALESCE(first_submitted_at, $6)",
                before,
                version as i32,
                &who.actor,
                &at
            );
            if version != before.version {
                sqlx::query(
                    "INSERT INTO progress_versions (report_id, version, progress, percent,
                       nodes_met, stage, invested_year, invested_total, text, problems)
                     SELECT report_id, $2, progress, percent, nodes_met, stage, invested_year,
                       invested_total, text, problems
                     FROM progress_versions WHERE report_id = $1 AND version = $3
                       AND NOT EXISTS (SELECT 1 FROM progress_versions e
                                       WHERE e.report_id = $1 AND e.version = $2)",
                )
                .bind(id)
                .bind(version as i32)
                .bind(before.version as i32)
                .execute(&mut *tx)
                .await?;
            }
            let event = event(
                "progress.submit",
                plan,
                &before,
                version,
                json!({"before": before.status.as_str(), "after": "submitted"}),
            );
            append_audit!(tx, &who, &event);
            notify!(tx, plan, before, Status::Submitted, version, None);
            tx.commit().await?;
        });
        Ok(version)
    }

    /// `actor` (the unit) withdraws report `id` (a draft, or one waiting for review); audited
    /// as `progress.withdraw`.
    pub async fn withdraw_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
    ) -> Result<()> {
        let (before, _) = self
            .decide_progress(actor, plan, id, Step::Withdraw)
            .await?;
        let who = Who::of(actor, client);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(tx, "SET status = 'withdrawn'", before);
            let event = event(
                "progress.withdraw",
                plan,
                &before,
                before.version,
                json!({"before": before.status.as_str(), "after": "withdrawn"}),
            );
            append_audit!(tx, &who, &event);
            notify!(tx, plan, before, Status::Withdrawn, before.version, None);
            tx.commit().await?;
        });
        Ok(())
    }

    /// `actor` (a planner other than the submitter) approves report `id`, with an optional
    /// comment; audited as `progress.approve`; the unit's reporters are told. From then on the
    /// status rules count it.
    pub async fn approve_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        comment: Option<&str>,
    ) -> Result<()> {
        self.review_progress(actor, client, plan, id, Step::Approve, comment)
            .await
    }

    /// `actor` (a planner) returns report `id` to its unit with `comment`; audited as
    /// `progress.return`; the unit's reporters are told.
    pub async fn return_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        comment: &str,
    ) -> Result<()> {
        self.review_progress(
            actor,
            client,
            plan,
            id,
            Step::Return { comment },
            Some(comment),
        )
        .await
    }

    async fn review_progress(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        step: Step<'_>,
        comment: Option<&str>,
    ) -> Result<()> {
        let (before, after) = self.decide_progress(actor, plan, id, step).await?;
        let (action, code) = match after.status {
            Status::Approved => ("approve", "approved"),
            _ => ("return", "returned"),
        };
        let who = Who::of(actor, client);
        let at = now();
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(
                tx,
                "SET status = $4, reviewed_by = $5, reviewed_at = $6",
                before,
                code,
                &who.actor,
                &at
            );
            if let Some(comment) = comment {
                sqlx::query(
                    "INSERT INTO progress_comments (report_id, version, action, author, at, comment)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(before.version as i32)
                .bind(action)
                .bind(&who.actor)
                .bind(&at)
                .bind(comment)
                .execute(&mut *tx)
                .await?;
            }
            let event = event(
                &format!("progress.{action}"),
                plan,
                &before,
                before.version,
                json!({"before": "submitted", "after": code, "comment": comment}),
            );
            append_audit!(tx, &who, &event);
            notify!(tx, plan, before, after.status, before.version, comment);
            tx.commit().await?;
        });
        Ok(())
    }

    /// `actor` (the unit, while the report is a draft or returned) adds an evidence file to
    /// report `id`: refused over [`EVIDENCE_MAX_BYTES`], empty, or beyond
    /// [`EVIDENCE_MAX_FILES`]. Audited as `progress.evidence`. Returns its id.
    pub async fn add_progress_evidence(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        evidence: &Evidence,
    ) -> Result<i64> {
        let before = self.progress(plan, id).await?;
        let version = before.workflow().may_edit(actor)?;
        let size = evidence.bytes.len();
        if size > EVIDENCE_MAX_BYTES || size == 0 {
            return Err(StoreError::EvidenceSize {
                name: evidence.name.clone(),
                size,
            });
        }
        let name = evidence.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::BadProgress(
                "证明材料须有文件名（不超过 200 字）/ an evidence file needs a name (at most 200 characters)".into(),
            ));
        }
        let sha = sha256_hex(&evidence.bytes);
        let who = Who::of(actor, client);
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(tx, "SET version = version", before);
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM progress_evidence WHERE report_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if count as usize >= EVIDENCE_MAX_FILES {
                return Err(StoreError::TooManyEvidence(EVIDENCE_MAX_FILES));
            }
            let evidence_id: i64 = sqlx::query_scalar(
                "INSERT INTO progress_evidence (report_id, version, name, media_type, size, sha256,
                   content, added_by, added_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(id)
            .bind(version as i32)
            .bind(name)
            .bind(&evidence.media_type)
            .bind(size as i64)
            .bind(&sha)
            .bind(&evidence.bytes)
            .bind(&who.actor)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let event = event(
                "progress.evidence",
                plan,
                &before,
                version,
                json!({"added": {"id": evidence_id, "name": name, "media_type": evidence.media_type,
                        "size": size, "sha256": sha}}),
            );
            append_audit!(tx, &who, &event);
            tx.commit().await?;
            evidence_id
        }))
    }

    /// `actor` (the unit, while the report is a draft or returned) removes evidence file
    /// `evidence` of report `id`. Audited as `progress.evidence`.
    pub async fn remove_progress_evidence(
        &self,
        actor: &Actor,
        client: Option<String>,
        plan: &Plan,
        id: i64,
        evidence: i64,
    ) -> Result<()> {
        let before = self.progress(plan, id).await?;
        let version = before.workflow().may_edit(actor)?;
        let who = Who::of(actor, client);
        with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            update_as_decided!(tx, "SET version = version", before);
            let removed: Option<(String, String)> = sqlx::query_as(
                "DELETE FROM progress_evidence WHERE id = $1 AND report_id = $2
                 RETURNING name, sha256",
            )
            .bind(evidence)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((name, sha)) = removed else {
                return Err(StoreError::UnknownEvidence(evidence));
            };
            let event = event(
                "progress.evidence",
                plan,
                &before,
                version,
                json!({"removed": {"id": evidence, "name": name, "sha256": sha}}),
            );
            append_audit!(tx, &who, &event);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores `reports` as approved progress reports (a trusted load: the sample data), in one
    /// transaction, audited once as `progress.import` (object `progress:PLAN`) with the file
    /// and the count. Each subject and unit is checked as for [`Store::create_progress`].
    pub async fn load_progress(
        &self,
        who: &Who,
        plan: &Plan,
        reports: &[LoadedProgress],
        file: &str,
    ) -> Result<usize> {
        for report in reports {
            self.check_report(
                plan,
                report.subject,
                report.period,
                &report.unit,
                &report.content,
            )
            .await?;
        }
        Ok(with_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            lock_audit!(tx);
            for report in reports {
                let (task, project) = match report.subject {
                    ProgressSubject::Task(id) => (Some(id), None),
                    ProgressSubject::Project(id) => (None, Some(id)),
                };
                let at = format!("{} 12:00:00", report.submitted_on);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO progress_reports (plan_id, task_id, project_id, period, unit_kind,
                       unit_code, status, version, created_by, created_at, submitted_by,
                       first_submitted_at, submitted_at, reviewed_by, reviewed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'approved', 1, $7, $8, $7, $8, $8, $7, $8)
                     RETURNING id",
                )
                .bind(&plan.id)
                .bind(task)
                .bind(project)
                .bind(report.period.key())
                .bind(report.unit.kind())
                .bind(report.unit.code())
                .bind(&who.actor)
                .bind(&at)
                .fetch_one(&mut *tx)
                .await?;
                write_version!(tx, id, 1u32, &report.content);
            }
            let event = Event::new(
                "progress.import",
                format!("progress:{}", plan.id),
                json!({"plan": plan.id, "file": file, "reports": reports.len()}),
            );
            append_audit!(tx, who, &event);
            tx.commit().await?;
            reports.len()
        }))
    }

    /// The approved reports on the tasks of `plan` in `year`, by task id; each dated the day it
    /// was (last) submitted.
    pub async fn approved_task_reports(
        &self,
        plan: &Plan,
        year: u16,
    ) -> Result<HashMap<i64, Vec<TaskReport>>> {
        self.approved(plan, year, |report, date| {
            match (report.subject, &report.content.figures) {
                (
                    ProgressSubject::Task(task),
                    ProgressFigures::Task {
                        progress,
                        nodes_met,
                    },
                ) => Some((
                    task,
                    TaskReport {
                        period: report.period,
                        date,
                        progress: *progress,
                        text: report.content.text.clone(),
                        nodes_met: nodes_met.clone(),
                    },
                )),
                _ => None,
            }
        })
        .await
    }

    /// The approved reports on the key projects of `plan` in `year`, by project id; each dated
    /// the day it was (last) submitted.
    pub async fn approved_project_reports(
        &self,
        plan: &Plan,
        year: u16,
    ) -> Result<HashMap<i64, Vec<ProjectReport>>> {
        self.approved(plan, year, |report, date| {
            match (report.subject, &report.content.figures) {
                (
                    ProgressSubject::Project(project),
                    ProgressFigures::Project {
                        stage,
                        invested_year,
                        invested_total,
                    },
                ) => Some((
                    project,
                    ProjectReport {
                        period: report.period,
                        date,
                        invested_year: *invested_year,
                        invested_total: *invested_total,
                        stage: *stage,
                        text: report.content.text.clone(),
                    },
                )),
                _ => None,
            }
        })
        .await
    }

    /// The approved reports of `year`, each that `keep` turns (with the day it counts from)
    /// into a subject's id and the rules' report, by that id.
    async fn approved<R>(
        &self,
        plan: &Plan,
        year: u16,
        keep: impl Fn(&StoredProgress, NaiveDate) -> Option<(i64, R)>,
    ) -> Result<HashMap<i64, Vec<R>>> {
        let filter = ProgressFilter {
            year: Some(year),
            status: Some(Status::Approved),
            ..ProgressFilter::default()
        };
        let mut map: HashMap<i64, Vec<R>> = HashMap::new();
        for report in self.progress_reports(plan, &filter).await? {
            if let Some((id, kept)) = keep(&report, approved_day(&report)?) {
                map.entry(id).or_default().push(kept);
            }
        }
        Ok(map)
    }
}

/// The day an approved report counts from: the day it was (last) submitted.
fn approved_day(report: &StoredProgress) -> Result<NaiveDate> {
    let at = report
        .submitted_at
        .as_deref()
        .ok_or_else(|| StoreError::CorruptProgress(report.id, "submitted_at".into()))?;
    day_of(report.id, at)
}
