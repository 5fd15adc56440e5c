//! Conditional requests for everything that depends on the plan's data: an ETag made of the
//! plan's id and version and the response's language, and Last-Modified from the plan's latest
//! change. A change to another plan of the store changes neither. A client that
//! already has the current representation gets `304 Not Modified` instead of the body (the
//! handler still runs — from the caches — so that a bad request is refused, not answered 304).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::lang::Lang;
use crate::service::Service;

pub(crate) async fn etag(
    State(service): State<Arc<Service>>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || !follows_plan_version(request.uri().path())
    {
        return next.run(request).await;
    }
    let uri = request.uri();
    let lang = Lang::for_path(uri.path(), request.headers(), uri.query());
    // A signed-in reader's pages show who they are: their tag differs from the public's. (The
    // API's answers do not depend on who asks.)
    let who = request
        .extensions()
        .get::<Caller>()
        .filter(|_| !uri.path().starts_with("/api/"))
        .map(Caller::tag)
        .filter(|tag| !tag.is_empty())
        .map_or(String::new(), |tag| format!("-{tag}"));
    // Read before the handler runs: the answer is at least as new as this version. Versions are
    // per plan, so the tag names the plan (an id of `[a-z0-9_-]`, so `:` ends it): two plans at
    // the same version under one address (a server moved to another plan) never share a tag.
    let tag = format!(
        "\"{}:v{}-{}{who}\"",
        service.plan.id,
        service.version(),
        lang.as_str()
    );
    let last_modified = service.last_modified();
    let if_none_match = request.headers().get(IF_NONE_MATCH).cloned();
    let if_modified_since = request.headers().get(IF_MODIFIED_SINCE).cloned();
    // The handler always runs, so that a bad request is refused even from a client holding a
    // current tag; only a success becomes 304.
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let fresh = match if_none_match {
        Some(value) => value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == tag || t.trim() == "*")
        }),
        None => match (if_modified_since, &last_modified) {
            (Some(since), Some(modified)) => {
                match (
                    since.to_str().ok().and_then(parse_http_date),
                    parse_http_date(modified),
                ) {
                    (Some(since), Some(modified)) => since >= modified,
                    _ => false,
                }
            }
            _ => false,
        },
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(ETAG, value);
    }
    if let Some(value) = last_modified.and_then(|m| HeaderValue::from_str(&m).ok()) {
        headers.insert(LAST_MODIFIED, value);
    }
    headers.insert(
        VARY,
        HeaderValue::from_static("Accept-Language, Cookie, Accept-Encoding"),
    );
    // Caches may keep it, but must ask again before using it: the store can change any time.
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    response
}

/// Whether the answers of `path` change only with the plan's version: not the session nor the
/// audit log, which change with every sign-in, nor submissions and notices.
fn follows_plan_version(path: &str) -> bool {
    // Submissions change without moving the plan's version, and their answers depend on who
    // asks.
    !matches!(path, "/api/session" | "/api/audit" | "/audit")
        && path != "/api/submissions"
        && !path.starts_with("/api/submissions/")
        // Notices are the caller's own and change with every move.
        && !path.starts_with("/api/notices")
        // Locking a period does not move the plan's version either.
        && !path.starts_with("/api/period-locks")
        // Scores move with adjustments and the day, and are per reader.
        && !path.starts_with("/api/scores")
        // Reports move with the planner texts (which do not move it) and the day (as-of).
        && !path.starts_with("/api/reports")
        // A unit's page holds its score and supervision records: the same.
        && !path.starts_with("/api/units/")
}

/// `YYYY-MM-DD HH:MM:SS` (UTC, as the store keeps times) as an HTTP date.
pub(crate) fn http_date(stored: &str) -> Option<String> {
    let time = chrono::NaiveDateTime::parse_from_str(stored, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(time.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

fn parse_http_date(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc2822(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_become_http_dates_that_parse_back() {
        let date = http_date("2026-11-25 08:05:09").unwrap();
        assert_eq!(date, "Wed, 25 Nov 2026 08:05:09 GMT");
        assert!(parse_http_date(&date).is_some());
        assert_eq!(http_date("yesterday"), None);
    }
}
