//! Errors at the HTTP edge: every failure becomes a JSON body with a stable `code`, a message in
//! the request's language and, for a bad parameter, the field at fault. The caller's mistakes
//! are 4xx; only a failing store is a 5xx.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
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
}

/// The JSON body of an error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable, for programs: `bad_parameter`, `bad_request`, `not_found`, `method_not_allowed`,
    /// `store_unavailable`, `internal`.
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

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Export(_) | ApiError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
            },
        }
    }

    /// The error as a JSON response in the language given.
    pub(crate) fn response_in(&self, lang: Lang) -> Response {
        (self.status(), axum::Json(self.body(lang))).into_response()
    }
}

/// Handlers return `ApiError` without knowing the request's language: the response carries the
/// error, and the `localize` middleware writes its body in the language asked for.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// Middleware: writes the body of an `ApiError` in the request's language.
pub(crate) async fn localize(request: Request, next: Next) -> Response {
    let page = !request.uri().path().starts_with("/api/");
    let lang = Lang::for_path(
        request.uri().path(),
        request.headers(),
        request.uri().query(),
    );
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<Arc<ApiError>>() {
        Some(error) => {
            if matches!(
                *error,
                ApiError::Store(_) | ApiError::Export(_) | ApiError::Template(_)
            ) {
                eprintln!("planwatch serve: {error}");
            }
            if page {
                let body = error.body(lang);
                crate::pages::error_page(lang, error.status(), &body.error.message)
            } else {
                error.response_in(lang)
            }
        }
        None if !page && is_bare_error(&response) => framework_error(response, lang).await,
        None => response,
    }
}

/// An error answered by the framework rather than a handler (a query string it cannot parse,
/// a method a route does not take, a panic): plain text or no body at all.
fn is_bare_error(response: &Response) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && !response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
}

/// The framework's error as the API's JSON: its text (when it has one) as the message.
async fn framework_error(response: Response, lang: Lang) -> Response {
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let en = lang == Lang::En;
    let (code, message) = match parts.status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            if en {
                "this API only reads: use GET".to_owned()
            } else {
                "接口只读，请用 GET 请求".to_owned()
            },
        ),
        status if status.is_server_error() => (
            "internal",
            if en {
                "internal error".to_owned()
            } else {
                "服务器内部错误".to_owned()
            },
        ),
        _ => (
            "bad_request",
            if en {
                text
            } else {
                format!("请求无效：{text}")
            },
        ),
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message,
            field: None,
        },
    };
    let mut response = (parts.status, axum::Json(body)).into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    response
}
