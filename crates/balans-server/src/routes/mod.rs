//! The API's routes, each documented where it is written; the OpenAPI document is
//! assembled from the same registrations that route requests, so a route cannot
//! exist undocumented. Each operation's `security` names the least role it needs.

mod accounts;
mod balances;
mod credits;
mod docs;
mod gestures;
mod health;
mod imports;
mod kinds;
mod parties;
mod promises;
mod settings;

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Balans API", description = "The balance of give and take between an organization and its customers."),
    modifiers(&BearerAuth),
    tags(
        (name = "parties", description = "Organizations and persons"),
        (name = "gestures", description = "Acts of giving and taking"),
        (name = "balances", description = "Balances of pairs and the out-of-balance report"),
        (name = "credits", description = "Credits that belong to people: live and dormant credit, key persons, handovers"),
        (name = "promises", description = "Promises: pending gestures with a due moment, kept, renegotiated, released or broken, and the sweep that breaks what fell due"),
        (name = "kinds", description = "The catalog of gesture kinds"),
        (name = "imports", description = "CSV files, as Excel writes them"),
        (name = "accounts", description = "Users, API tokens and the first setup"),
        (name = "settings", description = "The time zone, our own organization, and the thresholds of credits"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from 'balans token create'. The scopes name the least role an operation needs."))
                    .build(),
            ),
        );
    }
}

/// Documents on every operation the problems any request can meet: a malformed
/// request, a missing or insufficient token, a body of the wrong type or size, a
/// store that does not answer.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let mut common = vec![
                    ("400", "The path, query or body is malformed"),
                    ("503", "The store does not answer; try again"),
                ];
                if secured {
                    common.push(("401", "No valid API token"));
                    common.push(("403", "The token's user lacks the role this needs"));
                }
                if has_body {
                    common.push(("413", "The body is larger than the server accepts"));
                    common.push(("415", "The body is not of the documented type"));
                    common.push(("422", "A field is wrong"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// Every route, and the whole document: what the routes declare, with the common
/// problems added once all of them are in.
pub fn router_and_document() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = router().split_for_parts();
    utoipa::Modify::modify(&CommonResponses, &mut document);
    (router, document)
}

/// Every route with its documentation.
fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(accounts::setup))
        .routes(routes!(accounts::list_users, accounts::add_user))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(parties::list_parties, parties::create_party))
        .routes(routes!(parties::get_party, parties::update_party))
        .routes(routes!(parties::party_memberships))
        .routes(routes!(parties::set_membership))
        .routes(routes!(kinds::list_kinds, kinds::create_kind))
        .routes(routes!(kinds::update_kind))
        .routes(routes!(gestures::list_gestures, gestures::create_gesture))
        .routes(routes!(gestures::create_batch))
        .routes(routes!(gestures::reverse_gesture))
        .routes(routes!(balances::pair_balance))
        .routes(routes!(balances::counterparts))
        .routes(routes!(balances::report))
        .routes(routes!(credits::organization_credits))
        .routes(routes!(credits::relationship_credits))
        .routes(routes!(credits::organization_totals))
        .routes(routes!(credits::list_handovers, credits::offer_handover))
        .routes(routes!(credits::accept_handover))
        .routes(routes!(credits::decline_handover))
        .routes(routes!(credits::withdraw_handover))
        .routes(routes!(credits::list_alerts))
        .routes(routes!(credits::dismiss_alert))
        .routes(routes!(promises::list_promises, promises::make_promise))
        .routes(routes!(promises::get_promise))
        .routes(routes!(promises::keep_promise))
        .routes(routes!(promises::break_promise))
        .routes(routes!(promises::move_promise))
        .routes(routes!(promises::release_promise))
        .routes(routes!(promises::sweep))
        .routes(routes!(promises::kept_rates))
        .routes(routes!(accounts::link_user))
        .routes(routes!(settings::list_settings))
        .routes(routes!(settings::set_setting))
        .routes(routes!(imports::import_file))
}
