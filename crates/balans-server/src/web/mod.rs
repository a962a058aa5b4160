//! The web app: pages rendered on the server (maud), enhanced with htmx, in Dutch
//! and English. Every page works for reading without JavaScript; htmx and the
//! stylesheet are part of the binary. Each handler answers with the full page, or
//! with the part that changed when htmx asks.

mod admin;
mod auth;
mod export;
mod forms;
pub mod i18n;
mod import;
mod layout;
mod pages;
mod parties;
mod parts;
mod party_forms;
mod promise_views;
mod promises;
mod record_form;
mod search;
mod session;
mod setup;
mod svg;
mod views;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

/// What the browser may load and run: only what this server sends, no inline
/// scripts or styles, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The assets, built into the binary.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "balans.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/balans.css"),
    ),
    (
        "balans.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/balans.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx.min.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
    ),
];

/// An asset's path, with the crate's version so that a new release is fetched anew.
pub fn asset_path(name: &str) -> String {
    format!("/assets/{}/{name}", env!("CARGO_PKG_VERSION"))
}

async fn asset(Path((_version, name)): Path<(String, String)>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Text as one component of a URL: everything but unreserved characters escaped.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Headers every page carries.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

pub use import::UPLOAD_LIMIT_DEFAULT_BYTES;

/// Room in an upload's request beyond its files: the form's other fields and the
/// multipart framing.
const UPLOAD_FRAMING_BYTES: usize = 64 * 1024;

/// Every page of the web app; an upload of CSV files holds at most
/// `upload_limit` bytes.
pub fn router(upload_limit: usize) -> Router<AppState> {
    let uploads = Router::new()
        .route("/import", get(import::page).post(import::check))
        .route("/import/{ids}", post(import::confirm))
        .layer(axum::extract::DefaultBodyLimit::max(
            upload_limit.saturating_add(UPLOAD_FRAMING_BYTES),
        ))
        .layer(axum::Extension(import::UploadLimit(upload_limit)));
    Router::new()
        .merge(uploads)
        .route("/", get(pages::dashboard))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/setup", get(setup::setup_page).post(setup::setup))
        .route("/templates/{name}", get(setup::template))
        .route("/settings/us", post(setup::set_us))
        .route("/logout", post(auth::logout))
        .route("/language", post(auth::language))
        .route("/record", get(forms::record_page))
        .route("/gestures", post(forms::record))
        .route(
            "/gestures/{id}/reverse",
            get(forms::confirm_reverse).post(forms::reverse),
        )
        .route("/suggest", get(forms::suggest))
        .route("/parties", get(parties::parties))
        .route("/parties.csv", get(parties::parties_csv))
        .route("/report.csv", get(export::report))
        .route("/search/gestures.csv", get(export::search_gestures))
        .route("/search", get(search::search))
        .route(
            "/parties/new",
            get(party_forms::new_party).post(party_forms::create_party),
        )
        .route("/parties/{key}", get(pages::party))
        .route(
            "/parties/{key}/edit",
            get(party_forms::edit_party).post(party_forms::update_party),
        )
        .route(
            "/parties/{key}/memberships",
            post(party_forms::set_membership),
        )
        .route("/parties/{key}/gestures.csv", get(export::party_gestures))
        .route("/parties/{key}/counterparts.csv", get(export::counterparts))
        .route("/relations/{a}/{b}", get(pages::relation))
        .route("/parties/{key}/credits", get(pages::organization_totals))
        .route("/handovers", post(pages::offer_handover))
        .route("/handovers/{id}", post(pages::decide_handover))
        .route("/alerts/{id}/dismiss", post(pages::dismiss_alert))
        .route("/promises", get(promises::page))
        .route("/promises/{id}/keep", post(promises::keep))
        .route(
            "/relations/{a}/{b}/gestures.csv",
            get(export::relation_gestures),
        )
        .route("/kinds", get(admin::kinds).post(admin::add_kind))
        .route("/kinds/{code}", post(admin::set_kind))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/role", post(admin::set_role))
        .route("/admin/users/password", post(admin::set_password))
        .route("/admin/users/remove", post(admin::remove_user))
        .route("/admin/users/link", post(admin::link_user))
        .route("/admin/settings", post(admin::set_settings))
        .route(
            "/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/assets/{version}/{name}", get(asset))
        .layer(axum::middleware::from_fn(security_headers))
}

/// The page for a path nothing answers.
pub fn not_found(headers: &axum::http::HeaderMap) -> Response {
    let lang = session::visitor_lang(headers);
    parts::error_page(StatusCode::NOT_FOUND, lang, i18n::T::PageNotFound.get(lang))
}
