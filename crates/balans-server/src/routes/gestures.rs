//! Gestures: record one, a batch all together, or the reversal of one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balans_core::Moment;
use balans_store::GestureText;
use balans_store::ledger::{self, BatchGiven, Given};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Reads;
use axum::response::Response;

use crate::extract::{ApiJson, ApiPath, IdempotencyKey, Staff};

/// An amount: a decimal string (`"12.50"`, exact) or a JSON number.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum AmountInput {
    Text(String),
    Number(serde_json::Number),
}

impl AmountInput {
    fn text(&self) -> String {
        match self {
            AmountInput::Text(text) => text.clone(),
            AmountInput::Number(number) => number.to_string(),
        }
    }
}

/// A gesture to record: the columns of a gestures file.
#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewGesture {
    /// The gesture's id and idempotency key: recording the same id again with the
    /// same content changes nothing. Generated when absent.
    pub id: Option<String>,
    /// When: `2024-03-15`, `2024-03-15T10:23:00+01:00`; now when absent.
    pub at: Option<String>,
    /// The giving party: its key, or its name where no other party has it
    /// (ignoring case and accents); a name close to others is refused with them.
    pub giver: String,
    /// The receiving party, as the giver.
    pub receiver: String,
    /// A kind from the catalog: its code, or its Dutch or English label.
    pub kind: String,
    /// A decimal string (`"12.50"`, `"1.250,50"`, `"€ 10,-"`, exact) or a number;
    /// the kind's default when absent. One mark before exactly three digits
    /// (`"1.250"`) is refused as ambiguous, and a payment is never negative.
    #[schema(value_type = Option<String>, example = "12.50")]
    pub amount: Option<AmountInput>,
    pub note: Option<String>,
    pub item: Option<String>,
    /// The organization the giver gave for, where the giver belongs to several.
    pub giver_org: Option<String>,
    pub receiver_org: Option<String>,
}

/// A batch of gestures, recorded together or not at all.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// At most 10,000.
    pub gestures: Vec<NewGesture>,
}

/// What recording a gesture did.
#[derive(Serialize, ToSchema)]
pub struct GivenOut {
    pub id: String,
    /// False when the same gesture was recorded before (a retry).
    pub added: bool,
    /// The pair's person-level balance afterwards.
    #[schema(value_type = crate::routes::docs::PairDoc)]
    pub balance: ledger::PairView,
}

impl From<Given> for GivenOut {
    fn from(given: Given) -> GivenOut {
        GivenOut {
            id: given.id.to_string(),
            added: given.added,
            balance: given.balance,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    pub added: u64,
    pub already_present: u64,
    /// The ids in the order given, generated where none was.
    pub ids: Vec<String>,
}

impl From<BatchGiven> for BatchOut {
    fn from(batch: BatchGiven) -> BatchOut {
        BatchOut {
            added: batch.added,
            already_present: batch.already_present,
            ids: batch.ids.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The owned text of a gesture, with `at` filled in.
struct Owned {
    at: String,
    amount: String,
    gesture: NewGesture,
}

impl Owned {
    fn new(gesture: NewGesture, now: &str) -> Owned {
        Owned {
            at: gesture.at.clone().unwrap_or_else(|| now.to_string()),
            amount: gesture
                .amount
                .as_ref()
                .map(AmountInput::text)
                .unwrap_or_default(),
            gesture,
        }
    }

    fn text(&self) -> GestureText<'_> {
        let g = &self.gesture;
        GestureText {
            id: g.id.as_deref().unwrap_or(""),
            at: &self.at,
            giver: &g.giver,
            receiver: &g.receiver,
            kind: &g.kind,
            amount: &self.amount,
            note: g.note.as_deref().unwrap_or(""),
            item: g.item.as_deref().unwrap_or(""),
            giver_org: g.giver_org.as_deref().unwrap_or(""),
            receiver_org: g.receiver_org.as_deref().unwrap_or(""),
            reverses: "",
        }
    }
}

/// Now, for a gesture that names no time: an exact moment, so the zone is UTC.
fn now() -> String {
    Moment::now().display_in(&balans_core::Zone::utc())
}

/// Records one gesture. 201 when it is new, 200 when the same gesture (same id,
/// same content) was recorded before.
#[utoipa::path(post, path = "/api/v1/gestures", tag = "gestures", request_body = NewGesture,
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, description = "Recorded", body = GivenOut),
        (status = 200, description = "Recorded before: nothing changed", body = GivenOut),
        (status = 422, description = "A field is wrong, or the id is taken by another gesture", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_gesture(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewGesture>,
) -> ApiResult<Response> {
    let owned = Owned::new(body, &now());
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let given = ledger::give(store, &owned.text())?;
            Ok((
                if given.added {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                GivenOut::from(given),
            ))
        })
        .await
}

/// Records up to 10,000 gestures together: when any is wrong, none is recorded
/// and each wrong one is named by its position (`/gestures/3/amount`).
#[utoipa::path(post, path = "/api/v1/gestures/batch", tag = "gestures", request_body = NewBatch,
    security(("bearer" = ["staff"])),
    responses(
        (status = 200, body = BatchOut),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_batch(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiJson(body, fingerprint): ApiJson<NewBatch>,
) -> ApiResult<Response> {
    if body.gestures.len() > ledger::BATCH_GESTURES_MAX {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/gestures",
            format!(
                "{} gestures; a batch holds at most {}",
                body.gestures.len(),
                ledger::BATCH_GESTURES_MAX
            ),
        ));
    }
    // Built before the writer gets it: the writer's thread is the one to spare.
    let now = now();
    let owned: Vec<Owned> = body
        .gestures
        .into_iter()
        .map(|g| Owned::new(g, &now))
        .collect();
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let texts: Vec<GestureText<'_>> = owned.iter().map(Owned::text).collect();
            Ok((
                StatusCode::OK,
                BatchOut::from(ledger::give_batch(store, &texts)?),
            ))
        })
        .await
}

/// The reversal to record.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewReversal {
    /// The reversal's own id, for a safe retry.
    pub id: Option<String>,
    /// When the reversal is recorded; now when absent.
    pub at: Option<String>,
    pub note: Option<String>,
}

/// Records the reversal of a gesture: the same parties and kind, the opposite amount.
#[utoipa::path(post, path = "/api/v1/gestures/{id}/reverse", tag = "gestures", request_body = NewReversal,
    params(("id" = String, Path, description = "The id of the gesture to reverse")),
    security(("bearer" = ["staff"])),
    responses(
        (status = 201, body = GivenOut),
        (status = 200, description = "The same reversal was recorded before", body = GivenOut),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already reversed, or itself a reversal", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reverse_gesture(
    State(state): State<AppState>,
    Staff(caller): Staff,
    key: IdempotencyKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(body, fingerprint): ApiJson<NewReversal>,
) -> ApiResult<Response> {
    state
        .write_json(&caller, key, fingerprint, move |store| {
            let given = ledger::reverse(
                store,
                &id,
                body.at.as_deref(),
                body.note.as_deref(),
                body.id.as_deref(),
            )?;
            Ok((
                if given.added {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                GivenOut::from(given),
            ))
        })
        .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GestureSearch {
    /// Gestures this party gave or received.
    pub party: Option<String>,
    /// ...with this party on the other side.
    pub counterpart: Option<String>,
    pub kind: Option<String>,
    pub item: Option<String>,
    /// Text a note or item holds, ignoring case: a search.
    pub text: Option<String>,
    /// From this moment on: `2024-01-01`.
    pub from: Option<String>,
    /// Before this moment.
    pub until: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// At most 1000; 100 by default.
    pub limit: Option<usize>,
}

/// Gestures in the order they were recorded, filtered, a page at a time.
#[utoipa::path(get, path = "/api/v1/gestures", tag = "gestures", params(GestureSearch),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::GesturePageDoc),
        (status = 404, description = "A named party does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_gestures(
    State(state): State<AppState>,
    viewer: crate::extract::Viewer,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<GestureSearch>,
) -> ApiResult<Json<ledger::GesturePage>> {
    let page = state
        .read_as(viewer, Reads::AtOneMoment, move |store| {
            let query = ledger::GestureQuery {
                party: q.party.as_deref(),
                counterpart: q.counterpart.as_deref(),
                kind: q.kind.as_deref(),
                item: q.item.as_deref(),
                text: q.text.as_deref(),
                from: q.from.as_deref(),
                until: q.until.as_deref(),
                cursor: q.cursor.as_deref(),
                limit: q.limit,
                newest_first: false,
                attributed: false,
            };
            ledger::list_gestures(store, &query)
        })
        .await?;
    Ok(Json(page))
}
