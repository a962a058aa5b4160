//! Credits that belong to people (`docs/credits.md`): an organization's
//! relationships with their live and dormant credit, and the handovers that
//! move dormant credit to a successor.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use balans_core::{HandoverState, Moment};
use balans_store::LedgerError;
use balans_store::ledger::{self, AlertView, CreditsView, Decider, HandoverView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{AnyUser, ApiJson, ApiPath, ApiQuery, IdempotencyKey, Reads, Staff, Viewer};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// The moment to look at (`2025-02-01`, `2025-02-01T10:00`); now when absent.
    /// Gestures after it are left out.
    pub as_of: Option<String>,
}

/// A moment typed by a person, in the store's time zone.
fn moment(
    store: &mut (dyn balans_store::Store + Send + 'static),
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<Moment>, LedgerError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let zone = balans_store::store::zone_of(store)?;
    zone.parse_typed(text, Moment::now())
        .map(Some)
        .map_err(|e| {
            LedgerError::Invalid(vec![balans_store::field::Error::new(field, e.to_string())])
        })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrganizationCreditsQuery {
    /// The moment to look at (`2025-02-01`, `2025-02-01T10:00`); now when absent.
    /// Gestures after it are left out.
    pub as_of: Option<String>,
    /// The most relationships to list, largest credit volume first; every one
    /// when absent.
    pub limit: Option<usize>,
}

/// Every relationship of an organization (or, with `limit`, the largest):
/// historical, live and dormant credit, what was handed over, the key persons
/// and the person pairs; the largest credit volume first. The same JSON as
/// `balans credits ORG --json --all` (or `--limit N`).
#[utoipa::path(get, path = "/api/v1/credits/{a}", tag = "credits",
    params(("a" = String, Path, description = "The organization's key"), OrganizationCreditsQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = Vec<crate::routes::docs::CreditsDoc>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organization_credits(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(a): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrganizationCreditsQuery>,
) -> ApiResult<Json<Vec<CreditsView>>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                let as_of = moment(store, "as_of", query.as_of.as_deref())?;
                match query.limit {
                    Some(limit) => Ok(ledger::largest_credits(store, &a, as_of, limit)?.0),
                    None => ledger::credits(store, &a, None, as_of),
                }
            })
            .await?,
    ))
}

/// One relationship's credits, seen from `a`. The same JSON as
/// `balans credits A B --json`.
#[utoipa::path(get, path = "/api/v1/credits/{a}/{b}", tag = "credits",
    params(("a" = String, Path, description = "The organization seen from"), ("b" = String, Path, description = "The counterpart"), AsOfQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::CreditsDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn relationship_credits(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((a, b)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<CreditsView>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                let as_of = moment(store, "as_of", query.as_of.as_deref())?;
                let mut views = ledger::credits(store, &a, Some(&b), as_of)?;
                Ok(views.remove(0))
            })
            .await?,
    ))
}

/// Every handover, by id.
#[utoipa::path(get, path = "/api/v1/handovers", tag = "credits",
    security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<crate::routes::docs::HandoverDoc>)))]
pub async fn list_handovers(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Vec<HandoverView>>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, ledger::handovers)
            .await?,
    ))
}

/// A handover to offer: a share of the credits of the dormant pair `a`, `b`,
/// to a successor who takes the place of the one of them who left.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHandover {
    pub a: String,
    pub b: String,
    /// The successor: a person, a member of the organization the one who left
    /// belonged to.
    pub to: String,
    /// A whole percentage, 0 to 100; 100 when absent.
    pub share: Option<u8>,
}

/// Offers a handover; it counts once its successor accepts it.
#[utoipa::path(post, path = "/api/v1/handovers", tag = "credits", request_body = NewHandover,
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, body = crate::routes::docs::HandoverDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A live pair, a successor who is no person or on the wrong side, a share above 100", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn offer_handover(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewHandover>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let view = ledger::offer_handover(
                store,
                &body.a,
                &body.b,
                &body.to,
                body.share,
                Moment::now(),
            )?;
            Ok((StatusCode::CREATED, view))
        })
        .await
}

/// A decision on a handover.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// When it was decided; now when absent.
    pub at: Option<String>,
    /// How an acceptance was given, or why a handover was declined.
    pub note: Option<String>,
}

async fn decide(
    state: AppState,
    caller: balans_core::User,
    key: IdempotencyKey,
    fingerprint: crate::extract::Fingerprint,
    id: i64,
    decision: Decision,
    state_after: HandoverState,
) -> ApiResult<Response> {
    let user = caller.clone();
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let at = moment(store, "at", decision.at.as_deref())?.unwrap_or_else(Moment::now);
            let note = decision.note.as_deref();
            let view = match state_after {
                HandoverState::Accepted => {
                    ledger::accept_handover(store, id, at, note, Decider::User(&user))?
                }
                other => ledger::end_handover(store, id, other, at, note, Decider::User(&user))?,
            };
            Ok((StatusCode::OK, view))
        })
        .await
}

/// Accepts a handover. A successor linked to a user accepts alone; for one who
/// is not a user, a staff user records the acceptance.
#[utoipa::path(post, path = "/api/v1/handovers/{id}/accept", tag = "credits", request_body = Decision,
    params(("id" = i64, Path, description = "The handover's id")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::HandoverDoc),
        (status = 403, description = "The handover is another user's to accept, or recording it takes the staff role", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Decided already, before the offer, or beyond 100% of its pair", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn accept_handover(
    State(state): State<AppState>,
    AnyUser(caller): AnyUser,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body, fingerprint): ApiJson<Decision>,
) -> ApiResult<Response> {
    decide(
        state,
        caller,
        key,
        fingerprint,
        id,
        body,
        HandoverState::Accepted,
    )
    .await
}

/// Declines a handover, as accepting it: by the successor's own user, or
/// recorded by staff.
#[utoipa::path(post, path = "/api/v1/handovers/{id}/decline", tag = "credits", request_body = Decision,
    params(("id" = i64, Path, description = "The handover's id")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::HandoverDoc),
        (status = 403, description = "The handover is another user's to decline", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Decided already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decline_handover(
    State(state): State<AppState>,
    AnyUser(caller): AnyUser,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body, fingerprint): ApiJson<Decision>,
) -> ApiResult<Response> {
    decide(
        state,
        caller,
        key,
        fingerprint,
        id,
        body,
        HandoverState::Declined,
    )
    .await
}

/// Withdraws a handover not yet decided.
#[utoipa::path(post, path = "/api/v1/handovers/{id}/withdraw", tag = "credits", request_body = Decision,
    params(("id" = i64, Path, description = "The handover's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::HandoverDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Decided already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn withdraw_handover(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body, fingerprint): ApiJson<Decision>,
) -> ApiResult<Response> {
    decide(
        state,
        caller,
        key,
        fingerprint,
        id,
        body,
        HandoverState::Withdrawn,
    )
    .await
}

/// The open alerts of credits gone dormant (`docs/credits.md`): a departure
/// whose live credit with a counterpart went to sleep above the threshold, not
/// dismissed and not taken over; the latest departure first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "credits",
    security(("bearer" = ["viewer"])),
    responses((status = 200, body = Vec<crate::routes::docs::AlertDoc>)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    viewer: Viewer,
) -> ApiResult<Json<Vec<AlertView>>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, |store| {
                ledger::open_alerts(store, Moment::now())
            })
            .await?,
    ))
}

/// No fields: a dismissal says nothing more.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Dismissal {}

/// Dismisses an open alert; it is not shown again.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/dismiss", tag = "credits", request_body = Dismissal,
    params(("id" = i64, Path, description = "The alert's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 204, description = "Dismissed"),
        (status = 404, description = "No open alert with this id", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn dismiss_alert(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(_body, fingerprint): ApiJson<Dismissal>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            ledger::dismiss_alert(store, id, Moment::now())?;
            Ok((StatusCode::NO_CONTENT, ()))
        })
        .await
}

/// An organization's credits over all its relationships: historical, live,
/// dormant and handed over, seen from it. The same JSON as
/// `balans credits ORG --totals --json`.
#[utoipa::path(get, path = "/api/v1/organizations/{a}/credits", tag = "credits",
    params(("a" = String, Path, description = "The organization's key"), AsOfQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::OrganizationCreditsDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn organization_totals(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(a): ApiPath<String>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> ApiResult<Json<ledger::OrganizationCredits>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                let as_of = moment(store, "as_of", query.as_of.as_deref())?;
                ledger::organization_credits(store, &a, as_of)
            })
            .await?,
    ))
}
