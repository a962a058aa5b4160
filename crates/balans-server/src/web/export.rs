//! Lists of gestures as CSV, as the page shows them filtered: a party's gestures
//! and a relationship's. The files are gestures files that `balans import` reads
//! back (comma-separated, decimal point, times with their offset).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use balans_csv::{FileKind, Writer};
use balans_store::ledger::{self, GestureQuery, GestureView};
use balans_store::views as read_models;

use super::pages::{GestureFilterForm, LevelForm, read};
use super::parts;
use super::session::{Refusal, Session};
use crate::AppState;

/// Gestures written as a gestures file.
fn gestures_file(gestures: &[GestureView]) -> Result<Vec<u8>, balans_csv::WriteError> {
    let mut w = Writer::new(Vec::new(), FileKind::Gestures)?;
    for g in gestures {
        let amount = g.amount.to_string();
        let reverses = g
            .reverses
            .as_ref()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default();
        w.row([
            g.id.as_str(),
            g.at.as_str(),
            g.giver.as_str(),
            g.receiver.as_str(),
            g.kind.as_str(),
            amount.as_str(),
            g.note.as_deref().unwrap_or(""),
            g.item.as_deref().unwrap_or(""),
            g.giver_org.as_deref().unwrap_or(""),
            g.receiver_org.as_deref().unwrap_or(""),
            reverses.as_str(),
        ])?;
    }
    w.finish().map_err(balans_csv::WriteError::from)
}

fn attachment(name: &str, gestures: &[GestureView], lang: super::i18n::Lang) -> Response {
    match gestures_file(gestures) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => parts::error_page(StatusCode::INTERNAL_SERVER_ERROR, lang, &e.to_string()),
    }
}

/// Gestures read a page of this many at a time.
const EXPORT_PAGE: usize = 1_000;

/// `GET /parties/{key}/gestures.csv`: the party's gestures as its page filters
/// them, newest first, every page.
pub async fn party_gestures(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
    Query(filter): Query<GestureFilterForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let found = read(&state, lang, move |store| {
        let (kind, from, until) = filter.narrowing();
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = ledger::list_gestures(
                store,
                &GestureQuery {
                    party: Some(&key),
                    kind: kind.as_deref(),
                    from: from.as_deref(),
                    until: until.as_deref(),
                    cursor: cursor.as_deref(),
                    limit: Some(EXPORT_PAGE),
                    newest_first: true,
                    attributed: true,
                    ..GestureQuery::default()
                },
            )?;
            all.extend(page.gestures);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(all)
    })
    .await?;
    Ok(match found {
        Ok(gestures) => attachment("gestures.csv", &gestures, lang),
        Err(e) => parts::error_page(StatusCode::UNPROCESSABLE_ENTITY, lang, &e.to_string()),
    })
}

/// `GET /relations/{a}/{b}/gestures.csv`: the gestures that count for the
/// relationship at the level its page shows, newest first.
pub async fn relation_gestures(
    State(state): State<AppState>,
    session: Session,
    Path((a, b)): Path<(String, String)>,
    Query(form): Query<LevelForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let level = form.level();
    let found = read(&state, lang, move |store| {
        read_models::relationship(store, &a, &b, level, i64::MAX as usize)
    })
    .await?;
    Ok(match found {
        Ok(mut relationship) => {
            relationship.gestures.reverse();
            attachment("gestures.csv", &relationship.gestures, lang)
        }
        Err(e) => parts::error_page(StatusCode::UNPROCESSABLE_ENTITY, lang, &e.to_string()),
    })
}
