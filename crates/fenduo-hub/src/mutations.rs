//! `POST /api/v1/mutations`: changes made on command posts, each applied at most once.
//!
//! Every mutation carries a UUIDv7 made by the client when the user acted. The id, the outcome
//! and the change itself are written in one `BEGIN IMMEDIATE` transaction, so a retry after a
//! lost answer finds the stored outcome and changes nothing, and a crash can never leave a
//! change without its id (or the reverse). Refusals (permission, validation) are stored too: a
//! retry gets the same answer.
//!
//! The rules live here and the storage in [`crate::store`]: the store opens the transaction,
//! reads what the mutation names (its session, its group) and calls [`decide`] — pure code —
//! with it; `decide` answers with the effect to store (a [`MutationEffect`]) or a refusal, and
//! the store writes that with the outcome. The rules thus see the data as of the write lock,
//! yet never touch SQL, and any backend applies the same ones.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use fenduo_proto::{
    ApiError, Mutation, MutationBatch, MutationOp, MutationOutcome, MutationResult, MutationResults, Note,
    Role,
};

use crate::api::parse_json;
use crate::auth::Caller;
use crate::error::{HubError, HubResult};
use crate::store::{MutationApplied, MutationDecision, MutationEffect, MutationFacts, MutationRequest};
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
        // One spelling per id (lowercase, hyphenated), so the same UUID written another way
        // cannot be applied twice.
        Ok(u) if u.get_version_num() == 7 && u.hyphenated().to_string() == id => Ok(()),
        Ok(u) if u.get_version_num() == 7 => {
            Err(format!("{id} is not in the canonical form; send it as {}", u.hyphenated()))
        }
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
    let (session_id, group_id) = match &m.op {
        MutationOp::AddNote { session_id, group_id, .. } => (Some(session_id.as_str()), group_id.as_deref()),
        MutationOp::StartSession { session_id, .. } => (Some(session_id.as_str()), None),
    };
    let request =
        MutationRequest { id: &m.id, user_id: &caller.user.id, kind: kind_name(&m.op), session_id, group_id };
    let now = Utc::now();
    // Every error of `decide` is a refusal: it is pure, so it has no other kind.
    let rules = |facts: &MutationFacts| match decide(caller, m, facts, now) {
        Ok(effect) => MutationDecision::Apply(effect),
        Err(e) => MutationDecision::Refuse(e.to_api_error()),
    };
    let (outcome, repeated) = match state.store.apply_mutation(&request, &rules).await? {
        MutationApplied::Stored { user_id, .. } if user_id != caller.user.id => {
            let error = ApiError {
                code: "mutation_id_conflict".into(),
                message: format!("mutation id {} was already used by another user; make a new id", m.id),
                field: Some("id".into()),
            };
            (MutationOutcome::Refused { error }, false)
        }
        MutationApplied::Stored { outcome, .. } => (outcome, true),
        MutationApplied::Decided(outcome) => (outcome, false),
    };
    Ok(MutationResult { id: m.id.clone(), outcome, repeated })
}

/// What a mutation does, from what the store read inside its transaction: the effect to store,
/// or why it is refused (permission, validation, unknown target). Pure, so the rules are
/// tested without a database and every backend applies the same ones.
pub fn decide(
    caller: &Caller,
    m: &Mutation,
    facts: &MutationFacts,
    now: DateTime<Utc>,
) -> HubResult<MutationEffect> {
    let session =
        |id: &str| facts.session.as_ref().ok_or_else(|| HubError::NotFound(format!("session {id:?}")));
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
            session(session_id)?;
            if let Some(g) = group_id {
                if facts.group.as_ref().map(|meta| meta.region_id.as_str()) != Some(region_id.as_str()) {
                    return Err(HubError::invalid(
                        "invalid_note",
                        "group_id",
                        format!("group {g} is not in your region"),
                    ));
                }
            }
            Ok(MutationEffect::AddNote(Note {
                id: m.id.clone(),
                session_id: session_id.clone(),
                at: *at,
                group_id: group_id.clone(),
                text: text.to_string(),
                author_id: caller.user.id.clone(),
                author_name: caller.user.display_name.clone(),
                region_id,
                created_at: now,
            }))
        }
        MutationOp::StartSession { session_id, started_at } => {
            caller.require(&[Role::Coordinator, Role::Admin])?;
            let current = session(session_id)?;
            if let Some(already) = current.actual_start {
                // A second "live started" (a late retry from another command post's outbox, a
                // double click) must not move every stage time.
                // Stored to the millisecond: compare at that precision.
                if already.timestamp_millis() != started_at.timestamp_millis() {
                    return Err(HubError::invalid(
                        "already_started",
                        "started_at",
                        format!("the session was already marked started at {already}; its start is kept"),
                    ));
                }
            }
            check_start(current.planned_start, *started_at, now)?;
            Ok(MutationEffect::StartSession { session_id: session_id.clone(), started_at: *started_at })
        }
    }
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

    fn caller(role: Role, region: Option<&str>) -> Caller {
        let user = fenduo_proto::User {
            id: "user-x".into(),
            username: "x".into(),
            display_name: "某人".into(),
            role,
            region_id: region.map(Into::into),
        };
        Caller { user, token_hash: String::new() }
    }

    fn session(planned_start: DateTime<Utc>) -> fenduo_proto::Session {
        fenduo_proto::Session {
            id: "s1".into(),
            title: "第1场".into(),
            host: "直播间".into(),
            planned_start,
            actual_start: None,
            planned_end: planned_start + Duration::hours(2),
            status: fenduo_proto::SessionStatus::Scheduled,
            target_orders: None,
            target_gmv_fen: None,
        }
    }

    fn note_about(group: Option<&str>) -> Mutation {
        let op = MutationOp::AddNote {
            session_id: "s1".into(),
            at: Utc::now(),
            group_id: group.map(Into::into),
            text: " 节奏不错 ".into(),
        };
        Mutation { id: uuid::Uuid::now_v7().to_string(), op }
    }

    #[test]
    fn a_note_is_decided_from_the_facts_the_store_read() {
        let now = Utc::now();
        let trainer = caller(Role::Trainer, Some("east"));
        let east = crate::store::GroupMeta { region_id: "east".into(), distributor_id: "d1".into() };
        let facts = MutationFacts { session: Some(session(now)), group: Some(east) };
        let m = note_about(Some("g1"));
        let Ok(MutationEffect::AddNote(note)) = decide(&trainer, &m, &facts, now) else { panic!("applied") };
        assert_eq!(
            (note.id.as_str(), note.text.as_str(), note.region_id.as_str()),
            (m.id.as_str(), "节奏不错", "east")
        );
        assert_eq!(note.created_at, now);

        let code = |r: HubResult<MutationEffect>| r.unwrap_err().to_api_error().code;
        // A group of another region, or none at all, is refused alike.
        let west = crate::store::GroupMeta { region_id: "west".into(), distributor_id: "d2".into() };
        let elsewhere = MutationFacts { group: Some(west), ..facts.clone() };
        assert_eq!(code(decide(&trainer, &m, &elsewhere, now)), "invalid_note");
        let unknown = MutationFacts { group: None, ..facts.clone() };
        assert_eq!(code(decide(&trainer, &m, &unknown, now)), "invalid_note");
        assert_eq!(code(decide(&trainer, &m, &MutationFacts::default(), now)), "not_found");
        assert_eq!(code(decide(&caller(Role::Distributor, Some("east")), &m, &facts, now)), "forbidden");
        assert_eq!(code(decide(&caller(Role::Admin, None), &m, &facts, now)), "forbidden");
    }

    #[test]
    fn a_session_start_needs_a_coordinator_and_a_plausible_time() {
        let now = Utc::now();
        let start = |at| Mutation {
            id: uuid::Uuid::now_v7().to_string(),
            op: MutationOp::StartSession { session_id: "s1".into(), started_at: at },
        };
        let facts = MutationFacts { session: Some(session(now - Duration::minutes(5))), group: None };
        let coordinator = caller(Role::Coordinator, Some("east"));
        assert_eq!(
            decide(&coordinator, &start(now), &facts, now).unwrap(),
            MutationEffect::StartSession { session_id: "s1".into(), started_at: now }
        );
        assert!(decide(&caller(Role::Trainer, Some("east")), &start(now), &facts, now).is_err());
        assert!(decide(&coordinator, &start(now + Duration::hours(1)), &facts, now).is_err());
        assert!(decide(&coordinator, &start(now), &MutationFacts::default(), now).is_err());
    }
}
