//! Parties and memberships made and changed in the browser: a new party (also
//! from the gesture form, when a name is not found), a party's name and contact
//! fields, and a membership started or ended with dates.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use balans_core::{PartyKind, UserRole};
use balans_store::LedgerError;
use balans_store::ledger;
use balans_store::snapshot::{MembershipText, PartyText};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{failed, field_errors, messages};
use super::i18n::{Lang, T};
use super::layout::{self, Section};
use super::parts;
use super::session::{Refusal, Session};
use crate::AppState;

/// What the party form holds, as sent or as it starts.
#[derive(Deserialize, Default, Clone)]
pub struct PartyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    note: String,
    /// Where to go after saving: a page of this site.
    #[serde(default)]
    back: String,
}

/// One labelled input with its error under it.
fn field(
    lang: Lang,
    name: &'static str,
    label: T,
    value: &str,
    errors: &[(String, String)],
    kind: &'static str,
) -> Markup {
    let error = errors.iter().find(|(f, _)| f == name).map(|(_, m)| m);
    let described = error.map(|_| format!("party-{name}-error"));
    html! {
        div.field {
            label for={ "party-" (name) } { (label.get(lang)) }
            input id={ "party-" (name) } type=(kind) name=(name) value=(value)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()];
            @if let Some(error) = error {
                span.field-error id={ "party-" (name) "-error" } { (error) }
            }
        }
    }
}

/// Errors that belong to no field of the form, shown above it.
fn general(errors: &[(String, String)], fields: &[&str]) -> Vec<String> {
    errors
        .iter()
        .filter(|(f, _)| !fields.contains(&f.as_str()))
        .map(|(f, m)| {
            if f.is_empty() {
                m.clone()
            } else {
                format!("{f}: {m}")
            }
        })
        .collect()
}

const PARTY_FIELDS: &[&str] = &["key", "kind", "name", "email", "phone", "note"];

fn party_form(
    session: &Session,
    form: &PartyForm,
    errors: &[(String, String)],
    edit: bool,
) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let action = if edit {
        format!("/parties/{}/edit", super::encode(&form.key))
    } else {
        "/parties/new".to_string()
    };
    html! {
        @for message in general(errors, PARTY_FIELDS) { (parts::notice("error", &message)) }
        form.party-form method="post" action=(action) {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="back" value=(form.back);
            (field(lang, "name", T::Name, &form.name, errors, "text"))
            @if edit {
                input type="hidden" name="key" value=(form.key);
                input type="hidden" name="kind" value=(form.kind);
                p.subtitle { (t(T::Key)) ": " code { (form.key) } }
            } @else {
                div.field {
                    label for="party-kind" { (t(T::PartyKind)) }
                    select #party-kind name="kind" {
                        option value="person" selected[form.kind != "organization"] { (t(T::Person)) }
                        option value="organization" selected[form.kind == "organization"] { (t(T::Organization)) }
                    }
                }
                (field(lang, "key", T::KeyOptional, &form.key, errors, "text"))
            }
            (field(lang, "email", T::Email, &form.email, errors, "email"))
            (field(lang, "phone", T::Phone, &form.phone, errors, "tel"))
            (field(lang, "note", T::NoteOptional, &form.note, errors, "text"))
            button type="submit" { (t(T::Save)) }
        }
    }
}

fn form_page(session: &Session, title: &str, content: Markup, status: StatusCode) -> Response {
    (
        status,
        layout::page(session, Section::Parties, title, content),
    )
        .into_response()
}

/// `GET /parties/new?name=&kind=&back=`: the form for a new party, with what
/// the link brings filled in (the gesture form sends the name it did not find).
pub async fn new_party(
    session: Session,
    Query(form): Query<PartyForm>,
) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let title = T::NewParty.get(session.lang);
    Ok(form_page(
        &session,
        title,
        party_form(&session, &form, &[], false),
        StatusCode::OK,
    ))
}

/// `POST /parties/new`: adds the party (its key made from its name when none is
/// given) and opens its page, or the page it came from.
pub async fn create_party(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PartyForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let sent = form.clone();
    let result = state
        .db
        .write(move |store| {
            let key = match sent.key.trim() {
                "" => ledger::free_key(store, &sent.name)?,
                key => key.to_string(),
            };
            ledger::add_party(
                store,
                &PartyText {
                    key: &key,
                    kind: &sent.kind,
                    name: &sent.name,
                    email: &sent.email,
                    phone: &sent.phone,
                    note: &sent.note,
                },
            )
        })
        .await;
    match result {
        Ok(party) => {
            let key = party.fields.key.to_string();
            let to = match parts::local_path(&form.back) {
                Some(back) => back.to_string(),
                None => format!("/parties/{}", super::encode(&key)),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let errors = match e {
                LedgerError::Clash { message, said } => {
                    vec![(
                        "key".into(),
                        super::i18n::said_or(session.lang, Some(&said), &message),
                    )]
                }
                e => field_errors(session.lang, &e),
            };
            let title = T::NewParty.get(session.lang);
            Ok(form_page(
                &session,
                title,
                party_form(&session, &form, &errors, false),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

/// `GET /parties/{key}/edit`: the party's name and contact fields to change.
pub async fn edit_party(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let found = state
        .db
        .read(move |store| ledger::find_party(store, &key))
        .await;
    let party = match found {
        Ok(party) => party,
        Err(e) => {
            return Ok(parts::error_page(
                StatusCode::NOT_FOUND,
                lang,
                &messages(lang, &e),
            ));
        }
    };
    let f = &party.fields;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let form = PartyForm {
        key: f.key.to_string(),
        kind: f.kind.as_str().to_string(),
        name: f.name.clone(),
        email: opt(&f.email),
        phone: opt(&f.phone),
        note: opt(&f.note),
        ..PartyForm::default()
    };
    let title = T::EditParty.get(lang).replace("{name}", &f.name);
    Ok(form_page(
        &session,
        &title,
        party_form(&session, &form, &[], true),
        StatusCode::OK,
    ))
}

/// `POST /parties/{key}/edit`: saves the name and contact fields; the key and
/// the kind stay.
pub async fn update_party(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
    Form(form): Form<PartyForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let sent = form.clone();
    let wanted = key.clone();
    let result = state
        .db
        .write(move |store| {
            ledger::update_party(store, &wanted, |existing| {
                let opt = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
                balans_core::PartyFields {
                    name: sent.name.clone(),
                    email: opt(&sent.email),
                    phone: opt(&sent.phone),
                    note: opt(&sent.note),
                    ..existing.clone()
                }
            })
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/parties/{}", super::encode(&key))).into_response()),
        Err(e) => {
            let errors = field_errors(session.lang, &e);
            let form = PartyForm { key, ..form };
            let title = T::EditParty.get(session.lang).replace("{name}", &form.name);
            Ok(form_page(
                &session,
                &title,
                party_form(&session, &form, &errors, true),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

/// What the membership form sends from a party's page.
#[derive(Deserialize, Default, Clone)]
pub struct MembershipForm {
    #[serde(default)]
    csrf: String,
    /// The other side: an organization for a person's page, a person for an
    /// organization's; a name or a key.
    #[serde(default)]
    other: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

/// The form that starts a membership, on a party's page.
pub fn membership_form(session: &Session, party_key: &str, kind: PartyKind) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let other_label = match kind {
        PartyKind::Person => T::MembershipOrganization,
        PartyKind::Organization => T::MembershipPerson,
    };
    html! {
        details.membership-form {
            summary { (t(T::AddMembership)) }
            form method="post" action={ "/parties/" (super::encode(party_key)) "/memberships" } {
                input type="hidden" name="csrf" value=(session.csrf);
                div.field {
                    label for="membership-other" { (t(other_label)) }
                    input #membership-other name="other" required autocomplete="off";
                }
                div.field {
                    label for="membership-role" { (t(T::Role)) }
                    select #membership-role name="role" {
                        option value="employee" { (t(T::Employee)) }
                        option value="contact" { (t(T::Contact)) }
                    }
                }
                div.field {
                    label for="membership-from" { (t(T::From)) }
                    input #membership-from type="date" name="from" required;
                }
                div.field {
                    label for="membership-until" { (t(T::UntilOptional)) }
                    input #membership-until type="date" name="until";
                }
                button type="submit" { (t(T::Save)) }
            }
        }
    }
}

/// The form that ends one membership, in its row.
pub fn end_membership_form(
    session: &Session,
    m: &ledger::MembershipView,
    page_key: &str,
) -> Markup {
    let lang = session.lang;
    let other = if m.person == page_key {
        &m.organization
    } else {
        &m.person
    };
    let from = m.from.get(..10).unwrap_or(&m.from);
    let role = match m.role {
        balans_core::Role::Employee => "employee",
        balans_core::Role::Contact => "contact",
    };
    let id = format!(
        "end-{}-{}-{from}",
        super::encode(&m.person),
        super::encode(&m.organization)
    );
    html! {
        form.inline method="post" action={ "/parties/" (super::encode(page_key)) "/memberships" } {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="other" value=(other);
            input type="hidden" name="role" value=(role);
            input type="hidden" name="from" value=(from);
            label.visually-hidden for=(id) { (T::EndOn.get(lang)) }
            input id=(id) type="date" name="until" required;
            button type="submit" { (T::EndMembership.get(lang)) }
        }
    }
}

/// `POST /parties/{key}/memberships`: starts a membership of the party, or
/// changes the end of the one with the same sides and start. The party's page
/// shows the result; a refusal names the field.
pub async fn set_membership(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
    Form(form): Form<MembershipForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let page = key.clone();
    let result = state
        .db
        .write(move |store| {
            let party = ledger::find_party(store, &page)?;
            let other = ledger::party_key_named(store, "other", &form.other)?;
            let (person, organization) = match party.fields.kind {
                PartyKind::Person => (party.fields.key.to_string(), other),
                PartyKind::Organization => (other, party.fields.key.to_string()),
            };
            ledger::set_membership(
                store,
                &MembershipText {
                    person: &person,
                    organization: &organization,
                    role: &form.role,
                    from: &form.from,
                    until: &form.until,
                },
            )
        })
        .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/parties/{}#memberships-heading",
            super::encode(&key)
        ))
        .into_response()),
        Err(e) => {
            let message = failed(lang, &e);
            let content = html! {
                (parts::notice("error", &message))
                p { a href={ "/parties/" (super::encode(&key)) } { (T::Back.get(lang)) } }
            };
            Ok(form_page(
                &session,
                T::AddMembership.get(lang),
                content,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
