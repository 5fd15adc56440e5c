//! `/api/session`: sign in (`POST` with `{"username", "password"}`), who am I (`GET`), sign out
//! (`DELETE`). The sign-in form (`account`) signs in through [`sign_in`] too.
//!
//! Wrong credentials get the same 401 whether or not the user exists, in about the same time: a
//! user that does not exist (or is disabled) is verified against a dummy Argon2 hash. Every
//! failure is audited (`session.sign_in_failed`) with the client's address and counted by the
//! `throttle` (429 with `Retry-After` beyond it): by name in the store, with the audit entry,
//! so that every server on the store counts them together; by address in this process. A sign-in always gets a new session id, and
//! ends the session the request came with, if any.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use planwatch_access::{Denial, check_name, verify_password};
use planwatch_store::{NewSession, User, Who};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, session_cookie};
use crate::error::{ApiError, ErrorBody};
use crate::service::Service;
use crate::throttle;

/// The time as the store counts failed sign-ins: Unix milliseconds.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionInfo {
    /// The user name.
    pub(crate) user: String,
    pub(crate) display_name: Option<String>,
    /// `admin`, `planner`, `reporter` or `viewer`.
    pub(crate) role: String,
    /// The reporter's units, `region:CODE` or `department:CODE`.
    pub(crate) units: Vec<String>,
    /// To send as `X-CSRF-Token` with every state-changing request authenticated by the
    /// session cookie; none for an API token.
    pub(crate) csrf_token: Option<String>,
}

impl SessionInfo {
    pub(crate) fn of(user: &User, csrf_token: Option<String>) -> SessionInfo {
        SessionInfo {
            user: user.name.clone(),
            display_name: user.display_name.clone(),
            role: user.role.as_str().to_owned(),
            units: user.units.iter().map(ToString::to_string).collect(),
            csrf_token,
        }
    }
}

/// Checks `username` and `password` and opens a new session (see the module's text).
pub(crate) async fn sign_in(
    service: &Arc<Service>,
    caller: &Caller,
    username: &str,
    password: &str,
) -> Result<NewSession, ApiError> {
    let address = caller.client.clone().unwrap_or_default();
    // The name's failures are counted in the store (shared by every server on it), the
    // address's in this process.
    let strikes = service.primary().sign_in_strikes(username).await?;
    let by_name = throttle::name_wait(strikes, now_ms());
    let by_address = service.throttle().check(&address, Instant::now()).err();
    if let Some(wait) = by_name.max(by_address) {
        return Err(ApiError::TooManyTries {
            // Rounded up: a client that waits as told is let through.
            seconds: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
        });
    }
    // A name no account can have (control characters, which PostgreSQL refuses in text, say)
    // is looked up nowhere, and verified against the dummy hash like any unknown name.
    let found = match check_name("user", username) {
        Ok(()) => service.store().credentials(username).await?,
        Err(_) => None,
    };
    let hash = match &found {
        Some((_, hash)) => hash.clone(),
        None => service.dummy_hash().to_owned(),
    };
    let given = password.to_owned();
    // Argon2 takes milliseconds of one core on purpose: off the async threads.
    let matches = service
        .argon
        .run(move || verify_password(&given, &hash))
        .await?;
    let user = found.map(|(user, _)| user).filter(|user| user.active);
    let Some(user) = user.filter(|_| matches) else {
        service.throttle().failed(&address, Instant::now());
        let who = Who {
            actor: "anonymous".into(),
            role: "anonymous".into(),
            client: caller.client.clone(),
        };
        // Counted and audited (`session.sign_in_failed`) in one transaction.
        service
            .primary()
            .failed_sign_in(&who, username, now_ms())
            .await?;
        return Err(ApiError::BadCredentials);
    };
    if strikes.is_some() {
        service.primary().clear_sign_in_strikes(username).await?;
    }
    if let Some(old) = &caller.session {
        service
            .primary()
            .end_session(&old.id, caller.client.as_deref())
            .await?;
        service.callers.forget_all();
    }
    Ok(service
        .primary()
        .create_session(&user.name, caller.client.as_deref(), chrono::Utc::now())
        .await?)
}

/// Sign in: a new session, its cookie, and who signed in with the session's CSRF token.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "session",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionInfo),
        (status = 400, description = "Not a sign-in", body = ErrorBody),
        (status = 401, description = "Wrong user name or password", body = ErrorBody),
        (status = 403, description = "From another origin", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins: see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(service): State<Arc<Service>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let credentials: Credentials = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("{{\"username\", \"password\"}}: {e}")))?;
    let session = sign_in(
        &service,
        &caller,
        &credentials.username,
        &credentials.password,
    )
    .await?;
    let info = SessionInfo::of(&session.user, Some(session.csrf_token.clone()));
    Ok((
        [(
            SET_COOKIE,
            session_cookie(&service.access, Some(&session.id)),
        )],
        Json(info),
    )
        .into_response())
}

/// Who am I: the signed-in user (by session cookie or API token).
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "session",
    responses(
        (status = 200, description = "Signed in", body = SessionInfo),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn show(caller: Caller) -> Result<Json<SessionInfo>, ApiError> {
    let user = caller
        .user
        .as_ref()
        .ok_or(ApiError::Denied(Denial::SignInRequired))?;
    let csrf = caller.session.as_ref().map(|s| s.csrf_token.clone());
    Ok(Json(SessionInfo::of(user, csrf)))
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Without the session's CSRF token, or from another origin", body = ErrorBody),
    )
)]
pub(crate) async fn delete(
    State(service): State<Arc<Service>>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let session = caller
        .session
        .as_ref()
        .ok_or(ApiError::Denied(Denial::SignInRequired))?;
    sign_out(&service, &caller, session).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, session_cookie(&service.access, None))],
    )
        .into_response())
}

/// Ends the session (audited as `session.sign_out`).
pub(crate) async fn sign_out(
    service: &Service,
    caller: &Caller,
    session: &crate::auth::SessionCredential,
) -> Result<(), ApiError> {
    service
        .primary()
        .end_session(&session.id, caller.client.as_deref())
        .await?;
    service.callers.forget_all();
    Ok(())
}
