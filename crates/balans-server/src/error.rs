//! Every error the API gives, as `application/problem+json` (RFC 9457), made in
//! this one place. The cause chain of a server-side failure is logged, not shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balans_store::{LedgerError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one field, or one field of one item of a batch or row of a file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// A JSON pointer into the request body (`/amount`, `/gestures/3/giver`), or for
    /// an uploaded file the file's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// For an uploaded file: the 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For an uploaded file: the column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub detail: String,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// How many errors there were in all, when `errors` lists only the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_errors: Option<usize>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub total_errors: Option<usize>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            errors: Vec::new(),
            total_errors: None,
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "a valid API token is needed: Authorization: Bearer bal_…",
        )
    }

    pub fn forbidden(needed: balans_core::UserRole) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this needs the {needed} role"),
        )
    }

    pub fn field(status: StatusCode, pointer: &str, detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        ApiError {
            status,
            detail: format!("{pointer}: {detail}"),
            errors: vec![FieldProblem {
                pointer: Some(pointer.to_string()),
                line: None,
                column: None,
                detail,
            }],
            total_errors: None,
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        match error {
            LedgerError::Invalid(fields) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: fields
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                errors: fields
                    .into_iter()
                    .map(|f| FieldProblem {
                        pointer: Some(format!("/{}", f.column)),
                        line: None,
                        column: None,
                        detail: f.message,
                    })
                    .collect(),
                total_errors: None,
            },
            LedgerError::Rejected(rejection) => {
                let errors: Vec<FieldProblem> = rejection
                    .errors
                    .iter()
                    .map(|e| match (e.file.as_str(), e.column) {
                        // A batch's items are named by position.
                        ("gestures", Some(column)) => FieldProblem {
                            pointer: Some(format!(
                                "/gestures/{}/{column}",
                                e.line.saturating_sub(1)
                            )),
                            line: None,
                            column: None,
                            detail: e.message.clone(),
                        },
                        _ => FieldProblem {
                            pointer: Some(e.file.clone()),
                            line: (e.line > 0).then_some(e.line),
                            column: e.column.map(str::to_string),
                            detail: e.message.clone(),
                        },
                    })
                    .collect();
                ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    detail: format!(
                        "{} error{} found; nothing was written",
                        rejection.total,
                        if rejection.total == 1 { "" } else { "s" }
                    ),
                    errors,
                    total_errors: Some(rejection.total),
                }
            }
            LedgerError::NotFound { message, .. } => ApiError::new(StatusCode::NOT_FOUND, message),
            LedgerError::UnknownParty(key) => {
                ApiError::new(StatusCode::NOT_FOUND, format!("no party with key '{key}'"))
            }
            LedgerError::Conflict(detail) => ApiError::new(StatusCode::CONFLICT, detail),
            LedgerError::Forbidden { message, .. } => ApiError::new(StatusCode::FORBIDDEN, message),
            LedgerError::Clash { message, .. } => ApiError::new(StatusCode::CONFLICT, message),
            LedgerError::Store(StoreError::Busy) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store is busy; try again",
            ),
            LedgerError::Store(StoreError::Overflow(detail)) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
            }
            other => {
                tracing::error!(error = %other, "request failed in the store");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not complete this; it has been logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank".to_string(),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
            total_errors: self.total_errors,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
