//! The promises page (`docs/promises.md`): past due, due today, due this
//! week, broken this week, each pending one kept in one click by staff.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use balans_core::Moment;
use balans_store::ledger;
use maud::html;
use serde::Deserialize;

use super::i18n::T;
use super::layout::Section;
use super::pages::{read, respond};
use super::parts;
use super::promise_views::{AgendaPage, Due, agenda, list};
use super::session::{Refusal, Session};
use crate::AppState;

/// Which page of `/promises`: a later page of the pending promises
/// (`cursor`) or of the broken ones (`broken`); the first of both when
/// neither is given.
#[derive(Deserialize, Default)]
pub struct AgendaQuery {
    cursor: Option<String>,
    broken: Option<String>,
}

/// `GET /promises`: overdue, due today, due this week, broken this week, a
/// page of each with a link to the next.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<AgendaQuery>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let found = read(&state, lang, move |store| {
        let page = AgendaPage::of(query.cursor.as_deref(), query.broken.as_deref());
        agenda(store, Moment::now(), page)
    })
    .await?;
    let content = match &found {
        Err(e) => parts::notice("error", &super::forms::messages(lang, e)),
        Ok(agenda) => html! {
            p { (t(T::PromisesExplained)) }
            @if agenda.shows_due {
                @if !agenda.overdue.is_empty() {
                    (list(&session, &agenda.zone, "promises-overdue", T::PromisesOverdue, &agenda.overdue, agenda.continues() == Some(Due::Overdue), "/promises"))
                }
                (list(&session, &agenda.zone, "promises-today", T::PromisesDueToday, &agenda.today, agenda.continues() == Some(Due::Today), "/promises"))
                (list(&session, &agenda.zone, "promises-week", T::PromisesDueThisWeek, &agenda.week, agenda.continues() == Some(Due::Week), "/promises"))
                @if let Some(next) = &agenda.more_due {
                    p.more { a href={ "/promises?cursor=" (super::encode(next)) } rel="next" { (t(T::LaterPromises)) } }
                }
            }
            @if agenda.shows_broken {
                (list(&session, &agenda.zone, "promises-broken", T::PromisesBrokenThisWeek, &agenda.broken, agenda.more_broken.is_some(), "/promises"))
                @if let Some(next) = &agenda.more_broken {
                    p.more { a href={ "/promises?broken=" (super::encode(next)) } rel="next" { (t(T::MoreBrokenPromises)) } }
                }
            }
        },
    };
    Ok(respond(
        &session,
        &headers,
        Section::Promises,
        t(T::Promises),
        content,
    ))
}

#[derive(Deserialize)]
pub struct KeepForm {
    csrf: String,
    back: Option<String>,
}

/// `POST /promises/{id}/keep`: staff keep a promise now, in full; then back
/// to the page it was kept from.
pub async fn keep(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<KeepForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(balans_core::UserRole::Staff)?;
    let lang = session.lang;
    let outcome = state
        .db
        .write(move |store| ledger::keep_promise(store, &id, None, Moment::now()))
        .await;
    match outcome {
        Ok(_) => {
            let back = form
                .back
                .as_deref()
                .and_then(parts::local_path)
                .unwrap_or("/promises")
                .to_string();
            Ok(axum::response::Redirect::to(&back).into_response())
        }
        Err(e) => Ok(super::pages::refused(lang, &e)),
    }
}
