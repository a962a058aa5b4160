//! The catalog of kinds, and (for admins) users and API tokens.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use balans_core::{Amount, DecimalMark, Dimension, KindCode, KindDef, UserRole};
use balans_store::store::setting;
use balans_store::{LedgerError, ledger};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{amount_text, failed};
use super::i18n::{Lang, T};
use super::layout::{self, Section};
use super::parts;
use super::parts::role_text;
use super::session::{Refusal, Session};
use super::views::number;
use crate::AppState;

/// `GET /kinds`.
pub async fn kinds(State(state): State<AppState>, session: Session) -> Result<Response, Refusal> {
    kinds_page(&state, &session, None, StatusCode::OK).await
}

async fn kinds_page(
    state: &AppState,
    session: &Session,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let kinds = session.read(state, ledger::kinds).await?;
    let admin = session.is_admin();
    let content = html! {
        @if let Some((kind, text)) = &message { (parts::notice(kind, text)) }
        p.explained { (t(T::CatalogExplained)) }
        div.scroll {
            table.catalog {
                thead { tr {
                    th scope="col" { (t(T::Code)) }
                    th scope="col" { (t(T::Dimension)) }
                    th scope="col" { (t(T::DefaultValue)) }
                    th scope="col" { "Nederlands" }
                    th scope="col" { "English" }
                    @if admin { th scope="col" { span.visually-hidden { (t(T::Actions)) } } }
                } }
                tbody {
                    @for kind in &kinds {
                        @let code = kind.def.code.as_str();
                        @let form_id = format!("kind-{code}");
                        tr {
                            th scope="row" { code { (code) } }
                            td { (t(dimension_text(kind.def.dimension))) }
                            @if admin {
                                td { input form=(form_id) name="default" value=(kind.def.default.map(|d| number(lang, d)).unwrap_or_default())
                                    aria-label={ (t(T::DefaultValue)) " " (code) } size="8"; }
                                td { input form=(form_id) name="label_nl" value=(kind.def.label_nl) aria-label={ "Nederlands " (code) }; }
                                td { input form=(form_id) name="label_en" value=(kind.def.label_en) aria-label={ "English " (code) }; }
                                td {
                                    form id=(form_id) method="post" action={ "/kinds/" (code) } {
                                        input type="hidden" name="csrf" value=(session.csrf);
                                        button type="submit" { (t(T::Save)) span.visually-hidden { " " (code) } }
                                    }
                                }
                            } @else {
                                td.num { (kind.def.default.map(|d| number(lang, d)).unwrap_or_else(|| t(T::AmountRequired).to_string())) }
                                td { (kind.def.label_nl) }
                                td { (kind.def.label_en) }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            h2 { (t(T::AddKind)) }
            form.stacked method="post" action="/kinds" {
                input type="hidden" name="csrf" value=(session.csrf);
                div.field { label for="new-code" { (t(T::Code)) } input #new-code name="code" required; }
                div.field {
                    label for="new-dimension" { (t(T::Dimension)) }
                    select #new-dimension name="dimension" {
                        option value="credit" { (t(T::Credit)) }
                        option value="money" { (t(T::Money)) }
                    }
                }
                div.field { label for="new-default" { (t(T::DefaultValue)) } input #new-default name="default"; }
                div.field { label for="new-nl" { "Nederlands" } input #new-nl name="label_nl" required; }
                div.field { label for="new-en" { "English" } input #new-en name="label_en" required; }
                button.primary type="submit" { (t(T::AddKind)) }
            }
        }
    };
    Ok((
        status,
        layout::page(session, Section::Catalog, t(T::Catalog), content),
    )
        .into_response())
}

fn dimension_text(dimension: Dimension) -> T {
    match dimension {
        Dimension::Credit => T::Credit,
        Dimension::Money => T::Money,
    }
}

#[derive(Deserialize)]
pub struct KindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    dimension: String,
    #[serde(default)]
    default: String,
    #[serde(default)]
    label_nl: String,
    #[serde(default)]
    label_en: String,
}

fn parse_default(typed: &str, lang: Lang) -> Result<Option<Amount>, LedgerError> {
    let invalid =
        |m: String| LedgerError::Invalid(vec![balans_store::field::Error::new("default", m)]);
    let text = amount_text(typed, lang).map_err(invalid)?;
    if text.is_empty() {
        return Ok(None);
    }
    Amount::parse(&text, DecimalMark::Point)
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

/// `POST /kinds`: adds a kind (admins).
pub async fn add_kind(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<KindForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let lang = session.lang;
    let result = async {
        let code = KindCode::parse(&form.code).map_err(|e| {
            LedgerError::Invalid(vec![balans_store::field::Error::new("code", e.to_string())])
        })?;
        let dimension = match form.dimension.as_str() {
            "money" => Dimension::Money,
            _ => Dimension::Credit,
        };
        let def = KindDef {
            code,
            dimension,
            default: parse_default(&form.default, lang)?,
            label_nl: form.label_nl.trim().to_string(),
            label_en: form.label_en.trim().to_string(),
        };
        state
            .db
            .write(move |store| ledger::add_kind(store, def))
            .await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/kinds").into_response()),
        Err(e) => {
            kinds_page(
                &state,
                &session,
                Some(("error", failed(lang, &e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /kinds/{code}`: changes a kind's default and labels (admins).
pub async fn set_kind(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
    Form(form): Form<KindForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let lang = session.lang;
    let result = async {
        let code = KindCode::parse(&code).map_err(|e| {
            LedgerError::Invalid(vec![balans_store::field::Error::new("code", e.to_string())])
        })?;
        let default = parse_default(&form.default, lang)?;
        let (nl, en) = (
            form.label_nl.trim().to_string(),
            form.label_en.trim().to_string(),
        );
        state
            .db
            .write(move |store| ledger::set_kind(store, &code, Some(default), Some(nl), Some(en)))
            .await
    }
    .await;
    match result {
        Ok(kind) => {
            let message = T::KindSaved
                .get(lang)
                .replace("{code}", kind.def.code.as_str());
            kinds_page(&state, &session, Some(("ok", message)), StatusCode::OK).await
        }
        Err(e) => {
            kinds_page(
                &state,
                &session,
                Some(("error", failed(lang, &e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn role_select(lang: Lang, id: &str, name: &str, selected: UserRole, label: &str) -> Markup {
    html! {
        select id=(id) name=(name) aria-label=(label) {
            @for role in [UserRole::Viewer, UserRole::Staff, UserRole::Admin] {
                option value=(role.as_str()) selected[role == selected] { (role_text(role).get(lang)) }
            }
        }
    }
}

/// `GET /admin/users`.
pub async fn users(State(state): State<AppState>, session: Session) -> Result<Response, Refusal> {
    session.require(UserRole::Admin)?;
    users_page(&state, &session, None, StatusCode::OK).await
}

async fn users_page(
    state: &AppState,
    session: &Session,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let (users, links, settings) = session
        .read(state, |store| {
            let users = store.users()?;
            let mut links = std::collections::BTreeMap::new();
            for (user, party) in store.user_links()? {
                if let Some(party) = store.party_by_id(party)? {
                    links.insert(user, party.fields.key.to_string());
                }
            }
            let settings = (
                store.setting(setting::KEY_PERSON)?,
                store.setting(setting::DORMANT_ALERT)?,
            );
            Ok((users, links, settings))
        })
        .await?;
    let content = html! {
        @if let Some((kind, text)) = &message { (parts::notice(kind, text)) }
        table.users {
            thead { tr {
                th scope="col" { (t(T::Email)) }
                th scope="col" { (t(T::Role)) }
                th scope="col" { (t(T::CanLogIn)) }
                th scope="col" { (t(T::LinkedPerson)) }
                th scope="col" { (t(T::NewPassword)) }
                th scope="col" { (t(T::RemoveUser)) }
            } }
            tbody {
                @for user in &users {
                    @let form_id = format!("role-{}", user.id.0);
                    tr {
                        td { (user.email.as_str()) }
                        td {
                            form.inline id=(form_id) method="post" action="/admin/users/role" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="email" value=(user.email.as_str());
                                (role_select(lang, &format!("role-of-{}", user.id.0), "role", user.role, &format!("{} {}", t(T::Role), user.email.as_str())))
                                button type="submit" { (t(T::Save)) span.visually-hidden { " " (user.email.as_str()) } }
                            }
                        }
                        td { (if user.password_hash.is_some() { t(T::Yes) } else { t(T::No) }) }
                        td {
                            form.inline method="post" action="/admin/users/link" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="email" value=(user.email.as_str());
                                @let field = format!("party-of-{}", user.id.0);
                                label.visually-hidden for=(field) { (t(T::LinkedPerson)) " " (user.email.as_str()) }
                                input id=(field) type="text" name="party" size="12" value=(links.get(&user.id).map(String::as_str).unwrap_or(""));
                                button type="submit" { (t(T::Save)) span.visually-hidden { " " (t(T::LinkedPerson)) " " (user.email.as_str()) } }
                            }
                        }
                        td {
                            form.inline method="post" action="/admin/users/password" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="email" value=(user.email.as_str());
                                @let field = format!("password-of-{}", user.id.0);
                                label.visually-hidden for=(field) { (t(T::NewPassword)) " " (user.email.as_str()) }
                                input id=(field) type="password" name="password" autocomplete="new-password" minlength="10" required;
                                button type="submit" { (t(T::SetPassword)) span.visually-hidden { " " (user.email.as_str()) } }
                            }
                        }
                        td {
                            form.inline method="post" action="/admin/users/remove" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="email" value=(user.email.as_str());
                                button.danger type="submit" { (t(T::RemoveUser)) span.visually-hidden { " " (user.email.as_str()) } }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(T::AddUser)) }
        form.stacked method="post" action="/admin/users" {
            input type="hidden" name="csrf" value=(session.csrf);
            div.field { label for="user-email" { (t(T::Email)) } input #user-email type="email" name="email" required; }
            div.field { label for="user-role" { (t(T::Role)) } (role_select(lang, "user-role", "role", UserRole::Staff, t(T::Role))) }
            div.field {
                label for="user-password" { (t(T::PasswordOptional)) }
                input #user-password type="password" name="password" autocomplete="new-password" minlength="10";
            }
            button.primary type="submit" { (t(T::AddUser)) }
        }
        h2 #credit-settings { (t(T::CreditSettings)) }
        form.stacked method="post" action="/admin/settings" {
            input type="hidden" name="csrf" value=(session.csrf);
            div.field {
                label for="key-person" { (t(T::KeyPersonSetting)) }
                input #key-person type="number" name="key_person_percent" min="0" max="100" step="1"
                    value=(settings.0.as_deref().unwrap_or(""))
                    placeholder=(ledger::KEY_PERSON_PERCENT.to_string());
            }
            div.field {
                label for="dormant-alert" { (t(T::DormantAlertSetting)) }
                input #dormant-alert type="text" inputmode="decimal" name="dormant_alert_points"
                    value=(settings.1.as_deref().unwrap_or("")) placeholder="10";
            }
            button.primary type="submit" { (t(T::Save)) }
        }
    };
    Ok((
        status,
        layout::page(session, Section::Users, t(T::Users), content),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/users`: adds a user.
pub async fn add_user(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<UserForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let result = match parse_role(&form.role) {
        Err(e) => Err(e),
        Ok(role) => {
            let (email, password) = (form.email.clone(), form.password.clone());
            state
                .db
                .write(move |store| {
                    let password = Some(password.as_str()).filter(|p| !p.is_empty());
                    balans_store::accounts::add_user(store, &email, role, password)
                })
                .await
        }
    };
    user_changed(&state, &session, result, T::UserAdded).await
}

fn parse_role(text: &str) -> Result<UserRole, LedgerError> {
    text.parse::<UserRole>()
        .map_err(|e| LedgerError::Invalid(vec![balans_store::field::Error::new("role", e)]))
}

/// The users page after a change: what was done, or what went wrong.
async fn user_changed(
    state: &AppState,
    session: &Session,
    result: Result<balans_core::User, LedgerError>,
    done: T,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    match result {
        Ok(user) => {
            let message = done.get(lang).replace("{email}", user.email.as_str());
            users_page(state, session, Some(("ok", message)), StatusCode::OK).await
        }
        Err(e) => {
            users_page(
                state,
                session,
                Some(("error", failed(lang, &e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /admin/users/role`: changes a user's role.
pub async fn set_role(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<UserForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let result = match parse_role(&form.role) {
        Err(e) => Err(e),
        Ok(role) => {
            let email = form.email.clone();
            state
                .db
                .write(move |store| balans_store::accounts::set_role(store, &email, role))
                .await
        }
    };
    user_changed(&state, &session, result, T::RoleChanged).await
}

/// `POST /admin/users/password`: gives a user a new password and ends their
/// sessions. (Taking a password away is left to `balans user passwd`.)
pub async fn set_password(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<UserForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let (email, password) = (form.email.clone(), form.password.clone());
    let result = if password.is_empty() {
        Err(balans_store::accounts::password_too_short())
    } else {
        state
            .db
            .write(move |store| {
                balans_store::accounts::set_password(store, &email, Some(password.as_str()))
            })
            .await
    };
    user_changed(&state, &session, result, T::PasswordChanged).await
}

/// `POST /admin/users/remove`: removes a user with their tokens and sessions.
pub async fn remove_user(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<UserForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let email = form.email.clone();
    let result = state
        .db
        .write(move |store| balans_store::accounts::remove_user(store, &email))
        .await;
    user_changed(&state, &session, result, T::UserRemoved).await
}

/// `GET /admin/tokens`.
pub async fn tokens(State(state): State<AppState>, session: Session) -> Result<Response, Refusal> {
    session.require(UserRole::Admin)?;
    tokens_page(&state, &session, None, StatusCode::OK).await
}

/// What the tokens page says on top: a message, or a new token's secret, once.
enum TokenNews {
    Message(&'static str, String),
    Secret(String),
}

async fn tokens_page(
    state: &AppState,
    session: &Session,
    news: Option<TokenNews>,
    status: StatusCode,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let (tokens, users) = session
        .read(state, |store| Ok((store.tokens()?, store.users()?)))
        .await?;
    let content = html! {
        @match &news {
            Some(TokenNews::Message(kind, text)) => { (parts::notice(kind, text)) }
            Some(TokenNews::Secret(secret)) => {
                div.notice.ok role="status" {
                    p { (t(T::TokenShownOnce)) }
                    p { code #new-token { (secret) } }
                }
            }
            None => {}
        }
        @if tokens.is_empty() {
            p.empty { (t(T::NoTokens)) }
        } @else {
            table.tokens {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (t(T::Name)) }
                    th scope="col" { (t(T::User)) }
                    th scope="col" { (t(T::Created)) }
                    th scope="col" { (t(T::Status)) }
                } }
                tbody {
                    @for token in &tokens {
                        tr {
                            td { (token.id) }
                            td { (token.name) }
                            td { (token.user.as_str()) }
                            td { (token.created.to_string().get(..10).unwrap_or_default()) }
                            td {
                                @if token.revoked.is_some() {
                                    (t(T::Revoked))
                                } @else {
                                    form.inline method="post" action={ "/admin/tokens/" (token.id) "/revoke" } {
                                        input type="hidden" name="csrf" value=(session.csrf);
                                        button.danger type="submit" { (t(T::Revoke)) span.visually-hidden { " " (token.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(T::CreateToken)) }
        form.stacked method="post" action="/admin/tokens" {
            input type="hidden" name="csrf" value=(session.csrf);
            div.field {
                label for="token-user" { (t(T::User)) }
                select #token-user name="user" {
                    @for user in &users { option value=(user.email.as_str()) { (user.email.as_str()) } }
                }
            }
            div.field { label for="token-name" { (t(T::Name)) } input #token-name name="name" required; }
            button.primary type="submit" { (t(T::CreateToken)) }
        }
    };
    Ok((
        status,
        layout::page(session, Section::Tokens, t(T::Tokens), content),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    name: String,
}

/// `POST /admin/tokens`: creates a token and shows its secret once.
pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TokenForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let lang = session.lang;
    let (user, name) = (form.user.clone(), form.name.clone());
    let result = state
        .db
        .write(move |store| balans_store::accounts::create_token(store, &user, &name))
        .await;
    match result {
        Ok((_, secret)) => {
            tokens_page(
                &state,
                &session,
                Some(TokenNews::Secret(secret)),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            tokens_page(
                &state,
                &session,
                Some(TokenNews::Message("error", failed(lang, &e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let lang = session.lang;
    let result = state
        .db
        .write(move |store| balans_store::accounts::revoke_token(store, id))
        .await;
    let news = match result {
        Ok(()) => TokenNews::Message("ok", T::TokenRevoked.get(lang).to_string()),
        Err(e) => TokenNews::Message("error", failed(lang, &e)),
    };
    tokens_page(&state, &session, Some(news), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    party: String,
}

/// `POST /admin/users/link`: links a user to the person party they are (an
/// empty party unlinks them).
pub async fn link_user(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<LinkForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let (email, party) = (form.email.clone(), form.party.trim().to_string());
    let result = state
        .db
        .write(move |store| {
            let party = Some(party.as_str()).filter(|p| !p.is_empty());
            balans_store::accounts::link_user(store, &email, party).map(|(user, _)| user)
        })
        .await;
    user_changed(&state, &session, result, T::UserLinked).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key_person_percent: String,
    #[serde(default)]
    dormant_alert_points: String,
}

/// `POST /admin/settings`: the thresholds of credits, each checked; an empty
/// field leaves its setting as it was. Nothing is changed when one is wrong.
pub async fn set_settings(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SettingsForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Admin)?;
    let lang = session.lang;
    let values = [
        (
            setting::KEY_PERSON,
            form.key_person_percent.trim().to_string(),
        ),
        (
            setting::DORMANT_ALERT,
            form.dormant_alert_points.trim().to_string(),
        ),
    ];
    let result = state
        .db
        .write(move |store| {
            balans_store::store::in_transaction(store, |store| {
                for (name, value) in &values {
                    if !value.is_empty() {
                        ledger::set_setting(store, name, value)?;
                    }
                }
                Ok(())
            })
        })
        .await;
    match result {
        Ok(()) => {
            users_page(
                &state,
                &session,
                Some(("ok", T::SettingsSaved.get(lang).to_string())),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            users_page(
                &state,
                &session,
                Some(("error", failed(lang, &e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
