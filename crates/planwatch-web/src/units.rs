//! 单位主页 A unit's page (issue 14): `/units/{code}` and `GET /api/units/{code}` — for a
//! department, a district or a managed area, by its code in the plan: its tasks of the year by
//! role (牵头, 责任, 配合) with their lights, its key projects (in the district, or with the unit
//! responsible), its indicators (a department's: those it leads or is responsible for, the
//! city's targets; a district's: its district targets), its supervision records (the open
//! 督办单 first) and its score of the year with the link to the breakdown. The route is read
//! like published data (`Object::TasksAndProjects`); the records and the score are then asked
//! of with the unit (`Object::Supervision { unit }`, `Object::Scores { unit }`) and left out
//! (`null`) for a caller who may not read them. A reporter's nav links its own unit (我的单位).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;
use planwatch_access::{Action, Object, Unit, resolve_unit};
use planwatch_app::EvaluationRequest;
use planwatch_app::scoring::UnitResult;
use planwatch_plan::Plan;
use planwatch_store::{SupervisionFilter, TaskRole, unanswered_orders};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::{text, v};
use crate::reporting::{parse_year, today};
use crate::service::Service;
use crate::supervision::RecordOut;
use crate::tasks::{StatusView, UnitRef, light_code};

/// The page (the access rules must cover it: `rules`).
pub(crate) const PAGE_PATHS: [&str; 1] = ["/units/{code}"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(PAGE_PATHS, [get(page)])
}

/// Which year.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UnitParams {
    /// The year (default: the latest year with tasks)
    year: Option<String>,
}

/// A task of the unit, with today's status.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskLine {
    id: i64,
    /// The sheet's 序号
    seq: String,
    title: String,
    /// The plan clause it serves
    clause: String,
    /// YYYY-MM-DD; none for ongoing work (持续推进)
    deadline: Option<String>,
    /// done, on_schedule, not_started, lagging, not_reported, serious or overdue
    status: &'static str,
    status_zh: &'static str,
    /// green, grey, yellow or red
    light: &'static str,
}

/// The unit's tasks of the year by its role in them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnitTasks {
    /// 牵头
    lead: Vec<TaskLine>,
    /// 责任
    responsible: Vec<TaskLine>,
    /// 配合
    supporting: Vec<TaskLine>,
}

/// A key project of the unit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectLine {
    id: i64,
    seq: String,
    name: String,
    /// The district it is in
    region: UnitRef,
    /// in_region (the unit is its district) or responsible (责任单位)
    role: &'static str,
    /// preparation, construction, completed or operating
    stage: &'static str,
    stage_zh: &'static str,
    status: &'static str,
    status_zh: &'static str,
    light: &'static str,
}

/// An indicator target of the unit, as the evaluation of the year judges it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IndicatorLine {
    code: String,
    number: Option<u32>,
    name: String,
    /// lead (牵头), responsible (责任) or district_target (区县目标)
    role: &'static str,
    role_zh: &'static str,
    /// The region the target is for
    region: String,
    target: Option<String>,
    /// achieved, on_track … no_data (the evaluation's)
    status: &'static str,
    status_zh: &'static str,
}

/// The unit's score of the year (its breakdown: `/api/scores/{unit}`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScoreLine {
    total: f64,
    base: f64,
    bonus: f64,
    deduction: f64,
    rank: Option<u32>,
    /// Assessed units of its kind
    of: u32,
    /// The kind it is ranked among (区（市）县, 部门, 管委会)
    group_zh: String,
    frozen: bool,
}

/// A unit's page: its tasks, key projects, indicators, supervision records and score.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnitOverview {
    unit: UnitRef,
    /// 市辖区, 县级市, 管委会 … (the region's kind) or 部门
    kind_zh: &'static str,
    /// The same in English
    kind_en: &'static str,
    year: u16,
    tasks: UnitTasks,
    projects: Vec<ProjectLine>,
    indicators: Vec<IndicatorLine>,
    /// The supervision records of its tasks of the year, the open 督办单 first; null for a
    /// caller who may not read them
    supervision: Option<Vec<RecordOut>>,
    /// Null for a caller who may not read it, or a unit the plan does not assess
    score: Option<ScoreLine>,
}

fn no_unit(code: &str) -> ApiError {
    ApiError::not_found(format!("单位 \"{code}\""), format!("unit \"{code}\""))
}

/// The unit `code` names (a region or department code of the plan).
fn unit_of(plan: &Plan, code: &str) -> Result<Unit, ApiError> {
    resolve_unit(plan, code).map_err(|_| no_unit(code))
}

/// The unit's kind in Chinese and English.
fn kind_of(plan: &Plan, unit: &Unit) -> (&'static str, &'static str) {
    match unit {
        Unit::Region(code) => plan
            .regions
            .iter()
            .find(|r| &r.code == code)
            .map_or(("地区", "region"), |r| {
                (r.kind.label_zh(), r.kind.label_en())
            }),
        Unit::Department(_) => ("部门", "department"),
    }
}

/// The year asked for, or the latest year with tasks, or the store's latest year.
async fn year_of(service: &Service, params: &UnitParams) -> Result<u16, ApiError> {
    if let Some(year) = parse_year(params.year.as_deref())? {
        return crate::assessment::year_in_range(year);
    }
    let tasks = crate::tasks::all_tasks(service).await?;
    match tasks.iter().map(|t| t.task.year).max() {
        Some(year) => Ok(year),
        None => Ok(planwatch_app::default_year(service.store(), &service.plan).await?),
    }
}

async fn unit_tasks(service: &Service, unit: &Unit, year: u16) -> Result<UnitTasks, ApiError> {
    let tasks = crate::tasks::all_tasks(service).await?;
    let of_role = |role: TaskRole| {
        tasks
            .iter()
            .filter(|t| t.task.year == year && t.task.task.units_in(role).contains(&unit))
            .map(|t| {
                let status = t.judgement.status;
                TaskLine {
                    id: t.task.id,
                    seq: t.task.task.key.clone(),
                    title: t.task.task.title.clone(),
                    clause: t.task.task.clause.clone(),
                    deadline: t.task.task.deadline.map(|d| d.to_string()),
                    status: status.as_str(),
                    status_zh: status.label_zh(),
                    light: light_code(status.light()),
                }
            })
            .collect()
    };
    Ok(UnitTasks {
        lead: of_role(TaskRole::Lead),
        responsible: of_role(TaskRole::Responsible),
        supporting: of_role(TaskRole::Supporting),
    })
}

async fn unit_projects(
    service: &Service,
    unit: &Unit,
    year: u16,
    lang: Lang,
) -> Result<Vec<ProjectLine>, ApiError> {
    let plan = &service.plan;
    let projects = crate::projects::all_projects(service).await?;
    Ok(projects
        .iter()
        .filter(|p| p.project.year == year)
        .filter_map(|view| {
            let p = &view.project.project;
            let role = if p.units.contains(unit) {
                "responsible"
            } else if matches!(unit, Unit::Region(code) if *code == p.region) {
                "in_region"
            } else {
                return None;
            };
            let status = view.judgement.status;
            Some(ProjectLine {
                id: view.project.id,
                seq: p.key.clone(),
                name: p.name.clone(),
                region: UnitRef::new(plan, &Unit::Region(p.region.clone()), lang),
                role,
                stage: p.stage.code(),
                stage_zh: p.stage.label_zh(),
                status: status.as_str(),
                status_zh: status.label_zh(),
                light: light_code(status.light()),
            })
        })
        .collect())
}

/// A department's indicators (the city's targets of those it leads or is responsible for), or a
/// region's own targets, judged by the evaluation of `year`.
async fn unit_indicators(
    service: &Arc<Service>,
    unit: &Unit,
    year: u16,
    lang: Lang,
) -> Result<Vec<IndicatorLine>, ApiError> {
    let plan = &service.plan;
    let region = match unit {
        Unit::Region(code) => code.as_str(),
        Unit::Department(_) => plan.region.as_str(),
    };
    let Some(index) = service.names.region(region) else {
        return Ok(Vec::new());
    };
    let report = service
        .evaluation(EvaluationRequest {
            year: Some(year),
            regions: Some(vec![index]),
            ..EvaluationRequest::default()
        })
        .await?;
    let role = |code: &str| -> Option<(&'static str, &'static str)> {
        match unit {
            Unit::Region(_) => Some(("district_target", "区县目标")),
            Unit::Department(department) => {
                let indicator = plan.indicators.iter().find(|i| i.code == code)?;
                if indicator.lead_department.as_ref() == Some(department) {
                    Some(("lead", "牵头"))
                } else if indicator.departments.contains(department) {
                    Some(("responsible", "责任"))
                } else {
                    None
                }
            }
        }
    };
    Ok(report
        .results
        .iter()
        .filter(|r| r.region == region && r.target.is_some())
        .filter_map(|r| {
            let (role, role_zh) = role(&r.indicator)?;
            let indicator = plan.indicators.iter().find(|i| i.code == r.indicator)?;
            Some(IndicatorLine {
                code: r.indicator.clone(),
                number: r.number,
                name: text(lang, &indicator.name),
                role,
                role_zh,
                region: r.region.clone(),
                target: match lang {
                    Lang::Zh => r.target_text.clone(),
                    Lang::En => r.target_text_en.clone(),
                },
                status: r.evaluation.status.as_str(),
                status_zh: r.evaluation.status.label_zh(),
            })
        })
        .collect())
}

/// The unit's supervision records of the year, the open 督办单 first (the longest overdue
/// first), if the caller may read them.
async fn unit_supervision(
    service: &Service,
    caller: &Caller,
    unit: &Unit,
    year: u16,
) -> Result<Option<Vec<RecordOut>>, ApiError> {
    let object = Object::Supervision {
        unit: Some(unit.clone()),
    };
    if !service
        .policy()
        .may(&caller.actor, Action::Read, &object)
        .is_allowed()
    {
        return Ok(None);
    }
    let filter = SupervisionFilter {
        year: Some(year),
        unit: Some(unit.clone()),
        ..SupervisionFilter::default()
    };
    let records = service.store().supervision(&service.plan, &filter).await?;
    let open = unanswered_orders(&records);
    let today = today();
    let rest = records
        .iter()
        .filter(|r| !open.iter().any(|o| o.id == r.id));
    Ok(Some(
        open.iter()
            .copied()
            .chain(rest)
            .map(|r| RecordOut::of(service, r, today))
            .collect(),
    ))
}

fn score_line(result: &UnitResult, frozen: bool) -> ScoreLine {
    ScoreLine {
        total: result.total,
        base: result.base,
        bonus: result.bonus,
        deduction: result.deduction,
        rank: result.rank,
        of: result.of,
        group_zh: result.group_zh.clone(),
        frozen,
    }
}

async fn overview(
    service: &Arc<Service>,
    caller: &Caller,
    code: &str,
    params: &UnitParams,
    lang: Lang,
) -> Result<UnitOverview, ApiError> {
    let plan = &service.plan;
    let unit = unit_of(plan, code)?;
    let year = year_of(service, params).await?;
    let score = crate::assessment::readable_result(service, caller, unit.code(), year)
        .await?
        .map(|(scores, result)| score_line(&result, scores.frozen.is_some()));
    let (kind_zh, kind_en) = kind_of(plan, &unit);
    Ok(UnitOverview {
        unit: UnitRef::new(plan, &unit, lang),
        kind_zh,
        kind_en,
        year,
        tasks: unit_tasks(service, &unit, year).await?,
        projects: unit_projects(service, &unit, year, lang).await?,
        indicators: unit_indicators(service, &unit, year, lang).await?,
        supervision: unit_supervision(service, caller, &unit, year).await?,
        score,
    })
}

/// A unit's page: its tasks of the year by role with their status, its key projects, its
/// indicator targets, its supervision records (the open 督办单 first) and its score; the
/// records and the score are null for a caller who may not read them.
#[utoipa::path(get, path = "/api/units/{code}", tag = "tasks",
    params(("code" = String, Path, description = "A region or department code of the plan"),
           UnitParams),
    responses((status = 200, description = "The unit", body = UnitOverview),
              (status = 400, description = "A bad year", body = ErrorBody),
              (status = 404, description = "No such unit", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(code): Path<String>,
    Query(params): Query<UnitParams>,
) -> Result<Json<UnitOverview>, ApiError> {
    Ok(Json(
        overview(&service, &caller, &code, &params, Lang::Zh).await?,
    ))
}

async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Path(code): Path<String>,
    Query(params): Query<UnitParams>,
) -> Result<Html<String>, ApiError> {
    let lang = request.lang();
    let unit = overview(&service, &request.caller, &code, &params, lang).await?;
    let tasks = crate::tasks::all_tasks(&service).await?;
    let task_counts = crate::tasks::status_counts(
        tasks
            .iter()
            .filter(|t| {
                t.task.year == unit.year && t.task.task.units.iter().any(|(u, _)| u.code() == code)
            })
            .map(|t| &t.judgement),
    );
    let roles = [
        ("lead", "牵头", "Lead", &unit.tasks.lead),
        ("responsible", "责任", "Responsible", &unit.tasks.responsible),
        ("supporting", "配合", "Supporting", &unit.tasks.supporting),
    ]
    .map(|(role, zh, en, tasks)| {
        serde_json::json!({ "role": role, "zh": zh, "en": en, "tasks": tasks })
    });
    let years: Vec<u16> = (service.plan.base_year + 1..=service.plan.target_year).collect();
    let title = unit.unit.name().to_owned();
    Ok(Html(request.render(
        &service,
        "unit.html",
        (&title, &title),
        context! {
            unit => v(&unit),
            roles => v(&roles),
            task_counts => v(&task_counts),
            years => v(&years),
            // A line's light and words in both languages, by its status code.
            statuses => v(&planwatch_tasks::Status::ALL.map(StatusView::new)),
        },
    )?))
}
