//! 督查督办 Supervision on the web (issue 14): `GET /api/supervision` (the records: 提醒, 警示,
//! 督办, filters year, unit, level, unanswered), `GET /api/supervision/orders/{id}` (one 督办单
//! with its answer) and `POST /api/supervision/orders/{id}/answer` (`{text, date}`, the unit's
//! answer, audited `supervision.answer`); the 督查督办 page `/supervision` (the unanswered
//! 督办单 first, longest overdue first, then every record by level), the order page
//! `/supervision/orders/{id}` with its answer form (`/supervision/orders/{id}/answer`) and the
//! printable 督办单 `/supervision/orders/{id}/print`. The routes' rule lets the plan office,
//! viewers and reporters in (`Object::Supervision { unit: None }`); each record is then asked of
//! with its unit, so that a reporter sees and answers its own units' only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use minijinja::context;
use planwatch_access::{Action, Actor, Object, Role, Unit, resolve_unit};
use planwatch_store::{StoreError, SupervisionFilter, SupervisionRecord, Who, unanswered_orders};
use planwatch_tasks::{AnswerRefusal, Level};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::present;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::v;
use crate::reporting::{parse_year, today, unit_name};
use crate::service::Service;

/// The pages and the answer form (the access rules must cover each: `rules`).
pub(crate) const PAGE_PATHS: [&str; 4] = [
    "/supervision",
    "/supervision/orders/{id}",
    "/supervision/orders/{id}/print",
    "/supervision/orders/{id}/answer",
];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(
        PAGE_PATHS,
        [
            get(page),
            get(order_page),
            get(print_page),
            post(page_answer),
        ],
    )
}

/// The longest answer taken, in characters.
pub(crate) const MAX_ANSWER_CHARS: usize = 2000;

/// Which records.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SupervisionParams {
    /// The tasks' year
    year: Option<String>,
    /// The unit told (a region or department code)
    unit: Option<String>,
    /// reminder, warning or order
    level: Option<String>,
    /// true: only the 督办单 not yet answered, the longest overdue first
    unanswered: Option<String>,
}

/// A unit's answer to a 督办单.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnswerOut {
    text: String,
    /// YYYY-MM-DD, the day the unit dates it
    date: String,
    /// Who recorded it (a user name, `cli:USER` …)
    by: String,
    /// YYYY-MM-DD HH:MM:SS, UTC
    at: String,
}

/// A 督办单: when its answer is due, and the answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderOut {
    /// YYYY-MM-DD
    answer_by: String,
    /// Unanswered after its day (today, UTC)
    overdue: bool,
    /// Answered after its day
    answered_late: bool,
    answer: Option<AnswerOut>,
}

/// A supervision record: a notice of a level to a task's lead unit for a period.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecordOut {
    /// The record's id, a 督办单's number
    id: i64,
    task: i64,
    year: u16,
    /// The task's 序号 in its year's sheet
    task_no: String,
    task_title: String,
    /// The plan clause (by ref)
    clause: String,
    /// The reporting period (2024Q3, 2024-07, 2024)
    period: String,
    /// reminder, warning or order
    level: &'static str,
    /// 提醒, 警示 or 督办
    level_zh: &'static str,
    /// The task's status at the period (lagging, serious, overdue, not_reported …)
    status: &'static str,
    status_zh: &'static str,
    /// YYYY-MM-DD
    issued: String,
    /// region:CODE or department:CODE
    unit: String,
    unit_name: String,
    title_zh: String,
    title_en: String,
    text_zh: String,
    text_en: String,
    /// For a 督办 record
    order: Option<OrderOut>,
}

impl RecordOut {
    pub(crate) fn of(service: &Service, record: &SupervisionRecord, today: NaiveDate) -> RecordOut {
        let order = record.as_order();
        RecordOut {
            id: record.id,
            task: record.task_id,
            year: record.year,
            task_no: record.task_key.clone(),
            task_title: record.task_title.clone(),
            clause: record.clause.clone(),
            period: record.period.to_string(),
            level: record.level.as_str(),
            level_zh: record.level.label_zh(),
            status: record.status.as_str(),
            status_zh: record.status.label_zh(),
            issued: record.issued.to_string(),
            unit: record.unit.to_string(),
            unit_name: unit_name(&service.plan, &record.unit, Lang::Zh),
            title_zh: record.title_zh.clone(),
            title_en: record.title_en.clone(),
            text_zh: record.text_zh.clone(),
            text_en: record.text_en.clone(),
            order: record
                .order
                .as_ref()
                .zip(order)
                .map(|(stored, order)| OrderOut {
                    answer_by: stored.answer_by.to_string(),
                    overdue: order.overdue(today),
                    answered_late: order.answered_late(),
                    answer: stored.answer.as_ref().map(|a| AnswerOut {
                        text: a.text.clone(),
                        date: a.date.to_string(),
                        by: a.by.clone(),
                        at: a.at.clone(),
                    }),
                }),
        }
    }
}

/// An answer to a 督办单.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AnswerBody {
    /// The causes, the remedies and when the task will be done
    #[schema(min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")]
    text: String,
    /// The day the unit dates its answer (YYYY-MM-DD; default today, UTC); not before the order
    #[schema(format = Date)]
    date: Option<String>,
}

/// The units a reporter sees (the other roles see every unit's).
fn scope(actor: &Actor) -> Option<Vec<Unit>> {
    actor
        .account()
        .filter(|a| a.role == Role::Reporter)
        .map(|a| a.units.clone())
}

fn flag(field: &'static str, text: Option<&str>) -> Result<bool, ApiError> {
    match present(text) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad(
            field,
            format!("应为 true 或 false，而不是 \"{other}\""),
            format!("must be true or false, not \"{other}\""),
        )),
    }
}

fn level(text: Option<&str>) -> Result<Option<Level>, ApiError> {
    present(text)
        .map(|text| {
            Level::ALL
                .into_iter()
                .find(|l| l.as_str() == text || l.label_zh() == text)
                .ok_or_else(|| {
                    ApiError::bad(
                        "level",
                        format!("应为 reminder、warning 或 order，而不是 \"{text}\""),
                        format!("must be reminder, warning or order, not \"{text}\""),
                    )
                })
        })
        .transpose()
}

fn filter_of(
    service: &Service,
    caller: &Caller,
    params: &SupervisionParams,
) -> Result<SupervisionFilter, ApiError> {
    let unit = present(params.unit.as_deref())
        .map(|code| {
            resolve_unit(&service.plan, code).map_err(|problem| {
                let text = problem.to_string();
                ApiError::bad("unit", text.clone(), text)
            })
        })
        .transpose()?;
    let year = parse_year(params.year.as_deref())?;
    if year.is_some_and(|y| !(1900..=2100).contains(&y)) {
        return Err(ApiError::bad(
            "year",
            "年份应在 1900 至 2100 之间",
            "a year from 1900 to 2100",
        ));
    }
    Ok(SupervisionFilter {
        year,
        unit,
        units: scope(&caller.actor),
        level: level(params.level.as_deref())?,
        unanswered: flag("unanswered", params.unanswered.as_deref())?,
        task: None,
    })
}

async fn records_of(
    service: &Service,
    caller: &Caller,
    params: &SupervisionParams,
) -> Result<Vec<SupervisionRecord>, ApiError> {
    let filter = filter_of(service, caller, params)?;
    let records = service.store().supervision(&service.plan, &filter).await?;
    Ok(if filter.unanswered {
        unanswered_orders(&records).into_iter().cloned().collect()
    } else {
        records
    })
}

/// The supervision records the caller may see (a reporter: its units'), the latest issued
/// first; with `unanswered=true` the open 督办单, the longest overdue first.
#[utoipa::path(get, path = "/api/supervision", tag = "supervision",
    params(SupervisionParams),
    responses((status = 200, description = "The records", body = Vec<RecordOut>),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not allowed", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Query(params): Query<SupervisionParams>,
) -> Result<Json<Vec<RecordOut>>, ApiError> {
    let records = records_of(&service, &caller, &params).await?;
    let today = today();
    Ok(Json(
        records
            .iter()
            .map(|r| RecordOut::of(&service, r, today))
            .collect(),
    ))
}

fn order_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::bad(
            "id",
            format!("督办单编号应为正整数，而不是 \"{id}\""),
            format!("an order number is a whole number from 1, not \"{id}\""),
        )
    })
}

fn no_order(id: i64) -> ApiError {
    ApiError::not_found(format!("督办单 {id}"), format!("supervision order {id}"))
}

/// The 督办单 `id` if the caller may `action` it.
async fn order_for(
    service: &Service,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<SupervisionRecord, ApiError> {
    let id = order_id(id)?;
    let record = service
        .store()
        .supervision_record(&service.plan, id)
        .await?
        .filter(|r| r.order.is_some())
        .ok_or_else(|| no_order(id))?;
    service
        .policy()
        .may(
            &caller.actor,
            action,
            &Object::Supervision {
                unit: Some(record.unit.clone()),
            },
        )
        .into_result()
        .map_err(ApiError::Denied)?;
    Ok(record)
}

/// One 督办单 with its answer.
#[utoipa::path(get, path = "/api/supervision/orders/{id}", tag = "supervision",
    params(("id" = i64, Path, minimum = 1, description = "The order's number")),
    responses((status = 200, description = "The order", body = RecordOut),
              (status = 400, description = "Not a number", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Another unit's order", body = ErrorBody),
              (status = 404, description = "No such order", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RecordOut>, ApiError> {
    let record = order_for(&service, &caller, &id, Action::Read).await?;
    Ok(Json(RecordOut::of(&service, &record, today())))
}

/// Records the caller's answer to 督办单 `id`.
async fn answer_as(
    service: &Service,
    caller: &Caller,
    id: &str,
    text: &str,
    date: Option<&str>,
) -> Result<SupervisionRecord, ApiError> {
    let record = order_for(service, caller, id, Action::Submit).await?;
    if text.chars().count() > MAX_ANSWER_CHARS || text.contains('\0') {
        return Err(ApiError::bad(
            "text",
            format!("答复至多 {MAX_ANSWER_CHARS} 字，且不含控制字符"),
            format!("an answer has at most {MAX_ANSWER_CHARS} characters and no NUL"),
        ));
    }
    let date = match present(date) {
        None => today(),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::bad(
                "date",
                format!("应为 YYYY-MM-DD 格式的日期，而不是 \"{text}\""),
                format!("must be a day as YYYY-MM-DD, not \"{text}\""),
            )
        })?,
    };
    let who = Who::of(&caller.actor, caller.client.clone());
    service
        .primary()
        .answer_order(&who, &service.plan, record.id, date, text)
        .await
        .map_err(|error| match error {
            StoreError::AnswerRefused(refusal) => {
                let text = refusal.to_string();
                match refusal {
                    AnswerRefusal::Answered(_) => ApiError::conflict("answered", &text),
                    AnswerRefusal::Empty => {
                        let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
                        ApiError::bad("text", zh, en)
                    }
                    AnswerRefusal::BeforeIssue { .. } => {
                        let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
                        ApiError::bad("date", zh, en)
                    }
                }
            }
            StoreError::UnknownOrder(id) => no_order(id),
            other => other.into(),
        })
}

/// The unit's answer to a 督办单 (audited: `supervision.answer`): once, with a text, not dated
/// before the order. The order's unit's reporters (and administrators) only.
#[utoipa::path(post, path = "/api/supervision/orders/{id}/answer", tag = "supervision",
    params(("id" = i64, Path, minimum = 1, description = "The order's number")),
    request_body = AnswerBody,
    responses((status = 200, description = "Answered: the order", body = RecordOut),
              (status = 400, description = "Not such a body, a blank text, a day before the order", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not the order's unit", body = ErrorBody),
              (status = 404, description = "No such order", body = ErrorBody),
              (status = 409, description = "Answered already", body = ErrorBody)))]
pub(crate) async fn answer(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<RecordOut>, ApiError> {
    let request: AnswerBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"text\", \"date\"}}: {e}")))?;
    let record = answer_as(
        &service,
        &caller,
        &id,
        &request.text,
        request.date.as_deref(),
    )
    .await?;
    Ok(Json(RecordOut::of(&service, &record, today())))
}

/// A record as the pages show it.
#[derive(Debug, Serialize)]
struct Row {
    record: RecordOut,
    level_label: String,
    title: String,
    text: String,
    unit_label: String,
    /// Days past the answer's day, for an open order.
    overdue_days: i64,
}

fn row(service: &Service, record: &SupervisionRecord, lang: Lang, today: NaiveDate) -> Row {
    let zh = lang == Lang::Zh;
    let overdue_days = record
        .order
        .as_ref()
        .filter(|o| o.answer.is_none())
        .map_or(0, |o| (today - o.answer_by).num_days().max(0));
    Row {
        record: RecordOut::of(service, record, today),
        level_label: if zh {
            record.level.label_zh().to_owned()
        } else {
            format!("{} {}", record.level.label_zh(), record.level.label_en())
        },
        title: if zh {
            record.title_zh.clone()
        } else {
            record.title_en.clone()
        },
        text: if zh {
            record.text_zh.clone()
        } else {
            record.text_en.clone()
        },
        unit_label: unit_name(&service.plan, &record.unit, lang),
        overdue_days,
    }
}

/// The 督查督办 page: the open 督办单 first (longest overdue first), then the records by level.
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(params): Query<SupervisionParams>,
) -> Result<Html<String>, ApiError> {
    let lang = request.lang();
    let filter = filter_of(&service, &request.caller, &params)?;
    let records = service.store().supervision(&service.plan, &filter).await?;
    let today = today();
    let open: Vec<Row> = unanswered_orders(&records)
        .into_iter()
        .map(|r| row(&service, r, lang, today))
        .collect();
    let levels: Vec<serde_json::Value> = Level::ALL
        .into_iter()
        .rev()
        .map(|level| {
            let rows: Vec<Row> = records
                .iter()
                .filter(|r| r.level == level)
                .map(|r| row(&service, r, lang, today))
                .collect();
            serde_json::json!({
                "level": level.as_str(),
                "label_zh": level.label_zh(),
                "label_en": level.label_en(),
                "rows": rows,
            })
        })
        .collect();
    Ok(Html(request.render(
        &service,
        "supervision.html",
        ("督查督办", "Supervision"),
        context! {
            open => v(&open),
            levels => v(&levels),
            own_units => scope(&request.caller.actor).is_some(),
            total => records.len(),
        },
    )?))
}

/// What the order page and its print view show.
async fn order_context(
    service: &Service,
    request: &PageRequest,
    id: &str,
) -> Result<minijinja::Value, ApiError> {
    let lang = request.lang();
    let record = order_for(service, &request.caller, id, Action::Read).await?;
    let may_answer = service
        .policy()
        .may(
            &request.caller.actor,
            Action::Submit,
            &Object::Supervision {
                unit: Some(record.unit.clone()),
            },
        )
        .is_allowed();
    let today = today();
    Ok(context! {
        order => v(&row(service, &record, lang, today)),
        clause_zh => planwatch_plan::SourceRef(record.clause.clone()).display_zh(),
        may_answer => may_answer,
        today => today.to_string(),
        max_answer => MAX_ANSWER_CHARS,
    })
}

/// A 督办单's page: its words, its answer or the answer form.
async fn order_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let extra = order_context(&service, &request, &id).await?;
    Ok(Html(request.render(
        &service,
        "supervision_order.html",
        ("督办单", "Supervision order"),
        extra,
    )?))
}

/// The printable 督办单 (A4).
async fn print_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let extra = order_context(&service, &request, &id).await?;
    Ok(Html(request.render(
        &service,
        "supervision_print.html",
        ("督办单", "Supervision order"),
        extra,
    )?))
}

#[derive(Debug, Deserialize)]
struct AnswerForm {
    text: Option<String>,
    date: Option<String>,
}

/// The order page's form: answers and goes back to the order.
async fn page_answer(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, ApiError> {
    let record = answer_as(
        &service,
        &caller,
        &id,
        form.text.as_deref().unwrap_or_default(),
        form.date.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/supervision/orders/{}", record.id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_flags_are_read_or_refused() {
        assert_eq!(level(None).unwrap(), None);
        assert_eq!(level(Some("order")).unwrap(), Some(Level::Order));
        assert_eq!(level(Some("警示")).unwrap(), Some(Level::Warning));
        assert!(level(Some("urgent")).is_err());
        assert!(flag("unanswered", Some("true")).unwrap());
        assert!(!flag("unanswered", Some("")).unwrap());
        assert!(flag("unanswered", Some("1")).is_err());
        assert_eq!(order_id("12").unwrap(), 12);
        assert!(order_id("0").is_err() && order_id("x").is_err());
    }
}
