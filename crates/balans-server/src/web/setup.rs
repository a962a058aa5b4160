//! The first run in the browser: a new store's `serve` prints a one-time link;
//! it creates the first admin, names our own organization, the language and the
//! time zone, or loads the demo, in one write, and logs the admin in. And the
//! CSV templates a new user fills in, in the dialect Dutch Excel writes.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use balans_store::{LedgerError, ledger, setting};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{same_origin, set_lang_cookie, set_session_cookie};
use super::forms::{field_errors, messages};
use super::i18n::{Lang, T};
use super::parts;
use super::session::visitor_lang;
use crate::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Our own organization's name; its key is made from it.
    #[serde(default)]
    organization: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    zone: String,
    /// `empty` or `demo`.
    #[serde(default)]
    start: String,
}

fn setup_form(lang: Lang, form: &SetupForm, errors: &[(String, String)]) -> Markup {
    let t = |text: T| text.get(lang);
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.clone())
    };
    let input = |name: &'static str, label: T, value: &str, kind: &'static str, required: bool| {
        let error = error_of(name);
        html! {
            div.field {
                label for={ "setup-" (name) } { (t(label)) }
                input id={ "setup-" (name) } type=(kind) name=(name) value=(value) required[required]
                    aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[error.as_ref().map(|_| format!("setup-{name}-error"))];
                @if let Some(error) = error { span.field-error id={ "setup-" (name) "-error" } { (error) } }
            }
        }
    };
    let known = [
        "email",
        "password",
        "organization",
        "zone",
        "setup_token",
        "us",
        "timezone",
    ];
    let elsewhere: Vec<String> = errors
        .iter()
        .filter(|(f, _)| !known.contains(&f.as_str()))
        .map(|(f, m)| {
            if f.is_empty() {
                m.clone()
            } else {
                format!("{f}: {m}")
            }
        })
        .collect();
    let token_error = error_of("setup_token");
    let zone = if form.zone.is_empty() {
        balans_core::DEFAULT_TIME_ZONE
    } else {
        &form.zone
    };
    let chosen = if form.lang.is_empty() {
        lang.code()
    } else {
        form.lang.as_str()
    };
    html! {
        p { (t(T::SetupExplained)) }
        @for message in &elsewhere { (parts::notice("error", message)) }
        @if let Some(message) = &token_error { (parts::notice("error", message)) }
        form.setup method="post" action="/setup" {
            input type="hidden" name="token" value=(form.token);
            (input("email", T::Email, &form.email, "email", true))
            (input("password", T::PasswordTen, "", "password", true))
            fieldset {
                legend { (t(T::SetupStart)) }
                div.field.check {
                    input #setup-start-empty type="radio" name="start" value="empty" checked[form.start != "demo"];
                    label for="setup-start-empty" { (t(T::SetupStartEmpty)) }
                }
                div.field.check {
                    input #setup-start-demo type="radio" name="start" value="demo" checked[form.start == "demo"];
                    label for="setup-start-demo" { (t(T::SetupStartDemo)) }
                }
            }
            (input("organization", T::SetupOrganization, &form.organization, "text", false))
            div.field {
                label for="setup-lang" { (t(T::SetupLanguage)) }
                select #setup-lang name="lang" {
                    @for option in [Lang::Nl, Lang::En] {
                        option value=(option.code()) selected[chosen == option.code()] { (option.name()) }
                    }
                }
            }
            (input("zone", T::SetupZone, zone, "text", true))
            button.primary type="submit" { (t(T::SetupDone)) }
        }
    }
}

/// `GET /setup?token=`: the first run's form, while the store has no users.
pub async fn setup_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(form): Query<SetupForm>,
) -> Response {
    let lang = visitor_lang(&headers);
    let users = state.db.read(|store| Ok(store.users()?.len())).await;
    match users {
        Ok(0) => parts::bare_page(lang, T::SetupTitle.get(lang), setup_form(lang, &form, &[]))
            .into_response(),
        Ok(_) => finished(lang),
        Err(e) => parts::error_page(StatusCode::SERVICE_UNAVAILABLE, lang, &e.to_string()),
    }
}

fn finished(lang: Lang) -> Response {
    (
        StatusCode::CONFLICT,
        parts::bare_page(
            lang,
            T::SetupTitle.get(lang),
            html! {
                p { (T::SetupFinished.get(lang)) }
                p { a href="/login" { (T::LogIn.get(lang)) } }
            },
        ),
    )
        .into_response()
}

/// `POST /setup`: the first admin, our organization (or the demo), the language
/// and the time zone, all in one write or none of it; then the admin is logged
/// in and sees the dashboard.
pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or_else(|| visitor_lang(&headers));
    if !same_origin(&headers) {
        return parts::error_page(StatusCode::FORBIDDEN, lang, T::CsrfRefused.get(lang));
    }
    let sent = form.clone();
    let result = state
        .db
        .write(move |store| {
            let user = balans_store::accounts::finish_setup(
                store,
                &sent.token,
                &sent.email,
                &sent.password,
            )?;
            balans_store::accounts::set_language(store, &user, lang.code())?;
            let zone = sent.zone.trim();
            let zone = if zone.is_empty() {
                balans_core::DEFAULT_TIME_ZONE
            } else {
                zone
            };
            ledger::set_setting(store, setting::TIME_ZONE, zone).map_err(|e| match e {
                LedgerError::Invalid(mut errors) => {
                    for error in &mut errors {
                        error.column = "zone";
                    }
                    LedgerError::Invalid(errors)
                }
                e => e,
            })?;
            if sent.start == "demo" {
                let notes = match lang {
                    Lang::Nl => balans_store::demo::NotesIn::Dutch,
                    Lang::En => balans_store::demo::NotesIn::English,
                };
                balans_store::demo::load_in(store, notes)?;
            } else if !sent.organization.trim().is_empty() {
                let key = ledger::free_key(store, &sent.organization)?;
                ledger::add_party(
                    store,
                    &balans_store::snapshot::PartyText {
                        key: &key,
                        kind: "organization",
                        name: &sent.organization,
                        email: "",
                        phone: "",
                        note: "",
                    },
                )
                .map_err(|e| match e {
                    LedgerError::Invalid(mut errors) => {
                        for error in &mut errors {
                            error.column = "organization";
                        }
                        LedgerError::Invalid(errors)
                    }
                    e => e,
                })?;
                ledger::set_setting(store, setting::US, &key)?;
            }
            Ok(balans_store::accounts::log_in(store, &sent.email, &sent.password)?.0)
        })
        .await;
    match result {
        Ok(secret) => {
            let mut response = Redirect::to("/").into_response();
            set_session_cookie(&mut response, &headers, &secret);
            // The language chosen holds on pages without a session too.
            set_lang_cookie(&mut response, &headers, lang);
            response
        }
        Err(LedgerError::Conflict(_)) => finished(lang),
        Err(e) => {
            let errors = field_errors(lang, &e);
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                parts::bare_page(
                    lang,
                    T::SetupTitle.get(lang),
                    setup_form(lang, &form, &errors),
                ),
            )
                .into_response()
        }
    }
}

/// The templates: a header and an example row each, semicolon-separated with a
/// decimal comma and a byte order mark, as Dutch Excel opens and saves them.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "partijen.csv",
        "key;kind;name;email;phone;note\r\n\
         bakkerij-jansen;organization;Bakkerij Jansen;info@bakkerijjansen.nl;;Vaste klant sinds 2019\r\n\
         anna-jansen;person;Anna Jansen;anna@bakkerijjansen.nl;06 12345678;\r\n",
    ),
    (
        "lidmaatschappen.csv",
        "person;organization;role;from;until\r\n\
         anna-jansen;bakkerij-jansen;contact;01-01-2020;\r\n",
    ),
    (
        "gebaren.csv",
        "id;at;giver;receiver;kind;amount;note;item\r\n\
         ;15-03-2024 10:30;anna-jansen;bakkerij-jansen;thanks;;Bloemen na de levering;\r\n\
         ;16-03-2024;anna-jansen;bakkerij-jansen;pay;1250,50;Factuur 2024-031;\r\n",
    ),
];

/// `GET /templates/{name}`: one of the templates.
pub async fn template(_session: super::session::Session, Path(name): Path<String>) -> Response {
    match TEMPLATES.iter().find(|(n, _)| *n == name) {
        Some((name, body)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            format!("\u{feff}{body}"),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Links to the templates, for the dashboard of an empty store and the import page.
pub fn template_links(lang: Lang) -> Markup {
    html! {
        p.templates {
            (T::Templates.get(lang)) ": "
            @for (i, (name, _)) in TEMPLATES.iter().enumerate() {
                @if i > 0 { ", " }
                a href={ "/templates/" (name) } download { (name) }
            }
        }
    }
}

/// The form that names our own organization, on the dashboard of a store that
/// has none (admins only).
pub fn us_form(session: &super::session::Session) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    html! {
        form.us-form method="post" action="/settings/us" {
            input type="hidden" name="csrf" value=(session.csrf);
            div.field {
                label for="us-name" { (t(T::WhoAreWe)) }
                input #us-name name="us" required autocomplete="off";
            }
            button type="submit" { (t(T::Save)) }
        }
    }
}

#[derive(Deserialize)]
pub struct UsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    us: String,
}

/// `POST /settings/us`: makes the organization named (by name or key) our own.
pub async fn set_us(
    State(state): State<AppState>,
    session: super::session::Session,
    Form(form): Form<UsForm>,
) -> Result<Response, super::session::Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(balans_core::UserRole::Admin)?;
    let lang = session.lang;
    let result = state
        .db
        .write(move |store| {
            let key = ledger::party_key_named(store, "us", &form.us)?;
            ledger::set_setting(store, setting::US, &key)
        })
        .await;
    Ok(match result {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => parts::error_page(StatusCode::UNPROCESSABLE_ENTITY, lang, &messages(lang, &e)),
    })
}
