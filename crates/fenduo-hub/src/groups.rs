//! Group administration beyond roster import: removing a group that was dissolved.

use axum::extract::{Path, State};
use axum::routing::delete;
use axum::{Json, Router};
use fenduo_proto::Role;

use crate::auth::Caller;
use crate::error::{HubError, HubResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/groups/{group_id}", delete(delete_group))
}

/// Deletes a group; command posts remove it at their next sync (a tombstone in the change log).
/// Admins, and coordinators of the group's region, may delete.
#[utoipa::path(
    delete,
    path = "/api/v1/groups/{group_id}",
    tag = "groups",
    summary = "Delete a dissolved group",
    security(("bearer" = [])),
    params(("group_id" = String, Path, description = "The group's id (e.g. its WeChat group id)")),
    responses(
        (status = 200, description = "Deleted; a tombstone in the change log tells command posts", body = crate::openapi::GroupDeleted),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 403, description = "`forbidden`: not an admin or coordinator, or the group is in another region", body = fenduo_proto::ApiError),
        (status = 404, description = "`not_found`: no such group", body = fenduo_proto::ApiError),
    )
)]
async fn delete_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(group_id): Path<String>,
) -> HubResult<Json<serde_json::Value>> {
    caller.require(&[Role::Admin, Role::Coordinator])?;
    let region =
        state.groups.read().expect("group directory lock").get(&group_id).map(|m| m.region_id.clone());
    let Some(region) = region else { return Err(HubError::NotFound(format!("group {group_id}"))) };
    if let Some(own) = &caller.user.region_id {
        if own != &region {
            return Err(HubError::Forbidden(format!("group {group_id} is not in your region")));
        }
    }
    if state.store.delete_group(&group_id).await?.is_some() {
        state.groups.write().expect("group directory lock").remove(&group_id);
        state.announce_change().await?;
    }
    Ok(Json(serde_json::json!({ "deleted": group_id })))
}
