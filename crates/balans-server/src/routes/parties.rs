//! Parties: create, read by key, change name and contact fields.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balans_core::Party;
use balans_store::ledger;
use balans_store::snapshot::PartyText;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::Reads;
use axum::response::Response;

use crate::extract::{ApiJson, ApiPath, IdempotencyKey, Staff, Viewer};

/// A party to create: the columns of a parties file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParty {
    /// The user's own key: a customer number, an e-mail address, a slug.
    pub key: String,
    /// `organization` or `person`.
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
}

/// Changes to a party; absent fields stay, `null` or `""` clears a contact field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyChanges {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "clearable")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "clearable")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "clearable")]
    pub note: Option<Option<String>>,
}

/// Present-but-null becomes `Some(None)`, so that null clears and absence keeps.
fn clearable<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Serialize, ToSchema)]
pub struct PartyOut {
    pub key: String,
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
}

impl From<Party> for PartyOut {
    fn from(party: Party) -> PartyOut {
        let f = party.fields;
        PartyOut {
            key: f.key.to_string(),
            kind: f.kind.as_str().to_string(),
            name: f.name,
            email: f.email,
            phone: f.phone,
            note: f.note,
        }
    }
}

/// Creates a party.
#[utoipa::path(post, path = "/api/v1/parties", tag = "parties", request_body = NewParty,
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, body = PartyOut),
        (status = 409, description = "The key exists already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_party(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewParty>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let text = PartyText {
                key: &body.key,
                kind: &body.kind,
                name: &body.name,
                email: body.email.as_deref().unwrap_or(""),
                phone: body.phone.as_deref().unwrap_or(""),
                note: body.note.as_deref().unwrap_or(""),
            };
            Ok((
                StatusCode::CREATED,
                PartyOut::from(ledger::add_party(store, &text)?),
            ))
        })
        .await
}

/// Reads a party by its key.
#[utoipa::path(get, path = "/api/v1/parties/{key}", tag = "parties",
    params(("key" = String, Path, description = "The party's key")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = PartyOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_party(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<PartyOut>> {
    let party = state
        .read_as(viewer, Reads::OneStatement, move |store| {
            ledger::find_party(store, &key)
        })
        .await?;
    Ok(Json(party.into()))
}

/// Changes a party's name and contact fields; its key and kind stay.
#[utoipa::path(patch, path = "/api/v1/parties/{key}", tag = "parties", request_body = PartyChanges,
    params(("key" = String, Path, description = "The party's key")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = PartyOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_party(
    State(state): State<AppState>,
    Staff(caller): Staff,
    idempotency: IdempotencyKey,
    ApiPath(key): ApiPath<String>,
    ApiJson(changes, fingerprint): ApiJson<PartyChanges>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, idempotency, fingerprint, move |store| {
            let party = ledger::update_party(store, &key, |old| {
                let mut new = old.clone();
                if let Some(name) = changes.name {
                    new.name = name;
                }
                for (slot, change) in [
                    (&mut new.email, changes.email),
                    (&mut new.phone, changes.phone),
                    (&mut new.note, changes.note),
                ] {
                    if let Some(value) = change {
                        *slot = value.filter(|v| !v.trim().is_empty());
                    }
                }
                new
            })?;
            Ok((StatusCode::OK, PartyOut::from(party)))
        })
        .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PartySearch {
    /// Part of a key or name, any case.
    pub q: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// At most 1000; 100 by default.
    pub limit: Option<usize>,
}

/// Parties in key order, searched by key or name, a page at a time.
#[utoipa::path(get, path = "/api/v1/parties", tag = "parties", params(PartySearch),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::PartyPageDoc),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_parties(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::extract::ApiQuery(query): crate::extract::ApiQuery<PartySearch>,
) -> ApiResult<Json<ledger::PartyPage>> {
    let page = state
        .read_as(viewer, Reads::OneStatement, move |store| {
            ledger::list_parties(
                store,
                query.q.as_deref(),
                query.cursor.as_deref(),
                query.limit,
            )
        })
        .await?;
    Ok(Json(page))
}

/// A person's memberships, or an organization's members.
#[utoipa::path(get, path = "/api/v1/parties/{key}/memberships", tag = "parties",
    params(("key" = String, Path, description = "The party's key")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = Vec<crate::routes::docs::MembershipDoc>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn party_memberships(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<ledger::MembershipView>>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                ledger::memberships(store, &key)
            })
            .await?,
    ))
}

/// A membership to add or change: the columns of a memberships file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMembership {
    pub person: String,
    pub organization: String,
    /// `employee` or `contact`.
    pub role: String,
    /// `2024-03-15`.
    pub from: String,
    /// Exclusive; absent while the person is a member. Setting it ends the membership.
    pub until: Option<String>,
}

/// Adds a membership, or changes the role or end of the one with the same person,
/// organization and start. Stored gestures follow the change.
#[utoipa::path(post, path = "/api/v1/memberships", tag = "parties", request_body = NewMembership,
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, description = "Added", body = crate::routes::docs::MembershipDoc),
        (status = 200, description = "Changed (or already so)", body = crate::routes::docs::MembershipDoc),
        (status = 409, description = "A stored gesture would count for no single organization", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_membership(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewMembership>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let text = balans_store::snapshot::MembershipText {
                person: &body.person,
                organization: &body.organization,
                role: &body.role,
                from: &body.from,
                until: body.until.as_deref().unwrap_or(""),
            };
            let (view, created) = ledger::set_membership(store, &text)?;
            Ok((
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                view,
            ))
        })
        .await
}
