//! `POST /api/v1/mutations`: changes made on command posts, each applied at most once.
//!
//! Every mutation carries a UUIDv7 made by the client when the user acted. The id, the outcome
//! and the change itself are written in one `BEGIN IMMEDIATE` transaction, so a retry after a
//! lost answer finds the stored outcome and changes nothing, and a crash can never leave a
//! change without its id (or the reverse). Refusals (permission, validation) are stored too: a
//! retry gets the same answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use fenduo_proto::{
    ApiError, Mutation, MutationBatch, MutationOp, MutationOutcome, MutationResult, MutationResults, Note,
    Record, Role,
};
use sqlx::Row;

use crate::api::parse_json;
use crate::auth::Caller;
use crate::error::{HubError, HubResult};
use crate::store::{parse_ts, record_change, session_from_row, ts};
use crate::AppState;

/// Most mutations in one request.
pub const MAX_MUTATIONS: usize = 500;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/mutations", post(apply_batch))
}

/// Send mutations up
///
/// Each mutation carries a client-made UUIDv7 and is applied at most once: a retry of an id
/// answers the stored outcome with `repeated: true` and changes nothing. A refusal (permission,
/// validation, unknown target) is an outcome inside a 200 answer, stored like a success; only a
/// malformed request is refused as a whole.
#[utoipa::path(
    post,
    path = "/api/v1/mutations",
    tag = "mutations",
    security(("bearer" = [])),
    request_body = MutationBatch,
    responses(
        (status = 200, description = "One result per mutation, in order: `applied` with the stored record, or `refused` with an `ApiError`", body = MutationResults),
        (status = 401, description = "`unauthorized`: no bearer token, or it is unknown, expired or revoked", body = fenduo_proto::ApiError),
        (status = 422, description = "Nothing was applied: `invalid_body` (not a `MutationBatch`), `batch_too_large` (over 500), or `invalid_mutation_id` (not a UUIDv7; `field` is `mutations[i].id`)", body = fenduo_proto::ApiError),
    )
)]
async fn apply_batch(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> HubResult<Json<MutationResults>> {
    let batch: MutationBatch = parse_json(&body)?;
    if batch.mutations.len() > MAX_MUTATIONS {
        return Err(HubError::invalid(
            "batch_too_large",
            "mutations",
            format!("{} mutations in one request; send at most {MAX_MUTATIONS}", batch.mutations.len()),
        ));
    }
    for (i, m) in batch.mutations.iter().enumerate() {
        check_id(&m.id)
            .map_err(|why| HubError::invalid("invalid_mutation_id", format!("mutations[{i}].id"), why))?;
    }
    let mut results = Vec::with_capacity(batch.mutations.len());
    for m in &batch.mutations {
        results.push(apply_one(&state, &caller, m).await?);
    }
    if results.iter().any(|r| matches!(r.outcome, MutationOutcome::Applied { .. }) && !r.repeated) {
        state.announce_change().await?;
    }
    Ok(Json(MutationResults { results }))
}

/// Mutation ids are UUIDv7: time-ordered, made by the client, unique without coordination.
fn check_id(id: &str) -> Result<(), String> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.get_version_num() == 7 => Ok(()),
        Ok(u) => Err(format!("{id} is a version {} UUID; mutation ids must be UUIDv7", u.get_version_num())),
        Err(_) => Err(format!("{id:?} is not a UUID; mutation ids must be UUIDv7")),
    }
}

fn kind_name(op: &MutationOp) -> &'static str {
    match op {
        MutationOp::AddNote { .. } => "add_note",
        MutationOp::StartSession { .. } => "start_session",
    }
}

/// Applies one mutation, or returns what was stored for its id.
pub async fn apply_one(state: &AppState, caller: &Caller, m: &Mutation) -> HubResult<MutationResult> {
    let pool = state.store.pool();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let stored = sqlx::query("SELECT user_id, outcome FROM mutations WHERE id = ?")
        .bind(&m.id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = stored {
        let user_id: String = row.get("user_id");
        if user_id != caller.user.id {
            let error = ApiError {
                code: "mutation_id_conflict".into(),
                message: format!("mutation id {} was already used by another user; make a new id", m.id),
                field: Some("id".into()),
            };
            return Ok(MutationResult {
                id: m.id.clone(),
                outcome: MutationOutcome::Refused { error },
                repeated: false,
            });
        }
        let outcome: MutationOutcome = serde_json::from_str(row.get("outcome"))
            .map_err(|e| HubError::Internal(format!("bad stored mutation outcome: {e}")))?;
        return Ok(MutationResult { id: m.id.clone(), outcome, repeated: true });
    }
    let outcome = match apply_op(&mut tx, caller, m).await {
        Ok(record) => {
            let (region, distributor) = match &record {
                // A note about a group is also that group's distributor's (distributors see only
                // their own groups' records); a note about no group is for the region's staff.
                Record::Note(n) => {
                    (Some(n.region_id.clone()), group_distributor(&mut tx, &n.group_id).await?)
                }
                _ => (None, None),
            };
            record_change(&mut tx, &record, region.as_deref(), distributor.as_deref()).await?;
            MutationOutcome::Applied { record }
        }
        // A refusal is an answer, stored like a success; anything else rolls back and is retried.
        Err(
            e @ (HubError::Invalid { .. }
            | HubError::Forbidden(_)
            | HubError::NotFound(_)
            | HubError::Conflict(_)),
        ) => MutationOutcome::Refused { error: e.to_api_error() },
        Err(e) => return Err(e),
    };
    let json = serde_json::to_string(&outcome).map_err(|e| HubError::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO mutations (id, user_id, kind, outcome, applied_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&m.id)
        .bind(&caller.user.id)
        .bind(kind_name(&m.op))
        .bind(json)
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(MutationResult { id: m.id.clone(), outcome, repeated: false })
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

async fn apply_op(tx: &mut Tx<'_>, caller: &Caller, m: &Mutation) -> HubResult<Record> {
    match &m.op {
        MutationOp::AddNote { session_id, at, group_id, text } => {
            caller.require(&[Role::Trainer, Role::Coordinator, Role::Admin])?;
            let region_id = caller.user.region_id.clone().ok_or_else(|| {
                HubError::Forbidden("notes belong to a region; log in with a regional account".into())
            })?;
            let text = text.trim();
            if text.is_empty() {
                return Err(HubError::invalid("invalid_note", "text", "the note is empty"));
            }
            if text.chars().count() > MAX_NOTE_CHARS {
                return Err(HubError::invalid(
                    "invalid_note",
                    "text",
                    format!("keep notes under {MAX_NOTE_CHARS} characters"),
                ));
            }
            session_exists(tx, session_id).await?;
            if let Some(g) = group_id {
                let region: Option<String> =
                    sqlx::query_scalar("SELECT region_id FROM wechat_groups WHERE id = ?")
                        .bind(g)
                        .fetch_optional(&mut **tx)
                        .await?;
                if region.as_deref() != Some(region_id.as_str()) {
                    return Err(HubError::invalid(
                        "invalid_note",
                        "group_id",
                        format!("group {g} is not in your region"),
                    ));
                }
            }
            let note = Note {
                id: m.id.clone(),
                session_id: session_id.clone(),
                at: *at,
                group_id: group_id.clone(),
                text: text.to_string(),
                author_id: caller.user.id.clone(),
                author_name: caller.user.display_name.clone(),
                region_id,
                created_at: Utc::now(),
            };
            sqlx::query(
                "INSERT INTO notes (id, session_id, region_id, at, group_id, text, author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&note.id)
            .bind(&note.session_id)
            .bind(&note.region_id)
            .bind(ts(note.at))
            .bind(&note.group_id)
            .bind(&note.text)
            .bind(&note.author_id)
            .bind(ts(note.created_at))
            .execute(&mut **tx)
            .await?;
            Ok(Record::Note(note))
        }
        MutationOp::StartSession { session_id, started_at } => {
            caller.require(&[Role::Coordinator, Role::Admin])?;
            let planned = session_exists(tx, session_id).await?;
            check_start(planned, *started_at, Utc::now())?;
            sqlx::query("UPDATE sessions SET actual_start = ?, status = 'live' WHERE id = ?")
                .bind(ts(*started_at))
                .bind(session_id)
                .execute(&mut **tx)
                .await?;
            let row = sqlx::query("SELECT * FROM sessions WHERE id = ?")
                .bind(session_id)
                .fetch_one(&mut **tx)
                .await?;
            Ok(Record::Session(session_from_row(&row)?))
        }
    }
}

/// The distributor owning a group, if there is a group.
async fn group_distributor(tx: &mut Tx<'_>, group_id: &Option<String>) -> HubResult<Option<String>> {
    let Some(g) = group_id else { return Ok(None) };
    Ok(sqlx::query_scalar("SELECT distributor_id FROM wechat_groups WHERE id = ?")
        .bind(g)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The session's planned start, or NotFound.
async fn session_exists(tx: &mut Tx<'_>, session_id: &str) -> HubResult<DateTime<Utc>> {
    let planned: Option<String> = sqlx::query_scalar("SELECT planned_start FROM sessions WHERE id = ?")
        .bind(session_id)
        .fetch_optional(&mut **tx)
        .await?;
    parse_ts(&planned.ok_or_else(|| HubError::NotFound(format!("session {session_id:?}")))?)
}

/// A real start must be near the plan and not in the future.
pub fn check_start(planned: DateTime<Utc>, started: DateTime<Utc>, now: DateTime<Utc>) -> HubResult<()> {
    if started > now + Duration::minutes(2) {
        return Err(HubError::invalid(
            "invalid_start",
            "started_at",
            "the start is in the future; mark it when the stream starts",
        ));
    }
    if (started - planned).num_hours().abs() >= 12 {
        return Err(HubError::invalid(
            "invalid_start",
            "started_at",
            format!(
                "{started} is more than 12 hours from the planned start {planned}; is it the right session?"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uuid_v7_ids_are_accepted() {
        assert!(check_id(&uuid::Uuid::now_v7().to_string()).is_ok());
        assert!(check_id(&uuid::Uuid::nil().to_string()).unwrap_err().contains("version 0"));
        assert!(check_id("42").unwrap_err().contains("not a UUID"));
    }

    #[test]
    fn a_start_far_from_the_plan_or_in_the_future_is_refused() {
        let now = Utc::now();
        assert!(check_start(now, now - Duration::minutes(3), now).is_ok());
        assert!(check_start(now, now + Duration::minutes(10), now).is_err());
        assert!(check_start(now - Duration::days(1), now, now).is_err());
    }
}
