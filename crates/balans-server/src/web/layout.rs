//! The page shell every page of a logged-in user shares: navigation, the
//! gesture form one key away, and the language switch.

use maud::{DOCTYPE, Markup, html};

use super::i18n::T;
use super::parts::{head, role_text};
use super::record_form::{RecordValues, record_form};
use super::session::Session;

/// Which part of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Parties,
    Promises,
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
                        (link("/promises", T::Promises, Section::Promises))
                        @if session.can_write() {
                            (link("/import", T::Import, Section::Import))
                        }
                        (link("/kinds", T::Catalog, Section::Catalog))
                        @if session.is_admin() {
                            (link("/admin/users", T::Users, Section::Users))
                            (link("/admin/tokens", T::Tokens, Section::Tokens))
                        }
                    }
                    form.site-search method="get" action="/search" role="search" {
                        label.visually-hidden for="site-search" { (t(T::SearchEverything)) }
                        input #site-search type="search" name="q" placeholder=(t(T::SearchPlaceholder)) aria-keyshortcuts="/";
                        button type="submit" { (t(T::Search)) }
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
                        (record_form(session, &RecordValues::fresh(), None))
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
