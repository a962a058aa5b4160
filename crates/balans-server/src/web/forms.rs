//! Recording a gesture from any page, finding parties while typing, and reversing
//! a gesture after a confirmation.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use balans_core::{GestureId, Moment, UserRole};
use balans_store::ledger::{self, Given};
use balans_store::{GestureText, LedgerError};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{self, Section};
use super::session::{Refusal, Session};
use super::views;
use crate::AppState;

/// What the gesture form holds: a fresh one, or what the user typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RecordValues {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub giver: String,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

impl RecordValues {
    /// An empty form with an id of its own: sending it twice records it once. The
    /// id's nonce is random, not counted: the page shows it before it is used, and
    /// another user must not be able to guess it and take it first.
    pub fn fresh() -> RecordValues {
        RecordValues {
            id: GestureId::generated(Moment::now(), fastrand::u64(..)).to_string(),
            ..RecordValues::default()
        }
    }
}

/// What the form shows under itself after a try.
pub enum Outcome {
    Saved(Box<Given>),
    Failed(Vec<(String, String)>),
}

/// The form's fields, which show their own errors.
const FIELDS: [&str; 5] = ["giver", "receiver", "kind", "amount", "note"];

/// The kinds most used first in the form's shortcuts.
const SHORTCUT_KINDS: [&str; 9] = [
    "attention",
    "thanks",
    "help",
    "recognition",
    "apology",
    "gift",
    "brush_off",
    "broken_promise",
    "pay",
];

/// The gesture form. Enter saves; with htmx only the form is replaced, with the
/// pair's balance below it.
pub fn record_form(session: &Session, values: &RecordValues, outcome: Option<&Outcome>) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let errors: Vec<(String, String)> = match outcome {
        Some(Outcome::Failed(errors)) => errors.clone(),
        _ => Vec::new(),
    };
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, message)| message.clone())
    };
    let input = |name: &'static str, label: T, value: &str, list: Option<&str>, required: bool| {
        let error = error_of(name);
        let described = error.as_ref().map(|_| format!("{name}-error"));
        html! {
            div.field {
                label for=(name) { (t(label)) }
                @if let Some(list) = list {
                    input #(name) name=(name) value=(value) list=(list) autocomplete="off"
                        required[required] aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[described.as_deref()]
                        hx-get="/suggest" hx-trigger="input changed delay:150ms"
                        hx-target={ "#" (list) } hx-swap="innerHTML" hx-sync="this:replace";
                    datalist #(list) {
                        @if name == "kind" {
                            @for kind in balans_core::builtin_catalog() {
                                option value=(kind.code.as_str()) { (views::label_of(lang, &kind)) }
                            }
                        }
                    }
                } @else {
                    input #(name) name=(name) value=(value) autocomplete="off"
                        required[required] aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[described.as_deref()];
                }
                @if let Some(error) = &error {
                    span.field-error id=(format!("{name}-error")) { (error) }
                }
            }
        }
    };
    html! {
        form #record-form .record-form method="post" action="/gestures"
            hx-post="/gestures" hx-target="this" hx-swap="outerHTML" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="id" value=(values.id);
            div.fields {
                (input("giver", T::Giver, &values.giver, Some("giver-options"), true))
                (input("receiver", T::Receiver, &values.receiver, Some("receiver-options"), true))
                (input("kind", T::Kind, &values.kind, Some("kind-options"), true))
                (input("amount", T::AmountOptional, &values.amount, None, false))
                (input("note", T::NoteOptional, &values.note, None, false))
            }
            div.shortcuts role="group" aria-label=(t(T::KindShortcuts)) {
                @for (index, code) in SHORTCUT_KINDS.iter().enumerate() {
                    button type="button" .chip data-kind=(code) data-shortcut=(index + 1) {
                        kbd { (index + 1) } " " (views::kind_label(lang, code))
                    }
                }
            }
            div.actions {
                button.primary type="submit" { (t(T::Save)) " " kbd { "Enter" } }
                span.hint { (t(T::RecordHint)) }
            }
            @let elsewhere: Vec<String> = errors
                .iter()
                .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
                .map(|(f, m)| if f.is_empty() { m.clone() } else { format!("{f}: {m}") })
                .collect();
            @if !elsewhere.is_empty() {
                (layout::notice("error", &elsewhere.join("; ")))
            } @else if !errors.is_empty() {
                (layout::notice("error", t(T::FixFields)))
            }
            @if let Some(Outcome::Saved(given)) = outcome {
                div #record-result .result role="status" {
                    p.saved {
                        @if given.added { (t(T::Saved)) } @else { (t(T::AlreadySaved)) }
                    }
                    (views::pair_summary(lang, &given.balance))
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    values: RecordValues,
}

/// The form's kind field takes a code or a label in either language.
fn kind_code(kinds: &[balans_core::Kind], typed: &str) -> String {
    let typed = typed.trim();
    kinds
        .iter()
        .find(|k| {
            k.def.code.as_str().eq_ignore_ascii_case(typed)
                || k.def.label_en.eq_ignore_ascii_case(typed)
                || k.def.label_nl.eq_ignore_ascii_case(typed)
        })
        .map_or_else(|| typed.to_string(), |k| k.def.code.to_string())
}

/// An amount as typed in either language: a comma is the decimal mark when it is
/// there, a point otherwise.
pub fn amount_text(typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(String::new());
    }
    let mark = if typed.contains(',') {
        balans_core::DecimalMark::Comma
    } else {
        balans_core::DecimalMark::Point
    };
    balans_core::Amount::parse(typed, mark)
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
    let result = match amount_text(&values.amount) {
        Err(e) => Err(LedgerError::Invalid(vec![balans_store::field::Error::new(
            "amount", e,
        )])),
        Ok(amount) => {
            state
                .db
                .write(move |store| {
                    let kind = kind_code(&store.kinds()?, &sent.kind);
                    // A form sent twice (a double click, a retry) carries the same
                    // id but a later time: the first one counts.
                    if let Some((stored, _)) = ledger::gesture_view(store, &sent.id)? {
                        let same = stored.giver == sent.giver.trim()
                            && stored.receiver == sent.receiver.trim()
                            && stored.kind == kind
                            && stored.note.as_deref().unwrap_or("") == sent.note.trim()
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
                            at: &now,
                            giver: &sent.giver,
                            receiver: &sent.receiver,
                            kind: &kind,
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
            // The next gesture is often given by the same person.
            let next = RecordValues {
                giver: values.giver.clone(),
                ..RecordValues::fresh()
            };
            (next, Outcome::Saved(Box::new(given)))
        }
        Err(e) => (values, Outcome::Failed(field_errors(lang, e))),
    };
    let form = record_form(&session, &values, Some(&outcome));
    if layout::is_htmx(&headers) {
        return Ok(form.into_response());
    }
    Ok(layout::page(&session, Section::Record, T::RecordGesture.get(lang), form).into_response())
}

/// `GET /record`: the gesture form as a page of its own.
pub async fn record_page(session: Session) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let form = record_form(&session, &RecordValues::fresh(), None);
    Ok(layout::page(
        &session,
        Section::Record,
        T::RecordGesture.get(session.lang),
        form,
    )
    .into_response())
}

/// A ledger error as messages per form field; the empty field is the form itself.
pub fn field_errors(lang: Lang, error: LedgerError) -> Vec<(String, String)> {
    match error {
        LedgerError::Invalid(errors) => errors
            .into_iter()
            .map(|e| (e.column.to_string(), e.message))
            .collect(),
        LedgerError::NotFound(message) | LedgerError::Conflict(message) => {
            vec![(String::new(), message)]
        }
        LedgerError::Rejected(rejection) => rejection
            .errors
            .into_iter()
            .map(|e| (e.column.unwrap_or("").to_string(), e.message))
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
        None => layout::notice("error", t(T::NoSuchGesture)),
        Some((gesture, reversal)) => html! {
            (views::gesture_table(lang, &kinds, std::slice::from_ref(&gesture), None))
            @if let Some(reversal) = reversal {
                (layout::notice("error", &T::AlreadyReversed.get(lang).replace("{id}", reversal.as_str())))
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
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_string()
    };
    match result {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e) => {
            let message = field_errors(lang, e)
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; ");
            let content = html! {
                (layout::notice("error", &message))
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
