//! Notices on the web: each signed-in account's own — `GET /api/notices` (newest first,
//! `?unread=true` for the unread only), `POST /api/notices/{id}/read`, `POST /api/notices/read`
//! (all) — and the 通知 page with a "mark all read" form; the bell in the account bar shows the
//! unread count (`auth::Caller::unread_notices`). The route rule lets any signed-in account in
//! (`Object::Notices`); one notice is asked of the policy by its recipient (`Object::Notice`):
//! nobody reads or marks another's, an administrator neither.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use planwatch_access::{Action, Denial, Object, Role};
use planwatch_store::{StoredNotice, Who};
use planwatch_workflow::notice::NoticeKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::account::PageRequest;
use crate::api::present;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::lang::Lang;
use crate::pages::v;
use crate::service::Service;

/// The page's routes: the list, and its "mark all read" form (the access rules must cover
/// each: `rules`).
pub(crate) const PAGE_PATHS: [&str; 2] = ["/notices", "/notices/read"];

pub(crate) fn page_router() -> Router<Arc<Service>> {
    crate::routes(PAGE_PATHS, [get(page), post(page_mark_all)])
}

/// The most notices a list holds.
const LIST_LIMIT: i64 = 200;

/// Which notices.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct NoticeParams {
    /// true: only the unread ones
    unread: Option<String>,
}

/// One notice.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NoticeOut {
    id: i64,
    /// submitted, withdrawn, returned, approved, due_soon, overdue or supervision
    kind: &'static str,
    /// The submission it is about (submitted, withdrawn, returned, approved)
    submission: Option<i64>,
    /// region:CODE or department:CODE
    unit: String,
    /// The figure owed (due_soon, overdue)
    indicator: Option<String>,
    region: Option<String>,
    period: Option<String>,
    /// YYYY-MM-DD
    due: Option<String>,
    subject_zh: String,
    subject_en: String,
    text_zh: String,
    text_en: String,
    /// Where to act on it: the review of the submission for the plan office, the 填报 page
    /// for a unit's reporter
    href: Option<String>,
    /// YYYY-MM-DD HH:MM:SS, UTC
    created_at: String,
    read_at: Option<String>,
}

/// The caller's notices, newest first, and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NoticeList {
    items: Vec<NoticeOut>,
    unread: i64,
}

/// How many notices a request marked read.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Marked {
    marked: u64,
}

/// Where a notice's reader acts on it: planners review the submission, reporters go to 填报;
/// a supervision notice's reader to 督查督办.
fn href(notice: &StoredNotice, role: Role) -> Option<String> {
    if notice.kind == NoticeKind::Supervision {
        return Some("/supervision".to_owned());
    }
    match role {
        Role::Planner | Role::Admin => notice.submission_id.map(|id| format!("/review/{id}")),
        Role::Reporter => Some("/report".to_owned()),
        Role::Viewer => None,
    }
}

impl NoticeOut {
    fn of(notice: StoredNotice, role: Role) -> NoticeOut {
        NoticeOut {
            href: href(&notice, role),
            id: notice.id,
            kind: notice.kind.as_str(),
            submission: notice.submission_id,
            unit: notice.unit.to_string(),
            indicator: notice.indicator,
            region: notice.region,
            period: notice.period.map(|p| p.to_string()),
            due: notice.due,
            subject_zh: notice.subject_zh,
            subject_en: notice.subject_en,
            text_zh: notice.text_zh,
            text_en: notice.text_en,
            created_at: notice.created_at,
            read_at: notice.read_at,
        }
    }
}

/// The signed-in user asking (the route's rule let only signed-in accounts in).
fn recipient(caller: &Caller) -> Result<(&str, Role), ApiError> {
    match &caller.user {
        Some(user) => Ok((&user.name, user.role)),
        None => Err(ApiError::Denied(Denial::SignInRequired)),
    }
}

fn unread_only(params: &NoticeParams) -> Result<bool, ApiError> {
    match present(params.unread.as_deref()) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad(
            "unread",
            format!("应为 true 或 false，而不是 \"{other}\""),
            format!("must be true or false, not \"{other}\""),
        )),
    }
}

async fn list_of(service: &Service, caller: &Caller, unread: bool) -> Result<NoticeList, ApiError> {
    let (user, role) = recipient(caller)?;
    let plan = &service.plan;
    let notices = service
        .store()
        .notices(plan, user, unread, LIST_LIMIT)
        .await?;
    Ok(NoticeList {
        unread: service.store().unread_notices(plan, user).await?,
        items: notices
            .into_iter()
            .map(|n| NoticeOut::of(n, role))
            .collect(),
    })
}

/// The caller's own notices, newest first (at most 200).
#[utoipa::path(get, path = "/api/notices", tag = "notices",
    params(NoticeParams),
    responses((status = 200, description = "The caller's notices", body = NoticeList),
              (status = 400, description = "A bad parameter", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody)))]
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Query(params): Query<NoticeParams>,
) -> Result<Json<NoticeList>, ApiError> {
    let unread = unread_only(&params)?;
    Ok(Json(list_of(&service, &caller, unread).await?))
}

/// Marks one of the caller's notices read.
#[utoipa::path(post, path = "/api/notices/{id}/read", tag = "notices",
    params(("id" = i64, Path, minimum = 1, description = "The notice")),
    responses((status = 200, description = "Marked (0 when it was read already)", body = Marked),
              (status = 400, description = "Not an id", body = ErrorBody),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "Another user's notice", body = ErrorBody),
              (status = 404, description = "No such notice", body = ErrorBody)))]
pub(crate) async fn mark_one(
    State(service): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Marked>, ApiError> {
    let (user, _) = recipient(&caller)?;
    let id = id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::bad(
            "id",
            format!("通知编号应为正整数，而不是 \"{id}\""),
            format!("a notice id is a whole number from 1, not \"{id}\""),
        )
    })?;
    let Some(notice) = service.store().notice(&service.plan, id).await? else {
        return Err(ApiError::not_found(
            format!("通知 {id}"),
            format!("notice {id}"),
        ));
    };
    service
        .policy()
        .may(
            &caller.actor,
            Action::Change,
            &Object::Notice {
                recipient: notice.recipient,
            },
        )
        .into_result()
        .map_err(ApiError::Denied)?;
    let who = Who::of(&caller.actor, caller.client.clone());
    let marked = service
        .primary()
        .mark_notices_read(&who, &service.plan, user, Some(id))
        .await?;
    Ok(Json(Marked { marked }))
}

async fn mark_all_of(service: &Service, caller: &Caller) -> Result<u64, ApiError> {
    let (user, _) = recipient(caller)?;
    let who = Who::of(&caller.actor, caller.client.clone());
    Ok(service
        .primary()
        .mark_notices_read(&who, &service.plan, user, None)
        .await?)
}

/// Marks all the caller's notices read.
#[utoipa::path(post, path = "/api/notices/read", tag = "notices",
    responses((status = 200, description = "How many were marked", body = Marked),
              (status = 401, description = "Not signed in", body = ErrorBody)))]
pub(crate) async fn mark_all(
    State(service): State<Arc<Service>>,
    caller: Caller,
) -> Result<Json<Marked>, ApiError> {
    Ok(Json(Marked {
        marked: mark_all_of(&service, &caller).await?,
    }))
}

/// The 通知 page: the caller's notices, the unread first marked, and "mark all read".
async fn page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
) -> Result<Html<String>, ApiError> {
    let list = list_of(&service, &request.caller, false).await?;
    let zh = request.lang() == Lang::Zh;
    let items: Vec<serde_json::Value> = list
        .items
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id,
                "kind": n.kind,
                "subject": if zh { &n.subject_zh } else { &n.subject_en },
                "text": if zh { &n.text_zh } else { &n.text_en },
                "href": n.href,
                "created_at": n.created_at,
                "unread": n.read_at.is_none(),
            })
        })
        .collect();
    Ok(Html(request.render(
        &service,
        "notices.html",
        ("通知", "Notices"),
        context! {
            notices => v(&items),
            unread => list.unread,
        },
    )?))
}

/// The page's form: marks all read and goes back to the page.
async fn page_mark_all(
    State(service): State<Arc<Service>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    mark_all_of(&service, &caller).await?;
    Ok(Redirect::to("/notices").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_takes_true_false_or_nothing() {
        let params = |text: Option<&str>| NoticeParams {
            unread: text.map(str::to_owned),
        };
        assert!(!unread_only(&params(None)).unwrap());
        assert!(!unread_only(&params(Some(""))).unwrap());
        assert!(unread_only(&params(Some("true"))).unwrap());
        assert!(unread_only(&params(Some("yes"))).is_err());
    }
}
