//! 任务: the year's tasks (年度任务分解表) in the API (`/api/tasks`, `/api/tasks/{id}`) and
//! the web — the 任务 board (`/tasks`: filters by unit, action / 专栏 and deadline month, a page
//! of 100 at a time) and a task's page (`/tasks/{id}`: its plan clause and text, units by role,
//! deadline, nodes, expected result, indicators). Read like published data
//! (`Object::TasksAndProjects`). The tasks are loaded once per plan version (`Service::tasks`)
//! and filtered in memory, so that a board of thousands answers without a query.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use planwatch_access::{Unit, resolve_unit};
use planwatch_app::tasks::TaskView;
use planwatch_plan::{Plan, RegionKind, SourceRef};
use planwatch_store::{StoredTask, TaskFilter, TaskRole};
use planwatch_tasks::{Clause, Judgement, Light, Progress, Status};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::{PageParams, parse_date, parse_year, present};
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::{text, v};
use crate::reporting::{period_label, today, unit_name};
use crate::service::Service;
use crate::submissions::parse_id;

type AppState = State<Arc<Service>>;

/// The pages' routes (the access rules must cover them: `rules`).
pub(crate) const PAGE_PATHS: [&str; 2] = ["/tasks", "/tasks/{id}"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(PAGE_PATHS, [get(board), get(page)])
}

/// Rows on a page of the board.
const PER_PAGE: usize = 100;

/// A unit in a task or project: its kind (`region`, `department`), code and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct UnitRef {
    kind: String,
    code: String,
    name: String,
}

impl UnitRef {
    pub(crate) fn new(plan: &Plan, unit: &Unit, lang: Lang) -> UnitRef {
        UnitRef {
            kind: unit.kind().to_owned(),
            code: unit.code().to_owned(),
            name: unit_name(plan, unit, lang),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// Where an entry came from: the file (its name alone) and the row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Source {
    file: String,
    row: i64,
}

impl Source {
    pub(crate) fn new(typed: &str, row: i64) -> Source {
        Source {
            file: crate::api::public_file_name(typed).to_owned(),
            row,
        }
    }
}

/// A node of a task: by `due`, `expected` is done (`share` % of the task, where given).
#[derive(Debug, Serialize, ToSchema)]
struct NodeItem {
    /// YYYY-MM-DD
    due: String,
    expected: String,
    share: Option<f64>,
}

/// The number in the expected result, with its unit.
#[derive(Debug, Serialize, ToSchema)]
struct QuantityItem {
    value: f64,
    unit: String,
}

/// A task as `planwatch tasks list --format json` prints it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskItem {
    id: i64,
    year: u16,
    /// The sheet's 序号
    seq: String,
    /// The section row above it (the action)
    section: String,
    /// The plan clause it serves (5.1.2, c16.1)
    clause: String,
    title: String,
    lead: Vec<UnitRef>,
    responsible: Vec<UnitRef>,
    supporting: Vec<UnitRef>,
    /// YYYY-MM-DD; none for ongoing work (持续推进)
    deadline: Option<String>,
    ongoing: bool,
    nodes: Vec<NodeItem>,
    /// The year's expected result in words
    expected: String,
    quantity: Option<QuantityItem>,
    /// Indicator codes
    indicators: Vec<String>,
    /// 数据提供单位: who reports the figures of its indicators for the year
    data_providers: Vec<UnitRef>,
    source: Source,
    /// done, on_schedule, not_started, lagging, not_reported, serious or overdue: today, from
    /// the approved progress reports
    status: &'static str,
    /// 已完成, 正常推进, 未启动, 进度滞后, 未报送, 严重滞后 or 逾期
    status_zh: &'static str,
    /// green, grey, yellow or red
    light: &'static str,
}

/// A light's name in the API and the pages' classes.
pub(crate) fn light_code(light: Light) -> &'static str {
    match light {
        Light::Green => "green",
        Light::Grey => "grey",
        Light::Yellow => "yellow",
        Light::Red => "red",
    }
}

/// A status for a page: code, light and words in both languages.
#[derive(Debug, Serialize)]
pub(crate) struct StatusView {
    code: &'static str,
    light: &'static str,
    zh: &'static str,
    en: &'static str,
}

impl StatusView {
    pub(crate) fn new(status: Status) -> StatusView {
        StatusView {
            code: status.as_str(),
            light: light_code(status.light()),
            zh: status.label_zh(),
            en: status.label_en(),
        }
    }
}

/// A `status` parameter: a status code or its Chinese words.
pub(crate) fn parse_status(text: Option<&str>) -> Result<Option<Status>, ApiError> {
    present(text)
        .map(|t| {
            Status::parse(t).ok_or_else(|| {
                let codes: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::bad(
                    "status",
                    format!("应为 {}，而不是 \"{t}\"", codes.join("、")),
                    format!("must be one of {}, not \"{t}\"", codes.join(", ")),
                )
            })
        })
        .transpose()
}

impl TaskItem {
    fn new(plan: &Plan, view: &TaskView, lang: Lang) -> TaskItem {
        let stored = &view.task;
        let status = view.judgement.status;
        let task = &stored.task;
        let units = |role: TaskRole| {
            task.units_in(role)
                .into_iter()
                .map(|u| UnitRef::new(plan, u, lang))
                .collect()
        };
        TaskItem {
            id: stored.id,
            year: stored.year,
            seq: task.key.clone(),
            section: task.section.clone(),
            clause: task.clause.clone(),
            title: task.title.clone(),
            lead: units(TaskRole::Lead),
            responsible: units(TaskRole::Responsible),
            supporting: units(TaskRole::Supporting),
            deadline: task.deadline.map(|d| d.to_string()),
            ongoing: task.deadline.is_none(),
            nodes: task
                .nodes
                .iter()
                .map(|n| NodeItem {
                    due: n.due.to_string(),
                    expected: n.expected.clone(),
                    share: n.share,
                })
                .collect(),
            expected: task.expected.clone(),
            quantity: task.quantity.as_ref().map(|(value, unit)| QuantityItem {
                value: *value,
                unit: unit.clone(),
            }),
            indicators: task.indicators.clone(),
            data_providers: task
                .providers
                .iter()
                .map(|u| UnitRef::new(plan, u, lang))
                .collect(),
            source: Source::new(&stored.source_file, task.row),
            status: status.as_str(),
            status_zh: status.label_zh(),
            light: light_code(status.light()),
        }
    }
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskPage {
    total: usize,
    page: usize,
    per_page: usize,
    items: Vec<TaskItem>,
}

/// Which tasks: every filter given must hold.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TaskParams {
    /// The sheet's year
    year: Option<String>,
    /// A unit (region or department code) in any role
    unit: Option<String>,
    /// Today's status: done, on_schedule, not_started, lagging, not_reported, serious, overdue
    status: Option<String>,
    /// A plan clause: an action (5.1) with its items, an item (5.1.2), a 专栏 (c16) with its
    /// items, an item of one (c16.1) or a measure (6.2)
    clause: Option<String>,
    /// A 专栏 by number (16 is c16)
    column: Option<String>,
    /// Deadline on or before this day (YYYY-MM-DD); ongoing work has none
    due_before: Option<String>,
    /// Deadline on or after this day (YYYY-MM-DD)
    due_after: Option<String>,
}

/// [`TaskParams`] parsed.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct TaskQuery {
    pub(crate) year: Option<u16>,
    pub(crate) unit: Option<Unit>,
    pub(crate) status: Option<Status>,
    /// Refs a task's clause must be or fall under.
    pub(crate) clauses: Vec<String>,
    pub(crate) due_before: Option<NaiveDate>,
    pub(crate) due_after: Option<NaiveDate>,
}

/// A `unit` parameter: a region or department code of the plan.
pub(crate) fn parse_unit(plan: &Plan, text: Option<&str>) -> Result<Option<Unit>, ApiError> {
    present(text)
        .map(|code| {
            resolve_unit(plan, code).map_err(|e| {
                let message = e.to_string();
                let (zh, en) = message.split_once(" / ").unwrap_or((&message, &message));
                ApiError::bad("unit", zh, en)
            })
        })
        .transpose()
}

fn day(field: &'static str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    Ok(parse_date(field, text)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
}

/// A 专栏 number of the plan.
pub(crate) fn parse_column(plan: &Plan, text: Option<&str>) -> Result<Option<u32>, ApiError> {
    present(text)
        .map(|t| {
            t.trim_start_matches(['c', 'C'])
                .parse::<u32>()
                .ok()
                .filter(|n| plan.columns.iter().any(|c| c.number == *n))
                .ok_or_else(|| {
                    ApiError::bad(
                        "column",
                        format!("规划中没有专栏 \"{t}\""),
                        format!("the plan has no column (专栏) \"{t}\""),
                    )
                })
        })
        .transpose()
}

/// Every ref a task's clause may name: actions, their items, 专栏, their items, measures.
pub(crate) fn clause_refs(plan: &Plan) -> Vec<String> {
    let mut refs = Vec::new();
    for action in &plan.actions {
        refs.push(action.source_ref.0.clone());
        refs.extend(action.items.iter().map(|i| i.source_ref.0.clone()));
    }
    for column in &plan.columns {
        refs.push(column.source_ref.0.clone());
        refs.extend((1..=column.items.len()).map(|k| format!("{}.{k}", column.source_ref.0)));
    }
    refs.extend(plan.measures.iter().map(|m| m.source_ref.0.clone()));
    refs
}

impl TaskParams {
    pub(crate) fn parse(&self, plan: &Plan) -> Result<TaskQuery, ApiError> {
        let mut clauses = Vec::new();
        if let Some(reference) = present(self.clause.as_deref()) {
            planwatch_tasks::clause(plan, &SourceRef(reference.to_owned()))
                .map_err(|_| {
                    ApiError::bad(
                        "clause",
                        format!("规划中没有条目 \"{reference}\"（行动 5.1、行动条目 5.1.2、专栏 c16、专栏条目 c16.1 或保障措施 6.2）"),
                        format!("the plan has no clause \"{reference}\" (an action 5.1, action item 5.1.2, column c16, column item c16.1 or measure 6.2)"),
                    )
                })?;
            clauses.push(reference.to_owned());
        }
        if let Some(column) = parse_column(plan, self.column.as_deref())? {
            clauses.push(format!("c{column}"));
        }
        Ok(TaskQuery {
            year: parse_year("year", self.year.as_deref())?,
            unit: parse_unit(plan, self.unit.as_deref())?,
            status: parse_status(self.status.as_deref())?,
            clauses,
            due_before: day("due_before", self.due_before.as_deref())?,
            due_after: day("due_after", self.due_after.as_deref())?,
        })
    }
}

/// Whether `clause` is `reference` or falls under it (5.1.2 under 5.1, c16.1 under c16).
fn under(clause: &str, reference: &str) -> bool {
    clause
        .strip_prefix(reference)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

impl TaskQuery {
    pub(crate) fn admits(&self, view: &TaskView) -> bool {
        self.status.is_none_or(|s| view.judgement.status == s) && self.admits_task(&view.task)
    }

    /// Whether the filters but the status admit the task.
    fn admits_task(&self, stored: &StoredTask) -> bool {
        let task = &stored.task;
        self.year.is_none_or(|y| stored.year == y)
            && self
                .unit
                .as_ref()
                .is_none_or(|unit| task.units.iter().any(|(u, _)| u == unit))
            && self.clauses.iter().all(|r| under(&task.clause, r))
            && self
                .due_before
                .is_none_or(|d| task.deadline.is_some_and(|t| t <= d))
            && self
                .due_after
                .is_none_or(|d| task.deadline.is_some_and(|t| t >= d))
    }
}

/// The list in `cache` for today, loaded by `load` when the store, the audit log (an approved
/// progress report moves it) or the day has moved.
pub(crate) async fn for_today<V>(
    service: &Service,
    cache: &crate::service::Cache<(i64, i64, NaiveDate), Vec<V>>,
    load: impl AsyncFnOnce(NaiveDate) -> Result<Vec<V>, planwatch_store::StoreError>,
) -> Result<Arc<Vec<V>>, ApiError> {
    let today = today();
    let key = (service.version(), service.audit_seq(), today);
    Ok(cache
        .get_or_compute(key, async || {
            let views = load(today).await?;
            let weight = views.len();
            Ok::<_, planwatch_store::StoreError>((views, weight))
        })
        .await?)
}

/// Every task of the plan with its status today.
pub(crate) async fn all_tasks(service: &Service) -> Result<Arc<Vec<TaskView>>, ApiError> {
    for_today(service, &service.tasks, async |today| {
        let (store, plan) = (service.store(), &service.plan);
        planwatch_app::tasks::task_views(store, plan, &TaskFilter::default(), today).await
    })
    .await
}

fn no_task(id: i64) -> ApiError {
    ApiError::not_found(format!("没有任务 {id}"), format!("no task {id}"))
}

/// The year's tasks (年度任务分解表), by year and sheet row, a page at a time: each with its
/// plan clause, units by role, deadline, nodes, expected result and indicators.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks",
    params(TaskParams, PageParams),
    responses((status = 200, description = "One page", body = TaskPage),
              (status = 400, description = "A bad filter, named in `field`", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): AppState,
    uri: Uri,
    Query(params): Query<TaskParams>,
    Query(page): Query<PageParams>,
) -> Result<Response, ApiError> {
    let plan = &service.plan;
    let query = params.parse(plan)?;
    let (page, per_page) = page.parse()?;
    // The same for every reader: serialised once per plan version, progress move, day and query.
    let key = (
        service.version(),
        format!("tasks:{}:{}:{uri}", service.audit_seq(), today()),
    );
    let body = service
        .answers
        .get_or_compute(key, async || {
            let tasks = all_tasks(&service).await?;
            let admitted: Vec<&TaskView> = tasks.iter().filter(|t| query.admits(t)).collect();
            let items = admitted
                .iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .map(|t| TaskItem::new(plan, t, Lang::Zh))
                .collect();
            let json = serde_json::to_vec(&TaskPage {
                total: admitted.len(),
                page,
                per_page,
                items,
            })
            .map_err(|_| ApiError::Internal)?;
            let kilobytes = json.len() / 1024 + 1;
            Ok::<_, ApiError>((axum::body::Bytes::from(json), kilobytes))
        })
        .await?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        Bytes::clone(&body),
    )
        .into_response())
}

/// One task.
#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks",
    params(("id" = i64, Path, minimum = 1, description = "The task")),
    responses((status = 200, description = "The task", body = TaskItem),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 404, description = "No such task", body = ErrorBody)))]
pub(crate) async fn show(
    State(service): AppState,
    Path(id): Path<String>,
) -> Result<Json<TaskItem>, ApiError> {
    let id = parse_id(&id)?;
    let tasks = all_tasks(&service).await?;
    let task = tasks
        .iter()
        .find(|t| t.task.id == id)
        .ok_or_else(|| no_task(id))?;
    Ok(Json(TaskItem::new(&service.plan, task, Lang::Zh)))
}

/// The board's own parameters beside [`TaskParams`].
#[derive(Debug, Default, Deserialize)]
struct BoardParams {
    /// A deadline month, `2024-06`.
    month: Option<String>,
    page: Option<String>,
}

/// The first and last day of a month `YYYY-MM`.
fn month_days(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

/// An option of a select: value and label.
#[derive(Debug, Serialize)]
pub(crate) struct Choice {
    value: String,
    label: String,
}

/// The units a board filters by: districts (county-level, then managed areas), departments.
pub(crate) fn unit_choices(plan: &Plan, lang: Lang) -> (Vec<Choice>, Vec<Choice>) {
    let mut regions: Vec<&planwatch_plan::Region> = plan
        .regions
        .iter()
        .filter(|r| r.parent.as_deref() == Some(plan.region.as_str()))
        .collect();
    regions.sort_by_key(|r| r.kind == RegionKind::ManagedArea);
    let districts = regions
        .into_iter()
        .map(|r| Choice {
            value: r.code.clone(),
            label: text(lang, &r.name),
        })
        .collect();
    let departments = plan
        .departments
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: text(lang, &d.name),
        })
        .collect();
    (districts, departments)
}

/// The actions and 专栏 a board filters by.
fn clause_choices(plan: &Plan, lang: Lang) -> (Vec<Choice>, Vec<Choice>) {
    let actions = plan
        .actions
        .iter()
        .map(|a| Choice {
            value: a.source_ref.0.clone(),
            label: format!("{} {}", a.source_ref.0, text(lang, &a.title)),
        })
        .collect();
    let columns = plan
        .columns
        .iter()
        .map(|c| Choice {
            value: c.source_ref.0.clone(),
            label: match lang {
                Lang::Zh => format!("专栏{} {}", c.number, c.title.zh),
                Lang::En => format!("Column {} {}", c.number, text(lang, &c.title)),
            },
        })
        .collect();
    (actions, columns)
}

/// A row of the board.
#[derive(Debug, Serialize)]
struct BoardRow {
    id: i64,
    year: u16,
    seq: String,
    title: String,
    clause: String,
    clause_title: String,
    lead: Vec<String>,
    deadline: Option<String>,
    expected: String,
    status: StatusView,
}

/// The title of the clause `reference` in `lang`, empty when the plan has none.
fn clause_title(plan: &Plan, reference: &str, lang: Lang) -> String {
    planwatch_tasks::clause(plan, &SourceRef(reference.to_owned()))
        .map(|c| text(lang, c.title()))
        .unwrap_or_default()
}

/// The query string of the board's filters (without the page), to link the pages.
fn filter_query(params: &TaskParams, month: Option<&str>) -> String {
    let pairs = [
        ("year", params.year.as_deref()),
        ("unit", params.unit.as_deref()),
        ("status", params.status.as_deref()),
        ("clause", params.clause.as_deref()),
        ("column", params.column.as_deref()),
        ("due_before", params.due_before.as_deref()),
        ("due_after", params.due_after.as_deref()),
        ("month", month),
    ];
    pairs
        .into_iter()
        .filter_map(|(k, value)| present(value).map(|value| (k, value)))
        .map(|(k, value)| format!("{k}={}", urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const BOARD_TITLE: (&str, &str) = ("任务", "Tasks");

/// The years tasks are stored for, latest first.
fn task_years(tasks: &[TaskView]) -> Vec<u16> {
    let mut years: Vec<u16> = tasks.iter().map(|t| t.task.year).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    years
}

async fn board(
    State(service): AppState,
    request: PageRequest,
    Query(params): Query<TaskParams>,
    Query(extra): Query<BoardParams>,
) -> Result<Response, ApiError> {
    // The public's board is rendered once per plan version, progress move and day (what a
    // task's status depends on); `bench/tasks.sh` measures it under load.
    let salt = format!("tasks:{}:{}:", service.audit_seq(), today());
    let public = request
        .cached_public(&service, &salt, async |_| {
            board_page(&service, &request, params.clone(), &extra).await
        })
        .await;
    match public {
        Some(page) => page,
        None => Ok(Html(board_page(&service, &request, params, &extra).await?).into_response()),
    }
}

/// The board's page for `request`'s caller.
async fn board_page(
    service: &Service,
    request: &PageRequest,
    params: TaskParams,
    extra: &BoardParams,
) -> Result<String, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let mut query = params.parse(plan)?;
    let tasks = all_tasks(service).await?;
    let years = task_years(&tasks);
    // The latest year stored, unless one is asked for.
    if query.year.is_none() {
        query.year = years.first().copied();
    }
    let month = present(extra.month.as_deref());
    if let Some(month) = month {
        let (first, last) = month_days(month).ok_or_else(|| {
            ApiError::bad(
                "month",
                format!("应为月份 YYYY-MM，而不是 \"{month}\""),
                format!("must be a month YYYY-MM, not \"{month}\""),
            )
        })?;
        query.due_after = Some(query.due_after.map_or(first, |d| d.max(first)));
        query.due_before = Some(query.due_before.map_or(last, |d| d.min(last)));
    }
    let page = PageParams {
        page: extra.page.clone(),
        per_page: None,
    }
    .parse()?
    .0;
    // The counts by status are of the tasks the other filters admit: each chip filters by its
    // status.
    let unfiltered: Vec<&TaskView> = tasks
        .iter()
        .filter(|t| query.admits_task(&t.task))
        .collect();
    let counts = status_counts(unfiltered.iter().map(|t| &t.judgement));
    let admitted: Vec<&TaskView> = unfiltered.into_iter().filter(|t| query.admits(t)).collect();
    let pages = admitted.len().div_ceil(PER_PAGE).max(1);
    let rows: Vec<BoardRow> = admitted
        .iter()
        .skip((page - 1).saturating_mul(PER_PAGE))
        .take(PER_PAGE)
        .map(|view| {
            let stored = &view.task;
            let task = &stored.task;
            BoardRow {
                id: stored.id,
                year: stored.year,
                seq: task.key.clone(),
                title: task.title.clone(),
                clause: task.clause.clone(),
                clause_title: clause_title(plan, &task.clause, lang),
                lead: task
                    .units_in(TaskRole::Lead)
                    .into_iter()
                    .map(|u| unit_name(plan, u, lang))
                    .collect(),
                deadline: task.deadline.map(|d| d.to_string()),
                expected: task.expected.clone(),
                status: StatusView::new(view.judgement.status),
            }
        })
        .collect();
    let (districts, departments) = unit_choices(plan, lang);
    let (actions, columns) = clause_choices(plan, lang);
    request.render(
        service,
        "tasks.html",
        BOARD_TITLE,
        context! {
            year => v(&query.year),
            years => v(&years),
            unit => v(&query.unit.as_ref().map(Unit::code)),
            status => v(&query.status.map(Status::as_str)),
            counts => v(&counts),
            statuses => v(&Status::ALL.map(StatusView::new)),
            clause => v(&query.clauses.first()),
            month => v(&month),
            districts => v(&districts),
            departments => v(&departments),
            actions => v(&actions),
            columns => v(&columns),
            rows => v(&rows),
            total => v(&admitted.len()),
            page => v(&page),
            pages => v(&pages),
            filters => v(&filter_query(&params, month)),
            // The chips' links: the filters but the status.
            chip_filters => v(&filter_query(&TaskParams { status: None, ..params }, month)),
        },
    )
}

/// How many of the judgements stand at each status (those with any), worst last.
pub(crate) fn status_counts<'a>(
    judgements: impl Iterator<Item = &'a Judgement>,
) -> Vec<(StatusView, usize)> {
    let mut counts = [0usize; Status::ALL.len()];
    for judgement in judgements {
        if let Some(i) = Status::ALL.iter().position(|s| *s == judgement.status) {
            counts[i] += 1;
        }
    }
    Status::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| (StatusView::new(s), n))
        .collect()
}

/// The overview's counts beside the indicators': the latest year's tasks, and its key projects
/// by stage, each linking to its board.
#[derive(Debug, Serialize)]
pub(crate) struct OverviewCounts {
    tasks_year: Option<u16>,
    tasks: usize,
    /// The year's tasks by status.
    task_statuses: Vec<(StatusView, usize)>,
    projects_year: Option<u16>,
    /// Stage code, label, count.
    stages: Vec<(String, String, usize)>,
}

pub(crate) async fn overview_counts(
    service: &Service,
    lang: Lang,
) -> Result<OverviewCounts, ApiError> {
    let tasks = all_tasks(service).await?;
    let tasks_year = tasks.iter().map(|t| t.task.year).max();
    let of_year: Vec<&TaskView> = tasks
        .iter()
        .filter(|t| Some(t.task.year) == tasks_year)
        .collect();
    let projects = crate::projects::all_projects(service).await?;
    let projects_year = projects.iter().map(|p| p.project.year).max();
    let stages = planwatch_tasks::Stage::ALL
        .into_iter()
        .map(|stage| {
            let count = projects
                .iter()
                .filter(|p| {
                    Some(p.project.year) == projects_year && p.project.project.stage == stage
                })
                .count();
            (
                stage.code().to_owned(),
                crate::projects::stage_label(stage, lang),
                count,
            )
        })
        .collect();
    Ok(OverviewCounts {
        tasks_year,
        tasks: of_year.len(),
        task_statuses: status_counts(of_year.iter().map(|t| &t.judgement)),
        projects_year,
        stages,
    })
}

/// A unit of a task with its role's label.
#[derive(Debug, Serialize)]
struct RoleUnits {
    role: String,
    units: Vec<UnitRef>,
}

/// An approved progress report on a task's page.
#[derive(Debug, Serialize)]
struct ReportRow {
    period: String,
    date: String,
    progress: String,
    text: String,
    /// The nodes it says are met, by their expected result.
    nodes_met: Vec<String>,
}

/// A report's progress in words.
fn progress_text(progress: Progress, lang: Lang) -> String {
    match (progress, lang) {
        (Progress::Percent(p), _) => format!("{p}%"),
        (Progress::NotStarted, Lang::Zh) => "未启动".into(),
        (Progress::NotStarted, Lang::En) => "not started".into(),
        (Progress::UnderWay, Lang::Zh) => "推进中".into(),
        (Progress::UnderWay, Lang::En) => "under way".into(),
        (Progress::Done, Lang::Zh) => "已完成".into(),
        (Progress::Done, Lang::En) => "done".into(),
    }
}

/// An indicator a task serves: code and name.
#[derive(Debug, Serialize)]
struct IndicatorLink {
    code: String,
    name: String,
}

/// The plan's text of a clause: its lead-in and its words.
fn clause_text(clause: &Clause<'_>, lang: Lang) -> String {
    match clause {
        Clause::Action(action) => text(lang, &action.aim),
        Clause::ActionItem(_, item) => text(lang, &item.text),
        Clause::Column(column) => column
            .caption
            .as_ref()
            .map(|c| text(lang, c))
            .unwrap_or_default(),
        Clause::ColumnItem(_, _, item) => text(lang, &item.text),
        Clause::Measure(measure) => text(lang, &measure.text),
    }
}

async fn page(
    State(service): AppState,
    request: PageRequest,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let plan = &service.plan;
    let lang = request.lang();
    let id = parse_id(&id)?;
    let tasks = all_tasks(&service).await?;
    let view = tasks
        .iter()
        .find(|t| t.task.id == id)
        .ok_or_else(|| no_task(id))?;
    let stored = &view.task;
    let task = &stored.task;
    let clause = planwatch_tasks::clause(plan, &SourceRef(task.clause.clone())).ok();
    let roles: Vec<RoleUnits> = [
        (TaskRole::Lead, ("牵头单位", "Lead")),
        (TaskRole::Responsible, ("责任单位", "Responsible")),
        (TaskRole::Supporting, ("配合单位", "Supporting")),
    ]
    .into_iter()
    .map(|(role, (zh, en))| RoleUnits {
        role: match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
        .to_owned(),
        units: task
            .units_in(role)
            .into_iter()
            .map(|u| UnitRef::new(plan, u, lang))
            .collect(),
    })
    .filter(|r| !r.units.is_empty())
    .collect();
    let indicators: Vec<IndicatorLink> = task
        .indicators
        .iter()
        .map(|code| IndicatorLink {
            code: code.clone(),
            name: crate::reporting::indicator_name(plan, code, lang),
        })
        .collect();
    let item = TaskItem::new(plan, view, lang);
    let today = today();
    let history: Vec<ReportRow> = service
        .store()
        .approved_task_reports(plan, stored.year)
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.date <= today)
        .map(|r| ReportRow {
            period: period_label(r.period, lang),
            date: r.date.to_string(),
            progress: progress_text(r.progress, lang),
            text: r.text,
            nodes_met: r
                .nodes_met
                .iter()
                .filter_map(|i| task.nodes.get(*i))
                .map(|n| n.expected.clone())
                .collect(),
        })
        .collect();
    let title = format!("{} {}", task.key, task.title);
    Ok(Html(request.render(
        &service,
        "task.html",
        (&title, &title),
        context! {
            task => v(&item),
            clause_title => v(&clause.as_ref().map(|c| text(lang, c.title()))),
            clause_text => v(&clause.as_ref().map(|c| clause_text(c, lang))),
            roles => v(&roles),
            indicators => v(&indicators),
            status => v(&StatusView::new(view.judgement.status)),
            reason => v(&text(lang, &view.judgement.reason)),
            history => v(&history),
            deadline_month => v(&task.deadline.map(|d| format!("{:04}-{:02}", d.year(), d.month()))),
        },
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use planwatch_store::{TaskNode, TaskRecord};

    fn stored(
        id: i64,
        clause: &str,
        deadline: Option<&str>,
        units: Vec<(Unit, TaskRole)>,
    ) -> StoredTask {
        StoredTask {
            id,
            year: 2024,
            source_file: "/srv/x/tasks.xlsx".into(),
            task: TaskRecord {
                key: id.to_string(),
                section: String::new(),
                clause: clause.into(),
                title: format!("task {id}"),
                deadline: deadline.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
                expected: String::new(),
                quantity: None,
                units,
                nodes: vec![TaskNode {
                    due: NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
                    expected: "half".into(),
                    share: Some(50.0),
                }],
                indicators: vec![],
                providers: vec![],
                row: 3,
            },
        }
    }

    #[test]
    fn filters_take_clauses_with_their_items_units_in_any_role_and_deadlines() {
        let plan = planwatch_plan::chengdu::plan();
        let jinjiang = Unit::Region("510104".into());
        let commerce = Unit::Department("commerce".into());
        let a = stored(
            1,
            "5.1.2",
            Some("2024-06-30"),
            vec![(jinjiang.clone(), TaskRole::Supporting)],
        );
        let b = stored(2, "5.10", None, vec![(commerce.clone(), TaskRole::Lead)]);
        let c = stored(
            3,
            "c16.1",
            Some("2024-12-31"),
            vec![(commerce, TaskRole::Lead)],
        );
        let params = |pairs: &[(&str, &str)]| {
            let mut params = TaskParams::default();
            for (k, v) in pairs {
                let field = match *k {
                    "year" => &mut params.year,
                    "unit" => &mut params.unit,
                    "clause" => &mut params.clause,
                    "column" => &mut params.column,
                    "due_before" => &mut params.due_before,
                    _ => &mut params.due_after,
                };
                *field = Some((*v).to_owned());
            }
            params.parse(&plan)
        };
        let ids = |q: &TaskQuery| -> Vec<i64> {
            [&a, &b, &c]
                .into_iter()
                .filter(|t| q.admits_task(t))
                .map(|t| t.id)
                .collect()
        };
        assert_eq!(
            ids(&params(&[("clause", "5.1")]).unwrap()),
            [1],
            "5.10 is not under 5.1"
        );
        assert_eq!(ids(&params(&[("column", "16")]).unwrap()), [3]);
        assert_eq!(ids(&params(&[("clause", "c16")]).unwrap()), [3]);
        assert_eq!(ids(&params(&[("unit", "510104")]).unwrap()), [1]);
        assert_eq!(
            ids(&params(&[("unit", "commerce"), ("year", "2024")]).unwrap()),
            [2, 3]
        );
        assert_eq!(ids(&params(&[("due_before", "2024-07-01")]).unwrap()), [1]);
        assert_eq!(ids(&params(&[("due_after", "2024-07-01")]).unwrap()), [3]);
        assert_eq!(
            ids(&params(&[("year", "2023")]).unwrap()),
            Vec::<i64>::new()
        );
        for (field, bad) in [
            ("clause", "9.9.9"),
            ("column", "99"),
            ("unit", "锦江区"),
            ("due_before", "2024-02-30"),
            ("year", "next"),
        ] {
            let error = params(&[(field, bad)]).unwrap_err();
            assert!(
                matches!(error, ApiError::BadParameter { field: f, .. } if f == field),
                "{field}"
            );
        }
        assert_eq!(
            month_days("2024-02"),
            Some((
                NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
                NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
            ))
        );
        assert_eq!(month_days("2024-13"), None);
        assert!(clause_refs(&plan).contains(&"c16.1".to_owned()));
        assert_eq!(Source::new(&a.source_file, 3).file, "tasks.xlsx");
    }

    #[test]
    fn the_filters_of_a_board_link_its_pages() {
        let params = TaskParams {
            unit: Some("510104".into()),
            clause: Some(" ".into()),
            ..TaskParams::default()
        };
        assert_eq!(
            filter_query(&params, Some("2024-06")),
            "unit=510104&month=2024-06"
        );
        assert_eq!(urlencode("a b/中"), "a%20b%2F%E4%B8%AD");
    }
}
