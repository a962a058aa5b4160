//! Who is looking at a page: the session behind the cookie, the language, and the
//! token that proves a form was sent from one of our own pages (CSRF).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use balans_core::{User, UserRole};
use sha2::Digest;

use super::i18n::Lang;
use crate::AppState;

/// The cookie that holds a session's secret.
pub const SESSION_COOKIE: &str = "balans_session";
/// The cookie that holds the language chosen before logging in.
pub const LANG_COOKIE: &str = "balans_lang";

/// The value of one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
}

/// The language of a visitor without a session: the one chosen on the login page,
/// else the browser's first preference of Dutch and English, else English.
pub fn visitor_lang(headers: &HeaderMap) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            let mut tags: Vec<(f32, &str)> = list
                .split(',')
                .map(|part| {
                    let mut pieces = part.trim().split(";q=");
                    let tag = pieces.next().unwrap_or("").trim();
                    let q = pieces.next().and_then(|q| q.parse().ok()).unwrap_or(1.0);
                    (q, tag)
                })
                .collect();
            tags.sort_by(|a, b| b.0.total_cmp(&a.0));
            tags.into_iter()
                .find_map(|(_, tag)| Lang::parse(tag.split('-').next().unwrap_or(tag).trim()))
        })
        .unwrap_or(Lang::En)
}

/// A logged-in user on a page.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub lang: Lang,
    /// The form token of this session: derived from its secret, which only the
    /// browser holding the cookie knows.
    pub csrf: String,
}

impl Session {
    pub fn can_write(&self) -> bool {
        self.user.role.allows(UserRole::Staff)
    }

    pub fn is_admin(&self) -> bool {
        self.user.role.allows(UserRole::Admin)
    }

    /// Refuses a form that does not carry this session's token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Refusal> {
        if constant_time_eq(sent.trim().as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(self.lang, Why::Csrf))
        }
    }

    /// Runs a read for this user's page; a failure becomes an error page in
    /// their language.
    pub async fn read<T: Send + 'static>(
        &self,
        state: &AppState,
        work: impl FnOnce(
            &mut (dyn balans_store::Store + Send + 'static),
        ) -> Result<T, balans_store::LedgerError>
        + Send
        + 'static,
    ) -> Result<T, Refusal> {
        state
            .db
            .read(work)
            .await
            .map_err(|e| Refusal::Failed(self.lang, e.to_string()))
    }

    /// Refuses a user who may not write.
    pub fn require(&self, role: UserRole) -> Result<(), Refusal> {
        if self.user.role.allows(role) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(self.lang, Why::Role))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The form token of a session secret.
pub fn csrf_of(secret: &str) -> String {
    let digest = sha2::Sha256::digest(format!("balans-csrf:{secret}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a page refused.
#[derive(Clone, Copy, Debug)]
pub enum Why {
    Csrf,
    Role,
}

/// A page request that cannot go on.
#[derive(Debug)]
pub enum Refusal {
    /// No valid session: to the login page, and back here afterwards.
    LogIn(String),
    Forbidden(Lang, Why),
    /// The store failed; the message is safe to show.
    Failed(Lang, String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::LogIn(next) => {
                let next = if next.starts_with('/') && !next.starts_with("//") {
                    next
                } else {
                    "/".to_string()
                };
                Redirect::to(&format!("/login?next={}", super::encode(&next))).into_response()
            }
            Refusal::Forbidden(lang, why) => {
                let text = match why {
                    Why::Csrf => super::i18n::T::CsrfRefused,
                    Why::Role => super::i18n::T::RoleRefused,
                };
                super::parts::error_page(StatusCode::FORBIDDEN, lang, text.get(lang))
            }
            Refusal::Failed(lang, message) => {
                super::parts::error_page(StatusCode::SERVICE_UNAVAILABLE, lang, &message)
            }
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Refusal::LogIn(next));
        };
        let fallback = visitor_lang(&parts.headers);
        let lookup = secret.clone();
        let user = state
            .db
            .read_single(move |store| balans_store::accounts::session_user(store, &lookup))
            .await
            .map_err(|e| Refusal::Failed(fallback, e.to_string()))?;
        let Some(user) = user else {
            return Err(Refusal::LogIn(next));
        };
        let lang = user
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(fallback);
        Ok(Session {
            user,
            lang,
            csrf: csrf_of(&secret),
        })
    }
}
