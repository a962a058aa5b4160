//! Request extractors: the caller behind a bearer token with the role a route
//! needs, and JSON bodies whose every rejection is a problem+json.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use balans_core::{User, UserRole};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The secret of the request's bearer token, not yet checked.
fn bearer(parts: &Parts) -> Result<String, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(ApiError::unauthorized)?;
    let value = header.to_str().map_err(|_| ApiError::unauthorized())?;
    Ok(value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(ApiError::unauthorized)?
        .trim()
        .to_string())
}

/// The user behind the request's bearer token.
async fn caller(parts: &Parts, state: &AppState) -> Result<User, ApiError> {
    let secret = bearer(parts)?;
    let user = state
        .db
        .read_single(move |store| balans_store::accounts::authenticate(store, &secret))
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

/// A caller who may read: any valid token. The token is checked in the same trip
/// to the store as the read itself ([`AppState::read_as`]), which saves a trip.
pub struct Viewer(pub(crate) String);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        bearer(parts).map(Viewer)
    }
}

/// How a read sees the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// In one read transaction (see [`Db::read`]): for work that reads more than
    /// once.
    ///
    /// [`Db::read`]: crate::db::Db::read
    AtOneMoment,
    /// Without one, for work whose data that can change comes from a single
    /// statement: a party, the kinds, a page of parties, or a pair's balance (the
    /// party keys and kinds it also reads never change once stored). One
    /// statement sees one moment by itself, and a read transaction would cost
    /// PostgreSQL a trip to begin it and one to end it.
    OneStatement,
}

impl AppState {
    /// Checks the viewer's token and runs `work` on one reading connection, in
    /// one trip to a blocking thread, as `reads` says; an unknown or revoked
    /// token is a 401.
    pub async fn read_as<T: Send + 'static>(
        &self,
        viewer: Viewer,
        reads: Reads,
        work: impl FnOnce(
            &mut (dyn balans_store::Store + Send + 'static),
        ) -> Result<T, balans_store::LedgerError>
        + Send
        + 'static,
    ) -> Result<T, ApiError> {
        self.read_with(viewer, reads, Ok(()), |store, ()| work(store))
            .await
    }

    /// As [`AppState::read_as`], with the request's parsed input: the token is
    /// checked first, so that a caller without a valid token learns nothing else.
    pub async fn read_with<I: Send + 'static, T: Send + 'static>(
        &self,
        viewer: Viewer,
        reads: Reads,
        input: Result<I, ApiError>,
        work: impl FnOnce(
            &mut (dyn balans_store::Store + Send + 'static),
            I,
        ) -> Result<T, balans_store::LedgerError>
        + Send
        + 'static,
    ) -> Result<T, ApiError> {
        let work = authenticated(viewer, input, work);
        match reads {
            Reads::AtOneMoment => self.db.read(work).await?,
            Reads::OneStatement => self.db.read_single(work).await?,
        }
    }
}

/// `work` behind the check of the viewer's token, in the same trip to the store.
fn authenticated<I, T>(
    Viewer(secret): Viewer,
    input: Result<I, ApiError>,
    work: impl FnOnce(
        &mut (dyn balans_store::Store + Send + 'static),
        I,
    ) -> Result<T, balans_store::LedgerError>,
) -> impl FnOnce(
    &mut (dyn balans_store::Store + Send + 'static),
) -> Result<Result<T, ApiError>, balans_store::LedgerError> {
    move |store| match balans_store::accounts::authenticate(store, &secret)? {
        None => Ok(Err(ApiError::unauthorized())),
        Some(_) => match input {
            Err(e) => Ok(Err(e)),
            Ok(input) => Ok(Ok(work(store, input)?)),
        },
    }
}

role_extractor!(
    AnyUser,
    UserRole::Viewer,
    "A caller with any valid token, as the user they are: for what the ledger decides per user (a handover is its successor's to accept)."
);

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

/// What identifies a request for its idempotency key: a hash of its method, path
/// and body. The same key sent with another request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(method: &axum::http::Method, uri: &axum::http::Uri, body: &[u8]) -> Fingerprint {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(method.as_str().as_bytes());
        hasher.update(b" ");
        hasher.update(uri.path_and_query().map_or("", |p| p.as_str()).as_bytes());
        hasher.update(b"\n");
        hasher.update(body);
        Fingerprint(hasher.finalize().into())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Fingerprint {
    type Rejection = ApiError;

    /// For a request without a body.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Fingerprint::of(&parts.method, &parts.uri, b""))
    }
}

/// A JSON body, and the request's fingerprint; a malformed body, a wrong type, a
/// missing or unknown field or an oversized body is a 4xx problem naming what is wrong.
pub struct ApiJson<T>(pub T, pub Fingerprint);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as Content-Type: application/json",
            ));
        }
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let ApiBytes(bytes) = ApiBytes::from_request(request, state).await?;
        // The plain parser first; only a body that fails is read again with its path
        // tracked, to name the field (tracking costs on every value of a large batch).
        let value = match serde_json::from_slice::<T>(&bytes) {
            Ok(value) => value,
            Err(_) => return Err(explain_json_error::<T>(&bytes)),
        };
        Ok(ApiJson(value, Fingerprint::of(&method, &uri, &bytes)))
    }
}

/// Why `bytes` do not make a `T`, naming the field where the JSON does not fit.
fn explain_json_error<T: DeserializeOwned>(bytes: &[u8]) -> ApiError {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => match deserializer.end() {
            Ok(()) => return ApiError::new(StatusCode::BAD_REQUEST, "the body is not valid JSON"),
            Err(e) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not valid JSON: {e}"),
                );
            }
        },
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data if path != "." => {
            let pointer = format!("/{}", path.replace(['.', '['], "/").replace(']', ""));
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                &pointer,
                format!("the body does not fit: {inner}"),
            )
        }
        serde_json::error::Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the body does not fit: {inner}"),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {inner}"),
        ),
    }
}

/// The `Idempotency-Key` header, when sent: a retry with the same key gets the
/// first answer again instead of writing twice.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value.to_str().map(str::trim).unwrap_or("");
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Idempotency-Key: 1 to 255 visible ASCII characters, such as a UUID",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
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

/// An uploaded file's bytes, and the request's fingerprint.
pub struct ApiUpload(pub axum::body::Bytes, pub Fingerprint);

impl<S: Send + Sync> FromRequest<S> for ApiUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let ApiBytes(bytes) = ApiBytes::from_request(request, state).await?;
        let fingerprint = Fingerprint::of(&method, &uri, &bytes);
        Ok(ApiUpload(bytes, fingerprint))
    }
}
