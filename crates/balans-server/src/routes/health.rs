//! Liveness and readiness, for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The store answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = Health),
    (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state
        .db
        .read_single(|store| Ok(store.has_gestures()?))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "not ready");
            crate::error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer",
            )
        })?;
    Ok(Json(Health { status: "ready" }))
}
