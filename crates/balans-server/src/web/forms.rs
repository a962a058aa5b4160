//! Recording a gesture from any page, finding parties while typing, and reversing
//! a gesture after a confirmation.

use super::i18n::{Lang, T};
use super::layout::{self, Section};
use super::parts;
use super::record_form::{Outcome, RecordValues, record_form};
use super::session::{Refusal, Session};
use super::views;
use crate::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use balans_core::{Moment, UserRole};
use balans_store::field::Code;
use balans_store::ledger::{self, Given};
use balans_store::{GestureText, LedgerError};
use maud::html;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    values: RecordValues,
}

/// An amount as typed in the user's language, whose marks decide (Dutch: `.`
/// groups thousands and `,` is decimal; English the other way round), written
/// as the ledger reads it: `1.250` in Dutch is `1250.00`.
pub fn amount_text(typed: &str, lang: Lang) -> Result<String, String> {
    if typed.trim().is_empty() {
        return Ok(String::new());
    }
    let mark = match lang {
        Lang::Nl => balans_core::DecimalMark::Comma,
        Lang::En => balans_core::DecimalMark::Point,
    };
    balans_core::Amount::parse_in(typed, mark)
        .map(|a| a.to_string())
        .map_err(|e| e.to_string())
}

/// `POST /gestures`: records the form's gesture.
pub async fn record(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<RecordForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let values = form.values;
    let lang = session.lang;
    let sent = values.clone();
    if !values.due.trim().is_empty() {
        return promise(&state, &session, &headers, values).await;
    }
    let result = match amount_text(&values.amount, lang) {
        Err(e) => Err(LedgerError::Invalid(vec![balans_store::field::Error::new(
            "amount", e,
        )])),
        Ok(amount) => {
            state
                .db
                .write(move |store| {
                    // A form sent twice (a double click, a retry) carries the same
                    // id but a later time: the first one counts.
                    if let Some((stored, _)) = ledger::gesture_view(store, &sent.id)? {
                        let named = ledger::named_keys(
                            store,
                            &GestureText {
                                giver: &sent.giver,
                                receiver: &sent.receiver,
                                kind: &sent.kind,
                                ..GestureText::default()
                            },
                        );
                        let same = named.is_ok_and(|(giver, receiver, kind)| {
                            stored.giver == giver
                                && stored.receiver == receiver
                                && stored.kind == kind
                        }) && stored.note.as_deref().unwrap_or("") == sent.note.trim()
                            && (amount.is_empty() || stored.amount.to_string() == amount);
                        if same {
                            let balance = ledger::pair_balance(
                                store,
                                &stored.giver,
                                &stored.receiver,
                                Some(balans_core::Level::Person),
                            )?;
                            return Ok(Given {
                                id: stored.id,
                                added: false,
                                balance,
                            });
                        }
                    }
                    let now = Moment::now().to_string();
                    ledger::give(
                        store,
                        &GestureText {
                            id: &sent.id,
                            at: if sent.at.trim().is_empty() {
                                &now
                            } else {
                                &sent.at
                            },
                            giver: &sent.giver,
                            receiver: &sent.receiver,
                            kind: &sent.kind,
                            amount: &amount,
                            note: &sent.note,
                            ..GestureText::default()
                        },
                    )
                })
                .await
        }
    };
    let (values, outcome) = match result {
        Ok(given) => {
            // The next gesture is often given by the same person, of the same kind.
            let next = RecordValues {
                giver: values.giver.clone(),
                kind: values.kind.clone(),
                ..RecordValues::fresh()
            };
            (next, Outcome::Saved(Box::new(given)))
        }
        Err(e) => {
            let no_party = match &e {
                LedgerError::Invalid(errors) => errors
                    .iter()
                    .filter(|e| {
                        e.said.as_ref().is_some_and(|s| {
                            matches!(s.code, Code::UnknownParty | Code::PartyDidYouMean)
                        })
                    })
                    .map(|e| e.column)
                    .collect(),
                _ => Vec::new(),
            };
            (
                values,
                Outcome::Failed {
                    errors: field_errors(lang, &e),
                    no_party,
                },
            )
        }
    };
    let form = record_form(&session, &values, Some(&outcome));
    if parts::is_htmx(&headers) {
        return Ok(form.into_response());
    }
    Ok(layout::page(&session, Section::Record, T::RecordGesture.get(lang), form).into_response())
}

/// The gesture form with a due moment: a promise of the gesture, made when
/// the form says (now when it does not), with the form's id as the promise's,
/// so that sending it twice makes it once.
async fn promise(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    values: RecordValues,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let sent = values.clone();
    let result = match amount_text(&values.amount, lang) {
        Err(e) => Err(LedgerError::Invalid(vec![balans_store::field::Error::new(
            "amount", e,
        )])),
        Ok(amount) => {
            state
                .db
                .write(move |store| {
                    let text = ledger::PromiseText {
                        id: &sent.id,
                        promiser: &sent.giver,
                        promisee: &sent.receiver,
                        kind: &sent.kind,
                        amount: &amount,
                        made: &sent.at,
                        due: &sent.due,
                        note: &sent.note,
                        ..ledger::PromiseText::default()
                    };
                    let made = ledger::make_promise(store, &text, Moment::now())?;
                    let zone = balans_store::store::zone_of(store)?;
                    Ok((made.promise, zone))
                })
                .await
        }
    };
    let (values, outcome) = match result {
        Ok((promise, zone)) => {
            let next = RecordValues {
                giver: values.giver.clone(),
                ..RecordValues::fresh()
            };
            let sentence = super::promise_views::sentence(lang, &zone, &promise);
            (next, Outcome::Promised(sentence))
        }
        Err(e) => {
            // The promise's fields are the form's.
            let errors = field_errors(lang, &e)
                .into_iter()
                .map(|(field, message)| {
                    let field = match field.as_str() {
                        "promiser" => "giver".to_string(),
                        "promisee" => "receiver".to_string(),
                        "made" => "at".to_string(),
                        _ => field,
                    };
                    (field, message)
                })
                .collect();
            (
                values,
                Outcome::Failed {
                    errors,
                    no_party: Vec::new(),
                },
            )
        }
    };
    let form = record_form(session, &values, Some(&outcome));
    if parts::is_htmx(headers) {
        return Ok(form.into_response());
    }
    Ok(layout::page(session, Section::Record, T::RecordGesture.get(lang), form).into_response())
}

/// `GET /record`: the gesture form as a page of its own.
pub async fn record_page(
    session: Session,
    Query(typed): Query<RecordValues>,
) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    // What a link brings (the new-party form returning) is filled in; the id
    // is always a fresh one.
    let values = RecordValues {
        id: RecordValues::fresh().id,
        ..typed
    };
    let form = record_form(&session, &values, None);
    Ok(layout::page(
        &session,
        Section::Record,
        T::RecordGesture.get(session.lang),
        form,
    )
    .into_response())
}

/// A ledger error in one line: each field's message after the field's name.
pub fn failed(lang: Lang, e: &LedgerError) -> String {
    field_errors(lang, e)
        .into_iter()
        .map(|(field, message)| {
            if field.is_empty() {
                message
            } else {
                format!("{field}: {message}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A ledger error in one line: the messages alone.
pub fn messages(lang: Lang, e: &LedgerError) -> String {
    field_errors(lang, e)
        .into_iter()
        .map(|(_, message)| message)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A ledger error as messages per form field; the empty field is the form itself.
pub fn field_errors(lang: Lang, error: &LedgerError) -> Vec<(String, String)> {
    match error {
        LedgerError::Invalid(errors) => errors
            .iter()
            .map(|e| (e.column.to_string(), super::i18n::said(lang, e)))
            .collect(),
        LedgerError::Conflict(message) => vec![(String::new(), message.clone())],
        LedgerError::Forbidden { message, said } => {
            vec![(
                String::new(),
                super::i18n::said_or(lang, said.as_ref(), message),
            )]
        }
        LedgerError::NotFound { message, said } => {
            vec![(
                String::new(),
                super::i18n::said_or(lang, said.as_ref(), message),
            )]
        }
        LedgerError::UnknownParty(key) => {
            vec![(String::new(), super::i18n::unknown_party(lang, key))]
        }
        LedgerError::Clash { message, said } => {
            vec![(
                String::new(),
                super::i18n::said_or(lang, Some(said), message),
            )]
        }
        LedgerError::Rejected(rejection) => rejection
            .errors
            .iter()
            .map(|e| {
                (
                    e.column.unwrap_or("").to_string(),
                    super::i18n::said_row(lang, e),
                )
            })
            .collect(),
        LedgerError::Io(_) | LedgerError::Store(_) => {
            vec![(String::new(), T::StoreFailed.get(lang).to_string())]
        }
    }
}

/// `GET /suggest?giver=..`: parties whose key or name holds what was typed, as
/// options of a datalist.
pub async fn suggest(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Refusal> {
    if let Some(typed) = query.get("kind") {
        let typed = typed.trim().to_lowercase();
        let kinds = session.read(&state, ledger::kinds).await?;
        return Ok(html! {
            @for kind in kinds.iter().filter(|k| {
                k.def.code.as_str().contains(&typed)
                    || k.def.label_en.to_lowercase().contains(&typed)
                    || k.def.label_nl.to_lowercase().contains(&typed)
            }) {
                option value=(kind.def.code.as_str()) { (views::label_of(session.lang, &kind.def)) }
            }
        }
        .into_response());
    }
    let typed = ["giver", "receiver", "q", "a", "b"]
        .iter()
        .find_map(|name| query.get(*name))
        .cloned()
        .unwrap_or_default();
    let typed = typed.trim().to_string();
    if typed.is_empty() {
        return Ok(html! {}.into_response());
    }
    let page = session
        .read(&state, move |store| {
            ledger::list_parties(store, Some(&typed), None, Some(12))
        })
        .await?;
    Ok(html! {
        @for party in &page.parties {
            option value=(party.key.as_str()) { (party.name) }
        }
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// `GET /gestures/{id}/reverse`: asks before reversing.
pub async fn confirm_reverse(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let wanted = id.clone();
    let (found, kinds) = session
        .read(&state, move |store| {
            Ok((ledger::gesture_view(store, &wanted)?, ledger::kinds(store)?))
        })
        .await?;
    let back = query
        .get("back")
        .cloned()
        .unwrap_or_else(|| "/".to_string());
    let content = match found {
        None => parts::notice("error", t(T::NoSuchGesture)),
        Some((gesture, reversal)) => html! {
            (views::gesture_table(lang, &kinds, std::slice::from_ref(&gesture), None))
            @if let Some(reversal) = reversal {
                (parts::notice("error", &T::AlreadyReversed.get(lang).replace("{id}", reversal.as_str())))
                p { a href=(back) { (t(T::Back)) } }
            } @else {
                p { (t(T::ReverseExplained)) }
                form method="post" action={ "/gestures/" (super::encode(&id)) "/reverse" } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="back" value=(back);
                    button.danger type="submit" { (t(T::ReverseConfirm)) }
                    " "
                    a href=(back) { (t(T::Cancel)) }
                }
            }
        },
    };
    Ok(layout::page(&session, Section::None, t(T::ReverseTitle), content).into_response())
}

/// `POST /gestures/{id}/reverse`: records the reversal, then back to where the
/// user came from.
pub async fn reverse(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ReverseForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let result = state
        .db
        .write(move |store| ledger::reverse(store, &id, None, None, None))
        .await;
    let back = parts::local_path(&form.back).unwrap_or("/").to_string();
    match result {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e) => {
            let message = messages(lang, &e);
            let content = html! {
                (parts::notice("error", &message))
                p { a href=(back) { (T::Back.get(lang)) } }
            };
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                layout::page(&session, Section::None, T::ReverseTitle.get(lang), content),
            )
                .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The user's language decides which mark is decimal.
    #[test]
    fn an_amount_in_the_form_is_read_in_the_user_s_language() {
        assert_eq!(amount_text("1.250", Lang::Nl), Ok("1250.00".to_string()));
        assert_eq!(amount_text("1.250", Lang::En), Ok("1.25".to_string()));
        assert_eq!(amount_text("1,250", Lang::En), Ok("1250.00".to_string()));
        assert_eq!(amount_text("1,250", Lang::Nl), Ok("1.25".to_string()));
        assert_eq!(amount_text("€ 10,00", Lang::Nl), Ok("10.00".to_string()));
        assert_eq!(amount_text("10,-", Lang::En), Ok("10.00".to_string()));
        assert_eq!(amount_text("  ", Lang::Nl), Ok(String::new()));
        let refused = amount_text("12.50", Lang::Nl).unwrap_err();
        assert!(refused.contains("decimal point"), "{refused}");
    }
}
