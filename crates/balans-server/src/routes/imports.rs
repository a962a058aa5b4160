//! Importing a CSV file over HTTP: the same formats and the same all-or-nothing
//! rule as `balans import`.

use axum::extract::State;
use balans_store::import::{self, Source};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, ApiUpload, IdempotencyKey, Staff};

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
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiQuery(options): ApiQuery<ImportOptions>,
    ApiUpload(body, fingerprint): ApiUpload,
) -> ApiResult<axum::response::Response> {
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
        user_links: caller.role.allows(balans_core::UserRole::Admin),
        ..import::Options::default()
    };
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let bytes = body.len() as u64;
            let sources = vec![Source::sized(name, std::io::Cursor::new(body), bytes)];
            Ok((
                axum::http::StatusCode::OK,
                import::import(store, sources, settings, &|_| {})?,
            ))
        })
        .await
}
