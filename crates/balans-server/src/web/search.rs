//! The search every page offers (`/` puts the cursor in it): parties by name or
//! key, and gestures by the text of their note or item.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use balans_store::ledger::{self, GestureQuery};
use balans_store::views::{self as read_models, PartyListQuery};
use maud::html;
use serde::Deserialize;

use super::i18n::T;
use super::layout::Section;
use super::pages::{kind_text, read, respond};
use super::parts;
use super::session::{Refusal, Session};
use super::views;
use crate::AppState;

/// Parties and gestures shown on the search page; the parties list has them all.
const FOUND_SHOWN: usize = 20;
const GESTURES_SHOWN: usize = 50;

#[derive(Deserialize, Default)]
pub struct SearchForm {
    q: Option<String>,
}

impl SearchForm {
    /// The text searched for, trimmed.
    pub(super) fn text(&self) -> String {
        self.q.as_deref().unwrap_or_default().trim().to_string()
    }

    /// Whether the text is long enough to search for: two characters.
    pub(super) fn searchable(text: &str) -> bool {
        text.chars().count() >= 2
    }
}

/// `GET /search?q=`: the parties whose name or key holds the text (ignoring
/// case and accents), and the latest gestures whose note or item holds it.
pub async fn search(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(form): Query<SearchForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let q = form.text();
    if !SearchForm::searchable(&q) {
        let content = html! { p.empty { (t(T::SearchTooShort)) } };
        return Ok(respond(
            &session,
            &headers,
            Section::None,
            t(T::SearchResults),
            content,
        ));
    }
    let text = q.clone();
    let found = read(&state, lang, move |store| {
        let parties = read_models::party_list(
            store,
            &PartyListQuery {
                text: Some(text.clone()),
                per_page: FOUND_SHOWN,
                ..PartyListQuery::default()
            },
        )?;
        let gestures = ledger::list_gestures(
            store,
            &GestureQuery {
                text: Some(&text),
                newest_first: true,
                limit: Some(GESTURES_SHOWN),
                ..GestureQuery::default()
            },
        )?;
        Ok((parties, gestures, ledger::kinds(store)?))
    })
    .await?;
    let content = match &found {
        Err(e) => parts::notice("error", &super::forms::messages(lang, e)),
        Ok((parties, gestures, kinds)) => html! {
            section aria-labelledby="found-parties" {
                h2 #found-parties { (t(T::PartiesFound)) " (" (parties.total) ")" }
                @if parties.rows.is_empty() {
                    p.empty { (t(T::NoPartiesMatch)) }
                } @else {
                    ul.found {
                        @for row in &parties.rows {
                            li {
                                (views::party_link_titled(row.party.key.as_str(), &row.party.name))
                                " · " (t(kind_text(row.party.kind)))
                                " · " (views::points(lang, row.credit.net()))
                            }
                        }
                    }
                    p {
                        @if parties.total > parties.rows.len() {
                            a href={ "/parties?q=" (super::encode(&q)) } {
                                (T::MorePartiesFound.get(lang).replace("{count}", &parties.total.to_string()))
                            }
                            " · "
                        }
                        a href={ "/parties.csv?q=" (super::encode(&q)) } download { (t(T::ExportCsv)) }
                    }
                }
            }
            section aria-labelledby="found-gestures" {
                h2 #found-gestures { (t(T::GesturesFound)) }
                @if gestures.gestures.is_empty() {
                    p.empty { (t(T::NoGesturesFound)) }
                } @else {
                    (views::gesture_table(lang, kinds, &gestures.gestures, None))
                    p { a href={ "/search/gestures.csv?q=" (super::encode(&q)) } download { (t(T::ExportCsv)) } }
                }
            }
        },
    };
    let title = format!("{}: {}", t(T::SearchResults), balans_core::Quoted(&q));
    Ok(respond(&session, &headers, Section::None, &title, content))
}
