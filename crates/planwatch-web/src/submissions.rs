//! The reporting workflow's JSON API: units submit their figures, the plan office reviews them
//! (`/api/submissions…`). Which moves are legal, for whom, is `planwatch-workflow`'s decision
//! and the store's conditional updates; the rows are checked by the import's validation
//! (`planwatch_app::submissions::stage`, which `planwatch submissions create` uses too). A
//! reporter sees only its units' submissions, and a draft only its unit: others get 404. Rows
//! come as JSON (a form) or as an uploaded file ([`sent`]); a unit edits a draft's or a
//! returned submission's rows (`PUT …/rows`), and `…/check` checks rows without storing them.

mod sent;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use planwatch_access::{Actor, Role, Unit, resolve_unit};
use planwatch_app::submissions::{
    RowProblem, Staged, Submitted, changes, coded_rows, rollups, stage,
};
use planwatch_import::Input;
use planwatch_plan::{ObservationRow, Plan};
use planwatch_store::{
    ImportError, ImportSettings, StoreError, StoredSubmission, SubmissionComment, SubmissionFilter,
};
use planwatch_workflow::{Change, Refusal, Rollup, Status, Step, SubmissionRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_period, present};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::service::Service;
pub(crate) use sent::{NewSubmission, Upload, file_name, flag, is_multipart, unreadable};
use sent::{Rows, Sent};

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

/// A submission's rows, as its unit edits them (or submits them corrected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowsBody {
    rows: Vec<RowIn>,
}

/// A reviewer's optional comment on an approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveBody {
    comment: Option<String>,
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
    /// The uploaded file's own name; null for the rows of a form (JSON) and for the request as
    /// a whole (unit, revise, reason)
    file: Option<String>,
    /// For a file the spreadsheet row (the header is row 1, as `planwatch import` numbers
    /// rows); for JSON the row's position in `rows`, from 1; 0: the file or the request as a
    /// whole
    row: usize,
    /// The column at fault, when there is one
    column: Option<String>,
    /// unit, revise, reason, indicator, region, period, value or status, when one is at fault
    field: Option<&'static str>,
    /// In the request's language (Accept-Language: zh or en)
    message: String,
}

/// Every problem of a refused submission (nothing was stored).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problems {
    problems: Vec<ProblemOut>,
}

/// What a submission of these rows would meet, nothing stored: every problem, or (with none)
/// the changes and the reader's warnings.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckOut {
    problems: Vec<ProblemOut>,
    /// Per row (by index), as in a stored submission; empty while there is a problem
    #[schema(value_type = Vec<Object>)]
    changes: Vec<Change>,
    /// The reader's warnings, in the request's language
    warnings: Vec<String>,
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
    /// The uploaded file's name, for a submission from a file
    file: Option<String>,
    /// Why it revises figures of a locked period, for a revision
    revision_reason: Option<String>,
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
    /// Roll-up checks (districts against the city) of the figures it touches, after approval
    rollups: Vec<Rollup>,
    comments: Vec<CommentOut>,
    /// A returned submission's rows as its unit has edited them and not yet submitted (they
    /// become the next version when it is submitted); null when there are none
    edited: Option<Vec<RowOut>>,
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
    /// Roll-up checks (districts against the city) of the figures it touches, after approval
    rollups: Vec<Rollup>,
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
            file: s.file_name.clone(),
            revision_reason: s.revision_reason.clone(),
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
pub(crate) fn lang_of(uri: &Uri, headers: &HeaderMap) -> Lang {
    Lang::for_path(uri.path(), headers, uri.query())
}

/// Whether `actor` may see `submission`: a reporter its units' only; a draft only its unit.
pub(crate) fn visible(actor: &Actor, submission: &StoredSubmission) -> bool {
    may_see(
        actor,
        &submission.unit,
        submission.status,
        &submission.created_by,
    )
}

/// Whether `actor` may see a unit's submission or progress report of `unit`, now `status`,
/// created by `created_by`: a reporter its units' only; a draft only its unit (and whoever
/// created it).
pub(crate) fn may_see(actor: &Actor, unit: &Unit, status: Status, created_by: &str) -> bool {
    match actor.account() {
        Some(account) if account.role == Role::Reporter => account.units.contains(unit),
        Some(_) => status != Status::Draft || created_by == actor.label(),
        None => false,
    }
}

fn unknown(id: i64) -> ApiError {
    ApiError::not_found(format!("报送 {id}"), format!("submission {id}"))
}

pub(crate) fn parse_id(text: &str) -> Result<i64, ApiError> {
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
    match service.store().submission(&service.plan, id).await {
        Ok(s) if visible(&caller.actor, &s) => Ok(s),
        Ok(_) | Err(StoreError::UnknownSubmission(_)) => Err(unknown(id)),
        Err(e) => Err(refused(e)),
    }
}

/// A refusal of the workflow or the store as an answer: who may not is 403, a move the
/// submission's state does not allow (or one someone else made first, or a stale base) 409.
pub(crate) fn refused(error: StoreError) -> ApiError {
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

/// The problems of rows from `file` (`None`: a form's) as answered.
fn problems_out(lang: Lang, file: Option<&str>, problems: Vec<RowProblem>) -> Vec<ProblemOut> {
    problems
        .into_iter()
        .map(|p| ProblemOut {
            file: file.map(str::to_owned),
            // A file's rows are its spreadsheet rows; a form's, positions in `rows` (the
            // table it is written as has its header as row 1).
            row: if file.is_some() {
                p.row
            } else {
                p.row.saturating_sub(1)
            },
            column: p.column,
            field: p.field,
            message: if lang == Lang::En { p.en } else { p.zh },
        })
        .collect()
}

/// A problem of the request as a whole (its unit, its revision reason).
fn request_problem(lang: Lang, field: &'static str, text: &str) -> ProblemOut {
    let (zh, en) = text.split_once(" / ").unwrap_or((text, text));
    ProblemOut {
        file: None,
        row: 0,
        column: None,
        field: Some(field),
        message: if lang == Lang::En { en } else { zh }.to_owned(),
    }
}

/// 422 with every problem.
fn unprocessable(problems: Vec<ProblemOut>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(Problems { problems }),
    )
        .into_response()
}

/// The unit a request names, or else the caller's only one.
pub(crate) fn unit_of(plan: &Plan, actor: &Actor, named: Option<&str>) -> Result<Unit, String> {
    match named {
        Some(code) => resolve_unit(plan, code).map_err(|e| e.to_string()),
        None => match actor.account().map(|a| a.units.as_slice()) {
            Some([only]) => Ok(only.clone()),
            _ => Err("请指明报送单位（unit）：您不只为一个单位填报 / name the unit (unit): you do not report for exactly one".to_owned()),
        },
    }
}

/// The revision reason of a request: none, or a reason that is not blank with `revise`.
fn revision_reason(revise: bool, reason: Option<String>) -> Result<Option<String>, ProblemText> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    match (revise, reason) {
        (true, Some(reason)) => Ok(Some(reason)),
        (false, None) => Ok(None),
        (true, None) => Err((
            "reason",
            "修订锁定期的数据须说明理由（reason） / a revision of a locked period needs a reason (reason)",
        )),
        (false, Some(_)) => Err((
            "revise",
            "理由只用于修订锁定期（revise: true） / a reason goes with a revision of a locked period (revise: true)",
        )),
    }
}

/// A field at fault and its message, `中文 / English`.
type ProblemText = (&'static str, &'static str);

/// Rows that passed every check, with their codes and the reader's warnings in the request's
/// language.
struct Checked {
    rows: Vec<ObservationRow>,
    coded: Vec<SubmissionRow>,
    warnings: Vec<String>,
}

/// `rows` (a form's or a file) for `unit`, checked as `planwatch import` checks a file and
/// against the unit's scope, the same key twice and (unless `revise`) locked periods: the
/// rows, or every problem — those already found (`problems`) first.
async fn check_rows(
    service: &Service,
    lang: Lang,
    unit: &Unit,
    rows: Rows,
    revise: bool,
    mut problems: Vec<ProblemOut>,
) -> Result<Result<Checked, Vec<ProblemOut>>, ApiError> {
    let (name, input, file) = match rows {
        Rows::Form(rows) => (
            "submission.csv".to_owned(),
            Input::Csv(Box::new(std::io::Cursor::new(as_table(&rows)))),
            false,
        ),
        Rows::File { name, bytes } => (name, Input::from_bytes(bytes), true),
    };
    let submitted = Submitted {
        name: &name,
        input,
        unit,
        revise,
    };
    let plan = &service.plan;
    match stage(service.store(), plan, submitted).await? {
        Ok(Staged { rows, warnings }) if problems.is_empty() => Ok(Ok(Checked {
            coded: coded_rows(plan, &rows),
            rows,
            warnings: warnings
                .into_iter()
                .map(|d| {
                    if lang == Lang::En {
                        d.problem.to_string()
                    } else {
                        d.problem.zh()
                    }
                })
                .collect(),
        })),
        Ok(_) => Ok(Err(problems)),
        Err(found) => {
            problems.extend(problems_out(lang, file.then_some(name.as_str()), found));
            Ok(Err(problems))
        }
    }
}

/// A submission as `POST /api/submissions` answers: `checked` stored as submission `id`, now
/// `status`, with what its rows change.
async fn stored_answer(
    service: &Service,
    id: i64,
    status: Status,
    checked: Checked,
) -> Result<Created, ApiError> {
    let changes = changes(service.store(), &service.plan, &checked.coded).await?;
    let rollups = rollups(service.store(), &service.plan, &checked.coded).await?;
    Ok(Created {
        id,
        status: status.as_str().to_owned(),
        rows: checked.coded.into_iter().map(RowOut::from).collect(),
        changes,
        rollups,
        warnings: checked.warnings,
    })
}

/// A submission request's unit, revision reason and rows, checked.
type Read = Result<(Unit, Option<String>, Checked), Vec<ProblemOut>>;

/// What a submission request asks, read and checked: the unit (and the caller's right to
/// report for it, else 403), the revision reason, and the rows — or every problem.
async fn read_sent(
    service: &Service,
    caller: &Caller,
    lang: Lang,
    sent: Sent,
) -> Result<Read, ApiError> {
    let unit = match unit_of(&service.plan, &caller.actor, sent.unit.as_deref()) {
        Ok(unit) => unit,
        Err(text) => {
            let mut problems = vec![request_problem(lang, "unit", &text)];
            if let Err((field, text)) = revision_reason(sent.revise, sent.reason) {
                problems.push(request_problem(lang, field, text));
            }
            return Ok(Err(problems));
        }
    };
    // Whether the caller reports for the unit, before its rows are read.
    planwatch_workflow::Submission::new(&caller.actor, unit.clone(), sent.draft)
        .map_err(|e| refused(e.into()))?;
    let (reason, problems) = match revision_reason(sent.revise, sent.reason) {
        Ok(reason) => (reason, Vec::new()),
        Err((field, text)) => (None, vec![request_problem(lang, field, text)]),
    };
    let checked = check_rows(service, lang, &unit, sent.rows, sent.revise, problems).await?;
    Ok(checked.map(|checked| (unit, reason, checked)))
}

/// The refusals of a submission request before its rows are read.
#[allow(dead_code)] // Only its description is used.
#[derive(utoipa::IntoResponses)]
enum SentAnswers {
    /// Not a submission
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in
    #[response(status = 401)]
    SignIn(ErrorBody),
    /// Not a reporter of the unit
    #[response(status = 403)]
    Refused(ErrorBody),
    /// Over the server's body limit
    #[response(status = 413)]
    TooLarge(ErrorBody),
}

/// A new submission of a unit, from the rows of a form (JSON) or an uploaded file (multipart:
/// its name decides how it is read, as for `planwatch import`): every row checked as
/// `planwatch import` checks a file, and against the unit's scope and locked periods (unless
/// a revision with a reason); every problem at once, and nothing stored while there is one.
#[utoipa::path(post, path = "/api/submissions", tag = "submissions",
    request_body(content(
        (NewSubmission = "application/json"),
        (Upload = "multipart/form-data"),
    )),
    responses((status = 201, description = "Stored", body = Created),
              SentAnswers,
              (status = 422, description = "Problems with the unit, the reason, the file or the rows (every one); nothing stored", body = Problems)))]
pub(crate) async fn create(
    State(service): AppState,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    sent: Sent,
) -> Result<Response, ApiError> {
    let lang = lang_of(&uri, &headers);
    let (draft, file) = (sent.draft, sent.rows.file_name().map(str::to_owned));
    let (unit, reason, checked) = match read_sent(&service, &caller, lang, sent).await? {
        Ok(read) => read,
        Err(problems) => return Ok(unprocessable(problems)),
    };
    let id = service
        .primary()
        .create_submission(
            &caller.actor,
            caller.client.clone(),
            &service.plan,
            unit,
            &checked.rows,
            draft,
            file.as_deref(),
            reason.as_deref(),
        )
        .await
        .map_err(refused)?;
    let status = if draft {
        Status::Draft
    } else {
        Status::Submitted
    };
    let created = stored_answer(&service, id, status, checked).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// A dry run of `POST /api/submissions`: the same checks (the web form asks as the user
/// types), nothing stored. Problems are in the answer, not a 422.
#[utoipa::path(post, path = "/api/submissions/check", tag = "submissions",
    request_body(content(
        (NewSubmission = "application/json"),
        (Upload = "multipart/form-data"),
    )),
    responses((status = 200, description = "Every problem, or the changes and warnings; nothing stored", body = CheckOut),
              SentAnswers))]
pub(crate) async fn check(
    State(service): AppState,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    sent: Sent,
) -> Result<Json<CheckOut>, ApiError> {
    let lang = lang_of(&uri, &headers);
    let answer = match read_sent(&service, &caller, lang, sent).await? {
        Ok((_, _, checked)) => CheckOut {
            problems: Vec::new(),
            changes: changes(service.store(), &service.plan, &checked.coded).await?,
            warnings: checked.warnings,
        },
        Err(problems) => CheckOut {
            problems,
            changes: Vec::new(),
            warnings: Vec::new(),
        },
    };
    Ok(Json(answer))
}

/// `{"rows": [...]}`, or nothing (an empty body, or `null`).
fn rows_body(body: &[u8]) -> Result<Option<RowsBody>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"rows\": [...]}}: {e}")))
}

/// The rows of a submission's edit or corrected submission, checked for its unit (a revision
/// when it has a revision reason).
async fn check_edit(
    service: &Service,
    lang: Lang,
    submission: &StoredSubmission,
    request: RowsBody,
) -> Result<Result<Checked, Vec<ProblemOut>>, ApiError> {
    let revise = submission.revision_reason.is_some();
    let rows = Rows::Form(request.rows);
    check_rows(service, lang, &submission.unit, rows, revise, Vec::new()).await
}

/// Edit a submission's rows (its unit; a draft or a returned submission): they replace a
/// draft's rows, or become a returned submission's next version — the version the reviewer
/// saw is kept, the status stays returned, and submitting sends the edited rows. Checked as
/// a new submission is: every problem at once, nothing stored while there is one.
#[utoipa::path(put, path = "/api/submissions/{id}/rows", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    request_body = RowsBody,
    responses((status = 200, description = "Stored: the edited rows", body = Created),
              (status = 400, description = "Not an id, or not rows", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not a reporter of its unit", body = ErrorBody),
              (status = 404, description = "No such submission the caller may see", body = ErrorBody),
              (status = 409, description = "Its state does not allow it (submitted, approved, withdrawn), or it changed meanwhile", body = ErrorBody),
              (status = 422, description = "Problems with the rows (every one); nothing stored", body = Problems)))]
pub(crate) async fn edit(
    State(service): AppState,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let lang = lang_of(&uri, &headers);
    let request = rows_body(&body)?
        .ok_or_else(|| ApiError::BadRequest("{\"rows\": [...]}: no rows".to_owned()))?;
    let submission = visible_submission(&service, &caller, &id).await?;
    // The state and the unit first: a submitted one is 409 whatever its rows.
    submission
        .workflow()
        .may_edit(&caller.actor)
        .map_err(|e| refused(e.into()))?;
    let checked = match check_edit(&service, lang, &submission, request).await? {
        Ok(checked) => checked,
        Err(problems) => return Ok(unprocessable(problems)),
    };
    service
        .primary()
        .edit_submission(
            &caller.actor,
            caller.client.clone(),
            &service.plan,
            submission.id,
            &checked.rows,
        )
        .await
        .map_err(refused)?;
    let answer = stored_answer(&service, submission.id, submission.status, checked).await?;
    Ok(Json(answer).into_response())
}

/// A `unit` parameter (a region or department code), if present.
pub(crate) fn parse_unit(plan: &Plan, code: Option<&str>) -> Result<Option<Unit>, ApiError> {
    present(code)
        .map(|code| {
            resolve_unit(plan, code).map_err(|e| {
                let text = e.to_string();
                let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
                ApiError::bad("unit", zh, en)
            })
        })
        .transpose()
}

/// A `status` parameter of the workflow (draft, submitted, approved, returned, withdrawn), if
/// present.
pub(crate) fn parse_status(text: Option<&str>) -> Result<Option<Status>, ApiError> {
    present(text)
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
        .transpose()
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
    let status = parse_status(params.status.as_deref())?;
    let unit = parse_unit(plan, params.unit.as_deref())?;
    let filter = SubmissionFilter {
        status,
        unit,
        period: parse_period("period", params.period.as_deref())?,
    };
    let found = service.store().submissions(plan, &filter).await?;
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
    let store = service.store();
    let rows: Vec<SubmissionRow> = store
        .submission_rows(submission.id, submission.version)
        .await?
        .into_iter()
        .map(|r| r.row)
        .collect();
    let changes = changes(store, &service.plan, &rows).await?;
    let rollups = rollups(store, &service.plan, &rows).await?;
    let comments = store
        .submission_comments(submission.id)
        .await?
        .into_iter()
        .map(CommentOut::from)
        .collect();
    let edited = store.edited_rows(&submission).await?.map(|rows| {
        rows.into_iter()
            .map(|r| RowOut::from(r.row))
            .collect::<Vec<_>>()
    });
    Ok(Json(SubmissionDetail {
        summary: SubmissionSummary::from(&submission),
        rows: rows.into_iter().map(RowOut::from).collect(),
        changes,
        rollups,
        comments,
        edited,
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
        .store()
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

/// Submit a draft, or a returned submission again (a new version; the earlier one is kept):
/// its rows as they stand (a returned one's as its unit edited them, or else as returned), or
/// the rows of the body (`{"rows": [...]}`), checked as a new submission's are.
#[utoipa::path(post, path = "/api/submissions/{id}/submit", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    request_body(content = Option<RowsBody>, content_type = "application/json"),
    responses(StepAnswers,
              (status = 422, description = "Problems with the rows sent (every one); nothing stored", body = Problems)))]
pub(crate) async fn submit(
    State(service): AppState,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut rows = None;
    if let Some(request) = rows_body(&body)? {
        let lang = lang_of(&uri, &headers);
        let submission = visible_submission(&service, &caller, &id).await?;
        // The state and the unit first: a submitted one is 409 whatever the rows.
        submission
            .workflow()
            .apply(&caller.actor, Step::Submit)
            .map_err(|e| refused(e.into()))?;
        match check_edit(&service, lang, &submission, request).await? {
            Ok(checked) => rows = Some(checked.rows),
            Err(problems) => return Ok(unprocessable(problems)),
        }
    }
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (service.primary(), &service.plan);
        let client = caller.client.clone();
        store
            .submit_submission(&caller.actor, client, plan, id, rows.as_deref())
            .await
            .map(drop)
            .map_err(refused)
    })
    .await
    .map(IntoResponse::into_response)
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
        let (store, plan) = (service.primary(), &service.plan);
        let client = caller.client.clone();
        store
            .withdraw_submission(&caller.actor, client, plan, id)
            .await
            .map_err(refused)
    })
    .await
}

/// Approve a submission, with an optional comment (`{"comment"}`, kept with the version and
/// in the audit entry): its rows are published as one import batch. Four eyes: not by who
/// submitted it. When a figure it was compared with was published since, it needs a fresh
/// review (409 `stale_base`).
#[utoipa::path(post, path = "/api/submissions/{id}/approve", tag = "submissions",
    params(("id" = i64, Path, minimum = 1, description = "The submission")),
    request_body(content = Option<ApproveBody>, content_type = "application/json"),
    responses(StepAnswers))]
pub(crate) async fn approve(
    State(service): AppState,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Moved>, ApiError> {
    let comment = approve_comment(&body)?;
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (service.primary(), &service.plan);
        let settings = ImportSettings::default();
        let client = caller.client.clone();
        let comment = comment.as_deref();
        store
            .approve_submission(&caller.actor, client, plan, id, comment, settings)
            .await
            .map_err(import_refused)?;
        // The published figures changed: this server's caches are emptied now, not at the
        // next poll.
        service.observe(store.last_change(&plan.id).await?);
        Ok(())
    })
    .await
}

/// An approval's optional comment (`{"comment"}`, or an empty body); a blank one is none.
pub(crate) fn approve_comment(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let request: Option<ApproveBody> = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"comment\"}}: {e}")))?;
    Ok(request
        .and_then(|r| r.comment)
        .filter(|c| !c.trim().is_empty()))
}

/// A return's comment (`{"comment"}`).
pub(crate) fn return_comment(body: &[u8]) -> Result<String, ApiError> {
    let request: ReturnBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"comment\"}}: {e}")))?;
    Ok(request.comment)
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
    let comment = return_comment(&body)?;
    step(&service, &caller, &id, async |id| {
        let (store, plan) = (service.primary(), &service.plan);
        let client = caller.client.clone();
        store
            .return_submission(&caller.actor, client, plan, id, &comment)
            .await
            .map_err(refused)
    })
    .await
}

#[cfg(test)]
mod tests;
