//! Small pieces every page uses, whoever asks: the head, a page without a
//! session (login, errors), a notice, and how a page tells an htmx request.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, T};

/// The page head: the stylesheet and scripts from the binary itself.
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            // htmx may not add inline styles or evaluate code: the CSP forbids both.
            // Answers that refuse (a form with errors is a 422) are shown too.
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"responseHandling":[{"code":"204","swap":false},{"code":"[2345]..","swap":true}]}"#;
            title { (title) " · Balans" }
            link rel="stylesheet" href=(super::asset_path("balans.css"));
            link rel="icon" href=(super::asset_path("favicon.svg")) type="image/svg+xml";
            script src=(super::asset_path("htmx.min.js")) defer {}
            script src=(super::asset_path("balans.js")) defer {}
        }
    }
}

pub fn role_text(role: balans_core::UserRole) -> T {
    match role {
        balans_core::UserRole::Admin => T::RoleAdmin,
        balans_core::UserRole::Staff => T::RoleStaff,
        balans_core::UserRole::Viewer => T::RoleViewer,
    }
}

/// A page for a visitor without a session (the login page, errors).
pub fn bare_page(lang: Lang, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title))
            body.bare {
                main #main {
                    p.brand { "Balans" }
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// An error as a page of its own.
pub fn error_page(status: StatusCode, lang: Lang, message: &str) -> Response {
    let body = bare_page(
        lang,
        T::SomethingWentWrong.get(lang),
        html! {
            p.error role="alert" { (message) }
            p { a href="/" { (T::BackToDashboard.get(lang)) } }
        },
    );
    (status, body).into_response()
}

/// A path on this server to go to after a form, or none: never another site
/// (`//host`, `/\\host`).
pub fn local_path(path: &str) -> Option<&str> {
    (path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')).then_some(path)
}

/// Whether the request came from htmx, which wants the partial only.
pub fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request")
}

/// A message shown in a box: what happened, or what went wrong.
pub fn notice(kind: &str, message: &str) -> Markup {
    html! {
        div class=(format!("notice {kind}")) role=(if kind == "error" { "alert" } else { "status" }) { (message) }
    }
}
