//! The page shell every page shares: head, navigation, the gesture form one key
//! away, and the language switch; and the ways a page answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::i18n::{Lang, T};
use super::session::Session;

/// Which part of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Parties,
    Import,
    Catalog,
    Users,
    Tokens,
    /// The gesture form's own page, which has no second form in its header.
    Record,
    None,
}

/// A whole page for a logged-in user.
pub fn page(session: &Session, section: Section, title: &str, content: Markup) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let link = |href: &str, text: T, this: Section| {
        html! {
            a href=(href) aria-current=[(section == this).then_some("page")] { (t(text)) }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(title))
            body {
                a.skip href="#main" { (t(T::SkipToContent)) }
                header.top {
                    nav aria-label=(t(T::Navigation)) {
                        a.brand href="/" { "Balans" }
                        (link("/", T::Dashboard, Section::Dashboard))
                        (link("/parties", T::Parties, Section::Parties))
                        @if session.can_write() {
                            (link("/import", T::Import, Section::Import))
                        }
                        (link("/kinds", T::Catalog, Section::Catalog))
                        @if session.is_admin() {
                            (link("/admin/users", T::Users, Section::Users))
                            (link("/admin/tokens", T::Tokens, Section::Tokens))
                        }
                    }
                    div.account {
                        form.inline method="post" action="/language" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            @let other = lang.other();
                            input type="hidden" name="lang" value=(other.code());
                            button type="submit" lang=(other.code()) title=(t(T::SwitchLanguage)) { (other.name()) }
                        }
                        span.who { (session.user.email.as_str()) " · " (t(role_text(session.user.role))) }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button type="submit" { (t(T::LogOut)) }
                        }
                    }
                }
                @if session.can_write() && section != Section::Record {
                    details.record #record {
                        summary { (t(T::RecordGesture)) " " kbd { "N" } }
                        (super::forms::record_form(session, &super::forms::RecordValues::fresh(), None))
                    }
                }
                main #main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

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
