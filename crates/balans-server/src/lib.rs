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

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use tower_http::trace::TraceLayer;

pub use db::{Db, DynStore, Opener};
use error::ApiError;

/// The largest request body accepted unless configured otherwise.
pub const BODY_LIMIT_DEFAULT_BYTES: usize = 4 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Db>,
}

/// The server's settings.
#[derive(Clone, Debug)]
pub struct Config {
    pub body_limit_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            body_limit_bytes: BODY_LIMIT_DEFAULT_BYTES,
        }
    }
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::router().split_for_parts().1
}

/// The whole application.
pub fn app(state: AppState, config: &Config) -> Router {
    let (router, api) = routes::router().split_for_parts();
    let api = Arc::new(api);
    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let api = Arc::clone(&api);
                async move { axum::Json(api.as_ref().clone()) }
            }),
        )
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no such route: see /api/openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method: see /api/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
