//! The API's routes, each documented where it is written; the OpenAPI document is
//! assembled from the same registrations that route requests, so a route cannot
//! exist undocumented. Each operation's `security` names the least role it needs.

mod accounts;
mod balances;
mod docs;
mod gestures;
mod health;
mod imports;
mod kinds;
mod parties;

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
        (name = "kinds", description = "The catalog of gesture kinds"),
        (name = "imports", description = "CSV files, as Excel writes them"),
        (name = "accounts", description = "Users, API tokens and the first setup"),
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

/// Every route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
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
        .routes(routes!(imports::import_file))
}
