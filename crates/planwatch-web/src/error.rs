//! Errors at the HTTP edge: every failure becomes a JSON body with a stable `code`, a message in
//! the request's language and, for a bad parameter, the field at fault. The caller's mistakes
//! are 4xx; only a failing store is a 5xx.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
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
    /// Stable, for programs: `bad_parameter`, `not_found`, `store_unavailable`, `internal`.
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
    let lang = if page {
        Lang::of_page(request.headers(), request.uri().query())
    } else {
        Lang::of_request(request.headers(), request.uri().query())
    };
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
        None => response,
    }
}
