//! What a unit sends to `POST /api/submissions` (and `/check`): the rows of a form as JSON, or
//! a file as `multipart/form-data` — the sheet it keeps, read as `planwatch import` reads it.
//! Both come out as one [`Sent`], so that everything after reading is the same.

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::RowIn;
use crate::error::ApiError;

/// A new submission: a unit's rows, submitted at once unless `draft`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSubmission {
    /// The unit: a region or department code (optional when the caller reports for exactly
    /// one unit)
    unit: Option<String>,
    rows: Vec<RowIn>,
    #[serde(default)]
    draft: bool,
    /// A revision of figures in a locked period: needs `reason`
    #[serde(default)]
    revise: bool,
    /// Why a locked period's figures are revised (with `revise`; not blank)
    reason: Option<String>,
}

/// A file upload: the sheet a unit keeps (CSV in UTF-8 or GBK, XLSX, XLSB, XLS, ODS, the unit's
/// template included), submitted at once unless `draft`.
#[allow(dead_code)] // Only its description is used: the form is read part by part.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)] // No other parts: the description says so.
pub(crate) struct Upload {
    /// The file, with its name
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The unit: a region or department code (optional when the caller reports for exactly
    /// one unit)
    #[schema(required = false)]
    unit: String,
    /// true or false (default false: submitted at once)
    #[schema(required = false)]
    draft: bool,
    /// true: a revision of figures in a locked period, with `reason` (default false)
    #[schema(required = false)]
    revise: bool,
    /// Why a locked period's figures are revised
    #[schema(required = false)]
    reason: String,
}

/// The rows sent: a form's, or a file.
pub(crate) enum Rows {
    Form(Vec<RowIn>),
    /// An uploaded file: its own name (without any folder) and its bytes.
    File {
        name: String,
        bytes: Vec<u8>,
    },
}

impl Rows {
    /// The uploaded file's name; `None` for a form's rows.
    pub(crate) fn file_name(&self) -> Option<&str> {
        match self {
            Rows::Form(_) => None,
            Rows::File { name, .. } => Some(name),
        }
    }
}

/// A submission as sent, JSON or multipart.
pub(crate) struct Sent {
    pub(crate) unit: Option<String>,
    pub(crate) rows: Rows,
    pub(crate) draft: bool,
    pub(crate) revise: bool,
    pub(crate) reason: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for Sent {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Sent, Response> {
        if is_multipart(request.headers()) {
            let form = Multipart::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return read_upload(form).await.map_err(IntoResponse::into_response);
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let new: NewSubmission = serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!(
                "{{\"unit\", \"rows\": [...], \"draft\", \"revise\", \"reason\"}}: {e}"
            ))
            .into_response()
        })?;
        Ok(Sent {
            unit: new.unit,
            rows: Rows::Form(new.rows),
            draft: new.draft,
            revise: new.revise,
            reason: new.reason,
        })
    }
}

/// Whether a request's body is `multipart/form-data`.
pub(crate) fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// A form's parts: `file` (required), `unit`, `draft`, `revise`, `reason`.
async fn read_upload(mut form: Multipart) -> Result<Sent, ApiError> {
    let mut file = None;
    let mut sent = Sent {
        unit: None,
        rows: Rows::Form(Vec::new()),
        draft: false,
        revise: false,
        reason: None,
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let part = field.name().unwrap_or_default().to_owned();
        if part == "file" {
            let name = file_name(&field).ok_or_else(|| {
                ApiError::bad(
                    "file",
                    "应为带文件名的文件",
                    "must be a file, sent with its name",
                )
            })?;
            let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            if file.replace((name, bytes)).is_some() {
                return Err(ApiError::bad(
                    "file",
                    "一次只能上传一个文件",
                    "one file at a time",
                ));
            }
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        match part.as_str() {
            "unit" => sent.unit = Some(text).filter(|t| !t.trim().is_empty()),
            "draft" => sent.draft = flag("draft", &text)?,
            "revise" => sent.revise = flag("revise", &text)?,
            "reason" => sent.reason = Some(text),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "\"{other}\": not a part of an upload (file, unit, draft, revise, reason)"
                )));
            }
        }
    }
    let (name, bytes) = file.ok_or_else(|| {
        ApiError::bad(
            "file",
            "缺少文件（表单字段 file）",
            "no file: send it as the part \"file\"",
        )
    })?;
    sent.rows = Rows::File { name, bytes };
    Ok(sent)
}

/// The name of an uploaded file part, without any folder: browsers may send a path
/// (C:\\fakepath\\…), whose last part is the name. `None` when it has none.
pub(crate) fn file_name(field: &axum::extract::multipart::Field<'_>) -> Option<String> {
    field
        .file_name()
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

pub(crate) fn flag(field: &'static str, text: &str) -> Result<bool, ApiError> {
    match text.trim() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(ApiError::bad(
            field,
            format!("应为 true 或 false，而不是 \"{other}\""),
            format!("must be true or false, not \"{other}\""),
        )),
    }
}

/// A form that could not be read: over the server's body limit (413), or not a form.
pub(crate) fn unreadable(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::BadRequest(error.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn a_flag_is_true_false_or_left_empty() {
        assert_eq!(flag("draft", "true").ok(), Some(true));
        assert_eq!(flag("draft", " false ").ok(), Some(false));
        assert_eq!(flag("draft", "").ok(), Some(false));
        let refused = flag("draft", "yes").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "draft: must be true or false, not \"yes\""
        );
    }
}
