//! The audit log on the web: `GET /api/audit` (JSON) and the 审计日志 page, for planners and
//! admins (the route's rule), with the filters of `planwatch audit` — since a date, one actor,
//! one action — and pages by entry id (`after`: the last id of the page before).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use minijinja::context;
use planwatch_store::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::{PageParams, parse_date, present};
use crate::auth::percent_encode;
use crate::error::{ApiError, ErrorBody};
use crate::pages::v;
use crate::service::Service;

/// The page's route (the access rules must cover it: `rules`).
pub(crate) const PAGE_PATHS: [&str; 1] = ["/audit"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    Router::new().route(PAGE_PATHS[0], get(page))
}

/// Which entries: the filters of `planwatch audit`, and a page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    /// Entries from this day on (YYYY-MM-DD, UTC)
    since: Option<String>,
    /// One actor: a user name, token:NAME or cli:USER
    actor: Option<String>,
    /// One action: user.add, session.sign_in, session.sign_in_failed …
    action: Option<String>,
    /// The entries after this id (the `next_after` of the page before)
    after: Option<String>,
    /// 1 to 1000 (default 100)
    per_page: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEntry {
    id: i64,
    /// YYYY-MM-DD HH:MM:SS, UTC
    at: String,
    actor: String,
    role: String,
    action: String,
    object: String,
    /// JSON: `before` and `after` where something changed
    #[schema(value_type = Object)]
    details: serde_json::Value,
    client: Option<String>,
    /// SHA-256 of the previous entry's hash and this entry's content
    hash: String,
}

/// A page of entries, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPage {
    items: Vec<AuditEntry>,
    /// The `after` of the next page; none on the last page.
    next_after: Option<i64>,
}

impl From<AuditRecord> for AuditEntry {
    fn from(record: AuditRecord) -> AuditEntry {
        AuditEntry {
            id: record.id,
            at: record.at,
            actor: record.actor,
            role: record.role,
            action: record.action,
            object: record.object,
            details: serde_json::from_str(&record.details).unwrap_or(serde_json::Value::Null),
            client: record.client,
            hash: record.hash,
        }
    }
}

impl AuditParams {
    /// The store's filter, asking for one entry more than the page holds (to know whether
    /// there is a next page).
    fn filter(&self) -> Result<(AuditFilter, usize), ApiError> {
        let (_, per_page) = PageParams {
            page: None,
            per_page: self.per_page.clone(),
        }
        .parse()?;
        let after = present(self.after.as_deref())
            .map(|t| {
                t.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    ApiError::bad(
                        "after",
                        format!("应为非负整数，而不是 \"{t}\""),
                        format!("must be a whole number from 0, not \"{t}\""),
                    )
                })
            })
            .transpose()?;
        let filter = AuditFilter {
            since: parse_date("since", self.since.as_deref())?,
            actor: plain_text("actor", self.actor.as_deref())?,
            action: plain_text("action", self.action.as_deref())?,
            limit: Some(i64::try_from(per_page).unwrap_or(i64::MAX) + 1),
            after,
        };
        Ok((filter, per_page))
    }
}

/// A text filter: no control characters (which no actor or action holds, and which PostgreSQL
/// refuses in text).
fn plain_text(field: &'static str, text: Option<&str>) -> Result<Option<String>, ApiError> {
    match present(text) {
        Some(t) if t.chars().any(char::is_control) => Err(ApiError::bad(
            field,
            "不能含控制字符",
            "cannot hold control characters",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

async fn entries(service: &Service, params: &AuditParams) -> Result<AuditPage, ApiError> {
    let (filter, per_page) = params.filter()?;
    let mut records = service.store().audit_log(&filter).await?;
    let more = records.len() > per_page;
    records.truncate(per_page);
    let next_after = more.then(|| records.last().map(|r| r.id)).flatten();
    Ok(AuditPage {
        items: records.into_iter().map(AuditEntry::from).collect(),
        next_after,
    })
}

/// The audit log, oldest first (planners and admins).
#[utoipa::path(get, path = "/api/audit", tag = "audit",
    params(AuditParams),
    responses((status = 200, description = "A page of entries", body = AuditPage),
              (status = 400, description = "A bad filter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Neither a planner nor an admin", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(entries(&service, &params).await?))
}

/// The 审计日志 page: the filters as a form, a table, a link to the next page.
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(params): Query<AuditParams>,
) -> Result<Html<String>, ApiError> {
    let page = entries(&service, &params).await?;
    let next_href = page.next_after.map(|after| {
        let mut query = format!("/audit?after={after}");
        for (key, value) in [
            ("since", &params.since),
            ("actor", &params.actor),
            ("action", &params.action),
            ("per_page", &params.per_page),
        ] {
            if let Some(value) = present(value.as_deref()) {
                query.push_str(&format!("&{key}={}", percent_encode(value)));
            }
        }
        query
    });
    Ok(Html(request.render(
        &service,
        "audit.html",
        ("审计日志", "Audit log"),
        context! {
            entries => v(&page.items),
            next_href => v(&next_href),
            since => v(&params.since),
            actor => v(&params.actor),
            action => v(&params.action),
        },
    )?))
}
