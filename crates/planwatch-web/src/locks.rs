//! 期间锁定 Period locks on the web (issue 13): `GET /api/period-locks` (the locks in force),
//! `POST /api/period-locks` (lock a year, for every indicator or one) and
//! `POST /api/period-locks/unlock`; and the 期间锁定 page `/periods`, linked from 报送情况, whose
//! forms post to `/periods/lock` and `/periods/unlock` with the session's CSRF token (plain form
//! posts, as the 通知 page's `/notices/read`). The plan office only (`Object::PeriodLocks`, the
//! routes' rule); the store writes each change with its audit entry (`period.lock`,
//! `period.unlock`) under the caller's name and address. A locked year's figures are then
//! published only as a revision with a reason (docs/workflow.md, "Period locks").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use minijinja::context;
use planwatch_plan::Plan;
use planwatch_store::{StoredPeriodLock, Who};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::PageRequest;
use crate::api::present;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::v;
use crate::reporting::{indicator_name, parse_year, today};
use crate::service::Service;

/// The page and its two forms (the access rules must cover each: `rules`).
pub(crate) const PAGE_PATHS: [&str; 3] = ["/periods", "/periods/lock", "/periods/unlock"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(PAGE_PATHS, [get(page), post(page_lock), post(page_unlock)])
}

const TITLE: (&str, &str) = ("期间锁定", "Period locks");

/// A lock in force.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LockOut {
    year: u16,
    /// The indicator's code; null: every indicator
    indicator: Option<String>,
    /// Who locked it, as the audit log names them (a user, `token:NAME`, `cli:USER`)
    locked_by: String,
    /// YYYY-MM-DD HH:MM:SS, UTC
    locked_at: String,
}

impl From<StoredPeriodLock> for LockOut {
    fn from(stored: StoredPeriodLock) -> LockOut {
        LockOut {
            year: stored.lock.year,
            indicator: stored.lock.indicator,
            locked_by: stored.locked_by,
            locked_at: stored.locked_at,
        }
    }
}

/// What to lock or unlock: a year, for one indicator or (without one) every indicator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockBody {
    /// From the plan's base year to its last year (a whole number; JSON may write it 2024.0)
    #[schema(value_type = i64, example = 2024)]
    year: f64,
    /// An indicator's code; null or absent: every indicator
    #[schema(example = "retail_sales")]
    indicator: Option<String>,
}

/// Whether the request changed anything (false: it was locked already, or not locked).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Changed {
    changed: bool,
}

/// The years a lock may name: the plan's base year to its last.
pub(crate) fn years(plan: &Plan) -> std::ops::RangeInclusive<u16> {
    plan.base_year.min(plan.period.start)..=plan.period.end
}

/// The lock body's schema in the OpenAPI document, narrowed to what `plan` admits (its years,
/// its indicators' codes), so that a client following the document is never refused, and one
/// that strays from it is (as `api::describe_parameters` does for the query parameters).
pub(crate) fn describe_body(openapi: &mut utoipa::openapi::OpenApi, plan: &Plan) {
    let range = years(plan);
    let codes: Vec<&str> = plan.indicators.iter().map(|i| i.code.as_str()).collect();
    let schema = serde_json::json!({
        "type": "object",
        "description": "A year of the plan, for one indicator or (null or absent) every indicator",
        "required": ["year"],
        "properties": {
            "year": { "type": "integer", "minimum": range.start(), "maximum": range.end(),
                      "example": 2024 },
            "indicator": { "type": ["string", "null"], "enum": codes.iter().map(|c| Some(*c))
                               .chain([None]).collect::<Vec<_>>(),
                           "example": "retail_sales" },
        },
        "additionalProperties": false,
    });
    if let (Some(components), Ok(schema)) =
        (openapi.components.as_mut(), serde_json::from_value(schema))
    {
        components.schemas.insert("LockBody".to_owned(), schema);
    }
}

/// `year` and `indicator` checked against `plan`: a year of the plan, an indicator it has.
fn target(
    plan: &Plan,
    year: f64,
    indicator: Option<&str>,
) -> Result<(u16, Option<String>), ApiError> {
    let range = years(plan);
    let whole = (year.fract() == 0.0).then_some(year);
    let year = whole
        .filter(|y| (f64::from(*range.start())..=f64::from(*range.end())).contains(y))
        // In the plan's range, a whole number: exactly a u16.
        .map(|y| y as u16)
        .ok_or_else(|| {
            ApiError::bad(
                "year",
                format!(
                    "应为规划的年份（{}–{}），而不是 {year}",
                    range.start(),
                    range.end()
                ),
                format!(
                    "must be a year of the plan ({}–{}), not {year}",
                    range.start(),
                    range.end()
                ),
            )
        })?;
    let indicator = present(indicator)
        .map(|code| {
            if plan.indicators.iter().any(|i| i.code == code) {
                Ok(code.to_owned())
            } else {
                Err(ApiError::bad(
                    "indicator",
                    format!("规划中没有指标 \"{code}\""),
                    format!("the plan has no indicator \"{code}\""),
                ))
            }
        })
        .transpose()?;
    Ok((year, indicator))
}

/// Locks (or unlocks) `year` for `indicator` as `caller`: true when it changed.
async fn change(
    service: &Service,
    caller: &Caller,
    year: f64,
    indicator: Option<&str>,
    lock: bool,
) -> Result<bool, ApiError> {
    let plan = &service.plan;
    let (year, indicator) = target(plan, year, indicator)?;
    let who = Who::of(&caller.actor, caller.client.clone());
    let indicator = indicator.as_deref();
    Ok(if lock {
        service
            .primary()
            .lock_period(&who, plan, year, indicator)
            .await?
    } else {
        service
            .primary()
            .unlock_period(&who, plan, year, indicator)
            .await?
    })
}

/// Locks (or unlocks) what a JSON body `{"year", "indicator"}` names, as `caller`.
async fn change_as_asked(
    service: &Service,
    caller: &Caller,
    body: &[u8],
    lock: bool,
) -> Result<Json<Changed>, ApiError> {
    let request: LockBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"year\", \"indicator\"}}: {e}")))?;
    let indicator = request.indicator.as_deref();
    let changed = change(service, caller, request.year, indicator, lock).await?;
    Ok(Json(Changed { changed }))
}

/// The refusals of a lock or unlock.
#[allow(dead_code)] // Only its description is used.
#[derive(utoipa::IntoResponses)]
enum LockAnswers {
    /// A year outside the plan, an indicator it does not have (`field` names which), or not
    /// such a body
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in
    #[response(status = 401)]
    SignIn(ErrorBody),
    /// Not the plan office
    #[response(status = 403)]
    Refused(ErrorBody),
}

/// The locks in force, by year (every indicator before one): a locked year's figures — its
/// quarters and months too — are published only as a revision with a reason.
#[utoipa::path(get, path = "/api/period-locks", tag = "submissions",
    responses((status = 200, description = "The locks in force", body = Vec<LockOut>),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Not the plan office", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
) -> Result<Json<Vec<LockOut>>, ApiError> {
    let locks = service.store().stored_period_locks(&service.plan).await?;
    Ok(Json(locks.into_iter().map(LockOut::from).collect()))
}

/// Lock a year, for one indicator or every indicator (audited: `period.lock`). A submission
/// or import with a row in it is then refused unless it is a revision with a reason.
#[utoipa::path(post, path = "/api/period-locks", tag = "submissions",
    request_body = LockBody,
    responses((status = 201, description = "Locked", body = Changed),
              (status = 200, description = "Locked already: nothing changed", body = Changed),
              LockAnswers))]
pub(crate) async fn lock(
    State(service): State<Arc<Service>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let answer = change_as_asked(&service, &caller, &body, true).await?;
    let status = if answer.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, answer).into_response())
}

/// Lift a lock (audited: `period.unlock`): the same year and indicator (or none) it was locked
/// with.
#[utoipa::path(post, path = "/api/period-locks/unlock", tag = "submissions",
    request_body = LockBody,
    responses((status = 200, description = "Unlocked, or (changed: false) it was not locked", body = Changed),
              LockAnswers))]
pub(crate) async fn unlock(
    State(service): State<Arc<Service>>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Changed>, ApiError> {
    change_as_asked(&service, &caller, &body, false).await
}

/// A lock as the page shows it.
#[derive(Debug, Serialize)]
struct LockRow {
    year: u16,
    /// The code, empty for every indicator (the unlock form sends it back).
    indicator: String,
    /// The indicator's name, or "every indicator".
    what: String,
    locked_by: String,
    locked_at: String,
}

/// An indicator of the lock form's list.
#[derive(Debug, Serialize)]
struct Choice {
    code: String,
    name: String,
}

/// The 期间锁定 page: the locks in force, each with an unlock button, and a form to lock a
/// year (the year before today's preselected).
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let every = match lang {
        Lang::Zh => "全部指标",
        Lang::En => "every indicator",
    };
    let locks: Vec<LockRow> = service
        .store()
        .stored_period_locks(plan)
        .await?
        .into_iter()
        .map(|stored| LockRow {
            year: stored.lock.year,
            what: stored
                .lock
                .indicator
                .as_deref()
                .map_or_else(|| every.to_owned(), |code| indicator_name(plan, code, lang)),
            indicator: stored.lock.indicator.unwrap_or_default(),
            locked_by: stored.locked_by,
            locked_at: stored.locked_at,
        })
        .collect();
    let indicators: Vec<Choice> = plan
        .indicators
        .iter()
        .map(|i| Choice {
            code: i.code.clone(),
            name: indicator_name(plan, &i.code, lang),
        })
        .collect();
    let range = years(plan);
    let last_year = u16::try_from(chrono::Datelike::year(&today()) - 1)
        .unwrap_or(0)
        .clamp(*range.start(), *range.end());
    Ok(Html(request.render(
        &service,
        "periods.html",
        TITLE,
        context! {
            locks => v(&locks),
            indicators => v(&indicators),
            years => v(&range.collect::<Vec<u16>>()),
            selected => last_year,
        },
    )?))
}

/// The page's forms: `year`, `indicator` (empty: every indicator) and the CSRF token.
#[derive(Debug, Deserialize)]
struct LockForm {
    year: Option<String>,
    indicator: Option<String>,
}

async fn page_change(
    service: &Service,
    caller: &Caller,
    form: LockForm,
    lock: bool,
) -> Result<Response, ApiError> {
    let year = parse_year(form.year.as_deref())?
        .ok_or_else(|| ApiError::bad("year", "请选择年份", "choose a year"))?;
    change(
        service,
        caller,
        f64::from(year),
        form.indicator.as_deref(),
        lock,
    )
    .await?;
    Ok(Redirect::to("/periods").into_response())
}

/// The lock form: locks and goes back to the page.
async fn page_lock(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Form(form): Form<LockForm>,
) -> Result<Response, ApiError> {
    page_change(&service, &caller, form, true).await
}

/// An unlock button: unlocks and goes back to the page.
async fn page_unlock(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Form(form): Form<LockForm>,
) -> Result<Response, ApiError> {
    page_change(&service, &caller, form, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_names_a_year_of_the_plan_and_one_of_its_indicators_or_none() {
        let plan = planwatch_plan::chengdu::plan();
        let (first, last) = (*years(&plan).start(), *years(&plan).end());
        assert_eq!((first, last), (plan.base_year, plan.period.end));
        assert_eq!(target(&plan, 2024.0, None).unwrap(), (2024, None));
        assert_eq!(
            target(&plan, f64::from(first), Some("retail_sales")).unwrap(),
            (first, Some("retail_sales".to_owned()))
        );
        assert_eq!(target(&plan, 2024.0, Some("")).unwrap(), (2024, None));
        let (first, last) = (f64::from(first), f64::from(last));
        for year in [first - 1.0, last + 1.0, 2024.5, -2024.0, 70_000.0, f64::NAN] {
            assert!(
                matches!(
                    target(&plan, year, None),
                    Err(ApiError::BadParameter { field: "year", .. })
                ),
                "{year}"
            );
        }
        assert!(matches!(
            target(&plan, 2024.0, Some("gdp_per_goat")),
            Err(ApiError::BadParameter {
                field: "indicator",
                ..
            })
        ));
    }

    #[test]
    fn the_document_admits_the_plans_years_and_indicators_only() {
        let plan = planwatch_plan::chengdu::plan();
        let (_, openapi) = crate::api::router(&plan);
        let document = serde_json::to_value(&openapi).unwrap();
        let body = &document["components"]["schemas"]["LockBody"];
        assert_eq!(
            body["properties"]["year"]["minimum"], plan.base_year,
            "{body}"
        );
        assert_eq!(
            body["properties"]["year"]["maximum"], plan.period.end,
            "{body}"
        );
        let codes = body["properties"]["indicator"]["enum"].as_array().unwrap();
        assert_eq!(codes.len(), plan.indicators.len() + 1, "{body}");
        assert!(
            codes.contains(&serde_json::json!("retail_sales"))
                && codes.contains(&serde_json::Value::Null)
        );
        assert_eq!(body["additionalProperties"], false, "{body}");
        let posted = &document["paths"]["/api/period-locks"]["post"]["requestBody"];
        assert!(
            posted.to_string().contains("#/components/schemas/LockBody"),
            "{posted}"
        );
    }
}
