//! The JSON API under `/api/`, described by the OpenAPI document that utoipa builds from these
//! handlers (`/api/openapi.json`). Parameters arrive as text and are parsed here, so that a bad
//! one is a 400 naming the parameter, never a 5xx or a bare framework message.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use planwatch_plan::{Observation, Period, Plan};
use planwatch_store::{ObservationFilter, StoredObservation};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use planwatch_app::{EvaluationReport, EvaluationRequest};

use crate::service::Service;

type AppState = State<Arc<Service>>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Planwatch API 规划监测接口",
        description = "The plan as data, its observations (every revision) and the evaluation of \
                       every target, read-only; sign-in (/api/session) and the audit log. Published data \
                       is public unless the server runs with --private; send the session cookie or \
                       Authorization: Bearer pwt_…. Errors are JSON: {\"error\": {\"code\", \"message\", \
                       \"field\"}}, the message in the language of Accept-Language (zh or en). \
                       Responses carry an ETag derived from the plan's version (raised by every change to its data)."
    ),
    components(schemas(Section)),
    tags(
        (name = "plan", description = "规划 The plan and its structure"),
        (name = "data", description = "数据 Observations, revisions and downloads"),
        (name = "evaluation", description = "评估 Where every target stands"),
        (name = "session", description = "登录 Signing in and out (session cookie; scripts use Authorization: Bearer pwt_…)"),
        (name = "audit", description = "审计日志 The audit log (planners and admins)"),
        (name = "submissions", description = "报送与审核 Units submit figures; the plan office reviews and approves them, and locks periods"),
        (name = "progress", description = "任务与项目进展 Units report progress on their tasks and key projects, with evidence files; the plan office reviews it"),
        (name = "notices", description = "通知 Each account's own notices: submissions moved, figures due soon or overdue"),
        (name = "tasks", description = "任务与项目 The year's tasks (年度任务分解表) and key projects (重大项目)"),
        (name = "supervision", description = "督查督办 Tasks behind schedule escalate (提醒, 警示, 督办) to their lead unit; the unit answers a 督办单"),
        (name = "reports", description = "报告 The evaluation reports (年度评估、中期评估、总结评估): the model as JSON, or a file to download (the plan office and viewers)"),
        (name = "assessment", description = "年度考核 Every unit's score and rank among its kind, its breakdown, the plan office's bonus and deduction items and freezing a year"),
    )
)]
struct ApiDoc;

/// The API's routes together with their OpenAPI description, whose parameters admit what the
/// handlers accept of the plan served (see [`describe_parameters`]).
pub(crate) fn router(served: &Plan) -> (axum::Router<Arc<Service>>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(plan))
        .routes(routes!(plan_section))
        .routes(routes!(observations))
        .routes(routes!(history))
        .routes(routes!(evaluation))
        .routes(routes!(milestones))
        .routes(routes!(export))
        .routes(routes!(sdmx_structure))
        .routes(routes!(
            crate::session::create,
            crate::session::show,
            crate::session::delete
        ))
        .routes(routes!(crate::audit::list))
        .routes(routes!(
            crate::submissions::create,
            crate::submissions::list
        ))
        .routes(routes!(crate::submissions::show))
        .routes(routes!(crate::submissions::check))
        .routes(routes!(crate::submissions::edit))
        .routes(routes!(crate::submissions::submit))
        .routes(routes!(crate::submissions::withdraw))
        .routes(routes!(crate::submissions::approve))
        .routes(routes!(crate::submissions::return_))
        .routes(routes!(crate::progress::create, crate::progress::list))
        .routes(routes!(crate::progress::show, crate::progress::edit))
        .routes(routes!(crate::progress::add_evidence))
        .routes(routes!(
            crate::progress::download,
            crate::progress::remove_evidence
        ))
        .routes(routes!(crate::progress::submit))
        .routes(routes!(crate::progress::withdraw))
        .routes(routes!(crate::progress::approve))
        .routes(routes!(crate::progress::return_))
        .routes(routes!(crate::notices::list))
        .routes(routes!(crate::notices::mark_one))
        .routes(routes!(crate::notices::mark_all))
        .routes(routes!(crate::locks::list, crate::locks::lock))
        .routes(routes!(crate::locks::unlock))
        .routes(routes!(crate::tasks::list))
        .routes(routes!(crate::tasks::show))
        .routes(routes!(crate::projects::list))
        .routes(routes!(crate::projects::show))
        .routes(routes!(crate::supervision::list))
        .routes(routes!(crate::supervision::show))
        .routes(routes!(crate::supervision::answer))
        .routes(routes!(crate::assessment::list))
        .routes(routes!(crate::assessment::export))
        .routes(routes!(crate::assessment::show))
        .routes(routes!(crate::assessment::adjust))
        .routes(routes!(crate::assessment::freeze))
        .routes(routes!(crate::reports::download))
        .routes(routes!(crate::units::show))
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").into();
    crate::locks::describe_body(&mut openapi, served);
    crate::assessment::describe_bodies(&mut openapi, served);
    (router, describe_parameters(openapi, served))
}

/// The most pages a list is asked for (a page beyond the last one is empty).
const MAX_PAGE: usize = 1_000_000_000;

/// The query parameters as the handlers read them. Every parameter arrives as text and is
/// parsed by the handler, so the derives can only say "a string": here each gets the schema
/// of what is accepted — an empty value is the same as none; lists (comma-separated, OpenAPI's
/// `form` style without `explode`) of the plan's indicator or region codes and numbers (names
/// are accepted too, but not listed); a date that exists; periods, years and page numbers in
/// range — so that a client (or schemathesis) following the document is never refused, and
/// one that strays from it is.
fn describe_parameters(
    mut openapi: utoipa::openapi::OpenApi,
    plan: &Plan,
) -> utoipa::openapi::OpenApi {
    use serde_json::{Value, json};
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::{ParameterIn, ParameterStyle};
    let mut indicators: Vec<String> = plan.indicators.iter().map(|i| i.code.clone()).collect();
    indicators.extend(
        plan.indicators
            .iter()
            .filter_map(|i| i.number.map(|n| n.to_string())),
    );
    let regions: Vec<String> = plan.regions.iter().map(|r| r.code.clone()).collect();
    let units: Vec<String> = regions
        .iter()
        .cloned()
        .chain(plan.departments.iter().map(|d| d.code.clone()))
        .collect();
    let clauses = crate::tasks::clause_refs(plan);
    let columns: Vec<String> = plan.columns.iter().map(|c| c.number.to_string()).collect();
    let stages: Vec<&str> = planwatch_tasks::Stage::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    let task_statuses: Vec<&str> = planwatch_tasks::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let report_formats: Vec<&str> = crate::reports::Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect();
    let optional =
        |schema: Value| json!({ "anyOf": [{ "type": "string", "maxLength": 0 }, schema] });
    let period = json!({
        "type": "string",
        "pattern": "^(19[0-9]{2}|2[01][0-9]{2}|2200)(Q[1-4]|-(0[1-9]|1[0-2]))?$",
    });
    for (path, item) in openapi.paths.paths.iter_mut() {
        let Some(parameters) = item.get.as_mut().and_then(|get| get.parameters.as_mut()) else {
            continue;
        };
        // The lists of the reporting workflow: submissions and progress reports.
        let workflow_list = matches!(path.as_str(), "/api/submissions" | "/api/progress");
        let reports = path.starts_with("/api/reports/");
        for parameter in parameters {
            let RefOr::T(parameter) = parameter else {
                continue;
            };
            if parameter.parameter_in == ParameterIn::Path
                && parameter.name == "kind"
                && let Ok(schema) = serde_json::from_value(json!({
                    "type": "string",
                    "enum": planwatch_report::ReportKind::ALL.map(|k| k.as_str()),
                }))
            {
                parameter.schema = Some(schema);
            }
            if parameter.parameter_in == ParameterIn::Path
                && parameter.name == "code"
                && path == "/api/units/{code}"
                && let Ok(schema) = serde_json::from_value(json!({
                    "type": "string",
                    "enum": units,
                }))
            {
                parameter.schema = Some(schema);
            }
            if parameter.parameter_in == ParameterIn::Path
                && parameter.name == "unit"
                && let Ok(schema) = serde_json::from_value(json!({
                    "type": "string",
                    "enum": crate::assessment::assessed_codes(plan),
                }))
            {
                parameter.schema = Some(schema);
            }
            if parameter.parameter_in != ParameterIn::Query {
                continue;
            }
            let schema = match parameter.name.as_str() {
                "region" if reports => optional(json!({ "type": "string", "enum": regions })),
                "year" if reports => optional(json!({
                    "type": "integer", "minimum": plan.base_year, "maximum": plan.target_year,
                })),
                "lang" if reports => optional(json!({ "type": "string", "enum": ["zh", "en"] })),
                name @ ("indicator" | "region") => {
                    let codes = if name == "indicator" {
                        &indicators
                    } else {
                        &regions
                    };
                    if path == "/api/observations/history" {
                        json!({ "type": "string", "enum": codes })
                    } else {
                        parameter.style = Some(ParameterStyle::Form);
                        parameter.explode = Some(false);
                        // An empty item (`indicator=`, `a,,b`) is skipped.
                        let mut items = codes.clone();
                        items.push(String::new());
                        json!({ "type": "array", "items": { "type": "string", "enum": items } })
                    }
                }
                "period" if path == "/api/submissions" => optional(period.clone()),
                "period" => period.clone(),
                "status" if workflow_list => optional(json!({
                    "type": "string",
                    "enum": ["draft", "submitted", "approved", "returned", "withdrawn"],
                })),
                "unit"
                    if workflow_list
                        || path == "/api/tasks"
                        || path == "/api/projects"
                        || path == "/api/supervision" =>
                {
                    optional(json!({
                        "type": "string",
                        "enum": units,
                    }))
                }
                "clause" => optional(json!({ "type": "string", "enum": clauses })),
                "column" => optional(json!({ "type": "string", "enum": columns })),
                "stage" => optional(json!({ "type": "string", "enum": stages })),
                "due_before" | "due_after" => {
                    optional(json!({ "type": "string", "format": "date" }))
                }
                "status" if path == "/api/tasks" || path == "/api/projects" => {
                    optional(json!({ "type": "string", "enum": task_statuses }))
                }
                "unread" | "unanswered" => {
                    optional(json!({ "type": "string", "enum": ["true", "false"] }))
                }
                "level" => optional(json!({
                    "type": "string",
                    "enum": ["reminder", "warning", "order"],
                })),
                "task" | "project" => optional(json!({
                    "type": "integer",
                    "minimum": i64::MIN,
                    "maximum": i64::MAX,
                })),
                "from" | "to" => optional(period.clone()),
                "as_of" | "since" | "date" => {
                    optional(json!({ "type": "string", "format": "date" }))
                }
                // No control characters (PostgreSQL refuses NUL in text; no name holds one).
                "actor" | "action" => json!({
                    "type": "string",
                    "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$",
                }),
                "after" => {
                    optional(json!({ "type": "integer", "minimum": 0, "maximum": i64::MAX }))
                }
                "year" => optional(json!({ "type": "integer", "minimum": 1900, "maximum": 2100 })),
                "page" => optional(json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE })),
                "per_page" => {
                    optional(json!({ "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE }))
                }
                "format" => {
                    let formats: &[&str] = if path == "/api/export" {
                        &["csv", "xlsx", "sdmx-csv"]
                    } else if path == "/api/scores/export" {
                        &["csv", "xlsx"]
                    } else if reports {
                        &report_formats
                    } else {
                        &["json", "csv"]
                    };
                    optional(json!({ "type": "string", "enum": formats }))
                }
                _ => continue,
            };
            // Every schema above is one utoipa reads (a test checks the served document).
            if let Ok(schema) = serde_json::from_value(schema) {
                parameter.schema = Some(schema);
            }
        }
    }
    openapi
}

/// The whole plan (the JSON form of the plan file; see `/api/plan/schema`).
#[utoipa::path(get, path = "/api/plan", tag = "plan",
    responses((status = 200, description = "The plan", body = Object)))]
async fn plan(State(service): AppState) -> Json<Arc<Plan>> {
    Json(service.plan.clone())
}

/// The parts of a plan that `/api/plan/{section}` returns.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Section {
    Schema,
    Indicators,
    Targets,
    Regions,
    Departments,
    Dimensions,
    Industries,
    Layout,
    Zones,
    Actions,
    Columns,
    Measures,
}

/// One target of an indicator, in words and as data.
#[derive(Debug, Serialize, ToSchema)]
struct TargetRow<'a> {
    indicator: &'a str,
    number: Option<u32>,
    indicator_name: &'a str,
    /// Index among the indicator's targets.
    target: usize,
    text: String,
    /// The target in English, with the unit's English form.
    text_en: String,
    #[schema(value_type = Object)]
    definition: &'a planwatch_plan::Target,
}

/// One part of the plan: its indicators, targets, regions, departments, dimensions, the 5+4
/// industries, the spatial layout, the functional zones and chains of 专栏14, the actions and
/// their items, the columns 专栏 and their projects, the measures — or the JSON Schema of the
/// whole.
#[utoipa::path(get, path = "/api/plan/{section}", tag = "plan",
    params(("section" = Section, Path, description = "Which part")),
    responses((status = 200, description = "A JSON array of the part's entries (an object for schema)", body = serde_json::Value),
              (status = 400, description = "No such part", body = ErrorBody)))]
async fn plan_section(
    State(service): AppState,
    Path(section): Path<String>,
) -> Result<Response, ApiError> {
    let section: Section = serde_json::from_value(serde_json::Value::String(section.clone()))
        .map_err(|_| {
            ApiError::bad(
                "section",
                format!("没有 \"{section}\" 这一部分"),
                format!("no part \"{section}\" (indicators, targets, regions, departments, dimensions, industries, layout, zones, actions, columns, measures, schema)"),
            )
        })?;
    let plan = &service.plan;
    fn json<T: Serialize>(value: &T) -> Response {
        Json(value).into_response()
    }
    Ok(match section {
        Section::Schema => Json(planwatch_plan::json_schema()).into_response(),
        Section::Indicators => json(&plan.indicators),
        Section::Targets => {
            let rows: Vec<TargetRow<'_>> = plan
                .indicators
                .iter()
                .flat_map(|i| {
                    i.targets.iter().enumerate().map(|(k, t)| TargetRow {
                        indicator: &i.code,
                        number: i.number,
                        indicator_name: &i.name.zh,
                        target: k,
                        text: t.describe_zh(&i.unit),
                        text_en: t.describe_en(i.unit_text().en_or_zh()),
                        definition: t,
                    })
                })
                .collect();
            json(&rows)
        }
        Section::Regions => json(&plan.regions),
        Section::Departments => json(&plan.departments),
        Section::Dimensions => json(&plan.dimensions),
        Section::Industries => json(&plan.industries),
        Section::Layout => json(&plan.layout),
        Section::Zones => json(&plan.zones),
        Section::Actions => json(&plan.actions),
        Section::Columns => json(&plan.columns),
        Section::Measures => json(&plan.measures),
    })
}

/// Filters shared by the observation endpoints and downloads. Lists are comma-separated.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DataParams {
    /// Indicator codes, numbers (序号) or names
    pub indicator: Option<String>,
    /// Region codes or names (成都市, 510104, 高新区 …)
    pub region: Option<String>,
    /// First period (2021, 2021Q1, 2021-06 …)
    pub from: Option<String>,
    /// Last period
    pub to: Option<String>,
    /// What was known at the end of this day (YYYY-MM-DD) instead of the latest revisions
    pub as_of: Option<String>,
}

impl DataParams {
    pub(crate) fn filter(&self, service: &Service) -> Result<ObservationFilter, ApiError> {
        Ok(ObservationFilter {
            indicators: indicator_codes(service, self.indicator.as_deref())?,
            regions: region_codes(service, self.region.as_deref())?,
            from: parse_period("from", self.from.as_deref())?,
            to: parse_period("to", self.to.as_deref())?,
            as_of: parse_date("as_of", self.as_of.as_deref())?,
            yearly_only: false,
        })
    }
}

/// Page of a list: `page` from 1, `per_page` up to 1000 (default 100).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// From 1
    pub(crate) page: Option<String>,
    /// 1 to 1000 (default 100)
    pub(crate) per_page: Option<String>,
}

const MAX_PER_PAGE: usize = 1000;

impl PageParams {
    pub(crate) fn parse(&self) -> Result<(usize, usize), ApiError> {
        let number =
            |field: &'static str, text: &Option<String>, default: usize, max: usize| match text
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                None => Ok(default),
                Some(t) => t
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad(
                            field,
                            format!("应为 1 到 {max} 之间的整数，而不是 \"{t}\""),
                            format!("must be a whole number from 1 to {max}, not \"{t}\""),
                        )
                    }),
            };
        Ok((
            number("page", &self.page, 1, MAX_PAGE)?,
            number("per_page", &self.per_page, 100, MAX_PER_PAGE)?,
        ))
    }
}

/// One revision of an observation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ObservationRow {
    indicator: String,
    region: String,
    /// 2023, 2023Q1 or 2023-06
    period: String,
    value: f64,
    unit: String,
    /// provisional, final, revised, estimated or forecast
    status: String,
    source: Option<String>,
    note: Option<String>,
    /// 1: large change from the previous period; 2: districts above the city total
    flags: i32,
    revision: i32,
    /// The import it came in: its file (the name alone, no directory), time (UTC), who
    file_name: String,
    imported_at: String,
    imported_by: String,
}

impl ObservationRow {
    /// Whether the words occur in its indicator's or region's name (`names`: code → name),
    /// period, source or note.
    pub(crate) fn mentions(&self, words: &str, names: &HashMap<String, String>) -> bool {
        let name = |code: &str| names.get(code).is_some_and(|n| n.contains(words));
        name(&self.indicator)
            || name(&self.region)
            || self.indicator.contains(words)
            || self.region.contains(words)
            || self.period.contains(words)
            || [&self.source, &self.note]
                .into_iter()
                .flatten()
                .any(|t| t.contains(words))
    }

    pub(crate) fn new(plan: &Plan, o: StoredObservation) -> ObservationRow {
        let unit = plan
            .indicators
            .iter()
            .find(|i| i.code == o.indicator)
            .map(|i| i.unit.clone())
            .unwrap_or_default();
        ObservationRow {
            period: o.period.to_string(),
            status: o.status.as_str().to_owned(),
            indicator: o.indicator,
            region: o.region,
            value: o.value,
            unit,
            source: o.source,
            note: o.note,
            flags: o.flags,
            revision: o.revision,
            file_name: public_file_name(&o.file_name).to_owned(),
            imported_at: o.imported_at,
            imported_by: o.imported_by,
        }
    }
}

/// The file's own name, without the directories an administrator typed on the command line
/// (`/srv/uploads/abs.csv` → `abs.csv`, and `\` as on Windows): public answers name a
/// batch's file, never where it lay on the server's machine. The store keeps what was typed.
pub(crate) fn public_file_name(typed: &str) -> &str {
    typed.rsplit(['/', '\\']).next().unwrap_or(typed)
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
struct ObservationPage {
    total: u64,
    page: usize,
    per_page: usize,
    items: Vec<ObservationRow>,
}

/// The latest revision of each observation (or the one known on `as_of`), a page at a time, in
/// the store's order: indicators and regions as the plan first listed them, then periods.
#[utoipa::path(get, path = "/api/observations", tag = "data",
    params(DataParams, PageParams),
    responses((status = 200, description = "One page", body = ObservationPage),
              (status = 400, description = "A bad filter, named in `field`", body = ErrorBody)))]
async fn observations(
    State(service): AppState,
    Query(params): Query<DataParams>,
    Query(page): Query<PageParams>,
) -> Result<Json<ObservationPage>, ApiError> {
    let plan = &service.plan;
    let filter = params.filter(&service)?;
    let (page, per_page) = page.parse()?;
    let total = service.count(&filter).await?;
    let offset = (page as u64 - 1).saturating_mul(per_page as u64);
    let items = service
        .store()
        .observations_page(plan, &filter, offset, per_page as u64)
        .await?
        .into_iter()
        .map(|o| ObservationRow::new(plan, o))
        .collect();
    Ok(Json(ObservationPage {
        total,
        page,
        per_page,
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryParams {
    /// Indicator code, number (序号) or name
    #[param(required = true)]
    indicator: Option<String>,
    /// Region code or name
    #[param(required = true)]
    region: Option<String>,
    /// 2023, 2023Q1, 2023-06 …
    #[param(required = true)]
    period: Option<String>,
}

/// Every revision of one observation, in the order they became known: the last is in force.
#[utoipa::path(get, path = "/api/observations/history", tag = "data",
    params(HistoryParams),
    responses((status = 200, description = "Every revision, in the order they became known (ties: imported); the last is in force", body = Vec<ObservationRow>),
              (status = 400, description = "A parameter missing or not in the plan", body = ErrorBody)))]
async fn history(
    State(service): AppState,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Vec<ObservationRow>>, ApiError> {
    let plan = &service.plan;
    let indicator = one(
        "indicator",
        indicator_codes(&service, params.indicator.as_deref())?,
    )?;
    let region = one("region", region_codes(&service, params.region.as_deref())?)?;
    let period = parse_period("period", params.period.as_deref())?
        .ok_or_else(|| ApiError::bad("period", "必须给出", "is required"))?;
    let rows = service
        .store()
        .history(plan, &indicator, &region, period)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|o| ObservationRow::new(plan, o))
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvaluationParams {
    /// Evaluation year (default: the latest year with data for the plan's region, at most the
    /// target year; with as_of, the latest known then)
    pub year: Option<String>,
    /// Region codes or names (default: the plan's region and every region with data)
    pub region: Option<String>,
    /// Indicator codes, numbers (序号) or names (default: all)
    pub indicator: Option<String>,
    /// What was known at the end of this day (YYYY-MM-DD)
    pub as_of: Option<String>,
    /// json (default) or csv
    pub format: Option<String>,
}

impl EvaluationParams {
    pub(crate) fn request(&self, service: &Service) -> Result<EvaluationRequest, ApiError> {
        let resolver = &service.names;
        let indexes = |field: &'static str,
                       list: Option<&str>,
                       find: &dyn Fn(&str) -> Option<usize>|
         -> Result<Option<Vec<usize>>, ApiError> {
            let names = split_list(list);
            if names.is_empty() {
                return Ok(None);
            }
            names
                .iter()
                .map(|n| find(n).ok_or_else(|| not_in_plan(field, n)))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        Ok(EvaluationRequest {
            year: parse_year("year", self.year.as_deref())?,
            indicators: indexes("indicator", self.indicator.as_deref(), &|n| {
                resolver.indicator(n)
            })?,
            regions: indexes("region", self.region.as_deref(), &|n| resolver.region(n))?,
            as_of: parse_date("as_of", self.as_of.as_deref())?,
        })
    }
}

/// A page of an evaluation: the report's fields with `results` cut to the page, and where the
/// page stands.
#[derive(Debug, Serialize, ToSchema)]
struct EvaluationPage<'a> {
    plan: &'a str,
    year: u16,
    #[schema(value_type = Vec<planwatch_eval::Assessment>)]
    results: &'a [planwatch_eval::Assessment],
    #[schema(value_type = Vec<planwatch_eval::RollupGap>)]
    rollup: &'a [planwatch_eval::RollupGap],
    total: usize,
    page: usize,
    per_page: usize,
}

/// Every target of every indicator selected, for the plan's region and every region selected
/// (or with data): the same fields as `planwatch evaluate --format json`; `format=csv` gives
/// the same rows as CSV. With `page` or `per_page`, one page of the results, with `total`,
/// `page` and `per_page` added. Cached until the next change of the store.
#[utoipa::path(get, path = "/api/evaluation", tag = "evaluation",
    params(EvaluationParams, PageParams),
    responses((status = 200, description = "The evaluation (CSV with format=csv); a page of it with page or per_page",
                content((EvaluationReport = "application/json"), ("text/csv"))),
              (status = 400, description = "A bad parameter, named in `field`", body = ErrorBody)))]
async fn evaluation(
    State(service): AppState,
    Query(params): Query<EvaluationParams>,
    Query(paging): Query<PageParams>,
) -> Result<Response, ApiError> {
    let request = params.request(&service)?;
    let paged = paging.page.is_some() || paging.per_page.is_some();
    let (page, per_page) = paging.parse()?;
    let csv = match present(params.format.as_deref()).unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad(
                "format",
                format!("应为 json 或 csv，而不是 \"{other}\""),
                format!("must be json or csv, not \"{other}\""),
            ));
        }
    };
    let report = service.evaluation(request).await?;
    if !csv {
        if !paged {
            return Ok(Json(report).into_response());
        }
        let start = (page - 1)
            .saturating_mul(per_page)
            .min(report.results.len());
        let end = start.saturating_add(per_page).min(report.results.len());
        return Ok(Json(EvaluationPage {
            plan: &report.plan,
            year: report.year,
            results: &report.results[start..end],
            rollup: &report.rollup,
            total: report.results.len(),
            page,
            per_page,
        })
        .into_response());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), csv::Error> {
        writer.write_record(planwatch_eval::CSV_HEADER)?;
        for row in &report.results {
            writer.write_record(row.csv_record())?;
        }
        writer.flush()?;
        Ok(())
    };
    write().map_err(planwatch_export::ExportError::from)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| planwatch_export::ExportError::from(e.into_error()))?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("evaluation-{}.csv", report.year),
    ))
}

/// The yearly milestone path of one target.
#[derive(Debug, Serialize, ToSchema)]
struct MilestonePath {
    indicator: String,
    number: Option<u32>,
    indicator_name: String,
    unit: String,
    target: usize,
    target_text: Option<String>,
    baseline_year: Option<u16>,
    baseline_value: Option<f64>,
    target_year: u16,
    target_value: Option<f64>,
    /// Year → the value on the path from the baseline to the target.
    #[schema(value_type = std::collections::BTreeMap<String, f64>)]
    milestones: std::collections::BTreeMap<u16, f64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MilestoneParams {
    /// Indicator codes, numbers or names (default: all)
    indicator: Option<String>,
}

/// The yearly milestones of the plan's own targets (the path from the baseline to the target
/// that the annual assessment 年度考核 measures against).
#[utoipa::path(get, path = "/api/milestones", tag = "evaluation",
    params(MilestoneParams),
    responses((status = 200, description = "The milestone path of every target", body = Vec<MilestonePath>),
              (status = 400, description = "An indicator not in the plan", body = ErrorBody)))]
async fn milestones(
    State(service): AppState,
    Query(params): Query<MilestoneParams>,
) -> Result<Json<Vec<MilestonePath>>, ApiError> {
    let plan = &service.plan;
    let request = EvaluationParams {
        indicator: params.indicator,
        region: Some(plan.region.clone()),
        ..EvaluationParams::default()
    }
    .request(&service)?;
    let report = service.evaluation(request).await?;
    Ok(Json(
        report
            .results
            .iter()
            .filter(|r| r.region == plan.region && !r.evaluation.milestones.is_empty())
            .filter_map(|r| {
                Some(MilestonePath {
                    indicator: r.indicator.clone(),
                    number: r.number,
                    indicator_name: r.indicator_name.clone(),
                    unit: r.unit.clone(),
                    target: r.target?,
                    target_text: r.target_text.clone(),
                    baseline_year: r.evaluation.baseline_year,
                    baseline_value: r.evaluation.baseline_value,
                    target_year: r.evaluation.target_year,
                    target_value: r.evaluation.target_value,
                    milestones: r.evaluation.milestones.clone(),
                })
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// csv (default), xlsx or sdmx-csv (SDMX-CSV 2.0, following the structure at
    /// /api/sdmx/structure)
    format: Option<String>,
    /// Only rows whose indicator or region name (Chinese or English), period, source or note
    /// contains these words, as the data page's search
    q: Option<String>,
}

/// The most rows one download holds: the file is built in memory.
const MAX_EXPORT_ROWS: u64 = 1_000_000;

/// The filtered observations as a file: CSV (imports back as it is), XLSX or SDMX-CSV (whose
/// structure is at /api/sdmx/structure).
#[utoipa::path(get, path = "/api/export", tag = "data",
    params(ExportParams, DataParams),
    responses((status = 200, description = "The file", content(
                  ("text/csv"),
                  ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  ("application/vnd.sdmx.data+csv; version=2.0.0"))),
              (status = 400, description = "A bad filter, or a view too large to download", body = ErrorBody)))]
async fn export(
    State(service): AppState,
    Query(export): Query<ExportParams>,
    Query(params): Query<DataParams>,
) -> Result<Response, ApiError> {
    let plan = &service.plan;
    let filter = params.filter(&service)?;
    let format = present(export.format.as_deref())
        .unwrap_or("csv")
        .to_owned();
    if !["csv", "xlsx", "sdmx-csv"].contains(&format.as_str()) {
        return Err(ApiError::bad(
            "format",
            format!(
                "应为 csv、xlsx 或 sdmx-csv，而不是 \"{format}\"（SDMX 结构见 /api/sdmx/structure）"
            ),
            format!(
                "must be csv, xlsx or sdmx-csv, not \"{format}\" (the SDMX structure is at /api/sdmx/structure)"
            ),
        ));
    }
    let rows = service.count(&filter).await?;
    if rows > MAX_EXPORT_ROWS {
        return Err(ApiError::bad(
            "indicator",
            format!(
                "所选数据有 {rows} 条，超过下载上限 {MAX_EXPORT_ROWS} 条：请按指标、地区或时期缩小范围，或用命令行 planwatch export"
            ),
            format!(
                "the view has {rows} rows, more than the {MAX_EXPORT_ROWS} a download may hold: narrow it by indicator, region or period, or use `planwatch export`"
            ),
        ));
    }
    let words = present(export.q.as_deref());
    let observations: Vec<Observation> = service
        .store()
        .observations(plan, &filter)
        .await?
        .into_iter()
        .filter(|o| {
            words.is_none_or(|q| {
                ObservationRow::new(plan, o.clone()).mentions(q, &service.search_names)
            })
        })
        .map(Observation::from)
        .collect();
    let name = format!("{}-observations", plan.id);
    Ok(match format.as_str() {
        "xlsx" => download(
            planwatch_export::write_xlsx(plan, &observations)?,
            XLSX,
            &format!("{name}.xlsx"),
        ),
        "sdmx-csv" => {
            let mut out = Vec::new();
            planwatch_export::write_sdmx_csv(plan, &observations, &mut out)?;
            download(out, SDMX_CSV, &format!("{name}-sdmx.csv"))
        }
        _ => {
            let mut out = Vec::new();
            planwatch_export::write_csv(plan, &observations, &mut out)?;
            download(out, "text/csv; charset=utf-8", &format!("{name}.csv"))
        }
    })
}

/// SDMX's media types: SDMX-CSV 2.0 data, an SDMX-ML 2.1 structure message.
const SDMX_CSV: &str = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";
const SDMX_STRUCTURE: &str = "application/vnd.sdmx.structure+xml; version=2.1";

/// The SDMX-ML 2.1 structure message of the whole plan (dataflow, data structure, codelists):
/// what SDMX tools read the SDMX-CSV download with. It describes the plan, not a view of its
/// data, so it has a path of its own and takes no filter.
#[utoipa::path(get, path = "/api/sdmx/structure", tag = "data",
    responses((status = 200, description = "The structure message",
               content_type = "application/vnd.sdmx.structure+xml; version=2.1")))]
async fn sdmx_structure(State(service): AppState) -> Result<Response, ApiError> {
    let plan = &service.plan;
    let mut out = Vec::new();
    planwatch_export::write_sdmx_structure(plan, &mut out)?;
    Ok(download(
        out,
        SDMX_STRUCTURE,
        &format!("{}-sdmx-structure.xml", plan.id),
    ))
}

/// The media type of an XLSX workbook.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download response: `bytes` as an attachment named `file_name`.
pub(crate) fn download(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn split_list(list: Option<&str>) -> Vec<&str> {
    list.into_iter()
        .flat_map(|l| l.split([',', '，']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn not_in_plan(field: &'static str, name: &str) -> ApiError {
    ApiError::bad(
        field,
        format!("\"{name}\" 不在规划中"),
        format!("\"{name}\" is not in the plan"),
    )
}

/// Indicator codes for a comma-separated list of codes, numbers or names.
pub(crate) fn indicator_codes(
    service: &Service,
    list: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let (plan, resolver) = (service.plan(), &service.names);
    split_list(list)
        .into_iter()
        .map(|n| {
            resolver
                .indicator(n)
                .map(|i| plan.indicators[i].code.clone())
                .ok_or_else(|| not_in_plan("indicator", n))
        })
        .collect()
}

/// Region codes for a comma-separated list of codes or names.
pub(crate) fn region_codes(service: &Service, list: Option<&str>) -> Result<Vec<String>, ApiError> {
    let (plan, resolver) = (service.plan(), &service.names);
    split_list(list)
        .into_iter()
        .map(|n| {
            resolver
                .region(n)
                .map(|i| plan.regions[i].code.clone())
                .ok_or_else(|| not_in_plan("region", n))
        })
        .collect()
}

fn one(field: &'static str, mut values: Vec<String>) -> Result<String, ApiError> {
    match values.len() {
        1 => Ok(values.remove(0)),
        0 => Err(ApiError::bad(field, "必须给出", "is required")),
        _ => Err(ApiError::bad(field, "只能给出一个", "takes one value")),
    }
}

pub(crate) fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

pub(crate) fn parse_period(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<Period>, ApiError> {
    present(text)
        .map(|t| {
            Period::from_str(t).map_err(|_| {
                ApiError::bad(
                    field,
                    format!("\"{t}\" 不是时期（如 2023、2023Q1、2023-06）"),
                    format!("\"{t}\" is not a period (2023, 2023Q1, 2023-06 …)"),
                )
            })
        })
        .transpose()
}

pub(crate) fn parse_year(field: &'static str, text: Option<&str>) -> Result<Option<u16>, ApiError> {
    present(text)
        .map(|t| {
            t.trim_end_matches('年')
                .parse::<u16>()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| {
                    ApiError::bad(
                        field,
                        format!("\"{t}\" 不是年份（1900–2100）"),
                        format!("\"{t}\" is not a year (1900–2100)"),
                    )
                })
        })
        .transpose()
}

/// A calendar date `YYYY-MM-DD`.
pub(crate) fn parse_date(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<String>, ApiError> {
    present(text)
        .map(|t| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| d.format("%Y-%m-%d").to_string())
                .map_err(|_| {
                    ApiError::bad(
                        field,
                        format!("\"{t}\" 不是日期（YYYY-MM-DD）"),
                        format!("\"{t}\" is not a date (YYYY-MM-DD)"),
                    )
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    /// The schema of a query parameter of `GET path` in the served document.
    fn schema(document: &Value, path: &str, name: &str) -> Value {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))["schema"]
            .clone()
    }

    #[test]
    fn parameters_admit_what_the_handlers_accept() {
        let plan = planwatch_plan::chengdu::plan();
        let (_, openapi) = super::router(&plan);
        let document = serde_json::to_value(&openapi).unwrap();
        // One indicator or region of the plan, required: no empty value, no unknown code.
        let history = "/api/observations/history";
        let indicator = schema(&document, history, "indicator");
        let codes = indicator["enum"].as_array().unwrap();
        assert!(codes.contains(&json!("retail_sales")) && codes.contains(&json!("2")));
        assert!(!codes.contains(&json!("")) && !codes.contains(&json!("no_such_code")));
        let regions = schema(&document, history, "region")["enum"].clone();
        assert!(
            regions.as_array().unwrap().contains(&json!("510100")),
            "{regions}"
        );
        assert!(schema(&document, history, "period")["pattern"].is_string());
        // Lists of them elsewhere, comma-separated.
        let list = &document["paths"]["/api/observations"]["get"]["parameters"][0];
        assert_eq!(
            (&list["name"], &list["style"], &list["explode"]),
            (&json!("indicator"), &json!("form"), &json!(false))
        );
        assert_eq!(list["schema"]["type"], "array");
        // A date that exists, or nothing (0000-00-00 matched the old pattern).
        let as_of = schema(&document, "/api/evaluation", "as_of");
        assert_eq!(as_of["anyOf"][1]["format"], "date", "{as_of}");
        let per_page = schema(&document, "/api/observations", "per_page");
        assert_eq!(per_page["anyOf"][1]["maximum"], 1000, "{per_page}");
    }
}
