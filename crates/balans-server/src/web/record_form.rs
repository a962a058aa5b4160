//! The gesture form: what it holds, and its markup with the errors and the
//! outcome of a try. The page shell shows it; `forms` answers it.

use balans_core::{GestureId, Moment};
use balans_store::ledger::Given;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::T;
use super::parts;
use super::session::Session;
use super::views;

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
    /// When, as typed; now when empty.
    #[serde(default)]
    pub at: String,
    /// When it falls due, as typed: given, the form makes a promise of the
    /// gesture instead (`docs/promises.md`), made when `at` says.
    #[serde(default)]
    pub due: String,
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
    /// A promise made (the form had a due moment), in plain words.
    Promised(String),
    /// Each field's message, and the fields that name no party yet: those offer
    /// to make it.
    Failed {
        errors: Vec<(String, String)>,
        no_party: Vec<&'static str>,
    },
}

/// The form's fields, which show their own errors.
const FIELDS: [&str; 7] = ["giver", "receiver", "kind", "amount", "note", "at", "due"];

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

/// The new-party form for `name`, returning to this form with what was typed.
fn new_party_href(values: &RecordValues, name: &str) -> String {
    let back = format!(
        "/record?giver={}&receiver={}&kind={}&amount={}&note={}&at={}",
        super::encode(&values.giver),
        super::encode(&values.receiver),
        super::encode(&values.kind),
        super::encode(&values.amount),
        super::encode(&values.note),
        super::encode(&values.at),
    );
    format!(
        "/parties/new?name={}&back={}",
        super::encode(name.trim()),
        super::encode(&back)
    )
}

/// How long the form offers to undo a gesture it saved.
const UNDO_SECONDS: u32 = 30;

/// The gesture form. Enter saves; with htmx only the form is replaced, with the
/// pair's balance below it.
pub fn record_form(session: &Session, values: &RecordValues, outcome: Option<&Outcome>) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let (errors, no_party): (Vec<(String, String)>, Vec<&str>) = match outcome {
        Some(Outcome::Failed { errors, no_party }) => (errors.clone(), no_party.clone()),
        _ => (Vec::new(), Vec::new()),
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
                    // A phone shows its number keys for an amount.
                    input #(name) name=(name) value=(value) autocomplete="off"
                        inputmode=[(name == "amount").then_some("decimal")]
                        required[required] aria-invalid=[error.as_ref().map(|_| "true")]
                        aria-describedby=[described.as_deref()];
                }
                @if let Some(error) = &error {
                    span.field-error id=(format!("{name}-error")) { (error) }
                    // A party that is not there yet can be made at once, and
                    // the form comes back with what was typed.
                    @if !value.trim().is_empty() && session.can_write() && no_party.contains(&name) {
                        " " a.new-party href=(new_party_href(values, value)) {
                            (T::NewPartyNamed.get(lang).replace("{name}", value.trim()))
                        }
                    }
                }
            }
        }
    };
    html! {
        div #record-area {
        form #record-form .record-form method="post" action="/gestures"
            hx-post="/gestures" hx-target="#record-area" hx-swap="outerHTML" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="id" value=(values.id);
            div.fields {
                (input("giver", T::Giver, &values.giver, Some("giver-options"), true))
                (input("receiver", T::Receiver, &values.receiver, Some("receiver-options"), true))
                (input("kind", T::Kind, &values.kind, Some("kind-options"), true))
                (input("amount", T::AmountOptional, &values.amount, None, false))
                (input("note", T::NoteOptional, &values.note, None, false))
                (input("at", T::WhenOptional, &values.at, None, false))
                (input("due", T::DueOptional, &values.due, None, false))
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
                (parts::notice("error", &elsewhere.join("; ")))
            } @else if !errors.is_empty() {
                (parts::notice("error", t(T::FixFields)))
            }
            @if let Some(Outcome::Promised(sentence)) = outcome {
                div #record-result .result role="status" {
                    p.saved { (t(T::PromiseMade)) }
                    p { (sentence) " · " a href="/promises" { (t(T::AllPromises)) } }
                }
            }
            @if let Some(Outcome::Saved(given)) = outcome {
                div #record-result .result role="status" {
                    p.saved {
                        @if given.added { (t(T::Saved)) } @else { (t(T::AlreadySaved)) }
                    }
                    (views::pair_summary(lang, &given.balance, None))
                }
            }
        }
        // Outside the form, which it cannot be inside of: undoing a gesture just
        // saved reverses it, as the ledger requires. Offered for 30 seconds.
        @if let Some(Outcome::Saved(given)) = outcome {
            @if given.added {
                form #undo .undo method="post" action=(format!("/gestures/{}/reverse", given.id))
                    data-undo-seconds=(UNDO_SECONDS) {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="back" value="/record";
                    button type="submit" { (t(T::Undo)) }
                }
            }
        }
        }
    }
}
