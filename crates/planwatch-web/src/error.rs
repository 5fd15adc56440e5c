//! Errors at the HTTP edge: every failure becomes a JSON body with a stable `code`, a message in
//! the request's language and, for a bad parameter, the field at fault. The caller's mistakes
//! are 4xx; only a failing store is a 5xx.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE, VARY, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::lang::Lang;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or path segment the caller got wrong.
    #[error("{field}: {reason_en}")]
    BadParameter {
        field: &'static str,
        reason_zh: String,
        reason_en: String,
    },
    /// A thing that is not in the plan or the store.
    #[error("not found: {what_en}")]
    NotFound { what_zh: String, what_en: String },
    #[error("store: {0}")]
    Store(#[from] planwatch_store::StoreError),
    #[error("export: {0}")]
    Export(#[from] planwatch_export::ExportError),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// A request the framework could not read (its text says why).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A method the route does not take.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request body over the server's limit.
    #[error("request body too large")]
    TooLarge,
    /// The server holds as many connections as it may.
    #[error("too many connections")]
    Busy,
    /// The answer was not ready within the request timeout.
    #[error("no answer within {seconds} s")]
    Timeout { seconds: f64 },
    /// A panic, or a failure without more to say.
    #[error("internal error")]
    Internal,
    /// A report that could not be written in the format asked for (no CJK font for a PDF, a
    /// chart that would not draw): 500, saying why (written `中文 / English`).
    #[error("report: {0}")]
    Report(String),
    /// The access policy said no (401 when signing in could change that, 403 otherwise).
    #[error("denied: {0}")]
    Denied(planwatch_access::Denial),
    /// An `Authorization` header that is not a valid API token (unknown, revoked, expired, or
    /// its user disabled).
    #[error("invalid API token")]
    BadToken,
    /// A sign-in with a wrong user name or password (the same answer for both).
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed sign-ins: try again in `seconds`.
    #[error("too many failed sign-ins")]
    TooManyTries { seconds: u64 },
    /// A state-changing request authenticated by cookie without the session's CSRF token or
    /// from another origin.
    #[error("CSRF check failed")]
    Csrf,
    /// The workflow refuses the caller this step on a submission (not its unit, four eyes).
    #[error("refused: {en}")]
    Refused { zh: String, en: String },
    /// A step the submission's state does not allow now (`code` says which: an illegal
    /// transition, someone else moved it first, a stale base, a locked period).
    #[error("conflict: {en}")]
    Conflict {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// Content the store refuses (a progress report's figures, an evidence file over its
    /// limit): 422, naming the field at fault.
    #[error("unprocessable: {en}")]
    Unprocessable {
        field: &'static str,
        zh: String,
        en: String,
    },
    /// A new password the policy refuses.
    #[error("password: {0}")]
    BadPassword(planwatch_access::PasswordProblem),
    /// A write while the primary database cannot be reached (reads go on from the replica).
    #[error("read-only: the primary database is unavailable")]
    ReadOnly,
}

/// How long a client is asked to wait before it tries a write again while read-only.
const READ_ONLY_RETRY_SECS: u32 = 5;

/// The Chinese and English halves of a message written `中文 / English`.
fn halves(text: &str) -> (&str, &str) {
    text.split_once(" / ").unwrap_or((text, text))
}

/// The JSON body of an error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable, for programs: `bad_parameter`, `bad_request`, `not_found`, `method_not_allowed`,
    /// `store_unavailable`, `read_only`, `internal`.
    pub(crate) code: &'static str,
    /// For people, in the request's language (Accept-Language: zh or en).
    pub(crate) message: String,
    /// The query parameter or path segment at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn bad(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::BadParameter {
            field,
            reason_zh: zh.into(),
            reason_en: en.into(),
        }
    }

    pub(crate) fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::NotFound {
            what_zh: zh.into(),
            what_en: en.into(),
        }
    }

    /// A refusal written `中文 / English`.
    pub(crate) fn refused(text: &str) -> Self {
        let (zh, en) = halves(text);
        ApiError::Refused {
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    /// Content refused (422) for `field`, written `中文 / English`.
    pub(crate) fn unprocessable(field: &'static str, text: &str) -> Self {
        let (zh, en) = halves(text);
        ApiError::Unprocessable {
            field,
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    /// A conflict written `中文 / English`.
    pub(crate) fn conflict(code: &'static str, text: &str) -> Self {
        let (zh, en) = halves(text);
        ApiError::Conflict {
            code,
            zh: zh.to_owned(),
            en: en.to_owned(),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Store(_) | ApiError::Busy | ApiError::Timeout { .. } | ApiError::ReadOnly => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Export(_)
            | ApiError::Template(_)
            | ApiError::Internal
            | ApiError::Report(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Denied(denial) if denial.needs_sign_in() => StatusCode::UNAUTHORIZED,
            ApiError::Denied(_) | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::BadToken | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TooManyTries { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadPassword(_) => StatusCode::BAD_REQUEST,
            ApiError::Refused { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub(crate) fn body(&self, lang: Lang) -> ErrorBody {
        let en = lang == Lang::En;
        let (code, message, field) = match self {
            ApiError::BadParameter {
                field,
                reason_zh,
                reason_en,
            } => (
                "bad_parameter",
                if en {
                    format!("{field}: {reason_en}")
                } else {
                    format!("参数 {field}：{reason_zh}")
                },
                Some(*field),
            ),
            ApiError::NotFound { what_zh, what_en } => (
                "not_found",
                if en {
                    format!("not found: {what_en}")
                } else {
                    format!("未找到：{what_zh}")
                },
                None,
            ),
            ApiError::Store(e) => (
                "store_unavailable",
                if en {
                    format!("the store cannot answer: {e}")
                } else {
                    format!("数据库无法响应：{e}")
                },
                None,
            ),
            ApiError::Export(e) => ("internal", e.to_string(), None),
            ApiError::Template(e) => ("internal", e.to_string(), None),
            ApiError::BadRequest(text) => (
                "bad_request",
                if en {
                    text.clone()
                } else {
                    format!("请求无效：{text}")
                },
                None,
            ),
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                pick(
                    en,
                    "此地址不支持该请求方法（见 /api/docs/）",
                    "this address does not take that method (see /api/docs/)",
                ),
                None,
            ),
            ApiError::TooLarge => (
                "payload_too_large",
                pick(en, "请求正文过长", "the request body is too large"),
                None,
            ),
            ApiError::Busy => (
                "busy",
                pick(
                    en,
                    "服务器连接已满，请稍后重试",
                    "the server has as many connections as it can take: try again shortly",
                ),
                None,
            ),
            ApiError::Timeout { seconds } => (
                "timeout",
                if en {
                    format!("no answer within {seconds} s: try again, or ask for less")
                } else {
                    format!("{seconds} 秒内未能给出结果，请重试或缩小查询范围")
                },
                None,
            ),
            ApiError::Report(text) => {
                let (zh, english) = halves(text);
                ("report_failed", pick(en, zh, english), None)
            }
            ApiError::Internal => (
                "internal",
                pick(en, "服务器内部错误", "internal error"),
                None,
            ),
            ApiError::Denied(denial) => {
                let text = denial.to_string();
                let (zh, english) = halves(&text);
                let code = if denial.needs_sign_in() {
                    "unauthorized"
                } else {
                    "forbidden"
                };
                (code, pick(en, zh, english), None)
            }
            ApiError::BadToken => (
                "invalid_token",
                pick(
                    en,
                    "API 令牌无效（不存在、已吊销、已过期或其用户已停用）",
                    "invalid API token (unknown, revoked, expired, or its user disabled)",
                ),
                None,
            ),
            ApiError::BadCredentials => (
                "bad_credentials",
                pick(en, "用户名或密码错误", "wrong user name or password"),
                None,
            ),
            ApiError::TooManyTries { seconds } => (
                "too_many_requests",
                if en {
                    format!("too many failed sign-ins: try again in {seconds} s")
                } else {
                    format!("登录失败次数过多，请 {seconds} 秒后再试")
                },
                None,
            ),
            ApiError::Csrf => (
                "csrf",
                pick(
                    en,
                    "请求缺少有效的 CSRF 令牌或来自其他站点",
                    "the request lacks a valid CSRF token or comes from another origin",
                ),
                None,
            ),
            ApiError::BadPassword(problem) => {
                let text = problem.to_string();
                let (zh, english) = halves(&text);
                ("bad_password", pick(en, zh, english), Some("password"))
            }
            ApiError::Refused { zh, en: english } => ("forbidden", pick(en, zh, english), None),
            ApiError::Conflict {
                code,
                zh,
                en: english,
            } => (*code, pick(en, zh, english), None),
            ApiError::Unprocessable {
                field,
                zh,
                en: english,
            } => ("unprocessable", pick(en, zh, english), Some(*field)),
            ApiError::ReadOnly => (
                "read_only",
                pick(
                    en,
                    "系统暂为只读：主数据库暂不可用，可以查看，暂不能填报或修改",
                    "read-only: the primary database is unavailable; reading works, writing does not",
                ),
                None,
            ),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
            },
        }
    }
}

/// Handlers return `ApiError` without knowing the request's language: the response carries the
/// error, and the `localize` middleware writes its body in the language asked for.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        match &self {
            ApiError::TooManyTries { seconds } => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(*seconds));
            }
            ApiError::ReadOnly => {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(READ_ONLY_RETRY_SECS));
            }
            ApiError::BadToken => {
                response.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

fn pick(en: bool, zh: &str, english: &str) -> String {
    if en { english } else { zh }.to_owned()
}

/// Middleware: writes the body of an error in the request's language — an `ApiError` a handler
/// returned, or an error the framework answered by itself (a query string it cannot parse, a
/// method a route does not take, a file that is not there, a body over the limit, a panic) —
/// as JSON under `/api/` and as the error page elsewhere. Since the words depend on the
/// language, the answer says it varies with what chose it.
pub(crate) async fn localize(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let page = !path.starts_with("/api/");
    let lang = Lang::for_path(&path, request.headers(), request.uri().query());
    let mut response = next.run(request).await;
    // Headers of the error itself, kept on the localized answer.
    let kept: Vec<_> = [ALLOW, RETRY_AFTER, WWW_AUTHENTICATE, SET_COOKIE]
        .into_iter()
        .flat_map(|name| {
            let values: Vec<HeaderValue> =
                response.headers().get_all(&name).iter().cloned().collect();
            values.into_iter().map(move |v| (name.clone(), v))
        })
        .collect();
    let (status, error) = match response.extensions_mut().remove::<Arc<ApiError>>() {
        Some(error) => {
            if matches!(
                *error,
                ApiError::Store(_)
                    | ApiError::Export(_)
                    | ApiError::Template(_)
                    | ApiError::Report(_)
            ) {
                eprintln!("planwatch serve: {error}");
            }
            (error.status(), error)
        }
        None if is_bare_error(&response, page) => {
            let status = response.status();
            (status, Arc::new(framework_error(response, &path).await))
        }
        None => return response,
    };
    let mut localized = if page {
        let body = error.body(lang);
        crate::pages::error_page(lang, status, &body.error.message)
    } else {
        (status, axum::Json(error.body(lang))).into_response()
    };
    let headers = localized.headers_mut();
    for (name, value) in kept {
        headers.append(name, value);
    }
    headers.insert(
        VARY,
        HeaderValue::from_static(if page {
            // A page's language is its `?lang=` or the cookie, never Accept-Language.
            "Cookie"
        } else {
            "Accept-Language, Cookie"
        }),
    );
    localized
}

/// An error answered by the framework rather than a handler: plain text or no body at all
/// (JSON under `/api/`, HTML elsewhere is already an answer of ours).
fn is_bare_error(response: &Response, page: bool) -> bool {
    let status = response.status();
    let ours = if page {
        "text/html"
    } else {
        "application/json"
    };
    (status.is_client_error() || status.is_server_error())
        && !response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(ours))
}

/// The framework's error as one of ours: its text (when it has one) as the message.
async fn framework_error(response: Response, path: &str) -> ApiError {
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    match status {
        StatusCode::NOT_FOUND => {
            ApiError::not_found(format!("路径 {path}"), format!("path {path}"))
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        status if status.is_server_error() => ApiError::Internal,
        _ => ApiError::BadRequest(text),
    }
}
