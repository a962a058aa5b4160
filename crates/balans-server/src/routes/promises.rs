//! Promises (`docs/promises.md`): made, listed, kept, broken, moved, released,
//! and the sweep that breaks what fell due. Every write sweeps first (the
//! writer does, before each group of writes).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use balans_core::Moment;
use balans_store::LedgerError;
use balans_store::ledger::{self, PromiseQuery, PromiseText, PromiseView, Swept};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, Fingerprint, IdempotencyKey, Reads, Staff, Viewer,
};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PromisesQuery {
    /// Only promises made by or to this party.
    pub party: Option<String>,
    /// Only open or renegotiated promises.
    pub open: Option<bool>,
    /// Only pending promises whose due moment has passed.
    pub overdue: Option<bool>,
    /// Only pending promises due within this long: `12h`, `7d`, `2w`.
    pub due_within: Option<String>,
    /// From the `next` link of the previous page.
    pub cursor: Option<String>,
    /// At most 1000; 100 by default.
    pub limit: Option<usize>,
}

/// Promises, the soonest due first, a page at a time: the same JSON as
/// `balans promise list --json`, and a `Link` header with `rel="next"` to the
/// next page when there is one.
#[utoipa::path(get, path = "/api/v1/promises", tag = "promises", params(PromisesQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = Vec<crate::routes::docs::PromiseDoc>, headers(
            ("Link" = String, description = "`<…&cursor=…>; rel=\"next\"`: the next page; absent on the last"),
        )),
        (status = 404, description = "No such party", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit out of range, a cursor this server did not give, an unreadable duration", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_promises(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    ApiQuery(query): ApiQuery<PromisesQuery>,
) -> ApiResult<Response> {
    let page = state
        .read_as(viewer, Reads::AtOneMoment, move |store| {
            let due_within_ms = query
                .due_within
                .as_deref()
                .map(ledger::parse_duration_ms)
                .transpose()
                .map_err(|e| refuse("due_within", e))?;
            ledger::promise_page(
                store,
                &PromiseQuery {
                    party: query.party.as_deref(),
                    pending: query.open.unwrap_or(false),
                    overdue: query.overdue.unwrap_or(false),
                    due_within_ms,
                    now: Some(Moment::now()),
                    ..PromiseQuery::default()
                },
                query.cursor.as_deref(),
                query.limit,
            )
        })
        .await?;
    let mut response = Json(page.promises).into_response();
    if let Some(cursor) = page.next_cursor {
        let link = format!(
            "</api/v1/promises?{}>; rel=\"next\"",
            next_query(raw.as_deref().unwrap_or(""), &cursor)
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The query of the next page: this one's, its cursor replaced.
fn next_query(raw: &str, cursor: &str) -> String {
    raw.split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .map(str::to_string)
        .chain([format!("cursor={}", crate::web::encode(cursor))])
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeptRatesQuery {
    /// The party whose kept rates these are.
    #[param(required = true)]
    pub party: Option<String>,
    /// The other side: the rates of the pair.
    pub with: Option<String>,
    /// Only promises kept or broken at or after this moment (`2025-01-01`,
    /// in the store's time zone); from the first when absent.
    pub since: Option<String>,
    /// Only promises kept or broken before this moment; up to now when
    /// absent.
    pub until: Option<String>,
}

/// The kept rates of a party or a pair (`docs/promises.md`, "Kept rate"): how
/// the party keeps its promises (to `with`, or to anyone) and how promises to
/// it are kept: kept / (kept + broken), a promise kept in part counting by
/// its share; `rate` is null when none was kept or broken.
#[utoipa::path(get, path = "/api/v1/kept-rates", tag = "promises", params(KeptRatesQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::KeptRatesDoc),
        (status = 404, description = "No such party", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No party, a party with itself, an unreadable moment in `since` or `until`, a period that ends before it starts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn kept_rates(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(query): ApiQuery<KeptRatesQuery>,
) -> ApiResult<Json<ledger::KeptRatesView>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                // Asked for here, not by the query's shape: who asks is
                // known first.
                let party = query.party.as_deref().ok_or_else(|| {
                    refuse(
                        "party",
                        "name the party whose kept rates to show".to_string(),
                    )
                })?;
                ledger::kept_rates_in(
                    store,
                    party,
                    query.with.as_deref(),
                    (query.since.as_deref(), query.until.as_deref()),
                    Moment::now(),
                )
            })
            .await?,
    ))
}

/// One promise, with every due moment it had.
#[utoipa::path(get, path = "/api/v1/promises/{id}", tag = "promises",
    params(("id" = String, Path, description = "The promise's id")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_promise(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PromiseView>> {
    Ok(Json(
        state
            .read_as(viewer, Reads::AtOneMoment, move |store| {
                ledger::promise(store, &id)
            })
            .await?,
    ))
}

/// A promise to make. Moments as `2025-03-14` or `2025-03-14T17:00`, in the
/// store's time zone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromise {
    /// The promise's id; made by Balans when absent. The same id and content
    /// again is a retry.
    pub id: Option<String>,
    pub promiser: String,
    pub promisee: String,
    /// The kind of gesture promised.
    pub kind: String,
    /// The amount promised; the kind's default when absent.
    pub amount: Option<String>,
    /// When it was made; now when absent.
    pub made: Option<String>,
    /// When it falls due.
    pub due: String,
    pub note: Option<String>,
    pub promiser_org: Option<String>,
    pub promisee_org: Option<String>,
}

/// Makes a promise: 201 with the promise, or 200 when the same promise was
/// made already (a retry).
#[utoipa::path(post, path = "/api/v1/promises", tag = "promises", request_body = NewPromise,
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, body = crate::routes::docs::PromiseDoc),
        (status = 200, description = "The same promise was made already", body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A due moment before it was made, an unknown kind, a promise to oneself, a negative amount, an id taken by another promise", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn make_promise(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewPromise>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let text = PromiseText {
                id: body.id.as_deref().unwrap_or(""),
                promiser: &body.promiser,
                promisee: &body.promisee,
                kind: &body.kind,
                amount: body.amount.as_deref().unwrap_or(""),
                made: body.made.as_deref().unwrap_or(""),
                due: &body.due,
                note: body.note.as_deref().unwrap_or(""),
                promiser_org: body.promiser_org.as_deref().unwrap_or(""),
                promisee_org: body.promisee_org.as_deref().unwrap_or(""),
            };
            let made = ledger::make_promise(store, &text, Moment::now())?;
            let status = if made.added {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, made.promise))
        })
        .await
}

/// Keeping a promise.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Keep {
    /// What keeping it gives, at most the promised amount; the promised amount
    /// when absent.
    pub amount: Option<String>,
}

/// Keeps a promise now: records the promised gesture, in part when for less.
#[utoipa::path(post, path = "/api/v1/promises/{id}/keep", tag = "promises", request_body = Keep,
    params(("id" = String, Path, description = "The promise's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Resolved already (the answer names how, and the gesture), or more than promised", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn keep_promise(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<Keep>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let view = ledger::keep_promise(store, &id, body.amount.as_deref(), Moment::now())?;
            Ok((StatusCode::OK, view))
        })
        .await
}

/// Breaking a promise by hand.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Break {
    pub note: Option<String>,
}

/// Breaks a promise now, by hand: records a broken promise.
#[utoipa::path(post, path = "/api/v1/promises/{id}/break", tag = "promises", request_body = Break,
    params(("id" = String, Path, description = "The promise's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Resolved already", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn break_promise(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<Break>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let view = ledger::break_promise(store, &id, body.note.as_deref(), Moment::now())?;
            Ok((StatusCode::OK, view))
        })
        .await
}

/// A new due moment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub due: String,
}

/// Renegotiates a pending promise: a new due moment, to come.
#[utoipa::path(post, path = "/api/v1/promises/{id}/move", tag = "promises", request_body = Move,
    params(("id" = String, Path, description = "The promise's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Resolved already, or a due moment that has passed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn move_promise(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<Move>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let view = ledger::move_promise(store, &id, &body.due, Moment::now())?;
            Ok((StatusCode::OK, view))
        })
        .await
}

/// Why a promise is released.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub reason: String,
}

/// Releases a pending promise by agreement, with a reason: no take.
#[utoipa::path(post, path = "/api/v1/promises/{id}/release", tag = "promises", request_body = Release,
    params(("id" = String, Path, description = "The promise's id")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = crate::routes::docs::PromiseDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Resolved already, or no reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn release_promise(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<Release>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let view = ledger::release_promise(store, &id, &body.reason, Moment::now())?;
            Ok((StatusCode::OK, view))
        })
        .await
}

/// Resolves what has fallen due now: the promises broken. The server sweeps
/// by itself before every write and every minute; this is for a client that
/// wants it done at once.
#[utoipa::path(post, path = "/api/v1/sweep", tag = "promises",
    security(("bearer" = ["staff"])),
    responses((status = 200, body = crate::routes::docs::SweptDoc)))]
pub async fn sweep(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    fingerprint: Fingerprint,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let swept: Swept = ledger::sweep(store, Moment::now())?;
            Ok((StatusCode::OK, swept))
        })
        .await
}

fn refuse(field: &'static str, message: String) -> LedgerError {
    LedgerError::Invalid(vec![balans_store::field::Error::new(field, message)])
}
