//! The catalog of gesture kinds.

use axum::Json;
use axum::extract::State;
use balans_core::Kind;
use balans_store::ledger;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
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
    _caller: Viewer,
) -> ApiResult<Json<Vec<KindOut>>> {
    let kinds = state.db.read(ledger::kinds).await?;
    Ok(Json(kinds.into_iter().map(KindOut::from).collect()))
}
