//! The catalog of gesture kinds.

use axum::Json;
use axum::extract::State;
use balans_core::Kind;
use balans_store::ledger;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Reads;
use crate::extract::Viewer;

#[derive(Serialize, ToSchema)]
pub struct KindOut {
    pub code: String,
    /// `money` or `credit`.
    pub dimension: String,
    /// The value of a gesture that names none; null when it must be given.
    pub default: Option<String>,
    pub label_nl: String,
    pub label_en: String,
    pub builtin: bool,
}

impl From<Kind> for KindOut {
    fn from(kind: Kind) -> KindOut {
        KindOut {
            code: kind.def.code.to_string(),
            dimension: kind.def.dimension.as_str().to_string(),
            default: kind.def.default.map(|a| a.to_string()),
            label_nl: kind.def.label_nl,
            label_en: kind.def.label_en,
            builtin: kind.builtin,
        }
    }
}

/// The catalog, with Dutch and English labels.
#[utoipa::path(get, path = "/api/v1/kinds", tag = "kinds", security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<KindOut>)))]
pub async fn list_kinds(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Vec<KindOut>>> {
    let kinds = state
        .read_as(viewer, Reads::OneStatement, ledger::kinds)
        .await?;
    Ok(Json(kinds.into_iter().map(KindOut::from).collect()))
}

/// A kind to add to the catalog.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKind {
    /// Lower case letters, digits and `_`.
    pub code: String,
    /// `money` or `credit`.
    pub dimension: String,
    /// A decimal string; absent when every gesture must give its amount.
    pub default: Option<String>,
    pub label_nl: Option<String>,
    pub label_en: Option<String>,
}

fn invalid(pointer: &str, detail: impl Into<String>) -> crate::error::ApiError {
    crate::error::ApiError::field(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        pointer,
        detail,
    )
}

fn amount(pointer: &str, text: &str) -> Result<balans_core::Amount, crate::error::ApiError> {
    balans_core::Amount::parse_typed(text).map_err(|e| invalid(pointer, e.to_string()))
}

/// Adds a kind.
#[utoipa::path(post, path = "/api/v1/kinds", tag = "kinds", request_body = NewKind, security(("bearer" = ["admin"])),
    responses(
        (status = 201, body = KindOut),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_kind(
    State(state): State<AppState>,
    crate::extract::Admin(caller): crate::extract::Admin,
    key: crate::extract::IdempotencyKey,
    crate::extract::ApiJson(body, fingerprint): crate::extract::ApiJson<NewKind>,
) -> ApiResult<axum::response::Response> {
    let code =
        balans_core::KindCode::parse(&body.code).map_err(|e| invalid("/code", e.to_string()))?;
    let dimension = body
        .dimension
        .parse::<balans_core::Dimension>()
        .map_err(|e| invalid("/dimension", e))?;
    let default = body
        .default
        .as_deref()
        .map(|d| amount("/default", d))
        .transpose()?;
    let def = balans_core::KindDef {
        label_nl: body.label_nl.unwrap_or_else(|| code.to_string()),
        label_en: body.label_en.unwrap_or_else(|| code.to_string()),
        code: code.clone(),
        dimension,
        default,
    };
    state
        .write_json(&caller, key, fingerprint, move |store| {
            ledger::add_kind(store, def)?;
            let kind = ledger::kinds(store)?
                .into_iter()
                .find(|k| k.def.code == code)
                .ok_or_else(|| {
                    balans_store::LedgerError::not_found_said("the new kind cannot be read back")
                })?;
            Ok((axum::http::StatusCode::CREATED, KindOut::from(kind)))
        })
        .await
}

/// Changes to a kind: its default (null: none) and labels. Gestures already
/// recorded keep their amounts.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindChanges {
    #[serde(default, deserialize_with = "clearable")]
    #[schema(value_type = Option<String>)]
    pub default: Option<Option<String>>,
    pub label_nl: Option<String>,
    pub label_en: Option<String>,
}

fn clearable<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Changes a kind's default or labels.
#[utoipa::path(patch, path = "/api/v1/kinds/{code}", tag = "kinds", request_body = KindChanges,
    params(("code" = String, Path, description = "The kind's code")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = KindOut),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_kind(
    State(state): State<AppState>,
    crate::extract::Admin(caller): crate::extract::Admin,
    key: crate::extract::IdempotencyKey,
    crate::extract::ApiPath(code): crate::extract::ApiPath<String>,
    crate::extract::ApiJson(body, fingerprint): crate::extract::ApiJson<KindChanges>,
) -> ApiResult<axum::response::Response> {
    let code = balans_core::KindCode::parse(&code).map_err(|e| invalid("/code", e.to_string()))?;
    let default = match body.default {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(amount("/default", &text)?)),
    };
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let kind = ledger::set_kind(store, &code, default, body.label_nl, body.label_en)?;
            Ok((axum::http::StatusCode::OK, KindOut::from(kind)))
        })
        .await
}
