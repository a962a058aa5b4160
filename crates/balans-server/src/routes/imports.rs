//! Importing a CSV file over HTTP: the same formats and the same all-or-nothing
//! rule as `balans import`.

use axum::Json;
use axum::extract::State;
use balans_store::import::{self, Source, Summary};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiBytes, ApiQuery, Staff};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// The file's name, for the errors.
    pub name: Option<String>,
    /// Validate and write nothing.
    pub dry_run: Option<bool>,
    /// `point` or `comma`: overrides what the delimiter implies.
    pub decimal: Option<String>,
    /// `utf-8` or `windows-1252`: overrides what the file's start implies.
    pub encoding: Option<String>,
}

/// Imports one CSV file (parties, memberships, gestures or kinds, told by its
/// header): all of it or, after any error, nothing; the errors name line and column.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", params(ImportOptions),
    request_body(content = String, content_type = "text/csv", description = "The file, as Excel saves it"),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::ImportSummaryDoc),
        (status = 422, description = "The row errors; nothing was written", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_file(
    State(state): State<AppState>,
    _caller: Staff,
    ApiQuery(options): ApiQuery<ImportOptions>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<Summary>> {
    let invalid = |pointer: &str, detail: String| {
        ApiError::field(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            pointer,
            detail,
        )
    };
    let decimal = options
        .decimal
        .as_deref()
        .map(|d| d.parse())
        .transpose()
        .map_err(|e: String| invalid("/decimal", e))?;
    let encoding = options
        .encoding
        .as_deref()
        .map(|e| e.parse())
        .transpose()
        .map_err(|e: String| invalid("/encoding", e))?;
    let name = options.name.unwrap_or_else(|| "upload.csv".to_string());
    let settings = import::Options {
        decimal,
        encoding,
        dry_run: options.dry_run.unwrap_or(false),
    };
    let summary = state
        .db
        .write(move |store| {
            let sources = vec![Source::new(name, std::io::Cursor::new(body))];
            import::import(store, sources, settings, &|_| {})
        })
        .await?;
    Ok(Json(summary))
}
