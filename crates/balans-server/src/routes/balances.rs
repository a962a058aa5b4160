//! Balances: one pair, every counterpart of a party, and the out-of-balance report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balans_core::{Amount, Dimension, Evenness, Level};
use balans_store::ledger::{self, Counterparts, PairView, Report, ReportOptions};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Reads;
use crate::extract::{ApiPath, ApiQuery, Viewer};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LevelQuery {
    /// `person` or `organization`; by default organization between organizations,
    /// person otherwise.
    pub level: Option<String>,
}

fn level(text: Option<&str>) -> ApiResult<Option<Level>> {
    match text {
        None => Ok(None),
        Some("person") => Ok(Some(Level::Person)),
        Some("organization") => Ok(Some(Level::Organization)),
        Some(other) => Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/level",
            format!("'{other}': use person or organization"),
        )),
    }
}

/// The balance of the pair `a`, `b` in money and credit, seen from `a`; the same
/// JSON as `balans balance A B --json`.
#[utoipa::path(get, path = "/api/v1/balances/{a}/{b}", tag = "balances",
    params(("a" = String, Path, description = "The key of the party seen from"), ("b" = String, Path, description = "The counterpart's key"), LevelQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::PairDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pair_balance(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath((a, b)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<LevelQuery>,
) -> ApiResult<Json<PairView>> {
    let level = level(query.level.as_deref());
    Ok(Json(
        state
            .read_with(viewer, Reads::AtOneMoment, level, move |store, level| {
                ledger::pair_balance(store, &a, &b, level)
            })
            .await?,
    ))
}

/// Every counterpart of a party, largest credit imbalance first.
#[utoipa::path(get, path = "/api/v1/balances/{a}", tag = "balances",
    params(("a" = String, Path, description = "The party's key"), LevelQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::CounterpartsDoc),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn counterparts(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(a): ApiPath<String>,
    ApiQuery(query): ApiQuery<LevelQuery>,
) -> ApiResult<Json<Counterparts>> {
    let level = level(query.level.as_deref());
    Ok(Json(
        state
            .read_with(viewer, Reads::AtOneMoment, level, move |store, level| {
                ledger::counterparts(store, &a, level)
            })
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `organization` (default) or `person`.
    pub level: Option<String>,
    /// `credit` (default) or `money`.
    pub dimension: Option<String>,
    /// Leave out pairs with less volume, both ways together (default `5`).
    pub min_volume: Option<String>,
    /// Leave out pairs at least this even, 0 to 1 (default `0.6`).
    pub evenness_below: Option<String>,
    /// The most pairs per list (default 10, at most 1000).
    pub limit: Option<usize>,
    /// Our own organization's key; the store's setting when absent.
    pub us: Option<String>,
    /// How far back to look: `30d`, `90d` (default), `12m`, `all`, or `Nd`.
    pub window: Option<String>,
}

/// The relationships most out of balance, in both directions.
#[utoipa::path(get, path = "/api/v1/report", tag = "balances", params(ReportQuery),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = crate::routes::docs::ReportDoc),
        (status = 404, description = "`us` names no party", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    let defaults = ReportOptions::default();
    let invalid = |pointer: &str, detail: String| {
        ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, pointer, detail)
    };
    let options = (|| -> ApiResult<ReportOptions> {
        Ok(ReportOptions {
            level: level(query.level.as_deref())?.unwrap_or(defaults.level),
            dimension: match query.dimension.as_deref() {
                None => defaults.dimension,
                Some(text) => text
                    .parse::<Dimension>()
                    .map_err(|e| invalid("/dimension", e))?,
            },
            min_volume: match query.min_volume.as_deref() {
                None => defaults.min_volume,
                Some(text) => {
                    Amount::parse_typed(text).map_err(|e| invalid("/min_volume", e.to_string()))?
                }
            },
            evenness_below: match query.evenness_below.as_deref() {
                None => defaults.evenness_below,
                Some(text) => Evenness::parse(text).ok_or_else(|| {
                    invalid(
                        "/evenness_below",
                        format!("'{text}' is not a number from 0 to 1 with at most four decimals"),
                    )
                })?,
            },
            limit: match query.limit {
                None => defaults.limit,
                Some(limit) if (1..=1000).contains(&limit) => limit,
                Some(limit) => return Err(invalid("/limit", format!("{limit}: use 1 to 1000"))),
            },
            us: query.us,
            window: match query.window.as_deref() {
                None => defaults.window,
                Some(text) => ledger::Window::parse(text).ok_or_else(|| {
                    invalid(
                        "/window",
                        format!(
                            "'{}': use 30d, 90d, 12m, all, or a number of days like 60d",
                            balans_core::Quoted(text)
                        ),
                    )
                })?,
            },
            until: None,
        })
    })();
    Ok(Json(
        state
            .read_with(
                viewer,
                Reads::AtOneMoment,
                options,
                move |store, options| ledger::report(store, &options),
            )
            .await?,
    ))
}
