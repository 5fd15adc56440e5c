//! 项目: the year's key projects (重大项目) in the API (`/api/projects`, `/api/projects/{id}`)
//! and the web — the list with its filters and a map of Chengdu (`/projects`: a point where a
//! project has coordinates, else the count of projects on its district's outline; projects in
//! managed areas, which the map does not draw, are counted beside it) and a project's page
//! (`/projects/{id}`). Read like published data (`Object::TasksAndProjects`), loaded once per
//! plan version (`Service::projects`) and filtered in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;
use planwatch_access::Unit;
use planwatch_app::tasks::ProjectView;
use planwatch_plan::{Plan, RegionKind};
use planwatch_store::{ProjectFilter, StoredProject};
use planwatch_tasks::{PlannedDate, Stage, Status};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::{PageParams, parse_year, present, region_codes};
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::{script_json, text, v};
use crate::reporting::{region_name, unit_name};
use crate::service::Service;
use crate::submissions::parse_id;
use crate::tasks::{
    Source, StatusView, UnitRef, light_code, parse_column, parse_status, parse_unit, status_counts,
    unit_choices,
};

type AppState = State<Arc<Service>>;

/// The pages' routes (the access rules must cover them: `rules`).
pub(crate) const PAGE_PATHS: [&str; 2] = ["/projects", "/projects/{id}"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(PAGE_PATHS, [get(list_page), get(page)])
}

/// A point (WGS 84 degrees).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
struct Point {
    lon: f64,
    lat: f64,
}

/// A key project as `planwatch projects list --format json` prints it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectItem {
    id: i64,
    year: u16,
    /// The list's 序号
    seq: String,
    section: String,
    name: String,
    /// 建设内容
    content: String,
    /// The 区（市）县 or managed area it is in
    region: UnitRef,
    coordinates: Option<Point>,
    /// The 专栏 it belongs to
    column: Option<u32>,
    /// 责任单位
    units: Vec<UnitRef>,
    /// 总投资, 亿元
    total_investment: f64,
    /// 年度计划投资 of the list's year, 亿元
    year_investment: Option<f64>,
    /// 2024, 2024-06 or 2024-06-15
    planned_start: Option<String>,
    planned_completion: Option<String>,
    /// preparation, construction, completed or operating
    stage: String,
    /// 前期, 在建, 竣工 or 投运
    stage_zh: String,
    source: Source,
    /// Today's status from the approved progress reports (as a task's)
    status: &'static str,
    status_zh: &'static str,
    /// green, grey, yellow or red
    light: &'static str,
}

impl ProjectItem {
    fn new(plan: &Plan, view: &ProjectView, lang: Lang) -> ProjectItem {
        let stored = &view.project;
        let status = view.judgement.status;
        let p = &stored.project;
        ProjectItem {
            id: stored.id,
            year: stored.year,
            seq: p.key.clone(),
            section: p.section.clone(),
            name: p.name.clone(),
            content: p.content.clone(),
            region: UnitRef::new(plan, &Unit::Region(p.region.clone()), lang),
            coordinates: p.coordinates.map(|c| Point {
                lon: c.longitude,
                lat: c.latitude,
            }),
            column: p.column,
            units: p
                .units
                .iter()
                .map(|u| UnitRef::new(plan, u, lang))
                .collect(),
            total_investment: p.total_investment,
            year_investment: p.year_investment,
            planned_start: p.planned_start.map(PlannedDate::key),
            planned_completion: p.planned_completion.map(PlannedDate::key),
            stage: p.stage.code().to_owned(),
            stage_zh: p.stage.label_zh().to_owned(),
            source: Source::new(&stored.source_file, i64::try_from(p.row).unwrap_or(0)),
            status: status.as_str(),
            status_zh: status.label_zh(),
            light: light_code(status.light()),
        }
    }
}

/// A page of key projects.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProjectPage {
    total: usize,
    page: usize,
    per_page: usize,
    items: Vec<ProjectItem>,
}

/// Which projects: every filter given must hold.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProjectParams {
    /// The list's year
    year: Option<String>,
    /// Regions (codes or names, comma-separated): projects in any of them
    region: Option<String>,
    /// A responsible unit (region or department code)
    unit: Option<String>,
    /// preparation, construction, completed or operating (前期, 在建, 竣工, 投运)
    stage: Option<String>,
    /// A 专栏 by number
    column: Option<String>,
    /// Today's status: done, on_schedule, not_started, lagging, not_reported, serious, overdue
    status: Option<String>,
}

/// [`ProjectParams`] parsed.
#[derive(Debug, Default, Clone, PartialEq)]
struct ProjectQuery {
    year: Option<u16>,
    regions: Vec<String>,
    unit: Option<Unit>,
    stage: Option<Stage>,
    column: Option<u32>,
    status: Option<Status>,
}

impl ProjectParams {
    fn parse(&self, service: &Service) -> Result<ProjectQuery, ApiError> {
        let plan = &service.plan;
        let stage = present(self.stage.as_deref())
            .map(|t| {
                Stage::from_code(t).or_else(|| Stage::parse(t)).ok_or_else(|| {
                    ApiError::bad(
                        "stage",
                        format!("应为 preparation、construction、completed 或 operating，而不是 \"{t}\""),
                        format!("must be preparation, construction, completed or operating, not \"{t}\""),
                    )
                })
            })
            .transpose()?;
        Ok(ProjectQuery {
            year: parse_year("year", self.year.as_deref())?,
            regions: region_codes(service, self.region.as_deref())?,
            unit: parse_unit(plan, self.unit.as_deref())?,
            stage,
            column: parse_column(plan, self.column.as_deref())?,
            status: parse_status(self.status.as_deref())?,
        })
    }
}

impl ProjectQuery {
    fn admits(&self, view: &ProjectView) -> bool {
        self.status.is_none_or(|s| view.judgement.status == s) && self.admits_project(&view.project)
    }

    /// Whether the filters but the status admit the project.
    fn admits_project(&self, stored: &StoredProject) -> bool {
        let p = &stored.project;
        self.year.is_none_or(|y| stored.year == y)
            && (self.regions.is_empty() || self.regions.contains(&p.region))
            && self.unit.as_ref().is_none_or(|u| p.units.contains(u))
            && self.stage.is_none_or(|s| p.stage == s)
            && self.column.is_none_or(|c| p.column == Some(c))
    }
}

/// Every key project of the plan with its status today.
pub(crate) async fn all_projects(service: &Service) -> Result<Arc<Vec<ProjectView>>, ApiError> {
    crate::tasks::for_today(service, &service.projects, async |today| {
        let (store, plan) = (service.store(), &service.plan);
        planwatch_app::tasks::project_views(store, plan, &ProjectFilter::default(), today).await
    })
    .await
}

fn no_project(id: i64) -> ApiError {
    ApiError::not_found(format!("没有项目 {id}"), format!("no key project {id}"))
}

/// The year's key projects (重大项目表), by year and list row, a page at a time.
#[utoipa::path(get, path = "/api/projects", tag = "tasks",
    params(ProjectParams, PageParams),
    responses((status = 200, description = "One page", body = ProjectPage),
              (status = 400, description = "A bad filter, named in `field`", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): AppState,
    Query(params): Query<ProjectParams>,
    Query(page): Query<PageParams>,
) -> Result<Json<ProjectPage>, ApiError> {
    let query = params.parse(&service)?;
    let (page, per_page) = page.parse()?;
    let projects = all_projects(&service).await?;
    let admitted: Vec<&ProjectView> = projects.iter().filter(|p| query.admits(p)).collect();
    let items = admitted
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|p| ProjectItem::new(&service.plan, p, Lang::Zh))
        .collect();
    Ok(Json(ProjectPage {
        total: admitted.len(),
        page,
        per_page,
        items,
    }))
}

/// One key project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "tasks",
    params(("id" = i64, Path, minimum = 1, description = "The project")),
    responses((status = 200, description = "The project", body = ProjectItem),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 404, description = "No such project", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): AppState,
    Path(id): Path<String>,
) -> Result<Json<ProjectItem>, ApiError> {
    let id = parse_id(&id)?;
    let projects = all_projects(&service).await?;
    let project = projects
        .iter()
        .find(|p| p.project.id == id)
        .ok_or_else(|| no_project(id))?;
    Ok(Json(ProjectItem::new(&service.plan, project, Lang::Zh)))
}

/// A point on the map: a project with coordinates.
#[derive(Debug, Serialize)]
struct MapPoint {
    id: i64,
    name: String,
    value: [f64; 2],
    stage: String,
}

/// A district on the map: its name as the map's outline has it, its label, and how many
/// projects without coordinates are in it.
#[derive(Debug, Serialize)]
struct MapDistrict {
    name: String,
    label: String,
    value: usize,
}

/// The stages' labels in `lang`, in order.
pub(crate) fn stage_label(stage: Stage, lang: Lang) -> String {
    match lang {
        Lang::Zh => stage.label_zh().to_owned(),
        Lang::En => stage.label_en().to_owned(),
    }
}

/// The map's data: points, and counts by district (outlined) or by managed area (beside).
fn map_data(
    plan: &Plan,
    projects: &[&StoredProject],
    lang: Lang,
) -> (Vec<MapPoint>, Vec<MapDistrict>, Vec<(String, usize)>) {
    let points = projects
        .iter()
        .filter_map(|stored| {
            let c = stored.project.coordinates?;
            Some(MapPoint {
                id: stored.id,
                name: stored.project.name.clone(),
                value: [c.longitude, c.latitude],
                stage: stage_label(stored.project.stage, lang),
            })
        })
        .collect();
    let mut by_region: BTreeMap<&str, usize> = BTreeMap::new();
    for stored in projects.iter().filter(|p| p.project.coordinates.is_none()) {
        *by_region.entry(stored.project.region.as_str()).or_default() += 1;
    }
    let mut districts = Vec::new();
    let mut managed = Vec::new();
    for region in plan
        .regions
        .iter()
        .filter(|r| r.parent.as_deref() == Some(plan.region.as_str()))
    {
        let count = by_region.get(region.code.as_str()).copied().unwrap_or(0);
        if region.kind == RegionKind::ManagedArea {
            if count > 0 {
                managed.push((text(lang, &region.name), count));
            }
        } else {
            districts.push(MapDistrict {
                name: region.name.zh.clone(),
                label: text(lang, &region.name),
                value: count,
            });
        }
    }
    (points, districts, managed)
}

/// The board's own parameter beside [`ProjectParams`].
#[derive(Debug, Default, Deserialize)]
struct ListParams {
    page: Option<String>,
}

/// A row of the list.
#[derive(Debug, Serialize)]
struct ListRow {
    id: i64,
    seq: String,
    name: String,
    region: String,
    column: Option<u32>,
    units: Vec<String>,
    total_investment: f64,
    year_investment: Option<f64>,
    stage: String,
    located: bool,
    status: StatusView,
}

/// Rows on a page of the list.
const PER_PAGE: usize = 100;

const LIST_TITLE: (&str, &str) = ("项目", "Key projects");

async fn list_page(
    State(service): AppState,
    request: PageRequest,
    Query(params): Query<ProjectParams>,
    Query(extra): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let mut query = params.parse(&service)?;
    let projects = all_projects(&service).await?;
    let mut years: Vec<u16> = projects.iter().map(|p| p.project.year).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    if query.year.is_none() {
        query.year = years.first().copied();
    }
    let page = PageParams {
        page: extra.page.clone(),
        per_page: None,
    }
    .parse()?
    .0;
    let admitted: Vec<&ProjectView> = projects.iter().filter(|p| query.admits(p)).collect();
    let pages = admitted.len().div_ceil(PER_PAGE).max(1);
    let rows: Vec<ListRow> = admitted
        .iter()
        .skip((page - 1).saturating_mul(PER_PAGE))
        .take(PER_PAGE)
        .map(|view| {
            let stored = &view.project;
            let p = &stored.project;
            ListRow {
                id: stored.id,
                seq: p.key.clone(),
                name: p.name.clone(),
                region: region_name(plan, &p.region, lang),
                column: p.column,
                units: p.units.iter().map(|u| unit_name(plan, u, lang)).collect(),
                total_investment: p.total_investment,
                year_investment: p.year_investment,
                stage: stage_label(p.stage, lang),
                located: p.coordinates.is_some(),
                status: StatusView::new(view.judgement.status),
            }
        })
        .collect();
    let stages: Vec<(String, String, usize)> = Stage::ALL
        .into_iter()
        .map(|s| {
            (
                s.code().to_owned(),
                stage_label(s, lang),
                admitted
                    .iter()
                    .filter(|p| p.project.project.stage == s)
                    .count(),
            )
        })
        .collect();
    let counts = status_counts(admitted.iter().map(|p| &p.judgement));
    let listed: Vec<&StoredProject> = admitted.iter().map(|p| &p.project).collect();
    let (points, districts, managed) = map_data(plan, &listed, lang);
    let map = serde_json::json!({
        "points": points,
        "districts": districts,
        "lang": lang.as_str(),
        "labels": {
            "located": match lang { Lang::Zh => "有坐标的项目", Lang::En => "Projects with coordinates" },
            "count": match lang { Lang::Zh => "无坐标项目数", Lang::En => "Projects without coordinates" },
        },
    });
    let (district_choices, departments) = unit_choices(plan, lang);
    let columns: Vec<u32> = plan.columns.iter().map(|c| c.number).collect();
    Ok(Html(request.render(
        &service,
        "projects.html",
        LIST_TITLE,
        context! {
            year => v(&query.year),
            years => v(&years),
            region => v(&query.regions.first()),
            unit => v(&query.unit.as_ref().map(Unit::code)),
            stage => v(&query.stage.map(Stage::code)),
            column => v(&query.column),
            districts => v(&district_choices),
            departments => v(&departments),
            columns => v(&columns),
            stages => v(&stages),
            status => v(&query.status.map(Status::as_str)),
            counts => v(&counts),
            statuses => v(&Status::ALL.map(StatusView::new)),
            rows => v(&rows),
            total => v(&admitted.len()),
            page => v(&page),
            pages => v(&pages),
            managed => v(&managed),
            map_data => v(&script_json(&map)),
            approval => v(&service.official_map.as_ref().map(|m| m.approval.clone())),
        },
    )?))
}

async fn page(
    State(service): AppState,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let id = parse_id(&id)?;
    let projects = all_projects(&service).await?;
    let view = projects
        .iter()
        .find(|p| p.project.id == id)
        .ok_or_else(|| no_project(id))?;
    let stored = &view.project;
    let item = ProjectItem::new(plan, view, lang);
    let column = stored
        .project
        .column
        .and_then(|n| plan.columns.iter().find(|c| c.number == n))
        .map(|c| (c.source_ref.0.clone(), text(lang, &c.title)));
    let title = stored.project.name.clone();
    Ok(Html(request.render(
        &service,
        "project.html",
        (&title, &title),
        context! {
            project => v(&item),
            stage => v(&stage_label(stored.project.stage, lang)),
            status => v(&StatusView::new(view.judgement.status)),
            reason => v(&text(lang, &view.judgement.reason)),
            column => v(&column),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_tasks::{Coordinates, ListedProject};

    fn stored(id: i64, region: &str, at: Option<(f64, f64)>, stage: Stage) -> StoredProject {
        StoredProject {
            id,
            year: 2024,
            source_file: "projects.csv".into(),
            project: ListedProject {
                key: id.to_string(),
                section: String::new(),
                name: format!("project {id}"),
                content: String::new(),
                region: region.into(),
                coordinates: at.map(|(longitude, latitude)| Coordinates {
                    longitude,
                    latitude,
                }),
                column: Some(16),
                units: vec![Unit::Department("commerce".into())],
                total_investment: 10.0,
                year_investment: None,
                planned_start: None,
                planned_completion: None,
                stage,
                row: 2,
            },
        }
    }

    #[test]
    fn the_map_draws_points_and_counts_the_rest_by_district_and_managed_area() {
        let plan = planwatch_plan::chengdu::plan();
        let managed = plan
            .regions
            .iter()
            .find(|r| r.kind == RegionKind::ManagedArea)
            .unwrap();
        let projects = [
            stored(1, "510104", Some((104.08, 30.65)), Stage::Construction),
            stored(2, "510104", None, Stage::Preparation),
            stored(3, "510104", None, Stage::Construction),
            stored(4, &managed.code, None, Stage::Operating),
        ];
        let refs: Vec<&StoredProject> = projects.iter().collect();
        let (points, districts, beside) = map_data(&plan, &refs, Lang::Zh);
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].value, [104.08, 30.65]);
        assert_eq!(points[0].stage, "在建");
        let jinjiang = districts.iter().find(|d| d.name == "锦江区").unwrap();
        assert_eq!(jinjiang.value, 2);
        assert!(districts.iter().all(|d| d.name != managed.name.zh));
        assert_eq!(beside, [(managed.name.zh.clone(), 1)]);
        let query = ProjectQuery {
            stage: Some(Stage::Construction),
            regions: vec!["510104".into()],
            ..ProjectQuery::default()
        };
        let ids: Vec<i64> = projects
            .iter()
            .filter(|p| query.admits_project(p))
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }
}
