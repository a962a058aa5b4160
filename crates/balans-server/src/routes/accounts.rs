//! Users and API tokens (admins only), and the first setup of a new store.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use balans_core::{TokenInfo, User, UserRole};
use balans_store::accounts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiPath, Fingerprint, IdempotencyKey};

/// The first admin, with the one-time token the server printed at its first start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub setup_token: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

/// Creates the first admin of a new store. Needs no API token: the setup token
/// stands for one, and works once.
#[utoipa::path(post, path = "/api/v1/setup", tag = "accounts", request_body = Setup,
    responses(
        (status = 201, body = crate::routes::docs::UserDoc),
        (status = 409, description = "Setup is finished", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn setup(
    State(state): State<AppState>,
    ApiJson(body, _): ApiJson<Setup>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = state
        .db
        .write(move |store| {
            accounts::finish_setup(store, &body.setup_token, &body.email, &body.password)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Every user.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<crate::routes::docs::UserDoc>)))]
pub async fn list_users(
    State(state): State<AppState>,
    _caller: Admin,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        state.db.read_single(|store| Ok(store.users()?)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    /// `admin`, `staff` or `viewer`.
    pub role: String,
    /// Without one, the user can hold API tokens but cannot log in.
    pub password: Option<String>,
}

/// Adds a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser, security(("bearer" = ["admin"])),
    responses(
        (status = 201, body = crate::routes::docs::UserDoc),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewUser>,
) -> ApiResult<Response> {
    let role: UserRole = body
        .role
        .parse()
        .map_err(|e: String| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "/role", e))?;
    state
        .write_json(&caller, key, fingerprint, move |store| {
            Ok((
                StatusCode::CREATED,
                accounts::add_user(store, &body.email, role, body.password.as_deref())?,
            ))
        })
        .await
}

/// Every token, never its secret.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<crate::routes::docs::TokenDoc>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    _caller: Admin,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(
        state.db.read_single(|store| Ok(store.tokens()?)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The e-mail address of the user the token acts for.
    pub user: String,
    /// What uses it: `till`, `webshop`.
    pub name: String,
}

/// A new token: its secret is in this response and nowhere else.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub user: String,
    pub name: String,
    /// `bal_…`: send it as `Authorization: Bearer bal_…`.
    pub token: String,
}

/// Creates a token for a user.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewToken, security(("bearer" = ["admin"])),
    responses(
        (status = 201, body = CreatedToken),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewToken>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let (info, secret) = accounts::create_token(store, &body.user, &body.name)?;
            Ok((
                StatusCode::CREATED,
                CreatedToken {
                    id: info.id,
                    user: info.user.to_string(),
                    name: info.name,
                    token: secret,
                },
            ))
        })
        .await
}

/// Revokes a token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's number")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    key: IdempotencyKey,
    fingerprint: Fingerprint,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            accounts::revoke_token(store, id)?;
            Ok((StatusCode::NO_CONTENT, ()))
        })
        .await
}

/// The person party a user is, or none.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserLink {
    /// A person's key; null to unlink.
    pub party: Option<String>,
}

/// The answer to a link: the user and the party's key.
#[derive(Serialize)]
pub struct Linked {
    pub email: String,
    pub party: Option<String>,
}

/// Links a user to the person party they are (a handover to that person is
/// then theirs alone to accept), or unlinks them.
#[utoipa::path(put, path = "/api/v1/users/{email}/party", tag = "accounts", request_body = UserLink,
    params(("email" = String, Path, description = "The user's email")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = crate::routes::docs::UserLinkDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An organization, or a person linked to another user", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    key: IdempotencyKey,
    ApiPath(email): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<UserLink>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let (user, party) = accounts::link_user(store, &email, body.party.as_deref())?;
            Ok((
                StatusCode::OK,
                Linked {
                    email: user.email.to_string(),
                    party,
                },
            ))
        })
        .await
}
