//! Progress reports on tasks and key projects, as JSON (`/api/progress…`, issue 14): a unit
//! reports on a task (as its lead or responsible unit) or a key project for a period — a share
//! done or a word (未启动, 推进中, 已完成) and the nodes met, or a project's stage and investment
//! completed; a short text, the problems met and evidence files — through the reporting
//! workflow of the figures: the same moves (`planwatch-workflow`), the same rules of who may
//! see what (a reporter its units' reports, a draft only its unit) and the same policy
//! questions (`Object::Submissions`). The store checks the unit, the content and the evidence
//! limits ([`planwatch_store::EVIDENCE_MAX_BYTES`], [`planwatch_store::EVIDENCE_MAX_FILES`]);
//! the routes take the submissions' larger body limit (`--max-submission-kib`).

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use planwatch_access::Actor;
use planwatch_plan::Period;
use planwatch_store::{
    EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES, Evidence, EvidenceMeta, ProgressContent,
    ProgressFigures, ProgressFilter, ProgressSubject, StoreError, StoredProgress,
};
use planwatch_tasks::{Progress, Stage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_year, present};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::service::Service;
use crate::submissions::{
    ApproveBody, CommentOut, ReturnBody, approve_comment, file_name, flag, is_multipart, may_see,
    parse_id, parse_status, parse_unit, refused, return_comment, unit_of, unreadable,
};

type AppState = State<Arc<Service>>;

/// How far a task has come: a share done (0–100), or `not_started`, `under_way`, `done`
/// (未启动, 推进中, 已完成 are read too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum ProgressValue {
    Percent(f64),
    Word(String),
}

impl ProgressValue {
    fn of(progress: Progress) -> ProgressValue {
        match progress {
            Progress::Percent(p) => ProgressValue::Percent(p),
            Progress::NotStarted => ProgressValue::Word("not_started".into()),
            Progress::UnderWay => ProgressValue::Word("under_way".into()),
            Progress::Done => ProgressValue::Word("done".into()),
        }
    }

    /// A share (a number, `45` or `45%`) or one of the words, as a form sends it; `None` when
    /// blank.
    fn read(text: &str) -> Option<ProgressValue> {
        let text = text.trim();
        match Progress::parse(text) {
            Some(Progress::Percent(p)) => Some(ProgressValue::Percent(p)),
            _ => (!text.is_empty()).then(|| ProgressValue::Word(text.to_owned())),
        }
    }

    fn progress(&self) -> Result<Progress, ApiError> {
        let text = match self {
            ProgressValue::Percent(p) => p.to_string(),
            ProgressValue::Word(word) => word.clone(),
        };
        match Progress::parse(&text) {
            Some(Progress::Percent(p)) if !(0.0..=100.0).contains(&p) => {
                Err(ApiError::unprocessable(
                    "progress",
                    &format!(
                        "完成比例 {p} 须在 0 到 100 之间 / the share done {p} must be from 0 to 100"
                    ),
                ))
            }
            Some(progress) => Ok(progress),
            None => Err(ApiError::unprocessable(
                "progress",
                &format!(
                    "“{text}”不是进度：填 0 到 100 的百分比，或 未启动、推进中、已完成 / \"{text}\" is not a progress: a share from 0 to 100, or not_started, under_way, done"
                ),
            )),
        }
    }
}

/// What a report says: for a task `progress` (required) and `nodes_met`; for a key project
/// `stage` (required), `invested_year` and `invested_total` (亿元); for both a short `text` and
/// the `problems` met (at most 2 000 characters each).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct ContentIn {
    progress: Option<ProgressValue>,
    /// The task's nodes whose result is achieved, by number (from 1, in the task's order)
    #[serde(default)]
    #[schema(value_type = Vec<u64>)]
    nodes_met: Vec<f64>,
    /// preparation, construction, completed, operating (前期, 在建, 竣工, 投运)
    stage: Option<String>,
    /// 年度完成投资, 亿元
    invested_year: Option<f64>,
    /// 累计完成投资, 亿元
    invested_total: Option<f64>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    problems: String,
}

impl ContentIn {
    /// The content for `subject`, or the first field at fault (422).
    fn content(self, subject: ProgressSubject) -> Result<ProgressContent, ApiError> {
        let figures = match subject {
            ProgressSubject::Task(_) => {
                let progress = self
                    .progress
                    .ok_or_else(|| {
                        ApiError::unprocessable(
                            "progress",
                            "请填写进度（百分比，或 未启动、推进中、已完成） / give the progress (a share, or not_started, under_way, done)",
                        )
                    })?
                    .progress()?;
                let nodes_met = self
                    .nodes_met
                    .iter()
                    .map(|n| {
                        // A whole number from 1 (JSON may write it 2.0); no task has more
                        // nodes than fit.
                        (n.fract() == 0.0 && (1.0..=1e9).contains(n))
                            .then(|| *n as usize - 1)
                            .ok_or_else(|| {
                                ApiError::unprocessable(
                                    "nodes_met",
                                    &format!("节点从 1 起编号，而不是 {n} / nodes are numbered from 1, not {n}"),
                                )
                            })
                    })
                    .collect::<Result<Vec<usize>, ApiError>>()?;
                ProgressFigures::Task {
                    progress,
                    nodes_met,
                }
            }
            ProgressSubject::Project(_) => {
                let text = self.stage.unwrap_or_default();
                let stage = Stage::from_code(text.trim())
                    .or_else(|| Stage::parse(&text))
                    .ok_or_else(|| {
                        ApiError::unprocessable(
                            "stage",
                            &format!(
                                "“{text}”不是项目阶段（前期、在建、竣工、投运） / \"{text}\" is not a stage (preparation, construction, completed, operating)"
                            ),
                        )
                    })?;
                ProgressFigures::Project {
                    stage,
                    invested_year: self.invested_year.unwrap_or(0.0),
                    invested_total: self.invested_total.unwrap_or(0.0),
                }
            }
        };
        Ok(ProgressContent {
            figures,
            text: self.text,
            problems: self.problems,
        })
    }
}

/// A new progress report: on a task or a key project (one of `task`, `project`), for a
/// period of its year, submitted at once unless `draft`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewProgress {
    /// The task's id
    #[schema(value_type = Option<i64>)]
    task: Option<f64>,
    /// The key project's id
    #[schema(value_type = Option<i64>)]
    project: Option<f64>,
    /// The reporting period: 2024Q3, 2024-06 or 2024
    period: String,
    /// The unit: a region or department code (optional when the caller reports for exactly
    /// one unit)
    unit: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(flatten)]
    content: ContentIn,
}

/// The same as a form (`multipart/form-data`): the fields of [`NewProgress`] as parts
/// (`nodes_met` repeated or comma-separated) and any number of `evidence` files (at most 5,
/// 10 MiB each).
#[allow(dead_code)] // Only its description is used: the form is read part by part.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)] // No other parts: the description says so.
pub(crate) struct ProgressUpload {
    #[schema(required = false)]
    task: i64,
    #[schema(required = false)]
    project: i64,
    period: String,
    #[schema(required = false)]
    unit: String,
    /// true or false (default false: submitted at once)
    #[schema(required = false)]
    draft: bool,
    /// 0–100, or not_started, under_way, done
    #[schema(required = false)]
    progress: String,
    /// Node numbers from 1, comma-separated or one part each
    #[schema(required = false)]
    nodes_met: String,
    #[schema(required = false)]
    stage: String,
    #[schema(required = false)]
    invested_year: f64,
    #[schema(required = false)]
    invested_total: f64,
    #[schema(required = false)]
    text: String,
    #[schema(required = false)]
    problems: String,
    /// Evidence files, each with its name
    #[schema(value_type = Vec<String>, format = Binary, required = false)]
    evidence: Vec<Vec<u8>>,
}

/// Evidence files to add to a report (`multipart/form-data`): one `evidence` part per file.
#[allow(dead_code)] // Only its description is used.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceUpload {
    #[schema(value_type = Vec<String>, format = Binary)]
    evidence: Vec<Vec<u8>>,
}

/// A report as sent (JSON or a form) and its evidence files.
pub(crate) struct Sent {
    new: NewProgress,
    evidence: Vec<Evidence>,
}

impl<S: Send + Sync> FromRequest<S> for Sent {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Sent, Response> {
        if is_multipart(request.headers()) {
            let form = Multipart::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return read_form(form).await.map_err(IntoResponse::into_response);
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let new: NewProgress = serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!(
                "{{\"task\" | \"project\", \"period\", \"unit\", \"draft\", \"progress\", \"nodes_met\", \"stage\", \"invested_year\", \"invested_total\", \"text\", \"problems\"}}: {e}"
            ))
            .into_response()
        })?;
        Ok(Sent {
            new,
            evidence: Vec::new(),
        })
    }
}

/// An evidence part: its name, media type and bytes.
async fn evidence_part(field: axum::extract::multipart::Field<'_>) -> Result<Evidence, ApiError> {
    let name = file_name(&field).ok_or_else(|| {
        ApiError::bad(
            "evidence",
            "应为带文件名的文件",
            "must be a file, sent with its name",
        )
    })?;
    let media_type = field
        .content_type()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
    Ok(Evidence {
        name,
        media_type,
        bytes,
    })
}

/// A number part (422 when it is not one: a form's field at fault).
fn number<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<Option<T>, ApiError> {
    present(Some(text))
        .map(|t| {
            t.trim().parse::<T>().map_err(|_| {
                ApiError::unprocessable(
                    field,
                    &format!("应为数字，而不是“{t}” / must be a number, not \"{t}\""),
                )
            })
        })
        .transpose()
}

/// A form's parts (see [`ProgressUpload`]).
async fn read_form(mut form: Multipart) -> Result<Sent, ApiError> {
    let mut new = NewProgress {
        task: None,
        project: None,
        period: String::new(),
        unit: None,
        draft: false,
        content: ContentIn::default(),
    };
    let mut evidence = Vec::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let part = field.name().unwrap_or_default().to_owned();
        if part == "evidence" {
            // A form's empty file input sends a part without a name or bytes: no file.
            if field.file_name().is_some_and(|n| !n.is_empty()) {
                evidence.push(evidence_part(field).await?);
            }
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        let content = &mut new.content;
        match part.as_str() {
            "task" => new.task = number("task", &text)?,
            "project" => new.project = number("project", &text)?,
            "period" => new.period = text,
            "unit" => new.unit = Some(text).filter(|t| !t.trim().is_empty()),
            "draft" => new.draft = flag("draft", &text)?,
            "progress" => content.progress = ProgressValue::read(&text),
            "nodes_met" => {
                for n in text.split([',', '，']).filter(|n| !n.trim().is_empty()) {
                    content.nodes_met.extend(number::<f64>("nodes_met", n)?);
                }
            }
            "stage" => content.stage = Some(text),
            "invested_year" => content.invested_year = number("invested_year", &text)?,
            "invested_total" => content.invested_total = number("invested_total", &text)?,
            "text" => content.text = text,
            "problems" => content.problems = text,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "\"{other}\": not a part of a progress report (task, project, period, unit, draft, progress, nodes_met, stage, invested_year, invested_total, text, problems, evidence)"
                )));
            }
        }
    }
    Ok(Sent { new, evidence })
}

/// Evidence files a report may take, checked before anything is stored (the store checks
/// them again as it adds each): not empty, within [`EVIDENCE_MAX_BYTES`], at most
/// [`EVIDENCE_MAX_FILES`] with the `held` ones.
fn check_evidence(evidence: &[Evidence], held: usize) -> Result<(), ApiError> {
    if let Some(file) = evidence
        .iter()
        .find(|e| e.bytes.is_empty() || e.bytes.len() > EVIDENCE_MAX_BYTES)
    {
        let error = StoreError::EvidenceSize {
            name: file.name.clone(),
            size: file.bytes.len(),
        };
        return Err(ApiError::unprocessable("evidence", &error.to_string()));
    }
    if evidence.len() + held > EVIDENCE_MAX_FILES {
        let error = StoreError::TooManyEvidence(EVIDENCE_MAX_FILES);
        return Err(ApiError::unprocessable("evidence", &error.to_string()));
    }
    Ok(())
}

/// A report in a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgressSummary {
    id: i64,
    /// The task's id, for a report on a task
    task: Option<i64>,
    /// The key project's id, for a report on a key project
    project: Option<i64>,
    /// The task's title or the project's name
    title: String,
    /// The task's or project's year
    year: u16,
    /// 2024Q3, 2024-06 or 2024
    period: String,
    /// region:CODE or department:CODE
    unit: String,
    /// draft, submitted, approved, returned or withdrawn
    status: String,
    version: u32,
    created_by: String,
    submitted_by: String,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    /// The current version's content
    content: ContentOut,
}

/// A version's content.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContentOut {
    /// A task's progress: a share, or not_started, under_way, done
    progress: Option<ProgressValue>,
    /// A task's nodes met, by number from 1
    nodes_met: Vec<usize>,
    /// A project's stage: preparation, construction, completed, operating
    stage: Option<String>,
    /// 亿元
    invested_year: Option<f64>,
    /// 亿元
    invested_total: Option<f64>,
    text: String,
    problems: String,
}

impl From<&ProgressContent> for ContentOut {
    fn from(c: &ProgressContent) -> ContentOut {
        let (progress, nodes_met, stage, invested_year, invested_total) = match &c.figures {
            ProgressFigures::Task {
                progress,
                nodes_met,
            } => (
                Some(ProgressValue::of(*progress)),
                nodes_met.iter().map(|n| n + 1).collect(),
                None,
                None,
                None,
            ),
            ProgressFigures::Project {
                stage,
                invested_year,
                invested_total,
            } => (
                None,
                Vec::new(),
                Some(stage.code().to_owned()),
                Some(*invested_year),
                Some(*invested_total),
            ),
        };
        ContentOut {
            progress,
            nodes_met,
            stage,
            invested_year,
            invested_total,
            text: c.text.clone(),
            problems: c.problems.clone(),
        }
    }
}

impl From<&StoredProgress> for ProgressSummary {
    fn from(p: &StoredProgress) -> ProgressSummary {
        let (task, project) = match p.subject {
            ProgressSubject::Task(id) => (Some(id), None),
            ProgressSubject::Project(id) => (None, Some(id)),
        };
        ProgressSummary {
            id: p.id,
            task,
            project,
            title: p.title.clone(),
            year: p.year,
            period: p.period.to_string(),
            unit: p.unit.to_string(),
            status: p.status.as_str().to_owned(),
            version: p.version,
            created_by: p.created_by.clone(),
            submitted_by: p.submitted_by.clone(),
            submitted_at: p.submitted_at.clone(),
            reviewed_by: p.reviewed_by.clone(),
            reviewed_at: p.reviewed_at.clone(),
            content: ContentOut::from(&p.content),
        }
    }
}

/// One version of a report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VersionOut {
    version: u32,
    #[serde(flatten)]
    content: ContentOut,
}

/// An evidence file.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EvidenceOut {
    id: i64,
    /// The version it was added to
    version: u32,
    name: String,
    media_type: String,
    size: u64,
    /// SHA-256 of its bytes, hex
    sha256: String,
    added_by: String,
    added_at: String,
    /// Where to download it
    url: String,
}

impl EvidenceOut {
    fn of(report: i64, e: EvidenceMeta) -> EvidenceOut {
        EvidenceOut {
            url: format!("/api/progress/{report}/evidence/{}", e.id),
            id: e.id,
            version: e.version,
            name: e.name,
            media_type: e.media_type,
            size: e.size,
            sha256: e.sha256,
            added_by: e.added_by,
            added_at: e.added_at,
        }
    }
}

/// A report with every version, the reviewers' comments and its evidence files.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgressDetailOut {
    #[serde(flatten)]
    summary: ProgressSummary,
    /// Every version, oldest first (a returned report's edits are the next version)
    versions: Vec<VersionOut>,
    comments: Vec<CommentOut>,
    evidence: Vec<EvidenceOut>,
}

/// Where a report stands after a step.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgressMoved {
    id: i64,
    status: String,
    version: u32,
}

/// Which reports: every filter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// draft, submitted, approved, returned or withdrawn
    status: Option<String>,
    /// A unit: region or department code
    unit: Option<String>,
    /// Of tasks and projects of this year
    year: Option<String>,
    /// On this task (id)
    task: Option<String>,
    /// On this key project (id)
    project: Option<String>,
}

fn unknown(id: i64) -> ApiError {
    ApiError::not_found(format!("进展报告 {id}"), format!("progress report {id}"))
}

/// A refusal of the workflow or the store as an answer: the content and evidence 422 (naming
/// the field), not the subject's unit 403, someone moved it first 409, else as a submission's.
fn rejected(error: StoreError) -> ApiError {
    let text = error.to_string();
    match error {
        StoreError::UnknownProgress(id) => unknown(id),
        StoreError::UnknownEvidence(id) => {
            ApiError::not_found(format!("证明材料 {id}"), format!("evidence file {id}"))
        }
        StoreError::UnknownProgressSubject(_) => ApiError::unprocessable("subject", &text),
        StoreError::NotSubjectUnit { .. } => ApiError::refused(&text),
        StoreError::BadProgress(_) => ApiError::unprocessable("content", &text),
        StoreError::EvidenceSize { .. } | StoreError::TooManyEvidence(_) => {
            ApiError::unprocessable("evidence", &text)
        }
        StoreError::ProgressChanged(_) => ApiError::conflict("changed", &text),
        error => refused(error),
    }
}

/// Whether `actor` may see `report`: as for a submission.
fn visible(actor: &Actor, report: &StoredProgress) -> bool {
    may_see(actor, &report.unit, report.status, &report.created_by)
}

/// The report `id` if the caller may see it; 404 otherwise, as for one that does not exist.
async fn visible_report(
    service: &Service,
    caller: &Caller,
    id: &str,
) -> Result<StoredProgress, ApiError> {
    let id = parse_id(id)?;
    match service.store().progress(&service.plan, id).await {
        Ok(r) if visible(&caller.actor, &r) => Ok(r),
        Ok(_) | Err(StoreError::UnknownProgress(_)) => Err(unknown(id)),
        Err(e) => Err(rejected(e)),
    }
}

/// An id as JSON may write it (`7` or `7.0`); 422 for one that is not a whole number.
fn whole(field: &'static str, id: Option<f64>) -> Result<Option<i64>, ApiError> {
    id.map(|n| {
        (n.fract() == 0.0 && n.abs() < 9e15)
            .then_some(n as i64)
            .ok_or_else(|| {
                ApiError::unprocessable(
                    field,
                    &format!("应为整数，而不是 {n} / must be a whole number, not {n}"),
                )
            })
    })
    .transpose()
}

/// The subject a request names: exactly one of a task and a project.
fn subject_of(task: Option<f64>, project: Option<f64>) -> Result<ProgressSubject, ApiError> {
    match (whole("task", task)?, whole("project", project)?) {
        (Some(id), None) => Ok(ProgressSubject::Task(id)),
        (None, Some(id)) => Ok(ProgressSubject::Project(id)),
        _ => Err(ApiError::unprocessable(
            "task",
            "请指明一项任务（task）或一个重大项目（project） / name one task (task) or one key project (project)",
        )),
    }
}

fn period_of(text: &str) -> Result<Period, ApiError> {
    text.trim().parse::<Period>().map_err(|_| {
        ApiError::unprocessable(
            "period",
            &format!(
                "“{text}”不是报送期（如 2024Q3、2024-06、2024） / \"{text}\" is not a period (2024Q3, 2024-06, 2024)"
            ),
        )
    })
}

/// The answers of a request that writes a report.
#[allow(dead_code)] // Only its description is used.
#[derive(utoipa::IntoResponses)]
enum WriteAnswers {
    /// Not a report, or not an id
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in
    #[response(status = 401)]
    SignIn(ErrorBody),
    /// Not a reporter of the unit, or the unit does not report on the task or project
    #[response(status = 403)]
    Refused(ErrorBody),
    /// Over the server's body limit (`--max-submission-kib`)
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The content or an evidence file at fault (its field named): nothing stored
    #[response(status = 422)]
    Unprocessable(ErrorBody),
}

/// A new progress report of a unit on a task or a key project, as JSON or a form with
/// evidence files: a draft, or submitted at once. Nothing is stored while a field or an
/// evidence file is at fault.
#[utoipa::path(post, path = "/api/progress", tag = "progress",
    request_body(content(
        (NewProgress = "application/json"),
        (ProgressUpload = "multipart/form-data"),
    )),
    responses((status = 201, description = "Stored", body = ProgressDetailOut), WriteAnswers))]
pub(crate) async fn create(
    State(service): AppState,
    caller: Caller,
    sent: Sent,
) -> Result<Response, ApiError> {
    let Sent { new, evidence } = sent;
    let plan = &service.plan;
    let unit = unit_of(plan, &caller.actor, new.unit.as_deref())
        .map_err(|text| ApiError::unprocessable("unit", &text))?;
    // Whether the caller reports for the unit, before anything else is read.
    planwatch_workflow::Submission::new(&caller.actor, unit.clone(), new.draft)
        .map_err(|e| rejected(e.into()))?;
    let subject = subject_of(new.task, new.project)?;
    let period = period_of(&new.period)?;
    let content = new.content.content(subject)?;
    check_evidence(&evidence, 0)?;
    let store = service.primary();
    let client = || caller.client.clone();
    // With evidence, the report is a draft until its files are in (a submitted report takes
    // no files), then submitted as asked.
    let draft = new.draft || !evidence.is_empty();
    let id = store
        .create_progress(
            &caller.actor,
            client(),
            plan,
            subject,
            period,
            unit,
            &content,
            draft,
        )
        .await
        .map_err(rejected)?;
    for file in &evidence {
        store
            .add_progress_evidence(&caller.actor, client(), plan, id, file)
            .await
            .map_err(rejected)?;
    }
    if draft && !new.draft {
        store
            .submit_progress(&caller.actor, client(), plan, id)
            .await
            .map_err(rejected)?;
    }
    let detail = detail(&service, id).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

async fn detail(service: &Service, id: i64) -> Result<ProgressDetailOut, ApiError> {
    let detail = service
        .store()
        .progress_detail(&service.plan, id)
        .await
        .map_err(rejected)?;
    Ok(ProgressDetailOut {
        summary: ProgressSummary::from(&detail.report),
        versions: detail
            .versions
            .iter()
            .map(|(version, content)| VersionOut {
                version: *version,
                content: ContentOut::from(content),
            })
            .collect(),
        comments: detail.comments.into_iter().map(CommentOut::from).collect(),
        evidence: detail
            .evidence
            .into_iter()
            .map(|e| EvidenceOut::of(id, e))
            .collect(),
    })
}

/// Progress reports, oldest first: a reporter's units' only, and drafts only to their unit.
#[utoipa::path(get, path = "/api/progress", tag = "progress",
    params(ListParams),
    responses((status = 200, description = "The reports", body = Vec<ProgressSummary>),
              (status = 400, description = "A bad filter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter, planner or admin", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): AppState,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<ProgressSummary>>, ApiError> {
    let plan = &service.plan;
    let status = parse_status(params.status.as_deref())?;
    let id = |field: &'static str, text: Option<&str>| {
        present(text)
            .map(|t| {
                t.parse::<i64>().map_err(|_| {
                    ApiError::bad(
                        field,
                        format!("应为整数，而不是 \"{t}\""),
                        format!("must be a whole number, not \"{t}\""),
                    )
                })
            })
            .transpose()
    };
    let subject = match (
        id("task", params.task.as_deref())?,
        id("project", params.project.as_deref())?,
    ) {
        (None, None) => None,
        (Some(task), None) => Some(ProgressSubject::Task(task)),
        (None, Some(project)) => Some(ProgressSubject::Project(project)),
        // A report is on a task or on a project, never on both.
        (Some(_), Some(_)) => return Ok(Json(Vec::new())),
    };
    let filter = ProgressFilter {
        year: parse_year("year", params.year.as_deref())?,
        unit: parse_unit(plan, params.unit.as_deref())?,
        status,
        subject,
    };
    let found = service
        .store()
        .progress_reports(plan, &filter)
        .await
        .map_err(rejected)?;
    Ok(Json(
        found
            .iter()
            .filter(|r| visible(&caller.actor, r))
            .map(ProgressSummary::from)
            .collect(),
    ))
}

/// A report: every version, the reviewers' comments and its evidence files.
#[utoipa::path(get, path = "/api/progress/{id}", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    responses((status = 200, description = "The report", body = ProgressDetailOut),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter, planner or admin", body = ErrorBody),
              (status = 404, description = "No such report the caller may see", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProgressDetailOut>, ApiError> {
    let report = visible_report(&service, &caller, &id).await?;
    Ok(Json(detail(&service, report.id).await?))
}

/// Edit a report (its unit; a draft or a returned report): the content replaces a draft's, or
/// becomes a returned report's next version, sent when it is submitted.
#[utoipa::path(put, path = "/api/progress/{id}", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    request_body = ContentIn,
    responses((status = 200, description = "Stored", body = ProgressDetailOut),
              WriteAnswers,
              (status = 404, description = "No such report the caller may see", body = ErrorBody),
              (status = 409, description = "Its state does not allow it, or it changed meanwhile", body = ErrorBody)))]
pub(crate) async fn edit(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProgressDetailOut>, ApiError> {
    let request: ContentIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"progress\", \"nodes_met\", \"stage\", \"invested_year\", \"invested_total\", \"text\", \"problems\"}}: {e}")))?;
    let report = visible_report(&service, &caller, &id).await?;
    report
        .workflow()
        .may_edit(&caller.actor)
        .map_err(|e| rejected(e.into()))?;
    let content = request.content(report.subject)?;
    service
        .primary()
        .edit_progress(
            &caller.actor,
            caller.client.clone(),
            &service.plan,
            report.id,
            &content,
        )
        .await
        .map_err(rejected)?;
    Ok(Json(detail(&service, report.id).await?))
}

/// Add evidence files to a report (its unit; a draft or a returned report), as a form with one
/// `evidence` part per file: at most 5 files, 10 MiB each.
#[utoipa::path(post, path = "/api/progress/{id}/evidence", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 200, description = "Stored: the report", body = ProgressDetailOut),
              WriteAnswers,
              (status = 404, description = "No such report the caller may see", body = ErrorBody),
              (status = 409, description = "Its state does not allow it, or it changed meanwhile", body = ErrorBody)))]
pub(crate) async fn add_evidence(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Result<Json<ProgressDetailOut>, ApiError> {
    let report = visible_report(&service, &caller, &id).await?;
    report
        .workflow()
        .may_edit(&caller.actor)
        .map_err(|e| rejected(e.into()))?;
    let mut evidence = Vec::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("evidence") => evidence.push(evidence_part(field).await?),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "\"{}\": not a part of an evidence upload (evidence)",
                    other.unwrap_or_default()
                )));
            }
        }
    }
    if evidence.is_empty() {
        return Err(ApiError::unprocessable(
            "evidence",
            "缺少文件（表单字段 evidence） / no file: send it as the part \"evidence\"",
        ));
    }
    let held = service
        .store()
        .progress_detail(&service.plan, report.id)
        .await
        .map_err(rejected)?
        .evidence
        .len();
    check_evidence(&evidence, held)?;
    for file in &evidence {
        service
            .primary()
            .add_progress_evidence(
                &caller.actor,
                caller.client.clone(),
                &service.plan,
                report.id,
                file,
            )
            .await
            .map_err(rejected)?;
    }
    Ok(Json(detail(&service, report.id).await?))
}

/// Path parameters of an evidence file.
#[derive(Debug, Deserialize)]
pub(crate) struct EvidencePath {
    id: String,
    evidence: String,
}

/// Download an evidence file: its bytes as stored, with its media type, as an attachment.
#[utoipa::path(get, path = "/api/progress/{id}/evidence/{evidence}", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report"),
           ("evidence" = i64, Path, minimum = 1, description = "The evidence file")),
    responses((status = 200, description = "The file's bytes as stored, with its stored media type, as an attachment (Content-Disposition: attachment; X-Content-Type-Options: nosniff)"),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter, planner or admin", body = ErrorBody),
              (status = 404, description = "No such report the caller may see, or no such file of it", body = ErrorBody)))]
pub(crate) async fn download(
    State(service): AppState,
    caller: Caller,
    Path(path): Path<EvidencePath>,
) -> Result<Response, ApiError> {
    let report = visible_report(&service, &caller, &path.id).await?;
    let evidence = parse_id(&path.evidence)?;
    let (meta, bytes) = service
        .store()
        .progress_evidence(&service.plan, report.id, evidence)
        .await
        .map_err(rejected)?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&meta.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(CONTENT_TYPE, media_type);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&attachment(&meta.name)) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII stand-in and the name itself,
/// percent-encoded (RFC 6266).
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Remove an evidence file (the report's unit; a draft or a returned report).
#[utoipa::path(delete, path = "/api/progress/{id}/evidence/{evidence}", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report"),
           ("evidence" = i64, Path, minimum = 1, description = "The evidence file")),
    responses((status = 200, description = "Removed: the report", body = ProgressDetailOut),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter of its unit", body = ErrorBody),
              (status = 404, description = "No such report the caller may see, or no such file of it", body = ErrorBody),
              (status = 409, description = "Its state does not allow it, or it changed meanwhile", body = ErrorBody)))]
pub(crate) async fn remove_evidence(
    State(service): AppState,
    caller: Caller,
    Path(path): Path<EvidencePath>,
) -> Result<Json<ProgressDetailOut>, ApiError> {
    let report = visible_report(&service, &caller, &path.id).await?;
    let evidence = parse_id(&path.evidence)?;
    service
        .primary()
        .remove_progress_evidence(
            &caller.actor,
            caller.client.clone(),
            &service.plan,
            report.id,
            evidence,
        )
        .await
        .map_err(rejected)?;
    Ok(Json(detail(&service, report.id).await?))
}

/// The answers of a step on a report.
#[allow(dead_code)] // Only its description is used.
#[derive(utoipa::IntoResponses)]
enum StepAnswers {
    /// Where it stands now
    #[response(status = 200)]
    Moved(#[to_schema] ProgressMoved),
    /// Not an id, or (return) no comment
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in
    #[response(status = 401)]
    SignIn(ErrorBody),
    /// Not the caller's to do: not a reporter of its unit (submit, withdraw); not the plan
    /// office, or (approve) the one who submitted it
    #[response(status = 403)]
    Refused(ErrorBody),
    /// No such report the caller may see
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Its state does not allow it, or someone moved it first
    #[response(status = 409)]
    Conflict(ErrorBody),
}

/// The report `id` if the caller may see it, moved by `act`, and where it then stands.
async fn step(
    service: &Service,
    caller: &Caller,
    id: &str,
    act: impl AsyncFnOnce(i64) -> Result<(), StoreError>,
) -> Result<Json<ProgressMoved>, ApiError> {
    let id = visible_report(service, caller, id).await?.id;
    act(id).await.map_err(rejected)?;
    let r = service
        .store()
        .progress(&service.plan, id)
        .await
        .map_err(rejected)?;
    Ok(Json(ProgressMoved {
        id,
        status: r.status.as_str().to_owned(),
        version: r.version,
    }))
}

/// Submit a draft, or a returned report again (a new version: its edits, or else the returned
/// content; the earlier one is kept).
#[utoipa::path(post, path = "/api/progress/{id}/submit", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    responses(StepAnswers))]
pub(crate) async fn submit(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProgressMoved>, ApiError> {
    step(&service, &caller, &id, async |id| {
        let client = caller.client.clone();
        service
            .primary()
            .submit_progress(&caller.actor, client, &service.plan, id)
            .await
            .map(drop)
    })
    .await
}

/// Withdraw a report before review.
#[utoipa::path(post, path = "/api/progress/{id}/withdraw", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    responses(StepAnswers))]
pub(crate) async fn withdraw(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProgressMoved>, ApiError> {
    step(&service, &caller, &id, async |id| {
        let client = caller.client.clone();
        service
            .primary()
            .withdraw_progress(&caller.actor, client, &service.plan, id)
            .await
    })
    .await
}

/// Approve a report, with an optional comment: from then on the status of its task or project
/// counts it. Four eyes: not by who submitted it.
#[utoipa::path(post, path = "/api/progress/{id}/approve", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    request_body(content = Option<ApproveBody>, content_type = "application/json"),
    responses(StepAnswers))]
pub(crate) async fn approve(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProgressMoved>, ApiError> {
    let comment = approve_comment(&body)?;
    step(&service, &caller, &id, async |id| {
        let client = caller.client.clone();
        service
            .primary()
            .approve_progress(&caller.actor, client, &service.plan, id, comment.as_deref())
            .await
    })
    .await
}

/// Return a report to its unit with a comment.
#[utoipa::path(post, path = "/api/progress/{id}/return", tag = "progress",
    params(("id" = i64, Path, minimum = 1, description = "The report")),
    request_body = ReturnBody,
    responses(StepAnswers))]
pub(crate) async fn return_(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ProgressMoved>, ApiError> {
    let comment = return_comment(&body)?;
    step(&service, &caller, &id, async |id| {
        let client = caller.client.clone();
        service
            .primary()
            .return_progress(&caller.actor, client, &service.plan, id, &comment)
            .await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_a_share_or_a_word() {
        assert_eq!(
            ProgressValue::read(" 45% ").unwrap().progress().ok(),
            Some(Progress::Percent(45.0))
        );
        assert_eq!(
            ProgressValue::read("已完成").unwrap().progress().ok(),
            Some(Progress::Done)
        );
        assert_eq!(
            ProgressValue::read("under_way").unwrap().progress().ok(),
            Some(Progress::UnderWay)
        );
        assert_eq!(ProgressValue::read("  "), None);
        let beyond = ProgressValue::read("101").unwrap().progress().unwrap_err();
        assert_eq!(beyond.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(ProgressValue::read("half").unwrap().progress().is_err());
    }

    #[test]
    fn an_attachment_keeps_its_name_and_an_ascii_stand_in() {
        assert_eq!(
            attachment("进展 1.pdf"),
            "attachment; filename=\"__ 1.pdf\"; filename*=UTF-8''%E8%BF%9B%E5%B1%95%201.pdf"
        );
        assert_eq!(
            attachment("a\"b.txt"),
            "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"
        );
    }

    #[test]
    fn nodes_are_numbered_from_one() {
        let content = ContentIn {
            progress: Some(ProgressValue::Percent(50.0)),
            nodes_met: vec![1.0, 3.0],
            ..ContentIn::default()
        };
        let got = content.content(ProgressSubject::Task(1)).unwrap();
        assert_eq!(
            got.figures,
            ProgressFigures::Task {
                progress: Progress::Percent(50.0),
                nodes_met: vec![0, 2]
            }
        );
        let zero = ContentIn {
            progress: Some(ProgressValue::Percent(50.0)),
            nodes_met: vec![0.0],
            ..ContentIn::default()
        };
        assert!(zero.content(ProgressSubject::Task(1)).is_err());
        let project = ContentIn {
            stage: Some("在建".into()),
            invested_year: Some(1.5),
            ..ContentIn::default()
        };
        assert_eq!(
            project
                .content(ProgressSubject::Project(1))
                .unwrap()
                .figures,
            ProgressFigures::Project {
                stage: Stage::Construction,
                invested_year: 1.5,
                invested_total: 0.0
            }
        );
    }
}
