//! The Balans HTTP server: a JSON API under `/api/v1` over the ledger, with bearer
//! tokens and roles, an OpenAPI document generated from the handlers, and errors as
//! `application/problem+json`.
//!
//! [`app`] builds the router, so that tests can drive it; [`serve`] runs it until a
//! shutdown signal, finishing the requests in flight.

pub mod db;
pub mod error;
pub mod extract;
mod routes;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;

pub use db::{Db, DynStore, Opener, Sweeping};
use error::ApiError;

/// The largest request body accepted unless configured otherwise.
pub const BODY_LIMIT_DEFAULT_BYTES: usize = 4 * 1024 * 1024;

pub use web::UPLOAD_LIMIT_DEFAULT_BYTES;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Db>,
}

/// How long a response to a write sent with an `Idempotency-Key` is kept.
pub const IDEMPOTENCY_KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// What a write produced: an answer saved for its idempotency key, or a value
/// still to be written out.
enum Produced<T> {
    Saved(Answer),
    Fresh(StatusCode, T),
}

/// The body of an answer: JSON, or nothing for 204.
fn body_of<T: serde::Serialize>(
    status: StatusCode,
    value: &T,
) -> Result<Vec<u8>, balans_store::LedgerError> {
    if status == StatusCode::NO_CONTENT {
        return Ok(Vec::new());
    }
    serde_json::to_vec(value).map_err(|e| balans_store::LedgerError::Io(e.to_string()))
}

/// A write's answer, ready to send.
struct Answer {
    status: u16,
    body: Vec<u8>,
    replayed: bool,
}

impl AppState {
    /// Runs a write and answers with its JSON. With an idempotency key, the answer
    /// is saved in the same transaction as the write, and a retry with the same key
    /// and request gets it again without writing twice; since all writes pass the
    /// one writer in turn, a retry racing its first attempt waits and then replays.
    pub async fn write_json<T: serde::Serialize + Send + 'static>(
        &self,
        user: &balans_core::User,
        key: extract::IdempotencyKey,
        fingerprint: extract::Fingerprint,
        work: impl FnOnce(
            &mut (dyn balans_store::Store + Send + 'static),
        ) -> Result<(StatusCode, T), balans_store::LedgerError>
        + Send
        + 'static,
    ) -> Result<axum::response::Response, ApiError> {
        use balans_store::store::SavedResponse;
        let user_id = user.id;
        let produced = self
            .db
            .write(move |store| {
                let Some(key) = key.0 else {
                    // Without a key nothing is saved: the answer is written out off
                    // the writer's thread.
                    let (status, value) = work(store)?;
                    return Ok(Produced::Fresh(status, value));
                };
                if let Some(saved) = store.idempotent_response(user_id, &key)? {
                    if saved.fingerprint != fingerprint.0 {
                        return Err(balans_store::LedgerError::Invalid(vec![
                            balans_store::field::Error::new(
                                "Idempotency-Key",
                                "this key was sent before with another request",
                            ),
                        ]));
                    }
                    return Ok(Produced::Saved(Answer {
                        status: saved.status,
                        body: saved.body,
                        replayed: true,
                    }));
                }
                let (status, value) = work(store)?;
                let body = body_of(status, &value)?;
                let now = balans_core::Moment::now();
                let forget_before =
                    balans_core::Moment::from_millis(now.millis() - IDEMPOTENCY_KEEP_MS);
                let saved = SavedResponse {
                    fingerprint: fingerprint.0,
                    status: status.as_u16(),
                    body: body.clone(),
                };
                store.save_idempotent_response(user_id, &key, &saved, now, forget_before)?;
                Ok(Produced::Saved(Answer {
                    status: status.as_u16(),
                    body,
                    replayed: false,
                }))
            })
            .await?;
        let answer = match produced {
            Produced::Saved(answer) => answer,
            Produced::Fresh(status, value) => Answer {
                status: status.as_u16(),
                body: body_of(status, &value)?,
                replayed: false,
            },
        };
        let mut response = axum::response::Response::new(axum::body::Body::from(answer.body));
        *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        if answer.status != 204 {
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
        }
        if answer.replayed {
            response.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
        }
        Ok(response)
    }
}

/// The server's settings.
#[derive(Clone, Debug)]
pub struct Config {
    pub body_limit_bytes: usize,
    /// The most one upload of CSV files in the web app may hold (`/import`).
    pub upload_limit_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            body_limit_bytes: BODY_LIMIT_DEFAULT_BYTES,
            upload_limit_bytes: UPLOAD_LIMIT_DEFAULT_BYTES,
        }
    }
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::router_and_document().1
}

/// The whole application.
pub fn app(state: AppState, config: &Config) -> Router {
    let (router, api) = routes::router_and_document();
    let api = Arc::new(api);
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let api = Arc::clone(&api);
                async move { axum::Json(api.as_ref().clone()) }
            }),
        )
        .merge(web::router(config.upload_limit_bytes))
        .fallback(
            |uri: axum::http::Uri, headers: axum::http::HeaderMap| async move {
                if uri.path().starts_with("/api/") {
                    return ApiError::new(
                        StatusCode::NOT_FOUND,
                        "no such route: see /api/openapi.json",
                    )
                    .into_response();
                }
                web::not_found(&headers)
            },
        )
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method: see /api/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// One line per request: method, path (with the query), status and latency.
/// Headers, and so tokens, are never logged. No span: a span per request cost a
/// read a tenth of its time, for context that the line holds already.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    tracing::info!(
        target: "balans::request",
        %method,
        %uri,
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    response
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight. Every write acknowledged before is committed and durable.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
