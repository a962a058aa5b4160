//! Request extractors: the caller behind a bearer token with the role a route
//! needs, and JSON bodies whose every rejection is a problem+json.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use balans_core::{User, UserRole};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The user behind the request's bearer token.
async fn caller(parts: &Parts, state: &AppState) -> Result<User, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(ApiError::unauthorized)?;
    let value = header.to_str().map_err(|_| ApiError::unauthorized())?;
    let secret = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(ApiError::unauthorized)?
        .trim()
        .to_string();
    let user = state
        .db
        .read(move |store| balans_store::accounts::authenticate(store, &secret))
        .await?;
    user.ok_or_else(ApiError::unauthorized)
}

macro_rules! role_extractor {
    ($name:ident, $role:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name(pub User);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, ApiError> {
                let user = caller(parts, state).await?;
                if !user.role.allows($role) {
                    return Err(ApiError::forbidden($role));
                }
                Ok($name(user))
            }
        }
    };
}

role_extractor!(Viewer, UserRole::Viewer, "A caller who may read.");
role_extractor!(
    Staff,
    UserRole::Staff,
    "A caller who may write parties, memberships, gestures and imports."
);
role_extractor!(
    Admin,
    UserRole::Admin,
    "A caller who may do everything, users and tokens included."
);

/// A JSON body; a malformed one, a wrong type, a missing field or an oversized body
/// is a 4xx problem naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("the body does not fit: {}", e.body_text()),
                ),
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not valid JSON: {}", e.body_text()),
                ),
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send the body as Content-Type: application/json",
                ),
                JsonRejection::BytesRejection(e) => ApiError::new(e.status(), e.body_text()),
                other => ApiError::new(other.status(), other.body_text()),
            }),
        }
    }
}

/// Path parameters; one that does not parse is a 400 problem.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the path does not fit: {}", e.body_text()),
                )
            })
    }
}

/// Query parameters; an unknown or malformed one is a 400 problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the query does not fit: {}", e.body_text()),
                )
            })
    }
}

/// A raw body (an uploaded file); an oversized one is a 413 problem.
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(ApiBytes)
            .map_err(|e| ApiError::new(e.status(), e.body_text()))
    }
}
