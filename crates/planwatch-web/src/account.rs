//! The account pages: 登录 (a form that works without script: a plain POST, checked for its
//! origin but needing no CSRF token, since there is no session yet), signing out (a form with the
//! session's CSRF token), and 我的账户 (the user's role and units; change the password: the old
//! one and a new one the password policy accepts; every session of the user ends, and this one
//! is replaced by a new one). Also the account bar of every page's header.

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::{Value, context};
use planwatch_access::{
    Action, Object, Policy, Role, check_password, hash_password, verify_password,
};
use planwatch_store::{User, Who};
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, local_path, session_cookie};
use crate::error::ApiError;
use crate::lang::Lang;
use crate::pages::{render, v};
use crate::service::Service;
use crate::session::sign_in;

/// The account pages' routes (the access rules must cover each: `rules`).
pub(crate) const PATHS: [&str; 3] = ["/login", "/logout", "/account"];

pub(crate) fn router() -> Router<Arc<Service>> {
    let handlers = [
        get(login_page).post(login),
        axum::routing::post(logout),
        get(account_page).post(change_password),
    ];
    crate::routes(PATHS, handlers)
}

/// The signed-in user as the header and the account page show them.
#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    name: String,
    role_label: String,
    units: String,
    /// Planners and admins: the audit log is theirs to read.
    office: bool,
    /// The workflow's pages this user may use: 填报 (reporters; admins acting for a unit),
    /// 审核 and 报送情况.
    reports: bool,
    reviews: bool,
    standing: bool,
    /// 报告: the evaluation reports (the plan office and viewers).
    evaluation_reports: bool,
    csrf_token: Option<String>,
    /// A reporter's own unit (its first), for 我的单位.
    my_unit: Option<String>,
    /// Unread notices, for the bell (signed in with a session).
    unread: Option<i64>,
}

impl AccountView {
    pub(crate) fn of(caller: &Caller, lang: Lang) -> Option<AccountView> {
        let user = caller.user.as_ref()?;
        let may = |action, object| {
            Policy::default()
                .may(&caller.actor, action, &object)
                .is_allowed()
        };
        let name = match &user.display_name {
            Some(display) => format!("{display}（{}）", user.name),
            None => user.name.clone(),
        };
        Some(AccountView {
            name,
            role_label: match lang {
                Lang::Zh => user.role.label_zh().to_owned(),
                Lang::En => user.role.as_str().to_owned(),
            },
            units: user
                .units
                .iter()
                .map(|u| u.code().to_owned())
                .collect::<Vec<_>>()
                .join("、"),
            office: matches!(user.role, Role::Admin | Role::Planner),
            reports: matches!(user.role, Role::Admin | Role::Reporter),
            reviews: may(Action::Approve, Object::Submissions),
            standing: may(Action::Read, Object::ReportingStatus),
            evaluation_reports: may(Action::Read, Object::Reports),
            csrf_token: caller.session.as_ref().map(|s| s.csrf_token.clone()),
            my_unit: (user.role == Role::Reporter)
                .then(|| user.units.first().map(|u| u.code().to_owned()))
                .flatten(),
            unread: caller.unread_notices,
        })
    }
}

/// The header's account bar for `caller` on the page at `path`.
pub(crate) fn account_bar(caller: &Caller, lang: Lang, path: &str) -> Result<String, ApiError> {
    let template = crate::pages::environment().get_template("account_bar.html")?;
    Ok(template.render(context! {
        lang => lang.as_str(),
        path => v(path),
        account => v(&AccountView::of(caller, lang)),
    })?)
}

/// Replaces the account bar of a page rendered for the anonymous public by `caller`'s.
pub(crate) fn with_account_bar(html: &str, bar: &str) -> String {
    const START: &str = "<!--account-->";
    const END: &str = "<!--/account-->";
    match (html.find(START), html.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{START}{bar}{}", &html[..start], &html[end..])
        }
        _ => html.to_owned(),
    }
}

/// What the pages of the account (and the audit log) need of their request: who asks, and the
/// language and path of the page.
#[derive(Debug)]
pub(crate) struct PageRequest {
    pub(crate) caller: Caller,
    headers: HeaderMap,
    uri: Uri,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PageRequest {
            caller: Caller::from_request_parts(parts, state).await?,
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
        })
    }
}

impl PageRequest {
    pub(crate) fn lang(&self) -> Lang {
        Lang::for_path(self.uri.path(), &self.headers, self.uri.query())
    }

    /// The page `build` renders, cached for the anonymous public under `salt` (see
    /// [`crate::pages::cached_with`]); `None` for a signed-in caller, whose page carries their
    /// account (the nav's links as well as the account bar) and is rendered afresh.
    pub(crate) async fn cached_public<F>(
        &self,
        service: &Service,
        salt: &str,
        build: F,
    ) -> Option<Result<Response, ApiError>>
    where
        F: AsyncFnOnce(Lang) -> Result<String, ApiError>,
    {
        if self.caller.user.is_some() {
            return None;
        }
        Some(
            crate::pages::cached_with(service, &self.caller, &self.headers, &self.uri, salt, build)
                .await,
        )
    }

    /// `template` with the title (Chinese, English), the caller's account and `extra`.
    pub(crate) fn render(
        &self,
        service: &Service,
        template: &str,
        title: (&str, &str),
        extra: Value,
    ) -> Result<String, ApiError> {
        let lang = self.lang();
        render(
            service,
            lang,
            &self.uri,
            template,
            context! {
                title => v(match lang { Lang::Zh => title.0, Lang::En => title.1 }),
                account => v(&AccountView::of(&self.caller, lang)),
                ..extra
            },
        )
    }

    /// The page again with `error` as its message, and the error's status.
    fn refused(
        &self,
        service: &Service,
        template: &str,
        title: (&str, &str),
        error: &ApiError,
        extra: Value,
    ) -> Result<Response, ApiError> {
        let message = error.body(self.lang()).error.message;
        let html = self.render(
            service,
            template,
            title,
            context! { message => v(&message), ..extra },
        )?;
        let mut response = (error.status(), Html(html)).into_response();
        if let ApiError::TooManyTries { seconds } = error {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*seconds));
        }
        Ok(response)
    }
}

const SIGN_IN_TITLE: (&str, &str) = ("登录", "Sign in");
const ACCOUNT_TITLE: (&str, &str) = ("我的账户", "My account");

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a path on this server, else the overview.
fn next_or_home(next: Option<&str>) -> String {
    next.filter(|n| local_path(n)).unwrap_or("/").to_owned()
}

async fn login_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(query): Query<Next>,
) -> Result<Html<String>, ApiError> {
    let next = next_or_home(query.next.as_deref());
    Ok(Html(request.render(
        &service,
        "login.html",
        SIGN_IN_TITLE,
        context! { next => v(&next), username => v("") },
    )?))
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Form(form): Form<SignInForm>,
) -> Result<Response, ApiError> {
    let next = next_or_home(form.next.as_deref());
    match sign_in(&service, &request.caller, &form.username, &form.password).await {
        Ok(session) => Ok((
            [(
                SET_COOKIE,
                session_cookie(&service.access, Some(&session.id)),
            )],
            Redirect::to(&next),
        )
            .into_response()),
        Err(error @ (ApiError::BadCredentials | ApiError::TooManyTries { .. })) => request.refused(
            &service,
            "login.html",
            SIGN_IN_TITLE,
            &error,
            context! { next => v(&next), username => v(&form.username) },
        ),
        Err(other) => Err(other),
    }
}

async fn logout(State(service): State<Arc<Service>>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(session) = &caller.session {
        crate::session::sign_out(&service, &caller, session).await?;
    }
    Ok((
        [(SET_COOKIE, session_cookie(&service.access, None))],
        Redirect::to("/"),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct Changed {
    changed: Option<String>,
}

async fn account_page(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Query(query): Query<Changed>,
) -> Result<Html<String>, ApiError> {
    let changed = query.changed.is_some();
    let message = changed.then_some(match request.lang() {
        Lang::Zh => "密码已修改，其他会话已结束。",
        Lang::En => "The password was changed; your other sessions have ended.",
    });
    Ok(Html(request.render(
        &service,
        "account.html",
        ACCOUNT_TITLE,
        context! { changed => changed, message => v(&message) },
    )?))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
}

/// A new password: the old one must match and the new one pass the policy. The store ends every
/// session of the user with the change; this browser gets a new one.
async fn change_password(
    State(service): State<Arc<Service>>,
    request: PageRequest,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    let caller = &request.caller;
    // The guard let only the account's own user (or an admin) through, never a token.
    let Some(user) = caller.user.clone() else {
        return Err(ApiError::Denied(planwatch_access::Denial::SignInRequired));
    };
    let refused = |error: ApiError| {
        request.refused(
            &service,
            "account.html",
            ACCOUNT_TITLE,
            &error,
            context! { changed => false },
        )
    };
    if !old_password_matches(&service, &user, form.old_password).await? {
        return refused(ApiError::BadCredentials);
    }
    if let Err(problem) = check_password(&form.new_password, &user.name) {
        return refused(ApiError::BadPassword(problem));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| ApiError::Internal)?;
    let new_password = form.new_password;
    let hash = service
        .argon
        .run(move || hash_password(&new_password, &salt))
        .await?;
    let who = Who::of(&caller.actor, caller.client.clone());
    service
        .primary()
        .set_password(&who, &user.name, &hash)
        .await?;
    service.callers.forget_all();
    let session = service
        .primary()
        .create_session(&user.name, caller.client.as_deref(), chrono::Utc::now())
        .await?;
    Ok((
        [(
            SET_COOKIE,
            session_cookie(&service.access, Some(&session.id)),
        )],
        Redirect::to("/account?changed=1"),
    )
        .into_response())
}

async fn old_password_matches(
    service: &Service,
    user: &User,
    old: String,
) -> Result<bool, ApiError> {
    let Some((_, hash)) = service.store().credentials(&user.name).await? else {
        return Ok(false);
    };
    service
        .argon
        .run(move || verify_password(&old, &hash))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_bar_replaces_the_anonymous_one() {
        let page = "<header>x<!--account--><a>登录</a><!--/account--></header>";
        assert_eq!(
            with_account_bar(page, "<span>alice</span>"),
            "<header>x<!--account--><span>alice</span><!--/account--></header>"
        );
        assert_eq!(with_account_bar("<p>no bar</p>", "y"), "<p>no bar</p>");
        assert_eq!(next_or_home(Some("//evil.example/")), "/");
        assert_eq!(next_or_home(Some("/data?x=1")), "/data?x=1");
    }
}
