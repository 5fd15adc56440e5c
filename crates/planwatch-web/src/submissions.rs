//! The reporting workflow's JSON API: units submit their figures, the plan office reviews them
//! (`/api/submissions…`). Which moves are legal, for whom, is `planwatch-workflow`'s decision
//! and the store's conditional updates; the rows are checked by the import's validation
//! (`planwatch_app::submissions::stage`, which `planwatch submissions create` uses too). A
//! reporter sees only its units' submissions, and a draft only its unit: others get 404.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use planwatch_access::{Actor, Role, Unit, resolve_unit};
use planwatch_app::submissions::{RowProblem, Staged, Submitted, changes, coded_rows, stage};
use planwatch_import::Input;
use planwatch_store::{
    ImportError, ImportSettings, StoreError, StoredSubmission, SubmissionComment, SubmissionFilter,
};
use planwatch_workflow::{Change, Refusal, Status, SubmissionRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_period, present};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::service::Service;

type AppState = State<Arc<Service>>;

/// One row of a submission as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowIn {
    /// An indicator of the plan (code, number or name)
    indicator: String,
    /// A region of the plan (code or name)
    region: String,
    /// 2024, 2024Q1 or 2024-06
    period: String,
    value: f64,
    note: Option<String>,
    source: Option<String>,
}

/// One row of a stored submission.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RowOut {
    indicator: String,
    region: String,
    period: String,
    value: f64,
    note: Option<String>,
    source: Option<String>,
}

impl From<SubmissionRow> for RowOut {
    fn from(r: SubmissionRow) -> RowOut {
        RowOut {
            indicator: r.indicator,
            region: r.region,
            period: r.period.to_string(),
            value: r.value,
            note: r.note,
            source: r.source,
        }
    }
}

/// A new submission: a unit's rows, submitted at once unless `draft`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSubmission {
    /// The unit: a region or department code
    unit: String,
    rows: Vec<RowIn>,
    #[serde(default)]
    draft: bool,
}

/// A reviewer's reason for returning a submission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReturnBody {
    /// Why: not blank
    #[schema(pattern = "\\S")]
    comment: String,
}

/// A problem with a row of a refused submission.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProblemOut {
    /// The row's position in `rows`, from 1 (0: the submission as a whole)
    row: usize,
    /// The column at fault, when there is one
    column: Option<String>,
    /// indicator, region, period, value or status, when one is at fault
    field: Option<&'static str>,
    /// In the request's language (Accept-Language: zh or en)
    message: String,
}

/// Every problem of a refused submission (nothing was stored).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problems {
    problems: Vec<ProblemOut>,
}

/// A submission in a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubmissionSummary {
    id: i64,
    /// region:CODE or department:CODE
    unit: String,
    /// draft, submitted, approved, returned or withdrawn
    status: String,
    version: u32,
    rows: u64,
    submitted_by: String,
    submitted_at: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    /// The import batch that published it, once approved
    batch: Option<i64>,
}

/// A submission with its rows (current version), what they change and the reviewers' comments.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubmissionDetail {
    #[serde(flatten)]
    summary: SubmissionSummary,
    rows: Vec<RowOut>,
    /// Per row (by index): new, revised (old → new, difference, large change) or unchanged, and
    /// whether its period is locked
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
    comments: Vec<CommentOut>,
}

/// A reviewer's comment.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CommentOut {
    version: i32,
    /// return or approve
    action: String,
    author: String,
    at: String,
    comment: String,
}

/// A stored submission, as `POST /api/submissions` answers.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Created {
    id: i64,
    status: String,
    rows: Vec<RowOut>,
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
    /// The reader's warnings, in the request's language
    warnings: Vec<String>,
}

/// Where a submission stands after a step.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Moved {
    id: i64,
    status: String,
    version: u32,
    /// The import batch that published it (approve)
    batch: Option<i64>,
}

/// Which submissions: every filter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// draft, submitted, approved, returned or withdrawn
    status: Option<String>,
    /// A unit: region or department code
    unit: Option<String>,
    /// Submissions with a row of this period (2024, 2024Q1, 2024-06)
    period: Option<String>,
}

impl From<&StoredSubmission> for SubmissionSummary {
    fn from(s: &StoredSubmission) -> SubmissionSummary {
        SubmissionSummary {
            id: s.id,
            unit: s.unit.to_string(),
            status: s.status.as_str().to_owned(),
            version: s.version,
            rows: s.rows,
            submitted_by: s.submitted_by.clone(),
            submitted_at: s.submitted_at.clone(),
            reviewed_by: s.reviewed_by.clone(),
            reviewed_at: s.reviewed_at.clone(),
            batch: s.batch_id,
        }
    }
}

impl From<SubmissionComment> for CommentOut {
    fn from(c: SubmissionComment) -> CommentOut {
        CommentOut {
            version: c.version,
            action: c.action,
            author: c.author,
            at: c.at,
            comment: c.comment,
        }
    }
}

/// The language of an answer the handler writes itself.
fn lang_of(uri: &Uri, headers: &HeaderMap) -> Lang {
    Lang::for_path(uri.path(), headers, uri.query())
}

/// Whether `actor` may see `submission`: a reporter its units' only; a draft only its unit.
pub(crate) fn visible(actor: &Actor, submission: &StoredSubmission) -> bool {
    match actor.account() {
        Some(account) if account.role == Role::Reporter => account.units.contains(&submission.unit),
        Some(_) => submission.status != Status::Draft || submission.created_by == actor.label(),
        None => false,
    }
}

fn unknown(id: i64) -> ApiError {
    ApiError::not_found(format!("报送 {id}"), format!("submission {id}"))
}

fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::bad(
            "id",
            format!("应为正整数，而不是 \"{text}\""),
            format!("must be a whole number from 1, not \"{text}\""),
        )
    })
}

/// The submission `id` if the caller may see it; 404 otherwise, as for one that does not exist.
async fn visible_submission(
    service: &Service,
    caller: &Caller,
    id: &str,
) -> Result<StoredSubmission, ApiError> {
    let id = parse_id(id)?;
    match service.store.submission(&service.plan, id).await {
        Ok(s) if visible(&caller.actor, &s) => Ok(s),
        Ok(_) | Err(StoreError::UnknownSubmission(_)) => Err(unknown(id)),
        Err(e) => Err(refused(e)),
    }
}

/// A refusal of the workflow or the store as an answer: who may not is 403, a move the
/// submission's state does not allow (or one someone else made first, or a stale base) 409.
fn refused(error: StoreError) -> ApiError {
    let text = error.to_string();
    match error {
        StoreError::Refused(refusal) => match refusal {
            Refusal::Illegal { .. } => ApiError::conflict("illegal_transition", &text),
            Refusal::CommentRequired => ApiError::bad(
                "comment",
                "退回须附审核意见",
                "returning a submission needs a comment",
            ),
            Refusal::SignInRequired => ApiError::Denied(planwatch_access::Denial::SignInRequired),
            _ => ApiError::refused(&text),
        },
        StoreError::SubmissionChanged(_) => ApiError::conflict("changed", &text),
        StoreError::UnknownSubmission(id) => unknown(id),
        error => ApiError::Store(error),
    }
}

fn import_refused(error: ImportError) -> ApiError {
    let text = error.to_string();
    match error {
        ImportError::Store(e) => refused(e),
        ImportError::StaleBase { .. } => ApiError::conflict("stale_base", &text),
        ImportError::NotWaiting(_) => ApiError::conflict("changed", &text),
        ImportError::LockedPeriod { .. } => ApiError::conflict("locked_period", &text),
        ImportError::Aborted | ImportError::Conflicts(_) | ImportError::Strict(_) => {
            ApiError::conflict("not_published", &text)
        }
    }
}

/// The rows of a form as the long CSV table the import reads, so that they are checked exactly
/// as an uploaded file is: row `n` of `rows` (from 1) is the table's row `n + 1`.
fn as_table(rows: &[RowIn]) -> Vec<u8> {
    let mut table = csv::Writer::from_writer(Vec::new());
    let header = ["indicator", "region", "period", "value", "note", "source"];
    let mut lines = vec![table.write_record(header)];
    for row in rows {
        let value = row.value.to_string();
        lines.push(table.write_record([
            row.indicator.as_str(),
            &row.region,
            &row.period,
            &value,
            row.note.as_deref().unwrap_or(""),
            row.source.as_deref().unwrap_or(""),
        ]));
    }
    // Writing to memory cannot fail.
    table.into_inner().unwrap_or_default()
}

fn problem_out(lang: Lang, p: RowProblem) -> ProblemOut {
    ProblemOut {
        // The table's header is row 1.
        row: p.row.saturating_sub(1),
        column: p.column,
        field: p.field,
        message: if lang == Lang::En { p.en } else { p.zh },
    }
}

/// 422 with every problem.
fn unprocessable(lang: Lang, problems: Vec<RowProblem>) -> Response {
    let problems = problems.into_iter().map(|p| problem_out(lang, p)).collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(Problems { problems }),
    )
        .into_response()
}

/// A new submission of a unit: every row checked as `planwatch import` checks a file, and
/// against the unit's scope and locked periods; every problem at once, and nothing stored while
/// there is one.
#[utoipa::path(post, path = "/api/submissions", tag = "submissions",
    request_body = NewSubmission,
    responses((status = 201, description = "Stored", body = Created),
              (status = 400, description = "Not a submission", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter of the unit", body = ErrorBody),
              (status = 422, description = "Problems with the unit or the rows (every one); nothing stored", body = Problems)))]
pub(crate) async fn create(
    State(service): AppState,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let lang = lang_of(&uri, &headers);
    let new: NewSubmission = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("{{\"unit\", \"rows\": [...], \"draft\"}}: {e}"))
    })?;
    let plan = &service.plan;
    let unit: Unit = match resolve_unit(plan, &new.unit) {
        Ok(unit) => unit,
        Err(e) => {
            let text = e.to_string();
            let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
            let problem = RowProblem {
                row: 1,
                column: None,
                field: Some("unit"),
                zh: zh.to_owned(),
                en: en.to_owned(),
            };
            return Ok(unprocessable(lang, vec![problem]));
        }
    };
    // Whether the caller reports for the unit, before its rows are read.
    planwatch_workflow::Submission::new(&caller.actor, unit.clone(), new.draft)
        .map_err(|e| refused(e.into()))?;
    let submitted = Submitted {
        name: "submission.csv",
        input: Input::Csv(Box::new(std::io::Cursor::new(as_table(&new.rows)))),
        unit: &unit,
        revise: false,
    };
    let Staged { rows, warnings } = match stage(&service.store, plan, submitted).await? {
        Ok(staged) => staged,
        Err(problems) => return Ok(unprocessable(lang, problems)),
    };
    let id = service
        .store
        .create_submission(
            &caller.actor,
            caller.client.clone(),
            plan,
            unit,
            &rows,
            new.draft,
            None,
            None,
        )
        .await
        .map_err(refused)?;
    let coded = coded_rows(plan, &rows);
    let changes = changes(&service.store, plan, &coded).await?;
    let status = if new.draft {
        Status::Draft
    } else {
        Status::Submitted
    };
    let warnings = warnings
        .into_iter()
        .map(|d| {
            if lang == Lang::En {
                d.problem.to_string()
            } else {
                d.problem.zh()
            }
        })
        .collect();
    let created = Created {
        id,
        status: status.as_str().to_owned(),
        rows: coded.into_iter().map(RowOut::from).collect(),
        changes,
        warnings,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Submissions, oldest first: a reporter's units' only, and drafts only to their unit.
#[utoipa::path(get, path = "/api/submissions", tag = "submissions",
    params(ListParams),
    responses((status = 200, description = "The submissions", body = Vec<SubmissionSummary>),
              (status = 400, description = "A bad filter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter, planner or admin", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): AppState,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<SubmissionSummary>>, ApiError> {
    let plan = &service.plan;
    let status = present(params.status.as_deref())
        .map(|t| {
            t.parse::<Status>().map_err(|_| {
                ApiError::bad(
                    "status",
                    format!(
                        "\"{t}\" 不是报送状态（draft、submitted、approved、returned、withdrawn）"
                    ),
                    format!(
                        "\"{t}\" is not a status (draft, submitted, approved, returned, withdrawn)"
                    ),
                )
            })
        })
        .transpose()?;
    let unit = present(params.unit.as_deref())
        .map(|code| {
            resolve_unit(plan, code).map_err(|e| {
                let text = e.to_string();
                let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
                ApiError::bad("unit", zh, en)
            })
        })
        .transpose()?;
    let filter = SubmissionFilter {
        status,
        unit,
        period: parse_period("period", params.period.as_deref())?,
    };
    let found = service.store.submissions(plan, &filter).await?;
    Ok(Json(
        found
            .iter()
            .filter(|s| visible(&caller.actor, s))
            .map(SubmissionSummary::from)
            .collect(),
    ))
}

/// A submission: its rows, what they change against the published figures, and comments.
#[utoipa::path(get, path = "/api/submissions/{id}", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    responses((status = 200, description = "The submission", body = SubmissionDetail),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter, planner or admin", body = ErrorBody),
              (status = 404, description = "No such submission the caller may see", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SubmissionDetail>, ApiError> {
    let submission = visible_submission(&service, &caller, &id).await?;
    let store = &service.store;
    let rows: Vec<SubmissionRow> = store
        .submission_rows(submission.id, submission.version)
        .await?
        .into_iter()
        .map(|r| r.row)
        .collect();
    let changes = changes(store, &service.plan, &rows).await?;
    let comments = store
        .submission_comments(submission.id)
        .await?
        .into_iter()
        .map(CommentOut::from)
        .collect();
    Ok(Json(SubmissionDetail {
        summary: SubmissionSummary::from(&submission),
        rows: rows.into_iter().map(RowOut::from).collect(),
        changes,
        comments,
    }))
}

/// The answers of a step on a submission.
#[allow(dead_code)] // Only its description is used.
#[derive(utoipa::IntoResponses)]
enum StepAnswers {
    /// Where it stands now
    #[response(status = 200)]
    Moved(#[to_schema] Moved),
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
    /// No such submission the caller may see
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Its state does not allow it, someone moved it first, or (approve) a figure it was
    /// compared with was published since: it needs a fresh review
    #[response(status = 409)]
    Conflict(ErrorBody),
}

/// The submission `id` if the caller may see it, moved by `act`, and where it then stands.
async fn step(
    service: &Service,
    caller: &Caller,
    id: &str,
    act: impl AsyncFnOnce(i64) -> Result<(), ApiError>,
) -> Result<Json<Moved>, ApiError> {
    let id = visible_submission(service, caller, id).await?.id;
    act(id).await?;
    let s = service
        .store
        .submission(&service.plan, id)
        .await
        .map_err(refused)?;
    Ok(Json(Moved {
        id,
        status: s.status.as_str().to_owned(),
        version: s.version,
        batch: s.batch_id,
    }))
}

/// Submit a draft, or a returned submission again (a new version; the earlier one is kept).
#[utoipa::path(post, path = "/api/submissions/{id}/submit", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    responses(StepAnswers))]
pub(crate) async fn submit(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Moved>, ApiError> {
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (&service.store, &service.plan);
        let client = caller.client.clone();
        store
            .submit_submission(&caller.actor, client, plan, id, None)
            .await
            .map(drop)
            .map_err(refused)
    })
    .await
}

/// Withdraw a submission before review.
#[utoipa::path(post, path = "/api/submissions/{id}/withdraw", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    responses(StepAnswers))]
pub(crate) async fn withdraw(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Moved>, ApiError> {
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (&service.store, &service.plan);
        let client = caller.client.clone();
        store
            .withdraw_submission(&caller.actor, client, plan, id)
            .await
            .map_err(refused)
    })
    .await
}

/// Approve a submission: its rows are published as one import batch. Four eyes: not by who
/// submitted it. When a figure it was compared with was published since, it needs a fresh
/// review (409 `stale_base`).
#[utoipa::path(post, path = "/api/submissions/{id}/approve", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    responses(StepAnswers))]
pub(crate) async fn approve(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Moved>, ApiError> {
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (&service.store, &service.plan);
        let settings = ImportSettings::default();
        let client = caller.client.clone();
        store
            .approve_submission(&caller.actor, client, plan, id, None, settings)
            .await
            .map_err(import_refused)?;
        // The published figures changed: this server's caches are emptied now, not at the
        // next poll.
        service.observe(store.last_change().await?);
        Ok(())
    })
    .await
}

/// Return a submission to its unit with a comment.
#[utoipa::path(post, path = "/api/submissions/{id}/return", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    request_body = ReturnBody,
    responses(StepAnswers))]
pub(crate) async fn return_(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Moved>, ApiError> {
    let request: ReturnBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"comment\"}}: {e}")))?;
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (&service.store, &service.plan);
        let client = caller.client.clone();
        store
            .return_submission(&caller.actor, client, plan, id, &request.comment)
            .await
            .map_err(refused)
    })
    .await
}
