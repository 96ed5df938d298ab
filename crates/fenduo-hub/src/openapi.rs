//! The OpenAPI document of the hub's API, generated from the code and served at
//! `GET /api/v1/openapi.json` (no token needed).
//!
//! Every handler carries a `#[utoipa::path(...)]` annotation beside its code, and the wire types
//! in `fenduo-proto` derive `utoipa::ToSchema` (its `openapi` feature), so the document is built
//! from the same definitions the hub serves. [`ApiDoc`] lists the handlers; the test
//! `tests/openapi.rs` fails when the router serves a route that is not listed here, or a listed
//! path is not served.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::{api, assets, groups, mutations};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fenduo hub API",
        version = env!("CARGO_PKG_VERSION"),
        description = "The central hub that Fenduo command posts sync with: login, the sync change log, \
            mutations, assets, metric ingest, roster import and the live WebSocket.\n\n\
            Every error is an `ApiError` (`{code, message, field?}`) unless a response says otherwise: \
            the framework itself answers a few malformed requests in plain text (an unparsable query \
            string with 400, a body over 16 MiB with 413, a failed WebSocket handshake with 400/426). \
            Any request may also fail with 500 `internal` (details are logged, never returned).\n\n\
            Times are UTC in RFC 3339; money is integer fen; ids are strings."
    ),
    paths(
        api::login,
        api::logout,
        api::me,
        api::changes,
        api::status,
        api::ingest,
        api::live_socket,
        api::import_roster,
        assets::upload,
        assets::download,
        mutations::apply_batch,
        groups::delete_group,
        crate::healthz,
        openapi_json,
    ),
    // Only described in prose (the WebSocket's frames), so not reached from any path.
    components(schemas(fenduo_proto::LiveMessage)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Login, logout and who the token belongs to"),
        (name = "sync", description = "The change log clients sync down from"),
        (name = "mutations", description = "Changes made on command posts, each applied at most once"),
        (name = "live", description = "Group statuses of the live session"),
        (name = "ingest", description = "Metrics from the live platform or the simulator"),
        (name = "assets", description = "Content-addressed files (clips, images)"),
        (name = "roster", description = "Importing the region's groups from Excel/CSV"),
        (name = "groups", description = "Group administration"),
        (name = "meta", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// Adds the security schemes the operations refer to.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <token>` with the token from `POST /api/v1/login` \
                         (64 hex digits; valid for 30 days or until logout)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "The same token as a query parameter; accepted only by asset downloads, for media \
                 elements that cannot send headers",
            ))),
        );
    }
}

/// The document, as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `POST /api/v1/logout` answers `{"ok": true}`.
#[derive(Serialize, ToSchema)]
pub struct LoggedOut {
    pub ok: bool,
}

/// `DELETE /api/v1/groups/{group_id}` answers `{"deleted": "<group id>"}`.
#[derive(Serialize, ToSchema)]
pub struct GroupDeleted {
    /// The id of the deleted group.
    pub deleted: String,
}

/// This document
///
/// The OpenAPI 3.1 document of the hub's API (this document), generated from the code.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI document", body = serde_json::Value, content_type = "application/json"),
    )
)]
pub async fn openapi_json() -> impl IntoResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_json().expect("the OpenAPI document serialises"));
    ([(header::CONTENT_TYPE, "application/json")], json.as_str())
}
