//! Logging in and out, and choosing the language.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use balans_store::LedgerError;
use maud::html;
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::parts;
use super::session::{LANG_COOKIE, Refusal, SESSION_COOKIE, Session, cookie, visitor_lang};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Only paths on this server are followed after logging in.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(parts::local_path).unwrap_or("/").to_string()
}

fn login_page(lang: Lang, next: &str, email: &str, error: Option<&str>) -> maud::Markup {
    let t = |text: T| text.get(lang);
    let other = lang.other();
    parts::bare_page(
        lang,
        t(T::LogIn),
        html! {
            @if let Some(error) = error {
                (parts::notice("error", error))
            }
            form.login method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="email" { (t(T::Email)) }
                    input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                }
                div.field {
                    label for="password" { (t(T::Password)) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                button.primary type="submit" { (t(T::LogIn)) }
            }
            p.switch {
                a href={ "/login?lang=" (other.code()) "&next=" (super::encode(next)) } lang=(other.code()) { (other.name()) }
            }
        },
    )
}

/// `GET /login`.
pub async fn login_form(headers: HeaderMap, Query(query): Query<LoginQuery>) -> Response {
    let chosen = query.lang.as_deref().and_then(Lang::parse);
    let lang = chosen.unwrap_or_else(|| visitor_lang(&headers));
    let next = safe_next(query.next.as_deref());
    let mut response = login_page(lang, &next, "", None).into_response();
    if let Some(lang) = chosen {
        set_lang_cookie(&mut response, &headers, lang);
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Sets a cookie; `Secure` when the request came over HTTPS through a proxy that
/// says so (`X-Forwarded-Proto: https`), so the browser never sends it in clear.
pub(super) fn set_cookie(response: &mut Response, headers: &HeaderMap, value: &str) {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let value = if https {
        format!("{value}; Secure")
    } else {
        value.to_string()
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Starts the session whose secret this is, for [`balans_store::accounts::SESSION_DAYS`].
pub(super) fn set_session_cookie(response: &mut Response, headers: &HeaderMap, secret: &str) {
    set_cookie(
        response,
        headers,
        &format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            balans_store::accounts::SESSION_DAYS * 24 * 60 * 60
        ),
    );
}

/// Remembers the visitor's language for a year, with or without a session.
pub(super) fn set_lang_cookie(response: &mut Response, headers: &HeaderMap, lang: Lang) {
    set_cookie(
        response,
        headers,
        &format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        ),
    );
}

/// A form posted from another site is refused: the browser names the page's origin.
pub(super) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        // Browsers send Origin with every POST; tools that do not are no browser.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// `POST /login`: checks the password and starts a session.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = visitor_lang(&headers);
    let next = safe_next(Some(&form.next));
    if !same_origin(&headers) {
        return parts::error_page(StatusCode::FORBIDDEN, lang, T::CsrfRefused.get(lang));
    }
    let (email, password) = (form.email.clone(), form.password);
    let result = state
        .db
        .write(move |store| balans_store::accounts::log_in(store, &email, &password))
        .await;
    match result {
        Ok((secret, _user)) => {
            let mut response = Redirect::to(&next).into_response();
            set_session_cookie(&mut response, &headers, &secret);
            response
        }
        Err(LedgerError::Invalid(_)) => (
            StatusCode::UNAUTHORIZED,
            login_page(lang, &next, &form.email, Some(T::LoginFailed.get(lang))),
        )
            .into_response(),
        Err(e) => parts::error_page(StatusCode::SERVICE_UNAVAILABLE, lang, &e.to_string()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state
            .db
            .write(move |store| balans_store::accounts::log_out(store, &secret))
            .await
            .map_err(|e| Refusal::Failed(session.lang, e.to_string()))?;
    }
    let mut response = Redirect::to("/login").into_response();
    set_cookie(
        &mut response,
        &headers,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

/// `POST /language`: remembers the user's language, then back to the page.
pub async fn language(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    let lang = Lang::parse(&form.lang).unwrap_or(session.lang);
    let user = session.user.clone();
    state
        .db
        .write(move |store| balans_store::accounts::set_language(store, &user, lang.code()))
        .await
        .map_err(|e| Refusal::Failed(session.lang, e.to_string()))?;
    // Back to the page the switch was on, when it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    let mut response = Redirect::to(&safe_next(back.as_deref())).into_response();
    set_lang_cookie(&mut response, &headers, lang);
    Ok(response)
}
