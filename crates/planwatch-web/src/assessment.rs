//! 年度考核 The yearly assessment on the web (issue 14): `GET /api/scores` (every unit's score
//! and rank among its kind; a reporter gets its own units only), `GET /api/scores/{unit}` (one
//! unit's breakdown), `GET /api/scores/export` (the ranking with its components as CSV, Chinese
//! headers with English beside), `POST /api/scores/adjustments` (a planner's 加分/扣分, audited
//! `score.adjust`) and `POST /api/scores/freeze` (audited `score.freeze`); the 考核 page
//! `/assessment` (one table per kind, the frozen banner or the 冻结 form) and a unit's page
//! `/assessment/{unit}` (every line by component, its source linked, and the 加分/扣分 form).
//! The read routes let every signed-in account in; each unit is then asked of
//! (`Object::Scores { unit }`), so that a reporter sees its own units only. Worked out by
//! `planwatch_app::scoring`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use minijinja::context;
use planwatch_access::{Action, Object, Unit};
use planwatch_app::scoring::{
    AdjustRequest, LineResult, ScoreError, UnitResult, YearScores, assessed_unit,
};
use planwatch_plan::Plan;
use planwatch_store::{StoreError, Who};
use planwatch_tasks::scoring::AdjustmentKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::{XLSX, download, present};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::pages::v;
use crate::reporting::{parse_year, today};
use crate::service::Service;

/// The pages and their forms (the access rules must cover each: `rules`).
pub(crate) const PAGE_PATHS: [&str; 4] = [
    "/assessment",
    "/assessment/freeze",
    "/assessment/{unit}",
    "/assessment/{unit}/adjust",
];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(
        PAGE_PATHS,
        [
            get(page),
            post(page_freeze),
            get(unit_page),
            post(page_adjust),
        ],
    )
}

/// Which year, scored on which day.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ScoresParams {
    /// The year assessed (default: the plan's latest year with data)
    year: Option<String>,
    /// YYYY-MM-DD, the day the data is scored on (default today, UTC); a frozen year ignores it
    date: Option<String>,
}

/// Which year, in which format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// The year assessed (default: the plan's latest year with data)
    year: Option<String>,
    /// csv (the default) or xlsx
    format: Option<String>,
}

/// A planner's bonus (加分) or deduction (扣分) for a unit (its schema in the document is
/// narrowed to the plan's years and units by [`describe_bodies`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdjustBody {
    /// A year of the plan
    year: u16,
    /// A region or department code the plan assesses
    unit: String,
    kind: KindIn,
    /// More than 0, within the year's cap for the kind
    points: f64,
    #[schema(min_length = 1, max_length = 500, pattern = "^[^\\u0000]*$")]
    reason: String,
}

/// 加分 or 扣分.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum KindIn {
    Bonus,
    Deduction,
}

/// The year to freeze.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FreezeBody {
    /// A year of the plan
    year: u16,
    /// YYYY-MM-DD, the day the data is scored on (default today, UTC)
    #[schema(format = Date)]
    date: Option<String>,
}

/// The recorded adjustment's id.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Adjusted {
    id: i64,
}

/// The bodies' schemas in the OpenAPI document narrowed to what `plan` admits (its years, the
/// units it assesses), so that a client following the document is refused only by the rules
/// (the cap, a frozen year, a blank reason).
pub(crate) fn describe_bodies(openapi: &mut utoipa::openapi::OpenApi, plan: &Plan) {
    let years = crate::locks::years(plan);
    let units = assessed_codes(plan);
    let year = serde_json::json!({ "type": "integer", "minimum": years.start(),
                                   "maximum": years.end(), "example": 2024 });
    let adjust = serde_json::json!({
        "type": "object",
        "description": "A bonus (加分) or deduction (扣分) for a unit the plan assesses, with its reason",
        "required": ["year", "unit", "kind", "points", "reason"],
        "properties": {
            "year": year,
            "unit": { "type": "string", "enum": units, "example": "510104" },
            "kind": { "type": "string", "enum": ["bonus", "deduction"] },
            "points": { "type": "number", "exclusiveMinimum": 0, "maximum": 1000, "example": 1 },
            "reason": { "type": "string", "minLength": 1, "maxLength": MAX_REASON_CHARS,
                        "pattern": "^[^\\u0000]*$" },
        },
        "additionalProperties": false,
    });
    let freeze = serde_json::json!({
        "type": "object",
        "description": "A year of the plan to freeze, scored on a day (default today, UTC)",
        "required": ["year"],
        "properties": {
            "year": year,
            "date": { "type": ["string", "null"], "format": "date" },
        },
        "additionalProperties": false,
    });
    if let Some(components) = openapi.components.as_mut() {
        for (name, schema) in [("AdjustBody", adjust), ("FreezeBody", freeze)] {
            if let Ok(schema) = serde_json::from_value(schema) {
                components.schemas.insert(name.to_owned(), schema);
            }
        }
    }
}

/// The codes of the units `plan` assesses (regions', departments').
pub(crate) fn assessed_codes(plan: &Plan) -> Vec<String> {
    plan.regions
        .iter()
        .map(|r| r.code.clone())
        .chain(plan.departments.iter().map(|d| d.code.clone()))
        .filter(|code| assessed_unit(plan, code).is_ok())
        .collect()
}

/// The longest reason taken, in characters.
const MAX_REASON_CHARS: usize = 500;

pub(crate) fn year_in_range(year: u16) -> Result<u16, ApiError> {
    if (1900..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::bad(
            "year",
            "年份应在 1900 至 2100 之间",
            "a year from 1900 to 2100",
        ))
    }
}

/// A year of the plan, for the changes.
fn plan_year(plan: &Plan, year: u16) -> Result<u16, ApiError> {
    let years = crate::locks::years(plan);
    if years.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::bad(
            "year",
            format!(
                "应为规划的年份（{}–{}），而不是 {year}",
                years.start(),
                years.end()
            ),
            format!(
                "must be a year of the plan ({}–{}), not {year}",
                years.start(),
                years.end()
            ),
        ))
    }
}

fn day(text: Option<&str>) -> Result<NaiveDate, ApiError> {
    match present(text) {
        None => Ok(today()),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::bad(
                "date",
                format!("应为 YYYY-MM-DD 格式的日期，而不是 \"{text}\""),
                format!("must be a day as YYYY-MM-DD, not \"{text}\""),
            )
        }),
    }
}

/// A refusal of the rules or the store as the API says it; anything else as it is.
fn score_error(error: ScoreError) -> ApiError {
    match error {
        ScoreError::Store(e @ StoreError::ScoresFrozen(_)) => {
            ApiError::conflict("frozen", &e.to_string())
        }
        ScoreError::Store(e @ StoreError::OverCap { .. }) => {
            let text = e.to_string();
            let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
            ApiError::bad("points", zh, en)
        }
        ScoreError::Store(e) => e.into(),
        e @ ScoreError::UnknownUnit(_) => {
            let text = e.to_string();
            let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
            ApiError::bad("unit", zh, en)
        }
        e @ ScoreError::NoReason => {
            let text = e.to_string();
            let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
            ApiError::bad("reason", zh, en)
        }
        e => ApiError::refused(&e.to_string()),
    }
}

/// The year's scores with only the units the caller may read.
async fn scores_for(
    service: &Service,
    caller: &Caller,
    year: Option<&str>,
    date: Option<&str>,
) -> Result<YearScores, ApiError> {
    let year = match parse_year(year)? {
        Some(year) => year_in_range(year)?,
        None => planwatch_app::default_year(service.store(), &service.plan).await?,
    };
    let day = day(date)?;
    let mut scores = planwatch_app::scoring::score_year(service.store(), &service.plan, year, day)
        .await
        .map_err(score_error)?;
    let policy = service.policy();
    let all = policy
        .may(&caller.actor, Action::Read, &Object::Scores { unit: None })
        .is_allowed();
    if !all {
        scores.units.retain(|u| {
            unit_of(u).is_some_and(|unit| {
                policy
                    .may(
                        &caller.actor,
                        Action::Read,
                        &Object::Scores { unit: Some(unit) },
                    )
                    .is_allowed()
            })
        });
    }
    Ok(scores)
}

fn unit_of(result: &UnitResult) -> Option<Unit> {
    Unit::from_parts(
        result.unit.split(':').next().unwrap_or_default(),
        &result.code,
    )
}

/// The unit `code` names, if the caller may read its score.
fn readable_unit(service: &Service, caller: &Caller, code: &str) -> Result<Unit, ApiError> {
    let unit = assessed_unit(&service.plan, code).map_err(|_| {
        ApiError::not_found(format!("考核单位 {code}"), format!("assessed unit {code}"))
    })?;
    service
        .policy()
        .may(
            &caller.actor,
            Action::Read,
            &Object::Scores {
                unit: Some(unit.clone()),
            },
        )
        .into_result()
        .map_err(ApiError::Denied)?;
    Ok(unit)
}

/// Every unit's score of a year and its rank among its kind (districts, departments, managed
/// areas apart), with the breakdown; a reporter gets its own units only. A frozen year answers
/// the result stored when it was frozen.
#[utoipa::path(get, path = "/api/scores", tag = "assessment",
    params(ScoresParams),
    responses((status = 200, description = "The year's scores", body = YearScores),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not allowed", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Query(params): Query<ScoresParams>,
) -> Result<Json<YearScores>, ApiError> {
    Ok(Json(
        scores_for(
            &service,
            &caller,
            params.year.as_deref(),
            params.date.as_deref(),
        )
        .await?,
    ))
}

/// One unit's score: its total, rank and every line explaining a point.
#[utoipa::path(get, path = "/api/scores/{unit}", tag = "assessment",
    params(("unit" = String, Path, description = "A region or department code the plan assesses"),
           ScoresParams),
    responses((status = 200, description = "The unit's score", body = UnitResult),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Another unit's score", body = ErrorBody),
              (status = 404, description = "No such unit assessed", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(code): Path<String>,
    Query(params): Query<ScoresParams>,
) -> Result<Json<UnitResult>, ApiError> {
    Ok(Json(
        unit_result(&service, &caller, &code, &params).await?.1,
    ))
}

async fn unit_result(
    service: &Service,
    caller: &Caller,
    code: &str,
    params: &ScoresParams,
) -> Result<(YearScores, UnitResult), ApiError> {
    let unit = readable_unit(service, caller, code)?;
    let scores = scores_for(
        service,
        caller,
        params.year.as_deref(),
        params.date.as_deref(),
    )
    .await?;
    let result = scores.unit(&unit.to_string()).cloned().ok_or_else(|| {
        ApiError::not_found(format!("考核单位 {code}"), format!("assessed unit {code}"))
    })?;
    Ok((scores, result))
}

/// `code`'s result of `year` with the year's scores, if the plan assesses the unit and the
/// caller may read its score (the unit page's section).
pub(crate) async fn readable_result(
    service: &Service,
    caller: &Caller,
    code: &str,
    year: u16,
) -> Result<Option<(YearScores, UnitResult)>, ApiError> {
    let params = ScoresParams {
        year: Some(year.to_string()),
        date: None,
    };
    match unit_result(service, caller, code, &params).await {
        Ok(found) => Ok(Some(found)),
        Err(ApiError::Denied(_) | ApiError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The ranking as a table: a row per unit the caller may read, its components' points.
fn csv_of(scores: &YearScores) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = scores.ranking_header();
    let csv_error = |e: csv::Error| ApiError::BadRequest(e.to_string());
    writer.write_record(&header).map_err(csv_error)?;
    for unit in &scores.units {
        let mut row = vec![
            unit.group_zh.clone(),
            unit.rank.map(|r| r.to_string()).unwrap_or_default(),
            unit.code.clone(),
            unit.name.clone(),
            format!("{:.2}", unit.total),
            format!("{:.2}", unit.base),
            format!("{:.2}", unit.bonus),
            format!("{:.2}", unit.deduction),
        ];
        row.extend(unit.components.iter().map(|c| format!("{:.2}", c.points)));
        writer.write_record(&row).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The ranking with every component's points, as CSV (UTF-8, Chinese headers with English
/// beside) or XLSX (the ranking, and every line of the breakdown on a second sheet); the units
/// the caller may read.
#[utoipa::path(get, path = "/api/scores/export", tag = "assessment",
    params(ExportParams),
    responses((status = 200, description = "The ranking", content(
                  ("text/csv"),
                  ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not allowed", body = ErrorBody)))]
pub(crate) async fn export(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let xlsx = match present(params.format.as_deref()) {
        None | Some("csv") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(ApiError::bad(
                "format",
                format!("应为 csv 或 xlsx，而不是 \"{other}\""),
                format!("must be csv or xlsx, not \"{other}\""),
            ));
        }
    };
    let scores = scores_for(&service, &caller, params.year.as_deref(), None).await?;
    let name = format!("scores-{}", scores.year);
    Ok(if xlsx {
        download(
            planwatch_app::scores_xlsx::write_xlsx(&scores)?,
            XLSX,
            &format!("{name}.xlsx"),
        )
    } else {
        download(
            csv_of(&scores)?,
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        )
    })
}

fn kind_of(text: &str) -> Result<AdjustmentKind, ApiError> {
    match text {
        "bonus" | "加分" => Ok(AdjustmentKind::Bonus),
        "deduction" | "扣分" => Ok(AdjustmentKind::Deduction),
        other => Err(ApiError::bad(
            "kind",
            format!("应为 bonus（加分）或 deduction（扣分），而不是 \"{other}\""),
            format!("must be bonus or deduction, not \"{other}\""),
        )),
    }
}

/// Records a bonus or deduction as `caller`; its id.
async fn adjust_as(
    service: &Service,
    caller: &Caller,
    year: u16,
    code: &str,
    kind: AdjustmentKind,
    points: f64,
    reason: &str,
) -> Result<i64, ApiError> {
    let year = plan_year(&service.plan, year)?;
    if !(points.is_finite() && points > 0.0) {
        return Err(ApiError::bad(
            "points",
            "分值应大于 0",
            "points must be more than 0",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.contains('\0') {
        return Err(ApiError::bad(
            "reason",
            format!("理由至多 {MAX_REASON_CHARS} 字，且不含控制字符"),
            format!("a reason has at most {MAX_REASON_CHARS} characters and no NUL"),
        ));
    }
    let unit = assessed_unit(&service.plan, code).map_err(score_error)?;
    let who = Who::of(&caller.actor, caller.client.clone());
    planwatch_app::scoring::adjust(
        service.store(),
        &who,
        &service.plan,
        &AdjustRequest {
            year,
            unit,
            kind,
            points,
            reason: reason.to_owned(),
        },
    )
    .await
    .map_err(score_error)
}

/// Records a bonus (加分) or deduction (扣分) for a unit with its reason (audited
/// `score.adjust`): within the year's cap, not for a frozen year. The plan office only.
#[utoipa::path(post, path = "/api/scores/adjustments", tag = "assessment",
    request_body = AdjustBody,
    responses((status = 200, description = "Recorded", body = Adjusted),
              (status = 400, description = "Not such a body, an unknown unit, no reason, over the cap", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not the plan office", body = ErrorBody),
              (status = 409, description = "The year is frozen", body = ErrorBody)))]
pub(crate) async fn adjust(
    State(service): State<Arc<Service>>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Adjusted>, ApiError> {
    let request: AdjustBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "{{\"year\", \"unit\", \"kind\", \"points\", \"reason\"}}: {e}"
        ))
    })?;
    let id = adjust_as(
        &service,
        &caller,
        request.year,
        &request.unit,
        match request.kind {
            KindIn::Bonus => AdjustmentKind::Bonus,
            KindIn::Deduction => AdjustmentKind::Deduction,
        },
        request.points,
        &request.reason,
    )
    .await?;
    Ok(Json(Adjusted { id }))
}

async fn freeze_as(
    service: &Service,
    caller: &Caller,
    year: u16,
    date: Option<&str>,
) -> Result<YearScores, ApiError> {
    let year = plan_year(&service.plan, year)?;
    let day = day(date)?;
    let who = Who::of(&caller.actor, caller.client.clone());
    planwatch_app::scoring::freeze(service.primary(), &who, &service.plan, year, day)
        .await
        .map_err(score_error)
}

/// Freezes a year's result (audited `score.freeze`): later data no longer moves it. The plan
/// office only; an administrator unfreezes (CLI).
#[utoipa::path(post, path = "/api/scores/freeze", tag = "assessment",
    request_body = FreezeBody,
    responses((status = 200, description = "Frozen: the result", body = YearScores),
              (status = 400, description = "Not such a body", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not the plan office", body = ErrorBody),
              (status = 409, description = "Frozen already", body = ErrorBody)))]
pub(crate) async fn freeze(
    State(service): State<Arc<Service>>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<YearScores>, ApiError> {
    let request: FreezeBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"year\", \"date\"}}: {e}")))?;
    Ok(Json(
        freeze_as(&service, &caller, request.year, request.date.as_deref()).await?,
    ))
}

/// The kinds ranked apart, in the page's order.
const GROUPS: [&str; 3] = ["district", "department", "managed_area"];

fn may_change(service: &Service, caller: &Caller) -> bool {
    service
        .policy()
        .may(
            &caller.actor,
            Action::Change,
            &Object::Scores { unit: None },
        )
        .is_allowed()
}

/// The 考核 page: a table per kind, the frozen banner or the 冻结 form, the export link.
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(params): Query<ScoresParams>,
) -> Result<Html<String>, ApiError> {
    let scores = scores_for(
        &service,
        &request.caller,
        params.year.as_deref(),
        params.date.as_deref(),
    )
    .await?;
    let groups: Vec<serde_json::Value> = GROUPS
        .iter()
        .filter_map(|group| {
            let units: Vec<&UnitResult> =
                scores.units.iter().filter(|u| u.group == *group).collect();
            let first = units.first()?;
            Some(serde_json::json!({
                "group": group,
                "label_zh": first.group_zh,
                "units": units,
            }))
        })
        .collect();
    let components = scores
        .units
        .first()
        .map(|u| u.components.clone())
        .unwrap_or_default();
    let years: Vec<u16> = (service.plan.base_year + 1..=service.plan.target_year).collect();
    Ok(Html(request.render(
        &service,
        "assessment.html",
        ("年度考核", "Assessment"),
        context! {
            scores => v(&scores),
            groups => v(&groups),
            components => v(&components),
            years => v(&years),
            may_change => may_change(&service, &request.caller),
        },
    )?))
}

/// A unit's assessment: its total and every line by component, with the 加分/扣分 form.
async fn unit_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(code): Path<String>,
    Query(params): Query<ScoresParams>,
) -> Result<Html<String>, ApiError> {
    unit_page_with(&service, &request, &code, &params, None).await
}

async fn unit_page_with(
    service: &Service,
    request: &PageRequest,
    code: &str,
    params: &ScoresParams,
    message: Option<String>,
) -> Result<Html<String>, ApiError> {
    let (scores, result) = unit_result(service, &request.caller, code, params).await?;
    let office = service
        .policy()
        .may(&request.caller.actor, Action::Approve, &Object::Submissions)
        .is_allowed();
    let line = |l: &LineResult| serde_json::json!({ "line": l, "href": source_href(l, office) });
    let groups: Vec<serde_json::Value> = result
        .components
        .iter()
        .map(|c| {
            let lines: Vec<_> = result
                .lines
                .iter()
                .filter(|l| l.component.as_deref() == Some(c.component.as_str()))
                .map(line)
                .collect();
            serde_json::json!({ "component": c, "lines": lines })
        })
        .collect();
    let adjustments: Vec<_> = result
        .lines
        .iter()
        .filter(|l| l.component.is_none())
        .collect();
    Ok(Html(request.render(
        service,
        "assessment_unit.html",
        ("单位考核", "Unit assessment"),
        context! {
            scores => v(&scores),
            unit => v(&result),
            groups => v(&groups),
            adjustments => v(&adjustments),
            may_change => may_change(service, &request.caller),
            message => message,
        },
    )?))
}

/// Where a line's source is shown (the page's area and the id, which the template joins): a
/// task's or project's page, an indicator's, a submission's review (the plan office's only).
fn source_href(line: &LineResult, office: bool) -> Option<(&'static str, &str)> {
    let id = line.source_id.as_str();
    match line.source.as_str() {
        "task" => Some(("tasks", id)),
        "project" => Some(("projects", id)),
        "indicator" | "report" => id.split('/').next().map(|code| ("indicators", code)),
        "submission" if office => Some(("review", id)),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
struct FreezeForm {
    year: Option<String>,
}

fn form_year(text: Option<&str>) -> Result<u16, ApiError> {
    parse_year(text)?.ok_or_else(|| ApiError::bad("year", "请选择年份", "choose a year"))
}

/// The 冻结 form: freezes the year and goes back to its page.
async fn page_freeze(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Form(form): Form<FreezeForm>,
) -> Result<Response, ApiError> {
    let year = form_year(form.year.as_deref())?;
    freeze_as(&service, &caller, year, None).await?;
    Ok(Redirect::to(&format!("/assessment?year={year}")).into_response())
}

#[derive(Debug, Deserialize)]
struct AdjustForm {
    year: Option<String>,
    kind: Option<String>,
    points: Option<String>,
    reason: Option<String>,
}

/// The 加分/扣分 form: records it and goes back to the unit's page, or shows the page again
/// with the refusal beside the form.
async fn page_adjust(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(code): Path<String>,
    Form(form): Form<AdjustForm>,
) -> Result<Response, ApiError> {
    let outcome = async {
        let year = form_year(form.year.as_deref())?;
        let points = form
            .points
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse::<f64>()
            .map_err(|_| ApiError::bad("points", "分值应为数字", "points must be a number"))?;
        adjust_as(
            &service,
            &request.caller,
            year,
            &code,
            kind_of(form.kind.as_deref().unwrap_or_default())?,
            points,
            form.reason.as_deref().unwrap_or_default(),
        )
        .await?;
        Ok::<u16, ApiError>(year)
    }
    .await;
    match outcome {
        Ok(year) => Ok(Redirect::to(&format!("/assessment/{code}?year={year}")).into_response()),
        Err(error @ (ApiError::BadParameter { .. } | ApiError::Conflict { .. })) => {
            let message = error.body(request.lang()).error.message;
            let params = ScoresParams {
                year: form.year.clone(),
                date: None,
            };
            let html = unit_page_with(&service, &request, &code, &params, Some(message)).await?;
            Ok((error.status(), html).into_response())
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_days_and_years_are_read_or_refused() {
        assert_eq!(kind_of("bonus").unwrap(), AdjustmentKind::Bonus);
        assert_eq!(kind_of("扣分").unwrap(), AdjustmentKind::Deduction);
        assert!(kind_of("extra").is_err());
        assert_eq!(
            day(Some("2025-06-30")).unwrap(),
            NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
        );
        assert!(day(Some("2025-02-30")).is_err());
        assert!(year_in_range(2025).is_ok() && year_in_range(1800).is_err());
    }
}
