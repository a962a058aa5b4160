//! The store's settings: the time zone, our own organization, and the
//! thresholds of credits (`docs/credits.md`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use balans_store::ledger;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiPath, IdempotencyKey, Reads, Viewer};

/// A setting and its value; none when not set.
#[derive(Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: Option<String>,
}

/// Every setting a user may change, with its value.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<crate::routes::docs::SettingDoc>)))]
pub async fn list_settings(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Vec<Setting>>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, |store| {
                ledger::SETTINGS
                    .iter()
                    .map(|name| {
                        Ok(Setting {
                            name,
                            value: store.setting(name)?,
                        })
                    })
                    .collect()
            })
            .await?,
    ))
}

/// A setting's new value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewValue {
    /// `timezone`: an IANA name; `us`: an organization's key;
    /// `key_person_percent`: 0 to 100; `dormant_alert_points`: points, 0 or more.
    pub value: String,
}

/// Changes a setting after checking its value.
#[utoipa::path(put, path = "/api/v1/settings/{name}", tag = "settings", request_body = NewValue,
    params(("name" = String, Path, description = "timezone, us, key_person_percent or dormant_alert_points")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = crate::routes::docs::SettingDoc),
        (status = 404, description = "No such setting", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value the setting does not take", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_setting(
    State(state): State<AppState>,
    Admin(caller): Admin,
    key: IdempotencyKey,
    ApiPath(name): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<NewValue>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            ledger::set_setting(store, &name, &body.value)?;
            let name = ledger::SETTINGS
                .into_iter()
                .find(|known| *known == name)
                .unwrap_or("");
            Ok((
                StatusCode::OK,
                Setting {
                    name,
                    value: store.setting(name)?,
                },
            ))
        })
        .await
}
