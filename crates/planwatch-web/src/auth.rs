//! Who is asking, and whether they may: the `guard` middleware runs before every route's handler.
//!
//! 1. It finds the actor: `Authorization: Bearer pwt_…` (an API token; one that is unknown,
//!    revoked or expired, or whose user is disabled, is a 401 whatever the route), else the
//!    session cookie (a session the store no longer has — expired, ended — is no session: the
//!    request goes on as anonymous and the cookie is cleared), else the anonymous public.
//! 2. It asks the access policy the route's rule (`rules`); a denial is 401 when signing in
//!    could help (a page asked for with GET is sent to the 登录 page instead), 403 otherwise.
//! 3. A state-changing request authenticated by its cookie must carry the session's CSRF token
//!    (`X-CSRF-Token`, or the form field `csrf_token`) and a same-origin `Origin` or `Referer`;
//!    a sign-in needs no token, but an `Origin`/`Referer` it carries must be ours. Bearer
//!    requests need neither: a browser never adds that header by itself.
//!
//! Handlers take the result as a [`Caller`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{
    ALLOW, AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use planwatch_access::{Action, Actor, Denial, Object, Visibility, hash_secret, looks_like_token};
use planwatch_store::{SessionLimits, User};

use crate::error::ApiError;
use crate::rules::{Rule, own_account_action, rule};
use crate::service::Service;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "planwatch_session";

/// The largest form body read for its CSRF token (the server's body limit is the same).
const FORM_LIMIT: usize = 64 * 1024;

/// The request header that carries the CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// How the server decides access: who reads published data, whether it is reached over HTTPS
/// (through a reverse proxy), and how long sessions last.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessSettings {
    /// `--public` (everyone reads what is published) or `--private` (signed-in users only).
    pub visibility: Visibility,
    /// `--behind-https`: a reverse proxy terminates TLS. Cookies get `Secure`, the same-origin
    /// check expects `https://`, and the client's address is the last `X-Forwarded-For` entry.
    pub behind_https: bool,
    pub session_limits: SessionLimits,
}

/// A session the request was authenticated by.
#[derive(Debug, Clone)]
pub(crate) struct SessionCredential {
    /// The cookie's value.
    pub(crate) id: String,
    pub(crate) csrf_token: String,
}

/// How long a caller resolved from the store is reused at most: also how often a session in
/// use has its `last_seen` written (so idle expiry is exact to this), and how far past its
/// absolute lifetime or its token's expiry a session or token in constant use may go.
const CALLER_TTL: Duration = Duration::from_secs(10);

/// Callers remembered at most this many at once (then forgotten all together).
const CALLER_ENTRIES: usize = 10_000;

/// The callers resolved from the store (by the hash of their session id or token), reused for
/// [`CALLER_TTL`] while the audit log's last id stays where it was when they were read: every
/// change to accounts, tokens and sessions — a sign-out on another server, a disabled user, a
/// role change, a revoked token — appends an audit entry in its transaction, the watcher reads
/// that id with the plan's version (every `VERSION_POLL`), and a moved id forgets them all. So
/// a change made anywhere applies within one poll, and a request of a signed-in caller costs
/// no query most of the time.
#[derive(Debug)]
pub(crate) struct CallerCache {
    seq: AtomicI64,
    entries: Mutex<HashMap<String, (Caller, i64, Instant)>>,
}

impl CallerCache {
    pub(crate) fn new(seq: i64) -> CallerCache {
        CallerCache {
            seq: AtomicI64::new(seq),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Caller, i64, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes in the audit log's last id; forgets every caller if it moved.
    pub(crate) fn observe(&self, seq: i64) {
        if self.seq.swap(seq, Ordering::AcqRel) != seq {
            self.forget_all();
        }
    }

    /// Forgets every caller (after a sign-out or a password change on this server).
    pub(crate) fn forget_all(&self) {
        self.lock().clear();
    }

    /// The remembered caller of `key`, unless the store must be asked. When an entry grows
    /// older than [`CALLER_TTL`], one request is sent to the store for it while the others go
    /// on with it (so that 64 clients of one session do not all ask at once).
    fn get(&self, key: &str) -> Option<Caller> {
        let seq = self.seq.load(Ordering::Acquire);
        let mut entries = self.lock();
        let (caller, at_seq, at) = entries.get_mut(key)?;
        if *at_seq != seq {
            return None;
        }
        if at.elapsed() >= CALLER_TTL {
            *at = Instant::now();
            return None;
        }
        Some(caller.clone())
    }

    /// Forgets the caller of `key` (the store no longer has its session or token).
    fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Remembers `caller`, read from the store after the audit log's last id was `seq`.
    fn put(&self, key: String, caller: &Caller, seq: i64) {
        let mut entries = self.lock();
        if entries.len() >= CALLER_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (caller.clone(), seq, Instant::now()));
    }
}

/// Who is asking: the actor the policy sees, their account, the session when the cookie
/// authenticated the request, and the client's address (for the audit log).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) actor: Actor,
    pub(crate) user: Option<User>,
    pub(crate) session: Option<SessionCredential>,
    pub(crate) client: Option<String>,
    /// A signed-in browser's unread notices (the bell); read with the session, and forgotten
    /// with it when the audit log moves — every notice written or marked read is audited.
    pub(crate) unread_notices: Option<i64>,
}

impl Caller {
    fn anonymous(client: Option<String>) -> Caller {
        Caller {
            actor: Actor::Anonymous,
            user: None,
            session: None,
            client,
            unread_notices: None,
        }
    }

    /// A short tag of who this is (empty for the anonymous public), for the ETag of answers
    /// that show it (the pages' header).
    pub(crate) fn tag(&self) -> String {
        match &self.user {
            None => String::new(),
            Some(user) => {
                let units: Vec<String> = user.units.iter().map(ToString::to_string).collect();
                let who = format!(
                    "{}|{}|{}|{}",
                    self.actor.label(),
                    user.role,
                    units.join(","),
                    self.unread_notices.unwrap_or(0)
                );
                hash_secret(&who)[..12].to_owned()
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller::anonymous(None)))
    }
}

/// The value of cookie `name` in the request.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// The `Set-Cookie` of a session (`id`), or of its removal (`None`).
pub(crate) fn session_cookie(settings: &AccessSettings, id: Option<&str>) -> HeaderValue {
    let secure = if settings.behind_https {
        "; Secure"
    } else {
        ""
    };
    let value = match id {
        Some(id) => format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The client's address: the connection's peer, or behind a reverse proxy the address the proxy
/// added last to `X-Forwarded-For`.
pub(crate) fn client_address(request: &Request, settings: &AccessSettings) -> Option<String> {
    if settings.behind_https
        && let Some(forwarded) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return Some(forwarded.to_owned());
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}

/// Middleware on every route: identify, authorize, check CSRF (see the module's text).
pub(crate) async fn guard(
    State(service): State<Arc<Service>>,
    request: Request,
    next: Next,
) -> Response {
    let settings = service.access;
    let client = client_address(&request, &settings);
    let (caller, stale) = match identify(&service, request.headers(), client).await {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    if let Some(path) = &path
        && matches!(rule(path), Some(Rule::May(Action::Read, _)))
        && !matches!(*request.method(), Method::GET | Method::HEAD)
    {
        // A route that only reads takes no other method, whoever asks.
        let mut refused = ApiError::MethodNotAllowed.into_response();
        refused
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET,HEAD"));
        return refused;
    }
    if let Some(path) = &path
        && let Err(denial) = authorize(&service, &caller, path, request.method())
    {
        let page = !path.starts_with("/api/");
        if denial.needs_sign_in() && page && request.method() == Method::GET {
            let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
            return Redirect::to(&format!("/login?next={}", percent_encode(target)))
                .into_response();
        }
        return ApiError::Denied(denial).into_response();
    }
    let request = match check_csrf(&settings, &caller, path.as_deref(), request).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let mut request = request;
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if stale && !response.headers().contains_key(SET_COOKIE) {
        response
            .headers_mut()
            .append(SET_COOKIE, session_cookie(&settings, None));
    }
    response
}

/// The caller of a request, and whether it carried a session cookie that is no longer valid.
async fn identify(
    service: &Service,
    headers: &HeaderMap,
    client: Option<String>,
) -> Result<(Caller, bool), ApiError> {
    let bearer = headers.get(AUTHORIZATION).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| looks_like_token(t))
    });
    let key = match bearer {
        Some(None) => return Err(ApiError::BadToken),
        Some(Some(token)) => format!("token:{}", hash_secret(token)),
        None => match cookie(headers, SESSION_COOKIE).filter(|id| !id.is_empty()) {
            Some(id) => format!("session:{}", hash_secret(id)),
            None => return Ok((Caller::anonymous(client), false)),
        },
    };
    if let Some(caller) = service.callers.get(&key) {
        return Ok((Caller { client, ..caller }, false));
    }
    // Read before the store is asked: a change committed meanwhile moves it, and the caller
    // read now is forgotten at the next poll.
    let seq = service.callers.seq.load(Ordering::Acquire);
    let now = chrono::Utc::now();
    // Sessions and tokens are read from the primary (a session is marked used there); while
    // it is away, from the replica the request reads, without writing.
    let read_only = service.read_only();
    let store = if read_only {
        service.store()
    } else {
        service.primary()
    };
    let caller = match bearer {
        Some(Some(token)) => {
            let Some((info, user)) = store.token_by_hash(&hash_secret(token), now).await? else {
                service.callers.forget(&key);
                return Err(ApiError::BadToken);
            };
            Caller {
                actor: Actor::Token {
                    name: info.name,
                    user: user.account(),
                },
                user: Some(user),
                session: None,
                client,
                unread_notices: None,
            }
        }
        _ => {
            let id = cookie(headers, SESSION_COOKIE).unwrap_or_default();
            let limits = service.access.session_limits;
            let found = if read_only {
                store.peek_session(id, limits, now).await?
            } else {
                store.session(id, limits, now).await?
            };
            let Some(session) = found else {
                service.callers.forget(&key);
                return Ok((Caller::anonymous(client), true));
            };
            let unread = store
                .unread_notices(&service.plan, &session.user.name)
                .await?;
            Caller {
                unread_notices: Some(unread),
                actor: Actor::User(session.user.account()),
                user: Some(session.user),
                session: Some(SessionCredential {
                    id: id.to_owned(),
                    csrf_token: session.csrf_token,
                }),
                client,
            }
        }
    };
    service.callers.put(key, &caller, seq);
    Ok((caller, false))
}

/// Asks the policy the rule of the route `path`; a route without a rule is refused.
fn authorize(
    service: &Service,
    caller: &Caller,
    path: &str,
    method: &Method,
) -> Result<(), Denial> {
    let policy = service.policy();
    let decision = match rule(path) {
        None => {
            eprintln!("planwatch serve: no access rule for {path}: refused");
            return Err(Denial::NoSuchAction {
                action: "reach",
                action_zh: "访问",
                object: "a route without an access rule",
                object_zh: "未登记访问规则的路径",
            });
        }
        Some(Rule::Anyone) => return Ok(()),
        Some(Rule::May(action, object)) => policy.may(&caller.actor, *action, object),
        Some(Rule::OwnAccount) => {
            let name = caller
                .actor
                .account()
                .map(|a| a.name.clone())
                .unwrap_or_default();
            policy.may(
                &caller.actor,
                own_account_action(method),
                &Object::User { name },
            )
        }
    };
    decision.into_result()
}

/// Sign-ins: `POST /api/session` and the sign-in form.
fn is_sign_in(path: Option<&str>, method: &Method) -> bool {
    *method == Method::POST && matches!(path, Some("/api/session" | "/login"))
}

/// The CSRF check of a state-changing request (see the module's text). A form's body is read to
/// find its `csrf_token` and handed on to the handler unchanged.
async fn check_csrf(
    settings: &AccessSettings,
    caller: &Caller,
    path: Option<&str>,
    request: Request,
) -> Result<Request, ApiError> {
    let method = request.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(request);
    }
    let origin = same_origin(settings, request.headers());
    if is_sign_in(path, &method) {
        return match origin {
            Some(false) => Err(ApiError::Csrf),
            _ => Ok(request),
        };
    }
    let Some(session) = &caller.session else {
        return Ok(request);
    };
    if origin != Some(true) {
        return Err(ApiError::Csrf);
    }
    let header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (request, given) = match header {
        Some(token) => (request, Some(token)),
        None if is_form => {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, FORM_LIMIT)
                .await
                .map_err(|_| ApiError::TooLarge)?;
            let field = form_field(&bytes, "csrf_token");
            (Request::from_parts(parts, Body::from(bytes)), field)
        }
        None => (request, None),
    };
    match given {
        Some(token) if same_secret(&token, &session.csrf_token) => Ok(request),
        _ => Err(ApiError::Csrf),
    }
}

/// Whether the request's `Origin` (or, without it, `Referer`) is this server's own origin;
/// `None` when it has neither.
fn same_origin(settings: &AccessSettings, headers: &HeaderMap) -> Option<bool> {
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let scheme = if settings.behind_https {
        "https"
    } else {
        "http"
    };
    let ours = host.map(|host| format!("{scheme}://{host}"));
    let theirs = match headers.get(ORIGIN) {
        Some(origin) => origin.to_str().ok().unwrap_or("null").to_owned(),
        None => {
            let referer = headers.get(REFERER)?.to_str().ok().unwrap_or("");
            // scheme://authority of the referring page.
            let after_scheme = referer.find("://").map_or(0, |i| i + 3);
            let end = referer[after_scheme..]
                .find('/')
                .map_or(referer.len(), |i| after_scheme + i);
            referer[..end].to_owned()
        }
    };
    Some(ours.is_some_and(|ours| ours.eq_ignore_ascii_case(&theirs)))
}

/// The value of `name` in a form body, when it needs no decoding (the CSRF token is hex).
fn form_field(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(key, value)| (key == name).then(|| value.to_owned()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// `text` with everything but unreserved characters percent-encoded (for `?next=`).
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Whether `next` is a path on this server (never another origin: `//host`, `https://…`).
pub(crate) fn local_path(next: &str) -> bool {
    next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_origin_must_be_ours() {
        let plain = AccessSettings::default();
        let host = ("host", "planwatch.example:8080");
        let check = |pairs: &[(&str, &str)]| same_origin(&plain, &headers(pairs));
        assert_eq!(check(&[host]), None);
        assert_eq!(
            check(&[host, ("origin", "http://planwatch.example:8080")]),
            Some(true)
        );
        assert_eq!(
            check(&[host, ("origin", "http://evil.example")]),
            Some(false)
        );
        assert_eq!(check(&[host, ("origin", "null")]), Some(false));
        assert_eq!(
            check(&[
                host,
                ("referer", "http://planwatch.example:8080/account?x=1")
            ]),
            Some(true)
        );
        assert_eq!(
            check(&[
                host,
                ("referer", "http://planwatch.example:8080.evil.example/")
            ]),
            Some(false)
        );
        let https = AccessSettings {
            behind_https: true,
            ..AccessSettings::default()
        };
        let over_https = headers(&[host, ("origin", "http://planwatch.example:8080")]);
        assert_eq!(same_origin(&https, &over_https), Some(false));
    }

    #[test]
    fn remembered_callers_are_forgotten_when_the_audit_log_moves() {
        let cache = CallerCache::new(7);
        let caller = Caller::anonymous(Some("10.0.0.1".into()));
        cache.put("session:a".into(), &caller, 7);
        assert!(cache.get("session:a").is_some());
        // Read before a change that the watcher has since seen: never used.
        cache.put("session:b".into(), &caller, 6);
        assert!(cache.get("session:b").is_none());
        cache.observe(8);
        assert!(cache.get("session:a").is_none());
        cache.put("session:a".into(), &caller, 8);
        cache.forget("session:a");
        assert!(cache.get("session:a").is_none());
    }

    #[test]
    fn the_session_cookie_is_secure_behind_https() {
        let plain = session_cookie(&AccessSettings::default(), Some("ab"));
        assert_eq!(
            plain.to_str().unwrap(),
            "planwatch_session=ab; Path=/; HttpOnly; SameSite=Lax"
        );
        let https = AccessSettings {
            behind_https: true,
            ..AccessSettings::default()
        };
        let secure = session_cookie(&https, Some("ab"));
        assert!(secure.to_str().unwrap().ends_with("; Secure"));
        let cleared = session_cookie(&https, None);
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn cookies_forms_and_secrets() {
        let map = headers(&[("cookie", "lang=en; planwatch_session=abc; x=1")]);
        assert_eq!(cookie(&map, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&map, "planwatch"), None);
        assert_eq!(
            form_field(b"old=a&csrf_token=ff00&new=b", "csrf_token").as_deref(),
            Some("ff00")
        );
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce") && !same_secret("abc", "abcd"));
        assert_eq!(percent_encode("/data?q=成"), "/data%3Fq%3D%E6%88%90");
        assert!(local_path("/data?x") && !local_path("//evil") && !local_path("https://x"));
    }
}
